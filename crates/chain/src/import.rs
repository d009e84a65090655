//! Blocks read from files rather than received: our own block files during
//! `-reindex` and external files given with `-loadblock` (Core's
//! `LoadExternalBlockFile`). Blocks are stored (or, when they already lie in
//! our files, recorded where they are) but not connected; the caller
//! activates the best chain once the files are read.

use bitcoin::Block;
use blockstore::store::status;
use blockstore::FlatFilePos;

use crate::chainstate::Chainstate;
use crate::error::Result;

/// What became of one block read from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Checked and added to the block index.
    Stored,
    /// Its data was already known.
    AlreadyHad,
    /// Its parent is not known (yet); the block was left alone.
    UnknownParent,
}

impl Chainstate {
    /// Accepts `block` read from a file: `pos` is where it lies in our own
    /// block files (`-reindex`), `None` for an external file, whose blocks
    /// are written to ours. Genesis is connected as soon as it is stored so
    /// that later blocks have a chain to join.
    pub fn import_block(&mut self, block: &Block, pos: Option<FlatFilePos>) -> Result<Imported> {
        let hash = block.block_hash();
        let genesis = self.params().genesis.block_hash();
        if hash != genesis && self.index().id(&block.header.prev_blockhash).is_none() {
            return Ok(Imported::UnknownParent);
        }
        let known = self
            .index()
            .id(&hash)
            .and_then(|id| self.index().entry(id))
            .is_some_and(|e| e.status & status::HAVE_DATA != 0);
        if known {
            return Ok(Imported::AlreadyHad);
        }
        if hash == genesis {
            if self.index().id(&hash).is_some() {
                return Ok(Imported::AlreadyHad);
            }
            self.store_genesis(pos)?;
            self.activate_best_chain(&mut (), None)?;
        } else {
            self.accept_block(block, true, true, pos)?;
        }
        Ok(Imported::Stored)
    }

    /// Whether a `-reindex` has not finished scanning the block files yet
    /// (also after a restart that interrupted it).
    pub fn reindex_pending(&self) -> Result<bool> {
        Ok(self.store().is_reindexing()?)
    }

    /// Marks the block files as scanned, and stores genesis if the files did
    /// not hold it (e.g. they were empty).
    pub fn finish_reindex(&mut self) -> Result<()> {
        self.store().set_reindexing(false)?;
        if self.index().is_empty() {
            self.store_genesis(None)?;
            self.activate_best_chain(&mut (), None)?;
        }
        Ok(())
    }
}
