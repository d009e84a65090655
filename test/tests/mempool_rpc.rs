//! Mempool RPCs over in-pool relatives: `getmempoolancestors`,
//! `getmempooldescendants`, `submitpackage`, `getmempoolcluster`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{OutPoint, Transaction};
use functional::op_true::{coinbase_of, generate, spend};
use functional::TestNode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A chain of `n` transactions, each spending the previous one's output.
fn chain_of(coin: OutPoint, value: u64, n: usize, fee: u64) -> Vec<Transaction> {
    let mut out = Vec::new();
    let (mut prev, mut left) = (coin, value);
    for _ in 0..n {
        let tx = spend(prev, left, fee);
        prev = OutPoint::new(tx.compute_txid(), 0);
        left -= fee;
        out.push(tx);
    }
    out
}

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_str().expect("txid").to_string())
        .collect()
}

fn txids(txs: &[Transaction]) -> BTreeSet<String> {
    txs.iter().map(|t| t.compute_txid().to_string()).collect()
}

#[test]
fn ancestors_and_descendants_list_in_pool_relatives() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let chain = chain_of(coin, value, 4, 1_000);
    for tx in &chain {
        node.rpc("sendrawtransaction", json!([serialize_hex(tx)]));
    }
    let mid = chain[1].compute_txid().to_string();

    let anc = node.rpc("getmempoolancestors", json!([mid]));
    assert_eq!(ids(&anc), txids(&chain[..1]));
    let desc = node.rpc("getmempooldescendants", json!([mid]));
    assert_eq!(ids(&desc), txids(&chain[2..]));
    let first = chain[0].compute_txid().to_string();
    assert!(ids(&node.rpc("getmempoolancestors", json!([first]))).is_empty());

    // Verbose: entries keyed by txid, shaped as getmempoolentry's.
    let verbose = node.rpc("getmempooldescendants", json!([mid, true]));
    let obj = verbose.as_object().expect("object");
    assert_eq!(
        obj.keys().cloned().collect::<BTreeSet<_>>(),
        txids(&chain[2..])
    );
    let last = chain[3].compute_txid().to_string();
    assert_eq!(obj[&last], node.rpc("getmempoolentry", json!([last])));
    assert_eq!(obj[&last]["ancestorcount"], json!(4));
    let verbose_anc = node.rpc("getmempoolancestors", json!([last, true]));
    assert_eq!(verbose_anc.as_object().expect("object").len(), 3);

    // Unknown transactions get Core's error.
    let missing = "00".repeat(32);
    for m in ["getmempoolancestors", "getmempooldescendants"] {
        let e = node.rpc_err(m, json!([missing]));
        assert_eq!(
            (e.code, e.message.as_str()),
            (-5, "Transaction not in mempool")
        );
    }
    node.stop();
}
