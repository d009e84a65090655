//! Blocks and headers from outside: `submitblock` (BIP22 answers) and
//! `submitheader`; the block decoding and BIP22 result shared with
//! `getblocktemplate`'s proposal mode.

use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::Block;
use blockstore::status;
use chain::ChainError;
use chainstate_service::NodeChain;
use rpc::error::code as codes;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Decodes a hex block; like Core, bytes after the block are ignored.
pub(super) fn decode_block(hex_data: &str) -> Result<Block, RpcError> {
    hex::decode(hex_data)
        .ok()
        .and_then(|b| consensus::codec::read_block_prefix(&b).ok())
        .map(|(block, _)| block)
        .ok_or_else(|| RpcError::deserialization("Block decode failed"))
}

/// A validation outcome as BIP22 reports it: null when valid, else the
/// reject reason ("rejected" when there is none); internal errors throw.
pub(super) fn bip22_result(r: Result<(), ChainError>) -> Result<Value, RpcError> {
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

rpc_params! {
    /// `submitblock`'s parameters.
    struct SubmitBlockParams {
        /// the hex-encoded block data to submit
        hexdata: String [StrHex, required],
        /// dummy value, for compatibility with BIP22. This value is ignored.
        _dummy: Value [Str, default = "ignored", names = "dummy"],
    }
}

rpc_params! {
    /// `submitheader`'s parameters.
    struct SubmitHeaderParams {
        /// the hex-encoded block header data
        hexdata: String [StrHex, required],
    }
}

/// Registers `submitblock` and `submitheader`.
pub(super) fn register(table: &RpcTable, chain: &Arc<NodeChain>) {
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "submitblock",
            "mining",
            "Attempts to submit new block to network.\nSee https://en.bitcoin.it/wiki/BIP_0022 for full specification.",
            move |_, p: SubmitBlockParams| submit_block(&c, &p.hexdata),
        ),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "submitheader",
            "mining",
            "Decode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.",
            move |_, p: SubmitHeaderParams| submit_header(&c, &p.hexdata),
        ),
    );
}
