//! `getdata` answers and the pause of a peer that does not read them.
//!
//! A peer's requests go into its queue (Core's `m_getdata_requests`) and are
//! answered one item at a time while less than the send buffer limit waits
//! to be written to it. Once the peer stops reading, answering stops, and so
//! does processing of its later messages (kept in order, still counted
//! against its receive queue, so its socket stops being read too): as Core's
//! `fPauseSend`, a peer asking for blocks it never reads costs a bounded
//! amount of memory instead of a queue that grows with every request. The
//! writer's [`Event::SendResumed`] (and the once-a-second tick) carry on.

use super::blocks::strip_witness_block;
use super::inventory::strip_witness_tx;
use super::*;

impl Handler {
    pub(super) fn on_getdata(&mut self, id: PeerId, inv: Vec<Inventory>) {
        tracing::debug!(target: "net", "received getdata ({} invsz) peer={id}", inv.len());
        if let Some(first) = inv.first() {
            tracing::debug!(target: "net", "received getdata for: {} peer={id}", describe(first));
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        st.getdata_queue.extend(inv);
        self.process_getdata(id);
    }

    /// Answers queued requests of `id` until the queue is empty or the peer's
    /// send buffer is full.
    fn process_getdata(&mut self, id: PeerId) {
        let mut not_found = Vec::new();
        loop {
            let Some(st) = self.peers.get_mut(&id) else {
                return;
            };
            // A peer being disconnected gets nothing more; do not keep loading
            // blocks for it.
            if st.peer.disconnect_requested() {
                st.getdata_queue.clear();
                return;
            }
            if st.peer.send_paused() {
                break;
            }
            let Some(item) = st.getdata_queue.pop_front() else {
                break;
            };
            if let Inventory::WitnessBlock(h) | Inventory::Block(h) | Inventory::CompactBlock(h) =
                item
            {
                if self.refuse_deep_block(id, &h) {
                    return;
                }
            }
            self.serve_getdata_item(id, item, &mut not_found);
        }
        if let (false, Some(st)) = (not_found.is_empty(), self.peers.get(&id)) {
            st.send(NetworkMessage::NotFound(not_found));
        }
    }

    fn serve_getdata_item(&mut self, id: PeerId, item: Inventory, not_found: &mut Vec<Inventory>) {
        if let Inventory::CompactBlock(h) = item {
            self.send_compact_or_block(id, h);
            return;
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        match item {
            Inventory::WitnessBlock(h) | Inventory::Block(h) => {
                let Some(bytes) = self.backend.block_bytes(&h) else {
                    return;
                };
                st.known_blocks.insert(h);
                if matches!(item, Inventory::WitnessBlock(_)) {
                    st.peer.send("block", &bytes);
                } else if let Ok(block) =
                    consensus::codec::read_block_prefix(&bytes).map(|(b, _)| b)
                {
                    st.peer.send("block", &strip_witness_block(block));
                }
            }
            Inventory::WTx(w) => match self.backend.mempool_transaction(&TxRef::Wtxid(w)) {
                Some(tx) => {
                    st.peer.send("tx", &serialize(&tx));
                    self.backend.transaction_sent(&tx.compute_txid());
                }
                None => not_found.push(item),
            },
            Inventory::WitnessTransaction(t) | Inventory::Transaction(t) => {
                match self.backend.mempool_transaction(&TxRef::Txid(t)) {
                    Some(tx) if matches!(item, Inventory::Transaction(_)) => {
                        st.peer.send("tx", &strip_witness_tx(tx));
                        self.backend.transaction_sent(&t);
                    }
                    Some(tx) => {
                        st.peer.send("tx", &serialize(&tx));
                        self.backend.transaction_sent(&t);
                    }
                    None => not_found.push(item),
                }
            }
            _ => {}
        }
    }

    /// Keeps a message of a paused peer (or one behind its unanswered
    /// requests) for later; returns the event when it can be processed now.
    pub(super) fn defer_while_paused(&mut self, ev: Event) -> Option<Event> {
        let id = match &ev {
            Event::Message { peer, .. }
            | Event::Misbehaving { peer, .. }
            | Event::Malformed { peer, .. } => *peer,
            _ => return Some(ev),
        };
        let Some(st) = self.peers.get_mut(&id) else {
            return Some(ev);
        };
        if st.peer.send_paused() || !st.getdata_queue.is_empty() || !st.deferred.is_empty() {
            st.deferred.push_back(ev);
            return None;
        }
        Some(ev)
    }

    /// Goes on with a peer whose send buffer drained: its queued requests
    /// first, then the messages kept meanwhile, until it pauses again.
    pub(super) fn resume_peer(&mut self, id: PeerId) {
        loop {
            self.process_getdata(id);
            let Some(st) = self.peers.get_mut(&id) else {
                return;
            };
            if st.peer.send_paused() || !st.getdata_queue.is_empty() {
                return;
            }
            let Some(ev) = st.deferred.pop_front() else {
                return;
            };
            self.process_now(ev);
        }
    }

    /// Peers with requests or messages waiting (checked on every tick, in
    /// case a wake-up from the writer came before the work was queued).
    pub(super) fn peers_with_waiting_work(&self) -> Vec<PeerId> {
        self.peers
            .iter()
            .filter(|(_, st)| !st.getdata_queue.is_empty() || !st.deferred.is_empty())
            .map(|(id, _)| *id)
            .collect()
    }
}

/// An inventory item as Core's `CInv::ToString` writes it in logs:
/// `wtx <hash>`, `witness-block <hash>`, ...
fn describe(item: &Inventory) -> String {
    match item {
        Inventory::Transaction(t) => format!("tx {t}"),
        Inventory::WitnessTransaction(t) => format!("witness-tx {t}"),
        Inventory::WTx(w) => format!("wtx {w}"),
        Inventory::Block(b) => format!("block {b}"),
        Inventory::WitnessBlock(b) => format!("witness-block {b}"),
        Inventory::CompactBlock(b) => format!("cmpctblock {b}"),
        Inventory::Error => {
            "0x00000000 0000000000000000000000000000000000000000000000000000000000000000"
                .to_string()
        }
        Inventory::Unknown { inv_type, hash } => {
            let mut h = *hash;
            h.reverse();
            format!("0x{inv_type:08x} {}", hex::encode(h))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_items_are_logged_as_core_does() {
        let w = Wtxid::from_byte_array([1; 32]);
        assert_eq!(describe(&Inventory::WTx(w)), format!("wtx {w}"));
        let b = BlockHash::from_byte_array([2; 32]);
        assert_eq!(
            describe(&Inventory::WitnessBlock(b)),
            format!("witness-block {b}")
        );
        let mut hash = [0u8; 32];
        hash[0] = 0xab;
        let unknown = Inventory::Unknown { inv_type: 7, hash };
        assert!(describe(&unknown).starts_with("0x00000007 0000"));
        assert!(describe(&unknown).ends_with("ab"));
    }
}
