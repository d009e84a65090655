//! Traits and plain data types through which the node, wallet and GUI talk to each
//! other. Every trait here has an in-process implementation and an IPC proxy; callers
//! cannot tell them apart, so every method returns [`Result`] with [`Error`].

pub mod chain;
pub mod common;
pub mod echo;
pub mod handler;
pub mod init;
pub mod mining;
pub mod node;
pub mod rpc;
pub mod testing;
pub mod wallet;

pub use common::{BilingualStr, FeeRate, GlobalArgs, Outcome, Settings};

use std::fmt;

/// Why a call across a process boundary did not produce a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The other process went away (socket closed, process died).
    Disconnected,
    /// The remote side ran the call and reported a failure with this message.
    Remote(String),
    /// The call was canceled before it completed (shutdown or interrupt).
    Canceled,
    /// A JSON-RPC error object (`{"code": …, "message": …}` as JSON text)
    /// for the RPC server to answer with: Core's thrown `UniValue`.
    Rpc(String),
    /// An RPC method's help text, asked for by the help request: Core's
    /// thrown `HelpResult`.
    Help(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Disconnected => f.write_str("peer disconnected"),
            Error::Remote(msg) => f.write_str(msg),
            Error::Canceled => f.write_str("call canceled"),
            Error::Rpc(json) => f.write_str(json),
            Error::Help(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}

/// Result of a call through one of the interfaces in this crate.
pub type Result<T> = std::result::Result<T, Error>;
