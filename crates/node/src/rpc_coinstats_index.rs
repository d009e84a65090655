//! `gettxoutsetinfo` answered from `-coinstatsindex`: statistics of any
//! block (`hash_or_height`) with the per-block `block_info` and
//! unspendable totals Core adds when the index is used.

use chain::coinstats::HashType;
use index::coinstats::CoinStatsRecord;
use rpc::error::code;
use rpc::json::amount_to_value;
use rpc::{Params, RpcError};
use serde_json::{json, Map, Value};

use chainstate_service::NodeChain;
use rpc::json::parse_hash;

fn unreadable() -> RpcError {
    RpcError::new(code::INTERNAL_ERROR, "Unable to read UTXO set")
}

/// The block `hash_or_height` names (Core's `ParseHashOrHeight`): hash and height.
fn parse_hash_or_height(
    chain: &NodeChain,
    v: &Value,
) -> Result<(bitcoin::BlockHash, u32), RpcError> {
    let cs = chain.lock();
    if let Value::Number(n) = v {
        let height = rpc::json::number_to_i64(n)?;
        if height < 0 {
            return Err(RpcError::invalid_parameter(format!(
                "Target block height {height} is negative"
            )));
        }
        let tip = i64::from(cs.height());
        if height > tip {
            return Err(RpcError::invalid_parameter(format!(
                "Target block height {height} after current tip {tip}"
            )));
        }
        let e = cs
            .at_height(height as u32)
            .and_then(|id| cs.index().entry(id))
            .ok_or_else(unreadable)?;
        return Ok((e.hash, e.height));
    }
    let text = v.as_str().ok_or_else(|| {
        RpcError::type_error(format!(
            "JSON value of type {} is not of expected type string",
            rpc::method::json_type_name(v)
        ))
    })?;
    let hash = parse_hash(text, "hash_or_height")?;
    let e = cs
        .index()
        .get(&hash)
        .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
    Ok((e.hash, e.height))
}

/// Answers from the index when Core would; `None` means scan the UTXO set.
pub fn from_index(
    chain: &NodeChain,
    params: &[Value],
    hash_type: HashType,
) -> Result<Option<Value>, RpcError> {
    let Some(index) = chain.indexes().and_then(|i| i.coinstats.clone()) else {
        return Ok(None);
    };
    let use_index = params.opt_bool(2)?.unwrap_or(true);
    let target = match params.opt(1) {
        None => None,
        Some(v) => {
            if hash_type == HashType::HashSerialized {
                return Err(RpcError::invalid_parameter(
                    "hash_serialized_3 hash type cannot be queried for a specific block",
                ));
            }
            if !use_index {
                return Err(RpcError::invalid_parameter(
                    "Cannot set use_index to false when querying for a specific block",
                ));
            }
            Some(parse_hash_or_height(chain, v)?)
        }
    };
    if !use_index {
        return Ok(None);
    }
    if !index.block_until_synced() {
        let best = index.summary().best_block_height;
        if target.is_some_and(|t| t.1 > best) {
            return Err(RpcError::new(
                code::INTERNAL_ERROR,
                format!("Unable to get data because coinstatsindex is still syncing. Current height: {best}"),
            ));
        }
    }
    if hash_type == HashType::HashSerialized {
        return Ok(None);
    }
    let (hash, parent) = {
        let cs = chain.lock();
        let hash = match target {
            Some((h, _)) => h,
            None => cs.tip_entry().map(|e| e.hash).ok_or_else(unreadable)?,
        };
        let parent = cs
            .index()
            .get(&hash)
            .and_then(|e| e.parent)
            .and_then(|p| cs.index().entry(p))
            .map(|p| p.hash);
        (hash, parent)
    };
    let lookup = |h| index::coinstats::lookup(index.db(), &h).map_err(|_| unreadable());
    let stats = lookup(hash)?.ok_or_else(unreadable)?;
    let prev = match parent {
        Some(p) => lookup(p)?.ok_or_else(unreadable)?,
        None => CoinStatsRecord::default(),
    };
    let muhash = match hash_type {
        HashType::MuHash => Some(stats.muhash().map_err(|_| unreadable())?),
        _ => None,
    };
    Ok(Some(Value::Object(stats_json(
        &stats, &prev, &hash, muhash,
    ))))
}

fn stats_json(
    s: &CoinStatsRecord,
    prev: &CoinStatsRecord,
    hash: &bitcoin::BlockHash,
    muhash: Option<[u8; 32]>,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("height".into(), json!(s.height));
    o.insert("bestblock".into(), json!(hash.to_string()));
    o.insert("txouts".into(), json!(s.txouts));
    o.insert("bogosize".into(), json!(s.bogosize));
    if let Some(mut h) = muhash {
        h.reverse();
        o.insert("muhash".into(), json!(hex::encode(h)));
    }
    o.insert("total_amount".into(), amount_to_value(s.total_amount));
    o.insert(
        "total_unspendable_amount".into(),
        amount_to_value(s.total_unspendable()),
    );
    let diff = |f: fn(&CoinStatsRecord) -> i64| amount_to_value(f(s) - f(prev));
    o.insert(
        "block_info".into(),
        json!({
            "prevout_spent": diff(|r| r.prevout_spent),
            "coinbase": diff(|r| r.coinbase),
            "new_outputs_ex_coinbase": diff(|r| r.new_outputs_ex_coinbase),
            "unspendable": diff(CoinStatsRecord::total_unspendable),
            "unspendables": {
                "genesis_block": diff(|r| r.unspendable_genesis),
                "bip30": diff(|r| r.unspendable_bip30),
                "scripts": diff(|r| r.unspendable_scripts),
                "unclaimed_rewards": diff(|r| r.unspendable_unclaimed),
            },
        }),
    );
    o
}
