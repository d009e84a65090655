//! Descriptor wallets through the node's RPC port: `importdescriptors`
//! (watch-only and private, multipath, ranges, labels, active managers,
//! the rescan, every error text), `listdescriptors`, `gethdkeys`,
//! `createwalletdescriptor`, and that all of it survives a restart.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::bip32::{DerivationPath, Xpriv, Xpub};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network, NetworkKind, PrivateKey};
use functional::TestNode;
use serde_json::{json, Value};
use std::str::FromStr;

/// `desc#checksum`, the checksum from the node's `getdescriptorinfo`.
fn descsum(node: &TestNode, desc: &str) -> String {
    let info = node.rpc("getdescriptorinfo", json!([desc]));
    format!("{desc}#{}", info["checksum"].as_str().expect("checksum"))
}

/// A test master key from a one-byte seed.
fn master(seed: u8) -> Xpriv {
    Xpriv::new_master(NetworkKind::Test, &[seed; 32]).expect("master key")
}

fn derive(x: &Xpriv, path: &str) -> Xpriv {
    let path = DerivationPath::from_str(path).expect("path");
    x.derive_priv(&Secp256k1::new(), &path).expect("derive")
}

fn xpub(x: &Xpriv) -> Xpub {
    Xpub::from_priv(&Secp256k1::new(), x)
}

/// The regtest P2WPKH address of `x`'s key.
fn wpkh_address(x: &Xpriv) -> String {
    let pk = CompressedPublicKey(x.private_key.public_key(&Secp256k1::new()));
    Address::p2wpkh(&pk, Network::Regtest).to_string()
}

/// Core's normalized form of `wpkh(MASTER/<hardened>/<rest>)`: the key at
/// the last hardened step with the hardened path in the origin.
fn normalized_wpkh(node: &TestNode, m: &Xpriv, hardened: &str, rest: &str) -> String {
    let fp = m.fingerprint(&Secp256k1::new());
    let at = xpub(&derive(m, &format!("m/{hardened}")));
    let origin = hardened.replace('\'', "h");
    descsum(node, &format!("wpkh([{fp}/{origin}]{at}/{rest})"))
}

/// Runs `importdescriptors` with one request and returns its result.
fn import1(node: &TestNode, wallet: &str, request: Value) -> Value {
    let r = node.wallet_rpc(wallet, "importdescriptors", json!([[request]]));
    r[0].clone()
}

/// Asserts one request failed with `code` and `message`.
fn assert_import_error(node: &TestNode, wallet: &str, request: Value, code: i64, message: &str) {
    let r = import1(node, wallet, request.clone());
    assert_eq!(r["success"], json!(false), "{request}: {r}");
    assert_eq!(
        (r["error"]["code"].as_i64(), r["error"]["message"].as_str()),
        (Some(code), Some(message)),
        "{request}"
    );
}

fn descs_of(list: &Value) -> Vec<String> {
    list["descriptors"]
        .as_array()
        .expect("descriptors")
        .iter()
        .map(|d| d["desc"].as_str().expect("desc").to_string())
        .collect()
}

/// A keypool field of wallet `p`'s `getwalletinfo`.
fn keypool(node: &TestNode, field: &str) -> Value {
    node.wallet_rpc("p", "getwalletinfo", json!([]))[field].clone()
}

fn btc(v: &Value) -> f64 {
    v.as_f64().expect("amount")
}

#[test]
fn a_watch_only_wallet_imports_a_ranged_descriptor_and_finds_its_coins() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    let m = master(1);
    let account = derive(&m, "m/84'/1'/0'");
    let desc = descsum(&node, &format!("wpkh({}/0/*)", xpub(&account)));
    let addresses = node.rpc("deriveaddresses", json!([desc, [0, 2]]));
    let first = addresses[0].as_str().unwrap().to_string();
    assert_eq!(first, wpkh_address(&derive(&account, "m/0/0")));
    // Coins for the descriptor exist before the wallet does: coinbases,
    // and a payment still in the mempool (from a key outside any wallet).
    let key = PrivateKey::new(SecretKey::from_slice(&[9; 32]).unwrap(), NetworkKind::Test);
    let key_address = Address::p2pkh(key.public_key(&Secp256k1::new()), Network::Regtest);
    let hashes = node.generate_to_address(1, &key_address.to_string());
    node.generate_to_address(101, &first);
    let coinbase = node.rpc("getblock", json!([hashes[0], 1]))["tx"][0].clone();
    let raw = node.rpc(
        "createrawtransaction",
        json!([[{"txid": coinbase, "vout": 0}],
               [{(addresses[1].as_str().unwrap()): 10}, {key_address.to_string(): 39.999}]]),
    );
    let prev = json!([{"txid": coinbase, "vout": 0, "amount": 50,
                       "scriptPubKey": key_address.script_pubkey().to_hex_string()}]);
    let signed = node.rpc(
        "signrawtransactionwithkey",
        json!([raw, [key.to_wif()], prev]),
    );
    assert_eq!(signed["complete"], json!(true), "{signed}");
    let payment = node.rpc("sendrawtransaction", json!([signed["hex"]]));

    node.rpc(
        "createwallet",
        json!({"wallet_name": "watch", "disable_private_keys": true, "blank": true}),
    );
    assert_eq!(
        node.wallet_rpc("watch", "getwalletinfo", json!([]))["keypoolsize"],
        json!(0)
    );
    assert_eq!(
        btc(&node.wallet_rpc("watch", "getbalances", json!([]))["mine"]["trusted"]),
        0.0
    );
    let r = node.wallet_rpc(
        "watch",
        "importdescriptors",
        json!([[{"desc": desc, "timestamp": 0, "active": true, "range": [0, 5]}]]),
    );
    assert_eq!(r, json!([{"success": true}]));

    // The rescan found every coinbase, and the mempool the payment.
    let b = node.wallet_rpc("watch", "getbalances", json!([]));
    assert_eq!(btc(&b["mine"]["trusted"]), 50.0);
    assert_eq!(btc(&b["mine"]["immature"]), 5000.0);
    assert_eq!(btc(&b["mine"]["untrusted_pending"]), 10.0);
    let list = node.wallet_rpc("watch", "listtransactions", json!(["*", 200]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 102);
    assert_eq!(list[0]["category"], json!("generate"));
    assert_eq!(list[0]["address"], json!(first));
    assert_eq!(list[0]["parent_descs"], json!([desc]));
    assert_eq!(list[100]["category"], json!("immature"));
    let received: Vec<&Value> = list
        .iter()
        .filter(|e| e["category"] == json!("receive"))
        .collect();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["txid"], payment);
    assert_eq!(received[0]["address"], addresses[1]);
    assert_eq!(received[0]["confirmations"], json!(0));
    assert_eq!(btc(&received[0]["amount"]), 10.0);

    // A block after the import is seen as it arrives: it confirms the
    // payment (its fee goes to the new coinbase) and matures one more
    // coinbase.
    let third = addresses[2].as_str().unwrap();
    node.generate_to_address(1, third);
    let b2 = node.wallet_rpc("watch", "getbalances", json!([]));
    assert_eq!(btc(&b2["mine"]["trusted"]), 110.0);
    assert_eq!(btc(&b2["mine"]["immature"]), 5000.001);
    assert_eq!(btc(&b2["mine"]["untrusted_pending"]), 0.0);

    // Listed as Core lists it: public form, the range as imported
    // (inclusive), the creation time raised to 1. (`next_index` is left
    // out: Core moves it past the addresses seen on chain.)
    let list = node.wallet_rpc("watch", "listdescriptors", json!([]));
    assert_eq!(list["wallet_name"], json!("watch"));
    let ds = list["descriptors"].as_array().unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0]["desc"], json!(desc));
    assert_eq!(ds[0]["timestamp"], json!(1));
    assert_eq!(ds[0]["active"], json!(true));
    assert_eq!(ds[0]["internal"], json!(false));
    assert_eq!(ds[0]["range"], json!([0, 5]));
    assert_eq!(ds[0]["next"], ds[0]["next_index"]);
    let err = node
        .try_wallet_rpc("watch", "listdescriptors", json!([true]))
        .unwrap_err()
        .unwrap();
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            -4,
            "Can't get private descriptor string for watch-only wallets"
        )
    );
    // Watch-only with an unhardened xpub: addresses come from the range.
    let a = node.wallet_rpc("watch", "getnewaddress", json!(["", "bech32"]));
    let all = node.rpc("deriveaddresses", json!([desc, [0, 5]]));
    assert!(all.as_array().unwrap().contains(&a), "{a}");
    // No private keys, no HD private part.
    let hd = node.wallet_rpc("watch", "gethdkeys", json!([]));
    assert_eq!(
        hd,
        json!([{"xpub": xpub(&account).to_string(), "has_private": false,
                "descriptors": [{"desc": desc, "active": true}]}])
    );

    // Everything is on disk: the same after a restart.
    let before = node.wallet_rpc("watch", "listdescriptors", json!([]));
    node.stop();
    node.start(&["-wallet=watch"]);
    assert_eq!(
        node.wallet_rpc("watch", "listdescriptors", json!([])),
        before
    );
    assert_eq!(
        node.wallet_rpc("watch", "getbalances", json!([]))["mine"],
        b2["mine"]
    );
    node.stop();
}

#[test]
fn private_descriptors_give_addresses_list_privately_and_make_new_ones() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!({"wallet_name": "p", "blank": true}));
    let m = master(2);
    let recv = descsum(&node, &format!("wpkh({m}/84h/1h/0h/0/*)"));
    let change = descsum(&node, &format!("wpkh({m}/84h/1h/0h/1/*)"));
    let r = node.wallet_rpc(
        "p",
        "importdescriptors",
        json!([[
            {"desc": recv, "timestamp": "now", "active": true},
            {"desc": change, "timestamp": "now", "active": true, "internal": true},
        ]]),
    );
    let warning = json!(["Range not given, using default keypool range"]);
    assert_eq!(
        r,
        json!([{"success": true, "warnings": warning}, {"success": true, "warnings": warning}])
    );
    // Core leaves the blank flag alone on import.
    assert_eq!(
        node.wallet_rpc("p", "getwalletinfo", json!([]))["blank"],
        json!(true)
    );

    let a = node.wallet_rpc("p", "getnewaddress", json!(["", "bech32"]));
    assert_eq!(a, json!(wpkh_address(&derive(&m, "m/84'/1'/0'/0/0"))));
    let c = node.wallet_rpc("p", "getrawchangeaddress", json!(["bech32"]));
    assert_eq!(c, json!(wpkh_address(&derive(&m, "m/84'/1'/0'/1/0"))));
    let err = node
        .try_wallet_rpc("p", "getnewaddress", json!(["", "bech32m"]))
        .unwrap_err()
        .unwrap();
    assert_eq!(err.code, -12);

    // Public: normalized, sorted by string; private: the keys as imported.
    let public = node.wallet_rpc("p", "listdescriptors", json!([]));
    let mut expected = vec![
        normalized_wpkh(&node, &m, "84'/1'/0'", "0/*"),
        normalized_wpkh(&node, &m, "84'/1'/0'", "1/*"),
    ];
    expected.sort();
    assert_eq!(descs_of(&public), expected);
    for d in public["descriptors"].as_array().unwrap() {
        assert_eq!(d["active"], json!(true));
        let internal = d["desc"].as_str().unwrap().contains("/1/*");
        assert_eq!(d["internal"], json!(internal));
        // -keypool=1: the top-up before handing out index 0 derives only
        // that one.
        assert_eq!(d["range"], json!([0, 0]));
        assert_eq!(d["next_index"], json!(1));
        assert_eq!(d["next"], json!(1));
    }
    let private = node.wallet_rpc("p", "listdescriptors", json!({"private": true}));
    let mut expected = vec![recv.clone(), change.clone()];
    expected.sort();
    assert_eq!(descs_of(&private), expected);

    // One HD key, used by both.
    let hd = node.wallet_rpc("p", "gethdkeys", json!([]));
    let mut descs = vec![
        json!({"desc": normalized_wpkh(&node, &m, "84'/1'/0'", "0/*"), "active": true}),
        json!({"desc": normalized_wpkh(&node, &m, "84'/1'/0'", "1/*"), "active": true}),
    ];
    descs.sort_by_key(|d| d["desc"].as_str().unwrap().to_string());
    assert_eq!(
        hd,
        json!([{"xpub": xpub(&m).to_string(), "has_private": true, "descriptors": descs}])
    );
    let hd = node.wallet_rpc(
        "p",
        "gethdkeys",
        json!({"private": true, "active_only": true}),
    );
    assert_eq!(hd[0]["xprv"], json!(m.to_string()));

    // createwalletdescriptor: the default descriptors of that key.
    let err = |params: Value| {
        let e = node
            .try_wallet_rpc("p", "createwalletdescriptor", params)
            .unwrap_err()
            .unwrap();
        (e.code, e.message)
    };
    assert_eq!(
        err(json!(["nope"])),
        (-5, "Unknown address type 'nope'".to_string())
    );
    assert_eq!(
        err(json!({"type": "bech32m", "hdkey": m.to_string()})),
        (
            -5,
            "Unable to parse HD key. Please provide a valid xpub".to_string()
        )
    );
    let stranger = xpub(&master(3)).to_string();
    assert_eq!(
        err(json!({"type": "bech32m", "hdkey": stranger})),
        (-5, format!("Private key for {stranger} is not known"))
    );
    let made = node.wallet_rpc("p", "createwalletdescriptor", json!(["bech32m"]));
    let fp = m.fingerprint(&Secp256k1::new());
    let at = xpub(&derive(&m, "m/86'/1'/0'"));
    assert_eq!(
        made,
        json!({"descs": [
            descsum(&node, &format!("tr([{fp}/86h/1h/0h]{at}/0/*)")),
            descsum(&node, &format!("tr([{fp}/86h/1h/0h]{at}/1/*)")),
        ]})
    );
    assert_eq!(
        node.wallet_rpc("p", "getwalletinfo", json!([]))["blank"],
        json!(false)
    );
    let a = node.wallet_rpc("p", "getnewaddress", json!(["", "bech32m"]));
    assert!(a.as_str().unwrap().starts_with("bcrt1p"), "{a}");
    assert_eq!(
        err(json!(["bech32m"])),
        (-4, "Descriptor already exists".to_string())
    );
    // Only one branch when asked.
    let made = node.wallet_rpc(
        "p",
        "createwalletdescriptor",
        json!({"type": "legacy", "internal": false}),
    );
    assert_eq!(made["descs"].as_array().unwrap().len(), 1);
    assert_eq!(
        node.wallet_rpc("p", "listdescriptors", json!([]))["descriptors"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let mut before = node.wallet_rpc("p", "listdescriptors", json!([true]));
    node.stop();
    node.start(&["-wallet=p"]);
    // Loading tops up each active window to next_index + keypool (1 here),
    // as Core's TopUpKeyPool does; nothing else changes.
    for d in before["descriptors"].as_array_mut().unwrap() {
        let next = d["next_index"].as_i64().unwrap();
        let end = d["range"][1].as_i64().unwrap();
        d["range"][1] = json!(end.max(next));
    }
    assert_eq!(
        node.wallet_rpc("p", "listdescriptors", json!([true])),
        before
    );
    assert_eq!(
        node.wallet_rpc("p", "getwalletinfo", json!([]))["blank"],
        json!(false)
    );
    node.stop();
}

#[test]
fn a_multipath_descriptor_becomes_receive_and_change() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!({"wallet_name": "mp", "blank": true}));
    let m = master(4);
    let desc = descsum(&node, &format!("wpkh({m}/84h/1h/0h/<0;1>/*)"));
    assert_import_error(
        &node,
        "mp",
        json!({"desc": desc, "timestamp": "now", "internal": true}),
        -5,
        "Cannot have multipath descriptor while also specifying 'internal'",
    );
    assert_import_error(
        &node,
        "mp",
        json!({"desc": desc, "timestamp": "now", "label": "x"}),
        -8,
        "Multipath descriptors should not have a label",
    );
    let r = import1(
        &node,
        "mp",
        json!({"desc": desc, "timestamp": "now", "active": true, "range": [0, 4]}),
    );
    assert_eq!(r, json!({"success": true}));
    let list = node.wallet_rpc("mp", "listdescriptors", json!([]));
    let ds = list["descriptors"].as_array().unwrap();
    assert_eq!(ds.len(), 2);
    assert_eq!(
        ds[0]["desc"],
        json!(normalized_wpkh(&node, &m, "84'/1'/0'", "0/*"))
    );
    assert_eq!(ds[0]["internal"], json!(false));
    assert_eq!(
        ds[1]["desc"],
        json!(normalized_wpkh(&node, &m, "84'/1'/0'", "1/*"))
    );
    assert_eq!(ds[1]["internal"], json!(true));
    for d in ds {
        assert_eq!(d["range"], json!([0, 4]));
        assert_eq!(d["active"], json!(true));
    }
    assert_eq!(
        node.wallet_rpc("mp", "getnewaddress", json!(["", "bech32"])),
        json!(wpkh_address(&derive(&m, "m/84'/1'/0'/0/0")))
    );
    assert_eq!(
        node.wallet_rpc("mp", "getrawchangeaddress", json!(["bech32"])),
        json!(wpkh_address(&derive(&m, "m/84'/1'/0'/1/0")))
    );
    node.stop();
}

#[test]
fn bad_requests_get_cores_errors() {
    let mut node = TestNode::with_wallet();
    node.start(&["-keypool=5"]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": "w", "disable_private_keys": true, "blank": true}),
    );
    node.rpc("createwallet", json!({"wallet_name": "p", "blank": true}));
    let m = master(5);
    let account = derive(&m, "m/0'/0'");
    let tpub = xpub(&account);
    let ranged = descsum(&node, &format!("sh(wpkh({tpub}/0/*))"));
    let key = PrivateKey::new(SecretKey::from_slice(&[7; 32]).unwrap(), NetworkKind::Test);
    let pubkey = key.public_key(&Secp256k1::new());
    let single = descsum(&node, &format!("pkh({pubkey})"));

    // Whole-call failures: the timestamp.
    let call_err = |wallet: &str, requests: Value| {
        let e = node
            .try_wallet_rpc(wallet, "importdescriptors", json!([requests]))
            .unwrap_err()
            .unwrap();
        (e.code, e.message)
    };
    assert_eq!(
        call_err("w", json!([{"desc": single}])),
        (-3, "Missing required timestamp field for key".to_string())
    );
    assert_eq!(
        call_err("w", json!([{"desc": single, "timestamp": true}])),
        (
            -3,
            "Expected number or \"now\" timestamp value for key. got type bool".to_string()
        )
    );

    let cases: Vec<(Value, i64, &str)> = vec![
        (json!({"timestamp": "now"}), -8, "Descriptor not found."),
        (
            json!({"desc": format!("pkh({pubkey})"), "timestamp": "now"}),
            -5,
            "Missing checksum",
        ),
        (
            json!({"desc": single, "timestamp": "now", "range": 1}),
            -8,
            "Range should not be specified for an un-ranged descriptor",
        ),
        (
            json!({"desc": single, "timestamp": "now", "active": true}),
            -8,
            "Active descriptors must be ranged",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": -1}),
            -8,
            "End of range is too high",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": [-1, 10]}),
            -8,
            "Range should be greater or equal than 0",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": [2, 1]}),
            -8,
            "Range specified as [begin,end] must not have begin after end",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": [0, 1000001]}),
            -8,
            "Range is too large",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": [(1u64 << 32) - 1000000, 1u64 << 32]}),
            -8,
            "End of range is too high",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": [0, 3], "next_index": 4}),
            -8,
            "next_index is out of range",
        ),
        (
            json!({"desc": ranged, "timestamp": "now", "range": [0, 3], "label": "l"}),
            -8,
            "Ranged descriptors should not have a label",
        ),
        (
            json!({"desc": single, "timestamp": "now", "internal": true, "label": "l"}),
            -8,
            "Internal addresses should not have a label",
        ),
        (
            json!({"desc": single, "timestamp": "now", "label": "*"}),
            -11,
            "Invalid label name",
        ),
        (
            json!({"desc": descsum(&node, &format!("combo({tpub}/*)")), "timestamp": "now", "active": true}),
            -4,
            "Combo descriptors cannot be set to active",
        ),
        (
            json!({"desc": descsum(&node, &format!("pkh({})", key.to_wif())), "timestamp": "now"}),
            -4,
            "Cannot import private keys to a wallet with private keys disabled",
        ),
        (
            json!({"desc": descsum(&node, &format!("wpkh({tpub}/1h/*)")), "timestamp": "now", "range": 1}),
            -4,
            "Cannot expand descriptor. Probably because of hardened derivations without private keys provided",
        ),
    ];
    for (request, code, message) in cases {
        assert_import_error(&node, "w", request, code, message);
    }
    // A failed request leaves the others in the same call alone.
    let r = node.wallet_rpc(
        "w",
        "importdescriptors",
        json!([[{"timestamp": "now"}, {"desc": single, "timestamp": "now", "label": "one"}]]),
    );
    assert_eq!(r[0]["success"], json!(false));
    assert_eq!(r[1], json!({"success": true}));
    assert_eq!(
        node.wallet_rpc("w", "getwalletinfo", json!([]))["keypoolsize"],
        json!(0)
    );
    // Same descriptor again: a new label replaces the old one.
    assert_eq!(
        import1(
            &node,
            "w",
            json!({"desc": single, "timestamp": "now", "label": "two"})
        ),
        json!({"success": true})
    );
    let legacy = Address::p2pkh(pubkey, Network::Regtest).to_string();
    node.generate_to_address(1, &legacy);
    let list = node.wallet_rpc("w", "listtransactions", json!([]));
    assert_eq!(list[0]["address"], json!(legacy));
    assert_eq!(list[0]["label"], json!("two"));

    // A private-key wallet wants private keys, and warns when some are
    // missing.
    assert_import_error(
        &node,
        "p",
        json!({"desc": ranged, "timestamp": "now", "range": [0, 3]}),
        -4,
        "Cannot import descriptor without private keys to a wallet with private keys enabled",
    );
    let other = xpub(&master(6));
    let multi = descsum(&node, &format!("wsh(multi(1,{m}/0/*,{other}/0/*))"));
    assert_eq!(
        import1(&node, "p", json!({"desc": multi, "timestamp": "now"})),
        json!({"success": true, "warnings": [
            "Range not given, using default keypool range",
            "Not all private keys provided. Some wallet functionality may return unexpected errors",
        ]})
    );

    // A range can only grow; re-importing switches the branch.
    let hardened = descsum(&node, &format!("sh(wpkh({m}/0'/0'/*'))"));
    let request = json!({"desc": hardened, "timestamp": "now", "range": [5, 10], "active": true});
    assert_eq!(
        import1(&node, "p", request.clone()),
        json!({"success": true})
    );
    assert_eq!(keypool(&node, "keypoolsize"), json!(6));
    for (range, size) in [([0, 10], 11), ([0, 20], 21), ([0, 20], 21)] {
        let mut r = request.clone();
        r["range"] = json!(range);
        assert_eq!(import1(&node, "p", r), json!({"success": true}));
        assert_eq!(keypool(&node, "keypoolsize"), json!(size));
    }
    for range in [[5, 10], [0, 10], [5, 20]] {
        let mut r = request.clone();
        r["range"] = json!(range);
        assert_import_error(
            &node,
            "p",
            r,
            -4,
            &format!("Could not add descriptor '{hardened}': new range must include current range = [0,20]"),
        );
    }
    assert_eq!(keypool(&node, "keypoolsize"), json!(21));
    let mut r = request.clone();
    r["range"] = json!([0, 20]);
    r["internal"] = json!(true);
    assert_eq!(import1(&node, "p", r), json!({"success": true}));
    assert_eq!(keypool(&node, "keypoolsize"), json!(0));
    assert_eq!(keypool(&node, "keypoolsize_hd_internal"), json!(21));
    node.wallet_rpc("p", "getrawchangeaddress", json!(["p2sh-segwit"]));
    assert!(node
        .try_wallet_rpc("p", "getnewaddress", json!(["", "p2sh-segwit"]))
        .is_err());
    // The switch is on disk: still change only after a restart.
    node.stop();
    node.start(&["-keypool=5", "-wallet=p", "-wallet=w"]);
    assert_eq!(keypool(&node, "keypoolsize"), json!(0));
    // One change address was given out of the 21.
    assert_eq!(keypool(&node, "keypoolsize_hd_internal"), json!(20));
    let active: Vec<Value> = node.wallet_rpc("p", "listdescriptors", json!([]))["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["active"] == json!(true))
        .cloned()
        .collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["internal"], json!(true));
    node.stop();
}

#[test]
fn an_encrypted_wallet_imports_only_while_unlocked() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": "e", "blank": true, "passphrase": "pw"}),
    );
    let m = master(8);
    let desc = descsum(&node, &format!("wpkh({m}/84h/1h/0h/0/*)"));
    let request = json!([[{"desc": desc, "timestamp": "now", "active": true}]]);
    let locked = |method: &str, params: Value| {
        let e = node
            .try_wallet_rpc("e", method, params)
            .unwrap_err()
            .unwrap();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                -13,
                "Error: Please enter the wallet passphrase with walletpassphrase first."
            ),
            "{method}"
        );
    };
    locked("importdescriptors", request.clone());
    node.wallet_rpc("e", "walletpassphrase", json!(["pw", 100]));
    let r = node.wallet_rpc("e", "importdescriptors", request);
    assert_eq!(r[0]["success"], json!(true));
    let private = node.wallet_rpc("e", "listdescriptors", json!([true]));
    assert_eq!(descs_of(&private), vec![desc.clone()]);
    node.wallet_rpc("e", "walletlock", json!([]));
    locked("listdescriptors", json!([true]));
    locked("gethdkeys", json!({"private": true}));
    locked("createwalletdescriptor", json!(["bech32m"]));
    // The public views need no passphrase.
    assert_eq!(
        descs_of(&node.wallet_rpc("e", "listdescriptors", json!([]))),
        vec![normalized_wpkh(&node, &m, "84'/1'/0'", "0/*")]
    );
    let hd = node.wallet_rpc("e", "gethdkeys", json!([]));
    assert_eq!(hd[0]["has_private"], json!(true));
    assert!(hd[0].get("xprv").is_none());
    // The encrypted key is on disk too.
    node.stop();
    node.start(&["-wallet=e"]);
    node.wallet_rpc("e", "walletpassphrase", json!(["pw", 100]));
    assert_eq!(
        descs_of(&node.wallet_rpc("e", "listdescriptors", json!([true]))),
        vec![desc]
    );
    let made = node.wallet_rpc("e", "createwalletdescriptor", json!(["bech32m"]));
    assert_eq!(made["descs"].as_array().unwrap().len(), 2);
    node.stop();
}

#[test]
fn a_new_wallets_descriptors_are_listed_as_getnewaddress_uses_them() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["d"]));
    let list = node.wallet_rpc("d", "listdescriptors", json!([]));
    let ds = list["descriptors"].as_array().unwrap();
    assert_eq!(ds.len(), 8);
    let strings = descs_of(&list);
    let mut sorted = strings.clone();
    sorted.sort();
    assert_eq!(strings, sorted);
    // The receive descriptor of each type derives the address given out.
    for (t, prefix) in [
        ("legacy", "pkh("),
        ("p2sh-segwit", "sh(wpkh("),
        ("bech32", "wpkh("),
        ("bech32m", "tr("),
    ] {
        let a = node.wallet_rpc("d", "getnewaddress", json!(["", t]));
        let d = ds
            .iter()
            .find(|d| {
                let s = d["desc"].as_str().unwrap();
                s.starts_with(prefix) && d["internal"] == json!(false)
            })
            .unwrap();
        assert_eq!(d["active"], json!(true));
        let derived = node.rpc("deriveaddresses", json!([d["desc"], [0, 0]]));
        assert_eq!(derived, json!([a]), "{t}");
    }
    let after = node.wallet_rpc("d", "listdescriptors", json!([]));
    for d in after["descriptors"].as_array().unwrap() {
        let internal = d["internal"] == json!(true);
        assert_eq!(d["next_index"], json!(if internal { 0 } else { 1 }));
    }
    // One seed behind all eight, with its private key.
    let hd = node.wallet_rpc("d", "gethdkeys", json!({"private": true}));
    let hd = hd.as_array().unwrap();
    assert_eq!(hd.len(), 1);
    assert_eq!(hd[0]["descriptors"].as_array().unwrap().len(), 8);
    let xprv = hd[0]["xprv"].as_str().unwrap();
    for d in node.wallet_rpc("d", "listdescriptors", json!([true]))["descriptors"]
        .as_array()
        .unwrap()
    {
        assert!(d["desc"].as_str().unwrap().contains(xprv));
    }
    let err = node
        .try_wallet_rpc("d", "createwalletdescriptor", json!(["bech32"]))
        .unwrap_err()
        .unwrap();
    assert_eq!(
        (err.code, err.message.as_str()),
        (-4, "Descriptor already exists")
    );
    node.stop();
}
