//! The wallet process the node runs (unless `-disablewallet`): spawned as
//! `bitcoin-wallet -ipcfd N` at start-up, handed the node's arguments and
//! `Chain` (`Init.makeWalletLoader`), driven through its life cycle
//! (register RPCs, verify, load, start; stop first at shutdown), and
//! restarted with back-off when it dies, reloading the wallets it had
//! loaded. Its death never reaches the node: its RPC methods stay listed and
//! answer that the wallet process is not running until it is back.

use crate::api::Services;
use interfaces::handler::Handler;
use interfaces::init::Init;
use interfaces::wallet::{
    LoadWalletCallback, UnloadWalletCallback, Wallet as WalletInterface, WalletLoader,
};
use ipc::{InitClient, Ipc};
use std::collections::BTreeSet;
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
    started: Instant,
    /// Declared before `_init`: the loader goes first, then the connection.
    loader: Arc<dyn WalletLoader>,
    _load_handler: Box<dyn Handler>,
    _init: InitClient,
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
    /// node's start-up as Core's wallet init errors do.
    pub fn start(
        ipc: Arc<Ipc>,
        argv0: String,
        services: Arc<Services>,
    ) -> Result<WalletProcess, String> {
        let shared = Arc::new(Shared {
            ipc,
            argv0,
            services,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        match launch(&shared, None) {
            Ok(()) => {}
            Err(LaunchError::Failed(e)) => return Err(e),
            // The wallet already printed its error; the node exits with it.
            Err(LaunchError::Refused) => return Err(String::new()),
        }
        shared.services.actors.keep_stand_ins(true);
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

    /// The current loader (for `Node.walletLoader` and `setmocktime`).
    pub fn loader(&self) -> Option<Arc<dyn WalletLoader>> {
        self.shared.lock().child.as_ref().map(|c| c.loader.clone())
    }

    /// Forwards `setmocktime` to the wallet process (Core's
    /// `ChainClient::setMockTime`); a restarted one gets the time at launch.
    pub fn mock_time_forwarder(&self) -> Box<dyn Fn(i64) + Send + Sync> {
        let shared = Arc::downgrade(&self.shared);
        Box::new(move |t| {
            let loader = shared
                .upgrade()
                .and_then(|s| s.lock().child.as_ref().map(|c| c.loader.clone()));
            if let Some(l) = loader {
                if let Err(e) = l.set_mock_time(t) {
                    tracing::warn!("setmocktime did not reach the wallet process: {e}");
                }
            }
        })
    }

    /// Stops the wallets and the process (Core's `ChainClient::stop` at
    /// shutdown), waiting until it has exited.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let (child, handlers) = {
            let mut state = self.shared.lock();
            state.stopping = true;
            (
                state.child.take(),
                std::mem::take(&mut state.unload_handlers),
            )
        };
        drop(handlers);
        self.shared.changed.notify_all();
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
        let actors = &self.shared.services.actors;
        actors.keep_stand_ins(false);
        if let Some(child) = child {
            if let Err(e) = child.loader.stop() {
                tracing::warn!("Wallet process did not stop cleanly: {e}");
            }
            // Dropping the last proxies closes the socket; the child exits
            // and is reaped.
            drop(child);
        }
        actors.drop_stand_ins(&self.shared.services.table);
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
    let chain = shared.services.chain_api();
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
    loader.register_rpcs().map_err(failed)?;
    if !loader.verify().map_err(failed)? || !loader.load().map_err(failed)? {
        return Err(LaunchError::Refused);
    }
    loader.start().map_err(failed)?;
    let mut state = shared.lock();
    state.child = Some(Child {
        pid,
        started: Instant::now(),
        loader,
        _load_handler: load_handler,
        _init: init,
    });
    Ok(())
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
        // Dropped outside the lock: closing a connection runs its hooks,
        // which take the lock.
        let lived = child.map(|c| c.started.elapsed());
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
