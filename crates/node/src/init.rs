//! Start-up and shutdown of `bitcoin-node`, in the order `bitcoind` does it:
//! arguments and config, data directory and locks, logging, RPC server, then
//! waiting for a shutdown request and tearing down in reverse.

use crate::datadir::{self, DirLock, LockError, PidFile};
use crate::rpc::control::{self as rpc_control, ControlContext};
use crate::rpc::{net as rpc_net, server as rpc_server};
use crate::{daemon, logging_setup};
use common::args::ArgsManager;
use common::chaintype::ChainType;
use common::init::InitFailure;
use common::settings::CLIENT_NAME;
use common::shutdown::Shutdown;
use common::signals;
use common::system::{run_command, run_command_detached};
use rpc::RpcTable;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Version shown by `-version`, in the log and in the user agent.
pub const CLIENT_VERSION: &str = "v0.1.0";

/// Exit status of a run.
pub type ExitCode = i32;

/// Prints an init error the way Core does (`Error: …` on stderr) and logs it.
fn init_error(msg: &str) -> ExitCode {
    tracing::error!("{msg}");
    eprintln!("Error: {msg}");
    1
}

/// Runs `bitcoin-node` with `argv` (including the program name) and returns the
/// process exit code.
pub fn run(argv: Vec<String>) -> ExitCode {
    signals::block_in_all_threads();
    // Everything the node creates (datadir, cookie, logs, settings) is private.
    datadir::set_private_umask();
    let started = Instant::now();
    let args = Arc::new(ArgsManager::new());
    common::options::register_node_options(&args);
    if let Err(e) = args.parse_parameters(&argv) {
        eprintln!("Error: {}", common::args::parse_error_message(&e));
        return 1;
    }
    if args.help_requested() || args.is_arg_set("-version") {
        print!("{}", usage_text(&args));
        return 0;
    }
    let chain = match args.init_config() {
        Ok(c) => c,
        Err(e) => {
            print_messages(&args);
            eprintln!("Error: {e}");
            return 1;
        }
    };
    if let Err(e) = common::args::check_unexpected_tokens(&argv) {
        eprintln!("Error: {e}");
        return 1;
    }
    let daemon = match daemon::maybe_daemonize(&args) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let code = app_main(args, chain, started);
    if let Some(d) = daemon {
        d.report(code == 0);
    }
    code
}

/// Prints the messages gathered while reading options that belong on stderr;
/// returns the others for the log.
fn print_messages(args: &ArgsManager) -> Vec<common::args::ArgsMessage> {
    let mut keep = Vec::new();
    for m in args.take_messages() {
        match m {
            common::args::ArgsMessage::Stderr(text) => eprintln!("{text}"),
            other => keep.push(other),
        }
    }
    keep
}

/// `-help` / `-version` output.
fn usage_text(args: &ArgsManager) -> String {
    let mut s = format!(
        "{CLIENT_NAME} daemon version {CLIENT_VERSION} (bitcoin-node, Rust multiprocess)\n"
    );
    if args.is_arg_set("-version") {
        s.push_str("\nCopyright (C) 2026 The bitcoin-node developers\n\nDistributed under the MIT software license.\n");
    } else {
        s.push_str("\nThe bitcoin-node daemon: a Bitcoin full node with a JSON-RPC server.\n\n");
        s.push_str("Usage:  bitcoin-node [options]                     Start the node\n\n");
        s.push_str(&args.get_help_message());
    }
    s
}

/// Everything that lives from the end of init until shutdown.
struct Running {
    rpc: Option<rpc_server::RpcServer>,
    /// The wallet processes; stopped right after the RPC server.
    wallet: Option<crate::wallet_processes::WalletProcesses>,
    /// What `makeChain` and `makeNode` serve.
    services: Arc<crate::api::Services>,
    _ipc: crate::ipc_setup::NodeIpc,
    _p2p: Option<crate::p2p::P2p>,
    /// The node's scheduler (`mockscheduler` moves it); stopped with P2P.
    scheduler: Arc<common::scheduler::Scheduler>,
    chain: Arc<chainstate_service::NodeChain>,
    indexes: Arc<index::Indexes>,
    /// The `initload` thread; joined before the final flush.
    initload: Option<std::thread::JoinHandle<()>>,
    _pid: Option<PidFile>,
    _locks: Vec<DirLock>,
    /// The ZeroMQ publishers and their subscription id, when configured.
    zmq: Option<(Arc<zmq_notify::ZmqNotifications>, u64)>,
}

fn app_main(args: Arc<ArgsManager>, chain: ChainType, started: Instant) -> ExitCode {
    let mut node = match NodeProcess::prepare(args, chain, started) {
        Ok(n) => n,
        Err(msg) => return init_error(&msg),
    };
    signals::spawn_signal_thread(node.shutdown.clone(), logging_setup::reopen_debug_log);
    if let Err(failure) = node.start() {
        return node.failed(failure);
    }
    node.shutdown.wait();
    node.stop();
    0
}

/// One node's life: prepared (data directory, logging), started (init),
/// stopped. `bitcoind`'s main runs these in a row; a GUI that spawned the
/// node runs them through `Node.baseInitialize`, `appInitMain` and
/// `appShutdown`.
pub struct NodeProcess {
    args: Arc<ArgsManager>,
    chain: ChainType,
    net_dir: PathBuf,
    started: Instant,
    log_path: Option<PathBuf>,
    /// Requests the node to stop.
    pub shutdown: Arc<Shutdown>,
    running: Option<Running>,
}

impl NodeProcess {
    /// Creates the network data directory and starts logging.
    pub fn prepare(
        args: Arc<ArgsManager>,
        chain: ChainType,
        started: Instant,
    ) -> Result<NodeProcess, String> {
        let net_dir = args.get_data_dir_net();
        datadir::create_net_dir(&net_dir).map_err(|e| {
            format!(
                "Unable to create the data directory '{}': {e}",
                net_dir.display()
            )
        })?;
        let messages = print_messages(&args);
        let logging = logging_setup::start(&args, &net_dir)?;
        log_startup(&args, chain);
        for m in messages {
            match m {
                common::args::ArgsMessage::Warning(text) => tracing::warn!("{text}"),
                common::args::ArgsMessage::Info(text) => tracing::info!("{text}"),
                common::args::ArgsMessage::Stderr(_) => {}
            }
        }
        Ok(NodeProcess {
            args,
            chain,
            net_dir,
            started,
            log_path: logging.log_path(),
            shutdown: Arc::new(Shutdown::new()),
            running: None,
        })
    }

    /// Starts the node (Core's `AppInitMain`).
    pub fn start(&mut self) -> Result<(), InitFailure> {
        let running = init_main(
            &self.args,
            self.chain,
            &self.net_dir,
            &self.shutdown,
            self.started,
            self.log_path.clone(),
        )?;
        running.services.ui.init_message("Done loading");
        for cmd in self.args.get_args("-startupnotify") {
            run_command_detached(&cmd);
        }
        self.running = Some(running);
        Ok(())
    }

    /// What the running node serves over IPC (`None` until started).
    pub fn services(&self) -> Option<&Arc<crate::api::Services>> {
        self.running.as_ref().map(|r| &r.services)
    }

    /// Reports a failed start as Core does and returns the exit code.
    pub fn failed(&self, failure: InitFailure) -> ExitCode {
        let code = match failure {
            InitFailure::Error(msg) => init_error(&msg),
            InitFailure::Question(text) => {
                tracing::error!("{text}");
                eprintln!("{text}");
                1
            }
            InitFailure::Reported => 1,
        };
        tracing::info!("Shutdown in progress...");
        tracing::info!("Shutdown done");
        code
    }

    /// Stops a started node, in the reverse order of start-up.
    pub fn stop(&mut self) {
        let Some(mut running) = self.running.take() else {
            return;
        };
        self.shutdown.request();
        tracing::info!("Shutdown in progress...");
        for cmd in self.args.get_args("-shutdownnotify") {
            run_command(&cmd);
        }
        if let Some(server) = running.rpc.take() {
            server.stop();
        }
        if let Some(wallet) = running.wallet.take() {
            wallet.stop();
        }
        running.scheduler.stop();
        if let Some((zmq, id)) = running.zmq.take() {
            running.chain.signals().unsubscribe(id);
            zmq.shutdown();
        }
        running._p2p.take();
        if let Some(t) = running.initload.take() {
            let _ = t.join();
        }
        running.chain.flush();
        running.indexes.stop();
        drop(running);
        tracing::info!("Shutdown done");
    }
}

/// Core's `MAX_INITIAL_BROADCAST_DELAY` is 15 minutes: unbroadcast
/// transactions are announced again 10 to 15 minutes apart, at random so
/// peers cannot tell the node by its timing.
fn initial_broadcast_delay() -> std::time::Duration {
    use rand::Rng;
    std::time::Duration::from_secs(600)
        + std::time::Duration::from_millis(rand::thread_rng().gen_range(0..300_000))
}

/// The node's scheduler with the peer manager's periodic work, forwarded by
/// `mockscheduler` (the first of its listeners, as Core moves the node's
/// scheduler before the clients').
fn start_scheduler(
    chain: &Arc<chainstate_service::NodeChain>,
    control: &ControlContext,
) -> Arc<common::scheduler::Scheduler> {
    let scheduler = common::scheduler::Scheduler::start();
    // Weak: the scheduler must not keep the chainstate alive past shutdown.
    let weak = Arc::downgrade(chain);
    scheduler.every_after(initial_broadcast_delay, move || {
        if let Some(chain) = weak.upgrade() {
            chain.reattempt_initial_broadcast();
        }
    });
    let weak = Arc::downgrade(chain);
    scheduler.every(
        std::time::Duration::from_secs(mempool::fee_estimator::FEE_FLUSH_INTERVAL_SECS),
        move || {
            if let Some(chain) = weak.upgrade() {
                chain.flush_fee_estimates();
            }
        },
    );
    let forwarded = Arc::downgrade(&scheduler);
    control.on_mock_scheduler(Box::new(move |delta| {
        if let Some(s) = forwarded.upgrade() {
            s.mock_forward(std::time::Duration::from_secs(delta.max(0) as u64));
        }
    }));
    scheduler
}

fn log_startup(args: &ArgsManager, chain: ChainType) {
    tracing::info!("{CLIENT_NAME} version {CLIENT_VERSION} (bitcoin-node, Rust multiprocess)");
    tracing::info!("Using data directory {}", args.get_data_dir_net().display());
    if let Some(conf) = args.get_config_file_path() {
        let exists = conf.exists();
        tracing::info!(
            "Config file: {}{}",
            conf.display(),
            if exists { "" } else { " (not found, skipping)" }
        );
    }
    for line in args.log_args_lines() {
        tracing::info!("{line}");
    }
    if let Some(warning) = args.unrecognized_sections_warning() {
        tracing::warn!("{warning}");
        // An init warning, which Core also prints to stderr.
        eprintln!("Warning: {}", warning.trim_end());
    }
    tracing::info!("Chain: {}", chain.as_str());
}

fn init_main(
    args: &Arc<ArgsManager>,
    chain: ChainType,
    net_dir: &Path,
    shutdown: &Arc<Shutdown>,
    started: Instant,
    log_path: Option<PathBuf>,
) -> Result<Running, InitFailure> {
    if let Some(err) = args.unsuitable_section_only_args_error() {
        return Err(err.into());
    }
    net::config::parameter_interactions(args)?;
    // Stale fee estimates are a regtest convenience only.
    if chain != ChainType::Regtest && args.get_bool_arg("-acceptstalefeeestimates", false) {
        return Err(format!(
            "acceptstalefeeestimates is not supported on {} chain.",
            chain.as_str()
        )
        .into());
    }
    if chain == ChainType::Testnet {
        tracing::info!("Warning: Support for testnet3 is deprecated and will be removed in an upcoming release. Consider switching to testnet4.");
    }
    let policy = mempool::Policy::from_args(args, chain)?;
    let subversion = net::config::user_agent(args)?;
    // Set before the chain loads: start-up checks compare block times to it.
    if let Some(t) = args.get_int_arg_opt("-mocktime").filter(|t| *t != 0) {
        common::time::set_mock_time(t);
    }
    if let Some(dir) = args.get_arg("-blocksdir").filter(|d| !d.is_empty()) {
        if !Path::new(&dir).is_dir() {
            return Err(format!("Specified blocks directory \"{dir}\" does not exist.").into());
        }
    }
    let blocks_dir = args.get_blocks_dir_path();
    let mut locks = Vec::new();
    for dir in [net_dir.to_path_buf(), blocks_dir.clone()] {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            return Err(format!(
                "Unable to create the data directory '{}': {e}",
                dir.display()
            )
            .into());
        }
        match datadir::lock_directory(&dir) {
            Ok(l) => locks.push(l),
            Err(LockError::NoPermission) => {
                return Err(format!(
                    "Cannot write to directory '{}'; check permissions.",
                    dir.display()
                )
                .into())
            }
            Err(LockError::Locked) => {
                return Err(format!(
                "Cannot obtain a lock on directory {}. {CLIENT_NAME} is probably already running.",
                dir.display()
            )
                .into())
            }
        }
    }
    let pid_path = args.abs_path_for_config_val(
        &args.get_path_arg("-pid", Path::new(datadir::PID_FILE)),
        true,
    );
    let pid = Some(PidFile::create(&pid_path)?);
    let mining_args = mining::MiningArgs::from_args(args, chain)?;

    let table = Arc::new(RpcTable::new());
    let control = Arc::new(ControlContext {
        shutdown: shutdown.clone(),
        started,
        log_path: log_path
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        mockable_chain: chain == ChainType::Regtest,
        mock_time_listeners: Default::default(),
        scheduler_listeners: Default::default(),
    });
    rpc_control::register(&table, control.clone());
    crate::rpc::logging::register(&table);
    let network = network_of(chain);
    utility_rpc::register(&table, network);
    utility_rpc::register_signer(&table, args.get_arg("-signer"), chain.as_str().to_string());
    let proxies = net::proxies::NetworkProxies::from_args(args)?;
    if let Some(warning) = net::proxies::check_private_broadcast(args, &proxies)? {
        // Core's init warnings go to the log and to stderr.
        tracing::warn!("{warning}");
        eprintln!("Warning: {warning}");
    }
    table.set_warmup_status("Loading block index…");
    let index_config = crate::indexes::config_from_args(args, net_dir)?;
    let node_chain = chainstate_service::NodeChain::open(args, chain, net_dir, policy)?;
    let stopper = shutdown.clone();
    node_chain.on_stop_height(Box::new(move || stopper.request()));
    let indexes = crate::indexes::start(
        &index_config,
        &node_chain,
        args.get_bool_arg("-reindex", false),
    )?;
    crate::rpc::register_chain(&table, &node_chain, shutdown, args, net_dir, network);
    let assembler = Arc::new(mining::BlockAssembler::new(node_chain.clone(), mining_args));
    mining::rpc::register(&table, assembler.clone(), shutdown.clone(), network);
    rpc_net::register(&table, args, subversion.clone(), &proxies, &node_chain);
    crate::rpc::mempool::register(&table, args, node_chain.clone(), network);
    crate::rpc::rawtx::register(&table, node_chain.clone(), network);
    crate::rpc::utxo::register(&table, node_chain.clone(), network);
    crate::rpc::fees::register(&table, node_chain.clone());
    let zmq_slot = crate::rpc::zmq::ZmqSlot::default();
    crate::rpc::zmq::register(&table, zmq_slot.clone());
    let zmq = start_zmq(args, &node_chain, &zmq_slot);
    let node_ipc = crate::ipc_setup::NodeIpc::new()?;
    let argv0 = std::env::args().next().unwrap_or_default();
    crate::rpc::ipc::register(&table, node_ipc.ipc.clone(), argv0.clone());
    let rpc = if args.get_bool_arg("-server", true) {
        let server = rpc_server::RpcServer::start(args, chain, table.clone())?;
        if args.get_bool_arg("-rest", false) {
            crate::rest::register(server.http(), table.clone());
        }
        Some(server)
    } else {
        None
    };
    let service = rpc.as_ref().map(|r| r.service()).unwrap_or_else(|| {
        Arc::new(rpc::httprpc::JsonRpcService::new(
            table.clone(),
            Default::default(),
        ))
    });
    let _ = node_ipc.init.rpc.set(service);
    let mining = mining::NodeMining::new(assembler, shutdown.clone());
    node_ipc
        .init
        .set_mining(Arc::new(move || Box::new(mining.new_client())));
    node_ipc.listen(&args.get_args("-ipcbind"), net_dir)?;
    table.set_warmup_status("Loading block index…");
    if shutdown.is_requested() {
        return Err("Shutdown requested during init".to_string().into());
    }
    let p2p_backend = Arc::new(crate::p2p_backend::ChainBackend::new(node_chain.clone()));
    let params = node_chain.lock().params_arc();
    let p2p = crate::p2p::start(&table, args, &params, subversion, p2p_backend)?;
    node_chain.set_peers(Box::new(crate::p2p_backend::P2pPeers(p2p.handle())));
    let scheduler = start_scheduler(&node_chain, &control);
    let services = Arc::new(crate::api::Services {
        chain: node_chain.clone(),
        args: args.clone(),
        table: table.clone(),
        shutdown: shutdown.clone(),
        ui: crate::api::ui::UiSignals::new(),
        time_max: Default::default(),
        actors: Default::default(),
        net: p2p.handle(),
        proxies,
        wallet: Default::default(),
    });
    let net_handle = p2p.handle();
    services.ui.start_watcher(
        node_chain.clone(),
        Box::new(move || {
            let (inbound, outbound) = net_handle.connection_counts();
            (inbound + outbound) as i32
        }),
        shutdown.clone(),
    );
    node_ipc.init.set_services(services.clone());
    let wallet = if args.get_bool_arg("-disablewallet", false) {
        tracing::info!("Wallet disabled!");
        None
    } else {
        match crate::wallet_processes::WalletProcesses::start(
            node_ipc.ipc.clone(),
            argv0,
            services.clone(),
        ) {
            Ok(w) => {
                control.on_mock_time(w.mock_time_forwarder());
                let chain = node_chain.clone();
                control.on_mock_scheduler(Box::new(move |_| chain.signals().wait_idle()));
                control.on_mock_scheduler(w.scheduler_forwarder());
                Some(w)
            }
            Err(e) if e.is_empty() => return Err(InitFailure::Reported),
            Err(e) => return Err(e.into()),
        }
    };
    let load_files = args
        .get_args("-loadblock")
        .iter()
        .map(|f| args.abs_path_for_config_val(Path::new(f), false))
        .collect();
    let initload = crate::block_import::spawn(node_chain.clone(), load_files, shutdown.clone())
        .map_err(|e| format!("Failed to start the initload thread: {e}"))?;
    table.finish_warmup();
    Ok(Running {
        rpc,
        wallet,
        services,
        _ipc: node_ipc,
        _p2p: Some(p2p),
        scheduler,
        chain: node_chain,
        indexes,
        initload: Some(initload),
        _pid: pid,
        _locks: locks,
        zmq,
    })
}

/// Starts the `-zmqpub*` publishers, if any. As in Core, a publisher that
/// cannot bind (a bad address, a port in use) leaves the node running
/// without ZeroMQ notifications, which the `zmq` log category reports.
fn start_zmq(
    args: &ArgsManager,
    chain: &Arc<chainstate_service::NodeChain>,
    slot: &crate::rpc::zmq::ZmqSlot,
) -> Option<(Arc<zmq_notify::ZmqNotifications>, u64)> {
    let configs = zmq_notify::configs_from_args(args);
    if configs.is_empty() {
        return None;
    }
    let weak = Arc::downgrade(chain);
    let in_ibd = Box::new(move || {
        weak.upgrade()
            .is_some_and(|c| c.lock().is_initial_block_download())
    });
    let zmq = zmq_notify::ZmqNotifications::start(configs, in_ibd).ok()?;
    let id = chain.signals().subscribe(zmq.clone());
    let _ = slot.set(zmq.clone());
    Some((zmq, id))
}

/// The `bitcoin` crate's network for a chain type.
pub fn network_of(chain: ChainType) -> bitcoin::Network {
    consensus::params::network(chain)
}
