//! The wallet process the node runs (unless `-disablewallet`): spawned as
//! `bitcoin-wallet -ipcfd N` at start-up, handed the node's arguments and
//! `Chain` (`Init.makeWalletLoader`), driven through its life cycle
//! (register RPCs, verify, load, start; stop first at shutdown), and
//! restarted with back-off when it dies, reloading the wallets it had
//! loaded. Its death never reaches the node: its RPC methods stay listed and
//! answer that the wallet process is not running until it is back.
//!
//! Clients of the node reach the wallets through `Node.walletLoader`
//! (`crate::wallet_link`), whose `handleLoadWallet` registrations each
//! process keeps and carries over to a restarted process.

use crate::api::Services;
use interfaces::handler::Handler;
use interfaces::init::Init;
use interfaces::wallet::{
    LoadWalletCallback, UnloadWalletCallback, Wallet as WalletInterface, WalletLoader,
};
use ipc::{InitClient, Ipc};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// The executable spawned next to `bitcoin-node`.
pub const WALLET_EXE: &str = "bitcoin-wallet";

/// First wait before a restart; doubled after each quick death.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between restarts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A wallet process that lived this long starts the back-off afresh.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);
/// `-test=fastwalletrestart` divides the three durations above by this, so
/// a test can kill the process many times in a short run (the back-off
/// still doubles, to 0.75 s).
const FAST_RESTART_DIVISOR: u32 = 40;

/// The restart back-off: first wait, longest wait, and the life that
/// starts it afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Schedule {
    first: Duration,
    max: Duration,
    healthy_after: Duration,
}

impl Schedule {
    fn new(fast: bool) -> Schedule {
        let divisor = if fast { FAST_RESTART_DIVISOR } else { 1 };
        Schedule {
            first: FIRST_BACKOFF / divisor,
            max: MAX_BACKOFF / divisor,
            healthy_after: HEALTHY_AFTER / divisor,
        }
    }
}

/// One running wallet process.
struct Child {
    pid: u32,
    /// The `Chain` client id its RPC declarations carry.
    client: u64,
    started: Instant,
    /// Declared before `_init`: the loader goes first, then the connection.
    loader: Arc<dyn WalletLoader>,
    _load_handler: Box<dyn Handler>,
    /// The registrations of [`State::client_load_callbacks`] with this
    /// process, by id.
    client_load_handlers: BTreeMap<u64, Box<dyn Handler>>,
    init: InitClient,
}

impl Child {
    /// Ends the connection, even while clients still hold `Wallet`s of this
    /// process through `Node.walletLoader` (their calls then fail), and
    /// reaps the process. Not on the event loop thread, nor under the lock.
    fn close(self) {
        let conn = self.init.connection().clone();
        drop(self);
        conn.close();
    }
}

#[derive(Default)]
struct State {
    child: Option<Child>,
    /// The connection to the current child closed.
    died: bool,
    stopping: bool,
    /// Names of the wallets the process has loaded now (what a restart
    /// loads again).
    loaded: BTreeSet<String>,
    /// The unload registrations of the loaded wallets.
    unload_handlers: Vec<Box<dyn Handler>>,
    /// Incremented per spawn: a late death notice of an old child is ignored.
    generation: u64,
    /// `handleLoadWallet` callbacks clients registered through
    /// `Node.walletLoader`, by id: registered with every process the node
    /// starts, so a client hears of the wallets a restarted one reloads.
    client_load_callbacks: BTreeMap<u64, Arc<dyn LoadWalletCallback>>,
}

struct Shared {
    ipc: Arc<Ipc>,
    argv0: String,
    services: Arc<Services>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The supervised wallet process.
pub struct WalletProcess {
    shared: Arc<Shared>,
    supervisor: Option<std::thread::JoinHandle<()>>,
}

/// Why a wallet process could not be brought up.
enum LaunchError {
    /// It could not be spawned or answered an IPC error.
    Failed(String),
    /// It reported an init error itself (already shown through `Chain.initError`).
    Refused,
}

impl WalletProcess {
    /// Spawns the wallet process and brings it up; an error fails the
    /// node's start-up as Core's wallet init errors do. `wallets` names the
    /// wallets it loads instead of `-wallet` and settings.json.
    pub fn start(
        ipc: Arc<Ipc>,
        argv0: String,
        services: Arc<Services>,
        wallets: Option<Vec<String>>,
    ) -> Result<WalletProcess, String> {
        let shared = Arc::new(Shared {
            ipc,
            argv0,
            services: services.clone(),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        match launch(&shared, wallets) {
            Ok(()) => {}
            Err(LaunchError::Failed(e)) => return Err(e),
            // The wallet already printed its error; the node exits with it.
            Err(LaunchError::Refused) => return Err(String::new()),
        }
        let s = shared.clone();
        let supervisor = std::thread::Builder::new()
            .name("walletsup".into())
            .spawn(move || supervise(&s))
            .map_err(|e| format!("Unable to start the wallet supervisor thread: {e}"))?;
        Ok(WalletProcess {
            shared,
            supervisor: Some(supervisor),
        })
    }

    /// The current wallet process's pid (`None` while it is restarting).
    pub fn pid(&self) -> Option<u32> {
        self.shared.lock().child.as_ref().map(|c| c.pid)
    }

    /// The `Chain` client id of the current process (`None` while it is
    /// restarting).
    pub fn client(&self) -> Option<u64> {
        self.shared.lock().child.as_ref().map(|c| c.client)
    }

    /// The wallets the process has loaded (or had, while it restarts).
    pub fn wallets(&self) -> BTreeSet<String> {
        self.shared.lock().loaded.clone()
    }

    /// The current loader (for `Node.walletLoader` and `setmocktime`).
    pub fn loader(&self) -> Option<Arc<dyn WalletLoader>> {
        self.shared.lock().child.as_ref().map(|c| c.loader.clone())
    }

    /// Forwards `setmocktime` to the wallet process (Core's
    /// `ChainClient::setMockTime`); a restarted one gets the time at launch.
    pub fn set_mock_time(&self, time: i64) {
        if let Some(l) = self.loader() {
            if let Err(e) = l.set_mock_time(time) {
                tracing::warn!("setmocktime did not reach the wallet process: {e}");
            }
        }
    }

    /// Registers a client's `handleLoadWallet` callback (numbered `id` by
    /// the caller) with this process and with every process that replaces
    /// it.
    pub fn add_client_callback(&self, id: u64, callback: Arc<dyn LoadWalletCallback>) {
        {
            let mut state = self.shared.lock();
            if state.stopping {
                return;
            }
            state.client_load_callbacks.insert(id, callback);
        }
        sync_client_callbacks(&self.shared);
    }

    /// Forgets callback `id`; returns its registration with the running
    /// process, to be dropped (or disconnected) outside any lock.
    pub fn remove_client_callback(&self, id: u64) -> Option<Box<dyn Handler>> {
        let mut state = self.shared.lock();
        state.client_load_callbacks.remove(&id);
        state
            .child
            .as_mut()
            .and_then(|c| c.client_load_handlers.remove(&id))
    }

    /// Forwards `mockscheduler` to the process (Core's
    /// `ChainClient::schedulerMockForward`).
    pub fn scheduler_mock_forward(&self, delta_seconds: i64) {
        if let Some(l) = self.loader() {
            if let Err(e) = l.scheduler_mock_forward(delta_seconds) {
                tracing::warn!("mockscheduler did not reach the wallet process: {e}");
            }
        }
    }

    /// Stops the wallets and the process (Core's `ChainClient::stop` at
    /// shutdown), waiting until it has exited.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let (child, handlers, callbacks) = {
            let mut state = self.shared.lock();
            state.stopping = true;
            (
                state.child.take(),
                std::mem::take(&mut state.unload_handlers),
                std::mem::take(&mut state.client_load_callbacks),
            )
        };
        drop((handlers, callbacks));
        self.shared.changed.notify_all();
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
        if let Some(child) = child {
            if let Err(e) = child.loader.stop() {
                tracing::warn!("Wallet process did not stop cleanly: {e}");
            }
            // Closing the socket makes the child exit; it is reaped.
            child.close();
        }
    }
}

impl Drop for WalletProcess {
    fn drop(&mut self) {
        if self.supervisor.is_some() {
            self.stop_now();
        }
    }
}

/// Spawns a wallet process and brings it up; `reload` names the wallets a
/// restarted process loads (instead of `-wallet` and settings.json).
fn launch(shared: &Arc<Shared>, reload: Option<Vec<String>>) -> Result<(), LaunchError> {
    let failed = |e: interfaces::Error| LaunchError::Failed(e.to_string());
    let (init, pid) = shared
        .ipc
        .spawn(&shared.argv0, WALLET_EXE)
        .map_err(failed)?;
    let (generation, old_handlers) = {
        let mut state = shared.lock();
        state.generation += 1;
        state.died = false;
        state.loaded.clear();
        (state.generation, std::mem::take(&mut state.unload_handlers))
    };
    drop(old_handlers);
    let watcher = Arc::downgrade(shared);
    init.connection().on_disconnect(Box::new(move || {
        if let Some(shared) = watcher.upgrade() {
            let mut state = shared.lock();
            if state.generation == generation {
                state.died = true;
            }
            drop(state);
            shared.changed.notify_all();
        }
    }));
    let mut global = ipc::args::global_args(&shared.services.args);
    if let Some(names) = reload {
        let list = serde_json::Value::from(names).to_string();
        let forced = &mut global.settings.forced_settings;
        forced.retain(|(name, _)| name != "wallet");
        forced.push(("wallet".to_string(), list));
    }
    let (chain, client) = shared.services.chain_client();
    let loader: Arc<dyn WalletLoader> = match init.make_wallet_loader(&global, chain) {
        Ok(Some(l)) => Arc::from(l),
        Ok(None) => {
            return Err(LaunchError::Failed(format!(
                "{WALLET_EXE} does not serve a wallet loader"
            )))
        }
        Err(e) => return Err(failed(e)),
    };
    let mock = common::time::mock_time();
    if mock != 0 {
        loader.set_mock_time(mock).map_err(failed)?;
    }
    let load_handler = loader
        .handle_load_wallet(Box::new(LoadTracker(Arc::downgrade(shared))))
        .map_err(failed)?;
    // Before `load`, so clients hear of the wallets a restarted process
    // reloads.
    let callbacks = shared.lock().client_load_callbacks.clone();
    let mut client_load_handlers = BTreeMap::new();
    for (id, callback) in callbacks {
        let handler = loader
            .handle_load_wallet(Box::new(SharedLoadCallback(callback)))
            .map_err(failed)?;
        client_load_handlers.insert(id, handler);
    }
    loader.register_rpcs().map_err(failed)?;
    if !loader.verify().map_err(failed)? || !loader.load().map_err(failed)? {
        return Err(LaunchError::Refused);
    }
    loader.start().map_err(failed)?;
    let mut state = shared.lock();
    state.child = Some(Child {
        pid,
        client,
        started: Instant::now(),
        loader,
        _load_handler: load_handler,
        client_load_handlers,
        init,
    });
    drop(state);
    // Clients that registered while this process came up.
    sync_client_callbacks(shared);
    Ok(())
}

/// Brings the current process's registrations in line with
/// [`State::client_load_callbacks`]: registers the missing ones and drops
/// those clients have let go of. The IPC calls are made outside the lock.
fn sync_client_callbacks(shared: &Shared) {
    loop {
        let (loader, generation, missing, stale) = {
            let mut state = shared.lock();
            let generation = state.generation;
            let State {
                child,
                client_load_callbacks,
                ..
            } = &mut *state;
            let Some(child) = child.as_mut() else { return };
            let gone: Vec<u64> = child
                .client_load_handlers
                .keys()
                .filter(|id| !client_load_callbacks.contains_key(id))
                .copied()
                .collect();
            let stale: Vec<Box<dyn Handler>> = gone
                .iter()
                .filter_map(|id| child.client_load_handlers.remove(id))
                .collect();
            let missing = client_load_callbacks
                .iter()
                .find(|(id, _)| !child.client_load_handlers.contains_key(id))
                .map(|(id, c)| (*id, c.clone()));
            (child.loader.clone(), generation, missing, stale)
        };
        drop(stale);
        let Some((id, callback)) = missing else {
            return;
        };
        let handler = match loader.handle_load_wallet(Box::new(SharedLoadCallback(callback))) {
            Ok(h) => h,
            Err(e) => {
                // The process went away; the next one gets the callback at launch.
                tracing::warn!(
                    "A client's wallet load callback did not reach the wallet process: {e}"
                );
                return;
            }
        };
        let mut state = shared.lock();
        let current = state.generation == generation;
        let wanted = state.client_load_callbacks.contains_key(&id);
        match state.child.as_mut() {
            Some(child) if current && wanted && !child.client_load_handlers.contains_key(&id) => {
                child.client_load_handlers.insert(id, handler);
            }
            // Registered twice by a concurrent sync, unregistered meanwhile,
            // or for a process that is gone: dropped outside the lock.
            _ => {
                drop(state);
                drop(handler);
            }
        }
    }
}

/// Waits for the wallet process to die and restarts it, with back-off.
fn supervise(shared: &Arc<Shared>) {
    let schedule = Schedule::new(shared.services.args.has_test_option("fastwalletrestart"));
    let mut backoff = schedule.first;
    loop {
        let (child, reload) = {
            let mut state = shared.lock();
            while !state.died && !state.stopping {
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
            }
            if state.stopping {
                return;
            }
            let reload = state.loaded.iter().cloned().collect::<Vec<_>>();
            (state.child.take(), reload)
        };
        // Closed outside the lock: closing a connection runs its hooks,
        // which take the lock. Closed explicitly because clients may still
        // hold its `Wallet`s, which would keep the dead child unreaped.
        let lived = child.map(|c| {
            let lived = c.started.elapsed();
            c.close();
            lived
        });
        if lived.is_some_and(|l| l >= schedule.healthy_after) {
            backoff = schedule.first;
        }
        tracing::warn!(
            "The wallet process exited unexpectedly; restarting it in {}",
            seconds(backoff)
        );
        loop {
            let state = shared.lock();
            let (state, _) = shared
                .changed
                .wait_timeout_while(state, backoff, |s| !s.stopping)
                .unwrap_or_else(|p| p.into_inner());
            if state.stopping {
                return;
            }
            drop(state);
            backoff = (backoff * 2).min(schedule.max);
            match launch(shared, Some(reload.clone())) {
                Ok(()) => {
                    tracing::info!(
                        "Wallet process restarted; reloaded {} wallet(s)",
                        reload.len()
                    );
                    break;
                }
                Err(LaunchError::Failed(e)) => {
                    tracing::error!("Restarting the wallet process failed: {e}")
                }
                Err(LaunchError::Refused) => {
                    tracing::error!("The restarted wallet process refused to start")
                }
            }
        }
    }
}

/// `1s`, `30s`; `0.025s` under `-test=fastwalletrestart`.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Records each wallet the process loads, and forgets it when unloaded.
struct LoadTracker(Weak<Shared>);

impl LoadWalletCallback for LoadTracker {
    fn call(&self, wallet: Box<dyn WalletInterface>) -> interfaces::Result<()> {
        let Some(shared) = self.0.upgrade() else {
            return Ok(());
        };
        let name = wallet.get_wallet_name()?;
        let handler = wallet.handle_unload(Box::new(UnloadTracker {
            shared: Arc::downgrade(&shared),
            name: name.clone(),
        }))?;
        let mut state = shared.lock();
        state.loaded.insert(name);
        state.unload_handlers.push(handler);
        Ok(())
    }
}

struct UnloadTracker {
    shared: Weak<Shared>,
    name: String,
}

impl UnloadWalletCallback for UnloadTracker {
    fn call(&self) -> interfaces::Result<()> {
        if let Some(shared) = self.shared.upgrade() {
            shared.lock().loaded.remove(&self.name);
        }
        Ok(())
    }
}

/// One client callback, registered with each process in turn.
struct SharedLoadCallback(Arc<dyn LoadWalletCallback>);

impl LoadWalletCallback for SharedLoadCallback {
    fn call(&self, wallet: Box<dyn WalletInterface>) -> interfaces::Result<()> {
        self.0.call(wallet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_schedule_is_the_normal_one_divided() {
        let normal = Schedule::new(false);
        assert_eq!(
            normal,
            Schedule {
                first: Duration::from_secs(1),
                max: Duration::from_secs(30),
                healthy_after: Duration::from_secs(60),
            }
        );
        let fast = Schedule::new(true);
        assert_eq!(
            fast,
            Schedule {
                first: Duration::from_millis(25),
                max: Duration::from_millis(750),
                healthy_after: Duration::from_millis(1500),
            }
        );
        assert_eq!(seconds(normal.first), "1s");
        assert_eq!(seconds(normal.max), "30s");
        assert_eq!(seconds(fast.first), "0.025s");
        assert_eq!(seconds(fast.max), "0.75s");
    }
}
