//! The process-wide shutdown request: set by `stop`, signals or init failure;
//! waited on by the main thread and by long-polling RPCs.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A one-way "please shut down" flag that threads can wait on.
#[derive(Default)]
pub struct Shutdown {
    requested: Mutex<bool>,
    cv: Condvar,
}

impl Shutdown {
    /// A flag that is not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests shutdown and wakes every waiter.
    pub fn request(&self) {
        *self.requested.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }

    /// Whether shutdown was requested.
    pub fn is_requested(&self) -> bool {
        *self.requested.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks until shutdown is requested.
    pub fn wait(&self) {
        let mut g = self.requested.lock().unwrap_or_else(|e| e.into_inner());
        while !*g {
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Sleeps up to `timeout`; returns true if shutdown was requested meanwhile.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut g = self.requested.lock().unwrap_or_else(|e| e.into_inner());
        while !*g {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            g = self
                .cv
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn wakes_waiters() {
        let s = Arc::new(Shutdown::new());
        assert!(!s.wait_timeout(Duration::from_millis(10)));
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait());
        s.request();
        t.join().unwrap();
        assert!(s.is_requested());
        assert!(s.wait_timeout(Duration::from_secs(5)));
    }
}
