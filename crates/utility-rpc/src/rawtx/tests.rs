//! Signs each supported script type and checks the result with the consensus
//! script verifier.

use super::{register_rawtx, CoinLookup};
use crate::address::{ChainParams, Destination};
use crate::{script, tojson};
use bitcoin::hashes::{hash160, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Amount, OutPoint, PrivateKey, ScriptBuf, TxOut};
use rpc::{RpcError, RpcRequest, RpcTable};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const PREV: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

#[derive(Default)]
struct Coins(Mutex<HashMap<OutPoint, TxOut>>);

impl CoinLookup for Coins {
    fn coin(&self, o: &OutPoint) -> Option<TxOut> {
        self.0.lock().ok()?.get(o).cloned()
    }
}

struct Fixture {
    table: RpcTable,
    coins: Arc<Coins>,
}

impl Fixture {
    fn new() -> Self {
        let table = RpcTable::new();
        let coins = Arc::new(Coins::default());
        register_rawtx(&table, bitcoin::Network::Regtest, coins.clone());
        table.finish_warmup();
        Fixture { table, coins }
    }
    fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        self.table.execute(RpcRequest::new(method, vec![]), params)
    }
}

fn key(n: u8) -> (String, Vec<u8>) {
    let sk = SecretKey::from_slice(&[n; 32]).unwrap();
    let pk = PublicKey::from_secret_key(&Secp256k1::new(), &sk);
    let wif = PrivateKey::new(sk, bitcoin::Network::Regtest).to_wif();
    (wif, pk.serialize().to_vec())
}

fn h160(d: &[u8]) -> [u8; 20] {
    hash160::Hash::hash(d).to_byte_array()
}

fn regtest() -> ChainParams {
    ChainParams::for_network(bitcoin::Network::Regtest)
}

fn unsigned(f: &Fixture) -> String {
    let dest = Destination::WitnessV0KeyHash([9; 20]).encode(&regtest());
    f.call(
        "createrawtransaction",
        json!([[{"txid": PREV, "vout": 0}], [{dest: 0.5}]]),
    )
    .unwrap()
    .as_str()
    .unwrap()
    .to_string()
}

fn verify(hex: &str, spk: &[u8]) {
    let tx = tojson::decode_hex_tx(hex, true, true).unwrap();
    let spent = TxOut {
        value: Amount::from_sat(100_000_000),
        script_pubkey: ScriptBuf::from_bytes(spk.to_vec()),
    };
    consensus::script::check_input_scripts(
        &tx,
        &[spent],
        consensus::flags::STANDARD_SCRIPT_VERIFY_FLAGS,
        &consensus::ConsensusScriptVerifier,
    )
    .unwrap();
}

fn prevtx(spk: &[u8], extra: Value) -> Value {
    let mut o = json!({"txid": PREV, "vout": 0, "scriptPubKey": hex::encode(spk), "amount": 1});
    if let (Some(o), Some(e)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    json!([o])
}

fn sign_and_verify(spk: Vec<u8>, keys: &[String], extra: Value) {
    let f = Fixture::new();
    let hex = unsigned(&f);
    let r = f
        .call(
            "signrawtransactionwithkey",
            json!([hex, keys, prevtx(&spk, extra)]),
        )
        .unwrap();
    assert_eq!(r["complete"], json!(true), "{r}");
    verify(r["hex"].as_str().unwrap(), &spk);
}

#[test]
fn signs_single_key_types() {
    let (wif, pk) = key(1);
    let h = h160(&pk);
    sign_and_verify(
        Destination::PubKeyHash(h).script_pubkey(),
        std::slice::from_ref(&wif),
        json!({}),
    );
    let wpkh = Destination::WitnessV0KeyHash(h).script_pubkey();
    sign_and_verify(wpkh.clone(), std::slice::from_ref(&wif), json!({}));
    let sh = Destination::p2sh(&wpkh).script_pubkey();
    sign_and_verify(sh, &[wif], json!({"redeemScript": hex::encode(&wpkh)}));
}

#[test]
fn signs_multisig_in_two_steps() {
    let (w1, p1) = key(1);
    let (w2, p2) = key(2);
    let ms = script::multisig_script(2, &[p1, p2]);
    let sh = Destination::p2sh(&ms).script_pubkey();
    let f = Fixture::new();
    let hex = unsigned(&f);
    let prev = prevtx(&sh, json!({"redeemScript": hex::encode(&ms)}));
    let r = f
        .call("signrawtransactionwithkey", json!([hex, [w1], prev]))
        .unwrap();
    assert_eq!(r["complete"], json!(false));
    assert_eq!(
        r["errors"][0]["error"],
        "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)"
    );
    let r = f
        .call("signrawtransactionwithkey", json!([r["hex"], [w2], prev]))
        .unwrap();
    assert_eq!(r["complete"], json!(true), "{r}");
    verify(r["hex"].as_str().unwrap(), &sh);
}

#[test]
fn signs_p2wsh_multisig_and_combines() {
    let (w1, p1) = key(3);
    let (w2, p2) = key(4);
    let ms = script::multisig_script(2, &[p1, p2]);
    let wsh = Destination::p2wsh(&ms).script_pubkey();
    sign_and_verify(
        wsh.clone(),
        &[w1.clone(), w2.clone()],
        json!({"witnessScript": hex::encode(&ms)}),
    );

    let f = Fixture::new();
    f.coins.0.lock().unwrap().insert(
        OutPoint {
            txid: PREV.parse().unwrap(),
            vout: 0,
        },
        TxOut {
            value: Amount::from_sat(100_000_000),
            script_pubkey: ScriptBuf::from_bytes(wsh.clone()),
        },
    );
    let hex = unsigned(&f);
    let prev = prevtx(&wsh, json!({"witnessScript": hex::encode(&ms)}));
    let a = f
        .call("signrawtransactionwithkey", json!([hex, [w1], prev]))
        .unwrap();
    let b = f
        .call("signrawtransactionwithkey", json!([hex, [w2], prev]))
        .unwrap();
    let c = f
        .call("combinerawtransaction", json!([[a["hex"], b["hex"]]]))
        .unwrap();
    verify(c.as_str().unwrap(), &wsh);
}

#[test]
fn reports_core_errors() {
    let f = Fixture::new();
    let hex = unsigned(&f);
    let (wif, pk) = key(5);
    let r = f
        .call("signrawtransactionwithkey", json!([hex, [wif]]))
        .unwrap();
    assert_eq!(r["complete"], json!(false));
    assert_eq!(r["errors"][0]["error"], "Input not found or already spent");
    assert_eq!(r["errors"][0]["vout"], json!(0));
    assert_eq!(r["errors"][0]["sequence"], json!(0xffff_fffdu32));

    let wpkh = Destination::WitnessV0KeyHash(h160(&pk)).script_pubkey();
    let r = f
        .call(
            "signrawtransactionwithkey",
            json!([hex, [], prevtx(&wpkh, json!({}))]),
        )
        .unwrap();
    assert_eq!(r["errors"][0]["error"], "Witness program hash mismatch");

    let mut no_amount = prevtx(&wpkh, json!({}));
    no_amount[0].as_object_mut().unwrap().remove("amount");
    let e = f
        .call(
            "signrawtransactionwithkey",
            json!([hex, [key(5).0], no_amount]),
        )
        .unwrap_err();
    assert_eq!(e.code, rpc::code::TYPE_ERROR);
    assert!(e
        .message
        .starts_with("Missing amount for CTxOut(nValue=21000000.00000000"));

    let e = f
        .call("signrawtransactionwithkey", json!([hex, ["bad"]]))
        .unwrap_err();
    assert_eq!(e.message, "Invalid private key");
    let e = f
        .call(
            "signrawtransactionwithkey",
            json!([hex, [], null, "ALL|NONE"]),
        )
        .unwrap_err();
    assert_eq!(e.message, "'ALL|NONE' is not a valid sighash parameter.");
    let e = f
        .call("combinerawtransaction", json!([[hex, hex]]))
        .unwrap_err();
    assert_eq!(e.code, rpc::code::VERIFY_ERROR);
}

#[test]
fn createrawtransaction_matches_core() {
    let f = Fixture::new();
    let r = f
        .call(
            "createrawtransaction",
            json!([[], {"data": "00010203"}, 0, false, 1]),
        )
        .unwrap();
    let want = [
        "01000000",
        "00",
        "01",
        "0000000000000000",
        "06",
        "6a0400010203",
        "00000000",
    ];
    assert_eq!(r, json!(want.concat()));
    let e = f
        .call(
            "createrawtransaction",
            json!([[{"txid": "00", "vout": 0}], {}]),
        )
        .unwrap_err();
    assert_eq!(e.message, "txid must be of length 64 (not 2, for '00')");
    let e = f
        .call("createrawtransaction", json!([[{"txid": PREV}], {}]))
        .unwrap_err();
    assert_eq!(e.message, "Invalid parameter, missing vout key");
    let e = f
        .call(
            "createrawtransaction",
            json!([[], {"data": "00", "bad": 1}]),
        )
        .unwrap_err();
    assert_eq!(e.message, "Invalid Bitcoin address: bad");
    let e = f
        .call(
            "createrawtransaction",
            json!([[{"txid": PREV, "vout": 0, "sequence": 0xffffffffu32}], {}, 0, true]),
        )
        .unwrap_err();
    assert_eq!(
        e.message,
        "Invalid parameter combination: Sequence number(s) contradict replaceable option"
    );
    let e = f
        .call("createrawtransaction", json!([[], {}, 0, true, 4]))
        .unwrap_err();
    assert_eq!(e.message, "Invalid parameter, version out of range(1~3)");
}

/// Core's `ParsePrevouts` checks the keys (`Missing <key>`, type) before
/// it reads vout's range, with or without a keystore.
#[test]
fn prevouts_report_missing_keys_before_the_vout_range() {
    let spk = "0014".to_string() + &"11".repeat(20);
    let parse = |v: Value, with_keystore: bool| {
        let mut coins = std::collections::BTreeMap::new();
        let mut keystore = super::sign::Keystore::default();
        let ks = with_keystore.then_some(&mut keystore);
        super::parse_prevouts(Some(&v), ks, &mut coins)
            .map(|()| coins.len())
            .map_err(|e| (e.code, e.message))
    };
    for with_keystore in [false, true] {
        let missing = |key: &str| {
            let mut o = json!({"txid": PREV, "vout": 3, "scriptPubKey": spk, "amount": 1});
            o.as_object_mut().map(|o| o.remove(key));
            parse(json!([o]), with_keystore)
        };
        assert_eq!(missing("vout"), Err((-3, "Missing vout".into())));
        assert_eq!(missing("txid"), Err((-3, "Missing txid".into())));
        assert_eq!(
            missing("scriptPubKey"),
            Err((-3, "Missing scriptPubKey".into()))
        );
        assert_eq!(missing("amount"), Ok(1));
        assert_eq!(
            parse(
                json!([{"txid": PREV, "vout": "3", "scriptPubKey": spk}]),
                with_keystore
            ),
            Err((
                -3,
                "JSON value of type string for field vout is not of expected type number".into()
            ))
        );
        assert_eq!(
            parse(
                json!([{"txid": PREV, "vout": -1, "scriptPubKey": spk}]),
                with_keystore
            ),
            Err((-22, "vout cannot be negative".into()))
        );
    }
}
