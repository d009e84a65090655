//! Core's compact on-disk encodings: the MSB-first base-128 VARINT, the
//! CompactSize vector length prefix, amount compression, script compression
//! and the compressed transaction output built from them.
//!
//! These encodings are shared by undo records (`rev?????.dat`) and by the
//! UTXO entries kept in the database, so both stay byte-identical to what
//! Bitcoin Core writes.

use crate::Coin;
use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, OutPoint, ScriptBuf, TxOut};

/// Largest length accepted for a CompactSize-prefixed container (Core's `MAX_SIZE`).
pub const MAX_SIZE: u64 = 0x0200_0000;

/// Largest script kept verbatim when decoding; longer ones become `OP_RETURN`
/// (Core's `MAX_SCRIPT_SIZE`).
pub const MAX_SCRIPT_SIZE: usize = 10_000;

/// Number of script templates that have a special compressed form.
pub const SPECIAL_SCRIPTS: u64 = 6;

/// A decoding failure: malformed or truncated bytes (the one error type of
/// every Core-format reader).
pub use crate::codec::DecodeError;

fn derr(msg: &str) -> DecodeError {
    DecodeError(msg.to_string())
}

/// A cursor over a byte slice; every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Start reading at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Read one byte.
    pub fn read_u8(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| derr("unexpected end of data"))?;
        self.pos += 1;
        Ok(b)
    }

    /// Read exactly `n` bytes.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| derr("unexpected end of data"))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Read a fixed-size array.
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.read_bytes(N)?);
        Ok(out)
    }

    /// Read a little-endian `u16`.
    pub fn read_u16_le(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.read_array()?))
    }

    /// Read a little-endian `u32`.
    pub fn read_u32_le(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.read_array()?))
    }

    /// Read a little-endian `u64`.
    pub fn read_u64_le(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.read_array()?))
    }
}

// ---------------------------------------------------------------------------
// VARINT
// ---------------------------------------------------------------------------

/// Append `n` in Core's VARINT encoding: big-endian groups of 7 bits, the
/// high bit set on every byte but the last, and one subtracted from each
/// group but the last so that every number has exactly one encoding.
pub fn write_varint(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 10];
    let mut len = 0usize;
    loop {
        tmp[len] = (n & 0x7f) as u8 | if len > 0 { 0x80 } else { 0 };
        if n <= 0x7f {
            break;
        }
        n = (n >> 7) - 1;
        len += 1;
    }
    for i in (0..=len).rev() {
        out.push(tmp[i]);
    }
}

/// Encoded length of `n` as a VARINT.
pub fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n > 0x7f {
        n = (n >> 7) - 1;
        len += 1;
    }
    len
}

fn read_varint_max(r: &mut Reader<'_>, max: u64) -> Result<u64, DecodeError> {
    let mut n: u64 = 0;
    loop {
        let b = r.read_u8()?;
        if n > (max >> 7) {
            return Err(derr("ReadVarInt(): size too large"));
        }
        n = (n << 7) | u64::from(b & 0x7f);
        if b & 0x80 != 0 {
            if n == max {
                return Err(derr("ReadVarInt(): size too large"));
            }
            n += 1;
        } else {
            return Ok(n);
        }
    }
}

/// Read a VARINT into a `u64`, rejecting values that overflow.
pub fn read_varint(r: &mut Reader<'_>) -> Result<u64, DecodeError> {
    read_varint_max(r, u64::MAX)
}

/// Read a VARINT into a `u32`, rejecting values that overflow (as Core does
/// for `unsigned int` fields).
pub fn read_varint_u32(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
    read_varint_max(r, u64::from(u32::MAX)).map(|v| v as u32)
}

/// Read a VARINT for a non-negative `int` field (Core's
/// `VarIntMode::NONNEGATIVE_SIGNED` on a 32-bit int).
pub fn read_varint_i32(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
    read_varint_max(r, i32::MAX as u64).map(|v| v as u32)
}

// ---------------------------------------------------------------------------
// CompactSize
// ---------------------------------------------------------------------------

/// Append a CompactSize length prefix.
pub fn write_compact_size(out: &mut Vec<u8>, n: u64) {
    if n < 253 {
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(253);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n <= 0xffff_ffff {
        out.push(254);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    } else {
        out.push(255);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

/// Read a canonical CompactSize no larger than [`MAX_SIZE`].
pub fn read_compact_size(r: &mut Reader<'_>) -> Result<u64, DecodeError> {
    let first = r.read_u8()?;
    let n = match first {
        0..=252 => u64::from(first),
        253 => {
            let v = u64::from(r.read_u16_le()?);
            if v < 253 {
                return Err(derr("non-canonical ReadCompactSize()"));
            }
            v
        }
        254 => {
            let v = u64::from(r.read_u32_le()?);
            if v < 0x1_0000 {
                return Err(derr("non-canonical ReadCompactSize()"));
            }
            v
        }
        255 => {
            let v = r.read_u64_le()?;
            if v < 0x1_0000_0000 {
                return Err(derr("non-canonical ReadCompactSize()"));
            }
            v
        }
    };
    if n > MAX_SIZE {
        return Err(derr("ReadCompactSize(): size too large"));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------

/// Core's amount compression: strip trailing decimal zeros (up to 9) into an
/// exponent and fold the last non-zero digit in, so round amounts encode in
/// very few bytes.
pub fn compress_amount(mut n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut e = 0u64;
    while n.is_multiple_of(10) && e < 9 {
        n /= 10;
        e += 1;
    }
    if e < 9 {
        let d = n % 10;
        n /= 10;
        // Wrapping: only absurd (> 21M BTC) values could overflow.
        (n.wrapping_mul(9).wrapping_add(d - 1))
            .wrapping_mul(10)
            .wrapping_add(e + 1)
    } else {
        (n - 1).wrapping_mul(10).wrapping_add(10)
    }
}

/// Inverse of [`compress_amount`]. Uses wrapping arithmetic so that garbage
/// input cannot panic (Core's unsigned arithmetic wraps the same way).
pub fn decompress_amount(mut x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    x -= 1;
    let mut e = x % 10;
    x /= 10;
    let mut n = if e < 9 {
        let d = (x % 9) + 1;
        x /= 9;
        x.wrapping_mul(10).wrapping_add(d)
    } else {
        x.wrapping_add(1)
    };
    while e > 0 {
        n = n.wrapping_mul(10);
        e -= 1;
    }
    n
}

// ---------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------

const OP_DUP: u8 = 0x76;
const OP_HASH160: u8 = 0xa9;
const OP_EQUAL: u8 = 0x87;
const OP_EQUALVERIFY: u8 = 0x88;
const OP_CHECKSIG: u8 = 0xac;
const OP_RETURN: u8 = 0x6a;

/// The special compressed form of `script`, if it has one: `0x00`+hash160
/// (P2PKH), `0x01`+hash160 (P2SH), `0x02`/`0x03`+x (P2PK, compressed key),
/// `0x04`/`0x05`+x (P2PK, valid uncompressed key; the low bit is y's parity).
pub fn compress_script(script: &[u8]) -> Option<Vec<u8>> {
    let s = script;
    if s.len() == 25
        && s[0] == OP_DUP
        && s[1] == OP_HASH160
        && s[2] == 20
        && s[23] == OP_EQUALVERIFY
        && s[24] == OP_CHECKSIG
    {
        let mut out = Vec::with_capacity(21);
        out.push(0x00);
        out.extend_from_slice(&s[3..23]);
        return Some(out);
    }
    if s.len() == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL {
        let mut out = Vec::with_capacity(21);
        out.push(0x01);
        out.extend_from_slice(&s[2..22]);
        return Some(out);
    }
    if s.len() == 35 && s[0] == 33 && s[34] == OP_CHECKSIG && (s[1] == 0x02 || s[1] == 0x03) {
        return Some(s[1..34].to_vec());
    }
    if s.len() == 67
        && s[0] == 65
        && s[66] == OP_CHECKSIG
        && s[1] == 0x04
        && PublicKey::from_slice(&s[1..66]).is_ok()
    {
        let mut out = Vec::with_capacity(33);
        out.push(0x04 | (s[65] & 0x01));
        out.extend_from_slice(&s[2..34]);
        return Some(out);
    }
    None
}

/// Append `script` in Core's compressed-script form: a special form from
/// [`compress_script`], else `VARINT(len + 6)` followed by the raw bytes.
pub fn write_compressed_script(out: &mut Vec<u8>, script: &[u8]) {
    if let Some(c) = compress_script(script) {
        out.extend_from_slice(&c);
        return;
    }
    write_varint(out, script.len() as u64 + SPECIAL_SCRIPTS);
    out.extend_from_slice(script);
}

fn decompress_special(kind: u64, payload: &[u8]) -> ScriptBuf {
    let mut s = Vec::new();
    match kind {
        0 => {
            s.extend_from_slice(&[OP_DUP, OP_HASH160, 20]);
            s.extend_from_slice(payload);
            s.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
        }
        1 => {
            s.extend_from_slice(&[OP_HASH160, 20]);
            s.extend_from_slice(payload);
            s.push(OP_EQUAL);
        }
        2 | 3 => {
            s.push(33);
            s.push(kind as u8);
            s.extend_from_slice(payload);
            s.push(OP_CHECKSIG);
        }
        _ => {
            // 4 or 5: rebuild the uncompressed key from x and y's parity.
            let mut compressed = [0u8; 33];
            compressed[0] = (kind - 2) as u8;
            compressed[1..].copy_from_slice(payload);
            // An x that is not on the curve cannot be decompressed; Core then
            // leaves the script empty.
            if let Ok(pk) = PublicKey::from_slice(&compressed) {
                s.push(65);
                s.extend_from_slice(&pk.serialize_uncompressed());
                s.push(OP_CHECKSIG);
            }
        }
    }
    ScriptBuf::from_bytes(s)
}

/// Read a script in Core's compressed-script form.
pub fn read_compressed_script(r: &mut Reader<'_>) -> Result<ScriptBuf, DecodeError> {
    let n = read_varint_u32(r)? as u64;
    if n < SPECIAL_SCRIPTS {
        let len = if n < 2 { 20 } else { 32 };
        let payload = r.read_bytes(len)?;
        return Ok(decompress_special(n, payload));
    }
    let len = (n - SPECIAL_SCRIPTS) as usize;
    if len > MAX_SCRIPT_SIZE {
        r.read_bytes(len)?;
        return Ok(ScriptBuf::from_bytes(vec![OP_RETURN]));
    }
    Ok(ScriptBuf::from_bytes(r.read_bytes(len)?.to_vec()))
}

// ---------------------------------------------------------------------------
// Outputs and coins
// ---------------------------------------------------------------------------

/// Append an output in compressed form: `VARINT(compress_amount(value))`
/// followed by the compressed script.
pub fn write_compressed_txout(out: &mut Vec<u8>, txout: &TxOut) {
    write_varint(out, compress_amount(txout.value.to_sat()));
    write_compressed_script(out, txout.script_pubkey.as_bytes());
}

/// Read an output in compressed form.
pub fn read_compressed_txout(r: &mut Reader<'_>) -> Result<TxOut, DecodeError> {
    let value = decompress_amount(read_varint(r)?);
    let script_pubkey = read_compressed_script(r)?;
    Ok(TxOut {
        value: Amount::from_sat(value),
        script_pubkey,
    })
}

/// The `height * 2 + coinbase` code that precedes a coin's output.
pub fn coin_code(coin: &Coin) -> u32 {
    (coin.height << 1) | u32::from(coin.is_coinbase)
}

/// Append a coin as Core stores it in the chainstate database:
/// `VARINT(height * 2 + coinbase)` then the compressed output.
pub fn write_coin(out: &mut Vec<u8>, coin: &Coin) {
    write_varint(out, u64::from(coin_code(coin)));
    write_compressed_txout(out, &coin.output);
}

/// Serialize a coin in Core's chainstate-database value format.
pub fn serialize_coin(coin: &Coin) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    write_coin(&mut out, coin);
    out
}

/// Read a coin in Core's chainstate-database value format.
pub fn read_coin(r: &mut Reader<'_>) -> Result<Coin, DecodeError> {
    let code = read_varint_u32(r)?;
    let output = read_compressed_txout(r)?;
    Ok(Coin {
        output,
        height: code >> 1,
        is_coinbase: code & 1 == 1,
    })
}

/// Decode a whole chainstate-database coin value; trailing bytes are an error.
pub fn deserialize_coin(bytes: &[u8]) -> Result<Coin, DecodeError> {
    let mut r = Reader::new(bytes);
    let coin = read_coin(&mut r)?;
    if r.remaining() != 0 {
        return Err(derr("trailing bytes after coin"));
    }
    Ok(coin)
}

/// Database key of an outpoint: the txid's 32 bytes in internal order then
/// `VARINT(vout)`, as in Core's chainstate keys (without the `'C'` prefix).
/// Sorting these keys bytewise gives exactly the order Core's chainstate
/// cursor visits coins in (txid bytes, then VARINT bytes — which is numeric
/// order for vout < 16512 but not beyond, e.g. 16512 sorts before 16511).
pub fn outpoint_key(outpoint: &OutPoint) -> Vec<u8> {
    use bitcoin::hashes::Hash;
    let mut out = Vec::with_capacity(36);
    out.extend_from_slice(outpoint.txid.as_byte_array());
    write_varint(&mut out, u64::from(outpoint.vout));
    out
}

/// Inverse of [`outpoint_key`].
pub fn outpoint_from_key(key: &[u8]) -> Result<OutPoint, DecodeError> {
    use bitcoin::hashes::Hash;
    let mut r = Reader::new(key);
    let txid = bitcoin::Txid::from_byte_array(r.read_array()?);
    let vout = read_varint_u32(&mut r)?;
    if r.remaining() != 0 {
        return Err(derr("trailing bytes after outpoint key"));
    }
    Ok(OutPoint { txid, vout })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_varint(&mut v, n);
        v
    }

    #[test]
    fn varint_known_encodings() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x00]),
            (255, &[0x80, 0x7f]),
            (256, &[0x81, 0x00]),
            (16511, &[0xff, 0x7f]),
            (16512, &[0x80, 0x80, 0x00]),
            (2_113_663, &[0xff, 0xff, 0x7f]),
            (2_113_664, &[0x80, 0x80, 0x80, 0x00]),
        ];
        for (n, bytes) in cases {
            assert_eq!(&varint(*n)[..], *bytes, "encoding {n}");
            assert_eq!(varint_len(*n), bytes.len());
            let mut r = Reader::new(bytes);
            assert_eq!(read_varint(&mut r).unwrap(), *n);
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn varint_round_trip_and_limits() {
        for n in [
            0u64,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            u32::MAX as u64,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let b = varint(n);
            assert_eq!(read_varint(&mut Reader::new(&b)).unwrap(), n);
        }
        // u32 reader rejects values beyond u32::MAX.
        let b = varint(u32::MAX as u64 + 1);
        assert!(read_varint_u32(&mut Reader::new(&b)).is_err());
        let b = varint(u32::MAX as u64);
        assert_eq!(read_varint_u32(&mut Reader::new(&b)).unwrap(), u32::MAX);
        // Overlong / truncated inputs error out instead of panicking.
        assert!(read_varint(&mut Reader::new(&[0xff; 20])).is_err());
        assert!(read_varint(&mut Reader::new(&[0x80])).is_err());
        assert!(read_varint(&mut Reader::new(&[])).is_err());
    }

    #[test]
    fn compact_size_canonical() {
        let mut v = Vec::new();
        write_compact_size(&mut v, 253);
        assert_eq!(v, [0xfd, 0xfd, 0x00]);
        assert_eq!(read_compact_size(&mut Reader::new(&v)).unwrap(), 253);
        assert!(read_compact_size(&mut Reader::new(&[0xfd, 0x10, 0x00])).is_err());
        assert!(read_compact_size(&mut Reader::new(&[0xfe, 0xff, 0xff, 0x00, 0x00])).is_err());
        // Larger than MAX_SIZE.
        assert!(read_compact_size(&mut Reader::new(&[0xfe, 0x01, 0x00, 0x00, 0x02])).is_err());
    }

    #[test]
    fn amount_compression_known_values() {
        const COIN: u64 = 100_000_000;
        let cases = [
            (0u64, 0u64),
            (1, 1),
            (1_000_000, 7),
            (COIN, 9),
            (50 * COIN, 50),
            (21_000_000 * COIN, 21_000_000),
        ];
        for (amount, compressed) in cases {
            assert_eq!(compress_amount(amount), compressed, "{amount}");
            assert_eq!(decompress_amount(compressed), amount);
        }
        for n in (0..100_000u64).chain([123_456_789, 2_099_999_997_690_000, u32::MAX as u64]) {
            assert_eq!(decompress_amount(compress_amount(n)), n);
        }
        // Garbage never panics.
        let _ = decompress_amount(u64::MAX);
        let _ = compress_amount(u64::MAX);
    }

    fn compressed(script: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_compressed_script(&mut v, script);
        let back = read_compressed_script(&mut Reader::new(&v)).unwrap();
        assert_eq!(back.as_bytes(), script, "round trip");
        v
    }

    #[test]
    fn script_compression_special_forms() {
        let h = [0x11u8; 20];
        let mut p2pkh = vec![0x76, 0xa9, 0x14];
        p2pkh.extend_from_slice(&h);
        p2pkh.extend_from_slice(&[0x88, 0xac]);
        let mut want = vec![0x00];
        want.extend_from_slice(&h);
        assert_eq!(compressed(&p2pkh), want);

        let mut p2sh = vec![0xa9, 0x14];
        p2sh.extend_from_slice(&h);
        p2sh.push(0x87);
        let mut want = vec![0x01];
        want.extend_from_slice(&h);
        assert_eq!(compressed(&p2sh), want);

        // Generator point G.
        let x: [u8; 32] = [
            0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87,
            0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b,
            0x16, 0xf8, 0x17, 0x98,
        ];
        let y: [u8; 32] = [
            0x48, 0x3a, 0xda, 0x77, 0x26, 0xa3, 0xc4, 0x65, 0x5d, 0xa4, 0xfb, 0xfc, 0x0e, 0x11,
            0x08, 0xa8, 0xfd, 0x17, 0xb4, 0x48, 0xa6, 0x85, 0x54, 0x19, 0x9c, 0x47, 0xd0, 0x8f,
            0xfb, 0x10, 0xd4, 0xb8,
        ];
        let mut p2pk_c = vec![0x21, 0x02];
        p2pk_c.extend_from_slice(&x);
        p2pk_c.push(0xac);
        let mut want = vec![0x02];
        want.extend_from_slice(&x);
        assert_eq!(compressed(&p2pk_c), want);

        let mut p2pk_u = vec![0x41, 0x04];
        p2pk_u.extend_from_slice(&x);
        p2pk_u.extend_from_slice(&y);
        p2pk_u.push(0xac);
        let mut want = vec![0x04]; // y is even
        want.extend_from_slice(&x);
        assert_eq!(compressed(&p2pk_u), want);

        // An uncompressed "key" not on the curve is stored verbatim.
        let mut bad = p2pk_u.clone();
        bad[40] ^= 1;
        let c = compressed(&bad);
        assert_eq!(c[0], 67 + 6);
        assert_eq!(c.len(), 68);

        // Anything else: VARINT(len + 6) + bytes.
        assert_eq!(
            compressed(&[0x6a, 0x01, 0xff]),
            vec![0x09, 0x6a, 0x01, 0xff]
        );
        assert_eq!(compressed(&[]), vec![0x06]);
        let long = vec![0x51u8; 200];
        let c = compressed(&long);
        assert_eq!(&c[..2], &[0x80, 0x4e]); // 206 = 0x80 0x4e
    }

    #[test]
    fn oversized_script_becomes_op_return() {
        let mut v = Vec::new();
        write_varint(&mut v, (MAX_SCRIPT_SIZE + 1) as u64 + SPECIAL_SCRIPTS);
        v.extend(std::iter::repeat_n(0u8, MAX_SCRIPT_SIZE + 1));
        let mut r = Reader::new(&v);
        let s = read_compressed_script(&mut r).unwrap();
        assert_eq!(s.as_bytes(), &[0x6a]);
        assert_eq!(r.remaining(), 0);
        // Truncated payloads error out.
        assert!(read_compressed_script(&mut Reader::new(&[0x00, 1, 2, 3])).is_err());
        assert!(read_compressed_script(&mut Reader::new(&[0x10, 1])).is_err());
    }

    #[test]
    fn coin_value_format_and_keys() {
        let mut spk = vec![0xa9, 0x14];
        spk.extend_from_slice(&[0x22; 20]);
        spk.push(0x87);
        let coin = Coin {
            output: TxOut {
                value: Amount::from_sat(100_000_000),
                script_pubkey: ScriptBuf::from_bytes(spk),
            },
            height: 64,
            is_coinbase: true,
        };
        let bytes = serialize_coin(&coin);
        // code = 129 -> 80 01; amount 9; script 01 + hash.
        let mut want = vec![0x80, 0x01, 0x09, 0x01];
        want.extend_from_slice(&[0x22; 20]);
        assert_eq!(bytes, want);
        assert_eq!(deserialize_coin(&bytes).unwrap(), coin);
        assert!(deserialize_coin(&bytes[..10]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(deserialize_coin(&extra).is_err());

        use bitcoin::hashes::Hash;
        let op = OutPoint {
            txid: bitcoin::Txid::from_byte_array([7; 32]),
            vout: 200,
        };
        let key = outpoint_key(&op);
        assert_eq!(key.len(), 34);
        assert_eq!(&key[32..], &[0x80, 0x48]);
        assert_eq!(outpoint_from_key(&key).unwrap(), op);
        // Key order follows vout order up to 16511 ...
        let mut prev = Vec::new();
        for vout in [0u32, 1, 127, 128, 255, 16511] {
            let k = outpoint_key(&OutPoint {
                txid: op.txid,
                vout,
            });
            assert!(k > prev, "vout {vout}");
            prev = k;
        }
        // ... but not beyond (this is Core's chainstate order too).
        let k = |vout| {
            outpoint_key(&OutPoint {
                txid: op.txid,
                vout,
            })
        };
        assert!(k(16512) < k(16511));
    }
}
