//! The transaction's inputs: their order, sequences, preset scripts and
//! lock time, and what is known to size them.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Sequence, Transaction, TxIn};
use rand::Rng;

use super::available::SpendWallet;
use super::coincontrol::CoinControl;
use super::error::SpendError;
use super::locktime::discourage_fee_sniping;
use super::size::InputSizeInfo;
use super::{MAX_BIP125_RBF_SEQUENCE, MAX_SEQUENCE_NONFINAL};
use crate::coinselection::{Coin, SelectionResult};

/// The selected coins in random order, except that coin control's inputs
/// come first in the order the user selected them.
pub(super) fn ordered_inputs<R: Rng + ?Sized>(
    result: &SelectionResult,
    coin_control: &CoinControl,
    rng: &mut R,
) -> Vec<Coin> {
    let mut selected = result.shuffled_inputs(rng);
    if coin_control.has_selected() && coin_control.has_selected_order() {
        // Stable, so unordered coins keep their random order after them.
        selected.sort_by(|a, b| {
            match (
                coin_control.selection_pos(&a.outpoint),
                coin_control.selection_pos(&b.outpoint),
            ) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }
    selected
}

/// The transaction's version, inputs with their sequences and preset
/// scripts, and lock time (coin control's, or anti-fee-sniping's unless a
/// preset sequence or lock time rules it out); outputs come later.
pub(super) fn unsigned_transaction<R: Rng + ?Sized>(
    wallet: &SpendWallet<'_>,
    selected: &[Coin],
    coin_control: &CoinControl,
    rng: &mut R,
) -> Result<Transaction, SpendError> {
    // Non-final so the lock time applies; BIP125 signals with the highest
    // sequence below MAX-1, the smallest change from not signalling.
    let default_sequence = if coin_control.signal_rbf.unwrap_or(wallet.config.signal_rbf) {
        MAX_BIP125_RBF_SEQUENCE
    } else {
        MAX_SEQUENCE_NONFINAL
    };
    let mut use_anti_fee_sniping = true;
    let mut input = Vec::with_capacity(selected.len());
    for coin in selected {
        let sequence = coin_control.sequence(&coin.outpoint);
        // A user's sequence may mean something the lock time would upset.
        if sequence.is_some() {
            use_anti_fee_sniping = false;
        }
        let (script_sig, witness) = coin_control.scripts(&coin.outpoint);
        input.push(TxIn {
            previous_output: coin.outpoint,
            script_sig: script_sig.cloned().unwrap_or_default(),
            sequence: Sequence(sequence.unwrap_or(default_sequence)),
            witness: witness.cloned().unwrap_or_default(),
        });
    }
    // Core's version is unsigned; the wire format is the same bits.
    let mut tx = Transaction {
        version: Version(coin_control.version as i32),
        lock_time: LockTime::ZERO,
        input,
        output: Vec::new(),
    };
    if let Some(lock_time) = coin_control.locktime {
        tx.lock_time = LockTime::from_consensus(lock_time);
        use_anti_fee_sniping = false;
    }
    if use_anti_fee_sniping && !tx.input.is_empty() {
        discourage_fee_sniping(&mut tx, rng, &wallet.env.tip()?);
    }
    Ok(tx)
}

/// How each selected input is sized: coin control's fixed weight, and the
/// wallet's solving data for its own coins or coin control's for external
/// ones.
pub(super) fn input_size_info(
    wallet: &SpendWallet<'_>,
    coin_control: &CoinControl,
    selected: &[Coin],
) -> Vec<InputSizeInfo> {
    selected
        .iter()
        .map(|c| InputSizeInfo {
            weight: coin_control.input_weight(&c.outpoint),
            satisfaction: wallet
                .output(&c.outpoint)
                .and_then(|o| o.satisfaction)
                .or_else(|| {
                    coin_control
                        .external_solving
                        .get(&c.txout.script_pubkey)
                        .copied()
                }),
        })
        .collect()
}
