//! Which fee rate the wallet pays (Core's `wallet/fees.cpp`): the user's
//! rate, else an estimate (or the fallback fee), never below the mempool's
//! minimum when estimating, and never below the required rate.

use super::coincontrol::{CoinControl, FeeEstimateMode};
use super::config::WalletFeeConfig;
use super::env::{EnvError, FeeEnv};
use crate::coinselection::FeeRate;

pub use common::fee_reason::FeeReason;

/// How the fee rate came about (the parts of Core's `FeeCalculation` the
/// wallet uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeCalculation {
    /// Why this rate.
    pub reason: FeeReason,
    /// The confirmation target asked of the estimator (0 if none was).
    pub desired_target: u32,
    /// The target the estimate is for (0 if none was asked).
    pub returned_target: u32,
}

/// The lowest rate the wallet pays: the larger of `-mintxfee` and the
/// node's relay minimum (Core's `GetRequiredFeeRate`).
pub fn get_required_fee_rate(
    config: &WalletFeeConfig,
    env: &(impl FeeEnv + ?Sized),
) -> Result<FeeRate, EnvError> {
    Ok(config.min_fee.max(env.relay_min_fee()?))
}

/// The required fee for `tx_bytes` virtual bytes (Core's `GetRequiredFee`).
pub fn get_required_fee(
    config: &WalletFeeConfig,
    env: &(impl FeeEnv + ?Sized),
    tx_bytes: u32,
) -> Result<i64, EnvError> {
    Ok(get_required_fee_rate(config, env)?.fee(tx_bytes))
}

/// The rate to pay (Core's `GetMinimumFeeRate`). Coin control's rate wins
/// (as is when overriding); otherwise the estimate for coin control's or
/// the wallet's target, economical iff signalling RBF unless the fee mode
/// says otherwise; without an estimate the fallback fee, unless that is
/// disabled (zero, returned as is so the caller can refuse). An estimate
/// or fallback is raised to the mempool minimum, and any rate but an
/// override to the required rate.
pub fn get_minimum_fee_rate(
    config: &WalletFeeConfig,
    env: &(impl FeeEnv + ?Sized),
    coin_control: &CoinControl,
) -> Result<(FeeRate, FeeCalculation), EnvError> {
    let mut calc = FeeCalculation::default();
    let mut feerate_needed;
    if let Some(rate) = coin_control.fee_rate {
        feerate_needed = rate;
        if coin_control.override_fee_rate {
            return Ok((feerate_needed, calc));
        }
    } else {
        let target = coin_control.confirm_target.unwrap_or(config.confirm_target);
        let mut conservative = !coin_control.signal_rbf.unwrap_or(config.signal_rbf);
        match coin_control.fee_mode {
            FeeEstimateMode::Conservative => conservative = true,
            FeeEstimateMode::Economical => conservative = false,
            FeeEstimateMode::Unset => {}
        }
        calc.desired_target = target;
        calc.returned_target = target;
        let answer = env.estimate_smart_fee(target, conservative)?;
        if let Some(e) = &answer {
            // Without enough data the estimator still says which target it
            // could have answered for (0 with none at all), as Core's
            // `FeeCalculation` does.
            calc.returned_target = e.returned_target;
        }
        match answer.filter(|e| e.fee_rate != FeeRate::ZERO) {
            Some(e) => {
                feerate_needed = e.fee_rate;
                calc.returned_target = e.returned_target;
                calc.reason = e.reason;
            }
            None => {
                feerate_needed = config.fallback_fee;
                calc.reason = FeeReason::Fallback;
                if config.fallback_fee == FeeRate::ZERO {
                    return Ok((feerate_needed, calc));
                }
            }
        }
        let min_mempool_feerate = env.mempool_min_fee()?;
        if feerate_needed < min_mempool_feerate {
            feerate_needed = min_mempool_feerate;
            calc.reason = FeeReason::MempoolMin;
        }
    }
    let required = get_required_fee_rate(config, env)?;
    if required > feerate_needed {
        feerate_needed = required;
        calc.reason = FeeReason::Required;
    }
    Ok((feerate_needed, calc))
}

/// The fee for `tx_bytes` virtual bytes at [`get_minimum_fee_rate`]
/// (Core's `GetMinimumFee`).
pub fn get_minimum_fee(
    config: &WalletFeeConfig,
    env: &(impl FeeEnv + ?Sized),
    tx_bytes: u32,
    coin_control: &CoinControl,
) -> Result<(i64, FeeCalculation), EnvError> {
    let (rate, calc) = get_minimum_fee_rate(config, env, coin_control)?;
    Ok((rate.fee(tx_bytes), calc))
}

/// The rate below which change is not worth keeping (Core's
/// `GetDiscardRate`): the economical estimate for the longest target,
/// capped at `-discardfee` (which stands in without an estimate), and at
/// least the dust relay rate.
pub fn get_discard_rate(
    config: &WalletFeeConfig,
    env: &(impl FeeEnv + ?Sized),
) -> Result<FeeRate, EnvError> {
    let highest_target = env.estimate_max_blocks()?;
    let estimate = env
        .estimate_smart_fee(highest_target, false)?
        .map_or(FeeRate::ZERO, |e| e.fee_rate);
    let discard = if estimate == FeeRate::ZERO {
        config.discard_rate
    } else {
        estimate.min(config.discard_rate)
    };
    Ok(discard.max(env.relay_dust_fee()?))
}

/// A rate as Core's `CFeeRate::ToString(FeeRateFormat::SAT_VB)`, e.g.
/// "1.000 sat/vB".
pub fn format_fee_rate_sat_vb(rate: FeeRate) -> String {
    let k = rate.sat_per_kvb();
    format!("{}.{:03} sat/vB", k / 1000, k % 1000)
}

/// A rate as Core's `CFeeRate::ToString()` (BTC per kvB), e.g.
/// "0.00001000 BTC/kvB".
pub fn format_fee_rate_btc_kvb(rate: FeeRate) -> String {
    let k = rate.sat_per_kvb();
    format!("{}.{:08} BTC/kvB", k / super::COIN, k % super::COIN)
}
