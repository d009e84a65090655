//! The fee estimator end to end: estimates from confirmed pool
//! transactions, `fee_estimates.dat` written hourly and at shutdown and read
//! back, a corrupt file, and `-blocksonly`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::transaction::Version;
use bitcoin::{absolute, Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Witness};
use functional::op_true::{coinbase_of, generate, script, spend};
use functional::TestNode;
use serde_json::{json, Value};

/// Fee rate the test transactions pay, in sat/vB.
const RATE: u64 = 25;

/// Splits the coinbase of block `hash` into `n` coins; returns them with
/// their value once mined.
fn split(node: &TestNode, hash: &str, n: usize) -> Vec<(OutPoint, u64)> {
    let (coin, value) = coinbase_of(node, hash);
    let each = (value - 100_000) / n as u64;
    let spk = bitcoin::ScriptBuf::new_p2wsh(&script().wscript_hash());
    let mut witness = Witness::new();
    witness.push(script().as_bytes());
    let tx = Transaction {
        version: Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coin,
            script_sig: bitcoin::ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness,
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(each),
                script_pubkey: spk,
            };
            n
        ],
    };
    node.rpc("sendrawtransaction", json!([serialize_hex(&tx)]));
    generate(node, 1);
    let txid = tx.compute_txid();
    (0..n as u32)
        .map(|v| (OutPoint::new(txid, v), each))
        .collect()
}

/// A spend of `coin` paying exactly [`RATE`] sat/vB.
fn spend_at_rate((coin, value): (OutPoint, u64)) -> Transaction {
    let vsize = spend(coin, value, 0).vsize() as u64;
    spend(coin, value, vsize * RATE)
}

fn smart_fee(node: &TestNode, target: u32) -> Value {
    node.rpc("estimatesmartfee", json!([target]))
}

fn no_estimate() -> Value {
    json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0})
}

#[test]
fn confirmed_transactions_give_estimates_that_survive_a_restart() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    assert_eq!(smart_fee(&node, 2), no_estimate());
    let mut coins = split(&node, &hashes[0], 200).into_iter();
    // Ten transactions a block, each confirmed in the next block.
    for _ in 0..20 {
        for coin in coins.by_ref().take(10) {
            node.rpc(
                "sendrawtransaction",
                json!([serialize_hex(&spend_at_rate(coin))]),
            );
        }
        generate(&node, 1);
    }
    // BTC/kvB with Core's eight decimals.
    let expected = format!("{:.8}", RATE as f64 * 1000.0 / 1e8);
    let estimate = smart_fee(&node, 1);
    assert_eq!(estimate["feerate"].to_string(), expected, "{estimate}");
    assert_eq!(estimate["blocks"], json!(2));
    // Recording began with the split's block, twenty blocks ago: targets
    // are answered for at most half of that span.
    assert_eq!(smart_fee(&node, 50)["blocks"], json!(10));
    assert_eq!(
        node.rpc("estimatesmartfee", json!([2, "CONSERVATIVE"]))["feerate"].to_string(),
        expected
    );

    let raw = node.rpc("estimaterawfee", json!([1]));
    let horizons: Vec<&String> = raw.as_object().expect("object").keys().collect();
    assert_eq!(horizons, ["short", "medium", "long"]);
    assert_eq!(raw["short"]["feerate"].to_string(), expected, "{raw}");
    assert_eq!(raw["short"]["decay"], json!(0.962));
    assert_eq!(raw["short"]["scale"], json!(1));
    assert_eq!(raw["long"]["scale"], json!(24));
    assert!(
        raw["short"]["pass"]["withintarget"]
            .as_f64()
            .expect("count")
            > 0.0
    );
    let medium_only = node.rpc("estimaterawfee", json!([13]));
    assert!(medium_only.get("short").is_none());
    assert!(medium_only.get("medium").is_some());
    let err = node.rpc_err("estimaterawfee", json!([1, 1.5]));
    assert_eq!((err.code, err.message.as_str()), (-8, "Invalid threshold"));
    let err = node.rpc_err("estimatesmartfee", json!([1009]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-8, "Invalid conf_target, must be between 1 and 1008")
    );

    // The hourly flush writes Core's format.
    let file = node.chain_path().join("fee_estimates.dat");
    assert!(!file.exists());
    node.rpc("mockscheduler", json!([3600]));
    functional::wait_for_file(&file);
    functional::wait_for("the flush log line", || {
        node.debug_log()
            .contains(&format!("Flushed fee estimates to {}.", file.display()))
            .then_some(())
    });
    let bytes = std::fs::read(&file).expect("fee_estimates.dat");
    assert_eq!(&bytes[..4], &309_900i32.to_le_bytes());

    node.stop();
    node.start(&[]);
    assert_eq!(smart_fee(&node, 1)["feerate"].to_string(), expected);

    // A corrupt file is reported and ignored.
    node.stop();
    std::fs::write(&file, [1u8, 2, 3, 4, 5, 6, 7]).expect("write");
    node.start(&[]);
    assert_eq!(smart_fee(&node, 1), no_estimate());
    let log = node.debug_log();
    assert!(
        log.contains("Unable to read policy estimator data (non-fatal)"),
        "{log}"
    );
    assert!(log.contains(&format!(
        "Failed to read fee estimates from {}. Continue anyway.",
        file.display()
    )));
    node.stop();
}

#[test]
fn blocksonly_runs_no_estimator() {
    let mut node = TestNode::new();
    node.start(&["-blocksonly"]);
    for (method, params) in [
        ("estimatesmartfee", json!([2])),
        ("estimaterawfee", json!([2])),
    ] {
        let err = node.rpc_err(method, params);
        assert_eq!(
            (err.code, err.message.as_str()),
            (-32603, "Fee estimation disabled")
        );
    }
    node.stop();
}
