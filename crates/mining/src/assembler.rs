//! The node's one block assembler (Core's `BlockAssembler`): picks mempool
//! transactions by ancestor-package fee rate (modified fees, so
//! `prioritisetransaction` counts), within the weight and sigop limits,
//! and builds the block. `generate*`, `getblocktemplate` and the IPC
//! `Mining` service all come here, and it remembers the size of the last
//! block it assembled for `getmininginfo`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bitcoin::{Block, ScriptBuf, Transaction, Txid};
use chain::Chainstate;
use consensus::tx_check::MAX_BLOCK_SIGOPS_COST;
use consensus::tx_verify::is_final_tx;
use mempool::{Entry, Mempool};

use crate::args::MiningArgs;
use crate::miner::build_block;
use chainstate_service::NodeChain;

/// After this many packages in a row failed to fit a nearly full block,
/// stop looking (Core's heuristic, to finish quickly on big pools).
const MAX_CONSECUTIVE_FAILURES: u32 = 1000;
/// "Nearly full": within this much weight of the maximum.
const BLOCK_FULL_ENOUGH_WEIGHT_DELTA: u64 = 4000;

/// Which transactions go after the coinbase.
#[derive(Debug, Clone)]
pub enum Contents {
    /// The best the mempool offers.
    Mempool,
    /// Exactly these, in this order; their fees are not claimed (`generateblock`).
    Exactly(Vec<Transaction>),
}

/// One request to the assembler.
#[derive(Debug, Clone)]
pub struct Request {
    /// The coinbase output script.
    pub script: ScriptBuf,
    /// What to fill the block with.
    pub contents: Contents,
    /// Weight kept free for header and coinbase.
    pub reserved_weight: u64,
    /// Sigops kept free for extra coinbase outputs.
    pub additional_sigops: u64,
}

/// An assembled block and, per non-coinbase transaction, its fee and sigop cost.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// The block (nonce 0, not solved).
    pub block: Block,
    /// Its height.
    pub height: u32,
    /// Base fees, in block order after the coinbase.
    pub fees: Vec<i64>,
    /// Sigop costs, in the same order.
    pub sigops: Vec<i64>,
}

/// Size of the last assembled block as Core counts it: the reserved weight
/// plus the weight of the chosen transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastBlock {
    /// Reserved weight plus transaction weights.
    pub weight: u64,
    /// Transactions besides the coinbase.
    pub txs: u64,
}

/// The block assembler.
pub struct BlockAssembler {
    chain: Arc<NodeChain>,
    args: MiningArgs,
    last: Mutex<Option<LastBlock>>,
}

/// Running totals of a package: a transaction plus its ancestors not yet
/// in the block.
#[derive(Debug, Clone, Copy, Default)]
struct Package {
    fee: i64,
    vsize: u64,
    weight: u64,
    sigops: u64,
}

impl Package {
    fn of(e: &Entry, modified_fee: i64) -> Package {
        Package {
            fee: modified_fee,
            vsize: e.vsize,
            weight: e.weight,
            sigops: e.sigop_cost,
        }
    }

    fn add(&mut self, o: &Package, sign: i64) {
        self.fee += sign * o.fee;
        let apply = |v: u64, d: u64| {
            if sign > 0 {
                v + d
            } else {
                v.saturating_sub(d)
            }
        };
        self.vsize = apply(self.vsize, o.vsize);
        self.weight = apply(self.weight, o.weight);
        self.sigops = apply(self.sigops, o.sigops);
    }

    /// Whether this package pays a higher fee rate than `o`.
    fn better_than(&self, o: &Package) -> bool {
        (self.fee as i128) * (o.vsize as i128) > (o.fee as i128) * (self.vsize as i128)
    }
}

/// What the selection chose, in block order.
struct Selection<'a> {
    entries: Vec<&'a Entry>,
    weight: u64,
}

/// Ancestor-package selection (Core's mining algorithm before cluster
/// linearization, which orders the tests' simple chains the same way) over
/// pool entries in acceptance order, where parents come before children.
fn select<'a>(
    order: Vec<&'a Entry>,
    modified_fee: impl Fn(&Entry) -> i64,
    args: &MiningArgs,
    reserved_weight: u64,
    additional_sigops: u64,
    height: u32,
    lock_time_cutoff: i64,
) -> Selection<'a> {
    let index: HashMap<Txid, usize> = order
        .iter()
        .enumerate()
        .map(|(i, e)| (e.tx.compute_txid(), i))
        .collect();
    // Ancestor sets in acceptance order, where parents come first.
    let mut ancestors: Vec<HashSet<usize>> = Vec::with_capacity(order.len());
    for e in &order {
        let mut set = HashSet::new();
        for input in &e.tx.input {
            if let Some(&p) = index.get(&input.previous_output.txid) {
                set.insert(p);
                // The pool's order puts parents first, so `p` is done.
                set.extend(ancestors.get(p).into_iter().flatten().copied());
            }
        }
        ancestors.push(set);
    }
    let mut descendants: Vec<Vec<usize>> = vec![Vec::new(); order.len()];
    for (i, anc) in ancestors.iter().enumerate() {
        for &a in anc {
            descendants[a].push(i);
        }
    }
    let own: Vec<Package> = order
        .iter()
        .map(|e| Package::of(e, modified_fee(e)))
        .collect();
    let mut packages: Vec<Package> = (0..order.len())
        .map(|i| {
            let mut p = own[i];
            for &a in &ancestors[i] {
                p.add(&own[a], 1);
            }
            p
        })
        .collect();
    let mut included = vec![false; order.len()];
    let mut skipped = vec![false; order.len()];
    let mut weight = reserved_weight;
    let mut sigops = additional_sigops;
    let mut chosen = Vec::new();
    let mut failures = 0u32;
    let min_fee = Package {
        fee: args.block_min_fee,
        vsize: 1000,
        ..Default::default()
    };
    loop {
        let mut best: Option<usize> = None;
        for i in 0..order.len() {
            if included[i] || skipped[i] {
                continue;
            }
            // Ties keep acceptance order.
            if best.is_none_or(|b| packages[i].better_than(&packages[b])) {
                best = Some(i);
            }
        }
        let Some(best) = best else { break };
        let package = packages[best];
        if min_fee.better_than(&package) {
            // Everything left pays less.
            break;
        }
        let mut members: Vec<usize> = ancestors[best]
            .iter()
            .copied()
            .filter(|&a| !included[a])
            .chain(std::iter::once(best))
            .collect();
        members.sort_unstable();
        let fits = weight + package.weight < args.block_max_weight
            && sigops + package.sigops < MAX_BLOCK_SIGOPS_COST;
        let final_ = members
            .iter()
            .all(|&m| is_final_tx(&order[m].tx, height, lock_time_cutoff));
        if !fits || !final_ {
            skipped[best] = true;
            failures += 1;
            if failures > MAX_CONSECUTIVE_FAILURES
                && weight + BLOCK_FULL_ENOUGH_WEIGHT_DELTA > args.block_max_weight
            {
                break;
            }
            continue;
        }
        failures = 0;
        for m in members {
            included[m] = true;
            weight += own[m].weight;
            sigops += own[m].sigops;
            for &d in &descendants[m] {
                if !included[d] {
                    packages[d].add(&own[m], -1);
                }
            }
            chosen.push(order[m]);
        }
    }
    Selection {
        entries: chosen,
        weight,
    }
}

impl BlockAssembler {
    /// An assembler over `chain` with the node's settings.
    pub fn new(chain: Arc<NodeChain>, args: MiningArgs) -> Self {
        BlockAssembler {
            chain,
            args,
            last: Mutex::new(None),
        }
    }

    /// The node's block-creation settings.
    pub fn args(&self) -> &MiningArgs {
        &self.args
    }

    /// The chain the assembler builds on.
    pub fn chain(&self) -> &Arc<NodeChain> {
        &self.chain
    }

    /// Size of the last assembled block; `None` before the first.
    pub fn last_block(&self) -> Option<LastBlock> {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Assembles a block on the current tip.
    pub fn create(&self, request: &Request) -> Result<Assembled, String> {
        let cs = self.chain.lock();
        let pool = self.chain.pool();
        self.create_locked(&cs, &pool, request)
    }

    /// [`BlockAssembler::create`] for a caller already holding the
    /// chainstate and mempool locks, so it can check the block on the same tip.
    pub fn create_locked(
        &self,
        cs: &Chainstate,
        pool: &Mempool,
        request: &Request,
    ) -> Result<Assembled, String> {
        let tip = cs.tip_entry().ok_or("no tip")?;
        let height = tip.height + 1;
        let (txs, fees, sigops, weight) = match &request.contents {
            Contents::Mempool => {
                let chosen = select(
                    pool.in_order().collect(),
                    |e| pool.modified_fee(e),
                    &self.args,
                    request.reserved_weight,
                    request.additional_sigops,
                    height,
                    i64::from(tip.info().median_time_past),
                );
                let txs = chosen.entries.iter().map(|e| (*e.tx).clone()).collect();
                let fees = chosen.entries.iter().map(|e| e.fee).collect();
                let sigops = chosen.entries.iter().map(|e| e.sigop_cost as i64).collect();
                (txs, fees, sigops, chosen.weight)
            }
            Contents::Exactly(txs) => {
                (txs.clone(), Vec::new(), Vec::new(), request.reserved_weight)
            }
        };
        let tx_count = txs.len() as u64;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(LastBlock {
            weight,
            txs: tx_count,
        });
        let total_fees: i64 = fees.iter().sum();
        let total_sigops: i64 = sigops.iter().sum();
        let block = build_block(
            cs,
            request.script.clone(),
            txs,
            total_fees,
            self.args.version_override,
        )?;
        tracing::info!(
            "CreateNewBlock(): block weight: {} txs: {} fees: {} sigops {}",
            block.weight().to_wu(),
            tx_count,
            total_fees,
            total_sigops + request.additional_sigops as i64
        );
        Ok(Assembled {
            block,
            height,
            fees,
            sigops,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, OutPoint};
    use consensus::test_support::spend_one;

    /// A pool entry spending `prev` with the given fee, weight and sigops.
    fn entry(prev: OutPoint, fee: i64, weight: u64, sigop_cost: u64) -> Entry {
        let tx = spend_one(prev, Amount::from_sat(1000), ScriptBuf::new());
        Entry {
            wtxid: tx.compute_wtxid(),
            tx: Arc::new(tx),
            fee,
            vsize: weight / 4,
            weight,
            sigop_cost,
            time: 0,
            height: 0,
            sequence: 0,
        }
    }

    fn outpoint(n: u8) -> OutPoint {
        OutPoint::new(Txid::from_byte_array([n; 32]), 0)
    }

    fn child_of(parent: &Entry, fee: i64) -> Entry {
        entry(OutPoint::new(parent.tx.compute_txid(), 0), fee, 400, 0)
    }

    fn txids(s: &Selection) -> Vec<Txid> {
        s.entries.iter().map(|e| e.tx.compute_txid()).collect()
    }

    fn run<'a>(entries: &'a [Entry], args: &MiningArgs) -> Selection<'a> {
        select(entries.iter().collect(), |e| e.fee, args, 8000, 400, 1, 0)
    }

    #[test]
    fn a_child_pays_for_its_parent_and_parents_come_first() {
        let a = entry(outpoint(1), 100, 400, 0);
        let b = child_of(&a, 200);
        let c = child_of(&b, 300);
        let d = entry(outpoint(2), 10_000, 400, 0);
        let all = [a.clone(), b.clone(), c.clone(), d.clone()];
        let s = run(&all, &MiningArgs::default());
        let ids: Vec<Txid> = [&d, &a, &b, &c]
            .iter()
            .map(|e| e.tx.compute_txid())
            .collect();
        assert_eq!(txids(&s), ids);
        assert_eq!(s.weight, 8000 + 4 * 400);
    }

    #[test]
    fn weight_limit_skips_what_does_not_fit() {
        let big = entry(outpoint(1), 50_000, 3_000_000, 0);
        let small = entry(outpoint(2), 100, 400, 0);
        let args = MiningArgs {
            block_max_weight: 3_000_000,
            ..MiningArgs::default()
        };
        let all = [big, small.clone()];
        assert_eq!(txids(&run(&all, &args)), vec![small.tx.compute_txid()]);
    }

    #[test]
    fn sigop_limit_and_min_fee_rate_apply() {
        let heavy = entry(outpoint(1), 50_000, 400, MAX_BLOCK_SIGOPS_COST);
        let cheap = entry(outpoint(2), 0, 400, 0);
        let fine = entry(outpoint(3), 100, 400, 0);
        let args = MiningArgs {
            block_min_fee: 1000,
            ..MiningArgs::default()
        };
        let all = [heavy, cheap, fine.clone()];
        assert_eq!(txids(&run(&all, &args)), vec![fine.tx.compute_txid()]);
    }
}
