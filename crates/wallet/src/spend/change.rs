//! The change output: its type, its script reserved from the wallet, and
//! its sizes.

use bitcoin::{Script, ScriptBuf};

use super::coincontrol::CoinControl;
use super::create::Recipient;
use super::env::SpendEnv;
use super::script::{recipient_kind, txout_size, RecipientKind};
use super::DUMMY_NESTED_P2WPKH_INPUT_SIZE;
use crate::coinselection::{CoinSelectionParams, OutputType};

/// A change script reserved from the wallet: given back unless kept, as
/// Core's `ReserveDestination` does on destruction.
pub(super) struct ChangeReservation<'a> {
    env: &'a dyn SpendEnv,
    script: Option<ScriptBuf>,
}

impl<'a> ChangeReservation<'a> {
    /// The change script for a transaction: coin control's, else a fresh
    /// one of `change_type` reserved from the wallet (a new address each
    /// time keeps change from being obvious). If none can be had the script
    /// is empty, with the reason, so creation fails only if change turns
    /// out to be needed.
    pub(super) fn for_transaction(
        env: &'a dyn SpendEnv,
        coin_control: &CoinControl,
        change_type: OutputType,
    ) -> (Self, ScriptBuf, String) {
        let mut reservation = ChangeReservation { env, script: None };
        if let Some(s) = coin_control.dest_change.as_ref().filter(|s| !s.is_empty()) {
            return (reservation, s.clone(), String::new());
        }
        match env.reserve_change_script(change_type) {
            Ok(s) => {
                reservation.script = Some(s.clone());
                (reservation, s, String::new())
            }
            Err(e) => (reservation, ScriptBuf::new(), e),
        }
    }

    /// Marks the reserved script as used.
    pub(super) fn keep(&mut self) {
        if let Some(s) = self.script.take() {
            self.env.keep_change_script(&s);
        }
    }
}

impl Drop for ChangeReservation<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.script.take() {
            self.env.return_change_script(&s);
        }
    }
}

/// The change output type (Core's `CWallet::TransactionChangeType`):
/// `change_type` if given; legacy for a legacy wallet; else the type of a
/// recipient the wallet has change descriptors for (taproot, then P2WPKH,
/// P2SH, P2PKH), so change looks like the payment; else taproot or segwit
/// v0 if the wallet has them; else the address type.
pub fn transaction_change_type(
    env: &dyn SpendEnv,
    default_address_type: OutputType,
    change_type: Option<OutputType>,
    recipients: &[Recipient],
) -> OutputType {
    if let Some(t) = change_type {
        return t;
    }
    if default_address_type == OutputType::Legacy {
        return OutputType::Legacy;
    }
    let kinds: Vec<RecipientKind> = recipients
        .iter()
        .map(|r| recipient_kind(&r.script_pubkey))
        .collect();
    let any = |k| kinds.contains(&k);
    let has = |t| env.has_change_descriptor(t);
    if has(OutputType::Bech32m) && any(RecipientKind::Taproot) {
        return OutputType::Bech32m;
    }
    if has(OutputType::Bech32) && any(RecipientKind::WitnessKeyHash) {
        return OutputType::Bech32;
    }
    if has(OutputType::P2shSegwit) && any(RecipientKind::ScriptHash) {
        return OutputType::P2shSegwit;
    }
    if has(OutputType::Legacy) && any(RecipientKind::PubkeyHash) {
        return OutputType::Legacy;
    }
    if has(OutputType::Bech32m) {
        return OutputType::Bech32m;
    }
    if has(OutputType::Bech32) {
        return OutputType::Bech32;
    }
    default_address_type
}

/// Sets (in coin selection's parameters) the size of a change output paying `script_change` and of the
/// input that will spend it. Change the wallet cannot size is assumed a
/// P2SH-P2WPKH spend, a lower bound that keeps BnB useful.
pub fn set_change_sizes(
    env: &dyn SpendEnv,
    script_change: &Script,
    params: &mut CoinSelectionParams,
) {
    params.change_output_size = u32::try_from(txout_size(script_change)).unwrap_or(u32::MAX);
    params.change_spend_size = if script_change.is_empty() {
        None
    } else {
        env.input_satisfaction(script_change)
    }
    .map_or(DUMMY_NESTED_P2WPKH_INPUT_SIZE, |s| s.input_vsize());
}
