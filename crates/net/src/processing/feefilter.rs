//! The `feefilter` we send (BIP133, Core's `MaybeSendFeefilter`): the mempool's
//! rolling minimum fee, never below `-minrelaytxfee`, quantized and randomly
//! rounded down so it does not reveal our exact mempool state, sent on a
//! Poisson schedule and sooner when it moves a lot.

use super::*;
use crate::backend::FeeFloor;

/// Core's `DEFAULT_MIN_RELAY_TX_FEE` (sat/kvB); Core builds the rounder's
/// buckets from this constant, not from the configured relay fee.
pub(super) const DEFAULT_MIN_RELAY_TX_FEE: i64 = 100;
/// Core's `MAX_MONEY` in satoshis.
const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Highest bucket boundary (Core's `MAX_FILTER_FEERATE`).
const MAX_FILTER_FEERATE: f64 = 1e7;
/// Ratio between neighbouring buckets (Core's `FEE_FILTER_SPACING`).
const FEE_FILTER_SPACING: f64 = 1.1;
/// Mean time between sends, microseconds (Core's `AVG_FEEFILTER_BROADCAST_INTERVAL`).
const AVG_FEEFILTER_BROADCAST_INTERVAL: i64 = 10 * 60 * 1_000_000;
/// Latest a big change waits before being sent (Core's `MAX_FEEFILTER_CHANGE_DELAY`).
const MAX_FEEFILTER_CHANGE_DELAY: i64 = 5 * 60 * 1_000_000;

/// Core's `FeeFilterRounder`: fee rates snap to geometric buckets.
#[derive(Debug, Clone)]
pub(super) struct FeeFilterRounder {
    /// Ascending bucket boundaries in sat/kvB, starting at 0.
    buckets: Vec<f64>,
}

impl FeeFilterRounder {
    /// Buckets from half the incremental fee (at least 1) up to 1e7 sat/kvB.
    pub(super) fn new(min_incremental_fee: i64) -> Self {
        let mut buckets = vec![0.0];
        let mut boundary = (min_incremental_fee / 2).max(1) as f64;
        while boundary <= MAX_FILTER_FEERATE {
            buckets.push(boundary);
            boundary *= FEE_FILTER_SPACING;
        }
        FeeFilterRounder { buckets }
    }

    /// The first bucket at or above `fee`, but the one below it two times in
    /// three (a coin not a multiple of 3), and the top bucket for anything above it.
    pub(super) fn round(&self, fee: i64, coin: impl FnOnce() -> u32) -> i64 {
        let at_or_above = self.buckets.partition_point(|b| *b < fee as f64);
        let idx = if at_or_above == self.buckets.len()
            || (at_or_above != 0 && !coin().is_multiple_of(3))
        {
            at_or_above - 1
        } else {
            at_or_above
        };
        self.buckets[idx] as i64
    }

    /// What every fee at or above the top bucket rounds to (Core's `MAX_FILTER`).
    pub(super) fn max_filter(&self) -> i64 {
        self.buckets.last().map_or(0, |b| *b as i64)
    }
}

/// A draw from an exponential distribution with this mean (Core's `rand_exp_duration`).
pub(super) fn exp_delay(mean: i64) -> i64 {
    let u: f64 = rand::random();
    // 1 - u is in (0, 1], so the logarithm is finite.
    (-(1.0 - u).ln() * mean as f64) as i64
}

impl Handler {
    /// Core's `MaybeSendFeefilter` for every peer past its handshake.
    pub(super) fn send_feefilters(&mut self) {
        // -blocksonly: we ask for no transactions, so no filter either.
        if !self.config.relay_txs {
            return;
        }
        let floor = self.backend.fee_filter_floor();
        let now = crate::clock::now_micros();
        for st in self.peers.values_mut() {
            maybe_send(&self.fee_rounder, st, floor, now);
        }
    }
}

fn maybe_send(rounder: &FeeFilterRounder, st: &mut PeerState, floor: FeeFloor, now: i64) {
    if !st.handshake_done || st.peer.disconnect_requested() {
        return;
    }
    if st.common_version() < FEEFILTER_VERSION
        // A forcerelay peer is meant to give us everything.
        || st.peer.permissions.has("forcerelay")
        // Block-relay-only peers never announce transactions anyway.
        || st.peer.conn_type == ConnectionType::BlockRelay
    {
        return;
    }
    let max_filter = rounder.max_filter();
    let current = if floor.initial_download {
        // Transaction announcements are ignored during IBD.
        MAX_MONEY
    } else {
        if st.fee_filter_sent == max_filter {
            // Out of IBD: replace the IBD filter right away.
            st.next_feefilter = 0;
        }
        floor.mempool_min
    };
    if now > st.next_feefilter {
        let to_send = rounder.round(current, rand::random).max(floor.min_relay);
        if to_send != st.fee_filter_sent {
            st.send(NetworkMessage::FeeFilter(to_send));
            st.fee_filter_sent = to_send;
        }
        st.next_feefilter = now.saturating_add(exp_delay(AVG_FEEFILTER_BROADCAST_INTERVAL));
    } else if now.saturating_add(MAX_FEEFILTER_CHANGE_DELAY) < st.next_feefilter
        && (current < 3 * st.fee_filter_sent / 4 || current > 4 * st.fee_filter_sent / 3)
    {
        // A big move is announced within MAX_FEEFILTER_CHANGE_DELAY.
        let delay = (rand::random::<u64>() % MAX_FEEFILTER_CHANGE_DELAY as u64) as i64;
        st.next_feefilter = now + delay;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_core() {
        let r = FeeFilterRounder::new(DEFAULT_MIN_RELAY_TX_FEE);
        let first: Vec<i64> = r.buckets[..5].iter().map(|b| *b as i64).collect();
        assert_eq!(first, [0, 50, 55, 60, 66]);
        assert!(r.buckets.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(r.max_filter(), 9_936_506);
        // Above the top bucket: always the top bucket, whatever the coin.
        assert_eq!(r.round(MAX_MONEY, || 0), r.max_filter());
        assert_eq!(r.round(MAX_MONEY, || 1), r.max_filter());
        // Zero stays zero; an exact boundary is kept on coin 0 mod 3.
        assert_eq!(r.round(0, || 1), 0);
        assert_eq!(r.round(50, || 3), 50);
        // Otherwise the bucket below.
        assert_eq!(r.round(50, || 1), 0);
        assert_eq!(r.round(56, || 0), 60);
        assert_eq!(r.round(56, || 2), 55);
        // A one-sat incremental fee starts the buckets at 1.
        assert_eq!(FeeFilterRounder::new(1).buckets[1], 1.0);
    }

    #[test]
    fn exponential_delays_are_finite_and_non_negative() {
        for _ in 0..1000 {
            let d = exp_delay(AVG_FEEFILTER_BROADCAST_INTERVAL);
            assert!(d >= 0);
        }
    }
}
