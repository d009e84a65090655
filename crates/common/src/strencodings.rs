//! Parsing text the way Core's `util/strencodings` does: hex with Core's two
//! rules, user-entered 256-bit numbers and fixed-point decimals. Writing hex
//! is the workspace `hex` crate's `hex::encode`; there is no other helper.

/// Core's `IsHex` + `ParseHex`: a non-empty, even number of hex digits.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Core's `TryParseHex`: pairs of hex digits, whitespace allowed between
/// pairs (so an empty string is empty data); `None` on anything else.
pub fn try_parse_hex(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut it = s.bytes().peekable();
    while let Some(c) = it.next() {
        if c.is_ascii_whitespace() || c == 0x0b {
            continue;
        }
        let hi = (c as char).to_digit(16)?;
        let lo = (it.next()? as char).to_digit(16)?;
        out.push((hi * 16 + lo) as u8);
    }
    Some(out)
}

/// Core's `uint256::FromUserHex`: up to 64 hex digits, optionally after `0x`,
/// as a big-endian number (the way hashes and work are displayed).
pub fn from_user_hex_256(s: &str) -> Option<[u8; 32]> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = format!("{digits:0>64}");
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(padded.as_bytes().chunks(2)) {
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// Parses a decimal number (optionally with exponent) into an integer scaled by
/// `10^decimals`, rejecting anything that would lose precision or exceed 10^18.
pub fn parse_fixed_point(text: &str, decimals: u32) -> Option<i64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(pos) => (&text[..pos], text[pos + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if (digits.contains('.') && frac_part.is_empty())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if int_part.len() > 1 && int_part.starts_with('0') {
        return None;
    }
    let all_digits: String = format!("{int_part}{frac_part}");
    let all_digits = all_digits.trim_start_matches('0');
    // Position of the decimal point after scaling.
    let shift = decimals as i64 + exponent - frac_part.len() as i64;
    let mut value: i128 = 0;
    for b in all_digits.bytes() {
        value = value.checked_mul(10)?.checked_add((b - b'0') as i128)?;
        if value > 10i128.pow(30) {
            return None;
        }
    }
    if shift >= 0 {
        for _ in 0..shift {
            value = value.checked_mul(10)?;
            if value > 10i128.pow(30) {
                return None;
            }
        }
    } else {
        for _ in 0..(-shift) {
            if value % 10 != 0 {
                return None;
            }
            value /= 10;
        }
    }
    if value >= 10i128.pow(18) {
        return None;
    }
    let v = value as i64;
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_parsing_is_strict() {
        assert_eq!(parse_hex(""), None);
        assert_eq!(parse_hex("0"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex("aB"), Some(vec![0xab]));
    }

    #[test]
    fn try_parse_hex_allows_spaces() {
        assert_eq!(try_parse_hex("00 ff"), Some(vec![0, 0xff]));
        assert_eq!(try_parse_hex(""), Some(vec![]));
        assert_eq!(try_parse_hex("0"), None);
        assert_eq!(try_parse_hex("0 0"), None);
    }

    #[test]
    fn user_hex_is_padded_big_endian() {
        let v = from_user_hex_256("0xffff").unwrap();
        assert_eq!(&v[30..], &[0xff, 0xff]);
        assert!(v[..30].iter().all(|b| *b == 0));
        assert_eq!(from_user_hex_256("0"), Some([0; 32]));
        assert_eq!(from_user_hex_256(""), Some([0; 32]));
        assert_eq!(from_user_hex_256("0X1"), None);
        assert_eq!(from_user_hex_256("xyz"), None);
        assert_eq!(from_user_hex_256(&"1".repeat(65)), None);
        assert!(from_user_hex_256(&"a".repeat(64)).is_some());
    }

    #[test]
    fn fixed_point_parsing_matches_core() {
        const COIN: i64 = 100_000_000;
        assert_eq!(parse_fixed_point("0.0001", 8), Some(10_000));
        assert_eq!(parse_fixed_point("1", 8), Some(COIN));
        assert_eq!(parse_fixed_point("1e-8", 8), Some(1));
        assert_eq!(parse_fixed_point("0.000000001", 8), None);
        assert_eq!(parse_fixed_point("-0.5", 8), Some(-COIN / 2));
        assert_eq!(parse_fixed_point("abc", 8), None);
        assert_eq!(parse_fixed_point("1.", 8), None);
        assert_eq!(parse_fixed_point("100000000000", 8), None);
    }
}
