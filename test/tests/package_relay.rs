//! Opportunistic one-parent-one-child package relay over P2P (Core's
//! `p2p_opportunistic_1p1c.py`): a parent refused alone for its feerate is
//! fetched again when a child spending it arrives, and the two are then
//! judged as a package, so the child pays for the parent.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{OutPoint, Transaction};
use functional::peer::Peer;
use functional::{op_true, TestNode};
use serde_json::json;

fn in_mempool(node: &TestNode, tx: &Transaction) -> bool {
    node.rpc("getrawmempool", json!([]))
        .as_array()
        .expect("array")
        .contains(&json!(tx.compute_txid().to_string()))
}

/// A zero-fee parent and a child paying for both.
fn parent_and_child(node: &TestNode) -> (Transaction, Transaction) {
    let hashes = op_true::generate(node, 101);
    let (coin, value) = op_true::coinbase_of(node, &hashes[0]);
    let parent = op_true::spend(coin, value, 0);
    let child = op_true::spend(OutPoint::new(parent.compute_txid(), 0), value, 100_000);
    (parent, child)
}

#[test]
fn low_fee_parent_gets_in_with_its_child() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (parent, child) = parent_and_child(&node);
    let mut sender = Peer::handshake(node.p2p_port);

    // Alone, the parent is refused for its feerate.
    sender.send(NetworkMessage::Tx(parent.clone()));
    sender.sync_with_ping();
    assert!(!in_mempool(&node, &parent));

    // Another peer announcing it is not asked for it: it is known refused.
    let mut other = Peer::handshake(node.p2p_port);
    other.send(NetworkMessage::Inv(vec![Inventory::WTx(
        parent.compute_wtxid(),
    )]));
    let seen = other.messages_until_synced();
    assert!(
        !seen.iter().any(|m| matches!(m, NetworkMessage::GetData(_))),
        "{seen:?}"
    );

    // The child is an orphan: the parent is asked for again, by txid.
    sender.send(NetworkMessage::Tx(child.clone()));
    let seen = sender.messages_until_synced();
    let asked = seen.iter().any(|m| {
        matches!(m, NetworkMessage::GetData(items)
            if items.contains(&Inventory::WitnessTransaction(parent.compute_txid())))
    });
    assert!(asked, "{seen:?}");
    assert!(!in_mempool(&node, &child));

    // Sent again, the parent is judged with its child and both get in.
    sender.send(NetworkMessage::Tx(parent.clone()));
    sender.sync_with_ping();
    assert!(in_mempool(&node, &parent), "{}", node.debug_log());
    assert!(in_mempool(&node, &child));
    assert_eq!(node.rpc("getorphantxs", json!([])), json!([]));
    // One small cluster: its linearization is known optimal.
    let info = node.rpc("getmempoolinfo", json!([]));
    assert_eq!(info["optimal"], json!(true), "{info}");
}

#[test]
fn child_first_then_parent_is_judged_as_a_package() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (parent, child) = parent_and_child(&node);
    let mut sender = Peer::handshake(node.p2p_port);

    sender.send(NetworkMessage::Tx(child.clone()));
    sender.sync_with_ping();
    assert!(!in_mempool(&node, &child));

    // The parent fails alone, then with the orphan child it succeeds.
    sender.send(NetworkMessage::Tx(parent.clone()));
    sender.sync_with_ping();
    assert!(in_mempool(&node, &parent), "{}", node.debug_log());
    assert!(in_mempool(&node, &child));
}

#[test]
fn child_from_another_peer_does_not_pay_for_the_parent() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (parent, child) = parent_and_child(&node);
    let mut orphan_sender = Peer::handshake(node.p2p_port);
    orphan_sender.send(NetworkMessage::Tx(child.clone()));
    orphan_sender.sync_with_ping();

    // Only children the parent's own sender gave are tried with it.
    let mut parent_sender = Peer::handshake(node.p2p_port);
    parent_sender.send(NetworkMessage::Tx(parent.clone()));
    parent_sender.sync_with_ping();
    assert!(!in_mempool(&node, &parent));
    assert!(!in_mempool(&node, &child));
}
