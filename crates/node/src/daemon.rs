//! `-daemon` / `-daemonwait`: fork into the background, and optionally let the
//! parent wait until initialisation has succeeded or failed.

use common::args::ArgsManager;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::io::FromRawFd;

/// Held by the daemonised child to tell a waiting parent how init went.
pub struct DaemonHandle {
    pipe: Option<File>,
}

impl DaemonHandle {
    /// Sends the init outcome to the parent (if it waits).
    pub fn report(mut self, ok: bool) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(if ok { b"1" } else { b"0" });
        }
    }
}

/// Forks when `-daemon` or `-daemonwait` is set. Returns `Ok(None)` without
/// daemon mode, `Ok(Some)` in the child, and `Err(exit code)` in the parent
/// (which must exit with it).
pub fn maybe_daemonize(args: &ArgsManager) -> Result<Option<DaemonHandle>, i32> {
    let wait = args.get_bool_arg("-daemonwait", false);
    if !args.get_bool_arg("-daemon", false) && !wait {
        return Ok(None);
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        eprintln!("Error: daemon() failed: unable to create pipe");
        return Err(1);
    }
    // SAFETY: no other threads exist yet at this point of start-up.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        eprintln!("Error: daemon() failed: fork failed");
        return Err(1);
    }
    if pid > 0 {
        // SAFETY: fds[0] is the pipe's read end, owned here from now on.
        let mut reader = unsafe { File::from_raw_fd(fds[0]) };
        // SAFETY: the write end belongs to the child.
        unsafe { libc::close(fds[1]) };
        if !wait {
            return Err(0);
        }
        let mut byte = [0u8; 1];
        return match reader.read(&mut byte) {
            Ok(1) if byte[0] == b'1' => Err(0),
            _ => {
                eprintln!("Error during initialization - check debug.log for details");
                Err(1)
            }
        };
    }
    // SAFETY: child process: detach from the terminal and point stdio at /dev/null.
    unsafe {
        libc::close(fds[0]);
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            if null > 2 {
                libc::close(null);
            }
        }
    }
    // SAFETY: fds[1] is the pipe's write end, owned by the child.
    let pipe = unsafe { File::from_raw_fd(fds[1]) };
    Ok(Some(DaemonHandle { pipe: Some(pipe) }))
}
