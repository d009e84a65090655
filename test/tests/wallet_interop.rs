//! `wallet.dat` files move between our node and Bitcoin Core's `bitcoind`.
//!
//! Our side always runs: a wallet our node wrote (coins on every address
//! type, a payment out, a label) is unloaded and loaded again, then copied
//! into a second node of ours that only knows the blocks; both show the same
//! balances, descriptors and transactions and can spend.
//!
//! With `CORE_BITCOIND` naming Core's `bitcoind` (built with its wallet),
//! the same wallet is loaded by Core, which must agree and spend from it;
//! and a wallet Core wrote is loaded by our node, which must agree and spend
//! from it. Without it the Core side is skipped with a note.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::{copy_dir_all, TestNode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The wallet moved between nodes.
const WALLET: &str = "moved";

/// The four address types, as `getnewaddress` names them.
const TYPES: [&str; 4] = ["legacy", "p2sh-segwit", "bech32", "bech32m"];

/// Core's `bitcoind`, if the environment names one.
fn core_bitcoind() -> Option<PathBuf> {
    std::env::var_os("CORE_BITCOIND")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// A fresh node running `binary` with its wallet, started.
fn start_node(binary: Option<&Path>) -> TestNode {
    let mut node = TestNode::with_wallet();
    if let Some(b) = binary {
        node.binary = b.to_path_buf();
    }
    node.start(&[]);
    node
}

/// Every block after genesis, as hex.
fn blocks_of(node: &TestNode) -> Vec<String> {
    let height = node.rpc("getblockcount", json!([])).as_u64().unwrap();
    (1..=height)
        .map(|h| {
            let hash = node.rpc("getblockhash", json!([h]));
            node.rpc("getblock", json!([hash, 0]))
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Gives `node` the blocks another node mined.
fn submit_blocks(node: &TestNode, blocks: &[String]) {
    for b in blocks {
        assert_eq!(node.rpc("submitblock", json!([b])), Value::Null);
    }
    assert_eq!(
        node.rpc("getblockcount", json!([])),
        json!(blocks.len() as u64)
    );
}

/// What must be equal wherever the wallet is loaded.
#[derive(Debug, PartialEq)]
struct WalletState {
    balances: Value,
    descriptors: Value,
    transactions: Value,
    txids: BTreeSet<String>,
    unspent: BTreeSet<(String, u64)>,
    labels: Value,
}

fn state_of(node: &TestNode, wallet: &str) -> WalletState {
    let transactions = node.wallet_rpc(wallet, "listtransactions", json!(["*", 1000, 0, true]));
    let txids = transactions
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["txid"].as_str().unwrap().to_string())
        .collect();
    let unspent = node
        .wallet_rpc(wallet, "listunspent", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["txid"].as_str().unwrap().to_string(),
                u["vout"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut balances = node.wallet_rpc(wallet, "getbalances", json!([]));
    // Core's newer `nonmempool` total is not served by our node yet.
    if let Some(mine) = balances["mine"].as_object_mut() {
        mine.remove("nonmempool");
    }
    WalletState {
        balances,
        descriptors: node.wallet_rpc(wallet, "listdescriptors", json!([])),
        transactions,
        txids,
        unspent,
        labels: node.wallet_rpc(wallet, "listlabels", json!([])),
    }
}

/// Asserts two states are equal, naming the first part that differs.
fn assert_same(what: &str, got: &WalletState, want: &WalletState) {
    assert_eq!(got.balances, want.balances, "{what}: getbalances");
    assert_eq!(got.descriptors, want.descriptors, "{what}: listdescriptors");
    assert_eq!(got.txids, want.txids, "{what}: txids");
    assert_eq!(got.unspent, want.unspent, "{what}: listunspent");
    assert_eq!(
        got.transactions, want.transactions,
        "{what}: listtransactions"
    );
    assert_eq!(got.labels, want.labels, "{what}: listlabels");
}

/// Checks the state has what [`make_history`] gave it: coins on every
/// address type, a payment out, the label.
fn assert_history(state: &WalletState) {
    let descs = state.descriptors["descriptors"].as_array().unwrap();
    assert_eq!(descs.len(), 8, "{descs:?}");
    for d in descs {
        assert_eq!(d["active"], json!(true), "{d}");
        assert!(d["next_index"].as_u64().is_some(), "{d}");
        assert!(d["range"].is_array(), "{d}");
    }
    let internal = descs.iter().filter(|d| d["internal"] == json!(true));
    assert_eq!(internal.count(), 4, "{descs:?}");
    let txs = state.transactions.as_array().unwrap();
    let cats: BTreeSet<&str> = txs
        .iter()
        .map(|t| t["category"].as_str().unwrap())
        .collect();
    assert!(
        cats.contains("receive") && cats.contains("send"),
        "{cats:?}"
    );
    assert!(
        state.labels.as_array().unwrap().contains(&json!("renamed")),
        "{}",
        state.labels
    );
}

/// The receiving wallet gets coins from `miner` on all four address types,
/// pays some back, and relabels an address; everything is mined.
fn make_history(node: &TestNode, miner: &str, wallet: &str) {
    let mine_to = node.wallet_rpc(miner, "getnewaddress", json!([]));
    let mine_to = mine_to.as_str().unwrap();
    node.generate_to_address(101, mine_to);
    let mut first = None;
    for (i, t) in TYPES.iter().enumerate() {
        let a = node.wallet_rpc(wallet, "getnewaddress", json!([*t, *t]));
        let a = a.as_str().unwrap().to_string();
        node.wallet_rpc(miner, "sendtoaddress", json!([a, i as f64 + 1.0]));
        first.get_or_insert(a);
    }
    node.generate_to_address(1, mine_to);
    // Spend from every type: 10 BTC arrived, 9.5 leaves.
    node.wallet_rpc(wallet, "sendtoaddress", json!([mine_to, 9.5]));
    let relabel = first.unwrap();
    node.wallet_rpc(wallet, "setlabel", json!([relabel, "renamed"]));
    node.generate_to_address(1, mine_to);
}

/// `getnewaddress` of each type gives the address at the active
/// descriptor's `next_index`, then a spend to it is mined.
fn assert_uses_descriptors_and_spends(node: &TestNode, wallet: &str) {
    let listed = node.wallet_rpc(wallet, "listdescriptors", json!([]));
    let descs = listed["descriptors"].as_array().unwrap();
    let prefixes = ["pkh(", "sh(wpkh(", "wpkh(", "tr("];
    let mut last = String::new();
    for (t, prefix) in TYPES.iter().zip(prefixes) {
        let d = descs
            .iter()
            .find(|d| {
                d["internal"] == json!(false) && d["desc"].as_str().unwrap().starts_with(prefix)
            })
            .unwrap_or_else(|| panic!("no external {prefix} descriptor: {listed}"));
        let next = d["next_index"].as_u64().unwrap();
        let want = node.rpc("deriveaddresses", json!([d["desc"], [next, next]]));
        let got = node.wallet_rpc(wallet, "getnewaddress", json!(["", *t]));
        assert_eq!(got, want[0], "{t} address at {next}");
        last = got.as_str().unwrap().to_string();
    }
    let before = node.wallet_rpc(wallet, "getbalances", json!([]));
    let txid = node.wallet_rpc(wallet, "sendtoaddress", json!([last, 0.3]));
    let other = node.wallet_rpc(wallet, "getrawchangeaddress", json!([]));
    node.generate_to_address(1, other.as_str().unwrap());
    let tx = node.wallet_rpc(wallet, "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"], json!(1), "{tx}");
    let after = node.wallet_rpc(wallet, "getbalances", json!([]));
    let trusted = |b: &Value| b["mine"]["trusted"].as_f64().unwrap();
    // Only the fee left (plus a new coinbase, immature).
    let fee = -tx["fee"].as_f64().unwrap();
    assert!(fee > 0.0 && fee < 0.001, "{tx}");
    assert!(
        (trusted(&before) - fee - trusted(&after)).abs() < 1e-8,
        "{before} {after}"
    );
}

/// Copies the wallet [`WALLET`] from one wallets directory to another.
fn copy_wallet(from: &Path, to: &Path) {
    copy_dir_all(&from.join(WALLET), &to.join(WALLET));
}

/// `<datadir>/regtest/wallets` of `node`.
fn wallets_of(node: &TestNode) -> PathBuf {
    node.chain_path().join("wallets")
}

/// Loads the wallet copied to `node`, checks it equals `want`, and spends.
fn load_and_check(what: &str, node: &TestNode, want: &WalletState) {
    assert_eq!(
        node.rpc("loadwallet", json!([WALLET])),
        json!({"name": WALLET}),
        "{what}"
    );
    let got = state_of(node, WALLET);
    assert_same(what, &got, want);
    assert_uses_descriptors_and_spends(node, WALLET);
}

#[test]
fn a_wallet_our_node_wrote_loads_with_the_same_state_here_and_in_core() {
    let mut ours = start_node(None);
    ours.rpc("createwallet", json!(["miner"]));
    ours.rpc("createwallet", json!([WALLET]));
    make_history(&ours, "miner", WALLET);
    let state = state_of(&ours, WALLET);
    assert_history(&state);
    let trusted = state.balances["mine"]["trusted"].as_f64().unwrap();
    assert!(trusted > 0.4 && trusted < 0.5, "{}", state.balances);

    // Unloaded and loaded again by the same node: nothing changes.
    ours.wallet_rpc(WALLET, "unloadwallet", json!([]));
    ours.rpc("loadwallet", json!([WALLET]));
    assert_same("reloaded", &state_of(&ours, WALLET), &state);
    let blocks = blocks_of(&ours);
    ours.stop();
    // Kept aside: every node below loads its own copy of the file as it was.
    let saved = tempfile::tempdir().unwrap();
    copy_wallet(&wallets_of(&ours), saved.path());

    // A second node of ours that only has the blocks.
    let mut second = start_node(None);
    submit_blocks(&second, &blocks);
    copy_wallet(saved.path(), &wallets_of(&second));
    load_and_check("our second node", &second, &state);
    second.stop();

    let Some(core) = core_bitcoind() else {
        println!("note: CORE_BITCOIND not set; skipped loading our wallet in Bitcoin Core");
        return;
    };
    let mut core = start_node(Some(&core));
    submit_blocks(&core, &blocks);
    copy_wallet(saved.path(), &wallets_of(&core));
    load_and_check("Bitcoin Core", &core, &state);
    core.stop();
}

#[test]
fn a_wallet_core_wrote_loads_with_the_same_state_in_our_node() {
    let Some(core) = core_bitcoind() else {
        println!("note: CORE_BITCOIND not set; skipped loading a Bitcoin Core wallet");
        return;
    };
    let mut core = start_node(Some(&core));
    core.rpc("createwallet", json!(["miner"]));
    core.rpc("createwallet", json!([WALLET]));
    make_history(&core, "miner", WALLET);
    let state = state_of(&core, WALLET);
    assert_history(&state);
    let blocks = blocks_of(&core);
    core.stop();

    let mut ours = start_node(None);
    submit_blocks(&ours, &blocks);
    copy_wallet(&wallets_of(&core), &wallets_of(&ours));
    load_and_check("our node", &ours, &state);
    ours.stop();
}
