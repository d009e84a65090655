//! The generic client call path behind every generated client proxy. Proxies
//! are `Send + Sync`: a call posts a closure to the event loop, which builds
//! the request (with `context.thread` for the calling thread), sends it and
//! copies the reply into owned values; the calling thread waits on its
//! [`Waiter`], running nested calls back into it.

use crate::connection::{self, ClientThread, ConnId, Connection};
use crate::event_loop::{LoopError, LoopHandle};
use crate::log::{self, Level};
use crate::registry::{self, CapId};
use crate::waiter::Waiter;
use futures::future::LocalBoxFuture;
use std::sync::Mutex;

/// Maps a capnp error from a call to the interface error callers see.
pub fn from_capnp(e: capnp::Error) -> interfaces::Error {
    match e.kind {
        capnp::ErrorKind::Disconnected => interfaces::Error::Disconnected,
        _ => {
            let text = e.extra;
            let text = text.strip_prefix("remote exception: ").unwrap_or(&text);
            let text = text.strip_prefix("std::exception: ").unwrap_or(text);
            interfaces::Error::Remote(text.to_string())
        }
    }
}

fn from_loop(e: LoopError) -> interfaces::Error {
    match e {
        LoopError::Stopped => interfaces::Error::Disconnected,
        LoopError::OnLoopThread => {
            interfaces::Error::Remote("IPC call made from the event loop thread".into())
        }
    }
}

/// Work done when the last proxy of a connection goes away (e.g. `waitpid`
/// of a spawned child once its socket is closed).
pub type Cleanup = Box<dyn FnOnce() + Send>;

/// Shared by every proxy of one connection. For a connection we opened,
/// dropping the last one closes it, then runs the cleanups; capabilities a
/// peer passed to us (callbacks) use a non-owning handle.
pub struct ConnHandle {
    /// The loop owning the connection.
    pub loop_handle: LoopHandle,
    /// The connection's key on the loop.
    pub conn: ConnId,
    owns: bool,
    cleanups: Mutex<Vec<Cleanup>>,
}

impl ConnHandle {
    /// The owning handle of connection `conn` on `loop_handle`.
    pub fn new(loop_handle: LoopHandle, conn: ConnId) -> Self {
        ConnHandle {
            loop_handle,
            conn,
            owns: true,
            cleanups: Mutex::new(Vec::new()),
        }
    }

    /// A handle that never closes the connection (for capabilities a peer
    /// passed in; the peer decides when the connection ends).
    pub fn borrowed(loop_handle: LoopHandle, conn: ConnId) -> Self {
        ConnHandle {
            loop_handle,
            conn,
            owns: false,
            cleanups: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` when the connection closes for any reason (the peer died,
    /// or hung up), on the event loop thread: `f` must not block or make
    /// IPC calls. Runs at once if the connection is closed already.
    pub fn on_disconnect(&self, f: Cleanup) {
        let id = self.conn;
        let slot = std::sync::Arc::new(Mutex::new(Some(f)));
        let queued = slot.clone();
        let _ = self.loop_handle.run(move || {
            Box::pin(async move {
                let f = queued.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(f) = f {
                    if let Some(f) = Connection::on_close(id, f) {
                        f();
                    }
                }
            })
        });
        // The loop is gone: so is the connection.
        let f = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(f) = f {
            f();
        }
    }

    /// Runs `f` after the connection is closed.
    pub fn add_cleanup(&self, f: Cleanup) {
        self.cleanups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(f);
    }
}

impl ConnHandle {
    /// Closes the connection now, even while other proxies of it live on
    /// (their calls then fail as disconnected), and runs the cleanups. A
    /// process that hands capabilities of this connection on to its own
    /// clients (the node forwarding its wallet process's `Wallet`s) uses it
    /// to end the connection when it decides, not when the last client lets
    /// go. Does nothing the second time.
    pub fn close(&self) {
        let cleanups =
            std::mem::take(&mut *self.cleanups.lock().unwrap_or_else(|p| p.into_inner()));
        let id = self.conn;
        if crate::event_loop::on_loop_thread() {
            // The last proxy went on the loop thread itself (a server object
            // forwarding to this connection was released): blocking here
            // would stall the loop the close needs, and a cleanup waiting
            // for the peer process to exit would never see it go. Close on
            // the loop later, then run the cleanups on a thread of their own.
            let posted = self.loop_handle.spawn(move || {
                Box::pin(async move {
                    connection::close(id).await;
                    run_cleanups_off_loop(cleanups);
                })
            });
            if !posted {
                log::log(
                    Level::Warning,
                    format_args!("IPC connection closed with its event loop stopped"),
                );
            }
            return;
        }
        // Blocks until the socket is closed so cleanups (waitpid) see it shut.
        let _ = self
            .loop_handle
            .run(move || Box::pin(async move { connection::close(id).await }));
        for f in cleanups {
            f();
        }
    }
}

/// Runs `cleanups` on a new thread (they may block, e.g. in `waitpid`).
fn run_cleanups_off_loop(cleanups: Vec<Cleanup>) {
    if cleanups.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("b-capnp-cleanup".into())
        .spawn(move || {
            for f in cleanups {
                f();
            }
        });
    if let Err(e) = spawned {
        log::log(
            Level::Warning,
            format_args!("IPC connection cleanup skipped: {e}"),
        );
    }
}

impl Drop for ConnHandle {
    fn drop(&mut self) {
        if self.owns {
            self.close();
        }
    }
}

/// A remote capability held by a `Send` proxy.
pub struct RemoteCap {
    /// The connection it lives on.
    pub conn: std::sync::Arc<ConnHandle>,
    /// Its key in the loop's registry.
    pub id: CapId,
}

impl Drop for RemoteCap {
    fn drop(&mut self) {
        let id = self.id;
        // Releases the capability on the loop; the peer drops its object.
        self.conn.loop_handle.post(move || registry::remove(id));
    }
}

impl RemoteCap {
    /// Registers `client` (on the loop thread) for use by a proxy.
    pub fn on_loop(conn: std::sync::Arc<ConnHandle>, client: capnp::capability::Client) -> Self {
        RemoteCap {
            conn,
            id: registry::insert(client),
        }
    }

    /// Calls the peer: `f` runs on the loop with the capability and the
    /// calling thread's context capabilities and returns owned results.
    /// `method` is `Iface.method` for the log.
    pub fn call<T: Send + 'static>(
        &self,
        method: &'static str,
        f: impl FnOnce(
                capnp::capability::Client,
                ClientThread,
                std::sync::Arc<ConnHandle>,
            ) -> LocalBoxFuture<'static, Result<T, capnp::Error>>
            + Send
            + 'static,
    ) -> interfaces::Result<T> {
        let name = log::long_thread_name();
        let tid = std::thread::current().id();
        let waiter = Waiter::current();
        let (conn_id, cap_id) = (self.conn.conn, self.id);
        let request_thread = crate::server_call::request_thread(conn_id);
        let handle = self.conn.clone();
        log::log(
            Level::Debug,
            format_args!("IPC client send {method}$Params"),
        );
        let result = self
            .conn
            .loop_handle
            .run(move || {
                Box::pin(async move {
                    let Some(conn) = Connection::get(conn_id).filter(|c| !c.is_closed()) else {
                        return Err(capnp::Error::disconnected(
                            "IPC client method called after disconnect.".into(),
                        ));
                    };
                    let client = registry::get(cap_id).ok_or_else(|| {
                        capnp::Error::disconnected(
                            "IPC client method called after disconnect.".into(),
                        )
                    })?;
                    let request_thread = request_thread
                        .and_then(registry::get)
                        .map(|c| capnp::capability::FromClientHook::new(c.hook));
                    let thread = conn
                        .client_thread(tid, &name, waiter, request_thread)
                        .ok_or_else(|| capnp::Error::failed("peer sent no ThreadMap".into()))?;
                    drop(conn);
                    f(client, thread, handle).await
                }) as LocalBoxFuture<'static, Result<T, capnp::Error>>
            })
            .map_err(from_loop)?;
        match result {
            Ok(v) => {
                log::log(
                    Level::Debug,
                    format_args!("IPC client recv {method}$Results"),
                );
                Ok(v)
            }
            Err(e) => {
                if e.kind != capnp::ErrorKind::Disconnected {
                    log::log(
                        Level::Info,
                        format_args!("IPC client exception kj::Exception: {e}"),
                    );
                }
                Err(from_capnp(e))
            }
        }
    }
}

/// Client payload trace line (`send data: …` / `recv data: …`), which
/// libmultiprocess writes without a thread prefix.
pub fn trace_plain(prefix: &str, payload: impl FnOnce() -> String) {
    if log::enabled(Level::Trace) {
        let text = log::escape(&payload(), log::MAX_TRACE_CHARS);
        log::log_plain(Level::Trace, format_args!("{prefix}: {text}"));
    }
}

/// Fills a `Proxy.Context` with the calling thread's capabilities.
pub fn set_context(
    mut ctx: crate::generated::proxy_capnp::context::Builder<'_>,
    thread: &ClientThread,
) {
    ctx.set_thread(thread.server_thread.clone());
    ctx.set_callback_thread(thread.callback_thread.clone());
}
