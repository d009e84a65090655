//! Mining: the block assembler (Core's `BlockAssembler`), building and solving
//! blocks, the `-block*` options, the IPC `Mining` service, and the mining
//! RPCs. It works on the shared chainstate and mempool of
//! `chainstate-service` and knows nothing of the node that wires it.

pub mod args;
pub mod assembler;
pub mod miner;
pub mod rpc;
pub mod service;

pub use args::MiningArgs;
pub use assembler::BlockAssembler;
pub use service::NodeMining;
