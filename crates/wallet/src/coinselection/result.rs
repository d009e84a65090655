//! What a selection algorithm returns (Core's `SelectionResult`), its waste
//! score, and the ways selection fails.

use std::collections::BTreeMap;
use std::fmt;

use bitcoin::OutPoint;
use rand::seq::SliceRandom;
use rand::Rng;

use super::{Coin, OutputGroup};

/// Which algorithm produced a selection (Core's `SelectionAlgorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SelectionAlgorithm {
    /// Branch and Bound: changeless, least waste.
    Bnb,
    /// The legacy stochastic subset-sum solver.
    Knapsack,
    /// Single Random Draw.
    Srd,
    /// CoinGrinder: least weight, with change.
    CoinGrinder,
    /// Inputs chosen by the user.
    Manual,
}

impl SelectionAlgorithm {
    /// Core's name for the algorithm (as in its logs and tracepoints).
    pub fn name(&self) -> &'static str {
        match self {
            SelectionAlgorithm::Bnb => "bnb",
            SelectionAlgorithm::Knapsack => "knapsack",
            SelectionAlgorithm::Srd => "srd",
            SelectionAlgorithm::CoinGrinder => "cg",
            SelectionAlgorithm::Manual => "manual",
        }
    }
}

/// Why selection failed. [`SelectionError::InsufficientFunds`] is Core's
/// message-less error, which later attempts may still overcome; every other
/// variant is a "detailed" error that Core reports in preference to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectionError {
    /// No input set of the eligible coins reaches the target.
    InsufficientFunds,
    /// Every input set that would fund the transaction is too heavy.
    MaxWeightExceeded,
    /// The transaction without inputs is already at the weight limit.
    MaxWeightBelowNoInputsWeight,
    /// The weight limit leaves no room for a change output.
    MaxWeightTooLowForChange,
    /// The chain could not price the unconfirmed inputs' ancestry.
    BumpFeeUnavailable,
    /// Enough funds exist only in coins with too long unconfirmed chains.
    UnconfirmedChainTooLong,
    /// Only preset inputs may be used and they do not cover the target.
    PresetInputsInsufficient,
    /// Preset plus automatically selected inputs exceed the weight limit.
    PresetInputsExceedMaxWeight,
    /// The same UTXO would be spent twice (an internal bug in the caller).
    SharedInputs,
}

impl SelectionError {
    /// Whether this is an error with a message of its own, which Core
    /// surfaces instead of a plain "insufficient funds".
    pub fn is_detailed(&self) -> bool {
        !matches!(self, SelectionError::InsufficientFunds)
    }
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Core's user-facing texts, which RPC callers and tests match on.
        let msg = match self {
            SelectionError::InsufficientFunds => "Insufficient funds",
            SelectionError::MaxWeightExceeded => {
                "The inputs size exceeds the maximum weight. Please try sending a smaller amount or manually consolidating your wallet's UTXOs"
            }
            SelectionError::MaxWeightBelowNoInputsWeight => {
                "Maximum transaction weight is less than transaction weight without inputs"
            }
            SelectionError::MaxWeightTooLowForChange => {
                "Maximum transaction weight is too low, can not accommodate change output"
            }
            SelectionError::BumpFeeUnavailable => {
                "Failed to calculate bump fees, because unconfirmed UTXOs depend on an enormous cluster of unconfirmed transactions."
            }
            SelectionError::UnconfirmedChainTooLong => {
                "Unconfirmed UTXOs are available, but spending them creates a chain of transactions that will be rejected by the mempool"
            }
            SelectionError::PresetInputsInsufficient => {
                "The preselected coins total amount does not cover the transaction target. Please allow other inputs to be automatically selected or include more coins manually"
            }
            SelectionError::PresetInputsExceedMaxWeight => {
                "The combination of the pre-selected inputs and the wallet automatic inputs selection exceeds the transaction maximum weight. Please try sending a smaller amount or manually consolidating your wallet's UTXOs"
            }
            SelectionError::SharedInputs => "Shared UTXOs among selection results",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for SelectionError {}

/// A set of inputs chosen to fund a target (Core's `SelectionResult`).
#[derive(Clone, Debug)]
pub struct SelectionResult {
    /// Selected coins, ordered by outpoint as Core's set.
    inputs: BTreeMap<OutPoint, Coin>,
    /// Recipients' amount plus the fees for everything but inputs.
    target: i64,
    algo: SelectionAlgorithm,
    /// Whether amounts count effective values (false under SFFO).
    use_effective: bool,
    waste: Option<i64>,
    algo_completed: bool,
    selections_evaluated: usize,
    weight: i64,
    /// How much the coins' individual bump fees overstate the bump their
    /// shared ancestry needs.
    bump_fee_group_discount: i64,
}

impl SelectionResult {
    /// An empty selection for `target` made by `algo`.
    pub fn new(target: i64, algo: SelectionAlgorithm) -> Self {
        SelectionResult {
            inputs: BTreeMap::new(),
            target,
            algo,
            use_effective: false,
            waste: None,
            algo_completed: true,
            selections_evaluated: 0,
            weight: 0,
            bump_fee_group_discount: 0,
        }
    }

    /// Adds coins, refusing any already selected.
    fn insert_inputs<'a>(
        &mut self,
        coins: impl IntoIterator<Item = &'a Coin>,
    ) -> Result<(), SelectionError> {
        let coins: Vec<&Coin> = coins.into_iter().collect();
        let mut seen = std::collections::BTreeSet::new();
        for c in &coins {
            if self.inputs.contains_key(&c.outpoint) || !seen.insert(c.outpoint) {
                return Err(SelectionError::SharedInputs);
            }
        }
        for c in coins {
            self.inputs.insert(c.outpoint, c.clone());
        }
        Ok(())
    }

    /// Adds every coin of `group`.
    pub fn add_input(&mut self, group: &OutputGroup) -> Result<(), SelectionError> {
        self.insert_inputs(group.outputs.iter().map(|c| &**c))?;
        self.use_effective = !group.subtract_fee_outputs;
        self.weight += group.weight;
        Ok(())
    }

    /// Adds preset coins (Core's `AddInputs`).
    pub fn add_inputs<'a>(
        &mut self,
        coins: impl IntoIterator<Item = &'a Coin>,
        subtract_fee_outputs: bool,
    ) -> Result<(), SelectionError> {
        let coins: Vec<&Coin> = coins.into_iter().collect();
        self.insert_inputs(coins.iter().copied())?;
        self.use_effective = !subtract_fee_outputs;
        self.weight += coins.iter().map(|c| c.weight()).sum::<i64>();
        Ok(())
    }

    /// Adds `other`'s inputs and target to this one; a manual selection
    /// takes on the other's algorithm.
    pub fn merge(&mut self, other: &SelectionResult) -> Result<(), SelectionError> {
        self.insert_inputs(other.inputs.values())?;
        self.target += other.target;
        self.use_effective |= other.use_effective;
        if self.algo == SelectionAlgorithm::Manual {
            self.algo = other.algo;
        }
        self.weight += other.weight;
        Ok(())
    }

    /// Drops every input and the waste.
    pub fn clear(&mut self) {
        self.inputs.clear();
        self.waste = None;
        self.weight = 0;
    }

    /// Sum of the inputs' values.
    pub fn selected_value(&self) -> i64 {
        self.inputs.values().map(Coin::value).sum()
    }

    /// Sum of the inputs' effective values, with the bump fee overestimate
    /// given back.
    pub fn selected_effective_value(&self) -> i64 {
        self.inputs.values().map(Coin::effective_value).sum::<i64>() + self.bump_fee_group_discount
    }

    /// Bump fees the inputs' ancestry really needs.
    pub fn total_bump_fees(&self) -> i64 {
        self.inputs
            .values()
            .map(|c| c.ancestor_bump_fees)
            .sum::<i64>()
            - self.bump_fee_group_discount
    }

    /// Records how much the inputs' summed bump fees overestimate the bump
    /// for their shared ancestry (never negative: sharing only saves).
    pub fn set_bump_fee_discount(&mut self, discount: i64) {
        debug_assert!(discount >= 0);
        self.bump_fee_group_discount = discount.max(0);
    }

    /// Computes the waste score: for each input its fee now minus its fee at
    /// the long-term rate, less the bump fee discount, plus `change_cost`
    /// when there is change or else the excess thrown to fees.
    pub fn recalculate_waste(&mut self, min_viable_change: i64, change_cost: i64, change_fee: i64) {
        // Core asserts a non-empty selection covering the target; both hold
        // for every caller here, and a library should not abort on them.
        let mut waste: i64 = self
            .inputs
            .values()
            .map(|c| c.fee() - c.long_term_fee)
            .sum();
        waste -= self.bump_fee_group_discount;
        if self.change(min_viable_change, change_fee) != 0 {
            waste += change_cost;
        } else {
            let selected = if self.use_effective {
                self.selected_effective_value()
            } else {
                self.selected_value()
            };
            waste += selected - self.target;
        }
        self.waste = Some(waste);
    }

    /// The waste score, once computed.
    pub fn waste(&self) -> Option<i64> {
        self.waste
    }

    /// The change output's amount after its fee, or 0 when it would be below
    /// `min_viable_change` (then the excess goes to fees). An estimate: the
    /// final transaction's fee may differ by rounding.
    pub fn change(&self, min_viable_change: i64, change_fee: i64) -> i64 {
        let change = if self.use_effective {
            self.selected_effective_value() - self.target - change_fee
        } else {
            self.selected_value() - self.target
        };
        if change < min_viable_change {
            0
        } else {
            change
        }
    }

    /// Records whether the search covered its whole space.
    pub fn set_algo_completed(&mut self, completed: bool) {
        self.algo_completed = completed;
    }

    /// Whether the search covered its whole space (false if it hit its
    /// attempt limit, so the result may not be optimal).
    pub fn algo_completed(&self) -> bool {
        self.algo_completed
    }

    /// Records how many input sets the search evaluated.
    pub fn set_selections_evaluated(&mut self, attempts: usize) {
        self.selections_evaluated = attempts;
    }

    /// How many input sets the search evaluated.
    pub fn selections_evaluated(&self) -> usize {
        self.selections_evaluated
    }

    /// The selected coins, by outpoint.
    pub fn inputs(&self) -> &BTreeMap<OutPoint, Coin> {
        &self.inputs
    }

    /// The selected coins in random order, for the transaction's inputs so
    /// that their order reveals nothing.
    pub fn shuffled_inputs<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<Coin> {
        let mut v: Vec<Coin> = self.inputs.values().cloned().collect();
        v.shuffle(rng);
        v
    }

    /// The amount the selection is for.
    pub fn target(&self) -> i64 {
        self.target
    }

    /// The algorithm that made this selection.
    pub fn algo(&self) -> SelectionAlgorithm {
        self.algo
    }

    /// Total weight of the selected inputs.
    pub fn weight(&self) -> i64 {
        self.weight
    }

    /// Whether this result beats `other`: less waste, or equal waste with
    /// more inputs (spending more now consolidates at no extra cost).
    pub fn is_better_than(&self, other: &SelectionResult) -> bool {
        let (a, b) = (
            self.waste.unwrap_or(i64::MAX),
            other.waste.unwrap_or(i64::MAX),
        );
        a < b || (a == b && self.inputs.len() > other.inputs.len())
    }
}

/// The best of `results` by [`SelectionResult::is_better_than`], the first
/// on a full tie (as Core's `std::min_element`).
pub fn best_result(results: Vec<SelectionResult>) -> Option<SelectionResult> {
    let mut best: Option<SelectionResult> = None;
    for r in results {
        match &best {
            Some(b) if !r.is_better_than(b) => {}
            _ => best = Some(r),
        }
    }
    best
}
