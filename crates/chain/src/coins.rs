//! The write-back coins cache in front of the store, and a per-block overlay
//! that collects a block's changes so a block that fails validation leaves
//! the cache untouched.

use std::sync::Arc;

use bitcoin::{BlockHash, OutPoint};
use blockstore::{CoinsReader, Store, StoreError, WriteBatch};
use consensus::coin::OutPointMap;
use consensus::{Coin, CoinsView};

/// Rough heap cost of one cache entry (key, coin, script allocation, map slot).
const ENTRY_OVERHEAD: usize = 120;

#[derive(Debug, Clone)]
struct CacheEntry {
    /// `None` marks a spent coin whose deletion is not yet written.
    coin: Option<Coin>,
    /// Differs from what the store holds.
    dirty: bool,
    /// The store is known not to hold this coin, so spending it needs no delete.
    fresh: bool,
}

fn entry_usage(coin: &Option<Coin>) -> usize {
    ENTRY_OVERHEAD + coin.as_ref().map_or(0, |c| c.output.script_pubkey.len())
}

/// UTXO set: recently used and modified coins in memory over the store.
#[derive(Debug)]
pub struct CoinsCache {
    store: Arc<Store>,
    map: OutPointMap<CacheEntry>,
    usage: usize,
    /// The block the cached view corresponds to (`None` before genesis).
    best_block: Option<BlockHash>,
    /// A read snapshot of the store for cache misses, so each miss does not
    /// open a transaction. Only this cache writes coins to the store, so the
    /// snapshot stays current until the next flush, which drops it.
    reader: std::sync::Mutex<Option<CoinsReader>>,
}

impl CoinsCache {
    /// An empty cache over `store`, positioned at the store's best block.
    pub fn new(store: Arc<Store>) -> Result<Self, StoreError> {
        let best_block = store.best_block()?;
        Ok(CoinsCache {
            store,
            map: OutPointMap::default(),
            usage: 0,
            best_block,
            reader: std::sync::Mutex::new(None),
        })
    }

    /// The block this view of the UTXO set corresponds to.
    pub fn best_block(&self) -> Option<BlockHash> {
        self.best_block
    }

    /// Moves the view to `hash` (after connecting or disconnecting a block).
    pub fn set_best_block(&mut self, hash: BlockHash) {
        self.best_block = Some(hash);
    }

    /// The coin at `outpoint`, from memory or the store, without caching it.
    pub fn get(&self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        match self.map.get(outpoint) {
            Some(e) => Ok(e.coin.clone()),
            None => {
                let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
                if reader.is_none() {
                    *reader = Some(self.store.coins_reader()?);
                }
                match reader.as_ref() {
                    Some(r) => r.get(outpoint),
                    None => self.store.get_coin(outpoint),
                }
            }
        }
    }

    fn drop_reader(&mut self) {
        *self.reader.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Some unspent output of `txid` (Core's `AccessByTxid`), from memory or the store.
    pub fn any_unspent_of(&self, txid: &bitcoin::Txid) -> Result<Option<Coin>, StoreError> {
        let cached = self
            .map
            .iter()
            .filter(|(o, _)| o.txid == *txid)
            .find_map(|(_, e)| e.coin.clone());
        if cached.is_some() {
            return Ok(cached);
        }
        // Cached entries of this txid are all spent; stored ones not in the cache are unspent.
        Ok(self
            .store
            .coins_of_txid(txid)?
            .into_iter()
            .find(|(o, _)| !self.map.contains_key(o))
            .map(|(_, c)| c))
    }

    /// Approximate memory used by cached entries, in bytes.
    pub fn usage(&self) -> usize {
        self.usage
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn set(&mut self, outpoint: OutPoint, coin: Option<Coin>) {
        let (fresh, old_usage) = match self.map.get(&outpoint) {
            Some(e) => (e.fresh, entry_usage(&e.coin)),
            // Not cached: a spend means it came from the store; a new output
            // cannot be in the store (BIP30), except coinbase duplicates.
            None => (matches!(&coin, Some(c) if !c.is_coinbase), 0),
        };
        self.usage = self.usage.saturating_sub(old_usage);
        if coin.is_none() && fresh {
            // Created and spent between flushes: the store never needs to know.
            self.map.remove(&outpoint);
            return;
        }
        self.usage += entry_usage(&coin);
        self.map.insert(
            outpoint,
            CacheEntry {
                coin,
                dirty: true,
                fresh,
            },
        );
    }

    /// Applies a block's changes (`Some` adds, `None` spends).
    pub fn apply(&mut self, changes: OutPointMap<Option<Coin>>) {
        for (outpoint, coin) in changes {
            self.set(outpoint, coin);
        }
    }

    /// Adds every modified coin and the best block to `batch`; the cache
    /// keeps them until [`CoinsCache::flushed`] says the batch was written.
    pub fn write_into(&self, batch: &mut WriteBatch) {
        for (outpoint, entry) in &self.map {
            if !entry.dirty {
                continue;
            }
            match &entry.coin {
                Some(coin) => batch.put_coin(outpoint, coin),
                None => batch.delete_coin(outpoint),
            }
        }
        if let Some(best) = self.best_block {
            batch.set_best_block(best);
        }
    }

    /// Empties the cache once what [`CoinsCache::write_into`] gave is stored.
    pub fn flushed(&mut self) {
        self.drop_reader();
        self.map.clear();
        self.usage = 0;
    }

    /// Drops every cached entry without writing (after the store was rebuilt).
    pub fn reset(&mut self) -> Result<(), StoreError> {
        self.drop_reader();
        self.map.clear();
        self.usage = 0;
        self.best_block = self.store.best_block()?;
        Ok(())
    }
}

/// A block's view of the coins: reads fall through to the cache, writes are
/// collected until [`BlockCoins::into_changes`].
pub struct BlockCoins<'a> {
    base: &'a CoinsCache,
    changes: OutPointMap<Option<Coin>>,
    /// Set when a read from the store failed, so a disk error is not mistaken
    /// for a missing input (which would mark a valid block invalid).
    store_error: std::cell::RefCell<Option<StoreError>>,
}

impl<'a> BlockCoins<'a> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a CoinsCache) -> Self {
        BlockCoins {
            base,
            changes: OutPointMap::default(),
            store_error: std::cell::RefCell::new(None),
        }
    }

    /// Adds `coin` at `outpoint`.
    pub fn add(&mut self, outpoint: OutPoint, coin: Coin) {
        self.changes.insert(outpoint, Some(coin));
    }

    /// Spends the coin at `outpoint`, returning it.
    pub fn spend(&mut self, outpoint: &OutPoint) -> Option<Coin> {
        let coin = self.coin(outpoint)?;
        self.changes.insert(*outpoint, None);
        Some(coin)
    }

    /// Marks the coin at `outpoint` spent, when the caller already read it.
    pub fn mark_spent(&mut self, outpoint: OutPoint) {
        self.changes.insert(outpoint, None);
    }

    /// Number of coins added or spent so far.
    pub fn changed(&self) -> usize {
        self.changes.len()
    }

    /// The first store error met while reading, if any.
    pub fn take_store_error(&self) -> Option<StoreError> {
        self.store_error.borrow_mut().take()
    }

    /// The collected changes, to apply to the cache.
    pub fn into_changes(self) -> OutPointMap<Option<Coin>> {
        self.changes
    }
}

impl CoinsView for BlockCoins<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        if let Some(c) = self.changes.get(outpoint) {
            return c.clone();
        }
        match self.base.get(outpoint) {
            Ok(c) => c,
            Err(e) => {
                self.store_error.borrow_mut().get_or_insert(e);
                None
            }
        }
    }
}

impl CoinsView for CoinsCache {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.get(outpoint).ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, ScriptBuf, TxOut, Txid};

    fn op(n: u8) -> OutPoint {
        OutPoint::new(Txid::from_byte_array([n; 32]), 0)
    }

    fn coin(v: u64) -> Coin {
        Coin {
            output: TxOut {
                value: Amount::from_sat(v),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            },
            height: 1,
            is_coinbase: false,
        }
    }

    fn store() -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            Store::open(&dir.path().join("index"), &dir.path().join("chainstate")).unwrap(),
        );
        (dir, store)
    }

    #[test]
    fn overlay_changes_reach_store_only_after_flush() {
        let (_d, store) = store();
        let mut cache = CoinsCache::new(store.clone()).unwrap();
        let mut overlay = BlockCoins::new(&cache);
        overlay.add(op(1), coin(5));
        assert_eq!(overlay.coin(&op(1)), Some(coin(5)));
        let changes = overlay.into_changes();
        assert_eq!(cache.get(&op(1)).unwrap(), None, "overlay not applied yet");
        cache.apply(changes);
        assert_eq!(cache.get(&op(1)).unwrap(), Some(coin(5)));
        assert_eq!(store.get_coin(&op(1)).unwrap(), None);
        cache.set_best_block(BlockHash::all_zeros());
        let mut batch = WriteBatch::new();
        cache.write_into(&mut batch);
        cache.flushed();
        store.write_batch(batch).unwrap();
        assert_eq!(store.get_coin(&op(1)).unwrap(), Some(coin(5)));
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.get(&op(1)).unwrap(), Some(coin(5)));
    }

    #[test]
    fn spending_a_flushed_coin_deletes_it_and_fresh_spends_vanish() {
        let (_d, store) = store();
        let mut cache = CoinsCache::new(store.clone()).unwrap();
        cache.apply(OutPointMap::from_iter([(op(1), Some(coin(1)))]));
        let mut batch = WriteBatch::new();
        cache.write_into(&mut batch);
        cache.flushed();
        store.write_batch(batch).unwrap();

        let mut overlay = BlockCoins::new(&cache);
        assert_eq!(overlay.spend(&op(1)), Some(coin(1)));
        assert_eq!(overlay.spend(&op(1)), None, "double spend in one block");
        overlay.add(op(2), coin(2));
        let changes = overlay.into_changes();
        cache.apply(changes);
        // op(2) is created then spent before any flush: no trace remains.
        cache.apply(OutPointMap::from_iter([(op(2), None)]));
        assert_eq!(cache.len(), 1);
        let mut batch = WriteBatch::new();
        cache.write_into(&mut batch);
        cache.flushed();
        assert_eq!(batch.coin_ops(), 1);
        store.write_batch(batch).unwrap();
        assert_eq!(store.get_coin(&op(1)).unwrap(), None);
    }

    #[test]
    fn any_unspent_of_sees_cache_over_store() {
        let (_d, store) = store();
        let mut cache = CoinsCache::new(store.clone()).unwrap();
        let txid = Txid::from_byte_array([3; 32]);
        let (a, b) = (OutPoint::new(txid, 0), OutPoint::new(txid, 300));
        cache.apply(OutPointMap::from_iter([
            (a, Some(coin(1))),
            (b, Some(coin(2))),
        ]));
        let mut batch = WriteBatch::new();
        cache.write_into(&mut batch);
        cache.flushed();
        store.write_batch(batch).unwrap();
        assert_eq!(store.coins_of_txid(&txid).unwrap().len(), 2);
        assert!(cache.any_unspent_of(&txid).unwrap().is_some());
        cache.apply(OutPointMap::from_iter([(a, None), (b, None)]));
        assert_eq!(cache.any_unspent_of(&txid).unwrap(), None, "spent in cache");
        assert_eq!(cache.any_unspent_of(&op(9).txid).unwrap(), None);
    }
}
