//! ZeroMQ notifications as Core publishes them (`-zmqpub<type>=<address>`):
//! `hashblock`, `hashtx`, `rawblock`, `rawtx` and `sequence` messages of
//! three parts (topic, body, the notifier's 32-bit little-endian message
//! number) on PUB sockets speaking ZMTP 3.0, fed by the node's validation
//! events. See `doc/zmq.md`.

pub mod endpoint;
pub mod notifier;
pub mod socket;
pub mod zmtp;

pub use notifier::{configs_from_args, Kind, NotifierConfig, ZmqNotifications, DEFAULT_HWM};
