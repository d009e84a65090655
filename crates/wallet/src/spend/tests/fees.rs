//! The fee rate ladder: coin control's rate, estimates, fallback, mempool
//! minimum, required rate; and the discard rate.

use super::super::fees::{format_fee_rate_btc_kvb, format_fee_rate_sat_vb};
use super::super::*;
use super::MockEnv;
use crate::coinselection::FeeRate;

fn rate(sat_per_kvb: i64) -> FeeRate {
    FeeRate::from_sat_per_kvb(sat_per_kvb)
}

#[test]
fn required_rate_is_the_larger_of_mintxfee_and_relay() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    assert_eq!(get_required_fee_rate(&config, &env).unwrap(), rate(1000));
    assert_eq!(get_required_fee(&config, &env, 250).unwrap(), 250);
    env.relay_min.set(rate(2500));
    assert_eq!(get_required_fee_rate(&config, &env).unwrap(), rate(2500));
    assert_eq!(get_required_fee(&config, &env, 141).unwrap(), 353);
}

#[test]
fn user_rate_wins_and_override_skips_the_minimum() {
    let env = MockEnv::default();
    env.set_estimate(6, 50_000);
    let config = WalletFeeConfig::default();
    let mut cc = CoinControl {
        fee_rate: Some(rate(20_000)),
        ..Default::default()
    };
    let (r, calc) = get_minimum_fee_rate(&config, &env, &cc).unwrap();
    assert_eq!(r, rate(20_000));
    assert_eq!(calc, FeeCalculation::default());
    // The estimator is not consulted at all.
    assert!(env.estimate_calls.borrow().is_empty());

    // Below the required rate: raised, unless overriding.
    cc.fee_rate = Some(rate(500));
    let (r, calc) = get_minimum_fee_rate(&config, &env, &cc).unwrap();
    assert_eq!((r, calc.reason), (rate(1000), FeeReason::Required));
    cc.override_fee_rate = true;
    let (r, calc) = get_minimum_fee_rate(&config, &env, &cc).unwrap();
    assert_eq!((r, calc.reason), (rate(500), FeeReason::None));
    let (fee, _) = get_minimum_fee(&config, &env, 1000, &cc).unwrap();
    assert_eq!(fee, 500);
}

#[test]
fn estimates_for_the_right_target_and_mode() {
    let env = MockEnv::default();
    env.set_estimate(6, 12_000);
    env.set_estimate(2, 30_000);
    let config = WalletFeeConfig::default();
    let (r, calc) = get_minimum_fee_rate(&config, &env, &CoinControl::default()).unwrap();
    assert_eq!(r, rate(12_000));
    assert_eq!(calc.reason, FeeReason::FullEstimate);
    assert_eq!((calc.desired_target, calc.returned_target), (6, 6));

    let cc = CoinControl {
        confirm_target: Some(2),
        ..Default::default()
    };
    let (r, calc) = get_minimum_fee_rate(&config, &env, &cc).unwrap();
    assert_eq!(r, rate(30_000));
    assert_eq!(calc.desired_target, 2);

    // Economical iff signalling RBF, unless the fee mode says otherwise.
    let modes = [
        (None, FeeEstimateMode::Unset, false),
        (Some(false), FeeEstimateMode::Unset, true),
        (Some(true), FeeEstimateMode::Conservative, true),
        (Some(false), FeeEstimateMode::Economical, false),
    ];
    for (signal_rbf, fee_mode, conservative) in modes {
        env.estimate_calls.borrow_mut().clear();
        let cc = CoinControl {
            signal_rbf,
            fee_mode,
            ..Default::default()
        };
        get_minimum_fee_rate(&config, &env, &cc).unwrap();
        assert_eq!(*env.estimate_calls.borrow(), vec![(6, conservative)]);
    }
    // -walletrbf=0 makes the default estimate conservative.
    env.estimate_calls.borrow_mut().clear();
    let no_rbf = WalletFeeConfig {
        signal_rbf: false,
        confirm_target: 10,
        ..Default::default()
    };
    get_minimum_fee_rate(&no_rbf, &env, &CoinControl::default()).unwrap();
    assert_eq!(*env.estimate_calls.borrow(), vec![(10, true)]);
}

#[test]
fn fallback_fee_when_there_is_no_estimate() {
    let env = MockEnv::default();
    let config = WalletFeeConfig {
        fallback_fee: rate(20_000),
        ..Default::default()
    };
    let (r, calc) = get_minimum_fee_rate(&config, &env, &CoinControl::default()).unwrap();
    assert_eq!((r, calc.reason), (rate(20_000), FeeReason::Fallback));
    assert_eq!((calc.desired_target, calc.returned_target), (6, 6));

    // Disabled fallback: zero, as is, for the caller to refuse; neither the
    // mempool minimum nor the required rate raise it.
    env.mempool_min.set(rate(5000));
    let (r, calc) =
        get_minimum_fee_rate(&WalletFeeConfig::default(), &env, &CoinControl::default()).unwrap();
    assert_eq!((r, calc.reason), (FeeRate::ZERO, FeeReason::Fallback));

    // An estimator answering zero counts as no estimate, and the target it
    // fell back to is the one returned (0 without any data, as Core's
    // estimator answers before it has seen blocks).
    env.set_estimate(6, 0);
    env.estimates
        .borrow_mut()
        .get_mut(&6)
        .unwrap()
        .returned_target = 0;
    let (r, calc) = get_minimum_fee_rate(&config, &env, &CoinControl::default()).unwrap();
    assert_eq!((r, calc.reason), (rate(20_000), FeeReason::Fallback));
    assert_eq!((calc.desired_target, calc.returned_target), (6, 0));
}

#[test]
fn mempool_minimum_and_required_rate_raise_low_rates() {
    let env = MockEnv::default();
    let config = WalletFeeConfig {
        fallback_fee: rate(2000),
        ..Default::default()
    };
    env.set_estimate(6, 1500);
    env.mempool_min.set(rate(4000));
    let (r, calc) = get_minimum_fee_rate(&config, &env, &CoinControl::default()).unwrap();
    assert_eq!((r, calc.reason), (rate(4000), FeeReason::MempoolMin));
    // The fallback is raised too.
    env.estimates.borrow_mut().clear();
    let (r, calc) = get_minimum_fee_rate(&config, &env, &CoinControl::default()).unwrap();
    assert_eq!((r, calc.reason), (rate(4000), FeeReason::MempoolMin));

    // An estimate below -mintxfee is raised to it.
    env.mempool_min.set(FeeRate::ZERO);
    env.set_estimate(6, 800);
    let (r, calc) = get_minimum_fee_rate(&config, &env, &CoinControl::default()).unwrap();
    assert_eq!((r, calc.reason), (rate(1000), FeeReason::Required));
    // The user's (non-overriding) rate is not raised to the mempool minimum.
    env.mempool_min.set(rate(9000));
    let cc = CoinControl {
        fee_rate: Some(rate(3000)),
        ..Default::default()
    };
    let (r, _) = get_minimum_fee_rate(&config, &env, &cc).unwrap();
    assert_eq!(r, rate(3000));
}

#[test]
fn discard_rate() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    // No estimate: -discardfee.
    assert_eq!(get_discard_rate(&config, &env).unwrap(), rate(10_000));
    assert_eq!(*env.estimate_calls.borrow(), vec![(1008, false)]);
    // A lower long-term estimate wins, a higher one is capped.
    env.set_estimate(1008, 4000);
    assert_eq!(get_discard_rate(&config, &env).unwrap(), rate(4000));
    env.set_estimate(1008, 40_000);
    assert_eq!(get_discard_rate(&config, &env).unwrap(), rate(10_000));
    // Never below the dust relay rate.
    env.set_estimate(1008, 1000);
    assert_eq!(get_discard_rate(&config, &env).unwrap(), rate(3000));
}

#[test]
fn node_failures_are_reported() {
    let env = MockEnv::default();
    env.node_down.set(true);
    let config = WalletFeeConfig::default();
    assert_eq!(
        get_minimum_fee_rate(&config, &env, &CoinControl::default())
            .unwrap_err()
            .to_string(),
        "node unreachable"
    );
    assert!(get_discard_rate(&config, &env).is_err());
    assert!(get_required_fee_rate(&config, &env).is_err());
}

#[test]
fn reasons_and_formats() {
    for n in 0..8 {
        assert_eq!(FeeReason::from_i32(n).as_i32(), n);
    }
    assert_eq!(FeeReason::from_i32(99), FeeReason::None);
    assert_eq!(FeeReason::Fallback.description(), "Fallback fee");
    assert_eq!(FeeReason::Required.description(), "Minimum Required Fee");
    assert_eq!(format_fee_rate_sat_vb(rate(999)), "0.999 sat/vB");
    assert_eq!(format_fee_rate_sat_vb(rate(25_000)), "25.000 sat/vB");
    assert_eq!(format_fee_rate_btc_kvb(rate(1000)), "0.00001000 BTC/kvB");
    assert_eq!(
        format_fee_rate_btc_kvb(rate(123_456_789)),
        "1.23456789 BTC/kvB"
    );
}
