//! Transactions: listing, details, abandonment, rescans.

use super::util::{
    ensure_unlocked, last_processed_block, list_entries, synced_wallet, wallet_for_request,
    wallet_tx_json,
};
use crate::context::WalletContext;
use crate::ledger::balance;
use crate::wallet::sync::{self, ScanStatus};
use rpc::error::{code, RpcError};
use rpc::json::amount_to_value;
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

rpc_params! {
    /// `gettransaction`'s parameters.
    struct GetTransactionParams {
        /// The transaction id
        txid: String [Str, required],
        /// Whether to include watch-only addresses in balance calculation and details[]
        include_watchonly: Option<bool> [Bool, optional],
        /// Whether to include a `decoded` field containing the decoded transaction (equivalent to RPC decoderawtransaction)
        verbose: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `listtransactions`'s parameters.
    struct ListTransactionsParams {
        /// If set, should be a valid label name to return only incoming transactions with the specified label, or "*" to disable filtering and return all transactions.
        label: Option<String> [Str, optional],
        /// The number of transactions to return
        count: i64 [Num, default = 10],
        /// The number of transactions to skip
        skip: i64 [Num, default = 0],
        /// No longer used
        include_watchonly: Option<bool> [Bool, optional],
    }
}

rpc_params! {
    /// `abandontransaction`'s parameters.
    struct TxidParams {
        /// The transaction id
        txid: String [Str, required],
    }
}

rpc_params! {
    /// `rescanblockchain`'s parameters.
    struct RescanParams {
        /// block height where the rescan should start
        start_height: i64 [Num, default = 0],
        /// the last block height that should be scanned. If none is provided it will rescan up to the tip at return time of this call.
        stop_height: Option<i64> [Num, optional],
    }
}

/// Registers the transaction methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "gettransaction",
        "wallet",
        "Get detailed information about in-wallet transaction <txid>",
        move |req, p: GetTransactionParams| {
            let wallet = synced_wallet(&c, req)?;
            let txid = rpc::json::parse_txid(&p.txid, "txid")?;
            let state = wallet.lock();
            let Some(entry) = state.ledger.get(&txid) else {
                return Err(RpcError::invalid_address_or_key(
                    "Invalid or non-wallet transaction id",
                ));
            };
            let credit = balance::credit(&state.ledger, entry);
            let debit = balance::debit(&state.ledger, entry.tx());
            let from_me = state.ledger.is_from_me(entry.tx());
            let value_out: i64 = entry
                .tx()
                .output
                .iter()
                .map(|o| o.value.to_sat() as i64)
                .sum();
            let fee = if from_me { value_out - debit } else { 0 };
            let mut o = Map::new();
            o.insert("amount".into(), amount_to_value(credit - debit - fee));
            if from_me {
                o.insert("fee".into(), amount_to_value(fee));
            }
            wallet_tx_json(&wallet, &state, entry, &mut o);
            let details = list_entries(&wallet, &state, entry, 0, false, None, false);
            o.insert("details".into(), Value::Array(details));
            o.insert(
                "hex".into(),
                json!(bitcoin::consensus::encode::serialize_hex(entry.tx())),
            );
            if p.verbose {
                let mut decoded = utility_rpc::tojson::tx_to_json(
                    entry.tx(),
                    &utility_rpc::address::ChainParams::for_network(wallet.network),
                );
                // Core marks the change outputs in the decoded form.
                if let Some(Value::Array(vout)) = decoded.get_mut("vout") {
                    for (out, txout) in vout.iter_mut().zip(&entry.tx().output) {
                        if let (Value::Object(o), true) =
                            (out, wallet.is_change(&state, &txout.script_pubkey))
                        {
                            o.insert("ischange".into(), json!(true));
                        }
                    }
                }
                o.insert("decoded".into(), Value::Object(decoded));
            }
            o.insert("lastprocessedblock".into(), last_processed_block(&state));
            Ok(Value::Object(o))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listtransactions",
        "wallet",
        "If a label name is provided, this will return only incoming transactions paying to addresses with the specified label.\n\nReturns up to 'count' most recent transactions skipping the first 'from' transactions.",
        move |req, p: ListTransactionsParams| {
            let wallet = synced_wallet(&c, req)?;
            let filter = match p.label.as_deref() {
                None | Some("*") => None,
                Some(l) => {
                    let l = super::addresses::label_from(l)?;
                    if l.is_empty() {
                        return Err(RpcError::invalid_parameter("Label argument must be a valid label name or \"*\"."));
                    }
                    Some(l)
                }
            };
            if p.count < 0 {
                return Err(RpcError::invalid_parameter("Negative count"));
            }
            if p.skip < 0 {
                return Err(RpcError::invalid_parameter("Negative from"));
            }
            let (count, skip) = (p.count as usize, p.skip as usize);
            let state = wallet.lock();
            let mut ret: Vec<Value> = Vec::new();
            for entry in state.ledger.ordered().rev() {
                ret.extend(list_entries(&wallet, &state, entry, 0, true, filter.as_deref(), false));
                if ret.len() >= count.saturating_add(skip) {
                    break;
                }
            }
            let from = skip.min(ret.len());
            let n = count.min(ret.len() - from);
            let mut slice: Vec<Value> = ret[from..from + n].to_vec();
            slice.reverse();
            Ok(Value::Array(slice))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "abandontransaction",
        "wallet",
        "Mark in-wallet transaction <txid> as abandoned\nThis will mark this transaction and all its in-wallet descendants as abandoned which will allow\nfor their inputs to be respent.  It can be used to replace \"stuck\" or evicted transactions.\nIt only works on transactions which are not included in a block and are not currently in the mempool.\nIt has no effect on transactions which are already abandoned.",
        move |req, p: TxidParams| {
            let wallet = synced_wallet(&c, req)?;
            let txid = rpc::json::parse_txid(&p.txid, "txid")?;
            if wallet.lock().ledger.get(&txid).is_none() {
                return Err(RpcError::invalid_address_or_key("Invalid or non-wallet transaction id"));
            }
            if !wallet.abandon(&txid).map_err(RpcError::misc)? {
                return Err(RpcError::invalid_address_or_key("Transaction not eligible for abandonment"));
            }
            Ok(Value::Null)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "rescanblockchain",
        "wallet",
        "Rescan the local blockchain for wallet related transactions.\nNote: Use \"getwalletinfo\" to query the scanning progress.\nThe rescan is significantly faster if block filters are available\n(using startup option \"-blockfilterindex=1\").",
        move |req, p: RescanParams| {
            let wallet = synced_wallet(&c, req)?;
            ensure_unlocked(&wallet.lock())?;
            if wallet.rescanning.swap(true, Ordering::SeqCst) {
                return Err(RpcError::new(code::WALLET_ERROR, "Wallet is currently rescanning. Abort existing rescan or wait."));
            }
            let release = Reserved(&wallet.rescanning);
            let tip = wallet.chain.get_height().ok().flatten().unwrap_or(-1);
            if p.start_height < 0 || p.start_height > i64::from(tip) {
                return Err(RpcError::invalid_parameter("Invalid start_height"));
            }
            let start_height = p.start_height as i32;
            let stop = match p.stop_height {
                Some(s) if s < 0 || s > i64::from(tip) => return Err(RpcError::invalid_parameter("Invalid stop_height")),
                Some(s) if s < p.start_height => return Err(RpcError::invalid_parameter("stop_height must be greater than start_height")),
                Some(s) => Some(s as i32),
                None => None,
            };
            check_blocks_available(&wallet, start_height, stop)?;
            let start = wallet.chain.get_block_hash(start_height).map_err(|e| RpcError::misc(e.to_string()))?;
            let result = sync::scan(&wallet, start, start_height, stop);
            drop(release);
            match result.status {
                ScanStatus::UserAbort => Err(RpcError::misc("Rescan aborted by user.")),
                ScanStatus::Failure => Err(RpcError::misc("Rescan failed. Potentially corrupted data files.")),
                ScanStatus::Success => Ok(json!({
                    "start_height": start_height,
                    "stop_height": result.last_scanned.map_or(Value::Null, |(_, h)| json!(h)),
                })),
            }
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "abortrescan",
        "wallet",
        "Stops current wallet rescan triggered by an RPC call, e.g. by a rescanblockchain call.\nNote: Use \"getwalletinfo\" to query the scanning progress.",
        move |req, ()| {
            let wallet = wallet_for_request(&c, req)?;
            if !wallet.is_scanning() || wallet.abort_rescan.load(Ordering::SeqCst) {
                return Ok(json!(false));
            }
            wallet.abort_rescan.store(true, Ordering::SeqCst);
            Ok(json!(true))
        },
    ));
}

/// Releases the rescan reservation when dropped.
struct Reserved<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Refuses a rescan over blocks the node does not have, naming why as Core
/// does: pruned away, not yet downloaded by an assumeutxo background sync,
/// or missing for no known reason.
fn check_blocks_available(
    wallet: &crate::wallet::Wallet,
    start_height: i32,
    stop: Option<i32>,
) -> Result<(), RpcError> {
    let Some((last, _)) = wallet.lock().ledger.last_block() else {
        return Ok(());
    };
    if wallet
        .chain
        .has_blocks(&last, start_height, stop)
        .unwrap_or(false)
    {
        return Ok(());
    }
    let pruned = wallet.chain.have_pruned().unwrap_or(false);
    let prune_height = wallet.chain.get_prune_height().ok().flatten();
    if pruned && prune_height.is_some_and(|h| h >= start_height) {
        return Err(RpcError::misc("Can't rescan beyond pruned data. Use RPC call getblockchaininfo to determine your pruned height."));
    }
    if wallet.chain.has_assumed_valid_chain().unwrap_or(false) {
        return Err(RpcError::misc("Failed to rescan unavailable blocks likely due to an in-progress assumeutxo background sync. Check logs or getchainstates RPC for assumeutxo background sync progress and try again later."));
    }
    Err(RpcError::misc("Failed to rescan unavailable blocks, potentially caused by data corruption. If the issue persists you may want to reindex (see -reindex option)."))
}
