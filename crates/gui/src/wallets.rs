//! The wallets as the window sees them (bitcoin-qt's `WalletController` and
//! `WalletModel`): reached through `Node.walletLoader()`, which the node
//! forwards to its wallet process. As for the node, every call runs on a
//! worker thread (`gui-wallets`), and the UI reads a copy of the state.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bitcoin::{Address, Network};
use interfaces::node::Node;
use interfaces::wallet::{
    CoinControl, LoadWalletCallback, Recipient, TxDestination, Wallet, WalletBalances,
    WalletLoader, WalletTx,
};

/// Core's `WALLET_FLAG_DESCRIPTORS`: the only kind of wallet Core creates.
pub const WALLET_FLAG_DESCRIPTORS: u64 = 1 << 34;
/// Core's `DEFAULT_MAX_DEPTH` for coin control.
const DEFAULT_MAX_DEPTH: i32 = 9_999_999;
/// How often balances and transactions are refreshed.
const REFRESH: Duration = Duration::from_millis(500);

/// One row of the transaction list.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRow {
    /// Transaction id.
    pub txid: String,
    /// When the wallet saw it (seconds since 1970).
    pub time: i64,
    /// Net amount for the wallet, satoshis (negative when sent).
    pub amount: i64,
    /// bitcoin-qt's type column.
    pub kind: &'static str,
    /// The counterparty address, if one output tells it.
    pub address: String,
}

/// One loaded wallet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalletInfo {
    /// Its name ("" is the default wallet).
    pub name: String,
    /// Balances at the last refresh.
    pub balances: WalletBalances,
    /// Transactions, newest first.
    pub txs: Vec<TxRow>,
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
}

/// What the window draws from.
#[derive(Debug, Clone, Default)]
pub struct WalletsView {
    /// The node serves wallets (it runs without `-disablewallet`).
    pub available: bool,
    /// Loaded wallets.
    pub wallets: Vec<WalletInfo>,
    /// The last receiving address made (wallet name, address, label).
    pub last_address: Option<(String, String, String)>,
    /// The last result of an action, for the status line.
    pub message: Option<Result<String, String>>,
    /// An action runs.
    pub busy: bool,
}

/// What the user asks of the wallets.
#[derive(Debug, Clone, PartialEq)]
pub enum WalletCommand {
    /// Create a descriptor wallet.
    Create(String),
    /// A new receiving address in the wallet at this index, with a label.
    NewAddress(usize, String),
    /// Send `amount` satoshis to `address` from the wallet at this index.
    Send(usize, String, i64),
}

struct Shared {
    view: WalletsView,
    wallets: Vec<Arc<dyn Wallet>>,
    repaint: Arc<dyn Fn() + Send + Sync>,
}

/// The window's handle on the wallets.
#[derive(Clone)]
pub struct WalletsModel {
    shared: Arc<Mutex<Shared>>,
    commands: Sender<WalletCommand>,
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

fn add_wallet(shared: &Mutex<Shared>, wallet: Arc<dyn Wallet>) {
    let name = wallet.get_wallet_name().unwrap_or_default();
    let mut s = lock(shared);
    if s.view.wallets.iter().any(|w| w.name == name) {
        return;
    }
    s.view.wallets.push(WalletInfo {
        name,
        ..Default::default()
    });
    s.wallets.push(wallet);
}

impl WalletsModel {
    /// Starts the `gui-wallets` thread for `node` on `network`, once
    /// `ready` (the node runs) holds.
    pub fn start(
        node: Arc<dyn Node>,
        network: Network,
        ready: impl Fn() -> bool + Send + 'static,
        repaint: Arc<dyn Fn() + Send + Sync>,
    ) -> WalletsModel {
        let shared = Arc::new(Mutex::new(Shared {
            view: WalletsView::default(),
            wallets: Vec::new(),
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
            .spawn(move || m.run(node, network, ready, rx));
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
        lock(&self.shared).view.busy = true;
        let _ = self.commands.send(command);
    }

    fn repaint(&self) {
        let r = lock(&self.shared).repaint.clone();
        r();
    }

    fn run(
        &self,
        node: Arc<dyn Node>,
        network: Network,
        ready: impl Fn() -> bool,
        rx: Receiver<WalletCommand>,
    ) {
        while !ready() {
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
            self.refresh(network);
            match rx.recv_timeout(REFRESH) {
                Ok(command) => self.act(&*loader, network, command),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn refresh(&self, network: Network) {
        let wallets = lock(&self.shared).wallets.clone();
        let mut infos = Vec::with_capacity(wallets.len());
        for w in &wallets {
            let name = w.get_wallet_name().unwrap_or_default();
            let balances = w.get_balances().unwrap_or_default();
            let mut txs: Vec<TxRow> = w
                .get_wallet_txs()
                .unwrap_or_default()
                .iter()
                .map(|t| tx_row(t, network))
                .collect();
            txs.sort_by_key(|t| std::cmp::Reverse(t.time));
            infos.push(WalletInfo {
                name,
                balances,
                txs,
            });
        }
        let changed = {
            let mut s = lock(&self.shared);
            let changed = s.view.wallets != infos;
            s.view.wallets = infos;
            changed
        };
        if changed {
            self.repaint();
        }
    }

    fn wallet(&self, index: usize) -> Option<Arc<dyn Wallet>> {
        lock(&self.shared).wallets.get(index).cloned()
    }

    fn act(&self, loader: &dyn WalletLoader, network: Network, command: WalletCommand) {
        let result = match command {
            WalletCommand::Create(name) => loader
                .create_wallet(&name, "", WALLET_FLAG_DESCRIPTORS)
                .map_err(|e| e.to_string())
                .and_then(|load| load.wallet.map_err(|e| e.original))
                .map(|w| {
                    add_wallet(&self.shared, Arc::from(w));
                    format!("Wallet \"{name}\" created.")
                }),
            WalletCommand::NewAddress(index, label) => self
                .new_address(index, &label, network)
                .map(|_| "Created a new receiving address.".to_string()),
            WalletCommand::Send(index, address, amount) => {
                self.send_coins(index, &address, amount, network)
            }
        };
        {
            let mut s = lock(&self.shared);
            s.view.message = Some(result);
            s.view.busy = false;
        }
        self.repaint();
    }

    fn new_address(&self, index: usize, label: &str, network: Network) -> Result<String, String> {
        let w = self.wallet(index).ok_or("No wallet is loaded.")?;
        let kind = w.get_default_address_type().map_err(|e| e.to_string())?;
        let dest = w
            .get_new_destination(kind, label)
            .map_err(|e| e.to_string())?
            .map_err(|e| e.original)?;
        let address = address_of(&dest, network).ok_or("Could not generate a new address")?;
        let name = w.get_wallet_name().unwrap_or_default();
        lock(&self.shared).view.last_address = Some((name, address.clone(), label.to_string()));
        Ok(address)
    }

    fn send_coins(
        &self,
        index: usize,
        address: &str,
        amount: i64,
        network: Network,
    ) -> Result<String, String> {
        let w = self.wallet(index).ok_or("No wallet is loaded.")?;
        let dest = address
            .parse::<Address<_>>()
            .ok()
            .and_then(|a| a.require_network(network).ok())
            .map(|a| TxDestination::from_script(&a.script_pubkey()))
            .ok_or("The recipient address is not valid. Please recheck.")?;
        if amount <= 0 {
            return Err("The amount to pay must be larger than 0.".into());
        }
        let recipients = [Recipient {
            dest,
            amount,
            subtract_fee_from_amount: false,
        }];
        let coin_control = CoinControl {
            allow_other_inputs: true,
            // Core's `CCoinControl` defaults, which bitcoin-qt sends as they are.
            max_depth: DEFAULT_MAX_DEPTH,
            ..Default::default()
        };
        let (_, fee, tx) = w
            .create_transaction(&recipients, &coin_control, true, -1)
            .map_err(|e| e.to_string())?;
        let tx = tx.map_err(|e| e.original)?;
        w.commit_transaction(&tx, &[], &[])
            .map_err(|e| e.to_string())?;
        Ok(format!(
            "Sent {} (fee {}): {}",
            crate::views::format_btc(amount),
            crate::views::format_btc(fee),
            tx.compute_txid()
        ))
    }
}

/// A row for bitcoin-qt's transaction list (one row per transaction: the
/// net amount, and what kind it is).
fn tx_row(t: &WalletTx, network: Network) -> TxRow {
    let net = t.credit - t.debit;
    let kind = if t.tx.is_coinbase() {
        "Mined"
    } else if t.debit > 0 && t.txout_is_mine.iter().all(|m| *m) {
        "Payment to yourself"
    } else if net < 0 {
        "Sent to"
    } else {
        "Received with"
    };
    // The counterparty: an output not ours when sending, ours when receiving.
    let want_mine = net >= 0;
    let address = t
        .txout_address
        .iter()
        .zip(&t.txout_address_is_mine)
        .zip(&t.txout_is_change)
        .find(|((_, mine), change)| **mine == want_mine && !**change)
        .and_then(|((d, _), _)| address_of(d, network))
        .unwrap_or_default();
    TxRow {
        txid: t.tx.compute_txid().to_string(),
        time: t.time,
        amount: net,
        kind,
        address,
    }
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
