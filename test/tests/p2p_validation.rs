//! Blocks and transactions arriving over P2P: decoded as Core decodes them,
//! refused with Core's reasons, and the sending peer treated as Core treats it
//! (punished for invalid blocks, even ones found invalid only later; never for
//! transactions), plus orphan transactions and the anti-DoS work rule.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction,
    TxIn, TxOut, Txid, Witness, Wtxid,
};
use functional::blocks::{block_on, coinbase};
use functional::peer::Peer;
use functional::{op_true, TestNode};
use serde_json::{json, Value};

const SUBSIDY: u64 = 50 * 100_000_000;

fn tip(node: &TestNode) -> (BlockHash, u32, i64) {
    let hash = node.rpc("getbestblockhash", json!([]));
    let header = node.rpc("getblockheader", json!([hash]));
    (
        hash.as_str().unwrap().parse().unwrap(),
        header["time"].as_u64().unwrap() as u32,
        header["height"].as_i64().unwrap(),
    )
}

fn spend_missing_coin() -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(Txid::from_byte_array([7; 32]), 0),
            script_sig: ScriptBuf::from_bytes(vec![0x51]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1000),
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
    }
}

#[test]
fn block_with_an_input_less_transaction_is_refused_by_validation() {
    let mut node = TestNode::new();
    node.start(&[]);
    op_true::generate(&node, 1);
    let (tip_hash, tip_time, height) = tip(&node);
    let empty = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![],
        output: vec![],
    };
    let block = block_on(
        tip_hash,
        tip_time,
        vec![coinbase(height + 1, SUBSIDY), empty],
    );
    // Core's encoding: no segwit marker for a transaction without witnesses,
    // so the empty transaction is version | 0 inputs | 0 outputs | locktime.
    let mut payload = serialize(&block.header);
    payload.push(2);
    payload.extend(serialize(&block.txdata[0]));
    payload.extend([2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

    let mut peer = Peer::handshake(node.p2p_port);
    peer.send_raw("block", &payload);
    assert!(
        peer.disconnected(),
        "the sender of an invalid block is dropped"
    );
    let log = node.debug_log();
    assert!(log.contains("bad-txns-vin-empty"), "{log}");
    assert!(!log.contains("DeserializationError"));
    assert_eq!(tip(&node).0, tip_hash);
    assert_eq!(node.stop(), "");
}

#[test]
fn sender_of_a_block_found_invalid_later_is_punished() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = op_true::generate(&node, 2);
    let parent: BlockHash = hashes[0].parse().unwrap();
    let parent_time = node.rpc("getblockheader", json!([hashes[0]]))["time"]
        .as_u64()
        .unwrap() as u32;
    let (tip_hash, _, _) = tip(&node);

    let mut peer = Peer::handshake(node.p2p_port);
    // Same work as the tip: stored, not connected, so not yet known invalid.
    let bad = block_on(
        parent,
        parent_time,
        vec![coinbase(2, SUBSIDY), spend_missing_coin()],
    );
    peer.send(NetworkMessage::Block(bad.clone()));
    peer.sync_with_ping();
    assert_eq!(tip(&node).0, tip_hash);
    // Its child makes the branch the best one; connecting `bad` fails.
    let child = block_on(
        bad.block_hash(),
        bad.header.time,
        vec![coinbase(3, SUBSIDY)],
    );
    peer.send(NetworkMessage::Block(child));
    assert!(peer.disconnected());
    let log = node.debug_log();
    assert!(log.contains("bad-txns-inputs-missingorspent"), "{log}");
    assert_eq!(tip(&node).0, tip_hash);
    assert_eq!(node.stop(), "");
}

fn orphans(node: &TestNode) -> Vec<Value> {
    node.rpc("getorphantxs", json!([1]))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn orphans_wait_for_their_parent_and_bad_transactions_do_not_punish() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = op_true::generate(&node, 101);
    let (coin, value) = op_true::coinbase_of(&node, &hashes[0]);
    let parent = op_true::spend(coin, value, 10_000);
    let child = op_true::spend(
        OutPoint::new(parent.compute_txid(), 0),
        value - 10_000,
        10_000,
    );

    let mut peer = Peer::handshake(node.p2p_port);
    peer.send(NetworkMessage::Tx(child.clone()));
    peer.sync_with_ping();
    let kept = orphans(&node);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["txid"], json!(child.compute_txid().to_string()));
    assert_eq!(kept[0]["from"], json!([0]));
    // The same orphan from another peer: both are its senders.
    let mut other = Peer::handshake(node.p2p_port);
    other.send(NetworkMessage::Tx(child.clone()));
    other.sync_with_ping();
    assert_eq!(orphans(&node)[0]["from"], json!([0, 1]));
    assert_eq!(
        node.rpc("getorphantxs", json!([0])),
        json!([child.compute_txid().to_string()])
    );
    assert_eq!(node.rpc_err("getorphantxs", json!([3])).code, -8);

    peer.send(NetworkMessage::Tx(parent.clone()));
    peer.sync_with_ping();
    let mut pool: Vec<String> =
        serde_json::from_value(node.rpc("getrawmempool", json!([]))).unwrap();
    pool.sort();
    let mut want = vec![
        parent.compute_txid().to_string(),
        child.compute_txid().to_string(),
    ];
    want.sort();
    assert_eq!(pool, want);
    assert!(orphans(&node).is_empty());

    // An invalid transaction is refused without dropping the peer.
    let mut no_outputs = op_true::spend(OutPoint::new(child.compute_txid(), 0), 1_000_000, 0);
    no_outputs.output.clear();
    peer.send(NetworkMessage::Tx(no_outputs));
    peer.sync_with_ping();
    assert!(node.debug_log().contains("bad-txns-vout-empty"));
    assert_eq!(node.rpc("getconnectioncount", json!([])), 2);

    // Orphans go with the peer that sent them.
    let stray = op_true::spend(
        OutPoint::new(Txid::from_byte_array([9; 32]), 0),
        100_000,
        1000,
    );
    peer.send(NetworkMessage::Tx(stray));
    peer.sync_with_ping();
    assert_eq!(orphans(&node).len(), 1);
    drop(peer);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !orphans(&node).is_empty() {
        assert!(std::time::Instant::now() < deadline, "orphan not erased");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(node.stop(), "");
}

fn getdata_for(msgs: &[NetworkMessage], wtxid: Wtxid) -> bool {
    msgs.iter().any(|m| {
        matches!(m, NetworkMessage::GetData(items)
            if items.iter().any(|i| matches!(i, Inventory::WTx(w) if *w == wtxid)))
    })
}

#[test]
fn an_announced_transaction_is_fetched_from_one_peer_at_a_time() {
    let mut node = TestNode::new();
    node.start(&[]);
    op_true::generate(&node, 1);
    // Our peers sent `wtxidrelay`, so they announce by wtxid.
    let wtxid = Wtxid::from_byte_array([5; 32]);
    let mut first = Peer::handshake(node.p2p_port);
    let mut second = Peer::handshake(node.p2p_port);
    first.send(NetworkMessage::Inv(vec![Inventory::WTx(wtxid)]));
    assert!(getdata_for(&first.messages_until_synced(), wtxid));
    second.send(NetworkMessage::Inv(vec![Inventory::WTx(wtxid)]));
    assert!(!getdata_for(&second.messages_until_synced(), wtxid));
    // The first peer does not have it after all: the second one is asked.
    first.send(NetworkMessage::NotFound(vec![Inventory::WTx(wtxid)]));
    first.sync_with_ping();
    assert!(getdata_for(&second.messages_until_synced(), wtxid));
    assert_eq!(node.stop(), "");
}

#[test]
fn blocks_need_the_minimum_chain_work_before_their_header_is_kept() {
    let mut node = TestNode::new();
    node.start(&["-minimumchainwork=0x10"]);
    op_true::generate(&node, 1);
    let (tip_hash, tip_time, height) = tip(&node);
    let block: Block = block_on(tip_hash, tip_time, vec![coinbase(height + 1, SUBSIDY)]);
    let mut peer = Peer::handshake(node.p2p_port);
    peer.send(NetworkMessage::Block(block.clone()));
    peer.sync_with_ping();
    let wanted = format!(
        "AcceptBlockHeader: not adding new block header {}, missing anti-dos proof-of-work validation",
        block.block_hash()
    );
    assert!(node.debug_log().contains(&wanted));
    assert_eq!(
        node.rpc_err("getblockheader", json!([block.block_hash().to_string()]))
            .code,
        -5
    );
    assert_eq!(node.stop(), "");
}

#[test]
fn sendmsgtopeer_frames_the_body_and_answers_core_errors() {
    let mut node = TestNode::new();
    node.start(&[]);
    let mut peer = Peer::handshake(node.p2p_port);
    let id = node.rpc("getpeerinfo", json!([]))[0]["id"].clone();

    // The node adds the header; the body arrives as given.
    let sent = node.rpc("sendmsgtopeer", json!([id, "ping", "2a00000000000000"]));
    assert_eq!(sent, json!({}));
    loop {
        match peer.recv().expect("connection closed") {
            NetworkMessage::Ping(42) => break,
            NetworkMessage::Ping(n) => peer.send(NetworkMessage::Pong(n)),
            _ => {}
        }
    }

    let err = |p: Value| {
        let e = node.rpc_err("sendmsgtopeer", p);
        (e.code, e.message)
    };
    assert_eq!(
        err(json!([100, "addr", "ff"])),
        (-1, "Error: Could not send message to peer".into())
    );
    assert_eq!(
        err(json!([id, "long_msg_type", "ff"])),
        (-8, "Error: msg_type too long, max length is 12".into())
    );
    assert_eq!(
        err(json!([id, "addr", "zz"])),
        (-8, "Error parsing input for msg".into())
    );
    node.stop();
}
