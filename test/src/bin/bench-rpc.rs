//! Benchmark: start-up-to-first-RPC time, `getblockcount` calls per second with
//! 1 and 4 keep-alive clients, and `generatetoaddress` blocks per second (regtest,
//! 500 blocks on a fresh chain, mock time at genesis like Core's test framework). With `--core PATH` the same runs are made against
//! that binary (e.g. Core's `bitcoind`), interleaved, and ratios are printed.
//!
//! Usage: bench-rpc [--node PATH] [--core PATH] [--rounds N] [--seconds S]

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Figures {
    startup_ms: Vec<f64>,
    calls_1: Vec<f64>,
    calls_4: Vec<f64>,
    generate_bps: Vec<f64>,
}

/// Blocks mined by `generatetoaddress` in the benchmark.
const GENERATE_BLOCKS: u64 = 500;
const ADDRESS: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";

fn generate_blocks_per_second(node: &TestNode) -> f64 {
    let genesis = node.rpc("getblockhash", serde_json::json!([0]));
    let time = node.rpc("getblockheader", serde_json::json!([genesis]))["time"].clone();
    node.rpc("setmocktime", serde_json::json!([time]));
    let started = Instant::now();
    node.rpc(
        "generatetoaddress",
        serde_json::json!([GENERATE_BLOCKS, ADDRESS]),
    );
    GENERATE_BLOCKS as f64 / started.elapsed().as_secs_f64()
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Calls `getblockcount` as fast as possible on `clients` keep-alive connections.
fn calls_per_second(node: &TestNode, clients: usize, duration: Duration) -> f64 {
    let auth = node.auth_header();
    let port = node.rpc_port;
    let body = r#"{"jsonrpc":"2.0","method":"getblockcount","id":1}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let request = request.clone();
            std::thread::spawn(move || {
                let Ok(mut conn) = functional::Conn::connect(port) else {
                    return 0u64;
                };
                let end = Instant::now() + duration;
                let mut n = 0u64;
                while Instant::now() < end {
                    if conn.send(request.as_bytes()).is_err() {
                        break;
                    }
                    match conn.recv() {
                        Ok(r) if r.status == 200 => n += 1,
                        _ => break,
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / duration.as_secs_f64()
}

fn run_once(binary: &std::path::Path, seconds: u64, figures: &mut Figures) {
    let mut node = TestNode::new();
    node.binary = binary.to_path_buf();
    let started = Instant::now();
    node.start(&[]);
    figures
        .startup_ms
        .push(started.elapsed().as_secs_f64() * 1000.0);
    figures
        .calls_1
        .push(calls_per_second(&node, 1, Duration::from_secs(seconds)));
    figures
        .calls_4
        .push(calls_per_second(&node, 4, Duration::from_secs(seconds)));
    figures.generate_bps.push(generate_blocks_per_second(&node));
    node.stop();
}

fn main() {
    let mut node_bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/release/bitcoin-node"
    ));
    let mut core_bin: Option<PathBuf> = None;
    let mut rounds = 3usize;
    let mut seconds = 3u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--node" => node_bin = args.next().map(PathBuf::from).unwrap_or(node_bin),
            "--core" => core_bin = args.next().map(PathBuf::from),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            "--seconds" => seconds = args.next().and_then(|v| v.parse().ok()).unwrap_or(seconds),
            other => {
                eprintln!("unknown argument {other}; usage: bench-rpc [--node PATH] [--core PATH] [--rounds N] [--seconds S]");
                std::process::exit(2);
            }
        }
    }
    let mut ours = Figures {
        startup_ms: vec![],
        calls_1: vec![],
        calls_4: vec![],
        generate_bps: vec![],
    };
    let mut core = Figures {
        startup_ms: vec![],
        calls_1: vec![],
        calls_4: vec![],
        generate_bps: vec![],
    };
    for _ in 0..rounds {
        run_once(&node_bin, seconds, &mut ours);
        if let Some(c) = &core_bin {
            run_once(c, seconds, &mut core);
        }
    }
    println!("medians over {rounds} rounds ({seconds} s per throughput run)");
    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "metric", "ours", "core", "ratio"
    );
    let rows = [
        (
            "startup to first RPC (ms, lower=better)",
            median(&ours.startup_ms),
            median(&core.startup_ms),
        ),
        (
            "getblockcount calls/s, 1 client",
            median(&ours.calls_1),
            median(&core.calls_1),
        ),
        (
            "getblockcount calls/s, 4 clients",
            median(&ours.calls_4),
            median(&core.calls_4),
        ),
        (
            "generatetoaddress blocks/s",
            median(&ours.generate_bps),
            median(&core.generate_bps),
        ),
    ];
    for (name, a, b) in rows {
        if core_bin.is_some() && b > 0.0 {
            println!("{name:<34} {a:>12.1} {b:>12.1} {:>8.2}", a / b);
        } else {
            println!("{name:<34} {a:>12.1} {:>12} {:>8}", "-", "-");
        }
    }
}
