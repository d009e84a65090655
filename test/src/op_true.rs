//! Keyless coins for tests, in the spirit of Core's MiniWallet: blocks pay
//! P2WSH(`OP_TRUE`), which anyone can spend with the script as the only
//! witness item, so tests build valid standard transactions without keys.

use bitcoin::{Address, Amount, Network, OutPoint, ScriptBuf, Transaction, Txid};
use consensus::test_support::spend_one;
use serde_json::json;

use crate::TestNode;

/// The witness script: `OP_TRUE`.
pub fn script() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

/// The regtest P2WSH(`OP_TRUE`) address.
pub fn address() -> String {
    Address::p2wsh(&script(), Network::Regtest).to_string()
}

/// Mines `n` blocks paying the `OP_TRUE` address; returns their hashes.
pub fn generate(node: &TestNode, n: u32) -> Vec<String> {
    node.generate_to_address(n, &address())
}

/// The coinbase output of block `hash` and its value in satoshis.
pub fn coinbase_of(node: &TestNode, hash: &str) -> (OutPoint, u64) {
    let block = node.rpc("getblock", json!([hash, 2]));
    let cb = &block["tx"][0];
    let txid: Txid = cb["txid"].as_str().expect("txid").parse().expect("txid");
    let sats = (cb["vout"][0]["value"].as_f64().expect("value") * 1e8).round() as u64;
    (OutPoint::new(txid, 0), sats)
}

/// A transaction spending `prev` (worth `value`) back to the `OP_TRUE`
/// address, paying `fee`.
pub fn spend(prev: OutPoint, value: u64, fee: u64) -> Transaction {
    let mut tx = spend_one(
        prev,
        Amount::from_sat(value - fee),
        ScriptBuf::new_p2wsh(&script().wscript_hash()),
    );
    tx.input[0].witness.push(script().as_bytes());
    tx
}
