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
    /// `destdata` `rr<id>`: receive requests by id (opaque bytes, the GUI's
    /// serialization).
    pub receive_requests: BTreeMap<String, Vec<u8>>,
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
/// Core's follow-up writes on load (version, reordering, cache upgrades,
/// erasing stray master keys of watch-only wallets) are the caller's: this
/// only reads. So is abandoning inactive coinbase transactions, which
/// needs the chain. EXTERNAL_SIGNER wallets always load: this build has
/// signer support, so [`DbErrors::ExternalSignerSupportRequired`] is never
/// the outcome.
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
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    records.master_keys.entry(r.id)
                {
                    slot.insert(r.master_key);
                } else {
                    out.fail(
                        DbErrors::Corrupt,
                        format!(
                            "Error reading wallet database: duplicate CMasterKey id {}",
                            r.id
                        ),
                    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::records::{tests::sample_tx, TxState, UINT256_ONE};
    use crate::db::sqlite::SqliteDatabase;
    use bitcoin::hashes::Hash;
    use bitcoin::secp256k1::{PublicKey, Secp256k1};
    use bitcoin::BlockHash;

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];
    const DEFAULT_FLAGS: u64 = flags::DESCRIPTORS | flags::LAST_HARDENED_XPUB_CACHED;

    fn db() -> SqliteDatabase {
        SqliteDatabase::open_in_memory(REGTEST).expect("opens")
    }

    fn xpub(tag: u8) -> ExtPubKeyBytes {
        let mut x = [tag; 74];
        x[41] = 2;
        ExtPubKeyBytes(x)
    }

    fn descriptor(tag: u8) -> DescriptorRecord {
        DescriptorRecord {
            id: [tag; 32],
            descriptor: format!("wpkh(tpub{tag}/0/*)#checksum"),
            creation_time: 1_700_000_000,
            next_index: 1,
            range_start: 0,
            range_end: 1001,
        }
    }

    fn wtx(tag: u8, state: TxState, n: i64) -> WalletTx {
        let mut w = WalletTx::new(sample_tx(true, tag), state);
        w.order_pos = Some(n);
        w.time_received = 1_700_000_000 + u32::from(tag);
        w
    }

    /// A wallet with every record type, written with the batch helpers.
    fn full_wallet() -> (SqliteDatabase, WalletRecords) {
        let mut db = db();
        let sk = SecretKey::from_slice(&[1u8; 32]).expect("valid");
        let pk = PublicKey::from_secret_key(&Secp256k1::new(), &sk)
            .serialize()
            .to_vec();
        let d1 = descriptor(1);
        let d2 = descriptor(2);
        let mk = MasterKey {
            crypted_key: vec![9; 48],
            salt: vec![8; 8],
            derivation_method: 0,
            derive_iterations: 25000,
            other_derivation_parameters: vec![],
        };
        let block = BlockHash::from_byte_array([0xbb; 32]);
        let txs = [
            wtx(
                1,
                TxState::Confirmed {
                    block_hash: block,
                    index: 1,
                },
                0,
            ),
            wtx(2, TxState::Inactive, 1),
            wtx(3, TxState::Abandoned, 2),
            wtx(4, TxState::Conflicted { block_hash: block }, 3),
        ];
        let locked = OutPoint {
            txid: txs[0].txid(),
            vout: 0,
        };
        let locator = Locator {
            hashes: vec![block, BlockHash::from_byte_array([0x0f; 32])],
        };
        db.run_in_txn(|t| {
            t.write_version(CLIENT_VERSION)?;
            t.write_wallet_flags(DEFAULT_FLAGS)?;
            t.write_descriptor(&d1)?;
            t.write_descriptor(&d2)?;
            t.write_descriptor_parent_cache(&d1.id, 0, &xpub(3))?;
            t.write_descriptor_derived_cache(&d1.id, 0, 7, &xpub(4))?;
            t.write_descriptor_last_hardened_cache(&d1.id, 0, &xpub(5))?;
            t.write_descriptor_parent_cache(&d2.id, 0, &xpub(6))?;
            assert!(t.write_descriptor_key(&d1.id, &pk, &sk)?);
            assert!(
                !t.write_descriptor_key(&d1.id, &pk, &sk)?,
                "keys are insert-only"
            );
            assert!(t.write_descriptor_key(&d2.id, &pk, &sk)?);
            assert!(t.write_crypted_descriptor_key(&d2.id, &pk, &[0xcc; 48])?);
            t.write_master_key(1, &mk)?;
            t.write_active_spk(OutputType::Bech32, &d1.id, false)?;
            t.write_active_spk(OutputType::Bech32, &d2.id, true)?;
            for w in &txs {
                t.write_tx(w)?;
            }
            t.write_locked_utxo(&locked)?;
            t.write_order_pos_next(4)?;
            t.write_name("bcrt1qa", "label a")?;
            t.write_purpose("bcrt1qa", "receive")?;
            t.write_address_previously_spent("bcrt1qa", true)?;
            t.write_address_receive_request("bcrt1qa", "1", b"request\xff")?;
            t.write_purpose("bcrt1qb", "send")?;
            t.write_best_block(&locator)?;
            // Record types Core ignores, and one no version knows.
            t.write(&type_prefix(types::MINVERSION), &[1, 2, 3, 4])?;
            t.write(&type_prefix("zzzfuture"), b"whatever")?;
            Ok::<_, crate::db::StorageError>(())
        })
        .expect("writes");

        let mut cache = DescriptorCache::default();
        cache.parent.insert(0, xpub(3));
        cache.derived.entry(0).or_default().insert(7, xpub(4));
        cache.last_hardened.insert(0, xpub(5));
        let mut d1_keys = BTreeMap::new();
        d1_keys.insert(pk.clone(), sk);
        let mut d2_ckeys = BTreeMap::new();
        d2_ckeys.insert(pk.clone(), vec![0xcc; 48]);
        let mut d2_cache = DescriptorCache::default();
        d2_cache.parent.insert(0, xpub(6));
        let mut descriptors = BTreeMap::new();
        descriptors.insert(
            d1.id,
            LoadedDescriptor {
                record: d1.clone(),
                cache,
                keys: d1_keys,
                crypted_keys: BTreeMap::new(),
            },
        );
        descriptors.insert(
            d2.id,
            LoadedDescriptor {
                record: d2.clone(),
                cache: d2_cache,
                keys: BTreeMap::new(),
                crypted_keys: d2_ckeys,
            },
        );
        let mut address_book = BTreeMap::new();
        address_book.insert(
            "bcrt1qa".to_string(),
            AddressBookEntry {
                label: Some("label a".into()),
                purpose: Some(AddressPurpose::Receive),
                previously_spent: true,
                receive_requests: [("1".to_string(), b"request\xff".to_vec())]
                    .into_iter()
                    .collect(),
            },
        );
        address_book.insert(
            "bcrt1qb".to_string(),
            AddressBookEntry {
                purpose: Some(AddressPurpose::Send),
                ..Default::default()
            },
        );
        let expected = WalletRecords {
            last_client_version: Some(CLIENT_VERSION),
            flags: DEFAULT_FLAGS,
            descriptors,
            address_book,
            active_external: [(OutputType::Bech32, d1.id)].into_iter().collect(),
            active_internal: [(OutputType::Bech32, d2.id)].into_iter().collect(),
            master_keys: [(1, mk)].into_iter().collect(),
            txs: txs.iter().map(|w| (w.txid(), w.clone())).collect(),
            locked_utxos: [locked].into_iter().collect(),
            order_pos_next: Some(4),
            best_block: Some(locator),
            status: DbErrors::LoadOk,
            log: vec![],
        };
        (db, expected)
    }

    #[test]
    fn loads_every_record() {
        let (db, expected) = full_wallet();
        let got = load_wallet(&db, "w").expect("loads");
        assert_eq!(got, expected);
        assert!(!got.any_unordered());
        // The crypted key erased the plaintext one of the same descriptor.
        assert!(got.descriptors[&[2u8; 32]].keys.is_empty());
    }

    fn expect_err(db: &SqliteDatabase, kind: DbErrors) -> LoadError {
        let e = load_wallet(db, "w").expect_err("fails");
        assert_eq!(e.kind, kind, "{e}");
        e
    }

    #[test]
    fn flag_outcomes() {
        let db = db();
        expect_err(&db, DbErrors::LegacyWallet);
        db.write_wallet_flags(flags::LAST_HARDENED_XPUB_CACHED)
            .expect("writes");
        let e = expect_err(&db, DbErrors::LegacyWallet);
        assert_eq!(
            e.message("/w/wallet.dat"),
            "Error loading /w/wallet.dat: Wallet is a legacy wallet. Please migrate to a descriptor wallet using the migration tool (migratewallet RPC)."
        );
        db.write_wallet_flags(DEFAULT_FLAGS | (1 << 40))
            .expect("writes");
        let e = expect_err(&db, DbErrors::TooNew);
        assert_eq!(
            e.message("f"),
            "Error loading f: Wallet requires newer version of Bitcoin Core"
        );
        // Unknown low bits are tolerated and kept.
        db.write_wallet_flags(DEFAULT_FLAGS | (1 << 20))
            .expect("writes");
        assert_eq!(
            load_wallet(&db, "w").expect("loads").flags,
            DEFAULT_FLAGS | (1 << 20)
        );
    }

    #[test]
    fn legacy_records_are_refused() {
        for ty in types::LEGACY_TYPES {
            let db = db();
            db.write_wallet_flags(DEFAULT_FLAGS).expect("writes");
            let mut key = type_prefix(ty);
            key.extend_from_slice(&[0x21, 0x02]);
            db.write(&key, b"x").expect("writes");
            let e = expect_err(&db, DbErrors::UnexpectedLegacyEntry);
            assert!(e.message("f").starts_with(
                "Unexpected legacy entry in descriptor wallet found. Loading wallet f\n\n"
            ));
        }
    }

    #[test]
    fn unreadable_descriptor_is_unknown_not_corrupt() {
        let (db, _) = full_wallet();
        let d = descriptor(1);
        db.write(&d.key(), &d.value()[..10]).expect("writes");
        let e = expect_err(&db, DbErrors::UnknownDescriptor);
        assert!(
            e.log[0].starts_with(
                "Error: Unrecognized descriptor found in wallet w. The database might be corrupted"
            ),
            "{e}"
        );
        assert!(e
            .message("f")
            .starts_with("Unrecognized descriptor found. Loading wallet f\n\n"));
        // A newer client wrote it: Core says so.
        db.write_version(CLIENT_VERSION + 10000).expect("writes");
        let e = expect_err(&db, DbErrors::UnknownDescriptor);
        assert!(
            e.log[0].contains("The wallet might have been created on a newer version."),
            "{e}"
        );
    }

    #[test]
    fn corrupt_records() {
        // An active descriptor that does not exist.
        let (db, _) = full_wallet();
        db.write_active_spk(OutputType::Bech32m, &[0x77; 32], false)
            .expect("writes");
        expect_err(&db, DbErrors::Corrupt);

        // A private key whose checksum does not match.
        let (db, _) = full_wallet();
        let rows = db
            .scan_prefix(&type_prefix(types::WALLETDESCRIPTORKEY))
            .expect("scans");
        let (k, mut v) = rows[0].clone();
        let last = v.len() - 1;
        v[last] ^= 0xff;
        db.write(&k, &v).expect("writes");
        let e = expect_err(&db, DbErrors::Corrupt);
        assert_eq!(e.log, vec!["Error reading wallet database: descriptor unencrypted key CPubKey/CPrivKey corrupt"]);
        assert_eq!(e.message("f"), "Error loading f: Wallet corrupted");

        // A transaction with a mapValue key Core does not know.
        let (db, _) = full_wallet();
        let w = wtx(9, TxState::Inactive, 9);
        let mut bytes = w.encode();
        // Rename "n" to "x": same length, so the rest still parses.
        let pos = bytes
            .windows(3)
            .position(|s| s == [0x01, b'n', 0x01])
            .expect("finds n");
        bytes[pos + 1] = b'x';
        db.write(&TxRecord::new(w).key(), &bytes).expect("writes");
        let e = expect_err(&db, DbErrors::Corrupt);
        assert_eq!(
            e.log,
            vec!["Unexpected value in CWalletTx strings value map"]
        );

        // A cache entry that is not an xpub, a truncated locked coin, a bad
        // master key.
        for (key, value) in [
            (
                DescriptorCacheRecord {
                    id: [1; 32],
                    key_exp_index: 9,
                    der_index: None,
                    xpub: xpub(1),
                }
                .key(),
                vec![1u8, 2],
            ),
            (type_prefix(types::LOCKED_UTXO), vec![0x31]),
            (
                MasterKeyRecord {
                    id: 2,
                    master_key: MasterKey {
                        crypted_key: vec![],
                        salt: vec![],
                        derivation_method: 0,
                        derive_iterations: 0,
                        other_derivation_parameters: vec![],
                    },
                }
                .key(),
                vec![0xff],
            ),
            (type_prefix(types::NAME), vec![]),
        ] {
            let (db, _) = full_wallet();
            db.write(&key, &value).expect("writes");
            expect_err(&db, DbErrors::Corrupt);
        }
    }

    #[test]
    fn non_critical_outcomes_still_load() {
        // A txid that does not match its transaction: rescan.
        let (db, expected) = full_wallet();
        let w = wtx(9, TxState::Inactive, 9);
        let mut rec = TxRecord::new(w);
        rec.txid = Txid::from_byte_array([0x99; 32]);
        db.write_record(&rec).expect("writes");
        let got = load_wallet(&db, "w").expect("loads");
        assert_eq!(got.status, DbErrors::NeedRescan);
        assert_eq!(got.txs, expected.txs);
        assert_eq!(
            DbErrors::NeedRescan.message("f").expect("warning"),
            "Error reading f! Transaction data may be missing or incorrect. Rescanning wallet."
        );

        // A bad orderposnext only loses that hint.
        let (db, _) = full_wallet();
        db.write(&type_prefix(types::ORDERPOSNEXT), &[1, 2, 3])
            .expect("writes");
        let got = load_wallet(&db, "w").expect("loads");
        assert_eq!(got.status, DbErrors::NoncriticalError);
        assert_eq!(got.order_pos_next, None);

        // A nonstandard purpose is logged and treated as unset.
        let (db, _) = full_wallet();
        db.write_purpose("bcrt1qa", "gift").expect("writes");
        let got = load_wallet(&db, "w").expect("loads");
        assert_eq!(got.status, DbErrors::LoadOk);
        assert_eq!(got.address_book["bcrt1qa"].purpose, None);
        assert_eq!(
            got.log,
            vec!["Warning: nonstandard purpose string 'gift' for address 'bcrt1qa'"]
        );

        // An unordered transaction is reported for renumbering.
        let (db, _) = full_wallet();
        let mut w = wtx(10, TxState::Inactive, 0);
        w.order_pos = None;
        db.write_tx(&w).expect("writes");
        assert!(load_wallet(&db, "w").expect("loads").any_unordered());
    }

    #[test]
    fn best_block_choice() {
        let db = db();
        db.write_wallet_flags(DEFAULT_FLAGS).expect("writes");
        assert_eq!(load_wallet(&db, "w").expect("loads").best_block, None);
        let a = Locator {
            hashes: vec![BlockHash::from_byte_array([1; 32])],
        };
        let b = Locator {
            hashes: vec![BlockHash::from_byte_array([2; 32])],
        };
        db.write_best_block(&a).expect("writes");
        assert_eq!(
            load_wallet(&db, "w").expect("loads").best_block,
            Some(a.clone())
        );
        // An old non-empty `bestblock` wins, as in Core's ReadBestBlock.
        db.write_record(&crate::db::records::BestBlockRecord {
            nomerkle: false,
            locator: b.clone(),
        })
        .expect("writes");
        assert_eq!(load_wallet(&db, "w").expect("loads").best_block, Some(b));
        let _ = UINT256_ONE;
    }

    #[test]
    fn erase_helpers() {
        let (db, _) = full_wallet();
        db.erase_address_data("bcrt1qa").expect("erases");
        db.erase_name("bcrt1qa").expect("erases");
        db.erase_purpose("bcrt1qa").expect("erases");
        db.erase_active_spk(OutputType::Bech32, true)
            .expect("erases");
        db.erase_master_key(1).expect("erases");
        let before = load_wallet(&db, "w").expect("loads");
        let first = *before.txs.keys().next().expect("a tx");
        db.erase_tx(&first).expect("erases");
        for op in &before.locked_utxos {
            db.erase_locked_utxo(op).expect("erases");
        }
        let got = load_wallet(&db, "w").expect("loads");
        assert!(!got.address_book.contains_key("bcrt1qa"));
        assert!(got.active_internal.is_empty());
        assert!(got.master_keys.is_empty());
        assert!(!db.is_encrypted().expect("reads"));
        assert!(!got.txs.contains_key(&first));
        assert!(got.locked_utxos.is_empty());
        db.erase_records(&[types::TX]).expect("erases");
        assert!(load_wallet(&db, "w").expect("loads").txs.is_empty());
    }
}
