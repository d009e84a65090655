//! Benchmark of the IPC path: `Echo.echo` round trips (32 B and 64 KiB,
//! p50/p99) from our Rust client to a node's `-ipcbind` socket, calls per
//! second with 4 calls in flight (4 client threads, each with its own server
//! worker), and a raw socketpair ping-pong as the physical floor. With
//! `--core PATH` the same runs go against that binary (e.g. Core's
//! `bitcoin-node`), interleaved round by round, and ratios are printed.
//!
//! Usage: bench-ipc [--node PATH] [--core PATH] [--rounds N] [--calls N] [--seconds S]

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, libc as _, serde_json as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use interfaces::echo::Echo;
use interfaces::init::Init;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Figures {
    small: Vec<f64>,
    large: Vec<f64>,
    parallel: Vec<f64>,
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

/// Round-trip times in microseconds of `calls` echoes of `size` bytes.
fn latencies(echo: &dyn Echo, size: usize, calls: usize) -> Vec<f64> {
    let text = "a".repeat(size);
    let mut out = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        let r = echo.echo(&text).expect("echo");
        out.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(r.len(), size);
    }
    out
}

/// Echo calls per second with 4 client threads.
fn parallel(echo: Arc<dyn Echo>, seconds: f64) -> f64 {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let e = echo.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < end {
                    e.echo("ping").expect("echo");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = hs.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / seconds
}

/// One round against a node binary.
fn round(binary: &std::path::Path, calls: usize, seconds: f64, f: &mut Figures) {
    let mut node = TestNode::new();
    node.binary = binary.to_path_buf();
    // The harness turns on every debug category; IPC logging is not what is measured.
    node.start(&["-ipcbind=unix", "-debugexclude=ipc"]);
    let sock = node.chain_path().join("node.sock");
    let ipc = ipc::Ipc::new("bench-ipc").expect("ipc");
    let init = ipc
        .connect_stream(std::os::unix::net::UnixStream::connect(&sock).expect("connect"))
        .expect("init");
    let echo: Arc<dyn Echo> = Arc::from(init.make_echo().expect("makeEcho").expect("echo"));
    latencies(&*echo, 32, 50); // warm-up
    f.small.extend(latencies(&*echo, 32, calls));
    f.large.extend(latencies(&*echo, 64 * 1024, calls / 4));
    f.parallel.push(parallel(echo.clone(), seconds));
    drop(echo);
    drop(init);
    drop(ipc);
    node.stop();
}

/// Round-trip times (µs) of 32-byte ping-pongs over a socketpair between two threads.
fn socketpair_floor(n: usize) -> Vec<f64> {
    let (mut a, mut b) = std::os::unix::net::UnixStream::pair().expect("pair");
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 32];
        for _ in 0..n {
            if b.read_exact(&mut buf).is_err() || b.write_all(&buf).is_err() {
                break;
            }
        }
    });
    let mut buf = [7u8; 32];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let s = Instant::now();
        a.write_all(&buf).expect("write");
        a.read_exact(&mut buf).expect("read");
        out.push(s.elapsed().as_secs_f64() * 1e6);
    }
    let _ = t.join();
    out
}

fn print(name: &str, f: &mut Figures) -> (f64, f64, f64, f64, f64) {
    let s50 = percentile(&mut f.small, 0.5);
    let s99 = percentile(&mut f.small, 0.99);
    let l50 = percentile(&mut f.large, 0.5);
    let l99 = percentile(&mut f.large, 0.99);
    let par = percentile(&mut f.parallel, 0.5);
    println!("{name}: Echo.echo 32 B   p50 {s50:.1} µs  p99 {s99:.1} µs");
    println!("{name}: Echo.echo 64 KiB p50 {l50:.1} µs  p99 {l99:.1} µs");
    println!("{name}: Echo.echo, 4 in flight: {par:.0} calls/s");
    (s50, s99, l50, l99, par)
}

fn main() {
    let mut node = functional::node_binary();
    let mut core: Option<PathBuf> = None;
    let (mut rounds, mut calls, mut seconds) = (3usize, 2000usize, 2.0f64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next();
        match (a.as_str(), v) {
            ("--node", Some(v)) => node = PathBuf::from(v),
            ("--core", Some(v)) => core = Some(PathBuf::from(v)),
            ("--rounds", Some(v)) => rounds = v.parse().unwrap_or(rounds),
            ("--calls", Some(v)) => calls = v.parse().unwrap_or(calls),
            ("--seconds", Some(v)) => seconds = v.parse().unwrap_or(seconds),
            _ => {
                eprintln!("usage: bench-ipc [--node PATH] [--core PATH] [--rounds N] [--calls N] [--seconds S]");
                std::process::exit(2);
            }
        }
    }
    let mut ours = Figures::default();
    let mut theirs = Figures::default();
    for _ in 0..rounds {
        round(&node, calls, seconds, &mut ours);
        if let Some(c) = &core {
            round(c, calls, seconds, &mut theirs);
        }
    }
    let mut floor = socketpair_floor(calls * 5);
    println!(
        "socketpair ping-pong 32 B: p50 {:.1} µs  p99 {:.1} µs",
        percentile(&mut floor, 0.5),
        percentile(&mut floor, 0.99)
    );
    let a = print("ours", &mut ours);
    if core.is_some() {
        let b = print("core", &mut theirs);
        println!(
            "ours/core: 32 B p50 {:.2}, 64 KiB p50 {:.2}, calls/s {:.2}",
            a.0 / b.0,
            a.2 / b.2,
            a.4 / b.4
        );
    }
}
