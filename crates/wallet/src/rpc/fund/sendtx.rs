//! `send`: fund, sign and (unless asked for a PSBT or not to) commit and
//! broadcast a transaction to the outputs given.

use super::args::SendParams;
use super::fee::{interpret_fee_estimation_instructions, prevent_outdated_options};
use super::json::{get_bool, get_int, Opts};
use super::options::{apply_fund_options, interpret_sffo, set_options_input_weights};
use super::{construct, finish_transaction, fund_transaction, output_keys, recipients_of};
use crate::context::WalletContext;
use crate::rpc::util::synced_wallet;
use crate::spend::CoinControl;
use rpc::method::RpcMethod;
use rpc::table::RpcTable;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Registers `send`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "send",
            "wallet",
            "Send a transaction.",
            move |req, p: SendParams| {
                let wallet = synced_wallet(&c, req)?;
                let mut options = match p.options {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                interpret_fee_estimation_instructions(&p.conf_target, &p.estimate_mode, &p.fee_rate, &mut options)?;
                let options_value = Value::Object(options.clone());
                let opts = Opts::new(&options_value);
                prevent_outdated_options(&opts)?;
                let rbf = if opts.exists("replaceable") {
                    get_bool(opts.get("replaceable"))?
                } else {
                    wallet.fee_config().signal_rbf
                };
                let keys = output_keys(&p.outputs)?;
                // Parsing the outputs alone first reports their errors
                // before the inputs', as Core's order does.
                let parsed = construct(&wallet, &Value::Null, &p.outputs, &Value::Null, rbf, 2)?;
                let subtract = interpret_sffo(opts.get("subtract_fee_from_outputs"), &keys)?;
                let recipients = recipients_of(&parsed.output, &subtract);
                let mut cc = CoinControl::new(wallet.fee_config());
                cc.version = get_int(&p.version)?;
                let mut tx = construct(&wallet, opts.get("inputs"), &p.outputs, opts.get("locktime"), rbf, cc.version)?;
                cc.allow_other_inputs = tx.input.is_empty();
                if opts.exists("max_tx_weight") {
                    cc.max_tx_weight = Some(i64::from(get_int::<i32>(opts.get("max_tx_weight"))?));
                }
                let inputs = opts.get("inputs").clone();
                set_options_input_weights(&inputs, &mut options)?;
                tx.output.clear();
                let options = Value::Object(options);
                let fund = apply_fund_options(&wallet, &options, recipients.len(), cc.version, &mut cc, false)?;
                let created = fund_transaction(&wallet, &tx, &recipients, fund, cc)?;
                finish_transaction(&wallet, &Opts::new(&options), created.tx)
            },
        )
        .result("{\n  \"complete\" : true|false,  (boolean) Whether every input is signed\n  \"txid\" : \"hex\",           (string, optional) The transaction id, when complete\n  \"hex\" : \"hex\",            (string, optional) The signed transaction, when not added to the wallet\n  \"psbt\" : \"str\"            (string, optional) The PSBT, when incomplete or not added to the wallet\n}")
        .examples("> bitcoin-cli send '{\"address\": 0.1}' 6 economical\n> bitcoin-cli -named send outputs='{\"address\": 0.3}' fee_rate=25\n"),
    );
}
