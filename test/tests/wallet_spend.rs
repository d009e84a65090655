//! Funding and fee bumping through the node's RPC port:
//! `fundrawtransaction`, `walletcreatefundedpsbt`, `send`, `sendall`,
//! `bumpfee` and `psbtbumpfee`, with the transactions signed, broadcast
//! and mined, and Core's error texts.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::{RpcError, TestNode};
use serde_json::{json, Value};

/// Satoshis of a JSON amount.
fn sats(v: &Value) -> i64 {
    (v.as_f64().expect("amount") * 1e8).round() as i64
}

/// A node with a `miner` wallet holding mature coins, and an empty `w`.
fn funded_node() -> TestNode {
    let mut node = TestNode::new();
    node.wallet = true;
    node.start(&[]);
    node.rpc("createwallet", json!(["miner"]));
    node.rpc("createwallet", json!(["w"]));
    let a = node.wallet_rpc("miner", "getnewaddress", json!([]));
    node.generate_to_address(110, a.as_str().unwrap());
    node
}

fn addr(node: &TestNode, wallet: &str) -> String {
    node.wallet_rpc(wallet, "getnewaddress", json!([]))
        .as_str()
        .unwrap()
        .to_string()
}

fn mine(node: &TestNode, n: u32) {
    let a = addr(node, "miner");
    node.generate_to_address(n, &a);
}

fn err(node: &TestNode, wallet: &str, method: &str, params: Value) -> (i64, String) {
    match node.try_wallet_rpc(wallet, method, params) {
        Err(Some(RpcError { code, message })) => (code, message),
        other => panic!("{method} did not fail: {other:?}"),
    }
}

fn assert_err(node: &TestNode, wallet: &str, method: &str, params: Value, code: i64, text: &str) {
    let (c, m) = err(node, wallet, method, params.clone());
    assert_eq!((c, m.as_str()), (code, text), "{method} {params}");
}

fn assert_err_prefix(
    node: &TestNode,
    wallet: &str,
    method: &str,
    params: Value,
    code: i64,
    text: &str,
) {
    let (c, m) = err(node, wallet, method, params.clone());
    assert_eq!(c, code, "{method} {params}: {m}");
    assert!(m.starts_with(text), "{method} {params}: {m}");
}

fn decode(node: &TestNode, hex: &Value) -> Value {
    node.rpc("decoderawtransaction", json!([hex]))
}

fn in_mempool(node: &TestNode, txid: &str) -> bool {
    node.rpc("getrawmempool", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == txid)
}

/// The output of `tx` (decoded) paying `address`.
fn output_to<'a>(tx: &'a Value, address: &str) -> Option<&'a Value> {
    tx["vout"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["scriptPubKey"]["address"] == json!(address))
}

#[test]
fn raw_transactions_and_psbts_are_funded_signed_and_broadcast() {
    let node = funded_node();
    let to = addr(&node, "w");
    let raw = node.rpc("createrawtransaction", json!([[], {to.clone(): 1}]));

    // Inputs and change added, nothing signed.
    let funded = node.wallet_rpc("miner", "fundrawtransaction", json!([raw]));
    assert!(sats(&funded["fee"]) > 0);
    let tx = decode(&node, &funded["hex"]);
    assert_eq!(tx["vout"].as_array().unwrap().len(), 2);
    let changepos = funded["changepos"].as_i64().unwrap();
    assert!(changepos == 0 || changepos == 1);
    assert!(tx["vin"][0]["txinwitness"].is_null());
    let signed = node.wallet_rpc(
        "miner",
        "signrawtransactionwithwallet",
        json!([funded["hex"]]),
    );
    assert_eq!(signed["complete"], json!(true));
    let txid = node.rpc("sendrawtransaction", json!([signed["hex"]]));
    assert!(in_mempool(&node, txid.as_str().unwrap()));

    // A replacement re-spending its input is funded and signed although
    // that coin is spent in the mempool (Core finds it there).
    let first = decode(&node, &signed["hex"]);
    let vin0 = &first["vin"][0];
    let raw2 = node.rpc(
        "createrawtransaction",
        json!([[{"txid": vin0["txid"], "vout": vin0["vout"]}], {to.clone(): 1}]),
    );
    let funded2 = node.wallet_rpc(
        "miner",
        "fundrawtransaction",
        json!([raw2, {"fee_rate": 50}]),
    );
    let signed2 = node.wallet_rpc(
        "miner",
        "signrawtransactionwithwallet",
        json!([funded2["hex"]]),
    );
    assert_eq!(signed2["complete"], json!(true), "{signed2}");
    let txid2 = node.rpc("sendrawtransaction", json!([signed2["hex"]]));
    assert!(in_mempool(&node, txid2.as_str().unwrap()));
    assert!(!in_mempool(&node, txid.as_str().unwrap()));

    // Change where asked, to the address asked, at the rate asked.
    let change = node
        .wallet_rpc("miner", "getrawchangeaddress", json!([]))
        .as_str()
        .unwrap()
        .to_string();
    let funded = node.wallet_rpc(
        "miner",
        "fundrawtransaction",
        json!({"hexstring": raw, "changeAddress": change, "changePosition": 0, "fee_rate": 10}),
    );
    assert_eq!(funded["changepos"], json!(0));
    let tx = decode(&node, &funded["hex"]);
    assert_eq!(tx["vout"][0]["scriptPubKey"]["address"], json!(change));
    let signed = node.wallet_rpc(
        "miner",
        "signrawtransactionwithwallet",
        json!([funded["hex"]]),
    );
    let vsize = decode(&node, &signed["hex"])["vsize"].as_i64().unwrap();
    let fee = sats(&funded["fee"]);
    // Paid on the estimated size, which a signature may undershoot by a byte.
    assert!(
        fee >= 10 * vsize && fee <= 10 * (vsize + 2),
        "{fee} {vsize}"
    );

    // The fee subtracted from the output.
    let funded = node.wallet_rpc(
        "miner",
        "fundrawtransaction",
        json!([raw, {"subtractFeeFromOutputs": [0], "fee_rate": 2}]),
    );
    let tx = decode(&node, &funded["hex"]);
    let paid = sats(&output_to(&tx, &to).unwrap()["value"]);
    assert_eq!(paid + sats(&funded["fee"]), 100_000_000);

    // lockUnspents locks what was chosen.
    let funded = node.wallet_rpc(
        "miner",
        "fundrawtransaction",
        json!([raw, {"lockUnspents": true}]),
    );
    let tx = decode(&node, &funded["hex"]);
    let locked = node.wallet_rpc("miner", "listlockunspent", json!([]));
    for vin in tx["vin"].as_array().unwrap() {
        assert!(
            locked
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["txid"] == vin["txid"] && l["vout"] == vin["vout"]),
            "{locked}"
        );
    }
    node.wallet_rpc("miner", "lockunspent", json!([true]));

    // Errors, as Core words them.
    let w = "miner";
    let f = "fundrawtransaction";
    assert_err(&node, w, f, json!(["zz"]), -22, "TX decode failed");
    assert_err(
        &node,
        w,
        f,
        json!({"hexstring": raw, "foo": 1}),
        -8,
        "Unknown named parameter foo",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"foo": 1}]),
        -3,
        "Unexpected key foo",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"changeAddress": "foobar"}]),
        -5,
        "Change address must be a valid bitcoin address",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"changePosition": 2}]),
        -8,
        "changePosition out of bounds",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"change_type": ""}]),
        -5,
        "Unknown change type ''",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"change_type": null}]),
        -3,
        "JSON value of type null is not of expected type string",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"changeAddress": change, "change_type": "bech32"}]),
        -8,
        "Cannot specify both change address and address type options",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"add_inputs": "yes"}]),
        -3,
        "JSON value of type string for field add_inputs is not of expected type bool",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"minconf": -1}]),
        -8,
        "Negative minconf",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"minconf": 2, "maxconf": 1}]),
        -8,
        "maxconf can't be lower than minconf: 1 < 2",
    );
    assert_err(&node, w, f, json!([raw, {"fee_rate": 1, "conf_target": 1}]), -8, "Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate.");
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"fee_rate": 1, "estimate_mode": "economical"}]),
        -8,
        "Cannot specify both estimate_mode and fee_rate",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"fee_rate": 0.1, "feeRate": 0.1}]),
        -8,
        "Cannot specify both fee_rate (sat/vB) and feeRate (BTC/kvB)",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"feeRate": 0.1, "estimate_mode": "economical"}]),
        -8,
        "Cannot specify both estimate_mode and feeRate",
    );
    assert_err(&node, w, f, json!([raw, {"estimate_mode": "foo"}]), -8, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"");
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"conf_target": 0}]),
        -8,
        "Invalid conf_target, must be between 1 and 1008",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"fee_rate": 0.0001}]),
        -3,
        "Invalid amount",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"fee_rate": -1}]),
        -3,
        "Amount out of range",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"fee_rate": 1_000_000}]),
        -4,
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"subtractFeeFromOutputs": [1]}]),
        -8,
        "Invalid parameter 'subtract fee from output', position too large: 1",
    );
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"subtractFeeFromOutputs": [0, 0]}]),
        -8,
        "Invalid parameter 'subtract fee from output', duplicated position: 0",
    );
    assert_err(&node, w, f, json!([raw, {"input_weights": [{"txid": "11".repeat(32), "vout": 0, "weight": 164}]}]), -8, "Invalid parameter, weight cannot be less than 165 (41 bytes (size of outpoint + sequence + empty scriptSig) * 4 (witness scaling factor)) + 1 (empty witness)");
    assert_err(
        &node,
        w,
        f,
        json!([raw, {"solving_data": {"pubkeys": ["not a pubkey"]}}]),
        -5,
        "Pubkey \"not a pubkey\" must be a hex string",
    );
    assert_err_prefix(
        &node,
        w,
        f,
        json!([raw, {"solving_data": {"descriptors": ["not a descriptor"]}}]),
        -8,
        "Unable to parse descriptor 'not a descriptor'",
    );
    let no_outputs = node.rpc("createrawtransaction", json!([[], {}]));
    assert_err(
        &node,
        w,
        f,
        json!([no_outputs]),
        -8,
        "TX must have at least one output",
    );
    let foreign = node.rpc(
        "createrawtransaction",
        json!([[{"txid": "11".repeat(32), "vout": 0}], {to.clone(): 1}]),
    );
    assert_err(
        &node,
        w,
        f,
        json!([foreign]),
        -4,
        "Unable to find UTXO for external input",
    );
    assert_err(&node, "w", f, json!([raw]), -4, "Insufficient funds");

    // A PSBT, version 2 unless asked otherwise, signed and broadcast.
    let created = node.wallet_rpc(
        "miner",
        "walletcreatefundedpsbt",
        json!([[], [{to.clone(): 2}], 0, {"fee_rate": 3}]),
    );
    assert!(sats(&created["fee"]) > 0);
    let decoded = node.rpc("decodepsbt", json!([created["psbt"]]));
    assert_eq!(decoded["psbt_version"], json!(2));
    assert!(decoded["inputs"][0]["witness_utxo"].is_object());
    let processed = node.wallet_rpc("miner", "walletprocesspsbt", json!([created["psbt"]]));
    assert_eq!(processed["complete"], json!(true));
    let txid = node.rpc("sendrawtransaction", json!([processed["hex"]]));
    assert!(in_mempool(&node, txid.as_str().unwrap()));
    let v0 = node.wallet_rpc(
        "miner",
        "walletcreatefundedpsbt",
        json!({"outputs": {to.clone(): 1}, "psbt_version": 0, "subtractFeeFromOutputs": [to.clone()]}),
    );
    assert_eq!(
        node.rpc("decodepsbt", json!([v0["psbt"]]))["psbt_version"],
        json!(0)
    );
    assert_err(
        &node,
        w,
        "walletcreatefundedpsbt",
        json!({"outputs": {to.clone(): 1}, "psbt_version": 1}),
        -8,
        "The PSBT version can only be 2 or 0",
    );
    assert_err(
        &node,
        w,
        "walletcreatefundedpsbt",
        json!([[], {to.clone(): 1}, 0, {"subtractFeeFromOutputs": ["x"]}]),
        -8,
        "Invalid parameter 'subtract fee from output', destination x not found in tx outputs",
    );
    // Preset inputs that fall short are not topped up unless allowed.
    let coin = node.wallet_rpc("miner", "listunspent", json!([]))[0].clone();
    assert_err_prefix(
        &node,
        w,
        "walletcreatefundedpsbt",
        json!([[{"txid": coin["txid"], "vout": coin["vout"]}], {to.clone(): 60}]),
        -4,
        "The preselected coins total amount does not cover the transaction target.",
    );
    let topped = node.wallet_rpc(
        "miner",
        "walletcreatefundedpsbt",
        json!([[{"txid": coin["txid"], "vout": coin["vout"]}], {to.clone(): 60}, 0, {"add_inputs": true}]),
    );
    let decoded = node.rpc("decodepsbt", json!([topped["psbt"]]));
    // Version 2 PSBTs carry their inputs' outpoints per input.
    let inputs = decoded["inputs"].as_array().expect("inputs");
    assert!(inputs.len() >= 2, "{decoded}");
    assert!(
        inputs
            .iter()
            .any(|i| i["previous_txid"] == coin["txid"] && i["previous_vout"] == coin["vout"]),
        "{decoded}"
    );
}

#[test]
fn send_signs_broadcasts_or_returns_the_transaction() {
    let node = funded_node();
    let to = addr(&node, "w");
    let r = node.wallet_rpc("miner", "send", json!([{to.clone(): 1}]));
    assert_eq!(r["complete"], json!(true));
    let txid = r["txid"].as_str().unwrap().to_string();
    assert!(r.get("hex").is_none() && r.get("psbt").is_none());
    assert!(in_mempool(&node, &txid));
    node.wallet_rpc("miner", "gettransaction", json!([txid]));
    // Every coin's spender is in the mempool: nothing spent outside it.
    let balances = node.wallet_rpc("miner", "getbalances", json!([]));
    assert_eq!(sats(&balances["mine"]["nonmempool"]), 0, "{balances}");

    // A PSBT and the transaction, neither kept nor broadcast.
    let r = node.wallet_rpc(
        "miner",
        "send",
        json!({"outputs": {to.clone(): 1}, "psbt": true}),
    );
    assert_eq!(r["complete"], json!(true));
    assert!(r["psbt"].is_string() && r["hex"].is_string());
    let kept_back = r["txid"].as_str().unwrap().to_string();
    assert!(!in_mempool(&node, &kept_back));
    assert_err(
        &node,
        "miner",
        "gettransaction",
        json!([kept_back]),
        -5,
        "Invalid or non-wallet transaction id",
    );
    assert_eq!(
        node.rpc("decodepsbt", json!([r["psbt"]]))["psbt_version"],
        json!(2)
    );

    // add_to_wallet=false: the hex is the caller's to broadcast.
    let r = node.wallet_rpc(
        "miner",
        "send",
        json!({"outputs": [{to.clone(): 1}, {"data": "deadbeef"}], "add_to_wallet": false, "fee_rate": 2}),
    );
    assert_eq!(r["complete"], json!(true));
    let id = r["txid"].as_str().unwrap().to_string();
    assert!(!in_mempool(&node, &id));
    let tx = decode(&node, &r["hex"]);
    assert!(tx["vout"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["scriptPubKey"]["type"] == json!("nulldata")));
    assert_eq!(node.rpc("sendrawtransaction", json!([r["hex"]])), json!(id));

    // Subtracting the fee, at a target with a mode.
    let r = node.wallet_rpc(
        "miner",
        "send",
        json!({"outputs": {to.clone(): 1}, "conf_target": 2, "estimate_mode": "economical", "options": {"subtract_fee_from_outputs": [0]}}),
    );
    let tx = node.wallet_rpc("miner", "gettransaction", json!([r["txid"], true, true]));
    let paid = sats(&output_to(&tx["decoded"], &to).unwrap()["value"]);
    assert_eq!(paid - sats(&tx["fee"]), 100_000_000);

    let w = "miner";
    assert_err(&node, w, "send", json!([{to.clone(): 1}, 6, "economical", null, {"conf_target": 6}]), -8, "Pass conf_target and estimate_mode either as arguments or in the options object, but not both");
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, null, null, 1, {"fee_rate": 1}]),
        -8,
        "Pass the fee_rate either as an argument, or in the options object, but not both",
    );
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, 6]),
        -8,
        "Specify estimate_mode",
    );
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, 6, "conservative", 1, {"feeRate": 0.01}]),
        -8,
        "Use fee_rate (sat/vB) instead of feeRate",
    );
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, null, null, null, {"changeAddress": to.clone()}]),
        -8,
        "Use change_address instead of changeAddress",
    );
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, 6, "conservative", null, {"totalFee": 0.01}]),
        -3,
        "Unexpected key totalFee",
    );
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, 0, "economical"]),
        -8,
        "Invalid conf_target, must be between 1 and 1008",
    );
    assert_err(&node, w, "send", json!({"outputs": {to.clone(): 1}, "fee_rate": 0.999}), -4, "Fee rate (0.999 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB).\nConsider modifying -mintxfee (1.000 sat/vB) or -minrelaytxfee (0.100 sat/vB).");
    assert_err(
        &node,
        w,
        "send",
        json!([[{"data": "Hello World"}]]),
        -8,
        "Data must be hexadecimal string (not 'Hello World')",
    );
    assert_err(
        &node,
        w,
        "send",
        json!([{to.clone(): 1}, null, null, null, {"change_address": "foobar"}]),
        -5,
        "Change address must be a valid bitcoin address",
    );
    assert_err(
        &node,
        "w",
        "send",
        json!([{to.clone(): 1}]),
        -4,
        "Insufficient funds",
    );
}

#[test]
fn sendall_empties_the_wallet_to_one_or_more_recipients() {
    let node = funded_node();
    let dest = addr(&node, "miner");
    let fund = |amounts: &[f64]| {
        for a in amounts {
            let to = addr(&node, "w");
            node.wallet_rpc("miner", "sendtoaddress", json!([to, a]));
        }
        mine(&node, 1);
    };

    assert_err(&node, "w", "sendall", json!([[dest.clone()]]), -6, "Total value of UTXO pool too low to pay for transaction. Try using lower feerate or excluding uneconomic UTXOs with 'send_max' option.");

    fund(&[1.0, 2.0]);
    let before = node.wallet_rpc("miner", "getreceivedbyaddress", json!([dest.clone(), 0]));
    assert_eq!(sats(&before), 0);
    let r = node.wallet_rpc("w", "sendall", json!([[dest.clone()]]));
    assert_eq!(r["complete"], json!(true));
    mine(&node, 1);
    let tx = node.wallet_rpc("w", "gettransaction", json!([r["txid"]]));
    let received = node.wallet_rpc("miner", "getreceivedbyaddress", json!([dest.clone()]));
    assert_eq!(sats(&received) - sats(&tx["fee"]), 300_000_000);
    assert_eq!(node.wallet_rpc("w", "listunspent", json!([0])), json!([]));
    assert_eq!(
        sats(&node.wallet_rpc("w", "getbalances", json!([]))["mine"]["trusted"]),
        0
    );

    // Two recipients share the rest; the first takes the odd satoshi.
    fund(&[1.0, 0.5, 0.25]);
    let (a, b) = (addr(&node, "miner"), addr(&node, "miner"));
    let r = node.wallet_rpc(
        "w",
        "sendall",
        json!({"recipients": [a.clone(), b.clone()], "fee_rate": 3}),
    );
    let tx = node.wallet_rpc("w", "gettransaction", json!([r["txid"], true, true]));
    let va = sats(&output_to(&tx["decoded"], &a).unwrap()["value"]);
    let vb = sats(&output_to(&tx["decoded"], &b).unwrap()["value"]);
    assert!(va - vb == 0 || va - vb == 1, "{va} {vb}");
    assert_eq!(va + vb - sats(&tx["fee"]), 175_000_000);
    assert_eq!(tx["decoded"]["vin"].as_array().unwrap().len(), 3);
    assert_eq!(node.wallet_rpc("w", "listunspent", json!([0])), json!([]));
    mine(&node, 1);

    // A fixed payment and a remainder.
    fund(&[1.0]);
    let (a, b) = (addr(&node, "miner"), addr(&node, "miner"));
    let w = "w";
    assert_err(
        &node,
        w,
        "sendall",
        json!([[{a.clone(): 0.5}]]),
        -8,
        "Must provide at least one address without a specified amount",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!([[a.clone(), a.clone()]]),
        -8,
        &format!("Invalid parameter, duplicated address: {a}"),
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!([[{a.clone(): 2}, b.clone()]]),
        -6,
        "Assigned more value to outputs than available funds.",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!([[{a.clone(): 1}, b.clone()]]),
        -6,
        "Insufficient funds for fees after creating specified outputs.",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!([[{a.clone(): 0.00000001}, b.clone()]]),
        -8,
        &format!("Specified output amount to {a} is below dust threshold."),
    );
    assert_err(&node, w, "sendall", json!({"recipients": [b.clone()], "fee_rate": 0.999}), -8, "Fee rate (0.999 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB).\nConsider modifying -mintxfee (1.000 sat/vB) or -minrelaytxfee (0.100 sat/vB).");
    assert_err(
        &node,
        w,
        "sendall",
        json!({"recipients": [b.clone()], "minconf": -2}),
        -8,
        "Invalid minconf (minconf cannot be negative): -2",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!({"recipients": [b.clone()], "minconf": 2, "maxconf": 1}),
        -8,
        "maxconf can't be lower than minconf: 1 < 2",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!({"recipients": [b.clone()], "inputs": [], "send_max": true}),
        -8,
        "Cannot combine send_max with specific inputs.",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!({"recipients": [b.clone()], "inputs": [], "minconf": 1}),
        -8,
        "Cannot combine minconf or maxconf with specific inputs.",
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!({"recipients": [b.clone()], "inputs": [{"txid": "11".repeat(32), "vout": 0}]}),
        -8,
        &format!(
            "Input not found. UTXO ({}:0) is not part of wallet.",
            "11".repeat(32)
        ),
    );
    assert_err(
        &node,
        w,
        "sendall",
        json!({"recipients": [b.clone()], "options": {"feeRate": 1}}),
        -8,
        "Use fee_rate (sat/vB) instead of feeRate",
    );
    let r = node.wallet_rpc(
        "w",
        "sendall",
        json!({"recipients": [{a.clone(): 0.4}, b.clone()], "add_to_wallet": false}),
    );
    let tx = decode(&node, &r["hex"]);
    assert_eq!(sats(&output_to(&tx, &a).unwrap()["value"]), 40_000_000);
    assert!(r["psbt"].is_string());
    // Not added: the coin is still there, and spent by the hex once sent.
    assert_eq!(
        node.wallet_rpc("w", "listunspent", json!([0]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    node.rpc("sendrawtransaction", json!([r["hex"]]));
    let spent = node.wallet_rpc("w", "listunspent", json!([0]));
    assert_eq!(spent, json!([]));
}

/// A replaceable payment of 1 BTC from `w` to `miner`; `w` holds 5 BTC.
fn replaceable_payment(node: &TestNode) -> (String, String) {
    let to = addr(node, "w");
    node.wallet_rpc("miner", "sendtoaddress", json!([to, 5]));
    mine(node, 1);
    let dest = addr(node, "miner");
    let txid = node
        .wallet_rpc(
            "w",
            "sendtoaddress",
            json!({"address": dest, "amount": 1, "replaceable": true}),
        )
        .as_str()
        .unwrap()
        .to_string();
    (txid, dest)
}

#[test]
fn bumpfee_replaces_a_payment_with_a_higher_fee() {
    let node = funded_node();
    let (txid, dest) = replaceable_payment(&node);
    let before = node.wallet_rpc("w", "gettransaction", json!([txid]));
    let old_fee = -sats(&before["fee"]);

    let w = "w";
    let b = "bumpfee";
    assert_err(
        &node,
        w,
        b,
        json!([txid, {"totalFee": 1}]),
        -3,
        "Unexpected key totalFee",
    );
    assert_err(&node, w, b, json!([txid, {"confTarget": 1, "conf_target": 2}]), -8, "confTarget and conf_target options should not both be set. Use conf_target (confTarget is deprecated).");
    assert_err(&node, w, b, json!({"txid": txid, "fee_rate": 5, "conf_target": 2}), -8, "Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate.");
    assert_err(
        &node,
        w,
        b,
        json!({"txid": txid, "estimate_mode": 42}),
        -3,
        "JSON value of type number for field estimate_mode is not of expected type string",
    );
    assert_err(
        &node,
        w,
        b,
        json!({"txid": txid, "outputs": []}),
        -8,
        "Invalid parameter, output argument cannot be an empty array",
    );
    assert_err(
        &node,
        w,
        b,
        json!({"txid": txid, "outputs": [{dest.clone(): 0.1}, {dest.clone(): 0.2}]}),
        -8,
        &format!("Invalid parameter, duplicated address: {dest}"),
    );
    assert_err(
        &node,
        w,
        b,
        json!({"txid": txid, "original_change_index": -1}),
        -1,
        "JSON integer out of range",
    );
    assert_err(
        &node,
        w,
        b,
        json!({"txid": txid, "original_change_index": 5}),
        -8,
        "Change position is out of range",
    );
    assert_err(&node, w, b, json!({"txid": txid, "original_change_index": 0, "outputs": [{dest.clone(): 0.1}]}), -8, "The options 'outputs' and 'original_change_index' are incompatible. You can only either specify a new set of outputs, or designate a change output to be recycled.");
    assert_err_prefix(
        &node,
        w,
        b,
        json!({"txid": txid, "fee_rate": 1}),
        -8,
        "Insufficient total fee 0.00000",
    );
    assert_err_prefix(
        &node,
        w,
        b,
        json!({"txid": txid, "fee_rate": 100000}),
        -4,
        "Specified or calculated fee ",
    );
    assert_err(
        &node,
        w,
        b,
        json!(["11".repeat(32)]),
        -5,
        "Invalid or non-wallet transaction id",
    );
    assert_err(
        &node,
        w,
        b,
        json!(["11"]),
        -8,
        "txid must be of length 64 (not 2, for '11')",
    );

    let r = node.wallet_rpc(w, b, json!([txid]));
    let new_txid = r["txid"].as_str().unwrap().to_string();
    assert_eq!(sats(&r["origfee"]), old_fee);
    assert!(sats(&r["fee"]) > old_fee);
    assert_eq!(r["errors"], json!([]));
    assert!(in_mempool(&node, &new_txid) && !in_mempool(&node, &txid));
    let old = node.wallet_rpc(w, "gettransaction", json!([txid]));
    assert_eq!(old["replaced_by_txid"], json!(new_txid));
    let new = node.wallet_rpc(w, "gettransaction", json!([new_txid]));
    assert_eq!(new["replaces_txid"], json!(txid));
    assert_eq!(-sats(&new["fee"]), sats(&r["fee"]));
    assert_err(
        &node,
        w,
        b,
        json!([txid]),
        -4,
        &format!(
            "Cannot bump transaction {txid} which was already bumped by transaction {new_txid}"
        ),
    );

    // Bumped again, at a rate of our choosing.
    let r2 = node.wallet_rpc(w, b, json!({"txid": new_txid, "fee_rate": 60}));
    let newest = r2["txid"].as_str().unwrap().to_string();
    assert!(sats(&r2["fee"]) > sats(&r["fee"]));
    mine(&node, 1);
    assert_eq!(
        node.wallet_rpc(w, "gettransaction", json!([newest]))["confirmations"],
        json!(1)
    );
    assert!(
        node.wallet_rpc(w, "gettransaction", json!([txid]))["confirmations"]
            .as_i64()
            .unwrap()
            < 0
    );
    let balance = sats(&node.wallet_rpc(w, "getbalances", json!([]))["mine"]["trusted"]);
    assert_eq!(balance, 400_000_000 - sats(&r2["fee"]));
    assert_eq!(
        sats(&node.wallet_rpc("miner", "getreceivedbyaddress", json!([dest]))),
        100_000_000
    );
    // Once mined its inputs are gone from the UTXO set, which Core checks
    // first.
    let mined = node.wallet_rpc(w, "gettransaction", json!([newest, false, true]));
    let spent = &mined["decoded"]["vin"][0];
    assert_err(
        &node,
        w,
        b,
        json!([newest]),
        -1,
        &format!(
            "{}:{} is already spent",
            spent["txid"].as_str().unwrap(),
            spent["vout"]
        ),
    );

    // A transaction whose change is spent has descendants.
    let parent = node
        .wallet_rpc(w, "sendtoaddress", json!([addr(&node, "miner"), 0.5]))
        .as_str()
        .unwrap()
        .to_string();
    let change = node
        .wallet_rpc(w, "listunspent", json!([0, 0]))
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["txid"] == json!(parent))
        .cloned()
        .unwrap();
    node.wallet_rpc(
        w,
        "send",
        json!({"outputs": {addr(&node, "miner"): 0.1}, "inputs": [{"txid": parent, "vout": change["vout"]}]}),
    );
    assert_err(
        &node,
        w,
        b,
        json!([parent]),
        -8,
        "Transaction has descendants in the wallet",
    );
}

#[test]
fn psbtbumpfee_lets_a_watch_only_wallet_propose_the_replacement() {
    let node = funded_node();
    // A watch-only copy of `w`, made before `w` is used.
    node.rpc(
        "createwallet",
        json!({"wallet_name": "watch", "disable_private_keys": true, "blank": true}),
    );
    let descs = node.wallet_rpc("w", "listdescriptors", json!([]));
    let requests: Vec<Value> = descs["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            json!({"desc": d["desc"], "timestamp": "now", "active": d["active"],
                   "internal": d["internal"], "range": d["range"], "next_index": d["next_index"]})
        })
        .collect();
    let imported = node.wallet_rpc("watch", "importdescriptors", json!([requests]));
    assert!(
        imported
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == json!(true)),
        "{imported}"
    );

    let (txid, _) = replaceable_payment(&node);
    node.wallet_rpc("watch", "gettransaction", json!([txid]));
    assert_err(&node, "watch", "bumpfee", json!([txid]), -4, "bumpfee is not available with wallets that have private keys disabled. Use psbtbumpfee instead.");

    let r = node.wallet_rpc("watch", "psbtbumpfee", json!([txid]));
    assert!(sats(&r["fee"]) > sats(&r["origfee"]));
    assert_eq!(r["errors"], json!([]));
    let decoded = node.rpc("decodepsbt", json!([r["psbt"]]));
    assert_eq!(decoded["psbt_version"], json!(2));
    // Proposed only: the original stays.
    assert!(in_mempool(&node, &txid));
    let v0 = node.wallet_rpc(
        "watch",
        "psbtbumpfee",
        json!({"txid": txid, "psbt_version": 0}),
    );
    assert_eq!(
        node.rpc("decodepsbt", json!([v0["psbt"]]))["psbt_version"],
        json!(0)
    );
    assert_err(
        &node,
        "watch",
        "psbtbumpfee",
        json!({"txid": txid, "psbt_version": 1}),
        -8,
        "The PSBT version can only be 2 or 0",
    );

    // The key holder signs, anyone broadcasts; the replacement wins.
    let signed = node.wallet_rpc("w", "walletprocesspsbt", json!([r["psbt"]]));
    assert_eq!(signed["complete"], json!(true));
    let new_txid = node.rpc("sendrawtransaction", json!([signed["hex"]]));
    assert!(in_mempool(&node, new_txid.as_str().unwrap()) && !in_mempool(&node, &txid));
    mine(&node, 1);
    let w_balance = node.wallet_rpc("w", "getbalances", json!([]))["mine"]["trusted"].clone();
    assert_eq!(sats(&w_balance), 400_000_000 - sats(&r["fee"]));
    assert_eq!(
        node.wallet_rpc("watch", "getbalances", json!([]))["mine"]["trusted"],
        w_balance
    );
}

/// Coins only at the end of an unconfirmed chain as long as the node's
/// ancestor limit (25 by default, Core's `getPackageLimits`) are left out
/// of selection, and `send` says why (Core's too-long-chain error).
#[test]
fn coins_at_the_end_of_a_too_long_unconfirmed_chain_are_not_spent() {
    let node = funded_node();
    let to = addr(&node, "w");
    let first = node.wallet_rpc(
        "miner",
        "send",
        json!({"outputs": [{to: 25}], "options": {"change_position": 0}}),
    );
    let mut txid = first["txid"].as_str().unwrap().to_string();
    let vout = 1;
    // 24 more, each spending the last: the final coin has 25 ancestors.
    for i in 1..25 {
        let to = addr(&node, "w");
        let sent = node.wallet_rpc(
            "w",
            "send",
            json!({
                "outputs": [{to: 25 - i}],
                "options": {
                    "change_position": 0,
                    "add_inputs": false,
                    "inputs": [{"txid": txid, "vout": vout}],
                },
            }),
        );
        // The payment follows the change at position 0.
        txid = sent["txid"].as_str().unwrap().to_string();
    }
    let to = addr(&node, "w");
    assert_err(
        &node,
        "w",
        "send",
        json!({
            "outputs": [{to.clone(): 0.3}],
            "options": {"minconf": 0, "include_unsafe": true, "add_inputs": true},
        }),
        -4,
        "Unconfirmed UTXOs are available, but spending them creates a chain of transactions that will be rejected by the mempool",
    );
    // Once the chain confirms, the same payment goes through.
    mine(&node, 1);
    let sent = node.wallet_rpc("w", "send", json!({"outputs": [{to: 0.3}]}));
    assert_eq!(sent["complete"], json!(true));
}

#[test]
fn a_high_feerate_parent_does_not_pay_for_a_low_one() {
    let node = funded_node();
    for amount in [2.0, 2.0] {
        let to = addr(&node, "w");
        node.wallet_rpc("miner", "sendtoaddress", json!([to, amount]));
    }
    mine(&node, 1);
    // Two unconfirmed parents: one well above the target, one far below.
    let parent = |rate: u32| {
        let to = addr(&node, "w");
        let txid = node.wallet_rpc(
            "w",
            "sendtoaddress",
            json!({"address": to, "amount": 1.5, "fee_rate": rate}),
        );
        node.wallet_rpc("w", "gettransaction", json!([txid, true, true]))
    };
    let _high = parent(60);
    let low = parent(1);
    let pay = addr(&node, "miner");
    let child = node.wallet_rpc(
        "w",
        "sendtoaddress",
        json!({"address": pay, "amount": 2.8, "fee_rate": 30}),
    );
    let child = node.wallet_rpc("w", "gettransaction", json!([child, true, true]));
    // The child lifts the low parent to the target by itself.
    let fee = |tx: &Value| -sats(&tx["fee"]);
    let vsize = |tx: &Value| tx["decoded"]["vsize"].as_i64().expect("vsize");
    let rate = (fee(&low) + fee(&child)) as f64 / (vsize(&low) + vsize(&child)) as f64;
    assert!(rate >= 30.0, "low parent and child pay {rate} sat/vB");
    assert!(rate <= 30.3, "low parent and child overpay: {rate} sat/vB");
}
