//! One Cap'n Proto two-party connection over a Unix stream socket, owned by
//! the event loop: the server side (bootstrap `Init`, as `-ipcbind` listeners
//! and `-ipcfd` children serve it) and the client side (connecting or
//! spawning, which calls `Init.construct` first as libmultiprocess does).

use crate::event_loop::LoopHandle;
use crate::generated::init_capnp::init;
use crate::generated::proxy_capnp::{thread, thread_map};
use crate::log::{self, Level};
use crate::thread_map::{ThreadMapServer, ThreadServer, ThreadSet};
use crate::waiter::Waiter;
use capnp_rpc::rpc_twoparty_capnp::Side;
use capnp_rpc::{twoparty, RpcSystem};
use futures::FutureExt;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

/// Key of a connection in the loop's table.
pub type ConnId = u64;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// The `Thread` capabilities a calling thread of ours uses on one connection:
/// the peer's worker that runs its calls, and our handle the peer calls back on.
#[derive(Clone)]
pub struct ClientThread {
    /// `context.thread`: the worker the peer made for this thread.
    pub server_thread: thread::Client,
    /// `context.callbackThread`: this thread, for nested calls back to us.
    pub callback_thread: thread::Client,
}

/// Loop-local state of one connection.
pub struct Connection {
    /// Our key in the loop's table.
    pub id: ConnId,
    /// Threads this side created for the peer (and our callback threads).
    pub threads: Rc<RefCell<ThreadSet>>,
    /// The peer's `ThreadMap` (from `construct`).
    pub peer_thread_map: RefCell<Option<thread_map::Client>>,
    client_threads: RefCell<HashMap<ThreadId, ClientThread>>,
    disconnector: RefCell<Option<futures::future::LocalBoxFuture<'static, capnp::Result<()>>>>,
    closed: Cell<bool>,
    /// Completion of the last call's posting (see [`crate::server_call::Ticket`]).
    pub last_post:
        RefCell<Option<futures::future::Shared<futures::channel::oneshot::Receiver<()>>>>,
    /// Whether the peer connected to us (it may be dropped at shutdown).
    pub incoming: bool,
    /// The loop this connection lives on.
    pub loop_handle: LoopHandle,
}

thread_local! {
    static CONNS: RefCell<HashMap<ConnId, Rc<Connection>>> = RefCell::new(HashMap::new());
}

impl Connection {
    /// Whether the socket has closed.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// The connection with key `id`, if it is still open.
    pub fn get(id: ConnId) -> Option<Rc<Connection>> {
        CONNS.with(|c| c.borrow().get(&id).cloned())
    }

    /// A fresh `ThreadMap` capability for the peer.
    pub fn thread_map_client(&self) -> thread_map::Client {
        capnp_rpc::new_client(ThreadMapServer {
            threads: Rc::downgrade(&self.threads),
        })
    }

    /// The `context` capabilities for calls from OS thread `tid`, created on
    /// first use: `makeThread` on the peer, pipelined so the call does not wait.
    pub fn client_thread(
        &self,
        tid: ThreadId,
        name: &str,
        waiter: Arc<Waiter>,
    ) -> Option<ClientThread> {
        if let Some(t) = self.client_threads.borrow().get(&tid) {
            return Some(t.clone());
        }
        let map = self.peer_thread_map.borrow().clone()?;
        log::log_plain(
            Level::Info,
            format_args!(
                "{{{name}}} IPC client first request from current thread, constructing waiter"
            ),
        );
        let mut req = map.make_thread_request();
        req.get().set_name(name);
        let server_thread = req.send().pipeline.get_result();
        let callback_thread = self
            .threads
            .borrow_mut()
            .new_client(ThreadServer::for_waiter(name.to_string(), waiter));
        let t = ClientThread {
            server_thread,
            callback_thread,
        };
        self.client_threads.borrow_mut().insert(tid, t.clone());
        Some(t)
    }

    /// Closes the socket; in-flight calls fail as disconnected.
    pub async fn disconnect(&self) {
        let d = self.disconnector.borrow_mut().take();
        if let Some(d) = d {
            let _ = d.await;
        }
    }

    fn mark_closed(&self) {
        self.closed.set(true);
        *self.peer_thread_map.borrow_mut() = None;
        let threads = std::mem::take(&mut *self.client_threads.borrow_mut());
        drop(threads);
        self.disconnector.borrow_mut().take();
        CONNS.with(|c| c.borrow_mut().remove(&self.id));
    }
}

/// Builds a connection on the loop thread (must run there) over `stream`.
/// `bootstrap` is `Some` on the serving side. Returns the connection and the
/// RPC system future to spawn.
fn open(
    loop_handle: LoopHandle,
    stream: std::os::unix::net::UnixStream,
    side: Side,
    bootstrap: Option<capnp::capability::Client>,
) -> std::io::Result<(Rc<Connection>, RpcSystem<twoparty::VatId>)> {
    // Registers the socket with this (the loop's) tokio reactor.
    stream.set_nonblocking(true)?;
    let stream = tokio::net::UnixStream::from_std(stream)?;
    let (read, write) = stream.into_split();
    let network = twoparty::VatNetwork::new(
        futures::io::BufReader::new(read.compat()),
        futures::io::BufWriter::new(write.compat_write()),
        side,
        // Cap'n Proto's defaults, the same limits Core's peers apply:
        // 64 MiB traversal, nesting 64.
        capnp::message::ReaderOptions::new(),
    );
    let rpc = RpcSystem::new(Box::new(network), bootstrap);
    let conn = Rc::new(Connection {
        id: NEXT_CONN.fetch_add(1, Ordering::Relaxed),
        threads: Rc::new(RefCell::new(ThreadSet::new())),
        peer_thread_map: RefCell::new(None),
        client_threads: RefCell::new(HashMap::new()),
        disconnector: RefCell::new(Some(Box::pin(rpc.get_disconnector()))),
        closed: Cell::new(false),
        last_post: RefCell::new(None),
        incoming: bootstrap_side(side),
        loop_handle,
    });
    CONNS.with(|c| c.borrow_mut().insert(conn.id, conn.clone()));
    Ok((conn, rpc))
}

fn bootstrap_side(side: Side) -> bool {
    side == Side::Server
}

/// What a serving connection calls when its socket closes.
pub type OnClose = Box<dyn FnOnce() + Send>;

/// Serves `init` on `stream` (runs on the loop thread). `on_close` runs when
/// the socket closes.
pub fn serve_on_loop(
    loop_handle: LoopHandle,
    stream: std::os::unix::net::UnixStream,
    init: Arc<dyn interfaces::init::Init>,
    on_close: Option<OnClose>,
) -> std::io::Result<ConnId> {
    // The bootstrap capability needs the connection, which needs the RPC
    // system: build the connection first with a queued bootstrap.
    let (init_tx, init_rx) = futures::channel::oneshot::channel::<init::Client>();
    let bootstrap: init::Client = capnp_rpc::new_future_client(
        init_rx.map(|r| r.map_err(|_| capnp::Error::disconnected("closed".into()))),
    );
    let (conn, rpc) = open(loop_handle, stream, Side::Server, Some(bootstrap.client))?;
    let server = crate::proxies::init::InitServer::new(conn.clone(), init);
    let _ = init_tx.send(capnp_rpc::new_client(server));
    log::log(Level::Info, format_args!("IPC server: socket connected."));
    let id = conn.id;
    tokio::task::spawn_local(async move {
        let _ = rpc.await;
        conn.mark_closed();
        log::log(
            Level::Info,
            format_args!("IPC server: socket disconnected."),
        );
        if let Some(f) = on_close {
            f();
        }
    });
    Ok(id)
}

/// Client side of a new connection (runs on the loop thread): bootstraps
/// `Init`, calls `construct` with our `ThreadMap` and keeps the peer's.
pub async fn connect_on_loop(
    loop_handle: LoopHandle,
    stream: std::os::unix::net::UnixStream,
) -> Result<(ConnId, init::Client), capnp::Error> {
    let (conn, mut rpc) = open(loop_handle, stream, Side::Client, None)
        .map_err(|e| capnp::Error::failed(e.to_string()))?;
    let init_client: init::Client = rpc.bootstrap(Side::Server);
    let c = conn.clone();
    tokio::task::spawn_local(async move {
        let _ = rpc.await;
        if !c.is_closed() {
            log::log(
                Level::Warning,
                format_args!("IPC client: unexpected network disconnect."),
            );
        }
        c.mark_closed();
    });
    let mut req = init_client.construct_request();
    req.get().set_thread_map(conn.thread_map_client());
    let reply = req.send().promise.await?;
    let peer_map = reply.get()?.get_thread_map()?;
    *conn.peer_thread_map.borrow_mut() = Some(peer_map);
    Ok((conn.id, init_client))
}

/// Closes connection `id` if it is open (runs on the loop thread).
pub async fn close(id: ConnId) {
    if let Some(conn) = Connection::get(id) {
        // Mark first so the client-side watcher knows this was on purpose.
        conn.closed.set(true);
        conn.disconnect().await;
        conn.mark_closed();
    }
}

/// Closes every connection (the loop is stopping).
pub async fn close_all() {
    let ids: Vec<ConnId> = CONNS.with(|c| c.borrow().keys().copied().collect());
    for id in ids {
        close(id).await;
    }
}

/// Closes every connection peers opened to us (shutdown), except `keep`.
pub async fn close_incoming(keep: Option<ConnId>) {
    let ids: Vec<ConnId> = CONNS.with(|c| {
        c.borrow()
            .values()
            .filter(|c| c.incoming && Some(c.id) != keep)
            .map(|c| c.id)
            .collect()
    });
    for id in ids {
        if let Some(conn) = Connection::get(id) {
            conn.disconnect().await;
        }
    }
}
