//! Producing scriptSigs and witnesses for PSBT inputs, as Core's
//! `ProduceSignature`/`SignStep`: signatures come from the PSBT (partial
//! signatures, taproot signatures) or are made with the keys of a
//! [`Keystore`]; what is missing (keys, signatures, scripts) is recorded for
//! `analyzepsbt`. A "dummy" creator makes placeholder signatures of the
//! right size for fee estimation.

use super::satisfier::Satisfier;
use crate::musig2;
use crate::rawtx::sign::{p2pkh_script, push_script, Keystore, TapSpendData};
use crate::script::{self, TxoutType};
use bitcoin::hashes::{hash160, ripemd160, Hash};
use bitcoin::key::{Keypair, TapTweak, XOnlyPublicKey};
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TapNodeHash};
use bitcoin::{Script, Transaction, TxOut};
use consensus::flags::{SCRIPT_VERIFY_TAPROOT, STANDARD_SCRIPT_VERIFY_FLAGS};
use consensus::ScriptVerifier;
use psbt::fields::TapKeyPaths;
use psbt::KeyOrigin;
use std::collections::{BTreeMap, BTreeSet};

const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
const LEAF_TAPSCRIPT: u8 = 0xc0;

/// Everything known about satisfying one input (Core's `SignatureData`).
#[derive(Default, Clone)]
pub struct SigData {
    /// Whether the scriptSig/witness below is complete and verifies.
    pub complete: bool,
    /// Whether a witness was produced.
    pub witness: bool,
    /// The scriptSig.
    pub script_sig: Vec<u8>,
    /// The witness stack.
    pub script_witness: Vec<Vec<u8>>,
    /// The redeem script used.
    pub redeem_script: Vec<u8>,
    /// The witness script used.
    pub witness_script: Vec<u8>,
    /// ECDSA signatures by key id: (public key, signature).
    pub signatures: BTreeMap<[u8; 20], (Vec<u8>, Vec<u8>)>,
    /// Public keys with origins, by key id.
    pub misc_pubkeys: BTreeMap<[u8; 20], (Vec<u8>, KeyOrigin)>,
    /// The taproot key-path signature.
    pub tap_key_sig: Vec<u8>,
    /// Taproot script-path signatures.
    pub tap_script_sigs: BTreeMap<([u8; 32], [u8; 32]), Vec<u8>>,
    /// Taproot spending data.
    pub tap_spend: TapSpendData,
    /// The output's taproot script tree from the keystore, in builder order.
    pub tap_tree: Vec<psbt::output::TapLeaf>,
    /// Taproot keys with origins.
    pub tap_misc_pubkeys: TapKeyPaths,
    /// Taproot keys by hash160 of the x-only key.
    pub tap_pubkeys: BTreeMap<[u8; 20], [u8; 32]>,
    /// SHA256 preimages.
    pub sha256_preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// HASH256 preimages.
    pub hash256_preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// RIPEMD160 preimages.
    pub ripemd160_preimages: BTreeMap<[u8; 20], Vec<u8>>,
    /// HASH160 preimages.
    pub hash160_preimages: BTreeMap<[u8; 20], Vec<u8>>,
    /// MuSig2 participants by aggregate key.
    pub musig2_participants: psbt::fields::Participants,
    /// MuSig2 public nonces.
    pub musig2_pubnonces: psbt::input::MusigData<Vec<u8>>,
    /// MuSig2 partial signatures.
    pub musig2_partial_sigs: psbt::input::MusigData<[u8; 32]>,
    /// Stack items of scriptSigs/witnesses already in copies of the input
    /// (`signrawtransactionwithkey`, `combinerawtransaction`): used as
    /// signatures when they verify and as public keys (Core's
    /// `DataFromTransaction`).
    pub candidates: Vec<Vec<u8>>,
    /// Key ids whose public key is unknown.
    pub missing_pubkeys: Vec<[u8; 20]>,
    /// Key ids whose signature is missing.
    pub missing_sigs: Vec<[u8; 20]>,
    /// Hash160 of a missing redeem script.
    pub missing_redeem_script: Option<[u8; 20]>,
    /// SHA256 of a missing witness script.
    pub missing_witness_script: Option<[u8; 32]>,
}

/// How signatures are made.
pub enum Creator<'a> {
    /// Real signatures over input `index` of `tx`.
    Real {
        /// The unsigned transaction.
        tx: &'a Transaction,
        /// The input index.
        index: usize,
        /// The spent amount.
        amount: i64,
        /// All spent outputs, when every one is known (taproot needs them).
        spent: Option<&'a [TxOut]>,
        /// The sighash type (0 is taproot's DEFAULT).
        sighash: i32,
    },
    /// Placeholder signatures of maximal size, for size estimates.
    Dummy,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum SigVersion {
    Base,
    WitnessV0,
}

fn keyid(pk: &[u8]) -> [u8; 20] {
    hash160::Hash::hash(pk).to_byte_array()
}

fn dummy_ecdsa() -> Vec<u8> {
    let mut s = vec![0u8; 71];
    s[0] = 0x30;
    s[1] = 68;
    s[2] = 0x02;
    s[3] = 32;
    s[4] = 0x01;
    s[36] = 0x02;
    s[37] = 32;
    s[38] = 0x01;
    s[70] = 0x01;
    s
}

impl Creator<'_> {
    fn ecdsa(&self, ks: &Keystore, pk: &[u8], code: &[u8], version: SigVersion) -> Option<Vec<u8>> {
        let Creator::Real {
            tx,
            index,
            amount,
            sighash,
            ..
        } = self
        else {
            return Some(dummy_ecdsa());
        };
        let key = ks.key(pk)?;
        if version == SigVersion::WitnessV0 && (pk.len() != 33 || !(0..=MAX_MONEY).contains(amount))
        {
            return None;
        }
        let ty = if *sighash == 0 { 1 } else { *sighash as u32 };
        let mut cache = SighashCache::new(*tx);
        let code = Script::from_bytes(code);
        let digest = match version {
            SigVersion::Base => cache
                .legacy_signature_hash(*index, code, ty)
                .ok()?
                .to_byte_array(),
            SigVersion::WitnessV0 => cache
                .p2wsh_signature_hash(
                    *index,
                    code,
                    bitcoin::Amount::from_sat(*amount as u64),
                    EcdsaSighashType::from_consensus(ty),
                )
                .ok()?
                .to_byte_array(),
        };
        let secp = Secp256k1::signing_only();
        let sig = secp.sign_ecdsa_low_r(&Message::from_digest(digest), key);
        let mut out = sig.serialize_der().to_vec();
        out.push(ty as u8);
        Some(out)
    }

    /// A BIP340 signature by `xonly`; `tweak` is `None` for an untweaked key,
    /// `Some(None)` for a key-path-only tweak, `Some(Some(root))` otherwise.
    pub(super) fn schnorr(
        &self,
        ks: &Keystore,
        xonly: &[u8; 32],
        leaf: Option<[u8; 32]>,
        tweak: Option<Option<[u8; 32]>>,
    ) -> Option<Vec<u8>> {
        let Creator::Real { sighash, .. } = self else {
            return Some(vec![0u8; 64]);
        };
        let key = xonly_secret(ks, xonly)?;
        let digest = self.tap_digest(leaf)?;
        let secp = Secp256k1::new();
        let mut keypair = Keypair::from_secret_key(&secp, &key);
        if let Some(root) = tweak {
            let root = root.map(TapNodeHash::from_byte_array);
            keypair = keypair.tap_tweak(&secp, root).to_keypair();
        }
        let sig =
            secp.sign_schnorr_with_aux_rand(&Message::from_digest(digest), &keypair, &[0u8; 32]);
        let mut out = sig.as_ref().to_vec();
        if *sighash != 0 {
            out.push(*sighash as u8);
        }
        Some(out)
    }
}

impl Creator<'_> {
    /// Whether `sig` (DER plus sighash byte) is a valid signature by `pk`
    /// for this input under `code`.
    fn verifies(&self, pk: &[u8], code: &[u8], version: SigVersion, sig: &[u8]) -> bool {
        let Creator::Real {
            tx, index, amount, ..
        } = self
        else {
            return false;
        };
        let (Some((&ty, der)), Ok(pubkey)) = (
            sig.split_last(),
            bitcoin::secp256k1::PublicKey::from_slice(pk),
        ) else {
            return false;
        };
        let Ok(mut parsed) = bitcoin::secp256k1::ecdsa::Signature::from_der_lax(der) else {
            return false;
        };
        parsed.normalize_s();
        let mut cache = SighashCache::new(*tx);
        let code = Script::from_bytes(code);
        let digest = match version {
            SigVersion::Base => cache
                .legacy_signature_hash(*index, code, ty as u32)
                .map(|h| h.to_byte_array())
                .ok(),
            SigVersion::WitnessV0 => cache
                .p2wsh_signature_hash(
                    *index,
                    code,
                    bitcoin::Amount::from_sat(*amount as u64),
                    EcdsaSighashType::from_consensus(ty as u32),
                )
                .map(|h| h.to_byte_array())
                .ok(),
        };
        let Some(digest) = digest else {
            return false;
        };
        Secp256k1::verification_only()
            .verify_ecdsa(&Message::from_digest(digest), &parsed, &pubkey)
            .is_ok()
    }

    /// The BIP341 signature hash for the key path (`leaf` None) or a leaf;
    /// needs every spent output.
    fn tap_digest(&self, leaf: Option<[u8; 32]>) -> Option<[u8; 32]> {
        let Creator::Real {
            tx,
            index,
            spent,
            sighash,
            ..
        } = self
        else {
            return None;
        };
        let prevouts = Prevouts::All((*spent)?);
        let ty = TapSighashType::from_consensus_u8(*sighash as u8).ok()?;
        let mut cache = SighashCache::new(*tx);
        let digest = match leaf {
            Some(l) => cache
                .taproot_script_spend_signature_hash(
                    *index,
                    &prevouts,
                    TapLeafHash::from_byte_array(l),
                    ty,
                )
                .ok()?,
            None => cache
                .taproot_key_spend_signature_hash(*index, &prevouts, ty)
                .ok()?,
        };
        Some(digest.to_byte_array())
    }

    fn sighash_byte(&self) -> Option<u8> {
        match self {
            Creator::Real { sighash, .. } if *sighash != 0 => Some(*sighash as u8),
            _ => None,
        }
    }
}

/// The private key for an x-only key, from taproot keys or either parity
/// of a full key (Core's `GetKeyByXOnly`).
fn xonly_secret(ks: &Keystore, xonly: &[u8; 32]) -> Option<SecretKey> {
    if let Some(k) = ks.xonly_key(xonly) {
        return Some(*k);
    }
    [2u8, 3].iter().find_map(|p| {
        let mut pk = vec![*p];
        pk.extend_from_slice(xonly);
        ks.key(&pk).copied()
    })
}

/// One signing pass over one input.
pub(super) struct Signer<'a> {
    pub(super) ks: &'a Keystore,
    pub(super) creator: &'a Creator<'a>,
}

impl Signer<'_> {
    pub(super) fn create_sig(
        &self,
        sd: &mut SigData,
        pk: &[u8],
        code: &[u8],
        version: SigVersion,
    ) -> Option<Vec<u8>> {
        let id = keyid(pk);
        if let Some((_, sig)) = sd.signatures.get(&id) {
            return Some(sig.clone());
        }
        // Signatures already in the transaction come first, as Core extracts
        // them before signing.
        let existing = sd
            .candidates
            .iter()
            .find(|c| self.creator.verifies(pk, code, version, c))
            .cloned();
        if let Some(sig) = existing {
            sd.signatures.insert(id, (pk.to_vec(), sig.clone()));
            return Some(sig);
        }
        if let Some(origin) = self.ks.origin(&id) {
            sd.misc_pubkeys
                .entry(id)
                .or_insert((pk.to_vec(), origin.clone()));
        }
        match self.creator.ecdsa(self.ks, pk, code, version) {
            Some(sig) => {
                sd.signatures.insert(id, (pk.to_vec(), sig.clone()));
                Some(sig)
            }
            None => {
                sd.missing_sigs.push(id);
                None
            }
        }
    }

    pub(super) fn pubkey(&self, sd: &SigData, id: &[u8; 20]) -> Option<Vec<u8>> {
        if let Some((pk, _)) = sd.signatures.get(id) {
            return Some(pk.clone());
        }
        if let Some((pk, _)) = sd.misc_pubkeys.get(id) {
            return Some(pk.clone());
        }
        if let Some(x) = sd.tap_pubkeys.get(id) {
            let mut pk = vec![2u8];
            pk.extend_from_slice(x);
            return Some(pk);
        }
        if let Some(pk) = self.ks.pubkey(id) {
            return Some(pk.clone());
        }
        sd.candidates
            .iter()
            .find(|c| script::pubkey_valid_size(c) && keyid(c) == *id)
            .cloned()
    }

    fn cscript(&self, sd: &SigData, id: &[u8; 20]) -> Option<Vec<u8>> {
        if let Some(s) = self.ks.script(id) {
            return Some(s.clone());
        }
        [&sd.redeem_script, &sd.witness_script]
            .into_iter()
            .find(|s| keyid(s) == *id)
            .cloned()
    }

    /// Core's `SignStep`: (solved, type, stack).
    fn step(
        &self,
        sd: &mut SigData,
        spk: &[u8],
        version: SigVersion,
    ) -> (bool, TxoutType, Vec<Vec<u8>>) {
        let (ty, sol) = script::solve(spk);
        let mut ret = Vec::new();
        let ok = match ty {
            TxoutType::NonStandard | TxoutType::NullData | TxoutType::WitnessUnknown => false,
            TxoutType::PubKey => match self.create_sig(sd, &sol[0], spk, version) {
                Some(sig) => {
                    ret.push(sig);
                    true
                }
                None => false,
            },
            TxoutType::PubKeyHash => {
                let id: [u8; 20] = sol[0].as_slice().try_into().unwrap_or([0; 20]);
                match self.pubkey(sd, &id) {
                    None => {
                        sd.missing_pubkeys.push(id);
                        false
                    }
                    Some(pk) => match self.create_sig(sd, &pk, spk, version) {
                        Some(sig) => {
                            ret.push(sig);
                            ret.push(pk);
                            true
                        }
                        None => false,
                    },
                }
            }
            TxoutType::ScriptHash => {
                let id: [u8; 20] = sol[0].as_slice().try_into().unwrap_or([0; 20]);
                match self.cscript(sd, &id) {
                    Some(s) => {
                        ret.push(s);
                        true
                    }
                    None => {
                        sd.missing_redeem_script = Some(id);
                        false
                    }
                }
            }
            TxoutType::Multisig => {
                let required = sol[0].first().copied().unwrap_or(0) as usize;
                ret.push(Vec::new());
                for pk in &sol[1..sol.len() - 1] {
                    // Every key is tried so all signatures that can be made are recorded.
                    if let Some(sig) = self.create_sig(sd, pk, spk, version) {
                        if ret.len() < required + 1 {
                            ret.push(sig);
                        }
                    }
                }
                let ok = ret.len() == required + 1;
                while ret.len() < required + 1 {
                    ret.push(Vec::new());
                }
                ok
            }
            TxoutType::WitnessV0KeyHash => {
                ret.push(sol[0].clone());
                true
            }
            TxoutType::WitnessV0ScriptHash => {
                let id = ripemd160::Hash::hash(&sol[0]).to_byte_array();
                match self.cscript(sd, &id) {
                    Some(s) => {
                        ret.push(s);
                        true
                    }
                    None => {
                        sd.missing_witness_script = sol[0].as_slice().try_into().ok();
                        false
                    }
                }
            }
            TxoutType::WitnessV1Taproot => {
                let out: [u8; 32] = sol[0].as_slice().try_into().unwrap_or([0; 32]);
                match self.taproot(sd, out) {
                    Some(stack) => {
                        ret = stack;
                        true
                    }
                    None => false,
                }
            }
            TxoutType::Anchor => true,
        };
        (ok, ty, ret)
    }

    pub(super) fn note_tap_origin(
        &self,
        sd: &mut SigData,
        xonly: [u8; 32],
        leaf: Option<[u8; 32]>,
    ) {
        if let Some(origin) = self.ks.tap_origin(&xonly) {
            let entry = sd
                .tap_misc_pubkeys
                .entry(xonly)
                .or_insert_with(|| (BTreeSet::new(), origin.clone()));
            if let Some(l) = leaf {
                entry.0.insert(l);
            }
        }
    }

    /// Core's `SignTaproot`: a key-path signature, else the smallest
    /// satisfiable script path.
    fn taproot(&self, sd: &mut SigData, output: [u8; 32]) -> Option<Vec<Vec<u8>>> {
        if let Some(data) = self.ks.tap_spend(&output) {
            sd.tap_spend.merge(data);
        }
        if let Some(tree) = self.ks.tap_tree(&output) {
            sd.tap_tree = tree.clone();
        }
        let internal = sd.tap_spend.internal_key.unwrap_or([0; 32]);
        if sd.tap_spend.internal_key.is_some() {
            self.note_tap_origin(sd, internal, None);
        }
        self.note_tap_origin(sd, output, None);
        if sd.tap_key_sig.is_empty() {
            let root = sd.tap_spend.merkle_root;
            match self.creator.schnorr(self.ks, &internal, None, Some(root)) {
                Some(sig) => sd.tap_key_sig = sig,
                None => self.musig(sd, internal, Some(root), None),
            }
        }
        if sd.tap_key_sig.is_empty() {
            match self.creator.schnorr(self.ks, &output, None, None) {
                Some(sig) => sd.tap_key_sig = sig,
                None => self.musig(sd, output, None, None),
            }
        }
        if !sd.tap_key_sig.is_empty() {
            return Some(vec![sd.tap_key_sig.clone()]);
        }
        let mut best: Option<Vec<Vec<u8>>> = None;
        let leaves: Vec<_> = sd
            .tap_spend
            .scripts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for ((leaf_script, ver), blocks) in leaves {
            let Some(mut stack) = self.tap_leaf(sd, &leaf_script, ver) else {
                continue;
            };
            stack.push(leaf_script.clone());
            if let Some(cb) = blocks.iter().next() {
                stack.push(cb.0.clone());
            }
            if best
                .as_ref()
                .is_none_or(|b| stack_size(&stack) < stack_size(b))
            {
                best = Some(stack);
            }
        }
        best
    }

    /// Core's `SignMuSig2`, aggregating half: for each MuSig2 aggregate key
    /// that is (or derives) `key`, combine the participants' partial
    /// signatures into the key-path (`leaf` None) or leaf signature.
    /// `merkle_root` is `Some` for a key-path spend of a tweaked key.
    pub(super) fn musig(
        &self,
        sd: &mut SigData,
        key: [u8; 32],
        merkle_root: Option<Option<[u8; 32]>>,
        leaf: Option<[u8; 32]>,
    ) {
        let origin = sd.tap_misc_pubkeys.get(&key).map(|(_, o)| o.clone());
        for (agg, parts) in sd.musig2_participants.clone() {
            if parts.is_empty() {
                continue;
            }
            for part in &parts {
                if let Some(o) = self.ks.origin(&keyid(part)) {
                    let x: [u8; 32] = part[1..].try_into().unwrap_or([0; 32]);
                    let e = sd
                        .tap_misc_pubkeys
                        .entry(x)
                        .or_insert_with(|| (BTreeSet::new(), o.clone()));
                    if let Some(l) = leaf {
                        e.0.insert(l);
                    }
                }
            }
            let Ok(agg_pk) = bitcoin::secp256k1::PublicKey::from_slice(&agg) else {
                continue;
            };
            let agg_origin = origin.as_ref().map(|o| (o.fingerprint, o.path.as_slice()));
            let root = merkle_root
                .filter(|_| leaf.is_none())
                .map(|r| r.map(TapNodeHash::from_byte_array));
            let Some((tweaks, plain)) = musig2::session_key(&agg_pk, &key, agg_origin, root) else {
                continue;
            };
            let lookup = (plain.serialize().to_vec(), leaf.unwrap_or([0; 32]));
            let (Some(nonces), Some(psigs)) = (
                sd.musig2_pubnonces.get(&lookup),
                sd.musig2_partial_sigs.get(&lookup),
            ) else {
                continue;
            };
            let Some(msg) = self.creator.tap_digest(leaf) else {
                continue;
            };
            if let Some(sig) =
                musig2::create_aggregate_sig(&parts, &agg, &tweaks, &msg, nonces, psigs)
            {
                let mut sig = sig.to_vec();
                sig.extend(self.creator.sighash_byte());
                match leaf {
                    None => sd.tap_key_sig = sig,
                    Some(l) => {
                        sd.tap_script_sigs.insert((key, l), sig);
                    }
                }
            }
        }
    }

    fn tap_leaf(&self, sd: &mut SigData, leaf_script: &[u8], ver: u8) -> Option<Vec<Vec<u8>>> {
        if ver != LEAF_TAPSCRIPT {
            return None;
        }
        let leaf =
            TapLeafHash::from_script(Script::from_bytes(leaf_script), LeafVersion::TapScript)
                .to_byte_array();
        // A padded leaf is read as the expression its `OP_0NOTEQUAL` run
        // wraps, which has the same satisfactions; signatures still
        // commit to the whole leaf.
        let (inner, _) = crate::leaf_padding::split_script(Script::from_bytes(leaf_script));
        let ms = miniscript::Miniscript::<XOnlyPublicKey, miniscript::Tap>::parse_with_ext(
            inner,
            &from_script(),
        )
        .ok()?;
        let sat = Satisfier::new(self, sd, Some(leaf), leaf_script);
        let ms = with_pkh_keys(ms, &sat);
        let result = ms.satisfy(&sat);
        *sd = sat.into_sigdata();
        result.ok()
    }

    /// Core's `WshSatisfier`: a miniscript satisfaction of witness script `ws`.
    fn wsh_miniscript(&self, sd: &mut SigData, ws: &[u8]) -> Option<Vec<Vec<u8>>> {
        let ms =
            miniscript::Miniscript::<bitcoin::PublicKey, miniscript::Segwitv0>::parse_with_ext(
                Script::from_bytes(ws),
                &from_script(),
            )
            .ok()?;
        let sat = Satisfier::new(self, sd, None, ws);
        let result = ms.satisfy(&sat);
        *sd = sat.into_sigdata();
        result.ok()
    }
}

/// `ms` with each key hash of a `pkh()` replaced by its x-only key where
/// the satisfier knows it. The `miniscript` crate cannot satisfy a bare key
/// hash in tapscript (it would push the key in its 33-byte form), so a
/// tapscript `pkh()` is only satisfiable once its key is in the script.
fn with_pkh_keys(
    ms: miniscript::Miniscript<XOnlyPublicKey, miniscript::Tap>,
    sat: &Satisfier<'_>,
) -> miniscript::Miniscript<XOnlyPublicKey, miniscript::Tap> {
    let mut hashes = Vec::new();
    for node in ms.iter() {
        if let miniscript::Terminal::RawPkH(h) = node.node {
            hashes.push(h);
        }
    }
    if hashes.is_empty() {
        return ms;
    }
    // The text form names a bare key hash `expr_raw_pk_h(H)` (`expr_raw_pkh`
    // under `c:`), a known key `pk_h(K)` (`pkh`).
    let mut text = ms.to_string();
    for h in hashes {
        if let Some(k) = sat.xonly_for_hash(&h) {
            text = text
                .replace(&format!("expr_raw_pkh({h})"), &format!("pkh({k})"))
                .replace(&format!("expr_raw_pk_h({h})"), &format!("pk_h({k})"));
        }
    }
    miniscript::Miniscript::from_str_ext(&text, &from_script()).unwrap_or(ms)
}

/// What Core's `miniscript::FromScript` accepts: any valid miniscript, sane
/// or not, with `pkh` decoded as a bare key hash (the script holds no key;
/// the satisfier finds it by its hash). Only non-malleable satisfactions
/// are made from it, as Core's, so an insane script is never completed
/// unsafely.
fn from_script() -> miniscript::ExtParams {
    miniscript::ExtParams::allow_all()
}

fn stack_size(stack: &[Vec<u8>]) -> usize {
    let mut v = Vec::new();
    psbt::tx::write_stack(&mut v, stack);
    v.len()
}

/// Verifies input `index` of `tx` carrying `script_sig`/`witness` against
/// `spent` with standard flags; taproot needs every spent output.
pub fn verify_input(
    tx: &Transaction,
    index: usize,
    script_sig: &[u8],
    witness: &[Vec<u8>],
    spent: &TxOut,
    all_spent: Option<&[TxOut]>,
) -> bool {
    let mut tx = tx.clone();
    let Some(input) = tx.input.get_mut(index) else {
        return false;
    };
    input.script_sig = bitcoin::ScriptBuf::from_bytes(script_sig.to_vec());
    input.witness = bitcoin::Witness::from_slice(witness);
    let (flags, all) = match all_spent {
        Some(a) => (STANDARD_SCRIPT_VERIFY_FLAGS, a),
        None if spent.script_pubkey.is_p2tr() => return false,
        None => (
            STANDARD_SCRIPT_VERIFY_FLAGS & !SCRIPT_VERIFY_TAPROOT,
            &[][..],
        ),
    };
    let bytes = psbt::tx::serialize_tx(&tx, true);
    consensus::ConsensusScriptVerifier
        .verify_input(spent, &bytes, index, flags, all)
        .is_ok()
}

/// Core's `ProduceSignature` for an output script `spk`, filling `sd`.
pub fn produce_signature(ks: &Keystore, creator: &Creator, spk: &[u8], sd: &mut SigData) -> bool {
    if sd.complete {
        return true;
    }
    let signer = Signer { ks, creator };
    let (mut solved, mut ty, mut result) = signer.step(sd, spk, SigVersion::Base);
    let mut p2sh = false;
    let mut subscript = Vec::new();
    if solved && ty == TxoutType::ScriptHash {
        subscript = result[0].clone();
        sd.redeem_script = subscript.clone();
        let (ok, t, r) = signer.step(sd, &subscript, SigVersion::Base);
        solved = ok && t != TxoutType::ScriptHash;
        ty = t;
        result = r;
        p2sh = true;
    }
    if solved && ty == TxoutType::WitnessV0KeyHash {
        let code = p2pkh_script(&result[0]);
        let (ok, _, r) = signer.step(sd, &code, SigVersion::WitnessV0);
        solved = ok;
        sd.script_witness = r;
        sd.witness = true;
        result.clear();
    } else if solved && ty == TxoutType::WitnessV0ScriptHash {
        let ws = result[0].clone();
        sd.witness_script = ws.clone();
        let (ok, sub, mut r) = signer.step(sd, &ws, SigVersion::WitnessV0);
        solved = ok
            && !matches!(
                sub,
                TxoutType::ScriptHash
                    | TxoutType::WitnessV0ScriptHash
                    | TxoutType::WitnessV0KeyHash
            );
        // Scripts the templates do not solve may still be miniscript; a
        // partial template stack (multisig) is kept for later combining.
        if !solved && r.is_empty() {
            if let Some(stack) = signer.wsh_miniscript(sd, &ws) {
                r = stack;
                solved = true;
            }
        }
        r.push(ws);
        sd.script_witness = r;
        sd.witness = true;
        result.clear();
    } else if ty == TxoutType::WitnessV1Taproot && !p2sh {
        sd.witness = true;
        if solved {
            sd.script_witness = std::mem::take(&mut result);
        }
        result.clear();
    } else if solved && ty == TxoutType::WitnessUnknown {
        sd.witness = true;
    }
    if !sd.witness {
        sd.script_witness.clear();
    }
    if p2sh {
        result.push(subscript);
    }
    sd.script_sig = push_script(&result).into_bytes();
    sd.complete = solved
        && match creator {
            Creator::Dummy => true,
            Creator::Real {
                tx,
                index,
                amount,
                spent,
                ..
            } => verify_input(
                tx,
                *index,
                &sd.script_sig,
                &sd.script_witness,
                &TxOut {
                    value: bitcoin::Amount::from_sat(*amount as u64),
                    script_pubkey: bitcoin::ScriptBuf::from_bytes(spk.to_vec()),
                },
                *spent,
            ),
        };
    sd.complete
}
