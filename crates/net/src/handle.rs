//! [`NetHandle`]: what RPCs and the node use to look at and steer the running
//! P2P layer (peer list, manual connections, bans, network switch) and to tell
//! it about new tips and transactions.

use crate::addrman::{AddrInfo, Slot};
use crate::banman::{parse_subnet, BanEntry, BanList};
use crate::config::NetConfig;
use crate::connman::{lock, Inner, MAX_OUTBOUND};
use crate::netaddr::{NetAddr, Network, Service};
use crate::peer::{ConnectionType, Peer, PeerId};
use crate::processing::Event;
use bitcoin::{BlockHash, Txid, Wtxid};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Errors of the `addnode` RPC family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedNodeError {
    /// `add` of a node already in the list.
    AlreadyAdded,
    /// `remove` of a node not in the list.
    NotAdded,
}

/// Cheap, cloneable access to the running P2P layer for RPCs and the node.
#[derive(Clone)]
pub struct NetHandle {
    pub(crate) inner: Arc<Inner>,
}

impl NetHandle {
    pub(crate) fn send(&self, ev: Event) {
        self.inner.send(ev);
    }

    /// Transactions waiting for their parents, oldest first (`getorphantxs`).
    pub fn orphans(&self) -> Vec<crate::orphanage::Orphan> {
        lock(&self.inner.orphanage).all()
    }

    /// Connected peers in ascending id order (as `getpeerinfo` lists them).
    pub fn peers(&self) -> Vec<Arc<Peer>> {
        lock(&self.inner.peers).values().cloned().collect()
    }

    /// Number of (inbound, outbound) connections.
    pub fn connection_counts(&self) -> (usize, usize) {
        let peers = lock(&self.inner.peers);
        let inbound = peers.values().filter(|p| p.is_inbound()).count();
        (inbound, peers.len() - inbound)
    }

    /// `addnode <node> onetry`: one manual connection attempt, in the background,
    /// offering the v2 transport when `v2`.
    pub fn connect_once(&self, node: &str, v2: bool) {
        let inner = self.inner.clone();
        let name = node.to_string();
        self.inner.runtime.spawn(async move {
            inner
                .open_connection(name, ConnectionType::Manual, v2)
                .await
        });
    }

    /// Whether `-v2transport` is on (we offer `NODE_P2P_V2`).
    pub fn v2_enabled(&self) -> bool {
        self.inner.v2_enabled()
    }

    /// The service bits we offer, before `NODE_NETWORK` is dropped for a pruned node.
    pub fn local_services(&self) -> u64 {
        self.inner.config.services
    }

    /// The regtest `addconnection` RPC: an automatic-type outbound connection.
    /// False when the type's slots (8 full-relay, 2 block-relay, 11 automatic
    /// outbound in all) are taken, as Core's `AddConnection`.
    pub fn add_connection(&self, address: &str, conn_type: ConnectionType, v2: bool) -> bool {
        let limit = match conn_type {
            ConnectionType::OutboundFullRelay => Some(8),
            ConnectionType::BlockRelay => Some(2),
            ConnectionType::AddrFetch | ConnectionType::Feeler => None,
            ConnectionType::Inbound | ConnectionType::Manual => return false,
        };
        let peers = self.peers();
        let same = peers.iter().filter(|p| p.conn_type == conn_type).count();
        let automatic = peers
            .iter()
            .filter(|p| {
                !matches!(
                    p.conn_type,
                    ConnectionType::Inbound | ConnectionType::Manual
                )
            })
            .count();
        let max_outbound = MAX_OUTBOUND.min(self.inner.config.max_connections);
        if limit.is_some_and(|l| same >= l) || automatic >= max_outbound {
            return false;
        }
        let inner = self.inner.clone();
        let name = address.to_string();
        self.inner
            .runtime
            .spawn(async move { inner.open_connection(name, conn_type, v2).await });
        true
    }

    /// `addnode <node> add`: keep the node connected.
    pub fn add_node(&self, node: &str) -> Result<(), AddedNodeError> {
        // Two spellings of one address (`127.0.0.1:1`, `127.1:1`) are one node.
        let port = self.inner.config.default_port;
        let resolved = crate::config::parse_host_port(node, port);
        let mut added = lock(&self.inner.added);
        let same = |n: &String| {
            n == node || resolved.is_some() && crate::config::parse_host_port(n, port) == resolved
        };
        if added.iter().any(same) {
            return Err(AddedNodeError::AlreadyAdded);
        }
        added.push(node.to_string());
        Ok(())
    }

    /// `addnode <node> remove`.
    pub fn remove_node(&self, node: &str) -> Result<(), AddedNodeError> {
        let mut added = lock(&self.inner.added);
        let before = added.len();
        added.retain(|n| n != node);
        if added.len() == before {
            return Err(AddedNodeError::NotAdded);
        }
        Ok(())
    }

    /// Added nodes and the peer each is connected as, if any.
    pub fn added_nodes(&self) -> Vec<(String, Option<Arc<Peer>>)> {
        let added = lock(&self.inner.added).clone();
        added
            .into_iter()
            .map(|n| {
                let p = self.inner.find_connected(&n);
                (n, p)
            })
            .collect()
    }

    /// Disconnects the peer with this id; false if there is none.
    pub fn disconnect_id(&self, id: PeerId) -> bool {
        match lock(&self.inner.peers).get(&id) {
            Some(p) => {
                tracing::debug!(target: "net", "disconnect by id, disconnecting {}", p.log_name());
                p.disconnect();
                true
            }
            None => false,
        }
    }

    /// `sendmsgtopeer`: queues `payload` as a `msg_type` message to the peer
    /// with this id, header generated. False when there is no such peer or it
    /// has not finished the handshake or is being disconnected (Core's
    /// `ForNode` only reaches fully connected nodes).
    pub fn send_raw(&self, id: PeerId, msg_type: &str, payload: &[u8]) -> bool {
        let Some(peer) = lock(&self.inner.peers).get(&id).cloned() else {
            return false;
        };
        if peer.disconnect_requested() || !peer.stats().successfully_connected {
            return false;
        }
        peer.send(msg_type, payload);
        true
    }

    /// Disconnects peers whose address (`ip:port`) matches; false if none did.
    pub fn disconnect_address(&self, address: &str) -> bool {
        let target = self.inner.resolve_now(address);
        let mut found = false;
        for p in self.peers() {
            if p.addr_name == address || Some(p.addr) == target {
                tracing::debug!(target: "net", "disconnect by address, disconnecting {}", p.log_name());
                p.disconnect();
                found = true;
            }
        }
        found
    }

    /// Up to `max` known addresses (all when 0) of `network` (all when
    /// `None`), in random order and without terrible ones (`getnodeaddresses`).
    pub fn node_addresses(&self, max: usize, network: Option<Network>) -> Vec<AddrInfo> {
        lock(&self.inner.addrman).get_addr(max, 0, network, true, common::time::now_secs())
    }

    /// Addresses in the (new, tried) table, of one network or all (`getaddrmaninfo`).
    pub fn addrman_counts(&self, network: Option<Network>) -> (usize, usize) {
        lock(&self.inner.addrman).counts(network)
    }

    /// Every entry of the tried or the new table with its slot (`getrawaddrman`).
    pub fn addrman_entries(&self, tried: bool) -> Vec<(Slot, AddrInfo)> {
        lock(&self.inner.addrman)
            .entries(tried)
            .into_iter()
            .map(|(slot, info)| (slot, info.clone()))
            .collect()
    }

    /// `addpeeraddress`: puts `addr` in the new table (then the tried table
    /// when `tried`), as if a peer at that address had announced itself.
    /// Errors are Core's codes (`failed-adding-to-new`, `failed-adding-to-tried`).
    pub fn add_peer_address(
        &self,
        addr: NetAddr,
        port: u16,
        tried: bool,
    ) -> Result<(), &'static str> {
        let now = common::time::now_secs();
        let addr = addr.flip_to_cjdns(self.inner.config.seeding.cjdns_reachable);
        let service = Service { addr, port };
        let services = crate::config::NODE_NETWORK | crate::config::NODE_WITNESS;
        let mut man = lock(&self.inner.addrman);
        if man.add(&[(service, services, now)], &addr, 0, now) == 0 {
            return Err("failed-adding-to-new");
        }
        if tried && !man.good(&service, true, now) {
            return Err("failed-adding-to-tried");
        }
        Ok(())
    }

    /// Whether P2P networking is enabled.
    pub fn network_active(&self) -> bool {
        self.inner.network_active.load(Ordering::SeqCst)
    }

    /// `setnetworkactive`: when turned off, every connection is closed.
    pub fn set_network_active(&self, active: bool) {
        tracing::info!("SetNetworkActive: {active}");
        self.inner.network_active.store(active, Ordering::SeqCst);
        if !active {
            for p in self.peers() {
                tracing::debug!(target: "net", "Network not active, disconnecting {}", p.log_name());
                p.disconnect();
            }
        }
    }

    /// Total bytes (received, sent).
    pub fn totals(&self) -> (u64, u64) {
        (
            self.inner.totals.recv.load(Ordering::Relaxed),
            self.inner.totals.sent.load(Ordering::Relaxed),
        )
    }

    /// The `ping` RPC: ping every peer at once.
    pub fn ping_all(&self) {
        self.send(Event::PingAll);
    }

    /// `getblockfrompeer`: asks peer `id` for the block `hash`; Core's error
    /// text when the request cannot be made.
    pub fn fetch_block(&self, id: PeerId, hash: BlockHash) -> Result<(), String> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.send(Event::FetchBlock {
            peer: id,
            hash,
            reply,
        });
        answer
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| Err("Peer not fully connected".into()))
    }

    /// The node's tip changed: announce it to peers.
    pub fn block_tip_changed(&self, tip: BlockHash) {
        self.send(Event::BlockTip(tip));
    }

    /// A transaction entered the mempool through RPC: announce it to peers.
    pub fn relay_transaction(&self, txid: Txid, wtxid: Wtxid) {
        self.send(Event::RelayTx(txid, wtxid));
    }

    /// `setban add`: bans `subnet` until `until` (Unix time) and disconnects peers
    /// in it. `Err(None)` for an invalid subnet, `Err(Some(()))` if already banned.
    pub fn ban(&self, subnet: &str, until: i64) -> Result<(), Option<()>> {
        let (key, net) = parse_subnet(subnet).ok_or(None)?;
        let now = common::time::now_secs();
        let entry = BanEntry {
            net,
            created: now,
            until,
        };
        {
            let mut bans = lock(&self.inner.bans);
            // A single address counts as banned when any banned subnet holds
            // it (Core's `IsBanned(CNetAddr)`); a subnet only when listed.
            let covered =
                !subnet.contains('/') && net.is_some_and(|(ip, _)| bans.is_banned(ip, now));
            if covered || !bans.ban(key, entry.clone()) {
                return Err(Some(()));
            }
        }
        // A one-entry list to test connected peers against the new ban alone.
        let mut one = BanList::default();
        one.ban(String::new(), entry);
        for p in self.peers() {
            if one.is_banned(p.addr.ip(), now) {
                p.disconnect();
            }
        }
        Ok(())
    }

    /// `setban remove`; `Err(None)` for an invalid subnet, `Err(Some(()))` if not banned.
    pub fn unban(&self, subnet: &str) -> Result<(), Option<()>> {
        let (key, _) = parse_subnet(subnet).ok_or(None)?;
        if lock(&self.inner.bans).unban(&key) {
            Ok(())
        } else {
            Err(Some(()))
        }
    }

    /// `listbanned`.
    pub fn bans(&self) -> Vec<(String, BanEntry)> {
        lock(&self.inner.bans).list(common::time::now_secs())
    }

    /// `clearbanned`.
    pub fn clear_bans(&self) {
        lock(&self.inner.bans).clear();
    }

    /// Addresses of the listening sockets (with the real port when 0 was asked).
    pub fn listen_addrs(&self) -> Vec<SocketAddr> {
        self.inner.bound.clone()
    }

    /// Configuration in use.
    pub fn config(&self) -> &NetConfig {
        &self.inner.config
    }
}

/// A [`NetHandle`] that exists only once P2P has started. Components built
/// earlier in init (the chainstate, `sendrawtransaction`) keep a clone and
/// notify through it; notifications before [`LateNetHandle::set`] are dropped,
/// which is right because there are no peers to tell yet.
#[derive(Clone, Default)]
pub struct LateNetHandle(Arc<std::sync::OnceLock<NetHandle>>);

impl LateNetHandle {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fills the slot; later calls are ignored.
    pub fn set(&self, handle: NetHandle) {
        let _ = self.0.set(handle);
    }

    /// The handle, once P2P has started.
    pub fn get(&self) -> Option<&NetHandle> {
        self.0.get()
    }

    /// See [`NetHandle::block_tip_changed`].
    pub fn block_tip_changed(&self, tip: BlockHash) {
        if let Some(h) = self.get() {
            h.block_tip_changed(tip);
        }
    }

    /// See [`NetHandle::relay_transaction`].
    pub fn relay_transaction(&self, txid: Txid, wtxid: Wtxid) {
        if let Some(h) = self.get() {
            h.relay_transaction(txid, wtxid);
        }
    }
}
