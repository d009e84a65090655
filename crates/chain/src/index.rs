//! The in-memory block index: every known header in an arena, linked to its
//! parent and to a skip ancestor so that any ancestor is found in O(log n) steps,
//! with cumulative chain work and median time past computed on insertion.

use blockstore::store::DiskBlockIndex;
use consensus::pow::{get_block_proof, HeaderChain, HeaderInfo};
use std::collections::HashMap;

use bitcoin::block::Header;
use bitcoin::pow::Work;
use bitcoin::BlockHash;

/// Position of an entry in the arena.
pub type BlockId = u32;

/// Number of blocks whose times make up the median time past.
const MEDIAN_TIME_SPAN: usize = 11;

/// One known block header and what is known about its block.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// Hash of the header.
    pub hash: BlockHash,
    /// The header.
    pub header: Header,
    /// Height in the tree.
    pub height: u32,
    /// Parent entry (`None` for genesis).
    pub parent: Option<BlockId>,
    /// An ancestor further back, for fast ancestor lookup.
    skip: Option<BlockId>,
    /// Total work of the chain ending here.
    pub chain_work: Work,
    /// Median of this block's time and its ten predecessors'.
    pub median_time_past: u32,
    /// Validity and availability bits (`blockstore::store::status`).
    pub status: u32,
    /// Number of transactions (0 until the block data has been seen).
    pub n_tx: u32,
    /// blk/rev file number.
    pub file: u32,
    /// Offset of the block data in its blk file.
    pub data_pos: u32,
    /// Offset of the undo data in its rev file.
    pub undo_pos: u32,
    /// Order in which block data arrived; among equal-work tips the earlier
    /// one wins (`preciousblock` gives negative values). Not stored.
    pub sequence_id: i32,
    /// Transactions in the chain up to and including this block, or 0 while
    /// this block or an ancestor lacks data. Not stored.
    pub chain_tx: u64,
}

impl IndexEntry {
    /// The facts consensus checks need about this header.
    pub fn info(&self) -> HeaderInfo {
        HeaderInfo {
            hash: self.hash,
            height: self.height,
            version: self.header.version.to_consensus(),
            time: self.header.time,
            bits: self.header.bits,
            median_time_past: self.median_time_past,
            chain_work: self.chain_work,
        }
    }

    /// The record stored in the database for this entry.
    pub fn to_disk(&self) -> DiskBlockIndex {
        DiskBlockIndex {
            header: self.header,
            height: self.height,
            status: self.status,
            n_tx: self.n_tx,
            file: self.file,
            data_pos: self.data_pos,
            undo_pos: self.undo_pos,
        }
    }
}

/// Why a header could not be added to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertError {
    /// The parent is not in the index.
    MissingParent(BlockHash),
    /// A non-genesis header was given without parent to a non-empty index,
    /// or a second root was offered.
    NotConnected(BlockHash),
}

/// All known headers, indexed by hash.
#[derive(Debug, Default)]
pub struct BlockIndex {
    entries: Vec<IndexEntry>,
    by_hash: HashMap<BlockHash, BlockId>,
}

/// Height that the skip pointer of a block at `height` points to: any lower
/// height works; this choice keeps lookups within about log2(n) steps.
fn skip_height(height: u32) -> u32 {
    fn invert_lowest_one(n: u32) -> u32 {
        n & n.wrapping_sub(1)
    }
    if height < 2 {
        return 0;
    }
    if height & 1 == 1 {
        invert_lowest_one(invert_lowest_one(height - 1)) + 1
    } else {
        invert_lowest_one(height)
    }
}

impl BlockIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of the entry with `hash`.
    pub fn id(&self, hash: &BlockHash) -> Option<BlockId> {
        self.by_hash.get(hash).copied()
    }

    /// The entry with id `id`.
    pub fn entry(&self, id: BlockId) -> Option<&IndexEntry> {
        self.entries.get(id as usize)
    }

    /// Mutable access to an entry (status and positions change as the block is processed).
    pub fn entry_mut(&mut self, id: BlockId) -> Option<&mut IndexEntry> {
        self.entries.get_mut(id as usize)
    }

    /// The entry with `hash`.
    pub fn get(&self, hash: &BlockHash) -> Option<&IndexEntry> {
        self.id(hash).and_then(|id| self.entry(id))
    }

    /// Adds `header` below its parent (or as the root when the index is empty);
    /// returns the existing id when it is already known.
    pub fn insert(&mut self, header: Header) -> Result<BlockId, InsertError> {
        let hash = header.block_hash();
        if let Some(id) = self.id(&hash) {
            return Ok(id);
        }
        let parent = if self.entries.is_empty() {
            None
        } else {
            Some(
                self.id(&header.prev_blockhash)
                    .ok_or(InsertError::MissingParent(header.prev_blockhash))?,
            )
        };
        let (height, parent_work) = match parent.and_then(|p| self.entry(p)) {
            Some(p) => (p.height + 1, p.chain_work),
            None => (0, Work::from_be_bytes([0; 32])),
        };
        let id =
            BlockId::try_from(self.entries.len()).map_err(|_| InsertError::NotConnected(hash))?;
        let skip = parent.and_then(|p| self.ancestor_id(p, skip_height(height)));
        let mut entry = IndexEntry {
            hash,
            header,
            height,
            parent,
            skip,
            chain_work: parent_work + get_block_proof(header.bits),
            median_time_past: 0,
            status: 0,
            n_tx: 0,
            file: 0,
            data_pos: 0,
            undo_pos: 0,
            sequence_id: 0,
            chain_tx: 0,
        };
        entry.median_time_past = self.median_time_with(parent, header.time);
        self.entries.push(entry);
        self.by_hash.insert(hash, id);
        Ok(id)
    }

    /// Restores an entry read from the database (parents must be restored first,
    /// e.g. by sorting on height).
    pub fn restore(&mut self, disk: &DiskBlockIndex) -> Result<BlockId, InsertError> {
        let id = self.insert(disk.header)?;
        if let Some(e) = self.entry_mut(id) {
            e.status = disk.status;
            e.n_tx = disk.n_tx;
            e.file = disk.file;
            e.data_pos = disk.data_pos;
            e.undo_pos = disk.undo_pos;
        }
        Ok(id)
    }

    fn median_time_with(&self, parent: Option<BlockId>, own_time: u32) -> u32 {
        let mut times = vec![own_time];
        let mut cur = parent;
        while let Some(id) = cur {
            if times.len() == MEDIAN_TIME_SPAN {
                break;
            }
            let Some(e) = self.entry(id) else { break };
            times.push(e.header.time);
            cur = e.parent;
        }
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// The ancestor of `id` at `height` (itself at its own height).
    pub fn ancestor_id(&self, id: BlockId, height: u32) -> Option<BlockId> {
        let mut walk = id;
        let mut entry = self.entry(walk)?;
        if height > entry.height {
            return None;
        }
        while entry.height > height {
            let h = entry.height;
            let skip_h = skip_height(h);
            let skip_prev_h = skip_height(h - 1);
            let use_skip = entry.skip.is_some()
                && (skip_h == height
                    || (skip_h > height
                        && !(skip_prev_h < skip_h.saturating_sub(2) && skip_prev_h >= height)));
            walk = if use_skip { entry.skip? } else { entry.parent? };
            entry = self.entry(walk)?;
        }
        Some(walk)
    }

    /// The last block both `a` and `b` descend from (or are).
    pub fn last_common_ancestor(&self, a: BlockId, b: BlockId) -> Option<BlockId> {
        let (ha, hb) = (self.entry(a)?.height, self.entry(b)?.height);
        let mut a = self.ancestor_id(a, ha.min(hb))?;
        let mut b = self.ancestor_id(b, ha.min(hb))?;
        while a != b {
            a = self.entry(a)?.parent?;
            b = self.entry(b)?.parent?;
        }
        Some(a)
    }

    /// Every entry, in insertion order (parents before children).
    pub fn entries(&self) -> impl Iterator<Item = (BlockId, &IndexEntry)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i as BlockId, e))
    }
}

impl HeaderChain for BlockIndex {
    fn ancestor(&self, of: &HeaderInfo, height: u32) -> Option<HeaderInfo> {
        let id = self.id(&of.hash)?;
        self.ancestor_id(id, height)
            .and_then(|a| self.entry(a))
            .map(IndexEntry::info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::{CompactTarget, TxMerkleNode};

    fn child(prev: BlockHash, time: u32, nonce: u32) -> Header {
        Header {
            version: Version::from_consensus(4),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce,
        }
    }

    fn chain(len: u32) -> (BlockIndex, Vec<BlockId>) {
        let mut index = BlockIndex::new();
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header;
        let mut ids = vec![index.insert(genesis).unwrap()];
        let mut prev = genesis.block_hash();
        for h in 1..len {
            let header = child(prev, genesis.time + h, 0);
            prev = header.block_hash();
            ids.push(index.insert(header).unwrap());
        }
        (index, ids)
    }

    #[test]
    fn ancestors_match_a_linear_walk() {
        let (index, ids) = chain(1000);
        for &tip in &[ids[999], ids[513], ids[2]] {
            let tip_h = index.entry(tip).unwrap().height;
            for h in 0..=tip_h {
                assert_eq!(
                    index.ancestor_id(tip, h),
                    Some(ids[h as usize]),
                    "tip {tip_h} height {h}"
                );
            }
            assert_eq!(index.ancestor_id(tip, tip_h + 1), None);
        }
    }

    #[test]
    fn work_height_and_median_time() {
        let (index, ids) = chain(20);
        let e = index.entry(ids[19]).unwrap();
        assert_eq!(e.height, 19);
        let genesis = index.entry(ids[0]).unwrap();
        // Times increase by one per block, so the median of the last 11 is 5 back.
        assert_eq!(e.median_time_past, genesis.header.time + 14);
        assert_eq!(
            e.chain_work,
            genesis.chain_work + {
                let one = get_block_proof(e.header.bits);
                let mut w = one;
                for _ in 1..19 {
                    w = w + one;
                }
                w
            }
        );
    }

    #[test]
    fn forks_and_common_ancestor() {
        let (mut index, ids) = chain(10);
        let fork_base = index.entry(ids[5]).unwrap().hash;
        let mut prev = fork_base;
        let mut fork = Vec::new();
        for i in 0..3 {
            let header = child(prev, 2_000_000_000 + i, 7);
            prev = header.block_hash();
            fork.push(index.insert(header).unwrap());
        }
        assert_eq!(index.entry(fork[2]).unwrap().height, 8);
        assert_eq!(index.last_common_ancestor(fork[2], ids[9]), Some(ids[5]));
        assert_eq!(index.last_common_ancestor(ids[3], ids[9]), Some(ids[3]));
        let info = index.entry(fork[2]).unwrap().info();
        assert_eq!(index.ancestor(&info, 5).map(|i| i.hash), Some(fork_base));
    }

    #[test]
    fn unknown_parent_and_duplicates() {
        let (mut index, ids) = chain(3);
        let orphan = child(BlockHash::all_zeros(), 1, 1);
        assert_eq!(
            index.insert(orphan),
            Err(InsertError::MissingParent(BlockHash::all_zeros()))
        );
        let known = index.entry(ids[2]).unwrap().header;
        assert_eq!(index.insert(known), Ok(ids[2]));
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn restore_keeps_disk_fields() {
        let (index, ids) = chain(3);
        let mut disk = index.entry(ids[2]).unwrap().to_disk();
        disk.status = 0x1d;
        disk.n_tx = 4;
        let mut fresh = BlockIndex::new();
        for id in &ids[..2] {
            fresh.restore(&index.entry(*id).unwrap().to_disk()).unwrap();
        }
        let id = fresh.restore(&disk).unwrap();
        let e = fresh.entry(id).unwrap();
        assert_eq!((e.status, e.n_tx, e.height), (0x1d, 4, 2));
    }
}
