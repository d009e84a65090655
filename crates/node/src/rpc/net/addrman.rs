//! RPCs over the address manager: `getnodeaddresses` and the test-only
//! `addpeeraddress`.

use super::INVALID_IP_OR_SUBNET;
use net::NetHandle;
use rpc::{code, Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};

/// The network names `getnodeaddresses` accepts.
const NETWORKS: [&str; 5] = ["ipv4", "ipv6", "onion", "i2p", "cjdns"];

fn network_of(addr: &SocketAddr) -> &'static str {
    match addr.ip() {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

/// Registers the address manager RPCs.
pub fn register(table: &RpcTable, net: NetHandle) {
    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getnodeaddresses",
            "network",
            "Return known addresses, after filtering for quality and recency.\nThese can potentially be used to find new peers in the network.\nThe total number of addresses known to the node may be higher.",
            move |req| {
                let count = req.params.opt_i64(0)?.unwrap_or(1);
                if count < 0 {
                    return Err(RpcError::new(code::INVALID_PARAMETER, "Address count out of range"));
                }
                let network = req.params.opt_str(1)?;
                if let Some(n) = network {
                    if !NETWORKS.contains(&n.to_lowercase().as_str()) {
                        return Err(RpcError::new(
                            code::INVALID_PARAMETER,
                            format!("Network not recognized: {n}"),
                        ));
                    }
                }
                let wanted = network.map(str::to_lowercase);
                let list: Vec<Value> = h
                    .node_addresses(0)
                    .into_iter()
                    .filter(|(a, _)| wanted.as_deref().is_none_or(|n| n == network_of(a)))
                    .take(if count == 0 { usize::MAX } else { count as usize })
                    .map(|(a, info)| {
                        json!({
                            "time": info.time,
                            "services": info.services,
                            "address": a.ip().to_string(),
                            "port": a.port(),
                            "network": network_of(&a),
                        })
                    })
                    .collect();
                Ok(Value::Array(list))
            },
        )
        .args(vec![
            Arg::with_default("count", ArgType::Num, json!(1), "The maximum number of addresses to return. Specify 0 to return all known addresses."),
            Arg::with_hint("network", ArgType::Str, "all networks", "Return only addresses of the specified network. Can be one of: ipv4, ipv6, onion, i2p, cjdns."),
        ])
        .result("[\n  {\n    \"time\" : xxx,    (numeric) The UNIX epoch time when the node was last seen\n    \"services\" : n,    (numeric) The services offered by the node\n    \"address\" : \"str\",    (string) The address of the node\n    \"port\" : n,    (numeric) The port number of the node\n    \"network\" : \"str\"    (string) The network the node connected through\n  },\n  ...\n]"),
    );

    table.register(
        RpcMethod::new(
            "addpeeraddress",
            "hidden",
            "Add the address of a potential peer to an address manager table. This RPC is for testing only.",
            move |req| {
                let address = req.params.str_at(0)?;
                let port = req
                    .params
                    .opt_i64(1)?
                    .ok_or_else(|| RpcError::type_error("Expected type number, got null"))?;
                let port = u16::try_from(port)
                    .map_err(|_| RpcError::new(code::INVALID_PARAMETER, "JSON integer out of range"))?;
                let tried = req.params.opt_bool(2)?.unwrap_or(false);
                let ip: IpAddr = address
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse()
                    .map_err(|_| RpcError::new(INVALID_IP_OR_SUBNET, "Invalid IP address"))?;
                Ok(match net.add_peer_address(SocketAddr::new(ip, port), tried) {
                    Ok(()) => json!({"success": true}),
                    Err(e) => json!({"error": e, "success": false}),
                })
            },
        )
        .args(vec![
            Arg::required("address", ArgType::Str, "The IP address of the peer"),
            Arg::required("port", ArgType::Num, "The port of the peer"),
            Arg::with_default("tried", ArgType::Bool, json!(false), "If true, attempt to add the peer to the tried addresses table"),
        ])
        .result("{\n  \"success\" : true|false,    (boolean) whether the peer address was successfully added to the address manager table\n  \"error\" : \"str\"    (string, optional) error description, if the address could not be added\n}"),
    );
}
