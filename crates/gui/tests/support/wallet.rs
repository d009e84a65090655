//! A fake `interfaces::wallet::{WalletLoader, Wallet}` for the wallet
//! screen tests: wallets whose balances, transactions and statuses the
//! test sets, that remember what the GUI asked (transactions created and
//! committed, requests saved, passphrases), and build real transactions
//! from the recipients they are given.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};
use interfaces::chain::ChainClient;
use interfaces::handler::Handler;
use interfaces::wallet::*;
use interfaces::{BilingualStr, Error, Outcome, Result};

use super::{handler, not_faked};

/// One fake wallet's state.
#[derive(Default)]
pub struct State {
    /// Name.
    pub name: String,
    /// Balances.
    pub balances: WalletBalances,
    /// Transactions.
    pub txs: Vec<WalletTx>,
    /// Statuses by transaction.
    pub statuses: BTreeMap<Txid, WalletTxStatus>,
    /// Address book: destination, label, purpose.
    pub book: Vec<(TxDestination, String, i32)>,
    /// Saved requests by (destination, id).
    pub requests: BTreeMap<(Vec<u8>, Vec<u8>), Vec<u8>>,
    /// Passphrase when encrypted.
    pub passphrase: Option<String>,
    /// Locked.
    pub locked: bool,
    /// Watch-only.
    pub watch_only: bool,
    /// Coins for coin control.
    pub coins: Vec<(OutPoint, WalletTxOut)>,
    /// Locked coins.
    pub locked_coins: Vec<OutPoint>,
    /// Recipients and coin control of every createTransaction, and
    /// whether it was asked to sign.
    pub created: Vec<(Vec<Recipient>, CoinControl, bool)>,
    /// Committed transactions.
    pub committed: Vec<Transaction>,
    /// Abandoned transactions.
    pub abandoned: Vec<Txid>,
    /// Bumps committed: (original, replacement).
    pub bumped: Vec<(Txid, Txid)>,
    /// Addresses handed out.
    pub next_address: u8,
    /// Fee per kvB getMinimumFee answers.
    pub fee_per_kvb: i64,
    /// Unload registrations.
    pub unload: Vec<Box<dyn UnloadWalletCallback>>,
    /// Transaction-change registrations.
    pub changed: Vec<Box<dyn TransactionChangedCallback>>,
    /// fillPSBT calls.
    pub filled: usize,
}

/// A fake wallet; clones share their state.
#[derive(Clone, Default)]
pub struct FakeWallet(pub Arc<Mutex<State>>);

impl FakeWallet {
    /// A wallet called `name`.
    pub fn named(name: &str) -> FakeWallet {
        let w = FakeWallet::default();
        {
            let mut s = w.state();
            s.name = name.into();
            s.fee_per_kvb = 1_000;
        }
        w
    }

    /// Unloads it, as `unloadwallet` does: the registrations hear of it.
    pub fn unload_now(&self) {
        let callbacks = std::mem::take(&mut self.state().unload);
        for c in callbacks {
            let _ = c.call();
        }
    }

    /// Its state.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }

    /// Adds a transaction paying `amount` to a wallet address `n`, with
    /// `depth` confirmations at `time`.
    pub fn receive(&self, n: u8, amount: u64, depth: i32, time: i64) -> Txid {
        let script = p2wpkh(n);
        let tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(Txid::from_byte_array([n; 32]), 0),
                ..Default::default()
            }],
            output: vec![TxOut {
                value: Amount::from_sat(amount),
                script_pubkey: script.clone(),
            }],
        };
        let txid = tx.compute_txid();
        let mut s = self.state();
        s.coins.push((
            OutPoint::new(txid, 0),
            WalletTxOut {
                txout: tx.output[0].clone(),
                time,
                depth_in_main_chain: depth,
                is_spent: false,
            },
        ));
        s.statuses.insert(txid, status(depth));
        s.txs.push(WalletTx {
            txout_address: vec![TxDestination::from_script(&script)],
            tx,
            txin_is_mine: vec![false],
            txout_is_mine: vec![true],
            txout_is_change: vec![false],
            txout_address_is_mine: vec![true],
            credit: amount as i64,
            debit: 0,
            change: 0,
            time,
            value_map: Vec::new(),
            is_coinbase: false,
        });
        txid
    }
}

/// A status at `depth`.
pub fn status(depth: i32) -> WalletTxStatus {
    WalletTxStatus {
        block_height: if depth > 0 { 100 - depth + 1 } else { i32::MAX },
        blocks_to_maturity: 0,
        depth_in_main_chain: depth,
        time_received: 0,
        lock_time: 0,
        is_trusted: true,
        is_abandoned: false,
        is_coinbase: false,
        is_in_main_chain: depth > 0,
    }
}

/// The P2WPKH script of key hash `[n; 20]`.
pub fn p2wpkh(n: u8) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([n; 20]))
}

/// The regtest address of [`p2wpkh`].
pub fn address(n: u8) -> String {
    bitcoin::Address::from_script(&p2wpkh(n), bitcoin::Network::Regtest)
        .unwrap()
        .to_string()
}

impl Wallet for FakeWallet {
    fn encrypt_wallet(&self, pass: &[u8]) -> Result<bool> {
        let mut s = self.state();
        s.passphrase = Some(String::from_utf8_lossy(pass).into_owned());
        s.locked = true;
        Ok(true)
    }
    fn is_crypted(&self) -> Result<bool> {
        Ok(self.state().passphrase.is_some())
    }
    fn lock(&self) -> Result<bool> {
        let mut s = self.state();
        s.locked = s.passphrase.is_some();
        Ok(true)
    }
    fn unlock(&self, pass: &[u8]) -> Result<bool> {
        let mut s = self.state();
        let ok = s.passphrase.as_deref().map(str::as_bytes) == Some(pass);
        if ok {
            s.locked = false;
        }
        Ok(ok)
    }
    fn is_locked(&self) -> Result<bool> {
        Ok(self.state().locked)
    }
    fn change_wallet_passphrase(&self, old: &[u8], new: &[u8]) -> Result<bool> {
        let mut s = self.state();
        if s.passphrase.as_deref().map(str::as_bytes) != Some(old) {
            return Ok(false);
        }
        s.passphrase = Some(String::from_utf8_lossy(new).into_owned());
        Ok(true)
    }
    fn abort_rescan(&self) -> Result<()> {
        Ok(())
    }
    fn backup_wallet(&self, filename: &str) -> Result<bool> {
        Ok(std::fs::write(filename, b"fake wallet").is_ok())
    }
    fn get_wallet_name(&self) -> Result<String> {
        Ok(self.state().name.clone())
    }
    fn get_new_destination(&self, _: i32, label: &str) -> Result<Outcome<TxDestination>> {
        let mut s = self.state();
        if s.locked {
            return Ok(Err("Error: Keypool ran out".into()));
        }
        s.next_address += 1;
        let dest = TxDestination::from_script(&p2wpkh(200 + s.next_address));
        s.book.push((dest.clone(), label.into(), 0));
        Ok(Ok(dest))
    }
    fn get_pub_key(&self, _: &ScriptBuf, _: &[u8; 20]) -> Result<(Vec<u8>, bool)> {
        Ok((Vec::new(), false))
    }
    fn sign_message(&self, _: &str, _: &[u8; 20]) -> Result<(String, i32)> {
        Ok((String::new(), 1))
    }
    fn is_spendable(&self, _: &TxDestination) -> Result<bool> {
        Ok(true)
    }
    fn set_address_book(&self, dest: &TxDestination, name: &str, purpose: i32) -> Result<bool> {
        let mut s = self.state();
        s.book.retain(|(d, _, _)| d != dest);
        s.book.push((dest.clone(), name.into(), purpose));
        Ok(true)
    }
    fn del_address_book(&self, dest: &TxDestination) -> Result<bool> {
        let mut s = self.state();
        let before = s.book.len();
        s.book.retain(|(d, _, _)| d != dest);
        Ok(s.book.len() < before)
    }
    fn get_address(&self, _: &TxDestination, _: bool, _: bool) -> Result<(String, i32, bool)> {
        Ok((String::new(), 0, false))
    }
    fn get_addresses(&self) -> Result<Vec<WalletAddress>> {
        Ok(self
            .state()
            .book
            .iter()
            .map(|(dest, name, purpose)| WalletAddress {
                dest: dest.clone(),
                is_mine: *purpose == 0,
                name: name.clone(),
                purpose: *purpose,
            })
            .collect())
    }
    fn get_address_receive_requests(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self.state().requests.values().cloned().collect())
    }
    fn set_address_receive_request(
        &self,
        dest: &TxDestination,
        id: &[u8],
        value: &[u8],
    ) -> Result<bool> {
        let key = (
            dest.script_pubkey().unwrap_or_default().to_bytes(),
            id.to_vec(),
        );
        let mut s = self.state();
        if value.is_empty() {
            s.requests.remove(&key);
        } else {
            s.requests.insert(key, value.to_vec());
        }
        Ok(true)
    }
    fn display_address(&self, _: &TxDestination) -> Result<Outcome<()>> {
        not_faked()
    }
    fn lock_coin(&self, output: &OutPoint, _: bool) -> Result<bool> {
        self.state().locked_coins.push(*output);
        Ok(true)
    }
    fn unlock_coin(&self, output: &OutPoint) -> Result<bool> {
        self.state().locked_coins.retain(|o| o != output);
        Ok(true)
    }
    fn is_locked_coin(&self, output: &OutPoint) -> Result<bool> {
        Ok(self.state().locked_coins.contains(output))
    }
    fn list_locked_coins(&self) -> Result<Vec<OutPoint>> {
        Ok(self.state().locked_coins.clone())
    }
    fn create_transaction(
        &self,
        recipients: &[Recipient],
        coin_control: &CoinControl,
        sign: bool,
        _: i32,
    ) -> Result<(i32, i64, Outcome<Transaction>)> {
        let mut s = self.state();
        if sign && s.locked {
            return Ok((
                -1,
                0,
                Err(
                    "Error: Please enter the wallet passphrase with walletpassphrase first.".into(),
                ),
            ));
        }
        s.created
            .push((recipients.to_vec(), coin_control.clone(), sign));
        let fee = 1_410;
        let input: Vec<TxIn> = s
            .coins
            .iter()
            .take(1)
            .map(|(op, _)| TxIn {
                previous_output: *op,
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: if sign {
                    Witness::from_slice(&[vec![1u8; 71], vec![2u8; 33]])
                } else {
                    Witness::new()
                },
                ..Default::default()
            })
            .collect();
        let output = recipients
            .iter()
            .map(|r| TxOut {
                value: Amount::from_sat(
                    (r.amount - if r.subtract_fee_from_amount { fee } else { 0 }) as u64,
                ),
                script_pubkey: r.dest.script_pubkey().unwrap_or_default(),
            })
            .collect();
        let tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input,
            output,
        };
        Ok((-1, fee, Ok(tx)))
    }
    fn commit_transaction(
        &self,
        tx: &Transaction,
        _: &[(String, String)],
        _: &[(String, String)],
    ) -> Result<()> {
        self.state().committed.push(tx.clone());
        Ok(())
    }
    fn transaction_can_be_abandoned(&self, txid: &Txid) -> Result<bool> {
        Ok(self
            .state()
            .statuses
            .get(txid)
            .is_some_and(|s| s.depth_in_main_chain == 0))
    }
    fn abandon_transaction(&self, txid: &Txid) -> Result<bool> {
        let callbacks = {
            let mut s = self.state();
            s.abandoned.push(*txid);
            if let Some(st) = s.statuses.get_mut(txid) {
                st.is_abandoned = true;
            }
            std::mem::take(&mut s.changed)
        };
        // As Core's wallet, it tells its listeners.
        for c in &callbacks {
            let _ = c.call(txid, 1);
        }
        self.state().changed = callbacks;
        Ok(true)
    }
    fn transaction_can_be_bumped(&self, _: &Txid) -> Result<bool> {
        Ok(true)
    }
    fn create_bump_transaction(&self, txid: &Txid, _: &CoinControl) -> Result<BumpTransaction> {
        let s = self.state();
        let tx = s.txs.iter().find(|t| t.tx.compute_txid() == *txid);
        Ok(match tx {
            Some(t) => {
                let mut mtx = t.tx.clone();
                mtx.lock_time = LockTime::from_consensus(1);
                BumpTransaction {
                    errors: Vec::new(),
                    old_fee: 1_000,
                    new_fee: 2_000,
                    mtx,
                    made: true,
                }
            }
            None => BumpTransaction {
                errors: vec![BilingualStr::from("Invalid or non-wallet transaction id")],
                old_fee: 0,
                new_fee: 0,
                mtx: Transaction {
                    version: Version::TWO,
                    lock_time: LockTime::ZERO,
                    input: Vec::new(),
                    output: Vec::new(),
                },
                made: false,
            },
        })
    }
    fn sign_bump_transaction(&self, mtx: &Transaction) -> Result<(Transaction, bool)> {
        Ok((mtx.clone(), !self.state().locked))
    }
    fn commit_bump_transaction(
        &self,
        txid: &Txid,
        mtx: &Transaction,
    ) -> Result<(Vec<BilingualStr>, Txid, bool)> {
        let new = mtx.compute_txid();
        self.state().bumped.push((*txid, new));
        Ok((Vec::new(), new, true))
    }
    fn get_tx(&self, txid: &Txid) -> Result<Option<Transaction>> {
        Ok(self
            .state()
            .txs
            .iter()
            .find(|t| t.tx.compute_txid() == *txid)
            .map(|t| t.tx.clone()))
    }
    fn get_wallet_tx(&self, txid: &Txid) -> Result<WalletTx> {
        self.state()
            .txs
            .iter()
            .find(|t| t.tx.compute_txid() == *txid)
            .cloned()
            .map_or_else(not_faked, Ok)
    }
    fn get_wallet_txs(&self) -> Result<Vec<WalletTx>> {
        Ok(self.state().txs.clone())
    }
    fn try_get_tx_status(&self, txid: &Txid) -> Result<(WalletTxStatus, i32, i64, bool)> {
        let s = self.state();
        Ok(match s.statuses.get(txid) {
            Some(st) => (st.clone(), 100, 0, true),
            None => (status(0), 100, 0, false),
        })
    }
    fn get_wallet_tx_details(&self, txid: &Txid) -> Result<WalletTxDetails> {
        let wtx = self.get_wallet_tx(txid)?;
        let tx_status = self
            .state()
            .statuses
            .get(txid)
            .cloned()
            .unwrap_or(status(0));
        Ok(WalletTxDetails {
            tx_status,
            order_form: Vec::new(),
            in_mempool: false,
            num_blocks: 100,
            wtx,
        })
    }
    fn get_balances(&self) -> Result<WalletBalances> {
        Ok(self.state().balances)
    }
    fn fill_psbt(
        &self,
        _: i32,
        sign: bool,
        _: bool,
        _: bool,
        psbt: &[u8],
    ) -> Result<(u64, Vec<u8>, bool, i32)> {
        // Updates are recorded; "signing" finalizes every input with a
        // dummy witness, so the GUI sees a complete PSBT.
        let mut p = psbt::Psbt::deserialize(psbt).map_err(|e| Error::Remote(e.to_string()))?;
        self.state().filled += 1;
        if sign && !self.state().locked {
            for input in &mut p.inputs {
                input.final_script_witness = vec![vec![1u8; 64]];
            }
        }
        let n = if sign { p.inputs.len() as u64 } else { 0 };
        Ok((n, p.serialize(), sign, 7))
    }
    fn try_get_balances(&self) -> Result<(WalletBalances, BlockHash, bool)> {
        Ok((self.state().balances, BlockHash::all_zeros(), true))
    }
    fn get_balance(&self) -> Result<i64> {
        Ok(self.state().balances.balance)
    }
    fn get_available_balance(&self, cc: &CoinControl) -> Result<i64> {
        let s = self.state();
        Ok(s.coins
            .iter()
            .filter(|(op, _)| cc.set_selected.contains(op))
            .map(|(_, c)| c.txout.value.to_sat() as i64)
            .sum())
    }
    fn txin_is_mine(&self, _: &TxIn) -> Result<bool> {
        Ok(false)
    }
    fn txout_is_mine(&self, _: &TxOut) -> Result<bool> {
        Ok(false)
    }
    fn get_debit(&self, _: &TxIn) -> Result<i64> {
        Ok(0)
    }
    fn get_credit(&self, _: &TxOut) -> Result<i64> {
        Ok(0)
    }
    fn list_coins(&self) -> Result<CoinsByDestination> {
        let s = self.state();
        Ok(s.coins
            .iter()
            .filter(|(op, _)| !s.locked_coins.contains(op))
            .map(|(op, c)| {
                (
                    TxDestination::from_script(&c.txout.script_pubkey),
                    vec![(*op, c.clone())],
                )
            })
            .collect())
    }
    fn get_coins(&self, outputs: &[OutPoint]) -> Result<Vec<WalletTxOut>> {
        let s = self.state();
        Ok(outputs
            .iter()
            .map(|o| {
                s.coins
                    .iter()
                    .find(|(op, _)| op == o)
                    .map(|(_, c)| c.clone())
                    .unwrap_or(WalletTxOut {
                        txout: TxOut::NULL,
                        time: 0,
                        depth_in_main_chain: 0,
                        is_spent: false,
                    })
            })
            .collect())
    }
    fn get_required_fee(&self, _: u32) -> Result<i64> {
        Ok(1_000)
    }
    fn get_minimum_fee(
        &self,
        tx_bytes: u32,
        cc: &CoinControl,
        _: bool,
        _: bool,
    ) -> Result<(i32, i32, i64)> {
        let per_kvb = self.state().fee_per_kvb;
        // FALLBACK, as a node without fee estimates answers.
        Ok((
            cc.confirm_target.unwrap_or(6),
            5,
            per_kvb * i64::from(tx_bytes) / 1000,
        ))
    }
    fn get_confirm_target(&self) -> Result<u32> {
        Ok(6)
    }
    fn hd_enabled(&self) -> Result<bool> {
        Ok(true)
    }
    fn can_get_addresses(&self) -> Result<bool> {
        Ok(!self.state().watch_only)
    }
    fn private_keys_disabled(&self) -> Result<bool> {
        Ok(self.state().watch_only)
    }
    fn taproot_enabled(&self) -> Result<bool> {
        Ok(true)
    }
    fn has_external_signer(&self) -> Result<bool> {
        Ok(false)
    }
    fn get_default_address_type(&self) -> Result<i32> {
        Ok(2)
    }
    fn get_default_max_tx_fee(&self) -> Result<i64> {
        Ok(10_000_000)
    }
    fn remove(&self) -> Result<()> {
        self.unload_now();
        Ok(())
    }
    fn handle_unload(&self, cb: Box<dyn UnloadWalletCallback>) -> Result<Box<dyn Handler>> {
        self.state().unload.push(cb);
        handler()
    }
    fn handle_show_progress(
        &self,
        _: Box<dyn ShowWalletProgressCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_status_changed(&self, _: Box<dyn StatusChangedCallback>) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_address_book_changed(
        &self,
        _: Box<dyn AddressBookChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_transaction_changed(
        &self,
        cb: Box<dyn TransactionChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        self.state().changed.push(cb);
        handler()
    }
    fn handle_can_get_addresses_changed(
        &self,
        _: Box<dyn CanGetAddressesChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
}

/// A fake loader over shared wallets.
#[derive(Clone, Default)]
pub struct FakeLoader {
    /// Loaded wallets.
    pub wallets: Arc<Mutex<Vec<FakeWallet>>>,
    /// Wallets on disk, not loaded: name.
    pub on_disk: Arc<Mutex<Vec<FakeWallet>>>,
}

impl FakeLoader {
    /// A loader with `wallets` loaded.
    pub fn with(wallets: &[FakeWallet]) -> FakeLoader {
        let l = FakeLoader::default();
        *l.wallets.lock().unwrap() = wallets.to_vec();
        l
    }
}

fn load(w: &FakeWallet) -> WalletLoad {
    WalletLoad {
        warning: Vec::new(),
        wallet: Ok(Box::new(w.clone())),
    }
}

impl ChainClient for FakeLoader {
    fn register_rpcs(&self) -> Result<()> {
        Ok(())
    }
    fn verify(&self) -> Result<bool> {
        Ok(true)
    }
    fn load(&self) -> Result<bool> {
        Ok(true)
    }
    fn start(&self) -> Result<()> {
        Ok(())
    }
    fn stop(&self) -> Result<()> {
        Ok(())
    }
    fn set_mock_time(&self, _: i64) -> Result<()> {
        Ok(())
    }
    fn scheduler_mock_forward(&self, _: i64) -> Result<()> {
        Ok(())
    }
}

impl WalletLoader for FakeLoader {
    fn create_wallet(&self, name: &str, passphrase: &str, flags: u64) -> Result<WalletLoad> {
        let w = FakeWallet::named(name);
        {
            let mut s = w.state();
            s.watch_only = flags & (1 << 32) != 0;
            if !passphrase.is_empty() {
                s.passphrase = Some(passphrase.into());
                s.locked = true;
            }
        }
        self.wallets.lock().unwrap().push(w.clone());
        Ok(load(&w))
    }
    fn load_wallet(&self, name: &str) -> Result<WalletLoad> {
        let mut disk = self.on_disk.lock().unwrap();
        match disk.iter().position(|w| w.state().name == name) {
            Some(i) => {
                let w = disk.remove(i);
                self.wallets.lock().unwrap().push(w.clone());
                Ok(load(&w))
            }
            None => Ok(WalletLoad {
                warning: Vec::new(),
                wallet: Err("Wallet file not found".into()),
            }),
        }
    }
    fn get_wallet_dir(&self) -> Result<String> {
        Ok("/fake/wallets".into())
    }
    fn restore_wallet(&self, _: &Path, name: &str, _: bool) -> Result<WalletLoad> {
        self.create_wallet(name, "", 0)
    }
    fn migrate_wallet(&self, _: &str, _: &str) -> Result<Outcome<WalletMigrationResult>> {
        not_faked()
    }
    fn is_encrypted(&self, _: &str) -> Result<bool> {
        Ok(false)
    }
    fn list_wallet_dir(&self) -> Result<Vec<(String, String)>> {
        let mut all: Vec<(String, String)> = self
            .wallets
            .lock()
            .unwrap()
            .iter()
            .chain(self.on_disk.lock().unwrap().iter())
            .map(|w| (w.state().name.clone(), "sqlite".to_string()))
            .collect();
        all.sort();
        Ok(all)
    }
    fn get_wallets(&self) -> Result<Vec<Box<dyn Wallet>>> {
        Ok(self
            .wallets
            .lock()
            .unwrap()
            .iter()
            .map(|w| Box::new(w.clone()) as Box<dyn Wallet>)
            .collect())
    }
    fn handle_load_wallet(&self, _: Box<dyn LoadWalletCallback>) -> Result<Box<dyn Handler>> {
        handler()
    }
}
