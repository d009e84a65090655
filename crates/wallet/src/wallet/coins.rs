//! Balances, locked coins, abandonment and backups of one wallet.

use super::{Wallet, Writes};
use crate::ledger::{balance, Balance};
use bitcoin::{OutPoint, Txid};
use std::path::Path;

impl Wallet {
    /// The wallet's balances at `min_depth` (Core's `GetBalance`); with
    /// `include_nonmempool` coins spent by wallet transactions outside the
    /// mempool still count, and `nonmempool` sums them (negatively).
    pub fn balance(&self, min_depth: i32, avoid_reuse: bool, include_nonmempool: bool) -> Balance {
        let state = self.lock();
        let reuse_check = |s: &bitcoin::Script| {
            self.address_of(&s.to_owned())
                .and_then(|a| state.address_book.get(&a))
                .is_some_and(|e| e.previously_spent)
        };
        let avoid = if avoid_reuse && state.has_flag(crate::db::records::flags::AVOID_REUSE) {
            Some(&reuse_check as &dyn Fn(&bitcoin::Script) -> bool)
        } else {
            None
        };
        balance::balance(
            &state.ledger,
            min_depth,
            avoid,
            include_nonmempool,
            self.options.spend_zero_conf_change(),
        )
    }

    /// Locks a coin against spending (Core's `LockCoin`); stored when
    /// `persist`.
    pub fn lock_coin(&self, outpoint: OutPoint, persist: bool) -> Result<(), String> {
        let mut state = self.lock();
        state.locked_coins.insert(outpoint, persist);
        let mut writes = Writes::default();
        if persist {
            writes.locked.push((outpoint, true));
        }
        self.commit(&mut state, writes)
    }

    /// Unlocks a coin (Core's `UnlockCoin`); false when it was not locked.
    pub fn unlock_coin(&self, outpoint: OutPoint) -> Result<bool, String> {
        let mut state = self.lock();
        let Some(persisted) = state.locked_coins.remove(&outpoint) else {
            return Ok(false);
        };
        let mut writes = Writes::default();
        if persisted {
            writes.locked.push((outpoint, false));
        }
        self.commit(&mut state, writes)?;
        Ok(true)
    }

    /// Unlocks every coin (Core's `UnlockAllCoins`).
    pub fn unlock_all_coins(&self) -> Result<(), String> {
        let mut state = self.lock();
        let all: Vec<(OutPoint, bool)> = std::mem::take(&mut state.locked_coins)
            .into_iter()
            .collect();
        let writes = Writes {
            locked: all
                .into_iter()
                .filter(|(_, p)| *p)
                .map(|(o, _)| (o, false))
                .collect(),
            ..Default::default()
        };
        self.commit(&mut state, writes)
    }

    /// Abandons `txid` (false when it is confirmed or in the mempool).
    pub fn abandon(&self, txid: &Txid) -> Result<bool, String> {
        let mut state = self.lock();
        let done = state.ledger.abandon(txid);
        self.commit(&mut state, Writes::default())?;
        Ok(done)
    }

    /// Copies the wallet to `dest` (Core's `BackupWallet`): the sync point
    /// first, then SQLite's online backup.
    pub fn backup(&self, dest: &Path) -> Result<(), String> {
        let mut state = self.lock();
        state.ledger.request_best_block();
        self.commit(&mut state, Writes::default())?;
        state.db.backup(dest).map_err(|e| e.message)
    }

    /// Tells the status callbacks the lock state changed.
    pub fn notify_status_changed(&self) {
        let list: Vec<_> = self
            .callbacks
            .status_changed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, c)| c.clone())
            .collect();
        for c in list {
            let _ = c.call();
        }
    }
}
