//! ZeroMQ notifications (`-zmqpub*`): a subscriber speaking ZMTP 3.0 gets
//! Core's messages in order with per-notifier numbers, a subscriber that
//! never reads holds nothing up, one that sends garbage is dropped alone,
//! and a bad address leaves the node running without publishers.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::Transaction;
use functional::op_true::{coinbase_of, generate, spend};
use functional::{free_port, TestNode};
use serde_json::json;

/// A test-only ZMTP 3.0 SUB client.
struct Sub {
    stream: TcpStream,
}

impl Sub {
    fn connect(address: &str, topics: &[&str]) -> Sub {
        let addr = address.trim_start_matches("tcp://");
        let mut stream = TcpStream::connect(addr).expect("connect");
        let mut greeting = [0u8; 64];
        greeting[0] = 0xff;
        greeting[9] = 0x7f;
        greeting[10] = 3;
        greeting[12..16].copy_from_slice(b"NULL");
        stream.write_all(&greeting).expect("greeting");
        let mut theirs = [0u8; 64];
        stream.read_exact(&mut theirs).expect("their greeting");
        assert_eq!(theirs[10], 3, "ZMTP major version");
        assert_eq!(&theirs[12..16], b"NULL");
        let mut ready = vec![5];
        ready.extend_from_slice(b"READY");
        ready.push(11);
        ready.extend_from_slice(b"Socket-Type");
        ready.extend_from_slice(&3u32.to_be_bytes());
        ready.extend_from_slice(b"SUB");
        let mut frame = vec![0x04, ready.len() as u8];
        frame.extend_from_slice(&ready);
        stream.write_all(&frame).expect("ready");
        let mut sub = Sub { stream };
        let (command, body) = sub.frame().expect("their READY");
        assert!(command);
        assert!(body.windows(3).any(|w| w == b"PUB"), "socket type PUB");
        for topic in topics {
            let mut msg = vec![0x00, topic.len() as u8 + 1, 1];
            msg.extend_from_slice(topic.as_bytes());
            sub.stream.write_all(&msg).expect("subscribe");
        }
        sub
    }

    /// One frame: whether it is a command, and its body (`None` on timeout or EOF).
    fn frame(&mut self) -> Option<(bool, Vec<u8>)> {
        let mut flags = [0u8; 1];
        self.stream.read_exact(&mut flags).ok()?;
        let len = if flags[0] & 0x02 != 0 {
            let mut l = [0u8; 8];
            self.stream.read_exact(&mut l).ok()?;
            u64::from_be_bytes(l) as usize
        } else {
            let mut l = [0u8; 1];
            self.stream.read_exact(&mut l).ok()?;
            l[0] as usize
        };
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).ok()?;
        Some((flags[0] & 0x04 != 0, body))
    }

    /// One message: topic, body, message number; `None` after `timeout`.
    fn recv(&mut self, timeout: Duration) -> Option<(String, Vec<u8>, u32)> {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("timeout");
        let mut parts = Vec::new();
        while parts.len() < 3 {
            let (command, body) = self.frame()?;
            assert!(!command, "no command after the handshake");
            parts.push(body);
        }
        let seq = u32::from_le_bytes(parts[2].as_slice().try_into().expect("4-byte number"));
        Some((
            String::from_utf8(parts[0].clone()).expect("topic"),
            parts[1].clone(),
            seq,
        ))
    }
}

/// Hex of a hash carried in a message (sent in display order, as RPC shows it).
fn hash_hex(body: &[u8]) -> String {
    hex::encode(&body[..32])
}

/// Checks each topic's numbers go up by one from the first seen.
#[derive(Default)]
struct Numbers(std::collections::HashMap<String, u32>);

impl Numbers {
    fn check(&mut self, topic: &str, seq: u32) {
        if let Some(prev) = self.0.insert(topic.to_string(), seq) {
            assert_eq!(seq, prev + 1, "{topic} numbers consecutive");
        }
    }
}

/// Mines blocks until `sub` hears of one (the subscription reached the
/// node), then drains what is left; returns the last block hash mined.
fn sync_up(node: &TestNode, sub: &mut Sub, numbers: &mut Numbers) {
    for _ in 0..30 {
        let hash = generate(node, 1).remove(0);
        while let Some((topic, body, seq)) = sub.recv(Duration::from_secs(1)) {
            numbers.check(&topic, seq);
            if topic == "hashblock" && hash_hex(&body) == hash {
                return;
            }
        }
    }
    panic!("the subscriber never heard of a block");
}

#[test]
fn subscriber_gets_blocks_transactions_and_sequence_in_order() {
    let port = free_port();
    let address = format!("tcp://127.0.0.1:{port}");
    let mut node = TestNode::new();
    let opts: Vec<String> = ["hashblock", "rawblock", "rawtx", "sequence"]
        .iter()
        .map(|t| format!("-zmqpub{t}={address}"))
        .chain(std::iter::once("-zmqpubrawtxhwm=5".to_string()))
        .collect();
    let refs: Vec<&str> = opts.iter().map(String::as_str).collect();
    node.start(&refs);
    assert_eq!(
        node.rpc("getzmqnotifications", json!([])),
        json!([
            {"type": "pubhashblock", "address": address, "hwm": 1000},
            {"type": "pubrawblock", "address": address, "hwm": 1000},
            {"type": "pubrawtx", "address": address, "hwm": 5},
            {"type": "pubsequence", "address": address, "hwm": 1000},
        ])
    );

    // Subscribed to everything and never read: must not hold up the node.
    let _stalled = Sub::connect(&address, &[""]);
    let mut sub = Sub::connect(&address, &["hashblock", "rawtx", "sequence"]);
    let mut numbers = Numbers::default();
    sync_up(&node, &mut sub, &mut numbers);

    // A garbage-sending subscriber is closed; the others keep going.
    let mut bad = TcpStream::connect(address.trim_start_matches("tcp://")).expect("connect");
    bad.write_all(&[0x42; 80]).expect("write");
    bad.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut sink = Vec::new();
    let _ = bad.read_to_end(&mut sink);
    assert!(sink.len() <= 64, "only our greeting before the close");

    // Each block: its coinbase (rawtx), its connection (sequence C), then
    // the new tip (hashblock).
    let hashes = generate(&node, 101);
    for hash in &hashes {
        let (topic, body, seq) = sub.recv(Duration::from_secs(30)).expect("rawtx");
        numbers.check(&topic, seq);
        assert_eq!(topic, "rawtx");
        let tx: Transaction = deserialize(&body).expect("transaction");
        assert!(tx.is_coinbase());
        let (topic, body, seq) = sub.recv(Duration::from_secs(30)).expect("sequence");
        numbers.check(&topic, seq);
        assert_eq!(
            (topic.as_str(), hash_hex(&body), body[32], body.len()),
            ("sequence", hash.clone(), b'C', 33)
        );
        let (topic, body, seq) = sub.recv(Duration::from_secs(30)).expect("hashblock");
        numbers.check(&topic, seq);
        assert_eq!(
            (topic.as_str(), hash_hex(&body)),
            ("hashblock", hash.clone())
        );
    }

    // A mempool addition: rawtx, then sequence A with the pool's number,
    // which getrawmempool then reports one higher.
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let tx = spend(coin, value, 1_000);
    let txid = tx.compute_txid().to_string();
    node.rpc("sendrawtransaction", json!([serialize_hex(&tx)]));
    let (topic, body, seq) = sub.recv(Duration::from_secs(30)).expect("rawtx");
    numbers.check(&topic, seq);
    assert_eq!(topic, "rawtx");
    assert_eq!(body, bitcoin::consensus::encode::serialize(&tx));
    let (topic, body, seq) = sub.recv(Duration::from_secs(30)).expect("sequence");
    numbers.check(&topic, seq);
    assert_eq!(
        (topic.as_str(), hash_hex(&body), body[32]),
        ("sequence", txid.clone(), b'A')
    );
    let added = u64::from_le_bytes(body[33..41].try_into().expect("8 bytes"));
    let pool = node.rpc("getrawmempool", json!([false, true]));
    assert_eq!(pool["mempool_sequence"], json!(added + 1));

    // Mining it: the block's transactions, C, the tip; the mined
    // transaction takes a number without a message.
    let mined = generate(&node, 1).remove(0);
    let (topic, first, seq) = sub.recv(Duration::from_secs(30)).expect("coinbase");
    numbers.check(&topic, seq);
    let coinbase: Transaction = deserialize(&first).expect("transaction");
    assert!(coinbase.is_coinbase());
    let (topic, body, seq) = sub.recv(Duration::from_secs(30)).expect("rawtx");
    numbers.check(&topic, seq);
    assert_eq!(body, bitcoin::consensus::encode::serialize(&tx));
    let (topic, body, _) = sub.recv(Duration::from_secs(30)).expect("sequence");
    assert_eq!(
        (topic.as_str(), hash_hex(&body), body[32]),
        ("sequence", mined.clone(), b'C')
    );
    let (topic, body, _) = sub.recv(Duration::from_secs(30)).expect("hashblock");
    assert_eq!(
        (topic.as_str(), hash_hex(&body)),
        ("hashblock", mined.clone())
    );
    let pool = node.rpc("getrawmempool", json!([false, true]));
    assert_eq!(pool["mempool_sequence"], json!(added + 2));

    // Invalidating it: its transactions, D, then the transaction back in
    // the pool (A); no new tip announced for a disconnection alone.
    node.rpc("invalidateblock", json!([mined]));
    let (topic, _, _) = sub.recv(Duration::from_secs(30)).expect("coinbase");
    assert_eq!(topic, "rawtx");
    let (topic, body, _) = sub.recv(Duration::from_secs(30)).expect("rawtx");
    assert_eq!(
        (topic.as_str(), body),
        ("rawtx", bitcoin::consensus::encode::serialize(&tx))
    );
    let (topic, body, _) = sub.recv(Duration::from_secs(30)).expect("sequence D");
    assert_eq!(
        (topic.as_str(), hash_hex(&body), body[32]),
        ("sequence", mined.clone(), b'D')
    );
    let (topic, _, _) = sub.recv(Duration::from_secs(30)).expect("rawtx again");
    assert_eq!(topic, "rawtx");
    let (topic, body, _) = sub.recv(Duration::from_secs(30)).expect("sequence A");
    assert_eq!(
        (topic.as_str(), hash_hex(&body), body[32]),
        ("sequence", txid, b'A')
    );
    assert_eq!(
        u64::from_le_bytes(body[33..41].try_into().expect("8 bytes")),
        added + 2
    );
    assert!(
        sub.recv(Duration::from_millis(500)).is_none(),
        "no hashblock for a disconnection"
    );
    node.stop();
}

#[test]
fn bad_address_leaves_the_node_without_publishers() {
    let mut node = TestNode::new();
    node.start(&["-zmqpubrawtx=foo", "-zmqpubhashtx=bar"]);
    assert_eq!(node.rpc("getzmqnotifications", json!([])), json!([]));
    generate(&node, 1);
    node.stop();
}
