//! `ThreadMap` and `Thread` servers: worker threads a peer creates in this
//! process with `makeThread`, and handles for our own calling threads that a
//! peer names as `context.thread` in nested calls back to us.

use crate::generated::proxy_capnp::{thread, thread_map};
use crate::log;
use crate::waiter::Waiter;
use capnp::capability::Promise;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static LIVE_WORKERS: AtomicUsize = AtomicUsize::new(0);

/// Number of worker threads created by `makeThread` that have not exited yet.
pub fn live_workers() -> usize {
    LIVE_WORKERS.load(Ordering::SeqCst)
}

/// A thread that runs posted server calls: a worker made by `makeThread`, or
/// one of our own threads while it waits on an outgoing call.
pub struct ThreadServer {
    /// Name shown in logs and returned by `getName`.
    pub name: String,
    /// Where calls for this thread are posted.
    pub waiter: Arc<Waiter>,
    owns_thread: bool,
    /// The connection's count of live `makeThread` workers, if counted.
    counter: Option<Rc<std::cell::Cell<usize>>>,
}

impl ThreadServer {
    /// A handle for an existing thread's waiter (our side of `callbackThread`).
    pub fn for_waiter(name: String, waiter: Arc<Waiter>) -> ThreadServer {
        ThreadServer {
            name,
            waiter,
            owns_thread: false,
            counter: None,
        }
    }

    /// Starts a worker thread; `from` is the peer's name for its calling thread.
    pub fn spawn_worker(from: &str) -> std::io::Result<ThreadServer> {
        Self::spawn_labelled(format!("from {from}"))
    }

    /// Starts a worker thread named `<exe>-<pid>/<thread>-<tid> (<label>)`.
    fn spawn_labelled(label: String) -> std::io::Result<ThreadServer> {
        let waiter = Arc::new(Waiter::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let w = waiter.clone();
        LIVE_WORKERS.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new()
            .name("b-capnp-thread".into())
            .spawn(move || {
                let name = format!("{} ({label})", log::thread_name());
                log::set_long_thread_name(name.clone());
                let _ = tx.send(name);
                w.run_until_stopped();
                LIVE_WORKERS.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            LIVE_WORKERS.fetch_sub(1, Ordering::SeqCst);
            return Err(e);
        }
        let name = rx
            .recv()
            .map_err(|_| std::io::Error::other("worker thread died at start"))?;
        Ok(ThreadServer {
            name,
            waiter,
            owns_thread: true,
            counter: None,
        })
    }
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        // The peer released the Thread (or disconnected): the worker finishes
        // what is queued and exits. Not joined here: this runs on the loop,
        // which must not block behind a long call.
        if let Some(c) = &self.counter {
            c.set(c.get().saturating_sub(1));
        }
        if self.owns_thread {
            self.waiter.stop();
        }
    }
}

impl thread::Server for ThreadServer {
    fn get_name(
        self: Rc<Self>,
        _: thread::GetNameParams,
        mut results: thread::GetNameResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        results.get().set_result(self.name.as_str());
        std::future::ready(Ok(()))
    }
}

/// The set of `Thread` capabilities one connection created, so a capability
/// coming back in `context.thread` can be mapped to its local thread.
pub type ThreadSet = capnp_rpc::CapabilityServerSet<ThreadServer, thread::Client>;

/// One pool worker and how many calls are posted to it and not done.
pub struct PoolSlot {
    /// The worker.
    pub thread: Rc<ThreadServer>,
    /// Calls in flight on it.
    pub depth: Rc<std::cell::Cell<usize>>,
}

/// Most pool threads one connection may ask for.
pub const MAX_POOL_THREADS: u32 = 64;

/// `ThreadMap` served to one peer.
pub struct ThreadMapServer {
    /// The connection's thread set (weak: the connection owns this server).
    pub threads: Weak<RefCell<ThreadSet>>,
    /// The connection's pool for calls without `context.thread`.
    pub pool: Weak<RefCell<Vec<PoolSlot>>>,
    /// Live `makeThread` workers of the connection.
    pub live: Rc<std::cell::Cell<usize>>,
}

/// Most `makeThread` workers one connection may hold at once: each is an OS
/// thread, and a peer must not be able to exhaust the process.
pub const MAX_THREADS_PER_CONNECTION: usize = 256;

impl thread_map::Server for ThreadMapServer {
    fn make_thread(
        self: Rc<Self>,
        params: thread_map::MakeThreadParams,
        mut results: thread_map::MakeThreadResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        let res = (|| {
            let from = params.get()?.get_name()?.to_string().map_err(|_| {
                capnp::Error::failed("std::exception: thread name is not UTF-8".into())
            })?;
            let threads = self
                .threads
                .upgrade()
                .ok_or_else(|| capnp::Error::disconnected("connection closed".into()))?;
            if self.live.get() >= MAX_THREADS_PER_CONNECTION {
                return Err(capnp::Error::failed(format!(
                    "std::exception: too many threads (at most {MAX_THREADS_PER_CONNECTION} per connection)"
                )));
            }
            let mut server = ThreadServer::spawn_worker(&from)
                .map_err(|e| capnp::Error::failed(format!("std::exception: {e}")))?;
            self.live.set(self.live.get() + 1);
            server.counter = Some(self.live.clone());
            let client = threads.borrow_mut().new_client(server);
            threads.borrow_mut().gc();
            results.get().set_result(client);
            Ok(())
        })();
        Promise::from_future(std::future::ready(res))
    }

    fn make_pool(
        self: Rc<Self>,
        params: thread_map::MakePoolParams,
        _: thread_map::MakePoolResults,
    ) -> impl std::future::Future<Output = Result<(), capnp::Error>> + 'static {
        // libmultiprocess v11 (Core 32): workers for calls that name no thread.
        let res = (|| {
            let count = params.get()?.get_count();
            let pool = self
                .pool
                .upgrade()
                .ok_or_else(|| capnp::Error::disconnected("connection closed".into()))?;
            if count > MAX_POOL_THREADS {
                return Err(capnp::Error::failed(format!(
                    "std::exception: makePool count {count} exceeds {MAX_POOL_THREADS}"
                )));
            }
            if !pool.borrow().is_empty() {
                return Err(capnp::Error::failed(
                    "std::exception: makePool called on connection with existing pool".into(),
                ));
            }
            let mut slots = Vec::new();
            for i in 0..count {
                let thread = ThreadServer::spawn_labelled(format!("pool/{i}"))
                    .map_err(|e| capnp::Error::failed(format!("std::exception: {e}")))?;
                slots.push(PoolSlot {
                    thread: Rc::new(thread),
                    depth: Rc::new(std::cell::Cell::new(0)),
                });
            }
            *pool.borrow_mut() = slots;
            Ok(())
        })();
        std::future::ready(res)
    }
}
