//! The chainstate as a service to the rest of the node: [`NodeChain`] owns the
//! `chain::Chainstate` and the `mempool::Mempool` (always locked in that
//! order), reads the chainstate options, wakes tip waiters and tells the P2P
//! layer (through [`Peers`]) about new tips. RPC, P2P, IPC, mining and the
//! indexes all use it; it knows none of them. [`signals`] delivers its
//! validation events to clients (wallets) in order.

mod broadcast;
mod chain_view;
pub mod lanes;
mod node_chain;
mod peers;
pub mod signals;
pub mod warnings;

pub use broadcast::{BroadcastError, Relay};
pub use chain_view::ChainView;
pub use node_chain::{NodeChain, PRUNE_TARGET_MANUAL};
pub use peers::Peers;
