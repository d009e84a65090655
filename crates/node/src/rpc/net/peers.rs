//! Peer RPCs: `getpeerinfo`, `getconnectioncount`, `addnode`,
//! `disconnectnode`, `getaddednodeinfo`, `getnettotals`, `ping`,
//! `setnetworkactive` and the test-only `addconnection`.

use std::net::IpAddr;

use net::{NetHandle, Peer};
use rpc::{code, rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use super::{NODE_ALREADY_ADDED, NODE_CAPACITY_REACHED, NODE_NOT_ADDED};

/// Core's network class of a peer address (`ipv4`, `ipv6`, `onion`,
/// `not_publicly_routable`).
fn network_name(peer: &Peer) -> &'static str {
    if peer.inbound_onion {
        return "onion";
    }
    let ip = match peer.addr.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_loopback() || v4.is_private() || v4.is_unspecified() || v4.is_link_local() {
                "not_publicly_routable"
            } else {
                "ipv4"
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_loopback() || v6.is_unspecified() {
                "not_publicly_routable"
            } else {
                "ipv6"
            }
        }
    }
}

fn peer_json(peer: &Peer) -> Value {
    let s = peer.stats();
    let mut o = Map::new();
    o.insert("id".into(), json!(peer.id));
    o.insert("addr".into(), json!(peer.addr_name));
    o.insert("addrbind".into(), json!(peer.addr_bind.to_string()));
    if let Some(local) = s.addr_local.filter(|a| !a.ip().is_unspecified()) {
        o.insert("addrlocal".into(), json!(local.to_string()));
    }
    o.insert("network".into(), json!(network_name(peer)));
    o.insert("services".into(), json!(format!("{:016x}", s.services)));
    o.insert(
        "servicesnames".into(),
        json!(common::services::service_names(s.services)),
    );
    o.insert("relaytxes".into(), json!(s.relay_txs));
    o.insert("last_inv_sequence".into(), json!(0));
    o.insert("inv_to_send".into(), json!(0));
    o.insert("lastsend".into(), json!(s.last_send));
    o.insert("lastrecv".into(), json!(s.last_recv));
    o.insert("last_transaction".into(), json!(s.last_transaction));
    o.insert("last_block".into(), json!(s.last_block));
    o.insert("bytessent".into(), json!(s.bytes_sent));
    o.insert("bytesrecv".into(), json!(s.bytes_recv));
    o.insert("conntime".into(), json!(peer.connected_at));
    o.insert("timeoffset".into(), json!(0));
    if let Some(t) = s.ping_time {
        o.insert(
            "pingtime".into(),
            rpc::json::double_to_value(t.as_secs_f64()),
        );
    }
    if let Some(t) = s.min_ping {
        o.insert(
            "minping".into(),
            rpc::json::double_to_value(t.as_secs_f64()),
        );
    }
    if let Some(start) = s.ping_started {
        let waited = net::clock::now_micros() - start;
        o.insert(
            "pingwait".into(),
            rpc::json::double_to_value(waited as f64 / 1e6),
        );
    }
    o.insert("version".into(), json!(s.version));
    o.insert("subver".into(), json!(s.subver));
    o.insert("inbound".into(), json!(peer.is_inbound()));
    o.insert("bip152_hb_to".into(), json!(s.bip152_hb_to));
    o.insert("bip152_hb_from".into(), json!(s.bip152_hb_from));
    o.insert("presynced_headers".into(), json!(-1));
    o.insert("synced_headers".into(), json!(s.synced_headers));
    o.insert("synced_blocks".into(), json!(s.synced_blocks));
    o.insert("inflight".into(), json!(s.inflight));
    o.insert("addr_relay_enabled".into(), json!(s.addr_relay_enabled));
    o.insert("addr_processed".into(), json!(s.addr_processed));
    o.insert("addr_rate_limited".into(), json!(s.addr_rate_limited));
    o.insert("permissions".into(), json!(peer.permissions.names));
    o.insert(
        "minfeefilter".into(),
        rpc::json::amount_to_value(s.fee_filter),
    );
    o.insert("bytessent_per_msg".into(), json!(s.sent_per_msg));
    o.insert("bytesrecv_per_msg".into(), json!(s.recv_per_msg));
    o.insert("connection_type".into(), json!(peer.conn_type.as_str()));
    o.insert(
        "transport_protocol_type".into(),
        json!(s.transport.as_str()),
    );
    o.insert("session_id".into(), json!(s.session_id));
    Value::Object(o)
}

rpc_params! {
    /// `addnode`'s parameters.
    struct AddNodeParams {
        /// The IP address/port of the peer to connect to
        node: String [Str, required],
        /// 'add' to add a node to the list, 'remove' to remove a node from the list, 'onetry' to try a connection to the node once
        command: String [Str, required],
        /// Attempt to connect using BIP324 v2 transport protocol (ignored for 'remove' command)
        v2transport: Option<bool> [Bool, hint = "set by -v2transport"],
    }
}

rpc_params! {
    /// `disconnectnode`'s parameters.
    struct DisconnectNodeParams {
        /// The IP address/port of the node
        address: Option<String> [Str, hint = "fallback to nodeid"],
        /// The node ID (see getpeerinfo for node IDs)
        nodeid: Option<Value> [Num, hint = "fallback to address"],
    }
}

rpc_params! {
    /// `getaddednodeinfo`'s parameters.
    struct GetAddedNodeInfoParams {
        /// If provided, return information about this specific node, otherwise all nodes are returned.
        node: Option<String> [Str, hint = "all nodes"],
    }
}

rpc_params! {
    /// `sendmsgtopeer`'s parameters.
    struct SendMsgToPeerParams {
        /// The peer to send the message to.
        peer_id: i64 [Num, required],
        /// The message type (maximum length 12)
        msg_type: String [Str, required],
        /// The serialized message body to send, in hex, without a message header
        msg: String [StrHex, required],
    }
}

/// `sendmsgtopeer`: a test-only raw message; any type and body are allowed,
/// only the type's length is bounded by the header field.
fn send_msg_to_peer(net: &NetHandle, p: SendMsgToPeerParams) -> Result<Value, RpcError> {
    let max = net::wire::MESSAGE_TYPE_SIZE;
    if p.msg_type.len() > max {
        return Err(RpcError::invalid_parameter(format!(
            "Error: msg_type too long, max length is {max}"
        )));
    }
    let payload = hex::decode(&p.msg)
        .map_err(|_| RpcError::invalid_parameter("Error parsing input for msg"))?;
    if !net.send_raw(p.peer_id, &p.msg_type, &payload) {
        return Err(RpcError::misc("Error: Could not send message to peer"));
    }
    Ok(json!({}))
}

rpc_params! {
    /// `setnetworkactive`'s parameters.
    struct SetNetworkActiveParams {
        /// true to enable networking, false to disable
        state: bool [Bool, required],
    }
}

rpc_params! {
    /// `addconnection`'s parameters.
    struct AddConnectionParams {
        /// The IP address and port to attempt connecting to.
        address: String [Str, required],
        /// Type of connection to open ("outbound-full-relay", "block-relay-only", "addr-fetch" or "feeler").
        connection_type: String [Str, required],
        /// Attempt to connect using BIP324 v2 transport protocol
        v2transport: bool [Bool, required],
    }
}

/// Registers the peer RPCs on `table`.
pub(super) fn register(table: &RpcTable, net: NetHandle, v2_enabled: bool, regtest: bool) {
    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getpeerinfo",
            "network",
            "Returns data about each connected network peer as a json array of objects.",
            move |_, ()| Ok(Value::Array(h.peers().iter().map(|p| peer_json(p)).collect())),
        )
        .result("[\n  {\n    \"id\" : n,    (numeric) Peer index\n    \"addr\" : \"str\",    (string) (host:port) The IP address and port of the peer\n    \"network\" : \"str\",    (string) Network (ipv4, ipv6, onion, i2p, cjdns, not_publicly_routable)\n    ...\n  },\n  ...\n]"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getconnectioncount",
            "network",
            "Returns the number of connections to other nodes.",
            move |_, ()| {
                let (i, o) = h.connection_counts();
                Ok(json!(i + o))
            },
        )
        .result("n    (numeric) The connection count"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "addnode",
            "network",
            "Attempts to add or remove a node from the addnode list.\nOr try a connection to a node once.\nNodes added using addnode (or -connect) are protected from DoS disconnection and are not required to be\nfull nodes/support SegWit as other outbound peers are (though such peers will not be synced from).\nAddnode connections are limited to 8 at a time and are counted separately from the -maxconnections limit.",
            move |_, p: AddNodeParams| {
                let (node, command) = (p.node, p.command);
                let v2 = p.v2transport.unwrap_or(v2_enabled);
                if !matches!(command.as_str(), "onetry" | "add" | "remove") {
                    return Err(RpcError::misc("addnode \"node\" \"command\" ( v2transport )"));
                }
                if v2 && !v2_enabled {
                    return Err(RpcError::invalid_parameter(
                        "Error: v2transport requested but not enabled (see -v2transport)",
                    ));
                }
                match command.as_str() {
                    "onetry" => h.connect_once(&node, v2),
                    "add" => h.add_node(&node).map_err(|_| {
                        RpcError::new(NODE_ALREADY_ADDED, "Error: Node already added")
                    })?,
                    _ => h.remove_node(&node).map_err(|_| {
                        RpcError::new(
                            NODE_NOT_ADDED,
                            "Error: Node could not be removed. It has not been added previously.",
                        )
                    })?,
                }
                Ok(Value::Null)
            },
        )
        .result("null    (json null)"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "disconnectnode",
            "network",
            "Immediately disconnects from the specified peer node.\n\nStrictly one out of 'address' and 'nodeid' can be provided to identify the node.\n\nTo disconnect by nodeid, either set 'address' to the empty string, or call using the named 'nodeid' argument only.",
            move |_, p: DisconnectNodeParams| {
                let found = match (p.address.as_deref(), p.nodeid) {
                    (Some(a), None) => h.disconnect_address(a),
                    (None | Some(""), Some(id)) => {
                        let id = id
                            .as_i64()
                            .ok_or_else(|| RpcError::type_error("JSON value of type string is not of expected type number"))?;
                        h.disconnect_id(id)
                    }
                    _ => {
                        return Err(RpcError::new(
                            code::INVALID_PARAMS,
                            "Only one of address and nodeid should be provided.",
                        ))
                    }
                };
                if !found {
                    return Err(RpcError::new(
                        code::CLIENT_NODE_NOT_CONNECTED,
                        "Node not found in connected nodes",
                    ));
                }
                Ok(Value::Null)
            },
        )
        .result("null    (json null)"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getaddednodeinfo",
            "network",
            "Returns information about the given added node, or all added nodes\n(note that onetry addnodes are not listed here)",
            move |_, p: GetAddedNodeInfoParams| {
                let filter = p.node;
                let added = h.added_nodes();
                if let Some(f) = &filter {
                    if !added.iter().any(|(n, _)| n == f) {
                        return Err(RpcError::new(NODE_NOT_ADDED, "Error: Node has not been added."));
                    }
                }
                let list: Vec<Value> = added
                    .into_iter()
                    .filter(|(n, _)| filter.as_ref().is_none_or(|f| f == n))
                    .map(|(n, peer)| {
                        let addresses: Vec<Value> = peer
                            .iter()
                            .map(|p| json!({"address": p.addr.to_string(), "connected": if p.is_inbound() { "inbound" } else { "outbound" }}))
                            .collect();
                        json!({"addednode": n, "connected": peer.is_some(), "addresses": addresses})
                    })
                    .collect();
                Ok(Value::Array(list))
            },
        )
        .result("[\n  {\n    \"addednode\" : \"str\",    (string) The node IP address or name (as provided to addnode)\n    \"connected\" : true|false,    (boolean) If connected\n    \"addresses\" : [ ... ]\n  },\n  ...\n]"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getnettotals",
            "network",
            "Returns information about network traffic, including bytes in, bytes out,\nand current system time.",
            move |_, ()| {
                let (recv, sent) = h.totals();
                let millis = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                Ok(json!({
                    "totalbytesrecv": recv,
                    "totalbytessent": sent,
                    "timemillis": millis,
                    "uploadtarget": {
                        "timeframe": 86400,
                        "target": 0,
                        "target_reached": false,
                        "serve_historical_blocks": true,
                        "bytes_left_in_cycle": 0,
                        "time_left_in_cycle": 0,
                    },
                }))
            },
        )
        .result("{\n  \"totalbytesrecv\" : n,    (numeric) Total bytes received\n  \"totalbytessent\" : n,    (numeric) Total bytes sent\n  ...\n}"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "ping",
            "network",
            "Requests that a ping be sent to all other nodes, to measure ping time.\nResults are provided in getpeerinfo, pingtime and pingwait fields are decimal seconds.\nPing command is handled in queue with all other commands, so it measures processing backlog, not just network ping.",
            move |_, ()| {
                h.ping_all();
                Ok(Value::Null)
            },
        )
        .result("null    (json null)"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "setnetworkactive",
            "network",
            "Disable/enable all p2p network activity.",
            move |_, p: SetNetworkActiveParams| {
                h.set_network_active(p.state);
                Ok(json!(h.network_active()))
            },
        )
        .result("bool    (boolean) The value that was passed in"),
    );

    let h = net.clone();
    table.register(RpcMethod::new(
        "sendmsgtopeer",
        "hidden",
        "Send a p2p message to a peer specified by id.\nThe message type and body must be provided, the message header will be generated.\nThis RPC is for testing only.",
        move |_, p| send_msg_to_peer(&h, p),
    ));

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "addconnection",
            "hidden",
            "Open an outbound connection to a specified node. This RPC is for testing only.",
            move |_, p: AddConnectionParams| {
                if !regtest {
                    return Err(RpcError::misc("addconnection is for regression testing (-regtest mode) only."));
                }
                let address = p.address;
                let type_name = p.connection_type.trim().to_string();
                let v2 = p.v2transport;
                let Some(conn_type) = net::ConnectionType::from_addconnection(&type_name) else {
                    return Err(RpcError::invalid_parameter(
                        "addconnection \"address\" \"connection_type\" v2transport",
                    ));
                };
                if v2 && !h.v2_enabled() {
                    return Err(RpcError::invalid_parameter(
                        "Error: Adding v2transport connections requires -v2transport init flag to be set.",
                    ));
                }
                if !h.add_connection(&address, conn_type, v2) {
                    return Err(RpcError::new(
                        NODE_CAPACITY_REACHED,
                        "Error: Already at capacity for specified connection type.",
                    ));
                }
                Ok(json!({"address": address, "connection_type": type_name}))
            },
        )
        .hidden()
        .result("{\n  \"address\" : \"str\",    (string) Address of newly added connection.\n  \"connection_type\" : \"str\"    (string) Type of connection opened.\n}"),
    );
}
