//! The UTXO set as it was at an earlier block of the active chain, without
//! touching the chainstate: the undo data of the blocks above it gives the
//! difference, which is laid over a cursor of the current set.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;

use bitcoin::OutPoint;
use blockstore::compress::outpoint_key;
use consensus::Coin;

use crate::chainstate::Chainstate;
use crate::coins::BlockCoins;
use crate::connect::disconnect_block;
use crate::error::{ChainError, Result};
use crate::index::BlockId;

/// One coin change: the outpoint and its new coin (`None` removes it).
pub type CoinChange = (OutPoint, Option<Coin>);

/// Coin changes by database key.
pub type CoinChanges = BTreeMap<Vec<u8>, CoinChange>;

impl Chainstate {
    /// The changes that turn the current UTXO set into the one at `target`,
    /// an ancestor of the tip on the active chain (Core's rollback for
    /// `dumptxoutset`). The coins cache must be flushed first when the
    /// result is laid over a store cursor.
    pub fn rollback_changes(&self, target: BlockId) -> Result<CoinChanges> {
        let target_height = self
            .index
            .entry(target)
            .filter(|_| self.is_active(target))
            .map(|e| e.height)
            .ok_or_else(|| {
                ChainError::System("rollback target is not on the active chain".into())
            })?;
        let mut overlay = BlockCoins::new(&self.coins);
        let mut height = self.height();
        if height > target_height {
            tracing::info!("Rolling back from height {height} to {target_height}");
        }
        while height > target_height {
            let id = self.at_height(height).ok_or_else(|| {
                ChainError::System(format!("Failed to read block at height {height}"))
            })?;
            let block = self.read_block(id).map_err(|_| {
                ChainError::System(format!("Failed to read block at height {height}"))
            })?;
            let undo = self.read_undo(id).map_err(|_| {
                ChainError::System(format!("Failed to roll back block at height {height}"))
            })?;
            disconnect_block(&block, height, &undo, &mut overlay).map_err(|_| {
                ChainError::System(format!("Failed to roll back block at height {height}"))
            })?;
            height -= 1;
        }
        Ok(overlay
            .into_changes()
            .into_iter()
            .map(|(outpoint, coin)| (outpoint_key(&outpoint), (outpoint, coin)))
            .collect())
    }
}

/// Coins of `base` (in database key order) with `changes` applied, still in
/// database key order.
pub struct Overlaid<I: Iterator> {
    base: Peekable<I>,
    changes: Peekable<std::collections::btree_map::IntoIter<Vec<u8>, CoinChange>>,
}

/// Lays `changes` over the coins of `base`.
pub fn overlay<I, E>(base: I, changes: CoinChanges) -> Overlaid<I>
where
    I: Iterator<Item = std::result::Result<(OutPoint, Coin), E>>,
{
    Overlaid {
        base: base.peekable(),
        changes: changes.into_iter().peekable(),
    }
}

impl<I, E> Iterator for Overlaid<I>
where
    I: Iterator<Item = std::result::Result<(OutPoint, Coin), E>>,
{
    type Item = std::result::Result<(OutPoint, Coin), E>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let order = match (self.base.peek(), self.changes.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) => return self.base.next(),
                (Some(Ok(_)), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(Ok((op, _))), Some((key, _))) => outpoint_key(op).cmp(key),
            };
            match order {
                Ordering::Less => return self.base.next(),
                Ordering::Equal => {
                    self.base.next();
                }
                Ordering::Greater => {}
            }
            if let Some((_, (op, Some(coin)))) = self.changes.next() {
                return Some(Ok((op, coin)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, ScriptBuf, TxOut, Txid};
    use std::convert::Infallible;

    fn coin(sats: u64) -> Coin {
        Coin {
            output: TxOut {
                value: Amount::from_sat(sats),
                script_pubkey: ScriptBuf::new(),
            },
            height: 1,
            is_coinbase: false,
        }
    }

    fn op(b: u8, vout: u32) -> OutPoint {
        OutPoint::new(Txid::from_byte_array([b; 32]), vout)
    }

    #[test]
    fn changes_replace_remove_and_insert_in_key_order() {
        let base = vec![
            (op(1, 0), coin(1)),
            (op(2, 0), coin(2)),
            (op(4, 0), coin(4)),
        ];
        let mut changes = CoinChanges::new();
        for (o, c) in [
            (op(2, 0), None),
            (op(3, 1), Some(coin(3))),
            (op(4, 0), Some(coin(40))),
            (op(5, 0), Some(coin(5))),
        ] {
            changes.insert(outpoint_key(&o), (o, c));
        }
        let merged: Vec<(OutPoint, u64)> =
            overlay(base.into_iter().map(Ok::<_, Infallible>), changes)
                .map(|r| {
                    r.map(|(o, c)| (o, c.output.value.to_sat()))
                        .unwrap_or_else(|e| match e {})
                })
                .collect();
        assert_eq!(
            merged,
            vec![(op(1, 0), 1), (op(3, 1), 3), (op(4, 0), 40), (op(5, 0), 5)]
        );
    }
}
