//! The pool's life cycle: transactions of a disconnected block return
//! within the cluster limits, and old entries expire (`-mempoolexpiry`).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
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

    let pool: BTreeSet<String> = node
        .rpc("getrawmempool", json!([]))
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_str().expect("txid").to_string())
        .collect();
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
    let pool = |node: &TestNode| -> BTreeSet<String> {
        node.rpc("getrawmempool", json!([]))
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t.as_str().expect("txid").to_string())
            .collect()
    };
    assert_eq!(pool(&node).len(), 2);

    // An hour and a bit later, the next acceptance drops both (the child
    // with its parent) and keeps the newcomer.
    node.rpc("setmocktime", json!([now + 3_601]));
    let fresh = spend(second, second_value, 1_000);
    node.rpc("sendrawtransaction", json!([serialize_hex(&fresh)]));
    assert_eq!(
        pool(&node),
        BTreeSet::from([fresh.compute_txid().to_string()])
    );
    node.stop();
}
