//! `bitcoin-node`: start-up, shutdown and the node's own RPCs, wired from the
//! framework crates (`common`, `rpc`, `utility-rpc`), the chainstate service,
//! mining and P2P.

pub mod api;
pub mod block_import;
pub mod daemon;
pub mod datadir;
pub mod indexes;
pub mod init;
pub mod ipc_setup;
pub mod logging_setup;
pub mod p2p;
pub mod p2p_backend;
pub mod rest;
pub mod rpc;
pub mod wallet_link;
pub mod wallet_process;
pub mod wallet_processes;
