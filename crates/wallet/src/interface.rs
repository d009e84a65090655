//! A loaded wallet seen from another process (Core's `WalletImpl`): what
//! the node's supervisor and the GUI call through `interfaces::Wallet`.
//! Calls this wallet cannot serve yet answer a clear error naming the call.

use crate::context::WalletContext;
use crate::db::records::AddressPurpose;
use crate::wallet::Wallet;
use bitcoin::{BlockHash, OutPoint, ScriptBuf, Transaction, TxIn, TxOut, Txid};
use interfaces::handler::Handler;
use interfaces::wallet::*;
use interfaces::{BilingualStr, Error, Outcome, Result};
use std::sync::{Arc, Mutex, Weak};

/// `interfaces::Wallet` over a loaded wallet.
pub struct WalletInterface {
    context: Arc<WalletContext>,
    wallet: Arc<Wallet>,
}

impl WalletInterface {
    /// The interface of `wallet`.
    pub fn new(context: Arc<WalletContext>, wallet: Arc<Wallet>) -> Self {
        WalletInterface { context, wallet }
    }
}

fn not_yet<T>(call: &str) -> Result<T> {
    Err(Error::Remote(format!(
        "Wallet.{call} is not available in this wallet yet"
    )))
}

fn purpose_number(p: Option<AddressPurpose>) -> i32 {
    match p {
        Some(AddressPurpose::Receive) => 0,
        Some(AddressPurpose::Send) => 1,
        Some(AddressPurpose::Refund) => 2,
        None => -1,
    }
}

fn purpose_of(n: i32) -> Option<AddressPurpose> {
    match n {
        0 => Some(AddressPurpose::Receive),
        1 => Some(AddressPurpose::Send),
        2 => Some(AddressPurpose::Refund),
        _ => None,
    }
}

/// Removes a registered callback when disconnected or dropped.
struct CallbackHandler {
    remove: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl CallbackHandler {
    fn boxed(remove: impl FnOnce() + Send + 'static) -> Box<dyn Handler> {
        Box::new(CallbackHandler {
            remove: Mutex::new(Some(Box::new(remove))),
        })
    }
}

impl Handler for CallbackHandler {
    fn disconnect(&self) -> Result<()> {
        let f = self.remove.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(f) = f {
            f();
        }
        Ok(())
    }
}

impl Drop for CallbackHandler {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}

fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Registers `cb` in `list` (a field of the wallet's callbacks) until the
/// returned handler goes.
/// A list of registered callbacks of one kind on a wallet.
type CallbackList<T> = Mutex<Vec<(u64, Arc<T>)>>;

fn register<T: ?Sized + Send + Sync + 'static>(
    wallet: &Arc<Wallet>,
    pick: fn(&Wallet) -> &CallbackList<T>,
    cb: Arc<T>,
) -> Box<dyn Handler> {
    let id = next_id();
    pick(wallet)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((id, cb));
    let weak: Weak<Wallet> = Arc::downgrade(wallet);
    CallbackHandler::boxed(move || {
        if let Some(w) = weak.upgrade() {
            pick(&w)
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(i, _)| *i != id);
        }
    })
}

impl interfaces::wallet::Wallet for WalletInterface {
    fn encrypt_wallet(&self, wallet_passphrase: &[u8]) -> Result<bool> {
        Ok(crate::wallet::crypt::encrypt(&self.wallet, wallet_passphrase).is_ok())
    }
    fn is_crypted(&self) -> Result<bool> {
        Ok(self.wallet.lock().is_crypted())
    }
    fn lock(&self) -> Result<bool> {
        Ok(crate::wallet::crypt::lock(&self.wallet))
    }
    fn unlock(&self, wallet_passphrase: &[u8]) -> Result<bool> {
        Ok(crate::wallet::crypt::unlock(&self.wallet, wallet_passphrase).is_ok())
    }
    fn is_locked(&self) -> Result<bool> {
        Ok(self.wallet.lock().is_locked())
    }
    fn change_wallet_passphrase(&self, old: &[u8], new: &[u8]) -> Result<bool> {
        Ok(crate::wallet::crypt::change_passphrase(&self.wallet, old, new).is_ok())
    }
    fn abort_rescan(&self) -> Result<()> {
        self.wallet
            .abort_rescan
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
    fn backup_wallet(&self, filename: &str) -> Result<bool> {
        Ok(self.wallet.backup(std::path::Path::new(filename)).is_ok())
    }
    fn get_wallet_name(&self) -> Result<String> {
        Ok(self.wallet.name().to_string())
    }
    fn get_new_destination(&self, output_type: i32, label: &str) -> Result<Outcome<TxDestination>> {
        let Some(t) = u8::try_from(output_type)
            .ok()
            .and_then(crate::keys::OutputType::from_u8)
        else {
            return Ok(Outcome::Err(BilingualStr::from("Unknown address type")));
        };
        Ok(match self.wallet.new_destination(t, label, false) {
            Ok(a) => Outcome::Ok(TxDestination::from_script(&a.script_pubkey())),
            Err(e) => Outcome::Err(BilingualStr::from(e.to_string().as_str())),
        })
    }
    fn get_pub_key(&self, _script: &ScriptBuf, _address: &[u8; 20]) -> Result<(Vec<u8>, bool)> {
        not_yet("getPubKey")
    }
    fn sign_message(&self, _message: &str, _pkhash: &[u8; 20]) -> Result<(String, i32)> {
        not_yet("signMessage")
    }
    fn is_spendable(&self, dest: &TxDestination) -> Result<bool> {
        Ok(dest
            .script_pubkey()
            .is_some_and(|s| self.wallet.lock().keys.is_mine(&s)))
    }
    fn set_address_book(&self, dest: &TxDestination, name: &str, purpose: i32) -> Result<bool> {
        let Some(address) = dest
            .script_pubkey()
            .and_then(|s| self.wallet.address_of(&s))
        else {
            return Ok(false);
        };
        Ok(self
            .wallet
            .set_address_book(&address, Some(name), purpose_of(purpose))
            .is_ok())
    }
    fn del_address_book(&self, _dest: &TxDestination) -> Result<bool> {
        not_yet("delAddressBook")
    }
    fn get_address(
        &self,
        dest: &TxDestination,
        _want_name: bool,
        _want_purpose: bool,
    ) -> Result<(String, i32, bool)> {
        let Some(address) = dest
            .script_pubkey()
            .and_then(|s| self.wallet.address_of(&s))
        else {
            return Ok((String::new(), -1, false));
        };
        Ok(match self.wallet.address_book_entry(&address) {
            Some(e) => (e.label.unwrap_or_default(), purpose_number(e.purpose), true),
            None => (String::new(), -1, false),
        })
    }
    fn get_addresses(&self) -> Result<Vec<WalletAddress>> {
        let state = self.wallet.lock();
        let mut out = Vec::new();
        for (address, entry) in &state.address_book {
            let Ok(a) = address.parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
            else {
                continue;
            };
            let script = a.assume_checked_ref().script_pubkey();
            out.push(WalletAddress {
                dest: TxDestination::from_script(&script),
                is_mine: state.keys.is_mine(&script),
                name: entry.label.clone().unwrap_or_default(),
                purpose: purpose_number(entry.purpose),
            });
        }
        Ok(out)
    }
    fn get_address_receive_requests(&self) -> Result<Vec<Vec<u8>>> {
        let state = self.wallet.lock();
        Ok(state
            .address_book
            .values()
            .flat_map(|e| e.receive_requests.values().map(|v| v.as_bytes().to_vec()))
            .collect())
    }
    fn set_address_receive_request(
        &self,
        _dest: &TxDestination,
        _id: &[u8],
        _value: &[u8],
    ) -> Result<bool> {
        not_yet("setAddressReceiveRequest")
    }
    fn display_address(&self, _dest: &TxDestination) -> Result<Outcome<()>> {
        Ok(Outcome::Err(BilingualStr::from(
            "There is no external signer to display the address on",
        )))
    }
    fn lock_coin(&self, output: &OutPoint, write_to_db: bool) -> Result<bool> {
        Ok(self.wallet.lock_coin(*output, write_to_db).is_ok())
    }
    fn unlock_coin(&self, output: &OutPoint) -> Result<bool> {
        Ok(self.wallet.unlock_coin(*output).unwrap_or(false))
    }
    fn is_locked_coin(&self, output: &OutPoint) -> Result<bool> {
        Ok(self.wallet.lock().locked_coins.contains_key(output))
    }
    fn list_locked_coins(&self) -> Result<Vec<OutPoint>> {
        Ok(self.wallet.lock().locked_coins.keys().copied().collect())
    }
    fn create_transaction(
        &self,
        recipients: &[Recipient],
        coin_control: &CoinControl,
        sign: bool,
        change_pos: i32,
    ) -> Result<(i32, i64, Outcome<Transaction>)> {
        let recipients: Vec<crate::spend::create::Recipient> =
            recipients.iter().map(Into::into).collect();
        let cc = crate::spend::coincontrol::CoinControl::from(coin_control);
        let mut state = self.wallet.lock();
        let change = usize::try_from(change_pos).ok();
        match self
            .wallet
            .create_transaction(&mut state, &recipients, change, &cc, sign)
        {
            Ok((created, writes)) => {
                // The change key it reserved is kept, as Core keeps it.
                self.wallet
                    .commit(&mut state, writes)
                    .map_err(Error::Remote)?;
                let pos = created.change_pos.map_or(-1, |p| p as i32);
                Ok((pos, created.fee, Ok(created.tx)))
            }
            Err(e) => Ok((change_pos, 0, Err(BilingualStr::from(e.as_str())))),
        }
    }
    fn commit_transaction(
        &self,
        tx: &Transaction,
        value_map: &[(String, String)],
        order_form: &[(String, String)],
    ) -> Result<()> {
        let get = |k: &str| {
            value_map
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let info = crate::wallet::spending::SentInfo {
            comment: get("comment"),
            comment_to: get("to"),
            replaces: None,
            messages: order_form
                .iter()
                .filter(|(k, _)| k == "Message")
                .map(|(_, v)| v.clone())
                .collect(),
        };
        let mut state = self.wallet.lock();
        self.wallet
            .commit_transaction(&mut state, tx.clone(), info, Default::default())
            .map(|_| ())
            .map_err(Error::Remote)
    }
    fn transaction_can_be_abandoned(&self, txid: &Txid) -> Result<bool> {
        Ok(self.wallet.lock().ledger.can_abandon(txid))
    }
    fn abandon_transaction(&self, txid: &Txid) -> Result<bool> {
        Ok(self.wallet.abandon(txid).unwrap_or(false))
    }
    fn transaction_can_be_bumped(&self, _txid: &Txid) -> Result<bool> {
        not_yet("transactionCanBeBumped")
    }
    fn create_bump_transaction(
        &self,
        _txid: &Txid,
        _coin_control: &CoinControl,
    ) -> Result<BumpTransaction> {
        not_yet("createBumpTransaction")
    }
    fn sign_bump_transaction(&self, _mtx: &Transaction) -> Result<(Transaction, bool)> {
        not_yet("signBumpTransaction")
    }
    fn commit_bump_transaction(
        &self,
        _txid: &Txid,
        _mtx: &Transaction,
    ) -> Result<(Vec<BilingualStr>, Txid, bool)> {
        not_yet("commitBumpTransaction")
    }
    fn get_tx(&self, txid: &Txid) -> Result<Option<Transaction>> {
        Ok(self.wallet.lock().ledger.get(txid).map(|e| e.tx().clone()))
    }
    fn get_wallet_tx(&self, _txid: &Txid) -> Result<WalletTx> {
        not_yet("getWalletTx")
    }
    fn get_wallet_txs(&self) -> Result<Vec<WalletTx>> {
        let state = self.wallet.lock();
        let ledger = &state.ledger;
        Ok(ledger
            .ordered()
            .map(|e| {
                let tx = e.tx();
                let txout_is_mine: Vec<bool> = tx
                    .output
                    .iter()
                    .map(|o| state.keys.is_mine(&o.script_pubkey))
                    .collect();
                let txout_is_change: Vec<bool> = tx
                    .output
                    .iter()
                    .map(|o| self.wallet.is_change(&state, &o.script_pubkey))
                    .collect();
                let change = tx
                    .output
                    .iter()
                    .zip(&txout_is_change)
                    .filter(|(_, c)| **c)
                    .map(|(o, _)| o.value.to_sat() as i64)
                    .sum();
                WalletTx {
                    txin_is_mine: tx
                        .input
                        .iter()
                        .map(|i| ledger.txos().contains_key(&i.previous_output))
                        .collect(),
                    txout_address: tx
                        .output
                        .iter()
                        .map(|o| TxDestination::from_script(&o.script_pubkey))
                        .collect(),
                    txout_address_is_mine: txout_is_mine.clone(),
                    txout_is_mine,
                    txout_is_change,
                    credit: crate::ledger::balance::credit(ledger, e),
                    debit: crate::ledger::balance::debit(ledger, tx),
                    change,
                    time: e.time(),
                    value_map: Vec::new(),
                    is_coinbase: tx.is_coinbase(),
                    tx: tx.clone(),
                }
            })
            .collect())
    }
    fn try_get_tx_status(&self, _txid: &Txid) -> Result<(WalletTxStatus, i32, i64, bool)> {
        not_yet("tryGetTxStatus")
    }
    fn get_wallet_tx_details(&self, _txid: &Txid) -> Result<WalletTxDetails> {
        not_yet("getWalletTxDetails")
    }
    fn get_balances(&self) -> Result<WalletBalances> {
        let b = self.wallet.balance(0, false, false);
        Ok(WalletBalances {
            balance: b.trusted,
            unconfirmed_balance: b.untrusted_pending,
            immature_balance: b.immature,
        })
    }
    fn fill_psbt(
        &self,
        _sighash_type: i32,
        _sign: bool,
        _bip32derivs: bool,
        _want_n_signed: bool,
    ) -> Result<(u64, Vec<u8>, bool, i32)> {
        not_yet("fillPSBT")
    }
    fn try_get_balances(&self) -> Result<(WalletBalances, BlockHash, bool)> {
        let balances = self.get_balances()?;
        let tip = self
            .wallet
            .lock()
            .ledger
            .last_block()
            .map(|(h, _)| h)
            .unwrap_or_else(<BlockHash as bitcoin::hashes::Hash>::all_zeros);
        Ok((balances, tip, true))
    }
    fn get_balance(&self) -> Result<i64> {
        Ok(self.wallet.balance(0, false, false).trusted)
    }
    fn get_available_balance(&self, _coin_control: &CoinControl) -> Result<i64> {
        not_yet("getAvailableBalance")
    }
    fn txin_is_mine(&self, txin: &TxIn) -> Result<bool> {
        Ok(self
            .wallet
            .lock()
            .ledger
            .txos()
            .contains_key(&txin.previous_output))
    }
    fn txout_is_mine(&self, txout: &TxOut) -> Result<bool> {
        Ok(self.wallet.lock().keys.is_mine(&txout.script_pubkey))
    }
    fn get_debit(&self, txin: &TxIn) -> Result<i64> {
        let state = self.wallet.lock();
        Ok(state
            .ledger
            .txos()
            .get(&txin.previous_output)
            .map_or(0, |o| o.value.to_sat() as i64))
    }
    fn get_credit(&self, txout: &TxOut) -> Result<i64> {
        let mine = self.wallet.lock().keys.is_mine(&txout.script_pubkey);
        Ok(if mine { txout.value.to_sat() as i64 } else { 0 })
    }
    fn list_coins(&self) -> Result<CoinsByDestination> {
        not_yet("listCoins")
    }
    fn get_coins(&self, _outputs: &[OutPoint]) -> Result<Vec<WalletTxOut>> {
        not_yet("getCoins")
    }
    fn get_required_fee(&self, _tx_bytes: u32) -> Result<i64> {
        not_yet("getRequiredFee")
    }
    fn get_minimum_fee(
        &self,
        _tx_bytes: u32,
        _coin_control: &CoinControl,
        _want_returned_target: bool,
        _want_reason: bool,
    ) -> Result<(i32, i32, i64)> {
        not_yet("getMinimumFee")
    }
    fn get_confirm_target(&self) -> Result<u32> {
        not_yet("getConfirmTarget")
    }
    fn hd_enabled(&self) -> Result<bool> {
        Ok(!self.wallet.lock().keys.spkms.is_empty())
    }
    fn can_get_addresses(&self) -> Result<bool> {
        Ok(self.wallet.can_get_addresses(false))
    }
    fn private_keys_disabled(&self) -> Result<bool> {
        Ok(self.wallet.private_keys_disabled())
    }
    fn taproot_enabled(&self) -> Result<bool> {
        Ok(self
            .wallet
            .lock()
            .keys
            .active(crate::keys::OutputType::Bech32m, false)
            .is_some())
    }
    fn has_external_signer(&self) -> Result<bool> {
        Ok(self
            .wallet
            .has_flag(crate::db::records::flags::EXTERNAL_SIGNER))
    }
    fn get_default_address_type(&self) -> Result<i32> {
        Ok(i32::from(self.wallet.options.address_type().to_u8()))
    }
    fn get_default_max_tx_fee(&self) -> Result<i64> {
        not_yet("getDefaultMaxTxFee")
    }
    fn remove(&self) -> Result<()> {
        crate::manage::unload_wallet(&self.context, self.wallet.name(), None)
            .map(|_| ())
            .map_err(Error::Remote)
    }
    fn handle_unload(&self, callback: Box<dyn UnloadWalletCallback>) -> Result<Box<dyn Handler>> {
        Ok(register(
            &self.wallet,
            |w| &w.callbacks.unload,
            Arc::from(callback),
        ))
    }
    fn handle_show_progress(
        &self,
        _callback: Box<dyn ShowWalletProgressCallback>,
    ) -> Result<Box<dyn Handler>> {
        not_yet("handleShowProgress")
    }
    fn handle_status_changed(
        &self,
        callback: Box<dyn StatusChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(register(
            &self.wallet,
            |w| &w.callbacks.status_changed,
            Arc::from(callback),
        ))
    }
    fn handle_address_book_changed(
        &self,
        _callback: Box<dyn AddressBookChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        not_yet("handleAddressBookChanged")
    }
    fn handle_transaction_changed(
        &self,
        callback: Box<dyn TransactionChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(register(
            &self.wallet,
            |w| &w.callbacks.transaction_changed,
            Arc::from(callback),
        ))
    }
    fn handle_can_get_addresses_changed(
        &self,
        _callback: Box<dyn CanGetAddressesChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        not_yet("handleCanGetAddressesChanged")
    }
}
