//! A delivery lane per client process: the events of the subscriptions one
//! client made are handed to it, in order, by a thread of its own, so a
//! client that hangs (a stopped wallet process) holds up only its own
//! events, never the other clients' nor the shared queue.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};

use crate::signals::{Event, Subscriber, Task, DELIVERING};

/// What waits in a lane.
enum Item {
    Event(Event, Arc<LaneSubscriber>),
    Task(Task),
}

#[derive(Default)]
struct State {
    items: VecDeque<Item>,
    busy: bool,
    closed: bool,
}

/// One client's queue and its thread.
pub struct Lane {
    state: Mutex<State>,
    changed: Condvar,
}

impl Lane {
    /// A lane whose thread (named after `key`) runs until the lane is
    /// dropped or closed.
    pub fn start(key: u64) -> Arc<Lane> {
        let lane = Arc::new(Lane {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let weak = Arc::downgrade(&lane);
        let spawned = std::thread::Builder::new()
            .name(format!("b-lane.{key}"))
            .spawn(move || run(weak));
        if let Err(e) = spawned {
            tracing::error!("Failed to start a validation event lane: {e}");
        }
        lane
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, item: Item) -> Result<(), Item> {
        let mut s = self.lock();
        if s.closed {
            return Err(item);
        }
        s.items.push_back(item);
        self.changed.notify_all();
        Ok(())
    }

    /// Queues `task` after everything queued so far; hands it back when
    /// the lane is closed.
    pub fn push_task(&self, task: Task) -> Result<(), Task> {
        match self.push(Item::Task(task)) {
            Ok(()) => Ok(()),
            Err(Item::Task(t)) => Err(t),
            Err(Item::Event(..)) => Ok(()),
        }
    }

    /// Waits until everything queued so far has run (at once on a lane or
    /// delivery thread, where waiting could never end).
    pub fn wait_idle(&self) {
        if DELIVERING.with(|d| d.get()) {
            return;
        }
        let mut s = self.lock();
        while (!s.items.is_empty() || s.busy) && !s.closed {
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Drops what is queued and stops the thread.
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.items.clear();
        self.changed.notify_all();
    }
}

/// A subscription delivered through a lane: the shared queue's thread only
/// hands the event over.
pub struct LaneSubscriber {
    lane: Arc<Lane>,
    inner: Arc<dyn Subscriber>,
    gone: AtomicBool,
}

impl LaneSubscriber {
    /// `inner`, delivered through `lane`.
    pub fn new(lane: Arc<Lane>, inner: Arc<dyn Subscriber>) -> Arc<LaneSubscriber> {
        Arc::new(LaneSubscriber {
            lane,
            inner,
            gone: AtomicBool::new(false),
        })
    }
}

/// The lane's handle on a subscription, so the lane can queue it.
pub(crate) struct Queued(pub Arc<LaneSubscriber>);

impl Subscriber for Queued {
    fn notify(&self, event: &Event) -> bool {
        let sub = &self.0;
        if sub.gone.load(Ordering::SeqCst) {
            return false;
        }
        // A closed lane drops the event, as a stopped queue does.
        let _ = sub.lane.push(Item::Event(event.clone(), sub.clone()));
        true
    }
}

fn run(weak: Weak<Lane>) {
    DELIVERING.with(|d| d.set(true));
    loop {
        let Some(lane) = weak.upgrade() else {
            return;
        };
        let item = {
            let mut s = lane.lock();
            loop {
                if s.closed {
                    return;
                }
                if let Some(item) = s.items.pop_front() {
                    s.busy = true;
                    break item;
                }
                // Wake now and then so a dropped lane ends the thread.
                s = lane
                    .changed
                    .wait_timeout(s, std::time::Duration::from_millis(500))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
                if Arc::strong_count(&lane) == 1 {
                    return;
                }
            }
        };
        match item {
            Item::Event(event, sub) => {
                if !sub.gone.load(Ordering::SeqCst) && !sub.inner.notify(&event) {
                    sub.gone.store(true, Ordering::SeqCst);
                }
            }
            Item::Task(task) => task(),
        }
        let mut s = lane.lock();
        s.busy = false;
        lane.changed.notify_all();
    }
}
