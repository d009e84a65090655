//! A watch-only copy of a wallet (Core's `ExportWatchOnlyWallet`, behind
//! `exportwatchonlywallet`): a wallet file with the same flags plus
//! "private keys disabled", the public descriptors (descriptors with
//! hardened steps keep the keys derived so far, from the cache), the
//! active descriptors, transactions, address book, persistently locked
//! coins and the best block (so `restorewallet` does not rescan).
//!
//! Core builds a temporary in-memory wallet and backs it up. Here the
//! records are written straight into an in-memory database, in the same
//! form the wallet writes them, and the database is copied to the file
//! with the same SQLite backup `backupwallet` uses.

use super::crypt;
use super::keystore::{KeyWrites, Keystore};
use super::{State, Wallet};
use crate::db::batch::WalletBatch;
use crate::db::records::{flags, CLIENT_VERSION};
use crate::db::{SqliteDatabase, StorageError};
use crate::keys::{DescriptorSpkm, KeyAccess, KeyMap, WalletDescriptor};
use std::collections::BTreeMap;
use std::path::Path;

/// Removes the destination unless the export got to the end, so a failed
/// export leaves no half-written file (Core's cleanup handler).
struct RemoveUnlessDone<'a> {
    path: &'a Path,
    done: bool,
}

impl Drop for RemoveUnlessDone<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(self.path);
        }
    }
}

impl Wallet {
    /// Writes a watch-only copy of this wallet to `destination` (a new
    /// file) as a wallet database for the chain with message start
    /// `magic`; the error is Core's message.
    pub fn export_watch_only(&self, destination: &str, magic: [u8; 4]) -> Result<String, String> {
        if destination.is_empty() {
            return Err("Error: Export destination cannot be empty".into());
        }
        let path = Path::new(destination);
        // `symlink_metadata` so a dangling link counts as existing too:
        // creating the file would write through it.
        if path.symlink_metadata().is_ok() {
            return Err(format!(
                "Error: Export destination '{destination}' already exists"
            ));
        }
        let mut state = self.lock();
        // Core tops the keypool up first, so the copy has a full window.
        let writes = crypt::top_up_active(&mut state);
        self.commit(&mut state, writes)?;
        if state.keys.spkms.is_empty() {
            return Err("Error: Wallet has no descriptors to export".into());
        }
        if std::fs::File::create(path).is_err() {
            return Err(format!("Error: Could not create file '{destination}'"));
        }
        let mut guard = RemoveUnlessDone { path, done: false };
        let mut copy = SqliteDatabase::open_in_memory(magic).map_err(|e| {
            format!(
                "Error: Failed to create new watchonly wallet. {}",
                e.message
            )
        })?;
        {
            let txn = copy.begin().map_err(|_| {
                format!(
                    "Error: database transaction cannot be executed for new watchonly wallet {}_watchonly_temp",
                    self.name()
                )
            })?;
            write_watch_only(self, &state, &txn)?;
            txn.commit().map_err(|_| {
                "Error: cannot commit db transaction for watchonly wallet export".to_string()
            })?;
        }
        copy.backup(path)
            .map_err(|_| "Error: Unable to write the exported wallet".to_string())?;
        guard.done = true;
        Ok(destination.to_string())
    }
}

/// Writes the watch-only records of `state` into `batch`.
fn write_watch_only<B: WalletBatch + ?Sized>(
    wallet: &Wallet,
    state: &State,
    batch: &B,
) -> Result<(), String> {
    let storage = |e: StorageError| e.message;
    batch.write_version(CLIENT_VERSION).map_err(storage)?;
    batch
        .write_wallet_flags(state.flags | flags::DISABLE_PRIVATE_KEYS)
        .map_err(storage)?;

    let watch = watch_only_keys(wallet, state)?;
    let mut writes = KeyWrites::default();
    for id in watch.spkms.keys() {
        let full = watch.full_writes(*id, Vec::new());
        writes.descriptors.extend(full.descriptors);
        writes.caches.extend(full.caches);
    }
    for (internal, active) in [(false, &watch.external), (true, &watch.internal)] {
        for (output_type, id) in active {
            writes.active.push((*output_type, internal, *id));
        }
    }
    watch.write(batch, &writes).map_err(storage)?;

    // Only the locks that survive a restart are copied, as in Core.
    for (outpoint, persistent) in &state.locked_coins {
        if *persistent {
            batch.write_locked_utxo(outpoint).map_err(storage)?;
        }
    }
    batch
        .write_order_pos_next(state.ledger.order_pos_next())
        .map_err(storage)?;
    // The copy starts where this wallet is, so loading it does not rescan.
    let best = state
        .db
        .read_best_block()
        .ok()
        .flatten()
        .ok_or("Error: Unable to read wallet's best block locator record")?;
    batch
        .write_best_block(&best)
        .map_err(|_| "Error: Unable to write watchonly wallet best block locator record")?;
    for (txid, entry) in state.ledger.entries() {
        batch
            .write_tx(&entry.stored())
            .map_err(|_| format!("Error: Could not add tx {txid} to watchonly wallet"))?;
    }
    for (address, entry) in &state.address_book {
        if let Some(purpose) = entry.purpose {
            batch
                .write_purpose(address, purpose.as_str())
                .map_err(storage)?;
        }
        if let Some(label) = &entry.label {
            batch.write_name(address, label).map_err(storage)?;
        }
        for (id, request) in &entry.receive_requests {
            batch
                .write_address_receive_request(address, id, request)
                .map_err(storage)?;
        }
        if entry.previously_spent {
            batch
                .write_address_previously_spent(address, true)
                .map_err(storage)?;
        }
    }
    Ok(())
}

/// The descriptors of the watch-only copy (Core's `ExportDescriptors`
/// and the re-import into the new wallet): each one's public string as
/// `listdescriptors` shows it (normalized: a generated descriptor's
/// hardened account path becomes the account xpub, so the copy can derive
/// without private keys), with the same window and next index; the active
/// ones stay active.
fn watch_only_keys(wallet: &Wallet, state: &State) -> Result<Keystore, String> {
    let access = state.key_access();
    let mut watch = Keystore::default();
    let mut new_ids = BTreeMap::new();
    for (old_id, spkm) in &state.keys.spkms {
        let public = spkm
            .descriptor_string(false, access)
            .map_err(|_| "Can't get descriptor string.".to_string())?;
        let old = spkm.wallet_descriptor();
        let mut wdesc = WalletDescriptor::from_stored(
            &public,
            wallet.network,
            old.creation_time,
            old.next_index,
            old.range_start,
            old.range_end,
        )
        .map_err(|e| e.to_string())?;
        let copy = if wdesc.descriptor.can_self_expand() {
            // Derived afresh from the public keys, topped up as a new
            // descriptor is.
            DescriptorSpkm::import(
                wdesc,
                wallet.options.keypool_size,
                &KeyMap::new(),
                KeyAccess::Plain,
            )
            .map(|(s, _, _)| s)
        } else {
            // Hardened steps need private keys: the copy has what this
            // wallet derived so far, from its cache.
            wdesc.cache = old.cache.clone();
            DescriptorSpkm::load(
                wdesc,
                wallet.options.keypool_size,
                KeyMap::new(),
                BTreeMap::new(),
            )
        }
        .map_err(|e| e.to_string())?;
        new_ids.insert(*old_id, copy.id());
        watch.spkms.insert(copy.id(), copy);
    }
    for (from, to) in [
        (&state.keys.external, &mut watch.external),
        (&state.keys.internal, &mut watch.internal),
    ] {
        for (output_type, id) in from {
            if let Some(new_id) = new_ids.get(id) {
                to.insert(*output_type, *new_id);
            }
        }
    }
    Ok(watch)
}
