//! Which wallet outputs are available, and preset inputs.

use bitcoin::{Amount, OutPoint, TxOut};

use super::super::*;
use super::{btc, coin, outpoint, p2wpkh, wallet, MockEnv};
use crate::coinselection::{CoinsResult, FeeRate, OutputType, TRUC_VERSION};

fn outpoints(coins: &CoinsResult) -> Vec<OutPoint> {
    let mut v: Vec<OutPoint> = coins.all().map(|(_, c)| c.outpoint).collect();
    v.sort();
    v
}

fn available(
    outputs: &[CandidateOutput],
    cc: Option<&CoinControl>,
    params: &CoinFilterParams,
) -> Vec<OutPoint> {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let w = wallet(&env, &config, outputs);
    outpoints(&available_coins(&w, cc, None, params).unwrap())
}

#[test]
fn unusable_outputs_are_left_out() {
    let mut spent = coin(1, 1000, 3);
    spent.is_spent = true;
    let mut locked = coin(2, 1000, 3);
    locked.is_locked = true;
    let mut immature = coin(3, 1000, 50);
    immature.immature_coinbase = true;
    let conflicted = coin(4, 1000, -1);
    let mut not_in_mempool = coin(5, 1000, 0);
    not_in_mempool.in_mempool = false;
    let fine = coin(6, 1000, 1);
    let outputs = [spent, locked, immature, conflicted, not_in_mempool, fine];
    let params = CoinFilterParams::default();
    assert_eq!(available(&outputs, None, &params), vec![outpoint(6, 0)]);

    let params = CoinFilterParams {
        skip_locked: false,
        include_immature_coinbase: true,
        ..Default::default()
    };
    assert_eq!(
        available(&outputs, None, &params),
        vec![outpoint(2, 0), outpoint(3, 0), outpoint(6, 0)]
    );
}

#[test]
fn unsafe_outputs_need_coin_control() {
    let mut untrusted = coin(1, 1000, 0);
    untrusted.trusted = false;
    let mut replacing = coin(2, 1000, 0);
    replacing.replaces_tx = true;
    let mut replaced = coin(3, 1000, 0);
    replaced.replaced = true;
    let trusted_unconfirmed = coin(4, 1000, 0);
    // A confirmed replacement is safe.
    let mut confirmed_replacing = coin(5, 1000, 1);
    confirmed_replacing.replaces_tx = true;
    let outputs = [
        untrusted,
        replacing,
        replaced,
        trusted_unconfirmed,
        confirmed_replacing,
    ];
    assert!(!outputs[0].is_safe() && !outputs[1].is_safe() && !outputs[2].is_safe());
    assert!(outputs[3].is_safe() && outputs[4].is_safe());
    let params = CoinFilterParams::default();
    assert_eq!(
        available(&outputs, None, &params),
        vec![outpoint(4, 0), outpoint(5, 0)]
    );
    let cc = CoinControl {
        include_unsafe_inputs: true,
        ..Default::default()
    };
    assert_eq!(available(&outputs, Some(&cc), &params).len(), 5);
}

#[test]
fn depth_amount_and_preset_filters() {
    let outputs = [coin(1, 500, 0), coin(2, 1000, 1), coin(3, 5000, 10)];
    let params = CoinFilterParams::default();
    let mut cc = CoinControl {
        min_depth: 1,
        max_depth: 9,
        ..Default::default()
    };
    assert_eq!(
        available(&outputs, Some(&cc), &params),
        vec![outpoint(2, 0)]
    );
    cc.max_depth = 10;
    cc.select(outpoint(2, 0));
    assert_eq!(
        available(&outputs, Some(&cc), &params),
        vec![outpoint(3, 0)]
    );

    let params = CoinFilterParams {
        min_amount: 600,
        max_amount: 5000,
        ..Default::default()
    };
    assert_eq!(
        available(&outputs, None, &params),
        vec![outpoint(2, 0), outpoint(3, 0)]
    );
    // Zero-value outputs never count (the minimum amount defaults to 1).
    let zero = [coin(4, 0, 3)];
    assert!(available(&zero, None, &CoinFilterParams::default()).is_empty());
}

#[test]
fn sum_and_count_limits_stop_early() {
    let outputs = [coin(1, 1000, 3), coin(2, 2000, 3), coin(3, 4000, 3)];
    let params = CoinFilterParams {
        min_sum_amount: 2500,
        ..Default::default()
    };
    assert_eq!(
        available(&outputs, None, &params),
        vec![outpoint(1, 0), outpoint(2, 0)]
    );
    let params = CoinFilterParams {
        max_count: 1,
        ..Default::default()
    };
    assert_eq!(available(&outputs, None, &params), vec![outpoint(1, 0)]);
}

#[test]
fn used_addresses_with_avoid_reuse() {
    let mut used = coin(1, 1000, 3);
    used.address_used = true;
    let outputs = [used, coin(2, 1000, 3)];
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let mut w = wallet(&env, &config, &outputs);
    let params = CoinFilterParams::default();
    assert_eq!(
        outpoints(&available_coins(&w, None, None, &params).unwrap()).len(),
        2
    );
    w.avoid_reuse = true;
    // Without coin control, or with it avoiding reuse: left out.
    assert_eq!(
        outpoints(&available_coins(&w, None, None, &params).unwrap()),
        vec![outpoint(2, 0)]
    );
    let mut cc = CoinControl {
        avoid_address_reuse: true,
        ..Default::default()
    };
    assert_eq!(
        outpoints(&available_coins(&w, Some(&cc), None, &params).unwrap()).len(),
        1
    );
    cc.avoid_address_reuse = false;
    assert_eq!(
        outpoints(&available_coins(&w, Some(&cc), None, &params).unwrap()).len(),
        2
    );
}

#[test]
fn truc_outputs() {
    let mut truc_a = coin(1, 1000, 0);
    truc_a.tx_version = TRUC_VERSION;
    truc_a.ancestors = 1;
    let mut truc_a2 = truc_a.clone();
    truc_a2.outpoint = OutPoint::new(truc_a.outpoint.txid, 1);
    let mut truc_b = coin(2, 1500, 0);
    truc_b.tx_version = TRUC_VERSION;
    truc_b.ancestors = 1;
    let mut truc_with_child = coin(3, 9000, 0);
    truc_with_child.tx_version = TRUC_VERSION;
    truc_with_child.truc_child_in_mempool = true;
    let mut truc_grandchild = coin(4, 9000, 0);
    truc_grandchild.tx_version = TRUC_VERSION;
    truc_grandchild.ancestors = 2;
    let unconfirmed_v2 = coin(5, 1000, 0);
    let mut confirmed_truc = coin(6, 1000, 2);
    confirmed_truc.tx_version = TRUC_VERSION;
    let outputs = [
        truc_a,
        truc_a2,
        truc_b,
        truc_with_child,
        truc_grandchild,
        unconfirmed_v2,
        confirmed_truc,
    ];
    let params = CoinFilterParams::default();
    // Version 2: no unconfirmed TRUC outputs.
    assert_eq!(
        available(&outputs, None, &params),
        vec![outpoint(5, 0), outpoint(6, 0)]
    );
    // Version 3: only the outputs of the most valuable eligible TRUC parent
    // (1000 + 1000 beats 1500), no unconfirmed non-TRUC ones.
    let cc = CoinControl {
        version: TRUC_VERSION,
        ..Default::default()
    };
    assert_eq!(
        available(&outputs, Some(&cc), &params),
        vec![outpoint(1, 0), outpoint(1, 1), outpoint(6, 0)]
    );
    let unchecked = CoinFilterParams {
        check_version_trucness: false,
        ..Default::default()
    };
    assert_eq!(available(&outputs, Some(&cc), &unchecked).len(), 7);
}

#[test]
fn priced_with_bump_fees() {
    let env = MockEnv::default();
    env.bump_fees.borrow_mut().insert(outpoint(1, 0), 300);
    let config = WalletFeeConfig::default();
    let mut unconfirmed = coin(1, 10_000, 0);
    unconfirmed.ancestors = 1;
    unconfirmed.cluster_count = 2;
    let mut unsolvable = coin(3, 10_000, 4);
    unsolvable.satisfaction = None;
    let mut taproot = coin(4, 10_000, 4);
    taproot.output_type = OutputType::Bech32m;
    let outputs = [unconfirmed, coin(2, 10_000, 5), unsolvable, taproot];
    let w = wallet(&env, &config, &outputs);
    let rate = FeeRate::from_sat_per_kvb(10_000);
    let coins = available_coins(&w, None, Some(rate), &CoinFilterParams::default()).unwrap();
    let by_op = |n: u8| {
        coins
            .all()
            .find(|(_, c)| c.outpoint == outpoint(n, 0))
            .map(|(t, c)| (t, c.clone()))
            .unwrap()
    };
    let (_, c1) = by_op(1);
    // 68 vbytes at 10 sat/vB, plus the ancestors' bump.
    assert_eq!(c1.fee(), 680 + 300);
    assert_eq!(c1.effective_value(), 10_000 - 980);
    assert_eq!((c1.ancestors, c1.cluster_count), (1, 2));
    assert_eq!(by_op(2).1.fee(), 680);
    // An unsolvable coin is free to spend as far as selection knows.
    assert_eq!(by_op(3).1.fee(), 0);
    assert_eq!(by_op(4).0, OutputType::Bech32m);
    assert_eq!(coins.total_amount(), 40_000);
    assert_eq!(coins.effective_total_amount(), 40_000 - 980 - 680 - 680);
}

#[test]
fn preset_inputs() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 3)];
    let w = wallet(&env, &config, &outputs);
    let rate = FeeRate::from_sat_per_kvb(10_000);

    let mut cc = CoinControl::default();
    cc.select(outpoint(1, 0));
    let external = TxOut {
        value: Amount::from_sat(50_000),
        script_pubkey: p2wpkh(9),
    };
    cc.select(outpoint(9, 0))
        .set_txout(external.clone())
        .set_input_weight(400);
    let presets = fetch_selected_inputs(&w, &cc, rate).unwrap();
    let fees: Vec<(OutPoint, i64, OutputType)> = presets
        .all()
        .map(|(t, c)| (c.outpoint, c.fee(), t))
        .collect();
    assert_eq!(
        fees,
        vec![
            (outpoint(1, 0), 680, OutputType::Unknown),
            (outpoint(9, 0), 1000, OutputType::Unknown)
        ]
    );

    // External without a weight needs solving data.
    let mut cc = CoinControl::default();
    cc.select(outpoint(9, 0)).set_txout(external.clone());
    assert_eq!(
        fetch_selected_inputs(&w, &cc, rate)
            .unwrap_err()
            .to_string(),
        format!(
            "Not solvable pre-selected input COutPoint({}, 0)",
            &"09".repeat(5)
        )
    );
    cc.external_solving.insert(
        external.script_pubkey.clone(),
        InputSatisfaction::p2wpkh(true),
    );
    let presets = fetch_selected_inputs(&w, &cc, rate).unwrap();
    assert_eq!(presets.all().next().unwrap().1.fee(), 680);

    // Neither the wallet's nor given.
    let mut cc = CoinControl::default();
    cc.select(outpoint(7, 2));
    assert_eq!(
        fetch_selected_inputs(&w, &cc, rate)
            .unwrap_err()
            .to_string(),
        format!(
            "Not found pre-selected input COutPoint({}, 2)",
            &"07".repeat(5)
        )
    );
}

#[test]
fn preset_truc_mismatch() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let mut truc = coin(1, btc(1), 0);
    truc.tx_version = TRUC_VERSION;
    let v2 = coin(2, btc(1), 0);
    let outputs = [truc, v2];
    let w = wallet(&env, &config, &outputs);
    let rate = FeeRate::from_sat_per_kvb(1000);
    let mut cc = CoinControl::default();
    cc.select(outpoint(1, 0));
    assert_eq!(
        fetch_selected_inputs(&w, &cc, rate)
            .unwrap_err()
            .to_string(),
        "Can't spend unconfirmed version 3 pre-selected input with a version 2 tx"
    );
    let mut cc = CoinControl {
        version: TRUC_VERSION,
        ..Default::default()
    };
    cc.select(outpoint(2, 0));
    assert_eq!(
        fetch_selected_inputs(&w, &cc, rate)
            .unwrap_err()
            .to_string(),
        "Can't spend unconfirmed version 2 pre-selected input with a version 3 tx"
    );
    cc.unselect_all();
    cc.select(outpoint(1, 0));
    assert!(fetch_selected_inputs(&w, &cc, rate).is_ok());
}
