//! BIP152 compact blocks: `sendcmpct` and high-bandwidth peer selection,
//! serving `cmpctblock` and `blocktxn`, and rebuilding blocks from the
//! `cmpctblock`/`blocktxn` peers send.

use super::blocks::update_best_known;
use super::*;
use crate::compact::{compact_from_block, PartialBlock, ReadError, CMPCTBLOCKS_VERSION};
use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds};
use bitcoin::p2p::message_compact_blocks::{BlockTxn, CmpctBlock};

/// Deepest block served as a compact block; older ones go out whole (a peer
/// that far behind has no mempool to rebuild from).
pub(super) const MAX_CMPCTBLOCK_DEPTH: u32 = 5;
/// Deepest block whose transactions are served by `blocktxn`.
const MAX_BLOCKTXN_DEPTH: u32 = 10;
/// Peers asked to push new blocks to us as `cmpctblock` (BIP152).
const MAX_HB_PEERS: usize = 3;
/// Orphans and refused transactions kept to rebuild compact blocks (Core's
/// `-blockreconstructionextratxn` default).
const MAX_EXTRA_TXN: usize = 100;
/// Most peers a block is rebuilt from at once (Core's
/// `MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK`).
const MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK: usize = 3;
/// How far above our tip a compact block may be rebuilt; further blocks
/// are fetched whole or treated as a header announcement.
const MAX_CMPCT_HEIGHT_AHEAD: u32 = 2;

impl Handler {
    pub(super) fn on_sendcmpct(&mut self, id: PeerId, announce: u8, version: u64) {
        if announce > 1 {
            self.misbehaving(id, "invalid sendcmpct announce field");
            return;
        }
        // Only witness-carrying compact blocks are spoken.
        if version != CMPCTBLOCKS_VERSION {
            return;
        }
        if let Some(st) = self.peers.get_mut(&id) {
            st.provides_cmpct = true;
            st.wants_hb_cmpct = announce == 1;
            st.peer.stats().bip152_hb_from = announce == 1;
        }
    }

    /// Asks `id`, which just gave us a new block, to push new blocks as
    /// `cmpctblock`, dropping the longest-serving of three such peers but
    /// never the last outbound one for an inbound peer (Core's
    /// `MaybeSetPeerAsAnnouncingHeaderAndIDs`).
    pub(super) fn select_hb_peer(&mut self, id: PeerId) {
        // Without transaction relay our mempool cannot rebuild blocks.
        if !self.config.relay_txs {
            return;
        }
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        if !st.provides_cmpct {
            return;
        }
        if let Some(pos) = self.hb_peers.iter().position(|p| *p == id) {
            self.hb_peers.remove(pos);
            self.hb_peers.push_back(id);
            return;
        }
        let is_outbound =
            |h: &Handler, p: &PeerId| h.peers.get(p).is_some_and(|s| !s.peer.is_inbound());
        let outbound_hb = self
            .hb_peers
            .iter()
            .filter(|p| is_outbound(self, p))
            .count();
        if st.peer.is_inbound()
            && self.hb_peers.len() >= MAX_HB_PEERS
            && outbound_hb == 1
            && self.hb_peers.front().is_some_and(|p| is_outbound(self, p))
        {
            self.hb_peers.swap(0, 1);
        }
        st.send(NetworkMessage::SendCmpct(SendCmpct {
            send_compact: true,
            version: CMPCTBLOCKS_VERSION,
        }));
        st.peer.stats().bip152_hb_to = true;
        self.hb_peers.push_back(id);
        if self.hb_peers.len() > MAX_HB_PEERS {
            if let Some(stop) = self.hb_peers.pop_front() {
                if let Some(s) = self.peers.get(&stop) {
                    s.send(NetworkMessage::SendCmpct(SendCmpct {
                        send_compact: false,
                        version: CMPCTBLOCKS_VERSION,
                    }));
                    s.peer.stats().bip152_hb_to = false;
                }
            }
        }
    }

    /// The compact form of a stored block; the tip's is built once and
    /// reused so every peer gets the same nonce.
    pub(super) fn compact_block(&mut self, hash: &BlockHash) -> Option<HeaderAndShortIds> {
        if let Some((h, c)) = &self.recent_compact {
            if h == hash {
                return Some(c.clone());
            }
        }
        let bytes = self.backend.block_bytes(hash)?;
        let (block, _) = consensus::codec::read_block_prefix(&bytes).ok()?;
        let cmpct = compact_from_block(&block, rand::random())?;
        if self.backend.tip().1 == *hash {
            self.recent_compact = Some((*hash, cmpct.clone()));
        }
        Some(cmpct)
    }

    /// Answers `getdata(MSG_CMPCT_BLOCK)`: compact when near the tip, the
    /// full block otherwise. False when we do not have the block.
    pub(super) fn send_compact_or_block(&mut self, id: PeerId, hash: BlockHash) -> bool {
        let Some(height) = self.backend.header_height(&hash) else {
            return false;
        };
        if !self.backend.has_block(&hash) {
            return false;
        }
        let near_tip = height + MAX_CMPCTBLOCK_DEPTH >= self.backend.tip().0;
        let cmpct = if near_tip && !self.backend.is_initial_block_download() {
            self.compact_block(&hash)
        } else {
            None
        };
        let Some(st) = self.peers.get_mut(&id) else {
            return false;
        };
        st.known_blocks.insert(hash);
        match cmpct {
            Some(c) => st.send(NetworkMessage::CmpctBlock(CmpctBlock { compact_block: c })),
            None => match self.backend.block_bytes(&hash) {
                Some(bytes) => st.peer.send("block", &bytes),
                None => return false,
            },
        }
        true
    }

    pub(super) fn on_getblocktxn(&mut self, id: PeerId, req: BlockTransactionsRequest) {
        let hash = req.block_hash;
        let height = self.backend.header_height(&hash);
        let Some(height) = height.filter(|_| self.backend.has_block(&hash)) else {
            tracing::debug!(target: "net", "Peer {id} sent us a getblocktxn for a block we don't have");
            return;
        };
        let Some(bytes) = self.backend.block_bytes(&hash) else {
            return;
        };
        if height + MAX_BLOCKTXN_DEPTH < self.backend.tip().0 {
            // Old blocks go out whole: a peer cannot make us read many of
            // them from disk for a few bytes of request each.
            tracing::debug!(
                target: "net",
                "Peer {id} sent us a getblocktxn for a block > {MAX_BLOCKTXN_DEPTH} deep"
            );
            if let Some(st) = self.peers.get_mut(&id) {
                st.known_blocks.insert(hash);
                st.peer.send("block", &bytes);
            }
            return;
        }
        let Ok((block, _)) = consensus::codec::read_block_prefix(&bytes) else {
            return;
        };
        let mut transactions = Vec::with_capacity(req.indexes.len());
        for i in &req.indexes {
            match usize::try_from(*i).ok().and_then(|i| block.txdata.get(i)) {
                Some(tx) => transactions.push(tx.clone()),
                None => {
                    self.misbehaving(id, "getblocktxn with out-of-bounds tx indices");
                    return;
                }
            }
        }
        if let Some(st) = self.peers.get(&id) {
            tracing::debug!(
                target: "cmpctblock",
                "{} sent us a GETBLOCKTXN for block {hash}, sending a BLOCKTXN with {} txns.",
                st.peer.log_name(),
                transactions.len()
            );
            st.send(NetworkMessage::BlockTxn(BlockTxn {
                transactions: BlockTransactions {
                    block_hash: hash,
                    transactions,
                },
            }));
        }
    }

    /// Keeps an orphan or refused transaction for rebuilding compact blocks.
    pub(super) fn keep_extra_txn(&mut self, tx: &Arc<Transaction>) {
        if self.extra_txn.len() >= MAX_EXTRA_TXN {
            self.extra_txn.pop_front();
        }
        self.extra_txn.push_back((tx.compute_wtxid(), tx.clone()));
    }

    /// Asks `id` for the whole block after its compact form could not be used.
    fn request_full_block(&self, id: PeerId, hash: BlockHash) {
        if let Some(st) = self.peers.get(&id) {
            let witness = st
                .version
                .as_ref()
                .is_some_and(|v| v.services & NODE_WITNESS != 0);
            st.send(NetworkMessage::GetData(vec![if witness {
                Inventory::WitnessBlock(hash)
            } else {
                Inventory::Block(hash)
            }]));
        }
    }

    pub(super) fn on_cmpctblock(&mut self, id: PeerId, cmpct: HeaderAndShortIds) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        let who = st.peer.log_name();
        if !self.config.relay_txs {
            tracing::debug!(target: "cmpctblock", "{who} sent us a compact block even though we are blocksonly!");
            return;
        }
        if !st.provides_cmpct {
            tracing::debug!(target: "cmpctblock", "{who} sent us a compact block despite never having sent us a SENDCMPCT!");
            return;
        }
        let header = cmpct.header;
        let hash = header.block_hash();
        if self.backend.header_height(&header.prev_blockhash).is_none() {
            if !self.backend.is_initial_block_download() {
                let locator = self.backend.block_locator(None);
                self.send_getheaders(id, locator, BlockHash::all_zeros());
            }
            return;
        }
        if !self.backend.headers_claim_enough_work(&[header]) {
            tracing::debug!(target: "net", "Ignoring low-work compact block from peer {id}");
            return;
        }
        if let Err(rej) = self.backend.process_headers(&[header]) {
            tracing::debug!(target: "net", "compact block header {hash} from peer={id} rejected: {}", rej.reason);
            if !rej.spare_compact_relay {
                self.blame(id, &rej, "invalid header via cmpctblock");
            }
            return;
        }
        let Some(height) = self.backend.header_height(&hash) else {
            return;
        };
        let have_data = self.backend.has_block(&hash);
        if let Some(st) = self.peers.get_mut(&id) {
            st.known_blocks.insert(hash);
            st.known_headers.insert(hash);
            update_best_known(st, hash, height, have_data);
        }
        if have_data {
            return;
        }
        let requesters = self.block_requesters(&hash);
        let already_in_flight = requesters.len();
        let from_this_peer = requesters.contains(&id);
        let first_in_flight = requesters.first().is_none_or(|p| *p == id);
        let hb_to = self
            .peers
            .get(&id)
            .is_some_and(|st| st.peer.stats().bip152_hb_to);
        if !from_this_peer && !hb_to {
            tracing::debug!(target: "cmpctblock", "{who}, not marked as high-bandwidth, sent us an unsolicited compact block!");
            return;
        }
        if !self.backend.more_work_than_tip(&hash) {
            // Asked for, but our mempool will not help with a side branch.
            if from_this_peer {
                self.request_full_block(id, hash);
            }
            return;
        }
        if already_in_flight == 0 && self.backend.is_initial_block_download() {
            return;
        }
        let tip_height = self.backend.tip().0;
        if height > tip_height + MAX_CMPCT_HEIGHT_AHEAD {
            if from_this_peer {
                self.request_full_block(id, hash);
            } else {
                // An announcement of a block further ahead: take it as the
                // header it carries.
                self.on_headers(id, vec![header]);
            }
            return;
        }
        let peer_slots = self
            .peers
            .get(&id)
            .is_some_and(|st| st.in_flight.len() < MAX_BLOCKS_IN_TRANSIT_PER_PEER);
        if (already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK && peer_slots) || from_this_peer
        {
            if self
                .peers
                .get(&id)
                .is_some_and(|st| st.partial_blocks.contains_key(&hash))
            {
                tracing::debug!(target: "net", "Peer sent us compact block we were already syncing!");
                return;
            }
            self.block_requested(id, hash);
            let partial = PartialBlock::new(
                &cmpct,
                self.backend.compact_block_candidates(),
                &self.extra_txn,
            );
            match partial {
                Err(ReadError::Invalid) => {
                    self.remove_block_request(&hash, Some(id));
                    self.misbehaving(id, "invalid compact block");
                }
                Err(ReadError::Failed) if first_in_flight => self.request_full_block(id, hash),
                // Others are on it; this peer's copy is not needed.
                Err(ReadError::Failed) => self.remove_block_request(&hash, Some(id)),
                Ok(partial) => {
                    let missing = partial.missing();
                    if let Some(st) = self.peers.get_mut(&id) {
                        st.partial_blocks.insert(hash, Some(partial));
                    }
                    // Round trips go to the first requester, and to
                    // high-bandwidth peers while slots remain, the last
                    // slot being kept for an outbound peer.
                    let inbound = self.peers.get(&id).is_some_and(|st| st.peer.is_inbound());
                    let outbound_asked = requesters
                        .iter()
                        .any(|p| self.peers.get(p).is_some_and(|st| !st.peer.is_inbound()));
                    let ask = first_in_flight
                        || (hb_to
                            && (!inbound
                                || outbound_asked
                                || already_in_flight + 1 < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK));
                    if missing.is_empty() {
                        self.fill_compact_block(id, hash, Vec::new());
                    } else if !ask {
                        self.remove_block_request(&hash, Some(id));
                    } else if let Some(st) = self.peers.get(&id) {
                        st.send(NetworkMessage::GetBlockTxn(
                            bitcoin::p2p::message_compact_blocks::GetBlockTxn {
                                txs_request: BlockTransactionsRequest {
                                    block_hash: hash,
                                    indexes: missing,
                                },
                            },
                        ));
                    }
                }
            }
            return;
        }
        // Being fetched from another peer: try to rebuild it right away
        // anyway, which needs no round trip when the mempool has it all.
        let Ok(partial) = PartialBlock::new(
            &cmpct,
            self.backend.compact_block_candidates(),
            &self.extra_txn,
        ) else {
            return;
        };
        let segwit = self.backend.segwit_active_at(height);
        if let Ok(block) = partial.fill(Vec::new(), segwit) {
            self.process_received_block(id, block, true, true);
            if self.backend.has_block(&hash) {
                self.remove_block_request(&hash, None);
            }
        }
    }

    pub(super) fn on_blocktxn(&mut self, id: PeerId, txs: BlockTransactions) {
        let hash = txs.block_hash;
        self.fill_compact_block(id, hash, txs.transactions);
    }

    /// Completes the compact block `hash` being rebuilt from `id` with the
    /// transactions it sent (Core's `ProcessCompactBlockTxns`).
    fn fill_compact_block(&mut self, id: PeerId, hash: BlockHash, missing: Vec<Transaction>) {
        let requesters = self.block_requesters(&hash);
        let first_in_flight = requesters.first().is_none_or(|p| *p == id);
        let expected = requesters.contains(&id);
        let slot = self
            .peers
            .get_mut(&id)
            .and_then(|st| st.partial_blocks.get_mut(&hash))
            .filter(|_| expected);
        let Some(slot) = slot else {
            tracing::debug!(target: "net", "Peer {id} sent us block transactions for block we weren't expecting");
            return;
        };
        let Some(partial) = slot.take() else {
            self.remove_block_request(&hash, Some(id));
            self.misbehaving(id, "previous compact block reconstruction attempt failed");
            tracing::debug!(target: "net", "Peer {id} sent compact block transactions multiple times");
            return;
        };
        let segwit = self
            .backend
            .header_height(&partial.header().prev_blockhash)
            .is_some_and(|h| self.backend.segwit_active_at(h + 1));
        match partial.fill(missing, segwit) {
            Err(ReadError::Invalid) => {
                self.remove_block_request(&hash, Some(id));
                self.misbehaving(id, "invalid compact block/non-matching block transactions");
            }
            // Maybe a short id collision: the whole block settles it. The
            // spent slot stays, so a second `blocktxn` is caught.
            Err(ReadError::Failed) if first_in_flight => self.request_full_block(id, hash),
            Err(ReadError::Failed) => {
                self.remove_block_request(&hash, Some(id));
                tracing::debug!(target: "net", "Peer {id} sent us a compact block but it failed to reconstruct, waiting on first download to complete");
            }
            Ok(block) => {
                self.remove_block_request(&hash, Some(id));
                self.process_received_block(id, block, true, true);
            }
        }
    }
}
