//! `simulaterawtransaction`: what signing and broadcasting transactions
//! would do to the wallet's balance.

use super::util::wallet_for_request;
use crate::context::WalletContext;
use crate::wallet::Wallet;
use bitcoin::{OutPoint, Transaction};
use interfaces::chain::Coin;
use rpc::error::RpcError;
use rpc::json::amount_to_value;
use rpc::method::{json_type_name, Arg, ArgType, RpcMethod};
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

rpc_params! {
    /// `simulaterawtransaction`'s options.
    struct SimulateOptions {
        /// (DEPRECATED) No longer used
        include_watchonly: Option<Value> [Bool, default = false, skip_type_check],
    }
}

rpc_params! {
    /// `simulaterawtransaction`'s parameters.
    struct SimulateParams {
        /// An array of hex strings of raw transactions.
        rawtxs: Option<Value> [Arr, optional, inner = vec![
            Arg::optional("rawtx", ArgType::StrHex, ""),
        ]],
        options: SimulateOptions [ObjNamedParams, optional],
    }
}

/// Core's text when a JSON value has the wrong type where Core reads it
/// without a declared type check (a `std::runtime_error`, so -1).
fn wrong_type(value: &Value, expected: &str) -> RpcError {
    RpcError::misc(format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type_name(value)
    ))
}

/// The balance change of transactions taken in order (Core's loop in
/// `simulaterawtransaction`): the wallet's coins they spend count against
/// it, outputs paying it for it; an output one of them creates may be
/// spent by a later one.
#[derive(Debug, Default)]
pub struct Simulation {
    /// The change so far, in satoshis.
    pub change: i64,
    /// Outputs the transactions so far created, with what they pay the
    /// wallet.
    created: BTreeMap<OutPoint, i64>,
    /// Outputs the transactions so far spend.
    spent: BTreeSet<OutPoint>,
}

impl Simulation {
    /// Adds `tx` after the transactions added before.
    pub fn add(&mut self, wallet: &Wallet, tx: &Transaction) -> Result<(), RpcError> {
        let wanted: Vec<(OutPoint, Option<Coin>)> = tx
            .input
            .iter()
            .map(|i| i.previous_output)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|o| (o, None))
            .collect();
        let unspent: BTreeSet<OutPoint> = wallet
            .chain
            .find_coins(&wanted)
            .map_err(|e| RpcError::misc(e.to_string()))?
            .into_iter()
            .filter_map(|(o, coin)| coin.map(|_| o))
            .collect();
        let state = wallet.lock();
        for input in &tx.input {
            let outpoint = input.previous_output;
            if self.spent.contains(&outpoint) {
                return Err(RpcError::invalid_parameter(
                    "Transaction(s) are spending the same output more than once",
                ));
            }
            if let Some(value) = self.created.remove(&outpoint) {
                self.change = self.change.saturating_sub(value);
            } else {
                if !unspent.contains(&outpoint) {
                    return Err(RpcError::invalid_parameter(
                        "One or more transaction inputs are missing or have been spent already",
                    ));
                }
                // Core's `GetDebit` of the input: the coin if it is the wallet's.
                let debit = state
                    .ledger
                    .txos()
                    .get(&outpoint)
                    .map_or(0, |o| o.value.to_sat() as i64);
                self.change = self.change.saturating_sub(debit);
            }
            self.spent.insert(outpoint);
        }
        let txid = tx.compute_txid();
        for (i, output) in tx.output.iter().enumerate() {
            let value = if state.keys.is_mine(&output.script_pubkey) {
                output.value.to_sat() as i64
            } else {
                0
            };
            self.created.insert(OutPoint::new(txid, i as u32), value);
            self.change = self.change.saturating_add(value);
        }
        Ok(())
    }
}

fn simulaterawtransaction(
    context: &WalletContext,
    req: &rpc::request::RpcRequest,
    p: SimulateParams,
) -> Result<Value, RpcError> {
    let wallet = wallet_for_request(context, req)?;
    let list = match &p.rawtxs {
        Some(Value::Array(list)) => list.as_slice(),
        Some(v) => return Err(wrong_type(v, "array")),
        None => return Err(wrong_type(&Value::Null, "array")),
    };
    // Decoded one by one as Core does, so an earlier transaction's error
    // comes before a later one's decoding failure.
    let mut simulation = Simulation::default();
    for item in list {
        let hex = item.as_str().ok_or_else(|| wrong_type(item, "string"))?;
        let tx = utility_rpc::tojson::decode_hex_tx(hex, true, true)
            .ok_or_else(|| RpcError::deserialization("Transaction hex string decoding failure."))?;
        simulation.add(&wallet, &tx)?;
    }
    Ok(json!({ "balance_change": amount_to_value(simulation.change) }))
}

/// Registers `simulaterawtransaction`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "simulaterawtransaction",
            "wallet",
            "Calculate the balance change resulting in the signing and broadcasting of the given transaction(s).",
            move |req, p: SimulateParams| simulaterawtransaction(&c, req, p),
        )
        .result("{\n  \"balance_change\" : n    (numeric) The wallet balance change (negative means decrease).\n}"),
    );
}
