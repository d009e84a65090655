//! Fee estimation RPCs over the node's block policy estimator
//! (`mempool::fee_estimator`), as Core's `rpc/fees.cpp`.

use std::sync::{Arc, MutexGuard};

use chainstate_service::NodeChain;
use mempool::fee_estimator::{EstimatorBucket, FeeEstimator, Horizon};
use rpc::json::amount_to_value;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

rpc_params! {
    /// `estimatesmartfee`'s parameters.
    struct EstimateSmartFeeParams {
        /// Confirmation target in blocks (1 - 1008)
        conf_target: i64 [Num, required],
        /// The fee estimate mode.
        estimate_mode: String [Str, default = "economical"],
    }
}

rpc_params! {
    /// `estimaterawfee`'s parameters.
    struct EstimateRawFeeParams {
        /// Confirmation target in blocks (1 - 1008)
        conf_target: i64 [Num, required],
        /// The proportion of transactions in a given feerate range that must have been
        /// confirmed within conf_target in order to consider those feerates as high enough and proceed to check
        /// lower buckets.
        threshold: f64 [Num, default = 0.95],
    }
}

const ESTIMATESMARTFEE_RESULT: &str = "{                   (json object)\n  \"feerate\" : n,     (numeric, optional) estimate fee rate in BTC/kvB (only present if no errors were encountered)\n  \"errors\" : [       (json array, optional) Errors encountered during processing (if there are any)\n    \"str\",           (string) error\n    ...\n  ],\n  \"blocks\" : n       (numeric) block number where estimate was found\n                    The request target will be clamped between 2 and the highest target\n                    fee estimation is able to return based on how long it has been running.\n                    An error is returned if not enough transactions and blocks\n                    have been observed to make an estimate for any number of blocks.\n}";

const ESTIMATERAWFEE_RESULT: &str = "{                           (json object) Results are returned for any horizon which tracks blocks up to the confirmation target\n  \"short\" : {               (json object, optional) estimate for short time horizon\n    \"feerate\" : n,           (numeric, optional) estimate fee rate in BTC/kvB\n    \"decay\" : n,             (numeric) exponential decay (per block) for historical moving average of confirmation data\n    \"scale\" : n,             (numeric) The resolution of confirmation targets at this time horizon\n    \"pass\" : {              (json object, optional) information about the lowest range of feerates to succeed in meeting the threshold\n      \"startrange\" : n,      (numeric) start of feerate range\n      \"endrange\" : n,        (numeric) end of feerate range\n      \"withintarget\" : n,    (numeric) number of txs over history horizon in the feerate range that were confirmed within target\n      \"totalconfirmed\" : n,  (numeric) number of txs over history horizon in the feerate range that were confirmed at any point\n      \"inmempool\" : n,       (numeric) current number of txs in mempool in the feerate range unconfirmed for at least target blocks\n      \"leftmempool\" : n      (numeric) number of txs over history horizon in the feerate range that left mempool unconfirmed after target\n    },\n    \"fail\" : {              (json object, optional) information about the highest range of feerates to fail to meet the threshold\n      ...\n    },\n    \"errors\" : [            (json array, optional) Errors encountered during processing (if there are any)\n      \"str\",                (string)\n      ...\n    ]\n  },\n  \"medium\" : {              (json object, optional) estimate for medium time horizon\n    ...\n  },\n  \"long\" : {                (json object, optional) estimate for long time horizon\n    ...\n  }\n}";

/// The estimator, or Core's error when `-blocksonly` runs none.
fn estimator(chain: &NodeChain) -> Result<MutexGuard<'_, FeeEstimator>, RpcError> {
    chain
        .fee_estimator()
        .map(|e| e.lock().unwrap_or_else(|p| p.into_inner()))
        .ok_or_else(|| RpcError::new(rpc::error::code::INTERNAL_ERROR, "Fee estimation disabled"))
}

/// Core's `ParseConfirmTarget`: 1 up to the longest horizon's reach.
fn conf_target(t: i64, max: u32) -> Result<u32, RpcError> {
    match u32::try_from(t) {
        Ok(t) if (1..=max).contains(&t) => Ok(t),
        _ => Err(RpcError::invalid_parameter(format!(
            "Invalid conf_target, must be between 1 and {max}"
        ))),
    }
}

fn estimatesmartfee(chain: &NodeChain, p: EstimateSmartFeeParams) -> Result<Value, RpcError> {
    let (rate, returned) = {
        let est = estimator(chain)?;
        let target = conf_target(p.conf_target, est.highest_target_tracked(Horizon::Long))?;
        let conservative = match p.estimate_mode.to_ascii_lowercase().as_str() {
            "unset" | "economical" => false,
            "conservative" => true,
            _ => {
                return Err(RpcError::invalid_parameter(
                    "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"",
                ))
            }
        };
        let (rate, calc) = est.estimate_smart_fee(target, conservative);
        (rate, calc.returned_target)
    };
    let mut out = Map::new();
    if rate != 0 {
        // Never below what the pool would take.
        let min_relay = chain.policy().min_relay_fee_per_kvb;
        let pool_min = chain.pool().min_fee_per_kvb(chain.policy());
        out.insert(
            "feerate".into(),
            amount_to_value(rate.max(pool_min).max(min_relay)),
        );
    } else {
        out.insert(
            "errors".into(),
            json!(["Insufficient data or no feerate found"]),
        );
    }
    out.insert("blocks".into(), json!(returned));
    Ok(Value::Object(out))
}

/// A bucket range as `estimaterawfee` prints it (counts to two decimals).
fn bucket_json(b: &EstimatorBucket) -> Value {
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    json!({
        "startrange": b.start.round(),
        "endrange": b.end.round(),
        "withintarget": cents(b.within_target),
        "totalconfirmed": cents(b.total_confirmed),
        "inmempool": cents(b.in_mempool),
        "leftmempool": cents(b.left_mempool),
    })
}

fn estimaterawfee(chain: &NodeChain, p: EstimateRawFeeParams) -> Result<Value, RpcError> {
    let est = estimator(chain)?;
    let target = conf_target(p.conf_target, est.highest_target_tracked(Horizon::Long))?;
    if !(0.0..=1.0).contains(&p.threshold) {
        return Err(RpcError::invalid_parameter("Invalid threshold"));
    }
    let mut out = Map::new();
    for horizon in Horizon::ALL {
        if target > est.highest_target_tracked(horizon) {
            continue;
        }
        let (rate, r) = est.estimate_raw_fee(target, p.threshold, horizon);
        let mut h = Map::new();
        if rate != 0 {
            h.insert("feerate".into(), amount_to_value(rate));
            h.insert("decay".into(), json!(r.decay));
            h.insert("scale".into(), json!(r.scale));
            h.insert("pass".into(), bucket_json(&r.pass));
            if r.fail.start != -1.0 {
                h.insert("fail".into(), bucket_json(&r.fail));
            }
        } else {
            h.insert("decay".into(), json!(r.decay));
            h.insert("scale".into(), json!(r.scale));
            h.insert("fail".into(), bucket_json(&r.fail));
            h.insert(
                "errors".into(),
                json!(["Insufficient data or no feerate found which meets threshold"]),
            );
        }
        out.insert(horizon.name().into(), Value::Object(h));
    }
    Ok(Value::Object(out))
}

/// Registers `estimatesmartfee` and `estimaterawfee`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "estimatesmartfee",
            "util",
            "Estimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible and return the number of blocks\nfor which the estimate is valid. Uses virtual transaction size as defined\nin BIP 141 (witness data is discounted).",
            move |_, p: EstimateSmartFeeParams| estimatesmartfee(&c, p),
        )
        .result(ESTIMATESMARTFEE_RESULT),
    );
    table.register(
        RpcMethod::new(
            "estimaterawfee",
            "hidden",
            "WARNING: This interface is unstable and may disappear or change!\n\nWARNING: This is an advanced API call that is tightly coupled to the specific\nimplementation of fee estimation. The parameters it can be called with\nand the results it returns will change if the internal implementation changes.\n\nEstimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible. Uses virtual transaction size as\ndefined in BIP 141 (witness data is discounted).",
            move |_, p: EstimateRawFeeParams| estimaterawfee(&chain, p),
        )
        .result(ESTIMATERAWFEE_RESULT),
    );
}
