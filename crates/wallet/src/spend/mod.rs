//! Transaction creation with Bitcoin Core's semantics (`spend.cpp`,
//! `fees.cpp`, `coincontrol.cpp`): which fee rate to pay, which of the
//! wallet's coins may be spent, how the transaction is assembled around the
//! coins [`crate::coinselection`] picks, and every error text Core reports.
//!
//! The module is pure logic. Wallet and chain state comes in as data
//! ([`CandidateOutput`], [`WalletFeeConfig`], [`CoinControl`]) and through
//! the small traits [`FeeEnv`] and [`SpendEnv`]; randomness comes from the
//! caller's RNG. The result is an unsigned transaction that the wallet signs.
//!
//! * [`coincontrol`]: Core's `CCoinControl` and its preset inputs.
//! * [`config`]: the wallet's fee options (`-mintxfee`, `-fallbackfee`, …)
//!   parsed with Core's init errors and warnings.
//! * [`fees`]: the required, minimum and discard fee rates.
//! * [`dust`]: the dust threshold.
//! * [`size`]: signed input and transaction size estimates.
//! * [`available`]: which wallet outputs may be spent (`AvailableCoins`) and
//!   the preset inputs (`FetchSelectedInputs`).
//! * [`create`]: `CreateTransaction`; [`fund`]: `FundTransaction` on top
//!   of it; [`change`]: the change output; [`locktime`]: anti-fee-sniping.

pub mod available;
pub mod change;
pub mod coincontrol;
pub mod config;
pub mod create;
pub mod dust;
pub mod env;
pub mod error;
pub mod fees;
pub mod fund;
mod inputs;
pub mod locktime;
pub mod script;
pub mod size;
#[cfg(test)]
mod tests;

pub use available::{
    available_coins, fetch_selected_inputs, CandidateOutput, CoinFilterParams, SpendWallet,
};
pub use change::transaction_change_type;
pub use coincontrol::{CoinControl, FeeEstimateMode, PreselectedInput, Selection};
pub use config::{parse_money, WalletFeeConfig};
pub use create::{create_transaction, CreatedTransaction, Recipient};
pub use dust::{get_dust_threshold, is_dust, DUST_RELAY_TX_FEE};
pub use env::{ChainTip, EnvError, FeeEnv, FeeEstimate, SpendEnv};
pub use error::SpendError;
pub use fees::{
    get_discard_rate, get_minimum_fee, get_minimum_fee_rate, get_required_fee,
    get_required_fee_rate, FeeCalculation, FeeReason,
};
pub use fund::fund_transaction;
pub use locktime::{discourage_fee_sniping, is_current_for_anti_fee_sniping};
pub use size::{calculate_maximum_signed_tx_size, InputSatisfaction, InputSizeInfo, TxSize};

/// Satoshis per bitcoin.
pub const COIN: i64 = 100_000_000;
/// Most satoshis that can ever exist (Core's `MAX_MONEY`).
pub const MAX_MONEY: i64 = 21_000_000 * COIN;
/// A final input's sequence: disables lock time and relative lock time.
pub const SEQUENCE_FINAL: u32 = 0xffff_ffff;
/// Highest non-final sequence: lock time applies, no BIP125, no BIP68.
pub const MAX_SEQUENCE_NONFINAL: u32 = 0xffff_fffe;
/// Highest sequence signalling BIP125 replaceability.
pub const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;
/// Lock times below this are block heights, above it timestamps.
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;
/// Smallest standard transaction without witness, in bytes.
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: i64 = 65;
/// Assumed vsize to spend change the wallet cannot size (a P2SH-P2WPKH
/// input), a lower bound that keeps BnB useful.
pub const DUMMY_NESTED_P2WPKH_INPUT_SIZE: u32 = 91;
/// Tip age beyond which the wallet does not trust its chain enough to set
/// an anti-fee-sniping lock time, in seconds.
pub const MAX_ANTI_FEE_SNIPING_TIP_AGE: i64 = 8 * 60 * 60;
/// Default minimum depth of coins to spend.
pub const DEFAULT_MIN_DEPTH: i32 = 0;
/// Default maximum depth of coins to spend.
pub const DEFAULT_MAX_DEPTH: i32 = 9_999_999;
