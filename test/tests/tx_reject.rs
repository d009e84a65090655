//! Transactions and headers from RPC that break a rule are refused with
//! Core's reasons and error codes, and the node keeps running: one case per
//! rule family of `sendrawtransaction` / `testmempoolaccept` (decoding,
//! context-free checks, standardness, inputs, fees, finality, duplicates,
//! scripts) and of `submitheader`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::script::Builder;
use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Block, ScriptBuf, Transaction, TxOut, Witness};
use functional::op_true::{coinbase_of, generate, spend};
use functional::TestNode;
use serde_json::{json, Value};

fn reject_reason(node: &TestNode, tx: &Transaction) -> String {
    let r = node.rpc("testmempoolaccept", json!([[serialize_hex(tx)]]));
    assert_eq!(r[0]["allowed"], json!(false), "{r}");
    r[0]["reject-reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A scriptSig pushing `redeem` (short scripts only).
fn redeem_push(redeem: &[u8]) -> Vec<u8> {
    let mut v = vec![redeem.len() as u8];
    v.extend_from_slice(redeem);
    v
}

#[test]
fn sendrawtransaction_rejects_each_rule_family_with_cores_reason() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 110);
    let coin = |i: usize| coinbase_of(&node, &hashes[i]);

    // Decoding.
    let e = node.rpc_err("sendrawtransaction", json!(["00ff"]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -22,
            "TX decode failed. Make sure the tx has at least one input."
        )
    );

    // Fee-rate limits must be below 1 BTC/kvB.
    let e = node.rpc_err("testmempoolaccept", json!([["00"], 1]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -8,
            "Fee rates larger than or equal to 1BTC/kvB are not accepted"
        )
    );

    // Context-free checks.
    let (prev, value) = coin(0);
    let mut tx = spend(prev, value, 10_000);
    tx.output[0].value = Amount::from_sat(value + 1);
    assert_eq!(reject_reason(&node, &tx), "bad-txns-in-belowout");
    let mut tx = spend(prev, value, 10_000);
    tx.output.clear();
    assert_eq!(reject_reason(&node, &tx), "bad-txns-vout-empty");
    let mut tx = spend(prev, value, 10_000);
    tx.input.push(tx.input[0].clone());
    assert_eq!(reject_reason(&node, &tx), "bad-txns-inputs-duplicate");

    // A coinbase cannot be relayed.
    let block = node.rpc("getblock", json!([hashes[0], 0]));
    let block: Block = deserialize(&hex::decode(block.as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(reject_reason(&node, &block.txdata[0]), "coinbase");

    // Standardness.
    let mut tx = spend(prev, value, 10_000);
    tx.version = bitcoin::transaction::Version(4);
    assert_eq!(reject_reason(&node, &tx), "version");
    let mut tx = spend(prev, value, 10_000);
    tx.input[0].script_sig = Builder::new()
        .push_opcode(bitcoin::opcodes::all::OP_NOP)
        .into_script();
    assert_eq!(reject_reason(&node, &tx), "scriptsig-not-pushonly");
    let mut tx = spend(prev, value, 10_000);
    tx.output[0] = TxOut {
        value: Amount::from_sat(value - 10_000),
        script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
    };
    assert_eq!(reject_reason(&node, &tx), "scriptpubkey");

    // Dust: an output worth less than spending it would cost, on a
    // transaction that pays a fee.
    let mut tx = spend(prev, value, 10_000);
    tx.output.push(TxOut {
        value: Amount::from_sat(1),
        script_pubkey: tx.output[0].script_pubkey.clone(),
    });
    assert_eq!(reject_reason(&node, &tx), "dust");

    // Inputs: unknown, immature coinbase.
    let mut tx = spend(prev, value, 10_000);
    tx.input[0].previous_output.txid = bitcoin::Txid::all_zeros();
    assert_eq!(reject_reason(&node, &tx), "missing-inputs");
    let e = node.rpc_err("sendrawtransaction", json!([serialize_hex(&tx)]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-25, "bad-txns-inputs-missingorspent")
    );
    let (young, young_value) = coin(100);
    let tx = spend(young, young_value, 10_000);
    assert!(reject_reason(&node, &tx).starts_with("bad-txns-premature-spend-of-coinbase"));

    // Fees.
    let tx = spend(prev, value, 0);
    assert!(reject_reason(&node, &tx).starts_with("min relay fee not met"));

    // Finality.
    let mut tx = spend(prev, value, 10_000);
    tx.lock_time = LockTime::from_height(1_000).unwrap();
    tx.input[0].sequence = bitcoin::Sequence::ENABLE_LOCKTIME_NO_RBF;
    assert_eq!(reject_reason(&node, &tx), "non-final");

    // Scripts: a witness that does not hash to the output's program.
    let mut tx = spend(prev, value, 10_000);
    let mut w = Witness::new();
    w.push([0x52]);
    tx.input[0].witness = w;
    let r = reject_reason(&node, &tx);
    assert_eq!(
        r,
        "mempool-script-verify-flag-failed (Witness program hash mismatch)"
    );

    // Scripts under policy flags: P2SH outputs whose redeem script uses an
    // upgradable NOP (policy), a negative CLTV (consensus), or more
    // signature operations than a standard redeem script may hold.
    let (funding_prev, funding_value) = coin(2);
    let mut funding = spend(funding_prev, funding_value, 10_000);
    let mut many_sigops = vec![0xacu8; 16];
    many_sigops.push(0x51);
    let redeem_scripts = [vec![0xb3u8, 0x51], vec![0x4f, 0xb1, 0x51], many_sigops];
    let half = (funding_value - 10_000) / 3;
    funding.output = redeem_scripts
        .iter()
        .map(|r| TxOut {
            value: Amount::from_sat(half),
            script_pubkey: ScriptBuf::new_p2sh(
                &bitcoin::ScriptBuf::from_bytes(r.clone()).script_hash(),
            ),
        })
        .collect();
    let funding_txid = node.rpc("sendrawtransaction", json!([serialize_hex(&funding)]));
    let funding_txid: bitcoin::Txid = funding_txid.as_str().unwrap().parse().unwrap();
    for (vout, (redeem, want)) in redeem_scripts
        .iter()
        .zip([
            "mempool-script-verify-flag-failed (NOPx reserved for soft-fork upgrades)",
            "mempool-script-verify-flag-failed (Negative locktime)",
            "bad-txns-nonstandard-inputs",
        ])
        .enumerate()
    {
        let mut tx = spend(
            bitcoin::OutPoint::new(funding_txid, vout as u32),
            half,
            10_000,
        );
        tx.input[0].witness = Witness::new();
        tx.input[0].script_sig = ScriptBuf::from_bytes(redeem_push(redeem));
        assert_eq!(reject_reason(&node, &tx), want);
    }

    // TRUC (version 3): one child per parent, no unconfirmed grandparents,
    // and no mixing with other versions.
    let (truc_prev, truc_value) = coin(3);
    let mut parent = spend(truc_prev, truc_value, 10_000);
    parent.version = bitcoin::transaction::Version(3);
    let half = (truc_value - 10_000) / 2;
    parent.output[0].value = Amount::from_sat(half);
    parent.output.push(parent.output[0].clone());
    let parent_txid = node.rpc("sendrawtransaction", json!([serialize_hex(&parent)]));
    let parent_txid: bitcoin::Txid = parent_txid.as_str().unwrap().parse().unwrap();
    let child = |vout: u32, version: i32| {
        let mut t = spend(bitcoin::OutPoint::new(parent_txid, vout), half, 1_000);
        t.version = bitcoin::transaction::Version(version);
        t
    };
    let first_child = child(0, 3);
    node.rpc("sendrawtransaction", json!([serialize_hex(&first_child)]));
    assert_eq!(reject_reason(&node, &child(1, 2)), "TRUC-violation");
    // A second child must outbid the first, which it then evicts.
    assert_eq!(
        reject_reason(&node, &child(1, 3)),
        "insufficient fee (including sibling eviction)"
    );
    let mut richer = spend(bitcoin::OutPoint::new(parent_txid, 1), half, 5_000);
    richer.version = bitcoin::transaction::Version(3);
    let r = node.rpc("testmempoolaccept", json!([[serialize_hex(&richer)]]));
    assert_eq!(r[0]["allowed"], json!(true), "{r}");
    let mut grandchild = spend(
        bitcoin::OutPoint::new(first_child.compute_txid(), 0),
        half - 1_000,
        1_000,
    );
    grandchild.version = bitcoin::transaction::Version(3);
    assert_eq!(reject_reason(&node, &grandchild), "TRUC-violation");

    // Already known; replacements; already confirmed.
    let first = spend(prev, value, 5_000);
    node.rpc("sendrawtransaction", json!([serialize_hex(&first)]));
    assert_eq!(reject_reason(&node, &first), "txn-already-in-mempool");
    let same_fee = {
        let mut t = spend(prev, value, 5_000);
        t.lock_time = LockTime::from_height(1).unwrap();
        t
    };
    assert_eq!(reject_reason(&node, &same_fee), "insufficient fee");
    // More fee, but spread over so many bytes that the pool's feerate
    // diagram gets worse.
    let bloated = {
        let mut t = spend(prev, value, 6_000);
        t.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(
                [vec![0x6a, 0x4d, 0xe8, 0x03], vec![7; 1000]].concat(),
            ),
        });
        t
    };
    assert_eq!(reject_reason(&node, &bloated), "replacement-failed");
    // A higher fee replaces it (full RBF).
    let good = spend(prev, value, 10_000);
    let txid = node.rpc("sendrawtransaction", json!([serialize_hex(&good)]));
    let pool = node.rpc("getrawmempool", json!([]));
    assert!(pool.as_array().unwrap().contains(&txid), "{pool}");
    generate(&node, 1);
    let e = node.rpc_err("sendrawtransaction", json!([serialize_hex(&good)]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-27, "Transaction outputs already in utxo set")
    );
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([]));
    assert!(txid.is_string());
    node.stop();

    // Data carriers, bare multisig and cluster limits as configured.
    node.start(&[
        "-datacarriersize=3",
        "-permitbaremultisig=0",
        "-limitclustercount=1",
    ]);
    let info = node.rpc("getmempoolinfo", json!([]));
    assert_eq!(
        (&info["permitbaremultisig"], &info["maxdatacarriersize"]),
        (&json!(false), &json!(3))
    );
    assert!(info.get("fullrbf").is_none(), "deprecated: {info}");
    assert_eq!(
        (&info["limitclustercount"], &info["limitclustersize"]),
        (&json!(1), &json!(101_000))
    );
    let (prev, value) = coinbase_of(&node, &hashes[4]);
    let with_output = |spk: Vec<u8>| {
        let mut tx = spend(prev, value, 10_000);
        tx.output.push(TxOut {
            value: Amount::from_sat(if spk[0] == 0x6a { 0 } else { 10_000 }),
            script_pubkey: ScriptBuf::from_bytes(spk),
        });
        tx
    };
    assert_eq!(
        reject_reason(&node, &with_output(vec![0x6a, 0x03, 1, 2, 3])),
        "datacarrier"
    );
    let mut multisig = vec![0x51, 33, 0x02];
    multisig.extend([0x11; 32]);
    multisig.extend([0x51, 0xae]);
    assert_eq!(
        reject_reason(&node, &with_output(multisig)),
        "bare-multisig"
    );
    // A cluster of one: a child of a pool transaction does not fit.
    let parent = spend(prev, value, 10_000);
    node.rpc("sendrawtransaction", json!([serialize_hex(&parent)]));
    let child = spend(
        bitcoin::OutPoint::new(parent.compute_txid(), 0),
        value - 10_000,
        10_000,
    );
    assert_eq!(reject_reason(&node, &child), "too-large-cluster");
    node.stop();

    // -acceptnonstdtxn lifts the standardness rules on test chains.
    node.start(&["-acceptnonstdtxn=1"]);
    let (prev, value) = coinbase_of(&node, &hashes[1]);
    let mut tx = spend(prev, value, 10_000);
    tx.output.push(TxOut {
        value: Amount::from_sat(0),
        script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
    });
    let r = node.rpc("testmempoolaccept", json!([[serialize_hex(&tx)]]));
    assert_eq!(r[0]["allowed"], json!(true), "{r}");
    // Signature operations make a transaction count bigger: 50 CHECKSIGs
    // cost 200, at 20 bytes each 4000 weight units, 1000 virtual bytes.
    let mut tx = spend(prev, value, 10_000);
    tx.output.push(TxOut {
        value: Amount::from_sat(1_000),
        script_pubkey: ScriptBuf::from_bytes([vec![0xac; 50], vec![0x51]].concat()),
    });
    let r = node.rpc("testmempoolaccept", json!([[serialize_hex(&tx)]]));
    assert_eq!(
        (&r[0]["allowed"], &r[0]["vsize"]),
        (&json!(true), &json!(1000)),
        "{r}"
    );
    node.stop();
}

#[test]
fn submitheader_rejects_bad_headers_with_cores_reason() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 2);
    let hex = node.rpc("getblock", json!([hashes[1], 0]));
    let block: Block = deserialize(&hex::decode(hex.as_str().unwrap()).unwrap()).unwrap();
    let header_hex = |h: &bitcoin::block::Header| serialize_hex(h);

    let e = node.rpc_err("submitheader", json!(["00"]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-22, "Block header decode failed")
    );

    let mut orphan = block.header;
    orphan.prev_blockhash = bitcoin::BlockHash::all_zeros();
    let e = node.rpc_err("submitheader", json!([header_hex(&orphan)]));
    assert_eq!((e.code, e.message.as_str()), (-25, "Must submit previous header (0000000000000000000000000000000000000000000000000000000000000000) first"));

    // Not enough proof of work: no nonce makes the block hash meet the target
    // once `bits` asks for far more work than regtest's limit.
    let mut hard = block.header;
    hard.bits = bitcoin::CompactTarget::from_consensus(0x1d00ffff);
    let e = node.rpc_err("submitheader", json!([header_hex(&hard)]));
    assert_eq!(e.code, -25);
    assert!(
        e.message == "high-hash" || e.message == "bad-diffbits",
        "{}",
        e.message
    );

    // Too old: at or before the median time past.
    let mut old = block.header;
    old.time = 0;
    let e = node.rpc_err("submitheader", json!([header_hex(&old)]));
    assert_eq!(e.code, -25);
    assert!(
        e.message.starts_with("time-too-old") || e.message == "high-hash",
        "{}",
        e.message
    );

    // A known header is accepted again quietly.
    assert_eq!(
        node.rpc("submitheader", json!([header_hex(&block.header)])),
        Value::Null
    );
    assert_eq!(node.rpc("getblockcount", json!([])), json!(2));
    node.stop();
}
