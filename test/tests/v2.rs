//! Two `bitcoin-node` processes speaking the BIP324 v2 transport to each other,
//! and a v2 node falling back to v1 for a peer that only speaks v1.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The only peer of `node`, once its handshake is complete.
fn connected_peer(node: &TestNode) -> Option<Value> {
    let peers = node.rpc("getpeerinfo", json!([]));
    let peer = peers.as_array()?.first()?.clone();
    (peer["bytesrecv_per_msg"]["verack"].as_u64().unwrap_or(0) > 0).then_some(peer)
}

fn node(index: u32, v2: bool) -> TestNode {
    let mut n = TestNode::new();
    n.index = index;
    n.start(&[if v2 {
        "-v2transport=1"
    } else {
        "-v2transport=0"
    }]);
    n
}

#[test]
fn v2_nodes_share_an_encrypted_session() {
    let (mut a, mut b) = (node(0, true), node(1, true));
    let info = a.rpc("getnetworkinfo", json!([]));
    assert!(info["localservicesnames"]
        .as_array()
        .unwrap()
        .contains(&json!("P2P_V2")));
    let target = format!("127.0.0.1:{}", b.p2p_port);
    a.rpc("addnode", json!([target, "onetry"]));
    wait_until("a connected", || connected_peer(&a).is_some());
    wait_until("b connected", || connected_peer(&b).is_some());
    let (pa, pb) = (connected_peer(&a).unwrap(), connected_peer(&b).unwrap());
    assert_eq!(pa["transport_protocol_type"], "v2");
    assert_eq!(pb["transport_protocol_type"], "v2");
    assert_eq!(pa["session_id"].as_str().unwrap().len(), 64);
    assert_eq!(pa["session_id"], pb["session_id"]);
    // Messages go as packets: a ping is a one-byte id, 8 bytes and 20 of overhead.
    wait_until("pong counted", || {
        connected_peer(&a).is_some_and(|p| p["bytesrecv_per_msg"]["pong"] == 29)
    });
    assert!(a
        .debug_log()
        .contains("start sending v2 handshake to peer=0"));
    assert!(a
        .debug_log()
        .contains("New manual peer connected: transport: v2"));
    assert_eq!(a.stop(), "");
    assert_eq!(b.stop(), "");
}

#[test]
fn v2_offer_to_a_v1_node_is_retried_as_v1() {
    let (mut a, mut b) = (node(0, true), node(1, false));
    let info = b.rpc("getnetworkinfo", json!([]));
    assert!(!info["localservicesnames"]
        .as_array()
        .unwrap()
        .contains(&json!("P2P_V2")));
    let target = format!("127.0.0.1:{}", b.p2p_port);
    a.rpc(
        "addnode",
        json!({"node": target, "command": "onetry", "v2transport": true}),
    );
    wait_until("a connected", || connected_peer(&a).is_some());
    assert_eq!(connected_peer(&a).unwrap()["transport_protocol_type"], "v1");
    wait_until("b connected", || connected_peer(&b).is_some());
    assert_eq!(connected_peer(&b).unwrap()["session_id"], "");
    assert!(a
        .debug_log()
        .contains("retrying with v1 transport protocol for peer=0"));
    assert_eq!(a.stop(), "");
    assert_eq!(b.stop(), "");
}
