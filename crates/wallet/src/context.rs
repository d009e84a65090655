//! What the wallet process shares between its loader, its wallets and its
//! RPC methods (Core's `WalletContext`): the node's `Chain`, the arguments
//! the node handed over, and the loaded wallets.

use crate::wallet::Wallet;
use common::args::ArgsManager;
use consensus::params::Params;
use interfaces::chain::Chain;
use interfaces::wallet::LoadWalletCallback;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// The wallet process's shared state.
pub struct WalletContext {
    /// The node, as the wallet knows it.
    pub chain: Arc<dyn Chain>,
    /// The node's arguments.
    pub args: Arc<ArgsManager>,
    /// The chain's parameters (message start, address prefixes).
    pub params: Params,
    /// The chain's network (addresses, keys).
    pub network: bitcoin::Network,
    wallets: Mutex<Vec<Arc<Wallet>>>,
    load_callbacks: Mutex<Vec<(u64, Arc<dyn LoadWalletCallback>)>>,
    loading: Mutex<BTreeSet<String>>,
}

/// A wallet name being loaded; the name is free again when this drops.
pub struct Loading<'a> {
    context: &'a WalletContext,
    name: String,
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.context
            .loading
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.name);
    }
}

impl WalletContext {
    /// A context with no wallet loaded.
    pub fn new(chain: Arc<dyn Chain>, args: Arc<ArgsManager>) -> Result<Self, String> {
        let chain_type = args.get_chain_type()?;
        let params = Params::for_chain(chain_type, &args)?;
        Ok(WalletContext {
            chain,
            args,
            params,
            network: consensus::params::network(chain_type),
            wallets: Mutex::new(Vec::new()),
            load_callbacks: Mutex::new(Vec::new()),
            loading: Mutex::new(BTreeSet::new()),
        })
    }

    /// Marks `name` as being loaded, or `None` when another call is loading
    /// it already (Core's `g_loading_wallet_set`): two loads of one wallet
    /// at once would both open it.
    pub fn begin_loading(&self, name: &str) -> Option<Loading<'_>> {
        let fresh = self
            .loading
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string());
        fresh.then(|| Loading {
            context: self,
            name: name.to_string(),
        })
    }

    /// The loaded wallets, in load order.
    pub fn wallets(&self) -> Vec<Arc<Wallet>> {
        self.wallets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The loaded wallet called `name`.
    pub fn wallet(&self, name: &str) -> Option<Arc<Wallet>> {
        self.wallets().into_iter().find(|w| w.name() == name)
    }

    /// Adds a loaded wallet (false if one of that name is loaded already).
    pub fn add_wallet(&self, wallet: Arc<Wallet>) -> bool {
        let mut wallets = self.wallets.lock().unwrap_or_else(|p| p.into_inner());
        if wallets.iter().any(|w| w.name() == wallet.name()) {
            return false;
        }
        wallets.push(wallet);
        true
    }

    /// Removes `name` from the loaded wallets and returns it.
    pub fn remove_wallet(&self, name: &str) -> Option<Arc<Wallet>> {
        let mut wallets = self.wallets.lock().unwrap_or_else(|p| p.into_inner());
        let at = wallets.iter().position(|w| w.name() == name)?;
        Some(wallets.remove(at))
    }

    /// Registers `callback` for each wallet loaded from now on; the id
    /// removes it again.
    pub fn add_load_callback(&self, callback: Arc<dyn LoadWalletCallback>) -> u64 {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.load_callbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, callback));
        id
    }

    /// Removes the callback registered as `id`.
    pub fn remove_load_callback(&self, id: u64) {
        self.load_callbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(i, _)| *i != id);
    }

    /// The callbacks to tell about a newly loaded wallet.
    pub fn load_callbacks(&self) -> Vec<Arc<dyn LoadWalletCallback>> {
        self.load_callbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// The wallet directory (see [`crate::walletdir::wallet_dir`]).
    pub fn wallet_dir(&self) -> std::path::PathBuf {
        crate::walletdir::wallet_dir(&self.args)
    }
}
