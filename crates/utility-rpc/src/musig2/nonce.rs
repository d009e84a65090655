//! BIP327 nonce generation (`NonceGen`) and aggregation (`NonceAgg`).

use bitcoin::secp256k1::SecretKey;

use super::scalar::{self, Point, Scalar};
use super::{tagged_hash, Error};

/// Size of a serialized public nonce (two compressed points).
pub const PUBNONCE_SIZE: usize = 66;

/// A secret nonce: the two scalars and the signer's key they are bound to.
/// It cannot be copied or serialized, and signing consumes it, so one
/// nonce never signs twice (reuse would reveal the secret key).
pub struct SecNonce {
    k1: Scalar,
    k2: Scalar,
    pk: [u8; 33],
}

impl std::fmt::Debug for SecNonce {
    /// Only the key: the scalars are secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecNonce")
            .field("pk", &hex::encode(self.pk))
            .finish_non_exhaustive()
    }
}

impl Drop for SecNonce {
    fn drop(&mut self) {
        self.k1.erase();
        self.k2.erase();
    }
}

impl SecNonce {
    /// The two scalars and the bound key, taking them out (the nonce is
    /// left zero, which no signing accepts).
    pub(crate) fn take(mut self) -> (Scalar, Scalar, [u8; 33]) {
        let taken = (self.k1, self.k2, self.pk);
        self.k1.erase();
        self.k2.erase();
        taken
    }

    /// The BIP327 97-byte form, for test vectors only: a real secret nonce
    /// never leaves memory.
    #[cfg(test)]
    pub(crate) fn from_bytes(b: &[u8]) -> Option<SecNonce> {
        if b.len() != 97 {
            return None;
        }
        let k = |r: std::ops::Range<usize>| {
            let arr: [u8; 32] = b[r].try_into().ok()?;
            // Out of range values are kept as zero, which signing refuses.
            Some(Scalar::from_canonical(arr).unwrap_or(Scalar::ZERO))
        };
        Some(SecNonce {
            k1: k(0..32)?,
            k2: k(32..64)?,
            pk: b[64..97].try_into().ok()?,
        })
    }

    /// The 97-byte form, for test vectors only.
    #[cfg(test)]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        [&self.k1.to_bytes()[..], &self.k2.to_bytes(), &self.pk].concat()
    }
}

/// `NonceGen` with the randomness `rand` supplied (BIP327's
/// `NonceGenInternal`): `sk`, `aggpk` (x-only), `msg` and `extra_in` are
/// optional extra inputs that only harden the nonce against bad
/// randomness. Returns the secret nonce and the 66-byte public nonce.
pub fn nonce_gen(
    rand: &[u8; 32],
    sk: Option<&SecretKey>,
    pk: &[u8; 33],
    aggpk: Option<&[u8; 32]>,
    msg: Option<&[u8]>,
    extra_in: Option<&[u8]>,
) -> Result<(SecNonce, [u8; PUBNONCE_SIZE]), Error> {
    let mut rand = *rand;
    if let Some(sk) = sk {
        let aux = tagged_hash("MuSig/aux", &[&rand]);
        for (r, (s, a)) in rand.iter_mut().zip(sk.secret_bytes().iter().zip(aux)) {
            *r = s ^ a;
        }
    }
    let aggpk: &[u8] = aggpk.map_or(&[], |a| &a[..]);
    let mut msg_prefixed = Vec::new();
    match msg {
        None => msg_prefixed.push(0),
        Some(m) => {
            msg_prefixed.push(1);
            msg_prefixed.extend((m.len() as u64).to_be_bytes());
            msg_prefixed.extend(m);
        }
    }
    let extra_in = extra_in.unwrap_or(&[]);
    let extra_len = u32::try_from(extra_in.len()).map_err(|_| Error::InvalidInput)?;
    // Lengths are at most 33 bytes: they fit the one-byte prefixes.
    let k = |i: u8| {
        Scalar::reduce(tagged_hash(
            "MuSig/nonce",
            &[
                &rand,
                &[pk.len() as u8],
                pk,
                &[aggpk.len() as u8],
                aggpk,
                &msg_prefixed,
                &extra_len.to_be_bytes(),
                extra_in,
                &[i],
            ],
        ))
    };
    let (k1, k2) = (k(0), k(1));
    // Zero only with negligible probability.
    let (Some(r1), Some(r2)) = (scalar::base_mul(k1), scalar::base_mul(k2)) else {
        return Err(Error::InvalidInput);
    };
    let mut pubnonce = [0u8; PUBNONCE_SIZE];
    pubnonce[..33].copy_from_slice(&r1.serialize());
    pubnonce[33..].copy_from_slice(&r2.serialize());
    Ok((SecNonce { k1, k2, pk: *pk }, pubnonce))
}

/// `NonceAgg`: sums the first and the second points of the public nonces.
/// An invalid nonce is blamed by its index.
pub fn nonce_agg<N: AsRef<[u8]>>(pubnonces: &[N]) -> Result<[u8; PUBNONCE_SIZE], Error> {
    let mut out = [0u8; PUBNONCE_SIZE];
    for half in 0..2 {
        let mut sum: Point = None;
        for (i, n) in pubnonces.iter().enumerate() {
            let n = n.as_ref();
            if n.len() != PUBNONCE_SIZE {
                return Err(Error::InvalidPubnonce(i));
            }
            let r =
                scalar::cpoint(&n[half * 33..(half + 1) * 33]).ok_or(Error::InvalidPubnonce(i))?;
            sum = scalar::add(sum, Some(r));
        }
        out[half * 33..(half + 1) * 33].copy_from_slice(&scalar::cbytes_ext(sum));
    }
    Ok(out)
}

/// The public nonce of a secret nonce's scalars.
pub(crate) fn public_nonce(k1: Scalar, k2: Scalar) -> Option<[u8; PUBNONCE_SIZE]> {
    let mut out = [0u8; PUBNONCE_SIZE];
    out[..33].copy_from_slice(&scalar::base_mul(k1)?.serialize());
    out[33..].copy_from_slice(&scalar::base_mul(k2)?.serialize());
    Some(out)
}
