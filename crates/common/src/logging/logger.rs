//! The logger: enabled categories and levels, the early-message buffer, the
//! outputs (file, console, callbacks), the rate limiter and `debug.log` shrinking.
//!
//! A [`Logger`] is independent of `tracing`; [`super::layer::CoreLayer`] feeds it
//! events. The process-wide instance is [`super::logger()`].

use super::categories::{self, CategoryMask, Level, Lookup, ALL, NONE};
use super::format::{format_entry, Entry, FormatOptions};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Bytes of early log data kept before [`Logger::start`]; older lines are dropped.
pub const DEFAULT_MAX_LOG_BUFFER: usize = 1_000_000;
/// Bytes each source location may log per rate-limit window (`-logratelimit`).
pub const RATELIMIT_MAX_BYTES: u64 = 1024 * 1024;
/// Length of the rate-limit window.
pub const RATELIMIT_WINDOW: Duration = Duration::from_secs(3600);
/// Bytes of `debug.log` kept when it is shrunk at start-up.
pub const RECENT_DEBUG_HISTORY_SIZE: u64 = 10 * 1_000_000;

/// Marker for "no per-category level set".
const LEVEL_UNSET: u8 = u8::MAX;

/// Output settings applied by [`Logger::start`] (from `-debuglogfile`,
/// `-printtoconsole`, `-logtimestamps`, `-logtimemicros`, `-logthreadnames`,
/// `-logsourcelocations`, `-loglevelalways`, `-shrinkdebugfile`, `-logratelimit`,
/// `-logips`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Absolute path of `debug.log`, or `None` for `-nodebuglogfile`.
    pub file: Option<PathBuf>,
    /// Also write every line to stdout (`-printtoconsole`).
    pub print_to_console: bool,
    /// `-logtimestamps` (default true).
    pub timestamps: bool,
    /// `-logtimemicros` (default false).
    pub time_micros: bool,
    /// `-logthreadnames` (default false).
    pub thread_names: bool,
    /// `-logsourcelocations` (default false).
    pub source_locations: bool,
    /// `-loglevelalways` (default false).
    pub always_print_category_level: bool,
    /// Shrink the file before opening it (`-shrinkdebugfile`, whose default is
    /// [`Logger::default_shrink_debug_file`]).
    pub shrink: bool,
    /// Rate-limit unconditional messages per source location (`-logratelimit`,
    /// default true).
    pub rate_limit: bool,
    /// `-logips` (default false); read back with [`Logger::log_ips`].
    pub log_ips: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            file: None,
            print_to_console: false,
            timestamps: true,
            time_micros: false,
            thread_names: false,
            source_locations: false,
            always_print_category_level: false,
            shrink: false,
            rate_limit: true,
            log_ips: false,
        }
    }
}

impl LogConfig {
    fn format_options(&self) -> FormatOptions {
        FormatOptions {
            timestamps: self.timestamps,
            time_micros: self.time_micros,
            thread_names: self.thread_names,
            source_locations: self.source_locations,
            always_print_category_level: self.always_print_category_level,
        }
    }
}

/// A function receiving every formatted line (with its trailing newline).
pub type PrintCallback = Box<dyn Fn(&str) + Send + Sync>;

thread_local! {
    static THREAD_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Names the calling thread for `-logthreadnames` (overrides the std thread name).
pub fn set_thread_name(name: &str) {
    THREAD_NAME.with(|n| *n.borrow_mut() = Some(name.to_string()));
}

/// The logging name of the calling thread (empty if it has none).
pub fn thread_name() -> String {
    THREAD_NAME
        .with(|n| n.borrow().clone())
        .or_else(|| std::thread::current().name().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Unsuppressed,
    NewlySuppressed,
    StillSuppressed,
}

struct SourceStats {
    function: &'static str,
    available: u64,
    dropped: u64,
}

/// Per-source-location byte budget, reset every window (lazily, on the next
/// rate-limited message after the window ends).
struct RateLimiter {
    max_bytes: u64,
    window: Duration,
    window_start: Instant,
    sources: HashMap<(&'static str, u32), SourceStats>,
    suppression_active: bool,
}

/// A source location whose suppression ended: (file, line, function, dropped bytes).
type Restarted = (&'static str, u32, &'static str, u64);

impl RateLimiter {
    fn new(max_bytes: u64, window: Duration) -> Self {
        RateLimiter {
            max_bytes,
            window,
            window_start: Instant::now(),
            sources: HashMap::new(),
            suppression_active: false,
        }
    }

    /// Starts a new window if the current one is over; returns the locations
    /// that dropped bytes in the old one.
    fn maybe_reset(&mut self, now: Instant) -> Vec<Restarted> {
        if now.duration_since(self.window_start) < self.window {
            return Vec::new();
        }
        self.window_start = now;
        self.suppression_active = false;
        let mut out: Vec<Restarted> = std::mem::take(&mut self.sources)
            .into_iter()
            .filter(|(_, s)| s.dropped > 0)
            .map(|((file, line), s)| (file, line, s.function, s.dropped))
            .collect();
        out.sort();
        out
    }

    fn consume(
        &mut self,
        file: &'static str,
        line: u32,
        function: &'static str,
        bytes: u64,
    ) -> Status {
        let max = self.max_bytes;
        let stats = self.sources.entry((file, line)).or_insert(SourceStats {
            function,
            available: max,
            dropped: 0,
        });
        let mut status = if stats.dropped > 0 {
            Status::StillSuppressed
        } else {
            Status::Unsuppressed
        };
        if bytes > stats.available {
            stats.dropped += bytes;
            stats.available = 0;
            if status == Status::Unsuppressed {
                status = Status::NewlySuppressed;
                self.suppression_active = true;
            }
        } else {
            stats.available -= bytes;
        }
        status
    }
}

struct Inner {
    opts: FormatOptions,
    buffering: bool,
    buffer: VecDeque<Entry>,
    buffer_usage: usize,
    max_buffer: usize,
    discarded: usize,
    print_to_console: bool,
    file_path: Option<PathBuf>,
    file: Option<File>,
    limiter: Option<RateLimiter>,
    callbacks: Vec<PrintCallback>,
}

/// Approximate memory held by a buffered entry.
fn entry_usage(e: &Entry) -> usize {
    e.message.capacity() + e.thread_name.capacity() + std::mem::size_of::<Entry>() + 16
}

/// Opens `path` for appending, creating it owner-read/write only.
fn open_append(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Keeps only the last [`RECENT_DEBUG_HISTORY_SIZE`] bytes of `path` if it is
/// more than 10% bigger than that. Missing or special files are left alone.
pub fn shrink_debug_file(path: &Path) -> std::io::Result<bool> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size <= RECENT_DEBUG_HISTORY_SIZE / 10 * 11 {
        return Ok(false);
    }
    let mut f = File::open(path)?;
    f.seek(SeekFrom::End(-(RECENT_DEBUG_HISTORY_SIZE as i64)))?;
    let mut tail = Vec::with_capacity(RECENT_DEBUG_HISTORY_SIZE as usize);
    f.take(RECENT_DEBUG_HISTORY_SIZE).read_to_end(&mut tail)?;
    let mut out = OpenOptions::new().write(true).truncate(true).open(path)?;
    out.write_all(&tail)?;
    Ok(true)
}

/// Core-compatible logger state. All methods take `&self` and may be called from
/// any thread.
pub struct Logger {
    categories: AtomicU64,
    log_level: AtomicU8,
    category_levels: [AtomicU8; 64],
    mocktime: AtomicI64,
    reopen: AtomicBool,
    /// False once started with no output at all (nothing needs formatting).
    active: AtomicBool,
    log_ips: AtomicBool,
    inner: Mutex<Inner>,
}

impl Default for Logger {
    fn default() -> Self {
        Self::new()
    }
}

impl Logger {
    /// A logger buffering messages until [`Logger::start`], with no categories
    /// enabled and the default `debug` threshold.
    pub fn new() -> Self {
        Logger {
            categories: AtomicU64::new(NONE),
            log_level: AtomicU8::new(categories::DEFAULT_LOG_LEVEL as u8),
            category_levels: std::array::from_fn(|_| AtomicU8::new(LEVEL_UNSET)),
            mocktime: AtomicI64::new(0),
            reopen: AtomicBool::new(false),
            active: AtomicBool::new(true),
            log_ips: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                opts: FormatOptions::default(),
                buffering: true,
                buffer: VecDeque::new(),
                buffer_usage: 0,
                max_buffer: DEFAULT_MAX_LOG_BUFFER,
                discarded: 0,
                print_to_console: false,
                file_path: None,
                file: None,
                limiter: None,
                callbacks: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- categories and levels -------------------------------------------------

    /// The bit set of enabled categories.
    pub fn category_mask(&self) -> CategoryMask {
        self.categories.load(Ordering::Relaxed)
    }

    /// Whether debug logging is on for `flag` (any of its bits).
    pub fn will_log_category(&self, flag: CategoryMask) -> bool {
        self.category_mask() & flag != 0
    }

    /// Whether a message of `category` at `level` is to be logged: info and above
    /// always; debug and trace only for enabled categories at or above the
    /// category's threshold (or the global one).
    pub fn will_log(&self, category: CategoryMask, level: Level) -> bool {
        if level >= Level::Info {
            return true;
        }
        if !self.will_log_category(category) {
            return false;
        }
        let threshold = categories::index_of(category)
            .and_then(|i| self.category_levels.get(i))
            .map(|l| l.load(Ordering::Relaxed))
            .filter(|&l| l != LEVEL_UNSET)
            .unwrap_or_else(|| self.log_level.load(Ordering::Relaxed));
        level as u8 >= threshold
    }

    /// Whether anything will be written at all (false after starting with no output).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    #[track_caller]
    fn lookup_warn(&self, name: &str) -> Lookup {
        let l = categories::lookup(name);
        if l == Lookup::Deprecated {
            self.log_message(
                Level::Warning,
                format!(
                    "The logging category `{name}` is deprecated, does nothing, and will be removed in a future version"
                ),
            );
        }
        l
    }

    /// Enables debug logging for a category (`"all"`, `"1"` or `""` for every one).
    /// Returns false for an unknown name.
    #[track_caller]
    pub fn enable_category(&self, name: &str) -> bool {
        match self.lookup_warn(name) {
            Lookup::Flag(f) => {
                self.categories.fetch_or(f, Ordering::Relaxed);
                true
            }
            Lookup::Deprecated => true,
            Lookup::Unknown => false,
        }
    }

    /// Disables debug logging for a category (`"all"`, `"1"` or `""` for every one).
    /// Returns false for an unknown name.
    #[track_caller]
    pub fn disable_category(&self, name: &str) -> bool {
        match self.lookup_warn(name) {
            Lookup::Flag(f) => {
                self.categories.fetch_and(!f, Ordering::Relaxed);
                true
            }
            Lookup::Deprecated => true,
            Lookup::Unknown => false,
        }
    }

    /// Every category, alphabetically, with whether it is enabled.
    pub fn category_list(&self) -> Vec<(&'static str, bool)> {
        let mask = self.category_mask();
        categories::CATEGORIES
            .iter()
            .map(|(n, f)| (*n, mask & f != 0))
            .collect()
    }

    /// Core's default for `-shrinkdebugfile`: shrink only when no category is enabled.
    pub fn default_shrink_debug_file(&self) -> bool {
        self.category_mask() == NONE
    }

    /// The global threshold for enabled categories.
    pub fn log_level(&self) -> Level {
        Level::from_u8(self.log_level.load(Ordering::Relaxed))
            .unwrap_or(categories::DEFAULT_LOG_LEVEL)
    }

    /// Sets the global threshold from `info`, `debug` or `trace`; false otherwise.
    pub fn set_log_level(&self, level: &str) -> bool {
        match Level::parse(level) {
            Some(l) if l <= categories::MAX_USER_SETTABLE_LEVEL => {
                self.log_level.store(l as u8, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Sets one category's threshold. As in Core, `all` is accepted but a level
    /// set for it does not apply to the individual categories, and a deprecated
    /// category is accepted and ignored.
    #[track_caller]
    pub fn set_category_log_level(&self, category: &str, level: &str) -> bool {
        let lookup = self.lookup_warn(category);
        if lookup == Lookup::Unknown {
            return false;
        }
        let level = match Level::parse(level) {
            Some(l) if l <= categories::MAX_USER_SETTABLE_LEVEL => l,
            _ => return false,
        };
        if let Lookup::Flag(f) = lookup {
            if let Some(slot) = categories::index_of(f).and_then(|i| self.category_levels.get(i)) {
                slot.store(level as u8, Ordering::Relaxed);
            }
        }
        true
    }

    /// The per-category thresholds that were set, by category name.
    pub fn category_levels(&self) -> Vec<(&'static str, Level)> {
        categories::CATEGORIES
            .iter()
            .filter_map(|(n, f)| {
                let i = categories::index_of(*f)?;
                let l = Level::from_u8(self.category_levels.get(i)?.load(Ordering::Relaxed))?;
                Some((*n, l))
            })
            .collect()
    }

    /// Applies `-debug` and `-debugexclude` values as Core's init does: values up
    /// to the last `0`/`none` are ignored, the rest enabled, then exclusions
    /// disabled. On an unknown name returns Core's init error text (without the
    /// `Error: ` prefix). Logs the privacy notice on success.
    pub fn setup_categories(&self, debug: &[String], exclude: &[String]) -> Result<(), String> {
        let start = debug
            .iter()
            .rposition(|c| c == "0" || c == "none")
            .map_or(0, |p| p + 1);
        for cat in debug.iter().skip(start) {
            if !self.enable_category(cat) {
                return Err(format!("Unsupported logging category -debug={cat}."));
            }
        }
        for cat in exclude {
            if !self.disable_category(cat) {
                return Err(format!("Unsupported logging category -debugexclude={cat}."));
            }
        }
        self.log_message(
            Level::Info,
            "Log output may contain privacy-sensitive information. Be cautious when sharing logs."
                .to_string(),
        );
        Ok(())
    }

    /// Applies `-loglevel` values (`<level>` or `<category>:<level>`), returning
    /// Core's init error text on a bad one.
    pub fn setup_levels(&self, loglevel: &[String]) -> Result<(), String> {
        for s in loglevel {
            let category_specific = s.as_bytes().iter().skip(3).any(|&b| b == b':');
            if !category_specific {
                if !self.set_log_level(s) {
                    return Err(format!(
                        "Unsupported global logging level -loglevel={s}. Valid values: {}.",
                        categories::levels_string()
                    ));
                }
            } else {
                let toks: Vec<&str> = s.split(':').collect();
                let ok = match toks.as_slice() {
                    [cat, level] => self.set_category_log_level(cat, level),
                    _ => false,
                };
                if !ok {
                    return Err(format!(
                        "Unsupported category-specific logging level -loglevel={s}. Expected -loglevel=<category>:<loglevel>. Valid categories: {}. Valid loglevels: {}.",
                        categories::categories_string(),
                        categories::levels_string()
                    ));
                }
            }
        }
        Ok(())
    }

    // ---- misc state ------------------------------------------------------------

    /// Sets the mock time (seconds, 0 to clear) shown as `(mocktime: …)` in lines.
    pub fn set_mocktime(&self, secs: i64) {
        self.mocktime.store(secs, Ordering::Relaxed);
    }

    /// Whether `-logips` was set.
    pub fn log_ips(&self) -> bool {
        self.log_ips.load(Ordering::Relaxed)
    }

    /// Sets the `-logips` flag.
    pub fn set_log_ips(&self, on: bool) {
        self.log_ips.store(on, Ordering::Relaxed);
    }

    /// Asks for the log file to be reopened before the next write (after it was
    /// moved away by log rotation). Only sets a flag, so it is safe in a signal
    /// handler.
    pub fn reopen(&self) {
        self.reopen.store(true, Ordering::Relaxed);
    }

    /// The log file path once started with one.
    pub fn log_path(&self) -> Option<PathBuf> {
        self.lock().file_path.clone()
    }

    /// Adds a function that receives every formatted line after start.
    pub fn add_print_callback(&self, cb: PrintCallback) {
        self.lock().callbacks.push(cb);
        self.active.store(true, Ordering::Relaxed);
    }

    // ---- emitting ----------------------------------------------------------------

    /// An entry stamped with the current time, mock time and thread name.
    pub fn make_entry(
        &self,
        category: CategoryMask,
        level: Level,
        file: &'static str,
        line: u32,
        function: &'static str,
        message: String,
    ) -> Entry {
        Entry {
            category,
            level,
            should_ratelimit: level >= Level::Info,
            timestamp: SystemTime::now(),
            mocktime: self.mocktime.load(Ordering::Relaxed),
            thread_name: thread_name(),
            file,
            line,
            function,
            message,
        }
    }

    /// Logs an uncategorised message from the caller's location, bypassing
    /// `tracing` (used for the logger's own messages).
    #[track_caller]
    pub fn log_message(&self, level: Level, message: String) {
        let loc = std::panic::Location::caller();
        let e = self.make_entry(ALL, level, loc.file(), loc.line(), module_path!(), message);
        self.log(e);
    }

    /// Writes (or buffers, before start) one entry. The caller has already
    /// decided that it is to be logged (see [`Logger::will_log`]).
    pub fn log(&self, entry: Entry) {
        if !self.is_active() {
            return;
        }
        let mut inner = self.lock();
        self.print_locked(&mut inner, entry);
    }

    fn print_locked(&self, inner: &mut Inner, entry: Entry) {
        if inner.buffering {
            inner.buffer_usage += entry_usage(&entry);
            inner.buffer.push_back(entry);
            while inner.buffer_usage > inner.max_buffer {
                match inner.buffer.pop_front() {
                    Some(old) => {
                        inner.buffer_usage = inner.buffer_usage.saturating_sub(entry_usage(&old));
                        inner.discarded += 1;
                    }
                    None => {
                        inner.buffer_usage = 0;
                        break;
                    }
                }
            }
            return;
        }

        let mut line = format_entry(&inner.opts, &entry);
        let mut suppressed = false;
        if entry.should_ratelimit {
            if let Some(limiter) = inner.limiter.as_mut() {
                let restarted = limiter.maybe_reset(Instant::now());
                let window = limiter.window.as_secs();
                let max = limiter.max_bytes;
                let status =
                    limiter.consume(entry.file, entry.line, entry.function, line.len() as u64);
                for (file, l, function, dropped) in restarted {
                    let msg = format!(
                        "Restarting logging from {file}:{l} ({function}): {dropped} bytes were dropped during the last {window}s."
                    );
                    self.print_internal(inner, Level::Warning, line!(), msg);
                }
                match status {
                    Status::NewlySuppressed => {
                        let msg = format!(
                            "Excessive logging detected from {}:{} ({}): >{} bytes logged during the last time window of {}s. Suppressing logging to disk from this source location until time window resets. Console logging unaffected. Last log entry.",
                            entry.file, entry.line, entry.function, max, window
                        );
                        self.print_internal(inner, Level::Warning, line!(), msg);
                    }
                    Status::StillSuppressed => suppressed = true,
                    Status::Unsuppressed => {}
                }
            }
        }
        if inner.limiter.as_ref().is_some_and(|l| l.suppression_active) {
            line.insert_str(0, "[*] ");
        }
        self.write_line(inner, &line, !suppressed);
    }

    /// Logs one of the logger's own messages while the lock is held (never rate-limited).
    fn print_internal(&self, inner: &mut Inner, level: Level, line: u32, message: String) {
        let mut e = self.make_entry(ALL, level, file!(), line, module_path!(), message);
        e.should_ratelimit = false;
        self.print_locked(inner, e);
    }

    fn write_line(&self, inner: &mut Inner, line: &str, to_file: bool) {
        if inner.print_to_console {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
        for cb in &inner.callbacks {
            cb(line);
        }
        if to_file && inner.file.is_some() {
            if self.reopen.swap(false, Ordering::Relaxed) {
                if let Some(f) = inner.file_path.as_deref().and_then(|p| open_append(p).ok()) {
                    inner.file = Some(f);
                }
            }
            if let Some(f) = inner.file.as_mut() {
                let _ = f.write_all(line.as_bytes());
            }
        }
    }

    // ---- start -------------------------------------------------------------------

    /// Applies `config`, shrinks and opens the log file, and writes out the lines
    /// buffered so far. Fails with Core's text `Could not open debug log file <path>`
    /// when the file cannot be opened (or if already started).
    pub fn start(&self, config: &LogConfig) -> Result<(), String> {
        let mut inner = self.lock();
        if !inner.buffering {
            return Err("Logging was already started".to_string());
        }
        let mut shrink_failed = false;
        if let Some(path) = &config.file {
            if config.shrink && shrink_debug_file(path).is_err() {
                shrink_failed = true;
            }
            let mut f = open_append(path)
                .map_err(|_| format!("Could not open debug log file {}", path.display()))?;
            // Separate this run from the previous one.
            let _ = f.write_all(b"\n\n\n\n\n");
            inner.file = Some(f);
            inner.file_path = Some(path.clone());
        }
        inner.opts = config.format_options();
        inner.print_to_console = config.print_to_console;
        self.log_ips.store(config.log_ips, Ordering::Relaxed);
        inner.buffering = false;

        if inner.discarded > 0 {
            let msg = format!(
                "Early logging buffer overflowed, {} log lines discarded.",
                inner.discarded
            );
            self.print_internal(&mut inner, Level::Info, line!(), msg);
        }
        let buffered = std::mem::take(&mut inner.buffer);
        for e in buffered {
            let line = format_entry(&inner.opts, &e);
            self.write_line(&mut inner, &line, true);
        }
        inner.buffer_usage = 0;
        inner.discarded = 0;
        if shrink_failed {
            self.print_internal(
                &mut inner,
                Level::Warning,
                line!(),
                "Failed to shrink debug log file".to_string(),
            );
        }
        if config.rate_limit {
            inner.limiter = Some(RateLimiter::new(RATELIMIT_MAX_BYTES, RATELIMIT_WINDOW));
        }
        let active = inner.print_to_console || inner.file.is_some() || !inner.callbacks.is_empty();
        self.active.store(active, Ordering::Relaxed);
        Ok(())
    }

    #[cfg(test)]
    fn set_limits(&self, max_buffer: usize, limiter: Option<(u64, Duration)>) {
        let mut inner = self.lock();
        inner.max_buffer = max_buffer;
        if let Some((bytes, window)) = limiter {
            inner.limiter = Some(RateLimiter::new(bytes, window));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn flag(name: &str) -> CategoryMask {
        categories::flag_of(name).unwrap_or(0)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A started logger writing into a shared vector of lines.
    fn captured(config: LogConfig) -> (Logger, Arc<Mutex<Vec<String>>>) {
        let logger = Logger::new();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = Arc::clone(&lines);
        logger.add_print_callback(Box::new(move |s| l2.lock().unwrap().push(s.to_string())));
        logger.start(&config).unwrap();
        (logger, lines)
    }

    #[test]
    fn category_enabling() {
        let l = Logger::new();
        assert!(!l.will_log(flag("net"), Level::Debug));
        assert!(l.will_log(flag("net"), Level::Info));
        assert!(l.will_log(ALL, Level::Warning));
        assert!(l.default_shrink_debug_file());
        assert!(l.enable_category("net"));
        assert!(l.will_log(flag("net"), Level::Debug));
        assert!(!l.will_log(flag("net"), Level::Trace));
        assert!(!l.will_log(flag("rpc"), Level::Debug));
        assert!(!l.default_shrink_debug_file());
        assert!(!l.enable_category("abc"));
        assert!(l.enable_category("all"));
        assert!(l.category_list().iter().all(|(_, on)| *on));
        assert!(l.disable_category("rpc"));
        assert!(!l.will_log(flag("rpc"), Level::Debug));
        assert!(l.enable_category("libevent"));
        assert!(l.disable_category("1"));
        assert!(l.category_list().iter().all(|(_, on)| !*on));
        assert_eq!(l.category_list().len(), categories::CATEGORIES.len());
    }

    #[test]
    fn debug_option_parsing() {
        let l = Logger::new();
        l.setup_categories(&strings(&["http", "abc", "none", "rpc", "net"]), &[])
            .unwrap();
        let on: Vec<_> = l
            .category_list()
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(on, vec!["net", "rpc"]);

        let l = Logger::new();
        assert_eq!(
            l.setup_categories(&strings(&["abc"]), &[]),
            Err("Unsupported logging category -debug=abc.".to_string())
        );
        assert_eq!(
            l.setup_categories(&[], &strings(&["abc"])),
            Err("Unsupported logging category -debugexclude=abc.".to_string())
        );

        let l = Logger::new();
        l.setup_categories(&strings(&[""]), &strings(&["net", "tor"]))
            .unwrap();
        assert!(!l.will_log_category(flag("net")));
        assert!(l.will_log_category(flag("zmq")));

        let l = Logger::new();
        l.setup_categories(&strings(&["1", "0"]), &[]).unwrap();
        assert_eq!(l.category_mask(), NONE);
    }

    #[test]
    fn loglevel_parsing() {
        let l = Logger::new();
        assert_eq!(
            l.setup_levels(&strings(&["abc"])),
            Err(
                "Unsupported global logging level -loglevel=abc. Valid values: info, debug, trace."
                    .to_string()
            )
        );
        assert_eq!(
            l.setup_levels(&strings(&["error"])),
            Err("Unsupported global logging level -loglevel=error. Valid values: info, debug, trace.".to_string())
        );
        let e = l.setup_levels(&strings(&["net:abc"])).unwrap_err();
        assert!(e.starts_with(
            "Unsupported category-specific logging level -loglevel=net:abc. Expected -loglevel=<category>:<loglevel>. Valid categories: addrman, "
        ));
        assert!(e.ends_with(", zmq. Valid loglevels: info, debug, trace."));
        assert!(l.setup_levels(&strings(&["net:info:abc"])).is_err());
        assert!(l.setup_levels(&strings(&["abc:debug"])).is_err());
        // A colon before position 3 makes it a (bad) global level.
        assert!(l
            .setup_levels(&strings(&["a:b"]))
            .unwrap_err()
            .starts_with("Unsupported global"));

        l.setup_levels(&strings(&[
            "trace",
            "net:info",
            "libevent:debug",
            "all:debug",
        ]))
        .unwrap();
        assert_eq!(l.log_level(), Level::Trace);
        assert_eq!(l.category_levels(), vec![("net", Level::Info)]);
        l.enable_category("all");
        assert!(l.will_log(flag("rpc"), Level::Trace));
        assert!(!l.will_log(flag("net"), Level::Debug));
        assert!(l.will_log(flag("net"), Level::Info));
    }

    #[test]
    fn buffering_then_start() {
        let l = Logger::new();
        l.log_message(Level::Info, "early".to_string());
        l.log_message(Level::Warning, "early warn".to_string());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debug.log");
        std::fs::write(&path, "old\n").unwrap();
        l.start(&LogConfig {
            file: Some(path.clone()),
            timestamps: false,
            ..LogConfig::default()
        })
        .unwrap();
        l.log_message(Level::Error, "late".to_string());
        assert_eq!(l.log_path(), Some(path.clone()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "old\n\n\n\n\n\nearly\n[warning] early warn\n[error] late\n"
        );
        assert!(l.start(&LogConfig::default()).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let p2 = dir.path().join("new.log");
            let l2 = Logger::new();
            l2.start(&LogConfig {
                file: Some(p2.clone()),
                ..LogConfig::default()
            })
            .unwrap();
            let mode = std::fs::metadata(&p2).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn open_failure_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("foo.log");
        let l = Logger::new();
        let err = l
            .start(&LogConfig {
                file: Some(path.clone()),
                ..LogConfig::default()
            })
            .unwrap_err();
        assert_eq!(
            err,
            format!("Could not open debug log file {}", path.display())
        );
        assert!(!path.exists());
    }

    #[test]
    fn buffer_overflow_is_reported() {
        let l = Logger::new();
        l.set_limits(3 * (std::mem::size_of::<Entry>() + 16 + 64), None);
        for i in 0..10 {
            l.log_message(Level::Info, format!("m{i}"));
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = Arc::clone(&lines);
        l.add_print_callback(Box::new(move |s| l2.lock().unwrap().push(s.to_string())));
        l.start(&LogConfig {
            timestamps: false,
            ..LogConfig::default()
        })
        .unwrap();
        let lines = lines.lock().unwrap();
        assert!(
            lines[0].starts_with("Early logging buffer overflowed, "),
            "{lines:?}"
        );
        assert_eq!(lines.last().map(String::as_str), Some("m9\n"));
        assert!(lines.len() < 10);
    }

    #[test]
    fn no_output_means_inactive() {
        let l = Logger::new();
        l.start(&LogConfig::default()).unwrap();
        assert!(!l.is_active());
        l.log_message(Level::Info, "dropped".to_string());
    }

    #[test]
    fn rate_limiting() {
        let (l, lines) = captured(LogConfig {
            timestamps: false,
            ..LogConfig::default()
        });
        l.set_limits(
            DEFAULT_MAX_LOG_BUFFER,
            Some((10, Duration::from_secs(3600))),
        );
        let msg = || l.log(l.make_entry(ALL, Level::Info, "a.rs", 7, "m", "12345".to_string()));
        msg(); // 6 bytes
        msg(); // 12 > remaining 4: newly suppressed, still printed
        msg(); // still suppressed: console/callbacks only
        let got = lines.lock().unwrap().clone();
        assert_eq!(got[0], "12345\n");
        assert!(got[1]
            .starts_with("[*] [warning] Excessive logging detected from a.rs:7 (m): >10 bytes"));
        assert_eq!(got[2], "[*] 12345\n");
        assert_eq!(got[3], "[*] 12345\n");
        // Debug messages are not rate-limited.
        l.enable_category("net");
        l.log(l.make_entry(flag("net"), Level::Debug, "a.rs", 7, "m", "dbg".to_string()));
        assert_eq!(
            lines.lock().unwrap().last().map(String::as_str),
            Some("[*] [net] dbg\n")
        );
    }

    #[test]
    fn rate_limit_window_reset() {
        let (l, lines) = captured(LogConfig {
            timestamps: false,
            ..LogConfig::default()
        });
        l.set_limits(DEFAULT_MAX_LOG_BUFFER, Some((4, Duration::from_millis(50))));
        let msg = || l.log(l.make_entry(ALL, Level::Info, "b.rs", 1, "f", "123456".to_string()));
        msg();
        msg();
        std::thread::sleep(Duration::from_millis(80));
        lines.lock().unwrap().clear();
        l.log(l.make_entry(ALL, Level::Info, "c.rs", 1, "f", "x".to_string()));
        let got = lines.lock().unwrap().clone();
        assert_eq!(got[0], "[warning] Restarting logging from b.rs:1 (f): 14 bytes were dropped during the last 0s.\n");
        assert_eq!(got[1], "x\n");
    }

    #[test]
    fn shrink() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debug.log");
        // Small files are untouched.
        std::fs::write(&path, b"small\n").unwrap();
        assert!(!shrink_debug_file(&path).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"small\n");
        // Exactly the limit is untouched, one byte more is shrunk.
        let limit = (RECENT_DEBUG_HISTORY_SIZE / 10 * 11) as usize;
        let mut data = vec![b'a'; limit];
        std::fs::write(&path, &data).unwrap();
        assert!(!shrink_debug_file(&path).unwrap());
        data.push(b'z');
        std::fs::write(&path, &data).unwrap();
        assert!(shrink_debug_file(&path).unwrap());
        let after = std::fs::read(&path).unwrap();
        assert_eq!(after.len() as u64, RECENT_DEBUG_HISTORY_SIZE);
        assert_eq!(after.last(), Some(&b'z'));
        // Missing file: nothing to do.
        assert!(!shrink_debug_file(&dir.path().join("none.log")).unwrap());
    }

    #[test]
    fn reopen_after_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debug.log");
        let l = Logger::new();
        l.start(&LogConfig {
            file: Some(path.clone()),
            timestamps: false,
            ..LogConfig::default()
        })
        .unwrap();
        l.log_message(Level::Info, "one".to_string());
        let rotated = dir.path().join("debug.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        l.reopen();
        l.log_message(Level::Info, "two".to_string());
        assert!(std::fs::read_to_string(&rotated)
            .unwrap()
            .ends_with("one\n"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
    }

    #[test]
    fn mocktime_and_thread_name() {
        let (l, lines) = captured(LogConfig {
            thread_names: true,
            ..LogConfig::default()
        });
        l.set_mocktime(1_700_000_000);
        std::thread::spawn(move || {
            set_thread_name("scheduler");
            l.log_message(Level::Info, "tick".to_string());
        })
        .join()
        .unwrap();
        let got = lines.lock().unwrap().clone();
        assert!(
            got[0].ends_with("Z (mocktime: 2023-11-14T22:13:20Z) [scheduler] tick\n"),
            "{got:?}"
        );
    }
}
