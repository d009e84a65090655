//! RPCs over the optional indexes: `getindexinfo`, `getblockfilter`, and the
//! merkle proofs `gettxoutproof` / `verifytxoutproof` (which use `-txindex`
//! when the block is not given and no output of the transaction is unspent).

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::consensus::encode::{deserialize_partial, serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{MerkleBlock, Txid};
use blockstore::store::status;
use index::IndexRunner;
use rpc::error::code;
use rpc::{rpc_params, Arg, ArgType, FromParam, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use chainstate_service::NodeChain;
use rpc::json::parse_hash;

rpc_params! {
    /// `getindexinfo`'s parameters.
    struct GetIndexInfoParams {
        /// Filter results for an index with a specific name.
        index_name: Option<String> [Str, optional],
    }
}

fn getindexinfo(chain: &NodeChain, p: GetIndexInfoParams) -> Result<Value, RpcError> {
    let wanted = p.index_name.unwrap_or_default();
    let mut out = Map::new();
    if let Some(indexes) = chain.indexes() {
        for summary in indexes.all().map(|i| i.summary()) {
            if wanted.is_empty() || wanted == summary.name {
                out.insert(
                    summary.name.to_string(),
                    json!({"synced": summary.synced, "best_block_height": summary.best_block_height}),
                );
            }
        }
    }
    Ok(Value::Object(out))
}

/// The enabled filter index for `filtertype`, with Core's errors.
pub fn filter_index(chain: &NodeChain, filtertype: &str) -> Result<Arc<IndexRunner>, RpcError> {
    if filtertype != index::blockfilter::BASIC {
        return Err(RpcError::invalid_address_or_key("Unknown filtertype"));
    }
    chain
        .indexes()
        .and_then(|i| i.blockfilter.clone())
        .ok_or_else(|| RpcError::misc(format!("Index is not enabled for filtertype {filtertype}")))
}

rpc_params! {
    /// `getblockfilter`'s parameters.
    struct GetBlockFilterParams {
        /// The hash of the block
        blockhash: bitcoin::BlockHash [StrHex, required],
        /// The type name of the filter
        filtertype: String [Str, default = index::blockfilter::BASIC],
    }
}

fn getblockfilter(chain: &NodeChain, p: GetBlockFilterParams) -> Result<Value, RpcError> {
    let hash = p.blockhash;
    let index = filter_index(chain, &p.filtertype)?;
    let connected = {
        let cs = chain.lock();
        let e = cs
            .index()
            .get(&hash)
            .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
        e.status & status::FAILED_MASK == 0
            && e.status & status::VALID_MASK >= status::VALID_SCRIPTS
    };
    let ready = index.block_until_synced();
    let found = index::blockfilter::lookup(index.db(), &hash)
        .map_err(|e| RpcError::new(code::INTERNAL_ERROR, e.to_string()))?;
    let Some(stored) = found else {
        let (c, detail) = if !connected {
            (
                code::INVALID_ADDRESS_OR_KEY,
                "Block was not connected to active chain.",
            )
        } else if !ready {
            (
                code::MISC_ERROR,
                "Block filters are still in the process of being indexed.",
            )
        } else {
            (
                code::INTERNAL_ERROR,
                "This error is unexpected and indicates index corruption.",
            )
        };
        return Err(RpcError::new(c, format!("Filter not found. {detail}")));
    };
    Ok(json!({
        "filter": hex::encode(&stored.filter.content),
        "header": stored.header.to_string(),
    }))
}

/// `gettxoutproof`'s txids: not empty, no duplicates, ordered as Core's
/// `std::set<Txid>` (by the hash's internal bytes).
struct Txids(BTreeSet<[u8; 32]>);

impl FromParam for Txids {
    fn from_param(value: &Value, _: &Arg) -> Result<Self, RpcError> {
        parse_txids(value).map(Txids)
    }
}

fn parse_txids(value: &Value) -> Result<BTreeSet<[u8; 32]>, RpcError> {
    let list = match value {
        Value::Array(a) => a,
        v => return Err(rpc::params::type_mismatch(v, "array")),
    };
    if list.is_empty() {
        return Err(RpcError::invalid_parameter(
            "Parameter 'txids' cannot be empty",
        ));
    }
    // Ordered as Core's std::set<Txid>: by the hash's internal bytes.
    let mut set = BTreeSet::new();
    for v in list {
        let s = v.as_str().ok_or_else(|| {
            RpcError::type_error(format!(
                "JSON value of type {} is not of expected type string",
                rpc::method::json_type_name(v)
            ))
        })?;
        let txid = parse_hash(s, "txid")?.to_byte_array();
        if !set.insert(txid) {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid parameter, duplicated txid: {s}"
            )));
        }
    }
    Ok(set)
}

rpc_params! {
    /// `gettxoutproof`'s parameters.
    struct GetTxOutProofParams {
        /// The txids to filter
        txids: Txids [Arr, required, inner = vec![
            Arg::optional("txid", ArgType::StrHex, "A transaction hash"),
        ]],
        /// If specified, looks for txid in the block with this hash
        blockhash: Option<bitcoin::BlockHash> [StrHex, optional],
    }
}

fn gettxoutproof(chain: &NodeChain, p: GetTxOutProofParams) -> Result<Value, RpcError> {
    let txids: Vec<Txid> = p.txids.0.into_iter().map(Txid::from_byte_array).collect();
    let mut block_id = {
        let cs = chain.lock();
        match p.blockhash {
            Some(hash) => Some(
                cs.index()
                    .id(&hash)
                    .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?,
            ),
            None => {
                let mut found = None;
                for txid in &txids {
                    let coin = cs.coins().any_unspent_of(txid).map_err(|_| {
                        RpcError::new(code::INTERNAL_ERROR, "Unable to read UTXO set")
                    })?;
                    if let Some(c) = coin {
                        found = cs.at_height(c.height);
                        break;
                    }
                }
                found
            }
        }
    };
    if block_id.is_none() {
        let not_found = || RpcError::invalid_address_or_key("Transaction not yet in block");
        let txindex = chain
            .indexes()
            .and_then(|i| i.txindex.clone())
            .ok_or_else(not_found)?;
        crate::indexes::wait_for_txindex(chain);
        let cs = chain.lock();
        let (hash, _) = index::txindex::find_tx(txindex.db(), &cs, &txids[0])
            .map_err(|e| RpcError::new(code::INTERNAL_ERROR, e.to_string()))?
            .ok_or_else(not_found)?;
        block_id = Some(
            cs.index()
                .id(&hash)
                .ok_or_else(|| RpcError::new(code::INTERNAL_ERROR, "Transaction index corrupt"))?,
        );
    }
    let cs = chain.lock();
    let id = block_id.ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
    crate::rpc::block_read::check_available(&cs, id, false)?;
    let block = cs
        .read_block(id)
        .map_err(|_| RpcError::new(code::INTERNAL_ERROR, "Can't read block from disk"))?;
    let found = block
        .txdata
        .iter()
        .filter(|t| txids.contains(&t.compute_txid()))
        .count();
    if found != txids.len() {
        return Err(RpcError::invalid_address_or_key(
            "Not all transactions found in specified or retrieved block",
        ));
    }
    let proof = MerkleBlock::from_block_with_predicate(&block, |t| txids.contains(t));
    Ok(json!(serialize_hex(&proof)))
}

rpc_params! {
    /// `verifytxoutproof`'s parameters.
    struct VerifyTxOutProofParams {
        /// The hex-encoded proof generated by gettxoutproof
        proof: String [StrHex, required],
    }
}

fn verifytxoutproof(chain: &NodeChain, p: VerifyTxOutProofParams) -> Result<Value, RpcError> {
    let text = &p.proof;
    let bytes = common::strencodings::parse_hex(text)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            RpcError::invalid_parameter(format!("proof must be hexadecimal string (not '{text}')"))
        })?;
    let (proof, _) = deserialize_partial::<MerkleBlock>(&bytes)
        .map_err(|_| RpcError::misc(consensus::codec::END_OF_DATA))?;
    let mut matches = Vec::new();
    let mut indexes = Vec::new();
    match proof.txn.extract_matches(&mut matches, &mut indexes) {
        Ok(root) if root == proof.header.merkle_root => {}
        _ => return Ok(json!([])),
    }
    let cs = chain.lock();
    let entry = cs
        .index()
        .id(&proof.header.block_hash())
        .filter(|id| cs.is_active(*id))
        .and_then(|id| cs.index().entry(id))
        .filter(|e| e.n_tx > 0)
        .ok_or_else(|| RpcError::invalid_address_or_key("Block not found in chain"))?;
    if entry.n_tx != proof.txn.num_transactions() {
        return Ok(json!([]));
    }
    Ok(Value::Array(
        matches.iter().map(|t| json!(t.to_string())).collect(),
    ))
}

/// Registers the index RPCs.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    let c = chain.clone();
    table.register(RpcMethod::new(
        "getindexinfo",
        "util",
        "Returns the status of one or all available indices currently running in the node.",
        move |_, p| getindexinfo(&c, p),
    ));
    let c = chain.clone();
    table.register(RpcMethod::new(
        "getblockfilter",
        "blockchain",
        "Retrieve a BIP 157 content filter for a particular block.",
        move |_, p| getblockfilter(&c, p),
    ));
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "gettxoutproof",
            "blockchain",
            "Returns a hex-encoded proof that \"txid\" was included in a block.\n\nNOTE: By default this function only works sometimes. This is when there is an\nunspent output in the utxo for this transaction. To make it always work,\nyou need to maintain a transaction index, using the -txindex command line option or\nspecify the block in which the transaction is included manually (by blockhash).",
            move |_, p| gettxoutproof(&c, p),
        ),
    );
    table.register(
        RpcMethod::new(
            "verifytxoutproof",
            "blockchain",
            "Verifies that a proof points to a transaction in a block, returning the transaction it commits to\nand throwing an RPC error if the block is not in our best chain",
            move |_, p| verifytxoutproof(&chain, p),
        ),
    );
}
