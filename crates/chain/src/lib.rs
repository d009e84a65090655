//! The chainstate: the tree of known blocks and, later, the coins cache, block
//! connection and best-chain selection built on `consensus` and `blockstore`.

pub mod index;

pub use index::{BlockId, BlockIndex, IndexEntry};
