//! The wallet through the node's RPC port: creating, loading and unloading
//! wallets, addresses of every type, mined coins and their maturity,
//! transaction listings, multiwallet routing, encryption, and a wallet
//! that outlives its process (killed, restarted, reloaded, same balance).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::{child_pids, wait_for, TestNode};
use serde_json::{json, Value};

fn btc(v: &Value) -> f64 {
    v.as_f64().expect("amount")
}

#[test]
fn a_wallet_receives_mined_coins_lists_them_and_keeps_them_across_processes() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    assert_eq!(
        node.rpc("createwallet", json!(["w1"])),
        json!({"name": "w1"})
    );
    // Every address type, receive and change.
    for (t, prefix) in [
        ("legacy", "m"),
        ("p2sh-segwit", "2"),
        ("bech32", "bcrt1q"),
        ("bech32m", "bcrt1p"),
    ] {
        let a = node.rpc("getnewaddress", json!(["", t]));
        let a = a.as_str().unwrap();
        assert!(
            a.starts_with(prefix) || (t == "legacy" && a.starts_with('n')),
            "{t}: {a}"
        );
        let c = node.rpc("getrawchangeaddress", json!([t]));
        assert!(c.as_str().unwrap().starts_with(&prefix[..1]) || t == "legacy");
    }
    let err = node.rpc_err("getnewaddress", json!(["", "nope"]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-5, "Unknown address type 'nope'")
    );
    let err = node.rpc_err("getnewaddress", json!(["*"]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-11, "Invalid label name")
    );

    let addr = node.rpc("getnewaddress", json!(["mining"]));
    let addr = addr.as_str().unwrap().to_string();
    node.generate_to_address(101, &addr);
    let b = node.rpc("getbalances", json!([]));
    assert_eq!(btc(&b["mine"]["trusted"]), 50.0);
    assert_eq!(btc(&b["mine"]["immature"]), 5000.0);
    assert_eq!(b["lastprocessedblock"]["height"], json!(101));
    assert_eq!(btc(&node.rpc("getbalance", json!([]))), 50.0);
    assert_eq!(btc(&node.rpc("getbalance", json!(["*", 101]))), 50.0);
    assert_eq!(btc(&node.rpc("getbalance", json!(["*", 102]))), 0.0);

    let list = node.rpc("listtransactions", json!(["*", 3]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    // Oldest to newest; the newest coinbase is immature, its label kept.
    assert_eq!(list[2]["category"], json!("immature"));
    assert_eq!(list[2]["confirmations"], json!(1));
    assert_eq!(list[2]["label"], json!("mining"));
    assert_eq!(list[2]["address"], json!(addr));
    let txid = list[2]["txid"].as_str().unwrap().to_string();
    let tx = node.rpc("gettransaction", json!([txid]));
    assert_eq!(tx["generated"], json!(true));
    assert_eq!(tx["blockheight"], json!(101));
    assert_eq!(tx["details"][0]["category"], json!("immature"));
    let err = node.rpc_err("gettransaction", json!(["00".repeat(32)]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-5, "Invalid or non-wallet transaction id")
    );
    let info = node.rpc("getwalletinfo", json!([]));
    assert_eq!(info["walletname"], json!("w1"));
    assert_eq!(info["txcount"], json!(101));
    assert_eq!(info["descriptors"], json!(true));

    // The wallet process dies: the node answers, restarts it, reloads w1.
    let pid = node.pid().unwrap();
    let child = wait_for("the wallet child", || child_pids(pid).first().copied());
    // SAFETY: kill(2) on the node's child.
    unsafe {
        libc::kill(child as i32, libc::SIGKILL);
    }
    let balances = wait_for("the wallet back", || {
        let now = child_pids(pid);
        if now.first().is_some_and(|c| *c != child) {
            node.try_rpc("getbalances", json!([])).ok()
        } else {
            None
        }
    });
    assert_eq!(balances["mine"], b["mine"]);
    assert_eq!(node.rpc("listwallets", json!([])), json!(["w1"]));

    // And across a node restart, loaded by -wallet.
    node.stop();
    node.start(&["-wallet=w1"]);
    assert_eq!(node.rpc("getbalances", json!([]))["mine"], b["mine"]);
    assert_eq!(
        node.rpc("listtransactions", json!(["*", 1000]))
            .as_array()
            .unwrap()
            .len(),
        101
    );
    node.stop();
}

#[test]
fn wallets_are_created_loaded_unloaded_and_routed_as_core_does() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    let err = node.rpc_err("getbalance", json!([]));
    assert_eq!(err.code, -18);
    assert!(
        err.message.starts_with("No wallet is loaded."),
        "{}",
        err.message
    );
    node.rpc("createwallet", json!(["a"]));
    node.rpc("createwallet", json!({"wallet_name": "b", "blank": true}));
    let err = node.rpc_err("getbalance", json!([]));
    assert_eq!(err.code, -19);
    assert_eq!(btc(&node.wallet_rpc("a", "getbalance", json!([]))), 0.0);
    let err = node.rpc_err("createwallet", json!(["a"]));
    assert_eq!(err.code, -4);
    assert!(
        err.message.ends_with("Database already exists."),
        "{}",
        err.message
    );
    let err = node.rpc_err("loadwallet", json!(["a"]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-35, "Wallet \"a\" is already loaded.")
    );
    let err = node.rpc_err("loadwallet", json!(["nothere"]));
    assert_eq!(err.code, -18);
    assert!(
        err.message.contains("Path does not exist"),
        "{}",
        err.message
    );
    let err = node.rpc_err("createwallet", json!([""]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-8, "Wallet name cannot be empty")
    );
    // A blank wallet has no keys.
    let err = node
        .try_wallet_rpc("b", "getnewaddress", json!([]))
        .unwrap_err()
        .unwrap();
    assert_eq!(
        (err.code, err.message.as_str()),
        (-4, "Error: This wallet has no available keys")
    );
    let mut names: Vec<String> = node.rpc("listwalletdir", json!([]))["wallets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(node.wallet_rpc("b", "unloadwallet", json!([])), json!({}));
    assert_eq!(node.rpc("listwallets", json!([])), json!(["a"]));
    let err = node.rpc_err("unloadwallet", json!(["b"]));
    assert_eq!(err.code, -18);
    // load_on_startup is kept in settings.json.
    node.rpc(
        "loadwallet",
        json!({"filename": "b", "load_on_startup": true}),
    );
    node.stop();
    node.start(&[]);
    assert_eq!(node.rpc("listwallets", json!([])), json!(["b"]));
    node.stop();
}

/// The unnamed top-level wallet loads by default while no `wallet` setting
/// exists, and stays in the list a later `load_on_startup` change writes
/// (Core's in-memory `wallet: [""]`), until it is unloaded with
/// `load_on_startup` false.
#[test]
fn the_unnamed_wallet_survives_load_on_startup_changes() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    // createwallet refuses "", so make one and move its file to the top.
    node.rpc(
        "createwallet",
        json!({"wallet_name": "tmp", "load_on_startup": false}),
    );
    node.rpc("unloadwallet", json!(["tmp"]));
    let wallets = node.chain_path().join("wallets");
    std::fs::rename(wallets.join("tmp/wallet.dat"), wallets.join("wallet.dat")).unwrap();
    std::fs::remove_dir(wallets.join("tmp")).unwrap();
    node.stop();
    node.start(&[]);
    assert_eq!(node.rpc("listwallets", json!([])), json!([""]));
    node.rpc(
        "createwallet",
        json!({"wallet_name": "w2", "load_on_startup": true}),
    );
    node.rpc(
        "createwallet",
        json!({"wallet_name": "w3", "load_on_startup": false}),
    );
    let names = |node: &TestNode| {
        let mut v: Vec<String> = node
            .rpc("listwallets", json!([]))
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    node.stop();
    node.start(&[]);
    assert_eq!(names(&node), ["", "w2"]);
    node.rpc(
        "unloadwallet",
        json!({"wallet_name": "", "load_on_startup": false}),
    );
    node.rpc(
        "loadwallet",
        json!({"filename": "w3", "load_on_startup": true}),
    );
    node.rpc("loadwallet", json!([""]));
    node.stop();
    node.start(&[]);
    assert_eq!(names(&node), ["w2", "w3"]);
    node.stop();
}

/// `signmessage`'s errors carry Core's codes: an undecodable address is
/// -5, a non-P2PKH one -3, a key the wallet lacks -4.
#[test]
fn signmessage_refuses_bad_addresses_with_cores_codes() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["s"]));
    node.rpc("createwallet", json!(["other"]));
    let err_of = |address: &str| {
        let e = node
            .try_wallet_rpc("s", "signmessage", json!([address, "m"]))
            .unwrap_err()
            .unwrap();
        (e.code, e.message)
    };
    assert_eq!(err_of("invalid_addr"), (-5, "Invalid address".to_string()));
    let segwit = node.wallet_rpc("s", "getnewaddress", json!(["", "bech32"]));
    assert_eq!(
        err_of(segwit.as_str().unwrap()),
        (-3, "Address does not refer to key".to_string())
    );
    let foreign = node.wallet_rpc("other", "getnewaddress", json!(["", "legacy"]));
    assert_eq!(
        err_of(foreign.as_str().unwrap()),
        (-4, "Private key not available".to_string())
    );
    let own = node.wallet_rpc("s", "getnewaddress", json!(["", "legacy"]));
    let sig = node.wallet_rpc("s", "signmessage", json!([own, "m"]));
    assert_eq!(
        node.rpc("verifymessage", json!([own, sig, "m"])),
        json!(true)
    );
    node.stop();
}

/// `signrawtransactionwithwallet` checks each prevtx's keys as Core's
/// `ParsePrevouts` does: a missing key is named before vout's range.
#[test]
fn signrawtransactionwithwallet_names_a_missing_prevtx_key() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["w"]));
    let txid = "1d1d4e24ed99057e84c3f80fd8fbec79ed9e1acee37da269356ecea000000000";
    let to = node.rpc("getnewaddress", json!([]));
    let raw = node.rpc(
        "createrawtransaction",
        json!([[{"txid": txid, "vout": 3}], {to.as_str().unwrap(): 1}]),
    );
    let spk = node.rpc("getaddressinfo", json!([to]))["scriptPubKey"].clone();
    let full = json!({"txid": txid, "vout": 3, "scriptPubKey": spk, "amount": 1});
    let signed = node.rpc("signrawtransactionwithwallet", json!([raw, [full]]));
    assert_eq!(signed["complete"], json!(true));
    for key in ["vout", "txid", "scriptPubKey"] {
        let mut prevtx = full.clone();
        prevtx.as_object_mut().unwrap().remove(key);
        let e = node.rpc_err("signrawtransactionwithwallet", json!([raw, [prevtx]]));
        assert_eq!((e.code, e.message), (-3, format!("Missing {key}")));
    }
    let mut negative = full.clone();
    negative["vout"] = json!(-1);
    let e = node.rpc_err("signrawtransactionwithwallet", json!([raw, [negative]]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-22, "vout cannot be negative")
    );
    node.stop();
}

#[test]
fn an_encrypted_wallet_unlocks_with_its_passphrase_only() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": "e", "passphrase": "secret"}),
    );
    let info = node.rpc("getwalletinfo", json!([]));
    assert_eq!(info["unlocked_until"], json!(0));
    // Addresses come from the window derived before locking.
    node.rpc("getnewaddress", json!([]));
    let err = node.rpc_err("walletpassphrase", json!(["wrong", 10]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-14, "Error: The wallet passphrase entered was incorrect.")
    );
    node.rpc("walletpassphrase", json!(["secret", 100]));
    assert!(
        node.rpc("getwalletinfo", json!([]))["unlocked_until"]
            .as_i64()
            .unwrap()
            > 0
    );
    node.rpc("walletlock", json!([]));
    assert_eq!(
        node.rpc("getwalletinfo", json!([]))["unlocked_until"],
        json!(0)
    );
    node.rpc("walletpassphrasechange", json!(["secret", "other"]));
    let err = node.rpc_err("walletpassphrase", json!(["secret", 10]));
    assert_eq!(err.code, -14);
    node.rpc("walletpassphrase", json!(["other", 10]));
    let err = node.rpc_err("encryptwallet", json!(["x"]));
    assert_eq!(err.code, -15);
    node.rpc("createwallet", json!(["plain"]));
    let err = node
        .try_wallet_rpc("plain", "walletlock", json!([]))
        .unwrap_err()
        .unwrap();
    assert_eq!(
        (err.code, err.message.as_str()),
        (
            -15,
            "Error: running with an unencrypted wallet, but walletlock was called."
        )
    );
    let r = node.wallet_rpc("plain", "encryptwallet", json!(["pw"]));
    assert!(r.as_str().unwrap().starts_with("wallet encrypted;"));
    node.stop();
}

#[test]
fn setwalletflag_toggles_avoid_reuse_durably_and_refuses_other_flags() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["f"]));
    let info = node.rpc("getwalletinfo", json!([]));
    assert_eq!(info["avoid_reuse"], json!(false));
    // The value defaults to true; setting avoid_reuse warns about history.
    let res = node.rpc("setwalletflag", json!(["avoid_reuse"]));
    assert_eq!(res["flag_name"], json!("avoid_reuse"));
    assert_eq!(res["flag_state"], json!(true));
    assert!(
        res["warnings"]
            .as_str()
            .unwrap()
            .starts_with("You need to rescan the blockchain"),
        "{res}"
    );
    let info = node.rpc("getwalletinfo", json!([]));
    assert_eq!(info["avoid_reuse"], json!(true));
    assert!(info["flags"]
        .as_array()
        .unwrap()
        .contains(&json!("avoid_reuse")));
    let err = node.rpc_err("setwalletflag", json!(["avoid_reuse", true]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-8, "Wallet flag is already set to true: avoid_reuse")
    );
    let err = node.rpc_err("setwalletflag", json!(["blank", false]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-8, "Wallet flag is immutable: blank")
    );
    let err = node.rpc_err("setwalletflag", json!(["nope"]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-8, "Unknown wallet flag: nope")
    );
    // The flag is written: it survives reloading the wallet.
    node.rpc("unloadwallet", json!(["f"]));
    node.rpc("loadwallet", json!(["f"]));
    assert_eq!(
        node.rpc("getwalletinfo", json!([]))["avoid_reuse"],
        json!(true)
    );
    // Clearing it gives no warning, and is durable too.
    assert_eq!(
        node.rpc("setwalletflag", json!(["avoid_reuse", false])),
        json!({"flag_name": "avoid_reuse", "flag_state": false})
    );
    let err = node.rpc_err("setwalletflag", json!(["avoid_reuse", false]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-8, "Wallet flag is already set to false: avoid_reuse")
    );
    node.rpc("unloadwallet", json!(["f"]));
    node.rpc("loadwallet", json!(["f"]));
    assert_eq!(
        node.rpc("getwalletinfo", json!([]))["avoid_reuse"],
        json!(false)
    );
    node.stop();
}

#[test]
fn with_avoid_reuse_an_address_spent_from_marks_its_later_coins_reused() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": "r", "avoid_reuse": true}),
    );
    let a = node.rpc("getnewaddress", json!([]));
    let a = a.as_str().unwrap().to_string();
    let miner = node.rpc("getnewaddress", json!([]));
    let miner = miner.as_str().unwrap().to_string();
    node.generate_to_address(1, &a);
    node.generate_to_address(100, &miner);
    // Spending the coinbase at `a` marks `a` as spent from; a new payment to
    // it is then reused.
    let b = node.rpc("getnewaddress", json!([]));
    node.rpc("sendtoaddress", json!([b, 1]));
    node.generate_to_address(1, &miner);
    node.rpc("sendtoaddress", json!([a, 2]));
    node.generate_to_address(1, &miner);
    let check = |node: &TestNode| {
        let list = node.rpc("listunspent", json!([0]));
        let list = list.as_array().unwrap();
        let at_a: Vec<&Value> = list.iter().filter(|u| u["address"] == json!(a)).collect();
        assert_eq!(at_a.len(), 1, "{list:?}");
        assert_eq!(at_a[0]["reused"], json!(true));
        assert_eq!(btc(&at_a[0]["amount"]), 2.0);
        assert!(
            list.iter()
                .filter(|u| u["address"] != json!(a))
                .all(|u| u["reused"] == json!(false)),
            "{list:?}"
        );
        let used = node.rpc("getbalances", json!([]))["mine"]["used"].clone();
        assert_eq!(btc(&used), 2.0);
    };
    check(&node);
    // The mark is written (`destdata` `used`).
    node.rpc("unloadwallet", json!(["r"]));
    node.rpc("loadwallet", json!(["r"]));
    check(&node);
    node.stop();
}

#[test]
fn unconfirmed_payments_are_resent_when_the_random_timer_comes() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["w"]));
    let addr = node.wallet_rpc("w", "getnewaddress", json!([]));
    node.generate_to_address(101, addr.as_str().unwrap());
    // The wallet drew its first resend time from the real clock.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    node.rpc("setmocktime", json!([now]));
    let txid = node.wallet_rpc("w", "sendtoaddress", json!([addr, 1.0]));
    // A block without it, six minutes later: only then is it "old".
    node.rpc("setmocktime", json!([now + 6 * 60]));
    let block = node.rpc("generateblock", json!([addr, []]));
    assert!(block["hash"].is_string());
    node.rpc("syncwithvalidationinterfacequeue", json!([]));
    let tx = node.wallet_rpc("w", "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"], 0);

    let err = node.rpc_err("mockscheduler", json!([0]));
    assert_eq!(
        err.message,
        "delta_time must be between 1 and 3600 seconds (1 hr)"
    );
    // Not within the first 12 hours…
    node.rpc("setmocktime", json!([now + 12 * 3600 - 120]));
    node.rpc("mockscheduler", json!([60]));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let resent = "ResubmitWalletTransactions: resubmit 1 unconfirmed transactions";
    assert!(!node.debug_log().contains(resent));
    // …but surely within 36.
    node.rpc("setmocktime", json!([now + 36 * 3600]));
    node.rpc("mockscheduler", json!([60]));
    wait_for("the resend", || {
        node.debug_log().contains(resent).then_some(())
    });
    node.stop();
}

#[test]
fn a_coinbase_whose_block_left_the_chain_is_abandoned_at_load() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": "w", "load_on_startup": true}),
    );
    let addr = node.wallet_rpc("w", "getnewaddress", json!([]));
    let hashes = node.generate_to_address(1, addr.as_str().unwrap());
    let block = node.rpc("getblock", json!([hashes[0], 1]));
    let coinbase = block["tx"][0].clone();
    node.stop();
    // A fresh chain: the coinbase's block is known no more.
    for dir in ["blocks", "chainstate"] {
        std::fs::remove_dir_all(node.chain_path().join(dir)).expect("remove chain data");
    }
    node.start(&[]);
    let tx = node.wallet_rpc("w", "gettransaction", json!([coinbase]));
    assert_eq!(tx["details"][0]["abandoned"], true, "{tx}");
    assert_eq!(tx["details"][0]["category"], "orphan", "{tx}");
    node.stop();
}

#[test]
fn a_mined_double_spend_and_the_payment_it_conflicts_name_each_other() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["w"]));
    let addr = node.wallet_rpc("w", "getnewaddress", json!([]));
    let addr = addr.as_str().expect("address").to_string();
    node.generate_to_address(101, &addr);
    let coins = node.wallet_rpc("w", "listunspent", json!([]));
    let coin = json!([{"txid": coins[0]["txid"], "vout": coins[0]["vout"]}]);
    // Two payments of the same coin; the second, paying more fee,
    // replaces the first in the mempool and is then mined.
    let mut sent = Vec::new();
    for amount in [49.999, 49.99] {
        let to = node.wallet_rpc("w", "getnewaddress", json!([]));
        let raw = node.wallet_rpc(
            "w",
            "createrawtransaction",
            json!([coin, {to.as_str().expect("address"): amount}]),
        );
        let signed = node.wallet_rpc("w", "signrawtransactionwithwallet", json!([raw]));
        let txid = node.rpc("sendrawtransaction", json!([signed["hex"]]));
        sent.push(txid.as_str().expect("txid").to_string());
    }
    node.generate_to_address(1, &addr);
    node.rpc("syncwithvalidationinterfacequeue", json!([]));

    let replaced = node.wallet_rpc("w", "gettransaction", json!([sent[0]]));
    assert_eq!(replaced["confirmations"], json!(-1), "{replaced}");
    assert_eq!(replaced["walletconflicts"], json!([sent[1]]), "{replaced}");
    // The confirmed side lists its victim too, as Core's GetTxConflicts does.
    let mined = node.wallet_rpc("w", "gettransaction", json!([sent[1]]));
    assert_eq!(mined["confirmations"], json!(1), "{mined}");
    assert_eq!(mined["walletconflicts"], json!([sent[0]]), "{mined}");
    node.stop();
}
