//! Proxies for the runtime test interface `schema/test/calculator.capnp`:
//! callbacks passed as capabilities, nested calls back into the caller and
//! `Handler` registrations, served and called exactly like product
//! interfaces. Used by this crate's tests and benchmarks.

use crate::client_call::{ConnHandle, RemoteCap};
use crate::connection::{self, Connection};
use crate::generated::calculator_capnp::{calculator, callback};
use crate::generated::handler_capnp::handler;
use crate::proxies::handler::{HandlerClient, HandlerServer};
use crate::proxies::ImplSlot;
use crate::{client_method, server_method};
use interfaces::handler::Handler;
use std::rc::Rc;
use std::sync::Arc;

/// A function object passed to the peer.
pub trait Callback: Send + Sync {
    /// Called by the peer with `value`.
    fn call(&self, value: i32) -> interfaces::Result<i32>;
}

/// The test service.
pub trait Calculator: Send + Sync {
    /// Calls `callback(value)` and returns the result plus one.
    fn apply(&self, callback: Box<dyn Callback>, value: i32) -> interfaces::Result<i32>;
    /// Keeps `callback` until the handler goes away.
    fn subscribe(&self, callback: Box<dyn Callback>) -> interfaces::Result<Box<dyn Handler>>;
    /// Calls every subscribed callback; returns how many answered.
    fn notify(&self, value: i32) -> interfaces::Result<i32>;
}

/// Serves a [`Callback`].
pub struct CallbackServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Callback>,
}

impl callback::Server for CallbackServer {
    server_method!(destroy destroy(callback::DestroyParams, callback::DestroyResults) "Callback.destroy");
    server_method!(worker call(callback::CallParams, callback::CallResults) "Callback.call",
        |p, _conn| { let value = p.get_value(); }
        |imp| imp.call(value),
        |r, out, _conn| r.set_result(out));
}

/// A [`Callback`] in another process.
pub struct CallbackClient {
    cap: RemoteCap,
}

impl Callback for CallbackClient {
    fn call(&self, value: i32) -> interfaces::Result<i32> {
        client_method!(
            self.cap,
            callback::Client,
            "Callback.call",
            call_request,
            |p| {
                p.set_value(value);
            },
            |r, _conn| Ok(r.get_result())
        )
    }
}

/// A capability received from the peer on `conn`, for use from any thread.
fn peer_cap(conn: &Rc<Connection>, client: capnp::capability::Client) -> RemoteCap {
    RemoteCap::on_loop(
        Arc::new(ConnHandle::borrowed(conn.loop_handle.clone(), conn.id)),
        client,
    )
}

/// Serves a [`Calculator`].
pub struct CalculatorServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Calculator>,
}

/// A bootstrap serving `imp` (for `Ipc::serve_with` / `listen_with`).
pub fn calculator_bootstrap(imp: Arc<dyn Calculator>) -> connection::Bootstrap {
    Arc::new(move |conn| {
        let c: calculator::Client = capnp_rpc::new_client(CalculatorServer {
            conn,
            target: ImplSlot::new(imp.clone()),
        });
        c.client
    })
}

/// The `construct` exchange for a `Calculator` bootstrap (for `Ipc::connect_with`).
pub fn calculator_construct() -> connection::Construct {
    Box::new(|boot, map| {
        Box::pin(async move {
            let c: calculator::Client = capnp::capability::FromClientHook::new(boot.hook);
            let mut req = c.construct_request();
            req.get().set_thread_map(map);
            let reply = req.send().promise.await?;
            reply.get()?.get_thread_map()
        })
    })
}

impl calculator::Server for CalculatorServer {
    fn construct(
        self: Rc<Self>,
        params: calculator::ConstructParams,
        mut results: calculator::ConstructResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        let res = (|| {
            let p = params.get()?;
            if p.has_thread_map() {
                *self.conn.peer_thread_map.borrow_mut() = Some(p.get_thread_map()?);
            }
            results.get().set_thread_map(self.conn.thread_map_client());
            Ok(())
        })();
        std::future::ready(res)
    }

    server_method!(destroy destroy(calculator::DestroyParams, calculator::DestroyResults) "Calculator.destroy");
    server_method!(worker apply(calculator::ApplyParams, calculator::ApplyResults) "Calculator.apply",
        |p, conn| {
            let cb = CallbackClient { cap: peer_cap(conn, p.get_callback()?.client) };
            let value = p.get_value();
        }
        |imp| imp.apply(Box::new(cb), value),
        |r, out, _conn| r.set_result(out));
    server_method!(worker subscribe(calculator::SubscribeParams, calculator::SubscribeResults) "Calculator.subscribe",
        |p, conn| { let cb = CallbackClient { cap: peer_cap(conn, p.get_callback()?.client) }; }
        |imp| imp.subscribe(Box::new(cb)),
        |r, out, conn| r.set_result(HandlerServer::client(conn.clone(), Arc::from(out))));
    server_method!(worker notify(calculator::NotifyParams, calculator::NotifyResults) "Calculator.notify",
        |p, _conn| { let value = p.get_value(); }
        |imp| imp.notify(value),
        |r, out, _conn| r.set_result(out));
}

/// A [`Calculator`] in another process.
pub struct CalculatorClient {
    cap: RemoteCap,
}

impl CalculatorClient {
    /// Wraps the bootstrap capability from `Ipc::connect_with`.
    pub fn new(cap: RemoteCap) -> Self {
        CalculatorClient { cap }
    }
}

/// Exports `cb` on the connection (on the loop) as a `Callback` capability.
fn export_callback(conn: &Rc<Connection>, cb: Arc<dyn Callback>) -> callback::Client {
    capnp_rpc::new_client(CallbackServer {
        conn: conn.clone(),
        target: ImplSlot::new(cb),
    })
}

impl Calculator for CalculatorClient {
    fn apply(&self, cb: Box<dyn Callback>, value: i32) -> interfaces::Result<i32> {
        let cb: Arc<dyn Callback> = Arc::from(cb);
        let conn_id = self.cap.conn.conn;
        client_method!(
            self.cap,
            calculator::Client,
            "Calculator.apply",
            apply_request,
            |p| {
                let conn = Connection::get(conn_id)
                    .ok_or_else(|| capnp::Error::disconnected("connection closed".into()))?;
                p.set_callback(export_callback(&conn, cb));
                p.set_value(value);
            },
            |r, _conn| Ok(r.get_result())
        )
    }

    fn subscribe(&self, cb: Box<dyn Callback>) -> interfaces::Result<Box<dyn Handler>> {
        let cb: Arc<dyn Callback> = Arc::from(cb);
        let conn_id = self.cap.conn.conn;
        client_method!(
            self.cap,
            calculator::Client,
            "Calculator.subscribe",
            subscribe_request,
            |p| {
                let conn = Connection::get(conn_id)
                    .ok_or_else(|| capnp::Error::disconnected("connection closed".into()))?;
                p.set_callback(export_callback(&conn, cb));
            },
            |r, conn| {
                let h: handler::Client = r.get_result()?;
                Ok(
                    Box::new(HandlerClient::new(RemoteCap::on_loop(conn, h.client)))
                        as Box<dyn Handler>,
                )
            }
        )
    }

    fn notify(&self, value: i32) -> interfaces::Result<i32> {
        client_method!(
            self.cap,
            calculator::Client,
            "Calculator.notify",
            notify_request,
            |p| {
                p.set_value(value);
            },
            |r, _conn| Ok(r.get_result())
        )
    }
}
