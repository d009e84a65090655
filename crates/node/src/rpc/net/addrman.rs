//! RPCs over the address manager: `getnodeaddresses` and the test-only
//! `addpeeraddress`.

use super::INVALID_IP_OR_SUBNET;
use net::NetHandle;
use rpc::{code, rpc_params, RpcError, RpcMethod, RpcTable};
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

rpc_params! {
    /// `getnodeaddresses`'s parameters.
    struct GetNodeAddressesParams {
        /// The maximum number of addresses to return. Specify 0 to return all known addresses.
        count: i64 [Num, default = 1],
        /// Return only addresses of the specified network. Can be one of: ipv4, ipv6, onion, i2p, cjdns.
        network: Option<String> [Str, hint = "all networks"],
    }
}

rpc_params! {
    /// `addpeeraddress`'s parameters.
    struct AddPeerAddressParams {
        /// The IP address of the peer
        address: String [Str, required],
        /// The port of the peer
        port: u16 [Num, required],
        /// If true, attempt to add the peer to the tried addresses table
        tried: bool [Bool, default = false],
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
            move |_, p: GetNodeAddressesParams| {
                let count = p.count;
                if count < 0 {
                    return Err(RpcError::new(code::INVALID_PARAMETER, "Address count out of range"));
                }
                let network = p.network;
                if let Some(n) = &network {
                    if !NETWORKS.contains(&n.to_lowercase().as_str()) {
                        return Err(RpcError::new(
                            code::INVALID_PARAMETER,
                            format!("Network not recognized: {n}"),
                        ));
                    }
                }
                let wanted = network.map(|n| n.to_lowercase());
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
        .result("[\n  {\n    \"time\" : xxx,    (numeric) The UNIX epoch time when the node was last seen\n    \"services\" : n,    (numeric) The services offered by the node\n    \"address\" : \"str\",    (string) The address of the node\n    \"port\" : n,    (numeric) The port number of the node\n    \"network\" : \"str\"    (string) The network the node connected through\n  },\n  ...\n]"),
    );

    table.register(
        RpcMethod::new(
            "addpeeraddress",
            "hidden",
            "Add the address of a potential peer to an address manager table. This RPC is for testing only.",
            move |_, p: AddPeerAddressParams| {
                let port = p.port;
                let tried = p.tried;
                let ip: IpAddr = p
                    .address
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
        .result("{\n  \"success\" : true|false,    (boolean) whether the peer address was successfully added to the address manager table\n  \"error\" : \"str\"    (string, optional) error description, if the address could not be added\n}"),
    );
}
