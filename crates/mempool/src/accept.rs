//! Accepting a transaction into the pool (Core's `AcceptToMemoryPool`, the
//! single-transaction path): consensus checks against the tip's coins plus
//! the pool, the basic standardness rules, minimum relay fee, replacement of
//! conflicting pool transactions (full RBF with BIP125's fee rules) and
//! scripts under the standard flags. Reject reasons are Core's.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, TxOut, Txid};
use chain::Chainstate;
use consensus::flags::{
    LOCKTIME_VERIFY_SEQUENCE, SCRIPT_VERIFY_CLEANSTACK, SCRIPT_VERIFY_WITNESS,
    STANDARD_SCRIPT_VERIFY_FLAGS,
};
use consensus::script::check_input_scripts;
use consensus::tx_check::{check_transaction, COINBASE_MATURITY};
use consensus::tx_verify::{
    check_tx_inputs, format_money, get_transaction_sigop_cost, is_final_tx, sequence_locks,
};
use consensus::{Coin, CoinsView, ConsensusScriptVerifier, TxResult, ValidationError};

use crate::diagram;
use crate::pool::{Entry, Mempool, PoolCoins, RemovalReason};
use crate::truc::TrucFailure;

/// Core's `MAX_STANDARD_TX_SIGOPS_COST`: a fifth of a block's sigop budget.
const MAX_STANDARD_TX_SIGOPS_COST: u64 = consensus::tx_check::MAX_BLOCK_SIGOPS_COST / 5;

/// Largest standard transaction weight.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// Smallest standard serialized size without witness.
const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;

/// Default `-limitancestorcount`.
pub const DEFAULT_ANCESTOR_LIMIT: i64 = 25;
/// Default `-limitdescendantcount`.
pub const DEFAULT_DESCENDANT_LIMIT: i64 = 25;

/// Policy settings for acceptance.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Minimum relay fee rate in sat/kvB (`-minrelaytxfee`).
    pub min_relay_fee_per_kvb: i64,
    /// Refuse non-standard transactions (off with `-acceptnonstdtxn` on test chains).
    pub require_standard: bool,
    /// Fee rate in sat/kvB a replacement must add over what it evicts
    /// (`-incrementalrelayfee`).
    pub incremental_relay_fee_per_kvb: i64,
    /// Fee rate in sat/kvB below which outputs are dust (`-dustrelayfee`).
    pub dust_relay_fee_per_kvb: i64,
    /// Data-carrier bytes a transaction may hold; `None` refuses them
    /// (`-datacarrier`, `-datacarriersize`).
    pub max_datacarrier_bytes: Option<u64>,
    /// Relay bare multisig outputs (`-permitbaremultisig`).
    pub permit_bare_multisig: bool,
    /// Virtual bytes each signature operation counts as (`-bytespersigop`).
    pub bytes_per_sigop: u64,
    /// Most transactions in one cluster (`-limitclustercount`).
    pub cluster_count: usize,
    /// Most virtual bytes in one cluster (`-limitclustersize`, in kvB).
    pub cluster_vbytes: u64,
    /// Transactions in a package of an entry and its ancestors
    /// (`-limitancestorcount`); only the wallet's coin selection uses it.
    pub ancestor_count: i64,
    /// Transactions in a package of an entry and its descendants
    /// (`-limitdescendantcount`); only the wallet's coin selection uses it.
    pub descendant_count: i64,
    /// Seconds a transaction may stay in the pool (`-mempoolexpiry`, in hours).
    pub expiry_secs: i64,
    /// Most estimated memory the pool may take (`-maxmempool`, in MB).
    pub max_mempool_bytes: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_relay_fee_per_kvb: 100,
            require_standard: true,
            incremental_relay_fee_per_kvb: 100,
            dust_relay_fee_per_kvb: crate::dust::DUST_RELAY_TX_FEE,
            max_datacarrier_bytes: Some(MAX_STANDARD_TX_WEIGHT / 4),
            permit_bare_multisig: true,
            bytes_per_sigop: 20,
            cluster_count: 64,
            cluster_vbytes: 101_000,
            ancestor_count: DEFAULT_ANCESTOR_LIMIT,
            descendant_count: DEFAULT_DESCENDANT_LIMIT,
            expiry_secs: DEFAULT_EXPIRY_HOURS * 60 * 60,
            max_mempool_bytes: crate::size_limit::DEFAULT_MAX_MEMPOOL_MB as u64 * 1_000_000,
        }
    }
}

/// Core's default `-mempoolexpiry`, in hours.
pub const DEFAULT_EXPIRY_HOURS: i64 = 336;

/// What a replacement evicts: the transactions it conflicts with (or the
/// TRUC sibling it displaces) and all their descendants.
#[derive(Clone, Copy)]
struct Replacement<'a> {
    evicted: &'a HashSet<Txid>,
    sibling_eviction: bool,
}

/// Most clusters one replacement may conflict with (Core's
/// `MAX_REPLACEMENT_CANDIDATES`).
pub(crate) const MAX_REPLACEMENT_CANDIDATES: usize = 100;

/// The pool's coins as a replacement sees them: outputs spent only by
/// transactions it evicts are available again, and the evicted
/// transactions' own outputs are gone.
struct ReplacingView<'a> {
    pool_view: PoolCoins<'a>,
    evicted: &'a HashSet<Txid>,
}

impl CoinsView for ReplacingView<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        if self.evicted.contains(&outpoint.txid) {
            return None;
        }
        let pool = self.pool_view.pool;
        match pool.spent_by.get(outpoint) {
            Some(spender) if self.evicted.contains(spender) => {
                match pool.entries.get(&outpoint.txid) {
                    Some(e) => e.tx.output.get(outpoint.vout as usize).map(|o| Coin {
                        output: o.clone(),
                        height: self.pool_view.pool_height,
                        is_coinbase: false,
                    }),
                    None => self.pool_view.chain.coin(outpoint),
                }
            }
            _ => self.pool_view.coin(outpoint),
        }
    }
}

/// How [`Mempool::accept_with`] judges a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AcceptMode {
    /// On its own, every rule applies.
    Normal,
    /// Returning from a disconnected block: the limits that do not apply
    /// to such transactions are bypassed (Core's `bypass_limits`: minimum
    /// fee rate, TRUC topology, ephemeral spends, cluster limits).
    Reorg,
    /// A package member: its own feerate is not checked, the package's is.
    Package,
    /// A member of a package under test (`testmempoolaccept`): every rule
    /// applies, and no pool transaction may be replaced.
    PackageTest,
}

/// One chunk of a cluster (see [`Mempool::cluster_chunks`]).
#[derive(Debug, Clone)]
pub struct ClusterChunk {
    /// Modified fees of its transactions.
    pub fee: i64,
    /// Sigop-adjusted weight of its transactions.
    pub weight: i64,
    /// Its transactions in mining order.
    pub txids: Vec<Txid>,
}

/// A transaction that passed every check, with its fee and size.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Transaction id.
    pub txid: Txid,
    /// Fee in satoshis.
    pub fee: i64,
    /// Virtual size in vbytes.
    pub vsize: u64,
}

fn reject(
    result: TxResult,
    reason: impl Into<String>,
    debug: impl Into<String>,
) -> ValidationError {
    ValidationError::tx(result, reason, debug)
}

fn policy_checks(tx: &Transaction, policy: &Policy) -> Result<(), ValidationError> {
    if !policy.require_standard {
        return size_check(tx);
    }
    let version = tx.version.0;
    if !(1..=3).contains(&version) {
        return Err(reject(TxResult::NotStandard, "version", ""));
    }
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err(reject(TxResult::NotStandard, "tx-size", ""));
    }
    for input in &tx.input {
        if input.script_sig.len() > 1650 {
            return Err(reject(TxResult::NotStandard, "scriptsig-size", ""));
        }
        if !input.script_sig.is_push_only() {
            return Err(reject(TxResult::NotStandard, "scriptsig-not-pushonly", ""));
        }
    }
    let mut datacarrier_left = policy.max_datacarrier_bytes.unwrap_or(0);
    for out in &tx.output {
        let spk = &out.script_pubkey;
        if !crate::standard::is_standard_output(spk) {
            return Err(reject(TxResult::NotStandard, "scriptpubkey", ""));
        }
        if crate::standard::is_null_data(spk) {
            let size = spk.len() as u64;
            if size > datacarrier_left {
                return Err(reject(TxResult::NotStandard, "datacarrier", ""));
            }
            datacarrier_left -= size;
        } else if !policy.permit_bare_multisig && crate::standard::is_bare_multisig(spk) {
            return Err(reject(TxResult::NotStandard, "bare-multisig", ""));
        }
    }
    let dust = crate::dust::dust_outputs(tx, policy.dust_relay_fee_per_kvb);
    if dust.len() > crate::dust::MAX_DUST_OUTPUTS_PER_TX {
        return Err(reject(TxResult::NotStandard, "dust", ""));
    }
    size_check(tx)
}

/// Applies even to non-standard transactions, after the standardness rules
/// (as Core's `PreChecks`).
fn size_check(tx: &Transaction) -> Result<(), ValidationError> {
    if bitcoin::consensus::encode::serialize(&strip_witness(tx)).len()
        < MIN_STANDARD_TX_NONWITNESS_SIZE
    {
        return Err(reject(TxResult::NotStandard, "tx-size-small", ""));
    }
    Ok(())
}

fn strip_witness(tx: &Transaction) -> Transaction {
    let mut t = tx.clone();
    for i in &mut t.input {
        i.witness.clear();
    }
    t
}

impl Mempool {
    /// Checks `tx` against the tip of `cs` and the pool; with `test_only`
    /// nothing is added.
    pub fn accept(
        &mut self,
        cs: &Chainstate,
        tx: Arc<Transaction>,
        policy: &Policy,
        test_only: bool,
    ) -> Result<Accepted, ValidationError> {
        let accepted = self.accept_with(cs, tx, policy, test_only, AcceptMode::Normal)?;
        if !test_only {
            self.limit_size(policy);
            if !self.entries.contains_key(&accepted.txid) {
                // Could still get in with a child paying for it (Core's
                // TX_RECONSIDERABLE).
                return Err(reject(TxResult::Reconsiderable, "mempool full", ""));
            }
        }
        Ok(accepted)
    }

    /// Core's `LimitMempoolSize`: expired entries leave, then the cheapest
    /// chunks until the pool fits `-maxmempool`.
    pub(crate) fn limit_size(&mut self, policy: &Policy) {
        self.expire(common::time::now_secs().saturating_sub(policy.expiry_secs));
        self.trim_to_size(policy);
    }

    /// [`Mempool::accept`] in one of the [`AcceptMode`]s.
    pub(crate) fn accept_with(
        &mut self,
        cs: &Chainstate,
        tx: Arc<Transaction>,
        policy: &Policy,
        test_only: bool,
        mode: AcceptMode,
    ) -> Result<Accepted, ValidationError> {
        let bypass_limits = mode == AcceptMode::Reorg;
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        check_transaction(&tx)?;
        if tx.is_coinbase() {
            return Err(reject(TxResult::Consensus, "coinbase", ""));
        }
        policy_checks(&tx, policy)?;
        let tip = cs
            .tip_entry()
            .ok_or_else(|| reject(TxResult::Unknown, "no-tip", ""))?;
        let prev = tip.info();
        let height = tip.height + 1;
        if !is_final_tx(&tx, height, i64::from(prev.median_time_past)) {
            return Err(reject(
                TxResult::Consensus,
                "non-final",
                "non-final transaction",
            ));
        }
        if self.by_wtxid.contains_key(&wtxid) {
            return Err(reject(TxResult::Conflict, "txn-already-in-mempool", ""));
        }
        if self.entries.contains_key(&txid) {
            return Err(reject(
                TxResult::Conflict,
                "txn-same-nonwitness-data-in-mempool",
                "",
            ));
        }
        // Every spend conflicts with what the pool holds for the same
        // outputs; the pool's spenders are replaced if the rules allow it.
        let direct: HashSet<Txid> = tx
            .input
            .iter()
            .filter_map(|i| self.spent_by.get(&i.previous_output).copied())
            .collect();
        if mode == AcceptMode::PackageTest && !direct.is_empty() {
            return Err(reject(
                TxResult::MempoolPolicy,
                "bip125-replacement-disallowed",
                "",
            ));
        }
        let clusters = self.cluster_count(&direct);
        if clusters > MAX_REPLACEMENT_CANDIDATES {
            return Err(reject(
                TxResult::MempoolPolicy,
                "too many potential replacements",
                format!(
                    "rejecting replacement {txid}; too many conflicting clusters ({clusters} > {MAX_REPLACEMENT_CANDIDATES})"
                ),
            ));
        }
        let evicted = self.with_descendants(&direct);
        if let Some(i) = tx
            .input
            .iter()
            .find(|i| evicted.contains(&i.previous_output.txid))
        {
            return Err(reject(
                TxResult::Consensus,
                "bad-txns-spends-conflicting-tx",
                format!(
                    "{txid} spends conflicting transaction {}",
                    i.previous_output.txid
                ),
            ));
        }
        let view = ReplacingView {
            pool_view: PoolCoins {
                chain: cs.coins(),
                pool: self,
                pool_height: height,
            },
            evicted: &evicted,
        };
        let mut spent: Vec<TxOut> = Vec::with_capacity(tx.input.len());
        let mut prev_heights = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            match view.coin(&input.previous_output) {
                Some(c) => {
                    prev_heights.push(c.height);
                    spent.push(c.output);
                }
                None => {
                    let known = (0..tx.output.len() as u32)
                        .any(|v| cs.coins().coin(&OutPoint::new(txid, v)).is_some());
                    if known {
                        return Err(reject(TxResult::Conflict, "txn-already-known", ""));
                    }
                    return Err(reject(
                        TxResult::MissingInputs,
                        "bad-txns-inputs-missingorspent",
                        "",
                    ));
                }
            }
        }
        let fee = check_tx_inputs(&tx, &view, height)?.to_sat() as i64;
        if !sequence_locks(
            &tx,
            LOCKTIME_VERIFY_SEQUENCE,
            &prev_heights,
            &prev,
            cs.index(),
        ) {
            return Err(reject(TxResult::Consensus, "non-BIP68-final", ""));
        }
        if policy.require_standard {
            crate::input_standard::validate_inputs_standardness(&tx, &spent)?;
            let has_witness = tx.input.iter().any(|i| !i.witness.is_empty());
            if has_witness && !crate::input_standard::is_witness_standard(&tx, &spent) {
                return Err(reject(
                    TxResult::WitnessMutated,
                    "bad-witness-nonstandard",
                    "",
                ));
            }
        }
        // Dust must not pay to be mined on its own (ephemeral dust).
        let modified_fee = fee.saturating_add(self.fee_delta(&txid));
        if policy.require_standard
            && (fee != 0 || modified_fee != 0)
            && !crate::dust::dust_outputs(&tx, policy.dust_relay_fee_per_kvb).is_empty()
        {
            return Err(reject(
                TxResult::NotStandard,
                "dust",
                "tx with dust output must be 0-fee",
            ));
        }
        let sigop_cost = get_transaction_sigop_cost(&tx, &view, STANDARD_SCRIPT_VERIFY_FLAGS);
        if sigop_cost > MAX_STANDARD_TX_SIGOPS_COST {
            return Err(reject(
                TxResult::NotStandard,
                "bad-txns-too-many-sigops",
                sigop_cost.to_string(),
            ));
        }
        // Sigop-heavy transactions count as bigger (Core's
        // GetVirtualTransactionSize with -bytespersigop).
        let weight = tx.weight().to_wu();
        let vsize = weight
            .max(sigop_cost.saturating_mul(policy.bytes_per_sigop))
            .div_ceil(4);
        // Core rounds the minimum fee up.
        let min_fee = crate::size_limit::fee_at(policy.min_relay_fee_per_kvb, vsize);
        // A prioritised transaction is judged by its modified fee, as in Core.
        // A package member's feerate is judged with the package's instead.
        let judge_feerate = mode != AcceptMode::Package && !bypass_limits;
        if judge_feerate {
            let pool_min = crate::size_limit::fee_at(self.min_fee_per_kvb(policy), vsize);
            if pool_min > 0 && modified_fee < pool_min {
                return Err(reject(
                    TxResult::Reconsiderable,
                    "mempool min fee not met",
                    format!("{modified_fee} < {pool_min}"),
                ));
            }
        }
        // Reconsiderable, as Core: a child may pay for it in a package.
        if judge_feerate && modified_fee < min_fee {
            return Err(reject(
                TxResult::Reconsiderable,
                "min relay fee not met",
                format!("{fee} < {min_fee}"),
            ));
        }
        // A TRUC child may replace its parent's other child (sibling eviction).
        let truc = if bypass_limits {
            Ok(())
        } else {
            self.truc_checks(&tx, (txid, wtxid), vsize, &direct)
        };
        // Package members never evict siblings (Core allows it only for a
        // transaction judged on its own).
        let may_evict_sibling = matches!(mode, AcceptMode::Normal | AcceptMode::Reorg);
        let sibling = match truc {
            Ok(()) => None,
            Err(TrucFailure {
                sibling: Some(s), ..
            }) if may_evict_sibling => Some(s),
            Err(f) => return Err(f.error),
        };
        let mut direct = direct;
        let mut evicted = evicted;
        if let Some(s) = sibling {
            direct.insert(s);
            evicted.extend(self.with_descendants(&HashSet::from([s])));
        }
        // A package's replacements are judged for the package as a whole
        // (package RBF) before its members are added.
        if !direct.is_empty() && mode != AcceptMode::Package {
            let replacement = Replacement {
                evicted: &evicted,
                sibling_eviction: sibling.is_some(),
            };
            self.check_replacement(&tx, (&txid, fee, vsize), &replacement, policy)?;
        }
        let adjusted_weight = weight.max(sigop_cost.saturating_mul(policy.bytes_per_sigop));
        if !bypass_limits && self.cluster_too_large(&tx, adjusted_weight, &evicted, policy) {
            return Err(reject(TxResult::MempoolPolicy, "too-large-cluster", ""));
        }
        if policy.require_standard && !bypass_limits {
            self.check_ephemeral_spends(&tx, (txid, wtxid), policy.dust_relay_fee_per_kvb)?;
        }
        check_input_scripts(
            &tx,
            &spent,
            STANDARD_SCRIPT_VERIFY_FLAGS,
            &ConsensusScriptVerifier,
        )
        .map_err(|e| {
            // Only the witness is missing: a complete copy may be fine, so the
            // refusal must not stick to the txid (Core's TX_WITNESS_STRIPPED).
            let without_witness =
                STANDARD_SCRIPT_VERIFY_FLAGS & !(SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_CLEANSTACK);
            let stripped = !consensus::codec::has_witness(&tx)
                && check_input_scripts(&tx, &spent, without_witness, &ConsensusScriptVerifier)
                    .is_ok();
            if stripped {
                reject(TxResult::WitnessStripped, &e.reason, &e.debug)
            } else {
                e
            }
        })?;
        if !test_only {
            for old in &direct {
                tracing::debug!(target: "mempool", "replacing mempool tx {old} with {txid}");
                self.remove_recursive(old, crate::pool::RemovalReason::Replaced);
            }
            let has_pool_parents = tx
                .input
                .iter()
                .any(|i| self.entries.contains_key(&i.previous_output.txid));
            self.insert(Entry {
                tx: tx.clone(),
                wtxid,
                fee,
                vsize,
                weight: tx.weight().to_wu(),
                sigop_cost,
                time: common::time::now_secs(),
                height: tip.height,
                sequence: 0,
            });
            // Only fee rates chosen to confirm on their own, seen while in
            // sync, say something about what confirms (Core's
            // `validFeeEstimate`).
            let valid_for_estimate = !bypass_limits
                && mode == AcceptMode::Normal
                && !self.submitting_package
                && !has_pool_parents
                && !cs.is_initial_block_download();
            if let Some(mut estimator) = self.estimator() {
                let entry = crate::fee_estimator::EstimatorTx {
                    txid,
                    height: tip.height,
                    fee,
                    vsize,
                };
                estimator.process_transaction(&entry, valid_for_estimate);
            }
        }
        Ok(Accepted { txid, fee, vsize })
    }

    /// `txids` and everything in the pool that descends from them.
    pub(crate) fn with_descendants(&self, txids: &HashSet<Txid>) -> HashSet<Txid> {
        let mut out = HashSet::new();
        let mut stack: Vec<Txid> = txids.iter().copied().collect();
        while let Some(t) = stack.pop() {
            if !out.insert(t) {
                continue;
            }
            if let Some(e) = self.entries.get(&t) {
                for vout in 0..e.tx.output.len() as u32 {
                    if let Some(child) = self.spent_by.get(&OutPoint::new(t, vout)) {
                        stack.push(*child);
                    }
                }
            }
        }
        out
    }

    /// The replacement rules of Core's cluster mempool: the replacement pays
    /// at least the fees of everything it evicts, plus the incremental relay
    /// fee for its own size, and the clusters it touches end up with a
    /// strictly better feerate diagram. Fees are modified fees.
    fn check_replacement(
        &self,
        tx: &Transaction,
        (txid, fee, vsize): (&Txid, i64, u64),
        replacement: &Replacement<'_>,
        policy: &Policy,
    ) -> Result<(), ValidationError> {
        let Replacement {
            evicted,
            sibling_eviction,
            ..
        } = *replacement;
        let new_fee = fee.saturating_add(self.fee_delta(txid));
        let suffix = if sibling_eviction {
            " (including sibling eviction)"
        } else {
            ""
        };
        // Reconsiderable, as Core: the result may differ within a package.
        let insufficient = |debug: String| {
            reject(
                TxResult::Reconsiderable,
                format!("insufficient fee{suffix}"),
                debug,
            )
        };
        let evicted_fees: i64 = evicted
            .iter()
            .filter_map(|t| {
                self.entries
                    .get(t)
                    .map(|e| e.fee.saturating_add(self.fee_delta(t)))
            })
            .sum();
        if new_fee < evicted_fees {
            return Err(insufficient(format!(
                "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                format_money(new_fee),
                format_money(evicted_fees)
            )));
        }
        // Core rounds the relay fee up.
        let relay = (policy.incremental_relay_fee_per_kvb * vsize as i64 + 999) / 1000;
        if new_fee - evicted_fees < relay {
            return Err(insufficient(format!(
                "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
                format_money(new_fee - evicted_fees),
                format_money(relay)
            )));
        }
        if !self.improves_diagram(tx, (*txid, new_fee, vsize), evicted) {
            return Err(reject(
                TxResult::Reconsiderable,
                "replacement-failed",
                "insufficient feerate: does not improve feerate diagram",
            ));
        }
        Ok(())
    }

    /// Whether adding `tx` (with its modified fee and size) and removing
    /// `evicted` strictly improves the feerate diagram of the clusters
    /// involved.
    fn improves_diagram(
        &self,
        tx: &Transaction,
        (txid, fee, vsize): (Txid, i64, u64),
        evicted: &HashSet<Txid>,
    ) -> bool {
        let parents = |t: &Transaction| -> Vec<Txid> {
            t.input
                .iter()
                .map(|i| i.previous_output.txid)
                .filter(|p| self.entries.contains_key(p))
                .collect()
        };
        let new_parents: Vec<Txid> = parents(tx)
            .into_iter()
            .filter(|p| !evicted.contains(p))
            .collect();
        let cluster = self.cluster_of(evicted.iter().chain(&new_parents).copied());
        let node = |t: &Txid| {
            self.entries.get(t).map(|e| diagram::Node {
                txid: *t,
                fee: e.fee.saturating_add(self.fee_delta(t)),
                size: e.vsize as i64,
                parents: parents(&e.tx),
            })
        };
        let old: Vec<diagram::Node> = cluster.iter().filter_map(node).collect();
        let mut new: Vec<diagram::Node> = cluster
            .iter()
            .filter(|t| !evicted.contains(*t))
            .filter_map(node)
            .collect();
        new.push(diagram::Node {
            txid,
            fee,
            size: vsize as i64,
            parents: new_parents,
        });
        diagram::strictly_improves(&diagram::chunks(&new), &diagram::chunks(&old))
    }

    /// Whether `tx` (of `vsize`) would join a cluster beyond the limits,
    /// once `evicted` is gone.
    /// Whether `tx` would join a cluster over the count or size limits
    /// (Core's `CheckPolicyLimits`, which the wallet asks before it commits
    /// a transaction under `-walletrejectlongchains`).
    pub fn exceeds_cluster_limits(&self, tx: &Transaction, policy: &Policy) -> bool {
        self.cluster_too_large(tx, tx.weight().to_wu(), &HashSet::new(), policy)
    }

    /// [`Self::exceeds_cluster_limits`] for `tx` of sigop-adjusted weight
    /// `adjusted_weight`. Sizes add up in weight units against
    /// `-limitclustersize` times four, as Core's transaction graph counts
    /// them (summing rounded-up vsizes would refuse what Core takes).
    fn cluster_too_large(
        &self,
        tx: &Transaction,
        adjusted_weight: u64,
        evicted: &HashSet<Txid>,
        policy: &Policy,
    ) -> bool {
        let parents = tx
            .input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|p| !evicted.contains(p));
        let cluster = self.cluster_of(parents);
        let members = cluster.iter().filter(|t| !evicted.contains(*t));
        let (count, size) = members.fold((1usize, adjusted_weight), |(n, w), t| {
            (
                n + 1,
                w + self.entries.get(t).map_or(0, |e| cluster_weight(e, policy)),
            )
        });
        count > policy.cluster_count || size > policy.cluster_vbytes.saturating_mul(4)
    }

    /// How many distinct clusters hold `txids`.
    pub(crate) fn cluster_count(&self, txids: &HashSet<Txid>) -> usize {
        let mut covered: HashSet<Txid> = HashSet::new();
        let mut count = 0;
        for t in txids {
            if !covered.contains(t) {
                count += 1;
                covered.extend(self.cluster_of(std::iter::once(*t)));
            }
        }
        count
    }

    /// `members` as feerate-diagram nodes: modified fees, sizes by `size`,
    /// and the parents among `members`.
    pub(crate) fn diagram_nodes(
        &self,
        members: &HashSet<Txid>,
        size: impl Fn(&Entry) -> i64,
    ) -> Vec<diagram::Node> {
        members
            .iter()
            .filter_map(|t| {
                self.entries.get(t).map(|e| diagram::Node {
                    txid: *t,
                    fee: self.modified_fee(e),
                    size: size(e),
                    parents: e
                        .tx
                        .input
                        .iter()
                        .map(|i| i.previous_output.txid)
                        .filter(|p| members.contains(p))
                        .collect(),
                })
            })
            .collect()
    }

    /// The cluster holding `txid`, chunked in mining order (`getmempoolcluster`):
    /// each chunk's modified fee, sigop-adjusted weight and transactions.
    /// Weights are Core's adjusted weight: at least `bytes_per_sigop` per
    /// sigop.
    pub fn cluster_chunks(&self, txid: &Txid, bytes_per_sigop: u64) -> Option<Vec<ClusterChunk>> {
        self.entries.get(txid)?;
        let cluster = self.cluster_of(std::iter::once(*txid));
        let nodes = self.diagram_nodes(&cluster, |e| {
            e.weight.max(e.sigop_cost.saturating_mul(bytes_per_sigop)) as i64
        });
        Some(
            diagram::chunks_with_members(&nodes)
                .into_iter()
                .map(|(f, txids)| ClusterChunk {
                    fee: f.fee,
                    weight: f.size,
                    txids,
                })
                .collect(),
        )
    }

    /// Whether every cluster is linearized optimally (`getmempoolinfo`'s
    /// `optimal`): true when none is too big for the exact search.
    pub fn known_optimal(&self) -> bool {
        let mut covered: HashSet<Txid> = HashSet::new();
        for t in self.entries.keys() {
            if covered.contains(t) {
                continue;
            }
            let cluster = self.cluster_of(std::iter::once(*t));
            if !diagram::linearized_optimally(cluster.len()) {
                return false;
            }
            covered.extend(cluster);
        }
        true
    }

    /// The transactions connected to `seeds` through spends, in either direction.
    pub(crate) fn cluster_of(&self, seeds: impl Iterator<Item = Txid>) -> HashSet<Txid> {
        let mut out = HashSet::new();
        let mut stack: Vec<Txid> = seeds.collect();
        while let Some(t) = stack.pop() {
            let Some(e) = self.entries.get(&t) else {
                continue;
            };
            if !out.insert(t) {
                continue;
            }
            stack.extend(e.tx.input.iter().map(|i| i.previous_output.txid));
            for vout in 0..e.tx.output.len() as u32 {
                if let Some(child) = self.spent_by.get(&OutPoint::new(t, vout)) {
                    stack.push(*child);
                }
            }
        }
        out
    }

    /// Accepts again the transactions of disconnected blocks that are still
    /// valid on the new tip (after a reorg).
    pub fn readd_disconnected(&mut self, cs: &Chainstate, policy: &Policy) {
        if !std::mem::take(&mut self.reorged) {
            return;
        }
        let disconnected = self.take_disconnected();
        for tx in disconnected {
            if let Err(e) = self.accept_with(cs, tx.clone(), policy, false, AcceptMode::Reorg) {
                tracing::debug!(target: "mempool", "reorg: {} not re-added: {e}", tx.compute_txid());
            }
        }
        self.remove_for_reorg(cs);
        self.trim_oversized_clusters(policy);
        // Returned transactions bypassed the size limit too (Core calls
        // `LimitMempoolSize` after updating the pool for a reorg).
        self.limit_size(policy);
        self.announce_deferred_connected();
    }

    /// Re-added transactions bypass the cluster limits, so afterwards every
    /// cluster over `-limitclustercount` / `-limitclustersize` keeps only
    /// the longest parents-first prefix that fits and loses the rest with
    /// their descendants (Core trims its transaction graph the same way).
    fn trim_oversized_clusters(&mut self, policy: &Policy) {
        let mut seen: HashSet<Txid> = HashSet::new();
        let txids: Vec<Txid> = self.entries.keys().copied().collect();
        for t in txids {
            if seen.contains(&t) || !self.entries.contains_key(&t) {
                continue;
            }
            let cluster = self.cluster_of(std::iter::once(t));
            seen.extend(cluster.iter().copied());
            let max_weight = policy.cluster_vbytes.saturating_mul(4);
            let weight: u64 = cluster
                .iter()
                .filter_map(|c| self.entries.get(c))
                .map(|e| cluster_weight(e, policy))
                .sum();
            if cluster.len() <= policy.cluster_count && weight <= max_weight {
                continue;
            }
            let (mut count, mut size) = (0usize, 0u64);
            for member in self.parents_first(&cluster) {
                let Some(w) = self.entries.get(&member).map(|e| cluster_weight(e, policy)) else {
                    continue; // already gone with an ancestor
                };
                if count + 1 > policy.cluster_count || size + w > max_weight {
                    self.remove_recursive(&member, RemovalReason::Reorg);
                } else {
                    count += 1;
                    size += w;
                }
            }
        }
    }

    /// `cluster`'s members, every parent before its children and otherwise
    /// oldest first.
    fn parents_first(&self, cluster: &HashSet<Txid>) -> Vec<Txid> {
        let mut left: Vec<(u64, Txid)> = cluster
            .iter()
            .filter_map(|t| self.entries.get(t).map(|e| (e.sequence, *t)))
            .collect();
        left.sort();
        let mut placed: HashSet<Txid> = HashSet::new();
        let mut out = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let ready = left.iter().position(|(_, t)| {
                self.entries.get(t).is_none_or(|e| {
                    e.tx.input.iter().all(|i| {
                        let p = i.previous_output.txid;
                        !cluster.contains(&p) || placed.contains(&p)
                    })
                })
            });
            // A cycle cannot happen among valid spends; take the oldest anyway.
            let (_, t) = left.remove(ready.unwrap_or(0));
            placed.insert(t);
            out.push(t);
        }
        out
    }

    /// After a reorg, drops what the new tip no longer allows (Core's
    /// `removeForReorg`): non-final transactions, unmet sequence locks and
    /// spends of coinbases that are immature again, with their descendants.
    fn remove_for_reorg(&mut self, cs: &Chainstate) {
        let Some(tip) = cs.tip_entry() else { return };
        let prev = tip.info();
        let height = tip.height + 1;
        let stale: Vec<Txid> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                let tx = &e.tx;
                if !is_final_tx(tx, height, i64::from(prev.median_time_past)) {
                    return true;
                }
                let mut prev_heights = Vec::with_capacity(tx.input.len());
                for input in &tx.input {
                    let op = &input.previous_output;
                    if self.entries.contains_key(&op.txid) {
                        prev_heights.push(height);
                        continue;
                    }
                    match cs.coins().coin(op) {
                        Some(c)
                            if c.is_coinbase
                                && height.saturating_sub(c.height) < COINBASE_MATURITY =>
                        {
                            return true
                        }
                        Some(c) => prev_heights.push(c.height),
                        None => return true,
                    }
                }
                !sequence_locks(
                    tx,
                    LOCKTIME_VERIFY_SEQUENCE,
                    &prev_heights,
                    &prev,
                    cs.index(),
                )
            })
            .map(|(t, _)| *t)
            .collect();
        for txid in stale {
            tracing::debug!(target: "mempool", "reorg: removing {txid}, no longer valid at the tip");
            self.remove_recursive(&txid, crate::pool::RemovalReason::Reorg);
        }
    }
}

/// An entry's sigop-adjusted weight, what it counts against the cluster
/// size limit (Core's `GetAdjustedWeight`).
fn cluster_weight(e: &Entry, policy: &Policy) -> u64 {
    e.weight
        .max(e.sigop_cost.saturating_mul(policy.bytes_per_sigop))
}
