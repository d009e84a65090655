//! The block policy fee estimator (Core's `CBlockPolicyEstimator`): pool
//! transactions are put in exponentially spaced fee rate buckets when they
//! enter, and when they leave (mined after some blocks, or not) each of three
//! horizons records it in decaying averages. Estimates find the cheapest
//! buckets whose transactions confirmed in time often enough.

mod file;
mod stats;

use std::collections::HashMap;

use bitcoin::Txid;

pub use file::{load_file, write_file, FEE_ESTIMATES_FILENAME, MAX_FILE_AGE_SECS};
use stats::ConfirmStats;
pub use stats::{EstimationResult, EstimatorBucket};

/// How often the estimates are written to disk (Core's `FEE_FLUSH_INTERVAL`).
pub const FEE_FLUSH_INTERVAL_SECS: u64 = 60 * 60;

/// Lowest bucket boundary, in sat/kvB.
const MIN_BUCKET_FEERATE: f64 = 100.0;
/// Highest finite bucket boundary, in sat/kvB.
const MAX_BUCKET_FEERATE: f64 = 1e7;
/// Ratio between neighbouring bucket boundaries.
const FEE_SPACING: f64 = 1.05;
/// The catch-all last boundary.
const INF_FEERATE: f64 = 1e99;

/// Success shares asked at half, the full and double the target.
const HALF_SUCCESS_PCT: f64 = 0.6;
const SUCCESS_PCT: f64 = 0.85;
const DOUBLE_SUCCESS_PCT: f64 = 0.95;
/// Transactions per block a bucket range needs before it is judged.
const SUFFICIENT_FEETXS: f64 = 0.1;
const SUFFICIENT_TXS_SHORT: f64 = 0.5;
/// Blocks after which a loaded history no longer counts.
const OLDEST_ESTIMATE_HISTORY: u32 = 6 * 1008;

/// The three time horizons (Core's `FeeEstimateHorizon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// 12 blocks, decay 0.962.
    Short,
    /// 48 blocks in periods of 2, decay 0.9952.
    Medium,
    /// 1008 blocks in periods of 24, decay 0.99931.
    Long,
}

impl Horizon {
    /// Every horizon, shortest first (the order `estimaterawfee` prints).
    pub const ALL: [Horizon; 3] = [Horizon::Short, Horizon::Medium, Horizon::Long];

    /// The name `estimaterawfee` prints.
    pub fn name(self) -> &'static str {
        match self {
            Horizon::Short => "short",
            Horizon::Medium => "medium",
            Horizon::Long => "long",
        }
    }

    /// Periods tracked, decay per block and blocks per period.
    fn shape(self) -> (usize, f64, u32) {
        match self {
            Horizon::Short => (12, 0.962, 1),
            Horizon::Medium => (24, 0.9952, 2),
            Horizon::Long => (42, 0.99931, 24),
        }
    }

    fn fresh_stats(self, buckets: usize) -> ConfirmStats {
        let (periods, decay, scale) = self.shape();
        ConfirmStats::new(buckets, periods, decay, scale)
    }
}

pub use common::fee_reason::FeeReason;

/// How a smart estimate was reached (Core's `FeeCalculation`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FeeCalculation {
    /// The statistics of the deciding sub-estimate.
    pub est: EstimationResult,
    /// Which sub-estimate decided.
    pub reason: FeeReason,
    /// The target asked for.
    pub desired_target: u32,
    /// The target answered for.
    pub returned_target: u32,
    /// The estimator's best seen height.
    pub best_height: u32,
}

/// What the estimator remembers of a tracked pool transaction.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tracked {
    height: u32,
    bucket: usize,
}

/// A pool transaction as the estimator sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimatorTx {
    /// Its txid.
    pub txid: Txid,
    /// The tip height when it entered the pool.
    pub height: u32,
    /// Its (unmodified) fee in satoshis.
    pub fee: i64,
    /// Its virtual size.
    pub vsize: u64,
}

impl EstimatorTx {
    /// Fee rate in sat/kvB, rounded down (Core's `CFeeRate::GetFeePerK`).
    fn feerate(&self) -> f64 {
        let vsize = i64::try_from(self.vsize.max(1)).unwrap_or(i64::MAX);
        self.fee.saturating_mul(1000).div_euclid(vsize) as f64
    }
}

/// The estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeEstimator {
    /// Upper bounds of the buckets (inclusive), ascending, the last infinite.
    buckets: Vec<f64>,
    short: ConfirmStats,
    medium: ConfirmStats,
    long: ConfirmStats,
    tracked: HashMap<Txid, Tracked>,
    best_seen_height: u32,
    first_recorded_height: u32,
    historical_first: u32,
    historical_best: u32,
    tracked_since_block: u32,
    untracked_since_block: u32,
}

impl Default for FeeEstimator {
    fn default() -> Self {
        Self::new()
    }
}

impl FeeEstimator {
    /// An estimator with no data.
    pub fn new() -> Self {
        let mut buckets = Vec::new();
        let mut boundary = MIN_BUCKET_FEERATE;
        while boundary <= MAX_BUCKET_FEERATE {
            buckets.push(boundary);
            boundary *= FEE_SPACING;
        }
        buckets.push(INF_FEERATE);
        let n = buckets.len();
        FeeEstimator {
            buckets,
            short: Horizon::Short.fresh_stats(n),
            medium: Horizon::Medium.fresh_stats(n),
            long: Horizon::Long.fresh_stats(n),
            tracked: HashMap::new(),
            best_seen_height: 0,
            first_recorded_height: 0,
            historical_first: 0,
            historical_best: 0,
            tracked_since_block: 0,
            untracked_since_block: 0,
        }
    }

    fn stats(&self, horizon: Horizon) -> &ConfirmStats {
        match horizon {
            Horizon::Short => &self.short,
            Horizon::Medium => &self.medium,
            Horizon::Long => &self.long,
        }
    }

    fn all_stats_mut(&mut self) -> [&mut ConfirmStats; 3] {
        [&mut self.medium, &mut self.short, &mut self.long]
    }

    /// The first bucket whose upper bound is at least `feerate`.
    fn bucket_of(&self, feerate: f64) -> usize {
        self.buckets
            .partition_point(|b| *b < feerate)
            .min(self.buckets.len() - 1)
    }

    /// The height of the last block the estimator processed.
    pub fn best_seen_height(&self) -> u32 {
        self.best_seen_height
    }

    /// Whether `txid` is being tracked.
    pub fn is_tracked(&self, txid: &Txid) -> bool {
        self.tracked.contains_key(txid)
    }

    /// A transaction entered the pool. Only those entering at the height
    /// the estimator last saw, and `valid` for estimation (not bypassing
    /// limits, not from a package, no pool parents, node in sync), are
    /// tracked.
    pub fn process_transaction(&mut self, tx: &EstimatorTx, valid: bool) {
        if self.tracked.contains_key(&tx.txid) {
            tracing::debug!(target: "estimatefee", "Blockpolicy error mempool tx {} already being tracked", tx.txid);
            return;
        }
        if tx.height != self.best_seen_height {
            return;
        }
        if !valid {
            self.untracked_since_block += 1;
            return;
        }
        self.tracked_since_block += 1;
        let bucket = self.bucket_of(tx.feerate());
        for stats in self.all_stats_mut() {
            stats.new_tx(tx.height, bucket);
        }
        self.tracked.insert(
            tx.txid,
            Tracked {
                height: tx.height,
                bucket,
            },
        );
    }

    /// A transaction left the pool other than by being mined; true if it
    /// was tracked.
    pub fn remove_tx(&mut self, txid: &Txid) -> bool {
        self.remove(txid, false)
    }

    fn remove(&mut self, txid: &Txid, in_block: bool) -> bool {
        let Some(t) = self.tracked.remove(txid) else {
            return false;
        };
        let best = self.best_seen_height;
        for stats in self.all_stats_mut() {
            stats.remove_tx(t.height, best, t.bucket, in_block);
        }
        true
    }

    /// A block at `height` was connected; `mined` are the pool transactions
    /// it confirmed.
    pub fn process_block(&mut self, height: u32, mined: &[EstimatorTx]) {
        if height <= self.best_seen_height {
            // Reorgs and blocks seen again are not counted twice.
            return;
        }
        self.best_seen_height = height;
        for stats in self.all_stats_mut() {
            stats.clear_current(height);
            stats.decay_averages();
        }
        let mut counted = 0u32;
        for tx in mined {
            if !self.remove(&tx.txid, true) {
                continue;
            }
            let blocks = i64::from(height) - i64::from(tx.height);
            if blocks <= 0 {
                tracing::debug!(target: "estimatefee", "Blockpolicy error Transaction had negative blocksToConfirm");
                continue;
            }
            let feerate = tx.feerate();
            let bucket = self.bucket_of(feerate);
            for stats in self.all_stats_mut() {
                stats.record(blocks as u32, feerate, bucket);
            }
            counted += 1;
        }
        if self.first_recorded_height == 0 && counted > 0 {
            self.first_recorded_height = height;
            tracing::debug!(target: "estimatefee", "Blockpolicy first recorded height {height}");
        }
        tracing::debug!(
            target: "estimatefee",
            "Blockpolicy estimates updated by {counted} of {} block txs, since last block {} of {} tracked, mempool map size {}, max target {} from {}",
            mined.len(),
            self.tracked_since_block,
            self.tracked_since_block + self.untracked_since_block,
            self.tracked.len(),
            self.max_usable_estimate(),
            if self.historical_block_span() > self.block_span() { "historical" } else { "current" },
        );
        self.tracked_since_block = 0;
        self.untracked_since_block = 0;
    }

    /// Counts every tracked pool transaction as having left unconfirmed
    /// (at shutdown, before the estimates are written).
    pub fn flush_unconfirmed(&mut self) {
        let txids: Vec<Txid> = self.tracked.keys().copied().collect();
        let n = txids.len();
        for txid in txids {
            self.remove(&txid, false);
        }
        tracing::debug!(target: "estimatefee", "Recorded {n} unconfirmed txs from mempool");
    }

    /// The longest target `horizon` answers for.
    pub fn highest_target_tracked(&self, horizon: Horizon) -> u32 {
        self.stats(horizon).max_confirms()
    }

    fn block_span(&self) -> u32 {
        if self.first_recorded_height == 0 {
            return 0;
        }
        self.best_seen_height
            .saturating_sub(self.first_recorded_height)
    }

    fn historical_block_span(&self) -> u32 {
        if self.historical_first == 0 {
            return 0;
        }
        if self.best_seen_height.saturating_sub(self.historical_best) > OLDEST_ESTIMATE_HISTORY {
            return 0;
        }
        self.historical_best.saturating_sub(self.historical_first)
    }

    /// The longest target with enough history behind it: half the blocks seen.
    fn max_usable_estimate(&self) -> u32 {
        let span = self.block_span().max(self.historical_block_span());
        self.long.max_confirms().min(span / 2)
    }

    fn sufficient(horizon: Horizon) -> f64 {
        match horizon {
            Horizon::Short => SUFFICIENT_TXS_SHORT,
            Horizon::Medium | Horizon::Long => SUFFICIENT_FEETXS,
        }
    }

    fn median(&self, horizon: Horizon, target: u32, threshold: f64) -> (f64, EstimationResult) {
        self.stats(horizon).estimate_median(
            &self.buckets,
            target,
            Self::sufficient(horizon),
            threshold,
            self.best_seen_height,
        )
    }

    /// The fee rate (sat/kvB, 0 for none) at which `threshold` of the
    /// transactions confirmed within `target` on `horizon`, with the buckets
    /// behind it (`estimaterawfee`).
    pub fn estimate_raw_fee(
        &self,
        target: u32,
        threshold: f64,
        horizon: Horizon,
    ) -> (i64, EstimationResult) {
        if target == 0 || target > self.highest_target_tracked(horizon) || threshold > 1.0 {
            return (0, EstimationResult::default());
        }
        let (median, result) = self.median(horizon, target, threshold);
        (rounded(median), result)
    }

    /// The estimate of the shortest horizon covering `target`; with
    /// `check_shorter`, also the shorter horizons at their longest target,
    /// taking the lowest (so estimates fall as targets grow).
    fn combined(
        &self,
        target: u32,
        threshold: f64,
        check_shorter: bool,
        result: &mut EstimationResult,
    ) -> f64 {
        let mut estimate = -1.0;
        if target < 1 || target > self.long.max_confirms() {
            return estimate;
        }
        let horizon = if target <= self.short.max_confirms() {
            Horizon::Short
        } else if target <= self.medium.max_confirms() {
            Horizon::Medium
        } else {
            Horizon::Long
        };
        (estimate, *result) = self.median(horizon, target, threshold);
        if check_shorter {
            for shorter in [Horizon::Medium, Horizon::Short] {
                let max = self.stats(shorter).max_confirms();
                if target <= max {
                    continue;
                }
                let (value, r) = self.median(shorter, max, threshold);
                if value > 0.0 && (estimate == -1.0 || value < estimate) {
                    estimate = value;
                    *result = r;
                }
            }
        }
        estimate
    }

    /// The 95% estimate at `double_target` over the medium and long
    /// horizons, the higher of the two.
    fn conservative(&self, double_target: u32, result: &mut EstimationResult) -> f64 {
        let mut estimate = -1.0;
        if double_target <= self.short.max_confirms() {
            (estimate, *result) = self.median(Horizon::Medium, double_target, DOUBLE_SUCCESS_PCT);
        }
        if double_target <= self.medium.max_confirms() {
            let (value, r) = self.median(Horizon::Long, double_target, DOUBLE_SUCCESS_PCT);
            if value > estimate {
                estimate = value;
                *result = r;
            }
        }
        estimate
    }

    /// The fee rate (sat/kvB, 0 for none) to confirm within `target`: the
    /// highest of 60% at half the target, 85% at the target and 95% at
    /// double it; conservative also asks 95% at double the target of the
    /// longer horizons (`estimatesmartfee`).
    pub fn estimate_smart_fee(&self, target: u32, conservative: bool) -> (i64, FeeCalculation) {
        let mut calc = FeeCalculation {
            desired_target: target,
            returned_target: target,
            best_height: self.best_seen_height,
            ..FeeCalculation::default()
        };
        if target == 0 || target > self.long.max_confirms() {
            return (0, calc);
        }
        // A transaction cannot be expected in the very next block.
        let target = target.max(2).min(self.max_usable_estimate());
        calc.returned_target = target;
        if target <= 1 {
            return (0, calc);
        }
        let mut temp = EstimationResult::default();
        let mut median = self.combined(target / 2, HALF_SUCCESS_PCT, true, &mut temp);
        calc.est = temp;
        calc.reason = FeeReason::HalfEstimate;
        let full = self.combined(target, SUCCESS_PCT, true, &mut temp);
        if full > median {
            median = full;
            calc.est = temp;
            calc.reason = FeeReason::FullEstimate;
        }
        let double = self.combined(2 * target, DOUBLE_SUCCESS_PCT, !conservative, &mut temp);
        if double > median {
            median = double;
            calc.est = temp;
            calc.reason = FeeReason::DoubleEstimate;
        }
        if conservative || median == -1.0 {
            let cons = self.conservative(2 * target, &mut temp);
            if cons > median {
                median = cons;
                calc.est = temp;
                calc.reason = FeeReason::Conservative;
            }
        }
        (rounded(median), calc)
    }
}

/// A median fee rate as Core's `CFeeRate(llround(median))`; 0 for none.
fn rounded(median: f64) -> i64 {
    if median < 0.0 {
        0
    } else {
        median.round() as i64
    }
}

#[cfg(test)]
mod tests;
