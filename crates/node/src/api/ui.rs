//! The node's messages to user interfaces (Core's `uiInterface`): the
//! callbacks GUIs register through `Node.handle*`, fired by the node and by
//! wallets (`Chain.initMessage`, …), and a watcher that reports new block
//! and header tips and connection counts while anyone listens.

use super::registration::Callbacks;
use chainstate_service::NodeChain;
use common::shutdown::Shutdown;
use interfaces::node::{
    BannedListChangedCallback, BlockTip, InitMessageCallback, InitWalletCallback,
    MessageBoxCallback, NotifyAlertChangedCallback, NotifyBlockTipCallback,
    NotifyHeaderTipCallback, NotifyNetworkActiveChangedCallback,
    NotifyNumConnectionsChangedCallback, QuestionCallback, ShowNodeProgressCallback, SyncState,
};
use interfaces::BilingualStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Core's `CClientUIInterface::MSG_WARNING` (warning icon, OK button, modal).
pub const MSG_WARNING: u32 = 1 | 0x400 | 0x1000_0000;
/// Core's `CClientUIInterface::MSG_ERROR` (error icon, OK button, modal).
pub const MSG_ERROR: u32 = 2 | 0x400 | 0x1000_0000;

/// Every kind of UI callback.
pub struct UiSignals {
    /// Init progress messages.
    pub init_message: Arc<Callbacks<dyn InitMessageCallback>>,
    /// Message boxes.
    pub message_box: Arc<Callbacks<dyn MessageBoxCallback>>,
    /// Questions.
    pub question: Arc<Callbacks<dyn QuestionCallback>>,
    /// Progress of long tasks.
    pub show_progress: Arc<Callbacks<dyn ShowNodeProgressCallback>>,
    /// Wallets loading at start-up.
    pub init_wallet: Arc<Callbacks<dyn InitWalletCallback>>,
    /// Connection counts.
    pub num_connections: Arc<Callbacks<dyn NotifyNumConnectionsChangedCallback>>,
    /// Networking switched on or off.
    pub network_active: Arc<Callbacks<dyn NotifyNetworkActiveChangedCallback>>,
    /// Warnings changed.
    pub alert_changed: Arc<Callbacks<dyn NotifyAlertChangedCallback>>,
    /// Ban list changed.
    pub banned_list: Arc<Callbacks<dyn BannedListChangedCallback>>,
    /// New block tips.
    pub block_tip: Arc<Callbacks<dyn NotifyBlockTipCallback>>,
    /// New header tips.
    pub header_tip: Arc<Callbacks<dyn NotifyHeaderTipCallback>>,
}

impl UiSignals {
    /// No callbacks yet.
    pub fn new() -> Arc<Self> {
        Arc::new(UiSignals {
            init_message: Callbacks::new(),
            message_box: Callbacks::new(),
            question: Callbacks::new(),
            show_progress: Callbacks::new(),
            init_wallet: Callbacks::new(),
            num_connections: Callbacks::new(),
            network_active: Callbacks::new(),
            alert_changed: Callbacks::new(),
            banned_list: Callbacks::new(),
            block_tip: Callbacks::new(),
            header_tip: Callbacks::new(),
        })
    }

    /// An init message: logged as Core logs it, and shown.
    pub fn init_message(&self, message: &str) {
        tracing::info!("init message: {message}");
        self.init_message.each(|cb| cb.call(message));
    }

    /// A message box; returns the user's answer (false without a GUI).
    pub fn message_box(&self, message: &BilingualStr, caption: &str, style: u32) -> bool {
        self.message_box
            .ask(|cb| cb.call(message, caption, style))
            .unwrap_or(false)
    }

    /// An init warning (logged, and shown as a warning box).
    pub fn init_warning(&self, message: &BilingualStr) {
        tracing::warn!("{}", message.original);
        self.message_box_or_stderr(message, "Warning", MSG_WARNING);
    }

    /// An init error (logged, and shown as an error box).
    pub fn init_error(&self, message: &BilingualStr) {
        tracing::error!("{}", message.original);
        self.message_box_or_stderr(message, "Error", MSG_ERROR);
    }

    /// Without a GUI to show it, the message goes to stderr as `bitcoind`
    /// prints it (`Error: …`).
    fn message_box_or_stderr(&self, message: &BilingualStr, caption: &str, style: u32) {
        let shown = self
            .message_box
            .ask(|cb| cb.call(message, "", style))
            .is_some();
        if !shown {
            eprintln!("{caption}: {}", message.original);
        }
    }

    /// Progress of a long task.
    pub fn show_progress(&self, title: &str, progress: i32, resume_possible: bool) {
        self.show_progress
            .each(|cb| cb.call(title, progress, resume_possible));
    }

    /// Networking was switched on or off.
    pub fn network_active_changed(&self, active: bool) {
        self.network_active.each(|cb| cb.call(active));
    }

    /// The ban list changed.
    pub fn banned_list_changed(&self) {
        self.banned_list.each(|cb| cb.call());
    }

    /// Starts the thread that reports tips and connection counts.
    pub fn start_watcher(
        self: &Arc<Self>,
        chain: Arc<NodeChain>,
        connections: Box<dyn Fn() -> i32 + Send>,
        shutdown: Arc<Shutdown>,
    ) {
        let me = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("b-uiwatch".into())
            .spawn(move || watch(me, chain, connections, shutdown));
        if let Err(e) = spawned {
            tracing::error!("Failed to start the UI notification thread: {e}");
        }
    }
}

/// The tips and sync state as the GUI is told them.
fn tips(chain: &NodeChain) -> (SyncState, BlockTip, BlockTip, f64) {
    let cs = chain.lock();
    let tip_of = |id: Option<chain::BlockId>| {
        id.and_then(|i| cs.index().entry(i))
            .map(|e| BlockTip {
                block_height: e.height as i32,
                block_time: i64::from(e.header.time),
                block_hash: e.hash,
            })
            .unwrap_or_else(|| BlockTip {
                block_height: -1,
                block_time: 0,
                block_hash: cs.params().genesis_hash,
            })
    };
    let block = tip_of(cs.tip());
    let header = tip_of(cs.best_header().or(cs.tip()));
    let progress = cs
        .tip_entry()
        .map(|e| cs.guess_verification_progress(e))
        .unwrap_or(0.0);
    let state = if cs.is_initial_block_download() {
        SyncState::InitDownload
    } else {
        SyncState::PostInit
    };
    (state, block, header, progress)
}

fn watch(
    me: Weak<UiSignals>,
    chain: Arc<NodeChain>,
    connections: Box<dyn Fn() -> i32 + Send>,
    shutdown: Arc<Shutdown>,
) {
    let (_, mut block, mut header, _) = tips(&chain);
    let mut peers = connections();
    while !shutdown.is_requested() {
        let current = block.block_hash;
        chainstate_service::ChainView::wait_for_tip_change(
            &*chain,
            current,
            Some(Duration::from_millis(500)),
            &shutdown,
        );
        let Some(ui) = me.upgrade() else { return };
        let (state, b, h, progress) = tips(&chain);
        if b != block {
            block = b;
            ui.block_tip.each(|cb| cb.call(state, &block, progress));
        }
        if h != header {
            header = h;
            ui.header_tip.each(|cb| cb.call(state, &header, progress));
        }
        let now = connections();
        if now != peers {
            peers = now;
            ui.num_connections.each(|cb| cb.call(peers));
        }
    }
}
