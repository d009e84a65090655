//! The address manager (Core's `AddrMan`, simplified): addresses of peers we
//! may connect to, kept in a bounded "new" table (heard about) and a bounded
//! "tried" table (we connected to them), both bucketed by a keyed hash of the
//! address's network group so that one source or one /16 cannot fill them.
//! Persisted as `peers.dat` in the format described in `doc/p2p.md`.

use bitcoin::hashes::{sha256d, siphash24, Hash};
use rand::Rng;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// Buckets of the new table (Core: 1024 × 64).
const NEW_BUCKETS: usize = 1024;
/// Buckets of the tried table (Core: 256 × 64).
const TRIED_BUCKETS: usize = 256;
/// Entries per bucket.
const BUCKET_SIZE: usize = 64;
/// First bytes of our `peers.dat`; anything else is a foreign format.
const FILE_MAGIC: &[u8; 4] = b"RADM";
/// Version of our `peers.dat` layout.
const FILE_VERSION: u8 = 1;
/// Bytes of one serialized entry.
const ENTRY_LEN: usize = 16 + 2 + 8 + 8 + 8 + 8 + 4 + 1 + 16;

/// What we know about one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    /// Service bits the address was announced with.
    pub services: u64,
    /// When the address was last seen alive, as announced (seconds).
    pub time: i64,
    /// Our last connection attempt (seconds, 0 = never).
    pub last_try: i64,
    /// Our last successful connection (seconds, 0 = never).
    pub last_success: i64,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// In the tried table.
    pub tried: bool,
    /// Who told us about it (decides the new bucket).
    pub source: IpAddr,
}

/// Why a `peers.dat` could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not our format (e.g. Core's own file): move it aside and start empty.
    Incompatible,
    /// Our format, but damaged: an init error, as Core.
    Corrupt(String),
}

/// The address tables.
#[derive(Debug, Clone)]
pub struct AddrMan {
    key: (u64, u64),
    info: HashMap<SocketAddr, AddrInfo>,
    new: Vec<Vec<SocketAddr>>,
    tried: Vec<Vec<SocketAddr>>,
}

impl Default for AddrMan {
    fn default() -> Self {
        Self::with_key(rand::random(), rand::random())
    }
}

/// An IP as Core's 16-byte form (IPv4 mapped into IPv6).
fn ip_bytes(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn ip_from_bytes(b: [u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(b);
    v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
}

/// The network group: /16 for IPv4, /32 for IPv6 (Core's default grouping).
fn group(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => vec![1, v4.octets()[0], v4.octets()[1]],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            vec![2, o[0], o[1], o[2], o[3]]
        }
    }
}

/// Whether an address can be a peer on the public network, as Core's
/// `IsRoutable` (loopback, private, link-local and reserved ranges are not).
pub fn is_routable(addr: &SocketAddr) -> bool {
    if addr.port() == 0 {
        return false;
    }
    match ip_from_bytes(ip_bytes(addr.ip())) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

impl AddrMan {
    /// Empty tables whose bucket positions derive from `k0`, `k1`.
    pub fn with_key(k0: u64, k1: u64) -> Self {
        AddrMan {
            key: (k0, k1),
            info: HashMap::new(),
            new: vec![Vec::new(); NEW_BUCKETS],
            tried: vec![Vec::new(); TRIED_BUCKETS],
        }
    }

    fn hash(&self, parts: &[&[u8]]) -> u64 {
        let data: Vec<u8> = parts.concat();
        siphash24::Hash::hash_to_u64_with_keys(self.key.0, self.key.1, &data)
    }

    fn new_bucket(&self, addr: &SocketAddr, source: IpAddr) -> usize {
        // An address group reaches a few buckets per source group, so one
        // source cannot spread its addresses over the whole table.
        let src = group(source);
        let spread = self.hash(&[&group(addr.ip()), &src]) % 64;
        (self.hash(&[&src, &spread.to_le_bytes()]) % NEW_BUCKETS as u64) as usize
    }

    fn tried_bucket(&self, addr: &SocketAddr) -> usize {
        let spread = self.hash(&[&ip_bytes(addr.ip()), &addr.port().to_le_bytes()]) % 8;
        (self.hash(&[&group(addr.ip()), &spread.to_le_bytes()]) % TRIED_BUCKETS as u64) as usize
    }

    /// Number of known addresses.
    pub fn size(&self) -> usize {
        self.info.len()
    }

    /// Number of addresses in the new and the tried table.
    pub fn counts(&self) -> (usize, usize) {
        let tried = self.info.values().filter(|i| i.tried).count();
        (self.info.len() - tried, tried)
    }

    /// What we know about `addr`.
    pub fn get(&self, addr: &SocketAddr) -> Option<&AddrInfo> {
        self.info.get(addr)
    }

    /// Learns `addr` (from `source`); `true` if it is new to us. Unroutable
    /// addresses are refused. A known address only gets fresher data.
    pub fn add(&mut self, addr: SocketAddr, services: u64, time: i64, source: IpAddr) -> bool {
        if !is_routable(&addr) {
            return false;
        }
        if let Some(known) = self.info.get_mut(&addr) {
            known.services |= services;
            known.time = known.time.max(time);
            return false;
        }
        let bucket = self.new_bucket(&addr, source);
        if self.new[bucket].len() >= BUCKET_SIZE {
            // Make room by dropping the entry heard of longest ago.
            if let Some(pos) = self.new[bucket]
                .iter()
                .enumerate()
                .min_by_key(|(_, a)| self.info.get(a).map_or(i64::MIN, |i| i.time))
                .map(|(p, _)| p)
            {
                let old = self.new[bucket].swap_remove(pos);
                self.info.remove(&old);
            }
        }
        self.new[bucket].push(addr);
        self.info.insert(
            addr,
            AddrInfo {
                services,
                time,
                last_try: 0,
                last_success: 0,
                attempts: 0,
                tried: false,
                source,
            },
        );
        true
    }

    /// Records a connection attempt to `addr` at `now`.
    pub fn attempt(&mut self, addr: &SocketAddr, now: i64) {
        if let Some(i) = self.info.get_mut(addr) {
            i.last_try = now;
            i.attempts = i.attempts.saturating_add(1);
        }
    }

    /// Records a successful connection: the address moves to the tried table;
    /// a tried entry it displaces goes back to the new table.
    pub fn good(&mut self, addr: &SocketAddr, now: i64) {
        let Some(info) = self.info.get_mut(addr) else {
            return;
        };
        info.last_success = now;
        info.last_try = now;
        info.time = now;
        info.attempts = 0;
        if info.tried {
            return;
        }
        let source = info.source;
        let from = self.new_bucket(addr, source);
        self.new[from].retain(|a| a != addr);
        let bucket = self.tried_bucket(addr);
        if self.tried[bucket].len() >= BUCKET_SIZE {
            let evicted = self.tried[bucket].swap_remove(0);
            let nb = self
                .info
                .get(&evicted)
                .map(|i| self.new_bucket(&evicted, i.source));
            match nb {
                Some(nb) if self.new[nb].len() < BUCKET_SIZE => {
                    self.new[nb].push(evicted);
                    if let Some(i) = self.info.get_mut(&evicted) {
                        i.tried = false;
                    }
                }
                _ => {
                    self.info.remove(&evicted);
                }
            }
        }
        self.tried[bucket].push(*addr);
        if let Some(i) = self.info.get_mut(addr) {
            i.tried = true;
        }
    }

    /// A random address to try: from either table with equal chance (only the
    /// new table when `new_only`), `None` when there is none.
    pub fn select(&self, new_only: bool) -> Option<(SocketAddr, AddrInfo)> {
        let (new_count, tried_count) = self.counts();
        let mut rng = rand::thread_rng();
        let use_tried = !new_only && tried_count > 0 && (new_count == 0 || rng.gen_bool(0.5));
        if !use_tried && new_count == 0 {
            return None;
        }
        let table = if use_tried { &self.tried } else { &self.new };
        let filled: Vec<&Vec<SocketAddr>> = table.iter().filter(|b| !b.is_empty()).collect();
        let bucket = filled.get(rng.gen_range(0..filled.len().max(1)))?;
        let addr = bucket[rng.gen_range(0..bucket.len())];
        self.info.get(&addr).map(|i| (addr, i.clone()))
    }

    /// Up to `max` addresses (all when 0) in random order, as `getaddr`
    /// replies and `getnodeaddresses` need.
    pub fn addresses(&self, max: usize) -> Vec<(SocketAddr, AddrInfo)> {
        use rand::seq::SliceRandom;
        let mut all: Vec<(SocketAddr, AddrInfo)> =
            self.info.iter().map(|(a, i)| (*a, i.clone())).collect();
        all.shuffle(&mut rand::thread_rng());
        if max > 0 {
            all.truncate(max);
        }
        all
    }

    /// The `peers.dat` bytes for a chain with network magic `magic`.
    pub fn serialize(&self, magic: [u8; 4]) -> Vec<u8> {
        let mut out = Vec::with_capacity(33 + self.info.len() * ENTRY_LEN + 32);
        out.extend_from_slice(FILE_MAGIC);
        out.push(FILE_VERSION);
        out.extend_from_slice(&magic);
        out.extend_from_slice(&self.key.0.to_le_bytes());
        out.extend_from_slice(&self.key.1.to_le_bytes());
        out.extend_from_slice(&(self.info.len() as u32).to_le_bytes());
        for (addr, i) in &self.info {
            out.extend_from_slice(&ip_bytes(addr.ip()));
            out.extend_from_slice(&addr.port().to_be_bytes());
            out.extend_from_slice(&i.services.to_le_bytes());
            out.extend_from_slice(&i.time.to_le_bytes());
            out.extend_from_slice(&i.last_try.to_le_bytes());
            out.extend_from_slice(&i.last_success.to_le_bytes());
            out.extend_from_slice(&i.attempts.to_le_bytes());
            out.push(u8::from(i.tried));
            out.extend_from_slice(&ip_bytes(i.source));
        }
        let sum = sha256d::Hash::hash(&out);
        out.extend_from_slice(sum.as_byte_array());
        out
    }

    /// Reads `peers.dat` bytes written by [`AddrMan::serialize`].
    pub fn deserialize(bytes: &[u8], magic: [u8; 4]) -> Result<AddrMan, LoadError> {
        if bytes.len() < 5 || &bytes[..4] != FILE_MAGIC || bytes[4] != FILE_VERSION {
            return Err(LoadError::Incompatible);
        }
        let corrupt = |what: &str| LoadError::Corrupt(what.to_string());
        if bytes.len() < 29 + 32 {
            return Err(corrupt("end of data"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 32);
        if sha256d::Hash::hash(body).as_byte_array()[..] != sum[..] {
            return Err(corrupt("Checksum mismatch, data corrupted"));
        }
        if body[5..9] != magic {
            return Err(corrupt("Invalid network magic number"));
        }
        let u64_at = |p: usize| u64::from_le_bytes(body[p..p + 8].try_into().unwrap_or([0; 8]));
        let count = u32::from_le_bytes(body[25..29].try_into().unwrap_or([0; 4])) as usize;
        let entries = &body[29..];
        if entries.len() != count.saturating_mul(ENTRY_LEN) {
            return Err(corrupt("end of data"));
        }
        let mut man = AddrMan::with_key(u64_at(9), u64_at(17));
        let mut tried = Vec::new();
        for e in entries.chunks_exact(ENTRY_LEN) {
            let field = |p: usize, n: usize| &e[p..p + n];
            let i64_at = |p: usize| i64::from_le_bytes(field(p, 8).try_into().unwrap_or([0; 8]));
            let ip = ip_from_bytes(field(0, 16).try_into().unwrap_or([0; 16]));
            let port = u16::from_be_bytes([e[16], e[17]]);
            let addr = SocketAddr::new(ip, port);
            let services = u64::from_le_bytes(field(18, 8).try_into().unwrap_or([0; 8]));
            let source = ip_from_bytes(field(55, 16).try_into().unwrap_or([0; 16]));
            if man.add(addr, services, i64_at(26), source) {
                if let Some(i) = man.info.get_mut(&addr) {
                    i.last_try = i64_at(34);
                    i.last_success = i64_at(42);
                    i.attempts = u32::from_le_bytes(field(50, 4).try_into().unwrap_or([0; 4]));
                }
                if e[54] != 0 {
                    tried.push(addr);
                }
            }
        }
        for addr in tried {
            let keep = man.info.get(&addr).map(|i| (i.last_success, i.time));
            man.good(&addr, 0);
            if let (Some((success, time)), Some(i)) = (keep, man.info.get_mut(&addr)) {
                i.last_success = success;
                i.last_try = success;
                i.time = time;
            }
        }
        Ok(man)
    }
}

/// Loads `<path>` (`peers.dat`) as Core does at start-up: a missing file gives
/// empty tables, a foreign one is renamed to `peers.dat.bak`, a damaged one is
/// an init error.
pub fn load(path: &Path, magic: [u8; 4]) -> Result<AddrMan, String> {
    let started = std::time::Instant::now();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::info!(
                "Creating peers.dat because the file was not found (\"{}\")",
                path.display()
            );
            let man = AddrMan::default();
            if let Err(e) = dump(path, &man, magic) {
                tracing::warn!("Failed to write peers.dat: {e}");
            }
            return Ok(man);
        }
        Err(e) => return Err(corrupt_message(path, &e.to_string())),
    };
    match AddrMan::deserialize(&bytes, magic) {
        Ok(man) => {
            tracing::info!(
                "Loaded {} addresses from peers.dat {}ms",
                man.size(),
                started.elapsed().as_millis()
            );
            Ok(man)
        }
        Err(LoadError::Incompatible) => {
            let backup = path.with_extension("dat.bak");
            std::fs::rename(path, &backup).map_err(|_| {
                "Failed to rename invalid peers.dat file. Please move or delete it and try again."
                    .to_string()
            })?;
            tracing::warn!(
                "Creating new peers.dat because the file version was not compatible (\"{}\"). Original backed up to peers.dat.bak",
                path.display()
            );
            let man = AddrMan::default();
            if let Err(e) = dump(path, &man, magic) {
                tracing::warn!("Failed to write peers.dat: {e}");
            }
            Ok(man)
        }
        Err(LoadError::Corrupt(why)) => Err(corrupt_message(path, &why)),
    }
}

fn corrupt_message(path: &Path, why: &str) -> String {
    format!(
        "Invalid or corrupt peers.dat ({why}). If you believe this is a bug, please report it to https://github.com/bitcoin/bitcoin/issues. As a workaround, you can move the file (\"{}\") out of the way (rename, move, or delete) to have a new one created on the next start.",
        path.display()
    )
}

/// Writes the tables to `<path>` through a temporary file, so a crash never
/// leaves a half-written `peers.dat`.
pub fn dump(path: &Path, man: &AddrMan, magic: [u8; 4]) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let tmp = path.with_extension(format!("dat.{:04x}", rand::random::<u16>()));
    std::fs::write(&tmp, man.serialize(magic))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    tracing::debug!(target: "net", "Flushed {} addresses to peers.dat  {}ms", man.size(), started.elapsed().as_millis());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn adds_routable_addresses_once_and_moves_good_ones_to_tried() {
        let mut m = AddrMan::with_key(1, 2);
        let src = "5.5.5.5".parse().unwrap();
        assert!(m.add(sa("1.2.3.4:8333"), 9, 100, src));
        assert!(!m.add(sa("1.2.3.4:8333"), 1, 200, src));
        assert!(!m.add(sa("127.0.0.1:8333"), 1, 0, src));
        assert!(!m.add(sa("192.168.1.1:8333"), 1, 0, src));
        assert_eq!(m.get(&sa("1.2.3.4:8333")).unwrap().time, 200);
        assert_eq!(m.counts(), (1, 0));
        m.good(&sa("1.2.3.4:8333"), 300);
        assert_eq!(m.counts(), (0, 1));
        assert_eq!(m.select(false).unwrap().0, sa("1.2.3.4:8333"));
        assert!(m.select(true).is_none());
    }

    #[test]
    fn one_source_group_cannot_fill_the_new_table() {
        let mut m = AddrMan::with_key(3, 4);
        let src = "9.9.9.9".parse().unwrap();
        for i in 0..20_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0b00_0000 + i * 7);
            m.add(SocketAddr::new(IpAddr::V4(ip), 8333), 1, i as i64, src);
        }
        assert!(m.size() <= 64 * 64, "size {}", m.size());
    }

    #[test]
    fn round_trips_and_rejects_damage() {
        let mut m = AddrMan::with_key(5, 6);
        let src = "8.8.8.8".parse().unwrap();
        m.add(sa("1.2.3.4:8333"), 9, 100, src);
        m.add(sa("[2a01::1]:8333"), 1, 50, src);
        m.good(&sa("[2a01::1]:8333"), 70);
        let bytes = m.serialize(MAGIC);
        let back = AddrMan::deserialize(&bytes, MAGIC).unwrap();
        assert_eq!(back.counts(), (1, 1));
        assert_eq!(back.get(&sa("[2a01::1]:8333")).unwrap().last_success, 70);
        let mut bad = bytes.clone();
        bad[40] ^= 1;
        assert!(matches!(
            AddrMan::deserialize(&bad, MAGIC),
            Err(LoadError::Corrupt(_))
        ));
        assert!(matches!(
            AddrMan::deserialize(&bytes[..bytes.len() - 1], MAGIC),
            Err(LoadError::Corrupt(_))
        ));
        assert!(matches!(
            AddrMan::deserialize(&bytes, [0; 4]),
            Err(LoadError::Corrupt(_))
        ));
        assert_eq!(
            AddrMan::deserialize(&MAGIC, MAGIC).unwrap_err(),
            LoadError::Incompatible
        );
    }
}
