//! Chain figures for miners: `getmininginfo` and `getnetworkhashps`.

use std::sync::Arc;

use consensus::pow::{bits_hex, difficulty, target_hex};
use rpc::error::code as codes;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

use crate::assembler::BlockAssembler;

/// Blocks `getnetworkhashps` looks back over by default.
const DEFAULT_HASHPS_LOOKUP: i64 = 120;

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
    Ok(rpc::json::double_to_value(
        work / f64::from(max_time - min_time),
    ))
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
    out.insert("bits".into(), json!(bits_hex(tip.header.bits)));
    out.insert(
        "difficulty".into(),
        rpc::json::double_to_value(difficulty(tip.header.bits)),
    );
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
            "bits": bits_hex(next_bits),
            "difficulty": rpc::json::double_to_value(difficulty(next_bits)),
            "target": target_hex(next_bits),
        }),
    );
    out.insert("warnings".into(), json!(chain.warnings()));
    Ok(Value::Object(out))
}

rpc_params! {
    /// `getnetworkhashps`'s parameters.
    struct GetNetworkHashPsParams {
        /// The number of previous blocks to calculate estimate from, or -1 for blocks since last difficulty change.
        nblocks: i64 [Num, default = DEFAULT_HASHPS_LOOKUP],
        /// To estimate at the time of the given height.
        height: i64 [Num, default = -1],
    }
}

/// Registers `getmininginfo` and `getnetworkhashps`.
pub(super) fn register(table: &RpcTable, assembler: Arc<BlockAssembler>) {
    let chain = assembler.chain().clone();
    let a = assembler;
    table.register(RpcMethod::new(
        "getmininginfo",
        "mining",
        "Returns a json object containing mining-related information.",
        move |_, ()| mining_info(&a),
    ));

    table.register(
        RpcMethod::new(
            "getnetworkhashps",
            "mining",
            "Returns the estimated network hashes per second based on the last n blocks.\nPass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\nPass in [height] to estimate the network speed at the time when a certain block was found.",
            move |_, p: GetNetworkHashPsParams| network_hash_ps(&chain.lock(), p.nblocks, p.height),
        ),
    );
}
