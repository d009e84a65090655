//! Benchmark of `bitcoin-gui` in a real window (Xvfb): time from launch to
//! the main window showing the node's tip, frame time p50/p99 of the UI
//! pass with a wallet of many transactions while blocks keep arriving (the
//! Transactions tab open), and the resident memory of the three processes.
//! No Core side: bitcoin-qt is not built here.
//!
//! Usage: bench-gui [--gui PATH] [--txs N] [--seconds S]

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use functional::xvfb::Xvfb;
use functional::{child_pids, node_binary, op_true, wait_for, TestNode};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn rss_kib(pid: u32) -> u64 {
    functional::proc_status_kib(pid, "VmRSS").unwrap_or(0)
}

fn main() {
    let gui = arg("--gui")
        .map(PathBuf::from)
        .unwrap_or_else(|| node_binary().with_file_name("bitcoin-gui"));
    let txs: u64 = arg("--txs").and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(20);

    // A wallet with `txs` transactions: that many blocks mined to it.
    let mut node = TestNode::with_wallet();
    node.binary = gui.with_file_name("bitcoin-node");
    node.start(&[]);
    node.rpc("createwallet", json!(["bench"]));
    let address = node.wallet_rpc("bench", "getnewaddress", json!([]));
    let address = address.as_str().unwrap_or_default().to_string();
    let made = Instant::now();
    let mut left = txs;
    while left > 0 {
        let n = left.min(1000);
        node.rpc("generatetoaddress", json!([n, address]));
        left -= n;
    }
    println!(
        "wallet of {txs} transactions made in {:.1}s",
        made.elapsed().as_secs_f64()
    );
    node.stop();

    let x = Xvfb::start();
    let stats = node.datadir.join("frame-stats.txt");
    let launched = Instant::now();
    let mut child = Command::new(&gui)
        .args([
            format!("-datadir={}", node.datadir.display()),
            "-wallet=bench".into(),
        ])
        .env("DISPLAY", &x.display)
        .env("BITCOIN_GUI_FRAME_STATS", &stats)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bitcoin-gui");
    let pid = child.id();
    let window = x.window_of(pid, &node.datadir.join("none"));
    println!(
        "window mapped after {:.0} ms",
        launched.elapsed().as_secs_f64() * 1e3
    );
    wait_for("the node's RPC", || {
        node.try_rpc("getblockcount", json!([])).ok()
    });
    let count = wait_for("the wallet loaded", || {
        node.try_wallet_rpc("bench", "getwalletinfo", json!([]))
            .ok()
            .map(|i| i["txcount"].clone())
    });
    println!("the wallet holds {count} transactions");
    std::thread::sleep(Duration::from_secs(2));
    x.keys(&window, &["alt+4"]);
    // Blocks keep coming while the window draws.
    let (mut gui_kib, mut node_kib, mut wallet_kib) = (0, 0, 0);
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        node.rpc("generatetoaddress", json!([1, op_true::address()]));
        let node_pid = child_pids(pid).first().copied();
        let wallet_pid = node_pid.and_then(|p| child_pids(p).first().copied());
        gui_kib = gui_kib.max(rss_kib(pid));
        node_kib = node_kib.max(node_pid.map_or(0, rss_kib));
        wallet_kib = wallet_kib.max(wallet_pid.map_or(0, rss_kib));
        std::thread::sleep(Duration::from_millis(200));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        x.keys(&window, &["ctrl+q"]);
        std::thread::sleep(Duration::from_millis(500));
    }
    let status = child.wait().map(|s| s.code().unwrap_or(-1)).unwrap_or(-1);
    println!("bitcoin-gui exited with {status}");
    print!("{}", std::fs::read_to_string(&stats).unwrap_or_default());
    println!(
        "peak rss MiB: bitcoin-gui {:.1}, bitcoin-node {:.1}, bitcoin-wallet {:.1}",
        gui_kib as f64 / 1024.0,
        node_kib as f64 / 1024.0,
        wallet_kib as f64 / 1024.0
    );
}
