//! Wallets in several processes on one node: `-walletprocess=per-wallet`
//! (a process per wallet, one SIGKILLed, then SIGSTOPped, while another
//! sends and receives)
//! and several `bitcoin-wallet -ipcconnect` processes attached side by side.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use functional::{child_pids, wait_for, wallet_binary, TestNode};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};

/// The child process of the node that has `wallets/<name>/wallet.dat` open.
fn process_of(node: &TestNode, name: &str) -> u32 {
    let file = format!("/wallets/{name}/wallet.dat");
    let pid = node.pid().expect("running");
    wait_for("the wallet's process", || {
        child_pids(pid).into_iter().find(|child| {
            std::fs::read_dir(format!("/proc/{child}/fd"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .any(|target| target.to_string_lossy().ends_with(&file))
        })
    })
}

fn btc(v: &Value) -> f64 {
    v.as_f64().expect("amount")
}

#[test]
fn per_wallet_processes_survive_each_other() {
    let mut node = TestNode::with_wallet();
    node.start(&["-walletprocess=per-wallet", "-test=fastwalletrestart"]);
    let node_pid = node.pid().expect("running");
    // The first process runs with no wallet and answers for none.
    assert_eq!(child_pids(node_pid).len(), 1);
    let err = node.rpc_err("getbalance", json!([]));
    assert_eq!(err.code, -18);

    node.rpc("createwallet", json!(["a"]));
    node.rpc("createwallet", json!(["b"]));
    assert_eq!(child_pids(node_pid).len(), 3);
    assert_eq!(node.rpc("listwallets", json!([])), json!(["a", "b"]));
    let err = node.rpc_err("getbalance", json!([]));
    assert_eq!(err.code, -19);
    let (pa, pb) = (process_of(&node, "a"), process_of(&node, "b"));
    assert_ne!(pa, pb);

    let a_addr = node.wallet_rpc("a", "getnewaddress", json!([]));
    let b_addr = node.wallet_rpc("b", "getnewaddress", json!([]));
    node.generate_to_address(1, a_addr.as_str().unwrap());
    node.generate_to_address(101, b_addr.as_str().unwrap());
    assert_eq!(btc(&node.wallet_rpc("a", "getbalance", json!([]))), 50.0);

    let mut a_pid = pa;
    let mut paid = 0.0;
    for round in 0..3 {
        // SAFETY: kill(2) on the node's child.
        unsafe {
            libc::kill(a_pid as i32, libc::SIGKILL);
        }
        // Wallet b sends, receives and reports while a is down: no error.
        let txid = node.wallet_rpc("b", "sendtoaddress", json!([a_addr, 1.0]));
        paid += 1.0;
        assert!(
            txid.as_str().is_some_and(|t| t.len() == 64),
            "round {round}"
        );
        node.generate_to_address(1, b_addr.as_str().unwrap());
        let b_balance = btc(&node.wallet_rpc("b", "getbalance", json!([])));
        assert!(b_balance > 0.0, "round {round}");
        let tx = node.wallet_rpc("b", "gettransaction", json!([txid]));
        assert_eq!(tx["confirmations"], 1, "round {round}");

        // a comes back in a new process, caught up with what it missed.
        let back = wait_for("wallet a back", || {
            node.try_wallet_rpc("a", "getbalance", json!([])).ok()
        });
        assert_eq!(btc(&back), 50.0 + paid, "round {round}");
        let new_pid = process_of(&node, "a");
        assert_ne!(new_pid, a_pid, "round {round}");
        assert!(
            child_pids(node_pid).contains(&pb),
            "b's process was disturbed"
        );
        a_pid = new_pid;
    }

    // A wallet process that hangs holds up none of the others.
    // SAFETY: kill(2) on the node's child.
    unsafe {
        libc::kill(a_pid as i32, libc::SIGSTOP);
    }
    let txid = node.wallet_rpc("b", "sendtoaddress", json!([a_addr, 1.0]));
    paid += 1.0;
    node.generate_to_address(1, b_addr.as_str().unwrap());
    let tx = node.wallet_rpc("b", "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"], 1);
    assert!(btc(&node.wallet_rpc("b", "getbalance", json!([]))) > 0.0);
    // SAFETY: kill(2) on the node's child.
    unsafe {
        libc::kill(a_pid as i32, libc::SIGCONT);
    }
    let a_tx = node.wallet_rpc("a", "gettransaction", json!([txid]));
    assert_eq!(a_tx["confirmations"], 1);
    assert_eq!(
        btc(&node.wallet_rpc("a", "getbalance", json!([]))),
        50.0 + paid
    );

    // Unloading empties a process, which goes; loading starts one again.
    node.rpc("unloadwallet", json!(["a"]));
    wait_for("a's process to go", || {
        (child_pids(node_pid).len() == 2).then_some(())
    });
    assert_eq!(node.rpc("listwallets", json!([])), json!(["b"]));
    assert!(btc(&node.rpc("getbalance", json!([]))) > 0.0);
    node.rpc("loadwallet", json!(["a"]));
    assert_eq!(child_pids(node_pid).len(), 3);
    let err = node.rpc_err("loadwallet", json!(["a"]));
    assert_eq!(err.code, -35, "{}", err.message);
    node.stop();

    // The wallets come back in their own processes at the next start.
    node.start(&["-walletprocess=per-wallet", "-wallet=a", "-wallet=b"]);
    assert_eq!(child_pids(node.pid().unwrap()).len(), 2);
    assert_eq!(node.rpc("listwallets", json!([])), json!(["a", "b"]));
    assert_eq!(
        btc(&node.wallet_rpc("a", "getbalance", json!([]))),
        50.0 + paid
    );
    node.stop();
}

/// `bitcoin-wallet -ipcconnect` on its own wallet directory, loading
/// `wallet` (none: `-nowallet`).
fn attach(node: &TestNode, walletdir: &std::path::Path, wallet: Option<&str>) -> Child {
    std::fs::create_dir_all(walletdir).expect("walletdir");
    Command::new(wallet_binary())
        .arg(format!("-datadir={}", node.datadir.display()))
        .arg("-ipcconnect=unix")
        .arg(format!("-walletdir={}", walletdir.display()))
        .arg(wallet.map_or("-nowallet".to_string(), |w| format!("-wallet={w}")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bitcoin-wallet")
}

#[test]
fn two_attached_wallet_processes_serve_side_by_side_and_one_leaves_cleanly() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix"]);
    // Each attached process serves its own wallet directory.
    let dirs = [node.datadir.join("wd1"), node.datadir.join("wd2")];
    for (dir, name) in dirs.iter().zip(["one", "two"]) {
        let mut w = attach(&node, dir, None);
        wait_for("the first process's methods", || {
            node.try_rpc("listwallets", json!([])).ok()
        });
        node.rpc("createwallet", json!([name]));
        // SAFETY: kill(2) on our child.
        unsafe {
            libc::kill(w.id() as i32, libc::SIGTERM);
        }
        assert_eq!(w.wait().unwrap().code(), Some(0));
        wait_for("the methods to go", || {
            node.try_rpc("listwallets", json!([])).err().map(|_| ())
        });
        // The wallet was made in the directory of that process.
        assert!(dir.join(name).join("wallet.dat").is_file());
    }

    let mut one = attach(&node, &dirs[0], Some("one"));
    wait_for("wallet one", || {
        node.try_wallet_rpc("one", "getwalletinfo", json!([])).ok()
    });
    let mut two = attach(&node, &dirs[1], Some("two"));
    wait_for("wallet two", || {
        node.try_wallet_rpc("two", "getwalletinfo", json!([])).ok()
    });
    assert_eq!(node.rpc("listwallets", json!([])), json!(["one", "two"]));
    let err = node.rpc_err("getbalance", json!([]));
    assert_eq!(err.code, -19);
    let addr_one = node.wallet_rpc("one", "getnewaddress", json!([]));
    let addr_two = node.wallet_rpc("two", "getnewaddress", json!([]));
    node.generate_to_address(100, addr_one.as_str().unwrap());
    node.generate_to_address(1, addr_two.as_str().unwrap());
    assert_eq!(btc(&node.wallet_rpc("one", "getbalance", json!([]))), 50.0);
    node.wallet_rpc("one", "sendtoaddress", json!([addr_two, 2.0]));
    node.generate_to_address(1, addr_one.as_str().unwrap());
    let balances = node.wallet_rpc("two", "getbalances", json!([]));
    assert_eq!(btc(&balances["mine"]["trusted"]), 2.0);

    // One leaves; the other keeps working and the node forgets the first.
    // SAFETY: kill(2) on our child.
    unsafe {
        libc::kill(one.id() as i32, libc::SIGTERM);
    }
    assert_eq!(one.wait().unwrap().code(), Some(0));
    wait_for("one gone from listwallets", || {
        (node.rpc("listwallets", json!([])) == json!(["two"])).then_some(())
    });
    let err = node
        .try_wallet_rpc("one", "getbalance", json!([]))
        .expect_err("wallet one is gone")
        .expect("an RPC error");
    assert_eq!(err.code, -18);
    // With one wallet left, requests naming none go to it.
    assert_eq!(btc(&node.rpc("getbalance", json!([]))), 2.0);
    let help = node.rpc("help", json!([]));
    assert!(help.as_str().unwrap().contains("getbalance"));
    node.wallet_rpc("two", "sendtoaddress", json!([addr_one, 1.0]));

    // SAFETY: kill(2) on our child.
    unsafe {
        libc::kill(two.id() as i32, libc::SIGTERM);
    }
    assert_eq!(two.wait().unwrap().code(), Some(0));
    wait_for("no wallet methods left", || {
        match node.try_rpc("listwallets", json!([])) {
            Err(Some(e)) if e.code == -32601 => Some(()),
            _ => None,
        }
    });
    node.stop();
}
