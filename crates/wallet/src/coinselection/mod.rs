//! Coin selection with Bitcoin Core's semantics: which of the wallet's coins
//! fund a transaction.
//!
//! The module is pure: it knows coins only as values, spending fees at the
//! target and long-term fee rates, input weights, confirmations and
//! unconfirmed ancestry, all supplied by the caller; randomness comes from
//! a caller's RNG so tests can be deterministic.
//!
//! * [`OutputGroup`]: coins spent together; [`group_outputs`] builds them
//!   and sorts them by [`CoinEligibilityFilter`].
//! * The algorithms: [`select_coins_bnb`] (changeless, least waste),
//!   [`coin_grinder`] (least weight, at high fee rates),
//!   [`knapsack_solver`] (legacy fallback), [`select_coins_srd`] (random).
//! * [`SelectionResult`] and its waste score; [`choose_selection_result`]
//!   picks the least wasteful; [`select_coins`] and
//!   [`automatic_coin_selection`] run the whole procedure.

mod bnb;
mod coingrinder;
mod feerate;
mod group;
mod knapsack;
mod params;
mod result;
mod select;
mod srd;
#[cfg(test)]
mod tests;

pub use bnb::select_coins_bnb;
pub use coingrinder::coin_grinder;
pub use feerate::FeeRate;
pub use group::{
    Coin, CoinEligibilityFilter, CoinsResult, FilteredOutputGroups, Groups, OutputGroup,
    OutputGroupTypeMap, OutputType,
};
pub use knapsack::knapsack_solver;
pub use params::{generate_change_target, CoinSelectionParams};
pub use result::{best_result, SelectionAlgorithm, SelectionError, SelectionResult};
pub use select::{
    attempt_selection, automatic_coin_selection, choose_selection_result, eligibility_filters,
    group_outputs, select_coins, CombinedBumpFee, SelectionContext, SelectionFilter,
};
pub use srd::select_coins_srd;

/// Lower bound of the random change target, in satoshis.
pub const CHANGE_LOWER: i64 = 50_000;
/// Upper bound of the random change target, in satoshis.
pub const CHANGE_UPPER: i64 = 1_000_000;
/// Input sets BnB and CoinGrinder evaluate before giving up.
pub const TOTAL_TRIES: usize = 100_000;
/// Weight units per virtual byte.
pub const WITNESS_SCALE_FACTOR: i64 = 4;
/// Policy's largest standard transaction weight.
pub const MAX_STANDARD_TX_WEIGHT: i64 = 400_000;
/// Most coins per group under avoid-partial-spends.
pub const OUTPUT_GROUP_MAX_ENTRIES: usize = 100;
/// Version of TRUC (v3) transactions.
pub const TRUC_VERSION: u32 = 3;
/// Largest weight of a TRUC transaction with unconfirmed parents.
pub const TRUC_CHILD_MAX_WEIGHT: i64 = 1000 * WITNESS_SCALE_FACTOR;
/// Version of the transactions the wallet creates by default.
pub const CURRENT_TX_VERSION: u32 = 2;
