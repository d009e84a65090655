//! Delivers the node's validation events to a client's `ChainNotifications`
//! (a wallet's, usually in another process), in order, as Core's
//! `NotificationsHandlerImpl` does.

use super::blocks::TimeMax;
use chainstate_service::signals::{Event, Subscriber};
use chainstate_service::NodeChain;
use interfaces::chain::{
    BlockInfo, BlockLocator, ChainNotifications, ChainstateRole, MemPoolRemovalReason,
};
use mempool::RemovalReason;
use std::sync::Arc;

/// One subscribed client.
pub struct Notifier {
    /// The client.
    pub client: Arc<dyn ChainNotifications>,
    /// The chain, for block facts the events do not carry.
    pub chain: Arc<NodeChain>,
    /// Shared `nTimeMax` cache.
    pub time_max: Arc<TimeMax>,
}

/// Events of the active, fully validated chainstate (no snapshots here).
const ROLE: ChainstateRole = ChainstateRole {
    validated: true,
    historical: false,
};

impl Notifier {
    fn block_info(&self, block: &Arc<bitcoin::Block>, height: u32) -> BlockInfo {
        let hash = block.block_hash();
        let prev = block.header.prev_blockhash;
        let cs = self.chain.lock();
        let entry = cs
            .index()
            .id(&hash)
            .and_then(|id| cs.index().entry(id).map(|e| (id, e)));
        let (file_number, data_pos, chain_time_max) = match entry {
            Some((id, e)) => (e.file as i32, e.data_pos, self.time_max.of(&cs, id)),
            None => (-1, 0, block.header.time),
        };
        BlockInfo {
            hash,
            prev_hash: (height > 0).then_some(prev),
            height: height as i32,
            file_number,
            data_pos,
            data: Some((**block).clone()),
            undo_data: None,
            chain_time_max,
        }
    }
}

fn reason(r: RemovalReason) -> MemPoolRemovalReason {
    match r {
        RemovalReason::Reorg => MemPoolRemovalReason::Reorg,
        RemovalReason::Conflict => MemPoolRemovalReason::Conflict,
        RemovalReason::Replaced => MemPoolRemovalReason::Replaced,
        RemovalReason::Expiry => MemPoolRemovalReason::Expiry,
        RemovalReason::SizeLimit => MemPoolRemovalReason::SizeLimit,
    }
}

impl Subscriber for Notifier {
    fn notify(&self, event: &Event) -> bool {
        let result = match event {
            Event::TransactionAdded(tx, _) => self.client.transaction_added_to_mempool(tx),
            Event::TransactionRemoved(tx, r, _) => {
                self.client.transaction_removed_from_mempool(tx, reason(*r))
            }
            Event::BlockConnected(block, height) => self
                .client
                .block_connected(&ROLE, &self.block_info(block, *height)),
            Event::BlockDisconnected(block, height) => self
                .client
                .block_disconnected(&self.block_info(block, *height)),
            Event::UpdatedBlockTip => self.client.updated_block_tip(),
            Event::ChainStateFlushed(locator) => self
                .client
                .chain_state_flushed(&ROLE, &BlockLocator(locator.clone())),
        };
        match result {
            Ok(()) => true,
            // Its process is gone: stop sending.
            Err(interfaces::Error::Disconnected) => false,
            Err(e) => {
                tracing::warn!("A chain client failed to process a notification: {e}");
                true
            }
        }
    }
}
