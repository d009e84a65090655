//! Pruning (`-prune`): `pruneblockchain` deletes whole block files below the
//! last 288 blocks and below the indexes' progress, pruned blocks answer
//! Core's errors, and the pruned state survives a restart.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};

const ADDR: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";
const PRUNE: [&str; 2] = ["-prune=1", "-fastprune"];

fn generate(node: &TestNode, n: u32) {
    node.rpc("generatetoaddress", json!([n, ADDR]));
}

fn hash_at(node: &TestNode, height: u32) -> Value {
    node.rpc("getblockhash", json!([height]))
}

#[test]
fn manual_pruning_deletes_old_files_and_survives_restart() {
    let mut node = TestNode::new();
    node.start(&[]);
    let e = node.rpc_err("pruneblockchain", json!([10]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-1, "Cannot prune blocks because node is not in prune mode.")
    );
    node.stop();

    node.start(&PRUNE);
    let e = node.rpc_err("pruneblockchain", json!([10]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-1, "Blockchain is too short for pruning.")
    );
    generate(&node, 700);
    let e = node.rpc_err("pruneblockchain", json!([-1]));
    assert_eq!((e.code, e.message.as_str()), (-8, "Negative block height."));
    let e = node.rpc_err("pruneblockchain", json!([701]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "Blockchain is shorter than the attempted prune height.")
    );
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["pruned"], json!(true));
    assert_eq!(info["pruneheight"], json!(0));
    assert_eq!(info["automatic_pruning"], json!(false));
    assert!(info.get("prune_target_size").is_none());

    let pruned = node
        .rpc("pruneblockchain", json!([400]))
        .as_i64()
        .expect("height");
    assert!((1..=400).contains(&pruned), "pruned up to {pruned}");
    assert!(!node
        .chain_path()
        .join("blocks")
        .join("blk00000.dat")
        .exists());
    assert!(node
        .debug_log()
        .contains("Prune (Manual): prune_height=400"));
    let e = node.rpc_err("getblock", json!([hash_at(&node, 2)]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-1, "Block not available (pruned data)")
    );
    let above = u32::try_from(pruned + 1).expect("height");
    node.rpc("getblock", json!([hash_at(&node, above)]));
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["pruneheight"], json!(pruned + 1));

    // Near the tip nothing goes: the last 288 blocks are kept.
    assert_eq!(node.rpc("pruneblockchain", json!([700])), json!(pruned));

    node.stop();
    node.start(&PRUNE);
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["pruneheight"], json!(pruned + 1));
    let e = node.rpc_err("getblock", json!([hash_at(&node, 2)]));
    assert_eq!(e.message, "Block not available (pruned data)");
    // The chain still grows on top of the pruned history.
    generate(&node, 1);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(701));
}

#[test]
fn automatic_pruning_is_reported() {
    let mut node = TestNode::new();
    node.start(&["-prune=550"]);
    let info = node.rpc("getblockchaininfo", json!([]));
    assert_eq!(info["automatic_pruning"], json!(true));
    assert_eq!(info["prune_target_size"], json!(550u64 << 20));
    node.stop();
    node.assert_start_raises_init_error(
        &["-prune=100"],
        "Error: Prune configured below the minimum of 550 MiB.  Please use a higher number.",
    );
    node.assert_start_raises_init_error(
        &["-prune=550", "-reindex-chainstate"],
        "Error: Prune mode is incompatible with -reindex-chainstate. Use full -reindex instead.",
    );
}

#[test]
fn indexes_hold_back_pruning_and_refuse_pruned_gaps() {
    let mut node = TestNode::new();
    let with_index = ["-prune=1", "-fastprune", "-blockfilterindex=1"];
    node.start(&with_index);
    generate(&node, 700);
    wait_for_filter_index(&node, 700);
    node.rpc("pruneblockchain", json!([650]));
    // 700 - 288 keeps more than the index lock (700 - 11) would.
    assert!(node.debug_log().contains("limited pruning to height 689"));
    node.stop();

    // Without the index the chain moves on and is pruned past the index.
    node.start(&PRUNE);
    generate(&node, 700);
    node.rpc("pruneblockchain", json!([1000]));
    node.stop();
    node.assert_start_raises_init_error(
        &with_index,
        "Error: basic block filter index best block of the index goes beyond pruned data (including undo data). Please disable the index or reindex (which will download the whole blockchain again)\nError: A fatal internal error occurred, see debug.log for details: Failed to start indexes, shutting down…",
    );
}

fn wait_for_filter_index(node: &TestNode, height: u32) {
    let want = json!({"basic block filter index": {"synced": true, "best_block_height": height}});
    for _ in 0..600 {
        if node.rpc("getindexinfo", json!([])) == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("filter index did not reach {height}");
}
