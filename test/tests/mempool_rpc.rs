//! Mempool RPCs over in-pool relatives: `getmempoolancestors`,
//! `getmempooldescendants`, `submitpackage`, `getmempoolcluster`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
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
    // Equal feerates: each transaction is a chunk of its own.
    assert_eq!(
        obj[&last]["chunkweight"].as_u64(),
        Some(chain[3].weight().to_wu())
    );
    assert_eq!(obj[&last]["fees"]["chunk"], obj[&last]["fees"]["base"]);
    let verbose_anc = node.rpc("getmempoolancestors", json!([last, true]));
    assert_eq!(verbose_anc.as_object().expect("object").len(), 3);

    // The whole chain is one cluster; its chunks hold every member once,
    // parents before children.
    let cluster = node.rpc("getmempoolcluster", json!([mid]));
    assert_eq!(cluster["txcount"], json!(4));
    let mut members = Vec::new();
    let mut weight = 0;
    for chunk in cluster["chunks"].as_array().expect("chunks") {
        weight += chunk["chunkweight"].as_u64().expect("weight");
        for t in chunk["txs"].as_array().expect("txs") {
            members.push(t.as_str().expect("txid").to_string());
        }
    }
    let in_order: Vec<String> = chain.iter().map(|t| t.compute_txid().to_string()).collect();
    assert_eq!(members, in_order);
    assert_eq!(cluster["clusterweight"].as_u64(), Some(weight));
    let tx_weight: u64 = chain.iter().map(|t| t.weight().to_wu()).sum();
    assert_eq!(weight, tx_weight);

    // Unknown transactions get Core's error.
    let missing = "00".repeat(32);
    for m in [
        "getmempoolancestors",
        "getmempooldescendants",
        "getmempoolcluster",
    ] {
        let e = node.rpc_err(m, json!([missing]));
        assert_eq!(
            (e.code, e.message.as_str()),
            (-5, "Transaction not in mempool")
        );
    }
    node.stop();
}

#[test]
fn submitpackage_lets_a_child_pay_for_its_zero_fee_parent() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let parent = spend(coin, value, 0);
    let child = spend(OutPoint::new(parent.compute_txid(), 0), value, 20_000);
    let hex = |t: &Transaction| serialize_hex(t);

    // Alone, the zero-fee parent fails for its feerate.
    let alone = node.rpc("submitpackage", json!([[hex(&parent)]]));
    assert_eq!(alone["package_msg"], "transaction failed");
    let pw = parent.compute_wtxid().to_string();
    let err = alone["tx-results"][&pw]["error"].as_str().expect("error");
    assert!(err.starts_with("min relay fee not met"), "{err}");

    // With its child it is judged by the package's feerate.
    let res = node.rpc("submitpackage", json!([[hex(&parent), hex(&child)]]));
    assert_eq!(res["package_msg"], "success", "{res}");
    assert_eq!(res["replaced-transactions"], json!([]));
    let cw = child.compute_wtxid().to_string();
    let (p, c) = (&res["tx-results"][&pw], &res["tx-results"][&cw]);
    assert_eq!(p["txid"], json!(parent.compute_txid().to_string()));
    assert_eq!(p["fees"]["base"].as_f64(), Some(0.0));
    assert_eq!(
        p["fees"]["effective-feerate"],
        c["fees"]["effective-feerate"]
    );
    assert_eq!(
        c["fees"]["effective-includes"],
        json!([pw.clone(), cw.clone()])
    );
    let pool = ids(&node.rpc("getrawmempool", json!([])));
    assert_eq!(pool, txids(&[parent.clone(), child.clone()]));

    // Submitting again reports both as already in the pool, without an
    // effective feerate.
    let again = node.rpc("submitpackage", json!([[hex(&parent), hex(&child)]]));
    assert_eq!(again["package_msg"], "success");
    assert!(again["tx-results"][&cw]["fees"]
        .get("effective-feerate")
        .is_none());
    node.stop();
}

#[test]
fn submitpackage_refuses_malformed_packages_with_core_errors() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 102);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let (other, other_value) = coinbase_of(&node, &hashes[1]);
    let chain = chain_of(coin, value, 3, 1_000);
    let hexes: Vec<String> = chain.iter().map(serialize_hex).collect();
    let err = |p: Value| {
        let e = node.rpc_err("submitpackage", p);
        (e.code, e.message)
    };
    assert_eq!(
        err(json!([[]])),
        (
            -8,
            "Array must contain between 1 and 25 transactions.".into()
        )
    );
    // A grandparent chain is not a child with its parents.
    let (code, msg) = err(json!([hexes]));
    assert_eq!(code, -25);
    assert!(msg.starts_with("package topology disallowed"), "{msg}");
    let (code, msg) = err(json!([["00"]]));
    assert_eq!(code, -22);
    assert!(msg.starts_with("TX decode failed: 00"), "{msg}");

    // Two parents spending one coin: refused before any member is judged.
    let a = spend(other, other_value, 1_000);
    let b = spend(other, other_value, 2_000);
    let mut child = spend(
        OutPoint::new(a.compute_txid(), 0),
        other_value - 1_000,
        1_000,
    );
    let mut second = child.input[0].clone();
    second.previous_output = OutPoint::new(b.compute_txid(), 0);
    child.input.push(second);
    let res = node.rpc(
        "submitpackage",
        json!([[serialize_hex(&a), serialize_hex(&b), serialize_hex(&child)]]),
    );
    assert_eq!(res["package_msg"], "conflict-in-package");
    let a_res = &res["tx-results"][a.compute_wtxid().to_string()];
    assert_eq!(a_res["error"], "package-not-validated");
    assert!(ids(&node.rpc("getrawmempool", json!([]))).is_empty());
    node.stop();
}

#[test]
fn testmempoolaccept_judges_a_package_without_adding_it() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let chain = chain_of(coin, value, 2, 1_000);
    let hexes: Vec<String> = chain.iter().map(serialize_hex).collect();

    // The child's parent is in the package: both are allowed, each by its
    // own feerate, and the pool stays empty.
    let res = node.rpc("testmempoolaccept", json!([hexes]));
    for (r, tx) in res.as_array().expect("array").iter().zip(&chain) {
        assert_eq!(r["allowed"], json!(true), "{r}");
        assert_eq!(
            r["fees"]["effective-includes"],
            json!([tx.compute_wtxid().to_string()])
        );
    }
    assert!(ids(&node.rpc("getrawmempool", json!([]))).is_empty());

    // Unsorted: a package error for every member.
    let res = node.rpc("testmempoolaccept", json!([[hexes[1], hexes[0]]]));
    for r in res.as_array().expect("array") {
        assert_eq!(r["package-error"], "package-not-sorted");
    }

    // Packages may not replace pool transactions.
    node.rpc("sendrawtransaction", json!([hexes[0]]));
    let rival = spend(coin, value, 5_000);
    let rival_child = spend(OutPoint::new(rival.compute_txid(), 0), value - 5_000, 1_000);
    let res = node.rpc(
        "testmempoolaccept",
        json!([[serialize_hex(&rival), serialize_hex(&rival_child)]]),
    );
    assert_eq!(res[0]["reject-reason"], "bip125-replacement-disallowed");
    assert!(res[1].get("allowed").is_none(), "left blank: {}", res[1]);
    node.stop();
}

#[test]
fn submitpackage_replaces_conflicts_under_package_rbf() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let first = chain_of(coin, value, 2, 1_000);
    let hex = |txs: &[Transaction]| -> Vec<String> { txs.iter().map(serialize_hex).collect() };
    let res = node.rpc("submitpackage", json!([hex(&first)]));
    assert_eq!(res["package_msg"], "success", "{res}");

    // Same parent fee, so the parent alone cannot replace; its child pays
    // for the package to replace both.
    let parent = spend(coin, value, 1_001);
    let child = spend(
        OutPoint::new(parent.compute_txid(), 0),
        value - 1_001,
        20_000,
    );
    let second = vec![parent, child];
    let res = node.rpc("submitpackage", json!([hex(&second)]));
    assert_eq!(res["package_msg"], "success", "{res}");
    let replaced: BTreeSet<String> = ids(&res["replaced-transactions"]);
    assert_eq!(replaced, txids(&first));
    assert_eq!(ids(&node.rpc("getrawmempool", json!([]))), txids(&second));

    // A child that does not pay enough to evict is refused as a package.
    let parent = spend(coin, value, 1_002);
    let child = spend(
        OutPoint::new(parent.compute_txid(), 0),
        value - 1_002,
        1_000,
    );
    let res = node.rpc("submitpackage", json!([hex(&[parent, child])]));
    let msg = res["package_msg"].as_str().expect("msg");
    assert!(
        msg.starts_with("package RBF failed: insufficient anti-DoS fees"),
        "{msg}"
    );
    assert_eq!(ids(&node.rpc("getrawmempool", json!([]))), txids(&second));
    node.stop();
}

#[test]
fn truc_rules_broken_inside_a_package_are_package_errors() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    // A TRUC parent with two outputs and a TRUC child on each.
    let mut parent = spend(coin, value, 1_000);
    parent.version = bitcoin::transaction::Version(3);
    let half = (value - 1_000) / 2;
    parent.output[0].value = bitcoin::Amount::from_sat(half);
    parent.output.push(parent.output[0].clone());
    let child = |vout: u32| {
        let mut c = spend(OutPoint::new(parent.compute_txid(), vout), half, 1_000);
        c.version = bitcoin::transaction::Version(3);
        c
    };
    let package = [
        serialize_hex(&parent),
        serialize_hex(&child(0)),
        serialize_hex(&child(1)),
    ];
    let res = node.rpc("testmempoolaccept", json!([package]));
    let expected = format!(
        "TRUC-violation, tx {} (wtxid={}) would exceed descendant count limit",
        parent.compute_txid(),
        parent.compute_wtxid()
    );
    for r in res.as_array().expect("array") {
        assert_eq!(r["package-error"], json!(expected), "{r}");
        assert!(r.get("allowed").is_none());
    }
    node.stop();
}

#[test]
fn cluster_limits_broken_by_a_package_are_package_errors() {
    let mut node = TestNode::new();
    node.start(&["-limitclustercount=2"]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    let chain = chain_of(coin, value, 3, 1_000);
    let hexes: Vec<String> = chain.iter().map(serialize_hex).collect();
    let res = node.rpc("testmempoolaccept", json!([hexes]));
    for r in res.as_array().expect("array") {
        assert_eq!(r["package-error"], "too-large-cluster", "{r}");
    }
    node.stop();
}

#[test]
fn prioritisetransaction_refuses_a_pool_transaction_with_dust() {
    use bitcoin::{transaction, Amount, TxIn, TxOut};
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    // A zero-fee TRUC parent with an ephemeral dust output, swept by its child.
    let mut parent = spend(coin, value, 0);
    parent.version = transaction::Version(3);
    let op_true = parent.output[0].script_pubkey.clone();
    parent.output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: op_true,
    });
    let mut child = spend(OutPoint::new(parent.compute_txid(), 0), value, 100_000);
    child.version = transaction::Version(3);
    child.input.push(TxIn {
        previous_output: OutPoint::new(parent.compute_txid(), 1),
        ..child.input[0].clone()
    });
    let r = node.rpc(
        "submitpackage",
        json!([[serialize_hex(&parent), serialize_hex(&child)]]),
    );
    assert_eq!(r["package_msg"], json!("success"), "{r}");

    let e = node.rpc_err(
        "prioritisetransaction",
        json!([parent.compute_txid().to_string(), 0, 1]),
    );
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -8,
            "Priority is not supported for transactions with dust outputs."
        )
    );
    // The child has no dust: it may be prioritised.
    let ok = node.rpc(
        "prioritisetransaction",
        json!([child.compute_txid().to_string(), 0, 1]),
    );
    assert_eq!(ok, json!(true));
}

/// `tx` with an `OP_RETURN` output padded so its weight is `target`.
fn padded_to_weight(mut tx: Transaction, target: u64) -> Transaction {
    use bitcoin::{Amount, ScriptBuf, TxOut};
    let data_out = |n: usize| {
        // OP_RETURN OP_PUSHDATA2 <n bytes>: one form whatever the size.
        let mut script = vec![0x6a, 0x4d];
        script.extend_from_slice(&(n as u16).to_le_bytes());
        script.resize(4 + n, 0x42);
        TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        }
    };
    // Past 252 bytes of script its length prefix stays 3 bytes.
    tx.output.push(data_out(300));
    let base = tx.weight().to_wu() - 4 * 300;
    let extra = target - base;
    assert_eq!(extra % 4, 0, "weight {target} unreachable from {base}");
    *tx.output.last_mut().expect("output") = data_out((extra / 4) as usize);
    assert_eq!(tx.weight().to_wu(), target);
    tx
}

#[test]
fn cluster_size_limit_counts_weight_not_rounded_vsizes() {
    let mut node = TestNode::new();
    node.start(&["-limitclustersize=10", "-datacarriersize=100000"]);
    let hashes = generate(&node, 101);
    let (coin, value) = coinbase_of(&node, &hashes[0]);
    // Weights 20,001 and 19,997: 39,998 fits 40,000 weight units, though
    // the vsizes (5,001 and 5,000) add up to 10,001 > 10,000.
    let parent = padded_to_weight(spend(coin, value, 50_000), 20_001);
    let child = padded_to_weight(
        spend(
            OutPoint::new(parent.compute_txid(), 0),
            value - 50_000,
            50_000,
        ),
        19_997,
    );
    for tx in [&parent, &child] {
        node.rpc("sendrawtransaction", json!([serialize_hex(tx)]));
    }
    let cluster = node.rpc(
        "getmempoolcluster",
        json!([child.compute_txid().to_string()]),
    );
    assert_eq!(cluster["clusterweight"], json!(39_998), "{cluster}");
    // One more weight unit's worth of transaction does not fit.
    let grandchild = spend(
        OutPoint::new(child.compute_txid(), 0),
        value - 100_000,
        50_000,
    );
    let r = node.rpc("testmempoolaccept", json!([[serialize_hex(&grandchild)]]));
    assert_eq!(r[0]["reject-reason"], json!("too-large-cluster"), "{r}");
}
