//! `Wallet`: what the GUI asks of one wallet; `WalletLoader`: how the node
//! and the GUI create, load and list wallets; and the callbacks they
//! register (Core's `interfaces::Wallet` and `WalletLoader`, `wallet.capnp`).

use crate::chain::ChainClient;
use crate::handler::Handler;
use crate::{BilingualStr, FeeRate, Outcome, Result};
use bitcoin::{BlockHash, OutPoint, ScriptBuf, Transaction, TxIn, TxOut, Txid};
use std::path::Path;
use std::sync::Arc;

/// Where coins go, without a network (Core's `CTxDestination`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum TxDestination {
    /// No destination (a script that is none of the kinds below).
    #[default]
    None,
    /// Pay to a public key (serialized key).
    PubKey(Vec<u8>),
    /// P2PKH.
    PkHash([u8; 20]),
    /// P2SH.
    ScriptHash([u8; 20]),
    /// P2WSH.
    WitnessV0ScriptHash([u8; 32]),
    /// P2WPKH.
    WitnessV0KeyHash([u8; 20]),
    /// P2TR.
    WitnessV1Taproot([u8; 32]),
    /// A witness program of another version or length.
    WitnessUnknown {
        /// Witness version.
        version: u32,
        /// Witness program.
        program: Vec<u8>,
    },
}

impl TxDestination {
    /// The output script paying this destination (Core's
    /// `GetScriptForDestination`); `None` for no destination or a malformed
    /// one.
    pub fn script_pubkey(&self) -> Option<bitcoin::ScriptBuf> {
        use bitcoin::hashes::Hash;
        use bitcoin::ScriptBuf;
        use bitcoin::{PubkeyHash, ScriptHash, WPubkeyHash, WScriptHash};
        Some(match self {
            TxDestination::None => return None,
            TxDestination::PubKey(pk) => {
                let pk = bitcoin::PublicKey::from_slice(pk).ok()?;
                ScriptBuf::new_p2pk(&pk)
            }
            TxDestination::PkHash(h) => ScriptBuf::new_p2pkh(&PubkeyHash::from_byte_array(*h)),
            TxDestination::ScriptHash(h) => ScriptBuf::new_p2sh(&ScriptHash::from_byte_array(*h)),
            TxDestination::WitnessV0KeyHash(h) => {
                ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(*h))
            }
            TxDestination::WitnessV0ScriptHash(h) => {
                ScriptBuf::new_p2wsh(&WScriptHash::from_byte_array(*h))
            }
            TxDestination::WitnessV1Taproot(k) => {
                let key = bitcoin::key::TweakedPublicKey::dangerous_assume_tweaked(
                    bitcoin::XOnlyPublicKey::from_slice(k).ok()?,
                );
                ScriptBuf::new_p2tr_tweaked(key)
            }
            TxDestination::WitnessUnknown { version, program } => {
                let v = bitcoin::WitnessVersion::try_from(u8::try_from(*version).ok()?).ok()?;
                let p = bitcoin::script::PushBytesBuf::try_from(program.clone()).ok()?;
                ScriptBuf::new_witness_program(&bitcoin::WitnessProgram::new(v, p.as_bytes()).ok()?)
            }
        })
    }

    /// The destination an output script pays (Core's `ExtractDestination`).
    pub fn from_script(script: &bitcoin::ScriptBuf) -> TxDestination {
        let b = script.as_bytes();
        if script.is_p2pkh() {
            let mut h = [0; 20];
            h.copy_from_slice(&b[3..23]);
            TxDestination::PkHash(h)
        } else if script.is_p2sh() {
            let mut h = [0; 20];
            h.copy_from_slice(&b[2..22]);
            TxDestination::ScriptHash(h)
        } else if script.is_p2wpkh() {
            let mut h = [0; 20];
            h.copy_from_slice(&b[2..22]);
            TxDestination::WitnessV0KeyHash(h)
        } else if script.is_p2wsh() {
            let mut h = [0; 32];
            h.copy_from_slice(&b[2..34]);
            TxDestination::WitnessV0ScriptHash(h)
        } else if script.is_p2tr() {
            let mut h = [0; 32];
            h.copy_from_slice(&b[2..34]);
            TxDestination::WitnessV1Taproot(h)
        } else if let Some(v) = script.witness_version() {
            TxDestination::WitnessUnknown {
                version: u32::from(v.to_num()),
                program: b[2..].to_vec(),
            }
        } else if script.is_p2pk() {
            TxDestination::PubKey(b[1..b.len() - 1].to_vec())
        } else {
            TxDestination::None
        }
    }
}

/// An address book entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletAddress {
    /// The destination.
    pub dest: TxDestination,
    /// Whether the wallet owns it.
    pub is_mine: bool,
    /// Its label.
    pub name: String,
    /// Core's `AddressPurpose` (receive, send, refund).
    pub purpose: i32,
}

/// One output of a transaction to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// Where to.
    pub dest: TxDestination,
    /// How much (satoshis).
    pub amount: i64,
    /// Whether the fee comes out of this amount.
    pub subtract_fee_from_amount: bool,
}

/// The GUI's coin control options (Core's `CCoinControl`, as its schema carries it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoinControl {
    /// Where change goes, if set.
    pub dest_change: Option<TxDestination>,
    /// Output type of change, if set.
    pub change_type: Option<i32>,
    /// Spend unconfirmed outputs of others.
    pub include_unsafe_inputs: bool,
    /// Add inputs beyond the selected ones.
    pub allow_other_inputs: bool,
    /// Spend watch-only outputs.
    pub allow_watch_only: bool,
    /// Use `fee_rate` even if below the estimate.
    pub override_fee_rate: bool,
    /// The fee rate, if set.
    pub fee_rate: Option<FeeRate>,
    /// Confirmation target, if set.
    pub confirm_target: Option<i32>,
    /// Signal BIP125 replaceability, if set.
    pub signal_rbf: Option<bool>,
    /// Spend whole address groups.
    pub avoid_partial_spends: bool,
    /// Avoid reusing addresses.
    pub avoid_address_reuse: bool,
    /// Core's `FeeEstimateMode`.
    pub fee_mode: i32,
    /// Minimum depth of spent outputs.
    pub min_depth: i32,
    /// Maximum depth of spent outputs.
    pub max_depth: i32,
    /// Non-zero when `lock_time` is set (a number in Core's schema).
    pub has_lock_time: u32,
    /// Transaction lock time.
    pub lock_time: u32,
    /// Non-zero when `version` is set.
    pub has_version: u32,
    /// Transaction version.
    pub version: u32,
    /// Non-zero when `max_tx_weight` is set.
    pub has_max_tx_weight: u32,
    /// Largest transaction weight.
    pub max_tx_weight: u32,
    /// Outputs selected to spend.
    pub set_selected: Vec<OutPoint>,
}

/// A wallet transaction as the GUI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTx {
    /// The transaction.
    pub tx: Transaction,
    /// Per input: whether the wallet owns the spent output.
    pub txin_is_mine: Vec<bool>,
    /// Per output: whether the wallet owns it.
    pub txout_is_mine: Vec<bool>,
    /// Per output: whether it is change.
    pub txout_is_change: Vec<bool>,
    /// Per output: its destination.
    pub txout_address: Vec<TxDestination>,
    /// Per output: whether the wallet owns its destination.
    pub txout_address_is_mine: Vec<bool>,
    /// Satoshis credited.
    pub credit: i64,
    /// Satoshis debited.
    pub debit: i64,
    /// Satoshis of change.
    pub change: i64,
    /// When it was received.
    pub time: i64,
    /// Extra values (comment, to, …).
    pub value_map: Vec<(String, String)>,
    /// Whether it is a coinbase.
    pub is_coinbase: bool,
}

/// An output the wallet owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTxOut {
    /// The output.
    pub txout: TxOut,
    /// When its transaction was received.
    pub time: i64,
    /// Confirmations (negative: conflicted).
    pub depth_in_main_chain: i32,
    /// Whether it is spent.
    pub is_spent: bool,
}

/// Where a wallet transaction stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletTxStatus {
    /// Height of its block.
    pub block_height: i32,
    /// Blocks until a coinbase matures.
    pub blocks_to_maturity: i32,
    /// Confirmations.
    pub depth_in_main_chain: i32,
    /// When it was received.
    pub time_received: u32,
    /// Its lock time.
    pub lock_time: u32,
    /// Whether its unconfirmed inputs are trusted.
    pub is_trusted: bool,
    /// Whether it was abandoned.
    pub is_abandoned: bool,
    /// Whether it is a coinbase.
    pub is_coinbase: bool,
    /// Whether it is in the main chain.
    pub is_in_main_chain: bool,
}

/// A wallet's balances (satoshis).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalletBalances {
    /// Confirmed and trusted.
    pub balance: i64,
    /// Unconfirmed.
    pub unconfirmed_balance: i64,
    /// Immature coinbase outputs.
    pub immature_balance: i64,
}

/// What migrating a legacy wallet produced.
#[derive(Clone, Default)]
pub struct WalletMigrationResult {
    /// The migrated wallet.
    pub wallet: Option<Arc<dyn Wallet>>,
    /// Name of the watch-only wallet made alongside (empty if none).
    pub watchonly_wallet_name: String,
    /// Name of the solvables wallet made alongside (empty if none).
    pub solvables_wallet_name: String,
    /// Where the backup went.
    pub backup_path: String,
}

/// Told when the wallet is unloaded.
pub trait UnloadWalletCallback: Send + Sync {
    /// Called once.
    fn call(&self) -> Result<()>;
}

/// Receives progress of a long wallet task (rescans).
pub trait ShowWalletProgressCallback: Send + Sync {
    /// Called with the task and percent done.
    fn call(&self, title: &str, progress: i32) -> Result<()>;
}

/// Told when the wallet's lock state changes.
pub trait StatusChangedCallback: Send + Sync {
    /// Called on each change.
    fn call(&self) -> Result<()>;
}

/// Told of address book changes.
pub trait AddressBookChangedCallback: Send + Sync {
    /// Called with the entry and Core's `ChangeType`.
    fn call(
        &self,
        address: &TxDestination,
        label: &str,
        is_mine: bool,
        purpose: i32,
        status: i32,
    ) -> Result<()>;
}

/// Told of transaction changes.
pub trait TransactionChangedCallback: Send + Sync {
    /// Called with the txid and Core's `ChangeType`.
    fn call(&self, txid: &Txid, status: i32) -> Result<()>;
}

/// Told when the wallet can or can no longer hand out addresses.
pub trait CanGetAddressesChangedCallback: Send + Sync {
    /// Called on each change.
    fn call(&self) -> Result<()>;
}

/// Told of each wallet loaded.
pub trait LoadWalletCallback: Send + Sync {
    /// Called with the wallet.
    fn call(&self, wallet: Box<dyn Wallet>) -> Result<()>;
}

/// What [`Wallet::create_bump_transaction`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpTransaction {
    /// Why it failed.
    pub errors: Vec<BilingualStr>,
    /// Fee of the original.
    pub old_fee: i64,
    /// Fee of the replacement.
    pub new_fee: i64,
    /// The replacement, unsigned.
    pub mtx: Transaction,
    /// Whether it was made.
    #[doc(alias = "result")]
    pub made: bool,
}

/// Coins grouped by destination: each destination's outpoints and outputs.
pub type CoinsByDestination = Vec<(TxDestination, Vec<(OutPoint, WalletTxOut)>)>;

/// What [`Wallet::get_wallet_tx_details`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTxDetails {
    /// Its status.
    pub tx_status: WalletTxStatus,
    /// Order form values.
    pub order_form: Vec<(String, String)>,
    /// Whether it is in the mempool.
    pub in_mempool: bool,
    /// Height of the tip.
    pub num_blocks: i32,
    /// The transaction.
    #[doc(alias = "result")]
    pub wtx: WalletTx,
}

/// A wallet made, loaded or restored: warnings, and the wallet or why not.
pub struct WalletLoad {
    /// Warnings.
    pub warning: Vec<BilingualStr>,
    /// The wallet, or the error.
    #[doc(alias = "result")]
    pub wallet: Outcome<Box<dyn Wallet>>,
}

/// One wallet, seen from another process.
pub trait Wallet: Send + Sync {
    /// Encrypts the wallet.
    fn encrypt_wallet(&self, wallet_passphrase: &[u8]) -> Result<bool>;
    /// Whether it is encrypted.
    fn is_crypted(&self) -> Result<bool>;
    /// Locks it.
    fn lock(&self) -> Result<bool>;
    /// Unlocks it.
    fn unlock(&self, wallet_passphrase: &[u8]) -> Result<bool>;
    /// Whether it is locked.
    fn is_locked(&self) -> Result<bool>;
    /// Changes the passphrase.
    fn change_wallet_passphrase(
        &self,
        old_wallet_passphrase: &[u8],
        new_wallet_passphrase: &[u8],
    ) -> Result<bool>;
    /// Stops a running rescan.
    fn abort_rescan(&self) -> Result<()>;
    /// Copies the wallet file.
    fn backup_wallet(&self, filename: &str) -> Result<bool>;
    /// Its name.
    fn get_wallet_name(&self) -> Result<String>;
    /// A new address of Core's `OutputType`.
    fn get_new_destination(&self, output_type: i32, label: &str) -> Result<Outcome<TxDestination>>;
    /// The public key of a key id, if the wallet can solve `script`.
    fn get_pub_key(&self, script: &ScriptBuf, address: &[u8; 20]) -> Result<(Vec<u8>, bool)>;
    /// Signs a message with a key (Core's `SigningResult`).
    fn sign_message(&self, message: &str, pkhash: &[u8; 20]) -> Result<(String, i32)>;
    /// Whether the wallet can spend to/from `dest`.
    fn is_spendable(&self, dest: &TxDestination) -> Result<bool>;
    /// Adds or edits an address book entry.
    fn set_address_book(&self, dest: &TxDestination, name: &str, purpose: i32) -> Result<bool>;
    /// Deletes an address book entry.
    fn del_address_book(&self, dest: &TxDestination) -> Result<bool>;
    /// An address book entry: name, purpose and whether it exists.
    fn get_address(
        &self,
        dest: &TxDestination,
        want_name: bool,
        want_purpose: bool,
    ) -> Result<(String, i32, bool)>;
    /// The address book.
    fn get_addresses(&self) -> Result<Vec<WalletAddress>>;
    /// Saved payment requests.
    fn get_address_receive_requests(&self) -> Result<Vec<Vec<u8>>>;
    /// Saves (or with empty value, erases) a payment request.
    fn set_address_receive_request(
        &self,
        dest: &TxDestination,
        id: &[u8],
        value: &[u8],
    ) -> Result<bool>;
    /// Shows an address on an external signer.
    fn display_address(&self, dest: &TxDestination) -> Result<Outcome<()>>;
    /// Locks a coin against spending.
    fn lock_coin(&self, output: &OutPoint, write_to_db: bool) -> Result<bool>;
    /// Unlocks a coin.
    fn unlock_coin(&self, output: &OutPoint) -> Result<bool>;
    /// Whether a coin is locked.
    fn is_locked_coin(&self, output: &OutPoint) -> Result<bool>;
    /// Locked coins.
    fn list_locked_coins(&self) -> Result<Vec<OutPoint>>;
    /// Creates a transaction: change position, fee, and the transaction.
    fn create_transaction(
        &self,
        recipients: &[Recipient],
        coin_control: &CoinControl,
        sign: bool,
        change_pos: i32,
    ) -> Result<(i32, i64, Outcome<Transaction>)>;
    /// Stores and broadcasts a transaction.
    fn commit_transaction(
        &self,
        tx: &Transaction,
        value_map: &[(String, String)],
        order_form: &[(String, String)],
    ) -> Result<()>;
    /// Whether a transaction can be abandoned.
    fn transaction_can_be_abandoned(&self, txid: &Txid) -> Result<bool>;
    /// Abandons a transaction.
    fn abandon_transaction(&self, txid: &Txid) -> Result<bool>;
    /// Whether a transaction can be fee-bumped.
    fn transaction_can_be_bumped(&self, txid: &Txid) -> Result<bool>;
    /// Makes a fee-bumped replacement.
    fn create_bump_transaction(
        &self,
        txid: &Txid,
        coin_control: &CoinControl,
    ) -> Result<BumpTransaction>;
    /// Signs a replacement.
    fn sign_bump_transaction(&self, mtx: &Transaction) -> Result<(Transaction, bool)>;
    /// Commits a replacement: errors, its txid, whether it was committed.
    fn commit_bump_transaction(
        &self,
        txid: &Txid,
        mtx: &Transaction,
    ) -> Result<(Vec<BilingualStr>, Txid, bool)>;
    /// A wallet transaction, if known.
    fn get_tx(&self, txid: &Txid) -> Result<Option<Transaction>>;
    /// A wallet transaction as the GUI shows it.
    fn get_wallet_tx(&self, txid: &Txid) -> Result<WalletTx>;
    /// Every wallet transaction.
    fn get_wallet_txs(&self) -> Result<Vec<WalletTx>>;
    /// Status without blocking: status, tip height, tip time, whether read.
    fn try_get_tx_status(&self, txid: &Txid) -> Result<(WalletTxStatus, i32, i64, bool)>;
    /// Details of a wallet transaction.
    fn get_wallet_tx_details(&self, txid: &Txid) -> Result<WalletTxDetails>;
    /// Balances.
    fn get_balances(&self) -> Result<WalletBalances>;
    /// Fills and signs `psbt` (Core's in/out `PartiallySignedTransaction&`:
    /// the pinned revision carried it out only, so it is appended to the
    /// request, which older peers leave empty): inputs signed, the PSBT,
    /// whether complete, and Core's `PSBTError`.
    fn fill_psbt(
        &self,
        sighash_type: i32,
        sign: bool,
        bip32derivs: bool,
        want_n_signed: bool,
        psbt: &[u8],
    ) -> Result<(u64, Vec<u8>, bool, i32)>;
    /// Balances without blocking: balances, tip they are for, whether read.
    fn try_get_balances(&self) -> Result<(WalletBalances, BlockHash, bool)>;
    /// Spendable balance.
    fn get_balance(&self) -> Result<i64>;
    /// Balance available under coin control.
    fn get_available_balance(&self, coin_control: &CoinControl) -> Result<i64>;
    /// Whether the wallet owns an input's spent output.
    fn txin_is_mine(&self, txin: &TxIn) -> Result<bool>;
    /// Whether the wallet owns an output.
    fn txout_is_mine(&self, txout: &TxOut) -> Result<bool>;
    /// Satoshis an input takes from the wallet.
    fn get_debit(&self, txin: &TxIn) -> Result<i64>;
    /// Satoshis an output gives the wallet.
    fn get_credit(&self, txout: &TxOut) -> Result<i64>;
    /// Coins grouped by destination.
    fn list_coins(&self) -> Result<CoinsByDestination>;
    /// The given coins.
    fn get_coins(&self, outputs: &[OutPoint]) -> Result<Vec<WalletTxOut>>;
    /// Lowest fee for `tx_bytes`.
    fn get_required_fee(&self, tx_bytes: u32) -> Result<i64>;
    /// Fee for `tx_bytes` under coin control: target used, Core's `FeeReason`, fee.
    fn get_minimum_fee(
        &self,
        tx_bytes: u32,
        coin_control: &CoinControl,
        want_returned_target: bool,
        want_reason: bool,
    ) -> Result<(i32, i32, i64)>;
    /// `-txconfirmtarget`.
    fn get_confirm_target(&self) -> Result<u32>;
    /// Whether it is an HD wallet.
    fn hd_enabled(&self) -> Result<bool>;
    /// Whether it can hand out addresses.
    fn can_get_addresses(&self) -> Result<bool>;
    /// Whether it has no private keys.
    fn private_keys_disabled(&self) -> Result<bool>;
    /// Whether it has taproot descriptors.
    fn taproot_enabled(&self) -> Result<bool>;
    /// Whether it uses an external signer.
    fn has_external_signer(&self) -> Result<bool>;
    /// Default address type (Core's `OutputType`).
    fn get_default_address_type(&self) -> Result<i32>;
    /// `-maxtxfee`.
    fn get_default_max_tx_fee(&self) -> Result<i64>;
    /// Unloads it.
    fn remove(&self) -> Result<()>;
    /// Registers for unload.
    fn handle_unload(&self, callback: Box<dyn UnloadWalletCallback>) -> Result<Box<dyn Handler>>;
    /// Registers for progress.
    fn handle_show_progress(
        &self,
        callback: Box<dyn ShowWalletProgressCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for lock state changes.
    fn handle_status_changed(
        &self,
        callback: Box<dyn StatusChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for address book changes.
    fn handle_address_book_changed(
        &self,
        callback: Box<dyn AddressBookChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for transaction changes.
    fn handle_transaction_changed(
        &self,
        callback: Box<dyn TransactionChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for address availability changes.
    fn handle_can_get_addresses_changed(
        &self,
        callback: Box<dyn CanGetAddressesChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
}

/// Creates, loads and lists wallets; the node drives its life cycle as a
/// [`ChainClient`].
pub trait WalletLoader: ChainClient {
    /// Creates a wallet.
    fn create_wallet(&self, name: &str, passphrase: &str, flags: u64) -> Result<WalletLoad>;
    /// Loads a wallet.
    fn load_wallet(&self, name: &str) -> Result<WalletLoad>;
    /// The wallet directory.
    fn get_wallet_dir(&self) -> Result<String>;
    /// Restores a wallet from a backup file.
    fn restore_wallet(
        &self,
        backup_file: &Path,
        name: &str,
        load_after_restore: bool,
    ) -> Result<WalletLoad>;
    /// Migrates a legacy wallet to descriptors.
    fn migrate_wallet(
        &self,
        name: &str,
        passphrase: &str,
    ) -> Result<Outcome<WalletMigrationResult>>;
    /// Whether a wallet on disk is encrypted.
    fn is_encrypted(&self, name: &str) -> Result<bool>;
    /// Wallets on disk: name and format.
    fn list_wallet_dir(&self) -> Result<Vec<(String, String)>>;
    /// Loaded wallets.
    fn get_wallets(&self) -> Result<Vec<Box<dyn Wallet>>>;
    /// Registers for wallets being loaded.
    fn handle_load_wallet(&self, callback: Box<dyn LoadWalletCallback>)
        -> Result<Box<dyn Handler>>;
}
