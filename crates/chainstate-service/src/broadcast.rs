//! Submitting a local transaction: to the mempool and to peers, for RPC and
//! for wallets (Core's `node::BroadcastTransaction`).

use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, Txid};
use consensus::{CoinsView, TxResult};

use crate::NodeChain;

/// Why a transaction was not broadcast (Core's `TransactionError`; the
/// discriminants are Core's numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastError {
    /// Its inputs are missing or spent.
    MissingInputs(String),
    /// Its outputs are already in the UTXO set (it is confirmed).
    AlreadyInUtxoSet,
    /// The mempool refused it, for this reason.
    MempoolRejected(String),
    /// Its fee is above the caller's maximum.
    MaxFeeExceeded,
}

impl BroadcastError {
    /// Core's `TransactionError` number.
    pub fn code(&self) -> i32 {
        match self {
            BroadcastError::MissingInputs(_) => 1,
            BroadcastError::AlreadyInUtxoSet => 2,
            BroadcastError::MempoolRejected(_) => 3,
            BroadcastError::MaxFeeExceeded => 5,
        }
    }

    /// The mempool's reason where there is one, else Core's
    /// `TransactionErrorString`.
    pub fn message(&self) -> String {
        match self {
            BroadcastError::MissingInputs(reason) | BroadcastError::MempoolRejected(reason) => {
                reason.clone()
            }
            BroadcastError::AlreadyInUtxoSet => "Transaction outputs already in utxo set".into(),
            BroadcastError::MaxFeeExceeded => {
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into()
            }
        }
    }
}

/// How far a transaction goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// Into the mempool and to every peer.
    ToAll,
    /// Into the mempool only.
    MempoolOnly,
}

impl NodeChain {
    /// Submits `tx` (unless its outputs are already confirmed or it is in the
    /// mempool already) and announces it. `max_tx_fee` > 0 refuses higher
    /// absolute fees. With `wait_for_clients`, returns only once clients
    /// (wallets) were told of the new mempool transaction.
    pub fn broadcast_transaction(
        &self,
        tx: Arc<Transaction>,
        max_tx_fee: i64,
        relay: Relay,
        wait_for_clients: bool,
    ) -> Result<Txid, BroadcastError> {
        let txid = tx.compute_txid();
        let mut wtxid = tx.compute_wtxid();
        let mut added = false;
        {
            let cs = self.lock();
            let mut pool = self.pool();
            let confirmed = (0..tx.output.len() as u32)
                .any(|vout| cs.coins().coin(&OutPoint::new(txid, vout)).is_some());
            if confirmed {
                return Err(BroadcastError::AlreadyInUtxoSet);
            }
            if let Some(e) = pool.get(&txid) {
                // Announce the pool's copy, whatever witness it has.
                wtxid = e.wtxid;
            } else {
                let refused = |e: consensus::ValidationError| match e.tx_result() {
                    Some(TxResult::MissingInputs) => BroadcastError::MissingInputs(e.to_string()),
                    _ => BroadcastError::MempoolRejected(e.to_string()),
                };
                if max_tx_fee > 0 {
                    let checked = pool
                        .accept(&cs, tx.clone(), self.policy(), true)
                        .map_err(refused)?;
                    if checked.fee > max_tx_fee {
                        return Err(BroadcastError::MaxFeeExceeded);
                    }
                }
                pool.accept(&cs, tx.clone(), self.policy(), false)
                    .map_err(refused)?;
                added = true;
                if relay == Relay::ToAll {
                    // Announced again until a peer fetches it (Core's
                    // best-effort initial broadcast); a transaction already
                    // in the pool came from elsewhere and is not tracked.
                    pool.add_unbroadcast(txid);
                }
            }
        }
        if added && wait_for_clients {
            self.signals().wait_idle();
        }
        if relay == Relay::ToAll {
            self.relay_transaction(txid, wtxid);
        }
        Ok(txid)
    }

    /// Announces again every transaction of the unbroadcast set, which no
    /// peer has fetched since it was submitted here (Core's
    /// `ReattemptInitialBroadcast`, run by the node's scheduler).
    pub fn reattempt_initial_broadcast(&self) {
        let announce: Vec<_> = {
            let mut pool = self.pool();
            let mut found = Vec::new();
            for txid in pool.unbroadcast() {
                match pool.get(&txid) {
                    Some(e) => found.push((txid, e.wtxid)),
                    // Leaving the pool clears the mark, so this is only a
                    // safeguard against announcing what we cannot serve.
                    None => pool.remove_unbroadcast(&txid, true),
                }
            }
            found
        };
        // Announced outside the pool lock: the P2P layer takes it to answer.
        for (txid, wtxid) in announce {
            self.relay_transaction(txid, wtxid);
        }
    }
}

impl NodeChain {
    /// Submits a child with its parents as one package (`submitpackage`):
    /// see [`mempool::Mempool::accept_package`]. Afterwards every member in
    /// the pool, new or not, is announced to all peers once clients were
    /// told of the additions (Core broadcasts each as `BroadcastTransaction`
    /// with `wait_callback`).
    pub fn submit_package(
        &self,
        txs: &[Arc<Transaction>],
        max_feerate: Option<i64>,
    ) -> mempool::PackageOutcome {
        let (outcome, in_pool) = {
            let cs = self.lock();
            let mut pool = self.pool();
            let outcome = pool.accept_package(&cs, txs, self.policy(), max_feerate);
            let in_pool: Vec<_> = txs
                .iter()
                .filter_map(|t| {
                    pool.get(&t.compute_txid())
                        .map(|e| (t.compute_txid(), e.wtxid))
                })
                .collect();
            (outcome, in_pool)
        };
        if !in_pool.is_empty() {
            self.signals().wait_idle();
        }
        for (txid, wtxid) in in_pool {
            self.relay_transaction(txid, wtxid);
        }
        outcome
    }
}
