//! The version handshake with a hand-driven peer over loopback TCP, as Core's
//! Python test framework performs it.

mod support;

use bitcoin::consensus::encode::deserialize_partial;
use bitcoin::p2p::message::NetworkMessage;
use std::time::Duration;
use support::{start_node, wait_until, FakeChain, RawPeer};

#[test]
fn inbound_handshake_follows_core_order_and_pings() {
    let chain = FakeChain::new();
    let (mgr, addr) = start_node(&chain, "/bitcoin-node:0.1.0(testnode0)/");
    let mut p = RawPeer::connect(addr);
    p.send_version(70017);
    // Core's order: version, wtxidrelay, sendaddrv2, verack.
    let types: Vec<String> = (0..4).map(|_| p.recv().unwrap().0).collect();
    assert_eq!(types, ["version", "wtxidrelay", "sendaddrv2", "verack"]);
    p.send(NetworkMessage::WtxidRelay);
    p.send(NetworkMessage::SendAddrV2);
    p.send(NetworkMessage::Verack);
    // After verack: sendheaders, then an immediate ping, then the initial getheaders.
    let ping = p.expect("ping");
    let nonce: u64 = deserialize_partial(&ping).unwrap().0;
    assert_ne!(nonce, 0);
    p.send(NetworkMessage::Pong(nonce));
    p.expect("getheaders");
    // sync_with_ping: two pings, the node answers both.
    p.send(NetworkMessage::Ping(0));
    p.send(NetworkMessage::Ping(7));
    let a: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    let b: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    assert_eq!((a, b), (0, 7));

    let h = mgr.handle();
    wait_until("ping time", Duration::from_secs(5), || {
        h.peers()[0].stats().ping_time.is_some()
    });
    let peers = h.peers();
    assert_eq!(peers.len(), 1);
    let peer = &peers[0];
    assert!(peer.is_inbound());
    assert_eq!(peer.addr, p.stream.local_addr().unwrap());
    assert_eq!(peer.addr_bind, addr);
    let s = peer.stats();
    assert_eq!(s.version, 70017);
    assert_eq!(s.subver, "/python-p2p-tester:0.0.3/");
    assert!(s.successfully_connected && s.wtxid_relay && s.relay_txs);
    // One 8-byte pong with its 24-byte header: the figure connect_nodes waits for.
    assert_eq!(s.recv_per_msg.get("pong"), Some(&32));
    assert_eq!(s.recv_per_msg.get("ping"), Some(&64));
    assert_eq!(s.sent_per_msg.get("pong"), Some(&64));
    assert_eq!(s.recv_per_msg.get("version").copied(), Some(24 + 111));
    assert!(s.sent_per_msg.contains_key("verack"));
    drop(s);
    assert_eq!(h.connection_counts(), (1, 0));
}

#[test]
fn version_reply_carries_our_user_agent_and_height() {
    let chain = FakeChain::new();
    chain.mine(3);
    let (_mgr, addr) = start_node(&chain, "/bitcoin-node:0.1.0(testnode7)/");
    let mut p = RawPeer::connect(addr);
    p.send_version(70016);
    let payload = p.expect("version");
    let Ok(net::message::Message::Version(v)) = net::message::decode("version", &payload) else {
        panic!("bad version")
    };
    assert_eq!(v.version, 70017);
    assert_eq!(v.user_agent, "/bitcoin-node:0.1.0(testnode7)/");
    assert_eq!(v.start_height, 3);
    assert_eq!(v.services & 9, 9, "NODE_NETWORK | NODE_WITNESS");
}

#[test]
fn redundant_verack_and_disconnect_rpc() {
    let chain = FakeChain::new();
    let (mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    p.send(NetworkMessage::Verack);
    p.send(NetworkMessage::Ping(5));
    let n: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    assert_eq!(n, 5, "still connected after a redundant verack");
    let h = mgr.handle();
    let id = h.peers()[0].id;
    assert!(h.disconnect_id(id));
    assert!(p.closed_by_node());
    wait_until("peer gone", Duration::from_secs(5), || h.peers().is_empty());
    assert!(!h.disconnect_id(id));
}

#[test]
fn old_protocol_version_is_disconnected() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.send_version(31799);
    assert!(p.closed_by_node());
}

#[test]
fn network_inactive_drops_and_refuses_connections() {
    let chain = FakeChain::new();
    let (mgr, addr) = start_node(&chain, "/t/");
    let h = mgr.handle();
    let mut p = RawPeer::connect(addr);
    p.handshake();
    h.set_network_active(false);
    assert!(p.closed_by_node());
    let mut q = RawPeer::connect(addr);
    assert!(q.closed_by_node(), "new connections refused while inactive");
    h.set_network_active(true);
    let mut r = RawPeer::connect(addr);
    r.handshake();
}

fn decode_version(payload: &[u8]) -> net::message::PeerVersion {
    match net::message::decode("version", payload) {
        Ok(net::message::Message::Version(v)) => v,
        other => panic!("not a version: {other:?}"),
    }
}

#[test]
fn outbound_connection_types_follow_core() {
    use bitcoin::p2p::ServiceFlags;
    use net::ConnectionType;
    let chain = FakeChain::new();
    let (mgr, _) = start_node(&chain, "/t/");
    let h = mgr.handle();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();

    // Feeler: handshake messages, then the node hangs up.
    assert!(h.add_connection(&target, ConnectionType::Feeler, false));
    let mut p = RawPeer::accept(&listener);
    let v = decode_version(&p.expect("version"));
    assert!(!v.relay, "feelers ask for no transactions");
    p.send_version_with_services(ServiceFlags::NETWORK | ServiceFlags::WITNESS);
    assert!(p.closed_by_node());

    // Full relay to a peer without NODE_WITNESS: dropped after its version.
    assert!(h.add_connection(&target, ConnectionType::OutboundFullRelay, false));
    let mut p = RawPeer::accept(&listener);
    assert!(decode_version(&p.expect("version")).relay);
    p.send_version_with_services(ServiceFlags::NETWORK);
    assert!(p.closed_by_node());

    // Block-relay-only: no tx relay requested, connection type reported.
    assert!(h.add_connection(&target, ConnectionType::BlockRelay, false));
    let mut p = RawPeer::accept(&listener);
    assert!(!decode_version(&p.expect("version")).relay);
    p.send_version_with_services(ServiceFlags::NETWORK | ServiceFlags::WITNESS);
    p.expect("verack");
    p.send(NetworkMessage::Verack);
    p.send(NetworkMessage::Ping(1));
    p.expect("pong");
    let peers = h.peers();
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].conn_type.as_str(), "block-relay-only");
    assert!(!peers[0].is_inbound());

    // A second block-relay slot exists (to another address), a third does not.
    let listener2 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target2 = listener2.local_addr().unwrap().to_string();
    assert!(h.add_connection(&target2, ConnectionType::BlockRelay, false));
    let _second = RawPeer::accept(&listener2);
    wait_until("two block-relay peers", Duration::from_secs(5), || {
        h.peers().len() == 2
    });
    assert!(!h.add_connection(&target, ConnectionType::BlockRelay, false));
    assert!(!h.add_connection(&target, ConnectionType::Inbound, false));
}

#[test]
fn getheaders_and_getblocks_are_answered_from_the_active_chain() {
    use bitcoin::hashes::Hash;
    use bitcoin::p2p::message_blockdata::GetHeadersMessage;
    let chain = FakeChain::new();
    let genesis = chain.tip_hash();
    chain.mine(5);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let req = GetHeadersMessage {
        version: 70016,
        locator_hashes: vec![genesis],
        stop_hash: bitcoin::BlockHash::all_zeros(),
    };
    p.send(NetworkMessage::GetHeaders(req.clone()));
    let Ok(net::message::Message::Headers(h)) =
        net::message::decode("headers", &p.expect("headers"))
    else {
        panic!("bad headers")
    };
    assert_eq!(h.len(), 5);
    assert_eq!(h[4].block_hash(), chain.tip_hash());
    p.send(NetworkMessage::GetBlocks(
        bitcoin::p2p::message_blockdata::GetBlocksMessage {
            version: 70016,
            locator_hashes: vec![genesis],
            stop_hash: bitcoin::BlockHash::all_zeros(),
        },
    ));
    let Ok(net::message::Message::Inv(inv)) = net::message::decode("inv", &p.expect("inv")) else {
        panic!("bad inv")
    };
    assert_eq!(inv.len(), 5);
}

#[test]
fn capture_messages_writes_both_directions() {
    let dir = std::env::temp_dir().join(format!("net-capture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = net::NetConfig::for_tests("/t/");
    config.data_dir = Some(dir.clone());
    config.capture_messages = true;
    let chain = FakeChain::new();
    let (mgr, addr) = support::start_node_with(&chain, config);
    let mut p = RawPeer::connect(addr);
    p.handshake();
    p.send(NetworkMessage::Ping(9));
    p.expect("pong");
    let peer_dir = dir
        .join("message_capture")
        .join(p.stream.local_addr().unwrap().to_string().replace(':', "_"));
    let types = |name: &str| -> Vec<String> {
        let data = std::fs::read(peer_dir.join(name)).unwrap_or_default();
        let mut out = Vec::new();
        let mut rest = &data[..];
        while rest.len() >= 24 {
            let t = String::from_utf8_lossy(&rest[8..20])
                .trim_end_matches('\0')
                .to_string();
            let len = u32::from_le_bytes([rest[20], rest[21], rest[22], rest[23]]) as usize;
            rest = &rest[24 + len..];
            out.push(t);
        }
        out
    };
    wait_until("capture files", Duration::from_secs(5), || {
        types("msgs_sent.dat").contains(&"pong".to_string())
    });
    assert_eq!(types("msgs_recv.dat")[0], "version");
    assert_eq!(types("msgs_sent.dat")[0], "version");
    // Stop the node first: it may still be writing capture records.
    drop(mgr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn whitebind_permissions_reach_inbound_peers() {
    let mut config = net::NetConfig::for_tests("/t/");
    config.binds = vec![net::config::BindSpec {
        addr: "127.0.0.1:0".parse().unwrap(),
        onion: false,
        required: true,
        permissions: net::config::Permissions {
            names: vec!["download".into(), "noban".into()],
        },
    }];
    let chain = FakeChain::new();
    let mgr = net::NetManager::start(config, chain.clone()).unwrap();
    let h = mgr.handle();
    let mut p = RawPeer::connect(h.listen_addrs()[0]);
    p.handshake();
    let peers = h.peers();
    assert_eq!(peers[0].permissions.names, ["download", "noban"]);
    // noban: a misbehaving peer is not disconnected.
    let mut payload =
        bitcoin::consensus::encode::serialize(&bitcoin::consensus::encode::VarInt(2001));
    payload.extend(std::iter::repeat_n(0u8, 81));
    p.send_raw(&net::wire::encode_frame(
        support::REGTEST_MAGIC,
        "headers",
        &payload,
    ));
    p.send(NetworkMessage::Ping(4));
    let n: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    assert_eq!(n, 4);
}
