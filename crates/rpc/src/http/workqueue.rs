//! A fixed pool of worker threads fed by a bounded queue: request handlers may
//! block (long polls, `stop` with `wait`), so they never run on the I/O threads.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send + 'static>;

struct State {
    jobs: VecDeque<Job>,
    running: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The queue already holds `depth` waiting jobs.
    Full,
    /// The pool is shutting down.
    Stopped,
}

/// Worker threads with a queue depth limit.
pub struct WorkQueue {
    shared: Arc<Shared>,
    depth: usize,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl WorkQueue {
    /// Starts `threads` workers (`httpworker.N`) accepting up to `depth` waiting jobs.
    pub fn start(threads: usize, depth: usize) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                running: true,
            }),
            wake: Condvar::new(),
        });
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("httpworker.{i}"))
                .spawn(move || worker(shared));
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => tracing::error!("Unable to start HTTP worker thread: {e}"),
            }
        }
        WorkQueue {
            shared,
            depth: depth.max(1),
            threads: Mutex::new(handles),
        }
    }

    /// Queues a job unless the queue is full or stopped.
    pub fn submit(&self, job: impl FnOnce() + Send + 'static) -> Result<(), SubmitError> {
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if !st.running {
            return Err(SubmitError::Stopped);
        }
        if st.jobs.len() >= self.depth {
            return Err(SubmitError::Full);
        }
        st.jobs.push_back(Box::new(job));
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Stops accepting jobs, lets the workers finish what is queued, and joins them.
    pub fn stop(&self) {
        {
            let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            st.running = false;
            self.shared.wake.notify_all();
        }
        let handles = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for h in handles {
            let _ = h.join();
        }
    }
}

fn worker(shared: Arc<Shared>) {
    loop {
        let job = {
            let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(job) = st.jobs.pop_front() {
                    break job;
                }
                if !st.running {
                    return;
                }
                st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
            }
        };
        job();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn full_queue_rejects() {
        let q = WorkQueue::start(1, 1);
        let (block_tx, block_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        q.submit(move || {
            started_tx.send(()).unwrap();
            block_rx.recv().unwrap();
        })
        .unwrap();
        started_rx.recv().unwrap();
        q.submit(|| {}).unwrap();
        assert_eq!(q.submit(|| {}), Err(SubmitError::Full));
        block_tx.send(()).unwrap();
        q.stop();
        assert_eq!(q.submit(|| {}), Err(SubmitError::Stopped));
    }
}
