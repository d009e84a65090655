//! Every way transaction creation fails, with Core's texts.

use bitcoin::{Amount, ScriptBuf, TxOut};

use super::super::*;
use super::{btc, coin, outpoint, p2wpkh, rng, wallet, MockEnv};
use crate::coinselection::{FeeRate, TRUC_VERSION};

/// A payment of `amount` to a fresh P2WPKH script.
fn pay(amount: i64) -> Recipient {
    Recipient {
        script_pubkey: p2wpkh(99),
        amount,
        subtract_fee: false,
    }
}

/// Coin control paying 10 sat/vB.
fn at_10_sat_vb() -> CoinControl {
    CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(10_000)),
        ..Default::default()
    }
}

/// The error creating a transaction of `recipients` fails with.
fn fails(
    env: &MockEnv,
    config: &WalletFeeConfig,
    outputs: &[CandidateOutput],
    recipients: &[Recipient],
    change_pos: Option<usize>,
    cc: &CoinControl,
) -> String {
    let w = wallet(env, config, outputs);
    create_transaction(&w, recipients, change_pos, cc, &mut rng(1))
        .unwrap_err()
        .to_string()
}

#[test]
fn recipients_are_checked_first() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let cc = at_10_sat_vb();
    assert_eq!(
        fails(&env, &config, &[], &[], None, &cc),
        "Transaction must have at least one recipient"
    );
    assert_eq!(
        fails(&env, &config, &[], &[pay(1000), pay(-1)], None, &cc),
        "Transaction amounts must not be negative"
    );
    assert_eq!(
        fails(&env, &config, &[], &[pay(293)], None, &cc),
        "Transaction amount too small"
    );
}

#[test]
fn weight_limit_bounds() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    for bad in [259, 400_001] {
        let cc = CoinControl {
            max_tx_weight: Some(bad),
            ..at_10_sat_vb()
        };
        assert_eq!(
            fails(&env, &config, &outputs, &[pay(10_000)], None, &cc),
            "Maximum transaction weight must be between 260 and 400000"
        );
    }
    // Limits too low for the input or for change are coin selection's
    // errors.
    let cc = CoinControl {
        max_tx_weight: Some(400),
        ..at_10_sat_vb()
    };
    assert_eq!(
        fails(&env, &config, &outputs, &[pay(10_000)], None, &cc),
        "The inputs size exceeds the maximum weight. Please try sending a smaller amount or manually consolidating your wallet's UTXOs"
    );
    let cc = CoinControl {
        max_tx_weight: Some(260),
        ..at_10_sat_vb()
    };
    assert_eq!(
        fails(&env, &config, &outputs, &[pay(10_000)], None, &cc),
        "Maximum transaction weight is too low, can not accommodate change output"
    );
}

#[test]
fn fee_rate_below_the_minimum() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let cc = CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(999)),
        ..Default::default()
    };
    assert_eq!(
        fails(&env, &config, &outputs, &[pay(10_000)], None, &cc),
        "Fee rate (0.999 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB).\nConsider modifying -mintxfee (1.000 sat/vB) or -minrelaytxfee (0.100 sat/vB)."
    );
    // Core's wallet_basic: a zero rate, raised to the required one.
    let zero = CoinControl {
        fee_rate: Some(FeeRate::ZERO),
        ..Default::default()
    };
    assert!(
        fails(&env, &config, &outputs, &[pay(10_000)], None, &zero).starts_with(
            "Fee rate (0.000 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB)."
        )
    );
    // A user's rate is held only to the required rate, not to the mempool
    // minimum, so it is paid as asked.
    env.mempool_min.set(FeeRate::from_sat_per_kvb(8000));
    let below_mempool = CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(2000)),
        ..Default::default()
    };
    let w = wallet(&env, &config, &outputs);
    let tx = create_transaction(&w, &[pay(10_000)], None, &below_mempool, &mut rng(1)).unwrap();
    assert_eq!(tx.fee, 282);
    env.mempool_min.set(FeeRate::ZERO);
    // With the override the low rate is used.
    let cc = CoinControl {
        override_fee_rate: true,
        ..cc
    };
    let w = wallet(&env, &config, &outputs);
    let tx = create_transaction(&w, &[pay(10_000)], None, &cc, &mut rng(1)).unwrap();
    assert_eq!(tx.fee, FeeRate::from_sat_per_kvb(999).fee(141));
}

#[test]
fn fallback_disabled() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    assert_eq!(
        fails(
            &env,
            &config,
            &outputs,
            &[pay(10_000)],
            None,
            &CoinControl::default()
        ),
        "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee."
    );
}

#[test]
fn nothing_to_fund() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let cc = CoinControl {
        fee_rate: Some(FeeRate::ZERO),
        override_fee_rate: true,
        ..Default::default()
    };
    let data = Recipient {
        script_pubkey: ScriptBuf::from_bytes(vec![0x6a, 4, 0xde, 0xad, 0xbe, 0xef]),
        amount: 0,
        subtract_fee: false,
    };
    assert_eq!(
        fails(&env, &config, &[coin(1, btc(1), 6)], &[data], None, &cc),
        "Transaction requires one destination of non-zero value, a non-zero feerate, or a pre-selected input"
    );
}

#[test]
fn preset_input_errors() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let mut cc = at_10_sat_vb();
    cc.select(outpoint(7, 3));
    assert_eq!(
        fails(&env, &config, &[], &[pay(10_000)], None, &cc),
        format!(
            "Not found pre-selected input COutPoint({}, 3)",
            "07".repeat(5)
        )
    );
    let mut cc = at_10_sat_vb();
    cc.select(outpoint(7, 3)).set_txout(TxOut {
        value: Amount::from_sat(50_000),
        script_pubkey: p2wpkh(7),
    });
    assert_eq!(
        fails(&env, &config, &[], &[pay(10_000)], None, &cc),
        format!(
            "Not solvable pre-selected input COutPoint({}, 3)",
            "07".repeat(5)
        )
    );
    let mut truc = coin(1, btc(1), 0);
    truc.tx_version = TRUC_VERSION;
    let mut cc = at_10_sat_vb();
    cc.select(outpoint(1, 0));
    assert_eq!(
        fails(&env, &config, &[truc], &[pay(10_000)], None, &cc),
        "Can't spend unconfirmed version 3 pre-selected input with a version 2 tx"
    );
    // Presets that do not cover the payment, without other inputs allowed.
    let mut cc = CoinControl {
        allow_other_inputs: false,
        ..at_10_sat_vb()
    };
    cc.select(outpoint(1, 0));
    assert_eq!(
        fails(&env, &config, &[coin(1, 20_000, 6)], &[pay(20_000)], None, &cc),
        "The preselected coins total amount does not cover the transaction target. Please allow other inputs to be automatically selected or include more coins manually"
    );
}

#[test]
fn not_enough_money() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let cc = at_10_sat_vb();
    assert_eq!(
        fails(
            &env,
            &config,
            &[coin(1, 100_000, 6)],
            &[pay(200_000)],
            None,
            &cc
        ),
        "Insufficient funds"
    );
    assert_eq!(
        fails(&env, &config, &[], &[pay(200_000)], None, &cc),
        "Insufficient funds"
    );
    // Enough for the amount but not the fee: the fee for everything but
    // the inputs (10 + 1 + 31 vbytes at 10 sat/vB) is named.
    assert_eq!(
        fails(
            &env,
            &config,
            &[coin(1, 100_000, 6)],
            &[pay(99_990)],
            None,
            &cc
        ),
        "The total exceeds your balance when the 0.0000042 transaction fee is included."
    );
}

#[test]
fn change_position_out_of_range() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    assert_eq!(
        fails(
            &env,
            &config,
            &[coin(1, btc(1), 6)],
            &[pay(10_000)],
            Some(2),
            &at_10_sat_vb()
        ),
        "Transaction change output index out of range"
    );
    // The reserved change address goes back to the pool.
    assert_eq!(env.kept.borrow().len(), 0);
    assert_eq!(*env.returned.borrow(), *env.reserved.borrow());
    // Without change, the position is not looked at.
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let all = Recipient {
        subtract_fee: true,
        ..pay(btc(1))
    };
    let tx = create_transaction(&w, &[all], Some(5), &at_10_sat_vb(), &mut rng(1)).unwrap();
    assert_eq!(tx.change_pos, None);
}

#[test]
fn missing_solving_data() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let mut unsolvable = coin(1, btc(1), 6);
    unsolvable.satisfaction = None;
    assert_eq!(
        fails(
            &env,
            &config,
            &[unsolvable],
            &[pay(10_000)],
            None,
            &at_10_sat_vb()
        ),
        "Missing solving data for estimating transaction size"
    );
}

#[test]
fn subtracting_the_fee_from_too_little() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let sffo = |amount| Recipient {
        subtract_fee: true,
        ..pay(amount)
    };
    // The fee at 10 sat/vB with change is 1410.
    assert_eq!(
        fails(
            &env,
            &config,
            &outputs,
            &[sffo(1000)],
            None,
            &at_10_sat_vb()
        ),
        "The transaction amount is too small to pay the fee"
    );
    assert_eq!(
        fails(
            &env,
            &config,
            &outputs,
            &[sffo(1500)],
            None,
            &at_10_sat_vb()
        ),
        "The transaction amount is too small to send after the fee has been deducted"
    );
    let w = wallet(&env, &config, &outputs);
    let ok =
        create_transaction(&w, &[sffo(1410 + 294)], None, &at_10_sat_vb(), &mut rng(1)).unwrap();
    assert_eq!(ok.fee, 1410);
}

#[test]
fn no_change_address() {
    let env = MockEnv::default();
    *env.reserve_error.borrow_mut() =
        Some("Error: Keypool ran out, please call keypoolrefill first".into());
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    assert_eq!(
        fails(&env, &config, &outputs, &[pay(10_000)], None, &at_10_sat_vb()),
        "Transaction needs a change address, but we can't generate it. Error: Keypool ran out, please call keypoolrefill first"
    );
    // Without change the address is not needed: spend the whole coin.
    let w = wallet(&env, &config, &outputs);
    let all = Recipient {
        subtract_fee: true,
        ..pay(btc(1))
    };
    let tx = create_transaction(&w, &[all], None, &at_10_sat_vb(), &mut rng(1)).unwrap();
    assert_eq!(tx.change_pos, None);
    assert_eq!(tx.tx.output.len(), 1);
}

#[test]
fn too_large() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let mut cc = at_10_sat_vb();
    cc.max_tx_weight = None;
    cc.select(outpoint(1, 0)).set_input_weight(400_000);
    let cc_low_fee = CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(1000)),
        ..cc
    };
    assert_eq!(
        fails(&env, &config, &outputs, &[pay(10_000)], None, &cc_low_fee),
        "Transaction too large"
    );
}

#[test]
fn fee_above_maxtxfee() {
    let env = MockEnv::default();
    let config = WalletFeeConfig {
        max_tx_fee: 1409,
        ..Default::default()
    };
    let outputs = [coin(1, btc(1), 6)];
    assert_eq!(
        fails(
            &env,
            &config,
            &outputs,
            &[pay(10_000)],
            None,
            &at_10_sat_vb()
        ),
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
    );
    let config = WalletFeeConfig {
        max_tx_fee: 1410,
        ..Default::default()
    };
    let w = wallet(&env, &config, &outputs);
    assert!(create_transaction(&w, &[pay(10_000)], None, &at_10_sat_vb(), &mut rng(1)).is_ok());
}

#[test]
fn mempool_chain_limits() {
    let env = MockEnv::default();
    *env.chain_limits_error.borrow_mut() =
        Some("too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]".into());
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    assert_eq!(
        fails(
            &env,
            &config,
            &outputs,
            &[pay(10_000)],
            None,
            &at_10_sat_vb()
        ),
        "too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]"
    );
    // Not checked with -walletrejectlongchains=0.
    let config = WalletFeeConfig {
        reject_long_chains: false,
        ..Default::default()
    };
    let w = wallet(&env, &config, &outputs);
    assert!(create_transaction(&w, &[pay(10_000)], None, &at_10_sat_vb(), &mut rng(1)).is_ok());
}

#[test]
fn node_failure() {
    let env = MockEnv::default();
    env.node_down.set(true);
    let config = WalletFeeConfig::default();
    assert_eq!(
        fails(
            &env,
            &config,
            &[coin(1, btc(1), 6)],
            &[pay(10_000)],
            None,
            &at_10_sat_vb()
        ),
        "node unreachable"
    );
}

#[test]
fn internal_bug_and_selection_texts() {
    assert_eq!(
        SpendError::InternalBug("Fee paid < 0").to_string(),
        "Internal bug detected: Fee paid < 0"
    );
    assert_eq!(
        SpendError::Selection(crate::coinselection::SelectionError::SharedInputs).to_string(),
        "Shared UTXOs among selection results"
    );
    assert_eq!(
        SpendError::NonTrucPresetInTruc(1).to_string(),
        "Can't spend unconfirmed version 1 pre-selected input with a version 3 tx"
    );
}
