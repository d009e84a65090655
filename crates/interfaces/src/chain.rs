//! `Chain`: what a wallet process asks of the node (first version; grows with
//! the wallet issues, following Core's multiprocess branch).

use crate::Result;
use bitcoin::BlockHash;

/// The node's chain, seen from another process.
pub trait Chain: Send + Sync {
    /// Height of the tip, `None` before genesis is loaded.
    fn get_height(&self) -> Result<Option<i32>>;
    /// Hash of the active-chain block at `height`; an error for heights
    /// outside the chain (Core asserts; a remote peer must get an error).
    fn get_block_hash(&self, height: i32) -> Result<BlockHash>;
    /// Whether the block at `height` has its data on disk.
    fn have_block_on_disk(&self, height: i32) -> Result<bool>;
}
