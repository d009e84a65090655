//! `fundrawtransaction` and `walletcreatefundedpsbt`: a transaction the
//! user started gets the wallet's inputs and change, unsigned.

use super::args::{CreateFundedPsbtParams, FundRawParams};
use super::json::{get_bool, get_int, Opts};
use super::options::{apply_fund_options, interpret_sffo, set_options_input_weights};
use super::{construct, fill_new_psbt, fund_transaction, output_keys, psbt_io, recipients_of};
use crate::context::WalletContext;
use crate::rpc::util::synced_wallet;
use crate::sign::FillOptions;
use crate::spend::CoinControl;
use rpc::error::RpcError;
use rpc::json::amount_to_value;
use rpc::method::RpcMethod;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// `changepos` as Core reports it: -1 without change.
fn change_pos_json(pos: Option<usize>) -> Value {
    pos.map_or(json!(-1), |p| json!(p))
}

/// Registers `fundrawtransaction` and `walletcreatefundedpsbt`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "fundrawtransaction",
            "wallet",
            "Adds inputs to a transaction until it pays its outputs and fee, and at most one change output.\nExisting outputs are not changed unless \"subtractFeeFromOutputs\" says so.\nThe added inputs are not signed (see signrawtransactionwithwallet); inputs already signed may need signing again.\nInputs given must be the wallet's or in the UTXO set; others need solving data.\nWith an explicit fee rate, unconfirmed inputs may raise the transaction's own rate, as the whole package is funded at that rate.",
            move |req, p: FundRawParams| {
                let wallet = synced_wallet(&c, req)?;
                let (try_no_witness, try_witness) = match p.iswitness {
                    Some(w) => (!w, w),
                    None => (true, true),
                };
                let mut tx = utility_rpc::tojson::decode_hex_tx(&p.hexstring, try_no_witness, try_witness)
                    .ok_or_else(|| RpcError::deserialization("TX decode failed"))?;
                let options = p.options.unwrap_or(Value::Null);
                // Outputs are named by position only; a name matches the
                // placeholder every output gets, as in Core.
                let names = vec!["dummy".to_string(); tx.output.len()];
                let subtract = interpret_sffo(Opts::new(&options).get("subtractFeeFromOutputs"), &names)?;
                let recipients = recipients_of(&tx.output, &subtract);
                let mut cc = CoinControl::new(wallet.fee_config());
                cc.allow_other_inputs = true;
                tx.output.clear();
                let fund = apply_fund_options(&wallet, &options, recipients.len(), tx.version.0 as u32, &mut cc, true)?;
                let created = fund_transaction(&wallet, &tx, &recipients, fund, cc)?;
                Ok(json!({
                    "hex": bitcoin::consensus::encode::serialize_hex(&created.tx),
                    "fee": amount_to_value(created.fee),
                    "changepos": change_pos_json(created.change_pos),
                }))
            },
        )
        .result("{\n  \"hex\" : \"hex\",       (string) The funded transaction, unsigned\n  \"fee\" : n,           (numeric) Its fee in BTC\n  \"changepos\" : n      (numeric) Position of the change output, or -1\n}")
        .examples("> bitcoin-cli fundrawtransaction \"rawtransactionhex\"\n"),
    );

    let c = context.clone();
    table.register(
        RpcMethod::new(
            "walletcreatefundedpsbt",
            "wallet",
            "Creates a PSBT and funds it from the wallet (Creator and Updater roles).\nInputs given must be the wallet's or in the UTXO set; others need solving data.",
            move |req, p: CreateFundedPsbtParams| {
                let wallet = synced_wallet(&c, req)?;
                let mut options = match p.options {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                let version: u32 = get_int(&p.version)?;
                let replaceable = options.get("replaceable").cloned().unwrap_or(Value::Null);
                let rbf = if replaceable.is_null() {
                    wallet.fee_config().signal_rbf
                } else {
                    get_bool(&replaceable)?
                };
                let inputs = p.inputs.unwrap_or(Value::Null);
                let mut tx = construct(&wallet, &inputs, &p.outputs, &p.locktime, rbf, version)?;
                let keys = output_keys(&p.outputs)?;
                let options_value = Value::Object(options.clone());
                let subtract = interpret_sffo(Opts::new(&options_value).get("subtractFeeFromOutputs"), &keys)?;
                let recipients = recipients_of(&tx.output, &subtract);
                let mut cc = CoinControl::new(wallet.fee_config());
                cc.version = version;
                // Coins are added automatically unless inputs were given.
                cc.allow_other_inputs = tx.input.is_empty();
                set_options_input_weights(&inputs, &mut options)?;
                tx.output.clear();
                let options = Value::Object(options);
                let fund = apply_fund_options(&wallet, &options, recipients.len(), version, &mut cc, true)?;
                let created = fund_transaction(&wallet, &tx, &recipients, fund, cc)?;

                let psbt_version = psbt_io::check_psbt_version(i64::from(get_int::<i32>(&p.psbt_version)?))?;
                let state = wallet.lock();
                let opts = FillOptions {
                    sighash_type: None,
                    sign: false,
                    bip32derivs: p.bip32derivs,
                    finalize: true,
                };
                let (psbt, _) = fill_new_psbt(&state, &created.tx, opts)?;
                let psbt = psbt_io::to_version(&psbt, psbt_version)?;
                Ok(json!({
                    "psbt": psbt.to_base64(),
                    "fee": amount_to_value(created.fee),
                    "changepos": change_pos_json(created.change_pos),
                }))
            },
        )
        .result("{\n  \"psbt\" : \"str\",      (string) The funded PSBT (base64)\n  \"fee\" : n,           (numeric) Its fee in BTC\n  \"changepos\" : n      (numeric) Position of the change output, or -1\n}")
        .examples("> bitcoin-cli -named walletcreatefundedpsbt outputs=\"[{\\\"address\\\":0.5}]\" add_inputs=true fee_rate=2\n"),
    );
}
