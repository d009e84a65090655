//! The wallet directory: where it is (`-walletdir`, else `<datadir>/wallets`
//! when present, else the data directory), Core's start-up checks of it, and
//! the wallets it holds (`listwalletdir`, Core's `ListDatabases`).

use crate::db::sqlite::{is_bdb_file, is_sqlite_file};
use common::args::ArgsManager;
use std::path::{Path, PathBuf};

/// The file name of a wallet's database inside its directory.
pub const DATABASE_FILE: &str = "wallet.dat";

/// The wallet directory, or an empty path when `-walletdir` names something
/// that is not a directory (Core's deliberately invalid answer).
pub fn wallet_dir(args: &ArgsManager) -> PathBuf {
    if args.is_arg_set("-walletdir") {
        let path = args.get_path_arg("-walletdir", Path::new(""));
        return if path.is_dir() { path } else { PathBuf::new() };
    }
    let net = args.get_data_dir_net();
    let wallets = net.join("wallets");
    if wallets.is_dir() {
        wallets
    } else {
        net
    }
}

/// Core's checks of `-walletdir` at start-up; on success the option holds
/// the canonical path from then on.
pub fn verify_wallet_dir(args: &ArgsManager) -> Result<(), String> {
    if !args.is_arg_set("-walletdir") {
        return Ok(());
    }
    let given = args.get_path_arg("-walletdir", Path::new(""));
    let shown = given.display();
    let canonical = match std::fs::canonicalize(&given) {
        Ok(c) if c.exists() => c,
        _ => return Err(format!("Specified -walletdir \"{shown}\" does not exist")),
    };
    if !canonical.is_dir() {
        return Err(format!(
            "Specified -walletdir \"{shown}\" is not a directory"
        ));
    }
    if !given.is_absolute() {
        return Err(format!(
            "Specified -walletdir \"{shown}\" is a relative path"
        ));
    }
    args.force_set_arg("-walletdir", &canonical.display().to_string());
    Ok(())
}

/// The storage format of a wallet found on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Core's current format (SQLite).
    Sqlite,
    /// Berkeley DB: a legacy wallet, listed but only loadable after migration.
    Bdb,
}

impl Format {
    /// The name `listwalletdir` and the logs use.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sqlite => "sqlite",
            Format::Bdb => "bdb",
        }
    }
}

/// The wallets under `dir`: directories holding a wallet database (at any
/// depth), a top-level `wallet.dat` (the unnamed wallet), and top-level
/// Berkeley DB files; names are relative to `dir`, as Core lists them.
pub fn list_databases(dir: &Path, message_start: [u8; 4]) -> Vec<(String, Format)> {
    let mut found = Vec::new();
    if dir.as_os_str().is_empty() {
        return found;
    }
    visit(dir, dir, 0, message_start, &mut found);
    found
}

fn visit(
    root: &Path,
    dir: &Path,
    depth: usize,
    message_start: [u8; 4],
    found: &mut Vec<(String, Format)>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!("Error scanning directory entries under {}", dir.display());
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Follows links to directories as Core's iterator reports them.
        if path.is_dir() {
            let db = path.join(DATABASE_FILE);
            // A `wallet.dat` that cannot even be looked at (a link loop, no
            // permission) makes Core skip the entry with a warning rather
            // than list it or give up on the whole directory.
            if let Err(e) = std::fs::metadata(&db) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(
                        "Error while scanning wallet dir item: {e} [{}].",
                        path.display()
                    );
                    continue;
                }
            }
            if is_bdb_file(&db) {
                found.push((name, Format::Bdb));
            } else if is_sqlite_file(&db, message_start) {
                found.push((name, Format::Sqlite));
            }
            // Core does not follow directory links while recursing.
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if !is_link {
                visit(root, &path, depth + 1, message_start, found);
            }
        } else if depth == 0
            && entry.file_type().is_ok_and(|t| t.is_file())
            && path.extension().is_none_or(|e| e != "bak")
        {
            if entry.file_name() == DATABASE_FILE {
                if is_bdb_file(&path) {
                    found.push((String::new(), Format::Bdb));
                } else if is_sqlite_file(&path, message_start) {
                    found.push((String::new(), Format::Sqlite));
                }
            } else if is_bdb_file(&path) {
                found.push((name, Format::Bdb));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    fn sqlite_like(path: &Path, app_id: [u8; 4]) {
        let mut bytes = vec![0u8; 1024];
        bytes[..16].copy_from_slice(b"SQLite format 3\0");
        bytes[68..72].copy_from_slice(&app_id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn lists_wallet_directories_at_any_depth_and_the_unnamed_wallet() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        sqlite_like(&root.join("w1/wallet.dat"), MAGIC);
        sqlite_like(&root.join("sub/w2/wallet.dat"), MAGIC);
        sqlite_like(&root.join("wallet.dat"), MAGIC);
        // Another chain's wallet, a short file and a backup are not wallets.
        sqlite_like(&root.join("mainnet/wallet.dat"), [0xf9, 0xbe, 0xb4, 0xd9]);
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("empty/wallet.dat"), b"short").unwrap();
        sqlite_like(&root.join("x.bak"), MAGIC);
        let mut bdb = vec![0u8; 4096];
        bdb[12..16].copy_from_slice(&[0x62, 0x31, 0x05, 0x00]);
        std::fs::write(root.join("old.dat"), &bdb).unwrap();
        let names = list_databases(root, MAGIC);
        assert_eq!(
            names,
            vec![
                ("old.dat".into(), Format::Bdb),
                ("sub/w2".into(), Format::Sqlite),
                ("w1".into(), Format::Sqlite),
                (String::new(), Format::Sqlite),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_wallet_dat_link_loop_skips_only_that_entry() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        sqlite_like(&root.join("w1/wallet.dat"), MAGIC);
        std::fs::create_dir_all(root.join("loop/inner")).unwrap();
        sqlite_like(&root.join("loop/inner/wallet.dat"), MAGIC);
        std::os::unix::fs::symlink("wallet.dat", root.join("loop/wallet.dat")).unwrap();
        // The looping entry and what lies below it are left out; the rest is
        // still listed.
        assert_eq!(
            list_databases(root, MAGIC),
            vec![("w1".into(), Format::Sqlite)]
        );
    }

    #[test]
    fn walletdir_checks_use_cores_texts() {
        let dir = tempfile::tempdir().unwrap();
        let args = ArgsManager::new();
        let missing = dir.path().join("nope");
        args.force_set_arg("-walletdir", &missing.display().to_string());
        assert_eq!(
            verify_wallet_dir(&args),
            Err(format!(
                "Specified -walletdir \"{}\" does not exist",
                missing.display()
            ))
        );
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        args.force_set_arg("-walletdir", &file.display().to_string());
        assert!(verify_wallet_dir(&args)
            .unwrap_err()
            .ends_with("is not a directory"));
        args.force_set_arg("-walletdir", &dir.path().display().to_string());
        assert_eq!(verify_wallet_dir(&args), Ok(()));
        assert_eq!(
            wallet_dir(&args),
            std::fs::canonicalize(dir.path()).unwrap()
        );
    }
}
