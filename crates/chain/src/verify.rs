//! Checking the last blocks of the active chain against the block files and
//! the UTXO set (Core's `CVerifyDB`): `-checkblocks` / `-checklevel` at
//! start-up and the `verifychain` RPC.

use blockstore::store::status;

use crate::chainstate::Chainstate;
use crate::coins::BlockCoins;
use crate::connect::{connect_block, disconnect_block};

/// Blocks checked at start-up unless `-checkblocks` says otherwise.
pub const DEFAULT_CHECKBLOCKS: i64 = 6;
/// Thoroughness unless `-checklevel` says otherwise.
pub const DEFAULT_CHECKLEVEL: i64 = 3;

/// Rough memory per coin change held while disconnecting (outpoint, coin,
/// map overhead), to keep level 3 within the coins cache budget.
const BYTES_PER_CHANGE: usize = 128;

/// How a verification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Everything checked was consistent.
    Success,
    /// Not every requested block could be checked (data missing), but what
    /// was checked is consistent.
    Skipped,
    /// Disconnecting more blocks would have outgrown the coins cache budget,
    /// so the deeper blocks got only the lighter checks.
    SkippedLevel3,
    /// A block, its undo data or the coins are inconsistent; the text says where.
    Corrupted(String),
}

impl Chainstate {
    /// Checks the last `depth` blocks (0 or more than the chain = all) at
    /// `level` 0-4: 0 reads each block, 1 also runs the context-free block
    /// checks, 2 reads its undo data, 3 disconnects the blocks from an
    /// in-memory copy of the coins, 4 connects them again. Nothing is
    /// written.
    pub fn verify_db(&self, level: i64, depth: i64) -> VerifyOutcome {
        let Some(tip) = self.tip_entry() else {
            return VerifyOutcome::Success;
        };
        let tip_height = i64::from(tip.height);
        if tip_height <= 1 {
            return VerifyOutcome::Success;
        }
        let depth = if depth <= 0 || depth > tip_height {
            tip_height
        } else {
            depth
        };
        let level = level.clamp(0, 4);
        tracing::info!("Verifying last {depth} blocks at level {level}");

        let mut overlay = BlockCoins::new(&self.coins);
        let mut disconnected = Vec::new();
        let mut skipped = false;
        let mut skipped_l3 = false;
        let mut transactions = 0usize;
        let mut height = tip_height;
        while height > 0 && height > tip_height - depth {
            let Some(id) = self.at_height(height as u32) else {
                break;
            };
            let Some(e) = self.index.entry(id) else { break };
            if e.status & status::HAVE_DATA == 0 {
                skipped = true;
                break;
            }
            let Ok(block) = self.read_block(id) else {
                return VerifyOutcome::Corrupted(format!(
                    "Verification error: ReadBlock failed at {height}, hash={}",
                    e.hash
                ));
            };
            if level >= 1 {
                if let Err(v) =
                    consensus::block_check::check_block(&block, &self.params, true, true)
                {
                    return VerifyOutcome::Corrupted(format!(
                        "Verification error: found bad block at {height}, hash={} ({v})",
                        e.hash
                    ));
                }
            }
            let undo = if level >= 2 {
                match self.read_undo(id) {
                    Ok(u) => Some(u),
                    Err(_) => {
                        return VerifyOutcome::Corrupted(format!(
                            "Verification error: found bad undo data at {height}, hash={}",
                            e.hash
                        ))
                    }
                }
            } else {
                None
            };
            let within_budget = self.coins.usage() + overlay.changed() * BYTES_PER_CHANGE
                <= self.config.coins_cache_bytes;
            if level >= 3 && !within_budget {
                skipped_l3 = true;
            }
            if let (true, false, Some(undo)) = (level >= 3, skipped_l3, undo.as_ref()) {
                match disconnect_block(&block, e.height, undo, &mut overlay) {
                    Ok(true) => {}
                    Ok(false) | Err(_) => {
                        return VerifyOutcome::Corrupted(format!(
                            "Verification error: irrecoverable inconsistency in block data at {height}, hash={}",
                            e.hash
                        ))
                    }
                }
                transactions += block.txdata.len();
            }
            if !skipped_l3 {
                disconnected.push((id, block));
            }
            height -= 1;
        }

        if level >= 4 && !skipped_l3 {
            for (id, block) in disconnected.iter().rev() {
                let Some(e) = self.index.entry(*id) else {
                    continue;
                };
                let Some(prev) = e.parent.and_then(|p| self.index.entry(p)).map(|p| p.info())
                else {
                    continue;
                };
                let ctx = self.connect_context(&prev, true);
                if let Err(err) = connect_block(block, &e.hash, &ctx, &mut overlay) {
                    return VerifyOutcome::Corrupted(format!(
                        "Verification error: found unconnectable block at {}, hash={} ({err})",
                        e.height, e.hash
                    ));
                }
            }
        }
        if skipped {
            tracing::warn!("Verification: not all blocks could be checked (missing data)");
            return VerifyOutcome::Skipped;
        }
        if skipped_l3 {
            tracing::warn!(
                "Verification: coin database inconsistencies not checked beyond the coins cache size"
            );
            return VerifyOutcome::SkippedLevel3;
        }
        tracing::info!(
            "Verification: No coin database inconsistencies in last {} blocks ({transactions} transactions)",
            disconnected.len()
        );
        VerifyOutcome::Success
    }
}
