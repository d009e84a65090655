//! Balances and locked coins.

use super::util::{last_processed_block, synced_wallet};
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::wallet::Wallet;
use bitcoin::OutPoint;
use rpc::error::{code, RpcError};
use rpc::json::amount_to_value;
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::sync::Arc;

rpc_params! {
    /// `getbalance`'s parameters.
    struct GetBalanceParams {
        /// Remains for backward compatibility. Must be excluded or set to "*".
        dummy: Option<String> [Str, optional],
        /// Only include transactions confirmed at least this many times.
        minconf: i64 [Num, default = 0],
        /// No longer used
        include_watchonly: Option<bool> [Bool, optional],
        /// (only available if avoid_reuse wallet flag is set) Do not include balance in dirty outputs; addresses are considered dirty if they have previously been used in a transaction.
        avoid_reuse: Option<bool> [Bool, hint = "true"],
    }
}

rpc_params! {
    /// `lockunspent`'s parameters.
    struct LockUnspentParams {
        /// Whether to unlock (true) or lock (false) the specified transactions
        unlock: bool [Bool, required],
        /// The transaction outputs and within each, the txid (string) vout (numeric).
        transactions: Option<Value> [Arr, hint = "empty array"],
        /// Whether to write/erase this lock in the wallet database, or keep the change in memory only. Ignored for unlocking.
        persistent: bool [Bool, default = false],
    }
}

/// Core's `GetAvoidReuseFlag`.
fn avoid_reuse_flag(wallet: &Wallet, param: Option<bool>) -> Result<bool, RpcError> {
    let enabled = wallet.has_flag(flags::AVOID_REUSE);
    let avoid = param.unwrap_or(enabled);
    if avoid && !enabled {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "wallet does not have the \"avoid reuse\" feature enabled",
        ));
    }
    Ok(avoid)
}

fn parse_outpoint(o: &Value) -> Result<OutPoint, RpcError> {
    let obj = o.as_object().ok_or_else(|| {
        RpcError::type_error("JSON value of type array is not of expected type object")
    })?;
    let txid = obj
        .get("txid")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::type_error("Missing txid"))?;
    let txid = rpc::json::parse_txid(txid, "txid")?;
    let vout = obj
        .get("vout")
        .and_then(Value::as_i64)
        .ok_or_else(|| RpcError::type_error("Missing vout"))?;
    if vout < 0 {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter, vout cannot be negative",
        ));
    }
    Ok(OutPoint::new(txid, u32::try_from(vout).unwrap_or(u32::MAX)))
}

/// Registers the balance and coin lock methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "getbalance",
        "wallet",
        "Returns the total available balance.\nThe available balance is what the wallet considers currently spendable, and is\nthus affected by options which limit spendability such as -spendzeroconfchange.",
        move |req, p: GetBalanceParams| {
            let wallet = synced_wallet(&c, req)?;
            if p.dummy.as_deref().is_some_and(|d| d != "*") {
                return Err(RpcError::new(code::METHOD_DEPRECATED, "dummy first argument must be excluded or set to \"*\"."));
            }
            let avoid = avoid_reuse_flag(&wallet, p.avoid_reuse)?;
            let min_depth = i32::try_from(p.minconf).unwrap_or(i32::MAX);
            let b = wallet.balance(min_depth, avoid, false);
            Ok(amount_to_value(b.trusted + if avoid { 0 } else { b.used }))
        },
    ).result("n    (numeric) The total amount in BTC received for this wallet."));

    let c = context.clone();
    table.register(RpcMethod::new(
        "getbalances",
        "wallet",
        "Returns an object with all balances in BTC.",
        move |req, ()| {
            let wallet = synced_wallet(&c, req)?;
            let b = wallet.balance(0, true, true);
            let state = wallet.lock();
            let mut mine = Map::new();
            mine.insert("trusted".into(), amount_to_value(b.trusted));
            mine.insert("untrusted_pending".into(), amount_to_value(b.untrusted_pending));
            mine.insert("immature".into(), amount_to_value(b.immature));
            mine.insert("nonmempool".into(), amount_to_value(b.nonmempool));
            if state.has_flag(flags::AVOID_REUSE) {
                mine.insert("used".into(), amount_to_value(b.used));
            }
            Ok(json!({"mine": Value::Object(mine), "lastprocessedblock": last_processed_block(&state)}))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "lockunspent",
        "wallet",
        "Updates list of temporarily unspendable outputs.\nTemporarily lock (unlock=false) or unlock (unlock=true) specified transaction outputs.\nIf no transaction outputs are specified when unlocking then all current locked transaction outputs are unlocked.",
        move |req, p: LockUnspentParams| {
            let wallet = synced_wallet(&c, req)?;
            let list = match &p.transactions {
                None | Some(Value::Null) => {
                    if p.unlock {
                        wallet.unlock_all_coins().map_err(RpcError::misc)?;
                        return Ok(json!(true));
                    }
                    Vec::new()
                }
                Some(Value::Array(a)) => a.clone(),
                Some(_) => return Err(RpcError::type_error("JSON value is not an array as expected")),
            };
            let mut outpoints = Vec::new();
            {
                let state = wallet.lock();
                for o in &list {
                    let outpoint = parse_outpoint(o)?;
                    let Some(e) = state.ledger.get(&outpoint.txid) else {
                        return Err(RpcError::invalid_parameter("Invalid parameter, unknown transaction"));
                    };
                    if outpoint.vout as usize >= e.tx().output.len() {
                        return Err(RpcError::invalid_parameter("Invalid parameter, vout index out of bounds"));
                    }
                    if state.ledger.is_spent(&outpoint) {
                        return Err(RpcError::invalid_parameter("Invalid parameter, expected unspent output"));
                    }
                    let locked = state.locked_coins.contains_key(&outpoint);
                    if p.unlock && !locked {
                        return Err(RpcError::invalid_parameter("Invalid parameter, expected locked output"));
                    }
                    if !p.unlock && locked && !p.persistent {
                        return Err(RpcError::invalid_parameter("Invalid parameter, output already locked"));
                    }
                    outpoints.push(outpoint);
                }
            }
            for o in outpoints {
                if p.unlock {
                    wallet.unlock_coin(o).map_err(RpcError::misc)?;
                } else {
                    wallet.lock_coin(o, p.persistent).map_err(RpcError::misc)?;
                }
            }
            Ok(json!(true))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listlockunspent",
        "wallet",
        "Returns list of temporarily unspendable outputs.\nSee the lockunspent call to lock and unlock transactions for spending.",
        move |req, ()| {
            let wallet = synced_wallet(&c, req)?;
            let state = wallet.lock();
            let list: Vec<Value> = state
                .locked_coins
                .keys()
                .map(|o| json!({"txid": o.txid.to_string(), "vout": o.vout}))
                .collect();
            Ok(Value::Array(list))
        },
    ));
}
