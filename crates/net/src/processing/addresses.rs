//! `addr` / `addrv2` into the address manager, and `getaddr` answers.

use super::Handler;
use crate::connman::lock;
use crate::message::{AddrEntry, MAX_ADDR_TO_SEND};
use crate::peer::{ConnectionType, PeerId};
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;

/// Share of known addresses a `getaddr` answer may hold (Core: 23%).
const GETADDR_PERCENT: usize = 23;
/// Announced times further ahead than this are not believed (Core: 10 minutes).
const MAX_FUTURE_SECS: i64 = 600;
/// Age given to addresses with an implausible time (Core: 5 days).
const PENALTY_SECS: i64 = 5 * 86_400;

impl Handler {
    /// Learns announced addresses, once the handshake is done and not from
    /// block-relay-only peers (which never relay addresses).
    pub(super) fn on_addr(&mut self, id: PeerId, entries: Vec<AddrEntry>) {
        let Some(st) = self.peers.get(&id) else {
            return;
        };
        if !st.handshake_done || st.peer.conn_type == ConnectionType::BlockRelay {
            return;
        }
        let source = st.peer.addr.ip();
        let now = common::time::now_secs();
        let mut man = lock(&self.addrman);
        let mut added = 0;
        for e in entries {
            let mut time = i64::from(e.time);
            if time <= 100_000_000 || time > now + MAX_FUTURE_SECS {
                time = now - PENALTY_SECS;
            }
            if self.config.seeding.reachable(&e.addr) && man.add(e.addr, e.services, time, source) {
                added += 1;
            }
        }
        tracing::debug!(target: "net", "Added {added} addresses from peer={id}");
    }

    /// Answers the first `getaddr` of an inbound peer with a random share of
    /// the known addresses; outbound peers are not answered, as in Core, so
    /// they cannot map our tables.
    pub(super) fn on_getaddr(&mut self, id: PeerId) {
        let Some(st) = self.peers.get_mut(&id) else {
            return;
        };
        if !st.peer.is_inbound() {
            tracing::debug!(target: "net", "Ignoring \"getaddr\" from outbound connection. peer={id}");
            return;
        }
        if st.getaddr_answered {
            tracing::debug!(target: "net", "Ignoring repeated \"getaddr\". peer={id}");
            return;
        }
        st.getaddr_answered = true;
        let man = lock(&self.addrman);
        let max = (man.size() * GETADDR_PERCENT / 100).min(MAX_ADDR_TO_SEND);
        if max == 0 {
            return;
        }
        let list: Vec<(u32, Address)> = man
            .addresses(max)
            .into_iter()
            .map(|(addr, info)| {
                let time = u32::try_from(info.time.max(0)).unwrap_or(u32::MAX);
                (time, Address::new(&addr, ServiceFlags::from(info.services)))
            })
            .collect();
        drop(man);
        st.send(NetworkMessage::Addr(list));
    }
}
