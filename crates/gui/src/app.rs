//! The window: splash while a spawned node starts, then bitcoin-qt's main
//! window (toolbar tabs, status bar, sync overlay), the node window, and
//! the shutdown window. State that only the UI needs lives here; all node
//! data comes from [`NodeModel::view`].

use std::time::Instant;

use eframe::egui;

use crate::model::{NodeModel, Phase, View};
use crate::views;
use crate::wallets::WalletsModel;

/// bitcoin-qt's toolbar tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Balances and recent transactions.
    Overview,
    /// Send coins.
    Send,
    /// Receive requests.
    Receive,
    /// Transaction list.
    Transactions,
}

/// The node window's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeTab {
    /// Client and chain information.
    Information,
    /// RPC console.
    Console,
    /// Bytes in and out.
    Traffic,
    /// Connected and banned peers.
    Peers,
}

/// The node window's tabs with their Window menu labels and shortcuts, as
/// bitcoin-qt's (`Ctrl` is Command on macOS).
pub const NODE_TAB_KEYS: [(egui::Key, NodeTab, &str); 4] = [
    (egui::Key::I, NodeTab::Information, "Information"),
    (egui::Key::T, NodeTab::Console, "Console"),
    (egui::Key::N, NodeTab::Traffic, "Network Traffic"),
    (egui::Key::P, NodeTab::Peers, "Peers"),
];

/// The GUI's own state.
pub struct App {
    /// The node, through its model.
    pub model: NodeModel,
    /// The chain's name for the title and splash (`main`, `regtest`, …).
    pub chain: String,
    /// The open toolbar tab.
    pub tab: Tab,
    /// The node window, when open, on this tab.
    pub node_window: Option<NodeTab>,
    /// The console's input line.
    pub console_input: String,
    /// Console history (newest last) and the position while browsing it.
    pub history: Vec<String>,
    /// Index into `history` while browsing with the arrow keys.
    pub history_pos: Option<usize>,
    /// The user hid the sync overlay.
    pub overlay_hidden: bool,
    /// (time, verification progress) samples for the overlay's ETA.
    pub progress: std::collections::VecDeque<(Instant, f64)>,
    /// Frames drawn (the stall test and the benchmark read it).
    pub frames: u64,
    /// The console's input line takes the keyboard on the next frame (as
    /// bitcoin-qt focuses it when the console is shown).
    pub focus_console: bool,
    /// The GUI's own settings (bitcoin-qt's QSettings): display unit,
    /// coin control, subtract fee, PSBT controls, …
    pub settings: crate::settings::GuiSettings,
    /// The QSettings file they are read from and saved to.
    pub settings_store: crate::settings::QtSettings,
    /// The node window's peer selection.
    pub node_ui: crate::views::node_window::NodeWindowState,
    /// The Options dialog, when open.
    pub options: Option<crate::views::options::OptionsDialog>,
    /// The chain's data directory (Reset Options backs the GUI settings
    /// up there).
    pub data_dir_net: Option<std::path::PathBuf>,
    /// When the GUI started (seconds since 1970), for the Information tab.
    pub started: i64,
    /// `-min`: minimise on the first frame.
    pub start_minimized: bool,
    /// The wallets, when the node serves them.
    pub wallets: Option<WalletsModel>,
    /// The chosen wallet.
    pub wallet_index: usize,
    /// The address network of the chain.
    pub network: bitcoin::Network,
    /// The Send tab's entries and fee choice.
    pub send: views::send::SendForm,
    /// The Receive tab's fields.
    pub receive: views::receive::ReceiveForm,
    /// The Transactions tab's filters and selection.
    pub tx_view: views::transactions::TxView,
    /// The wallet menu's open dialog.
    pub dialogs: views::wallet_dialogs::Dialogs,
    /// The address book window.
    pub address_book: views::address_book::AddressBook,
    /// `bitcoin:` URIs waiting for a wallet to fill Send with.
    pub pending_uris: Vec<String>,
    /// File > Load PSBT.
    pub psbt: views::psbt::PsbtDialog,
    /// Settings > Mask values: amounts show as "#".
    pub mask_values: bool,
    /// The open tab's first field takes the keyboard on the next frame.
    pub focus_tab: bool,
    /// Frame timing for the benchmark, when asked for.
    pub frame_stats: Option<crate::frame_stats::FrameStats>,
}

impl App {
    /// A window over `model` for `chain`.
    pub fn new(model: NodeModel, chain: &str) -> App {
        App {
            model,
            chain: chain.to_string(),
            tab: Tab::Overview,
            node_window: None,
            console_input: String::new(),
            history: Vec::new(),
            history_pos: None,
            overlay_hidden: false,
            progress: std::collections::VecDeque::new(),
            frames: 0,
            focus_console: false,
            settings: crate::settings::GuiSettings::default(),
            settings_store: crate::settings::QtSettings::default(),
            node_ui: Default::default(),
            options: None,
            data_dir_net: None,
            started: crate::views::unix_now(),
            start_minimized: false,
            wallets: None,
            wallet_index: 0,
            network: bitcoin::Network::Regtest,
            send: Default::default(),
            receive: Default::default(),
            tx_view: Default::default(),
            dialogs: Default::default(),
            address_book: Default::default(),
            mask_values: false,
            psbt: Default::default(),
            pending_uris: Vec::new(),
            focus_tab: false,
            frame_stats: None,
        }
    }

    /// "Bitcoin Core[ - [chain]]", as bitcoin-qt's title.
    pub fn title(&self) -> String {
        match self.chain.as_str() {
            "main" => "Bitcoin Core".to_string(),
            c => format!("Bitcoin Core - [{c}]"),
        }
    }

    /// Draws one frame into the window's root `ui`.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let began = std::time::Instant::now();
        self.draw_frame(ui);
        if let Some(stats) = &mut self.frame_stats {
            let view = self.model.view();
            stats.frame(
                began.elapsed(),
                view.phase == Phase::Running && view.status.is_some(),
            );
            ui.ctx().request_repaint();
        }
    }

    fn draw_frame(&mut self, ui: &mut egui::Ui) {
        self.frames += 1;
        let view = self.model.view();
        let ctx = ui.ctx().clone();
        if std::mem::take(&mut self.start_minimized) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(true));
        }
        self.handle_close(&ctx, &view);
        self.shortcuts(&ctx);
        match &view.phase {
            Phase::Starting => views::splash::show(ui, self, &view),
            Phase::ShuttingDown | Phase::Stopped(_) => views::splash::shutting_down(ui),
            Phase::Failed(message) => views::splash::failed(ui, self, message),
            Phase::Running => self.main_window(ui, &view),
        }
    }

    fn main_window(&mut self, ui: &mut egui::Ui, view: &View) {
        views::menu::show(ui, self);
        views::status_bar::show(ui, self, view);
        egui::CentralPanel::default().show(ui, |ui| {
            if views::overlay::wanted(self, view) {
                views::overlay::show(ui, self, view);
            } else {
                views::wallet_frame::show(ui, self, view);
            }
        });
        views::node_window::show(ui.ctx(), self, view);
        views::options::show(ui.ctx(), self, view);
    }

    /// Closing the window stops a spawned node first (bitcoin-qt's
    /// `requestShutdown`); the window closes when that is done.
    fn handle_close(&mut self, ctx: &egui::Context, view: &View) {
        let asked = ctx.input(|i| i.viewport().close_requested());
        match view.phase {
            Phase::Stopped(_) => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            // Options > Window: closing minimises instead (bitcoin-qt).
            Phase::Running if asked && self.settings.minimize_on_close => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(true));
            }
            _ if asked => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.model.shutdown();
            }
            _ => {}
        }
    }

    /// Switches to `tab`, with the keyboard on its first field.
    pub fn open_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.focus_tab = true;
    }

    /// Opens the create-wallet dialog with the keyboard on its name.
    pub fn open_create_dialog(&mut self) {
        self.dialogs.show(views::wallet_dialogs::Dialog::Create(
            Default::default(),
            String::new(),
        ));
    }

    /// Opens the node window on `tab`.
    pub fn open_node_window(&mut self, tab: NodeTab) {
        self.focus_console = tab == NodeTab::Console;
        self.node_window = Some(tab);
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| {
            i.consume_key(
                egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                egui::Key::M,
            )
        }) {
            self.mask_values = !self.mask_values;
        }
        let (console, node, quit, tab, close_front, node_tab) = ctx.input_mut(|i| {
            let cs = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
            // bitcoin-qt's toolbar shortcuts, Alt+1 to Alt+4.
            let tab = [
                (egui::Key::Num1, Tab::Overview),
                (egui::Key::Num2, Tab::Send),
                (egui::Key::Num3, Tab::Receive),
                (egui::Key::Num4, Tab::Transactions),
            ]
            .into_iter()
            .find(|(k, _)| i.consume_key(egui::Modifiers::ALT, *k))
            .map(|(_, t)| t);
            // bitcoin-qt's Window menu opens the node window on a tab with
            // Ctrl+I, Ctrl+T, Ctrl+N and Ctrl+P.
            let node_tab = NODE_TAB_KEYS
                .into_iter()
                .find(|(k, _, _)| i.consume_key(egui::Modifiers::COMMAND, *k))
                .map(|(_, t, _)| t);
            (
                i.consume_key(cs, egui::Key::C),
                i.consume_key(cs, egui::Key::D),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::Q),
                tab,
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::W),
                node_tab,
            )
        });
        // Ctrl+W closes the front window: the node window, else the main one.
        if close_front {
            if self.node_window.is_some() {
                self.node_window = None;
            } else {
                self.model.shutdown();
            }
        }
        if let Some(tab) = tab {
            self.open_tab(tab);
        }
        if console {
            self.open_node_window(NodeTab::Console);
        }
        if node {
            self.open_node_window(NodeTab::Information);
        }
        if let Some(tab) = node_tab {
            self.open_node_window(tab);
        }
        if quit {
            self.model.shutdown();
        }
    }
}

impl eframe::App for App {
    /// Also runs while the window is minimised or covered, when `ui` does
    /// not: a close request or a finished shutdown is acted on there too.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let view = self.model.view();
        self.handle_close(ctx, &view);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }
}
