//! The wallet's descriptors (Core's `m_spk_managers` and the active
//! managers per output type) and their mapping to `wallet.dat` records.

use crate::db::batch::WalletBatch;
use crate::db::load::{DescriptorCache as StoredCache, LoadedDescriptor};
use crate::db::records::{DescriptorRecord, ExtPubKeyBytes, OutputType as StoredType};
use crate::db::StorageError;
use crate::keys::{
    decode_xpub74, DescriptorCache, DescriptorId, DescriptorSpkm, KeyError, KeyMap, KeyRecord,
    OutputType, TopUp, WalletDescriptor,
};
use bitcoin::{Network, NetworkKind, PublicKey, Script, ScriptBuf};
use std::collections::BTreeMap;

/// The wallet's descriptor managers.
#[derive(Debug, Default)]
pub struct Keystore {
    /// Every manager by descriptor id.
    pub spkms: BTreeMap<DescriptorId, DescriptorSpkm>,
    /// The active receive manager per output type.
    pub external: BTreeMap<OutputType, DescriptorId>,
    /// The active change manager per output type.
    pub internal: BTreeMap<OutputType, DescriptorId>,
    /// Secret nonces of the MuSig2 sessions the wallet's keys take part in
    /// (Core keeps them per descriptor manager; the session id names the
    /// key, so one store serves all).
    pub musig_sessions: crate::sign::MuSigSessions,
}

/// Descriptor state to write after an operation (Core writes the
/// descriptor record, new cache items and new keys as it goes).
#[derive(Debug, Default)]
pub struct KeyWrites {
    /// Managers whose `walletdescriptor` record changed.
    pub descriptors: Vec<DescriptorId>,
    /// New cache items per manager.
    pub caches: Vec<(DescriptorId, DescriptorCache)>,
    /// New key records per manager.
    pub keys: Vec<(DescriptorId, KeyRecord)>,
    /// Active manager changes: (type, internal, id).
    pub active: Vec<(OutputType, bool, DescriptorId)>,
    /// Active slots (type, internal) that may have been emptied; each is
    /// written as it stands in memory when the batch is written (erased if
    /// empty), so the order of changes within one batch cannot matter.
    pub inactive: Vec<(OutputType, bool)>,
}

impl KeyWrites {
    /// Records a top-up of `id`.
    pub fn top_up(&mut self, id: DescriptorId, top_up: TopUp) {
        self.descriptors.push(id);
        if !top_up.new_cache.is_empty() {
            self.caches.push((id, top_up.new_cache));
        }
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
            && self.caches.is_empty()
            && self.keys.is_empty()
            && self.active.is_empty()
            && self.inactive.is_empty()
    }
}

fn stored_type(t: OutputType) -> StoredType {
    StoredType::from_u8(t.to_u8())
}

/// The stored cache of `cache`.
fn to_stored_cache(cache: &DescriptorCache) -> StoredCache {
    let b = |x: &bitcoin::bip32::Xpub| ExtPubKeyBytes(crate::keys::encode_xpub74(x));
    StoredCache {
        parent: cache.parents().iter().map(|(k, x)| (*k, b(x))).collect(),
        derived: cache
            .derived_all()
            .iter()
            .map(|(k, m)| (*k, m.iter().map(|(i, x)| (*i, b(x))).collect()))
            .collect(),
        last_hardened: cache
            .last_hardened_all()
            .iter()
            .map(|(k, x)| (*k, b(x)))
            .collect(),
    }
}

fn from_stored_cache(
    stored: &StoredCache,
    network: NetworkKind,
) -> Result<DescriptorCache, KeyError> {
    let mut cache = DescriptorCache::new();
    for (k, x) in &stored.parent {
        cache.cache_parent(*k, decode_xpub74(&x.0, network)?);
    }
    for (k, m) in &stored.derived {
        for (i, x) in m {
            cache.cache_derived(*k, *i, decode_xpub74(&x.0, network)?);
        }
    }
    for (k, x) in &stored.last_hardened {
        cache.cache_last_hardened(*k, decode_xpub74(&x.0, network)?);
    }
    Ok(cache)
}

/// The `walletdescriptor` record of `wdesc`.
pub fn descriptor_record(wdesc: &WalletDescriptor) -> DescriptorRecord {
    DescriptorRecord {
        id: wdesc.id.0,
        descriptor: wdesc.descriptor_string(),
        creation_time: wdesc.creation_time,
        next_index: wdesc.next_index,
        range_start: wdesc.range_start,
        range_end: wdesc.range_end,
    }
}

impl Keystore {
    /// Rebuilds the managers from loaded records.
    pub fn load(
        descriptors: &BTreeMap<[u8; 32], LoadedDescriptor>,
        external: &BTreeMap<StoredType, [u8; 32]>,
        internal: &BTreeMap<StoredType, [u8; 32]>,
        network: Network,
        keypool_size: u32,
    ) -> Result<Keystore, String> {
        let mut ks = Keystore::default();
        for loaded in descriptors.values() {
            let r = &loaded.record;
            let mut wdesc = WalletDescriptor::from_stored(
                &r.descriptor,
                network,
                r.creation_time,
                r.next_index,
                r.range_start,
                r.range_end,
            )
            .map_err(|e| e.to_string())?;
            wdesc.cache = from_stored_cache(&loaded.cache, NetworkKind::from(network))
                .map_err(|e| e.to_string())?;
            let mut keys = KeyMap::new();
            for (pk, sk) in &loaded.keys {
                let pubkey = PublicKey::from_slice(pk).map_err(|e| e.to_string())?;
                let mut key = bitcoin::PrivateKey::new(*sk, network);
                key.compressed = pubkey.compressed;
                keys.insert(pubkey, key);
            }
            let mut crypted = BTreeMap::new();
            for (pk, ct) in &loaded.crypted_keys {
                let pubkey = PublicKey::from_slice(pk).map_err(|e| e.to_string())?;
                crypted.insert(pubkey, ct.clone());
            }
            let spkm = DescriptorSpkm::load(wdesc, keypool_size, keys, crypted)
                .map_err(|e| e.to_string())?;
            ks.spkms.insert(spkm.id(), spkm);
        }
        for (map, out) in [(external, &mut ks.external), (internal, &mut ks.internal)] {
            for (t, id) in map {
                if let Some(t) = OutputType::from_u8(t.to_u8()) {
                    out.insert(t, DescriptorId(*id));
                }
            }
        }
        Ok(ks)
    }

    /// The ids of the active descriptors, receive and change.
    pub fn active_ids(&self) -> std::collections::BTreeSet<DescriptorId> {
        self.external
            .values()
            .chain(self.internal.values())
            .copied()
            .collect()
    }

    /// Whether any descriptor covers `script` (Core's `IsMine`).
    pub fn is_mine(&self, script: &Script) -> bool {
        let script = script.to_owned();
        self.spkms.values().any(|s| s.is_mine(&script))
    }

    /// The managers covering `script`.
    pub fn managers_of(&self, script: &ScriptBuf) -> Vec<DescriptorId> {
        self.spkms
            .iter()
            .filter(|(_, s)| s.is_mine(script))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The active manager for `output_type` (change when `internal`).
    pub fn active(&self, output_type: OutputType, internal: bool) -> Option<DescriptorId> {
        let map = if internal {
            &self.internal
        } else {
            &self.external
        };
        map.get(&output_type).copied()
    }

    /// Whether `id` is an active change manager.
    pub fn is_internal(&self, id: &DescriptorId) -> Option<bool> {
        if self.internal.values().any(|i| i == id) {
            Some(true)
        } else if self.external.values().any(|i| i == id) {
            Some(false)
        } else {
            None
        }
    }

    /// Writes `writes` into `batch`.
    pub fn write<B: WalletBatch + ?Sized>(
        &self,
        batch: &B,
        writes: &KeyWrites,
    ) -> Result<(), StorageError> {
        for (id, record) in &writes.keys {
            match record {
                KeyRecord::Plain { pubkey, key } => {
                    batch.write_descriptor_key(&id.0, &pubkey.to_bytes(), &key.inner)?;
                }
                KeyRecord::Crypted { pubkey, crypted } => {
                    batch.write_crypted_descriptor_key(&id.0, &pubkey.to_bytes(), crypted)?;
                }
            }
        }
        let mut written = std::collections::BTreeSet::new();
        for id in &writes.descriptors {
            if written.insert(*id) {
                if let Some(s) = self.spkms.get(id) {
                    batch.write_descriptor(&descriptor_record(s.wallet_descriptor()))?;
                }
            }
        }
        for (id, cache) in &writes.caches {
            batch.write_descriptor_cache_items(&id.0, &to_stored_cache(cache))?;
        }
        for (t, internal, id) in &writes.active {
            batch.write_active_spk(stored_type(*t), &id.0, *internal)?;
        }
        for (t, internal) in &writes.inactive {
            match self.active(*t, *internal) {
                Some(id) => batch.write_active_spk(stored_type(*t), &id.0, *internal)?,
                None => batch.erase_active_spk(stored_type(*t), *internal)?,
            }
        }
        Ok(())
    }

    /// Everything about manager `id`, for a new descriptor: record, whole
    /// cache and keys.
    pub fn full_writes(&self, id: DescriptorId, keys: Vec<KeyRecord>) -> KeyWrites {
        let mut w = KeyWrites::default();
        if let Some(s) = self.spkms.get(&id) {
            w.descriptors.push(id);
            w.caches.push((id, s.wallet_descriptor().cache.clone()));
        }
        w.keys = keys.into_iter().map(|k| (id, k)).collect();
        w
    }
}
