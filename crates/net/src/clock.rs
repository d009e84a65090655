//! The mockable clock used for ping times and timeouts: under `setmocktime` it
//! stands still at the mock time, as Core's `NodeClock` does, so tests can move
//! time forward deterministically.

/// Microseconds since the epoch, or the mock time (in whole seconds) when set.
pub fn now_micros() -> i64 {
    match common::time::mock_time() {
        0 => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64),
        mock => mock.saturating_mul(1_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_mock_time() {
        assert!(now_micros() > 1_700_000_000_000_000);
        common::time::set_mock_time(1_000);
        assert_eq!(now_micros(), 1_000_000_000);
        common::time::set_mock_time(0);
    }
}
