//! The message handler: one thread (Core's `msghand`) that owns all protocol
//! state, processes every received message in order, talks to the
//! [`NodeBackend`], and decides what to send. Running it on its own thread keeps
//! blocking backend calls (validation, disk) off the network runtime, and owning
//! the state on one thread avoids locking between peers.

// One `impl Handler` block per concern; they share the imports below
// through `use super::*`.
mod addresses;
mod blocks;
mod compact;
mod feefilter;
mod getdata;
mod handshake;
mod inventory;
mod transactions;
mod txrequest;

use crate::addrman::AddrMan;
use crate::backend::{BlockAccepted, NodeBackend, Rejected, TxRef};
use crate::config::{NetConfig, NODE_NETWORK, NODE_NETWORK_LIMITED, NODE_WITNESS};
use crate::known::KnownSet;
use crate::message::{encode, Feature, Message, PeerVersion, MAX_HEADERS_RESULTS};
use crate::orphanage::Orphanage;
use crate::peer::{ConnectionType, Peer, PeerId};
use crate::wire::sanitize;
use bitcoin::block::Header;
use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_compact_blocks::SendCmpct;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::{Block, BlockHash, Transaction, Txid, Wtxid};
use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Protocol version we speak (Core's `PROTOCOL_VERSION`).
pub const PROTOCOL_VERSION: i32 = 70017;
/// Oldest protocol version we talk to (Core's `MIN_PEER_PROTO_VERSION`).
pub const MIN_PEER_PROTO_VERSION: i32 = 31800;
/// First version with `wtxidrelay` (BIP339) and `sendaddrv2` courtesy.
const WTXID_RELAY_VERSION: i32 = 70016;
/// First version with BIP434 `feature` negotiation (Core's `FEATURE_VERSION`).
const FEATURE_VERSION: i32 = 70017;
/// First version with compact blocks (BIP152, Core's `SHORT_IDS_BLOCKS_VERSION`).
const SHORT_IDS_BLOCKS_VERSION: i32 = 70014;
/// First version with `feefilter` (BIP133, Core's `FEEFILTER_VERSION`).
const FEEFILTER_VERSION: i32 = 70013;
/// The version field of locators we send: Core hard-codes the highest value
/// it ever wrote (`CBlockLocator::DUMMY_VERSION`), not the protocol version.
const LOCATOR_VERSION: u32 = 70016;
/// Most blocks requested from one peer at a time (Core's `MAX_BLOCKS_IN_TRANSIT_PER_PEER`).
const MAX_BLOCKS_IN_TRANSIT_PER_PEER: usize = 16;
/// Blocks below the tip a pruned (`NODE_NETWORK_LIMITED`) node serves
/// (BIP159).
const NODE_NETWORK_LIMITED_MIN_BLOCKS: u32 = 288;
/// Blocks short of that depth we do not ask a pruned peer for, as its
/// tip may move on meanwhile (Core's two-block buffer).
const LIMITED_PEER_MARGIN: u32 = 2;
/// Most headers announced directly before falling back to `inv`.
const MAX_BLOCKS_TO_ANNOUNCE: usize = 8;
/// Time between pings in microseconds (Core's `PING_INTERVAL`).
const PING_INTERVAL_MICROS: i64 = 120 * 1_000_000;
/// Unanswered ping that ends a connection (Core's `TIMEOUT_INTERVAL`, seconds).
const TIMEOUT_INTERVAL: i64 = 20 * 60;
/// How long a `getheaders` stays outstanding before another may be sent.
const HEADERS_RESPONSE_TIME: Duration = Duration::from_secs(120);
/// A block request not answered within this time is given to another peer.
const BLOCK_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// What the message handler is told, in order.
#[derive(Debug)]
pub enum Event {
    /// A connection was established (before any of its messages).
    Connected(Arc<Peer>),
    /// A decoded message from a peer.
    Message {
        /// Sender.
        peer: PeerId,
        /// Message type as on the wire.
        msg_type: String,
        /// The message.
        msg: Message,
        /// Payload size, for the log.
        size: usize,
    },
    /// A message that breaks a protocol limit (Core's `Misbehaving`).
    Misbehaving {
        /// Sender.
        peer: PeerId,
        /// Its type.
        msg_type: String,
        /// Payload size.
        size: usize,
        /// Core's text, e.g. `headers message size = 2001`.
        reason: String,
    },
    /// A message whose payload could not be decoded.
    Malformed {
        /// Sender.
        peer: PeerId,
        /// Its type.
        msg_type: String,
        /// Payload size.
        size: usize,
        /// Decoder error.
        reason: String,
    },
    /// A connection ended.
    Disconnected(PeerId),
    /// The active chain's tip changed to this block.
    BlockTip(BlockHash),
    /// A transaction entered the mempool outside P2P (RPC); announce it.
    RelayTx(Txid, Wtxid),
    /// The `ping` RPC: ping every peer now.
    PingAll,
    /// `getblockfrompeer`: ask one peer for a block; the answer says why not.
    FetchBlock {
        /// The peer to ask.
        peer: PeerId,
        /// The block.
        hash: BlockHash,
        /// Where the outcome goes (Core's error text on failure).
        reply: std::sync::mpsc::Sender<Result<(), String>>,
    },
    /// The peer's send buffer drained below the limit: go on with its
    /// waiting requests and messages.
    SendResumed(PeerId),
    /// Once a second: timeouts, pings, stalled downloads.
    Tick,
    /// Stop the handler.
    Shutdown,
}

/// An addr-fetch peer that sent no addresses is dropped after this (Core: 5 min).
const ADDR_FETCH_TIMEOUT_SECS: i64 = 300;

/// Protocol state of one peer, owned by the handler thread.
struct PeerState {
    peer: Arc<Peer>,
    /// The peer's `version`, once received.
    version: Option<PeerVersion>,
    /// Our `version` nonce (outbound connections), for self-connection detection.
    local_nonce: u64,
    /// `verack` received: the handshake is complete.
    handshake_done: bool,
    /// Peer asked for `headers` announcements (BIP130).
    prefers_headers: bool,
    /// Peer announced `wtxidrelay` (BIP339).
    wtxid_relay: bool,
    /// Best block (hash, height) we know the peer has.
    best_known: Option<(BlockHash, u32)>,
    known_blocks: KnownSet<BlockHash>,
    /// Blocks whose header the peer has: it announced them or we sent it
    /// their header. Blocks merely sent whole or by `inv` do not count, as
    /// in Core's `PeerHasHeader`, which decides headers announcements.
    known_headers: KnownSet<BlockHash>,
    known_txs: KnownSet<[u8; 32]>,
    /// Blocks requested from this peer.
    in_flight: Vec<BlockHash>,
    /// Nonce of the outstanding ping (0: none), as Core's `m_ping_nonce_sent`.
    ping_nonce: u64,
    /// When the last ping was sent, mockable microseconds (0: never).
    ping_start: i64,
    /// The `ping` RPC asked for a ping.
    ping_queued: bool,
    /// Address relay with this peer.
    addr: addresses::AddrRelay,
    /// When the last unanswered `getheaders` was sent.
    last_getheaders: Option<Instant>,
    /// Headers sync with this peer began (Core's `fSyncStarted`): it can
    /// serve blocks and got our first `getheaders`.
    sync_started: bool,
    /// Before sync began, an `inv` from this peer already made us send one
    /// `getheaders` (Core's `m_inv_triggered_getheaders_before_sync`).
    inv_getheaders_before_sync: bool,
    /// The last `feefilter` value we sent (Core's `m_fee_filter_sent`).
    fee_filter_sent: i64,
    /// The peer sent `sendcmpct` with our version: it can serve and take
    /// compact blocks.
    provides_cmpct: bool,
    /// The peer asked for new blocks as `cmpctblock` (high-bandwidth mode).
    wants_hb_cmpct: bool,
    /// Compact blocks being rebuilt from this peer's data; `None` once a
    /// rebuild failed, so the same `blocktxn` is not taken twice.
    partial_blocks: HashMap<BlockHash, Option<crate::compact::PartialBlock>>,
    /// When the next `feefilter` is due, mockable microseconds.
    next_feefilter: i64,
    /// Requested items not answered yet (Core's `m_getdata_requests`).
    getdata_queue: VecDeque<Inventory>,
    /// Messages that arrived while the peer was paused or had requests
    /// waiting, in arrival order.
    deferred: VecDeque<Event>,
}

impl PeerState {
    fn new(peer: Arc<Peer>) -> Self {
        PeerState {
            peer,
            version: None,
            local_nonce: 0,
            handshake_done: false,
            prefers_headers: false,
            wtxid_relay: false,
            best_known: None,
            known_blocks: KnownSet::new(5000),
            known_headers: KnownSet::new(5000),
            known_txs: KnownSet::new(10_000),
            in_flight: Vec::new(),
            ping_nonce: 0,
            ping_start: 0,
            ping_queued: false,
            addr: addresses::AddrRelay::new(crate::clock::now_micros()),
            last_getheaders: None,
            sync_started: false,
            inv_getheaders_before_sync: false,
            fee_filter_sent: 0,
            next_feefilter: 0,
            provides_cmpct: false,
            wants_hb_cmpct: false,
            partial_blocks: HashMap::new(),
            getdata_queue: VecDeque::new(),
            deferred: VecDeque::new(),
        }
    }

    fn common_version(&self) -> i32 {
        self.version
            .as_ref()
            .map_or(0, |v| v.version.min(PROTOCOL_VERSION))
    }

    fn relays_txs(&self) -> bool {
        self.peer.conn_type.relays_transactions() && self.version.as_ref().is_some_and(|v| v.relay)
    }

    fn send(&self, msg: NetworkMessage) {
        let (t, p) = encode(&msg);
        self.peer.send(&t, &p);
    }
}

/// The handler's state.
pub struct Handler {
    config: Arc<NetConfig>,
    backend: Arc<dyn NodeBackend>,
    peers: HashMap<PeerId, PeerState>,
    /// Every block requested and not yet received: who was asked, and when.
    in_flight: HashMap<BlockHash, (PeerId, Instant)>,
    /// Further peers rebuilding a block from their compact block while the
    /// first requester (in `in_flight`) is still at it, in request order.
    extra_in_flight: HashMap<BlockHash, Vec<PeerId>>,
    /// Blocks the backend refused; never requested again, so a block it cannot
    /// take (for any reason) does not cause a request loop.
    refused_blocks: KnownSet<BlockHash>,
    /// Who sent each block not yet checked by connecting it (Core's
    /// `mapBlockSource`); entries go when the block is checked or its
    /// sender disconnects.
    /// The flag: the block came as a compact block.
    block_source: HashMap<BlockHash, (PeerId, bool)>,
    /// Transactions waiting for their parents (shared with `getorphantxs`).
    orphanage: Arc<Mutex<Orphanage>>,
    /// Txids and wtxids of transactions refused recently, so they and their
    /// children are not processed again.
    recent_rejects: KnownSet<[u8; 32]>,
    /// Wtxids of transactions refused only for their feerate, and hashes of
    /// 1p1c packages refused (Core's `m_lazy_recent_rejects_reconsiderable`):
    /// not taken alone again, but tried with a child from the orphanage.
    recent_rejects_reconsiderable: KnownSet<[u8; 32]>,
    /// Transactions being fetched, by the txid or wtxid they were asked by.
    tx_requests: HashMap<[u8; 32], txrequest::TxRequest>,
    /// How many transactions each peer has announced that are being fetched
    /// from it or wait for it (bounded by `MAX_PEER_TX_ANNOUNCEMENTS`).
    tx_announcements: HashMap<PeerId, usize>,
    /// Where addresses from `addr`/`addrv2` go and `getaddr` answers come from.
    addrman: Arc<Mutex<AddrMan>>,
    /// Quantizes the `feefilter` values we send.
    fee_rounder: feefilter::FeeFilterRounder,
    /// Peers we asked to announce blocks as `cmpctblock`, oldest first
    /// (at most three, BIP152).
    hb_peers: std::collections::VecDeque<PeerId>,
    /// Orphans and refused transactions kept for rebuilding compact blocks
    /// (Core's `vExtraTxnForCompact`), oldest first.
    extra_txn: std::collections::VecDeque<(Wtxid, Arc<Transaction>)>,
    /// The compact form of the newest tip, so every peer gets the same one.
    recent_compact: Option<(BlockHash, bitcoin::bip152::HeaderAndShortIds)>,
    /// Cached `getaddr` answers per local endpoint.
    addr_caches: addresses::AddrCaches,
    /// Secret key that picks where fresh addresses are relayed.
    addr_relay_key: (u64, u64),
    /// The last announced block that made us ask a peer not yet syncing for
    /// headers, so one new block does not start sync with many such peers
    /// (Core's `m_last_block_inv_triggering_headers_sync`).
    last_inv_headers_trigger: Option<BlockHash>,
}

impl Handler {
    /// A handler with no peers.
    pub fn new(
        config: Arc<NetConfig>,
        backend: Arc<dyn NodeBackend>,
        addrman: Arc<Mutex<AddrMan>>,
        orphanage: Arc<Mutex<Orphanage>>,
    ) -> Self {
        Handler {
            config,
            backend,
            addrman,
            peers: HashMap::new(),
            in_flight: HashMap::new(),
            extra_in_flight: HashMap::new(),
            refused_blocks: KnownSet::new(10_000),
            block_source: HashMap::new(),
            orphanage,
            recent_rejects: KnownSet::new(50_000),
            recent_rejects_reconsiderable: KnownSet::new(50_000),
            tx_requests: HashMap::new(),
            tx_announcements: HashMap::new(),
            fee_rounder: feefilter::FeeFilterRounder::new(feefilter::DEFAULT_MIN_RELAY_TX_FEE),
            hb_peers: std::collections::VecDeque::new(),
            extra_txn: std::collections::VecDeque::new(),
            recent_compact: None,
            addr_caches: HashMap::new(),
            addr_relay_key: (rand::random(), rand::random()),
            last_inv_headers_trigger: None,
        }
    }

    /// Processes events until [`Event::Shutdown`] or until every sender is gone.
    ///
    /// A panic while processing one event (a bug, reachable by some input) is
    /// caught: it is logged as an error, the peer whose message caused it is
    /// disconnected, and the thread goes on serving everyone else. Without
    /// this the thread would die silently and P2P would stop while RPC still
    /// looked healthy.
    pub fn run(mut self, events: Receiver<Event>) {
        while let Ok(ev) = events.recv() {
            if matches!(ev, Event::Shutdown) {
                break;
            }
            let from = match &ev {
                Event::Message { peer, .. }
                | Event::Misbehaving { peer, .. }
                | Event::Malformed { peer, .. }
                | Event::SendResumed(peer) => Some(*peer),
                _ => None,
            };
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.handle(ev)));
            if let Err(panic) = outcome {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                match from {
                    Some(id) => {
                        tracing::error!("Internal error in the message handler ({what}), disconnecting peer={id}");
                        if let Some(st) = self.peers.get(&id) {
                            st.peer.disconnect();
                        }
                    }
                    None => tracing::error!("Internal error in the message handler ({what})"),
                }
            }
        }
    }

    /// Processes one event (or keeps it for later, see `getdata`).
    pub fn handle(&mut self, ev: Event) {
        if let Some(ev) = self.defer_while_paused(ev) {
            self.process_now(ev);
        }
    }

    fn process_now(&mut self, ev: Event) {
        // Messages count against their peer's receive queue until processed.
        let processed = match &ev {
            Event::Message { peer, size, .. }
            | Event::Misbehaving { peer, size, .. }
            | Event::Malformed { peer, size, .. } => {
                self.peers.get(peer).map(|st| (st.peer.clone(), *size))
            }
            _ => None,
        };
        self.dispatch(ev);
        if let Some((peer, size)) = processed {
            peer.processed(size);
        }
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Connected(peer) => self.on_connected(peer),
            Event::Message {
                peer,
                msg_type,
                msg,
                size,
            } => self.on_message(peer, &msg_type, msg, size),
            Event::Misbehaving {
                peer,
                msg_type,
                size,
                reason,
            } => {
                if self.gate(peer, &msg_type, size) {
                    self.misbehaving(peer, &reason);
                }
            }
            Event::Malformed {
                peer,
                msg_type,
                size,
                reason,
            } => {
                tracing::debug!(target: "net", "received: {msg_type} ({size} bytes) peer={peer}");
                tracing::debug!(
                    target: "net",
                    "ProcessMessages({msg_type}, {size} bytes): Exception '{reason}' (DeserializationError) caught"
                );
            }
            Event::Disconnected(id) => self.on_disconnected(id),
            Event::BlockTip(hash) => {
                self.tx_download_tip_changed(&hash);
                self.announce_block(hash);
                // A tip that jumped (a loaded UTXO snapshot) leaves blocks
                // to fetch that no peer message would ask for.
                let ids: Vec<PeerId> = self.peers.keys().copied().collect();
                for id in ids {
                    self.fetch_blocks(id);
                }
            }
            Event::RelayTx(txid, wtxid) => self.relay_tx(None, txid, wtxid),
            Event::PingAll => {
                for st in self.peers.values_mut() {
                    st.ping_queued = true;
                }
                self.send_pings();
            }
            Event::FetchBlock { peer, hash, reply } => {
                // The asker may have given up; nothing to tell then.
                let _ = reply.send(self.fetch_block(peer, hash));
            }
            Event::SendResumed(id) => self.resume_peer(id),
            Event::Tick => self.on_tick(),
            Event::Shutdown => {}
        }
    }

    fn on_connected(&mut self, peer: Arc<Peer>) {
        let inbound = peer.is_inbound();
        let mut st = PeerState::new(peer);
        if !inbound {
            // Outbound: we speak first (Core's PushNodeVersion at InitializeNode).
            st.local_nonce = loop {
                let n: u64 = rand::random();
                if n != 0 {
                    break n;
                }
            };
            self.send_version(&st);
        }
        self.peers.insert(st.peer.id, st);
    }

    fn on_disconnected(&mut self, id: PeerId) {
        let Some(st) = self.peers.remove(&id) else {
            return;
        };
        // A good outbound peer's address stays fresh; block-relay-only ones
        // are left out so their links do not show in what we relay.
        if st.handshake_done
            && !st.peer.is_inbound()
            && st.peer.conn_type != ConnectionType::BlockRelay
        {
            crate::connman::lock(&self.addrman).connected(
                &crate::netaddr::Service::from_socket(st.peer.addr),
                common::time::now_secs(),
            );
        }
        self.block_source.retain(|_, (source, _)| *source != id);
        self.hb_peers.retain(|p| *p != id);
        self.tx_requests_peer_gone(id);
        let erased = crate::connman::lock(&self.orphanage).erase_for_peer(id);
        if erased > 0 {
            tracing::debug!(target: "txpackages", "Erased {erased} orphan transaction(s) from peer={id}");
        }
        let freed = !st.in_flight.is_empty();
        for h in st.in_flight {
            self.remove_block_request(&h, Some(id));
        }
        tracing::debug!(target: "net", "Cleared nodestate for peer={id}");
        if freed {
            // Other peers may have the blocks this one was asked for.
            let ids: Vec<PeerId> = self.peers.keys().copied().collect();
            for other in ids {
                self.fetch_blocks(other);
            }
        }
    }

    /// Core's checks before a message reaches its handler: nothing but `version`
    /// before `version`; only handshake messages before `verack`. Logs `received:`.
    fn gate(&mut self, id: PeerId, msg_type: &str, size: usize) -> bool {
        let Some(st) = self.peers.get(&id) else {
            return false;
        };
        if st.peer.disconnect_requested() {
            return false;
        }
        tracing::debug!(target: "net", "received: {} ({size} bytes) peer={id}", sanitize(msg_type));
        if msg_type == "version" {
            return true;
        }
        if st.version.is_none() {
            tracing::debug!(
                target: "net",
                "non-version message before version handshake. Message \"{}\" from peer={id}",
                sanitize(msg_type)
            );
            return false;
        }
        let handshake_type = matches!(
            msg_type,
            "verack" | "wtxidrelay" | "sendaddrv2" | "sendtxrcncl" | "feature"
        );
        if !st.handshake_done && !handshake_type {
            tracing::debug!(
                target: "net",
                "Unsupported message \"{}\" prior to verack from peer={id}",
                sanitize(msg_type)
            );
            return false;
        }
        true
    }

    fn on_message(&mut self, id: PeerId, msg_type: &str, msg: Message, size: usize) {
        // Core's message loop runs every peer's send side between messages;
        // due address trickles go out before this message is answered.
        self.send_addrs();
        if !self.gate(id, msg_type, size) {
            return;
        }
        match msg {
            Message::Version(v) => self.on_version(id, v),
            Message::Verack => self.on_verack(id),
            Message::WtxidRelay => self.on_wtxidrelay(id),
            Message::Feature(feature) => self.on_feature(id, feature),
            Message::SendAddrV2 => {
                if let Some(st) = self.peers.get_mut(&id) {
                    if st.handshake_done {
                        self.disconnect(id, "sendaddrv2 received after verack");
                    } else {
                        st.addr.wants_v2 = true;
                    }
                }
            }
            Message::SendHeaders => {
                if let Some(st) = self.peers.get_mut(&id) {
                    st.prefers_headers = true;
                }
            }
            Message::Ping(nonce) => {
                if let Some(st) = self.peers.get(&id) {
                    st.send(NetworkMessage::Pong(nonce));
                }
            }
            Message::Pong(nonce) => self.on_pong(id, nonce, size),
            Message::GetHeaders(gh) => self.on_getheaders(id, gh),
            Message::GetBlocks(gb) => self.on_getblocks(id, gb),
            Message::Headers(headers) => self.on_headers(id, headers),
            Message::Inv(inv) => self.on_inv(id, inv),
            Message::GetData(inv) => self.on_getdata(id, inv),
            Message::Block(block) => self.on_block(id, *block),
            Message::Tx(tx) => self.on_tx(id, *tx),
            Message::FeeFilter(fee) => {
                if let Some(st) = self.peers.get(&id) {
                    if (0..=21_000_000 * 100_000_000).contains(&fee) {
                        st.peer.stats().fee_filter = fee;
                    }
                }
            }
            Message::MemPool => {
                let allowed = self
                    .peers
                    .get(&id)
                    .is_some_and(|st| st.peer.permissions.has("mempool"));
                if !allowed {
                    self.disconnect(id, "mempool request with bloom filters disabled");
                }
            }
            // We never offer NODE_BLOOM, so BIP37 filter messages end the connection.
            Message::Ignored(t @ ("filterload" | "filteradd" | "filterclear")) => {
                self.disconnect(
                    id,
                    &format!("{t} received despite not offering bloom services"),
                );
            }
            Message::NotFound(items) => self.on_notfound(id, items),
            Message::SendCmpct { announce, version } => self.on_sendcmpct(id, announce, version),
            Message::CmpctBlock(cmpct) => {
                self.on_cmpctblock(id, *cmpct);
                // The header may have raised what the peer is known to have;
                // an ignored compact block is then still fetched the normal
                // way, as Core's block download after each message does.
                self.fetch_blocks(id);
            }
            Message::GetBlockTxn(req) => self.on_getblocktxn(id, req),
            Message::BlockTxn(txs) => self.on_blocktxn(id, txs),
            Message::Addr(entries) => self.on_addr(id, msg_type, entries),
            Message::GetAddr => self.on_getaddr(id),
            Message::Ignored(_) => {}
            Message::Unknown(t) => {
                tracing::debug!(target: "net", "Unknown message type \"{}\" from peer={id}", sanitize(&t));
            }
        }
    }

    fn on_tick(&mut self) {
        for id in self.peers_with_waiting_work() {
            self.resume_peer(id);
        }
        self.expire_tx_requests();
        let now_secs = common::time::now_secs();
        let timeout = self.config.peer_timeout;
        let mut to_drop = Vec::new();
        for (id, st) in &self.peers {
            // Independent of -peertimeout: an addr-fetch peer only has a
            // few minutes to answer.
            if st.peer.conn_type == ConnectionType::AddrFetch
                && now_secs > st.peer.connected_at.saturating_add(ADDR_FETCH_TIMEOUT_SECS)
            {
                to_drop.push((*id, "addrfetch connection timeout".to_string()));
                continue;
            }
            if now_secs <= st.peer.connected_at.saturating_add(timeout) {
                continue;
            }
            let (last_recv, last_send) = {
                let s = st.peer.stats();
                (s.last_recv, s.last_send)
            };
            let reason = if last_recv == 0 || last_send == 0 {
                let mut never = String::new();
                if last_recv == 0 {
                    never.push_str(", never received from peer");
                }
                if last_send == 0 {
                    never.push_str(", never sent to peer");
                }
                Some(format!(
                    "socket no message in first {timeout} seconds{never}"
                ))
            } else if now_secs > last_send + TIMEOUT_INTERVAL {
                Some(format!("socket sending timeout: {}s", now_secs - last_send))
            } else if now_secs > last_recv + TIMEOUT_INTERVAL {
                Some(format!("socket receive timeout: {}s", now_secs - last_recv))
            } else if !st.handshake_done {
                if st.peer.stats().transport == crate::peer::TransportType::Detecting {
                    Some("V2 handshake timeout".to_string())
                } else {
                    Some("version handshake timeout".to_string())
                }
            } else {
                None
            };
            if let Some(r) = reason {
                to_drop.push((*id, r));
            }
            let now = crate::clock::now_micros();
            if st.ping_nonce != 0 && now > st.ping_start + TIMEOUT_INTERVAL * 1_000_000 {
                let waited = (now - st.ping_start) as f64 / 1e6;
                to_drop.push((*id, format!("ping timeout: {waited:.6}s")));
            }
        }
        for (id, reason) in to_drop {
            self.disconnect(id, &reason);
        }
        self.send_pings();
        self.send_feefilters();
        self.send_addrs();
        // Requests nobody answered go to someone else.
        let stalled: Vec<(BlockHash, PeerId)> = self
            .in_flight
            .iter()
            .filter(|(_, (_, t))| t.elapsed() > BLOCK_DOWNLOAD_TIMEOUT)
            .map(|(h, (p, _))| (*h, *p))
            .collect();
        for (hash, id) in stalled {
            tracing::debug!(target: "net", "Timeout downloading block {hash}, disconnecting peer={id}");
            if let Some(st) = self.peers.get(&id) {
                st.peer.disconnect();
            }
            self.remove_block_request(&hash, Some(id));
        }
    }

    /// Logs and ends the connection, as Core's `DisconnectMsg` lines do.
    fn disconnect(&mut self, id: PeerId, reason: &str) {
        if let Some(st) = self.peers.get(&id) {
            tracing::debug!(target: "net", "{reason}, disconnecting {}", st.peer.log_name());
            st.peer.disconnect();
        }
    }

    /// Punishes `id` for data the backend refused, if the refusal blames the
    /// sender (outbound-only refusals spare inbound peers).
    fn blame(&mut self, id: PeerId, rej: &Rejected, reason: &str) {
        let inbound = self.peers.get(&id).is_some_and(|st| st.peer.is_inbound());
        if rej.punish && !(rej.outbound_only && inbound) {
            self.misbehaving(id, reason);
        }
    }

    /// Core's `Misbehaving` followed by `MaybeDiscourageAndDisconnect`.
    fn misbehaving(&mut self, id: PeerId, reason: &str) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        let suffix = if reason.is_empty() {
            String::new()
        } else {
            format!(": {reason}")
        };
        tracing::debug!(target: "net", "Misbehaving: peer={id}{suffix}");
        if st.peer.permissions.has("noban") {
            tracing::warn!("Not punishing noban peer {id}!");
            return;
        }
        if st.peer.conn_type == ConnectionType::Manual {
            tracing::warn!("Not punishing manually connected peer {id}!");
            return;
        }
        tracing::debug!(target: "net", "Disconnecting and discouraging peer {id}!");
        st.peer.disconnect();
    }
}
