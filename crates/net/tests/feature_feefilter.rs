//! BIP434 `feature` handling and the `feefilter` we send, with a hand-driven
//! peer over loopback TCP, checked against Core's behaviour.

mod support;

use bitcoin::consensus::encode::{deserialize, serialize, VarInt};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use net::config::parse_whitelist;
use net::{FeeFloor, NetConfig};
use support::{dummy_tx, start_node, start_node_with, FakeChain, RawPeer, REGTEST_MAGIC};

/// A `feature` payload: length-prefixed id, then length-prefixed data.
fn feature_payload(id: &[u8], data: &[u8]) -> Vec<u8> {
    let mut p = serialize(&VarInt(id.len() as u64));
    p.extend(id);
    p.extend(serialize(&VarInt(data.len() as u64)));
    p.extend(data);
    p
}

fn send_feature(p: &mut RawPeer, payload: &[u8]) {
    p.send_raw(&net::wire::encode_frame(REGTEST_MAGIC, "feature", payload));
}

/// Sends `version`, then returns every message the node sent up to its `verack`.
fn start_handshake(p: &mut RawPeer, version: u32) -> Vec<String> {
    p.send_version(version);
    let mut seen = Vec::new();
    while seen.last().is_none_or(|t| t != "verack") {
        seen.push(p.recv().expect("closed during the handshake").0);
    }
    seen
}

/// Pings the node and returns what it sent before the `pong`, answering its pings.
fn messages_until_pong(p: &mut RawPeer) -> Vec<(String, Vec<u8>)> {
    p.send(NetworkMessage::Ping(0xfeed));
    let mut out = Vec::new();
    loop {
        let (t, payload) = p.recv().expect("closed before pong");
        match t.as_str() {
            "pong" => return out,
            "ping" => {
                let nonce: u64 = deserialize(&payload).unwrap();
                p.send(NetworkMessage::Pong(nonce));
            }
            _ => {}
        }
        out.push((t, payload));
    }
}

fn feefilters(msgs: &[(String, Vec<u8>)]) -> Vec<i64> {
    msgs.iter()
        .filter(|(t, _)| t == "feefilter")
        .map(|(_, p)| deserialize(p).unwrap())
        .collect()
}

#[test]
fn unknown_feature_is_ignored_and_none_is_announced() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    let sent = start_handshake(&mut p, 70017);
    assert!(!sent.iter().any(|t| t == "feature"), "{sent:?}");
    send_feature(&mut p, &feature_payload(b"BIP-FOO", &[1, 0, 0, 0]));
    p.send(NetworkMessage::Verack);
    // Still connected, and the first feefilter is the relay fee floor.
    let msgs = messages_until_pong(&mut p);
    assert_eq!(feefilters(&msgs), [100]);
}

#[test]
fn feature_after_verack_disconnects() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    start_handshake(&mut p, 70017);
    p.send(NetworkMessage::Verack);
    messages_until_pong(&mut p);
    send_feature(&mut p, &feature_payload(b"BIP-FOO", &[]));
    assert!(p.closed_by_node());
}

#[test]
fn feature_from_pre_70017_peer_disconnects() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    start_handshake(&mut p, 70016);
    send_feature(&mut p, &feature_payload(b"BIP-FOO", &[]));
    assert!(p.closed_by_node());
}

#[test]
fn invalid_feature_payloads_disconnect() {
    let mut trailing = feature_payload(b"BIP-FOO", &[]);
    trailing.push(0);
    for bad in [
        feature_payload(b"abc", &[]),
        feature_payload(&[b'x'; 81], &[]),
        feature_payload(b"BIP-FOO", &[0; 513]),
        trailing,
    ] {
        let chain = FakeChain::new();
        let (_mgr, addr) = start_node(&chain, "/t/");
        let mut p = RawPeer::connect(addr);
        start_handshake(&mut p, 70017);
        send_feature(&mut p, &bad);
        assert!(p.closed_by_node(), "{bad:?}");
    }
}

#[test]
fn feefilter_is_the_maximum_in_ibd_then_follows_the_mempool_minimum() {
    let chain = FakeChain::new();
    chain.fee_floor.lock().unwrap().initial_download = true;
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    start_handshake(&mut p, 70017);
    p.send(NetworkMessage::Verack);
    let ibd: i64 = deserialize(&p.expect("feefilter")).unwrap();
    // Core's MAX_FILTER: the top bucket below 1e7 sat/kvB.
    assert!((9_000_000..=10_000_000).contains(&ibd), "{ibd}");
    *chain.fee_floor.lock().unwrap() = FeeFloor {
        mempool_min: 5000,
        min_relay: 100,
        initial_download: false,
    };
    // Leaving IBD sends the real filter on the next tick, not minutes later.
    let after: i64 = deserialize(&p.expect("feefilter")).unwrap();
    // 5000 sat/kvB lies between the buckets 50*1.1^48 and 50*1.1^49.
    assert!([4850, 5335].contains(&after), "{after}");
}

#[test]
fn no_feefilter_in_blocksonly_mode_or_to_forcerelay_peers() {
    let chain = FakeChain::new();
    let mut blocksonly = NetConfig::for_tests("/t/");
    blocksonly.relay_txs = false;
    let mut forcerelay = NetConfig::for_tests("/t/");
    forcerelay.whitelist = vec![parse_whitelist("forcerelay@127.0.0.1").unwrap()];
    for config in [blocksonly, forcerelay] {
        let (_mgr, addr) = start_node_with(&chain, config);
        let mut p = RawPeer::connect(addr);
        start_handshake(&mut p, 70017);
        p.send(NetworkMessage::Verack);
        let msgs = messages_until_pong(&mut p);
        assert!(feefilters(&msgs).is_empty(), "{msgs:?}");
    }
}

#[test]
fn feefilter_never_goes_below_the_relay_fee() {
    let chain = FakeChain::new();
    chain.fee_floor.lock().unwrap().min_relay = 1000;
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    start_handshake(&mut p, 70017);
    p.send(NetworkMessage::Verack);
    assert_eq!(feefilters(&messages_until_pong(&mut p)), [1000]);
}

#[test]
fn announcements_skip_peers_whose_feefilter_the_fee_misses() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    start_handshake(&mut p, 70017);
    p.send(NetworkMessage::WtxidRelay);
    p.send(NetworkMessage::Verack);
    // 2 sat/vB.
    p.send(NetworkMessage::FeeFilter(2000));
    messages_until_pong(&mut p);
    let (cheap, paying) = (dummy_tx(1), dummy_tx(2));
    let vsize = paying.vsize() as i64;
    assert_eq!(vsize, cheap.vsize() as i64);
    // One satoshi short of the filter, then exactly at it.
    chain.submit_tx_with_fee(cheap.clone(), 2 * vsize - 1);
    chain.submit_tx_with_fee(paying.clone(), 2 * vsize);
    let announced: Vec<Inventory> = messages_until_pong(&mut p)
        .iter()
        .filter(|(t, _)| t == "inv")
        .flat_map(|(_, payload)| deserialize::<Vec<Inventory>>(payload).unwrap())
        .collect();
    assert_eq!(announced, [Inventory::WTx(paying.compute_wtxid())]);
    // Without a filter the cheap one is announced too.
    p.send(NetworkMessage::FeeFilter(0));
    // The filter travels through the socket, the relay does not: sync first.
    messages_until_pong(&mut p);
    let free = dummy_tx(3);
    chain.submit_tx_with_fee(free.clone(), 0);
    assert_eq!(
        deserialize::<Vec<Inventory>>(&p.expect("inv")).unwrap(),
        [Inventory::WTx(free.compute_wtxid())]
    );
}

#[test]
fn transactions_are_neither_fetched_nor_taken_during_ibd() {
    let chain = FakeChain::new();
    chain.fee_floor.lock().unwrap().initial_download = true;
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    start_handshake(&mut p, 70017);
    p.send(NetworkMessage::WtxidRelay);
    p.send(NetworkMessage::Verack);
    let tx = dummy_tx(7);
    p.send(NetworkMessage::Inv(vec![Inventory::WTx(
        tx.compute_wtxid(),
    )]));
    p.send(NetworkMessage::Tx(tx.clone()));
    let msgs = messages_until_pong(&mut p);
    assert!(!msgs.iter().any(|(t, _)| t == "getdata"), "{msgs:?}");
    // Ignored, not punished.
    assert_eq!(chain.mempool_len(), 0);
    chain.fee_floor.lock().unwrap().initial_download = false;
    let later = dummy_tx(8);
    p.send(NetworkMessage::Inv(vec![Inventory::WTx(
        later.compute_wtxid(),
    )]));
    let asked: Vec<Inventory> = deserialize(&p.expect("getdata")).unwrap();
    assert_eq!(asked, [Inventory::WTx(later.compute_wtxid())]);
}
