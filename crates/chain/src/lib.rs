//! The chainstate: the tree of known blocks, the write-back coins cache,
//! block connection with every consensus rule, and best-chain selection, on
//! top of `consensus` (rules) and `blockstore` (files and database).
//!
//! Modules:
//! - [`index`]: block index arena with skip pointers.
//! - [`coins`]: coins cache and per-block overlay.
//! - [`connect`]: `ConnectBlock` / `DisconnectBlock`.
//! - [`chainstate`]: loading, accessors, flushing.
//! - [`prune`]: deleting old block files (`-prune`).
//! - [`assumeutxo`]: snapshot chainstate (`loadtxoutset`) and its
//!   background validation.
//! - [`coinstats`] and [`muhash`]: UTXO set statistics and set hashes.
//! - `accept` and `activate`: block and header acceptance, chain selection,
//!   `invalidateblock` / `reconsiderblock` / `preciousblock`.

mod accept;
mod activate;
pub mod assumeutxo;
pub mod chainstate;
pub mod coins;
pub mod coinstats;
pub mod connect;
pub mod error;
pub mod import;
pub mod index;
pub mod muhash;
pub mod prune;
pub mod rollback;
pub mod verify;

pub use accept::Processed;
pub use chainstate::{ChainListener, Chainstate, ChainstateConfig};
pub use error::{ChainError, Result};
pub use import::Imported;
pub use index::{BlockId, BlockIndex, IndexEntry};
