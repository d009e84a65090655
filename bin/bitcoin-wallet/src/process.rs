//! The roles of the `bitcoin-wallet` executable and the `Init` it serves.

use common::args::ArgsManager;
use common::shutdown::Shutdown;
use interfaces::chain::{Chain, ChainClient};
use interfaces::echo::{Echo, LocalEcho};
use interfaces::init::Init;
use interfaces::wallet::WalletLoader;
use interfaces::GlobalArgs;
use ipc::Ipc;
use std::sync::{Arc, Once};

/// Name used in thread names and log lines.
const EXE_NAME: &str = "bitcoin-wallet";

/// Shown by the offline tool's `-version` (the node's version, as both
/// ship together).
const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// Runs the role `argv` asks for and returns the exit code.
pub fn run(argv: Vec<String>) -> i32 {
    if let Some(fd) = ipc::spawn::check_spawned(&argv) {
        return match fd {
            Ok(fd) => run_spawned(fd),
            Err(e) => {
                eprintln!("Error: {e}");
                1
            }
        };
    }
    if !wants_ipcconnect(&argv) {
        return wallet::tool::run(&argv, VERSION);
    }
    common::signals::block_in_all_threads();
    common::logging::install();
    let args = ArgsManager::new();
    common::options::register_node_options(&args);
    if let Err(e) = args.parse_parameters(&argv) {
        eprintln!("Error: {}", common::args::parse_error_message(&e));
        return 1;
    }
    if let Err(e) = args.init_config() {
        eprintln!("Error: {e}");
        return 1;
    }
    if args.is_arg_negated("-ipcconnect") {
        // `-noipcconnect` after `-ipcconnect`: neither role was asked for.
        eprintln!("Error: -ipcconnect was given and negated; give it once to attach to a node");
        return 1;
    }
    run_attached(args)
}

/// Whether the options (before any command word) ask to attach to a node.
/// Without one this is Core's offline tool, whose options differ.
fn wants_ipcconnect(argv: &[String]) -> bool {
    argv.iter()
        .skip(1)
        .take_while(|a| a.starts_with('-'))
        .any(|a| {
            let key = a.trim_start_matches('-');
            key == "ipcconnect" || key.starts_with("ipcconnect=")
        })
}

/// Starts logging from the node's options (once per process): into the
/// node's debug.log, whose size only the node manages.
fn start_logging(args: &ArgsManager) -> Result<(), String> {
    static STARTED: Once = Once::new();
    let mut result = Ok(());
    STARTED.call_once(|| {
        result = common::logging::from_args::setup_categories(args).and_then(|()| {
            let mut config = common::logging::from_args::log_config(args, &args.get_data_dir_net());
            config.shrink = false;
            common::logging::start(config)
        });
    });
    result
}

/// What this process serves: `makeWalletLoader` (and `makeEcho`).
struct WalletInit;

impl Init for WalletInit {
    fn make_echo(&self) -> interfaces::Result<Option<Box<dyn Echo>>> {
        Ok(Some(Box::new(LocalEcho)))
    }

    fn make_wallet_loader(
        &self,
        global_args: &GlobalArgs,
        chain: Box<dyn Chain>,
    ) -> interfaces::Result<Option<Box<dyn WalletLoader>>> {
        let (args, _) = ipc::args::args_from(global_args).map_err(interfaces::Error::Remote)?;
        start_logging(&args).map_err(interfaces::Error::Remote)?;
        let loader = wallet::loader::Loader::new(chain, args).map_err(interfaces::Error::Remote)?;
        Ok(Some(Box::new(loader)))
    }
}

/// Serves `Init` to the node that spawned us on `fd` until it closes the
/// socket; the wallets were stopped by then (or are closed as the node's
/// references go).
fn run_spawned(fd: i32) -> i32 {
    // The node decides when we stop: Ctrl-C in a terminal reaches the whole
    // process group, and the node stops its wallet first.
    // SAFETY: installing SIG_IGN has no preconditions; F_GETFD only queries.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        if fd < 0 || libc::fcntl(fd, libc::F_GETFD) < 0 {
            eprintln!("Error: Invalid -ipcfd number '{fd}'");
            return 1;
        }
    }
    common::logging::install();
    // SAFETY: the parent handed us this descriptor for our exclusive use.
    let stream =
        unsafe { <std::os::unix::net::UnixStream as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let ipc = match Ipc::new(EXE_NAME) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("Error: {e}");
            return 1;
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let served = ipc.serve(
        stream,
        Arc::new(WalletInit),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    if let Err(e) = served {
        eprintln!("Error: {e}");
        return 1;
    }
    let _ = rx.recv();
    drop(ipc);
    0
}

/// Attaches to a running node (`-ipcconnect`) and serves its wallets there
/// until SIGINT/SIGTERM or the node goes away.
fn run_attached(args: ArgsManager) -> i32 {
    let net_dir = args.get_data_dir_net();
    if let Err(e) = start_logging(&args) {
        eprintln!("Error: {e}");
        return 1;
    }
    let shutdown = Arc::new(Shutdown::new());
    common::signals::spawn_signal_thread(shutdown.clone(), common::logging::reopen);
    let ipc = match Ipc::new(EXE_NAME) {
        Ok(i) => i,
        Err(e) => return fail(&format!("Unable to start IPC: {e}")),
    };
    let address = args.get_arg("-ipcconnect").unwrap_or_default();
    let address = if address.is_empty() || address == "1" {
        "unix".to_string()
    } else {
        address
    };
    let init = match ipc.connect_address(&address, &net_dir, "bitcoin-node") {
        Ok(i) => i,
        Err(e) => return fail(&e.to_string()),
    };
    let stopper = shutdown.clone();
    init.connection()
        .on_disconnect(Box::new(move || stopper.request()));
    let chain = match init.make_chain() {
        Ok(Some(c)) => c,
        Ok(None) => return fail("The node at -ipcconnect does not serve a chain"),
        Err(e) => return fail(&e.to_string()),
    };
    let loader = match wallet::loader::Loader::new(chain, args) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let started = loader.register_rpcs().and_then(|()| {
        Ok(loader.verify()? && loader.load()? && {
            loader.start()?;
            true
        })
    });
    match started {
        Ok(true) => {}
        Ok(false) => return 1,
        Err(e) => return fail(&e.to_string()),
    }
    tracing::info!("Wallet attached to the node at {address}");
    shutdown.wait();
    let _ = loader.stop();
    drop(loader);
    drop(init);
    drop(ipc);
    0
}

fn fail(message: &str) -> i32 {
    tracing::error!("{message}");
    eprintln!("Error: {message}");
    1
}
