//! `interfaces::chain::Chain` on the node: what a wallet process asks of it
//! (Core's `ChainImpl`).

use super::blocks::{earliest_at_least, fill};
use super::notify::Notifier;
use super::registration::Registration;
use super::Services;
use bitcoin::{BlockHash, OutPoint, Transaction, Txid};
use blockstore::store::status;
use chainstate_service::Relay;
use consensus::CoinsView;
use interfaces::chain::*;
use interfaces::handler::Handler;
use interfaces::{BilingualStr, FeeRate, Outcome, Result};
use mempool::Mempool;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The node's chain, as a wallet sees it; the number names the client.
pub struct ChainApi(pub Arc<Services>, pub u64);

fn remote(msg: impl Into<String>) -> interfaces::Error {
    interfaces::Error::Remote(msg.into())
}

/// In-pool ancestors of `txid` (the transaction itself included).
fn ancestors(pool: &Mempool, txid: &Txid) -> BTreeSet<Txid> {
    let mut out = BTreeSet::new();
    let mut todo = vec![*txid];
    while let Some(t) = todo.pop() {
        let Some(e) = pool.get(&t) else { continue };
        if !out.insert(t) {
            continue;
        }
        todo.extend(e.tx.input.iter().map(|i| i.previous_output.txid));
    }
    out
}

/// In-pool descendants of `txid` (the transaction itself included).
fn descendants(pool: &Mempool, txid: &Txid) -> BTreeSet<Txid> {
    let mut out = BTreeSet::new();
    let mut todo = vec![*txid];
    while let Some(t) = todo.pop() {
        let Some(e) = pool.get(&t) else { continue };
        if !out.insert(t) {
            continue;
        }
        for vout in 0..e.tx.output.len() as u32 {
            if let Some(child) = pool.spender(&OutPoint::new(t, vout)) {
                todo.push(child);
            }
        }
    }
    out
}

/// Fees and virtual size of a set of pool transactions.
fn package(pool: &Mempool, txids: &BTreeSet<Txid>) -> (i64, u64) {
    txids
        .iter()
        .filter_map(|t| pool.get(t))
        .fold((0, 0), |(f, s), e| (f + e.fee, s + e.vsize))
}

/// A lookup's facts and whether the block was found (Core's return value).
fn found(r: FoundBlockResult) -> (FoundBlockResult, bool) {
    let ok = r.found;
    (r, ok)
}

/// What `rate` charges for `vsize` virtual bytes.
fn fee_for(rate: &FeeRate, vsize: u64) -> i64 {
    if rate.size <= 0 {
        return 0;
    }
    let fee = i128::from(rate.fee) * i128::from(vsize) / i128::from(rate.size);
    fee.clamp(0, i128::from(i64::MAX)) as i64
}

/// The bump needed for the unconfirmed ancestry of `txids` to pay `rate`.
/// The fee the unconfirmed ancestry of the transactions creating
/// `outpoints` must add to pay `rate` (Core's `MiniMiner`). The whole
/// cluster is "mined" first, best ancestor-set feerate first, while sets
/// pay `rate` on their own, leaving out what spends `outpoints` (it is
/// being replaced): ancestors mined that way (paid for by a high-feerate
/// parent or sibling) need no bump; the rest pay for themselves.
fn bump_for(pool: &Mempool, outpoints: &[OutPoint], rate: &FeeRate) -> i64 {
    let needed: BTreeSet<Txid> = outpoints.iter().map(|o| o.txid).collect();
    let mut replaced = BTreeSet::new();
    for op in outpoints {
        if let Some(spender) = pool.spender(op) {
            replaced.extend(descendants(pool, &spender));
        }
    }
    // The connected cluster of what is needed, less what is replaced.
    let mut cluster: BTreeSet<Txid> = BTreeSet::new();
    let mut todo: Vec<Txid> = needed.iter().copied().collect();
    while let Some(t) = todo.pop() {
        if replaced.contains(&t) || pool.get(&t).is_none() || !cluster.insert(t) {
            continue;
        }
        todo.extend(ancestors(pool, &t));
        todo.extend(descendants(pool, &t));
    }
    let mut left = cluster;
    loop {
        let best = left
            .iter()
            .map(|t| {
                let set: BTreeSet<Txid> = ancestors(pool, t).intersection(&left).copied().collect();
                let (fees, vsize) = package(pool, &set);
                (fees, vsize, set)
            })
            // Highest feerate first: fees_a / size_a > fees_b / size_b.
            .max_by(|(fa, sa, _), (fb, sb, _)| {
                (i128::from(*fa) * i128::from(*sb)).cmp(&(i128::from(*fb) * i128::from(*sa)))
            });
        match best {
            Some((fees, vsize, set)) if fees >= fee_for(rate, vsize) => {
                left.retain(|t| !set.contains(t));
            }
            _ => break,
        }
    }
    let mut unmined = BTreeSet::new();
    for t in &needed {
        unmined.extend(ancestors(pool, t).into_iter().filter(|a| left.contains(a)));
    }
    let (fees, vsize) = package(pool, &unmined);
    (fee_for(rate, vsize) - fees).max(0)
}

impl ChainApi {
    fn chain(&self) -> &chainstate_service::NodeChain {
        &self.0.chain
    }

    /// `FillBlock` for the block `hash` (unknown hashes are not found).
    fn find(&self, hash: &BlockHash, want: &FoundBlockParam) -> (FoundBlockResult, bool) {
        let cs = self.chain().lock();
        found(fill(&cs, &self.0.time_max, cs.index().id(hash), want))
    }

    fn rw_setting_update(
        &self,
        name: &str,
        update: impl FnOnce(&mut serde_json::Value) -> Option<SettingsAction>,
    ) -> bool {
        let args = &self.0.args;
        let action = args.lock_settings(|settings| {
            let mut value = settings
                .rw_settings
                .get(name)
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            let action = update(&mut value);
            if value.is_null() {
                settings.rw_settings.remove(name);
            } else {
                settings.rw_settings.insert(name.to_string(), value);
            }
            action
        });
        match action {
            Some(SettingsAction::Write) => args.write_settings_file(false).is_ok(),
            _ => true,
        }
    }
}

fn json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|_| remote(format!("invalid JSON setting value: {text}")))
}

impl Chain for ChainApi {
    fn get_height(&self) -> Result<Option<i32>> {
        let cs = self.chain().lock();
        Ok(cs.tip_entry().map(|e| e.height as i32))
    }

    fn get_block_hash(&self, height: i32) -> Result<BlockHash> {
        let cs = self.chain().lock();
        u32::try_from(height)
            .ok()
            .and_then(|h| cs.at_height(h))
            .and_then(|id| cs.index().entry(id))
            .map(|e| e.hash)
            .ok_or_else(|| remote(format!("block height {height} out of range")))
    }

    fn have_block_on_disk(&self, height: i32) -> Result<bool> {
        let cs = self.chain().lock();
        Ok(u32::try_from(height)
            .ok()
            .and_then(|h| cs.at_height(h))
            .and_then(|id| cs.index().entry(id))
            .is_some_and(|e| e.status & status::HAVE_DATA != 0 && e.n_tx > 0))
    }

    fn find_locator_fork(&self, locator: &BlockLocator) -> Result<Option<i32>> {
        let cs = self.chain().lock();
        Ok(locator
            .0
            .iter()
            .filter_map(|h| cs.index().id(h))
            .find(|id| cs.is_active(*id))
            .and_then(|id| cs.index().entry(id))
            .map(|e| e.height as i32))
    }

    fn has_block_filter_index(&self, filter_type: u8) -> Result<bool> {
        // 0 is BIP158's basic filter, the only type there is.
        Ok(filter_type == 0
            && self
                .chain()
                .indexes()
                .is_some_and(|i| i.blockfilter.is_some()))
    }

    fn block_filter_matches_any(
        &self,
        filter_type: u8,
        block_hash: &BlockHash,
        filter_set: &[Vec<u8>],
    ) -> Result<Option<bool>> {
        let index = match self.chain().indexes() {
            Some(i) if filter_type == 0 => i.blockfilter.clone(),
            _ => None,
        };
        let Some(index) = index else { return Ok(None) };
        let Ok(Some(stored)) = index::blockfilter::lookup(index.db(), block_hash) else {
            return Ok(None);
        };
        Ok(stored
            .filter
            .match_any(block_hash, filter_set.iter().map(Vec::as_slice))
            .ok())
    }

    fn find_block(
        &self,
        hash: &BlockHash,
        block: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)> {
        Ok(self.find(hash, block))
    }

    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: i32,
        block: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)> {
        let cs = self.chain().lock();
        let id = earliest_at_least(&cs, &self.0.time_max, min_time, min_height);
        Ok(found(fill(&cs, &self.0.time_max, id, block)))
    }

    fn find_ancestor_by_height(
        &self,
        block_hash: &BlockHash,
        ancestor_height: i32,
        ancestor: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)> {
        let cs = self.chain().lock();
        let id = cs.index().id(block_hash).and_then(|id| {
            let h = u32::try_from(ancestor_height).ok()?;
            cs.index().ancestor_id(id, h)
        });
        Ok(found(fill(&cs, &self.0.time_max, id, ancestor)))
    }

    fn find_ancestor_by_hash(
        &self,
        block_hash: &BlockHash,
        ancestor_hash: &BlockHash,
        ancestor: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)> {
        let cs = self.chain().lock();
        let id = match (cs.index().id(block_hash), cs.index().id(ancestor_hash)) {
            (Some(b), Some(a)) => {
                let h = cs.index().entry(a).map(|e| e.height);
                h.and_then(|h| cs.index().ancestor_id(b, h))
                    .filter(|x| *x == a)
            }
            _ => None,
        };
        Ok(found(fill(&cs, &self.0.time_max, id, ancestor)))
    }

    fn find_common_ancestor(
        &self,
        block_hash1: &BlockHash,
        block_hash2: &BlockHash,
        ancestor: &FoundBlockParam,
        block1: &FoundBlockParam,
        block2: &FoundBlockParam,
    ) -> Result<CommonAncestor> {
        let cs = self.chain().lock();
        let (b1, b2) = (cs.index().id(block_hash1), cs.index().id(block_hash2));
        let common = match (b1, b2) {
            (Some(a), Some(b)) => cs.index().last_common_ancestor(a, b),
            _ => None,
        };
        let tm = &self.0.time_max;
        let out = CommonAncestor {
            ancestor: fill(&cs, tm, common, ancestor),
            block1: fill(&cs, tm, b1, block1),
            block2: fill(&cs, tm, b2, block2),
            found: false,
        };
        Ok(CommonAncestor {
            found: out.ancestor.found && out.block1.found && out.block2.found,
            ..out
        })
    }

    fn find_coins(
        &self,
        coins: &[(OutPoint, Option<Coin>)],
    ) -> Result<Vec<(OutPoint, Option<Coin>)>> {
        // As Core's `FindCoins`: mempool outputs over the chain's, and a
        // coin a mempool transaction spends is still found (fee bumping
        // looks up the inputs of the transaction it replaces).
        let cs = self.chain().lock();
        let pool = self.chain().pool();
        let pool_height = cs.height() + 1;
        Ok(coins
            .iter()
            .map(|(op, _)| {
                let coin = match pool.get(&op.txid) {
                    Some(e) => e.tx.output.get(op.vout as usize).map(|o| Coin {
                        output: o.clone(),
                        height: pool_height,
                        is_coinbase: false,
                    }),
                    None => cs.coins().coin(op).map(|c| Coin {
                        output: c.output,
                        height: c.height,
                        is_coinbase: c.is_coinbase,
                    }),
                };
                (*op, coin)
            })
            .collect())
    }

    fn guess_verification_progress(&self, block_hash: &BlockHash) -> Result<f64> {
        let cs = self.chain().lock();
        Ok(cs
            .index()
            .get(block_hash)
            .map(|e| cs.guess_verification_progress(e))
            .unwrap_or(0.0))
    }

    fn has_blocks(
        &self,
        block_hash: &BlockHash,
        min_height: i32,
        max_height: Option<i32>,
    ) -> Result<bool> {
        let cs = self.chain().lock();
        let Some(mut id) = cs.index().id(block_hash) else {
            return Ok(false);
        };
        if let Some(max) = max_height {
            let height = cs.index().entry(id).map_or(0, |e| e.height);
            if let Ok(max) = u32::try_from(max) {
                if height >= max {
                    match cs.index().ancestor_id(id, max) {
                        Some(a) => id = a,
                        None => return Ok(false),
                    }
                }
            }
        }
        // Every block from there down to `min_height` has its data.
        while let Some(e) = cs.index().entry(id) {
            if e.status & status::HAVE_DATA == 0 {
                return Ok(false);
            }
            if e.height as i64 <= i64::from(min_height) {
                return Ok(true);
            }
            match e.parent {
                Some(p) => id = p,
                None => return Ok(true),
            }
        }
        Ok(false)
    }

    fn is_rbf_opt_in(&self, tx: &Transaction) -> Result<RbfTransactionState> {
        let signals = |t: &Transaction| t.input.iter().any(|i| i.sequence.0 < 0xffff_fffe);
        if signals(tx) {
            return Ok(RbfTransactionState::ReplaceableBip125);
        }
        let pool = self.chain().pool();
        let txid = tx.compute_txid();
        if pool.get(&txid).is_none() {
            return Ok(RbfTransactionState::Unknown);
        }
        let replaceable = ancestors(&pool, &txid)
            .iter()
            .filter_map(|t| pool.get(t))
            .any(|e| signals(&e.tx));
        Ok(if replaceable {
            RbfTransactionState::ReplaceableBip125
        } else {
            RbfTransactionState::Final
        })
    }

    fn is_in_mempool(&self, txid: &Txid) -> Result<bool> {
        Ok(self.chain().pool().get(txid).is_some())
    }

    fn has_descendants_in_mempool(&self, txid: &Txid) -> Result<bool> {
        Ok(descendants(&self.chain().pool(), txid).len() > 1)
    }

    fn broadcast_transaction(
        &self,
        tx: &Transaction,
        max_tx_fee: i64,
        broadcast_method: TxBroadcast,
    ) -> Result<Broadcast> {
        let relay = match broadcast_method {
            TxBroadcast::MempoolAndBroadcastToAll => Relay::ToAll,
            TxBroadcast::MempoolNoBroadcast => Relay::MempoolOnly,
            TxBroadcast::NoMempoolPrivateBroadcast => {
                return Ok(Broadcast {
                    error: "Private broadcast is not supported".into(),
                    accepted: false,
                })
            }
        };
        let r = self
            .chain()
            .broadcast_transaction(Arc::new(tx.clone()), max_tx_fee, relay, false);
        Ok(match r {
            Ok(_) => Broadcast {
                error: String::new(),
                accepted: true,
            },
            Err(e) => Broadcast {
                error: e.message(),
                accepted: false,
            },
        })
    }

    fn get_transaction_ancestry(&self, txid: &Txid) -> Result<TxAncestry> {
        let pool = self.chain().pool();
        if pool.get(txid).is_none() {
            return Ok(TxAncestry::default());
        }
        let up = ancestors(&pool, txid);
        let (fees, size) = package(&pool, &up);
        Ok(TxAncestry {
            ancestors: up.len() as u64,
            descendants: descendants(&pool, txid).len() as u64,
            ancestor_size: size,
            ancestor_fees: fees,
        })
    }

    fn calculate_individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        target_feerate: &FeeRate,
    ) -> Result<Vec<(OutPoint, i64)>> {
        let pool = self.chain().pool();
        Ok(outpoints
            .iter()
            .map(|op| {
                (
                    *op,
                    bump_for(&pool, std::slice::from_ref(op), target_feerate),
                )
            })
            .collect())
    }

    fn calculate_combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        target_feerate: &FeeRate,
    ) -> Result<Option<i64>> {
        let pool = self.chain().pool();
        Ok(Some(bump_for(&pool, outpoints, target_feerate)))
    }

    fn get_package_limits(&self) -> Result<PackageLimits> {
        // Core's getPackageLimits: the (legacy) ancestor and descendant
        // counts, lower than the cluster limit, so coins the wallet picks
        // also suit nodes that still enforce them.
        let policy = self.chain().policy();
        let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        Ok(PackageLimits {
            ancestors: count(policy.ancestor_count),
            descendants: count(policy.descendant_count),
        })
    }

    fn check_chain_limits(&self, tx: &Transaction) -> Result<Outcome<()>> {
        let pool = self.chain().pool();
        Ok(if pool.exceeds_cluster_limits(tx, self.chain().policy()) {
            Err(BilingualStr::untranslated(
                "too many unconfirmed transactions in cluster",
            ))
        } else {
            Ok(())
        })
    }

    fn estimate_smart_fee(
        &self,
        num_blocks: i32,
        conservative: bool,
        want_calc: bool,
    ) -> Result<SmartFee> {
        // Without an estimator (-blocksonly) Core answers a zero rate.
        let Some(estimator) = self.chain().fee_estimator() else {
            return Ok(SmartFee {
                calc: want_calc.then(FeeCalculation::default),
                fee_rate: FeeRate::default(),
            });
        };
        let est = estimator.lock().unwrap_or_else(|p| p.into_inner());
        let target = u32::try_from(num_blocks).unwrap_or(0);
        let (rate, calc) = est.estimate_smart_fee(target, conservative);
        Ok(SmartFee {
            calc: want_calc.then(|| fee_calculation(num_blocks, &calc)),
            fee_rate: FeeRate::per_kvb(rate),
        })
    }

    fn estimate_max_blocks(&self) -> Result<u32> {
        Ok(self.chain().fee_estimator().map_or(0, |e| {
            e.lock()
                .unwrap_or_else(|p| p.into_inner())
                .highest_target_tracked(mempool::fee_estimator::Horizon::Long)
        }))
    }

    fn mempool_min_fee(&self) -> Result<FeeRate> {
        let chain = self.chain();
        let rate = chain.pool().min_fee_per_kvb(chain.policy());
        Ok(FeeRate::per_kvb(rate))
    }

    fn relay_min_fee(&self) -> Result<FeeRate> {
        Ok(FeeRate::per_kvb(
            self.chain().policy().min_relay_fee_per_kvb,
        ))
    }

    fn relay_incremental_fee(&self) -> Result<FeeRate> {
        Ok(FeeRate::per_kvb(
            self.chain().policy().incremental_relay_fee_per_kvb,
        ))
    }

    fn relay_dust_fee(&self) -> Result<FeeRate> {
        Ok(FeeRate::per_kvb(
            self.chain().policy().dust_relay_fee_per_kvb,
        ))
    }

    fn have_pruned(&self) -> Result<bool> {
        Ok(self.chain().lock().have_pruned())
    }

    fn get_prune_height(&self) -> Result<Option<i32>> {
        let cs = self.chain().lock();
        Ok(cs
            .have_pruned()
            .then(|| cs.prune_height())
            .flatten()
            .map(|h| h as i32))
    }

    fn is_ready_to_broadcast(&self) -> Result<bool> {
        let cs = self.chain().lock();
        Ok(!cs.is_importing() && !cs.is_initial_block_download())
    }

    fn is_initial_block_download(&self) -> Result<bool> {
        Ok(self.chain().lock().is_initial_block_download())
    }

    fn shutdown_requested(&self) -> Result<bool> {
        Ok(self.0.shutdown.is_requested())
    }

    fn init_message(&self, message: &str) -> Result<()> {
        self.0.ui.init_message(message);
        Ok(())
    }

    fn init_warning(&self, message: &BilingualStr) -> Result<()> {
        self.0.ui.init_warning(message);
        Ok(())
    }

    fn init_error(&self, message: &BilingualStr) -> Result<()> {
        self.0.ui.init_error(message);
        Ok(())
    }

    fn show_progress(&self, title: &str, progress: i32, resume_possible: bool) -> Result<()> {
        self.0.ui.show_progress(title, progress, resume_possible);
        Ok(())
    }

    fn handle_notifications(
        &self,
        notifications: Box<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>> {
        let signals = self.chain().signals().clone();
        let id = signals.subscribe_in_lane(
            self.1,
            Arc::new(Notifier {
                client: Arc::from(notifications),
                chain: self.0.chain.clone(),
                time_max: self.0.time_max.clone(),
            }),
        );
        let weak = Arc::downgrade(&signals);
        Ok(Registration::handler(move || {
            if let Some(s) = weak.upgrade() {
                s.unsubscribe(id);
            }
        }))
    }

    fn wait_for_notifications_if_tip_changed(&self, old_tip: &BlockHash) -> Result<()> {
        let tip = chainstate_service::ChainView::tip(&*self.0.chain).1;
        if tip != *old_tip {
            // This client's events only: another client that hangs does
            // not hold this one up.
            self.chain().signals().wait_idle_for(self.1);
        }
        Ok(())
    }

    fn handle_rpc(&self, command: &RpcCommand) -> Result<Box<dyn Handler>> {
        Ok(self.0.actors.register(&self.0.table, command, self.1))
    }

    fn rpc_enable_deprecated(&self, method: &str) -> Result<bool> {
        Ok(self
            .0
            .args
            .get_args("-deprecatedrpc")
            .iter()
            .any(|m| m == method))
    }

    fn get_setting(&self, name: &str) -> Result<String> {
        Ok(self.0.args.get_setting(&format!("-{name}")).to_string())
    }

    fn get_settings_list(&self, name: &str) -> Result<Vec<String>> {
        Ok(self
            .0
            .args
            .get_settings_list(&format!("-{name}"))
            .iter()
            .map(|v| v.to_string())
            .collect())
    }

    fn get_rw_setting(&self, name: &str) -> Result<String> {
        Ok(self
            .0
            .args
            .lock_settings(|s| s.rw_settings.get(name).cloned())
            .unwrap_or(serde_json::Value::Null)
            .to_string())
    }

    fn update_rw_setting(
        &self,
        name: &str,
        update: Box<dyn SettingsUpdateCallback>,
    ) -> Result<bool> {
        // Asked outside the settings lock: the callback may be remote.
        let current = self.get_rw_setting(name)?;
        let (value, action) = update.call(&current)?;
        let value = json(&value)?;
        Ok(self.rw_setting_update(name, |v| {
            *v = value;
            action
        }))
    }

    fn overwrite_rw_setting(
        &self,
        name: &str,
        value: &str,
        action: SettingsAction,
    ) -> Result<bool> {
        let value = json(value)?;
        Ok(self.rw_setting_update(name, |v| {
            *v = value;
            Some(action)
        }))
    }

    fn delete_rw_settings(&self, name: &str, action: SettingsAction) -> Result<bool> {
        Ok(self.rw_setting_update(name, |v| {
            *v = serde_json::Value::Null;
            Some(action)
        }))
    }

    fn request_mempool_transactions(
        &self,
        notifications: Box<dyn ChainNotifications>,
    ) -> Result<()> {
        // On the event thread, so that no block's events overtake these.
        self.chain()
            .with_mempool_in_event_order(self.1, move |txs| {
                txs.iter()
                    .try_for_each(|tx| notifications.transaction_added_to_mempool(tx))
            })
            .unwrap_or(Err(interfaces::Error::Canceled))
    }

    fn has_assumed_valid_chain(&self) -> Result<bool> {
        Ok(self.chain().lock().snapshot_base().is_some())
    }
}

/// The estimator's account of an estimate in the interface's terms.
fn fee_calculation(desired: i32, calc: &mempool::fee_estimator::FeeCalculation) -> FeeCalculation {
    let bucket = |b: &mempool::fee_estimator::EstimatorBucket| EstimatorBucket {
        start: b.start,
        end: b.end,
        within_target: b.within_target,
        total_confirmed: b.total_confirmed,
        in_mempool: b.in_mempool,
        left_mempool: b.left_mempool,
    };
    FeeCalculation {
        est: EstimationResult {
            pass: bucket(&calc.est.pass),
            fail: bucket(&calc.est.fail),
            decay: calc.est.decay,
            scale: calc.est.scale,
        },
        reason: calc.reason as i32,
        desired_target: desired,
        returned_target: i32::try_from(calc.returned_target).unwrap_or(i32::MAX),
        best_height: calc.best_height,
    }
}
