//! Transactions the user hands the wallet or takes from it without a
//! rescan (Core's `importprunedfunds` and `RemoveTxs`).

use super::{registered, Wallet};
use crate::db::batch::WalletBatch;
use bitcoin::Txid;

/// Core's `CT_DELETED`, the `ChangeType` of a removed transaction.
const CHANGE_DELETED: i32 = 2;

impl Wallet {
    /// Removes `txids` from the wallet, on disk and in memory (Core's
    /// `RemoveTxs`): all or none. Coins the removed transactions spent
    /// stay spent while another wallet transaction spends them.
    pub fn remove_txs(&self, txids: &[Txid]) -> Result<(), String> {
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Some(t) = txids.iter().find(|t| state.ledger.get(t).is_none()) {
            return Err(format!("Transaction {t} does not belong to this wallet"));
        }
        let mut failed = None;
        let written = state.db.run_in_txn(|batch| {
            for t in txids {
                if let Err(e) = batch.erase_tx(t) {
                    failed = Some(*t);
                    return Err(e);
                }
            }
            Ok(())
        });
        if written.is_err() {
            return Err(match failed {
                Some(t) => format!("Failure removing transaction: {t}"),
                None => "Error starting/committing db txn for wallet transactions removal process"
                    .to_string(),
            });
        }
        for t in txids {
            state.ledger.remove(t);
        }
        drop(guard);
        let list = registered(&self.callbacks.transaction_changed);
        for t in txids {
            for c in &list {
                let _ = c.call(t, CHANGE_DELETED);
            }
        }
        Ok(())
    }
}
