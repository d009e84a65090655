//! Reading blocks ahead of a rescan. Each `findBlock` is an IPC round trip
//! to the node (four thread hand-offs across two processes), and a rescan
//! waiting for one block at a time spends most of its time waiting. A few
//! long-lived threads read the next blocks concurrently while the scan
//! processes the current one.
//!
//! The scan still decides what it scans exactly as before: it takes a
//! read-ahead block only when its hash is the one it expects next (the
//! previous block's active successor), and reads the block itself
//! otherwise, so a reorg during the rescan is seen just as without
//! read-ahead.

use bitcoin::BlockHash;
use interfaces::chain::{Chain, FoundBlockParam, FoundBlockResult};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

/// Threads reading ahead. The node works on one call per wallet thread, so
/// this is how many blocks are in flight at once. With several in flight
/// each process's event loop handles several messages per wake-up, which
/// also lowers the CPU time per block; measured on 2 cores, 4 threads read
/// about three times as fast as one, and more gained little.
const THREADS: usize = 4;

/// How many blocks past the one being scanned may be read ahead (bounds
/// the memory held by blocks read but not yet scanned).
const WINDOW: i32 = 16;

/// A unit of work for the pool.
type Job = Box<dyn FnOnce() + Send>;

/// The read-ahead threads, shared by every wallet of the process.
///
/// They live as long as the process: the IPC layer gives each calling
/// thread its own worker thread in the node for the life of the
/// connection, so threads made per rescan would each leave one behind.
struct Pool {
    jobs: Mutex<Sender<Job>>,
}

impl Pool {
    /// The process's pool, started on first use.
    fn get() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            for i in 0..THREADS {
                let rx = rx.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("b-rescan-{i}"))
                    .spawn(move || run_jobs(&rx));
                if let Err(e) = spawned {
                    tracing::warn!("could not start a rescan read-ahead thread: {e}");
                }
            }
            Pool {
                jobs: Mutex::new(tx),
            }
        })
    }

    /// Queues `job`; false when no thread takes jobs any more.
    fn submit(&self, job: Job) -> bool {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .is_ok()
    }
}

/// A pool thread: runs jobs in the order they were queued.
fn run_jobs(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// What the node answered for one height.
type Fetched = interfaces::Result<(FoundBlockResult, bool)>;

/// Blocks of one rescan read ahead: the ancestors of `anchor` at heights
/// `next..=end`, at most [`WINDOW`] past the height asked for last.
pub(super) struct ReadAhead {
    chain: Arc<dyn Chain>,
    anchor: BlockHash,
    want: FoundBlockParam,
    /// The next height to queue.
    next: i32,
    /// The last height to read ahead.
    end: i32,
    results: Receiver<(i32, Fetched)>,
    sender: Sender<(i32, Fetched)>,
    /// Answers that came in before they were asked for.
    ready: BTreeMap<i32, Fetched>,
    /// Heights queued and not yet answered.
    pending: usize,
    /// Set when the rescan is over, so queued reads are skipped.
    cancelled: Arc<AtomicBool>,
}

impl ReadAhead {
    /// Reads the blocks at heights `start..=end` on the chain ending at
    /// `anchor`, each with what `want` asks (its hash is always asked, to
    /// check it is the block the scan expects).
    pub(super) fn new(
        chain: Arc<dyn Chain>,
        anchor: BlockHash,
        start: i32,
        end: i32,
        want: &FoundBlockParam,
    ) -> ReadAhead {
        let (sender, results) = mpsc::channel();
        let mut want = want.clone();
        want.want_hash = true;
        ReadAhead {
            chain,
            anchor,
            want,
            next: start,
            end,
            results,
            sender,
            ready: BTreeMap::new(),
            pending: 0,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The block at `height` if it was read ahead and is `hash`; `None`
    /// when the caller must read it itself (beyond the read-ahead range, a
    /// failed read, or another block there since a reorg).
    pub(super) fn take(
        &mut self,
        height: i32,
        hash: &BlockHash,
    ) -> Option<(FoundBlockResult, bool)> {
        self.queue_up_to(height.saturating_add(WINDOW));
        if height >= self.next {
            // Not queued: out of range or the pool is gone.
            return None;
        }
        let fetched = self.wait_for(height)?;
        match fetched {
            Ok((found, ok)) if found.hash.as_ref() == Some(hash) => Some((found, ok)),
            _ => None,
        }
    }

    /// Queues the heights up to `last` (and the range's end).
    fn queue_up_to(&mut self, last: i32) {
        while self.next <= self.end.min(last) {
            let height = self.next;
            let chain = self.chain.clone();
            let anchor = self.anchor;
            let want = self.want.clone();
            let sender = self.sender.clone();
            let cancelled = self.cancelled.clone();
            let job: Job = Box::new(move || {
                if cancelled.load(Ordering::SeqCst) {
                    return;
                }
                // A panic must still answer, or the scan would wait for
                // this height for ever.
                let fetched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    chain.find_ancestor_by_height(&anchor, height, &want)
                }))
                .unwrap_or_else(|_| {
                    Err(interfaces::Error::Remote("block read-ahead failed".into()))
                });
                // The scan may have ended meanwhile; then nobody listens.
                let _ = sender.send((height, fetched));
            });
            if !Pool::get().submit(job) {
                return;
            }
            self.next += 1;
            self.pending += 1;
        }
    }

    /// Waits for the answer for `height` (queued already); `None` if it
    /// can no longer come.
    fn wait_for(&mut self, height: i32) -> Option<Fetched> {
        loop {
            // Answers for heights the scan went past are of no use.
            self.ready = self.ready.split_off(&height);
            if let Some(f) = self.ready.remove(&height) {
                return Some(f);
            }
            if self.pending == 0 {
                return None;
            }
            let (h, f) = self.results.recv().ok()?;
            self.pending -= 1;
            self.ready.insert(h, f);
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
}
