//! The test `Calculator` service both callback tests serve: keeps
//! subscriptions, records the threads `apply` ran on, and calls
//! subscribers from an unrelated thread when `notify` gets a negative value
//! (as a validation event or a wallet notification would).

use interfaces::handler::Handler;
use ipc::testing::{Calculator, Callback};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Subscriptions by id.
pub type Subs = Arc<Mutex<Vec<(u64, Arc<dyn Callback>)>>>;

/// Server side: keeps subscriptions, records where calls ran.
#[derive(Default)]
pub struct Calc {
    /// Current subscriptions.
    pub subs: Subs,
    next: AtomicU64,
    /// Threads `apply` ran on.
    pub threads: Mutex<Vec<String>>,
}

struct Sub {
    subs: Subs,
    id: u64,
}

impl Handler for Sub {
    fn disconnect(&self) -> interfaces::Result<()> {
        self.subs.lock().unwrap().retain(|(i, _)| *i != self.id);
        Ok(())
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}

impl Calculator for Calc {
    fn apply(&self, cb: Box<dyn Callback>, value: i32) -> interfaces::Result<i32> {
        self.threads
            .lock()
            .unwrap()
            .push(ipc::log::long_thread_name());
        Ok(cb.call(value)? + 1)
    }
    fn subscribe(&self, cb: Box<dyn Callback>) -> interfaces::Result<Box<dyn Handler>> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.subs.lock().unwrap().push((id, Arc::from(cb)));
        Ok(Box::new(Sub {
            subs: self.subs.clone(),
            id,
        }))
    }
    fn notify(&self, value: i32) -> interfaces::Result<i32> {
        let subs: Vec<_> = self
            .subs
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        let call_all = move || subs.iter().filter(|c| c.call(value).is_ok()).count() as i32;
        if value < 0 {
            // From a thread unrelated to any incoming call (like a
            // validation event): the peer must run it on a worker.
            return Ok(std::thread::spawn(call_all).join().unwrap());
        }
        Ok(call_all())
    }
    fn reverse_pairs(
        &self,
        pairs: &[(String, Vec<u8>)],
    ) -> interfaces::Result<Vec<(String, Vec<u8>)>> {
        Ok(pairs
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().rev().copied().collect()))
            .collect())
    }
}
