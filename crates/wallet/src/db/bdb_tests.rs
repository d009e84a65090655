use super::*;

const PAGE: usize = 512;

/// Writes BDB files by hand: outer meta, outer root leaf naming `main`,
/// inner meta, one leaf, and overflow pages for long items.
struct Builder {
    big_endian: bool,
    pages: Vec<Vec<u8>>,
}

impl Builder {
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn put(page: &mut [u8], at: usize, b: &[u8]) {
        page[at..at + b.len()].copy_from_slice(b);
    }

    fn header(&self, n: u32, next: u32, entries: u16, hf: u16, level: u8, kind: u8) -> Vec<u8> {
        let mut p = vec![0u8; PAGE];
        Self::put(&mut p, 4, &self.u32(1));
        Self::put(&mut p, 8, &self.u32(n));
        Self::put(&mut p, 16, &self.u32(next));
        Self::put(&mut p, 20, &self.u16(entries));
        Self::put(&mut p, 22, &self.u16(hf));
        p[24] = level;
        p[25] = kind;
        p
    }

    fn meta(&self, n: u32, last: u32, root: u32) -> Vec<u8> {
        let mut p = vec![0u8; PAGE];
        Self::put(&mut p, 4, &self.u32(1));
        Self::put(&mut p, 8, &self.u32(n));
        Self::put(&mut p, 12, &self.u32(BTREE_MAGIC));
        Self::put(&mut p, 16, &self.u32(9));
        Self::put(&mut p, 20, &self.u32(PAGE as u32));
        p[25] = PAGE_BTREE_META;
        Self::put(&mut p, 32, &self.u32(last));
        Self::put(&mut p, 48, &self.u32(FLAG_SUBDB));
        Self::put(&mut p, META_ROOT_OFFSET, &self.u32(root));
        p
    }

    /// A leaf page `n` holding `items` (raw item bytes after the header).
    fn leaf(&self, n: u32, items: &[Vec<u8>]) -> Vec<u8> {
        let mut p = self.header(n, 0, items.len() as u16, 0, 1, PAGE_BTREE_LEAF);
        let mut end = PAGE;
        for (i, item) in items.iter().enumerate() {
            end -= item.len();
            end &= !3;
            Self::put(&mut p, end, item);
            Self::put(&mut p, PAGE_HEADER_SIZE + 2 * i, &self.u16(end as u16));
        }
        p
    }

    fn data_item(&self, b: &[u8]) -> Vec<u8> {
        let mut v = self.u16(b.len() as u16).to_vec();
        v.push(RECORD_KEYDATA);
        v.extend_from_slice(b);
        v
    }

    fn build(big_endian: bool, records: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
        let mut b = Builder {
            big_endian,
            pages: Vec::new(),
        };
        let mut items = Vec::new();
        let mut overflow: Vec<Vec<u8>> = Vec::new();
        let first_overflow = 4u32;
        for (k, v) in records {
            items.push(b.data_item(k));
            if v.len() > 100 {
                let chunks: Vec<&[u8]> = v.chunks(PAGE - PAGE_HEADER_SIZE).collect();
                let start = first_overflow + overflow.len() as u32;
                for (i, c) in chunks.iter().enumerate() {
                    let n = start + i as u32;
                    let next = if i + 1 == chunks.len() { 0 } else { n + 1 };
                    let mut p = b.header(n, next, 1, c.len() as u16, 0, PAGE_OVERFLOW);
                    Self::put(&mut p, PAGE_HEADER_SIZE, c);
                    overflow.push(p);
                }
                let mut item = b.u16(0).to_vec();
                item.push(RECORD_OVERFLOW);
                item.push(0);
                item.extend_from_slice(&b.u32(start));
                item.extend_from_slice(&b.u32(v.len() as u32));
                items.push(item);
            } else {
                items.push(b.data_item(v));
            }
        }
        let last = 3 + overflow.len() as u32;
        let mut outer_leaf = vec![b.data_item(b"main"), b.data_item(&2u32.to_be_bytes())];
        outer_leaf.truncate(2);
        b.pages.push(b.meta(0, last, 1));
        b.pages.push(b.leaf(1, &outer_leaf));
        b.pages.push(b.meta(2, last, 3));
        b.pages.push(b.leaf(3, &items));
        b.pages.extend(overflow);
        b.pages.concat()
    }
}

fn sample() -> Vec<(&'static [u8], Vec<u8>)> {
    vec![
        (b"\x07version".as_slice(), vec![0x1c, 0x27, 0x04, 0x00]),
        (
            b"\x03key\x01".as_slice(),
            (0..700u32).map(|i| i as u8).collect(),
        ),
        (b"\x04name\x02ab".as_slice(), b"\x05label".to_vec()),
    ]
}

#[test]
fn reads_both_byte_orders_with_overflow_records() {
    for big_endian in [false, true] {
        let file = Builder::build(big_endian, &sample());
        let records = parse(&file).expect("parses");
        assert_eq!(records.len(), 3);
        for (k, v) in sample() {
            assert_eq!(records.get(k), Some(&v), "big_endian={big_endian}");
        }
    }
}

#[test]
fn truncated_files_are_errors() {
    let file = Builder::build(false, &sample());
    for len in (0..file.len()).step_by(7) {
        assert!(parse(&file[..len]).is_err(), "length {len}");
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let file = Builder::build(false, &sample());
    for at in 0..file.len() {
        for v in [0x00, 0xff, 0x03] {
            let mut f = file.clone();
            f[at] = v;
            let _ = parse(&f);
        }
    }
}

#[test]
fn core_checks_give_core_texts() {
    let file = Builder::build(false, &sample());
    let mut f = file.clone();
    f[16] = 8;
    assert_eq!(
        parse(&f).unwrap_err().0,
        "Unsupported BDB data file version number"
    );
    let mut f = file.clone();
    f[PAGE * 3 + 4] = 7;
    assert!(parse(&f).unwrap_err().0.starts_with("LSNs are not reset"));
    let mut f = file.clone();
    f[12] = 0;
    assert_eq!(parse(&f).unwrap_err().0, "Not a BDB file");
    let mut f = file.clone();
    f[24] = 1;
    assert_eq!(
        parse(&f).unwrap_err().0,
        "BDB builtin encryption is not supported"
    );
    let mut f = file;
    f.truncate(f.len() - PAGE);
    assert_eq!(
        parse(&f).unwrap_err().0,
        "Last page number could not fit in file"
    );
}

#[test]
fn an_overflow_chain_that_loops_is_an_error() {
    let mut file = Builder::build(false, &sample());
    // The second overflow page points back at the first.
    let second = PAGE * 5;
    file[second + 16..second + 20].copy_from_slice(&4u32.to_le_bytes());
    let e = parse(&file).unwrap_err().0;
    assert!(
        e == "Overflow page chain loops" || e == "Overflow record data is larger than stated size",
        "{e}"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let e = read_file(Path::new("/nonexistent/wallet.dat")).unwrap_err();
    assert_eq!(e.0, "BerkeleyRODatabase: Failed to open database file");
}

#[test]
fn reads_a_file_written_by_berkeley_db() {
    // Written by db5.3_load (contrib/legacy-wallet/make_legacy_wallets.py).
    let file = include_bytes!("../../../../test/data/legacy/hd.dat");
    let records = parse(file).expect("parses");
    let version = records.get(b"\x07version".as_slice()).expect("version");
    assert_eq!(version, &280000i32.to_le_bytes().to_vec());
    // The 214-byte private keys make the tree span several pages.
    let keys = records.keys().filter(|k| k.starts_with(b"\x03key")).count();
    assert_eq!(keys, 7);
    // Cut anywhere, the file is refused without a panic.
    for len in (0..file.len()).step_by(509) {
        assert!(parse(&file[..len]).is_err(), "length {len}");
    }
}
