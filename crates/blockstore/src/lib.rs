//! Block storage for the node: Core-format block and undo files
//! (`blocks/blk?????.dat`, `blocks/rev?????.dat`, obfuscated with
//! `blocks/xor.dat`) and the embedded crash-safe database holding the block
//! index and the UTXO set.
//!
//! * [`flatfile`] — numbered files, positions, the obfuscation key.
//! * [`blockfiles`] — writing/reading blocks and undo records, per-file
//!   statistics, scanning for reindex and `-loadblock`.
//! * [`undo`] — undo records in Core's serialization.
//! * [`compress`] — Core's VARINT, amount/script/output compression.
//! * [`store`] — the block-index/UTXO database with one atomic batch write.
//! * [`error`] — [`StoreError`].

pub mod blockfiles;
/// The coin and output compression codec (it lives in `consensus`, where the
/// wallet and IPC reach it too).
pub use consensus::compress;
pub mod error;
pub mod flatfile;
pub mod store;
pub mod undo;

pub use blockfiles::{
    scan_external_block_file, BlockFileInfo, BlockFileScan, BlockFiles, BlockScanner,
    FASTPRUNE_BLOCKFILE_SIZE, MAX_BLOCKFILE_SIZE,
};
pub use error::StoreError;
pub use flatfile::{FlatFilePos, XorKey, XorSetting};
pub use store::{status, CoinsCursor, CoinsReader, DbCaches, DiskBlockIndex, Store, WriteBatch};
pub use undo::{BlockUndo, TxUndo};
