//! `-txospenderindex`: which confirmed transaction spent each output (Core's
//! `TxoSpenderIndex`), for `gettxspendingprevout`.
//!
//! Each spent outpoint maps to where its spender is stored (as in
//! `txindex`). As in Core, the entries of a block that left the active chain
//! are deleted when the index rewinds, which happens once the active chain
//! has a block after the fork; until then lookups still find them.

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Transaction};
use chain::Chainstate;
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::store::{IndexDb, IndexError, Result};
use crate::sync::{BlockData, IndexKind};
use crate::txindex::{locate, read_tx_at, tx_positions};

const SPENDERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("spenders");

/// The spender index.
pub struct TxoSpenderIndex;

fn key(outpoint: &OutPoint) -> [u8; 36] {
    let mut k = [0u8; 36];
    k[..32].copy_from_slice(outpoint.txid.as_byte_array());
    k[32..].copy_from_slice(&outpoint.vout.to_le_bytes());
    k
}

impl IndexKind for TxoSpenderIndex {
    fn name(&self) -> &'static str {
        "txospenderindex"
    }

    fn needs_undo(&self) -> bool {
        false
    }

    fn append(&mut self, tx: &WriteTransaction, block: &BlockData) -> Result<()> {
        let mut table = tx.open_table(SPENDERS)?;
        for (t, value) in block.block.txdata.iter().zip(tx_positions(block)) {
            if t.is_coinbase() {
                continue;
            }
            for input in &t.input {
                table.insert(key(&input.previous_output).as_slice(), value.as_slice())?;
            }
        }
        Ok(())
    }

    fn removes_on_rewind(&self) -> bool {
        true
    }

    fn remove(&mut self, tx: &WriteTransaction, block: &BlockData) -> Result<()> {
        let mut table = tx.open_table(SPENDERS)?;
        for (t, value) in block.block.txdata.iter().zip(tx_positions(block)) {
            if t.is_coinbase() {
                continue;
            }
            for input in &t.input {
                let k = key(&input.previous_output);
                // Only this block's entry: the output may since be spent elsewhere.
                let ours = table.get(k.as_slice())?.is_some_and(|v| v.value() == value);
                if ours {
                    table.remove(k.as_slice())?;
                }
            }
        }
        Ok(())
    }
}

/// The confirmed transaction spending `outpoint` and its block, if any.
pub fn find_spender(
    db: &IndexDb,
    cs: &Chainstate,
    outpoint: &OutPoint,
) -> Result<Option<(BlockHash, Transaction)>> {
    let Some((pos, offset)) = locate(db, SPENDERS, &key(outpoint))? else {
        return Ok(None);
    };
    let (hash, tx) = read_tx_at(cs, pos, offset).map_err(|_| {
        IndexError(format!(
            "IO error finding spending tx for outpoint {}:{}.",
            outpoint.txid, outpoint.vout
        ))
    })?;
    let spends = tx.input.iter().any(|i| i.previous_output == *outpoint);
    Ok(spends.then_some((hash, tx)))
}
