//! Which peer a transaction is being fetched from (a small take on Core's
//! `TxRequestTracker`): one `getdata` per transaction at a time; other peers
//! announcing it wait their turn and are asked if the first one answers
//! `notfound`, disconnects or does not deliver within a minute.

use super::*;
use std::collections::VecDeque;

/// How long a peer may take to deliver a requested transaction.
const TX_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Most transactions one peer may have announced and waiting to be fetched
/// (asked for or queued); later announcements are ignored unless it has the
/// `relay` permission (Core's `MAX_PEER_TX_ANNOUNCEMENTS`). Without it a peer
/// flooding `inv`s would grow our request table without bound.
pub(super) const MAX_PEER_TX_ANNOUNCEMENTS: usize = 5000;

/// One transaction being fetched.
#[derive(Debug)]
pub(super) struct TxRequest {
    peer: PeerId,
    since: Instant,
    /// Other announcers, in announcement order, with the item to ask them for.
    waiting: VecDeque<(PeerId, Inventory)>,
}

/// The key of an announced transaction: its txid or wtxid, as announced.
pub(super) fn tx_key(item: &Inventory) -> Option<[u8; 32]> {
    match item {
        Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => Some(t.to_byte_array()),
        Inventory::WTx(w) => Some(w.to_byte_array()),
        _ => None,
    }
}

impl Handler {
    /// Whether `item` (announced by `id`) should be requested from it now;
    /// if another peer is already asked, `id` is queued behind it.
    pub(super) fn claim_tx_request(&mut self, id: PeerId, item: Inventory) -> bool {
        let Some(key) = tx_key(&item) else {
            return false;
        };
        let full = self.tx_announcements_full(id);
        match self.tx_requests.get_mut(&key) {
            Some(req) if req.peer == id => false,
            Some(req) if req.waiting.iter().any(|(p, _)| *p == id) => false,
            _ if full => false,
            Some(req) => {
                req.waiting.push_back((id, item));
                *self.tx_announcements.entry(id).or_default() += 1;
                false
            }
            None => {
                *self.tx_announcements.entry(id).or_default() += 1;
                self.tx_requests.insert(
                    key,
                    TxRequest {
                        peer: id,
                        since: Instant::now(),
                        waiting: VecDeque::new(),
                    },
                );
                true
            }
        }
    }

    /// Whether `id` already has as many announcements tracked as it may.
    fn tx_announcements_full(&self, id: PeerId) -> bool {
        let count = self.tx_announcements.get(&id).copied().unwrap_or(0);
        count >= MAX_PEER_TX_ANNOUNCEMENTS
            && !self
                .peers
                .get(&id)
                .is_some_and(|st| st.peer.permissions.has("relay"))
    }

    /// One announcement of `id` is no longer tracked.
    fn release_tx_announcement(&mut self, id: PeerId) {
        if let Some(n) = self.tx_announcements.get_mut(&id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.tx_announcements.remove(&id);
            }
        }
    }

    /// Forgets a fetch entirely, releasing every announcement it tracked.
    fn drop_tx_request(&mut self, key: &[u8; 32]) {
        if let Some(req) = self.tx_requests.remove(key) {
            self.release_tx_announcement(req.peer);
            for (p, _) in req.waiting {
                self.release_tx_announcement(p);
            }
        }
    }

    /// Whether an announced transaction is one we hold as an orphan or
    /// refused recently (Core's `AlreadyHaveTx` beyond the mempool). One
    /// refused only for its feerate counts when `include_reconsiderable`:
    /// a missing parent is fetched again, as its child may pay for it.
    pub(super) fn already_have_tx(&self, item: &Inventory, include_reconsiderable: bool) -> bool {
        let Some(key) = tx_key(item) else {
            return false;
        };
        self.recent_rejects.contains(&key)
            || (include_reconsiderable && self.recent_rejects_reconsiderable.contains(&key))
            || (matches!(item, Inventory::WTx(_))
                && crate::connman::lock(&self.orphanage).contains(&Wtxid::from_byte_array(key)))
    }

    /// The transaction arrived (from anyone): nothing more to fetch.
    pub(super) fn tx_received(&mut self, txid: &Txid, wtxid: &Wtxid) {
        self.drop_tx_request(&txid.to_byte_array());
        self.drop_tx_request(&wtxid.to_byte_array());
    }

    /// Asks the next waiting announcer for the transaction under `key`, or
    /// forgets it when nobody else announced it.
    fn next_tx_announcer(&mut self, key: [u8; 32]) {
        let Some(mut req) = self.tx_requests.remove(&key) else {
            return;
        };
        self.release_tx_announcement(req.peer);
        while let Some((peer, item)) = req.waiting.pop_front() {
            // The announcement moves from waiting to asked: still counted.
            let Some(st) = self.peers.get(&peer) else {
                self.release_tx_announcement(peer);
                continue;
            };
            st.send(NetworkMessage::GetData(vec![item]));
            req.peer = peer;
            req.since = Instant::now();
            self.tx_requests.insert(key, req);
            return;
        }
    }

    /// `notfound` for transactions we asked `id` for.
    pub(super) fn tx_not_found(&mut self, id: PeerId, items: &[Inventory]) {
        for key in items.iter().filter_map(tx_key) {
            if self.tx_requests.get(&key).is_some_and(|r| r.peer == id) {
                self.next_tx_announcer(key);
            }
        }
    }

    /// A peer left: what it was asked for goes to the next announcer, and it
    /// waits for nothing any more.
    pub(super) fn tx_requests_peer_gone(&mut self, id: PeerId) {
        let asked: Vec<[u8; 32]> = self
            .tx_requests
            .iter()
            .filter(|(_, r)| r.peer == id)
            .map(|(k, _)| *k)
            .collect();
        for req in self.tx_requests.values_mut() {
            req.waiting.retain(|(p, _)| *p != id);
        }
        for key in asked {
            self.next_tx_announcer(key);
        }
        self.tx_announcements.remove(&id);
    }

    /// Requests that took too long move on to the next announcer.
    pub(super) fn expire_tx_requests(&mut self) {
        let now = Instant::now();
        let late: Vec<[u8; 32]> = self
            .tx_requests
            .iter()
            .filter(|(_, r)| now.duration_since(r.since) > TX_REQUEST_TIMEOUT)
            .map(|(k, _)| *k)
            .collect();
        for key in late {
            self.next_tx_announcer(key);
        }
    }
}
