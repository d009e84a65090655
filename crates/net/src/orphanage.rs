//! Transactions whose inputs are not known yet ("orphans"), kept until a
//! parent arrives, the sender disconnects or a block settles them (Core's
//! `TxOrphanage`).

use bitcoin::{Block, OutPoint, Transaction, Txid, Wtxid};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::peer::PeerId;

/// Most total latency score (announcements plus a point per ten inputs of
/// each orphan) kept at once (Core's `DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE`).
const MAX_LATENCY_SCORE: u64 = 3000;
/// Orphan weight each announcing peer is granted; the orphanage holds at
/// most this times the number of announcing peers (Core's
/// `DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER`).
const RESERVED_WEIGHT_PER_PEER: u64 = 404_000;

/// One kept orphan.
#[derive(Debug, Clone)]
pub struct Orphan {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Peers that sent or announced it, in that order.
    pub from: Vec<PeerId>,
    /// The sequence number of each peer's announcement, as `from`.
    announced: Vec<u64>,
    /// Its weight, what each announcement costs its peer in memory.
    weight: u64,
    /// What each announcement costs its peer in latency: 1 plus a point per
    /// ten inputs (Core's `GetLatencyScore`).
    latency: u64,
}

/// What one peer's announcements cost.
#[derive(Debug, Default, Clone, Copy)]
struct PeerUsage {
    announcements: u64,
    latency: u64,
    weight: u64,
}

/// The orphan pool, indexed by wtxid and by the outpoints the orphans
/// spend. It is bounded as Core's: when the total latency score or weight
/// goes over the limit, the peer using most of its share loses its oldest
/// announcements first, so one peer flooding orphans cannot evict others'.
#[derive(Debug, Default)]
pub struct Orphanage {
    orphans: HashMap<Wtxid, Orphan>,
    by_prevout: HashMap<OutPoint, HashSet<Wtxid>>,
    order: VecDeque<Wtxid>,
    /// Every announcement, oldest first.
    announcements: BTreeMap<u64, (PeerId, Wtxid)>,
    next_announcement: u64,
    peers: HashMap<PeerId, PeerUsage>,
    /// Sum of the kept orphans' weights.
    total_weight: u64,
    /// Sum of the kept orphans' input points (latency beyond the 1 each
    /// announcement counts).
    input_points: u64,
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
        let weight = tx.weight().to_wu();
        let input_points = tx.input.len() as u64 / 10;
        self.total_weight += weight;
        self.input_points += input_points;
        self.orphans.insert(
            wtxid,
            Orphan {
                tx,
                from: Vec::new(),
                announced: Vec::new(),
                weight,
                latency: 1 + input_points,
            },
        );
        self.order.push_back(wtxid);
        self.announce(wtxid, peer);
        self.limit();
        true
    }

    /// Records `peer` as a sender (or announcer) of a kept orphan; false if
    /// no such orphan is kept.
    pub fn add_sender(&mut self, wtxid: &Wtxid, peer: PeerId) -> bool {
        let Some(o) = self.orphans.get(wtxid) else {
            return false;
        };
        if !o.from.contains(&peer) {
            self.announce(*wtxid, peer);
            self.limit();
        }
        true
    }

    /// Adds `peer`'s announcement of the kept orphan `wtxid`.
    fn announce(&mut self, wtxid: Wtxid, peer: PeerId) {
        let Some(o) = self.orphans.get_mut(&wtxid) else {
            return;
        };
        let seq = self.next_announcement;
        self.next_announcement += 1;
        o.from.push(peer);
        o.announced.push(seq);
        self.announcements.insert(seq, (peer, wtxid));
        let usage = self.peers.entry(peer).or_default();
        usage.announcements += 1;
        usage.latency += o.latency;
        usage.weight += o.weight;
    }

    /// Drops `peer`'s announcement of `wtxid`; the orphan goes with its
    /// last announcement.
    fn withdraw(&mut self, wtxid: &Wtxid, peer: PeerId) {
        let Some(o) = self.orphans.get_mut(wtxid) else {
            return;
        };
        let Some(i) = o.from.iter().position(|p| *p == peer) else {
            return;
        };
        o.from.remove(i);
        let seq = o.announced.remove(i);
        let (latency, weight, last) = (o.latency, o.weight, o.from.is_empty());
        self.announcements.remove(&seq);
        self.forget_peer_usage(peer, latency, weight);
        if last {
            self.erase(wtxid);
        }
    }

    fn forget_peer_usage(&mut self, peer: PeerId, latency: u64, weight: u64) {
        if let Some(u) = self.peers.get_mut(&peer) {
            u.announcements = u.announcements.saturating_sub(1);
            u.latency = u.latency.saturating_sub(latency);
            u.weight = u.weight.saturating_sub(weight);
            if u.announcements == 0 {
                self.peers.remove(&peer);
            }
        }
    }

    /// Total latency score: one per announcement plus the input points.
    fn latency_score(&self) -> u64 {
        self.announcements.len() as u64 + self.input_points
    }

    /// Whether the orphanage is over its latency or weight limit.
    fn needs_trim(&self) -> bool {
        let peers = self.peers.len().max(1) as u64;
        self.latency_score() > MAX_LATENCY_SCORE
            || self.total_weight > RESERVED_WEIGHT_PER_PEER.saturating_mul(peers)
    }

    /// Evicts announcements until within the limits: each time the oldest
    /// of the peer with the highest share of its allowance (latency or
    /// weight, whichever is higher; the newer peer on ties).
    fn limit(&mut self) {
        if !self.needs_trim() {
            return;
        }
        // The per-peer allowances stay fixed while trimming, as Core's.
        let peers = self.peers.len().max(1) as u64;
        let max_latency = (MAX_LATENCY_SCORE / peers).max(1);
        let max_weight = RESERVED_WEIGHT_PER_PEER;
        // A score as a fraction, compared exactly by cross-multiplying.
        let score = |u: &PeerUsage| {
            if u128::from(u.latency) * u128::from(max_weight)
                >= u128::from(u.weight) * u128::from(max_latency)
            {
                (u.latency, max_latency)
            } else {
                (u.weight, max_weight)
            }
        };
        let mut evicted: HashMap<PeerId, usize> = HashMap::new();
        while self.needs_trim() {
            let worst = self
                .peers
                .iter()
                .map(|(p, u)| (*p, score(u)))
                .max_by(|(pa, (na, da)), (pb, (nb, db))| {
                    (u128::from(*na) * u128::from(*db))
                        .cmp(&(u128::from(*nb) * u128::from(*da)))
                        .then(pa.cmp(pb))
                })
                .map(|(p, _)| p);
            let Some(worst) = worst else {
                break;
            };
            let oldest = self
                .announcements
                .values()
                .find(|(p, _)| *p == worst)
                .map(|(_, w)| *w);
            let Some(wtxid) = oldest else {
                self.peers.remove(&worst);
                continue;
            };
            self.withdraw(&wtxid, worst);
            *evicted.entry(worst).or_default() += 1;
        }
        for (peer, n) in evicted {
            tracing::debug!(
                target: "txpackages",
                "peer={peer} orphanage overflow, removed {n} announcements"
            );
        }
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
        for (peer, seq) in o.from.iter().zip(&o.announced) {
            self.announcements.remove(seq);
            self.forget_peer_usage(*peer, o.latency, o.weight);
        }
        self.total_weight = self.total_weight.saturating_sub(o.weight);
        self.input_points = self.input_points.saturating_sub(o.latency - 1);
        self.order.retain(|w| w != wtxid);
        true
    }

    /// Forgets what only `peer` sent; returns how many went.
    pub fn erase_for_peer(&mut self, peer: PeerId) -> usize {
        let announced: Vec<Wtxid> = self
            .announcements
            .values()
            .filter(|(p, _)| *p == peer)
            .map(|(_, w)| *w)
            .collect();
        let before = self.orphans.len();
        for w in announced {
            self.withdraw(&w, peer);
        }
        before - self.orphans.len()
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

    /// Orphans spending an output of `parent` that `peer` sent or
    /// announced, newest first: among children that replace each other the
    /// newest likely pays most (Core's `GetChildrenFromSamePeer`).
    pub fn children_from_peer(&self, parent: &Transaction, peer: PeerId) -> Vec<Arc<Transaction>> {
        let mut children = self.children_of(parent);
        children.retain(|c| {
            self.orphans
                .get(&c.compute_wtxid())
                .is_some_and(|o| o.from.contains(&peer))
        });
        children.reverse();
        children
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

    #[test]
    fn a_flooding_peer_loses_its_own_orphans_first() {
        let big = |n: u8| {
            Arc::new(consensus::test_support::spend_one(
                OutPoint::new(Txid::from_byte_array([n; 32]), 0),
                Amount::from_sat(1),
                ScriptBuf::from_bytes(vec![0x6a; 75_000]),
            ))
        };
        let mut pool = Orphanage::default();
        let honest = big(1);
        assert!(pool.add(honest.clone(), 1));
        let flood: Vec<_> = (2..8).map(big).collect();
        for tx in &flood {
            pool.add(tx.clone(), 2);
        }
        // Two peers may keep 2 x 404,000 weight units: the flooder keeps
        // only its newest orphan, the other peer's stays.
        assert!(pool.contains(&honest.compute_wtxid()));
        let kept: Vec<Wtxid> = pool.all().iter().map(|o| o.tx.compute_wtxid()).collect();
        assert_eq!(kept, vec![honest.compute_wtxid(), flood[5].compute_wtxid()]);
        // The flooder leaving takes its announcement and the orphan along.
        assert_eq!(pool.erase_for_peer(2), 1);
        assert_eq!(pool.all().len(), 1);
    }

    #[test]
    fn announcements_beyond_the_latency_limit_go_oldest_first() {
        let mut pool = Orphanage::default();
        let txs: Vec<_> = (0..3001u32)
            .map(|i| {
                let mut id = [0u8; 32];
                id[..4].copy_from_slice(&i.to_le_bytes());
                spend(OutPoint::new(Txid::from_byte_array(id), 0), 1)
            })
            .collect();
        // Eight peers, so the weight limit (8 x 404,000) is not what binds.
        for (i, tx) in txs.iter().enumerate() {
            pool.add(tx.clone(), i as PeerId % 8);
        }
        assert_eq!(pool.all().len(), 3000);
        assert!(!pool.contains(&txs[0].compute_wtxid()));
        assert!(pool.contains(&txs[3000].compute_wtxid()));
    }
}
