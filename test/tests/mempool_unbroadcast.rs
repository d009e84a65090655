//! The mempool's unbroadcast set (Core's `m_unbroadcast_txids`): locally
//! submitted transactions are announced again on the scheduler until a peer
//! fetches one, survive a restart in `mempool.dat`, and leave the set when
//! they leave the pool.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::Transaction;
use functional::op_true::{coinbase_of, generate, spend};
use functional::peer::Peer;
use functional::TestNode;
use serde_json::json;

/// Core's `MAX_INITIAL_BROADCAST_DELAY`, in seconds.
const MAX_INITIAL_BROADCAST_DELAY: i64 = 15 * 60;

fn unbroadcast_count(node: &TestNode) -> u64 {
    node.rpc("getmempoolinfo", json!([]))["unbroadcastcount"]
        .as_u64()
        .expect("unbroadcastcount")
}

fn is_unbroadcast(node: &TestNode, txid: &str) -> bool {
    let entry = node.rpc("getmempoolentry", json!([txid]))["unbroadcast"]
        .as_bool()
        .expect("unbroadcast");
    let verbose = node.rpc("getrawmempool", json!([true]))[txid]["unbroadcast"]
        .as_bool()
        .expect("unbroadcast");
    assert_eq!(entry, verbose, "getmempoolentry and getrawmempool agree");
    entry
}

/// A node with mature coins and one transaction spending the first.
fn node_with_tx() -> (TestNode, Transaction) {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    (node, spend(coin, value, 1_000))
}

#[test]
fn a_submitted_transaction_is_announced_again_until_a_peer_fetches_it() {
    let (mut node, tx) = node_with_tx();
    let txid = tx.compute_txid();
    let hex = serialize_hex(&tx);
    node.rpc("sendrawtransaction", json!([hex]));
    assert_eq!(unbroadcast_count(&node), 1);
    assert!(is_unbroadcast(&node, &txid.to_string()));

    // A peer connecting later hears of it only through the scheduler.
    let mut peer = Peer::handshake(node.p2p_port);
    node.rpc("mockscheduler", json!([MAX_INITIAL_BROADCAST_DELAY]));
    let wtxid = tx.compute_wtxid();
    functional::wait_for("the transaction announced again", || {
        peer.messages_until_synced()
            .into_iter()
            .find_map(|m| match m {
                NetworkMessage::Inv(inv) => inv
                    .into_iter()
                    .find(|i| *i == Inventory::WTx(wtxid))
                    .map(|_| ()),
                _ => None,
            })
    });
    assert_eq!(unbroadcast_count(&node), 1, "announcing is not delivering");

    // Fetching it is what takes it out of the set.
    peer.send(NetworkMessage::GetData(vec![Inventory::WTx(wtxid)]));
    let NetworkMessage::Tx(sent) = peer.expect("tx") else {
        unreachable!("expect returns a tx message")
    };
    assert_eq!(sent.compute_txid(), txid);
    peer.sync_with_ping();
    assert_eq!(unbroadcast_count(&node), 0);
    assert!(!is_unbroadcast(&node, &txid.to_string()));

    // Submitting it again while it is in the pool does not track it again.
    node.rpc("sendrawtransaction", json!([hex]));
    assert!(!is_unbroadcast(&node, &txid.to_string()));
    node.stop();
}

#[test]
fn the_set_survives_a_restart_and_leaves_with_the_transaction() {
    let (mut node, tx) = node_with_tx();
    let txid = tx.compute_txid().to_string();
    node.rpc("sendrawtransaction", json!([serialize_hex(&tx)]));
    let saved = node.rpc("savemempool", json!([]))["filename"]
        .as_str()
        .expect("filename")
        .to_string();
    let copy = node.datadir.join("unbroadcast-copy.dat");
    std::fs::copy(&saved, &copy).expect("copy mempool.dat");

    // mempool.dat carries the set across a restart.
    node.stop();
    node.start(&[]);
    assert!(is_unbroadcast(&node, &txid));
    assert!(node.debug_log().contains("1 waiting for initial broadcast"));

    // Mined before any peer asked: it leaves the set, which the log says.
    let block = generate(&node, 1);
    assert_eq!(unbroadcast_count(&node), 0);
    let line = format!(
        "Removed {txid} from set of unbroadcast txns before confirmation that txn was sent out"
    );
    assert!(node.debug_log().contains(&line), "missing: {line}");

    // Back in the pool by a reorg, it is no local submission any more; only
    // an import that asks for the saved set marks it again.
    node.rpc("invalidateblock", json!([block[0]]));
    assert!(!is_unbroadcast(&node, &txid));
    let path = copy.display().to_string();
    assert_eq!(node.rpc("importmempool", json!([path])), json!({}));
    assert!(!is_unbroadcast(&node, &txid));
    let apply = json!({"apply_unbroadcast_set": true});
    assert_eq!(node.rpc("importmempool", json!([path, apply])), json!({}));
    assert!(is_unbroadcast(&node, &txid));
    node.stop();
}
