//! What the wallet received and knows about its addresses, through the
//! node's RPC port: `getreceivedby*` and `listreceivedby*` with
//! confirmations, immature coinbases and empty entries; `listsinceblock`
//! across a reorganisation; `getaddressinfo` for every address type;
//! labels; `keypoolrefill`. Coins come from anyone-can-spend coinbases
//! spent to wallet addresses, the way another wallet would pay.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{
    Address, Amount, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use functional::{op_true, TestNode};
use serde_json::{json, Value};

fn wallet_node() -> TestNode {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node
}

fn btc(v: &Value) -> f64 {
    v.as_f64().expect("amount")
}

/// An amount as Core prints it: eight decimals.
fn amt(s: &str) -> Value {
    serde_json::from_str(s).expect("number")
}

fn text(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

fn err(node: &TestNode, method: &str, params: Value) -> (i64, String) {
    let e = node.rpc_err(method, params);
    (e.code, e.message)
}

fn spk(address: &str) -> ScriptBuf {
    address
        .parse::<Address<bitcoin::address::NetworkUnchecked>>()
        .expect("address")
        .require_network(Network::Regtest)
        .expect("regtest address")
        .script_pubkey()
}

/// Spends the anyone-can-spend coinbase of block `block` paying each
/// `(address, sats)`, the rest less a fee back to `OP_TRUE`; returns the
/// txid.
fn pay(node: &TestNode, block: &str, to: &[(&str, u64)]) -> String {
    let (prev, value) = op_true::coinbase_of(node, block);
    let mut witness = Witness::new();
    witness.push(op_true::script().as_bytes());
    let paid: u64 = to.iter().map(|(_, v)| v).sum();
    let mut output: Vec<TxOut> = to
        .iter()
        .map(|(a, v)| TxOut {
            value: Amount::from_sat(*v),
            script_pubkey: spk(a),
        })
        .collect();
    output.push(TxOut {
        value: Amount::from_sat(value - paid - 10_000),
        script_pubkey: spk(&op_true::address()),
    });
    let tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(prev.txid, prev.vout),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness,
        }],
        output,
    };
    let hex = bitcoin::consensus::encode::serialize_hex(&tx);
    text(&node.rpc("sendrawtransaction", json!([hex])))
}

fn addresses_of(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|e| text(&e["address"]))
        .collect()
}

#[test]
fn received_amounts_follow_confirmations_labels_and_coinbase_maturity() {
    let mut node = wallet_node();
    node.rpc("createwallet", json!(["w"]));
    let a1 = text(&node.rpc("getnewaddress", json!(["lab1", "bech32"])));
    let a2 = text(&node.rpc("getnewaddress", json!(["lab1", "legacy"])));
    let a3 = text(&node.rpc("getnewaddress", json!(["", "p2sh-segwit"])));
    let empty = text(&node.rpc("getnewaddress", json!(["empty", "bech32m"])));
    let change = text(&node.rpc("getrawchangeaddress", json!([])));

    // Errors, as Core words them.
    assert_eq!(
        err(&node, "getreceivedbyaddress", json!(["nope"])),
        (-5, "Invalid Bitcoin address".into())
    );
    assert_eq!(
        err(&node, "getreceivedbyaddress", json!([op_true::address()])),
        (-4, "Address not found in wallet".into())
    );
    assert_eq!(
        err(&node, "getreceivedbylabel", json!(["none"])),
        (-4, "Label not found in wallet".into())
    );
    assert_eq!(
        err(&node, "getreceivedbylabel", json!(["*"])),
        (-11, "Invalid label name".into())
    );
    // A label only a foreign address has: no address of the wallet.
    node.rpc("setlabel", json!([op_true::address(), "theirs"]));
    assert_eq!(
        err(&node, "getreceivedbylabel", json!(["theirs"])),
        (-4, "Address not found in wallet".into())
    );
    assert_eq!(
        err(
            &node,
            "listreceivedbyaddress",
            json!([1, false, false, "bad"])
        ),
        (-4, "address_filter parameter was invalid".into())
    );
    // Nothing received yet: listed only with include_empty.
    assert_eq!(node.rpc("listreceivedbyaddress", json!([])), json!([]));
    assert_eq!(node.rpc("listreceivedbylabel", json!([])), json!([]));

    let blocks = op_true::generate(&node, 101);
    let txid = pay(
        &node,
        &blocks[0],
        &[(&a1, 1_000_000_000), (&a2, 500_000_000)],
    );
    // In the mempool: only minconf 0 counts it.
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a1]))), 0.0);
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a1, 0]))), 10.0);
    assert_eq!(
        btc(&node.rpc("getreceivedbylabel", json!(["lab1", 0]))),
        15.0
    );
    let list = node.rpc("listreceivedbyaddress", json!([0]));
    // Core's address book order: P2PKH before P2WPKH.
    assert_eq!(addresses_of(&list), vec![a2.clone(), a1.clone()]);
    assert_eq!(
        list[1],
        json!({"address": a1, "amount": amt("10.00000000"), "confirmations": 0, "label": "lab1", "txids": [txid]})
    );
    assert_eq!(node.rpc("listreceivedbyaddress", json!([])), json!([]));

    op_true::generate(&node, 1);
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a1]))), 10.0);
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a2, 1]))), 5.0);
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a1, 2]))), 0.0);
    assert_eq!(btc(&node.rpc("getreceivedbylabel", json!(["lab1"]))), 15.0);
    assert_eq!(btc(&node.rpc("getreceivedbylabel", json!([""]))), 0.0);
    assert_eq!(
        node.rpc("listreceivedbylabel", json!([])),
        json!([{"amount": amt("15.00000000"), "confirmations": 1, "label": "lab1"}])
    );
    let list = node.rpc("listreceivedbyaddress", json!([]));
    assert_eq!(list[0]["confirmations"], json!(1));
    assert_eq!(list[0]["txids"], json!([txid]));

    // include_empty adds every labelled address, never change.
    let all = node.rpc("listreceivedbyaddress", json!([1, true]));
    let listed = addresses_of(&all);
    // Core's order: P2PKH, P2SH, P2WSH, P2WPKH, P2TR.
    assert_eq!(
        listed,
        vec![
            a2.clone(),
            a3.clone(),
            op_true::address(),
            a1.clone(),
            empty.clone()
        ],
        "{all}"
    );
    assert!(!listed.contains(&change));
    let e = all
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["address"] == json!(empty))
        .unwrap()
        .clone();
    assert_eq!(
        e,
        json!({"address": empty, "amount": amt("0.00000000"), "confirmations": 0, "label": "empty", "txids": []})
    );
    assert_eq!(
        node.rpc("listreceivedbylabel", json!([1, true])),
        json!([
            {"amount": amt("0.00000000"), "confirmations": 0, "label": ""},
            {"amount": amt("0.00000000"), "confirmations": 0, "label": "empty"},
            {"amount": amt("15.00000000"), "confirmations": 1, "label": "lab1"},
            {"amount": amt("0.00000000"), "confirmations": 0, "label": "theirs"},
        ])
    );
    // The filter: one address, even an empty one with include_empty.
    assert_eq!(
        addresses_of(&node.rpc("listreceivedbyaddress", json!([1, false, false, a1]))),
        vec![a1.clone()]
    );
    assert_eq!(
        node.rpc("listreceivedbyaddress", json!([1, false, false, empty])),
        json!([])
    );
    assert_eq!(
        addresses_of(&node.rpc("listreceivedbyaddress", json!([1, true, false, empty]))),
        vec![empty.clone()]
    );
    // Named arguments reach the wallet's methods.
    assert_eq!(
        addresses_of(&node.rpc(
            "listreceivedbyaddress",
            json!({"address_filter": a2, "minconf": 0})
        )),
        vec![a2.clone()]
    );

    // A coinbase to a3: left out until mature unless asked for.
    node.generate_to_address(1, &a3);
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a3]))), 0.0);
    assert_eq!(
        btc(&node.rpc("getreceivedbyaddress", json!([a3, 1, true]))),
        50.0
    );
    assert_eq!(
        btc(&node.rpc("getreceivedbylabel", json!(["", 1, true]))),
        50.0
    );
    assert_eq!(
        node.rpc("listreceivedbyaddress", json!([1, false, false, a3])),
        json!([])
    );
    let l = node.rpc("listreceivedbyaddress", json!([1, false, false, a3, true]));
    assert_eq!(l[0]["amount"], amt("50.00000000"));
    assert_eq!(l[0]["confirmations"], json!(1));
    let l = node.rpc("listreceivedbylabel", json!([1, false, false, true]));
    assert_eq!(
        l[0],
        json!({"amount": amt("50.00000000"), "confirmations": 1, "label": ""})
    );
    op_true::generate(&node, 100);
    assert_eq!(btc(&node.rpc("getreceivedbyaddress", json!([a3]))), 50.0);
    assert_eq!(
        btc(&node.rpc("getreceivedbyaddress", json!([a3, 101]))),
        50.0
    );
    assert_eq!(
        btc(&node.rpc("getreceivedbyaddress", json!([a3, 102]))),
        0.0
    );
    node.stop();
}

#[test]
fn listsinceblock_lists_new_transactions_and_those_a_reorganisation_removed() {
    let mut node = wallet_node();
    node.rpc("createwallet", json!(["w"]));
    let addr = text(&node.rpc("getnewaddress", json!(["pay"])));
    let miner = text(&node.rpc("getnewaddress", json!(["mine"])));
    let blocks = op_true::generate(&node, 101);
    let b0 = blocks[100].clone();
    let txid = pay(&node, &blocks[0], &[(&addr, 200_000_000)]);
    // B1 confirms the payment and pays the wallet its coinbase.
    let b1 = node.generate_to_address(1, &miner)[0].clone();

    let all = node.rpc("listsinceblock", json!([]));
    assert_eq!(all["lastblock"], json!(b1));
    assert_eq!(all["removed"], json!([]));
    // An empty block hash is no block hash.
    assert_eq!(node.rpc("listsinceblock", json!([""])), all);
    let txs = all["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 2, "{all}");
    let receive = txs.iter().find(|t| t["txid"] == json!(txid)).unwrap();
    assert_eq!(receive["category"], json!("receive"));
    assert_eq!(receive["address"], json!(addr));
    assert_eq!(receive["label"], json!("pay"));
    assert_eq!(receive["confirmations"], json!(1));
    assert_eq!(receive["blockhash"], json!(b1));
    assert!(txs.iter().any(|t| t["category"] == json!("immature")));

    // Since B0: both; since B1: nothing.
    let since = node.rpc("listsinceblock", json!([b0]));
    assert_eq!(since["transactions"].as_array().unwrap().len(), 2);
    let since = node.rpc("listsinceblock", json!([b1]));
    assert_eq!(since["transactions"], json!([]));
    assert_eq!(since["lastblock"], json!(b1));
    // lastblock is target_confirmations - 1 below the tip.
    assert_eq!(
        node.rpc("listsinceblock", json!([b1, 2]))["lastblock"],
        json!(b0)
    );
    assert_eq!(
        node.rpc("listsinceblock", json!([null, 100000]))["lastblock"],
        node.rpc("getblockhash", json!([0]))
    );
    // The label filter keeps matching receives only.
    let labelled = node.rpc("listsinceblock", json!({"label": "pay"}));
    assert_eq!(labelled["transactions"].as_array().unwrap().len(), 1);
    let r = node.rpc("listsinceblock", json!({"include_removed": false}));
    assert!(r.get("removed").is_none());

    assert_eq!(
        err(&node, "listsinceblock", json!(["00".repeat(32)])),
        (-5, "Block not found".into())
    );
    assert_eq!(
        err(&node, "listsinceblock", json!([b1, 0])),
        (-8, "Invalid parameter".into())
    );
    assert_eq!(
        err(&node, "listsinceblock", json!(["xyz"])),
        (
            -8,
            "blockhash must be of length 64 (not 3, for 'xyz')".into()
        )
    );
    assert_eq!(
        err(
            &node,
            "listsinceblock",
            json!([b1, 1, false, true, false, "*"])
        ),
        (-11, "Invalid label name".into())
    );

    // B1 is replaced by two empty blocks: the payment is back in the
    // mempool, the coinbase orphaned; both show as removed when asked
    // since B1.
    node.rpc("invalidateblock", json!([b1]));
    let out = op_true::address();
    let c1 = text(&node.rpc("generateblock", json!([out, []]))["hash"]);
    let c2 = text(&node.rpc("generateblock", json!([out, []]))["hash"]);
    assert_eq!(node.rpc("getbestblockhash", json!([])), json!(c2));
    let since = node.rpc("listsinceblock", json!([b1]));
    assert_eq!(since["lastblock"], json!(c2));
    let removed = since["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 2, "{since}");
    let payment = removed.iter().find(|t| t["txid"] == json!(txid)).unwrap();
    assert_eq!(payment["category"], json!("receive"));
    assert_eq!(payment["confirmations"], json!(0));
    assert!(payment.get("blockhash").is_none());
    let orphan = removed.iter().find(|t| t["txid"] != json!(txid)).unwrap();
    assert_eq!(orphan["category"], json!("orphan"));
    assert_eq!(orphan["address"], json!(miner));
    // Transactions since the fork point include the unconfirmed payment.
    let txs = since["transactions"].as_array().unwrap();
    assert!(txs.iter().any(|t| t["txid"] == json!(txid)));
    // Without include_removed, no array.
    let since = node.rpc("listsinceblock", json!([b1, 1, false, false]));
    assert!(since.get("removed").is_none());
    // Since C1 on the active chain: nothing removed.
    assert_eq!(
        node.rpc("listsinceblock", json!([c1]))["removed"],
        json!([])
    );

    // Back to B1's chain (made longer): since C2, C1 and C2 are walked,
    // holding nothing of the wallet's; the payment is confirmed again.
    node.rpc("invalidateblock", json!([c1]));
    node.rpc("reconsiderblock", json!([b1]));
    let b2 = op_true::generate(&node, 1)[0].clone();
    assert_eq!(node.rpc("getbestblockhash", json!([])), json!(b2));
    let since = node.rpc("listsinceblock", json!([c2]));
    assert_eq!(since["removed"], json!([]));
    let txs = since["transactions"].as_array().unwrap();
    let again = txs.iter().find(|t| t["txid"] == json!(txid)).unwrap();
    assert_eq!(again["confirmations"], json!(2));
    assert_eq!(again["blockhash"], json!(b1));
    node.stop();
}

fn fingerprint_of(info: &Value) -> String {
    text(&info["hdmasterfingerprint"])
}

#[test]
fn getaddressinfo_describes_every_address_type_as_core_does() {
    let mut node = wallet_node();
    node.rpc("createwallet", json!(["w"]));
    // (type, purpose number, script shape)
    for (t, purpose) in [
        ("legacy", 44),
        ("p2sh-segwit", 49),
        ("bech32", 84),
        ("bech32m", 86),
    ] {
        // The second address of the type: index 1.
        node.rpc("getnewaddress", json!(["x", t]));
        let a = text(&node.rpc("getnewaddress", json!([format!("l-{t}"), t])));
        let info = node.rpc("getaddressinfo", json!([a]));
        let fp = fingerprint_of(&info);
        assert_eq!(fp.len(), 8, "{info}");
        assert_eq!(info["address"], json!(a));
        assert_eq!(info["ismine"], json!(true));
        assert_eq!(info["solvable"], json!(true));
        assert_eq!(info["iswatchonly"], json!(false));
        assert_eq!(info["ischange"], json!(false));
        assert_eq!(info["labels"], json!([format!("l-{t}")]));
        assert_eq!(info["hdkeypath"], json!(format!("m/{purpose}h/1h/0h/0/1")));
        assert_eq!(info["hdseedid"], json!("0".repeat(40)));
        assert!(info["timestamp"].as_i64().unwrap() > 0);
        let desc = text(&info["desc"]);
        let origin = format!("[{fp}/{purpose}h/1h/0h/0/1]");
        assert!(desc.contains(&origin), "{desc}");
        // The node agrees on the checksum and on the address it derives.
        let checked = node.rpc("getdescriptorinfo", json!([desc]));
        assert_eq!(checked["descriptor"], json!(desc));
        assert_eq!(checked["issolvable"], json!(true));
        assert_eq!(node.rpc("deriveaddresses", json!([desc])), json!([a]));
        let parent = text(&info["parent_desc"]);
        assert!(
            parent.contains(&format!("[{fp}/{purpose}h/1h/0h]tpub")) && parent.contains("/0/*)"),
            "{parent}"
        );
        let scriptpubkey = node.rpc("validateaddress", json!([a]))["scriptPubKey"].clone();
        assert_eq!(info["scriptPubKey"], scriptpubkey);
        let keys: Vec<&str> = info
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let head = [
            "address",
            "scriptPubKey",
            "ismine",
            "solvable",
            "desc",
            "parent_desc",
            "iswatchonly",
            "isscript",
            "iswitness",
        ];
        assert_eq!(keys[..head.len()], head, "{info}");
        let tail = [
            "ischange",
            "timestamp",
            "hdkeypath",
            "hdseedid",
            "hdmasterfingerprint",
            "labels",
        ];
        assert_eq!(keys[keys.len() - tail.len()..], tail, "{info}");
        let middle: Vec<&str> = keys[head.len()..keys.len() - tail.len()].to_vec();
        match t {
            "legacy" => {
                assert!(desc.starts_with("pkh([") && desc.contains(")#"), "{desc}");
                assert_eq!(middle, ["pubkey", "iscompressed"]);
                assert_eq!(info["isscript"], json!(false));
                assert_eq!(info["iswitness"], json!(false));
                assert_eq!(info["iscompressed"], json!(true));
                assert_eq!(text(&info["pubkey"]).len(), 66);
                assert!(desc.contains(&text(&info["pubkey"])));
            }
            "p2sh-segwit" => {
                assert!(desc.starts_with("sh(wpkh(["), "{desc}");
                assert_eq!(middle, ["script", "hex", "pubkey", "embedded"]);
                assert_eq!(info["isscript"], json!(true));
                assert_eq!(info["iswitness"], json!(false));
                assert_eq!(info["script"], json!("witness_v0_keyhash"));
                let hex = text(&info["hex"]);
                assert!(hex.starts_with("0014") && hex.len() == 44);
                let e = &info["embedded"];
                assert_eq!(e["isscript"], json!(false));
                assert_eq!(e["iswitness"], json!(true));
                assert_eq!(e["witness_version"], json!(0));
                assert_eq!(e["witness_program"], json!(hex[4..]));
                assert_eq!(e["pubkey"], info["pubkey"]);
                assert_eq!(e["scriptPubKey"], json!(hex));
                assert!(text(&e["address"]).starts_with("bcrt1q"));
            }
            "bech32" => {
                assert!(desc.starts_with("wpkh(["), "{desc}");
                assert_eq!(middle, ["witness_version", "witness_program", "pubkey"]);
                assert_eq!(info["isscript"], json!(false));
                assert_eq!(info["iswitness"], json!(true));
                assert_eq!(info["witness_version"], json!(0));
                assert_eq!(info["witness_program"], json!(text(&scriptpubkey)[4..]));
            }
            _ => {
                assert!(desc.starts_with("tr(["), "{desc}");
                // The key is x-only: 64 hex digits after the origin.
                let key = &desc[desc.find(']').unwrap() + 1..desc.find(')').unwrap()];
                assert_eq!(key.len(), 64, "{desc}");
                assert_eq!(middle, ["witness_version", "witness_program"]);
                assert_eq!(info["isscript"], json!(true));
                assert_eq!(info["iswitness"], json!(true));
                assert_eq!(info["witness_version"], json!(1));
            }
        }
    }

    // Change: ischange, no labels, the internal branch.
    let change = text(&node.rpc("getrawchangeaddress", json!(["bech32"])));
    let info = node.rpc("getaddressinfo", json!([change]));
    assert_eq!(info["ischange"], json!(true));
    assert_eq!(info["labels"], json!([]));
    assert_eq!(info["hdkeypath"], json!("m/84h/1h/0h/1/0"));
    assert!(text(&info["parent_desc"]).contains("/1/*)"));

    // Someone else's address: only what the address itself says.
    let theirs = op_true::address();
    let info = node.rpc("getaddressinfo", json!([theirs]));
    assert_eq!(
        info,
        json!({
            "address": theirs,
            "scriptPubKey": format!("0020{}", hex_sha256_of_op_true()),
            "ismine": false,
            "solvable": false,
            "iswatchonly": false,
            "isscript": true,
            "iswitness": true,
            "witness_version": 0,
            "witness_program": hex_sha256_of_op_true(),
            "ischange": false,
            "labels": [],
        })
    );
    node.rpc("setlabel", json!([theirs, "friend"]));
    assert_eq!(
        node.rpc("getaddressinfo", json!([theirs]))["labels"],
        json!(["friend"])
    );

    // Errors are the decoder's.
    assert_eq!(
        err(&node, "getaddressinfo", json!(["nope"])),
        (
            -5,
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)".into()
        )
    );
    assert_eq!(
        err(&node, "getaddressinfo", json!(["0nope"])),
        (
            -5,
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding.".into()
        )
    );
    assert_eq!(
        err(
            &node,
            "getaddressinfo",
            json!(["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"])
        )
        .0,
        -5
    );
    node.stop();
}

fn hex_sha256_of_op_true() -> String {
    use bitcoin::hashes::{sha256, Hash};
    sha256::Hash::hash(&[0x51]).to_string()
}

#[test]
fn labels_are_listed_by_purpose_and_looked_up_by_name() {
    let mut node = wallet_node();
    node.rpc("createwallet", json!(["w"]));
    let a = text(&node.rpc("getnewaddress", json!(["b-label"])));
    let b = text(&node.rpc("getnewaddress", json!(["a-label", "legacy"])));
    let c = text(&node.rpc("getnewaddress", json!(["b-label", "legacy"])));
    node.rpc("getnewaddress", json!([]));
    node.rpc("getrawchangeaddress", json!([]));
    node.rpc("setlabel", json!([op_true::address(), "sent-to"]));

    assert_eq!(
        node.rpc("listlabels", json!([])),
        json!(["", "a-label", "b-label", "sent-to"])
    );
    assert_eq!(
        node.rpc("listlabels", json!([""])),
        json!(["", "a-label", "b-label", "sent-to"])
    );
    assert_eq!(
        node.rpc("listlabels", json!(["receive"])),
        json!(["", "a-label", "b-label"])
    );
    assert_eq!(node.rpc("listlabels", json!(["send"])), json!(["sent-to"]));
    assert_eq!(node.rpc("listlabels", json!(["refund"])), json!([]));
    assert_eq!(
        err(&node, "listlabels", json!(["bogus"])),
        (
            -8,
            "Invalid 'purpose' argument, must be a known purpose string, typically 'send', or 'receive'.".into()
        )
    );

    // Core's book order: the P2PKH address before the P2WPKH one.
    let by = node.rpc("getaddressesbylabel", json!(["b-label"]));
    let keys: Vec<&String> = by.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec![&c, &a]);
    assert_eq!(by[&a], json!({"purpose": "receive"}));
    assert_eq!(
        node.rpc("getaddressesbylabel", json!(["a-label"])),
        json!({b.clone(): {"purpose": "receive"}})
    );
    assert_eq!(
        node.rpc("getaddressesbylabel", json!(["sent-to"])),
        json!({op_true::address(): {"purpose": "send"}})
    );
    assert_eq!(
        err(&node, "getaddressesbylabel", json!(["nope"])),
        (-11, "No addresses with label nope".into())
    );
    assert_eq!(
        err(&node, "getaddressesbylabel", json!(["*"])),
        (-11, "Invalid label name".into())
    );

    // Relabelling moves the address.
    node.rpc("setlabel", json!([b, "b-label"]));
    assert_eq!(
        node.rpc("getaddressesbylabel", json!(["b-label"]))
            .as_object()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(err(&node, "getaddressesbylabel", json!(["a-label"])).0, -11);
    assert_eq!(
        node.rpc("listlabels", json!(["receive"])),
        json!(["", "b-label"])
    );
    node.stop();
}

#[test]
fn keypoolrefill_grows_every_active_descriptor_window() {
    let mut node = wallet_node();
    node.rpc("createwallet", json!(["w"]));
    let sizes = |node: &TestNode| {
        let info = node.rpc("getwalletinfo", json!([]));
        (
            info["keypoolsize"].clone(),
            info["keypoolsize_hd_internal"].clone(),
        )
    };
    // The test configuration's -keypool=1: one key per descriptor.
    assert_eq!(sizes(&node), (json!(4), json!(4)));
    assert_eq!(node.rpc("keypoolrefill", json!([5])), Value::Null);
    assert_eq!(sizes(&node), (json!(20), json!(20)));
    node.rpc("getnewaddress", json!([]));
    assert_eq!(sizes(&node), (json!(19), json!(20)));
    // The default size is -keypool's, which never shrinks a window.
    node.rpc("keypoolrefill", json!([]));
    assert_eq!(sizes(&node), (json!(19), json!(20)));
    node.rpc("keypoolrefill", json!({"newsize": 6}));
    assert_eq!(sizes(&node), (json!(24), json!(24)));
    assert_eq!(
        err(&node, "keypoolrefill", json!([-1])),
        (-8, "Invalid parameter, expected valid size.".into())
    );

    // Encrypted and locked: no keys to derive hardened steps with.
    node.rpc(
        "createwallet",
        json!({"wallet_name": "e", "passphrase": "secret"}),
    );
    let e = node
        .try_wallet_rpc("e", "keypoolrefill", json!([3]))
        .unwrap_err()
        .unwrap();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -13,
            "Error: Please enter the wallet passphrase with walletpassphrase first."
        )
    );
    node.wallet_rpc("e", "walletpassphrase", json!(["secret", 100]));
    node.wallet_rpc("e", "keypoolrefill", json!([3]));
    let info = node.wallet_rpc("e", "getwalletinfo", json!([]));
    assert_eq!(info["keypoolsize"], json!(12));
    // The window is stored: a reload keeps it.
    node.rpc("unloadwallet", json!(["w"]));
    node.rpc("loadwallet", json!(["w"]));
    let info = node.wallet_rpc("w", "getwalletinfo", json!([]));
    assert_eq!(info["keypoolsize"], json!(24));
    node.stop();
}

#[test]
fn the_conversion_table_holds_the_wallet_processs_methods() {
    let mut node = wallet_node();
    let rows = node.rpc("help", json!(["dump_all_command_conversions"]));
    let rows = rows.as_array().expect("rows");
    let has = |row: Value| rows.contains(&row);
    // Declared by the wallet process, typed there: the amount is converted
    // by the client, the address is not.
    assert!(has(json!(["sendtoaddress", 1, "amount", false])));
    assert!(has(json!(["sendtoaddress", 0, "address", true])));
    // An options key of a named-parameters object.
    assert!(has(json!(["send", 4, "fee_rate", false])));
    node.stop();
}

#[test]
fn walletnotify_runs_for_each_transaction_and_again_on_rescan() {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().display().to_string();
    let mut node = TestNode::with_wallet();
    let notify = format!("-walletnotify=echo %h_%b > '{dir}/'%w_%s");
    node.start(&[notify.as_str()]);
    node.rpc("createwallet", json!(["w"]));
    let address = text(&node.wallet_rpc("w", "getnewaddress", json!([])));
    let blocks = node.generate_to_address(2, &address);
    let files = |expected: usize| -> Vec<String> {
        functional::wait_for("walletnotify files", || {
            let names: Vec<String> = std::fs::read_dir(out.path())
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            (names.len() == expected).then_some(names)
        })
    };
    let check = |names: &[String]| {
        for name in names {
            let txid = name.strip_prefix("w_").expect("%w_%s");
            let tx = node.wallet_rpc("w", "gettransaction", json!([txid]));
            let content = std::fs::read_to_string(out.path().join(name)).expect("file");
            assert_eq!(
                content.trim(),
                format!("{}_{}", tx["blockheight"], text(&tx["blockhash"]))
            );
            assert!(blocks.contains(&text(&tx["blockhash"])));
        }
    };
    check(&files(2));
    for name in files(2) {
        std::fs::remove_file(out.path().join(name)).expect("remove");
    }
    // A rescan finds both coinbases again and announces each once more.
    node.wallet_rpc("w", "rescanblockchain", json!([]));
    check(&files(2));
    node.stop();
}
