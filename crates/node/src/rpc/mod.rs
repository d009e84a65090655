//! The node's RPC methods, grouped by area (the mining RPCs live in the
//! `mining` crate, the chain-independent ones in `utility-rpc`), and the HTTP
//! server wiring in [`server`].

use std::path::Path;
use std::sync::Arc;

use chainstate_service::{ChainView, NodeChain};
use common::args::ArgsManager;
use common::shutdown::Shutdown;
use rpc::RpcTable;

pub mod assumeutxo;
pub mod block_read;
pub mod blockchain;
pub mod blockfiles;
pub mod chain;
pub mod coinstats;
pub mod control;
pub mod deployment;
pub mod descriptoractivity;
pub mod fees;
pub mod index;
pub mod ipc;
pub mod logging;
pub mod mempool;
pub mod net;
pub mod rawtx;
pub mod scanblocks;
pub mod server;
pub mod snapshot;
pub mod spending;
pub mod stats;
pub mod utxo;
pub mod zmq;

/// Registers the RPCs over the chainstate and the indexes: blockchain, block
/// storage, statistics, UTXO set, deployments, index and descriptor scans.
pub fn register_chain(
    table: &RpcTable,
    chain: &Arc<NodeChain>,
    shutdown: &Arc<Shutdown>,
    args: &ArgsManager,
    net_dir: &Path,
    network: bitcoin::Network,
) {
    index::register(table, chain.clone());
    blockfiles::register(table, chain.clone(), args);
    scanblocks::register(table, chain.clone(), network);
    let view: Arc<dyn ChainView> = chain.clone();
    self::chain::register(table, view, shutdown.clone());
    blockchain::register(table, chain.clone(), shutdown.clone(), network);
    coinstats::register(table, chain.clone());
    stats::register(table, chain.clone());
    deployment::register(table, chain.clone());
    descriptoractivity::register(table, chain.clone(), network);
    spending::register(table, chain.clone());
    snapshot::register(table, chain.clone(), net_dir.to_path_buf());
    assumeutxo::register(table, chain.clone(), net_dir.to_path_buf());
}
