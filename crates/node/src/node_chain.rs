//! The node's shared chainstate: one lock around [`Chainstate`] (Core's
//! `cs_main`), tip-change notification for waiting RPCs and P2P, and the
//! options that configure it.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bitcoin::BlockHash;
use blockstore::XorSetting;
use chain::{Chainstate, ChainstateConfig};
use common::args::ArgsManager;
use common::chaintype::ChainType;
use consensus::{ConsensusScriptVerifier, Params};
use mempool::{Mempool, Policy};

use crate::chain_view::ChainView;
use crate::shutdown::Shutdown;

/// Default `-dbcache` in MiB.
const DEFAULT_DB_CACHE_MIB: i64 = 450;

/// The chainstate shared by RPC, P2P and IPC.
pub struct NodeChain {
    state: Mutex<Chainstate>,
    pool: Mutex<Mempool>,
    policy: Policy,
    block_min_fee: i64,
    block_max_weight: u64,
    tip: Mutex<(u32, BlockHash)>,
    tip_changed: Condvar,
    net: net::LateNetHandle,
    block_notify: Vec<String>,
    indexes: std::sync::OnceLock<Arc<index::Indexes>>,
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
        Some(v) if v == "0" => None,
        Some(v) => Some(
            v.parse::<BlockHash>()
                .map_err(|_| format!("Invalid -assumevalid value '{v}'"))?,
        ),
    };
    Ok(ChainstateConfig {
        blocks_dir: args.get_blocks_dir_path(),
        // Where Core keeps its block index (always under the data directory,
        // even with -blocksdir); our one store also holds the UTXO set.
        chainstate_dir: net_dir.join("blocks").join("index"),
        coins_cache_bytes: (dbcache as usize) << 20,
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
    })
}

impl NodeChain {
    /// Loads (or creates) the chainstate of `chain` under `net_dir`.
    pub fn open(args: &ArgsManager, chain: ChainType, net_dir: &Path) -> Result<Arc<Self>, String> {
        let mut params = Params::for_chain(chain, args)?;
        if let Some(age) = args.get_int_arg_opt("-maxtipage") {
            params.max_tip_age = age;
        }
        let config = config_from_args(args, net_dir)?;
        let reindex = config.wipe_block_index;
        let state = Chainstate::open(Arc::new(params), config, Arc::new(ConsensusScriptVerifier))
            .map_err(|e| format!("Error opening block database: {e}"))?;
        let node = Arc::new(NodeChain {
            tip: Mutex::new(tip_of(&state)),
            state: Mutex::new(state),
            pool: Mutex::new(Mempool::new()),
            policy: Policy {
                min_relay_fee_per_kvb: args
                    .get_arg("-minrelaytxfee")
                    .and_then(|v| rpc::json::parse_fixed_point(&v, 8))
                    .unwrap_or(Policy::default().min_relay_fee_per_kvb),
            },
            block_min_fee: args
                .get_arg("-blockmintxfee")
                .and_then(|v| rpc::json::parse_fixed_point(&v, 8))
                .unwrap_or(crate::miner::DEFAULT_BLOCK_MIN_TX_FEE),
            block_max_weight: args
                .get_int_arg("-blockmaxweight", 4_000_000)
                .clamp(4_000, 4_000_000) as u64,
            tip_changed: Condvar::new(),
            net: net::LateNetHandle::new(),
            block_notify: args.get_args("-blocknotify"),
            indexes: std::sync::OnceLock::new(),
        });
        if reindex {
            node.reindex_from_files()?;
        }
        // Connect blocks stored but not yet connected (e.g. after a crash).
        node.with(|cs| cs.activate_best_chain(&mut (), None))
            .map_err(|e| format!("Failed to connect best block ({e})"))?;
        Ok(node)
    }

    /// Rebuilds the index and coins from the block files (`-reindex`).
    fn reindex_from_files(&self) -> Result<(), String> {
        let mut cs = self.lock();
        cs.set_importing(true);
        let mut waiting: std::collections::HashMap<BlockHash, Vec<bitcoin::Block>> =
            Default::default();
        let mut file = 0u32;
        let mut loaded = 0u64;
        while cs.files().block_file_exists(file) {
            tracing::info!("Reindexing block file blk{file:05}.dat...");
            let blocks: Vec<bitcoin::Block> = cs
                .files()
                .scan_blocks(file)
                .filter_map(|r| r.ok().map(|(_, b)| b))
                .collect();
            for block in blocks {
                let mut queue = vec![block];
                while let Some(b) = queue.pop() {
                    let hash = b.block_hash();
                    if cs.index().id(&b.header.prev_blockhash).is_none()
                        && cs.index().id(&hash).is_none()
                    {
                        waiting.entry(b.header.prev_blockhash).or_default().push(b);
                        continue;
                    }
                    if cs.process_new_block(Arc::new(b), true, &mut ()).is_ok() {
                        loaded += 1;
                    }
                    if let Some(children) = waiting.remove(&hash) {
                        queue.extend(children);
                    }
                }
            }
            file += 1;
        }
        tracing::info!("Loaded {loaded} blocks from external file in reindex");
        cs.set_importing(false);
        drop(cs);
        self.after_change();
        Ok(())
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

    /// Lowest fee rate (sat/kvB) a transaction needs to enter a block template.
    pub fn block_min_fee(&self) -> i64 {
        self.block_min_fee
    }

    /// Largest block weight templates are built to (`-blockmaxweight`).
    pub fn block_max_weight(&self) -> u64 {
        self.block_max_weight
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
        let now = tip_of(&self.lock());
        let changed = {
            let mut tip = self.tip.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *tip != now;
            *tip = now;
            changed
        };
        if changed {
            self.tip_changed.notify_all();
            self.net.block_tip_changed(now.1);
            for cmd in &self.block_notify {
                crate::init::run_command_detached(&cmd.replace("%s", &now.1.to_string()));
            }
        }
    }

    /// Announces a transaction accepted from RPC to peers.
    pub fn relay_transaction(&self, txid: bitcoin::Txid, wtxid: bitcoin::Wtxid) {
        self.net.relay_transaction(txid, wtxid);
    }

    /// Lets P2P hear about new tips once it is running.
    pub fn set_net(&self, handle: net::NetHandle) {
        self.net.set(handle);
    }

    /// The optional indexes, once started.
    pub fn indexes(&self) -> Option<&Arc<index::Indexes>> {
        self.indexes.get()
    }

    /// Makes the started indexes available to RPCs (once, at start-up).
    pub fn set_indexes(&self, indexes: Arc<index::Indexes>) {
        let _ = self.indexes.set(indexes);
    }

    /// Writes all state to disk (at shutdown).
    pub fn flush(&self) {
        if let Err(e) = self.lock().flush() {
            tracing::error!("Failed to write to coin database: {e}");
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
