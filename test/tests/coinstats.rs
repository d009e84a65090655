//! `gettxoutsetinfo` through RPC: fields and their order, the three hash
//! types, hashes changing as blocks are mined, and Core's parameter errors.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};

const ADDR: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .expect("object")
        .keys()
        .map(|k| k.to_string())
        .collect()
}

#[test]
fn gettxoutsetinfo_fields_hashes_and_errors() {
    let mut node = TestNode::new();
    node.start(&[]);

    // Empty UTXO set at genesis: hash_serialized_3 is SHA256d of nothing.
    let empty = node.rpc("gettxoutsetinfo", json!([]));
    assert_eq!(empty["height"], json!(0));
    assert_eq!(empty["txouts"], json!(0));
    assert_eq!(
        empty["hash_serialized_3"],
        json!("56944c5d3f98413ef45cf54545538103cc9f298e0575820ad3591376e2e0f65d")
    );

    node.rpc("generatetoaddress", json!([3, ADDR]));
    let a = node.rpc("gettxoutsetinfo", json!([]));
    assert_eq!(
        keys(&a),
        [
            "height",
            "bestblock",
            "txouts",
            "bogosize",
            "hash_serialized_3",
            "total_amount",
            "transactions",
            "disk_size"
        ]
    );
    assert_eq!(a["height"], json!(3));
    assert_eq!(a["txouts"], json!(3));
    assert_eq!(a["transactions"], json!(3));
    assert_eq!(a["total_amount"].to_string(), "150.00000000");
    let best = node.rpc("getbestblockhash", json!([]));
    assert_eq!(a["bestblock"], best);

    let mu = node.rpc("gettxoutsetinfo", json!(["muhash"]));
    assert!(mu.get("hash_serialized_3").is_none());
    assert_eq!(mu["muhash"].as_str().map(str::len), Some(64));
    let none = node.rpc("gettxoutsetinfo", json!(["none"]));
    assert!(none.get("muhash").is_none() && none.get("hash_serialized_3").is_none());
    assert_eq!(none["bogosize"], a["bogosize"]);

    node.rpc("generatetoaddress", json!([1, ADDR]));
    let b = node.rpc("gettxoutsetinfo", json!([]));
    assert_ne!(b["hash_serialized_3"], a["hash_serialized_3"]);
    let mu2 = node.rpc("gettxoutsetinfo", json!(["muhash"]));
    assert_ne!(mu2["muhash"], mu["muhash"]);

    let e = node.rpc_err("gettxoutsetinfo", json!(["foo"]));
    assert_eq!(e.code, -8);
    assert_eq!(e.message, "'foo' is not a valid hash_type");
    let e = node.rpc_err("gettxoutsetinfo", json!(["muhash", 1]));
    assert_eq!(e.code, -8);
    assert_eq!(
        e.message,
        "Querying specific block heights requires coinstatsindex"
    );
}
