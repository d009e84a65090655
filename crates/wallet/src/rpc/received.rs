//! What the wallet received: `getreceivedbyaddress`, `getreceivedbylabel`,
//! `listreceivedbyaddress`, `listreceivedbylabel` (Core's `GetReceived` and
//! `ListReceived`), and `listsinceblock` with its reorganised-out
//! `removed` list.

use super::addresses::label_from;
use super::util::{list_entries, synced_wallet};
use crate::context::WalletContext;
use crate::db::load::AddressBookEntry;
use crate::ledger::Entry;
use crate::wallet::{State, Wallet};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, ScriptBuf, Txid};
use interfaces::chain::FoundBlockParam;
use rpc::error::{code, RpcError};
use rpc::json::amount_to_value;
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use utility_rpc::address::{decode, extract_destination, ChainParams, Destination};

rpc_params! {
    /// `getreceivedbyaddress`'s parameters.
    struct GetReceivedByAddressParams {
        /// The bitcoin address for transactions.
        address: String [Str, required],
        /// Only include transactions confirmed at least this many times.
        minconf: i32 [Num, default = 1],
        /// Include immature coinbase transactions.
        include_immature_coinbase: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `getreceivedbylabel`'s parameters.
    struct GetReceivedByLabelParams {
        /// The selected label, may be the default label using "".
        label: String [Str, required],
        /// Only include transactions confirmed at least this many times.
        minconf: i32 [Num, default = 1],
        /// Include immature coinbase transactions.
        include_immature_coinbase: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `listreceivedbyaddress`'s parameters.
    struct ListReceivedByAddressParams {
        /// The minimum number of confirmations before payments are included.
        minconf: i32 [Num, default = 1],
        /// Whether to include addresses that haven't received any payments.
        include_empty: bool [Bool, default = false],
        /// (DEPRECATED) No longer used
        include_watchonly: bool [Bool, default = false],
        /// If present and non-empty, only return information on this address.
        address_filter: Option<String> [Str, optional],
        /// Include immature coinbase transactions.
        include_immature_coinbase: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `listreceivedbylabel`'s parameters.
    struct ListReceivedByLabelParams {
        /// The minimum number of confirmations before payments are included.
        minconf: i32 [Num, default = 1],
        /// Whether to include labels that haven't received any payments.
        include_empty: bool [Bool, default = false],
        /// (DEPRECATED) No longer used
        include_watchonly: bool [Bool, default = false],
        /// Include immature coinbase transactions.
        include_immature_coinbase: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `listsinceblock`'s parameters.
    struct ListSinceBlockParams {
        /// If set, the block hash to list transactions since, otherwise list all transactions.
        blockhash: Option<String> [Str, optional],
        /// Return the nth block hash from the main chain. e.g. 1 would mean the best block hash. Note: this is not used as a filter, but only affects [lastblock] in the return value
        target_confirmations: i32 [Num, default = 1],
        /// (DEPRECATED) No longer used
        include_watchonly: bool [Bool, default = false],
        /// Show transactions that were removed due to a reorg in the "removed" array
        /// (not guaranteed to work on pruned nodes)
        include_removed: bool [Bool, default = true],
        /// Also add entries for change outputs.
        include_change: bool [Bool, default = false],
        /// Return only incoming transactions paying to addresses with the specified label.
        label: Option<String> [Str, optional],
    }
}

/// Core's `CTxDestination` order (variant, then its bytes), the order of
/// the wallet's address book and so of every list walking it.
pub(crate) fn destination_order(address: &str, params: &ChainParams) -> (u8, Vec<u8>) {
    // Ranks follow the variant list of Core's `CTxDestination`; a book entry
    // that does not decode (never written by this wallet) sorts last.
    match decode(address, params) {
        Ok(Destination::PubKeyHash(h)) => (2, h.to_vec()),
        Ok(Destination::ScriptHash(h)) => (3, h.to_vec()),
        Ok(Destination::WitnessV0ScriptHash(h)) => (4, h.to_vec()),
        Ok(Destination::WitnessV0KeyHash(h)) => (5, h.to_vec()),
        Ok(Destination::Taproot(k)) => (6, k.to_vec()),
        Ok(Destination::Anchor) => (7, Vec::new()),
        Ok(Destination::WitnessUnknown { version, program }) => {
            let mut key = vec![version];
            key.extend(program);
            (8, key)
        }
        Err(_) => (u8::MAX, address.as_bytes().to_vec()),
    }
}

/// The address book in Core's order, with each entry's address string.
pub(super) fn ordered_book<'a>(
    state: &'a State,
    params: &ChainParams,
) -> Vec<(&'a String, &'a AddressBookEntry)> {
    let mut book: Vec<_> = state.address_book.iter().collect();
    book.sort_by_cached_key(|(a, _)| destination_order(a, params));
    book
}

/// Whether coins of `entry` count as received at `min_depth` (the filter
/// `GetReceived` and `ListReceived` share): deep enough, and a coinbase only
/// when in the chain and, unless asked for, mature.
fn counts(state: &State, entry: &Entry, min_depth: i32, include_immature: bool) -> bool {
    let depth = state.ledger.depth(entry);
    if depth < min_depth {
        return false;
    }
    if entry.tx().is_coinbase() && depth < 1 {
        return false;
    }
    include_immature || !state.ledger.is_immature_coinbase(entry)
}

/// Core's `GetReceived`: the sum paid to `scripts` by transactions that
/// count at `min_depth`.
fn received_by(
    state: &State,
    scripts: &BTreeSet<ScriptBuf>,
    min_depth: i32,
    include_immature: bool,
) -> i64 {
    state
        .ledger
        .entries()
        .map(|(_, e)| e)
        .filter(|e| counts(state, e, min_depth, include_immature))
        .flat_map(|e| e.tx().output.iter())
        .filter(|o| scripts.contains(&o.script_pubkey))
        .map(|o| o.value.to_sat() as i64)
        .sum()
}

/// The wallet's own scripts among `scripts`; none is Core's "Address not
/// found in wallet".
fn own_scripts(state: &State, scripts: Vec<ScriptBuf>) -> Result<BTreeSet<ScriptBuf>, RpcError> {
    let own: BTreeSet<ScriptBuf> = scripts
        .into_iter()
        .filter(|s| state.keys.is_mine(s))
        .collect();
    if own.is_empty() {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "Address not found in wallet",
        ));
    }
    Ok(own)
}

/// One address's (or label's) tally in `ListReceived`.
struct Tally {
    amount: i64,
    /// Confirmations of the shallowest transaction (`i32::MAX`: none).
    conf: i32,
    txids: Vec<Txid>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            amount: 0,
            conf: i32::MAX,
            txids: Vec::new(),
        }
    }
}

/// Core prints a tally without transactions as 0 confirmations.
fn confirmations(conf: i32) -> i32 {
    if conf == i32::MAX {
        0
    } else {
        conf
    }
}

/// Core's `ListReceived` tally: what each of the wallet's addresses got
/// from transactions counting at `min_depth`, keyed by address string.
fn tally(
    state: &State,
    params: &ChainParams,
    min_depth: i32,
    include_immature: bool,
    filter: Option<&Destination>,
) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    // The ledger's hash-map order, as Core's `mapWallet`: `txids` follow no
    // particular order, and wallet_resendwallettransactions.py relies on
    // that to find a child listed before its parent.
    for (_, entry) in state.ledger.entries() {
        if !counts(state, entry, min_depth, include_immature) {
            continue;
        }
        let depth = state.ledger.depth(entry);
        let txid = entry.txid;
        for o in &entry.tx().output {
            let Some(dest) = extract_destination(o.script_pubkey.as_bytes()) else {
                continue;
            };
            if filter.is_some_and(|f| *f != dest) {
                continue;
            }
            if !state.keys.is_mine(&o.script_pubkey) {
                continue;
            }
            let item = out.entry(dest.encode(params)).or_default();
            item.amount += o.value.to_sat() as i64;
            item.conf = item.conf.min(depth);
            item.txids.push(txid);
        }
    }
    out
}

/// Core's `ListReceived` (by address, or by label with `by_label`).
fn list_received(
    wallet: &Wallet,
    min_depth: i32,
    include_empty: bool,
    address_filter: Option<&str>,
    include_immature: bool,
    by_label: bool,
) -> Result<Value, RpcError> {
    let params = ChainParams::for_network(wallet.network);
    let filter = match address_filter.filter(|a| !a.is_empty()) {
        Some(a) => Some(decode(a, &params).map_err(|_| {
            RpcError::new(code::WALLET_ERROR, "address_filter parameter was invalid")
        })?),
        None => None,
    };
    let state = wallet.lock();
    let tallies = tally(
        &state,
        &params,
        min_depth,
        include_immature,
        filter.as_ref(),
    );
    let book: Vec<(&String, &AddressBookEntry)> = match &filter {
        // Only the filtered address, if it is in the book.
        Some(dest) => {
            let a = dest.encode(&params);
            state.address_book.get_key_value(&a).into_iter().collect()
        }
        None => ordered_book(&state, &params),
    };
    let mut ret = Vec::new();
    let mut by_label_tally: BTreeMap<String, Tally> = BTreeMap::new();
    for (address, entry) in book {
        // Entries without a label are change.
        let Some(label) = &entry.label else {
            continue;
        };
        let t = tallies.get(address);
        if t.is_none() && !include_empty {
            continue;
        }
        let (amount, conf) = t.map_or((0, i32::MAX), |t| (t.amount, t.conf));
        if by_label {
            let item = by_label_tally.entry(label.clone()).or_default();
            item.amount += amount;
            item.conf = item.conf.min(conf);
        } else {
            let txids: Vec<Value> = t
                .map(|t| t.txids.iter().map(|x| json!(x.to_string())).collect())
                .unwrap_or_default();
            ret.push(json!({
                "address": address,
                "amount": amount_to_value(amount),
                "confirmations": confirmations(conf),
                "label": label,
                "txids": txids,
            }));
        }
    }
    if by_label {
        for (label, t) in by_label_tally {
            ret.push(json!({
                "amount": amount_to_value(t.amount),
                "confirmations": confirmations(t.conf),
                "label": label,
            }));
        }
    }
    Ok(Value::Array(ret))
}

fn chain_error(e: impl std::fmt::Display) -> RpcError {
    RpcError::new(code::INTERNAL_ERROR, e.to_string())
}

/// Core's `listsinceblock`.
fn list_since_block(wallet: &Wallet, p: ListSinceBlockParams) -> Result<Value, RpcError> {
    let state = wallet.lock();
    let last = state.ledger.last_block();
    // (height of the common ancestor, height of the given block, its hash)
    let mut since: Option<(i32, i32, BlockHash)> = None;
    if let Some(s) = p.blockhash.as_deref().filter(|s| !s.is_empty()) {
        let hash = rpc::json::parse_hash(s, "blockhash")?;
        let not_found = || RpcError::invalid_address_or_key("Block not found");
        let (last_hash, _) = last.ok_or_else(not_found)?;
        let height = FoundBlockParam {
            want_height: true,
            ..Default::default()
        };
        let found = wallet
            .chain
            .find_common_ancestor(
                &hash,
                &last_hash,
                &height,
                &height,
                &FoundBlockParam::default(),
            )
            .map_err(chain_error)?;
        if !found.found {
            return Err(not_found());
        }
        since = Some((found.ancestor.height, found.block1.height, hash));
    }
    if p.target_confirmations < 1 {
        return Err(RpcError::invalid_parameter("Invalid parameter"));
    }
    let filter = p.label.as_deref().map(label_from).transpose()?;
    let (last_hash, last_height) = last.unwrap_or((BlockHash::all_zeros(), -1));
    // Transactions shallower than the given block's fork point are new.
    let depth = since.map_or(-1, |(h, _, _)| last_height + 1 - h);
    let mut transactions = Vec::new();
    for entry in state.ledger.ordered() {
        if depth == -1 || state.ledger.depth(entry).abs() < depth {
            transactions.extend(list_entries(
                wallet,
                &state,
                entry,
                0,
                true,
                filter.as_deref(),
                p.include_change,
            ));
        }
    }
    let mut removed = Vec::new();
    if let (true, Some((height, mut alt_height, mut block_id))) = (p.include_removed, since) {
        // Walk the detached branch from the given block back to the fork.
        let want = FoundBlockParam {
            want_data: true,
            ..Default::default()
        };
        while alt_height > height {
            let (found, ok) = wallet
                .chain
                .find_block(&block_id, &want)
                .map_err(chain_error)?;
            let Some(block) = found.data.filter(|_| ok) else {
                return Err(RpcError::new(
                    code::INTERNAL_ERROR,
                    "Can't read block from disk",
                ));
            };
            for tx in &block.txdata {
                if let Some(entry) = state.ledger.get(&tx.compute_txid()) {
                    // Every confirmation count, conflicted ones too.
                    removed.extend(list_entries(
                        wallet,
                        &state,
                        entry,
                        -100_000_000,
                        true,
                        filter.as_deref(),
                        p.include_change,
                    ));
                }
            }
            block_id = block.header.prev_blockhash;
            alt_height -= 1;
        }
    }
    let target = p.target_confirmations.min(last_height + 1);
    let want = FoundBlockParam {
        want_hash: true,
        ..Default::default()
    };
    let (found, ok) = wallet
        .chain
        .find_ancestor_by_height(&last_hash, last_height + 1 - target, &want)
        .map_err(chain_error)?;
    let lastblock = match (ok, found.hash) {
        (true, Some(h)) => h,
        _ => return Err(RpcError::new(
            code::INTERNAL_ERROR,
            "Internal bug detected: the wallet's last block has no ancestor at the target height",
        )),
    };
    let mut ret = serde_json::Map::new();
    ret.insert("transactions".into(), Value::Array(transactions));
    if p.include_removed {
        ret.insert("removed".into(), Value::Array(removed));
    }
    ret.insert("lastblock".into(), json!(lastblock.to_string()));
    Ok(Value::Object(ret))
}

/// Registers the received-amount methods and `listsinceblock`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "getreceivedbyaddress",
        "wallet",
        "Returns the total amount received by the given address in transactions with at least minconf confirmations.",
        move |req, p: GetReceivedByAddressParams| {
            let wallet = synced_wallet(&c, req)?;
            let params = ChainParams::for_network(wallet.network);
            let dest = decode(&p.address, &params)
                .map_err(|_| RpcError::invalid_address_or_key("Invalid Bitcoin address"))?;
            let state = wallet.lock();
            let scripts = own_scripts(&state, vec![ScriptBuf::from_bytes(dest.script_pubkey())])?;
            let amount = received_by(&state, &scripts, p.minconf, p.include_immature_coinbase);
            Ok(amount_to_value(amount))
        },
    ).result("amount    (numeric) The total amount in BTC received at this address."));

    let c = context.clone();
    table.register(RpcMethod::new(
        "getreceivedbylabel",
        "wallet",
        "Returns the total amount received by addresses with <label> in transactions with at least [minconf] confirmations.",
        move |req, p: GetReceivedByLabelParams| {
            let wallet = synced_wallet(&c, req)?;
            let label = label_from(&p.label)?;
            let params = ChainParams::for_network(wallet.network);
            let state = wallet.lock();
            let scripts: Vec<ScriptBuf> = state
                .address_book
                .iter()
                .filter(|(_, e)| e.label.as_deref() == Some(label.as_str()))
                .filter_map(|(a, _)| decode(a, &params).ok())
                .map(|d| ScriptBuf::from_bytes(d.script_pubkey()))
                .collect();
            if scripts.is_empty() {
                return Err(RpcError::new(code::WALLET_ERROR, "Label not found in wallet"));
            }
            let scripts = own_scripts(&state, scripts)?;
            let amount = received_by(&state, &scripts, p.minconf, p.include_immature_coinbase);
            Ok(amount_to_value(amount))
        },
    ).result("amount    (numeric) The total amount in BTC received for this label."));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listreceivedbyaddress",
        "wallet",
        "List balances by receiving address.",
        move |req, p: ListReceivedByAddressParams| {
            let wallet = synced_wallet(&c, req)?;
            list_received(
                &wallet,
                p.minconf,
                p.include_empty,
                p.address_filter.as_deref(),
                p.include_immature_coinbase,
                false,
            )
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listreceivedbylabel",
        "wallet",
        "List received transactions by label.",
        move |req, p: ListReceivedByLabelParams| {
            let wallet = synced_wallet(&c, req)?;
            list_received(
                &wallet,
                p.minconf,
                p.include_empty,
                None,
                p.include_immature_coinbase,
                true,
            )
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listsinceblock",
        "wallet",
        "Get all transactions in blocks since block [blockhash], or all transactions if omitted.\nIf \"blockhash\" is no longer a part of the main chain, transactions from the fork point onward are included.\nAdditionally, if include_removed is set, transactions affecting the wallet which were removed are returned in the \"removed\" array.",
        move |req, p: ListSinceBlockParams| {
            let wallet = synced_wallet(&c, req)?;
            list_since_block(&wallet, p)
        },
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_sort_in_core_variant_order_then_by_bytes() {
        let params = ChainParams::for_network(bitcoin::Network::Regtest);
        let enc = |d: Destination| d.encode(&params);
        let pkh_hi = enc(Destination::PubKeyHash([0xff; 20]));
        let pkh_lo = enc(Destination::PubKeyHash([0x01; 20]));
        let sh = enc(Destination::ScriptHash([0; 20]));
        let wsh = enc(Destination::WitnessV0ScriptHash([0; 32]));
        let wpkh = enc(Destination::WitnessV0KeyHash([0; 20]));
        let tr = enc(Destination::Taproot([0; 32]));
        let mut all = vec![
            "not an address".to_string(),
            tr.clone(),
            wpkh.clone(),
            wsh.clone(),
            sh.clone(),
            pkh_hi.clone(),
            pkh_lo.clone(),
        ];
        all.sort_by_cached_key(|a| destination_order(a, &params));
        // WSH before WPKH, as in Core's variant list; bytes, not text,
        // order within a kind; what does not decode goes last.
        assert_eq!(
            all,
            vec![
                pkh_lo,
                pkh_hi,
                sh,
                wsh,
                wpkh,
                tr,
                "not an address".to_string()
            ]
        );
    }

    #[test]
    fn an_empty_tally_shows_zero_confirmations() {
        assert_eq!(confirmations(Tally::default().conf), 0);
        assert_eq!(confirmations(3), 3);
    }
}
