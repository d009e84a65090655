//! What the wallet's transactions add up to (Core's `receive.cpp`): trust
//! of unconfirmed transactions, credits and debits, balances, and the
//! sent/received split `listtransactions` shows.

use super::store::{Entry, Ledger, SpendType};
use bitcoin::{Script, ScriptBuf, Transaction, Txid};
use std::collections::BTreeSet;

/// The wallet's balances in satoshis (Core's `Balance`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// Confirmed, or unconfirmed from the wallet itself and trusted.
    pub trusted: i64,
    /// Unconfirmed from others (or untrusted) in the mempool.
    pub untrusted_pending: i64,
    /// Coinbase outputs not yet mature.
    pub immature: i64,
    /// Outputs to addresses already spent from (avoid-reuse wallets).
    pub used: i64,
    /// Negative: outputs spent by transactions in neither chain nor mempool.
    pub nonmempool: i64,
}

/// Core's `CachedTxIsTrusted`: confirmed, or the wallet's own unconfirmed
/// transaction in the mempool whose inputs are all the wallet's trusted
/// outputs. `trusted` remembers parents found trusted.
pub fn is_trusted(
    ledger: &Ledger,
    entry: &Entry,
    spend_zero_conf_change: bool,
    trusted: &mut BTreeSet<Txid>,
) -> bool {
    let txid = entry.txid;
    if trusted.contains(&txid) || entry.state.is_confirmed() {
        return true;
    }
    if entry.state.is_block_conflicted() {
        return false;
    }
    if !spend_zero_conf_change || !ledger.is_from_me(entry.tx()) {
        return false;
    }
    if !entry.state.in_mempool() {
        return false;
    }
    for input in &entry.tx().input {
        let prev = input.previous_output;
        let Some(parent) = ledger.get(&prev.txid) else {
            return false;
        };
        if !ledger.txos().contains_key(&prev) {
            return false;
        }
        if trusted.contains(&prev.txid) {
            continue;
        }
        if !is_trusted(ledger, parent, spend_zero_conf_change, trusted) {
            return false;
        }
        trusted.insert(prev.txid);
    }
    true
}

/// The wallet's balances (Core's `GetBalance`): outputs of trusted
/// transactions at `min_depth` or deeper, untrusted ones in the mempool,
/// immature coinbases; with `avoid_reuse`, outputs to addresses spent from
/// count as `used`.
pub fn balance(
    ledger: &Ledger,
    min_depth: i32,
    avoid_reuse: Option<&dyn Fn(&Script) -> bool>,
    include_nonmempool: bool,
    spend_zero_conf_change: bool,
) -> Balance {
    let mut ret = Balance::default();
    let mut trusted = BTreeSet::new();
    for (outpoint, txout) in ledger.txos() {
        let Some(entry) = ledger.get(&outpoint.txid) else {
            continue;
        };
        let mut nonmempool_spent = false;
        match ledger.how_spent(outpoint) {
            SpendType::Confirmed | SpendType::Mempool => continue,
            SpendType::NonMempool if !include_nonmempool => continue,
            SpendType::NonMempool => nonmempool_spent = true,
            SpendType::Unspent => {}
        }
        let is_trusted = is_trusted(ledger, entry, spend_zero_conf_change, &mut trusted);
        let depth = ledger.depth(entry);
        let value = txout.value.to_sat() as i64;
        let bucket = if ledger.is_immature_coinbase(entry) && entry.state.is_confirmed() {
            &mut ret.immature
        } else if is_trusted && depth >= min_depth {
            &mut ret.trusted
        } else if !is_trusted && entry.state.in_mempool() {
            &mut ret.untrusted_pending
        } else {
            continue;
        };
        let bucket = match avoid_reuse {
            Some(used) if used(&txout.script_pubkey) => &mut ret.used,
            _ => bucket,
        };
        *bucket += value;
        if nonmempool_spent {
            ret.nonmempool -= value;
        }
    }
    ret
}

/// What the wallet spends in `tx` (Core's `GetDebit`): the sum of its own
/// outputs `tx` spends.
pub fn debit(ledger: &Ledger, tx: &Transaction) -> i64 {
    tx.input
        .iter()
        .filter_map(|i| ledger.txos().get(&i.previous_output))
        .map(|o| o.value.to_sat() as i64)
        .sum()
}

/// What `entry` pays the wallet (Core's `CachedTxGetCredit`): 0 for an
/// immature coinbase.
pub fn credit(ledger: &Ledger, entry: &Entry) -> i64 {
    if ledger.is_immature_coinbase(entry) {
        return 0;
    }
    let txid = entry.txid;
    (0..entry.tx().output.len() as u32)
        .filter_map(|i| ledger.txos().get(&bitcoin::OutPoint::new(txid, i)))
        .map(|o| o.value.to_sat() as i64)
        .sum()
}

/// One output in a transaction's sent or received list (Core's
/// `COutputEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputEntry {
    /// The output's script.
    pub script: ScriptBuf,
    /// Its value.
    pub amount: i64,
    /// Its position.
    pub vout: u32,
}

/// Sent and received outputs of one transaction and its fee (Core's
/// `CachedTxGetAmounts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Amounts {
    /// Outputs paying the wallet.
    pub received: Vec<OutputEntry>,
    /// Outputs of a transaction the wallet paid for.
    pub sent: Vec<OutputEntry>,
    /// The fee, when the wallet paid for the transaction.
    pub fee: i64,
}

/// Splits `entry` into what it sent and received; `is_change` tells change
/// outputs (left out of `sent` unless `include_change`).
pub fn amounts(
    ledger: &Ledger,
    entry: &Entry,
    is_change: &dyn Fn(&Script) -> bool,
    include_change: bool,
) -> Amounts {
    let tx = entry.tx();
    let mut out = Amounts::default();
    let debit = if tx.input.is_empty() {
        0
    } else {
        debit(ledger, tx)
    };
    if debit > 0 {
        let value_out: i64 = tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
        out.fee = debit - value_out;
    }
    let txid = tx.compute_txid();
    for (i, o) in tx.output.iter().enumerate() {
        let mine = ledger
            .txos()
            .contains_key(&bitcoin::OutPoint::new(txid, i as u32));
        if debit > 0 {
            if !include_change && is_change(&o.script_pubkey) {
                continue;
            }
        } else if !mine {
            continue;
        }
        let item = OutputEntry {
            script: o.script_pubkey.clone(),
            amount: o.value.to_sat() as i64,
            vout: i as u32,
        };
        if debit > 0 {
            out.sent.push(item.clone());
        }
        if mine {
            out.received.push(item);
        }
    }
    out
}
