//! `-ipcbind` / `-ipcconnect` addresses and Unix socket set-up, with Core's
//! rules and error texts.

use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// `sizeof(sockaddr_un::sun_path)` on Linux: paths must be shorter.
pub const MAX_SOCKET_PATH: usize = 108;

/// Resolves `address` (`unix`, `unix:` or `unix:<path>`) for executable
/// `exe_name` against the network data directory. On success `address` is
/// rewritten to `unix:<full path>`, as Core logs it.
pub fn parse_address(
    address: &mut String,
    data_dir: &Path,
    exe_name: &str,
) -> Result<PathBuf, String> {
    if address != "unix" && !address.starts_with("unix:") {
        return Err(format!("Unrecognized address '{address}'"));
    }
    let path = if address.len() <= 5 {
        let short = exe_name.strip_prefix("bitcoin-").unwrap_or(exe_name);
        data_dir.join(format!("{short}.sock"))
    } else {
        // An absolute path replaces the data directory.
        data_dir.join(&address[5..])
    };
    let text = path.to_string_lossy().into_owned();
    *address = format!("unix:{text}");
    if text.len() >= MAX_SOCKET_PATH {
        return Err(format!(
            "Unix address path {} exceeded maximum socket path length",
            quoted(&text)
        ));
    }
    Ok(path)
}

/// `text` in double quotes with `"` and `\\` escaped (C++'s `std::quoted`).
fn quoted(text: &str) -> String {
    let mut s = String::from("\"");
    for c in text.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// Binds a listening socket at `path`: parent directories are created and a
/// stale socket left there is replaced (only a socket: other files are kept,
/// and bind then fails). Permissions come from the process umask (owner-only
/// in the node); the mode is also set to 0600 in case the umask is looser.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            std::fs::remove_file(path)?;
        }
    }
    let listener = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Connects to the socket at `path`.
pub fn connect(path: &Path) -> std::io::Result<UnixStream> {
    UnixStream::connect(path)
}

/// The text of an OS error without Rust's ` (os error N)` suffix, like C++'s
/// `std::system_error::what()`.
pub fn error_text(e: &std::io::Error) -> String {
    common::system::sys_error_string(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_like_core() {
        let dir = Path::new("/data/regtest");
        let mut a = "unix".to_string();
        assert_eq!(
            parse_address(&mut a, dir, "bitcoin-node").expect("ok"),
            dir.join("node.sock")
        );
        assert_eq!(a, "unix:/data/regtest/node.sock");
        let mut a = "unix:".to_string();
        assert_eq!(
            parse_address(&mut a, dir, "bitcoin-node").expect("ok"),
            dir.join("node.sock")
        );
        let mut a = "unix:sub/x.sock".to_string();
        assert_eq!(
            parse_address(&mut a, dir, "bitcoin-node").expect("ok"),
            dir.join("sub/x.sock")
        );
        let mut a = "unix:/abs/y.sock".to_string();
        assert_eq!(
            parse_address(&mut a, dir, "bitcoin-node").expect("ok"),
            PathBuf::from("/abs/y.sock")
        );
        let mut a = "tcp:1".to_string();
        assert_eq!(
            parse_address(&mut a, dir, "bitcoin-node"),
            Err("Unrecognized address 'tcp:1'".into())
        );
        let long = format!("unix:/{}", "a".repeat(120));
        let mut a = long.clone();
        let err = parse_address(&mut a, dir, "bitcoin-node").expect_err("too long");
        assert_eq!(
            err,
            format!(
                "Unix address path \"/{}\" exceeded maximum socket path length",
                "a".repeat(120)
            )
        );
    }

    #[test]
    fn bind_replaces_stale_socket_and_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("a/b/node.sock");
        let first = bind(&path).expect("bind");
        drop(first);
        // The file stays behind (as in Core); binding again replaces it.
        assert!(path.exists());
        let _second = bind(&path).expect("rebind");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A regular file is not removed.
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").expect("write");
        assert!(bind(&file).is_err());
        assert!(file.exists());
    }

    #[test]
    fn error_text_drops_os_error_suffix() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(error_text(&e), "No such file or directory");
    }
}
