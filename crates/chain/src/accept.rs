//! Accepting headers and blocks into the index and onto disk (Core's
//! `AcceptBlockHeader`, `AcceptBlock`, `ProcessNewBlock`), and checking a
//! candidate block without storing it (`TestBlockValidity`).

use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::Block;
use blockstore::store::status;
use blockstore::FlatFilePos;
use consensus::block_check::{
    check_block, check_block_header, contextual_check_block, contextual_check_block_header,
};
use consensus::{BlockResult, ValidationError};

use crate::chainstate::{ChainListener, Chainstate};
use crate::coins::BlockCoins;
use crate::connect::connect_block;
use crate::error::{ChainError, Result};
use crate::index::BlockId;
use crate::prune::MIN_BLOCKS_TO_KEEP;

fn rejected(result: BlockResult, reason: &str, debug: &str) -> ChainError {
    ChainError::Invalid(ValidationError::block(result, reason, debug))
}

/// What happened to a block given to [`Chainstate::process_new_block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processed {
    /// The block's index entry.
    pub id: BlockId,
    /// False when its data was already stored (a duplicate).
    pub new_block: bool,
}

impl Chainstate {
    /// Checks `header` and adds it to the index (Core's `AcceptBlockHeader`).
    pub fn accept_header(&mut self, header: &Header) -> Result<BlockId> {
        self.accept_header_checked(header, true)
    }

    /// [`Self::accept_header`]; a new header is refused unless
    /// `min_pow_checked` says its chain carries enough work to rule out a
    /// cheap flood of low-work headers.
    fn accept_header_checked(&mut self, header: &Header, min_pow_checked: bool) -> Result<BlockId> {
        let hash = header.block_hash();
        if let Some(id) = self.index.id(&hash) {
            let failed = self
                .index
                .entry(id)
                .is_some_and(|e| e.status & status::FAILED_MASK != 0);
            if failed {
                tracing::debug!(target: "validation", "AcceptBlockHeader: block {hash} is marked invalid");
                return Err(rejected(
                    BlockResult::CachedInvalid,
                    "duplicate-invalid",
                    &format!("block {hash} was previously marked invalid"),
                ));
            }
            return Ok(id);
        }
        check_block_header(header, &self.params).inspect_err(|e| {
            tracing::debug!(target: "validation", "AcceptBlockHeader: Consensus::CheckBlockHeader: {hash}, {e}");
        })?;
        let Some(prev) = self
            .index
            .id(&header.prev_blockhash)
            .and_then(|id| self.index.entry(id))
        else {
            tracing::debug!(
                target: "validation",
                "header {hash} has prev block not found: {}",
                header.prev_blockhash
            );
            return Err(rejected(BlockResult::MissingPrev, "prev-blk-not-found", ""));
        };
        if prev.status & status::FAILED_MASK != 0 {
            tracing::debug!(
                target: "validation",
                "header {hash} has prev block invalid: {}",
                header.prev_blockhash
            );
            return Err(rejected(BlockResult::InvalidPrev, "bad-prevblk", ""));
        }
        let prev_info = prev.info();
        contextual_check_block_header(
            header,
            &prev_info,
            &self.index,
            &self.params,
            common::time::now_secs(),
        )
        .inspect_err(|e| {
            tracing::debug!(
                target: "validation",
                "AcceptBlockHeader: Consensus::ContextualCheckBlockHeader: {hash}, {e}"
            );
        })?;
        if !min_pow_checked {
            tracing::debug!(
                target: "validation",
                "AcceptBlockHeader: not adding new block header {hash}, missing anti-dos proof-of-work validation"
            );
            return Err(rejected(
                BlockResult::HeaderLowWork,
                "too-little-chainwork",
                "",
            ));
        }
        let id = self
            .index
            .insert(*header)
            .map_err(|e| ChainError::System(format!("cannot index header {hash}: {e:?}")))?;
        self.raise_validity(id, status::VALID_TREE);
        self.dirty_index.insert(id);
        self.update_best_header(id);
        if let Some(e) = self.index.entry(id) {
            tracing::debug!(target: "validation", "Saw new header hash={} height={}", hash, e.height);
        }
        Ok(id)
    }

    /// Accepts a batch of headers in order (Core's `ProcessNewBlockHeaders`);
    /// stops at the first failure.
    pub fn process_new_headers(&mut self, headers: &[Header]) -> Result<Option<BlockId>> {
        let mut last = None;
        for h in headers {
            last = Some(self.accept_header(h)?);
        }
        Ok(last)
    }

    /// Marks `id` as failed and removes it from the candidates.
    pub(crate) fn mark_failed(&mut self, id: BlockId) {
        if let Some(e) = self.index.entry_mut(id) {
            e.status |= status::FAILED_VALID;
        }
        self.dirty_index.insert(id);
        self.candidates.remove(&id);
    }

    /// Context-free and contextual block checks, storing the block (Core's
    /// `AcceptBlock`). `force` stores blocks that do not extend the best chain;
    /// `known_pos` is where a block read back from our own block files
    /// (`-reindex`) already lies, so it is recorded rather than written again.
    pub(crate) fn accept_block(
        &mut self,
        block: &Block,
        force: bool,
        min_pow_checked: bool,
        known_pos: Option<FlatFilePos>,
    ) -> Result<Processed> {
        let id = self.accept_header_checked(&block.header, min_pow_checked)?;
        let (have_data, work, height, prev_info) = {
            let e = self
                .index
                .entry(id)
                .ok_or_else(|| ChainError::System("accepted header vanished".into()))?;
            let prev_info = e.parent.and_then(|p| self.index.entry(p)).map(|p| p.info());
            (
                e.status & status::HAVE_DATA != 0,
                e.chain_work,
                e.height,
                prev_info,
            )
        };
        if have_data {
            return Ok(Processed {
                id,
                new_block: false,
            });
        }
        if !force {
            // An unrequested block is stored only if it could become the tip
            // soon: not on a weaker chain, not too far ahead of the tip, and
            // not below the minimum chain work.
            let tip = self.tip_entry();
            let weaker = tip.is_some_and(|t| work < t.chain_work);
            let too_far_ahead = height
                > tip
                    .map_or(0, |t| t.height)
                    .saturating_add(MIN_BLOCKS_TO_KEEP);
            if weaker || too_far_ahead || work < self.params.minimum_chain_work {
                return Ok(Processed {
                    id,
                    new_block: false,
                });
            }
        }
        let checked =
            check_block(block, &self.params, true, true).and_then(|()| match &prev_info {
                Some(prev) => contextual_check_block(block, prev, &self.params),
                None => Ok(()),
            });
        if let Err(e) = checked {
            if e.block_result() != Some(BlockResult::Mutated) {
                self.mark_failed(id);
                self.mark_descendants_failed(id);
            }
            tracing::error!("AcceptBlock: {e}");
            return Err(ChainError::Invalid(e));
        }
        let pos = match known_pos {
            Some(pos) => {
                let size = u32::try_from(block.total_size()).unwrap_or(u32::MAX);
                self.files
                    .note_existing_block(pos, size, height, u64::from(block.header.time));
                pos
            }
            None => self.files.write_block(block, height)?,
        };
        self.received_block_data(id, block.txdata.len(), pos);
        Ok(Processed {
            id,
            new_block: true,
        })
    }

    /// Checks, stores and (if it leads to the most work) connects `block`
    /// (Core's `ProcessNewBlock`). An error means the block itself was
    /// rejected, either before storing or while connecting it.
    pub fn process_new_block(
        &mut self,
        block: Arc<Block>,
        force: bool,
        listener: &mut dyn ChainListener,
    ) -> Result<Processed> {
        self.process_block_from_peer(block, force, true, listener)
    }

    /// [`Self::process_new_block`] for a block from a peer: `requested` if we
    /// asked for it, `min_pow_checked` if its claimed chain work passed the
    /// P2P layer's anti-DoS threshold (a new header is refused otherwise).
    pub fn process_block_from_peer(
        &mut self,
        block: Arc<Block>,
        requested: bool,
        min_pow_checked: bool,
        listener: &mut dyn ChainListener,
    ) -> Result<Processed> {
        let force = requested;
        if let Err(e) = check_block(&block, &self.params, true, true) {
            tracing::error!("ProcessNewBlock: AcceptBlock FAILED ({e})");
            return Err(ChainError::Invalid(e));
        }
        let processed = match self.accept_block(&block, force, min_pow_checked, None) {
            Ok(p) => p,
            Err(e) => {
                if matches!(e, ChainError::Invalid(_)) {
                    tracing::error!("ProcessNewBlock: AcceptBlock FAILED ({e})");
                }
                return Err(e);
            }
        };
        if processed.new_block {
            self.recent = Some((block.block_hash(), block));
        }
        let failure = self.activate_best_chain(listener, Some(processed.id))?;
        // Blocks below a snapshot's base go to the background chainstate.
        self.advance_background()?;
        match failure {
            Some(e) => Err(ChainError::Invalid(e)),
            None => Ok(processed),
        }
    }

    /// Runs every check of connecting `block` on top of the tip without
    /// changing anything (Core's `TestBlockValidity`).
    pub fn test_block_validity(
        &self,
        block: &Block,
        check_pow: bool,
        check_merkle: bool,
    ) -> Result<()> {
        let tip = self
            .tip_entry()
            .ok_or_else(|| ChainError::System("no tip".into()))?;
        if block.header.prev_blockhash != tip.hash {
            return Err(rejected(
                BlockResult::MissingPrev,
                "inconclusive-not-best-prevblk",
                "",
            ));
        }
        let prev = tip.info();
        contextual_check_block_header(
            &block.header,
            &prev,
            &self.index,
            &self.params,
            common::time::now_secs(),
        )?;
        check_block(block, &self.params, check_pow, check_merkle)?;
        contextual_check_block(block, &prev, &self.params)?;
        let mut overlay = BlockCoins::new(&self.coins);
        let ctx = self.connect_context(&prev, true);
        connect_block(block, &block.block_hash(), &ctx, &mut overlay)?;
        Ok(())
    }
}
