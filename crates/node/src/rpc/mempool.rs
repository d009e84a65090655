//! Mempool and transaction RPCs: `getmempoolinfo`, `getrawmempool`,
//! `getmempoolentry`, `sendrawtransaction`, `testmempoolaccept`,
//! `getrawtransaction`, `gettxout`, `scantxoutset`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, Txid};
use common::args::ArgsManager;
use consensus::TxResult;
use mempool::{Entry, Mempool, PackageTxResult};
use rpc::error::code;
use rpc::{rpc_params, Arg, CheckedObject, Deferred, FromParam, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use chainstate_service::{BroadcastError, NodeChain, Relay};

fn amount(sat: i64) -> Value {
    rpc::json::amount_to_value(sat)
}

fn decode_tx(hex: &str) -> Result<Transaction, RpcError> {
    utility_rpc::tojson::decode_hex_tx(hex, true, true).ok_or_else(|| {
        RpcError::deserialization("TX decode failed. Make sure the tx has at least one input.")
    })
}

rpc_params! {
    /// `importmempool`'s options.
    struct ImportMempoolOptions {
        /// Whether to use the current system time or use the entry time metadata from the mempool file.
        /// Warning: Importing untrusted metadata may lead to unexpected issues and undesirable behavior.
        use_current_time: bool [Bool, default = true],
        /// Whether to apply the fee delta metadata from the mempool file.
        /// It will be added to any existing fee deltas.
        /// The fee delta can be set by the prioritisetransaction RPC.
        /// Warning: Importing untrusted metadata may lead to unexpected issues and undesirable behavior.
        /// Only set this bool if you understand what it does.
        apply_fee_delta_priority: bool [Bool, default = false],
        /// Whether to apply the unbroadcast set metadata from the mempool file.
        /// Warning: Importing untrusted metadata may lead to unexpected issues and undesirable behavior.
        apply_unbroadcast_set: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `importmempool`'s parameters.
    struct ImportMempoolParams {
        /// The mempool file
        filepath: String [Str, required],
        // Read after the block-download check, as Core does.
        options: Deferred<CheckedObject<ImportMempoolOptions>> [ObjNamedParams, optional],
    }
}

/// `importmempool`: loads a mempool file with the options' metadata choices.
fn import_mempool(chain: &NodeChain, p: ImportMempoolParams) -> Result<Value, RpcError> {
    if chain.lock().is_initial_block_download() {
        return Err(RpcError::new(
            code::CLIENT_IN_INITIAL_DOWNLOAD,
            "Can only import the mempool after the block download and sync is done.",
        ));
    }
    let path = std::path::PathBuf::from(p.filepath);
    let given = p.options.get()?.0;
    let options = mempool::LoadOptions {
        use_current_time: given.use_current_time,
        apply_fee_deltas: given.apply_fee_delta_priority,
        apply_unbroadcast: given.apply_unbroadcast_set,
    };
    chain
        .import_mempool(&path, options)
        .map_err(|_| RpcError::misc("Unable to import mempool file, see debug.log for details."))?;
    Ok(json!({}))
}

/// In-pool ancestors (or descendants) of `txid`, excluding itself.
fn relatives(pool: &Mempool, txid: &Txid, up: bool) -> Vec<Txid> {
    let mut seen = HashSet::new();
    let mut stack = vec![*txid];
    while let Some(t) = stack.pop() {
        let Some(e) = pool.get(&t) else { continue };
        let next: Vec<Txid> = if up {
            e.tx.input
                .iter()
                .map(|i| i.previous_output.txid)
                .filter(|p| pool.get(p).is_some())
                .collect()
        } else {
            (0..e.tx.output.len() as u32)
                .filter_map(|v| pool.spender(&OutPoint::new(t, v)))
                .collect()
        };
        for n in next {
            if seen.insert(n) {
                stack.push(n);
            }
        }
    }
    seen.into_iter().collect()
}

/// Each pool transaction's chunk (modified fee, sigop-adjusted weight),
/// computed once per cluster while one reply lists many entries.
struct ChunkCache {
    /// `-bytespersigop`: the weight each sigop counts as at least.
    bytes_per_sigop: u64,
    by_txid: HashMap<Txid, (i64, i64)>,
}

impl ChunkCache {
    fn new(bytes_per_sigop: u64) -> Self {
        ChunkCache {
            bytes_per_sigop,
            by_txid: HashMap::new(),
        }
    }

    /// The chunk holding `txid` in its cluster's mining order.
    fn get(&mut self, pool: &Mempool, txid: &Txid) -> (i64, i64) {
        if let Some(v) = self.by_txid.get(txid) {
            return *v;
        }
        for chunk in pool
            .cluster_chunks(txid, self.bytes_per_sigop)
            .unwrap_or_default()
        {
            for t in &chunk.txids {
                self.by_txid.insert(*t, (chunk.fee, chunk.weight));
            }
        }
        self.by_txid.get(txid).copied().unwrap_or_default()
    }
}

/// A pool entry as `getmempoolentry` shows it.
fn entry_json(pool: &Mempool, e: &Entry, chunks: &mut ChunkCache) -> Value {
    let txid = e.tx.compute_txid();
    let (chunk_fee, chunk_weight) = chunks.get(pool, &txid);
    let anc = relatives(pool, &txid, true);
    let desc = relatives(pool, &txid, false);
    let sum = |ids: &[Txid], f: &dyn Fn(&Entry) -> i64| -> i64 {
        ids.iter().filter_map(|t| pool.get(t)).map(f).sum()
    };
    let anc_size = e.vsize as i64 + sum(&anc, &|x| x.vsize as i64);
    let desc_size = e.vsize as i64 + sum(&desc, &|x| x.vsize as i64);
    // Core reports relatives' fees with their prioritisation applied.
    let modified = pool.modified_fee(e);
    let anc_fee = modified + sum(&anc, &|x| pool.modified_fee(x));
    let desc_fee = modified + sum(&desc, &|x| pool.modified_fee(x));
    let mut depends: Vec<String> =
        e.tx.input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|p| pool.get(p).is_some())
            .map(|t| t.to_string())
            .collect();
    depends.sort();
    depends.dedup();
    let mut spentby: Vec<String> = (0..e.tx.output.len() as u32)
        .filter_map(|v| pool.spender(&OutPoint::new(txid, v)))
        .map(|t| t.to_string())
        .collect();
    spentby.sort();
    spentby.dedup();
    json!({
        "vsize": e.vsize,
        "weight": e.weight,
        "time": e.time,
        "height": e.height,
        "descendantcount": desc.len() + 1,
        "descendantsize": desc_size,
        "ancestorcount": anc.len() + 1,
        "ancestorsize": anc_size,
        "wtxid": e.wtxid.to_string(),
        "chunkweight": chunk_weight,
        "fees": {
            "base": amount(e.fee),
            "modified": amount(modified),
            "ancestor": amount(anc_fee),
            "descendant": amount(desc_fee),
            "chunk": amount(chunk_fee),
        },
        "depends": depends,
        "spentby": spentby,
        "bip125-replaceable": false,
        "unbroadcast": pool.is_unbroadcast(&txid),
    })
}

/// A `maxfeerate` argument in sat/kvB (Core's `ParseFeeRate`): at most just
/// under 1 BTC/kvB.
struct MaxFeeRate(i64);

impl FromParam for MaxFeeRate {
    fn from_param(value: &Value, _: &Arg) -> Result<Self, RpcError> {
        let rate = rpc::json::amount_from_value(value, 8)?;
        if rate >= 100_000_000 {
            return Err(RpcError::invalid_parameter(
                "Fee rates larger than or equal to 1BTC/kvB are not accepted",
            ));
        }
        Ok(MaxFeeRate(rate))
    }
}

/// A transaction given as hex, decoded with Core's error text.
struct HexTx(Transaction);

impl FromParam for HexTx {
    fn from_param(value: &Value, arg: &Arg) -> Result<Self, RpcError> {
        decode_tx(&String::from_param(value, arg)?).map(HexTx)
    }
}

/// Refuses a transaction with a provably unspendable output worth more than
/// `max_burn` (Core's `MAX_BURN_EXCEEDED` check, made before validation).
fn check_burn(tx: &Transaction, max_burn: bitcoin::Amount) -> Result<(), RpcError> {
    for out in &tx.output {
        let script = out.script_pubkey.as_bytes();
        let unspendable = script.first() == Some(&0x6a) || script.len() > 10_000;
        if unspendable && out.value > max_burn {
            return Err(RpcError::new(
                code::VERIFY_ERROR,
                "Unspendable output exceeds maximum configured by user (maxburnamount)",
            ));
        }
    }
    Ok(())
}

rpc_params! {
    /// `sendrawtransaction`'s parameters.
    struct SendRawTransactionParams {
        /// The hex string of the raw transaction
        hexstring: HexTx [StrHex, required],
        /// Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.
        maxfeerate: MaxFeeRate [Amount, default = "0.10"],
        /// Reject transactions with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN opcode) greater than the specified value, expressed in BTC.
        maxburnamount: bitcoin::Amount [Amount, default = "0"],
    }
}

fn send_raw_transaction(chain: &NodeChain, p: SendRawTransactionParams) -> Result<Value, RpcError> {
    let tx = p.hexstring.0;
    let max_rate = p.maxfeerate.0;
    check_burn(&tx, p.maxburnamount)?;
    // Core's cap: the rate's fee for the plain virtual size, rounded up.
    let vsize = tx.weight().to_wu().div_ceil(4) as i64;
    let max_fee = if max_rate > 0 {
        (max_rate * vsize + 999) / 1000
    } else {
        0
    };
    match chain.broadcast_transaction(Arc::new(tx), max_fee, Relay::ToAll, true) {
        Ok(txid) => Ok(json!(txid.to_string())),
        Err(e) => Err(RpcError::new(
            match e {
                BroadcastError::MempoolRejected(_) => code::VERIFY_REJECTED,
                BroadcastError::AlreadyInUtxoSet => code::VERIFY_ALREADY_IN_UTXO_SET,
                _ => code::VERIFY_ERROR,
            },
            e.message(),
        )),
    }
}

rpc_params! {
    /// `testmempoolaccept`'s parameters.
    struct TestMempoolAcceptParams {
        /// An array of hex strings of raw transactions.
        rawtxs: Vec<Value> [Arr, required],
        /// Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.
        // Read after the array's length is checked, as Core does.
        maxfeerate: Deferred<MaxFeeRate> [Amount, default = "0.10"],
    }
}

fn test_mempool_accept(chain: &NodeChain, p: TestMempoolAcceptParams) -> Result<Value, RpcError> {
    let raw = p.rawtxs;
    if raw.is_empty() || raw.len() > mempool::package::MAX_PACKAGE_COUNT {
        return Err(RpcError::invalid_parameter(format!(
            "Array must contain between 1 and {} transactions.",
            mempool::package::MAX_PACKAGE_COUNT
        )));
    }
    let max_rate = p.maxfeerate.get()?.0;
    let txs: Vec<Arc<Transaction>> = raw
        .iter()
        .map(|v| {
            let hex = v.as_str().ok_or_else(|| {
                RpcError::type_error(format!(
                    "JSON value of type {} is not of expected type string",
                    rpc::method::json_type_name(v)
                ))
            })?;
            utility_rpc::tojson::decode_hex_tx(hex, true, true)
                .map(Arc::new)
                .ok_or_else(|| {
                    RpcError::deserialization(format!(
                        "TX decode failed: {hex} Make sure the tx has at least one input."
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let outcome = {
        let cs = chain.lock();
        let mut pool = chain.pool();
        if let [tx] = txs.as_slice() {
            let wtxid = tx.compute_wtxid();
            let result = match pool.accept(&cs, tx.clone(), chain.policy(), true) {
                Ok(a) => PackageTxResult::Valid {
                    vsize: a.vsize,
                    fee: a.fee,
                    // Judged by its modified fee, as Core's effective feerate.
                    effective_feerate: a
                        .fee
                        .saturating_add(pool.fee_delta(&a.txid))
                        .saturating_mul(1000)
                        / a.vsize.max(1) as i64,
                    effective_includes: vec![wtxid],
                },
                Err(e) => PackageTxResult::Invalid(e),
            };
            mempool::PackageOutcome {
                results: [(wtxid, result)].into_iter().collect(),
                ..Default::default()
            }
        } else {
            pool.test_accept_package(&cs, &txs, chain.policy())
        }
    };
    let mut out = Vec::new();
    // Past a member over the fee cap the rest are left blank: they would
    // not be submitted without it.
    let mut exit_early = false;
    for tx in &txs {
        let wtxid = tx.compute_wtxid();
        let mut r = Map::new();
        r.insert("txid".into(), json!(tx.compute_txid().to_string()));
        r.insert("wtxid".into(), json!(wtxid.to_string()));
        if outcome.policy_error {
            if let Some(e) = &outcome.error {
                r.insert("package-error".into(), json!(e));
            }
        }
        match outcome.results.get(&wtxid) {
            Some(_) if exit_early => {}
            None => {}
            Some(PackageTxResult::Valid {
                vsize,
                fee,
                effective_feerate,
                effective_includes,
            }) => {
                // Core's `CFeeRate::GetFee`: rounded up.
                let max_fee = (max_rate * *vsize as i64 + 999) / 1000;
                if max_rate > 0 && *fee > max_fee {
                    r.insert("allowed".into(), json!(false));
                    r.insert("reject-reason".into(), json!("max-fee-exceeded"));
                    exit_early = true;
                } else {
                    r.insert("allowed".into(), json!(true));
                    r.insert("vsize".into(), json!(vsize));
                    let includes: Vec<String> =
                        effective_includes.iter().map(|w| w.to_string()).collect();
                    r.insert(
                        "fees".into(),
                        json!({
                            "base": amount(*fee),
                            "effective-feerate": amount(*effective_feerate),
                            "effective-includes": includes,
                        }),
                    );
                }
            }
            Some(PackageTxResult::Invalid(e)) => {
                r.insert("allowed".into(), json!(false));
                if e.tx_result() == Some(TxResult::MissingInputs) {
                    r.insert("reject-reason".into(), json!("missing-inputs"));
                } else {
                    r.insert("reject-reason".into(), json!(e.reason));
                    r.insert("reject-details".into(), json!(e.to_string()));
                }
            }
            // A package under test never reports pool entries.
            Some(PackageTxResult::InMempool { .. } | PackageTxResult::DifferentWitness(_)) => {}
        }
        out.push(Value::Object(r));
    }
    Ok(Value::Array(out))
}

rpc_params! {
    /// `submitpackage`'s parameters.
    struct SubmitPackageParams {
        /// An array of raw transactions.
        /// The package must consist of a transaction with (some, all, or none of) its unconfirmed parents. A single transaction is permitted.
        /// None of the parents may depend on each other. Parents that are already in mempool do not need to be present in the package.
        /// The package must be topologically sorted, with the child being the last element in the array if there are multiple elements.
        package: Vec<Value> [Arr, required],
        /// Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.
        /// Fee rates larger than 1BTC/kvB are rejected.
        /// Set to 0 to accept any fee rate.
        // Read after the array's length is checked, as Core does.
        maxfeerate: Deferred<MaxFeeRate> [Amount, default = "0.10"],
        /// Reject transactions with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN opcode) greater than the specified value, expressed in BTC.
        /// If burning funds through unspendable outputs is desired, increase this value.
        /// This check is based on heuristics and does not guarantee spendability of outputs.
        maxburnamount: Deferred<bitcoin::Amount> [Amount, default = "0"],
    }
}

/// `submitpackage`: a child with its unconfirmed parents, accepted together
/// so the child's fees count for its parents; the result lists every
/// member by wtxid as Core's does.
fn submit_package(chain: &NodeChain, p: SubmitPackageParams) -> Result<Value, RpcError> {
    let raw = p.package;
    if raw.is_empty() || raw.len() > mempool::package::MAX_PACKAGE_COUNT {
        return Err(RpcError::invalid_parameter(format!(
            "Array must contain between 1 and {} transactions.",
            mempool::package::MAX_PACKAGE_COUNT
        )));
    }
    // Zero means no cap.
    let max_rate = Some(p.maxfeerate.get()?.0).filter(|r| *r > 0);
    let max_burn = p.maxburnamount.get()?;
    let mut txs = Vec::with_capacity(raw.len());
    for v in &raw {
        let hex = v.as_str().ok_or_else(|| {
            RpcError::type_error(format!(
                "JSON value of type {} is not of expected type string",
                rpc::method::json_type_name(v)
            ))
        })?;
        let tx = utility_rpc::tojson::decode_hex_tx(hex, true, true).ok_or_else(|| {
            RpcError::deserialization(format!(
                "TX decode failed: {hex} Make sure the tx has at least one input."
            ))
        })?;
        check_burn(&tx, max_burn)?;
        txs.push(Arc::new(tx));
    }
    if txs.len() > 1 && !mempool::package::is_child_with_parents_tree(&txs) {
        return Err(RpcError::new(
            code::VERIFY_ERROR,
            "package topology disallowed. not child-with-parents or parents depend on each other.",
        ));
    }
    let outcome = chain.submit_package(&txs, max_rate);
    let mut results = Map::new();
    for tx in &txs {
        let wtxid = tx.compute_wtxid();
        let mut r = Map::new();
        r.insert("txid".into(), json!(tx.compute_txid().to_string()));
        match outcome.results.get(&wtxid) {
            None => {
                r.insert("error".into(), json!("package-not-validated"));
            }
            Some(PackageTxResult::DifferentWitness(other)) => {
                r.insert("other-wtxid".into(), json!(other.to_string()));
            }
            Some(PackageTxResult::Invalid(e)) => {
                r.insert("error".into(), json!(e.to_string()));
            }
            Some(PackageTxResult::InMempool { vsize, fee }) => {
                r.insert("vsize".into(), json!(vsize));
                r.insert("fees".into(), json!({"base": amount(*fee)}));
            }
            Some(PackageTxResult::Valid {
                vsize,
                fee,
                effective_feerate,
                effective_includes,
            }) => {
                r.insert("vsize".into(), json!(vsize));
                let includes: Vec<String> =
                    effective_includes.iter().map(|w| w.to_string()).collect();
                r.insert(
                    "fees".into(),
                    json!({
                        "base": amount(*fee),
                        "effective-feerate": amount(*effective_feerate),
                        "effective-includes": includes,
                    }),
                );
            }
        }
        results.insert(wtxid.to_string(), Value::Object(r));
    }
    let replaced: Vec<String> = outcome.replaced.iter().map(|t| t.to_string()).collect();
    Ok(json!({
        "package_msg": outcome.error.as_deref().unwrap_or("success"),
        "tx-results": results,
        "replaced-transactions": replaced,
    }))
}

rpc_params! {
    /// `getrawmempool`'s parameters.
    struct GetRawMempoolParams {
        /// True for a json object, false for array of transaction ids
        verbose: bool [Bool, default = false],
        /// If verbose=false, returns a json object with transaction list and mempool sequence number attached.
        mempool_sequence: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `getmempoolentry`'s parameters.
    struct GetMempoolEntryParams {
        /// The transaction id (must be in mempool)
        txid: Txid [StrHex, required],
    }
}

rpc_params! {
    /// `getmempoolancestors` / `getmempooldescendants`'s parameters.
    struct GetMempoolRelativesParams {
        /// The transaction id (must be in mempool)
        txid: Txid [StrHex, required],
        /// True for a json object, false for array of transaction ids
        verbose: bool [Bool, default = false],
    }
}

/// `getmempoolancestors` (`up`) or `getmempooldescendants`: the in-pool
/// relatives of a pooled transaction, as txids or as entries keyed by txid.
fn mempool_relatives(
    chain: &NodeChain,
    p: GetMempoolRelativesParams,
    up: bool,
) -> Result<Value, RpcError> {
    let pool = chain.pool();
    if pool.get(&p.txid).is_none() {
        return Err(RpcError::invalid_address_or_key(
            "Transaction not in mempool",
        ));
    }
    let ids = relatives(&pool, &p.txid, up);
    if !p.verbose {
        return Ok(json!(ids.iter().map(|t| t.to_string()).collect::<Vec<_>>()));
    }
    let mut o = Map::new();
    let mut chunks = ChunkCache::new(chain.policy().bytes_per_sigop);
    for t in ids {
        if let Some(e) = pool.get(&t) {
            o.insert(t.to_string(), entry_json(&pool, e, &mut chunks));
        }
    }
    Ok(Value::Object(o))
}

rpc_params! {
    /// `getmempoolcluster`'s parameters.
    struct GetMempoolClusterParams {
        /// The txid of a transaction in the cluster
        txid: Txid [StrHex, required],
    }
}

/// Registers the mempool and transaction RPCs.
pub fn register(
    table: &RpcTable,
    args: &Arc<ArgsManager>,
    chain: Arc<NodeChain>,
    _network: bitcoin::Network,
) {
    let max_bytes = chain.policy().max_mempool_bytes;
    let min_relay = chain.policy().min_relay_fee_per_kvb;
    let incremental = chain.policy().incremental_relay_fee_per_kvb;
    let show_fullrbf = args
        .get_args("-deprecatedrpc")
        .iter()
        .any(|v| v == "fullrbf");
    let c = chain.clone();
    table.register(RpcMethod::new(
        "savemempool",
        "blockchain",
        "Dumps the mempool to disk. It will fail until the previous dump is fully loaded.",
        move |_, ()| {
            if !c.mempool_loaded() {
                return Err(RpcError::misc("The mempool was not loaded yet"));
            }
            let path = c
                .save_mempool()
                .map_err(|_| RpcError::misc("Unable to dump mempool to disk"))?;
            Ok(json!({"filename": path.display().to_string()}))
        },
    ));
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "importmempool",
            "blockchain",
            "Import a mempool.dat file and attempt to add its contents to the mempool.\nWarning: Importing untrusted files is dangerous, especially if metadata from the file is taken over.",
            move |_, p| import_mempool(&c, p),
        ),
    );
    let c = chain.clone();
    table.register(RpcMethod::new(
        "getmempoolinfo",
        "blockchain",
        "Returns details on the active state of the TX memory pool.",
        move |_, ()| {
            let mut pool = c.pool();
            let pool_min = pool.min_fee_per_kvb(c.policy()).max(min_relay);
            let mut info = json!({
                "loaded": c.mempool_loaded(),
                "size": pool.len(),
                "bytes": pool.total_vsize(),
                "usage": pool.dynamic_usage(),
                "total_fee": amount(pool.total_fee()),
                "maxmempool": max_bytes,
                "mempoolminfee": amount(pool_min),
                "minrelaytxfee": amount(min_relay),
                "incrementalrelayfee": amount(incremental),
                "unbroadcastcount": pool.unbroadcast_count(),
                "permitbaremultisig": c.policy().permit_bare_multisig,
                "maxdatacarriersize": c.policy().max_datacarrier_bytes.unwrap_or(0),
                "limitclustercount": c.policy().cluster_count,
                "limitclustersize": c.policy().cluster_vbytes,
                "optimal": pool.known_optimal(),
            });
            if show_fullrbf {
                info["fullrbf"] = json!(true);
            }
            Ok(info)
        },
    ));

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getrawmempool",
            "blockchain",
            "Returns all transaction ids in memory pool as a json array of string transaction ids.\n\nHint: use getmempoolentry to fetch a specific transaction from the mempool.",
            move |_, p: GetRawMempoolParams| {
                let (verbose, sequence) = (p.verbose, p.mempool_sequence);
                if verbose && sequence {
                    return Err(RpcError::invalid_parameter("Verbose results cannot contain mempool sequence values."));
                }
                let pool = c.pool();
                if verbose {
                    let mut o = Map::new();
                    let mut chunks = ChunkCache::new(c.policy().bytes_per_sigop);
                    for e in pool.in_order() {
                        o.insert(e.tx.compute_txid().to_string(), entry_json(&pool, e, &mut chunks));
                    }
                    return Ok(Value::Object(o));
                }
                let ids: Vec<String> = pool.in_order().map(|e| e.tx.compute_txid().to_string()).collect();
                if sequence {
                    return Ok(json!({"txids": ids, "mempool_sequence": pool.mempool_sequence()}));
                }
                Ok(json!(ids))
            },
        ),
    );

    let c = chain.clone();
    table.register(RpcMethod::new(
        "getmempoolentry",
        "blockchain",
        "Returns mempool data for given transaction",
        move |_, p: GetMempoolEntryParams| {
            let pool = c.pool();
            let e = pool
                .get(&p.txid)
                .ok_or_else(|| RpcError::invalid_address_or_key("Transaction not in mempool"))?;
            Ok(entry_json(
                &pool,
                e,
                &mut ChunkCache::new(c.policy().bytes_per_sigop),
            ))
        },
    ));

    let c = chain.clone();
    table.register(RpcMethod::new(
        "getmempoolancestors",
        "blockchain",
        "If txid is in the mempool, returns all in-mempool ancestors.",
        move |_, p| mempool_relatives(&c, p, true),
    ));

    let c = chain.clone();
    table.register(RpcMethod::new(
        "getmempooldescendants",
        "blockchain",
        "If txid is in the mempool, returns all in-mempool descendants.",
        move |_, p| mempool_relatives(&c, p, false),
    ));

    let c = chain.clone();
    table.register(RpcMethod::new(
        "getmempoolcluster",
        "blockchain",
        "Returns mempool data for given cluster",
        move |_, p: GetMempoolClusterParams| {
            let pool = c.pool();
            let chunks = pool
                .cluster_chunks(&p.txid, c.policy().bytes_per_sigop)
                .ok_or_else(|| RpcError::invalid_address_or_key("Transaction not in mempool"))?;
            let weight: i64 = chunks.iter().map(|ch| ch.weight).sum();
            let count: usize = chunks.iter().map(|ch| ch.txids.len()).sum();
            let chunks: Vec<Value> = chunks
                .iter()
                .map(|ch| {
                    json!({
                        "chunkfee": amount(ch.fee),
                        "chunkweight": ch.weight,
                        "txs": ch.txids.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            Ok(json!({"clusterweight": weight, "txcount": count, "chunks": chunks}))
        },
    ));

    let c = chain.clone();
    table.register(RpcMethod::new(
        "sendrawtransaction",
        "rawtransactions",
        "Submit a raw transaction (serialized, hex-encoded) to local node and network.",
        move |_, p| send_raw_transaction(&c, p),
    ));

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "submitpackage",
            "rawtransactions",
            "Submit a package of raw transactions (serialized, hex-encoded) to local node.\nThe package will be validated according to consensus and mempool policy rules. If any transaction passes, it will be accepted to mempool.\nThis RPC is experimental and the interface may be unstable. Refer to doc/policy/packages.md for documentation on package policies.\nWarning: successful submission does not mean the transactions will propagate throughout the network.",
            move |_, p| submit_package(&c, p),
        ),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "testmempoolaccept",
            "rawtransactions",
            "Returns result of mempool acceptance tests indicating if raw transaction(s) (serialized, hex-encoded) would be accepted by mempool.",
            move |_, p| test_mempool_accept(&c, p),
        ),
    );
}
