//! Assumeutxo: a chainstate started from a UTXO snapshot (`loadtxoutset`)
//! and the background chainstate that validates the blocks below it.
//!
//! While a snapshot is in use the [`Chainstate`] keeps one block index and
//! two UTXO sets. The active one (`Chainstate::coins`, stored in
//! `chainstate_snapshot/`) starts at the snapshot's base block and follows
//! the network tip; the chain below the base has no block data yet. The
//! background one (the original `chainstate/`) connects the blocks from its
//! tip up to the base as they arrive. When it reaches the base, its UTXO set
//! hash must equal the chain parameters' `hash_serialized`: then the snapshot
//! is validated, the background set is deleted and `chainstate_snapshot/`
//! becomes `chainstate/`.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Txid};
use blockstore::compress::{read_coin, read_compact_size, Reader};
use blockstore::store::status;
use blockstore::{Store, WriteBatch};
use consensus::tx_check::money_range;

use crate::chainstate::Chainstate;
use crate::coins::{BlockCoins, CoinsCache};
use crate::coinstats::{self, HashType};
use crate::connect::connect_block;
use crate::error::{ChainError, Result};
use crate::index::BlockId;

/// Directory of the snapshot chainstate, next to `chainstate/`.
pub const SNAPSHOT_CHAINSTATE_DIR: &str = "chainstate_snapshot";
/// File in the snapshot chainstate directory naming its base block.
pub const BASE_BLOCKHASH_FILE: &str = "base_blockhash";

/// First bytes of every snapshot file.
const SNAPSHOT_MAGIC: [u8; 5] = *b"utxo\xff";
/// The only snapshot format version understood.
const SNAPSHOT_VERSION: u16 = 2;
/// Coins written to the snapshot database per transaction while loading.
const LOAD_BATCH: usize = 100_000;

/// The header of a snapshot file (Core's `SnapshotMetadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotMetadata {
    /// The block the UTXO set belongs to.
    pub base_blockhash: BlockHash,
    /// Number of coins that follow.
    pub coins_count: u64,
}

/// The network a message start belongs to, by Core's chain name.
fn network_for_magic(magic: [u8; 4]) -> Option<&'static str> {
    match magic {
        [0xf9, 0xbe, 0xb4, 0xd9] => Some("main"),
        [0x0b, 0x11, 0x09, 0x07] => Some("test"),
        [0x1c, 0x16, 0x3f, 0x28] => Some("testnet4"),
        [0x0a, 0x03, 0xcf, 0x40] => Some("signet"),
        [0xfa, 0xbf, 0xb5, 0xda] => Some("regtest"),
        _ => None,
    }
}

/// Reads and checks a snapshot header for a node whose network magic is
/// `own_magic`; errors are Core's texts (the RPC prefixes them).
pub fn read_metadata(
    r: &mut impl Read,
    own_magic: [u8; 4],
    own_chain: &str,
) -> std::result::Result<SnapshotMetadata, String> {
    let mut buf = [0u8; 51];
    let mut fill = |b: &mut [u8]| {
        r.read_exact(b)
            .map_err(|_| "end of data: iostream error".to_string())
    };
    fill(&mut buf[..5])?;
    if buf[..5] != SNAPSHOT_MAGIC {
        return Err("Invalid UTXO set snapshot magic bytes. Please check if this is indeed a snapshot file or if you are using an outdated snapshot format.".into());
    }
    fill(&mut buf[5..7])?;
    let version = u16::from_le_bytes([buf[5], buf[6]]);
    if version != SNAPSHOT_VERSION {
        return Err(format!(
            "Version of snapshot {version} does not match any of the supported versions."
        ));
    }
    fill(&mut buf[7..11])?;
    let magic = [buf[7], buf[8], buf[9], buf[10]];
    if magic != own_magic {
        return Err(match network_for_magic(magic) {
            Some(name) => format!(
                "The network of the snapshot ({name}) does not match the network of this node ({own_chain})."
            ),
            None => "This snapshot has been created for an unrecognized network. This could be a custom signet, a new testnet or possibly caused by data corruption.".into(),
        });
    }
    fill(&mut buf[11..51])?;
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&buf[11..43]);
    let mut count = [0u8; 8];
    count.copy_from_slice(&buf[43..51]);
    Ok(SnapshotMetadata {
        base_blockhash: BlockHash::from_byte_array(hash),
        coins_count: u64::from_le_bytes(count),
    })
}

/// A file read in growing windows so each coin is parsed from a slice.
struct Window<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Window<R> {
    /// Parses one item with `f`; when the window ends inside it, reads more
    /// and tries again. `None` when the file ends first.
    fn parse<T>(
        &mut self,
        f: impl Fn(&mut Reader<'_>) -> std::result::Result<T, blockstore::compress::DecodeError>,
    ) -> std::io::Result<Option<T>> {
        loop {
            let mut r = Reader::new(&self.buf[self.pos..]);
            match f(&mut r) {
                Ok(v) => {
                    self.pos += r.position();
                    return Ok(Some(v));
                }
                // Parsing failed either on bad data or at the window's end;
                // only more data can tell which.
                Err(_) if !self.eof => self.refill()?,
                Err(_) => return Ok(None),
            }
        }
    }

    fn refill(&mut self) -> std::io::Result<()> {
        self.buf.drain(..self.pos);
        self.pos = 0;
        let want = self.buf.len().max(1 << 20);
        let start = self.buf.len();
        self.buf.resize(start + want, 0);
        let mut filled = start;
        while filled < self.buf.len() {
            let n = self.src.read(&mut self.buf[filled..])?;
            if n == 0 {
                self.eof = true;
                break;
            }
            filled += n;
        }
        self.buf.truncate(filled);
        Ok(())
    }

    /// Whether any byte is left.
    fn at_end(&mut self) -> std::io::Result<bool> {
        if self.pos < self.buf.len() {
            return Ok(false);
        }
        if !self.eof {
            self.refill()?;
        }
        Ok(self.pos >= self.buf.len())
    }
}

/// Reads the coins after the header into `store` (Core's checks and
/// texts), returning an error text for "Population failed: …".
fn load_coins(
    file: &mut File,
    meta: &SnapshotMetadata,
    base_height: u32,
    store: &Store,
) -> std::result::Result<(), String> {
    let mut w = Window {
        src: file,
        buf: Vec::new(),
        pos: 0,
        eof: false,
    };
    let io = |e: std::io::Error| format!("Unable to read snapshot file: {e}");
    let total = meta.coins_count;
    let mut left = total;
    let mut processed = 0u64;
    let mut batch = WriteBatch::new();
    let mut in_batch = 0usize;
    tracing::info!(
        "[snapshot] loading {} coins from snapshot {}",
        left,
        meta.base_blockhash
    );
    let truncated =
        |n: u64| format!("Bad snapshot format or truncated snapshot after deserializing {n} coins");
    while left > 0 {
        let group = w
            .parse(|r| {
                let txid = Txid::from_byte_array(r.read_array::<32>()?);
                Ok((txid, read_compact_size(r)?))
            })
            .map_err(io)?;
        let Some((txid, per_txid)) = group else {
            return Err(truncated(processed));
        };
        if per_txid > left {
            return Err(
                "Mismatch in coins count in snapshot metadata and actual snapshot data".into(),
            );
        }
        for _ in 0..per_txid {
            let item = w
                .parse(|r| Ok((read_compact_size(r)?, read_coin(r)?)))
                .map_err(io)?;
            let Some((vout, coin)) = item else {
                return Err(truncated(processed));
            };
            if coin.height > base_height || vout >= u64::from(u32::MAX) {
                return Err(format!(
                    "Bad snapshot data after deserializing {} coins",
                    total - left
                ));
            }
            if !money_range(coin.output.value.to_sat() as i64) {
                return Err(format!(
                    "Bad snapshot data after deserializing {} coins - bad tx out value",
                    total - left
                ));
            }
            batch.put_coin(&OutPoint::new(txid, vout as u32), &coin);
            in_batch += 1;
            left -= 1;
            processed += 1;
            if in_batch >= LOAD_BATCH {
                store
                    .write_batch(std::mem::take(&mut batch))
                    .map_err(|e| e.to_string())?;
                in_batch = 0;
            }
            if processed.is_multiple_of(1_000_000) {
                tracing::info!(
                    "[snapshot] {} coins loaded ({:.2}%)",
                    processed,
                    processed as f64 * 100.0 / total as f64
                );
            }
        }
    }
    if !w.at_end().map_err(io)? {
        return Err(format!(
            "Bad snapshot - coins left over after deserializing {total} coins"
        ));
    }
    batch.set_best_block(meta.base_blockhash);
    store.write_batch(batch).map_err(|e| e.to_string())?;
    tracing::info!(
        "[snapshot] loaded {} coins from snapshot {}",
        total,
        meta.base_blockhash
    );
    Ok(())
}

/// Displays a set hash (internal byte order) as Core does.
fn hash_hex(hash: &[u8; 32]) -> String {
    let mut shown = *hash;
    shown.reverse();
    shown.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `hash_serialized_3` of every coin in `store`.
fn store_hash(store: &Store) -> Result<[u8; 32]> {
    let stats = coinstats::compute(store.coins_cursor()?, HashType::HashSerialized)?;
    Ok(stats.hash.unwrap_or_default())
}

/// The chainstate validating the blocks below the snapshot base.
pub(crate) struct Background {
    /// The original store (`chainstate/`), sharing the block index.
    pub(crate) store: Arc<Store>,
    /// Its coins cache.
    pub(crate) coins: CoinsCache,
    /// Its chain, genesis first; it never goes past the base.
    pub(crate) active: Vec<BlockId>,
}

/// What the node knows about a snapshot in use.
pub(crate) struct SnapshotState {
    /// The snapshot's base block.
    pub(crate) base: BlockId,
    /// Whether the background chainstate confirmed the snapshot.
    pub(crate) validated: bool,
    /// The background chainstate, until it validated the snapshot.
    pub(crate) background: Option<Background>,
}

/// One chainstate as `getchainstates` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainstateSummary {
    /// Its tip.
    pub tip: BlockId,
    /// The snapshot it started from, if any.
    pub snapshot_blockhash: Option<BlockHash>,
    /// Whether every block in it was validated.
    pub validated: bool,
}

impl Chainstate {
    fn snapshot_dir(&self) -> PathBuf {
        self.config
            .chainstate_dir
            .with_file_name(SNAPSHOT_CHAINSTATE_DIR)
    }

    /// The chainstates, the background one (if any) first and the active
    /// one last (Core's `getchainstates` order).
    pub fn chainstates(&self) -> Vec<ChainstateSummary> {
        let mut out = Vec::new();
        let snapshot = self.snapshot.as_ref();
        if let Some(bg) = snapshot.and_then(|s| s.background.as_ref()) {
            if let Some(&tip) = bg.active.last() {
                out.push(ChainstateSummary {
                    tip,
                    snapshot_blockhash: None,
                    validated: true,
                });
            }
        }
        if let Some(tip) = self.tip() {
            out.push(ChainstateSummary {
                tip,
                snapshot_blockhash: snapshot
                    .and_then(|s| self.index.entry(s.base))
                    .map(|e| e.hash),
                validated: snapshot.is_none_or(|s| s.validated),
            });
        }
        out
    }

    /// The UTXO database page cache and the coins cache budget, in bytes.
    pub fn cache_sizes(&self) -> (usize, usize) {
        (self.config.db_caches.coins, self.config.coins_cache_bytes)
    }

    /// The base block of the snapshot the active chainstate was loaded
    /// from, validated or not (Core's `m_from_snapshot_blockhash`: it stays
    /// set until a restart turns the snapshot into the plain chainstate).
    pub fn snapshot_base(&self) -> Option<BlockId> {
        self.snapshot.as_ref().map(|s| s.base)
    }

    /// The base block of a snapshot not yet validated by the background
    /// chainstate.
    pub fn unvalidated_snapshot_base(&self) -> Option<BlockId> {
        self.snapshot
            .as_ref()
            .filter(|s| !s.validated)
            .map(|s| s.base)
    }

    /// Blocks the background chainstate still needs, lowest first, at most
    /// `max`, when `target` (a peer's best block) contains them.
    pub fn background_blocks_to_download(&self, target: BlockId, max: usize) -> Vec<BlockHash> {
        let Some(state) = self.snapshot.as_ref() else {
            return Vec::new();
        };
        let Some(bg) = state.background.as_ref() else {
            return Vec::new();
        };
        let Some(base_height) = self.index.entry(state.base).map(|e| e.height) else {
            return Vec::new();
        };
        if self.index.ancestor_id(target, base_height) != Some(state.base) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for h in bg.active.len() as u32..=base_height {
            if out.len() >= max {
                break;
            }
            let Some(e) = self
                .index
                .ancestor_id(state.base, h)
                .and_then(|id| self.index.entry(id))
            else {
                break;
            };
            if e.status & status::HAVE_DATA == 0 {
                out.push(e.hash);
            }
        }
        out
    }

    /// Makes the UTXO set in `file` (after its header `meta`) the active
    /// chainstate at its base block (Core's `ActivateSnapshot`). The error
    /// is Core's reason, to follow "Unable to load UTXO snapshot: ".
    pub fn activate_snapshot(
        &mut self,
        file: &mut File,
        meta: &SnapshotMetadata,
        mempool_empty: bool,
    ) -> std::result::Result<BlockId, String> {
        let base_hash = meta.base_blockhash;
        if self.snapshot.is_some() {
            return Err("Can't activate a snapshot-based chainstate more than once".into());
        }
        if self.params.assumeutxo_for_blockhash(&base_hash).is_none() {
            let heights: Vec<String> = self
                .params
                .snapshot_heights()
                .iter()
                .map(u32::to_string)
                .collect();
            return Err(format!(
                "assumeutxo block hash in snapshot metadata not recognized (hash: {base_hash}). The following snapshot heights are available: {}",
                heights.join(", ")
            ));
        }
        let Some(base) = self.index.id(&base_hash) else {
            return Err(format!("The base block header ({base_hash}) must appear in the headers chain. Make sure all headers are syncing, and call loadtxoutset again"));
        };
        let (base_height, base_work, base_status) = match self.index.entry(base) {
            Some(e) => (e.height, e.chain_work, e.status),
            None => return Err("unknown base block".into()),
        };
        if base_status & status::FAILED_MASK != 0 {
            return Err(format!(
                "The base block header ({base_hash}) is part of an invalid chain"
            ));
        }
        if self
            .best_header
            .and_then(|b| self.index.ancestor_id(b, base_height))
            != Some(base)
        {
            return Err("A forked headers-chain with more work than the chain with the snapshot base block header exists. Please proceed to sync without AssumeUtxo.".into());
        }
        if !mempool_empty {
            return Err("Can't activate a snapshot when mempool not empty".into());
        }
        let dir = self.snapshot_dir();
        let result = self.populate_snapshot(file, meta, base, base_height, base_work, &dir);
        let store = match result {
            Ok(store) => store,
            Err(e) => {
                // Nothing of a failed load may be found at the next start.
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!("Population failed: {e}"));
            }
        };
        if let Err(e) = std::fs::write(dir.join(BASE_BLOCKHASH_FILE), base_hash.as_byte_array()) {
            drop(store);
            let _ = std::fs::remove_dir_all(&dir);
            tracing::error!("[snapshot] cannot write {}: {e}", BASE_BLOCKHASH_FILE);
            return Err("could not write base blockhash".into());
        }
        // Everything of the old chainstate is on disk before it turns into
        // the background one.
        if let Err(e) = self.flush() {
            return Err(format!("Population failed: {e}"));
        }
        self.start_snapshot_chainstate(Arc::new(store), base)
            .map_err(|e| e.to_string())?;
        self.files.set_snapshot_height(Some(base_height));
        tracing::info!("[snapshot] successfully activated snapshot {base_hash}");
        Ok(base)
    }

    /// Loads the coins into a new database in `dir` and checks their hash.
    fn populate_snapshot(
        &self,
        file: &mut File,
        meta: &SnapshotMetadata,
        base: BlockId,
        base_height: u32,
        base_work: bitcoin::pow::Work,
        dir: &Path,
    ) -> std::result::Result<Store, String> {
        let Some(au) = self.params.assumeutxo_for_height(base_height).copied() else {
            return Err(format!("Assumeutxo height in snapshot metadata not recognized ({base_height}) - refusing to load snapshot"));
        };
        if self.tip_entry().is_some_and(|t| t.chain_work >= base_work) || self.is_active(base) {
            return Err("Work does not exceed active chainstate".into());
        }
        // A leftover of an interrupted load holds no usable state.
        let _ = std::fs::remove_dir_all(dir);
        let store = self
            .store
            .open_coins_beside(dir, self.config.db_caches.coins)
            .map_err(|e| e.to_string())?;
        load_coins(file, meta, base_height, &store)?;
        let hash = store_hash(&store).map_err(|_| "Failed to generate coins stats".to_string())?;
        if hash != au.hash_serialized {
            return Err(format!(
                "Bad snapshot content hash: expected {}, got {}",
                hash_hex(&au.hash_serialized),
                hash_hex(&hash)
            ));
        }
        tracing::info!("[snapshot] validated snapshot");
        Ok(store)
    }

    /// Turns the current UTXO set into the background chainstate and
    /// `store` (positioned at `base` or above) into the active one.
    fn start_snapshot_chainstate(&mut self, store: Arc<Store>, base: BlockId) -> Result<()> {
        let coins = CoinsCache::new(store.clone())?;
        let tip_hash = coins
            .best_block()
            .ok_or_else(|| ChainError::System("snapshot chainstate has no best block".into()))?;
        let tip = self.index.id(&tip_hash).ok_or_else(|| {
            ChainError::LoadFailed(format!(
                "snapshot chainstate tip {tip_hash} is not in the block index"
            ))
        })?;
        let old_store = std::mem::replace(&mut self.store, store);
        let old_coins = std::mem::replace(&mut self.coins, coins);
        let old_active = std::mem::take(&mut self.active);
        self.set_active_chain(tip);
        self.snapshot = Some(SnapshotState {
            base,
            validated: false,
            background: Some(Background {
                store: old_store,
                coins: old_coins,
                active: old_active,
            }),
        });
        self.seed_base_chain_tx(base);
        self.rebuild_candidates();
        Ok(())
    }

    /// Gives the base block the transaction count of the chain parameters
    /// (its ancestors have no data yet) and links the blocks above it.
    fn seed_base_chain_tx(&mut self, base: BlockId) {
        let Some(height) = self.index.entry(base).map(|e| e.height) else {
            return;
        };
        let Some(au) = self.params.assumeutxo_for_height(height).copied() else {
            return;
        };
        if let Some(e) = self.index.entry_mut(base) {
            if e.chain_tx == 0 {
                e.chain_tx = au.chain_tx_count;
            }
        }
        let waiting = self.unlinked.remove(&base).unwrap_or_default();
        self.link_chain_tx(waiting);
    }

    /// At start-up: resumes a snapshot chainstate found in
    /// `chainstate_snapshot/` (Core's `DetectSnapshotChainstate`), or
    /// finishes moving a validated one into `chainstate/`.
    pub(crate) fn load_snapshot_chainstate(&mut self) -> Result<()> {
        let dir = self.snapshot_dir();
        let todelete = self
            .config
            .chainstate_dir
            .with_file_name("chainstate_todelete");
        if todelete.exists() {
            let _ = std::fs::remove_dir_all(&todelete);
        }
        let leftover = self.config.chainstate_dir.join(BASE_BLOCKHASH_FILE);
        if leftover.exists() {
            // The validated snapshot was moved into place; only its marker remained.
            let _ = std::fs::remove_file(&leftover);
        }
        let marker = dir.join(BASE_BLOCKHASH_FILE);
        if !marker.exists() {
            return Ok(());
        }
        if self.config.wipe_coins || self.config.wipe_block_index {
            // A reindex rebuilds the chainstate from the blocks alone.
            tracing::info!(
                "[snapshot] removing snapshot chainstate ({}) for the reindex",
                dir.display()
            );
            let _ = std::fs::remove_dir_all(&dir);
            return Ok(());
        }
        let bytes = std::fs::read(&marker)
            .map_err(|e| ChainError::System(format!("cannot read {}: {e}", marker.display())))?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| ChainError::Fatal(format!("{} is not 32 bytes long", marker.display())))?;
        let base_hash = BlockHash::from_byte_array(arr);
        if self.params.assumeutxo_for_blockhash(&base_hash).is_none() {
            tracing::error!("Assumeutxo data not found for the given blockhash '{base_hash}'.");
            return Err(ChainError::Fatal(format!(
                "Assumeutxo data not found for the given blockhash '{base_hash}'."
            )));
        }
        let base = self.index.id(&base_hash).ok_or_else(|| {
            ChainError::Fatal(format!(
                "The base block of the snapshot chainstate ({base_hash}) is not in the block index"
            ))
        })?;
        let store = self
            .store
            .open_coins_beside(&dir, self.config.db_caches.coins)?;
        tracing::info!(
            "[snapshot] detected active snapshot chainstate ({}) - loading",
            dir.display()
        );
        self.start_snapshot_chainstate(Arc::new(store), base)?;
        let base_height = self.index.entry(base).map(|e| e.height);
        self.files.restore_snapshot_height(base_height);
        self.starting = true;
        // A background chainstate at the base validated the snapshot in an
        // earlier run (a mismatch renames the directory): check and clean up.
        let advanced = self.advance_background();
        self.starting = false;
        advanced
    }

    /// Writes the background chainstate's coins (part of every flush).
    pub(crate) fn flush_background(&mut self) -> Result<()> {
        let Some(bg) = self.snapshot.as_mut().and_then(|s| s.background.as_mut()) else {
            return Ok(());
        };
        let mut batch = WriteBatch::new();
        bg.coins.write_into(&mut batch);
        bg.store.write_batch(batch)?;
        bg.coins.flushed();
        Ok(())
    }

    /// Connects the blocks the background chainstate has data for, up to
    /// the snapshot base, and checks the snapshot once it gets there.
    pub fn advance_background(&mut self) -> Result<()> {
        let Some((base, base_height)) = self
            .snapshot
            .as_ref()
            .filter(|s| s.background.is_some())
            .and_then(|s| self.index.entry(s.base).map(|e| (s.base, e.height)))
        else {
            return Ok(());
        };
        loop {
            let next_height = match self.snapshot.as_ref().and_then(|s| s.background.as_ref()) {
                Some(bg) => bg.active.len() as u32,
                None => return Ok(()),
            };
            if next_height > base_height {
                return self.complete_background(base);
            }
            let Some(id) = self.index.ancestor_id(base, next_height) else {
                return Ok(());
            };
            let Some(e) = self.index.entry(id) else {
                return Ok(());
            };
            if e.status & status::HAVE_DATA == 0 {
                return Ok(());
            }
            self.connect_background_block(id)?;
        }
    }

    fn connect_background_block(&mut self, id: BlockId) -> Result<()> {
        let (hash, parent, has_undo, file) = match self.index.entry(id) {
            Some(e) => (e.hash, e.parent, e.status & status::HAVE_UNDO != 0, e.file),
            None => return Ok(()),
        };
        let block = self.read_block(id)?;
        let Some(parent) = parent else {
            // Genesis: its outputs are not spendable.
            if let Some(bg) = self.snapshot.as_mut().and_then(|s| s.background.as_mut()) {
                bg.coins.set_best_block(hash);
                bg.active.push(id);
            }
            return Ok(());
        };
        let prev = self.parent_info(parent)?;
        let check_scripts = self.script_check_reason(id, hash).is_some();
        let outcome = {
            let Some(bg) = self.snapshot.as_ref().and_then(|s| s.background.as_ref()) else {
                return Ok(());
            };
            let mut overlay = BlockCoins::new(&bg.coins);
            let ctx = self.connect_context(&prev, check_scripts);
            connect_block(&block, &hash, &ctx, &mut overlay).map(|c| (c, overlay.into_changes()))
        };
        let (connected, changes) = match outcome {
            Ok(v) => v,
            Err(ChainError::Invalid(v)) => {
                tracing::error!("[background validation] ConnectBlock {hash} failed, {v}");
                self.mark_failed(id);
                self.mark_descendants_failed(id);
                // The snapshot's base descends from this block: stop here.
                if let Some(s) = self.snapshot.as_mut() {
                    s.background = None;
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if !has_undo {
            let pos = self.files.write_undo(&connected.undo, file, prev.hash)?;
            if let Some(e) = self.index.entry_mut(id) {
                e.undo_pos = pos.pos;
                e.status |= status::HAVE_UNDO;
            }
        }
        if let Some(bg) = self.snapshot.as_mut().and_then(|s| s.background.as_mut()) {
            bg.coins.apply(changes);
            bg.coins.set_best_block(hash);
            bg.active.push(id);
        }
        self.raise_validity(id, status::VALID_SCRIPTS);
        self.dirty_index.insert(id);
        Ok(())
    }

    /// The background chainstate reached the base: compares its UTXO hash
    /// with the chain parameters (Core's `MaybeValidateSnapshot`).
    fn complete_background(&mut self, base: BlockId) -> Result<()> {
        self.flush()?;
        let Some(bg) = self.snapshot.as_ref().and_then(|s| s.background.as_ref()) else {
            return Ok(());
        };
        let (base_hash, base_height) = match self.index.entry(base) {
            Some(e) => (e.hash, e.height),
            None => return Ok(()),
        };
        let expected = self.params.assumeutxo_for_height(base_height).copied();
        tracing::info!("[snapshot] computing UTXO stats for background chainstate to validate snapshot - this could take a few minutes");
        let actual = store_hash(&bg.store);
        let matches = match (&actual, expected) {
            (Ok(a), Some(au)) => *a == au.hash_serialized,
            _ => false,
        };
        if !matches {
            if let (Ok(a), Some(au)) = (&actual, expected) {
                tracing::warn!(
                    "[snapshot] hash mismatch: actual={}, expected={}",
                    hash_hex(a),
                    hash_hex(&au.hash_serialized)
                );
            }
            self.snapshot_invalid(base_height);
            return Ok(());
        }
        tracing::info!("[snapshot] snapshot beginning at {base_hash} has been fully validated");
        let Some(state) = self.snapshot.as_mut() else {
            return Ok(());
        };
        state.validated = true;
        // Closes the background database; its directory goes at the next
        // start, as in Core.
        state.background = None;
        if self.starting {
            tracing::info!(
                "[snapshot] cleaning up unneeded background chainstate, then reinitializing"
            );
            self.replace_background_dirs();
            self.snapshot = None;
            self.files.restore_snapshot_height(None);
        }
        Ok(())
    }

    /// Moves the validated snapshot chainstate to `chainstate/` and deletes
    /// the background one (at the start after validation; the snapshot's
    /// database stays open across the rename).
    fn replace_background_dirs(&mut self) {
        let main = self.config.chainstate_dir.clone();
        let snapshot = self.snapshot_dir();
        let todelete = main.with_file_name("chainstate_todelete");
        let moved =
            std::fs::rename(&main, &todelete).and_then(|()| std::fs::rename(&snapshot, &main));
        match moved {
            Ok(()) => {
                let _ = std::fs::remove_file(main.join(BASE_BLOCKHASH_FILE));
                let _ = std::fs::remove_dir_all(&todelete);
                tracing::info!(
                    "[snapshot] deleted background chainstate; snapshot chainstate is now in {}",
                    main.display()
                );
            }
            Err(e) => tracing::warn!(
                "[snapshot] could not move the validated snapshot chainstate into place: {e}"
            ),
        }
    }

    /// The background chainstate disagrees with the snapshot: Core's
    /// reaction is to stop using the snapshot and shut down.
    fn snapshot_invalid(&mut self, background_height: u32) {
        let snapshot_height = self.height();
        tracing::error!(
            "[snapshot] !!! {} failed to validate the -assumeutxo snapshot state. This indicates a hardware problem, or a bug in the software, or a bad software modification that allowed an invalid snapshot to be loaded. As a result of this, the node will shut down and stop using any state that was built on the snapshot, resetting the chain height from {} to {}. On the next restart, the node will resume syncing from {} without using any snapshot data. Please report this incident to {}, including how you obtained the snapshot. The invalid snapshot chainstate will be left on disk in case it is helpful in diagnosing the issue that caused this error.",
            common::settings::CLIENT_NAME,
            snapshot_height,
            background_height,
            background_height,
            "https://github.com/bitcoin/bitcoin/issues"
        );
        tracing::error!(
            "[snapshot] deleting snapshot, reverting to validated chain, and stopping node"
        );
        let dir = self.snapshot_dir();
        let invalid = dir.with_file_name(format!("{SNAPSHOT_CHAINSTATE_DIR}_INVALID"));
        if let Err(e) = std::fs::rename(&dir, &invalid) {
            tracing::error!("[snapshot] cannot rename {}: {e}", dir.display());
        }
        if let Some(s) = self.snapshot.as_mut() {
            s.background = None;
        }
        self.fatal_error = Some("Failed to validate the -assumeutxo snapshot state".into());
    }

    /// A fatal condition found by validation (an invalid snapshot) after
    /// which the node must stop, taken once.
    pub fn take_fatal_error(&mut self) -> Option<String> {
        self.fatal_error.take()
    }

    /// The background chainstate's coins cache memory, if one runs.
    pub fn background_cache_usage(&self) -> Option<usize> {
        self.snapshot
            .as_ref()
            .and_then(|s| s.background.as_ref())
            .map(|b| b.coins.usage())
    }

    /// The background chainstate's tip, while one runs.
    pub fn background_tip(&self) -> Option<BlockId> {
        self.snapshot
            .as_ref()
            .and_then(|s| s.background.as_ref())
            .and_then(|b| b.active.last().copied())
    }

    /// Whether `id` is on the background chainstate's chain.
    pub fn background_has(&self, id: BlockId) -> bool {
        let Some(bg) = self.snapshot.as_ref().and_then(|s| s.background.as_ref()) else {
            return false;
        };
        self.index
            .entry(id)
            .is_some_and(|e| bg.active.get(e.height as usize) == Some(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    fn header(magic: [u8; 4], version: u16) -> Vec<u8> {
        let mut v = b"utxo\xff".to_vec();
        v.extend_from_slice(&version.to_le_bytes());
        v.extend_from_slice(&magic);
        v.extend_from_slice(&[7; 32]);
        v.extend_from_slice(&5u64.to_le_bytes());
        v
    }

    #[test]
    fn metadata_checks_follow_core() {
        let ok = read_metadata(&mut header(REGTEST, 2).as_slice(), REGTEST, "regtest");
        assert_eq!(
            ok,
            Ok(SnapshotMetadata {
                base_blockhash: BlockHash::from_byte_array([7; 32]),
                coins_count: 5
            })
        );
        let mut bad = header(REGTEST, 2);
        bad[0] = 0;
        assert!(read_metadata(&mut bad.as_slice(), REGTEST, "regtest")
            .is_err_and(|e| e.starts_with("Invalid UTXO set snapshot magic bytes")));
        assert_eq!(
            read_metadata(&mut header(REGTEST, 3).as_slice(), REGTEST, "regtest"),
            Err("Version of snapshot 3 does not match any of the supported versions.".into())
        );
        assert_eq!(
            read_metadata(&mut header([0xf9, 0xbe, 0xb4, 0xd9], 2).as_slice(), REGTEST, "regtest"),
            Err("The network of the snapshot (main) does not match the network of this node (regtest).".into())
        );
        assert!(
            read_metadata(&mut header([0; 4], 2).as_slice(), REGTEST, "regtest")
                .is_err_and(|e| e
                    .starts_with("This snapshot has been created for an unrecognized network."))
        );
        assert!(read_metadata(&mut &header(REGTEST, 2)[..20], REGTEST, "regtest").is_err());
    }

    mod flow {
        use super::super::*;
        use crate::chainstate::ChainstateConfig;
        use bitcoin::absolute::LockTime;
        use bitcoin::block::{Header, Version};
        use bitcoin::transaction::Version as TxVersion;
        use bitcoin::{
            Amount, Block, CompactTarget, ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode,
            TxOut, Witness,
        };
        use blockstore::compress::{write_coin, write_compact_size};
        use consensus::{AssumeutxoData, ConsensusScriptVerifier, Params};
        use std::io::Write;

        fn open(dir: &Path, params: &Params) -> Chainstate {
            open_with(dir, params, false)
        }

        fn open_with(dir: &Path, params: &Params, fast_prune: bool) -> Chainstate {
            let config = ChainstateConfig {
                blocks_dir: dir.join("blocks"),
                block_index_dir: dir.join("blocks/index"),
                chainstate_dir: dir.join("chainstate"),
                coins_cache_bytes: 1 << 20,
                db_caches: blockstore::DbCaches::default(),
                xor: blockstore::XorSetting::Disabled,
                fast_prune,
                script_threads: 1,
                assume_valid: None,
                wipe_block_index: false,
                wipe_coins: false,
                auto_prune_target: None,
            };
            let mut cs = match Chainstate::open(
                Arc::new(params.clone()),
                config,
                Arc::new(ConsensusScriptVerifier),
            ) {
                Ok(cs) => cs,
                Err(e) => panic!("open: {e}"),
            };
            // Connects genesis on a new data directory.
            assert!(cs.activate_best_chain(&mut (), None).is_ok());
            cs
        }

        /// A block on the tip of `cs` paying its coinbase to `OP_TRUE`.
        fn next_block(cs: &Chainstate) -> Block {
            next_padded_block(cs, 0)
        }

        /// As [`next_block`], with an `OP_RETURN` output of `pad` bytes
        /// (to fill `-fastprune` block files quickly).
        fn next_padded_block(cs: &Chainstate, pad: u16) -> Block {
            let tip = cs.tip_entry().map(|e| (e.hash, e.height, e.header.time));
            let (prev, height, time) = tip.unwrap_or((BlockHash::all_zeros(), 0, 0));
            let mut sig = ScriptBuf::builder()
                .push_int(i64::from(height + 1))
                .into_script()
                .into_bytes();
            sig.push(0x00);
            let coinbase = Transaction {
                version: TxVersion::ONE,
                lock_time: LockTime::ZERO,
                input: vec![TxIn {
                    previous_output: OutPoint::null(),
                    script_sig: ScriptBuf::from_bytes(sig),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                }],
                output: vec![TxOut {
                    // Regtest halves the subsidy every 150 blocks.
                    value: Amount::from_sat((50 * 100_000_000) >> ((height + 1) / 150)),
                    script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
                }],
            };
            let mut coinbase = coinbase;
            if pad > 0 {
                // OP_RETURN OP_PUSHDATA2 <pad bytes>
                let mut script = vec![0x6a, 0x4d];
                script.extend_from_slice(&pad.to_le_bytes());
                script.resize(script.len() + usize::from(pad), 0xab);
                coinbase.output.push(TxOut {
                    value: Amount::ZERO,
                    script_pubkey: ScriptBuf::from_bytes(script),
                });
            }
            let mut block = Block {
                header: Header {
                    version: Version::from_consensus(0x2000_0000),
                    prev_blockhash: prev,
                    merkle_root: TxMerkleNode::all_zeros(),
                    time: time + 1,
                    bits: CompactTarget::from_consensus(0x207f_ffff),
                    nonce: 0,
                },
                txdata: vec![coinbase],
            };
            block.header.merkle_root = block
                .compute_merkle_root()
                .unwrap_or(block.header.merkle_root);
            let target = block.header.target();
            while block.header.validate_pow(target).is_err() {
                block.header.nonce += 1;
            }
            block
        }

        fn submit(cs: &mut Chainstate, block: &Block) {
            if let Err(e) = cs.process_new_block(Arc::new(block.clone()), true, &mut ()) {
                panic!("block {}: {e}", block.block_hash());
            }
        }

        /// Writes the coins of `store` as a snapshot file based on `base`.
        fn dump(store: &Store, base: BlockHash, path: &Path) {
            let coins: Vec<(OutPoint, consensus::Coin)> = store
                .coins_cursor()
                .map(|c| {
                    c.map(|r| r.map_err(|e| e.to_string()))
                        .collect::<std::result::Result<_, _>>()
                })
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
            let mut out = b"utxo\xff".to_vec();
            out.extend_from_slice(&2u16.to_le_bytes());
            out.extend_from_slice(&[0xfa, 0xbf, 0xb5, 0xda]);
            out.extend_from_slice(base.as_byte_array());
            out.extend_from_slice(&(coins.len() as u64).to_le_bytes());
            let mut i = 0;
            while i < coins.len() {
                let txid = coins[i].0.txid;
                let group: Vec<_> = coins[i..]
                    .iter()
                    .take_while(|(o, _)| o.txid == txid)
                    .collect();
                out.extend_from_slice(txid.as_byte_array());
                write_compact_size(&mut out, group.len() as u64);
                for (o, c) in &group {
                    write_compact_size(&mut out, u64::from(o.vout));
                    write_coin(&mut out, c);
                }
                i += group.len();
            }
            let written = File::create(path).and_then(|mut f| f.write_all(&out));
            assert!(written.is_ok());
        }

        fn open_file(path: &Path) -> (File, SnapshotMetadata) {
            let mut f = File::open(path).unwrap_or_else(|e| panic!("{e}"));
            let meta = read_metadata(&mut f, [0xfa, 0xbf, 0xb5, 0xda], "regtest")
                .unwrap_or_else(|e| panic!("{e}"));
            (f, meta)
        }

        #[test]
        fn snapshot_activates_syncs_and_background_validates_across_restart() {
            let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let mut params = Params::regtest();
            // Mine the source chain: 15 blocks to the base, 5 more after it.
            let mut a = open(&tmp.path().join("a"), &params);
            let mut blocks = Vec::new();
            for _ in 0..15 {
                let b = next_block(&a);
                submit(&mut a, &b);
                blocks.push(b);
            }
            assert!(a.flush().is_ok());
            let base = blocks[14].block_hash();
            let hash = store_hash(a.store()).unwrap_or_else(|e| panic!("{e}"));
            let file = tmp.path().join("utxo.dat");
            dump(a.store(), base, &file);
            for _ in 0..5 {
                let b = next_block(&a);
                submit(&mut a, &b);
                blocks.push(b);
            }
            // The node under test only knows the chain's headers.
            params.assumeutxo = vec![AssumeutxoData {
                height: 15,
                hash_serialized: hash,
                chain_tx_count: 16,
                blockhash: base,
            }];
            let bdir = tmp.path().join("b");
            let mut b = open(&bdir, &params);
            let headers: Vec<Header> = blocks.iter().map(|b| b.header).collect();
            assert!(b.process_new_headers(&headers).is_ok());

            // A wrong expected hash is refused and leaves nothing behind.
            let mut wrong = params.clone();
            wrong.assumeutxo[0].hash_serialized = [1; 32];
            let mut w = open(&tmp.path().join("w"), &wrong);
            assert!(w.process_new_headers(&headers).is_ok());
            let (mut f, meta) = open_file(&file);
            let err = w
                .activate_snapshot(&mut f, &meta, true)
                .err()
                .unwrap_or_default();
            assert!(
                err.starts_with("Population failed: Bad snapshot content hash: expected 0101"),
                "{err}"
            );
            assert!(err.ends_with(&hash_hex(&hash)), "{err}");
            assert!(!tmp.path().join("w/chainstate_snapshot").exists());
            assert_eq!(w.chainstates().len(), 1);

            let (mut f, meta) = open_file(&file);
            let activated = b.activate_snapshot(&mut f, &meta, true);
            assert_eq!(activated.ok(), b.index().id(&base));
            assert_eq!(b.height(), 15);
            assert_eq!(b.tip_entry().map(|e| e.hash), Some(base));
            let states = b.chainstates();
            assert_eq!(states.len(), 2);
            assert_eq!(states[1].snapshot_blockhash, Some(base));
            assert!(!states[1].validated && states[0].validated);
            let (mut f, meta) = open_file(&file);
            assert_eq!(
                b.activate_snapshot(&mut f, &meta, true).err().as_deref(),
                Some("Can't activate a snapshot-based chainstate more than once")
            );
            assert!(bdir.join("chainstate_snapshot/base_blockhash").exists());

            // Blocks after the base extend the snapshot chainstate.
            for blk in &blocks[15..] {
                submit(&mut b, blk);
            }
            assert_eq!(b.height(), 20);
            // The background chainstate wants the blocks below the base.
            let tip = b.tip().unwrap_or_default();
            let wanted = b.background_blocks_to_download(tip, 100);
            assert_eq!(wanted.len(), 15, "blocks 1..=15");
            assert_eq!(wanted[0], blocks[0].block_hash());
            for blk in &blocks[..7] {
                submit(&mut b, blk);
            }
            assert_eq!(
                b.chainstates()[0].tip,
                b.index().id(&blocks[6].block_hash()).unwrap_or_default()
            );
            assert!(b.flush().is_ok());
            drop(b);

            // A restart resumes both chainstates.
            let mut b = open(&bdir, &params);
            assert_eq!(b.height(), 20);
            let states = b.chainstates();
            assert_eq!(states.len(), 2);
            assert_eq!(
                states[0].tip,
                b.index().id(&blocks[6].block_hash()).unwrap_or_default()
            );
            for blk in &blocks[7..15] {
                submit(&mut b, blk);
            }
            let states = b.chainstates();
            assert_eq!(states.len(), 1, "background chainstate dropped");
            assert!(states[0].validated);
            assert_eq!(states[0].snapshot_blockhash, Some(base));
            assert_eq!(b.height(), 20);
            // Both directories stay until the next start, as in Core.
            assert!(bdir.join("chainstate_snapshot").exists());
            assert!(b.flush().is_ok());
            drop(b);

            // After validation the node starts like any other.
            let b = open(&bdir, &params);
            assert_eq!(b.height(), 20);
            let states = b.chainstates();
            assert_eq!(states.len(), 1);
            assert_eq!(states[0].snapshot_blockhash, None);
            assert!(states[0].validated);
            assert!(!bdir.join("chainstate_snapshot").exists());
            assert!(bdir.join("chainstate/coins.redb").exists());
            assert!(!bdir.join("chainstate/base_blockhash").exists());
            assert!(!bdir.join("chainstate_todelete").exists());
            drop(b);
            // And again, from the moved database.
            let b = open(&bdir, &params);
            assert_eq!(b.height(), 20);
            assert_eq!(b.chainstates().len(), 1);
        }

        #[test]
        fn snapshot_range_has_own_block_files_and_prunes_after_validation() {
            let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let mut params = Params::regtest();
            // ~8 KB blocks: eight to a 64 KiB -fastprune file.
            let pad = 8000;
            let base_height = 10u32;
            let mut a = open(&tmp.path().join("a"), &params);
            let mut blocks = Vec::new();
            for _ in 0..base_height {
                let b = next_padded_block(&a, pad);
                submit(&mut a, &b);
                blocks.push(b);
            }
            assert!(a.flush().is_ok());
            let base = blocks[base_height as usize - 1].block_hash();
            let hash = store_hash(a.store()).unwrap_or_else(|e| panic!("{e}"));
            let file = tmp.path().join("utxo.dat");
            dump(a.store(), base, &file);
            for _ in 0..300 {
                let b = next_padded_block(&a, pad);
                submit(&mut a, &b);
                blocks.push(b);
            }
            params.assumeutxo = vec![AssumeutxoData {
                height: base_height,
                hash_serialized: hash,
                chain_tx_count: u64::from(base_height) + 1,
                blockhash: base,
            }];
            let bdir = tmp.path().join("b");
            let mut b = open_with(&bdir, &params, true);
            let headers: Vec<Header> = blocks.iter().map(|b| b.header).collect();
            assert!(b.process_new_headers(&headers).is_ok());
            let (mut f, meta) = open_file(&file);
            assert!(b.activate_snapshot(&mut f, &meta, true).is_ok());
            // The snapshot chain first, then (part of) the background range.
            for blk in &blocks[base_height as usize..] {
                submit(&mut b, blk);
            }
            for blk in &blocks[..5] {
                submit(&mut b, blk);
            }
            assert_eq!(b.height(), 310);
            let mixed = |cs: &Chainstate| {
                (0..=cs.files().last_file())
                    .filter_map(|n| cs.files().file_info(n))
                    .filter(|i| i.n_blocks > 0)
                    .any(|i| i.height_first < base_height && i.height_last >= base_height)
            };
            assert!(!mixed(&b), "a file holds blocks of both ranges");

            // Unvalidated: only blocks above the base may go, so the
            // background range keeps its data.
            assert!(b.prune_manual(300).is_ok());
            let have_data = |cs: &Chainstate, h: usize| {
                cs.index()
                    .get(&blocks[h - 1].block_hash())
                    .is_some_and(|e| e.status & status::HAVE_DATA != 0)
            };
            assert!((1..=5).all(|h| have_data(&b, h)));
            assert!(!have_data(&b, 12), "snapshot range pruned");

            // A restart keeps appending each range to its own files.
            assert!(b.flush().is_ok());
            drop(b);
            let mut b = open_with(&bdir, &params, true);
            for blk in &blocks[5..base_height as usize] {
                submit(&mut b, blk);
            }
            assert!(!mixed(&b), "a file holds blocks of both ranges");
            assert_eq!(b.chainstates().len(), 1, "snapshot validated");

            // Validated: the background range's files go as a whole.
            assert!(b.prune_manual(300).is_ok());
            assert!((1..base_height as usize).all(|h| !have_data(&b, h)));
            assert!(have_data(&b, base_height as usize));
            assert!(have_data(&b, 300));
        }
    }

    #[test]
    fn window_parses_across_refills() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = Window {
            src: data.as_slice(),
            buf: Vec::new(),
            pos: 0,
            eof: false,
        };
        let mut n = 0usize;
        while let Ok(Some(b)) = w.parse(|r| r.read_array::<7>()) {
            assert_eq!(b[0], ((n * 7) % 251) as u8);
            n += 1;
        }
        assert_eq!(n, 3_000_000 / 7);
        assert!(!w.at_end().unwrap_or(true), "a partial item is left");
    }
}
