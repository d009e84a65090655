//! `Node.walletLoader`: how clients of the node (the GUI) reach the wallets,
//! whichever processes hold them. Each call goes to the processes running
//! when it is made: the wallets of all of them, a new wallet to the process
//! that should hold it (a new one in per-wallet mode), and `handleLoadWallet`
//! registrations to every process, present and future, restarts included.
//! The `Wallet`s returned are the wallet processes' own capabilities, which
//! the IPC layer serves on to the client.

use crate::wallet_processes::Inner;
use interfaces::chain::ChainClient;
use interfaces::handler::Handler;
use interfaces::wallet::{
    LoadWalletCallback, Wallet as WalletInterface, WalletLoad, WalletLoader, WalletMigrationResult,
};
use interfaces::Outcome;
use std::sync::{Arc, OnceLock, Weak};

/// Where `Node.walletLoader` finds the wallet processes ([`Services::wallet`]):
/// attached when they are first started, never with `-disablewallet`.
///
/// [`Services::wallet`]: crate::api::Services::wallet
#[derive(Default)]
pub struct WalletLink(OnceLock<Weak<Inner>>);

impl WalletLink {
    pub(crate) fn attach(&self, inner: &Arc<Inner>) {
        let _ = self.0.set(Arc::downgrade(inner));
    }

    /// The loader `Node.walletLoader` hands out.
    pub fn loader(self: &Arc<Self>) -> Box<dyn WalletLoader> {
        Box::new(LoaderForwarder { link: self.clone() })
    }
}

/// The error of a forwarded call while no wallet process runs.
pub(crate) fn not_running() -> interfaces::Error {
    interfaces::Error::Remote(
        "The wallet process is not running; the node restarts it, try again when it is back".into(),
    )
}

/// A process that died under a call is, for the client, one that is not
/// running (rather than a disconnection of its own connection to the node).
pub(crate) fn away(e: interfaces::Error) -> interfaces::Error {
    match e {
        interfaces::Error::Disconnected => not_running(),
        other => other,
    }
}

/// `Node.walletLoader`: forwards to the running processes.
struct LoaderForwarder {
    link: Arc<WalletLink>,
}

impl LoaderForwarder {
    fn inner(&self) -> interfaces::Result<Arc<Inner>> {
        self.link
            .0
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(not_running)
    }

    /// Calls `f` on the first process's loader.
    fn first<T>(
        &self,
        f: impl FnOnce(&dyn WalletLoader) -> interfaces::Result<T>,
    ) -> interfaces::Result<T> {
        let loader = self.inner()?.first_loader().ok_or_else(not_running)?;
        f(&*loader).map_err(away)
    }
}

/// The life cycle belongs to the node's supervisor: a client must not stop
/// (or re-run) the wallets other clients and the node's RPC use.
fn node_managed(method: &str) -> interfaces::Error {
    interfaces::Error::Remote(format!(
        "{method} is managed by the node and not available through Node.walletLoader"
    ))
}

impl ChainClient for LoaderForwarder {
    fn register_rpcs(&self) -> interfaces::Result<()> {
        Err(node_managed("registerRpcs"))
    }
    fn verify(&self) -> interfaces::Result<bool> {
        Err(node_managed("verify"))
    }
    fn load(&self) -> interfaces::Result<bool> {
        Err(node_managed("load"))
    }
    fn start(&self) -> interfaces::Result<()> {
        Err(node_managed("start"))
    }
    fn stop(&self) -> interfaces::Result<()> {
        Err(node_managed("stop"))
    }
    fn set_mock_time(&self, _time: i64) -> interfaces::Result<()> {
        Err(node_managed("setMockTime"))
    }
    fn scheduler_mock_forward(&self, _delta_seconds: i64) -> interfaces::Result<()> {
        Err(node_managed("schedulerMockForward"))
    }
}

impl WalletLoader for LoaderForwarder {
    fn create_wallet(
        &self,
        name: &str,
        passphrase: &str,
        flags: u64,
    ) -> interfaces::Result<WalletLoad> {
        self.inner()?
            .open_wallet(name, |l| l.create_wallet(name, passphrase, flags))
    }
    fn load_wallet(&self, name: &str) -> interfaces::Result<WalletLoad> {
        self.inner()?.open_wallet(name, |l| l.load_wallet(name))
    }
    fn get_wallet_dir(&self) -> interfaces::Result<String> {
        self.first(|l| l.get_wallet_dir())
    }
    fn restore_wallet(
        &self,
        backup_file: &std::path::Path,
        wallet_name: &str,
        load_after_restore: bool,
    ) -> interfaces::Result<WalletLoad> {
        self.inner()?.open_wallet(wallet_name, |l| {
            l.restore_wallet(backup_file, wallet_name, load_after_restore)
        })
    }
    fn migrate_wallet(
        &self,
        name: &str,
        passphrase: &str,
    ) -> interfaces::Result<Outcome<WalletMigrationResult>> {
        self.first(|l| l.migrate_wallet(name, passphrase))
    }
    fn is_encrypted(&self, wallet_name: &str) -> interfaces::Result<bool> {
        self.first(|l| l.is_encrypted(wallet_name))
    }
    fn list_wallet_dir(&self) -> interfaces::Result<Vec<(String, String)>> {
        self.first(|l| l.list_wallet_dir())
    }
    fn get_wallets(&self) -> interfaces::Result<Vec<Box<dyn WalletInterface>>> {
        let loaders = self.inner()?.loaders();
        if loaders.is_empty() {
            return Err(not_running());
        }
        let mut all = Vec::new();
        for l in loaders {
            all.extend(l.get_wallets().map_err(away)?);
        }
        Ok(all)
    }
    fn handle_load_wallet(
        &self,
        callback: Box<dyn LoadWalletCallback>,
    ) -> interfaces::Result<Box<dyn Handler>> {
        let inner = self.inner()?;
        let id = inner
            .add_client_callback(Arc::from(callback))
            .ok_or_else(not_running)?;
        Ok(Box::new(ClientLoadHandler {
            inner: Arc::downgrade(&inner),
            id,
        }))
    }
}

/// A client's `handleLoadWallet` registration through the forwarder.
struct ClientLoadHandler {
    inner: Weak<Inner>,
    id: u64,
}

impl ClientLoadHandler {
    /// Forgets the callback; returns its registrations with the running
    /// processes, to be dropped outside the locks.
    fn unregister(&self) -> Vec<Box<dyn Handler>> {
        self.inner
            .upgrade()
            .map(|i| i.remove_client_callback(self.id))
            .unwrap_or_default()
    }
}

impl Handler for ClientLoadHandler {
    fn disconnect(&self) -> interfaces::Result<()> {
        for handler in self.unregister() {
            // A process that has just died forgot the callback already.
            if let Err(e) = handler.disconnect() {
                tracing::debug!("Unregistering a wallet load callback: {e}");
            }
        }
        Ok(())
    }
}

impl Drop for ClientLoadHandler {
    fn drop(&mut self) {
        // Often on the IPC loop thread (the client released it): releasing
        // the registrations' proxies does not block.
        drop(self.unregister());
    }
}
