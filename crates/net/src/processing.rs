//! The message handler: one thread (Core's `msghand`) that owns all protocol
//! state, processes every received message in order, talks to the
//! [`NodeBackend`], and decides what to send. Running it on its own thread keeps
//! blocking backend calls (validation, disk) off the network runtime, and owning
//! the state on one thread avoids locking between peers.

use crate::backend::{BlockAccepted, NodeBackend, Rejected, TxRef};
use crate::config::{NetConfig, NODE_NETWORK, NODE_NETWORK_LIMITED, NODE_WITNESS};
use crate::known::KnownSet;
use crate::message::{encode, Message, PeerVersion, MAX_HEADERS_RESULTS};
use crate::peer::{ConnectionType, Peer, PeerId};
use crate::wire::sanitize;
use bitcoin::block::Header;
use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::{Block, BlockHash, Transaction, Txid, Wtxid};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Protocol version we speak (Core's `PROTOCOL_VERSION` before BIP434 `feature`).
pub const PROTOCOL_VERSION: i32 = 70016;
/// Oldest protocol version we talk to (Core's `MIN_PEER_PROTO_VERSION`).
pub const MIN_PEER_PROTO_VERSION: i32 = 31800;
/// First version with `wtxidrelay` (BIP339) and `sendaddrv2` courtesy.
const WTXID_RELAY_VERSION: i32 = 70016;
/// Most blocks requested from one peer at a time (Core's `MAX_BLOCKS_IN_TRANSIT_PER_PEER`).
const MAX_BLOCKS_IN_TRANSIT_PER_PEER: usize = 16;
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
    /// Once a second: timeouts, pings, stalled downloads.
    Tick,
    /// Stop the handler.
    Shutdown,
}

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
    known_txs: KnownSet<[u8; 32]>,
    /// Blocks requested from this peer.
    in_flight: Vec<BlockHash>,
    /// Nonce of the outstanding ping (0: none), as Core's `m_ping_nonce_sent`.
    ping_nonce: u64,
    /// When the last ping was sent, mockable microseconds (0: never).
    ping_start: i64,
    /// The `ping` RPC asked for a ping.
    ping_queued: bool,
    /// When the last unanswered `getheaders` was sent.
    last_getheaders: Option<Instant>,
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
            known_txs: KnownSet::new(50_000),
            in_flight: Vec::new(),
            ping_nonce: 0,
            ping_start: 0,
            ping_queued: false,
            last_getheaders: None,
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
    /// Blocks the backend refused; never requested again, so a block it cannot
    /// take (for any reason) does not cause a request loop.
    refused_blocks: KnownSet<BlockHash>,
}

impl Handler {
    /// A handler with no peers.
    pub fn new(config: Arc<NetConfig>, backend: Arc<dyn NodeBackend>) -> Self {
        Handler {
            config,
            backend,
            peers: HashMap::new(),
            in_flight: HashMap::new(),
            refused_blocks: KnownSet::new(10_000),
        }
    }

    /// Processes events until [`Event::Shutdown`] or until every sender is gone.
    pub fn run(mut self, events: Receiver<Event>) {
        while let Ok(ev) = events.recv() {
            if matches!(ev, Event::Shutdown) {
                break;
            }
            self.handle(ev);
        }
    }

    /// Processes one event.
    pub fn handle(&mut self, ev: Event) {
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
            Event::BlockTip(hash) => self.announce_block(hash),
            Event::RelayTx(txid, wtxid) => self.relay_tx(None, txid, wtxid),
            Event::PingAll => {
                for st in self.peers.values_mut() {
                    st.ping_queued = true;
                }
                self.send_pings();
            }
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

    fn send_version(&self, st: &PeerState) {
        let (height, _) = self.backend.tip();
        let unspecified = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
        // Like Core, only tell a peer its address when it is routable.
        let them = if is_routable(&st.peer.addr) {
            st.peer.addr
        } else {
            unspecified
        };
        let nonce = if st.local_nonce != 0 {
            st.local_nonce
        } else {
            rand::random()
        };
        let msg = VersionMessage {
            version: PROTOCOL_VERSION as u32,
            services: ServiceFlags::from(self.config.services),
            timestamp: common::time::now_secs(),
            receiver: Address::new(&them, ServiceFlags::NONE),
            sender: Address::new(&unspecified, ServiceFlags::from(self.config.services)),
            nonce,
            user_agent: self.config.user_agent.clone(),
            start_height: height as i32,
            relay: self.config.relay_txs && st.peer.conn_type.relays_transactions(),
        };
        tracing::debug!(
            target: "net",
            "send version message: version {PROTOCOL_VERSION}, blocks={height}, {}",
            st.peer.log_name()
        );
        st.send(NetworkMessage::Version(msg));
    }

    fn on_disconnected(&mut self, id: PeerId) {
        let Some(st) = self.peers.remove(&id) else {
            return;
        };
        let freed = !st.in_flight.is_empty();
        for h in st.in_flight {
            self.in_flight.remove(&h);
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
        if !self.gate(id, msg_type, size) {
            return;
        }
        match msg {
            Message::Version(v) => self.on_version(id, v),
            Message::Verack => self.on_verack(id),
            Message::WtxidRelay => self.on_wtxidrelay(id),
            Message::SendAddrV2 => {
                if let Some(st) = self.peers.get(&id) {
                    if st.handshake_done {
                        self.disconnect(id, "sendaddrv2 received after verack");
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
            Message::NotFound(_) | Message::GetAddr | Message::Addr(_) | Message::Ignored(_) => {}
            Message::Unknown(t) => {
                tracing::debug!(target: "net", "Unknown message type \"{}\" from peer={id}", sanitize(&t));
            }
        }
    }

    fn on_version(&mut self, id: PeerId, v: PeerVersion) {
        let self_connection = v.nonce != 0
            && self
                .peers
                .values()
                .any(|o| !o.handshake_done && o.local_nonce == v.nonce);
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if st.version.is_some() {
            tracing::debug!(target: "net", "redundant version message from peer={id}");
            return;
        }
        if st.peer.conn_type.expects_services() {
            let desirable = self.desirable_services(v.services);
            if v.services & desirable != desirable {
                let text = format!(
                    "peer does not offer the expected services ({:08x} offered, {desirable:08x} expected)",
                    v.services
                );
                self.disconnect(id, &text);
                return;
            }
        }
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if v.version < MIN_PEER_PROTO_VERSION {
            let text = format!("peer using obsolete version {}", v.version);
            self.disconnect(id, &text);
            return;
        }
        let inbound = st.peer.is_inbound();
        if inbound && self_connection {
            tracing::info!("connected to self at {}, disconnecting", st.peer.addr);
            st.peer.disconnect();
            return;
        }
        {
            let mut s = st.peer.stats();
            s.version = v.version;
            s.subver = v.user_agent.clone();
            s.services = v.services;
            s.starting_height = v.start_height;
            s.relay_txs = v.relay;
            s.addr_local = Some(v.addr_me);
        }
        tracing::debug!(
            target: "net",
            "receive version message: {}: version {}, blocks={}, us={}, txrelay={}, {}",
            if v.user_agent.is_empty() { "<no user agent>" } else { &v.user_agent },
            v.version,
            v.start_height,
            v.addr_me,
            u8::from(v.relay),
            st.peer.log_name()
        );
        st.version = Some(v);
        let st = &self.peers[&id];
        if inbound {
            self.send_version(st);
        }
        if st.common_version() >= WTXID_RELAY_VERSION {
            st.send(NetworkMessage::WtxidRelay);
            st.send(NetworkMessage::SendAddrV2);
        }
        st.send(NetworkMessage::Verack);
        if st.peer.conn_type == ConnectionType::Feeler {
            self.disconnect(id, "feeler connection completed");
        }
    }

    /// Core's `GetDesirableServiceFlags`: pruned (`NETWORK_LIMITED`) peers are
    /// enough when our tip is less than 144 blocks' time old.
    fn desirable_services(&self, services: u64) -> u64 {
        if services & NODE_NETWORK_LIMITED != 0 {
            let (_, tip) = self.backend.tip();
            let tip_time = self.backend.header(&tip).map_or(0, |h| i64::from(h.time));
            let depth = (common::time::now_secs() - tip_time) / 600;
            if depth < 144 {
                return NODE_NETWORK_LIMITED | NODE_WITNESS;
            }
        }
        NODE_NETWORK | NODE_WITNESS
    }

    fn on_wtxidrelay(&mut self, id: PeerId) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if st.handshake_done {
            self.disconnect(id, "wtxidrelay received after verack");
            return;
        }
        if st.common_version() >= WTXID_RELAY_VERSION {
            st.wtxid_relay = true;
            st.peer.stats().wtxid_relay = true;
        }
    }

    fn on_verack(&mut self, id: PeerId) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if st.handshake_done {
            tracing::debug!(target: "net", "ignoring redundant verack message from peer={id}");
            return;
        }
        let version = st.version.as_ref().map_or(0, |v| v.version);
        let text = format!(
            "New {} peer connected: transport: v1, version: {version}, {}",
            st.peer.conn_type.as_str(),
            st.peer.log_name()
        );
        if st.peer.is_inbound() {
            tracing::debug!(target: "net", "{text}");
        } else {
            tracing::info!("{text}");
        }
        st.handshake_done = true;
        st.peer.stats().successfully_connected = true;
        // BIP130: we prefer header announcements.
        st.send(NetworkMessage::SendHeaders);
        self.send_pings();
        // Headers-first sync from every peer that can serve blocks.
        let serves_blocks = self.peers[&id]
            .version
            .as_ref()
            .is_some_and(|v| v.services & (NODE_NETWORK | NODE_NETWORK_LIMITED) != 0);
        if serves_blocks {
            let locator = self.backend.block_locator(None);
            let height = self.backend.tip().0;
            tracing::debug!(target: "net", "initial getheaders ({height}) to peer={id}");
            self.send_getheaders(id, locator, BlockHash::all_zeros());
        }
    }

    fn send_getheaders(&mut self, id: PeerId, locator: Vec<BlockHash>, stop: BlockHash) {
        if let Some(st) = self.peers.get_mut(&id) {
            if let Some(t) = st.last_getheaders {
                if t.elapsed() < HEADERS_RESPONSE_TIME {
                    return;
                }
            }
            st.last_getheaders = Some(Instant::now());
            st.send(NetworkMessage::GetHeaders(GetHeadersMessage {
                version: PROTOCOL_VERSION as u32,
                locator_hashes: locator,
                stop_hash: stop,
            }));
        }
    }

    fn on_pong(&mut self, id: PeerId, nonce: Option<u64>, size: usize) {
        let now = crate::clock::now_micros();
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let expected = st.ping_nonce;
        let mut finished = false;
        let problem = match nonce {
            // Core: most likely a bug in the other implementation; cancel the ping.
            None => {
                finished = true;
                Some("Short payload")
            }
            Some(_) if expected == 0 => Some("Unsolicited pong without ping"),
            Some(n) if n == expected => {
                finished = true;
                let rtt = now - st.ping_start;
                if rtt >= 0 {
                    let rtt = Duration::from_micros(rtt as u64);
                    let mut s = st.peer.stats();
                    s.ping_time = Some(rtt);
                    s.min_ping = Some(s.min_ping.map_or(rtt, |m| m.min(rtt)));
                    None
                } else {
                    Some("Timing mishap")
                }
            }
            Some(0) => {
                finished = true;
                Some("Nonce zero")
            }
            // Normal when pings overlap: the ping stays outstanding.
            Some(_) => Some("Nonce mismatch"),
        };
        if finished {
            st.ping_nonce = 0;
            st.peer.stats().ping_started = None;
        }
        if let Some(p) = problem {
            tracing::debug!(
                target: "net",
                "pong peer={id}: {p}, {expected:x} expected, {:x} received, {size} bytes",
                nonce.unwrap_or(0)
            );
        }
    }

    /// Core's `MaybeSendPing`: a ping right after the handshake, then every
    /// [`PING_INTERVAL_MICROS`] (mockable clock) or when the `ping` RPC asks.
    fn send_pings(&mut self) {
        let now = crate::clock::now_micros();
        for st in self.peers.values_mut() {
            if !st.handshake_done || st.peer.disconnect_requested() {
                continue;
            }
            let due = st.ping_nonce == 0 && now > st.ping_start + PING_INTERVAL_MICROS;
            if !(st.ping_queued || due) {
                continue;
            }
            let nonce = loop {
                let n: u64 = rand::random();
                if n != 0 {
                    break n;
                }
            };
            st.ping_queued = false;
            st.ping_start = now;
            st.ping_nonce = nonce;
            st.peer.stats().ping_started = Some(now);
            st.send(NetworkMessage::Ping(nonce));
        }
    }

    fn on_tick(&mut self) {
        let now_secs = common::time::now_secs();
        let timeout = self.config.peer_timeout;
        let mut to_drop = Vec::new();
        for (id, st) in &self.peers {
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
                Some("version handshake timeout".to_string())
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
            self.in_flight.remove(&hash);
        }
    }

    /// Logs and ends the connection, as Core's `DisconnectMsg` lines do.
    fn disconnect(&mut self, id: PeerId, reason: &str) {
        if let Some(st) = self.peers.get(&id) {
            tracing::debug!(target: "net", "{reason}, disconnecting {}", st.peer.log_name());
            st.peer.disconnect();
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

    fn on_getheaders(&mut self, id: PeerId, gh: GetHeadersMessage) {
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
        st.send(NetworkMessage::Headers(headers));
    }

    /// Old-style sync: `inv` for up to 500 active-chain blocks after the
    /// locator, stopping before `stop` (Core's `getblocks`).
    fn on_getblocks(&mut self, id: PeerId, gb: GetHeadersMessage) {
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

    fn on_headers(&mut self, id: PeerId, headers: Vec<Header>) {
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
        if let Err(rej) = self.backend.process_headers(&headers) {
            tracing::debug!(target: "net", "headers from peer={id} rejected: {}", rej.reason);
            if rej.punish {
                self.misbehaving(id, "invalid header received");
            }
            return;
        }
        let last = headers[headers.len() - 1].block_hash();
        let height = self.backend.header_height(&last);
        if let (Some(st), Some(h)) = (self.peers.get_mut(&id), height) {
            for hd in &headers {
                st.known_blocks.insert(hd.block_hash());
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
        self.fetch_blocks(id);
    }

    /// Requests blocks on the way to the peer's best known block, keeping at most
    /// [`MAX_BLOCKS_IN_TRANSIT_PER_PEER`] in flight from it and never asking two
    /// peers for the same block.
    fn fetch_blocks(&mut self, id: PeerId) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        if !st.handshake_done || st.peer.disconnect_requested() {
            return;
        }
        let Some((target, _)) = st.best_known else {
            return;
        };
        let space = MAX_BLOCKS_IN_TRANSIT_PER_PEER.saturating_sub(st.in_flight.len());
        if space == 0 {
            return;
        }
        let want = self
            .backend
            .blocks_to_download(&target, space + self.in_flight.len().min(1024));
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
            if self.in_flight.contains_key(&hash) || self.refused_blocks.contains(&hash) {
                continue;
            }
            self.in_flight.insert(hash, (id, now));
            let height = self.backend.header_height(&hash).map_or(-1, i64::from);
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
        st.send(NetworkMessage::GetData(inv));
    }

    fn on_inv(&mut self, id: PeerId, inv: Vec<Inventory>) {
        let mut unknown_block = None;
        let mut tx_requests = Vec::new();
        let mut best = None;
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        for item in &inv {
            match item {
                Inventory::Block(h) | Inventory::WitnessBlock(h) | Inventory::CompactBlock(h) => {
                    st.known_blocks.insert(*h);
                    let have = self.backend.has_block(h);
                    tracing::debug!(target: "net", "got inv: block {h}  {} peer={id}", if have { "have" } else { "new" });
                    match self.backend.header_height(h) {
                        Some(height) => best = Some((*h, height)),
                        None => unknown_block = Some(*h),
                    }
                }
                Inventory::Transaction(txid) | Inventory::WitnessTransaction(txid) => {
                    st.known_txs.insert(txid.to_byte_array());
                    // A wtxid-relay peer must announce by wtxid; Core ignores txid invs from it.
                    if st.wtxid_relay || !self.config.relay_txs {
                        continue;
                    }
                    let have = self.backend.have_transaction(&TxRef::Txid(*txid));
                    tracing::debug!(target: "net", "got inv: tx {txid}  {} peer={id}", if have { "have" } else { "new" });
                    if !have {
                        tx_requests.push(Inventory::WitnessTransaction(*txid));
                    }
                }
                Inventory::WTx(wtxid) => {
                    st.known_txs.insert(wtxid.to_byte_array());
                    if !st.wtxid_relay || !self.config.relay_txs {
                        continue;
                    }
                    let have = self.backend.have_transaction(&TxRef::Wtxid(*wtxid));
                    tracing::debug!(target: "net", "got inv: wtx {wtxid}  {} peer={id}", if have { "have" } else { "new" });
                    if !have {
                        tx_requests.push(Inventory::WTx(*wtxid));
                    }
                }
                _ => {}
            }
        }
        if let Some((h, height)) = best {
            let have = self.backend.has_block(&h);
            update_best_known(st, h, height, have);
        }
        if !tx_requests.is_empty() {
            st.send(NetworkMessage::GetData(tx_requests));
        }
        if let Some(h) = unknown_block {
            let locator = self.backend.block_locator(None);
            let height = self.backend.tip().0;
            tracing::debug!(target: "net", "getheaders ({height}) {h} to peer={id}");
            self.send_getheaders(id, locator, h);
        }
        if best.is_some() {
            self.fetch_blocks(id);
        }
    }

    fn on_getdata(&mut self, id: PeerId, inv: Vec<Inventory>) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let mut not_found = Vec::new();
        for item in inv {
            match item {
                Inventory::WitnessBlock(h) | Inventory::Block(h) => {
                    let Some(bytes) = self.backend.block_bytes(&h) else {
                        continue;
                    };
                    st.known_blocks.insert(h);
                    if matches!(item, Inventory::WitnessBlock(_)) {
                        st.peer.send("block", &bytes);
                    } else if let Ok(block) = bitcoin::consensus::deserialize::<Block>(&bytes) {
                        st.peer.send("block", &strip_witness_block(block));
                    }
                }
                Inventory::WTx(w) => match self.backend.mempool_transaction(&TxRef::Wtxid(w)) {
                    Some(tx) => st.peer.send("tx", &serialize(&tx)),
                    None => not_found.push(item),
                },
                Inventory::WitnessTransaction(t) | Inventory::Transaction(t) => {
                    match self.backend.mempool_transaction(&TxRef::Txid(t)) {
                        Some(tx) if matches!(item, Inventory::Transaction(_)) => {
                            st.peer.send("tx", &strip_witness_tx(tx))
                        }
                        Some(tx) => st.peer.send("tx", &serialize(&tx)),
                        None => not_found.push(item),
                    }
                }
                _ => {}
            }
        }
        if !not_found.is_empty() {
            st.send(NetworkMessage::NotFound(not_found));
        }
    }

    fn on_block(&mut self, id: PeerId, block: Block) {
        let hash = block.block_hash();
        tracing::debug!(target: "net", "received block {hash} peer={id}");
        if let Some((owner, _)) = self.in_flight.remove(&hash) {
            if let Some(o) = self.peers.get_mut(&owner) {
                o.in_flight.retain(|h| *h != hash);
                let height = self.backend.header_height(&hash).map_or(-1, i64::from);
                let mut s = o.peer.stats();
                if let Some(pos) = s.inflight.iter().position(|x| *x == height) {
                    s.inflight.remove(pos);
                }
            }
        }
        if let Some(st) = self.peers.get_mut(&id) {
            st.known_blocks.insert(hash);
        }
        match self.backend.process_block(block) {
            Ok(BlockAccepted::New) => {
                if let Some(st) = self.peers.get_mut(&id) {
                    st.peer.stats().last_block = common::time::now_secs();
                    if let Some(h) = self.backend.header_height(&hash) {
                        update_best_known(st, hash, h, true);
                    }
                }
            }
            Ok(BlockAccepted::Duplicate) => {}
            Err(rej) => self.rejected_block(id, hash, rej),
        }
        self.fetch_blocks(id);
    }

    fn rejected_block(&mut self, id: PeerId, hash: BlockHash, rej: Rejected) {
        tracing::debug!(target: "net", "block {hash} from peer={id} rejected: {}", rej.reason);
        self.refused_blocks.insert(hash);
        if rej.punish {
            self.misbehaving(id, &rej.reason);
        }
    }

    fn on_tx(&mut self, id: PeerId, tx: Transaction) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        let rejects = !st.peer.conn_type.relays_transactions()
            || (!self.config.relay_txs && !st.peer.permissions.has("relay"));
        if rejects {
            self.disconnect(id, "transaction sent in violation of protocol");
            return;
        }
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        st.known_txs.insert(txid.to_byte_array());
        st.known_txs.insert(wtxid.to_byte_array());
        if self.backend.have_transaction(&TxRef::Wtxid(wtxid)) {
            return;
        }
        match self.backend.accept_transaction(tx) {
            Ok(()) => {
                tracing::debug!(
                    target: "mempool",
                    "AcceptToMemoryPool: peer={id}: accepted {txid} (wtxid={wtxid})"
                );
                st.peer.stats().last_transaction = common::time::now_secs();
                self.relay_tx(Some(id), txid, wtxid);
            }
            Err(rej) => {
                tracing::debug!(
                    target: "mempoolrej",
                    "{txid} (wtxid={wtxid}) from peer={id} was not accepted: {}",
                    rej.reason
                );
                if rej.punish {
                    self.misbehaving(id, &rej.reason);
                }
            }
        }
    }

    /// Announces a mempool transaction to every peer that wants transactions and
    /// does not know it yet.
    fn relay_tx(&mut self, from: Option<PeerId>, txid: Txid, wtxid: Wtxid) {
        for (id, st) in self.peers.iter_mut() {
            if Some(*id) == from || !st.handshake_done || !st.relays_txs() {
                continue;
            }
            let key = if st.wtxid_relay {
                wtxid.to_byte_array()
            } else {
                txid.to_byte_array()
            };
            if st.known_txs.contains(&key) {
                continue;
            }
            st.known_txs.insert(key);
            let item = if st.wtxid_relay {
                Inventory::WTx(wtxid)
            } else {
                Inventory::Transaction(txid)
            };
            st.send(NetworkMessage::Inv(vec![item]));
        }
    }

    /// Announces a new tip: `headers` to peers that asked for them and whose
    /// chain we can connect to within a few headers, `inv` otherwise (BIP130).
    fn announce_block(&mut self, tip: BlockHash) {
        let Some(tip_header) = self.backend.header(&tip) else {
            return;
        };
        for st in self.peers.values_mut() {
            if !st.handshake_done || st.known_blocks.contains(&tip) {
                continue;
            }
            let mut headers = None;
            if st.prefers_headers {
                let mut chain = vec![tip_header];
                loop {
                    let prev = chain[chain.len() - 1].prev_blockhash;
                    let peer_has_prev = st.known_blocks.contains(&prev)
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
            match headers {
                Some(h) => {
                    st.send(NetworkMessage::Headers(h));
                }
                None => st.send(NetworkMessage::Inv(vec![Inventory::Block(tip)])),
            }
        }
    }
}

/// Records that the peer has the block `hash` at `height` (`have_data`: we have
/// its data too, so it is a block we share: `synced_blocks`).
fn update_best_known(st: &mut PeerState, hash: BlockHash, height: u32, have_data: bool) {
    let mut s = st.peer.stats();
    if have_data && i64::from(height) > s.synced_blocks {
        s.synced_blocks = i64::from(height);
    }
    if st.best_known.is_none_or(|(_, h)| height > h) {
        st.best_known = Some((hash, height));
        s.synced_headers = i64::from(height);
    }
}

/// Whether an address is worth telling a peer (not loopback, private or unspecified).
fn is_routable(addr: &SocketAddr) -> bool {
    match addr.ip() {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_loopback() || v4.is_private() || v4.is_unspecified() || v4.is_link_local())
        }
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

/// A transaction serialized without witness data, for peers that asked by `MSG_TX`.
fn strip_witness_tx(mut tx: Transaction) -> Vec<u8> {
    for input in &mut tx.input {
        input.witness.clear();
    }
    serialize(&tx)
}

/// A block serialized without witness data, for peers that asked by `MSG_BLOCK`.
fn strip_witness_block(mut block: Block) -> Vec<u8> {
    for tx in &mut block.txdata {
        for input in &mut tx.input {
            input.witness.clear();
        }
    }
    serialize(&block)
}
