//! `-blockfilterindex=basic`: BIP158 basic filters and BIP157 filter headers
//! per block (Core's `BlockFilterIndex`).
//!
//! A basic filter holds every output script of the block except OP_RETURN
//! ones and every script the block spends; the spent scripts come from the
//! block's undo data. Filters are keyed by block hash, so blocks that leave
//! the active chain keep theirs.

use std::collections::HashMap;

use bitcoin::bip158::{BlockFilter, FilterHeader};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, ScriptBuf};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::store::{fixed, IndexDb, IndexError, Result};
use crate::sync::{BlockData, IndexKind};

/// Filter header (32 bytes) followed by the encoded filter, by block hash.
const FILTERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("basic_filters");

/// The only filter type (`basic`).
pub const BASIC: &str = "basic";

/// The basic block filter index.
pub struct BlockFilterIndex;

/// A stored filter and its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFilter {
    /// The encoded GCS filter.
    pub filter: BlockFilter,
    /// The BIP157 filter header.
    pub header: FilterHeader,
}

fn decode(bytes: &[u8]) -> Result<StoredFilter> {
    let header: [u8; 32] = fixed(bytes.get(..32).unwrap_or(&[]), "block filter")?;
    Ok(StoredFilter {
        header: FilterHeader::from_byte_array(header),
        filter: BlockFilter::new(&bytes[32..]),
    })
}

/// Builds the basic filter of `block`.
pub fn basic_filter(block: &BlockData) -> Result<BlockFilter> {
    let mut spent: HashMap<OutPoint, ScriptBuf> = HashMap::new();
    if let Some(undo) = &block.undo {
        for (tx, tx_undo) in block.block.txdata.iter().skip(1).zip(&undo.txs) {
            for (input, coin) in tx.input.iter().zip(&tx_undo.prevouts) {
                spent.insert(input.previous_output, coin.output.script_pubkey.clone());
            }
        }
    }
    BlockFilter::new_script_filter(&block.block, |outpoint| {
        spent
            .get(outpoint)
            .map(|s| s.as_script())
            .ok_or(bitcoin::bip158::Error::UtxoMissing(*outpoint))
    })
    .map_err(|e| {
        IndexError(format!(
            "cannot build the filter of block {}: {e}",
            block.hash
        ))
    })
}

impl IndexKind for BlockFilterIndex {
    fn name(&self) -> &'static str {
        "basic block filter index"
    }

    fn needs_undo(&self) -> bool {
        true
    }

    fn append(&mut self, tx: &WriteTransaction, block: &BlockData) -> Result<()> {
        let mut table = tx.open_table(FILTERS)?;
        let prev_header = if block.height == 0 {
            FilterHeader::all_zeros()
        } else {
            let prev = block.block.header.prev_blockhash;
            let stored = table.get(prev.as_byte_array().as_slice())?.ok_or_else(|| {
                IndexError(format!(
                    "block filter of the parent of {} is missing",
                    block.hash
                ))
            })?;
            decode(stored.value())?.header
        };
        let filter = basic_filter(block)?;
        let header = filter.filter_header(&prev_header);
        let mut value = header.as_byte_array().to_vec();
        value.extend_from_slice(&filter.content);
        table.insert(block.hash.as_byte_array().as_slice(), value.as_slice())?;
        Ok(())
    }
}

/// The filter of block `hash`, if indexed.
pub fn lookup(db: &IndexDb, hash: &BlockHash) -> Result<Option<StoredFilter>> {
    let tx = db.db().begin_read()?;
    let table = match tx.open_table(FILTERS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match table.get(hash.as_byte_array().as_slice())? {
        Some(v) => decode(v.value()).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{block, coin, tx};
    use blockstore::BlockUndo;

    #[test]
    fn basic_filter_holds_outputs_and_spent_scripts_but_not_op_return() {
        let spent = OutPoint::new(bitcoin::Txid::all_zeros(), 0);
        let b = block(
            1,
            BlockHash::all_zeros(),
            vec![
                tx(&[], &[(50, &[0x51, 0x51])]),
                tx(&[spent], &[(10, &[0x6a, 0x07])]),
            ],
            vec![vec![coin(60, &[0x53, 0x53], 0)]],
        );
        let filter = basic_filter(&b).unwrap();
        let has = |s: &[u8]| filter.match_any(&b.hash, [s].into_iter()).unwrap();
        assert!(has(&[0x51, 0x51]));
        assert!(has(&[0x53, 0x53]));
        assert!(!has(&[0x6a, 0x07]));
        let mut no_undo = b;
        no_undo.undo = Some(BlockUndo::default());
        assert!(
            basic_filter(&no_undo).is_err(),
            "a spent coin must be known"
        );
    }
}
