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
}

fn open(dir: PathBuf) -> Result<Arc<IndexDb>, IndexError> {
    IndexDb::open(&dir).map(Arc::new)
}

impl Indexes {
    /// Opens the enabled indexes and starts their threads.
    pub fn start(
        config: &IndexConfig,
        params: Arc<Params>,
        source: Arc<dyn ChainSource>,
    ) -> Result<Indexes, IndexError> {
        let mut out = Indexes::default();
        if config.txindex {
            let db = open(config.dir.join("txindex"))?;
            out.txindex = Some(IndexRunner::start(txindex::TxIndex, db, source.clone())?);
        }
        if config.blockfilter {
            let db = open(config.dir.join("blockfilter").join(blockfilter::BASIC))?;
            out.blockfilter = Some(IndexRunner::start(
                blockfilter::BlockFilterIndex,
                db,
                source.clone(),
            )?);
        }
        if config.coinstats {
            let db = open(config.dir.join("coinstatsindex"))?;
            out.coinstats = Some(IndexRunner::start(
                coinstats::CoinStatsIndex::new(params),
                db,
                source,
            )?);
        }
        Ok(out)
    }

    /// Every running index, in the order `getindexinfo` lists them.
    pub fn all(&self) -> impl Iterator<Item = &Arc<IndexRunner>> {
        [&self.txindex, &self.coinstats, &self.blockfilter]
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
