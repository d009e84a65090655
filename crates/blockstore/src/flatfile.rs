//! Numbered flat files (`blk00000.dat`, `rev00000.dat`, ...) and the
//! blocks-directory obfuscation key (`xor.dat`).
//!
//! Every byte stored in a blk/rev file is XORed with `key[offset % 8]`,
//! where `offset` is the byte's position in the file, matching Core's
//! obfuscation. An all-zero key leaves the data unchanged.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// A position inside a numbered flat file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FlatFilePos {
    /// File number (`blk{file:05}.dat`).
    pub file: u32,
    /// Byte offset within the file.
    pub pos: u32,
}

impl FlatFilePos {
    /// A position.
    pub fn new(file: u32, pos: u32) -> Self {
        FlatFilePos { file, pos }
    }
}

impl fmt::Display for FlatFilePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlatFilePos(nFile={}, nPos={})", self.file, self.pos)
    }
}

/// Size of the obfuscation key and of `xor.dat`.
pub const XOR_KEY_SIZE: usize = 8;

/// The 8-byte key used to obfuscate blk/rev files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct XorKey(pub [u8; XOR_KEY_SIZE]);

impl XorKey {
    /// True when the key is all zeros (no obfuscation).
    pub fn is_zero(&self) -> bool {
        self.0 == [0u8; XOR_KEY_SIZE]
    }

    /// XOR `data`, which sits at `offset` in its file, with the key.
    pub fn apply(&self, data: &mut [u8], offset: u64) {
        if self.is_zero() {
            return;
        }
        let start = (offset % XOR_KEY_SIZE as u64) as usize;
        let mut rotated = [0u8; XOR_KEY_SIZE];
        for (i, r) in rotated.iter_mut().enumerate() {
            *r = self.0[(start + i) % XOR_KEY_SIZE];
        }
        for chunk in data.chunks_mut(XOR_KEY_SIZE) {
            for (b, k) in chunk.iter_mut().zip(rotated.iter()) {
                *b ^= k;
            }
        }
    }
}

/// How the caller wants the blocks directory obfuscated (`-blocksxor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XorSetting {
    /// Use a random key on a fresh blocks directory (`-blocksxor=1`, the default).
    #[default]
    Enabled,
    /// Use an all-zero key (`-blocksxor=0`); fails if a non-zero key is stored.
    Disabled,
}

/// Set up the obfuscation key of `blocks_dir` as Core does on startup.
///
/// A directory holding nothing but hidden regular files counts as fresh; a
/// fresh directory gets a random key when `setting` is enabled. An existing
/// `xor.dat` always wins. When it is missing it is created — with zeros if
/// the directory already holds block files (they were written unobfuscated).
/// With obfuscation disabled, a stored non-zero key is an error.
pub fn init_xor_key(blocks_dir: &Path, setting: XorSetting) -> Result<XorKey> {
    fs::create_dir_all(blocks_dir).map_err(|e| {
        StoreError::io(
            format!("creating blocks directory {}", blocks_dir.display()),
            e,
        )
    })?;
    let mut first_run = true;
    let entries = fs::read_dir(blocks_dir).map_err(|e| {
        StoreError::io(
            format!("listing blocks directory {}", blocks_dir.display()),
            e,
        )
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| {
            StoreError::io(
                format!("listing blocks directory {}", blocks_dir.display()),
                e,
            )
        })?;
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !is_file || !hidden {
            first_run = false;
            break;
        }
    }

    let mut key = [0u8; XOR_KEY_SIZE];
    if setting == XorSetting::Enabled && first_run {
        use rand::RngCore;
        rand::thread_rng().fill_bytes(&mut key);
    }

    let path = blocks_dir.join("xor.dat");
    if path.exists() {
        let mut f = File::open(&path)
            .map_err(|e| StoreError::io(format!("opening XOR key file {}", path.display()), e))?;
        f.read_exact(&mut key)
            .map_err(|e| StoreError::io(format!("reading XOR key file {}", path.display()), e))?;
    } else {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| StoreError::io(format!("creating XOR key file {}", path.display()), e))?;
        f.write_all(&key).and_then(|_| f.sync_all()).map_err(|e| {
            StoreError::Config(format!(
                "Error closing XOR key file {}: {}",
                path.display(),
                e
            ))
        })?;
    }
    let key = XorKey(key);
    if setting == XorSetting::Disabled && !key.is_zero() {
        return Err(StoreError::Config(format!(
            "The blocksdir XOR-key can not be disabled when a random key was already stored! \
             Stored key: '{}', stored path: '{}'.",
            hex::encode(key.0),
            path.display()
        )));
    }
    Ok(key)
}

/// A sequence of numbered files `<dir>/<prefix>NNNNN.dat` sharing one
/// obfuscation key.
#[derive(Debug, Clone)]
pub struct FlatFileSeq {
    dir: PathBuf,
    prefix: &'static str,
    key: XorKey,
}

impl FlatFileSeq {
    /// A sequence in `dir` with file-name `prefix` (`"blk"` or `"rev"`).
    pub fn new(dir: &Path, prefix: &'static str, key: XorKey) -> Self {
        FlatFileSeq {
            dir: dir.to_path_buf(),
            prefix,
            key,
        }
    }

    /// Path of file number `n`.
    pub fn path(&self, n: u32) -> PathBuf {
        self.dir.join(format!("{}{:05}.dat", self.prefix, n))
    }

    /// The obfuscation key.
    pub fn key(&self) -> XorKey {
        self.key
    }

    /// Open file `n` for reading.
    pub fn open_read(&self, n: u32) -> Result<File> {
        let path = self.path(n);
        File::open(&path).map_err(|e| StoreError::io(format!("opening {}", path.display()), e))
    }

    /// Write `data` (plain) at `offset` of file `n`, creating the file if needed.
    pub fn write_at(&self, n: u32, offset: u64, data: &[u8]) -> Result<()> {
        let path = self.path(n);
        let mut buf = data.to_vec();
        self.key.apply(&mut buf, offset);
        let res = (|| -> io::Result<()> {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            f.seek(SeekFrom::Start(offset))?;
            f.write_all(&buf)?;
            Ok(())
        })();
        res.map_err(|e| StoreError::io(format!("writing {} at offset {offset}", path.display()), e))
    }

    /// Read exactly `len` plain bytes at `offset` of file `n`.
    pub fn read_at(&self, n: u32, offset: u64, len: usize) -> Result<Vec<u8>> {
        let path = self.path(n);
        let mut f = self.open_read(n)?;
        let mut buf = vec![0u8; len];
        let res = f
            .seek(SeekFrom::Start(offset))
            .and_then(|_| f.read_exact(&mut buf));
        match res {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(StoreError::corrupt(format!(
                    "{} ends before offset {} (wanted {len} bytes)",
                    path.display(),
                    offset + len as u64
                )))
            }
            Err(e) => {
                return Err(StoreError::io(
                    format!("reading {} at offset {offset}", path.display()),
                    e,
                ))
            }
        }
        self.key.apply(&mut buf, offset);
        Ok(buf)
    }

    /// Flush file `n` to stable storage (no-op if it does not exist).
    pub fn sync(&self, n: u32) -> Result<()> {
        let path = self.path(n);
        match OpenOptions::new().write(true).open(&path) {
            Ok(f) => f
                .sync_all()
                .map_err(|e| StoreError::io(format!("syncing {}", path.display()), e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(format!("opening {}", path.display()), e)),
        }
    }

    /// Delete file `n` (missing files are not an error).
    pub fn remove(&self, n: u32) -> Result<()> {
        let path = self.path(n);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(format!("removing {}", path.display()), e)),
        }
    }

    /// Whether file `n` exists.
    pub fn exists(&self, n: u32) -> bool {
        self.path(n).is_file()
    }
}
