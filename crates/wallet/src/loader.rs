//! The `WalletLoader` the node drives (Core's `WalletLoaderImpl`): its
//! life cycle as a chain client (register RPCs, verify, load, start, stop)
//! and the wallet-set operations the node and the GUI call.

use crate::context::WalletContext;
use common::args::ArgsManager;
use interfaces::chain::{Chain, ChainClient};
use interfaces::common::BilingualStr;
use interfaces::handler::Handler;
use interfaces::wallet::{
    LoadWalletCallback, Wallet as WalletInterface, WalletLoad, WalletLoader, WalletMigrationResult,
};
use interfaces::{Error, Outcome, Result};
use rpc::table::RpcTable;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The wallet process's loader.
pub struct Loader {
    context: Arc<WalletContext>,
    table: Arc<RpcTable>,
    rpc_handlers: Mutex<Vec<Box<dyn Handler>>>,
    /// The periodic work, from `start` to `stop`.
    scheduler: Mutex<Option<Arc<common::scheduler::Scheduler>>>,
}

impl Loader {
    /// A loader for the node `chain`, configured by the node's `args`.
    pub fn new(chain: Box<dyn Chain>, args: ArgsManager) -> std::result::Result<Self, String> {
        let context = Arc::new(WalletContext::new(Arc::from(chain), Arc::new(args))?);
        let table = crate::rpc::table(&context);
        Ok(Loader {
            context,
            table,
            rpc_handlers: Mutex::new(Vec::new()),
            scheduler: Mutex::new(None),
        })
    }

    /// The shared state (for tests and the offline tool).
    pub fn context(&self) -> &Arc<WalletContext> {
        &self.context
    }

    fn init_error(&self, text: String) -> Result<bool> {
        self.context.chain.init_error(&BilingualStr {
            original: text.clone(),
            translated: text,
        })?;
        Ok(false)
    }

    fn wallet_load(
        &self,
        done: std::result::Result<crate::wallet::open::Opened, crate::wallet::open::OpenFailure>,
    ) -> WalletLoad {
        match done {
            Ok((wallet, warnings)) => WalletLoad {
                warning: warnings
                    .iter()
                    .map(|w| BilingualStr::from(w.as_str()))
                    .collect(),
                wallet: Outcome::Ok(Box::new(crate::interface::WalletInterface::new(
                    self.context.clone(),
                    wallet,
                ))),
            },
            Err(e) => WalletLoad {
                warning: Vec::new(),
                wallet: Outcome::Err(BilingualStr::from(e.message.as_str())),
            },
        }
    }

    fn not_available<T>(&self, what: &str) -> Result<T> {
        Err(Error::Remote(format!(
            "{what} is not available in this wallet yet"
        )))
    }
}

impl ChainClient for Loader {
    fn register_rpcs(&self) -> Result<()> {
        let handlers = crate::rpc::register_with_node(&self.context, &self.table)?;
        *self.rpc_handlers.lock().unwrap_or_else(|p| p.into_inner()) = handlers;
        Ok(())
    }

    fn verify(&self) -> Result<bool> {
        if let Err(e) = crate::walletdir::verify_wallet_dir(&self.context.args) {
            return self.init_error(e);
        }
        tracing::info!(
            "Using wallet directory {}",
            self.context.wallet_dir().display()
        );
        self.context.chain.init_message("Verifying wallet(s)…")?;
        crate::manage::verify_startup_wallets(&self.context).map_err(Error::Remote)
    }

    fn load(&self) -> Result<bool> {
        crate::manage::load_startup_wallets(&self.context).map_err(Error::Remote)
    }

    fn start(&self) -> Result<()> {
        let scheduler = common::scheduler::Scheduler::start();
        let context = Arc::downgrade(&self.context);
        scheduler.every(std::time::Duration::from_secs(60), move || {
            if let Some(c) = context.upgrade() {
                crate::wallet::sync::maybe_resend(&c.wallets());
            }
        });
        *self.scheduler.lock().unwrap_or_else(|p| p.into_inner()) = Some(scheduler);
        Ok(())
    }

    fn stop(&self) -> Result<()> {
        if let Some(s) = self
            .scheduler
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            s.stop();
        }
        for wallet in self.context.wallets().iter().rev() {
            self.context.remove_wallet(wallet.name());
            wallet.disconnect();
            // A notification already being handled holds the wallet lock
            // until its changes are written; waiting for it here keeps the
            // process from exiting in the middle of that write.
            drop(wallet.lock());
        }
        Ok(())
    }

    fn set_mock_time(&self, time: i64) -> Result<()> {
        common::time::set_mock_time(time);
        Ok(())
    }

    fn scheduler_mock_forward(&self, delta_seconds: i64) -> Result<()> {
        let delta = std::time::Duration::from_secs(u64::try_from(delta_seconds).unwrap_or(0));
        if let Some(s) = &*self.scheduler.lock().unwrap_or_else(|p| p.into_inner()) {
            s.mock_forward(delta);
        }
        Ok(())
    }
}

impl WalletLoader for Loader {
    fn create_wallet(&self, name: &str, passphrase: &str, flags: u64) -> Result<WalletLoad> {
        let done = crate::manage::create_wallet(&self.context, name, flags, passphrase, None);
        Ok(self.wallet_load(done))
    }

    fn load_wallet(&self, name: &str) -> Result<WalletLoad> {
        let done = crate::manage::load_wallet(&self.context, name, None);
        Ok(self.wallet_load(done))
    }

    fn get_wallet_dir(&self) -> Result<String> {
        Ok(self.context.wallet_dir().display().to_string())
    }

    fn restore_wallet(
        &self,
        _backup_file: &Path,
        _name: &str,
        _load_after_restore: bool,
    ) -> Result<WalletLoad> {
        self.not_available("restoreWallet")
    }

    fn migrate_wallet(
        &self,
        name: &str,
        passphrase: &str,
    ) -> Result<Outcome<WalletMigrationResult>> {
        // Core's WalletLoaderImpl::migrateWallet: migrate, then load.
        Ok(
            match crate::migrate::migrate_wallet(&self.context, name, passphrase, true) {
                Ok(r) => Outcome::Ok(WalletMigrationResult {
                    wallet: self.context.wallet(&r.wallet_name).map(|w| {
                        Arc::new(crate::interface::WalletInterface::new(
                            self.context.clone(),
                            w,
                        )) as Arc<dyn WalletInterface>
                    }),
                    watchonly_wallet_name: r.watchonly_name.unwrap_or_default(),
                    solvables_wallet_name: r.solvables_name.unwrap_or_default(),
                    backup_path: r.backup_path.display().to_string(),
                }),
                Err(e) => Outcome::Err(BilingualStr::from(e.as_str())),
            },
        )
    }

    fn is_encrypted(&self, _name: &str) -> Result<bool> {
        self.not_available("isEncrypted")
    }

    fn list_wallet_dir(&self) -> Result<Vec<(String, String)>> {
        let dir = self.context.wallet_dir();
        Ok(
            crate::walletdir::list_databases(&dir, self.context.params.message_start)
                .into_iter()
                .map(|(name, format)| (name, format.as_str().to_string()))
                .collect(),
        )
    }

    fn get_wallets(&self) -> Result<Vec<Box<dyn WalletInterface>>> {
        Ok(self
            .context
            .wallets()
            .into_iter()
            .map(|w| {
                Box::new(crate::interface::WalletInterface::new(
                    self.context.clone(),
                    w,
                )) as Box<dyn WalletInterface>
            })
            .collect())
    }

    fn handle_load_wallet(
        &self,
        callback: Box<dyn LoadWalletCallback>,
    ) -> Result<Box<dyn Handler>> {
        let id = self.context.add_load_callback(Arc::from(callback));
        Ok(Box::new(LoadCallbackHandler {
            context: Arc::downgrade(&self.context),
            id,
        }))
    }
}

/// Removes a load callback when disconnected or dropped.
struct LoadCallbackHandler {
    context: std::sync::Weak<WalletContext>,
    id: u64,
}

impl Handler for LoadCallbackHandler {
    fn disconnect(&self) -> Result<()> {
        if let Some(c) = self.context.upgrade() {
            c.remove_load_callback(self.id);
        }
        Ok(())
    }
}

impl Drop for LoadCallbackHandler {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}
