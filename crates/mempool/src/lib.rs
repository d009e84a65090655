//! The transaction memory pool: transactions accepted against the chain tip
//! (`accept`), kept in acceptance order, removed when mined and returned when
//! their block is disconnected (`pool`). Full relay policy (RBF, package and
//! ancestor limits, eviction) grows here.

mod accept;
mod diagram;
pub mod dust;
pub mod fee_estimator;
mod input_standard;
mod options;
pub mod package;
mod persist;
pub mod pool;
mod prioritise;
mod size_limit;
pub mod standard;
mod truc;

pub use accept::{Accepted, ClusterChunk, Policy, MAX_STANDARD_TX_WEIGHT};
pub use package::{PackageOutcome, PackageTxResult};
pub use persist::{LoadOptions, LoadStats};
pub use pool::{Entry, Mempool, PoolCoins, PoolEvents, RemovalReason, SharedFeeEstimator};
pub use prioritise::Prioritised;
pub use size_limit::{check_max_mempool, DEFAULT_MAX_MEMPOOL_MB};
