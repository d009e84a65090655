//! Benchmark of the wallet through the node's RPC port (so our IPC hop to the
//! wallet process is included): `getnewaddress`, `getbalances`, `listunspent`
//! over 1000 UTXOs, `sendtoaddress`, `fundrawtransaction`,
//! `walletprocesspsbt` and `bumpfee` (calls/s with p50/p99 latency), and a
//! `rescanblockchain` of a 3000-block regtest chain holding ~4000 wallet
//! transactions (blocks/s). Our node runs twice, with one wallet process
//! (`shared`) and with `-walletprocess=per-wallet`. With `--core PATH`
//! (Core's `bitcoind` built with its wallet) the same runs are made against
//! that binary, interleaved, and ratios are printed.
//!
//! Usage: bench-wallet [--node PATH] [--core PATH] [--rounds N]

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::{Conn, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

const WALLET: &str = "bench";
/// Outputs the wallet holds for `listunspent` and coin selection.
const UTXOS: usize = 1000;
/// Height of the chain `rescanblockchain` walks.
const RESCAN_HEIGHT: u64 = 3000;
/// A regtest address outside the wallet.
const EXTERNAL: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";

/// Latencies of one method's calls, in seconds.
#[derive(Default)]
struct Calls(Vec<f64>);

impl Calls {
    fn per_second(&self) -> f64 {
        let total: f64 = self.0.iter().sum();
        if total > 0.0 {
            self.0.len() as f64 / total
        } else {
            0.0
        }
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(0.0) * 1000.0
    }
}

/// One binary's figures from one round.
#[derive(Default)]
struct Figures {
    getnewaddress: Calls,
    getbalances: Calls,
    listunspent: Calls,
    sendtoaddress: Calls,
    fundrawtransaction: Calls,
    walletprocesspsbt: Calls,
    bumpfee: Calls,
    rescan_bps: f64,
    wallet_txs: u64,
}

/// A keep-alive JSON-RPC client on the wallet's endpoint.
struct Client {
    conn: Conn,
    auth: String,
}

impl Client {
    fn new(node: &TestNode) -> Client {
        Client {
            conn: Conn::connect(node.rpc_port).expect("connect"),
            auth: node.auth_header(),
        }
    }

    /// Calls `method`; returns the result and the call's duration.
    fn call(&mut self, method: &str, params: Value) -> (Value, f64) {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let request = format!(
            "POST /wallet/{WALLET} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.auth,
            body.len()
        );
        let started = Instant::now();
        self.conn.send(request.as_bytes()).expect("send");
        let response = self.conn.recv().expect("response");
        let took = started.elapsed().as_secs_f64();
        let reply = response.json();
        if !reply["error"].is_null() {
            panic!("{method} failed: {}", reply["error"]);
        }
        (reply["result"].clone(), took)
    }

    fn timed(&mut self, method: &str, params: Value, n: usize, into: &mut Calls) -> Value {
        let mut last = Value::Null;
        for _ in 0..n {
            let (v, t) = self.call(method, params.clone());
            into.0.push(t);
            last = v;
        }
        last
    }
}

fn run_once(binary: &Path, extra: &[&str], figures: &mut Figures) {
    let mut node = TestNode::new();
    node.binary = binary.to_path_buf();
    node.wallet = true;
    let mut args = vec!["-debug=0", "-keypool=1000"];
    args.extend_from_slice(extra);
    node.start(&args);
    node.rpc("createwallet", json!([WALLET]));
    let mut client = Client::new(&node);

    client.timed("getnewaddress", json!([]), 1000, &mut figures.getnewaddress);

    // Coins: 101 coinbases to the wallet, then one transaction splitting 40
    // of them into UTXOS outputs to the wallet's own addresses.
    let (mine, _) = client.call("getnewaddress", json!([]));
    let mine = mine.as_str().expect("address").to_string();
    node.generate_to_address(140, &mine);
    let mut amounts = serde_json::Map::new();
    for _ in 0..UTXOS {
        let (a, _) = client.call("getnewaddress", json!([]));
        amounts.insert(a.as_str().expect("address").to_string(), json!(0.5));
    }
    client.call("sendmany", json!(["", amounts]));
    node.generate_to_address(1, EXTERNAL);

    client.timed("getbalances", json!([]), 200, &mut figures.getbalances);
    client.timed("listunspent", json!([]), 50, &mut figures.listunspent);
    for _ in 0..10 {
        client.timed(
            "sendtoaddress",
            json!([EXTERNAL, 0.01]),
            20,
            &mut figures.sendtoaddress,
        );
        node.generate_to_address(1, EXTERNAL);
    }

    // Funding and signing without sending: the same request each time.
    let raw = node.rpc("createrawtransaction", json!([[], [{EXTERNAL: 0.01}]]));
    client.timed(
        "fundrawtransaction",
        json!([raw]),
        50,
        &mut figures.fundrawtransaction,
    );
    let (funded, _) = client.call("walletcreatefundedpsbt", json!([[], [{EXTERNAL: 0.01}]]));
    client.timed(
        "walletprocesspsbt",
        json!([funded["psbt"]]),
        50,
        &mut figures.walletprocesspsbt,
    );
    // Each bump replaces a fresh payment.
    for _ in 0..5 {
        let mut txids = Vec::new();
        for _ in 0..10 {
            let (txid, _) = client.call("sendtoaddress", json!([EXTERNAL, 0.01]));
            txids.push(txid);
        }
        for txid in txids {
            let (_, t) = client.call("bumpfee", json!([txid]));
            figures.bumpfee.0.push(t);
        }
        node.generate_to_address(1, EXTERNAL);
    }

    // The rescan: coinbases to the wallet fill the chain up to RESCAN_HEIGHT.
    let height = node.rpc("getblockcount", json!([])).as_u64().unwrap_or(0);
    let mut left = RESCAN_HEIGHT.saturating_sub(height);
    while left > 0 {
        let n = left.min(500);
        node.generate_to_address(n as u32, &mine);
        left -= n;
    }
    let (txs, _) = client.call("getwalletinfo", json!([]));
    figures.wallet_txs = txs["txcount"].as_u64().unwrap_or(0);
    let tip = node.rpc("getblockcount", json!([])).as_u64().unwrap_or(0);
    let (_, took) = client.call("rescanblockchain", json!([]));
    figures.rescan_bps = (tip + 1) as f64 / took;
    node.stop();
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Picks one method's latencies out of a round's figures.
type Pick = fn(&Figures) -> &Calls;

fn rows(rounds: &[Figures]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let calls: [(&str, Pick); 7] = [
        ("getnewaddress", |f| &f.getnewaddress),
        ("getbalances", |f| &f.getbalances),
        ("listunspent (1000 UTXOs)", |f| &f.listunspent),
        ("sendtoaddress", |f| &f.sendtoaddress),
        ("fundrawtransaction", |f| &f.fundrawtransaction),
        ("walletprocesspsbt", |f| &f.walletprocesspsbt),
        ("bumpfee", |f| &f.bumpfee),
    ];
    for (name, get) in calls {
        let per_s: Vec<f64> = rounds.iter().map(|f| get(f).per_second()).collect();
        let p50: Vec<f64> = rounds.iter().map(|f| get(f).percentile_ms(0.5)).collect();
        let p99: Vec<f64> = rounds.iter().map(|f| get(f).percentile_ms(0.99)).collect();
        out.push((format!("{name} calls/s"), median(&per_s)));
        out.push((format!("{name} p50 ms (lower=better)"), median(&p50)));
        out.push((format!("{name} p99 ms (lower=better)"), median(&p99)));
    }
    let bps: Vec<f64> = rounds.iter().map(|f| f.rescan_bps).collect();
    out.push(("rescanblockchain blocks/s".into(), median(&bps)));
    let txs: Vec<f64> = rounds.iter().map(|f| f.wallet_txs as f64).collect();
    out.push(("wallet transactions rescanned".into(), median(&txs)));
    out
}

fn main() {
    let mut node_bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/release/bitcoin-node"
    ));
    let mut core_bin: Option<PathBuf> = None;
    let mut rounds = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--node" => node_bin = args.next().map(PathBuf::from).unwrap_or(node_bin),
            "--core" => core_bin = args.next().map(PathBuf::from),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            other => {
                eprintln!("unknown argument {other}; usage: bench-wallet [--node PATH] [--core PATH] [--rounds N]");
                std::process::exit(2);
            }
        }
    }
    let mut ours = Vec::new();
    let mut per_wallet = Vec::new();
    let mut core = Vec::new();
    for _ in 0..rounds {
        let mut f = Figures::default();
        run_once(&node_bin, &[], &mut f);
        ours.push(f);
        let mut f = Figures::default();
        run_once(&node_bin, &["-walletprocess=per-wallet"], &mut f);
        per_wallet.push(f);
        if let Some(c) = &core_bin {
            let mut f = Figures::default();
            run_once(c, &[], &mut f);
            core.push(f);
        }
    }
    println!("medians over {rounds} round(s); calls through the node's RPC port");
    println!(
        "{:<44} {:>10} {:>10} {:>10} {:>11} {:>10}",
        "metric", "shared", "per-wallet", "core", "shared/core", "per/shared"
    );
    let ours = rows(&ours);
    let per_wallet = rows(&per_wallet);
    let core = if core.is_empty() {
        Vec::new()
    } else {
        rows(&core)
    };
    for (i, (name, a)) in ours.iter().enumerate() {
        let p = per_wallet.get(i).map_or(0.0, |(_, p)| *p);
        let per_shared = if *a > 0.0 { p / a } else { 0.0 };
        match core.get(i) {
            Some((_, b)) if *b > 0.0 => println!(
                "{name:<44} {a:>10.1} {p:>10.1} {b:>10.1} {:>11.2} {per_shared:>10.2}",
                a / b
            ),
            _ => println!(
                "{name:<44} {a:>10.1} {p:>10.1} {:>10} {:>11} {per_shared:>10.2}",
                "-", "-"
            ),
        }
    }
}
