//! BIP152 compact blocks: building one from a block, and rebuilding a block
//! from one with the mempool, recently seen transactions and the
//! transactions a peer sends in `blocktxn`.
//!
//! Encoding and short ids come from `bitcoin::bip152`; this module holds the
//! reconstruction rules (Core's `PartiallyDownloadedBlock`), which decide when
//! a compact block is invalid (the peer misbehaved) and when it merely could
//! not be rebuilt (ask for the full block instead).

use bitcoin::bip152::{HeaderAndShortIds, ShortId};
use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{Block, Transaction, Wtxid};
use std::collections::HashMap;
use std::sync::Arc;

/// The compact block version we speak: witness-carrying (BIP152 version 2).
pub const CMPCTBLOCKS_VERSION: u64 = 2;
/// Most transactions a block can hold (block weight over the weight of the
/// smallest transaction), bounding what a compact block may claim.
const MAX_BLOCK_TXS: usize = 4_000_000 / 40;
/// Short ids of a well-formed compact block spread evenly; this many in one
/// bucket of 16 low bits means a crafted one, treated as a collision.
const MAX_IDS_PER_BUCKET: usize = 12;

/// Why a compact block or its `blocktxn` could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// The data breaks the protocol: the sender misbehaved.
    Invalid,
    /// The data may be honest but the block could not be rebuilt (short id
    /// collision, mismatching transactions): fetch the full block.
    Failed,
}

/// A block being rebuilt from a compact block.
#[derive(Debug, Clone)]
pub struct PartialBlock {
    header: Header,
    /// The transactions found so far, by position in the block.
    txs: Vec<Option<Arc<Transaction>>>,
    /// Counts for the log line on success.
    prefilled: usize,
    from_pool: usize,
}

/// Builds the compact block we announce or serve: coinbase prefilled, every
/// other transaction as the short id of its wtxid.
pub fn compact_from_block(block: &Block, nonce: u64) -> Option<HeaderAndShortIds> {
    HeaderAndShortIds::from_block(block, nonce, CMPCTBLOCKS_VERSION as u32, &[]).ok()
}

impl PartialBlock {
    /// Places the prefilled transactions of `cmpct` and fills the others from
    /// `pool` (the mempool) and then `extra` (orphans and recently refused
    /// transactions). A short id matched by two different candidates is left
    /// for the peer to send.
    pub fn new<'a>(
        cmpct: &HeaderAndShortIds,
        pool: impl IntoIterator<Item = (Wtxid, Arc<Transaction>)>,
        extra: impl IntoIterator<Item = &'a (Wtxid, Arc<Transaction>)>,
    ) -> Result<PartialBlock, ReadError> {
        let n_ids = cmpct.short_ids.len();
        let n_pre = cmpct.prefilled_txs.len();
        if cmpct.header.block_hash() == bitcoin::BlockHash::all_zeros() || n_ids + n_pre == 0 {
            return Err(ReadError::Invalid);
        }
        if n_ids + n_pre > MAX_BLOCK_TXS {
            return Err(ReadError::Invalid);
        }
        let mut txs: Vec<Option<Arc<Transaction>>> = vec![None; n_ids + n_pre];
        // Prefilled indexes are differences to the previous one plus one.
        let mut last: i64 = -1;
        for (i, pre) in cmpct.prefilled_txs.iter().enumerate() {
            last += i64::from(pre.idx) + 1;
            if last > i64::from(u16::MAX) || last as usize > n_ids + i {
                return Err(ReadError::Invalid);
            }
            if pre.tx.input.is_empty() && pre.tx.output.is_empty() {
                return Err(ReadError::Invalid);
            }
            txs[last as usize] = Some(Arc::new(pre.tx.clone()));
        }
        // Position of each short id: the free slots in order.
        let mut positions: HashMap<ShortId, usize> = HashMap::with_capacity(n_ids);
        let mut buckets: HashMap<u16, usize> = HashMap::new();
        let mut free = (0..txs.len()).filter(|i| txs[*i].is_none());
        for id in &cmpct.short_ids {
            let Some(pos) = free.next() else {
                return Err(ReadError::Invalid);
            };
            positions.insert(*id, pos);
            let bucket = buckets
                .entry(u16::from_le_bytes([id[0], id[1]]))
                .or_default();
            *bucket += 1;
            if *bucket > MAX_IDS_PER_BUCKET {
                return Err(ReadError::Failed);
            }
        }
        if positions.len() != n_ids {
            return Err(ReadError::Failed);
        }
        let keys = ShortId::calculate_siphash_keys(&cmpct.header, cmpct.nonce);
        let mut found: HashMap<usize, Option<(Wtxid, Arc<Transaction>)>> = HashMap::new();
        let mut consider = |wtxid: Wtxid, tx: Arc<Transaction>| {
            let id = ShortId::with_siphash_keys(&wtxid.to_raw_hash(), keys);
            let Some(pos) = positions.get(&id) else {
                return;
            };
            match found.get(pos) {
                None => {
                    found.insert(*pos, Some((wtxid, tx)));
                }
                // Two different candidates share the id: ask the peer.
                Some(Some((w, _))) if *w != wtxid => {
                    found.insert(*pos, None);
                }
                Some(_) => {}
            }
        };
        for (w, tx) in pool {
            consider(w, tx);
        }
        for (w, tx) in extra {
            consider(*w, tx.clone());
        }
        let mut from_pool = 0;
        for (pos, hit) in found {
            if let Some((_, tx)) = hit {
                txs[pos] = Some(tx);
                from_pool += 1;
            }
        }
        Ok(PartialBlock {
            header: cmpct.header,
            txs,
            prefilled: n_pre,
            from_pool,
        })
    }

    /// The block's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Positions of the transactions still missing, for `getblocktxn`.
    pub fn missing(&self) -> Vec<u64> {
        (0..self.txs.len())
            .filter(|i| self.txs[*i].is_none())
            .map(|i| i as u64)
            .collect()
    }

    /// Completes the block with `missing` (in position order). Too few or
    /// too many is invalid; a block whose transactions do not match its
    /// header (a short id collision) failed.
    pub fn fill(self, missing: Vec<Transaction>, segwit_active: bool) -> Result<Block, ReadError> {
        let mut missing = missing.into_iter();
        let mut txdata = Vec::with_capacity(self.txs.len());
        for slot in self.txs {
            match slot {
                Some(tx) => txdata.push(Arc::unwrap_or_clone(tx)),
                None => txdata.push(missing.next().ok_or(ReadError::Invalid)?),
            }
        }
        if missing.next().is_some() {
            return Err(ReadError::Invalid);
        }
        let block = Block {
            header: self.header,
            txdata,
        };
        if consensus::block_check::is_block_mutated(&block, segwit_active) {
            return Err(ReadError::Failed);
        }
        tracing::debug!(
            target: "cmpctblock",
            "Successfully reconstructed block {} with {} txn prefilled, {} txn from mempool (incl at least 0 from extra pool) and {} txn requested",
            block.block_hash(),
            self.prefilled,
            self.from_pool,
            block.txdata.len() - self.prefilled - self.from_pool
        );
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::bip152::PrefilledTransaction;
    use bitcoin::blockdata::transaction::Version;
    use bitcoin::{absolute, Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    fn tx(n: u32) -> Transaction {
        Transaction {
            version: Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(bitcoin::Txid::from_byte_array([n as u8; 32]), n),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(1000 + u64::from(n)),
                script_pubkey: ScriptBuf::new(),
            }],
        }
    }

    fn coinbase() -> Transaction {
        let mut cb = tx(0);
        cb.input[0].previous_output = OutPoint::null();
        cb.input[0].script_sig = ScriptBuf::from_bytes(vec![1, 1]);
        cb
    }

    fn block(n: u32) -> Block {
        let mut txdata = vec![coinbase()];
        txdata.extend((1..=n).map(tx));
        let mut b = Block {
            header: Header {
                version: bitcoin::block::Version::TWO,
                prev_blockhash: bitcoin::BlockHash::all_zeros(),
                merkle_root: bitcoin::TxMerkleNode::all_zeros(),
                time: 1,
                bits: bitcoin::CompactTarget::from_consensus(0x207fffff),
                nonce: 0,
            },
            txdata,
        };
        b.header.merkle_root = b.compute_merkle_root().unwrap();
        b
    }

    fn pool_of(txs: &[Transaction]) -> Vec<(Wtxid, Arc<Transaction>)> {
        txs.iter()
            .map(|t| (t.compute_wtxid(), Arc::new(t.clone())))
            .collect()
    }

    #[test]
    fn rebuilds_from_pool_without_round_trip() {
        let b = block(4);
        let cmpct = compact_from_block(&b, 7).unwrap();
        let partial = PartialBlock::new(&cmpct, pool_of(&b.txdata[1..]), &[]).unwrap();
        assert!(partial.missing().is_empty());
        assert_eq!(partial.fill(vec![], false).unwrap(), b);
    }

    #[test]
    fn missing_transactions_are_requested_and_filled() {
        let b = block(5);
        let cmpct = compact_from_block(&b, 1).unwrap();
        let pool = pool_of(&[b.txdata[2].clone(), b.txdata[4].clone()]);
        let extra = pool_of(&[b.txdata[5].clone()]);
        let partial = PartialBlock::new(&cmpct, pool, &extra).unwrap();
        assert_eq!(partial.missing(), vec![1, 3]);
        let filled = partial
            .clone()
            .fill(vec![b.txdata[1].clone(), b.txdata[3].clone()], false);
        assert_eq!(filled.unwrap(), b);
        // Too few or too many transactions break the protocol.
        assert_eq!(
            partial.clone().fill(vec![b.txdata[1].clone()], false),
            Err(ReadError::Invalid)
        );
        let three = vec![b.txdata[1].clone(), b.txdata[3].clone(), tx(9)];
        assert_eq!(partial.clone().fill(three, false), Err(ReadError::Invalid));
        // Wrong (swapped) transactions do not match the header: fetch the block.
        let swapped = vec![b.txdata[3].clone(), b.txdata[1].clone()];
        assert_eq!(partial.fill(swapped, false), Err(ReadError::Failed));
    }

    #[test]
    fn prefilled_indexes_are_differential() {
        let b = block(5);
        let mut cmpct = compact_from_block(&b, 3).unwrap();
        // Prefill positions 0, 2 and 5: differences 0, 1, 2.
        let keys = ShortId::calculate_siphash_keys(&b.header, 3);
        cmpct.prefilled_txs = [0usize, 2, 5]
            .iter()
            .zip([0u16, 1, 2])
            .map(|(pos, idx)| PrefilledTransaction {
                idx,
                tx: b.txdata[*pos].clone(),
            })
            .collect();
        cmpct.short_ids = [1usize, 3, 4]
            .iter()
            .map(|i| ShortId::with_siphash_keys(&b.txdata[*i].compute_wtxid().to_raw_hash(), keys))
            .collect();
        let partial = PartialBlock::new(&cmpct, vec![], &[]).unwrap();
        assert_eq!(partial.missing(), vec![1, 3, 4]);
        let rest = vec![
            b.txdata[1].clone(),
            b.txdata[3].clone(),
            b.txdata[4].clone(),
        ];
        assert_eq!(partial.fill(rest, false).unwrap(), b);
    }

    #[test]
    fn prefilled_index_past_the_end_is_invalid() {
        let b = block(0);
        let mut cmpct = compact_from_block(&b, 0).unwrap();
        cmpct.prefilled_txs[0].idx = 1;
        assert_eq!(
            PartialBlock::new(&cmpct, vec![], &[]).err(),
            Some(ReadError::Invalid)
        );
        cmpct.prefilled_txs.clear();
        assert_eq!(
            PartialBlock::new(&cmpct, vec![], &[]).err(),
            Some(ReadError::Invalid)
        );
    }

    #[test]
    fn duplicate_short_ids_fail() {
        let b = block(2);
        let mut cmpct = compact_from_block(&b, 0).unwrap();
        cmpct.short_ids[1] = cmpct.short_ids[0];
        assert_eq!(
            PartialBlock::new(&cmpct, vec![], &[]).err(),
            Some(ReadError::Failed)
        );
    }

    #[test]
    fn unrelated_pool_transactions_are_not_used() {
        let b = block(2);
        let cmpct = compact_from_block(&b, 5).unwrap();
        let partial =
            PartialBlock::new(&cmpct, pool_of(&[tx(50), b.txdata[2].clone()]), &[]).unwrap();
        assert_eq!(partial.missing(), vec![1]);
    }
}
