//! `-debug=ipc` log lines in libmultiprocess's formats, routed the way Core's
//! `IpcLogFn` routes them: trace and debug under the `ipc` category, info,
//! warning and error always shown with an `ipc: ` prefix.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// libmultiprocess's log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `[ipc:trace]`, needs `-loglevel=ipc:trace`.
    Trace,
    /// `[ipc]`, needs `-debug=ipc`.
    Debug,
    /// Always shown, prefixed `ipc: `.
    Info,
    /// Always shown as a warning.
    Warning,
    /// Always shown as an error.
    Error,
}

static EXE_NAME: OnceLock<String> = OnceLock::new();

/// Sets the executable name used in thread names (`bitcoin-node`); the first
/// call wins. Defaults to the file name of the running executable.
pub fn set_exe_name(name: &str) {
    let _ = EXE_NAME.set(name.to_string());
}

/// The executable name used in thread names.
pub fn exe_name() -> &'static str {
    EXE_NAME.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "ipc".to_string())
    })
}

thread_local! {
    static LONG_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn os_tid() -> i64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as i64 }
}

/// `<exe>-<pid>/<thread name>-<tid>`, as libmultiprocess's `ThreadName` builds it.
pub fn thread_name() -> String {
    let mut s = format!("{}-{}/", exe_name(), std::process::id());
    if let Some(name) = std::thread::current().name() {
        // Linux thread names are cut at 15 bytes, as pthread_getname_np shows them.
        let cut: String = name.chars().take(15).collect();
        s.push_str(&cut);
        s.push('-');
    }
    s.push_str(&os_tid().to_string());
    s
}

/// The name this thread shows in IPC log lines: the one set by
/// [`set_long_thread_name`] (worker threads), else [`thread_name`].
pub fn long_thread_name() -> String {
    LONG_NAME.with(|n| n.borrow().clone().unwrap_or_else(thread_name))
}

/// Sets the name [`long_thread_name`] returns on this thread.
pub fn set_long_thread_name(name: String) {
    LONG_NAME.with(|n| *n.borrow_mut() = Some(name));
}

static SERVER_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Next process-wide server request number (`#N` in the log), starting at 1.
pub fn next_request_number() -> u64 {
    SERVER_REQUESTS.fetch_add(1, Ordering::Relaxed) + 1
}

/// `{:?}` of a capnp message for the payload trace. capnp's printer gives up
/// (`fmt::Error`) on some values, e.g. a capability in the field of a
/// generic struct (`Result(Wallet)`), and `format!` turns that into a panic
/// of the thread, here the event loop; this keeps what was printed and
/// marks the rest.
pub fn debug_text(value: &dyn std::fmt::Debug) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    if write!(text, "{value:?}").is_err() {
        text.push_str("<not printable>");
    }
    text
}

/// Whether a message at `level` would be written (avoids formatting payloads).
pub fn enabled(level: Level) -> bool {
    match level {
        Level::Trace => tracing::event_enabled!(target: "ipc", tracing::Level::TRACE),
        Level::Debug => tracing::event_enabled!(target: "ipc", tracing::Level::DEBUG),
        _ => true,
    }
}

/// Writes `msg` at `level` with the `{<long thread name>} ` prefix of `MP_LOG`.
pub fn log(level: Level, msg: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    log_plain(level, format_args!("{{{}}} {}", long_thread_name(), msg));
}

/// Writes `msg` at `level` without the thread prefix (`MP_LOGPLAIN`).
pub fn log_plain(level: Level, msg: std::fmt::Arguments<'_>) {
    match level {
        Level::Trace => tracing::trace!(target: "ipc", "{msg}"),
        Level::Debug => tracing::debug!(target: "ipc", "{msg}"),
        Level::Info => tracing::info!("ipc: {msg}"),
        Level::Warning => tracing::warn!("ipc: {msg}"),
        Level::Error => tracing::error!("ipc: {msg}"),
    }
}

/// Escapes a payload for trace lines as libmultiprocess's `LogEscape` does:
/// non-printable bytes and backslashes become `\xx` hex, and the text is cut
/// at `max` characters followed by `...`.
pub fn escape(text: &str, max: usize) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if out.len() >= max {
            out.push_str("...");
            break;
        }
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:02x}"));
        }
    }
    out
}

/// Maximum payload characters in trace lines (libmultiprocess's `max_chars`).
pub const MAX_TRACE_CHARS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_hexes_non_printables_and_truncates() {
        assert_eq!(escape("a\nb\\", 200), "a\\0ab\\5c");
        let long = "x".repeat(300);
        let e = escape(&long, 200);
        assert_eq!(e.len(), 203);
        assert!(e.ends_with("..."));
    }

    #[test]
    fn thread_name_has_exe_pid_and_tid() {
        let name = std::thread::Builder::new()
            .name("b-test".into())
            .spawn(thread_name)
            .expect("spawn")
            .join()
            .expect("join");
        let prefix = format!("{}-{}/b-test-", exe_name(), std::process::id());
        assert!(name.starts_with(&prefix), "{name}");
        assert!(name[prefix.len()..].parse::<u64>().is_ok(), "{name}");
    }
}
