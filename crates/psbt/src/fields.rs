//! Field types shared by the global, input and output maps: key origins,
//! proprietary entries, and the parsers for key-path style values.

use crate::codec::{write_bytes, write_compact, DecodeError, Reader, Result};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A master key fingerprint and derivation path (Core's `KeyOriginInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOrigin {
    /// The first four bytes of the master key's hash160.
    pub fingerprint: [u8; 4],
    /// Child indexes; the high bit marks hardened steps.
    pub path: Vec<u32>,
}

impl Ord for KeyOrigin {
    // Core orders by fingerprint, then path length, then path elements.
    fn cmp(&self, other: &Self) -> Ordering {
        self.fingerprint
            .cmp(&other.fingerprint)
            .then(self.path.len().cmp(&other.path.len()))
            .then_with(|| self.path.cmp(&other.path))
    }
}

impl PartialOrd for KeyOrigin {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl KeyOrigin {
    /// `m/0'/1` style text with `h` for hardened steps, as Core prints it.
    pub fn path_string(&self) -> String {
        let mut s = String::from("m");
        for i in &self.path {
            s.push_str(&format!("/{}", i & 0x7fff_ffff));
            if i >> 31 == 1 {
                s.push('h');
            }
        }
        s
    }

    /// Reads an origin of `len` bytes (fingerprint + 4 bytes per step).
    pub fn read(r: &mut Reader, len: u64) -> Result<Self> {
        if !len.is_multiple_of(4) || len == 0 {
            return Err(DecodeError::stream("Invalid length for HD key path"));
        }
        let fingerprint = r.array()?;
        let mut path = Vec::new();
        for _ in 1..len / 4 {
            path.push(r.u32()?);
        }
        Ok(KeyOrigin { fingerprint, path })
    }

    /// Reads a length-prefixed origin.
    pub fn read_prefixed(r: &mut Reader) -> Result<Self> {
        let len = r.compact()?;
        Self::read(r, len)
    }

    /// Appends the origin without a length prefix.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.fingerprint);
        for i in &self.path {
            out.extend_from_slice(&i.to_le_bytes());
        }
    }

    /// The origin as a length-prefixed value.
    pub fn to_value(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write(&mut v);
        v
    }
}

/// A proprietary key-value pair (type 0xFC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proprietary {
    /// The identifier prefix of the key.
    pub identifier: Vec<u8>,
    /// The subtype after the identifier.
    pub subtype: u64,
    /// The whole key, type byte included.
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

/// Proprietary entries by whole key; the first one for a key is kept.
pub type ProprietaryMap = BTreeMap<Vec<u8>, Proprietary>;

/// Reads a proprietary entry whose key is `key` (type byte included).
pub fn read_proprietary(r: &mut Reader, key: &[u8], map: &mut ProprietaryMap) -> Result<()> {
    let mut k = Reader::new(key);
    k.compact()?;
    let identifier = k.bytes()?;
    let subtype = k.compact()?;
    let value = r.bytes()?;
    map.entry(key.to_vec()).or_insert(Proprietary {
        identifier,
        subtype,
        key: key.to_vec(),
        value,
    });
    Ok(())
}

/// Appends the entries of an unknown or proprietary map.
pub fn write_raw_pairs<'a>(
    out: &mut Vec<u8>,
    pairs: impl Iterator<Item = (&'a Vec<u8>, &'a Vec<u8>)>,
) {
    for (k, v) in pairs {
        write_bytes(out, k);
        write_bytes(out, v);
    }
}

/// Fails unless `key` has exactly `size` bytes (type byte included).
pub fn expect_key_size(name: &str, key: &[u8], size: usize) -> Result<()> {
    if key.len() != size {
        return Err(DecodeError::stream(format!(
            "Size of key was not {size} for the type {name}"
        )));
    }
    Ok(())
}

/// Whether `data` is a public key secp256k1 accepts (Core's `IsFullyValid`).
pub fn pubkey_valid(data: &[u8]) -> bool {
    let expected = match data.first() {
        Some(2 | 3) => 33,
        Some(4 | 6 | 7) => 65,
        _ => return false,
    };
    data.len() == expected && bitcoin::secp256k1::PublicKey::from_slice(data).is_ok()
}

/// BIP32 derivations by public key.
pub type KeyPaths = BTreeMap<Vec<u8>, KeyOrigin>;

/// Reads a BIP32 derivation entry: the key holds the public key.
pub fn read_keypath(r: &mut Reader, key: &[u8], paths: &mut KeyPaths) -> Result<()> {
    if key.len() != 34 && key.len() != 66 {
        return Err(DecodeError::stream(
            "Size of key was not the expected size for the type BIP32 keypath",
        ));
    }
    if !pubkey_valid(&key[1..]) {
        return Err(DecodeError::stream("Invalid pubkey"));
    }
    let origin = KeyOrigin::read_prefixed(r)?;
    paths.entry(key[1..].to_vec()).or_insert(origin);
    Ok(())
}

/// Appends BIP32 derivation entries under type `ty`.
pub fn write_keypaths(out: &mut Vec<u8>, ty: u8, paths: &KeyPaths) {
    for (pk, origin) in paths {
        crate::codec::write_pair(out, ty, pk, &origin.to_value());
    }
}

/// Taproot derivations: x-only key to (leaf hashes, origin).
pub type TapKeyPaths = BTreeMap<[u8; 32], (BTreeSet<[u8; 32]>, KeyOrigin)>;

/// Reads a taproot BIP32 derivation value for `xonly`; `what` is "Input" or "Output".
pub fn read_tap_keypath(
    r: &mut Reader,
    xonly: [u8; 32],
    what: &str,
    paths: &mut TapKeyPaths,
) -> Result<()> {
    let value_len = r.compact()?;
    let before = r.remaining();
    let n = r.compact()?;
    let mut hashes = BTreeSet::new();
    for _ in 0..n {
        hashes.insert(r.array::<32>()?);
    }
    let hashes_len = (before - r.remaining()) as u64;
    if hashes_len > value_len {
        return Err(DecodeError::stream(format!(
            "{what} Taproot BIP32 keypath has an invalid length"
        )));
    }
    let origin = KeyOrigin::read(r, value_len - hashes_len)?;
    paths.entry(xonly).or_insert((hashes, origin));
    Ok(())
}

/// Appends taproot derivation entries under type `ty`.
pub fn write_tap_keypaths(out: &mut Vec<u8>, ty: u8, paths: &TapKeyPaths) {
    for (xonly, (hashes, origin)) in paths {
        let mut v = Vec::new();
        write_compact(&mut v, hashes.len() as u64);
        for h in hashes {
            v.extend_from_slice(h);
        }
        origin.write(&mut v);
        crate::codec::write_pair(out, ty, xonly, &v);
    }
}

/// BIP373 `PSBT_IN_MUSIG2_PARTICIPANT_PUBKEYS`.
pub const IN_MUSIG2_PARTICIPANT_PUBKEYS: u8 = 0x1a;
/// BIP373 `PSBT_IN_MUSIG2_PUB_NONCE`.
pub const IN_MUSIG2_PUB_NONCE: u8 = 0x1b;
/// BIP373 `PSBT_IN_MUSIG2_PARTIAL_SIG`.
pub const IN_MUSIG2_PARTIAL_SIG: u8 = 0x1c;
/// BIP373 `PSBT_OUT_MUSIG2_PARTICIPANT_PUBKEYS`.
pub const OUT_MUSIG2_PARTICIPANT_PUBKEYS: u8 = 0x08;

/// The key data (after the type) of a MuSig2 public nonce or partial
/// signature entry: participant, aggregate, and the leaf hash unless it is
/// a key-path entry (all zeros).
pub fn musig_entry_key(part: &[u8], agg: &[u8], leaf: &[u8; 32]) -> Vec<u8> {
    let mut k = [part, agg].concat();
    if *leaf != [0u8; 32] {
        k.extend_from_slice(leaf);
    }
    k
}

/// The (aggregate, participant, leaf hash or zeros) of a MuSig2 nonce or
/// partial signature entry's key data; `None` unless both keys are valid
/// compressed keys.
pub fn parse_musig_entry_key(data: &[u8]) -> Option<(Vec<u8>, Vec<u8>, [u8; 32])> {
    if data.len() != 66 && data.len() != 98 {
        return None;
    }
    let (part, agg) = (&data[..33], &data[33..66]);
    if !pubkey_valid(part) || !pubkey_valid(agg) {
        return None;
    }
    let mut leaf = [0u8; 32];
    if data.len() == 98 {
        leaf.copy_from_slice(&data[66..]);
    }
    Some((agg.to_vec(), part.to_vec(), leaf))
}

/// The participant keys of a MuSig2 participants entry's value; `None`
/// unless it is whole valid 33-byte keys.
pub fn parse_participants(value: &[u8]) -> Option<Vec<Vec<u8>>> {
    let chunks = value.chunks_exact(33);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks
        .map(|c| pubkey_valid(c).then(|| c.to_vec()))
        .collect()
}

/// MuSig2 participants by aggregate key.
pub type Participants = BTreeMap<Vec<u8>, Vec<Vec<u8>>>;

/// Reads a MuSig2 participants entry; `what` is "Input" or "Output".
pub fn read_participants(
    r: &mut Reader,
    key: &[u8],
    what: &str,
    map: &mut Participants,
) -> Result<()> {
    let agg = &key[1..];
    if !pubkey_valid(agg) {
        return Err(DecodeError::stream(format!(
            "{what} musig2 aggregate pubkey is invalid"
        )));
    }
    let val = r.bytes()?;
    let mut parts = Vec::new();
    let mut chunks = val.chunks_exact(33);
    for c in &mut chunks {
        if !pubkey_valid(c) {
            return Err(DecodeError::stream(format!(
                "{what} musig2 participant pubkey is invalid"
            )));
        }
        parts.push(c.to_vec());
    }
    if !chunks.remainder().is_empty() {
        return Err(DecodeError::stream(format!(
            "{what} musig2 participants pubkeys value size is not a multiple of 33"
        )));
    }
    map.entry(agg.to_vec()).or_insert(parts);
    Ok(())
}

/// Appends MuSig2 participant entries under type `ty`.
pub fn write_participants(out: &mut Vec<u8>, ty: u8, map: &Participants) {
    for (agg, parts) in map {
        crate::codec::write_pair(out, ty, agg, &parts.concat());
    }
}

/// Inserts every entry of `from` whose key `into` lacks (Core's `map::insert`).
pub fn merge_map<K: Ord + Clone, V: Clone>(into: &mut BTreeMap<K, V>, from: &BTreeMap<K, V>) {
    for (k, v) in from {
        into.entry(k.clone()).or_insert_with(|| v.clone());
    }
}
