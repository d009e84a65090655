//! Creating and loading wallets (Core's `CreateWallet`, `LoadWallet`,
//! `CWallet::CreateNew`, `CWallet::LoadExisting`, `GetWalletPath`), with
//! Core's texts and the failure classes the RPCs map to error codes.

use super::keystore::{KeyWrites, Keystore};
use super::options::WalletOptions;
use super::{display_name, State, Wallet, Writes};
use crate::context::WalletContext;
use crate::db::batch::WalletBatch;
use crate::db::records::{flags, CLIENT_VERSION};
use crate::db::sqlite::{DatabaseOptions, DatabaseStatus};
use crate::db::{load_wallet, DbErrors, SqliteDatabase};
use crate::keys::{self, DescriptorSpkm, OutputType};
use crate::ledger::{Ledger, TxState};
use bitcoin::BlockHash;
use interfaces::chain::FoundBlockParam;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a wallet could not be created or loaded (Core's `DatabaseStatus`
/// plus the creation failures), for the RPC error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Not found or a bad path (`RPC_WALLET_NOT_FOUND`).
    NotFound,
    /// Exists already (`RPC_WALLET_ALREADY_EXISTS`).
    AlreadyExists,
    /// Loaded already (`RPC_WALLET_ALREADY_LOADED`).
    AlreadyLoaded,
    /// Encryption failed (`RPC_WALLET_ENCRYPTION_FAILED`).
    Encrypt,
    /// A bad argument, such as an empty name (`RPC_INVALID_PARAMETER`).
    InvalidParameter,
    /// Anything else (`RPC_WALLET_ERROR`).
    Other,
    /// What Core throws rather than reports, such as an external signer
    /// that fails while a wallet is created (`RPC_MISC_ERROR`, the text as
    /// it is).
    Exception,
}

/// A failure with Core's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFailure {
    /// Its class.
    pub kind: Failure,
    /// Core's message.
    pub message: String,
}

impl OpenFailure {
    fn new(kind: Failure, message: impl Into<String>) -> Self {
        OpenFailure {
            kind,
            message: message.into(),
        }
    }
}

/// A wallet brought up, with the warnings met.
pub type Opened = (Arc<Wallet>, Vec<String>);

/// Core's `GetWalletPath`: the wallet's directory for `name`, which must be
/// a normalized path (absolute, or relative to the wallet directory).
pub fn wallet_path(wallet_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let given = PathElements::parse(name);
    if given != given.lexically_normal() {
        return Err("Wallet name given as a path must be normalized".into());
    }
    if matches!(
        given.names.first().map(String::as_str),
        Some(".") | Some("..")
    ) {
        return Err("Wallet name given as a relative path cannot begin with ./ or ../, for wallets not in the walletdir, please use an absolute path.".into());
    }
    if given.root && given.names.is_empty() {
        return Err("Wallet name cannot be the root path".into());
    }
    let p = Path::new(name);
    let path = wallet_dir.join(p);
    let ok = match std::fs::symlink_metadata(&path) {
        Err(_) => true,
        Ok(m) if m.is_dir() => true,
        Ok(m) if m.file_type().is_symlink() => path.is_dir(),
        Ok(m) if m.is_file() => p.file_name().map(Path::new) == Some(p),
        Ok(_) => false,
    };
    if !ok {
        return Err(format!(
            "Invalid -wallet path '{name}'. -wallet path should point to a directory where wallet.dat and database/log.?????????? files can be stored, a location where such a directory could be created, or (for backwards compatibility) the name of an existing data file in -walletdir (\"{}\")",
            wallet_dir.display()
        ));
    }
    Ok(path)
}

/// A path as C++'s `std::filesystem::path` iterates it: an optional root
/// directory, then the file names, with an empty last name standing for a
/// trailing separator. Rust's `Path::components` already drops `.` and
/// trailing separators, which would hide exactly what Core rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathElements {
    root: bool,
    names: Vec<String>,
}

impl PathElements {
    fn parse(s: &str) -> Self {
        let root = s.starts_with('/');
        let mut names: Vec<String> = s
            .split('/')
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        if s.ends_with('/') && !names.is_empty() {
            names.push(String::new());
        }
        PathElements { root, names }
    }

    /// `path::lexically_normal`: drops `.`, folds `name/..`, drops `..`
    /// right after the root, keeps a trailing separator except after `..`,
    /// and makes an emptied relative path `.`.
    fn lexically_normal(&self) -> Self {
        if !self.root && self.names.is_empty() {
            return self.clone();
        }
        let mut out: Vec<String> = Vec::new();
        // Whether the last element removed leaves a separator at the end.
        let mut trailing = false;
        for name in &self.names {
            match name.as_str() {
                "" | "." => trailing = true,
                ".." => {
                    if out.last().is_some_and(|l| l != "..") {
                        out.pop();
                        trailing = true;
                    } else if self.root && out.is_empty() {
                        trailing = false;
                    } else {
                        out.push(name.clone());
                        trailing = false;
                    }
                }
                _ => {
                    out.push(name.clone());
                    trailing = false;
                }
            }
        }
        if trailing && out.last().is_some_and(|l| l != "..") {
            out.push(String::new());
        }
        if !self.root && out.is_empty() {
            out.push(".".into());
        }
        PathElements {
            root: self.root,
            names: out,
        }
    }
}

fn status_failure(status: DatabaseStatus) -> Failure {
    match status {
        DatabaseStatus::FailedNotFound
        | DatabaseStatus::FailedBadFormat
        | DatabaseStatus::FailedLegacyDisabled => Failure::NotFound,
        DatabaseStatus::FailedAlreadyExists => Failure::AlreadyExists,
        _ => Failure::Other,
    }
}

/// Core's `MakeWalletDatabase`.
fn open_database(
    context: &WalletContext,
    name: &str,
    require_existing: bool,
    require_create: bool,
) -> Result<SqliteDatabase, OpenFailure> {
    let path = wallet_path(&context.wallet_dir(), name)
        .map_err(|m| OpenFailure::new(Failure::Other, m))?;
    let mut options = DatabaseOptions::new(context.params.message_start);
    options.require_existing = require_existing;
    options.require_create = require_create;
    options.use_unsafe_sync = context.args.get_bool_arg("-unsafesqlitesync", false);
    SqliteDatabase::open(&path, &options)
        .map_err(|e| OpenFailure::new(status_failure(e.status), e.message))
}

/// Core's start-up check of a `-wallet` entry: the database opens and
/// verifies (and is closed again).
pub fn check_database(context: &WalletContext, name: &str) -> Result<(), OpenFailure> {
    if context.wallet(name).is_some() {
        return Ok(());
    }
    let db = open_database(context, name, true, false)?;
    drop(db);
    Ok(())
}

/// The wallet options, with the node's relay fee for Core's warnings.
fn wallet_options(context: &WalletContext) -> Result<(WalletOptions, Vec<String>), String> {
    let relay = context
        .chain
        .relay_min_fee()
        .ok()
        .map(crate::coinselection::FeeRate::from);
    WalletOptions::from_args(&context.args, relay)
}

fn empty_state(db: SqliteDatabase, name: &str, flags: u64) -> State {
    State {
        db,
        flags,
        keys: Keystore::default(),
        ledger: Ledger::new(if name.is_empty() {
            "default wallet"
        } else {
            name
        }),
        address_book: Default::default(),
        locked_coins: Default::default(),
        master_keys: Default::default(),
        master_key: None,
    }
}

/// Core's `CreateWallet` (without encryption, which the caller runs
/// after): a new `wallet.dat` with the version, the flags and, unless blank
/// or watch-only, a seed with the eight default descriptors; synced to the
/// tip and registered for notifications.
pub fn create(
    context: &Arc<WalletContext>,
    name: &str,
    create_flags: u64,
    born_encrypted: bool,
) -> Result<Opened, OpenFailure> {
    let (wallet, mut warnings) = create_file(context, name, create_flags, born_encrypted)?;
    super::sync::attach_chain(&wallet, false, &mut warnings)
        .map_err(|m| OpenFailure::new(Failure::Other, format!("Wallet creation failed. {m}")))?;
    Ok((wallet, warnings))
}

/// [`create`] up to the file: written and complete, but not attached to the
/// chain. The offline tool stops here (its chain answers nothing, so no
/// best block is written, as in Core's tool).
pub fn create_file(
    context: &Arc<WalletContext>,
    name: &str,
    create_flags: u64,
    born_encrypted: bool,
) -> Result<Opened, OpenFailure> {
    if name.is_empty() {
        return Err(OpenFailure::new(
            Failure::InvalidParameter,
            "Wallet name cannot be empty",
        ));
    }
    if create_flags & flags::EXTERNAL_SIGNER != 0 && create_flags & flags::DISABLE_PRIVATE_KEYS == 0
    {
        return Err(OpenFailure::new(
            Failure::Other,
            "Private keys must be disabled when using an external signer",
        ));
    }
    if born_encrypted && create_flags & flags::DISABLE_PRIVATE_KEYS != 0 {
        return Err(OpenFailure::new(Failure::Other, "Passphrase provided but private keys are disabled. A passphrase is only used to encrypt private keys, so cannot be used for wallets with private keys disabled."));
    }
    // Unlike loading, creating reports every verification failure as a
    // plain wallet error (Core sets `FAILED_VERIFY` here).
    let verify_failed = |e: OpenFailure| {
        OpenFailure::new(
            Failure::Other,
            format!("Wallet file verification failed. {}", e.message),
        )
    };
    let db = open_database(context, name, false, true).map_err(verify_failed)?;
    context.chain.init_message("Creating wallet…").ok();
    let (options, option_warnings) = wallet_options(context)
        .map_err(|m| OpenFailure::new(Failure::Other, format!("Wallet creation failed. {m}")))?;
    let file = db.filename().display().to_string();
    let state = empty_state(db, name, create_flags | flags::LAST_HARDENED_XPUB_CACHED);
    let creation_failed =
        |m: String| OpenFailure::new(Failure::Other, format!("Wallet creation failed. {m}"));
    state.db.write_version(CLIENT_VERSION).map_err(|_| {
        creation_failed(format!(
            "Error creating {file}: Could not write version metadata."
        ))
    })?;
    state
        .db
        .write_wallet_flags(state.flags)
        .map_err(|e| creation_failed(e.message))?;
    let wallet = Arc::new(Wallet::new(
        name,
        context.chain.clone(),
        context.network,
        options,
        state,
    ));
    {
        let mut state = wallet.lock();
        // Core's `SetupWalletGeneration`: an external signer wallet takes
        // its descriptors from the signer, blank or not.
        let generate = !born_encrypted
            && !state.has_flag(flags::BLANK_WALLET)
            && !state.has_flag(flags::DISABLE_PRIVATE_KEYS);
        let mut writes = Writes::default();
        if !born_encrypted && state.has_flag(flags::EXTERNAL_SIGNER) {
            writes = wallet
                .setup_signer_descriptors(&mut state)
                .map_err(|m| OpenFailure::new(Failure::Exception, m))?;
        } else if generate {
            writes = setup_descriptors(&wallet, &mut state)
                .map_err(creation_failed)?
                .into();
        }
        if let Ok(Some(height)) = wallet.chain.get_height() {
            if let Ok(hash) = wallet.chain.get_block_hash(height) {
                state.ledger.set_last_block(hash, height);
            }
        }
        wallet.commit(&mut state, writes).map_err(creation_failed)?;
        if let Some((hash, _)) = state.ledger.last_block() {
            if let Some(l) = wallet.locator_of(&hash) {
                state
                    .db
                    .write_best_block(&l)
                    .map_err(|e| creation_failed(e.message))?;
            }
        }
    }
    wallet.log(format_args!("Wallet completed creation"));
    Ok((wallet, option_warnings))
}

/// Core's `SetupOwnDescriptorScriptPubKeyMans`: a new seed and the eight
/// default descriptors made active.
pub fn setup_descriptors(wallet: &Wallet, state: &mut State) -> Result<KeyWrites, String> {
    let seed = keys::generate_seed();
    let master = keys::master_key_from_seed(&seed, wallet.network).map_err(|e| e.to_string())?;
    let now = u64::try_from(common::time::now_secs()).unwrap_or(0);
    let mut writes = KeyWrites::default();
    for internal in [false, true] {
        for output_type in OutputType::ALL {
            let (spkm, records, _) = DescriptorSpkm::generate(
                &master,
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
            writes.descriptors.extend(all.descriptors);
            writes.caches.extend(all.caches);
            writes.keys.extend(all.keys);
            writes.active.push((output_type, internal, id));
            if internal {
                state.keys.internal.insert(output_type, id);
            } else {
                state.keys.external.insert(output_type, id);
            }
        }
    }
    state
        .ledger
        .maybe_update_birth_time(i64::try_from(now).unwrap_or(i64::MAX));
    Ok(writes)
}

/// Core's `LoadWallet` up to `LoadExisting`: opens and verifies the file,
/// reads every record, rebuilds descriptors and transactions, then
/// attaches to the chain (rescanning what was missed).
pub fn load(context: &Arc<WalletContext>, name: &str) -> Result<Opened, OpenFailure> {
    let verify_failed = |e: OpenFailure| {
        OpenFailure::new(
            e.kind,
            format!("Wallet file verification failed. {}", e.message),
        )
    };
    let db = open_database(context, name, true, false).map_err(verify_failed)?;
    context.chain.init_message("Loading wallet…").ok();
    let load_failed =
        |m: String| OpenFailure::new(Failure::Other, format!("Wallet loading failed. {m}"));
    let (options, option_warnings) = wallet_options(context).map_err(load_failed)?;
    let file = db.filename().display().to_string();
    let records = load_wallet(&db, name).map_err(|e| load_failed(e.message(&file)))?;
    // Core logs the version record's value on every load (not on creation).
    if let Some(v) = records.last_client_version {
        tracing::info!("[{}] Last client version = {v}", display_name(name));
    }
    for line in &records.log {
        tracing::info!("[{}] {line}", display_name(name));
    }
    let mut warnings = option_warnings;
    if let Some(w) = records.status.message(&file) {
        warnings.push(w);
    }
    let rescan_required = records.status == DbErrors::NeedRescan;
    let network = context.network;
    // Core parses each stored descriptor while reading the records and
    // reports one it cannot parse as an unknown descriptor (perhaps from a
    // newer version), not as some other load error.
    for loaded in records.descriptors.values() {
        let r = &loaded.record;
        if let Err(e) = keys::WalletDescriptor::from_stored(
            &r.descriptor,
            network,
            r.creation_time,
            r.next_index,
            r.range_start,
            r.range_end,
        ) {
            tracing::info!("[{name}] Unrecognized descriptor {:?}: {e}", r.descriptor);
            let text = DbErrors::UnknownDescriptor
                .message(&file)
                .unwrap_or_default();
            return Err(load_failed(text));
        }
    }
    let keys = Keystore::load(
        &records.descriptors,
        &records.active_external,
        &records.active_internal,
        network,
        options.keypool_size,
    )
    .map_err(|m| {
        // Core treats what its loaders throw as corruption: the reason goes to
        // the log, the caller hears "Wallet corrupted".
        tracing::info!("[{}] {m}", display_name(name));
        load_failed(DbErrors::Corrupt.message(&file).unwrap_or(m))
    })?;
    let mut state = empty_state(db, name, records.flags);
    state.keys = keys;
    state.address_book = records.address_book.clone();
    state.locked_coins = records.locked_utxos.iter().map(|o| (*o, true)).collect();
    state.master_keys = records.master_keys.clone();
    drop_extraneous_master_keys(&mut state, name).map_err(load_failed)?;
    for spkm in state.keys.spkms.values() {
        let t = i64::try_from(spkm.wallet_descriptor().creation_time).unwrap_or(i64::MAX);
        state.ledger.maybe_update_birth_time(t);
    }
    if let Some(n) = records.order_pos_next {
        state.ledger.set_order_pos_next(n);
    }
    if state.has_flag(flags::DISABLE_PRIVATE_KEYS)
        && state.keys.spkms.values().any(|s| s.have_private_keys())
    {
        warnings.push(format!(
            "Warning: Private keys detected in wallet {{{file}}} with disabled private keys"
        ));
    }
    let wallet = Arc::new(Wallet::new(
        name,
        context.chain.clone(),
        network,
        options,
        state,
    ));
    {
        let mut state = wallet.lock();
        let State { ledger, keys, .. } = &mut *state;
        let env = super::Env {
            keys,
            chain: &*wallet.chain,
        };
        for (_, wtx) in records.txs {
            let stored = wtx.state;
            let resolved = TxState::from_stored(stored, |h| wallet.active_height(h));
            ledger.load(wtx, resolved, &env);
        }
        // A coinbase whose block left the active chain (the chain was
        // replaced, or the wallet comes from elsewhere) can never confirm
        // again: abandoned with what spends it, as Core does after loading.
        let orphaned: Vec<_> = ledger
            .entries()
            .filter(|(_, e)| {
                e.tx().is_coinbase() && matches!(e.state, TxState::Inactive { abandoned: false })
            })
            .map(|(t, _)| *t)
            .collect();
        for t in orphaned {
            ledger.abandon(&t);
        }
        // States resolved differently from what is stored are written back.
        let changed: Vec<_> = ledger
            .entries()
            .filter(|(_, e)| e.state.to_stored() != e.record.state)
            .map(|(t, _)| *t)
            .collect();
        for t in changed {
            ledger.mark_dirty(t);
        }
        // Core's TopUpKeyPool after loading: the window reaches
        // next_index + keypool again, and is written.
        let writes = super::crypt::top_up_active(&mut state);
        wallet.commit(&mut state, writes).map_err(load_failed)?;
    }
    wallet.log(format_args!("Wallet completed loading"));
    super::sync::attach_chain(&wallet, rescan_required, &mut warnings).map_err(load_failed)?;
    Ok((wallet, warnings))
}

/// Core's clean-up of a watch-only wallet that was "encrypted" (older
/// versions allowed it): master keys that protect no key are erased on load.
fn drop_extraneous_master_keys(state: &mut State, name: &str) -> Result<(), String> {
    if !state.has_flag(flags::DISABLE_PRIVATE_KEYS)
        || state.master_keys.is_empty()
        || state.keys.spkms.values().any(|s| s.have_crypted_keys())
    {
        return Ok(());
    }
    let shown = display_name(name);
    tracing::info!("[{shown}] Detected extraneous encryption keys in this wallet without private keys. Removing extraneous encryption keys.");
    for id in state.master_keys.keys() {
        if state.db.erase_master_key(*id).is_err() {
            tracing::info!(
                "[{shown}] Error: Unable to remove extraneous encryption key '{id}'. Wallet corrupted."
            );
            let file = state.db.filename().display().to_string();
            return Err(DbErrors::Corrupt.message(&file).unwrap_or_default());
        }
    }
    state.master_keys.clear();
    Ok(())
}

impl Wallet {
    /// The height of `hash` when it is on the active chain.
    pub fn active_height(&self, hash: &BlockHash) -> Option<i32> {
        let want = FoundBlockParam {
            want_height: true,
            want_in_active_chain: true,
            ..Default::default()
        };
        match self.chain.find_block(hash, &want) {
            Ok((found, true)) if found.in_active_chain => Some(found.height),
            _ => None,
        }
    }

    /// The locator of `hash` from the node.
    pub fn locator_of(&self, hash: &BlockHash) -> Option<crate::db::records::Locator> {
        self.locator(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(s: &str) -> PathElements {
        PathElements::parse(s).lexically_normal()
    }

    #[test]
    fn lexically_normal_matches_std_filesystem() {
        for (given, want) in [
            ("bad/./path", "bad/path"),
            ("bad/../path", "path"),
            ("/bad/./path", "/bad/path"),
            ("/bad/../path", "/path"),
            ("../", ".."),
            ("./", "."),
            ("./wallet", "wallet"),
            ("../wallets/../wallets/wallet", "../wallets/wallet"),
            ("foo/./bar/..", "foo/"),
            ("a/..", "."),
            ("/..", "/"),
            ("w1", "w1"),
            ("sub/w1/", "sub/w1/"),
        ] {
            assert_eq!(normal(given), PathElements::parse(want), "{given}");
        }
    }

    #[test]
    fn wallet_path_rejects_what_core_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "bad/./path",
            "bad/../path",
            "/bad/./path",
            "/bad/../path",
            "../",
            "./",
            "./wallet",
            "../wallets/../wallets/wallet",
        ] {
            assert_eq!(
                wallet_path(root, name).unwrap_err(),
                "Wallet name given as a path must be normalized",
                "{name}"
            );
        }
        for name in ["../wallets/wallet", "..", "."] {
            assert!(wallet_path(root, name)
                .unwrap_err()
                .starts_with("Wallet name given as a relative path cannot begin with ./ or ../"));
        }
        assert_eq!(
            wallet_path(root, "/").unwrap_err(),
            "Wallet name cannot be the root path"
        );
        assert_eq!(wallet_path(root, "w1").unwrap(), root.join("w1"));
        assert_eq!(wallet_path(root, "").unwrap(), root.join(""));
        assert_eq!(
            wallet_path(root, "/abs/w").unwrap(),
            PathBuf::from("/abs/w")
        );
    }
}
