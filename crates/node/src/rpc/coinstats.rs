//! `gettxoutsetinfo`: statistics over the UTXO set at the active tip, with
//! Core's `hash_serialized_3`, `muhash` or no set hash.
//!
//! With `-coinstatsindex` the answer comes from the index (statistics of any
//! block, `hash_or_height`, with the per-block `block_info` and unspendable
//! totals Core adds when the index is used); without it statistics for a past
//! block are refused with Core's error for that case.

use std::sync::Arc;

use chain::coinstats::{self, HashType};
use chainstate_service::NodeChain;
use index::coinstats::CoinStatsRecord;
use rpc::error::code;
use rpc::json::{amount_to_value, parse_hash};
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

fn internal(message: &str) -> RpcError {
    RpcError::new(code::INTERNAL_ERROR, message)
}

/// A hash in internal byte order, shown as Core's `uint256::GetHex`.
fn display_hex(mut bytes: [u8; 32]) -> String {
    bytes.reverse();
    hex::encode(bytes)
}

rpc_params! {
    /// `gettxoutsetinfo`'s parameters.
    struct GetTxOutSetInfoParams {
        /// Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'.
        hash_type: String [Str, default = "hash_serialized_3"],
        /// The block hash or height of the target height (only available with coinstatsindex).
        hash_or_height: Option<Value> [Num, hint = "the current best block", skip_type_check],
        /// Use coinstatsindex, if available.
        use_index: bool [Bool, default = true],
    }
}

fn gettxoutsetinfo(chain: &NodeChain, p: GetTxOutSetInfoParams) -> Result<Value, RpcError> {
    let s = &p.hash_type;
    let hash_type = HashType::parse(s)
        .ok_or_else(|| RpcError::invalid_parameter(format!("'{s}' is not a valid hash_type")))?;
    let target = p.hash_or_height.as_ref();
    if let Some(answer) = from_index(chain, target, p.use_index, hash_type)? {
        return Ok(answer);
    }

    let (cursor, height, best) = {
        let mut cs = chain.lock();
        cs.flush()
            .map_err(|_| internal("Unable to read UTXO set"))?;
        if target.is_some() {
            return Err(RpcError::invalid_parameter(
                "Querying specific block heights requires coinstatsindex",
            ));
        }
        let cursor = cs
            .store()
            .coins_cursor()
            .map_err(|_| internal("Unable to read UTXO set"))?;
        let best = cursor
            .best_block()
            .or_else(|| cs.tip_entry().map(|e| e.hash))
            .ok_or_else(|| internal("Unable to read UTXO set"))?;
        let height = cs
            .index()
            .get(&best)
            .map(|e| e.height)
            .ok_or_else(|| internal("Unable to read UTXO set"))?;
        (cursor, height, best)
    };

    let stats =
        coinstats::compute(cursor, hash_type).map_err(|_| internal("Unable to read UTXO set"))?;
    let total = stats
        .total_amount
        .and_then(|t| i64::try_from(t).ok())
        .ok_or_else(|| internal("Internal bug detected: stats.total_amount.has_value()"))?;

    let mut o = Map::new();
    o.insert("height".into(), json!(height));
    o.insert("bestblock".into(), json!(best.to_string()));
    o.insert("txouts".into(), json!(stats.txouts));
    o.insert("bogosize".into(), json!(stats.bogosize));
    match (hash_type, stats.hash) {
        (HashType::HashSerialized, Some(h)) => {
            o.insert("hash_serialized_3".into(), json!(display_hex(h)));
        }
        (HashType::MuHash, Some(h)) => {
            o.insert("muhash".into(), json!(display_hex(h)));
        }
        _ => {}
    }
    o.insert("total_amount".into(), rpc::json::amount_to_value(total));
    o.insert("transactions".into(), json!(stats.transactions));
    o.insert("disk_size".into(), json!(stats.disk_size));
    Ok(Value::Object(o))
}

/// Registers `gettxoutsetinfo`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    table.register(
        RpcMethod::new(
            "gettxoutsetinfo",
            "blockchain",
            "Returns statistics about the unspent transaction output set.\nNote this call may take some time if you are not using coinstatsindex.",
            move |_, p| gettxoutsetinfo(&chain, p),
        ),
    );
}

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

/// Answers from the index when Core would (`hash_or_height` and `use_index`
/// as given to `gettxoutsetinfo`); `None` means scan the UTXO set.
pub fn from_index(
    chain: &NodeChain,
    hash_or_height: Option<&Value>,
    use_index: bool,
    hash_type: HashType,
) -> Result<Option<Value>, RpcError> {
    let Some(index) = chain.indexes().and_then(|i| i.coinstats.clone()) else {
        return Ok(None);
    };
    let target = match hash_or_height {
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
