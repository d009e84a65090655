//! A BIP327 signing session (`GetSessionValues`): partial signing
//! (`Sign`), partial signature verification (`PartialSigVerify`) and
//! aggregation into a BIP340 signature (`PartialSigAgg`).

use bitcoin::secp256k1::{PublicKey, SecretKey};

use super::keyagg::{KeyAggContext, Tweak};
use super::nonce::{nonce_agg, public_nonce, SecNonce};
use super::scalar::{self, has_even_y, Scalar};
use super::{tagged_hash, Error};

/// The values every signer derives from the (tweaked) key aggregation, the
/// aggregate nonce and the message: the nonce coefficient `b`, the final
/// nonce `R` and the challenge `e`.
#[derive(Debug, Clone)]
pub struct Session {
    keyagg: KeyAggContext,
    b: Scalar,
    r: PublicKey,
    e: Scalar,
}

impl Session {
    /// `GetSessionValues` for `keyagg` (tweaks applied), the 66-byte
    /// aggregate nonce and the message.
    pub fn new(keyagg: KeyAggContext, aggnonce: &[u8], msg: &[u8]) -> Result<Session, Error> {
        if aggnonce.len() != 66 {
            return Err(Error::InvalidAggnonce);
        }
        let qx = keyagg.xonly();
        let b = Scalar::reduce(tagged_hash("MuSig/noncecoef", &[aggnonce, &qx, msg]));
        let r1 = scalar::cpoint_ext(&aggnonce[..33]).ok_or(Error::InvalidAggnonce)?;
        let r2 = scalar::cpoint_ext(&aggnonce[33..]).ok_or(Error::InvalidAggnonce)?;
        // An infinite nonce makes R the generator, as BIP327 specifies.
        let r = scalar::add(r1, scalar::mul(r2, b))
            .or_else(|| scalar::base_mul(Scalar::one()))
            .ok_or(Error::InvalidAggnonce)?;
        let e = Scalar::reduce(tagged_hash(
            "BIP0340/challenge",
            &[&scalar::xbytes(&r), &qx, msg],
        ));
        Ok(Session { keyagg, b, r, e })
    }

    /// `g·gacc` is -1 (`g` being the sign making `Q`'s y even).
    fn key_negated(&self) -> bool {
        !has_even_y(&self.keyagg.aggregate()) ^ self.keyagg.gacc_negated()
    }

    /// `Sign`: the partial signature of the holder of `sk` with the secret
    /// nonce it generated, which is consumed. The result is verified
    /// before it is returned.
    pub fn sign(&self, secnonce: SecNonce, sk: &SecretKey) -> Result<[u8; 32], Error> {
        let (k1_, k2_, nonce_pk) = secnonce.take();
        if k1_.is_zero() || k2_.is_zero() {
            return Err(Error::InvalidSecNonce);
        }
        let even_r = has_even_y(&self.r);
        let (k1, k2) = (k1_.neg_if(!even_r), k2_.neg_if(!even_r));
        let pk = PublicKey::from_secret_key(scalar::secp(), sk).serialize();
        if pk != nonce_pk {
            return Err(Error::SecNonceKeyMismatch);
        }
        if !self.keyagg.contains(&pk) {
            return Err(Error::NotAParticipant);
        }
        let a = self.keyagg.coefficient_of(&pk);
        let d = Scalar::from_secret(sk).neg_if(self.key_negated());
        let s = k1.add(self.b.mul(k2)).add(self.e.mul(a).mul(d));
        let psig = s.to_bytes();
        let pubnonce = public_nonce(k1_, k2_).ok_or(Error::InvalidSecNonce)?;
        if !self.verify_partial(&psig, &pubnonce, &pk)? {
            return Err(Error::InvalidPartialSig(None));
        }
        Ok(psig)
    }

    /// `PartialSigVerifyInternal`: whether `psig` is the partial signature
    /// of participant `pk` with public nonce `pubnonce`.
    pub fn verify_partial(
        &self,
        psig: &[u8; 32],
        pubnonce: &[u8],
        pk: &[u8],
    ) -> Result<bool, Error> {
        let Some(s) = Scalar::from_canonical(*psig) else {
            return Ok(false);
        };
        if pubnonce.len() != 66 {
            return Err(Error::InvalidPubnonce(0));
        }
        let r1 = scalar::cpoint(&pubnonce[..33]).ok_or(Error::InvalidPubnonce(0))?;
        let r2 = scalar::cpoint(&pubnonce[33..]).ok_or(Error::InvalidPubnonce(0))?;
        let re = scalar::add(Some(r1), scalar::mul(Some(r2), self.b));
        let re = if has_even_y(&self.r) {
            re
        } else {
            scalar::neg(re)
        };
        let p = scalar::cpoint(pk).ok_or(Error::InvalidPubkey(0))?;
        let ser = p.serialize();
        if !self.keyagg.contains(&ser) {
            return Err(Error::NotAParticipant);
        }
        let a = self.keyagg.coefficient_of(&ser);
        let ea = self.e.mul(a).neg_if(self.key_negated());
        let rhs = scalar::add(re, scalar::mul(Some(p), ea));
        Ok(scalar::base_mul(s) == rhs)
    }

    /// `PartialSigAgg`: the BIP340 signature (`R`'s x coordinate and `s`)
    /// from every participant's partial signature. An out-of-range partial
    /// signature is blamed by its index.
    pub fn aggregate(&self, psigs: &[[u8; 32]]) -> Result<[u8; 64], Error> {
        let mut s = Scalar::ZERO;
        for (i, p) in psigs.iter().enumerate() {
            s = s.add(Scalar::from_canonical(*p).ok_or(Error::InvalidPartialSig(Some(i)))?);
        }
        let g_negated = !has_even_y(&self.keyagg.aggregate());
        s = s.add(self.e.mul(self.keyagg.tacc()).neg_if(g_negated));
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&scalar::xbytes(&self.r));
        sig[32..].copy_from_slice(&s.to_bytes());
        Ok(sig)
    }
}

/// `PartialSigVerify`: whether `psig` is participant `i`'s partial
/// signature of `msg` in the session of these nonces, keys and tweaks.
pub fn partial_sig_verify<N: AsRef<[u8]>, K: AsRef<[u8]>>(
    psig: &[u8; 32],
    pubnonces: &[N],
    pubkeys: &[K],
    tweaks: &[Tweak],
    msg: &[u8],
    i: usize,
) -> Result<bool, Error> {
    if pubnonces.len() != pubkeys.len() {
        return Err(Error::InvalidInput);
    }
    let aggnonce = nonce_agg(pubnonces)?;
    let mut keyagg = KeyAggContext::new(pubkeys)?;
    keyagg.apply_tweaks(tweaks)?;
    let session = Session::new(keyagg, &aggnonce, msg)?;
    let (Some(nonce), Some(pk)) = (pubnonces.get(i), pubkeys.get(i)) else {
        return Err(Error::InvalidInput);
    };
    session
        .verify_partial(psig, nonce.as_ref(), pk.as_ref())
        .map_err(|e| match e {
            Error::InvalidPubnonce(_) => Error::InvalidPubnonce(i),
            Error::InvalidPubkey(_) => Error::InvalidPubkey(i),
            other => other,
        })
}
