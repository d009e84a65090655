//! The Network Traffic graph's data (bitcoin-qt's `TrafficGraphWidget`):
//! in and out rates in kB/s, one sample per range/800, newest first, fed
//! from the status poll's byte totals so it keeps sampling while the tab
//! is hidden, as bitcoin-qt's timer does.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Samples kept: the graph's width in points (bitcoin-qt: 800).
pub const SAMPLES: usize = 800;

/// The range slider's step (bitcoin-qt: each position is 5 minutes).
pub const RANGE_STEP_MINUTES: u32 = 5;

/// The slider's positions: 5 minutes to 24 hours.
pub const RANGE_STEPS: std::ops::RangeInclusive<u32> = 1..=288;

/// The range at start: 30 minutes.
pub const DEFAULT_RANGE_MINUTES: u32 = 30;

/// Rates over the chosen range and the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    range_minutes: u32,
    /// kB/s received, newest first.
    samples_in: VecDeque<f32>,
    /// kB/s sent, newest first.
    samples_out: VecDeque<f32>,
    /// When the last sample was taken, and the totals then.
    last: Option<(Instant, i64, i64)>,
    /// Bytes received in all.
    pub total_in: i64,
    /// Bytes sent in all.
    pub total_out: i64,
}

impl Default for Traffic {
    fn default() -> Traffic {
        Traffic {
            range_minutes: DEFAULT_RANGE_MINUTES,
            samples_in: VecDeque::new(),
            samples_out: VecDeque::new(),
            last: None,
            total_in: 0,
            total_out: 0,
        }
    }
}

impl Traffic {
    /// The graph's time span in minutes.
    pub fn range_minutes(&self) -> u32 {
        self.range_minutes
    }

    /// Time between samples: the range spread over [`SAMPLES`].
    pub fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.range_minutes) * 60) / SAMPLES as u32
    }

    /// A new range starts an empty graph (as bitcoin-qt's `clear`).
    pub fn set_range(&mut self, minutes: u32) {
        if minutes == self.range_minutes {
            return;
        }
        self.range_minutes = minutes;
        self.samples_in.clear();
        self.samples_out.clear();
        self.last = None;
    }

    /// Takes the totals seen at `now`; adds a sample once an interval has
    /// passed since the last one.
    pub fn record(&mut self, now: Instant, total_in: i64, total_out: i64) {
        self.total_in = total_in;
        self.total_out = total_out;
        let Some((then, last_in, last_out)) = self.last else {
            self.last = Some((now, total_in, total_out));
            return;
        };
        let elapsed = now.saturating_duration_since(then);
        if elapsed < self.interval() {
            return;
        }
        // Bytes per millisecond are kB/s.
        let ms = elapsed.as_secs_f64() * 1000.0;
        let rate = |now: i64, then: i64| ((now - then).max(0) as f64 / ms) as f32;
        self.samples_in.push_front(rate(total_in, last_in));
        self.samples_out.push_front(rate(total_out, last_out));
        self.samples_in.truncate(SAMPLES);
        self.samples_out.truncate(SAMPLES);
        self.last = Some((now, total_in, total_out));
    }

    /// Received kB/s, newest first.
    pub fn samples_in(&self) -> &VecDeque<f32> {
        &self.samples_in
    }

    /// Sent kB/s, newest first.
    pub fn samples_out(&self) -> &VecDeque<f32> {
        &self.samples_out
    }

    /// The highest rate shown (0 before the first sample).
    pub fn max_rate(&self) -> f32 {
        self.samples_in
            .iter()
            .chain(&self.samples_out)
            .fold(0.0, |m, r| m.max(*r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_rates_once_per_interval() {
        let mut t = Traffic::default();
        assert_eq!(t.interval(), Duration::from_millis(2250));
        let start = Instant::now();
        t.record(start, 1000, 500);
        // Too early: no sample, but the totals move.
        t.record(start + Duration::from_secs(1), 2000, 600);
        assert!(t.samples_in().is_empty());
        assert_eq!((t.total_in, t.total_out), (2000, 600));
        t.record(start + Duration::from_millis(2500), 26_000, 3000);
        assert_eq!(t.samples_in().front(), Some(&10.0));
        assert_eq!(t.samples_out().front(), Some(&1.0));
        assert_eq!(t.max_rate(), 10.0);
    }

    #[test]
    fn keeps_800_samples_and_a_new_range_starts_over() {
        let mut t = Traffic::default();
        t.set_range(5);
        let step = t.interval();
        let start = Instant::now();
        for i in 0..1000u32 {
            t.record(start + step * i, i64::from(i) * 100, 0);
        }
        assert_eq!(t.samples_in().len(), SAMPLES);
        t.set_range(60);
        assert!(t.samples_in().is_empty() && t.max_rate() == 0.0);
        assert_eq!(t.range_minutes(), 60);
    }
}
