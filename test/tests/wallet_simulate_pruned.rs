//! `simulaterawtransaction`, `importprunedfunds` and `removeprunedfunds`
//! through the node's RPC port: balance changes of chained and funded
//! transactions with Core's errors, and a wallet transaction taken out
//! and put back with a merkle proof.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};

fn btc(v: &Value) -> f64 {
    v.as_f64().expect("amount")
}

fn text(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

fn werr(node: &TestNode, wallet: &str, method: &str, params: Value) -> (i64, String) {
    match node.try_wallet_rpc(wallet, method, params) {
        Ok(v) => panic!("{method} unexpectedly succeeded: {v}"),
        Err(Some(e)) => (e.code, e.message),
        Err(None) => panic!("{method}: transport error"),
    }
}

fn change(node: &TestNode, wallet: &str, txs: &[&str]) -> f64 {
    let r = node.wallet_rpc(wallet, "simulaterawtransaction", json!([txs]));
    btc(&r["balance_change"])
}

/// A node with wallet `w0` holding 50 mature BTC and an empty `w1`.
fn funded_node() -> TestNode {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["w0"]));
    node.rpc("createwallet", json!(["w1"]));
    let a = text(&node.wallet_rpc("w0", "getnewaddress", json!([])));
    node.generate_to_address(101, &a);
    node
}

#[test]
fn simulaterawtransaction_sums_what_the_wallet_spends_and_receives() {
    let node = funded_node();
    let a1 = text(&node.wallet_rpc("w1", "getnewaddress", json!([])));
    let a2 = text(&node.wallet_rpc("w1", "getnewaddress", json!([])));
    let tx1 = text(&node.rpc("createrawtransaction", json!([[], [{&a1: 5}]])));
    let tx2 = text(&node.rpc("createrawtransaction", json!([[], [{&a2: 10}]])));
    assert_eq!(change(&node, "w0", &[&tx1]), 0.0);
    assert_eq!(change(&node, "w1", &[&tx1]), 5.0);
    assert_eq!(change(&node, "w1", &[&tx1, &tx2]), 15.0);

    let funded = node.wallet_rpc("w0", "fundrawtransaction", json!([tx1]));
    let tx1 = text(&funded["hex"]);
    let fee = btc(&funded["fee"]);
    let pos = funded["changepos"].as_i64().expect("changepos");
    let w0 = change(&node, "w0", &[&tx1]);
    assert!((w0 + 5.0 + fee).abs() < 1e-9, "{w0}");
    assert_eq!(change(&node, "w1", &[&tx1]), 5.0);
    assert_eq!(
        werr(&node, "w0", "simulaterawtransaction", json!([[tx1, tx1]])),
        (
            -8,
            "Transaction(s) are spending the same output more than once".into()
        )
    );

    // A transaction spending tx1's payment needs tx1 before it.
    let txid1 = text(&node.rpc("decoderawtransaction", json!([tx1]))["txid"]);
    let back = text(&node.wallet_rpc("w0", "getnewaddress", json!([])));
    let tx3 = text(&node.rpc(
        "createrawtransaction",
        json!([[{"txid": txid1, "vout": 1 - pos}], [{&back: 4.9999}]]),
    ));
    let missing = (
        -8,
        "One or more transaction inputs are missing or have been spent already".to_string(),
    );
    assert_eq!(
        werr(&node, "w1", "simulaterawtransaction", json!([[tx3]])),
        missing
    );
    assert!(change(&node, "w1", &[&tx1, &tx3]).abs() < 1e-9);
    let w0 = change(&node, "w0", &[&tx1, &tx3]);
    assert!((w0 - (-5.0 - fee + 4.9999)).abs() < 1e-9, "{w0}");

    assert_eq!(
        werr(&node, "w0", "simulaterawtransaction", json!([["zz"]])),
        (-22, "Transaction hex string decoding failure.".into())
    );
    // An empty list changes nothing; options are accepted and ignored.
    let r = node.wallet_rpc(
        "w0",
        "simulaterawtransaction",
        json!([[], {"include_watchonly": true}]),
    );
    assert_eq!(btc(&r["balance_change"]), 0.0);

    // Once tx1 is mined its inputs are spent.
    let signed = node.wallet_rpc("w0", "signrawtransactionwithwallet", json!([tx1]));
    node.rpc("sendrawtransaction", json!([signed["hex"]]));
    node.generate_to_address(1, &back);
    assert_eq!(
        werr(&node, "w0", "simulaterawtransaction", json!([[tx1]])),
        missing
    );
}

#[test]
fn pruned_funds_are_removed_and_imported_back_with_a_merkle_proof() {
    let node = funded_node();
    let a1 = text(&node.wallet_rpc("w1", "getnewaddress", json!([])));
    let txid = text(&node.wallet_rpc("w0", "sendtoaddress", json!([a1, 0.1])));
    let mine = text(&node.wallet_rpc("w0", "getnewaddress", json!([])));
    let block = node.generate_to_address(1, &mine)[0].clone();
    let raw = text(&node.wallet_rpc("w1", "gettransaction", json!([txid]))["hex"]);
    let proof = text(&node.rpc("gettxoutproof", json!([[txid], block])));
    assert_eq!(btc(&node.wallet_rpc("w1", "getbalance", json!([]))), 0.1);

    node.wallet_rpc("w1", "removeprunedfunds", json!([txid]));
    assert_eq!(btc(&node.wallet_rpc("w1", "getbalance", json!([]))), 0.0);
    let listed = node.wallet_rpc("w1", "listtransactions", json!([]));
    assert_eq!(listed, json!([]));
    assert_eq!(
        werr(&node, "w1", "removeprunedfunds", json!([txid])),
        (
            -4,
            format!("Transaction {txid} does not belong to this wallet")
        )
    );

    // Tampered proofs: a merkle root the tree does not give, a block the
    // chain does not have.
    let mut bad_root = proof.clone();
    bad_root.replace_range(72..80, "deadbeef");
    assert_eq!(
        werr(&node, "w1", "importprunedfunds", json!([raw, bad_root])),
        (-5, "Something wrong with merkleblock".into())
    );
    let mut bad_time = proof.clone();
    let flipped = if &bad_time[136..138] == "00" {
        "01"
    } else {
        "00"
    };
    bad_time.replace_range(136..138, flipped);
    assert_eq!(
        werr(&node, "w1", "importprunedfunds", json!([raw, bad_time])),
        (-5, "Block not found in chain".into())
    );
    assert_eq!(
        werr(&node, "w1", "importprunedfunds", json!(["00", proof])),
        (
            -22,
            "TX decode failed. Make sure the tx has at least one input.".into()
        )
    );
    node.rpc(
        "createwallet",
        json!({"wallet_name": "blank", "blank": true}),
    );
    assert_eq!(
        werr(&node, "blank", "importprunedfunds", json!([raw, proof])),
        (
            -5,
            "No addresses in wallet correspond to included transaction".into()
        )
    );

    assert_eq!(
        node.wallet_rpc(
            "w1",
            "importprunedfunds",
            json!({"rawtransaction": raw, "txoutproof": proof})
        ),
        Value::Null
    );
    assert_eq!(btc(&node.wallet_rpc("w1", "getbalance", json!([]))), 0.1);
    let tx = node.wallet_rpc("w1", "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"], json!(1));
    assert_eq!(tx["blockhash"], json!(block));
    assert_eq!(tx["blockheight"], json!(102));

    // A proof for another transaction of the block does not prove this one.
    let coinbase = text(&node.rpc("getblock", json!([block]))["tx"][0]);
    let other = text(&node.rpc("gettxoutproof", json!([[coinbase], block])));
    assert_eq!(
        werr(&node, "w1", "importprunedfunds", json!([raw, other])),
        (-5, "Transaction given doesn't exist in proof".into())
    );
}
