//! Choosing and moving to the most-work valid chain (Core's
//! `ActivateBestChain`, `ConnectTip`, `DisconnectTip`), and the operator's
//! overrides: `invalidateblock`, `reconsiderblock`, `preciousblock`.

use std::sync::Arc;

use bitcoin::Block;
use blockstore::store::status;
use consensus::ValidationError;

use crate::chainstate::{format_time, ChainListener, Chainstate, INVALIDATE_READD_DEPTH};
use crate::coins::BlockCoins;
use crate::connect::{connect_block, disconnect_block};
use crate::error::{ChainError, Result};
use crate::index::BlockId;

impl Chainstate {
    /// The header facts of `parent`, which a block being connected needs;
    /// a parent missing from the index is a storage fault, not a bad block.
    pub(crate) fn parent_info(&self, parent: BlockId) -> Result<consensus::pow::HeaderInfo> {
        self.index
            .entry(parent)
            .map(|p| p.info())
            .ok_or_else(|| ChainError::System("parent not indexed".into()))
    }

    /// The candidate that should be the tip: most work, then earliest
    /// received. Candidates whose path to the active chain contains a failed
    /// or missing block are dropped on the way.
    fn find_most_work_chain(&mut self) -> Option<BlockId> {
        loop {
            let best = self
                .candidates
                .iter()
                .copied()
                .filter_map(|id| self.index.entry(id).map(|e| (id, e)))
                .max_by(|(ia, a), (ib, b)| {
                    a.chain_work
                        .cmp(&b.chain_work)
                        .then(b.sequence_id.cmp(&a.sequence_id))
                        .then(ib.cmp(ia))
                })
                .map(|(id, _)| id)?;
            // Walk back to the active chain, checking every block on the way.
            let mut cur = Some(best);
            let mut bad = false;
            while let Some(id) = cur {
                if self.is_active(id) {
                    break;
                }
                let Some(e) = self.index.entry(id) else { break };
                if e.status & status::FAILED_MASK != 0 || e.status & status::HAVE_DATA == 0 {
                    bad = true;
                    break;
                }
                cur = e.parent;
            }
            if !bad {
                return Some(best);
            }
            self.candidates.remove(&best);
            if let Some(e) = self.index.entry(best) {
                if e.status & status::FAILED_MASK != 0 {
                    continue;
                }
            }
            // A block on the way failed: the candidate descends from it.
            let failed_ancestor = {
                let mut cur = self.index.entry(best).and_then(|e| e.parent);
                let mut found = false;
                while let Some(id) = cur {
                    if self.is_active(id) {
                        break;
                    }
                    let Some(e) = self.index.entry(id) else { break };
                    if e.status & status::FAILED_MASK != 0 {
                        found = true;
                        break;
                    }
                    cur = e.parent;
                }
                found
            };
            if failed_ancestor {
                if let Some(e) = self.index.entry_mut(best) {
                    e.status |= status::FAILED_CHILD;
                }
                self.dirty_index.insert(best);
            }
        }
    }

    /// Connects and disconnects blocks until the most-work valid chain is
    /// active. Returns the validation failure of `focus` if that block was
    /// found invalid while connecting.
    pub fn activate_best_chain(
        &mut self,
        listener: &mut dyn ChainListener,
        focus: Option<BlockId>,
    ) -> Result<Option<ValidationError>> {
        Ok(self.activate(listener, focus, usize::MAX)?.0)
    }

    /// Like [`Chainstate::activate_best_chain`] but stops after connecting
    /// `max_connects` blocks, so a caller holding the node's lock can let
    /// others in between steps (Core releases `cs_main` the same way).
    /// Returns whether more remains to do.
    pub fn activate_best_chain_step(
        &mut self,
        listener: &mut dyn ChainListener,
        max_connects: usize,
    ) -> Result<bool> {
        Ok(!self.activate(listener, None, max_connects)?.1)
    }

    /// The work of both: the focus failure, and whether the best chain is active.
    fn activate(
        &mut self,
        listener: &mut dyn ChainListener,
        focus: Option<BlockId>,
        max_connects: usize,
    ) -> Result<(Option<ValidationError>, bool)> {
        let mut focus_failure = None;
        let mut connected = 0usize;
        let mut done = true;
        'outer: while let Some(best) = self.find_most_work_chain() {
            let tip = self.tip();
            if Some(best) == tip {
                break;
            }
            if let (Some(t), Some(b)) = (
                tip.and_then(|t| self.index.entry(t)),
                self.index.entry(best),
            ) {
                if b.chain_work < t.chain_work {
                    self.candidates.remove(&best);
                    continue;
                }
            }
            let fork = match tip {
                Some(t) => self.index.last_common_ancestor(t, best),
                None => None,
            };
            while self.tip().is_some() && self.tip() != fork {
                self.disconnect_tip(listener, false)?;
            }
            let mut path = Vec::new();
            let mut cur = Some(best);
            while let Some(id) = cur {
                if Some(id) == fork {
                    break;
                }
                path.push(id);
                cur = self.index.entry(id).and_then(|e| e.parent);
            }
            path.reverse();
            for id in path {
                if connected >= max_connects {
                    done = false;
                    break 'outer;
                }
                match self.connect_tip(id, listener) {
                    Ok(()) => connected += 1,
                    Err(ChainError::Invalid(e)) => {
                        if focus == Some(id) {
                            focus_failure = Some(e.clone());
                        }
                        // The chain it ends is what a fork warning weighs
                        // (Core passes the most-work block it was after).
                        self.note_invalid_chain(best);
                        self.invalid_block_found(id, &e);
                        if let Some(entry) = self.index.entry(id) {
                            listener.block_invalid(entry.hash, &e);
                        }
                        break;
                    }
                    Err(other) => return Err(other),
                }
                // As Core's ConnectTip: keep the cache within -dbcache.
                self.flush_if_needed()?;
            }
            self.prune_candidates();
        }
        self.recent = None;
        self.flush_if_needed()?;
        Ok((focus_failure, done))
    }

    fn prune_candidates(&mut self) {
        let Some(tip) = self.tip_entry() else { return };
        let tip_work = tip.chain_work;
        let index = &self.index;
        self.candidates
            .retain(|id| index.entry(*id).is_some_and(|e| e.chain_work >= tip_work));
    }

    fn connect_tip(&mut self, id: BlockId, listener: &mut dyn ChainListener) -> Result<()> {
        let block: Arc<Block> = match &self.recent {
            Some((h, b)) if Some(*h) == self.index.entry(id).map(|e| e.hash) => b.clone(),
            _ => Arc::new(self.read_block(id)?),
        };
        let (hash, height, parent, has_undo, file) = {
            let e = self
                .index
                .entry(id)
                .ok_or_else(|| ChainError::System("connecting an unknown block".into()))?;
            (
                e.hash,
                e.height,
                e.parent,
                e.status & status::HAVE_UNDO != 0,
                e.file,
            )
        };
        match parent {
            None => {
                // The genesis block's outputs are not spendable; only the tip moves.
                self.coins.set_best_block(hash);
            }
            Some(parent) => {
                let prev = self.parent_info(parent)?;
                let check_scripts = self.script_check_reason(id, hash).is_some();
                let mut overlay = BlockCoins::new(&self.coins);
                let ctx = self.connect_context(&prev, check_scripts);
                let connected = connect_block(&block, &hash, &ctx, &mut overlay);
                let connected = match connected {
                    Ok(c) => c,
                    Err(e) => {
                        if let ChainError::Invalid(v) = &e {
                            // Core reports every failure past its BIP30 check
                            // (inputs, fees, sigops, scripts) this way too.
                            if v.reason != "bad-txns-BIP30" {
                                tracing::info!("Block validation error: {v}");
                            }
                            tracing::error!("ConnectTip: ConnectBlock {hash} failed, {v}");
                        }
                        return Err(e);
                    }
                };
                let changes = overlay.into_changes();
                if !has_undo {
                    let pos = self.files.write_undo(&connected.undo, file, prev.hash)?;
                    if let Some(e) = self.index.entry_mut(id) {
                        e.undo_pos = pos.pos;
                        e.status |= status::HAVE_UNDO;
                    }
                }
                self.coins.apply(changes);
                self.coins.set_best_block(hash);
            }
        }
        self.raise_validity(id, status::VALID_SCRIPTS);
        self.dirty_index.insert(id);
        self.active.push(id);
        self.log_connected(hash, block.header.prev_blockhash);
        listener.block_connected(&block, height);
        self.log_tip("");
        Ok(())
    }

    /// Takes the tip off the active chain; `deep` tells the listener its
    /// transactions should not return to the mempool.
    fn disconnect_tip(&mut self, listener: &mut dyn ChainListener, deep: bool) -> Result<()> {
        let id = self
            .tip()
            .ok_or_else(|| ChainError::System("no tip to disconnect".into()))?;
        let (height, parent) = {
            let e = self
                .index
                .entry(id)
                .ok_or_else(|| ChainError::System("tip not indexed".into()))?;
            (e.height, e.parent)
        };
        let parent =
            parent.ok_or_else(|| ChainError::System("cannot disconnect genesis".into()))?;
        let parent_hash = self
            .index
            .entry(parent)
            .map(|e| e.hash)
            .ok_or_else(|| ChainError::System("parent not indexed".into()))?;
        let block = self.read_block(id)?;
        let undo = self.read_undo(id)?;
        let mut overlay = BlockCoins::new(&self.coins);
        let clean = disconnect_block(&block, height, &undo, &mut overlay)?;
        if !clean {
            tracing::warn!(
                "DisconnectBlock(): coins of block {} did not match its undo data",
                block.block_hash()
            );
        }
        let changes = overlay.into_changes();
        self.coins.apply(changes);
        self.coins.set_best_block(parent_hash);
        self.active.pop();
        self.move_prune_locks_below(height);
        if deep {
            listener.block_disconnected_deep(&block, height);
        } else {
            listener.block_disconnected(&block, height);
        }
        self.log_tip("");
        Ok(())
    }

    /// Whether script checks may be skipped for `id`: it is an ancestor of
    /// the assumed-valid block on the best header chain.
    /// Why the scripts of block `id` must be checked, `None` when it lies
    /// under the assumed-valid block and may skip them (Core's
    /// `script_check_reason`); logs when the answer changes, as Core does.
    pub(crate) fn script_check_reason(
        &mut self,
        id: BlockId,
        hash: bitcoin::BlockHash,
    ) -> Option<&'static str> {
        let reason = self.assume_valid_reason(id);
        if self.last_script_check_reason != Some(reason) {
            let height = self.index.entry(id).map_or(0, |e| e.height);
            match reason {
                Some(r) => {
                    tracing::info!("Enabling script verification at block #{height} ({hash}): {r}.")
                }
                None => {
                    tracing::info!("Disabling script verification at block #{height} ({hash}).")
                }
            }
            self.last_script_check_reason = Some(reason);
        }
        reason
    }

    fn assume_valid_reason(&self, id: BlockId) -> Option<&'static str> {
        /// A block must be buried this deep (in equivalent time at the best
        /// header's difficulty) before its scripts may be skipped.
        const TWO_WEEKS: i64 = 60 * 60 * 24 * 7 * 2;
        let Some(av_hash) = self.config.assume_valid else {
            return Some("assumevalid=0 (always verify)");
        };
        let Some(av) = self.index.id(&av_hash) else {
            return Some("assumevalid hash not in headers");
        };
        let (Some(e), Some(av_entry)) = (self.index.entry(id), self.index.entry(av)) else {
            return Some("assumevalid hash not in headers");
        };
        if self.index.ancestor_id(av, e.height) != Some(id) {
            return Some(if e.height > av_entry.height {
                "block height above assumevalid height"
            } else {
                "block not in assumevalid chain"
            });
        }
        let best = self
            .best_header
            .and_then(|b| self.index.entry(b).map(|be| (b, be)));
        let Some((best_id, best_entry)) = best else {
            return Some("block not in best header chain");
        };
        if self.index.ancestor_id(best_id, e.height) != Some(id) {
            return Some("block not in best header chain");
        }
        if best_entry.chain_work < self.params.minimum_chain_work {
            return Some("best header chainwork below minimumchainwork");
        }
        let buried = consensus::pow::block_proof_equivalent_time(
            best_entry.chain_work,
            e.chain_work,
            best_entry.header.bits,
            &self.params,
        );
        if buried <= TWO_WEEKS {
            return Some("block too recent relative to best header");
        }
        None
    }

    /// Marks every descendant of `id` as having a failed ancestor.
    pub(crate) fn mark_descendants_failed(&mut self, id: BlockId) {
        let Some(height) = self.index.entry(id).map(|e| e.height) else {
            return;
        };
        let descendants: Vec<BlockId> = self
            .index
            .entries()
            .filter(|(d, e)| e.height > height && self.index.ancestor_id(*d, height) == Some(id))
            .map(|(d, _)| d)
            .collect();
        for d in descendants {
            if let Some(e) = self.index.entry_mut(d) {
                e.status |= status::FAILED_CHILD;
            }
            self.dirty_index.insert(d);
            self.candidates.remove(&d);
        }
        if self.best_header.is_some_and(|b| {
            self.index
                .entry(b)
                .is_some_and(|e| e.status & status::FAILED_MASK != 0)
        }) {
            self.recompute_best_header();
        }
    }

    /// Remembers `id` as the best invalid chain when it has more work.
    fn note_invalid_chain(&mut self, id: BlockId) {
        let work = |b: Option<BlockId>| b.and_then(|b| self.index.entry(b)).map(|e| e.chain_work);
        if work(self.best_invalid).is_none_or(|best| work(Some(id)).is_some_and(|w| w > best)) {
            self.best_invalid = Some(id);
        }
    }

    /// Core's `CheckForkWarningConditions`: an invalid chain more than six
    /// blocks' work ahead of the active tip (the database or the consensus
    /// rules may disagree with the network's).
    pub fn large_work_invalid_chain(&self) -> bool {
        let (Some(invalid), Some(tip)) = (
            self.best_invalid.and_then(|b| self.index.entry(b)),
            self.tip_entry(),
        ) else {
            return false;
        };
        let proof = consensus::pow::get_block_proof(tip.header.bits);
        let margin = (0..6).fold(tip.chain_work, |w, _| w + proof);
        invalid.chain_work > margin
    }

    fn invalid_block_found(&mut self, id: BlockId, e: &ValidationError) {
        self.note_invalid_chain(id);
        self.mark_failed(id);
        self.mark_descendants_failed(id);
        if let Some(entry) = self.index.entry(id) {
            tracing::info!(
                "InvalidChainFound: invalid block={} height={} log2_work={:.6} date={}",
                entry.hash,
                entry.height,
                entry.chain_work.log2(),
                format_time(entry.header.time)
            );
        }
        if let Some(tip) = self.tip_entry() {
            tracing::info!(
                "InvalidChainFound: current best={} height={} log2_work={:.6} date={}",
                tip.hash,
                tip.height,
                tip.chain_work.log2(),
                format_time(tip.header.time)
            );
        }
        tracing::debug!(target: "validation", "block {} invalid: {e}", self.index.entry(id).map(|x| x.hash.to_string()).unwrap_or_default());
        self.recompute_best_header();
    }

    /// Marks `id` and its descendants invalid and moves the tip off them
    /// (the `invalidateblock` RPC).
    pub fn invalidate_block(
        &mut self,
        id: BlockId,
        listener: &mut dyn ChainListener,
    ) -> Result<()> {
        let height = self
            .index
            .entry(id)
            .map(|e| e.height)
            .ok_or_else(|| ChainError::System("Block not found".into()))?;
        if height == 0 {
            return Err(ChainError::System(
                "cannot invalidate the genesis block".into(),
            ));
        }
        let mut disconnected = 0;
        if self.is_active(id) {
            while self.height() >= height {
                disconnected += 1;
                self.disconnect_tip(listener, disconnected > INVALIDATE_READD_DEPTH)?;
            }
        }
        self.note_invalid_chain(id);
        self.mark_failed(id);
        self.mark_descendants_failed(id);
        self.recompute_best_header();
        self.rebuild_candidates();
        if let Some(entry) = self.index.entry(id) {
            tracing::info!(
                "InvalidChainFound: invalid block={} height={} log2_work={:.6} date={}",
                entry.hash,
                entry.height,
                entry.chain_work.log2(),
                format_time(entry.header.time)
            );
        }
        self.activate_best_chain(listener, None)?;
        Ok(())
    }

    /// Clears the failure marks of `id`, its descendants and ancestors, then
    /// reconsiders the best chain (the `reconsiderblock` RPC).
    pub fn reconsider_block(
        &mut self,
        id: BlockId,
        listener: &mut dyn ChainListener,
    ) -> Result<()> {
        let height = self
            .index
            .entry(id)
            .map(|e| e.height)
            .ok_or_else(|| ChainError::System("Block not found".into()))?;
        let mut clear: Vec<BlockId> = self
            .index
            .entries()
            .filter(|(d, e)| {
                e.status & status::FAILED_MASK != 0
                    && e.height >= height
                    && self.index.ancestor_id(*d, height) == Some(id)
            })
            .map(|(d, _)| d)
            .collect();
        let mut cur = self.index.entry(id).and_then(|e| e.parent);
        while let Some(a) = cur {
            clear.push(a);
            cur = self.index.entry(a).and_then(|e| e.parent);
        }
        if self.best_invalid.is_some_and(|b| clear.contains(&b)) {
            self.best_invalid = None;
        }
        for d in clear {
            if let Some(e) = self.index.entry_mut(d) {
                if e.status & status::FAILED_MASK != 0 {
                    e.status &= !status::FAILED_MASK;
                    self.dirty_index.insert(d);
                }
            }
        }
        self.recompute_best_header();
        self.rebuild_candidates();
        self.activate_best_chain(listener, None)?;
        Ok(())
    }

    /// Treats `id` as if it had arrived before competing blocks of the same
    /// work (the `preciousblock` RPC).
    pub fn precious_block(&mut self, id: BlockId, listener: &mut dyn ChainListener) -> Result<()> {
        let (work, tip_work) = match (self.index.entry(id), self.tip_entry()) {
            (Some(e), Some(t)) => (e.chain_work, t.chain_work),
            _ => return Err(ChainError::System("Block not found".into())),
        };
        if work < tip_work {
            return Ok(());
        }
        if self.last_precious_work.is_none_or(|w| tip_work > w) {
            // The tip moved on since the last call: start a new precious range.
            self.precious_sequence = -1;
        }
        self.last_precious_work = Some(tip_work);
        let seq = self.precious_sequence;
        if self.precious_sequence > i32::MIN {
            self.precious_sequence -= 1;
        }
        if let Some(e) = self.index.entry_mut(id) {
            e.sequence_id = seq;
            if e.status & status::FAILED_MASK == 0 && e.chain_tx > 0 {
                self.candidates.insert(id);
            }
        }
        self.activate_best_chain(listener, None)?;
        Ok(())
    }
}
