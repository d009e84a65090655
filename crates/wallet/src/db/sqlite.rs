//! The `wallet.dat` container: one SQLite file holding Core's single
//! key/value table, opened with Core's checks, locking and error texts
//! (Core's `src/wallet/sqlite.cpp`, `db.cpp`, `MakeDatabase` in
//! `walletdb.cpp`), so Core and this wallet refuse the same files with the
//! same words and never share an open file.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{ffi, params, Connection, OpenFlags, OptionalExtension, MAIN_DB};

/// Core's product name, used inside its error texts.
pub const CLIENT_NAME: &str = "Bitcoin Core";

/// The schema version Core writes into `PRAGMA user_version`
/// (`WALLET_SCHEMA_VERSION`); any other value is refused.
pub const WALLET_SCHEMA_VERSION: i32 = 0;

/// The data file's name inside a wallet directory.
pub const DATA_FILE_NAME: &str = "wallet.dat";

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The data file of the wallet at `wallet_path` (a directory), as Core's
/// `SQLiteDataFile`.
pub fn sqlite_data_file(wallet_path: &Path) -> PathBuf {
    wallet_path.join(DATA_FILE_NAME)
}

/// The `application_id` Core stores for a network: its 4-byte message start
/// read big-endian, kept as the signed 32-bit value SQLite stores.
pub fn application_id(magic: [u8; 4]) -> i32 {
    i32::from_be_bytes(magic)
}

/// Core's `IsSQLiteFile`: the file is at least 512 bytes, starts with the
/// SQLite header, and its application id (4 bytes at offset 68) equals the
/// network's message start. A wallet of another network or any foreign
/// SQLite file is therefore "not a wallet" before SQLite even opens it.
pub fn is_sqlite_file(path: &Path, magic: [u8; 4]) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() < 512 {
        return false;
    }
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 72];
    if f.read_exact(&mut head).is_err() {
        return false;
    }
    &head[..16] == SQLITE_HEADER && head[68..72] == magic
}

/// Core's `IsBDBFile`: a Berkeley DB btree file (a legacy wallet), at least
/// 4096 bytes with the btree magic at offset 12. Only used to give Core's
/// "appears to be a Legacy wallet" error instead of a generic one.
pub fn is_bdb_file(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() || meta.len() < 4096 {
        return false;
    }
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; 16];
    if f.read_exact(&mut head).is_err() {
        return false;
    }
    let magic = [head[12], head[13], head[14], head[15]];
    magic == [0x00, 0x05, 0x31, 0x62] || magic == [0x62, 0x31, 0x05, 0x00]
}

/// How to open a wallet database (Core's `DatabaseOptions`, the parts that
/// matter for SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseOptions {
    /// The network's message start; it is the file's `application_id`.
    pub magic: [u8; 4],
    /// Fail unless the wallet already exists (`loadwallet`).
    pub require_existing: bool,
    /// Fail if the wallet already exists (`createwallet`, `createfromdump`).
    pub require_create: bool,
    /// Run Core's `Verify` (application id, schema version, integrity check).
    pub verify: bool,
    /// Core's `-unsafesqlitesync`: `synchronous=OFF`, for tests only.
    pub use_unsafe_sync: bool,
}

impl DatabaseOptions {
    /// Options for the network with message start `magic`: open or create,
    /// verified, durable writes.
    pub fn new(magic: [u8; 4]) -> Self {
        DatabaseOptions {
            magic,
            require_existing: false,
            require_create: false,
            verify: true,
            use_unsafe_sync: false,
        }
    }
}

/// Why a database could not be opened (Core's `DatabaseStatus`); RPCs map
/// some of these to distinct error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseStatus {
    /// The path could not be examined.
    FailedBadPath,
    /// The wallet does not exist and had to.
    FailedNotFound,
    /// The file is not a wallet of this network, or is ambiguous.
    FailedBadFormat,
    /// The wallet exists and must not.
    FailedAlreadyExists,
    /// A Berkeley DB (legacy) wallet, which must be migrated.
    FailedLegacyDisabled,
    /// SQLite refused to open or lock the file.
    FailedLoad,
    /// The file opened but failed Core's `Verify`.
    FailedVerify,
}

/// A database that could not be opened, with Core's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    /// The class of failure.
    pub status: DatabaseStatus,
    /// Core's message for it.
    pub message: String,
}

impl OpenError {
    fn new(status: DatabaseStatus, message: impl Into<String>) -> Self {
        OpenError {
            status,
            message: message.into(),
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OpenError {}

/// A read, write or transaction failure on an open database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// What failed, with SQLite's reason.
    pub message: String,
}

impl StorageError {
    fn sql(what: &str, e: &rusqlite::Error) -> Self {
        StorageError {
            message: format!("{what}: {}", errstr(e)),
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StorageError {}

/// SQLite's text for an error code (`sqlite3_errstr`), as Core prints it.
fn errstr(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(err, _) => ffi::code_to_str(err.extended_code).to_string(),
        other => other.to_string(),
    }
}

/// Whether `e` is SQLite reporting that another connection holds the lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _)
        if matches!(err.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Raw records as stored: (key, value) pairs.
pub type KvPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// An open `wallet.dat`. It holds SQLite's exclusive lock from open until it
/// is dropped, as Core does, so no second process (Core or ours) can open
/// the same wallet meanwhile.
#[derive(Debug)]
pub struct SqliteDatabase {
    conn: Connection,
    /// The data file, or `:memory:`.
    file: PathBuf,
}

impl SqliteDatabase {
    /// Core's `MakeDatabase` for SQLite: classifies what exists at
    /// `wallet_path` (a wallet directory) in Core's order and with Core's
    /// texts, then opens `<wallet_path>/wallet.dat` and verifies it.
    pub fn open(wallet_path: &Path, options: &DatabaseOptions) -> Result<Self, OpenError> {
        let shown = wallet_path.display();
        let exists = match fs::symlink_metadata(wallet_path) {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(OpenError::new(
                    DatabaseStatus::FailedBadPath,
                    format!("Failed to access database path '{shown}': {e}"),
                ))
            }
        };
        let data_file = sqlite_data_file(wallet_path);
        let mut bdb = false;
        let mut sqlite = false;
        if exists {
            // Core looks for a BDB file at the path itself or inside it.
            let bdb_path = if wallet_path.is_file() {
                wallet_path.to_path_buf()
            } else {
                data_file.clone()
            };
            bdb = is_bdb_file(&bdb_path);
            if is_sqlite_file(&data_file, options.magic) {
                if bdb {
                    return Err(OpenError::new(
                        DatabaseStatus::FailedBadFormat,
                        format!(
                            "Failed to load database path '{shown}'. Data is in ambiguous format."
                        ),
                    ));
                }
                sqlite = true;
            }
        } else if options.require_existing {
            return Err(OpenError::new(
                DatabaseStatus::FailedNotFound,
                format!("Failed to load database path '{shown}'. Path does not exist."),
            ));
        }
        let known = bdb || sqlite;
        if !known && options.require_existing {
            return Err(OpenError::new(
                DatabaseStatus::FailedBadFormat,
                format!(
                    "Failed to load database path '{shown}'. Data is not in recognized format."
                ),
            ));
        }
        if known && options.require_create {
            return Err(OpenError::new(
                DatabaseStatus::FailedAlreadyExists,
                format!("Failed to create database path '{shown}'. Database already exists."),
            ));
        }
        if bdb {
            return Err(OpenError::new(
                DatabaseStatus::FailedLegacyDisabled,
                format!(
                    "Failed to open database path '{shown}'. The wallet appears to be a Legacy wallet, \
                     please use the wallet migration tool (migratewallet RPC or the GUI option)."
                ),
            ));
        }
        let db = Self::open_file(wallet_path, &data_file, options)?;
        if options.verify {
            db.verify(options.magic)
                .map_err(|m| OpenError::new(DatabaseStatus::FailedVerify, m))?;
        }
        Ok(db)
    }

    /// Core's `SQLiteDatabase` constructor and `Open`: opens (creating if
    /// needed) `file` in `dir`, takes the exclusive lock, sets the pragmas,
    /// and creates the table with its application id and schema version when
    /// the file is new. Does not verify; see [`SqliteDatabase::open`].
    pub fn open_file(
        dir: &Path,
        file: &Path,
        options: &DatabaseOptions,
    ) -> Result<Self, OpenError> {
        let load_err = |m: String| OpenError::new(DatabaseStatus::FailedLoad, m);
        // Core creates the directory, then insists it is writable: SQLite
        // needs to create the journal next to the file.
        let _ = fs::create_dir_all(dir);
        if !dir_is_writable(dir) {
            return Err(load_err(format!(
                "SQLiteDatabase: Failed to open database in directory '{}': directory is not writable",
                dir.display()
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_FULL_MUTEX;
        let conn = Connection::open_with_flags(file, flags).map_err(|e| {
            load_err(format!(
                "SQLiteDatabase: Failed to open database: {}\n",
                errstr(&e)
            ))
        })?;
        Self::setup(conn, file.to_path_buf(), options, true)
    }

    /// A fresh database in memory (Core's `InMemoryWalletDatabase`), for
    /// tests of code that needs a wallet database but no file.
    pub fn open_in_memory(magic: [u8; 4]) -> Result<Self, OpenError> {
        let conn = Connection::open_in_memory().map_err(|e| {
            OpenError::new(
                DatabaseStatus::FailedLoad,
                format!("SQLiteDatabase: Failed to open database: {}\n", errstr(&e)),
            )
        })?;
        Self::setup(
            conn,
            PathBuf::from(":memory:"),
            &DatabaseOptions::new(magic),
            false,
        )
    }

    fn setup(
        conn: Connection,
        file: PathBuf,
        options: &DatabaseOptions,
        on_disk: bool,
    ) -> Result<Self, OpenError> {
        let load_err = |m: String| OpenError::new(DatabaseStatus::FailedLoad, m);
        // Core has no busy handler: a locked file fails at once instead of
        // waiting for rusqlite's default five seconds.
        conn.busy_timeout(Duration::ZERO).map_err(|e| {
            load_err(format!(
                "SQLiteDatabase: Failed to open database: {}\n",
                errstr(&e)
            ))
        })?;
        if on_disk && conn.is_readonly(MAIN_DB).unwrap_or(false) {
            return Err(load_err(
                "SQLiteDatabase: Database opened in readonly mode but read-write permissions are needed".into(),
            ));
        }
        set_pragma(
            &conn,
            "locking_mode",
            "exclusive",
            "Unable to change database locking mode to exclusive",
        )
        .map_err(load_err)?;
        // In exclusive locking mode the lock taken by this transaction is
        // kept after COMMIT until the connection closes.
        if let Err(e) = conn.execute_batch("BEGIN EXCLUSIVE TRANSACTION") {
            // Core words every failure here as a lock conflict. A damaged
            // file fails here too (SQLite reads the header to lock); saying
            // "in use" would send the user looking for another process, so
            // only a real lock conflict gets Core's text.
            if !is_busy(&e) {
                return Err(load_err(format!(
                    "SQLiteDatabase: Failed to open database: {}\n",
                    errstr(&e)
                )));
            }
            return Err(load_err(format!(
                "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of {CLIENT_NAME}?\n"
            )));
        }
        conn.execute_batch("COMMIT").map_err(|e| {
            load_err(format!(
                "SQLiteDatabase: Unable to end exclusive lock transaction: {}\n",
                errstr(&e)
            ))
        })?;
        set_pragma(&conn, "fullfsync", "true", "Failed to enable fullfsync").map_err(load_err)?;
        if options.use_unsafe_sync {
            tracing::warn!(
                "SQLite is configured to not wait for data to be flushed to disk. Data loss and corruption may occur."
            );
            set_pragma(
                &conn,
                "synchronous",
                "OFF",
                "Failed to set synchronous mode to OFF",
            )
            .map_err(load_err)?;
        }
        let table_exists = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='main'",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| {
                load_err(format!(
                    "SQLiteDatabase: Failed to execute statement to check table existence: {}\n",
                    errstr(&e)
                ))
            })?
            .is_some();
        if !table_exists {
            conn.execute_batch(
                "CREATE TABLE main(key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL)",
            )
            .map_err(|e| {
                load_err(format!(
                    "SQLiteDatabase: Failed to create new database: {}\n",
                    errstr(&e)
                ))
            })?;
            set_pragma(
                &conn,
                "application_id",
                &application_id(options.magic).to_string(),
                "Failed to set the application id",
            )
            .map_err(load_err)?;
            set_pragma(
                &conn,
                "user_version",
                &WALLET_SCHEMA_VERSION.to_string(),
                "Failed to set the wallet schema version",
            )
            .map_err(load_err)?;
        }
        Ok(SqliteDatabase { conn, file })
    }

    /// Core's `Verify`: the application id is this network's, the schema
    /// version is 0, and `PRAGMA integrity_check` says only `ok`. Returns
    /// Core's message on failure.
    pub fn verify(&self, magic: [u8; 4]) -> Result<(), String> {
        let app_id = read_pragma_int(&self.conn, "application_id", "the application id")? as u32;
        let net_magic = u32::from_be_bytes(magic);
        if app_id != net_magic {
            return Err(format!(
                "SQLiteDatabase: Unexpected application id. Expected {net_magic}, got {app_id}"
            ));
        }
        let user_ver = read_pragma_int(&self.conn, "user_version", "sqlite wallet schema version")?;
        if user_ver != WALLET_SCHEMA_VERSION {
            return Err(format!(
                "SQLiteDatabase: Unknown sqlite wallet schema version {user_ver}. Only version {WALLET_SCHEMA_VERSION} is supported"
            ));
        }
        let mut stmt = self.conn.prepare("PRAGMA integrity_check").map_err(|e| {
            format!(
                "SQLiteDatabase: Failed to prepare statement to verify database: {}",
                errstr(&e)
            )
        })?;
        let mut rows = stmt.query([]).map_err(|e| {
            format!(
                "SQLiteDatabase: Failed to execute statement to verify database: {}",
                errstr(&e)
            )
        })?;
        let mut error = String::new();
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    error = format!(
                        "SQLiteDatabase: Failed to execute statement to verify database: {}",
                        errstr(&e)
                    );
                    break;
                }
            };
            let msg: String = match row.get::<_, Option<String>>(0) {
                Ok(Some(m)) => m,
                _ => {
                    error =
                        "SQLiteDatabase: Failed to read database verification error: not an error"
                            .into();
                    break;
                }
            };
            if msg == "ok" {
                continue;
            }
            if error.is_empty() {
                error.push_str("Failed to verify database\n");
            }
            error.push_str(&msg);
            error.push('\n');
        }
        if error.is_empty() {
            Ok(())
        } else {
            Err(error)
        }
    }

    /// The data file's path (`:memory:` for an in-memory database), Core's
    /// `Filename()`, used in its load error texts.
    pub fn filename(&self) -> &Path {
        &self.file
    }

    /// The files that make up this database (the data file and its rollback
    /// journal), Core's `Files()`: what to delete when a creation fails.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut journal = self.file.clone().into_os_string();
        journal.push("-journal");
        vec![self.file.clone(), PathBuf::from(journal)]
    }

    /// The database format name Core reports (`getwalletinfo`, dumps).
    pub fn format(&self) -> &'static str {
        "sqlite"
    }

    /// Starts an atomic batch: everything written through it becomes durable
    /// together at [`Txn::commit`], or not at all if it is dropped or
    /// aborted. Taking `&mut self` rules out nested or concurrent batches.
    pub fn begin(&mut self) -> Result<Txn<'_>, StorageError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
            .map_err(|e| StorageError::sql("SQLiteBatch: Failed to begin the transaction", &e))?;
        Ok(Txn { tx })
    }

    /// Runs `f` in one atomic batch: commits if it returns `Ok`, rolls back
    /// everything if it returns `Err` (Core's `RunWithinTxn`).
    pub fn run_in_txn<T, E: From<StorageError>>(
        &mut self,
        f: impl FnOnce(&Txn<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let txn = self.begin()?;
        match f(&txn) {
            Ok(v) => {
                txn.commit()?;
                Ok(v)
            }
            Err(e) => {
                // The batch's error is the one to report; a failed rollback
                // is undone anyway when the connection closes.
                let _ = txn.abort();
                Err(e)
            }
        }
    }

    /// Copies the whole database to `dest` with SQLite's online backup API
    /// (Core's `Backup`, behind `backupwallet`): the copy is consistent
    /// while this wallet stays open and locked.
    pub fn backup(&self, dest: &Path) -> Result<(), StorageError> {
        let mut dst = Connection::open(dest)
            .map_err(|e| StorageError::sql("Unable to open the backup destination", &e))?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut dst)
                .map_err(|e| StorageError::sql("Unable to begin sqlite backup", &e))?;
            match backup.step(-1) {
                Ok(rusqlite::backup::StepResult::Done) => {}
                Ok(other) => {
                    return Err(StorageError {
                        message: format!("Unable to continue sqlite backup: {other:?}"),
                    })
                }
                Err(e) => return Err(StorageError::sql("Unable to continue sqlite backup", &e)),
            }
        }
        dst.close()
            .map_err(|(_, e)| StorageError::sql("Unable to close the backup", &e))
    }

    /// Rebuilds the file without free pages (`VACUUM`, Core's `Rewrite`),
    /// which `encryptwallet` runs so erased plaintext keys leave the file.
    pub fn rewrite(&self) -> Result<(), StorageError> {
        self.conn
            .execute_batch("VACUUM")
            .map_err(|e| StorageError::sql("VACUUM failed", &e))
    }

    /// Closes the database, releasing the lock, and reports a failure to
    /// close (dropping closes too, silently).
    pub fn close(self) -> Result<(), StorageError> {
        self.conn
            .close()
            .map_err(|(_, e)| StorageError::sql("SQLiteDatabase: Failed to close database", &e))
    }

    /// Every key/value pair in table order, as Core's unordered cursor
    /// returns them (used by `dump`).
    pub fn scan_all(&self) -> Result<KvPairs, StorageError> {
        conn_scan_all(&self.conn)
    }
}

/// An atomic batch of writes on a [`SqliteDatabase`] (a SQLite
/// transaction). Dropping it without [`Txn::commit`] rolls everything back.
#[derive(Debug)]
pub struct Txn<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Txn<'_> {
    /// Makes every write of the batch durable at once. With the default
    /// `synchronous` setting SQLite has synced the journal and the file when
    /// this returns.
    pub fn commit(self) -> Result<(), StorageError> {
        self.tx
            .commit()
            .map_err(|e| StorageError::sql("SQLiteBatch: Failed to commit the transaction", &e))
    }

    /// Discards every write of the batch.
    pub fn abort(self) -> Result<(), StorageError> {
        self.tx
            .rollback()
            .map_err(|e| StorageError::sql("SQLiteBatch: Failed to abort the transaction", &e))
    }
}

/// Raw key/value access to the `main` table, the same on a database
/// (each call its own transaction) and inside a [`Txn`].
pub trait KvStore {
    /// The value stored under `key`, if any.
    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// Stores `value` under `key`, replacing any previous value.
    fn write(&self, key: &[u8], value: &[u8]) -> Result<(), StorageError>;
    /// Stores `value` under `key` only if the key is absent; returns false
    /// if it was present (Core's non-overwriting write, used for keys).
    fn insert(&self, key: &[u8], value: &[u8]) -> Result<bool, StorageError>;
    /// Removes `key` (absent keys are not an error).
    fn erase(&self, key: &[u8]) -> Result<(), StorageError>;
    /// Removes every key starting with `prefix`.
    fn erase_prefix(&self, prefix: &[u8]) -> Result<(), StorageError>;
    /// Whether `key` is present.
    fn exists(&self, key: &[u8]) -> Result<bool, StorageError>;
    /// Every pair whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<KvPairs, StorageError>;
}

macro_rules! impl_kv_store {
    ($ty:ty, $conn:ident => $get:expr) => {
        impl KvStore for $ty {
            fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
                let $conn = self;
                conn_read($get, key)
            }
            fn write(&self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
                let $conn = self;
                conn_write($get, key, value)
            }
            fn insert(&self, key: &[u8], value: &[u8]) -> Result<bool, StorageError> {
                let $conn = self;
                conn_insert($get, key, value)
            }
            fn erase(&self, key: &[u8]) -> Result<(), StorageError> {
                let $conn = self;
                conn_erase($get, key)
            }
            fn erase_prefix(&self, prefix: &[u8]) -> Result<(), StorageError> {
                let $conn = self;
                conn_erase_prefix($get, prefix)
            }
            fn exists(&self, key: &[u8]) -> Result<bool, StorageError> {
                let $conn = self;
                Ok(conn_read($get, key)?.is_some())
            }
            fn scan_prefix(&self, prefix: &[u8]) -> Result<KvPairs, StorageError> {
                let $conn = self;
                conn_scan_prefix($get, prefix)
            }
        }
    };
}

impl_kv_store!(SqliteDatabase, s => &s.conn);
impl_kv_store!(Txn<'_>, s => &s.tx);

fn conn_read(conn: &Connection, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
    let mut stmt = conn
        .prepare("SELECT value FROM main WHERE key = ?")
        .map_err(|e| StorageError::sql("Unable to prepare read statement", &e))?;
    stmt.query_row(params![key], |row| row.get::<_, Vec<u8>>(0))
        .optional()
        .map_err(|e| StorageError::sql("Unable to execute read statement", &e))
}

fn conn_write(conn: &Connection, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
    let mut stmt = conn
        .prepare("INSERT or REPLACE into main values(?, ?)")
        .map_err(|e| StorageError::sql("Unable to prepare write statement", &e))?;
    stmt.execute(params![key, value])
        .map(|_| ())
        .map_err(|e| StorageError::sql("Unable to execute write statement", &e))
}

fn conn_insert(conn: &Connection, key: &[u8], value: &[u8]) -> Result<bool, StorageError> {
    let mut stmt = conn
        .prepare("INSERT OR IGNORE INTO main VALUES(?, ?)")
        .map_err(|e| StorageError::sql("Unable to prepare write statement", &e))?;
    stmt.execute(params![key, value])
        .map(|changed| changed == 1)
        .map_err(|e| StorageError::sql("Unable to execute write statement", &e))
}

fn conn_erase(conn: &Connection, key: &[u8]) -> Result<(), StorageError> {
    let mut stmt = conn
        .prepare("DELETE FROM main WHERE key = ?")
        .map_err(|e| StorageError::sql("Unable to prepare erase statement", &e))?;
    stmt.execute(params![key])
        .map(|_| ())
        .map_err(|e| StorageError::sql("Unable to execute exec statement", &e))
}

fn conn_erase_prefix(conn: &Connection, prefix: &[u8]) -> Result<(), StorageError> {
    let mut stmt = conn
        .prepare("DELETE FROM main WHERE instr(key, ?) = 1")
        .map_err(|e| StorageError::sql("Unable to prepare erase statement", &e))?;
    stmt.execute(params![prefix])
        .map(|_| ())
        .map_err(|e| StorageError::sql("Unable to execute exec statement", &e))
}

/// The smallest key greater than every key starting with `prefix` (the
/// prefix as a big number plus one), or `None` when the prefix is all 0xff:
/// Core's range for a prefix cursor.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn collect_rows(
    stmt: &mut rusqlite::Statement<'_>,
    params: &[&dyn rusqlite::ToSql],
) -> Result<KvPairs, StorageError> {
    let rows = stmt
        .query_map(params, |row| {
            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(|e| StorageError::sql("Unable to execute cursor step", &e))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(|e| StorageError::sql("Unable to execute cursor step", &e))
}

fn conn_scan_prefix(conn: &Connection, prefix: &[u8]) -> Result<KvPairs, StorageError> {
    // A blob range uses the primary key index, unlike instr() or LIKE.
    match prefix_end(prefix) {
        Some(end) => {
            let mut stmt = conn
                .prepare("SELECT key, value FROM main WHERE key >= ? AND key < ? ORDER BY key")
                .map_err(|e| {
                    StorageError::sql("SQLiteDatabase: Failed to setup cursor SQL statement", &e)
                })?;
            collect_rows(&mut stmt, &[&prefix, &end])
        }
        None => {
            let mut stmt = conn
                .prepare("SELECT key, value FROM main WHERE key >= ? ORDER BY key")
                .map_err(|e| {
                    StorageError::sql("SQLiteDatabase: Failed to setup cursor SQL statement", &e)
                })?;
            collect_rows(&mut stmt, &[&prefix])
        }
    }
}

fn conn_scan_all(conn: &Connection) -> Result<KvPairs, StorageError> {
    let mut stmt = conn
        .prepare("SELECT key, value FROM main")
        .map_err(|e| StorageError::sql("Failed to setup cursor SQL statement", &e))?;
    collect_rows(&mut stmt, &[])
}

fn set_pragma(conn: &Connection, key: &str, value: &str, err_msg: &str) -> Result<(), String> {
    conn.execute_batch(&format!("PRAGMA {key} = {value}"))
        .map_err(|e| format!("SQLiteDatabase: {err_msg}: {}\n", errstr(&e)))
}

fn read_pragma_int(conn: &Connection, key: &str, description: &str) -> Result<i32, String> {
    conn.query_row(&format!("PRAGMA {key}"), [], |row| row.get::<_, i32>(0))
        .map_err(|e| {
            format!(
                "SQLiteDatabase: Failed to fetch {description}: {}",
                errstr(&e)
            )
        })
}

/// Core's `IsDirWritable`: try to create (and remove) a file in `dir`.
fn dir_is_writable(dir: &Path) -> bool {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let probe = dir.join(format!(
        ".wallet-write-probe-{}-{nanos}",
        std::process::id()
    ));
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// Regtest's message start.
    pub(crate) const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];
    /// Mainnet's message start.
    const MAINNET: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];

    pub(crate) fn new_wallet(dir: &Path) -> SqliteDatabase {
        SqliteDatabase::open(
            dir,
            &DatabaseOptions {
                require_create: true,
                ..DatabaseOptions::new(REGTEST)
            },
        )
        .expect("creates")
    }

    fn existing() -> DatabaseOptions {
        DatabaseOptions {
            require_existing: true,
            ..DatabaseOptions::new(REGTEST)
        }
    }

    #[test]
    fn creates_core_schema() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let wdir = tmp.path().join("w1");
        let db = new_wallet(&wdir);
        let app_id: i32 = db
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .expect("reads");
        assert_eq!(app_id, -88099366);
        let uv: i32 = db
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("reads");
        assert_eq!(uv, 0);
        let sql: String = db
            .conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type='table'",
                [],
                |r| r.get(0),
            )
            .expect("reads");
        assert_eq!(
            sql,
            "CREATE TABLE main(key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL)"
        );
        // Durable commits: FULL unless -unsafesqlitesync; rollback journal.
        let sync: i32 = db
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("reads");
        assert_eq!(sync, 2);
        let jm: String = db
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("reads");
        assert_eq!(jm, "delete");
        db.write(b"k", b"v").expect("writes");
        assert_eq!(db.files()[0], wdir.join("wallet.dat"));
        drop(db);
        assert!(is_sqlite_file(&wdir.join("wallet.dat"), REGTEST));
        assert!(!is_sqlite_file(&wdir.join("wallet.dat"), MAINNET));
        let db = SqliteDatabase::open(&wdir, &existing()).expect("reopens");
        assert_eq!(db.read(b"k").expect("reads"), Some(b"v".to_vec()));

        let unsafe_dir = tmp.path().join("w2");
        let db = SqliteDatabase::open(
            &unsafe_dir,
            &DatabaseOptions {
                use_unsafe_sync: true,
                ..DatabaseOptions::new(REGTEST)
            },
        )
        .expect("creates");
        let sync: i32 = db
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("reads");
        assert_eq!(sync, 0);
    }

    #[test]
    fn key_value_operations() {
        let mut db = SqliteDatabase::open_in_memory(REGTEST).expect("opens");
        db.write(b"\x02aa1", b"one").expect("writes");
        db.write(b"\x02aa2", b"two").expect("writes");
        db.write(b"\x02ab1", b"x").expect("writes");
        db.write(b"\x02aa1", b"uno").expect("overwrites");
        assert_eq!(db.read(b"\x02aa1").expect("reads"), Some(b"uno".to_vec()));
        assert!(!db.insert(b"\x02aa1", b"nope").expect("inserts"));
        assert!(db.insert(b"\x02aa3", b"three").expect("inserts"));
        assert!(db.exists(b"\x02aa3").expect("reads"));
        let rows = db.scan_prefix(b"\x02aa").expect("scans");
        assert_eq!(
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            vec![
                b"\x02aa1".to_vec(),
                b"\x02aa2".to_vec(),
                b"\x02aa3".to_vec()
            ]
        );
        db.erase(b"\x02aa2").expect("erases");
        db.erase(b"\x02zz").expect("absent is fine");
        assert_eq!(db.scan_prefix(b"\x02aa").expect("scans").len(), 2);
        db.erase_prefix(b"\x02aa").expect("erases");
        assert!(db.scan_prefix(b"\x02aa").expect("scans").is_empty());
        assert_eq!(db.scan_all().expect("scans").len(), 1);
        // Prefixes ending in 0xff and empty values.
        db.write(b"\xff\xff", b"").expect("writes");
        db.write(b"\xff\xff\x01", b"").expect("writes");
        assert_eq!(db.scan_prefix(b"\xff\xff").expect("scans").len(), 2);
        assert_eq!(db.scan_prefix(b"\xff").expect("scans").len(), 2);
        assert_eq!(db.read(b"\xff\xff").expect("reads"), Some(vec![]));
        let _ = &mut db;
    }

    #[test]
    fn prefix_end_is_next_key() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }

    #[test]
    fn failed_batch_leaves_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let wdir = tmp.path().join("w");
        let mut db = new_wallet(&wdir);
        db.write(b"before", b"1").expect("writes");
        let r: Result<(), StorageError> = db.run_in_txn(|t| {
            t.write(b"a", b"1")?;
            t.erase(b"before")?;
            Err(StorageError {
                message: "boom".into(),
            })
        });
        assert!(r.is_err());
        assert_eq!(db.read(b"a").expect("reads"), None);
        assert_eq!(db.read(b"before").expect("reads"), Some(b"1".to_vec()));
        {
            let t = db.begin().expect("begins");
            t.write(b"b", b"2").expect("writes");
            assert_eq!(t.read(b"b").expect("reads"), Some(b"2".to_vec()));
            // Dropped without commit.
        }
        assert_eq!(db.read(b"b").expect("reads"), None);
        let t = db.begin().expect("begins");
        t.write(b"c", b"3").expect("writes");
        t.abort().expect("aborts");
        assert_eq!(db.read(b"c").expect("reads"), None);
        db.run_in_txn(|t| {
            t.write(b"d", b"4")?;
            t.write(b"e", b"5")
        })
        .expect("commits");
        drop(db);
        let db = SqliteDatabase::open(&wdir, &existing()).expect("reopens");
        assert_eq!(db.read(b"d").expect("reads"), Some(b"4".to_vec()));
        assert_eq!(db.read(b"e").expect("reads"), Some(b"5".to_vec()));
    }

    #[test]
    fn second_open_is_refused_while_locked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let wdir = tmp.path().join("w");
        let db = new_wallet(&wdir);
        let e = SqliteDatabase::open(&wdir, &existing()).expect_err("locked");
        assert_eq!(e.status, DatabaseStatus::FailedLoad);
        assert_eq!(
            e.message,
            "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of Bitcoin Core?\n"
        );
        drop(db);
        SqliteDatabase::open(&wdir, &existing()).expect("opens once released");
    }

    /// Run by the tests below in a child process (this test binary again),
    /// selected by the environment; does nothing in a normal test run.
    #[test]
    fn child_process_helper() {
        let Ok(task) = std::env::var("WALLET_DB_CHILD") else {
            return;
        };
        let (what, dir) = task.split_once(':').expect("task:dir");
        let mut db = SqliteDatabase::open(Path::new(dir), &existing()).expect("child opens");
        match what {
            "hold" => {
                // A marker file, not stdout: the test harness may capture
                // this test's output.
                fs::write(Path::new(dir).join("locked-by-child"), b"").expect("marker");
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
            }
            "crash" => {
                let t = db.begin().expect("begins");
                for i in 0..100u32 {
                    t.write(&i.to_le_bytes(), &[7u8; 500]).expect("writes");
                }
                t.erase(b"keep").expect("erases");
                // Die mid-batch: the journal must undo all of it.
                std::process::abort();
            }
            other => panic!("unknown task {other}"),
        }
    }

    fn child(task: &str, dir: &Path) -> std::process::Child {
        Command::new(std::env::current_exe().expect("test exe"))
            .args([
                "--exact",
                "db::sqlite::tests::child_process_helper",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("WALLET_DB_CHILD", format!("{task}:{}", dir.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns")
    }

    #[test]
    fn another_process_holding_the_wallet_locks_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let wdir = tmp.path().join("w");
        drop(new_wallet(&wdir));
        let mut c = child("hold", &wdir);
        let marker = wdir.join("locked-by-child");
        let start = std::time::Instant::now();
        while !marker.exists() {
            if let Some(status) = c.try_wait().expect("polls") {
                panic!("child ended before locking: {status}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "child never locked"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let e = SqliteDatabase::open(&wdir, &existing()).expect_err("locked by the child");
        assert!(
            e.message
                .starts_with("SQLiteDatabase: Unable to obtain an exclusive lock"),
            "{e}"
        );
        drop(c.stdin.take());
        c.wait().expect("child exits");
        SqliteDatabase::open(&wdir, &existing()).expect("opens after the child exits");
    }

    #[test]
    fn a_crash_mid_batch_leaves_nothing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let wdir = tmp.path().join("w");
        let db = new_wallet(&wdir);
        db.write(b"keep", b"1").expect("writes");
        drop(db);
        let status = child("crash", &wdir).wait().expect("child ends");
        assert!(!status.success());
        let db = SqliteDatabase::open(&wdir, &existing()).expect("reopens");
        assert_eq!(
            db.scan_all().expect("scans"),
            vec![(b"keep".to_vec(), b"1".to_vec())]
        );
    }

    #[test]
    fn open_errors_in_cores_words() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let shown = |p: &Path| p.display().to_string();

        // Missing.
        let missing = tmp.path().join("missing");
        let e = SqliteDatabase::open(&missing, &existing()).expect_err("missing");
        assert_eq!(e.status, DatabaseStatus::FailedNotFound);
        assert_eq!(
            e.message,
            format!(
                "Failed to load database path '{}'. Path does not exist.",
                shown(&missing)
            )
        );

        // A directory without a wallet.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).expect("mkdir");
        let e = SqliteDatabase::open(&empty, &existing()).expect_err("nothing there");
        assert_eq!(e.status, DatabaseStatus::FailedBadFormat);
        assert_eq!(
            e.message,
            format!(
                "Failed to load database path '{}'. Data is not in recognized format.",
                shown(&empty)
            )
        );

        // A foreign SQLite file.
        let foreign = tmp.path().join("foreign");
        fs::create_dir(&foreign).expect("mkdir");
        {
            let c = Connection::open(foreign.join("wallet.dat")).expect("opens");
            c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
                .expect("writes");
        }
        let e = SqliteDatabase::open(&foreign, &existing()).expect_err("foreign");
        assert_eq!(
            e.message,
            format!(
                "Failed to load database path '{}'. Data is not in recognized format.",
                shown(&foreign)
            )
        );

        // A wallet of another network.
        let regtest = tmp.path().join("regtest");
        drop(new_wallet(&regtest));
        let main_opts = DatabaseOptions {
            require_existing: true,
            ..DatabaseOptions::new(MAINNET)
        };
        let e = SqliteDatabase::open(&regtest, &main_opts).expect_err("other network");
        assert_eq!(e.status, DatabaseStatus::FailedBadFormat);
        // Core's Verify check, reached when the header check is bypassed.
        let db = SqliteDatabase::open_file(
            &regtest,
            &regtest.join("wallet.dat"),
            &DatabaseOptions::new(MAINNET),
        )
        .expect("opens unverified");
        assert_eq!(
            db.verify(MAINNET).expect_err("wrong id"),
            format!(
                "SQLiteDatabase: Unexpected application id. Expected {}, got {}",
                0xf9beb4d9u32, 0xfabfb5dau32
            )
        );
        drop(db);

        // Creating over an existing wallet.
        let e = SqliteDatabase::open(
            &regtest,
            &DatabaseOptions {
                require_create: true,
                ..DatabaseOptions::new(REGTEST)
            },
        )
        .expect_err("exists");
        assert_eq!(e.status, DatabaseStatus::FailedAlreadyExists);
        assert_eq!(
            e.message,
            format!(
                "Failed to create database path '{}'. Database already exists.",
                shown(&regtest)
            )
        );

        // Another schema version.
        {
            let c = Connection::open(regtest.join("wallet.dat")).expect("opens");
            c.execute_batch("PRAGMA user_version = 1").expect("writes");
        }
        let e = SqliteDatabase::open(&regtest, &existing()).expect_err("schema");
        assert_eq!(e.status, DatabaseStatus::FailedVerify);
        assert_eq!(
            e.message,
            "SQLiteDatabase: Unknown sqlite wallet schema version 1. Only version 0 is supported"
        );

        // A Berkeley DB (legacy) wallet.
        let bdb = tmp.path().join("bdb");
        fs::create_dir(&bdb).expect("mkdir");
        let mut data = vec![0u8; 8192];
        data[12..16].copy_from_slice(&[0x62, 0x31, 0x05, 0x00]);
        fs::write(bdb.join("wallet.dat"), &data).expect("writes");
        let e = SqliteDatabase::open(&bdb, &existing()).expect_err("bdb");
        assert_eq!(e.status, DatabaseStatus::FailedLegacyDisabled);
        assert!(e.message.contains(
            "The wallet appears to be a Legacy wallet, please use the wallet migration tool"
        ));
    }

    /// A wallet file with many pages of records.
    fn big_wallet(dir: &Path) -> PathBuf {
        let mut db = new_wallet(dir);
        db.run_in_txn(|t| {
            for i in 0..300u32 {
                t.write(&i.to_be_bytes(), &[i as u8; 700])?;
            }
            Ok::<_, StorageError>(())
        })
        .expect("writes");
        drop(db);
        dir.join("wallet.dat")
    }

    #[test]
    fn damaged_files_are_clear_errors() {
        let tmp = tempfile::tempdir().expect("tempdir");

        // Cut below the 512-byte minimum: not a wallet at all.
        let tiny = tmp.path().join("tiny");
        let f = big_wallet(&tiny);
        let bytes = fs::read(&f).expect("reads");
        fs::write(&f, &bytes[..300]).expect("writes");
        let e = SqliteDatabase::open(&tiny, &existing()).expect_err("tiny");
        assert_eq!(e.status, DatabaseStatus::FailedBadFormat);

        // Cut in the middle: the header still matches, the pages are gone.
        let cut = tmp.path().join("cut");
        let f = big_wallet(&cut);
        let bytes = fs::read(&f).expect("reads");
        fs::write(&f, &bytes[..bytes.len() / 3]).expect("writes");
        let e = SqliteDatabase::open(&cut, &existing()).expect_err("truncated");
        assert_eq!(e.status, DatabaseStatus::FailedLoad);
        assert_eq!(
            e.message,
            "SQLiteDatabase: Failed to open database: database disk image is malformed\n"
        );

        // Pages overwritten with garbage.
        let junk = tmp.path().join("junk");
        let f = big_wallet(&junk);
        let mut bytes = fs::read(&f).expect("reads");
        let len = bytes.len();
        for b in &mut bytes[4096..len - 4096] {
            *b = 0xa5;
        }
        fs::write(&f, &bytes).expect("writes");
        let e = SqliteDatabase::open(&junk, &existing()).expect_err("corrupt");
        assert_eq!(e.status, DatabaseStatus::FailedVerify, "{e:?}");
        assert_eq!(
            e.message,
            "SQLiteDatabase: Failed to execute statement to verify database: database disk image is malformed"
        );
    }

    #[test]
    fn backup_copies_an_open_wallet() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let wdir = tmp.path().join("w");
        let db = new_wallet(&wdir);
        db.write(b"k1", b"v1").expect("writes");
        db.write(b"k2", b"v2").expect("writes");
        let dest_dir = tmp.path().join("restored");
        fs::create_dir(&dest_dir).expect("mkdir");
        db.backup(&dest_dir.join("wallet.dat")).expect("backs up");
        // The source stays open and usable.
        db.write(b"k3", b"v3").expect("writes");
        let copy = SqliteDatabase::open(&dest_dir, &existing()).expect("the copy is a wallet");
        assert_eq!(copy.scan_all().expect("scans").len(), 2);
        // A destination that cannot be created fails cleanly.
        assert!(db
            .backup(&tmp.path().join("no/such/dir/wallet.dat"))
            .is_err());
    }
}
