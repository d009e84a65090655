//! `prioritisetransaction` and `getprioritisedtransactions`: fee deltas the
//! block assembler (and mempool acceptance) apply on top of real fees.
//! Amounts are satoshis, as in the other mining RPCs (BIP22).

use std::sync::Arc;

use rpc::{rpc_params, Deferred, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use chainstate_service::NodeChain;

rpc_params! {
    /// `prioritisetransaction`'s parameters.
    struct PrioritiseParams {
        /// The transaction id.
        txid: bitcoin::Txid [StrHex, required],
        /// API-Compatibility for previous API. Must be zero or null.
        /// DEPRECATED. For forward compatibility use named arguments and omit this parameter.
        dummy: Option<f64> [Num, optional],
        /// The fee value (in satoshis) to add (or subtract, if negative).
        /// Note, that this value is not a fee rate. It is a value to modify absolute fee of the TX.
        /// The fee is not actually paid, only the algorithm for selecting transactions into a block
        /// considers the transaction as it would have paid a higher (or lower) fee.
        // Read after the dummy is checked, as Core does.
        fee_delta: Deferred<i64> [Num, required],
    }
}

fn prioritise(chain: &NodeChain, p: PrioritiseParams) -> Result<Value, RpcError> {
    // The retired priority argument: any number, but it must be zero.
    if p.dummy.is_some_and(|d| d != 0.0) {
        return Err(RpcError::invalid_parameter(
            "Priority is no longer supported, dummy argument to prioritisetransaction must be 0.",
        ));
    }
    let delta = p.fee_delta.get()?;
    let policy = chain.policy();
    let mut pool = chain.pool();
    // A pool transaction with dust got in only with zero fee (ephemeral
    // dust); a delta would let it stay once its dust is left unspent.
    let has_dust = pool.get(&p.txid).is_some_and(|e| {
        !mempool::dust::dust_outputs(&e.tx, policy.dust_relay_fee_per_kvb).is_empty()
    });
    if policy.require_standard && has_dust {
        return Err(RpcError::invalid_parameter(
            "Priority is not supported for transactions with dust outputs.",
        ));
    }
    pool.prioritise(p.txid, delta);
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
    table.register(RpcMethod::new(
        "prioritisetransaction",
        "mining",
        "Accepts the transaction into mined blocks at a higher (or lower) priority",
        move |_, p| prioritise(&c, p),
    ));
    table.register(RpcMethod::new(
        "getprioritisedtransactions",
        "mining",
        "Returns a map of all user-created (see prioritisetransaction) fee deltas by txid, and whether the tx is present in mempool.",
        move |_, ()| Ok(prioritised(&chain)),
    ));
}
