//! Per-thread job queues. Every thread that makes IPC calls, and every worker
//! created by `ThreadMap.makeThread`, owns a [`Waiter`]. Server calls are posted
//! to a waiter and run in FIFO order; while its thread waits for the reply to an
//! outgoing call it keeps running posted jobs, so a callback into this process
//! (posted to the same thread) runs nested instead of deadlocking, as in
//! libmultiprocess.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A unit of work posted to a thread.
pub type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    stopping: bool,
}

/// A thread's queue of posted jobs.
#[derive(Default)]
pub struct Waiter {
    state: Mutex<State>,
    cv: Condvar,
}

thread_local! {
    static CURRENT: Arc<Waiter> = Arc::new(Waiter::default());
}

impl Waiter {
    /// The waiter of the calling thread.
    pub fn current() -> Arc<Waiter> {
        CURRENT.with(Arc::clone)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A job that panicked poisons nothing we rely on: jobs run unlocked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job` to run on the waiter's thread; returns false if the thread
    /// has stopped taking jobs.
    pub fn post(&self, job: Job) -> bool {
        let mut s = self.lock();
        if s.stopping {
            return false;
        }
        s.jobs.push_back(job);
        self.cv.notify_all();
        true
    }

    /// Asks a worker's [`Waiter::run_until_stopped`] loop to finish its queue and return.
    pub fn stop(&self) {
        self.lock().stopping = true;
        self.cv.notify_all();
    }

    /// Runs posted jobs until `done` returns a value. Must be called on the
    /// waiter's own thread.
    pub fn wait_for<R>(&self, mut done: impl FnMut() -> Option<R>) -> R {
        loop {
            if let Some(r) = done() {
                return r;
            }
            let mut s = self.lock();
            loop {
                if let Some(job) = s.jobs.pop_front() {
                    drop(s);
                    job();
                    break;
                }
                s = self.cv.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// Worker loop: runs jobs until [`Waiter::stop`] and the queue is empty.
    pub fn run_until_stopped(&self) {
        loop {
            let mut s = self.lock();
            loop {
                if let Some(job) = s.jobs.pop_front() {
                    drop(s);
                    job();
                    break;
                }
                if s.stopping {
                    return;
                }
                s = self.cv.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        }
    }
}

/// A one-shot reply slot filled by a job posted to the waiting thread, so the
/// reply wakes [`Waiter::wait_for`] like any other job.
pub struct Reply<T> {
    slot: Arc<Mutex<Option<T>>>,
}

impl<T: Send + 'static> Reply<T> {
    /// An empty slot.
    pub fn new() -> Self {
        Reply {
            slot: Arc::new(Mutex::new(None)),
        }
    }

    /// A job that fills the slot with `value` when run.
    pub fn filler(&self, value: T) -> Job {
        let slot = self.slot.clone();
        Box::new(move || *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(value))
    }

    /// Another handle to the same slot.
    pub fn clone_slot(&self) -> Self {
        Reply {
            slot: self.slot.clone(),
        }
    }

    /// Takes the value if it has arrived.
    pub fn take(&self) -> Option<T> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl<T: Send + 'static> Default for Reply<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn jobs_run_fifo_and_nested_while_waiting() {
        let waiter = Waiter::current();
        let (tx, rx) = mpsc::channel();
        for i in 0..3 {
            let tx = tx.clone();
            waiter.post(Box::new(move || tx.send(i).expect("send")));
        }
        let reply = Reply::new();
        waiter.post(reply.filler("done"));
        assert_eq!(waiter.wait_for(|| reply.take()), "done");
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn worker_finishes_queue_then_stops() {
        let waiter = Arc::new(Waiter::default());
        let (tx, rx) = mpsc::channel();
        for i in 0..5 {
            let tx = tx.clone();
            assert!(waiter.post(Box::new(move || tx.send(i).expect("send"))));
        }
        waiter.stop();
        assert!(!waiter.post(Box::new(|| {})));
        let w = waiter.clone();
        std::thread::spawn(move || w.run_until_stopped())
            .join()
            .expect("join");
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    }
}
