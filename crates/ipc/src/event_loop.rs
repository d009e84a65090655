//! The event-loop thread. capnp-rpc is single-threaded, so each process runs
//! one thread (a tokio current-thread runtime with a `LocalSet`) that owns every
//! connection; other threads hand it closures through a [`LoopHandle`] and wait
//! for the answer on their [`Waiter`], like libmultiprocess's `EventLoop::sync`.

use crate::waiter::{Reply, Waiter};
use futures::future::LocalBoxFuture;
use std::cell::Cell;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::mpsc;

type LoopJob = Box<dyn FnOnce() + Send>;

enum Msg {
    Job(LoopJob),
    Stop,
}

thread_local! {
    static ON_LOOP: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is an event-loop thread.
pub fn on_loop_thread() -> bool {
    ON_LOOP.with(Cell::get)
}

/// A cloneable, `Send + Sync` handle for posting work to the loop.
#[derive(Clone)]
pub struct LoopHandle {
    tx: mpsc::UnboundedSender<Msg>,
}

/// Why work could not be run on the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopError {
    /// The loop has stopped.
    Stopped,
    /// A blocking call was made from the loop thread itself (it would deadlock).
    OnLoopThread,
}

impl LoopHandle {
    /// Runs `f` on the loop thread without waiting; false if the loop stopped.
    pub fn post(&self, f: impl FnOnce() + Send + 'static) -> bool {
        self.tx.send(Msg::Job(Box::new(f))).is_ok()
    }

    /// Spawns the future `f` builds as a local task on the loop, without waiting.
    pub fn spawn(&self, f: impl FnOnce() -> LocalBoxFuture<'static, ()> + Send + 'static) -> bool {
        self.post(move || {
            tokio::task::spawn_local(f());
        })
    }

    /// Runs the future `f` builds on the loop and blocks until it finishes.
    /// While blocked, the calling thread runs jobs posted to its [`Waiter`]
    /// (nested server calls).
    pub fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> LocalBoxFuture<'static, R> + Send + 'static,
    ) -> Result<R, LoopError> {
        if on_loop_thread() {
            return Err(LoopError::OnLoopThread);
        }
        let waiter = Waiter::current();
        let reply = Reply::<Option<R>>::new();
        let guard = ReplyGuard {
            waiter: waiter.clone(),
            reply: Some(reply.filler_fn()),
        };
        let posted = self.spawn(move || {
            Box::pin(async move {
                let mut guard = guard;
                let r = f().await;
                guard.send(Some(r));
            })
        });
        if !posted {
            return Err(LoopError::Stopped);
        }
        waiter.wait_for(|| reply.take()).ok_or(LoopError::Stopped)
    }
}

/// Delivers `None` to the waiting thread if the loop drops the work unfinished
/// (loop stopped), so callers never hang.
struct ReplyGuard<R: Send + 'static> {
    waiter: Arc<Waiter>,
    reply: Option<Box<dyn FnOnce(Option<R>) -> crate::waiter::Job + Send>>,
}

impl<R: Send + 'static> ReplyGuard<R> {
    fn send(&mut self, value: Option<R>) {
        if let Some(make) = self.reply.take() {
            self.waiter.post(make(value));
        }
    }
}

impl<R: Send + 'static> Drop for ReplyGuard<R> {
    fn drop(&mut self) {
        self.send(None);
    }
}

impl<T: Send + 'static> Reply<T> {
    /// A function making the job that fills this slot.
    fn filler_fn(&self) -> Box<dyn FnOnce(T) -> crate::waiter::Job + Send> {
        let this = self.clone_slot();
        Box::new(move |v| this.filler(v))
    }
}

/// The loop thread; stopping it (drop) closes every connection it owns.
pub struct EventLoop {
    handle: LoopHandle,
    thread: Option<JoinHandle<()>>,
}

impl EventLoop {
    /// Starts the loop thread, named `b-capnp-loop` as in Core.
    pub fn start() -> std::io::Result<EventLoop> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("b-capnp-loop".into())
            .spawn(move || {
                ON_LOOP.with(|c| c.set(true));
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, async move {
                    while let Some(msg) = rx.recv().await {
                        match msg {
                            Msg::Job(job) => job(),
                            Msg::Stop => {
                                // Disconnect cleanly: dropping an RPC system
                                // without it can leave its objects (and the
                                // worker threads they own) alive.
                                crate::connection::close_all().await;
                                break;
                            }
                        }
                    }
                });
                // Dropping the LocalSet drops every connection task and with
                // them the capabilities they hold.
                drop(local);
                crate::registry::clear();
            })?;
        Ok(EventLoop {
            handle: LoopHandle { tx },
            thread: Some(thread),
        })
    }

    /// A handle for posting work to this loop.
    pub fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        let _ = self.handle.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            if std::thread::current().id() != t.thread().id() {
                let _ = t.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_returns_value_and_fails_after_stop() {
        let lp = EventLoop::start().expect("loop");
        let h = lp.handle();
        assert_eq!(h.run(|| Box::pin(async { 42 })), Ok(42));
        assert_eq!(h.run(|| Box::pin(async { on_loop_thread() })), Ok(true));
        drop(lp);
        assert_eq!(h.run(|| Box::pin(async { 1 })), Err(LoopError::Stopped));
    }

    #[test]
    fn pending_work_fails_when_loop_stops() {
        let lp = EventLoop::start().expect("loop");
        let h = lp.handle();
        let t = std::thread::spawn(move || h.run(|| Box::pin(futures::future::pending::<u8>())));
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(lp);
        assert_eq!(t.join().expect("join"), Err(LoopError::Stopped));
    }
}
