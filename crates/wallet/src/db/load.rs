//! Reading a whole wallet (Core's `WalletBatch::LoadWallet`): the known
//! record types in Core's order, decoded into one [`WalletRecords`], with
//! failures classified as Core's `DBErrors` and worded as Core words them.
//! Record types this version does not know are ignored, as Core does.
//!
//! What needs the descriptor language (parsing the stored strings, checking
//! the descriptor ids, expanding from the caches) belongs to the keys
//! module; it reports through the same [`DbErrors`] and texts
//! ([`unknown_descriptor_log`], [`DbErrors::message`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bitcoin::secp256k1::SecretKey;
use bitcoin::{OutPoint, Txid};

use super::batch::WalletBatch;
use super::records::{
    flags, split_key, type_prefix, types, ActiveSpkRecord, AddressPurpose, DescriptorCKeyRecord,
    DescriptorCacheRecord, DescriptorId, DescriptorKeyRecord, DescriptorLhCacheRecord,
    DescriptorRecord, DestDataRecord, ExtPubKeyBytes, FlagsRecord, Locator, LockedUtxoRecord,
    MasterKey, MasterKeyRecord, NameRecord, OrderPosNextRecord, OutputType, PurposeRecord, Record,
    TxRecord, VersionRecord, WalletTx, CLIENT_VERSION,
};
use super::ser::{u256_to_display_hex, Writer};
use super::sqlite::{KvStore, CLIENT_NAME};

/// Core's `DBErrors`: the outcome of loading a wallet, ordered by severity
/// (a load reports the worst it met).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DbErrors {
    /// Everything loaded.
    LoadOk = 0,
    /// Transactions may be missing or wrong; the wallet loads and rescans.
    NeedRescan = 1,
    /// An external-signer wallet in a build without signer support.
    ExternalSignerSupportRequired = 3,
    /// Address book or transaction metadata may be wrong; the wallet loads.
    NoncriticalError = 4,
    /// Flags this version does not know (bits 32..63).
    TooNew = 5,
    /// A descriptor this version cannot parse.
    UnknownDescriptor = 6,
    /// An unsupported very old record.
    LoadFail = 7,
    /// Legacy records in a descriptor wallet.
    UnexpectedLegacyEntry = 8,
    /// Not a descriptor wallet.
    LegacyWallet = 9,
    /// Records that do not decode or do not fit together.
    Corrupt = 10,
}

impl DbErrors {
    /// Whether the wallet still loads (with a warning at most), as Core
    /// continues on LOAD_OK, NONCRITICAL_ERROR and NEED_RESCAN.
    pub fn is_loadable(self) -> bool {
        matches!(
            self,
            DbErrors::LoadOk | DbErrors::NeedRescan | DbErrors::NoncriticalError
        )
    }

    /// Core's user-facing text for this outcome (`PopulateWalletFromDB`),
    /// where `wallet_file` is the data file's path: an error for the critical
    /// outcomes, a warning for NEED_RESCAN and NONCRITICAL_ERROR, `None` for
    /// LOAD_OK.
    pub fn message(self, wallet_file: &str) -> Option<String> {
        let f = wallet_file;
        Some(match self {
            DbErrors::LoadOk => return None,
            DbErrors::NoncriticalError => format!(
                "Error reading {f}! All keys read correctly, but transaction data or address metadata may be missing or incorrect."
            ),
            DbErrors::NeedRescan => {
                format!("Error reading {f}! Transaction data may be missing or incorrect. Rescanning wallet.")
            }
            DbErrors::Corrupt => format!("Error loading {f}: Wallet corrupted"),
            DbErrors::TooNew => format!("Error loading {f}: Wallet requires newer version of {CLIENT_NAME}"),
            DbErrors::ExternalSignerSupportRequired => format!(
                "Error loading {f}: External signer wallet being loaded without external signer support compiled"
            ),
            DbErrors::UnknownDescriptor => format!(
                "Unrecognized descriptor found. Loading wallet {f}\n\nThe wallet might have been created on a newer version.\nPlease try running the latest software version.\n"
            ),
            DbErrors::UnexpectedLegacyEntry => format!(
                "Unexpected legacy entry in descriptor wallet found. Loading wallet {f}\n\nThe wallet might have been tampered with or created with malicious intent.\n"
            ),
            DbErrors::LegacyWallet => format!(
                "Error loading {f}: Wallet is a legacy wallet. Please migrate to a descriptor wallet using the migration tool (migratewallet RPC)."
            ),
            DbErrors::LoadFail => format!("Error loading {f}"),
        })
    }
}

/// Core's log line for a descriptor record it cannot read, given the
/// wallet name, the `version` record (if any) and the parser's details.
pub fn unknown_descriptor_log(
    wallet_name: &str,
    last_client: Option<i32>,
    details: &str,
) -> String {
    let newer = last_client.unwrap_or(CLIENT_VERSION) > CLIENT_VERSION;
    format!(
        "Error: Unrecognized descriptor found in wallet {wallet_name}. {}Please try running the latest software version\nDetails: {details}",
        if newer {
            "The wallet might have been created on a newer version. "
        } else {
            "The database might be corrupted or the software version is not compatible with one of your wallet descriptors. "
        }
    )
}

/// A wallet that did not load: the worst outcome met and the log lines
/// that explain it (what Core writes to its debug log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The outcome (never a loadable one).
    pub kind: DbErrors,
    /// Details, one per problem met.
    pub log: Vec<String>,
}

impl LoadError {
    /// Core's user-facing text, for the data file `wallet_file`.
    pub fn message(&self, wallet_file: &str) -> String {
        self.kind.message(wallet_file).unwrap_or_default()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)?;
        for l in &self.log {
            write!(f, "; {l}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A descriptor's xpub cache (Core's `DescriptorCache`), by key expression
/// index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescriptorCache {
    /// Parent xpubs (of the ranged step, or the key itself).
    pub parent: BTreeMap<u32, ExtPubKeyBytes>,
    /// Derived xpubs by key expression, then derivation index.
    pub derived: BTreeMap<u32, BTreeMap<u32, ExtPubKeyBytes>>,
    /// Xpubs at the last hardened step.
    pub last_hardened: BTreeMap<u32, ExtPubKeyBytes>,
}

/// One descriptor with everything stored for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedDescriptor {
    /// The `walletdescriptor` record (string and range, not yet parsed).
    pub record: DescriptorRecord,
    /// Its xpub caches.
    pub cache: DescriptorCache,
    /// Plaintext private keys by public key bytes.
    pub keys: BTreeMap<Vec<u8>, SecretKey>,
    /// Encrypted private keys by public key bytes.
    pub crypted_keys: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// An address book entry, gathered from `name`, `purpose` and `destdata`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBookEntry {
    /// The label (`name`), if set.
    pub label: Option<String>,
    /// The purpose, if set and standard.
    pub purpose: Option<AddressPurpose>,
    /// `destdata` `used`: spent from while avoid-reuse was on.
    pub previously_spent: bool,
    /// `destdata` `rr<id>`: receive requests by id.
    pub receive_requests: BTreeMap<String, String>,
}

/// Everything a wallet file holds, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRecords {
    /// The `version` record: the last client version to open the file.
    pub last_client_version: Option<i32>,
    /// The wallet flags.
    pub flags: u64,
    /// Descriptors by id.
    pub descriptors: BTreeMap<DescriptorId, LoadedDescriptor>,
    /// Address book by address string.
    pub address_book: BTreeMap<String, AddressBookEntry>,
    /// Active receive descriptors by output type.
    pub active_external: BTreeMap<OutputType, DescriptorId>,
    /// Active change descriptors by output type.
    pub active_internal: BTreeMap<OutputType, DescriptorId>,
    /// Encryption master keys by id.
    pub master_keys: BTreeMap<u32, MasterKey>,
    /// Wallet transactions by txid.
    pub txs: BTreeMap<Txid, WalletTx>,
    /// Persistently locked coins.
    pub locked_utxos: BTreeSet<OutPoint>,
    /// The `orderposnext` record.
    pub order_pos_next: Option<i64>,
    /// The sync point, as Core's `ReadBestBlock` picks it.
    pub best_block: Option<Locator>,
    /// LOAD_OK, or the non-critical outcome the wallet loaded with
    /// (NEED_RESCAN, NONCRITICAL_ERROR): Core warns and, for NEED_RESCAN,
    /// rescans from genesis.
    pub status: DbErrors,
    /// Log lines for the problems met (nonstandard purposes, a stored txid
    /// not matching its transaction, …).
    pub log: Vec<String>,
}

impl WalletRecords {
    /// Whether a transaction has no order position, which makes Core
    /// renumber all of them by time received (`ReorderTransactions`).
    pub fn any_unordered(&self) -> bool {
        self.txs.values().any(|t| t.order_pos.is_none())
    }
}

/// Collects the worst outcome and the log lines while loading.
struct Outcome {
    result: DbErrors,
    log: Vec<String>,
}

impl Outcome {
    fn fail(&mut self, kind: DbErrors, msg: impl Into<String>) {
        self.result = self.result.max(kind);
        self.log.push(msg.into());
    }
}

/// Scans one record type (or a narrower prefix of it), as Core's
/// `LoadRecords`; a database failure is CORRUPT.
fn scan<S: KvStore + ?Sized>(
    db: &S,
    ty: &str,
    prefix: &[u8],
    out: &mut Outcome,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    match db.scan_prefix(prefix) {
        Ok(rows) => rows,
        Err(e) => {
            out.fail(
                DbErrors::Corrupt,
                format!("Error reading next '{ty}' record for wallet database: {e}"),
            );
            Vec::new()
        }
    }
}

fn id_prefix(ty: &str, id: &DescriptorId) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(ty).u256(id);
    w.into_bytes()
}

/// Loads every known record of the wallet in `db` (named `wallet_name` in
/// log lines), in Core's order: version, flags, the legacy check,
/// descriptors with their caches and keys, address book, active
/// descriptors, master keys, transactions, locked coins, order position,
/// and the sync point.
///
/// `Ok` when the wallet loads (perhaps with `status` NEED_RESCAN or
/// NONCRITICAL_ERROR); `Err` with the worst critical outcome otherwise.
/// Core's follow-up writes on load (version, reordering, cache upgrades)
/// are the caller's: this only reads.
pub fn load_wallet<S: KvStore + ?Sized>(
    db: &S,
    wallet_name: &str,
) -> Result<WalletRecords, LoadError> {
    let mut out = Outcome {
        result: DbErrors::LoadOk,
        log: Vec::new(),
    };
    let err = |out: Outcome| LoadError {
        kind: out.result,
        log: out.log,
    };

    // Version: informative only; an unreadable value counts as absent.
    let version_key = type_prefix(types::VERSION);
    let last_client_version = match db.read(&version_key) {
        Ok(v) => v
            .and_then(|v| VersionRecord::decode(&version_key, &v).ok())
            .map(|r| r.0),
        Err(e) => {
            out.fail(DbErrors::Corrupt, e.to_string());
            return Err(err(out));
        }
    };

    // Flags first, so everything after knows what kind of wallet this is.
    let flags_key = type_prefix(types::FLAGS);
    let flags = match db.read(&flags_key) {
        Ok(v) => v
            .and_then(|v| FlagsRecord::decode(&flags_key, &v).ok())
            .map(|r| r.0),
        Err(e) => {
            out.fail(DbErrors::Corrupt, e.to_string());
            return Err(err(out));
        }
    };
    let Some(flags) = flags else {
        // Core would go on as a legacy wallet (and trip an assertion at the
        // first active descriptor); a descriptor wallet always has flags.
        out.fail(
            DbErrors::LegacyWallet,
            "Wallet has no flags record; it is not a descriptor wallet",
        );
        return Err(err(out));
    };
    if flags::has_unknown_critical(flags) {
        out.fail(
            DbErrors::TooNew,
            "Error reading wallet database: Unknown non-tolerable wallet flags found",
        );
        return Err(err(out));
    }
    if flags & flags::DESCRIPTORS == 0 {
        out.fail(DbErrors::LegacyWallet, "Wallet is not a descriptor wallet");
        return Err(err(out));
    }

    // No legacy record may sit in a descriptor wallet.
    for ty in types::LEGACY_TYPES {
        let rows = scan(db, ty, &type_prefix(ty), &mut out);
        if !rows.is_empty() {
            out.fail(
                DbErrors::UnexpectedLegacyEntry,
                format!(
                    "Error: Unexpected legacy entry found in descriptor wallet {wallet_name}. The wallet might have been tampered with or created with malicious intent."
                ),
            );
            return Err(err(out));
        }
    }

    let mut records = WalletRecords {
        last_client_version,
        flags,
        descriptors: BTreeMap::new(),
        address_book: BTreeMap::new(),
        active_external: BTreeMap::new(),
        active_internal: BTreeMap::new(),
        master_keys: BTreeMap::new(),
        txs: BTreeMap::new(),
        locked_utxos: BTreeSet::new(),
        order_pos_next: None,
        best_block: None,
        status: DbErrors::LoadOk,
        log: Vec::new(),
    };

    load_descriptors(db, wallet_name, last_client_version, &mut records, &mut out);
    // An unknown descriptor may be what active records point at: stop here
    // so it is reported as such, not as corruption (as Core does).
    if out.result == DbErrors::UnknownDescriptor {
        return Err(err(out));
    }
    load_address_book(db, &mut records, &mut out);
    load_active_spks(db, &mut records, &mut out);
    load_master_keys(db, &mut records, &mut out);
    load_txs(db, &mut records, &mut out);

    records.best_block = match db.read_best_block() {
        Ok(l) => l,
        Err(e) => {
            out.fail(DbErrors::Corrupt, e.to_string());
            None
        }
    };

    if !out.result.is_loadable() {
        return Err(err(out));
    }
    records.status = out.result;
    records.log = out.log;
    Ok(records)
}

fn load_descriptors<S: KvStore + ?Sized>(
    db: &S,
    wallet_name: &str,
    last_client: Option<i32>,
    records: &mut WalletRecords,
    out: &mut Outcome,
) {
    for (key, value) in scan(
        db,
        types::WALLETDESCRIPTOR,
        &type_prefix(types::WALLETDESCRIPTOR),
        out,
    ) {
        let id = match DescriptorRecord::decode_key(&key) {
            Ok(id) => id,
            Err(e) => {
                out.fail(DbErrors::Corrupt, e.to_string());
                continue;
            }
        };
        let record = match DescriptorRecord::decode_value(id, &value) {
            Ok(r) => r,
            Err(e) => {
                out.fail(
                    DbErrors::UnknownDescriptor,
                    unknown_descriptor_log(wallet_name, last_client, &e.to_string()),
                );
                continue;
            }
        };

        let mut cache = DescriptorCache::default();
        let prefix = id_prefix(types::WALLETDESCRIPTORCACHE, &id);
        for (k, v) in scan(db, types::WALLETDESCRIPTORCACHE, &prefix, out) {
            match DescriptorCacheRecord::decode(&k, &v) {
                Ok(r) => match r.der_index {
                    None => {
                        cache.parent.insert(r.key_exp_index, r.xpub);
                    }
                    Some(i) => {
                        cache
                            .derived
                            .entry(r.key_exp_index)
                            .or_default()
                            .insert(i, r.xpub);
                    }
                },
                Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
            }
        }
        let prefix = id_prefix(types::WALLETDESCRIPTORLHCACHE, &id);
        for (k, v) in scan(db, types::WALLETDESCRIPTORLHCACHE, &prefix, out) {
            match DescriptorLhCacheRecord::decode(&k, &v) {
                Ok(r) => {
                    cache.last_hardened.insert(r.key_exp_index, r.xpub);
                }
                Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
            }
        }

        let mut keys = BTreeMap::new();
        let prefix = id_prefix(types::WALLETDESCRIPTORKEY, &id);
        for (k, v) in scan(db, types::WALLETDESCRIPTORKEY, &prefix, out) {
            match DescriptorKeyRecord::decode(&k, &v) {
                Ok(r) => {
                    keys.insert(r.pubkey, r.secret);
                }
                Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
            }
        }
        let mut crypted_keys = BTreeMap::new();
        let prefix = id_prefix(types::WALLETDESCRIPTORCKEY, &id);
        for (k, v) in scan(db, types::WALLETDESCRIPTORCKEY, &prefix, out) {
            match DescriptorCKeyRecord::decode(&k, &v) {
                Ok(r) => {
                    crypted_keys.insert(r.pubkey, r.crypted_secret);
                }
                Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
            }
        }
        records.descriptors.insert(
            id,
            LoadedDescriptor {
                record,
                cache,
                keys,
                crypted_keys,
            },
        );
    }
}

fn load_address_book<S: KvStore + ?Sized>(db: &S, records: &mut WalletRecords, out: &mut Outcome) {
    for (k, v) in scan(db, types::NAME, &type_prefix(types::NAME), out) {
        match NameRecord::decode(&k, &v) {
            Ok(r) => records.address_book.entry(r.address).or_default().label = Some(r.label),
            Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
        }
    }
    for (k, v) in scan(db, types::PURPOSE, &type_prefix(types::PURPOSE), out) {
        match PurposeRecord::decode(&k, &v) {
            Ok(r) => {
                let purpose = AddressPurpose::parse(&r.purpose);
                if purpose.is_none() {
                    // Logged, not an error: Core treats it as unset.
                    out.log.push(format!(
                        "Warning: nonstandard purpose string '{}' for address '{}'",
                        r.purpose, r.address
                    ));
                }
                records.address_book.entry(r.address).or_default().purpose = purpose;
            }
            Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
        }
    }
    for (k, v) in scan(db, types::DESTDATA, &type_prefix(types::DESTDATA), out) {
        match DestDataRecord::decode(&k, &v) {
            Ok(r) => {
                if r.key == "used" {
                    records
                        .address_book
                        .entry(r.address)
                        .or_default()
                        .previously_spent = true;
                } else if let Some(id) = r.key.strip_prefix("rr") {
                    records
                        .address_book
                        .entry(r.address)
                        .or_default()
                        .receive_requests
                        .insert(id.to_string(), r.value);
                }
                // Other sub-keys are ignored, as in Core.
            }
            Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
        }
    }
}

fn load_active_spks<S: KvStore + ?Sized>(db: &S, records: &mut WalletRecords, out: &mut Outcome) {
    for ty in [types::ACTIVEEXTERNALSPK, types::ACTIVEINTERNALSPK] {
        for (k, v) in scan(db, ty, &type_prefix(ty), out) {
            let r = match ActiveSpkRecord::decode(&k, &v) {
                Ok(r) => r,
                Err(e) => {
                    out.fail(DbErrors::Corrupt, e.to_string());
                    continue;
                }
            };
            if !records.descriptors.contains_key(&r.id) {
                out.fail(
                    DbErrors::Corrupt,
                    format!(
                        "Active ScriptPubKeyMan {} is not a descriptor of this wallet",
                        u256_to_display_hex(&r.id)
                    ),
                );
                continue;
            }
            let map = if r.internal {
                &mut records.active_internal
            } else {
                &mut records.active_external
            };
            // Two keys can only map to one type if a key has trailing bytes.
            if map.insert(r.output_type, r.id).is_some() {
                out.fail(
                    DbErrors::Corrupt,
                    "Multiple ScriptpubKeyMans specified for a single type",
                );
            }
        }
    }
}

fn load_master_keys<S: KvStore + ?Sized>(db: &S, records: &mut WalletRecords, out: &mut Outcome) {
    for (k, v) in scan(db, types::MASTER_KEY, &type_prefix(types::MASTER_KEY), out) {
        match MasterKeyRecord::decode(&k, &v) {
            Ok(r) => {
                if records.master_keys.contains_key(&r.id) {
                    out.fail(
                        DbErrors::Corrupt,
                        format!(
                            "Error reading wallet database: duplicate CMasterKey id {}",
                            r.id
                        ),
                    );
                } else {
                    records.master_keys.insert(r.id, r.master_key);
                }
            }
            Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
        }
    }
}

fn load_txs<S: KvStore + ?Sized>(db: &S, records: &mut WalletRecords, out: &mut Outcome) {
    for (k, v) in scan(db, types::TX, &type_prefix(types::TX), out) {
        let rec = match TxRecord::decode(&k, &v) {
            Ok(r) => r,
            Err(e) => {
                out.fail(DbErrors::Corrupt, e.to_string());
                continue;
            }
        };
        if rec.wtx.txid() != rec.txid {
            // The record is unusable but a rescan finds the transaction again.
            out.fail(
                DbErrors::NeedRescan,
                format!("Transaction {} does not match its stored txid", rec.txid),
            );
            continue;
        }
        if records.txs.insert(rec.txid, rec.wtx).is_some() {
            out.fail(
                DbErrors::Corrupt,
                "Error: Corrupt transaction found. This can be fixed by removing transactions from wallet and rescanning.",
            );
        }
    }
    for (k, v) in scan(
        db,
        types::LOCKED_UTXO,
        &type_prefix(types::LOCKED_UTXO),
        out,
    ) {
        match LockedUtxoRecord::decode(&k, &v) {
            Ok(r) => {
                records.locked_utxos.insert(r.outpoint);
            }
            Err(e) => out.fail(DbErrors::Corrupt, e.to_string()),
        }
    }
    for (k, v) in scan(
        db,
        types::ORDERPOSNEXT,
        &type_prefix(types::ORDERPOSNEXT),
        out,
    ) {
        // Core reads the first field only; a bad value loses just this hint.
        match split_key(&k).and_then(|_| OrderPosNextRecord::decode(&k, &v)) {
            Ok(r) => records.order_pos_next = Some(r.0),
            Err(e) => out.fail(DbErrors::NoncriticalError, e.to_string()),
        }
    }
}
