//! `fill_psbt`: Core's `FillPSBT` over the default descriptors.

use bitcoin::bip32::DerivationPath;
use bitcoin::psbt::{Psbt, PsbtSighashType};
use bitcoin::sighash::{EcdsaSighashType, TapSighashType};
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut};

use super::*;
use crate::crypto::KeyingMaterial;
use crate::sign::{fill_psbt, FillOptions, FillResult, SignError};

/// Four inputs, one per default type, and a change output.
struct Setup {
    ks: Keystore,
    prev: Transaction,
    psbt: Psbt,
    change: ScriptBuf,
}

fn setup(access: KeyAccess<'_>) -> Setup {
    let mut ks = default_keystore(access);
    let scripts: Vec<ScriptBuf> = OutputType::ALL
        .iter()
        .map(|ty| new_script(&mut ks, *ty, false, access))
        .collect();
    let change = new_script(&mut ks, OutputType::Bech32, true, access);
    let prev = funding(&scripts, 100_000);
    let tx = spending(
        &prev,
        &[0, 1, 2, 3],
        vec![TxOut {
            value: Amount::from_sat(390_000),
            script_pubkey: change.clone(),
        }],
    );
    Setup {
        ks,
        prev,
        psbt: Psbt::from_unsigned_tx(tx).unwrap(),
        change,
    }
}

fn path(s: &str) -> DerivationPath {
    s.parse().unwrap()
}

#[test]
fn signs_and_finalizes_each_default_type() {
    let mut s = setup(KeyAccess::Plain);
    let r = fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &FillOptions::default(),
        &lookup(&s.prev),
    )
    .unwrap();
    // Each input counted once, by the descriptor that finalized it.
    assert_eq!(
        r,
        FillResult {
            complete: true,
            signed_inputs: 4
        }
    );
    for (i, input) in s.psbt.inputs.iter().enumerate() {
        // Only what Core serializes for a final input is left.
        assert!(input.partial_sigs.is_empty() && input.bip32_derivation.is_empty());
        assert!(input.redeem_script.is_none() && input.witness_script.is_none());
        assert!(input.tap_key_sig.is_none() && input.tap_key_origins.is_empty());
        assert!(input.tap_internal_key.is_none() && input.sighash_type.is_none());
        // A legacy input keeps every previous transaction in the PSBT.
        assert_eq!(input.non_witness_utxo.as_ref(), Some(&s.prev));
        // Segwit inputs gain their witness UTXO.
        assert_eq!(input.witness_utxo.is_some(), i > 0);
    }
    let tx = s.psbt.clone().extract_tx_unchecked_fee_rate();
    assert_default_spends(&tx, &s.prev.output, 0);
    // The change output is described for hardware signers.
    let out = &s.psbt.outputs[0];
    assert_eq!(out.bip32_derivation.len(), 1);
    let (_, (fp, p)) = out.bip32_derivation.iter().next().unwrap();
    assert_eq!(*fp, master(SEED).fingerprint(crate::keys::secp()));
    assert_eq!(*p, path("m/84h/1h/0h/1/0"));
    assert!(s.ks.is_mine(&s.change));
}

#[test]
fn taproot_only_psbt_drops_previous_transactions() {
    let mut ks = default_keystore(KeyAccess::Plain);
    let tr = new_script(&mut ks, OutputType::Bech32m, false, KeyAccess::Plain);
    let prev = funding(&[tr], 50_000);
    let tx = spending(&prev, &[0], vec![]);
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    let r = fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &lookup(&prev),
    )
    .unwrap();
    assert!(r.complete);
    let input = &psbt.inputs[0];
    assert!(input.non_witness_utxo.is_none());
    assert_eq!(input.witness_utxo.as_ref(), Some(&prev.output[0]));
    let w = input.final_script_witness.as_ref().unwrap();
    assert_eq!(w.len(), 1);
    let tx = psbt.extract_tx_unchecked_fee_rate();
    assert_schnorr_key_path(&tx, 0, &prev.output, tx.input[0].witness.nth(0).unwrap());
}

#[test]
fn locked_wallet_updates_but_signs_nothing() {
    let mk = KeyingMaterial::new(vec![0x42; 32]);
    let mut s = setup(KeyAccess::Unlocked(&mk));
    let r = fill_psbt(
        &s.ks,
        KeyAccess::Locked,
        &mut s.psbt,
        &FillOptions::default(),
        &lookup(&s.prev),
    )
    .unwrap();
    assert_eq!(
        r,
        FillResult {
            complete: false,
            signed_inputs: 0
        }
    );
    for (i, input) in s.psbt.inputs.iter().enumerate() {
        assert!(input.final_script_sig.is_none() && input.final_script_witness.is_none());
        assert!(input.partial_sigs.is_empty() && input.tap_key_sig.is_none());
        // Updated all the same: derivations and scripts.
        if i < 3 {
            assert_eq!(input.bip32_derivation.len(), 1, "input {i}");
        } else {
            assert!(input.tap_internal_key.is_some());
            assert_eq!(input.tap_key_origins.len(), 1);
        }
    }
    assert!(s.psbt.inputs[1].redeem_script.as_ref().unwrap().is_p2wpkh());
    // Unlocked, the same PSBT completes.
    let r = fill_psbt(
        &s.ks,
        KeyAccess::Unlocked(&mk),
        &mut s.psbt,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(r.complete);
    let tx = s.psbt.extract_tx_unchecked_fee_rate();
    assert_default_spends(&tx, &s.prev.output, 0);
}

#[test]
fn bip32derivs_false_adds_no_derivations() {
    let mut s = setup(KeyAccess::Plain);
    let update_only = FillOptions {
        sign: false,
        bip32derivs: false,
        finalize: false,
        ..FillOptions::default()
    };
    let r = fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &update_only,
        &lookup(&s.prev),
    )
    .unwrap();
    // Not signing, Core counts every input each descriptor looked at.
    assert_eq!(
        r,
        FillResult {
            complete: false,
            signed_inputs: 8 * 4
        }
    );
    for input in &s.psbt.inputs {
        assert!(input.bip32_derivation.is_empty() && input.tap_key_origins.is_empty());
        assert!(input.partial_sigs.is_empty() && input.tap_key_sig.is_none());
    }
    assert!(s.psbt.outputs[0].bip32_derivation.is_empty());
    // Scripts and taproot data are not derivations: they are filled.
    assert!(s.psbt.inputs[1].redeem_script.is_some());
    assert!(s.psbt.inputs[3].tap_internal_key.is_some());

    let with_derivs = FillOptions {
        bip32derivs: true,
        ..update_only
    };
    fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &with_derivs,
        &no_lookup,
    )
    .unwrap();
    let fp = master(SEED).fingerprint(crate::keys::secp());
    let origin = |psbt: &Psbt, i: usize| psbt.inputs[i].bip32_derivation.values().next().cloned();
    assert_eq!(origin(&s.psbt, 0), Some((fp, path("m/44h/1h/0h/0/0"))));
    assert_eq!(origin(&s.psbt, 1), Some((fp, path("m/49h/1h/0h/0/0"))));
    assert_eq!(origin(&s.psbt, 2), Some((fp, path("m/84h/1h/0h/0/0"))));
    let tr = s.psbt.inputs[3].tap_key_origins.values().next().cloned();
    // The internal key appears in no leaf.
    assert_eq!(tr, Some((vec![], (fp, path("m/86h/1h/0h/0/0")))));
    assert_eq!(s.psbt.outputs[0].bip32_derivation.len(), 1);

    // Derivations already present are kept, as Core keeps them.
    fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &update_only,
        &no_lookup,
    )
    .unwrap();
    assert_eq!(origin(&s.psbt, 0), Some((fp, path("m/44h/1h/0h/0/0"))));
    assert_eq!(s.psbt.outputs[0].bip32_derivation.len(), 1);
}

#[test]
fn sighash_rules() {
    let setup_one = |ty: OutputType| {
        let mut ks = default_keystore(KeyAccess::Plain);
        let spk = new_script(&mut ks, ty, false, KeyAccess::Plain);
        let prev = funding(std::slice::from_ref(&spk), 80_000);
        let out = TxOut {
            value: Amount::from_sat(79_000),
            script_pubkey: spk,
        };
        let psbt = Psbt::from_unsigned_tx(spending(&prev, &[0], vec![out])).unwrap();
        (ks, prev, psbt)
    };
    let partial = |sighash: Option<u32>| FillOptions {
        sighash_type: sighash.map(PsbtSighashType::from_u32),
        finalize: false,
        ..FillOptions::default()
    };

    // A type stored in the PSBT must be asked for explicitly.
    let (ks, prev, mut psbt) = setup_one(OutputType::Bech32);
    psbt.inputs[0].sighash_type = Some(PsbtSighashType::from_u32(2));
    let err = fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &partial(None),
        &lookup(&prev),
    );
    assert_eq!(err, Err(SignError::SighashMismatch));
    assert_eq!(
        SignError::SighashMismatch.to_string(),
        "Specified sighash value does not match value stored in PSBT"
    );
    // Asked for, it is used.
    fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &partial(Some(2)),
        &no_lookup,
    )
    .unwrap();
    let sig = psbt.inputs[0].partial_sigs.values().next().unwrap();
    assert_eq!(sig.sighash_type, EcdsaSighashType::None);
    // Existing signatures of another type refuse a new one.
    psbt.inputs[0].sighash_type = None;
    let err = fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &partial(Some(1)),
        &no_lookup,
    );
    assert_eq!(err, Err(SignError::SighashMismatch));

    // ALL|ANYONECANPAY is recorded; ALL and DEFAULT are not (DEFAULT signs
    // as ALL for ECDSA).
    for (requested, recorded, used) in [
        (
            Some(0x81),
            Some(0x81),
            EcdsaSighashType::AllPlusAnyoneCanPay,
        ),
        (Some(1), None, EcdsaSighashType::All),
        (Some(0), None, EcdsaSighashType::All),
        (None, None, EcdsaSighashType::All),
    ] {
        let (ks, prev, mut psbt) = setup_one(OutputType::Bech32);
        fill_psbt(
            &ks,
            KeyAccess::Plain,
            &mut psbt,
            &partial(requested),
            &lookup(&prev),
        )
        .unwrap();
        let input = &psbt.inputs[0];
        assert_eq!(input.sighash_type.map(|t| t.to_u32()), recorded);
        let sig = input.partial_sigs.values().next().unwrap();
        assert_eq!(sig.sighash_type, used, "requested {requested:?}");
        let tx = &psbt.unsigned_tx;
        let (pk, sig) = input.partial_sigs.iter().next().unwrap();
        assert_ecdsa(
            tx,
            0,
            &prev.output[0].script_pubkey,
            Some(prev.output[0].value),
            &sig.to_vec(),
            &pk.to_bytes(),
            used,
        );
    }

    // Taproot: DEFAULT is implicit, anything else recorded and appended.
    for (requested, recorded, used) in [
        (None, None, TapSighashType::Default),
        (Some(1), Some(1), TapSighashType::All),
        (
            Some(0x83),
            Some(0x83),
            TapSighashType::SinglePlusAnyoneCanPay,
        ),
    ] {
        let (ks, prev, mut psbt) = setup_one(OutputType::Bech32m);
        fill_psbt(
            &ks,
            KeyAccess::Plain,
            &mut psbt,
            &partial(requested),
            &lookup(&prev),
        )
        .unwrap();
        let input = &psbt.inputs[0];
        assert_eq!(input.sighash_type.map(|t| t.to_u32()), recorded);
        let sig = input.tap_key_sig.unwrap();
        assert_eq!(sig.sighash_type, used);
        assert_schnorr_key_path(&psbt.unsigned_tx, 0, &prev.output, &sig.to_vec());
    }
    // SIGHASH_SINGLE without a matching output has no BIP341 hash: the
    // type is recorded, nothing is signed.
    let (ks, prev, mut psbt) = setup_one(OutputType::Bech32m);
    psbt.unsigned_tx.output.clear();
    psbt.outputs.clear();
    fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &partial(Some(3)),
        &lookup(&prev),
    )
    .unwrap();
    assert_eq!(psbt.inputs[0].sighash_type.map(|t| t.to_u32()), Some(3));
    assert!(psbt.inputs[0].tap_key_sig.is_none());
}

#[test]
fn signatures_finalize_later_without_keys() {
    let mut s = setup(KeyAccess::Plain);
    let no_finalize = FillOptions {
        finalize: false,
        ..FillOptions::default()
    };
    let r = fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &no_finalize,
        &lookup(&s.prev),
    )
    .unwrap();
    // Signing without finalizing counts nothing, as in Core.
    assert_eq!(
        r,
        FillResult {
            complete: false,
            signed_inputs: 0
        }
    );
    for input in &s.psbt.inputs[..3] {
        assert_eq!(input.partial_sigs.len(), 1);
    }
    assert!(s.psbt.inputs[3].tap_key_sig.is_some());

    // A wallet of another seed owns none of it, yet finalizes from the
    // signatures the PSBT holds.
    let other = {
        let m = master([9; 32]);
        let mut ks = Keystore::default();
        for ty in OutputType::ALL {
            let (spkm, _, _) =
                DescriptorSpkm::generate(&m, ty, false, Network::Regtest, 2, 0, KeyAccess::Plain)
                    .unwrap();
            ks.spkms.insert(spkm.id(), spkm);
        }
        ks
    };
    let mut psbt = s.psbt.clone();
    let r = fill_psbt(
        &other,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(r.complete);
    assert_default_spends(&psbt.extract_tx_unchecked_fee_rate(), &s.prev.output, 0);

    // The owning wallet finalizes it without signing again.
    let r = fill_psbt(
        &s.ks,
        KeyAccess::Locked,
        &mut s.psbt,
        &FillOptions {
            sign: false,
            ..FillOptions::default()
        },
        &no_lookup,
    )
    .unwrap();
    assert!(r.complete);
    assert_default_spends(&s.psbt.extract_tx_unchecked_fee_rate(), &s.prev.output, 0);
}

#[test]
fn witness_utxo_alone_signs_only_segwit() {
    let mut ks = default_keystore(KeyAccess::Plain);
    let pkh = new_script(&mut ks, OutputType::Legacy, false, KeyAccess::Plain);
    let wpkh = new_script(&mut ks, OutputType::Bech32, false, KeyAccess::Plain);
    let prev = funding(&[pkh, wpkh], 70_000);
    let mut psbt = Psbt::from_unsigned_tx(spending(&prev, &[0, 1], vec![])).unwrap();
    psbt.inputs[0].witness_utxo = Some(prev.output[0].clone());
    psbt.inputs[1].witness_utxo = Some(prev.output[1].clone());
    let r = fill_psbt(
        &ks,
        KeyAccess::Plain,
        &mut psbt,
        &FillOptions::default(),
        &no_lookup,
    )
    .unwrap();
    assert!(!r.complete);
    assert_eq!(r.signed_inputs, 1);
    // A legacy signature would not commit to the amount: Core leaves the
    // input untouched.
    let legacy = &psbt.inputs[0];
    assert!(legacy.final_script_sig.is_none() && legacy.partial_sigs.is_empty());
    assert!(legacy.bip32_derivation.is_empty());
    assert_eq!(
        psbt.inputs[1]
            .final_script_witness
            .as_ref()
            .map(|w| w.len()),
        Some(2)
    );
}

#[test]
fn inconsistent_psbts_are_refused() {
    let mut s = setup(KeyAccess::Plain);
    // A previous transaction that is not the one the outpoint names.
    s.psbt.inputs[2].non_witness_utxo = Some(funding(&[], 1));
    let err = fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &FillOptions::default(),
        &lookup(&s.prev),
    );
    assert_eq!(err, Err(SignError::MissingInputs));
    assert_eq!(
        SignError::MissingInputs.to_string(),
        "Inputs missing or spent"
    );

    s.psbt.inputs.pop();
    let err = fill_psbt(
        &s.ks,
        KeyAccess::Plain,
        &mut s.psbt,
        &FillOptions::default(),
        &no_lookup,
    );
    assert_eq!(err, Err(SignError::InvalidTx));
    assert_eq!(
        SignError::InvalidTx.to_string(),
        "The transaction cannot be valid"
    );
}

#[test]
fn unknown_inputs_are_left_alone() {
    let s = setup(KeyAccess::Plain);
    let other = funding(
        &[ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::all_zeros())],
        1000,
    );
    let tx = spending(&other, &[0], vec![]);
    let mut psbt = Psbt::from_unsigned_tx(tx).unwrap();
    // Without any UTXO nothing can be done; with one, nothing is ours.
    for round in 0..2 {
        let r = fill_psbt(
            &s.ks,
            KeyAccess::Plain,
            &mut psbt,
            &FillOptions::default(),
            &no_lookup,
        )
        .unwrap();
        assert_eq!(
            r,
            FillResult {
                complete: false,
                signed_inputs: 0
            }
        );
        assert!(psbt.inputs[0].partial_sigs.is_empty());
        if round == 0 {
            assert_eq!(psbt.inputs[0], Default::default());
            psbt.inputs[0].witness_utxo = Some(other.output[0].clone());
        }
    }
}
