//! Deleting old block and undo files (`-prune`): on request up to a height
//! (`pruneblockchain`) or automatically once the files outgrow a target.
//! Blocks of a deleted file lose their data bits in the block index, so
//! readers answer "pruned data" instead of failing on a missing file.

use blockstore::store::status;

use crate::chainstate::Chainstate;
use crate::error::Result;

/// Blocks below the tip whose files are never deleted, so reorgs and
/// indexes still find their data (Core's `MIN_BLOCKS_TO_KEEP`).
pub const MIN_BLOCKS_TO_KEEP: u32 = 288;

/// Blocks below an index's best block that pruning also keeps, so the
/// index can still rewind a short reorg (Core's `PRUNE_LOCK_BUFFER`).
const PRUNE_LOCK_BUFFER: i64 = 10;

/// Room kept free for the next block and undo file chunks when pruning
/// automatically (Core's blk and rev chunk sizes).
const PRUNE_BUFFER_BYTES: u64 = 0x100_0000 + 0x10_0000;

impl Chainstate {
    /// Whether block files were ever pruned (Core's `m_have_pruned`): blocks
    /// merely not downloaded yet, below an assumeutxo snapshot, do not count.
    pub fn have_pruned(&self) -> bool {
        matches!(self.store.read_flag("prunedblockfiles"), Ok(Some(true)))
    }

    /// Height of the last block whose data or undo data is gone, searching
    /// down from the tip (`None` when nothing above genesis is missing).
    pub fn prune_height(&self) -> Option<u32> {
        let missing = |h: u32| {
            self.at_height(h)
                .and_then(|id| self.index.entry(id))
                .is_some_and(|e| e.status & status::HAVE_MASK != status::HAVE_MASK)
        };
        (1..=self.height()).rev().find(|h| missing(*h))
    }

    /// Records that the index `name` has processed the active chain up to
    /// `height`, so pruning keeps the blocks above it.
    pub fn set_prune_lock(&self, name: &'static str, height: u32) {
        self.prune_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, height);
    }

    /// The block at `height` left the active chain: indexes that went past
    /// it must be able to rewind, so their locks move below it.
    pub(crate) fn move_prune_locks_below(&self, height: u32) {
        let below = height.saturating_sub(1);
        let mut locks = self.prune_locks.lock().unwrap_or_else(|p| p.into_inner());
        for (name, locked) in locks.iter_mut() {
            if *locked > below {
                *locked = below;
                tracing::debug!(target: "prune", "{name} prune lock moved back to {below}");
            }
        }
    }

    /// The highest block whose file may be deleted when asked to prune up
    /// to `height`: below every index's prune lock and never within
    /// [`MIN_BLOCKS_TO_KEEP`] of the tip.
    fn last_prunable(&self, height: u32) -> u32 {
        let mut last = i64::from(self.height());
        let mut limiting = None;
        for (name, locked) in self
            .prune_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let lock_height = i64::from(*locked) - PRUNE_LOCK_BUFFER - 1;
            last = last.min(lock_height).max(1);
            if last == lock_height {
                limiting = Some(*name);
            }
        }
        if let Some(name) = limiting {
            tracing::debug!(target: "prune", "{name} limited pruning to height {last}");
        }
        let last = u32::try_from(last).unwrap_or(0);
        height
            .min(last)
            .min(self.height().saturating_sub(MIN_BLOCKS_TO_KEEP))
    }

    /// Deletes every complete block file holding only blocks at or below
    /// `height` (kept [`MIN_BLOCKS_TO_KEEP`] from the tip), as
    /// `pruneblockchain` does. Returns the number of files removed.
    pub fn prune_manual(&mut self, height: u32) -> Result<usize> {
        let last = self.last_prunable(height);
        let files: Vec<u32> = (0..self.files.last_file())
            .filter(|n| {
                self.files
                    .file_info(*n)
                    .is_some_and(|i| i.n_size != 0 && i.height_last <= last)
            })
            .collect();
        self.remove_block_files(&files)?;
        tracing::info!(
            "[background] Prune (Manual): prune_height={} removed {} blk/rev pairs",
            last,
            files.len()
        );
        Ok(files.len())
    }

    /// Deletes the oldest block files while their total size is above the
    /// `-prune` target, leaving room for the next chunks.
    pub(crate) fn prune_to_target(&mut self) -> Result<()> {
        let Some(target) = self.config.auto_prune_target else {
            return Ok(());
        };
        if u64::from(self.height()) <= self.params.prune_after_height {
            return Ok(());
        }
        let mut usage = self.files.current_usage();
        let mut buffer = PRUNE_BUFFER_BYTES;
        if usage + buffer < target {
            return Ok(());
        }
        if self.is_initial_block_download() {
            // Leave more room while syncing fast, so pruning runs less often.
            buffer += target / 10;
        }
        let last = self.last_prunable(self.height());
        let mut files = Vec::new();
        for n in 0..self.files.last_file() {
            if usage + buffer < target {
                break;
            }
            let Some(info) = self.files.file_info(n) else {
                continue;
            };
            if info.n_size == 0 || info.height_last > last {
                continue;
            }
            usage -= u64::from(info.n_size) + u64::from(info.n_undo_size);
            files.push(n);
        }
        let mib = |b: u64| b / (1 << 20);
        tracing::debug!(
            target: "prune",
            "target={}MiB actual={}MiB diff={}MiB min_height=0 max_prune_height={} removed {} blk/rev pairs",
            mib(target),
            mib(usage),
            mib(target).saturating_sub(mib(usage)),
            last,
            files.len()
        );
        self.remove_block_files(&files)
    }

    /// Forgets where the blocks of `files` are, writes that down, and only
    /// then deletes the files, so a crash never leaves the index pointing
    /// at missing data.
    fn remove_block_files(&mut self, files: &[u32]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let doomed: Vec<_> = self
            .index
            .entries()
            .filter(|(_, e)| e.status & status::HAVE_DATA != 0 && files.contains(&e.file))
            .map(|(id, _)| id)
            .collect();
        for id in doomed {
            if let Some(e) = self.index.entry_mut(id) {
                e.status &= !status::HAVE_MASK;
                e.file = 0;
                e.data_pos = 0;
                e.undo_pos = 0;
            }
            self.dirty_index.insert(id);
            self.candidates.remove(&id);
        }
        self.unlinked.retain(|_, children| {
            children.retain(|c| {
                self.index
                    .entry(*c)
                    .is_some_and(|e| e.status & status::HAVE_DATA != 0)
            });
            !children.is_empty()
        });
        self.files.mark_pruned(files);
        self.store.write_flag("prunedblockfiles", true)?;
        self.flush()?;
        self.files.remove_files(files)?;
        Ok(())
    }
}
