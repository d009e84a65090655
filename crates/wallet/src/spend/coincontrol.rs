//! The user's controls over one transaction (Core's `CCoinControl` and
//! `PreselectedInput`): change, fee rate or target, RBF signalling, which
//! coins may or must be spent, lock time, version and weight limit.

use std::collections::BTreeMap;

use bitcoin::{OutPoint, ScriptBuf, TxOut, Witness};

use super::config::WalletFeeConfig;
use super::script::{output_type_from_i32, script_for_destination};
use super::size::InputSatisfaction;
use super::{DEFAULT_MAX_DEPTH, DEFAULT_MIN_DEPTH};
use crate::coinselection::{FeeRate, OutputType, CURRENT_TX_VERSION};

/// How the fee estimate is asked for (Core's `FeeEstimateMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FeeEstimateMode {
    /// Economical iff the transaction signals RBF.
    #[default]
    Unset,
    /// Always the economical estimate.
    Economical,
    /// Always the conservative estimate.
    Conservative,
}

impl FeeEstimateMode {
    /// The mode Core numbers `n` (0 unset, 1 economical, 2 conservative);
    /// anything else is unset.
    pub fn from_i32(n: i32) -> Self {
        match n {
            1 => FeeEstimateMode::Economical,
            2 => FeeEstimateMode::Conservative,
            _ => FeeEstimateMode::Unset,
        }
    }
}

/// An input the user chose to spend, with what they fixed about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreselectedInput {
    /// The output spent, for inputs the wallet does not own.
    txout: Option<TxOut>,
    /// The signed input's weight, if fixed by the user.
    weight: Option<i64>,
    /// The input's sequence, if fixed.
    sequence: Option<u32>,
    /// A scriptSig to carry into the transaction.
    script_sig: Option<ScriptBuf>,
    /// A witness to carry into the transaction.
    script_witness: Option<Witness>,
    /// Order of selection, so inputs keep the user's order.
    position: Option<u32>,
}

impl PreselectedInput {
    /// Sets the output spent; marks the input as external.
    pub fn set_txout(&mut self, txout: TxOut) -> &mut Self {
        self.txout = Some(txout);
        self
    }

    /// The output spent, if set.
    pub fn txout(&self) -> Option<&TxOut> {
        self.txout.as_ref()
    }

    /// Fixes the signed input's weight.
    pub fn set_input_weight(&mut self, weight: i64) -> &mut Self {
        self.weight = Some(weight);
        self
    }

    /// The fixed weight, if any.
    pub fn input_weight(&self) -> Option<i64> {
        self.weight
    }

    /// Fixes the input's sequence.
    pub fn set_sequence(&mut self, sequence: u32) -> &mut Self {
        self.sequence = Some(sequence);
        self
    }

    /// The fixed sequence, if any.
    pub fn sequence(&self) -> Option<u32> {
        self.sequence
    }

    /// Sets the scriptSig to carry.
    pub fn set_script_sig(&mut self, script: ScriptBuf) -> &mut Self {
        self.script_sig = Some(script);
        self
    }

    /// Sets the witness to carry.
    pub fn set_script_witness(&mut self, witness: Witness) -> &mut Self {
        self.script_witness = Some(witness);
        self
    }

    /// Whether a scriptSig or witness is set.
    pub fn has_scripts(&self) -> bool {
        self.script_sig.is_some() || self.script_witness.is_some()
    }

    /// The scriptSig and witness to carry.
    pub fn scripts(&self) -> (Option<&ScriptBuf>, Option<&Witness>) {
        (self.script_sig.as_ref(), self.script_witness.as_ref())
    }

    /// The input's place in the selection order.
    pub fn position(&self) -> Option<u32> {
        self.position
    }
}

/// Coin control (Core's `CCoinControl`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoinControl {
    /// Where change goes (Core's `destChange`, as its script); unset
    /// reserves a new change address.
    pub dest_change: Option<ScriptBuf>,
    /// Change output type; ignored when `dest_change` is set.
    pub change_type: Option<OutputType>,
    /// Whether unconfirmed coins from others and replaced or replacing
    /// transactions may be spent.
    pub include_unsafe_inputs: bool,
    /// Whether the wallet may add inputs beyond the selected ones.
    pub allow_other_inputs: bool,
    /// Use `fee_rate` as is, bypassing the required minimum.
    pub override_fee_rate: bool,
    /// The fee rate to pay, instead of an estimate.
    pub fee_rate: Option<FeeRate>,
    /// Confirmation target instead of `-txconfirmtarget`.
    pub confirm_target: Option<u32>,
    /// Whether to signal BIP125 replaceability instead of `-walletrbf`.
    pub signal_rbf: Option<bool>,
    /// Spend all coins of an address or none.
    pub avoid_partial_spends: bool,
    /// Do not spend from addresses that were already spent from.
    pub avoid_address_reuse: bool,
    /// How to ask for the fee estimate.
    pub fee_mode: FeeEstimateMode,
    /// Least confirmations of coins to spend.
    pub min_depth: i32,
    /// Most confirmations of coins to spend.
    pub max_depth: i32,
    /// How to satisfy scripts the wallet cannot solve (Core's
    /// `m_external_provider`, reduced to what size estimation needs),
    /// sized with maximal signatures as for every external input.
    pub external_solving: BTreeMap<ScriptBuf, InputSatisfaction>,
    /// Transaction version.
    pub version: u32,
    /// Lock time; unset lets anti-fee-sniping choose.
    pub locktime: Option<u32>,
    /// Weight limit of the transaction.
    pub max_tx_weight: Option<i64>,
    /// The inputs that must be spent (see [`CoinControl::select`]).
    pub selection: Selection,
}

/// The inputs coin control requires, in the order they were selected. Its
/// own type so that [`CoinControl`]'s fields stay public for struct update
/// syntax while the order bookkeeping stays consistent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// The inputs by outpoint.
    inputs: BTreeMap<OutPoint, PreselectedInput>,
    /// Next selection position.
    next_pos: u32,
}

impl Default for CoinControl {
    fn default() -> Self {
        CoinControl {
            dest_change: None,
            change_type: None,
            include_unsafe_inputs: false,
            allow_other_inputs: true,
            override_fee_rate: false,
            fee_rate: None,
            confirm_target: None,
            signal_rbf: None,
            avoid_partial_spends: false,
            avoid_address_reuse: false,
            fee_mode: FeeEstimateMode::Unset,
            min_depth: DEFAULT_MIN_DEPTH,
            max_depth: DEFAULT_MAX_DEPTH,
            external_solving: BTreeMap::new(),
            version: CURRENT_TX_VERSION,
            locktime: None,
            max_tx_weight: None,
            selection: Selection::default(),
        }
    }
}

impl CoinControl {
    /// Defaults with `-avoidpartialspends` applied, as Core's constructor
    /// reads it.
    pub fn new(config: &WalletFeeConfig) -> Self {
        CoinControl {
            avoid_partial_spends: config.avoid_partial_spends,
            ..Default::default()
        }
    }

    /// Whether inputs were selected.
    pub fn has_selected(&self) -> bool {
        !self.selection.inputs.is_empty()
    }

    /// Whether `outpoint` is selected.
    pub fn is_selected(&self, outpoint: &OutPoint) -> bool {
        self.selection.inputs.contains_key(outpoint)
    }

    /// Whether `outpoint` is selected as an external input (its output set).
    pub fn is_external_selected(&self, outpoint: &OutPoint) -> bool {
        self.selection
            .inputs
            .get(outpoint)
            .is_some_and(|i| i.txout.is_some())
    }

    /// The output of an external selected input.
    pub fn external_output(&self, outpoint: &OutPoint) -> Option<&TxOut> {
        self.selection
            .inputs
            .get(outpoint)
            .and_then(|i| i.txout.as_ref())
    }

    /// Selects `outpoint` for spending and gives access to its settings;
    /// selecting again keeps the settings but moves it to the end of the
    /// order, as Core does.
    pub fn select(&mut self, outpoint: OutPoint) -> &mut PreselectedInput {
        let pos = self.selection.next_pos;
        self.selection.next_pos = pos.saturating_add(1);
        let input = self.selection.inputs.entry(outpoint).or_default();
        input.position = Some(pos);
        input
    }

    /// Unselects `outpoint`.
    pub fn unselect(&mut self, outpoint: &OutPoint) {
        self.selection.inputs.remove(outpoint);
    }

    /// Unselects everything.
    pub fn unselect_all(&mut self) {
        self.selection.inputs.clear();
    }

    /// The selected outpoints, in outpoint order.
    pub fn list_selected(&self) -> Vec<OutPoint> {
        self.selection.inputs.keys().copied().collect()
    }

    /// The selected input's settings.
    pub fn selected_input(&self, outpoint: &OutPoint) -> Option<&PreselectedInput> {
        self.selection.inputs.get(outpoint)
    }

    /// Fixes an input's weight (selecting it without a position if it was
    /// not selected, as Core's map insertion does).
    pub fn set_input_weight(&mut self, outpoint: OutPoint, weight: i64) {
        self.selection.inputs.entry(outpoint).or_default().weight = Some(weight);
    }

    /// An input's fixed weight.
    pub fn input_weight(&self, outpoint: &OutPoint) -> Option<i64> {
        self.selection.inputs.get(outpoint).and_then(|i| i.weight)
    }

    /// An input's fixed sequence.
    pub fn sequence(&self, outpoint: &OutPoint) -> Option<u32> {
        self.selection.inputs.get(outpoint).and_then(|i| i.sequence)
    }

    /// An input's scriptSig and witness to carry.
    pub fn scripts(&self, outpoint: &OutPoint) -> (Option<&ScriptBuf>, Option<&Witness>) {
        self.selection
            .inputs
            .get(outpoint)
            .map_or((None, None), PreselectedInput::scripts)
    }

    /// Whether inputs were selected in an order to keep.
    pub fn has_selected_order(&self) -> bool {
        self.selection.next_pos > 0
    }

    /// An input's place in the selection order.
    pub fn selection_pos(&self, outpoint: &OutPoint) -> Option<u32> {
        self.selection.inputs.get(outpoint).and_then(|i| i.position)
    }
}

impl From<&interfaces::wallet::CoinControl> for CoinControl {
    /// The GUI's coin control as sent over IPC. Numbers out of range are
    /// dropped rather than wrapped: a negative confirmation target or an
    /// unknown change type means unset.
    fn from(cc: &interfaces::wallet::CoinControl) -> Self {
        let mut out = CoinControl {
            dest_change: cc
                .dest_change
                .as_ref()
                .filter(|d| **d != interfaces::wallet::TxDestination::None)
                .map(script_for_destination),
            change_type: cc.change_type.and_then(output_type_from_i32),
            include_unsafe_inputs: cc.include_unsafe_inputs,
            allow_other_inputs: cc.allow_other_inputs,
            override_fee_rate: cc.override_fee_rate,
            fee_rate: cc.fee_rate.map(FeeRate::from),
            confirm_target: cc.confirm_target.and_then(|t| u32::try_from(t).ok()),
            signal_rbf: cc.signal_rbf,
            avoid_partial_spends: cc.avoid_partial_spends,
            avoid_address_reuse: cc.avoid_address_reuse,
            fee_mode: FeeEstimateMode::from_i32(cc.fee_mode),
            min_depth: cc.min_depth,
            max_depth: cc.max_depth,
            version: if cc.has_version != 0 {
                cc.version
            } else {
                CURRENT_TX_VERSION
            },
            locktime: (cc.has_lock_time != 0).then_some(cc.lock_time),
            max_tx_weight: (cc.has_max_tx_weight != 0).then_some(i64::from(cc.max_tx_weight)),
            ..Default::default()
        };
        for outpoint in &cc.set_selected {
            out.select(*outpoint);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, Txid};
    use interfaces::wallet::TxDestination;

    fn op(n: u8, vout: u32) -> OutPoint {
        OutPoint::new(Txid::from_byte_array([n; 32]), vout)
    }

    #[test]
    fn defaults_are_cores() {
        let cc = CoinControl::default();
        assert!(cc.allow_other_inputs);
        assert!(!cc.include_unsafe_inputs && !cc.override_fee_rate);
        assert_eq!((cc.min_depth, cc.max_depth), (0, 9_999_999));
        assert_eq!(cc.version, 2);
        assert_eq!(cc.fee_mode, FeeEstimateMode::Unset);
        assert!(!cc.has_selected() && !cc.has_selected_order());
        let config = WalletFeeConfig {
            avoid_partial_spends: true,
            ..Default::default()
        };
        assert!(CoinControl::new(&config).avoid_partial_spends);
    }

    #[test]
    fn selection_keeps_order_and_settings() {
        let mut cc = CoinControl::default();
        cc.select(op(2, 0)).set_sequence(7);
        let txout = TxOut {
            value: Amount::from_sat(5),
            script_pubkey: ScriptBuf::new(),
        };
        cc.select(op(1, 0))
            .set_txout(txout.clone())
            .set_input_weight(300);
        assert!(cc.has_selected_order());
        assert_eq!(cc.list_selected(), vec![op(1, 0), op(2, 0)]);
        assert_eq!(cc.selection_pos(&op(2, 0)), Some(0));
        assert_eq!(cc.selection_pos(&op(1, 0)), Some(1));
        assert!(cc.is_external_selected(&op(1, 0)));
        assert!(!cc.is_external_selected(&op(2, 0)));
        assert_eq!(cc.external_output(&op(1, 0)), Some(&txout));
        assert_eq!(cc.input_weight(&op(1, 0)), Some(300));
        assert_eq!(cc.sequence(&op(2, 0)), Some(7));
        assert_eq!(cc.sequence(&op(3, 0)), None);

        // Selecting again moves it to the end but keeps what was set.
        cc.select(op(2, 0));
        assert_eq!(cc.selection_pos(&op(2, 0)), Some(2));
        assert_eq!(cc.sequence(&op(2, 0)), Some(7));

        // A weight for an unselected outpoint selects it without a position.
        cc.set_input_weight(op(3, 1), 100);
        assert!(cc.is_selected(&op(3, 1)));
        assert_eq!(cc.selection_pos(&op(3, 1)), None);

        cc.select(op(4, 0))
            .set_script_sig(ScriptBuf::from_bytes(vec![1]))
            .set_script_witness(Witness::from_slice(&[vec![2u8]]));
        assert!(cc.selected_input(&op(4, 0)).unwrap().has_scripts());
        assert_eq!(cc.scripts(&op(4, 0)).0.unwrap().as_bytes(), &[1]);
        assert_eq!(cc.scripts(&op(9, 0)), (None, None));

        cc.unselect(&op(1, 0));
        assert!(!cc.is_selected(&op(1, 0)));
        cc.unselect_all();
        assert!(!cc.has_selected());
    }

    #[test]
    fn from_the_gui() {
        let gui = interfaces::wallet::CoinControl {
            dest_change: Some(TxDestination::WitnessV0KeyHash([7; 20])),
            change_type: Some(3),
            include_unsafe_inputs: true,
            allow_other_inputs: false,
            override_fee_rate: true,
            fee_rate: Some(interfaces::FeeRate::per_kvb(2500)),
            confirm_target: Some(3),
            signal_rbf: Some(false),
            avoid_partial_spends: true,
            avoid_address_reuse: true,
            fee_mode: 2,
            min_depth: 1,
            max_depth: 100,
            has_lock_time: 1,
            lock_time: 800_000,
            has_version: 1,
            version: 3,
            has_max_tx_weight: 1,
            max_tx_weight: 40_000,
            set_selected: vec![op(5, 1), op(4, 0)],
            ..Default::default()
        };
        let cc = CoinControl::from(&gui);
        assert!(cc.dest_change.as_ref().unwrap().is_p2wpkh());
        assert_eq!(cc.change_type, Some(OutputType::Bech32m));
        assert!(cc.include_unsafe_inputs && !cc.allow_other_inputs && cc.override_fee_rate);
        assert_eq!(cc.fee_rate, Some(FeeRate::from_sat_per_kvb(2500)));
        assert_eq!(cc.confirm_target, Some(3));
        assert_eq!(cc.signal_rbf, Some(false));
        assert!(cc.avoid_partial_spends && cc.avoid_address_reuse);
        assert_eq!(cc.fee_mode, FeeEstimateMode::Conservative);
        assert_eq!((cc.min_depth, cc.max_depth), (1, 100));
        assert_eq!(cc.locktime, Some(800_000));
        assert_eq!(cc.version, 3);
        assert_eq!(cc.max_tx_weight, Some(40_000));
        assert_eq!(cc.selection_pos(&op(5, 1)), Some(0));
        assert_eq!(cc.selection_pos(&op(4, 0)), Some(1));

        let plain = CoinControl::from(&interfaces::wallet::CoinControl {
            dest_change: Some(TxDestination::None),
            confirm_target: Some(-1),
            change_type: Some(9),
            fee_mode: 7,
            ..Default::default()
        });
        assert_eq!(plain.dest_change, None);
        assert_eq!(plain.confirm_target, None);
        assert_eq!(plain.change_type, None);
        assert_eq!(plain.fee_mode, FeeEstimateMode::Unset);
        assert_eq!(plain.version, 2);
        assert_eq!(plain.locktime, None);
        assert_eq!(plain.max_tx_weight, None);
    }
}
