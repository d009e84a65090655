//! The wallet process's life as the node runs it: spawned as
//! `bitcoin-wallet -ipcfd N`, its methods on the node's RPC port, stopped
//! with the node, restarted when it dies while the node keeps answering,
//! and attachable on its own with `-ipcconnect`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use functional::{child_pids, process_argv, wait_for, wallet_binary, TestNode};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

fn only_child(node: &TestNode) -> u32 {
    let pid = node.pid().expect("running");
    wait_for("one wallet child", || match child_pids(pid).as_slice() {
        [child] => Some(*child),
        _ => None,
    })
}

fn process_gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
        || std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.contains(") Z "))
            .unwrap_or(true)
}

#[test]
fn the_node_runs_one_wallet_child_with_exactly_ipcfd_n_and_stops_it_first() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    let child = only_child(&node);
    let argv = process_argv(child);
    assert_eq!(argv.len(), 3, "argv {argv:?}");
    assert_eq!(
        std::fs::canonicalize(&argv[0]).unwrap(),
        std::fs::canonicalize(wallet_binary()).unwrap()
    );
    assert_eq!(argv[1], "-ipcfd");
    assert!(argv[2].parse::<u32>().is_ok(), "argv {argv:?}");

    // The wallet's methods are the node's: listed in help (with the help
    // text the wallet process gives), callable on the node's port.
    let help = node.rpc("help", json!([]));
    let help = help.as_str().unwrap();
    assert!(help.contains("== Wallet ==\n"), "{help}");
    assert!(help.lines().any(|l| l == "listwallets"), "{help}");
    let one = node.rpc("help", json!(["listwallets"]));
    assert!(
        one.as_str()
            .unwrap()
            .contains("Returns a list of currently loaded wallets."),
        "{one}"
    );
    assert_eq!(node.rpc("listwallets", json!([])), json!([]));
    assert_eq!(node.rpc("listwalletdir", json!([])), json!({"wallets": []}));
    let log = node.debug_log();
    assert!(log.contains("Using wallet directory "), "{log}");

    node.stop();
    wait_for("the wallet process to exit", || {
        process_gone(child).then_some(())
    });
    let log = node.debug_log();
    assert!(
        log.contains(&format!(
            "Process bitcoin-wallet pid {child} exited with status 0"
        )),
        "{log}"
    );
}

#[test]
fn disablewallet_runs_no_wallet_and_wallet_methods_are_not_found() {
    let mut node = TestNode::new();
    node.start(&[]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(child_pids(node.pid().unwrap()), Vec::<u32>::new());
    let err = node.rpc_err("listwallets", json!([]));
    assert_eq!(
        (err.code, err.message.as_str()),
        (-32601, "Method not found")
    );
    assert!(node.debug_log().contains("Wallet disabled!"));
    node.stop();
}

#[test]
fn a_killed_wallet_process_is_restarted_while_the_node_keeps_answering() {
    let mut node = TestNode::with_wallet();
    node.start(&[]);
    let mut child = only_child(&node);
    for round in 0..2 {
        // SAFETY: kill(2) on the node's child.
        unsafe {
            libc::kill(child as i32, libc::SIGKILL);
        }
        // The node answers throughout; wallet methods say why they cannot.
        let mut saw_gone = false;
        let next = wait_for("a new wallet process", || {
            assert_eq!(node.rpc("getblockcount", json!([])), json!(0));
            match node.try_rpc("listwallets", json!([])) {
                Err(Some(e)) => {
                    assert_eq!(e.code, -1);
                    assert_eq!(
                        e.message,
                        "The wallet process is not running; listwallets is not available until it is back"
                    );
                    saw_gone = true;
                    None
                }
                Ok(v) => {
                    assert_eq!(v, json!([]));
                    let now = child_pids(node.pid().unwrap());
                    match now.as_slice() {
                        [c] if *c != child => Some(*c),
                        _ => None,
                    }
                }
                Err(None) => panic!("the node stopped answering"),
            }
        });
        // The restart waits a back-off second or more: long enough to see.
        assert!(saw_gone, "round {round}: no stand-in answer seen");
        child = next;
        // Let the supervisor finish the launch (load and start follow the
        // methods' registration, so a method answering is not enough)
        // before the next kill: a kill mid-start-up is a failed launch,
        // retried later without the "restarting it in" line.
        wait_for("the restarted wallet's start-up", || {
            let restarts = node
                .debug_log()
                .matches("Wallet process restarted; reloaded 0 wallet(s)")
                .count();
            (restarts == round + 1).then_some(())
        });
    }
    let log = node.debug_log();
    assert!(
        log.contains("The wallet process exited unexpectedly; restarting it in 1s"),
        "{log}"
    );
    assert!(log.contains("restarting it in 2s"), "{log}");
    node.stop();
}

#[test]
fn walletdir_problems_stop_start_up_with_cores_errors() {
    let node = TestNode::with_wallet();
    let missing = node.datadir.join("nowhere");
    node.assert_start_raises_init_error(
        &[&format!("-walletdir={}", missing.display())],
        &format!(
            "Error: Specified -walletdir \"{}\" does not exist",
            missing.display()
        ),
    );
    let file = node.datadir.join("afile");
    std::fs::write(&file, b"x").unwrap();
    node.assert_start_raises_init_error(
        &[&format!("-walletdir={}", file.display())],
        &format!(
            "Error: Specified -walletdir \"{}\" is not a directory",
            file.display()
        ),
    );
}

#[test]
fn a_wallet_started_on_its_own_attaches_with_ipcconnect_and_detaches() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix"]);
    let err = node.rpc_err("listwallets", json!([]));
    assert_eq!(err.code, -32601);
    let mut wallet = Command::new(wallet_binary())
        .arg(format!("-datadir={}", node.datadir.display()))
        .arg("-ipcconnect=unix")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bitcoin-wallet");
    wait_for("the attached wallet's methods", || {
        node.try_rpc("listwallets", json!([])).ok()
    });
    // The node has no child: this wallet runs on its own.
    assert_eq!(child_pids(node.pid().unwrap()), Vec::<u32>::new());
    // SAFETY: kill(2) on our child.
    unsafe {
        libc::kill(wallet.id() as i32, libc::SIGTERM);
    }
    let status = wallet.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    wait_for("the methods to go", || {
        match node.try_rpc("listwallets", json!([])) {
            Err(Some(e)) if e.code == -32601 => Some(()),
            _ => None,
        }
    });
    node.stop();
}

#[test]
fn bitcoin_wallet_without_a_role_explains_itself() {
    // With no role it is the offline tool, whose usage names the roles.
    let (code, stdout, stderr) = functional::run_binary_at(&wallet_binary(), &[]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim(), "Error: too few parameters");
    assert!(stdout.contains("-ipcconnect"), "{stdout}");
    let (code, _, stderr) =
        functional::run_binary_at(&wallet_binary(), &["-ipcfd".into(), "x".into()]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim(), "Error: Invalid -ipcfd number 'x'");
}
