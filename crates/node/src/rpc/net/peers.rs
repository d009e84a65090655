//! Peer RPCs: `getpeerinfo`, `getconnectioncount`, `addnode`,
//! `disconnectnode`, `getaddednodeinfo`, `getnettotals`, `ping`,
//! `setnetworkactive` and the test-only `addconnection`.

use std::net::IpAddr;

use net::{NetHandle, Peer};
use rpc::{code, Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use super::{services_names, NODE_ALREADY_ADDED, NODE_CAPACITY_REACHED, NODE_NOT_ADDED};

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
    o.insert("servicesnames".into(), json!(services_names(s.services)));
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
        o.insert("pingtime".into(), json!(t.as_secs_f64()));
    }
    if let Some(t) = s.min_ping {
        o.insert("minping".into(), json!(t.as_secs_f64()));
    }
    if let Some(start) = s.ping_started {
        let waited = net::clock::now_micros() - start;
        o.insert("pingwait".into(), json!(waited as f64 / 1e6));
    }
    o.insert("version".into(), json!(s.version));
    o.insert("subver".into(), json!(s.subver));
    o.insert("inbound".into(), json!(peer.is_inbound()));
    o.insert("bip152_hb_to".into(), json!(false));
    o.insert("bip152_hb_from".into(), json!(false));
    o.insert("presynced_headers".into(), json!(-1));
    o.insert("synced_headers".into(), json!(s.synced_headers));
    o.insert("synced_blocks".into(), json!(s.synced_blocks));
    o.insert("inflight".into(), json!(s.inflight));
    o.insert("addr_relay_enabled".into(), json!(false));
    o.insert("addr_processed".into(), json!(0));
    o.insert("addr_rate_limited".into(), json!(0));
    o.insert("permissions".into(), json!(peer.permissions.names));
    o.insert(
        "minfeefilter".into(),
        rpc::json::amount_to_value(s.fee_filter),
    );
    o.insert("bytessent_per_msg".into(), json!(s.sent_per_msg));
    o.insert("bytesrecv_per_msg".into(), json!(s.recv_per_msg));
    o.insert("connection_type".into(), json!(peer.conn_type.as_str()));
    o.insert("transport_protocol_type".into(), json!("v1"));
    o.insert("session_id".into(), json!(""));
    Value::Object(o)
}

/// Registers the peer RPCs on `table`.
pub(super) fn register(table: &RpcTable, net: NetHandle, v2_enabled: bool, regtest: bool) {
    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getpeerinfo",
            "network",
            "Returns data about each connected network peer as a json array of objects.",
            move |_| Ok(Value::Array(h.peers().iter().map(|p| peer_json(p)).collect())),
        )
        .result("[\n  {\n    \"id\" : n,    (numeric) Peer index\n    \"addr\" : \"str\",    (string) (host:port) The IP address and port of the peer\n    \"network\" : \"str\",    (string) Network (ipv4, ipv6, onion, i2p, cjdns, not_publicly_routable)\n    ...\n  },\n  ...\n]"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getconnectioncount",
            "network",
            "Returns the number of connections to other nodes.",
            move |_| {
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
            move |req| {
                let node = req.params.str_at(0)?.to_string();
                let command = req.params.str_at(1)?.to_string();
                let v2 = req.params.opt_bool(2)?.unwrap_or(false);
                if !matches!(command.as_str(), "onetry" | "add" | "remove") {
                    return Err(RpcError::misc("addnode \"node\" \"command\" ( v2transport )"));
                }
                if v2 && !v2_enabled {
                    return Err(RpcError::invalid_parameter(
                        "Error: v2transport requested but not enabled (see -v2transport)",
                    ));
                }
                match command.as_str() {
                    "onetry" => h.connect_once(&node),
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
        .args(vec![
            Arg::required("node", ArgType::Str, "The IP address/port of the peer to connect to"),
            Arg::required("command", ArgType::Str, "'add' to add a node to the list, 'remove' to remove a node from the list, 'onetry' to try a connection to the node once"),
            Arg::with_hint("v2transport", ArgType::Bool, "set by -v2transport", "Attempt to connect using BIP324 v2 transport protocol (ignored for 'remove' command)"),
        ])
        .result("null    (json null)"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "disconnectnode",
            "network",
            "Immediately disconnects from the specified peer node.\n\nStrictly one out of 'address' and 'nodeid' can be provided to identify the node.\n\nTo disconnect by nodeid, either set 'address' to the empty string, or call using the named 'nodeid' argument only.",
            move |req| {
                let address = req.params.opt(0).filter(|v| !v.is_null());
                let id = req.params.opt(1).filter(|v| !v.is_null());
                let found = match (address, id) {
                    (Some(Value::String(a)), None) => h.disconnect_address(a),
                    (None, Some(id)) | (Some(Value::String(_)), Some(id))
                        if address.is_none_or(|a| a.as_str() == Some("")) =>
                    {
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
        .args(vec![
            Arg::with_hint("address", ArgType::Str, "fallback to nodeid", "The IP address/port of the node"),
            Arg::with_hint("nodeid", ArgType::Num, "fallback to address", "The node ID (see getpeerinfo for node IDs)"),
        ])
        .result("null    (json null)"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getaddednodeinfo",
            "network",
            "Returns information about the given added node, or all added nodes\n(note that onetry addnodes are not listed here)",
            move |req| {
                let filter = req.params.opt_str(0)?.map(str::to_string);
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
        .args(vec![Arg::with_hint("node", ArgType::Str, "all nodes", "If provided, return information about this specific node, otherwise all nodes are returned.")])
        .result("[\n  {\n    \"addednode\" : \"str\",    (string) The node IP address or name (as provided to addnode)\n    \"connected\" : true|false,    (boolean) If connected\n    \"addresses\" : [ ... ]\n  },\n  ...\n]"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "getnettotals",
            "network",
            "Returns information about network traffic, including bytes in, bytes out,\nand current system time.",
            move |_| {
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
            move |_| {
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
            move |req| {
                let state = req
                    .params
                    .opt_bool(0)?
                    .ok_or_else(|| RpcError::invalid_parameter("Missing state"))?;
                h.set_network_active(state);
                Ok(json!(h.network_active()))
            },
        )
        .args(vec![Arg::required(
            "state",
            ArgType::Bool,
            "true to enable networking, false to disable",
        )])
        .result("bool    (boolean) The value that was passed in"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "addconnection",
            "hidden",
            "Open an outbound connection to a specified node. This RPC is for testing only.",
            move |req| {
                if !regtest {
                    return Err(RpcError::misc("addconnection is for regression testing (-regtest mode) only."));
                }
                let address = req.params.str_at(0)?.to_string();
                let type_name = req.params.str_at(1)?.trim().to_string();
                let v2 = req.params.opt_bool(2)?.unwrap_or(false);
                let Some(conn_type) = net::ConnectionType::from_addconnection(&type_name) else {
                    return Err(RpcError::invalid_parameter(
                        "addconnection \"address\" \"connection_type\" v2transport",
                    ));
                };
                if v2 {
                    // We never offer NODE_P2P_V2, so v2 connections are never available.
                    return Err(RpcError::invalid_parameter(
                        "Error: Adding v2transport connections requires -v2transport init flag to be set.",
                    ));
                }
                if !h.add_connection(&address, conn_type) {
                    return Err(RpcError::new(
                        NODE_CAPACITY_REACHED,
                        "Error: Already at capacity for specified connection type.",
                    ));
                }
                Ok(json!({"address": address, "connection_type": type_name}))
            },
        )
        .args(vec![
            Arg::required("address", ArgType::Str, "The IP address and port to attempt connecting to."),
            Arg::required("connection_type", ArgType::Str, "Type of connection to open (\"outbound-full-relay\", \"block-relay-only\", \"addr-fetch\" or \"feeler\")."),
            Arg::required("v2transport", ArgType::Bool, "Attempt to connect using BIP324 v2 transport protocol"),
        ])
        .hidden()
        .result("{\n  \"address\" : \"str\",    (string) Address of newly added connection.\n  \"connection_type\" : \"str\"    (string) Type of connection opened.\n}"),
    );
}
