//! A fee rate as Core's `CFeeRate`: an exact fee per size fraction whose
//! fees round up, so that estimates never underpay.

use std::cmp::Ordering;

/// Satoshis per virtual byte, kept as the exact fraction `fee / size` (as
/// Core's `FeePerVSize`), compared by ratio.
#[derive(Clone, Copy, Debug, Default)]
pub struct FeeRate {
    /// Satoshis paid for `size` virtual bytes.
    fee: i64,
    /// Virtual bytes; 0 only for the empty (zero) rate.
    size: u32,
}

impl FeeRate {
    /// The zero rate (Core's default-constructed `CFeeRate`).
    pub const ZERO: FeeRate = FeeRate { fee: 0, size: 0 };

    /// `sat_per_kvb` satoshis per 1000 virtual bytes, the unit of Core's
    /// options and of `CFeeRate(CAmount)`.
    pub const fn from_sat_per_kvb(sat_per_kvb: i64) -> Self {
        FeeRate {
            fee: sat_per_kvb,
            size: 1000,
        }
    }

    /// `fee` satoshis paid for `vsize` virtual bytes; a non-positive size is
    /// the zero rate, as Core's `CFeeRate(fee, size)`.
    pub fn from_fee_and_vsize(fee: i64, vsize: i64) -> Self {
        match u32::try_from(vsize) {
            Ok(size) if size > 0 => FeeRate { fee, size },
            _ => FeeRate::ZERO,
        }
    }

    /// The fee for `vbytes` virtual bytes, rounded up to whole satoshis
    /// (Core's `GetFee`); a negative rate never rounds to zero for a
    /// non-empty size, so it still reads as negative.
    pub fn fee(&self, vbytes: u32) -> i64 {
        if self.size == 0 {
            return 0;
        }
        let n = i128::from(self.fee) * i128::from(vbytes);
        let d = i128::from(self.size);
        // Ceiling division that is also right for negative numerators.
        let up = -((-n).div_euclid(d));
        let fee = up.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        if fee == 0 && vbytes != 0 && self.fee < 0 {
            return -1;
        }
        fee
    }

    /// Satoshis per 1000 virtual bytes, rounded down (Core's `GetFeePerK`).
    pub fn sat_per_kvb(&self) -> i64 {
        if self.size == 0 {
            return 0;
        }
        let n = i128::from(self.fee) * 1000;
        n.div_euclid(i128::from(self.size))
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// This rate multiplied by `k` (Core's `k * CFeeRate`), e.g. to compare
    /// against three times the long-term rate.
    pub fn times(&self, k: i64) -> Self {
        FeeRate {
            fee: self.fee.saturating_mul(k),
            size: self.size,
        }
    }

    /// The rate as a fraction with a non-zero denominator, so that the zero
    /// rate compares like any other zero.
    fn frac(&self) -> (i128, i128) {
        if self.size == 0 {
            (0, 1)
        } else {
            (i128::from(self.fee), i128::from(self.size))
        }
    }
}

impl From<interfaces::FeeRate> for FeeRate {
    fn from(rate: interfaces::FeeRate) -> Self {
        FeeRate::from_fee_and_vsize(rate.fee, i64::from(rate.size))
    }
}

impl PartialEq for FeeRate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for FeeRate {}

impl PartialOrd for FeeRate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FeeRate {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a_fee, a_size) = self.frac();
        let (b_fee, b_size) = other.frac();
        (a_fee * b_size).cmp(&(b_fee * a_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_up() {
        let r = FeeRate::from_sat_per_kvb(1);
        assert_eq!(r.fee(68), 1);
        assert_eq!(r.fee(0), 0);
        assert_eq!(FeeRate::from_sat_per_kvb(5000).fee(31), 155);
        assert_eq!(FeeRate::from_sat_per_kvb(3000).fee(68), 204);
        assert_eq!(FeeRate::from_sat_per_kvb(1_500_000).fee(68), 102_000);
        assert_eq!(FeeRate::from_sat_per_kvb(99).fee(68), 7); // 6.732 up
        assert_eq!(FeeRate::ZERO.fee(100), 0);
    }

    #[test]
    fn negative_rates_stay_negative() {
        let r = FeeRate::from_sat_per_kvb(-1);
        assert_eq!(r.fee(68), -1);
        assert_eq!(FeeRate::from_sat_per_kvb(-1000).fee(68), -68);
        assert_eq!(FeeRate::from_sat_per_kvb(-1500).fee(3), -4);
    }

    #[test]
    fn compares_by_ratio() {
        assert_eq!(
            FeeRate::from_fee_and_vsize(1, 1),
            FeeRate::from_sat_per_kvb(1000)
        );
        assert!(FeeRate::from_sat_per_kvb(30_001) > FeeRate::from_sat_per_kvb(10_000).times(3));
        assert!(FeeRate::from_sat_per_kvb(30_000) <= FeeRate::from_sat_per_kvb(10_000).times(3));
        assert_eq!(FeeRate::ZERO, FeeRate::from_sat_per_kvb(0));
        assert!(FeeRate::ZERO < FeeRate::from_sat_per_kvb(1));
        assert_eq!(FeeRate::from_fee_and_vsize(7, 3).sat_per_kvb(), 2333);
        assert_eq!(FeeRate::from_fee_and_vsize(7, 0), FeeRate::ZERO);
    }
}
