//! `migratewallet` on legacy (Berkeley DB) wallets, as Core's
//! `wallet_migration.py` checks it, with fixtures written by
//! `contrib/legacy-wallet/make_legacy_wallets.py` (Core's previous
//! releases cannot be run here): HD keys, a loose key, a watched address,
//! labels and transactions; an encrypted copy; the unnamed wallet; a
//! corrupt file.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const HD_ADDRESS: &str = "bcrt1q6mchv4asz9n3zvrtkptz26qm4qr2ym8v9h6khr";
const ENC_HD_ADDRESS: &str = "bcrt1qvfq533g8m9788sllyx9aujqvkn3x0lv0cwk23z";
const WATCHED_ADDRESS: &str = "miLriN7XkbPgiTt4PHViF6kVhFv6ePCY1u";
const PAYEE_ADDRESS: &str = "bcrt1q4v0srpft54u52ug5kmh9h82xmkdf30u276pkgn";
const LOOSE_PUBKEY: &str = "03b3b533c6a4b15bad629623372581c84dd4cabf2d8b37eb2c739ec56cf426c555";
const TXID_HD: &str = "5ad48fa41bb57c24252fe53c55a23552a2260b43cab0a43b72ec2696e40f60fe";
const TXID_WATCHED: &str = "8d3860ba7bdf6c4befb292f0e84bbcb3919d2e6f44a95ff31e4d10906a8dbb05";
const ALREADY: &str = "Error: This wallet is already a descriptor wallet";
const DECRYPTION: &str =
    "Error: Wallet decryption failed, the wallet passphrase was not provided or was incorrect.";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/legacy")
        .join(name)
}

fn started() -> (TestNode, PathBuf) {
    let mut node = TestNode::new();
    node.wallet = true;
    node.start(&[]);
    let wallets = node.chain_path().join("wallets");
    std::fs::create_dir_all(&wallets).expect("wallets dir");
    (node, wallets)
}

/// Puts a fixture in place as the wallet `name` (a directory with a
/// `wallet.dat`, or the unnamed top-level file).
fn install(wallets: &Path, fixture_name: &str, name: &str) -> PathBuf {
    let file = if name.is_empty() {
        wallets.join("wallet.dat")
    } else {
        std::fs::create_dir_all(wallets.join(name)).expect("dir");
        wallets.join(name).join("wallet.dat")
    };
    std::fs::copy(fixture(fixture_name), &file).expect("copy fixture");
    file
}

fn migrate_err(node: &TestNode, params: Value) -> (i64, String) {
    let e = node
        .try_rpc("migratewallet", params)
        .expect_err("an RPC error")
        .expect("a JSON-RPC error");
    (e.code, e.message)
}

fn descriptors(node: &TestNode, wallet: &str, private: bool) -> Vec<Value> {
    node.wallet_rpc(wallet, "listdescriptors", json!([private]))["descriptors"]
        .as_array()
        .expect("descriptors")
        .clone()
}

fn desc_strings(descs: &[Value]) -> Vec<String> {
    descs
        .iter()
        .map(|d| d["desc"].as_str().expect("desc").to_string())
        .collect()
}

fn txids(node: &TestNode, wallet: &str) -> Vec<String> {
    node.wallet_rpc(wallet, "listtransactions", json!(["*", 100, 0, true]))
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["txid"].as_str().expect("txid").to_string())
        .collect()
}

#[test]
fn a_legacy_hd_wallet_migrates_with_keys_labels_transactions_and_a_watchonly_wallet() {
    let (mut node, wallets) = started();
    install(&wallets, "hd.dat", "legacy");
    let listed = node.rpc("listwalletdir", json!([]));
    assert!(listed["wallets"].to_string().contains("migratewallet"));

    let res = node.rpc("migratewallet", json!(["legacy"]));
    assert_eq!(res["wallet_name"], "legacy");
    assert_eq!(res["watchonly_name"], "legacy_watchonly");
    assert!(res.get("solvables_name").is_none(), "{res}");
    let backup = PathBuf::from(res["backup_path"].as_str().expect("backup"));
    assert_eq!(backup.parent(), Some(wallets.as_path()));
    let file_name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        file_name.starts_with("legacy_") && file_name.ends_with(".legacy.bak"),
        "{file_name}"
    );
    assert!(backup.is_file());
    // The backup is the legacy file as it was.
    assert_eq!(
        std::fs::read(&backup).unwrap(),
        std::fs::read(fixture("hd.dat")).unwrap()
    );
    let loaded = node.rpc("listwallets", json!([]));
    assert!(loaded.as_array().unwrap().contains(&json!("legacy")));
    assert!(loaded
        .as_array()
        .unwrap()
        .contains(&json!("legacy_watchonly")));

    // Descriptors: the HD chain as hardened combo()s, each loose key as a
    // combo(), and the eight defaults of the same seed made active.
    let descs = descriptors(&node, "legacy", false);
    let strings = desc_strings(&descs);
    let combos: Vec<&String> = strings.iter().filter(|d| d.starts_with("combo(")).collect();
    assert_eq!(combos.len(), 4, "{strings:?}");
    assert!(
        combos.iter().any(|d| d.contains(LOOSE_PUBKEY)),
        "{strings:?}"
    );
    let hd_combo = combos
        .iter()
        .find(|d| d.contains("/0h/0h/*h)") || d.contains("/0'/0'/*')"))
        .expect("external chain combo");
    let active: Vec<&Value> = descs
        .iter()
        .filter(|d| d["active"] == json!(true))
        .collect();
    assert_eq!(active.len(), 8, "{strings:?}");
    // The defaults come from the legacy seed: same master fingerprint.
    let info = node.wallet_rpc("legacy", "getaddressinfo", json!([HD_ADDRESS]));
    let fingerprint = info["hdmasterfingerprint"].as_str().expect("fingerprint");
    assert_eq!(fingerprint.len(), 8);
    for d in &active {
        let s = d["desc"].as_str().unwrap();
        assert!(s.contains(&format!("([{fingerprint}/")), "{s}");
    }
    let hd_desc = descs
        .iter()
        .find(|d| d["desc"].as_str() == Some(hd_combo.as_str()))
        .unwrap();
    assert_eq!(hd_desc["range"], json!([0, 2]));
    assert_eq!(hd_desc["active"], json!(false));

    // Keys and labels.
    let info = node.wallet_rpc("legacy", "getaddressinfo", json!([HD_ADDRESS]));
    assert_eq!(info["ismine"], json!(true));
    assert_eq!(info["labels"], json!(["hd-receive"]));
    let payee = node.wallet_rpc("legacy", "getaddressesbylabel", json!(["payee"]));
    assert_eq!(payee[PAYEE_ADDRESS]["purpose"], "send");
    let watched = node.wallet_rpc("legacy", "getaddressinfo", json!([WATCHED_ADDRESS]));
    assert_eq!(watched["ismine"], json!(false));

    // The watch-only wallet: the watched address, its label, its tx.
    let wo = node.wallet_rpc(
        "legacy_watchonly",
        "getaddressinfo",
        json!([WATCHED_ADDRESS]),
    );
    assert_eq!(wo["ismine"], json!(true));
    assert_eq!(wo["labels"], json!(["watched"]));
    let wo_info = node.wallet_rpc("legacy_watchonly", "getwalletinfo", json!([]));
    assert_eq!(wo_info["private_keys_enabled"], json!(false));
    assert_eq!(
        desc_strings(&descriptors(&node, "legacy_watchonly", false))
            .iter()
            .filter(|d| d.starts_with(&format!("addr({WATCHED_ADDRESS})")))
            .count(),
        1
    );
    // "send" entries are copied to the watch-only wallet too.
    let wo_payee = node.wallet_rpc("legacy_watchonly", "getaddressesbylabel", json!(["payee"]));
    assert_eq!(wo_payee[PAYEE_ADDRESS]["purpose"], "send");

    // Transactions went where their outputs are.
    let main_txs = txids(&node, "legacy");
    assert!(main_txs.contains(&TXID_HD.to_string()), "{main_txs:?}");
    assert!(
        !main_txs.contains(&TXID_WATCHED.to_string()),
        "{main_txs:?}"
    );
    let wo_txs = txids(&node, "legacy_watchonly");
    assert!(wo_txs.contains(&TXID_WATCHED.to_string()), "{wo_txs:?}");

    // The migrated keys receive: coins to the old HD address are spendable.
    node.generate_to_address(101, HD_ADDRESS);
    let balance = node.wallet_rpc("legacy", "getbalance", json!([]));
    assert_eq!(balance.as_f64(), Some(50.0));
    let to = node.wallet_rpc("legacy", "getnewaddress", json!([]));
    node.wallet_rpc("legacy", "sendtoaddress", json!([to, 1.0]));

    // Migrating again is refused, loaded or not.
    assert_eq!(
        migrate_err(&node, json!(["legacy"])),
        (-4, ALREADY.to_string())
    );
    node.rpc("unloadwallet", json!(["legacy"]));
    assert_eq!(
        migrate_err(&node, json!(["legacy"])),
        (-4, ALREADY.to_string())
    );
    assert_eq!(
        migrate_err(&node, json!(["nosuchwallet"])),
        (-4, "Error: Wallet does not exist".to_string())
    );
    node.stop();
}

#[test]
fn an_encrypted_legacy_wallet_needs_its_passphrase() {
    let (mut node, wallets) = started();
    let file = install(&wallets, "encrypted.dat", "enc");
    assert_eq!(
        migrate_err(&node, json!(["enc"])),
        (-4, DECRYPTION.to_string())
    );
    assert_eq!(
        migrate_err(&node, json!(["enc", "wrong"])),
        (-4, DECRYPTION.to_string())
    );
    // Still the legacy file, untouched.
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(fixture("encrypted.dat")).unwrap()
    );

    let res = node.rpc("migratewallet", json!(["enc", "migrate-pass"]));
    assert_eq!(res["wallet_name"], "enc");
    assert_eq!(res["watchonly_name"], "enc_watchonly");
    let info = node.wallet_rpc("enc", "getwalletinfo", json!([]));
    assert_eq!(info["unlocked_until"], json!(0));
    let addr = node.wallet_rpc("enc", "getaddressinfo", json!([ENC_HD_ADDRESS]));
    assert_eq!(addr["ismine"], json!(true));
    // The keys stay encrypted under the old passphrase.
    let e = node
        .try_wallet_rpc("enc", "listdescriptors", json!([true]))
        .expect_err("locked")
        .expect("rpc error");
    assert_eq!(e.code, -13);
    node.wallet_rpc("enc", "walletpassphrase", json!(["migrate-pass", 30]));
    let private = desc_strings(&descriptors(&node, "enc", true));
    assert!(private.iter().any(|d| d.contains("tprv")), "{private:?}");
    node.stop();
}

#[test]
fn the_unnamed_wallet_migrates_in_place() {
    let (mut node, wallets) = started();
    install(&wallets, "hd.dat", "");
    let res = node.rpc("migratewallet", json!([""]));
    assert_eq!(res["wallet_name"], "");
    assert_eq!(res["watchonly_name"], "default_wallet_watchonly");
    let backup = res["backup_path"].as_str().expect("backup");
    assert!(
        Path::new(backup)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("default_wallet_"),
        "{backup}"
    );
    let info = node.wallet_rpc("", "getaddressinfo", json!([HD_ADDRESS]));
    assert_eq!(info["ismine"], json!(true));
    node.stop();
}

#[test]
fn a_corrupt_legacy_file_is_refused_and_left_alone() {
    let (mut node, wallets) = started();
    let file = install(&wallets, "hd.dat", "broken");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.truncate(12288);
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(
        migrate_err(&node, json!(["broken"])),
        (
            -4,
            "Wallet file verification failed. Last page number could not fit in file".to_string()
        )
    );
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
    node.stop();
}

#[test]
fn stored_but_unwatched_scripts_go_to_the_solvables_wallet() {
    const KEY: &str = "02868b1860d03620529791214f87cfdcffe208faa9ca7433f614fa507b8860732c";
    const FOREIGN: &str = "0261b49e71b0da4675217d66b4d0d664f97dac6ae3ed6fa54bc30c0d1495637236";
    const P2SH: &str = "2N2aLsMFnbyWFMtUTSEeZaTdTpiC93FEccJ";
    let (mut node, wallets) = started();
    install(&wallets, "scripts.dat", "scripts");
    let res = node.rpc("migratewallet", json!({"wallet_name": "scripts"}));
    assert_eq!(res["wallet_name"], "scripts");
    assert_eq!(res["solvables_name"], "scripts_solvables");
    assert!(res.get("watchonly_name").is_none(), "{res}");

    // The key: a combo() plus eight defaults from a new seed.
    let main = desc_strings(&descriptors(&node, "scripts", false));
    assert_eq!(main.len(), 9, "{main:?}");
    assert!(
        main.iter()
            .any(|d| d.starts_with("combo([") && d.contains(KEY)),
        "{main:?}"
    );
    let info = node.wallet_rpc("scripts", "getaddressinfo", json!([P2SH]));
    assert_eq!(info["ismine"], json!(false));

    // The multisig it could sign for but did not watch.
    let solvables = desc_strings(&descriptors(&node, "scripts_solvables", false));
    assert_eq!(solvables.len(), 2, "{solvables:?}");
    assert!(solvables
        .iter()
        .any(|d| d.starts_with("sh(multi(2,[") && d.contains(KEY) && d.contains(FOREIGN)));
    assert!(solvables.iter().any(|d| d.starts_with("wsh(multi(2,[")));
    let info = node.wallet_rpc("scripts_solvables", "getaddressinfo", json!([P2SH]));
    assert_eq!(info["ismine"], json!(true));
    assert_eq!(info["solvable"], json!(true));
    let wi = node.wallet_rpc("scripts_solvables", "getwalletinfo", json!([]));
    assert_eq!(wi["private_keys_enabled"], json!(false));
    node.stop();
}

#[test]
fn a_failed_migration_puts_the_legacy_file_back() {
    let (mut node, wallets) = started();
    let file = install(&wallets, "orphan-tx.dat", "orphan");
    assert_eq!(
        migrate_err(&node, json!(["orphan"])),
        (
            -4,
            "Error: Transaction e26be06a9df38ba0d17803d39216011a0bca0b780d7a885b3c8fa6a95a5099ed in wallet cannot be identified to belong to migrated wallets".to_string()
        )
    );
    // The legacy file is back, the wallets made on the way are gone, the
    // backup stays.
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(fixture("orphan-tx.dat")).unwrap()
    );
    assert!(!wallets.join("orphan_solvables").exists());
    let backups = std::fs::read_dir(&wallets)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".legacy.bak"))
        .count();
    assert_eq!(backups, 1);
    assert_eq!(node.rpc("listwallets", json!([])), json!([]));
    let listed = node.rpc("listwalletdir", json!([]));
    assert!(listed["wallets"].to_string().contains("migratewallet"));
    node.stop();
}
