//! Why a transaction could not be created, with Core's texts (which RPC
//! callers and Core's functional tests match on).

use std::fmt;

use bitcoin::OutPoint;
use consensus::tx_verify::format_money;

use super::env::EnvError;
use super::fees::format_fee_rate_sat_vb;
use crate::coinselection::{FeeRate, SelectionError};

/// A failure of transaction creation; `Display` gives Core's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpendError {
    /// No recipients.
    NoRecipients,
    /// A recipient's amount is negative.
    NegativeAmount,
    /// Coin control's weight limit is outside policy's bounds.
    MaxWeightOutOfRange {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A recipient's amount is dust.
    AmountTooSmall,
    /// Coin control's fee rate is below the wallet's minimum.
    FeeRateTooLow {
        /// The rate asked for.
        requested: FeeRate,
        /// The minimum that applies.
        minimum: FeeRate,
        /// When the minimum is the required rate: `-mintxfee` and
        /// `-minrelaytxfee`, which the user may want to lower.
        required_by: Option<(FeeRate, FeeRate)>,
    },
    /// No estimate and no fallback fee.
    FallbackFeeDisabled,
    /// Nothing to fund: zero amounts, zero fee rate, no preset inputs.
    NothingToFund,
    /// A preset input is neither the wallet's nor given with its output.
    PresetNotFound(OutPoint),
    /// A preset input cannot be sized for lack of solving data.
    PresetNotSolvable(OutPoint),
    /// An unconfirmed TRUC preset input in a transaction of this version.
    TrucPresetInNonTruc(u32),
    /// An unconfirmed preset input of this version in a TRUC transaction.
    NonTrucPresetInTruc(u32),
    /// An input of a transaction to fund is neither the wallet's nor in
    /// the UTXO set.
    ExternalUtxoNotFound,
    /// Coin selection's own error.
    Selection(SelectionError),
    /// The balance covers the amounts but not this fee on top.
    FeeExceedsBalance(i64),
    /// Not enough funds.
    InsufficientFunds,
    /// The requested change position is beyond the outputs.
    ChangeIndexOutOfRange,
    /// An input cannot be sized for lack of solving data.
    MissingSolvingData,
    /// An invariant Core checks failed (Core's `STR_INTERNAL_BUG`).
    InternalBug(&'static str),
    /// Subtracting the fee made an output negative.
    AmountTooSmallToPayFee,
    /// Subtracting the fee made an output dust.
    AmountTooSmallAfterFee,
    /// Change is needed but no change address could be had; the reason.
    NoChangeAddress(String),
    /// The transaction exceeds the standard weight.
    TooLarge,
    /// The fee exceeds `-maxtxfee`.
    MaxFeeExceeded,
    /// The mempool's chain limits refuse the transaction; its reason.
    ChainLimits(String),
    /// A node call failed.
    Env(EnvError),
}

impl From<EnvError> for SpendError {
    fn from(e: EnvError) -> Self {
        SpendError::Env(e)
    }
}

impl fmt::Display for SpendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpendError::NoRecipients => f.write_str("Transaction must have at least one recipient"),
            SpendError::NegativeAmount => f.write_str("Transaction amounts must not be negative"),
            SpendError::MaxWeightOutOfRange { min, max } => {
                write!(f, "Maximum transaction weight must be between {min} and {max}")
            }
            SpendError::AmountTooSmall => f.write_str("Transaction amount too small"),
            SpendError::FeeRateTooLow {
                requested,
                minimum,
                required_by,
            } => {
                write!(
                    f,
                    "Fee rate ({}) is lower than the minimum fee rate setting ({}).",
                    format_fee_rate_sat_vb(*requested),
                    format_fee_rate_sat_vb(*minimum)
                )?;
                if let Some((min_fee, relay)) = required_by {
                    write!(
                        f,
                        "\nConsider modifying -mintxfee ({}) or -minrelaytxfee ({}).",
                        format_fee_rate_sat_vb(*min_fee),
                        format_fee_rate_sat_vb(*relay)
                    )?;
                }
                Ok(())
            }
            SpendError::FallbackFeeDisabled => f.write_str(
                "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.",
            ),
            SpendError::NothingToFund => f.write_str(
                "Transaction requires one destination of non-zero value, a non-zero feerate, or a pre-selected input",
            ),
            SpendError::PresetNotFound(o) => {
                write!(f, "Not found pre-selected input {}", outpoint_string(o))
            }
            SpendError::PresetNotSolvable(o) => {
                write!(f, "Not solvable pre-selected input {}", outpoint_string(o))
            }
            SpendError::TrucPresetInNonTruc(v) => write!(
                f,
                "Can't spend unconfirmed version 3 pre-selected input with a version {v} tx"
            ),
            SpendError::NonTrucPresetInTruc(v) => write!(
                f,
                "Can't spend unconfirmed version {v} pre-selected input with a version 3 tx"
            ),
            SpendError::ExternalUtxoNotFound => {
                f.write_str("Unable to find UTXO for external input")
            }
            SpendError::Selection(e) => write!(f, "{e}"),
            SpendError::FeeExceedsBalance(fee) => write!(
                f,
                "The total exceeds your balance when the {} transaction fee is included.",
                format_money(*fee)
            ),
            SpendError::InsufficientFunds => f.write_str("Insufficient funds"),
            SpendError::ChangeIndexOutOfRange => {
                f.write_str("Transaction change output index out of range")
            }
            SpendError::MissingSolvingData => {
                f.write_str("Missing solving data for estimating transaction size")
            }
            SpendError::InternalBug(what) => write!(f, "Internal bug detected: {what}"),
            SpendError::AmountTooSmallToPayFee => {
                f.write_str("The transaction amount is too small to pay the fee")
            }
            SpendError::AmountTooSmallAfterFee => f.write_str(
                "The transaction amount is too small to send after the fee has been deducted",
            ),
            SpendError::NoChangeAddress(why) => write!(
                f,
                "Transaction needs a change address, but we can't generate it. {why}"
            ),
            SpendError::TooLarge => f.write_str("Transaction too large"),
            SpendError::MaxFeeExceeded => {
                f.write_str("Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)")
            }
            SpendError::ChainLimits(why) => f.write_str(why),
            SpendError::Env(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SpendError {}

/// An outpoint as Core's `COutPoint::ToString`: the txid's first ten hex
/// digits and the index.
pub fn outpoint_string(o: &OutPoint) -> String {
    let txid = o.txid.to_string();
    format!("COutPoint({}, {})", &txid[..txid.len().min(10)], o.vout)
}
