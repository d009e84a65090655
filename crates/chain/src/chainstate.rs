//! The chainstate: block index, active chain, coins cache and block storage
//! together, with loading and crash-safe flushing. Accepting blocks and
//! choosing the best chain live in `accept` and `activate`.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::{Block, BlockHash};
use blockstore::store::status;
use blockstore::{BlockFiles, BlockUndo, FlatFilePos, Store, WriteBatch, XorSetting};
use consensus::{HeaderInfo, Params, ScriptVerifier, ValidationError, VersionBitsCache};

use crate::coins::CoinsCache;
use crate::error::{ChainError, Result};
use crate::index::{BlockId, BlockIndex, IndexEntry};

/// How long modified state may stay in memory before it is written out even
/// when the cache is not full.
const FLUSH_INTERVAL: Duration = Duration::from_secs(60);

/// Where and how the chainstate keeps its data.
#[derive(Debug, Clone)]
pub struct ChainstateConfig {
    /// The blocks directory (`blk*.dat`, `rev*.dat`, `xor.dat`).
    pub blocks_dir: PathBuf,
    /// The block index database's directory (`blocks/index`).
    pub block_index_dir: PathBuf,
    /// The UTXO set database's directory (`chainstate`).
    pub chainstate_dir: PathBuf,
    /// Bytes the coins cache may use before it is flushed (`-dbcache`
    /// less the databases' page caches).
    pub coins_cache_bytes: usize,
    /// Page caches of the block index and UTXO databases.
    pub db_caches: blockstore::DbCaches,
    /// Obfuscation of new block directories (`-blocksxor`).
    pub xor: XorSetting,
    /// Small block files (`-fastprune`).
    pub fast_prune: bool,
    /// Threads for script checks (`-par`).
    pub script_threads: usize,
    /// Blocks at or below this one (on the best header chain) skip script checks (`-assumevalid`).
    pub assume_valid: Option<BlockHash>,
    /// Drop the block index and the UTXO set before loading (`-reindex`).
    pub wipe_block_index: bool,
    /// Drop the UTXO set before loading (`-reindex-chainstate`).
    pub wipe_coins: bool,
    /// `-prune=N` (N >= 550): keep block and undo files under this many
    /// bytes; `None` when block files are only deleted on request or never.
    pub auto_prune_target: Option<u64>,
}

/// How many blocks `invalidateblock` disconnects (from the tip down)
/// whose transactions go back to the mempool; the transactions of deeper
/// ones are dropped, as in Core's `InvalidateBlock`.
pub const INVALIDATE_READD_DEPTH: usize = 10;

/// Receives blocks as they join or leave the active chain (the mempool).
pub trait ChainListener {
    /// `block` became the tip at `height`.
    fn block_connected(&mut self, _block: &Block, _height: u32) {}
    /// `block`, the tip at `height`, was removed from the active chain.
    fn block_disconnected(&mut self, _block: &Block, _height: u32) {}
    /// `block`, the tip at `height`, was removed from the active chain by
    /// an `invalidateblock` reaching deeper than
    /// [`INVALIDATE_READD_DEPTH`] blocks: its transactions are not worth
    /// returning to the mempool (keeping the pool in step with a very
    /// deep invalidation is futile, as Core judges too).
    fn block_disconnected_deep(&mut self, block: &Block, height: u32) {
        self.block_disconnected(block, height);
    }
    /// Connecting the stored block `hash` failed with `error` (Core's
    /// `BlockChecked` with an invalid state), so whoever sent it can be
    /// held responsible even when another block triggered the connection.
    fn block_invalid(&mut self, _hash: BlockHash, _error: &ValidationError) {}
}

impl ChainListener for () {}

/// The node's view of the block chain.
pub struct Chainstate {
    pub(crate) params: Arc<Params>,
    pub(crate) config: ChainstateConfig,
    pub(crate) store: Arc<Store>,
    pub(crate) files: BlockFiles,
    pub(crate) index: BlockIndex,
    /// Active chain by height.
    pub(crate) active: Vec<BlockId>,
    pub(crate) best_header: Option<BlockId>,
    /// The most-work chain found invalid (Core's `m_best_invalid`).
    pub(crate) best_invalid: Option<BlockId>,
    pub(crate) coins: CoinsCache,
    /// Blocks with data for themselves and all ancestors that might become the tip.
    pub(crate) candidates: HashSet<BlockId>,
    /// Blocks with data whose parent's chain is not yet complete, by parent.
    pub(crate) unlinked: HashMap<BlockId, Vec<BlockId>>,
    pub(crate) dirty_index: HashSet<BlockId>,
    pub(crate) next_sequence: i32,
    pub(crate) precious_sequence: i32,
    pub(crate) last_precious_work: Option<bitcoin::pow::Work>,
    pub(crate) verifier: Arc<dyn ScriptVerifier>,
    pub(crate) versionbits: VersionBitsCache,
    pub(crate) ibd_done: AtomicBool,
    pub(crate) last_flush: Instant,
    /// Completed flushes.
    pub(crate) flushes: u64,
    /// A block just received, kept so connecting it does not read it back.
    pub(crate) recent: Option<(BlockHash, Arc<Block>)>,
    /// The last script-check reason logged (`Some(None)`: checks disabled),
    /// so the log line only appears when it changes.
    pub(crate) last_script_check_reason: Option<Option<&'static str>>,
    /// The most recently connected blocks (hash, parent), with the count of
    /// all connections so far: indexes read it so a block that was connected
    /// and disconnected again before they looked is still indexed, as Core's
    /// notification queue guarantees.
    pub(crate) connect_log: (u64, std::collections::VecDeque<(BlockHash, BlockHash)>),
    /// Set while blocks are loaded from files (`-reindex`, `-loadblock`).
    pub(crate) importing: AtomicBool,
    /// Best heights of indexes that read old blocks, by index name; pruning
    /// stays below them (Core's prune locks). Indexes update them through
    /// a shared borrow, hence the mutex.
    pub(crate) prune_locks: std::sync::Mutex<std::collections::BTreeMap<&'static str, u32>>,
    /// The snapshot chainstate's state while assumeutxo is in use.
    pub(crate) snapshot: Option<crate::assumeutxo::SnapshotState>,
    /// A fatal condition the node must stop for (see `take_fatal_error`).
    pub(crate) fatal_error: Option<String>,
    /// Set while `open` runs (a validated snapshot is moved into place then).
    pub(crate) starting: bool,
}

fn store_err(e: blockstore::StoreError) -> ChainError {
    ChainError::Store(e)
}

impl Chainstate {
    /// Opens (or creates) the chainstate for `params` and connects the genesis
    /// block on first start.
    pub fn open(
        params: Arc<Params>,
        config: ChainstateConfig,
        verifier: Arc<dyn ScriptVerifier>,
    ) -> Result<Self> {
        // Block files first: the XOR key is random only when the blocks
        // directory is still empty, before the block index creates `index/` in it.
        let max_file = if config.fast_prune {
            blockstore::FASTPRUNE_BLOCKFILE_SIZE
        } else {
            blockstore::MAX_BLOCKFILE_SIZE
        };
        let files = BlockFiles::open(
            &config.blocks_dir,
            params.message_start,
            config.xor,
            max_file,
        )?;
        let store = Arc::new(Store::open_with_caches(
            &config.block_index_dir,
            &config.chainstate_dir,
            config.db_caches,
        )?);
        if config.wipe_block_index || config.wipe_coins {
            store.wipe(config.wipe_block_index, true)?;
        }
        if config.wipe_block_index {
            // Until the block files are scanned again; an interrupted
            // reindex carries on at the next start.
            store.set_reindexing(true)?;
        }
        if !config.wipe_block_index {
            files.load_file_info(
                store.load_file_info()?,
                store.last_block_file()?.unwrap_or(0),
            );
        }
        let coins = CoinsCache::new(store.clone())?;
        let mut cs = Chainstate {
            params,
            config,
            store,
            files,
            index: BlockIndex::new(),
            active: Vec::new(),
            best_header: None,
            best_invalid: None,
            coins,
            candidates: HashSet::new(),
            unlinked: HashMap::new(),
            dirty_index: HashSet::new(),
            next_sequence: 1,
            precious_sequence: -1,
            last_precious_work: None,
            verifier,
            versionbits: VersionBitsCache::new(),
            ibd_done: AtomicBool::new(false),
            last_flush: Instant::now(),
            flushes: 0,
            recent: None,
            last_script_check_reason: None,
            connect_log: (0, std::collections::VecDeque::new()),
            importing: AtomicBool::new(false),
            prune_locks: Default::default(),
            snapshot: None,
            fatal_error: None,
            starting: false,
        };
        cs.load_block_index()?;
        cs.load_tip()?;
        cs.load_snapshot_chainstate()?;
        Ok(cs)
    }

    fn load_block_index(&mut self) -> Result<()> {
        let mut disk = self.store.load_block_index()?;
        disk.sort_by_key(|d| d.height);
        for d in &disk {
            self.index
                .restore(d)
                .map_err(|e| ChainError::System(format!("Error loading block database: {e:?}")))?;
        }
        // Chain transaction counts are derived, not stored.
        let ids: Vec<BlockId> = self.index.entries().map(|(id, _)| id).collect();
        for id in ids {
            let Some(e) = self.index.entry(id) else {
                continue;
            };
            // Pruned blocks keep their transaction count, so a block counts
            // once it was stored, whether or not its data is still there.
            let has_data = e.n_tx > 0;
            let parent = e.parent;
            let n_tx = u64::from(e.n_tx);
            let parent_tx = match parent {
                None => Some(0),
                Some(p) => self.index.entry(p).map(|p| p.chain_tx).filter(|t| *t > 0),
            };
            if has_data {
                match (parent_tx, parent) {
                    (Some(ptx), _) => {
                        if let Some(e) = self.index.entry_mut(id) {
                            e.chain_tx = ptx + n_tx;
                        }
                    }
                    (None, Some(p)) => self.unlinked.entry(p).or_default().push(id),
                    (None, None) => {}
                }
            }
            self.update_best_header(id);
        }
        Ok(())
    }

    fn load_tip(&mut self) -> Result<()> {
        match self.coins.best_block() {
            Some(hash) => {
                let id = self.index.id(&hash).ok_or_else(|| {
                    tracing::error!(
                        "The coins database's best block {hash} is not in the block index"
                    );
                    ChainError::LoadFailed("Error initializing block database".to_string())
                })?;
                self.set_active_chain(id);
                if let Some(tip) = self.tip_entry() {
                    tracing::info!(
                        "Loaded best chain: hashBestChain={} height={} date={} progress={:.6}",
                        tip.hash,
                        tip.height,
                        format_time(tip.header.time),
                        self.guess_verification_progress(tip)
                    );
                }
            }
            None => {
                // A reindex finds genesis in the block files (see
                // `load_genesis_if_missing`).
                if self.index.is_empty() && !self.store.is_reindexing()? {
                    self.store_genesis(None)?;
                }
            }
        }
        self.rebuild_candidates();
        Ok(())
    }

    /// Indexes the genesis block, written to the block files or, when read
    /// back from them during a reindex, recorded at `known_pos`.
    pub(crate) fn store_genesis(&mut self, known_pos: Option<FlatFilePos>) -> Result<()> {
        let genesis = self.params.genesis.clone();
        let id = self
            .index
            .insert(genesis.header)
            .map_err(|e| ChainError::System(format!("cannot index genesis block: {e:?}")))?;
        self.raise_validity(id, status::VALID_TREE);
        let pos = match known_pos {
            Some(pos) => {
                let size = u32::try_from(genesis.total_size()).unwrap_or(u32::MAX);
                self.files
                    .note_existing_block(pos, size, 0, u64::from(genesis.header.time));
                pos
            }
            None => self.files.write_block(&genesis, 0)?,
        };
        self.received_block_data(id, genesis.txdata.len(), pos);
        Ok(())
    }

    /// What connecting a block on top of `prev` needs from the chainstate.
    pub(crate) fn connect_context<'a>(
        &'a self,
        prev: &'a consensus::HeaderInfo,
        check_scripts: bool,
    ) -> crate::connect::ConnectContext<'a> {
        crate::connect::ConnectContext {
            params: &self.params,
            chain: &self.index,
            prev,
            verifier: self.verifier.as_ref(),
            script_threads: self.config.script_threads,
            check_scripts,
        }
    }

    /// Sets the active chain to end at `tip`.
    pub(crate) fn set_active_chain(&mut self, tip: BlockId) {
        let mut chain = Vec::new();
        let mut cur = Some(tip);
        while let Some(id) = cur {
            chain.push(id);
            cur = self.index.entry(id).and_then(|e| e.parent);
        }
        chain.reverse();
        self.active = chain;
    }

    /// Records that the data of `id` (with `n_tx` transactions) is stored at
    /// `pos`, linking it and any waiting descendants into the chain.
    pub(crate) fn received_block_data(&mut self, id: BlockId, n_tx: usize, pos: FlatFilePos) {
        let segwit = {
            let height = self.index.entry(id).map_or(0, |e| e.height);
            consensus::flags::deployment_active_at(
                height,
                consensus::BuriedDeployment::Segwit,
                &self.params,
            )
        };
        if let Some(e) = self.index.entry_mut(id) {
            e.n_tx = n_tx as u32;
            e.file = pos.file;
            e.data_pos = pos.pos;
            e.status |= status::HAVE_DATA;
            if segwit {
                e.status |= status::OPT_WITNESS;
            }
        }
        self.raise_validity(id, status::VALID_TRANSACTIONS);
        self.dirty_index.insert(id);
        let parent_linked = match self.index.entry(id).and_then(|e| e.parent) {
            None => true,
            Some(p) => self.index.entry(p).is_some_and(|p| p.chain_tx > 0),
        };
        if !parent_linked {
            if let Some(p) = self.index.entry(id).and_then(|e| e.parent) {
                self.unlinked.entry(p).or_default().push(id);
            }
            return;
        }
        self.link_chain_tx(vec![id]);
    }

    /// Gives the blocks in `queue`, whose parents are linked, and every
    /// waiting descendant their chain transaction count and sequence id, and
    /// makes candidates of those that qualify.
    pub(crate) fn link_chain_tx(&mut self, mut queue: Vec<BlockId>) {
        while let Some(id) = queue.pop() {
            let parent_tx = self
                .index
                .entry(id)
                .and_then(|e| e.parent)
                .and_then(|p| self.index.entry(p))
                .map_or(0, |p| p.chain_tx);
            let seq = self.next_sequence;
            self.next_sequence = self.next_sequence.saturating_add(1);
            if let Some(e) = self.index.entry_mut(id) {
                e.chain_tx = parent_tx + u64::from(e.n_tx);
                e.sequence_id = seq;
            }
            if self.is_candidate_worthy(id) {
                self.candidates.insert(id);
            }
            if let Some(children) = self.unlinked.remove(&id) {
                queue.extend(children);
            }
        }
    }

    fn is_candidate_worthy(&self, id: BlockId) -> bool {
        let Some(e) = self.index.entry(id) else {
            return false;
        };
        let tip_work = self.tip_entry().map(|t| t.chain_work);
        e.status & status::FAILED_MASK == 0
            && e.chain_tx > 0
            && (e.status & status::VALID_MASK) >= status::VALID_TRANSACTIONS
            && tip_work.is_none_or(|w| e.chain_work >= w)
    }

    /// Recomputes the candidate set from the whole index (after loading,
    /// invalidation or reconsideration).
    pub(crate) fn rebuild_candidates(&mut self) {
        let ids: Vec<BlockId> = self.index.entries().map(|(id, _)| id).collect();
        self.candidates.clear();
        for id in ids {
            if self.is_candidate_worthy(id) {
                self.candidates.insert(id);
            }
        }
        if let Some(&tip) = self.active.last() {
            self.candidates.insert(tip);
        }
    }

    /// Raises the validity level of `id` to at least `level`.
    pub(crate) fn raise_validity(&mut self, id: BlockId, level: u32) {
        if let Some(e) = self.index.entry_mut(id) {
            if e.status & status::FAILED_MASK == 0 && (e.status & status::VALID_MASK) < level {
                e.status = (e.status & !status::VALID_MASK) | level;
                self.dirty_index.insert(id);
            }
        }
    }

    pub(crate) fn update_best_header(&mut self, id: BlockId) {
        let Some(e) = self.index.entry(id) else {
            return;
        };
        if e.status & status::FAILED_MASK != 0 {
            return;
        }
        let better = match self.best_header.and_then(|b| self.index.entry(b)) {
            None => true,
            Some(b) => e.chain_work > b.chain_work,
        };
        if better {
            self.best_header = Some(id);
        }
    }

    /// Chooses the best header again (after invalidation changed validity).
    pub(crate) fn recompute_best_header(&mut self) {
        self.best_header = None;
        let ids: Vec<BlockId> = self.index.entries().map(|(id, _)| id).collect();
        for id in ids {
            self.update_best_header(id);
        }
        if self.best_header.is_none() {
            self.best_header = self.active.last().copied();
        }
    }

    /// Consensus parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Shared handle to the consensus parameters.
    pub fn params_arc(&self) -> Arc<Params> {
        self.params.clone()
    }

    /// The block index.
    pub fn index(&self) -> &BlockIndex {
        &self.index
    }

    /// The coins cache.
    pub fn coins(&self) -> &CoinsCache {
        &self.coins
    }

    /// The block files.
    pub fn files(&self) -> &BlockFiles {
        &self.files
    }

    /// The store (for indexes and statistics that scan it).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The BIP9 state cache.
    pub fn versionbits(&self) -> &VersionBitsCache {
        &self.versionbits
    }

    /// The active tip's id.
    pub fn tip(&self) -> Option<BlockId> {
        self.active.last().copied()
    }

    /// The active tip's entry.
    pub fn tip_entry(&self) -> Option<&IndexEntry> {
        self.tip().and_then(|id| self.index.entry(id))
    }

    /// Height of the active tip (0 before genesis is connected).
    pub fn height(&self) -> u32 {
        self.active.len().saturating_sub(1) as u32
    }

    /// The active-chain block at `height`.
    pub fn at_height(&self, height: u32) -> Option<BlockId> {
        self.active.get(height as usize).copied()
    }

    /// Blocks connected after the `seen`-th connection (oldest first, only
    /// the last few hundred are kept), as (hash, parent), and the new count.
    pub fn connected_since(&self, seen: u64) -> (u64, Vec<(BlockHash, BlockHash)>) {
        let (count, log) = &self.connect_log;
        let new = count.saturating_sub(seen).min(log.len() as u64) as usize;
        (*count, log.iter().skip(log.len() - new).copied().collect())
    }

    pub(crate) fn log_connected(&mut self, hash: BlockHash, parent: BlockHash) {
        /// Connections remembered for indexes that fall behind.
        const KEEP: usize = 500;
        let (count, log) = &mut self.connect_log;
        *count += 1;
        log.push_back((hash, parent));
        if log.len() > KEEP {
            log.pop_front();
        }
    }

    /// A locator for `id`: hashes back to genesis, the last ten densely,
    /// then in doubling steps (Core's `GetLocator`).
    pub fn locator(&self, id: BlockId) -> Vec<BlockHash> {
        let mut out = Vec::new();
        let mut step = 1u32;
        let mut cur = Some(id);
        while let Some(c) = cur {
            let Some(e) = self.index().entry(c) else {
                break;
            };
            out.push(e.hash);
            if e.height == 0 {
                break;
            }
            let h = e.height.saturating_sub(step);
            cur = self.index().ancestor_id(c, h);
            if out.len() > 10 {
                step = step.saturating_mul(2);
            }
        }
        out
    }

    /// Whether `id` is in the active chain.
    pub fn is_active(&self, id: BlockId) -> bool {
        self.index
            .entry(id)
            .is_some_and(|e| self.active.get(e.height as usize) == Some(&id))
    }

    /// The active-chain successor of `id`, if `id` is active and not the tip.
    pub fn next_in_active(&self, id: BlockId) -> Option<BlockId> {
        let e = self.index.entry(id)?;
        if !self.is_active(id) {
            return None;
        }
        self.at_height(e.height + 1)
    }

    /// The best known header (most work, not known invalid).
    pub fn best_header(&self) -> Option<BlockId> {
        self.best_header
    }

    /// Consensus facts of the entry `id`.
    pub fn info(&self, id: BlockId) -> Option<HeaderInfo> {
        self.index.entry(id).map(IndexEntry::info)
    }

    /// Reads the block `id` from disk.
    pub fn read_block(&self, id: BlockId) -> Result<Block> {
        let e = self
            .index
            .entry(id)
            .ok_or_else(|| ChainError::System("unknown block".into()))?;
        if e.status & status::HAVE_DATA == 0 {
            return Err(ChainError::System(
                "Block not available (pruned data)".into(),
            ));
        }
        if let Some((h, b)) = &self.recent {
            if *h == e.hash {
                return Ok((**b).clone());
            }
        }
        self.files
            .read_block_checked(FlatFilePos::new(e.file, e.data_pos), &e.hash)
            .map_err(store_err)
    }

    /// Reads the serialized block `id` from disk.
    pub fn read_raw_block(&self, id: BlockId) -> Result<Vec<u8>> {
        let e = self
            .index
            .entry(id)
            .ok_or_else(|| ChainError::System("unknown block".into()))?;
        if e.status & status::HAVE_DATA == 0 {
            return Err(ChainError::System(
                "Block not available (pruned data)".into(),
            ));
        }
        self.files
            .read_raw_block(FlatFilePos::new(e.file, e.data_pos))
            .map_err(store_err)
    }

    /// Reads the undo data of block `id`.
    pub fn read_undo(&self, id: BlockId) -> Result<BlockUndo> {
        let e = self
            .index
            .entry(id)
            .ok_or_else(|| ChainError::System("unknown block".into()))?;
        if e.status & status::HAVE_UNDO == 0 {
            return Err(ChainError::System("Undo data not available".into()));
        }
        let prev = e
            .parent
            .and_then(|p| self.index.entry(p))
            .map(|p| p.hash)
            .ok_or_else(|| ChainError::System("genesis has no undo data".into()))?;
        self.files
            .read_undo(FlatFilePos::new(e.file, e.undo_pos), prev)
            .map_err(store_err)
    }

    /// Whether the node is still catching up (Core's `IsInitialBlockDownload`);
    /// once false it stays false.
    pub fn is_initial_block_download(&self) -> bool {
        if self.ibd_done.load(Ordering::Relaxed) {
            return false;
        }
        if self.importing.load(Ordering::Relaxed) {
            return true;
        }
        let Some(tip) = self.tip_entry() else {
            return true;
        };
        if tip.chain_work < self.params.minimum_chain_work {
            return true;
        }
        if i64::from(tip.header.time) < common::time::now_secs() - self.params.max_tip_age {
            return true;
        }
        tracing::info!("Leaving InitialBlockDownload (latching to false)");
        self.ibd_done.store(true, Ordering::Relaxed);
        false
    }

    /// Sets the maximum tip age used by the IBD check (`-maxtipage`).
    pub fn set_max_tip_age(&mut self, secs: i64) {
        Arc::make_mut(&mut self.params).max_tip_age = secs;
    }

    /// Marks a block import as running or finished (keeps the node in IBD).
    pub fn set_importing(&self, on: bool) {
        self.importing.store(on, Ordering::Relaxed);
    }

    /// Whether blocks are being loaded from files (`-reindex`, `-loadblock`).
    pub fn is_importing(&self) -> bool {
        self.importing.load(Ordering::Relaxed)
    }

    /// Core's estimate of how much of the chain has been verified: the
    /// block's transaction count over the count expected by now,
    /// extrapolated from the chain's known history.
    pub fn guess_verification_progress(&self, entry: &IndexEntry) -> f64 {
        if entry.chain_tx == 0 {
            return 0.0;
        }
        let data = &self.params.chain_tx_data;
        let now = common::time::now_secs();
        let block_time = i64::from(entry.header.time);
        let best = self.best_header.and_then(|b| self.index.entry(b));
        // Near the header tip, count blocks still missing instead of trusting
        // the miner's timestamp, so the estimate reaches exactly 1.0.
        let reference_time = match best {
            Some(b) if (now - block_time).abs() <= 2 * 60 * 60 && b.height >= entry.height => {
                now - i64::from(b.height - entry.height) * self.params.pow_target_spacing
            }
            _ => block_time,
        };
        let expected = if entry.chain_tx <= data.tx_count {
            data.tx_count as f64 + (now - data.time) as f64 * data.tx_rate
        } else {
            entry.chain_tx as f64 + (now - reference_time) as f64 * data.tx_rate
        };
        (entry.chain_tx as f64 / expected).min(1.0)
    }

    /// Writes every modified index entry, file statistics and the coins
    /// cache (see [`Store::write_batch`] for the order), after syncing the
    /// block files. When writing fails nothing is forgotten: the same state
    /// is written again by the next flush.
    pub fn flush(&mut self) -> Result<()> {
        self.files.flush(false)?;
        let mut batch = WriteBatch::new();
        for id in &self.dirty_index {
            if let Some(e) = self.index.entry(*id) {
                batch.put_block_index(&e.to_disk());
            }
        }
        let files = self.files.take_dirty_file_info();
        for (n, info) in &files {
            batch.put_file_info(*n, info);
        }
        batch.set_last_block_file(self.files.last_file());
        self.coins.write_into(&mut batch);
        if let Err(e) = self.store.write_batch(batch) {
            self.files
                .restore_dirty_file_info(files.into_iter().map(|(n, _)| n));
            return Err(e.into());
        }
        self.dirty_index.clear();
        self.coins.flushed();
        self.flush_background()?;
        self.last_flush = Instant::now();
        self.flushes += 1;
        Ok(())
    }

    /// How many times the chainstate was written to disk (clients are told
    /// of each, as Core's `ChainStateFlushed`).
    pub fn flushes(&self) -> u64 {
        self.flushes
    }

    /// Prunes old block files when over the `-prune` target, then flushes
    /// when the coins cache is over its budget or the last flush is older
    /// than the flush interval.
    pub fn flush_if_needed(&mut self) -> Result<()> {
        self.prune_to_target()?;
        if self.coins.usage() + self.background_cache_usage().unwrap_or(0)
            > self.config.coins_cache_bytes
            || self.last_flush.elapsed() > FLUSH_INTERVAL
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Logs the new tip as Core's `UpdateTip` line.
    pub(crate) fn log_tip(&self, prefix: &str) {
        let Some(tip) = self.tip_entry() else { return };
        tracing::info!(
            "{}UpdateTip: new best={} height={} version=0x{:08x} log2_work={:.6} tx={} date='{}' progress={:.6} cache={:.1}MiB({}txo)",
            prefix,
            tip.hash,
            tip.height,
            tip.header.version.to_consensus(),
            tip.chain_work.log2(),
            tip.chain_tx,
            format_time(tip.header.time),
            self.guess_verification_progress(tip),
            self.coins.usage() as f64 / (1 << 20) as f64,
            self.coins.len()
        );
    }
}

/// Formats UNIX seconds as Core's ISO 8601 date (`2011-02-02T23:16:42Z`).
pub fn format_time(secs: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(secs), 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
