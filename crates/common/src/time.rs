//! Wall-clock time with `setmocktime` support.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static MOCK_TIME: AtomicI64 = AtomicI64::new(0);

/// Sets the mock time in seconds since the epoch; 0 returns to the real clock.
/// Log lines show it as `(mocktime: …)`, as Core's do.
pub fn set_mock_time(secs: i64) {
    MOCK_TIME.store(secs, Ordering::SeqCst);
    crate::logging::set_mocktime(secs);
}

/// The mock time, or 0 when the real clock is in use.
pub fn mock_time() -> i64 {
    MOCK_TIME.load(Ordering::SeqCst)
}

/// Seconds since the epoch, honouring mock time.
pub fn now_secs() -> i64 {
    match mock_time() {
        0 => real_now_secs(),
        t => t,
    }
}

/// Seconds since the epoch from the real clock, ignoring mock time.
pub fn real_now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_time_overrides_clock() {
        set_mock_time(1_296_688_602);
        assert_eq!(now_secs(), 1_296_688_602);
        set_mock_time(0);
        assert!(now_secs() > 1_700_000_000);
    }
}
