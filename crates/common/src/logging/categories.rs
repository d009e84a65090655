//! Debug-logging categories and severity levels, with the names Bitcoin Core uses
//! for `-debug`, `-debugexclude`, `-loglevel` and the `logging` RPC.

/// Bit set of enabled categories (one bit per category).
pub type CategoryMask = u64;

/// No category: an uncategorised message.
pub const NONE: CategoryMask = 0;
/// Every category at once (`-debug`, `-debug=1`, `-debug=all`).
pub const ALL: CategoryMask = !0;

/// Every category by name with its bit, in alphabetical order (the order Core lists
/// them in help texts and in the `logging` RPC result). Bit positions follow Core's.
pub const CATEGORIES: &[(&str, CategoryMask)] = &[
    ("addrman", 1 << 9),
    ("bench", 1 << 4),
    ("blockstorage", 1 << 24),
    ("cmpctblock", 1 << 12),
    ("coindb", 1 << 17),
    ("estimatefee", 1 << 8),
    ("http", 1 << 3),
    ("i2p", 1 << 21),
    ("ipc", 1 << 22),
    ("kernel", 1 << 28),
    ("leveldb", 1 << 19),
    ("mempool", 1 << 2),
    ("mempoolrej", 1 << 16),
    ("net", 1 << 0),
    ("privatebroadcast", 1 << 29),
    ("proxy", 1 << 15),
    ("prune", 1 << 14),
    ("qt", 1 << 18),
    ("rand", 1 << 13),
    ("reindex", 1 << 11),
    ("rpc", 1 << 7),
    ("scan", 1 << 26),
    ("selectcoins", 1 << 10),
    ("tor", 1 << 1),
    ("txpackages", 1 << 27),
    ("txreconciliation", 1 << 25),
    ("validation", 1 << 20),
    ("walletdb", 1 << 6),
    ("zmq", 1 << 5),
];

/// Category names accepted for compatibility that do nothing (with a warning).
pub const DEPRECATED_CATEGORIES: &[&str] = &["libevent"];

/// Result of looking a user-supplied category name up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A known category (or [`ALL`] for `""`, `"1"` and `"all"`).
    Flag(CategoryMask),
    /// A deprecated name that is accepted but has no effect.
    Deprecated,
    /// Not a category name.
    Unknown,
}

/// Looks a category name up the way `-debug=<name>` and the `logging` RPC do:
/// the empty string, `"1"` and `"all"` mean every category.
pub fn lookup(name: &str) -> Lookup {
    if name.is_empty() || name == "1" || name == "all" {
        return Lookup::Flag(ALL);
    }
    if let Some(flag) = flag_of(name) {
        return Lookup::Flag(flag);
    }
    if DEPRECATED_CATEGORIES.contains(&name) {
        return Lookup::Deprecated;
    }
    Lookup::Unknown
}

/// The bit of the category called exactly `name` (no aliases), used to map a
/// `tracing` target to its category.
pub fn flag_of(name: &str) -> Option<CategoryMask> {
    CATEGORIES
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .and_then(|i| CATEGORIES.get(i))
        .map(|(_, flag)| *flag)
}

/// The name of a single-category bit, `"all"` for [`ALL`] (and [`NONE`]).
pub fn name_of(flag: CategoryMask) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(_, f)| *f == flag)
        .map_or("all", |(n, _)| n)
}

/// Index (bit position) of a single-category flag, used for per-category levels.
pub(crate) fn index_of(flag: CategoryMask) -> Option<usize> {
    (flag.count_ones() == 1).then(|| flag.trailing_zeros() as usize)
}

/// The category names joined with `", "`, as in Core's help and error texts.
pub fn categories_string() -> String {
    CATEGORIES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Severity of a log message, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Very verbose development output (`tracing::trace!`).
    Trace = 0,
    /// Debug output, shown only for enabled categories (`tracing::debug!`).
    Debug = 1,
    /// Normal messages, always shown (`tracing::info!`).
    Info = 2,
    /// Warnings, always shown (`tracing::warn!`).
    Warning = 3,
    /// Errors, always shown (`tracing::error!`).
    Error = 4,
}

impl Level {
    /// Core's name of the level (`trace`, `debug`, `info`, `warning`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// Parses one of Core's level names.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "trace" => Some(Level::Trace),
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }

    /// The level of a `tracing` event.
    pub fn from_tracing(level: &tracing::Level) -> Level {
        match *level {
            tracing::Level::TRACE => Level::Trace,
            tracing::Level::DEBUG => Level::Debug,
            tracing::Level::INFO => Level::Info,
            tracing::Level::WARN => Level::Warning,
            tracing::Level::ERROR => Level::Error,
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<Level> {
        match v {
            0 => Some(Level::Trace),
            1 => Some(Level::Debug),
            2 => Some(Level::Info),
            3 => Some(Level::Warning),
            4 => Some(Level::Error),
            _ => None,
        }
    }
}

/// The default threshold for enabled debug categories.
pub const DEFAULT_LOG_LEVEL: Level = Level::Debug;
/// The most severe level a user may set with `-loglevel` (more severe ones are
/// always logged anyway).
pub const MAX_USER_SETTABLE_LEVEL: Level = Level::Info;

/// The levels a user may choose, as listed in `-loglevel` texts: `info, debug, trace`.
pub fn levels_string() -> String {
    [Level::Info, Level::Debug, Level::Trace]
        .iter()
        .map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in CATEGORIES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        let mut all = 0u64;
        for (_, f) in CATEGORIES {
            assert_eq!(f.count_ones(), 1);
            assert_eq!(all & f, 0);
            all |= f;
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("net"), Lookup::Flag(1));
        assert_eq!(lookup(""), Lookup::Flag(ALL));
        assert_eq!(lookup("1"), Lookup::Flag(ALL));
        assert_eq!(lookup("all"), Lookup::Flag(ALL));
        assert_eq!(lookup("libevent"), Lookup::Deprecated);
        assert_eq!(lookup("abc"), Lookup::Unknown);
        assert_eq!(lookup("0"), Lookup::Unknown);
        assert_eq!(lookup("NET"), Lookup::Unknown);
        assert_eq!(flag_of("zmq"), Some(1 << 5));
        assert_eq!(flag_of("all"), None);
        assert_eq!(name_of(1 << 22), "ipc");
        assert_eq!(name_of(ALL), "all");
        assert_eq!(index_of(1 << 22), Some(22));
        assert_eq!(index_of(ALL), None);
        assert_eq!(levels_string(), "info, debug, trace");
        assert!(categories_string().starts_with("addrman, bench, blockstorage, "));
        assert!(categories_string().ends_with(", walletdb, zmq"));
    }
}
