//! MuHash3072: a rolling set hash over the multiplicative group modulo the
//! safe prime `2^3072 - 1103717`, as used by `gettxoutsetinfo muhash`.
//!
//! Each element is hashed with SHA256, the digest keys a ChaCha20 keystream
//! of 384 bytes which is read as a little-endian 3072-bit number. Inserting
//! multiplies the numerator, removing multiplies the denominator; the final
//! hash is SHA256 of the 384-byte little-endian `numerator / denominator`.
//!
//! The arithmetic here is plain (not constant time): schoolbook
//! multiplication with the special-form reduction, and inversion by Fermat's
//! little theorem. It only handles public data.

use bitcoin::hashes::{sha256, Hash};

/// Number of 64-bit limbs in a 3072-bit number.
const LIMBS: usize = 48;
/// Size of a 3072-bit number in bytes.
pub const BYTE_SIZE: usize = 384;
/// The modulus is `2^3072 - MAX_PRIME_DIFF`.
const MAX_PRIME_DIFF: u64 = 1_103_717;

/// A 3072-bit unsigned number, little-endian limbs. Values may be in
/// `[0, 2^3072)`; results of arithmetic are fully reduced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Num3072([u64; LIMBS]);

impl Num3072 {
    /// The number one.
    pub fn one() -> Self {
        let mut l = [0u64; LIMBS];
        l[0] = 1;
        Num3072(l)
    }

    /// Reads 384 little-endian bytes.
    pub fn from_bytes(data: &[u8; BYTE_SIZE]) -> Self {
        let mut l = [0u64; LIMBS];
        for (limb, chunk) in l.iter_mut().zip(data.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *limb = u64::from_le_bytes(b);
        }
        Num3072(l)
    }

    /// Writes 384 little-endian bytes.
    pub fn to_bytes(&self) -> [u8; BYTE_SIZE] {
        let mut out = [0u8; BYTE_SIZE];
        for (limb, chunk) in self.0.iter().zip(out.chunks_exact_mut(8)) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    /// Whether the value is at least the modulus.
    fn is_overflow(&self) -> bool {
        self.0[0] > u64::MAX - MAX_PRIME_DIFF && self.0[1..].iter().all(|&l| l == u64::MAX)
    }

    /// Subtracts the modulus once if the value is at least the modulus.
    fn full_reduce(&mut self) {
        if self.is_overflow() {
            // x - p = x + MAX_PRIME_DIFF - 2^3072, the carry out is dropped.
            let mut carry = MAX_PRIME_DIFF as u128;
            for limb in self.0.iter_mut() {
                let t = *limb as u128 + carry;
                *limb = t as u64;
                carry = t >> 64;
            }
        }
    }

    /// `self * other mod p`, fully reduced.
    pub fn mul_mod(&self, other: &Num3072) -> Num3072 {
        // Full 6144-bit product.
        let mut wide = [0u64; 2 * LIMBS];
        for i in 0..LIMBS {
            let a = self.0[i] as u128;
            let mut carry: u128 = 0;
            for j in 0..LIMBS {
                let t = a * other.0[j] as u128 + wide[i + j] as u128 + carry;
                wide[i + j] = t as u64;
                carry = t >> 64;
            }
            wide[i + LIMBS] = carry as u64;
        }
        // hi * 2^3072 + lo == hi * MAX_PRIME_DIFF + lo (mod p).
        let mut out = [0u64; LIMBS];
        let mut carry: u128 = 0;
        for i in 0..LIMBS {
            let t = wide[LIMBS + i] as u128 * MAX_PRIME_DIFF as u128 + wide[i] as u128 + carry;
            out[i] = t as u64;
            carry = t >> 64;
        }
        // The carry (< 2^21) is another multiple of 2^3072; fold it until none remains.
        while carry != 0 {
            let mut c = carry * MAX_PRIME_DIFF as u128;
            for limb in out.iter_mut() {
                if c == 0 {
                    break;
                }
                let t = *limb as u128 + c;
                *limb = t as u64;
                c = t >> 64;
            }
            carry = c;
        }
        let mut r = Num3072(out);
        r.full_reduce();
        r
    }

    /// The modular inverse, `self^(p-2) mod p` (zero maps to zero).
    pub fn inverse(&self) -> Num3072 {
        // p - 2 = 2^3072 - 1103719: every limb all ones except the lowest.
        let mut exp = [u64::MAX; LIMBS];
        exp[0] = u64::MAX - (MAX_PRIME_DIFF + 1);
        let mut base = *self;
        base.full_reduce();
        let mut acc = Num3072::one();
        for limb in exp.iter().rev() {
            for bit in (0..64).rev() {
                acc = acc.mul_mod(&acc);
                if (limb >> bit) & 1 == 1 {
                    acc = acc.mul_mod(&base);
                }
            }
        }
        acc
    }
}

/// The ChaCha20 block function (RFC 8439) with a zero nonce.
fn chacha20_block(key: &[u8; 32], counter: u32) -> [u8; 64] {
    let mut state = [0u32; 16];
    state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for (i, chunk) in key.chunks_exact(4).enumerate() {
        state[4 + i] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    state[12] = counter;
    let mut x = state;
    fn qr(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    }
    for _ in 0..10 {
        qr(&mut x, 0, 4, 8, 12);
        qr(&mut x, 1, 5, 9, 13);
        qr(&mut x, 2, 6, 10, 14);
        qr(&mut x, 3, 7, 11, 15);
        qr(&mut x, 0, 5, 10, 15);
        qr(&mut x, 1, 6, 11, 12);
        qr(&mut x, 2, 7, 8, 13);
        qr(&mut x, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for i in 0..16 {
        out[4 * i..4 * i + 4].copy_from_slice(&x[i].wrapping_add(state[i]).to_le_bytes());
    }
    out
}

/// Maps arbitrary data to a 3072-bit number: SHA256, then 384 bytes of
/// ChaCha20 keystream keyed by the digest.
fn element(data: &[u8]) -> Num3072 {
    let key = sha256::Hash::hash(data).to_byte_array();
    let mut bytes = [0u8; BYTE_SIZE];
    for (counter, chunk) in bytes.chunks_exact_mut(64).enumerate() {
        chunk.copy_from_slice(&chacha20_block(&key, counter as u32));
    }
    Num3072::from_bytes(&bytes)
}

/// A MuHash3072 accumulator for a set of byte strings.
#[derive(Clone, Debug)]
pub struct MuHash3072 {
    numerator: Num3072,
    denominator: Num3072,
}

impl Default for MuHash3072 {
    fn default() -> Self {
        Self::new()
    }
}

impl MuHash3072 {
    /// The hash of the empty set.
    pub fn new() -> Self {
        MuHash3072 {
            numerator: Num3072::one(),
            denominator: Num3072::one(),
        }
    }

    /// An accumulator holding a raw numerator (Core's serialized state).
    pub fn from_numerator(numerator: Num3072) -> Self {
        MuHash3072 {
            numerator,
            denominator: Num3072::one(),
        }
    }

    /// Length of [`MuHash3072::to_state`]'s output.
    pub const STATE_SIZE: usize = 2 * BYTE_SIZE;

    /// The accumulator's state (numerator, then denominator), so it can be
    /// stored and resumed without the modular inversion a reduction needs.
    pub fn to_state(&self) -> [u8; 2 * BYTE_SIZE] {
        let mut out = [0u8; 2 * BYTE_SIZE];
        out[..BYTE_SIZE].copy_from_slice(&self.numerator.to_bytes());
        out[BYTE_SIZE..].copy_from_slice(&self.denominator.to_bytes());
        out
    }

    /// An accumulator resumed from [`MuHash3072::to_state`]; `None` for a wrong length.
    pub fn from_state(state: &[u8]) -> Option<Self> {
        let (num, den) = state.split_at_checked(BYTE_SIZE)?;
        Some(MuHash3072 {
            numerator: Num3072::from_bytes(num.try_into().ok()?),
            denominator: Num3072::from_bytes(den.try_into().ok()?),
        })
    }

    /// Adds `data` to the set.
    pub fn insert(&mut self, data: &[u8]) {
        self.numerator = self.numerator.mul_mod(&element(data));
    }

    /// Removes `data` from the set.
    pub fn remove(&mut self, data: &[u8]) {
        self.denominator = self.denominator.mul_mod(&element(data));
    }

    /// Merges another accumulator into this one (set union).
    pub fn combine(&mut self, other: &MuHash3072) {
        self.numerator = self.numerator.mul_mod(&other.numerator);
        self.denominator = self.denominator.mul_mod(&other.denominator);
    }

    /// Removes another accumulator's set from this one.
    pub fn subtract(&mut self, other: &MuHash3072) {
        self.numerator = self.numerator.mul_mod(&other.denominator);
        self.denominator = self.denominator.mul_mod(&other.numerator);
    }

    /// The set hash: SHA256 of the reduced 384-byte quotient, in the byte
    /// order Core keeps it (display with a reversed hex, like block hashes).
    pub fn finalize(&self) -> [u8; 32] {
        let mut value = self.numerator.mul_mod(&self.denominator.inverse());
        value.full_reduce();
        sha256::Hash::hash(&value.to_bytes()).to_byte_array()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trip_keeps_the_set() {
        let mut m = MuHash3072::new();
        m.insert(b"a");
        m.remove(b"b");
        let state = m.to_state();
        let mut resumed = MuHash3072::from_state(&state).expect("valid state");
        assert_eq!(resumed.finalize(), m.finalize());
        resumed.insert(b"b");
        m.insert(b"b");
        assert_eq!(resumed.finalize(), m.finalize());
        assert!(MuHash3072::from_state(&state[1..]).is_none());
    }

    fn from_int(i: u8) -> MuHash3072 {
        let mut data = [0u8; 32];
        data[0] = i;
        let mut m = MuHash3072::new();
        m.insert(&data);
        m
    }

    fn display(h: [u8; 32]) -> String {
        let mut r = h;
        r.reverse();
        hex::encode(r)
    }

    #[test]
    fn chacha20_rfc8439_keystream() {
        // RFC 8439 section 2.3.2 uses a non-zero nonce; the zero-nonce, zero-key
        // block is test vector #1 of section A.1.
        let out = chacha20_block(&[0u8; 32], 0);
        assert_eq!(
            hex::encode(&out[..32]),
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
        );
    }

    #[test]
    fn core_vector_insert_remove() {
        let mut acc = from_int(0);
        acc.combine(&from_int(1));
        acc.subtract(&from_int(2));
        let want = "10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863";
        assert_eq!(display(acc.finalize()), want);

        let mut acc2 = from_int(0);
        let mut one = [0u8; 32];
        one[0] = 1;
        acc2.insert(&one);
        let mut two = [0u8; 32];
        two[0] = 2;
        acc2.remove(&two);
        assert_eq!(display(acc2.finalize()), want);
    }

    #[test]
    fn core_vector_serialized_numerator() {
        let mut acc = from_int(1);
        acc.combine(&from_int(2));
        // Core serializes the numerator first (the denominator is one here).
        let want = concat!(
            "1fa093295ea30a6a3acdc7b3f770fa538eff537528e990e2910e40bbcfd7f669",
            "6b1256901929094694b56316de342f593303dd12ac43e06dce1be1ff8301c845",
            "beb15468fff0ef002dbf80c29f26e6452bccc91b5cb9437ad410d2a67ea84788",
            "7fa3c6a6553309946880fe20db2c73fe0641adbd4e86edfee0d9f8cd0ee12308",
            "98873dc13ed8ddcaf045c80faa082774279007a2253f8922ee3ef361d378a6af",
            "3ddaf180b190ac97e556888c36b3d1fb1c85aab9ccd46e3deaeb7b7cf5db067a",
            "7e9ff86b658cf3acd6662bbcce37232daa753c48b794356c020090c831a83044",
            "16e2aa7ad633c0ddb2f11be1be316a81be7f7e472071c042cb68faef549c221e",
            "bff209273638b741aba5a81675c45a5fa92fea4ca821d7a324cb1e1a2ccd3b76",
            "c4228ec8066dad2a5df6e1bd0de45c7dd5de8070bdb46db6c554cf9aefc9b7b2",
            "bbf9f75b1864d9f95005314593905c0109b71f703d49944ae94477b51dac10a8",
            "16bb6d1c700bafabc8bd86fac8df24be519a2f2836b16392e18036cb13e48c5c",
        );
        assert_eq!(hex::encode(acc.numerator.to_bytes()), want);
    }

    #[test]
    fn core_vector_overflow() {
        let acc = MuHash3072::from_numerator(Num3072([u64::MAX; LIMBS]));
        assert_eq!(
            hex::encode(acc.finalize()),
            "3a31e6903aff0de9f62f9a9f7f8b861de76ce2cda09822b90014319ae5dc2271"
        );
    }

    #[test]
    fn order_independent_and_inverse() {
        let mut a = from_int(3);
        a.combine(&from_int(5));
        let mut b = from_int(5);
        b.combine(&from_int(3));
        assert_eq!(a.finalize(), b.finalize());
        a.subtract(&b);
        assert_eq!(a.finalize(), MuHash3072::new().finalize());
    }
}
