//! Transactions from peers into the mempool, and announcing mempool
//! transactions to peers (BIP339 wtxid relay).

use super::*;

impl Handler {
    pub(super) fn on_tx(&mut self, id: PeerId, tx: Transaction) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let rejects = !st.peer.conn_type.relays_transactions()
            || (!self.config.relay_txs && !st.peer.permissions.has("relay"));
        if rejects {
            self.disconnect(id, "transaction sent in violation of protocol");
            return;
        }
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        st.known_txs.insert(txid.to_byte_array());
        st.known_txs.insert(wtxid.to_byte_array());
        if self.backend.have_transaction(&TxRef::Wtxid(wtxid)) {
            return;
        }
        match self.backend.accept_transaction(tx) {
            Ok(()) => {
                tracing::debug!(
                    target: "mempool",
                    "AcceptToMemoryPool: peer={id}: accepted {txid} (wtxid={wtxid})"
                );
                st.peer.stats().last_transaction = common::time::now_secs();
                self.relay_tx(Some(id), txid, wtxid);
            }
            // Core no longer punishes peers for invalid transactions: what is
            // invalid can depend on our own mempool and policy.
            Err(rej) => {
                tracing::debug!(
                    target: "mempoolrej",
                    "{txid} (wtxid={wtxid}) from peer={id} was not accepted: {}",
                    rej.reason
                );
            }
        }
    }

    /// Announces a mempool transaction to every peer that wants transactions and
    /// does not know it yet.
    pub(super) fn relay_tx(&mut self, from: Option<PeerId>, txid: Txid, wtxid: Wtxid) {
        for (id, st) in self.peers.iter_mut() {
            if Some(*id) == from || !st.handshake_done || !st.relays_txs() {
                continue;
            }
            let key = if st.wtxid_relay {
                wtxid.to_byte_array()
            } else {
                txid.to_byte_array()
            };
            if st.known_txs.contains(&key) {
                continue;
            }
            st.known_txs.insert(key);
            let item = if st.wtxid_relay {
                Inventory::WTx(wtxid)
            } else {
                Inventory::Transaction(txid)
            };
            st.send(NetworkMessage::Inv(vec![item]));
        }
    }
}
