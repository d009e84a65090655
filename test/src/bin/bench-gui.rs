//! Benchmark of `bitcoin-gui` in a real window (Xvfb): time from launch to
//! the main window showing the node's tip, frame time p50/p99 of the UI
//! pass with a wallet of many transactions while blocks keep arriving (the
//! Transactions tab open), and the resident memory of the three processes.
//! With `--qt PATH` the same run is made with Core's `bitcoin-qt` on a
//! datadir and wallet Core's `bitcoind` (next to it) made: launch to the
//! wallet loaded (as both answer it over RPC), window mapped, and the peak
//! resident memory of its one process against the sum of our three.
//!
//! Usage: bench-gui [--gui PATH] [--qt PATH] [--txs N] [--seconds S]

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, tempfile as _,
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

/// A regtest node of `binary` whose wallet "bench" holds `txs` mined
/// transactions; stopped, its datadir ready for a GUI.
fn make_wallet(binary: PathBuf, txs: u64) -> TestNode {
    let mut node = TestNode::with_wallet();
    node.binary = binary;
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
    node
}

/// What one GUI run measured.
struct Run {
    mapped_ms: f64,
    wallet_ms: f64,
    peak_mib: Vec<(String, f64)>,
}

/// Runs `gui` on `node`'s datadir under Xvfb for `seconds` with a block
/// every 200 ms and the Transactions tab open; `env` is extra environment.
fn run(gui: &PathBuf, node: &TestNode, seconds: u64, env: &[(&str, String)]) -> Run {
    let x = Xvfb::start();
    let launched = Instant::now();
    let mut command = Command::new(gui);
    command
        .args([
            format!("-datadir={}", node.datadir.display()),
            "-wallet=bench".into(),
            "-server=1".into(),
        ])
        .env("DISPLAY", &x.display)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("spawn the GUI");
    let pid = child.id();
    x.window_of(pid, &node.datadir.join("none"));
    let mapped_ms = launched.elapsed().as_secs_f64() * 1e3;
    let count = wait_for("the wallet loaded", || {
        node.try_wallet_rpc("bench", "getwalletinfo", json!([]))
            .ok()
            .map(|i| i["txcount"].clone())
    });
    let wallet_ms = launched.elapsed().as_secs_f64() * 1e3;
    println!("the wallet holds {count} transactions");
    std::thread::sleep(Duration::from_secs(2));
    // The first window may have been a splash (bitcoin-qt's is its own
    // window): the main window is the one visible now.
    let window = x.window_of(pid, &node.datadir.join("none"));
    x.keys(&window, &["alt+4"]);
    // Blocks keep coming while the window draws; the peak resident memory
    // of the GUI and every process under it.
    let mut peaks: Vec<(u32, u64)> = Vec::new();
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        node.rpc("generatetoaddress", json!([1, op_true::address()]));
        let mut tree = vec![pid];
        let mut i = 0;
        while i < tree.len() {
            tree.extend(child_pids(tree[i]));
            i += 1;
        }
        for (depth, p) in tree.iter().enumerate() {
            let kib = rss_kib(*p);
            match peaks.get_mut(depth) {
                Some(slot) => slot.1 = slot.1.max(kib),
                None => peaks.push((*p, kib)),
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        x.keys(&window, &["ctrl+q"]);
        std::thread::sleep(Duration::from_millis(500));
    }
    if child.try_wait().ok().flatten().is_none() {
        // Both GUIs shut down cleanly on SIGTERM.
        // SAFETY: kill(2) with a pid we spawned and a valid signal.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
    let status = child.wait().map(|s| s.code().unwrap_or(-1)).unwrap_or(-1);
    println!("{} exited with {status}", gui.display());
    let names = ["gui", "node", "wallet"];
    Run {
        mapped_ms,
        wallet_ms,
        peak_mib: peaks
            .iter()
            .enumerate()
            .map(|(i, (_, kib))| {
                (
                    names.get(i).copied().unwrap_or("child").to_string(),
                    *kib as f64 / 1024.0,
                )
            })
            .collect(),
    }
}

fn main() {
    let gui = arg("--gui")
        .map(PathBuf::from)
        .unwrap_or_else(|| node_binary().with_file_name("bitcoin-gui"));
    let txs: u64 = arg("--txs").and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(20);

    let node = make_wallet(gui.with_file_name("bitcoin-node"), txs);
    let stats = node.datadir.join("frame-stats.txt");
    let ours = run(
        &gui,
        &node,
        seconds,
        &[("BITCOIN_GUI_FRAME_STATS", stats.display().to_string())],
    );
    println!("window mapped after {:.0} ms", ours.mapped_ms);
    println!("launch to wallet loaded (RPC) {:.0} ms", ours.wallet_ms);
    print!("{}", std::fs::read_to_string(&stats).unwrap_or_default());
    let total: f64 = ours.peak_mib.iter().map(|(_, m)| m).sum();
    let each: Vec<String> = ours
        .peak_mib
        .iter()
        .map(|(n, m)| format!("{n} {m:.1}"))
        .collect();
    println!("peak rss MiB: {} (sum {total:.1})", each.join(", "));

    let Some(qt) = arg("--qt").map(PathBuf::from) else {
        return;
    };
    let core = make_wallet(qt.with_file_name("bitcoind"), txs);
    let theirs = run(&qt, &core, seconds, &[]);
    let core_total: f64 = theirs.peak_mib.iter().map(|(_, m)| m).sum();
    println!("core: window mapped after {:.0} ms", theirs.mapped_ms);
    println!(
        "core: launch to wallet loaded (RPC) {:.0} ms",
        theirs.wallet_ms
    );
    println!("core: peak rss MiB: bitcoin-qt {core_total:.1}");
    println!(
        "ratio ours/core: launch to wallet {:.2}, peak rss {:.2}",
        ours.wallet_ms / theirs.wallet_ms,
        total / core_total
    );
}
