//! Resource limits against peers that ask for much and read nothing, flood
//! announcements, or hit a bug: each test fails without its limit.

mod support;

use bitcoin::consensus::encode::{deserialize_partial, serialize};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::{BlockHash, Wtxid};
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::{start_node, wait_until, FakeChain, RawPeer};

fn pong(p: &mut RawPeer, nonce: u64) {
    p.send(NetworkMessage::Ping(nonce));
    let n: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    assert_eq!(n, nonce);
}

fn bytes_sent_to(mgr: &net::NetManager, subver: &str) -> u64 {
    mgr.handle()
        .peers()
        .iter()
        .find(|p| p.stats().subver == subver)
        .map(|p| p.stats().bytes_sent)
        .expect("peer connected")
}

#[test]
fn getdata_waits_while_the_peer_does_not_read() {
    let chain = FakeChain::new();
    chain.mine(1);
    let block = chain.tip_hash();
    let (mgr, addr) = start_node(&chain, "/t/");
    let mut greedy = RawPeer::connect(addr);
    greedy.handshake();
    pong(&mut greedy, 1);
    // 100,000 blocks of ~200 bytes each: about 20 MB asked for, far more
    // than the socket buffers and the 1 MB send buffer hold.
    for _ in 0..2 {
        greedy.send(NetworkMessage::GetData(vec![
            Inventory::WitnessBlock(block);
            50_000
        ]));
    }
    greedy.send(NetworkMessage::Ping(7));
    let frame_len = 24 + serialize(&chain.make_block(block, 9)).len() as u64;
    let asked = 100_000 * frame_len;

    // Another peer is served meanwhile: the handler is not stuck.
    let mut other = RawPeer::connect(addr);
    other.send_version(70016);
    other.expect("version");
    other.send(NetworkMessage::Verack);
    other.expect("verack");
    pong(&mut other, 2);

    // What was queued for the greedy peer stops growing well below what it
    // asked for: the socket's buffers plus the send buffer limit.
    std::thread::sleep(Duration::from_millis(500));
    let settled = bytes_sent_to(&mgr, "/python-p2p-tester:0.0.3/");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        bytes_sent_to(&mgr, "/python-p2p-tester:0.0.3/"),
        settled,
        "nothing more is queued while the peer does not read"
    );
    assert!(
        settled < asked / 2,
        "queued {settled} of {asked} bytes for a peer that reads nothing"
    );

    // Once it reads, it gets every block, and only then the pong to the
    // ping it sent after its requests: order is kept.
    let mut blocks = 0;
    loop {
        let (t, payload) = greedy.recv().expect("still connected");
        match t.as_str() {
            "block" => blocks += 1,
            "pong" => {
                assert_eq!(deserialize_partial::<u64>(&payload).unwrap().0, 7);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(blocks, 100_000);
}

#[test]
fn tx_announcements_per_peer_are_capped() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let wtxid = |i: u32| {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&i.to_le_bytes());
        b[31] = 1;
        Inventory::WTx(Wtxid::from_byte_array(b))
    };
    p.send(NetworkMessage::Inv((0..5001).map(wtxid).collect()));
    p.send(NetworkMessage::Inv((5001..5011).map(wtxid).collect()));
    p.send(NetworkMessage::Ping(3));
    let mut requested = 0;
    loop {
        let (t, payload) = p.recv().expect("connected");
        match t.as_str() {
            "getdata" => {
                let items: Vec<Inventory> = deserialize_partial(&payload).unwrap().0;
                requested += items.len();
            }
            "pong" => break,
            _ => {}
        }
    }
    assert_eq!(requested, 5000, "MAX_PEER_TX_ANNOUNCEMENTS");

    // Another peer's announcements are not affected.
    let mut q = RawPeer::connect(addr);
    q.handshake();
    q.send(NetworkMessage::Inv(vec![wtxid(9_999_999)]));
    let items: Vec<Inventory> = deserialize_partial(&q.expect("getdata")).unwrap().0;
    assert_eq!(items, vec![wtxid(9_999_999)]);
}

#[test]
fn tx_announcement_slots_are_freed_when_answered() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let inv = |i: u32| {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&i.to_le_bytes());
        Inventory::WTx(Wtxid::from_byte_array(b))
    };
    p.send(NetworkMessage::Inv((0..5000).map(inv).collect()));
    let items: Vec<Inventory> = deserialize_partial(&p.expect("getdata")).unwrap().0;
    assert_eq!(items.len(), 5000);
    // `notfound` for all of them ends those fetches and frees the slots.
    p.send(NetworkMessage::NotFound(items));
    p.send(NetworkMessage::Inv(vec![inv(6000)]));
    let items: Vec<Inventory> = deserialize_partial(&p.expect("getdata")).unwrap().0;
    assert_eq!(items, vec![inv(6000)]);
}

#[test]
fn a_panic_in_the_handler_drops_only_that_peer() {
    let chain = FakeChain::new();
    let (mgr, addr) = start_node(&chain, "/t/");
    let mut bad = RawPeer::connect(addr);
    bad.handshake();
    chain.panic_on_getheaders.store(true, Ordering::SeqCst);
    bad.send(NetworkMessage::GetHeaders(GetHeadersMessage {
        version: 70016,
        locator_hashes: vec![chain.tip_hash()],
        stop_hash: BlockHash::all_zeros(),
    }));
    assert!(bad.closed_by_node(), "the peer that hit the bug is dropped");
    chain.panic_on_getheaders.store(false, Ordering::SeqCst);
    // The message handler still runs: new and old peers are served.
    let mut good = RawPeer::connect(addr);
    good.handshake();
    pong(&mut good, 5);
    wait_until("one peer left", Duration::from_secs(5), || {
        mgr.handle().peers().len() == 1
    });
}
