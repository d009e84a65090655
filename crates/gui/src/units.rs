//! bitcoin-qt's display units (`BitcoinUnits`): BTC, mBTC, µBTC and
//! satoshi, amounts in satoshis formatted for them and parsed from text.
//! Not localised: the decimal point is always ".", as in bitcoin-qt.

/// Core's `MAX_MONEY`: 21 million BTC in satoshis.
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

/// The separator bitcoin-qt puts between groups of thousands (U+2009).
pub const THIN_SPACE: char = '\u{2009}';

/// A display unit; the order is bitcoin-qt's (and its QSettings number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Unit {
    /// Bitcoin, 8 decimals.
    #[default]
    Btc,
    /// Milli-bitcoin, 5 decimals.
    MBtc,
    /// Micro-bitcoin ("bits"), 2 decimals.
    UBtc,
    /// Satoshi, no decimals.
    Sat,
}

impl Unit {
    /// Every unit, in bitcoin-qt's order.
    pub const ALL: [Unit; 4] = [Unit::Btc, Unit::MBtc, Unit::UBtc, Unit::Sat];

    /// The short name shown after amounts ("BTC", "mBTC", "bits", "sat").
    pub fn label(self) -> &'static str {
        match self {
            Unit::Btc => "BTC",
            Unit::MBtc => "mBTC",
            Unit::UBtc => "bits",
            Unit::Sat => "sat",
        }
    }

    /// The name in unit choosers ("µBTC (bits)", "Satoshi (sat)").
    pub fn long_name(self) -> &'static str {
        match self {
            Unit::Btc => "BTC",
            Unit::MBtc => "mBTC",
            Unit::UBtc => "µBTC (bits)",
            Unit::Sat => "Satoshi (sat)",
        }
    }

    /// Satoshis in one unit.
    pub fn factor(self) -> i64 {
        match self {
            Unit::Btc => 100_000_000,
            Unit::MBtc => 100_000,
            Unit::UBtc => 100,
            Unit::Sat => 1,
        }
    }

    /// Digits after the decimal point.
    pub fn decimals(self) -> usize {
        match self {
            Unit::Btc => 8,
            Unit::MBtc => 5,
            Unit::UBtc => 2,
            Unit::Sat => 0,
        }
    }

    /// The number bitcoin-qt stores for the unit (0 BTC … 3 sat).
    pub fn index(self) -> u8 {
        match self {
            Unit::Btc => 0,
            Unit::MBtc => 1,
            Unit::UBtc => 2,
            Unit::Sat => 3,
        }
    }

    /// The unit bitcoin-qt stores as `index`.
    pub fn from_index(index: i64) -> Option<Unit> {
        Unit::ALL
            .into_iter()
            .find(|u| i64::from(u.index()) == index)
    }

    /// `sats` with all the unit's decimals and no separators ("1.50000000"),
    /// as bitcoin-qt copies amounts and writes them to fields.
    pub fn format(self, sats: i64) -> String {
        self.format_with(sats, false)
    }

    /// `sats` with thin-space thousands separators when the whole part has
    /// more than four digits ("12 345.00000000"), as in tables and balances.
    pub fn format_grouped(self, sats: i64) -> String {
        self.format_with(sats, true)
    }

    /// [`Unit::format_grouped`] and the unit's label ("1.50000000 BTC").
    pub fn format_with_unit(self, sats: i64) -> String {
        format!("{} {}", self.format_grouped(sats), self.label())
    }

    fn format_with(self, sats: i64, grouped: bool) -> String {
        let abs = sats.unsigned_abs();
        let factor = self.factor().unsigned_abs();
        let whole = (abs / factor).to_string();
        let whole = if grouped && whole.len() > 4 {
            group_thousands(&whole)
        } else {
            whole
        };
        let sign = if sats < 0 { "-" } else { "" };
        match self.decimals() {
            0 => format!("{sign}{whole}"),
            d => format!("{sign}{whole}.{:0d$}", abs % factor),
        }
    }

    /// Satoshis from text in this unit ("1.5", ".1", "12 345"): spaces and
    /// thin spaces are ignored, one "." at most, no more decimals than the
    /// unit has, no sign; `None` for anything else or above [`MAX_MONEY`].
    pub fn parse(self, text: &str) -> Option<i64> {
        let text: String = text
            .chars()
            .filter(|c| *c != ' ' && *c != THIN_SPACE)
            .collect();
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && frac.is_empty()
            || frac.len() > self.decimals()
            || !digits_only(whole)
            || !digits_only(frac)
        {
            return None;
        }
        // As bitcoin-qt: more than 18 digits would not fit in 63 bits.
        let all = format!("{whole}{frac:0<width$}", width = self.decimals());
        if all.len() > 18 {
            return None;
        }
        let sats: i64 = all.parse().ok()?;
        (sats <= MAX_MONEY).then_some(sats)
    }
}

/// "1234567" as "1 234 567" with thin spaces.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THIN_SPACE);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_every_unit_with_its_decimals() {
        let sats = 123_456_789;
        assert_eq!(Unit::Btc.format(sats), "1.23456789");
        assert_eq!(Unit::MBtc.format(sats), "1234.56789");
        assert_eq!(Unit::UBtc.format(sats), "1234567.89");
        assert_eq!(Unit::Sat.format(sats), "123456789");
        assert_eq!(Unit::Btc.format(-1), "-0.00000001");
        assert_eq!(Unit::Btc.format(0), "0.00000000");
        assert_eq!(Unit::Btc.format(i64::MIN), "-92233720368.54775808");
    }

    #[test]
    fn groups_thousands_only_past_four_digits() {
        assert_eq!(Unit::MBtc.format_grouped(123_456_789), "1234.56789");
        assert_eq!(
            Unit::UBtc.format_grouped(123_456_789),
            "1\u{2009}234\u{2009}567.89"
        );
        assert_eq!(Unit::Sat.format_grouped(-12_345), "-12\u{2009}345");
        assert_eq!(Unit::Btc.format_with_unit(150_000_000), "1.50000000 BTC");
        assert_eq!(Unit::UBtc.format_with_unit(100), "1.00 bits");
    }

    #[test]
    fn parses_what_it_formats() {
        for unit in Unit::ALL {
            for sats in [0, 1, 99, 100_000, 123_456_789, MAX_MONEY] {
                assert_eq!(unit.parse(&unit.format(sats)), Some(sats), "{unit:?}");
                assert_eq!(unit.parse(&unit.format_grouped(sats)), Some(sats));
            }
        }
    }

    #[test]
    fn parses_as_bitcoin_qt_and_refuses_the_rest() {
        assert_eq!(Unit::Btc.parse("1.5"), Some(150_000_000));
        assert_eq!(Unit::Btc.parse(".1"), Some(10_000_000));
        assert_eq!(Unit::Btc.parse("2."), Some(200_000_000));
        assert_eq!(Unit::Btc.parse(" 1 000 "), Some(100_000_000_000));
        assert_eq!(Unit::MBtc.parse("1.00001"), Some(100_001));
        assert_eq!(Unit::UBtc.parse("1.5"), Some(150));
        assert_eq!(Unit::Sat.parse("42"), Some(42));
        for (unit, bad) in [
            (Unit::Btc, ""),
            (Unit::Btc, "."),
            (Unit::Btc, "1.000000001"),
            (Unit::MBtc, "1.000001"),
            (Unit::UBtc, "0.001"),
            (Unit::Sat, "1.5"),
            (Unit::Btc, "1.2.3"),
            (Unit::Btc, "-1"),
            (Unit::Btc, "+1"),
            (Unit::Btc, "1,5"),
            (Unit::Btc, "abc"),
            (Unit::Btc, "21000000.00000001"),
            (Unit::Sat, "1234567890123456789"),
        ] {
            assert_eq!(unit.parse(bad), None, "{unit:?} {bad:?}");
        }
    }

    #[test]
    fn names_and_stored_numbers_are_bitcoin_qts() {
        let labels: Vec<_> = Unit::ALL.iter().map(|u| u.label()).collect();
        assert_eq!(labels, ["BTC", "mBTC", "bits", "sat"]);
        assert_eq!(Unit::UBtc.long_name(), "µBTC (bits)");
        for (i, unit) in Unit::ALL.into_iter().enumerate() {
            assert_eq!(Unit::from_index(i as i64), Some(unit));
            assert_eq!(usize::from(unit.index()), i);
        }
        assert_eq!(Unit::from_index(4), None);
        assert_eq!(Unit::default(), Unit::Btc);
    }
}
