//! Fee estimation RPCs. The node keeps no fee statistics yet (no mempool
//! history), so every estimate reports Core's "insufficient data" answer after
//! Core's argument checks.

use rpc::{Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Longest confirmation target any estimator horizon covers.
const MAX_CONF_TARGET: i64 = 1008;

/// Horizons of Core's estimator: name, longest target, decay, scale.
const HORIZONS: [(&str, i64, f64, i64); 3] = [
    ("short", 12, 0.962, 1),
    ("medium", 48, 0.9952, 2),
    ("long", 1008, 0.99931, 24),
];

fn conf_target(v: Option<i64>) -> Result<i64, RpcError> {
    match v {
        Some(t) if (1..=MAX_CONF_TARGET).contains(&t) => Ok(t),
        _ => Err(RpcError::invalid_parameter(format!(
            "Invalid conf_target, must be between 1 and {MAX_CONF_TARGET}"
        ))),
    }
}

/// Registers `estimatesmartfee` and `estimaterawfee`.
pub fn register(table: &RpcTable) {
    table.register(
        RpcMethod::new(
            "estimatesmartfee",
            "util",
            "Estimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible and return the number of blocks\nfor which the estimate is valid.",
            |req| {
                conf_target(req.params.opt_i64(0)?)?;
                let mode = req.params.opt_str(1)?.unwrap_or("economical");
                if !["unset", "economical", "conservative"].contains(&mode.to_ascii_lowercase().as_str()) {
                    return Err(RpcError::invalid_parameter(
                        "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"",
                    ));
                }
                Ok(json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0}))
            },
        )
        .args(vec![
            Arg::required("conf_target", ArgType::Num, "Confirmation target in blocks (1 - 1008)"),
            Arg::with_default("estimate_mode", ArgType::Str, json!("economical"), "The fee estimate mode."),
        ]),
    );
    table.register(
        RpcMethod::new(
            "estimaterawfee",
            "hidden",
            "WARNING: This interface is unstable and may disappear or change!\n\nEstimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible.",
            |req| {
                let target = conf_target(req.params.opt_i64(0)?)?;
                let mut out = serde_json::Map::new();
                for (name, max, decay, scale) in HORIZONS {
                    if target > max {
                        continue;
                    }
                    out.insert(
                        name.into(),
                        json!({
                            "decay": decay,
                            "scale": scale,
                            "errors": ["Insufficient data or no feerate found which meets threshold"],
                        }),
                    );
                }
                Ok(Value::Object(out))
            },
        )
        .args(vec![
            Arg::required("conf_target", ArgType::Num, "Confirmation target in blocks (1 - 1008)"),
            Arg::with_default("threshold", ArgType::Num, json!(0.95), "The proportion of transactions in a given feerate range that must have been\nconfirmed within conf_target in order to consider those feerates as high enough and proceed to check\nlower buckets."),
        ]),
    );
}
