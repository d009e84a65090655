//! One connected peer as the rest of the node sees it: identity, the statistics
//! `getpeerinfo` reports, and the queue of frames waiting to be written.

use crate::config::Permissions;
use crate::wire::HEADER_SIZE;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// Payload bytes of one peer that may wait for the message handler before its
/// socket is no longer read (Core's default `-maxreceivebuffer`, 5000 KB).
pub const MAX_RECEIVE_QUEUE: usize = 5_000_000;
/// Bytes waiting to be written to one peer above which we stop answering its
/// `getdata` and processing its messages until it reads (Core's default
/// `-maxsendbuffer`, 1000 KB, and its `fPauseSend`).
pub const DEFAULT_MAX_SEND_BUFFER: usize = 1_000_000;
/// Bytes that may wait to be written to one peer before it is disconnected: a
/// last resort, as pausing keeps the queue near the send buffer limit.
pub const MAX_SEND_QUEUE: usize = 256 * 1024 * 1024;

/// Peer identifier, unique for the life of the process (Core's `NodeId`).
pub type PeerId = i64;

/// How a connection came about (Core's `ConnectionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionType {
    /// The peer connected to us.
    Inbound,
    /// Automatic outbound connection that relays blocks, transactions and addresses.
    OutboundFullRelay,
    /// Requested by the user (`-connect`, `-addnode`, `addnode` RPC).
    Manual,
    /// Outbound connection that relays blocks only (no transactions, no addresses).
    BlockRelay,
    /// Short-lived outbound connection to fetch addresses.
    AddrFetch,
    /// Short-lived outbound connection that only checks the peer is reachable.
    Feeler,
}

impl ConnectionType {
    /// Name used in `getpeerinfo` and log lines.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Inbound => "inbound",
            ConnectionType::OutboundFullRelay => "outbound-full-relay",
            ConnectionType::Manual => "manual",
            ConnectionType::BlockRelay => "block-relay-only",
            ConnectionType::AddrFetch => "addr-fetch",
            ConnectionType::Feeler => "feeler",
        }
    }

    /// Parses the names `addconnection` accepts (every type but inbound and manual).
    pub fn from_addconnection(name: &str) -> Option<ConnectionType> {
        match name {
            "outbound-full-relay" => Some(ConnectionType::OutboundFullRelay),
            "block-relay-only" => Some(ConnectionType::BlockRelay),
            "addr-fetch" => Some(ConnectionType::AddrFetch),
            "feeler" => Some(ConnectionType::Feeler),
            _ => None,
        }
    }

    /// Core's `ExpectServicesFromConn`: automatic outbound connections must offer
    /// the services we need or are dropped after `version`.
    pub fn expects_services(self) -> bool {
        matches!(
            self,
            ConnectionType::OutboundFullRelay
                | ConnectionType::BlockRelay
                | ConnectionType::AddrFetch
        )
    }

    /// Whether transactions are exchanged on this connection at all.
    pub fn relays_transactions(self) -> bool {
        !matches!(self, ConnectionType::BlockRelay | ConnectionType::Feeler)
    }
}

/// Something for a connection's writer task to do.
#[derive(Debug)]
pub enum Outgoing {
    /// Frame (v1) or encrypt (v2) and write this message.
    Message {
        /// Message type.
        msg_type: String,
        /// Serialized payload.
        payload: Vec<u8>,
        /// Bytes it takes on the wire, as accounted when queued.
        wire_size: usize,
    },
    /// Flush what was queued before and close the socket.
    Close,
}

/// Which transport a connection speaks (Core's `TransportProtocolType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportType {
    /// v2 was offered or may come in, and the handshake is not done yet.
    Detecting,
    /// Plain v1 frames.
    #[default]
    V1,
    /// BIP324 encrypted packets.
    V2,
}

impl TransportType {
    /// Name used in `getpeerinfo`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportType::Detecting => "detecting",
            TransportType::V1 => "v1",
            TransportType::V2 => "v2",
        }
    }
}

/// Changing per-peer facts, read by `getpeerinfo`.
#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    /// Protocol version from the peer's `version` (0 before it).
    pub version: i32,
    /// Sanitized user agent.
    pub subver: String,
    /// Service bits the peer offers.
    pub services: u64,
    /// Whether we relay transactions to the peer.
    pub relay_txs: bool,
    /// Height the peer claimed in its `version`.
    pub starting_height: i32,
    /// Height of the best header we know the peer has (-1: none).
    pub synced_headers: i64,
    /// Height of the best block we know we share with the peer (-1: none).
    pub synced_blocks: i64,
    /// Heights of blocks requested from this peer and not yet received.
    pub inflight: Vec<i64>,
    /// Total bytes sent and received, headers included.
    pub bytes_sent: u64,
    /// See `bytes_sent`.
    pub bytes_recv: u64,
    /// Bytes sent per message type.
    pub sent_per_msg: BTreeMap<String, u64>,
    /// Bytes received per message type (`*other*` for unknown types).
    pub recv_per_msg: BTreeMap<String, u64>,
    /// Unix time of the last send / receive (0: never).
    pub last_send: i64,
    /// See `last_send`.
    pub last_recv: i64,
    /// Unix time of the last new block / mempool transaction from this peer.
    pub last_block: i64,
    /// See `last_block`.
    pub last_transaction: i64,
    /// Last measured round trip.
    pub ping_time: Option<Duration>,
    /// Smallest measured round trip.
    pub min_ping: Option<Duration>,
    /// Start of the outstanding ping (mockable microseconds, see
    /// [`crate::clock::now_micros`]), if one is outstanding.
    pub ping_started: Option<i64>,
    /// The peer's `feefilter`, in sat/kvB.
    pub fee_filter: i64,
    /// Whether the peer announced `wtxidrelay`.
    pub wtxid_relay: bool,
    /// We asked the peer to announce blocks as `cmpctblock` (BIP152).
    pub bip152_hb_to: bool,
    /// The peer asked us to announce blocks as `cmpctblock`.
    pub bip152_hb_from: bool,
    /// Whether the version handshake completed.
    pub successfully_connected: bool,
    /// We relay addresses with the peer.
    pub addr_relay_enabled: bool,
    /// Addresses from the peer that were processed.
    pub addr_processed: u64,
    /// Addresses from the peer dropped by the rate limit.
    pub addr_rate_limited: u64,
    /// The address the peer says it sees us at.
    pub addr_local: Option<SocketAddr>,
    /// Transport of the connection.
    pub transport: TransportType,
    /// BIP324 session id as `getpeerinfo` shows it (empty unless v2).
    pub session_id: String,
}

/// A connected peer.
#[derive(Debug)]
pub struct Peer {
    /// Identifier.
    pub id: PeerId,
    /// Remote address.
    pub addr: SocketAddr,
    /// Name the connection was requested with (`addnode` string) or `addr`.
    pub addr_name: String,
    /// Local address of the socket.
    pub addr_bind: SocketAddr,
    /// Kind of connection.
    pub conn_type: ConnectionType,
    /// Came in through a `=onion` bind.
    pub inbound_onion: bool,
    /// Whitelist permissions.
    pub permissions: Permissions,
    /// Unix time the connection was established.
    pub connected_at: i64,
    magic: [u8; 4],
    capture_dir: Option<std::path::PathBuf>,
    stats: Mutex<PeerStats>,
    disconnect_requested: AtomicBool,
    /// Wakes a connection that is not reading its outbox (v2 handshake).
    close_signal: tokio::sync::Notify,
    outbox: UnboundedSender<Outgoing>,
    /// Payload bytes handed to the message handler and not yet processed.
    recv_queued: AtomicUsize,
    /// Signalled when the handler has processed messages of this peer.
    recv_drained: tokio::sync::Notify,
    /// Frame bytes queued for the writer and not yet written.
    send_queued: AtomicUsize,
    max_send_buffer: usize,
    totals: Arc<Totals>,
}

/// Bytes moved over all connections (`getnettotals`).
#[derive(Debug, Default)]
pub struct Totals {
    /// Received bytes.
    pub recv: AtomicU64,
    /// Sent bytes.
    pub sent: AtomicU64,
}

/// Static facts of a new connection.
#[derive(Debug, Clone)]
pub struct PeerSetup {
    /// Identifier.
    pub id: PeerId,
    /// Remote address.
    pub addr: SocketAddr,
    /// Requested name.
    pub addr_name: String,
    /// Local address.
    pub addr_bind: SocketAddr,
    /// Kind.
    pub conn_type: ConnectionType,
    /// Through an onion bind.
    pub inbound_onion: bool,
    /// Permissions.
    pub permissions: Permissions,
    /// Network magic for outgoing frames.
    pub magic: [u8; 4],
    /// `-capturemessages` base directory, if capturing.
    pub capture_dir: Option<std::path::PathBuf>,
    /// Queued bytes above which the peer counts as not reading (`-maxsendbuffer`).
    pub max_send_buffer: usize,
}

impl Peer {
    /// A peer whose frames go to `outbox`.
    pub fn new(setup: PeerSetup, outbox: UnboundedSender<Outgoing>, totals: Arc<Totals>) -> Peer {
        Peer {
            id: setup.id,
            addr: setup.addr,
            addr_name: setup.addr_name,
            addr_bind: setup.addr_bind,
            conn_type: setup.conn_type,
            inbound_onion: setup.inbound_onion,
            permissions: setup.permissions,
            connected_at: common::time::now_secs(),
            magic: setup.magic,
            capture_dir: setup.capture_dir,
            stats: Mutex::new(PeerStats {
                synced_headers: -1,
                synced_blocks: -1,
                starting_height: -1,
                ..PeerStats::default()
            }),
            disconnect_requested: AtomicBool::new(false),
            close_signal: tokio::sync::Notify::new(),
            recv_queued: AtomicUsize::new(0),
            recv_drained: tokio::sync::Notify::new(),
            send_queued: AtomicUsize::new(0),
            max_send_buffer: setup.max_send_buffer,
            outbox,
            totals,
        }
    }

    /// Whether the peer connected to us.
    pub fn is_inbound(&self) -> bool {
        self.conn_type == ConnectionType::Inbound
    }

    /// The statistics, locked. A poisoned lock still holds valid counters.
    pub fn stats(&self) -> MutexGuard<'_, PeerStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a message to the `-capturemessages` files, when capturing.
    pub fn capture(&self, msg_type: &str, payload: &[u8], incoming: bool) {
        if let Some(dir) = &self.capture_dir {
            crate::capture::capture(dir, &self.addr, msg_type, payload, incoming);
        }
    }

    /// Network magic of this connection's frames.
    pub fn magic(&self) -> [u8; 4] {
        self.magic
    }

    /// `peer=N` or, with `-logips`, `peer=N, peeraddr=ip:port` (Core's `LogPeer`).
    pub fn log_name(&self) -> String {
        if common::logging::log_ips() {
            format!("peer={}, peeraddr={}", self.id, self.addr)
        } else {
            format!("peer={}", self.id)
        }
    }

    /// Queues a message for sending and accounts for it, as Core's `PushMessage`.
    /// Does nothing once a disconnect was requested.
    pub fn send(&self, msg_type: &str, payload: &[u8]) {
        if self.disconnect_requested() {
            return;
        }
        tracing::debug!(target: "net", "sending {msg_type} ({} bytes) peer={}", payload.len(), self.id);
        self.capture(msg_type, payload, false);
        let wire_size = if self.stats().transport == TransportType::V1 {
            HEADER_SIZE + payload.len()
        } else {
            crate::v2transport::encode_contents(msg_type, &[]).len()
                + payload.len()
                + crate::v2transport::PACKET_OVERHEAD
        };
        let n = wire_size as u64;
        {
            let mut s = self.stats();
            s.bytes_sent += n;
            *s.sent_per_msg.entry(msg_type.to_string()).or_default() += n;
            s.last_send = common::time::now_secs();
        }
        self.totals.sent.fetch_add(n, Ordering::Relaxed);
        // A closed outbox means the connection is already gone; nothing to do.
        let queued = self.send_queued.fetch_add(wire_size, Ordering::SeqCst) + wire_size;
        // A peer that asks for data but does not read it would make us buffer
        // without bound.
        if queued > MAX_SEND_QUEUE {
            tracing::debug!(target: "net", "send buffer overflow ({queued} bytes), disconnecting {}", self.log_name());
            self.disconnect();
            return;
        }
        let _ = self.outbox.send(Outgoing::Message {
            msg_type: msg_type.to_string(),
            payload: payload.to_vec(),
            wire_size,
        });
    }

    /// Accounts for raw bytes read from the socket (counted as they arrive, so a
    /// half-received message already shows in `getnettotals`, as in Core).
    pub fn record_bytes_received(&self, n: usize) {
        let n = n as u64;
        let mut s = self.stats();
        s.bytes_recv += n;
        s.last_recv = common::time::now_secs();
        drop(s);
        self.totals.recv.fetch_add(n, Ordering::Relaxed);
    }

    /// Accounts raw handshake bytes written to the socket.
    pub fn record_bytes_sent(&self, n: usize) {
        let n = n as u64;
        let mut s = self.stats();
        s.bytes_sent += n;
        s.last_send = common::time::now_secs();
        drop(s);
        self.totals.sent.fetch_add(n, Ordering::Relaxed);
    }

    /// Accounts a complete received message of `msg_type` that took
    /// `wire_size` bytes in `bytesrecv_per_msg`.
    pub fn record_message_received(&self, msg_type: &str, wire_size: usize) {
        let n = wire_size as u64;
        *self
            .stats()
            .recv_per_msg
            .entry(msg_type.to_string())
            .or_default() += n;
    }

    /// The writer wrote `n` queued bytes. Returns whether this ended a pause
    /// (see [`Peer::send_paused`]), so the handler can go on with the peer.
    pub fn sent(&self, n: usize) -> bool {
        let before = self.send_queued.fetch_sub(n, Ordering::SeqCst);
        before > self.max_send_buffer && before.saturating_sub(n) <= self.max_send_buffer
    }

    /// Whether more than the send buffer limit waits to be written: the peer
    /// is not reading what it asked for, so the handler leaves its requests
    /// and messages alone until it does (Core's `fPauseSend`).
    pub fn send_paused(&self) -> bool {
        self.send_queued.load(Ordering::SeqCst) > self.max_send_buffer
    }

    /// The reader handed a message of `n` payload bytes to the handler.
    pub fn queued_for_processing(&self, n: usize) {
        self.recv_queued.fetch_add(n, Ordering::SeqCst);
    }

    /// The handler processed a message of `n` payload bytes.
    pub fn processed(&self, n: usize) {
        self.recv_queued.fetch_sub(n, Ordering::SeqCst);
        self.recv_drained.notify_one();
    }

    /// Waits while more than [`MAX_RECEIVE_QUEUE`] bytes of this peer's messages
    /// wait for the handler (Core's `-maxreceivebuffer` back-pressure), so a
    /// flooding peer is simply not read from.
    pub async fn wait_for_receive_space(&self) {
        loop {
            let drained = self.recv_drained.notified();
            if self.recv_queued.load(Ordering::SeqCst) <= MAX_RECEIVE_QUEUE {
                return;
            }
            drained.await;
        }
    }

    /// Asks the connection to close after flushing queued frames.
    pub fn disconnect(&self) {
        if !self.disconnect_requested.swap(true, Ordering::SeqCst) {
            let _ = self.outbox.send(Outgoing::Close);
            self.close_signal.notify_one();
        }
    }

    /// Resolves once a disconnect was requested.
    pub async fn closed(&self) {
        if !self.disconnect_requested() {
            self.close_signal.notified().await;
        }
    }

    /// Records the transport the connection turned out to speak.
    pub fn set_transport(&self, transport: TransportType, session_id: String) {
        let mut s = self.stats();
        s.transport = transport;
        s.session_id = session_id;
    }

    /// Whether [`Peer::disconnect`] was called.
    pub fn disconnect_requested(&self) -> bool {
        self.disconnect_requested.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An inbound peer with a 100-byte send buffer, and its outbox.
    pub(crate) fn test_peer() -> (Peer, tokio::sync::mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let setup = PeerSetup {
            id: 3,
            addr,
            addr_name: addr.to_string(),
            addr_bind: addr,
            conn_type: ConnectionType::Inbound,
            inbound_onion: false,
            permissions: Permissions::default(),
            magic: [0xfa, 0xbf, 0xb5, 0xda],
            capture_dir: None,
            max_send_buffer: 100,
        };
        (Peer::new(setup, tx, Arc::new(Totals::default())), rx)
    }

    #[test]
    fn reading_pauses_while_the_handler_is_behind() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (peer, _rx) = test_peer();
        let peer = Arc::new(peer);
        rt.block_on(async {
            peer.queued_for_processing(MAX_RECEIVE_QUEUE + 1);
            let waiting =
                tokio::time::timeout(Duration::from_millis(50), peer.wait_for_receive_space())
                    .await;
            assert!(waiting.is_err(), "must wait while over the limit");
            let p = peer.clone();
            let waiter = tokio::spawn(async move { p.wait_for_receive_space().await });
            tokio::task::yield_now().await;
            peer.processed(MAX_RECEIVE_QUEUE + 1);
            tokio::time::timeout(Duration::from_secs(1), waiter)
                .await
                .expect("resumes once processed")
                .unwrap();
        });
    }

    #[test]
    fn sends_are_accounted_and_stop_after_disconnect() {
        let (peer, mut rx) = test_peer();
        peer.send("ping", &[0; 8]);
        assert_eq!(peer.stats().sent_per_msg.get("ping"), Some(&32));
        assert!(matches!(
            rx.try_recv(),
            Ok(Outgoing::Message { wire_size: 32, .. })
        ));
        peer.disconnect();
        assert!(matches!(rx.try_recv(), Ok(Outgoing::Close)));
        peer.send("ping", &[0; 8]);
        assert!(rx.try_recv().is_err(), "nothing queued after disconnect");
        assert_eq!(peer.stats().bytes_sent, 32);
    }

    #[test]
    fn v2_sends_are_accounted_at_packet_size() {
        let (peer, mut rx) = test_peer();
        peer.set_transport(TransportType::V2, "00".repeat(32));
        peer.send("ping", &[0; 8]);
        peer.send("version", &[0; 10]);
        // Short id, payload, 20 bytes of length, header and tag.
        assert_eq!(peer.stats().sent_per_msg.get("ping"), Some(&29));
        // Zero byte and 12-byte type for types without a short id.
        assert_eq!(peer.stats().sent_per_msg.get("version"), Some(&43));
        assert!(matches!(
            rx.try_recv(),
            Ok(Outgoing::Message { wire_size: 29, .. })
        ));
        assert_eq!(peer.stats().transport.as_str(), "v2");
    }

    #[test]
    fn closed_resolves_after_disconnect() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (peer, _rx) = test_peer();
        rt.block_on(async {
            let waiting = tokio::time::timeout(Duration::from_millis(20), peer.closed()).await;
            assert!(waiting.is_err(), "open connection is not closed");
            peer.disconnect();
            tokio::time::timeout(Duration::from_secs(1), peer.closed())
                .await
                .expect("closed after disconnect");
        });
    }

    #[test]
    fn sending_pauses_above_the_send_buffer_and_resumes_once_written() {
        let (peer, _rx) = test_peer();
        peer.send("block", &[0; 60]);
        assert!(!peer.send_paused(), "84 bytes queued, limit 100");
        peer.send("block", &[0; 60]);
        assert!(peer.send_paused(), "168 bytes queued");
        assert!(!peer.sent(60), "108 left: still paused");
        assert!(peer.send_paused());
        assert!(peer.sent(24), "84 left: the pause ends here");
        assert!(!peer.send_paused());
        assert!(!peer.sent(84), "not paused before: nothing to report");
    }
}
