//! The `-maxmempool` size limit, as Core's `TrimToSize` and `GetMinFee`:
//! while the pool's estimated memory is over the limit the lowest-feerate
//! chunk of any cluster leaves, and the rolling minimum fee rises to that
//! chunk's feerate plus `-incrementalrelayfee`. The minimum decays with a
//! half-life once a block has been connected since the last bump, so a
//! pool that drained lets cheap transactions back in.

use bitcoin::Transaction;

use crate::diagram::{self, FeeFrac};
use crate::pool::{Mempool, RemovalReason};
use crate::Policy;

/// Core's `DEFAULT_MAX_MEMPOOL_SIZE_MB`.
pub const DEFAULT_MAX_MEMPOOL_MB: i64 = 300;

/// Seconds for the rolling minimum fee to halve (Core's `ROLLING_FEE_HALFLIFE`).
const ROLLING_FEE_HALFLIFE: f64 = (12 * 60 * 60) as f64;

/// How many cluster-size limits the pool must hold at least: Core refuses
/// a `-maxmempool` below 40 full clusters.
const MIN_CLUSTERS_IN_POOL: u64 = 40;

/// Bytes of a pointer, for the memory model of a 64-bit build.
const PTR: u64 = 8;

/// Core's `CTxIn` and `CTxOut` sizes on a 64-bit build.
const TXIN_SIZE: u64 = 104;
const TXOUT_SIZE: u64 = 40;
/// Largest script kept inline (Core's `prevector<28>`).
const SCRIPT_INLINE: usize = 28;
/// Per-entry bookkeeping: the entry itself plus the multi-index's nodes
/// (Core's estimate: `sizeof(CTxMemPoolEntry)` and nine pointers), the
/// transaction object behind its shared pointer and the graph's node.
const ENTRY_OVERHEAD: u64 = 264 + 9 * PTR;
const TX_OBJECT: u64 = 128;
const GRAPH_NODE: u64 = 160;
/// One `mapNextTx` tree node per input (two pointers plus tree links).
const SPEND_NODE: u64 = 4 * PTR + 2 * PTR;

/// The allocator's real cost of `n` requested bytes (Core's `MallocUsage`
/// on 64-bit: a header word, rounded up to 16 bytes).
pub(crate) fn malloc_usage(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        ((n + 31) >> 4) << 4
    }
}

fn script_usage(len: usize) -> u64 {
    if len > SCRIPT_INLINE {
        malloc_usage(len as u64)
    } else {
        0
    }
}

/// Most memory the transactions of disconnected blocks may take while
/// they wait to return to the pool (Core's `MAX_DISCONNECTED_TX_POOL_BYTES`).
pub(crate) const MAX_DISCONNECTED_TX_POOL_BYTES: u64 = 20_000_000;

/// What keeping one disconnected transaction costs besides the transaction:
/// a list node holding its shared pointer and a hash-map node with its
/// bucket (Core's `DisconnectedBlockTransactions` containers).
pub(crate) const DISCONNECTED_TX_OVERHEAD: u64 = 48 + 80 + PTR;

/// Estimated heap memory a pool entry for `tx` takes, Core's
/// `RecursiveDynamicUsage` of the transaction plus the pool's bookkeeping.
pub(crate) fn entry_usage(tx: &Transaction) -> u64 {
    tx_usage(tx)
        + malloc_usage(ENTRY_OVERHEAD)
        + malloc_usage(GRAPH_NODE)
        + malloc_usage(SPEND_NODE) * tx.input.len() as u64
}

/// Estimated heap memory of a shared transaction alone (Core's
/// `RecursiveDynamicUsage` of a `CTransactionRef`).
pub(crate) fn tx_usage(tx: &Transaction) -> u64 {
    let mut usage = malloc_usage(TXIN_SIZE * tx.input.len() as u64)
        + malloc_usage(TXOUT_SIZE * tx.output.len() as u64);
    for input in &tx.input {
        usage += script_usage(input.script_sig.len());
        let items = input.witness.len() as u64;
        usage += malloc_usage(3 * PTR * items);
        usage += input
            .witness
            .iter()
            .map(|w| malloc_usage(w.len() as u64))
            .sum::<u64>();
    }
    usage += tx
        .output
        .iter()
        .map(|o| script_usage(o.script_pubkey.len()))
        .sum::<u64>();
    usage + malloc_usage(TX_OBJECT)
}

/// Checks `-maxmempool` (bytes) against the cluster size limit as Core does.
pub fn check_max_mempool(max_bytes: u64, cluster_vbytes: u64) -> Result<(), String> {
    let floor = cluster_vbytes.saturating_mul(MIN_CLUSTERS_IN_POOL);
    if max_bytes > 0 && max_bytes < floor {
        return Err(format!(
            "-maxmempool must be at least {} MB",
            floor.div_ceil(1_000_000)
        ));
    }
    Ok(())
}

/// The rolling minimum fee state (Core's `rollingMinimumFeeRate`,
/// `lastRollingFeeUpdate`, `blockSinceLastRollingFeeBump`).
#[derive(Debug, Clone, Default)]
pub(crate) struct RollingMinFee {
    /// sat/kvB, fractional while it decays.
    rate: f64,
    last_update: i64,
    block_since_bump: bool,
}

impl RollingMinFee {
    /// A block was connected: decay may start.
    pub(crate) fn block_connected(&mut self, now: i64) {
        self.last_update = now;
        self.block_since_bump = true;
    }

    /// Raises the minimum to `rate` (sat/kvB) if it is higher.
    fn bump(&mut self, rate: i64) {
        if rate as f64 > self.rate {
            self.rate = rate as f64;
            self.block_since_bump = false;
        }
    }

    /// The current minimum in sat/kvB at time `now`, decayed first:
    /// faster when the pool is well under its limit, and dropped to zero
    /// once under half the incremental relay fee.
    fn current(&mut self, now: i64, usage: u64, limit: u64, incremental: i64) -> i64 {
        if !self.block_since_bump || self.rate == 0.0 {
            return self.rate.round() as i64;
        }
        if now > self.last_update + 10 {
            let mut halflife = ROLLING_FEE_HALFLIFE;
            if usage < limit / 4 {
                halflife /= 4.0;
            } else if usage < limit / 2 {
                halflife /= 2.0;
            }
            self.rate /= 2f64.powf((now - self.last_update) as f64 / halflife);
            self.last_update = now;
            if self.rate < incremental as f64 / 2.0 {
                self.rate = 0.0;
                return 0;
            }
        }
        (self.rate.round() as i64).max(incremental)
    }
}

/// Fee in satoshis for `vsize` at `rate` sat/kvB, rounded up as Core's
/// `CFeeRate::GetFee`.
pub(crate) fn fee_at(rate: i64, vsize: u64) -> i64 {
    rate.saturating_mul(vsize as i64)
        .saturating_add(999)
        .div_euclid(1000)
}

impl Mempool {
    /// The rolling minimum fee rate in sat/kvB a new transaction must pay
    /// (0 while the pool was never full; Core's `GetMinFee`).
    pub fn min_fee_per_kvb(&mut self, policy: &Policy) -> i64 {
        let usage = self.dynamic_usage();
        self.rolling.current(
            common::time::now_secs(),
            usage,
            policy.max_mempool_bytes,
            policy.incremental_relay_fee_per_kvb,
        )
    }

    /// The lowest-feerate chunk among all clusters, with its transactions.
    fn worst_chunk(&self) -> Option<(FeeFrac, Vec<bitcoin::Txid>)> {
        let mut seen = std::collections::HashSet::new();
        let mut worst: Option<(FeeFrac, Vec<bitcoin::Txid>)> = None;
        for txid in self.entries.keys() {
            if seen.contains(txid) {
                continue;
            }
            let cluster = self.cluster_of(std::iter::once(*txid));
            seen.extend(cluster.iter().copied());
            let nodes = self.diagram_nodes(&cluster, |e| e.vsize as i64);
            // Chunks come highest feerate first: the last is the cluster's worst.
            if let Some(last) = diagram::chunks_with_members(&nodes).pop() {
                if worst.as_ref().is_none_or(|(w, _)| w.higher_rate(&last.0)) {
                    worst = Some(last);
                }
            }
        }
        worst
    }

    /// Evicts the worst chunks until the pool's memory is within
    /// `policy.max_mempool_bytes`, raising the rolling minimum fee (Core's
    /// `TrimToSize`). Returns how many transactions left.
    pub fn trim_to_size(&mut self, policy: &Policy) -> usize {
        let mut removed_count = 0;
        let mut max_removed = 0i64;
        while !self.entries.is_empty() && self.dynamic_usage() > policy.max_mempool_bytes {
            let Some((rate, txids)) = self.worst_chunk() else {
                break;
            };
            let removed = rate.fee.saturating_mul(1000) / rate.size.max(1)
                + policy.incremental_relay_fee_per_kvb;
            self.rolling.bump(removed);
            max_removed = max_removed.max(removed);
            removed_count += txids.len();
            for t in &txids {
                self.remove_recursive(t, RemovalReason::SizeLimit);
            }
        }
        if max_removed > 0 {
            tracing::debug!(
                target: "mempool",
                "Removed {removed_count} txn, rolling minimum fee bumped to {}.{:08} BTC/kvB",
                max_removed / 100_000_000,
                max_removed % 100_000_000
            );
        }
        removed_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malloc_model_rounds_like_core() {
        assert_eq!(malloc_usage(0), 0);
        assert_eq!(malloc_usage(1), 32);
        assert_eq!(malloc_usage(16), 32);
        assert_eq!(malloc_usage(17), 48);
    }

    #[test]
    fn minimum_holds_until_a_block_then_halves() {
        let mut r = RollingMinFee::default();
        r.bump(5000);
        // No block since the bump: no decay however long it waits.
        assert_eq!(r.current(1_000_000, 900, 1000, 100), 5000);
        r.block_connected(1_000);
        // Pool over half full: a full half-life halves it.
        let later = 1_000 + 12 * 60 * 60;
        assert_eq!(r.current(later, 900, 1000, 100), 2500);
        // Under a quarter full the half-life is a quarter as long.
        assert_eq!(r.current(later + 3 * 60 * 60, 100, 1000, 100), 1250);
        // Within ten seconds of the last update nothing changes.
        assert_eq!(r.current(later + 3 * 60 * 60 + 5, 100, 1000, 100), 1250);
    }

    #[test]
    fn minimum_drops_to_zero_below_half_the_increment() {
        let mut r = RollingMinFee::default();
        r.bump(90);
        r.block_connected(0);
        assert_eq!(r.current(12 * 60 * 60, 900, 1000, 100), 0);
        // A lower bump than the current minimum changes nothing.
        r.bump(300);
        r.bump(200);
        assert_eq!(r.current(0, 900, 1000, 100), 300);
    }

    /// A pool of three unrelated transactions paying 1, 3 and 2 sat/vB.
    fn pool_of_three() -> (Mempool, Vec<bitcoin::Txid>) {
        use bitcoin::hashes::Hash;
        let mut pool = Mempool::new();
        let mut txids = Vec::new();
        for (i, fee) in [100i64, 300, 200].into_iter().enumerate() {
            let prev = bitcoin::OutPoint::new(bitcoin::Txid::from_byte_array([i as u8 + 1; 32]), 0);
            let mut e = crate::pool::tests::entry(prev);
            e.fee = fee;
            txids.push(e.tx.compute_txid());
            pool.insert(e);
        }
        (pool, txids)
    }

    #[test]
    fn trimming_evicts_the_cheapest_chunk_and_bumps_the_minimum() {
        let (mut pool, txids) = pool_of_three();
        let each = pool.dynamic_usage() / 3;
        let policy = Policy {
            max_mempool_bytes: each * 2,
            ..Policy::default()
        };
        assert_eq!(pool.min_fee_per_kvb(&policy), 0, "never full yet");
        assert_eq!(pool.trim_to_size(&policy), 1);
        assert!(pool.get(&txids[0]).is_none(), "1 sat/vB leaves first");
        assert!(pool.get(&txids[1]).is_some() && pool.get(&txids[2]).is_some());
        // The evicted feerate (1000 sat/kvB) plus the incremental relay fee.
        assert_eq!(pool.min_fee_per_kvb(&policy), 1100);
        // Within the limit: nothing more leaves.
        assert_eq!(pool.trim_to_size(&policy), 0);
        let tighter = Policy {
            max_mempool_bytes: each,
            ..policy
        };
        assert_eq!(pool.trim_to_size(&tighter), 1);
        assert!(pool.get(&txids[2]).is_none(), "then 2 sat/vB");
        assert_eq!(pool.min_fee_per_kvb(&tighter), 2100);
    }

    #[test]
    fn maxmempool_floor_is_forty_clusters() {
        assert_eq!(
            check_max_mempool(4_000_000, 101_000).unwrap_err(),
            "-maxmempool must be at least 5 MB"
        );
        assert!(check_max_mempool(5_000_000, 101_000).is_ok());
    }
}
