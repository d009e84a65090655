//! Headers-first block sync and block announcements: `getheaders`, `headers`,
//! block download scheduling, `block`, `getblocks`, and BIP130 announcements.

use super::*;

impl Handler {
    /// Sends `getheaders` unless one is still unanswered (Core's
    /// `MaybeSendGetHeaders`); true when sent.
    pub(super) fn send_getheaders(
        &mut self,
        id: PeerId,
        locator: Vec<BlockHash>,
        stop: BlockHash,
    ) -> bool {
        let Some(st) = self.peers.get_mut(&id) else {
            return false;
        };
        if st
            .last_getheaders
            .is_some_and(|t| t.elapsed() < HEADERS_RESPONSE_TIME)
        {
            return false;
        }
        st.last_getheaders = Some(Instant::now());
        st.send(NetworkMessage::GetHeaders(GetHeadersMessage {
            version: LOCATOR_VERSION,
            locator_hashes: locator,
            stop_hash: stop,
        }));
        true
    }

    pub(super) fn on_getheaders(&mut self, id: PeerId, gh: GetHeadersMessage) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let headers =
            self.backend
                .headers_after(&gh.locator_hashes, &gh.stop_hash, MAX_HEADERS_RESULTS);
        let start = headers
            .first()
            .and_then(|h| self.backend.header_height(&h.block_hash()))
            .map_or(-1, i64::from);
        let stop = if gh.stop_hash == BlockHash::all_zeros() {
            "end".to_string()
        } else {
            gh.stop_hash.to_string()
        };
        tracing::debug!(target: "net", "getheaders {start} to {stop} from peer={id}");
        if let Some(last) = headers.last() {
            st.known_blocks.insert(last.block_hash());
        }
        // Nothing sent: the peer is at our tip already.
        let best_sent = headers
            .last()
            .map_or_else(|| self.backend.tip().1, |h| h.block_hash());
        st.known_headers.insert(best_sent);
        st.send(NetworkMessage::Headers(headers));
    }

    /// Old-style sync: `inv` for up to 500 active-chain blocks after the
    /// locator, stopping before `stop` (Core's `getblocks`).
    pub(super) fn on_getblocks(&mut self, id: PeerId, gb: GetHeadersMessage) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let headers = self
            .backend
            .headers_after(&gb.locator_hashes, &gb.stop_hash, 500);
        let mut inv = Vec::new();
        for h in headers {
            let hash = h.block_hash();
            if hash == gb.stop_hash || !self.backend.has_block(&hash) {
                break;
            }
            st.known_blocks.insert(hash);
            inv.push(Inventory::Block(hash));
        }
        if !inv.is_empty() {
            st.send(NetworkMessage::Inv(inv));
        }
    }

    pub(super) fn on_headers(&mut self, id: PeerId, headers: Vec<Header>) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        // Whatever we asked for, this answers it.
        st.last_getheaders = None;
        let Some(first) = headers.first() else {
            return;
        };
        for pair in headers.windows(2) {
            if pair[1].prev_blockhash != pair[0].block_hash() {
                self.misbehaving(id, "non-continuous headers sequence");
                return;
            }
        }
        if self.backend.header_height(&first.prev_blockhash).is_none() {
            let height = self.backend.tip().0;
            tracing::debug!(
                target: "net",
                "received header {}: missing prev block {}, sending getheaders ({height}) to end (peer={id})",
                first.block_hash(),
                first.prev_blockhash
            );
            let locator = self.backend.block_locator(None);
            self.send_getheaders(id, locator, BlockHash::all_zeros());
            return;
        }
        // Core's anti-DoS rule for headers: a short low-work chain is dropped.
        // A full message (the peer has more) is taken, as Core's headers
        // presync is not implemented.
        let trusted = self
            .peers
            .get(&id)
            .is_some_and(|st| st.peer.permissions.has("noban"));
        if !trusted
            && headers.len() < MAX_HEADERS_RESULTS
            && !self.backend.headers_claim_enough_work(&headers)
        {
            let height = self
                .backend
                .header_height(&first.prev_blockhash)
                .map_or(0, |h| h as usize + headers.len());
            tracing::debug!(target: "net", "Ignoring low-work chain (height={height}) from peer={id}");
            return;
        }
        if let Err(rej) = self.backend.process_headers(&headers) {
            tracing::debug!(target: "net", "headers from peer={id} rejected: {}", rej.reason);
            self.blame(id, &rej, "invalid header received");
            return;
        }
        let last = headers[headers.len() - 1].block_hash();
        let height = self.backend.header_height(&last);
        if let (Some(st), Some(h)) = (self.peers.get_mut(&id), height) {
            for hd in &headers {
                st.known_blocks.insert(hd.block_hash());
                st.known_headers.insert(hd.block_hash());
            }
            // A fresh announcement makes a once-refused block worth asking for
            // again: a mutated copy or a block from the future may have been
            // what we refused, and the real or now-timely block has that hash.
            for hd in &headers {
                self.refused_blocks.remove(&hd.block_hash());
            }
            let have = self.backend.has_block(&last);
            update_best_known(st, last, h, have);
        }
        if headers.len() == MAX_HEADERS_RESULTS {
            if let Some(h) = height {
                tracing::debug!(target: "net", "more getheaders ({h}) to end to peer={id}");
            }
            let locator = self.backend.block_locator(Some(last));
            self.send_getheaders(id, locator, BlockHash::all_zeros());
        }
        // Core's direct fetch: the announced chain is wanted as soon as it has
        // at least the tip's work, even when the peer is known to have a
        // better (but unfetchable) block.
        self.fetch_toward(id, last, true);
        self.fetch_blocks(id);
    }

    /// A peer does not have blocks we asked it for: free those requests so other
    /// peers can be asked at once instead of after the download timeout.
    pub(super) fn on_notfound(&mut self, id: PeerId, items: Vec<Inventory>) {
        self.tx_not_found(id, &items);
        let mut freed = false;
        for item in items {
            if let Inventory::Block(h) | Inventory::WitnessBlock(h) = item {
                if self
                    .in_flight
                    .get(&h)
                    .is_some_and(|(owner, _)| *owner == id)
                {
                    self.in_flight.remove(&h);
                    if let Some(st) = self.peers.get_mut(&id) {
                        st.in_flight.retain(|x| *x != h);
                        let height = self.backend.header_height(&h).map_or(-1, i64::from);
                        let mut s = st.peer.stats();
                        if let Some(pos) = s.inflight.iter().position(|x| *x == height) {
                            s.inflight.remove(pos);
                        }
                    }
                    freed = true;
                }
            }
        }
        if freed {
            let others: Vec<PeerId> = self.peers.keys().copied().filter(|p| *p != id).collect();
            for other in others {
                self.fetch_blocks(other);
            }
        }
    }

    /// Requests blocks on the way to the peer's best known block, keeping at most
    /// [`MAX_BLOCKS_IN_TRANSIT_PER_PEER`] in flight from it and never asking two
    /// peers for the same block.
    pub(super) fn fetch_blocks(&mut self, id: PeerId) {
        let Some((target, _)) = self.peers.get(&id).and_then(|st| st.best_known) else {
            return;
        };
        self.fetch_toward(id, target, false);
    }

    /// Requests from peer `id` the missing blocks on the way to `target`.
    /// `direct`: `target` was just announced; a lone block on our tip is
    /// then asked for as a compact block when the peer offers them.
    fn fetch_toward(&mut self, id: PeerId, target: BlockHash, direct: bool) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        if !st.handshake_done || st.peer.disconnect_requested() {
            return;
        }
        let space = MAX_BLOCKS_IN_TRANSIT_PER_PEER.saturating_sub(st.in_flight.len());
        if space == 0 {
            return;
        }
        // A peer serving only recent blocks (NODE_NETWORK_LIMITED without
        // NODE_NETWORK, e.g. one on a UTXO snapshot) cannot feed a node
        // catching up: asking would only stall (as Core).
        let limited = st.version.as_ref().is_some_and(|v| {
            v.services & crate::config::NODE_NETWORK_LIMITED != 0
                && v.services & crate::config::NODE_NETWORK == 0
        });
        if limited && self.backend.is_initial_block_download() {
            return;
        }
        // Nor does it serve blocks deeper than it promises below its best
        // (BIP159), less a margin for races; those are skipped.
        let lowest = match (limited, st.best_known) {
            (true, Some((_, best))) => {
                best.saturating_sub(NODE_NETWORK_LIMITED_MIN_BLOCKS - LIMITED_PEER_MARGIN - 1)
            }
            _ => 0,
        };
        let skipped = lowest.saturating_sub(self.backend.tip().0) as usize;
        let want = self
            .backend
            .blocks_to_download(&target, space + self.in_flight.len().min(1024) + skipped);
        let witness = st
            .version
            .as_ref()
            .is_some_and(|v| v.services & NODE_WITNESS != 0);
        let mut inv = Vec::new();
        let now = Instant::now();
        let mut heights = Vec::new();
        for hash in want {
            if inv.len() >= space {
                break;
            }
            let height = self.backend.header_height(&hash).map_or(-1, i64::from);
            if height < i64::from(lowest) {
                continue;
            }
            // A peer without witnesses cannot give us segwit blocks (nor,
            // then, anything after them).
            if !witness && u32::try_from(height).is_ok_and(|h| self.backend.segwit_active_at(h)) {
                break;
            }
            if self.in_flight.contains_key(&hash) || self.refused_blocks.contains(&hash) {
                continue;
            }
            self.in_flight.insert(hash, (id, now));
            tracing::debug!(target: "net", "Requesting block {hash} ({height}) peer={id}");
            heights.push(height);
            inv.push(if witness {
                Inventory::WitnessBlock(hash)
            } else {
                Inventory::Block(hash)
            });
        }
        if inv.is_empty() {
            return;
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        for i in &inv {
            if let Inventory::WitnessBlock(h) | Inventory::Block(h) = i {
                st.in_flight.push(*h);
            }
        }
        st.peer.stats().inflight.extend(heights);
        if let [Inventory::WitnessBlock(h)] = inv[..] {
            let parent_connected = self
                .backend
                .header(&h)
                .is_some_and(|hd| self.backend.has_block(&hd.prev_blockhash));
            if direct
                && self.config.relay_txs
                && st.provides_cmpct
                && self.in_flight.len() == 1
                && parent_connected
            {
                inv[0] = Inventory::CompactBlock(h);
            }
        }
        st.send(NetworkMessage::GetData(inv));
    }

    /// Asks peer `id` for the block `hash` whatever is already in flight
    /// (Core's `FetchBlock`, for `getblockfrompeer`).
    pub(super) fn fetch_block(&mut self, id: PeerId, hash: BlockHash) -> Result<(), String> {
        let Some(st) = self.peers.get(&id) else {
            return Err("Peer does not exist".into());
        };
        let witness = st
            .version
            .as_ref()
            .is_some_and(|v| v.services & NODE_WITNESS != 0);
        if !witness {
            return Err("Pre-SegWit peer".into());
        }
        if let Some((owner, _)) = self.in_flight.remove(&hash) {
            if let Some(o) = self.peers.get_mut(&owner) {
                o.in_flight.retain(|h| *h != hash);
            }
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return Err("Peer does not exist".into());
        };
        if !st.handshake_done || st.peer.disconnect_requested() {
            return Err("Peer not fully connected".into());
        }
        self.in_flight.insert(hash, (id, Instant::now()));
        st.in_flight.push(hash);
        st.send(NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash)]));
        tracing::debug!(target: "net", "Requesting block {hash} peer={id}");
        Ok(())
    }

    pub(super) fn on_block(&mut self, id: PeerId, block: Block) {
        let hash = block.block_hash();
        tracing::debug!(target: "net", "received block {hash} peer={id}");
        let requested = self.in_flight.contains_key(&hash);
        self.remove_block_request(&hash, None);
        self.process_received_block(id, block, requested, false);
    }

    /// Marks `hash` as being downloaded from `id` (Core's `BlockRequested`):
    /// the first requester owns the download, later ones (compact blocks
    /// rebuilt in parallel) queue behind it. False when `id` already had it.
    pub(super) fn block_requested(&mut self, id: PeerId, hash: BlockHash) -> bool {
        if self.block_requesters(&hash).contains(&id) {
            return false;
        }
        let height = self.backend.header_height(&hash).map_or(-1, i64::from);
        let Some(st) = self.peers.get_mut(&id) else {
            return false;
        };
        match self.in_flight.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.extra_in_flight.entry(hash).or_default().push(id);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((id, Instant::now()));
            }
        }
        st.in_flight.push(hash);
        st.peer.stats().inflight.push(height);
        true
    }

    /// Every peer `hash` is being downloaded from, first requester first.
    pub(super) fn block_requesters(&self, hash: &BlockHash) -> Vec<PeerId> {
        let mut out: Vec<PeerId> = self
            .in_flight
            .get(hash)
            .map(|(p, _)| *p)
            .into_iter()
            .collect();
        if let Some(extra) = self.extra_in_flight.get(hash) {
            out.extend(extra);
        }
        out
    }

    /// Forgets the download of `hash` from `from` (from everyone when
    /// `None`), with any compact block being rebuilt for it. The next
    /// requester in line takes over the download.
    pub(super) fn remove_block_request(&mut self, hash: &BlockHash, from: Option<PeerId>) {
        let requesters = self.block_requesters(hash);
        let gone: Vec<PeerId> = requesters
            .iter()
            .copied()
            .filter(|p| from.is_none_or(|f| f == *p))
            .collect();
        if gone.is_empty() {
            return;
        }
        let height = self.backend.header_height(hash).map_or(-1, i64::from);
        for p in &gone {
            if let Some(o) = self.peers.get_mut(p) {
                o.in_flight.retain(|h| h != hash);
                o.partial_blocks.remove(hash);
                let mut s = o.peer.stats();
                if let Some(pos) = s.inflight.iter().position(|x| *x == height) {
                    s.inflight.remove(pos);
                }
            }
        }
        let mut rest = requesters.into_iter().filter(|p| !gone.contains(p));
        match rest.next() {
            None => {
                self.in_flight.remove(hash);
                self.extra_in_flight.remove(hash);
            }
            Some(first) => {
                // The new owner's time to deliver starts now.
                self.in_flight.insert(*hash, (first, Instant::now()));
                let extra: Vec<PeerId> = rest.collect();
                if extra.is_empty() {
                    self.extra_in_flight.remove(hash);
                } else {
                    self.extra_in_flight.insert(*hash, extra);
                }
            }
        }
    }

    /// Hands a block from peer `id` to validation and deals with the outcome.
    /// `via_compact`: rebuilt from a compact block, whose sender may have
    /// relayed it after checking only the header (BIP152).
    pub(super) fn process_received_block(
        &mut self,
        id: PeerId,
        block: Block,
        requested: bool,
        via_compact: bool,
    ) {
        let hash = block.block_hash();
        if let Some(st) = self.peers.get_mut(&id) {
            st.known_blocks.insert(hash);
        }
        self.block_source.insert(hash, (id, via_compact));
        let processed = self.backend.process_block(block, requested);
        match processed.result {
            Ok(BlockAccepted::New) => {
                // Other peers rebuilding it need not finish.
                self.remove_block_request(&hash, None);
                if let Some(st) = self.peers.get_mut(&id) {
                    st.peer.stats().last_block = common::time::now_secs();
                    if let Some(h) = self.backend.header_height(&hash) {
                        update_best_known(st, hash, h, true);
                    }
                }
            }
            Ok(BlockAccepted::Duplicate) => {
                self.block_source.remove(&hash);
            }
            Err(rej) => {
                self.block_source.remove(&hash);
                self.rejected_block(id, hash, rej, via_compact);
            }
        }
        for (checked, outcome) in processed.checked {
            let Some((source, via_compact)) = self.block_source.remove(&checked) else {
                continue;
            };
            match outcome {
                Err(rej) => self.rejected_block(source, checked, rej, via_compact),
                // A peer that just gave us a new best block is one we want
                // new blocks pushed from (when no other download competes).
                Ok(()) => {
                    if !self.backend.is_initial_block_download()
                        && self.in_flight.keys().all(|h| *h == checked)
                    {
                        self.select_hb_peer(source);
                    }
                }
            }
        }
        self.fetch_blocks(id);
    }

    pub(super) fn rejected_block(
        &mut self,
        id: PeerId,
        hash: BlockHash,
        rej: Rejected,
        via_compact: bool,
    ) {
        tracing::debug!(target: "net", "block {hash} from peer={id} rejected: {}", rej.reason);
        self.refused_blocks.insert(hash);
        if via_compact && rej.spare_compact_relay {
            return;
        }
        self.blame(id, &rej, &rej.reason);
    }

    /// Announces a new tip: `headers` to peers that asked for them and whose
    /// chain we can connect to within a few headers, `inv` otherwise (BIP130).
    pub(super) fn announce_block(&mut self, tip: BlockHash) {
        let Some(tip_header) = self.backend.header(&tip) else {
            return;
        };
        // High-bandwidth peers get a lone new block as a compact block.
        let cmpct = if self.peers.values().any(|st| st.wants_hb_cmpct) {
            self.compact_block(&tip)
        } else {
            None
        };
        for st in self.peers.values_mut() {
            if !st.handshake_done || st.known_blocks.contains(&tip) {
                continue;
            }
            let mut headers = None;
            if st.prefers_headers || st.wants_hb_cmpct {
                let mut chain = vec![tip_header];
                loop {
                    let prev = chain[chain.len() - 1].prev_blockhash;
                    let peer_has_prev = st.known_headers.contains(&prev)
                        || st.best_known.is_some_and(|(h, _)| h == prev);
                    if peer_has_prev {
                        chain.reverse();
                        headers = Some(chain);
                        break;
                    }
                    if chain.len() >= MAX_BLOCKS_TO_ANNOUNCE {
                        break;
                    }
                    match self.backend.header(&prev) {
                        Some(h) => chain.push(h),
                        None => break,
                    }
                }
            }
            st.known_blocks.insert(tip);
            match (headers, &cmpct) {
                (Some(h), Some(c)) if h.len() == 1 && st.wants_hb_cmpct => {
                    tracing::debug!(target: "net", "sending header-and-ids {tip} to peer={}", st.peer.id);
                    st.known_headers.insert(tip);
                    st.send(NetworkMessage::CmpctBlock(
                        bitcoin::p2p::message_compact_blocks::CmpctBlock {
                            compact_block: c.clone(),
                        },
                    ));
                }
                (Some(h), _) if st.prefers_headers => {
                    st.known_headers.insert(tip);
                    st.send(NetworkMessage::Headers(h));
                }
                _ => st.send(NetworkMessage::Inv(vec![Inventory::Block(tip)])),
            }
        }
    }
}

/// Records that the peer has the block `hash` at `height` (`have_data`: we have
/// its data too, so it is a block we share: `synced_blocks`).
pub(super) fn update_best_known(st: &mut PeerState, hash: BlockHash, height: u32, have_data: bool) {
    let mut s = st.peer.stats();
    if have_data && i64::from(height) > s.synced_blocks {
        s.synced_blocks = i64::from(height);
    }
    // A header as high as the best known one replaces it, as Core's
    // `UpdateBlockAvailability` (work >=): after the best one was invalidated,
    // its sibling is what the peer now offers.
    if st.best_known.is_none_or(|(_, h)| height >= h) {
        st.best_known = Some((hash, height));
        s.synced_headers = i64::from(height);
    }
}

/// A block serialized without witness data, for peers that asked by `MSG_BLOCK`.
pub(super) fn strip_witness_block(mut block: Block) -> Vec<u8> {
    for tx in &mut block.txdata {
        for input in &mut tx.input {
            input.witness.clear();
        }
    }
    serialize(&block)
}
