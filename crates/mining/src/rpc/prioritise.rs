//! `prioritisetransaction` and `getprioritisedtransactions`: fee deltas the
//! block assembler (and mempool acceptance) apply on top of real fees.
//! Amounts are satoshis, as in the other mining RPCs (BIP22).

use std::sync::Arc;

use rpc::{Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use chainstate_service::NodeChain;
use rpc::json::parse_hash;

fn prioritise(chain: &NodeChain, params: &[Value]) -> Result<Value, RpcError> {
    let txid = parse_hash(params.str_at(0)?, "txid")
        .map(|h| bitcoin::Txid::from_raw_hash(h.to_raw_hash()))?;
    // The retired priority argument: any number, but it must be zero.
    if let Some(dummy) = params.opt(1) {
        let zero = dummy.as_f64().ok_or_else(|| {
            RpcError::type_error(format!(
                "JSON value of type {} is not of expected type number",
                rpc::method::json_type_name(dummy)
            ))
        })? == 0.0;
        if !zero {
            return Err(RpcError::invalid_parameter(
                "Priority is no longer supported, dummy argument to prioritisetransaction must be 0.",
            ));
        }
    }
    let delta = params
        .opt_i64(2)?
        .ok_or_else(|| RpcError::type_error("Expected type number, got null"))?;
    chain.pool().prioritise(txid, delta);
    Ok(json!(true))
}

fn prioritised(chain: &NodeChain) -> Value {
    let mut out = Map::new();
    for p in chain.pool().prioritised() {
        let mut row = Map::new();
        row.insert("fee_delta".into(), json!(p.delta));
        row.insert("in_mempool".into(), json!(p.modified_fee.is_some()));
        if let Some(fee) = p.modified_fee {
            row.insert("modified_fee".into(), json!(fee));
        }
        out.insert(p.txid.to_string(), Value::Object(row));
    }
    Value::Object(out)
}

/// Registers the prioritisation RPCs.
pub(super) fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "prioritisetransaction",
            "mining",
            "Accepts the transaction into mined blocks at a higher (or lower) priority",
            move |req| prioritise(&c, &req.params),
        )
        .args(vec![
            Arg::required("txid", ArgType::StrHex, "The transaction id."),
            Arg::optional(
                "dummy",
                ArgType::Num,
                "API-Compatibility for previous API. Must be zero or null.\nDEPRECATED. For forward compatibility use named arguments and omit this parameter.",
            ),
            Arg::required(
                "fee_delta",
                ArgType::Num,
                "The fee value (in satoshis) to add (or subtract, if negative).\nNote, that this value is not a fee rate. It is a value to modify absolute fee of the TX.\nThe fee is not actually paid, only the algorithm for selecting transactions into a block\nconsiders the transaction as it would have paid a higher (or lower) fee.",
            ),
        ]),
    );
    table.register(RpcMethod::new(
        "getprioritisedtransactions",
        "mining",
        "Returns a map of all user-created (see prioritisetransaction) fee deltas by txid, and whether the tx is present in mempool.",
        move |_| Ok(prioritised(&chain)),
    ));
}
