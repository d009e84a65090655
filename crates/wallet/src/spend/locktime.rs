//! The anti-fee-sniping lock time (Core's `DiscourageFeeSniping`).

use bitcoin::absolute::LockTime;
use bitcoin::Transaction;
use rand::Rng;

use super::env::ChainTip;
use super::{LOCKTIME_THRESHOLD, MAX_ANTI_FEE_SNIPING_TIP_AGE};

/// Whether the wallet's chain is recent enough to set an anti-fee-sniping
/// lock time: not in initial block download and a tip at most eight hours
/// old. An unknown tip block counts as not recent.
pub fn is_current_for_anti_fee_sniping(tip: &ChainTip) -> bool {
    !tip.in_initial_block_download
        && tip
            .block_time
            .is_some_and(|t| t >= tip.now.saturating_sub(MAX_ANTI_FEE_SNIPING_TIP_AGE))
}

/// Sets the lock time so that only the next block can include `tx` (Core's
/// `DiscourageFeeSniping`): a miner re-mining the tip to take its fees gains
/// nothing from this transaction. One time in ten it goes up to 99 blocks
/// further back, so transactions delayed before broadcast do not stand
/// out. A lagging chain gets lock time 0, the one value that leaks nothing.
pub fn discourage_fee_sniping<R: Rng + ?Sized>(tx: &mut Transaction, rng: &mut R, tip: &ChainTip) {
    let mut lock_time = 0;
    if is_current_for_anti_fee_sniping(tip) {
        lock_time = tip.height;
        if rng.gen_range(0..10u32) == 0 {
            lock_time = lock_time.saturating_sub(rng.gen_range(0..100u32));
        }
    }
    // A height this large would read as a timestamp; Core asserts it away.
    if lock_time >= LOCKTIME_THRESHOLD {
        lock_time = 0;
    }
    tx.lock_time = LockTime::from_consensus(lock_time);
}
