//! Fee deltas (`prioritisetransaction`): a transaction's modified fee is its
//! real fee plus the delta, and block assembly ranks by the modified fee.
//! Deltas outlive the transaction's stay in the pool until it is mined, as
//! in Core, so a transaction can be prioritised before it arrives.

use bitcoin::Txid;

use crate::pool::{Entry, Mempool};

/// One `getprioritisedtransactions` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prioritised {
    /// The prioritised transaction.
    pub txid: Txid,
    /// Its accumulated fee delta in satoshis.
    pub delta: i64,
    /// Its modified fee, when it is in the pool.
    pub modified_fee: Option<i64>,
}

impl Mempool {
    /// Adds `delta` satoshis to the fee delta of `txid`; a total of zero
    /// forgets the transaction.
    pub fn prioritise(&mut self, txid: Txid, delta: i64) {
        let total = self
            .deltas
            .get(&txid)
            .copied()
            .unwrap_or(0)
            .saturating_add(delta);
        if total == 0 {
            self.deltas.remove(&txid);
        } else {
            self.deltas.insert(txid, total);
        }
        if self.entries.contains_key(&txid) {
            // The template a miner holds is now stale.
            self.change_sequence += 1;
        }
        tracing::info!("PrioritiseTransaction: {txid} fee += {delta}");
    }

    /// The fee delta of `txid` (zero when none was set).
    pub fn fee_delta(&self, txid: &Txid) -> i64 {
        self.deltas.get(txid).copied().unwrap_or(0)
    }

    /// `entry`'s fee plus its delta.
    pub fn modified_fee(&self, entry: &Entry) -> i64 {
        entry
            .fee
            .saturating_add(self.fee_delta(&entry.tx.compute_txid()))
    }

    /// Every delta, ordered by txid.
    pub fn prioritised(&self) -> Vec<Prioritised> {
        let mut out: Vec<Prioritised> = self
            .deltas
            .iter()
            .map(|(txid, delta)| Prioritised {
                txid: *txid,
                delta: *delta,
                modified_fee: self.entries.get(txid).map(|e| e.fee.saturating_add(*delta)),
            })
            .collect();
        out.sort_by_key(|p| p.txid);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn deltas_accumulate_and_cancel() {
        let mut pool = Mempool::new();
        let txid = Txid::from_byte_array([7; 32]);
        pool.prioritise(txid, 500);
        pool.prioritise(txid, -200);
        assert_eq!(pool.fee_delta(&txid), 300);
        assert_eq!(
            pool.prioritised(),
            vec![Prioritised {
                txid,
                delta: 300,
                modified_fee: None
            }]
        );
        pool.prioritise(txid, -300);
        assert!(pool.prioritised().is_empty());
    }
}
