//! `Echo` proxies (`echo.capnp`).

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::generated::echo_capnp::echo;
use crate::proxies::ImplSlot;
use crate::{client_method, convert, server_method};
use interfaces::echo::Echo;
use std::rc::Rc;
use std::sync::Arc;

/// Serves an [`Echo`] implementation to a peer.
pub struct EchoServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Echo>,
}

impl EchoServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn Echo>) -> echo::Client {
        capnp_rpc::new_client(EchoServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

impl echo::Server for EchoServer {
    server_method!(destroy destroy(echo::DestroyParams, echo::DestroyResults) "Echo.destroy");
    server_method!(worker echo(echo::EchoParams, echo::EchoResults) "Echo.echo",
        |p, _conn| { let text = convert::text(p.get_echo())?; }
        |imp| imp.echo(&text),
        |r, out, _conn| r.set_result(&out));
}

/// An [`Echo`] in another process.
pub struct EchoClient {
    cap: RemoteCap,
}

impl EchoClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        EchoClient { cap }
    }
}

impl Echo for EchoClient {
    fn echo(&self, text: &str) -> interfaces::Result<String> {
        let text = text.to_string();
        client_method!(
            self.cap,
            echo::Client,
            "Echo.echo",
            echo_request,
            |p| {
                p.set_echo(&text);
            },
            |r, _conn| convert::text(r.get_result())
        )
    }
}
