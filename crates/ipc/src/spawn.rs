//! Spawning a child process that serves `Init` on one end of a socketpair
//! (`<dir of argv[0]>/<exe> -ipcfd <fd>`), and recognising that role in the child.

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// The executable `exe_name` next to `argv0` (or just the name, searched in
/// `PATH`, when `argv0` has no directory), as Core resolves it.
pub fn sibling_exe(argv0: &str, exe_name: &str) -> PathBuf {
    match Path::new(argv0).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(exe_name),
        _ => PathBuf::from(exe_name),
    }
}

/// Starts `exe -ipcfd <fd>` (exactly three argv items) with the child end of a
/// new socketpair; returns the child and the parent's end.
pub fn spawn(exe: &Path) -> std::io::Result<(Child, UnixStream)> {
    // Both ends are close-on-exec; only the child's end is made inheritable,
    // in the child just before exec, so no other process gets it.
    let (parent, child_end) = UnixStream::pair()?;
    let fd = child_end.as_raw_fd();
    let mut cmd = Command::new(exe);
    cmd.arg("-ipcfd").arg(fd.to_string());
    // SAFETY: the closure only calls async-signal-safe fcntl on an fd it owns.
    unsafe {
        cmd.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    drop(child_end);
    Ok((child, parent))
}

/// If `argv` is exactly `[exe, "-ipcfd", N]` this is a spawned child: returns
/// the fd, or Core's error text for a bad number. `None` for a normal start.
pub fn check_spawned(argv: &[String]) -> Option<Result<i32, String>> {
    if argv.len() != 3 || argv[1] != "-ipcfd" {
        return None;
    }
    let text = &argv[2];
    let valid = !text.is_empty()
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || (i == 0 && (b == b'-' || b == b'+')));
    Some(
        text.parse::<i32>()
            .ok()
            .filter(|_| valid)
            .ok_or_else(|| format!("Invalid -ipcfd number '{text}'")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_only_the_exact_child_form() {
        assert_eq!(check_spawned(&argv(&["x", "-ipcfd", "7"])), Some(Ok(7)));
        assert_eq!(
            check_spawned(&argv(&["x", "-ipcfd", "7a"])),
            Some(Err("Invalid -ipcfd number '7a'".into()))
        );
        assert_eq!(check_spawned(&argv(&["x", "-ipcfd=7"])), None);
        assert_eq!(
            check_spawned(&argv(&["x", "-ipcfd", "7", "-regtest"])),
            None
        );
        assert_eq!(check_spawned(&argv(&["x"])), None);
    }

    #[test]
    fn sibling_is_next_to_argv0() {
        assert_eq!(
            sibling_exe("/a/b/bitcoin-node", "bitcoin-wallet"),
            PathBuf::from("/a/b/bitcoin-wallet")
        );
        assert_eq!(
            sibling_exe("bitcoin-node", "bitcoin-node"),
            PathBuf::from("bitcoin-node")
        );
    }
}
