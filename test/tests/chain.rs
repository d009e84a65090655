//! The chainstate through RPC: mining, persistence across restarts,
//! invalidation and reconsideration, and invalid blocks from `submitblock`
//! rejected with Core's reasons while the node keeps running.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, Block, BlockHash, OutPoint, ScriptBuf, Transaction, TxMerkleNode, Txid};
use consensus::test_support::spend_one;
use functional::blocks::{block_on_tip, coinbase, solve};
use functional::TestNode;
use serde_json::{json, Value};

const ADDR: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";

fn generate(node: &TestNode, n: u32) -> Vec<String> {
    node.generate_to_address(n, ADDR)
}

fn spend(prev: OutPoint) -> Transaction {
    spend_one(
        prev,
        Amount::from_sat(1000),
        ScriptBuf::from_bytes(vec![0x51]),
    )
}

fn submit(node: &TestNode, block: &Block) -> Value {
    node.rpc("submitblock", json!([serialize_hex(block)]))
}

#[test]
fn blocks_persist_across_restart_and_invalidation_moves_the_tip() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 110);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(110));
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["blocks"], json!(110));
    assert_eq!(info["bestblockhash"], json!(hashes[109]));

    let raw = node.rpc("getblock", json!([hashes[50], 0]));
    assert_eq!(node.rpc("submitblock", json!([raw])), json!("duplicate"));
    let verbose = node.rpc("getblock", json!([hashes[50], 2]));
    assert_eq!(verbose["height"], json!(51));
    assert_eq!(verbose["confirmations"], json!(60));
    assert_eq!(verbose["nextblockhash"], json!(hashes[51]));

    node.rpc("invalidateblock", json!([hashes[100]]));
    assert_eq!(node.rpc("getblockcount", json!([])), json!(100));
    let tips = node.rpc("getchaintips", json!([]));
    let statuses: Vec<&str> = tips
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"invalid"), "{tips}");
    // A new block on the shorter chain (another payee, so it differs from the
    // invalidated one), then reconsider: the longer chain wins back.
    let fork = node.rpc("generatetodescriptor", json!([1, "raw(51)"]));
    assert_eq!(fork.as_array().map(Vec::len), Some(1));
    assert_eq!(node.rpc("getblockcount", json!([])), json!(101));
    node.rpc("reconsiderblock", json!([hashes[100]]));
    assert_eq!(node.rpc("getbestblockhash", json!([])), json!(hashes[109]));

    node.stop();
    node.start(&[]);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(110));
    assert_eq!(node.rpc("getbestblockhash", json!([])), json!(hashes[109]));
    let header = node.rpc("getblockheader", json!([hashes[0]]));
    assert_eq!(header["confirmations"], json!(110));
    node.stop();
}

#[test]
fn invalid_blocks_are_rejected_with_core_reasons() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 101);
    let height = 102;
    let subsidy = 50 * 100_000_000;

    let good = block_on_tip(&node, vec![coinbase(height, subsidy)]);

    let overpaid = block_on_tip(&node, vec![coinbase(height, subsidy + 1)]);
    assert_eq!(submit(&node, &overpaid), json!("bad-cb-amount"));

    let wrong_height = block_on_tip(&node, vec![coinbase(height + 1, subsidy)]);
    assert_eq!(submit(&node, &wrong_height), json!("bad-cb-height"));

    let missing = spend(OutPoint::new(Txid::all_zeros(), 7));
    let b = block_on_tip(&node, vec![coinbase(height, subsidy), missing]);
    assert_eq!(submit(&node, &b), json!("bad-txns-inputs-missingorspent"));

    // The coinbase of block 101 is only one confirmation deep.
    let tip_block: Block = deserialize(
        &hex::decode(
            node.rpc("getblock", json!([hashes[100], 0]))
                .as_str()
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let young = spend(OutPoint::new(tip_block.txdata[0].compute_txid(), 0));
    let b = block_on_tip(&node, vec![coinbase(height, subsidy), young]);
    assert_eq!(
        submit(&node, &b),
        json!("bad-txns-premature-spend-of-coinbase")
    );

    let mut bad_root = good.clone();
    bad_root.header.merkle_root = TxMerkleNode::all_zeros();
    solve(&mut bad_root);
    assert_eq!(submit(&node, &bad_root), json!("bad-txnmrklroot"));

    let mut orphan = good.clone();
    orphan.header.prev_blockhash = BlockHash::all_zeros();
    solve(&mut orphan);
    assert_eq!(submit(&node, &orphan), json!("prev-blk-not-found"));

    let err = node.rpc_err("submitblock", json!(["00ff"]));
    assert_eq!(err.code, -22);
    assert_eq!(err.message, "Block decode failed");

    // Nothing above changed the chain; the valid block still connects.
    assert_eq!(node.rpc("getblockcount", json!([])), json!(101));
    assert_eq!(submit(&node, &good), Value::Null);
    assert_eq!(submit(&node, &good), json!("duplicate"));
    assert_eq!(submit(&node, &overpaid), json!("duplicate-invalid"));
    assert_eq!(node.rpc("getblockcount", json!([])), json!(102));
    let log = node.debug_log();
    assert!(log.contains("ConnectBlock"), "connect failures are logged");
    assert!(log.contains("InvalidChainFound: invalid block="));
    node.stop();
}

#[test]
fn block_index_and_chainstate_live_in_core_directories() {
    let mut node = TestNode::new();
    node.start(&[]);
    generate(&node, 3);
    node.stop();
    let chain = node.chain_path();
    assert!(chain.join("blocks").join("index").is_dir());
    assert!(chain.join("chainstate").is_dir());
    // Without the block index, the coins' best block cannot be found: Core's
    // offer to reindex, printed as it is.
    std::fs::remove_dir_all(chain.join("blocks").join("index")).unwrap();
    node.assert_start_raises_init_error(
        &[],
        "Error initializing block database.\nPlease restart with -reindex or -reindex-chainstate to recover.",
    );
    node.start(&["-test=reindex_after_failure_noninteractive_yes"]);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(3));
    node.stop();
}

#[test]
fn reindex_reuses_block_files_and_loadblock_imports_a_bootstrap_file() {
    let mut node = TestNode::new();
    node.start(&[]);
    let hashes = generate(&node, 20);
    let best = node.rpc("getbestblockhash", json!([]));
    // A bootstrap file as Core's linearize script writes it: magic, size, block.
    let mut bootstrap = Vec::new();
    for h in 0..=20 {
        let hash = node.rpc("getblockhash", json!([h]));
        let hex = node.rpc("getblock", json!([hash, 0]));
        let raw = hex::decode(hex.as_str().unwrap()).unwrap();
        bootstrap.extend_from_slice(&[0xfa, 0xbf, 0xb5, 0xda]);
        bootstrap.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        bootstrap.extend_from_slice(&raw);
    }
    node.stop();
    let blk = node.chain_path().join("blocks").join("blk00000.dat");
    let size = std::fs::metadata(&blk).unwrap().len();

    node.start(&["-reindex"]);
    assert_eq!(node.rpc("getbestblockhash", json!([])), best);
    assert!(node.debug_log().contains("Reindexing finished"));
    node.stop();
    // The blocks were found where they lay, not written again.
    assert_eq!(std::fs::metadata(&blk).unwrap().len(), size);
    node.start(&[]);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(20));
    node.stop();

    let mut fresh = TestNode::new();
    let file = fresh.chain_path().parent().unwrap().join("bootstrap.dat");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &bootstrap).unwrap();
    fresh.start(&[&format!("-loadblock={}", file.display())]);
    assert_eq!(fresh.rpc("getbestblockhash", json!([])), best);
    assert_eq!(
        fresh.rpc("getblockhash", json!([20])),
        json!(hashes.last().unwrap())
    );
    assert!(fresh.debug_log().contains("Importing blocks file"));
    fresh.stop();
}

#[test]
fn an_invalid_chain_seven_blocks_ahead_raises_the_fork_warning() {
    let alerts = tempfile::tempdir().expect("temp dir");
    let file = alerts.path().join("alerts.txt");
    let mut node = TestNode::new();
    let notify = format!("-alertnotify=echo %s >> '{}'", file.display());
    node.start(&[notify.as_str()]);
    generate(&node, 10);
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["warnings"], json!([]));

    // Seven blocks on the tip, the first paying itself a satoshi too much:
    // headers first, then the blocks from the top down, as Core's test.
    let height = info["blocks"].as_i64().expect("height");
    let mut chain: Vec<Block> = Vec::new();
    let (mut prev, mut time) = (
        info["bestblockhash"]
            .as_str()
            .expect("hash")
            .parse::<BlockHash>()
            .expect("hash"),
        node.rpc("getblockheader", json!([info["bestblockhash"]]))["time"]
            .as_u64()
            .expect("time") as u32,
    );
    for i in 1..=7 {
        let value = 50 * 100_000_000 + u64::from(i == 1);
        let block = functional::blocks::block_on(prev, time, vec![coinbase(height + i, value)]);
        prev = block.block_hash();
        time = block.header.time;
        chain.push(block);
    }
    for block in &chain {
        node.rpc("submitheader", json!([serialize_hex(&block.header)]));
    }
    for block in chain.iter().rev() {
        submit(&node, block);
    }
    let message = "Warning: Found invalid chain more than 6 blocks longer than our best chain. This could be due to database corruption or consensus incompatibility with peers.";
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["blocks"].as_i64(), Some(height), "the tip stays");
    assert_eq!(info["warnings"], json!([message]));
    assert_eq!(
        node.rpc("getmininginfo", json!([]))["warnings"],
        json!([message])
    );
    functional::wait_for_file(&file);
    let text = std::fs::read_to_string(&file).expect("alerts");
    assert!(
        text.starts_with("Warning: Found invalid chain more than 6 blocks"),
        "{text}"
    );

    // Once the active chain has more work again, the warning ends.
    generate(&node, 8);
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["warnings"], json!([]));
    node.stop();
}
