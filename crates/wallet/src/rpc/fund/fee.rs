//! How the fee of a funded transaction is chosen from RPC arguments: Core's
//! `SetFeeEstimateMode` (over raw JSON values, so that errors come in
//! Core's order) and `InterpretFeeEstimationInstructions` (the positional
//! `conf_target`/`estimate_mode`/`fee_rate` of `send` and `sendall`
//! merged into their options).

use super::json::{get_int, get_str, Opts};
use crate::coinselection::FeeRate;
use crate::spend::{CoinControl, FeeEstimateMode};
use crate::wallet::Wallet;
use rpc::error::{RpcError, RpcResult};
use rpc::json::amount_from_value;
use serde_json::{Map, Value};

/// Core's `InvalidEstimateModeErrorMessage`.
const INVALID_ESTIMATE_MODE: &str =
    "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"";

/// Core's `FeeModeFromString`: case-insensitive.
fn fee_mode(text: &str) -> Option<FeeEstimateMode> {
    match text.to_ascii_lowercase().as_str() {
        "unset" => Some(FeeEstimateMode::Unset),
        "economical" => Some(FeeEstimateMode::Economical),
        "conservative" => Some(FeeEstimateMode::Conservative),
        _ => None,
    }
}

/// Core's `ParseConfirmTarget`: an `int` between 1 and the estimator's
/// longest target.
fn parse_confirm_target(wallet: &Wallet, v: &Value) -> RpcResult<u32> {
    let target: i32 = get_int(v)?;
    let max = wallet
        .chain
        .estimate_max_blocks()
        .map_err(|e| RpcError::misc(e.to_string()))?;
    // Core compares the target as unsigned, so negatives fail as too large.
    match u32::try_from(target) {
        Ok(t) if t >= 1 && t <= max => Ok(t),
        _ => Err(RpcError::invalid_parameter(format!(
            "Invalid conf_target, must be between 1 and {max}"
        ))),
    }
}

/// Core's `SetFeeEstimateMode`: an explicit `fee_rate` (sat/vB, at most
/// three decimals) excludes a target and a mode, turns on RBF unless set,
/// and with `override_min_fee` is paid even below the wallet's minimum.
pub fn set_fee_estimate_mode(
    wallet: &Wallet,
    cc: &mut CoinControl,
    conf_target: &Value,
    estimate_mode: &Value,
    fee_rate: &Value,
    override_min_fee: bool,
) -> RpcResult<()> {
    if !fee_rate.is_null() {
        if !conf_target.is_null() {
            return Err(RpcError::invalid_parameter("Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
        }
        if !estimate_mode.is_null() && get_str(estimate_mode)? != "unset" {
            return Err(RpcError::invalid_parameter(
                "Cannot specify both estimate_mode and fee_rate",
            ));
        }
        // Three decimals of sat/vB are whole satoshis per kvB.
        cc.fee_rate = Some(FeeRate::from_sat_per_kvb(amount_from_value(fee_rate, 3)?));
        if override_min_fee {
            cc.override_fee_rate = true;
        }
        if cc.signal_rbf.is_none() {
            cc.signal_rbf = Some(true);
        }
        return Ok(());
    }
    if !estimate_mode.is_null() {
        cc.fee_mode = fee_mode(get_str(estimate_mode)?)
            .ok_or_else(|| RpcError::invalid_parameter(INVALID_ESTIMATE_MODE))?;
    }
    if !conf_target.is_null() {
        cc.confirm_target = Some(parse_confirm_target(wallet, conf_target)?);
    }
    Ok(())
}

/// Core's `InterpretFeeEstimationInstructions`: the positional fee
/// arguments join `options` unless it has them already (giving both is an
/// error), and a target needs a mode other than "unset".
pub fn interpret_fee_estimation_instructions(
    conf_target: &Value,
    estimate_mode: &Value,
    fee_rate: &Value,
    options: &mut Map<String, Value>,
) -> RpcResult<()> {
    if options.contains_key("conf_target") || options.contains_key("estimate_mode") {
        if !conf_target.is_null() || !estimate_mode.is_null() {
            return Err(RpcError::invalid_parameter("Pass conf_target and estimate_mode either as arguments or in the options object, but not both"));
        }
    } else {
        options.insert("conf_target".into(), conf_target.clone());
        options.insert("estimate_mode".into(), estimate_mode.clone());
    }
    if options.contains_key("fee_rate") {
        if !fee_rate.is_null() {
            return Err(RpcError::invalid_parameter(
                "Pass the fee_rate either as an argument, or in the options object, but not both",
            ));
        }
    } else {
        options.insert("fee_rate".into(), fee_rate.clone());
    }
    let target = options.get("conf_target").unwrap_or(&Value::Null);
    let mode = options.get("estimate_mode").unwrap_or(&Value::Null);
    if !target.is_null() && (mode.is_null() || get_str(mode)? == "unset") {
        return Err(RpcError::invalid_parameter("Specify estimate_mode"));
    }
    Ok(())
}

/// Core's `PreventOutdatedOptions` for `send` and `sendall`: the
/// camelCase spellings `fundrawtransaction` accepts are refused.
pub fn prevent_outdated_options(opts: &Opts<'_>) -> RpcResult<()> {
    for (old, new) in [
        ("feeRate", "fee_rate (sat/vB)"),
        ("changeAddress", "change_address"),
        ("changePosition", "change_position"),
        ("lockUnspents", "lock_unspents"),
        ("subtractFeeFromOutputs", "subtract_fee_from_outputs"),
    ] {
        if opts.exists(old) {
            return Err(RpcError::invalid_parameter(format!(
                "Use {new} instead of {old}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn interpret(a: Value, b: Value, c: Value, o: Value) -> Result<Value, String> {
        let mut o = o.as_object().cloned().unwrap_or_default();
        interpret_fee_estimation_instructions(&a, &b, &c, &mut o)
            .map(|_| Value::Object(o))
            .map_err(|e| e.message)
    }

    #[test]
    fn positional_fee_arguments_join_the_options() {
        let o = interpret(json!(2), json!("economical"), Value::Null, json!({})).unwrap();
        assert_eq!(
            o,
            json!({"conf_target": 2, "estimate_mode": "economical", "fee_rate": null})
        );
        assert_eq!(
            interpret(json!(2), Value::Null, Value::Null, json!({"conf_target": 3})),
            Err("Pass conf_target and estimate_mode either as arguments or in the options object, but not both".into())
        );
        assert_eq!(
            interpret(Value::Null, Value::Null, json!(1), json!({"fee_rate": 3})),
            Err(
                "Pass the fee_rate either as an argument, or in the options object, but not both"
                    .into()
            )
        );
        assert_eq!(
            interpret(json!(2), json!("unset"), Value::Null, json!({})),
            Err("Specify estimate_mode".into())
        );
        assert_eq!(
            interpret(
                Value::Null,
                Value::Null,
                Value::Null,
                json!({"conf_target": 2})
            ),
            Err("Specify estimate_mode".into())
        );
    }

    #[test]
    fn outdated_options_name_their_replacement() {
        let v = json!({"feeRate": 1});
        assert_eq!(
            prevent_outdated_options(&Opts::new(&v))
                .unwrap_err()
                .message,
            "Use fee_rate (sat/vB) instead of feeRate"
        );
        let v = json!({"subtractFeeFromOutputs": []});
        assert_eq!(
            prevent_outdated_options(&Opts::new(&v))
                .unwrap_err()
                .message,
            "Use subtract_fee_from_outputs instead of subtractFeeFromOutputs"
        );
        assert!(prevent_outdated_options(&Opts::new(&json!({"fee_rate": 1}))).is_ok());
    }

    #[test]
    fn fee_modes_are_case_insensitive() {
        assert_eq!(fee_mode("ECONOMICAL"), Some(FeeEstimateMode::Economical));
        assert_eq!(
            fee_mode("Conservative"),
            Some(FeeEstimateMode::Conservative)
        );
        assert_eq!(fee_mode("sat/B"), None);
    }
}
