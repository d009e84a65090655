//! POSIX signals: SIGTERM and SIGINT request shutdown, SIGHUP reopens debug.log.
//! The signals are blocked in every thread and taken synchronously by one thread
//! with `sigwait`, so no work happens in signal-handler context.

use crate::shutdown::Shutdown;
use std::sync::Arc;

fn signal_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGHUP);
        set
    }
}

/// Blocks the handled signals in the calling thread and every thread it spawns
/// afterwards. Call first thing in `main`, before any thread exists.
pub fn block_in_all_threads() {
    let set = signal_set();
    // SAFETY: valid sigset pointer; a null old-set pointer is allowed.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        // A closed stdout/stderr pipe must give EPIPE, not kill the node.
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Starts the thread that turns signals into a shutdown request or a log reopen.
pub fn spawn_signal_thread(shutdown: Arc<Shutdown>, on_hangup: impl Fn() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let set = signal_set();
            let mut sig: libc::c_int = 0;
            // SAFETY: set is initialised and sig is a valid out pointer.
            let rc = unsafe { libc::sigwait(&set, &mut sig) };
            if rc != 0 {
                continue;
            }
            if sig == libc::SIGHUP {
                on_hangup();
            } else {
                shutdown.request();
            }
        });
    if let Err(e) = spawned {
        tracing::error!("Unable to start signal thread: {e}");
    }
}
