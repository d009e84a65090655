//! Base58 and Base58Check with Core's decoding rules (surrounding whitespace is
//! ignored, a maximum decoded length is enforced).

use bitcoin::hashes::{sha256d, Hash};

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn digit(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Decodes Base58; `None` if invalid or longer than `max_len` bytes.
pub fn decode(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    if bytes.contains(&0) {
        return None;
    }
    let mut i = 0;
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    let mut zeroes = 0usize;
    while i < bytes.len() && bytes[i] == b'1' {
        zeroes += 1;
        if zeroes > max_len {
            return None;
        }
        i += 1;
    }
    // Little-endian base-256 accumulator.
    let mut num: Vec<u8> = Vec::new();
    while i < bytes.len() && !is_space(bytes[i]) {
        let mut carry = digit(bytes[i])?;
        for b in num.iter_mut() {
            carry += 58 * *b as u32;
            *b = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            num.push((carry & 0xff) as u8);
            carry >>= 8;
        }
        if num.len() + zeroes > max_len {
            return None;
        }
        i += 1;
    }
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    if i != bytes.len() {
        return None;
    }
    let mut out = vec![0u8; zeroes];
    out.extend(num.iter().rev());
    Some(out)
}

/// Decodes Base58Check (payload at most `max_len` bytes); `None` on any error.
pub fn decode_check(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let mut data = decode(s, max_len.saturating_add(4))?;
    if data.len() < 4 {
        return None;
    }
    let split = data.len() - 4;
    let hash = sha256d::Hash::hash(&data[..split]);
    if hash.as_byte_array()[..4] != data[split..] {
        return None;
    }
    data.truncate(split);
    Some(data)
}

/// Encodes with a 4-byte double-SHA256 checksum.
pub fn encode_check(data: &[u8]) -> String {
    bitcoin::base58::encode_check(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_whitespace_and_limits() {
        let s = encode_check(&[0x6f; 21]);
        assert_eq!(decode_check(&format!("  {s}\n"), 21), Some(vec![0x6f; 21]));
        assert_eq!(decode_check(&s, 20), None);
        assert_eq!(decode_check("0OIl", 21), None);
        assert_eq!(decode("1112", 10), Some(vec![0, 0, 0, 1]));
        assert_eq!(decode("a b", 10), None);
    }
}
