//! Mining on request: `generatetoaddress`, `generatetodescriptor`,
//! `generateblock`, and the retired `generate`.

use std::sync::Arc;

use bitcoin::{Block, ScriptBuf};
use chainstate_service::NodeChain;
use common::shutdown::Shutdown;
use rpc::error::code as codes;
use rpc::{rpc_params, Deferred, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

use super::DEFAULT_COINBASE_SIGOPS;
use crate::assembler::{BlockAssembler, Contents, Request};
use crate::miner::{merkle_root, solve};

/// Nonces tried per `generate*` call unless `maxtries` says otherwise.
const DEFAULT_MAX_TRIES: i64 = 1_000_000;

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

rpc_params! {
    /// `generatetoaddress`'s parameters.
    struct GenerateToAddressParams {
        /// How many blocks are generated.
        nblocks: i64 [Num, required],
        /// The address to send the newly generated bitcoin to.
        address: String [Str, required],
        /// How many iterations to try.
        // Read after the address is decoded, as Core does.
        maxtries: Deferred<i64> [Num, default = DEFAULT_MAX_TRIES],
    }
}

rpc_params! {
    /// `generateblock`'s parameters.
    struct GenerateBlockParams {
        /// The address or descriptor to send the newly generated bitcoin to.
        output: String [Str, required],
        /// An array of hex strings which are either txids or raw transactions.
        /// Txids must reference transactions currently in the mempool.
        /// All transactions must be valid and in valid order, otherwise the block will be rejected.
        transactions: Vec<Value> [Arr, required],
        /// Whether to submit the block before the RPC call returns or to return it as hex.
        submit: bool [Bool, default = true],
    }
}

rpc_params! {
    /// `generatetodescriptor`'s parameters.
    struct GenerateToDescriptorParams {
        /// How many blocks are generated.
        num_blocks: i64 [Num, required],
        /// The descriptor to send the newly generated bitcoin to.
        descriptor: String [Str, required],
        /// How many iterations to try.
        // Read after the descriptor is parsed, as Core does.
        maxtries: Deferred<i64> [Num, default = DEFAULT_MAX_TRIES],
    }
}

/// Registers the `generate*` RPCs.
pub(super) fn register(
    table: &RpcTable,
    assembler: Arc<BlockAssembler>,
    shutdown: Arc<Shutdown>,
    network: bitcoin::Network,
) {
    let miner = Arc::new(Miner {
        chain: assembler.chain().clone(),
        assembler: assembler.clone(),
        shutdown,
    });
    let m = miner.clone();
    table.register(
        RpcMethod::new(
            "generatetoaddress",
            "generating",
            "Mine to a specified address and return the block hashes.",
            move |_, p: GenerateToAddressParams| {
                let script = decode_address(&p.address, network)?;
                m.generate(script, p.nblocks, p.maxtries.get()?)
            },
        )
        .hidden(),
    );

    let m = miner.clone();
    table.register(
        RpcMethod::new(
            "generateblock",
            "generating",
            "Mine a set of ordered transactions to a specified address or descriptor and return the block hash.",
            move |_, p: GenerateBlockParams| {
                let target = p.output.as_str();
                let script = if utility_rpc::descriptor::parse(target, false, network).is_ok() {
                    descriptor_script(target, network)?
                } else {
                    decode_address(target, network).map_err(|_| {
                        RpcError::invalid_address_or_key("Error: Invalid address or descriptor")
                    })?
                };
                m.generate_block(script, &p.transactions, p.submit)
            },
        )
        .hidden(),
    );

    let m = miner;
    table.register(
        RpcMethod::new(
            "generatetodescriptor",
            "generating",
            "Mine to a specified descriptor and return the block hashes.",
            move |_, p: GenerateToDescriptorParams| {
                let script = descriptor_script(&p.descriptor, network)?;
                m.generate(script, p.num_blocks, p.maxtries.get()?)
            },
        )
        .hidden(),
    );

    table.register(
        RpcMethod::new(
            "generate",
            "hidden",
            "has been replaced by the -generate cli option. Refer to -help for more information.",
            |_, ()| {
                Err(RpcError::new(
                    codes::METHOD_NOT_FOUND,
                    // Core answers with the method's help text.
                    "generate\n\nhas been replaced by the -generate cli option. Refer to -help for more information.\n",
                ))
            },
        )
        .hidden(),
    );
}
