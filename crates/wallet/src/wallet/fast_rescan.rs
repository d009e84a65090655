//! The fast rescan (Core's `FastWalletRescanFilter`): when the node keeps
//! BIP157 basic block filters, a rescan asks the node whether a block's
//! filter matches any of the wallet's scriptPubKeys and reads only the
//! blocks that match (or have no filter). Reading a block is the costly
//! part of a rescan; a filter match is one small call.
//!
//! The set grows as the rescan goes: a payment to the end of a ranged
//! descriptor's window tops it up, and the scripts derived then must be
//! looked for in the following blocks, or their payments would be missed.

use super::keystore::Keystore;
use crate::keys::DescriptorId;
use std::collections::{BTreeMap, HashSet};

/// The basic filter type (`BlockFilterType::BASIC`), the only one Core has.
pub const BASIC_FILTER: u8 = 0;

/// The scriptPubKeys a fast rescan looks for.
#[derive(Debug, Default)]
pub struct FastRescanFilter {
    /// The end of each ranged descriptor's window when its scripts were
    /// last added, to see top-ups.
    last_range_ends: BTreeMap<DescriptorId, i32>,
    /// The elements, each once, in the form the node takes them.
    elements: Vec<Vec<u8>>,
    /// The same elements, to keep them unique.
    seen: HashSet<Vec<u8>>,
}

impl FastRescanFilter {
    /// The filter of every script of every descriptor in `keys`.
    pub fn new(keys: &Keystore) -> FastRescanFilter {
        let mut filter = FastRescanFilter::default();
        for (id, spkm) in &keys.spkms {
            filter.add_scripts(keys, id, 0);
            if spkm.descriptor().is_range() {
                filter.last_range_ends.insert(*id, spkm.end_range());
            }
        }
        filter
    }

    /// Adds the scripts ranged descriptors derived since they were last
    /// looked at (Core's `UpdateIfNeeded`, before each block).
    pub fn update_if_needed(&mut self, keys: &Keystore) {
        let grown: Vec<(DescriptorId, i32, i32)> = self
            .last_range_ends
            .iter()
            .filter_map(|(id, last)| {
                let end = keys.spkms.get(id)?.end_range();
                (end > *last).then_some((*id, *last, end))
            })
            .collect();
        for (id, last, end) in grown {
            self.add_scripts(keys, &id, last);
            self.last_range_ends.insert(id, end);
        }
    }

    /// The elements to match a block's filter against.
    pub fn elements(&self) -> &[Vec<u8>] {
        &self.elements
    }

    /// Adds the scripts of descriptor `id` derived at `minimum_index` or
    /// later.
    fn add_scripts(&mut self, keys: &Keystore, id: &DescriptorId, minimum_index: i32) {
        let Some(spkm) = keys.spkms.get(id) else {
            return;
        };
        for script in spkm.script_pub_keys(minimum_index) {
            let bytes = script.into_bytes();
            if self.seen.insert(bytes.clone()) {
                self.elements.push(bytes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{DescriptorSpkm, KeyAccess, OutputType};
    use bitcoin::bip32::Xpriv;
    use bitcoin::Network;

    fn keystore(keypool: u32) -> (Keystore, DescriptorId) {
        let master = Xpriv::new_master(Network::Regtest, &[3u8; 32]).expect("seed");
        let mut keys = Keystore::default();
        let mut first = None;
        for ty in [OutputType::Bech32, OutputType::Legacy] {
            let (spkm, _, _) = DescriptorSpkm::generate(
                &master,
                ty,
                false,
                Network::Regtest,
                keypool,
                0,
                KeyAccess::Plain,
            )
            .expect("generate");
            first.get_or_insert(spkm.id());
            keys.spkms.insert(spkm.id(), spkm);
        }
        (keys, first.expect("one descriptor"))
    }

    #[test]
    fn holds_every_script_of_every_descriptor() {
        let (keys, _) = keystore(5);
        let filter = FastRescanFilter::new(&keys);
        assert_eq!(filter.elements().len(), 10);
        for spkm in keys.spkms.values() {
            for script in spkm.script_pub_keys(0) {
                assert!(filter.elements().contains(&script.into_bytes()));
            }
        }
    }

    #[test]
    fn adds_scripts_of_a_top_up_once() {
        let (mut keys, id) = keystore(5);
        let mut filter = FastRescanFilter::new(&keys);
        // Nothing derived: nothing added.
        filter.update_if_needed(&keys);
        assert_eq!(filter.elements().len(), 10);
        let spkm = keys.spkms.get_mut(&id).expect("descriptor");
        spkm.top_up(8, KeyAccess::Plain).expect("top up");
        let new = spkm.script_pub_keys(5);
        assert_eq!(new.len(), 3);
        filter.update_if_needed(&keys);
        assert_eq!(filter.elements().len(), 13);
        for script in new {
            assert!(filter.elements().contains(&script.into_bytes()));
        }
        // A second look finds nothing new.
        filter.update_if_needed(&keys);
        assert_eq!(filter.elements().len(), 13);
    }
}
