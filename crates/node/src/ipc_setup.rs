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
use std::sync::{Arc, OnceLock};

/// Name used for thread names and the default socket (`node.sock`).
pub const EXE_NAME: &str = "bitcoin-node";

/// What the node hands out to IPC peers.
pub struct NodeInit {
    /// JSON-RPC executor for `makeRpc` (unset in a spawned child).
    pub rpc: OnceLock<Arc<JsonRpcService>>,
    /// The mining interface, once a chainstate provides one.
    pub mining: OnceLock<Arc<dyn Mining>>,
}

impl NodeInit {
    /// An `Init` with only `makeEcho` available until the rest is set.
    pub fn new() -> Self {
        NodeInit {
            rpc: OnceLock::new(),
            mining: OnceLock::new(),
        }
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

    fn make_rpc(&self) -> interfaces::Result<Option<Box<dyn Rpc>>> {
        Ok(self
            .rpc
            .get()
            .map(|s| Box::new(IpcRpc(s.clone())) as Box<dyn Rpc>))
    }

    fn make_mining(&self) -> interfaces::Result<Option<Box<dyn Mining>>> {
        // No mining implementation yet means a null capability, as Core
        // answers during shutdown.
        Ok(self
            .mining
            .get()
            .map(|m| Box::new(m.clone()) as Box<dyn Mining>))
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
    let served = ipc.serve(
        stream,
        Arc::new(NodeInit::new()),
        Box::new(move || {
            let _ = tx.send(());
        }),
    );
    if let Err(e) = served {
        eprintln!("Error: {e}");
        return Some(1);
    }
    let _ = rx.recv();
    drop(ipc);
    Some(0)
}
