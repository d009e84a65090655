//! The seam between RPC and the chainstate: simple RPCs read the active chain
//! through [`ChainView`] (implemented by [`crate::NodeChain`]).

use bitcoin::BlockHash;
use common::shutdown::Shutdown;
use std::time::Duration;

/// Read access to the active chain.
pub trait ChainView: Send + Sync {
    /// Height and hash of the tip.
    fn tip(&self) -> (u32, BlockHash);
    /// Hash of the active-chain block at `height`.
    fn block_hash(&self, height: u32) -> Option<BlockHash>;
    /// Waits until the tip differs from `current`, shutdown, or `timeout`
    /// (None: no limit); returns the tip at that moment.
    fn wait_for_tip_change(
        &self,
        current: BlockHash,
        timeout: Option<Duration>,
        shutdown: &Shutdown,
    ) -> (u32, BlockHash);
}
