//! `migratewallet`: turns a legacy Berkeley DB wallet into descriptor
//! wallets in Core's SQLite format, as Core's `MigrateLegacyToDescriptor`
//! does (`src/wallet/wallet.cpp`, `scriptpubkeyman.cpp`).
//!
//! The legacy file is read with [`crate::db::bdb`], backed up as
//! `<name>_<time>.legacy.bak` in the wallet directory, and replaced by a
//! SQLite file holding every non-legacy record plus the descriptors that
//! stand for the old keys: a `combo()` per loose key, `combo(xpub/0h/Bh/*h)`
//! per HD chain, inferred descriptors for imported scripts, and the eight
//! default descriptors of the active HD seed. Scripts only watched go to a
//! `<name>_watchonly` wallet, unwatched solvable scripts to `<name>_solvables`.
//! Any failure after the backup puts the backup back in place.

pub mod legacy;

use crate::context::WalletContext;
use crate::crypto::KeyingMaterial;
use crate::db::bdb;
use crate::db::records::{flags, types, WalletTx, CLIENT_VERSION};
use crate::db::ser::Reader;
use crate::db::sqlite::{DatabaseOptions, KvStore, SqliteDatabase, StorageError};
use crate::db::WalletBatch;
use crate::keys::{
    DescriptorSpkm, KeyAccess, KeyMap, OutputType, ParsedDescriptor, WalletDescriptor,
};
use crate::wallet::keystore::{KeyWrites, Keystore};
use bitcoin::{Address, Network, ScriptBuf};
use legacy::{LegacyData, MigratedDescriptor, MigrationData};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// What a successful migration reports (Core's `MigrationResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationResult {
    /// The main migrated wallet.
    pub wallet_name: String,
    /// The watch-only wallet, if one was made.
    pub watchonly_name: Option<String>,
    /// The solvables wallet, if one was made.
    pub solvables_name: Option<String>,
    /// The backup of the legacy file.
    pub backup_path: PathBuf,
}

const ALREADY_DESCRIPTOR: &str = "Error: This wallet is already a descriptor wallet";

/// Core's prefix for the backup and the extra wallets.
fn prefix_name(name: &str) -> String {
    if name.is_empty() {
        "default_wallet".into()
    } else {
        name.to_string()
    }
}

/// Migrates the legacy wallet `name`; with `load_wallet` the results are
/// loaded afterwards. Errors carry Core's texts.
pub fn migrate_wallet(
    context: &Arc<WalletContext>,
    name: &str,
    passphrase: &str,
    load_wallet: bool,
) -> Result<MigrationResult, String> {
    if context.wallet(name).is_some() {
        return Err(ALREADY_DESCRIPTOR.into());
    }
    let wallet_dir = context.wallet_dir();
    let path = crate::wallet::open::wallet_path(&wallet_dir, name)?;
    if !path.exists() {
        return Err("Error: Wallet does not exist".into());
    }
    let data_file = if path.is_dir() {
        path.join(crate::db::sqlite::DATA_FILE_NAME)
    } else {
        path.clone()
    };
    if !crate::db::sqlite::is_bdb_file(&data_file) {
        return Err(ALREADY_DESCRIPTOR.into());
    }
    let records =
        bdb::read_file(&data_file).map_err(|e| format!("Wallet file verification failed. {e}"))?;
    let shown = data_file.display().to_string();
    let mut legacy = LegacyData::load(&records).map_err(|e| {
        tracing::info!("migratewallet: {e}");
        format!("Wallet loading failed. Error loading {shown}: Wallet corrupted")
    })?;
    if legacy.flags & flags::DESCRIPTORS != 0 {
        return Err(ALREADY_DESCRIPTOR.into());
    }

    // The backup comes first, as in Core, so even a failed unlock leaves one.
    let backup_prefix = if name.is_empty() {
        prefix_name(name)
    } else {
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| prefix_name(name))
    };
    let backup_path = wallet_dir.join(format!(
        "{backup_prefix}_{}.legacy.bak",
        common::time::now_secs()
    ));
    std::fs::copy(&data_file, &backup_path)
        .map_err(|_| "Error: Unable to make a backup of your wallet".to_string())?;

    let master = if legacy.is_encrypted() {
        match legacy.unlock(passphrase.as_bytes()) {
            Ok(m) => Some(m),
            Err(_) if passphrase.contains('\0') => return Err("Error: Wallet decryption failed, the wallet passphrase entered was incorrect. The passphrase contains a null character (ie - a zero byte). If this passphrase was set with a version of this software prior to 25.0, please try again with only the characters up to — but not including — the first null character.".into()),
            Err(_) => return Err("Error: Wallet decryption failed, the wallet passphrase was not provided or was incorrect.".into()),
        }
    } else {
        None
    };

    let mut made: Vec<PathBuf> = Vec::new();
    let outcome = (|| -> Result<MigrationResult, String> {
        let data = if legacy.has_legacy_records {
            Some(
                legacy
                    .migrate(context.network, legacy.flags & flags::DISABLE_PRIVATE_KEYS != 0)
                    .map_err(|_| "Error: Unable to produce descriptors for this legacy wallet. Make sure to provide the wallet's passphrase if it is encrypted.".to_string())?,
            )
        } else {
            None
        };
        std::fs::remove_file(&data_file).map_err(|e| e.to_string())?;
        write_migrated(
            context,
            name,
            &records,
            &legacy,
            data.as_ref(),
            master.as_ref(),
            &mut made,
        )
    })();
    let mut result = match outcome {
        Ok(r) => r,
        Err(e) => {
            restore(&made, &data_file, &backup_path);
            return Err(e);
        }
    };
    result.backup_path = backup_path.clone();
    if load_wallet {
        let mut names = vec![result.wallet_name.clone()];
        for extra in [&result.watchonly_name, &result.solvables_name]
            .into_iter()
            .flatten()
        {
            if !names.contains(extra) {
                names.push(extra.clone());
            }
        }
        for n in &names {
            if let Err(e) = crate::manage::load_wallet(context, n, None) {
                tracing::info!("Failed to load wallet '{n}' after migration: {}", e.message);
                for n in &names {
                    let _ = crate::manage::unload_wallet(context, n, Some(false));
                }
                restore(&made, &data_file, &backup_path);
                return Err(e.message);
            }
        }
    } else {
        let mut w = Vec::new();
        crate::manage::update_wallet_setting(context, name, Some(false), &mut w);
    }
    Ok(result)
}

/// Removes the files migration made and puts the legacy file back.
fn restore(made: &[PathBuf], data_file: &Path, backup: &Path) {
    for f in made {
        let _ = std::fs::remove_file(f);
        let _ = std::fs::remove_file(f.with_file_name("wallet.dat-journal"));
        if let Some(dir) = f.parent() {
            if dir != data_file.parent().unwrap_or(dir) {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
    if let Some(dir) = data_file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::copy(backup, data_file);
}

/// A new SQLite wallet file for `name` (it must not exist).
fn create_db(context: &WalletContext, name: &str) -> Result<SqliteDatabase, String> {
    let path = crate::wallet::open::wallet_path(&context.wallet_dir(), name)?;
    let mut options = DatabaseOptions::new(context.params.message_start);
    options.require_create = true;
    SqliteDatabase::open(&path, &options)
        .map_err(|e| format!("Wallet file creation failed: {}", e.message))
}

/// The managers for `descs`, each over its window, with keys stored
/// (encrypted under `master` when given).
fn build_keystore(
    descs: &[MigratedDescriptor],
    network: Network,
    master: Option<&KeyingMaterial>,
) -> Result<(Keystore, KeyWrites), String> {
    let access = match master {
        Some(m) => KeyAccess::Unlocked(m),
        None => KeyAccess::Plain,
    };
    let mut ks = Keystore::default();
    let mut writes = KeyWrites::default();
    for d in descs {
        let (parsed, _) = ParsedDescriptor::parse(&d.descriptor, network, false)
            .map_err(|e| format!("Error: Duplicate descriptors created during migration. Your wallet may be corrupted. ({e})"))?;
        let mut keys = KeyMap::new();
        for k in &d.keys {
            let k = bitcoin::PrivateKey {
                network: network.into(),
                ..*k
            };
            keys.insert(k.public_key(crate::keys::secp()), k);
        }
        let range_end = if parsed.is_range() { d.range_end } else { 0 };
        let wdesc = WalletDescriptor::new(parsed, d.creation_time, 0, range_end, 0);
        let (spkm, records, _) =
            DescriptorSpkm::import(wdesc, 0, &keys, access).map_err(|e| e.to_string())?;
        let id = spkm.id();
        if ks.spkms.contains_key(&id) {
            return Err(
                "Error: Duplicate descriptors created during migration. Your wallet may be corrupted."
                    .into(),
            );
        }
        ks.spkms.insert(id, spkm);
        let all = ks.full_writes(id, records);
        writes.descriptors.extend(all.descriptors);
        writes.caches.extend(all.caches);
        writes.keys.extend(all.keys);
    }
    Ok((ks, writes))
}

/// Every script the managers of `ks` produce.
fn scripts_of(ks: &Keystore) -> BTreeSet<ScriptBuf> {
    ks.spkms
        .values()
        .flat_map(|s| s.script_pub_keys(0))
        .collect()
}

/// Whether `tx` pays to or spends from `spks` (Core's `IsMine(tx)` or
/// `IsFromMe(tx)`), with `outputs` the scripts of the wallet's other
/// transactions' outputs.
fn tx_is_mine(
    wtx: &WalletTx,
    spks: &BTreeSet<ScriptBuf>,
    outputs: &BTreeMap<bitcoin::OutPoint, ScriptBuf>,
) -> bool {
    wtx.tx
        .output
        .iter()
        .any(|o| spks.contains(&o.script_pubkey))
        || wtx.tx.input.iter().any(|i| {
            outputs
                .get(&i.previous_output)
                .map(|s| spks.contains(s))
                .unwrap_or(false)
        })
}

/// The address of an address book record key (`name`, `purpose`,
/// `destdata`), if the record is one.
fn address_book_address(key: &[u8]) -> Option<String> {
    let mut r = Reader::new(key);
    let ty = r.string().ok()?;
    if ty == types::NAME || ty == types::PURPOSE || ty == types::DESTDATA {
        r.string().ok()
    } else {
        None
    }
}

/// Raw records: key bytes and value bytes.
type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// One extra (watch-only or solvables) wallet being made.
struct Extra {
    name: String,
    db: SqliteDatabase,
    spks: BTreeSet<ScriptBuf>,
}

/// Writes the migrated wallet and its extra wallets. `made` collects the
/// files created, for a rollback.
fn write_migrated(
    context: &WalletContext,
    name: &str,
    records: &BTreeMap<Vec<u8>, Vec<u8>>,
    legacy: &LegacyData,
    data: Option<&MigrationData>,
    master: Option<&KeyingMaterial>,
    made: &mut Vec<PathBuf>,
) -> Result<MigrationResult, String> {
    let network = context.network;
    let prefix = prefix_name(name);
    let empty = MigrationData::default();
    let data = data.unwrap_or(&empty);
    let mut extras: Vec<Extra> = Vec::new();
    let extra_flags = flags::DISABLE_PRIVATE_KEYS
        | flags::BLANK_WALLET
        | flags::DESCRIPTORS
        | flags::LAST_HARDENED_XPUB_CACHED
        | (legacy.flags & (flags::AVOID_REUSE | flags::KEY_ORIGIN_METADATA));
    let mut watchonly_name = None;
    let mut solvables_name = None;
    for (descs, suffix) in [
        (&data.watch_only, "_watchonly"),
        (&data.solvables, "_solvables"),
    ] {
        if descs.is_empty() {
            continue;
        }
        let extra_name = format!("{prefix}{suffix}");
        let mut db = create_db(context, &extra_name)?;
        made.push(db.filename().to_path_buf());
        let (ks, writes) = build_keystore(descs, network, None)?;
        let spks = scripts_of(&ks);
        db.run_in_txn(|t| -> Result<(), StorageError> {
            t.write_version(CLIENT_VERSION)?;
            t.write_wallet_flags(extra_flags)?;
            ks.write(t, &writes)?;
            Ok(())
        })
        .map_err(|e| e.message)?;
        if suffix == "_watchonly" {
            watchonly_name = Some(extra_name.clone());
        } else {
            solvables_name = Some(extra_name.clone());
        }
        extras.push(Extra {
            name: extra_name,
            db,
            spks,
        });
    }

    // The main wallet: spendable descriptors plus the default ones.
    let mut db = create_db(context, name)?;
    made.push(db.filename().to_path_buf());
    let (mut ks, mut writes) = build_keystore(&data.spendable, network, master)?;
    let has_spendable = !data.spendable.is_empty() || data.master_key.is_some();
    let private_keys = legacy.flags & flags::DISABLE_PRIVATE_KEYS == 0;
    if legacy.has_legacy_records && has_spendable && private_keys {
        let master_xprv = match &data.master_key {
            Some(m) => *m,
            None => crate::keys::master_key_from_seed(&crate::keys::generate_seed(), network)
                .map_err(|e| e.to_string())?,
        };
        let access = match master {
            Some(m) => KeyAccess::Unlocked(m),
            None => KeyAccess::Plain,
        };
        let now = u64::try_from(common::time::now_secs()).unwrap_or(0);
        let keypool = context
            .args
            .get_int_arg("-keypool", i64::from(crate::keys::DEFAULT_KEYPOOL_SIZE));
        let keypool = u32::try_from(keypool.max(1)).unwrap_or(u32::MAX);
        for internal in [false, true] {
            for output_type in OutputType::ALL {
                let (spkm, records, _) = DescriptorSpkm::generate(
                    &master_xprv,
                    output_type,
                    internal,
                    network,
                    keypool,
                    now,
                    access,
                )
                .map_err(|e| e.to_string())?;
                let id = spkm.id();
                if ks.spkms.contains_key(&id) {
                    return Err("Error: Duplicate descriptors created during migration. Your wallet may be corrupted.".into());
                }
                ks.spkms.insert(id, spkm);
                let all = ks.full_writes(id, records);
                writes.descriptors.extend(all.descriptors);
                writes.caches.extend(all.caches);
                writes.keys.extend(all.keys);
                writes.active.push((output_type, internal, id));
                if internal {
                    ks.internal.insert(output_type, id);
                } else {
                    ks.external.insert(output_type, id);
                }
            }
        }
    }
    let main_spks = scripts_of(&ks);

    // Transactions: each goes where it belongs, in order of position.
    let mut txs: Vec<(Vec<u8>, Vec<u8>, WalletTx)> = Vec::new();
    let mut outputs = BTreeMap::new();
    for (k, v) in records {
        if Reader::new(k).string().ok().as_deref() == Some(types::TX) {
            let wtx = WalletTx::decode(v).map_err(|e| e.0)?;
            let txid = wtx.tx.compute_txid();
            for (i, o) in wtx.tx.output.iter().enumerate() {
                outputs.insert(
                    bitcoin::OutPoint::new(txid, i as u32),
                    o.script_pubkey.clone(),
                );
            }
            txs.push((k.clone(), v.clone(), wtx));
        }
    }
    let mut main_txs = Vec::new();
    let mut extra_txs: Vec<Rows> = vec![Vec::new(); extras.len()];
    for (k, v, wtx) in &txs {
        let mine = tx_is_mine(wtx, &main_spks, &outputs);
        let mut placed = mine;
        if let Some((i, _)) = extras
            .iter()
            .enumerate()
            .find(|(_, e)| e.name.ends_with("_watchonly"))
        {
            if tx_is_mine(wtx, &extras[i].spks, &outputs) {
                extra_txs[i].push((k.clone(), v.clone()));
                placed = true;
            }
        }
        if !placed {
            return Err(format!(
                "Error: Transaction {} in wallet cannot be identified to belong to migrated wallets",
                wtx.tx.compute_txid()
            ));
        }
        if mine {
            main_txs.push((k.clone(), v.clone()));
        }
    }

    // The address book: "receive" entries no longer ours move to the extra
    // wallet that has them; the others are copied to every extra wallet.
    let not_migrated: BTreeSet<ScriptBuf> = legacy.not_mine_watched().into_iter().collect();
    let mut book: BTreeMap<String, Rows> = BTreeMap::new();
    for (k, v) in records {
        if let Some(addr) = address_book_address(k) {
            book.entry(addr).or_default().push((k.clone(), v.clone()));
        }
    }
    let mut main_book = Vec::new();
    let mut extra_book: Vec<Rows> = vec![Vec::new(); extras.len()];
    for (addr, recs) in &book {
        let script = Address::from_str(addr)
            .ok()
            .and_then(|a| a.require_network(network).ok())
            .map(|a| a.script_pubkey());
        let receive = recs.iter().any(|(k, v)| {
            Reader::new(k).string().ok().as_deref() == Some(types::PURPOSE)
                && Reader::new(v).string().ok().as_deref() == Some("receive")
        });
        let ours = script
            .as_ref()
            .map(|s| main_spks.contains(s))
            .unwrap_or(false);
        let require_transfer = receive && !ours;
        let mut copied = false;
        for (i, e) in extras.iter().enumerate() {
            let theirs = script.as_ref().map(|s| e.spks.contains(s)).unwrap_or(false);
            if require_transfer && !theirs {
                continue;
            }
            extra_book[i].extend(recs.iter().cloned());
            copied = true;
            if require_transfer {
                break;
            }
        }
        if require_transfer {
            if !copied
                && !script
                    .as_ref()
                    .map(|s| not_migrated.contains(s))
                    .unwrap_or(false)
            {
                return Err("Error: Address book data in wallet cannot be identified to belong to migrated wallets".into());
            }
            continue;
        }
        main_book.extend(recs.iter().cloned());
    }

    // The best block and order position go to the extra wallets too.
    let best_block = records
        .get(&crate::db::records::type_prefix(types::BESTBLOCK))
        .cloned();
    let best_nomerkle = records
        .get(&crate::db::records::type_prefix(types::BESTBLOCK_NOMERKLE))
        .cloned();
    let order_pos = records
        .get(&crate::db::records::type_prefix(types::ORDERPOSNEXT))
        .cloned();
    for (i, e) in extras.iter_mut().enumerate() {
        let mut rows: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        rows.extend(extra_txs[i].iter().cloned());
        rows.extend(extra_book[i].iter().cloned());
        for (ty, v) in [
            (types::BESTBLOCK, &best_block),
            (types::BESTBLOCK_NOMERKLE, &best_nomerkle),
            (types::ORDERPOSNEXT, &order_pos),
        ] {
            if let Some(v) = v {
                if ty != types::ORDERPOSNEXT || e.name.ends_with("_watchonly") {
                    rows.push((crate::db::records::type_prefix(ty), v.clone()));
                }
            }
        }
        e.db.run_in_txn(|t| -> Result<(), StorageError> {
            for (k, v) in &rows {
                t.write(k, v)?;
            }
            Ok(())
        })
        .map_err(|e| e.message)?;
    }

    // Main wallet rows: every record that is neither legacy nor handled above.
    let skip = |k: &[u8]| -> bool {
        let ty = Reader::new(k).string().unwrap_or_default();
        types::LEGACY_TYPES.contains(&ty.as_str())
            || ty == types::TX
            || ty == types::FLAGS
            || ty == types::VERSION
            || address_book_address(k).is_some()
    };
    let main_flags = (legacy.flags | flags::DESCRIPTORS | flags::LAST_HARDENED_XPUB_CACHED)
        & !flags::BLANK_WALLET;
    db.run_in_txn(|t| -> Result<(), StorageError> {
        for (k, v) in records {
            if !skip(k) {
                t.write(k, v)?;
            }
        }
        for (k, v) in main_txs.iter().chain(main_book.iter()) {
            t.write(k, v)?;
        }
        t.write_version(CLIENT_VERSION)?;
        t.write_wallet_flags(main_flags)?;
        ks.write(t, &writes)?;
        Ok(())
    })
    .map_err(|e| e.message)?;

    // A wallet left with nothing of its own is dropped (Core's empty local
    // wallet): only the extra wallets are reported.
    let main_empty = legacy.has_legacy_records && ks.spkms.is_empty();
    let main_path = db.filename().to_path_buf();
    drop(db);
    for e in extras {
        drop(e.db);
    }
    let wallet_name = if main_empty {
        let _ = std::fs::remove_file(&main_path);
        watchonly_name
            .clone()
            .or_else(|| solvables_name.clone())
            .unwrap_or_else(|| name.to_string())
    } else {
        name.to_string()
    };
    Ok(MigrationResult {
        wallet_name,
        watchonly_name,
        solvables_name,
        backup_path: PathBuf::new(),
    })
}

#[cfg(test)]
mod tests;
