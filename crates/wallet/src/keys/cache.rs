//! Core's `DescriptorCache`: the xpubs that let a descriptor be expanded
//! without private keys (`walletdescriptorcache` / `walletdescriptorlhcache`
//! records), keyed by key expression index.

use std::collections::BTreeMap;

use bitcoin::bip32::{ChainCode, ChildNumber, Fingerprint, Xpub};
use bitcoin::secp256k1::PublicKey as SecpPublicKey;
use bitcoin::NetworkKind;

use super::error::KeyError;

/// Length of Core's `CExtPubKey::Encode` form (BIP32 serialization without
/// the 4 version bytes).
pub const XPUB74_LEN: usize = 74;

/// Core's 74-byte xpub encoding: depth, parent fingerprint, child number
/// (big-endian), chain code, compressed public key.
pub fn encode_xpub74(xpub: &Xpub) -> [u8; XPUB74_LEN] {
    let full = xpub.encode();
    let mut out = [0u8; XPUB74_LEN];
    out.copy_from_slice(&full[4..]);
    out
}

/// Reads Core's 74-byte xpub encoding. The network is not part of it; the
/// caller supplies the wallet's, which only matters when the xpub is shown.
pub fn decode_xpub74(data: &[u8], network: NetworkKind) -> Result<Xpub, KeyError> {
    if data.len() != XPUB74_LEN {
        return Err(KeyError::Corrupt(format!(
            "cached xpub must be {XPUB74_LEN} bytes, got {}",
            data.len()
        )));
    }
    let public_key = SecpPublicKey::from_slice(&data[41..74])
        .map_err(|_| KeyError::Corrupt("cached xpub has an invalid public key".into()))?;
    let mut fp = [0u8; 4];
    fp.copy_from_slice(&data[1..5]);
    let mut cc = [0u8; 32];
    cc.copy_from_slice(&data[9..41]);
    Ok(Xpub {
        network,
        depth: data[0],
        parent_fingerprint: Fingerprint::from(fp),
        child_number: ChildNumber::from(u32::from_be_bytes([data[5], data[6], data[7], data[8]])),
        public_key,
        chain_code: ChainCode::from(cc),
    })
}

/// Cached xpubs of one descriptor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescriptorCache {
    parent: BTreeMap<u32, Xpub>,
    derived: BTreeMap<u32, BTreeMap<u32, Xpub>>,
    last_hardened: BTreeMap<u32, Xpub>,
}

impl DescriptorCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores the parent xpub (the key after its fixed path) of a key
    /// expression.
    pub fn cache_parent(&mut self, key_exp_index: u32, xpub: Xpub) {
        self.parent.insert(key_exp_index, xpub);
    }

    /// Stores the xpub derived at `pos` (used for hardened wildcards).
    pub fn cache_derived(&mut self, key_exp_index: u32, pos: u32, xpub: Xpub) {
        self.derived
            .entry(key_exp_index)
            .or_default()
            .insert(pos, xpub);
    }

    /// Stores the xpub at the last hardened path step.
    pub fn cache_last_hardened(&mut self, key_exp_index: u32, xpub: Xpub) {
        self.last_hardened.insert(key_exp_index, xpub);
    }

    /// The cached parent xpub of a key expression.
    pub fn parent(&self, key_exp_index: u32) -> Option<&Xpub> {
        self.parent.get(&key_exp_index)
    }

    /// The cached derived xpub of a key expression at `pos`.
    pub fn derived(&self, key_exp_index: u32, pos: u32) -> Option<&Xpub> {
        self.derived.get(&key_exp_index)?.get(&pos)
    }

    /// The cached last-hardened xpub of a key expression.
    pub fn last_hardened(&self, key_exp_index: u32) -> Option<&Xpub> {
        self.last_hardened.get(&key_exp_index)
    }

    /// All parent xpubs, by key expression index.
    pub fn parents(&self) -> &BTreeMap<u32, Xpub> {
        &self.parent
    }

    /// All derived xpubs, by key expression index then position.
    pub fn derived_all(&self) -> &BTreeMap<u32, BTreeMap<u32, Xpub>> {
        &self.derived
    }

    /// All last-hardened xpubs, by key expression index.
    pub fn last_hardened_all(&self) -> &BTreeMap<u32, Xpub> {
        &self.last_hardened
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty() && self.derived.is_empty() && self.last_hardened.is_empty()
    }

    /// Core's `MergeAndDiff`: adds `other`'s entries and returns those that
    /// were new (what must be written to the database). An entry that
    /// differs from one already cached is an error, as in Core.
    pub fn merge_and_diff(&mut self, other: &DescriptorCache) -> Result<DescriptorCache, KeyError> {
        let mismatch =
            || KeyError::Corrupt("New cached xpub does not match already cached xpub".into());
        let mut diff = DescriptorCache::new();
        for (&i, x) in &other.parent {
            match self.parent.get(&i) {
                Some(old) if old != x => return Err(mismatch()),
                Some(_) => {}
                None => {
                    self.parent.insert(i, *x);
                    diff.parent.insert(i, *x);
                }
            }
        }
        for (&i, m) in &other.derived {
            for (&pos, x) in m {
                match self.derived(i, pos) {
                    Some(old) if old != x => return Err(mismatch()),
                    Some(_) => {}
                    None => {
                        self.cache_derived(i, pos, *x);
                        diff.cache_derived(i, pos, *x);
                    }
                }
            }
        }
        for (&i, x) in &other.last_hardened {
            match self.last_hardened.get(&i) {
                Some(old) if old != x => return Err(mismatch()),
                Some(_) => {}
                None => {
                    self.last_hardened.insert(i, *x);
                    diff.last_hardened.insert(i, *x);
                }
            }
        }
        Ok(diff)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn xpub74_round_trip() {
        // BIP32 test vector 1, chain m/0H.
        let x = Xpub::from_str("xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw").unwrap();
        let enc = encode_xpub74(&x);
        assert_eq!(enc[0], 1);
        assert_eq!(&enc[5..9], &[0x80, 0, 0, 0]);
        assert_eq!(decode_xpub74(&enc, NetworkKind::Main).unwrap(), x);
        assert!(decode_xpub74(&enc[..73], NetworkKind::Main).is_err());
        let mut bad = enc;
        bad[41] = 5;
        assert!(decode_xpub74(&bad, NetworkKind::Main).is_err());
    }

    #[test]
    fn merge_and_diff_reports_new_and_rejects_conflicts() {
        let a = Xpub::from_str("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8").unwrap();
        let b = Xpub::from_str("xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw").unwrap();
        let mut c = DescriptorCache::new();
        c.cache_parent(0, a);
        let mut other = DescriptorCache::new();
        other.cache_parent(0, a);
        other.cache_derived(1, 5, b);
        other.cache_last_hardened(0, b);
        let diff = c.merge_and_diff(&other).unwrap();
        assert!(diff.parent(0).is_none());
        assert_eq!(diff.derived(1, 5), Some(&b));
        assert_eq!(diff.last_hardened(0), Some(&b));
        assert_eq!(c.derived(1, 5), Some(&b));
        let mut conflict = DescriptorCache::new();
        conflict.cache_parent(0, b);
        assert!(c.merge_and_diff(&conflict).is_err());
    }
}
