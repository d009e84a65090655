//! `bitcoin-node`: start-up, shutdown and the node's own RPCs, wired from the
//! framework crates (`common`, `rpc`, `utility-rpc`).

pub mod chain_view;
pub mod daemon;
pub mod datadir;
pub mod indexes;
pub mod init;
pub mod ipc_setup;
pub mod logging_setup;
pub mod miner;
pub mod mining_service;
pub mod node_chain;
pub mod p2p_backend;
pub mod rpc_blockchain;
pub mod rpc_chain;
pub mod rpc_coinstats;
pub mod rpc_coinstats_index;
pub mod rpc_control;
pub mod rpc_fees;
pub mod rpc_index;
pub mod rpc_ipc;
pub mod rpc_logging;
pub mod rpc_mempool;
pub mod rpc_mining;
pub mod rpc_net;
pub mod rpc_p2p;
pub mod rpc_rawtx;
pub mod rpc_scanblocks;
pub mod rpc_server;
pub mod shutdown;
pub mod signals;
