//! The embedded, crash-safe database (redb) holding the block index, the
//! UTXO set, block-file statistics and a few markers.
//!
//! Values use Core's encodings: block index entries are serialized like
//! `CDiskBlockIndex`, coins like Core's chainstate values (`VARINT(height*2 +
//! coinbase)` + compressed output), file statistics like `CBlockFileInfo`.
//! Coin keys are the txid (internal byte order) followed by `VARINT(vout)`,
//! so iteration visits coins in the same order as Core's chainstate cursor
//! (by txid bytes, then by the VARINT bytes of vout).
//!
//! All changes go through [`Store::write_batch`], one redb transaction, so
//! after a crash the coins always match the stored best block.

use std::path::Path;

use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint};
use consensus::Coin;
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::blockfiles::BlockFileInfo;
use crate::compress::{
    deserialize_coin, outpoint_from_key, outpoint_key, read_varint_i32, read_varint_u32,
    serialize_coin, write_varint, DecodeError, Reader,
};
use crate::error::{Result, StoreError};
use crate::flatfile::FlatFilePos;

const BLOCK_INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("block_index");
const COINS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("coins");
const FILE_INFO: TableDefinition<u32, &[u8]> = TableDefinition::new("block_file_info");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const META_BEST_BLOCK: &str = "best_block";
const META_LAST_BLOCK_FILE: &str = "last_block_file";
const META_REINDEXING: &str = "reindexing";
const META_VERSION: &str = "version";
const FLAG_PREFIX: &str = "flag:";
const STORE_VERSION: u32 = 1;

/// Core's block status bits (`enum BlockStatus`).
pub mod status {
    /// Unused; validity not known.
    pub const VALID_UNKNOWN: u32 = 0;
    /// Reserved (was parsed and version checked).
    pub const VALID_RESERVED: u32 = 1;
    /// Header is valid and all parents have at least this level.
    pub const VALID_TREE: u32 = 2;
    /// Transactions checked (context-free); `n_tx` is set.
    pub const VALID_TRANSACTIONS: u32 = 3;
    /// Outputs do not overspend, no double spends, coinbase OK, finality OK.
    pub const VALID_CHAIN: u32 = 4;
    /// Scripts and signatures verified.
    pub const VALID_SCRIPTS: u32 = 5;
    /// All validity bits.
    pub const VALID_MASK: u32 = 7;
    /// Full block available in a blk file.
    pub const HAVE_DATA: u32 = 8;
    /// Undo data available in a rev file.
    pub const HAVE_UNDO: u32 = 16;
    /// Both data bits.
    pub const HAVE_MASK: u32 = HAVE_DATA | HAVE_UNDO;
    /// The block itself failed validation.
    pub const FAILED_VALID: u32 = 32;
    /// Descends from a failed block (legacy, no longer set by Core).
    pub const FAILED_CHILD: u32 = 64;
    /// Both failure bits.
    pub const FAILED_MASK: u32 = FAILED_VALID | FAILED_CHILD;
    /// Block data was received with witness data.
    pub const OPT_WITNESS: u32 = 128;
    /// Legacy flag formerly used for assumeutxo snapshot blocks.
    pub const STATUS_RESERVED: u32 = 256;
}

/// Placeholder client version Core writes at the start of each entry.
const DUMMY_VERSION: u64 = 259_900;

/// A block index entry as stored on disk (Core's `CDiskBlockIndex`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskBlockIndex {
    /// The block header (its hash is the database key).
    pub header: Header,
    /// Height in the block tree.
    pub height: u32,
    /// [`status`] bits.
    pub status: u32,
    /// Number of transactions (0 until the block data has been seen).
    pub n_tx: u32,
    /// Number of the blk/rev file (meaningful with `HAVE_DATA`/`HAVE_UNDO`).
    pub file: u32,
    /// Offset of the block data in the blk file (with `HAVE_DATA`).
    pub data_pos: u32,
    /// Offset of the undo data in the rev file (with `HAVE_UNDO`).
    pub undo_pos: u32,
}

impl DiskBlockIndex {
    /// An entry for a header only (no data yet).
    pub fn new(header: Header, height: u32) -> Self {
        DiskBlockIndex {
            header,
            height,
            status: 0,
            n_tx: 0,
            file: 0,
            data_pos: 0,
            undo_pos: 0,
        }
    }

    /// The block's hash.
    pub fn block_hash(&self) -> BlockHash {
        self.header.block_hash()
    }

    /// Where the block data is, if `HAVE_DATA` is set.
    pub fn block_pos(&self) -> Option<FlatFilePos> {
        (self.status & status::HAVE_DATA != 0).then_some(FlatFilePos::new(self.file, self.data_pos))
    }

    /// Where the undo data is, if `HAVE_UNDO` is set.
    pub fn undo_flat_pos(&self) -> Option<FlatFilePos> {
        (self.status & status::HAVE_UNDO != 0).then_some(FlatFilePos::new(self.file, self.undo_pos))
    }

    /// Serialize in Core's `CDiskBlockIndex` format.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(100);
        write_varint(&mut out, DUMMY_VERSION);
        write_varint(&mut out, u64::from(self.height));
        write_varint(&mut out, u64::from(self.status));
        write_varint(&mut out, u64::from(self.n_tx));
        if self.status & status::HAVE_MASK != 0 {
            write_varint(&mut out, u64::from(self.file));
        }
        if self.status & status::HAVE_DATA != 0 {
            write_varint(&mut out, u64::from(self.data_pos));
        }
        if self.status & status::HAVE_UNDO != 0 {
            write_varint(&mut out, u64::from(self.undo_pos));
        }
        out.extend_from_slice(&serialize(&self.header));
        out
    }

    /// Inverse of [`DiskBlockIndex::serialize`].
    pub fn deserialize(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        read_varint_i32(&mut r)?;
        let height = read_varint_i32(&mut r)?;
        let status = read_varint_u32(&mut r)?;
        let n_tx = read_varint_u32(&mut r)?;
        let file = if status & status::HAVE_MASK != 0 {
            read_varint_i32(&mut r)?
        } else {
            0
        };
        let data_pos = if status & status::HAVE_DATA != 0 {
            read_varint_u32(&mut r)?
        } else {
            0
        };
        let undo_pos = if status & status::HAVE_UNDO != 0 {
            read_varint_u32(&mut r)?
        } else {
            0
        };
        let header_bytes = r.read_bytes(80)?;
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes after block index entry".into()));
        }
        let header: Header =
            deserialize(header_bytes).map_err(|e| DecodeError(format!("bad block header: {e}")))?;
        Ok(DiskBlockIndex {
            header,
            height,
            status,
            n_tx,
            file,
            data_pos,
            undo_pos,
        })
    }
}

/// A set of changes applied atomically by [`Store::write_batch`].
/// Operations on the same key apply in the order they were added.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    coins: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    block_index: Vec<([u8; 32], Vec<u8>)>,
    file_info: Vec<(u32, Vec<u8>)>,
    last_block_file: Option<u32>,
    best_block: Option<BlockHash>,
    flags: Vec<(String, bool)>,
    reindexing: Option<bool>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace the coin at `outpoint`.
    pub fn put_coin(&mut self, outpoint: &OutPoint, coin: &Coin) {
        self.coins
            .push((outpoint_key(outpoint), Some(serialize_coin(coin))));
    }

    /// Remove the coin at `outpoint` (no error if absent).
    pub fn delete_coin(&mut self, outpoint: &OutPoint) {
        self.coins.push((outpoint_key(outpoint), None));
    }

    /// Add or replace a block index entry (keyed by its header's hash).
    pub fn put_block_index(&mut self, index: &DiskBlockIndex) {
        self.block_index
            .push((index.block_hash().to_byte_array(), index.serialize()));
    }

    /// Add or replace the statistics of block file `file`.
    pub fn put_file_info(&mut self, file: u32, info: &BlockFileInfo) {
        self.file_info.push((file, info.serialize()));
    }

    /// Record the number of the block file currently written to.
    pub fn set_last_block_file(&mut self, file: u32) {
        self.last_block_file = Some(file);
    }

    /// Set the block the coins correspond to.
    pub fn set_best_block(&mut self, hash: BlockHash) {
        self.best_block = Some(hash);
    }

    /// Set a named boolean flag (e.g. `"txindex"`, `"prunedblockfiles"`).
    pub fn set_flag(&mut self, name: &str, value: bool) {
        self.flags.push((name.to_string(), value));
    }

    /// Set or clear the reindex-in-progress marker.
    pub fn set_reindexing(&mut self, value: bool) {
        self.reindexing = Some(value);
    }

    /// Number of coin operations queued.
    pub fn coin_ops(&self) -> usize {
        self.coins.len()
    }

    /// True if the batch would change nothing.
    pub fn is_empty(&self) -> bool {
        self.coins.is_empty()
            && self.block_index.is_empty()
            && self.file_info.is_empty()
            && self.last_block_file.is_none()
            && self.best_block.is_none()
            && self.flags.is_empty()
            && self.reindexing.is_none()
    }
}

/// The block index (`blocks/index/`) and the UTXO set (`chainstate/`), each
/// its own database as in Core, so either directory can live elsewhere
/// (symlinked) and `-reindex-chainstate` drops only the coins.
///
/// Crash safety follows Core's write order: a batch commits the block index
/// part first, then the coins with their best block, so the coins' best block
/// is always in the stored index; index entries ahead of the coins are
/// connected again on the next start.
#[derive(Debug)]
pub struct Store {
    /// Shared with stores opened by [`Store::open_coins_beside`]: one block
    /// index serves every UTXO set (Core's one `BlockManager` for all
    /// chainstates).
    index_db: std::sync::Arc<Database>,
    coins_db: Database,
}

/// Database file inside the block index directory.
pub const BLOCK_INDEX_FILE: &str = "blockindex.redb";
/// Database file inside the chainstate directory.
pub const COINS_FILE: &str = "coins.redb";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(format!("{what}: {e}"))
}

fn hash_from(bytes: &[u8], what: &str) -> Result<BlockHash> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| {
        StoreError::corrupt(format!("{what}: expected 32 bytes, found {}", bytes.len()))
    })?;
    Ok(BlockHash::from_byte_array(arr))
}

/// Opens (creating if missing) one database file, creates its tables with
/// `create_tables` and checks its version.
fn open_db(
    path: &Path,
    cache_bytes: usize,
    create_tables: impl FnOnce(&redb::WriteTransaction) -> std::result::Result<(), redb::TableError>,
) -> Result<Database> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::io(format!("creating {}", parent.display()), e))?;
        }
    }
    let mut builder = Database::builder();
    // redb would otherwise grow its page cache to 1 GiB; the memory belongs
    // to the coins cache (-dbcache), as in Core's cache split.
    builder.set_cache_size(cache_bytes);
    let db = builder.create(path)?;
    let tx = db.begin_write()?;
    {
        create_tables(&tx)?;
        let mut meta = tx.open_table(META)?;
        let version = meta.get(META_VERSION)?.map(|v| v.value().to_vec());
        match version {
            None => {
                meta.insert(META_VERSION, STORE_VERSION.to_le_bytes().as_slice())?;
            }
            Some(v) if v == STORE_VERSION.to_le_bytes() => {}
            Some(v) => {
                return Err(StoreError::corrupt(format!(
                    "unsupported database version {v:?} in {}",
                    path.display()
                )))
            }
        }
    }
    tx.commit()?;
    Ok(db)
}

fn meta_get(db: &Database, key: &str) -> Result<Option<Vec<u8>>> {
    let tx = db.begin_read()?;
    let t = tx.open_table(META)?;
    Ok(t.get(key)?.map(|v| v.value().to_vec()))
}

/// Page-cache sizes of the two databases, in bytes (Core's
/// `block_tree_db` and `coins_db` shares of `-dbcache`).
#[derive(Debug, Clone, Copy)]
pub struct DbCaches {
    /// The block index database.
    pub block_index: usize,
    /// The UTXO set database.
    pub coins: usize,
}

impl Default for DbCaches {
    fn default() -> Self {
        DbCaches {
            block_index: 2 << 20,
            coins: 8 << 20,
        }
    }
}

impl DbCaches {
    /// Core's split of `total` bytes: at most 2 MiB for the block index, at
    /// most 8 MiB for the UTXO database, and the rest (returned second) for
    /// the in-memory coins cache.
    pub fn split(total: usize) -> (DbCaches, usize) {
        let block_index = (total / 8).min(2 << 20);
        let rest = total - block_index;
        let coins = (rest / 2).min(8 << 20);
        (DbCaches { block_index, coins }, rest - coins)
    }
}

impl Store {
    /// Opens the block index in `index_dir` and the UTXO set in
    /// `coins_dir`, creating them if missing, with small page caches.
    pub fn open(index_dir: &Path, coins_dir: &Path) -> Result<Store> {
        Self::open_with_caches(index_dir, coins_dir, DbCaches::default())
    }

    /// Like [`Store::open`] with explicit page-cache sizes.
    pub fn open_with_caches(index_dir: &Path, coins_dir: &Path, caches: DbCaches) -> Result<Store> {
        Ok(Store {
            index_db: std::sync::Arc::new(open_db(
                &index_dir.join(BLOCK_INDEX_FILE),
                caches.block_index,
                |tx| {
                    tx.open_table(BLOCK_INDEX)?;
                    tx.open_table(FILE_INFO)?;
                    Ok(())
                },
            )?),
            coins_db: Self::open_coins_db(coins_dir, caches.coins)?,
        })
    }

    fn open_coins_db(coins_dir: &Path, cache_bytes: usize) -> Result<Database> {
        open_db(&coins_dir.join(COINS_FILE), cache_bytes, |tx| {
            tx.open_table(COINS).map(drop)
        })
    }

    /// A store over the same block index with a second UTXO set in
    /// `coins_dir` (the snapshot chainstate of assumeutxo).
    pub fn open_coins_beside(&self, coins_dir: &Path, cache_bytes: usize) -> Result<Store> {
        Ok(Store {
            index_db: self.index_db.clone(),
            coins_db: Self::open_coins_db(coins_dir, cache_bytes)?,
        })
    }

    /// Whether the block index holds no entry (e.g. its directory was lost).
    pub fn block_index_is_empty(&self) -> Result<bool> {
        let tx = self.index_db.begin_read()?;
        Ok(tx.open_table(BLOCK_INDEX)?.is_empty()?)
    }

    /// The unspent coin at `outpoint`.
    pub fn get_coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>> {
        let tx = self.coins_db.begin_read()?;
        let t = tx.open_table(COINS)?;
        let key = outpoint_key(outpoint);
        match t.get(key.as_slice())? {
            None => Ok(None),
            Some(v) => deserialize_coin(v.value())
                .map(Some)
                .map_err(|e| corrupt(&format!("coin {outpoint}"), e)),
        }
    }

    /// A read snapshot for many coin lookups without a transaction each
    /// (e.g. filling the coins cache for a block's inputs).
    pub fn coins_reader(&self) -> Result<CoinsReader> {
        let tx = self.coins_db.begin_read()?;
        Ok(CoinsReader {
            table: tx.open_table(COINS)?,
        })
    }

    /// The stored unspent outputs of `txid` (keys share the txid prefix).
    pub fn coins_of_txid(&self, txid: &bitcoin::Txid) -> Result<Vec<(OutPoint, Coin)>> {
        let tx = self.coins_db.begin_read()?;
        let t = tx.open_table(COINS)?;
        let prefix = txid.as_byte_array();
        let mut out = Vec::new();
        for item in t.range::<&[u8]>(prefix.as_slice()..)? {
            let (k, v) = item?;
            if !k.value().starts_with(prefix) {
                break;
            }
            let outpoint = outpoint_from_key(k.value()).map_err(|e| corrupt("coin key", e))?;
            let coin =
                deserialize_coin(v.value()).map_err(|e| corrupt(&format!("coin {outpoint}"), e))?;
            out.push((outpoint, coin));
        }
        Ok(out)
    }

    /// Whether an unspent coin exists at `outpoint`.
    pub fn have_coin(&self, outpoint: &OutPoint) -> Result<bool> {
        let tx = self.coins_db.begin_read()?;
        let t = tx.open_table(COINS)?;
        let key = outpoint_key(outpoint);
        Ok(t.get(key.as_slice())?.is_some())
    }

    /// Number of unspent coins.
    pub fn coins_count(&self) -> Result<u64> {
        let tx = self.coins_db.begin_read()?;
        let t = tx.open_table(COINS)?;
        Ok(t.len()?)
    }

    /// A consistent snapshot of the UTXO set, iterated in Core's chainstate
    /// key order (see [`crate::compress::outpoint_key`]), together with the
    /// best block it belongs to.
    pub fn coins_cursor(&self) -> Result<CoinsCursor> {
        let tx = self.coins_db.begin_read()?;
        let meta = tx.open_table(META)?;
        let best_block = match meta.get(META_BEST_BLOCK)? {
            Some(v) => Some(hash_from(v.value(), "best block")?),
            None => None,
        };
        let t = tx.open_table(COINS)?;
        let count = t.len()?;
        let range = t.range::<&[u8]>(..)?;
        Ok(CoinsCursor {
            best_block,
            count,
            range,
        })
    }

    /// The block the stored coins correspond to.
    pub fn best_block(&self) -> Result<Option<BlockHash>> {
        meta_get(&self.coins_db, META_BEST_BLOCK)?
            .map(|v| hash_from(&v, "best block"))
            .transpose()
    }

    /// One block index entry.
    pub fn get_block_index(&self, hash: &BlockHash) -> Result<Option<DiskBlockIndex>> {
        let tx = self.index_db.begin_read()?;
        let t = tx.open_table(BLOCK_INDEX)?;
        match t.get(hash.as_byte_array().as_slice())? {
            None => Ok(None),
            Some(v) => DiskBlockIndex::deserialize(v.value())
                .map(Some)
                .map_err(|e| corrupt(&format!("block index entry {hash}"), e)),
        }
    }

    /// Every block index entry (in hash order). Each entry's header must hash
    /// to its key.
    pub fn load_block_index(&self) -> Result<Vec<DiskBlockIndex>> {
        let tx = self.index_db.begin_read()?;
        let t = tx.open_table(BLOCK_INDEX)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for item in t.iter()? {
            let (k, v) = item?;
            let key = hash_from(k.value(), "block index key")?;
            let entry = DiskBlockIndex::deserialize(v.value())
                .map_err(|e| corrupt(&format!("block index entry {key}"), e))?;
            if entry.block_hash() != key {
                return Err(StoreError::corrupt(format!(
                    "block index entry {key} holds header of {}",
                    entry.block_hash()
                )));
            }
            out.push(entry);
        }
        Ok(out)
    }

    /// Statistics of every block file stored, by file number.
    pub fn load_file_info(&self) -> Result<Vec<(u32, BlockFileInfo)>> {
        let tx = self.index_db.begin_read()?;
        let t = tx.open_table(FILE_INFO)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let n = k.value();
            let info = BlockFileInfo::deserialize(v.value())
                .map_err(|e| corrupt(&format!("block file info {n}"), e))?;
            out.push((n, info));
        }
        Ok(out)
    }

    /// Statistics of block file `n`.
    pub fn read_file_info(&self, n: u32) -> Result<Option<BlockFileInfo>> {
        let tx = self.index_db.begin_read()?;
        let t = tx.open_table(FILE_INFO)?;
        match t.get(n)? {
            None => Ok(None),
            Some(v) => BlockFileInfo::deserialize(v.value())
                .map(Some)
                .map_err(|e| corrupt(&format!("block file info {n}"), e)),
        }
    }

    /// The block file number last written to.
    pub fn last_block_file(&self) -> Result<Option<u32>> {
        match meta_get(&self.index_db, META_LAST_BLOCK_FILE)? {
            None => Ok(None),
            Some(v) => {
                let arr: [u8; 4] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::corrupt("last block file: expected 4 bytes"))?;
                Ok(Some(u32::from_le_bytes(arr)))
            }
        }
    }

    /// A named boolean flag, `None` if never written.
    pub fn read_flag(&self, name: &str) -> Result<Option<bool>> {
        Ok(meta_get(&self.index_db, &format!("{FLAG_PREFIX}{name}"))?
            .map(|v| v.first() == Some(&1)))
    }

    /// Write a named boolean flag (committed immediately).
    pub fn write_flag(&self, name: &str, value: bool) -> Result<()> {
        let mut b = WriteBatch::new();
        b.set_flag(name, value);
        self.write_batch(b)
    }

    /// Whether a reindex was started and not finished.
    pub fn is_reindexing(&self) -> Result<bool> {
        Ok(meta_get(&self.index_db, META_REINDEXING)?.is_some_and(|v| v.first() == Some(&1)))
    }

    /// Set or clear the reindex marker (committed immediately).
    pub fn set_reindexing(&self, value: bool) -> Result<()> {
        let mut b = WriteBatch::new();
        b.set_reindexing(value);
        self.write_batch(b)
    }

    /// Applies `batch` durably: the block index part in one transaction,
    /// then the coins and best block in another (see [`Store`]).
    pub fn write_batch(&self, mut batch: WriteBatch) -> Result<()> {
        let index_part = !batch.block_index.is_empty()
            || !batch.file_info.is_empty()
            || batch.last_block_file.is_some()
            || !batch.flags.is_empty()
            || batch.reindexing.is_some();
        if index_part {
            let tx = self.index_db.begin_write()?;
            {
                let mut index = tx.open_table(BLOCK_INDEX)?;
                for (k, v) in &batch.block_index {
                    index.insert(k.as_slice(), v.as_slice())?;
                }
                let mut files = tx.open_table(FILE_INFO)?;
                for (n, v) in &batch.file_info {
                    files.insert(*n, v.as_slice())?;
                }
                let mut meta = tx.open_table(META)?;
                if let Some(n) = batch.last_block_file {
                    meta.insert(META_LAST_BLOCK_FILE, n.to_le_bytes().as_slice())?;
                }
                for (name, value) in &batch.flags {
                    let key = format!("{FLAG_PREFIX}{name}");
                    meta.insert(key.as_str(), [u8::from(*value)].as_slice())?;
                }
                if let Some(r) = batch.reindexing {
                    if r {
                        meta.insert(META_REINDEXING, [1u8].as_slice())?;
                    } else {
                        meta.remove(META_REINDEXING)?;
                    }
                }
            }
            tx.commit()?;
        }
        if batch.coins.is_empty() && batch.best_block.is_none() {
            return Ok(());
        }
        // Key order makes B-tree updates far cheaper; the sort is stable so
        // repeated operations on one key keep their order.
        batch.coins.sort_by(|a, b| a.0.cmp(&b.0));
        let tx = self.coins_db.begin_write()?;
        {
            let mut coins = tx.open_table(COINS)?;
            for (k, v) in &batch.coins {
                match v {
                    Some(v) => {
                        coins.insert(k.as_slice(), v.as_slice())?;
                    }
                    None => {
                        coins.remove(k.as_slice())?;
                    }
                }
            }
            if let Some(h) = batch.best_block {
                tx.open_table(META)?
                    .insert(META_BEST_BLOCK, h.as_byte_array().as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Erase data for `-reindex` (`block_index`: block index, file
    /// statistics and last file) and/or `-reindex-chainstate` (`coins`:
    /// the UTXO set and best block).
    pub fn wipe(&self, block_index: bool, coins: bool) -> Result<()> {
        if block_index {
            let tx = self.index_db.begin_write()?;
            tx.delete_table(BLOCK_INDEX)?;
            tx.delete_table(FILE_INFO)?;
            tx.open_table(BLOCK_INDEX)?;
            tx.open_table(FILE_INFO)?;
            tx.open_table(META)?.remove(META_LAST_BLOCK_FILE)?;
            tx.commit()?;
        }
        if coins {
            let tx = self.coins_db.begin_write()?;
            tx.delete_table(COINS)?;
            tx.open_table(COINS)?;
            tx.open_table(META)?.remove(META_BEST_BLOCK)?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// A read-only snapshot of the UTXO set from [`Store::coins_reader`].
/// Later writes are not visible through it; drop it promptly.
pub struct CoinsReader {
    table: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl std::fmt::Debug for CoinsReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoinsReader").finish_non_exhaustive()
    }
}

impl CoinsReader {
    /// The unspent coin at `outpoint` in this snapshot.
    pub fn get(&self, outpoint: &OutPoint) -> Result<Option<Coin>> {
        let key = outpoint_key(outpoint);
        match self.table.get(key.as_slice())? {
            None => Ok(None),
            Some(v) => deserialize_coin(v.value())
                .map(Some)
                .map_err(|e| corrupt(&format!("coin {outpoint}"), e)),
        }
    }
}

/// Snapshot iterator over the UTXO set from [`Store::coins_cursor`].
pub struct CoinsCursor {
    best_block: Option<BlockHash>,
    count: u64,
    range: redb::Range<'static, &'static [u8], &'static [u8]>,
}

impl std::fmt::Debug for CoinsCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoinsCursor")
            .field("best_block", &self.best_block)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl CoinsCursor {
    /// The best block of the snapshot.
    pub fn best_block(&self) -> Option<BlockHash> {
        self.best_block
    }

    /// Number of coins in the snapshot.
    pub fn total_coins(&self) -> u64 {
        self.count
    }
}

impl Iterator for CoinsCursor {
    type Item = Result<(OutPoint, Coin)>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.range.next()?;
        Some((|| {
            let (k, v) = item?;
            let outpoint = outpoint_from_key(k.value()).map_err(|e| corrupt("coin key", e))?;
            let coin =
                deserialize_coin(v.value()).map_err(|e| corrupt(&format!("coin {outpoint}"), e))?;
            Ok((outpoint, coin))
        })())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_split_follows_core() {
        let mib = 1 << 20;
        let (dbs, coins) = DbCaches::split(450 * mib);
        assert_eq!(
            (dbs.block_index, dbs.coins, coins),
            (2 * mib, 8 * mib, 440 * mib)
        );
        let (dbs, coins) = DbCaches::split(4 * mib);
        assert_eq!(dbs.block_index, mib / 2);
        assert_eq!(dbs.coins + coins, 4 * mib - mib / 2);
        assert_eq!(dbs.coins, coins);
    }
    use bitcoin::blockdata::constants::genesis_block;
    use bitcoin::{Amount, Network, ScriptBuf, TxOut, Txid};

    fn coin(v: u64, h: u32) -> Coin {
        Coin {
            output: TxOut {
                value: Amount::from_sat(v),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51, (v & 0xff) as u8]),
            },
            height: h,
            is_coinbase: h.is_multiple_of(2),
        }
    }

    fn op(t: u8, vout: u32) -> OutPoint {
        OutPoint {
            txid: Txid::from_byte_array([t; 32]),
            vout,
        }
    }

    fn index_entry(nonce: u32, height: u32) -> DiskBlockIndex {
        let mut header = genesis_block(Network::Regtest).header;
        header.nonce = nonce;
        DiskBlockIndex {
            header,
            height,
            status: status::VALID_SCRIPTS
                | status::HAVE_DATA
                | status::HAVE_UNDO
                | status::OPT_WITNESS,
            n_tx: 3,
            file: 2,
            data_pos: 1000,
            undo_pos: 77,
        }
    }

    #[test]
    fn disk_block_index_format() {
        let genesis = genesis_block(Network::Bitcoin);
        let mut e = DiskBlockIndex::new(genesis.header, 0);
        e.status = status::VALID_SCRIPTS | status::HAVE_DATA;
        e.n_tx = 1;
        e.data_pos = 8;
        let bytes = e.serialize();
        // VARINT(259900) = 8e ed 3c; height 0; status 13; nTx 1; file 0; pos 8.
        assert_eq!(
            &bytes[..8],
            &[0x8e, 0xed, 0x3c, 0x00, 0x0d, 0x01, 0x00, 0x08]
        );
        assert_eq!(&bytes[8..], &serialize(&genesis.header)[..]);
        assert_eq!(DiskBlockIndex::deserialize(&bytes).unwrap(), e);
        assert_eq!(e.block_pos(), Some(FlatFilePos::new(0, 8)));
        assert_eq!(e.undo_flat_pos(), None);

        let e = index_entry(5, 123_456);
        let bytes = e.serialize();
        assert_eq!(DiskBlockIndex::deserialize(&bytes).unwrap(), e);
        for i in 0..bytes.len() {
            assert!(DiskBlockIndex::deserialize(&bytes[..i]).is_err());
        }
        // Header-only entries omit the positions.
        let h = DiskBlockIndex::new(genesis.header, 0);
        assert_eq!(h.serialize().len(), 3 + 3 + 80);
    }

    #[test]
    fn batch_commit_and_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().to_path_buf();
        let best = BlockHash::from_byte_array([9; 32]);
        let entries: Vec<_> = (0..5).map(|i| index_entry(i, i + 1)).collect();
        let info = BlockFileInfo {
            n_blocks: 5,
            n_size: 5000,
            ..Default::default()
        };
        {
            let store = Store::open(&path.join("index"), &path.join("chainstate")).unwrap();
            assert_eq!(store.best_block().unwrap(), None);
            assert_eq!(store.coins_count().unwrap(), 0);
            assert!(store.load_block_index().unwrap().is_empty());
            let mut b = WriteBatch::new();
            assert!(b.is_empty());
            for i in 0..100u32 {
                b.put_coin(&op((i % 7) as u8, i), &coin(u64::from(i) * 1000, i));
            }
            for e in &entries {
                b.put_block_index(e);
            }
            b.put_file_info(0, &info);
            b.set_last_block_file(0);
            b.set_best_block(best);
            b.set_flag("txindex", true);
            assert_eq!(b.coin_ops(), 100);
            store.write_batch(b).unwrap();
        }
        let store = Store::open(&path.join("index"), &path.join("chainstate")).unwrap();
        assert_eq!(store.best_block().unwrap(), Some(best));
        assert_eq!(store.coins_count().unwrap(), 100);
        for i in 0..100u32 {
            assert_eq!(
                store.get_coin(&op((i % 7) as u8, i)).unwrap(),
                Some(coin(u64::from(i) * 1000, i))
            );
        }
        assert!(store.have_coin(&op(0, 0)).unwrap());
        assert!(!store.have_coin(&op(0, 1)).unwrap());
        let mut loaded = store.load_block_index().unwrap();
        loaded.sort_by_key(|e| e.height);
        assert_eq!(loaded, entries);
        assert_eq!(
            store.get_block_index(&entries[2].block_hash()).unwrap(),
            Some(entries[2])
        );
        assert_eq!(store.load_file_info().unwrap(), vec![(0, info)]);
        assert_eq!(store.read_file_info(0).unwrap(), Some(info));
        assert_eq!(store.read_file_info(1).unwrap(), None);
        assert_eq!(store.last_block_file().unwrap(), Some(0));
        assert_eq!(store.read_flag("txindex").unwrap(), Some(true));
        assert_eq!(store.read_flag("prunedblockfiles").unwrap(), None);
        store.write_flag("txindex", false).unwrap();
        assert_eq!(store.read_flag("txindex").unwrap(), Some(false));
    }

    #[test]
    fn coins_put_delete_and_cursor() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("index"), &tmp.path().join("chainstate")).unwrap();
        let mut b = WriteBatch::new();
        for t in [3u8, 1, 2] {
            for vout in [16512u32, 0, 16511, 5] {
                b.put_coin(&op(t, vout), &coin(u64::from(vout), 1));
            }
        }
        b.set_best_block(BlockHash::from_byte_array([1; 32]));
        store.write_batch(b).unwrap();

        // Spend some, re-add one, spend-and-recreate within one batch.
        let mut b = WriteBatch::new();
        b.delete_coin(&op(1, 0));
        b.delete_coin(&op(2, 5));
        b.delete_coin(&op(9, 9)); // absent: fine
        b.put_coin(&op(3, 0), &coin(42, 2));
        b.delete_coin(&op(3, 0));
        b.delete_coin(&op(3, 5));
        b.put_coin(&op(3, 5), &coin(77, 3));
        b.set_best_block(BlockHash::from_byte_array([2; 32]));
        store.write_batch(b).unwrap();

        assert_eq!(store.get_coin(&op(1, 0)).unwrap(), None);
        assert_eq!(store.get_coin(&op(2, 5)).unwrap(), None);
        assert_eq!(store.get_coin(&op(3, 0)).unwrap(), None);
        assert_eq!(store.get_coin(&op(3, 5)).unwrap(), Some(coin(77, 3)));
        assert_eq!(store.coins_count().unwrap(), 9);
        let reader = store.coins_reader().unwrap();
        assert_eq!(reader.get(&op(3, 5)).unwrap(), Some(coin(77, 3)));
        assert_eq!(reader.get(&op(1, 0)).unwrap(), None);

        let cursor = store.coins_cursor().unwrap();
        assert_eq!(
            cursor.best_block(),
            Some(BlockHash::from_byte_array([2; 32]))
        );
        assert_eq!(cursor.total_coins(), 9);
        // A later write does not affect the snapshot.
        let mut b = WriteBatch::new();
        b.delete_coin(&op(1, 5));
        b.set_best_block(BlockHash::from_byte_array([3; 32]));
        store.write_batch(b).unwrap();
        let items: Vec<OutPoint> = cursor.map(|r| r.unwrap().0).collect();
        // txid order, then Core's VARINT byte order for vout.
        let want = vec![
            op(1, 5),
            op(1, 16512),
            op(1, 16511),
            op(2, 0),
            op(2, 16512),
            op(2, 16511),
            op(3, 5),
            op(3, 16512),
            op(3, 16511),
        ];
        assert_eq!(items, want);
        assert_eq!(store.coins_cursor().unwrap().count(), 8);
        // The reader is a snapshot too.
        assert!(reader.get(&op(1, 5)).unwrap().is_some());
        assert!(store.get_coin(&op(1, 5)).unwrap().is_none());
    }

    #[test]
    fn reindex_marker_and_wipe() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("index"), &tmp.path().join("chainstate")).unwrap();
        assert!(!store.is_reindexing().unwrap());
        store.set_reindexing(true).unwrap();
        assert!(store.is_reindexing().unwrap());

        let mut b = WriteBatch::new();
        b.put_coin(&op(1, 1), &coin(1, 1));
        b.put_block_index(&index_entry(1, 1));
        b.put_file_info(0, &BlockFileInfo::default());
        b.set_last_block_file(0);
        b.set_best_block(BlockHash::from_byte_array([1; 32]));
        b.set_reindexing(false);
        store.write_batch(b).unwrap();
        assert!(!store.is_reindexing().unwrap());

        store.wipe(false, true).unwrap();
        assert_eq!(store.coins_count().unwrap(), 0);
        assert_eq!(store.best_block().unwrap(), None);
        assert_eq!(store.load_block_index().unwrap().len(), 1);
        store.wipe(true, false).unwrap();
        assert!(store.load_block_index().unwrap().is_empty());
        assert!(store.load_file_info().unwrap().is_empty());
        assert_eq!(store.last_block_file().unwrap(), None);
        // Still usable afterwards.
        let mut b = WriteBatch::new();
        b.put_coin(&op(1, 1), &coin(1, 1));
        store.write_batch(b).unwrap();
        assert_eq!(store.coins_count().unwrap(), 1);
    }

    #[test]
    fn corrupt_values_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().to_path_buf();
        let store = Store::open(&path.join("index"), &path.join("chainstate")).unwrap();
        // Write garbage directly into the tables.
        {
            let tx = store.coins_db.begin_write().unwrap();
            {
                let mut coins = tx.open_table(COINS).unwrap();
                coins
                    .insert(
                        outpoint_key(&op(1, 1)).as_slice(),
                        [0xffu8, 0xff].as_slice(),
                    )
                    .unwrap();
                let mut meta = tx.open_table(META).unwrap();
                meta.insert(META_BEST_BLOCK, [1u8, 2, 3].as_slice())
                    .unwrap();
            }
            tx.commit().unwrap();
            let tx = store.index_db.begin_write().unwrap();
            {
                let mut idx = tx.open_table(BLOCK_INDEX).unwrap();
                idx.insert(
                    [5u8; 32].as_slice(),
                    index_entry(1, 1).serialize().as_slice(),
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        assert!(store.get_coin(&op(1, 1)).unwrap_err().is_corruption());
        assert!(store.coins_cursor().is_err());
        let err = store.load_block_index().unwrap_err();
        assert!(err.to_string().contains("holds header of"), "{err}");
        assert!(store.best_block().is_err());
        // A file that is not a redb database fails to open cleanly.
        let bogus = tmp.path().join("bogus");
        std::fs::create_dir_all(&bogus).unwrap();
        std::fs::write(bogus.join(COINS_FILE), vec![0x42u8; 4096]).unwrap();
        assert!(Store::open(&tmp.path().join("index2"), &bogus).is_err());
    }
}
