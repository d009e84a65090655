//! The seam between RPC and the chainstate. RPCs read the active chain through
//! [`ChainView`]; until blocks can be connected, the node's chain is its network's
//! genesis block, served by [`GenesisChain`].

use crate::shutdown::Shutdown;
use bitcoin::BlockHash;
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

/// A chain holding only the genesis block of a network.
pub struct GenesisChain {
    genesis: BlockHash,
}

impl GenesisChain {
    /// The chain of `network` before any block is connected.
    pub fn new(network: bitcoin::Network) -> Self {
        GenesisChain {
            genesis: bitcoin::constants::genesis_block(network).block_hash(),
        }
    }
}

impl ChainView for GenesisChain {
    fn tip(&self) -> (u32, BlockHash) {
        (0, self.genesis)
    }

    fn block_hash(&self, height: u32) -> Option<BlockHash> {
        (height == 0).then_some(self.genesis)
    }

    fn wait_for_tip_change(
        &self,
        _current: BlockHash,
        timeout: Option<Duration>,
        shutdown: &Shutdown,
    ) -> (u32, BlockHash) {
        // The tip cannot move, so this returns at shutdown or when the time is up.
        match timeout {
            Some(t) => {
                shutdown.wait_timeout(t);
            }
            None => shutdown.wait(),
        }
        self.tip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regtest_genesis() {
        let chain = GenesisChain::new(bitcoin::Network::Regtest);
        assert_eq!(
            chain.tip().1.to_string(),
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
        );
        assert!(chain.block_hash(1).is_none());
    }
}
