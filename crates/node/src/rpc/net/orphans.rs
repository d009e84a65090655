//! `getorphantxs`: the transactions the P2P layer keeps while waiting for
//! their parents.

use consensus::codec::{serialize_tx, size_and_weight};
use net::NetHandle;
use rpc::{code, Arg, ArgType, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Core's `ParseVerbosity` without booleans.
fn verbosity(param: Option<&Value>) -> Result<i64, RpcError> {
    match param {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Bool(_)) => Err(RpcError::type_error(
            "Verbosity was boolean but only integer allowed",
        )),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| RpcError::type_error("JSON integer out of range")),
        Some(other) => Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type number",
            rpc::method::json_type_name(other)
        ))),
    }
}

/// Registers `getorphantxs`.
pub fn register(table: &RpcTable, net: NetHandle) {
    table.register(
        RpcMethod::new(
            "getorphantxs",
            "hidden",
            "Shows transactions in the tx orphanage.\n\nEXPERIMENTAL warning: this call may be changed in future releases.",
            move |req| {
                let level = verbosity(req.params.first())?;
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
        .args(vec![Arg::with_default(
            "verbosity",
            ArgType::Num,
            json!(0),
            "0 for an array of txids (may contain duplicates), 1 for an array of objects with tx details, and 2 for details from (1) and tx hex",
        )
        .skip_type_check()])
        .result("[\"hex\", ...] for verbosity 0; [{\"txid\", \"wtxid\", \"bytes\", \"vsize\", \"weight\", \"from\": [n, ...]}, ...] for 1; the same with \"hex\" for 2"),
    );
}
