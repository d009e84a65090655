//! Consensus rules as pure functions over blocks, headers and coins, with Bitcoin
//! Core's reject reasons. No storage and no I/O: the chainstate calls in.

pub mod coin;

pub use coin::{Coin, CoinsView};
