//! The version handshake and keep-alive: `version`/`verack`, `wtxidrelay`,
//! expected services, feelers, self-connections, `ping`/`pong`.

use super::*;

impl Handler {
    pub(super) fn send_version(&self, st: &PeerState) {
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
        let services = self.our_services();
        let msg = VersionMessage {
            version: PROTOCOL_VERSION as u32,
            services: ServiceFlags::from(services),
            timestamp: common::time::now_secs(),
            receiver: Address::new(&them, ServiceFlags::NONE),
            sender: Address::new(&unspecified, ServiceFlags::from(services)),
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

    pub(super) fn on_version(&mut self, id: PeerId, v: PeerVersion) {
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

    /// The services we offer: a pruned node drops `NODE_NETWORK`.
    pub(super) fn our_services(&self) -> u64 {
        if self.backend.serves_full_history() {
            self.config.services
        } else {
            self.config.services & !NODE_NETWORK
        }
    }

    /// Core's `GetDesirableServiceFlags`: pruned (`NETWORK_LIMITED`) peers are
    /// enough when our tip is less than 144 blocks' time old.
    pub(super) fn desirable_services(&self, services: u64) -> u64 {
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

    pub(super) fn on_wtxidrelay(&mut self, id: PeerId) {
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

    /// BIP434 `feature`, as Core: only between `version` and `verack` of a
    /// connection that negotiated 70017, with a valid payload; otherwise the
    /// peer is disconnected. We support no feature yet, so valid ones are ignored.
    pub(super) fn on_feature(&mut self, id: PeerId, feature: Option<Feature>) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        if st.handshake_done {
            self.disconnect(id, "feature received after verack");
            return;
        }
        let common = st.common_version();
        if common < FEATURE_VERSION {
            let text = format!("feature received with incompatible version {common}");
            self.disconnect(id, &text);
            return;
        }
        match feature {
            None => self.disconnect(id, "invalid feature payload"),
            Some(f) => {
                tracing::debug!(target: "net", "unknown feature advertised: {}", sanitize(&f.id));
            }
        }
    }

    pub(super) fn on_verack(&mut self, id: PeerId) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if st.handshake_done {
            tracing::debug!(target: "net", "ignoring redundant verack message from peer={id}");
            return;
        }
        let version = st.version.as_ref().map_or(0, |v| v.version);
        let transport = st.peer.stats().transport.as_str();
        let text = format!(
            "New {} peer connected: transport: {transport}, version: {version}, {}",
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
        // BIP152: we serve compact blocks, without asking for them to be
        // pushed to us yet (that is for the peers that give us new blocks).
        if st.common_version() >= SHORT_IDS_BLOCKS_VERSION {
            st.send(NetworkMessage::SendCmpct(SendCmpct {
                send_compact: false,
                version: crate::compact::CMPCTBLOCKS_VERSION,
            }));
        }
        self.addr_after_handshake(id);
        self.send_pings();
        // Core sends the first `feefilter` in the first SendMessages after verack.
        self.send_feefilters();
        // Headers-first sync from every peer that can serve blocks.
        // Addr-fetch peers are only asked for addresses.
        let serves_blocks = self.peers[&id].peer.conn_type != ConnectionType::AddrFetch
            && self.peers[&id]
                .version
                .as_ref()
                .is_some_and(|v| v.services & (NODE_NETWORK | NODE_NETWORK_LIMITED) != 0);
        if serves_blocks {
            // Like Core, start from the best header's parent so the peer
            // answers with at least one header even when it has nothing new.
            let mut locator = self.backend.block_locator(None);
            let parent = locator
                .first()
                .and_then(|best| self.backend.header(best))
                .map(|h| h.prev_blockhash)
                .filter(|p| self.backend.header_height(p).is_some());
            if let Some(parent) = parent {
                locator = self.backend.block_locator(Some(parent));
            }
            let height = self.backend.tip().0;
            tracing::debug!(target: "net", "initial getheaders ({height}) to peer={id}");
            if let Some(st) = self.peers.get_mut(&id) {
                st.sync_started = true;
            }
            self.send_getheaders(id, locator, BlockHash::all_zeros());
        }
    }

    pub(super) fn on_pong(&mut self, id: PeerId, nonce: Option<u64>, size: usize) {
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
    pub(super) fn send_pings(&mut self) {
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
}

/// Whether an address is worth telling a peer (not loopback, private or unspecified).
pub(super) fn is_routable(addr: &SocketAddr) -> bool {
    match addr.ip() {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_loopback() || v4.is_private() || v4.is_unspecified() || v4.is_link_local())
        }
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}
