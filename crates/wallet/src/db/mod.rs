//! `wallet.dat` storage in Bitcoin Core's format, so Core and this wallet
//! open each other's files.
//!
//! * [`sqlite`]: the container. One SQLite file with Core's single
//!   `main(key, value)` table, opened with Core's checks, exclusive lock and
//!   error texts; raw reads, writes, prefix scans, atomic batches, backup.
//! * [`ser`]: Core's serialization primitives (CompactSize, strings, …).
//! * [`records`]: typed codecs for every record type, byte-exact to Core.
//! * [`load`]: reads a whole wallet into [`load::WalletRecords`], with
//!   Core's load order and error classes (`DBErrors`).
//! * [`batch`]: writing each record type, directly or inside a batch.
//! * [`dump`]: `bitcoin-wallet dump` / `createfromdump` files.
//! * [`bdb`]: a read-only reader of legacy Berkeley DB wallet files, for
//!   `migratewallet`.
//!
//! Descriptor strings, ids and cache expansion belong to the keys module;
//! this module stores and returns them as Core wrote them.
//!
//! Against real Core wallets: set `CORE_BITCOIND` (and optionally
//! `CORE_BITCOIN_WALLET`) to binaries built with wallet support and run
//! `cargo test -p wallet core_interop`; without them that test only prints
//! a note.

pub mod batch;
pub mod bdb;
pub mod dump;
pub mod load;
pub mod records;
pub mod ser;
pub mod sqlite;

#[cfg(test)]
mod core_interop;

pub use batch::WalletBatch;
pub use load::{load_wallet, DbErrors, LoadError, WalletRecords};
pub use sqlite::{DatabaseOptions, KvPairs, KvStore, OpenError, SqliteDatabase, StorageError, Txn};
