//! Periodic work of a process (Core's `CScheduler` as the node and the
//! wallet use it): tasks repeated on one thread, each after a fixed period or
//! a delay drawn anew for every run, and `mockscheduler`'s jump forward,
//! which makes the tasks that would run in that time due now.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// Work repeated by the scheduler.
type Job = Arc<dyn Fn() + Send + Sync>;

/// The delay before a task's next run, asked again after each run.
type Delay = Arc<dyn Fn() -> Duration + Send + Sync>;

struct Entry {
    delay: Delay,
    next: Instant,
    job: Job,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    stopped: bool,
}

/// A thread running repeated tasks.
pub struct Scheduler {
    state: Mutex<State>,
    changed: Condvar,
}

impl Scheduler {
    /// A scheduler whose thread (`b-scheduler`) runs until [`Self::stop`]
    /// or until it is dropped.
    pub fn start() -> Arc<Scheduler> {
        let scheduler = Arc::new(Scheduler {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let weak = Arc::downgrade(&scheduler);
        let spawned = std::thread::Builder::new()
            .name("b-scheduler".into())
            .spawn(move || run(weak));
        if let Err(e) = spawned {
            tracing::error!("Failed to start the scheduler: {e}");
        }
        scheduler
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `job` every `period`, the first time one period from now.
    pub fn every(&self, period: Duration, job: impl Fn() + Send + Sync + 'static) {
        self.every_after(move || period, job);
    }

    /// Runs `job` again and again, each time `delay()` after the previous
    /// run (the first `delay()` from now). A delay drawn at random on each
    /// call keeps the runs from being predictable to peers (Core reschedules
    /// `ReattemptInitialBroadcast` so).
    pub fn every_after(
        &self,
        delay: impl Fn() -> Duration + Send + Sync + 'static,
        job: impl Fn() + Send + Sync + 'static,
    ) {
        let mut s = self.lock();
        let next = Instant::now() + delay();
        s.entries.push(Entry {
            delay: Arc::new(delay),
            next,
            job: Arc::new(job),
        });
        self.changed.notify_all();
    }

    /// Core's `MockForward`: every task's next run comes `delta` earlier,
    /// so what would run in that time runs now.
    pub fn mock_forward(&self, delta: Duration) {
        let mut s = self.lock();
        let now = Instant::now();
        for e in &mut s.entries {
            e.next = e.next.checked_sub(delta).unwrap_or(now);
        }
        self.changed.notify_all();
    }

    /// Stops the thread; a task running now finishes first.
    pub fn stop(&self) {
        let mut s = self.lock();
        s.stopped = true;
        s.entries.clear();
        self.changed.notify_all();
    }
}

fn run(weak: Weak<Scheduler>) {
    loop {
        let Some(scheduler) = weak.upgrade() else {
            return;
        };
        let job = {
            let mut s = scheduler.lock();
            if s.stopped {
                return;
            }
            let now = Instant::now();
            let due = s
                .entries
                .iter_mut()
                .filter(|e| e.next <= now)
                .min_by_key(|e| e.next);
            match due {
                Some(e) => {
                    e.next = now + (e.delay)();
                    Some(e.job.clone())
                }
                None => {
                    // Wake at the next task, and now and then so a dropped
                    // scheduler ends the thread.
                    let next = s.entries.iter().map(|e| e.next).min();
                    let wait = next
                        .map_or(Duration::from_millis(500), |n| {
                            n.saturating_duration_since(now)
                        })
                        .min(Duration::from_millis(500));
                    drop(scheduler.changed.wait_timeout(s, wait));
                    None
                }
            }
        };
        if let Some(job) = job {
            job();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn mock_forward_runs_what_is_due_in_that_time() {
        let scheduler = Scheduler::start();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        scheduler.every(Duration::from_secs(60), move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        scheduler.mock_forward(Duration::from_secs(60));
        let deadline = Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // Once: the next run is a whole period away again.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        scheduler.stop();
    }
}
