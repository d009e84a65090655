//! `gettxspendingprevout`: which transaction spends given outputs, looked
//! up in the mempool and then, unless asked for the mempool only, in the
//! `-txospenderindex`.

use std::sync::Arc;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{OutPoint, Transaction, Txid};
use rpc::json::type_check_obj;
use rpc::{rpc_params, Deferred, RpcError, RpcMethod, RpcTable, StrictObject};
use serde_json::{json, Map, Value};

use chainstate_service::NodeChain;
use rpc::json::parse_hash;

/// One requested output: where it is and the object it was asked with
/// (echoed back in the answer).
struct Request {
    outpoint: OutPoint,
    raw: Map<String, Value>,
}

fn parse_output(value: &Value) -> Result<Request, RpcError> {
    let Value::Object(obj) = value else {
        return Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type object",
            rpc::method::json_type_name(value)
        )));
    };
    type_check_obj(obj, &[("txid", "string"), ("vout", "number")], false, true)?;
    let txid_text = obj.get("txid").and_then(Value::as_str).unwrap_or_default();
    let txid = Txid::from_raw_hash(parse_hash(txid_text, "txid")?.to_raw_hash());
    let vout = match obj.get("vout") {
        Some(Value::Number(n)) => rpc::json::number_to_i64(n)?,
        _ => return Err(RpcError::type_error("Missing vout")),
    };
    if vout < 0 {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter, vout cannot be negative",
        ));
    }
    let vout = u32::try_from(vout).map_err(|_| RpcError::misc("JSON integer out of range"))?;
    Ok(Request {
        outpoint: OutPoint::new(txid, vout),
        raw: obj.clone(),
    })
}

rpc_params! {
    /// `gettxspendingprevout`'s options.
    struct SpendingOptions {
        /// If false and mempool lacks a relevant spend, use txospenderindex (throws an exception if not available).
        mempool_only: Option<bool> [Bool, hint = "true if txospenderindex unavailable, otherwise false"],
        /// If true, return the full spending tx.
        return_spending_tx: Option<bool> [Bool, hint = "false"],
    }
}

rpc_params! {
    /// `gettxspendingprevout`'s parameters.
    struct GetTxSpendingPrevoutParams {
        /// The transaction outputs that we want to check, and within each, the txid (string) vout (numeric).
        outputs: Vec<Value> [Arr, required],
        // Checked after the outputs, as Core does.
        options: Deferred<StrictObject<SpendingOptions>> [ObjNamedParams, optional],
    }
}

fn gettxspendingprevout(
    chain: &NodeChain,
    p: GetTxSpendingPrevoutParams,
) -> Result<Value, RpcError> {
    let outputs = p.outputs;
    if outputs.is_empty() {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter, outputs are missing",
        ));
    }
    let options = p.options.get()?.0;
    let spender_index = chain.indexes().and_then(|i| i.txospender.clone());
    let mempool_only = options.mempool_only.unwrap_or(spender_index.is_none());
    let return_spending_tx = options.return_spending_tx.unwrap_or(false);
    let requests = outputs
        .iter()
        .map(parse_output)
        .collect::<Result<Vec<_>, _>>()?;

    let with_spender = |req: &Request, tx: &Transaction| {
        let mut o = req.raw.clone();
        o.insert("spendingtxid".into(), json!(tx.compute_txid().to_string()));
        if return_spending_tx {
            o.insert("spendingtx".into(), json!(serialize_hex(tx)));
        }
        o
    };
    let mut result = Vec::with_capacity(requests.len());
    let mut unresolved = Vec::new();
    {
        let pool = chain.pool();
        for req in requests {
            match pool.spender(&req.outpoint).and_then(|t| pool.get(&t)) {
                Some(entry) => result.push(Value::Object(with_spender(&req, &entry.tx))),
                None if mempool_only => result.push(Value::Object(req.raw)),
                None => unresolved.push(req),
            }
        }
    }
    if unresolved.is_empty() {
        return Ok(Value::Array(result));
    }
    let Some(index) = spender_index.filter(|i| i.block_until_synced()) else {
        return Err(RpcError::misc(
            "Mempool lacks a relevant spend, and txospenderindex is unavailable.",
        ));
    };
    let cs = chain.lock();
    for req in unresolved {
        let found = index::txospender::find_spender(index.db(), &cs, &req.outpoint)
            .map_err(|e| RpcError::misc(e.to_string()))?;
        result.push(Value::Object(match found {
            Some((block, tx)) => {
                let mut o = with_spender(&req, &tx);
                o.insert("blockhash".into(), json!(block.to_string()));
                o
            }
            None => req.raw,
        }));
    }
    Ok(Value::Array(result))
}

/// Registers `gettxspendingprevout`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    table.register(
        RpcMethod::new(
            "gettxspendingprevout",
            "blockchain",
            "Scans the mempool (and the txospenderindex, if available) to find transactions spending any of the given outputs",
            move |_, p| gettxspendingprevout(&chain, p),
        ),
    );
}
