//! `sign_transaction`: Core's `signrawtransactionwithwallet` signing and
//! its per-input error texts.

use std::collections::BTreeMap;

use bitcoin::psbt::PsbtSighashType;
use bitcoin::sighash::EcdsaSighashType;
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut};

use super::scripts::multisig_pair;
use super::*;
use crate::crypto::KeyingMaterial;
use crate::sign::{
    sign_result_json, sign_transaction, SignTxResult, INPUT_NOT_FOUND, MAX_MONEY, MISSING_AMOUNT,
};

const DEFAULT: u32 = 0;
const INVALID_STACK: &str = "Unable to sign input, invalid stack size (possibly missing key)";
const EMPTY_WITNESS: &str = "Witness program was passed an empty witness";
/// Core's P2WPKH check wants exactly two witness items before anything
/// else, so an unsigned one fails as a mismatch.
const WPKH_MISMATCH: &str = "Witness program hash mismatch";

fn coins_of(prev: &Transaction) -> BTreeMap<OutPoint, TxOut> {
    prev.output
        .iter()
        .enumerate()
        .map(|(i, o)| (OutPoint::new(prev.compute_txid(), i as u32), o.clone()))
        .collect()
}

fn sighash(n: u32) -> PsbtSighashType {
    PsbtSighashType::from_u32(n)
}

/// Four coins, one per default type, spent by one transaction.
fn setup(access: KeyAccess<'_>) -> (Keystore, Transaction, Transaction) {
    let mut ks = default_keystore(access);
    let scripts: Vec<ScriptBuf> = OutputType::ALL
        .iter()
        .map(|ty| new_script(&mut ks, *ty, false, access))
        .collect();
    let prev = funding(&scripts, 100_000);
    let tx = spending(
        &prev,
        &[0, 1, 2, 3],
        vec![TxOut {
            value: Amount::from_sat(390_000),
            script_pubkey: scripts[2].clone(),
        }],
    );
    (ks, prev, tx)
}

#[test]
fn signs_every_default_type() {
    let (ks, prev, mut tx) = setup(KeyAccess::Plain);
    let r = sign_transaction(
        &ks,
        KeyAccess::Plain,
        &mut tx,
        &coins_of(&prev),
        sighash(DEFAULT),
    )
    .unwrap();
    assert_eq!(
        r,
        SignTxResult {
            complete: true,
            errors: BTreeMap::new()
        }
    );
    assert_default_spends(&tx, &prev.output, 0);
    // Signing again changes nothing: complete inputs are kept.
    let before = tx.clone();
    let r = sign_transaction(
        &ks,
        KeyAccess::Plain,
        &mut tx,
        &coins_of(&prev),
        sighash(DEFAULT),
    )
    .unwrap();
    assert!(r.complete);
    assert_eq!(tx, before);
}

#[test]
fn locked_wallet_reports_core_errors() {
    let mk = KeyingMaterial::new(vec![0x42; 32]);
    let (ks, prev, mut tx) = setup(KeyAccess::Unlocked(&mk));
    let r = sign_transaction(
        &ks,
        KeyAccess::Locked,
        &mut tx,
        &coins_of(&prev),
        sighash(DEFAULT),
    )
    .unwrap();
    assert!(!r.complete);
    let expected: BTreeMap<usize, String> = [
        // OP_DUP on an empty stack.
        (0, INVALID_STACK),
        // The redeem script is known, its witness is empty.
        (1, WPKH_MISMATCH),
        (2, WPKH_MISMATCH),
        (3, EMPTY_WITNESS),
    ]
    .into_iter()
    .map(|(i, e)| (i, e.to_string()))
    .collect();
    assert_eq!(r.errors, expected);
    // Core's partial layout: the wrapped program is already pushed.
    let w = tx.input[2].witness.clone();
    assert!(w.is_empty() && tx.input[0].script_sig.is_empty());
    let redeem = push_items(&tx.input[1].script_sig);
    assert_eq!(redeem.len(), 1);
    assert!(ScriptBuf::from_bytes(redeem[0].clone()).is_p2wpkh());

    // Unlocked, the same transaction completes.
    let r = sign_transaction(
        &ks,
        KeyAccess::Unlocked(&mk),
        &mut tx,
        &coins_of(&prev),
        sighash(DEFAULT),
    )
    .unwrap();
    assert!(r.complete && r.errors.is_empty());
    assert_default_spends(&tx, &prev.output, 0);
}

#[test]
fn unknown_and_foreign_inputs() {
    let (ks, prev, mut tx) = setup(KeyAccess::Plain);
    let foreign = funding(
        &[
            ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([0x11; 20])),
            ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([0x22; 20])),
            ScriptBuf::new_p2sh(&bitcoin::ScriptHash::from_byte_array([0x33; 20])),
            // A zero program leaves a false value on the stack.
            ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::all_zeros()),
        ],
        5_000,
    );
    let mut coins = coins_of(&prev);
    coins.extend(coins_of(&foreign));
    // Input 1's coin is spent (left out of the map).
    coins.remove(&tx.input[1].previous_output);
    for vout in 0..5 {
        let mut txin = tx.input[0].clone();
        txin.previous_output = OutPoint::new(foreign.compute_txid(), vout);
        tx.input.push(txin);
    }
    let r = sign_transaction(&ks, KeyAccess::Plain, &mut tx, &coins, sighash(DEFAULT)).unwrap();
    assert!(!r.complete);
    let expected: BTreeMap<usize, String> = [
        (1, INPUT_NOT_FOUND),
        // Without every spent output there is no taproot signature hash.
        (3, EMPTY_WITNESS),
        (4, WPKH_MISMATCH),
        (5, INVALID_STACK),
        // OP_HASH160 on an empty stack.
        (6, INVALID_STACK),
        (
            7,
            "Script evaluated without error but finished with a false/empty top stack element",
        ),
        // Vout 4 does not exist.
        (8, INPUT_NOT_FOUND),
    ]
    .into_iter()
    .map(|(i, e)| (i, e.to_string()))
    .collect();
    assert_eq!(r.errors, expected);
    assert_eq!(INPUT_NOT_FOUND, "Input not found or already spent");
    // Our ECDSA inputs are signed all the same.
    assert_eq!(push_items(&tx.input[0].script_sig).len(), 2);
    assert_ecdsa(
        &tx,
        2,
        &prev.output[2].script_pubkey,
        Some(prev.output[2].value),
        tx.input[2].witness.nth(0).unwrap(),
        tx.input[2].witness.nth(1).unwrap(),
        EcdsaSighashType::All,
    );

    let json = sign_result_json(&tx, &r, &coins).unwrap();
    assert_eq!(json["complete"], false);
    assert_eq!(
        json["hex"],
        bitcoin::consensus::encode::serialize_hex(&tx).as_str()
    );
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 7);
    let e = &errors[2];
    assert_eq!(e["txid"], foreign.compute_txid().to_string().as_str());
    assert_eq!(e["vout"], 0);
    assert_eq!(e["witness"], serde_json::json!([]));
    assert_eq!(e["scriptSig"], "");
    assert_eq!(e["sequence"], 0xffff_fffd_u32);
    assert_eq!(e["error"], WPKH_MISMATCH);
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["txid", "vout", "witness", "scriptSig", "sequence", "error"]
    );
}

#[test]
fn taproot_needs_every_spent_output() {
    let (ks, prev, mut tx) = setup(KeyAccess::Plain);
    let mut coins = coins_of(&prev);
    coins.remove(&tx.input[0].previous_output);
    let r = sign_transaction(&ks, KeyAccess::Plain, &mut tx, &coins, sighash(DEFAULT)).unwrap();
    assert_eq!(r.errors.get(&0).map(String::as_str), Some(INPUT_NOT_FOUND));
    assert_eq!(r.errors.get(&3).map(String::as_str), Some(EMPTY_WITNESS));
    assert_eq!(r.errors.len(), 2);
}

#[test]
fn missing_amount() {
    let (ks, prev, mut tx) = setup(KeyAccess::Plain);
    let mut coins = coins_of(&prev);
    // The RPC's prevtxs without an amount.
    coins.get_mut(&tx.input[2].previous_output).unwrap().value = MAX_MONEY;
    let r = sign_transaction(&ks, KeyAccess::Plain, &mut tx, &coins, sighash(DEFAULT)).unwrap();
    assert_eq!(r.errors.get(&2).map(String::as_str), Some(MISSING_AMOUNT));
    assert_eq!(MISSING_AMOUNT, "Missing amount");
    let spk_hex: String = prev.output[2]
        .script_pubkey
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        sign_result_json(&tx, &r, &coins),
        Err(format!(
            "Missing amount for CTxOut(nValue=21000000.00000000, scriptPubKey={})",
            &spk_hex[..30]
        ))
    );
}

#[test]
fn sighash_single_without_output_is_not_signed() {
    let (ks, prev, mut tx) = setup(KeyAccess::Plain);
    // Inputs 2 (wpkh) and 0 (pkh); one output.
    tx.input = vec![tx.input[2].clone(), tx.input[0].clone()];
    let r = sign_transaction(&ks, KeyAccess::Plain, &mut tx, &coins_of(&prev), sighash(3)).unwrap();
    assert!(!r.complete);
    let expected: BTreeMap<usize, String> = [(1, INVALID_STACK.to_string())].into();
    assert_eq!(r.errors, expected);
    let w = &tx.input[0].witness;
    assert_ecdsa(
        &tx,
        0,
        &prev.output[2].script_pubkey,
        Some(prev.output[2].value),
        w.nth(0).unwrap(),
        w.nth(1).unwrap(),
        EcdsaSighashType::Single,
    );
}

#[test]
fn partial_multisig_is_completed_by_the_cosigner() {
    let (ka, kb, spk) = multisig_pair();
    let prev = funding(&[spk], 60_000);
    let coins = coins_of(&prev);
    let mut tx = spending(&prev, &[0], vec![]);
    let r = sign_transaction(&ka, KeyAccess::Plain, &mut tx, &coins, sighash(DEFAULT)).unwrap();
    assert!(!r.complete);
    assert_eq!(
        r.errors.get(&0).map(String::as_str),
        Some("CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)")
    );
    // Core's layout: dummy, our signature, an empty placeholder, script.
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    assert_eq!(w.len(), 4);
    assert!(w[0].is_empty());
    let ws = ScriptBuf::from_bytes(w[3].clone());
    assert_eq!(ws.to_p2wsh(), prev.output[0].script_pubkey);
    let keys = key_pushes(&ws);
    let ours = ka
        .spkms
        .values()
        .next()
        .unwrap()
        .signing_provider(&prev.output[0].script_pubkey, true, KeyAccess::Plain)
        .unwrap()
        .unwrap();
    let a_pub = ours.keys.keys().next().unwrap().to_bytes();
    assert!(keys.contains(&a_pub));
    assert_ecdsa(
        &tx,
        0,
        &ws,
        Some(prev.output[0].value),
        &w[1],
        &a_pub,
        EcdsaSighashType::All,
    );
    assert!(w[2].is_empty());

    // The cosigner keeps our signature and adds its own.
    let r = sign_transaction(&kb, KeyAccess::Plain, &mut tx, &coins, sighash(DEFAULT)).unwrap();
    assert!(r.complete, "{:?}", r.errors);
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    assert_eq!(w.len(), 4);
    for (sig, key) in w[1..3].iter().zip(&keys) {
        assert_ecdsa(
            &tx,
            0,
            &ws,
            Some(prev.output[0].value),
            sig,
            key,
            EcdsaSighashType::All,
        );
    }
}
