//! Core's `WalletDescriptor` (`wallet/walletutil.h`): a descriptor with its
//! id, creation time, derived range and next index, and its cache; plus the
//! eight default descriptors of a new wallet (`GenerateWalletDescriptor`).

use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Network, NetworkKind};

use super::cache::DescriptorCache;
use super::descriptor::{DescriptorId, KeyMap, OutputType, ParsedDescriptor};
use super::error::KeyError;

/// A descriptor as the wallet stores it (`walletdescriptor` record value)
/// with its cache (`walletdescriptorcache`/`lhcache` records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletDescriptor {
    /// The parsed descriptor (public).
    pub descriptor: ParsedDescriptor,
    /// Core's descriptor id, computed from the descriptor.
    pub id: DescriptorId,
    /// Unix time of creation (rescans start 2 h before it).
    pub creation_time: u64,
    /// First derived index, inclusive.
    pub range_start: i32,
    /// End of the derived window, exclusive.
    pub range_end: i32,
    /// Next index to hand out.
    pub next_index: i32,
    /// Cached xpubs.
    pub cache: DescriptorCache,
}

impl WalletDescriptor {
    /// Wraps a parsed descriptor; the id is computed here, as in Core's
    /// constructor.
    pub fn new(
        descriptor: ParsedDescriptor,
        creation_time: u64,
        range_start: i32,
        range_end: i32,
        next_index: i32,
    ) -> Self {
        let id = descriptor.id();
        WalletDescriptor {
            descriptor,
            id,
            creation_time,
            range_start,
            range_end,
            next_index,
            cache: DescriptorCache::new(),
        }
    }

    /// Core's `DeserializeDescriptor` plus the record fields: the checksum
    /// is required and multipath is refused. Private keys in the string (not
    /// written by Core) are ignored.
    pub fn from_stored(
        descriptor: &str,
        network: Network,
        creation_time: u64,
        next_index: i32,
        range_start: i32,
        range_end: i32,
    ) -> Result<Self, KeyError> {
        if descriptor.contains('<') {
            return Err(KeyError::Parse(
                "Can't load a multipath descriptor from databases".into(),
            ));
        }
        let (d, _) = ParsedDescriptor::parse(descriptor, network, true)
            .map_err(|e| KeyError::Parse(format!("Invalid descriptor: {e}")))?;
        Ok(WalletDescriptor::new(
            d,
            creation_time,
            range_start,
            range_end,
            next_index,
        ))
    }

    /// The string Core stores: `ToString()` with checksum.
    pub fn descriptor_string(&self) -> String {
        self.descriptor.to_public_string()
    }

    /// The `walletdescriptor` record value: str descriptor, u64
    /// creation_time, i32 next_index, i32 range_start, i32 range_end
    /// (little-endian, CompactSize string length).
    pub fn to_record_value(&self) -> Vec<u8> {
        let s = self.descriptor_string();
        let mut out = Vec::with_capacity(s.len() + 24);
        let n = s.len() as u64;
        if n < 253 {
            out.push(n as u8);
        } else if n <= 0xffff {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        } else {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(&self.creation_time.to_le_bytes());
        out.extend_from_slice(&self.next_index.to_le_bytes());
        out.extend_from_slice(&self.range_start.to_le_bytes());
        out.extend_from_slice(&self.range_end.to_le_bytes());
        out
    }

    /// Reads a `walletdescriptor` record value (cache empty; load the cache
    /// records into [`WalletDescriptor::cache`] afterwards).
    pub fn from_record_value(data: &[u8], network: Network) -> Result<Self, KeyError> {
        let bad = || KeyError::Corrupt("malformed walletdescriptor record".into());
        let (len, off) = match *data.first().ok_or_else(bad)? {
            0xfd => (
                u64::from(u16::from_le_bytes(
                    data.get(1..3)
                        .ok_or_else(bad)?
                        .try_into()
                        .map_err(|_| bad())?,
                )),
                3,
            ),
            0xfe => (
                u64::from(u32::from_le_bytes(
                    data.get(1..5)
                        .ok_or_else(bad)?
                        .try_into()
                        .map_err(|_| bad())?,
                )),
                5,
            ),
            0xff => return Err(bad()),
            n => (u64::from(n), 1),
        };
        let len = usize::try_from(len).map_err(|_| bad())?;
        let s = data.get(off..off + len).ok_or_else(bad)?;
        let s = std::str::from_utf8(s).map_err(|_| bad())?;
        let rest = data.get(off + len..).ok_or_else(bad)?;
        if rest.len() != 20 {
            return Err(bad());
        }
        let u64_at = |i: usize| {
            rest[i..i + 8]
                .try_into()
                .map(u64::from_le_bytes)
                .map_err(|_| bad())
        };
        let i32_at = |i: usize| {
            rest[i..i + 4]
                .try_into()
                .map(i32::from_le_bytes)
                .map_err(|_| bad())
        };
        WalletDescriptor::from_stored(s, network, u64_at(0)?, i32_at(8)?, i32_at(12)?, i32_at(16)?)
    }
}

/// Whether Core treats the chain as a test chain (`IsTestChain`): the
/// default descriptors then use coin type `1h`.
pub fn is_test_chain(network: Network) -> bool {
    network != Network::Bitcoin
}

/// A fresh wallet seed: 32 random bytes that are a valid secp256k1 secret
/// (Core seeds BIP32 with a newly generated private key; the seed is never
/// stored).
pub fn generate_seed() -> [u8; 32] {
    SecretKey::new(&mut rand::rngs::OsRng).secret_bytes()
}

/// The BIP32 master key of a seed (HMAC-SHA512 keyed with "Bitcoin seed").
pub fn master_key_from_seed(seed: &[u8], network: Network) -> Result<Xpriv, KeyError> {
    Xpriv::new_master(NetworkKind::from(network), seed)
        .map_err(|e| KeyError::Keys(format!("invalid seed: {e}")))
}

/// Core's default descriptor text for an output type, without checksum,
/// e.g. `wpkh(tpub…/84h/1h/0h/1/*)`.
pub fn default_descriptor_string(
    master: &Xpub,
    output_type: OutputType,
    internal: bool,
    network: Network,
) -> String {
    let coin = if is_test_chain(network) { "1h" } else { "0h" };
    let branch = if internal { 1 } else { 0 };
    let (open, purpose, close) = match output_type {
        OutputType::Legacy => ("pkh(", 44, ")"),
        OutputType::P2shSegwit => ("sh(wpkh(", 49, "))"),
        OutputType::Bech32 => ("wpkh(", 84, ")"),
        OutputType::Bech32m => ("tr(", 86, ")"),
    };
    format!("{open}{master}/{purpose}h/{coin}/0h/{branch}/*{close}")
}

/// Core's `GenerateWalletDescriptor`: the default descriptor for `master`
/// (an xpub, as Core builds it) with range (0, 0) and next index 0.
pub fn generate_wallet_descriptor(
    master: &Xpub,
    output_type: OutputType,
    internal: bool,
    network: Network,
    creation_time: u64,
) -> Result<WalletDescriptor, KeyError> {
    let s = default_descriptor_string(master, output_type, internal, network);
    let (d, _) = ParsedDescriptor::parse(&s, network, false)?;
    Ok(WalletDescriptor::new(d, creation_time, 0, 0, 0))
}

/// One of the eight default descriptors.
#[derive(Debug, Clone)]
pub struct DefaultDescriptor {
    /// Its output type.
    pub output_type: OutputType,
    /// Change (`/1/*`) or receive (`/0/*`).
    pub internal: bool,
    /// The descriptor (not yet topped up).
    pub descriptor: WalletDescriptor,
}

/// The eight default descriptors of `master` in Core's order (all receive
/// types, then all change types), with the one root secret they share.
pub fn default_descriptors(
    master: &Xpriv,
    network: Network,
    creation_time: u64,
) -> Result<(Vec<DefaultDescriptor>, KeyMap), KeyError> {
    let secp = crate::keys::secp();
    let xpub = Xpub::from_priv(secp, master);
    let mut out = Vec::with_capacity(8);
    for internal in [false, true] {
        for output_type in OutputType::ALL {
            let descriptor =
                generate_wallet_descriptor(&xpub, output_type, internal, network, creation_time)?;
            out.push(DefaultDescriptor {
                output_type,
                internal,
                descriptor,
            });
        }
    }
    let sk = master.to_priv();
    let mut keys = KeyMap::new();
    keys.insert(sk.public_key(secp), sk);
    Ok((out, keys))
}
