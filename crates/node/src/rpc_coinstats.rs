//! `gettxoutsetinfo`: statistics over the UTXO set at the active tip, with
//! Core's `hash_serialized_3`, `muhash` or no set hash.
//!
//! With `-coinstatsindex` the answer comes from the index
//! (`rpc_coinstats_index`); without it statistics for a past block
//! (`hash_or_height`) are refused with Core's error for that case.

use std::sync::Arc;

use chain::coinstats::{self, HashType};
use rpc::error::code;
use rpc::{Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use chainstate_service::NodeChain;

fn internal(message: &str) -> RpcError {
    RpcError::new(code::INTERNAL_ERROR, message)
}

/// A hash in internal byte order, shown as Core's `uint256::GetHex`.
fn display_hex(mut bytes: [u8; 32]) -> String {
    bytes.reverse();
    hex::encode(bytes)
}

fn gettxoutsetinfo(chain: &NodeChain, params: &[Value]) -> Result<Value, RpcError> {
    let hash_type = match params.opt_str(0)? {
        None => HashType::HashSerialized,
        Some(s) => HashType::parse(s).ok_or_else(|| {
            RpcError::invalid_parameter(format!("'{s}' is not a valid hash_type"))
        })?,
    };
    if let Some(answer) = crate::rpc_coinstats_index::from_index(chain, params, hash_type)? {
        return Ok(answer);
    }

    let (cursor, height, best) = {
        let mut cs = chain.lock();
        cs.flush()
            .map_err(|_| internal("Unable to read UTXO set"))?;
        if params.opt(1).is_some() {
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
            move |req| gettxoutsetinfo(&chain, &req.params),
        )
        .args(vec![
            Arg::with_default(
                "hash_type",
                ArgType::Str,
                json!("hash_serialized_3"),
                "Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'.",
            ),
            Arg::with_hint(
                "hash_or_height",
                ArgType::Num,
                "the current best block",
                "The block hash or height of the target height (only available with coinstatsindex).",
            )
            .skip_type_check(),
            Arg::with_default(
                "use_index",
                ArgType::Bool,
                json!(true),
                "Use coinstatsindex, if available.",
            ),
        ]),
    );
}
