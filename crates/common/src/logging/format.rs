//! Rendering of one log entry as a `debug.log` line, in Bitcoin Core's format:
//! `[timestamp ][(mocktime: …) ][[thread] ][[file:line] [function] ][[cat:level] ]message\n`.

use super::categories::{self, CategoryMask, Level, ALL, NONE};
use std::time::{SystemTime, UNIX_EPOCH};

/// How lines are rendered (`-logtimestamps`, `-logtimemicros`, `-logthreadnames`,
/// `-logsourcelocations`, `-loglevelalways`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatOptions {
    /// Prefix each line with its ISO-8601 UTC time (`-logtimestamps`, default on).
    pub timestamps: bool,
    /// Add microseconds to the time (`-logtimemicros`, default off).
    pub time_micros: bool,
    /// Add `[threadname] ` (`-logthreadnames`, default off).
    pub thread_names: bool,
    /// Add `[file:line] [function] ` (`-logsourcelocations`, default off).
    pub source_locations: bool,
    /// Always add `[category:level] ` (`-loglevelalways`, default off).
    pub always_print_category_level: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            timestamps: true,
            time_micros: false,
            thread_names: false,
            source_locations: false,
            always_print_category_level: false,
        }
    }
}

/// One message to be logged, with everything captured at the time it was emitted.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Category bit, or [`ALL`]/[`NONE`] for an uncategorised message.
    pub category: CategoryMask,
    /// Severity.
    pub level: Level,
    /// Whether the rate limiter applies (unconditional messages only).
    pub should_ratelimit: bool,
    /// Wall-clock time of the call.
    pub timestamp: SystemTime,
    /// Mock time in seconds at the time of the call (0 when not mocked).
    pub mocktime: i64,
    /// Name of the emitting thread (empty if unknown).
    pub thread_name: String,
    /// Source file of the call.
    pub file: &'static str,
    /// Source line of the call.
    pub line: u32,
    /// Function (approximated by the module path in Rust).
    pub function: &'static str,
    /// The message text.
    pub message: String,
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time in seconds.
pub fn iso8601(secs: i64) -> String {
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => String::new(),
    }
}

/// The timestamp prefix of a line (with its trailing space), or `""` when
/// timestamps are off.
pub fn timestamp_prefix(opts: &FormatOptions, now: SystemTime, mocktime: i64) -> String {
    if !opts.timestamps {
        return String::new();
    }
    let (secs, micros) = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_micros(),
        ),
        Err(e) => {
            // Before 1970: round down to the previous whole second.
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_micros() == 0 {
                (-secs, 0)
            } else {
                (-secs - 1, 1_000_000 - d.subsec_micros())
            }
        }
    };
    let mut s = iso8601(secs);
    if opts.time_micros && s.ends_with('Z') {
        s.pop();
        s.push_str(&format!(".{micros:06}Z"));
    }
    if mocktime > 0 {
        s.push_str(" (mocktime: ");
        s.push_str(&iso8601(mocktime));
        s.push(')');
    }
    s.push(' ');
    s
}

/// Replaces control characters (other than newline) and DEL by `\xNN`, so that
/// log files cannot carry terminal escape sequences.
pub fn escape_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for ch in msg.chars() {
        let c = ch as u32;
        if (c >= 32 || ch == '\n') && c != 0x7f {
            out.push(ch);
        } else {
            out.push_str(&format!("\\x{c:02x}"));
        }
    }
    out
}

/// The `[category:level] ` part of a line: categorised debug messages show just
/// the category, uncategorised info messages nothing, others the level too.
pub fn category_prefix(category: CategoryMask, level: Level, always: bool) -> String {
    let category = if category == NONE { ALL } else { category };
    let has_category = always || category != ALL;
    if !has_category && level == Level::Info {
        return String::new();
    }
    let mut s = String::from("[");
    if has_category {
        s.push_str(categories::name_of(category));
    }
    if always || !has_category || level != Level::Debug {
        if has_category {
            s.push(':');
        }
        s.push_str(level.as_str());
    }
    s.push_str("] ");
    s
}

/// Renders `entry` as one complete line ending in `\n`.
pub fn format_entry(opts: &FormatOptions, entry: &Entry) -> String {
    let mut s = timestamp_prefix(opts, entry.timestamp, entry.mocktime);
    if opts.thread_names {
        let name = if entry.thread_name.is_empty() {
            "unknown"
        } else {
            &entry.thread_name
        };
        s.push('[');
        s.push_str(name);
        s.push_str("] ");
    }
    if opts.source_locations {
        let file = entry.file.strip_prefix("./").unwrap_or(entry.file);
        s.push_str(&format!("[{}:{}] [{}] ", file, entry.line, entry.function));
    }
    s.push_str(&category_prefix(
        entry.category,
        entry.level,
        opts.always_print_category_level,
    ));
    s.push_str(&escape_message(&entry.message));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(category: CategoryMask, level: Level, msg: &str) -> Entry {
        Entry {
            category,
            level,
            should_ratelimit: false,
            // 2026-11-23T09:12:19.123456Z
            timestamp: UNIX_EPOCH + Duration::from_micros(1_795_425_139_123_456),
            mocktime: 0,
            thread_name: "msghand".to_string(),
            file: "./crates/node/src/net.rs",
            line: 42,
            function: "node::net",
            message: msg.to_string(),
        }
    }

    #[test]
    fn plain_and_micros() {
        let mut o = FormatOptions::default();
        let e = entry(ALL, Level::Info, "hello");
        assert_eq!(format_entry(&o, &e), "2026-11-23T09:12:19Z hello\n");
        o.time_micros = true;
        assert_eq!(format_entry(&o, &e), "2026-11-23T09:12:19.123456Z hello\n");
        o.timestamps = false;
        assert_eq!(format_entry(&o, &e), "hello\n");
    }

    #[test]
    fn mocktime_suffix() {
        let o = FormatOptions::default();
        let mut e = entry(ALL, Level::Info, "m");
        e.mocktime = 1_700_000_000;
        assert_eq!(
            format_entry(&o, &e),
            "2026-11-23T09:12:19Z (mocktime: 2023-11-14T22:13:20Z) m\n"
        );
    }

    #[test]
    fn prefixes() {
        let o = FormatOptions::default();
        let net = categories::flag_of("net").unwrap_or(0);
        let f = |c, l| format_entry(&o, &entry(c, l, "x"));
        assert_eq!(f(net, Level::Debug), "2026-11-23T09:12:19Z [net] x\n");
        assert_eq!(f(net, Level::Trace), "2026-11-23T09:12:19Z [net:trace] x\n");
        assert_eq!(f(net, Level::Info), "2026-11-23T09:12:19Z [net:info] x\n");
        assert_eq!(f(ALL, Level::Warning), "2026-11-23T09:12:19Z [warning] x\n");
        assert_eq!(f(NONE, Level::Error), "2026-11-23T09:12:19Z [error] x\n");
        assert_eq!(f(ALL, Level::Debug), "2026-11-23T09:12:19Z [debug] x\n");
        assert_eq!(category_prefix(ALL, Level::Info, true), "[all:info] ");
        assert_eq!(category_prefix(net, Level::Debug, true), "[net:debug] ");
    }

    #[test]
    fn threads_sources_and_escaping() {
        let o = FormatOptions {
            thread_names: true,
            source_locations: true,
            ..FormatOptions::default()
        };
        let mut e = entry(ALL, Level::Info, "a\x1b[0mb\x7f\tc\nd\n");
        assert_eq!(
            format_entry(&o, &e),
            "2026-11-23T09:12:19Z [msghand] [crates/node/src/net.rs:42] [node::net] a\\x1b[0mb\\x7f\\x09c\nd\n"
        );
        e.thread_name.clear();
        e.message = "é".to_string();
        assert!(format_entry(&o, &e).contains("[unknown] "));
        assert!(format_entry(&o, &e).ends_with(" é\n"));
    }
}
