//! `-txindex`: where every confirmed transaction is stored (Core's
//! `TxIndex`), so `getrawtransaction` and `gettxoutproof` find it without a
//! block hash.
//!
//! Each txid maps to its block's position in the blk files and the offset
//! of the transaction inside the serialized block; lookups read the block
//! header and the transaction from the file.

use bitcoin::block::Header;
use bitcoin::consensus::encode::VarInt;
use bitcoin::consensus::Decodable;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Transaction, Txid};
use blockstore::FlatFilePos;
use chain::Chainstate;
use redb::{TableDefinition, WriteTransaction};

use crate::store::{fixed, IndexDb, IndexError, Result};
use crate::sync::{BlockData, IndexKind};

const TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("txs");

/// Serialized size of a block header.
const HEADER_SIZE: u32 = 80;

/// The transaction index.
pub struct TxIndex;

impl IndexKind for TxIndex {
    fn name(&self) -> &'static str {
        "txindex"
    }

    fn needs_undo(&self) -> bool {
        false
    }

    fn append(&mut self, tx: &WriteTransaction, block: &BlockData) -> Result<()> {
        // The genesis coinbase is not an ordinary transaction (its output
        // cannot be spent); Core leaves it out of the index.
        if block.height == 0 {
            return Ok(());
        }
        let mut table = tx.open_table(TXS)?;
        for (t, value) in block.block.txdata.iter().zip(tx_positions(block)) {
            table.insert(
                t.compute_txid().as_byte_array().as_slice(),
                value.as_slice(),
            )?;
        }
        Ok(())
    }
}

/// Where each transaction of `block` is stored, in order: the block's
/// position in the blk files and the transaction's offset inside the block.
pub(crate) fn tx_positions(block: &BlockData) -> Vec<[u8; 12]> {
    let mut offset = HEADER_SIZE + VarInt(block.block.txdata.len() as u64).size() as u32;
    block
        .block
        .txdata
        .iter()
        .map(|t| {
            let mut value = [0u8; 12];
            value[..4].copy_from_slice(&block.pos.file.to_le_bytes());
            value[4..8].copy_from_slice(&block.pos.pos.to_le_bytes());
            value[8..].copy_from_slice(&offset.to_le_bytes());
            offset += t.total_size() as u32;
            value
        })
        .collect()
}

/// The stored position under `key` in `table`: block position and the
/// offset of the transaction in the block.
pub(crate) fn locate(
    db: &IndexDb,
    table: TableDefinition<&[u8], &[u8]>,
    key: &[u8],
) -> Result<Option<(FlatFilePos, usize)>> {
    let tx = db.db().begin_read()?;
    let table = match tx.open_table(table) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(v) = table.get(key)? else {
        return Ok(None);
    };
    let v: [u8; 12] = fixed(v.value(), "txindex")?;
    let word = |i: usize| u32::from_le_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]]);
    Ok(Some((FlatFilePos::new(word(0), word(4)), word(8) as usize)))
}

/// Reads the transaction at `offset` in the block at `pos`, with the hash
/// of that block.
pub(crate) fn read_tx_at(
    cs: &Chainstate,
    pos: FlatFilePos,
    offset: usize,
) -> Result<(BlockHash, Transaction)> {
    let raw = cs
        .files()
        .read_raw_block(pos)
        .map_err(|e| IndexError(format!("cannot read block: {e}")))?;
    let corrupt = |what: &str| IndexError(format!("{what} at {pos} unreadable"));
    let header = Header::consensus_decode(&mut raw.get(..HEADER_SIZE as usize).unwrap_or(&[]))
        .map_err(|_| corrupt("block header"))?;
    let tx = consensus::codec::read_tx(&mut raw.get(offset..).unwrap_or(&[]), true)
        .map_err(|_| corrupt("transaction"))?;
    Ok((header.block_hash(), tx))
}

/// Finds a confirmed transaction: the hash of its block and the transaction.
pub fn find_tx(
    db: &IndexDb,
    cs: &Chainstate,
    txid: &Txid,
) -> Result<Option<(BlockHash, Transaction)>> {
    let Some((pos, offset)) = locate(db, TXS, txid.as_byte_array())? else {
        return Ok(None);
    };
    let (hash, tx) = read_tx_at(cs, pos, offset)?;
    if tx.compute_txid() != *txid {
        return Err(IndexError(format!(
            "txindex: transaction {txid} unreadable"
        )));
    }
    Ok(Some((hash, tx)))
}
