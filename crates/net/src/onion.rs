//! Text forms of Tor v3 and I2P addresses: RFC 4648 base32 (lowercase, no
//! padding) and the Tor v3 checksum, which needs SHA3-256 (no crate in the
//! workspace provides it, so the Keccak permutation lives here).

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Tor v3 address version byte.
const TORV3_VERSION: u8 = 3;

/// Base32 of `data`, lowercase, without padding.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Bytes of lowercase unpadded base32 text; `None` on a foreign character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = ((acc << 5) | v) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The two checksum bytes of a Tor v3 address.
fn torv3_checksum(pubkey: &[u8; 32]) -> [u8; 2] {
    let mut data = b".onion checksum".to_vec();
    data.extend_from_slice(pubkey);
    data.push(TORV3_VERSION);
    let h = sha3_256(&data);
    [h[0], h[1]]
}

/// The name of a Tor v3 service (without `.onion`).
pub fn encode_torv3(pubkey: &[u8; 32]) -> String {
    let mut data = pubkey.to_vec();
    data.extend_from_slice(&torv3_checksum(pubkey));
    data.push(TORV3_VERSION);
    base32_encode(&data)
}

/// The public key of a Tor v3 name (without `.onion`), checking its length,
/// version and checksum.
pub fn decode_torv3(name: &str) -> Option<[u8; 32]> {
    if name.len() != 56 {
        return None;
    }
    let data = base32_decode(name)?;
    if data.len() != 35 || data[34] != TORV3_VERSION {
        return None;
    }
    let pubkey: [u8; 32] = data[..32].try_into().ok()?;
    (torv3_checksum(&pubkey) == [data[32], data[33]]).then_some(pubkey)
}

const ROUND_CONSTANTS: [u64; 24] = [
    0x0000000000000001,
    0x0000000000008082,
    0x800000000000808a,
    0x8000000080008000,
    0x000000000000808b,
    0x0000000080000001,
    0x8000000080008081,
    0x8000000000008009,
    0x000000000000008a,
    0x0000000000000088,
    0x0000000080008009,
    0x000000008000000a,
    0x000000008000808b,
    0x800000000000008b,
    0x8000000000008089,
    0x8000000000008003,
    0x8000000000008002,
    0x8000000000000080,
    0x000000000000800a,
    0x800000008000000a,
    0x8000000080008081,
    0x8000000000008080,
    0x0000000080000001,
    0x8000000080008008,
];
const ROTATIONS: [u32; 24] = [
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
];
const LANES: [usize; 24] = [
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
];

fn keccak_f(a: &mut [u64; 25]) {
    for rc in ROUND_CONSTANTS {
        // θ: mix each column's parity into its neighbours.
        let c: [u64; 5] =
            std::array::from_fn(|x| a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]);
        for x in 0..5 {
            let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
            for y in 0..5 {
                a[x + 5 * y] ^= d;
            }
        }
        // ρ and π: rotate lanes while moving them along the fixed cycle.
        let mut last = a[1];
        for (&lane, &rot) in LANES.iter().zip(ROTATIONS.iter()) {
            let tmp = a[lane];
            a[lane] = last.rotate_left(rot);
            last = tmp;
        }
        // χ: the only non-linear step, row by row.
        for y in 0..5 {
            let row: [u64; 5] = std::array::from_fn(|x| a[5 * y + x]);
            for (x, v) in row.iter().enumerate() {
                a[5 * y + x] = v ^ (!row[(x + 1) % 5] & row[(x + 2) % 5]);
            }
        }
        a[0] ^= rc;
    }
}

/// SHA3-256 (FIPS 202).
pub fn sha3_256(data: &[u8]) -> [u8; 32] {
    const RATE: usize = 136;
    let mut state = [0u64; 25];
    let mut padded = data.to_vec();
    padded.push(0x06);
    while !padded.len().is_multiple_of(RATE) {
        padded.push(0);
    }
    if let Some(last) = padded.last_mut() {
        *last |= 0x80;
    }
    for block in padded.chunks_exact(RATE) {
        for (i, lane) in block.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(lane);
            state[i] ^= u64::from_le_bytes(b);
        }
        keccak_f(&mut state);
    }
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&state[i].to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha3_matches_fips_202_vectors() {
        assert_eq!(
            hex::encode(sha3_256(b"")),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        );
        assert_eq!(
            hex::encode(sha3_256(b"abc")),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        );
        // Longer than one block (NIST's 1600-bit message).
        assert_eq!(
            hex::encode(sha3_256(&[0xa3; 200])),
            "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787"
        );
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32_encode(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzx!"), None);
    }
}
