//! Registrations handed to other processes: an `interfaces::handler::Handler`
//! that undoes the registration when disconnected or dropped, and a list of
//! registered callbacks that forgets the ones whose process went away.

use interfaces::handler::Handler;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Undoes a registration once, on `disconnect` or when dropped (the peer
/// released it, or its process died).
pub struct Registration {
    undo: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Registration {
    /// A handler running `undo` once.
    pub fn handler(undo: impl FnOnce() + Send + 'static) -> Box<dyn Handler> {
        Box::new(Registration {
            undo: Mutex::new(Some(Box::new(undo))),
        })
    }

    fn run(&self) {
        let undo = self.undo.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(f) = undo {
            f();
        }
    }
}

impl Handler for Registration {
    fn disconnect(&self) -> interfaces::Result<()> {
        self.run();
        Ok(())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.run();
    }
}

/// Callbacks of one kind, called in registration order.
pub struct Callbacks<T: ?Sized> {
    next: AtomicU64,
    list: Mutex<Vec<(u64, Arc<T>)>>,
}

impl<T: ?Sized + Send + Sync + 'static> Callbacks<T> {
    /// No callbacks.
    pub fn new() -> Arc<Self> {
        Arc::new(Callbacks {
            next: AtomicU64::new(0),
            list: Mutex::new(Vec::new()),
        })
    }

    /// Adds `callback` until the returned handler is disconnected or dropped.
    pub fn add(self: &Arc<Self>, callback: Box<T>) -> Box<dyn Handler> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push((id, Arc::from(callback)));
        let me = Arc::downgrade(self);
        Registration::handler(move || {
            if let Some(me) = me.upgrade() {
                me.lock().retain(|(i, _)| *i != id);
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<T>)>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether any callback is registered.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Calls every callback (outside the lock); one whose process went away
    /// is forgotten, other failures are logged.
    pub fn each(&self, call: impl Fn(&T) -> interfaces::Result<()>) {
        let list: Vec<(u64, Arc<T>)> = self.lock().clone();
        for (id, cb) in list {
            match call(&cb) {
                Ok(()) => {}
                Err(interfaces::Error::Disconnected) => self.lock().retain(|(i, _)| *i != id),
                Err(e) => tracing::debug!(target: "ipc", "UI callback failed: {e}"),
            }
        }
    }

    /// Calls every callback and returns the first answer (the GUI's answer
    /// to a message box or question); `None` without callbacks.
    pub fn ask(&self, call: impl Fn(&T) -> interfaces::Result<bool>) -> Option<bool> {
        let list: Vec<(u64, Arc<T>)> = self.lock().clone();
        let mut answer = None;
        for (_, cb) in list {
            if let Ok(a) = call(&cb) {
                answer.get_or_insert(a);
            }
        }
        answer
    }
}
