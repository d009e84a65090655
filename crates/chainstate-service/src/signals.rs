//! Validation events for clients (wallets), delivered in the order they
//! happened on one thread of their own (Core's `ValidationSignals` with its
//! single-threaded scheduler queue): a slow client delays only later events,
//! never validation itself. Subscriptions made for a client process go
//! through that client's [`Lane`], so a client that hangs delays only its
//! own events.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, Weak};

use bitcoin::{Block, BlockHash, Transaction};
use mempool::{PoolEvents, RemovalReason};

use crate::lanes::{Lane, LaneSubscriber, Queued as LaneQueued};

/// One validation event.
#[derive(Debug, Clone)]
pub enum Event {
    /// A transaction entered the mempool, taking this mempool sequence number.
    TransactionAdded(Arc<Transaction>, u64),
    /// A transaction left the mempool, taking this mempool sequence number.
    TransactionRemoved(Arc<Transaction>, RemovalReason, u64),
    /// A block was connected at a height.
    BlockConnected(Arc<Block>, u32),
    /// A block at a height was disconnected.
    BlockDisconnected(Arc<Block>, u32),
    /// The tip changed (after the block events that changed it).
    UpdatedBlockTip,
    /// The chainstate was written to disk at this tip (with its locator's hashes).
    ChainStateFlushed(Vec<BlockHash>),
}

/// Receives events. Returning `false` unsubscribes (a client that went away).
pub trait Subscriber: Send + Sync {
    /// Handles one event.
    fn notify(&self, event: &Event) -> bool;
}

/// A work item on the delivery thread that runs once, in queue order.
pub type Task = Box<dyn FnOnce() + Send>;

/// What waits in the queue: an event for every subscriber, or a task.
enum Queued {
    Event(Event),
    Task(Task),
}

#[derive(Default)]
struct State {
    events: VecDeque<Queued>,
    subscribers: Vec<(u64, Arc<dyn Subscriber>)>,
    next_id: u64,
    delivering: bool,
    stopped: bool,
    /// Each client's lane, while it has subscriptions.
    lanes: HashMap<u64, Weak<Lane>>,
}

/// The event queue and its delivery thread.
pub struct ValidationSignals {
    state: Mutex<State>,
    changed: Condvar,
}

thread_local! {
    /// Set on the delivery and lane threads (and on calls nested into them).
    pub(crate) static DELIVERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl ValidationSignals {
    /// A queue with its delivery thread (which ends when the queue is dropped
    /// or stopped).
    pub fn start() -> Arc<ValidationSignals> {
        let signals = Arc::new(ValidationSignals {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let weak = Arc::downgrade(&signals);
        let spawned = std::thread::Builder::new()
            .name("b-scheduler".into())
            .spawn(move || deliver(weak));
        if let Err(e) = spawned {
            tracing::error!("Failed to start the validation event thread: {e}");
        }
        signals
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber; returns its id for [`ValidationSignals::unsubscribe`].
    pub fn subscribe(&self, subscriber: Arc<dyn Subscriber>) -> u64 {
        let mut s = self.lock();
        s.next_id += 1;
        let id = s.next_id;
        s.subscribers.push((id, subscriber));
        id
    }

    /// Adds a subscriber of the client `client`, delivered through that
    /// client's lane; returns its id for [`ValidationSignals::unsubscribe`].
    pub fn subscribe_in_lane(&self, client: u64, subscriber: Arc<dyn Subscriber>) -> u64 {
        let lane = {
            let mut s = self.lock();
            s.lanes.retain(|_, l| l.strong_count() > 0);
            match s.lanes.get(&client).and_then(Weak::upgrade) {
                Some(l) => l,
                None => {
                    let l = Lane::start(client);
                    s.lanes.insert(client, Arc::downgrade(&l));
                    l
                }
            }
        };
        self.subscribe(Arc::new(LaneQueued(LaneSubscriber::new(lane, subscriber))))
    }

    fn lane(&self, client: u64) -> Option<Arc<Lane>> {
        self.lock().lanes.get(&client).and_then(Weak::upgrade)
    }

    /// Removes a subscriber (events already being delivered may still reach it).
    pub fn unsubscribe(&self, id: u64) {
        self.lock().subscribers.retain(|(i, _)| *i != id);
    }

    /// Whether anyone listens (events are not queued otherwise).
    pub fn has_subscribers(&self) -> bool {
        !self.lock().subscribers.is_empty()
    }

    /// Queues `event` for every subscriber.
    pub fn push(&self, event: Event) {
        let mut s = self.lock();
        if s.subscribers.is_empty() || s.stopped {
            return;
        }
        s.events.push_back(Queued::Event(event));
        self.changed.notify_all();
    }

    /// Queues `task` to run once on the delivery thread, after every event
    /// queued before it and before any queued after (Core gets this order
    /// by calling back under `cs_main` and the mempool lock). Hands the task
    /// back when it cannot wait its turn: on the delivery thread itself
    /// (where everything earlier already ran) or after [`Self::stop`].
    pub fn push_task(&self, task: Task) -> Result<(), Task> {
        if DELIVERING.with(|d| d.get()) {
            return Err(task);
        }
        let mut s = self.lock();
        if s.stopped {
            return Err(task);
        }
        s.events.push_back(Queued::Task(task));
        self.changed.notify_all();
        Ok(())
    }

    /// Like [`Self::push_task`], but ordered among the events of the
    /// client `client`: the task runs in its lane after the events queued
    /// before it have reached that client (on the shared queue when the
    /// client has no lane).
    pub fn push_task_for(self: &Arc<Self>, client: u64, task: Task) -> Result<(), Task> {
        let on_delivery_thread = DELIVERING.with(|d| d.get());
        if on_delivery_thread || self.lock().stopped || self.lane(client).is_none() {
            return self.push_task(task);
        }
        let weak = Arc::downgrade(self);
        self.push_task(Box::new(move || {
            // Runs on the delivery thread: every earlier event is in the
            // lane by now.
            let lane = weak.upgrade().and_then(|s| s.lane(client));
            match lane {
                Some(l) => {
                    if let Err(task) = l.push_task(task) {
                        task();
                    }
                }
                None => task(),
            }
        }))
        // Stopped meanwhile: the task was dropped with the queue.
        .map_err(|_| Box::new(|| {}) as Task)
    }

    /// Waits until every queued event was delivered, through every lane
    /// (Core's `SyncWithValidationInterfaceQueue`). Returns at once on a
    /// delivery thread, where waiting could never end.
    pub fn wait_idle(&self) {
        self.wait_shared_idle();
        let lanes: Vec<Arc<Lane>> = self
            .lock()
            .lanes
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        for lane in lanes {
            lane.wait_idle();
        }
    }

    /// Waits until every queued event reached the client `client` (the
    /// other clients' lanes are not waited for).
    pub fn wait_idle_for(&self, client: u64) {
        self.wait_shared_idle();
        if let Some(lane) = self.lane(client) {
            lane.wait_idle();
        }
    }

    fn wait_shared_idle(&self) {
        if DELIVERING.with(|d| d.get()) {
            return;
        }
        let mut s = self.lock();
        while (!s.events.is_empty() || s.delivering) && !s.stopped {
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Stops delivering; queued events are dropped.
    pub fn stop(&self) {
        let lanes: Vec<Arc<Lane>> = {
            let mut s = self.lock();
            s.stopped = true;
            s.events.clear();
            self.changed.notify_all();
            s.lanes.drain().filter_map(|(_, l)| l.upgrade()).collect()
        };
        for lane in lanes {
            lane.close();
        }
    }
}

fn deliver(weak: Weak<ValidationSignals>) {
    DELIVERING.with(|d| d.set(true));
    loop {
        let Some(signals) = weak.upgrade() else {
            return;
        };
        let (event, subscribers) = {
            let mut s = signals.lock();
            loop {
                if s.stopped {
                    return;
                }
                if let Some(e) = s.events.pop_front() {
                    s.delivering = true;
                    break (e, s.subscribers.clone());
                }
                // Wake now and then so a dropped queue ends the thread.
                s = signals
                    .changed
                    .wait_timeout(s, std::time::Duration::from_millis(500))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
                if Arc::strong_count(&signals) == 1 {
                    return;
                }
            }
        };
        let gone: Vec<u64> = match event {
            Queued::Event(event) => subscribers
                .iter()
                .filter(|(_, sub)| !sub.notify(&event))
                .map(|(id, _)| *id)
                .collect(),
            Queued::Task(task) => {
                task();
                Vec::new()
            }
        };
        let mut s = signals.lock();
        s.subscribers.retain(|(id, _)| !gone.contains(id));
        s.delivering = false;
        signals.changed.notify_all();
    }
}

/// The mempool's and the chain's events go into the queue.
impl PoolEvents for ValidationSignals {
    fn transaction_added(&self, tx: &Arc<Transaction>, mempool_sequence: u64) {
        if self.has_subscribers() {
            self.push(Event::TransactionAdded(tx.clone(), mempool_sequence));
        }
    }

    fn transaction_removed(
        &self,
        tx: &Arc<Transaction>,
        reason: RemovalReason,
        mempool_sequence: u64,
    ) {
        if self.has_subscribers() {
            self.push(Event::TransactionRemoved(
                tx.clone(),
                reason,
                mempool_sequence,
            ));
        }
    }

    fn block_connected(&self, block: &Block, height: u32) {
        if self.has_subscribers() {
            self.push(Event::BlockConnected(Arc::new(block.clone()), height));
        }
    }

    fn block_disconnected(&self, block: &Block, height: u32) {
        if self.has_subscribers() {
            self.push(Event::BlockDisconnected(Arc::new(block.clone()), height));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize, bool);

    impl Subscriber for Count {
        fn notify(&self, _: &Event) -> bool {
            std::thread::sleep(std::time::Duration::from_millis(5));
            self.0.fetch_add(1, Ordering::SeqCst);
            self.1
        }
    }

    #[test]
    fn events_reach_subscribers_in_order_and_wait_idle_waits() {
        let signals = ValidationSignals::start();
        signals.push(Event::UpdatedBlockTip); // nobody listens: dropped
        let keep = Arc::new(Count(AtomicUsize::new(0), true));
        let leave = Arc::new(Count(AtomicUsize::new(0), false));
        signals.subscribe(keep.clone());
        signals.subscribe(leave.clone());
        for _ in 0..5 {
            signals.push(Event::UpdatedBlockTip);
        }
        signals.wait_idle();
        assert_eq!(keep.0.load(Ordering::SeqCst), 5);
        // A subscriber that answers false is gone after its first event.
        assert_eq!(leave.0.load(Ordering::SeqCst), 1);
        signals.stop();
    }

    #[test]
    fn a_task_runs_after_the_events_before_it_and_before_those_after() {
        let signals = ValidationSignals::start();
        let count = Arc::new(Count(AtomicUsize::new(0), true));
        signals.subscribe(count.clone());
        for _ in 0..3 {
            signals.push(Event::UpdatedBlockTip);
        }
        let (send, seen) = std::sync::mpsc::channel();
        let c = count.clone();
        let queued = signals.push_task(Box::new(move || {
            let _ = send.send(c.0.load(Ordering::SeqCst));
        }));
        assert!(queued.is_ok());
        for _ in 0..3 {
            signals.push(Event::UpdatedBlockTip);
        }
        assert_eq!(seen.recv().ok(), Some(3));
        signals.wait_idle();
        assert_eq!(count.0.load(Ordering::SeqCst), 6);
        signals.stop();
        // Stopped: the task comes back to be run by the caller.
        assert!(signals.push_task(Box::new(|| {})).is_err());
    }

    /// Blocks in `notify` until told to go on.
    struct Stuck(Mutex<std::sync::mpsc::Receiver<()>>, AtomicUsize);

    impl Subscriber for Stuck {
        fn notify(&self, _: &Event) -> bool {
            let _ = self.0.lock().map(|r| r.recv());
            self.1.fetch_add(1, Ordering::SeqCst);
            true
        }
    }

    #[test]
    fn a_client_that_hangs_holds_up_only_its_own_lane() {
        let signals = ValidationSignals::start();
        let (go, wait) = std::sync::mpsc::channel();
        let stuck = Arc::new(Stuck(Mutex::new(wait), AtomicUsize::new(0)));
        let fine = Arc::new(Count(AtomicUsize::new(0), true));
        signals.subscribe_in_lane(1, stuck.clone());
        signals.subscribe_in_lane(2, fine.clone());
        for _ in 0..3 {
            signals.push(Event::UpdatedBlockTip);
        }
        // Client 2 gets every event while client 1 is stuck in the first.
        signals.wait_idle_for(2);
        assert_eq!(fine.0.load(Ordering::SeqCst), 3);
        assert_eq!(stuck.1.load(Ordering::SeqCst), 0);
        // A task for client 2 runs after its events, not behind client 1.
        let (send, seen) = std::sync::mpsc::channel();
        let f = fine.clone();
        let queued = signals.push_task_for(
            2,
            Box::new(move || {
                let _ = send.send(f.0.load(Ordering::SeqCst));
            }),
        );
        assert!(queued.is_ok());
        assert_eq!(seen.recv().ok(), Some(3));
        for _ in 0..3 {
            let _ = go.send(());
        }
        signals.wait_idle();
        assert_eq!(stuck.1.load(Ordering::SeqCst), 3);
        signals.stop();
    }
}
