//! A minimal 256-bit unsigned integer with Bitcoin's "compact" (nBits)
//! encoding, enough for difficulty retargeting.
//!
//! `bitcoin::Target` hides the overflow and sign information of the compact
//! decoding and has no multiplication by a time span, both of which the
//! difficulty rules need, so the arithmetic lives here.

use std::cmp::Ordering;

/// An unsigned 256-bit integer, four 64-bit limbs, least significant first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct U256(pub [u64; 4]);

/// Result of decoding a compact target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compact {
    /// The decoded value (meaningless when `negative` or `overflow`).
    pub value: U256,
    /// The sign bit was set on a non-zero mantissa.
    pub negative: bool,
    /// The value does not fit in 256 bits.
    pub overflow: bool,
}

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0; 4]);

    /// A small value.
    pub fn from_u64(v: u64) -> U256 {
        U256([v, 0, 0, 0])
    }

    /// From 32 little-endian bytes (the internal byte order of a hash).
    pub fn from_le_bytes(b: [u8; 32]) -> U256 {
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *limb = u64::from_le_bytes(w);
        }
        U256(limbs)
    }

    /// From 32 big-endian bytes (the order hashes are displayed in).
    pub fn from_be_bytes(mut b: [u8; 32]) -> U256 {
        b.reverse();
        U256::from_le_bytes(b)
    }

    /// To 32 little-endian bytes.
    pub fn to_le_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    /// To 32 big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        let mut b = self.to_le_bytes();
        b.reverse();
        b
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|l| *l == 0)
    }

    /// Number of significant bits (0 for zero).
    pub fn bits(&self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    /// Left shift; shifting by 256 or more gives zero.
    pub fn shl_bits(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        let limbs = (shift / 64) as usize;
        let bits = shift % 64;
        let mut out = [0u64; 4];
        for i in (limbs..4).rev() {
            let src = i - limbs;
            out[i] = self.0[src] << bits;
            if bits > 0 && src > 0 {
                out[i] |= self.0[src - 1] >> (64 - bits);
            }
        }
        U256(out)
    }

    /// Right shift; shifting by 256 or more gives zero.
    pub fn shr_bits(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        let limbs = (shift / 64) as usize;
        let bits = shift % 64;
        let mut out = [0u64; 4];
        for (i, o) in out.iter_mut().enumerate().take(4 - limbs) {
            let src = i + limbs;
            *o = self.0[src] >> bits;
            if bits > 0 && src + 1 < 4 {
                *o |= self.0[src + 1] << (64 - bits);
            }
        }
        U256(out)
    }

    /// Multiplication by a 64-bit value, wrapping modulo 2^256.
    pub fn wrapping_mul_u64(self, m: u64) -> U256 {
        let mut out = [0u64; 4];
        let mut carry: u128 = 0;
        for (i, o) in out.iter_mut().enumerate() {
            let p = self.0[i] as u128 * m as u128 + carry;
            *o = p as u64;
            carry = p >> 64;
        }
        U256(out)
    }

    /// Division by a non-zero 64-bit value (`None` when dividing by zero).
    pub fn checked_div_u64(self, d: u64) -> Option<U256> {
        if d == 0 {
            return None;
        }
        let mut out = [0u64; 4];
        let mut rem: u128 = 0;
        for i in (0..4).rev() {
            let cur = (rem << 64) | self.0[i] as u128;
            out[i] = (cur / d as u128) as u64;
            rem = cur % d as u128;
        }
        Some(U256(out))
    }

    /// `self - other`, wrapping modulo 2^256.
    pub fn wrapping_sub(self, other: U256) -> U256 {
        let mut out = [0u64; 4];
        let mut borrow = false;
        for (i, o) in out.iter_mut().enumerate() {
            let (d, b1) = self.0[i].overflowing_sub(other.0[i]);
            let (d, b2) = d.overflowing_sub(borrow as u64);
            *o = d;
            borrow = b1 || b2;
        }
        U256(out)
    }

    /// Division by a 256-bit value (`None` when dividing by zero), by
    /// shift-and-subtract; only used off the hot path.
    pub fn checked_div(self, d: U256) -> Option<U256> {
        if d.is_zero() {
            return None;
        }
        let mut quotient = U256::ZERO;
        let mut rem = U256::ZERO;
        for bit in (0..self.bits()).rev() {
            rem = rem.shl_bits(1);
            rem.0[0] |= (self.0[(bit / 64) as usize] >> (bit % 64)) & 1;
            if rem >= d {
                rem = rem.wrapping_sub(d);
                quotient.0[(bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        Some(quotient)
    }

    /// Decodes a compact ("nBits") value the way Core's `SetCompact` does,
    /// reporting the sign and overflow conditions.
    pub fn from_compact(bits: u32) -> Compact {
        let size = bits >> 24;
        let mut word = bits & 0x007f_ffff;
        let value = if size <= 3 {
            word >>= 8 * (3 - size);
            U256::from_u64(word as u64)
        } else {
            U256::from_u64(word as u64).shl_bits(8 * (size - 3))
        };
        let negative = word != 0 && (bits & 0x0080_0000) != 0;
        let overflow =
            word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
        Compact {
            value,
            negative,
            overflow,
        }
    }

    /// Encodes as a compact ("nBits") value (never negative), like Core's
    /// `GetCompact`.
    pub fn to_compact(self) -> u32 {
        let mut size = self.bits().div_ceil(8);
        let mut compact: u32 = if size <= 3 {
            (self.0[0] << (8 * (3 - size))) as u32
        } else {
            self.shr_bits(8 * (size - 3)).0[0] as u32
        };
        if compact & 0x0080_0000 != 0 {
            compact >>= 8;
            size += 1;
        }
        compact | (size << 24)
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_round_trips() {
        for bits in [
            0x1d00ffffu32,
            0x207fffff,
            0x1e0377ae,
            0x1b0404cb,
            0x17034219,
        ] {
            let c = U256::from_compact(bits);
            assert!(!c.negative && !c.overflow);
            assert_eq!(c.value.to_compact(), bits);
        }
        let c = U256::from_compact(0x1d00ffff);
        assert_eq!(c.value, U256::from_u64(0xffff).shl_bits(208));
    }

    #[test]
    fn compact_edge_cases_match_core() {
        // Vectors from Core's arith_uint256 tests (SetCompact/GetCompact).
        assert_eq!(U256::from_compact(0).value, U256::ZERO);
        assert_eq!(U256::from_compact(0x00123456).value, U256::ZERO);
        assert_eq!(U256::from_compact(0x01003456).value, U256::ZERO);
        assert_eq!(U256::from_compact(0x01123456).value, U256::from_u64(0x12));
        assert_eq!(U256::from_u64(0x80).to_compact(), 0x02008000);
        assert_eq!(U256::from_compact(0x01fedcba).value, U256::from_u64(0x7e));
        assert!(U256::from_compact(0x01fedcba).negative);
        assert_eq!(
            U256::from_compact(0x04923456).value,
            U256::from_u64(0x12345600)
        );
        assert!(U256::from_compact(0x04923456).negative);
        assert_eq!(
            U256::from_compact(0x05009234).value,
            U256::from_u64(0x92340000)
        );
        assert_eq!(U256::from_u64(0x92340000).to_compact(), 0x05009234);
        assert!(U256::from_compact(0xff123456).overflow);
        assert!(!U256::from_compact(0x20123456).overflow);
    }

    #[test]
    fn mul_div_shift() {
        let a = U256::from_u64(u64::MAX).wrapping_mul_u64(u64::MAX);
        assert_eq!(a.0[0], 1);
        assert_eq!(a.0[1], u64::MAX - 1);
        assert_eq!(a.checked_div_u64(u64::MAX), Some(U256::from_u64(u64::MAX)));
        assert_eq!(
            U256::from_u64(1).shl_bits(255).shr_bits(255),
            U256::from_u64(1)
        );
        assert_eq!(U256::from_u64(1).shl_bits(256), U256::ZERO);
        assert!(U256::from_u64(1).shl_bits(200) > U256::from_u64(u64::MAX));
        assert_eq!(U256::from_u64(5).checked_div_u64(0), None);
        let b = [7u8; 32];
        assert_eq!(U256::from_be_bytes(b).to_be_bytes(), b);
    }

    #[test]
    fn wide_sub_and_div() {
        let big = U256::from_u64(1).shl_bits(200);
        assert_eq!(big.wrapping_sub(U256::from_u64(1)).bits(), 200);
        assert_eq!(U256::ZERO.wrapping_sub(U256::from_u64(1)).0, [u64::MAX; 4]);
        let d = U256::from_u64(3).shl_bits(100);
        let q = big.checked_div(d).unwrap();
        // 2^200 / (3 * 2^100) = floor(2^100 / 3)
        assert_eq!(
            q,
            U256::from_u64(1).shl_bits(100).checked_div_u64(3).unwrap()
        );
        assert_eq!(big.checked_div(U256::ZERO), None);
        assert_eq!(
            U256::from_u64(5).checked_div(U256::from_u64(7)),
            Some(U256::ZERO)
        );
    }
}
