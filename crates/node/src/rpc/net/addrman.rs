//! RPCs over the address manager: `getnodeaddresses`, `getaddrmaninfo`,
//! and the test-only `addpeeraddress` and `getrawaddrman`.

use super::INVALID_IP_OR_SUBNET;
use net::addrman::AddrInfo;
use net::netaddr::{NetAddr, Network};
use net::NetHandle;
use rpc::{code, rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

/// Core's network name of an address (`GetNetClass`: unroutable ones have
/// a class of their own).
fn network_name(addr: &NetAddr) -> &'static str {
    if addr.is_routable() {
        addr.network().name()
    } else {
        Network::Unroutable.name()
    }
}

/// One `getrawaddrman` entry.
fn raw_entry(info: &AddrInfo) -> Value {
    json!({
        "address": info.addr.addr.to_string(),
        "port": info.addr.port,
        "services": info.services,
        "time": info.time,
        "network": network_name(&info.addr.addr),
        "source": info.source.to_string(),
        "source_network": network_name(&info.source),
    })
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
                let network = match &p.network {
                    None => None,
                    Some(n) => Some(Network::from_name(n).ok_or_else(|| {
                        RpcError::new(code::INVALID_PARAMETER, format!("Network not recognized: {n}"))
                    })?),
                };
                let list: Vec<Value> = h
                    .node_addresses(count as usize, network)
                    .into_iter()
                    .map(|info| {
                        json!({
                            "time": info.time,
                            "services": info.services,
                            "address": info.addr.addr.to_string(),
                            "port": info.addr.port,
                            "network": network_name(&info.addr.addr),
                        })
                    })
                    .collect();
                Ok(Value::Array(list))
            },
        )
        .result("[\n  {\n    \"time\" : xxx,    (numeric) The UNIX epoch time when the node was last seen\n    \"services\" : n,    (numeric) The services offered by the node\n    \"address\" : \"str\",    (string) The address of the node\n    \"port\" : n,    (numeric) The port number of the node\n    \"network\" : \"str\"    (string) The network the node connected through\n  },\n  ...\n]"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getaddrmaninfo",
            "network",
            "Provides information about the node's address manager by returning the number of addresses in the `new` and `tried` tables and their sum for all networks.",
            move |_, ()| {
                let mut out = Map::new();
                let entry = |(new, tried): (usize, usize)| json!({"new": new, "tried": tried, "total": new + tried});
                for net in Network::ALL {
                    out.insert(net.name().to_string(), entry(h.addrman_counts(Some(net))));
                }
                out.insert("all_networks".to_string(), entry(h.addrman_counts(None)));
                Ok(Value::Object(out))
            },
        )
        .result("{                   (json object) json object with network type as keys\n  \"network\" : {    (json object) the network (ipv4, ipv6, onion, i2p, cjdns, all_networks)\n    \"new\" : n,      (numeric) number of addresses in the new table, which represent potential peers the node has discovered but hasn't yet successfully connected to.\n    \"tried\" : n,    (numeric) number of addresses in the tried table, which represent peers the node has successfully connected to in the past.\n    \"total\" : n     (numeric) total number of addresses in both new/tried tables\n  },\n  ...\n}"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getrawaddrman",
            "hidden",
            "EXPERIMENTAL warning: this call may be changed in future releases.\n\nReturns information on all address manager entries for the new and tried tables.",
            move |_, ()| {
                let table = |tried: bool| {
                    let mut m = Map::new();
                    for (slot, info) in h.addrman_entries(tried) {
                        m.insert(format!("{}/{}", slot.bucket, slot.position), raw_entry(&info));
                    }
                    Value::Object(m)
                };
                Ok(json!({"new": table(false), "tried": table(true)}))
            },
        ),
    );

    table.register(
        RpcMethod::new(
            "addpeeraddress",
            "hidden",
            "Add the address of a potential peer to an address manager table. This RPC is for testing only.",
            move |_, p: AddPeerAddressParams| {
                let port = p.port;
                let tried = p.tried;
                let addr = NetAddr::parse(&p.address)
                    .ok_or_else(|| RpcError::new(INVALID_IP_OR_SUBNET, "Invalid IP address"))?;
                Ok(match net.add_peer_address(addr, port, tried) {
                    Ok(()) => json!({"success": true}),
                    Err(e) => json!({"error": e, "success": false}),
                })
            },
        )
        .result("{\n  \"success\" : true|false,    (boolean) whether the peer address was successfully added to the address manager table\n  \"error\" : \"str\"    (string, optional) error description, if the address could not be added\n}"),
    );
}
