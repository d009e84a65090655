//! The options `fundrawtransaction`, `walletcreatefundedpsbt` and `send`
//! share (the option half of Core's RPC-level `FundTransaction`), and the
//! instructions that pick outputs to subtract the fee from.

use super::fee::set_fee_estimate_mode;
use super::json::{get_array, get_bool, get_int, get_obj, get_str, type_check_options, Opts};
use super::solving::add_solving_data;
use crate::coinselection::{MAX_STANDARD_TX_WEIGHT, TRUC_VERSION};
use crate::spend::script::parse_output_type;
use crate::spend::CoinControl;
use crate::wallet::Wallet;
use bitcoin::address::NetworkUnchecked;
use bitcoin::{Address, OutPoint};
use rpc::error::{code, RpcError, RpcResult};
use rpc::json::amount_from_value;
use rpc::method::json_type_name;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Largest weight of a TRUC (version 3) transaction.
pub const TRUC_MAX_WEIGHT: i64 = 10_000 * 4;

/// The smallest input: outpoint, sequence and empty scriptSig at four
/// units a byte, plus an empty witness.
const MIN_INPUT_WEIGHT: i64 = 165;

/// Every key the funding options accept, with its JSON type (`None` for
/// values checked where they are read).
const OPTION_TYPES: &[(&str, Option<&str>)] = &[
    ("add_inputs", Some("bool")),
    ("include_unsafe", Some("bool")),
    ("add_to_wallet", Some("bool")),
    ("changeAddress", Some("string")),
    ("change_address", Some("string")),
    ("changePosition", Some("number")),
    ("change_position", Some("number")),
    ("change_type", Some("string")),
    ("includeWatching", Some("bool")),
    ("include_watching", Some("bool")),
    ("inputs", Some("array")),
    ("lockUnspents", Some("bool")),
    ("lock_unspents", Some("bool")),
    ("locktime", Some("number")),
    ("fee_rate", None),
    ("feeRate", None),
    ("psbt", Some("bool")),
    ("solving_data", Some("object")),
    ("subtractFeeFromOutputs", Some("array")),
    ("subtract_fee_from_outputs", Some("array")),
    ("replaceable", Some("bool")),
    ("conf_target", Some("number")),
    ("estimate_mode", Some("string")),
    ("minconf", Some("number")),
    ("maxconf", Some("number")),
    ("input_weights", Some("array")),
    ("max_tx_weight", Some("number")),
];

/// What the options decide besides coin control.
#[derive(Debug, Clone, Copy, Default)]
pub struct FundOptions {
    /// Where the change output goes; unset is random.
    pub change_pos: Option<usize>,
    /// Whether the chosen inputs are locked (not persistently).
    pub lock_unspents: bool,
}

/// An address of the wallet's network, if `text` is one.
pub fn parse_address(wallet: &Wallet, text: &str) -> Option<Address> {
    text.parse::<Address<NetworkUnchecked>>()
        .ok()
        .and_then(|a| a.require_network(wallet.network).ok())
}

/// The first of the two spellings of an option present.
fn either<'a>(opts: &Opts<'a>, new: &str, old: &str) -> Option<&'a Value> {
    if opts.exists(new) {
        Some(opts.get(new))
    } else if opts.exists(old) {
        Some(opts.get(old))
    } else {
        None
    }
}

/// The main options, when `options` is an object (Core accepts and
/// ignores a bare boolean, a leftover of an old signature).
fn apply_main_options(
    wallet: &Wallet,
    opts: &Opts<'_>,
    recipients: usize,
    cc: &mut CoinControl,
    out: &mut FundOptions,
    override_min_fee: bool,
) -> RpcResult<()> {
    type_check_options(opts, OPTION_TYPES)?;
    if opts.exists("add_inputs") {
        cc.allow_other_inputs = get_bool(opts.get("add_inputs"))?;
    }
    let change_address = either(opts, "change_address", "changeAddress");
    if let Some(v) = change_address {
        let address = parse_address(wallet, get_str(v)?).ok_or_else(|| {
            RpcError::invalid_address_or_key("Change address must be a valid bitcoin address")
        })?;
        cc.dest_change = Some(address.script_pubkey());
    }
    if let Some(v) = either(opts, "change_position", "changePosition") {
        let pos: i32 = get_int(v)?;
        match usize::try_from(pos) {
            Ok(p) if p <= recipients => out.change_pos = Some(p),
            _ => return Err(RpcError::invalid_parameter("changePosition out of bounds")),
        }
    }
    if opts.exists("change_type") {
        if change_address.is_some() {
            return Err(RpcError::invalid_parameter(
                "Cannot specify both change address and address type options",
            ));
        }
        let name = get_str(opts.get("change_type"))?;
        let t = parse_output_type(name).ok_or_else(|| {
            RpcError::invalid_address_or_key(format!("Unknown change type '{name}'"))
        })?;
        cc.change_type = Some(t);
    }
    if let Some(v) = either(opts, "lock_unspents", "lockUnspents") {
        out.lock_unspents = get_bool(v)?;
    }
    if opts.exists("include_unsafe") {
        cc.include_unsafe_inputs = get_bool(opts.get("include_unsafe"))?;
    }
    if opts.exists("feeRate") {
        if opts.exists("fee_rate") {
            return Err(RpcError::invalid_parameter(
                "Cannot specify both fee_rate (sat/vB) and feeRate (BTC/kvB)",
            ));
        }
        if opts.exists("conf_target") {
            return Err(RpcError::invalid_parameter("Cannot specify both conf_target and feeRate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
        }
        if opts.exists("estimate_mode") {
            return Err(RpcError::invalid_parameter(
                "Cannot specify both estimate_mode and feeRate",
            ));
        }
        // BTC per kvB, eight decimals: satoshis per kvB.
        cc.fee_rate = Some(crate::coinselection::FeeRate::from_sat_per_kvb(
            amount_from_value(opts.get("feeRate"), 8)?,
        ));
        cc.override_fee_rate = true;
    }
    if opts.exists("replaceable") {
        cc.signal_rbf = Some(get_bool(opts.get("replaceable"))?);
    }
    if opts.exists("minconf") {
        cc.min_depth = get_int(opts.get("minconf"))?;
        if cc.min_depth < 0 {
            return Err(RpcError::invalid_parameter("Negative minconf"));
        }
    }
    if opts.exists("maxconf") {
        cc.max_depth = get_int(opts.get("maxconf"))?;
        if cc.max_depth < cc.min_depth {
            return Err(RpcError::invalid_parameter(format!(
                "maxconf can't be lower than minconf: {} < {}",
                cc.max_depth, cc.min_depth
            )));
        }
    }
    set_fee_estimate_mode(
        wallet,
        cc,
        opts.get("conf_target"),
        opts.get("estimate_mode"),
        opts.get("fee_rate"),
        override_min_fee,
    )
}

/// One `input_weights` entry: its outpoint and weight.
fn parse_input_weight(input: &Value) -> RpcResult<(OutPoint, i64)> {
    let txid = utility_rpc::rawtx::create::parse_hash(input.get("txid"), "txid")?;
    let vout = match input.get("vout") {
        Some(v @ Value::Number(_)) => get_int::<i32>(v)?,
        _ => {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, missing vout key",
            ))
        }
    };
    let vout = u32::try_from(vout)
        .map_err(|_| RpcError::invalid_parameter("Invalid parameter, vout cannot be negative"))?;
    let weight = match input.get("weight") {
        Some(v @ Value::Number(_)) => get_int::<i64>(v)?,
        _ => {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, missing weight key",
            ))
        }
    };
    if weight < MIN_INPUT_WEIGHT {
        return Err(RpcError::invalid_parameter("Invalid parameter, weight cannot be less than 165 (41 bytes (size of outpoint + sequence + empty scriptSig) * 4 (witness scaling factor)) + 1 (empty witness)"));
    }
    if weight > MAX_STANDARD_TX_WEIGHT {
        return Err(RpcError::invalid_parameter(format!(
            "Invalid parameter, weight cannot be greater than the maximum standard tx weight of {MAX_STANDARD_TX_WEIGHT}"
        )));
    }
    Ok((OutPoint::new(txid, vout), weight))
}

/// Core's `FundTransaction` option handling: fills `cc` from `options`
/// for a transaction of `tx_version` with `recipients` outputs.
pub fn apply_fund_options(
    wallet: &Wallet,
    options: &Value,
    recipients: usize,
    tx_version: u32,
    cc: &mut CoinControl,
    override_min_fee: bool,
) -> RpcResult<FundOptions> {
    let mut out = FundOptions::default();
    let opts = Opts::new(options);
    if !options.is_null() && !options.is_boolean() {
        apply_main_options(wallet, &opts, recipients, cc, &mut out, override_min_fee)?;
    }
    if opts.exists("solving_data") {
        add_solving_data(wallet.network, get_obj(opts.get("solving_data"))?, cc)?;
    }
    if opts.exists("input_weights") {
        for input in get_array(opts.get("input_weights"))? {
            let (outpoint, weight) = parse_input_weight(input)?;
            cc.set_input_weight(outpoint, weight);
        }
    }
    if opts.exists("max_tx_weight") {
        cc.max_tx_weight = Some(i64::from(get_int::<i32>(opts.get("max_tx_weight"))?));
    }
    if tx_version == TRUC_VERSION && cc.max_tx_weight.is_none_or(|w| w > TRUC_MAX_WEIGHT) {
        cc.max_tx_weight = Some(TRUC_MAX_WEIGHT);
    }
    if recipients == 0 {
        return Err(RpcError::invalid_parameter(
            "TX must have at least one output",
        ));
    }
    Ok(out)
}

/// Core's `InterpretSubtractFeeFromOutputInstructions`: positions, or
/// destinations looked up in `destinations`, each once and in range.
pub fn interpret_sffo(instructions: &Value, destinations: &[String]) -> RpcResult<BTreeSet<usize>> {
    let mut set = BTreeSet::new();
    if instructions.is_null() {
        return Ok(set);
    }
    for item in get_array(instructions)? {
        let pos: i64 = match item {
            Value::String(s) => match destinations.iter().position(|d| d == s) {
                Some(p) => p as i64,
                None => return Err(RpcError::invalid_parameter(format!(
                    "Invalid parameter 'subtract fee from output', destination {s} not found in tx outputs"
                ))),
            },
            Value::Number(_) => i64::from(get_int::<i32>(item)?),
            other => {
                return Err(RpcError::invalid_parameter(format!(
                    "Invalid parameter 'subtract fee from output', invalid value type: {}",
                    json_type_name(other)
                )))
            }
        };
        let in_set = usize::try_from(pos).is_ok_and(|p| set.contains(&p));
        if in_set {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid parameter 'subtract fee from output', duplicated position: {pos}"
            )));
        }
        if pos < 0 {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid parameter 'subtract fee from output', negative position: {pos}"
            )));
        }
        // Not negative here; a position beyond usize is too large anyway.
        let p = usize::try_from(pos).unwrap_or(usize::MAX);
        if p >= destinations.len() {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid parameter 'subtract fee from output', position too large: {pos}"
            )));
        }
        set.insert(p);
    }
    Ok(set)
}

/// Core's `SetOptionsInputWeights`: the inputs' `weight` fields become the
/// `input_weights` option (which may not be given directly).
pub fn set_options_input_weights(
    inputs: &Value,
    options: &mut Map<String, Value>,
) -> RpcResult<()> {
    if options.contains_key("input_weights") {
        return Err(RpcError::invalid_parameter(
            "Input weights should be specified in inputs rather than in options.",
        ));
    }
    let list = match inputs {
        Value::Array(a) if !a.is_empty() => a,
        _ => return Ok(()),
    };
    let weights: Vec<Value> = list
        .iter()
        .filter(|i| i.get("weight").is_some())
        .cloned()
        .collect();
    options.insert("input_weights".into(), Value::Array(weights));
    Ok(())
}

/// A funding failure as the RPCs report it.
pub fn wallet_error(message: impl Into<String>) -> RpcError {
    RpcError::new(code::WALLET_ERROR, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sffo(v: Value, n: usize) -> Result<Vec<usize>, String> {
        let dests: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
        interpret_sffo(&v, &dests)
            .map(|s| s.into_iter().collect())
            .map_err(|e| e.message)
    }

    #[test]
    fn subtract_fee_instructions_as_core() {
        assert_eq!(sffo(Value::Null, 2), Ok(vec![]));
        assert_eq!(sffo(json!([1, "d0"]), 2), Ok(vec![0, 1]));
        assert_eq!(
            sffo(json!(["x"]), 2),
            Err("Invalid parameter 'subtract fee from output', destination x not found in tx outputs".into())
        );
        assert_eq!(
            sffo(json!([0, 0]), 2),
            Err("Invalid parameter 'subtract fee from output', duplicated position: 0".into())
        );
        assert_eq!(
            sffo(json!([-1]), 2),
            Err("Invalid parameter 'subtract fee from output', negative position: -1".into())
        );
        assert_eq!(
            sffo(json!([2]), 2),
            Err("Invalid parameter 'subtract fee from output', position too large: 2".into())
        );
        assert_eq!(
            sffo(json!([true]), 2),
            Err("Invalid parameter 'subtract fee from output', invalid value type: bool".into())
        );
    }

    #[test]
    fn input_weights_come_from_the_inputs() {
        let mut o = Map::new();
        let inputs = json!([{"txid": "a", "vout": 0}, {"txid": "b", "vout": 1, "weight": 300}]);
        set_options_input_weights(&inputs, &mut o).unwrap();
        assert_eq!(
            o["input_weights"],
            json!([{"txid": "b", "vout": 1, "weight": 300}])
        );
        assert_eq!(
            set_options_input_weights(&inputs, &mut o)
                .unwrap_err()
                .message,
            "Input weights should be specified in inputs rather than in options."
        );
        let mut o = Map::new();
        set_options_input_weights(&json!([]), &mut o).unwrap();
        assert!(o.is_empty());
    }

    #[test]
    fn input_weight_entries_are_checked() {
        let txid = "11".repeat(32);
        let err = |v: Value| parse_input_weight(&v).unwrap_err().message;
        assert_eq!(
            err(json!({"txid": txid})),
            "Invalid parameter, missing vout key"
        );
        assert_eq!(
            err(json!({"txid": txid, "vout": -1})),
            "Invalid parameter, vout cannot be negative"
        );
        assert_eq!(
            err(json!({"txid": txid, "vout": 0})),
            "Invalid parameter, missing weight key"
        );
        assert!(err(json!({"txid": txid, "vout": 0, "weight": 164}))
            .starts_with("Invalid parameter, weight cannot be less than 165"));
        assert_eq!(
            err(json!({"txid": txid, "vout": 0, "weight": 400001})),
            "Invalid parameter, weight cannot be greater than the maximum standard tx weight of 400000"
        );
        let (op, w) = parse_input_weight(&json!({"txid": txid, "vout": 2, "weight": 165})).unwrap();
        assert_eq!((op.vout, w), (2, 165));
    }
}
