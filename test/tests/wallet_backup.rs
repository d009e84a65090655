//! Backups and restores through the node's RPC port (`backupwallet`,
//! `restorewallet` with Core's errors), wallet names Core refuses as
//! paths, passphrases with NUL bytes, and a reloaded wallet catching up
//! with blocks it missed while unloaded.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};

fn wallet_node() -> TestNode {
    let mut node = TestNode::new();
    node.wallet = true;
    node
}

fn btc(v: &Value) -> f64 {
    v.as_f64().expect("amount")
}

fn err_of(node: &TestNode, wallet: &str, method: &str, params: Value) -> (i64, String) {
    let e = node
        .try_wallet_rpc(wallet, method, params)
        .expect_err("an RPC error")
        .expect("a JSON-RPC error");
    (e.code, e.message)
}

#[test]
fn a_backup_restores_into_a_new_wallet_with_the_same_balance() {
    let mut node = wallet_node();
    node.start(&[]);
    node.rpc("createwallet", json!(["src"]));
    let addr = node.wallet_rpc("src", "getnewaddress", json!([]));
    node.generate_to_address(101, addr.as_str().unwrap());
    let balance = btc(&node.wallet_rpc("src", "getbalance", json!([])));
    assert_eq!(balance, 50.0);
    let backup = node.datadir.join("src.bak");
    assert_eq!(
        node.wallet_rpc("src", "backupwallet", json!([backup.to_str().unwrap()])),
        Value::Null
    );

    let wallets = node.chain_path().join("wallets");
    assert_eq!(
        node.rpc("restorewallet", json!(["res", backup.to_str().unwrap()])),
        json!({"name": "res"})
    );
    assert!(wallets.join("res/wallet.dat").is_file());
    assert_eq!(
        btc(&node.wallet_rpc("res", "getbalance", json!([]))),
        balance
    );
    // The restored wallet knows the backed-up address.
    let info = node.wallet_rpc("res", "getaddressinfo", json!([addr]));
    assert_eq!(info["ismine"], json!(true));

    // Restoring over a wallet that exists is refused and leaves it alone.
    let (code, message) = err_of(
        &node,
        "res",
        "restorewallet",
        json!(["res", backup.to_str().unwrap()]),
    );
    assert_eq!(code, -36);
    assert_eq!(
        message,
        format!(
            "Failed to restore wallet. Database file exists in '{}'.",
            wallets.join("res/wallet.dat").display()
        )
    );

    // An existing directory without a wallet.dat is fine, and what else it
    // holds stays.
    std::fs::create_dir_all(wallets.join("dir")).unwrap();
    std::fs::write(wallets.join("dir/note.txt"), b"keep").unwrap();
    assert_eq!(
        node.rpc("restorewallet", json!(["dir", backup.to_str().unwrap()])),
        json!({"name": "dir"})
    );
    assert!(wallets.join("dir/note.txt").is_file());
    assert_eq!(
        btc(&node.wallet_rpc("dir", "getbalance", json!([]))),
        balance
    );

    // Restored with load_on_startup, it comes back after a restart.
    assert_eq!(
        node.rpc(
            "restorewallet",
            json!({"wallet_name": "boot", "backup_file": backup.to_str().unwrap(), "load_on_startup": true})
        ),
        json!({"name": "boot"})
    );
    node.stop();
    node.start(&[]);
    assert_eq!(node.rpc("listwallets", json!([])), json!(["boot"]));
    assert_eq!(
        btc(&node.wallet_rpc("boot", "getbalance", json!([]))),
        balance
    );
    node.stop();
}

#[test]
fn restorewallet_refuses_what_core_refuses_and_leaves_nothing_behind() {
    let mut node = wallet_node();
    node.start(&[]);
    let wallets = node.chain_path().join("wallets");

    let junk = node.datadir.join("junk.bak");
    std::fs::write(&junk, b"invalid_wallet_content").unwrap();
    let e = node.rpc_err("restorewallet", json!(["r0", junk.to_str().unwrap()]));
    assert_eq!(e.code, -18);
    assert_eq!(
        e.message,
        format!(
            "Wallet file verification failed. Failed to load database path '{}'. Data is not in recognized format.",
            wallets.join("r0").display()
        )
    );
    assert!(!wallets.join("r0").exists());

    let missing = node.datadir.join("missing.bak");
    let e = node.rpc_err("restorewallet", json!(["r0", missing.to_str().unwrap()]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "Backup file does not exist")
    );
    assert!(!wallets.join("r0").exists());

    let e = node.rpc_err("restorewallet", json!(["", junk.to_str().unwrap()]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "Wallet name cannot be empty")
    );
    assert!(!wallets.join("wallet.dat").exists());

    // A file where the wallet directory would go.
    std::fs::write(wallets.join("plainfile"), b"x").unwrap();
    let e = node.rpc_err(
        "restorewallet",
        json!(["plainfile", junk.to_str().unwrap()]),
    );
    assert_eq!(e.code, -36);
    assert_eq!(
        e.message,
        format!(
            "Failed to restore wallet. Database file exists '{}'.",
            wallets.join("plainfile").display()
        )
    );
    assert_eq!(std::fs::read(wallets.join("plainfile")).unwrap(), b"x");

    // A restore into a directory that existed keeps the directory when the
    // load fails.
    std::fs::create_dir_all(wallets.join("kept")).unwrap();
    let e = node.rpc_err("restorewallet", json!(["kept", junk.to_str().unwrap()]));
    assert_eq!(e.code, -18);
    assert!(wallets.join("kept").is_dir());
    assert!(!wallets.join("kept/wallet.dat").exists());
    node.stop();
}

#[test]
fn wallet_names_must_be_normalized_relative_or_absolute_paths() {
    let mut node = wallet_node();
    node.start(&[]);
    for name in [
        "bad/./path",
        "bad/../path",
        "/bad/./path",
        "/bad/../path",
        "../",
        "./",
        "./wallet",
        "../wallets/../wallets/wallet",
    ] {
        let e = node.rpc_err("createwallet", json!([name]));
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                -4,
                "Wallet file verification failed. Wallet name given as a path must be normalized"
            ),
            "{name}"
        );
    }
    for name in ["../wallets/wallet", "..", "."] {
        let e = node.rpc_err("createwallet", json!([name]));
        assert_eq!(e.code, -4, "{name}");
        assert!(
            e.message
                .contains("Wallet name given as a relative path cannot begin with ./ or ../"),
            "{name}: {}",
            e.message
        );
    }
    let e = node.rpc_err("createwallet", json!(["/"]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -4,
            "Wallet file verification failed. Wallet name cannot be the root path"
        )
    );
    // A normalized name with a directory part is a wallet in a subdirectory.
    assert_eq!(
        node.rpc("createwallet", json!(["sub/w"])),
        json!({"name": "sub/w"})
    );
    assert!(node.chain_path().join("wallets/sub/w/wallet.dat").is_file());
    node.stop();
}

#[test]
fn a_wrong_passphrase_with_a_nul_byte_gets_cores_hint() {
    let mut node = wallet_node();
    node.start(&[]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": "e", "passphrase": "first"}),
    );
    let with_nuls = "Phrase\0With\0Nulls";
    node.rpc("walletpassphrasechange", json!(["first", with_nuls]));
    // The whole string is the passphrase, not the part before the NUL.
    let e = node.rpc_err("walletpassphrase", json!(["Phrase", 10]));
    assert_eq!(
        (e.code, e.message.as_str()),
        (-14, "Error: The wallet passphrase entered was incorrect.")
    );
    let e = node.rpc_err("walletpassphrase", json!([format!("{with_nuls}\0"), 10]));
    assert_eq!(e.code, -14);
    assert!(
        e.message.starts_with("Error: The wallet passphrase entered is incorrect. It contains a null character (ie - a zero byte)."),
        "{}",
        e.message
    );
    let e = node.rpc_err(
        "walletpassphrasechange",
        json!([format!("{with_nuls}\0"), "abc"]),
    );
    assert_eq!(e.code, -14);
    assert!(
        e.message.starts_with("Error: The old wallet passphrase entered is incorrect. It contains a null character (ie - a zero byte)."),
        "{}",
        e.message
    );
    node.rpc("walletpassphrase", json!([with_nuls, 10]));
    assert!(node.rpc("getwalletinfo", json!([]))["unlocked_until"].as_i64() > Some(0));
    node.stop();
}

#[test]
fn a_reloaded_wallet_scans_the_block_it_missed_at_its_birthday() {
    let mut node = wallet_node();
    node.start(&[]);
    // On a fresh chain the first block newer than the wallet's birthday is
    // the tip itself once one block has been mined while it was unloaded.
    node.rpc("createwallet", json!(["late"]));
    let addr = node.wallet_rpc("late", "getnewaddress", json!([]));
    node.rpc("unloadwallet", json!(["late"]));
    node.generate_to_address(1, addr.as_str().unwrap());
    node.rpc("loadwallet", json!(["late"]));
    let b = node.wallet_rpc("late", "getbalances", json!([]));
    assert_eq!(btc(&b["mine"]["immature"]), 50.0);
    assert_eq!(b["lastprocessedblock"]["height"], json!(1));
    node.stop();
}

#[test]
fn concurrent_loads_of_one_wallet_get_wallet_already_loading() {
    let mut node = wallet_node();
    node.start(&[]);
    node.rpc("createwallet", json!(["busy"]));
    node.rpc("unloadwallet", json!(["busy"]));
    let seen = std::sync::atomic::AtomicBool::new(false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while !seen.load(std::sync::atomic::Ordering::SeqCst)
                    && std::time::Instant::now() < deadline
                {
                    match node.try_rpc("loadwallet", json!(["busy"])) {
                        Err(Some(e)) if e.message == "Wallet already loading." => {
                            assert_eq!(e.code, -4);
                            seen.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                        Ok(_) => {
                            let _ = node.try_rpc("unloadwallet", json!(["busy"]));
                        }
                        Err(_) => {}
                    }
                }
            });
        }
    });
    assert!(seen.into_inner(), "no load was refused as already loading");
    node.stop();
}

/// Waits until the basic block filter index has caught up with the tip.
fn wait_for_filter_index(node: &TestNode) {
    functional::wait_for("the block filter index", || {
        let info = node.rpc("getindexinfo", json!(["basic block filter index"]));
        (info["basic block filter index"]["synced"] == json!(true)).then_some(())
    });
}

#[test]
fn a_rescan_with_block_filters_reads_only_the_blocks_that_match() {
    let mut node = wallet_node();
    node.start(&["-blockfilterindex=1", "-debug=scan", "-keypool=3"]);
    node.rpc("createwallet", json!(["src"]));
    node.rpc("createwallet", json!(["other"]));
    // Blocks 1..=2 pay the wallet, 3..=4 another wallet, 5 the end of the
    // backup's keypool window (index 3) and 6 the end of the window that
    // payment opens (index 6): block 6 is found only if the scripts a
    // top-up derives during the rescan are matched too.
    let mine = node.wallet_rpc("src", "getnewaddress", json!([]));
    let theirs = node.wallet_rpc("other", "getnewaddress", json!([]));
    let backup = node.datadir.join("src.bak");
    node.wallet_rpc("src", "backupwallet", json!([backup.to_str().unwrap()]));
    let mut hashes = node.generate_to_address(2, mine.as_str().unwrap());
    hashes.extend(node.generate_to_address(2, theirs.as_str().unwrap()));
    for _ in 0..2 {
        let mut last = Value::Null;
        for _ in 0..3 {
            last = node.wallet_rpc("src", "getnewaddress", json!([]));
        }
        hashes.extend(node.generate_to_address(1, last.as_str().unwrap()));
    }
    wait_for_filter_index(&node);

    node.rpc("restorewallet", json!(["fast", backup.to_str().unwrap()]));
    let log = node.debug_log();
    assert!(log.contains("(fast variant using block filters)"), "{log}");
    for (i, hash) in hashes.iter().enumerate() {
        let line = format!(
            "Fast rescan: inspect block {} [{hash}] (filter matched)",
            i + 1
        );
        // Blocks 3 and 4 (indexes 2 and 3) pay the other wallet only.
        assert_eq!(log.contains(&line), !(2..=3).contains(&i), "{line}");
    }
    let txs = node.wallet_rpc("fast", "listtransactions", json!(["*", 100]));
    assert_eq!(txs.as_array().map(Vec::len), Some(4));

    // Without the index the same restore reads every block.
    node.stop();
    node.start(&["-blockfilterindex=0", "-keypool=3"]);
    node.rpc("restorewallet", json!(["slow", backup.to_str().unwrap()]));
    assert!(node
        .debug_log()
        .contains("(slow variant inspecting all blocks)"));
    let slow = node.wallet_rpc("slow", "listtransactions", json!(["*", 100]));
    assert_eq!(slow.as_array().map(Vec::len), Some(4));
    node.stop();
}

#[test]
fn a_watch_only_export_restores_with_the_same_addresses_and_no_keys() {
    let mut node = wallet_node();
    node.start(&["-keypool=3"]);
    node.rpc("createwallet", json!(["w"]));
    let label_addr = node.wallet_rpc("w", "getnewaddress", json!(["lbl"]));
    let dest = node.datadir.join("w-watchonly.dat");
    let dest = dest.to_str().unwrap();

    // Core's errors: an empty destination and one that exists.
    assert_eq!(
        err_of(&node, "w", "exportwatchonlywallet", json!([""])),
        (-4, "Error: Export destination cannot be empty".into())
    );
    let datadir = node.datadir.to_str().unwrap().to_string();
    assert_eq!(
        err_of(&node, "w", "exportwatchonlywallet", json!([datadir])),
        (
            -4,
            format!("Error: Export destination '{datadir}' already exists")
        )
    );

    assert_eq!(
        node.wallet_rpc("w", "exportwatchonlywallet", json!([dest])),
        json!({ "exported_file": dest })
    );
    node.rpc("restorewallet", json!(["wo", dest]));
    let info = node.wallet_rpc("wo", "getwalletinfo", json!([]));
    assert_eq!(info["private_keys_enabled"], json!(false));
    assert_eq!(
        node.wallet_rpc("wo", "listdescriptors", json!([]))["descriptors"],
        node.wallet_rpc("w", "listdescriptors", json!([]))["descriptors"]
    );
    assert_eq!(
        node.wallet_rpc("wo", "getaddressesbylabel", json!(["lbl"])),
        json!({ label_addr.as_str().unwrap(): {"purpose": "receive"} })
    );
    // Past the end of the exported window too: the watch-only copy derives
    // from the public keys.
    for _ in 0..8 {
        assert_eq!(
            node.wallet_rpc("wo", "getnewaddress", json!([])),
            node.wallet_rpc("w", "getnewaddress", json!([]))
        );
    }

    // A wallet without descriptors has nothing to export.
    node.rpc(
        "createwallet",
        json!({"wallet_name": "empty", "disable_private_keys": true}),
    );
    let empty_dest = node.datadir.join("empty.dat");
    assert_eq!(
        err_of(
            &node,
            "empty",
            "exportwatchonlywallet",
            json!([empty_dest.to_str().unwrap()])
        ),
        (-4, "Error: Wallet has no descriptors to export".into())
    );
    assert!(!empty_dest.exists());
    node.stop();
}

#[test]
fn a_watch_only_copy_derives_past_its_window_under_another_keypool() {
    let mut node = wallet_node();
    node.start(&["-keypool=10"]);
    node.rpc("createwallet", json!(["w"]));
    let dest = node.datadir.join("w-watchonly.dat");
    let dest = dest.to_str().unwrap();
    node.wallet_rpc("w", "exportwatchonlywallet", json!([dest]));
    // With a keypool of 1 each new address derives one more key: the copy
    // must derive from the account xpub (the normalized descriptor), not
    // from the hardened path it has no private keys for.
    node.stop();
    node.start(&["-keypool=1"]);
    node.rpc("loadwallet", json!(["w"]));
    node.rpc("restorewallet", json!(["wo", dest]));
    for _ in 0..15 {
        assert_eq!(
            node.wallet_rpc("wo", "getnewaddress", json!([])),
            node.wallet_rpc("w", "getnewaddress", json!([]))
        );
        assert_eq!(
            node.wallet_rpc("wo", "getrawchangeaddress", json!([])),
            node.wallet_rpc("w", "getrawchangeaddress", json!([]))
        );
    }
    node.stop();
}
