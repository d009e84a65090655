//! A loaded wallet seen from another process (Core's `WalletImpl`): what
//! the node's supervisor and the GUI call through `interfaces::Wallet`,
//! each call answered as Core's `WalletImpl` answers it, from the wallet's
//! own implementations (the ones its RPCs use).

use crate::context::WalletContext;
use crate::db::records::AddressPurpose;
use crate::ledger::{balance, Entry};
use crate::spend::{get_minimum_fee, get_required_fee};
use crate::wallet::addresses::{purpose_or_derived, script_of_address};
use crate::wallet::bump::BumpRequest;
use crate::wallet::spending::NodeFees;
use crate::wallet::{CallbackList, State, Wallet, Writes};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, ScriptBuf, Transaction, TxIn, TxOut, Txid};
use interfaces::chain::FoundBlockParam;
use interfaces::handler::Handler;
use interfaces::wallet::*;
use interfaces::{BilingualStr, Error, Outcome, Result};
use std::sync::{Arc, Mutex, Weak};

/// Core's `PSBTError::INVALID_TX`.
const PSBT_ERROR_INVALID_TX: i32 = 6;
/// Core's `PSBTError::OK`: `fillPSBT`'s result when nothing went wrong
/// (Core answers an empty optional, which this `Int32` cannot carry).
const PSBT_ERROR_OK: i32 = 7;

/// Core's `PSBTError` number of a signing error.
fn psbt_error_number(e: &crate::sign::SignError) -> i32 {
    use crate::sign::SignError as S;
    match e {
        S::MissingInputs => 0,
        S::SighashMismatch => 1,
        S::InvalidTx => PSBT_ERROR_INVALID_TX,
        S::ExternalSignerNotFound => 2,
        S::ExternalSignerFailed => 3,
        // Key failures have no PSBTError of their own.
        _ => 4,
    }
}

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

    /// The address string of `dest` on the wallet's network.
    fn address_of(&self, dest: &TxDestination) -> Option<String> {
        dest.script_pubkey()
            .and_then(|s| self.wallet.address_of(&s))
    }

    /// The time of the wallet's last processed block, from the node.
    fn last_block_time(&self, state: &State) -> Option<i64> {
        let (hash, _) = state.ledger.last_block()?;
        let want = FoundBlockParam {
            want_time: true,
            ..Default::default()
        };
        match self.wallet.chain.find_block(&hash, &want) {
            Ok((found, true)) => Some(found.time),
            _ => None,
        }
    }
}

/// Core's `SigningResult::OK`.
const SIGNING_OK: i32 = 0;
/// Core's `SigningResult::PRIVATE_KEY_NOT_AVAILABLE`.
const PRIVATE_KEY_NOT_AVAILABLE: i32 = 1;
/// Core's `SigningResult::SIGNING_FAILED`.
const SIGNING_FAILED: i32 = 2;

/// A default-constructed `CMutableTransaction` (version 2, nothing in it):
/// what Core's out-parameters hold when a call fails.
fn empty_tx() -> Transaction {
    Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: Vec::new(),
        output: Vec::new(),
    }
}

/// Core's default `WalletTx`, answered for a transaction the wallet does
/// not have.
fn no_wallet_tx() -> WalletTx {
    WalletTx {
        tx: empty_tx(),
        txin_is_mine: Vec::new(),
        txout_is_mine: Vec::new(),
        txout_is_change: Vec::new(),
        txout_address: Vec::new(),
        txout_address_is_mine: Vec::new(),
        credit: 0,
        debit: 0,
        change: 0,
        time: 0,
        value_map: Vec::new(),
        is_coinbase: false,
    }
}

/// Core's default `WalletTxOut` (a null output at depth -1), answered for
/// a coin the wallet does not have.
fn no_wallet_tx_out() -> WalletTxOut {
    WalletTxOut {
        txout: TxOut::NULL,
        time: 0,
        depth_in_main_chain: -1,
        is_spent: false,
    }
}

/// Core's `MakeWalletTx`: the transaction with what the wallet knows about
/// each input and output, its amounts, time and `mapValue`.
fn make_wallet_tx(wallet: &Wallet, state: &State, entry: &Entry) -> WalletTx {
    let ledger = &state.ledger;
    let tx = entry.tx();
    let txout_is_mine: Vec<bool> = tx
        .output
        .iter()
        .map(|o| state.keys.is_mine(&o.script_pubkey))
        .collect();
    let txout_is_change: Vec<bool> = tx
        .output
        .iter()
        .map(|o| wallet.is_change(state, &o.script_pubkey))
        .collect();
    let change = tx
        .output
        .iter()
        .zip(&txout_is_change)
        .filter(|(_, c)| **c)
        .map(|(o, _)| o.value.to_sat() as i64)
        .sum();
    // The in-memory `mapValue`: what Core reads back without its
    // bookkeeping keys.
    let value_map = entry
        .record
        .map_value()
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "fromaccount" | "n" | "timesmart" | "spent"))
        .collect();
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
        credit: balance::credit(ledger, entry),
        debit: balance::debit(ledger, tx),
        change,
        time: entry.time(),
        value_map,
        is_coinbase: tx.is_coinbase(),
        tx: tx.clone(),
    }
}

/// Core's `MakeWalletTxStatus`.
fn make_wallet_tx_status(wallet: &Wallet, state: &State, entry: &Entry) -> WalletTxStatus {
    let ledger = &state.ledger;
    let block_height = match entry.state {
        crate::ledger::TxState::Confirmed { height, .. }
        | crate::ledger::TxState::BlockConflicted { height, .. } => height,
        _ => i32::MAX,
    };
    let mut trusted = std::collections::BTreeSet::new();
    WalletTxStatus {
        block_height,
        blocks_to_maturity: ledger.blocks_to_maturity(entry),
        depth_in_main_chain: ledger.depth(entry),
        time_received: entry.record.time_received,
        lock_time: entry.tx().lock_time.to_consensus_u32(),
        is_trusted: balance::is_trusted(
            ledger,
            entry,
            wallet.options.spend_zero_conf_change(),
            &mut trusted,
        ),
        is_abandoned: entry.state.is_abandoned(),
        is_coinbase: entry.tx().is_coinbase(),
        is_in_main_chain: entry.state.is_confirmed(),
    }
}

/// Core's `MakeWalletTxOut` for output `n` of `entry` at `depth`.
fn make_wallet_tx_out(state: &State, entry: &Entry, n: u32, depth: i32) -> Option<WalletTxOut> {
    Some(WalletTxOut {
        txout: entry.tx().output.get(n as usize)?.clone(),
        time: entry.time(),
        depth_in_main_chain: depth,
        is_spent: state.ledger.is_spent(&OutPoint::new(entry.txid, n)),
    })
}

/// Core's serialization of a `CPubKey` (its length, then the key), as
/// `getPubKey` carries it.
fn serialized_pubkey(key: &bitcoin::PublicKey) -> Vec<u8> {
    let mut w = crate::db::ser::Writer::new();
    w.var_bytes(&key.to_bytes());
    w.into_bytes()
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
    /// The public key comes as Core serializes a `CPubKey`: its length,
    /// then the key.
    fn get_pub_key(&self, script: &ScriptBuf, address: &[u8; 20]) -> Result<(Vec<u8>, bool)> {
        let state = self.wallet.lock();
        // Core's `GetSolvingProvider`: the first descriptor that can solve
        // the script, public data only.
        let provider = state
            .keys
            .managers_of(script)
            .first()
            .and_then(|id| state.keys.spkms.get(id))
            .and_then(|spkm| {
                spkm.signing_provider(script, false, state.key_access())
                    .ok()
                    .flatten()
            });
        let key = provider.and_then(|p| {
            p.pubkeys
                .iter()
                .map(|k| k.pubkey)
                .find(|k| k.pubkey_hash().as_byte_array() == address)
        });
        Ok(match key {
            Some(k) => (serialized_pubkey(&k), true),
            None => (Vec::new(), false),
        })
    }
    fn sign_message(&self, message: &str, pkhash: &[u8; 20]) -> Result<(String, i32)> {
        let state = self.wallet.lock();
        let address = bitcoin::Address::p2pkh(
            bitcoin::PubkeyHash::from_byte_array(*pkhash),
            self.wallet.network,
        );
        Ok(
            match crate::sign::sign_message(&state.keys, state.key_access(), &address, message) {
                Ok(signature) => (signature, SIGNING_OK),
                Err(crate::sign::SignError::SigningFailed) => (String::new(), SIGNING_FAILED),
                // No descriptor has the key, or it is locked away.
                Err(_) => (String::new(), PRIVATE_KEY_NOT_AVAILABLE),
            },
        )
    }
    fn is_spendable(&self, dest: &TxDestination) -> Result<bool> {
        Ok(dest
            .script_pubkey()
            .is_some_and(|s| self.wallet.lock().keys.is_mine(&s)))
    }
    fn set_address_book(&self, dest: &TxDestination, name: &str, purpose: i32) -> Result<bool> {
        let Some(address) = self.address_of(dest) else {
            return Ok(false);
        };
        Ok(self
            .wallet
            .set_address_book(
                &address,
                Some(name),
                AddressPurpose::from_core_number(purpose),
            )
            .is_ok())
    }
    fn del_address_book(&self, dest: &TxDestination) -> Result<bool> {
        let Some(address) = self.address_of(dest) else {
            return Ok(false);
        };
        Ok(self.wallet.del_address_book(&address).unwrap_or(false))
    }
    fn get_address(
        &self,
        dest: &TxDestination,
        _want_name: bool,
        _want_purpose: bool,
    ) -> Result<(String, i32, bool)> {
        let (Some(script), Some(address)) = (dest.script_pubkey(), self.address_of(dest)) else {
            return Ok((String::new(), -1, false));
        };
        let state = self.wallet.lock();
        Ok(match state.find_address_book_entry(&address) {
            Some(e) => {
                let is_mine = state.keys.is_mine(&script);
                (
                    e.label.clone().unwrap_or_default(),
                    purpose_or_derived(e.purpose, is_mine).core_number(),
                    true,
                )
            }
            None => (String::new(), -1, false),
        })
    }
    fn get_addresses(&self) -> Result<Vec<WalletAddress>> {
        let state = self.wallet.lock();
        let mut out = Vec::new();
        for (address, entry) in &state.address_book {
            // Entries without a label only hold a change address's data.
            let Some(label) = &entry.label else {
                continue;
            };
            let Some(script) = script_of_address(address) else {
                continue;
            };
            let is_mine = state.keys.is_mine(&script);
            out.push(WalletAddress {
                dest: TxDestination::from_script(&script),
                is_mine,
                name: label.clone(),
                purpose: purpose_or_derived(entry.purpose, is_mine).core_number(),
            });
        }
        Ok(out)
    }
    fn get_address_receive_requests(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self.wallet.address_receive_requests())
    }
    fn set_address_receive_request(
        &self,
        dest: &TxDestination,
        id: &[u8],
        value: &[u8],
    ) -> Result<bool> {
        let (Some(address), Ok(id)) = (self.address_of(dest), std::str::from_utf8(id)) else {
            return Ok(false);
        };
        Ok(self
            .wallet
            .set_address_receive_request(&address, id, value)
            .is_ok())
    }
    fn display_address(&self, dest: &TxDestination) -> Result<Outcome<()>> {
        let address = dest
            .script_pubkey()
            .and_then(|s| bitcoin::Address::from_script(&s, self.wallet.network).ok());
        let Some(address) = address else {
            return Ok(Outcome::Err(BilingualStr::from(
                "There is no ScriptPubKeyManager for this address",
            )));
        };
        Ok(match self.wallet.display_address(&address) {
            Ok(()) => Outcome::Ok(()),
            Err(m) => Outcome::Err(BilingualStr::from(m.as_str())),
        })
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
    fn transaction_can_be_bumped(&self, txid: &Txid) -> Result<bool> {
        Ok(self.wallet.transaction_can_be_bumped(txid))
    }
    fn create_bump_transaction(
        &self,
        txid: &Txid,
        coin_control: &CoinControl,
    ) -> Result<BumpTransaction> {
        // The original's outputs, every input the wallet's (Core's
        // `createBumpTransaction`).
        let request = BumpRequest {
            coin_control: crate::spend::coincontrol::CoinControl::from(coin_control),
            require_mine: true,
            ..Default::default()
        };
        let mut state = self.wallet.lock();
        match self
            .wallet
            .create_rate_bump_transaction(&mut state, txid, &request)
        {
            Ok(proposal) => {
                // The change key it reserved is kept, as Core keeps it.
                self.wallet
                    .commit(&mut state, proposal.writes)
                    .map_err(Error::Remote)?;
                Ok(BumpTransaction {
                    errors: Vec::new(),
                    old_fee: proposal.old_fee,
                    new_fee: proposal.new_fee,
                    mtx: proposal.tx,
                    made: true,
                })
            }
            Err(e) => Ok(BumpTransaction {
                errors: vec![BilingualStr::from(e.message.as_str())],
                old_fee: 0,
                new_fee: 0,
                mtx: empty_tx(),
                made: false,
            }),
        }
    }
    fn sign_bump_transaction(&self, mtx: &Transaction) -> Result<(Transaction, bool)> {
        // Core's `feebumper::SignTransaction`: the wallet (or its external
        // signer) signs its inputs; anything left unsigned (a locked
        // wallet, a foreign input) fails.
        let state = self.wallet.lock();
        let mut tx = mtx.clone();
        let signed = self
            .wallet
            .sign_bump(&state, &mut tx)
            .map_err(Error::Remote)?;
        Ok((tx, signed))
    }
    fn commit_bump_transaction(
        &self,
        txid: &Txid,
        mtx: &Transaction,
    ) -> Result<(Vec<BilingualStr>, Txid, bool)> {
        let mut state = self.wallet.lock();
        Ok(
            match self.wallet.commit_bump_transaction(
                &mut state,
                txid,
                mtx.clone(),
                Writes::default(),
            ) {
                Ok((bumped, errors)) => (
                    errors
                        .iter()
                        .map(|e| BilingualStr::from(e.as_str()))
                        .collect(),
                    bumped,
                    true,
                ),
                Err(e) => (
                    vec![BilingualStr::from(e.message.as_str())],
                    Txid::all_zeros(),
                    false,
                ),
            },
        )
    }
    fn get_tx(&self, txid: &Txid) -> Result<Option<Transaction>> {
        Ok(self.wallet.lock().ledger.get(txid).map(|e| e.tx().clone()))
    }
    fn get_wallet_tx(&self, txid: &Txid) -> Result<WalletTx> {
        let state = self.wallet.lock();
        Ok(match state.ledger.get(txid) {
            Some(e) => make_wallet_tx(&self.wallet, &state, e),
            None => no_wallet_tx(),
        })
    }
    fn get_wallet_txs(&self) -> Result<Vec<WalletTx>> {
        let state = self.wallet.lock();
        Ok(state
            .ledger
            .ordered()
            .map(|e| make_wallet_tx(&self.wallet, &state, e))
            .collect())
    }
    fn try_get_tx_status(&self, txid: &Txid) -> Result<(WalletTxStatus, i32, i64, bool)> {
        let not_read = (WalletTxStatus::default(), 0, 0, false);
        // Core's `TRY_LOCK`: a busy wallet answers "not now".
        let Some(state) = self.wallet.try_lock() else {
            return Ok(not_read);
        };
        let Some(entry) = state.ledger.get(txid) else {
            return Ok(not_read);
        };
        let num_blocks = state.ledger.last_height();
        let block_time = self.last_block_time(&state).unwrap_or(-1);
        Ok((
            make_wallet_tx_status(&self.wallet, &state, entry),
            num_blocks,
            block_time,
            true,
        ))
    }
    fn get_wallet_tx_details(&self, txid: &Txid) -> Result<WalletTxDetails> {
        let state = self.wallet.lock();
        let Some(entry) = state.ledger.get(txid) else {
            return Ok(WalletTxDetails {
                tx_status: WalletTxStatus::default(),
                order_form: Vec::new(),
                in_mempool: false,
                num_blocks: 0,
                wtx: no_wallet_tx(),
            });
        };
        // Core's `vOrderForm`: the BIP21 messages, then the payment
        // requests.
        let order_form = entry
            .record
            .messages
            .iter()
            .map(|m| ("Message".to_string(), m.clone()))
            .chain(
                entry
                    .record
                    .payment_requests
                    .iter()
                    .map(|p| ("PaymentRequest".to_string(), p.clone())),
            )
            .collect();
        Ok(WalletTxDetails {
            tx_status: make_wallet_tx_status(&self.wallet, &state, entry),
            order_form,
            in_mempool: entry.state.in_mempool(),
            num_blocks: state.ledger.last_height(),
            wtx: make_wallet_tx(&self.wallet, &state, entry),
        })
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
        sighash_type: i32,
        sign: bool,
        bip32derivs: bool,
        _want_n_signed: bool,
        psbt: &[u8],
    ) -> Result<(u64, Vec<u8>, bool, i32)> {
        let original = match ::psbt::Psbt::deserialize(psbt) {
            Ok(p) => p,
            Err(e) => return Err(Error::Remote(format!("TX decode failed {e}"))),
        };
        let Ok(mut filled) = crate::rpc::fund::psbt_io::to_signer(&original) else {
            return Ok((0, psbt.to_vec(), false, PSBT_ERROR_INVALID_TX));
        };
        // 0 is Core's SIGHASH_DEFAULT: no type asked for.
        let sighash = (sighash_type > 0)
            .then(|| bitcoin::psbt::PsbtSighashType::from_u32(sighash_type as u32));
        let opts = crate::sign::FillOptions {
            sighash_type: sighash,
            sign,
            bip32derivs,
            finalize: true,
        };
        let state = self.wallet.lock();
        let result = self
            .wallet
            .fill_psbt(&state, &mut filled, &opts, original.psbt_version());
        drop(state);
        let r = match result {
            Ok(r) => r,
            // Core throws here: the caller gets the text.
            Err(crate::sign::SignError::ExternalSignerCommand(m)) => return Err(Error::Remote(m)),
            Err(e) => return Ok((0, psbt.to_vec(), false, psbt_error_number(&e))),
        };
        let out = crate::rpc::fund::psbt_io::from_signer(&filled, &original)
            .map(|p| p.serialize())
            .unwrap_or_else(|_| psbt.to_vec());
        Ok((r.signed_inputs as u64, out, r.complete, PSBT_ERROR_OK))
    }
    fn try_get_balances(&self) -> Result<(WalletBalances, BlockHash, bool)> {
        let balances = self.get_balances()?;
        let tip = self
            .wallet
            .lock()
            .ledger
            .last_block()
            .map(|(h, _)| h)
            .unwrap_or_else(BlockHash::all_zeros);
        Ok((balances, tip, true))
    }
    fn get_balance(&self) -> Result<i64> {
        Ok(self.wallet.balance(0, false, false).trusted)
    }
    fn get_available_balance(&self, coin_control: &CoinControl) -> Result<i64> {
        let cc = crate::spend::coincontrol::CoinControl::from(coin_control);
        Ok(self.wallet.available_balance(&cc))
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
        let mut state = self.wallet.lock();
        let mut groups = self.wallet.list_coins(&mut state);
        // Core's `std::map<CTxDestination, …>` order.
        let params = utility_rpc::address::ChainParams::for_network(self.wallet.network);
        groups.sort_by_cached_key(|(dest, _)| {
            let address = self.address_of(dest).unwrap_or_default();
            crate::rpc::received::destination_order(&address, &params)
        });
        Ok(groups
            .into_iter()
            .map(|(dest, coins)| {
                let outs = coins
                    .iter()
                    .map(|c| {
                        let out = WalletTxOut {
                            txout: c.txout.clone(),
                            time: state.ledger.get(&c.outpoint.txid).map_or(0, Entry::time),
                            depth_in_main_chain: c.depth,
                            is_spent: state.ledger.is_spent(&c.outpoint),
                        };
                        (c.outpoint, out)
                    })
                    .collect();
                (dest, outs)
            })
            .collect())
    }
    fn get_coins(&self, outputs: &[OutPoint]) -> Result<Vec<WalletTxOut>> {
        let state = self.wallet.lock();
        Ok(outputs
            .iter()
            .map(|o| {
                state
                    .ledger
                    .get(&o.txid)
                    .and_then(|e| {
                        let depth = state.ledger.depth(e);
                        (depth >= 0)
                            .then(|| make_wallet_tx_out(&state, e, o.vout, depth))
                            .flatten()
                    })
                    .unwrap_or_else(no_wallet_tx_out)
            })
            .collect())
    }
    fn get_required_fee(&self, tx_bytes: u32) -> Result<i64> {
        get_required_fee(
            self.wallet.fee_config(),
            &NodeFees(&*self.wallet.chain),
            tx_bytes,
        )
        .map_err(|e| Error::Remote(e.0))
    }
    fn get_minimum_fee(
        &self,
        tx_bytes: u32,
        coin_control: &CoinControl,
        want_returned_target: bool,
        want_reason: bool,
    ) -> Result<(i32, i32, i64)> {
        let cc = crate::spend::coincontrol::CoinControl::from(coin_control);
        let (fee, calc) = get_minimum_fee(
            self.wallet.fee_config(),
            &NodeFees(&*self.wallet.chain),
            tx_bytes,
            &cc,
        )
        .map_err(|e| Error::Remote(e.0))?;
        // Core fills only the outputs it is asked for.
        let target = if want_returned_target {
            i32::try_from(calc.returned_target).unwrap_or(i32::MAX)
        } else {
            0
        };
        let reason = if want_reason { calc.reason.as_i32() } else { 0 };
        Ok((target, reason, fee))
    }
    fn get_confirm_target(&self) -> Result<u32> {
        Ok(self.wallet.fee_config().confirm_target)
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
        Ok(self.wallet.fee_config().max_tx_fee)
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
        callback: Box<dyn ShowWalletProgressCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(register(
            &self.wallet,
            |w| &w.callbacks.show_progress,
            Arc::from(callback),
        ))
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
        callback: Box<dyn AddressBookChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(register(
            &self.wallet,
            |w| &w.callbacks.address_book_changed,
            Arc::from(callback),
        ))
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
        callback: Box<dyn CanGetAddressesChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(register(
            &self.wallet,
            |w| &w.callbacks.can_get_addresses_changed,
            Arc::from(callback),
        ))
    }
}
