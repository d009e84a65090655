//! Network RPCs: `getnetworkinfo` (its static parts at start-up, the
//! connection figures once P2P runs) and, through the running P2P layer,
//! the peer, ban-list, address-manager and orphan RPCs.

use std::sync::Arc;

use common::args::ArgsManager;
use net::config::NODE_NETWORK;
use net::proxies::{NetworkProxies, NETWORKS};
use net::NetHandle;
use rpc::result_doc::{ResultDoc, Shape};
use rpc::{RpcMethod, RpcTable};
use serde_json::json;

pub mod addrman;
mod ban;
pub mod orphans;
mod peers;

/// Core's `RPC_CLIENT_NODE_ALREADY_ADDED`.
const NODE_ALREADY_ADDED: i32 = -23;
/// Core's `RPC_CLIENT_NODE_NOT_ADDED`.
const NODE_NOT_ADDED: i32 = -24;
/// Core's `RPC_CLIENT_NODE_CAPACITY_REACHED`.
const NODE_CAPACITY_REACHED: i32 = -34;
/// Core's `RPC_CLIENT_INVALID_IP_OR_SUBNET`.
const INVALID_IP_OR_SUBNET: i32 = -30;

/// Numeric client version as `getnetworkinfo` reports it (MMmmpp); Core's
/// `bitcoin-cli -netinfo` needs at least 0.21.
fn numeric_version() -> u64 {
    common::version::CORE_CLIENT_VERSION as u64
}

/// Registers `getnetworkinfo`.
pub fn register(
    table: &RpcTable,
    args: &Arc<ArgsManager>,
    subversion: String,
    proxies: &NetworkProxies,
    chain: &Arc<chainstate_service::NodeChain>,
) {
    let policy = chain.policy();
    let relay_fee = policy.min_relay_fee_per_kvb;
    let incremental = policy.incremental_relay_fee_per_kvb;
    let network_active = args.get_bool_arg("-networkactive", true);
    let networks: Vec<_> = NETWORKS
        .iter()
        .map(|n| {
            let proxy = proxies.proxy(n);
            json!({
                "name": n,
                "limited": !proxies.reachable(n),
                "reachable": proxies.reachable(n),
                "proxy": proxy.map(|p| p.address.as_str()).unwrap_or(""),
                "proxy_randomize_credentials": proxy.is_some_and(|p| p.randomize_credentials),
            })
        })
        .collect();
    let chain = chain.clone();
    table.register(
        RpcMethod::new(
            "getnetworkinfo",
            "network",
            "Returns an object containing various state info regarding P2P networking.",
            move |_, ()| {
                Ok(json!({
                    "version": numeric_version(),
                    "subversion": subversion,
                    "protocolversion": net::PROTOCOL_VERSION,
                    "localservices": "0000000000000000",
                    "localservicesnames": [],
                    "localrelay": true,
                    "timeoffset": 0,
                    "networkactive": network_active,
                    "connections": 0,
                    "connections_in": 0,
                    "connections_out": 0,
                    "networks": networks,
                    "relayfee": rpc::json::amount_to_value(relay_fee),
                    "incrementalfee": rpc::json::amount_to_value(incremental),
                    "localaddresses": [],
                    "warnings": chain.warnings(),
                }))
            },
        )
        .result(getnetworkinfo_result().render()),
    );
}

/// `getnetworkinfo`'s result, for its help.
fn getnetworkinfo_result() -> ResultDoc {
    let network_names = NETWORKS.join(", ");
    ResultDoc::object(vec![
        ResultDoc::new("version", Shape::Num, "the server version"),
        ResultDoc::new("subversion", Shape::Str, "the server subversion string"),
        ResultDoc::new("protocolversion", Shape::Num, "the protocol version"),
        ResultDoc::new("localservices", Shape::Hex, "the services we offer to the network"),
        ResultDoc::new(
            "localservicesnames",
            Shape::Array(vec![ResultDoc::new("SERVICE_NAME", Shape::Str, "the service name")]),
            "the services we offer to the network, in human-readable form",
        ),
        ResultDoc::new("localrelay", Shape::Bool, "true if transaction relay is requested from peers"),
        ResultDoc::new("timeoffset", Shape::Num, "the time offset"),
        ResultDoc::new("connections", Shape::Num, "the total number of connections"),
        ResultDoc::new("connections_in", Shape::Num, "the number of inbound connections"),
        ResultDoc::new("connections_out", Shape::Num, "the number of outbound connections"),
        ResultDoc::new("networkactive", Shape::Bool, "whether p2p networking is enabled"),
        ResultDoc::new(
            "networks",
            Shape::Array(vec![ResultDoc::object(vec![
                ResultDoc::new("name", Shape::Str, format!("network ({network_names})")),
                ResultDoc::new("limited", Shape::Bool, "is the network limited using -onlynet?"),
                ResultDoc::new("reachable", Shape::Bool, "is the network reachable?"),
                ResultDoc::new(
                    "proxy",
                    Shape::Str,
                    "(\"host:port\") the proxy that is used for this network, or empty if none",
                ),
                ResultDoc::new(
                    "proxy_randomize_credentials",
                    Shape::Bool,
                    "Whether randomized credentials are used",
                ),
            ])]),
            "information per network",
        ),
        ResultDoc::new("relayfee", Shape::Num, "minimum relay fee rate for transactions in BTC/kvB"),
        ResultDoc::new(
            "incrementalfee",
            Shape::Num,
            "minimum fee rate increment for mempool limiting or replacement in BTC/kvB",
        ),
        ResultDoc::new(
            "localaddresses",
            Shape::Array(vec![ResultDoc::object(vec![
                ResultDoc::new("address", Shape::Str, "network address"),
                ResultDoc::new("port", Shape::Num, "network port"),
                ResultDoc::new("score", Shape::Num, "relative score"),
            ])]),
            "list of local addresses",
        ),
        ResultDoc::new(
            "warnings",
            Shape::Array(vec![ResultDoc::new("", Shape::Str, "warning")]),
            "any network and blockchain warnings (run with `-deprecatedrpc=warnings` to return the latest warning as a single string)",
        ),
    ])
}

/// Registers the RPCs that need the running P2P layer (`net`); `bantime` is
/// `-bantime`, `addconnection` works on regtest only.
pub fn register_p2p(
    table: &RpcTable,
    net: NetHandle,
    backend: Arc<dyn net::NodeBackend>,
    v2_enabled: bool,
    bantime: i64,
    regtest: bool,
) {
    addrman::register(table, net.clone());
    orphans::register(table, net.clone());
    peers::register(table, net.clone(), v2_enabled, regtest);
    ban::register(table, net.clone(), bantime);
    wrap_getnetworkinfo(table, net, backend);
}

/// Fills the connection figures into the existing `getnetworkinfo` (registered
/// by [`register`]), so that module keeps the static parts.
fn wrap_getnetworkinfo(table: &RpcTable, net: NetHandle, backend: Arc<dyn net::NodeBackend>) {
    let Some(mut method) = table.get("getnetworkinfo") else {
        return;
    };
    let inner = method.handler.clone();
    method.handler = Arc::new(move |req| {
        let mut services = net.local_services();
        if !backend.serves_full_history() {
            services &= !NODE_NETWORK;
        }
        let mut v = inner(req)?;
        if let Some(o) = v.as_object_mut() {
            let (i, out) = net.connection_counts();
            o.insert("localservices".into(), json!(format!("{services:016x}")));
            o.insert(
                "localservicesnames".into(),
                json!(common::services::service_names(services)),
            );
            // `-blocksonly` asks peers not to relay transactions to us.
            o.insert("localrelay".into(), json!(net.config().relay_txs));
            o.insert("networkactive".into(), json!(net.network_active()));
            o.insert("connections".into(), json!(i + out));
            o.insert("connections_in".into(), json!(i));
            o.insert("connections_out".into(), json!(out));
        }
        Ok(v)
    });
    table.register(method);
}
