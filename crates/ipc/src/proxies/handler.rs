//! `Handler` proxies (`handler.capnp`).

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::generated::handler_capnp::handler;
use crate::proxies::ImplSlot;
use crate::{client_method, server_method};
use interfaces::handler::Handler;
use std::rc::Rc;
use std::sync::Arc;

/// Serves a [`Handler`]; releasing the capability drops (unregisters) it.
pub struct HandlerServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Handler>,
}

impl HandlerServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn Handler>) -> handler::Client {
        capnp_rpc::new_client(HandlerServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

impl handler::Server for HandlerServer {
    server_method!(destroy destroy(handler::DestroyParams, handler::DestroyResults) "Handler.destroy");
    server_method!(worker disconnect(handler::DisconnectParams, handler::DisconnectResults) "Handler.disconnect",
        |p, _conn| { }
        |imp| imp.disconnect(),
        |_r, out, _conn| { let () = out; });
}

/// A [`Handler`] in another process; dropping it releases the registration.
pub struct HandlerClient {
    cap: RemoteCap,
}

impl HandlerClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        HandlerClient { cap }
    }
}

impl Handler for HandlerClient {
    fn disconnect(&self) -> interfaces::Result<()> {
        client_method!(
            self.cap,
            handler::Client,
            "Handler.disconnect",
            disconnect_request,
            |p| {},
            |r, _conn| {
                let _ = r;
                Ok(())
            }
        )
    }
}
