//! The `Chain` of a wallet opened with no node (Core's tool passes a null
//! chain): the tool only reads and writes wallet files, so every question
//! about the chain is an error, except the ones wallet creation asks on the
//! way (no tip yet, progress and messages go nowhere).

use bitcoin::{BlockHash, OutPoint, Transaction, Txid};
use interfaces::chain::*;
use interfaces::handler::Handler;
use interfaces::{BilingualStr, Error, FeeRate, Outcome, Result};

/// A chain that is not there.
pub struct OfflineChain;

fn offline<T>() -> Result<T> {
    Err(Error::Remote(
        "bitcoin-wallet works on wallet files without a node".into(),
    ))
}

/// Implements each listed method as "no node".
macro_rules! without_node {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)*) => {
        $(fn $name(&self $(, $arg: $ty)*) -> $ret {
            $(let _ = $arg;)*
            offline()
        })*
    };
}

impl Chain for OfflineChain {
    fn get_height(&self) -> Result<Option<i32>> {
        Ok(None)
    }
    fn init_message(&self, _message: &str) -> Result<()> {
        Ok(())
    }
    fn show_progress(&self, _title: &str, _progress: i32, _resume_possible: bool) -> Result<()> {
        Ok(())
    }
    fn shutdown_requested(&self) -> Result<bool> {
        Ok(false)
    }
    without_node! {
        fn get_block_hash(&self, height: i32) -> Result<BlockHash>;
        fn have_block_on_disk(&self, height: i32) -> Result<bool>;
        fn find_locator_fork(&self, locator: &BlockLocator) -> Result<Option<i32>>;
        fn has_block_filter_index(&self, filter_type: u8) -> Result<bool>;
        fn block_filter_matches_any(&self, filter_type: u8, block_hash: &BlockHash, filter_set: &[Vec<u8>]) -> Result<Option<bool>>;
        fn find_block(&self, hash: &BlockHash, block: &FoundBlockParam) -> Result<(FoundBlockResult, bool)>;
        fn find_first_block_with_time_and_height(&self, min_time: i64, min_height: i32, block: &FoundBlockParam) -> Result<(FoundBlockResult, bool)>;
        fn find_ancestor_by_height(&self, block_hash: &BlockHash, ancestor_height: i32, ancestor: &FoundBlockParam) -> Result<(FoundBlockResult, bool)>;
        fn find_ancestor_by_hash(&self, block_hash: &BlockHash, ancestor_hash: &BlockHash, ancestor: &FoundBlockParam) -> Result<(FoundBlockResult, bool)>;
        fn find_common_ancestor(&self, block_hash1: &BlockHash, block_hash2: &BlockHash, ancestor: &FoundBlockParam, block1: &FoundBlockParam, block2: &FoundBlockParam) -> Result<CommonAncestor>;
        fn find_coins(&self, coins: &[(OutPoint, Option<Coin>)]) -> Result<Vec<(OutPoint, Option<Coin>)>>;
        fn guess_verification_progress(&self, block_hash: &BlockHash) -> Result<f64>;
        fn has_blocks(&self, block_hash: &BlockHash, min_height: i32, max_height: Option<i32>) -> Result<bool>;
        fn is_rbf_opt_in(&self, tx: &Transaction) -> Result<RbfTransactionState>;
        fn is_in_mempool(&self, txid: &Txid) -> Result<bool>;
        fn has_descendants_in_mempool(&self, txid: &Txid) -> Result<bool>;
        fn broadcast_transaction(&self, tx: &Transaction, max_tx_fee: i64, broadcast_method: TxBroadcast) -> Result<Broadcast>;
        fn get_transaction_ancestry(&self, txid: &Txid) -> Result<TxAncestry>;
        fn calculate_individual_bump_fees(&self, outpoints: &[OutPoint], target_feerate: &FeeRate) -> Result<Vec<(OutPoint, i64)>>;
        fn calculate_combined_bump_fee(&self, outpoints: &[OutPoint], target_feerate: &FeeRate) -> Result<Option<i64>>;
        fn get_package_limits(&self) -> Result<PackageLimits>;
        fn check_chain_limits(&self, tx: &Transaction) -> Result<Outcome<()>>;
        fn estimate_smart_fee(&self, num_blocks: i32, conservative: bool, want_calc: bool) -> Result<SmartFee>;
        fn estimate_max_blocks(&self) -> Result<u32>;
        fn mempool_min_fee(&self) -> Result<FeeRate>;
        fn relay_min_fee(&self) -> Result<FeeRate>;
        fn relay_incremental_fee(&self) -> Result<FeeRate>;
        fn relay_dust_fee(&self) -> Result<FeeRate>;
        fn have_pruned(&self) -> Result<bool>;
        fn get_prune_height(&self) -> Result<Option<i32>>;
        fn is_ready_to_broadcast(&self) -> Result<bool>;
        fn is_initial_block_download(&self) -> Result<bool>;
        fn init_warning(&self, message: &BilingualStr) -> Result<()>;
        fn init_error(&self, message: &BilingualStr) -> Result<()>;
        fn handle_notifications(&self, notifications: Box<dyn ChainNotifications>) -> Result<Box<dyn Handler>>;
        fn wait_for_notifications_if_tip_changed(&self, old_tip: &BlockHash) -> Result<()>;
        fn handle_rpc(&self, command: &RpcCommand) -> Result<Box<dyn Handler>>;
        fn rpc_enable_deprecated(&self, method: &str) -> Result<bool>;
        fn get_setting(&self, name: &str) -> Result<String>;
        fn get_settings_list(&self, name: &str) -> Result<Vec<String>>;
        fn get_rw_setting(&self, name: &str) -> Result<String>;
        fn update_rw_setting(&self, name: &str, update: Box<dyn SettingsUpdateCallback>) -> Result<bool>;
        fn overwrite_rw_setting(&self, name: &str, value: &str, action: SettingsAction) -> Result<bool>;
        fn delete_rw_settings(&self, name: &str, action: SettingsAction) -> Result<bool>;
        fn request_mempool_transactions(&self, notifications: Box<dyn ChainNotifications>) -> Result<()>;
        fn has_assumed_valid_chain(&self) -> Result<bool>;
    }
}
