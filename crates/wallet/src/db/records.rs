//! Typed codecs for every `wallet.dat` record, byte-exact to Core's
//! serialization (`src/wallet/walletdb.cpp` `WalletBatch::Write*`, the
//! loaders in `LoadWallet`, `CWalletTx` in `src/wallet/transaction.h`).
//!
//! A database key is `str(type)` followed by the key fields; the value is
//! the serialized object. Each record type is a plain struct implementing
//! [`Record`], which encodes its key and value and decodes them back. The
//! decoders accept what Core accepts (trailing bytes are ignored, as Core's
//! streams do) and refuse what Core refuses, with Core's texts where Core
//! has one.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bitcoin::bip32::Xpub;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::secp256k1::{self, PublicKey, Secp256k1, SecretKey};
use bitcoin::{BlockHash, NetworkKind, OutPoint, Transaction, Txid};

use super::ser::{
    locale_independent_atoi_i64, u256_from_display_hex, u256_to_display_hex, DecodeError, Reader,
    Writer,
};

/// A Core `uint256` in internal byte order (txids, block hashes and
/// descriptor ids are shown reversed).
pub type Uint256 = [u8; 32];

/// A descriptor's id: SHA256 of its compat-form string (computed by the keys
/// module; storage only carries it).
pub type DescriptorId = Uint256;

/// The record type strings (Core's `DBKeys`).
pub mod types {
    /// Unused constant in Core (old accounting entries).
    pub const ACENTRY: &str = "acentry";
    /// Active receive descriptor per output type.
    pub const ACTIVEEXTERNALSPK: &str = "activeexternalspk";
    /// Active change descriptor per output type.
    pub const ACTIVEINTERNALSPK: &str = "activeinternalspk";
    /// Locator of the last block synced, always written empty.
    pub const BESTBLOCK: &str = "bestblock";
    /// Locator of the last block synced.
    pub const BESTBLOCK_NOMERKLE: &str = "bestblock_nomerkle";
    /// Legacy encrypted key.
    pub const CRYPTED_KEY: &str = "ckey";
    /// Legacy script.
    pub const CSCRIPT: &str = "cscript";
    /// Legacy default key.
    pub const DEFAULTKEY: &str = "defaultkey";
    /// Address book extra data (`used`, `rr<id>`).
    pub const DESTDATA: &str = "destdata";
    /// Wallet flags.
    pub const FLAGS: &str = "flags";
    /// Legacy HD chain.
    pub const HDCHAIN: &str = "hdchain";
    /// Legacy key metadata.
    pub const KEYMETA: &str = "keymeta";
    /// Legacy plaintext key.
    pub const KEY: &str = "key";
    /// A coin locked with `lockunspent(persistent=true)`.
    pub const LOCKED_UTXO: &str = "lockedutxo";
    /// Encryption master key.
    pub const MASTER_KEY: &str = "mkey";
    /// Unused constant in Core.
    pub const MINVERSION: &str = "minversion";
    /// Address label.
    pub const NAME: &str = "name";
    /// Very old legacy key.
    pub const OLD_KEY: &str = "wkey";
    /// Next transaction order position.
    pub const ORDERPOSNEXT: &str = "orderposnext";
    /// Legacy keypool entry.
    pub const POOL: &str = "pool";
    /// Address purpose.
    pub const PURPOSE: &str = "purpose";
    /// Unused constant in Core.
    pub const SETTINGS: &str = "settings";
    /// Wallet transaction.
    pub const TX: &str = "tx";
    /// Last client version that opened the wallet.
    pub const VERSION: &str = "version";
    /// A descriptor with its range.
    pub const WALLETDESCRIPTOR: &str = "walletdescriptor";
    /// Descriptor xpub cache (parent and derived).
    pub const WALLETDESCRIPTORCACHE: &str = "walletdescriptorcache";
    /// Descriptor last-hardened xpub cache.
    pub const WALLETDESCRIPTORLHCACHE: &str = "walletdescriptorlhcache";
    /// Encrypted descriptor private key.
    pub const WALLETDESCRIPTORCKEY: &str = "walletdescriptorckey";
    /// Plaintext descriptor private key.
    pub const WALLETDESCRIPTORKEY: &str = "walletdescriptorkey";
    /// Legacy watch-only metadata.
    pub const WATCHMETA: &str = "watchmeta";
    /// Legacy watch-only script.
    pub const WATCHS: &str = "watchs";
    /// Record types of legacy wallets; any of them in a descriptor wallet
    /// makes Core refuse it (UNEXPECTED_LEGACY_ENTRY).
    pub const LEGACY_TYPES: [&str; 10] = [
        CRYPTED_KEY,
        CSCRIPT,
        DEFAULTKEY,
        HDCHAIN,
        KEYMETA,
        KEY,
        OLD_KEY,
        POOL,
        WATCHMETA,
        WATCHS,
    ];
}

/// The key prefix of every record of type `ty`: the type as a serialized
/// string. Because the length comes first, one type never prefix-matches
/// another (`walletdescriptor` vs `walletdescriptorcache`).
pub fn type_prefix(ty: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(ty);
    w.into_bytes()
}

/// The type string of a stored key and a reader over the key fields after
/// it.
pub fn split_key(key: &[u8]) -> Result<(String, Reader<'_>), DecodeError> {
    let mut r = Reader::new(key);
    let ty = r.string()?;
    Ok((ty, r))
}

/// Reads a key and checks its type is `expected`.
fn key_reader<'a>(key: &'a [u8], expected: &[&str]) -> Result<(String, Reader<'a>), DecodeError> {
    let (ty, r) = split_key(key)?;
    if !expected.contains(&ty.as_str()) {
        return Err(DecodeError::new(format!(
            "unexpected record type '{ty}', expected '{}'",
            expected.join("' or '")
        )));
    }
    Ok((ty, r))
}

/// One kind of stored record: its key and value bytes, and back.
pub trait Record: Sized {
    /// The full database key (type string and key fields).
    fn key(&self) -> Vec<u8>;
    /// The database value.
    fn value(&self) -> Vec<u8>;
    /// Decodes a stored key and value.
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError>;
}

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

/// `uint256::ONE` in internal order: the block hash Core stores for an
/// abandoned transaction.
pub const UINT256_ONE: Uint256 = {
    let mut v = [0u8; 32];
    v[0] = 1;
    v
};

/// A block locator (Core's `CBlockLocator`): block hashes from the tip back
/// to genesis, thinning out exponentially.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Locator {
    /// Tip first, genesis last.
    pub hashes: Vec<BlockHash>,
}

impl Locator {
    /// The version field Core writes before the hashes (ignored on read).
    pub const DUMMY_VERSION: i32 = 70016;

    fn write(&self, w: &mut Writer) {
        w.i32(Self::DUMMY_VERSION);
        w.compact_size(self.hashes.len() as u64);
        for h in &self.hashes {
            w.u256(&h.to_byte_array());
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let _version = r.i32()?;
        let hashes = r
            .u256_vec()?
            .into_iter()
            .map(BlockHash::from_byte_array)
            .collect();
        Ok(Locator { hashes })
    }
}

/// A BIP32 extended public key in Core's 74-byte form (`CExtPubKey::Encode`:
/// depth, parent fingerprint, child number big-endian, chain code, compressed
/// key), without the 4 version bytes of the base58 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtPubKeyBytes(pub [u8; 74]);

impl ExtPubKeyBytes {
    /// The stored form of `xpub`.
    pub fn from_xpub(xpub: &Xpub) -> Self {
        let full = xpub.encode();
        let mut out = [0u8; 74];
        out.copy_from_slice(&full[4..]);
        ExtPubKeyBytes(out)
    }

    /// The key for the given network kind; fails on an invalid public key
    /// (Core then has no usable cache entry and the descriptor cannot expand).
    pub fn to_xpub(&self, network: NetworkKind) -> Result<Xpub, bitcoin::bip32::Error> {
        let version: [u8; 4] = match network {
            NetworkKind::Main => [0x04, 0x88, 0xB2, 0x1E],
            NetworkKind::Test => [0x04, 0x35, 0x87, 0xCF],
        };
        let mut full = [0u8; 78];
        full[..4].copy_from_slice(&version);
        full[4..].copy_from_slice(&self.0);
        Xpub::decode(&full)
    }

    fn write(&self, w: &mut Writer) {
        w.var_bytes(&self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let v = r.var_bytes()?;
        // Core decodes exactly 74 bytes from this vector; any other length is
        // not an xpub it wrote.
        let arr: [u8; 74] = v.try_into().map_err(|v: Vec<u8>| {
            DecodeError::new(format!("xpub of {} bytes, expected 74", v.len()))
        })?;
        Ok(ExtPubKeyBytes(arr))
    }
}

/// Core's `CPubKey::IsValid`: 33 bytes starting 02/03, or 65 starting
/// 04/06/07. Only the structure, not whether the point is on the curve.
pub fn pubkey_is_valid(bytes: &[u8]) -> bool {
    let expected = match bytes.first() {
        Some(2) | Some(3) => 33,
        Some(4) | Some(6) | Some(7) => 65,
        _ => return false,
    };
    bytes.len() == expected
}

/// Reads a serialized `CPubKey`. As in Core, a length over 65 is skipped
/// and gives an (invalid) empty key rather than an error.
fn read_pubkey(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    let len = r.len()?;
    let bytes = r.take(len)?;
    if len > 65 {
        return Ok(Vec::new());
    }
    Ok(bytes.to_vec())
}

fn secp() -> &'static Secp256k1<secp256k1::All> {
    static CTX: OnceLock<Secp256k1<secp256k1::All>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::new)
}

/// The fixed bytes of Core's `ec_seckey_export_der` for a compressed key:
/// SEQUENCE header, version 1, and the OCTET STRING header of the secret.
const DER_COMPRESSED_BEGIN: [u8; 8] = [0x30, 0x81, 0xD3, 0x02, 0x01, 0x01, 0x04, 0x20];
/// The same for an uncompressed key.
const DER_UNCOMPRESSED_BEGIN: [u8; 9] = [0x30, 0x82, 0x01, 0x13, 0x02, 0x01, 0x01, 0x04, 0x20];
/// The ECParameters header Core embeds after the secret: version 1, the
/// prime-field OID and the field prime's INTEGER header (the prime follows).
const DER_PARAMS_HEAD: [u8; 14] = [
    0x30, 0x2C, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01, 0x02, 0x21, 0x00,
];
/// After the prime: the curve coefficients a = 0 and b = 7, and the header
/// of the generator point.
const DER_CURVE_AB: [u8; 8] = [0x30, 0x06, 0x04, 0x01, 0x00, 0x04, 0x01, 0x07];

/// Core's `CPrivKey` for `secret`: the SEC1 DER `ECPrivateKey` that
/// `ec_seckey_export_der` writes (214 bytes compressed, 279 uncompressed),
/// with the curve parameters and the public key in the chosen form.
pub fn privkey_to_der(secret: &SecretKey, compressed: bool) -> Vec<u8> {
    let pubkey = PublicKey::from_secret_key(secp(), secret);
    let gen = secp256k1::constants::GENERATOR_X;
    let mut out = Vec::with_capacity(279);
    if compressed {
        out.extend_from_slice(&DER_COMPRESSED_BEGIN);
        out.extend_from_slice(&secret.secret_bytes());
        out.extend_from_slice(&[0xA0, 0x81, 0x85, 0x30, 0x81, 0x82, 0x02, 0x01, 0x01]);
        der_curve(&mut out);
        out.extend_from_slice(&[0x04, 0x21, 0x02]);
        out.extend_from_slice(&gen);
        der_order(&mut out);
        out.extend_from_slice(&[0xA1, 0x24, 0x03, 0x22, 0x00]);
        out.extend_from_slice(&pubkey.serialize());
    } else {
        out.extend_from_slice(&DER_UNCOMPRESSED_BEGIN);
        out.extend_from_slice(&secret.secret_bytes());
        out.extend_from_slice(&[0xA0, 0x81, 0xA5, 0x30, 0x81, 0xA2, 0x02, 0x01, 0x01]);
        der_curve(&mut out);
        out.extend_from_slice(&[0x04, 0x41, 0x04]);
        out.extend_from_slice(&gen);
        out.extend_from_slice(&secp256k1::constants::GENERATOR_Y);
        der_order(&mut out);
        out.extend_from_slice(&[0xA1, 0x44, 0x03, 0x42, 0x00]);
        out.extend_from_slice(&pubkey.serialize_uncompressed());
    }
    out
}

/// The field prime and curve coefficients of the embedded ECParameters.
fn der_curve(out: &mut Vec<u8>) {
    out.extend_from_slice(&DER_PARAMS_HEAD);
    out.extend_from_slice(&secp256k1::constants::FIELD_SIZE);
    out.extend_from_slice(&DER_CURVE_AB);
}

/// The curve order (as a positive INTEGER) and the cofactor 1.
fn der_order(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0x02, 0x21, 0x00]);
    out.extend_from_slice(&secp256k1::constants::CURVE_ORDER);
    out.extend_from_slice(&[0x02, 0x01, 0x01]);
}

/// The secret in a `CPrivKey`, read as Core's `ec_seckey_import_der` does:
/// it checks the SEQUENCE header, version 1 and an OCTET STRING of at most 32
/// bytes (left-padded with zeros), ignores everything after it, and requires
/// a valid secp256k1 scalar.
pub fn privkey_from_der(der: &[u8]) -> Option<SecretKey> {
    let mut p = 0usize;
    let end = der.len();
    if end < 1 || der[0] != 0x30 {
        return None;
    }
    p += 1;
    if end - p < 1 || der[p] & 0x80 == 0 {
        return None;
    }
    let lenb = usize::from(der[p] & 0x7f);
    p += 1;
    if !(1..=2).contains(&lenb) || end - p < lenb {
        return None;
    }
    let len = usize::from(der[p + lenb - 1])
        | if lenb > 1 {
            usize::from(der[p + lenb - 2]) << 8
        } else {
            0
        };
    p += lenb;
    if end - p < len {
        return None;
    }
    if end - p < 3 || der[p] != 0x02 || der[p + 1] != 0x01 || der[p + 2] != 0x01 {
        return None;
    }
    p += 3;
    if end - p < 2 || der[p] != 0x04 {
        return None;
    }
    let oslen = usize::from(der[p + 1]);
    p += 2;
    if oslen > 32 || end - p < oslen {
        return None;
    }
    let mut out = [0u8; 32];
    out[32 - oslen..].copy_from_slice(&der[p..p + oslen]);
    SecretKey::from_slice(&out).ok()
}

/// SHA256d of the concatenated byte strings (Core's `Hash(a, b)`).
fn hash256(parts: &[&[u8]]) -> Uint256 {
    let mut buf = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        buf.extend_from_slice(p);
    }
    sha256d::Hash::hash(&buf).to_byte_array()
}

/// An encryption master key (Core's `CMasterKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// The 32-byte master key encrypted under the passphrase key (48 bytes).
    pub crypted_key: Vec<u8>,
    /// KDF salt, 8 bytes.
    pub salt: Vec<u8>,
    /// 0 = SHA512 iterated (the only method Core uses).
    pub derivation_method: u32,
    /// KDF iterations.
    pub derive_iterations: u32,
    /// Unused by method 0; kept so a rewrite preserves it.
    pub other_derivation_parameters: Vec<u8>,
}

impl MasterKey {
    fn write(&self, w: &mut Writer) {
        w.var_bytes(&self.crypted_key)
            .var_bytes(&self.salt)
            .u32(self.derivation_method)
            .u32(self.derive_iterations)
            .var_bytes(&self.other_derivation_parameters);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MasterKey {
            crypted_key: r.var_bytes()?,
            salt: r.var_bytes()?,
            derivation_method: r.u32()?,
            derive_iterations: r.u32()?,
            other_derivation_parameters: r.var_bytes()?,
        })
    }
}

/// Core's `OutputType` as stored in `active*spk` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputType {
    /// P2PKH (`pkh()`).
    Legacy,
    /// P2SH-wrapped P2WPKH (`sh(wpkh())`).
    P2shSegwit,
    /// P2WPKH (`wpkh()`).
    Bech32,
    /// P2TR (`tr()`).
    Bech32m,
    /// A value this version does not know; Core stores it without
    /// complaint, so it is kept rather than refused.
    Other(u8),
}

impl OutputType {
    /// The stored byte.
    pub fn to_u8(self) -> u8 {
        match self {
            OutputType::Legacy => 0,
            OutputType::P2shSegwit => 1,
            OutputType::Bech32 => 2,
            OutputType::Bech32m => 3,
            OutputType::Other(v) => v,
        }
    }

    /// The type for a stored byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => OutputType::Legacy,
            1 => OutputType::P2shSegwit,
            2 => OutputType::Bech32,
            3 => OutputType::Bech32m,
            v => OutputType::Other(v),
        }
    }
}

/// An address book purpose (Core's `AddressPurpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPurpose {
    /// One of our receiving addresses.
    Receive,
    /// An address we sent to.
    Send,
    /// A refund address.
    Refund,
}

impl AddressPurpose {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPurpose::Receive => "receive",
            AddressPurpose::Send => "send",
            AddressPurpose::Refund => "refund",
        }
    }

    /// The purpose for a stored string; `None` for nonstandard strings,
    /// which Core logs and treats as unset.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "receive" => Some(AddressPurpose::Receive),
            "send" => Some(AddressPurpose::Send),
            "refund" => Some(AddressPurpose::Refund),
            _ => None,
        }
    }

    /// Core's number for the purpose (its enum order, as carried over IPC).
    pub fn core_number(self) -> i32 {
        match self {
            AddressPurpose::Receive => 0,
            AddressPurpose::Send => 1,
            AddressPurpose::Refund => 2,
        }
    }

    /// The purpose Core numbers `n`; `None` for other numbers.
    pub fn from_core_number(n: i32) -> Option<Self> {
        match n {
            0 => Some(AddressPurpose::Receive),
            1 => Some(AddressPurpose::Send),
            2 => Some(AddressPurpose::Refund),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Single-value records
// ---------------------------------------------------------------------------

/// `version`: the last client version that opened the wallet (Core writes
/// its `CLIENT_VERSION`, e.g. 319900).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRecord(pub i32);

/// The `CLIENT_VERSION` of the Core release this wallet format follows.
pub const CLIENT_VERSION: i32 = common::version::CORE_CLIENT_VERSION;

impl Record for VersionRecord {
    fn key(&self) -> Vec<u8> {
        type_prefix(types::VERSION)
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.i32(self.0);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        key_reader(key, &[types::VERSION])?;
        Ok(VersionRecord(Reader::new(value).i32()?))
    }
}

/// Wallet flag bits (Core's `WalletFlags`).
pub mod flags {
    /// Avoid spending from reused addresses.
    pub const AVOID_REUSE: u64 = 1 << 0;
    /// Legacy-era key origin metadata; no effect on descriptor wallets.
    pub const KEY_ORIGIN_METADATA: u64 = 1 << 1;
    /// The last hardened xpub cache has been written for all descriptors.
    pub const LAST_HARDENED_XPUB_CACHED: u64 = 1 << 2;
    /// Watch-only wallet.
    pub const DISABLE_PRIVATE_KEYS: u64 = 1 << 32;
    /// No automatic descriptor generation yet.
    pub const BLANK_WALLET: u64 = 1 << 33;
    /// A descriptor wallet (required).
    pub const DESCRIPTORS: u64 = 1 << 34;
    /// Keys held by an external signer.
    pub const EXTERNAL_SIGNER: u64 = 1 << 35;
    /// Every flag Core knows; unknown bits 32..63 make it refuse the wallet
    /// (TOO_NEW), unknown bits 0..31 are kept.
    pub const KNOWN: u64 = AVOID_REUSE
        | BLANK_WALLET
        | KEY_ORIGIN_METADATA
        | LAST_HARDENED_XPUB_CACHED
        | DISABLE_PRIVATE_KEYS
        | DESCRIPTORS
        | EXTERNAL_SIGNER;
    /// Whether `flags` has bits in the upper half that this version does not
    /// know (Core's `LoadWalletFlags` check).
    pub fn has_unknown_critical(flags: u64) -> bool {
        ((flags & KNOWN) >> 32) ^ (flags >> 32) != 0
    }
}

/// `flags`: the wallet flags (see [`flags`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagsRecord(pub u64);

impl Record for FlagsRecord {
    fn key(&self) -> Vec<u8> {
        type_prefix(types::FLAGS)
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.0);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        key_reader(key, &[types::FLAGS])?;
        Ok(FlagsRecord(Reader::new(value).u64()?))
    }
}

/// `orderposnext`: the order position the next transaction gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPosNextRecord(pub i64);

impl Record for OrderPosNextRecord {
    fn key(&self) -> Vec<u8> {
        type_prefix(types::ORDERPOSNEXT)
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.i64(self.0);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        key_reader(key, &[types::ORDERPOSNEXT])?;
        Ok(OrderPosNextRecord(Reader::new(value).i64()?))
    }
}

/// `bestblock` or `bestblock_nomerkle`: where the wallet is synced to. Core
/// writes `bestblock` always empty (so versions that need merkle branches
/// rescan) and the real locator under `bestblock_nomerkle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BestBlockRecord {
    /// True for `bestblock_nomerkle`, false for `bestblock`.
    pub nomerkle: bool,
    /// The locator.
    pub locator: Locator,
}

impl Record for BestBlockRecord {
    fn key(&self) -> Vec<u8> {
        type_prefix(if self.nomerkle {
            types::BESTBLOCK_NOMERKLE
        } else {
            types::BESTBLOCK
        })
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.locator.write(&mut w);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (ty, _) = key_reader(key, &[types::BESTBLOCK, types::BESTBLOCK_NOMERKLE])?;
        Ok(BestBlockRecord {
            nomerkle: ty == types::BESTBLOCK_NOMERKLE,
            locator: Locator::read(&mut Reader::new(value))?,
        })
    }
}

// ---------------------------------------------------------------------------
// Descriptors, caches, keys
// ---------------------------------------------------------------------------

/// `walletdescriptor`: a descriptor (public form with checksum) and its
/// derived range (Core's `WalletDescriptor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorRecord {
    /// The descriptor id (the key).
    pub id: DescriptorId,
    /// The descriptor string as Core's `ToString()` writes it.
    pub descriptor: String,
    /// Creation time, UNIX seconds (rescans start from it).
    pub creation_time: u64,
    /// The next index to hand out.
    pub next_index: i32,
    /// First derived index (inclusive).
    pub range_start: i32,
    /// End of the derived window (exclusive).
    pub range_end: i32,
}

impl DescriptorRecord {
    /// Decodes only the value, for a known id (Core treats a value that
    /// fails here as an unknown descriptor, not as corruption).
    pub fn decode_value(id: DescriptorId, value: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(value);
        Ok(DescriptorRecord {
            id,
            descriptor: r.string()?,
            creation_time: r.u64()?,
            next_index: r.i32()?,
            range_start: r.i32()?,
            range_end: r.i32()?,
        })
    }

    /// The descriptor id in a `walletdescriptor` key.
    pub fn decode_key(key: &[u8]) -> Result<DescriptorId, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::WALLETDESCRIPTOR])?;
        r.u256()
    }
}

impl Record for DescriptorRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::WALLETDESCRIPTOR).u256(&self.id);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(&self.descriptor)
            .u64(self.creation_time)
            .i32(self.next_index)
            .i32(self.range_start)
            .i32(self.range_end);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_value(Self::decode_key(key)?, value)
    }
}

/// `walletdescriptorcache`: a cached xpub of one key expression of a
/// descriptor, either the parent of its ranged step or one derived child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorCacheRecord {
    /// The descriptor.
    pub id: DescriptorId,
    /// 0-based position of the key expression in the descriptor.
    pub key_exp_index: u32,
    /// `None` for the parent xpub, `Some(i)` for the xpub derived at index
    /// `i` (only needed for hardened ranges).
    pub der_index: Option<u32>,
    /// The xpub.
    pub xpub: ExtPubKeyBytes,
}

impl Record for DescriptorCacheRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::WALLETDESCRIPTORCACHE)
            .u256(&self.id)
            .u32(self.key_exp_index);
        if let Some(i) = self.der_index {
            w.u32(i);
        }
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.xpub.write(&mut w);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::WALLETDESCRIPTORCACHE])?;
        let id = r.u256()?;
        let key_exp_index = r.u32()?;
        // Core tells parent from derived entries by whether a der_index
        // can still be read.
        let der_index = if r.remaining().len() >= 4 {
            Some(r.u32()?)
        } else {
            None
        };
        Ok(DescriptorCacheRecord {
            id,
            key_exp_index,
            der_index,
            xpub: ExtPubKeyBytes::read(&mut Reader::new(value))?,
        })
    }
}

/// `walletdescriptorlhcache`: the xpub at the last hardened step of one key
/// expression, letting a locked wallet still show normalized descriptors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorLhCacheRecord {
    /// The descriptor.
    pub id: DescriptorId,
    /// 0-based position of the key expression.
    pub key_exp_index: u32,
    /// The xpub.
    pub xpub: ExtPubKeyBytes,
}

impl Record for DescriptorLhCacheRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::WALLETDESCRIPTORLHCACHE)
            .u256(&self.id)
            .u32(self.key_exp_index);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.xpub.write(&mut w);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::WALLETDESCRIPTORLHCACHE])?;
        let id = r.u256()?;
        let key_exp_index = r.u32()?;
        Ok(DescriptorLhCacheRecord {
            id,
            key_exp_index,
            xpub: ExtPubKeyBytes::read(&mut Reader::new(value))?,
        })
    }
}

/// `walletdescriptorkey`: a plaintext private key of a descriptor, keyed by
/// its public key. The value is the DER private key and SHA256d(pubkey ‖
/// DER), which Core checks on load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorKeyRecord {
    /// The descriptor.
    pub id: DescriptorId,
    /// The public key bytes (33 compressed or 65 uncompressed); the form
    /// decides the DER form.
    pub pubkey: Vec<u8>,
    /// The secret.
    pub secret: SecretKey,
}

impl DescriptorKeyRecord {
    fn der(&self) -> Vec<u8> {
        privkey_to_der(&self.secret, self.pubkey.len() != 65)
    }
}

impl Record for DescriptorKeyRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::WALLETDESCRIPTORKEY)
            .u256(&self.id)
            .var_bytes(&self.pubkey);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let der = self.der();
        let hash = hash256(&[&self.pubkey, &der]);
        let mut w = Writer::new();
        w.var_bytes(&der).u256(&hash);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::WALLETDESCRIPTORKEY])?;
        let id = r.u256()?;
        let pubkey = read_pubkey(&mut r)?;
        if !pubkey_is_valid(&pubkey) {
            return Err(DecodeError::new(
                "Error reading wallet database: descriptor unencrypted key CPubKey corrupt",
            ));
        }
        let mut v = Reader::new(value);
        let der = v.var_bytes()?;
        let hash = v.u256()?;
        if hash256(&[&pubkey, &der]) != hash {
            return Err(DecodeError::new(
                "Error reading wallet database: descriptor unencrypted key CPubKey/CPrivKey corrupt",
            ));
        }
        let secret = privkey_from_der(&der).ok_or_else(|| {
            DecodeError::new(
                "Error reading wallet database: descriptor unencrypted key CPrivKey corrupt",
            )
        })?;
        Ok(DescriptorKeyRecord { id, pubkey, secret })
    }
}

/// `walletdescriptorckey`: an encrypted private key of a descriptor (no
/// checksum, unlike legacy `ckey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorCKeyRecord {
    /// The descriptor.
    pub id: DescriptorId,
    /// The public key bytes.
    pub pubkey: Vec<u8>,
    /// The secret encrypted under the master key (48 bytes).
    pub crypted_secret: Vec<u8>,
}

impl Record for DescriptorCKeyRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::WALLETDESCRIPTORCKEY)
            .u256(&self.id)
            .var_bytes(&self.pubkey);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.var_bytes(&self.crypted_secret);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::WALLETDESCRIPTORCKEY])?;
        let id = r.u256()?;
        let pubkey = read_pubkey(&mut r)?;
        if !pubkey_is_valid(&pubkey) {
            return Err(DecodeError::new(
                "Error reading wallet database: descriptor encrypted key CPubKey corrupt",
            ));
        }
        Ok(DescriptorCKeyRecord {
            id,
            pubkey,
            crypted_secret: Reader::new(value).var_bytes()?,
        })
    }
}

/// `mkey`: an encryption master key under its id (the first is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterKeyRecord {
    /// The id.
    pub id: u32,
    /// The key.
    pub master_key: MasterKey,
}

impl Record for MasterKeyRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::MASTER_KEY).u32(self.id);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.master_key.write(&mut w);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::MASTER_KEY])?;
        let id = r.u32()?;
        Ok(MasterKeyRecord {
            id,
            master_key: MasterKey::read(&mut Reader::new(value))?,
        })
    }
}

/// `activeexternalspk` / `activeinternalspk`: which descriptor gives new
/// receive (external) or change (internal) addresses of an output type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveSpkRecord {
    /// True for change (`activeinternalspk`).
    pub internal: bool,
    /// The output type.
    pub output_type: OutputType,
    /// The descriptor.
    pub id: DescriptorId,
}

impl Record for ActiveSpkRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(if self.internal {
            types::ACTIVEINTERNALSPK
        } else {
            types::ACTIVEEXTERNALSPK
        })
        .u8(self.output_type.to_u8());
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u256(&self.id);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (ty, mut r) = key_reader(key, &[types::ACTIVEEXTERNALSPK, types::ACTIVEINTERNALSPK])?;
        let output_type = OutputType::from_u8(r.u8()?);
        Ok(ActiveSpkRecord {
            internal: ty == types::ACTIVEINTERNALSPK,
            output_type,
            id: Reader::new(value).u256()?,
        })
    }
}

// ---------------------------------------------------------------------------
// Address book, locked coins
// ---------------------------------------------------------------------------

/// `name`: the label of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRecord {
    /// The address as Core encodes it.
    pub address: String,
    /// The label.
    pub label: String,
}

impl Record for NameRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::NAME).string(&self.address);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(&self.label);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::NAME])?;
        Ok(NameRecord {
            address: r.string()?,
            label: Reader::new(value).string()?,
        })
    }
}

/// `purpose`: the purpose of an address, as stored (see
/// [`AddressPurpose::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurposeRecord {
    /// The address.
    pub address: String,
    /// `receive`, `send` or `refund` (anything else is kept as read).
    pub purpose: String,
}

impl Record for PurposeRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::PURPOSE).string(&self.address);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(&self.purpose);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::PURPOSE])?;
        Ok(PurposeRecord {
            address: r.string()?,
            purpose: Reader::new(value).string()?,
        })
    }
}

/// `destdata`: extra data of an address: `used` (spent from, for
/// avoid-reuse) or `rr<id>` (a GUI receive request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestDataRecord {
    /// The address.
    pub address: String,
    /// The sub-key (`used`, `rr<id>`, others ignored by Core).
    pub key: String,
    /// The data: bytes, as Core's GUI stores a receive request in its own
    /// binary serialization.
    pub value: Vec<u8>,
}

impl Record for DestDataRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::DESTDATA)
            .string(&self.address)
            .string(&self.key);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.var_bytes(&self.value);
        w.into_bytes()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::DESTDATA])?;
        let address = r.string()?;
        let key = r.string()?;
        Ok(DestDataRecord {
            address,
            key,
            value: Reader::new(value).var_bytes()?,
        })
    }
}

/// `lockedutxo`: a coin locked with `lockunspent(persistent=true)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedUtxoRecord {
    /// The coin.
    pub outpoint: OutPoint,
}

impl Record for LockedUtxoRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::LOCKED_UTXO)
            .u256(&self.outpoint.txid.to_byte_array())
            .u32(self.outpoint.vout);
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        // Core writes the character '1'; the value is never read.
        vec![b'1']
    }
    fn decode(key: &[u8], _value: &[u8]) -> Result<Self, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::LOCKED_UTXO])?;
        let txid = Txid::from_byte_array(r.u256()?);
        let vout = r.u32()?;
        Ok(LockedUtxoRecord {
            outpoint: OutPoint { txid, vout },
        })
    }
}

// ---------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------

/// Where a wallet transaction stands, as Core stores it (block hash and
/// index; heights are not stored and are looked up again on load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    /// In block `block_hash` at position `index` (≥ 0).
    Confirmed {
        /// The block.
        block_hash: BlockHash,
        /// Position in the block.
        index: i32,
    },
    /// Not in a block: in the mempool or nowhere (stored alike: zero hash,
    /// index 0).
    Inactive,
    /// Abandoned by the user (hash `uint256::ONE`, index −1).
    Abandoned,
    /// Conflicts with a transaction in block `block_hash` (index −1).
    Conflicted {
        /// The block holding the conflicting transaction.
        block_hash: BlockHash,
    },
    /// A combination Core does not recognize; kept so it is written back
    /// unchanged (Core treats it as inactive).
    Unrecognized {
        /// Stored block hash.
        block_hash: Uint256,
        /// Stored index.
        index: i32,
    },
}

impl TxState {
    /// Core's `TxStateInterpretSerialized`.
    pub fn from_serialized(block_hash: Uint256, index: i32) -> Self {
        if block_hash == [0u8; 32] {
            if index == 0 {
                return TxState::Inactive;
            }
        } else if block_hash == UINT256_ONE {
            if index == -1 {
                return TxState::Abandoned;
            }
        } else if index >= 0 {
            return TxState::Confirmed {
                block_hash: BlockHash::from_byte_array(block_hash),
                index,
            };
        } else if index == -1 {
            return TxState::Conflicted {
                block_hash: BlockHash::from_byte_array(block_hash),
            };
        }
        TxState::Unrecognized { block_hash, index }
    }

    /// The stored (block hash, index) pair.
    pub fn to_serialized(&self) -> (Uint256, i32) {
        match *self {
            TxState::Confirmed { block_hash, index } => (block_hash.to_byte_array(), index),
            TxState::Inactive => ([0u8; 32], 0),
            TxState::Abandoned => (UINT256_ONE, -1),
            TxState::Conflicted { block_hash } => (block_hash.to_byte_array(), -1),
            TxState::Unrecognized { block_hash, index } => (block_hash, index),
        }
    }
}

/// A wallet transaction (Core's `CWalletTx`) with everything Core stores
/// about it. The `mapValue` and order-form entries are typed fields: Core
/// allows only these, and writes them back from its own fields the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTx {
    /// The transaction, with witnesses.
    pub tx: Transaction,
    /// Block state.
    pub state: TxState,
    /// Position in the wallet's transaction order (`n`); `None` (or −1) =
    /// not ordered yet, which makes Core renumber all transactions.
    pub order_pos: Option<i64>,
    /// When this wallet first saw it (UNIX seconds).
    pub time_received: u32,
    /// Stable display time (`timesmart`); 0 = unset.
    pub time_smart: u32,
    /// Obsolete `from` field of pre-2011 wallets, kept.
    pub from: Option<String>,
    /// Obsolete `message` field of pre-2011 wallets, kept.
    pub message: Option<String>,
    /// User comment (`comment`).
    pub comment: Option<String>,
    /// User "to" comment (`to`).
    pub comment_to: Option<String>,
    /// The transaction this one replaced by fee bump.
    pub replaces_txid: Option<Txid>,
    /// The transaction that replaced this one by fee bump.
    pub replaced_by_txid: Option<Txid>,
    /// BIP21 messages (order form `Message`).
    pub messages: Vec<String>,
    /// BIP70 payment requests (order form `PaymentRequest`), kept.
    pub payment_requests: Vec<String>,
}

impl WalletTx {
    /// A transaction with the given state and no metadata.
    pub fn new(tx: Transaction, state: TxState) -> Self {
        WalletTx {
            tx,
            state,
            order_pos: None,
            time_received: 0,
            time_smart: 0,
            from: None,
            message: None,
            comment: None,
            comment_to: None,
            replaces_txid: None,
            replaced_by_txid: None,
            messages: Vec::new(),
            payment_requests: Vec::new(),
        }
    }

    /// The txid (the record's key).
    pub fn txid(&self) -> Txid {
        self.tx.compute_txid()
    }

    /// The mapValue Core writes for this transaction.
    pub fn map_value(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        if let Some(v) = &self.from {
            m.insert("from".to_string(), v.clone());
        }
        if let Some(v) = &self.message {
            m.insert("message".to_string(), v.clone());
        }
        if let Some(v) = &self.comment {
            m.insert("comment".to_string(), v.clone());
        }
        if let Some(v) = &self.comment_to {
            m.insert("to".to_string(), v.clone());
        }
        if let Some(v) = &self.replaces_txid {
            m.insert(
                "replaces_txid".to_string(),
                u256_to_display_hex(&v.to_byte_array()),
            );
        }
        if let Some(v) = &self.replaced_by_txid {
            m.insert(
                "replaced_by_txid".to_string(),
                u256_to_display_hex(&v.to_byte_array()),
            );
        }
        // Always written, for versions that still read accounts.
        m.insert("fromaccount".to_string(), String::new());
        if let Some(n) = self.order_pos.filter(|&n| n != -1) {
            m.insert("n".to_string(), n.to_string());
        }
        if self.time_smart != 0 {
            m.insert("timesmart".to_string(), self.time_smart.to_string());
        }
        m
    }

    /// Serializes as Core's `CWalletTx::Serialize`.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(&bitcoin::consensus::encode::serialize(&self.tx));
        let (hash, index) = self.state.to_serialized();
        w.u256(&hash);
        w.compact_size(0); // old merkle branch
        w.i32(index);
        w.compact_size(0); // old vtxPrev
        let map = self.map_value();
        w.compact_size(map.len() as u64);
        for (k, v) in &map {
            w.string(k).string(v);
        }
        w.compact_size((self.messages.len() + self.payment_requests.len()) as u64);
        for m in &self.messages {
            w.string("Message").string(m);
        }
        for p in &self.payment_requests {
            w.string("PaymentRequest").string(p);
        }
        w.u32(0); // fTimeReceivedIsTxTime
        w.u32(self.time_received);
        w.bool(false); // fFromMe
        w.bool(false); // fSpent
        w.into_bytes()
    }

    /// Deserializes as Core's `CWalletTx::Unserialize`, including its
    /// refusals: an unknown mapValue key or order-form type is an error
    /// (Core then loads the whole wallet as corrupt).
    pub fn decode(value: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(value);
        let tx = read_tx(&mut r)?;
        let block_hash = r.u256()?;
        let _merkle_branch = r.u256_vec()?;
        let index = r.i32()?;
        // Old wallets may still carry vtxPrev entries (CMerkleTx); skip them.
        let n_prev = r.len()?;
        for _ in 0..n_prev {
            read_tx(&mut r)?;
            r.u256()?;
            r.u256_vec()?;
            r.i32()?;
        }
        let n_map = r.len()?;
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        for _ in 0..n_map {
            let k = r.string()?;
            let v = r.string()?;
            // std::map insertion keeps the first of duplicate keys.
            map.entry(k).or_insert(v);
        }
        let n_reqs = r.len()?;
        let mut reqs = Vec::with_capacity(n_reqs.min(r.remaining().len() / 2));
        for _ in 0..n_reqs {
            reqs.push((r.string()?, r.string()?));
        }
        let _time_received_is_tx_time = r.u32()?;
        let time_received = r.u32()?;
        let _from_me = r.bool()?;
        let _spent = r.bool()?;

        let mut wtx = WalletTx::new(tx, TxState::from_serialized(block_hash, index));
        wtx.time_received = time_received;
        map.remove("fromaccount");
        map.remove("spent");
        for (k, v) in map {
            match k.as_str() {
                "n" => {
                    let n = locale_independent_atoi_i64(&v);
                    wtx.order_pos = if n == -1 { None } else { Some(n) };
                }
                // Core assigns the parsed 64-bit value to a 32-bit field.
                "timesmart" => wtx.time_smart = locale_independent_atoi_i64(&v) as u32,
                "from" => wtx.from = Some(v),
                "message" => wtx.message = Some(v),
                "comment" => wtx.comment = Some(v),
                "to" => wtx.comment_to = Some(v),
                // An unparsable txid is dropped, as Core's FromHex yields none.
                "replaces_txid" => {
                    wtx.replaces_txid = u256_from_display_hex(&v).map(Txid::from_byte_array)
                }
                "replaced_by_txid" => {
                    wtx.replaced_by_txid = u256_from_display_hex(&v).map(Txid::from_byte_array)
                }
                _ => {
                    return Err(DecodeError::new(
                        "Unexpected value in CWalletTx strings value map",
                    ))
                }
            }
        }
        for (ty, data) in reqs {
            match ty.as_str() {
                "Message" => wtx.messages.push(data),
                "PaymentRequest" => wtx.payment_requests.push(data),
                _ => {
                    return Err(DecodeError::new(
                        "Unknown type in CWalletTx messages and requests vector",
                    ))
                }
            }
        }
        Ok(wtx)
    }
}

/// A transaction with witness (BIP144), as Core's `TX_WITH_WITNESS`.
fn read_tx(r: &mut Reader<'_>) -> Result<Transaction, DecodeError> {
    let (tx, used) = bitcoin::consensus::encode::deserialize_partial::<Transaction>(r.remaining())
        .map_err(|e| DecodeError::new(format!("invalid transaction: {e}")))?;
    r.advance(used)?;
    Ok(tx)
}

/// `tx`: a wallet transaction under its txid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    /// The stored txid (the key). On load Core checks it equals the
    /// transaction's hash and asks for a rescan if not.
    pub txid: Txid,
    /// The transaction and its metadata.
    pub wtx: WalletTx,
}

impl TxRecord {
    /// The record of `wtx` under its own txid.
    pub fn new(wtx: WalletTx) -> Self {
        TxRecord {
            txid: wtx.txid(),
            wtx,
        }
    }

    /// The txid in a `tx` key.
    pub fn decode_key(key: &[u8]) -> Result<Txid, DecodeError> {
        let (_, mut r) = key_reader(key, &[types::TX])?;
        Ok(Txid::from_byte_array(r.u256()?))
    }
}

impl Record for TxRecord {
    fn key(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.string(types::TX).u256(&self.txid.to_byte_array());
        w.into_bytes()
    }
    fn value(&self) -> Vec<u8> {
        self.wtx.encode()
    }
    fn decode(key: &[u8], value: &[u8]) -> Result<Self, DecodeError> {
        Ok(TxRecord {
            txid: Self::decode_key(key)?,
            wtx: WalletTx::decode(value)?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::ser::hex_lower;
    use bitcoin::absolute::LockTime;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    fn h(s: &str) -> Vec<u8> {
        crate::db::ser::parse_hex(s).expect("test hex")
    }

    /// `str(s)` in hex, built independently of [`Writer`].
    fn hs(s: &str) -> String {
        format!("{:02x}{}", s.len(), hex_lower(s.as_bytes()))
    }

    fn round_trip<R: Record + PartialEq + std::fmt::Debug>(r: &R, key_hex: &str, value_hex: &str) {
        assert_eq!(hex_lower(&r.key()), key_hex, "key");
        assert_eq!(hex_lower(&r.value()), value_hex, "value");
        let back = R::decode(&h(key_hex), &h(value_hex)).expect("decodes");
        assert_eq!(&back, r);
    }

    pub(crate) fn sample_tx(witness: bool, tag: u8) -> Transaction {
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([tag; 32]),
                    vout: 1,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: if witness {
                    Witness::from_slice(&[vec![1u8, 2, 3], vec![4u8; 33]])
                } else {
                    Witness::new()
                },
            }],
            output: vec![TxOut {
                value: Amount::from_sat(50_000),
                script_pubkey: ScriptBuf::from_bytes([vec![0x00, 0x14], vec![9u8; 20]].concat()),
            }],
        }
    }

    #[test]
    fn singletons() {
        round_trip(&VersionRecord(319900), &hs("version"), "9ce10400");
        round_trip(
            &FlagsRecord(0x4_0000_0004),
            &hs("flags"),
            "0400000004000000",
        );
        round_trip(
            &OrderPosNextRecord(7),
            &hs("orderposnext"),
            "0700000000000000",
        );
        let hash = BlockHash::from_byte_array([0xab; 32]);
        round_trip(
            &BestBlockRecord {
                nomerkle: true,
                locator: Locator { hashes: vec![hash] },
            },
            &hs("bestblock_nomerkle"),
            &format!("80110100{}{}", "01", "ab".repeat(32)),
        );
        // Core's empty `bestblock`.
        round_trip(
            &BestBlockRecord {
                nomerkle: false,
                locator: Locator::default(),
            },
            &hs("bestblock"),
            "8011010000",
        );
    }

    #[test]
    fn descriptor_records() {
        let id = [0x11u8; 32];
        let desc = "wpkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/84h/1h/0h/0/*)#abcdefgh";
        round_trip(
            &DescriptorRecord {
                id,
                descriptor: desc.into(),
                creation_time: 1_700_000_000,
                next_index: 5,
                range_start: 0,
                range_end: 1005,
            },
            &format!("{}{}", hs("walletdescriptor"), "11".repeat(32)),
            &format!(
                "{}{}{}{}{}",
                hs(desc),
                "00f1536500000000",
                "05000000",
                "00000000",
                "ed030000"
            ),
        );
        let mut x = [0u8; 74];
        x[0] = 3;
        x[8] = 1;
        x[41] = 2;
        let xpub = ExtPubKeyBytes(x);
        let xhex = format!("4a{}", hex_lower(&x));
        round_trip(
            &DescriptorCacheRecord {
                id,
                key_exp_index: 0,
                der_index: None,
                xpub,
            },
            &format!("{}{}00000000", hs("walletdescriptorcache"), "11".repeat(32)),
            &xhex,
        );
        round_trip(
            &DescriptorCacheRecord {
                id,
                key_exp_index: 1,
                der_index: Some(0x8000_0005),
                xpub,
            },
            &format!(
                "{}{}0100000005000080",
                hs("walletdescriptorcache"),
                "11".repeat(32)
            ),
            &xhex,
        );
        round_trip(
            &DescriptorLhCacheRecord {
                id,
                key_exp_index: 2,
                xpub,
            },
            &format!(
                "{}{}02000000",
                hs("walletdescriptorlhcache"),
                "11".repeat(32)
            ),
            &xhex,
        );
        // An xpub value of another length is not one Core wrote.
        let bad = DescriptorLhCacheRecord::decode(
            &h(&format!(
                "{}{}02000000",
                hs("walletdescriptorlhcache"),
                "11".repeat(32)
            )),
            &h("0300aabb"),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn xpub_bytes_convert() {
        let xpub: Xpub = "tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp"
            .parse()
            .expect("valid tpub");
        let b = ExtPubKeyBytes::from_xpub(&xpub);
        assert_eq!(b.to_xpub(NetworkKind::Test).expect("decodes"), xpub);
    }

    /// Core's `ec_seckey_export_der` output for the secret 0x01…01
    /// (compressed): header, secret, curve parameters, public key.
    const DER_0101_COMPRESSED: &str = "3081d302010104200101010101010101010101010101010101010101010101010101010101010101a08185308182020101302c06072a8648ce3d0101022100fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f300604010004010704210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798022100fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141020101a124032200031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f";

    #[test]
    fn der_private_keys() {
        let sk = SecretKey::from_slice(&[1u8; 32]).expect("valid");
        let c = privkey_to_der(&sk, true);
        assert_eq!(c.len(), 214);
        assert_eq!(hex_lower(&c), DER_0101_COMPRESSED);
        let u = privkey_to_der(&sk, false);
        assert_eq!(u.len(), 279);
        assert_eq!(
            &u[..9],
            &[0x30, 0x82, 0x01, 0x13, 0x02, 0x01, 0x01, 0x04, 0x20]
        );
        assert_eq!(
            &u[u.len() - 65..],
            &PublicKey::from_secret_key(secp(), &sk).serialize_uncompressed()
        );
        assert_eq!(privkey_from_der(&c), Some(sk));
        assert_eq!(privkey_from_der(&u), Some(sk));
        // Core's reader: short octet strings are left-padded; junk after it
        // is ignored; a bad version or a zero scalar is refused.
        let mut short = vec![0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x05];
        let mut five = [0u8; 32];
        five[31] = 5;
        assert_eq!(
            privkey_from_der(&short),
            Some(SecretKey::from_slice(&five).expect("valid"))
        );
        short.extend_from_slice(&[0xde, 0xad]);
        assert!(privkey_from_der(&short).is_some());
        assert!(
            privkey_from_der(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x02, 0x04, 0x01, 0x05]).is_none()
        );
        assert!(
            privkey_from_der(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x00]).is_none()
        );
        assert!(privkey_from_der(&[0x30]).is_none());
        assert!(privkey_from_der(&[]).is_none());
    }

    #[test]
    fn descriptor_keys() {
        let id = [0x22u8; 32];
        let sk = SecretKey::from_slice(&[1u8; 32]).expect("valid");
        let pk = PublicKey::from_secret_key(secp(), &sk);
        for (pubkey, der_len) in [
            (pk.serialize().to_vec(), 214usize),
            (pk.serialize_uncompressed().to_vec(), 279),
        ] {
            let rec = DescriptorKeyRecord {
                id,
                pubkey: pubkey.clone(),
                secret: sk,
            };
            let der = privkey_to_der(&sk, pubkey.len() == 33);
            assert_eq!(der.len(), der_len);
            let hash = sha256d::Hash::hash(&[pubkey.clone(), der.clone()].concat()).to_byte_array();
            let key_hex = format!(
                "{}{}{:02x}{}",
                hs("walletdescriptorkey"),
                "22".repeat(32),
                pubkey.len(),
                hex_lower(&pubkey)
            );
            let value_hex = format!(
                "{}{}{}",
                if der_len < 253 {
                    format!("{der_len:02x}")
                } else {
                    "fd1701".into()
                },
                hex_lower(&der),
                hex_lower(&hash)
            );
            round_trip(&rec, &key_hex, &value_hex);

            // A wrong hash is Core's "CPubKey/CPrivKey corrupt".
            let mut bad = h(&value_hex);
            let last = bad.len() - 1;
            bad[last] ^= 1;
            let e = DescriptorKeyRecord::decode(&h(&key_hex), &bad).expect_err("hash mismatch");
            assert!(e.0.contains("CPubKey/CPrivKey corrupt"), "{e}");
        }
        // An invalid public key.
        let key = format!("{}{}0205ab", hs("walletdescriptorkey"), "22".repeat(32));
        let e = DescriptorKeyRecord::decode(&h(&key), &[]).expect_err("bad pubkey");
        assert!(e.0.contains("descriptor unencrypted key CPubKey corrupt"));
        // A DER that does not import, with a matching hash.
        let pubkey = pk.serialize();
        let der = vec![0x30u8, 0x00];
        let hash = sha256d::Hash::hash(&[pubkey.to_vec(), der.clone()].concat()).to_byte_array();
        let key = format!(
            "{}{}21{}",
            hs("walletdescriptorkey"),
            "22".repeat(32),
            hex_lower(&pubkey)
        );
        let value = format!("02{}{}", hex_lower(&der), hex_lower(&hash));
        let e = DescriptorKeyRecord::decode(&h(&key), &h(&value)).expect_err("bad der");
        assert!(e.0.contains("descriptor unencrypted key CPrivKey corrupt"));

        let ck = DescriptorCKeyRecord {
            id,
            pubkey: pubkey.to_vec(),
            crypted_secret: vec![0x5a; 48],
        };
        round_trip(
            &ck,
            &format!(
                "{}{}21{}",
                hs("walletdescriptorckey"),
                "22".repeat(32),
                hex_lower(&pubkey)
            ),
            &format!("30{}", "5a".repeat(48)),
        );
    }

    #[test]
    fn master_key_active_spk_and_address_book() {
        let mk = MasterKey {
            crypted_key: vec![0xc1; 48],
            salt: vec![0x5a; 8],
            derivation_method: 0,
            derive_iterations: 25000,
            other_derivation_parameters: vec![],
        };
        round_trip(
            &MasterKeyRecord {
                id: 1,
                master_key: mk,
            },
            &format!("{}01000000", hs("mkey")),
            &format!(
                "30{}08{}00000000a861000000",
                "c1".repeat(48),
                "5a".repeat(8)
            ),
        );
        round_trip(
            &ActiveSpkRecord {
                internal: false,
                output_type: OutputType::Bech32m,
                id: [0x33; 32],
            },
            &format!("{}03", hs("activeexternalspk")),
            &"33".repeat(32),
        );
        round_trip(
            &ActiveSpkRecord {
                internal: true,
                output_type: OutputType::Legacy,
                id: [0x34; 32],
            },
            &format!("{}00", hs("activeinternalspk")),
            &"34".repeat(32),
        );
        round_trip(
            &ActiveSpkRecord {
                internal: true,
                output_type: OutputType::Other(9),
                id: [0x34; 32],
            },
            &format!("{}09", hs("activeinternalspk")),
            &"34".repeat(32),
        );
        let addr = "bcrt1qxyz";
        round_trip(
            &NameRecord {
                address: addr.into(),
                label: "savings".into(),
            },
            &format!("{}{}", hs("name"), hs(addr)),
            &hs("savings"),
        );
        round_trip(
            &PurposeRecord {
                address: addr.into(),
                purpose: "receive".into(),
            },
            &format!("{}{}", hs("purpose"), hs(addr)),
            &hs("receive"),
        );
        round_trip(
            &DestDataRecord {
                address: addr.into(),
                key: "used".into(),
                value: b"1".to_vec(),
            },
            &format!("{}{}{}", hs("destdata"), hs(addr), hs("used")),
            &hs("1"),
        );
        // A receive request as Core's GUI writes it: binary, not text.
        round_trip(
            &DestDataRecord {
                address: addr.into(),
                key: "rr7".into(),
                value: vec![0x01, 0x00, 0xff, 0xfe],
            },
            &format!("{}{}{}", hs("destdata"), hs(addr), hs("rr7")),
            "040100fffe",
        );
        let op = OutPoint {
            txid: Txid::from_byte_array([0x44; 32]),
            vout: 3,
        };
        round_trip(
            &LockedUtxoRecord { outpoint: op },
            &format!("{}{}03000000", hs("lockedutxo"), "44".repeat(32)),
            "31",
        );
        assert_eq!(AddressPurpose::parse("send"), Some(AddressPurpose::Send));
        assert_eq!(AddressPurpose::parse("bogus"), None);
    }

    /// The bytes Core's `CWalletTx::Serialize` writes, assembled by hand.
    fn core_wtx_bytes(
        tx: &Transaction,
        hash: &str,
        index: i32,
        map: &[(&str, &str)],
        reqs: &[(&str, &str)],
        received: u32,
    ) -> String {
        let mut s = hex_lower(&bitcoin::consensus::encode::serialize(tx));
        s += hash;
        s += "00";
        s += &hex_lower(&index.to_le_bytes());
        s += "00";
        s += &format!("{:02x}", map.len());
        for (k, v) in map {
            s += &hs(k);
            s += &hs(v);
        }
        s += &format!("{:02x}", reqs.len());
        for (k, v) in reqs {
            s += &hs(k);
            s += &hs(v);
        }
        s += "00000000";
        s += &hex_lower(&received.to_le_bytes());
        s += "0000";
        s
    }

    #[test]
    fn wallet_tx_in_every_state() {
        let block = BlockHash::from_byte_array([0xbb; 32]);
        let states: [(TxState, String, i32); 4] = [
            (
                TxState::Confirmed {
                    block_hash: block,
                    index: 2,
                },
                "bb".repeat(32),
                2,
            ),
            (TxState::Inactive, "00".repeat(32), 0),
            (TxState::Abandoned, format!("01{}", "00".repeat(31)), -1),
            (
                TxState::Conflicted { block_hash: block },
                "bb".repeat(32),
                -1,
            ),
        ];
        for (state, hash, index) in states {
            for witness in [false, true] {
                let tx = sample_tx(witness, 7);
                let mut wtx = WalletTx::new(tx.clone(), state);
                wtx.order_pos = Some(3);
                wtx.time_smart = 1_700_000_000;
                wtx.time_received = 1_700_000_001;
                wtx.comment = Some("hi".into());
                wtx.messages = vec!["pay".into()];
                let expected = core_wtx_bytes(
                    &tx,
                    &hash,
                    index,
                    &[
                        ("comment", "hi"),
                        ("fromaccount", ""),
                        ("n", "3"),
                        ("timesmart", "1700000000"),
                    ],
                    &[("Message", "pay")],
                    1_700_000_001,
                );
                let rec = TxRecord::new(wtx.clone());
                let key_hex = format!(
                    "{}{}",
                    hs("tx"),
                    hex_lower(&tx.compute_txid().to_byte_array())
                );
                round_trip(&rec, &key_hex, &expected);
                assert_eq!(
                    WalletTx::decode(&h(&expected)).expect("decodes").state,
                    state
                );
            }
        }
        // Combinations Core does not recognize survive a round trip.
        let odd = TxState::from_serialized([0u8; 32], 5);
        assert_eq!(
            odd,
            TxState::Unrecognized {
                block_hash: [0u8; 32],
                index: 5
            }
        );
        assert_eq!(
            TxState::from_serialized(UINT256_ONE, 0),
            TxState::Unrecognized {
                block_hash: UINT256_ONE,
                index: 0
            }
        );
        assert_eq!(
            TxState::from_serialized([9u8; 32], -2),
            TxState::Unrecognized {
                block_hash: [9u8; 32],
                index: -2
            }
        );
        let wtx = WalletTx::new(sample_tx(false, 1), odd);
        assert_eq!(WalletTx::decode(&wtx.encode()).expect("decodes"), wtx);
    }

    #[test]
    fn wallet_tx_map_value_rules() {
        let tx = sample_tx(true, 8);
        let zero = "00".repeat(32);
        let replaced = Txid::from_byte_array([0x5e; 32]);
        let replaced_hex = u256_to_display_hex(&[0x5e; 32]);
        // Every key Core writes or drops.
        let bytes = core_wtx_bytes(
            &tx,
            &zero,
            0,
            &[
                ("comment", "c"),
                ("from", "f"),
                ("fromaccount", ""),
                ("message", "m"),
                ("n", "-1"),
                ("replaced_by_txid", &replaced_hex),
                ("replaces_txid", "nothex"),
                ("spent", "1"),
                ("timesmart", "5"),
                ("to", "t"),
            ],
            &[("PaymentRequest", "pr"), ("Message", "m1")],
            9,
        );
        let wtx = WalletTx::decode(&h(&bytes)).expect("decodes");
        assert_eq!(wtx.comment.as_deref(), Some("c"));
        assert_eq!(wtx.comment_to.as_deref(), Some("t"));
        assert_eq!(wtx.from.as_deref(), Some("f"));
        assert_eq!(wtx.message.as_deref(), Some("m"));
        assert_eq!(wtx.order_pos, None);
        assert_eq!(wtx.time_smart, 5);
        assert_eq!(wtx.replaced_by_txid, Some(replaced));
        assert_eq!(
            wtx.replaces_txid, None,
            "an unparsable txid is dropped as in Core"
        );
        assert_eq!(wtx.messages, vec!["m1".to_string()]);
        assert_eq!(wtx.payment_requests, vec!["pr".to_string()]);
        assert_eq!(wtx.time_received, 9);
        assert!(!wtx.map_value().contains_key("spent"));

        // Unknown mapValue keys and order-form types are refused.
        let bad = core_wtx_bytes(
            &tx,
            &zero,
            0,
            &[("fromaccount", ""), ("label", "x")],
            &[],
            0,
        );
        assert_eq!(
            WalletTx::decode(&h(&bad)).expect_err("unknown key").0,
            "Unexpected value in CWalletTx strings value map"
        );
        let bad = core_wtx_bytes(&tx, &zero, 0, &[("fromaccount", "")], &[("Note", "x")], 0);
        assert_eq!(
            WalletTx::decode(&h(&bad)).expect_err("unknown type").0,
            "Unknown type in CWalletTx messages and requests vector"
        );
        // Truncated values are errors, not panics.
        let full = h(&core_wtx_bytes(
            &tx,
            &zero,
            0,
            &[("fromaccount", "")],
            &[],
            0,
        ));
        for cut in [0, 10, full.len() - 1] {
            assert!(WalletTx::decode(&full[..cut]).is_err());
        }
    }

    #[test]
    fn wallet_tx_skips_old_vtxprev() {
        // Very old wallets stored a merkle branch and previous transactions.
        let tx = sample_tx(false, 9);
        let prev = sample_tx(false, 10);
        let mut s = hex_lower(&bitcoin::consensus::encode::serialize(&tx));
        s += &"cc".repeat(32);
        s += &format!("01{}", "dd".repeat(32)); // merkle branch of one hash
        s += "04000000";
        s += "01"; // one CMerkleTx
        s += &hex_lower(&bitcoin::consensus::encode::serialize(&prev));
        s += &"ee".repeat(32);
        s += "00";
        s += "00000000";
        s += &format!("01{}{}", hs("fromaccount"), hs(""));
        s += "00";
        s += "00000000";
        s += "2a000000";
        s += "0101";
        let wtx = WalletTx::decode(&h(&s)).expect("decodes");
        assert_eq!(
            wtx.state,
            TxState::Confirmed {
                block_hash: BlockHash::from_byte_array([0xcc; 32]),
                index: 4
            }
        );
        assert_eq!(wtx.time_received, 42);
    }

    #[test]
    fn flag_rules() {
        assert!(!flags::has_unknown_critical(
            flags::DESCRIPTORS | flags::LAST_HARDENED_XPUB_CACHED | (1 << 20)
        ));
        assert!(flags::has_unknown_critical(flags::DESCRIPTORS | (1 << 40)));
    }

    #[test]
    fn type_prefixes_do_not_overlap() {
        let d = type_prefix(types::WALLETDESCRIPTOR);
        let c = type_prefix(types::WALLETDESCRIPTORCACHE);
        assert!(!c.starts_with(&d));
        let key = DescriptorRecord {
            id: [1; 32],
            descriptor: String::new(),
            creation_time: 0,
            next_index: 0,
            range_start: 0,
            range_end: 0,
        }
        .key();
        let (ty, rest) = split_key(&key).expect("splits");
        assert_eq!(ty, "walletdescriptor");
        assert_eq!(rest.remaining(), &[1u8; 32]);
    }
}
