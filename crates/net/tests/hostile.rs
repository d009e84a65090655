//! Hostile and malformed input: the node disconnects or ignores, never panics,
//! and keeps serving other peers.

mod support;

use bitcoin::consensus::encode::{deserialize_partial, serialize, VarInt};
use bitcoin::p2p::message::NetworkMessage;
use net::wire::{encode_frame, MAX_PROTOCOL_MESSAGE_LENGTH};
use std::io::Write;
use support::{start_node, FakeChain, RawPeer, REGTEST_MAGIC};

fn still_answers_pings(p: &mut RawPeer) {
    p.send(NetworkMessage::Ping(99));
    let n: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    assert_eq!(n, 99);
}

#[test]
fn wrong_magic_disconnects() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.send_raw(&encode_frame([0xff; 4], "ping", &[0; 8]));
    assert!(p.closed_by_node());
    // The node still serves others.
    RawPeer::connect(addr).handshake();
}

#[test]
fn oversized_message_disconnects_before_payload_arrives() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let mut frame = encode_frame(REGTEST_MAGIC, "block", &[]);
    frame[16..20].copy_from_slice(&(MAX_PROTOCOL_MESSAGE_LENGTH + 1).to_le_bytes());
    p.send_raw(&frame);
    assert!(p.closed_by_node());
}

#[test]
fn bad_checksum_and_invalid_type_are_skipped() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let mut frame = encode_frame(REGTEST_MAGIC, "badmsg", &[1, 2]);
    frame[20..24].copy_from_slice(&[0xff; 4]);
    p.send_raw(&frame);
    let mut frame = encode_frame(REGTEST_MAGIC, "ping", &[0; 8]);
    frame[4 + 5] = b'x'; // junk after the NUL padding
    p.send_raw(&frame);
    p.send_raw(&encode_frame(REGTEST_MAGIC, "unknowntype", &[1, 2, 3]));
    still_answers_pings(&mut p);
}

#[test]
fn truncated_payloads_are_ignored() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    for t in [
        "ping",
        "headers",
        "block",
        "tx",
        "inv",
        "getheaders",
        "getdata",
    ] {
        p.send_raw(&encode_frame(REGTEST_MAGIC, t, &[0xfd]));
    }
    still_answers_pings(&mut p);
}

#[test]
fn messages_before_version_are_ignored() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.send(NetworkMessage::Ping(1));
    p.send(NetworkMessage::GetAddr);
    p.send(NetworkMessage::Verack);
    // Nothing is answered before the handshake; then it works normally.
    p.send_version(70016);
    assert_eq!(p.recv().unwrap().0, "version");
    p.send(NetworkMessage::Ping(3)); // before verack: unsupported, ignored
    p.send(NetworkMessage::Verack);
    p.expect("verack");
    still_answers_pings(&mut p);
}

#[test]
fn too_many_headers_is_misbehaviour() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let mut payload = serialize(&VarInt(2001));
    payload.extend(std::iter::repeat_n(0u8, 81 * 3));
    p.send_raw(&encode_frame(REGTEST_MAGIC, "headers", &payload));
    assert!(p.closed_by_node());
}

#[test]
fn non_continuous_headers_are_misbehaviour() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let genesis = chain.tip_hash();
    let a = chain.make_block(genesis, 1).header;
    let b = chain.make_block(genesis, 2).header; // does not follow `a`
    p.send(NetworkMessage::Headers(vec![a, b]));
    assert!(p.closed_by_node());
}

#[test]
fn invalid_header_is_misbehaviour() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let mut h = chain.make_block(chain.tip_hash(), 1).header;
    h.bits = bitcoin::CompactTarget::from_consensus(0x1d00ffff);
    p.send(NetworkMessage::Headers(vec![h]));
    assert!(p.closed_by_node());
}

#[test]
fn garbage_stream_disconnects() {
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(p.closed_by_node());
}

#[test]
fn message_split_across_writes_is_counted_then_processed() {
    let chain = FakeChain::new();
    let (mgr, addr) = start_node(&chain, "/t/");
    let h = mgr.handle();
    let mut p = RawPeer::connect(addr);
    p.handshake();
    still_answers_pings(&mut p);
    // A second round trip: by its answer, our pong to the node's first ping
    // (sent during the first round) has been read too.
    still_answers_pings(&mut p);
    let before = h.totals().0;
    let frame = encode_frame(REGTEST_MAGIC, "ping", &12345u64.to_le_bytes());
    p.send_raw(&frame[..12]);
    support::wait_until(
        "partial bytes counted",
        std::time::Duration::from_secs(5),
        || h.totals().0 == before + 12,
    );
    p.send_raw(&frame[12..]);
    let n: u64 = deserialize_partial(&p.expect("pong")).unwrap().0;
    assert_eq!(n, 12345);
}

#[test]
fn refused_block_is_not_requested_again() {
    use bitcoin::p2p::message_blockdata::Inventory;
    let chain = FakeChain::new();
    chain
        .refuse_blocks
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let block = chain.make_block(chain.tip_hash(), 5);
    let hash = block.block_hash();
    p.send(NetworkMessage::Headers(vec![block.header]));
    let getdata = p.expect("getdata");
    assert_eq!(
        net::message::decode("getdata", &getdata)
            .map(|m| format!("{m:?}"))
            .unwrap(),
        format!(
            "{:?}",
            net::message::Message::GetData(vec![Inventory::WitnessBlock(hash)])
        )
    );
    p.send(NetworkMessage::Block(block.clone()));
    // Announcing it again must not bring another request.
    p.send(NetworkMessage::Inv(vec![Inventory::Block(hash)]));
    p.send(NetworkMessage::Ping(42));
    loop {
        let (t, payload) = p.recv().expect("connected");
        assert_ne!(t, "getdata", "refused block requested again");
        if t == "pong" && deserialize_partial::<u64>(&payload).unwrap().0 == 42 {
            break;
        }
    }
}

#[test]
fn random_payloads_for_every_type_never_break_the_node() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let chain = FakeChain::new();
    let (mgr, addr) = start_node(&chain, "/t/");
    let types = [
        "version",
        "verack",
        "ping",
        "pong",
        "inv",
        "getdata",
        "notfound",
        "getheaders",
        "headers",
        "block",
        "tx",
        "sendheaders",
        "wtxidrelay",
        "sendaddrv2",
        "feefilter",
        "mempool",
        "getaddr",
        "addr",
        "addrv2",
        "sendcmpct",
        "cmpctblock",
        "getblocks",
    ];
    // Each peer gets a burst of random messages after a proper handshake; it may
    // be disconnected for some of them, which is fine. The node must survive.
    for round in 0..10 {
        let mut p = RawPeer::connect(addr);
        p.handshake();
        for _ in 0..40 {
            let t = types[rng.gen_range(0..types.len())];
            let len = rng.gen_range(0..400);
            let payload: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            if p.stream
                .write_all(&encode_frame(REGTEST_MAGIC, t, &payload))
                .is_err()
            {
                break;
            }
        }
        drop(p);
        // Meanwhile, well-behaved peers are still served.
        let mut q = RawPeer::connect(addr);
        q.handshake();
        still_answers_pings(&mut q);
        let _ = round;
    }
    support::wait_until(
        "only live peers remain",
        std::time::Duration::from_secs(10),
        || mgr.handle().peers().len() <= 1,
    );
}

#[test]
fn notfound_hands_the_block_request_to_another_peer() {
    use bitcoin::p2p::message_blockdata::Inventory;
    let chain = FakeChain::new();
    let (_mgr, addr) = start_node(&chain, "/t/");
    let block = chain.make_block(chain.tip_hash(), 3);
    let hash = block.block_hash();
    let mut a = RawPeer::connect(addr);
    a.handshake();
    a.send(NetworkMessage::Headers(vec![block.header]));
    a.expect("getdata");
    let mut b = RawPeer::connect(addr);
    b.handshake();
    b.send(NetworkMessage::Headers(vec![block.header]));
    still_answers_pings(&mut b); // b's headers are processed; the block is a's to send
    a.send(NetworkMessage::NotFound(vec![Inventory::WitnessBlock(
        hash,
    )]));
    b.expect("getdata");
    b.send(NetworkMessage::Block(block));
    support::wait_until("block connected", std::time::Duration::from_secs(5), || {
        chain.tip_hash() == hash
    });
}
