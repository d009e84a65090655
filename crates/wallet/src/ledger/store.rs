//! The wallet's transactions and how chain events move them (Core's
//! `mapWallet`, `mapTxSpends`, `wtxOrdered` and the sync half of `CWallet`):
//! adding what involves the wallet, conflicts, abandonment, reorgs, the
//! mempool. Every change is recorded in [`Pending`] for the caller to write
//! to disk (in one database transaction) and announce.

use super::state::{SyncState, TxState};
use crate::db::records::WalletTx;
use bitcoin::{Block, BlockHash, OutPoint, Script, Transaction, TxOut, Txid};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Blocks a coinbase output waits before it can be spent.
pub const COINBASE_MATURITY: i32 = 100;
/// Core's `TIMESTAMP_WINDOW`: slack on block times when comparing with the
/// wallet's birth time.
pub const TIMESTAMP_WINDOW: i64 = 2 * 60 * 60;
/// Transactions of this version follow the TRUC (v3) topology rules.
pub const TRUC_VERSION: i32 = 3;

/// What the ledger asks of the wallet and the chain.
pub trait LedgerEnv {
    /// Whether `script` pays the wallet.
    fn is_mine(&self, script: &Script) -> bool;
    /// A block's time and the greatest time up to it in the chain.
    fn block_times(&self, hash: &BlockHash) -> Option<(i64, i64)>;
    /// Whether the node's mempool holds `txid`.
    fn in_mempool(&self, txid: &Txid) -> bool;
    /// The current (mockable) time.
    fn now(&self) -> i64;
}

/// Why a transaction was announced (Core's `ChangeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Newly added.
    New,
    /// Its state or data changed.
    Updated,
}

/// Changes the caller has to persist and announce.
#[derive(Debug, Default)]
pub struct Pending {
    /// Transactions to (re)write.
    pub write: BTreeSet<Txid>,
    /// The next order position changed.
    pub order_pos_next: bool,
    /// The sync point should be written.
    pub best_block: bool,
    /// Transactions to announce, in order.
    pub notify: Vec<(Txid, Change)>,
    /// Added or updated transactions for `-walletnotify`.
    pub wallet_notify: Vec<Txid>,
    /// Coins unlocked because a wallet transaction spends them.
    pub unlocked: Vec<OutPoint>,
    /// Transactions synced that involve the wallet, changed or not: their
    /// outputs mark addresses used (Core's `MarkUnusedAddresses`, which runs
    /// again when a rescan or the mempool shows a known transaction to a
    /// newly imported descriptor).
    pub involved: BTreeSet<Txid>,
}

/// One wallet transaction.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The transaction's id, kept because hashing a large transaction on
    /// every balance query would dominate it.
    pub txid: Txid,
    /// The transaction and what is stored about it (`record.state` is
    /// brought up to date when written).
    pub record: WalletTx,
    /// Where it stands now.
    pub state: TxState,
    /// Mempool transactions that spend the same outputs.
    pub mempool_conflicts: BTreeSet<Txid>,
    /// The TRUC child of this unconfirmed transaction in the mempool.
    pub truc_child_in_mempool: Option<Txid>,
}

impl Entry {
    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.record.tx
    }

    /// Core's `isUnconfirmed`: not abandoned, conflicted or confirmed.
    pub fn is_unconfirmed(&self) -> bool {
        !self.state.is_abandoned()
            && !self.state.is_block_conflicted()
            && self.mempool_conflicts.is_empty()
            && !self.state.is_confirmed()
    }

    /// The record as written to disk.
    pub fn stored(&self) -> WalletTx {
        let mut r = self.record.clone();
        r.state = self.state.to_stored();
        r
    }

    /// Core's `GetTxTime`: the smart time, else the time received.
    pub fn time(&self) -> i64 {
        i64::from(if self.record.time_smart != 0 {
            self.record.time_smart
        } else {
            self.record.time_received
        })
    }
}

/// How an output is spent (Core's `SpendType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendType {
    /// Not spent by any live wallet transaction.
    Unspent,
    /// Spent by a confirmed transaction.
    Confirmed,
    /// Spent by a mempool transaction.
    Mempool,
    /// Spent by a transaction in neither (not abandoned or conflicted).
    NonMempool,
}

/// The wallet's transactions.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Wallet name for log lines.
    name: String,
    txs: HashMap<Txid, Entry>,
    /// Outpoint → the wallet transactions spending it.
    spends: BTreeMap<OutPoint, Vec<Txid>>,
    /// Order position → transaction.
    ordered: BTreeMap<i64, Txid>,
    order_pos_next: i64,
    /// The wallet's own outputs.
    txos: BTreeMap<OutPoint, TxOut>,
    last_block: Option<(BlockHash, i32)>,
    /// Blocks older than this (less the window) cannot hold wallet
    /// transactions and are not scanned.
    birth_time: i64,
    pending: Pending,
}

impl Ledger {
    /// An empty ledger for the wallet called `name`.
    pub fn new(name: &str) -> Self {
        Ledger {
            name: name.to_string(),
            birth_time: i64::MAX,
            ..Default::default()
        }
    }

    fn log(&self, text: std::fmt::Arguments) {
        tracing::info!("[{}] {text}", self.name);
    }

    /// Asks for the sync point to be written with the next changes.
    pub fn request_best_block(&mut self) {
        self.pending.best_block = true;
    }

    /// Asks for `txid` to be written with the next changes.
    pub fn mark_dirty(&mut self, txid: Txid) {
        self.pending.write.insert(txid);
    }

    /// Takes the changes made since the last call.
    pub fn take_pending(&mut self) -> Pending {
        std::mem::take(&mut self.pending)
    }

    /// A transaction.
    pub fn get(&self, txid: &Txid) -> Option<&Entry> {
        self.txs.get(txid)
    }

    /// Every transaction, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&Txid, &Entry)> {
        self.txs.iter()
    }

    /// Transactions in the wallet's order (oldest first).
    pub fn ordered(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.ordered.values().filter_map(|t| self.txs.get(t))
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The wallet's own outputs (spent or not).
    pub fn txos(&self) -> &BTreeMap<OutPoint, TxOut> {
        &self.txos
    }

    /// The next order position.
    pub fn order_pos_next(&self) -> i64 {
        self.order_pos_next
    }

    /// The last block processed and its height.
    pub fn last_block(&self) -> Option<(BlockHash, i32)> {
        self.last_block
    }

    /// The height of the last block processed (−1 before any).
    pub fn last_height(&self) -> i32 {
        self.last_block.map_or(-1, |(_, h)| h)
    }

    /// Sets the last block processed (in memory; the caller writes the
    /// sync point when it says so).
    pub fn set_last_block(&mut self, hash: BlockHash, height: i32) {
        self.last_block = Some((hash, height));
    }

    /// The wallet's birth time (earliest key or transaction time).
    pub fn birth_time(&self) -> i64 {
        self.birth_time
    }

    /// Moves the birth time back to `time` if earlier (Core's
    /// `MaybeUpdateBirthTime`).
    pub fn maybe_update_birth_time(&mut self, time: i64) {
        // Core keeps genesis-era times at 1 so a zero time does not mean "unset".
        let time = time.max(1);
        if time < self.birth_time {
            self.birth_time = time;
        }
    }

    fn next_order_pos(&mut self) -> i64 {
        let n = self.order_pos_next;
        self.order_pos_next += 1;
        self.pending.order_pos_next = true;
        n
    }

    /// Sets the next order position read from disk.
    pub fn set_order_pos_next(&mut self, next: i64) {
        self.order_pos_next = next;
    }

    /// Adds a transaction read from disk (Core's `LoadToWallet`); `state` is
    /// its state resolved against the chain.
    pub fn load(&mut self, record: WalletTx, state: TxState, env: &dyn LedgerEnv) {
        let txid = record.txid();
        let order_pos = record.order_pos.unwrap_or(-1);
        let entry = Entry {
            txid,
            record,
            state,
            mempool_conflicts: BTreeSet::new(),
            truc_child_in_mempool: None,
        };
        let time = entry.time();
        self.txs.insert(txid, entry);
        self.ordered.insert(order_pos, txid);
        if order_pos >= self.order_pos_next {
            self.order_pos_next = order_pos + 1;
        }
        self.add_to_spends(txid);
        let inputs: Vec<OutPoint> = self.tx_inputs(&txid);
        for prevout in inputs {
            let conflict = self.txs.get(&prevout.txid).and_then(|p| match p.state {
                TxState::BlockConflicted { block_hash, height } => Some((block_hash, height)),
                _ => None,
            });
            if let Some((block_hash, height)) = conflict {
                self.mark_conflicted(block_hash, height, txid);
            }
        }
        self.maybe_update_birth_time(time);
        self.refresh_txos(&txid, env);
    }

    fn tx_inputs(&self, txid: &Txid) -> Vec<OutPoint> {
        self.txs
            .get(txid)
            .filter(|e| !e.tx().is_coinbase())
            .map(|e| e.tx().input.iter().map(|i| i.previous_output).collect())
            .unwrap_or_default()
    }

    fn add_to_spends(&mut self, txid: Txid) {
        for prevout in self.tx_inputs(&txid) {
            let list = self.spends.entry(prevout).or_default();
            if !list.contains(&txid) {
                list.push(txid);
            }
            self.pending.unlocked.push(prevout);
            self.sync_metadata(prevout);
        }
    }

    /// Gives every transaction spending `outpoint` the metadata of the
    /// oldest one, when they are the same transaction but for signatures
    /// (Core's `SyncMetaData`).
    fn sync_metadata(&mut self, outpoint: OutPoint) {
        let Some(list) = self.spends.get(&outpoint) else {
            return;
        };
        let Some(from) = list
            .iter()
            .filter_map(|t| {
                self.txs
                    .get(t)
                    .map(|e| (e.record.order_pos.unwrap_or(-1), *t))
            })
            .min()
            .map(|(_, t)| t)
        else {
            return;
        };
        let Some(source) = self.txs.get(&from).map(|e| e.record.clone()) else {
            return;
        };
        let targets: Vec<Txid> = list.iter().copied().filter(|t| *t != from).collect();
        for t in targets {
            if let Some(e) = self.txs.get_mut(&t) {
                if !equivalent(&e.record.tx, &source.tx) {
                    continue;
                }
                let r = &mut e.record;
                r.from = source.from.clone();
                r.message = source.message.clone();
                r.comment = source.comment.clone();
                r.comment_to = source.comment_to.clone();
                r.replaces_txid = source.replaces_txid;
                r.replaced_by_txid = source.replaced_by_txid;
                r.messages = source.messages.clone();
                r.payment_requests = source.payment_requests.clone();
                r.time_smart = source.time_smart;
            }
        }
    }

    fn refresh_txos(&mut self, txid: &Txid, env: &dyn LedgerEnv) {
        let Some(e) = self.txs.get(txid) else {
            return;
        };
        let mine: Vec<(OutPoint, TxOut)> = e
            .tx()
            .output
            .iter()
            .enumerate()
            .filter(|(_, o)| env.is_mine(&o.script_pubkey))
            .map(|(i, o)| (OutPoint::new(*txid, i as u32), o.clone()))
            .collect();
        self.txos.extend(mine);
    }

    /// Re-reads which outputs are the wallet's (after keys were added).
    pub fn refresh_all_txos(&mut self, env: &dyn LedgerEnv) {
        let ids: Vec<Txid> = self.txs.keys().copied().collect();
        for t in ids {
            self.refresh_txos(&t, env);
        }
    }

    /// Core's `ComputeTimeSmart`: the block time, but not earlier than
    /// the latest transaction already listed (within five minutes of the
    /// time received), so the list stays in order.
    fn compute_time_smart(
        &self,
        txid: &Txid,
        rescanning_old_block: bool,
        env: &dyn LedgerEnv,
    ) -> u32 {
        let Some(e) = self.txs.get(txid) else {
            return 0;
        };
        let received = i64::from(e.record.time_received);
        let block = match e.state {
            TxState::Confirmed { block_hash, .. } | TxState::BlockConflicted { block_hash, .. } => {
                block_hash
            }
            _ => return e.record.time_received,
        };
        let Some((block_time, max_time)) = env.block_times(&block) else {
            self.log(format_args!(
                "ComputeTimeSmart: found {txid} in block {block} not in index"
            ));
            return e.record.time_received;
        };
        if rescanning_old_block {
            return clamp_u32(max_time);
        }
        let mut latest_now = received;
        let mut latest_entry = 0;
        let tolerated = latest_now + 300;
        for other in self.ordered.values().rev() {
            if other == txid {
                continue;
            }
            let Some(o) = self.txs.get(other) else {
                continue;
            };
            let smart = o.time();
            if smart <= tolerated {
                latest_entry = smart;
                latest_now = latest_now.max(smart);
                break;
            }
        }
        clamp_u32(latest_entry.max(block_time.min(latest_now)))
    }

    /// Adds or updates a transaction (Core's `AddToWallet`); `update`
    /// edits the entry (its second argument: newly inserted) and says
    /// whether it changed anything.
    pub fn add(
        &mut self,
        tx: Transaction,
        state: TxState,
        rescanning_old_block: bool,
        env: &dyn LedgerEnv,
        update: Option<UpdateFn<'_>>,
    ) -> Txid {
        let txid = tx.compute_txid();
        let inserted = !self.txs.contains_key(&txid);
        if inserted {
            self.txs.insert(
                txid,
                Entry {
                    txid,
                    record: WalletTx::new(tx.clone(), state.to_stored()),
                    state,
                    mempool_conflicts: BTreeSet::new(),
                    truc_child_in_mempool: None,
                },
            );
        }
        let mut updated = false;
        if let (Some(f), Some(e)) = (update, self.txs.get_mut(&txid)) {
            updated = f(e, inserted);
        }
        if inserted {
            let now = clamp_u32(env.now());
            let pos = self.next_order_pos();
            if let Some(e) = self.txs.get_mut(&txid) {
                e.record.time_received = now;
                e.record.order_pos = Some(pos);
            }
            self.ordered.insert(pos, txid);
            let smart = self.compute_time_smart(&txid, rescanning_old_block, env);
            if let Some(e) = self.txs.get_mut(&txid) {
                e.record.time_smart = smart;
            }
            self.add_to_spends(txid);
            let time = self.txs.get(&txid).map_or(i64::MAX, Entry::time);
            self.maybe_update_birth_time(time);
        } else if let Some(e) = self.txs.get_mut(&txid) {
            if e.state != state {
                e.state = state;
                updated = true;
            }
            // A witness-stripped copy is replaced by the full transaction.
            let has_witness = |t: &Transaction| t.input.iter().any(|i| !i.witness.is_empty());
            if has_witness(&tx) && !has_witness(&e.record.tx) {
                e.record.tx = tx;
                updated = true;
            }
        }
        // An inactive coinbase (its block was disconnected) and everything
        // spending it are abandoned: they can never be mined as they are.
        let inactive_coinbase = self
            .txs
            .get(&txid)
            .is_some_and(|e| e.tx().is_coinbase() && e.state.is_inactive());
        if inactive_coinbase {
            let mut todo = vec![txid];
            let mut seen = BTreeSet::new();
            while let Some(t) = todo.pop() {
                if !seen.insert(t) {
                    continue;
                }
                let outputs = match self.txs.get_mut(&t) {
                    Some(e) => {
                        e.state = TxState::Inactive { abandoned: true };
                        e.tx().output.len()
                    }
                    None => continue,
                };
                self.pending.write.insert(t);
                for i in 0..outputs {
                    if let Some(children) = self.spends.get(&OutPoint::new(t, i as u32)) {
                        todo.extend(children.iter().copied());
                    }
                }
            }
        }
        let status = match (inserted, updated) {
            (true, true) => "new, update",
            (true, false) => "new",
            (false, true) => "update",
            (false, false) => "no-change",
        };
        self.log(format_args!(
            "AddToWallet {txid} {status} {}",
            state.describe()
        ));
        if inserted || updated {
            self.pending.write.insert(txid);
        }
        // Core runs `-walletnotify` on every AddToWallet, unchanged ones
        // too: a rescan announces each transaction it finds again.
        self.pending.wallet_notify.push(txid);
        self.refresh_txos(&txid, env);
        self.pending.notify.push((
            txid,
            if inserted {
                Change::New
            } else {
                Change::Updated
            },
        ));
        txid
    }

    /// Whether `tx` spends one of the wallet's outputs (Core's `IsFromMe`).
    pub fn is_from_me(&self, tx: &Transaction) -> bool {
        tx.input
            .iter()
            .any(|i| self.txos.contains_key(&i.previous_output))
    }

    /// Whether `tx` pays the wallet.
    pub fn is_mine_tx(tx: &Transaction, env: &dyn LedgerEnv) -> bool {
        tx.output.iter().any(|o| env.is_mine(&o.script_pubkey))
    }

    /// Core's `AddToWalletIfInvolvingMe`: marks wallet transactions that a
    /// confirmed `tx` conflicts with, then adds `tx` if it is the wallet's
    /// business. Returns whether it was added or updated.
    pub fn add_if_involving_me(
        &mut self,
        tx: &Transaction,
        state: SyncState,
        rescanning_old_block: bool,
        env: &dyn LedgerEnv,
    ) -> bool {
        let txid = tx.compute_txid();
        if let SyncState::Confirmed {
            block_hash, height, ..
        } = state
        {
            if !tx.is_coinbase() {
                for input in &tx.input {
                    let others: Vec<Txid> = self
                        .spends
                        .get(&input.previous_output)
                        .map(|l| l.iter().copied().filter(|t| *t != txid).collect())
                        .unwrap_or_default();
                    for other in others {
                        self.log(format_args!(
                            "Transaction {txid} (in block {block_hash}) conflicts with wallet transaction {other} (both spend {}:{})",
                            input.previous_output.txid, input.previous_output.vout
                        ));
                        self.mark_conflicted(block_hash, height, other);
                    }
                }
            }
        }
        let existed = self.txs.contains_key(&txid);
        if existed || Self::is_mine_tx(tx, env) || self.is_from_me(tx) {
            self.pending.involved.insert(txid);
            self.add(tx.clone(), state.into(), rescanning_old_block, env, None);
            return true;
        }
        false
    }

    /// Core's `SyncTransaction`.
    pub fn sync_transaction(
        &mut self,
        tx: &Transaction,
        state: SyncState,
        rescanning_old_block: bool,
        env: &dyn LedgerEnv,
    ) -> bool {
        self.add_if_involving_me(tx, state, rescanning_old_block, env)
    }

    /// Applies `update` to `txid` and, where it changed something, to
    /// every wallet transaction spending it, transitively (Core's
    /// `RecursiveUpdateTxState`). `write` persists the changes.
    fn recursive_update(
        &mut self,
        txid: Txid,
        write: bool,
        mut update: impl FnMut(&mut Entry, i32) -> Update,
    ) {
        let mut todo = BTreeSet::from([txid]);
        let mut done = BTreeSet::new();
        let last_height = self.last_height();
        while let Some(now) = todo.pop_first() {
            done.insert(now);
            let Some(e) = self.txs.get_mut(&now) else {
                continue;
            };
            let depth = depth_of(e.state, last_height);
            let result = update(e, depth);
            if result == Update::Unchanged {
                continue;
            }
            let outputs = e.tx().output.len();
            if write {
                self.pending.write.insert(now);
            }
            for i in 0..outputs {
                if let Some(children) = self.spends.get(&OutPoint::new(now, i as u32)) {
                    todo.extend(children.iter().copied().filter(|c| !done.contains(c)));
                }
            }
            if result == Update::NotifyChanged {
                self.pending.notify.push((now, Change::Updated));
            }
        }
    }

    /// Marks `txid` and its descendants conflicted by the block at
    /// `height` (Core's `MarkConflicted`).
    pub fn mark_conflicted(&mut self, block_hash: BlockHash, height: i32, txid: Txid) {
        let last = self.last_height();
        if last < 0 || height < 0 {
            return;
        }
        let conflict_confirms = -(last - height + 1);
        if conflict_confirms >= 0 {
            return;
        }
        self.recursive_update(txid, true, |e, depth| {
            if conflict_confirms < depth {
                e.state = TxState::BlockConflicted { block_hash, height };
                Update::Changed
            } else {
                Update::Unchanged
            }
        });
    }

    /// The transaction's confirmations: positive in the chain, negative
    /// when conflicted, 0 otherwise (Core's `GetTxDepthInMainChain`).
    pub fn depth(&self, entry: &Entry) -> i32 {
        depth_of(entry.state, self.last_height())
    }

    /// Blocks until a coinbase matures (0 for other transactions).
    pub fn blocks_to_maturity(&self, entry: &Entry) -> i32 {
        if !entry.tx().is_coinbase() {
            return 0;
        }
        ((COINBASE_MATURITY + 1) - self.depth(entry).max(0)).max(0)
    }

    /// An immature coinbase.
    pub fn is_immature_coinbase(&self, entry: &Entry) -> bool {
        self.blocks_to_maturity(entry) > 0
    }

    /// Whether the user may abandon `txid` (Core's
    /// `TransactionCanBeAbandoned`).
    pub fn can_abandon(&self, txid: &Txid) -> bool {
        self.txs
            .get(txid)
            .is_some_and(|e| !e.state.is_abandoned() && self.depth(e) == 0 && !e.state.in_mempool())
    }

    /// Abandons `txid` and what spends it (Core's `AbandonTransaction`);
    /// false when it is confirmed or in the mempool.
    pub fn abandon(&mut self, txid: &Txid) -> bool {
        let Some(e) = self.txs.get(txid) else {
            return false;
        };
        if self.depth(e) != 0 || e.state.in_mempool() {
            return false;
        }
        self.recursive_update(*txid, true, |e, _| {
            if !e.state.is_block_conflicted() && !e.state.is_abandoned() {
                e.state = TxState::Inactive { abandoned: true };
                Update::NotifyChanged
            } else {
                Update::Unchanged
            }
        });
        true
    }

    /// Forgets `txid` (the in-memory half of Core's `RemoveTxs`): its
    /// entry, its place in the order, its spends and its outputs. Other
    /// transactions spending the same outputs keep them spent. The caller
    /// erases the stored record. False when it is not in the wallet.
    pub fn remove(&mut self, txid: &Txid) -> bool {
        let Some(e) = self.txs.remove(txid) else {
            return false;
        };
        if let Some(pos) = e.record.order_pos {
            if self.ordered.get(&pos) == Some(txid) {
                self.ordered.remove(&pos);
            }
        }
        for input in &e.tx().input {
            let prevout = input.previous_output;
            if let Some(list) = self.spends.get_mut(&prevout) {
                list.retain(|t| t != txid);
                if list.is_empty() {
                    self.spends.remove(&prevout);
                }
            }
        }
        for i in 0..e.tx().output.len() {
            self.txos.remove(&OutPoint::new(*txid, i as u32));
        }
        self.pending.write.remove(txid);
        self.pending.wallet_notify.retain(|t| t != txid);
        self.pending.notify.retain(|(t, _)| t != txid);
        self.pending.involved.remove(txid);
        true
    }

    /// Whether a live wallet transaction spends `outpoint`.
    pub fn is_spent(&self, outpoint: &OutPoint) -> bool {
        self.spends.get(outpoint).is_some_and(|list| {
            list.iter().any(|t| {
                self.txs.get(t).is_some_and(|e| {
                    !e.state.is_abandoned()
                        && !e.state.is_block_conflicted()
                        && e.mempool_conflicts.is_empty()
                })
            })
        })
    }

    /// How `outpoint` is spent (Core's `HowSpent`).
    pub fn how_spent(&self, outpoint: &OutPoint) -> SpendType {
        let mut st = SpendType::Unspent;
        for t in self.spends.get(outpoint).into_iter().flatten() {
            let Some(e) = self.txs.get(t) else {
                continue;
            };
            if e.state.is_confirmed() {
                return SpendType::Confirmed;
            }
            if e.state.in_mempool() {
                st = SpendType::Mempool;
            } else if !e.state.is_abandoned()
                && !e.state.is_block_conflicted()
                && e.mempool_conflicts.is_empty()
                && st == SpendType::Unspent
            {
                st = SpendType::NonMempool;
            }
        }
        st
    }

    /// The wallet transactions spending an output `txid` spends too
    /// (Core's `GetConflicts`), `txid` included when it has any.
    pub fn conflicts(&self, txid: &Txid) -> BTreeSet<Txid> {
        let mut out = BTreeSet::new();
        for prevout in self.tx_inputs(txid) {
            if let Some(list) = self.spends.get(&prevout).filter(|l| l.len() > 1) {
                out.extend(list.iter().copied());
            }
        }
        out
    }

    /// The wallet transactions spending `outpoint`.
    pub fn spenders(&self, outpoint: &OutPoint) -> &[Txid] {
        self.spends.get(outpoint).map_or(&[], Vec::as_slice)
    }

    /// Whether any output of `tx` is spent by a wallet transaction.
    pub fn has_wallet_spend(&self, tx: &Transaction) -> bool {
        let txid = tx.compute_txid();
        (0..tx.output.len()).any(|i| self.is_spent(&OutPoint::new(txid, i as u32)))
    }

    /// Records that `by` replaced `txid` (Core's `MarkReplaced`): its
    /// mempool status is re-read, and the entry is written and announced
    /// (without `-walletnotify`, which only new data triggers). False when
    /// `txid` is not in the wallet.
    pub fn mark_replaced(&mut self, txid: &Txid, by: Txid, env: &dyn LedgerEnv) -> bool {
        let Some(e) = self.txs.get_mut(txid) else {
            return false;
        };
        e.record.replaced_by_txid = Some(by);
        self.refresh_mempool_status(txid, env);
        self.pending.write.insert(*txid);
        self.pending.notify.push((*txid, Change::Updated));
        true
    }

    /// Re-reads whether `txid` is in the mempool (Core's
    /// `RefreshMempoolStatus`).
    fn refresh_mempool_status(&mut self, txid: &Txid, env: &dyn LedgerEnv) {
        let in_pool = env.in_mempool(txid);
        if let Some(e) = self.txs.get_mut(txid) {
            if in_pool {
                e.state = TxState::InMempool;
            } else if e.state.in_mempool() {
                e.state = TxState::Inactive { abandoned: false };
            }
        }
    }

    /// A transaction entered the mempool.
    pub fn transaction_added_to_mempool(&mut self, tx: &Transaction, env: &dyn LedgerEnv) {
        let txid = tx.compute_txid();
        self.sync_transaction(tx, SyncState::InMempool, false, env);
        if self.txs.contains_key(&txid) {
            self.refresh_mempool_status(&txid, env);
        }
        for input in &tx.input {
            let spenders: Vec<Txid> = self
                .spenders(&input.previous_output)
                .iter()
                .copied()
                .filter(|t| *t != txid)
                .collect();
            for s in spenders {
                self.recursive_update(s, false, |e, _| {
                    if e.mempool_conflicts.insert(txid) {
                        Update::Changed
                    } else {
                        Update::Unchanged
                    }
                });
            }
        }
        if tx.version.0 == TRUC_VERSION {
            for input in &tx.input {
                let parent = input.previous_output.txid;
                let unconfirmed = self.txs.get(&parent).is_some_and(Entry::is_unconfirmed);
                if unconfirmed {
                    if let Some(p) = self.txs.get_mut(&parent) {
                        p.truc_child_in_mempool = Some(txid);
                    }
                    self.update_truc_sibling_conflicts(parent, txid, true);
                }
            }
        }
    }

    fn update_truc_sibling_conflicts(&mut self, parent: Txid, child: Txid, add: bool) {
        let outputs = self.txs.get(&parent).map_or(0, |e| e.tx().output.len());
        for i in 0..outputs {
            let siblings: Vec<Txid> = self
                .spenders(&OutPoint::new(parent, i as u32))
                .iter()
                .copied()
                .filter(|s| *s != child)
                .collect();
            for s in siblings {
                self.recursive_update(s, false, |e, _| {
                    let changed = if add {
                        e.mempool_conflicts.insert(child)
                    } else {
                        e.mempool_conflicts.remove(&child)
                    };
                    if changed {
                        Update::Changed
                    } else {
                        Update::Unchanged
                    }
                });
            }
        }
    }

    /// A transaction left the mempool; `conflict` when a block's
    /// transaction conflicted it out.
    pub fn transaction_removed_from_mempool(
        &mut self,
        tx: &Transaction,
        conflict: bool,
        env: &dyn LedgerEnv,
    ) {
        let txid = tx.compute_txid();
        if self.txs.contains_key(&txid) {
            self.refresh_mempool_status(&txid, env);
        }
        if conflict {
            // Core marks these unconfirmed, not conflicted: the block's
            // own handling marks real conflicts.
            self.sync_transaction(tx, SyncState::Inactive { abandoned: false }, false, env);
        }
        for input in &tx.input {
            let spenders: Vec<Txid> = self.spenders(&input.previous_output).to_vec();
            for s in spenders {
                self.recursive_update(s, false, |e, _| {
                    if e.mempool_conflicts.remove(&txid) {
                        Update::Changed
                    } else {
                        Update::Unchanged
                    }
                });
            }
        }
        if tx.version.0 == TRUC_VERSION {
            for input in &tx.input {
                let parent = input.previous_output.txid;
                let was_child = self
                    .txs
                    .get(&parent)
                    .is_some_and(|p| p.truc_child_in_mempool == Some(txid));
                if was_child {
                    if let Some(p) = self.txs.get_mut(&parent) {
                        p.truc_child_in_mempool = None;
                    }
                    self.update_truc_sibling_conflicts(parent, txid, false);
                }
            }
        }
    }

    /// A block joined the active chain (Core's `blockConnected`).
    /// `chain_time_max` is the greatest block time up to it.
    pub fn block_connected(
        &mut self,
        block: &Block,
        hash: BlockHash,
        height: i32,
        chain_time_max: i64,
        env: &dyn LedgerEnv,
    ) {
        self.set_last_block(hash, height);
        if chain_time_max < self.birth_time.saturating_sub(TIMESTAMP_WINDOW * 2) {
            return;
        }
        let mut updated = false;
        for (index, tx) in block.txdata.iter().enumerate() {
            let state = SyncState::Confirmed {
                block_hash: hash,
                height,
                index: index as i32,
            };
            updated |= self.sync_transaction(tx, state, false, env);
            self.transaction_removed_from_mempool(tx, false, env);
        }
        if updated || height % 144 == 0 {
            self.pending.best_block = true;
        }
    }

    /// A block left the active chain (Core's `blockDisconnected`).
    pub fn block_disconnected(
        &mut self,
        block: &Block,
        height: i32,
        prev_hash: BlockHash,
        env: &dyn LedgerEnv,
    ) {
        for (index, tx) in block.txdata.iter().enumerate() {
            // A coinbase can never be mined again as it is.
            let state = SyncState::Inactive {
                abandoned: index == 0,
            };
            self.sync_transaction(tx, state, false, env);
            if tx.is_coinbase() {
                continue;
            }
            for input in &tx.input {
                let conflicted: Vec<Txid> = self
                    .spenders(&input.previous_output)
                    .iter()
                    .copied()
                    .filter(|t| {
                        self.txs
                            .get(t)
                            .is_some_and(|e| e.state.is_block_conflicted())
                    })
                    .collect();
                for c in conflicted {
                    self.recursive_update(c, true, |e, _| match e.state {
                        TxState::BlockConflicted { height: h, .. } if h >= height => {
                            e.state = TxState::Inactive { abandoned: false };
                            Update::Changed
                        }
                        _ => Update::Unchanged,
                    });
                }
            }
        }
        self.set_last_block(prev_hash, height - 1);
        self.pending.best_block = true;
    }
}

/// Edits an entry on [`Ledger::add`] (second argument: newly inserted);
/// returns whether it changed anything.
pub type UpdateFn<'a> = &'a mut dyn FnMut(&mut Entry, bool) -> bool;

/// What a state update did (Core's `TxUpdate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Update {
    Unchanged,
    Changed,
    NotifyChanged,
}

fn depth_of(state: TxState, last_height: i32) -> i32 {
    match state {
        TxState::Confirmed { height, .. } => last_height - height + 1,
        TxState::BlockConflicted { height, .. } => -(last_height - height + 1),
        _ => 0,
    }
}

/// The same transaction but for signatures (Core's `IsEquivalentTo`).
fn equivalent(a: &Transaction, b: &Transaction) -> bool {
    let strip = |t: &Transaction| {
        let mut t = t.clone();
        for i in &mut t.input {
            i.script_sig = bitcoin::ScriptBuf::new();
            i.witness = bitcoin::Witness::new();
        }
        t
    };
    strip(a) == strip(b)
}

fn clamp_u32(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}
