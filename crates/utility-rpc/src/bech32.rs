//! Bech32/Bech32m (BIP173/BIP350) encoding, decoding, and error location that
//! reports the same messages and positions as Bitcoin Core.

use std::sync::OnceLock;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CHECKSUM_LEN: usize = 6;
/// Longest string accepted (BIP173 limit).
pub const MAX_LEN: usize = 90;

/// Which checksum constant a string uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// BIP173.
    Bech32,
    /// BIP350.
    Bech32m,
}

impl Variant {
    fn constant(self) -> u32 {
        match self {
            Variant::Bech32 => 1,
            Variant::Bech32m => 0x2bc8_30a3,
        }
    }
}

fn charset_value(c: u8) -> Option<u8> {
    let lower = c.to_ascii_lowercase();
    CHARSET.iter().position(|&x| x == lower).map(|p| p as u8)
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ v as u32;
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn expand(hrp: &str, data: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    v.push(0);
    v.extend(hrp.bytes().map(|b| b & 31));
    v.extend_from_slice(data);
    v
}

/// Encodes `hrp` and 5-bit `data` with the variant's checksum.
pub fn encode(variant: Variant, hrp: &str, data: &[u8]) -> String {
    let mut v = expand(hrp, data);
    v.extend([0u8; CHECKSUM_LEN]);
    let m = polymod(&v) ^ variant.constant();
    let mut s = String::with_capacity(hrp.len() + 1 + data.len() + CHECKSUM_LEN);
    s.push_str(hrp);
    s.push('1');
    for &d in data {
        s.push(CHARSET[d as usize] as char);
    }
    for i in 0..CHECKSUM_LEN {
        s.push(CHARSET[((m >> (5 * (5 - i))) & 31) as usize] as char);
    }
    s
}

/// Indices of characters that are out of range or break the single-case rule.
fn bad_characters(s: &str) -> Vec<usize> {
    let (mut lower, mut upper) = (false, false);
    let mut bad = Vec::new();
    for (i, c) in s.bytes().enumerate() {
        if c.is_ascii_lowercase() {
            if upper {
                bad.push(i);
            } else {
                lower = true;
            }
        } else if c.is_ascii_uppercase() {
            if lower {
                bad.push(i);
            } else {
                upper = true;
            }
        } else if !(33..=126).contains(&c) {
            bad.push(i);
        }
    }
    bad
}

/// A successfully decoded string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Checksum variant.
    pub variant: Variant,
    /// Lower-cased human-readable part.
    pub hrp: String,
    /// 5-bit values without the checksum.
    pub data: Vec<u8>,
}

/// Splits into (lower-case hrp, values) if characters and separator are fine.
fn split(s: &str) -> Option<(String, Vec<u8>)> {
    if !bad_characters(s).is_empty() || s.len() > MAX_LEN {
        return None;
    }
    let pos = s.rfind('1')?;
    if pos == 0 || pos + CHECKSUM_LEN >= s.len() {
        return None;
    }
    let values = s.as_bytes()[pos + 1..]
        .iter()
        .map(|&c| charset_value(c))
        .collect::<Option<Vec<u8>>>()?;
    Some((s[..pos].to_ascii_lowercase(), values))
}

/// Decodes a Bech32 or Bech32m string; `None` if anything is wrong.
pub fn decode(s: &str) -> Option<Decoded> {
    let (hrp, values) = split(s)?;
    let check = polymod(&expand(&hrp, &values));
    let variant = if check == Variant::Bech32.constant() {
        Variant::Bech32
    } else if check == Variant::Bech32m.constant() {
        Variant::Bech32m
    } else {
        return None;
    };
    let data = values[..values.len() - CHECKSUM_LEN].to_vec();
    Some(Decoded { variant, hrp, data })
}

/// Log/antilog tables of GF(1024), built as a degree-2 extension of GF(32).
struct Gf1024 {
    exp: [u16; 1023],
    log: [i16; 1024],
}

fn gf1024() -> &'static Gf1024 {
    static TABLES: OnceLock<Gf1024> = OnceLock::new();
    TABLES.get_or_init(|| {
        // GF(32) with modulus x^5 + x^3 + 1.
        let mut exp32 = [0u8; 31];
        let mut log32 = [0i8; 32];
        let mut v: u8 = 1;
        for (i, e) in exp32.iter_mut().enumerate() {
            *e = v;
            log32[v as usize] = i as i8;
            v <<= 1;
            if v & 32 != 0 {
                v ^= 41;
            }
        }
        let mul32 = |a: u8, b: u8| -> u8 {
            if a == 0 || b == 0 {
                0
            } else {
                exp32[(log32[a as usize] as usize + log32[b as usize] as usize) % 31]
            }
        };
        // GF(1024) = GF(32)[e] / (e^2 + 9e + 23); element = hi*e + lo packed as hi<<5|lo.
        let mut exp = [0u16; 1023];
        let mut log = [-1i16; 1024];
        let mut w: u16 = 1;
        for (i, e) in exp.iter_mut().enumerate() {
            *e = w;
            log[w as usize] = i as i16;
            let lo = (w & 31) as u8;
            let hi = (w >> 5) as u8;
            let new_lo = mul32(hi, 23);
            let new_hi = mul32(hi, 9) ^ lo;
            w = (new_hi as u16) << 5 | new_lo as u16;
        }
        Gf1024 { exp, log }
    })
}

/// The three syndromes s_997, s_998, s_999 of a residue, packed 10 bits each.
fn syndrome(residue: u32) -> u32 {
    let gf = gf1024();
    let low = residue & 31;
    let mut out = low ^ (low << 10) ^ (low << 20);
    for k in 1..6usize {
        for bit in 0..5usize {
            if (residue >> (5 * k + bit)) & 1 == 0 {
                continue;
            }
            let b = gf.log[1usize << bit] as usize;
            let term = |j: usize| gf.exp[(j * k + b) % 1023] as u32;
            out ^= term(999) << 20 | term(998) << 10 | term(997);
        }
    }
    out
}

/// Up to two likely error positions (as indices into a string of `len` characters
/// whose data part has `data_len` characters) for one residue, or empty.
fn error_positions(residue: u32, len: usize, data_len: usize) -> Vec<usize> {
    let gf = gf1024();
    let syn = syndrome(residue);
    let s0 = (syn & 0x3ff) as usize;
    let s1 = ((syn >> 10) & 0x3ff) as usize;
    let s2 = (syn >> 20) as usize;
    let (l0, l1, l2) = (gf.log[s0] as i64, gf.log[s1] as i64, gf.log[s2] as i64);
    if l0 != -1 && l1 != -1 && l2 != -1 && (2 * l1 - l2 - l0 + 2046) % 1023 == 0 {
        // A single error at p1, with value e1 that must lie in GF(32).
        let p1 = ((l1 - l0 + 1023) % 1023) as usize;
        let l_e1 = l0 + (1023 - 997) * p1 as i64;
        if p1 < data_len && l_e1 % 33 == 0 {
            return vec![len - p1 - 1];
        }
        return Vec::new();
    }
    let add_shift = |s: usize, l: i64, p: usize| -> usize {
        if s == 0 {
            0
        } else {
            gf.exp[((l + p as i64) % 1023) as usize] as usize
        }
    };
    for p1 in 0..data_len {
        let a = s2 ^ add_shift(s1, l1, p1);
        if a == 0 {
            continue;
        }
        let b = s1 ^ add_shift(s0, l0, p1);
        if b == 0 {
            continue;
        }
        let (la, lb) = (gf.log[a] as i64, gf.log[b] as i64);
        let p2 = ((la - lb + 1023) % 1023) as usize;
        if p2 >= data_len || p2 == p1 {
            continue;
        }
        let c = s1 ^ add_shift(s0, l0, p2);
        if c == 0 {
            continue;
        }
        let lc = gf.log[c] as i64;
        let inv = 1023 - gf.log[(gf.exp[p1] ^ gf.exp[p2]) as usize] as i64;
        let l_e2 = lb + inv + (1023 - 997) * p2 as i64;
        if l_e2 % 33 != 0 {
            continue;
        }
        let l_e1 = lc + inv + (1023 - 997) * p1 as i64;
        if l_e1 % 33 != 0 {
            continue;
        }
        let (hi, lo) = if p1 > p2 { (p1, p2) } else { (p2, p1) };
        return vec![len - hi - 1, len - lo - 1];
    }
    Vec::new()
}

/// Explains why `s` is not a valid Bech32(m) string: Core's message and the indices
/// of likely wrong characters. An empty message means no error was found.
pub fn locate_errors(s: &str) -> (String, Vec<usize>) {
    if s.len() > MAX_LEN {
        return (
            "Bech32 string too long".into(),
            (MAX_LEN..s.len()).collect(),
        );
    }
    let bad = bad_characters(s);
    if !bad.is_empty() {
        return ("Invalid character or mixed case".into(), bad);
    }
    let Some(pos) = s.rfind('1') else {
        return ("Missing separator".into(), Vec::new());
    };
    if pos == 0 || pos + CHECKSUM_LEN >= s.len() {
        return ("Invalid separator position".into(), vec![pos]);
    }
    let hrp = s[..pos].to_ascii_lowercase();
    let mut values = Vec::with_capacity(s.len() - pos - 1);
    for (i, c) in s.bytes().enumerate().skip(pos + 1) {
        match charset_value(c) {
            Some(v) => values.push(v),
            None => return ("Invalid Base 32 character".into(), vec![i]),
        }
    }
    let check = polymod(&expand(&hrp, &values));
    let mut best: Vec<usize> = Vec::new();
    let mut best_variant = None;
    for variant in [Variant::Bech32, Variant::Bech32m] {
        let residue = check ^ variant.constant();
        if residue == 0 {
            return (String::new(), Vec::new());
        }
        let found = error_positions(residue, s.len(), values.len());
        if best.is_empty() || (!found.is_empty() && found.len() < best.len()) {
            best = found;
            if !best.is_empty() {
                best_variant = Some(variant);
            }
        }
    }
    let msg = match best_variant {
        Some(Variant::Bech32m) => "Invalid Bech32m checksum",
        Some(Variant::Bech32) => "Invalid Bech32 checksum",
        None => "Invalid checksum",
    };
    (msg.into(), best)
}

/// Regroups bits (e.g. 8→5 with padding, 5→8 without); `None` on bad padding.
pub fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let mut acc: u64 = 0;
    let mut bits: u32 = 0;
    let maxv: u64 = (1 << to) - 1;
    let keep: u64 = (1 << (from + to - 1)) - 1;
    let mut out = Vec::with_capacity(data.len() * from as usize / to as usize + 1);
    for &v in data {
        acc = ((acc << from) | v as u64) & keep;
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & maxv) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let data = convert_bits(&[0xee; 32], 8, 5, true).unwrap();
        let mut d = vec![1u8];
        d.extend(data);
        let s = encode(Variant::Bech32m, "bcrt", &d);
        assert_eq!(
            s,
            "bcrt1pamhwamhwamhwamhwamhwamhwamhwamhwamhwamhwamhwamhwamhqz6nvlh"
        );
        let dec = decode(&s).unwrap();
        assert_eq!(dec.variant, Variant::Bech32m);
        assert_eq!(dec.data, d);
    }

    #[test]
    fn locates_single_error() {
        // Valid: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4; one char changed.
        let (msg, locs) = locate_errors("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5");
        assert_eq!(msg, "Invalid Bech32 checksum");
        assert_eq!(locs, vec![41]);
        assert_eq!(
            locate_errors("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").0,
            ""
        );
    }

    #[test]
    fn structural_errors() {
        assert_eq!(locate_errors("bcrtqw508").0, "Missing separator");
        assert_eq!(locate_errors("bc1qA").1, vec![4]);
        assert_eq!(
            locate_errors(&"a".repeat(95)).1,
            (90..95).collect::<Vec<_>>()
        );
    }
}
