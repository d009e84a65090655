//! Creating transactions: Core's spend tests, fees, change, input order,
//! change addresses, partial spend avoidance and ancestors' bump fees.

use bitcoin::{Amount, ScriptBuf, TxOut, Witness};
use interfaces::wallet::TxDestination;

use super::super::env::SpendEnv;
use super::super::script::script_for_destination;
use super::super::*;
use super::{btc, coin, coin_to, outpoint, p2wpkh, rng, wallet, MockEnv};
use crate::coinselection::{FeeRate, OutputType};

fn pay(amount: i64) -> Recipient {
    Recipient {
        script_pubkey: p2wpkh(99),
        amount,
        subtract_fee: false,
    }
}

fn at(sat_per_kvb: i64) -> CoinControl {
    CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(sat_per_kvb)),
        ..Default::default()
    }
}

/// Core's `SubtractFee`: a subtract-fee payment slightly below the input
/// makes no change (uneconomical at the high cost of legacy change) and
/// the leftover goes to the recipient, not the miner.
#[test]
fn subtract_fee_leftover_goes_to_the_recipient() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(50), 101)];
    let w = wallet(&env, &config, &outputs);
    let check_tx = |leftover: i64| {
        let recipient = Recipient {
            script_pubkey: p2wpkh(99),
            amount: btc(50) - leftover,
            subtract_fee: true,
        };
        let cc = CoinControl {
            fee_rate: Some(FeeRate::from_sat_per_kvb(10_000)),
            override_fee_rate: true,
            change_type: Some(OutputType::Legacy),
            ..Default::default()
        };
        let txr = create_transaction(
            &w,
            std::slice::from_ref(&recipient),
            None,
            &cc,
            &mut rng(leftover as u64),
        )
        .unwrap();
        assert_eq!(txr.tx.output.len(), 1);
        assert_eq!(
            txr.tx.output[0].value.to_sat() as i64,
            recipient.amount + leftover - txr.fee
        );
        assert!(txr.fee > 0);
        txr.fee
    };
    let fee = check_tx(0);
    // One P2WPKH input, one P2WPKH output: 110 vbytes.
    assert_eq!(fee, 1100);
    assert_eq!(fee, check_tx(123));
    assert_eq!(fee, check_tx(fee));
    assert_eq!(fee, check_tx(fee + 123));
}

/// Core's `wallet_duplicated_preset_inputs_test`: preset inputs are not
/// offered to selection again, so 299 BTC cannot be paid from 200.
#[test]
fn duplicated_preset_inputs() {
    let env = MockEnv::default();
    let config = WalletFeeConfig {
        fallback_fee: FeeRate::from_sat_per_kvb(20_000),
        ..Default::default()
    };
    let outputs: Vec<CandidateOutput> = (1..=4).map(|n| coin(n, btc(50), 101)).collect();
    let w = wallet(&env, &config, &outputs);
    let mut cc = CoinControl::default();
    for n in 1..=3 {
        cc.select(outpoint(n, 0));
    }
    let mut recipient = Recipient {
        script_pubkey: p2wpkh(99),
        amount: btc(299),
        subtract_fee: true,
    };
    let err = create_transaction(&w, &[recipient.clone()], None, &cc, &mut rng(1)).unwrap_err();
    assert_eq!(err, SpendError::InsufficientFunds);
    recipient.subtract_fee = false;
    let err = create_transaction(&w, &[recipient], None, &cc, &mut rng(1)).unwrap_err();
    assert_eq!(err, SpendError::InsufficientFunds);
}

#[test]
fn pays_the_rate_on_the_estimated_size() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let txr =
        create_transaction(&w, &[pay(btc(0) + 50_000)], None, &at(10_000), &mut rng(5)).unwrap();
    // 10 + 2×31 bytes + 68.25 vbytes of input, rounded up.
    assert_eq!(txr.fee, 1410);
    let pos = txr.change_pos.unwrap();
    assert_eq!(
        txr.tx.output[pos].value.to_sat() as i64,
        btc(1) - 50_000 - 1410
    );
    assert_eq!(txr.tx.output[1 - pos].value.to_sat(), 50_000);
    assert!(txr.tx.output[pos].script_pubkey.is_p2wpkh());
    let input = &txr.tx.input[0];
    assert_eq!(input.previous_output, outpoint(1, 0));
    assert!(input.script_sig.is_empty() && input.witness.is_empty());
    assert_eq!(txr.fee_calc.reason, FeeReason::None);
}

#[test]
fn estimates_and_their_reasons_reach_the_result() {
    let env = MockEnv::default();
    env.set_estimate(6, 2000);
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let txr = create_transaction(
        &w,
        &[pay(50_000)],
        None,
        &CoinControl::default(),
        &mut rng(5),
    )
    .unwrap();
    assert_eq!(txr.fee, 282);
    assert_eq!(txr.fee_calc.reason, FeeReason::FullEstimate);
    assert_eq!(txr.fee_calc.desired_target, 6);

    // Without estimates, the fallback fee (which must be enabled).
    env.estimates.borrow_mut().clear();
    let config = WalletFeeConfig {
        fallback_fee: FeeRate::from_sat_per_kvb(5000),
        ..Default::default()
    };
    let w = wallet(&env, &config, &outputs);
    let txr = create_transaction(
        &w,
        &[pay(50_000)],
        None,
        &CoinControl::default(),
        &mut rng(5),
    )
    .unwrap();
    assert_eq!(txr.fee, 705);
    assert_eq!(txr.fee_calc.reason, FeeReason::Fallback);
}

#[test]
fn small_change_goes_to_the_fee() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    // 1100 for the changeless transaction, 500 left over: below the change
    // worth keeping, so the fee takes it.
    let outputs = [coin(1, 100_000, 6)];
    let w = wallet(&env, &config, &outputs);
    let txr = create_transaction(&w, &[pay(98_400)], None, &at(10_000), &mut rng(1)).unwrap();
    assert_eq!(txr.change_pos, None);
    assert_eq!(txr.tx.output.len(), 1);
    assert_eq!(txr.fee, 1600);
    // The reserved change address is still consumed, as in Core, and the
    // partial spend avoidance attempt, having no change to reuse, consumes
    // its own.
    assert_eq!(env.kept.borrow().len(), 2);
    assert!(env.returned.borrow().is_empty());
}

#[test]
fn change_position() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let two = [pay(10_000), pay(20_000)];
    for pos in 0..=2 {
        let txr = create_transaction(&w, &two, Some(pos), &at(10_000), &mut rng(1)).unwrap();
        assert_eq!(txr.change_pos, Some(pos));
        assert!(txr.tx.output[pos].value.to_sat() > 90_000_000);
    }
    // Random otherwise, recipients keeping their order.
    let mut seen = [false; 3];
    let mut r = rng(9);
    for _ in 0..60 {
        let txr = create_transaction(&w, &two, None, &at(10_000), &mut r).unwrap();
        let pos = txr.change_pos.unwrap();
        seen[pos] = true;
        let others: Vec<u64> = txr
            .tx
            .output
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != pos)
            .map(|(_, o)| o.value.to_sat())
            .collect();
        assert_eq!(others, vec![10_000, 20_000]);
    }
    assert_eq!(seen, [true; 3]);
}

#[test]
fn fee_is_split_among_subtracting_recipients() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let sffo = |amount| Recipient {
        subtract_fee: true,
        ..pay(amount)
    };
    let recipients = [sffo(100_000), pay(50_000), sffo(100_000), sffo(100_000)];
    let txr = create_transaction(&w, &recipients, Some(1), &at(10_000), &mut rng(1)).unwrap();
    // 10 + 5×31 bytes + 68.25 of input: 234 vbytes, 2340 sat; 780 each.
    assert_eq!(txr.fee, 2340);
    let values: Vec<u64> = txr.tx.output.iter().map(|o| o.value.to_sat()).collect();
    assert_eq!(values[0], 100_000 - 780);
    assert_eq!(values[2], 50_000);
    assert_eq!(values[3], 100_000 - 780);
    assert_eq!(values[4], 100_000 - 780);
    assert_eq!(values[1], btc(1) as u64 - 350_000);

    // A remainder is paid by the first subtracting recipient: 2 recipients,
    // 10 + 3×31 + 68.25 = 172 vbytes at 1.5 sat/vB = 258... make it odd.
    let recipients = [sffo(100_000), sffo(100_000)];
    let txr = create_transaction(&w, &recipients, Some(2), &at(10_010), &mut rng(1)).unwrap();
    let fee = txr.fee;
    assert_eq!(fee, 1722);
    assert_eq!(txr.tx.output[0].value.to_sat(), 100_000 - 861);
    assert_eq!(txr.tx.output[1].value.to_sat(), 100_000 - 861);
    let txr = create_transaction(&w, &recipients, Some(2), &at(10_020), &mut rng(1)).unwrap();
    assert_eq!(txr.fee, 1724);
    let txr = create_transaction(&w, &recipients, Some(2), &at(10_015), &mut rng(1)).unwrap();
    assert_eq!(txr.fee, 1723);
    assert_eq!(txr.tx.output[0].value.to_sat(), 100_000 - 862);
    assert_eq!(txr.tx.output[1].value.to_sat(), 100_000 - 861);
}

#[test]
fn preset_inputs_come_first_in_selection_order_with_their_scripts() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs: Vec<CandidateOutput> = (1..=5).map(|n| coin(n, 100_000, 6)).collect();
    let w = wallet(&env, &config, &outputs);
    let mut cc = at(10_000);
    cc.select(outpoint(4, 0));
    cc.select(outpoint(2, 0))
        .set_script_witness(Witness::from_slice(&[vec![7u8; 3]]));
    let external = TxOut {
        value: Amount::from_sat(60_000),
        script_pubkey: p2wpkh(42),
    };
    cc.select(outpoint(42, 1))
        .set_txout(external)
        .set_input_weight(272)
        .set_script_sig(ScriptBuf::from_bytes(vec![0x51]));
    let txr = create_transaction(&w, &[pay(400_000)], None, &cc, &mut rng(2)).unwrap();
    let ins: Vec<_> = txr.tx.input.iter().map(|i| i.previous_output).collect();
    assert_eq!(
        &ins[..3],
        &[outpoint(4, 0), outpoint(2, 0), outpoint(42, 1)]
    );
    assert!(ins.len() > 3);
    assert_eq!(txr.tx.input[1].witness.len(), 1);
    assert_eq!(txr.tx.input[2].script_sig.as_bytes(), &[0x51]);
}

#[test]
fn change_addresses_are_kept_or_returned() {
    let env = MockEnv::default();
    let config = WalletFeeConfig {
        max_aps_fee: -1,
        ..Default::default()
    };
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let txr = create_transaction(&w, &[pay(50_000)], None, &at(10_000), &mut rng(1)).unwrap();
    let change = &txr.tx.output[txr.change_pos.unwrap()].script_pubkey;
    assert_eq!(*env.kept.borrow(), vec![change.clone()]);
    assert!(env.returned.borrow().is_empty());

    let err = create_transaction(&w, &[pay(btc(2))], None, &at(10_000), &mut rng(1));
    assert!(err.is_err());
    assert_eq!(env.returned.borrow().len(), 1);
    assert_eq!(env.kept.borrow().len(), 1);

    // A custom change destination is used as is, nothing reserved.
    let custom = script_for_destination(&TxDestination::WitnessV1Taproot([3; 32]));
    let cc = CoinControl {
        dest_change: Some(custom.clone()),
        ..at(10_000)
    };
    let before = env.reserved.borrow().len();
    let txr = create_transaction(&w, &[pay(50_000)], None, &cc, &mut rng(1)).unwrap();
    assert_eq!(txr.tx.output[txr.change_pos.unwrap()].script_pubkey, custom);
    assert_eq!(env.reserved.borrow().len(), before);
}

#[test]
fn change_type_follows_the_payment() {
    let env = MockEnv::default();
    let recipients_of = |dest: TxDestination| {
        vec![Recipient {
            script_pubkey: script_for_destination(&dest),
            amount: 10_000,
            subtract_fee: false,
        }]
    };
    let t = |default, change, dest| {
        transaction_change_type(&env, default, change, &recipients_of(dest))
    };
    use OutputType::*;
    assert_eq!(
        t(
            Bech32,
            Some(Legacy),
            TxDestination::WitnessV1Taproot([1; 32])
        ),
        Legacy
    );
    assert_eq!(
        t(Legacy, None, TxDestination::WitnessV1Taproot([1; 32])),
        Legacy
    );
    assert_eq!(
        t(Bech32, None, TxDestination::WitnessV1Taproot([1; 32])),
        Bech32m
    );
    assert_eq!(
        t(Bech32m, None, TxDestination::WitnessV0KeyHash([1; 20])),
        Bech32
    );
    assert_eq!(
        t(Bech32, None, TxDestination::ScriptHash([1; 20])),
        P2shSegwit
    );
    assert_eq!(t(Bech32, None, TxDestination::PkHash([1; 20])), Legacy);
    // P2WSH says nothing: taproot change if the wallet has it.
    assert_eq!(
        t(Bech32, None, TxDestination::WitnessV0ScriptHash([1; 32])),
        Bech32m
    );
    *env.change_types.borrow_mut() = vec![Bech32];
    assert_eq!(
        t(P2shSegwit, None, TxDestination::WitnessV1Taproot([1; 32])),
        Bech32
    );
    env.change_types.borrow_mut().clear();
    assert_eq!(
        t(P2shSegwit, None, TxDestination::WitnessV1Taproot([1; 32])),
        P2shSegwit
    );

    // In a transaction: -changetype, then coin control's type.
    let config = WalletFeeConfig {
        default_change_type: Some(Bech32m),
        ..Default::default()
    };
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let txr = create_transaction(&w, &[pay(50_000)], None, &at(10_000), &mut rng(1)).unwrap();
    assert!(txr.tx.output[txr.change_pos.unwrap()]
        .script_pubkey
        .is_p2tr());
    let cc = CoinControl {
        change_type: Some(Legacy),
        ..at(10_000)
    };
    let txr = create_transaction(&w, &[pay(50_000)], None, &cc, &mut rng(1)).unwrap();
    assert!(txr.tx.output[txr.change_pos.unwrap()]
        .script_pubkey
        .is_p2pkh());
}

#[test]
fn change_output_and_spend_sizes() {
    let env = MockEnv::default();
    let sizes = |script: &ScriptBuf| {
        let mut params = crate::coinselection::CoinSelectionParams::default();
        super::super::change::set_change_sizes(&env, script, &mut params);
        (params.change_output_size, params.change_spend_size)
    };
    // A change script the wallet cannot solve (or none at all) is assumed
    // to cost a 91-vbyte nested segwit spend, a lower bound keeping BnB
    // useful.
    assert_eq!(sizes(&p2wpkh(77)), (31, 91));
    assert_eq!(sizes(&ScriptBuf::new()), (9, 91));
    // The wallet's own change costs what its descriptor says.
    let wpkh = env.reserve_change_script(OutputType::Bech32).unwrap();
    assert_eq!(sizes(&wpkh), (31, 68));
    let tr = env.reserve_change_script(OutputType::Bech32m).unwrap();
    assert_eq!(sizes(&tr), (43, 58));
    let pkh = env.reserve_change_script(OutputType::Legacy).unwrap();
    assert_eq!(sizes(&pkh), (34, 148));
}

#[test]
fn partial_spend_avoidance_second_attempt() {
    // Two coins on one address: paying 0.2 BTC needs one, but spending the
    // address whole costs one more input.
    let env = MockEnv::default();
    let shared = p2wpkh(50);
    let outputs = [
        coin_to(1, shared.clone(), 30_000_000, 6),
        coin_to(2, shared, 30_000_000, 6),
    ];
    let run = |max_aps_fee: i64| {
        let config = WalletFeeConfig {
            max_aps_fee,
            ..Default::default()
        };
        let w = wallet(&env, &config, &outputs);
        create_transaction(&w, &[pay(20_000_000)], None, &at(10_000), &mut rng(4)).unwrap()
    };
    let ungrouped = run(0);
    assert_eq!(ungrouped.tx.input.len(), 1);
    assert_eq!(ungrouped.fee, 1410);
    // The second attempt reused the first's change address.
    assert_eq!(env.kept.borrow().len(), 1);

    let grouped = run(1000);
    assert_eq!(grouped.tx.input.len(), 2);
    // Two inputs: 10 + 62 + 2×67.75 = 207.5 → 208 vbytes.
    assert_eq!(grouped.fee, 2080);

    // -maxapsfee=-1: no second attempt.
    let kept_before = env.kept.borrow().len();
    let calls_before = env.reserved.borrow().len();
    let only = run(-1);
    assert_eq!(only.tx.input.len(), 1);
    assert_eq!(env.kept.borrow().len(), kept_before + 1);
    assert_eq!(env.reserved.borrow().len(), calls_before + 1);

    // Coin control asking for it: grouped outright.
    let config = WalletFeeConfig::default();
    let w = wallet(&env, &config, &outputs);
    let cc = CoinControl {
        avoid_partial_spends: true,
        ..at(10_000)
    };
    let txr = create_transaction(&w, &[pay(20_000_000)], None, &cc, &mut rng(4)).unwrap();
    assert_eq!(txr.tx.input.len(), 2);
}

#[test]
fn unconfirmed_ancestors_are_bumped() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let mut parent_out = coin(1, btc(1), 0);
    parent_out.ancestors = 1;
    parent_out.cluster_count = 1;
    env.bump_fees.borrow_mut().insert(outpoint(1, 0), 500);
    let outputs = [parent_out.clone()];
    let w = wallet(&env, &config, &outputs);
    let txr = create_transaction(&w, &[pay(50_000)], None, &at(10_000), &mut rng(1)).unwrap();
    assert_eq!(txr.fee, 1410 + 500);

    // Two coins of one parent need the shared bump once.
    let mut sibling = parent_out.clone();
    sibling.outpoint = bitcoin::OutPoint::new(parent_out.outpoint.txid, 1);
    sibling.txout.script_pubkey = p2wpkh(2);
    env.bump_fees.borrow_mut().insert(sibling.outpoint, 500);
    env.combined_bump.set(Some(600));
    let outputs = [parent_out, sibling];
    let w = wallet(&env, &config, &outputs);
    let txr =
        create_transaction(&w, &[pay(btc(1) + 50_000)], None, &at(10_000), &mut rng(1)).unwrap();
    assert_eq!(txr.tx.input.len(), 2);
    // Two inputs: 10 + 62 + 2×67.75 = 207.5 → 208 vbytes.
    assert_eq!(txr.fee, 2080 + 600);
}

#[test]
fn external_inputs_sized_from_solving_data() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let external = TxOut {
        value: Amount::from_sat(200_000),
        script_pubkey: p2wpkh(42),
    };
    let mut cc = CoinControl {
        allow_other_inputs: false,
        ..at(10_000)
    };
    cc.select(outpoint(42, 0)).set_txout(external.clone());
    cc.external_solving
        .insert(external.script_pubkey, InputSatisfaction::p2wpkh(true));
    let w = wallet(&env, &config, &[]);
    let txr = create_transaction(&w, &[pay(50_000)], None, &cc, &mut rng(1)).unwrap();
    // A maximal signature: 272 weight, 10 + 62 + 68 = 140.5 → 141.
    assert_eq!(txr.fee, 1410);
    assert_eq!(txr.tx.input.len(), 1);
}
