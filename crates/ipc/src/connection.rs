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

/// Longest wait for a clean disconnect (flushing queued replies).
pub const DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

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
    /// Live `makeThread` workers (bounded per connection).
    pub live_threads: Rc<Cell<usize>>,
    /// Workers for calls without `context.thread` (`ThreadMap.makePool`).
    pub pool: Rc<RefCell<Vec<crate::thread_map::PoolSlot>>>,
    /// The peer's `ThreadMap` (from `construct`).
    pub peer_thread_map: RefCell<Option<thread_map::Client>>,
    /// Per calling thread of ours: the peer's worker made for it.
    request_threads: RefCell<HashMap<ThreadId, thread::Client>>,
    /// Per calling thread of ours: our handle the peer calls back on.
    callback_threads: RefCell<HashMap<ThreadId, thread::Client>>,
    disconnector: RefCell<Option<futures::future::LocalBoxFuture<'static, capnp::Result<()>>>>,
    closed: Cell<bool>,
    /// Completion of the last call's posting (see [`crate::server_call::Ticket`]).
    pub last_post:
        RefCell<Option<futures::future::Shared<futures::channel::oneshot::Receiver<()>>>>,
    /// Whether the peer connected to us (it may be dropped at shutdown).
    pub incoming: bool,
    /// The loop this connection lives on.
    pub loop_handle: LoopHandle,
    /// Non-owning handle shared by the capabilities the peer passes us.
    borrowed: std::cell::OnceCell<Arc<crate::client_call::ConnHandle>>,
    /// Run once when the socket closes, for whatever reason.
    close_hooks: RefCell<Vec<OnClose>>,
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

    /// The handle capabilities received from the peer keep: it never closes
    /// the connection (the peer decides when it ends).
    pub fn borrowed_handle(&self) -> Arc<crate::client_call::ConnHandle> {
        self.borrowed
            .get_or_init(|| {
                Arc::new(crate::client_call::ConnHandle::borrowed(
                    self.loop_handle.clone(),
                    self.id,
                ))
            })
            .clone()
    }

    /// A fresh `ThreadMap` capability for the peer.
    pub fn thread_map_client(&self) -> thread_map::Client {
        capnp_rpc::new_client(ThreadMapServer {
            threads: Rc::downgrade(&self.threads),
            pool: Rc::downgrade(&self.pool),
            live: self.live_threads.clone(),
        })
    }

    /// The `context` capabilities for calls from OS thread `tid`.
    /// `thread` is the peer's worker: `request_thread` when this thread is
    /// running a call from the peer (so a call back runs nested on the
    /// peer's waiting thread, as libmultiprocess does), else a worker made
    /// with `makeThread` on first use, pipelined so the call does not wait.
    /// `callbackThread` is this thread, for the peer's nested calls back.
    pub fn client_thread(
        &self,
        tid: ThreadId,
        name: &str,
        waiter: Arc<Waiter>,
        request_thread: Option<thread::Client>,
    ) -> Option<ClientThread> {
        let callback_thread = {
            let existing = self.callback_threads.borrow().get(&tid).cloned();
            match existing {
                Some(c) => c,
                None => {
                    let c = self
                        .threads
                        .borrow_mut()
                        .new_client(ThreadServer::for_waiter(name.to_string(), waiter));
                    self.callback_threads.borrow_mut().insert(tid, c.clone());
                    c
                }
            }
        };
        let server_thread = match request_thread {
            Some(t) => t,
            None => {
                let existing = self.request_threads.borrow().get(&tid).cloned();
                match existing {
                    Some(t) => t,
                    None => {
                        let map = self.peer_thread_map.borrow().clone()?;
                        log::log_plain(
                            Level::Info,
                            format_args!("{{{name}}} IPC client first request from current thread, constructing waiter"),
                        );
                        let mut req = map.make_thread_request();
                        req.get().set_name(name);
                        let t = req.send().pipeline.get_result();
                        self.request_threads.borrow_mut().insert(tid, t.clone());
                        t
                    }
                }
            }
        };
        Some(ClientThread {
            server_thread,
            callback_thread,
        })
    }

    /// Closes the socket; in-flight calls fail as disconnected. Gives up
    /// waiting after [`DISCONNECT_TIMEOUT`]: a peer that stopped reading must
    /// not hold up shutdown (the socket goes when the loop drops it).
    pub async fn disconnect(&self) {
        let d = self.disconnector.borrow_mut().take();
        if let Some(d) = d {
            let _ = tokio::time::timeout(DISCONNECT_TIMEOUT, d).await;
        }
    }

    fn mark_closed(&self) {
        self.closed.set(true);
        // Pool workers finish what is queued and exit.
        let pool = std::mem::take(&mut *self.pool.borrow_mut());
        drop(pool);
        *self.peer_thread_map.borrow_mut() = None;
        let threads = std::mem::take(&mut *self.request_threads.borrow_mut());
        drop(threads);
        let threads = std::mem::take(&mut *self.callback_threads.borrow_mut());
        drop(threads);
        self.disconnector.borrow_mut().take();
        CONNS.with(|c| c.borrow_mut().remove(&self.id));
        let hooks = std::mem::take(&mut *self.close_hooks.borrow_mut());
        for f in hooks {
            f();
        }
    }

    /// Runs `f` (on the loop thread) when the socket closes; at once if it
    /// has closed already. Returns `f` back if it could not be queued.
    pub fn on_close(id: ConnId, f: OnClose) -> Option<OnClose> {
        match Connection::get(id) {
            Some(c) if !c.is_closed() => {
                c.close_hooks.borrow_mut().push(f);
                None
            }
            _ => Some(f),
        }
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
        pool: Rc::new(RefCell::new(Vec::new())),
        live_threads: Rc::new(Cell::new(0)),
        peer_thread_map: RefCell::new(None),
        request_threads: RefCell::new(HashMap::new()),
        callback_threads: RefCell::new(HashMap::new()),
        disconnector: RefCell::new(Some(Box::pin(rpc.get_disconnector()))),
        closed: Cell::new(false),
        last_post: RefCell::new(None),
        incoming: bootstrap_side(side),
        loop_handle,
        borrowed: std::cell::OnceCell::new(),
        close_hooks: RefCell::new(Vec::new()),
    });
    CONNS.with(|c| c.borrow_mut().insert(conn.id, conn.clone()));
    Ok((conn, rpc))
}

fn bootstrap_side(side: Side) -> bool {
    side == Side::Server
}

/// What a serving connection calls when its socket closes.
pub type OnClose = Box<dyn FnOnce() + Send>;

/// Builds the bootstrap capability of a new serving connection (normally
/// `Init`), on the loop thread.
pub type Bootstrap = Arc<dyn Fn(Rc<Connection>) -> capnp::capability::Client + Send + Sync>;

/// A [`Bootstrap`] serving `init`.
pub fn init_bootstrap(init: Arc<dyn interfaces::init::Init>) -> Bootstrap {
    Arc::new(move |conn| {
        let c: init::Client =
            capnp_rpc::new_client(crate::proxy::ServerObject::new(conn, init.clone()));
        c.client
    })
}

/// Serves the capability `bootstrap` builds on `stream` (runs on the loop
/// thread). `on_close` runs when the socket closes.
pub fn serve_on_loop(
    loop_handle: LoopHandle,
    stream: std::os::unix::net::UnixStream,
    bootstrap: Bootstrap,
    on_close: Option<OnClose>,
) -> std::io::Result<ConnId> {
    // The bootstrap capability needs the connection, which needs the RPC
    // system: build the connection first with a queued bootstrap.
    let (boot_tx, boot_rx) = futures::channel::oneshot::channel::<capnp::capability::Client>();
    let queued: capnp::capability::Client = capnp_rpc::new_future_client(
        boot_rx.map(|r| r.map_err(|_| capnp::Error::disconnected("closed".into()))),
    );
    let (conn, rpc) = open(loop_handle, stream, Side::Server, Some(queued))?;
    let _ = boot_tx.send(bootstrap(conn.clone()));
    log::log(Level::Info, format_args!("IPC server: socket connected."));
    let id = conn.id;
    tokio::task::spawn_local(async move {
        if let Err(e) = rpc.await {
            // Garbage, oversized or malformed messages end up here.
            log::log(
                Level::Debug,
                format_args!("IPC server: connection error: {e}"),
            );
        }
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

/// Exchanges `ThreadMap`s with the peer's bootstrap object (`Init.construct`
/// for `Init`): given the bootstrap and our map, returns the peer's map.
pub type Construct = Box<
    dyn FnOnce(
            capnp::capability::Client,
            thread_map::Client,
        )
            -> futures::future::LocalBoxFuture<'static, capnp::Result<thread_map::Client>>
        + Send,
>;

/// [`Construct`] for an `Init` bootstrap.
pub fn init_construct() -> Construct {
    Box::new(|boot, map| {
        Box::pin(async move {
            let init: init::Client = capnp::capability::FromClientHook::new(boot.hook);
            let mut req = init.construct_request();
            req.get().set_thread_map(map);
            let reply = req.send().promise.await?;
            reply.get()?.get_thread_map()
        })
    })
}

/// Client side of a new connection (runs on the loop thread): bootstraps the
/// peer's object, runs `construct` with our `ThreadMap` and keeps the peer's.
pub async fn connect_on_loop(
    loop_handle: LoopHandle,
    stream: std::os::unix::net::UnixStream,
    construct: Construct,
) -> Result<(ConnId, capnp::capability::Client), capnp::Error> {
    let (conn, mut rpc) = open(loop_handle, stream, Side::Client, None)
        .map_err(|e| capnp::Error::failed(e.to_string()))?;
    let boot: capnp::capability::Client = rpc.bootstrap(Side::Server);
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
    let peer_map = construct(boot.clone(), conn.thread_map_client()).await?;
    *conn.peer_thread_map.borrow_mut() = Some(peer_map);
    Ok((conn.id, boot))
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
