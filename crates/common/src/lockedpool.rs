//! Memory for secrets that is kept out of swap and core dumps: Core's
//! `LockedPool`, whose statistics `getmemoryinfo` reports.
//!
//! Memory comes in arenas of [`ARENA_SIZE`] bytes mapped from the system
//! and locked with `mlock` (if the system allows: `locked` counts only what
//! was locked). Each allocation is a chunk of an arena, rounded up to
//! [`ALIGN`]; a freed chunk joins free neighbours again. Arenas stay mapped
//! for the life of the process, so handing out pointers into them is safe.
//! Anything that cannot come from the pool (mapping refused, or a request
//! larger than an arena) is kept on the heap instead, still wiped on drop.

use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Size of one arena (Core's `LockedPool::ARENA_SIZE`).
pub const ARENA_SIZE: usize = 256 * 1024;
/// Chunk sizes are multiples of this (Core's `ARENA_ALIGN`).
pub const ALIGN: usize = 16;

/// One mapped region and how it is cut into chunks.
struct Arena {
    base: NonNull<u8>,
    locked: bool,
    /// Free chunks: start offset to length.
    free: BTreeMap<usize, usize>,
    /// Chunks in use: start offset to length.
    used: BTreeMap<usize, usize>,
}

// SAFETY: the arena's memory is owned by the pool alone; every access to
// its bookkeeping goes through the pool's mutex, and the bytes of a chunk
// only through the one `LockedBytes` that owns it.
unsafe impl Send for Arena {}

impl Arena {
    /// Maps and tries to lock a new arena; `None` if the system refuses
    /// the mapping.
    fn map() -> Option<Arena> {
        // SAFETY: an anonymous private mapping with no address hint has no
        // preconditions; the result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ARENA_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let base = NonNull::new(p.cast::<u8>())?;
        // SAFETY: `p` is the start of a mapping of ARENA_SIZE bytes.
        // Locking may fail (RLIMIT_MEMLOCK); the memory is usable anyway.
        let locked = unsafe { libc::mlock(p, ARENA_SIZE) } == 0;
        #[cfg(target_os = "linux")]
        // SAFETY: as above; advice that only keeps the pages out of dumps.
        unsafe {
            libc::madvise(p, ARENA_SIZE, libc::MADV_DONTDUMP);
        }
        Some(Arena {
            base,
            locked,
            free: BTreeMap::from([(0, ARENA_SIZE)]),
            used: BTreeMap::new(),
        })
    }

    /// Takes `size` bytes (already aligned) from the smallest free chunk
    /// that holds them: best fit keeps large chunks for large requests.
    fn alloc(&mut self, size: usize) -> Option<usize> {
        let (&start, &len) = self
            .free
            .iter()
            .filter(|(_, &len)| len >= size)
            .min_by_key(|(_, &len)| len)?;
        self.free.remove(&start);
        if len > size {
            self.free.insert(start + size, len - size);
        }
        self.used.insert(start, size);
        Some(start)
    }

    /// Returns the chunk at `start`, merged with free chunks on either side.
    fn release(&mut self, start: usize) {
        let Some(mut len) = self.used.remove(&start) else {
            return;
        };
        let mut start = start;
        if let Some(next) = self.free.remove(&(start + len)) {
            len += next;
        }
        if let Some((&prev, &prev_len)) = self.free.range(..start).next_back() {
            if prev + prev_len == start {
                self.free.remove(&prev);
                start = prev;
                len += prev_len;
            }
        }
        self.free.insert(start, len);
    }
}

/// The pool's figures, as `getmemoryinfo` names them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes in chunks in use.
    pub used: usize,
    /// Bytes in free chunks.
    pub free: usize,
    /// Bytes in all arenas.
    pub total: usize,
    /// Bytes of arenas that could be locked.
    pub locked: usize,
    /// Chunks in use.
    pub chunks_used: usize,
    /// Free chunks.
    pub chunks_free: usize,
}

/// A set of arenas.
#[derive(Default)]
pub struct LockedPool {
    arenas: Vec<Arena>,
}

impl LockedPool {
    /// Allocates `len` bytes (at least one), mapping a new arena when none
    /// has room; the arena index and offset, or `None` when the request
    /// exceeds an arena or the system refuses memory.
    fn alloc(&mut self, len: usize) -> Option<(usize, usize)> {
        let size = len.max(1).checked_next_multiple_of(ALIGN)?;
        if size > ARENA_SIZE {
            return None;
        }
        for (i, a) in self.arenas.iter_mut().enumerate() {
            if let Some(off) = a.alloc(size) {
                return Some((i, off));
            }
        }
        let mut arena = Arena::map()?;
        let off = arena.alloc(size)?;
        self.arenas.push(arena);
        Some((self.arenas.len() - 1, off))
    }

    /// The pool's current figures.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        for a in &self.arenas {
            s.used += a.used.values().sum::<usize>();
            s.free += a.free.values().sum::<usize>();
            s.total += ARENA_SIZE;
            s.locked += if a.locked { ARENA_SIZE } else { 0 };
            s.chunks_used += a.used.len();
            s.chunks_free += a.free.len();
        }
        s
    }
}

/// The process's pool.
fn pool() -> MutexGuard<'static, LockedPool> {
    static POOL: OnceLock<Mutex<LockedPool>> = OnceLock::new();
    let m = POOL.get_or_init(|| Mutex::new(LockedPool::default()));
    // A panic while holding the lock leaves the bookkeeping consistent
    // (no step of it can panic half-way), so a poisoned lock is usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The statistics of the process's pool (Core's `getmemoryinfo` "locked").
pub fn stats() -> Stats {
    pool().stats()
}

enum Storage {
    Pool {
        arena: usize,
        offset: usize,
        ptr: NonNull<u8>,
    },
    Heap(Box<[u8]>),
}

/// Secret bytes in the process's pool, wiped and returned on drop.
pub struct LockedBytes {
    storage: Storage,
    len: usize,
}

// SAFETY: the chunk belongs to this value alone (see `Arena`).
unsafe impl Send for LockedBytes {}
// SAFETY: shared access only reads the bytes.
unsafe impl Sync for LockedBytes {}

impl LockedBytes {
    /// A copy of `bytes` in locked memory (on the heap if the pool cannot
    /// take it).
    pub fn new(bytes: &[u8]) -> LockedBytes {
        let len = bytes.len();
        let mut p = pool();
        let storage = match p.alloc(len) {
            Some((arena, offset)) => {
                let base = p.arenas[arena].base;
                // SAFETY: `offset + len` lies within the arena's mapping.
                let ptr = unsafe { NonNull::new_unchecked(base.as_ptr().add(offset)) };
                // SAFETY: the chunk is at least `len` bytes, ours alone, and
                // does not overlap `bytes` (which is not pool memory we own).
                unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), len) };
                Storage::Pool { arena, offset, ptr }
            }
            None => Storage::Heap(bytes.into()),
        };
        LockedBytes { storage, len }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.storage {
            // SAFETY: `ptr` points at `len` initialized bytes of a chunk
            // that stays mapped and owned by `self`.
            Storage::Pool { ptr, .. } => unsafe {
                std::slice::from_raw_parts(ptr.as_ptr(), self.len)
            },
            Storage::Heap(b) => b,
        }
    }
}

impl Clone for LockedBytes {
    fn clone(&self) -> Self {
        LockedBytes::new(self.as_slice())
    }
}

impl std::fmt::Debug for LockedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LockedBytes({} bytes)", self.len)
    }
}

impl Drop for LockedBytes {
    fn drop(&mut self) {
        match &mut self.storage {
            Storage::Pool { arena, offset, ptr } => {
                // SAFETY: the chunk is ours and `len` bytes long; volatile
                // writes so the wipe is not optimised away.
                for i in 0..self.len {
                    unsafe { std::ptr::write_volatile(ptr.as_ptr().add(i), 0) };
                }
                if let Some(a) = pool().arenas.get_mut(*arena) {
                    a.release(*offset);
                }
            }
            Storage::Heap(b) => {
                for x in b.iter_mut() {
                    // SAFETY: `x` is a valid, exclusive reference.
                    unsafe { std::ptr::write_volatile(x, 0) };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_aligned_best_fit_and_merge_when_freed() {
        let mut pool = LockedPool::default();
        let a = pool.alloc(1).expect("a");
        let b = pool.alloc(100).expect("b");
        let c = pool.alloc(16).expect("c");
        assert_eq!((a.1, b.1, c.1), (0, 16, 128));
        let s = pool.stats();
        assert_eq!(s.used, 16 + 112 + 16);
        assert_eq!(s.used + s.free, s.total);
        assert_eq!(s.total, ARENA_SIZE);
        assert_eq!((s.chunks_used, s.chunks_free), (3, 1));

        // Freeing b leaves a hole; a small request fits it best.
        pool.arenas[0].release(b.1);
        assert_eq!(pool.stats().chunks_free, 2);
        let d = pool.alloc(32).expect("d");
        assert_eq!(d.1, 16);
        // Freeing everything merges back into one free chunk.
        for off in [a.1, c.1, d.1] {
            pool.arenas[0].release(off);
        }
        let s = pool.stats();
        assert_eq!((s.used, s.chunks_used, s.chunks_free), (0, 0, 1));
        assert_eq!(s.free, ARENA_SIZE);
    }

    #[test]
    fn requests_beyond_an_arena_are_refused_and_new_arenas_open() {
        let mut pool = LockedPool::default();
        assert!(pool.alloc(ARENA_SIZE + 1).is_none());
        assert_eq!(pool.alloc(ARENA_SIZE).map(|x| x.0), Some(0));
        assert_eq!(pool.alloc(1).map(|x| x.0), Some(1));
        assert_eq!(pool.stats().total, 2 * ARENA_SIZE);
    }

    #[test]
    fn locked_bytes_hold_their_copy_and_count_in_the_process_pool() {
        let secret = LockedBytes::new(b"correct horse");
        assert_eq!(secret.as_slice(), b"correct horse");
        let copy = secret.clone();
        assert_eq!(copy.as_slice(), secret.as_slice());
        let s = stats();
        assert!(s.used >= 32 && s.chunks_used >= 2 && s.chunks_free >= 1);
        assert_eq!(s.used + s.free, s.total);
        let big = LockedBytes::new(&vec![7u8; ARENA_SIZE + 1]);
        assert_eq!(big.as_slice().len(), ARENA_SIZE + 1);
    }
}
