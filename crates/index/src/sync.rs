//! The background thread every index runs (Core's `BaseIndex`): catch up
//! from the block files at start, then follow the active tip, rewinding to
//! the fork point when the index's best block leaves the active chain.
//!
//! Per-block data is keyed by block hash and depends only on the block and
//! its ancestors, so data of blocks that later leave the active chain stays
//! valid (stale blocks keep their filters and statistics) and a rewind only
//! moves the best block. The best block is written to disk only when it is
//! an ancestor of the chainstate's flushed tip, so after a crash the index
//! never claims blocks the chainstate has forgotten.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::hashes::Hash as _;
use bitcoin::{Block, BlockHash};
use blockstore::store::status;
use blockstore::{BlockUndo, FlatFilePos};
use chain::{BlockId, Chainstate};
use redb::WriteTransaction;

use crate::source::{tip_of, with_chainstate, ChainSource};
use crate::store::{write_best_block, IndexDb, IndexError, Result};

/// Blocks written per database transaction while catching up.
const BLOCKS_PER_COMMIT: usize = 1000;
/// How often progress is logged while catching up (Core's `SYNC_LOG_INTERVAL`).
const SYNC_LOG_INTERVAL: Duration = Duration::from_secs(30);
/// How long the synced thread sleeps before retrying to record its best
/// block (the chainstate may have been flushed meanwhile) and checking
/// for a stop request; short so that shutdown is not held up.
const IDLE_WAKE: Duration = Duration::from_millis(250);
/// Longest an RPC waits for an index to reach the tip.
const SYNC_WAIT: Duration = Duration::from_secs(60);
/// Recent connections an index keeps an eye on for blocks that go stale.
const RECENT_CONNECTS: usize = 200;

/// A block handed to an index, with what the index needs to process it.
pub struct BlockData {
    /// The block's hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u32,
    /// The block.
    pub block: Block,
    /// Its undo data (spent coins), for indexes that ask for it; empty for genesis.
    pub undo: Option<BlockUndo>,
    /// Where the block is stored in the blk files.
    pub pos: FlatFilePos,
}

/// One kind of index: what it stores for each block.
pub trait IndexKind: Send + 'static {
    /// The name Core uses in logs and `getindexinfo`.
    fn name(&self) -> &'static str;
    /// Whether [`BlockData::undo`] must be filled.
    fn needs_undo(&self) -> bool;
    /// Stores the index data of `block` in `tx`.
    fn append(&mut self, tx: &WriteTransaction, block: &BlockData) -> Result<()>;
    /// Whether the index deletes the data of blocks it rewinds past (see
    /// [`IndexKind::remove`]); such an index rewinds, as Core's do, only
    /// once the active chain has a block to connect after the fork.
    fn removes_on_rewind(&self) -> bool {
        false
    }
    /// Deletes in `tx` what [`IndexKind::append`] stored for `block`, which
    /// left the active chain.
    fn remove(&mut self, _tx: &WriteTransaction, _block: &BlockData) -> Result<()> {
        Ok(())
    }
}

/// An index's progress as `getindexinfo` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The index name.
    pub name: &'static str,
    /// Whether the index has caught up with the chain once.
    pub synced: bool,
    /// Height of the last block processed (0 before any).
    pub best_block_height: u32,
}

#[derive(Default)]
struct Status {
    best: Option<(BlockHash, u32)>,
    synced: bool,
}

struct Shared {
    name: &'static str,
    db: Arc<IndexDb>,
    status: Mutex<Status>,
    changed: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_best(&self, best: Option<(BlockHash, u32)>, synced: bool) {
        let mut s = self.status();
        s.best = best;
        s.synced |= synced;
        self.changed.notify_all();
    }
}

/// A running index: its thread and its progress.
pub struct IndexRunner {
    shared: Arc<Shared>,
    source: Arc<dyn ChainSource>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

enum Step {
    Connect(Box<BlockData>),
    /// Back to the fork point, with the blocks left behind (tip first) for
    /// indexes that delete their data.
    Rewind(BlockHash, u32, Vec<BlockData>),
    /// The index is ahead on a branch the active chain left but nothing
    /// follows the fork yet: wait for the tip (`.0`) to move.
    AwaitFork(BlockHash),
    /// The next block lies below a loaded UTXO snapshot and the background
    /// chainstate has not stored it yet: wait (the tip is `.0`).
    AwaitBackground(BlockHash),
    Restart,
    AtTip,
}

/// Decides what the index at `best` does next to follow the active chain.
fn next_step(
    cs: &Chainstate,
    name: &'static str,
    best: Option<(BlockHash, u32)>,
    needs_undo: bool,
    removes: bool,
) -> std::result::Result<Step, String> {
    let next = match best {
        None => {
            cs.set_prune_lock(name, 0);
            cs.at_height(0)
        }
        Some((hash, height)) => {
            let Some(id) = cs.index().id(&hash) else {
                cs.set_prune_lock(name, 0);
                return Ok(Step::Restart);
            };
            if !cs.is_active(id) {
                let fork = cs
                    .tip()
                    .and_then(|tip| cs.index().last_common_ancestor(id, tip))
                    .and_then(|f| cs.index().entry(f));
                // Pruning must leave the blocks the rewind goes back to.
                cs.set_prune_lock(name, fork.map_or(0, |f| f.height));
                let Some(f) = fork else {
                    return Ok(Step::Restart);
                };
                if !removes {
                    return Ok(Step::Rewind(f.hash, f.height, Vec::new()));
                }
                let fork_id = cs.index().id(&f.hash);
                if fork_id.and_then(|f| cs.next_in_active(f)).is_none() {
                    let tip = cs.tip_entry().map_or(f.hash, |t| t.hash);
                    return Ok(Step::AwaitFork(tip));
                }
                let (fork_hash, fork_height) = (f.hash, f.height);
                let mut left = Vec::new();
                let mut cur = Some(id);
                while let Some(c) = cur.filter(|c| Some(*c) != fork_id) {
                    let e = cs
                        .index()
                        .entry(c)
                        .ok_or_else(|| "stale block not in the block index".to_string())?;
                    let (hash, height, pos, parent) = (
                        e.hash,
                        e.height,
                        FlatFilePos::new(e.file, e.data_pos),
                        e.parent,
                    );
                    let block = cs
                        .read_block(c)
                        .map_err(|e| format!("Failed to read block {hash} from disk: {e}"))?;
                    left.push(BlockData {
                        hash,
                        height,
                        block,
                        undo: None,
                        pos,
                    });
                    cur = parent;
                }
                return Ok(Step::Rewind(fork_hash, fork_height, left));
            }
            cs.set_prune_lock(name, height);
            cs.next_in_active(id)
        }
    };
    let Some(id) = next else {
        return Ok(Step::AtTip);
    };
    connect_step(cs, id, needs_undo)
}

/// The step that indexes block `id` (read with its undo data if needed).
fn connect_step(
    cs: &Chainstate,
    id: BlockId,
    needs_undo: bool,
) -> std::result::Result<Step, String> {
    let entry = cs
        .index()
        .entry(id)
        .ok_or_else(|| "block to index not in the block index".to_string())?;
    let (hash, height, pos) = (
        entry.hash,
        entry.height,
        FlatFilePos::new(entry.file, entry.data_pos),
    );
    let missing = entry.status & blockstore::status::HAVE_DATA == 0
        || (needs_undo && height > 0 && entry.status & blockstore::status::HAVE_UNDO == 0);
    if missing && cs.unvalidated_snapshot_base().is_some() {
        let tip = cs.tip_entry().map_or(hash, |t| t.hash);
        return Ok(Step::AwaitBackground(tip));
    }
    let block = cs
        .read_block(id)
        .map_err(|e| format!("Failed to read block {hash} from disk: {e}"))?;
    let undo = if needs_undo && height > 0 {
        Some(
            cs.read_undo(id)
                .map_err(|e| format!("Failed to read undo block data {hash} from disk: {e}"))?,
        )
    } else {
        None
    };
    Ok(Step::Connect(Box::new(BlockData {
        hash,
        height,
        block,
        undo,
        pos,
    })))
}

/// A block that was connected on top of the index's `best` but has left the
/// active chain since: the index takes it before rewinding, as Core's
/// indexes see every connected block.
fn stale_successor(
    cs: &Chainstate,
    best: Option<(BlockHash, u32)>,
    recent: &mut Vec<(BlockHash, BlockHash)>,
) -> Option<BlockId> {
    let (best_hash, _) = best?;
    let pos = recent.iter().position(|(hash, parent)| {
        *parent == best_hash && cs.index().id(hash).is_some_and(|id| !cs.is_active(id))
    })?;
    let (hash, _) = recent.remove(pos);
    cs.index().id(&hash)
}

/// Whether `best` may be recorded: it is the chainstate's flushed tip or an ancestor of it.
fn behind_flushed_tip(cs: &Chainstate, best: &(BlockHash, u32)) -> bool {
    let Ok(Some(flushed)) = cs.store().best_block() else {
        return false;
    };
    let index = cs.index();
    match (index.id(&flushed), index.id(&best.0)) {
        (Some(f), Some(b)) => index.ancestor_id(f, best.1) == Some(b),
        _ => false,
    }
}

struct Syncer<K> {
    kind: K,
    shared: Arc<Shared>,
    source: Arc<dyn ChainSource>,
    best: Option<(BlockHash, u32)>,
    recorded: Option<BlockHash>,
    pending: Option<WriteTransaction>,
    pending_blocks: usize,
}

impl<K: IndexKind> Syncer<K> {
    fn run(mut self) {
        let name = self.shared.name;
        tracing::info!("{name} thread start");
        if let Err(e) = self.follow() {
            tracing::error!("{name}: {e}");
        }
        if let Err(e) = self.commit() {
            tracing::error!("Failed to commit latest {name} state: {e}");
        }
        tracing::info!("{name} thread exit");
    }

    fn follow(&mut self) -> Result<()> {
        let name = self.shared.name;
        let mut last_log = Instant::now();
        let mut synced = false;
        // Blocks connected since the thread started, for the ones that leave
        // the active chain before the index reaches them.
        let (mut seen, _) =
            with_chainstate(self.source.as_ref(), |cs| cs.connected_since(u64::MAX));
        let mut recent: Vec<(BlockHash, BlockHash)> = Vec::new();
        while !self.shared.stop.load(Ordering::Relaxed) {
            let best = self.best;
            let needs_undo = self.kind.needs_undo();
            let removes = self.kind.removes_on_rewind();
            let step = with_chainstate(self.source.as_ref(), |cs| {
                let (count, new) = cs.connected_since(seen);
                seen = count;
                recent.extend(new);
                let excess = recent.len().saturating_sub(RECENT_CONNECTS);
                recent.drain(..excess);
                match stale_successor(cs, best, &mut recent) {
                    Some(id) => connect_step(cs, id, needs_undo),
                    None => next_step(cs, name, best, needs_undo, removes),
                }
            })
            .map_err(IndexError)?;
            match step {
                Step::Connect(block) => {
                    let tx = match self.pending.take() {
                        Some(tx) => tx,
                        None => self.shared.db.db().begin_write()?,
                    };
                    self.kind.append(&tx, &block)?;
                    self.pending = Some(tx);
                    self.pending_blocks += 1;
                    self.best = Some((block.hash, block.height));
                    // Following the tip, every block is committed at once so
                    // RPCs waiting for it can read it; catching up, in batches.
                    if synced || self.pending_blocks >= BLOCKS_PER_COMMIT {
                        self.commit()?;
                    }
                    if !synced && last_log.elapsed() >= SYNC_LOG_INTERVAL {
                        tracing::info!(
                            "Syncing {name} with block chain from height {}",
                            block.height
                        );
                        last_log = Instant::now();
                    }
                }
                Step::Rewind(hash, height, left) => {
                    if !left.is_empty() {
                        let tx = match self.pending.take() {
                            Some(tx) => tx,
                            None => self.shared.db.db().begin_write()?,
                        };
                        for block in &left {
                            self.kind.remove(&tx, block)?;
                        }
                        self.pending = Some(tx);
                    }
                    self.best = Some((hash, height));
                    self.commit()?;
                }
                Step::AwaitFork(tip) => {
                    self.commit()?;
                    self.shared.set_best(self.best, true);
                    self.source.wait_for_tip_change(tip, IDLE_WAKE);
                }
                Step::AwaitBackground(tip) => {
                    self.commit()?;
                    self.shared.set_best(self.best, false);
                    self.source.wait_for_tip_change(tip, IDLE_WAKE);
                }
                Step::Restart => {
                    tracing::warn!("{name}: best block of the index is not in the block index; rebuilding the index");
                    self.best = None;
                    self.shared.set_best(None, false);
                }
                Step::AtTip => {
                    self.commit()?;
                    if !synced {
                        synced = true;
                        match self.best {
                            Some((_, h)) => tracing::info!("{name} is enabled at height {h}"),
                            None => tracing::info!("{name} is enabled"),
                        }
                    }
                    self.shared.set_best(self.best, true);
                    let current = self.best.map(|b| b.0).unwrap_or(BlockHash::all_zeros());
                    self.source.wait_for_tip_change(current, IDLE_WAKE);
                }
            }
        }
        Ok(())
    }

    /// Writes pending data, and the best block when the chainstate's
    /// flushed tip covers it.
    fn commit(&mut self) -> Result<()> {
        let record = self.best.filter(|b| {
            Some(b.0) != self.recorded
                && with_chainstate(self.source.as_ref(), |cs| behind_flushed_tip(cs, b))
        });
        if self.pending.is_none() && record.is_none() {
            self.shared.set_best(self.best, false);
            return Ok(());
        }
        let tx = match self.pending.take() {
            Some(tx) => tx,
            None => self.shared.db.db().begin_write()?,
        };
        if let Some((hash, _)) = record {
            write_best_block(&tx, &hash)?;
        }
        tx.commit()?;
        self.pending_blocks = 0;
        // Readers only learn of blocks whose data they can see.
        self.shared.set_best(self.best, false);
        if let Some((hash, _)) = record {
            self.recorded = Some(hash);
        }
        Ok(())
    }
}

/// Whether the active chain still holds every block (and, with `needs_undo`,
/// its undo data) an index at `stored` must read to reach the tip; an index
/// that fell behind what was since pruned cannot catch up (Core's
/// `CheckBlockDataAvailability` at start-up).
fn data_available(cs: &Chainstate, stored: Option<BlockHash>, needs_undo: bool) -> bool {
    let Some(tip) = cs.tip() else { return true };
    let start = stored
        .and_then(|hash| cs.index().id(&hash))
        .and_then(|id| cs.index().last_common_ancestor(id, tip))
        .and_then(|id| cs.index().entry(id))
        .map_or(0, |e| e.height);
    if Some(start) == cs.index().entry(tip).map(|e| e.height) {
        return true;
    }
    let snapshot = cs.unvalidated_snapshot_base().is_some();
    (start..=cs.height()).all(|h| {
        let mask = if needs_undo && h > 0 {
            status::HAVE_DATA | status::HAVE_UNDO
        } else {
            status::HAVE_DATA
        };
        // Below a loaded UTXO snapshot, blocks not downloaded yet (no
        // transaction count) and undo data not written yet come with
        // background validation; only pruned blocks are lost.
        let awaited =
            |e: &chain::IndexEntry| snapshot && (e.n_tx == 0 || e.status & status::HAVE_DATA != 0);
        cs.at_height(h)
            .and_then(|id| cs.index().entry(id))
            .is_some_and(|e| e.status & mask == mask || awaited(e))
    })
}

impl IndexRunner {
    /// Fails with Core's init error when blocks the index at its stored
    /// best block still has to read were pruned.
    pub fn check_data_available<K: IndexKind>(
        kind: &K,
        db: &IndexDb,
        source: &dyn ChainSource,
    ) -> std::result::Result<(), String> {
        let stored = db.best_block().map_err(|e| e.to_string())?;
        let needs_undo = kind.needs_undo();
        if with_chainstate(source, |cs| data_available(cs, stored, needs_undo)) {
            return Ok(());
        }
        Err(format!(
            "{} best block of the index goes beyond pruned data{}. Please disable the index or reindex (which will download the whole blockchain again)",
            kind.name(),
            if needs_undo { " (including undo data)" } else { "" }
        ))
    }

    /// Starts the thread of `kind`, resuming from the best block stored in `db`.
    pub fn start<K: IndexKind>(
        kind: K,
        db: Arc<IndexDb>,
        source: Arc<dyn ChainSource>,
    ) -> Result<Arc<IndexRunner>> {
        let name = kind.name();
        let stored = db.best_block()?;
        let best = stored.and_then(|hash| {
            with_chainstate(source.as_ref(), |cs| {
                let found = cs.index().get(&hash).map(|e| (e.hash, e.height));
                cs.set_prune_lock(name, found.map_or(0, |b| b.1));
                found
            })
        });
        let shared = Arc::new(Shared {
            name,
            db,
            status: Mutex::new(Status {
                best,
                synced: false,
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let syncer = Syncer {
            kind,
            shared: shared.clone(),
            source: source.clone(),
            best,
            recorded: stored,
            pending: None,
            pending_blocks: 0,
        };
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || syncer.run())
            .map_err(|e| IndexError(format!("cannot start {name} thread: {e}")))?;
        Ok(Arc::new(IndexRunner {
            shared,
            source,
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// The index's database.
    pub fn db(&self) -> &IndexDb {
        &self.shared.db
    }

    /// Name, sync state and best height.
    pub fn summary(&self) -> Summary {
        let s = self.shared.status();
        Summary {
            name: self.shared.name,
            synced: s.synced,
            best_block_height: s.best.map_or(0, |b| b.1),
        }
    }

    /// The best block processed so far.
    pub fn best_block(&self) -> Option<(BlockHash, u32)> {
        self.shared.status().best
    }

    /// Waits until the index has processed the active tip (Core's
    /// `BlockUntilSyncedToCurrentChain`); `false` at once while the index
    /// is still catching up.
    pub fn block_until_synced(&self) -> bool {
        let deadline = Instant::now() + SYNC_WAIT;
        if !self.shared.status().synced {
            return false;
        }
        loop {
            // Copy the index's best block and let go of the status lock
            // before taking the chainstate: the index thread takes the
            // chainstate lock without holding the status lock.
            let best = self.shared.status().best;
            // Synced when the tip is the index's best block or an ancestor
            // of it (the index is ahead on a branch that was just left, as
            // Core's `BlockUntilSyncedToCurrentChain` accepts).
            let synced = with_chainstate(self.source.as_ref(), |cs| {
                let tip = tip_of(cs);
                best.is_some_and(|(hash, _)| {
                    hash == tip.0 || {
                        let index = cs.index();
                        let ancestor = index.id(&hash).and_then(|b| index.ancestor_id(b, tip.1));
                        ancestor.is_some() && ancestor == index.id(&tip.0)
                    }
                })
            });
            if synced {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || self.shared.stop.load(Ordering::Relaxed) {
                return true;
            }
            let wait = (deadline - now).min(Duration::from_millis(100));
            let status = self.shared.status();
            let _unused = self
                .shared
                .changed
                .wait_timeout(status, wait)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Stops the thread after it wrote its state.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}
