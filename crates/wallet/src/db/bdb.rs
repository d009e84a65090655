//! A read-only reader for the Berkeley DB btree files that legacy wallets
//! (Bitcoin Core up to v28) wrote, the facts taken from Core's
//! `BerkeleyRODatabase` (`src/wallet/migrate.cpp`): one outer btree meta
//! page whose root leaf names the single subdatabase `main`, and that
//! subdatabase's btree of key/value records.
//!
//! Only what Core accepts is accepted: btree version 9, page sizes
//! 512..=65536 (powers of two), no BDB encryption, every log sequence
//! number reset (a cleanly closed file), either byte order. The whole file
//! is read into memory and every offset is checked against it, so a
//! truncated or hostile file gives an error, never a panic or a loop.
//! No maintained Rust crate reads these files without linking libdb, hence
//! this module.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// The btree magic as read in the file's own byte order.
const BTREE_MAGIC: u32 = 0x0005_3162;
/// The only btree format version Core reads (BDB 4.8 and 5.3 both write it).
const BTREE_VERSION: u32 = 9;
/// Page types Core handles.
const PAGE_BTREE_INTERNAL: u8 = 3;
const PAGE_BTREE_LEAF: u8 = 5;
const PAGE_OVERFLOW: u8 = 7;
const PAGE_BTREE_META: u8 = 9;
/// Record types inside btree pages; the high bit marks a deleted record.
const RECORD_KEYDATA: u8 = 1;
const RECORD_OVERFLOW: u8 = 3;
const RECORD_DELETED: u8 = 0x80;
/// The only meta flag Core accepts: the file holds subdatabases.
const FLAG_SUBDB: u32 = 0x20;
/// Size of a data page header.
const PAGE_HEADER_SIZE: usize = 26;
/// Offsets inside a meta page.
const META_ROOT_OFFSET: usize = 88;
/// Largest file this reader loads; legacy wallets are far smaller.
const MAX_FILE_SIZE: u64 = 1 << 32;

/// Why a file could not be read; the text is Core's where Core has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BdbError(pub String);

impl fmt::Display for BdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BdbError {}

fn err<T>(msg: &str) -> Result<T, BdbError> {
    Err(BdbError(msg.to_string()))
}

/// The records of a legacy wallet file: key bytes to value bytes, in
/// byte order (as Core's reader keeps them).
pub type BdbRecords = BTreeMap<Vec<u8>, Vec<u8>>;

/// Reads the wallet records of the BDB file at `path`.
pub fn read_file(path: &Path) -> Result<BdbRecords, BdbError> {
    let meta = std::fs::metadata(path)
        .map_err(|_| BdbError("BerkeleyRODatabase: Failed to open database file".into()))?;
    if meta.len() > MAX_FILE_SIZE {
        return err("Database file is too large");
    }
    let data = std::fs::read(path)
        .map_err(|_| BdbError("BerkeleyRODatabase: Failed to open database file".into()))?;
    parse(&data)
}

/// The file with its byte order and page size.
struct File<'a> {
    data: &'a [u8],
    swap: bool,
    page_size: usize,
}

impl<'a> File<'a> {
    fn bytes(&self, pos: usize, n: usize) -> Result<&'a [u8], BdbError> {
        pos.checked_add(n)
            .and_then(|end| self.data.get(pos..end))
            .ok_or_else(|| BdbError("Unexpected end of database file".into()))
    }

    fn u16(&self, pos: usize) -> Result<u16, BdbError> {
        let b = self.bytes(pos, 2)?;
        let v = u16::from_le_bytes([b[0], b[1]]);
        Ok(if self.swap { v.swap_bytes() } else { v })
    }

    fn u32(&self, pos: usize) -> Result<u32, BdbError> {
        let b = self.bytes(pos, 4)?;
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        Ok(if self.swap { v.swap_bytes() } else { v })
    }

    fn u8(&self, pos: usize) -> Result<u8, BdbError> {
        Ok(self.bytes(pos, 1)?[0])
    }

    /// The start of page `n`, which must lie wholly inside the file.
    fn page(&self, n: u32) -> Result<usize, BdbError> {
        let start = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(self.page_size))
            .ok_or_else(|| BdbError("Page number is out of range".into()))?;
        self.bytes(start, self.page_size)?;
        Ok(start)
    }
}

/// The fields of a btree meta page that matter here.
struct Meta {
    last_page: u32,
    root: u32,
    page_size: u32,
    encrypt_algo: u8,
}

/// Reads and checks a meta page at `pos` (page number `expected`); the
/// checks and their order are Core's `MetaPage`.
fn read_meta(f: &File<'_>, pos: usize, expected: u32) -> Result<Meta, BdbError> {
    let page_num = f.u32(pos + 8)?;
    let magic = f.u32(pos + 12)?;
    if page_num != expected {
        return err("Meta page number mismatch");
    }
    if magic != BTREE_MAGIC {
        return err("Not a BDB file");
    }
    if f.u32(pos + 16)? != BTREE_VERSION {
        return err("Unsupported BDB data file version number");
    }
    let page_size = f.u32(pos + 20)?;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return err("Bad page size");
    }
    if f.u8(pos + 25)? != PAGE_BTREE_META {
        return err("Unexpected page type, should be 9 (BTree Metadata)");
    }
    if f.u32(pos + 48)? != FLAG_SUBDB {
        return err("Unexpected database flags, should only be 0x20 (subdatabases)");
    }
    Ok(Meta {
        last_page: f.u32(pos + 32)?,
        root: f.u32(pos + META_ROOT_OFFSET)?,
        page_size,
        encrypt_algo: f.u8(pos + 24)?,
    })
}

/// A data page header (Core's `PageHeader`).
struct Header {
    next_page: u32,
    entries: u16,
    hf_offset: u16,
    level: u8,
    kind: u8,
}

fn read_header(f: &File<'_>, page: u32) -> Result<(usize, Header), BdbError> {
    let pos = f.page(page)?;
    if f.u32(pos + 8)? != page {
        return err("Page number mismatch");
    }
    let h = Header {
        next_page: f.u32(pos + 16)?,
        entries: f.u16(pos + 20)?,
        hf_offset: f.u16(pos + 22)?,
        level: f.u8(pos + 24)?,
        kind: f.u8(pos + 25)?,
    };
    if (h.kind != PAGE_OVERFLOW && h.level < 1) || (h.kind == PAGE_OVERFLOW && h.level != 0) {
        return err("Bad btree level");
    }
    Ok((pos, h))
}

/// One item of a leaf page: inline bytes or a pointer to overflow pages.
enum Item<'a> {
    Data { bytes: &'a [u8], deleted: bool },
    Overflow { page: u32, len: u32, deleted: bool },
}

/// The record at index slot `i` of the page at `pos`: its offset, after
/// checking that its 3-byte header lies inside the page past the slots.
fn record_at(f: &File<'_>, pos: usize, i: usize, what: &str) -> Result<usize, BdbError> {
    let slot = PAGE_HEADER_SIZE + 2 * i;
    let offset = usize::from(f.u16(pos + slot)?);
    if offset < slot + 2 {
        return err(&format!("{what} record position not in page"));
    }
    if offset + 3 > f.page_size {
        return err(&format!("{what} record extends past its page"));
    }
    Ok(pos + offset)
}

/// Checks that `n` bytes at `at` stay inside the page starting at `pos`.
fn in_page(f: &File<'_>, pos: usize, at: usize, n: usize) -> Result<(), BdbError> {
    if at + n > pos + f.page_size {
        return err("Record extends past its page");
    }
    Ok(())
}

fn leaf_items<'a>(f: &File<'a>, pos: usize, h: &Header) -> Result<Vec<Item<'a>>, BdbError> {
    let mut out = Vec::with_capacity(usize::from(h.entries));
    for i in 0..usize::from(h.entries) {
        let at = record_at(f, pos, i, "Data")?;
        let len = usize::from(f.u16(at)?);
        let raw_type = f.u8(at + 2)?;
        let deleted = raw_type & RECORD_DELETED != 0;
        match raw_type & !RECORD_DELETED {
            RECORD_KEYDATA => {
                in_page(f, pos, at + 3, len)?;
                out.push(Item::Data {
                    bytes: f.bytes(at + 3, len)?,
                    deleted,
                });
            }
            RECORD_OVERFLOW => {
                in_page(f, pos, at + 3, 9)?;
                out.push(Item::Overflow {
                    page: f.u32(at + 4)?,
                    len: f.u32(at + 8)?,
                    deleted,
                });
            }
            _ => return err("Unknown record type in records page"),
        }
    }
    Ok(out)
}

/// The child pages of an internal page (deleted entries skipped).
fn internal_children(f: &File<'_>, pos: usize, h: &Header) -> Result<Vec<u32>, BdbError> {
    let mut out = Vec::new();
    for i in 0..usize::from(h.entries) {
        let at = record_at(f, pos, i, "Internal")?;
        let len = usize::from(f.u16(at)?);
        let raw_type = f.u8(at + 2)?;
        if raw_type & !RECORD_DELETED != RECORD_KEYDATA {
            return err("Unknown record type in internal page");
        }
        in_page(f, pos, at + 3, 9 + len)?;
        if raw_type & RECORD_DELETED == 0 {
            out.push(f.u32(at + 4)?);
        }
    }
    Ok(out)
}

/// Follows an overflow chain; every page is visited at most once.
fn overflow_data(
    f: &File<'_>,
    first: u32,
    len: u32,
    max_data_size: u64,
) -> Result<Vec<u8>, BdbError> {
    if u64::from(len) > max_data_size {
        return err("Overflow record has an impossible length");
    }
    let mut data = Vec::new();
    let mut seen = BTreeSet::new();
    let mut next = first;
    while next != 0 {
        if !seen.insert(next) {
            return err("Overflow page chain loops");
        }
        let (pos, h) = read_header(f, next)?;
        if h.kind != PAGE_OVERFLOW {
            return err("Bad overflow record page type");
        }
        let n = usize::from(h.hf_offset);
        in_page(f, pos, pos + PAGE_HEADER_SIZE, n)?;
        data.extend_from_slice(f.bytes(pos + PAGE_HEADER_SIZE, n)?);
        if data.len() as u64 > u64::from(len) {
            return err("Overflow record data is larger than stated size");
        }
        next = h.next_page;
    }
    Ok(data)
}

/// Parses a whole BDB wallet file held in memory.
pub fn parse(data: &[u8]) -> Result<BdbRecords, BdbError> {
    if data.len() < 512 {
        return err("Not a BDB file");
    }
    // The byte order follows from the magic at offset 12.
    let magic = u32::from_le_bytes([data[12], data[13], data[14], data[15]]);
    let swap = magic == BTREE_MAGIC.swap_bytes();
    let mut f = File {
        data,
        swap,
        page_size: 512,
    };
    let outer = read_meta(&f, 0, 0)?;
    f.page_size = outer.page_size as usize;
    let size = data.len() as u64;
    let expected_last = (size / u64::from(outer.page_size)).checked_sub(1);
    if expected_last != Some(u64::from(outer.last_page)) {
        return err("Last page number could not fit in file");
    }
    if outer.encrypt_algo != 0 {
        return err("BDB builtin encryption is not supported");
    }
    for page in 0..=outer.last_page {
        let pos = f.page(page)?;
        if f.u32(pos)? != 0 || f.u32(pos + 4)? != 1 {
            return err("LSNs are not reset, this database is not completely flushed. Please reopen then close the database with a version that has BDB support");
        }
    }

    // The outer root leaf holds exactly one pair: "main" -> its meta page.
    let (pos, h) = read_header(&f, outer.root)?;
    if h.kind != PAGE_BTREE_LEAF {
        return err("Unexpected outer database root page type");
    }
    if h.entries != 2 {
        return err("Unexpected number of entries in outer database root page");
    }
    let items = leaf_items(&f, pos, &h)?;
    match items.first() {
        Some(Item::Data { bytes, .. }) if *bytes == b"main" => {}
        _ => return err("Subdatabase has an unexpected name"),
    }
    let main_page = match items.get(1) {
        Some(Item::Data { bytes, .. }) if bytes.len() == 4 => {
            u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
        }
        _ => return err("Subdatabase page number has unexpected length"),
    };
    if main_page > outer.last_page {
        return err("Page number is greater than database last page");
    }
    let inner = read_meta(&f, f.page(main_page)?, main_page)?;
    if inner.page_size != outer.page_size {
        return err("Unexpected page size");
    }
    if inner.last_page > outer.last_page {
        return err("Subdatabase last page is greater than database last page");
    }
    if inner.encrypt_algo != 0 {
        return err("BDB builtin encryption is not supported");
    }
    let max_data_size = u64::from(outer.last_page) * u64::from(outer.page_size);

    let (_, root) = read_header(&f, inner.root)?;
    let mut records = BdbRecords::new();
    let mut visited = BTreeSet::new();
    let mut stack = vec![(inner.root, root.level)];
    while let Some((page, level)) = stack.pop() {
        // Each page once: a shared or cyclic child is a corrupt tree.
        if !visited.insert(page) {
            return err("BTree page is referenced more than once");
        }
        let (pos, h) = read_header(&f, page)?;
        if h.level != level {
            return err("BTree page has an unexpected level");
        }
        match h.kind {
            PAGE_BTREE_INTERNAL => {
                for child in internal_children(&f, pos, &h)? {
                    stack.push((child, h.level - 1));
                }
            }
            PAGE_BTREE_LEAF => {
                if h.level != 1 {
                    return err("BTree Leaf page is not at level 1");
                }
                let items = leaf_items(&f, pos, &h)?;
                if items.len() % 2 != 0 {
                    return err("Records page has odd number of records");
                }
                let mut key: Option<Vec<u8>> = None;
                for item in items {
                    let data = match item {
                        Item::Data { deleted: true, .. } | Item::Overflow { deleted: true, .. } => {
                            continue
                        }
                        Item::Data { bytes, .. } => bytes.to_vec(),
                        Item::Overflow { page, len, .. } => {
                            overflow_data(&f, page, len, max_data_size)?
                        }
                    };
                    match key.take() {
                        None => key = Some(data),
                        Some(k) => {
                            records.entry(k).or_insert(data);
                        }
                    }
                }
            }
            _ => return err("Unexpected page type"),
        }
    }
    Ok(records)
}

#[cfg(test)]
#[path = "bdb_tests.rs"]
mod tests;
