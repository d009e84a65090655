//! Funding a transaction the user started.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};

use super::super::*;
use super::{btc, coin, outpoint, p2wpkh, rng, wallet, MockEnv};
use crate::coinselection::FeeRate;

fn pay(amount: i64) -> Recipient {
    Recipient {
        script_pubkey: p2wpkh(99),
        amount,
        subtract_fee: false,
    }
}

fn input(op: OutPoint, sequence: u32) -> TxIn {
    TxIn {
        previous_output: op,
        script_sig: ScriptBuf::new(),
        sequence: Sequence(sequence),
        witness: Witness::new(),
    }
}

fn at_10_sat_vb() -> CoinControl {
    CoinControl {
        fee_rate: Some(FeeRate::from_sat_per_kvb(10_000)),
        ..Default::default()
    }
}

#[test]
fn inputs_lock_time_and_version_are_kept() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, 30_000, 6), coin(2, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let external = TxOut {
        value: Amount::from_sat(40_000),
        script_pubkey: p2wpkh(42),
    };
    let tx = Transaction {
        version: Version(3),
        lock_time: LockTime::from_consensus(777),
        input: vec![input(outpoint(42, 0), 0xfffffffe), input(outpoint(1, 0), 5)],
        output: Vec::new(),
    };
    let mut cc = at_10_sat_vb();
    cc.external_solving.insert(
        external.script_pubkey.clone(),
        InputSatisfaction::p2wpkh(true),
    );
    let find = |op: &OutPoint| (*op == outpoint(42, 0)).then(|| external.clone());
    let txr = fund_transaction(&w, &tx, &[pay(100_000)], None, cc, &find, &mut rng(1)).unwrap();
    assert_eq!(txr.tx.version, Version(3));
    assert_eq!(txr.tx.lock_time.to_consensus_u32(), 777);
    let ins: Vec<(OutPoint, Sequence)> = txr
        .tx
        .input
        .iter()
        .map(|i| (i.previous_output, i.sequence))
        .collect();
    assert_eq!(
        ins,
        vec![
            (outpoint(42, 0), Sequence(0xfffffffe)),
            (outpoint(1, 0), Sequence(5)),
            (outpoint(2, 0), Sequence(MAX_BIP125_RBF_SEQUENCE)),
        ]
    );
}

#[test]
fn unknown_external_inputs_and_outputs_are_refused() {
    let env = MockEnv::default();
    let config = WalletFeeConfig::default();
    let outputs = [coin(1, btc(1), 6)];
    let w = wallet(&env, &config, &outputs);
    let tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![input(outpoint(9, 0), 0xfffffffd)],
        output: Vec::new(),
    };
    let none = |_: &OutPoint| None;
    assert_eq!(
        fund_transaction(
            &w,
            &tx,
            &[pay(10_000)],
            None,
            at_10_sat_vb(),
            &none,
            &mut rng(1)
        )
        .unwrap_err()
        .to_string(),
        "Unable to find UTXO for external input"
    );
    let with_output = Transaction {
        output: vec![TxOut {
            value: Amount::from_sat(1000),
            script_pubkey: p2wpkh(3),
        }],
        input: Vec::new(),
        ..tx
    };
    assert!(matches!(
        fund_transaction(
            &w,
            &with_output,
            &[pay(10_000)],
            None,
            at_10_sat_vb(),
            &none,
            &mut rng(1)
        ),
        Err(SpendError::InternalBug(_))
    ));
    // No inputs at all: the wallet picks them.
    let empty = Transaction {
        output: Vec::new(),
        ..with_output
    };
    let txr = fund_transaction(
        &w,
        &empty,
        &[pay(10_000)],
        None,
        at_10_sat_vb(),
        &none,
        &mut rng(1),
    )
    .unwrap();
    assert_eq!(txr.tx.input.len(), 1);
    // The user's lock time (0) is kept: no anti-fee-sniping.
    assert_eq!(txr.tx.lock_time, LockTime::ZERO);
}
