//! `/rest/spenttxouts/<hash>`: the outputs each transaction of a block spent.

use super::chain::block_missing;
use super::format::parse_format;
use super::{call_mapped, is_hash, reply_in, rest_error};
use bitcoin::consensus::encode::{Encodable, VarInt};
use rpc::http::{Request, Response};
use rpc::RpcTable;
use serde_json::{json, Value};

/// Serves the spent outputs per transaction (none for the coinbase), taken
/// from the prevouts `getblock` reports at verbosity 3.
pub(super) fn rest_spent_txouts(table: &RpcTable, _req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    if param.contains('/') {
        return rest_error(
            400,
            "Invalid URI format. Expected /rest/spenttxouts/<hash>.<ext>",
        );
    }
    let hash = param;
    if !is_hash(&hash) {
        return rest_error(400, format!("Invalid hash: {hash}"));
    }
    let block = match call_mapped(table, "getblock", vec![json!(hash), json!(3)], |e| {
        if e.message.contains("undo") {
            rest_error(404, format!("{hash} undo not available"))
        } else {
            block_missing(&hash, &e.message)
        }
    }) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let per_tx: Vec<Vec<Value>> = block["tx"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|tx| {
            tx["vin"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|vin| vin.get("prevout"))
                .map(|p| json!({ "value": p["value"], "scriptPubKey": p["scriptPubKey"] }))
                .collect()
        })
        .collect();
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = VarInt(per_tx.len() as u64).consensus_encode(&mut bytes);
    for prevouts in &per_tx {
        let _ = VarInt(prevouts.len() as u64).consensus_encode(&mut bytes);
        for p in prevouts {
            let sats = rpc::json::amount_from_value(&p["value"], 8).unwrap_or_default();
            bytes.extend_from_slice(&sats.to_le_bytes());
            let script = hex::decode(p["scriptPubKey"]["hex"].as_str().unwrap_or_default())
                .unwrap_or_default();
            let _ = script.consensus_encode(&mut bytes);
        }
    }
    reply_in(format, &hex::encode(bytes), || Ok(json!(per_tx)))
}
