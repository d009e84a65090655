//! Miniscript satisfaction for PSBT signing (Core's `WshSatisfier` and
//! `TapSatisfier`): signatures come from the PSBT or are made with the
//! keystore, preimages from the PSBT, and timelocks are checked against
//! the transaction being signed.

use super::signer::{Creator, SigData, SigVersion, Signer};
use bitcoin::hashes::{hash160, ripemd160, sha256, sha256d, Hash};
use bitcoin::key::XOnlyPublicKey;
use bitcoin::taproot::TapLeafHash;
use bitcoin::{absolute, relative};
use std::cell::RefCell;

/// Satisfies one script (a witness script, or a tapscript leaf `leaf`).
pub(super) struct Satisfier<'a> {
    signer: &'a Signer<'a>,
    sd: RefCell<SigData>,
    leaf: Option<[u8; 32]>,
    code: Vec<u8>,
}

impl<'a> Satisfier<'a> {
    /// Borrows `sd` for the satisfaction; give it back with `into_sigdata`.
    pub(super) fn new(
        signer: &'a Signer<'a>,
        sd: &mut SigData,
        leaf: Option<[u8; 32]>,
        code: &[u8],
    ) -> Self {
        Satisfier {
            signer,
            sd: RefCell::new(std::mem::take(sd)),
            leaf,
            code: code.to_vec(),
        }
    }

    /// The signing data, with what the satisfaction added.
    pub(super) fn into_sigdata(self) -> SigData {
        self.sd.into_inner()
    }

    /// The x-only key whose hash a tapscript `pkh()` names: from the PSBT's
    /// taproot origins, the keystore, or a signature the PSBT holds for it.
    pub(super) fn xonly_for_hash(&self, h: &hash160::Hash) -> Option<XOnlyPublicKey> {
        let id = h.to_byte_array();
        let sd = self.sd.borrow();
        let known = self.signer.pubkey(&sd, &id).and_then(|pk| match pk.len() {
            33 => pk.get(1..).map(<[u8]>::to_vec),
            _ => Some(pk),
        });
        let from_sigs = || {
            sd.tap_script_sigs
                .keys()
                .map(|(x, _)| *x)
                .find(|x| hash160::Hash::hash(x).to_byte_array() == id)
                .map(|x| x.to_vec())
        };
        XOnlyPublicKey::from_slice(&known.or_else(from_sigs)?).ok()
    }

    fn preimage(&self, pick: impl Fn(&SigData) -> Option<&Vec<u8>>) -> Option<[u8; 32]> {
        let sd = self.sd.borrow();
        pick(&sd).and_then(|v| v.as_slice().try_into().ok())
    }

    /// The input being signed, if signing for real (dummy signing accepts
    /// every timelock, as Core's dummy checker).
    fn input(&self) -> Option<(&bitcoin::Transaction, usize)> {
        match self.signer.creator {
            Creator::Real { tx, index, .. } => Some((tx, *index)),
            Creator::Dummy => None,
        }
    }

    fn after(&self, n: absolute::LockTime) -> bool {
        let Some((tx, index)) = self.input() else {
            return true;
        };
        // BIP65: same unit, reached, and the input does not disable locktime.
        let final_seq = tx.input.get(index).is_some_and(|i| i.sequence.is_final());
        !final_seq
            && tx.lock_time.is_same_unit(n)
            && n.to_consensus_u32() <= tx.lock_time.to_consensus_u32()
    }

    fn older(&self, n: relative::LockTime) -> bool {
        let Some((tx, index)) = self.input() else {
            return true;
        };
        if tx.version.0 < 2 {
            return false;
        }
        let Some(seq) = tx.input.get(index).map(|i| i.sequence) else {
            return false;
        };
        match seq.to_relative_lock_time() {
            Some(have) => n.is_implied_by(have),
            None => false,
        }
    }
}

impl miniscript::Satisfier<bitcoin::PublicKey> for Satisfier<'_> {
    fn lookup_ecdsa_sig(&self, pk: &bitcoin::PublicKey) -> Option<bitcoin::ecdsa::Signature> {
        let mut sd = self.sd.borrow_mut();
        let sig =
            self.signer
                .create_sig(&mut sd, &pk.to_bytes(), &self.code, SigVersion::WitnessV0)?;
        bitcoin::ecdsa::Signature::from_slice(&sig).ok()
    }

    fn lookup_raw_pkh_pk(&self, h: &hash160::Hash) -> Option<bitcoin::PublicKey> {
        let sd = self.sd.borrow();
        let pk = self.signer.pubkey(&sd, &h.to_byte_array())?;
        bitcoin::PublicKey::from_slice(&pk).ok()
    }

    fn lookup_raw_pkh_ecdsa_sig(
        &self,
        h: &hash160::Hash,
    ) -> Option<(bitcoin::PublicKey, bitcoin::ecdsa::Signature)> {
        let pk = <Self as miniscript::Satisfier<bitcoin::PublicKey>>::lookup_raw_pkh_pk(self, h)?;
        let sig = <Self as miniscript::Satisfier<bitcoin::PublicKey>>::lookup_ecdsa_sig(self, &pk)?;
        Some((pk, sig))
    }

    fn lookup_sha256(&self, h: &sha256::Hash) -> Option<[u8; 32]> {
        self.preimage(|sd| sd.sha256_preimages.get(&h.to_byte_array()))
    }

    fn lookup_hash256(&self, h: &miniscript::hash256::Hash) -> Option<[u8; 32]> {
        let key = sha256d::Hash::from_byte_array(h.to_byte_array()).to_byte_array();
        self.preimage(|sd| sd.hash256_preimages.get(&key))
    }

    fn lookup_ripemd160(&self, h: &ripemd160::Hash) -> Option<[u8; 32]> {
        self.preimage(|sd| sd.ripemd160_preimages.get(&h.to_byte_array()))
    }

    fn lookup_hash160(&self, h: &hash160::Hash) -> Option<[u8; 32]> {
        self.preimage(|sd| sd.hash160_preimages.get(&h.to_byte_array()))
    }

    fn check_older(&self, n: relative::LockTime) -> bool {
        self.older(n)
    }

    fn check_after(&self, n: absolute::LockTime) -> bool {
        self.after(n)
    }
}

impl miniscript::Satisfier<XOnlyPublicKey> for Satisfier<'_> {
    fn lookup_tap_leaf_script_sig(
        &self,
        pk: &XOnlyPublicKey,
        _: &TapLeafHash,
    ) -> Option<bitcoin::taproot::Signature> {
        let leaf = self.leaf?;
        let xonly = pk.serialize();
        let mut sd = self.sd.borrow_mut();
        self.signer.note_tap_origin(&mut sd, xonly, Some(leaf));
        let key = (xonly, leaf);
        if !sd.tap_script_sigs.contains_key(&key) {
            match self
                .signer
                .creator
                .schnorr(self.signer.ks, &xonly, Some(leaf), None)
            {
                Some(s) => {
                    sd.tap_script_sigs.entry(key).or_insert(s);
                }
                None => self.signer.musig(&mut sd, xonly, None, Some(leaf)),
            }
        }
        bitcoin::taproot::Signature::from_slice(sd.tap_script_sigs.get(&key)?).ok()
    }

    fn lookup_sha256(&self, h: &sha256::Hash) -> Option<[u8; 32]> {
        <Self as miniscript::Satisfier<bitcoin::PublicKey>>::lookup_sha256(self, h)
    }

    fn lookup_hash256(&self, h: &miniscript::hash256::Hash) -> Option<[u8; 32]> {
        <Self as miniscript::Satisfier<bitcoin::PublicKey>>::lookup_hash256(self, h)
    }

    fn lookup_ripemd160(&self, h: &ripemd160::Hash) -> Option<[u8; 32]> {
        <Self as miniscript::Satisfier<bitcoin::PublicKey>>::lookup_ripemd160(self, h)
    }

    fn lookup_hash160(&self, h: &hash160::Hash) -> Option<[u8; 32]> {
        <Self as miniscript::Satisfier<bitcoin::PublicKey>>::lookup_hash160(self, h)
    }

    fn check_older(&self, n: relative::LockTime) -> bool {
        self.older(n)
    }

    fn check_after(&self, n: absolute::LockTime) -> bool {
        self.after(n)
    }
}
