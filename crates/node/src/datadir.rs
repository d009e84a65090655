//! Directory locks (`.lock`), the PID file and the network data directory layout.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Name of the lock file inside a locked directory.
pub const LOCK_FILE: &str = ".lock";
/// Default PID file name.
pub const PID_FILE: &str = "bitcoind.pid";

/// Why a directory could not be locked.
#[derive(Debug, PartialEq, Eq)]
pub enum LockError {
    /// The lock file could not be created.
    NoPermission,
    /// Another process holds the lock.
    Locked,
}

/// An exclusive POSIX record lock on `<dir>/.lock`, held until drop.
pub struct DirLock {
    _file: File,
}

/// Takes the lock on `dir`, as Core's `LockDirectory` (fcntl write lock).
pub fn lock_directory(dir: &Path) -> Result<DirLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|_| LockError::NoPermission)?;
    // SAFETY: flock struct is plain data, fd is valid for the life of `file`.
    let rc = unsafe {
        let mut fl: libc::flock = std::mem::zeroed();
        fl.l_type = libc::F_WRLCK as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &fl)
    };
    if rc == -1 {
        return Err(LockError::Locked);
    }
    Ok(DirLock { _file: file })
}

/// Creates `<datadir_net>`, and its empty `wallets/` only when the net dir
/// is new, as Core does: an existing data directory without `wallets/`
/// keeps the data directory itself as its wallet directory.
pub fn create_net_dir(net_dir: &Path) -> std::io::Result<()> {
    if net_dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(net_dir)?;
    std::fs::create_dir_all(net_dir.join("wallets"))
}

/// The PID file: written at start, removed at clean shutdown.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes the current process id to `path`.
    pub fn create(path: &Path) -> Result<PidFile, String> {
        std::fs::write(path, format!("{}\n", std::process::id())).map_err(|e| {
            format!(
                "Unable to create the PID file '{}': {}",
                path.display(),
                os_error_text(&e)
            )
        })?;
        Ok(PidFile {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(
                "Unable to remove PID file ({}): {}",
                self.path.display(),
                os_error_text(&e)
            );
        }
    }
}

/// The OS description of an I/O error without Rust's "(os error N)" suffix.
pub fn os_error_text(e: &std::io::Error) -> String {
    common::system::sys_error_string(e)
}

/// Makes files and directories created from now on private to the owner (umask 077).
pub fn set_private_umask() {
    // SAFETY: umask has no memory-safety preconditions.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dir_gets_empty_wallets_dir() {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("regtest");
        create_net_dir(&net).unwrap();
        assert!(net.join("wallets").is_dir());
        assert_eq!(std::fs::read_dir(net.join("wallets")).unwrap().count(), 0);
    }

    #[test]
    fn existing_net_dir_without_wallets_dir_stays_so() {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("regtest");
        std::fs::create_dir_all(&net).unwrap();
        create_net_dir(&net).unwrap();
        assert!(!net.join("wallets").exists());
    }

    #[test]
    fn pid_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PID_FILE);
        {
            let _pid = PidFile::create(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.trim(), std::process::id().to_string());
        }
        assert!(!path.exists());
    }
}
