//! `Chain`: what a wallet process asks of the node; `ChainNotifications`:
//! the validation events the node sends it; `ChainClient`: how the node
//! drives a client process (Core's `interfaces::Chain`, `Chain::Notifications`
//! and `ChainClient`, `chain.capnp`).

use crate::handler::Handler;
use crate::{BilingualStr, FeeRate, Outcome, Result};
use bitcoin::{Block, BlockHash, OutPoint, Transaction, TxOut, Txid};
use std::sync::Arc;

/// Block hashes from the tip back to genesis, denser near the tip (Core's
/// `CBlockLocator`); empty for "no block".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockLocator(pub Vec<BlockHash>);

/// An unspent output and where it was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u32,
    /// Whether the creating transaction is a coinbase.
    pub is_coinbase: bool,
}

/// What a caller wants to know about a block it looks up (Core's `FoundBlock`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundBlockParam {
    /// Its hash.
    pub want_hash: bool,
    /// Its height.
    pub want_height: bool,
    /// Its header time.
    pub want_time: bool,
    /// The largest header time up to it.
    pub want_max_time: bool,
    /// Its median time past.
    pub want_mtp_time: bool,
    /// Whether it is on the active chain.
    pub want_in_active_chain: bool,
    /// A locator for it.
    pub want_locator: bool,
    /// The same facts of its successor on the active chain.
    pub next_block: Option<Box<FoundBlockParam>>,
    /// The block itself.
    pub want_data: bool,
}

/// What was found; fields not asked for stay unset or zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundBlockResult {
    /// Its hash.
    pub hash: Option<BlockHash>,
    /// Its height.
    pub height: i32,
    /// Its header time.
    pub time: i64,
    /// The largest header time up to it.
    pub max_time: i64,
    /// Its median time past.
    pub mtp_time: i64,
    /// Whether it is on the active chain.
    pub in_active_chain: bool,
    /// A locator for it.
    pub locator: Option<BlockLocator>,
    /// Its successor, if asked for.
    pub next_block: Option<Box<FoundBlockResult>>,
    /// The block itself.
    pub data: Option<Block>,
    /// Whether the block was found.
    pub found: bool,
}

/// The lookup of [`Chain::find_common_ancestor`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommonAncestor {
    /// The last common block.
    pub ancestor: FoundBlockResult,
    /// The first block.
    pub block1: FoundBlockResult,
    /// The second block.
    pub block2: FoundBlockResult,
    /// Whether both blocks were found.
    #[doc(alias = "result")]
    pub found: bool,
}

/// A transaction's unconfirmed ancestors and descendants in the mempool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxAncestry {
    /// Ancestors, counting the transaction itself.
    pub ancestors: u64,
    /// Descendants, counting the transaction itself.
    pub descendants: u64,
    /// Virtual size of the ancestors.
    #[doc(alias = "ancestorsize")]
    pub ancestor_size: u64,
    /// Fees of the ancestors.
    #[doc(alias = "ancestorfees")]
    pub ancestor_fees: i64,
}

/// The mempool's package limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackageLimits {
    /// Most ancestors a transaction may have.
    pub ancestors: u32,
    /// Most descendants a transaction may have.
    pub descendants: u32,
}

/// One bucket of a fee estimate's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EstimatorBucket {
    /// Lowest fee rate of the bucket.
    pub start: f64,
    /// Highest fee rate of the bucket.
    pub end: f64,
    /// Transactions confirmed within the target.
    pub within_target: f64,
    /// Transactions confirmed at all.
    pub total_confirmed: f64,
    /// Transactions still in the mempool.
    pub in_mempool: f64,
    /// Transactions that left the mempool unconfirmed.
    pub left_mempool: f64,
}

/// The statistics behind a fee estimate.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EstimationResult {
    /// The bucket that passed.
    pub pass: EstimatorBucket,
    /// The bucket that failed.
    pub fail: EstimatorBucket,
    /// The decay applied.
    pub decay: f64,
    /// The scale of the horizon.
    pub scale: u32,
}

/// How a fee estimate was reached.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FeeCalculation {
    /// The statistics.
    pub est: EstimationResult,
    /// Core's `FeeReason`.
    pub reason: i32,
    /// The target asked for.
    pub desired_target: i32,
    /// The target answered.
    pub returned_target: i32,
    /// The height the estimate was made at.
    pub best_height: u32,
}

/// The answer of [`Chain::estimate_smart_fee`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SmartFee {
    /// How it was reached, when asked for.
    pub calc: Option<FeeCalculation>,
    /// The fee rate (zero when there is no estimate).
    #[doc(alias = "result")]
    pub fee_rate: FeeRate,
}

/// The answer of [`Chain::broadcast_transaction`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Broadcast {
    /// Why it was refused (empty when accepted).
    pub error: String,
    /// Whether it was accepted.
    #[doc(alias = "result")]
    pub accepted: bool,
}

crate::wire_enum! {
    /// Whether an unconfirmed transaction can be replaced (Core's `RBFTransactionState`).
    pub enum RbfTransactionState {
        /// Not in the mempool and not signalling.
        Unknown = 0,
        /// It or a mempool ancestor signals BIP125 replaceability.
        ReplaceableBip125 = 1,
        /// Neither it nor a mempool ancestor signals.
        Final = 2,
    }
}

crate::wire_enum! {
    /// How to broadcast a transaction (Core's `node::TxBroadcast`).
    pub enum TxBroadcast {
        /// Into the mempool and to every peer that relays transactions.
        MempoolAndBroadcastToAll = 0,
        /// Into the mempool only.
        MempoolNoBroadcast = 1,
        /// To a few peers on privacy networks, skipping the mempool.
        NoMempoolPrivateBroadcast = 2,
    }
}

crate::wire_enum! {
    /// Why a transaction left the mempool (Core's `MemPoolRemovalReason`).
    pub enum MemPoolRemovalReason {
        /// Expired.
        Expiry = 0,
        /// Evicted by the size limit.
        SizeLimit = 1,
        /// Removed for a reorganization.
        Reorg = 2,
        /// Included in a block.
        Block = 3,
        /// Conflicted with a block's transaction.
        Conflict = 4,
        /// Replaced.
        Replaced = 5,
    }
}

crate::wire_enum! {
    /// Whether a settings change is written to `settings.json` (Core's `SettingsAction`).
    pub enum SettingsAction {
        /// Write it.
        Write = 0,
        /// Keep it in memory only.
        SkipWrite = 1,
    }
}

/// Which chainstate a notification comes from (Core's `kernel::ChainstateRole`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChainstateRole {
    /// Fully validated from genesis (false for an unvalidated snapshot).
    pub validated: bool,
    /// A background chainstate validating a snapshot's history.
    pub historical: bool,
}

/// A block connected to or disconnected from the chain (Core's `BlockInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// Its hash.
    pub hash: BlockHash,
    /// Its parent's hash (none for genesis).
    pub prev_hash: Option<BlockHash>,
    /// Its height.
    pub height: i32,
    /// The `blk?????.dat` file holding it (-1 if unknown).
    pub file_number: i32,
    /// Its offset in that file.
    pub data_pos: u32,
    /// The block, when sent along.
    pub data: Option<Block>,
    /// Its undo data in Core's serialization, when sent along.
    pub undo_data: Option<Vec<u8>>,
    /// The largest header time up to it.
    pub chain_time_max: u32,
}

/// A JSON-RPC request handed to a method another process registered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonRpcRequest {
    /// The request id (JSON text).
    pub id: String,
    /// The method.
    pub method: String,
    /// The parameters (JSON text: an array or an object).
    pub params: String,
    /// Core's `JSONRPCRequest::Mode` (0 execute, 1 get help, 2 get args).
    pub mode: i32,
    /// The URI it came in on (`/` or `/wallet/<name>`).
    pub uri: String,
    /// The authenticated user.
    pub auth_user: String,
    /// The client's address.
    pub peer_addr: String,
    /// JSON-RPC version (1 or 2).
    pub version: i32,
}

/// A parameter name of a registered method.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcArg {
    /// The name.
    pub name: String,
    /// Whether it can only be passed by name.
    pub named_only: bool,
}

/// The reply of an [`ActorCallback`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorReply {
    /// The result (JSON text).
    pub response: String,
    /// Whether this actor handled the request (false: try the next one
    /// registered under the same name).
    #[doc(alias = "result")]
    pub handled: bool,
}

/// Runs RPC requests in the process that registered a method. Errors:
/// `Error::Rpc` for a JSON-RPC error object, `Error::Help` for help text.
pub trait ActorCallback: Send + Sync {
    /// Runs `request`; `response` is the result so far, `last_callback`
    /// whether no other actor is registered under the name after this one.
    fn call(
        &self,
        request: &JsonRpcRequest,
        response: &str,
        last_callback: bool,
    ) -> Result<ActorReply>;
}

/// An RPC method another process adds to the node's table.
#[derive(Clone)]
pub struct RpcCommand {
    /// The help category.
    pub category: String,
    /// The method name.
    pub name: String,
    /// What runs it.
    pub actor: Arc<dyn ActorCallback>,
    /// Its parameters.
    pub arg_names: Vec<RpcArg>,
    /// Identifies the registration (to tell apart methods of one name).
    pub unique_id: i64,
}

/// Edits one read-write setting: gets its JSON value, returns the new one
/// and whether to write it.
pub trait SettingsUpdateCallback: Send + Sync {
    /// Updates `value`.
    fn call(&self, value: &str) -> Result<(String, Option<SettingsAction>)>;
}

/// Validation events, delivered in validation order. Every method has an
/// empty default.
pub trait ChainNotifications: Send + Sync {
    /// A transaction entered the mempool.
    fn transaction_added_to_mempool(&self, _tx: &Transaction) -> Result<()> {
        Ok(())
    }
    /// A transaction left the mempool.
    fn transaction_removed_from_mempool(
        &self,
        _tx: &Transaction,
        _reason: MemPoolRemovalReason,
    ) -> Result<()> {
        Ok(())
    }
    /// A block was connected.
    fn block_connected(&self, _role: &ChainstateRole, _block: &BlockInfo) -> Result<()> {
        Ok(())
    }
    /// A block was disconnected.
    fn block_disconnected(&self, _block: &BlockInfo) -> Result<()> {
        Ok(())
    }
    /// The tip changed.
    fn updated_block_tip(&self) -> Result<()> {
        Ok(())
    }
    /// The chainstate was flushed to disk at `locator`.
    fn chain_state_flushed(&self, _role: &ChainstateRole, _locator: &BlockLocator) -> Result<()> {
        Ok(())
    }
}

/// The node's chain, mempool and settings, seen from a client process.
pub trait Chain: Send + Sync {
    /// Height of the tip, `None` before genesis is loaded.
    fn get_height(&self) -> Result<Option<i32>>;
    /// Hash of the active-chain block at `height`; an error for heights
    /// outside the chain (Core asserts; a remote peer must get an error).
    fn get_block_hash(&self, height: i32) -> Result<BlockHash>;
    /// Whether the block at `height` has its data on disk.
    fn have_block_on_disk(&self, height: i32) -> Result<bool>;
    /// Height of the last active-chain block of `locator`.
    fn find_locator_fork(&self, locator: &BlockLocator) -> Result<Option<i32>>;
    /// Whether the block filter index of `filter_type` is enabled.
    fn has_block_filter_index(&self, filter_type: u8) -> Result<bool>;
    /// Whether the block's filter matches any element; `None` without a filter.
    fn block_filter_matches_any(
        &self,
        filter_type: u8,
        block_hash: &BlockHash,
        filter_set: &[Vec<u8>],
    ) -> Result<Option<bool>>;
    /// Looks up a block by hash.
    fn find_block(
        &self,
        hash: &BlockHash,
        block: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)>;
    /// The first block with time and height at least the given ones.
    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: i32,
        block: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)>;
    /// The ancestor at `ancestor_height` of an active-chain block.
    fn find_ancestor_by_height(
        &self,
        block_hash: &BlockHash,
        ancestor_height: i32,
        ancestor: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)>;
    /// `ancestor_hash` if it is an ancestor of `block_hash`.
    fn find_ancestor_by_hash(
        &self,
        block_hash: &BlockHash,
        ancestor_hash: &BlockHash,
        ancestor: &FoundBlockParam,
    ) -> Result<(FoundBlockResult, bool)>;
    /// The last common ancestor of two blocks.
    fn find_common_ancestor(
        &self,
        block_hash1: &BlockHash,
        block_hash2: &BlockHash,
        ancestor: &FoundBlockParam,
        block1: &FoundBlockParam,
        block2: &FoundBlockParam,
    ) -> Result<CommonAncestor>;
    /// Fills in the coins of the given outpoints (chain and mempool);
    /// `None` where there is none.
    fn find_coins(
        &self,
        coins: &[(OutPoint, Option<Coin>)],
    ) -> Result<Vec<(OutPoint, Option<Coin>)>>;
    /// Estimated fraction of the chain verified at that block.
    fn guess_verification_progress(&self, block_hash: &BlockHash) -> Result<f64>;
    /// Whether blocks from `min_height` to `max_height` (or the tip) below
    /// `block_hash` all have data.
    fn has_blocks(
        &self,
        block_hash: &BlockHash,
        min_height: i32,
        max_height: Option<i32>,
    ) -> Result<bool>;
    /// Whether a transaction signals replaceability.
    fn is_rbf_opt_in(&self, tx: &Transaction) -> Result<RbfTransactionState>;
    /// Whether the mempool holds `txid`.
    fn is_in_mempool(&self, txid: &Txid) -> Result<bool>;
    /// Whether `txid` has descendants in the mempool.
    fn has_descendants_in_mempool(&self, txid: &Txid) -> Result<bool>;
    /// Submits a transaction.
    fn broadcast_transaction(
        &self,
        tx: &Transaction,
        max_tx_fee: i64,
        broadcast_method: TxBroadcast,
    ) -> Result<Broadcast>;
    /// Mempool ancestry of a transaction.
    fn get_transaction_ancestry(&self, txid: &Txid) -> Result<TxAncestry>;
    /// Fee needed to bump each unconfirmed outpoint's ancestry to the target.
    fn calculate_individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        target_feerate: &FeeRate,
    ) -> Result<Vec<(OutPoint, i64)>>;
    /// Fee needed to bump all of them together; `None` when it cannot be computed.
    fn calculate_combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        target_feerate: &FeeRate,
    ) -> Result<Option<i64>>;
    /// The mempool's package limits.
    fn get_package_limits(&self) -> Result<PackageLimits>;
    /// Whether the transaction stays within the package limits.
    fn check_chain_limits(&self, tx: &Transaction) -> Result<Outcome<()>>;
    /// Fee estimate for confirmation within `num_blocks`.
    fn estimate_smart_fee(
        &self,
        num_blocks: i32,
        conservative: bool,
        want_calc: bool,
    ) -> Result<SmartFee>;
    /// Largest target the estimator answers for.
    fn estimate_max_blocks(&self) -> Result<u32>;
    /// Current mempool minimum fee rate.
    fn mempool_min_fee(&self) -> Result<FeeRate>;
    /// `-minrelaytxfee`.
    fn relay_min_fee(&self) -> Result<FeeRate>;
    /// `-incrementalrelayfee`.
    fn relay_incremental_fee(&self) -> Result<FeeRate>;
    /// `-dustrelayfee`.
    fn relay_dust_fee(&self) -> Result<FeeRate>;
    /// Whether any block was pruned.
    fn have_pruned(&self) -> Result<bool>;
    /// Lowest height with block data when pruned.
    fn get_prune_height(&self) -> Result<Option<i32>>;
    /// Whether transactions can be broadcast (not in IBD, not importing).
    fn is_ready_to_broadcast(&self) -> Result<bool>;
    /// Whether the node is in initial block download.
    fn is_initial_block_download(&self) -> Result<bool>;
    /// Whether shutdown was requested.
    fn shutdown_requested(&self) -> Result<bool>;
    /// Shows an init message.
    fn init_message(&self, message: &str) -> Result<()>;
    /// Shows an init warning.
    fn init_warning(&self, message: &BilingualStr) -> Result<()>;
    /// Shows an init error.
    fn init_error(&self, message: &BilingualStr) -> Result<()>;
    /// Reports progress of a long task.
    fn show_progress(&self, title: &str, progress: i32, resume_possible: bool) -> Result<()>;
    /// Registers for validation events until the handler is dropped.
    fn handle_notifications(
        &self,
        notifications: Box<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>>;
    /// Waits until notifications for the current tip were delivered, if the
    /// tip is not `old_tip`.
    fn wait_for_notifications_if_tip_changed(&self, old_tip: &BlockHash) -> Result<()>;
    /// Adds an RPC method to the node's table until the handler is dropped.
    fn handle_rpc(&self, command: &RpcCommand) -> Result<Box<dyn Handler>>;
    /// Whether a deprecated RPC behaviour is enabled (`-deprecatedrpc`).
    fn rpc_enable_deprecated(&self, method: &str) -> Result<bool>;
    /// A setting's value (JSON text).
    fn get_setting(&self, name: &str) -> Result<String>;
    /// Every value of a setting (JSON texts).
    fn get_settings_list(&self, name: &str) -> Result<Vec<String>>;
    /// A read-write setting's value (JSON text).
    fn get_rw_setting(&self, name: &str) -> Result<String>;
    /// Edits a read-write setting.
    fn update_rw_setting(
        &self,
        name: &str,
        update: Box<dyn SettingsUpdateCallback>,
    ) -> Result<bool>;
    /// Replaces a read-write setting.
    fn overwrite_rw_setting(&self, name: &str, value: &str, action: SettingsAction)
        -> Result<bool>;
    /// Deletes a read-write setting.
    fn delete_rw_settings(&self, name: &str, action: SettingsAction) -> Result<bool>;
    /// Sends `transaction_added_to_mempool` for every mempool transaction.
    fn request_mempool_transactions(
        &self,
        notifications: Box<dyn ChainNotifications>,
    ) -> Result<()>;
    /// Whether the chain is below an assumed-valid block.
    fn has_assumed_valid_chain(&self) -> Result<bool>;
}

/// A client process's life cycle, driven by the node.
pub trait ChainClient: Send + Sync {
    /// Registers its RPC methods with the node.
    fn register_rpcs(&self) -> Result<()>;
    /// Checks its configuration.
    fn verify(&self) -> Result<bool>;
    /// Loads its state (wallets).
    fn load(&self) -> Result<bool>;
    /// Starts its background work.
    fn start(&self) -> Result<()>;
    /// Stops it.
    fn stop(&self) -> Result<()>;
    /// Sets mock time (tests).
    fn set_mock_time(&self, time: i64) -> Result<()>;
    /// Moves its scheduler forward (tests).
    fn scheduler_mock_forward(&self, delta_seconds: i64) -> Result<()>;
}
