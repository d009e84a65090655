//! Settings > Options… (bitcoin-qt's `OptionsDialog`): Main, Wallet,
//! Network, Window and Display tabs. Node options go to the node's
//! `settings.json` through the command thread; GUI options to the QSettings
//! file ([`crate::settings`]). OK applies, Cancel forgets, Reset Options
//! resets both and quits, as bitcoin-qt does.

use eframe::egui;

use crate::app::App;
use crate::model::{Command, SettingsAction, View};
use crate::node_options::{self, NodeOptions, Proxy};
use crate::settings::{self, keys, GuiSettings};
use crate::units::Unit;

/// The dialog's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptionsTab {
    /// Pruning, cache, threads, RPC server.
    #[default]
    Main,
    /// Wallet features.
    Wallet,
    /// Port mapping, incoming connections, proxies.
    Network,
    /// Window behaviour.
    Window,
    /// Unit and third-party URLs.
    Display,
}

/// An open Options dialog: what the user edits until OK.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionsDialog {
    /// The open tab.
    pub tab: OptionsTab,
    /// The GUI options being edited.
    pub gui: GuiSettings,
    /// The node options as read, once the node answered.
    before: Option<NodeOptions>,
    /// The node options being edited.
    node: Option<NodeOptions>,
    /// Reset Options asks first.
    confirm_reset: bool,
    /// Why OK did not go through.
    problem: Option<String>,
    /// The node-settings request whose answer it waits for.
    request: u64,
}

impl OptionsDialog {
    /// A dialog starting from the GUI options in use, waiting for the
    /// node's answer to `request`.
    pub fn new(gui: GuiSettings, request: u64) -> OptionsDialog {
        OptionsDialog {
            tab: OptionsTab::Main,
            gui,
            before: None,
            node: None,
            confirm_reset: false,
            problem: None,
            request,
        }
    }
}

/// Opens the dialog and asks the node for its settings.
pub fn open(app: &mut App) {
    let request = app.model.load_node_settings(&node_options::NAMES);
    app.options = Some(OptionsDialog::new(app.settings.clone(), request));
}

/// Draws the dialog if open.
pub fn show(ctx: &egui::Context, app: &mut App, view: &View) {
    let Some(mut dialog) = app.options.take() else {
        // A write that failed after OK closed the dialog.
        if let Some(error) = &view.node_settings.error {
            egui::Window::new("Options")
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                    if ui.button("Close").clicked() {
                        app.model.clear_settings_error();
                    }
                });
        }
        return;
    };
    let answer = &view.node_settings;
    if dialog.node.is_none() && answer.request == dialog.request {
        if let Some(values) = &answer.values {
            match NodeOptions::from_settings(values) {
                Ok(read) => {
                    dialog.before = Some(read.clone());
                    dialog.node = Some(read);
                }
                Err(e) => dialog.problem = Some(e),
            }
        }
    }
    let mut open = true;
    let mut outcome = Outcome::Stay;
    egui::Window::new("Options")
        .open(&mut open)
        .collapsible(false)
        .default_size([520.0, 420.0])
        .show(ctx, |ui| {
            outcome = body(ui, app, &mut dialog, view);
        });
    // Escape is Cancel.
    open &= !crate::views::escape(ctx);
    match outcome {
        Outcome::Stay if open => app.options = Some(dialog),
        Outcome::Stay | Outcome::Close => {}
        Outcome::Apply => {
            if let Err(e) = apply(app, &dialog) {
                dialog.problem = Some(e);
                app.options = Some(dialog);
            }
        }
        Outcome::Reset => reset(app),
    }
}

/// What the buttons asked for.
enum Outcome {
    Stay,
    Close,
    Apply,
    Reset,
}

fn body(ui: &mut egui::Ui, app: &App, dialog: &mut OptionsDialog, view: &View) -> Outcome {
    ui.horizontal(|ui| {
        for (tab, label) in [
            (OptionsTab::Main, "Main"),
            (OptionsTab::Wallet, "Wallet"),
            (OptionsTab::Network, "Network"),
            (OptionsTab::Window, "Window"),
            (OptionsTab::Display, "Display"),
        ] {
            ui.selectable_value(&mut dialog.tab, tab, label);
        }
    });
    ui.separator();
    let loaded = dialog.node.is_some();
    if !loaded && dialog.problem.is_none() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading the node's settings…");
        });
    }
    // Shown greyed out until the node's answer arrives.
    let mut fallback = NodeOptions::default();
    let node = dialog.node.as_mut().unwrap_or(&mut fallback);
    let gui = &mut dialog.gui;
    match dialog.tab {
        OptionsTab::Main => {
            ui.add_enabled_ui(loaded, |ui| main_tab(ui, node));
        }
        OptionsTab::Wallet => wallet_tab(ui, gui, node, loaded),
        OptionsTab::Network => {
            ui.add_enabled_ui(loaded, |ui| network_tab(ui, node));
        }
        OptionsTab::Window => {
            ui.checkbox(
                &mut gui.minimize_on_close,
                "Minimize on close: minimize instead of exiting when the window is closed",
            );
        }
        OptionsTab::Display => display_tab(ui, gui),
    }
    ui.separator();
    if !view.node_settings.ignored.is_empty() {
        ui.label("Options set in this dialog are overridden by the command line:");
        let names: Vec<String> = view
            .node_settings
            .ignored
            .iter()
            .map(|n| format!("-{n}"))
            .collect();
        ui.monospace(names.join(" "));
    }
    let restart_pending = app
        .settings_store
        .get_bool(keys::RESTART_REQUIRED)
        .unwrap_or(false)
        || restart_needed(dialog, app);
    if restart_pending {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Client restart required to activate changes.",
        );
    }
    for problem in [&dialog.problem, &view.node_settings.error]
        .into_iter()
        .flatten()
    {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    if dialog.confirm_reset {
        ui.label("Client restart required to activate changes.");
        ui.label("Client will be shut down. Do you want to proceed?");
        let mut outcome = Outcome::Stay;
        ui.horizontal(|ui| {
            if ui.button("Yes").clicked() {
                outcome = Outcome::Reset;
            }
            if ui.button("No").clicked() {
                dialog.confirm_reset = false;
            }
        });
        return outcome;
    }
    let mut outcome = Outcome::Stay;
    ui.horizontal(|ui| {
        if ui.button("Reset Options").clicked() {
            dialog.confirm_reset = true;
        }
        if ui.button("OK").clicked() {
            outcome = Outcome::Apply;
        }
        if ui.button("Cancel").clicked() {
            outcome = Outcome::Close;
        }
    });
    outcome
}

fn main_tab(ui: &mut egui::Ui, node: &mut NodeOptions) {
    ui.horizontal(|ui| {
        let prune = ui.checkbox(&mut node.prune, "Prune block storage to");
        ui.add_enabled(
            node.prune,
            egui::DragValue::new(&mut node.prune_gb).range(1..=1_000_000),
        )
        .labelled_by(prune.id);
        ui.label("GB");
    });
    ui.horizontal(|ui| {
        let label = ui.label("Size of database cache");
        ui.add(
            egui::DragValue::new(&mut node.dbcache_mib)
                .range(node_options::MIN_DBCACHE_MIB..=1_048_576),
        )
        .labelled_by(label.id);
        ui.label("MiB");
    });
    ui.horizontal(|ui| {
        let label = ui.label("Number of script verification threads");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as i64);
        ui.add(egui::DragValue::new(&mut node.par).range(-cores..=node_options::MAX_PAR))
            .labelled_by(label.id);
        ui.label("(0 = auto, <0 = leave that many cores free)");
    });
    ui.checkbox(&mut node.server, "Enable RPC server");
}

fn wallet_tab(ui: &mut egui::Ui, gui: &mut GuiSettings, node: &mut NodeOptions, loaded: bool) {
    ui.checkbox(
        &mut gui.sub_fee_from_amount,
        "Subtract fee from amount by default",
    );
    ui.checkbox(&mut gui.coin_control, "Enable coin control features");
    ui.add_enabled_ui(loaded, |ui| {
        ui.checkbox(&mut node.spend_zero_conf_change, "Spend unconfirmed change");
    });
    ui.checkbox(&mut gui.psbt_controls, "Enable PSBT controls");
    ui.add_enabled_ui(loaded, |ui| {
        ui.horizontal(|ui| {
            let label = ui.label("External signer script path");
            ui.add(egui::TextEdit::singleline(&mut node.signer).id_salt("options-signer"))
                .labelled_by(label.id);
        });
    });
}

fn network_tab(ui: &mut egui::Ui, node: &mut NodeOptions) {
    ui.checkbox(&mut node.natpmp, "Map port using PCP or NAT-PMP");
    ui.checkbox(&mut node.listen, "Allow incoming connections");
    proxy(
        ui,
        &mut node.proxy,
        "Connect through SOCKS5 proxy (default proxy)",
        "proxy",
    );
    proxy(
        ui,
        &mut node.onion,
        "Use separate SOCKS5 proxy to reach peers via Tor onion services",
        "onion",
    );
}

fn proxy(ui: &mut egui::Ui, proxy: &mut Proxy, label: &str, id: &str) {
    ui.checkbox(&mut proxy.enabled, label);
    ui.add_enabled_ui(proxy.enabled, |ui| {
        ui.horizontal(|ui| {
            let ip = ui.label("Proxy IP");
            ui.add(
                egui::TextEdit::singleline(&mut proxy.ip)
                    .desired_width(140.0)
                    .id_salt(format!("{id}-ip")),
            )
            .labelled_by(ip.id);
            let port = ui.label("Port");
            ui.add(
                egui::TextEdit::singleline(&mut proxy.port)
                    .desired_width(60.0)
                    .id_salt(format!("{id}-port")),
            )
            .labelled_by(port.id);
        });
    });
}

fn display_tab(ui: &mut egui::Ui, gui: &mut GuiSettings) {
    ui.horizontal(|ui| {
        ui.label("Unit to show amounts in");
        egui::ComboBox::from_id_salt("options-unit")
            .selected_text(gui.display_unit.long_name())
            .show_ui(ui, |ui| {
                for unit in Unit::ALL {
                    ui.selectable_value(&mut gui.display_unit, unit, unit.long_name());
                }
            });
    });
    let label = ui.label("Third-party transaction URLs (%s is replaced by the transaction hash; separate several with |)");
    ui.add(
        egui::TextEdit::singleline(&mut gui.third_party_tx_urls)
            .desired_width(f32::INFINITY)
            .id_salt("options-urls"),
    )
    .labelled_by(label.id);
}

/// Whether OK would change something that takes effect only on restart.
fn restart_needed(dialog: &OptionsDialog, app: &App) -> bool {
    let node = match (&dialog.node, &dialog.before) {
        (Some(now), Some(before)) => now
            .changes(before)
            .iter()
            .any(|(name, _)| node_options::needs_restart(name)),
        _ => false,
    };
    node || dialog.gui.third_party_tx_urls != app.settings.third_party_tx_urls
}

/// OK: node changes to the command thread, GUI options to QSettings.
fn apply(app: &mut App, dialog: &OptionsDialog) -> Result<(), String> {
    if let Some(node) = &dialog.node {
        if let Some(problem) = node.proxy.problem().or_else(|| node.onion.problem()) {
            return Err(problem);
        }
    }
    let restart = restart_needed(dialog, app);
    if let (Some(node), Some(before)) = (&dialog.node, &dialog.before) {
        let changes: Vec<(String, String)> = node
            .changes(before)
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        if !changes.is_empty() {
            app.model
                .send(Command::Settings(SettingsAction::Write(changes)));
        }
        if node.natpmp != before.natpmp {
            app.model
                .send(Command::Settings(SettingsAction::MapPort(node.natpmp)));
        }
    }
    dialog.gui.store(&mut app.settings_store);
    if restart {
        app.settings_store.set_bool(keys::RESTART_REQUIRED, true);
    }
    app.settings_store.save()?;
    app.settings = dialog.gui.clone();
    Ok(())
}

/// Reset Options: the GUI's store backed up to the chain's datadir and
/// cleared, the node's `settings.json` reset, then the GUI quits.
fn reset(app: &mut App) {
    let backup = match (&app.data_dir_net, app.settings_store.path().parent()) {
        (Some(dir), _) => dir.join("guisettings.ini.bak"),
        (None, Some(dir)) => dir.join("guisettings.ini.bak"),
        (None, None) => std::path::PathBuf::from("guisettings.ini.bak"),
    };
    if let Err(e) = settings::reset(&mut app.settings_store, &backup) {
        tracing::error!("resetting the GUI settings: {e}");
    }
    app.settings = GuiSettings::load(&app.settings_store);
    app.model
        .send(Command::Settings(SettingsAction::Reset { quit: true }));
}
