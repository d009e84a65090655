//! The confirmation statistics of one horizon (Core's `TxConfirmStats`):
//! per fee rate bucket, decaying averages of how many transactions were seen,
//! how many confirmed within each period, how many left the pool unconfirmed,
//! and the transactions still in the pool by the height they entered.

/// A range of buckets with the counts behind its verdict (Core's
/// `EstimatorBucket`; `start`/`end` are -1 when there is none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimatorBucket {
    /// Lower end of the fee rate range (sat/kvB).
    pub start: f64,
    /// Upper end of the fee rate range (sat/kvB).
    pub end: f64,
    /// Transactions confirmed within the target.
    pub within_target: f64,
    /// Transactions confirmed at all.
    pub total_confirmed: f64,
    /// Transactions in the pool for at least the target.
    pub in_mempool: f64,
    /// Transactions that left the pool unconfirmed after the target.
    pub left_mempool: f64,
}

impl Default for EstimatorBucket {
    fn default() -> Self {
        EstimatorBucket {
            start: -1.0,
            end: -1.0,
            within_target: 0.0,
            total_confirmed: 0.0,
            in_mempool: 0.0,
            left_mempool: 0.0,
        }
    }
}

/// The buckets that passed and failed a threshold, with the horizon's decay
/// and scale (Core's `EstimationResult`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EstimationResult {
    /// The lowest passing range.
    pub pass: EstimatorBucket,
    /// The highest failing range.
    pub fail: EstimatorBucket,
    /// Per-block decay of the horizon.
    pub decay: f64,
    /// Blocks per period of the horizon.
    pub scale: u32,
}

/// One horizon's statistics. Bucket boundaries live in the estimator and are
/// passed in, since a loaded file replaces them for every horizon at once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfirmStats {
    /// Decaying count of transactions recorded per bucket.
    pub(crate) tx_count: Vec<f64>,
    /// `confirmed[p][b]`: decaying count confirmed within `p + 1` periods.
    pub(crate) confirmed: Vec<Vec<f64>>,
    /// `failed[p][b]`: decaying count that left unconfirmed after `p + 1` periods.
    pub(crate) failed: Vec<Vec<f64>>,
    /// Decaying sum of the recorded fee rates per bucket.
    pub(crate) feerate_sum: Vec<f64>,
    pub(crate) decay: f64,
    pub(crate) scale: u32,
    /// Pool transactions by entry height (a ring over the tracked blocks).
    unconfirmed: Vec<Vec<i64>>,
    /// Pool transactions older than the ring.
    old_unconfirmed: Vec<i64>,
}

impl ConfirmStats {
    /// Empty statistics over `buckets` buckets for `periods` periods.
    pub(crate) fn new(buckets: usize, periods: usize, decay: f64, scale: u32) -> Self {
        let mut stats = ConfirmStats {
            tx_count: vec![0.0; buckets],
            confirmed: vec![vec![0.0; buckets]; periods],
            failed: vec![vec![0.0; buckets]; periods],
            feerate_sum: vec![0.0; buckets],
            decay,
            scale: scale.max(1),
            unconfirmed: Vec::new(),
            old_unconfirmed: Vec::new(),
        };
        stats.reset_unconfirmed(buckets);
        stats
    }

    /// Statistics read from a file (already checked for shape).
    pub(crate) fn from_parts(
        decay: f64,
        scale: u32,
        feerate_sum: Vec<f64>,
        tx_count: Vec<f64>,
        confirmed: Vec<Vec<f64>>,
        failed: Vec<Vec<f64>>,
    ) -> Self {
        let buckets = tx_count.len();
        let mut stats = ConfirmStats {
            tx_count,
            confirmed,
            failed,
            feerate_sum,
            decay,
            scale: scale.max(1),
            unconfirmed: Vec::new(),
            old_unconfirmed: Vec::new(),
        };
        stats.reset_unconfirmed(buckets);
        stats
    }

    fn reset_unconfirmed(&mut self, buckets: usize) {
        self.unconfirmed = vec![vec![0; buckets]; self.max_confirms() as usize];
        self.old_unconfirmed = vec![0; buckets];
    }

    /// The longest target this horizon answers for.
    pub(crate) fn max_confirms(&self) -> u32 {
        self.scale * self.confirmed.len() as u32
    }

    fn ring_slot(&self, height: u32) -> usize {
        (height % self.unconfirmed.len().max(1) as u32) as usize
    }

    /// A new block at `height`: the ring slot it reuses moves to the old counts.
    pub(crate) fn clear_current(&mut self, height: u32) {
        let slot = self.ring_slot(height);
        for (old, current) in self
            .old_unconfirmed
            .iter_mut()
            .zip(&mut self.unconfirmed[slot])
        {
            *old += *current;
            *current = 0;
        }
    }

    /// A transaction at `feerate` confirmed after `blocks` blocks.
    pub(crate) fn record(&mut self, blocks: u32, feerate: f64, bucket: usize) {
        if blocks < 1 {
            return;
        }
        let periods = blocks.div_ceil(self.scale) as usize;
        for row in self.confirmed.iter_mut().skip(periods.saturating_sub(1)) {
            row[bucket] += 1.0;
        }
        self.tx_count[bucket] += 1.0;
        self.feerate_sum[bucket] += feerate;
    }

    /// Applies one block's decay to every average.
    pub(crate) fn decay_averages(&mut self) {
        let decay = self.decay;
        for row in self.confirmed.iter_mut().chain(self.failed.iter_mut()) {
            row.iter_mut().for_each(|v| *v *= decay);
        }
        self.feerate_sum.iter_mut().for_each(|v| *v *= decay);
        self.tx_count.iter_mut().for_each(|v| *v *= decay);
    }

    /// A transaction entered the pool at `height` into `bucket`.
    pub(crate) fn new_tx(&mut self, height: u32, bucket: usize) {
        let slot = self.ring_slot(height);
        self.unconfirmed[slot][bucket] += 1;
    }

    /// A tracked transaction left the pool, mined (`in_block`) or not.
    pub(crate) fn remove_tx(
        &mut self,
        entry_height: u32,
        best_seen: u32,
        bucket: usize,
        in_block: bool,
    ) {
        let blocks_ago = if best_seen == 0 {
            0
        } else {
            i64::from(best_seen) - i64::from(entry_height)
        };
        if blocks_ago < 0 {
            tracing::debug!(target: "estimatefee", "Blockpolicy error, blocks ago is negative for mempool tx");
            return;
        }
        if blocks_ago >= self.unconfirmed.len() as i64 {
            if self.old_unconfirmed[bucket] > 0 {
                self.old_unconfirmed[bucket] -= 1;
            } else {
                tracing::debug!(target: "estimatefee", "Blockpolicy error, mempool tx removed from >25 blocks,bucketIndex={bucket} already");
            }
        } else {
            let slot = self.ring_slot(entry_height);
            if self.unconfirmed[slot][bucket] > 0 {
                self.unconfirmed[slot][bucket] -= 1;
            } else {
                tracing::debug!(target: "estimatefee", "Blockpolicy error, mempool tx removed from blockIndex={slot},bucketIndex={bucket} already");
            }
        }
        // Leaving before a whole period passed says nothing about the fee rate.
        if !in_block && blocks_ago >= i64::from(self.scale) {
            let periods = (blocks_ago / i64::from(self.scale)) as usize;
            for row in self.failed.iter_mut().take(periods) {
                row[bucket] += 1.0;
            }
        }
    }

    /// The median fee rate of the cheapest run of buckets, scanning from the
    /// most expensive, whose share of transactions confirmed within `target`
    /// reaches `threshold`; a run closes once it holds `sufficient / (1 -
    /// decay)` transactions. -1 when no run passes (Core's `EstimateMedianVal`).
    pub(crate) fn estimate_median(
        &self,
        buckets: &[f64],
        target: u32,
        sufficient: f64,
        threshold: f64,
        best_height: u32,
    ) -> (f64, EstimationResult) {
        let period_row = (target.div_ceil(self.scale) as usize).saturating_sub(1);
        let max_bucket = buckets.len().saturating_sub(1);
        let bins = self.unconfirmed.len().max(1) as u32;

        let (mut confirmed, mut total, mut failed) = (0.0, 0.0, 0.0);
        let mut extra: i64 = 0;
        let mut partial = 0.0;
        let (mut cur_near, mut cur_far) = (max_bucket, max_bucket);
        let (mut best_near, mut best_far) = (max_bucket, max_bucket);
        let mut found = false;
        let mut new_range = true;
        let mut passing = true;
        let mut pass = EstimatorBucket::default();
        let mut fail = EstimatorBucket::default();
        let range_of = |near: usize, far: usize| {
            let (lo, hi) = (near.min(far), near.max(far));
            (if lo > 0 { buckets[lo - 1] } else { 0.0 }, buckets[hi])
        };

        for bucket in (0..=max_bucket).rev() {
            if new_range {
                cur_near = bucket;
                new_range = false;
            }
            cur_far = bucket;
            confirmed += self.confirmed[period_row][bucket];
            partial += self.tx_count[bucket];
            total += self.tx_count[bucket];
            failed += self.failed[period_row][bucket];
            for age in target..self.max_confirms() {
                extra += self.unconfirmed[(best_height.wrapping_sub(age) % bins) as usize][bucket];
            }
            extra += self.old_unconfirmed[bucket];

            if partial < sufficient / (1.0 - self.decay) {
                continue;
            }
            partial = 0.0;
            let share = confirmed / (total + failed + extra as f64);
            if share < threshold {
                if passing {
                    let (start, end) = range_of(cur_near, cur_far);
                    fail = EstimatorBucket {
                        start,
                        end,
                        within_target: confirmed,
                        total_confirmed: total,
                        in_mempool: extra as f64,
                        left_mempool: failed,
                    };
                    passing = false;
                }
                continue;
            }
            fail = EstimatorBucket::default();
            found = true;
            passing = true;
            pass = EstimatorBucket {
                within_target: confirmed,
                total_confirmed: total,
                in_mempool: extra as f64,
                left_mempool: failed,
                ..EstimatorBucket::default()
            };
            (confirmed, total, failed, extra) = (0.0, 0.0, 0.0, 0);
            best_near = cur_near;
            best_far = cur_far;
            new_range = true;
        }

        let mut median = -1.0;
        let (lo, hi) = (best_near.min(best_far), best_near.max(best_far));
        let mut half: f64 = self.tx_count[lo..=hi].iter().sum();
        if found && half != 0.0 {
            half /= 2.0;
            for b in lo..=hi {
                if self.tx_count[b] < half {
                    half -= self.tx_count[b];
                } else {
                    median = self.feerate_sum[b] / self.tx_count[b];
                    break;
                }
            }
            (pass.start, pass.end) = range_of(lo, hi);
        }

        // A last range too small to judge is reported as the failing one.
        if passing && !new_range {
            let (start, end) = range_of(cur_near, cur_far);
            fail = EstimatorBucket {
                start,
                end,
                within_target: confirmed,
                total_confirmed: total,
                in_mempool: extra as f64,
                left_mempool: failed,
            };
        }

        let pct = |b: &EstimatorBucket| {
            let all = b.total_confirmed + b.in_mempool + b.left_mempool;
            if all != 0.0 {
                100.0 * b.within_target / all
            } else {
                0.0
            }
        };
        tracing::debug!(
            target: "estimatefee",
            "FeeEst: {target} > {:.0}% decay {:.5}: feerate: {median} from ({} - {}) {:.2}% {:.1}/({:.1} {} mem {:.1} out) Fail: ({} - {}) {:.2}% {:.1}/({:.1} {} mem {:.1} out)",
            100.0 * threshold,
            self.decay,
            pass.start,
            pass.end,
            pct(&pass),
            pass.within_target,
            pass.total_confirmed,
            pass.in_mempool,
            pass.left_mempool,
            fail.start,
            fail.end,
            pct(&fail),
            fail.within_target,
            fail.total_confirmed,
            fail.in_mempool,
            fail.left_mempool,
        );
        let result = EstimationResult {
            pass,
            fail,
            decay: self.decay,
            scale: self.scale,
        };
        (median, result)
    }
}
