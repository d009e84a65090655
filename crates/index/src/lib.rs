//! The optional indexes Core offers, each in its own database under
//! `<datadir>/<chain>/indexes/` and kept in step with the active chain by a
//! background thread:
//!
//! - [`txindex`] (`-txindex`): where each confirmed transaction is stored.
//! - [`blockfilter`] (`-blockfilterindex`): BIP158 basic filters and headers.
//! - [`coinstats`] (`-coinstatsindex`): UTXO set statistics per block.
//!
//! [`sync`] is the shared thread (catch-up, tip following, reorgs, crash-safe
//! best block); [`source`] is what it needs from the node.

pub mod blockfilter;
pub mod coinstats;
pub mod source;
pub mod store;
pub mod sync;
#[cfg(test)]
mod testutil;
pub mod txindex;
pub mod txospender;

use std::path::PathBuf;
use std::sync::Arc;

use consensus::Params;

pub use source::ChainSource;
pub use store::{IndexDb, IndexError};
pub use sync::{IndexRunner, Summary};

/// Which indexes to run and where.
#[derive(Clone, Debug, Default)]
pub struct IndexConfig {
    /// `<datadir>/<chain>/indexes`.
    pub dir: PathBuf,
    /// `-txindex`.
    pub txindex: bool,
    /// `-blockfilterindex=basic`.
    pub blockfilter: bool,
    /// `-coinstatsindex`.
    pub coinstats: bool,
    /// `-txospenderindex`.
    pub txospender: bool,
}

/// The running indexes.
#[derive(Default)]
pub struct Indexes {
    /// The transaction index, when enabled.
    pub txindex: Option<Arc<IndexRunner>>,
    /// The basic block filter index, when enabled.
    pub blockfilter: Option<Arc<IndexRunner>>,
    /// The coin statistics index, when enabled.
    pub coinstats: Option<Arc<IndexRunner>>,
    /// The spent-output index, when enabled.
    pub txospender: Option<Arc<IndexRunner>>,
}

fn open(dir: PathBuf) -> Result<Arc<IndexDb>, IndexError> {
    IndexDb::open(&dir).map(Arc::new)
}

/// Why the indexes did not start.
#[derive(Debug)]
pub enum StartError {
    /// An index database could not be opened.
    Db(IndexError),
    /// An index needs blocks that were pruned (Core's init error text).
    PrunedData(String),
}

impl From<IndexError> for StartError {
    fn from(e: IndexError) -> Self {
        StartError::Db(e)
    }
}

/// Opens the database of `kind` in `dir` and checks it can still catch up.
fn open_checked<K: sync::IndexKind>(
    kind: &K,
    dir: PathBuf,
    source: &dyn ChainSource,
) -> Result<Arc<IndexDb>, StartError> {
    let db = open(dir)?;
    IndexRunner::check_data_available(kind, &db, source).map_err(StartError::PrunedData)?;
    Ok(db)
}

impl Indexes {
    /// Opens the enabled indexes and, once all of them can still reach the
    /// tip, starts their threads.
    pub fn start(
        config: &IndexConfig,
        params: Arc<Params>,
        source: Arc<dyn ChainSource>,
    ) -> Result<Indexes, StartError> {
        let txindex = config
            .txindex
            .then(|| {
                open_checked(
                    &txindex::TxIndex,
                    config.dir.join("txindex"),
                    source.as_ref(),
                )
            })
            .transpose()?;
        let filter_dir = config.dir.join("blockfilter").join(blockfilter::BASIC);
        let blockfilter = config
            .blockfilter
            .then(|| open_checked(&blockfilter::BlockFilterIndex, filter_dir, source.as_ref()))
            .transpose()?;
        let coinstats_kind = coinstats::CoinStatsIndex::new(params);
        let coinstats = config
            .coinstats
            .then(|| {
                open_checked(
                    &coinstats_kind,
                    config.dir.join("coinstatsindex"),
                    source.as_ref(),
                )
            })
            .transpose()?;
        let txospender = config
            .txospender
            .then(|| {
                let dir = config.dir.join("txospenderindex");
                open_checked(&txospender::TxoSpenderIndex, dir, source.as_ref())
            })
            .transpose()?;
        Ok(Indexes {
            txindex: txindex
                .map(|db| IndexRunner::start(txindex::TxIndex, db, source.clone()))
                .transpose()?,
            blockfilter: blockfilter
                .map(|db| IndexRunner::start(blockfilter::BlockFilterIndex, db, source.clone()))
                .transpose()?,
            coinstats: coinstats
                .map(|db| IndexRunner::start(coinstats_kind, db, source.clone()))
                .transpose()?,
            txospender: txospender
                .map(|db| IndexRunner::start(txospender::TxoSpenderIndex, db, source))
                .transpose()?,
        })
    }

    /// Every running index, in the order `getindexinfo` lists them.
    pub fn all(&self) -> impl Iterator<Item = &Arc<IndexRunner>> {
        [
            &self.txindex,
            &self.coinstats,
            &self.blockfilter,
            &self.txospender,
        ]
        .into_iter()
        .flatten()
    }

    /// Stops every index thread after it recorded its state.
    pub fn stop(&self) {
        for index in self.all() {
            index.stop();
        }
    }
}
