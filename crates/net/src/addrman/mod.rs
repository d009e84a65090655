//! The address manager (Core's `AddrMan`): addresses of peers we may connect
//! to, in a "new" table (heard about: 1024 buckets of 64) and a "tried" table
//! (we connected: 256 buckets of 64). Bucket and slot come from a secret key
//! hashed with the address's network group and its source's group, so one
//! source or one /16 reaches only a few buckets and cannot fill the tables.
//! Positions are computed exactly as Core computes them, so with the
//! deterministic key of `-test=addrman` they match Core's, and `peers.dat`
//! (in [`persist`]) is Core's file.

pub mod persist;

use crate::netaddr::{NetAddr, Network, Service};
use bitcoin::hashes::{sha256d, Hash};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Buckets of the new table.
pub const NEW_BUCKET_COUNT: usize = 1024;
/// Buckets of the tried table.
pub const TRIED_BUCKET_COUNT: usize = 256;
/// Slots per bucket.
pub const BUCKET_SIZE: usize = 64;
/// Tried buckets one address group can land in.
const TRIED_BUCKETS_PER_GROUP: u64 = 8;
/// New buckets one source group can put addresses in.
const NEW_BUCKETS_PER_SOURCE_GROUP: u64 = 64;
/// New buckets one address can be in at once.
const NEW_BUCKETS_PER_ADDRESS: u32 = 8;
/// Addresses not seen for this long are terrible (30 days).
const HORIZON: i64 = 30 * 86_400;
/// Failed attempts before a never-successful address is terrible.
const RETRIES: i32 = 3;
/// Failures within [`MIN_FAIL`] that make an address terrible.
const MAX_FAILURES: i32 = 10;
/// Window for [`MAX_FAILURES`] (7 days).
const MIN_FAIL: i64 = 7 * 86_400;
/// A tried entry that answered this recently is not evicted (4 hours).
const REPLACEMENT: i64 = 4 * 3600;
/// Most pending tried-table collisions kept.
const SET_TRIED_COLLISION_SIZE: usize = 10;
/// After this long, an untested collision evicts the old entry (40 minutes).
const TEST_WINDOW: i64 = 40 * 60;

/// What we know about one address (Core's `AddrInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    /// The address.
    pub addr: Service,
    /// Service bits announced or seen.
    pub services: u64,
    /// When the address was last seen alive, as announced (seconds).
    pub time: i64,
    /// Our last connection attempt (seconds, 0 = never).
    pub last_try: i64,
    /// Our last successful connection (seconds, 0 = never).
    pub last_success: i64,
    /// Failed attempts since the last success.
    pub attempts: i32,
    /// Who told us about it (decides the new buckets).
    pub source: NetAddr,
    /// In the tried table.
    pub tried: bool,
    /// When an attempt last counted as a failure.
    last_count_attempt: i64,
    /// New-table slots holding it.
    ref_count: u32,
}

impl AddrInfo {
    fn new(addr: Service, services: u64, time: i64, source: NetAddr) -> AddrInfo {
        AddrInfo {
            addr,
            services,
            time,
            last_try: 0,
            last_success: 0,
            attempts: 0,
            source,
            tried: false,
            last_count_attempt: 0,
            ref_count: 0,
        }
    }

    /// Whether the entry is not worth keeping or relaying (Core's `IsTerrible`).
    pub fn is_terrible(&self, now: i64) -> bool {
        if now - self.last_try <= 60 {
            return false;
        }
        self.time > now + 600
            || now - self.time > HORIZON
            || (self.last_success == 0 && self.attempts >= RETRIES)
            || (now - self.last_success > MIN_FAIL && self.attempts >= MAX_FAILURES)
    }

    /// Relative chance of being picked (Core's `GetChance`): recent tries and
    /// failures make an address less likely.
    pub fn chance(&self, now: i64) -> f64 {
        let recent = if now - self.last_try < 600 { 0.01 } else { 1.0 };
        recent * 0.66f64.powi(self.attempts.clamp(0, 8))
    }
}

/// A table slot, as `getrawaddrman` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Bucket index.
    pub bucket: usize,
    /// Position in the bucket.
    pub position: usize,
}

type Id = u64;

/// The address tables.
#[derive(Debug, Clone)]
pub struct AddrMan {
    key: [u8; 32],
    rng: StdRng,
    info: BTreeMap<Id, AddrInfo>,
    ids: HashMap<Service, Id>,
    new: Vec<Option<Id>>,
    tried: Vec<Option<Id>>,
    n_new: usize,
    n_tried: usize,
    next_id: Id,
    collisions: BTreeSet<Id>,
    last_good: i64,
}

impl Default for AddrMan {
    fn default() -> Self {
        Self::new(false)
    }
}

/// Core's serialization of a byte vector: compact-size length, then bytes.
fn push_vec(out: &mut Vec<u8>, v: &[u8]) {
    // Groups and keys are far shorter than 253 bytes, so the length is one byte.
    out.push(v.len() as u8);
    out.extend_from_slice(v);
}

impl AddrMan {
    /// Empty tables; `deterministic` (Core's `-test=addrman`) uses the fixed
    /// key 1 and a fixed random seed so bucket positions are reproducible.
    pub fn new(deterministic: bool) -> AddrMan {
        let mut key = [0u8; 32];
        if deterministic {
            key[0] = 1;
        } else {
            rand::thread_rng().fill(&mut key);
        }
        AddrMan::with_key(key, deterministic)
    }

    /// Empty tables with bucket key `key`.
    pub fn with_key(key: [u8; 32], deterministic: bool) -> AddrMan {
        AddrMan {
            key,
            rng: if deterministic {
                StdRng::seed_from_u64(0)
            } else {
                StdRng::from_entropy()
            },
            info: BTreeMap::new(),
            ids: HashMap::new(),
            new: vec![None; NEW_BUCKET_COUNT * BUCKET_SIZE],
            tried: vec![None; TRIED_BUCKET_COUNT * BUCKET_SIZE],
            n_new: 0,
            n_tried: 0,
            next_id: 0,
            collisions: BTreeSet::new(),
            last_good: 1,
        }
    }

    /// The bucket key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// Core's `GetCheapHash` of the key followed by `data`.
    fn cheap_hash(&self, data: &[u8]) -> u64 {
        let mut buf = self.key.to_vec();
        buf.extend_from_slice(data);
        let h = sha256d::Hash::hash(&buf).to_byte_array();
        u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
    }

    fn tried_bucket(&self, addr: &Service) -> usize {
        let mut d = Vec::new();
        push_vec(&mut d, &addr.key());
        let spread = self.cheap_hash(&d) % TRIED_BUCKETS_PER_GROUP;
        let mut d = Vec::new();
        push_vec(&mut d, &addr.addr.group());
        d.extend_from_slice(&spread.to_le_bytes());
        (self.cheap_hash(&d) % TRIED_BUCKET_COUNT as u64) as usize
    }

    fn new_bucket(&self, addr: &Service, source: &NetAddr) -> usize {
        let src = source.group();
        let mut d = Vec::new();
        push_vec(&mut d, &addr.addr.group());
        push_vec(&mut d, &src);
        let spread = self.cheap_hash(&d) % NEW_BUCKETS_PER_SOURCE_GROUP;
        let mut d = Vec::new();
        push_vec(&mut d, &src);
        d.extend_from_slice(&spread.to_le_bytes());
        (self.cheap_hash(&d) % NEW_BUCKET_COUNT as u64) as usize
    }

    fn position(&self, addr: &Service, new: bool, bucket: usize) -> usize {
        let mut d = vec![if new { b'N' } else { b'K' }];
        d.extend_from_slice(&(bucket as i32).to_le_bytes());
        push_vec(&mut d, &addr.key());
        (self.cheap_hash(&d) % BUCKET_SIZE as u64) as usize
    }

    fn new_slot(&self, addr: &Service, source: &NetAddr) -> usize {
        let bucket = self.new_bucket(addr, source);
        bucket * BUCKET_SIZE + self.position(addr, true, bucket)
    }

    fn tried_slot(&self, addr: &Service) -> usize {
        let bucket = self.tried_bucket(addr);
        bucket * BUCKET_SIZE + self.position(addr, false, bucket)
    }

    /// Number of known addresses.
    pub fn size(&self) -> usize {
        self.info.len()
    }

    /// Addresses in the (new, tried) table, of one network or all.
    pub fn counts(&self, network: Option<Network>) -> (usize, usize) {
        match network {
            None => (self.n_new, self.n_tried),
            Some(net) => self
                .info
                .values()
                .filter(|i| i.addr.addr.network() == net)
                .fold(
                    (0, 0),
                    |(n, t), i| if i.tried { (n, t + 1) } else { (n + 1, t) },
                ),
        }
    }

    /// What we know about `addr`.
    pub fn find(&self, addr: &Service) -> Option<&AddrInfo> {
        self.ids.get(addr).and_then(|id| self.info.get(id))
    }

    fn create(&mut self, info: AddrInfo) -> Id {
        let id = self.next_id;
        self.next_id += 1;
        self.ids.insert(info.addr, id);
        self.info.insert(id, info);
        self.n_new += 1;
        id
    }

    fn delete(&mut self, id: Id) {
        if let Some(info) = self.info.remove(&id) {
            self.ids.remove(&info.addr);
            self.n_new = self.n_new.saturating_sub(1);
        }
    }

    /// Empties a new-table slot, forgetting its entry when no slot holds it.
    fn clear_new(&mut self, slot: usize) {
        let Some(id) = self.new[slot].take() else {
            return;
        };
        let gone = match self.info.get_mut(&id) {
            Some(info) => {
                info.ref_count = info.ref_count.saturating_sub(1);
                tracing::debug!(target: "addrman", "Removed {} from new[{}][{}]", info.addr, slot / BUCKET_SIZE, slot % BUCKET_SIZE);
                info.ref_count == 0
            }
            None => false,
        };
        if gone {
            self.delete(id);
        }
    }

    /// Adds addresses heard from `source`, aging their announced time by
    /// `penalty` seconds; returns how many were added to a new slot.
    pub fn add(
        &mut self,
        addrs: &[(Service, u64, i64)],
        source: &NetAddr,
        penalty: i64,
        now: i64,
    ) -> usize {
        let added = addrs
            .iter()
            .filter(|(addr, services, time)| {
                self.add_one(*addr, *services, *time, source, penalty, now)
            })
            .count();
        if added > 0 {
            tracing::debug!(target: "addrman", "Added {added} addresses (of {}) from {source}: {} tried, {} new", addrs.len(), self.n_tried, self.n_new);
        }
        added
    }

    fn add_one(
        &mut self,
        addr: Service,
        services: u64,
        time: i64,
        source: &NetAddr,
        penalty: i64,
        now: i64,
    ) -> bool {
        if !addr.addr.is_routable() {
            return false;
        }
        // A peer announcing itself is not penalized.
        let penalty = if addr.addr == *source { 0 } else { penalty };
        let id = match self.ids.get(&addr).copied() {
            Some(id) => {
                let Some(info) = self.info.get_mut(&id) else {
                    return false;
                };
                let online = now - time < 86_400;
                let interval = if online { 3600 } else { 86_400 };
                if info.time < time - interval - penalty {
                    info.time = (time - penalty).max(0);
                }
                info.services |= services;
                if time <= info.time || info.tried || info.ref_count >= NEW_BUCKETS_PER_ADDRESS {
                    return false;
                }
                // Each extra reference is twice as hard to get as the last.
                if info.ref_count > 0 && self.rng.gen_range(0..(1u64 << info.ref_count)) != 0 {
                    return false;
                }
                id
            }
            None => self.create(AddrInfo::new(
                addr,
                services,
                (time - penalty).max(0),
                *source,
            )),
        };
        let slot = self.new_slot(&addr, source);
        if self.new[slot] == Some(id) {
            return false;
        }
        let mut insert = self.new[slot].is_none();
        if let Some(existing) = self.new[slot].and_then(|e| self.info.get(&e)) {
            let ours = self.info.get(&id).map_or(0, |i| i.ref_count);
            insert = existing.is_terrible(now) || (existing.ref_count > 1 && ours == 0);
        }
        if insert {
            self.clear_new(slot);
            if let Some(info) = self.info.get_mut(&id) {
                info.ref_count += 1;
            }
            self.new[slot] = Some(id);
            tracing::debug!(target: "addrman", "Added {addr} to new[{}][{}]", slot / BUCKET_SIZE, slot % BUCKET_SIZE);
        } else if self.info.get(&id).is_some_and(|i| i.ref_count == 0) {
            self.delete(id);
        }
        insert
    }

    /// Records a successful connection (Core's `Good`): the address moves
    /// to the tried table. When its tried slot is taken and
    /// `test_before_evict`, it stays in new and the collision waits for
    /// [`AddrMan::resolve_collisions`]. True if it moved.
    pub fn good(&mut self, addr: &Service, test_before_evict: bool, now: i64) -> bool {
        self.last_good = now;
        let Some(&id) = self.ids.get(addr) else {
            return false;
        };
        let Some(info) = self.info.get_mut(&id) else {
            return false;
        };
        info.last_success = now;
        info.last_try = now;
        info.attempts = 0;
        if info.tried || info.ref_count == 0 {
            return false;
        }
        let slot = self.tried_slot(addr);
        if let (true, Some(other)) = (test_before_evict, self.tried[slot]) {
            if self.collisions.len() < SET_TRIED_COLLISION_SIZE {
                self.collisions.insert(id);
            }
            let with = self
                .info
                .get(&other)
                .map(|i| i.addr.to_string())
                .unwrap_or_default();
            tracing::debug!(target: "addrman", "Collision with {with} while attempting to move {addr} to tried table. Collisions={}", self.collisions.len());
            return false;
        }
        self.make_tried(id);
        tracing::debug!(target: "addrman", "Moved {addr} to tried[{}][{}]", slot / BUCKET_SIZE, slot % BUCKET_SIZE);
        true
    }

    fn make_tried(&mut self, id: Id) {
        let Some(info) = self.info.get(&id).cloned() else {
            return;
        };
        // Drop every new-table reference (at most 8, anywhere in the table).
        let start = self.new_bucket(&info.addr, &info.source);
        let mut refs = info.ref_count;
        for n in 0..NEW_BUCKET_COUNT {
            if refs == 0 {
                break;
            }
            let bucket = (start + n) % NEW_BUCKET_COUNT;
            let slot = bucket * BUCKET_SIZE + self.position(&info.addr, true, bucket);
            if self.new[slot] == Some(id) {
                self.new[slot] = None;
                refs -= 1;
            }
        }
        self.n_new = self.n_new.saturating_sub(1);
        let slot = self.tried_slot(&info.addr);
        if let Some(old_id) = self.tried[slot].take() {
            // The displaced entry goes back to new, where its source puts it.
            self.n_tried = self.n_tried.saturating_sub(1);
            if let Some(old) = self.info.get(&old_id).cloned() {
                let nslot = self.new_slot(&old.addr, &old.source);
                self.clear_new(nslot);
                if let Some(o) = self.info.get_mut(&old_id) {
                    o.tried = false;
                    o.ref_count = 1;
                }
                self.new[nslot] = Some(old_id);
                self.n_new += 1;
                tracing::debug!(target: "addrman", "Moved {} from tried[{}][{}] to new[{}][{}] to make space", old.addr, slot / BUCKET_SIZE, slot % BUCKET_SIZE, nslot / BUCKET_SIZE, nslot % BUCKET_SIZE);
            }
        }
        self.tried[slot] = Some(id);
        self.n_tried += 1;
        if let Some(i) = self.info.get_mut(&id) {
            i.ref_count = 0;
            i.tried = true;
        }
    }

    /// Records a connection attempt (Core's `Attempt`); a failure counts at
    /// most once per successful connection anywhere, so an outage of ours
    /// does not mark every address as failing.
    pub fn attempt(&mut self, addr: &Service, count_failure: bool, now: i64) {
        let last_good = self.last_good;
        let Some(info) = self.ids.get(addr).and_then(|id| self.info.get_mut(id)) else {
            return;
        };
        info.last_try = now;
        if count_failure && info.last_count_attempt < last_good {
            info.last_count_attempt = now;
            info.attempts += 1;
        }
    }

    /// Records that a connection to `addr` ended (Core's `Connected`):
    /// refreshes its time at most every 20 minutes, so the time does not
    /// reveal current connections.
    pub fn connected(&mut self, addr: &Service, now: i64) {
        if let Some(info) = self.ids.get(addr).and_then(|id| self.info.get_mut(id)) {
            if now - info.time > 20 * 60 {
                info.time = now;
            }
        }
    }

    /// Replaces the service bits of `addr` (as seen in its `version`).
    pub fn set_services(&mut self, addr: &Service, services: u64) {
        if let Some(info) = self.ids.get(addr).and_then(|id| self.info.get_mut(id)) {
            info.services = services;
        }
    }

    /// A random address to connect to (Core's `Select`): from either table
    /// with equal chance (only new when `new_only`), of `networks` when not
    /// empty, biased by [`AddrInfo::chance`].
    pub fn select(&mut self, new_only: bool, networks: &[Network], now: i64) -> Option<AddrInfo> {
        let (new_count, tried_count) = if networks.is_empty() {
            (self.n_new, self.n_tried)
        } else {
            networks.iter().fold((0, 0), |(n, t), net| {
                let (a, b) = self.counts(Some(*net));
                (n + a, t + b)
            })
        };
        if new_count + tried_count == 0 || (new_only && new_count == 0) {
            return None;
        }
        let search_tried = if new_only || tried_count == 0 {
            false
        } else if new_count == 0 {
            true
        } else {
            self.rng.gen_bool(0.5)
        };
        let buckets = if search_tried {
            TRIED_BUCKET_COUNT
        } else {
            NEW_BUCKET_COUNT
        };
        let mut factor = 1.0f64;
        loop {
            let bucket = self.rng.gen_range(0..buckets);
            let start = self.rng.gen_range(0..BUCKET_SIZE);
            let table = if search_tried { &self.tried } else { &self.new };
            let found = (0..BUCKET_SIZE).find_map(|i| {
                let id = table[bucket * BUCKET_SIZE + (start + i) % BUCKET_SIZE]?;
                let info = self.info.get(&id)?;
                (networks.is_empty() || networks.contains(&info.addr.addr.network()))
                    .then_some(info)
            });
            let Some(info) = found else {
                continue;
            };
            let draw = f64::from(self.rng.gen_range(0u32..1 << 30));
            if draw < factor * info.chance(now) * f64::from(1u32 << 30) {
                tracing::debug!(target: "addrman", "Selected {} from {}", info.addr, if search_tried { "tried" } else { "new" });
                return Some(info.clone());
            }
            factor *= 1.2;
        }
    }

    /// Random addresses for `getaddr` and `getnodeaddresses` (Core's
    /// `GetAddr`): at most `max_pct` percent of all (when not 0) and at most
    /// `max` (when not 0), of `network` when given, without terrible ones
    /// when `filtered`.
    pub fn get_addr(
        &mut self,
        max: usize,
        max_pct: usize,
        network: Option<Network>,
        filtered: bool,
        now: i64,
    ) -> Vec<AddrInfo> {
        use rand::seq::SliceRandom;
        let mut wanted = self.info.len();
        if max_pct != 0 {
            wanted = max_pct * wanted / 100;
        }
        if max != 0 {
            wanted = wanted.min(max);
        }
        let mut all: Vec<&AddrInfo> = self.info.values().collect();
        all.shuffle(&mut self.rng);
        let out: Vec<AddrInfo> = all
            .into_iter()
            .filter(|i| network.is_none_or(|n| i.addr.addr.network() == n))
            .filter(|i| !(filtered && i.is_terrible(now)))
            .take(wanted)
            .cloned()
            .collect();
        tracing::debug!(target: "addrman", "GetAddr returned {} random addresses", out.len());
        out
    }

    /// Every entry of the new (`tried` false) or tried table with its slot,
    /// as `getrawaddrman` lists them.
    pub fn entries(&self, tried: bool) -> Vec<(Slot, &AddrInfo)> {
        let table = if tried { &self.tried } else { &self.new };
        table
            .iter()
            .enumerate()
            .filter_map(|(slot, id)| {
                let info = self.info.get(&(*id)?)?;
                Some((
                    Slot {
                        bucket: slot / BUCKET_SIZE,
                        position: slot % BUCKET_SIZE,
                    },
                    info,
                ))
            })
            .collect()
    }

    /// Settles pending tried-table collisions (Core's `ResolveCollisions`):
    /// the old entry stays if it answered within 4 hours; it is replaced if
    /// our last try of it failed (and is over a minute old), or if the
    /// collision has waited longer than the test window.
    pub fn resolve_collisions(&mut self, now: i64) {
        for id in self.collisions.clone() {
            let Some(new) = self.info.get(&id).cloned() else {
                self.collisions.remove(&id);
                continue;
            };
            let slot = self.tried_slot(&new.addr);
            let settle = match self.tried[slot].and_then(|o| self.info.get(&o)) {
                None => true,
                Some(old) if now - old.last_success < REPLACEMENT => {
                    self.collisions.remove(&id);
                    continue;
                }
                Some(old) if now - old.last_try < REPLACEMENT => {
                    let replace = now - old.last_try > 60;
                    if replace {
                        tracing::debug!(target: "addrman", "Replacing {} with {} in tried table", old.addr, new.addr);
                    }
                    replace
                }
                Some(old) => {
                    let expired = now - new.last_success > TEST_WINDOW;
                    if expired {
                        tracing::debug!(target: "addrman", "Unable to test; replacing {} with {} in tried table anyway", old.addr, new.addr);
                    }
                    expired
                }
            };
            if settle {
                self.good(&new.addr, false, now);
                self.collisions.remove(&id);
            }
        }
    }

    /// The tried entry a pending collision would evict, for a feeler to test
    /// (Core's `SelectTriedCollision`).
    pub fn select_tried_collision(&mut self) -> Option<AddrInfo> {
        if self.collisions.is_empty() {
            return None;
        }
        let pick = self.rng.gen_range(0..self.collisions.len());
        let id = *self.collisions.iter().nth(pick)?;
        let Some(new) = self.info.get(&id) else {
            self.collisions.remove(&id);
            return None;
        };
        let slot = self.tried_slot(&new.addr);
        self.tried[slot].and_then(|o| self.info.get(&o)).cloned()
    }

    /// Core's consistency check (`CheckAddrman`): 0 when the tables agree,
    /// else Core's failure code.
    pub fn check(&self) -> i32 {
        if self.info.len() != self.n_new + self.n_tried {
            return -7;
        }
        let tried = self.info.values().filter(|i| i.tried).count();
        if tried != self.n_tried {
            return -9;
        }
        if self.info.values().any(|i| !i.tried && i.ref_count == 0) {
            return -10;
        }
        if self.key == [0; 32] {
            return -16;
        }
        0
    }
}

#[cfg(test)]
mod tests;
