//! `bitcoin-wallet` with no IPC option: Core's offline wallet tool
//! (`src/bitcoin-wallet.cpp`, `wallet/wallettool.cpp`). It works on wallet
//! files in the datadir with the node stopped: `create`, `info`, `dump`,
//! `createfromdump`, with Core's options, texts and exit codes. Like Core's,
//! it reads no config file: the command line says everything.

mod info;
mod offline_chain;

pub use info::WalletInfo;
pub use offline_chain::OfflineChain;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::args::{ArgFlags, ArgsManager, OptionsCategory};
use common::settings::CLIENT_NAME;

use crate::context::WalletContext;
use crate::db::dump::{create_from_dump, dump_wallet};
use crate::db::records::flags;
use crate::db::sqlite::{DatabaseOptions, SqliteDatabase};
use crate::wallet::open;

/// What `dump` prints once the file is written.
const DUMP_NOTICE: &str =
    "The dumpfile may contain private keys. To ensure the safety of your Bitcoin, do not share the dumpfile.";

/// Runs the tool with `argv` (program name first); returns the exit code.
/// Results go to stdout, errors to stderr.
pub fn run(argv: &[String], version: &str) -> i32 {
    let args = ArgsManager::new();
    register_options(&args);
    if let Err(e) = args.parse_parameters(argv) {
        eprintln!("Error parsing command line arguments: {e}");
        return 1;
    }
    let missing_args = argv.len() < 2;
    if missing_args || args.help_requested() || args.is_arg_set("-version") {
        print!("{}", usage(&args, version));
        if missing_args {
            eprintln!("Error: too few parameters");
            return 1;
        }
        return 0;
    }
    if args.get_bool_arg("-printtoconsole", args.get_bool_arg("-debug", false)) {
        log_to_console();
    }
    if !args.check_data_dir_option() {
        eprintln!(
            "Error: Specified data directory \"{}\" does not exist.",
            args.get_arg("-datadir").unwrap_or_default()
        );
        return 1;
    }
    let chain = match args.get_chain_type() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return 1;
        }
    };
    args.select_config_network(chain.as_str());
    let Some(command) = args.get_command() else {
        eprintln!("No method provided. Run `bitcoin-wallet -help` for valid methods.");
        return 1;
    };
    if !command.args.is_empty() {
        eprintln!(
            "Error: Additional arguments provided ({}). Methods do not take arguments. Please refer to `-help`.",
            command.args.join(", ")
        );
        return 1;
    }
    match execute(Arc::new(args), &command.command) {
        Ok(()) => 0,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            1
        }
    }
}

/// Core's `SetupWalletToolArgs`.
fn register_options(args: &ArgsManager) {
    use OptionsCategory::{CommandOptions, DebugTest, Options};
    let any = ArgFlags::ALLOW_ANY;
    let no_negation = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::DISALLOW_NEGATION.0);
    let network_only = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::NETWORK_ONLY.0);
    args.add_arg(
        "-help",
        "Print this help message and exit (also -h or -?)",
        any,
        Options,
    );
    args.add_hidden_args(&["-h", "-?"]);
    common::options::register_chain_options(args);
    args.add_arg("-version", "Print version and exit", any, Options);
    args.add_arg(
        "-datadir=<dir>",
        "Specify data directory",
        no_negation,
        Options,
    );
    args.add_arg(
        "-wallet=<wallet-name>",
        "Specify wallet name",
        network_only,
        Options,
    );
    args.add_arg(
        "-dumpfile=<file name>",
        "When used with 'dump', writes out the records to this file. When used with 'createfromdump', loads the records into a new wallet.",
        no_negation,
        CommandOptions,
    );
    args.add_arg(
        "-debug=<category>",
        "Output debugging information (default: 0).",
        any,
        DebugTest,
    );
    args.add_arg(
        "-printtoconsole",
        "Send trace/debug info to console (default: 1 when no -debug is true, 0 otherwise).",
        any,
        DebugTest,
    );
    args.add_command("info", "Get wallet info", &[]);
    args.add_command("create", "Create a new descriptor wallet file", &[]);
    args.add_command(
        "dump",
        "Print out all of the wallet key-value records",
        &["-dumpfile"],
    );
    args.add_command(
        "createfromdump",
        "Create new wallet file from dumped records",
        &["-dumpfile"],
    );
}

fn usage(args: &ArgsManager, version: &str) -> String {
    let mut s = format!("{CLIENT_NAME} bitcoin-wallet utility version {version}\n");
    if args.is_arg_set("-version") {
        s.push_str("\nDistributed under the MIT software license.\n");
    } else {
        s.push_str(&format!(
            "\nbitcoin-wallet is an offline tool for creating and interacting with {CLIENT_NAME} wallet files.\n\n\
             By default bitcoin-wallet will act on wallets in the default mainnet wallet directory in the datadir.\n\n\
             To change the target wallet, use the -datadir, -wallet and (test)chain selection arguments.\n\n\
             Started by bitcoin-node (-ipcfd) or with -ipcconnect=<address>, bitcoin-wallet serves a running node's wallets instead.\n\n\
             Usage: bitcoin-wallet [options] <command>\n\n\n"
        ));
        s.push_str(&args.get_help_message());
    }
    s
}

fn log_to_console() {
    common::logging::install();
    let config = common::logging::LogConfig {
        file: None,
        print_to_console: true,
        ..Default::default()
    };
    // Logging is a convenience here; the tool works without it.
    let _ = common::logging::start(config);
}

/// Core's `ExecuteWalletToolFunc`; `Err` holds what goes to stderr.
fn execute(args: Arc<ArgsManager>, command: &str) -> Result<(), String> {
    let wrong = args.check_command_options(command);
    if !wrong.is_empty() {
        let list: Vec<String> = wrong.iter().map(|d| format!("- {d}")).collect();
        return Err(format!(
            "Error: Invalid arguments provided:\n{}",
            list.join("\n")
        ));
    }
    if matches!(command, "create" | "createfromdump") && !args.is_arg_set("-wallet") {
        return Err("Wallet name must be provided when creating a new wallet.".into());
    }
    let name = args.get_arg("-wallet").unwrap_or_default();
    let context = Arc::new(WalletContext::new(Arc::new(OfflineChain), args.clone())?);
    let path = open::wallet_path(&context.wallet_dir(), &name)?;
    let mut options = DatabaseOptions::new(context.params.message_start);
    options.use_unsafe_sync = args.get_bool_arg("-unsafesqlitesync", false);
    let dump_file = PathBuf::from(args.get_arg("-dumpfile").unwrap_or_default());
    match command {
        "create" => create(&context, &name, &path, options),
        "info" => {
            options.require_existing = true;
            show_info(&path, &name, &options, context.network)
        }
        "dump" => {
            options.require_existing = true;
            let db = SqliteDatabase::open(&path, &options).map_err(|e| e.message)?;
            dump_wallet(&db, &dump_file)?;
            println!("{DUMP_NOTICE}");
            Ok(())
        }
        "createfromdump" => {
            if name.is_empty() {
                return Err("Wallet name cannot be empty".into());
            }
            create_from_dump(&dump_file, &path, &options)
        }
        other => Err(format!("Invalid command: {other}")),
    }
}

/// `create`: a new descriptor wallet with the eight default descriptors
/// and a full keypool, then its info. Unlike Core's tool, a failure exits
/// with 1 (Core prints the error and exits with 0).
fn create(
    context: &Arc<WalletContext>,
    name: &str,
    path: &Path,
    mut options: DatabaseOptions,
) -> Result<(), String> {
    if name.is_empty() {
        return Err("Wallet name cannot be empty".into());
    }
    let (wallet, _) = open::create_file(context, name, flags::DESCRIPTORS, false).map_err(|e| {
        // The tool names the database problem alone, as Core's does.
        let message = e.message;
        match message.strip_prefix("Wallet file verification failed. ") {
            Some(rest) => rest.to_string(),
            None => message,
        }
    })?;
    println!("Topping up keypool...");
    // Closing the file before reading it back: the info is what was written.
    drop(wallet);
    options.require_existing = true;
    show_info(path, name, &options, context.network)
}

fn show_info(
    path: &Path,
    name: &str,
    options: &DatabaseOptions,
    network: bitcoin::Network,
) -> Result<(), String> {
    let db = SqliteDatabase::open(path, options).map_err(|e| e.message)?;
    let (info, warnings) = WalletInfo::read(&db, name, network)?;
    for w in warnings {
        eprint!("{w}");
    }
    print!("{info}");
    let _ = std::io::stdout().flush();
    Ok(())
}
