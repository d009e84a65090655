//! The optional indexes through RPC: catch-up and tip following, proofs,
//! filters and coin statistics, a reorg (stale blocks keep their filters
//! and statistics), restarts, and Core's errors.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use std::time::{Duration, Instant};

use bitcoin::bip158::{BlockFilter, FilterHeader};
use functional::TestNode;
use serde_json::{json, Value};

const ADDR: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";
const ALL: [&str; 3] = ["-txindex", "-blockfilterindex", "-coinstatsindex"];

fn generate(node: &TestNode, n: u32) -> Vec<String> {
    node.generate_to_address(n, ADDR)
}

fn wait_synced(node: &TestNode) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    let height = node.rpc("getblockcount", json!([]));
    loop {
        let info = node.rpc("getindexinfo", json!([]));
        let done = info
            .as_object()
            .expect("object")
            .values()
            .all(|i| i["synced"] == json!(true) && i["best_block_height"] == height);
        if done {
            return info;
        }
        assert!(Instant::now() < deadline, "indexes did not sync: {info}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn coinbase_txid(node: &TestNode, block: &str) -> String {
    node.rpc("getblock", json!([block]))["tx"][0]
        .as_str()
        .expect("txid")
        .to_string()
}

fn filter_header(node: &TestNode, block: &str) -> (BlockFilter, FilterHeader) {
    let f = node.rpc("getblockfilter", json!([block]));
    let bytes = hex::decode(f["filter"].as_str().expect("filter")).expect("hex");
    let header: FilterHeader = f["header"].as_str().expect("header").parse().expect("hash");
    (BlockFilter::new(&bytes), header)
}

fn utxo_stats(node: &TestNode, use_index: bool) -> Value {
    let mut s = node.rpc("gettxoutsetinfo", json!(["muhash", null, use_index]));
    let o = s.as_object_mut().expect("object");
    for k in [
        "disk_size",
        "transactions",
        "block_info",
        "total_unspendable_amount",
    ] {
        o.remove(k);
    }
    s
}

#[test]
fn indexes_follow_reorgs_and_survive_restarts() {
    let mut node = TestNode::new();
    node.start(&ALL);
    let blocks = generate(&node, 5);
    let info = wait_synced(&node);
    assert_eq!(
        info.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["txindex", "coinstatsindex", "basic block filter index"]
    );
    assert_eq!(
        node.rpc("getindexinfo", json!(["txindex"])),
        json!({"txindex": {"synced": true, "best_block_height": 5}})
    );
    assert_eq!(node.rpc("getindexinfo", json!(["none"])), json!({}));
    for dir in ["txindex", "blockfilter/basic", "coinstatsindex"] {
        assert!(
            node.chain_path().join("indexes").join(dir).is_dir(),
            "{dir}"
        );
    }

    // -txindex finds a confirmed transaction without its block.
    let txid = coinbase_txid(&node, &blocks[1]);
    let tx = node.rpc("getrawtransaction", json!([txid, 1]));
    assert_eq!(tx["blockhash"], json!(blocks[1]));
    assert_eq!(tx["confirmations"], json!(4));
    assert!(tx.get("in_active_chain").is_none());
    let proof = node.rpc("gettxoutproof", json!([[txid]]));
    assert_eq!(node.rpc("verifytxoutproof", json!([proof])), json!([txid]));

    // Filter headers chain as BIP157 says.
    let genesis = node.rpc("getblockhash", json!([0]));
    let (_, mut prev) = filter_header(&node, genesis.as_str().unwrap());
    for b in &blocks {
        let (filter, header) = filter_header(&node, b);
        assert_eq!(filter.filter_header(&prev), header);
        prev = header;
    }
    // The filter of block 2 matches its coinbase output script.
    let spk = hex::decode(
        node.rpc("getrawtransaction", json!([txid, 1]))["vout"][0]["scriptPubKey"]["hex"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (filter, _) = filter_header(&node, &blocks[1]);
    let hash: bitcoin::BlockHash = blocks[1].parse().unwrap();
    assert!(filter
        .match_any(&hash, [spk.as_slice()].into_iter())
        .unwrap());

    // Statistics from the index equal a scan of the UTXO set.
    assert_eq!(utxo_stats(&node, true), utxo_stats(&node, false));
    let at3 = node.rpc("gettxoutsetinfo", json!(["muhash", 3]));
    assert_eq!(at3["height"], json!(3));
    assert_eq!(at3["block_info"]["coinbase"].to_string(), "50.00000000");

    // Reorg: the old block 5 keeps its filter and statistics by hash.
    let stale = blocks[4].clone();
    let stale_stats = node.rpc("gettxoutsetinfo", json!(["muhash"]));
    let stale_filter = node.rpc("getblockfilter", json!([stale]));
    node.rpc("invalidateblock", json!([blocks[3]]));
    // Mine elsewhere so the new blocks differ from the invalidated ones.
    let desc = node.rpc("getdescriptorinfo", json!(["raw(51)"]))["descriptor"].clone();
    let new_blocks: Vec<String> = node
        .rpc("generatetodescriptor", json!([3, desc]))
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| h.as_str().expect("hash").to_string())
        .collect();
    wait_synced(&node);
    assert_eq!(node.rpc("getblockfilter", json!([stale])), stale_filter);
    let by_hash = node.rpc("gettxoutsetinfo", json!(["muhash", stale]));
    assert_eq!(by_hash["muhash"], stale_stats["muhash"]);
    assert_eq!(utxo_stats(&node, true), utxo_stats(&node, false));
    assert_ne!(
        node.rpc("gettxoutsetinfo", json!(["muhash", 5]))["muhash"],
        stale_stats["muhash"]
    );

    // A restart resumes where the indexes were.
    let before = utxo_stats(&node, true);
    node.stop();
    node.start(&ALL);
    assert_eq!(wait_synced(&node)["txindex"]["best_block_height"], json!(6));
    assert_eq!(utxo_stats(&node, true), before);
    let tip_txid = coinbase_txid(&node, &new_blocks[2]);
    assert_eq!(
        node.rpc("getrawtransaction", json!([tip_txid, 1]))["blockhash"],
        json!(new_blocks[2])
    );
    // Blocks mined after the restart are indexed too.
    generate(&node, 1);
    wait_synced(&node);
    assert_eq!(utxo_stats(&node, true), utxo_stats(&node, false));

    // scanblocks finds every block paying to the address.
    let scan = node.rpc("scanblocks", json!(["start", [format!("addr({ADDR})")]]));
    assert_eq!(scan["completed"], json!(true));
    assert_eq!(scan["to_height"], json!(7));
    let found = scan["relevant_blocks"].as_array().unwrap();
    assert!(found.contains(&json!(blocks[0])));
    assert!(!found.contains(&json!(new_blocks[0])));
    assert_eq!(found.len(), 4, "blocks 1..=3 and 7 pay to the address");

    // filter_false_positives re-checks each match against the block; it is
    // also a named parameter of its own (OBJ_NAMED_PARAMS, as in Core).
    let checked = node.rpc(
        "scanblocks",
        json!({"action": "start", "scanobjects": [format!("addr({ADDR})")], "filter_false_positives": true}),
    );
    assert_eq!(checked["relevant_blocks"], scan["relevant_blocks"]);

    // Without the filter index, filters are refused.
    node.stop();
    node.start(&["-txindex"]);
    let e = node.rpc_err("getblockfilter", json!([new_blocks[0]]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-1, "Index is not enabled for filtertype basic")
    );
}

#[test]
fn index_rpcs_answer_core_errors() {
    let mut node = TestNode::new();
    node.assert_start_raises_init_error(
        &["-blockfilterindex=extended"],
        "Error: Unknown -blockfilterindex value extended.",
    );
    node.start(&["-blockfilterindex=basic"]);
    let blocks = generate(&node, 2);
    let err = |m: &str, p: Value| {
        let e = node.rpc_err(m, p);
        (e.code, e.message)
    };
    assert_eq!(
        err("gettxoutproof", json!([[]])),
        (-8, "Parameter 'txids' cannot be empty".into())
    );
    let txid = coinbase_txid(&node, &blocks[0]);
    assert_eq!(
        err("gettxoutproof", json!([[txid, txid]])),
        (-8, format!("Invalid parameter, duplicated txid: {txid}"))
    );
    // No txindex: an unknown transaction is not yet in a block.
    assert_eq!(
        err("gettxoutproof", json!([["00".repeat(32)]])),
        (-5, "Transaction not yet in block".into())
    );
    // An unspent coinbase is found through the UTXO set.
    let proof = node.rpc("gettxoutproof", json!([[txid]]));
    assert_eq!(node.rpc("verifytxoutproof", json!([proof])), json!([txid]));
    assert_eq!(
        err("verifytxoutproof", json!(["zz"])),
        (-8, "proof must be hexadecimal string (not 'zz')".into())
    );
    assert_eq!(
        err("getblockfilter", json!([blocks[0], "extended"])),
        (-5, "Unknown filtertype".into())
    );
    assert_eq!(
        err("getblockfilter", json!(["01".repeat(32)])),
        (-5, "Block not found".into())
    );
    assert_eq!(
        err("gettxoutsetinfo", json!(["muhash", 1])),
        (
            -8,
            "Querying specific block heights requires coinstatsindex".into()
        )
    );
    assert_eq!(
        err("getrawtransaction", json!([txid])).0,
        -5,
        "no txindex: confirmed transactions need their block"
    );
    assert_eq!(node.rpc("scanblocks", json!(["status"])), Value::Null);
    assert_eq!(node.rpc("scanblocks", json!(["abort"])), json!(false));
    assert_eq!(
        err("scanblocks", json!(["start", [format!("addr({ADDR})")], 5])),
        (-1, "Invalid start_height".into())
    );
    assert_eq!(
        err(
            "scanblocks",
            json!(["start", [format!("addr({ADDR})")], 1, 0])
        ),
        (-1, "Invalid stop_height".into())
    );
    assert_eq!(
        err("scanblocks", json!(["foobar"])),
        (-8, "Invalid action 'foobar'".into())
    );
}

#[test]
fn indexes_agree_with_the_chain_after_a_crash() {
    let mut node = TestNode::new();
    node.start(&ALL);
    generate(&node, 3);
    wait_synced(&node);
    node.stop();
    node.start(&ALL);
    let blocks = generate(&node, 2);
    wait_synced(&node);
    node.rpc("invalidateblock", json!([blocks[1]]));
    wait_synced(&node);
    node.kill();
    node.start(&ALL);
    // Whatever tip the chainstate restarted at, the indexes match it.
    wait_synced(&node);
    assert_eq!(utxo_stats(&node, true), utxo_stats(&node, false));
    generate(&node, 1);
    wait_synced(&node);
    assert_eq!(utxo_stats(&node, true), utxo_stats(&node, false));
    let tip = node.rpc("getbestblockhash", json!([]));
    let txid = coinbase_txid(&node, tip.as_str().unwrap());
    assert_eq!(
        node.rpc("getrawtransaction", json!([txid, 1]))["blockhash"],
        tip
    );
}

/// Core's P2WSH(OP_TRUE) regtest address: spendable without a signature.
const OP_TRUE_ADDR: &str = "bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85";

/// A standard transaction spending output 0 of `txid` (a P2WSH(OP_TRUE)
/// coinbase of 50 BTC) back to the same script.
fn spend_op_true(txid: &str) -> String {
    use bitcoin::{
        absolute::LockTime, transaction::Version, Amount, OutPoint, ScriptBuf, Sequence,
        Transaction, TxIn, TxOut, Witness,
    };
    let op_true = ScriptBuf::from_bytes(vec![0x51]);
    let tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(txid.parse().expect("txid"), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[op_true.as_bytes()]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(50 * 100_000_000 - 10_000),
            script_pubkey: ScriptBuf::new_p2wsh(&op_true.wscript_hash()),
        }],
    };
    bitcoin::consensus::encode::serialize_hex(&tx)
}

#[test]
fn txospenderindex_finds_confirmed_spenders() {
    let mut node = TestNode::new();
    node.assert_start_raises_init_error(
        &["-txospenderindex", "-prune=1"],
        "Error: Prune mode is incompatible with -txospenderindex.",
    );
    node.start(&["-txospenderindex"]);
    let first = node.rpc("generatetoaddress", json!([1, OP_TRUE_ADDR]))[0].clone();
    generate(&node, 100);
    let funding = coinbase_txid(&node, first.as_str().expect("hash"));
    let prevout = json!([{"txid": funding, "vout": 0}]);

    let spend = spend_op_true(&funding);
    let spender = node.rpc("sendrawtransaction", json!([spend]));
    // In the mempool the spender has no block.
    let r = node.rpc("gettxspendingprevout", json!([prevout]));
    assert_eq!(
        r,
        json!([{"txid": funding, "vout": 0, "spendingtxid": spender}])
    );

    let block = generate(&node, 1)[0].clone();
    let info = wait_synced(&node);
    assert_eq!(info["txospenderindex"]["best_block_height"], json!(102));
    let r = node.rpc(
        "gettxspendingprevout",
        json!([prevout, {"return_spending_tx": true}]),
    );
    assert_eq!(
        r,
        json!([{"txid": funding, "vout": 0, "spendingtxid": spender, "spendingtx": spend, "blockhash": block}])
    );
    // Asking the mempool only finds nothing now.
    let r = node.rpc(
        "gettxspendingprevout",
        json!([prevout, {"mempool_only": true}]),
    );
    assert_eq!(r, json!([{"txid": funding, "vout": 0}]));

    // As in Core, the index keeps the entry of a block that left the chain
    // until a new block makes it rewind.
    node.rpc("invalidateblock", json!([block]));
    let r = node.rpc(
        "gettxspendingprevout",
        json!([prevout, {"mempool_only": false}]),
    );
    assert!(r[0].get("spendingtxid").is_some(), "{r}");
    // The spender went back to the mempool and is mined again (paying a
    // different coinbase script, so this is not the invalidated block).
    let again = node.rpc("generatetodescriptor", json!([1, "raw(51)"]))[0].clone();
    wait_synced(&node);
    let r = node.rpc("gettxspendingprevout", json!([prevout]));
    assert_eq!(r[0]["blockhash"], again, "{r}");
}

#[test]
fn blocks_that_go_stale_at_once_still_get_filters() {
    // Each round connects a short branch and abandons it right away, often
    // before the index thread looked at it; Core's indexes see every
    // connected block, so the abandoned blocks must have filters too.
    let mut node = TestNode::new();
    node.start(&["-blockfilterindex"]);
    generate(&node, 1);
    wait_synced(&node);
    for _ in 0..10 {
        let stale = generate(&node, 3);
        node.rpc("invalidateblock", json!([stale[0]]));
        // Another payee, so the new branch does not repeat the stale blocks.
        node.generate_to_address(4, &functional::op_true::address());
        for hash in &stale {
            let r = node.rpc("getblockfilter", json!([hash]));
            assert!(r["filter"].is_string(), "{hash}: {r}");
        }
    }
    node.stop();
}
