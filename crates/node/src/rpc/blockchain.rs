//! Block and chain RPCs over the chainstate: `getblockchaininfo`,
//! `getblockheader`, `getblock`, `getchaintips`, `getdifficulty`,
//! `invalidateblock`, `reconsiderblock`, `preciousblock`,
//! `waitforblockheight`, `waitforblock`.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::BlockHash;
use blockstore::status;
use chain::{BlockId, ChainError, Chainstate, IndexEntry};
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use consensus::pow::{bits_hex, difficulty, target_hex};
use rpc::json::parse_hash;

use chainstate_service::NodeChain;
use common::shutdown::Shutdown;

/// Resolves Core's `hash_or_height` argument to an entry: a height on the
/// active chain or the hash of any known block (Core's `ParseHashOrHeight`).
pub fn parse_hash_or_height(cs: &Chainstate, param: &Value) -> Result<BlockId, RpcError> {
    match param {
        Value::Number(n) => {
            let height = rpc::json::number_to_i64(n)?;
            if height < 0 {
                return Err(RpcError::invalid_parameter(format!(
                    "Target block height {height} is negative"
                )));
            }
            let tip = cs.height();
            u32::try_from(height)
                .ok()
                .and_then(|h| cs.at_height(h))
                .ok_or_else(|| {
                    RpcError::invalid_parameter(format!(
                        "Target block height {height} after current tip {tip}"
                    ))
                })
        }
        Value::String(s) => lookup(cs, &parse_hash(s, "hash_or_height")?),
        other => Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type string",
            rpc::method::json_type_name(other)
        ))),
    }
}

/// The entry of a known block hash, or Core's "Block not found".
pub fn lookup(cs: &Chainstate, hash: &BlockHash) -> Result<BlockId, RpcError> {
    cs.index()
        .id(hash)
        .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))
}

/// Core's `blockheaderToJSON`.
pub fn header_json(cs: &Chainstate, id: BlockId) -> Map<String, Value> {
    let mut o = Map::new();
    let Some(e) = cs.index().entry(id) else {
        return o;
    };
    let confirmations: i64 = if cs.is_active(id) {
        i64::from(cs.height()) - i64::from(e.height) + 1
    } else {
        -1
    };
    let version = e.header.version.to_consensus();
    o.insert("hash".into(), json!(e.hash.to_string()));
    o.insert("confirmations".into(), json!(confirmations));
    o.insert("height".into(), json!(e.height));
    o.insert("version".into(), json!(version));
    o.insert("versionHex".into(), json!(format!("{:08x}", version)));
    o.insert("merkleroot".into(), json!(e.header.merkle_root.to_string()));
    o.insert("time".into(), json!(e.header.time));
    o.insert("mediantime".into(), json!(e.median_time_past));
    o.insert("nonce".into(), json!(e.header.nonce));
    insert_target_fields(&mut o, e.header.bits);
    o.insert(
        "chainwork".into(),
        json!(hex::encode(e.chain_work.to_be_bytes())),
    );
    o.insert("nTx".into(), json!(e.n_tx));
    if let Some(p) = e.parent.and_then(|p| cs.index().entry(p)) {
        o.insert("previousblockhash".into(), json!(p.hash.to_string()));
    }
    if let Some(n) = cs.next_in_active(id).and_then(|n| cs.index().entry(n)) {
        o.insert("nextblockhash".into(), json!(n.hash.to_string()));
    }
    o
}

fn chain_error(e: ChainError) -> RpcError {
    match e {
        ChainError::Invalid(v) => RpcError::new(rpc::error::code::VERIFY_ERROR, v.to_string()),
        other => RpcError::new(rpc::error::code::DATABASE_ERROR, other.to_string()),
    }
}

fn block_json(
    cs: &Chainstate,
    id: BlockId,
    verbosity: i64,
    network: bitcoin::Network,
) -> Result<Value, RpcError> {
    let block = crate::rpc::block_read::block(cs, id)?;
    let mut o = header_json(cs, id);
    let size = bitcoin::consensus::encode::serialize(&block).len();
    let stripped = consensus::block_check::block_base_size(&block);
    o.insert("strippedsize".into(), json!(stripped));
    o.insert("size".into(), json!(size));
    o.insert("weight".into(), json!(block.weight().to_wu()));
    if let Some(coinbase) = block.txdata.first() {
        o.insert("coinbase_tx".into(), coinbase_json(coinbase));
    }
    let txs: Vec<Value> = if verbosity <= 1 {
        block
            .txdata
            .iter()
            .map(|t| json!(t.compute_txid().to_string()))
            .collect()
    } else {
        let undo = crate::rpc::block_read::undo_if_connected(cs, id)?;
        let chain_params = utility_rpc::address::ChainParams::for_network(network);
        block
            .txdata
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let mut t = utility_rpc::tojson::tx_to_json(tx, &chain_params);
                let tx_undo = (i > 0).then(|| undo.as_ref().and_then(|u| u.txs.get(i - 1))).flatten();
                if let Some(u) = tx_undo {
                    let value_in: i64 = u.prevouts.iter().map(|c| c.output.value.to_sat() as i64).sum();
                    let value_out: i64 = tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
                    t.insert("fee".into(), rpc::json::amount_to_value(value_in - value_out));
                    if verbosity >= 3 {
                        if let Some(Value::Array(vin)) = t.get_mut("vin") {
                            for (v, coin) in vin.iter_mut().zip(&u.prevouts) {
                                if let Value::Object(m) = v {
                                    let spk = utility_rpc::tojson::script_to_json(
                                        coin.output.script_pubkey.as_bytes(),
                                        true,
                                        true,
                                        &[],
                                        &chain_params,
                                    );
                                    m.insert(
                                        "prevout".into(),
                                        json!({
                                            "generated": coin.is_coinbase,
                                            "height": coin.height,
                                            "value": rpc::json::amount_to_value(coin.output.value.to_sat() as i64),
                                            "scriptPubKey": spk,
                                        }),
                                    );
                                }
                            }
                        }
                    }
                }
                t.insert("hex".into(), json!(serialize_hex(tx)));
                Value::Object(t)
            })
            .collect()
    };
    o.insert("tx".into(), Value::Array(txs));
    Ok(Value::Object(o))
}

/// The coinbase metadata `getblock` shows (Core's `coinbaseTxToJSON`).
fn coinbase_json(tx: &bitcoin::Transaction) -> Value {
    let mut o = Map::new();
    o.insert("version".into(), json!(tx.version.0 as u32));
    o.insert("locktime".into(), json!(tx.lock_time.to_consensus_u32()));
    if let Some(input) = tx.input.first() {
        o.insert("sequence".into(), json!(input.sequence.0));
        o.insert(
            "coinbase".into(),
            json!(hex::encode(input.script_sig.as_bytes())),
        );
        if let Some(item) = input.witness.iter().next() {
            o.insert("witness".into(), json!(hex::encode(item)));
        }
    }
    Value::Object(o)
}

fn blockchain_info(cs: &Chainstate, prune_target: Option<u64>, warnings: Vec<String>) -> Value {
    let mut o = Map::new();
    let Some(tip) = cs.tip_entry() else {
        return Value::Object(o);
    };
    let headers = cs
        .best_header()
        .and_then(|b| cs.index().entry(b))
        .map_or(tip.height, |e| e.height);
    let size_on_disk = cs.files().current_usage();
    o.insert("chain".into(), json!(cs.params().chain.as_str()));
    o.insert("blocks".into(), json!(tip.height));
    o.insert("headers".into(), json!(headers));
    o.insert("bestblockhash".into(), json!(tip.hash.to_string()));
    insert_target_fields(&mut o, tip.header.bits);
    o.insert("time".into(), json!(tip.header.time));
    o.insert("mediantime".into(), json!(tip.median_time_past));
    o.insert(
        "verificationprogress".into(),
        rpc::json::double_to_value(cs.guess_verification_progress(tip)),
    );
    o.insert(
        "initialblockdownload".into(),
        json!(cs.is_initial_block_download()),
    );
    if let Some(bv) = background_validation(cs) {
        o.insert("backgroundvalidation".into(), bv);
    }
    o.insert(
        "chainwork".into(),
        json!(hex::encode(tip.chain_work.to_be_bytes())),
    );
    o.insert("size_on_disk".into(), json!(size_on_disk));
    o.insert("pruned".into(), json!(prune_target.is_some()));
    if let Some(target) = prune_target {
        o.insert(
            "pruneheight".into(),
            json!(cs.prune_height().map_or(0, |h| h + 1)),
        );
        let automatic = target != chainstate_service::PRUNE_TARGET_MANUAL;
        o.insert("automatic_pruning".into(), json!(automatic));
        if automatic {
            o.insert("prune_target_size".into(), json!(target));
        }
    }
    if cs.params().signet_blocks {
        o.insert(
            "signet_challenge".into(),
            json!(hex::encode(&cs.params().signet_challenge)),
        );
    }
    o.insert("warnings".into(), json!(warnings));
    Value::Object(o)
}

fn chain_tips(cs: &Chainstate) -> Value {
    // Tips: entries no other entry names as parent.
    let mut has_child = vec![false; cs.index().len()];
    for (_, e) in cs.index().entries() {
        if let Some(p) = e.parent {
            if let Some(slot) = has_child.get_mut(p as usize) {
                *slot = true;
            }
        }
    }
    let mut tips: Vec<(BlockId, &IndexEntry)> = cs
        .index()
        .entries()
        .filter(|(id, _)| !has_child[*id as usize] || cs.tip() == Some(*id))
        .collect();
    tips.sort_by(|a, b| b.1.height.cmp(&a.1.height).then(a.0.cmp(&b.0)));
    tips.dedup_by_key(|t| t.0);
    let tip_id = cs.tip();
    let out: Vec<Value> = tips
        .into_iter()
        .map(|(id, e)| {
            let fork = tip_id
                .and_then(|t| cs.index().last_common_ancestor(t, id))
                .and_then(|f| cs.index().entry(f))
                .map_or(0, |f| f.height);
            let status = if cs.is_active(id) {
                "active"
            } else if e.status & status::FAILED_MASK != 0 {
                "invalid"
            } else if e.chain_tx == 0 {
                "headers-only"
            } else if (e.status & status::VALID_MASK) >= status::VALID_SCRIPTS {
                "valid-fork"
            } else if (e.status & status::VALID_MASK) >= status::VALID_TREE {
                "valid-headers"
            } else {
                "unknown"
            };
            json!({
                "height": e.height,
                "hash": e.hash.to_string(),
                "branchlen": e.height - fork,
                "status": status,
            })
        })
        .collect();
    Value::Array(out)
}

rpc_params! {
    /// `getblockheader`'s parameters.
    struct GetBlockHeaderParams {
        /// The block hash
        blockhash: BlockHash [StrHex, required, label = "hash"],
        /// true for a json object, false for the hex-encoded data
        verbose: bool [Bool, default = true],
    }
}

rpc_params! {
    /// `getblock`'s parameters.
    struct GetBlockParams {
        /// The block hash
        blockhash: BlockHash [StrHex, required],
        /// 0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with transaction data, and 3 for JSON object with transaction data including prevout information for inputs
        verbosity: Verbosity [Num, default = 1, names = "verbosity|verbose", skip_type_check],
    }
}

/// `getblock`'s verbosity: a number, or a boolean for 0 or 1.
struct Verbosity(i64);

impl rpc::FromParam for Verbosity {
    fn from_param(value: &Value, arg: &rpc::Arg) -> Result<Self, RpcError> {
        match value {
            Value::Bool(b) => Ok(Verbosity(i64::from(*b))),
            v => i64::from_param(v, arg).map(Verbosity),
        }
    }
}

rpc_params! {
    /// The parameter of `invalidateblock`, `reconsiderblock` and `preciousblock`.
    struct BlockHashParams {
        /// the hash of the block to mark as invalid
        blockhash: BlockHash [StrHex, required],
    }
}

rpc_params! {
    /// `waitforblockheight`'s parameters.
    struct WaitForBlockHeightParams {
        /// Block height to wait for.
        height: i64 [Num, required],
        /// Time in milliseconds to wait for a response. 0 indicates no timeout.
        timeout: i64 [Num, default = 0],
    }
}

rpc_params! {
    /// `waitforblock`'s parameters.
    struct WaitForBlockParams {
        /// Block hash to wait for.
        blockhash: BlockHash [StrHex, required],
        /// Time in milliseconds to wait for a response. 0 indicates no timeout.
        timeout: i64 [Num, default = 0],
    }
}

/// Registers the block and chain RPCs.
pub fn register(
    table: &RpcTable,
    chain: Arc<NodeChain>,
    shutdown: Arc<Shutdown>,
    network: bitcoin::Network,
) {
    let c = chain.clone();
    table.register(RpcMethod::new(
        "getblockchaininfo",
        "blockchain",
        "Returns an object containing various state info regarding blockchain processing.",
        move |_, ()| Ok(blockchain_info(&c.lock(), c.prune_target(), c.warnings())),
    ));

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getblockheader",
            "blockchain",
            "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\nIf verbose is true, returns an Object with information about blockheader <hash>.",
            move |_, p: GetBlockHeaderParams| {
                let cs = c.lock();
                let id = lookup(&cs, &p.blockhash)?;
                if !p.verbose {
                    let e = cs.index().entry(id).ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
                    return Ok(json!(serialize_hex(&e.header)));
                }
                Ok(Value::Object(header_json(&cs, id)))
            },
        ),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getblock",
            "blockchain",
            "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\nIf verbosity is 1, returns an Object with information about block <hash>.\nIf verbosity is 2, returns an Object with information about block <hash> and information about each transaction.\nIf verbosity is 3, returns an Object with information about block <hash> and information about each transaction, including prevout information for inputs (only for unpruned blocks in the current best chain).",
            move |_, p: GetBlockParams| {
                let verbosity = p.verbosity.0;
                let cs = c.lock();
                let id = lookup(&cs, &p.blockhash)?;
                if verbosity <= 0 {
                    let raw = crate::rpc::block_read::raw_block(&cs, id)?;
                    return Ok(json!(hex::encode(raw)));
                }
                block_json(&cs, id, verbosity, network)
            },
        ),
    );

    let c = chain.clone();
    table.register(RpcMethod::new(
        "getchaintips",
        "blockchain",
        "Return information about all known tips in the block tree, including the main chain as well as orphaned branches.",
        move |_, ()| Ok(chain_tips(&c.lock())),
    ));

    let c = chain.clone();
    table.register(RpcMethod::new(
        "getdifficulty",
        "blockchain",
        "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.",
        move |_, ()| {
            Ok(rpc::json::double_to_value(
                c.lock()
                    .tip_entry()
                    .map_or(0.0, |t| difficulty(t.header.bits)),
            ))
        },
    ));

    type ChainOp = fn(&mut Chainstate, &mut mempool::Mempool, BlockId) -> chain::Result<()>;
    let ops: [(&'static str, &'static str, ChainOp); 3] = [
        (
            "invalidateblock",
            "Permanently marks a block as invalid, as if it violated a consensus rule.",
            |cs, pool, id| cs.invalidate_block(id, pool),
        ),
        (
            "reconsiderblock",
            "Removes invalidity status of a block, its ancestors and its descendants, reconsider them for activation.\nThis can be used to undo the effects of invalidateblock.",
            |cs, pool, id| cs.reconsider_block(id, pool),
        ),
        (
            "preciousblock",
            "Treats a block as if it were received before others with the same work.\n\nA later preciousblock call can override the effect of an earlier one.\n\nThe effects of preciousblock are not retained across restarts.",
            |cs, pool, id| cs.precious_block(id, pool),
        ),
    ];
    for (name, help, op) in ops {
        let c = chain.clone();
        table.register(RpcMethod::new(
            name,
            "blockchain",
            help,
            move |_, p: BlockHashParams| {
                c.with_pool(|cs, pool| {
                    let id = lookup(cs, &p.blockhash)?;
                    op(cs, pool, id).map_err(chain_error)
                })?;
                Ok(Value::Null)
            },
        ));
    }

    let c = chain.clone();
    let s = shutdown.clone();
    table.register(
        RpcMethod::new(
            "waitforblockheight",
            "blockchain",
            "Waits for (at least) block height and returns the height and hash\nof the current tip.\n\nReturns the current block on timeout or exit.\n\nMake sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0)",
            move |_, p: WaitForBlockHeightParams| {
                let (height, timeout) = (p.height, p.timeout);
                if timeout < 0 {
                    return Err(RpcError::misc("Negative timeout"));
                }
                let limit = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
                let (h, hash) = c.wait_until(limit, &s, |t| i64::from(t.0) >= height);
                Ok(json!({"hash": hash.to_string(), "height": h}))
            },
        ),
    );

    let c = chain;
    table.register(
        RpcMethod::new(
            "waitforblock",
            "blockchain",
            "Waits for a specific new block and returns useful info about it.\n\nReturns the current block on timeout or exit.\n\nMake sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0)",
            move |_, p: WaitForBlockParams| {
                let (hash, timeout) = (p.blockhash, p.timeout);
                if timeout < 0 {
                    return Err(RpcError::misc("Negative timeout"));
                }
                let limit = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
                let (h, tip) = c.wait_until(limit, &shutdown, |t| t.1 == hash);
                Ok(json!({"hash": tip.to_string(), "height": h}))
            },
        ),
    );
}

/// `getblockchaininfo.backgroundvalidation`: the chainstate validating the
/// blocks below a loaded UTXO snapshot, while it runs.
fn background_validation(cs: &chain::Chainstate) -> Option<Value> {
    let base = cs.unvalidated_snapshot_base()?;
    let tip = cs.background_tip()?;
    let (b, t) = (cs.index().entry(base)?, cs.index().entry(tip)?);
    // Progress in transactions, against the snapshot's own count.
    let progress = if b.chain_tx == 0 {
        0.0
    } else {
        t.chain_tx as f64 / b.chain_tx as f64
    };
    Some(json!({
        "snapshotheight": b.height,
        "blocks": t.height,
        "bestblockhash": t.hash.to_string(),
        "mediantime": t.median_time_past,
        "chainwork": hex::encode(t.chain_work.to_be_bytes()),
        "verificationprogress": rpc::json::double_to_value(progress),
    }))
}

/// `bits`, `target` and `difficulty` of a header, in the order
/// `getblockheader`, `getblockchaininfo` and `getchainstates` print them.
pub(crate) fn insert_target_fields(o: &mut Map<String, Value>, bits: bitcoin::CompactTarget) {
    o.insert("bits".into(), json!(bits_hex(bits)));
    o.insert("target".into(), json!(target_hex(bits)));
    o.insert(
        "difficulty".into(),
        rpc::json::double_to_value(difficulty(bits)),
    );
}
