//! Mining RPCs against a running node: `getblocktemplate` in template and
//! proposal mode, `getmininginfo`, `getnetworkhashps`, fee deltas from
//! `prioritisetransaction` steering the block assembler, the mining
//! options' init errors, and the mempool (with its deltas) surviving a
//! restart through `mempool.dat`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{Block, Transaction};
use functional::TestNode;
use serde_json::{json, Value};

use functional::op_true::{address as op_true_address, coinbase_of, generate, spend};

fn gbt(node: &TestNode) -> Value {
    node.rpc("getblocktemplate", json!([{"rules": ["segwit"]}]))
}

/// A node with 101 blocks whose first coinbases are spendable.
fn mature_node(extra: &[&str]) -> (TestNode, Vec<String>) {
    let mut node = TestNode::new();
    node.start(extra);
    let hashes = generate(&node, 101);
    (node, hashes)
}

fn send(node: &TestNode, tx: &Transaction) -> String {
    node.rpc("sendrawtransaction", json!([serialize_hex(tx)]))
        .as_str()
        .expect("txid")
        .to_string()
}

fn template_txids(t: &Value) -> Vec<String> {
    t["transactions"]
        .as_array()
        .expect("transactions")
        .iter()
        .map(|e| e["txid"].as_str().expect("txid").to_string())
        .collect()
}

#[test]
fn template_has_cores_fields_and_rule_checks() {
    let (mut node, _) = mature_node(&[]);
    // Past the first 144-block period, where the test deployment starts.
    generate(&node, 99);
    let e = node.rpc_err("getblocktemplate", json!([{}]));
    assert_eq!(e.code, -8);
    assert_eq!(
        e.message,
        "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})"
    );
    let e = node.rpc_err(
        "getblocktemplate",
        json!([{"mode": "bogus", "rules": ["segwit"]}]),
    );
    assert_eq!((e.code, e.message.as_str()), (-8, "Invalid mode"));
    let info = node.rpc("getmininginfo", json!([]));
    assert!(
        info.get("currentblocktx").is_some(),
        "generate assembled a block"
    );

    let t = gbt(&node);
    let best = node.rpc("getbestblockhash", json!([]));
    assert_eq!(t["previousblockhash"], best);
    assert_eq!(t["height"], json!(201));
    assert_eq!(t["capabilities"], json!(["proposal"]));
    assert_eq!(t["rules"], json!(["csv", "!segwit", "taproot"]));
    assert_eq!(t["vbavailable"], json!({"testdummy": 28}));
    assert_eq!(t["version"], json!(0x2000_0000 | (1 << 28)));
    assert_eq!(t["vbrequired"], json!(0));
    // Regtest halves the subsidy every 150 blocks.
    assert_eq!(t["coinbasevalue"], json!(2_500_000_000u64));
    assert_eq!(t["mutable"], json!(["time", "transactions", "prevblock"]));
    assert_eq!(t["noncerange"], json!("00000000ffffffff"));
    assert_eq!(t["sigoplimit"], json!(80_000));
    assert_eq!(t["sizelimit"], json!(4_000_000));
    assert_eq!(t["weightlimit"], json!(4_000_000));
    assert_eq!(t["bits"], json!("207fffff"));
    assert_eq!(
        t["longpollid"].as_str().expect("longpollid")[..64],
        *best.as_str().expect("hash")
    );
    assert!(t["curtime"].as_u64() >= t["mintime"].as_u64());
    let commitment = t["default_witness_commitment"]
        .as_str()
        .expect("commitment");
    assert!(commitment.starts_with("6a24aa21a9ed"), "{commitment}");

    let info = node.rpc("getmininginfo", json!([]));
    assert_eq!(info["currentblocktx"], json!(0));
    assert_eq!(info["currentblockweight"], json!(8000));
    assert_eq!(info["pooledtx"], json!(0));
    assert_eq!(info["blockmintxfee"].to_string(), "0.00000001");
    assert_eq!(info["next"]["height"], json!(201));
    assert!(info["networkhashps"].as_f64().expect("hashps") > 0.0);
    node.stop();
}

#[test]
fn prioritisation_steers_block_assembly() {
    let (mut node, hashes) = mature_node(&[]);
    let (a_out, a_value) = coinbase_of(&node, &hashes[0]);
    let (b_out, b_value) = coinbase_of(&node, &hashes[1]);
    let low = send(&node, &spend(a_out, a_value, 1_000));
    let high = send(&node, &spend(b_out, b_value, 5_000));

    let t = gbt(&node);
    assert_eq!(template_txids(&t), vec![high.clone(), low.clone()]);
    let fees: Vec<&Value> = t["transactions"]
        .as_array()
        .expect("txs")
        .iter()
        .map(|e| &e["fee"])
        .collect();
    assert_eq!(fees, vec![&json!(5_000), &json!(1_000)]);
    assert_eq!(t["coinbasevalue"], json!(5_000_000_000u64 + 6_000));
    assert_eq!(t["transactions"][0]["depends"], json!([]));

    // A delta reorders the block, but the template still reports real fees.
    assert_eq!(
        node.rpc("prioritisetransaction", json!([low, 0, 10_000])),
        json!(true)
    );
    let t = gbt(&node);
    assert_eq!(template_txids(&t), vec![low.clone(), high.clone()]);
    assert_eq!(t["transactions"][0]["fee"], json!(1_000));
    let p = node.rpc("getprioritisedtransactions", json!([]));
    assert_eq!(
        p[&low],
        json!({"fee_delta": 10_000, "in_mempool": true, "modified_fee": 11_000})
    );
    let entry = node.rpc("getmempoolentry", json!([low]));
    assert_eq!(entry["fees"]["modified"].to_string(), "0.00011000");

    // A negative modified fee keeps a transaction out of blocks entirely.
    node.rpc(
        "prioritisetransaction",
        json!({"txid": low, "fee_delta": -20_000}),
    );
    let t = gbt(&node);
    assert_eq!(template_txids(&t), vec![high.clone()]);
    let mined = generate(&node, 1);
    let block = node.rpc("getblock", json!([mined[0]]));
    assert_eq!(block["tx"].as_array().expect("txs").len(), 2);
    assert_eq!(block["tx"][1], json!(high));

    let e = node.rpc_err("prioritisetransaction", json!([low, 1, 5]));
    assert_eq!(e.code, -8);
    assert_eq!(
        e.message,
        "Priority is no longer supported, dummy argument to prioritisetransaction must be 0."
    );
    node.stop();
}

#[test]
fn proposals_report_bip22_results() {
    let (mut node, _) = mature_node(&[]);
    let made = node.rpc("generateblock", json!([op_true_address(), [], false]));
    let hex_block = made["hex"].as_str().expect("hex").to_string();
    let propose = |data: &str| {
        node.try_rpc(
            "getblocktemplate",
            json!([{"mode": "proposal", "data": data, "rules": ["segwit"]}]),
        )
    };
    assert_eq!(propose(&hex_block), Ok(Value::Null));

    let block: Block = deserialize(&hex::decode(&hex_block).expect("hex")).expect("block");
    let mut bad_root = block.clone();
    bad_root.header.merkle_root = bitcoin::TxMerkleNode::all_zeros();
    assert_eq!(
        propose(&serialize_hex(&bad_root)),
        Ok(json!("bad-txnmrklroot"))
    );
    let mut elsewhere = block.clone();
    elsewhere.header.prev_blockhash = bitcoin::BlockHash::all_zeros();
    assert_eq!(
        propose(&serialize_hex(&elsewhere)),
        Ok(json!("inconclusive-not-best-prevblk"))
    );
    let e = propose(&hex_block[..hex_block.len() - 2]).expect_err("truncated");
    assert_eq!(
        e.map(|e| (e.code, e.message)),
        Some((-22, "Block decode failed".into()))
    );
    let e = node
        .try_rpc(
            "getblocktemplate",
            json!([{"mode": "proposal", "rules": ["segwit"]}]),
        )
        .expect_err("no data");
    assert_eq!(
        e.map(|e| (e.code, e.message)),
        Some((-3, "Missing data String key for proposal".into()))
    );

    assert_eq!(node.rpc("submitblock", json!([hex_block])), Value::Null);
    assert_eq!(propose(&hex_block), Ok(json!("duplicate")));
    node.stop();
}

#[test]
fn network_hashps_checks_its_arguments() {
    let (mut node, _) = mature_node(&[]);
    let e = node.rpc_err("getnetworkhashps", json!([0]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "Invalid nblocks. Must be a positive number or -1.")
    );
    let e = node.rpc_err("getnetworkhashps", json!([120, 500]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "Block does not exist at specified height")
    );
    assert_eq!(node.rpc("getnetworkhashps", json!([120, 0])), json!(0));
    assert!(
        node.rpc("getnetworkhashps", json!([-1]))
            .as_f64()
            .expect("number")
            >= 0.0
    );
    node.stop();
}

#[test]
fn mining_options_are_checked_at_startup() {
    let node = TestNode::new();
    node.assert_start_raises_init_error(
        &["-blockreservedweight=1999"],
        "Error: -blockreservedweight (1999) is lower than minimum safety value of (2000)",
    );
    node.assert_start_raises_init_error(
        &["-blockmaxweight=4000001"],
        "Error: -blockmaxweight (4000001) exceeds consensus maximum block weight (4000000)",
    );
    node.assert_start_raises_init_error(
        &["-blockmaxweight=7999"],
        "Error: -blockreservedweight (8000) exceeds -blockmaxweight (7999)",
    );
}

#[test]
fn mempool_and_deltas_survive_a_restart() {
    let (mut node, hashes) = mature_node(&[]);
    let (out, value) = coinbase_of(&node, &hashes[0]);
    let txid = send(&node, &spend(out, value, 2_000));
    let absent = "11".repeat(32);
    node.rpc("prioritisetransaction", json!([txid, 0, 300]));
    node.rpc("prioritisetransaction", json!([absent, 0, -7]));
    node.stop();
    assert!(node.chain_path().join("mempool.dat").exists());

    node.start(&[]);
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([txid]));
    let p = node.rpc("getprioritisedtransactions", json!([]));
    assert_eq!(p[&txid]["fee_delta"], json!(300));
    assert_eq!(p[&absent], json!({"fee_delta": -7, "in_mempool": false}));
    node.stop();

    // Without -persistmempool nothing is read back, but savemempool still
    // writes and importmempool reads a saved file on demand.
    let kept = node.datadir.join("kept.dat");
    std::fs::rename(node.chain_path().join("mempool.dat"), &kept).expect("move");
    node.start(&["-persistmempool=0"]);
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([]));
    assert_eq!(
        node.rpc("importmempool", json!([kept.display().to_string()])),
        json!({})
    );
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([txid]));
    // Deltas come along only when asked for.
    assert_eq!(node.rpc("getprioritisedtransactions", json!([])), json!({}));
    let e = node.rpc_err("importmempool", json!(["/nonexistent/mempool.dat"]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -1,
            "Unable to import mempool file, see debug.log for details."
        )
    );
    let saved = node.rpc("savemempool", json!([]));
    let file = node.chain_path().join("mempool.dat");
    assert_eq!(saved["filename"], json!(file.display().to_string()));
    assert!(file.exists());
    node.stop();
}

#[test]
fn reorg_returned_parents_are_mined_before_their_children() {
    // A parent mined in a block, its child in the pool; disconnecting the
    // block returns the parent to the pool after the child. Templates and
    // blocks must still put the parent first.
    let (node, hashes) = mature_node(&[]);
    let (prev, value) = coinbase_of(&node, &hashes[0]);
    let parent = spend(prev, value, 10_000);
    let parent_txid = send(&node, &parent);
    let block = generate(&node, 1)[0].clone();
    let child = spend(
        bitcoin::OutPoint::new(parent_txid.parse().unwrap(), 0),
        value - 10_000,
        10_000,
    );
    let child_txid = send(&node, &child);
    node.rpc("invalidateblock", json!([block]));
    let mut pool: Vec<String> =
        serde_json::from_value(node.rpc("getrawmempool", json!([]))).unwrap();
    pool.sort();
    let mut want = vec![parent_txid.clone(), child_txid.clone()];
    want.sort();
    assert_eq!(pool, want);
    assert_eq!(
        template_txids(&gbt(&node)),
        vec![parent_txid.clone(), child_txid.clone()]
    );
    let mined = node.generate_to_address(1, &op_true_address())[0].clone();
    let block = node.rpc("getblock", json!([mined, 1]));
    assert_eq!(
        (&block["tx"][1], &block["tx"][2]),
        (&json!(parent_txid), &json!(child_txid))
    );
}

#[test]
fn reorg_drops_spends_of_coinbases_that_are_immature_again() {
    // The coinbase of block 2 is just mature on top of block 101; once block
    // 101 is disconnected its spend may not stay in the pool.
    let (node, hashes) = mature_node(&[]);
    let (prev, value) = coinbase_of(&node, &hashes[1]);
    let spend_txid = send(&node, &spend(prev, value, 10_000));
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([spend_txid]));
    node.rpc("invalidateblock", json!([hashes[100]]));
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([]));
}
