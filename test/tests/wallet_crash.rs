//! Crash safety of the wallet process: it is SIGKILLed 20 times at random
//! moments while payments arrive (outside coins paying fresh wallet
//! addresses, some mined, some left in the mempool) and leave
//! (`sendtoaddress`/`sendmany` to outside addresses and to itself). The node
//! answers RPC throughout and respawns the process, which reloads the
//! wallet; after each restart the wallet's balances and transaction list
//! equal a recomputation from the chain alone (the wallet's scripts derived
//! from its public descriptors with `deriveaddresses`, every block walked
//! with `getblock … 2`): nothing missing, nothing doubled, and every
//! transaction the wallet acknowledged is in it.
//!
//! The node runs with `-test=fastwalletrestart` (the restart back-off
//! divided by 40) so twenty quick deaths fit in a short run. The random
//! moments come from a seeded generator; the seed is printed, and
//! `WALLET_CRASH_SEED=<n>` replays it.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, hex as _, interfaces as _, ipc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::{Address, Amount, Network, OutPoint, ScriptBuf, TxOut};
use consensus::test_support::spend_one;
use functional::{child_pids, op_true, RpcError, TestNode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const WALLET: &str = "w";
const KILLS: u32 = 20;
/// Coinbase outputs mature after this many confirmations on top.
const COINBASE_MATURITY: u64 = 100;
/// What "answers at once" means for a debug build on a busy machine: far
/// below the 60 s an HTTP call waits before the test calls it hung.
const PROMPT: Duration = Duration::from_secs(10);

/// splitmix64: a small seeded generator, enough for random moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// An RPC amount (a JSON number of BTC, kept exact by
/// `arbitrary_precision`) in satoshis.
fn sats(v: &Value) -> i64 {
    let text = v.to_string();
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(frac.len() <= 8, "amount {text}");
    let n =
        whole.parse::<i64>().unwrap() * 100_000_000 + format!("{frac:0<8}").parse::<i64>().unwrap();
    if neg {
        -n
    } else {
        n
    }
}

fn btc(sat: u64) -> Value {
    let text = format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000);
    serde_json::from_str(&text).unwrap()
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `err` is what a wallet method answers while the wallet process
/// is gone (-1, "not running") or back but still reloading the wallet (-18).
fn wallet_down(err: &Option<RpcError>) -> bool {
    match err {
        Some(e) if e.code == -1 => e.message.starts_with("The wallet process is not running; "),
        Some(e) => e.code == -18,
        None => false,
    }
}

/// The only child of the node: the wallet process.
fn wallet_child(node: &TestNode) -> u32 {
    let pid = node.pid().expect("node running");
    wait_for("one wallet child", || match child_pids(pid).as_slice() {
        [child] => Some(*child),
        _ => None,
    })
}

fn script_of(address: &str) -> ScriptBuf {
    address
        .parse::<Address<_>>()
        .unwrap()
        .require_network(Network::Regtest)
        .unwrap()
        .script_pubkey()
}

/// State shared by the main thread and the payment thread.
struct Shared {
    node: TestNode,
    /// Held by the payment thread during each payment; the main thread
    /// takes it to pause payments while it checks.
    gate: Mutex<()>,
    stop: AtomicBool,
    /// Txids the wallet acknowledged (`sendtoaddress`/`sendmany` answered).
    acknowledged: Mutex<Vec<String>>,
    /// Outside payments to the wallet that the node accepted.
    arrived: Mutex<Vec<String>>,
    /// Addresses the wallet handed out.
    handed_out: Mutex<BTreeSet<String>>,
    /// Wallet calls answered "not running" or -18 while it was away.
    refused: AtomicU64,
    blocks_mined: AtomicU64,
}

impl Shared {
    /// A wallet method; `None` while the wallet is away, panics on any
    /// other error.
    fn wallet(&self, method: &str, params: Value) -> Option<Value> {
        let asked = Instant::now();
        match self.node.try_wallet_rpc(WALLET, method, params) {
            Ok(v) => Some(v),
            Err(e) if wallet_down(&e) => {
                // The stand-in answers at once; a call in flight when the
                // process died ends with its connection.
                let waited = asked.elapsed();
                assert!(
                    waited < PROMPT,
                    "{method} took {waited:?} to say the wallet is away"
                );
                self.refused.fetch_add(1, Ordering::SeqCst);
                None
            }
            Err(e) => panic!("{method} on the wallet failed: {e:?}"),
        }
    }

    fn new_address(&self, method: &str) -> Option<String> {
        let a = self.wallet(method, json!([]))?;
        let a = a.as_str().expect("address").to_string();
        self.handed_out.lock().unwrap().insert(a.clone());
        Some(a)
    }

    fn lock<'a, T>(&self, m: &'a Mutex<T>) -> MutexGuard<'a, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The payment thread: payments arrive and leave until `stop`.
fn payments(shared: &Shared, seed: u64, mut coins: VecDeque<(OutPoint, u64)>) {
    let mut rng = Rng(seed ^ 0x5eed);
    let outside = op_true::address();
    // Addresses fetched while the wallet answered, paid while it may not.
    let mut addresses: VecDeque<String> = VecDeque::new();
    while !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(rng.range(5, 40)));
        let _gate = shared.lock(&shared.gate);
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let node = &shared.node;
        match rng.range(0, 9) {
            // An outside coin pays the wallet; the rest goes back outside.
            0..=3 => {
                let Some(address) = addresses.pop_front() else {
                    continue;
                };
                let (prev, value) = coins.pop_front().expect("outside coins");
                let amount = rng.range(10_000_000, 300_000_000).min(value / 2);
                let fee = 5_000;
                let mut tx = spend_one(prev, Amount::from_sat(amount), script_of(&address));
                tx.input[0].witness.push(op_true::script().as_bytes());
                tx.output.push(TxOut {
                    value: Amount::from_sat(value - amount - fee),
                    script_pubkey: script_of(&outside),
                });
                let hex = bitcoin::consensus::encode::serialize_hex(&tx);
                let txid = node.rpc("sendrawtransaction", json!([hex]));
                let txid = txid.as_str().expect("txid").to_string();
                assert_eq!(txid, tx.compute_txid().to_string());
                shared.lock(&shared.arrived).push(txid);
                coins.push_back((OutPoint::new(tx.compute_txid(), 1), value - amount - fee));
            }
            // The wallet pays outside.
            4..=5 => {
                let amount = btc(rng.range(1_000_000, 100_000_000));
                if let Some(txid) = shared.wallet("sendtoaddress", json!([outside, amount])) {
                    let txid = txid.as_str().expect("txid").to_string();
                    shared.lock(&shared.acknowledged).push(txid);
                }
            }
            // The wallet pays itself.
            6..=7 => {
                let Some(to) = shared.new_address("getnewaddress") else {
                    continue;
                };
                let amount = btc(rng.range(1_000_000, 100_000_000));
                if let Some(txid) = shared.wallet("sendtoaddress", json!([to, amount])) {
                    let txid = txid.as_str().expect("txid").to_string();
                    shared.lock(&shared.acknowledged).push(txid);
                }
            }
            // Both at once.
            8 => {
                let Some(to) = shared.new_address("getnewaddress") else {
                    continue;
                };
                let outputs = json!({
                    outside.clone(): btc(rng.range(1_000_000, 50_000_000)),
                    to: btc(rng.range(1_000_000, 50_000_000)),
                });
                if let Some(txid) = shared.wallet("sendmany", json!(["", outputs])) {
                    let txid = txid.as_str().expect("txid").to_string();
                    shared.lock(&shared.acknowledged).push(txid);
                }
            }
            // A block confirms what is pending, wallet up or not.
            _ => {
                op_true::generate(node, 1);
                shared.blocks_mined.fetch_add(1, Ordering::SeqCst);
            }
        }
        // Keep a few addresses in stock, one in four a change address
        // (outside payments to it are receipts too).
        while addresses.len() < 4 {
            let method = if rng.range(0, 3) == 0 {
                "getrawchangeaddress"
            } else {
                "getnewaddress"
            };
            match shared.new_address(method) {
                Some(a) => addresses.push_back(a),
                None => break,
            }
        }
    }
}

/// One transaction of the chain or the mempool, as far as the check needs it.
struct ChainTx {
    txid: String,
    /// `None` in the mempool.
    height: Option<u64>,
    coinbase: bool,
    inputs: Vec<(String, u32)>,
    /// (address if standard, satoshis).
    outputs: Vec<(Option<String>, i64)>,
}

impl ChainTx {
    /// From a decoded transaction (`getblock … 2`, `getrawtransaction … 1`).
    fn parse(tx: &Value, height: Option<u64>) -> ChainTx {
        let coinbase = tx["vin"][0].get("coinbase").is_some();
        let inputs = if coinbase {
            Vec::new()
        } else {
            tx["vin"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["txid"].as_str().unwrap().to_string(),
                        i["vout"].as_u64().unwrap() as u32,
                    )
                })
                .collect()
        };
        let outputs = tx["vout"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["scriptPubKey"]["address"].as_str().map(str::to_string),
                    sats(&o["value"]),
                )
            })
            .collect();
        ChainTx {
            txid: tx["txid"].as_str().unwrap().to_string(),
            height,
            coinbase,
            inputs,
            outputs,
        }
    }
}

/// An output: (address, satoshis, coinbase, height; `None` in the mempool).
type Output = (Option<String>, i64, bool, Option<u64>);

/// The chain as walked block by block with `getblock … 2`.
#[derive(Default)]
struct ChainModel {
    hashes: Vec<String>,
    txs: Vec<ChainTx>,
    outputs: HashMap<(String, u32), Output>,
    spent: BTreeSet<(String, u32)>,
}

impl ChainModel {
    /// Walks the blocks added since the last call (panics on a reorg: the
    /// test mines on one node only).
    fn sync(&mut self, node: &TestNode) {
        let tip = node.rpc("getblockcount", json!([])).as_u64().unwrap();
        if let Some(last) = self.hashes.last() {
            let height = self.hashes.len() - 1;
            assert_eq!(
                node.rpc("getblockhash", json!([height])).as_str().unwrap(),
                last,
                "the chain reorganized"
            );
        }
        for height in self.hashes.len() as u64..=tip {
            let hash = node.rpc("getblockhash", json!([height]));
            let hash = hash.as_str().unwrap().to_string();
            let block = node.rpc("getblock", json!([hash, 2]));
            for tx in block["tx"].as_array().unwrap() {
                let tx = ChainTx::parse(tx, Some(height));
                for input in &tx.inputs {
                    assert!(
                        self.outputs.contains_key(input),
                        "{} spends unknown {input:?}",
                        tx.txid
                    );
                    assert!(self.spent.insert(input.clone()), "{input:?} spent twice");
                }
                for (n, (address, value)) in tx.outputs.iter().enumerate() {
                    self.outputs.insert(
                        (tx.txid.clone(), n as u32),
                        (address.clone(), *value, tx.coinbase, Some(height)),
                    );
                }
                self.txs.push(tx);
            }
            self.hashes.push(hash);
        }
    }

    fn tip_height(&self) -> u64 {
        self.hashes.len() as u64 - 1
    }

    fn mature(&self, height: u64) -> bool {
        self.tip_height() - height >= COINBASE_MATURITY
    }
}

/// The mempool's transactions now.
fn mempool(node: &TestNode) -> Vec<ChainTx> {
    node.rpc("getrawmempool", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|txid| {
            // A transaction can leave between the two calls only if a block
            // came; the caller retries then.
            let tx = node.try_rpc("getrawtransaction", json!([txid, 1])).ok()?;
            Some(ChainTx::parse(&tx, None))
        })
        .collect()
}

/// The wallet's scripts, derived by the node from the wallet's public
/// descriptors: address → internal (change).
#[derive(Default)]
struct WalletScripts {
    /// Per descriptor: whether internal, and the addresses of indexes 0….
    derived: BTreeMap<String, (bool, Vec<String>)>,
}

/// Indexes derived beyond the furthest the wallet reports using.
const DERIVE_MARGIN: u64 = 100;

impl WalletScripts {
    fn sync(&mut self, node: &TestNode) -> HashMap<String, bool> {
        let listed = node.wallet_rpc(WALLET, "listdescriptors", json!([]));
        let descriptors = listed["descriptors"].as_array().unwrap();
        assert_eq!(descriptors.len(), 8, "{listed}");
        if !self.derived.is_empty() {
            let now: BTreeSet<&str> = descriptors
                .iter()
                .map(|d| d["desc"].as_str().unwrap())
                .collect();
            let before: BTreeSet<&str> = self.derived.keys().map(String::as_str).collect();
            assert_eq!(now, before, "the wallet's descriptors changed");
        }
        for d in descriptors {
            let desc = d["desc"].as_str().unwrap().to_string();
            let internal = d["internal"].as_bool().unwrap();
            let used = d["next_index"]
                .as_u64()
                .unwrap()
                .max(d["range"][1].as_u64().unwrap());
            let want = used + DERIVE_MARGIN;
            let entry = self
                .derived
                .entry(desc.clone())
                .or_insert((internal, Vec::new()));
            let have = entry.1.len() as u64;
            if have <= want {
                let more = node.rpc("deriveaddresses", json!([desc, [have, want]]));
                entry.1.extend(
                    more.as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string()),
                );
            }
        }
        self.derived
            .values()
            .flat_map(|(internal, addrs)| addrs.iter().map(move |a| (a.clone(), *internal)))
            .collect()
    }
}

/// A listtransactions entry reduced to what the chain determines: txid,
/// category, vout, amount in satoshis, and whether confirmed (1), in the
/// mempool (0) or conflicted (-1).
type Entry = (String, String, u32, i64, i8);

/// What the chain and the mempool say the wallet holds.
#[derive(Debug, PartialEq)]
struct Expected {
    /// getbalances' `mine`: trusted, untrusted_pending, immature (satoshis).
    balances: (i64, i64, i64),
    /// listtransactions, sorted.
    entries: Vec<Entry>,
    /// listunspent (confirmed, spendable), sorted.
    unspent: Vec<(String, u32)>,
}

/// Core's rules applied to the chain and mempool alone: an output is the
/// wallet's when its address derives from the wallet's descriptors; spent
/// when a block or mempool transaction spends it; a mempool transaction is
/// trusted when every input is the wallet's and its parents are trusted
/// (`CachedTxIsTrusted`); a sending transaction lists every output but
/// change as "send", and outputs to the wallet as received
/// (`CachedTxGetAmounts`, change being an output to an internal script).
fn expected(chain: &ChainModel, pool: &[ChainTx], mine: &HashMap<String, bool>) -> Expected {
    let is_mine = |a: &Option<String>| a.as_ref().and_then(|a| mine.get(a).copied());
    let mut outputs: HashMap<(String, u32), Output> = chain.outputs.clone();
    let mut spent = chain.spent.clone();
    for tx in pool {
        for (n, (address, value)) in tx.outputs.iter().enumerate() {
            outputs.insert(
                (tx.txid.clone(), n as u32),
                (address.clone(), *value, false, None),
            );
        }
        spent.extend(tx.inputs.iter().cloned());
    }
    let pool_txs: HashMap<&str, &ChainTx> = pool.iter().map(|t| (t.txid.as_str(), t)).collect();
    fn trusted(
        txid: &str,
        pool_txs: &HashMap<&str, &ChainTx>,
        outputs: &HashMap<(String, u32), Output>,
        is_mine: &dyn Fn(&Option<String>) -> Option<bool>,
    ) -> bool {
        let Some(tx) = pool_txs.get(txid) else {
            // Confirmed.
            return true;
        };
        !tx.inputs.is_empty()
            && tx.inputs.iter().all(|i| {
                outputs.get(i).is_some_and(|o| is_mine(&o.0).is_some())
                    && trusted(&i.0, pool_txs, outputs, is_mine)
            })
    }

    let (mut trusted_sum, mut pending, mut immature) = (0, 0, 0);
    let mut unspent = Vec::new();
    for (outpoint, (address, value, coinbase, height)) in &outputs {
        if is_mine(address).is_none() || spent.contains(outpoint) {
            continue;
        }
        match height {
            Some(h) if *coinbase && !chain.mature(*h) => immature += value,
            Some(_) => {
                trusted_sum += value;
                unspent.push(outpoint.clone());
            }
            None if trusted(&outpoint.0, &pool_txs, &outputs, &is_mine) => trusted_sum += value,
            None => pending += value,
        }
    }
    unspent.sort();

    let mut entries = Vec::new();
    for tx in chain.txs.iter().chain(pool) {
        let status = i8::from(tx.height.is_some());
        let from_me = tx.inputs.iter().any(|i| is_mine(&outputs[i].0).is_some());
        for (n, (address, value)) in tx.outputs.iter().enumerate() {
            let ours = is_mine(address);
            if from_me {
                if ours == Some(true) {
                    continue;
                }
                entries.push((tx.txid.clone(), "send".into(), n as u32, -value, status));
            }
            if ours.is_some() {
                let category = match (tx.coinbase, tx.height.map(|h| chain.mature(h))) {
                    (true, Some(true)) => "generate",
                    (true, _) => "immature",
                    (false, _) => "receive",
                };
                entries.push((tx.txid.clone(), category.into(), n as u32, *value, status));
            }
        }
    }
    entries.sort();
    Expected {
        balances: (trusted_sum, pending, immature),
        entries,
        unspent,
    }
}

/// What the wallet says, in the terms of [`Expected`].
fn wallet_view(shared: &Shared) -> Option<Expected> {
    let b = shared.wallet("getbalances", json!([]))?;
    let balances = (
        sats(&b["mine"]["trusted"]),
        sats(&b["mine"]["untrusted_pending"]),
        sats(&b["mine"]["immature"]),
    );
    let list = shared.wallet("listtransactions", json!(["*", 100000]))?;
    let mut entries: Vec<Entry> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["txid"].as_str().unwrap().to_string(),
                e["category"].as_str().unwrap().to_string(),
                e["vout"].as_u64().unwrap() as u32,
                sats(&e["amount"]),
                e["confirmations"].as_i64().unwrap().signum() as i8,
            )
        })
        .collect();
    entries.sort();
    let listed = shared.wallet("listunspent", json!([]))?;
    let mut unspent: Vec<(String, u32)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["txid"].as_str().unwrap().to_string(),
                u["vout"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    unspent.sort();
    Some(Expected {
        balances,
        entries,
        unspent,
    })
}

/// What differs between the chain's account and the wallet's.
fn differences(want: &Expected, got: &Expected) -> String {
    let mut missing = want.entries.clone();
    let mut extra = Vec::new();
    for e in &got.entries {
        match missing.iter().position(|m| m == e) {
            Some(i) => {
                missing.remove(i);
            }
            None => extra.push(e.clone()),
        }
    }
    let unspent_missing: Vec<_> = want
        .unspent
        .iter()
        .filter(|u| !got.unspent.contains(u))
        .collect();
    let unspent_extra: Vec<_> = got
        .unspent
        .iter()
        .filter(|u| !want.unspent.contains(u))
        .collect();
    format!(
        "(trusted, untrusted_pending, immature): chain {:?}, wallet {:?}\nlisttransactions entries missing from the wallet: {missing:#?}\nin the wallet but not the chain or mempool (or doubled): {extra:#?}\nlistunspent missing: {unspent_missing:?}, extra: {unspent_extra:?}",
        want.balances, got.balances
    )
}

/// Waits (up to 30 s: the wallet hears of blocks and mempool transactions
/// asynchronously) until the wallet's account equals the chain's and the
/// mempool's; returns the number of entries.
fn compare(
    shared: &Shared,
    chain: &mut ChainModel,
    scripts: &mut WalletScripts,
    what: &str,
) -> usize {
    let node = &shared.node;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tip = node.rpc("getbestblockhash", json!([]));
        let processed = shared
            .wallet("getbalances", json!([]))
            .is_some_and(|b| b["lastprocessedblock"]["hash"] == tip);
        if processed {
            chain.sync(node);
            let pool = mempool(node);
            let mine = scripts.sync(node);
            let handed_out = shared.lock(&shared.handed_out).clone();
            for a in &handed_out {
                assert!(
                    mine.contains_key(a),
                    "{what}: {a} from the wallet is not derived from its descriptors"
                );
            }
            let want = expected(chain, &pool, &mine);
            let got = wallet_view(shared);
            let settled = node.rpc("getbestblockhash", json!([])) == tip
                && node
                    .rpc("getrawmempool", json!([]))
                    .as_array()
                    .unwrap()
                    .len()
                    == pool.len();
            match got {
                Some(got) if settled && got == want => return got.entries.len(),
                Some(got) if Instant::now() > deadline => {
                    panic!(
                        "{what}: the wallet differs from the chain\n{}",
                        differences(&want, &got)
                    )
                }
                _ => {}
            }
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the wallet never caught up with the tip"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// With payments paused: the wallet against the chain and mempool as they
/// are, then, after mining until the mempool is empty, against the chain
/// alone; every acknowledged transaction in both the wallet and the chain.
fn check(
    shared: &Shared,
    chain: &mut ChainModel,
    scripts: &mut WalletScripts,
    round: u32,
) -> (usize, usize) {
    let node = &shared.node;
    compare(
        shared,
        chain,
        scripts,
        &format!("round {round}, before mining"),
    );
    let mut mined = 0;
    while node.rpc("getrawmempool", json!([])) != json!([]) {
        assert!(mined < 5, "round {round}: the mempool does not empty");
        op_true::generate(node, 1);
        mined += 1;
    }
    let entries = compare(
        shared,
        chain,
        scripts,
        &format!("round {round}, after mining"),
    );

    let list = node.wallet_rpc(WALLET, "listtransactions", json!(["*", 100000]));
    let in_wallet: BTreeSet<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["txid"].as_str().unwrap())
        .collect();
    let in_chain: BTreeSet<&str> = chain.txs.iter().map(|t| t.txid.as_str()).collect();
    let acknowledged = shared.lock(&shared.acknowledged).clone();
    for txid in &acknowledged {
        assert!(
            in_wallet.contains(txid.as_str()),
            "round {round}: acknowledged {txid} is not in the wallet"
        );
        assert!(
            in_chain.contains(txid.as_str()),
            "round {round}: acknowledged {txid} is not in the chain"
        );
    }
    for txid in shared.lock(&shared.arrived).iter() {
        assert!(
            in_wallet.contains(txid.as_str()),
            "round {round}: the payment {txid} to the wallet is not in it"
        );
    }
    (entries, acknowledged.len())
}

#[test]
fn a_wallet_process_killed_twenty_times_keeps_the_chains_balance_and_transactions() {
    let started = Instant::now();
    let seed = std::env::var("WALLET_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("wallet_crash seed: {seed} (replay with WALLET_CRASH_SEED={seed})");
    let mut rng = Rng(seed);

    let mut node = TestNode::new();
    node.wallet = true;
    node.start(&["-test=fastwalletrestart"]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": WALLET, "load_on_startup": true}),
    );
    let funding = node.wallet_rpc(WALLET, "getnewaddress", json!([]));
    let funding = funding.as_str().unwrap().to_string();
    // Ten coinbases for the wallet, then enough blocks to mature them and
    // thirty outside coins.
    node.generate_to_address(10, &funding);
    let hashes = op_true::generate(&node, 130);
    let coins: VecDeque<(OutPoint, u64)> = hashes[..30]
        .iter()
        .map(|h| op_true::coinbase_of(&node, h))
        .collect();
    assert_eq!(
        sats(&node.wallet_rpc(WALLET, "getbalance", json!([]))),
        500 * 100_000_000
    );

    let shared = Arc::new(Shared {
        node,
        gate: Mutex::new(()),
        stop: AtomicBool::new(false),
        acknowledged: Mutex::new(Vec::new()),
        arrived: Mutex::new(Vec::new()),
        handed_out: Mutex::new(BTreeSet::from([funding])),
        refused: AtomicU64::new(0),
        blocks_mined: AtomicU64::new(0),
    });
    let payer = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("payments".into())
            .spawn(move || payments(&shared, seed, coins))
            .unwrap()
    };

    let mut chain = ChainModel::default();
    let mut scripts = WalletScripts::default();
    let node_pid = shared.node.pid().unwrap();
    let mut child = wallet_child(&shared.node);
    let mut rounds_saw_stand_in = 0;
    for round in 1..=KILLS {
        std::thread::sleep(Duration::from_millis(rng.range(0, 500)));
        // SAFETY: kill(2) on the node's wallet child.
        unsafe {
            libc::kill(child as i32, libc::SIGKILL);
        }
        let killed = Instant::now();
        // The node answers throughout; the wallet comes back with `w`.
        let mut saw_stand_in = false;
        let next = wait_for("the wallet process back with its wallet", || {
            let asked = Instant::now();
            shared
                .node
                .try_rpc("getblockcount", json!([]))
                .unwrap_or_else(|e| panic!("round {round}: getblockcount failed: {e:?}"));
            let waited = asked.elapsed();
            assert!(
                waited < PROMPT,
                "round {round}: getblockcount took {waited:?} while the wallet was away"
            );
            let asked = Instant::now();
            let listed = shared.node.try_rpc("listwallets", json!([]));
            let waited = asked.elapsed();
            assert!(
                waited < PROMPT,
                "round {round}: listwallets took {waited:?} while the wallet was away"
            );
            match listed {
                Err(e) if wallet_down(&e) => {
                    saw_stand_in |= e.is_some_and(|e| e.code == -1);
                    None
                }
                Err(e) => panic!("round {round}: listwallets failed: {e:?}"),
                // The supervisor's line says the launch is over (the wallet
                // is listed before the process's `start`): the next kill is
                // a death, not a failed launch.
                Ok(v) if v == json!([WALLET]) => match child_pids(node_pid).as_slice() {
                    [c] if *c != child
                        && shared
                            .node
                            .debug_log()
                            .matches("Wallet process restarted; reloaded 1 wallet(s)")
                            .count()
                            == round as usize =>
                    {
                        Some(*c)
                    }
                    _ => None,
                },
                Ok(_) => None,
            }
        });
        rounds_saw_stand_in += u32::from(saw_stand_in);
        child = next;
        assert!(
            !payer.is_finished(),
            "round {round}: the payment thread ended"
        );
        // Pause payments and compare with the chain.
        let away = killed.elapsed();
        let gate = shared.lock(&shared.gate);
        let checking = Instant::now();
        let (entries, acknowledged) = check(&shared, &mut chain, &mut scripts, round);
        drop(gate);
        println!(
            "round {round}: wallet pid {child}, height {}, {entries} entries, {acknowledged} acknowledged, {} arrived; back after {:.2}s, checked in {:.2}s",
            chain.tip_height(),
            shared.lock(&shared.arrived).len(),
            away.as_secs_f64(),
            checking.elapsed().as_secs_f64()
        );
    }

    shared.stop.store(true, Ordering::SeqCst);
    if let Err(panic) = payer.join() {
        std::panic::resume_unwind(panic);
    }
    // What the run exercised, so a quiet run cannot pass unnoticed.
    let acknowledged = shared.lock(&shared.acknowledged).len();
    let arrived = shared.lock(&shared.arrived).len();
    println!(
        "{KILLS} kills; {acknowledged} payments acknowledged, {arrived} arrived, {} blocks mined by the payer, {} wallet calls refused while away, {rounds_saw_stand_in} rounds saw the stand-in answer; {:.1}s",
        shared.blocks_mined.load(Ordering::SeqCst),
        shared.refused.load(Ordering::SeqCst),
        started.elapsed().as_secs_f64()
    );
    assert!(acknowledged >= 20, "only {acknowledged} payments left");
    assert!(arrived >= 20, "only {arrived} payments arrived");
    assert!(rounds_saw_stand_in > 0, "no round saw the wallet away");
    let mut node = match Arc::try_unwrap(shared) {
        Ok(s) => s.node,
        Err(_) => panic!("the payment thread still holds the node"),
    };
    let log = node.debug_log();
    assert_eq!(
        log.matches("The wallet process exited unexpectedly; restarting it in ")
            .count(),
        KILLS as usize,
        "one restart per kill"
    );
    assert_eq!(
        log.matches("Wallet process restarted; reloaded 1 wallet(s)")
            .count(),
        KILLS as usize,
    );
    node.stop();
}

/// The deterministic form of a death between storing a sent transaction and
/// handing it to the node: the wallet holds a transaction the mempool does
/// not (here the node restarts without its mempool). Loading the wallet
/// submits it again, as Core's `postInitProcess` does, instead of leaving
/// the coins it spends gone and its change unusable for good.
#[test]
fn a_wallet_transaction_missing_from_the_mempool_is_resubmitted_when_the_wallet_loads() {
    let mut node = TestNode::new();
    node.wallet = true;
    node.start(&[]);
    node.rpc(
        "createwallet",
        json!({"wallet_name": WALLET, "load_on_startup": true}),
    );
    let address = node.wallet_rpc(WALLET, "getnewaddress", json!([]));
    node.generate_to_address(101, address.as_str().unwrap());
    let txid = node.wallet_rpc(WALLET, "sendtoaddress", json!([op_true::address(), 1]));
    assert_eq!(node.rpc("getrawmempool", json!([])), json!([txid]));
    let sent = node.wallet_rpc(WALLET, "getbalances", json!([]))["mine"].clone();
    assert!(sats(&sent["trusted"]) > 48 * 100_000_000, "{sent}");

    node.stop();
    node.start(&["-persistmempool=0"]);
    wait_for("the wallet loaded again", || {
        (node.rpc("listwallets", json!([])) == json!([WALLET])).then_some(())
    });
    wait_for("the wallet's transaction in the mempool", || {
        (node.rpc("getrawmempool", json!([])) == json!([txid])).then_some(())
    });
    // Its change is trusted again (it is in the mempool), and a block
    // confirms it.
    assert_eq!(
        node.wallet_rpc(WALLET, "getbalances", json!([]))["mine"],
        sent
    );
    let block = node.generate_to_address(1, address.as_str().unwrap());
    let block = node.rpc("getblock", json!([block[0], 1]));
    assert_eq!(block["tx"].as_array().unwrap().len(), 2, "{block}");
    assert_eq!(block["tx"][1], txid);
    assert!(node
        .debug_log()
        .contains("ResubmitWalletTransactions: resubmit 1 unconfirmed transactions"));
    node.stop();
}
