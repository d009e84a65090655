//! Transactions whose inputs are not known yet ("orphans"), kept until a
//! parent arrives, the sender disconnects or a block settles them (Core's
//! `TxOrphanage`).

use bitcoin::{Block, OutPoint, Transaction, Txid, Wtxid};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::peer::PeerId;

/// Most orphans kept at once; the oldest go first beyond it.
const MAX_ORPHANS: usize = 3000;

/// One kept orphan.
#[derive(Debug, Clone)]
pub struct Orphan {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Peers that sent it.
    pub from: Vec<PeerId>,
}

/// The orphan pool, indexed by wtxid and by the outpoints the orphans spend.
#[derive(Debug, Default)]
pub struct Orphanage {
    orphans: HashMap<Wtxid, Orphan>,
    by_prevout: HashMap<OutPoint, HashSet<Wtxid>>,
    order: VecDeque<Wtxid>,
}

impl Orphanage {
    /// Keeps `tx` from `peer`; false if it was already kept (the peer is then
    /// added to its senders).
    pub fn add(&mut self, tx: Arc<Transaction>, peer: PeerId) -> bool {
        let wtxid = tx.compute_wtxid();
        if self.add_sender(&wtxid, peer) {
            return false;
        }
        for input in &tx.input {
            self.by_prevout
                .entry(input.previous_output)
                .or_default()
                .insert(wtxid);
        }
        self.orphans.insert(
            wtxid,
            Orphan {
                tx,
                from: vec![peer],
            },
        );
        self.order.push_back(wtxid);
        while self.orphans.len() > MAX_ORPHANS {
            match self.order.pop_front() {
                Some(old) => {
                    self.erase(&old);
                }
                None => break,
            }
        }
        true
    }

    /// Records `peer` as a sender (or announcer) of a kept orphan; false if
    /// no such orphan is kept.
    pub fn add_sender(&mut self, wtxid: &Wtxid, peer: PeerId) -> bool {
        let Some(o) = self.orphans.get_mut(wtxid) else {
            return false;
        };
        if !o.from.contains(&peer) {
            o.from.push(peer);
        }
        true
    }

    /// Forgets one orphan; false if it was not kept.
    pub fn erase(&mut self, wtxid: &Wtxid) -> bool {
        let Some(o) = self.orphans.remove(wtxid) else {
            return false;
        };
        for input in &o.tx.input {
            if let Some(set) = self.by_prevout.get_mut(&input.previous_output) {
                set.remove(wtxid);
                if set.is_empty() {
                    self.by_prevout.remove(&input.previous_output);
                }
            }
        }
        self.order.retain(|w| w != wtxid);
        true
    }

    /// Forgets what only `peer` sent; returns how many went.
    pub fn erase_for_peer(&mut self, peer: PeerId) -> usize {
        let mut gone = Vec::new();
        for (w, o) in self.orphans.iter_mut() {
            o.from.retain(|p| *p != peer);
            if o.from.is_empty() {
                gone.push(*w);
            }
        }
        gone.iter().filter(|w| self.erase(w)).count()
    }

    /// Forgets orphans that `block` includes or conflicts with; returns how
    /// many went.
    pub fn erase_for_block(&mut self, block: &Block) -> usize {
        let mut gone = HashSet::new();
        for tx in &block.txdata {
            gone.insert(tx.compute_wtxid());
            for input in &tx.input {
                if let Some(set) = self.by_prevout.get(&input.previous_output) {
                    gone.extend(set.iter().copied());
                }
            }
        }
        gone.iter().filter(|w| self.erase(w)).count()
    }

    /// Orphans spending an output of `parent`, oldest first.
    pub fn children_of(&self, parent: &Transaction) -> Vec<Arc<Transaction>> {
        let txid: Txid = parent.compute_txid();
        let mut seen = HashSet::new();
        for vout in 0..parent.output.len() as u32 {
            if let Some(set) = self.by_prevout.get(&OutPoint { txid, vout }) {
                seen.extend(set.iter().copied());
            }
        }
        self.order
            .iter()
            .filter(|w| seen.contains(*w))
            .filter_map(|w| self.orphans.get(w).map(|o| o.tx.clone()))
            .collect()
    }

    /// Whether this orphan is kept.
    pub fn contains(&self, wtxid: &Wtxid) -> bool {
        self.orphans.contains_key(wtxid)
    }

    /// Every kept orphan, oldest first.
    pub fn all(&self) -> Vec<Orphan> {
        self.order
            .iter()
            .filter_map(|w| self.orphans.get(w).cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, ScriptBuf};

    fn spend(prev: OutPoint, value: u64) -> Arc<Transaction> {
        Arc::new(consensus::test_support::spend_one(
            prev,
            Amount::from_sat(value),
            ScriptBuf::new(),
        ))
    }

    #[test]
    fn children_peers_and_blocks() {
        let parent = spend(OutPoint::new(Txid::all_zeros(), 7), 10);
        let child = spend(OutPoint::new(parent.compute_txid(), 0), 9);
        let other = spend(OutPoint::new(Txid::all_zeros(), 8), 8);
        let mut pool = Orphanage::default();
        assert!(pool.add(child.clone(), 1));
        assert!(!pool.add(child.clone(), 2));
        assert!(pool.add(other.clone(), 1));
        assert_eq!(pool.children_of(&parent), vec![child.clone()]);
        // Peer 1 leaving keeps the orphan peer 2 also sent.
        assert_eq!(pool.erase_for_peer(1), 1);
        assert!(pool.contains(&child.compute_wtxid()));
        // A block spending the same outpoint as the orphan settles it.
        let conflict = spend(OutPoint::new(parent.compute_txid(), 0), 5);
        let block = Block {
            header: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header,
            txdata: vec![(*conflict).clone()],
        };
        assert_eq!(pool.erase_for_block(&block), 1);
        assert!(pool.all().is_empty());
    }
}
