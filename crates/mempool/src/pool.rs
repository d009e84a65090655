//! Storage of accepted transactions: by txid and wtxid, which outpoints they
//! spend, insertion order (parents always before children), and the
//! chain-listener side: removal when mined, return when a block is undone.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fee_estimator::{EstimatorTx, FeeEstimator};

use bitcoin::{Block, OutPoint, Transaction, Txid, Wtxid};
use chain::ChainListener;
use consensus::{Coin, CoinsView};

/// One transaction in the pool.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its witness hash.
    pub wtxid: Wtxid,
    /// Fee in satoshis.
    pub fee: i64,
    /// Virtual size in vbytes.
    pub vsize: u64,
    /// Weight units.
    pub weight: u64,
    /// Signature-operation cost (Core's `GetTransactionSigOpCost` under the
    /// standard flags), counted against the block limit by the assembler.
    pub sigop_cost: u64,
    /// UNIX time of acceptance.
    pub time: i64,
    /// Tip height when accepted.
    pub height: u32,
    /// Insertion order.
    pub sequence: u64,
}

/// Why a transaction left the pool, for [`PoolEvents`] (Core's
/// `MemPoolRemovalReason`; being mined is not reported per transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// Removed for a reorganization.
    Reorg,
    /// Conflicted with a transaction of a connected block.
    Conflict,
    /// Replaced by a transaction paying more.
    Replaced,
    /// Older than `-mempoolexpiry`.
    Expiry,
    /// Evicted to keep the pool within `-maxmempool`.
    SizeLimit,
}

/// Who hears of the pool's changes and of the blocks it follows, in the
/// order they happen (Core's validation signals). Calls are made with the
/// chainstate and pool locked: implementations only queue.
pub trait PoolEvents: Send + Sync {
    /// `tx` entered the pool; `mempool_sequence` is the pool's sequence
    /// number this change took (see [`Mempool::mempool_sequence`]).
    fn transaction_added(&self, tx: &Arc<Transaction>, mempool_sequence: u64);
    /// `tx` left the pool for `reason`, taking sequence `mempool_sequence`.
    fn transaction_removed(
        &self,
        tx: &Arc<Transaction>,
        reason: RemovalReason,
        mempool_sequence: u64,
    );
    /// `block` was connected at `height` (after the pool followed it).
    fn block_connected(&self, block: &Block, height: u32);
    /// `block`, at `height`, was disconnected.
    fn block_disconnected(&self, block: &Block, height: u32);
}

/// The registered [`PoolEvents`], if any.
#[derive(Default, Clone)]
struct Listener(Option<Arc<dyn PoolEvents>>);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Listener" } else { "None" })
    }
}

/// The transaction memory pool.
#[derive(Debug, Default)]
pub struct Mempool {
    pub(crate) entries: HashMap<Txid, Entry>,
    pub(crate) by_wtxid: HashMap<Wtxid, Txid>,
    pub(crate) spent_by: HashMap<OutPoint, Txid>,
    pub(crate) order: BTreeMap<u64, Txid>,
    next_sequence: u64,
    /// Transactions of blocks disconnected during a reorg, to accept again.
    pub(crate) disconnected: Vec<Arc<Transaction>>,
    /// Set when a block was disconnected: the pool must be checked against
    /// the new tip even if no transaction came back.
    pub(crate) reorged: bool,
    /// Bumped on every addition and removal (`mempool_sequence`).
    pub(crate) change_sequence: u64,
    /// Additions and removals so far (mined ones too, unlike the events),
    /// what `mempool_sequence` counts; prioritising does not move it.
    sequence_changes: u64,
    /// Blocks connected after a disconnection in the same chain update,
    /// announced once the disconnected transactions are back (Core signals
    /// `BlockConnected` after its mempool update for the reorg).
    deferred_connected: Vec<(Block, u32)>,
    /// Fee deltas set by `prioritisetransaction`, kept for transactions not
    /// (yet) in the pool too.
    pub(crate) deltas: HashMap<Txid, i64>,
    /// Locally submitted transactions no peer has fetched yet (Core's
    /// `m_unbroadcast_txids`): announced again until one asks for them.
    /// Ordered, as Core's `std::set`, so `mempool.dat` lists them alike.
    pub(crate) unbroadcast: BTreeSet<Txid>,
    /// Who hears of changes.
    events: Listener,
    /// Sum of the entries' estimated memory (Core's `cachedInnerUsage`).
    inner_usage: u64,
    /// The minimum fee raised by size-limit evictions.
    pub(crate) rolling: crate::size_limit::RollingMinFee,
    /// The fee estimator fed with arrivals, removals and blocks (none in
    /// `-blocksonly` mode and in scratch copies).
    fee_estimator: Option<SharedFeeEstimator>,
    /// Set while `submitpackage` adds transactions: those are not used for
    /// fee estimation (their fee rate may lean on their relatives).
    pub(crate) submitting_package: bool,
}

/// The fee estimator shared by the pool and its readers. Lock order: the
/// pool first, then the estimator.
pub type SharedFeeEstimator = Arc<Mutex<FeeEstimator>>;

impl Mempool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Estimated memory the pool takes (`getmempoolinfo`'s `usage`).
    /// Core's `DynamicMemoryUsage` model: what `-maxmempool` limits.
    pub fn dynamic_usage(&self) -> u64 {
        self.inner_usage
    }

    /// Reports every later change to `events`.
    pub fn set_events(&mut self, events: Arc<dyn PoolEvents>) {
        self.events = Listener(Some(events));
    }

    /// Feeds `estimator` from now on.
    pub fn set_fee_estimator(&mut self, estimator: SharedFeeEstimator) {
        self.fee_estimator = Some(estimator);
    }

    /// The fee estimator, locked, if there is one.
    pub(crate) fn estimator(&self) -> Option<MutexGuard<'_, FeeEstimator>> {
        self.fee_estimator
            .as_ref()
            .map(|e| e.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sum of virtual sizes.
    pub fn total_vsize(&self) -> u64 {
        self.entries.values().map(|e| e.vsize).sum()
    }

    /// Sum of fees.
    pub fn total_fee(&self) -> i64 {
        self.entries.values().map(|e| e.fee).sum()
    }

    /// The change counter reported as `mempool_sequence`.
    pub fn change_sequence(&self) -> u64 {
        self.change_sequence
    }

    /// The sequence number the next addition or removal takes: 1 for a new
    /// pool (Core's `m_sequence_number`), what `getrawmempool` reports as
    /// `mempool_sequence` and the ZMQ `sequence` topic carries.
    pub fn mempool_sequence(&self) -> u64 {
        self.sequence_changes + 1
    }

    /// Takes the next sequence number for an addition or removal.
    fn next_mempool_sequence(&mut self) -> u64 {
        let s = self.mempool_sequence();
        self.sequence_changes += 1;
        s
    }

    /// The entry for `txid`.
    pub fn get(&self, txid: &Txid) -> Option<&Entry> {
        self.entries.get(txid)
    }

    /// The entry with witness hash `wtxid`.
    pub fn get_by_wtxid(&self, wtxid: &Wtxid) -> Option<&Entry> {
        self.by_wtxid.get(wtxid).and_then(|t| self.entries.get(t))
    }

    /// The pool transaction spending `outpoint`.
    pub fn spender(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.spent_by.get(outpoint).copied()
    }

    /// Entries in acceptance order, except that a transaction never comes
    /// before one it spends: transactions a reorg returns are accepted after
    /// their children already in the pool.
    pub fn in_order(&self) -> impl Iterator<Item = &Entry> {
        let mut out: Vec<&Entry> = Vec::with_capacity(self.entries.len());
        let mut placed: std::collections::HashSet<Txid> = Default::default();
        for txid in self.order.values() {
            // Depth first: unplaced parents go out before the transaction.
            let mut stack = vec![(*txid, false)];
            while let Some((t, parents_done)) = stack.pop() {
                if placed.contains(&t) {
                    continue;
                }
                let Some(e) = self.entries.get(&t) else {
                    continue;
                };
                if parents_done {
                    placed.insert(t);
                    out.push(e);
                    continue;
                }
                stack.push((t, true));
                for input in e.tx.input.iter().rev() {
                    let p = input.previous_output.txid;
                    if !placed.contains(&p) && self.entries.contains_key(&p) {
                        stack.push((p, false));
                    }
                }
            }
        }
        out.into_iter()
    }

    /// Puts `txid` in the unbroadcast set, if it is in the pool: only pool
    /// transactions can be announced, and leaving the pool clears the mark.
    pub fn add_unbroadcast(&mut self, txid: Txid) {
        if self.entries.contains_key(&txid) {
            self.unbroadcast.insert(txid);
        }
    }

    /// Takes `txid` out of the unbroadcast set. `unchecked`: it goes without
    /// a peer having fetched it (it left the pool), which the log says.
    pub fn remove_unbroadcast(&mut self, txid: &Txid, unchecked: bool) {
        if self.unbroadcast.remove(txid) {
            let why = if unchecked {
                " before confirmation that txn was sent out"
            } else {
                ""
            };
            tracing::debug!(target: "mempool", "Removed {txid} from set of unbroadcast txns{why}");
        }
    }

    /// Whether `txid` awaits its first fetch by a peer.
    pub fn is_unbroadcast(&self, txid: &Txid) -> bool {
        self.unbroadcast.contains(txid)
    }

    /// The unbroadcast set, in txid order.
    pub fn unbroadcast(&self) -> Vec<Txid> {
        self.unbroadcast.iter().copied().collect()
    }

    /// Size of the unbroadcast set (`getmempoolinfo`'s `unbroadcastcount`).
    pub fn unbroadcast_count(&self) -> usize {
        self.unbroadcast.len()
    }

    /// A copy of the pool that reports to no listener, to try changes on.
    pub(crate) fn scratch_copy(&self) -> Mempool {
        Mempool {
            entries: self.entries.clone(),
            by_wtxid: self.by_wtxid.clone(),
            spent_by: self.spent_by.clone(),
            order: self.order.clone(),
            next_sequence: self.next_sequence,
            disconnected: Vec::new(),
            reorged: false,
            change_sequence: self.change_sequence,
            sequence_changes: self.sequence_changes,
            deferred_connected: Vec::new(),
            deltas: self.deltas.clone(),
            events: Listener::default(),
            unbroadcast: self.unbroadcast.clone(),
            inner_usage: self.inner_usage,
            rolling: self.rolling.clone(),
            fee_estimator: None,
            submitting_package: false,
        }
    }

    pub(crate) fn insert(&mut self, mut entry: Entry) {
        let txid = entry.tx.compute_txid();
        entry.sequence = self.next_sequence;
        self.next_sequence += 1;
        for input in &entry.tx.input {
            self.spent_by.insert(input.previous_output, txid);
        }
        self.order.insert(entry.sequence, txid);
        self.by_wtxid.insert(entry.wtxid, txid);
        self.inner_usage += crate::size_limit::entry_usage(&entry.tx);
        let mempool_sequence = self.next_mempool_sequence();
        if let Some(events) = &self.events.0 {
            events.transaction_added(&entry.tx, mempool_sequence);
        }
        self.entries.insert(txid, entry);
        self.change_sequence += 1;
    }

    /// Removes `txid` and everything spending its outputs, for `reason`.
    pub fn remove_recursive(&mut self, txid: &Txid, reason: RemovalReason) {
        let mut stack = vec![*txid];
        while let Some(t) = stack.pop() {
            let Some(e) = self.entries.remove(&t) else {
                continue;
            };
            self.forget_usage(&e);
            if let Some(mut estimator) = self.estimator() {
                estimator.remove_tx(&t);
            }
            let mempool_sequence = self.next_mempool_sequence();
            if let Some(events) = &self.events.0 {
                events.transaction_removed(&e.tx, reason, mempool_sequence);
            }
            self.order.remove(&e.sequence);
            self.by_wtxid.remove(&e.wtxid);
            self.remove_unbroadcast(&t, true);
            for input in &e.tx.input {
                if self.spent_by.get(&input.previous_output) == Some(&t) {
                    self.spent_by.remove(&input.previous_output);
                }
            }
            for vout in 0..e.tx.output.len() as u32 {
                if let Some(child) = self.spent_by.get(&OutPoint::new(t, vout)) {
                    stack.push(*child);
                }
            }
            self.change_sequence += 1;
        }
    }

    /// Removes every entry that entered before `cutoff` (seconds), with its
    /// descendants; returns how many left.
    pub fn expire(&mut self, cutoff: i64) -> usize {
        let old: Vec<Txid> = self
            .entries
            .iter()
            .filter(|(_, e)| e.time < cutoff)
            .map(|(t, _)| *t)
            .collect();
        let before = self.entries.len();
        for t in &old {
            self.remove_recursive(t, RemovalReason::Expiry);
        }
        let expired = before - self.entries.len();
        if expired > 0 {
            tracing::debug!(target: "mempool", "Expired {expired} transactions from the memory pool");
        }
        expired
    }

    /// Removes the block's transactions and their conflicts; returns the
    /// mined ones for the fee estimator.
    fn remove_for_block(&mut self, block: &Block) -> Vec<EstimatorTx> {
        let mut mined = Vec::new();
        if self.entries.is_empty() && self.deltas.is_empty() {
            // Nothing to remove, and hashing every transaction of the block
            // would cost a third of connecting it during initial sync.
            return mined;
        }
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            if let Some(e) = self.entries.remove(&txid) {
                self.forget_usage(&e);
                mined.push(EstimatorTx {
                    txid,
                    height: e.height,
                    fee: e.fee,
                    vsize: e.vsize,
                });
                // Mined: its children stay, now spending confirmed outputs.
                // It takes a sequence number but, as in Core, no event.
                self.next_mempool_sequence();
                self.order.remove(&e.sequence);
                self.by_wtxid.remove(&e.wtxid);
                // Core logs this for mined transactions too: no peer asked.
                self.remove_unbroadcast(&txid, true);
                for input in &e.tx.input {
                    self.spent_by.remove(&input.previous_output);
                }
                self.change_sequence += 1;
            }
            // A mined transaction's priority has served its purpose.
            self.deltas.remove(&txid);
            // Anything else spending the same coins is now a double spend.
            for input in &tx.input {
                if let Some(conflict) = self.spent_by.get(&input.previous_output).copied() {
                    if conflict != txid {
                        self.remove_recursive(&conflict, RemovalReason::Conflict);
                    }
                }
            }
        }
        mined
    }

    /// Takes a removed entry's memory off the running total.
    fn forget_usage(&mut self, e: &Entry) {
        let usage = crate::size_limit::entry_usage(&e.tx);
        self.inner_usage = self.inner_usage.saturating_sub(usage);
    }

    /// Announces the blocks whose connection waited for the reorg's
    /// transactions to return to the pool.
    pub(crate) fn announce_deferred_connected(&mut self) {
        let deferred = std::mem::take(&mut self.deferred_connected);
        if let Some(events) = &self.events.0 {
            for (block, height) in &deferred {
                events.block_connected(block, *height);
            }
        }
    }

    /// Takes the transactions of disconnected blocks (oldest block first).
    pub fn take_disconnected(&mut self) -> Vec<Arc<Transaction>> {
        std::mem::take(&mut self.disconnected)
    }

    /// Keeps the disconnected transactions within Core's memory bound: the
    /// most recently confirmed go first (the last block's, last first), and
    /// pool transactions spending them leave with them, having lost their
    /// inputs for good.
    fn limit_disconnected(&mut self) {
        use crate::size_limit::{
            tx_usage, DISCONNECTED_TX_OVERHEAD, MAX_DISCONNECTED_TX_POOL_BYTES,
        };
        let mut usage: u64 = self
            .disconnected
            .iter()
            .map(|t| tx_usage(t) + DISCONNECTED_TX_OVERHEAD)
            .sum();
        while usage > MAX_DISCONNECTED_TX_POOL_BYTES {
            let Some(tx) = self.disconnected.pop() else {
                break;
            };
            usage = usage.saturating_sub(tx_usage(&tx) + DISCONNECTED_TX_OVERHEAD);
            let txid = tx.compute_txid();
            for vout in 0..tx.output.len() as u32 {
                if let Some(child) = self.spent_by.get(&OutPoint::new(txid, vout)).copied() {
                    self.remove_recursive(&child, RemovalReason::Reorg);
                }
            }
        }
    }
}

impl ChainListener for Mempool {
    fn block_connected(&mut self, block: &Block, height: u32) {
        // Re-mined in the new branch: nothing to bring back.
        if !self.disconnected.is_empty() {
            let mined: std::collections::HashSet<Txid> =
                block.txdata.iter().map(|t| t.compute_txid()).collect();
            self.disconnected
                .retain(|t| !mined.contains(&t.compute_txid()));
        }
        let mined = self.remove_for_block(block);
        if let Some(mut estimator) = self.estimator() {
            estimator.process_block(height, &mined);
        }
        self.rolling.block_connected(common::time::now_secs());
        if self.reorged {
            if self.events.0.is_some() {
                self.deferred_connected.push((block.clone(), height));
            }
        } else if let Some(events) = &self.events.0 {
            events.block_connected(block, height);
        }
    }

    fn block_disconnected(&mut self, block: &Block, height: u32) {
        if let Some(events) = &self.events.0 {
            events.block_disconnected(block, height);
        }
        // Blocks leave newest first; keep the re-add order oldest first.
        let txs: Vec<Arc<Transaction>> = block
            .txdata
            .iter()
            .filter(|t| !t.is_coinbase())
            .map(|t| Arc::new(t.clone()))
            .collect();
        let mut all = txs;
        all.append(&mut self.disconnected);
        self.disconnected = all;
        self.reorged = true;
        self.limit_disconnected();
    }

    fn block_disconnected_deep(&mut self, block: &Block, height: u32) {
        if let Some(events) = &self.events.0 {
            events.block_disconnected(block, height);
        }
        // Its transactions stay out; pool transactions spending them lose
        // their inputs and leave in the reorg check that follows.
        self.reorged = true;
    }
}

/// The chain's coins plus the outputs of pool transactions, minus the
/// outputs pool transactions spend.
pub struct PoolCoins<'a> {
    /// Confirmed coins.
    pub chain: &'a dyn CoinsView,
    /// The pool.
    pub pool: &'a Mempool,
    /// Height a pool output is reported at (tip + 1, as Core's `MEMPOOL_HEIGHT` stands in).
    pub pool_height: u32,
}

impl CoinsView for PoolCoins<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        if self.pool.spent_by.contains_key(outpoint) {
            return None;
        }
        if let Some(e) = self.pool.entries.get(&outpoint.txid) {
            return e.tx.output.get(outpoint.vout as usize).map(|o| Coin {
                output: o.clone(),
                height: self.pool_height,
                is_coinbase: false,
            });
        }
        self.chain.coin(outpoint)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, ScriptBuf};
    use consensus::test_support::spend_one;

    /// A pool entry spending `prev` (no validation: the set only cares about
    /// membership).
    pub(crate) fn entry(prev: OutPoint) -> Entry {
        let tx = spend_one(prev, Amount::from_sat(1_000), ScriptBuf::new());
        Entry {
            wtxid: tx.compute_wtxid(),
            tx: Arc::new(tx),
            fee: 100,
            vsize: 100,
            weight: 400,
            sigop_cost: 0,
            time: 0,
            height: 0,
            sequence: 0,
        }
    }

    #[test]
    fn only_pool_transactions_join_the_unbroadcast_set() {
        let mut pool = Mempool::new();
        let absent = Txid::from_byte_array([9; 32]);
        pool.add_unbroadcast(absent);
        assert_eq!(pool.unbroadcast_count(), 0);

        let e = entry(OutPoint::new(absent, 0));
        let txid = e.tx.compute_txid();
        pool.insert(e);
        assert!(!pool.is_unbroadcast(&txid), "accepting alone does not mark");
        pool.add_unbroadcast(txid);
        assert!(pool.is_unbroadcast(&txid));
        assert_eq!(pool.unbroadcast(), vec![txid]);
        pool.remove_unbroadcast(&txid, false);
        assert_eq!(pool.unbroadcast_count(), 0);
        assert!(pool.get(&txid).is_some(), "fetched, still in the pool");
    }

    #[test]
    fn leaving_the_pool_leaves_the_unbroadcast_set() {
        let mut pool = Mempool::new();
        let parent = entry(OutPoint::new(Txid::from_byte_array([1; 32]), 0));
        let parent_id = parent.tx.compute_txid();
        let child = entry(OutPoint::new(parent_id, 0));
        let child_id = child.tx.compute_txid();
        let mined = entry(OutPoint::new(Txid::from_byte_array([2; 32]), 0));
        let mined_id = mined.tx.compute_txid();
        for e in [parent, child, mined.clone()] {
            pool.insert(e);
        }
        for t in [parent_id, child_id, mined_id] {
            pool.add_unbroadcast(t);
        }

        // Evicted with its descendants: both leave the set.
        pool.remove_recursive(&parent_id, RemovalReason::Replaced);
        assert_eq!(pool.unbroadcast(), vec![mined_id]);

        // Mined: it leaves too.
        let block = Block {
            header: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header,
            txdata: vec![(*mined.tx).clone()],
        };
        pool.block_connected(&block, 1);
        assert_eq!(pool.unbroadcast_count(), 0);
    }

    /// A transaction padded with a large output script, `n` bytes of it.
    fn big(prev: OutPoint, n: usize) -> Transaction {
        let mut tx = consensus::test_support::spend_one(
            prev,
            bitcoin::Amount::from_sat(1000),
            bitcoin::ScriptBuf::from_bytes(vec![0x6a; n]),
        );
        tx.input[0].script_sig = bitcoin::ScriptBuf::from_bytes(vec![0x51]);
        tx
    }

    #[test]
    fn disconnected_transactions_beyond_the_bound_go_newest_first_with_their_spenders() {
        let mut pool = Mempool::new();
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header;
        // Two blocks of 4 MB each, five times over: more than the 20 MB bound.
        let mut blocks = Vec::new();
        for b in 0..5u8 {
            let txdata = (0..4u8)
                .map(|i| {
                    big(
                        OutPoint::new(Txid::from_byte_array([b * 4 + i + 1; 32]), 0),
                        1_000_000,
                    )
                })
                .collect();
            blocks.push(Block {
                header: genesis,
                txdata,
            });
        }
        // A pool child of the last block's last transaction.
        let newest = blocks[4].txdata[3].compute_txid();
        let child = entry(OutPoint::new(newest, 0));
        let child_id = child.tx.compute_txid();
        pool.insert(child);
        // Disconnected tip first, as a reorg does.
        for (h, block) in blocks.iter().enumerate().rev() {
            pool.block_disconnected(block, h as u32);
        }
        let kept: Vec<Txid> = pool.disconnected.iter().map(|t| t.compute_txid()).collect();
        assert!(kept.len() < 20, "some were dropped");
        assert!(
            kept.len() >= 18,
            "only what exceeds the bound: {}",
            kept.len()
        );
        assert!(
            !kept.contains(&newest),
            "the most recently confirmed go first"
        );
        assert_eq!(
            kept[0],
            blocks[0].txdata[0].compute_txid(),
            "the oldest stay"
        );
        assert!(pool.get(&child_id).is_none(), "its spender left with it");
    }

    #[test]
    fn optimality_is_known_only_for_clusters_the_exact_search_covers() {
        let mut pool = Mempool::new();
        assert!(pool.known_optimal(), "an empty pool is trivially optimal");
        let mut prev = OutPoint::new(Txid::from_byte_array([3; 32]), 0);
        for n in 1..=11 {
            let e = entry(prev);
            prev = OutPoint::new(e.tx.compute_txid(), 0);
            pool.insert(e);
            assert_eq!(pool.known_optimal(), n <= 10, "chain of {n}");
        }
    }
}
