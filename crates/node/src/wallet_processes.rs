//! The node's wallet processes (`-walletprocess`):
//!
//! * `shared` (the default): one `bitcoin-wallet` for every wallet, as
//!   Core's multiprocess node runs it.
//! * `per-wallet`: one `bitcoin-wallet` per loaded wallet, so a crash, a
//!   hang or a hostile file in one wallet cannot touch another's memory or
//!   stall its RPCs. The first process also answers what concerns no
//!   wallet (`listwalletdir`, the "no wallet loaded" errors) and is never
//!   retired; `createwallet`, `loadwallet` and `restorewallet` start a new
//!   process for the wallet, and `unloadwallet` stops the process it empties.
//!
//! Each process is a [`WalletProcess`], supervised and restarted with its
//! wallets on its own; the RPC table routes each request to the process
//! holding its wallet (`api::rpc_route`).

use crate::api::rpc_actor::Override;
use crate::api::Services;
use crate::wallet_process::WalletProcess;
use interfaces::wallet::{LoadWalletCallback, WalletLoad, WalletLoader};
use ipc::Ipc;
use rpc::error::{RpcError, RpcResult};
use rpc::request::{percent_decode, RpcRequest};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// How wallets are spread over processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One process for every wallet.
    Shared,
    /// One process per loaded wallet.
    PerWallet,
}

impl Mode {
    /// `-walletprocess`, with an init error for an unknown value.
    pub fn from_args(args: &common::args::ArgsManager) -> Result<Mode, String> {
        match args.get_arg("-walletprocess").as_deref() {
            None | Some("shared") => Ok(Mode::Shared),
            Some("per-wallet") => Ok(Mode::PerWallet),
            Some(other) => Err(format!(
                "Invalid -walletprocess value '{other}' (shared or per-wallet)"
            )),
        }
    }
}

/// Methods the node runs itself in per-wallet mode.
const OPENING: &[&str] = &["createwallet", "loadwallet", "restorewallet"];

/// The wallet processes of a node.
pub struct WalletProcesses {
    inner: Arc<Inner>,
}

/// The processes and what `Node.walletLoader` registered with them.
pub(crate) struct Inner {
    ipc: Arc<Ipc>,
    argv0: String,
    services: Arc<Services>,
    mode: Mode,
    /// The first process comes first and stays; in per-wallet mode the
    /// others each hold one wallet.
    procs: Mutex<Vec<WalletProcess>>,
    /// Clients' `handleLoadWallet` callbacks, registered with every process.
    client_callbacks: Mutex<BTreeMap<u64, Arc<dyn LoadWalletCallback>>>,
    next_callback: AtomicU64,
}

impl WalletProcesses {
    /// Starts the processes `-walletprocess` asks for with the start-up
    /// wallets; an error fails the node's start-up (an empty one was
    /// reported by the wallet process already).
    pub fn start(
        ipc: Arc<Ipc>,
        argv0: String,
        services: Arc<Services>,
    ) -> Result<WalletProcesses, String> {
        let mode = Mode::from_args(&services.args)?;
        let inner = Arc::new(Inner {
            ipc,
            argv0,
            services: services.clone(),
            mode,
            procs: Mutex::new(Vec::new()),
            client_callbacks: Mutex::new(BTreeMap::new()),
            next_callback: AtomicU64::new(0),
        });
        services.wallet.attach(&inner);
        services.actors.keep_stand_ins(true);
        let started = WalletProcesses { inner };
        match mode {
            Mode::Shared => started.inner.launch(None).map(|p| started.inner.add(p))?,
            Mode::PerWallet => started.start_per_wallet()?,
        }
        Ok(started)
    }

    fn start_per_wallet(&self) -> Result<(), String> {
        let inner = &self.inner;
        match startup_wallets(&inner.services.args) {
            // No `-wallet`: the first process finds the unnamed wallet (or
            // reports a bad value) itself.
            None => inner.add(inner.launch(None)?),
            Some(names) => {
                let mut names = names.into_iter();
                let first = names.next().into_iter().collect();
                inner.add(inner.launch(Some(first))?);
                for name in names {
                    let p = inner.launch(Some(vec![name]))?;
                    // A wallet that does not exist was skipped with a warning.
                    if p.wallets().is_empty() {
                        p.stop();
                    } else {
                        inner.add(p);
                    }
                }
            }
        }
        let actors = &inner.services.actors;
        for name in OPENING {
            let weak = Arc::downgrade(inner);
            let f: Override = Arc::new(move |req| with(&weak, |i| i.open_in_new_process(req)));
            actors.set_override(name, Some(f));
        }
        let weak = Arc::downgrade(inner);
        let f: Override = Arc::new(move |req| with(&weak, |i| i.unload(req)));
        actors.set_override("unloadwallet", Some(f));
        let weak = Arc::downgrade(inner);
        actors.set_wallet_owner_lookup(Some(Arc::new(move |name| {
            weak.upgrade().and_then(|i| i.owner(name))
        })));
        Ok(())
    }

    /// Forwards `setmocktime` to every process.
    pub fn mock_time_forwarder(&self) -> Box<dyn Fn(i64) + Send + Sync> {
        let weak = Arc::downgrade(&self.inner);
        Box::new(move |t| {
            if let Some(inner) = weak.upgrade() {
                for p in inner.lock().iter() {
                    p.set_mock_time(t);
                }
            }
        })
    }

    /// Forwards `mockscheduler` to every process's scheduler.
    pub fn scheduler_forwarder(&self) -> Box<dyn Fn(i64) + Send + Sync> {
        let weak = Arc::downgrade(&self.inner);
        Box::new(move |delta| {
            if let Some(inner) = weak.upgrade() {
                for p in inner.lock().iter() {
                    p.scheduler_mock_forward(delta);
                }
            }
        })
    }

    /// The pids of the running processes, first process first.
    pub fn pids(&self) -> Vec<u32> {
        self.inner.lock().iter().filter_map(|p| p.pid()).collect()
    }

    /// Stops every wallet and process (Core's `ChainClient::stop`), the
    /// first process last.
    pub fn stop(self) {
        let actors = &self.inner.services.actors;
        for name in OPENING.iter().chain(&["unloadwallet"]) {
            actors.set_override(name, None);
        }
        actors.set_wallet_owner_lookup(None);
        actors.keep_stand_ins(false);
        let procs = std::mem::take(&mut *self.inner.lock());
        for p in procs.into_iter().rev() {
            p.stop();
        }
        actors.drop_stand_ins(&self.inner.services.table);
    }
}

fn with(inner: &Weak<Inner>, f: impl FnOnce(&Inner) -> RpcResult) -> RpcResult {
    match inner.upgrade() {
        Some(i) => f(&i),
        None => Err(RpcError::misc("The node is shutting down")),
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<WalletProcess>> {
        self.procs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a process loading `wallets`; the clients' load callbacks
    /// are registered with it before anything else is loaded there.
    fn launch(&self, wallets: Option<Vec<String>>) -> Result<WalletProcess, String> {
        let p = WalletProcess::start(
            self.ipc.clone(),
            self.argv0.clone(),
            self.services.clone(),
            wallets,
        )?;
        let callbacks = self
            .client_callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (id, callback) in callbacks {
            p.add_client_callback(id, callback);
        }
        Ok(p)
    }

    /// The first process's loader (`None` while it restarts).
    pub(crate) fn first_loader(&self) -> Option<Arc<dyn WalletLoader>> {
        self.lock().first().and_then(WalletProcess::loader)
    }

    /// The loaders of the running processes.
    pub(crate) fn loaders(&self) -> Vec<Arc<dyn WalletLoader>> {
        self.lock()
            .iter()
            .filter_map(WalletProcess::loader)
            .collect()
    }

    /// `Node.walletLoader`'s create, load and restore: by the first process
    /// in shared mode; in per-wallet mode by the process holding `name`
    /// (which refuses with Core's error), else by a new process, kept when
    /// it ends up holding the wallet.
    pub(crate) fn open_wallet(
        &self,
        name: &str,
        f: impl FnOnce(&dyn WalletLoader) -> interfaces::Result<WalletLoad>,
    ) -> interfaces::Result<WalletLoad> {
        use crate::wallet_link::{away, not_running};
        let holder = match self.mode {
            Mode::Shared => self.first_loader(),
            Mode::PerWallet => self.owner(name).and_then(|owner| {
                self.lock()
                    .iter()
                    .find(|p| p.client() == Some(owner))
                    .and_then(WalletProcess::loader)
            }),
        };
        if let Some(loader) = holder {
            return f(&*loader).map_err(away);
        }
        if self.mode == Mode::Shared {
            return Err(not_running());
        }
        let p = self.launch(Some(Vec::new())).map_err(|e| {
            interfaces::Error::Remote(format!("Unable to start a wallet process: {e}"))
        })?;
        let result = match p.loader() {
            Some(l) => f(&*l).map_err(away),
            None => Err(not_running()),
        };
        if p.wallets().is_empty() {
            p.stop();
        } else {
            self.add(p);
        }
        result
    }

    /// Registers a client's load callback with every process, present and
    /// future; `None` when none runs.
    pub(crate) fn add_client_callback(&self, callback: Arc<dyn LoadWalletCallback>) -> Option<u64> {
        let procs = self.lock();
        if procs.is_empty() {
            return None;
        }
        let id = self.next_callback.fetch_add(1, Ordering::Relaxed);
        self.client_callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, callback.clone());
        for p in procs.iter() {
            p.add_client_callback(id, callback.clone());
        }
        Some(id)
    }

    /// Forgets callback `id`; returns its registrations with the processes.
    pub(crate) fn remove_client_callback(
        &self,
        id: u64,
    ) -> Vec<Box<dyn interfaces::handler::Handler>> {
        self.client_callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        self.lock()
            .iter()
            .filter_map(|p| p.remove_client_callback(id))
            .collect()
    }

    fn add(&self, p: WalletProcess) {
        self.lock().push(p);
    }

    /// The client id of the process holding `wallet`.
    fn owner(&self, wallet: &str) -> Option<u64> {
        self.lock()
            .iter()
            .find(|p| p.wallets().contains(wallet))
            .and_then(WalletProcess::client)
    }

    /// `createwallet`, `loadwallet`, `restorewallet`: in a new process,
    /// kept when it ends up holding the wallet. A wallet some process holds
    /// already is that process's to refuse, with Core's error.
    fn open_in_new_process(&self, req: &RpcRequest) -> RpcResult {
        let actors = &self.services.actors;
        let name = req.params.first().and_then(|v| v.as_str()).unwrap_or("");
        if let Some(client) = self.owner(name) {
            if let Some(r) = actors.run_on(client, req) {
                return r;
            }
        }
        let p = self
            .launch(Some(Vec::new()))
            .map_err(|e| RpcError::misc(format!("Unable to start a wallet process: {e}")))?;
        let result = match p.client().and_then(|c| actors.run_on(c, req)) {
            Some(r) => r,
            None => Err(RpcError::misc(
                "The new wallet process did not declare the method",
            )),
        };
        if p.wallets().is_empty() {
            p.stop();
        } else {
            self.add(p);
        }
        result
    }

    /// `unloadwallet`: by the process holding the wallet, which is stopped
    /// once empty (unless it is the first).
    fn unload(&self, req: &RpcRequest) -> RpcResult {
        let actors = &self.services.actors;
        let named = req
            .uri
            .strip_prefix("/wallet/")
            .map(percent_decode)
            .or_else(|| {
                req.params
                    .first()
                    .and_then(|v| v.as_str())
                    .map(String::from)
            });
        let owner = named.as_deref().and_then(|n| self.owner(n));
        let (client, result) = match owner.and_then(|c| actors.run_on(c, req).map(|r| (c, r))) {
            Some((c, r)) => (Some(c), r),
            None => actors.run_in_turn("unloadwallet", req),
        };
        if result.is_ok() {
            if let Some(client) = client {
                self.retire_if_empty(client);
            }
        }
        result
    }

    fn retire_if_empty(&self, client: u64) {
        let retired = {
            let mut procs = self.lock();
            let pos = procs
                .iter()
                .position(|p| p.client() == Some(client) && p.wallets().is_empty());
            match pos {
                Some(i) if i > 0 => Some(procs.remove(i)),
                _ => None,
            }
        };
        if let Some(p) = retired {
            p.stop();
        }
    }
}

/// The `-wallet` names to load at start-up, each once, or `None` when
/// `-wallet` is not given (or a value is not a string: the wallet process
/// reports that with Core's text).
fn startup_wallets(args: &common::args::ArgsManager) -> Option<Vec<String>> {
    if !args.is_arg_set("-wallet") {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for v in args.get_settings_list("-wallet") {
        let name = v.as_str()?.to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Some(names)
}
