//! Each index's own redb database: a metadata table holding the best block
//! the index has committed, next to the index's data tables, so that data
//! and best block change in one transaction.

use std::path::Path;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use redb::{Database, TableDefinition, WriteTransaction};

/// Page cache of each index database.
const INDEX_CACHE_BYTES: usize = 16 << 20;

/// Name of the database file inside an index directory.
const DB_FILE: &str = "index.redb";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BEST_BLOCK: &str = "best_block";

/// Why an index could not read or write its data.
#[derive(Debug)]
pub struct IndexError(pub String);

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IndexError {}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexError {
            fn from(e: $t) -> Self {
                IndexError(format!("index database: {e}"))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result of index operations.
pub type Result<T> = std::result::Result<T, IndexError>;

/// The database of one index.
pub struct IndexDb {
    db: Database,
}

impl IndexDb {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<IndexDb> {
        std::fs::create_dir_all(dir)
            .map_err(|e| IndexError(format!("creating {}: {e}", dir.display())))?;
        // redb's default page cache is 1 GiB; an index is mostly written
        // sequentially and read by key, so a small one serves it.
        let db = Database::builder()
            .set_cache_size(INDEX_CACHE_BYTES)
            .create(dir.join(DB_FILE))?;
        let tx = db.begin_write()?;
        tx.open_table(META)?;
        tx.commit()?;
        Ok(IndexDb { db })
    }

    /// The underlying database, for the index's own tables.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The best block committed with the data, if any.
    pub fn best_block(&self) -> Result<Option<BlockHash>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(META)?;
        let Some(v) = t.get(BEST_BLOCK)? else {
            return Ok(None);
        };
        let bytes: [u8; 32] = v
            .value()
            .try_into()
            .map_err(|_| IndexError("index database: malformed best block".into()))?;
        Ok(Some(BlockHash::from_byte_array(bytes)))
    }
}

/// Records `hash` as the best block inside the transaction `tx`.
pub fn write_best_block(tx: &WriteTransaction, hash: &BlockHash) -> Result<()> {
    let mut t = tx.open_table(META)?;
    t.insert(BEST_BLOCK, hash.as_byte_array().as_slice())?;
    Ok(())
}

/// Reads a fixed-size record of `N` bytes, or reports which record was malformed.
pub fn fixed<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| IndexError(format!("index database: malformed {what} record")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_block_round_trips_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let hash = BlockHash::from_byte_array([7; 32]);
        {
            let db = IndexDb::open(dir.path()).unwrap();
            assert_eq!(db.best_block().unwrap(), None);
            let tx = db.db().begin_write().unwrap();
            write_best_block(&tx, &hash).unwrap();
            tx.commit().unwrap();
        }
        let db = IndexDb::open(dir.path()).unwrap();
        assert_eq!(db.best_block().unwrap(), Some(hash));
    }
}
