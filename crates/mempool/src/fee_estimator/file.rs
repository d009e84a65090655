//! `fee_estimates.dat` in Core's format: version, best seen height, the
//! block range the history covers, the bucket boundaries, then the medium,
//! short and long horizons (decay, scale, fee rate sums, counts, confirmed
//! and failed averages). Doubles are their IEEE 754 bits as little-endian
//! u64; vectors carry a CompactSize length.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bitcoin::consensus::Encodable;

use super::stats::ConfirmStats;
use super::FeeEstimator;

/// The file's name in the network's data directory.
pub const FEE_ESTIMATES_FILENAME: &str = "fee_estimates.dat";

/// A file older than this (60 hours) is not loaded unless stale estimates
/// are accepted (Core's `MAX_FILE_AGE`).
pub const MAX_FILE_AGE_SECS: u64 = 60 * 60 * 60;

/// The format version written.
const CURRENT_FEES_FILE_VERSION: i32 = 309_900;

/// Most confirmation targets a horizon in a file may cover (one week).
const MAX_FILE_CONFIRMS: u64 = 6 * 24 * 7;

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        // Writing to a Vec cannot fail.
        let _ = bitcoin::consensus::encode::VarInt(n as u64).consensus_encode(&mut self.0);
    }
    fn doubles(&mut self, v: &[f64]) {
        self.len(v.len());
        v.iter().for_each(|x| self.f64(*x));
    }
    fn rows(&mut self, v: &[Vec<f64>]) {
        self.len(v.len());
        v.iter().for_each(|r| self.doubles(r));
    }
    fn stats(&mut self, s: &ConfirmStats) {
        self.f64(s.decay);
        self.u32(s.scale);
        self.doubles(&s.feerate_sum);
        self.doubles(&s.tx_count);
        self.rows(&s.confirmed);
        self.rows(&s.failed);
    }
}

struct Reader<'a>(&'a [u8]);

const EOF: &str = "AutoFile::read: end of file";

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(EOF)?;
        self.0 = rest;
        Ok(*head)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(u64::from_le_bytes(self.take()?)))
    }
    fn len(&mut self) -> Result<usize, String> {
        let first = self.take::<1>()?[0];
        let n = match first {
            0xfd => u64::from(u16::from_le_bytes(self.take()?)),
            0xfe => u64::from(u32::from_le_bytes(self.take()?)),
            0xff => u64::from_le_bytes(self.take()?),
            n => u64::from(n),
        };
        // Every element is at least 1 byte: a longer claim is corrupt.
        if n > self.0.len() as u64 {
            return Err(EOF.into());
        }
        Ok(n as usize)
    }
    fn doubles(&mut self) -> Result<Vec<f64>, String> {
        let n = self.len()?;
        (0..n).map(|_| self.f64()).collect()
    }
    fn rows(&mut self) -> Result<Vec<Vec<f64>>, String> {
        let n = self.len()?;
        (0..n).map(|_| self.doubles()).collect()
    }

    /// One horizon, checked against the file's bucket count.
    fn stats(&mut self, buckets: usize) -> Result<ConfirmStats, String> {
        let corrupt = |what: &str| format!("Corrupt estimates file. {what}");
        let decay = self.f64()?;
        if !(decay > 0.0 && decay < 1.0) {
            return Err(corrupt("Decay must be between 0 and 1 (non-inclusive)"));
        }
        let scale = self.u32()?;
        if scale == 0 {
            return Err(corrupt("Scale must be non-zero"));
        }
        let feerate_sum = self.doubles()?;
        if feerate_sum.len() != buckets {
            return Err(corrupt("Mismatch in feerate average bucket count"));
        }
        let tx_count = self.doubles()?;
        if tx_count.len() != buckets {
            return Err(corrupt("Mismatch in tx count bucket count"));
        }
        let confirmed = self.rows()?;
        let max_confirms = u64::from(scale) * confirmed.len() as u64;
        if max_confirms == 0 || max_confirms > MAX_FILE_CONFIRMS {
            return Err(
                "Corrupt estimates file.  Must maintain estimates for between 1 and 1008 (one week) confirms".into(),
            );
        }
        if confirmed.iter().any(|r| r.len() != buckets) {
            return Err(corrupt("Mismatch in feerate conf average bucket count"));
        }
        let failed = self.rows()?;
        if failed.len() != confirmed.len() {
            return Err(corrupt("Mismatch in confirms tracked for failures"));
        }
        if failed.iter().any(|r| r.len() != buckets) {
            return Err(corrupt("Mismatch in one of failure average bucket counts"));
        }
        tracing::debug!(target: "estimatefee", "Reading estimates: {buckets} buckets counting confirms up to {max_confirms} blocks");
        Ok(ConfirmStats::from_parts(
            decay,
            scale,
            feerate_sum,
            tx_count,
            confirmed,
            failed,
        ))
    }
}

impl FeeEstimator {
    /// The estimates in the file format.
    pub fn serialize(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(&CURRENT_FEES_FILE_VERSION.to_le_bytes());
        w.u32(self.best_seen_height);
        // The span worth keeping: this run's, unless the loaded one is much longer.
        if self.block_span() > self.historical_block_span() / 2 {
            w.u32(self.first_recorded_height);
            w.u32(self.best_seen_height);
        } else {
            w.u32(self.historical_first);
            w.u32(self.historical_best);
        }
        w.doubles(&self.buckets);
        w.stats(&self.medium);
        w.stats(&self.short);
        w.stats(&self.long);
        w.0
    }

    /// Replaces the estimates with those of `bytes`; on error nothing
    /// changes. A file of an older version is ignored with a warning.
    pub fn deserialize(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut r = Reader(bytes);
        let version = i32::from_le_bytes(r.take()?);
        if version > CURRENT_FEES_FILE_VERSION {
            return Err(format!("File version ({version}) too high to be read."));
        }
        let best_seen = r.u32()?;
        if version < CURRENT_FEES_FILE_VERSION {
            tracing::warn!("Incompatible old fee estimation data (non-fatal). Version: {version}");
            return Ok(());
        }
        let first = r.u32()?;
        let best = r.u32()?;
        if first > best || best > best_seen {
            return Err(
                "Corrupt estimates file. Historical block range for estimates is invalid".into(),
            );
        }
        let buckets = r.doubles()?;
        if buckets.len() <= 1 || buckets.len() > 1000 {
            return Err(
                "Corrupt estimates file. Must have between 2 and 1000 feerate buckets".into(),
            );
        }
        let medium = r.stats(buckets.len())?;
        let short = r.stats(buckets.len())?;
        let long = r.stats(buckets.len())?;
        self.buckets = buckets;
        self.medium = medium;
        self.short = short;
        self.long = long;
        self.tracked.clear();
        self.best_seen_height = best_seen;
        self.historical_first = first;
        self.historical_best = best;
        Ok(())
    }
}

/// Builds the estimator from `path` at start-up (Core's constructor): a
/// missing file, one older than [`MAX_FILE_AGE_SECS`] (unless
/// `accept_stale`) or a corrupt one leaves it empty, with Core's log lines.
pub fn load_file(path: &Path, accept_stale: bool) -> FeeEstimator {
    let mut estimator = FeeEstimator::new();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(_) => {
            tracing::info!("{} is not found. Continue anyway.", path.display());
            return estimator;
        }
    };
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or(Duration::ZERO);
    let hours = age.as_secs() / 3600;
    if hours > MAX_FILE_AGE_SECS / 3600 && !accept_stale {
        tracing::warn!(
            "Fee estimation file {} too old (age={hours} > {} hours) and will not be used to avoid serving stale estimates.",
            path.display(),
            MAX_FILE_AGE_SECS / 3600
        );
        return estimator;
    }
    if let Err(e) = estimator.deserialize(&bytes) {
        tracing::warn!("Unable to read policy estimator data (non-fatal): {e}");
        tracing::warn!(
            "Failed to read fee estimates from {}. Continue anyway.",
            path.display()
        );
    }
    estimator
}

/// Writes the estimates to `path` (hourly and at shutdown); failures are
/// logged, never fatal.
pub fn write_file(estimator: &FeeEstimator, path: &Path) {
    match std::fs::write(path, estimator.serialize()) {
        Ok(()) => {
            tracing::debug!(target: "estimatefee", "Flushed fee estimates to {}.", path.display())
        }
        Err(e) => tracing::warn!(
            "Failed to write fee estimates to {}: {e}. Continue anyway.",
            path.display()
        ),
    }
}
