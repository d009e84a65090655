//! Crash safety: a node killed with SIGKILL at random moments while it mines,
//! flushes and reorganizes restarts into a consistent chain every time: the
//! active chain links back to genesis and the UTXO set holds exactly the
//! subsidies of the active chain's blocks.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use functional::TestNode;
use serde_json::{json, Value};

const ADDR: &str = "bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka";
const ADDR_DESC: &str = "addr(bcrt1p9yfmy5h72durp7zrhlw9lf7jpwjgvwdg0jr0lqmmjtgg83266lqsekaqka)";
const ROUNDS: u32 = 8;

/// Cheap varying numbers without a RNG dependency.
fn jitter(round: u32) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos ^ round.wrapping_mul(2_654_435_761))
}

fn subsidy(height: u64) -> u64 {
    let halvings = height / 150;
    if halvings >= 64 {
        0
    } else {
        (50 * 100_000_000) >> halvings
    }
}

fn sats(v: &Value) -> u64 {
    let text = v.to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, "0"));
    let frac = format!("{frac:0<8}");
    whole.parse::<u64>().expect("amount") * 100_000_000 + frac[..8].parse::<u64>().expect("amount")
}

/// Mines, flushes (scantxoutset) and reorganizes until `stop` is set or the node dies.
fn churn(node: &TestNode, stop: &AtomicBool) {
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let ok = match i % 4 {
            0 => node
                .try_rpc("scantxoutset", json!(["start", [ADDR_DESC]]))
                .is_ok(),
            1 => {
                // Fork off two blocks back with another payee, then return.
                let height = node
                    .try_rpc("getblockcount", json!([]))
                    .ok()
                    .and_then(|v| v.as_u64());
                match height {
                    Some(h) if h > 3 => {
                        let hash = node
                            .try_rpc("getblockhash", json!([h - 1]))
                            .unwrap_or(Value::Null);
                        node.try_rpc("invalidateblock", json!([hash])).is_ok()
                            && node
                                .try_rpc("generatetodescriptor", json!([3, "raw(51)"]))
                                .is_ok()
                            && node.try_rpc("reconsiderblock", json!([hash])).is_ok()
                    }
                    _ => true,
                }
            }
            _ => node.try_rpc("generatetoaddress", json!([5, ADDR])).is_ok(),
        };
        if !ok {
            return;
        }
    }
}

fn assert_consistent(node: &TestNode) -> u64 {
    let info = node.rpc("getblockchaininfo", json!([]));
    let height = info["blocks"].as_u64().expect("blocks");
    assert!(info["headers"].as_u64().expect("headers") >= height);
    let mut expected = 0u64;
    let mut prev: Option<String> = None;
    for h in 0..=height {
        let hash = node.rpc("getblockhash", json!([h]));
        let header = node.rpc("getblockheader", json!([hash]));
        assert_eq!(header["height"], json!(h));
        assert_eq!(header.get("previousblockhash").map(|v| v.to_string()), prev);
        prev = Some(hash.to_string());
        if h > 0 {
            expected += subsidy(h);
        }
    }
    // Every block paid its subsidy to one of the two scripts and nothing was spent.
    let scan = node.rpc("scantxoutset", json!(["start", [ADDR_DESC, "raw(51)"]]));
    assert_eq!(scan["height"], json!(height));
    assert_eq!(
        sats(&scan["total_amount"]),
        expected,
        "UTXO set matches the active chain"
    );
    height
}

#[test]
fn sigkill_at_random_moments_keeps_the_chain_consistent() {
    let mut node = TestNode::new();
    node.start(&[]);
    node.rpc("generatetoaddress", json!([20, ADDR]));
    node.stop();
    let mut heights = Vec::new();
    for round in 0..ROUNDS {
        node.start(&[]);
        heights.push(assert_consistent(&node));
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let n = &node;
            let flag = &stop;
            let worker = s.spawn(move || churn(n, flag));
            std::thread::sleep(Duration::from_millis(100 + jitter(round) % 600));
            // The kill lands in the middle of whatever the worker is doing.
            crash(n);
            stop.store(true, Ordering::Relaxed);
            let _ = worker.join();
        });
        node.kill();
    }
    node.start(&[]);
    let height = assert_consistent(&node);
    heights.push(height);
    // The churn did reach the disk between crashes (flushes happen on scantxoutset).
    assert!(heights.windows(2).any(|w| w[0] != w[1]), "{heights:?}");
    let more = node.rpc("generatetoaddress", json!([2, ADDR]));
    assert_eq!(more.as_array().map(Vec::len), Some(2));
    assert_eq!(node.rpc("getblockcount", json!([])), json!(height + 2));
    node.stop();
}

/// SIGKILL without taking the process handle (the worker still holds `&node`).
fn crash(node: &TestNode) {
    node.signal(9);
}
