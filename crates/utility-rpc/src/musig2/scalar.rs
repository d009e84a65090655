//! Integers mod the curve order and points that may be infinity, on the
//! operations `secp256k1` offers for secret and public keys: the crate has
//! no scalar type holding zero and no point at infinity, which BIP327
//! needs (a zero tweak accumulator, an infinite nonce half).

use bitcoin::secp256k1::{self, All, PublicKey, Secp256k1, SecretKey};
use std::sync::OnceLock;

/// The curve order n.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// One context for every MuSig2 operation: creating one per call would
/// cost more than the arithmetic.
pub(crate) fn secp() -> &'static Secp256k1<All> {
    static CTX: OnceLock<Secp256k1<All>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::new)
}

/// An integer mod n. Zero is `None`, as `SecretKey` cannot hold it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scalar(Option<SecretKey>);

impl std::fmt::Debug for Scalar {
    /// Never prints the value: scalars hold nonces and keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scalar(..)")
    }
}

impl Scalar {
    /// Zero.
    pub const ZERO: Scalar = Scalar(None);

    /// One.
    pub fn one() -> Scalar {
        let mut b = [0u8; 32];
        b[31] = 1;
        Scalar(SecretKey::from_slice(&b).ok())
    }

    /// A 256-bit big-endian integer reduced mod n (BIP327's `int(x) mod n`).
    pub fn reduce(mut b: [u8; 32]) -> Scalar {
        // Any 256-bit value is below 2n: one subtraction suffices.
        if b >= ORDER {
            let mut borrow = 0i16;
            for i in (0..32).rev() {
                let d = i16::from(b[i]) - i16::from(ORDER[i]) - borrow;
                borrow = i16::from(d < 0);
                b[i] = d.rem_euclid(256) as u8;
            }
        }
        Scalar(SecretKey::from_slice(&b).ok())
    }

    /// A big-endian integer that must already be below n.
    pub fn from_canonical(b: [u8; 32]) -> Option<Scalar> {
        (b < ORDER).then(|| Scalar(SecretKey::from_slice(&b).ok()))
    }

    /// The secret key `k` as a scalar.
    pub fn from_secret(k: &SecretKey) -> Scalar {
        Scalar(Some(*k))
    }

    /// The 32-byte big-endian form.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0.map(|k| k.secret_bytes()).unwrap_or([0; 32])
    }

    /// Whether this is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_none()
    }

    /// `self + o mod n`.
    pub fn add(self, o: Scalar) -> Scalar {
        match (self.0, o.0) {
            (None, x) | (x, None) => Scalar(x),
            // Fails only for a zero sum.
            (Some(a), Some(b)) => Scalar(a.add_tweak(&secp256k1::Scalar::from(b)).ok()),
        }
    }

    /// `self * o mod n`.
    pub fn mul(self, o: Scalar) -> Scalar {
        match (self.0, o.0) {
            (Some(a), Some(b)) => Scalar(a.mul_tweak(&secp256k1::Scalar::from(b)).ok()),
            _ => Scalar::ZERO,
        }
    }

    /// `-self mod n`.
    pub fn neg(self) -> Scalar {
        Scalar(self.0.map(SecretKey::negate))
    }

    /// Overwrites the value; copies made before are not reached, so this
    /// is best effort (as the `secp256k1` crate's own erasure is).
    pub fn erase(&mut self) {
        if let Some(k) = self.0.as_mut() {
            k.non_secure_erase();
        }
        self.0 = None;
    }

    /// `-self` when `negate`, else `self`.
    pub fn neg_if(self, negate: bool) -> Scalar {
        if negate {
            self.neg()
        } else {
            self
        }
    }
}

/// A curve point; `None` is the point at infinity.
pub(crate) type Point = Option<PublicKey>;

/// `k·G`.
pub(crate) fn base_mul(k: Scalar) -> Point {
    k.0.map(|k| PublicKey::from_secret_key(secp(), &k))
}

/// `k·P`.
pub(crate) fn mul(p: Point, k: Scalar) -> Point {
    p?.mul_tweak(secp(), &secp256k1::Scalar::from(k.0?)).ok()
}

/// `A + B`.
pub(crate) fn add(a: Point, b: Point) -> Point {
    match (a, b) {
        (None, x) | (x, None) => x,
        // Fails only for a sum at infinity.
        (Some(a), Some(b)) => a.combine(&b).ok(),
    }
}

/// `-P`.
pub(crate) fn neg(p: Point) -> Point {
    p.map(|p| p.negate(secp()))
}

/// Whether the point's y coordinate is even.
pub(crate) fn has_even_y(p: &PublicKey) -> bool {
    p.serialize()[0] == 0x02
}

/// The x coordinate (BIP327's `xbytes`).
pub(crate) fn xbytes(p: &PublicKey) -> [u8; 32] {
    p.x_only_public_key().0.serialize()
}

/// BIP327's `cpoint_ext`: a compressed point, or 33 zero bytes for
/// infinity; `None` if invalid.
pub(crate) fn cpoint_ext(b: &[u8]) -> Option<Point> {
    if b.len() == 33 && b.iter().all(|&x| x == 0) {
        return Some(None);
    }
    cpoint(b).map(Some)
}

/// BIP327's `cpoint`: a compressed point (33 bytes, `02`/`03` prefix).
pub(crate) fn cpoint(b: &[u8]) -> Option<PublicKey> {
    if b.len() != 33 {
        return None;
    }
    PublicKey::from_slice(b).ok()
}

/// BIP327's `cbytes_ext`: the compressed form, or 33 zero bytes for
/// infinity.
pub(crate) fn cbytes_ext(p: Point) -> [u8; 33] {
    p.map(|p| p.serialize()).unwrap_or([0; 33])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_reduce_mod_the_order() {
        let mut over = ORDER;
        over[31] += 1;
        assert_eq!(Scalar::reduce(over), Scalar::one());
        assert!(Scalar::reduce(ORDER).is_zero());
        assert_eq!(Scalar::from_canonical(ORDER), None);
        assert_eq!(Scalar::from_canonical([0; 32]), Some(Scalar::ZERO));
        assert!(Scalar::one().add(Scalar::one().neg()).is_zero());
        assert!(Scalar::one().mul(Scalar::ZERO).is_zero());
    }

    #[test]
    fn points_at_infinity_add_and_encode() {
        let g = base_mul(Scalar::one());
        assert_eq!(add(g, neg(g)), None);
        assert_eq!(add(None, g), g);
        assert_eq!(base_mul(Scalar::ZERO), None);
        assert_eq!(cbytes_ext(None), [0; 33]);
        assert_eq!(cpoint_ext(&[0; 33]), Some(None));
        assert_eq!(cpoint_ext(&[0; 32]), None);
    }
}
