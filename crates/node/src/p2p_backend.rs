//! The P2P layer's view of this node ([`net::NodeBackend`]) while the node's chain
//! is only its genesis block: peers can complete the handshake, ask for headers
//! and the genesis block, and are told politely that nothing else is accepted.
//! The real chainstate and mempool replace this when they are wired.

use bitcoin::block::Header;
use bitcoin::consensus::encode::serialize;
use bitcoin::{Block, BlockHash, Transaction};
use net::{BlockAccepted, NodeBackend, Rejected, TxRef};

/// A backend whose chain is one genesis block and whose mempool stays empty.
pub struct GenesisBackend {
    genesis: Block,
    hash: BlockHash,
}

impl GenesisBackend {
    /// The genesis-only backend of `network`.
    pub fn new(network: bitcoin::Network) -> Self {
        let genesis = bitcoin::constants::genesis_block(network);
        let hash = genesis.block_hash();
        GenesisBackend { genesis, hash }
    }
}

impl NodeBackend for GenesisBackend {
    fn tip(&self) -> (u32, BlockHash) {
        (0, self.hash)
    }

    fn block_locator(&self, _from: Option<BlockHash>) -> Vec<BlockHash> {
        vec![self.hash]
    }

    fn header_height(&self, hash: &BlockHash) -> Option<u32> {
        (*hash == self.hash).then_some(0)
    }

    fn header(&self, hash: &BlockHash) -> Option<Header> {
        (*hash == self.hash).then_some(self.genesis.header)
    }

    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, _max: usize) -> Vec<Header> {
        // Nothing follows genesis; an empty locator asks for `stop` alone.
        if locator.is_empty() && *stop == self.hash {
            return vec![self.genesis.header];
        }
        Vec::new()
    }

    fn has_block(&self, hash: &BlockHash) -> bool {
        *hash == self.hash
    }

    fn block_bytes(&self, hash: &BlockHash) -> Option<Vec<u8>> {
        (*hash == self.hash).then(|| serialize(&self.genesis))
    }

    fn process_headers(&self, _headers: &[Header]) -> Result<(), Rejected> {
        // Not the peer's fault: this node cannot store headers yet.
        Err(Rejected::benign("headers-not-accepted"))
    }

    fn blocks_to_download(&self, _target: &BlockHash, _max: usize) -> Vec<BlockHash> {
        Vec::new()
    }

    fn process_block(&self, block: Block) -> Result<BlockAccepted, Rejected> {
        if block.block_hash() == self.hash {
            return Ok(BlockAccepted::Duplicate);
        }
        Err(Rejected::benign("blocks-not-accepted"))
    }

    fn have_transaction(&self, _id: &TxRef) -> bool {
        false
    }

    fn mempool_transaction(&self, _id: &TxRef) -> Option<Transaction> {
        None
    }

    fn accept_transaction(&self, _tx: Transaction) -> Result<(), Rejected> {
        Err(Rejected::benign("mempool-not-available"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn serves_genesis_only() {
        let b = GenesisBackend::new(bitcoin::Network::Regtest);
        let (h, tip) = b.tip();
        assert_eq!(h, 0);
        assert!(b.has_block(&tip));
        assert_eq!(b.headers_after(&[], &tip, 2000).len(), 1);
        assert!(b
            .headers_after(&[tip], &BlockHash::all_zeros(), 2000)
            .is_empty());
        assert!(b.block_bytes(&BlockHash::all_zeros()).is_none());
        let rej = b.process_headers(&[b.genesis.header]).unwrap_err();
        assert!(!rej.punish, "peers are not punished for our limits");
    }
}
