//! Raw-transaction RPCs against a running node: spend a mined P2WPKH coinbase
//! output with `createrawtransaction` + `signrawtransactionwithkey` (the
//! prevout is looked up from the node's UTXO set) and broadcast it.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network, PrivateKey};
use functional::TestNode;
use serde_json::json;

fn key() -> (String, Address) {
    let sk = SecretKey::from_slice(&[0x11; 32]).expect("valid key");
    let secp = Secp256k1::new();
    let pk = CompressedPublicKey(sk.public_key(&secp));
    let wif = PrivateKey::new(sk, Network::Regtest).to_wif();
    (wif, Address::p2wpkh(&pk, Network::Regtest))
}

#[test]
fn signs_and_broadcasts_a_p2wpkh_spend() {
    let mut node = TestNode::new();
    node.start(&[]);
    let (wif, addr) = key();
    let hashes = node.rpc("generatetoaddress", json!([101, addr.to_string()]));
    let first = hashes[0].as_str().expect("hash");
    let block = node.rpc("getblock", json!([first, 1]));
    let txid = block["tx"][0].as_str().expect("coinbase txid");

    let raw = node.rpc(
        "createrawtransaction",
        json!([[{"txid": txid, "vout": 0}], [{addr.to_string(): 49.999}]]),
    );
    let unsigned = node.rpc("signrawtransactionwithkey", json!([raw, []]));
    assert_eq!(unsigned["complete"], json!(false));
    assert_eq!(
        unsigned["errors"][0]["error"],
        "Witness program hash mismatch"
    );

    let signed = node.rpc("signrawtransactionwithkey", json!([raw, [wif]]));
    assert_eq!(signed["complete"], json!(true), "{signed}");
    assert!(signed.get("errors").is_none());
    let sent = node.rpc("sendrawtransaction", json!([signed["hex"]]));
    let decoded = node.rpc("decoderawtransaction", json!([signed["hex"]]));
    assert_eq!(sent, decoded["txid"]);

    // The coin is now spent by the mempool: signing again reports it missing.
    let again = node.rpc("signrawtransactionwithkey", json!([raw, [wif]]));
    assert_eq!(
        again["errors"][0]["error"],
        "Input not found or already spent"
    );
    let err = node.rpc_err("combinerawtransaction", json!([[raw, raw]]));
    assert_eq!(err.code, -25);
    node.stop();
}
