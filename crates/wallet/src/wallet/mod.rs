//! One loaded wallet (Core's `CWallet`): its database, descriptors,
//! transactions, address book and locked coins behind one lock (Core's
//! `cs_wallet`), kept in step with the node through `Chain` notifications.
//! Every change is written in one database transaction before the call
//! that made it returns.
//!
//! * [`keystore`]: descriptor managers and their records.
//! * [`open`]: creating and loading wallets.
//! * [`sync`]: chain notifications, attaching to the chain, rescans.
//! * `fast_rescan`: the scripts a rescan matches block filters against.
//! * [`addresses`]: new addresses, labels, the address book.
//! * [`options`]: the wallet options read from the node's arguments.
//! * [`external_signer`]: wallets whose keys are on an external signer.

pub mod addresses;
pub mod bump;
pub mod coins;
pub mod crypt;
pub mod export;
pub mod external_signer;
mod fast_rescan;
pub mod import;
pub mod keystore;
pub mod open;
pub mod options;
mod prefetch;
mod pruned;
pub mod spending;
pub mod sync;

use crate::crypto::KeyingMaterial;
use crate::db::batch::WalletBatch;
use crate::db::load::AddressBookEntry;
use crate::db::records::MasterKey;
use crate::db::records::{flags, Locator};
use crate::db::SqliteDatabase;
use crate::keys::KeyAccess;
use crate::ledger::{Change, Ledger, LedgerEnv};
use bitcoin::{BlockHash, Network, OutPoint, Script, Txid};
use interfaces::chain::{Chain, FoundBlockParam};
use interfaces::handler::Handler;
use keystore::{KeyWrites, Keystore};
use options::WalletOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything behind the wallet lock.
pub struct State {
    /// The database.
    pub db: SqliteDatabase,
    /// Wallet flags.
    pub flags: u64,
    /// Descriptors.
    pub keys: Keystore,
    /// Transactions.
    pub ledger: Ledger,
    /// Address book by address string.
    pub address_book: BTreeMap<String, AddressBookEntry>,
    /// Locked coins; `true` when the lock is stored.
    pub locked_coins: BTreeMap<OutPoint, bool>,
    /// Encryption master keys by id.
    pub master_keys: BTreeMap<u32, MasterKey>,
    /// The master key while unlocked.
    pub master_key: Option<KeyingMaterial>,
}

impl State {
    /// Whether a flag is set.
    pub fn has_flag(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }

    /// Whether the wallet signs with low-R grinding (Core's `CanGrindR`):
    /// only when it holds private keys, so sizes assume 71-byte signatures
    /// then and 72-byte ones otherwise.
    pub fn can_grind_r(&self) -> bool {
        !self.has_flag(crate::db::records::flags::DISABLE_PRIVATE_KEYS)
    }

    /// Whether the wallet is encrypted.
    pub fn is_crypted(&self) -> bool {
        !self.master_keys.is_empty()
    }

    /// How private keys may be reached now.
    pub fn key_access(&self) -> KeyAccess<'_> {
        key_access(self.is_crypted(), self.master_key.as_ref())
    }

    /// Whether the wallet is encrypted and locked.
    pub fn is_locked(&self) -> bool {
        self.is_crypted() && self.master_key.is_none()
    }

    /// The address book entry of `address`, unless it only holds data of a
    /// change address (no label): Core's `FindAddressBookEntry` without
    /// `allow_change`.
    pub fn find_address_book_entry(&self, address: &str) -> Option<&AddressBookEntry> {
        self.address_book.get(address).filter(|e| e.label.is_some())
    }
}

/// How private keys may be reached: plain when not encrypted, else with
/// the master key while unlocked.
pub fn key_access(crypted: bool, master_key: Option<&KeyingMaterial>) -> KeyAccess<'_> {
    match (crypted, master_key) {
        (false, _) => KeyAccess::Plain,
        (true, Some(k)) => KeyAccess::Unlocked(k),
        (true, None) => KeyAccess::Locked,
    }
}

/// The ledger's view of the wallet and the node.
pub struct Env<'a> {
    /// Descriptors, for ownership.
    pub keys: &'a Keystore,
    /// The node.
    pub chain: &'a dyn Chain,
}

impl LedgerEnv for Env<'_> {
    fn is_mine(&self, script: &Script) -> bool {
        self.keys.is_mine(script)
    }

    fn block_times(&self, hash: &BlockHash) -> Option<(i64, i64)> {
        let want = FoundBlockParam {
            want_time: true,
            want_max_time: true,
            ..Default::default()
        };
        match self.chain.find_block(hash, &want) {
            Ok((found, true)) => Some((found.time, found.max_time)),
            _ => None,
        }
    }

    fn in_mempool(&self, txid: &Txid) -> bool {
        self.chain.is_in_mempool(txid).unwrap_or(false)
    }

    fn now(&self) -> i64 {
        common::time::now_secs()
    }
}

/// Callbacks of one kind, by registration id.
pub type CallbackList<T> = Mutex<Vec<(u64, Arc<T>)>>;

/// Callbacks other processes registered on a wallet (the GUI's).
#[derive(Default)]
pub struct Callbacks {
    /// `handleUnload`.
    pub unload: CallbackList<dyn interfaces::wallet::UnloadWalletCallback>,
    /// `handleTransactionChanged`.
    pub transaction_changed: CallbackList<dyn interfaces::wallet::TransactionChangedCallback>,
    /// `handleStatusChanged`.
    pub status_changed: CallbackList<dyn interfaces::wallet::StatusChangedCallback>,
    /// `handleShowProgress` (Core's `ShowProgress`: rescans).
    pub show_progress: CallbackList<dyn interfaces::wallet::ShowWalletProgressCallback>,
    /// `handleAddressBookChanged` (Core's `NotifyAddressBookChanged`).
    pub address_book_changed: CallbackList<dyn interfaces::wallet::AddressBookChangedCallback>,
    /// `handleCanGetAddressesChanged` (Core's
    /// `NotifyCanGetAddressesChanged`).
    pub can_get_addresses_changed:
        CallbackList<dyn interfaces::wallet::CanGetAddressesChangedCallback>,
}

/// The callbacks registered in `list` now, so they are called without
/// holding the list's lock (a callback may register or unregister).
pub fn registered<T: ?Sized>(list: &CallbackList<T>) -> Vec<Arc<T>> {
    list.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(_, c)| c.clone())
        .collect()
}

/// Records to write besides the ledger's (descriptors, address book,
/// locked coins, flags), in the same database transaction.
#[derive(Debug, Default)]
pub struct Writes {
    /// Descriptor records.
    pub keys: KeyWrites,
    /// Labels to write: (address, label).
    pub names: Vec<(String, String)>,
    /// Purposes to write: (address, purpose).
    pub purposes: Vec<(String, String)>,
    /// New wallet flags.
    pub flags: Option<u64>,
    /// Coins to lock persistently (true) or unlock (false).
    pub locked: Vec<(OutPoint, bool)>,
    /// Address book entries to erase with their `destdata` (Core's
    /// `DelAddressBookWithDB`).
    pub erased: Vec<String>,
    /// Receive requests to write (`Some`) or erase (`None`):
    /// (address, id, request).
    pub receive_requests: Vec<(String, String, Option<Vec<u8>>)>,
    /// Address book changes to announce once written.
    pub address_book_changed: Vec<addresses::AddressBookChange>,
    /// Addresses newly spent from while avoid-reuse is on (`destdata`
    /// `used`).
    pub previously_spent: Vec<String>,
}

impl Writes {
    fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.names.is_empty()
            && self.purposes.is_empty()
            && self.flags.is_none()
            && self.locked.is_empty()
            && self.erased.is_empty()
            && self.receive_requests.is_empty()
            && self.previously_spent.is_empty()
    }

    /// Whether descriptor records change: addresses handed out or given
    /// back, windows topped up, descriptors added or (de)activated, where
    /// Core's `TopUp`, `ReturnDestination`, `LoadActiveScriptPubKeyMan` and
    /// `DeactivateScriptPubKeyMan` announce that the wallet's ability to
    /// hand out addresses may have changed.
    fn changes_descriptors(&self) -> bool {
        !self.keys.descriptors.is_empty()
            || !self.keys.active.is_empty()
            || !self.keys.inactive.is_empty()
    }
}

impl From<KeyWrites> for Writes {
    fn from(keys: KeyWrites) -> Self {
        Writes {
            keys,
            ..Default::default()
        }
    }
}

/// A loaded wallet.
pub struct Wallet {
    name: String,
    /// The node.
    pub chain: Arc<dyn Chain>,
    /// The chain's network.
    pub network: Network,
    /// Options from the node's arguments.
    pub options: WalletOptions,
    state: Mutex<State>,
    /// The registration for chain notifications.
    notifications: Mutex<Option<Box<dyn Handler>>>,
    /// A rescan is running.
    pub(crate) rescanning: AtomicBool,
    /// The running rescan imports private keys into an encrypted wallet, so
    /// the wallet must stay unlocked until it ends (Core's
    /// `m_scanning_with_passphrase`).
    pub(crate) scanning_with_passphrase: AtomicBool,
    /// `abortrescan` asked the running rescan to stop.
    pub(crate) abort_rescan: AtomicBool,
    /// When the running block scan began and the share of it done (0 to 1),
    /// for `getwalletinfo`'s `scanning`.
    pub(crate) scan_clock: Mutex<Option<(std::time::Instant, f64)>>,
    /// When `walletpassphrase` unlocked it until (0: locked).
    pub(crate) relock_time: std::sync::atomic::AtomicI64,
    /// When the tip last changed (Core's `m_best_block_time`, mock time).
    pub(crate) best_block_time: std::sync::atomic::AtomicI64,
    /// When the periodic resend may next run (Core's `m_next_resend`).
    pub(crate) next_resend: std::sync::atomic::AtomicI64,
    /// Registered callbacks.
    pub callbacks: Callbacks,
    /// The node's `-deprecatedrpc=bip125`, asked once: a start-up option
    /// that cannot change, and listing transactions would otherwise ask the
    /// node over IPC once per transaction.
    bip125_deprecated: std::sync::OnceLock<bool>,
}

impl Wallet {
    pub(crate) fn new(
        name: &str,
        chain: Arc<dyn Chain>,
        network: Network,
        options: WalletOptions,
        state: State,
    ) -> Wallet {
        Wallet {
            name: name.to_string(),
            chain,
            network,
            options,
            state: Mutex::new(state),
            notifications: Mutex::new(None),
            rescanning: AtomicBool::new(false),
            scanning_with_passphrase: AtomicBool::new(false),
            abort_rescan: AtomicBool::new(false),
            scan_clock: Mutex::new(None),
            relock_time: std::sync::atomic::AtomicI64::new(0),
            best_block_time: std::sync::atomic::AtomicI64::new(0),
            next_resend: std::sync::atomic::AtomicI64::new(sync::default_next_resend()),
            callbacks: Callbacks::default(),
            bip125_deprecated: std::sync::OnceLock::new(),
        }
    }

    /// Whether the node runs with `-deprecatedrpc=bip125` (transaction
    /// listings then carry `bip125-replaceable`). An IPC failure reads as
    /// no and is asked again next time.
    pub(crate) fn bip125_deprecated(&self) -> bool {
        if let Some(known) = self.bip125_deprecated.get() {
            return *known;
        }
        match self.chain.rpc_enable_deprecated("bip125") {
            Ok(enabled) => *self.bip125_deprecated.get_or_init(|| enabled),
            Err(_) => false,
        }
    }

    /// The wallet's name (its path relative to the wallet directory).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the wallet lock.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the wallet lock if no one holds it (Core's `TRY_LOCK`).
    pub fn try_lock(&self) -> Option<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Core's `WalletLogPrintf`: log lines carry the wallet's name.
    pub fn log(&self, text: std::fmt::Arguments) {
        tracing::info!("[{}] {text}", self.display_name());
    }

    /// The name as Core shows it in logs (`default wallet` for "").
    pub fn display_name(&self) -> &str {
        display_name(&self.name)
    }

    /// Whether a flag is set.
    pub fn has_flag(&self, flag: u64) -> bool {
        self.lock().has_flag(flag)
    }

    /// Private keys are disabled (watch-only wallet).
    pub fn private_keys_disabled(&self) -> bool {
        self.has_flag(flags::DISABLE_PRIVATE_KEYS)
    }

    /// Sets (`value`) or clears one or more flag bits and writes the flags
    /// record (Core's `SetWalletFlag` / `UnsetWalletFlag`).
    pub fn set_flag(&self, flag: u64, value: bool) -> Result<(), String> {
        let mut state = self.lock();
        let new = if value {
            state.flags | flag
        } else {
            state.flags & !flag
        };
        let writes = Writes {
            flags: Some(new),
            ..Default::default()
        };
        self.commit(&mut state, writes)?;
        state.flags = new;
        Ok(())
    }

    /// Makes every change recorded in `state` (ledger and `keys`) durable
    /// in one database transaction, then announces the changed
    /// transactions. Core throws when a transaction cannot be written; the
    /// error is returned here.
    pub fn commit(&self, state: &mut State, writes: impl Into<Writes>) -> Result<(), String> {
        let mut writes: Writes = writes.into();
        let pending = state.ledger.take_pending();
        let touched: BTreeSet<Txid> = pending.write.union(&pending.involved).copied().collect();
        if state.has_flag(flags::AVOID_REUSE) {
            self.mark_spent_addresses(state, &pending.write, &mut writes);
        }
        self.mark_used(state, &touched, &mut writes);
        let locator = if pending.best_block {
            state
                .ledger
                .last_block()
                .and_then(|(hash, _)| self.locator(&hash))
        } else {
            None
        };
        let State {
            db,
            ledger,
            keys: ks,
            locked_coins,
            ..
        } = state;
        let nothing = pending.write.is_empty()
            && !pending.order_pos_next
            && locator.is_none()
            && writes.is_empty()
            && pending.unlocked.is_empty();
        if !nothing {
            db.run_in_txn(|batch| {
                ks.write(batch, &writes.keys)?;
                for (address, label) in &writes.names {
                    batch.write_name(address, label)?;
                }
                for (address, purpose) in &writes.purposes {
                    batch.write_purpose(address, purpose)?;
                }
                if let Some(f) = writes.flags {
                    batch.write_wallet_flags(f)?;
                }
                for (outpoint, lock) in &writes.locked {
                    if *lock {
                        batch.write_locked_utxo(outpoint)?;
                    } else {
                        batch.erase_locked_utxo(outpoint)?;
                    }
                }
                for address in &writes.erased {
                    batch.erase_address_data(address)?;
                    batch.erase_purpose(address)?;
                    batch.erase_name(address)?;
                }
                for address in &writes.previously_spent {
                    batch.write_address_previously_spent(address, true)?;
                }
                for (address, id, request) in &writes.receive_requests {
                    match request {
                        Some(r) => batch.write_address_receive_request(address, id, r)?,
                        None => batch.erase_address_receive_request(address, id)?,
                    }
                }
                for txid in &pending.write {
                    if let Some(e) = ledger.get(txid) {
                        batch.write_tx(&e.stored())?;
                    }
                }
                if pending.order_pos_next {
                    batch.write_order_pos_next(ledger.order_pos_next())?;
                }
                if let Some(l) = &locator {
                    batch.write_best_block(l)?;
                }
                for outpoint in &pending.unlocked {
                    if locked_coins.remove(outpoint) == Some(true) {
                        batch.erase_locked_utxo(outpoint)?;
                    }
                }
                Ok::<(), crate::db::StorageError>(())
            })
            .map_err(|e| format!("DB error writing the wallet: {}", e.message))?;
        }
        for outpoint in &pending.unlocked {
            locked_coins.remove(outpoint);
        }
        for txid in &pending.wallet_notify {
            self.run_wallet_notify(ledger, txid);
        }
        let list = registered(&self.callbacks.transaction_changed);
        if !list.is_empty() {
            for (txid, change) in &pending.notify {
                let status = match change {
                    Change::New => 0,
                    Change::Updated => 1,
                };
                for c in &list {
                    let _ = c.call(txid, status);
                }
            }
        }
        if writes.changes_descriptors() {
            for c in registered(&self.callbacks.can_get_addresses_changed) {
                let _ = c.call();
            }
        }
        if !writes.address_book_changed.is_empty() {
            let list = registered(&self.callbacks.address_book_changed);
            for change in &writes.address_book_changed {
                for c in &list {
                    let _ = c.call(
                        &change.dest,
                        &change.label,
                        change.is_mine,
                        change.purpose.core_number(),
                        change.status as i32,
                    );
                }
            }
        }
        Ok(())
    }

    /// Tells the progress callbacks how far a long task (a rescan) is, in
    /// percent (Core's `ShowProgress`).
    pub fn show_progress(&self, title: &str, progress: i32) {
        for c in registered(&self.callbacks.show_progress) {
            let _ = c.call(title, progress);
        }
    }

    /// Starts (`Some`) or clears the running scan's clock.
    pub(crate) fn set_scan_clock(&self, clock: Option<(std::time::Instant, f64)>) {
        *self.scan_clock.lock().unwrap_or_else(|e| e.into_inner()) = clock;
    }

    /// Records how far the running scan is (0 to 1).
    pub(crate) fn set_scan_share(&self, share: f64) {
        if let Some((_, done)) = self
            .scan_clock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            *done = share;
        }
    }

    /// Core's `MarkUnusedAddresses` for the outputs of `txids`: an output
    /// paying an index at or beyond a descriptor's next index marks the
    /// indexes up to it used (so they are not handed out) and tops the
    /// window up; a receive address seen this way joins the address book.
    /// Core's `SetSpentKeyState` for the inputs of each transaction written
    /// (`AddToWallet` with avoid-reuse on): every address of the wallet
    /// they spend from is marked as previously spent.
    fn mark_spent_addresses(&self, state: &mut State, txids: &BTreeSet<Txid>, writes: &mut Writes) {
        let spent: Vec<bitcoin::ScriptBuf> = txids
            .iter()
            .filter_map(|t| state.ledger.get(t))
            .flat_map(|e| e.tx().input.iter().map(|i| i.previous_output))
            .filter_map(|op| {
                let prev = state.ledger.get(&op.txid)?;
                let out = prev.tx().output.get(usize::try_from(op.vout).ok()?)?;
                Some(out.script_pubkey.clone())
            })
            .filter(|s| state.keys.is_mine(s))
            .collect();
        for script in spent {
            let Some(address) = self.address_of(&script) else {
                continue;
            };
            let entry = state.address_book.entry(address.clone()).or_default();
            if !entry.previously_spent {
                entry.previously_spent = true;
                writes.previously_spent.push(address);
            }
        }
    }

    fn mark_used(&self, state: &mut State, txids: &BTreeSet<Txid>, writes: &mut Writes) {
        let scripts: Vec<bitcoin::ScriptBuf> = txids
            .iter()
            .filter_map(|t| state.ledger.get(t))
            .flat_map(|e| e.tx().output.iter().map(|o| o.script_pubkey.clone()))
            .filter(|s| state.keys.is_mine(s))
            .collect();
        for script in scripts {
            let ids = state.keys.managers_of(&script);
            for id in ids {
                let internal = state.keys.is_internal(&id);
                let State {
                    keys,
                    master_key,
                    master_keys,
                    ..
                } = &mut *state;
                let access = key_access(!master_keys.is_empty(), master_key.as_ref());
                let Some(spkm) = keys.spkms.get_mut(&id) else {
                    continue;
                };
                match spkm.mark_used(&script, access) {
                    Ok(r) => {
                        if !r.used.is_empty() {
                            writes.keys.descriptors.push(id);
                        }
                        // Core's TopUp writes the record whenever the window
                        // grew, even when no index was newly used (e.g. an
                        // address handed out earlier receiving coins).
                        if let Some(t) = r.top_up {
                            if !t.new_scripts.is_empty() || !t.new_cache.is_empty() {
                                writes.keys.top_up(id, t);
                            }
                        }
                    }
                    Err(e) => self.log(format_args!("Marking used addresses failed: {e}")),
                }
                if internal == Some(false) {
                    if let Some(address) = self.address_of(&script) {
                        if state.find_address_book_entry(&address).is_none() {
                            addresses::set_address_book(
                                state,
                                writes,
                                &address,
                                Some(""),
                                Some(crate::db::records::AddressPurpose::Receive),
                            );
                        }
                    }
                }
            }
        }
    }

    /// The locator of `hash` from the node.
    fn locator(&self, hash: &BlockHash) -> Option<Locator> {
        let want = FoundBlockParam {
            want_locator: true,
            ..Default::default()
        };
        match self.chain.find_block(hash, &want) {
            Ok((found, true)) => found.locator.map(|l| Locator { hashes: l.0 }),
            _ => None,
        }
    }

    /// Core's `-walletnotify`: `%s` txid, `%b` block hash, `%h` height,
    /// `%w` wallet name.
    fn run_wallet_notify(&self, ledger: &Ledger, txid: &Txid) {
        let Some(cmd) = self.options.wallet_notify.as_deref() else {
            return;
        };
        let (block, height) = match ledger.get(txid).map(|e| e.state) {
            Some(crate::ledger::TxState::Confirmed {
                block_hash, height, ..
            }) => (block_hash.to_string(), height.to_string()),
            _ => ("unconfirmed".to_string(), "-1".to_string()),
        };
        let cmd = cmd
            .replace("%s", &txid.to_string())
            .replace("%b", &block)
            .replace("%h", &height)
            .replace("%w", &shell_escape(&self.name));
        common::system::run_command_detached(&cmd);
    }

    /// Registers for chain notifications (kept until [`Wallet::disconnect`]).
    pub(crate) fn set_notifications(&self, handler: Box<dyn Handler>) {
        *self.notifications.lock().unwrap_or_else(|p| p.into_inner()) = Some(handler);
    }

    /// Stops chain notifications and tells the unload callbacks (Core's
    /// `RemoveWallet` path).
    pub fn disconnect(&self) {
        let handler = self
            .notifications
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(h) = handler {
            let _ = h.disconnect();
        }
        let callbacks: Vec<_> = self
            .callbacks
            .unload
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .map(|(_, c)| c)
            .collect();
        for c in callbacks {
            let _ = c.call();
        }
    }

    /// The time `walletpassphrase` relocks the wallet at (0 when locked).
    pub fn relock_time(&self) -> i64 {
        self.relock_time.load(Ordering::SeqCst)
    }

    /// Whether a rescan is running.
    pub fn is_scanning(&self) -> bool {
        self.rescanning.load(Ordering::SeqCst)
    }

    /// While a rescan runs: seconds since its block scan began and the share
    /// of it done (both 0 until the scan reaches its first block).
    pub fn scanning_status(&self) -> Option<(u64, f64)> {
        if !self.is_scanning() {
            return None;
        }
        let clock = *self.scan_clock.lock().unwrap_or_else(|e| e.into_inner());
        Some(clock.map_or((0, 0.0), |(began, share)| {
            (began.elapsed().as_secs(), share)
        }))
    }
}

/// Single-quotes `s` for a POSIX shell (Core's `ShellEscape`).
fn shell_escape(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// A wallet name as Core shows it in logs: `default wallet` for "".
pub fn display_name(name: &str) -> &str {
    if name.is_empty() {
        "default wallet"
    } else {
        name
    }
}
