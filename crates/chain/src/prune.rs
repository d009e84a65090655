//! Deleting old block and undo files (`-prune`): on request up to a height
//! (`pruneblockchain`) or automatically once the files outgrow a target.
//! Blocks of a deleted file lose their data bits in the block index, so
//! readers answer "pruned data" instead of failing on a missing file.

use blockstore::store::status;
use blockstore::BlockFileInfo;

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

/// Smallest share of the `-prune` target one chainstate gets when two
/// split it (Core's `MIN_DISK_SPACE_FOR_BLOCK_FILES`, 550 MiB).
const MIN_PRUNE_TARGET: u64 = 550 * 1024 * 1024;

/// One chainstate as pruning sees it.
struct PruneChain {
    /// Name in log lines (Core's chainstate role).
    role: &'static str,
    /// Height of its tip.
    tip: u32,
    /// Lowest height a pruned file may hold.
    min_height: u32,
}

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
    /// to `height`, on a chain whose tip is at `tip`: below every index's
    /// prune lock and never within [`MIN_BLOCKS_TO_KEEP`] of the tip.
    fn last_prunable(&self, height: u32, tip: u32) -> u32 {
        let mut last = i64::from(tip);
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
        height.min(last).min(tip.saturating_sub(MIN_BLOCKS_TO_KEEP))
    }

    /// The chainstates whose block ranges pruning must respect, each as
    /// its role, its tip height and the lowest height whose file may go
    /// (Core's `GetPruneRange` start): the active chainstate and, while
    /// one runs, the background chainstate. A snapshot chainstate not yet
    /// validated keeps every block up to its base for the background one.
    fn prune_chains(&self) -> Vec<PruneChain> {
        let mut chains = Vec::new();
        let base_height = |id| self.index.entry(id).map(|e| e.height);
        match self.unvalidated_snapshot_base().and_then(base_height) {
            Some(base) => chains.push(PruneChain {
                role: "snapshot",
                tip: self.height(),
                min_height: base + 1,
            }),
            None => chains.push(PruneChain {
                role: if self.snapshot_base().is_some() {
                    "snapshot"
                } else {
                    "normal"
                },
                tip: self.height(),
                min_height: 0,
            }),
        }
        if let Some(tip) = self.background_tip().and_then(base_height) {
            chains.push(PruneChain {
                role: "background",
                tip,
                min_height: 0,
            });
        }
        chains
    }

    /// Files (below the highest in use) holding only blocks within
    /// `min..=last`, in file order.
    fn files_within(&self, min: u32, last: u32) -> impl Iterator<Item = (u32, BlockFileInfo)> + '_ {
        (0..self.files.last_file()).filter_map(move |n| {
            self.files
                .file_info(n)
                .filter(|i| i.n_size != 0 && i.height_last <= last && i.height_first >= min)
                .map(|i| (n, i))
        })
    }

    /// Deletes every complete block file of the active chainstate's
    /// prunable range holding only blocks at or below `height` (kept
    /// [`MIN_BLOCKS_TO_KEEP`] from the tip), as `pruneblockchain` does.
    /// Height 0 prunes nothing, as in Core. Returns the number of files
    /// removed.
    pub fn prune_manual(&mut self, height: u32) -> Result<usize> {
        if height == 0 || self.active.is_empty() {
            return Ok(0);
        }
        let Some(chain) = self.prune_chains().into_iter().next() else {
            return Ok(0);
        };
        let last = if chain.tip == 0 {
            0
        } else {
            self.last_prunable(height, chain.tip)
        };
        let files: Vec<u32> = self
            .files_within(chain.min_height, last)
            .map(|(n, _)| n)
            .collect();
        self.remove_block_files(&files)?;
        tracing::info!(
            "[{}] Prune (Manual): prune_height={} removed {} blk/rev pairs",
            chain.role,
            last,
            files.len()
        );
        Ok(files.len())
    }

    /// Deletes the oldest block files while their total size is above the
    /// `-prune` target, leaving room for the next chunks. With a
    /// background chainstate each chainstate gets half the target (but at
    /// least the minimum) and only files within its own range go.
    pub(crate) fn prune_to_target(&mut self) -> Result<()> {
        let Some(full_target) = self.config.auto_prune_target else {
            return Ok(());
        };
        let chains = self.prune_chains();
        let target = (full_target / chains.len() as u64).max(full_target.min(MIN_PRUNE_TARGET));
        for chain in chains {
            self.prune_chain_to_target(&chain, target)?;
        }
        Ok(())
    }

    fn prune_chain_to_target(&mut self, chain: &PruneChain, target: u64) -> Result<()> {
        if u64::from(chain.tip) <= self.params.prune_after_height {
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
        let last = self.last_prunable(chain.tip, chain.tip);
        let mut files = Vec::new();
        for (n, info) in self.files_within(chain.min_height, last) {
            if usage + buffer < target {
                break;
            }
            usage -= u64::from(info.n_size) + u64::from(info.n_undo_size);
            files.push(n);
        }
        let mib = |b: u64| b / (1 << 20);
        tracing::debug!(
            target: "prune",
            "[{}] target={}MiB actual={}MiB diff={}MiB min_height={} max_prune_height={} removed {} blk/rev pairs",
            chain.role,
            mib(target),
            mib(usage),
            mib(target).saturating_sub(mib(usage)),
            chain.min_height,
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
