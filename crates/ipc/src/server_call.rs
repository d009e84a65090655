//! The generic server call path every generated server method goes through:
//! request numbering and logging, mapping `context.thread` to a local worker,
//! posting the call there (FIFO, nested while the worker waits on an outgoing
//! call), and Core's cancellation behaviour: when the capnp future is dropped
//! (client gone) the worker still finishes the call, and the log says
//! `canceled while executing` / `interrupted (canceled)` as libmultiprocess does.

use crate::connection::{ConnId, Connection};
use crate::generated::proxy_capnp::context;
use crate::log::{self, Level};
use crate::registry::{self, CapId};
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Converts an implementation's error into the exception sent to the peer:
/// `FAILED` with `std::exception: <what>`, the text a C++ server produces.
pub fn to_capnp(e: interfaces::Error) -> capnp::Error {
    match e {
        interfaces::Error::Remote(msg)
        | interfaces::Error::Rpc(msg)
        | interfaces::Error::Help(msg) => capnp::Error::failed(format!("std::exception: {msg}")),
        interfaces::Error::Disconnected => capnp::Error::failed(
            "std::exception: IPC client method call interrupted by disconnect.".into(),
        ),
        interfaces::Error::Canceled => capnp::Error::failed("std::exception: canceled".into()),
    }
}

/// A `FAILED` exception with a C++-style `std::exception:` reason.
pub fn failed(what: &str) -> capnp::Error {
    capnp::Error::failed(format!("std::exception: {what}"))
}

/// Logs `IPC server recv request  #N <method>$Params` and returns N.
pub fn recv(method: &str) -> u64 {
    let req = log::next_request_number();
    log::log(
        Level::Debug,
        format_args!("IPC server recv request  #{req} {method}$Params"),
    );
    req
}

/// Logs the reply (or the error) for request `req`.
pub fn finish<T>(req: u64, method: &str, result: &Result<T, capnp::Error>) {
    match result {
        Ok(_) => log::log(
            Level::Debug,
            format_args!("IPC server send response #{req} {method}$Results"),
        ),
        Err(e) => log::log(
            Level::Error,
            format_args!("IPC server error request #{req} {method}$Results kj::Exception: {e}"),
        ),
    }
}

/// Trace line with the request payload (`-loglevel=ipc:trace`).
pub fn trace_payload(prefix: &str, payload: impl FnOnce() -> String) {
    if log::enabled(Level::Trace) {
        let text = log::escape(&payload(), log::MAX_TRACE_CHARS);
        log::log(Level::Trace, format_args!("{prefix}: {text}"));
    }
}

thread_local! {
    /// While a worker runs a call from a connection, the caller's
    /// `callbackThread` there (a registry key): calls this worker makes back
    /// over that connection run on the caller's waiting thread.
    static REQUEST_THREADS: std::cell::RefCell<std::collections::HashMap<ConnId, CapId>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The peer thread that calls from this thread over `conn` must target, if
/// this thread is running a call from that peer.
pub fn request_thread(conn: ConnId) -> Option<CapId> {
    REQUEST_THREADS.with(|r| r.borrow().get(&conn).copied())
}

/// Sets this thread's request thread for `conn` while `f` runs (restored
/// even if `f` panics).
fn with_request_thread<R>(conn: ConnId, cap: Option<CapId>, f: impl FnOnce() -> R) -> R {
    struct Restore(ConnId, Option<CapId>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REQUEST_THREADS.with(|r| {
                let mut r = r.borrow_mut();
                match self.1 {
                    Some(p) => r.insert(self.0, p),
                    None => r.remove(&self.0),
                };
            });
        }
    }
    let Some(cap) = cap else { return f() };
    let previous = REQUEST_THREADS.with(|r| r.borrow_mut().insert(conn, cap));
    let _restore = Restore(conn, previous);
    f()
}

const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const DONE: u8 = 2;
const CANCELED: u8 = 3;

/// Counts a call against its pool slot until the call is done.
struct DepthGuard(Rc<std::cell::Cell<usize>>);

impl Drop for DepthGuard {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// Drops a registry entry on the loop when the job is done (or dropped).
struct ReleaseOnDrop(crate::event_loop::LoopHandle, CapId);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let id = self.1;
        self.0.post(move || registry::remove(id));
    }
}

/// Logs Core's cancellation lines if the call's future is dropped before the
/// worker delivered the reply.
struct CancelGuard {
    req: u64,
    state: Arc<AtomicU8>,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        match self
            .state
            .compare_exchange(QUEUED, CANCELED, Ordering::SeqCst, Ordering::SeqCst)
        {
            // Not started: the worker will skip it and say so.
            Ok(_) => {}
            Err(RUNNING) => log::log(
                Level::Info,
                format_args!("IPC server request #{} canceled while executing.", self.req),
            ),
            Err(_) => {}
        }
    }
}

/// A call's place in its connection's arrival order. Resolving
/// `context.thread` is asynchronous, so without this two calls for one worker
/// could be posted in the wrong order; each call posts only after the calls
/// that arrived before it have posted (or failed).
pub struct Ticket {
    before: Option<futures::future::Shared<futures::channel::oneshot::Receiver<()>>>,
    done: Option<futures::channel::oneshot::Sender<()>>,
}

impl Ticket {
    /// Takes the next place; must be called when the call arrives, before any await.
    pub fn take(conn: &Connection) -> Ticket {
        use futures::FutureExt;
        let (tx, rx) = futures::channel::oneshot::channel();
        let before = conn.last_post.replace(Some(rx.shared()));
        Ticket {
            before,
            done: Some(tx),
        }
    }

    async fn wait_turn(&mut self) {
        if let Some(b) = self.before.take() {
            let _ = b.await;
        }
    }

    fn release(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.release();
    }
}

/// Runs `job` on the worker named by `context.thread` and returns its result.
pub async fn on_worker<T: Send + 'static>(
    conn: &Rc<Connection>,
    req: u64,
    mut ticket: Ticket,
    ctx: capnp::Result<context::Reader<'_>>,
    job: impl FnOnce() -> interfaces::Result<T> + Send + 'static,
) -> Result<T, capnp::Error> {
    let ctx = ctx.ok();
    let callback = match ctx {
        Some(c) if c.has_callback_thread() => Some(c.get_callback_thread()?),
        _ => None,
    };
    let mut _depth = None;
    let server = match ctx {
        Some(c) if c.has_thread() => {
            let thread = capnp::capability::get_resolved_cap(c.get_thread()?).await;
            ticket.wait_turn().await;
            let server = conn.threads.borrow().get_local_server_of_resolved(&thread);
            let Some(server) = server else {
                log::log(
                    Level::Error,
                    format_args!(
                        "IPC server error request #{req}, missing thread to execute request"
                    ),
                );
                return Err(failed("invalid thread handle"));
            };
            server
        }
        _ => {
            // No thread named: the pool slot with the fewest calls in flight.
            let slot = conn
                .pool
                .borrow()
                .iter()
                .min_by_key(|s| s.depth.get())
                .map(|s| {
                    s.depth.set(s.depth.get() + 1);
                    (s.thread.clone(), s.depth.clone())
                });
            let Some((server, depth)) = slot else {
                log::log(
                    Level::Error,
                    format_args!(
                        "IPC server error request #{req}, no thread specified and no pool configured"
                    ),
                );
                return Err(failed("no thread specified and no pool configured"));
            };
            _depth = Some(DepthGuard(depth));
            ticket.wait_turn().await;
            server
        }
    };
    // Logged when queued, before it can start (Core's tests look for it while
    // an earlier call still runs).
    log::log(
        Level::Debug,
        format_args!("IPC server post request  #{req} {{{}}}", server.name),
    );
    let state = Arc::new(AtomicU8::new(QUEUED));
    let (tx, rx) = tokio::sync::oneshot::channel::<interfaces::Result<T>>();
    let worker_state = state.clone();
    let conn_id = conn.id;
    // Registered so the worker (another thread) can name it; released after.
    let callback_cap = callback.map(|c| registry::insert(c.client));
    let loop_handle = conn.loop_handle.clone();
    let posted = server.waiter.post(Box::new(move || {
        let _release = callback_cap.map(|id| ReleaseOnDrop(loop_handle, id));
        if worker_state
            .compare_exchange(QUEUED, RUNNING, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            log::log(
                Level::Info,
                format_args!("IPC server request #{req} canceled before it could be executed"),
            );
            return;
        }
        log::log(
            Level::Debug,
            format_args!("IPC server executing request #{req}"),
        );
        let run = || with_request_thread(conn_id, callback_cap, job);
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into());
                log::log(
                    Level::Error,
                    format_args!("IPC server request #{req} uncaught exception ({what})"),
                );
                Err(interfaces::Error::Remote(what))
            }
        };
        let canceled = worker_state.swap(DONE, Ordering::SeqCst) == CANCELED;
        if canceled || tx.send(result).is_err() {
            log::log(
                Level::Info,
                format_args!("IPC server request #{req} interrupted (canceled)"),
            );
        }
    }));
    ticket.release();
    if !posted {
        return Err(failed("thread is shutting down"));
    }
    let guard = CancelGuard { req, state };
    let result = rx.await;
    drop(guard);
    match result {
        Ok(r) => r.map_err(to_capnp),
        Err(_) => Err(failed("worker thread exited")),
    }
}
