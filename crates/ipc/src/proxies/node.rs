//! `Node` proxies (`node.capnp`, first version).

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::convert;
use crate::generated::node_capnp::node;
use crate::proxies::ImplSlot;
use crate::{client_method, server_method};
use interfaces::node::{BilingualStr, Node};
use std::rc::Rc;
use std::sync::Arc;

/// Serves a [`Node`] implementation to a peer.
pub struct NodeServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Node>,
}

impl NodeServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn Node>) -> node::Client {
        capnp_rpc::new_client(NodeServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

impl node::Server for NodeServer {
    server_method!(destroy destroy(node::DestroyParams, node::DestroyResults) "Node.destroy");
    server_method!(worker init_logging(node::InitLoggingParams, node::InitLoggingResults) "Node.initLogging",
        |p, _conn| { }
        |imp| imp.init_logging(),
        |_r, out, _conn| { let () = out; });
    server_method!(worker init_parameter_interaction(node::InitParameterInteractionParams, node::InitParameterInteractionResults) "Node.initParameterInteraction",
        |p, _conn| { }
        |imp| imp.init_parameter_interaction(),
        |_r, out, _conn| { let () = out; });
    server_method!(worker get_warnings(node::GetWarningsParams, node::GetWarningsResults) "Node.getWarnings",
    |p, _conn| { }
    |imp| imp.get_warnings(),
    |r, out, _conn| {
        let mut b = r.init_result();
        b.set_original(&out.original);
        b.set_translated(&out.translated);
    });
    server_method!(worker get_log_categories(node::GetLogCategoriesParams, node::GetLogCategoriesResults) "Node.getLogCategories",
        |p, _conn| { }
        |imp| imp.get_log_categories(),
        |r, out, _conn| r.set_result(out));
    server_method!(worker get_exit_status(node::GetExitStatusParams, node::GetExitStatusResults) "Node.getExitStatus",
        |p, _conn| { }
        |imp| imp.get_exit_status(),
        |r, out, _conn| r.set_result(out));
}

/// A [`Node`] in another process.
pub struct NodeClient {
    cap: RemoteCap,
}

impl NodeClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        NodeClient { cap }
    }
}

impl Node for NodeClient {
    fn init_logging(&self) -> interfaces::Result<()> {
        client_method!(
            self.cap,
            node::Client,
            "Node.initLogging",
            init_logging_request,
            |p| {},
            |r, _conn| {
                let _ = r;
                Ok(())
            }
        )
    }

    fn init_parameter_interaction(&self) -> interfaces::Result<()> {
        client_method!(
            self.cap,
            node::Client,
            "Node.initParameterInteraction",
            init_parameter_interaction_request,
            |p| {},
            |r, _conn| {
                let _ = r;
                Ok(())
            }
        )
    }

    fn get_warnings(&self) -> interfaces::Result<BilingualStr> {
        client_method!(
            self.cap,
            node::Client,
            "Node.getWarnings",
            get_warnings_request,
            |p| {},
            |r, _conn| {
                let w = r.get_result()?;
                Ok(BilingualStr {
                    original: convert::text(w.get_original())?,
                    translated: convert::text(w.get_translated())?,
                })
            }
        )
    }

    fn get_log_categories(&self) -> interfaces::Result<u64> {
        client_method!(
            self.cap,
            node::Client,
            "Node.getLogCategories",
            get_log_categories_request,
            |p| {},
            |r, _conn| Ok(r.get_result())
        )
    }

    fn get_exit_status(&self) -> interfaces::Result<i32> {
        client_method!(
            self.cap,
            node::Client,
            "Node.getExitStatus",
            get_exit_status_request,
            |p| {},
            |r, _conn| Ok(r.get_result())
        )
    }
}
