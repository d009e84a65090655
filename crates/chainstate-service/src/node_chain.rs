//! The node's shared chainstate: one lock around [`Chainstate`] (Core's
//! `cs_main`), tip-change notification for waiting RPCs and P2P, and the
//! options that configure it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use blockstore::XorSetting;
use chain::{ChainError, Chainstate, ChainstateConfig};
use common::args::ArgsManager;
use common::chaintype::ChainType;
use consensus::{ConsensusScriptVerifier, Params};
use mempool::{fee_estimator, Mempool, Policy, SharedFeeEstimator};

use common::init::InitFailure;
use common::shutdown::Shutdown;
use index::ChainSource;

use crate::signals::{Event, ValidationSignals};
use crate::warnings::{Warning, Warnings};
use crate::{ChainView, Peers};

/// Default `-dbcache` in MiB.
const DEFAULT_DB_CACHE_MIB: i64 = 450;

/// The chainstate shared by RPC, P2P and IPC.
pub struct NodeChain {
    state: Mutex<Chainstate>,
    pool: Mutex<Mempool>,
    policy: Policy,
    tip: Mutex<(u32, BlockHash)>,
    tip_changed: Condvar,
    /// The P2P layer, once it runs.
    peers: OnceLock<Box<dyn Peers>>,
    block_notify: Vec<String>,
    /// `mempool.dat`, written by `savemempool` whatever `-persistmempool` says.
    mempool_file: PathBuf,
    /// `-persistmempool`: load at start-up, save at shutdown.
    persist_mempool: bool,
    /// `-persistmempoolv1`: write the unobfuscated format.
    mempool_v1: bool,
    /// `-stopatheight`: the height at which the node shuts itself down.
    stop_at_height: Option<u32>,
    /// `-prune`: `None` when off, [`PRUNE_TARGET_MANUAL`] for `-prune=1`,
    /// else the target size in bytes.
    prune_target: Option<u64>,
    /// How to ask for that shutdown (set once start-up has a shutdown handle).
    stop_request: OnceLock<Box<dyn Fn() + Send + Sync>>,
    indexes: OnceLock<Arc<index::Indexes>>,
    /// Set once start-up loaded blocks and the mempool (`getmempoolinfo`'s
    /// `loaded`).
    mempool_loaded: std::sync::atomic::AtomicBool,
    /// The warnings in force (`-alertnotify`).
    warnings: Warnings,
    /// Validation events for clients.
    signals: Arc<ValidationSignals>,
    /// Chainstate flushes already announced.
    flushes_seen: std::sync::atomic::AtomicU64,
    /// The fee estimator (none with `-blocksonly`) and its file.
    fee_estimator: Option<(SharedFeeEstimator, PathBuf)>,
}

fn config_from_args(args: &ArgsManager, net_dir: &Path) -> Result<ChainstateConfig, String> {
    let dbcache = args
        .get_int_arg("-dbcache", DEFAULT_DB_CACHE_MIB)
        .clamp(4, 1 << 20);
    let par = args.get_int_arg("-par", 0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    let script_threads = if par <= 0 { (cores + par).max(1) } else { par }.min(16) as usize;
    let assume_valid = match args.get_arg("-assumevalid") {
        None => None,
        Some(v) => {
            let mut bytes = common::strencodings::from_user_hex_256(&v).ok_or_else(|| {
                format!("Invalid assumevalid block hash specified ({v}), must be up to 64 hex digits (or 0 to disable)")
            })?;
            bytes.reverse();
            (bytes != [0; 32]).then(|| BlockHash::from_byte_array(bytes))
        }
    };
    let (db_caches, coins_cache_bytes) = blockstore::DbCaches::split((dbcache as usize) << 20);
    Ok(ChainstateConfig {
        blocks_dir: args.get_blocks_dir_path(),
        // Core keeps both under the data directory, even with -blocksdir.
        block_index_dir: net_dir.join("blocks").join("index"),
        chainstate_dir: net_dir.join("chainstate"),
        coins_cache_bytes,
        db_caches,
        xor: if args.get_bool_arg("-blocksxor", true) {
            XorSetting::Enabled
        } else {
            XorSetting::Disabled
        },
        fast_prune: args.get_bool_arg("-fastprune", false),
        script_threads,
        assume_valid,
        wipe_block_index: args.get_bool_arg("-reindex", false),
        wipe_coins: args.get_bool_arg("-reindex-chainstate", false),
        auto_prune_target: prune_target_from_args(args)?.filter(|t| *t != PRUNE_TARGET_MANUAL),
    })
}

/// What Core appends to a chainstate load failure when it cannot ask the user.
const REINDEX_HINT: &str = "\nPlease restart with -reindex or -reindex-chainstate to recover.";

/// `-prune=1`: blocks are only pruned on request.
pub const PRUNE_TARGET_MANUAL: u64 = u64::MAX;

/// The least disk space `-prune` may target, in MiB.
const MIN_PRUNE_TARGET_MIB: i64 = 550;

/// Reads `-prune` with Core's checks.
fn prune_target_from_args(args: &ArgsManager) -> Result<Option<u64>, String> {
    let mib = args.get_int_arg("-prune", 0);
    match mib {
        0 => Ok(None),
        1 => Ok(Some(PRUNE_TARGET_MANUAL)),
        m if m < 0 => Err("Prune cannot be configured with a negative value.".to_string()),
        m if m < MIN_PRUNE_TARGET_MIB => Err(format!(
            "Prune configured below the minimum of {MIN_PRUNE_TARGET_MIB} MiB.  Please use a higher number."
        )),
        m => Ok(Some((m as u64).saturating_mul(1 << 20))),
    }
}

impl NodeChain {
    /// Loads (or creates) the chainstate of `chain` under `net_dir`; the
    /// mempool accepts transactions under `policy`.
    pub fn open(
        args: &ArgsManager,
        chain: ChainType,
        net_dir: &Path,
        policy: Policy,
    ) -> Result<Arc<Self>, InitFailure> {
        let params = Params::for_chain(chain, args)?;
        let mut config = config_from_args(args, net_dir)?;
        let prune_target = prune_target_from_args(args)?;
        let params = Arc::new(params);
        let state = match Chainstate::open(
            params.clone(),
            config.clone(),
            Arc::new(ConsensusScriptVerifier),
        ) {
            Ok(s) => s,
            Err(ChainError::LoadFailed(e)) if !config.wipe_block_index => {
                if !args.has_test_option("reindex_after_failure_noninteractive_yes") {
                    return Err(InitFailure::Question(format!("{e}.{REINDEX_HINT}")));
                }
                config.wipe_block_index = true;
                Chainstate::open(params, config.clone(), Arc::new(ConsensusScriptVerifier))
                    .map_err(|e| format!("Error opening block database: {e}"))?
            }
            Err(ChainError::Fatal(e)) => {
                return Err(format!(
                    "A fatal internal error occurred, see debug.log for details: {e}"
                )
                .into())
            }
            Err(e) => return Err(format!("Error opening block database: {e}").into()),
        };
        // Also an earlier reindex that a shutdown interrupted.
        let reindex = state
            .reindex_pending()
            .map_err(|e| format!("Error opening block database: {e}"))?;
        let signals = ValidationSignals::start();
        let mut pool = Mempool::new();
        pool.set_events(signals.clone());
        // Core runs no estimator when it takes no transactions from peers.
        let fee_estimator = (!args.get_bool_arg("-blocksonly", false)).then(|| {
            let path = net_dir.join(fee_estimator::FEE_ESTIMATES_FILENAME);
            let accept_stale = args.get_bool_arg("-acceptstalefeeestimates", false);
            let estimator = Arc::new(Mutex::new(fee_estimator::load_file(&path, accept_stale)));
            pool.set_fee_estimator(estimator.clone());
            (estimator, path)
        });
        let node = Arc::new(NodeChain {
            tip: Mutex::new(tip_of(&state)),
            state: Mutex::new(state),
            pool: Mutex::new(pool),
            signals,
            flushes_seen: std::sync::atomic::AtomicU64::new(0),
            fee_estimator,
            policy,
            tip_changed: Condvar::new(),
            peers: OnceLock::new(),
            block_notify: args.get_args("-blocknotify"),
            mempool_file: net_dir.join("mempool.dat"),
            persist_mempool: args.get_bool_arg("-persistmempool", true),
            mempool_v1: args.get_bool_arg("-persistmempoolv1", false),
            stop_at_height: args
                .get_int_arg_opt("-stopatheight")
                .filter(|h| *h > 0)
                .map(|h| u32::try_from(h).unwrap_or(u32::MAX)),
            stop_request: OnceLock::new(),
            prune_target,
            indexes: OnceLock::new(),
            mempool_loaded: std::sync::atomic::AtomicBool::new(false),
            warnings: Warnings::new(args.get_arg("-alertnotify")),
        });
        if !reindex {
            // Connect blocks stored but not yet connected (e.g. after a crash).
            node.with(|cs| cs.activate_best_chain(&mut (), None))
                .map_err(|e| format!("Failed to connect best block ({e})"))?;
        }
        node.verify_loaded(args)?;
        Ok(node)
    }

    /// The `-prune` setting (see [`PRUNE_TARGET_MANUAL`]).
    pub fn prune_target(&self) -> Option<u64> {
        self.prune_target
    }

    /// Sets how reaching `-stopatheight` asks the node to shut down.
    pub fn on_stop_height(&self, stop: Box<dyn Fn() + Send + Sync>) {
        let _ = self.stop_request.set(stop);
    }

    /// Start-up checks of the loaded chain (Core's `VerifyLoadedChainstate`):
    /// a tip too far in the future, then `-checkblocks` at `-checklevel`.
    fn verify_loaded(&self, args: &ArgsManager) -> Result<(), InitFailure> {
        let cs = self.lock();
        let Some(tip) = cs.tip_entry() else {
            return Ok(());
        };
        if i64::from(tip.header.time)
            > common::time::now_secs() + consensus::block_check::MAX_FUTURE_BLOCK_TIME
        {
            return Err(InitFailure::Question(format!(
                "The block database contains a block which appears to be from the future. This may be due to your computer's date and time being set incorrectly. Only rebuild the block database if you are sure that your computer's date and time are correct.{REINDEX_HINT}"
            )));
        }
        let level = args.get_int_arg("-checklevel", chain::verify::DEFAULT_CHECKLEVEL);
        let depth = args.get_int_arg("-checkblocks", chain::verify::DEFAULT_CHECKBLOCKS);
        match cs.verify_db(level, depth) {
            chain::verify::VerifyOutcome::Corrupted(why) => {
                tracing::error!("{why}");
                Err(InitFailure::Question(format!(
                    "Corrupted block database detected.{REINDEX_HINT}"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Locks the chainstate (no tip notification; use [`NodeChain::with`] to change it).
    pub fn lock(&self) -> MutexGuard<'_, Chainstate> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the chainstate and announces a tip change it caused.
    pub fn with<R>(&self, f: impl FnOnce(&mut Chainstate) -> R) -> R {
        let r = {
            let mut cs = self.lock();
            f(&mut cs)
        };
        self.after_change();
        r
    }

    /// Locks the mempool (after the chainstate, when both are needed).
    pub fn pool(&self) -> MutexGuard<'_, Mempool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mempool acceptance policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Runs `f` on the chainstate and mempool (the mempool follows every
    /// block `f` connects or disconnects), then returns transactions of
    /// disconnected blocks to the pool and announces a tip change.
    pub fn with_pool<R>(&self, f: impl FnOnce(&mut Chainstate, &mut Mempool) -> R) -> R {
        let r = {
            let mut cs = self.lock();
            let mut pool = self.pool();
            let r = f(&mut cs, &mut pool);
            pool.readd_disconnected(&cs, &self.policy);
            r
        };
        self.after_change();
        r
    }

    fn after_change(&self) {
        let (now, flushed, fork_warning, fatal) = {
            let mut cs = self.lock();
            let fatal = cs.take_fatal_error();
            let flushes = cs.flushes();
            let seen = self
                .flushes_seen
                .swap(flushes, std::sync::atomic::Ordering::SeqCst);
            (
                tip_of(&cs),
                (flushes != seen)
                    .then(|| cs.tip().map(|t| cs.locator(t)))
                    .flatten(),
                cs.large_work_invalid_chain(),
                fatal,
            )
        };
        if let Some(reason) = fatal {
            // Core's fatalError: the node stops (e.g. an invalid snapshot).
            tracing::error!("A fatal internal error occurred, see debug.log for details: {reason}");
            if let Some(stop) = self.stop_request.get() {
                stop();
            }
        }
        self.warnings
            .update(Warning::LargeWorkInvalidChain, fork_warning);
        if let Some(locator) = flushed {
            self.signals.push(Event::ChainStateFlushed(locator));
        }
        let changed = {
            let mut tip = self.tip.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *tip != now;
            *tip = now;
            changed
        };
        if changed {
            self.signals.push(Event::UpdatedBlockTip);
            self.tip_changed.notify_all();
            if let Some(peers) = self.peers.get() {
                peers.block_tip_changed(now.1);
            }
            for cmd in &self.block_notify {
                common::system::run_command_detached(&cmd.replace("%s", &now.1.to_string()));
            }
            if self.stop_at_height.is_some_and(|h| now.0 >= h) {
                if let Some(stop) = self.stop_request.get() {
                    stop();
                }
            }
        }
    }

    /// The warnings in force, for the RPCs' `warnings` fields.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.messages()
    }

    /// The validation events clients subscribe to.
    pub fn signals(&self) -> &Arc<ValidationSignals> {
        &self.signals
    }

    /// Calls `f` with the mempool's transactions, oldest first, in the
    /// order of the validation events: after every event about the mempool
    /// as it is now, before any about later changes (a client told of a
    /// block first and of its transactions "entering the mempool" after
    /// would take them for unconfirmed), as the client `client` receives
    /// them. Blocks until `f` returned; `None` when shutdown dropped it.
    pub fn with_mempool_in_event_order<R: Send + 'static>(
        &self,
        client: u64,
        f: impl FnOnce(Vec<Arc<bitcoin::Transaction>>) -> R + Send + 'static,
    ) -> Option<R> {
        let (send, done) = std::sync::mpsc::sync_channel(1);
        let queued = {
            // The snapshot and its place in the queue are taken under the
            // mempool lock, under which the mempool queues its own events.
            let pool = self.pool();
            let txs = pool.in_order().map(|e| e.tx.clone()).collect();
            self.signals.push_task_for(
                client,
                Box::new(move || {
                    let _ = send.send(f(txs));
                }),
            )
        };
        if let Err(task) = queued {
            task();
        }
        done.recv().ok()
    }

    /// Open P2P connections, inbound and outbound (0 before P2P starts).
    pub fn connection_count(&self) -> usize {
        self.peers.get().map_or(0, |p| p.connection_count())
    }

    /// Asks peer `id` for the block `hash` (`getblockfrompeer`).
    pub fn fetch_block_from_peer(&self, id: i64, hash: BlockHash) -> Result<(), String> {
        match self.peers.get() {
            Some(p) => p.fetch_block(id, hash),
            None => Err("Error: Peer-to-peer functionality missing or disabled".into()),
        }
    }

    /// Announces a transaction accepted from RPC to peers.
    pub fn relay_transaction(&self, txid: bitcoin::Txid, wtxid: bitcoin::Wtxid) {
        if let Some(peers) = self.peers.get() {
            peers.relay_transaction(txid, wtxid);
        }
    }

    /// Lets P2P hear about new tips once it is running (once; later calls
    /// are ignored).
    pub fn set_peers(&self, peers: Box<dyn Peers>) {
        let _ = self.peers.set(peers);
    }

    /// Whether start-up finished loading blocks and the mempool.
    pub fn mempool_loaded(&self) -> bool {
        self.mempool_loaded
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Records the end of start-up loading.
    pub fn set_mempool_loaded(&self, loaded: bool) {
        self.mempool_loaded
            .store(loaded, std::sync::atomic::Ordering::Release);
    }

    /// Accepts the transactions of `mempool.dat` (`-persistmempool`).
    pub fn load_mempool(&self) {
        let path = &self.mempool_file;
        if !self.persist_mempool || !path.exists() {
            return;
        }
        // A bad file never stops start-up; import_mempool logged why.
        let _ = self.import_mempool(path, mempool::LoadOptions::STARTUP);
    }

    /// Accepts the transactions saved in the mempool file `path` (start-up
    /// and `importmempool`).
    pub fn import_mempool(
        &self,
        path: &Path,
        options: mempool::LoadOptions,
    ) -> std::io::Result<mempool::LoadStats> {
        let cs = self.lock();
        let loaded = self.pool().load(&cs, &self.policy, path, options);
        match &loaded {
            Ok(s) => tracing::info!(
                "Imported mempool transactions from file: {} succeeded, {} failed, {} expired, {} already there, {} waiting for initial broadcast",
                s.succeeded, s.failed, s.expired, s.already_there, s.unbroadcast
            ),
            Err(e) => tracing::info!("Failed to deserialize mempool data on file: {e}. Continuing anyway."),
        }
        loaded
    }

    /// Writes the mempool to `mempool.dat` (at shutdown and for `savemempool`);
    /// returns the file written.
    pub fn save_mempool(&self) -> std::io::Result<PathBuf> {
        let bytes = self.pool().dump(&self.mempool_file, self.mempool_v1)?;
        tracing::info!("Dumped mempool: {bytes} bytes dumped to file");
        Ok(self.mempool_file.clone())
    }

    /// The optional indexes, once started.
    pub fn indexes(&self) -> Option<&Arc<index::Indexes>> {
        self.indexes.get()
    }

    /// Makes the started indexes available to RPCs (once, at start-up).
    pub fn set_indexes(&self, indexes: Arc<index::Indexes>) {
        let _ = self.indexes.set(indexes);
    }

    /// The fee estimator, unless `-blocksonly`.
    pub fn fee_estimator(&self) -> Option<&SharedFeeEstimator> {
        self.fee_estimator.as_ref().map(|(e, _)| e)
    }

    /// Writes the fee estimates to `fee_estimates.dat` (hourly).
    pub fn flush_fee_estimates(&self) {
        if let Some((estimator, path)) = &self.fee_estimator {
            let snapshot = estimator.lock().unwrap_or_else(|p| p.into_inner()).clone();
            fee_estimator::write_file(&snapshot, path);
        }
    }

    /// Writes all state to disk (at shutdown).
    pub fn flush(&self) {
        if self.persist_mempool {
            if let Err(e) = self.save_mempool() {
                tracing::error!("Failed to dump mempool: {e}. Continuing anyway.");
            }
        }
        if let Some((estimator, _)) = &self.fee_estimator {
            // Transactions still waiting count as not confirmed in time.
            estimator
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .flush_unconfirmed();
            self.flush_fee_estimates();
        }
        let mut cs = self.lock();
        match cs.flush() {
            Ok(()) => {
                self.flushes_seen
                    .store(cs.flushes(), std::sync::atomic::Ordering::SeqCst);
                if let Some(tip) = cs.tip() {
                    self.signals.push(Event::ChainStateFlushed(cs.locator(tip)));
                }
            }
            Err(e) => tracing::error!("Failed to write to coin database: {e}"),
        }
    }

    /// Waits until `done(tip)` holds, shutdown, or `timeout`; returns the tip then.
    pub fn wait_until(
        &self,
        timeout: Option<Duration>,
        shutdown: &Shutdown,
        done: impl Fn(&(u32, BlockHash)) -> bool,
    ) -> (u32, BlockHash) {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut tip = self.tip.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if done(&tip) || shutdown.is_requested() {
                return *tip;
            }
            // Wake regularly so a shutdown is noticed.
            let mut wait = Duration::from_millis(100);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    return *tip;
                }
                wait = wait.min(d - now);
            }
            tip = self
                .tip_changed
                .wait_timeout(tip, wait)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

fn tip_of(cs: &Chainstate) -> (u32, BlockHash) {
    (
        cs.height(),
        cs.tip_entry()
            .map(|e| e.hash)
            .unwrap_or(cs.params().genesis_hash),
    )
}

impl ChainView for NodeChain {
    fn tip(&self) -> (u32, BlockHash) {
        *self.tip.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn block_hash(&self, height: u32) -> Option<BlockHash> {
        let cs = self.lock();
        cs.at_height(height)
            .and_then(|id| cs.index().entry(id))
            .map(|e| e.hash)
    }

    fn wait_for_tip_change(
        &self,
        current: BlockHash,
        timeout: Option<Duration>,
        shutdown: &Shutdown,
    ) -> (u32, BlockHash) {
        self.wait_until(timeout, shutdown, |t| t.1 != current)
    }
}

impl ChainSource for NodeChain {
    fn read(&self, f: &mut dyn FnMut(&Chainstate)) {
        f(&self.lock());
    }

    fn wait_for_tip_change(&self, current: BlockHash, timeout: Duration) {
        // Index threads stop through their own flag; the wait is bounded anyway.
        self.wait_until(Some(timeout), &Shutdown::new(), |t| t.1 != current);
    }
}
