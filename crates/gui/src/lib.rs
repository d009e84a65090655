//! `bitcoin-gui`: bitcoin-qt's desktop wallet in egui. It spawns
//! `bitcoin-node -ipcfd N` (which spawns the wallet) or attaches to a node
//! with `-ipcconnect`, and draws from models over `interfaces::Node`; every
//! IPC call runs on a worker thread ([`model`]), never on the UI thread.
//! `doc/gui.md` describes the screens and tests.

pub mod app;
pub mod console;
pub mod frame_stats;
pub mod intro;
pub mod launch;
pub mod model;
pub mod node_options;
pub mod options;
pub mod settings;
pub mod units;
pub mod uri;
pub mod views;
pub mod wallets;

// Pulled in only to turn on its dlopen Wayland backend (see Cargo.toml).
use winit as _;
// Used by the screen tests only.
#[cfg(test)]
use egui_kittest as _;

use std::sync::{Arc, Mutex};

use eframe::egui;

/// Runs the GUI with `argv`; returns the process exit code.
pub fn run(argv: Vec<String>) -> i32 {
    let mut intro_prune = None;
    let parsed = match options::parse_with(&argv, |args| intro_step(args, &mut intro_prune)) {
        Ok(p) => p,
        Err(options::Early::Print(text)) => {
            print!("{text}");
            return 0;
        }
        Err(options::Early::Error(text)) => {
            eprintln!("{text}");
            return 1;
        }
    };
    let prune_write = intro_prune.and_then(|mib| intro_prune_setting(&parsed.args, mib));
    let argv0 = argv
        .first()
        .cloned()
        .unwrap_or_else(|| "bitcoin-gui".into());
    let launched = match launch::launch(&argv0, &parsed) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("Error: {e}");
            return 1;
        }
    };
    let chain = parsed.chain.to_string();
    // The model wakes the window; the context exists only once it opens.
    let ctx_slot: Arc<Mutex<Option<egui::Context>>> = Arc::new(Mutex::new(None));
    let slot = ctx_slot.clone();
    let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        if let Some(ctx) = slot.lock().ok().and_then(|c| c.clone()) {
            ctx.request_repaint();
        }
    });
    let model = model::NodeModel::start(
        launched.node.clone(),
        launched.start.clone(),
        repaint.clone(),
    );
    if let Some(value) = prune_write {
        let write = vec![("prune".to_string(), value)];
        model.when_running(model::SettingsAction::Write(write));
    }
    let mut app = app::App::new(model.clone(), &chain);
    app.start_minimized = parsed.gui.min;
    app.network = network(parsed.chain);
    app.pending_uris = parsed.gui.uris.clone();
    app.settings_store = gui_settings(parsed.chain);
    app.data_dir_net = Some(parsed.args.get_data_dir_net());
    if parsed.gui.reset_gui_settings {
        // bitcoin-qt's OptionsModel::Reset, at start: the GUI's store now,
        // the node's settings.json once it runs (it takes settings only
        // after baseInitialize; this run still uses the old ones).
        let backup = parsed.args.get_data_dir_net().join("guisettings.ini.bak");
        if let Err(e) = settings::reset(&mut app.settings_store, &backup) {
            eprintln!("Warning: resetting the GUI settings: {e}");
        }
        if parsed.gui.ipc_connect.is_none() {
            model.when_running(model::SettingsAction::Reset { quit: false });
        }
    }
    app.settings = settings::GuiSettings::load(&app.settings_store);
    app.frame_stats = frame_stats::FrameStats::from_env();
    let running = model.clone();
    app.wallets = Some(wallets::WalletsModel::start(
        launched.node.clone(),
        network(parsed.chain),
        move || {
            let v = running.view();
            (v.phase == model::Phase::Running).then(|| v.status.map_or(0, |s| s.blocks))
        },
        repaint.clone(),
    ));
    let title = app.title();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(&title)
            .with_inner_size([900.0, 600.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let result = eframe::run_native(
        &title,
        options,
        Box::new(move |cc| {
            if let Ok(mut c) = ctx_slot.lock() {
                *c = Some(cc.egui_ctx.clone());
            }
            Ok(Box::new(app))
        }),
    );
    if let Err(e) = result {
        eprintln!("Error: {e}");
        // No window: stop a spawned node before leaving.
        model.shutdown();
        wait_stopped(&model);
        return 1;
    }
    // The window closed on its own (or the display went away): the node
    // must still stop cleanly.
    model.shutdown();
    let code = wait_stopped(&model);
    drop(launched);
    code
}

/// bitcoin-qt's Intro step: shows the Intro when needed (never for an
/// attached GUI, whose node has its datadir already); its prune choice
/// (MiB) goes to `prune`. Cancel exits quietly with 0.
fn intro_step(
    args: &common::args::ArgsManager,
    prune: &mut Option<i64>,
) -> Result<(), options::Early> {
    if args.is_arg_set("-ipcconnect") && !args.is_arg_negated("-ipcconnect") {
        return Ok(());
    }
    let choose = args.get_bool_arg("-choosedatadir", false);
    let reset = args.get_bool_arg("-resetguisettings", false);
    let error = |e: String| options::Early::Error(format!("Error: {e}"));
    let Some(intro) = intro::needed(args, choose, reset).map_err(error)? else {
        return Ok(());
    };
    let default_dir = intro.default_dir.clone();
    match intro::run_window(intro).map_err(error)? {
        Some(intro::Outcome::Accepted { dir, prune_mib }) => {
            if dir != default_dir {
                args.soft_set_arg("-datadir", &dir.display().to_string());
            }
            *prune = Some(prune_mib);
            Ok(())
        }
        Some(intro::Outcome::Cancelled) | None => Err(options::Early::Print(String::new())),
    }
}

/// The Intro's prune choice forced for this run (bitcoin-qt's
/// `SetPruneTargetGB`); the `settings.json` value to write when it differs
/// from the saved one.
fn intro_prune_setting(args: &common::args::ArgsManager, mib: i64) -> Option<String> {
    args.force_set_arg("-prune", &mib.to_string());
    let saved = args.get_persistent_setting("prune").to_string();
    let before = node_options::NodeOptions::from_settings(&[("prune".into(), saved)]).ok()?;
    let chosen = node_options::NodeOptions {
        prune: mib > 1,
        prune_gb: if mib > 1 {
            node_options::prune_mib_to_gb(mib)
        } else {
            before.prune_gb
        },
        ..before.clone()
    };
    chosen
        .changes(&before)
        .into_iter()
        .find(|(name, _)| *name == "prune")
        .map(|(_, value)| value)
}

/// The chain's QSettings store; a store that cannot be read is reported
/// and replaced by defaults (bitcoin-qt goes on with defaults too).
fn gui_settings(chain: common::chaintype::ChainType) -> settings::QtSettings {
    let app = settings::app_name(chain);
    let Some(path) = settings::settings_path(app) else {
        eprintln!("Warning: neither XDG_CONFIG_HOME nor HOME is set; GUI settings are not kept");
        return settings::QtSettings::default();
    };
    let mut store = settings::QtSettings::open(&path).unwrap_or_else(|e| {
        eprintln!("Warning: {e}; using default GUI settings");
        settings::QtSettings::at(&path)
    });
    // A restart happened: what needed one is in effect now (bitcoin-qt
    // clears the flag at start as well).
    if store.get_bool(settings::keys::RESTART_REQUIRED) == Some(true) {
        store.set_bool(settings::keys::RESTART_REQUIRED, false);
        if let Err(e) = store.save() {
            eprintln!("Warning: {e}");
        }
    }
    store
}

/// The address network of a chain.
fn network(chain: common::chaintype::ChainType) -> bitcoin::Network {
    use common::chaintype::ChainType;
    match chain {
        ChainType::Main => bitcoin::Network::Bitcoin,
        ChainType::Testnet => bitcoin::Network::Testnet,
        ChainType::Testnet4 => bitcoin::Network::Testnet4,
        ChainType::Signet => bitcoin::Network::Signet,
        ChainType::Regtest => bitcoin::Network::Regtest,
    }
}

/// Waits for the shutdown to finish; the node's exit status.
fn wait_stopped(model: &model::NodeModel) -> i32 {
    loop {
        match model.view().phase {
            model::Phase::Stopped(code) => return code,
            model::Phase::Failed(_) => return 1,
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
}
