//! Core's serialization primitives (`src/serialize.h`) as `wallet.dat` uses
//! them: little-endian integers, CompactSize lengths, length-prefixed byte
//! strings, 32-byte hashes in internal byte order.
//!
//! The reader never panics: every short or malformed input is a
//! [`DecodeError`], because the bytes come from a file anyone may have edited.

use std::fmt;

/// Core's `MAX_SIZE`: `ReadCompactSize` refuses larger lengths, so a corrupt
/// length can never make us allocate gigabytes.
pub const MAX_SIZE: u64 = 0x0200_0000;

/// A value that could not be decoded from its stored bytes. The text follows
/// Core's exception messages where Core has one, so logs read the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl DecodeError {
    /// An error with the given text.
    pub fn new(msg: impl Into<String>) -> Self {
        DecodeError(msg.into())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over stored bytes, reading Core's encodings.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Skips `n` bytes (the caller decoded them some other way).
    pub fn advance(&mut self, n: usize) -> Result<(), DecodeError> {
        self.take(n).map(|_| ())
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.data.len() - self.pos < n {
            // Core's DataStream text, so a truncated record logs as in Core.
            return Err(DecodeError::new("DataStream::read(): end of data"));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// A bool as Core reads it: one byte, non-zero is true.
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.u8()? != 0)
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian i32.
    pub fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian i64.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A `uint256` in internal byte order.
    pub fn u256(&mut self) -> Result<[u8; 32], DecodeError> {
        self.array()
    }

    /// A CompactSize, canonical and at most [`MAX_SIZE`] as Core's
    /// `ReadCompactSize(range_check=true)` requires.
    pub fn compact_size(&mut self) -> Result<u64, DecodeError> {
        let first = self.u8()?;
        let n = match first {
            0..=252 => u64::from(first),
            253 => {
                let v = u64::from(self.u16()?);
                if v < 253 {
                    return Err(DecodeError::new("non-canonical ReadCompactSize()"));
                }
                v
            }
            254 => {
                let v = u64::from(self.u32()?);
                if v < 0x1_0000 {
                    return Err(DecodeError::new("non-canonical ReadCompactSize()"));
                }
                v
            }
            255 => {
                let v = self.u64()?;
                if v < 0x1_0000_0000 {
                    return Err(DecodeError::new("non-canonical ReadCompactSize()"));
                }
                v
            }
        };
        if n > MAX_SIZE {
            return Err(DecodeError::new("ReadCompactSize(): size too large"));
        }
        Ok(n)
    }

    /// A length as a `usize` (CompactSize).
    pub fn len(&mut self) -> Result<usize, DecodeError> {
        // MAX_SIZE fits in usize on every supported target.
        usize::try_from(self.compact_size()?)
            .map_err(|_| DecodeError::new("ReadCompactSize(): size too large"))
    }

    /// A `std::vector<unsigned char>`: CompactSize length, then the bytes.
    pub fn var_bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.len()?;
        Ok(self.take(n)?.to_vec())
    }

    /// A `std::string`. Core stores arbitrary bytes; this wallet keeps
    /// strings as UTF-8, so other bytes are refused (a clear error instead of
    /// silently altering a label or descriptor).
    pub fn string(&mut self) -> Result<String, DecodeError> {
        let bytes = self.var_bytes()?;
        String::from_utf8(bytes).map_err(|_| DecodeError::new("string is not valid UTF-8"))
    }

    /// A `std::vector<uint256>`.
    pub fn u256_vec(&mut self) -> Result<Vec<[u8; 32]>, DecodeError> {
        let n = self.len()?;
        // Bound the pre-allocation by what is actually present.
        let mut out = Vec::with_capacity(n.min(self.remaining().len() / 32));
        for _ in 0..n {
            out.push(self.u256()?);
        }
        Ok(out)
    }
}

/// Builds stored bytes with Core's encodings.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Raw bytes, no length.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// A bool as one byte.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// A little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian i32.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian i64.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A `uint256` in internal byte order.
    pub fn u256(&mut self, v: &[u8; 32]) -> &mut Self {
        self.bytes(v)
    }

    /// A canonical CompactSize.
    pub fn compact_size(&mut self, n: u64) -> &mut Self {
        if n < 253 {
            // Fits: checked just above.
            self.u8(n as u8)
        } else if n <= 0xffff {
            self.u8(253).bytes(&(n as u16).to_le_bytes())
        } else if n <= 0xffff_ffff {
            self.u8(254).bytes(&(n as u32).to_le_bytes())
        } else {
            self.u8(255).bytes(&n.to_le_bytes())
        }
    }

    /// A length-prefixed byte vector.
    pub fn var_bytes(&mut self, b: &[u8]) -> &mut Self {
        self.compact_size(b.len() as u64).bytes(b)
    }

    /// A length-prefixed string.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.var_bytes(s.as_bytes())
    }
}

/// The bytes of `v` in reverse order: how Core shows a `uint256` (txids,
/// block hashes, descriptor ids) as hex.
pub fn u256_to_display_hex(v: &[u8; 32]) -> String {
    let mut rev = *v;
    rev.reverse();
    hex_lower(&rev)
}

/// Lowercase hex of `b`, as Core's `HexStr`.
pub fn hex_lower(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 0xf)] as char);
    }
    s
}

/// The value of one hex digit (either case), as Core's `HexDigit`.
pub fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Core's `IsHex`: non-empty, even length, only hex digits.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|c| hex_digit(c).is_some())
}

/// Core's `TryParseHex`: pairs of hex digits, whitespace allowed between
/// pairs.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 2);
    let mut i = 0;
    while i < b.len() {
        if is_space(b[i]) {
            i += 1;
            continue;
        }
        let hi = hex_digit(b[i])?;
        let lo = hex_digit(*b.get(i + 1)?)?;
        out.push((hi << 4) | lo);
        i += 2;
    }
    Some(out)
}

/// Core's `uint256::FromHex`: exactly 64 hex digits, shown reversed.
pub fn u256_from_display_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !is_hex(s) {
        return None;
    }
    let bytes = parse_hex(s)?;
    let mut out = [0u8; 32];
    for (i, b) in bytes.iter().rev().enumerate() {
        out[i] = *b;
    }
    Some(out)
}

/// Core's `IsSpace`.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\x0c' | b'\n' | b'\r' | b'\t' | b'\x0b')
}

/// Core's `LocaleIndependentAtoi<int64_t>`: atoi semantics (surrounding
/// whitespace, an optional sign, the leading digits), saturating on overflow
/// and 0 when there are no digits. Core parses mapValue numbers this way, so
/// odd values load the same here.
pub fn locale_independent_atoi_i64(s: &str) -> i64 {
    let mut t = s.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
    if let Some(rest) = t.strip_prefix('+') {
        if rest.starts_with('-') {
            return 0;
        }
        t = rest;
    }
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let digits: &str = {
        let end = digits.bytes().take_while(u8::is_ascii_digit).count();
        &digits[..end]
    };
    if digits.is_empty() {
        return 0;
    }
    let mut acc: i64 = 0;
    for d in digits.bytes() {
        let d = i64::from(d - b'0');
        let next = acc.checked_mul(10).and_then(|v| {
            if neg {
                v.checked_sub(d)
            } else {
                v.checked_add(d)
            }
        });
        match next {
            Some(v) => acc = v,
            None => return if neg { i64::MIN } else { i64::MAX },
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_size_round_trip_and_canonical() {
        for n in [0u64, 1, 252, 253, 0xffff, 0x1_0000, MAX_SIZE] {
            let mut w = Writer::new();
            w.compact_size(n);
            let bytes = w.into_bytes();
            assert_eq!(Reader::new(&bytes).compact_size().unwrap(), n);
        }
        assert!(Reader::new(&[0xfd, 0x10, 0x00]).compact_size().is_err());
        assert!(Reader::new(&[0xfe, 0xff, 0xff, 0x00, 0x00])
            .compact_size()
            .is_err());
        assert!(Reader::new(&[0xfe, 0x01, 0x00, 0x00, 0x02])
            .compact_size()
            .is_err());
        assert!(Reader::new(&[0xfd]).compact_size().is_err());
    }

    #[test]
    fn short_input_is_an_error() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert!(r.u32().is_err());
        let mut r = Reader::new(&[5, b'a']);
        assert!(r.string().is_err());
    }

    #[test]
    fn atoi_like_core() {
        assert_eq!(locale_independent_atoi_i64("12"), 12);
        assert_eq!(locale_independent_atoi_i64(" 12abc"), 12);
        assert_eq!(locale_independent_atoi_i64("+7"), 7);
        assert_eq!(locale_independent_atoi_i64("+-7"), 0);
        assert_eq!(locale_independent_atoi_i64("-1"), -1);
        assert_eq!(locale_independent_atoi_i64("x"), 0);
        assert_eq!(
            locale_independent_atoi_i64("99999999999999999999"),
            i64::MAX
        );
        assert_eq!(
            locale_independent_atoi_i64("-99999999999999999999"),
            i64::MIN
        );
    }

    #[test]
    fn hex_helpers() {
        assert!(is_hex("00aB"));
        assert!(!is_hex(""));
        assert!(!is_hex("0"));
        assert_eq!(parse_hex("00 ff\n"), Some(vec![0, 255]));
        assert_eq!(parse_hex("0g"), None);
        let mut v = [0u8; 32];
        v[0] = 1;
        let s = u256_to_display_hex(&v);
        assert!(s.ends_with("01"));
        assert_eq!(u256_from_display_hex(&s), Some(v));
    }
}
