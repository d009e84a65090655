//! bitcoin-qt's command line: the node's options (which bitcoin-qt accepts
//! and hands to the node) plus its own (`-min`, `-splash`, `-choosedatadir`,
//! `-resetguisettings`), read with the node's rules, config file and
//! `settings.json`; and `-ipcconnect` to attach to a running node.

use common::args::ArgsManager;
use common::chaintype::ChainType;

/// What the GUI itself takes from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuiOptions {
    /// `-min`: start minimised, without the splash.
    pub min: bool,
    /// `-splash` (default on): show the splash while the node starts.
    pub splash: bool,
    /// `-choosedatadir`: ask for the data directory.
    pub choose_datadir: bool,
    /// `-resetguisettings`: forget the GUI's own settings.
    pub reset_gui_settings: bool,
    /// `-ipcconnect=<address>`: attach to this node instead of spawning one.
    pub ipc_connect: Option<String>,
    /// `bitcoin:` URIs after the options: payments to fill in on Send.
    pub uris: Vec<String>,
}

/// The parsed command line.
pub struct Parsed {
    /// Every option, for the node (`Node.baseInitialize`).
    pub args: ArgsManager,
    /// The chain the options select.
    pub chain: ChainType,
    /// The GUI's own.
    pub gui: GuiOptions,
}

/// What the command line asks for instead of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Early {
    /// `-help` / `-version`: print this and exit 0.
    Print(String),
    /// A bad option or config: print this and exit 1.
    Error(String),
}

/// Parses `argv` (program name first) as bitcoin-qt does.
pub fn parse(argv: &[String]) -> Result<Parsed, Early> {
    parse_with(argv, |_| Ok(()))
}

/// [`parse`], running `before_config` on the command line before the
/// config file is read (where bitcoin-qt shows its Intro, which may set
/// `-datadir`).
pub fn parse_with(
    argv: &[String],
    before_config: impl FnOnce(&ArgsManager) -> Result<(), Early>,
) -> Result<Parsed, Early> {
    let args = ArgsManager::new();
    common::options::register_node_options(&args);
    // bitcoin-qt takes `bitcoin:` URIs after the options; they are no
    // options to parse or to reject.
    let uris: Vec<String> = argv
        .iter()
        .skip(1)
        .filter(|a| crate::uri::is_uri(a))
        .cloned()
        .collect();
    let argv: Vec<String> = argv
        .iter()
        .enumerate()
        .filter(|(i, a)| *i == 0 || !crate::uri::is_uri(a))
        .map(|(_, a)| a.clone())
        .collect();
    args.parse_parameters(&argv)
        .map_err(|e| Early::Error(common::args::parse_error_message(&e)))?;
    common::args::check_unexpected_tokens(&argv).map_err(Early::Error)?;
    if args.is_arg_set("-version") {
        return Err(Early::Print(format!(
            "Bitcoin Core (bitcoin-gui) version v{}\n",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if args.is_arg_set("-help") || args.is_arg_set("-h") || args.is_arg_set("-?") {
        return Err(Early::Print(format!(
            "Usage: bitcoin-gui [options]\n\nbitcoin-qt's options and every bitcoin-node option are accepted; bitcoin-gui starts bitcoin-node with them (or attaches to one with -ipcconnect=unix[:path]).\n\n{}",
            args.get_help_message()
        )));
    }
    // GUI programs do not print to the console unless asked (bitcoin-qt).
    args.soft_set_bool_arg("-printtoconsole", false);
    // An attached GUI uses the node's settings through the node; writing
    // its settings.json too would race the node and other GUIs.
    if args.is_arg_set("-ipcconnect") && !args.is_arg_negated("-ipcconnect") {
        args.soft_negate_arg("-settings");
    }
    before_config(&args)?;
    let chain = args
        .init_config()
        .map_err(|e| Early::Error(format!("Error: {e}")))?;
    let flag = |name: &str, default: bool| args.get_bool_arg(name, default);
    let ipc_connect =
        (args.is_arg_set("-ipcconnect") && !args.is_arg_negated("-ipcconnect")).then(|| match args
            .get_arg("-ipcconnect")
            .unwrap_or_default()
        {
            a if a.is_empty() || a == "1" => "unix".to_string(),
            a => a,
        });
    let gui = GuiOptions {
        min: flag("-min", false),
        splash: flag("-splash", true),
        choose_datadir: flag("-choosedatadir", false),
        reset_gui_settings: flag("-resetguisettings", false),
        ipc_connect,
        uris,
    };
    Ok(Parsed { args, chain, gui })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(list: &[&str]) -> Vec<String> {
        std::iter::once("bitcoin-gui")
            .chain(list.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn gui_and_node_options_are_read_together() {
        let dir = std::env::temp_dir().join(format!("gui-options-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let datadir = format!("-datadir={}", dir.display());
        let p = parse(&argv(&[
            &datadir,
            "-regtest",
            "-min",
            "-nosplash",
            "-ipcconnect",
        ]))
        .unwrap_or_else(|_| panic!("parse"));
        assert_eq!(p.chain, ChainType::Regtest);
        assert!(p.gui.min && !p.gui.splash && !p.gui.choose_datadir);
        assert_eq!(p.gui.ipc_connect.as_deref(), Some("unix"));
        assert!(p.args.get_bool_arg("-regtest", false));
        // Attached: the node's settings.json is the node's business.
        assert!(p.args.get_settings_path(false, false).is_none());
        assert!(!dir.join("regtest/settings.json").exists());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_options_and_help_do_not_start_anything() {
        assert!(matches!(
            parse(&argv(&["-nosuchoption"])),
            Err(Early::Error(_))
        ));
        assert!(
            matches!(parse(&argv(&["-version"])), Err(Early::Print(v)) if v.contains("version"))
        );
        assert!(matches!(parse(&argv(&["stray"])), Err(Early::Error(_))));
        // Payment URIs may follow the options.
        let dir = std::env::temp_dir().join(format!("gui-uri-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let datadir = format!("-datadir={}", dir.display());
        let p = parse(&argv(&[&datadir, "-regtest", "bitcoin:bcrt1qx?amount=1"]))
            .unwrap_or_else(|_| panic!("parse"));
        assert_eq!(p.gui.uris, ["bitcoin:bcrt1qx?amount=1"]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
