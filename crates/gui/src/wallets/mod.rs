//! The wallets as the window sees them (bitcoin-qt's `WalletController` and
//! `WalletModel`): reached through `Node.walletLoader()`, which the node
//! forwards to its wallet process. As for the node, every call runs on a
//! worker thread (`gui-wallets`), and the UI reads a copy of the state.
//!
//! [`records`] turns wallet transactions into list rows, [`requests`]
//! reads and writes saved payment requests, [`actions`] carries out what
//! the user asks, [`send`] builds payments, [`export`] writes CSV.

pub mod actions;
pub mod export;
pub mod records;
pub mod requests;
pub mod send;

use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bitcoin::{Address, Network, OutPoint, Txid};
use interfaces::handler::Handler;
use interfaces::node::Node;
use interfaces::wallet::{
    LoadWalletCallback, TransactionChangedCallback, TxDestination, UnloadWalletCallback, Wallet,
    WalletBalances, WalletLoader, WalletTxStatus,
};

pub use records::TxRecord;
use records::{decompose, RowStatus};
pub use requests::ReceiveRequest;
pub use send::{FeeChoice, Prepared, SendRequest};

/// Core's `WALLET_FLAG_DISABLE_PRIVATE_KEYS`.
pub const WALLET_FLAG_DISABLE_PRIVATE_KEYS: u64 = 1 << 32;
/// Core's `WALLET_FLAG_BLANK_WALLET`.
pub const WALLET_FLAG_BLANK_WALLET: u64 = 1 << 33;
/// Core's `WALLET_FLAG_DESCRIPTORS`: the only kind of wallet Core creates.
pub const WALLET_FLAG_DESCRIPTORS: u64 = 1 << 34;
/// How often balances and transactions are refreshed.
const REFRESH: Duration = Duration::from_millis(500);
/// Depth below which a cached transaction status is asked again when the
/// tip moves (a coinbase matures at 100; deeper ones only age).
const RECHECK_DEPTH: i32 = 101;

/// Wallet state the screens switch on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalletFlags {
    /// Encrypted.
    pub crypted: bool,
    /// Encrypted and locked.
    pub locked: bool,
    /// Watch-only: payments become PSBTs.
    pub private_keys_disabled: bool,
    /// Can hand out receiving addresses.
    pub can_get_addresses: bool,
    /// Has taproot descriptors (Bech32m in Receive).
    pub taproot: bool,
    /// Default address type (Core's `OutputType`).
    pub default_address_type: i32,
}

/// One loaded wallet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalletInfo {
    /// Its name ("" is the default wallet).
    pub name: String,
    /// Balances at the last refresh.
    pub balances: WalletBalances,
    /// Transaction rows, newest first.
    pub records: Vec<TxRecord>,
    /// Address book labels by address.
    pub labels: HashMap<String, String>,
    /// The address book, by label: (address, label, purpose).
    pub book: Vec<BookEntry>,
    /// Saved payment requests, newest first.
    pub requests: Vec<ReceiveRequest>,
    /// Lock and capability flags.
    pub flags: WalletFlags,
}

impl WalletInfo {
    /// bitcoin-qt's name for it.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            "[default wallet]"
        } else {
            &self.name
        }
    }

    /// A row's Label column: the address book's label, else the address
    /// (bitcoin-qt's `lookupAddress`), or "(n/a)" for rows without one.
    pub fn label_of(&self, r: &TxRecord) -> String {
        match self.labels.get(&r.address) {
            Some(l) if !l.is_empty() && r.kind.has_address() => l.clone(),
            _ if r.address.is_empty() && r.kind == records::RecordKind::Other => "(n/a)".into(),
            _ => r.address.clone(),
        }
    }
}

/// Core's `AddressPurpose::RECEIVE`.
pub const PURPOSE_RECEIVE: i32 = 0;
/// Core's `AddressPurpose::SEND`.
pub const PURPOSE_SEND: i32 = 1;

/// One address book entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookEntry {
    /// The address.
    pub address: String,
    /// Its label.
    pub label: String,
    /// Core's `AddressPurpose` number.
    pub purpose: i32,
}

/// One spendable coin for coin control.
#[derive(Debug, Clone, PartialEq)]
pub struct CoinRow {
    /// The coin.
    pub outpoint: OutPoint,
    /// Its value in satoshis.
    pub amount: i64,
    /// Its address.
    pub address: String,
    /// The address's label.
    pub label: String,
    /// When it was received.
    pub time: i64,
    /// Confirmations.
    pub depth: i32,
    /// Locked against spending.
    pub locked: bool,
}

/// A fee bump waiting for the user's yes.
#[derive(Debug, Clone, PartialEq)]
pub struct BumpPreview {
    /// The wallet.
    pub index: usize,
    /// The transaction replaced.
    pub txid: Txid,
    /// Its fee.
    pub old_fee: i64,
    /// The replacement's fee.
    pub new_fee: i64,
    /// The unsigned replacement.
    pub mtx: bitcoin::Transaction,
}

/// A transaction's details (bitcoin-qt's `TransactionDesc`), as lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TxDetails {
    /// The transaction.
    pub txid: Txid,
    /// (label, value) lines.
    pub lines: Vec<(String, String)>,
    /// The raw transaction, hex.
    pub hex: String,
}

/// What the window draws from.
#[derive(Debug, Clone, Default)]
pub struct WalletsView {
    /// The node serves wallets (it runs without `-disablewallet`).
    pub available: bool,
    /// Loaded wallets.
    pub wallets: Vec<WalletInfo>,
    /// Wallets in the wallet directory: name and format.
    pub wallet_dir: Vec<(String, String)>,
    /// The last request made (wallet name, request).
    pub last_request: Option<(String, ReceiveRequest)>,
    /// A payment built and waiting for the user's yes.
    pub prepared: Option<Prepared>,
    /// A fee bump waiting for the user's yes.
    pub bump: Option<BumpPreview>,
    /// The details asked for.
    pub details: Option<TxDetails>,
    /// The last signature made (Sign Message).
    pub signature: Option<String>,
    /// The last unsigned PSBT made, base64.
    pub psbt: Option<String>,
    /// The last PSBT signed by Load PSBT's "Sign Tx": its bytes, the
    /// inputs signed, and whether it is complete.
    pub signed_psbt: Option<(Vec<u8>, u64, bool)>,
    /// Coins of the wallet at this index, for coin control.
    pub coins: Option<(usize, Vec<CoinRow>)>,
    /// The recommended fee: (wallet, target asked, target used, reason,
    /// satoshis per kvB).
    pub fee: Option<(usize, i32, i32, i32, i64)>,
    /// The last result of an action, for the status line.
    pub message: Option<Result<String, String>>,
    /// An action runs.
    pub busy: bool,
}

/// bitcoin-qt's create-wallet choices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateOptions {
    /// Name.
    pub name: String,
    /// Passphrase; empty: not encrypted.
    pub passphrase: String,
    /// Watch-only.
    pub disable_private_keys: bool,
    /// No keys or descriptors.
    pub blank: bool,
}

/// What the user asks of the wallets.
#[derive(Debug, Clone, PartialEq)]
pub enum WalletCommand {
    /// Create a descriptor wallet.
    Create(CreateOptions),
    /// Load a wallet from the wallet directory.
    Open(String),
    /// Unload the wallet at this index.
    Close(usize),
    /// Unload every wallet.
    CloseAll,
    /// List the wallet directory.
    ListDir,
    /// Restore a backup file under a name.
    Restore(String, String),
    /// Copy the wallet at this index to a file.
    Backup(usize, String),
    /// Encrypt with a passphrase.
    Encrypt(usize, String),
    /// Change the passphrase (old, new).
    ChangePassphrase(usize, String, String),
    /// Lock an encrypted wallet.
    Lock(usize),
    /// A new receiving address with a saved request (index, address
    /// type, label, amount, message, passphrase if locked).
    NewAddress(usize, i32, ReceiveRequest, Option<String>),
    /// Forget a saved request.
    RemoveRequest(usize, ReceiveRequest),
    /// Build a payment for the user to confirm.
    Prepare(SendRequest),
    /// Broadcast the prepared payment.
    Commit,
    /// Drop the prepared payment or bump.
    Cancel,
    /// Build a fee bump of a transaction.
    Bump(usize, Txid),
    /// Sign and broadcast the bump (passphrase if locked).
    CommitBump(Option<String>),
    /// Abandon a transaction.
    Abandon(usize, Txid),
    /// Details of a transaction.
    Details(usize, Txid),
    /// Sign a message with an address's key (passphrase if locked).
    SignMessage(usize, String, String, Option<String>),
    /// Coins for coin control.
    LoadCoins(usize),
    /// Lock (true) or unlock a coin.
    LockCoin(usize, OutPoint, bool),
    /// The recommended fee for a confirmation target.
    Fee(usize, i32),
    /// Set an address's label (index, address, label, purpose).
    SetLabel(usize, String, String, i32),
    /// Delete a sending address from the address book.
    DeleteAddress(usize, String),
    /// Broadcast a finished transaction through the node.
    Broadcast(bitcoin::Transaction),
    /// Sign a PSBT (its bytes) with the wallet at this index (passphrase
    /// if locked).
    SignPsbt(usize, Vec<u8>, Option<String>),
}

struct Shared {
    view: WalletsView,
    wallets: Vec<Arc<dyn Wallet>>,
    statuses: HashMap<Txid, (WalletTxStatus, i32)>,
    /// Actions queued or running (the forms are busy while any is).
    actions: usize,
    /// Transactions the wallet reported changed since their status was read.
    dirty: std::collections::HashSet<Txid>,
    /// Unload and transaction-change registrations by wallet name.
    handlers: Vec<(String, Box<dyn Handler>)>,
    /// Registrations of wallets gone, dropped by the wallets' thread (a
    /// handler is never released from inside its own callback).
    retired: Vec<Box<dyn Handler>>,
    repaint: Arc<dyn Fn() + Send + Sync>,
}

/// The window's handle on the wallets.
#[derive(Clone)]
pub struct WalletsModel {
    shared: Arc<Mutex<Shared>>,
    /// Commands, and whether each counts as an action the forms wait for.
    commands: Sender<(WalletCommand, bool)>,
}

fn lock(m: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Loaded(std::sync::Weak<Mutex<Shared>>);

impl LoadWalletCallback for Loaded {
    fn call(&self, wallet: Box<dyn Wallet>) -> interfaces::Result<()> {
        if let Some(shared) = self.0.upgrade() {
            add_wallet(&shared, Arc::from(wallet));
        }
        Ok(())
    }
}

/// A wallet unloaded elsewhere (`unloadwallet`, another GUI) leaves the
/// window, as bitcoin-qt's `handleUnload` removes its view.
struct Unloaded(std::sync::Weak<Mutex<Shared>>, String);

impl UnloadWalletCallback for Unloaded {
    fn call(&self) -> interfaces::Result<()> {
        if let Some(shared) = self.0.upgrade() {
            remove_wallet(&shared, &self.1);
            let repaint = lock(&shared).repaint.clone();
            repaint();
        }
        Ok(())
    }
}

/// A transaction the wallet changed (confirmed, abandoned, replaced)
/// has its status read again at the next refresh (bitcoin-qt's
/// `NotifyTransactionChanged`).
struct Changed(std::sync::Weak<Mutex<Shared>>);

impl TransactionChangedCallback for Changed {
    fn call(&self, txid: &Txid, _status: i32) -> interfaces::Result<()> {
        if let Some(shared) = self.0.upgrade() {
            lock(&shared).dirty.insert(*txid);
        }
        Ok(())
    }
}

fn add_wallet(shared: &Arc<Mutex<Shared>>, wallet: Arc<dyn Wallet>) {
    let name = wallet.get_wallet_name().unwrap_or_default();
    if lock(shared).view.wallets.iter().any(|w| w.name == name) {
        return;
    }
    let handlers = [
        wallet.handle_unload(Box::new(Unloaded(Arc::downgrade(shared), name.clone()))),
        wallet.handle_transaction_changed(Box::new(Changed(Arc::downgrade(shared)))),
    ];
    let mut s = lock(shared);
    if s.view.wallets.iter().any(|w| w.name == name) {
        return;
    }
    s.view.wallets.push(WalletInfo {
        name: name.clone(),
        ..Default::default()
    });
    s.wallets.push(wallet);
    for h in handlers.into_iter().flatten() {
        s.handlers.push((name.clone(), h));
    }
}

/// Takes the wallet called `name` out of the window, if it is there.
fn remove_wallet(shared: &Mutex<Shared>, name: &str) {
    let mut s = lock(shared);
    if let Some(i) = s.view.wallets.iter().position(|w| w.name == name) {
        s.view.wallets.remove(i);
        if i < s.wallets.len() {
            s.wallets.remove(i);
        }
    }
    while let Some(i) = s.handlers.iter().position(|(n, _)| n == name) {
        let (_, h) = s.handlers.remove(i);
        s.retired.push(h);
    }
}

impl WalletsModel {
    /// Starts the `gui-wallets` thread for `node` on `network`. `tip`
    /// gives the node's tip height once it runs (`None` before).
    pub fn start(
        node: Arc<dyn Node>,
        network: Network,
        tip: impl Fn() -> Option<i32> + Send + 'static,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> WalletsModel {
        let shared = Arc::new(Mutex::new(Shared {
            view: WalletsView::default(),
            wallets: Vec::new(),
            statuses: HashMap::new(),
            dirty: Default::default(),
            actions: 0,
            handlers: Vec::new(),
            retired: Vec::new(),
            repaint,
        }));
        let (tx, rx) = channel();
        let model = WalletsModel {
            shared,
            commands: tx,
        };
        let m = model.clone();
        let spawned = std::thread::Builder::new()
            .name("gui-wallets".into())
            .spawn(move || m.run(node, network, tip, rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the wallets thread: {e}");
        }
        model
    }

    /// A copy of what to draw. Never waits on IPC.
    pub fn view(&self) -> WalletsView {
        lock(&self.shared).view.clone()
    }

    /// Queues an action.
    pub fn send(&self, command: WalletCommand) {
        {
            let mut s = lock(&self.shared);
            s.actions += 1;
            s.view.busy = true;
        }
        let _ = self.commands.send((command, true));
    }

    /// Queues a read that changes nothing (a fee estimate, the coin list,
    /// the wallet directory, details): the forms stay usable meanwhile.
    pub fn ask(&self, command: WalletCommand) {
        let _ = self.commands.send((command, false));
    }

    /// Shows an error found before anything was asked of the wallet.
    pub fn fail(&self, message: String) {
        self.update(|v| v.message = Some(Err(message)));
    }

    /// Shows the result of something done in the window itself.
    pub fn note(&self, message: String) {
        self.update(|v| v.message = Some(Ok(message)));
    }

    /// Forgets a shown result (a dialog was closed).
    pub fn dismiss(&self, what: Dismiss) {
        let mut s = lock(&self.shared);
        match what {
            Dismiss::Message => s.view.message = None,
            Dismiss::Details => s.view.details = None,
            Dismiss::Signature => s.view.signature = None,
            Dismiss::Psbt => s.view.psbt = None,
            Dismiss::SignedPsbt => s.view.signed_psbt = None,
        }
    }

    fn repaint(&self) {
        let r = lock(&self.shared).repaint.clone();
        r();
    }

    fn update(&self, f: impl FnOnce(&mut WalletsView)) {
        f(&mut lock(&self.shared).view);
        self.repaint();
    }

    fn run(
        &self,
        node: Arc<dyn Node>,
        network: Network,
        tip: impl Fn() -> Option<i32>,
        rx: Receiver<(WalletCommand, bool)>,
    ) {
        while tip().is_none() {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Err(RecvTimeoutError::Disconnected) => return,
                _ => continue,
            }
        }
        let Ok(Some(loader)) = node.wallet_loader() else {
            return;
        };
        let loader: Arc<dyn WalletLoader> = Arc::from(loader);
        lock(&self.shared).view.available = true;
        // Kept for the life of the thread: wallets loaded later are announced.
        let _handler = loader.handle_load_wallet(Box::new(Loaded(Arc::downgrade(&self.shared))));
        if let Ok(list) = loader.get_wallets() {
            for w in list {
                add_wallet(&self.shared, Arc::from(w));
            }
        }
        loop {
            self.refresh(network, tip().unwrap_or(0));
            match rx.recv_timeout(REFRESH) {
                Ok((command, counted)) => self.act(&*node, &*loader, network, command, counted),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn refresh(&self, network: Network, tip: i32) {
        let retired = std::mem::take(&mut lock(&self.shared).retired);
        drop(retired);
        let wallets = lock(&self.shared).wallets.clone();
        let mut infos = Vec::with_capacity(wallets.len());
        for w in &wallets {
            infos.push(self.read_wallet(&**w, network, tip));
        }
        let changed = {
            let mut s = lock(&self.shared);
            let same = s.wallets.len() == wallets.len()
                && s.wallets
                    .iter()
                    .zip(&wallets)
                    .all(|(a, b)| Arc::ptr_eq(a, b));
            // A wallet came or went meanwhile: the next refresh shows it.
            if !same {
                return;
            }
            let changed = s.view.wallets != infos;
            s.view.wallets = infos;
            changed
        };
        if changed {
            self.repaint();
        }
    }

    fn read_wallet(&self, w: &dyn Wallet, network: Network, tip: i32) -> WalletInfo {
        let name = w.get_wallet_name().unwrap_or_default();
        let balances = w.get_balances().unwrap_or_default();
        let crypted = w.is_crypted().unwrap_or(false);
        let flags = WalletFlags {
            crypted,
            locked: crypted && w.is_locked().unwrap_or(false),
            private_keys_disabled: w.private_keys_disabled().unwrap_or(false),
            can_get_addresses: w.can_get_addresses().unwrap_or(false),
            taproot: w.taproot_enabled().unwrap_or(false),
            default_address_type: w.get_default_address_type().unwrap_or(2),
        };
        let mut book: Vec<BookEntry> = w
            .get_addresses()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| {
                address_of(&a.dest, network).map(|address| BookEntry {
                    address,
                    label: a.name,
                    purpose: a.purpose,
                })
            })
            .collect();
        book.sort_by(|a, b| (&a.label, &a.address).cmp(&(&b.label, &b.address)));
        let labels = book
            .iter()
            .map(|e| (e.address.clone(), e.label.clone()))
            .collect();
        let mut requests: Vec<ReceiveRequest> = w
            .get_address_receive_requests()
            .unwrap_or_default()
            .iter()
            .filter_map(|b| ReceiveRequest::decode(b))
            .collect();
        requests.sort_by_key(|r| std::cmp::Reverse(r.id));
        let wtxs = w.get_wallet_txs().unwrap_or_default();
        let mut records = Vec::with_capacity(wtxs.len());
        for t in &wtxs {
            let status = self.status(w, t.tx.compute_txid(), tip);
            for mut r in decompose(t, network) {
                if let Some(s) = &status {
                    r.status = RowStatus::new(r.kind, s);
                }
                records.push(r);
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse((r.time, r.txid, r.vout)));
        WalletInfo {
            name,
            balances,
            records,
            labels,
            book,
            requests,
            flags,
        }
    }

    /// A transaction's status. It is read again only when the tip moved
    /// (for transactions less than [`RECHECK_DEPTH`] deep; deeper ones are
    /// aged by the tip's height) or the wallet reported the transaction
    /// changed, so a refresh of a large wallet costs a few IPC calls.
    fn status(&self, w: &dyn Wallet, txid: Txid, tip: i32) -> Option<WalletTxStatus> {
        let (cached, dirty) = {
            let mut s = lock(&self.shared);
            let dirty = s.dirty.remove(&txid);
            (s.statuses.get(&txid).cloned(), dirty)
        };
        if let Some((s, at)) = cached.as_ref().filter(|_| !dirty) {
            if tip == *at {
                return Some(s.clone());
            }
            if s.depth_in_main_chain >= RECHECK_DEPTH && tip > *at {
                let mut s = s.clone();
                s.depth_in_main_chain += tip - at;
                return Some(s);
            }
        }
        match w.try_get_tx_status(&txid) {
            Ok((s, _, _, true)) => {
                lock(&self.shared).statuses.insert(txid, (s.clone(), tip));
                Some(s)
            }
            _ => cached.map(|(s, _)| s),
        }
    }

    fn wallet(&self, index: usize) -> Result<Arc<dyn Wallet>, String> {
        lock(&self.shared)
            .wallets
            .get(index)
            .cloned()
            .ok_or_else(|| "No wallet is loaded.".to_string())
    }
}

/// A result the user closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dismiss {
    /// The status line.
    Message,
    /// The details window.
    Details,
    /// The signature.
    Signature,
    /// The PSBT.
    Psbt,
    /// The signed PSBT (taken by the PSBT dialog).
    SignedPsbt,
}

/// Parses an address typed by the user for `network` into a destination.
pub fn parse_address(text: &str, network: Network) -> Option<TxDestination> {
    text.trim()
        .parse::<Address<_>>()
        .ok()
        .and_then(|a| a.require_network(network).ok())
        .map(|a| TxDestination::from_script(&a.script_pubkey()))
}

/// The address of a destination on `network`.
pub fn address_of(d: &TxDestination, network: Network) -> Option<String> {
    let script = d.script_pubkey()?;
    Address::from_script(&script, network)
        .ok()
        .map(|a| a.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn destinations_and_addresses_round_trip() {
        use bitcoin::hashes::Hash;
        let h20 = [7u8; 20];
        let h32 = [9u8; 32];
        let key = bitcoin::secp256k1::XOnlyPublicKey::from_slice(
            &bitcoin::secp256k1::constants::GENERATOR_X,
        )
        .unwrap();
        for script in [
            ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(h20)),
            ScriptBuf::new_p2sh(&bitcoin::ScriptHash::from_byte_array(h20)),
            ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(h20)),
            ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array(h32)),
            ScriptBuf::new_p2tr_tweaked(bitcoin::key::TweakedPublicKey::dangerous_assume_tweaked(
                key,
            )),
        ] {
            let want = Address::from_script(&script, Network::Regtest)
                .unwrap()
                .to_string();
            let d = TxDestination::from_script(&script);
            assert_ne!(d, TxDestination::None, "{want}");
            assert_eq!(address_of(&d, Network::Regtest), Some(want));
        }
        assert_eq!(
            TxDestination::from_script(&ScriptBuf::new()),
            TxDestination::None
        );
    }
}
