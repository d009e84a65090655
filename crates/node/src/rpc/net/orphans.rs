//! `getorphantxs`: the transactions the P2P layer keeps while waiting for
//! their parents.

use consensus::codec::{serialize_tx, size_and_weight};
use net::NetHandle;
use rpc::{code, rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Core's `ParseVerbosity` without booleans.
fn verbosity(param: &Value) -> Result<i64, RpcError> {
    match param {
        Value::Null => Ok(0),
        Value::Bool(_) => Err(RpcError::type_error(
            "Verbosity was boolean but only integer allowed",
        )),
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| RpcError::type_error("JSON integer out of range")),
        other => Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type number",
            rpc::method::json_type_name(other)
        ))),
    }
}

rpc_params! {
    /// `getorphantxs`'s parameters.
    struct GetOrphanTxsParams {
        /// 0 for an array of txids (may contain duplicates), 1 for an array of objects with tx details, and 2 for details from (1) and tx hex
        verbosity: Value [Num, default = 0, skip_type_check],
    }
}

/// Registers `getorphantxs`.
pub fn register(table: &RpcTable, net: NetHandle) {
    table.register(
        RpcMethod::new(
            "getorphantxs",
            "hidden",
            "Shows transactions in the tx orphanage.\n\nEXPERIMENTAL warning: this call may be changed in future releases.",
            move |_, p: GetOrphanTxsParams| {
                let level = verbosity(&p.verbosity)?;
                if !(0..=2).contains(&level) {
                    return Err(RpcError::new(
                        code::INVALID_PARAMETER,
                        format!("Invalid verbosity value {level}"),
                    ));
                }
                let list = net
                    .orphans()
                    .into_iter()
                    .map(|o| {
                        let txid = o.tx.compute_txid();
                        if level == 0 {
                            return json!(txid.to_string());
                        }
                        let (bytes, weight) = size_and_weight(&o.tx);
                        let mut entry = json!({
                            "txid": txid.to_string(),
                            "wtxid": o.tx.compute_wtxid().to_string(),
                            "bytes": bytes,
                            "vsize": weight.div_ceil(4),
                            "weight": weight,
                            "from": o.from,
                        });
                        if level == 2 {
                            entry["hex"] = json!(hex::encode(serialize_tx(&o.tx, true)));
                        }
                        entry
                    })
                    .collect();
                Ok(Value::Array(list))
            },
        )
        .result("[\"hex\", ...] for verbosity 0; [{\"txid\", \"wtxid\", \"bytes\", \"vsize\", \"weight\", \"from\": [n, ...]}, ...] for 1; the same with \"hex\" for 2"),
    );
}
