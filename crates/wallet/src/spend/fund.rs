//! Adding inputs and change to a transaction the user started (Core's
//! `FundTransaction`, behind `fundrawtransaction`, `send` and
//! `walletcreatefundedpsbt`).

use bitcoin::{OutPoint, Transaction, TxOut};
use rand::Rng;

use super::available::SpendWallet;
use super::coincontrol::CoinControl;
use super::create::{create_transaction, CreatedTransaction, Recipient};
use super::error::SpendError;

/// Funds `tx`: its inputs become coin control's preset inputs, keeping
/// their sequences and scripts, in their order; its lock time and version
/// are kept; `recipients` become its outputs. Inputs the wallet does not
/// own are looked up with `find_coin` (the node's UTXO set) and spent as
/// external inputs. The transaction's own outputs must already have been
/// turned into `recipients`. Locking the chosen coins is the caller's.
pub fn fund_transaction<R: Rng + ?Sized>(
    wallet: &SpendWallet<'_>,
    tx: &Transaction,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    mut coin_control: CoinControl,
    find_coin: &dyn Fn(&OutPoint) -> Option<TxOut>,
    rng: &mut R,
) -> Result<CreatedTransaction, SpendError> {
    // Core asserts this: outputs travel as recipients.
    if !tx.output.is_empty() {
        return Err(SpendError::InternalBug(
            "FundTransaction: outputs must be passed as recipients",
        ));
    }
    coin_control.locktime = Some(tx.lock_time.to_consensus_u32());
    // The wire format's signed version carries Core's unsigned one.
    coin_control.version = tx.version.0 as u32;

    for txin in &tx.input {
        let outpoint = txin.previous_output;
        let external = if wallet.output(&outpoint).is_none() {
            Some(find_coin(&outpoint).ok_or(SpendError::ExternalUtxoNotFound)?)
        } else {
            None
        };
        let preset = coin_control.select(outpoint);
        if let Some(txout) = external {
            preset.set_txout(txout);
        }
        preset
            .set_sequence(txin.sequence.0)
            .set_script_sig(txin.script_sig.clone())
            .set_script_witness(txin.witness.clone());
    }

    create_transaction(wallet, recipients, change_pos, &coin_control, rng)
}
