//! `fill_psbt` beyond the default descriptors: multisig across wallets,
//! taproot script paths, miniscript, keys found through PSBT derivations,
//! `combo()`.

use bitcoin::psbt::Psbt;
use bitcoin::sighash::{EcdsaSighashType, TapSighashType};
use bitcoin::{ScriptBuf, Transaction, TxOut};

use super::*;
use crate::sign::{fill_psbt, FillOptions, FillResult};

/// A 2-of-2 of two wallets: each owns the script and one key.
pub(super) fn multisig_pair() -> (Keystore, Keystore, ScriptBuf) {
    let secp = crate::keys::secp();
    let (a, b) = (master([7; 32]), master([9; 32]));
    let (pa, pb) = (
        bitcoin::bip32::Xpub::from_priv(secp, &a),
        bitcoin::bip32::Xpub::from_priv(secp, &b),
    );
    let mut ka = Keystore::default();
    let mut kb = Keystore::default();
    let ida = import(
        &mut ka,
        &format!("wsh(multi(2,{a}/0/*,{pb}/0/*))"),
        KeyAccess::Plain,
    );
    let idb = import(
        &mut kb,
        &format!("wsh(multi(2,{pa}/0/*,{b}/0/*))"),
        KeyAccess::Plain,
    );
    let spk = first_script(&ka, ida);
    assert_eq!(spk, first_script(&kb, idb));
    (ka, kb, spk)
}

#[test]
fn multisig_completed_by_the_second_wallet() {
    let (ka, kb, spk) = multisig_pair();
    let prev = funding(&[spk], 60_000);
    let mut psbt = Psbt::from_unsigned_tx(spending(&prev, &[0], vec![])).unwrap();
    let r = fill_psbt(
        &ka,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &lookup(&prev),
    )
    .unwrap();
    assert!(!r.complete);
    let input = &psbt.inputs[0];
    assert_eq!(input.partial_sigs.len(), 1);
    assert_eq!(input.bip32_derivation.len(), 2);
    let ws = input.witness_script.clone().unwrap();
    assert_eq!(ws.to_p2wsh(), prev.output[0].script_pubkey);

    let r = fill_psbt(
        &kb,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(r.complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    // CHECKMULTISIG's dummy, two signatures in key order, the script.
    assert_eq!(w.len(), 4);
    assert!(w[0].is_empty());
    assert_eq!(w[3], ws.to_bytes());
    let keys: Vec<Vec<u8>> = key_pushes(&ws);
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

/// Checks a BIP342 script path signature by `key` for `leaf`.
pub(super) fn assert_schnorr_script_path(
    tx: &Transaction,
    spent: &[TxOut],
    leaf: &bitcoin::Script,
    key: &[u8],
    sig: &[u8],
) {
    use bitcoin::hashes::Hash;
    use bitcoin::taproot::{LeafVersion, TapLeafHash};
    assert_eq!(sig.len(), 64);
    let leaf_hash = TapLeafHash::from_script(leaf, LeafVersion::TapScript);
    let digest = bitcoin::sighash::SighashCache::new(tx)
        .taproot_script_spend_signature_hash(
            0,
            &bitcoin::sighash::Prevouts::All(spent),
            leaf_hash,
            TapSighashType::Default,
        )
        .unwrap();
    let secp = bitcoin::secp256k1::Secp256k1::verification_only();
    secp.verify_schnorr(
        &bitcoin::secp256k1::schnorr::Signature::from_slice(sig).unwrap(),
        &bitcoin::secp256k1::Message::from_digest(digest.to_byte_array()),
        &bitcoin::secp256k1::XOnlyPublicKey::from_slice(key).unwrap(),
    )
    .expect("script path signature verifies");
}

fn spend_first(ks: &Keystore, id: crate::keys::DescriptorId) -> (Transaction, Psbt, FillResult) {
    let spk = first_script(ks, id);
    let prev = funding(&[spk], 40_000);
    let mut psbt = Psbt::from_unsigned_tx(spending(&prev, &[0], vec![])).unwrap();
    let r = fill_psbt(
        ks,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &lookup(&prev),
    )
    .unwrap();
    (prev, psbt, r)
}

#[test]
fn taproot_script_path() {
    let secp = crate::keys::secp();
    let (a, b) = (master([7; 32]), master([9; 32]));
    let pa = bitcoin::bip32::Xpub::from_priv(secp, &a);

    // Only the leaf key is ours: the script path is taken.
    let mut ks = Keystore::default();
    let id = import(
        &mut ks,
        &format!("tr({pa}/0/*,pk({b}/0/*))"),
        KeyAccess::Plain,
    );
    let (prev, psbt, r) = spend_first(&ks, id);
    assert!(r.complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    // Signature, leaf script (<key> OP_CHECKSIG), control block.
    assert_eq!(w.len(), 3);
    let leaf = ScriptBuf::from_bytes(w[1].clone());
    assert_eq!(leaf.len(), 34);
    assert_eq!(w[2].len(), 33);
    assert_schnorr_script_path(&tx, &prev.output, &leaf, &w[1][1..33], &w[0]);

    // Both keys ours: the key path alone, as Core stops there.
    let mut both = Keystore::default();
    let id = import(
        &mut both,
        &format!("tr({a}/0/*,pk({b}/0/*))"),
        KeyAccess::Plain,
    );
    let prev = funding(&[first_script(&both, id)], 40_000);
    let mut psbt = Psbt::from_unsigned_tx(spending(&prev, &[0], vec![])).unwrap();
    let no_finalize = FillOptions {
        finalize: false,
        ..FillOptions::default()
    };
    fill_psbt(
        &both,
        KeyAccess::Plain,
        &mut psbt,
        &no_finalize,
        &lookup(&prev),
    )
    .unwrap();
    let input = &psbt.inputs[0];
    assert!(input.tap_key_sig.is_some());
    assert!(input.tap_script_sigs.is_empty());
    assert_eq!(input.tap_scripts.len(), 1);
    // The leaf key's origin lists its leaf; the internal key's lists none.
    assert_eq!(input.tap_key_origins.len(), 2);
    let leaves: Vec<usize> = input
        .tap_key_origins
        .values()
        .map(|(l, _)| l.len())
        .collect();
    assert!(leaves.contains(&0) && leaves.contains(&1));
    let r = fill_psbt(
        &both,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(r.complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    assert_eq!(tx.input[0].witness.len(), 1);
    assert_schnorr_key_path(&tx, 0, &prev.output, tx.input[0].witness.nth(0).unwrap());
}

#[test]
fn rawtr_signs_with_the_output_key() {
    let a = master([7; 32]);
    let mut ks = Keystore::default();
    let id = import(&mut ks, &format!("rawtr({a}/0/*)"), KeyAccess::Plain);
    let (prev, psbt, r) = spend_first(&ks, id);
    assert!(r.complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    assert_eq!(tx.input[0].witness.len(), 1);
    assert_schnorr_key_path(&tx, 0, &prev.output, tx.input[0].witness.nth(0).unwrap());
}

#[test]
fn taproot_pkh_leaf_is_signed_and_completed() {
    let secp = crate::keys::secp();
    let (a, b, c) = (master([7; 32]), master([9; 32]), master([11; 32]));
    let pa = bitcoin::bip32::Xpub::from_priv(secp, &a);
    // The leaf holds only the hash of b's key (Core's wallet_miniscript.py).
    let mut ks = Keystore::default();
    let id = import(
        &mut ks,
        &format!("tr({pa}/0/*,and_v(v:pkh({b}/0/*),pk({c}/0/*)))"),
        KeyAccess::Plain,
    );
    let (prev, psbt, r) = spend_first(&ks, id);
    assert_eq!(psbt.inputs[0].tap_script_sigs.len(), 0, "finalized");
    assert!(r.complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    // sig c, sig b, key b, leaf script, control block.
    assert_eq!(w.len(), 5);
    let leaf = ScriptBuf::from_bytes(w[3].clone());
    assert_schnorr_script_path(&tx, &prev.output, &leaf, &w[2], &w[1]);
}

#[test]
fn wsh_miniscript() {
    let secp = crate::keys::secp();
    let (a, b) = (master([7; 32]), master([9; 32]));
    let pb = bitcoin::bip32::Xpub::from_priv(secp, &b);
    let mut ks = Keystore::default();
    let id = import(
        &mut ks,
        &format!("wsh(and_v(v:pk({a}/0/*),pk({b}/0/*)))"),
        KeyAccess::Plain,
    );
    let (prev, psbt, r) = spend_first(&ks, id);
    assert!(r.complete);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    let w: Vec<Vec<u8>> = tx.input[0].witness.iter().map(<[u8]>::to_vec).collect();
    assert_eq!(w.len(), 3);
    let ws = ScriptBuf::from_bytes(w[2].clone());
    assert_eq!(ws.to_p2wsh(), prev.output[0].script_pubkey);
    // and_v(X,Y): Y's satisfaction below X's; keys in script order.
    let keys = key_pushes(&ws);
    for (sig, key) in [(&w[1], &keys[0]), (&w[0], &keys[1])] {
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

    // With one key of two, one partial signature and no final witness.
    let mut half = Keystore::default();
    let id = import(
        &mut half,
        &format!("wsh(and_v(v:pk({a}/0/*),pk({pb}/0/*)))"),
        KeyAccess::Plain,
    );
    let (_, psbt, r) = spend_first(&half, id);
    assert!(!r.complete);
    assert_eq!(psbt.inputs[0].partial_sigs.len(), 1);
    assert!(psbt.inputs[0].final_script_witness.is_none());
}

#[test]
fn keys_found_by_derivation_sign_foreign_scripts() {
    let mut ks = default_keystore(KeyAccess::Plain);
    let ours = new_script(&mut ks, OutputType::Bech32, false, KeyAccess::Plain);
    let id = ks.active(OutputType::Bech32, false).unwrap();
    let provider = ks.spkms[&id]
        .signing_provider(&ours, false, KeyAccess::Plain)
        .unwrap()
        .unwrap();
    let k = &provider.pubkeys[0];
    let other_key = bitcoin::secp256k1::SecretKey::from_slice(&[5; 32]).unwrap();
    let other = PublicKey::new(other_key.public_key(crate::keys::secp()));
    // A 2-of-2 some coordinator built with one of our keys.
    let ws = bitcoin::script::Builder::new()
        .push_int(2)
        .push_key(&k.pubkey)
        .push_key(&other)
        .push_int(2)
        .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
        .into_script();
    let prev = funding(&[ws.to_p2wsh()], 30_000);
    let mut psbt = Psbt::from_unsigned_tx(spending(&prev, &[0], vec![])).unwrap();
    let input = &mut psbt.inputs[0];
    input.witness_utxo = Some(prev.output[0].clone());
    input.witness_script = Some(ws.clone());
    input
        .bip32_derivation
        .insert(k.pubkey.inner, k.origin.clone());
    let r = fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(!r.complete);
    let sigs = &psbt.inputs[0].partial_sigs;
    assert_eq!(sigs.len(), 1);
    let sig = &sigs[&k.pubkey];
    assert_ecdsa(
        &psbt.unsigned_tx,
        0,
        &ws,
        Some(prev.output[0].value),
        &sig.to_vec(),
        &k.pubkey.to_bytes(),
        EcdsaSighashType::All,
    );
    // Without the derivation nothing tells the wallet its key is there.
    let mut bare = psbt.clone();
    bare.inputs[0].partial_sigs.clear();
    bare.inputs[0].bip32_derivation.clear();
    fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut bare,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(bare.inputs[0].partial_sigs.is_empty());
}

#[test]
fn combo_signs_each_of_its_scripts() {
    let mut ks = Keystore::default();
    let id = import(
        &mut ks,
        "combo(cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N)",
        KeyAccess::Plain,
    );
    let scripts = ks.spkms[&id].derive_scripts(0..1).unwrap()[0].1.clone();
    let prev = funding(&scripts, 20_000);
    let mut psbt = Psbt::from_unsigned_tx(spending(&prev, &[0, 1, 2, 3], vec![])).unwrap();
    let r = fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &lookup(&prev),
    )
    .unwrap();
    assert_eq!(
        r,
        FillResult {
            complete: true,
            signed_inputs: 4
        }
    );
    let tx = psbt.extract_tx_unchecked_fee_rate();
    // P2PK: the signature alone.
    let items = push_items(&tx.input[0].script_sig);
    assert_eq!(items.len(), 1);
    let pk = scripts[0].p2pk_public_key().unwrap().to_bytes();
    assert_ecdsa(
        &tx,
        0,
        &scripts[0],
        None,
        &items[0],
        &pk,
        EcdsaSighashType::All,
    );
    // P2PKH, P2WPKH and P2SH-P2WPKH as usual.
    assert_eq!(push_items(&tx.input[1].script_sig).len(), 2);
    assert_eq!(tx.input[2].witness.len(), 2);
    assert_eq!(tx.input[3].witness.len(), 2);
    assert_eq!(push_items(&tx.input[3].script_sig).len(), 1);
}
