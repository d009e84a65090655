//! Script numbers (Core's `CScriptNum`): little-endian sign-magnitude, at
//! most 4 bytes as operands (5 for lock times), optionally required to be
//! minimally encoded.

use super::error::ScriptError;

/// Decodes a stack element as a number of at most `max_len` bytes.
pub fn decode(v: &[u8], require_minimal: bool, max_len: usize) -> Result<i64, ScriptError> {
    if v.len() > max_len {
        return Err(ScriptError::ScriptNum);
    }
    if require_minimal && !v.is_empty() {
        let last = v[v.len() - 1];
        // A zero most significant byte is only allowed to make room for a
        // sign bit the byte below already uses.
        if last & 0x7f == 0 && (v.len() <= 1 || v[v.len() - 2] & 0x80 == 0) {
            return Err(ScriptError::ScriptNum);
        }
    }
    if v.is_empty() {
        return Ok(0);
    }
    let mut n: i64 = 0;
    for (i, b) in v.iter().enumerate() {
        n |= (*b as i64) << (8 * i);
    }
    let last = v[v.len() - 1];
    if last & 0x80 != 0 {
        let mask = !(0x80i64 << (8 * (v.len() - 1)));
        Ok(-(n & mask))
    } else {
        Ok(n)
    }
}

/// The minimal encoding of `n`.
pub fn encode(n: i64) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    let negative = n < 0;
    let mut abs = n.unsigned_abs();
    let mut out = Vec::with_capacity(9);
    while abs > 0 {
        out.push((abs & 0xff) as u8);
        abs >>= 8;
    }
    let last = out.len() - 1;
    if out[last] & 0x80 != 0 {
        out.push(if negative { 0x80 } else { 0 });
    } else if negative {
        out[last] |= 0x80;
    }
    out
}

/// Core's `CastToBool`: false for any encoding of zero, including negative zero.
pub fn cast_to_bool(v: &[u8]) -> bool {
    for (i, b) in v.iter().enumerate() {
        if *b != 0 {
            return !(i == v.len() - 1 && *b == 0x80);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_minimality() {
        for n in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            255,
            256,
            -32768,
            0x7fff_ffff,
            -0x7fff_ffff,
        ] {
            assert_eq!(decode(&encode(n), true, 4), Ok(n), "{n}");
        }
        assert_eq!(encode(128), vec![0x80, 0x00]);
        assert_eq!(encode(-1), vec![0x81]);
        assert_eq!(decode(&[0x00], true, 4), Err(ScriptError::ScriptNum));
        assert_eq!(decode(&[0x00], false, 4), Ok(0));
        assert_eq!(decode(&[0x80], true, 4), Err(ScriptError::ScriptNum));
        assert_eq!(decode(&[0x80, 0x00], true, 4), Ok(128));
        assert_eq!(
            decode(&[1, 2, 3, 4, 5], false, 4),
            Err(ScriptError::ScriptNum)
        );
        assert_eq!(decode(&[1, 2, 3, 4, 5], false, 5), Ok(0x05_0403_0201));
    }

    #[test]
    fn booleans() {
        assert!(!cast_to_bool(&[]));
        assert!(!cast_to_bool(&[0, 0]));
        assert!(!cast_to_bool(&[0, 0x80]));
        assert!(cast_to_bool(&[0x80, 0]));
        assert!(cast_to_bool(&[1]));
    }
}
