//! The remaining blockchain RPCs against a running node: `getblockstats`,
//! `getchaintxstats`, `getdeploymentinfo`, `verifychain`, `dumptxoutset`,
//! `gettxspendingprevout`, `getdescriptoractivity`, and the start-up
//! behaviour they rely on (`-stopatheight`, `-prune` fields, the future-tip
//! check).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network, PrivateKey};
use functional::TestNode;
use serde_json::{json, Value};

/// Fee of the one spend these tests make, in satoshis.
const FEE_SATS: i64 = 100_000;

fn key() -> (String, Address) {
    let sk = SecretKey::from_slice(&[0x22; 32]).expect("valid key");
    let secp = Secp256k1::new();
    let pk = CompressedPublicKey(sk.public_key(&secp));
    let wif = PrivateKey::new(sk, Network::Regtest).to_wif();
    (wif, Address::p2wpkh(&pk, Network::Regtest))
}

fn generate(node: &TestNode, n: u32, addr: &str) -> Vec<String> {
    let v = node.rpc("generatetoaddress", json!([n, addr]));
    v.as_array()
        .expect("array of hashes")
        .iter()
        .map(|h| h.as_str().expect("hash").to_string())
        .collect()
}

/// Spends the coinbase of block 1 back to `addr` with [`FEE_SATS`] fee;
/// returns (spent txid, spending txid, spending hex).
fn spend_first_coinbase(node: &TestNode, wif: &str, addr: &str) -> (String, String, String) {
    let first = node.rpc("getblockhash", json!([1]));
    let block = node.rpc("getblock", json!([first, 1]));
    let txid = block["tx"][0].as_str().expect("coinbase txid").to_string();
    let raw = node.rpc(
        "createrawtransaction",
        json!([[{"txid": txid, "vout": 0}], [{addr: 49.999}]]),
    );
    let signed = node.rpc("signrawtransactionwithkey", json!([raw, [wif]]));
    let hex = signed["hex"].as_str().expect("hex").to_string();
    let spender = node.rpc("sendrawtransaction", json!([hex]));
    (txid, spender.as_str().expect("txid").to_string(), hex)
}

#[test]
fn spends_are_found_in_stats_activity_and_mempool() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (wif, addr) = key();
    let addr = addr.to_string();
    generate(&node, 101, &addr);
    let (spent, spender, hex) = spend_first_coinbase(&node, &wif, &addr);

    // gettxspendingprevout: the mempool spender, the raw tx on request.
    let found = node.rpc(
        "gettxspendingprevout",
        json!([[{"txid": spent, "vout": 0}, {"txid": spent, "vout": 7}]]),
    );
    assert_eq!(
        found,
        json!([{"txid": spent, "vout": 0, "spendingtxid": spender}, {"txid": spent, "vout": 7}])
    );
    let with_tx = node.rpc(
        "gettxspendingprevout",
        json!({"outputs": [{"txid": spent, "vout": 0}], "return_spending_tx": true}),
    );
    assert_eq!(with_tx[0]["spendingtx"], json!(hex));
    for (arg, code, text) in [
        (json!([]), -8, "Invalid parameter, outputs are missing"),
        (json!([{"txid": spent}]), -3, "Missing vout"),
        (
            json!([{"txid": spent, "vout": -1}]),
            -8,
            "Invalid parameter, vout cannot be negative",
        ),
        (
            json!([{"txid": spent, "vout": 0, "x": 1}]),
            -3,
            "Unexpected key x",
        ),
    ] {
        let e = node.rpc_err("gettxspendingprevout", json!([arg]));
        assert_eq!((e.code, e.message.as_str()), (code, text));
    }
    let e = node.rpc_err(
        "gettxspendingprevout",
        json!({"outputs": [{"txid": spender, "vout": 0}], "mempool_only": false}),
    );
    assert_eq!(
        e.message,
        "Mempool lacks a relevant spend, and txospenderindex is unavailable."
    );

    // getdescriptoractivity over the mempool: one spend, one receive.
    let desc = format!("addr({addr})");
    let pending = node.rpc("getdescriptoractivity", json!([[], [desc], true]));
    let kinds: Vec<&str> = pending["activity"]
        .as_array()
        .expect("activity")
        .iter()
        .map(|a| a["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["spend", "receive"]);
    assert!(pending["activity"][0].get("blockhash").is_none());
    let none = node.rpc("getdescriptoractivity", json!([[], [desc], false]));
    assert_eq!(none["activity"], json!([]));

    let tip = generate(&node, 1, &addr).remove(0);
    let confirmed = node.rpc("getdescriptoractivity", json!([[tip], [desc]]));
    let activity = confirmed["activity"].as_array().expect("activity");
    // The new block's coinbase also pays the address: spend, then two receives.
    assert_eq!(activity.len(), 3, "{confirmed}");
    let spend = activity
        .iter()
        .find(|a| a["type"] == "spend")
        .expect("spend");
    assert_eq!(spend["spend_txid"], json!(spender));
    assert_eq!(spend["prevout_txid"], json!(spent));
    assert_eq!(spend["height"], json!(102));
    assert_eq!(spend["amount"].to_string(), "50.00000000");
    let e = node.rpc_err("getdescriptoractivity", json!([[tip], ["addrx(1)"]]));
    assert_eq!(e.code, -5);
    assert!(
        e.message.contains("is not a valid descriptor"),
        "{}",
        e.message
    );

    // scantxoutset describes matches by the scanned descriptor's key.
    let scan = node.rpc("scantxoutset", json!(["start", [format!("combo({wif})")]]));
    let sk = SecretKey::from_slice(&[0x22; 32]).expect("valid key");
    let pubkey = sk.public_key(&Secp256k1::new()).to_string();
    let desc = scan["unspents"][0]["desc"].as_str().unwrap_or_default();
    assert!(desc.starts_with(&format!("wpkh({pubkey})#")), "{desc}");
    let e = node.rpc_err("scantxoutset", json!(["start"]));
    assert_eq!(e.code, -1);

    // getblockstats of the block with the spend.
    let stats = node.rpc("getblockstats", json!([102]));
    assert_eq!(stats["txs"], json!(2));
    assert_eq!(stats["ins"], json!(1));
    assert_eq!(stats["totalfee"], json!(FEE_SATS));
    assert_eq!(stats["minfee"], json!(FEE_SATS));
    assert_eq!(stats["maxfee"], json!(FEE_SATS));
    assert_eq!(stats["medianfee"], json!(FEE_SATS));
    assert_eq!(stats["swtxs"], json!(1));
    assert_eq!(stats["subsidy"], json!(5_000_000_000i64));
    assert_eq!(stats["blockhash"], json!(tip));
    let weight = stats["total_weight"].as_i64().expect("weight");
    assert_eq!(stats["avgfeerate"], json!(FEE_SATS * 4 / weight));
    assert_eq!(
        stats["utxo_increase"],
        json!(stats["outs"].as_i64().unwrap_or(0) - 1)
    );
    let by_hash = node.rpc("getblockstats", json!([tip]));
    assert_eq!(by_hash, stats);
    let some = node.rpc("getblockstats", json!([102, ["minfee", "txs"]]));
    assert_eq!(some, json!({"minfee": FEE_SATS, "txs": 2}));
    for (arg, code, text) in [
        (
            json!([103]),
            -8,
            "Target block height 103 after current tip 102",
        ),
        (json!([-1]), -8, "Target block height -1 is negative"),
        (
            json!([1, ["minfee", "bogus"]]),
            -8,
            "Invalid selected statistic 'bogus'",
        ),
        (json!(["00".repeat(32)]), -5, "Block not found"),
    ] {
        let e = node.rpc_err("getblockstats", arg);
        assert_eq!((e.code, e.message.as_str()), (code, text));
    }

    // getchaintxstats: genesis, 102 coinbases and the spend.
    let chain = node.rpc("getchaintxstats", json!([]));
    assert_eq!(chain["txcount"], json!(104));
    assert_eq!(chain["window_final_block_height"], json!(102));
    assert_eq!(chain["window_block_count"], json!(101));
    assert_eq!(chain["window_tx_count"], json!(102));
    let e = node.rpc_err("getchaintxstats", json!([102]));
    assert_eq!(
        e.message,
        "Invalid block count: should be between 0 and the block's height - 1"
    );
    node.stop();
}

#[test]
fn deployments_and_verifychain() {
    let mut node = TestNode::new();
    node.start(&[
        "-testactivationheight=csv@5",
        "-checkblocks=0",
        "-checklevel=4",
    ]);
    let (_, addr) = key();
    generate(&node, 3, &addr.to_string());
    let info = node.rpc("getdeploymentinfo", json!([]));
    assert_eq!(info["height"], json!(3));
    assert_eq!(
        info["deployments"]["csv"],
        json!({"type": "buried", "active": false, "height": 5})
    );
    assert_eq!(info["deployments"]["segwit"]["active"], json!(true));
    assert_eq!(
        info["script_flags"],
        json!([
            "CHECKLOCKTIMEVERIFY",
            "DERSIG",
            "NULLDUMMY",
            "P2SH",
            "TAPROOT",
            "WITNESS"
        ])
    );
    let dummy = &info["deployments"]["testdummy"];
    assert_eq!(dummy["type"], json!("bip9"));
    // Signalling only starts with the second 144-block period.
    assert_eq!(dummy["bip9"]["status"], json!("defined"));
    assert_eq!(dummy["bip9"]["status_next"], json!("defined"));
    assert!(dummy["bip9"].get("statistics").is_none());
    generate(&node, 1, &addr.to_string());
    let later = node.rpc("getdeploymentinfo", json!([]));
    assert_eq!(later["deployments"]["csv"]["active"], json!(true));
    let genesis = node.rpc("getblockhash", json!([0]));
    let at_genesis = node.rpc("getdeploymentinfo", json!([genesis]));
    assert_eq!(at_genesis["height"], json!(0));
    assert_eq!(at_genesis["deployments"]["csv"]["active"], json!(false));

    assert_eq!(node.rpc("verifychain", json!([4, 0])), json!(true));
    assert_eq!(node.rpc("verifychain", json!([])), json!(true));
    // Without the undo file the level-2 check fails; level 1 does not read it.
    let rev = node.chain_path().join("blocks").join("rev00000.dat");
    let moved = node.chain_path().join("blocks").join("rev_moved");
    std::fs::rename(&rev, &moved).expect("move undo file");
    assert_eq!(node.rpc("verifychain", json!([2, 0])), json!(false));
    assert_eq!(node.rpc("verifychain", json!([1, 0])), json!(true));
    std::fs::rename(&moved, &rev).expect("restore undo file");
    node.stop();
    // The start-up check at level 4 over every block logs its verdict.
    node.start(&["-checkblocks=0", "-checklevel=4"]);
    assert!(node
        .debug_log()
        .contains("Verification: No coin database inconsistencies in last 4 blocks"));
    node.stop();
}

#[test]
fn dumptxoutset_latest_and_rolled_back() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (_, addr) = key();
    let hashes = generate(&node, 10, &addr.to_string());
    let latest = node.rpc("dumptxoutset", json!(["utxo.dat", "latest"]));
    let path = node.chain_path().join("utxo.dat");
    assert_eq!(latest["path"], json!(path.display().to_string()));
    assert_eq!(latest["coins_written"], json!(10));
    assert_eq!(latest["base_height"], json!(10));
    assert_eq!(latest["nchaintx"], json!(11));
    let info = node.rpc("gettxoutsetinfo", json!([]));
    assert_eq!(latest["txoutset_hash"], info["hash_serialized_3"]);
    let bytes = std::fs::read(&path).expect("snapshot file");
    assert_eq!(&bytes[..5], b"utxo\xff");
    assert_eq!(&bytes[5..7], &[2, 0]);
    assert_eq!(&bytes[7..11], &[0xfa, 0xbf, 0xb5, 0xda]);
    assert_eq!(&bytes[43..51], &10u64.to_le_bytes());

    let rolled = node.rpc(
        "dumptxoutset",
        json!(["old.dat", "rollback", {"rollback": 4}]),
    );
    assert_eq!(rolled["base_height"], json!(4));
    assert_eq!(rolled["base_hash"], json!(hashes[3]));
    assert_eq!(rolled["coins_written"], json!(4));
    // The rolled-back set is the set the node has at that block.
    node.rpc("invalidateblock", json!([hashes[4]]));
    let at4 = node.rpc("gettxoutsetinfo", json!([]));
    assert_eq!(rolled["txoutset_hash"], at4["hash_serialized_3"]);
    node.rpc("reconsiderblock", json!([hashes[4]]));

    let e = node.rpc_err("dumptxoutset", json!(["utxo.dat", "latest"]));
    assert_eq!(e.code, -8);
    assert!(
        e.message.contains("utxo.dat already exists"),
        "{}",
        e.message
    );
    let e = node.rpc_err("dumptxoutset", json!(["x.dat", "bogus"]));
    assert_eq!(
        e.message,
        "Invalid snapshot type \"bogus\" specified. Please specify \"rollback\" or \"latest\""
    );
    let e = node.rpc_err("dumptxoutset", json!(["x.dat", "latest", {"rollback": 1}]));
    assert_eq!(
        e.message,
        "Invalid snapshot type \"latest\" specified with rollback option"
    );
    node.stop();
}

#[test]
fn startup_options_of_the_chain() {
    let mut node = TestNode::new();
    node.start(&["-prune=550"]);
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["pruned"], json!(true));
    assert_eq!(info["pruneheight"], json!(0));
    assert_eq!(info["automatic_pruning"], json!(true));
    assert_eq!(info["prune_target_size"], json!(576_716_800));
    node.stop();
    node.start(&["-prune=1"]);
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["automatic_pruning"], json!(false));
    assert!(info.get("prune_target_size").is_none());
    node.stop();
    node.assert_start_raises_init_error(
        &["-prune=2"],
        "Error: Prune configured below the minimum of 550 MiB.  Please use a higher number.",
    );

    // -stopatheight shuts the node down once the tip reaches it.
    node.start(&["-stopatheight=3"]);
    let (_, addr) = key();
    let _ = node.try_rpc("generatetoaddress", json!([3, addr.to_string()]));
    node.wait_for_exit(0);
    node.start(&[]);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(3));
    let tip_time = node.rpc("getblockchaininfo", json!([]))["time"]
        .as_i64()
        .expect("time");
    node.stop();

    // A tip more than two hours ahead of the clock refuses to start.
    let too_early = format!("-mocktime={}", tip_time - 2 * 60 * 60 - 1);
    node.assert_start_raises_init_error(
        &[&too_early],
        "The block database contains a block which appears to be from the future. This may be due to your computer's date and time being set incorrectly. Only rebuild the block database if you are sure that your computer's date and time are correct.\nPlease restart with -reindex or -reindex-chainstate to recover.",
    );
    let just_fine = format!("-mocktime={}", tip_time - 2 * 60 * 60);
    node.start(&[&just_fine]);
    let progress: Value = node.rpc("getblockchaininfo", json!([]))["verificationprogress"].clone();
    // Printed as UniValue prints doubles: `1`, not serde's `1.0`.
    assert_eq!(progress.to_string(), "1");
    let difficulty = node.rpc("getdifficulty", json!([]));
    assert_eq!(difficulty.to_string(), "4.656542373906925e-10");
    node.stop();
}
