//! The P2P layer as the chainstate sees it. The node implements [`Peers`]
//! over its running P2P manager and hands it over once P2P has started; until
//! then notifications are dropped, which is right because there are no peers
//! to tell yet.

use bitcoin::{BlockHash, Txid, Wtxid};

/// What the chainstate tells the P2P layer, and asks of it.
pub trait Peers: Send + Sync {
    /// The active tip changed to `tip` (announce it, ask for more headers).
    fn block_tip_changed(&self, tip: BlockHash);
    /// A transaction accepted from RPC: announce it to peers.
    fn relay_transaction(&self, txid: Txid, wtxid: Wtxid);
    /// Open connections, inbound and outbound.
    fn connection_count(&self) -> usize;
    /// Asks peer `id` for the block `hash` (`getblockfrompeer`).
    fn fetch_block(&self, id: i64, hash: BlockHash) -> Result<(), String>;
}
