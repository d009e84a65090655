//! MuSig2 signing sessions between wallets (Core's `wallet_musig.py` in
//! small): each wallet adds its nonce, then its partial signature once all
//! nonces are in, and the last round aggregates a signature that verifies.

use bitcoin::psbt::Psbt;
use bitcoin::{Transaction, TxOut};

use super::*;
use crate::sign::musig::fields::InputMuSig;
use crate::sign::{fill_psbt, FillOptions, FillResult};

/// A NUMS point (Core's `H_POINT`): an internal key nobody can sign for.
const H: &str = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0";

/// Two wallets that imported the same `musig()` descriptor, each with its
/// own private key: `pattern` names the keys `$A` and `$B`.
fn pair(pattern: &str) -> (Keystore, Keystore, ScriptBuf) {
    let secp = crate::keys::secp();
    let (a, b) = (master([7; 32]), master([9; 32]));
    let (pa, pb) = (
        bitcoin::bip32::Xpub::from_priv(secp, &a),
        bitcoin::bip32::Xpub::from_priv(secp, &b),
    );
    let (mut ka, mut kb) = (Keystore::default(), Keystore::default());
    let da = pattern
        .replace("$A", &a.to_string())
        .replace("$B", &pb.to_string());
    let db = pattern
        .replace("$A", &pa.to_string())
        .replace("$B", &b.to_string());
    let (ida, idb) = (
        import(&mut ka, &da, KeyAccess::Plain),
        import(&mut kb, &db, KeyAccess::Plain),
    );
    let spk = first_script(&ka, ida);
    assert_eq!(spk, first_script(&kb, idb), "both wallets agree");
    (ka, kb, spk)
}

fn fill(ks: &Keystore, psbt: &mut Psbt, prev: &Transaction) -> FillResult {
    fill_psbt(
        ks,
        KeyAccess::Plain,
        psbt,
        &FillOptions::default(),
        &lookup(prev),
    )
    .unwrap()
}

/// Both wallets fill copies of `psbt`; the copies combined.
fn round(ka: &Keystore, kb: &Keystore, psbt: &Psbt, prev: &Transaction) -> Psbt {
    let (mut a, mut b) = (psbt.clone(), psbt.clone());
    assert!(!fill(ka, &mut a, prev).complete);
    assert!(!fill(kb, &mut b, prev).complete);
    a.combine(b).unwrap();
    a
}

/// Runs the nonce and partial signature rounds; returns the spent
/// transaction, the PSBT with every partial signature and the one with
/// every nonce.
fn session(pattern: &str) -> (Keystore, Transaction, Psbt, Psbt) {
    let (ka, kb, spk) = pair(pattern);
    let prev = funding(&[spk], 50_000);
    let out = TxOut {
        value: bitcoin::Amount::from_sat(40_000),
        script_pubkey: ScriptBuf::new_op_return([]),
    };
    let psbt = Psbt::from_unsigned_tx(spending(&prev, &[0], vec![out])).unwrap();
    let nonces = round(&ka, &kb, &psbt, &prev);
    let fields = InputMuSig::read(&nonces.inputs[0]);
    assert_eq!(fields.participants.len(), 1);
    assert!(fields.partial_sigs.is_empty());
    assert!(fields.pubnonces.values().all(|n| n.len() == 2));
    assert_eq!(ka.musig_sessions.len(), fields.pubnonces.len());
    let psigs = round(&ka, &kb, &nonces, &prev);
    let fields = InputMuSig::read(&psigs.inputs[0]);
    assert!(fields.partial_sigs.values().all(|s| s.len() == 2));
    assert!(ka.musig_sessions.is_empty(), "used nonces are dropped");
    (ka, prev, psigs, nonces)
}

#[test]
fn key_path_of_an_aggregate() {
    let (ka, prev, mut psbt, nonces) = session("tr(musig($A/0/*,$B/0/*))");
    // A wallet aggregates once every partial signature is in.
    assert!(fill(&ka, &mut psbt, &prev).complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    assert_eq!(tx.input[0].witness.len(), 1);
    assert_schnorr_key_path(&tx, 0, &prev.output, tx.input[0].witness.nth(0).unwrap());
    // The nonce PSBT again: its secret nonce is gone, so no second partial
    // signature is made with it.
    let mut again = nonces;
    assert!(!fill(&ka, &mut again, &prev).complete);
    assert!(InputMuSig::read(&again.inputs[0]).partial_sigs.is_empty());
}

#[test]
fn rawtr_key_derived_from_the_synthetic_xpub() {
    let (ka, prev, mut psbt, _) = session("rawtr(musig($A,$B)/0/*)");
    assert!(fill(&ka, &mut psbt, &prev).complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    assert_schnorr_key_path(&tx, 0, &prev.output, tx.input[0].witness.nth(0).unwrap());
}

#[test]
fn leaf_of_an_aggregate() {
    let (ka, prev, mut psbt, _) = session(&format!("tr({H},pk(musig($A,$B)/0/*))"));
    assert!(fill(&ka, &mut psbt, &prev).complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    // Signature, leaf script, control block.
    assert_eq!(w.len(), 3);
    let leaf = ScriptBuf::from_bytes(w[1].clone());
    super::scripts::assert_schnorr_script_path(&tx, &prev.output, &leaf, &w[1][1..33], &w[0]);
}
