//! Core's wallet dump format (`bitcoin-wallet dump` / `createfromdump`,
//! `src/wallet/dump.cpp`): a text file of every raw key/value pair, so a
//! wallet can be inspected, edited and rebuilt.
//!
//! ```text
//! BITCOIN_CORE_WALLET_DUMP,1
//! format,sqlite
//! <hex key>,<hex value>        one line per record, in table order
//! checksum,<64 hex>            SHA256d of every earlier line, newlines included
//! ```
//!
//! Reading follows Core's line splitting (`getline` on `,` then `\n`) and
//! checks in Core's order with Core's texts, so a dump Core refuses is
//! refused here with the same words.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use bitcoin::hashes::{sha256d, Hash, HashEngine};

use super::ser::{hex_lower, is_hex, parse_hex};
use super::sqlite::{DatabaseOptions, KvPairs, KvStore, SqliteDatabase};

/// The first field of a dump file.
pub const DUMP_MAGIC: &str = "BITCOIN_CORE_WALLET_DUMP";
/// The only dump version.
pub const DUMP_VERSION: u32 = 1;

/// Writes the dump of `db` to `out`: header, every record in table order
/// (Core's unordered cursor), checksum line.
pub fn write_dump<W: Write>(db: &SqliteDatabase, out: &mut W) -> Result<(), String> {
    let mut hasher = sha256d::Hash::engine();
    let mut emit = |line: &str, out: &mut W| -> Result<(), String> {
        hasher.input(line.as_bytes());
        out.write_all(line.as_bytes())
            .map_err(|e| format!("Error writing dump file: {e}"))
    };
    emit(&format!("{DUMP_MAGIC},{DUMP_VERSION}\n"), out)?;
    emit(&format!("format,{}\n", db.format()), out)?;
    let rows = db
        .scan_all()
        .map_err(|_| "Error reading next record from wallet database".to_string())?;
    for (k, v) in rows {
        emit(&format!("{},{}\n", hex_lower(&k), hex_lower(&v)), out)?;
    }
    let digest = sha256d::Hash::from_engine(hasher);
    out.write_all(format!("checksum,{}\n", hex_lower(digest.as_byte_array())).as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("Error writing dump file: {e}"))
}

/// Core's `DumpWallet`: writes the dump of `db` to a new file `dump_file`.
/// An existing file is never overwritten; on failure the partial file is
/// removed.
pub fn dump_wallet(db: &SqliteDatabase, dump_file: &Path) -> Result<(), String> {
    if dump_file.as_os_str().is_empty() {
        return Err(
            "No dump file provided. To use dump, -dumpfile=<filename> must be provided.".into(),
        );
    }
    let path = absolute(dump_file);
    if path.exists() {
        return Err(format!(
            "File {} already exists. If you are sure this is what you want, move it out of the way first.",
            path.display()
        ));
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|_| format!("Unable to open {} for writing", path.display()))?;
    let res = write_dump(db, &mut file).and_then(|_| {
        file.sync_all()
            .map_err(|e| format!("Error writing dump file: {e}"))
    });
    if res.is_err() {
        drop(file);
        let _ = fs::remove_file(&path);
    }
    res
}

/// `std::getline` over a byte buffer, with the stream state bits Core's
/// loop depends on (`good()` turns false once the end is reached).
struct LineReader<'a> {
    data: &'a [u8],
    pos: usize,
    eof: bool,
    fail: bool,
}

impl<'a> LineReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineReader {
            data,
            pos: 0,
            eof: false,
            fail: false,
        }
    }

    fn good(&self) -> bool {
        !self.eof && !self.fail
    }

    fn getline(&mut self, delim: u8) -> &'a [u8] {
        if !self.good() {
            self.fail = true;
            return &[];
        }
        let rest = &self.data[self.pos..];
        match rest.iter().position(|&c| c == delim) {
            Some(i) => {
                self.pos += i + 1;
                &rest[..i]
            }
            None => {
                self.pos = self.data.len();
                self.eof = true;
                if rest.is_empty() {
                    self.fail = true;
                }
                rest
            }
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A dump being read: the header has been checked; the records follow.
struct DumpReader<'a> {
    lines: LineReader<'a>,
    hasher: bitcoin::hashes::sha256::HashEngine,
}

impl<'a> DumpReader<'a> {
    /// Checks the identifier, version and format lines, in Core's order.
    fn open(data: &'a [u8]) -> Result<Self, String> {
        let mut lines = LineReader::new(data);
        let mut hasher = sha256d::Hash::engine();
        let magic_key = lines.getline(b',');
        let version_value = lines.getline(b'\n');
        if magic_key != DUMP_MAGIC.as_bytes() {
            return Err(format!(
                "Error: Dumpfile identifier record is incorrect. Got \"{}\", expected \"{DUMP_MAGIC}\".",
                text(magic_key)
            ));
        }
        // ToIntegral: digits only, no sign or spaces, must fit.
        let version_str = text(version_value);
        let version = if !version_str.is_empty() && version_str.bytes().all(|c| c.is_ascii_digit())
        {
            version_str.parse::<u32>().ok()
        } else {
            None
        };
        let Some(version) = version else {
            return Err(format!(
                "Error: Unable to parse version {version_str} as a uint32_t"
            ));
        };
        if version != DUMP_VERSION {
            return Err(format!(
                "Error: Dumpfile version is not supported. This version of bitcoin-wallet only supports version 1 dumpfiles. Got dumpfile with version {version_str}"
            ));
        }
        hasher.input(magic_key);
        hasher.input(b",");
        hasher.input(version_value);
        hasher.input(b"\n");

        let format_key = lines.getline(b',');
        let format_value = lines.getline(b'\n');
        if format_key != b"format" {
            return Err(format!(
                "Error: Dumpfile format record is incorrect. Got \"{}\", expected \"format\".",
                text(format_key)
            ));
        }
        if format_value != b"sqlite" {
            return Err(format!(
                "Error: Dumpfile specifies an unsupported database format ({}). Only sqlite database dumps are supported",
                text(format_value)
            ));
        }
        hasher.input(format_key);
        hasher.input(b",");
        hasher.input(format_value);
        hasher.input(b"\n");
        Ok(DumpReader { lines, hasher })
    }

    /// Reads the records up to the checksum line, handing each to `sink`,
    /// then checks the checksum. Lines with an empty key or value count in
    /// the checksum but are skipped, as in Core.
    fn records(
        mut self,
        mut sink: impl FnMut(Vec<u8>, Vec<u8>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut checksum: Option<[u8; 32]> = None;
        while self.lines.good() {
            let key = self.lines.getline(b',');
            let value = self.lines.getline(b'\n');
            if key == b"checksum" {
                let parsed = parse_hex(&text(value)).unwrap_or_default();
                let arr: [u8; 32] = parsed
                    .try_into()
                    .map_err(|_| "Error: Checksum is not the correct size".to_string())?;
                checksum = Some(arr);
                break;
            }
            self.hasher.input(key);
            self.hasher.input(b",");
            self.hasher.input(value);
            self.hasher.input(b"\n");
            if key.is_empty() || value.is_empty() {
                continue;
            }
            let key_s = text(key);
            if !is_hex(&key_s) {
                return Err(format!("Error: Got key that was not hex: {key_s}"));
            }
            let value_s = text(value);
            if !is_hex(&value_s) {
                return Err(format!("Error: Got value that was not hex: {value_s}"));
            }
            // is_hex guarantees parse_hex succeeds.
            sink(
                parse_hex(&key_s).unwrap_or_default(),
                parse_hex(&value_s).unwrap_or_default(),
            )?;
        }
        let computed = sha256d::Hash::from_engine(self.hasher).to_byte_array();
        match checksum {
            // An all-zero checksum is Core's "null" value: missing.
            None => Err("Error: Missing checksum".into()),
            Some(c) if c == [0u8; 32] => Err("Error: Missing checksum".into()),
            Some(c) if c != computed => Err(format!(
                "Error: Dumpfile checksum does not match. Computed {}, expected {}",
                hex_lower(&computed),
                hex_lower(&c)
            )),
            Some(_) => Ok(()),
        }
    }
}

/// Reads a dump fully and checks it, without touching any database: the
/// records in file order, or Core's error text.
pub fn parse_dump(data: &[u8]) -> Result<KvPairs, String> {
    let reader = DumpReader::open(data)?;
    let mut out = Vec::new();
    reader.records(|k, v| {
        out.push((k, v));
        Ok(())
    })?;
    Ok(out)
}

/// Core's `CreateFromDump`: creates a new wallet at `wallet_path` (a wallet
/// directory that must not hold a wallet yet) from `dump_file`, writing
/// every record verbatim in one transaction. Records are not validated
/// (the next load does that). On any failure nothing is left behind: the
/// transaction is rolled back and the new files and directory are removed.
pub fn create_from_dump(
    dump_file: &Path,
    wallet_path: &Path,
    options: &DatabaseOptions,
) -> Result<(), String> {
    if dump_file.as_os_str().is_empty() {
        return Err(
            "No dump file provided. To use createfromdump, -dumpfile=<filename> must be provided."
                .into(),
        );
    }
    let dump_path = absolute(dump_file);
    if !dump_path.exists() {
        return Err(format!("Dump file {} does not exist.", dump_path.display()));
    }
    let data = fs::read(&dump_path)
        .map_err(|e| format!("Dump file {} could not be read: {e}", dump_path.display()))?;
    let reader = DumpReader::open(&data)?;

    let mut opts = *options;
    opts.require_create = true;
    opts.require_existing = false;
    let mut db = SqliteDatabase::open(wallet_path, &opts).map_err(|e| e.message)?;
    let files = db.files();

    let result = (|| -> Result<(), String> {
        let txn = db.begin().map_err(|e| e.message)?;
        reader.records(|k, v| {
            txn.write(&k, &v)
                .map_err(|_| "Error: Unable to write record to new wallet".to_string())
        })?;
        txn.commit().map_err(|e| e.message)
    })();

    // Close before removing, as Core releases the wallet first.
    let closed = db.close();
    if result.is_err() {
        for f in &files {
            let _ = fs::remove_file(f);
        }
        // Removes the directory only if nothing else is in it.
        let _ = fs::remove_dir(wallet_path);
    }
    result?;
    closed.map_err(|e| e.message)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::tests::{new_wallet, REGTEST};

    fn sample_db(dir: &Path) -> SqliteDatabase {
        let db = new_wallet(dir);
        db.write(b"\x05flags", &[4, 0, 0, 0, 4, 0, 0, 0])
            .expect("writes");
        db.write(b"\x04name\x03abc", b"\x05label").expect("writes");
        db.write(b"\x02tx\x01", &[0u8; 300]).expect("writes");
        db
    }

    fn dump_text(db: &SqliteDatabase) -> String {
        let mut out = Vec::new();
        write_dump(db, &mut out).expect("dumps");
        String::from_utf8(out).expect("ascii")
    }

    /// A dump with the checksum line recomputed for `body` (everything
    /// before the checksum line).
    fn with_checksum(body: &str) -> String {
        let digest = sha256d::Hash::hash(body.as_bytes());
        format!("{body}checksum,{}\n", hex_lower(digest.as_byte_array()))
    }

    #[test]
    fn dump_format_and_round_trip() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db = sample_db(&tmp.path().join("src"));
        let text = dump_text(&db);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "BITCOIN_CORE_WALLET_DUMP,1");
        assert_eq!(lines[1], "format,sqlite");
        assert_eq!(lines[2], "05666c616773,0400000004000000");
        assert_eq!(lines.len(), 6);
        let body_len = text.len() - lines[5].len() - 1;
        assert_eq!(with_checksum(&text[..body_len]), text);

        // Through files, as the wallet tool does.
        let dump_path = tmp.path().join("dump.txt");
        dump_wallet(&db, &dump_path).expect("dumps");
        let e = dump_wallet(&db, &dump_path).expect_err("never overwrites");
        assert_eq!(
            e,
            format!(
                "File {} already exists. If you are sure this is what you want, move it out of the way first.",
                dump_path.display()
            )
        );
        let restored = tmp.path().join("restored");
        create_from_dump(&dump_path, &restored, &DatabaseOptions::new(REGTEST)).expect("creates");
        let copy = SqliteDatabase::open(
            &restored,
            &DatabaseOptions {
                require_existing: true,
                ..DatabaseOptions::new(REGTEST)
            },
        )
        .expect("opens");
        assert_eq!(
            copy.scan_all().expect("scans"),
            db.scan_all().expect("scans")
        );
        assert_eq!(dump_text(&copy), text);

        // Never over an existing wallet.
        let e = create_from_dump(&dump_path, &restored, &DatabaseOptions::new(REGTEST))
            .expect_err("exists");
        assert!(e.ends_with("Database already exists."), "{e}");
    }

    #[test]
    fn dump_errors_in_cores_words() {
        let good = with_checksum("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00aa,01\n");
        assert_eq!(
            parse_dump(good.as_bytes()).expect("parses"),
            vec![(vec![0x00, 0xaa], vec![0x01])]
        );
        // Lines with an empty side count in the checksum but are skipped.
        let skip = with_checksum("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n,\n00aa,01\n");
        assert_eq!(parse_dump(skip.as_bytes()).expect("parses").len(), 1);

        let cases: &[(&str, &str)] = &[
            ("BITCOIN_CORE_WALLET_DUMPX,1\n", "Error: Dumpfile identifier record is incorrect. Got \"BITCOIN_CORE_WALLET_DUMPX\", expected \"BITCOIN_CORE_WALLET_DUMP\"."),
            ("BITCOIN_CORE_WALLET_DUMP,+1\n", "Error: Unable to parse version +1 as a uint32_t"),
            ("BITCOIN_CORE_WALLET_DUMP,2\n", "Error: Dumpfile version is not supported. This version of bitcoin-wallet only supports version 1 dumpfiles. Got dumpfile with version 2"),
            ("BITCOIN_CORE_WALLET_DUMP,1\nformatx,sqlite\n", "Error: Dumpfile format record is incorrect. Got \"formatx\", expected \"format\"."),
            ("BITCOIN_CORE_WALLET_DUMP,1\nformat,bdb\n", "Error: Dumpfile specifies an unsupported database format (bdb). Only sqlite database dumps are supported"),
            ("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\nzz,00\n", "Error: Got key that was not hex: zz"),
            ("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00,abc\n", "Error: Got value that was not hex: abc"),
            ("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00,00\nchecksum,00ff\n", "Error: Checksum is not the correct size"),
            ("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00,00\n", "Error: Missing checksum"),
        ];
        for (input, err) in cases {
            assert_eq!(parse_dump(input.as_bytes()).expect_err(input), *err);
        }

        // A changed record no longer matches the checksum.
        let tampered = good.replace("00aa,01", "00aa,02");
        let computed = hex_lower(
            sha256d::Hash::hash(b"BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00aa,02\n")
                .as_byte_array(),
        );
        let expected = good
            .lines()
            .last()
            .and_then(|l| l.strip_prefix("checksum,"))
            .expect("checksum line");
        assert_eq!(
            parse_dump(tampered.as_bytes()).expect_err("mismatch"),
            format!(
                "Error: Dumpfile checksum does not match. Computed {computed}, expected {expected}"
            )
        );
    }

    #[test]
    fn failed_create_from_dump_leaves_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dump_path = tmp.path().join("bad.txt");
        fs::write(
            &dump_path,
            "BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n00,00\n01,01\nchecksum,".to_string()
                + &"11".repeat(32)
                + "\n",
        )
        .expect("writes");
        let wallet = tmp.path().join("new");
        let e = create_from_dump(&dump_path, &wallet, &DatabaseOptions::new(REGTEST))
            .expect_err("bad checksum");
        assert!(
            e.starts_with("Error: Dumpfile checksum does not match."),
            "{e}"
        );
        assert!(!wallet.exists(), "the new wallet is removed");

        let e = create_from_dump(
            &tmp.path().join("none.txt"),
            &wallet,
            &DatabaseOptions::new(REGTEST),
        )
        .expect_err("missing");
        assert!(
            e.starts_with("Dump file ") && e.ends_with(" does not exist."),
            "{e}"
        );
    }
}
