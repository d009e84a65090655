//! The P2P layer of `bitcoin-node`: Bitcoin's v1 and BIP324 v2 transports, the connection
//! manager (listening, `-connect`, `-addnode`), and message processing for the
//! version handshake, headers-first block sync, block and transaction relay.
//!
//! The layer knows the rest of the node only through [`NodeBackend`]; the node
//! tells it about new tips and RPC-submitted transactions through [`NetHandle`].
//!
//! Threads: one tokio runtime (`net`) owns the sockets; one `msghand` thread
//! processes messages in order and is the only caller of the backend.

#![warn(missing_docs)]

pub mod addrman;
pub mod backend;
pub mod banman;
pub mod capture;
pub mod clock;
pub mod compact;
pub mod config;
pub mod connection;
pub mod connman;
pub mod handle;
pub mod known;
pub mod message;
pub mod netaddr;
mod onion;
pub mod orphanage;
mod outbound;
pub mod peer;
pub mod processing;
pub mod proxies;
pub mod v2cipher;
pub mod v2transport;
pub mod wire;

pub use backend::{
    BlockAccepted, BlockProcessed, FeeFloor, NodeBackend, PackageAccepted, Rejected, TxRef,
};
pub use config::NetConfig;
pub use connman::NetManager;
pub use handle::{AddedNodeError, LateNetHandle, NetHandle};
pub use peer::{ConnectionType, Peer, PeerId, PeerStats, TransportType};
pub use processing::PROTOCOL_VERSION;
