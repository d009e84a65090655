//! `sendall`: spend every (or every given) coin, paying the recipients
//! with amounts and sharing what is left after the fee among the others.

use super::args::SendAllParams;
use super::fee::{
    interpret_fee_estimation_instructions, prevent_outdated_options, set_fee_estimate_mode,
};
use super::json::{get_bool, get_int, Opts};
use super::options::{wallet_error, TRUC_MAX_WEIGHT};
use super::{construct, finish_transaction};
use crate::coinselection::{MAX_STANDARD_TX_WEIGHT, TRUC_CHILD_MAX_WEIGHT, TRUC_VERSION};
use crate::context::WalletContext;
use crate::rpc::util::synced_wallet;
use crate::spend::fees::format_fee_rate_sat_vb;
use crate::spend::{
    available_coins, calculate_maximum_signed_tx_size, get_minimum_fee_rate, is_dust, CoinControl,
    CoinFilterParams, FeeReason, InputSizeInfo, MAX_BIP125_RBF_SEQUENCE, MAX_SEQUENCE_NONFINAL,
};
use crate::wallet::spending::{NodeFees, WalletSpendEnv};
use crate::wallet::Wallet;
use bitcoin::{OutPoint, Sequence, Transaction, TxIn};
use rpc::error::{code, RpcError, RpcResult};
use rpc::method::RpcMethod;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

fn insufficient(message: &str) -> RpcError {
    RpcError::new(code::WALLET_INSUFFICIENT_FUNDS, message)
}

/// The recipients as key-value pairs for `ConstructTransaction`, and the
/// addresses given without an amount (which share the remainder).
fn split_recipients(recipients: &Value) -> RpcResult<(Value, BTreeSet<String>)> {
    let mut pairs = Vec::new();
    let mut without_amount = BTreeSet::new();
    for r in recipients.as_array().into_iter().flatten() {
        match r {
            Value::String(a) => {
                let mut o = Map::new();
                o.insert(a.clone(), json!(0));
                pairs.push(Value::Object(o));
                without_amount.insert(a.clone());
            }
            other => pairs.push(other.clone()),
        }
    }
    if without_amount.is_empty() {
        return Err(RpcError::invalid_parameter(
            "Must provide at least one address without a specified amount",
        ));
    }
    Ok((Value::Array(pairs), without_amount))
}

/// The coin control `sendall`'s options describe: fee, depths, version
/// and weight limit.
fn coin_control(wallet: &Wallet, opts: &Opts<'_>) -> RpcResult<CoinControl> {
    let mut cc = CoinControl::new(wallet.fee_config());
    set_fee_estimate_mode(
        wallet,
        &mut cc,
        opts.get("conf_target"),
        opts.get("estimate_mode"),
        opts.get("fee_rate"),
        false,
    )?;
    if opts.exists("minconf") {
        let minconf: i32 = get_int(opts.get("minconf"))?;
        if minconf < 0 {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid minconf (minconf cannot be negative): {minconf}"
            )));
        }
        cc.min_depth = minconf;
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
    if opts.exists("version") {
        cc.version = get_int(opts.get("version"))?;
    }
    cc.max_tx_weight = Some(if cc.version == TRUC_VERSION {
        TRUC_MAX_WEIGHT
    } else {
        MAX_STANDARD_TX_WEIGHT
    });
    Ok(cc)
}

/// The wallet's minimum rate for `cc`, refused when below the user's rate
/// or when it would be the disabled fallback (Core's checks in `sendall`).
fn fee_rate(wallet: &Wallet, cc: &CoinControl) -> RpcResult<crate::coinselection::FeeRate> {
    let config = wallet.fee_config();
    let fees = NodeFees(&*wallet.chain);
    let (rate, calc) =
        get_minimum_fee_rate(config, &fees, cc).map_err(|e| RpcError::misc(e.to_string()))?;
    if let Some(requested) = cc.fee_rate {
        if rate > requested {
            let mut msg = format!(
                "Fee rate ({}) is lower than the minimum fee rate setting ({}).",
                format_fee_rate_sat_vb(requested),
                format_fee_rate_sat_vb(rate)
            );
            if calc.reason == FeeReason::Required {
                let relay = wallet
                    .chain
                    .relay_min_fee()
                    .map_err(|e| RpcError::misc(e.to_string()))?;
                msg.push_str(&format!(
                    "\nConsider modifying -mintxfee ({}) or -minrelaytxfee ({}).",
                    format_fee_rate_sat_vb(config.min_fee),
                    format_fee_rate_sat_vb(relay.into())
                ));
            }
            return Err(RpcError::invalid_parameter(msg));
        }
    }
    if calc.reason == FeeReason::Fallback && !config.allow_fallback_fee() {
        return Err(wallet_error(
            "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.",
        ));
    }
    Ok(rate)
}

/// Registers `sendall`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "sendall",
            "wallet",
            "Spend the value of all (or specific) confirmed UTXOs and unconfirmed change in the wallet to one or more recipients.\nUnconfirmed inbound UTXOs and locked UTXOs will not be spent. Sendall will respect the avoid_reuse wallet flag.\nIf your wallet contains many small inputs, either because it received tiny payments or as a result of accumulating change, consider using `send_max` to exclude inputs that are worth less than the fees needed to spend them.",
            move |req, p: SendAllParams| {
                let wallet = synced_wallet(&c, req)?;
                let mut options = match p.options {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                interpret_fee_estimation_instructions(&p.conf_target, &p.estimate_mode, &p.fee_rate, &mut options)?;
                let options = Value::Object(options);
                let opts = Opts::new(&options);
                prevent_outdated_options(&opts)?;
                let (pairs, without_amount) = split_recipients(&p.recipients)?;
                let cc = coin_control(&wallet, &opts)?;
                let rbf = if opts.exists("replaceable") {
                    get_bool(opts.get("replaceable"))?
                } else {
                    wallet.fee_config().signal_rbf
                };
                let rate = fee_rate(&wallet, &cc)?;
                let tx = construct(&wallet, opts.get("inputs"), &pairs, opts.get("locktime"), rbf, cc.version)?;
                let tx = spend_all(&wallet, &opts, cc, rate, rbf, tx, &without_amount)?;
                finish_transaction(&wallet, &opts, tx)
            },
        )
        .result("{\n  \"complete\" : true|false,  (boolean) Whether every input is signed\n  \"txid\" : \"hex\",           (string, optional) The transaction id, when complete\n  \"hex\" : \"hex\",            (string, optional) The signed transaction, when not added to the wallet\n  \"psbt\" : \"str\"            (string, optional) The PSBT, when incomplete or not added to the wallet\n}")
        .examples("> bitcoin-cli -named sendall recipients='[\"address\"]' fee_rate=1\n"),
    );
}

/// The inputs (given, or every spendable coin) and the outputs' amounts:
/// what is left after the fee and the fixed amounts is split among the
/// addresses without one, the first taking the remainder of the division.
fn spend_all(
    wallet: &Wallet,
    opts: &Opts<'_>,
    mut cc: CoinControl,
    rate: crate::coinselection::FeeRate,
    rbf: bool,
    mut tx: Transaction,
    without_amount: &BTreeSet<String>,
) -> RpcResult<Transaction> {
    let mut state = wallet.lock();
    let send_max = opts.exists("send_max") && get_bool(opts.get("send_max"))?;
    let mut total_input_value = 0i64;
    if opts.exists("inputs") && opts.exists("send_max") {
        return Err(RpcError::invalid_parameter(
            "Cannot combine send_max with specific inputs.",
        ));
    } else if opts.exists("inputs") && (opts.exists("minconf") || opts.exists("maxconf")) {
        return Err(RpcError::invalid_parameter(
            "Cannot combine minconf or maxconf with specific inputs.",
        ));
    } else if opts.exists("inputs") {
        for input in &tx.input {
            let op = input.previous_output;
            if state.ledger.is_spent(&op) {
                return Err(RpcError::invalid_parameter(format!(
                    "Input not available. UTXO ({}:{}) was already spent.",
                    op.txid, op.vout
                )));
            }
            let entry = state.ledger.get(&op.txid);
            let txout = entry
                .and_then(|e| e.tx().output.get(op.vout as usize))
                .filter(|o| state.keys.is_mine(&o.script_pubkey));
            let (Some(entry), Some(txout)) = (entry, txout) else {
                return Err(RpcError::invalid_parameter(format!(
                    "Input not found. UTXO ({}:{}) is not part of wallet.",
                    op.txid, op.vout
                )));
            };
            if state.ledger.depth(entry) == 0 {
                let version = entry.tx().version.0 as u32;
                if version == TRUC_VERSION && cc.version != TRUC_VERSION {
                    return Err(RpcError::invalid_parameter(format!(
                        "Can't spend unconfirmed version 3 pre-selected input with a version {} tx",
                        cc.version
                    )));
                } else if cc.version == TRUC_VERSION && version != TRUC_VERSION {
                    return Err(RpcError::invalid_parameter(format!(
                        "Can't spend unconfirmed version {version} pre-selected input with a version 3 tx"
                    )));
                }
            }
            total_input_value = total_input_value.saturating_add(txout.value.to_sat() as i64);
        }
    } else {
        let snapshot = wallet.spend_snapshot(&state);
        let coins = {
            let env = WalletSpendEnv::new(wallet, &mut state);
            let spend_wallet = snapshot.view(&env, wallet.fee_config());
            let params = CoinFilterParams {
                min_amount: 0,
                ..Default::default()
            };
            available_coins(&spend_wallet, Some(&cc), Some(rate), &params)
                .map_err(|e| RpcError::misc(e.to_string()))?
        };
        let sequence = if rbf {
            MAX_BIP125_RBF_SEQUENCE
        } else {
            MAX_SEQUENCE_NONFINAL
        };
        for (_, coin) in coins.all() {
            let value = coin.txout.value.to_sat() as i64;
            if send_max && coin.input_bytes.is_some_and(|b| rate.fee(b) > value) {
                continue;
            }
            // Spending an unconfirmed TRUC transaction makes this its child.
            if coin.depth == 0 && cc.version == TRUC_VERSION {
                cc.max_tx_weight = Some(TRUC_CHILD_MAX_WEIGHT);
            }
            tx.input.push(TxIn {
                previous_output: coin.outpoint,
                sequence: Sequence(sequence),
                ..Default::default()
            });
            total_input_value = total_input_value.saturating_add(value);
        }
    }

    let spent: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
    // Sized from the wallet's own solving data only.
    let sizes: Option<Vec<InputSizeInfo>> = tx
        .input
        .iter()
        .map(|i| {
            let op = i.previous_output;
            let txout = state
                .ledger
                .get(&op.txid)
                .and_then(|e| e.tx().output.get(op.vout as usize))?;
            Some(InputSizeInfo {
                weight: None,
                satisfaction: crate::sign::input_satisfaction(
                    &state.keys,
                    &txout.script_pubkey,
                    !state.can_grind_r(),
                ),
            })
        })
        .collect();
    let tx_size = sizes
        .and_then(|s| {
            calculate_maximum_signed_tx_size(&s, tx.output.iter().map(|o| o.script_pubkey.as_script()))
        })
        .ok_or_else(|| wallet_error("Unable to determine the size of the transaction, the wallet contains unsolvable descriptors"))?;
    let fee_from_size = rate.fee(u32::try_from(tx_size.vsize).unwrap_or(u32::MAX));
    let interface_rate = interfaces::FeeRate {
        fee: rate.sat_per_kvb(),
        size: 1000,
    };
    let bump_fees = wallet
        .chain
        .calculate_combined_bump_fee(&spent, &interface_rate)
        .map_err(|e| RpcError::misc(e.to_string()))?
        .unwrap_or(0);
    let effective_value = total_input_value - fee_from_size - bump_fees;

    if fee_from_size > wallet.fee_config().max_tx_fee {
        return Err(wallet_error(
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        ));
    }
    if effective_value <= 0 {
        return Err(insufficient(if send_max {
            "Total value of UTXO pool too low to pay for transaction, try using lower feerate."
        } else {
            "Total value of UTXO pool too low to pay for transaction. Try using lower feerate or excluding uneconomic UTXOs with 'send_max' option."
        }));
    }
    if cc.max_tx_weight.is_some_and(|w| tx_size.weight > w) {
        return Err(wallet_error("Transaction too large."));
    }
    let claimed: i64 = tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
    if claimed > total_input_value {
        return Err(insufficient(
            "Assigned more value to outputs than available funds.",
        ));
    }
    let remainder = effective_value - claimed;
    if remainder < 0 {
        return Err(insufficient(
            "Insufficient funds for fees after creating specified outputs.",
        ));
    }
    let shares = without_amount.len() as i64;
    let per_output = remainder / shares;
    let dust_fee = crate::coinselection::FeeRate::from(
        wallet
            .chain
            .relay_dust_fee()
            .map_err(|e| RpcError::misc(e.to_string()))?,
    );
    let mut gave_remaining_to_first = false;
    for out in &mut tx.output {
        let address = wallet.address_of(&out.script_pubkey).unwrap_or_default();
        if without_amount.contains(&address) {
            let mut value = per_output;
            if !gave_remaining_to_first {
                value += remainder % shares;
                gave_remaining_to_first = true;
            }
            out.value = bitcoin::Amount::from_sat(u64::try_from(value).unwrap_or(0));
            if is_dust(out, dust_fee) {
                return Err(insufficient(
                    "Dynamically assigned remainder results in dust output.",
                ));
            }
        } else if is_dust(out, dust_fee) {
            return Err(RpcError::invalid_parameter(format!(
                "Specified output amount to {address} is below dust threshold."
            )));
        }
    }

    if opts.exists("lock_unspents") && get_bool(opts.get("lock_unspents"))? {
        for i in &tx.input {
            state.locked_coins.entry(i.previous_output).or_insert(false);
        }
    }
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_without_amount_share_the_rest() {
        let (pairs, without) = split_recipients(&json!(["a", {"b": 1}, "c"])).unwrap();
        assert_eq!(pairs, json!([{"a": 0}, {"b": 1}, {"c": 0}]));
        assert_eq!(without.into_iter().collect::<Vec<_>>(), vec!["a", "c"]);
        let e = split_recipients(&json!([{"b": 1}])).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                -8,
                "Must provide at least one address without a specified amount"
            )
        );
    }
}
