//! Load test of the P2P limits (loopback only, bounded in time): 50 peers ask
//! for a large block over and over and never read, 10 peers flood `inv`s, one
//! peer sends 5×2000 low-work headers, while RPC must answer within 100 ms
//! and an honest node keeps syncing from the node under load. The node's peak
//! resident memory must stay under [`PEAK_RSS_BOUND_MIB`] (stated in
//! `doc/p2p.md` too).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::block::Header;
use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{BlockHash, CompactTarget, ScriptBuf, TxMerkleNode, TxOut, Wtxid};
use functional::peer::Peer;
use functional::{blocks, op_true, TestNode};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Peak resident memory (`VmHWM`) the node under load may reach. Without the
/// send pause the 50 greedy peers alone would make it queue gigabytes.
const PEAK_RSS_BOUND_MIB: u64 = 400;
/// Slowest RPC answer allowed while under load.
const RPC_BOUND: Duration = Duration::from_millis(100);
/// Blocks on the node before the attack: more than a 2,000-header fork from
/// genesis plus Core's 144-block anti-DoS margin, so the forks are low-work.
const CHAIN_LENGTH: u32 = 2200;
/// How long the attack lasts.
const ATTACK: Duration = Duration::from_secs(15);

/// A block on the node's tip whose coinbase carries ~100 kB, so each request
/// for it costs real bytes.
fn submit_large_block(node: &TestNode) -> BlockHash {
    let height = node.rpc("getblockcount", json!([])).as_i64().unwrap() + 1;
    let mut cb = blocks::coinbase(height, 0);
    cb.output.push(TxOut {
        value: bitcoin::Amount::ZERO,
        script_pubkey: ScriptBuf::from_bytes(vec![0x6a; 100_000]),
    });
    let block = blocks::block_on_tip(node, vec![cb]);
    let hex = hex::encode(serialize(&block));
    assert_eq!(node.rpc("submitblock", json!([hex])), json!(null));
    block.block_hash()
}

/// `n` headers on `parent`, valid regtest proof of work, told apart by `tag`.
fn header_chain(parent: BlockHash, start_time: u32, tag: u32, n: u32) -> Vec<Header> {
    let mut prev = parent;
    (0..n)
        .map(|i| {
            let mut root = [0u8; 32];
            root[..4].copy_from_slice(&tag.to_le_bytes());
            root[4..8].copy_from_slice(&i.to_le_bytes());
            let mut h = Header {
                version: bitcoin::block::Version::from_consensus(0x2000_0000),
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::from_byte_array(root),
                time: start_time + i + 1,
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: 0,
            };
            while h.validate_pow(h.target()).is_err() {
                h.nonce += 1;
            }
            prev = h.block_hash();
            h
        })
        .collect()
}

fn random_wtxids(seed: u64, n: usize) -> Vec<Inventory> {
    (0..n as u64)
        .map(|i| {
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&seed.to_le_bytes());
            b[8..16].copy_from_slice(&i.to_le_bytes());
            b[31] = 0xaa;
            Inventory::WTx(Wtxid::from_byte_array(b))
        })
        .collect()
}

#[test]
fn limits_hold_under_p2p_load() {
    let mut node = TestNode::new();
    node.start(&[]);
    let started = Instant::now();
    for _ in 0..(CHAIN_LENGTH / 200) {
        op_true::generate(&node, 200);
    }
    let big = submit_large_block(&node);
    eprintln!("chain of {CHAIN_LENGTH} built in {:?}", started.elapsed());

    let mut honest = TestNode::new();
    honest.index = 1;
    honest.start(&[]);

    let port = node.p2p_port;
    let stop = AtomicBool::new(false);
    let slowest_rpc = Mutex::new(Duration::ZERO);
    let genesis: BlockHash = node
        .rpc("getblockhash", json!([0]))
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let genesis_time = node.rpc("getblockheader", json!([genesis.to_string()]))["time"]
        .as_u64()
        .unwrap() as u32;

    std::thread::scope(|s| {
        // RPC keeps answering quickly throughout.
        s.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                node.rpc("getblockcount", json!([]));
                let took = t.elapsed();
                let mut slowest = slowest_rpc.lock().unwrap();
                *slowest = (*slowest).max(took);
                drop(slowest);
                std::thread::sleep(Duration::from_millis(50));
            }
        });

        // 50 peers ask for the large block 20,000 times each and never read.
        let greedy: Vec<Peer> = (0..50)
            .map(|_| {
                let mut p = Peer::handshake(port);
                for _ in 0..2 {
                    p.send(NetworkMessage::GetData(vec![
                        Inventory::WitnessBlock(big);
                        10_000
                    ]));
                }
                p
            })
            .collect();

        // 10 peers flood announcements of transactions nobody has.
        for f in 0..10u64 {
            let stop = &stop;
            s.spawn(move || {
                let mut p = Peer::handshake(port);
                let _ = p.stream.set_write_timeout(Some(Duration::from_secs(2)));
                let mut round = 0u64;
                while !stop.load(Ordering::SeqCst) && round < 8 {
                    let inv = random_wtxids((f << 32) | round, 50_000);
                    let raw = bitcoin::p2p::message::RawNetworkMessage::new(
                        bitcoin::p2p::Magic::REGTEST,
                        NetworkMessage::Inv(inv),
                    );
                    use std::io::Write;
                    if p.stream.write_all(&serialize(&raw)).is_err() {
                        break;
                    }
                    round += 1;
                }
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                drop(p);
            });
        }

        // One peer sends five forks of 2,000 headers from genesis: each has
        // less work than the node's chain.
        s.spawn(|| {
            let mut p = Peer::handshake(port);
            for fork in 0..5u32 {
                let headers = header_chain(genesis, genesis_time, fork, 2000);
                p.send(NetworkMessage::Headers(headers));
                p.sync_with_ping();
            }
        });

        // The honest node syncs from the node under load, which keeps mining.
        honest.rpc("addnode", json!([format!("127.0.0.1:{port}"), "onetry"]));
        let deadline = Instant::now() + ATTACK;
        while Instant::now() < deadline {
            op_true::generate(&node, 1);
            std::thread::sleep(Duration::from_millis(500));
        }
        let tip = node.rpc("getbestblockhash", json!([]));
        let synced_by = Instant::now() + Duration::from_secs(30);
        while honest.rpc("getbestblockhash", json!([])) != tip {
            assert!(Instant::now() < synced_by, "the honest node did not sync");
            std::thread::sleep(Duration::from_millis(200));
        }
        stop.store(true, Ordering::SeqCst);
        drop(greedy);
    });

    let peak_mib = node.peak_rss_kib().expect("VmHWM") / 1024;
    let slowest = *slowest_rpc.lock().unwrap();
    eprintln!("peak RSS {peak_mib} MiB, slowest RPC {slowest:?}");
    assert!(
        peak_mib < PEAK_RSS_BOUND_MIB,
        "peak resident memory {peak_mib} MiB over {PEAK_RSS_BOUND_MIB} MiB"
    );
    assert!(slowest < RPC_BOUND, "an RPC took {slowest:?}");
    // The node is still whole: its P2P thread answers a fresh peer.
    Peer::handshake(port).sync_with_ping();
    assert_eq!(
        node.rpc("getblockcount", json!([])),
        honest.rpc("getblockcount", json!([]))
    );
}
