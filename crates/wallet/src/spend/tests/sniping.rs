//! Anti-fee-sniping lock times, sequences and versions.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{BlockHash, Sequence, Transaction};

use super::super::*;
use super::{btc, coin, outpoint, p2wpkh, rng, wallet, MockEnv, NOW, TIP_HEIGHT};
use crate::coinselection::{FeeRate, TRUC_VERSION};

fn tip(height: u32, age: Option<i64>, ibd: bool) -> ChainTip {
    ChainTip {
        height,
        hash: BlockHash::from_byte_array([1; 32]),
        block_time: age.map(|a| NOW - a),
        in_initial_block_download: ibd,
        now: NOW,
    }
}

use bitcoin::hashes::Hash;

fn empty_tx() -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::from_consensus(12345),
        input: Vec::new(),
        output: Vec::new(),
    }
}

#[test]
fn current_only_when_synced_and_recent() {
    assert!(is_current_for_anti_fee_sniping(&tip(100, Some(0), false)));
    assert!(is_current_for_anti_fee_sniping(&tip(
        100,
        Some(MAX_ANTI_FEE_SNIPING_TIP_AGE),
        false
    )));
    assert!(!is_current_for_anti_fee_sniping(&tip(
        100,
        Some(MAX_ANTI_FEE_SNIPING_TIP_AGE + 1),
        false
    )));
    assert!(!is_current_for_anti_fee_sniping(&tip(100, Some(0), true)));
    assert!(!is_current_for_anti_fee_sniping(&tip(100, None, false)));
}

#[test]
fn lock_time_is_the_tip_or_up_to_99_blocks_back() {
    let t = tip(TIP_HEIGHT, Some(60), false);
    let mut r = rng(42);
    let (mut at_tip, mut back) = (0, 0);
    let mut lowest = u32::MAX;
    for _ in 0..2000 {
        let mut tx = empty_tx();
        discourage_fee_sniping(&mut tx, &mut r, &t);
        let lt = tx.lock_time.to_consensus_u32();
        assert!(lt <= TIP_HEIGHT && lt > TIP_HEIGHT - 100, "{lt}");
        lowest = lowest.min(lt);
        if lt == TIP_HEIGHT {
            at_tip += 1;
        } else {
            back += 1;
        }
    }
    // About one in ten goes back (a draw of 0 keeps the tip).
    assert!((120..=260).contains(&back), "{back} of 2000 went back");
    assert!(at_tip > 1700);
    assert!(lowest < TIP_HEIGHT - 50);
}

#[test]
fn lock_time_zero_when_lagging_and_never_below_zero() {
    for t in [
        tip(TIP_HEIGHT, Some(9 * 3600), false),
        tip(TIP_HEIGHT, Some(0), true),
    ] {
        let mut tx = empty_tx();
        discourage_fee_sniping(&mut tx, &mut rng(1), &t);
        assert_eq!(tx.lock_time, LockTime::ZERO);
    }
    let t = tip(5, Some(0), false);
    let mut r = rng(7);
    for _ in 0..500 {
        let mut tx = empty_tx();
        discourage_fee_sniping(&mut tx, &mut r, &t);
        assert!(tx.lock_time.to_consensus_u32() <= 5);
    }
    // A height that would read as a timestamp is not used.
    let mut tx = empty_tx();
    discourage_fee_sniping(
        &mut tx,
        &mut rng(1),
        &tip(LOCKTIME_THRESHOLD + 5, Some(0), false),
    );
    assert_eq!(tx.lock_time, LockTime::ZERO);
}

fn pay(amount: i64) -> Recipient {
    Recipient {
        script_pubkey: p2wpkh(99),
        amount,
        subtract_fee: false,
    }
}

fn at_10_sat_vb() -> CoinControl {
    CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(10_000)),
        ..Default::default()
    }
}

#[test]
fn created_transactions_discourage_fee_sniping() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let mut r = rng(3);
    for _ in 0..50 {
        let tx = create_transaction(&w, &[pay(10_000)], None, &at_10_sat_vb(), &mut r).unwrap();
        let lt = tx.tx.lock_time.to_consensus_u32();
        assert!(lt <= TIP_HEIGHT && lt > TIP_HEIGHT - 100);
        // Opt-in RBF by default.
        assert!(tx
            .tx
            .input
            .iter()
            .all(|i| i.sequence == Sequence(MAX_BIP125_RBF_SEQUENCE)));
        assert_eq!(tx.tx.version, Version::TWO);
    }
    // A lagging wallet uses 0.
    env.tip.set(tip(TIP_HEIGHT, Some(24 * 3600), false));
    let tx = create_transaction(&w, &[pay(10_000)], None, &at_10_sat_vb(), &mut r).unwrap();
    assert_eq!(tx.tx.lock_time, LockTime::ZERO);
}

#[test]
fn rbf_signalling() {
    let env = MockEnv::default();
    let outputs = [coin(1, btc(1), 6)];
    let config = WalletFeeConfig::default();
    let w = wallet(&env, &config, &outputs);
    let cc = CoinControl {
        signal_rbf: Some(false),
        ..at_10_sat_vb()
    };
    let tx = create_transaction(&w, &[pay(10_000)], None, &cc, &mut rng(1)).unwrap();
    assert!(tx
        .tx
        .input
        .iter()
        .all(|i| i.sequence == Sequence(MAX_SEQUENCE_NONFINAL)));

    // -walletrbf=0, and coin control turning it back on.
    let config = WalletFeeConfig {
        signal_rbf: false,
        ..Default::default()
    };
    let w = wallet(&env, &config, &outputs);
    let tx = create_transaction(&w, &[pay(10_000)], None, &at_10_sat_vb(), &mut rng(1)).unwrap();
    assert_eq!(tx.tx.input[0].sequence, Sequence(MAX_SEQUENCE_NONFINAL));
    let cc = CoinControl {
        signal_rbf: Some(true),
        ..at_10_sat_vb()
    };
    let tx = create_transaction(&w, &[pay(10_000)], None, &cc, &mut rng(1)).unwrap();
    assert_eq!(tx.tx.input[0].sequence, Sequence(MAX_BIP125_RBF_SEQUENCE));
}

#[test]
fn user_lock_time_or_sequence_disable_anti_fee_sniping() {
    let env = MockEnv::default();
    let outputs = [coin(1, btc(1), 6), coin(2, btc(1), 6)];
    let config = WalletFeeConfig::default();
    let w = wallet(&env, &config, &outputs);

    let cc = CoinControl {
        locktime: Some(123),
        ..at_10_sat_vb()
    };
    let tx = create_transaction(&w, &[pay(10_000)], None, &cc, &mut rng(1)).unwrap();
    assert_eq!(tx.tx.lock_time.to_consensus_u32(), 123);

    // A preset sequence: kept on its input, others get the default, and
    // the lock time stays 0.
    let mut cc = at_10_sat_vb();
    cc.select(outpoint(1, 0)).set_sequence(0x10);
    let tx = create_transaction(&w, &[pay(btc(1) + 10_000)], None, &cc, &mut rng(1)).unwrap();
    assert_eq!(tx.tx.lock_time, LockTime::ZERO);
    assert_eq!(tx.tx.input.len(), 2);
    assert_eq!(tx.tx.input[0].previous_output, outpoint(1, 0));
    assert_eq!(tx.tx.input[0].sequence, Sequence(0x10));
    assert_eq!(tx.tx.input[1].sequence, Sequence(MAX_BIP125_RBF_SEQUENCE));
}

#[test]
fn truc_version() {
    let env = MockEnv::default();
    let outputs = [coin(1, btc(1), 6)];
    let config = WalletFeeConfig::default();
    let w = wallet(&env, &config, &outputs);
    let cc = CoinControl {
        version: TRUC_VERSION,
        ..at_10_sat_vb()
    };
    let tx = create_transaction(&w, &[pay(10_000)], None, &cc, &mut rng(1)).unwrap();
    assert_eq!(tx.tx.version, Version(3));
}
