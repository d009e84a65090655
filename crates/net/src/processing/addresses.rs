//! Address relay, as Core's net_processing does it: `addr` / `addrv2` into
//! the address manager under a per-peer token bucket, fresh announcements
//! forwarded to one or two peers, `getaddr` answered once per connection
//! from a long-lived cache, and everything sent in trickled batches that
//! skip what the peer already knows.

use super::{Handler, PeerState};
use crate::addrman::AddrInfo;
use crate::connman::lock;
use crate::known::KnownSet;
use crate::message::{AddrEntry, MAX_ADDR_TO_SEND};
use crate::netaddr::{NetAddr, Network, Service};
use crate::peer::{ConnectionType, PeerId};
use bitcoin::hashes::siphash24;
use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;
use std::collections::HashMap;

/// Share of known addresses a `getaddr` answer may hold (Core: 23%).
const GETADDR_MAX_PCT: usize = 23;
/// Announced times further ahead than this are not believed (Core: 10 minutes).
const MAX_FUTURE_SECS: i64 = 600;
/// Age given to addresses with an implausible time (Core: 5 days).
const PENALTY_SECS: i64 = 5 * 86_400;
/// Age added to addresses we hear from others (Core: 2 hours).
const RELAYED_PENALTY_SECS: i64 = 2 * 3600;
/// Addresses a peer may send per second once its bucket is empty (Core's
/// `MAX_ADDR_RATE_PER_SECOND`).
pub(super) const MAX_ADDR_RATE_PER_SECOND: f64 = 0.1;
/// The token bucket's size (Core's `MAX_ADDR_PROCESSING_TOKEN_BUCKET`).
pub(super) const MAX_ADDR_PROCESSING_TOKEN_BUCKET: f64 = MAX_ADDR_TO_SEND as f64;
/// Mean wait between two `addr` sends to one peer (Core: 30 s).
const AVG_ADDRESS_BROADCAST_INTERVAL_MICROS: i64 = 30_000_000;
/// Relay destinations of an address stay the same this long (Core: 24 h).
const ROTATE_ADDR_RELAY_DEST_SECS: u64 = 24 * 3600;
/// A cached `getaddr` answer lives 21 h plus up to 6 h (Core's
/// `m_addr_response_caches`), so repeated asks cannot map the tables.
const ADDR_CACHE_MIN_MICROS: i64 = 21 * 3600 * 1_000_000;
/// See [`ADDR_CACHE_MIN_MICROS`].
const ADDR_CACHE_SPREAD_MICROS: i64 = 6 * 3600 * 1_000_000;
/// Addresses remembered as known to a peer (Core's `m_addr_known`).
const ADDR_KNOWN_SIZE: usize = 5000;

/// Address-relay state of one peer (Core's `Peer` addr fields).
pub(super) struct AddrRelay {
    /// We relay addresses with this peer (Core's `m_addr_relay_enabled`).
    enabled: bool,
    /// Addresses the peer knows: never sent to it again.
    known: KnownSet<Service>,
    /// Waiting for the next trickle.
    to_send: Vec<AddrEntry>,
    /// When the next trickle may go, mockable microseconds.
    next_send: i64,
    /// Addresses the peer may still send before rate limiting.
    token_bucket: f64,
    /// When the bucket was last refilled, mockable microseconds.
    token_timestamp: i64,
    /// We asked for addresses and the answer has not come.
    getaddr_sent: bool,
    /// The peer's `getaddr` was answered.
    getaddr_recvd: bool,
    /// The peer sent `sendaddrv2`: it gets `addrv2`.
    pub(super) wants_v2: bool,
}

impl AddrRelay {
    /// Fresh state: one token, refilled from now.
    pub(super) fn new(now_micros: i64) -> AddrRelay {
        AddrRelay {
            enabled: false,
            known: KnownSet::new(ADDR_KNOWN_SIZE),
            to_send: Vec::new(),
            next_send: 0,
            token_bucket: 1.0,
            token_timestamp: now_micros,
            getaddr_sent: false,
            getaddr_recvd: false,
            wants_v2: false,
        }
    }

    /// Refills the bucket for the time since the last refill.
    fn refill(&mut self, now_micros: i64) {
        if self.token_bucket < MAX_ADDR_PROCESSING_TOKEN_BUCKET {
            let elapsed = (now_micros - self.token_timestamp).max(0) as f64 / 1e6;
            self.token_bucket = (self.token_bucket + elapsed * MAX_ADDR_RATE_PER_SECOND)
                .min(MAX_ADDR_PROCESSING_TOKEN_BUCKET);
        }
        self.token_timestamp = now_micros;
    }

    /// Takes a token for one address; false when the peer is over its rate
    /// (and `limited`, i.e. without the `addr` permission).
    fn take_token(&mut self, limited: bool) -> bool {
        if self.token_bucket >= 1.0 {
            self.token_bucket -= 1.0;
            true
        } else {
            !limited
        }
    }

    /// Whether the peer can take `addr` in the message type it gets.
    fn compatible(&self, addr: &Service) -> bool {
        self.wants_v2 || matches!(addr.addr, NetAddr::Ipv4(_) | NetAddr::Ipv6(_))
    }

    /// Queues `entry` for the next trickle (Core's `PushAddress`); a full
    /// queue has a random entry replaced.
    fn push(&mut self, entry: AddrEntry) {
        if self.known.contains(&entry.addr) || !self.compatible(&entry.addr) {
            return;
        }
        if self.to_send.len() >= MAX_ADDR_TO_SEND {
            let i = rand::random::<usize>() % self.to_send.len();
            self.to_send[i] = entry;
        } else {
            self.to_send.push(entry);
        }
    }
}

/// A cached `getaddr` answer.
pub(super) struct AddrCache {
    expires: i64,
    addrs: Vec<AddrEntry>,
}

/// Cached `getaddr` answers by the local endpoint a peer reached us on.
pub(super) type AddrCaches = HashMap<(Network, std::net::SocketAddr), AddrCache>;

fn entry_of(info: &AddrInfo) -> AddrEntry {
    AddrEntry {
        time: u32::try_from(info.time.max(0)).unwrap_or(u32::MAX),
        services: info.services,
        addr: info.addr,
    }
}

/// The peer's address relay turned on (Core's `SetupAddressRelay`); false
/// for block-relay-only connections, which never relay addresses, and
/// feelers, which leave before an answer could come.
fn setup_relay(st: &mut PeerState) -> bool {
    if matches!(
        st.peer.conn_type,
        ConnectionType::BlockRelay | ConnectionType::Feeler
    ) {
        return false;
    }
    if !st.addr.enabled {
        st.addr.enabled = true;
        st.peer.stats().addr_relay_enabled = true;
    }
    true
}

impl Handler {
    /// After an outbound peer's `verack`: relay addresses with it and ask
    /// for its addresses once, allowing a full answer past the rate limit;
    /// a good connection moves its address to the tried table.
    pub(super) fn addr_after_handshake(&mut self, id: PeerId) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if st.peer.is_inbound() {
            return;
        }
        if setup_relay(st) {
            st.send(NetworkMessage::GetAddr);
            st.addr.getaddr_sent = true;
            st.addr.token_bucket += MAX_ADDR_TO_SEND as f64;
        }
        let addr = Service::from_socket(st.peer.addr);
        lock(&self.addrman).good(&addr, true, common::time::now_secs());
    }

    /// Learns announced addresses (Core's `addr` / `addrv2` handling).
    pub(super) fn on_addr(&mut self, id: PeerId, msg_type: &str, mut entries: Vec<AddrEntry>) {
        use crate::config::{NODE_NETWORK, NODE_NETWORK_LIMITED};
        // What a pruned peer must offer depends on our tip's age: ask once.
        let limited_desirable = self.desirable_services(NODE_NETWORK_LIMITED);
        let full_desirable = self.desirable_services(0);
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if !setup_relay(st) {
            tracing::debug!(target: "net", "ignoring {msg_type} message from {} peer={id}", st.peer.conn_type.as_str());
            return;
        }
        let now = common::time::now_secs();
        let now_micros = crate::clock::now_micros();
        st.addr.refill(now_micros);
        let limited = !st.peer.permissions.has("addr");
        let total = entries.len();
        let source = NetAddr::from_ip(st.peer.addr.ip());
        let getaddr_sent = st.addr.getaddr_sent;
        use rand::seq::SliceRandom;
        // Shuffled, so the rate limit does not always drop the same tail.
        entries.shuffle(&mut rand::thread_rng());
        let mut processed = 0u64;
        let mut rate_limited = 0u64;
        let mut keep = Vec::new();
        let mut relay = Vec::new();
        for mut e in entries {
            if !st.addr.take_token(limited) {
                rate_limited += 1;
                continue;
            }
            // Only full or pruned nodes are worth storing.
            let useful = e.services & (NODE_NETWORK | NODE_NETWORK_LIMITED) != 0;
            let desirable = if e.services & NODE_NETWORK_LIMITED != 0 {
                limited_desirable
            } else {
                full_desirable
            };
            if !useful && e.services & desirable != desirable {
                continue;
            }
            let mut time = i64::from(e.time);
            if time <= 100_000_000 || time > now + MAX_FUTURE_SECS {
                time = now - PENALTY_SECS;
                e.time = u32::try_from(time.max(0)).unwrap_or(0);
            }
            st.addr.known.insert(e.addr);
            processed += 1;
            let reachable = self.config.seeding.reachable_net(e.addr.addr.network());
            if time > now - 600 && !getaddr_sent && total <= 10 && e.addr.addr.is_routable() {
                relay.push((e.clone(), reachable));
            }
            if reachable {
                keep.push((e.addr, e.services, time));
            }
        }
        {
            let mut stats = st.peer.stats();
            stats.addr_processed += processed;
            stats.addr_rate_limited += rate_limited;
        }
        if total < MAX_ADDR_TO_SEND {
            st.addr.getaddr_sent = false;
        }
        let addr_fetch = st.peer.conn_type == ConnectionType::AddrFetch;
        tracing::debug!(target: "net", "Received addr: {total} addresses ({processed} processed, {rate_limited} rate-limited) from peer={id}");
        lock(&self.addrman).add(&keep, &source, RELAYED_PENALTY_SECS, now);
        for (e, reachable) in relay {
            self.relay_address(id, e, reachable);
        }
        if addr_fetch && total > 1 {
            self.disconnect(id, "addrfetch connection completed");
        }
    }

    /// Forwards a fresh address to two peers (one or two when we cannot reach
    /// its network), chosen by a keyed hash that stays the same for a day, so
    /// repeating an address does not spread it further (Core's `RelayAddress`).
    fn relay_address(&mut self, from: PeerId, entry: AddrEntry, reachable: bool) {
        let key = entry.addr.key();
        let (k0, k1) = self.addr_relay_key;
        let hash_addr = siphash24::Hash::hash_to_u64_with_keys(0, 0, &key);
        let now = common::time::now_secs().max(0) as u64;
        let period = now.wrapping_add(hash_addr) / ROTATE_ADDR_RELAY_DEST_SECS;
        let mut seed = hash_addr.to_le_bytes().to_vec();
        seed.extend_from_slice(&period.to_le_bytes());
        let base = siphash24::Hash::hash_to_u64_with_keys(k0, k1, &seed);
        let count = if reachable || base & 1 == 1 { 2 } else { 1 };
        let mut ranked: Vec<(u64, PeerId)> = self
            .peers
            .iter()
            .filter(|(id, st)| **id != from && st.addr.enabled && st.addr.compatible(&entry.addr))
            .map(|(id, _)| {
                let mut d = seed.clone();
                d.extend_from_slice(&id.to_le_bytes());
                (siphash24::Hash::hash_to_u64_with_keys(k0, k1, &d), *id)
            })
            .collect();
        // The highest keys win.
        ranked.sort_unstable();
        for (_, id) in ranked.into_iter().rev().take(count) {
            if let Some(st) = self.peers.get_mut(&id) {
                st.addr.push(entry.clone());
            }
        }
    }

    /// Answers the first `getaddr` of an inbound peer, from a cache per
    /// local endpoint (Core's `GetAddresses`); outbound peers are not
    /// answered, so they cannot map our tables.
    pub(super) fn on_getaddr(&mut self, id: PeerId) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if !st.peer.is_inbound() {
            tracing::debug!(target: "net", "Ignoring \"getaddr\" from {} connection. peer={id}", st.peer.conn_type.as_str());
            return;
        }
        setup_relay(st);
        if st.addr.getaddr_recvd {
            tracing::debug!(target: "net", "Ignoring repeated \"getaddr\". peer={id}");
            return;
        }
        st.addr.getaddr_recvd = true;
        st.addr.to_send.clear();
        let now = common::time::now_secs();
        let addrs: Vec<AddrEntry> = if st.peer.permissions.has("addr") {
            lock(&self.addrman)
                .get_addr(MAX_ADDR_TO_SEND, GETADDR_MAX_PCT, None, true, now)
                .iter()
                .map(entry_of)
                .collect()
        } else {
            let network = if st.peer.inbound_onion {
                Network::Onion
            } else {
                NetAddr::from_ip(st.peer.addr.ip()).network()
            };
            let key = (network, st.peer.addr_bind);
            let now_micros = crate::clock::now_micros();
            match self.addr_caches.get(&key) {
                Some(c) if c.expires >= now_micros => c.addrs.clone(),
                _ => {
                    let addrs: Vec<AddrEntry> = lock(&self.addrman)
                        .get_addr(MAX_ADDR_TO_SEND, GETADDR_MAX_PCT, None, true, now)
                        .iter()
                        .map(entry_of)
                        .collect();
                    let spread = rand::random::<u64>() % ADDR_CACHE_SPREAD_MICROS as u64;
                    let expires = now_micros + ADDR_CACHE_MIN_MICROS + spread as i64;
                    self.addr_caches.insert(
                        key,
                        AddrCache {
                            expires,
                            addrs: addrs.clone(),
                        },
                    );
                    addrs
                }
            }
        };
        if let Some(st) = self.peers.get_mut(&id) {
            for e in addrs {
                st.addr.push(e);
            }
        }
    }

    /// Sends each peer its queued addresses when its trickle timer is due
    /// (Core's `MaybeSendAddr`).
    pub(super) fn send_addrs(&mut self) {
        let now = crate::clock::now_micros();
        for st in self.peers.values_mut() {
            if !st.addr.enabled || !st.handshake_done || now <= st.addr.next_send {
                continue;
            }
            st.addr.next_send =
                now + super::feefilter::exp_delay(AVG_ADDRESS_BROADCAST_INTERVAL_MICROS);
            let queued = std::mem::take(&mut st.addr.to_send);
            let mut fresh = Vec::with_capacity(queued.len());
            for e in queued {
                if !st.addr.known.contains(&e.addr) {
                    st.addr.known.insert(e.addr);
                    fresh.push(e);
                }
            }
            if fresh.is_empty() {
                continue;
            }
            let msg = if st.addr.wants_v2 {
                NetworkMessage::AddrV2(fresh.iter().filter_map(to_addrv2).collect())
            } else {
                NetworkMessage::Addr(fresh.iter().filter_map(to_addr).collect())
            };
            st.send(msg);
        }
    }
}

fn to_addr(e: &AddrEntry) -> Option<(u32, Address)> {
    let sa = e.addr.socket_addr()?;
    Some((e.time, Address::new(&sa, ServiceFlags::from(e.services))))
}

fn to_addrv2(e: &AddrEntry) -> Option<AddrV2Message> {
    let addr = match e.addr.addr {
        NetAddr::Ipv4(b) => AddrV2::Ipv4(b.into()),
        NetAddr::Ipv6(b) => AddrV2::Ipv6(b.into()),
        NetAddr::Onion(b) => AddrV2::TorV3(b),
        NetAddr::I2p(b) => AddrV2::I2p(b),
        NetAddr::Cjdns(b) => AddrV2::Cjdns(b.into()),
    };
    Some(AddrV2Message {
        time: e.time,
        services: ServiceFlags::from(e.services),
        addr,
        port: e.addr.port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_limits_unpermitted_peers_to_the_rate() {
        let mut r = AddrRelay::new(0);
        // One token at the start.
        assert!(r.take_token(true));
        assert!(!r.take_token(true));
        // 0.1 per second: ten seconds give one more.
        r.refill(10_000_000);
        assert!(r.take_token(true));
        assert!(!r.take_token(true));
        // The `addr` permission is never limited.
        assert!(r.take_token(false));
        // The bucket never holds more than 1000.
        r.refill(10_000_000 + 1_000_000 * 1_000_000);
        assert_eq!(r.token_bucket, MAX_ADDR_PROCESSING_TOKEN_BUCKET);
        let taken = (0..2000).filter(|_| r.take_token(true)).count();
        assert_eq!(taken, 1000);
    }

    #[test]
    fn known_and_incompatible_addresses_are_not_queued() {
        let mut r = AddrRelay::new(0);
        let e = |a: &str| AddrEntry {
            time: 1,
            services: 1,
            addr: Service {
                addr: NetAddr::parse(a).unwrap(),
                port: 8333,
            },
        };
        r.known.insert(e("1.2.3.4").addr);
        r.push(e("1.2.3.4"));
        r.push(e(
            "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
        ));
        assert!(r.to_send.is_empty());
        r.wants_v2 = true;
        r.push(e(
            "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
        ));
        r.push(e("5.6.7.8"));
        assert_eq!(r.to_send.len(), 2);
    }
}
