//! Assumeutxo over RPC: `getchainstates` before any snapshot, and the
//! checks `loadtxoutset` makes on a snapshot file before it loads coins
//! (file, metadata, base block known to the chain parameters and to the
//! headers chain), with Core's codes and texts.
//!
//! Loading, syncing and background validation need a chain whose UTXO hash
//! is in the chain parameters, which only Core's test framework builds (its
//! cached 199 blocks and MiniWallet spends); the chain crate's unit test
//! covers that flow with parameters of its own, and Core's
//! `feature_assumeutxo.py` runs it against the binary.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::{op_true, TestNode};
use serde_json::{json, Value};

/// Core's regtest snapshot base at height 299 (`m_assumeutxo_data`).
const CORE_BASE_299: &str = "0c552ced4721c249a389eb9b08cb8da261cd46f0e7b5f9d064d48f3113406853";

fn load_err(node: &TestNode, path: &std::path::Path) -> (i64, String) {
    let e = node.rpc_err("loadtxoutset", json!([path.display().to_string()]));
    (e.code, e.message)
}

#[test]
fn loadtxoutset_checks_the_file_before_loading() {
    let mut a = TestNode::new();
    a.start(&[]);
    op_true::generate(&a, 299);

    // One fully validated chainstate before any snapshot.
    let states = a.rpc("getchainstates", json!([]));
    assert_eq!(states["headers"], 299);
    let list = states["chainstates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 1);
    let cs = &list[0];
    assert_eq!(cs["blocks"], 299);
    assert_eq!(cs["bestblockhash"], a.rpc("getbestblockhash", json!([])));
    assert_eq!(cs["bits"], "207fffff");
    assert_eq!(cs["validated"], true);
    assert!(cs.get("snapshot_blockhash").is_none());
    for key in [
        "coins_db_cache_bytes",
        "coins_tip_cache_bytes",
        "difficulty",
        "verificationprogress",
    ] {
        assert!(cs[key].is_number(), "{key}");
    }

    let dump = a.rpc("dumptxoutset", json!(["utxo.dat", "latest"]));
    let path = std::path::PathBuf::from(dump["path"].as_str().unwrap_or_default());
    let valid = std::fs::read(&path).unwrap_or_default();
    assert!(valid.len() > 51);
    let bad = a.chain_path().join("bad.dat");
    let write = |bytes: &[u8]| std::fs::write(&bad, bytes).unwrap_or_else(|e| panic!("{e}"));

    let missing = a.chain_path().join("invalid").join("path");
    assert_eq!(
        load_err(&a, &missing),
        (
            -8,
            format!("Couldn't open file {} for reading.", missing.display())
        )
    );

    let mut magic = valid.clone();
    magic[..5].copy_from_slice(&[0xf0, 0x0f, 0x00, 0xf0, 0x00]);
    write(&magic);
    assert_eq!(load_err(&a, &bad), (-22, "Unable to parse metadata: Invalid UTXO set snapshot magic bytes. Please check if this is indeed a snapshot file or if you are using an outdated snapshot format.".into()));

    let mut version = valid.clone();
    version[5..7].copy_from_slice(&3u16.to_le_bytes());
    write(&version);
    assert_eq!(
        load_err(&a, &bad),
        (-22, "Unable to parse metadata: Version of snapshot 3 does not match any of the supported versions.".into())
    );

    let mut network = valid.clone();
    network[7..11].copy_from_slice(&[0x1c, 0x16, 0x3f, 0x28]);
    write(&network);
    assert_eq!(
        load_err(&a, &bad),
        (-22, "Unable to parse metadata: The network of the snapshot (testnet4) does not match the network of this node (regtest).".into())
    );
    network[7..11].copy_from_slice(&[0xff; 4]);
    write(&network);
    assert!(load_err(&a, &bad).1.starts_with(
        "Unable to parse metadata: This snapshot has been created for an unrecognized network."
    ));

    // Our chain is not Core's test chain: its block 299 has no assumeutxo data.
    let ours = dump["base_hash"].as_str().unwrap_or_default();
    let (code, msg) = load_err(&a, &path);
    assert_eq!(code, -32603);
    assert_eq!(msg, format!("Unable to load UTXO snapshot: assumeutxo block hash in snapshot metadata not recognized (hash: {ours}). The following snapshot heights are available: 110, 200, 299. ({})", path.display()));

    // Core's base block, unknown to this node's headers.
    let mut base: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&CORE_BASE_299[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    base.reverse();
    let mut core = valid.clone();
    core[11..43].copy_from_slice(&base);
    write(&core);
    assert_eq!(load_err(&a, &bad).1, format!("Unable to load UTXO snapshot: The base block header ({CORE_BASE_299}) must appear in the headers chain. Make sure all headers are syncing, and call loadtxoutset again. ({})", bad.display()));

    // Nothing changed: still one chainstate, no snapshot directory.
    let list = a.rpc("getchainstates", json!([]))["chainstates"].clone();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(!a.chain_path().join("chainstate_snapshot").exists());
    assert_eq!(a.rpc("getblockcount", json!([])), Value::from(299));

    // `help` knows both methods with Core's argument.
    let help = a.rpc("help", json!(["loadtxoutset"]));
    assert!(help
        .as_str()
        .unwrap_or_default()
        .starts_with("loadtxoutset \"path\"\n"));
    let help = a.rpc("help", json!(["getchainstates"]));
    assert!(help
        .as_str()
        .unwrap_or_default()
        .contains("\"snapshot_blockhash\""));
    a.stop();
}
