//! Fee estimation RPCs. The node keeps no fee statistics yet (no mempool
//! history), so every estimate reports Core's "insufficient data" answer after
//! Core's argument checks.

use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Longest confirmation target any estimator horizon covers.
const MAX_CONF_TARGET: i64 = 1008;

/// Horizons of Core's estimator: name, longest target, decay, scale.
const HORIZONS: [(&str, i64, f64, i64); 3] = [
    ("short", 12, 0.962, 1),
    ("medium", 48, 0.9952, 2),
    ("long", 1008, 0.99931, 24),
];

fn conf_target(t: i64) -> Result<i64, RpcError> {
    match t {
        t if (1..=MAX_CONF_TARGET).contains(&t) => Ok(t),
        _ => Err(RpcError::invalid_parameter(format!(
            "Invalid conf_target, must be between 1 and {MAX_CONF_TARGET}"
        ))),
    }
}

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
        _threshold: f64 [Num, default = 0.95, names = "threshold"],
    }
}

/// Registers `estimatesmartfee` and `estimaterawfee`.
pub fn register(table: &RpcTable) {
    table.register(
        RpcMethod::new(
            "estimatesmartfee",
            "util",
            "Estimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible and return the number of blocks\nfor which the estimate is valid.",
            |_, p: EstimateSmartFeeParams| {
                conf_target(p.conf_target)?;
                let mode = p.estimate_mode;
                if !["unset", "economical", "conservative"].contains(&mode.to_ascii_lowercase().as_str()) {
                    return Err(RpcError::invalid_parameter(
                        "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"",
                    ));
                }
                Ok(json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0}))
            },
        ),
    );
    table.register(
        RpcMethod::new(
            "estimaterawfee",
            "hidden",
            "WARNING: This interface is unstable and may disappear or change!\n\nEstimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible.",
            |_, p: EstimateRawFeeParams| {
                let target = conf_target(p.conf_target)?;
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
        ),
    );
}
