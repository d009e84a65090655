//! `inv` and `getdata`: what peers announce and what they ask us for.

use super::blocks::update_best_known;
use super::*;

impl Handler {
    pub(super) fn on_inv(&mut self, id: PeerId, inv: Vec<Inventory>) {
        let mut unknown_block = None;
        let mut tx_requests = Vec::new();
        let mut best = None;
        let announces_txs = inv.iter().any(|i| {
            matches!(
                i,
                Inventory::Transaction(_) | Inventory::WitnessTransaction(_) | Inventory::WTx(_)
            )
        });
        // Transactions announced during IBD are not fetched (Core); our
        // feefilter asks peers not to announce them then.
        let in_ibd = announces_txs && self.backend.is_initial_block_download();
        if announces_txs && self.peers.get(&id).is_some_and(|st| self.rejects_txs(st)) {
            let hash = inv.iter().find_map(|i| match i {
                Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => Some(t.to_string()),
                Inventory::WTx(w) => Some(w.to_string()),
                _ => None,
            });
            if let Some(hash) = hash {
                self.disconnect(
                    id,
                    &format!("transaction ({hash}) inv sent in violation of protocol"),
                );
                return;
            }
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        // Whether we take transactions from this peer at all.
        let wants_txs = self.config.relay_txs && st.peer.conn_type.relays_transactions() && !in_ibd;
        for item in &inv {
            match item {
                Inventory::Block(h) | Inventory::WitnessBlock(h) | Inventory::CompactBlock(h) => {
                    st.known_blocks.insert(*h);
                    st.known_headers.insert(*h);
                    let have = self.backend.has_block(h);
                    tracing::debug!(target: "net", "got inv: block {h}  {} peer={id}", if have { "have" } else { "new" });
                    match self.backend.header_height(h) {
                        Some(height) => best = Some((*h, height)),
                        None => unknown_block = Some(*h),
                    }
                }
                Inventory::Transaction(txid) | Inventory::WitnessTransaction(txid) => {
                    st.known_txs.insert(txid.to_byte_array());
                    // A wtxid-relay peer must announce by wtxid; Core ignores txid invs from it.
                    if st.wtxid_relay || !wants_txs {
                        continue;
                    }
                    let have = self.backend.have_transaction(&TxRef::Txid(*txid));
                    tracing::debug!(target: "net", "got inv: tx {txid}  {} peer={id}", if have { "have" } else { "new" });
                    if !have {
                        // Witness data only from peers that can serve it.
                        let witness = st
                            .version
                            .as_ref()
                            .is_some_and(|v| v.services & NODE_WITNESS != 0);
                        tx_requests.push(if witness {
                            Inventory::WitnessTransaction(*txid)
                        } else {
                            Inventory::Transaction(*txid)
                        });
                    }
                }
                Inventory::WTx(wtxid) => {
                    st.known_txs.insert(wtxid.to_byte_array());
                    // Announcing a kept orphan makes the peer one of its senders.
                    crate::connman::lock(&self.orphanage).add_sender(wtxid, id);
                    if !st.wtxid_relay || !wants_txs {
                        continue;
                    }
                    let have = self.backend.have_transaction(&TxRef::Wtxid(*wtxid));
                    tracing::debug!(target: "net", "got inv: wtx {wtxid}  {} peer={id}", if have { "have" } else { "new" });
                    if !have {
                        tx_requests.push(Inventory::WTx(*wtxid));
                    }
                }
                _ => {}
            }
        }
        if let Some((h, height)) = best {
            let have = self.backend.has_block(&h);
            update_best_known(st, h, height, have);
        }
        let tx_requests: Vec<Inventory> = tx_requests
            .into_iter()
            .filter(|item| !self.already_have_tx(item, true) && self.claim_tx_request(id, *item))
            .collect();
        if let (false, Some(st)) = (tx_requests.is_empty(), self.peers.get(&id)) {
            st.send(NetworkMessage::GetData(tx_requests));
        }
        if let Some(h) = unknown_block {
            self.inv_triggered_getheaders(id, h);
        }
        if best.is_some() {
            self.fetch_blocks(id);
        }
    }

    /// Asks `id` for the headers leading to the block `hash` it announced.
    /// A peer we do not sync headers from is asked once at most, and only
    /// for a block no other such peer was already asked about (Core).
    fn inv_triggered_getheaders(&mut self, id: PeerId, hash: BlockHash) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        let sync_started = st.sync_started;
        if !sync_started
            && (st.inv_getheaders_before_sync || self.last_inv_headers_trigger == Some(hash))
        {
            return;
        }
        let locator = self.backend.block_locator(None);
        let height = self.backend.tip().0;
        let sent = self.send_getheaders(id, locator, BlockHash::all_zeros());
        if sent {
            tracing::debug!(target: "net", "getheaders ({height}) {hash} to peer={id}");
        }
        if !sync_started {
            if let Some(st) = self.peers.get_mut(&id) {
                st.inv_getheaders_before_sync = true;
            }
            self.last_inv_headers_trigger = Some(hash);
        }
    }

    /// A node offering only recent blocks (`NODE_NETWORK_LIMITED` without
    /// `NODE_NETWORK`) does not serve older ones, which would reveal how far
    /// it pruned; the asker is disconnected rather than left waiting (Core).
    /// True when `hash` is refused.
    pub(super) fn refuse_deep_block(&mut self, id: PeerId, hash: &BlockHash) -> bool {
        let services = self.our_services();
        if services & NODE_NETWORK_LIMITED == 0 || services & NODE_NETWORK != 0 {
            return false;
        }
        let Some(height) = self.backend.header_height(hash) else {
            return false;
        };
        let noban = self
            .peers
            .get(&id)
            .is_some_and(|st| st.peer.permissions.has("noban"));
        let tip = self.backend.tip().0;
        if noban || tip.saturating_sub(height) <= NODE_NETWORK_LIMITED_MIN_BLOCKS + 2 {
            return false;
        }
        self.disconnect(
            id,
            "Ignore block request below NODE_NETWORK_LIMITED threshold",
        );
        true
    }
}

/// A transaction serialized without witness data, for peers that asked by `MSG_TX`.
pub(super) fn strip_witness_tx(mut tx: Transaction) -> Vec<u8> {
    for input in &mut tx.input {
        input.witness.clear();
    }
    serialize(&tx)
}
