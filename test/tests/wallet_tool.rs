//! `bitcoin-wallet` as Core's offline tool: `info` on a wallet the node
//! made (without touching the file), `dump` and `createfromdump` round
//! trips the node loads again, `create` of a wallet the node then uses, and
//! Core's texts and exit codes for what the tool refuses.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::{wallet_binary, TestNode};
use serde_json::json;
use std::path::Path;
use std::process::Command;

/// The tool's exit code, stdout and stderr for `args` on the node's datadir.
fn tool(node: &TestNode, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(wallet_binary())
        .arg(format!("-datadir={}", node.datadir.display()))
        .arg("-chain=regtest")
        .args(args)
        .output()
        .expect("run bitcoin-wallet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts the tool fails with exit code 1, nothing on stdout and `error`
/// in stderr.
fn refused(node: &TestNode, args: &[&str], error: &str) {
    let (code, out, err) = tool(node, args);
    assert_eq!((code, out.as_str()), (1, ""), "{args:?}: {err}");
    assert!(
        err.contains(error),
        "{args:?}: expected {error:?} in {err:?}"
    );
}

fn info_text(name: &str, keypool: u32, transactions: u32, address_book: u32) -> String {
    format!(
        "Wallet info\n===========\nName: {name}\nFormat: sqlite\nDescriptors: yes\nEncrypted: no\nHD (hd seed available): yes\nKeypool Size: {keypool}\nTransactions: {transactions}\nAddress Book: {address_book}\n"
    )
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[test]
fn info_dump_and_createfromdump_work_on_a_nodes_wallet() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    node.rpc("createwallet", json!(["w"]));
    let addr = node.wallet_rpc("w", "getnewaddress", json!([]));
    node.generate_to_address(1, addr.as_str().expect("address"));
    let before = node.wallet_rpc("w", "getwalletinfo", json!([]));
    let keypool = before["keypoolsize"].as_u64().expect("keypoolsize")
        + before["keypoolsize_hd_internal"]
            .as_u64()
            .expect("internal");

    // The node holds the wallet's lock.
    refused(
        &node,
        &["-wallet=w", "info"],
        "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of Bitcoin Core?",
    );
    node.stop();

    let wallet_dat = node.chain_path().join("wallets/w/wallet.dat");
    let unchanged = file_bytes(&wallet_dat);
    let (code, out, err) = tool(&node, &["-wallet=w", "info"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, info_text("w", keypool as u32, 1, 1));
    assert!(
        file_bytes(&wallet_dat) == unchanged,
        "info wrote to the wallet"
    );

    refused(
        &node,
        &["-wallet=w", "dump"],
        "No dump file provided. To use dump, -dumpfile=<filename> must be provided.",
    );
    let dump = node.datadir.join("w.dump");
    let dump_arg = format!("-dumpfile={}", dump.display());
    let (code, out, _) = tool(&node, &["-wallet=w", &dump_arg, "dump"]);
    assert_eq!(code, 0);
    assert_eq!(out, "The dumpfile may contain private keys. To ensure the safety of your Bitcoin, do not share the dumpfile.\n");
    let text = std::fs::read_to_string(&dump).expect("dump file");
    assert!(text.starts_with("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n"));
    assert!(text
        .lines()
        .last()
        .is_some_and(|l| l.starts_with("checksum,")));
    refused(
        &node,
        &["-wallet=w", &dump_arg, "dump"],
        "already exists. If you are sure this is what you want, move it out of the way first.",
    );

    // A wrong checksum leaves no wallet behind.
    let bad = node.datadir.join("bad.dump");
    let mut lines: Vec<&str> = text.lines().collect();
    let wrong = format!("checksum,{}", "1".repeat(64));
    if let Some(last) = lines.last_mut() {
        *last = &wrong;
    }
    std::fs::write(&bad, lines.join("\n") + "\n").expect("write dump");
    refused(
        &node,
        &[
            "-wallet=bad",
            &format!("-dumpfile={}", bad.display()),
            "createfromdump",
        ],
        "Error: Dumpfile checksum does not match. Computed",
    );
    assert!(!node.chain_path().join("wallets/bad").exists());

    let (code, out, err) = tool(&node, &["-wallet=copy", &dump_arg, "createfromdump"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    refused(
        &node,
        &["-wallet=copy", &dump_arg, "createfromdump"],
        "Database already exists.",
    );
    let redump = node.datadir.join("copy.dump");
    let (code, _, _) = tool(
        &node,
        &[
            "-wallet=copy",
            &format!("-dumpfile={}", redump.display()),
            "dump",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&redump).expect("redump"), text);

    node.start(&[]);
    node.rpc("loadwallet", json!(["copy"]));
    let copy = node.wallet_rpc("copy", "getwalletinfo", json!([]));
    assert_eq!(copy["txcount"], before["txcount"]);
    let balances = node.wallet_rpc("copy", "getbalances", json!([]));
    assert_eq!(balances["mine"]["immature"].as_f64(), Some(50.0));
    node.stop();
}

#[test]
fn create_makes_a_wallet_the_node_loads_and_bad_commands_get_cores_texts() {
    let mut node = TestNode::with_wallet();
    // The datadir's network directory exists once the node has run.
    node.start(&[]);
    node.stop();

    let (code, out, err) = tool(&node, &["-wallet=fresh", "create"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!("Topping up keypool...\n{}", info_text("fresh", 8000, 0, 0))
    );
    refused(
        &node,
        &["-wallet=fresh", "create"],
        "Failed to create database path",
    );

    node.start(&["-wallet=fresh"]);
    let info = node.wallet_rpc("fresh", "getwalletinfo", json!([]));
    assert_eq!(info["keypoolsize"], 4000);
    assert_eq!(info["keypoolsize_hd_internal"], 4000);
    let addr = node.wallet_rpc("fresh", "getnewaddress", json!(["", "bech32m"]));
    assert!(addr.as_str().is_some_and(|a| a.starts_with("bcrt1p")));
    node.stop();

    refused(
        &node,
        &["foo"],
        "Error parsing command line arguments: Invalid command 'foo'",
    );
    refused(
        &node,
        &["help"],
        "Error parsing command line arguments: Invalid command 'help'",
    );
    refused(
        &node,
        &["info", "create"],
        "Error: Additional arguments provided (create). Methods do not take arguments. Please refer to `-help`.",
    );
    refused(
        &node,
        &["-foo"],
        "Error parsing command line arguments: Invalid parameter -foo",
    );
    refused(
        &node,
        &[],
        "No method provided. Run `bitcoin-wallet -help` for valid methods.",
    );
    refused(
        &node,
        &["create"],
        "Wallet name must be provided when creating a new wallet.",
    );
    refused(
        &node,
        &["-wallet=", "create"],
        "Wallet name cannot be empty",
    );
    refused(
        &node,
        &["-wallet=x", "-legacy", "create"],
        "Invalid parameter -legacy",
    );
    refused(
        &node,
        &["-wallet=x", "-dumpfile=wallet.dump", "create"],
        "The -dumpfile option cannot be used with the 'create' command.",
    );
    let missing = node.chain_path().join("wallets/nonexistent.dat");
    refused(
        &node,
        &["-wallet=nonexistent.dat", "info"],
        &format!(
            "Failed to load database path '{}'. Path does not exist.",
            missing.display()
        ),
    );
    assert!(!node.chain_path().join("wallets/x").exists());

    let (code, out, _) = tool(&node, &["-help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: bitcoin-wallet [options] <command>"));
    assert!(out.contains("createfromdump"));
}
