//! Transactions from peers into the mempool, and announcing mempool
//! transactions to peers (BIP339 wtxid relay).

use super::*;
use crate::connman::lock;
use std::collections::{HashSet, VecDeque};

/// The reject reason of a transaction whose inputs are unknown: an orphan.
const MISSING_INPUTS: &str = "bad-txns-inputs-missingorspent";
/// Core's `MAX_STANDARD_TX_WEIGHT`: larger orphans are not kept.
const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;

impl Handler {
    pub(super) fn on_tx(&mut self, id: PeerId, tx: Transaction) {
        if self.peers.get(&id).is_some_and(|st| self.rejects_txs(st)) {
            self.disconnect(id, "transaction sent in violation of protocol");
            return;
        }
        // During IBD we cannot validate it yet; unsolicited transactions are
        // no protocol violation, so the peer is not punished (Core).
        if self.backend.is_initial_block_download() {
            return;
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        st.known_txs.insert(txid.to_byte_array());
        st.known_txs.insert(wtxid.to_byte_array());
        self.tx_received(&txid, &wtxid);
        if self.backend.have_transaction(&TxRef::Wtxid(wtxid))
            || self.recent_rejects.contains(&wtxid.to_byte_array())
        {
            return;
        }
        // A kept orphan sent again: this peer becomes one of its senders.
        if lock(&self.orphanage).add_sender(&wtxid, id) {
            return;
        }
        let tx = Arc::new(tx);
        // Refused alone for its feerate before: only a child may get it in.
        if self
            .recent_rejects_reconsiderable
            .contains(&wtxid.to_byte_array())
        {
            tracing::debug!(
                target: "txpackages",
                "found tx {txid} (wtxid={wtxid}) in reconsiderable rejects, looking for child in orphanage"
            );
            self.try_1p1c(id, &tx);
            return;
        }
        match self.backend.accept_transaction((*tx).clone()) {
            Ok(()) => {
                if let Some(st) = self.peers.get_mut(&id) {
                    st.peer.stats().last_transaction = common::time::now_secs();
                }
                self.tx_accepted(id, &tx);
            }
            Err(rej) => {
                // It may still be in a block someone sends us compact.
                self.keep_extra_txn(&tx);
                self.tx_refused(id, &tx, &rej);
                if rej.reason == MISSING_INPUTS {
                    self.keep_orphan(id, tx);
                } else if rej.reconsiderable {
                    tracing::debug!(
                        target: "txpackages",
                        "tx {txid} (wtxid={wtxid}) failed but reconsiderable, looking for child in orphanage"
                    );
                    self.try_1p1c(id, &tx);
                }
            }
        }
    }

    /// A transaction from `id` entered the mempool: it is relayed, leaves
    /// the orphanage, and orphans waiting for it are retried.
    fn tx_accepted(&mut self, id: PeerId, tx: &Arc<Transaction>) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        tracing::debug!(
            target: "mempool",
            "AcceptToMemoryPool: peer={id}: accepted {txid} (wtxid={wtxid})"
        );
        lock(&self.orphanage).erase(&wtxid);
        self.relay_tx(Some(id), txid, wtxid);
        self.accept_orphans(tx);
    }

    /// Logs and remembers a refusal (Core's `ProcessInvalidTx`); an orphan
    /// refused for anything but a missing input leaves the orphanage.
    fn tx_refused(&mut self, id: PeerId, tx: &Transaction, rej: &Rejected) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        // Core no longer punishes peers for invalid transactions: what is
        // invalid can depend on our own mempool and policy. Like Core, the
        // refusal is logged for orphans (missing inputs) too.
        tracing::debug!(
            target: "mempoolrej",
            "{txid} (wtxid={wtxid}) from peer={id} was not accepted: {}",
            rej.reason
        );
        if rej.reason == MISSING_INPUTS {
            return;
        }
        self.remember_rejection(rej, txid, wtxid);
        if lock(&self.orphanage).erase(&wtxid) {
            tracing::debug!(target: "txpackages", "   removed orphan tx {txid} (wtxid={wtxid})");
        }
    }

    /// Tries `parent`, refused alone for its feerate, together with an
    /// orphan child the same peer sent (1p1c package relay). Children of
    /// other peers are not considered, so a peer cannot crowd out the real
    /// child with fake ones.
    fn try_1p1c(&mut self, id: PeerId, parent: &Arc<Transaction>) {
        let child = lock(&self.orphanage)
            .children_from_peer(parent, id)
            .into_iter()
            .find(|child| {
                !self
                    .recent_rejects_reconsiderable
                    .contains(&package_hash(&[parent, child]))
                    && !self
                        .recent_rejects
                        .contains(&child.compute_txid().to_byte_array())
            });
        let Some(child) = child else {
            return;
        };
        let outcome = self
            .backend
            .accept_package(vec![(**parent).clone(), (*child).clone()]);
        tracing::debug!(
            target: "txpackages",
            "package evaluation for parent {} (wtxid={}, sender={id}) + child {} (wtxid={}, sender={id}): {}",
            parent.compute_txid(),
            parent.compute_wtxid(),
            child.compute_txid(),
            child.compute_wtxid(),
            if outcome.refused { outcome.reason.as_str() } else { "Valid" }
        );
        if outcome.refused {
            self.recent_rejects_reconsiderable
                .insert(package_hash(&[parent, &child]));
        }
        let members = [parent.clone(), child];
        // Accepted members leave the orphanage first, so retrying the
        // parent's orphans does not meet the child again.
        for (tx, result) in members.iter().zip(&outcome.results) {
            if matches!(result, Some(Ok(()))) {
                lock(&self.orphanage).erase(&tx.compute_wtxid());
            }
        }
        for (tx, result) in members.iter().zip(outcome.results) {
            match result {
                Some(Ok(())) => self.tx_accepted(id, tx),
                Some(Err(rej)) => self.tx_refused(id, tx, &rej),
                None => {}
            }
        }
    }

    /// Remembers a refused transaction so it is neither fetched nor taken
    /// again, nor kept as a parent of orphans; one refused only for its
    /// feerate is remembered apart, to be tried again with a child.
    fn remember_rejection(&mut self, rej: &Rejected, txid: Txid, wtxid: Wtxid) {
        if rej.reconsiderable {
            self.recent_rejects_reconsiderable
                .insert(wtxid.to_byte_array());
        } else if rej.lasting {
            self.recent_rejects.insert(wtxid.to_byte_array());
        }
        if rej.witness_irrelevant {
            self.recent_rejects.insert(txid.to_byte_array());
        }
    }

    /// Keeps a transaction with unknown inputs as an orphan, unless a parent
    /// was already refused (then it can never be valid).
    fn keep_orphan(&mut self, id: PeerId, tx: Arc<Transaction>) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let parents: Vec<Txid> = {
            let mut seen = HashSet::new();
            tx.input
                .iter()
                .map(|i| i.previous_output.txid)
                .filter(|t| seen.insert(*t))
                .collect()
        };
        // One parent refused for its feerate may still get in with this
        // child (1p1c); two cannot, nor one refused for anything else.
        let mut reconsiderable_parent = false;
        let mut rejected_parent = false;
        for parent in &parents {
            let key = parent.to_byte_array();
            if self.recent_rejects.contains(&key) {
                rejected_parent = true;
                break;
            }
            if self.recent_rejects_reconsiderable.contains(&key)
                && !self.backend.have_transaction(&TxRef::Txid(*parent))
            {
                if reconsiderable_parent {
                    rejected_parent = true;
                    break;
                }
                reconsiderable_parent = true;
            }
        }
        if rejected_parent {
            tracing::debug!(
                target: "mempool",
                "not keeping orphan with rejected parents {txid} (wtxid={wtxid})"
            );
            self.recent_rejects.insert(txid.to_byte_array());
            self.recent_rejects.insert(wtxid.to_byte_array());
            return;
        }
        let weight = tx.weight().to_wu();
        if weight > MAX_STANDARD_TX_WEIGHT {
            tracing::debug!(
                target: "mempool",
                "ignoring large orphan tx (weight: {weight}, txid: {txid}, wtxid: {wtxid})"
            );
            self.recent_rejects.insert(wtxid.to_byte_array());
            return;
        }
        if lock(&self.orphanage).add(tx, id) {
            tracing::debug!(
                target: "txpackages",
                "stored orphan tx {txid} (wtxid={wtxid}), weight: {weight}, peer={id}"
            );
        }
        self.request_parents(id, &parents);
    }

    /// Asks the sender of an orphan for its missing parents, by txid (the
    /// only id an orphan names them by), with witnesses if it serves them.
    fn request_parents(&mut self, id: PeerId, parents: &[Txid]) {
        let witness = self.peers.get(&id).is_some_and(|st| {
            st.version
                .as_ref()
                .is_some_and(|v| v.services & NODE_WITNESS != 0)
        });
        let mut wanted = Vec::new();
        for t in parents {
            if self.backend.have_transaction(&TxRef::Txid(*t)) {
                continue;
            }
            let item = if witness {
                Inventory::WitnessTransaction(*t)
            } else {
                Inventory::Transaction(*t)
            };
            if !self.already_have_tx(&item, false) && self.claim_tx_request(id, item) {
                wanted.push(item);
            }
        }
        if let (false, Some(st)) = (wanted.is_empty(), self.peers.get(&id)) {
            st.send(NetworkMessage::GetData(wanted));
        }
    }

    /// Retries the orphans that spend `parent` (and, as they get in, theirs).
    fn accept_orphans(&mut self, parent: &Transaction) {
        let mut queue: VecDeque<Arc<Transaction>> =
            lock(&self.orphanage).children_of(parent).into();
        while let Some(tx) = queue.pop_front() {
            let txid = tx.compute_txid();
            let wtxid = tx.compute_wtxid();
            if !lock(&self.orphanage).contains(&wtxid) {
                continue;
            }
            match self.backend.accept_transaction((*tx).clone()) {
                Ok(()) => {
                    tracing::debug!(target: "txpackages", "   accepted orphan tx {txid} (wtxid={wtxid})");
                    let mut orphans = lock(&self.orphanage);
                    orphans.erase(&wtxid);
                    queue.extend(orphans.children_of(&tx));
                    drop(orphans);
                    self.relay_tx(None, txid, wtxid);
                }
                Err(rej) if rej.reason == MISSING_INPUTS => {}
                Err(rej) => {
                    tracing::debug!(
                        target: "txpackages",
                        "   invalid orphan tx {txid} (wtxid={wtxid}): {}",
                        rej.reason
                    );
                    lock(&self.orphanage).erase(&wtxid);
                    self.remember_rejection(&rej, txid, wtxid);
                }
            }
        }
    }

    /// The tip moved: refusals may no longer hold (Core resets its reject
    /// filters then), and orphans the new block includes or conflicts with
    /// are forgotten.
    pub(super) fn tx_download_tip_changed(&mut self, hash: &BlockHash) {
        self.recent_rejects.clear();
        self.recent_rejects_reconsiderable.clear();
        let Some(bytes) = self.backend.block_bytes(hash) else {
            return;
        };
        let Ok((block, _)) = consensus::codec::read_block_prefix(&bytes) else {
            return;
        };
        let erased = lock(&self.orphanage).erase_for_block(&block);
        if erased > 0 {
            tracing::debug!(
                target: "txpackages",
                "Erased {erased} orphan transaction(s) included or conflicted by block"
            );
        }
    }

    /// Announces a mempool transaction to every peer that wants transactions and
    /// does not know it yet.
    /// Whether transactions from this peer break the protocol: a
    /// block-relay-only connection, or `-blocksonly` without the peer's
    /// `relay` permission (Core's `RejectIncomingTxs`).
    pub(super) fn rejects_txs(&self, st: &PeerState) -> bool {
        !st.peer.conn_type.relays_transactions()
            || (!self.config.relay_txs && !st.peer.permissions.has("relay"))
    }

    pub(super) fn relay_tx(&mut self, from: Option<PeerId>, txid: Txid, wtxid: Wtxid) {
        // Looked up once, and only when some peer has a filter.
        let mut fee: Option<Option<(i64, u64)>> = None;
        for (id, st) in self.peers.iter_mut() {
            if Some(*id) == from || !st.handshake_done || !st.relays_txs() {
                continue;
            }
            // BIP133: skip peers whose feefilter the transaction does not meet.
            let filter = st.peer.stats().fee_filter;
            if filter > 0 {
                let fee_vsize =
                    *fee.get_or_insert_with(|| self.backend.mempool_fee(&TxRef::Wtxid(wtxid)));
                if fee_vsize.is_some_and(|(fee, vsize)| fee < fee_for(filter, vsize)) {
                    continue;
                }
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

/// The fee a transaction of `vsize` vbytes pays at `rate` sat/kvB, rounded up
/// (Core's `CFeeRate::GetFee`).
fn fee_for(rate: i64, vsize: u64) -> i64 {
    let vsize = i64::try_from(vsize).unwrap_or(i64::MAX);
    rate.saturating_mul(vsize)
        .saturating_add(999)
        .div_euclid(1000)
}

/// The id under which a refused 1p1c package is remembered (Core's
/// `GetPackageHash`): SHA256 of the members' wtxids in ascending order.
fn package_hash(txs: &[&Arc<Transaction>]) -> [u8; 32] {
    let mut wtxids: Vec<[u8; 32]> = txs
        .iter()
        .map(|t| t.compute_wtxid().to_byte_array())
        .collect();
    // Core orders them as 256-bit numbers, which are stored little-endian.
    wtxids.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
    let mut engine = bitcoin::hashes::sha256::Hash::engine();
    for w in &wtxids {
        bitcoin::hashes::HashEngine::input(&mut engine, w);
    }
    bitcoin::hashes::sha256::Hash::from_engine(engine).to_byte_array()
}
