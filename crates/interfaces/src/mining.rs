//! Block template provider interface for mining clients (Stratum v2 and the
//! like), mirroring Core's `interfaces::Mining` / `mining.capnp`.

use crate::Result;
use bitcoin::{Block, BlockHash, Transaction, Txid, Wtxid};
use std::time::Duration;

/// A block by hash and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// Block hash.
    pub hash: BlockHash,
    /// Block height.
    pub height: i32,
}

/// Options of [`Mining::create_new_block`] (Core's `BlockCreateOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCreateOptions {
    /// Include mempool transactions.
    pub use_mempool: bool,
    /// Weight reserved for the coinbase and the block header.
    pub block_reserved_weight: u64,
    /// Sigops reserved for extra coinbase outputs.
    pub coinbase_output_max_additional_sigops: u64,
}

impl Default for BlockCreateOptions {
    fn default() -> Self {
        BlockCreateOptions {
            use_mempool: true,
            block_reserved_weight: 8000,
            coinbase_output_max_additional_sigops: 400,
        }
    }
}

/// Options of [`BlockTemplate::wait_next`] (Core's `BlockWaitOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockWaitOptions {
    /// How long to wait; `None` waits until interrupted.
    pub timeout: Option<Duration>,
    /// Return a new template once fees rise by at least this many satoshis.
    pub fee_threshold: i64,
}

impl Default for BlockWaitOptions {
    fn default() -> Self {
        BlockWaitOptions {
            timeout: None,
            fee_threshold: MAX_MONEY,
        }
    }
}

/// Options of [`Mining::check_block`] (Core's `BlockCheckOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCheckOptions {
    /// Check the merkle root.
    pub check_merkle_root: bool,
    /// Check proof of work.
    pub check_pow: bool,
}

impl Default for BlockCheckOptions {
    fn default() -> Self {
        BlockCheckOptions {
            check_merkle_root: true,
            check_pow: true,
        }
    }
}

/// Outcome of [`Mining::check_block`] and [`Mining::submit_block`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockCheck {
    /// Whether the block is valid (check) or was accepted (submit).
    #[doc(alias = "result")]
    pub valid: bool,
    /// Reject reason (`bad-…`), empty when valid.
    pub reason: String,
    /// Extra detail for debugging.
    pub debug: String,
}

/// What a miner needs to build the coinbase (Core's `CoinbaseTx`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoinbaseTx {
    /// Transaction version.
    pub version: u32,
    /// Input sequence.
    pub sequence: u32,
    /// Start of the coinbase scriptSig (height push and so on).
    pub script_sig_prefix: Vec<u8>,
    /// Witness reserved value, if the block has witness data.
    pub witness: Option<Vec<u8>>,
    /// Satoshis left for the miner's outputs.
    pub block_reward_remaining: i64,
    /// Serialized outputs the coinbase must contain (e.g. witness commitment).
    pub required_outputs: Vec<Vec<u8>>,
    /// Transaction lock time.
    pub lock_time: u32,
}

/// 21 million BTC in satoshis: the default fee threshold (never reached).
pub const MAX_MONEY: i64 = 2_100_000_000_000_000;

/// A block template being worked on.
pub trait BlockTemplate: Send + Sync {
    /// The 80-byte header.
    fn get_block_header(&self) -> Result<bitcoin::block::Header>;
    /// The block, with a dummy coinbase.
    fn get_block(&self) -> Result<Block>;
    /// Fees of each transaction, coinbase excluded.
    fn get_tx_fees(&self) -> Result<Vec<i64>>;
    /// Sigop cost of each transaction, coinbase excluded.
    fn get_tx_sigops(&self) -> Result<Vec<i64>>;
    /// Coinbase construction data.
    fn get_coinbase_tx(&self) -> Result<CoinbaseTx>;
    /// Merkle branch of the coinbase (hashes in internal byte order).
    fn get_coinbase_merkle_path(&self) -> Result<Vec<[u8; 32]>>;
    /// Submits a solved block built from this template; no coinbase (null
    /// or empty data on the wire) is a refusal, `false`.
    fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: Option<Transaction>,
    ) -> Result<bool>;
    /// Waits for a better template; `None` on timeout or interrupt.
    fn wait_next(&self, options: &BlockWaitOptions) -> Result<Option<Box<dyn BlockTemplate>>>;
    /// Makes a pending [`BlockTemplate::wait_next`] return `None` now.
    fn interrupt_wait(&self) -> Result<()>;
}

/// Mining services of a node.
pub trait Mining: Send + Sync {
    /// Whether the chain is a test chain.
    fn is_test_chain(&self) -> Result<bool>;
    /// Whether the node is in initial block download.
    fn is_initial_block_download(&self) -> Result<bool>;
    /// The tip, if there is one.
    fn get_tip(&self) -> Result<Option<BlockRef>>;
    /// Waits until the tip differs from `current_tip` or `timeout` passes
    /// (`None`: no limit); returns the tip, or `None` on interrupt/shutdown.
    fn wait_tip_changed(
        &self,
        current_tip: BlockHash,
        timeout: Option<Duration>,
    ) -> Result<Option<BlockRef>>;
    /// A new block template; `None` on interrupt or shutdown.
    fn create_new_block(
        &self,
        options: &BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Box<dyn BlockTemplate>>>;
    /// Checks a block without submitting it.
    fn check_block(&self, block: &Block, options: &BlockCheckOptions) -> Result<BlockCheck>;
    /// Makes pending `create_new_block` / `wait_tip_changed` calls return now.
    fn interrupt(&self) -> Result<()>;
    /// Submits a block.
    fn submit_block(&self, block: &Block) -> Result<BlockCheck>;
    /// Transactions by txid; `None` where not found.
    fn get_transactions_by_tx_id(&self, txids: &[Txid]) -> Result<Vec<Option<Transaction>>>;
    /// Transactions by wtxid; `None` where not found.
    fn get_transactions_by_witness_id(&self, wtxids: &[Wtxid]) -> Result<Vec<Option<Transaction>>>;
}

/// A shared implementation serves as well: `Box::new(arc.clone())`.
impl<T: Mining + ?Sized> Mining for std::sync::Arc<T> {
    fn is_test_chain(&self) -> Result<bool> {
        (**self).is_test_chain()
    }
    fn is_initial_block_download(&self) -> Result<bool> {
        (**self).is_initial_block_download()
    }
    fn get_tip(&self) -> Result<Option<BlockRef>> {
        (**self).get_tip()
    }
    fn wait_tip_changed(
        &self,
        current_tip: BlockHash,
        timeout: Option<Duration>,
    ) -> Result<Option<BlockRef>> {
        (**self).wait_tip_changed(current_tip, timeout)
    }
    fn create_new_block(
        &self,
        options: &BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Box<dyn BlockTemplate>>> {
        (**self).create_new_block(options, cooldown)
    }
    fn check_block(&self, block: &Block, options: &BlockCheckOptions) -> Result<BlockCheck> {
        (**self).check_block(block, options)
    }
    fn interrupt(&self) -> Result<()> {
        (**self).interrupt()
    }
    fn submit_block(&self, block: &Block) -> Result<BlockCheck> {
        (**self).submit_block(block)
    }
    fn get_transactions_by_tx_id(&self, txids: &[Txid]) -> Result<Vec<Option<Transaction>>> {
        (**self).get_transactions_by_tx_id(txids)
    }
    fn get_transactions_by_witness_id(&self, wtxids: &[Wtxid]) -> Result<Vec<Option<Transaction>>> {
        (**self).get_transactions_by_witness_id(wtxids)
    }
}
