//! `Rpc` proxies (`rpc.capnp`).

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::generated::rpc_capnp::rpc;
use crate::proxies::ImplSlot;
use crate::{client_method, convert, server_method};
use interfaces::rpc::Rpc;
use std::rc::Rc;
use std::sync::Arc;

/// Serves an [`Rpc`] implementation to a peer.
pub struct RpcServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Rpc>,
}

impl RpcServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn Rpc>) -> rpc::Client {
        capnp_rpc::new_client(RpcServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

impl rpc::Server for RpcServer {
    server_method!(worker execute_rpc(rpc::ExecuteRpcParams, rpc::ExecuteRpcResults) "Rpc.executeRpc",
        |p, _conn| {
            let request = convert::text(p.get_request())?;
            let uri = convert::text(p.get_uri())?;
            let user = convert::text(p.get_user())?;
        }
        |imp| imp.execute_rpc(&request, &uri, &user),
        |r, out, _conn| r.set_result(&out));
}

/// An [`Rpc`] in another process.
pub struct RpcClient {
    cap: RemoteCap,
}

impl RpcClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        RpcClient { cap }
    }
}

impl Rpc for RpcClient {
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> interfaces::Result<String> {
        let (request, uri, user) = (request.to_string(), uri.to_string(), user.to_string());
        client_method!(
            self.cap,
            rpc::Client,
            "Rpc.executeRpc",
            execute_rpc_request,
            |p| {
                p.set_request(&request);
                p.set_uri(&uri);
                p.set_user(&user);
            },
            |r, _conn| convert::text(r.get_result())
        )
    }
}
