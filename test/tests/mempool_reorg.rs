//! The pool's life cycle: transactions of a disconnected block return
//! within the cluster limits, and old entries expire (`-mempoolexpiry`).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::OutPoint;
use functional::op_true::{address, coinbase_of, generate, spend};
use functional::TestNode;
use serde_json::json;
use std::collections::BTreeSet;

#[test]
fn reorg_keeps_clusters_within_the_count_limit() {
    let mut node = TestNode::new();
    node.start(&["-limitclustercount=3"]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);

    // A chain of four: the pool takes three, the fourth breaks the limit.
    let mut chain = Vec::new();
    let (mut prev, mut left) = (coin, value);
    for _ in 0..4 {
        let tx = spend(prev, left, 1_000);
        prev = OutPoint::new(tx.compute_txid(), 0);
        left -= 1_000;
        chain.push(tx);
    }
    for tx in &chain[..3] {
        node.rpc("sendrawtransaction", json!([serialize_hex(tx)]));
    }
    let e = node.rpc_err("sendrawtransaction", json!([serialize_hex(&chain[3])]));
    assert_eq!(e.code, -26, "{}", e.message);

    // A block confirms all four; invalidating it brings them back, but only
    // as many as one cluster may hold.
    let txs: Vec<String> = chain.iter().map(serialize_hex).collect();
    let made = node.rpc("generateblock", json!([address(), txs]));
    let block = made["hash"].as_str().expect("hash").to_string();
    assert!(node
        .rpc("getrawmempool", json!([]))
        .as_array()
        .expect("array")
        .is_empty());
    node.rpc("invalidateblock", json!([block]));

    let pool = pool_txids(&node);
    let first_three: BTreeSet<String> = chain[..3]
        .iter()
        .map(|t| t.compute_txid().to_string())
        .collect();
    assert_eq!(pool, first_three);
    node.stop();
}

#[test]
fn accepting_a_transaction_expires_entries_older_than_mempoolexpiry() {
    let mut node = TestNode::new();
    node.start(&["-mempoolexpiry=1"]);
    let hashes = generate(&node, 102);
    let (first, first_value) = coinbase_of(&node, &hashes[0]);
    let (second, second_value) = coinbase_of(&node, &hashes[1]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    node.rpc("setmocktime", json!([now]));
    let old = spend(first, first_value, 1_000);
    let old_child = spend(
        OutPoint::new(old.compute_txid(), 0),
        first_value - 1_000,
        1_000,
    );
    for tx in [&old, &old_child] {
        node.rpc("sendrawtransaction", json!([serialize_hex(tx)]));
    }
    assert_eq!(pool_txids(&node).len(), 2);

    // An hour and a bit later, the next acceptance drops both (the child
    // with its parent) and keeps the newcomer.
    node.rpc("setmocktime", json!([now + 3_601]));
    let fresh = spend(second, second_value, 1_000);
    node.rpc("sendrawtransaction", json!([serialize_hex(&fresh)]));
    assert_eq!(
        pool_txids(&node),
        BTreeSet::from([fresh.compute_txid().to_string()])
    );
    node.stop();
}

/// The txids in the node's mempool.
fn pool_txids(node: &TestNode) -> BTreeSet<String> {
    node.rpc("getrawmempool", json!([]))
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_str().expect("txid").to_string())
        .collect()
}

#[test]
fn deep_invalidation_returns_only_the_top_ten_blocks_transactions() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (deep_coin, deep_value) = coinbase_of(&node, &hashes[0]);
    let (shallow_coin, shallow_value) = coinbase_of(&node, &hashes[1]);

    // The deep block, nine empty ones, then the eleventh and newest block.
    let deep = spend(deep_coin, deep_value, 1_000);
    let made = node.rpc("generateblock", json!([address(), [serialize_hex(&deep)]]));
    let deep_block = made["hash"].as_str().expect("hash").to_string();
    generate(&node, 9);
    let shallow = spend(shallow_coin, shallow_value, 1_000);
    node.rpc(
        "generateblock",
        json!([address(), [serialize_hex(&shallow)]]),
    );
    // A pool transaction spending the deep block's transaction.
    let child = spend(
        OutPoint::new(deep.compute_txid(), 0),
        deep_value - 1_000,
        1_000,
    );
    node.rpc("sendrawtransaction", json!([serialize_hex(&child)]));

    // Invalidating eleven blocks: only the ten newest give their
    // transactions back, and the child loses its parent's output.
    node.rpc("invalidateblock", json!([deep_block]));
    let expected: BTreeSet<String> = [shallow.compute_txid().to_string()].into();
    assert_eq!(pool_txids(&node), expected);
    node.stop();
}
