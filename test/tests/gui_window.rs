//! `bitcoin-gui` in a real window under Xvfb, driven with xdotool: it
//! spawns the node, which spawns the wallet; the console runs commands
//! through the node; closing the window stops all three with status 0.
//! And two GUIs attached to one `-ipcbind` node: closing one leaves the
//! node and the other running. (`contrib/test.sh` installs Xvfb and
//! xdotool.)

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::xvfb::Xvfb;
use functional::{child_pids, node_binary, op_true, process_argv, wait_for, TestNode};
use serde_json::json;

fn gui_binary() -> PathBuf {
    node_binary().with_file_name("bitcoin-gui")
}

/// Starts `bitcoin-gui` on the display; its stderr goes to `stderr`.
fn start_gui(x: &Xvfb, args: &[String], stderr: &std::path::Path) -> Child {
    let log = std::fs::File::create(stderr).expect("stderr file");
    Command::new(gui_binary())
        .args(args)
        .env("DISPLAY", &x.display)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn bitcoin-gui")
}

/// Waits for `child` to exit; its status code.
fn exit_code(child: &mut Child, what: &str) -> i32 {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < end, "{what} did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
        || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
}

/// Does `act` until `done` holds (each try gets 5 s to show its effect);
/// fails after 60 s.
fn retry(what: &str, act: impl FnMut(), done: impl Fn() -> bool) {
    retry_every(what, Duration::from_secs(5), act, done);
}

/// [`retry`] for actions that take a while to show (a wallet being made):
/// trying again too soon would act on the window a second time.
fn retry_every(what: &str, per_try: Duration, mut act: impl FnMut(), done: impl Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(60).max(per_try * 4);
    loop {
        act();
        let tried = Instant::now();
        while tried.elapsed() < per_try {
            if done() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
    }
}

/// How many `Node.<method>` requests the node logged (`-debug=ipc`).
fn ipc_requests(node: &TestNode, method: &str) -> usize {
    ipc_calls(node, &format!("Node.{method}"))
}

/// How many `<Interface>.<method>` requests the node's log shows
/// (`-debug=ipc`; the wallet process logs to the same file).
fn ipc_calls(node: &TestNode, interface_method: &str) -> usize {
    let request = format!("{interface_method}$");
    node.debug_log()
        .lines()
        .filter(|l| l.contains("recv request") && l.contains(&request))
        .count()
}

#[test]
fn a_gui_spawns_node_and_wallet_runs_the_console_and_closes_cleanly() {
    let x = Xvfb::start();
    let node = TestNode::new();
    let mut gui = start_gui(
        &x,
        &[
            format!("-datadir={}", node.datadir.display()),
            "-debug=ipc".into(),
        ],
        &node.datadir.join("gui.stderr"),
    );
    let gui_pid = gui.id();
    let window = x.window_of(gui_pid, &node.datadir.join("gui.stderr"));
    wait_for("the node's RPC", || {
        node.try_rpc("getblockcount", json!([])).ok()
    });

    // The process tree: bitcoin-gui → bitcoin-node -ipcfd N → bitcoin-wallet -ipcfd M.
    let node_pid = wait_for("one node child", || match child_pids(gui_pid).as_slice() {
        [p] => Some(*p),
        _ => None,
    });
    let argv = process_argv(node_pid);
    assert_eq!(argv.len(), 3, "{argv:?}");
    assert!(
        argv[0].ends_with("bitcoin-node") && argv[1] == "-ipcfd",
        "{argv:?}"
    );
    let wallet_pid = wait_for("one wallet child", || {
        match child_pids(node_pid).as_slice() {
            [p] => Some(*p),
            _ => None,
        }
    });
    let argv = process_argv(wallet_pid);
    assert_eq!(argv.len(), 3, "{argv:?}");
    assert!(
        argv[0].ends_with("bitcoin-wallet") && argv[1] == "-ipcfd",
        "{argv:?}"
    );

    // The window polls once the node runs; then the console.
    wait_for("the GUI's polls", || {
        (ipc_requests(&node, "getNumBlocks") > 0).then_some(())
    });
    node.rpc("generatetoaddress", json!([3, op_true::address()]));
    // The console: Ctrl+Shift+C opens it with the keyboard on its line.
    // Keys can arrive before the frame that focuses the line (the test
    // machine may be busy), so the command is retried until it runs.
    let before = ipc_requests(&node, "executeRpc");
    retry(
        "the console's executeRpc",
        || {
            x.keys(&window, &["ctrl+shift+c"]);
            std::thread::sleep(Duration::from_millis(300));
            x.type_line(&window, "getblockcount");
        },
        || ipc_requests(&node, "executeRpc") > before,
    );
    // A command with an effect the test can see: the console mines a block.
    let count = || node.rpc("getblockcount", json!([])).as_u64().unwrap_or(0);
    retry(
        "the block the console mined",
        || {
            x.type_line(
                &window,
                &format!("generatetoaddress 1 {}", op_true::address()),
            )
        },
        || count() > 3,
    );

    x.keys(&window, &["ctrl+w"]);

    // A wallet, made in the window: Enter presses "Create a new wallet",
    // whose dialog takes the name.
    let wallets = || node.rpc("listwallets", json!([]));
    // A debug build under load can take several seconds to make a wallet.
    retry_every(
        "the wallet created in the window",
        Duration::from_secs(20),
        || {
            x.keys(&window, &["Return"]);
            std::thread::sleep(Duration::from_millis(300));
            x.type_line(&window, "guiwallet");
        },
        || wallets() == json!(["guiwallet"]),
    );
    // Receive (Alt+3): a labelled address.
    let labelled = || {
        node.try_wallet_rpc("guiwallet", "getaddressesbylabel", json!(["from-test"]))
            .ok()
            .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
    };
    retry(
        "the receiving address made in the window",
        || {
            x.keys(&window, &["alt+3", "ctrl+a"]);
            std::thread::sleep(Duration::from_millis(300));
            x.type_line(&window, "from-test");
        },
        || labelled().is_some(),
    );
    let address = labelled().unwrap_or_default();
    node.rpc("generatetoaddress", json!([101, address]));
    x.keys(&window, &["alt+1"]);
    // The send needs the mature coinbase: under load the wallet may still be
    // catching up with the blocks, and a send refused for funds shows an
    // error the retries would type over.
    wait_for("the wallet to see its mature coinbase", || {
        let balance = node
            .try_wallet_rpc("guiwallet", "getbalance", json!([]))
            .ok()?;
        (balance.as_f64()? >= 1.5).then_some(())
    });
    // Send (Alt+2): 1.5 BTC out, seen in the wallet's own list (the last
    // few entries: listing all would make the wallet ask the node about
    // every block, ten times a second).
    let sent = || {
        node.wallet_rpc("guiwallet", "listtransactions", json!(["*", 5]))
            .as_array()
            .is_some_and(|l| {
                l.iter()
                    .any(|t| t["category"] == "send" && t["amount"].as_f64() == Some(-1.5))
            })
    };
    retry_every(
        "the payment sent from the window",
        Duration::from_secs(20),
        || {
            let prepared = ipc_calls(&node, "Wallet.createTransaction");
            x.keys(&window, &["alt+2"]);
            // A busy debug build may take a while to draw the frame that
            // focuses the address; keys sent before it would land elsewhere.
            std::thread::sleep(Duration::from_millis(1000));
            // Select all first: a retry replaces what an earlier try typed.
            x.xdotool(&["key", "ctrl+a"]);
            x.xdotool(&["type", "--delay", "10", &op_true::address()]);
            std::thread::sleep(Duration::from_millis(300));
            // Past the address book button and the label to the amount;
            // Enter asks for confirmation.
            x.xdotool(&["key", "--delay", "100", "Tab", "Tab", "Tab", "ctrl+a"]);
            x.type_line(&window, "1.5");
            // Only a form the wallet was asked to fund has a confirmation to
            // answer; keys sent without one would press buttons of the form
            // (another recipient, the address book) and spoil the next try.
            let asked = Instant::now();
            while ipc_calls(&node, "Wallet.createTransaction") == prepared {
                if asked.elapsed() > Duration::from_secs(10) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // The confirmation's Send waits 3 s (longer to show under load);
            // Cancel has the keyboard.
            std::thread::sleep(Duration::from_millis(5000));
            x.keys(&window, &["shift+Tab", "Return"]);
        },
        sent,
    );
    x.keys(&window, &["alt+4"]);
    std::thread::sleep(Duration::from_secs(1));

    // Closing the window (Ctrl+Q, as File > Exit) stops all three.
    retry(
        "bitcoin-gui to close",
        || x.keys(&window, &["ctrl+q"]),
        || gone(gui_pid),
    );
    assert_eq!(exit_code(&mut gui, "bitcoin-gui"), 0);
    wait_for("node and wallet gone", || {
        (gone(node_pid) && gone(wallet_pid)).then_some(())
    });
    let log = node.debug_log();
    assert!(
        log.contains("Shutdown done"),
        "the node did not shut down cleanly"
    );
}

#[test]
fn two_guis_share_one_node_and_one_can_leave() {
    let x = Xvfb::start();
    let mut node = TestNode::with_wallet();
    node.start(&["-ipcbind=unix"]);
    let args = [
        format!("-datadir={}", node.datadir.display()),
        "-ipcconnect=unix".to_string(),
    ];
    let mut first = start_gui(&x, &args, &node.datadir.join("gui1.stderr"));
    let mut second = start_gui(&x, &args, &node.datadir.join("gui2.stderr"));
    let w1 = x.window_of(first.id(), &node.datadir.join("gui1.stderr"));
    x.window_of(second.id(), &node.datadir.join("gui2.stderr"));
    // Both poll the node.
    wait_for("both GUIs polling", || {
        (ipc_requests(&node, "getNumBlocks") > 4).then_some(())
    });

    let first_pid = first.id();
    retry(
        "the first GUI to close",
        || x.keys(&w1, &["ctrl+q"]),
        || gone(first_pid),
    );
    assert_eq!(exit_code(&mut first, "the first GUI"), 0);
    // The node goes on, and so does the other GUI.
    node.rpc("generatetoaddress", json!([1, op_true::address()]));
    let polls = ipc_requests(&node, "getNumBlocks");
    wait_for("the second GUI still polling", || {
        (ipc_requests(&node, "getNumBlocks") > polls + 2).then_some(())
    });
    assert!(
        second.try_wait().ok().flatten().is_none(),
        "the second GUI exited"
    );
    assert_eq!(node.rpc("getblockcount", json!([])), json!(1));

    let w2 = x.window_of(second.id(), &node.datadir.join("gui2.stderr"));
    let second_pid = second.id();
    retry(
        "the second GUI to close",
        || x.keys(&w2, &["ctrl+q"]),
        || gone(second_pid),
    );
    assert_eq!(exit_code(&mut second, "the second GUI"), 0);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(1));
    node.stop();
}
