//! The node as the window sees it: a snapshot refreshed by worker threads
//! that make every `interfaces::Node` call, so the UI thread never waits on
//! IPC (bitcoin-qt's `ClientModel` polls on a timer and runs init on its
//! `qt-init` thread for the same reason).
//!
//! Three threads: `gui-init` starts a spawned node (`baseInitialize`,
//! `appInitMain`) and later shuts it down; `gui-poll` refreshes the status
//! every [`POLL`]; `gui-cmd` runs what the user asks (console commands,
//! network on/off) one at a time. The UI reads [`NodeModel::view`], a copy
//! taken under a lock no thread holds across an IPC call.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use interfaces::handler::Handler;
use interfaces::node::{InitMessageCallback, Node};
use interfaces::GlobalArgs;

use crate::console::{self, ConsoleLine};

pub mod node_settings;
pub mod peers;
pub mod traffic;

pub use node_settings::{NodeSettings, SettingsAction};
pub use peers::{host_of, Ban, PeerAction, Peers};
pub use traffic::Traffic;

/// How often the status is refreshed (bitcoin-qt polls mempool and traffic
/// every 250 ms).
pub const POLL: Duration = Duration::from_millis(250);

/// Where the node is in its life, as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Starting (spawned node): the splash shows the init messages.
    Starting,
    /// Running: the main window.
    Running,
    /// `startShutdown` sent; waiting for the node to finish.
    ShuttingDown,
    /// Shut down cleanly, with the node's exit status; the window may close.
    Stopped(i32),
    /// Start-up failed, or the node went away: the message to show.
    Failed(String),
}

/// The node's state at the last poll (bitcoin-qt's `ClientModel` fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeStatus {
    /// Height of the active tip (-1 before genesis is loaded).
    pub blocks: i32,
    /// Height of the best header.
    pub headers: i32,
    /// Time of the best header.
    pub header_time: i64,
    /// Time of the tip.
    pub last_block_time: i64,
    /// Hash of the tip.
    pub best_block: String,
    /// Estimated fraction of the chain verified.
    pub verification_progress: f64,
    /// In initial block download.
    pub ibd: bool,
    /// Loading or reindexing blocks from disk.
    pub loading_blocks: bool,
    /// Inbound connections.
    pub connections_in: u64,
    /// Outbound connections.
    pub connections_out: u64,
    /// P2P network enabled.
    pub network_active: bool,
    /// Transactions in the mempool.
    pub mempool_size: u64,
    /// Mempool memory in use.
    pub mempool_usage: u64,
    /// Mempool memory limit.
    pub mempool_max: u64,
    /// Bytes received and sent over P2P.
    pub bytes_recv: i64,
    /// Bytes sent over P2P.
    pub bytes_sent: i64,
    /// The node's warnings (Overview's alert label).
    pub warnings: String,
}

impl NodeStatus {
    /// All connections.
    pub fn connections(&self) -> u64 {
        self.connections_in + self.connections_out
    }
}

/// Everything the window draws from.
#[derive(Debug, Clone)]
pub struct View {
    /// Life cycle.
    pub phase: Phase,
    /// The last init message (splash).
    pub init_message: String,
    /// The last poll; `None` before the first.
    pub status: Option<NodeStatus>,
    /// When the last poll ended.
    pub polled_at: Option<Instant>,
    /// Console transcript, oldest first.
    pub console: Vec<ConsoleLine>,
    /// A console command is running.
    pub console_busy: bool,
    /// RPC method names (console completion).
    pub commands: Vec<String>,
    /// Whether this GUI spawned the node (and so stops it when closing).
    pub owns_node: bool,
    /// Peers and bans (refreshed while the Peers tab is shown).
    pub peers: Peers,
    /// The Network Traffic graph.
    pub traffic: Traffic,
    /// The node's settings as the Options dialog read them.
    pub node_settings: NodeSettings,
}

/// What the user asks of the node.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A console line, run against `/wallet/<name>` when given.
    Console(String, Option<String>),
    /// Turn P2P on or off.
    SetNetworkActive(bool),
    /// Disconnect, ban or unban.
    Peer(PeerAction),
    /// Read or write the node's settings.
    Settings(SettingsAction),
}

struct Shared {
    view: View,
    /// The node, once the GUI may call it (set at start).
    node: Arc<dyn Node>,
    repaint: Arc<dyn Fn() + Send + Sync>,
    /// Kept so init messages keep coming.
    handlers: Vec<Box<dyn Handler>>,
    /// When the Peers tab was last drawn (`None`: never; no poller yet).
    peers_shown: Option<Instant>,
}

/// The window's handle on the node.
#[derive(Clone)]
pub struct NodeModel {
    shared: Arc<Mutex<Shared>>,
    commands: Sender<Command>,
}

fn lock(m: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct InitMessages(std::sync::Weak<Mutex<Shared>>);

impl InitMessageCallback for InitMessages {
    fn call(&self, message: &str) -> interfaces::Result<()> {
        if let Some(shared) = self.0.upgrade() {
            let repaint = {
                let mut s = lock(&shared);
                s.view.init_message = message.to_string();
                s.repaint.clone()
            };
            repaint();
        }
        Ok(())
    }
}

/// How the node is reached.
#[derive(Clone)]
pub enum Start {
    /// This GUI spawned it: initialize it with these arguments.
    Spawned(GlobalArgs),
    /// It runs already (`-ipcconnect`): just use it.
    Attached,
}

impl NodeModel {
    /// Starts the worker threads for `node`; `repaint` wakes the UI when
    /// something changed.
    pub fn start(
        node: Arc<dyn Node>,
        start: Start,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> NodeModel {
        let owns_node = matches!(start, Start::Spawned(_));
        let shared = Arc::new(Mutex::new(Shared {
            view: View {
                phase: if owns_node {
                    Phase::Starting
                } else {
                    Phase::Running
                },
                init_message: String::new(),
                status: None,
                polled_at: None,
                console: console::welcome(),
                console_busy: false,
                commands: Vec::new(),
                owns_node,
                peers: Peers::default(),
                traffic: Traffic::default(),
                node_settings: NodeSettings::default(),
            },
            node: node.clone(),
            repaint,
            handlers: Vec::new(),
            peers_shown: None,
        }));
        let (tx, rx) = channel();
        let model = NodeModel {
            shared,
            commands: tx,
        };
        let m = model.clone();
        spawn("gui-init", move || m.init(start));
        let m = model.clone();
        spawn("gui-cmd", move || m.serve(rx));
        model
    }

    /// A copy of what to draw. Never waits on IPC.
    pub fn view(&self) -> View {
        lock(&self.shared).view.clone()
    }

    /// Queues a command for the node.
    pub fn send(&self, command: Command) {
        if let Command::Console(line, _) = &command {
            let mut s = lock(&self.shared);
            s.view.console.push(ConsoleLine::Input(console::mask(line)));
            s.view.console_busy = true;
        }
        // The worker only goes away with the model.
        let _ = self.commands.send(command);
    }

    /// The traffic graph's range (5 min to 24 h); a new range starts over.
    pub fn set_traffic_range(&self, minutes: u32) {
        lock(&self.shared).view.traffic.set_range(minutes);
    }

    /// Empties the console (Ctrl+L).
    pub fn clear_console(&self) {
        lock(&self.shared).view.console = console::welcome();
    }

    /// Stops a node this GUI spawned (`startShutdown`, then `appShutdown`),
    /// or lets go of an attached one; [`Phase::Stopped`] when done.
    pub fn shutdown(&self) {
        let (owns, node) = {
            let mut s = lock(&self.shared);
            if matches!(s.view.phase, Phase::ShuttingDown | Phase::Stopped(_)) {
                return;
            }
            let failed = matches!(s.view.phase, Phase::Failed(_));
            let owns = s.view.owns_node && !failed;
            s.view.phase = match (owns, failed) {
                (true, _) => Phase::ShuttingDown,
                (false, true) => Phase::Stopped(1),
                (false, false) => Phase::Stopped(0),
            };
            (owns, s.node.clone())
        };
        self.repaint();
        if !owns {
            return;
        }
        let m = self.clone();
        spawn("gui-shutdown", move || {
            let _ = node.start_shutdown();
            let _ = node.app_shutdown();
            let status = node.get_exit_status().unwrap_or(0);
            m.set_phase(Phase::Stopped(status));
        });
    }

    fn repaint(&self) {
        let r = lock(&self.shared).repaint.clone();
        r();
    }

    fn set_phase(&self, phase: Phase) {
        {
            let mut s = lock(&self.shared);
            // A failure after shutdown began is the expected disconnect.
            if matches!(phase, Phase::Failed(_))
                && matches!(s.view.phase, Phase::ShuttingDown | Phase::Stopped(_))
            {
                return;
            }
            s.view.phase = phase;
        }
        self.repaint();
    }

    fn node(&self) -> Arc<dyn Node> {
        lock(&self.shared).node.clone()
    }

    fn init(&self, start: Start) {
        let node = self.node();
        let callback = Box::new(InitMessages(Arc::downgrade(&self.shared)));
        if let Ok(h) = node.handle_init_message(callback) {
            lock(&self.shared).handlers.push(h);
        }
        if let Start::Spawned(global) = start {
            match node.base_initialize(&global) {
                Ok(true) => {}
                Ok(false) => return self.set_phase(Phase::Failed(init_error(&*node))),
                Err(e) => return self.set_phase(Phase::Failed(e.to_string())),
            }
            match node.app_init_main() {
                Ok(r) if r.started => {}
                Ok(_) => return self.set_phase(Phase::Failed(init_error(&*node))),
                Err(e) => return self.set_phase(Phase::Failed(e.to_string())),
            }
            self.set_phase(Phase::Running);
        }
        if let Ok(commands) = node.list_rpc_commands() {
            lock(&self.shared).view.commands = commands;
        }
        let m = self.clone();
        spawn("gui-poll", move || m.poll_loop());
    }

    fn poll_loop(&self) {
        let node = self.node();
        loop {
            if matches!(
                lock(&self.shared).view.phase,
                Phase::ShuttingDown | Phase::Stopped(_) | Phase::Failed(_)
            ) {
                return;
            }
            match poll(&*node) {
                Ok(status) => {
                    {
                        let mut s = lock(&self.shared);
                        let (recv, sent) = (status.bytes_recv, status.bytes_sent);
                        s.view.traffic.record(Instant::now(), recv, sent);
                        s.view.status = Some(status);
                        s.view.polled_at = Some(Instant::now());
                    }
                    self.repaint();
                }
                Err(e) => {
                    self.set_phase(Phase::Failed(format!("The node stopped answering: {e}")));
                    return;
                }
            }
            std::thread::sleep(POLL);
        }
    }

    fn serve(&self, rx: Receiver<Command>) {
        let node = self.node();
        for command in rx {
            match command {
                Command::Console(line, wallet) => {
                    let out = console::run(&*node, &line, wallet.as_deref());
                    {
                        let mut s = lock(&self.shared);
                        s.view.console.push(out);
                        s.view.console_busy = false;
                    }
                    self.repaint();
                }
                Command::SetNetworkActive(on) => {
                    let _ = node.set_network_active(on);
                }
                Command::Peer(action) => self.peer_action(&*node, action),
                Command::Settings(action) => self.settings_action(&*node, action),
            }
        }
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(f) {
        tracing::error!("cannot start thread {name}: {e}");
    }
}

/// The node's own words for a failed start (Core shows its InitError box).
fn init_error(node: &dyn Node) -> String {
    node.get_warnings()
        .ok()
        .map(|w| w.original)
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "The node could not start; see its debug.log.".into())
}

/// One status refresh (bitcoin-qt's `ClientModel` getters).
pub fn poll(node: &dyn Node) -> interfaces::Result<NodeStatus> {
    let header = node.get_header_tip()?;
    Ok(NodeStatus {
        blocks: node.get_num_blocks()?,
        headers: if header.found { header.height } else { -1 },
        header_time: header.block_time,
        last_block_time: node.get_last_block_time()?,
        best_block: node.get_best_block_hash()?.to_string(),
        verification_progress: node.get_verification_progress()?,
        ibd: node.is_initial_block_download()?,
        loading_blocks: node.is_loading_blocks()?,
        connections_in: node.get_node_count(CONNECTIONS_IN)?,
        connections_out: node.get_node_count(CONNECTIONS_OUT)?,
        network_active: node.get_network_active()?,
        mempool_size: node.get_mempool_size()?,
        mempool_usage: node.get_mempool_dynamic_usage()?,
        mempool_max: node.get_mempool_max_usage()?,
        bytes_recv: node.get_total_bytes_recv()?,
        bytes_sent: node.get_total_bytes_sent()?,
        warnings: node.get_warnings()?.original,
    })
}

/// Core's `ConnectionDirection::In`.
const CONNECTIONS_IN: i32 = 1;
/// Core's `ConnectionDirection::Out`.
const CONNECTIONS_OUT: i32 = 2;
