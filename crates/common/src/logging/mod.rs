//! Bitcoin Core compatible logging (`debug.log`) on top of `tracing`.
//!
//! Code logs with the `tracing` macros. The category is the event's `target`;
//! uncategorised messages use the default target:
//!
//! ```text
//! tracing::info!("Loaded {} blocks", n);               // "2026-11-23T09:12:19Z Loaded 5 blocks"
//! tracing::warn!("Disk space is low");                 // "... [warning] Disk space is low"
//! tracing::debug!(target: "net", "connected peer={}", id); // "... [net] connected peer=0"  (only with -debug=net)
//! tracing::trace!(target: "net", "details");           // "... [net:trace] details" (with -debug=net -loglevel=net:trace)
//! ```
//!
//! As in Core, info, warning and error messages are always logged; debug and trace
//! messages only for categories enabled with `-debug` (or the `logging` RPC) and at
//! or above the category's threshold (`-loglevel`, default `debug`). Debug and
//! trace events whose target is not a category name are dropped. The disabled case
//! is decided before the message is formatted.
//!
//! Start-up order (mirroring Core's init):
//!
//! 1. [`install()`] as early as possible in `main`: from then on messages are
//!    buffered (up to about 1 MB) until [`start`].
//! 2. After the arguments are parsed: [`setup_categories`] with the values of
//!    `-debug`, `-debugexclude` and `-loglevel` (as Core's `GetArgs` returns them:
//!    values after the last negation, `""` for a bare `-debug`). On `Err(text)`
//!    print `Error: {text}` and exit 1.
//! 3. Once the data directory exists: [`start`] with a [`LogConfig`] built from the
//!    options (the `-debuglogfile` path made absolute against the network data
//!    directory, `None` for `-nodebuglogfile`; `shrink` from `-shrinkdebugfile`
//!    defaulting to [`default_shrink_debug_file`]). On `Err(text)` print
//!    `Error: {text}` and exit 1.
//! 4. On SIGHUP call [`reopen`] (it only sets a flag). The `setmocktime` RPC calls
//!    [`set_mocktime`]; the `logging` RPC uses [`enable_category`],
//!    [`disable_category`] and [`all_categories`].

pub mod categories;
pub mod format;
pub mod from_args;
pub mod layer;
pub mod logger;

pub use categories::{CategoryMask, Level};
pub use format::{Entry, FormatOptions};
pub use layer::CoreLayer;
pub use logger::{set_thread_name, shrink_debug_file, LogConfig, Logger, PrintCallback};

use std::path::PathBuf;
use std::sync::{LazyLock, OnceLock};

/// Default name of the log file inside the network data directory.
pub const DEFAULT_DEBUGLOGFILE: &str = "debug.log";
/// Default of `-logtimestamps`.
pub const DEFAULT_LOGTIMESTAMPS: bool = true;
/// Default of `-logtimemicros`.
pub const DEFAULT_LOGTIMEMICROS: bool = false;
/// Default of `-logthreadnames`.
pub const DEFAULT_LOGTHREADNAMES: bool = false;
/// Default of `-logsourcelocations`.
pub const DEFAULT_LOGSOURCELOCATIONS: bool = false;
/// Default of `-loglevelalways`.
pub const DEFAULT_LOGLEVELALWAYS: bool = false;
/// Default of `-logips`.
pub const DEFAULT_LOGIPS: bool = false;
/// Default of `-logratelimit`.
pub const DEFAULT_LOGRATELIMIT: bool = true;

static LOGGER: LazyLock<Logger> = LazyLock::new(Logger::new);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// The process-wide logger.
pub fn logger() -> &'static Logger {
    &LOGGER
}

/// Installs the global `tracing` subscriber that feeds [`logger()`]. Idempotent;
/// returns false if another global subscriber was installed first.
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(CoreLayer::new(logger()));
        tracing::subscriber::set_global_default(subscriber).is_ok()
    })
}

/// Applies `-debug`, `-debugexclude` and then `-loglevel`, returning Core's init
/// error text (e.g. `Unsupported logging category -debug=abc.`) for the caller to
/// print after `Error: `.
pub fn setup_categories(
    debug: &[String],
    exclude: &[String],
    loglevel: &[String],
) -> Result<(), String> {
    install();
    LOGGER.setup_categories(debug, exclude)?;
    LOGGER.setup_levels(loglevel)
}

/// Opens the outputs and writes the buffered lines (Core's `StartLogging`). Fails
/// with `Could not open debug log file <path>`.
pub fn start(config: LogConfig) -> Result<(), String> {
    install();
    LOGGER.start(&config)
}

/// Enables a debug category by name (`all`/`1` for all); false if unknown.
pub fn enable_category(name: &str) -> bool {
    LOGGER.enable_category(name)
}

/// Disables a debug category by name (`all`/`1` for all); false if unknown.
pub fn disable_category(name: &str) -> bool {
    LOGGER.disable_category(name)
}

/// Names of the enabled categories, alphabetically.
pub fn enabled_categories() -> Vec<String> {
    LOGGER
        .category_list()
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n.to_string())
        .collect()
}

/// Every category, alphabetically, with whether it is enabled (the `logging` RPC result).
pub fn all_categories() -> Vec<(&'static str, bool)> {
    LOGGER.category_list()
}

/// The category names joined with `", "`, for help texts.
pub fn categories_string() -> String {
    categories::categories_string()
}

/// The user-selectable levels, `info, debug, trace`, for help texts.
pub fn levels_string() -> String {
    categories::levels_string()
}

/// Whether a message of `category` (a name; anything else means uncategorised) at
/// `level` would be logged, for callers that want to skip expensive work.
pub fn will_log(category: &str, level: Level) -> bool {
    let flag = categories::flag_of(category).unwrap_or(categories::ALL);
    LOGGER.will_log(flag, level)
}

/// Core's default for `-shrinkdebugfile`: true when no category is enabled.
/// Call after [`setup_categories`].
pub fn default_shrink_debug_file() -> bool {
    LOGGER.default_shrink_debug_file()
}

/// The log file path, once [`start`]ed with one.
pub fn log_path() -> Option<PathBuf> {
    LOGGER.log_path()
}

/// Reopens the log file before the next write (SIGHUP; safe in a signal handler).
pub fn reopen() {
    LOGGER.reopen();
}

/// Sets the mock time in seconds (0 clears it), shown as `(mocktime: …)`.
pub fn set_mocktime(secs: i64) {
    LOGGER.set_mocktime(secs);
}

/// Whether IP addresses may be logged (`-logips`, set through [`LogConfig`]).
pub fn log_ips() -> bool {
    LOGGER.log_ips()
}

/// Adds a function receiving every formatted line after [`start`].
pub fn add_print_callback(cb: PrintCallback) {
    LOGGER.add_print_callback(cb);
}
