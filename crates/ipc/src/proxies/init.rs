//! `Init` proxies (`init.capnp`): the bootstrap object of every connection.

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::generated::init_capnp::init;
use crate::proxies::chain::{ChainClient, ChainServer};
use crate::proxies::echo::{EchoClient, EchoServer};
use crate::proxies::mining::{MiningClient, MiningServer};
use crate::proxies::node::{NodeClient, NodeServer};
use crate::proxies::rpc::{RpcClient, RpcServer};
use crate::proxies::ImplSlot;
use crate::{client_method, server_method};
use interfaces::chain::Chain;
use interfaces::echo::Echo;
use interfaces::init::Init;
use interfaces::mining::Mining;
use interfaces::node::Node;
use interfaces::rpc::Rpc;
use std::rc::Rc;
use std::sync::Arc;

/// Core's answer to clients of the v30 mining interface.
pub const OLD_MINING_ERROR: &str =
    "Old mining interface (@2) not supported. Please update your client!";

/// Serves an [`Init`] implementation as a connection's bootstrap capability.
pub struct InitServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Init>,
}

impl InitServer {
    /// The bootstrap object of `conn`.
    pub fn new(conn: Rc<Connection>, imp: Arc<dyn Init>) -> Self {
        InitServer {
            conn,
            target: ImplSlot::new(imp),
        }
    }
}

impl init::Server for InitServer {
    fn construct(
        self: Rc<Self>,
        params: init::ConstructParams,
        mut results: init::ConstructResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        // No context: runs on the loop at once. Keeps the peer's ThreadMap
        // (for calls back to it) and hands it ours.
        let req = crate::server_call::recv("Init.construct");
        let res = (|| {
            let p = params.get()?;
            if p.has_thread_map() {
                *self.conn.peer_thread_map.borrow_mut() = Some(p.get_thread_map()?);
            }
            results.get().set_thread_map(self.conn.thread_map_client());
            Ok(())
        })();
        crate::server_call::finish(req, "Init.construct", &res);
        std::future::ready(res)
    }

    server_method!(worker make_echo(init::MakeEchoParams, init::MakeEchoResults) "Init.makeEcho",
    |p, _conn| { }
    |imp| imp.make_echo(),
    |r, out, conn| if let Some(e) = out {
        r.set_result(EchoServer::client(conn.clone(), Arc::from(e)));
    });

    fn make_mining_old2(
        self: Rc<Self>,
        _: init::MakeMiningOld2Params,
        _: init::MakeMiningOld2Results,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        let req = crate::server_call::recv("Init.makeMiningOld2");
        let res = Err(crate::server_call::failed(OLD_MINING_ERROR));
        crate::server_call::finish(req, "Init.makeMiningOld2", &res);
        std::future::ready(res)
    }

    server_method!(worker make_mining(init::MakeMiningParams, init::MakeMiningResults) "Init.makeMining",
    |p, _conn| { }
    |imp| imp.make_mining(),
    |r, out, conn| if let Some(m) = out {
        r.set_result(MiningServer::client(conn.clone(), Arc::from(m)));
    });

    server_method!(worker make_rpc(init::MakeRpcParams, init::MakeRpcResults) "Init.makeRpc",
    |p, _conn| { }
    |imp| imp.make_rpc(),
    |r, out, conn| if let Some(m) = out {
        r.set_result(RpcServer::client(conn.clone(), Arc::from(m)));
    });

    server_method!(worker make_chain(init::MakeChainParams, init::MakeChainResults) "Init.makeChain",
    |p, _conn| { }
    |imp| imp.make_chain(),
    |r, out, conn| if let Some(c) = out {
        r.set_result(ChainServer::client(conn.clone(), Arc::from(c)));
    });

    server_method!(worker make_node(init::MakeNodeParams, init::MakeNodeResults) "Init.makeNode",
    |p, _conn| { }
    |imp| imp.make_node(),
    |r, out, conn| if let Some(c) = out {
        r.set_result(NodeServer::client(conn.clone(), Arc::from(c)));
    });
}

/// The [`Init`] of another process; the connection stays open while this
/// or any object obtained through it is alive.
pub struct InitClient {
    cap: RemoteCap,
}

impl InitClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        InitClient { cap }
    }

    /// The connection handle shared by every proxy of this connection.
    pub fn connection(&self) -> &Arc<crate::client_call::ConnHandle> {
        &self.cap.conn
    }
}

impl Init for InitClient {
    fn make_echo(&self) -> interfaces::Result<Option<Box<dyn Echo>>> {
        client_method!(
            self.cap,
            init::Client,
            "Init.makeEcho",
            make_echo_request,
            |p| {},
            |r, conn| Ok(if r.has_result() {
                let c = r.get_result()?;
                Some(Box::new(EchoClient::new(RemoteCap::on_loop(conn, c.client))) as Box<dyn Echo>)
            } else {
                None
            })
        )
    }

    fn make_mining(&self) -> interfaces::Result<Option<Box<dyn Mining>>> {
        client_method!(
            self.cap,
            init::Client,
            "Init.makeMining",
            make_mining_request,
            |p| {},
            |r, conn| Ok(if r.has_result() {
                let c = r.get_result()?;
                Some(
                    Box::new(MiningClient::new(RemoteCap::on_loop(conn, c.client)))
                        as Box<dyn Mining>,
                )
            } else {
                None
            })
        )
    }

    fn make_rpc(&self) -> interfaces::Result<Option<Box<dyn Rpc>>> {
        client_method!(
            self.cap,
            init::Client,
            "Init.makeRpc",
            make_rpc_request,
            |p| {},
            |r, conn| Ok(if r.has_result() {
                let c = r.get_result()?;
                Some(Box::new(RpcClient::new(RemoteCap::on_loop(conn, c.client))) as Box<dyn Rpc>)
            } else {
                None
            })
        )
    }

    fn make_chain(&self) -> interfaces::Result<Option<Box<dyn Chain>>> {
        client_method!(
            self.cap,
            init::Client,
            "Init.makeChain",
            make_chain_request,
            |p| {},
            |r, conn| Ok(if r.has_result() {
                let c = r.get_result()?;
                Some(
                    Box::new(ChainClient::new(RemoteCap::on_loop(conn, c.client)))
                        as Box<dyn Chain>,
                )
            } else {
                None
            })
        )
    }

    fn make_node(&self) -> interfaces::Result<Option<Box<dyn Node>>> {
        client_method!(
            self.cap,
            init::Client,
            "Init.makeNode",
            make_node_request,
            |p| {},
            |r, conn| Ok(if r.has_result() {
                let c = r.get_result()?;
                Some(Box::new(NodeClient::new(RemoteCap::on_loop(conn, c.client))) as Box<dyn Node>)
            } else {
                None
            })
        )
    }
}
