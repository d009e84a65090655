//! Tests of the sign module: PSBTs and raw transactions signed for each
//! default descriptor type, with every signature checked by secp256k1
//! against a signature hash computed here; Core's error texts; message
//! signatures checked by a verifier written from the BIP137 format; Core's
//! input sizes.

mod fill;
mod message;
mod musig;
mod satisfaction;
mod scripts;
mod transaction;

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{ecdsa, schnorr, Message, PublicKey as SecpPublicKey, XOnlyPublicKey};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::{
    absolute, Amount, Network, OutPoint, PublicKey, Script, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Txid, Witness,
};

use crate::keys::{
    master_key_from_seed, DescriptorId, DescriptorSpkm, KeyAccess, OutputType, ParsedDescriptor,
    WalletDescriptor,
};
use crate::wallet::keystore::Keystore;

/// The seed of the wallet under test.
pub(super) const SEED: [u8; 32] = [7u8; 32];

/// The master key of `seed` on regtest.
pub(super) fn master(seed: [u8; 32]) -> Xpriv {
    master_key_from_seed(&seed, Network::Regtest).unwrap()
}

/// A keystore with Core's eight default descriptors of SEED, five keys
/// each.
pub(super) fn default_keystore(access: KeyAccess<'_>) -> Keystore {
    let m = master(SEED);
    let mut ks = Keystore::default();
    for internal in [false, true] {
        for ty in OutputType::ALL {
            let (s, _, _) =
                DescriptorSpkm::generate(&m, ty, internal, Network::Regtest, 5, 0, access).unwrap();
            let id = s.id();
            ks.spkms.insert(id, s);
            if internal {
                ks.internal.insert(ty, id);
            } else {
                ks.external.insert(ty, id);
            }
        }
    }
    ks
}

/// A fresh address script of `ty` from the active descriptor.
pub(super) fn new_script(
    ks: &mut Keystore,
    ty: OutputType,
    internal: bool,
    access: KeyAccess<'_>,
) -> ScriptBuf {
    let id = ks.active(ty, internal).unwrap();
    let spkm = ks.spkms.get_mut(&id).unwrap();
    spkm.get_new_destination(ty, access).unwrap().script
}

/// Imports `desc` (five keys when ranged); returns its id.
pub(super) fn import(ks: &mut Keystore, desc: &str, access: KeyAccess<'_>) -> DescriptorId {
    let (d, keys) = ParsedDescriptor::parse(desc, Network::Regtest, false).unwrap();
    let (s, _, _) =
        DescriptorSpkm::import(WalletDescriptor::new(d, 0, 0, 0, 0), 5, &keys, access).unwrap();
    let id = s.id();
    ks.spkms.insert(id, s);
    id
}

/// The script at index 0 of descriptor `id`.
pub(super) fn first_script(ks: &Keystore, id: DescriptorId) -> ScriptBuf {
    let scripts = ks.spkms[&id].derive_scripts(0..1).unwrap();
    scripts[0].1[0].clone()
}

/// A transaction paying `sats` to each script.
pub(super) fn funding(scripts: &[ScriptBuf], sats: u64) -> Transaction {
    Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(Txid::from_byte_array([1; 32]), 0),
            ..TxIn::default()
        }],
        output: scripts
            .iter()
            .map(|s| TxOut {
                value: Amount::from_sat(sats),
                script_pubkey: s.clone(),
            })
            .collect(),
    }
}

/// An unsigned transaction spending outputs `vouts` of `prev`.
pub(super) fn spending(prev: &Transaction, vouts: &[u32], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vouts
            .iter()
            .map(|&v| TxIn {
                previous_output: OutPoint::new(prev.compute_txid(), v),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

/// The data pushes of a push-only script.
pub(super) fn push_items(script: &Script) -> Vec<Vec<u8>> {
    script
        .instructions()
        .map(|i| match i.unwrap() {
            bitcoin::script::Instruction::PushBytes(p) => p.as_bytes().to_vec(),
            bitcoin::script::Instruction::Op(op) => panic!("not a push: {op}"),
        })
        .collect()
}

/// Checks an ECDSA signature (DER plus sighash byte) by `pk` over input
/// `index` of `tx`: legacy when `segwit_amount` is `None`, else BIP143 with
/// that amount. `code` is the script code (for P2WPKH the P2WPKH program).
pub(super) fn assert_ecdsa(
    tx: &Transaction,
    index: usize,
    code: &Script,
    segwit_amount: Option<Amount>,
    sig: &[u8],
    pk: &[u8],
    ty: EcdsaSighashType,
) {
    let (der, last) = sig.split_at(sig.len() - 1);
    assert_eq!(u32::from(last[0]), ty.to_u32(), "sighash byte");
    // Low-R grinding keeps every signature at 71 bytes or fewer.
    assert!(sig.len() <= 71, "{} byte signature", sig.len());
    let mut cache = SighashCache::new(tx);
    let digest = match segwit_amount {
        None => cache
            .legacy_signature_hash(index, code, ty.to_u32())
            .unwrap()
            .to_byte_array(),
        Some(a) if code.is_p2wpkh() => cache
            .p2wpkh_signature_hash(index, code, a, ty)
            .unwrap()
            .to_byte_array(),
        Some(a) => cache
            .p2wsh_signature_hash(index, code, a, ty)
            .unwrap()
            .to_byte_array(),
    };
    let secp = bitcoin::secp256k1::Secp256k1::verification_only();
    let sig = ecdsa::Signature::from_der(der).unwrap();
    let pk = SecpPublicKey::from_slice(pk).unwrap();
    secp.verify_ecdsa(&Message::from_digest(digest), &sig, &pk)
        .expect("ECDSA signature verifies");
}

/// Checks a BIP341 key path signature of input `index` against the
/// output's key.
pub(super) fn assert_schnorr_key_path(tx: &Transaction, index: usize, spent: &[TxOut], sig: &[u8]) {
    let ty = match sig.len() {
        64 => TapSighashType::Default,
        65 => TapSighashType::from_consensus_u8(sig[64]).unwrap(),
        n => panic!("{n} byte schnorr signature"),
    };
    let digest = SighashCache::new(tx)
        .taproot_key_spend_signature_hash(index, &Prevouts::All(spent), ty)
        .unwrap();
    let spk = &spent[index].script_pubkey;
    let key = XOnlyPublicKey::from_slice(&spk.as_bytes()[2..34]).unwrap();
    let secp = bitcoin::secp256k1::Secp256k1::verification_only();
    secp.verify_schnorr(
        &schnorr::Signature::from_slice(&sig[..64]).unwrap(),
        &Message::from_digest(digest.to_byte_array()),
        &key,
    )
    .expect("Schnorr signature verifies");
}

/// The P2WPKH program of a key.
pub(super) fn wpkh_program(pk: &[u8]) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&PublicKey::from_slice(pk).unwrap().wpubkey_hash().unwrap())
}

/// Checks the four inputs spending one output of each default type (in
/// `OutputType::ALL` order) carry valid complete spends.
pub(super) fn assert_default_spends(tx: &Transaction, spent: &[TxOut], first: usize) {
    let all = EcdsaSighashType::All;
    // pkh: <sig> <pubkey>, nothing in the witness.
    let i = first;
    let items = push_items(&tx.input[i].script_sig);
    assert_eq!(items.len(), 2);
    assert!(tx.input[i].witness.is_empty());
    let pk = PublicKey::from_slice(&items[1]).unwrap();
    assert_eq!(
        ScriptBuf::new_p2pkh(&pk.pubkey_hash()),
        spent[i].script_pubkey
    );
    assert_ecdsa(
        tx,
        i,
        &spent[i].script_pubkey,
        None,
        &items[0],
        &items[1],
        all,
    );

    // sh(wpkh): the redeem script pushed, <sig> <pubkey> as witness.
    let i = first + 1;
    let w: Vec<Vec<u8>> = tx.input[i].witness.iter().map(<[u8]>::to_vec).collect();
    assert_eq!(w.len(), 2);
    let redeem = wpkh_program(&w[1]);
    assert_eq!(push_items(&tx.input[i].script_sig), vec![redeem.to_bytes()]);
    assert_eq!(redeem.to_p2sh(), spent[i].script_pubkey);
    assert_ecdsa(tx, i, &redeem, Some(spent[i].value), &w[0], &w[1], all);

    // wpkh: empty scriptSig, <sig> <pubkey>.
    let i = first + 2;
    let w: Vec<Vec<u8>> = tx.input[i].witness.iter().map(<[u8]>::to_vec).collect();
    assert!(tx.input[i].script_sig.is_empty());
    assert_eq!(w.len(), 2);
    assert_eq!(wpkh_program(&w[1]), spent[i].script_pubkey);
    assert_ecdsa(
        tx,
        i,
        &spent[i].script_pubkey,
        Some(spent[i].value),
        &w[0],
        &w[1],
        all,
    );

    // tr: one 64-byte signature (SIGHASH_DEFAULT).
    let i = first + 3;
    assert!(tx.input[i].script_sig.is_empty());
    assert_eq!(tx.input[i].witness.len(), 1);
    let sig = tx.input[i].witness.nth(0).unwrap();
    assert_eq!(sig.len(), 64);
    assert_schnorr_key_path(tx, i, spent, sig);
}

/// The 33-byte pushes of a script (its keys), in order.
pub(super) fn key_pushes(script: &Script) -> Vec<Vec<u8>> {
    script
        .instructions()
        .filter_map(|i| match i.unwrap() {
            bitcoin::script::Instruction::PushBytes(p) if p.len() == 33 => {
                Some(p.as_bytes().to_vec())
            }
            _ => None,
        })
        .collect()
}

/// The wallet's transaction lookup, knowing only `prev`.
pub(super) fn lookup(prev: &Transaction) -> impl Fn(&Txid) -> Option<Transaction> + '_ {
    move |txid| (*txid == prev.compute_txid()).then(|| prev.clone())
}

/// A wallet that knows no transactions.
pub(super) fn no_lookup(_: &Txid) -> Option<Transaction> {
    None
}
