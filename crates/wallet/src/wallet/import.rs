//! Adding descriptors to a wallet and choosing its active ones (Core's
//! `AddWalletDescriptor`, `AddActiveScriptPubKeyMan`,
//! `DeactivateScriptPubKeyMan`, `SetupDescriptorScriptPubKeyMan`), the
//! rescan after an import (`RescanFromTime`), and what `listdescriptors`
//! and `gethdkeys` read (`ExportDescriptors`, the root xpubs of the
//! descriptors).
//!
//! Everything here changes `State` in memory and queues the records in a
//! [`Writes`]; the caller makes them durable with [`Wallet::commit`].

use super::addresses::set_address_book;
use super::keystore::{KeyWrites, Keystore};
use super::sync::{self, ScanStatus};
use super::{key_access, State, Wallet, Writes};
use crate::db::records::{flags, AddressPurpose};
use crate::keys::{
    DescriptorId, DescriptorSpkm, KeyError, KeyMap, OutputType, ParsedDescriptor, WalletDescriptor,
};
use crate::ledger::store::TIMESTAMP_WINDOW;
use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::{Address, PrivateKey, PublicKey};
use interfaces::chain::FoundBlockParam;
use miniscript::DescriptorPublicKey;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Appends `from` to `into`.
fn merge(into: &mut KeyWrites, from: KeyWrites) {
    into.descriptors.extend(from.descriptors);
    into.caches.extend(from.caches);
    into.keys.extend(from.keys);
    into.active.extend(from.active);
    into.inactive.extend(from.inactive);
}

/// Core's `AddWalletDescriptor`: updates the manager with the same id (its
/// range must grow or stay) or adds a new one, stores `keys` in it, and
/// for a non-ranged external descriptor puts its addresses in the address
/// book under `label`. Returns the manager's id; on error nothing of this
/// descriptor changed.
#[allow(clippy::too_many_arguments)]
pub fn add_wallet_descriptor(
    wallet: &Wallet,
    state: &mut State,
    writes: &mut Writes,
    wdesc: WalletDescriptor,
    keys: &KeyMap,
    label: &str,
    internal: bool,
) -> Result<DescriptorId, String> {
    let id = wdesc.id;
    let creation_time = i64::try_from(wdesc.creation_time).unwrap_or(i64::MAX);
    let is_range = wdesc.descriptor.is_range();
    // Labels apply to single-script descriptors only; unused() has none.
    let labelled = !is_range && wdesc.descriptor.has_scripts();
    let access = key_access(!state.master_keys.is_empty(), state.master_key.as_ref());
    let ks = &mut state.keys;
    if let Some(spkm) = ks.spkms.get_mut(&id) {
        wallet.log(format_args!(
            "Update existing descriptor: {}",
            wdesc.descriptor_string()
        ));
        // The update clears the derived window before it re-derives; a
        // failure must leave the manager as it was.
        let before = spkm.clone();
        match spkm.update_wallet_descriptor(wdesc, keys, access) {
            Ok((records, _)) => {
                // The update starts from an empty cache, so the whole cache
                // is what it derived.
                let cache = spkm.wallet_descriptor().cache.clone();
                writes.keys.descriptors.push(id);
                writes.keys.caches.push((id, cache));
                writes
                    .keys
                    .keys
                    .extend(records.into_iter().map(|r| (id, r)));
            }
            Err(e) => {
                *spkm = before;
                return Err(e.to_string());
            }
        }
    } else {
        let (spkm, records, _) =
            DescriptorSpkm::import(wdesc, wallet.options.keypool_size, keys, access)
                .map_err(|e| e.to_string())?;
        ks.spkms.insert(id, spkm);
        let all = ks.full_writes(id, records);
        merge(&mut writes.keys, all);
    }
    state.ledger.maybe_update_birth_time(creation_time);
    if labelled {
        let mut scripts = state
            .keys
            .spkms
            .get(&id)
            .map(|s| s.script_pub_keys(0))
            .unwrap_or_default();
        if scripts.is_empty() {
            return Err("Could not generate scriptPubKeys (cache is empty)".into());
        }
        if !internal {
            // Sorted so the address book records are written in a stable
            // order (Core iterates a hash set).
            scripts.sort();
            for script in scripts {
                if let Ok(address) = Address::from_script(&script, wallet.network) {
                    set_address_book(
                        state,
                        writes,
                        &address.to_string(),
                        Some(label),
                        Some(AddressPurpose::Receive),
                    );
                }
            }
        }
    }
    Ok(id)
}

/// Core's `AddActiveScriptPubKeyMan`: `id` becomes the active manager of
/// `output_type` on its branch, and stops being active on the other one.
pub fn activate(
    wallet: &Wallet,
    state: &mut State,
    writes: &mut Writes,
    id: DescriptorId,
    output_type: OutputType,
    internal: bool,
) {
    wallet.log(format_args!(
        "Setting spkMan to active: id = {id}, type = {}, internal = {internal}",
        output_type.name()
    ));
    set_active(&mut state.keys, &mut writes.keys, id, output_type, internal);
}

/// Core's `DeactivateScriptPubKeyMan`: if `id` is the active manager of
/// `output_type` on that branch, the branch has none any more.
pub fn deactivate(
    wallet: &Wallet,
    state: &mut State,
    writes: &mut Writes,
    id: DescriptorId,
    output_type: OutputType,
    internal: bool,
) {
    if unset_active(&mut state.keys, &mut writes.keys, id, output_type, internal) {
        wallet.log(format_args!(
            "Deactivate spkMan: id = {id}, type = {}, internal = {internal}",
            output_type.name()
        ));
    }
}

/// The bookkeeping of [`activate`].
fn set_active(
    ks: &mut Keystore,
    writes: &mut KeyWrites,
    id: DescriptorId,
    output_type: OutputType,
    internal: bool,
) {
    let (mine, other) = if internal {
        (&mut ks.internal, &mut ks.external)
    } else {
        (&mut ks.external, &mut ks.internal)
    };
    mine.insert(output_type, id);
    writes.active.push((output_type, internal, id));
    if other.get(&output_type) == Some(&id) {
        other.remove(&output_type);
        // Core only forgets the other branch in memory; its record would
        // make the manager active on both branches after a reload, so it
        // is erased here.
        writes.inactive.push((output_type, !internal));
    }
}

/// The bookkeeping of [`deactivate`]; whether anything changed.
fn unset_active(
    ks: &mut Keystore,
    writes: &mut KeyWrites,
    id: DescriptorId,
    output_type: OutputType,
    internal: bool,
) -> bool {
    if ks.active(output_type, internal) != Some(id) {
        return false;
    }
    let map = if internal {
        &mut ks.internal
    } else {
        &mut ks.external
    };
    map.remove(&output_type);
    writes.inactive.push((output_type, internal));
    true
}

/// Core's `WalletRescanReserver`: at most one rescan (or import) at a time
/// per wallet; released when dropped.
pub struct RescanReserver<'a>(&'a Wallet);

impl<'a> RescanReserver<'a> {
    /// Reserves the wallet for a rescan; `None` if one is running.
    pub fn reserve(wallet: &'a Wallet) -> Option<Self> {
        Self::reserve_with(wallet, false)
    }

    /// Reserves the wallet for a rescan that needs it unlocked throughout
    /// (an import of private keys into an encrypted wallet): until it ends,
    /// the wallet cannot be locked and its passphrase cannot change.
    pub fn reserve_with_passphrase(wallet: &'a Wallet) -> Option<Self> {
        Self::reserve_with(wallet, true)
    }

    fn reserve_with(wallet: &'a Wallet, with_passphrase: bool) -> Option<Self> {
        if wallet.rescanning.swap(true, Ordering::SeqCst) {
            return None;
        }
        wallet
            .scanning_with_passphrase
            .store(with_passphrase, Ordering::SeqCst);
        Some(RescanReserver(wallet))
    }
}

impl Drop for RescanReserver<'_> {
    fn drop(&mut self) {
        self.0
            .scanning_with_passphrase
            .store(false, Ordering::SeqCst);
        self.0.rescanning.store(false, Ordering::SeqCst);
    }
}

/// Core's `RescanFromTime`: scans from the first block within
/// `TIMESTAMP_WINDOW` of `start_time` to the tip, then the mempool.
/// Returns `start_time`, or, when a block could not be read, the earliest
/// time from which the scan is known to be complete. The caller holds the
/// rescan reservation and not the wallet lock.
pub fn rescan_from_time(wallet: &Arc<Wallet>, start_time: i64) -> i64 {
    let want = FoundBlockParam {
        want_hash: true,
        want_height: true,
        ..Default::default()
    };
    let found = wallet.chain.find_first_block_with_time_and_height(
        start_time.saturating_sub(TIMESTAMP_WINDOW),
        0,
        &want,
    );
    let start = match found {
        Ok((f, true)) => f.hash.map(|h| (h, f.height)),
        _ => None,
    };
    let last_height = wallet.lock().ledger.last_height();
    wallet.log(format_args!(
        "RescanFromTime: Rescanning last {} blocks",
        start.map_or(0, |(_, h)| last_height - h + 1)
    ));
    let Some((hash, height)) = start else {
        return start_time;
    };
    // A scan to the tip takes in the mempool too.
    let result = sync::scan(wallet, hash, height, None);
    if result.status == ScanStatus::Failure {
        if let Some(failed) = result.last_failed {
            let want = FoundBlockParam {
                want_max_time: true,
                ..Default::default()
            };
            if let Ok((f, true)) = wallet.chain.find_block(&failed, &want) {
                return f.max_time + TIMESTAMP_WINDOW + 1;
            }
        }
    }
    start_time
}

/// One descriptor as `listdescriptors` shows it (Core's `WalletDescInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorInfo {
    /// The descriptor: normalized public form, or with private keys.
    pub descriptor: String,
    /// Its creation time.
    pub creation_time: u64,
    /// Whether it is an active manager.
    pub active: bool,
    /// For an active one, whether it gives change addresses.
    pub internal: Option<bool>,
    /// For a ranged one, its derived range [start, end).
    pub range: Option<(i32, i32)>,
    /// The next index to hand out.
    pub next_index: i32,
}

/// Core's `ExportDescriptors`: every descriptor, with private keys when
/// `private` (the caller checks the wallet can show them), sorted by the
/// descriptor string.
pub fn export_descriptors(state: &State, private: bool) -> Result<Vec<DescriptorInfo>, String> {
    let access = state.key_access();
    let mut out = Vec::with_capacity(state.keys.spkms.len());
    for (id, spkm) in &state.keys.spkms {
        let descriptor = spkm
            .descriptor_string(private, access)
            .map_err(|_| "Can't get descriptor string.".to_string())?;
        let w = spkm.wallet_descriptor();
        let internal = state.keys.is_internal(id);
        out.push(DescriptorInfo {
            descriptor,
            creation_time: w.creation_time,
            active: internal.is_some(),
            internal,
            range: w
                .descriptor
                .is_range()
                .then_some((w.range_start, w.range_end)),
            next_index: w.next_index,
        });
    }
    out.sort_by(|a, b| a.descriptor.cmp(&b.descriptor));
    Ok(out)
}

/// Core's ordering of `CExtPubKey` in a set: by public key, then chain
/// code (depth and origin do not take part).
type XpubKey = ([u8; 33], [u8; 32]);

fn xpub_key(x: &Xpub) -> XpubKey {
    (x.public_key.serialize(), x.chain_code.to_bytes())
}

/// Core's `GetPubKeys` (extended part): the root xpub of every BIP32 key
/// expression of `d`, as written (before its derivation path).
pub fn root_xpubs(d: &ParsedDescriptor) -> Vec<Xpub> {
    d.key_expressions()
        .into_iter()
        .filter_map(|k| match k {
            DescriptorPublicKey::XPub(x) => Some(x.xkey),
            _ => None,
        })
        .collect()
}

/// The extended private key of `xpub` with secret `key` (Core's
/// `CExtKey(xpub, key)`: everything else comes from the xpub).
pub fn xpriv_of(xpub: &Xpub, key: &PrivateKey) -> Xpriv {
    Xpriv {
        network: xpub.network,
        depth: xpub.depth,
        parent_fingerprint: xpub.parent_fingerprint,
        child_number: xpub.child_number,
        private_key: key.inner,
        chain_code: xpub.chain_code,
    }
}

/// One BIP32 key as `gethdkeys` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HdKey {
    /// The root xpub.
    pub xpub: Xpub,
    /// Whether some descriptor using it holds its private key.
    pub has_private: bool,
    /// The xprv, when asked for and known.
    pub xprv: Option<Xpriv>,
    /// The descriptors using it: (normalized string, active), sorted.
    pub descriptors: Vec<(String, bool)>,
}

/// A descriptor using an HD key: (normalized string, active, holds the
/// key's private key); ordered as Core's set of these tuples.
type UsingDescriptor = (String, bool, bool);

/// Core's `gethdkeys` body: the root xpubs of the descriptors (the active
/// ones only with `active_only`) with the descriptors using them, and the
/// xprvs with `private` (the caller checks the wallet is unlocked).
pub fn hd_keys(state: &State, active_only: bool, private: bool) -> Result<Vec<HdKey>, KeyError> {
    let access = state.key_access();
    let mut xpubs: BTreeMap<XpubKey, (Xpub, BTreeSet<UsingDescriptor>)> = BTreeMap::new();
    let mut xprvs: BTreeMap<XpubKey, Xpriv> = BTreeMap::new();
    for (id, spkm) in &state.keys.spkms {
        let active = state.keys.is_internal(id).is_some();
        if active_only && !active {
            continue;
        }
        let desc = spkm.descriptor_string(false, access)?;
        let keys = if private {
            spkm.keys(access)?
        } else {
            KeyMap::new()
        };
        for xpub in root_xpubs(spkm.descriptor()) {
            let pubkey = PublicKey::new(xpub.public_key);
            let has_priv = spkm.plain_keys().contains_key(&pubkey)
                || spkm.crypted_keys().contains_key(&pubkey);
            let k = xpub_key(&xpub);
            xpubs
                .entry(k)
                .or_insert_with(|| (xpub, BTreeSet::new()))
                .1
                .insert((desc.clone(), active, has_priv));
            if let Some(key) = keys.get(&pubkey) {
                xprvs.insert(k, xpriv_of(&xpub, key));
            }
        }
    }
    Ok(xpubs
        .into_iter()
        .map(|(k, (xpub, descs))| {
            let has_private = descs.iter().any(|(_, _, p)| *p);
            HdKey {
                xpub,
                has_private,
                xprv: if private && has_private {
                    xprvs.get(&k).copied()
                } else {
                    None
                },
                descriptors: descs.into_iter().map(|(d, a, _)| (d, a)).collect(),
            }
        })
        .collect())
}

/// Core's `GetActiveHDPubKeys`: the distinct root xpubs of the active
/// descriptors.
pub fn active_hd_pubkeys(state: &State) -> Vec<Xpub> {
    let mut out: BTreeMap<XpubKey, Xpub> = BTreeMap::new();
    for id in state.keys.active_ids() {
        if let Some(spkm) = state.keys.spkms.get(&id) {
            for x in root_xpubs(spkm.descriptor()) {
                out.entry(xpub_key(&x)).or_insert(x);
            }
        }
    }
    out.into_values().collect()
}

/// Core's `CWallet::GetKey`: the private key of `pubkey` held by any
/// descriptor (decrypted with the unlocked master key).
pub fn private_key(state: &State, pubkey: &PublicKey) -> Result<Option<PrivateKey>, KeyError> {
    let access = state.key_access();
    for spkm in state.keys.spkms.values() {
        if !spkm.plain_keys().contains_key(pubkey) && !spkm.crypted_keys().contains_key(pubkey) {
            continue;
        }
        if let Some(k) = spkm.keys(access)?.get(pubkey) {
            return Ok(Some(*k));
        }
    }
    Ok(None)
}

/// Core's `createwalletdescriptor` body: for each branch of `internals`
/// whose default descriptor of `master` for `output_type` is not in the
/// wallet yet, generates it (`SetupDescriptorScriptPubKeyMan`: keys
/// stored, keypool filled, made active, the blank flag cleared). Returns
/// the new managers' ids.
pub fn create_wallet_descriptors(
    wallet: &Wallet,
    state: &mut State,
    writes: &mut Writes,
    master: &Xpriv,
    output_type: OutputType,
    internals: &[bool],
) -> Result<Vec<DescriptorId>, String> {
    let secp = crate::keys::secp();
    let xpub = Xpub::from_priv(secp, master);
    let now = u64::try_from(common::time::now_secs()).unwrap_or(0);
    let mut created = Vec::new();
    for &internal in internals {
        let wdesc = crate::keys::generate_wallet_descriptor(
            &xpub,
            output_type,
            internal,
            wallet.network,
            now,
        )
        .map_err(|e| e.to_string())?;
        if state.keys.spkms.contains_key(&wdesc.id) {
            continue;
        }
        let (spkm, records, _) = DescriptorSpkm::generate(
            master,
            output_type,
            internal,
            wallet.network,
            wallet.options.keypool_size,
            now,
            state.key_access(),
        )
        .map_err(|e| e.to_string())?;
        let id = spkm.id();
        state.keys.spkms.insert(id, spkm);
        let all = state.keys.full_writes(id, records);
        merge(&mut writes.keys, all);
        state
            .ledger
            .maybe_update_birth_time(i64::try_from(now).unwrap_or(i64::MAX));
        activate(wallet, state, writes, id, output_type, internal);
        if state.has_flag(flags::BLANK_WALLET) {
            state.flags &= !flags::BLANK_WALLET;
            writes.flags = Some(state.flags);
        }
        created.push(id);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::load::load_wallet;
    use crate::db::records::OutputType as StoredType;
    use crate::db::{batch::WalletBatch, SqliteDatabase};
    use crate::keys::KeyAccess;
    use bitcoin::Network;

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    /// A watch-only ranged manager on the xpub of a one-byte seed.
    fn manager(seed: u8) -> DescriptorSpkm {
        let master = Xpriv::new_master(bitcoin::NetworkKind::Test, &[seed; 32]).expect("master");
        let xpub = Xpub::from_priv(crate::keys::secp(), &master);
        let (d, _) = ParsedDescriptor::parse(&format!("wpkh({xpub}/0/*)"), Network::Regtest, false)
            .expect("parses");
        let wdesc = WalletDescriptor::new(d, 1, 0, 2, 0);
        let (spkm, _, _) =
            DescriptorSpkm::import(wdesc, 2, &KeyMap::new(), KeyAccess::Plain).expect("imports");
        spkm
    }

    /// Writes `writes` and reads back the active records.
    fn write_and_load(
        db: &mut SqliteDatabase,
        ks: &Keystore,
        writes: &KeyWrites,
    ) -> (
        BTreeMap<StoredType, [u8; 32]>,
        BTreeMap<StoredType, [u8; 32]>,
    ) {
        db.run_in_txn(|b| ks.write(b, writes)).expect("writes");
        let r = load_wallet(&*db, "t").expect("loads");
        (r.active_external, r.active_internal)
    }

    #[test]
    fn active_records_follow_the_managers_whatever_the_order_of_changes() {
        let mut db = SqliteDatabase::open_in_memory(REGTEST).expect("opens");
        db.write_wallet_flags(flags::DESCRIPTORS).expect("flags");
        let (a, b) = (manager(1), manager(2));
        let (ida, idb) = (a.id(), b.id());
        let mut ks = Keystore::default();
        ks.spkms.insert(ida, a);
        ks.spkms.insert(idb, b);
        let mut w = ks.full_writes(ida, Vec::new());
        merge(&mut w, ks.full_writes(idb, Vec::new()));
        let t = OutputType::Bech32;
        let st = StoredType::from_u8(t.to_u8());

        // A receives, then moves to change; B takes the receive slot.
        set_active(&mut ks, &mut w, ida, t, false);
        set_active(&mut ks, &mut w, ida, t, true);
        assert_eq!(ks.active(t, false), None);
        set_active(&mut ks, &mut w, idb, t, false);
        let (ext, int) = write_and_load(&mut db, &ks, &w);
        assert_eq!(ext.get(&st), Some(&idb.0));
        assert_eq!(int.get(&st), Some(&ida.0));

        // In one batch: A back to receive (its change record goes), then B
        // to change. The change slot ends with B, not erased.
        let mut w = KeyWrites::default();
        set_active(&mut ks, &mut w, ida, t, false);
        set_active(&mut ks, &mut w, idb, t, true);
        let (ext, int) = write_and_load(&mut db, &ks, &w);
        assert_eq!(ext.get(&st), Some(&ida.0));
        assert_eq!(int.get(&st), Some(&idb.0));

        // Deactivating needs the manager to be the active one there.
        let mut w = KeyWrites::default();
        assert!(!unset_active(&mut ks, &mut w, ida, t, true));
        assert!(unset_active(&mut ks, &mut w, idb, t, true));
        let (ext, int) = write_and_load(&mut db, &ks, &w);
        assert_eq!(ext.get(&st), Some(&ida.0));
        assert!(int.is_empty());
    }

    #[test]
    fn hd_keys_group_descriptors_by_root_xpub() {
        let a = manager(1);
        let xpub = root_xpubs(a.descriptor());
        assert_eq!(xpub.len(), 1);
        let (d, _) = ParsedDescriptor::parse(
            &format!("wsh(multi(1,{}/1/*,{}/2/*))", xpub[0], xpub[0]),
            Network::Regtest,
            false,
        )
        .expect("parses");
        assert_eq!(root_xpubs(&d), vec![xpub[0], xpub[0]]);
        let (addr, _) = ParsedDescriptor::parse(
            "addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080)",
            Network::Regtest,
            false,
        )
        .expect("parses");
        assert!(root_xpubs(&addr).is_empty());
    }
}
