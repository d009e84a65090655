//! What the wallet's RPC methods share: finding the wallet a request is
//! for, waiting until it has caught up with the node, and Core's JSON for
//! wallet transactions.

use crate::context::WalletContext;
use crate::ledger::{balance, Entry, TxState};
use crate::wallet::{State, Wallet};
use bitcoin::ScriptBuf;
use interfaces::chain::FoundBlockParam;
use rpc::error::{code, RpcError};
use rpc::json::amount_to_value;
use rpc::request::RpcRequest;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The wallet a request is for (Core's `GetWalletForJSONRPCRequest`): the
/// one named by `/wallet/<name>`, else the only one loaded.
pub fn wallet_for_request(
    context: &WalletContext,
    request: &RpcRequest,
) -> Result<Arc<Wallet>, RpcError> {
    if let Some(name) = request.wallet_name() {
        return context.wallet(&name).ok_or_else(|| {
            RpcError::new(
                code::WALLET_NOT_FOUND,
                "Requested wallet does not exist or is not loaded",
            )
        });
    }
    let mut wallets = context.wallets();
    match wallets.len() {
        1 => Ok(wallets.remove(0)),
        0 => Err(RpcError::new(
            code::WALLET_NOT_FOUND,
            "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)",
        )),
        _ => Err(RpcError::new(
            code::WALLET_NOT_SPECIFIED,
            "Multiple wallets are loaded. Please select which wallet to use by requesting the RPC through the /wallet/<walletname> URI path.",
        )),
    }
}

/// The wallet a request names, by its `/wallet/<name>` endpoint or by its
/// `wallet_name` argument; both must agree when both are given (Core's
/// `EnsureUniqueWalletName`).
pub fn unique_wallet_name(request: &RpcRequest, given: Option<String>) -> Result<String, RpcError> {
    match (request.wallet_name(), given) {
        (Some(endpoint), Some(given)) if endpoint != given => Err(RpcError::invalid_parameter(
            "The RPC endpoint wallet and the wallet name parameter specify different wallets",
        )),
        (Some(endpoint), _) => Ok(endpoint),
        (None, Some(given)) => Ok(given),
        (None, None) => Err(RpcError::invalid_parameter(
            "Either the RPC endpoint wallet or the wallet name parameter must be provided",
        )),
    }
}

/// The wallet for the request, caught up with the node's tip first (Core's
/// `BlockUntilSyncedToCurrentChain`, which most wallet RPCs call).
pub fn synced_wallet(
    context: &WalletContext,
    request: &RpcRequest,
) -> Result<Arc<Wallet>, RpcError> {
    let wallet = wallet_for_request(context, request)?;
    wallet.block_until_synced();
    Ok(wallet)
}

/// Core's `EnsureWalletIsUnlocked`.
pub fn ensure_unlocked(state: &State) -> Result<(), RpcError> {
    if state.is_locked() {
        return Err(RpcError::new(
            code::WALLET_UNLOCK_NEEDED,
            "Error: Please enter the wallet passphrase with walletpassphrase first.",
        ));
    }
    Ok(())
}

/// `lastprocessedblock` as Core appends it.
pub fn last_processed_block(state: &State) -> Value {
    match state.ledger.last_block() {
        Some((hash, height)) => json!({"hash": hash.to_string(), "height": height}),
        None => {
            json!({"hash": "0000000000000000000000000000000000000000000000000000000000000000", "height": -1})
        }
    }
}

/// The descriptors covering `script`, in Core's normalized form (keys with
/// hardened steps shown from their cached last hardened xpub, as
/// `listdescriptors` shows them), without private keys as Core's
/// `PushParentDescriptors` does.
pub fn parent_descs(state: &State, script: &ScriptBuf) -> Vec<Value> {
    ParentDescs::new(state).of(script)
}

/// [`parent_descs`] for many scripts: each descriptor's normalized form is
/// rendered once (rendering derives and encodes its xpubs).
pub struct ParentDescs<'a> {
    state: &'a State,
    rendered: std::collections::HashMap<crate::keys::DescriptorId, Option<String>>,
}

impl<'a> ParentDescs<'a> {
    /// An empty memo over `state`.
    pub fn new(state: &'a State) -> Self {
        ParentDescs {
            state,
            rendered: std::collections::HashMap::new(),
        }
    }

    /// The descriptors covering `script`.
    pub fn of(&mut self, script: &ScriptBuf) -> Vec<Value> {
        let state = self.state;
        state
            .keys
            .managers_of(script)
            .into_iter()
            .filter_map(|id| {
                self.rendered
                    .entry(id)
                    .or_insert_with(|| {
                        let w = state.keys.spkms.get(&id)?.wallet_descriptor();
                        w.descriptor
                            .to_normalized_string(&crate::keys::KeyMap::new(), Some(&w.cache))
                            .ok()
                    })
                    .clone()
            })
            .map(Value::String)
            .collect()
    }
}

/// Core's `WalletTxToJSON`: confirmations, block, trust, ids, conflicts,
/// times and comments of one transaction.
pub fn wallet_tx_json(wallet: &Wallet, state: &State, entry: &Entry, out: &mut Map<String, Value>) {
    let depth = state.ledger.depth(entry);
    out.insert("confirmations".into(), json!(depth));
    if entry.tx().is_coinbase() {
        out.insert("generated".into(), json!(true));
    }
    if let TxState::Confirmed {
        block_hash,
        height,
        index,
    } = entry.state
    {
        out.insert("blockhash".into(), json!(block_hash.to_string()));
        out.insert("blockheight".into(), json!(height));
        out.insert("blockindex".into(), json!(index));
        let want = FoundBlockParam {
            want_time: true,
            ..Default::default()
        };
        if let Ok((found, true)) = wallet.chain.find_block(&block_hash, &want) {
            out.insert("blocktime".into(), json!(found.time));
        }
    } else {
        let trusted = balance::is_trusted(
            &state.ledger,
            entry,
            wallet.options.spend_zero_conf_change(),
            &mut BTreeSet::new(),
        );
        out.insert("trusted".into(), json!(trusted));
    }
    let txid = entry.txid;
    out.insert("txid".into(), json!(txid.to_string()));
    out.insert(
        "wtxid".into(),
        json!(entry.tx().compute_wtxid().to_string()),
    );
    // Core's `GetTxConflicts`: a confirmed transaction lists the wallet
    // transactions it double-spends too, so both sides of a conflict
    // name each other.
    let conflicts: Vec<Value> = state
        .ledger
        .conflicts(&txid)
        .into_iter()
        .filter(|t| *t != txid)
        .map(|t| json!(t.to_string()))
        .collect();
    out.insert("walletconflicts".into(), Value::Array(conflicts));
    let mempool: Vec<Value> = entry
        .mempool_conflicts
        .iter()
        .map(|t| json!(t.to_string()))
        .collect();
    out.insert("mempoolconflicts".into(), Value::Array(mempool));
    out.insert("time".into(), json!(entry.time()));
    out.insert("timereceived".into(), json!(entry.record.time_received));
    if wallet.bip125_deprecated() {
        let status = if depth > 0 {
            "no"
        } else {
            match wallet.chain.is_rbf_opt_in(entry.tx()) {
                Ok(interfaces::chain::RbfTransactionState::ReplaceableBip125) => "yes",
                Ok(interfaces::chain::RbfTransactionState::Unknown) => "unknown",
                _ => "no",
            }
        };
        out.insert("bip125-replaceable".into(), json!(status));
    }
    let r = &entry.record;
    if let Some(c) = &r.comment {
        out.insert("comment".into(), json!(c));
    }
    if let Some(c) = &r.comment_to {
        out.insert("to".into(), json!(c));
    }
    if let Some(t) = &r.replaces_txid {
        out.insert("replaces_txid".into(), json!(t.to_string()));
    }
    if let Some(t) = &r.replaced_by_txid {
        out.insert("replaced_by_txid".into(), json!(t.to_string()));
    }
}

/// Core's `ListTransactions`: the `send` and `receive`/`generate`/
/// `immature`/`orphan` entries of one transaction.
pub fn list_entries(
    wallet: &Wallet,
    state: &State,
    entry: &Entry,
    min_depth: i32,
    long: bool,
    filter_label: Option<&str>,
    include_change: bool,
) -> Vec<Value> {
    let is_change = |s: &bitcoin::Script| wallet.is_change(state, s);
    let amounts = balance::amounts(&state.ledger, entry, &is_change, include_change);
    let mut out = Vec::new();
    let label_of = |script: &ScriptBuf| -> Option<String> {
        let a = wallet.address_of(script)?;
        state
            .address_book
            .get(&a)
            .map(|e| e.label.clone().unwrap_or_default())
    };
    if filter_label.is_none() {
        for s in &amounts.sent {
            let mut e = Map::new();
            if let Some(a) = wallet.address_of(&s.script) {
                e.insert("address".into(), json!(a));
            }
            e.insert("category".into(), json!("send"));
            e.insert("amount".into(), amount_to_value(-s.amount));
            if let Some(l) = label_of(&s.script) {
                e.insert("label".into(), json!(l));
            }
            e.insert("vout".into(), json!(s.vout));
            e.insert("fee".into(), amount_to_value(-amounts.fee));
            if long {
                wallet_tx_json(wallet, state, entry, &mut e);
            }
            e.insert("abandoned".into(), json!(entry.state.is_abandoned()));
            out.push(Value::Object(e));
        }
    }
    let depth = state.ledger.depth(entry);
    if !amounts.received.is_empty() && depth >= min_depth {
        for r in &amounts.received {
            let label = label_of(&r.script);
            if let Some(f) = filter_label {
                if label.as_deref().unwrap_or("") != f {
                    continue;
                }
            }
            let mut e = Map::new();
            if let Some(a) = wallet.address_of(&r.script) {
                e.insert("address".into(), json!(a));
            }
            e.insert(
                "parent_descs".into(),
                Value::Array(parent_descs(state, &r.script)),
            );
            let category = if entry.tx().is_coinbase() {
                if depth < 1 {
                    "orphan"
                } else if state.ledger.is_immature_coinbase(entry) {
                    "immature"
                } else {
                    "generate"
                }
            } else {
                "receive"
            };
            e.insert("category".into(), json!(category));
            e.insert("amount".into(), amount_to_value(r.amount));
            if let Some(l) = &label {
                e.insert("label".into(), json!(l));
            }
            e.insert("vout".into(), json!(r.vout));
            e.insert("abandoned".into(), json!(entry.state.is_abandoned()));
            if long {
                wallet_tx_json(wallet, state, entry, &mut e);
            }
            out.push(Value::Object(e));
        }
    }
    out
}
