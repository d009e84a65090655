//! `listaddressgroupings`: the wallet's addresses grouped by the common
//! ownership its own transactions revealed (inputs spent together, change).

use super::util::synced_wallet;
use crate::context::WalletContext;
use crate::ledger::balance;
use crate::wallet::{State, Wallet};
use rpc::json::amount_to_value;
use rpc::method::RpcMethod;
use rpc::table::RpcTable;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Registers `listaddressgroupings`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "listaddressgroupings",
        "wallet",
        "Lists groups of addresses which have had their common ownership\nmade public by common use as inputs or as the resulting change\nin past transactions",
        move |req, ()| {
            let wallet = synced_wallet(&c, req)?;
            let state = wallet.lock();
            let balances = address_balances(&wallet, &state);
            let out: Vec<Value> = address_groupings(&wallet, &state)
                .into_iter()
                .map(|group| {
                    let entries: Vec<Value> = group
                        .into_iter()
                        .map(|a| {
                            let amount = balances.get(&a).copied().unwrap_or(0);
                            let mut e = vec![json!(a), amount_to_value(amount)];
                            if let Some(entry) = state.address_book.get(&a) {
                                e.push(json!(entry.label.clone().unwrap_or_default()));
                            }
                            Value::Array(e)
                        })
                        .collect();
                    Value::Array(entries)
                })
                .collect();
            Ok(Value::Array(out))
        },
    ));
}

/// Core's `GetAddressBalances`: per address, the unspent value of trusted,
/// mature outputs (unconfirmed ones only when the wallet sent them).
fn address_balances(wallet: &Wallet, state: &State) -> BTreeMap<String, i64> {
    let mut balances = BTreeMap::new();
    let mut trusted = BTreeSet::new();
    let zero_conf_change = wallet.options.spend_zero_conf_change();
    for (outpoint, txout) in state.ledger.txos() {
        let Some(entry) = state.ledger.get(&outpoint.txid) else {
            continue;
        };
        if !balance::is_trusted(&state.ledger, entry, zero_conf_change, &mut trusted)
            || state.ledger.is_immature_coinbase(entry)
        {
            continue;
        }
        let min_depth = if state.ledger.is_from_me(entry.tx()) {
            0
        } else {
            1
        };
        if state.ledger.depth(entry) < min_depth {
            continue;
        }
        let Some(address) = wallet.address_of(&txout.script_pubkey) else {
            continue;
        };
        let value = if state.ledger.is_spent(outpoint) {
            0
        } else {
            txout.value.to_sat() as i64
        };
        *balances.entry(address).or_insert(0) += value;
    }
    balances
}

/// Core's `GetAddressGroupings`: the addresses of a transaction's own inputs
/// and its change outputs form a group, every owned output address is a
/// group of its own, and groups sharing an address are merged.
fn address_groupings(wallet: &Wallet, state: &State) -> BTreeSet<BTreeSet<String>> {
    let is_mine = |s: &bitcoin::ScriptBuf| state.keys.is_mine(s);
    let mut groupings: Vec<BTreeSet<String>> = Vec::new();
    for (_, entry) in state.ledger.entries() {
        let tx = entry.tx();
        let mut group = BTreeSet::new();
        let mut any_mine = false;
        for input in &tx.input {
            let prev = input.previous_output;
            let Some(prev_out) = state
                .ledger
                .get(&prev.txid)
                .and_then(|p| p.tx().output.get(prev.vout as usize))
            else {
                continue;
            };
            if !is_mine(&prev_out.script_pubkey) {
                continue;
            }
            if let Some(a) = wallet.address_of(&prev_out.script_pubkey) {
                group.insert(a);
                any_mine = true;
            }
        }
        if any_mine {
            for out in &tx.output {
                if wallet.is_change(state, &out.script_pubkey) {
                    if let Some(a) = wallet.address_of(&out.script_pubkey) {
                        group.insert(a);
                    }
                }
            }
        }
        if !group.is_empty() {
            groupings.push(group);
        }
        for out in &tx.output {
            if is_mine(&out.script_pubkey) {
                if let Some(a) = wallet.address_of(&out.script_pubkey) {
                    groupings.push(BTreeSet::from([a]));
                }
            }
        }
    }
    merge_overlapping(groupings)
}

/// Merges every pair of groups that share a member, transitively.
fn merge_overlapping(groupings: Vec<BTreeSet<String>>) -> BTreeSet<BTreeSet<String>> {
    let mut merged: Vec<BTreeSet<String>> = Vec::new();
    for group in groupings {
        let mut combined = group;
        let mut rest = Vec::with_capacity(merged.len());
        for g in merged {
            if g.iter().any(|a| combined.contains(a)) {
                combined.extend(g);
            } else {
                rest.push(g);
            }
        }
        rest.push(combined);
        merged = rest;
    }
    merged.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::merge_overlapping;
    use std::collections::BTreeSet;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_sharing_an_address_merge_transitively() {
        let merged = merge_overlapping(vec![
            set(&["a", "b"]),
            set(&["c"]),
            set(&["d", "e"]),
            set(&["b", "d"]),
        ]);
        assert_eq!(
            merged,
            BTreeSet::from([set(&["a", "b", "d", "e"]), set(&["c"])])
        );
    }
}
