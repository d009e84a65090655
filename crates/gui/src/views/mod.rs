//! The screens, one module each, drawing from the model's [`crate::model::View`].

pub mod address_book;
pub mod menu;
pub mod node_window;
pub mod options;
pub mod overlay;
pub mod overview;
pub mod psbt;
pub mod qr;
pub mod receive;
pub mod send;
pub mod splash;
pub mod status_bar;
pub mod transactions;
pub mod wallet_dialogs;
pub mod wallet_frame;

/// Satoshis as bitcoin-qt shows BTC: eight decimals and the unit.
pub fn format_btc(sats: i64) -> String {
    format!("{} BTC", crate::units::Unit::Btc.format(sats))
}

/// Parses a BTC amount as typed ("1", "0.5", "0.00000001") into satoshis.
pub fn parse_btc(text: &str) -> Option<i64> {
    crate::units::Unit::Btc.parse(text)
}

/// The middle of the window, where dialogs open (as Qt centres them on
/// their parent).
pub fn center(ctx: &eframe::egui::Context) -> eframe::egui::Pos2 {
    ctx.content_rect().center()
}

/// Escape was pressed: it closes the front dialog, as it closes a Qt
/// dialog (rejects it).
pub fn escape(ctx: &eframe::egui::Context) -> bool {
    ctx.input(|i| i.key_pressed(eframe::egui::Key::Escape))
}

/// bitcoin-qt's masked value: every digit a "#".
pub fn masked(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Seconds since 1970.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// bitcoin-qt's `formatNiceTimeOffset`: "5 minutes", "3 hours", "2 days",
/// "1 year(s) and 4 week(s)".
pub fn nice_time_offset(secs: i64) -> String {
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    const WEEK: i64 = 7 * DAY;
    const YEAR: i64 = 31_556_952;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        s if s < 60 => plural(s.max(0), "second"),
        s if s < 2 * HOUR => plural(s / 60, "minute"),
        s if s < 2 * DAY => plural(s / HOUR, "hour"),
        s if s < 2 * WEEK => plural(s / DAY, "day"),
        s if s < YEAR => plural(s / WEEK, "week"),
        s => format!(
            "{} and {}",
            plural(s / YEAR, "year"),
            plural((s % YEAR) / WEEK, "week")
        ),
    }
}

/// bitcoin-qt's `formatBytes`: "512 B", "3 KB", "12 MB", "1 GB".
pub fn format_bytes(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{} KB", b / 1024),
        b if b < 1024 * 1024 * 1024 => format!("{} MB", b / 1024 / 1024),
        b => format!("{} GB", b / 1024 / 1024 / 1024),
    }
}

/// A UTC date and time `YYYY-MM-DD HH:MM:SS` (civil from days, Howard
/// Hinnant's algorithm) for block and start-up times.
pub fn format_time(unix: i64) -> String {
    let (y, m, d) = civil(unix.div_euclid(86_400));
    let rem = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// (year, month, day) of a day count since 1970 (Howard Hinnant's
/// civil-from-days).
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_bitcoin_qt() {
        assert_eq!(nice_time_offset(30), "30 seconds");
        assert_eq!(nice_time_offset(90 * 60), "90 minutes");
        assert_eq!(nice_time_offset(5 * 3600), "5 hours");
        assert_eq!(nice_time_offset(3 * 86400), "3 days");
        assert_eq!(format_bytes(2048), "2 KB");
        assert_eq!(format_time(0), "1970-01-01 00:00:00");
        assert_eq!(format_time(1_296_688_602), "2011-02-02 23:16:42");
        assert_eq!(format_btc(150_000_000), "1.50000000 BTC");
        assert_eq!(format_btc(-1), "-0.00000001 BTC");
        assert_eq!(parse_btc("1.5"), Some(150_000_000));
        assert_eq!(parse_btc("0.00000001"), Some(1));
        assert_eq!(parse_btc(".1"), Some(10_000_000));
        for bad in ["", "1.000000001", "abc", "-1", "1,5"] {
            assert_eq!(parse_btc(bad), None, "{bad}");
        }
    }
}
