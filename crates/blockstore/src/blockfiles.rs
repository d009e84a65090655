//! Block and undo storage in Core's `blk?????.dat` / `rev?????.dat` format.
//!
//! A block record is `message start (4) | u32 LE size | block`, an undo
//! record is `message start (4) | u32 LE size | undo | checksum (32)` where
//! the checksum is double-SHA256 over the previous block's hash followed by
//! the undo bytes. Positions handed out point at the data just after the
//! 8-byte header, as Core's do. Undo data for the blocks of `blkN.dat` goes
//! to `revN.dat`. All file bytes pass through the blocks-directory
//! obfuscation key (see [`crate::flatfile`]).
//!
//! Per-file statistics ([`BlockFileInfo`]) are kept in memory; the
//! chainstate persists the changed ones ([`BlockFiles::take_dirty_file_info`])
//! in the same database batch as the block index entries that point into
//! the files, and restores them with [`BlockFiles::load_file_info`].
//!
//! While an assumeutxo snapshot is in use, blocks at or above its base
//! height and blocks below it are appended to different files (Core's
//! "assumed" and "normal" block file types), each type with its own current
//! file. The background range then ends up in files of its own that can be
//! pruned as a whole once the snapshot is validated. Only the highest file
//! number in use is persisted; the current file of each type is derived
//! again from the file statistics at start-up, as Core does.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Block, BlockHash};

use crate::compress::{read_varint, read_varint_u32, write_varint, DecodeError, Reader, MAX_SIZE};
use crate::error::{Result, StoreError};
use crate::flatfile::{init_xor_key, FlatFilePos, FlatFileSeq, XorKey, XorSetting};
use crate::undo::BlockUndo;

/// Bytes before each record: message start plus a 4-byte length.
pub const STORAGE_HEADER_BYTES: u32 = 8;
/// Bytes an undo record needs beyond its payload: header plus checksum.
pub const UNDO_DATA_DISK_OVERHEAD: u32 = STORAGE_HEADER_BYTES + 32;
/// Default maximum size of a `blk?????.dat` file (128 MiB).
pub const MAX_BLOCKFILE_SIZE: u64 = 128 * 1024 * 1024;
/// Maximum block file size with `-fastprune` (64 KiB).
pub const FASTPRUNE_BLOCKFILE_SIZE: u64 = 0x10000;
/// Largest serialized block the scanner accepts (Core's `MAX_BLOCK_SERIALIZED_SIZE`).
pub const MAX_BLOCK_SERIALIZED_SIZE: u32 = 4_000_000;

/// Statistics of one block file and its undo file (Core's `CBlockFileInfo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockFileInfo {
    /// Number of blocks stored in the file.
    pub n_blocks: u32,
    /// Used bytes of the blk file.
    pub n_size: u32,
    /// Used bytes of the rev file.
    pub n_undo_size: u32,
    /// Lowest block height in the file.
    pub height_first: u32,
    /// Highest block height in the file.
    pub height_last: u32,
    /// Earliest block time in the file.
    pub time_first: u64,
    /// Latest block time in the file.
    pub time_last: u64,
}

impl BlockFileInfo {
    /// Account for one more block (does not change `n_size`).
    pub fn add_block(&mut self, height: u32, time: u64) {
        if self.n_blocks == 0 || self.height_first > height {
            self.height_first = height;
        }
        if self.n_blocks == 0 || self.time_first > time {
            self.time_first = time;
        }
        self.n_blocks += 1;
        if height > self.height_last {
            self.height_last = height;
        }
        if time > self.time_last {
            self.time_last = time;
        }
    }

    /// Serialize as Core does (seven VARINTs).
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        for v in [
            u64::from(self.n_blocks),
            u64::from(self.n_size),
            u64::from(self.n_undo_size),
            u64::from(self.height_first),
            u64::from(self.height_last),
            self.time_first,
            self.time_last,
        ] {
            write_varint(&mut out, v);
        }
        out
    }

    /// Inverse of [`BlockFileInfo::serialize`].
    pub fn deserialize(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let info = BlockFileInfo {
            n_blocks: read_varint_u32(&mut r)?,
            n_size: read_varint_u32(&mut r)?,
            n_undo_size: read_varint_u32(&mut r)?,
            height_first: read_varint_u32(&mut r)?,
            height_last: read_varint_u32(&mut r)?,
            time_first: read_varint(&mut r)?,
            time_last: read_varint(&mut r)?,
        };
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes after block file info".into()));
        }
        Ok(info)
    }
}

impl std::fmt::Display for BlockFileInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CBlockFileInfo(blocks={}, size={}, heights={}...{}, time={}...{})",
            self.n_blocks,
            self.n_size,
            self.height_first,
            self.height_last,
            self.time_first,
            self.time_last
        )
    }
}

/// Which set of files a block goes to (Core's `BlockfileType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileType {
    /// No snapshot, or a block below the snapshot base.
    Normal = 0,
    /// A block at or above the snapshot base height.
    Assumed = 1,
}

#[derive(Debug, Default)]
struct State {
    infos: Vec<BlockFileInfo>,
    /// The file each [`FileType`] appends to; `None` for the assumed type
    /// until its first block (or without a snapshot).
    cursors: [Option<u32>; 2],
    /// Base height of the assumeutxo snapshot in use, if any.
    snapshot_height: Option<u32>,
    dirty: BTreeSet<u32>,
    unsynced_blk: BTreeSet<u32>,
    unsynced_rev: BTreeSet<u32>,
}

impl State {
    fn info_mut(&mut self, n: u32) -> &mut BlockFileInfo {
        let idx = n as usize;
        if self.infos.len() <= idx {
            self.infos.resize(idx + 1, BlockFileInfo::default());
        }
        &mut self.infos[idx]
    }

    fn info(&self, n: u32) -> BlockFileInfo {
        self.infos.get(n as usize).copied().unwrap_or_default()
    }

    fn file_type(&self, height: u32) -> FileType {
        match self.snapshot_height {
            Some(base) if height >= base => FileType::Assumed,
            _ => FileType::Normal,
        }
    }

    /// The highest file number any cursor points at (Core's `MaxBlockfileNum`).
    fn max_file(&self) -> u32 {
        self.cursors.iter().flatten().copied().max().unwrap_or(0)
    }

    /// Points each type's cursor at the last file whose highest block
    /// belongs to it (files without blocks count as normal).
    fn init_cursors(&mut self) {
        self.cursors = [Some(0), None];
        for n in 0..self.infos.len() {
            let t = self.file_type(self.infos[n].height_last);
            self.cursors[t as usize] = Some(n as u32);
        }
    }
}

/// The blk/rev files of one blocks directory. All methods take `&self`;
/// writes are serialized by an internal mutex, reads open the files
/// independently.
#[derive(Debug)]
pub struct BlockFiles {
    dir: PathBuf,
    magic: [u8; 4],
    max_file_size: u64,
    blk: FlatFileSeq,
    rev: FlatFileSeq,
    state: Mutex<State>,
}

fn checksum(prev_block_hash: &BlockHash, undo_bytes: &[u8]) -> [u8; 32] {
    let mut engine = sha256d::Hash::engine();
    engine.input(prev_block_hash.as_byte_array());
    engine.input(undo_bytes);
    sha256d::Hash::from_engine(engine).to_byte_array()
}

impl BlockFiles {
    /// Open (creating if needed) the blocks directory, setting up
    /// `xor.dat` as Core does. `message_start` is the network magic;
    /// `max_file_size` is [`MAX_BLOCKFILE_SIZE`] or
    /// [`FASTPRUNE_BLOCKFILE_SIZE`]. File statistics start empty; restore
    /// them from the database with [`BlockFiles::load_file_info`].
    pub fn open(
        blocks_dir: &Path,
        message_start: [u8; 4],
        xor: XorSetting,
        max_file_size: u64,
    ) -> Result<Self> {
        let key = init_xor_key(blocks_dir, xor)?;
        Ok(BlockFiles {
            dir: blocks_dir.to_path_buf(),
            magic: message_start,
            max_file_size: max_file_size.max(u64::from(STORAGE_HEADER_BYTES) + 1),
            blk: FlatFileSeq::new(blocks_dir, "blk", key),
            rev: FlatFileSeq::new(blocks_dir, "rev", key),
            state: Mutex::new(State {
                cursors: [Some(0), None],
                ..State::default()
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the plain-data state
        // half-updated in a way worse than a crash; keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The blocks directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The obfuscation key in use.
    pub fn xor_key(&self) -> XorKey {
        self.blk.key()
    }

    /// The network magic written before each record.
    pub fn message_start(&self) -> [u8; 4] {
        self.magic
    }

    /// Path of `blk{n:05}.dat`.
    pub fn block_file_path(&self, n: u32) -> PathBuf {
        self.blk.path(n)
    }

    /// Path of `rev{n:05}.dat`.
    pub fn undo_file_path(&self, n: u32) -> PathBuf {
        self.rev.path(n)
    }

    /// Whether `blk{n:05}.dat` exists (reindex walks files until one is missing).
    pub fn block_file_exists(&self, n: u32) -> bool {
        self.blk.exists(n)
    }

    /// Restore per-file statistics and the current file number from the
    /// database. Replaces any statistics held so far and clears the dirty set.
    pub fn load_file_info(
        &self,
        infos: impl IntoIterator<Item = (u32, BlockFileInfo)>,
        last_file: u32,
    ) {
        let mut st = self.lock();
        st.infos.clear();
        st.dirty.clear();
        for (n, info) in infos {
            *st.info_mut(n) = info;
        }
        st.info_mut(last_file);
        st.init_cursors();
    }

    /// An assumeutxo snapshot with base height `height` was just loaded
    /// (`None`: no snapshot). Blocks at or above it go to files of their
    /// own from now on, starting with a new file.
    pub fn set_snapshot_height(&self, height: Option<u32>) {
        let mut st = self.lock();
        st.snapshot_height = height;
        if height.is_none() {
            st.cursors[FileType::Assumed as usize] = None;
        }
    }

    /// At start-up: the snapshot chainstate found on disk has base height
    /// `height` (`None`: none). Picks each type's current file again from
    /// the file statistics.
    pub fn restore_snapshot_height(&self, height: Option<u32>) {
        let mut st = self.lock();
        st.snapshot_height = height;
        st.init_cursors();
    }

    /// Statistics of file `n`, if it is known.
    pub fn file_info(&self, n: u32) -> Option<BlockFileInfo> {
        self.lock().infos.get(n as usize).copied()
    }

    /// Statistics of every known file, indexed by file number.
    pub fn all_file_info(&self) -> Vec<BlockFileInfo> {
        self.lock().infos.clone()
    }

    /// Highest file number in use (the one persisted as the last block
    /// file; with a snapshot the other type's current file may be lower).
    pub fn last_file(&self) -> u32 {
        self.lock().max_file()
    }

    /// Statistics changed since the last call, to be written to the
    /// database together with the block index. Clears the dirty set.
    pub fn take_dirty_file_info(&self) -> Vec<(u32, BlockFileInfo)> {
        let mut st = self.lock();
        let dirty = std::mem::take(&mut st.dirty);
        dirty.into_iter().map(|n| (n, st.info(n))).collect()
    }

    /// Marks files' statistics as unwritten again (their write failed).
    pub fn restore_dirty_file_info(&self, files: impl IntoIterator<Item = u32>) {
        self.lock().dirty.extend(files);
    }

    /// Total bytes used by blk and rev files according to the statistics
    /// (Core's `CalculateCurrentUsage`).
    pub fn current_usage(&self) -> u64 {
        self.lock()
            .infos
            .iter()
            .map(|i| u64::from(i.n_size) + u64::from(i.n_undo_size))
            .sum()
    }

    /// Append `block` (at `height`) to the current block file of its type,
    /// moving to a new file (after the highest in use) when it would grow
    /// past the maximum size. Returns the position of the block data
    /// (after the 8-byte header).
    pub fn write_block(&self, block: &Block, height: u32) -> Result<FlatFilePos> {
        let data = serialize(block);
        let block_size = u32::try_from(data.len())
            .ok()
            .filter(|&s| u64::from(s) <= MAX_SIZE)
            .ok_or_else(|| {
                StoreError::corrupt(format!("block too large to store ({} bytes)", data.len()))
            })?;
        let add_size = block_size + STORAGE_HEADER_BYTES;
        let mut max_size = self.max_file_size;
        if u64::from(add_size) >= max_size {
            max_size = u64::from(add_size) + 1;
        }

        let mut st = self.lock();
        let kind = st.file_type(height) as usize;
        let prev_file = match st.cursors[kind] {
            Some(n) => n,
            None => {
                // First block of this type since the snapshot was loaded.
                let n = st.max_file() + 1;
                st.cursors[kind] = Some(n);
                n
            }
        };
        let mut n = prev_file;
        while u64::from(st.info(n).n_size) + u64::from(add_size) >= max_size {
            n = st.max_file() + 1;
            st.cursors[kind] = Some(n);
        }
        st.info_mut(n);
        if n != prev_file {
            // Leaving a file for good: make its contents durable.
            self.sync_file(&mut st, prev_file)?;
        }

        let before = st.info(n);
        let pos = before.n_size;
        let mut record = Vec::with_capacity(add_size as usize);
        record.extend_from_slice(&self.magic);
        record.extend_from_slice(&block_size.to_le_bytes());
        record.extend_from_slice(&data);
        self.blk.write_at(n, u64::from(pos), &record)?;

        let info = st.info_mut(n);
        info.add_block(height, u64::from(block.header.time));
        info.n_size = pos + add_size;
        st.dirty.insert(n);
        st.unsynced_blk.insert(n);
        Ok(FlatFilePos::new(n, pos + STORAGE_HEADER_BYTES))
    }

    /// Record a block that is already present at `pos` (found by scanning
    /// during reindex) in the file statistics, as Core's `UpdateBlockInfo`.
    pub fn note_existing_block(&self, pos: FlatFilePos, block_size: u32, height: u32, time: u64) {
        let mut st = self.lock();
        let kind = st.file_type(height) as usize;
        if st.cursors[kind].is_none_or(|c| c < pos.file) {
            st.cursors[kind] = Some(pos.file);
        }
        let info = st.info_mut(pos.file);
        info.add_block(height, time);
        info.n_size = info.n_size.max(pos.pos.saturating_add(block_size));
        st.dirty.insert(pos.file);
    }

    /// Read the serialized block at `pos` (which points after the header),
    /// checking the header's magic and size.
    pub fn read_raw_block(&self, pos: FlatFilePos) -> Result<Vec<u8>> {
        if pos.pos < STORAGE_HEADER_BYTES {
            return Err(StoreError::corrupt(format!(
                "no block storage header before {pos} while reading raw block"
            )));
        }
        let header_off = u64::from(pos.pos - STORAGE_HEADER_BYTES);
        let header = self
            .blk
            .read_at(pos.file, header_off, STORAGE_HEADER_BYTES as usize)?;
        if header[..4] != self.magic {
            return Err(StoreError::corrupt(format!(
                "Block magic mismatch for {pos}: {} versus expected {} while reading raw block",
                hex::encode(&header[..4]),
                hex::encode(self.magic)
            )));
        }
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if u64::from(size) > MAX_SIZE {
            return Err(StoreError::corrupt(format!(
                "Block data is larger than maximum deserialization size for {pos}: {size} versus {MAX_SIZE} while reading raw block"
            )));
        }
        self.blk
            .read_at(pos.file, u64::from(pos.pos), size as usize)
    }

    /// Read and deserialize the block at `pos`.
    pub fn read_block(&self, pos: FlatFilePos) -> Result<Block> {
        let raw = self.read_raw_block(pos)?;
        consensus::codec::read_block_prefix(&raw)
            .map(|(block, _)| block)
            .map_err(|e| {
                StoreError::corrupt(format!(
                    "Deserialize or I/O error - {e} at {pos} while reading block"
                ))
            })
    }

    /// Read the block at `pos` and check that it hashes to `expected`
    /// (the block index entry that pointed here). Proof-of-work and signet
    /// checks are left to the caller.
    pub fn read_block_checked(&self, pos: FlatFilePos, expected: &BlockHash) -> Result<Block> {
        let block = self.read_block(pos)?;
        let hash = block.block_hash();
        if hash != *expected {
            return Err(StoreError::corrupt(format!(
                "GetHash() doesn't match index at {pos} while reading block ({hash} != {expected})"
            )));
        }
        Ok(block)
    }

    /// Append undo data for a block stored in block file `block_file`,
    /// whose parent is `prev_block_hash`, to `rev{block_file}.dat`.
    /// Returns the position of the undo data (after the 8-byte header).
    pub fn write_undo(
        &self,
        undo: &BlockUndo,
        block_file: u32,
        prev_block_hash: BlockHash,
    ) -> Result<FlatFilePos> {
        let data = undo.serialize();
        let size = u32::try_from(data.len())
            .ok()
            .filter(|&s| u64::from(s) <= MAX_SIZE)
            .ok_or_else(|| {
                StoreError::corrupt(format!(
                    "undo data too large to store ({} bytes)",
                    data.len()
                ))
            })?;
        let mut record = Vec::with_capacity(data.len() + UNDO_DATA_DISK_OVERHEAD as usize);
        record.extend_from_slice(&self.magic);
        record.extend_from_slice(&size.to_le_bytes());
        record.extend_from_slice(&data);
        record.extend_from_slice(&checksum(&prev_block_hash, &data));

        let mut st = self.lock();
        let pos = st.info(block_file).n_undo_size;
        let end = pos
            .checked_add(size + UNDO_DATA_DISK_OVERHEAD)
            .ok_or_else(|| {
                StoreError::corrupt(format!("undo file {block_file} would exceed 4 GiB"))
            })?;
        self.rev.write_at(block_file, u64::from(pos), &record)?;
        st.info_mut(block_file).n_undo_size = end;
        st.dirty.insert(block_file);
        st.unsynced_rev.insert(block_file);
        Ok(FlatFilePos::new(block_file, pos + STORAGE_HEADER_BYTES))
    }

    /// Read the undo data at `pos` and verify its checksum against
    /// `prev_block_hash` (the hash of the parent of the block it undoes).
    pub fn read_undo(&self, pos: FlatFilePos, prev_block_hash: BlockHash) -> Result<BlockUndo> {
        if pos.pos < STORAGE_HEADER_BYTES {
            return Err(StoreError::corrupt(format!(
                "no undo storage header before {pos} while reading block undo"
            )));
        }
        let header_off = u64::from(pos.pos - STORAGE_HEADER_BYTES);
        let header = self
            .rev
            .read_at(pos.file, header_off, STORAGE_HEADER_BYTES as usize)?;
        if header[..4] != self.magic {
            return Err(StoreError::corrupt(format!(
                "Undo magic mismatch for {pos}: {} versus expected {} while reading block undo",
                hex::encode(&header[..4]),
                hex::encode(self.magic)
            )));
        }
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if u64::from(size) > MAX_SIZE {
            return Err(StoreError::corrupt(format!(
                "Undo data size {size} too large at {pos} while reading block undo"
            )));
        }
        let buf = self
            .rev
            .read_at(pos.file, u64::from(pos.pos), size as usize + 32)?;
        let (data, stored) = buf.split_at(size as usize);
        if checksum(&prev_block_hash, data) != stored {
            return Err(StoreError::ChecksumMismatch { pos });
        }
        BlockUndo::deserialize(data).map_err(|e| {
            StoreError::corrupt(format!(
                "Deserialize or I/O error - {e} at {pos} while reading block undo"
            ))
        })
    }

    fn sync_file(&self, st: &mut State, n: u32) -> Result<()> {
        if st.unsynced_blk.remove(&n) {
            self.blk.sync(n)?;
        }
        if st.unsynced_rev.remove(&n) {
            self.rev.sync(n)?;
        }
        Ok(())
    }

    /// Flush written blk/rev data to stable storage. With `finalize` the
    /// blocks directory entry is synced as well (new files become durable).
    pub fn flush(&self, finalize: bool) -> Result<()> {
        let mut st = self.lock();
        let files: BTreeSet<u32> = st.unsynced_blk.union(&st.unsynced_rev).copied().collect();
        for n in files {
            self.sync_file(&mut st, n)?;
        }
        if finalize {
            if let Ok(d) = File::open(&self.dir) {
                // Directory fsync is best effort (unsupported on some systems).
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Reset the statistics of files about to be pruned (marked dirty so
    /// the database learns of it before the files go).
    pub fn mark_pruned(&self, files: &[u32]) {
        let mut st = self.lock();
        for &n in files {
            if (n as usize) < st.infos.len() {
                st.infos[n as usize] = BlockFileInfo::default();
                st.dirty.insert(n);
            }
        }
    }

    /// Delete the blk and rev files with these numbers (pruning) and reset
    /// their statistics.
    pub fn remove_files(&self, files: &[u32]) -> Result<()> {
        self.mark_pruned(files);
        let mut st = self.lock();
        for &n in files {
            st.unsynced_blk.remove(&n);
            st.unsynced_rev.remove(&n);
            self.blk.remove(n)?;
            self.rev.remove(n)?;
        }
        Ok(())
    }

    /// Scan `blk{file:05}.dat` for blocks the way Core's reindex does:
    /// look for the magic, check the size, and skip anything that does not
    /// deserialize. Yields the block data position and the block; an
    /// unreadable file yields one error.
    pub fn scan_blocks(&self, file: u32) -> BlockFileScan {
        let inner = self
            .blk
            .open_read(file)
            .map(|f| BlockScanner::new(f, self.magic, self.blk.key()));
        match inner {
            Ok(s) => BlockFileScan {
                file,
                inner: Some(s),
                error: None,
            },
            Err(e) => BlockFileScan {
                file,
                inner: None,
                error: Some(e),
            },
        }
    }
}

/// Iterator returned by [`BlockFiles::scan_blocks`].
#[derive(Debug)]
pub struct BlockFileScan {
    file: u32,
    inner: Option<BlockScanner<File>>,
    error: Option<StoreError>,
}

impl Iterator for BlockFileScan {
    type Item = Result<(FlatFilePos, Block)>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        let file = self.file;
        let item = self.inner.as_mut()?.next()?;
        Some(item.and_then(|(off, block)| {
            let pos = u32::try_from(off).map_err(|_| {
                StoreError::corrupt(format!(
                    "block at offset {off} of blk{file:05}.dat beyond 4 GiB"
                ))
            })?;
            Ok((FlatFilePos::new(file, pos), block))
        }))
    }
}

/// Open an external, non-obfuscated block file (`-loadblock`,
/// `bootstrap.dat`) for scanning. Yields the byte offset of each block's
/// data and the block.
pub fn scan_external_block_file(path: &Path, message_start: [u8; 4]) -> Result<BlockScanner<File>> {
    let f =
        File::open(path).map_err(|e| StoreError::io(format!("opening {}", path.display()), e))?;
    Ok(BlockScanner::new(f, message_start, XorKey::default()))
}

const SCAN_CHUNK: usize = 1 << 20;
const SCAN_KEEP: u64 = 8 << 20;

/// A read window over a seekable source that de-obfuscates as it reads.
#[derive(Debug)]
struct Window<R> {
    src: R,
    key: XorKey,
    buf: Vec<u8>,
    /// Source offset of `buf[0]`; the source is positioned at `start + buf.len()`.
    start: u64,
    eof: bool,
}

impl<R: Read + Seek> Window<R> {
    /// Up to `len` bytes starting at `off` (fewer only at end of data).
    fn fill(&mut self, off: u64, len: usize) -> io::Result<&[u8]> {
        let end_buf = self.start + self.buf.len() as u64;
        if off < self.start || off > end_buf {
            self.src.seek(SeekFrom::Start(off))?;
            self.buf.clear();
            self.start = off;
            self.eof = false;
        } else if off - self.start > SCAN_KEEP {
            self.buf.drain(..(off - self.start) as usize);
            self.start = off;
        }
        let need_end = off + len as u64;
        while self.start + (self.buf.len() as u64) < need_end && !self.eof {
            let missing = (need_end - self.start - self.buf.len() as u64) as usize;
            let want = missing.max(SCAN_CHUNK);
            let old = self.buf.len();
            self.buf.resize(old + want, 0);
            let n = loop {
                match self.src.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
            }
            let base = self.start + old as u64;
            self.key.apply(&mut self.buf[old..], base);
        }
        let s = (off - self.start) as usize;
        let e = (s + len).min(self.buf.len());
        Ok(&self.buf[s.min(e)..e])
    }
}

/// Finds blocks in a stream of `magic | size | block` records, skipping
/// garbage between them as Core's external block file loader does.
#[derive(Debug)]
pub struct BlockScanner<R> {
    win: Window<R>,
    magic: [u8; 4],
    next: u64,
    done: bool,
}

impl<R: Read + Seek> BlockScanner<R> {
    /// Scan `src` from its start; bytes are XORed with `key` by offset.
    pub fn new(src: R, magic: [u8; 4], key: XorKey) -> Self {
        BlockScanner {
            win: Window {
                src,
                key,
                buf: Vec::new(),
                start: 0,
                eof: false,
            },
            magic,
            next: 0,
            done: false,
        }
    }

    fn find_first_magic_byte(&mut self, mut off: u64) -> io::Result<Option<u64>> {
        let b = self.magic[0];
        loop {
            let avail = self.win.fill(off, 1 << 16)?;
            if avail.is_empty() {
                return Ok(None);
            }
            if let Some(i) = avail.iter().position(|&x| x == b) {
                return Ok(Some(off + i as u64));
            }
            off += avail.len() as u64;
        }
    }

    fn scan_next(&mut self) -> io::Result<Option<(u64, Block)>> {
        loop {
            let Some(found) = self.find_first_magic_byte(self.next)? else {
                return Ok(None);
            };
            // On any failure below, resume one byte after this candidate.
            self.next = found + 1;
            let header = self.win.fill(found, 8)?;
            if header.len() < 8 {
                // Not even room for a header: end of data.
                return Ok(None);
            }
            if header[..4] != self.magic {
                continue;
            }
            let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
            if !(80..=MAX_BLOCK_SERIALIZED_SIZE).contains(&size) {
                continue;
            }
            let block_pos = found + 8;
            let data = self.win.fill(block_pos, size as usize)?;
            if data.len() < size as usize {
                continue;
            }
            if let Ok((block, used)) = consensus::codec::read_block_prefix(data) {
                self.next = block_pos + used as u64;
                return Ok(Some((block_pos, block)));
            }
        }
    }
}

impl<R: Read + Seek> Iterator for BlockScanner<R> {
    type Item = Result<(u64, Block)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.scan_next() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(StoreError::io(
                    format!("scanning block file near offset {}", self.next),
                    e,
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::blockdata::constants::genesis_block;
    use bitcoin::{Amount, Network, ScriptBuf, Transaction, TxOut};
    use consensus::Coin;
    use std::fs;

    const MAGIC: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];
    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    /// A block whose coinbase carries `pad` bytes of OP_RETURN payload.
    fn make_block(nonce: u32, pad: usize) -> Block {
        let mut block = genesis_block(Network::Regtest);
        block.header.nonce = nonce;
        block.header.time += nonce;
        let mut tx: Transaction = block.txdata[0].clone();
        let mut script = vec![0x6a, 0x4d];
        script.extend_from_slice(&(pad as u16).to_le_bytes());
        script.extend(std::iter::repeat_n(0x5a, pad));
        tx.output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        });
        block.txdata = vec![tx];
        block
    }

    fn open(dir: &Path, xor: XorSetting, max: u64) -> BlockFiles {
        BlockFiles::open(dir, MAGIC, xor, max).unwrap()
    }

    fn sample_undo() -> BlockUndo {
        BlockUndo {
            txs: vec![crate::undo::TxUndo {
                prevouts: vec![Coin {
                    output: TxOut {
                        value: Amount::from_sat(5_000_000_000),
                        script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                    },
                    height: 7,
                    is_coinbase: true,
                }],
            }],
        }
    }

    #[test]
    fn round_trip_without_obfuscation() {
        let tmp = tempfile::tempdir().unwrap();
        let files = open(tmp.path(), XorSetting::Disabled, MAX_BLOCKFILE_SIZE);
        assert!(files.xor_key().is_zero());
        assert_eq!(fs::read(tmp.path().join("xor.dat")).unwrap(), vec![0u8; 8]);
        let b1 = make_block(1, 10);
        let b2 = make_block(2, 20);
        let p1 = files.write_block(&b1, 1).unwrap();
        let p2 = files.write_block(&b2, 2).unwrap();
        assert_eq!(p1, FlatFilePos::new(0, 8));
        let len1 = serialize(&b1).len() as u32;
        assert_eq!(p2, FlatFilePos::new(0, 8 + len1 + 8));
        assert_eq!(files.read_block(p1).unwrap(), b1);
        assert_eq!(files.read_block(p2).unwrap(), b2);
        assert_eq!(files.read_raw_block(p2).unwrap(), serialize(&b2));
        assert_eq!(files.read_block_checked(p2, &b2.block_hash()).unwrap(), b2);
        let err = files.read_block_checked(p2, &b1.block_hash()).unwrap_err();
        assert!(err.to_string().contains("doesn't match index"), "{err}");

        // On-disk bytes are plain: magic, LE size, block.
        let raw = fs::read(files.block_file_path(0)).unwrap();
        assert_eq!(&raw[..4], &MAGIC);
        assert_eq!(&raw[4..8], &len1.to_le_bytes());
        assert_eq!(&raw[8..8 + len1 as usize], &serialize(&b1)[..]);

        let info = files.file_info(0).unwrap();
        assert_eq!(info.n_blocks, 2);
        assert_eq!(info.n_size as usize, raw.len());
        assert_eq!((info.height_first, info.height_last), (1, 2));
        assert_eq!(info.time_first, u64::from(b1.header.time));
        assert_eq!(info.time_last, u64::from(b2.header.time));
        files.flush(true).unwrap();
    }

    #[test]
    fn round_trip_with_obfuscation() {
        let tmp = tempfile::tempdir().unwrap();
        let files = open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE);
        let key = files.xor_key();
        assert!(!key.is_zero());
        assert_eq!(
            fs::read(tmp.path().join("xor.dat")).unwrap(),
            key.0.to_vec()
        );
        let b = make_block(3, 100);
        let p = files.write_block(&b, 5).unwrap();
        assert_eq!(files.read_block(p).unwrap(), b);

        let mut raw = fs::read(files.block_file_path(0)).unwrap();
        let mut plain = MAGIC.to_vec();
        plain.extend_from_slice(&(serialize(&b).len() as u32).to_le_bytes());
        plain.extend_from_slice(&serialize(&b));
        assert_ne!(raw, plain);
        for (i, byte) in raw.iter_mut().enumerate() {
            *byte ^= key.0[i % 8];
        }
        assert_eq!(raw, plain);

        // Undo data is obfuscated too and round-trips.
        let prev = b.header.prev_blockhash;
        let up = files.write_undo(&sample_undo(), p.file, prev).unwrap();
        assert_eq!(up, FlatFilePos::new(0, 8));
        assert_eq!(files.read_undo(up, prev).unwrap(), sample_undo());
        let raw = fs::read(files.undo_file_path(0)).unwrap();
        assert_ne!(&raw[..4], &MAGIC);

        // Reopening keeps the stored key.
        drop(files);
        let again = open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE);
        assert_eq!(again.xor_key(), key);
        assert_eq!(again.read_block(p).unwrap(), b);
    }

    #[test]
    fn xor_key_setup_rules() {
        // Disabling after a random key was stored fails with Core's message.
        let tmp = tempfile::tempdir().unwrap();
        drop(open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE));
        let err = BlockFiles::open(tmp.path(), MAGIC, XorSetting::Disabled, MAX_BLOCKFILE_SIZE)
            .unwrap_err();
        assert!(err.to_string().starts_with(
            "The blocksdir XOR-key can not be disabled when a random key was already stored!"
        ));

        // Existing block files but no xor.dat: a zero key is written.
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("blk00000.dat"), b"").unwrap();
        let files = open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE);
        assert!(files.xor_key().is_zero());
        assert_eq!(fs::read(tmp.path().join("xor.dat")).unwrap(), vec![0u8; 8]);

        // Only hidden files (e.g. .lock) still count as a fresh directory.
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(".lock"), b"").unwrap();
        assert!(!open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE)
            .xor_key()
            .is_zero());

        // A truncated xor.dat is an error, not a panic.
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("xor.dat"), [1, 2, 3]).unwrap();
        assert!(
            BlockFiles::open(tmp.path(), MAGIC, XorSetting::Enabled, MAX_BLOCKFILE_SIZE).is_err()
        );
    }

    #[test]
    fn reads_block_file_written_by_core() {
        // Core's mainnet blk00000.dat starts with f9beb4d9, the genesis
        // block's size 285 (0x11d) little-endian, then the genesis block.
        let genesis = genesis_block(Network::Bitcoin);
        let block_bytes = serialize(&genesis);
        assert_eq!(block_bytes.len(), 285);
        let mut plain = vec![0xf9, 0xbe, 0xb4, 0xd9, 0x1d, 0x01, 0x00, 0x00];
        plain.extend_from_slice(&block_bytes);
        // Zero padding as left by Core's pre-allocation.
        plain.extend_from_slice(&[0u8; 64]);
        let key = [0x3c, 0x1b, 0x8f, 0x05, 0xaa, 0x00, 0xff, 0x71];
        let disk: Vec<u8> = plain
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[i % 8])
            .collect();

        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("xor.dat"), key).unwrap();
        fs::write(tmp.path().join("blk00000.dat"), &disk).unwrap();
        let files = open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE);
        assert_eq!(files.xor_key().0, key);
        let block = files.read_block(FlatFilePos::new(0, 8)).unwrap();
        assert_eq!(
            block.block_hash().to_string(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        let scanned: Vec<_> = files.scan_blocks(0).map(|r| r.unwrap()).collect();
        assert_eq!(scanned.len(), 1);
        assert_eq!(scanned[0].0, FlatFilePos::new(0, 8));
        assert_eq!(scanned[0].1, genesis);
    }

    #[test]
    fn undo_record_format_and_checksum() {
        let tmp = tempfile::tempdir().unwrap();
        let files = BlockFiles::open(
            tmp.path(),
            REGTEST,
            XorSetting::Disabled,
            MAX_BLOCKFILE_SIZE,
        )
        .unwrap();
        let prev = BlockHash::from_byte_array([0x42; 32]);
        let undo = sample_undo();
        let p1 = files.write_undo(&undo, 0, prev).unwrap();
        let p2 = files.write_undo(&BlockUndo::default(), 0, prev).unwrap();
        let body = undo.serialize();
        assert_eq!(p2.pos, p1.pos + body.len() as u32 + 32 + 8);
        assert_eq!(files.file_info(0).unwrap().n_undo_size, p2.pos + 1 + 32);

        let raw = fs::read(files.undo_file_path(0)).unwrap();
        assert_eq!(&raw[..4], &REGTEST);
        assert_eq!(&raw[4..8], &(body.len() as u32).to_le_bytes());
        assert_eq!(&raw[8..8 + body.len()], &body[..]);
        let mut pre = [0x42u8; 32].to_vec();
        pre.extend_from_slice(&body);
        let expect = sha256d::Hash::hash(&pre).to_byte_array();
        assert_eq!(&raw[8 + body.len()..8 + body.len() + 32], &expect);

        assert_eq!(files.read_undo(p1, prev).unwrap(), undo);
        assert_eq!(files.read_undo(p2, prev).unwrap(), BlockUndo::default());
        // Wrong parent hash: checksum mismatch.
        let other = BlockHash::from_byte_array([0x43; 32]);
        let err = files.read_undo(p1, other).unwrap_err();
        assert!(
            matches!(err, StoreError::ChecksumMismatch { pos } if pos == p1),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains("Checksum mismatch at FlatFilePos(nFile=0, nPos=8)"));

        // Flip one byte of the undo body on disk.
        let mut damaged = raw.clone();
        damaged[10] ^= 0x01;
        fs::write(files.undo_file_path(0), &damaged).unwrap();
        assert!(matches!(
            files.read_undo(p1, prev),
            Err(StoreError::ChecksumMismatch { .. })
        ));
        // Truncated undo file.
        fs::write(files.undo_file_path(0), &raw[..20]).unwrap();
        assert!(files.read_undo(p1, prev).unwrap_err().is_corruption());
        // Bad positions.
        assert!(files.read_undo(FlatFilePos::new(0, 3), prev).is_err());
        assert!(files.read_undo(FlatFilePos::new(9, 8), prev).is_err());
    }

    #[test]
    fn roll_over_to_next_file() {
        let tmp = tempfile::tempdir().unwrap();
        let files = open(tmp.path(), XorSetting::Enabled, 2000);
        let mut positions = Vec::new();
        let blocks: Vec<Block> = (0..10).map(|i| make_block(i, 500)).collect();
        for (h, b) in blocks.iter().enumerate() {
            positions.push(files.write_block(b, h as u32).unwrap());
        }
        // ~760-byte records: two per 2000-byte file.
        assert_eq!(files.last_file(), 4);
        for (i, p) in positions.iter().enumerate() {
            assert_eq!(p.file, i as u32 / 2, "block {i}");
            assert_eq!(files.read_block(*p).unwrap(), blocks[i]);
        }
        for n in 0..5 {
            let info = files.file_info(n).unwrap();
            assert_eq!(info.n_blocks, 2);
            assert!(u64::from(info.n_size) < 2000);
            assert_eq!(
                fs::metadata(files.block_file_path(n)).unwrap().len(),
                u64::from(info.n_size)
            );
            assert_eq!((info.height_first, info.height_last), (n * 2, n * 2 + 1));
        }
        // A block larger than the maximum still gets written (own file).
        let big = make_block(99, 3000);
        let p = files.write_block(&big, 10).unwrap();
        assert_eq!(p, FlatFilePos::new(5, 8));
        assert_eq!(files.read_block(p).unwrap(), big);

        // Dirty statistics survive a restart through load_file_info.
        let dirty = files.take_dirty_file_info();
        assert_eq!(dirty.len(), 6);
        assert!(files.take_dirty_file_info().is_empty());
        let last = files.last_file();
        drop(files);
        let files = open(tmp.path(), XorSetting::Enabled, 2000);
        files.load_file_info(dirty, last);
        let b = make_block(100, 10);
        let p = files.write_block(&b, 11).unwrap();
        assert_eq!(p.file, 6);
        assert_eq!(files.read_block(positions[9]).unwrap(), blocks[9]);

        // Pruning removes files and resets their statistics.
        files.remove_files(&[0, 1]).unwrap();
        assert!(!files.block_file_exists(0));
        assert_eq!(files.file_info(0).unwrap(), BlockFileInfo::default());
        assert!(files.read_block(positions[0]).is_err());
        assert_eq!(files.read_block(positions[5]).unwrap(), blocks[5]);
        let dirty: Vec<u32> = files
            .take_dirty_file_info()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(dirty, vec![0, 1, 6]);
    }

    #[test]
    fn snapshot_range_gets_its_own_files() {
        let tmp = tempfile::tempdir().unwrap();
        let files = open(tmp.path(), XorSetting::Enabled, 2000);
        let block = |i: u32| make_block(i, 500);
        // Heights 0 and 1 before the snapshot: file 0.
        for h in 0..2 {
            assert_eq!(files.write_block(&block(h), h).unwrap().file, 0);
        }
        files.set_snapshot_height(Some(10));
        // The snapshot range starts a new file after the highest in use.
        assert_eq!(files.write_block(&block(10), 10).unwrap().file, 1);
        // Background blocks keep filling their own file, then roll over
        // past every file in use.
        assert_eq!(files.write_block(&block(2), 2).unwrap().file, 2);
        assert_eq!(files.write_block(&block(11), 11).unwrap().file, 1);
        assert_eq!(files.write_block(&block(3), 3).unwrap().file, 2);
        assert_eq!(files.write_block(&block(12), 12).unwrap().file, 3);
        assert_eq!(files.write_block(&block(4), 4).unwrap().file, 4);
        assert_eq!(files.last_file(), 4);
        let range = |n: u32| {
            let i = files.file_info(n).unwrap();
            (i.height_first, i.height_last)
        };
        assert_eq!(
            (0..5).map(range).collect::<Vec<_>>(),
            vec![(0, 1), (10, 11), (2, 3), (12, 12), (4, 4)]
        );

        // After a restart each type continues in its own last file.
        let dirty = files.take_dirty_file_info();
        drop(files);
        let files = open(tmp.path(), XorSetting::Enabled, 2000);
        files.load_file_info(dirty.clone(), 4);
        files.restore_snapshot_height(Some(10));
        assert_eq!(files.write_block(&block(13), 13).unwrap().file, 3);
        assert_eq!(files.write_block(&block(5), 5).unwrap().file, 4);

        // Without the snapshot every block goes to the highest file.
        drop(files);
        let files = open(tmp.path(), XorSetting::Enabled, 2000);
        files.load_file_info(dirty, 4);
        files.restore_snapshot_height(None);
        assert_eq!(files.write_block(&block(20), 20).unwrap().file, 4);
    }

    #[test]
    fn corrupt_block_data_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let files = open(tmp.path(), XorSetting::Disabled, MAX_BLOCKFILE_SIZE);
        let b = make_block(1, 50);
        let p = files.write_block(&b, 0).unwrap();
        let path = files.block_file_path(0);
        let raw = fs::read(&path).unwrap();

        // Wrong network magic.
        let other = BlockFiles::open(
            tmp.path(),
            REGTEST,
            XorSetting::Disabled,
            MAX_BLOCKFILE_SIZE,
        )
        .unwrap();
        let err = other.read_block(p).unwrap_err();
        assert!(err.to_string().contains("Block magic mismatch"), "{err}");
        // Position without room for a header / misaligned / missing file.
        assert!(files.read_block(FlatFilePos::new(0, 0)).is_err());
        assert!(files.read_block(FlatFilePos::new(0, 9)).is_err());
        assert!(matches!(
            files.read_block(FlatFilePos::new(7, 8)),
            Err(StoreError::Io { .. })
        ));
        // Truncated file.
        fs::write(&path, &raw[..raw.len() - 5]).unwrap();
        assert!(files.read_block(p).unwrap_err().is_corruption());
        // Size field beyond MAX_SIZE.
        let mut bad = raw.clone();
        bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        fs::write(&path, &bad).unwrap();
        assert!(files.read_block(p).is_err());
        // Garbage block body.
        let mut bad = raw.clone();
        for b in &mut bad[8 + 80..] {
            *b = 0xff;
        }
        fs::write(&path, &bad).unwrap();
        assert!(files.read_block(p).unwrap_err().is_corruption());
    }

    #[test]
    fn scanner_skips_garbage_like_core() {
        let tmp = tempfile::tempdir().unwrap();
        let files = open(tmp.path(), XorSetting::Enabled, MAX_BLOCKFILE_SIZE);
        let blocks: Vec<Block> = (0..3).map(|i| make_block(i, 40)).collect();
        let mut pos = Vec::new();
        for (h, b) in blocks.iter().enumerate() {
            pos.push(files.write_block(b, h as u32).unwrap());
        }
        let got: Vec<_> = files.scan_blocks(0).map(|r| r.unwrap()).collect();
        assert_eq!(got.len(), 3);
        for i in 0..3 {
            assert_eq!(got[i], (pos[i], blocks[i].clone()));
        }
        assert!(files.scan_blocks(5).next().unwrap().is_err());

        // External plain file with junk: partial magic, bad sizes, a
        // corrupt record, then valid blocks, then a truncated record.
        let mut data = Vec::new();
        data.extend_from_slice(&[0xf9, 0xbe, 0x00, 0xf9]);
        data.extend_from_slice(&MAGIC);
        data.extend_from_slice(&10u32.to_le_bytes()); // too small
        data.extend_from_slice(&MAGIC);
        data.extend_from_slice(&5_000_000u32.to_le_bytes()); // too big
        data.extend_from_slice(&MAGIC);
        data.extend_from_slice(&200u32.to_le_bytes());
        data.extend_from_slice(&[0xee; 200]); // does not deserialize
        let mut offsets = Vec::new();
        for b in &blocks {
            let bytes = serialize(b);
            data.extend_from_slice(&MAGIC);
            data.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            offsets.push(data.len() as u64);
            data.extend_from_slice(&bytes);
            data.extend_from_slice(&[0x00, 0xf9, 0x01]);
        }
        let bytes = serialize(&blocks[0]);
        data.extend_from_slice(&MAGIC);
        data.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        data.extend_from_slice(&bytes[..bytes.len() / 2]);
        let path = tmp.path().join("bootstrap.dat");
        fs::write(&path, &data).unwrap();
        let got: Vec<_> = scan_external_block_file(&path, MAGIC)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got.len(), 3);
        for i in 0..3 {
            assert_eq!(got[i], (offsets[i], blocks[i].clone()));
        }
        // Random garbage never panics.
        let mut x: u32 = 99;
        let junk: Vec<u8> = (0..100_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if x.is_multiple_of(7) {
                    0xf9
                } else {
                    (x >> 16) as u8
                }
            })
            .collect();
        fs::write(&path, &junk).unwrap();
        assert_eq!(scan_external_block_file(&path, MAGIC).unwrap().count(), 0);
    }

    #[test]
    fn concurrent_writers_and_readers() {
        let tmp = tempfile::tempdir().unwrap();
        let files = std::sync::Arc::new(open(tmp.path(), XorSetting::Enabled, 5000));
        let handles: Vec<_> = (0..4u32)
            .map(|t| {
                let files = files.clone();
                std::thread::spawn(move || {
                    for i in 0..20u32 {
                        let b = make_block(t * 100 + i, 100);
                        let p = files.write_block(&b, i).unwrap();
                        assert_eq!(files.read_block(p).unwrap(), b);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let total: u32 = files.all_file_info().iter().map(|i| i.n_blocks).sum();
        assert_eq!(total, 80);
        files.flush(false).unwrap();
    }

    #[test]
    fn file_info_serialization() {
        let info = BlockFileInfo {
            n_blocks: 2,
            n_size: 300,
            n_undo_size: 0,
            height_first: 127,
            height_last: 128,
            time_first: 1_231_006_505,
            time_last: 1_231_006_506,
        };
        let bytes = info.serialize();
        assert_eq!(&bytes[..6], &[0x02, 0x81, 0x2c, 0x00, 0x7f, 0x80]);
        assert_eq!(BlockFileInfo::deserialize(&bytes).unwrap(), info);
        assert!(BlockFileInfo::deserialize(&bytes[..5]).is_err());
    }
}
