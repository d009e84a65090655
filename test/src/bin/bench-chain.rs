//! Benchmark: connecting a regtest chain full of transactions from block
//! files. The chain (`--blocks` blocks after 100 of coinbase maturity, up to
//! `--txs` transactions each, all spending bare `OP_TRUE` outputs so that no
//! signatures are needed) is built once with our node and written as a
//! bootstrap file. Each node binary then
//! - imports it into a fresh datadir with `-loadblock` (blocks are checked,
//!   written to its block files and connected), and
//! - rebuilds everything from its own block files with `-reindex`;
//!
//! both timed from process start until `getmempoolinfo` reports `loaded`,
//! with the process's peak resident memory at that point.
//! With `--core PATH` Core's `bitcoind` runs the same steps, interleaved, and
//! ratios are printed.
//!
//! Usage: bench-chain [--node PATH] [--core PATH] [--blocks N] [--txs M] [--rounds R] [--save FILE]
//!
//! `--save FILE` keeps a copy of the bootstrap file (e.g. to profile an import).

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, interfaces as _, ipc as _, libc as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::absolute::LockTime;
use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::transaction::Version;
use bitcoin::{Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use functional::TestNode;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Bare `OP_TRUE`: spendable with an empty scriptSig.
const OP_TRUE: &str = "raw(51)";
/// Fee per transaction.
const FEE: u64 = 1_000;
/// Regtest network magic, as block files and bootstrap files start each block.
const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// A transaction splitting `coin` into two `OP_TRUE` outputs.
fn split(coin: (OutPoint, u64)) -> Transaction {
    let half = (coin.1 - FEE) / 2;
    let out = TxOut {
        value: Amount::from_sat(half),
        script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
    };
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coin.0,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![out.clone(), out],
    }
}

fn block_at(node: &TestNode, height: u64) -> Block {
    let hash = node.rpc("getblockhash", json!([height]));
    let hex = node.rpc("getblock", json!([hash, 0]));
    let raw = hex::decode(hex.as_str().unwrap_or_default()).expect("block hex");
    deserialize(&raw).expect("block")
}

/// Builds the chain with `binary` and writes it to `file`; returns (blocks, txs).
fn build_chain(binary: &Path, blocks: u64, txs_per_block: usize, file: &Path) -> (u64, u64) {
    let mut node = TestNode::new();
    node.binary = binary.to_path_buf();
    node.start(&["-debug=0"]);
    let genesis = node.rpc("getblockhash", json!([0]));
    let time = node.rpc("getblockheader", json!([genesis]))["time"].clone();
    node.rpc("setmocktime", json!([time]));
    node.rpc("generatetodescriptor", json!([100, OP_TRUE]));
    let mut coins: Vec<(OutPoint, u64)> = Vec::new();
    let mut txs = 0u64;
    for height in 1..=blocks {
        // The coinbase that just matured joins the spendable coins.
        let cb = &block_at(&node, height).txdata[0];
        coins.push((
            OutPoint::new(cb.compute_txid(), 0),
            cb.output[0].value.to_sat(),
        ));
        let take = coins.len().min(txs_per_block);
        let spent: Vec<(OutPoint, u64)> = coins.drain(..take).collect();
        let block_txs: Vec<Transaction> = spent
            .into_iter()
            .filter(|c| c.1 > 2 * FEE + 1_000)
            .map(split)
            .collect();
        for tx in &block_txs {
            let txid = tx.compute_txid();
            coins.push((OutPoint::new(txid, 0), tx.output[0].value.to_sat()));
            coins.push((OutPoint::new(txid, 1), tx.output[1].value.to_sat()));
        }
        txs += block_txs.len() as u64;
        let hexes: Vec<String> = block_txs.iter().map(serialize_hex).collect();
        node.rpc("generateblock", json!([OP_TRUE, hexes]));
    }
    let tip = node.rpc("getblockcount", json!([])).as_u64().unwrap_or(0);
    let mut out = Vec::new();
    for h in 0..=tip {
        let hash = node.rpc("getblockhash", json!([h]));
        let raw = hex::decode(
            node.rpc("getblock", json!([hash, 0]))
                .as_str()
                .unwrap_or_default(),
        )
        .expect("block hex");
        out.extend_from_slice(&REGTEST_MAGIC);
        out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&raw);
    }
    node.stop();
    std::fs::write(file, out).expect("write bootstrap file");
    (tip, txs + tip + 1)
}

/// Seconds for `-loadblock` and then `-reindex` of the chain in `file`.
/// One import and one reindex: seconds to loaded, and peak memory (MiB).
struct Run {
    loadblock: f64,
    reindex: f64,
    loadblock_mib: f64,
    reindex_mib: f64,
}

fn run_once(binary: &Path, file: &Path, tip: u64) -> Run {
    let mut node = TestNode::new();
    node.binary = binary.to_path_buf();
    let mib = |n: &TestNode| n.peak_rss_kib().unwrap_or(0) as f64 / 1024.0;
    let load = format!("-loadblock={}", file.display());
    let started = Instant::now();
    node.start(&["-debug=0", &load]);
    let loadblock = started.elapsed().as_secs_f64();
    assert_eq!(
        node.rpc("getblockcount", json!([])),
        json!(tip),
        "-loadblock"
    );
    let loadblock_mib = mib(&node);
    node.stop();
    let started = Instant::now();
    node.start(&["-debug=0", "-reindex"]);
    let reindex = started.elapsed().as_secs_f64();
    assert_eq!(node.rpc("getblockcount", json!([])), json!(tip), "-reindex");
    let reindex_mib = mib(&node);
    node.stop();
    Run {
        loadblock,
        reindex,
        loadblock_mib,
        reindex_mib,
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let mut node_bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/release/bitcoin-node"
    ));
    let mut core_bin: Option<PathBuf> = None;
    let (mut blocks, mut txs, mut rounds) = (200u64, 500usize, 3usize);
    let mut save: Option<PathBuf> = None;
    let usage =
        "usage: bench-chain [--node PATH] [--core PATH] [--blocks N] [--txs M] [--rounds R] [--save FILE]";
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--node", Some(v)) => node_bin = PathBuf::from(v),
            ("--core", Some(v)) => core_bin = Some(PathBuf::from(v)),
            ("--blocks", Some(v)) => blocks = v.parse().unwrap_or(blocks),
            ("--txs", Some(v)) => txs = v.parse().unwrap_or(txs),
            ("--rounds", Some(v)) => rounds = v.parse().unwrap_or(rounds),
            ("--save", Some(v)) => save = Some(PathBuf::from(v)),
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bootstrap.dat");
    let (tip, total_txs) = build_chain(&node_bin, blocks, txs, &file);
    if let Some(dest) = &save {
        std::fs::copy(&file, dest).expect("copy bootstrap file");
    }
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "chain: {} blocks, {total_txs} transactions, {:.1} MiB",
        tip + 1,
        size as f64 / 1048576.0
    );
    let (mut ours, mut core): (Vec<Run>, Vec<Run>) = (vec![], vec![]);
    for _ in 0..rounds {
        ours.push(run_once(&node_bin, &file, tip));
        if let Some(c) = &core_bin {
            core.push(run_once(c, &file, tip));
        }
    }
    let med = |runs: &[Run], f: fn(&Run) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    println!("medians over {rounds} rounds, from process start to loaded");
    println!(
        "{:<28} {:>12} {:>12} {:>8}",
        "metric", "ours", "core", "ratio"
    );
    for (name, a, b) in [
        (
            "-loadblock",
            med(&ours, |r| r.loadblock),
            med(&core, |r| r.loadblock),
        ),
        (
            "-reindex",
            med(&ours, |r| r.reindex),
            med(&core, |r| r.reindex),
        ),
    ] {
        for (unit, count) in [("blocks/s", (tip + 1) as f64), ("txs/s", total_txs as f64)] {
            let label = format!("{name} {unit}");
            let (ra, rb) = (count / a, if b > 0.0 { count / b } else { 0.0 });
            if rb > 0.0 {
                println!("{label:<28} {ra:>12.1} {rb:>12.1} {:>8.2}", ra / rb);
            } else {
                println!("{label:<28} {ra:>12.1} {:>12} {:>8}", "-", "-");
            }
        }
    }
    // Memory: lower is better, so the ratio is ours / Core's.
    for (name, a, b) in [
        (
            "-loadblock peak RSS MiB",
            med(&ours, |r| r.loadblock_mib),
            med(&core, |r| r.loadblock_mib),
        ),
        (
            "-reindex peak RSS MiB",
            med(&ours, |r| r.reindex_mib),
            med(&core, |r| r.reindex_mib),
        ),
    ] {
        if b > 0.0 {
            println!("{name:<28} {a:>12.1} {b:>12.1} {:>8.2}", a / b);
        } else {
            println!("{name:<28} {a:>12.1} {:>12} {:>8}", "-", "-");
        }
    }
}
