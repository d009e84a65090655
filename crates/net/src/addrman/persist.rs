//! `peers.dat` in Core's format: the network magic, the serialized tables
//! (format 4, addresses in BIP155 form) and a double-SHA256 of both. Files
//! of formats 0-4 are read; when the bucket count or asmap differs, new-table
//! entries are re-bucketed by their source, as Core does.

use super::{
    AddrInfo, AddrMan, BUCKET_SIZE, NEW_BUCKETS_PER_ADDRESS, NEW_BUCKET_COUNT, TRIED_BUCKET_COUNT,
};
use crate::netaddr::{NetAddr, Service};
use bitcoin::hashes::{sha256d, Hash};
use std::path::Path;

/// The format we write (Core's `V4_MULTIPORT`).
const FILE_FORMAT: u8 = 4;
/// First format with BIP155 addresses.
const FORMAT_BIP155: u8 = 3;
/// First format with the asmap checksum.
const FORMAT_ASMAP: u8 = 2;
/// Added to the lowest compatible format in the file.
const INCOMPATIBILITY_BASE: u8 = 32;
/// Address records' fixed version (Core's `DISK_VERSION_INIT`).
const DISK_VERSION_INIT: u32 = 220_000;
/// Address records in BIP155 form.
const DISK_VERSION_ADDRV2: u32 = 1 << 29;
/// Low bits of the record version that carry no meaning.
const DISK_VERSION_IGNORE_MASK: u32 = 0x7_ffff;
/// What the bucket count is xored with in the file.
const BUCKET_COUNT_XOR: i32 = 1 << 30;
/// What the project's earlier, own format started with.
const OLD_OWN_MAGIC: &[u8; 4] = b"RADM";

/// Why a `peers.dat` could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    /// A newer, incompatible format: move it aside and start empty.
    Incompatible(String),
    /// Damaged: an init error with Core's reason text.
    Corrupt(String),
}

/// A stream error, worded as Core's `std::ios_base::failure` prints.
fn stream_error(what: &str) -> LoadError {
    LoadError::Corrupt(format!("{what}: iostream error"))
}

fn eof() -> LoadError {
    stream_error("AutoFile::read: end of file")
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        if self.data.len() < n {
            return Err(eof());
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, LoadError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, LoadError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, LoadError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, LoadError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn compact_size(&mut self) -> Result<u64, LoadError> {
        let (v, min) = match self.u8()? {
            0xfd => (u64::from(u16::from_le_bytes(self.array()?)), 0xfd),
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xff => (u64::from_le_bytes(self.array()?), 0x1_0000_0000),
            b => (u64::from(b), 0),
        };
        if v < min {
            return Err(stream_error("non-canonical ReadCompactSize()"));
        }
        Ok(v)
    }
}

fn push_addr_v2(out: &mut Vec<u8>, addr: &NetAddr) {
    let (id, raw) = addr.to_bip155();
    out.push(id);
    consensus::codec::write_compact(out, raw.len() as u64);
    out.extend_from_slice(raw);
}

/// Reads a host address; `None` for one Core would not keep.
fn read_addr(r: &mut Reader, v2: bool) -> Result<Option<NetAddr>, LoadError> {
    if v2 {
        let id = r.u8()?;
        let len = r.compact_size()?;
        if len > 512 {
            return Err(stream_error(&format!("Address too long: {len} > 512")));
        }
        let raw = r.take(len as usize)?;
        NetAddr::from_bip155(id, raw)
            .map_err(|crate::netaddr::Bip155Error::BadLength(e)| stream_error(&e))
    } else {
        let b: [u8; 16] = r.array()?;
        Ok(Some(NetAddr::from_ip(std::net::IpAddr::from(b))))
    }
}

/// One stored entry; `info` is `None` when its address is one we do not keep.
struct Record {
    info: Option<AddrInfo>,
}

fn read_record(r: &mut Reader, format_v2: bool) -> Result<Record, LoadError> {
    let version = r.u32()? & !DISK_VERSION_IGNORE_MASK;
    let v2 = match version {
        0 => false,
        DISK_VERSION_ADDRV2 if format_v2 => true,
        _ => return Err(stream_error("Unsupported CAddress disk format version")),
    };
    let time = i64::from(r.u32()?);
    let services = if v2 {
        r.compact_size()?
    } else {
        u64::from_le_bytes(r.array()?)
    };
    let addr = read_addr(r, v2)?;
    let port = u16::from_be_bytes(r.array()?);
    let source = read_addr(r, v2)?;
    let last_success = r.i64()?;
    let attempts = r.i32()?;
    let info = match (addr, source) {
        (Some(addr), Some(source)) => {
            let mut i = AddrInfo::new(Service { addr, port }, services, time, source);
            i.last_success = last_success;
            i.attempts = attempts;
            Some(i)
        }
        _ => None,
    };
    Ok(Record { info })
}

fn write_record(out: &mut Vec<u8>, i: &AddrInfo) {
    out.extend_from_slice(&(DISK_VERSION_INIT | DISK_VERSION_ADDRV2).to_le_bytes());
    out.extend_from_slice(&(i.time.clamp(0, i64::from(u32::MAX)) as u32).to_le_bytes());
    consensus::codec::write_compact(out, i.services);
    push_addr_v2(out, &i.addr.addr);
    out.extend_from_slice(&i.addr.port.to_be_bytes());
    push_addr_v2(out, &i.source);
    out.extend_from_slice(&i.last_success.to_le_bytes());
    out.extend_from_slice(&i.attempts.to_le_bytes());
}

impl AddrMan {
    /// The `peers.dat` bytes for a chain with network magic `magic`.
    pub fn serialize(&self, magic: [u8; 4]) -> Vec<u8> {
        let mut out = magic.to_vec();
        out.push(FILE_FORMAT);
        out.push(INCOMPATIBILITY_BASE + FILE_FORMAT);
        out.extend_from_slice(&self.key);
        let new: Vec<_> = self.info.iter().filter(|(_, i)| i.ref_count > 0).collect();
        let tried: Vec<_> = self.info.values().filter(|i| i.tried).collect();
        out.extend_from_slice(&(new.len() as i32).to_le_bytes());
        out.extend_from_slice(&(tried.len() as i32).to_le_bytes());
        out.extend_from_slice(&((NEW_BUCKET_COUNT as i32) ^ BUCKET_COUNT_XOR).to_le_bytes());
        let mut index = std::collections::HashMap::new();
        for (n, (id, info)) in new.iter().enumerate() {
            index.insert(**id, n as i32);
            write_record(&mut out, info);
        }
        for info in tried {
            write_record(&mut out, info);
        }
        for bucket in self.new.chunks(BUCKET_SIZE) {
            let ids: Vec<i32> = bucket
                .iter()
                .flatten()
                .filter_map(|id| index.get(id).copied())
                .collect();
            out.extend_from_slice(&(ids.len() as i32).to_le_bytes());
            for i in ids {
                out.extend_from_slice(&i.to_le_bytes());
            }
        }
        // No asmap: its checksum is all zeros.
        out.extend_from_slice(&[0u8; 32]);
        let sum = sha256d::Hash::hash(&out);
        out.extend_from_slice(sum.as_byte_array());
        out
    }

    /// Reads `peers.dat` bytes, checking them in Core's order (magic, body,
    /// checksum) with Core's error texts.
    pub fn deserialize(
        bytes: &[u8],
        magic: [u8; 4],
        deterministic: bool,
    ) -> Result<AddrMan, LoadError> {
        if bytes.starts_with(OLD_OWN_MAGIC) {
            return Err(LoadError::Incompatible(
                "the project's earlier format".into(),
            ));
        }
        let mut r = Reader { data: bytes };
        if r.array::<4>()? != magic {
            return Err(LoadError::Corrupt("Invalid network magic number".into()));
        }
        let man = read_body(&mut r, deterministic)?;
        let body_len = bytes.len() - r.data.len();
        let sum: [u8; 32] = r.array()?;
        if sha256d::Hash::hash(&bytes[..body_len]).to_byte_array() != sum {
            return Err(LoadError::Corrupt(
                "Checksum mismatch, data corrupted".into(),
            ));
        }
        Ok(man)
    }
}

fn read_body(r: &mut Reader, deterministic: bool) -> Result<AddrMan, LoadError> {
    let format = r.u8()?;
    let compat = r.u8()?;
    if compat < INCOMPATIBILITY_BASE {
        return Err(stream_error(&format!(
            "Corrupted addrman database: The compat value ({compat}) is lower than the expected minimum value {INCOMPATIBILITY_BASE}."
        )));
    }
    let lowest = compat - INCOMPATIBILITY_BASE;
    if lowest > FILE_FORMAT {
        return Err(LoadError::Incompatible(format!(
            "Unsupported format of addrman database: {format}. It is compatible with formats >={lowest}, but the maximum supported by this version of Bitcoin Core is {FILE_FORMAT}."
        )));
    }
    let format_v2 = format >= FORMAT_BIP155;
    let key: [u8; 32] = r.array()?;
    let n_new = r.i32()?;
    let n_tried = r.i32()?;
    let mut buckets = r.i32()?;
    if format >= 1 {
        buckets ^= BUCKET_COUNT_XOR;
    }
    let max_new = (NEW_BUCKET_COUNT * BUCKET_SIZE) as i32;
    if !(0..=max_new).contains(&n_new) {
        return Err(stream_error(&format!(
            "Corrupt AddrMan serialization: nNew={n_new}, should be in [0, {max_new}]"
        )));
    }
    let max_tried = (TRIED_BUCKET_COUNT * BUCKET_SIZE) as i32;
    if !(0..=max_tried).contains(&n_tried) {
        return Err(stream_error(&format!(
            "Corrupt AddrMan serialization: nTried={n_tried}, should be in [0, {max_tried}]"
        )));
    }
    let mut man = AddrMan::with_key(key, deterministic);
    // New entries keep their file index as id until placed.
    let mut new_records = Vec::with_capacity(n_new as usize);
    for _ in 0..n_new {
        new_records.push(read_record(r, format_v2)?.info);
    }
    let mut lost_tried = 0;
    let mut tried_records = Vec::new();
    for _ in 0..n_tried {
        tried_records.push(read_record(r, format_v2)?.info);
    }
    let mut placements = Vec::new();
    for bucket in 0..buckets.max(0) {
        let count = r.i32()?;
        for _ in 0..count.max(0) {
            let index = r.i32()?;
            if (0..n_new).contains(&index) {
                placements.push((bucket as usize, index as usize));
            }
        }
    }
    let mut asmap_sum = [0u8; 32];
    if format >= FORMAT_ASMAP {
        asmap_sum = r.array()?;
    }
    let restore = buckets == NEW_BUCKET_COUNT as i32 && asmap_sum == [0u8; 32];
    if !restore {
        tracing::debug!(target: "addrman", "Bucketing method was updated, re-bucketing addrman entries from disk");
    }

    // Ids 0..n_new are the new entries (as in the file); tried ones follow.
    for (n, rec) in new_records.into_iter().enumerate() {
        if let Some(info) = rec {
            if man.ids.contains_key(&info.addr) {
                continue;
            }
            man.ids.insert(info.addr, n as u64);
            man.info.insert(n as u64, info);
        }
    }
    man.next_id = n_new as u64;
    for rec in tried_records {
        let Some(mut info) = rec else {
            lost_tried += 1;
            continue;
        };
        let slot = man.tried_slot(&info.addr);
        if man.tried[slot].is_some() || man.ids.contains_key(&info.addr) {
            lost_tried += 1;
            continue;
        }
        info.tried = true;
        let id = man.next_id;
        man.next_id += 1;
        man.ids.insert(info.addr, id);
        man.info.insert(id, info);
        man.tried[slot] = Some(id);
        man.n_tried += 1;
    }
    for (bucket, index) in placements {
        let id = index as u64;
        let Some(info) = man.info.get(&id) else {
            continue;
        };
        if info.ref_count >= NEW_BUCKETS_PER_ADDRESS || info.tried {
            continue;
        }
        let mut slot = bucket * BUCKET_SIZE + man.position(&info.addr, true, bucket);
        if !restore || man.new[slot].is_some() {
            // The stored bucket cannot be used: fall back to the source's one.
            slot = man.new_slot(&info.addr, &info.source);
            if man.new[slot].is_some() {
                continue;
            }
        }
        man.new[slot] = Some(id);
        if let Some(i) = man.info.get_mut(&id) {
            i.ref_count += 1;
        }
    }
    let orphans: Vec<u64> = man
        .info
        .iter()
        .filter(|(_, i)| !i.tried && i.ref_count == 0)
        .map(|(id, _)| *id)
        .collect();
    for id in &orphans {
        if let Some(info) = man.info.remove(id) {
            man.ids.remove(&info.addr);
        }
    }
    man.n_new = man.info.values().filter(|i| !i.tried).count();
    if !orphans.is_empty() || lost_tried > 0 {
        tracing::debug!(target: "addrman", "addrman lost {} new and {lost_tried} tried addresses due to collisions or invalid addresses", orphans.len());
    }
    let code = man.check();
    if code != 0 {
        return Err(stream_error(&format!(
            "Corrupt data. Consistency check failed with code {code}"
        )));
    }
    Ok(man)
}

/// Loads `<path>` (`peers.dat`) as Core does at start-up: a missing file gives
/// empty tables, an incompatible one is renamed to `peers.dat.bak`, a damaged
/// one is an init error.
pub fn load(path: &Path, magic: [u8; 4], deterministic: bool) -> Result<AddrMan, String> {
    let started = std::time::Instant::now();
    let fresh = |why: &str| {
        let man = AddrMan::new(deterministic);
        tracing::info!("{why}");
        if let Err(e) = dump(path, &man.serialize(magic)) {
            tracing::warn!("Failed to write peers.dat: {e}");
        }
        man
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(fresh(&format!(
                "Creating peers.dat because the file was not found (\"{}\")",
                path.display()
            )));
        }
        Err(e) => return Err(corrupt_message(path, &e.to_string())),
    };
    match AddrMan::deserialize(&bytes, magic, deterministic) {
        Ok(man) => {
            tracing::info!(
                "Loaded {} addresses from peers.dat  {}ms",
                man.size(),
                started.elapsed().as_millis()
            );
            Ok(man)
        }
        Err(LoadError::Incompatible(_)) => {
            let backup = path.with_extension("dat.bak");
            std::fs::rename(path, &backup).map_err(|_| {
                "Failed to rename invalid peers.dat file. Please move or delete it and try again."
                    .to_string()
            })?;
            Ok(fresh(&format!(
                "Creating new peers.dat because the file version was not compatible (\"{}\"). Original backed up to peers.dat.bak",
                path.display()
            )))
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

/// Writes serialized tables to `<path>` through a temporary file, so a crash
/// never leaves a half-written `peers.dat`.
pub fn dump(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("dat.{:04x}", rand::random::<u16>()));
    std::fs::write(&tmp, bytes)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}
