//! Wallet encryption (Core's `EncryptWallet`, `Unlock`, `Lock`,
//! `ChangeWalletPassphrase`): a random master key encrypted under the
//! passphrase (`mkey`), every private key encrypted under the master key.

use super::keystore::KeyWrites;
use super::{State, Wallet, Writes};
use crate::crypto::{self, KeyingMaterial};
use crate::db::batch::WalletBatch;
use crate::db::records::MasterKey as StoredMasterKey;

fn to_crypto(m: &StoredMasterKey) -> crypto::MasterKey {
    crypto::MasterKey {
        crypted_key: m.crypted_key.clone(),
        salt: m.salt.clone(),
        derivation_method: m.derivation_method,
        derive_iterations: m.derive_iterations,
        other_derivation_parameters: m.other_derivation_parameters.clone(),
    }
}

fn to_stored(m: &crypto::MasterKey) -> StoredMasterKey {
    StoredMasterKey {
        crypted_key: m.crypted_key.clone(),
        salt: m.salt.clone(),
        derivation_method: m.derivation_method,
        derive_iterations: m.derive_iterations,
        other_derivation_parameters: m.other_derivation_parameters.clone(),
    }
}

/// Encrypts an unencrypted wallet; like Core, a wallet with private keys
/// then gets a fresh seed and descriptors (the old keys may have been
/// seen in plaintext) and is left locked.
pub fn encrypt(wallet: &Wallet, passphrase: &[u8]) -> Result<(), String> {
    let mut state = wallet.lock();
    if state.is_crypted() {
        return Err(
            "Error: running with an encrypted wallet, but encryptwallet was called.".into(),
        );
    }
    let plain = KeyingMaterial::random_master_key();
    let master = crypto::MasterKey::create(passphrase, &plain).map_err(|e| e.to_string())?;
    wallet.log(format_args!(
        "Encrypting Wallet with an nDeriveIterations of {}",
        master.derive_iterations
    ));
    let id = state.master_keys.keys().max().copied().unwrap_or(0) + 1;
    let mut writes = KeyWrites::default();
    let mut spkms = state.keys.spkms.clone();
    for (sid, spkm) in spkms.iter_mut() {
        for record in spkm.encrypt(&plain).map_err(|e| e.to_string())? {
            writes.keys.push((*sid, record));
        }
    }
    let stored = to_stored(&master);
    state
        .db
        .run_in_txn(|batch| {
            batch.write_master_key(id, &stored)?;
            state_keys_write(batch, &writes)
        })
        .map_err(|e| e.message)?;
    state.keys.spkms = spkms;
    state.master_keys.insert(id, stored);
    state.master_key = Some(plain);
    let generate = !state.has_flag(crate::db::records::flags::BLANK_WALLET)
        && !state.has_flag(crate::db::records::flags::DISABLE_PRIVATE_KEYS);
    if generate {
        let writes = super::open::setup_descriptors(wallet, &mut state)?;
        wallet.commit(&mut state, writes)?;
    }
    state.master_key = None;
    let _ = state.db.rewrite();
    drop(state);
    wallet.notify_status_changed();
    Ok(())
}

fn state_keys_write<B: WalletBatch + ?Sized>(
    batch: &B,
    writes: &KeyWrites,
) -> Result<(), crate::db::StorageError> {
    for (id, record) in &writes.keys {
        if let crate::keys::KeyRecord::Crypted { pubkey, crypted } = record {
            batch.write_crypted_descriptor_key(&id.0, &pubkey.to_bytes(), crypted)?;
        }
    }
    Ok(())
}

/// Tries each master key with `passphrase` and checks it decrypts the
/// descriptors' keys (Core's `Unlock`).
pub fn unlock(wallet: &Wallet, passphrase: &[u8]) -> Result<(), String> {
    let mut state = wallet.lock();
    let plain = unlocked_key(&mut state, passphrase)?;
    state.master_key = Some(plain);
    // The window may have stayed short while locked.
    let writes = top_up(&mut state);
    wallet.commit(&mut state, writes)?;
    drop(state);
    wallet.notify_status_changed();
    Ok(())
}

fn unlocked_key(state: &mut State, passphrase: &[u8]) -> Result<KeyingMaterial, String> {
    for m in state.master_keys.values() {
        let Ok(plain) = to_crypto(m).decrypt(passphrase) else {
            continue;
        };
        let mut ok = true;
        for spkm in state.keys.spkms.values_mut() {
            match spkm.check_decryption_key(&plain) {
                Ok(true) => {}
                Ok(false) => ok = false,
                Err(e) => return Err(e.to_string()),
            }
        }
        if ok {
            return Ok(plain);
        }
    }
    Err("Error: The wallet passphrase entered was incorrect.".into())
}

/// Tops up every descriptor's window with the keys now reachable.
pub fn top_up(state: &mut State) -> Writes {
    top_up_where(state, |_| true)
}

/// Core's `TopUpKeyPool`: tops up the active descriptors' windows (a
/// locked wallet tops up what its caches allow).
pub fn top_up_active(state: &mut State) -> Writes {
    let active = state.keys.active_ids();
    top_up_where(state, |id| active.contains(id))
}

fn top_up_where(state: &mut State, wanted: impl Fn(&crate::keys::DescriptorId) -> bool) -> Writes {
    let State {
        keys,
        master_key,
        master_keys,
        ..
    } = state;
    let access = super::key_access(!master_keys.is_empty(), master_key.as_ref());
    let mut writes = KeyWrites::default();
    for (id, spkm) in keys.spkms.iter_mut().filter(|(id, _)| wanted(id)) {
        if let Ok(t) = spkm.top_up(0, access) {
            if !t.new_scripts.is_empty() || !t.new_cache.is_empty() {
                writes.top_up(*id, t);
            }
        }
    }
    writes.into()
}

/// Forgets the master key (Core's `Lock`); false for an unencrypted wallet.
pub fn lock(wallet: &Wallet) -> bool {
    let mut state = wallet.lock();
    if !state.is_crypted() {
        return false;
    }
    state.master_key = None;
    drop(state);
    wallet.notify_status_changed();
    true
}

/// Re-encrypts the master key under a new passphrase (Core's
/// `ChangeWalletPassphrase`): the wallet is locked first, unlocked with the
/// old passphrase, and locked again only if it was locked before. As in
/// Core, a master key the old passphrase does not decrypt ends the attempt
/// (leaving the wallet locked).
pub fn change_passphrase(wallet: &Wallet, old: &[u8], new: &[u8]) -> Result<(), String> {
    let mut state = wallet.lock();
    let crypted = state.is_crypted();
    let was_locked = state.is_locked();
    state.master_key = None;
    let result = rewrap_master_key(wallet, &mut state, old, new, was_locked);
    drop(state);
    if crypted {
        wallet.notify_status_changed();
    }
    result
}

fn rewrap_master_key(
    wallet: &Wallet,
    state: &mut State,
    old: &[u8],
    new: &[u8],
    was_locked: bool,
) -> Result<(), String> {
    let incorrect = || "Error: The wallet passphrase entered was incorrect.".to_string();
    let ids: Vec<u32> = state.master_keys.keys().copied().collect();
    for id in ids {
        let Some(stored) = state.master_keys.get(&id) else {
            continue;
        };
        let mut m = to_crypto(stored);
        let plain = m.decrypt(old).map_err(|_| incorrect())?;
        let mut check = state.keys.spkms.clone();
        if !check
            .values_mut()
            .all(|s| s.check_decryption_key(&plain).unwrap_or(false))
        {
            continue;
        }
        state.master_key = Some(plain.clone());
        m.encrypt(new, &plain).map_err(|e| e.to_string())?;
        wallet.log(format_args!(
            "Wallet passphrase changed to an nDeriveIterations of {}",
            m.derive_iterations
        ));
        let stored = to_stored(&m);
        state
            .db
            .write_master_key(id, &stored)
            .map_err(|e| e.message)?;
        state.master_keys.insert(id, stored);
        if was_locked {
            state.master_key = None;
        }
        return Ok(());
    }
    Err(incorrect())
}
