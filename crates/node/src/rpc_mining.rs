//! Mining RPCs: `generatetoaddress`, `generatetodescriptor`, `submitblock`,
//! `submitheader`, `getmininginfo`, and the retired `generate`.

use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::{Block, ScriptBuf};
use blockstore::status;
use chain::ChainError;
use rpc::error::code as codes;
use rpc::{Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

use crate::block_assembler::{BlockAssembler, Contents, Request};
use crate::miner::{merkle_root, solve};
use chainstate_service::NodeChain;
use common::shutdown::Shutdown;
use consensus::pow::{difficulty, target_hex};

/// Nonces tried per `generate*` call unless `maxtries` says otherwise.
const DEFAULT_MAX_TRIES: i64 = 1_000_000;
/// Blocks `getnetworkhashps` looks back over by default.
const DEFAULT_HASHPS_LOOKUP: i64 = 120;
/// Sigops Core keeps free for extra coinbase outputs in RPC-made blocks.
pub(crate) const DEFAULT_COINBASE_SIGOPS: u64 = 400;

/// What the `generate*` RPCs need.
struct Miner {
    chain: Arc<NodeChain>,
    assembler: Arc<BlockAssembler>,
    shutdown: Arc<Shutdown>,
}

impl Miner {
    /// Solves `block` within `tries` nonces and, with `submit`, hands it to
    /// validation. `None` when the tries ran out or shutdown began.
    fn mine(
        &self,
        mut block: Block,
        tries: &mut u64,
        submit: bool,
    ) -> Result<Option<Block>, RpcError> {
        let params = self.chain.lock().params_arc();
        let found = loop {
            if solve(&mut block, &params, tries, || self.shutdown.is_requested()) {
                break true;
            }
            if *tries == 0 || self.shutdown.is_requested() {
                break false;
            }
            // Nonces exhausted: vary the header time and go on.
            block.header.time += 1;
            block.header.nonce = 0;
            block.header.merkle_root = merkle_root(&block);
        };
        if !found {
            return Ok(None);
        }
        if submit {
            let shared = Arc::new(block.clone());
            self.chain
                .with_pool(|cs, pool| cs.process_new_block(shared, true, pool))
                .map_err(|e| {
                    tracing::warn!("generate: {e}");
                    RpcError::new(codes::INTERNAL_ERROR, "ProcessNewBlock, block not accepted")
                })?;
        }
        Ok(Some(block))
    }

    /// The assembler request of the `generate*` RPCs.
    fn request(&self, script: ScriptBuf, contents: Contents) -> Request {
        Request {
            script,
            contents,
            reserved_weight: self.assembler.args().block_reserved_weight,
            additional_sigops: DEFAULT_COINBASE_SIGOPS,
        }
    }

    /// A block from the node's assembler with the RPC defaults.
    fn assemble(&self, script: ScriptBuf, contents: Contents) -> Result<Block, RpcError> {
        self.assembler
            .create(&self.request(script, contents))
            .map(|a| a.block)
            .map_err(|e| RpcError::new(codes::INTERNAL_ERROR, e))
    }

    fn generate(&self, script: ScriptBuf, n: i64, max_tries: i64) -> Result<Value, RpcError> {
        let mut tries = u64::try_from(max_tries).unwrap_or(0);
        let mut hashes = Vec::new();
        for _ in 0..n.max(0) {
            let block = self.assemble(script.clone(), Contents::Mempool)?;
            match self.mine(block, &mut tries, true)? {
                Some(b) => hashes.push(json!(b.block_hash().to_string())),
                None => break,
            }
        }
        Ok(Value::Array(hashes))
    }

    /// `generateblock`: a block with exactly `txs` (txids from the mempool or raw hex).
    fn generate_block(
        &self,
        script: ScriptBuf,
        txs: &[Value],
        submit: bool,
    ) -> Result<Value, RpcError> {
        let mut chosen = Vec::with_capacity(txs.len());
        {
            let pool = self.chain.pool();
            for v in txs {
                let text = v
                    .as_str()
                    .ok_or_else(|| RpcError::type_error("Expected type string"))?;
                let as_txid = (text.len() == 64)
                    .then(|| text.parse::<bitcoin::Txid>().ok())
                    .flatten();
                if let Some(txid) = as_txid {
                    let e = pool.get(&txid).ok_or_else(|| {
                        RpcError::invalid_address_or_key(format!(
                            "Transaction {text} not in mempool."
                        ))
                    })?;
                    chosen.push((*e.tx).clone());
                } else if let Some(tx) = utility_rpc::tojson::decode_hex_tx(text, true, true) {
                    chosen.push(tx);
                } else {
                    return Err(RpcError::deserialization(format!(
                        "Transaction decode failed for {text}. Make sure the tx has at least one input."
                    )));
                }
            }
        }
        let block = {
            // One lock across assembly and check, so a concurrent block
            // cannot move the tip in between.
            let cs = self.chain.lock();
            let pool = self.chain.pool();
            let block = self
                .assembler
                .create_locked(&cs, &pool, &self.request(script, Contents::Exactly(chosen)))
                .map(|a| a.block)
                .map_err(|e| RpcError::new(codes::INTERNAL_ERROR, e))?;
            drop(pool);
            match cs.test_block_validity(&block, false, false) {
                Ok(()) => block,
                Err(e) => {
                    return Err(RpcError::new(
                        codes::VERIFY_ERROR,
                        format!("TestBlockValidity failed: {e}"),
                    ))
                }
            }
        };
        let mut tries = DEFAULT_MAX_TRIES as u64;
        let block = self
            .mine(block, &mut tries, submit)?
            .ok_or_else(|| RpcError::misc("Failed to make block."))?;
        let mut out = serde_json::Map::new();
        out.insert("hash".into(), json!(block.block_hash().to_string()));
        if !submit {
            out.insert(
                "hex".into(),
                json!(bitcoin::consensus::encode::serialize_hex(&block)),
            );
        }
        Ok(Value::Object(out))
    }
}

fn decode_address(addr: &str, network: bitcoin::Network) -> Result<ScriptBuf, RpcError> {
    let params = utility_rpc::address::ChainParams::for_network(network);
    utility_rpc::address::decode(addr, &params)
        .map(|d| ScriptBuf::from_bytes(d.script_pubkey()))
        .map_err(|_| RpcError::invalid_address_or_key("Error: Invalid address"))
}

fn descriptor_script(desc: &str, network: bitcoin::Network) -> Result<ScriptBuf, RpcError> {
    let parsed = utility_rpc::descriptor::parse(desc, false, network)
        .map_err(RpcError::invalid_address_or_key)?;
    if parsed.is_range {
        return Err(RpcError::invalid_parameter(
            "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?",
        ));
    }
    let scripts = parsed.scripts(0, 0).map_err(|e| match e {
        utility_rpc::descriptor::DeriveError::NeedsPrivateKey => {
            RpcError::invalid_address_or_key("Cannot derive script without private keys")
        }
    })?;
    // combo() expands to several scripts: Core pays to P2WPKH when there are
    // four (compressed key), else to P2PKH.
    let pick = match scripts.len() {
        1 => 0,
        4 => 2,
        _ => 1,
    };
    scripts
        .get(pick)
        .map(|s| ScriptBuf::from_bytes(s.clone()))
        .ok_or_else(|| {
            RpcError::invalid_address_or_key("Cannot derive script without private keys")
        })
}

/// Decodes a hex block; like Core, bytes after the block are ignored.
pub(crate) fn decode_block(hex_data: &str) -> Result<Block, RpcError> {
    hex::decode(hex_data)
        .ok()
        .and_then(|b| consensus::codec::read_block_prefix(&b).ok())
        .map(|(block, _)| block)
        .ok_or_else(|| RpcError::deserialization("Block decode failed"))
}

/// A validation outcome as BIP22 reports it: null when valid, else the
/// reject reason ("rejected" when there is none); internal errors throw.
pub(crate) fn bip22_result(r: Result<(), ChainError>) -> Result<Value, RpcError> {
    match r {
        Ok(()) => Ok(Value::Null),
        Err(ChainError::Invalid(v)) if v.reason.is_empty() => Ok(json!("rejected")),
        Err(ChainError::Invalid(v)) => Ok(json!(v.reason)),
        Err(other) => Err(RpcError::new(codes::VERIFY_ERROR, other.to_string())),
    }
}

fn submit_block(chain: &NodeChain, hex_data: &str) -> Result<Value, RpcError> {
    let mut block = decode_block(hex_data)?;
    let hash = block.block_hash();
    chain.with_pool(|cs, pool| {
        if let Some(e) = cs.index().get(&hash) {
            if e.status & status::HAVE_DATA != 0 {
                if e.status & status::FAILED_MASK != 0 {
                    return Ok(json!("duplicate-invalid"));
                }
                return Ok(json!("duplicate"));
            }
        }
        if let Some(prev) = cs.index().get(&block.header.prev_blockhash) {
            let segwit = consensus::flags::deployment_active_at(
                prev.height + 1,
                consensus::BuriedDeployment::Segwit,
                cs.params(),
            );
            consensus::merkle::update_uncommitted_block_structures(&mut block, segwit);
        }
        // A pruned block of the active chain is stored again but not
        // validated again, which Core reports as inconclusive.
        let already_connected = cs.index().id(&hash).is_some_and(|id| cs.is_active(id));
        match cs.process_new_block(Arc::new(block), true, pool) {
            Ok(p) if !p.new_block => Ok(json!("duplicate")),
            Ok(p) if cs.is_active(p.id) && !already_connected => Ok(Value::Null),
            Ok(_) => Ok(json!("inconclusive")),
            Err(e) => bip22_result(Err(e)),
        }
    })
}

fn submit_header(chain: &NodeChain, hex_data: &str) -> Result<Value, RpcError> {
    // Like Core, bytes after the header are ignored.
    let header: Header = hex::decode(hex_data)
        .ok()
        .and_then(|b| bitcoin::consensus::Decodable::consensus_decode(&mut b.as_slice()).ok())
        .ok_or_else(|| RpcError::deserialization("Block header decode failed"))?;
    chain.with(|cs| {
        if cs.index().id(&header.prev_blockhash).is_none() {
            return Err(RpcError::new(
                codes::VERIFY_ERROR,
                format!(
                    "Must submit previous header ({}) first",
                    header.prev_blockhash
                ),
            ));
        }
        match cs.accept_header(&header) {
            Ok(_) => Ok(Value::Null),
            Err(ChainError::Invalid(v)) => Err(RpcError::new(codes::VERIFY_ERROR, v.reason)),
            Err(e) => Err(RpcError::new(codes::VERIFY_ERROR, e.to_string())),
        }
    })
}

/// `bitcoin::pow::Work` as a float, for hash-rate estimates.
fn work_f64(w: bitcoin::pow::Work) -> f64 {
    w.to_be_bytes()
        .iter()
        .fold(0.0, |acc, b| acc * 256.0 + f64::from(*b))
}

/// Core's `GetNetworkHashPS`: work per second over the last `lookup` blocks
/// ending at `height` (-1: the tip; lookup -1: since the last retarget).
fn network_hash_ps(cs: &chain::Chainstate, lookup: i64, height: i64) -> Result<Value, RpcError> {
    if lookup < -1 || lookup == 0 {
        return Err(RpcError::invalid_parameter(
            "Invalid nblocks. Must be a positive number or -1.",
        ));
    }
    if height < -1 || height > i64::from(cs.height()) {
        return Err(RpcError::invalid_parameter(
            "Block does not exist at specified height",
        ));
    }
    let at = if height >= 0 {
        height as u32
    } else {
        cs.height()
    };
    let Some(end) = cs.at_height(at).and_then(|id| cs.index().entry(id)) else {
        return Ok(json!(0));
    };
    if end.height == 0 {
        return Ok(json!(0));
    }
    let mut lookup = if lookup == -1 {
        i64::from(end.height % cs.params().difficulty_adjustment_interval()) + 1
    } else {
        lookup
    };
    lookup = lookup.min(i64::from(end.height));
    let (mut min_time, mut max_time) = (end.header.time, end.header.time);
    let mut start = end;
    for _ in 0..lookup {
        let Some(prev) = start.parent.and_then(|p| cs.index().entry(p)) else {
            break;
        };
        start = prev;
        min_time = min_time.min(start.header.time);
        max_time = max_time.max(start.header.time);
    }
    if min_time == max_time {
        return Ok(json!(0));
    }
    let work = work_f64(end.chain_work) - work_f64(start.chain_work);
    Ok(json!(work / f64::from(max_time - min_time)))
}

fn mining_info(assembler: &BlockAssembler) -> Result<Value, RpcError> {
    let chain = assembler.chain();
    let cs = chain.lock();
    let pooled = chain.pool().len();
    let tip = cs
        .tip_entry()
        .ok_or_else(|| RpcError::new(codes::INTERNAL_ERROR, "no tip"))?;
    let prev = tip.info();
    let next_time = crate::miner::minimum_time(&prev, cs.params()).max(common::time::now_secs());
    let next_bits =
        consensus::pow::get_next_work_required(&prev, next_time as u32, cs.index(), cs.params());
    let mut out = serde_json::Map::new();
    out.insert("blocks".into(), json!(tip.height));
    if let Some(last) = assembler.last_block() {
        out.insert("currentblockweight".into(), json!(last.weight));
        out.insert("currentblocktx".into(), json!(last.txs));
    }
    out.insert(
        "bits".into(),
        json!(format!("{:08x}", tip.header.bits.to_consensus())),
    );
    out.insert("difficulty".into(), json!(difficulty(tip.header.bits)));
    out.insert("target".into(), json!(target_hex(tip.header.bits)));
    out.insert(
        "networkhashps".into(),
        network_hash_ps(&cs, DEFAULT_HASHPS_LOOKUP, -1)?,
    );
    out.insert("pooledtx".into(), json!(pooled));
    out.insert(
        "blockmintxfee".into(),
        rpc::json::amount_to_value(assembler.args().block_min_fee),
    );
    out.insert("chain".into(), json!(cs.params().chain.as_str()));
    if cs.params().signet_blocks {
        out.insert(
            "signet_challenge".into(),
            json!(hex::encode(&cs.params().signet_challenge)),
        );
    }
    out.insert(
        "next".into(),
        json!({
            "height": tip.height + 1,
            "bits": format!("{:08x}", next_bits.to_consensus()),
            "difficulty": difficulty(next_bits),
            "target": target_hex(next_bits),
        }),
    );
    out.insert("warnings".into(), json!([]));
    Ok(Value::Object(out))
}

/// Registers the mining RPCs.
pub fn register(
    table: &RpcTable,
    assembler: Arc<BlockAssembler>,
    shutdown: Arc<Shutdown>,
    network: bitcoin::Network,
) {
    let chain = assembler.chain().clone();
    let miner = Arc::new(Miner {
        chain: chain.clone(),
        assembler: assembler.clone(),
        shutdown,
    });
    let m = miner.clone();
    table.register(
        RpcMethod::new(
            "generatetoaddress",
            "generating",
            "Mine to a specified address and return the block hashes.",
            move |req| {
                let n = req.params.opt_i64(0)?.unwrap_or(0);
                let script = decode_address(req.params.str_at(1)?, network)?;
                let tries = req.params.opt_i64(2)?.unwrap_or(DEFAULT_MAX_TRIES);
                m.generate(script, n, tries)
            },
        )
        .args(vec![
            Arg::required("nblocks", ArgType::Num, "How many blocks are generated."),
            Arg::required(
                "address",
                ArgType::Str,
                "The address to send the newly generated bitcoin to.",
            ),
            Arg::with_default(
                "maxtries",
                ArgType::Num,
                json!(DEFAULT_MAX_TRIES),
                "How many iterations to try.",
            ),
        ])
        .hidden(),
    );

    let m = miner.clone();
    table.register(
        RpcMethod::new(
            "generateblock",
            "generating",
            "Mine a set of ordered transactions to a specified address or descriptor and return the block hash.",
            move |req| {
                let target = req.params.str_at(0)?;
                let script = if utility_rpc::descriptor::parse(target, false, network).is_ok() {
                    descriptor_script(target, network)?
                } else {
                    decode_address(target, network).map_err(|_| {
                        RpcError::invalid_address_or_key("Error: Invalid address or descriptor")
                    })?
                };
                let txs = match req.params.opt(1) {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                let submit = req.params.opt_bool(2)?.unwrap_or(true);
                m.generate_block(script, &txs, submit)
            },
        )
        .args(vec![
            Arg::required("output", ArgType::Str, "The address or descriptor to send the newly generated bitcoin to."),
            Arg::required("transactions", ArgType::Arr, "An array of hex strings which are either txids or raw transactions.\nTxids must reference transactions currently in the mempool.\nAll transactions must be valid and in valid order, otherwise the block will be rejected."),
            Arg::with_default("submit", ArgType::Bool, json!(true), "Whether to submit the block before the RPC call returns or to return it as hex."),
        ])
        .hidden(),
    );

    let m = miner;
    table.register(
        RpcMethod::new(
            "generatetodescriptor",
            "generating",
            "Mine to a specified descriptor and return the block hashes.",
            move |req| {
                let n = req.params.opt_i64(0)?.unwrap_or(0);
                let script = descriptor_script(req.params.str_at(1)?, network)?;
                let tries = req.params.opt_i64(2)?.unwrap_or(DEFAULT_MAX_TRIES);
                m.generate(script, n, tries)
            },
        )
        .args(vec![
            Arg::required("num_blocks", ArgType::Num, "How many blocks are generated."),
            Arg::required(
                "descriptor",
                ArgType::Str,
                "The descriptor to send the newly generated bitcoin to.",
            ),
            Arg::with_default(
                "maxtries",
                ArgType::Num,
                json!(DEFAULT_MAX_TRIES),
                "How many iterations to try.",
            ),
        ])
        .hidden(),
    );

    table.register(
        RpcMethod::new(
            "generate",
            "hidden",
            "has been replaced by the -generate cli option. Refer to -help for more information.",
            |_| {
                Err(RpcError::new(
                    codes::METHOD_NOT_FOUND,
                    // Core answers with the method's help text.
                    "generate\n\nhas been replaced by the -generate cli option. Refer to -help for more information.\n",
                ))
            },
        )
        .hidden(),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "submitblock",
            "mining",
            "Attempts to submit new block to network.\nSee https://en.bitcoin.it/wiki/BIP_0022 for full specification.",
            move |req| submit_block(&c, req.params.str_at(0)?),
        )
        .args(vec![
            Arg::required("hexdata", ArgType::StrHex, "the hex-encoded block data to submit"),
            Arg::with_default("dummy", ArgType::Str, json!("ignored"), "dummy value, for compatibility with BIP22. This value is ignored."),
        ]),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "submitheader",
            "mining",
            "Decode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.",
            move |req| submit_header(&c, req.params.str_at(0)?),
        )
        .args(vec![Arg::required("hexdata", ArgType::StrHex, "the hex-encoded block header data")]),
    );

    let a = assembler;
    table.register(RpcMethod::new(
        "getmininginfo",
        "mining",
        "Returns a json object containing mining-related information.",
        move |_| mining_info(&a),
    ));

    table.register(
        RpcMethod::new(
            "getnetworkhashps",
            "mining",
            "Returns the estimated network hashes per second based on the last n blocks.\nPass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\nPass in [height] to estimate the network speed at the time when a certain block was found.",
            move |req| {
                let lookup = req.params.opt_i64(0)?.unwrap_or(DEFAULT_HASHPS_LOOKUP);
                let height = req.params.opt_i64(1)?.unwrap_or(-1);
                network_hash_ps(&chain.lock(), lookup, height)
            },
        )
        .args(vec![
            Arg::with_default("nblocks", ArgType::Num, json!(DEFAULT_HASHPS_LOOKUP), "The number of previous blocks to calculate estimate from, or -1 for blocks since last difficulty change."),
            Arg::with_default("height", ArgType::Num, json!(-1), "To estimate at the time of the given height."),
        ]),
    );
}
