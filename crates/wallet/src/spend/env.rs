//! What transaction creation asks of the wallet and the node, as two small
//! traits: [`FeeEnv`] for fee facts and [`SpendEnv`] for the rest.
//!
//! Methods that reach the node answer `Result<_, EnvError>`: a failed call
//! aborts the operation with its message rather than let a guess stand in
//! for a fee rate. Methods answering from the wallet's own state cannot fail.

use std::collections::BTreeMap;
use std::fmt;

use bitcoin::{BlockHash, OutPoint, Script, ScriptBuf, Transaction};

use super::fees::FeeReason;
use super::size::InputSatisfaction;
use crate::coinselection::{FeeRate, OutputType};

/// A node call that failed (e.g. the IPC connection dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError(pub String);

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EnvError {}

/// A fee estimate (Core's `estimateSmartFee` answer with its
/// `FeeCalculation`); a zero rate means the estimator had no data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeEstimate {
    /// The estimated rate.
    pub fee_rate: FeeRate,
    /// The target the estimate is really for (may differ from the asked one).
    pub returned_target: u32,
    /// Which estimate answered.
    pub reason: FeeReason,
}

/// The wallet's view of the chain tip, for anti-fee-sniping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainTip {
    /// Height of the last block the wallet processed.
    pub height: u32,
    /// Its hash.
    pub hash: BlockHash,
    /// Its timestamp, if the node knows the block.
    pub block_time: Option<i64>,
    /// Whether the node is in initial block download.
    pub in_initial_block_download: bool,
    /// The current (possibly mocked) time, in seconds.
    pub now: i64,
}

/// The node's fee facts (Core's `Chain` fee methods).
pub trait FeeEnv {
    /// A fee estimate for confirmation within `target` blocks; `None`, or a
    /// zero rate with the target the estimator fell back to, when it lacks
    /// data (Core's zero rate). The node receives the target as Core's
    /// `int`, so huge values wrap as they do there.
    fn estimate_smart_fee(
        &self,
        target: u32,
        conservative: bool,
    ) -> Result<Option<FeeEstimate>, EnvError>;
    /// The largest target the estimator answers for.
    fn estimate_max_blocks(&self) -> Result<u32, EnvError>;
    /// The mempool's current minimum fee rate.
    fn mempool_min_fee(&self) -> Result<FeeRate, EnvError>;
    /// `-minrelaytxfee`.
    fn relay_min_fee(&self) -> Result<FeeRate, EnvError>;
    /// `-dustrelayfee`.
    fn relay_dust_fee(&self) -> Result<FeeRate, EnvError>;
}

/// Everything else transaction creation needs from the wallet and node.
pub trait SpendEnv: FeeEnv {
    /// The wallet's chain tip, for the anti-fee-sniping lock time.
    fn tip(&self) -> Result<ChainTip, EnvError>;
    /// The mempool's ancestor and descendant count limits.
    fn package_limits(&self) -> Result<(u32, u32), EnvError>;
    /// Fee to bump each unconfirmed outpoint's ancestry to `feerate`;
    /// outpoints left out need none.
    fn individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        feerate: FeeRate,
    ) -> Result<BTreeMap<OutPoint, i64>, EnvError>;
    /// Fee to bump the outpoints' shared ancestry together; `None` when the
    /// cluster is too large to compute.
    fn combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        feerate: FeeRate,
    ) -> Result<Option<i64>, EnvError>;
    /// Whether the mempool would accept `tx` within its chain limits; the
    /// error is the mempool's reason. `tx` is unsigned (Core checks the
    /// signed one when it signs), so a wallet signing afterwards may want
    /// to check again.
    fn check_chain_limits(&self, tx: &Transaction) -> Result<(), EnvError>;
    /// Whether the wallet has an internal (change) descriptor of this type.
    fn has_change_descriptor(&self, output_type: OutputType) -> bool;
    /// Reserves a fresh change script of this type (Core's
    /// `ReserveDestination::GetReservedDestination`); the error says why
    /// none is available (e.g. the keypool ran out).
    fn reserve_change_script(&self, output_type: OutputType) -> Result<ScriptBuf, String>;
    /// Marks a reserved change script as used, so it is never handed out
    /// again (`KeepDestination`).
    fn keep_change_script(&self, script: &Script);
    /// Gives back a reserved change script that went unused
    /// (`ReturnDestination`).
    fn return_change_script(&self, script: &Script);
    /// How the wallet would satisfy `script_pubkey`, from its descriptors;
    /// `None` when it cannot solve it. Signatures are sized as the wallet
    /// signs: maximal when it cannot grind low-R ones.
    fn input_satisfaction(&self, script_pubkey: &Script) -> Option<InputSatisfaction>;
    /// Writes a line to the wallet's log (Core's `WalletLogPrintf`); by
    /// default without a wallet name.
    fn log(&self, text: std::fmt::Arguments) {
        tracing::info!("{text}");
    }
}
