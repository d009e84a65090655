//! Tests of transaction creation against a scripted wallet and node.

mod available;
mod create;
mod errors;
mod fees;
mod fund;
mod sniping;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, BlockHash, OutPoint, Script, ScriptBuf, Transaction, TxOut, Txid};
use interfaces::wallet::TxDestination;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::env::{ChainTip, EnvError, FeeEnv, FeeEstimate, SpendEnv};
use super::script::script_for_destination;
use super::size::InputSatisfaction;
use super::{CandidateOutput, SpendWallet, WalletFeeConfig, COIN};
use crate::coinselection::{FeeRate, OutputType};

/// The current time of the scripted node.
pub(super) const NOW: i64 = 1_700_000_000;
/// The scripted chain's height.
pub(super) const TIP_HEIGHT: u32 = 800_000;

/// A wallet and node answering from fields the test sets.
pub(super) struct MockEnv {
    /// Estimates by target; other targets have none.
    pub estimates: RefCell<BTreeMap<u32, FeeEstimate>>,
    /// Every estimate asked for: target and conservativeness.
    pub estimate_calls: RefCell<Vec<(u32, bool)>>,
    pub max_blocks: u32,
    pub mempool_min: Cell<FeeRate>,
    pub relay_min: Cell<FeeRate>,
    pub dust_relay: Cell<FeeRate>,
    pub tip: Cell<ChainTip>,
    /// Bump fees of unconfirmed outpoints.
    pub bump_fees: RefCell<BTreeMap<OutPoint, i64>>,
    /// The combined bump fee; unset sums the individual ones.
    pub combined_bump: Cell<Option<i64>>,
    /// The mempool's refusal, if any.
    pub chain_limits_error: RefCell<Option<String>>,
    /// A node failure for every fee call, if set.
    pub node_down: Cell<bool>,
    /// Change descriptor types the wallet has.
    pub change_types: RefCell<Vec<OutputType>>,
    /// Why no change script can be reserved, if so.
    pub reserve_error: RefCell<Option<String>>,
    next_change: Cell<u8>,
    pub reserved: RefCell<Vec<ScriptBuf>>,
    pub kept: RefCell<Vec<ScriptBuf>>,
    pub returned: RefCell<Vec<ScriptBuf>>,
    /// Scripts the wallet can solve.
    pub solvable: RefCell<BTreeMap<ScriptBuf, InputSatisfaction>>,
}

impl Default for MockEnv {
    fn default() -> Self {
        MockEnv {
            estimates: RefCell::new(BTreeMap::new()),
            estimate_calls: RefCell::new(Vec::new()),
            max_blocks: 1008,
            mempool_min: Cell::new(FeeRate::ZERO),
            // Core master's defaults.
            relay_min: Cell::new(FeeRate::from_sat_per_kvb(100)),
            dust_relay: Cell::new(FeeRate::from_sat_per_kvb(3000)),
            tip: Cell::new(ChainTip {
                height: TIP_HEIGHT,
                hash: BlockHash::all_zeros(),
                block_time: Some(NOW - 600),
                in_initial_block_download: false,
                now: NOW,
            }),
            bump_fees: RefCell::new(BTreeMap::new()),
            combined_bump: Cell::new(None),
            chain_limits_error: RefCell::new(None),
            node_down: Cell::new(false),
            change_types: RefCell::new(vec![
                OutputType::Legacy,
                OutputType::P2shSegwit,
                OutputType::Bech32,
                OutputType::Bech32m,
            ]),
            reserve_error: RefCell::new(None),
            next_change: Cell::new(200),
            reserved: RefCell::new(Vec::new()),
            kept: RefCell::new(Vec::new()),
            returned: RefCell::new(Vec::new()),
            solvable: RefCell::new(BTreeMap::new()),
        }
    }
}

impl MockEnv {
    fn node(&self) -> Result<(), EnvError> {
        if self.node_down.get() {
            Err(EnvError("node unreachable".into()))
        } else {
            Ok(())
        }
    }

    /// Sets the estimate answered for `target`.
    pub fn set_estimate(&self, target: u32, sat_per_kvb: i64) {
        self.estimates.borrow_mut().insert(
            target,
            FeeEstimate {
                fee_rate: FeeRate::from_sat_per_kvb(sat_per_kvb),
                returned_target: target,
                reason: super::FeeReason::FullEstimate,
            },
        );
    }
}

impl FeeEnv for MockEnv {
    fn estimate_smart_fee(
        &self,
        target: u32,
        conservative: bool,
    ) -> Result<Option<FeeEstimate>, EnvError> {
        self.node()?;
        self.estimate_calls
            .borrow_mut()
            .push((target, conservative));
        Ok(self.estimates.borrow().get(&target).copied())
    }
    fn estimate_max_blocks(&self) -> Result<u32, EnvError> {
        self.node()?;
        Ok(self.max_blocks)
    }
    fn mempool_min_fee(&self) -> Result<FeeRate, EnvError> {
        self.node()?;
        Ok(self.mempool_min.get())
    }
    fn relay_min_fee(&self) -> Result<FeeRate, EnvError> {
        self.node()?;
        Ok(self.relay_min.get())
    }
    fn relay_dust_fee(&self) -> Result<FeeRate, EnvError> {
        self.node()?;
        Ok(self.dust_relay.get())
    }
}

impl SpendEnv for MockEnv {
    fn tip(&self) -> Result<ChainTip, EnvError> {
        Ok(self.tip.get())
    }
    fn package_limits(&self) -> Result<(u32, u32), EnvError> {
        Ok((25, 25))
    }
    fn individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        _feerate: FeeRate,
    ) -> Result<BTreeMap<OutPoint, i64>, EnvError> {
        let fees = self.bump_fees.borrow();
        Ok(outpoints
            .iter()
            .filter_map(|o| fees.get(o).map(|f| (*o, *f)))
            .collect())
    }
    fn combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        _feerate: FeeRate,
    ) -> Result<Option<i64>, EnvError> {
        if let Some(c) = self.combined_bump.get() {
            return Ok(Some(c));
        }
        let fees = self.bump_fees.borrow();
        Ok(Some(outpoints.iter().filter_map(|o| fees.get(o)).sum()))
    }
    fn check_chain_limits(&self, _tx: &Transaction) -> Result<(), EnvError> {
        match self.chain_limits_error.borrow().clone() {
            Some(e) => Err(EnvError(e)),
            None => Ok(()),
        }
    }
    fn has_change_descriptor(&self, output_type: OutputType) -> bool {
        self.change_types.borrow().contains(&output_type)
    }
    fn reserve_change_script(&self, output_type: OutputType) -> Result<ScriptBuf, String> {
        if let Some(e) = self.reserve_error.borrow().clone() {
            return Err(e);
        }
        let n = self.next_change.get();
        self.next_change.set(n.wrapping_add(1));
        let (dest, sat) = match output_type {
            OutputType::Legacy => (
                TxDestination::PkHash([n; 20]),
                InputSatisfaction::p2pkh(false),
            ),
            OutputType::P2shSegwit => (TxDestination::ScriptHash([n; 20]), sh_wpkh()),
            OutputType::Bech32m => (
                TxDestination::WitnessV1Taproot([n; 32]),
                InputSatisfaction::p2tr(),
            ),
            _ => (
                TxDestination::WitnessV0KeyHash([n; 20]),
                InputSatisfaction::p2wpkh(false),
            ),
        };
        let script = script_for_destination(&dest);
        self.solvable.borrow_mut().insert(script.clone(), sat);
        self.reserved.borrow_mut().push(script.clone());
        Ok(script)
    }
    fn keep_change_script(&self, script: &Script) {
        self.kept.borrow_mut().push(script.to_owned());
    }
    fn return_change_script(&self, script: &Script) {
        self.returned.borrow_mut().push(script.to_owned());
    }
    fn input_satisfaction(&self, script_pubkey: &Script) -> Option<InputSatisfaction> {
        self.solvable.borrow().get(script_pubkey).copied()
    }
}

/// How a `sh(wpkh())` spend is sized.
pub(super) fn sh_wpkh() -> InputSatisfaction {
    InputSatisfaction {
        weight: 4 * 23 + 1 + 71 + 1 + 33,
        elems: 3,
        is_segwit: true,
    }
}

/// A P2WPKH script unique to `n`.
pub(super) fn p2wpkh(n: u8) -> ScriptBuf {
    script_for_destination(&TxDestination::WitnessV0KeyHash([n; 20]))
}

/// An outpoint unique to `(n, vout)`.
pub(super) fn outpoint(n: u8, vout: u32) -> OutPoint {
    OutPoint::new(Txid::from_byte_array([n; 32]), vout)
}

/// A confirmed P2WPKH wallet coin the wallet can sign for.
pub(super) fn coin(n: u8, value: i64, depth: i32) -> CandidateOutput {
    coin_to(n, p2wpkh(n), value, depth)
}

/// A wallet coin paying `script`, sized as a P2WPKH spend.
pub(super) fn coin_to(n: u8, script: ScriptBuf, value: i64, depth: i32) -> CandidateOutput {
    let mut c = CandidateOutput::new(
        outpoint(n, 0),
        TxOut {
            value: Amount::from_sat(value as u64),
            script_pubkey: script,
        },
        depth,
        OutputType::Bech32,
    );
    c.satisfaction = Some(InputSatisfaction::p2wpkh(false));
    c.from_me = true;
    c
}

/// A wallet over `env`, `config` and `outputs`.
pub(super) fn wallet<'a>(
    env: &'a MockEnv,
    config: &'a WalletFeeConfig,
    outputs: &'a [CandidateOutput],
) -> SpendWallet<'a> {
    SpendWallet {
        env,
        config,
        outputs,
        avoid_reuse: false,
    }
}

/// A deterministic RNG.
pub(super) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `n` bitcoins in satoshis.
pub(super) const fn btc(n: i64) -> i64 {
    n * COIN
}
