//! The node's IPC side: the `Init` it serves, `-ipcbind` listeners, and the
//! `-ipcfd` child role (a spawned `bitcoin-node` that serves `Init` to its
//! parent and exits when the parent closes the socket).

use interfaces::echo::{Echo, LocalEcho};
use interfaces::init::Init;
use interfaces::mining::Mining;
use interfaces::rpc::Rpc;
use ipc::Ipc;
use rpc::httprpc::JsonRpcService;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// Name used for thread names and the default socket (`node.sock`).
pub const EXE_NAME: &str = "bitcoin-node";

/// Makes a new `Mining` object for each `makeMining` caller, as Core does,
/// so one client's `interrupt()` never reaches another client's calls.
pub type MiningFactory = Arc<dyn Fn() -> Box<dyn Mining> + Send + Sync>;

/// Whether `makeMining` can answer yet.
enum MiningState {
    /// No mining in this process (or shutting down): answer null at once.
    Unavailable,
    /// The chainstate is loading: `makeMining` waits, as in Core.
    Loading,
    /// Loaded.
    Ready(MiningFactory),
}

/// What the node hands out to IPC peers.
pub struct NodeInit {
    /// JSON-RPC executor for `makeRpc` (unset in a spawned child).
    pub rpc: OnceLock<Arc<JsonRpcService>>,
    /// What `makeChain` and `makeNode` serve: the running node, or the node
    /// a GUI spawned and starts through `Node`.
    host: OnceLock<Arc<crate::api::node::NodeHost>>,
    mining: Mutex<MiningState>,
    mining_cv: Condvar,
}

impl NodeInit {
    /// An `Init` with only `makeEcho` available until the rest is set.
    pub fn new() -> Self {
        NodeInit {
            rpc: OnceLock::new(),
            host: OnceLock::new(),
            mining: Mutex::new(MiningState::Unavailable),
            mining_cv: Condvar::new(),
        }
    }

    fn set_mining_state(&self, state: MiningState) {
        *self.mining.lock().unwrap_or_else(|p| p.into_inner()) = state;
        self.mining_cv.notify_all();
    }

    /// The chainstate started loading: `makeMining` now waits for [`NodeInit::set_mining`].
    pub fn mining_loading(&self) {
        self.set_mining_state(MiningState::Loading);
    }

    /// The chainstate is loaded: each `makeMining` serves a new object from `factory`.
    pub fn set_mining(&self, factory: MiningFactory) {
        self.set_mining_state(MiningState::Ready(factory));
    }

    /// The node runs: `makeChain` and `makeNode` serve it.
    pub fn set_services(&self, services: Arc<crate::api::Services>) {
        let _ = self.host.set(crate::api::node::NodeHost::running(services));
    }

    /// A node spawned by a GUI: `makeNode` serves a node that starts on
    /// `baseInitialize` and `appInitMain`.
    pub fn spawned() -> Self {
        let init = NodeInit::new();
        let _ = init.host.set(crate::api::node::NodeHost::spawned());
        init
    }

    /// Shutdown: waiting and later `makeMining` calls answer null.
    pub fn mining_unavailable(&self) {
        self.set_mining_state(MiningState::Unavailable);
    }
}

impl Default for NodeInit {
    fn default() -> Self {
        Self::new()
    }
}

/// `Rpc.executeRpc` through the HTTP server's executor.
struct IpcRpc(Arc<JsonRpcService>);

impl Rpc for IpcRpc {
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> interfaces::Result<String> {
        self.0
            .execute_ipc(request, uri, user)
            .map_err(interfaces::Error::Remote)
    }
}

impl Init for NodeInit {
    fn make_echo(&self) -> interfaces::Result<Option<Box<dyn Echo>>> {
        Ok(Some(Box::new(LocalEcho)))
    }

    fn make_chain(&self) -> interfaces::Result<Option<Box<dyn interfaces::chain::Chain>>> {
        Ok(self
            .host
            .get()
            .and_then(|h| h.services())
            .map(|s| s.chain_api()))
    }

    fn make_node(&self) -> interfaces::Result<Option<Box<dyn interfaces::node::Node>>> {
        Ok(self.host.get().map(|h| {
            Box::new(crate::api::node::NodeApi(h.clone())) as Box<dyn interfaces::node::Node>
        }))
    }

    fn make_rpc(&self) -> interfaces::Result<Option<Box<dyn Rpc>>> {
        Ok(self
            .rpc
            .get()
            .map(|s| Box::new(IpcRpc(s.clone())) as Box<dyn Rpc>))
    }

    fn make_mining(&self) -> interfaces::Result<Option<Box<dyn Mining>>> {
        // Like Core: wait while the chainstate loads; null when there is no
        // mining (yet, or any more: shutdown).
        let mut state = self.mining.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match &*state {
                MiningState::Unavailable => return Ok(None),
                MiningState::Ready(make) => return Ok(Some(make())),
                MiningState::Loading => {
                    state = self
                        .mining_cv
                        .wait(state)
                        .unwrap_or_else(|p| p.into_inner())
                }
            }
        }
    }
}

/// The node's IPC runtime; dropping it disconnects IPC clients first so they
/// cannot hold up shutdown.
pub struct NodeIpc {
    /// The runtime (event loop and connections).
    pub ipc: Arc<Ipc>,
    /// What peers get from `Init`.
    pub init: Arc<NodeInit>,
}

impl NodeIpc {
    /// Starts the event loop.
    pub fn new() -> Result<NodeIpc, String> {
        let ipc = Ipc::new(EXE_NAME).map_err(|e| format!("Unable to start IPC: {e}"))?;
        Ok(NodeIpc {
            ipc: Arc::new(ipc),
            init: Arc::new(NodeInit::new()),
        })
    }

    /// Binds every `-ipcbind` address (relative to `net_dir`) and serves
    /// `Init` there, with Core's errors and log line.
    pub fn listen(&self, addresses: &[String], net_dir: &Path) -> Result<(), String> {
        for address in addresses {
            let mut canonical = address.clone();
            let bound = ipc::socket::parse_address(&mut canonical, net_dir, EXE_NAME)
                .and_then(|path| ipc::socket::bind(&path).map_err(|e| ipc::socket::error_text(&e)))
                .and_then(|listener| {
                    self.ipc
                        .listen(listener, self.init.clone())
                        .map_err(|e| ipc::socket::error_text(&e))
                });
            if let Err(e) = bound {
                return Err(format!("Unable to bind to IPC address '{canonical}'. {e}"));
            }
            tracing::info!("Listening for IPC requests on address {canonical}");
        }
        Ok(())
    }
}

impl Drop for NodeIpc {
    fn drop(&mut self) {
        self.init.mining_unavailable();
        self.ipc.disconnect_incoming(None);
    }
}

/// If `argv` is `[exe, "-ipcfd", N]`, runs as a spawned child: serves `Init`
/// on fd N until the parent closes it and returns the exit code. `None` for
/// a normal start.
pub fn run_spawned(argv: &[String]) -> Option<i32> {
    let fd = match ipc::spawn::check_spawned(argv)? {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("Error: {e}");
            return Some(1);
        }
    };
    // The parent decides when we stop: Ctrl-C in a terminal reaches the whole
    // process group, and the child must wait for its parent to close the socket.
    // SAFETY: installing SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
    // SAFETY: F_GETFD only queries the descriptor.
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        eprintln!("Error: Invalid -ipcfd number '{fd}'");
        return Some(1);
    }
    // SAFETY: the parent handed us this descriptor for our exclusive use.
    let stream =
        unsafe { <std::os::unix::net::UnixStream as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let ipc = match Ipc::new(EXE_NAME) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("Error: {e}");
            return Some(1);
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let init = Arc::new(NodeInit::spawned());
    let served = ipc.serve(
        stream,
        init.clone(),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    if let Err(e) = served {
        eprintln!("Error: {e}");
        return Some(1);
    }
    let _ = rx.recv();
    // The parent is gone: a node it started stops cleanly.
    if let Some(host) = init.host.get() {
        host.stop();
    }
    drop(ipc);
    Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::mining::*;

    struct NoMining;

    impl Mining for NoMining {
        fn is_test_chain(&self) -> interfaces::Result<bool> {
            Ok(true)
        }
        fn is_initial_block_download(&self) -> interfaces::Result<bool> {
            Ok(false)
        }
        fn get_tip(&self) -> interfaces::Result<Option<BlockRef>> {
            Ok(None)
        }
        fn wait_tip_changed(
            &self,
            _: bitcoin::BlockHash,
            _: Option<std::time::Duration>,
        ) -> interfaces::Result<Option<BlockRef>> {
            Ok(None)
        }
        fn create_new_block(
            &self,
            _: &BlockCreateOptions,
            _: bool,
        ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
            Ok(None)
        }
        fn check_block(
            &self,
            _: &bitcoin::Block,
            _: &BlockCheckOptions,
        ) -> interfaces::Result<BlockCheck> {
            Ok(BlockCheck::default())
        }
        fn interrupt(&self) -> interfaces::Result<()> {
            Ok(())
        }
        fn submit_block(&self, _: &bitcoin::Block) -> interfaces::Result<BlockCheck> {
            Ok(BlockCheck::default())
        }
        fn get_transactions_by_tx_id(
            &self,
            _: &[bitcoin::Txid],
        ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
            Ok(vec![])
        }
        fn get_transactions_by_witness_id(
            &self,
            _: &[bitcoin::Wtxid],
        ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
            Ok(vec![])
        }
    }

    #[test]
    fn make_mining_waits_while_loading_and_is_null_otherwise() {
        let init = Arc::new(NodeInit::new());
        assert!(init.make_mining().unwrap().is_none());
        init.mining_loading();
        let i = init.clone();
        let waiting = std::thread::spawn(move || i.make_mining().map(|m| m.is_some()));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiting.is_finished());
        init.set_mining(Arc::new(|| Box::new(NoMining)));
        assert_eq!(waiting.join().unwrap(), Ok(true));
        init.mining_loading();
        let i = init.clone();
        let waiting = std::thread::spawn(move || i.make_mining().map(|m| m.is_some()));
        init.mining_unavailable();
        assert_eq!(waiting.join().unwrap(), Ok(false));
    }
}
