//! Balances, the coins the GUI's coin control lists, locked coins,
//! abandonment and backups of one wallet.

use super::spending::WalletSpendEnv;
use super::{State, Wallet, Writes};
use crate::coinselection::{Coin, FeeRate};
use crate::ledger::{balance, Balance};
use crate::spend::{available_coins, fetch_selected_inputs, CoinControl, CoinFilterParams};
use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, TxOut, Txid};
use interfaces::wallet::TxDestination;
use std::collections::HashMap;
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

    /// What coin control could spend (Core's `getAvailableBalance`): the
    /// selected coins (when they can be used; errors are swallowed, as in
    /// Core) plus, when coin control allows other inputs, the wallet's
    /// available coins.
    pub fn available_balance(&self, coin_control: &CoinControl) -> i64 {
        let mut state = self.lock();
        let snapshot = self.spend_snapshot(&state);
        let env = WalletSpendEnv::new(self, &mut state);
        let wallet = snapshot.view(&env, self.fee_config());
        let mut total = 0i64;
        if coin_control.has_selected() {
            if let Ok(selected) = fetch_selected_inputs(&wallet, coin_control, FeeRate::ZERO) {
                total = total.saturating_add(selected.total_amount());
            }
        }
        if coin_control.allow_other_inputs {
            let params = CoinFilterParams::default();
            if let Ok(coins) = available_coins(&wallet, Some(coin_control), None, &params) {
                total = total.saturating_add(coins.total_amount());
            }
        }
        total
    }

    /// The output a coin "comes from" for coin control's tree (Core's
    /// `FindNonChangeParentOutput`): following change back through first
    /// inputs while they spend the wallet's own outputs.
    pub fn non_change_parent_output<'a>(
        &self,
        state: &'a State,
        outpoint: &OutPoint,
    ) -> Option<&'a TxOut> {
        let mut tx = state.ledger.get(&outpoint.txid)?.tx();
        let mut n = outpoint.vout as usize;
        while tx
            .output
            .get(n)
            .is_some_and(|o| self.is_change(state, &o.script_pubkey))
        {
            let Some(prevout) = tx.input.first().map(|i| i.previous_output) else {
                break;
            };
            let Some(parent) = state.ledger.get(&prevout.txid).map(|e| e.tx()) else {
                break;
            };
            match parent.output.get(prevout.vout as usize) {
                Some(o) if state.keys.is_mine(&o.script_pubkey) => {}
                _ => break,
            }
            tx = parent;
            n = prevout.vout as usize;
        }
        tx.output.get(n)
    }

    /// The coins coin control shows (Core's `ListCoins`): the available
    /// coins, locked ones included, grouped by the destination of their
    /// non-change parent output (bare public keys as their key hash), in
    /// the order the destinations first appear.
    pub fn list_coins(&self, state: &mut State) -> Vec<(TxDestination, Vec<Coin>)> {
        let snapshot = self.spend_snapshot(state);
        let coins = {
            let env = WalletSpendEnv::new(self, state);
            let wallet = snapshot.view(&env, self.fee_config());
            let params = CoinFilterParams {
                skip_locked: false,
                ..Default::default()
            };
            let cc = CoinControl::new(self.fee_config());
            // Without a fee rate the node is not asked anything.
            available_coins(&wallet, Some(&cc), None, &params).unwrap_or_default()
        };
        let mut groups: Vec<(TxDestination, Vec<Coin>)> = Vec::new();
        let mut index: HashMap<TxDestination, usize> = HashMap::new();
        for (_, coin) in coins.all() {
            let Some(parent) = self.non_change_parent_output(state, &coin.outpoint) else {
                continue;
            };
            let dest = match TxDestination::from_script(&parent.script_pubkey) {
                TxDestination::None => continue,
                TxDestination::PubKey(k) => {
                    TxDestination::PkHash(bitcoin::hashes::hash160::Hash::hash(&k).to_byte_array())
                }
                d => d,
            };
            let i = *index.entry(dest.clone()).or_insert_with(|| {
                groups.push((dest, Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(coin.clone());
        }
        groups
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
        for c in super::registered(&self.callbacks.status_changed) {
            let _ = c.call();
        }
    }
}
