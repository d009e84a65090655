//! JSON-RPC error codes and the error value every handler returns.

use serde_json::{json, Value};
use std::fmt;

/// Error codes with the numbers Bitcoin Core uses on the wire.
pub mod code {
    /// The request is not a valid JSON-RPC request.
    pub const INVALID_REQUEST: i32 = -32600;
    /// No method of that name.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Invalid method parameters (Core also uses it for some argument checks).
    pub const INVALID_PARAMS: i32 = -32602;
    /// An internal error.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// The request body is not valid JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// An error while running the method (Core's `std::exception` in a handler).
    pub const MISC_ERROR: i32 = -1;
    /// A parameter of an unexpected type.
    pub const TYPE_ERROR: i32 = -3;
    /// An unspecified wallet problem.
    pub const WALLET_ERROR: i32 = -4;
    /// An invalid address or key (also: unknown block or transaction).
    pub const INVALID_ADDRESS_OR_KEY: i32 = -5;
    /// Ran out of memory during the operation.
    pub const OUT_OF_MEMORY: i32 = -7;
    /// An invalid, missing or duplicate parameter.
    pub const INVALID_PARAMETER: i32 = -8;
    /// The node has no peers.
    pub const CLIENT_NOT_CONNECTED: i32 = -9;
    /// The node is still downloading the initial blocks.
    pub const CLIENT_IN_INITIAL_DOWNLOAD: i32 = -10;
    /// No wallet of that name.
    pub const WALLET_NOT_FOUND: i32 = -18;
    /// Not enough funds in the wallet or account.
    pub const WALLET_INSUFFICIENT_FUNDS: i32 = -6;
    /// Invalid label name.
    pub const WALLET_INVALID_LABEL_NAME: i32 = -11;
    /// The keypool ran out.
    pub const WALLET_KEYPOOL_RAN_OUT: i32 = -12;
    /// The wallet must be unlocked first.
    pub const WALLET_UNLOCK_NEEDED: i32 = -13;
    /// Wrong passphrase.
    pub const WALLET_PASSPHRASE_INCORRECT: i32 = -14;
    /// Encryption command on an unencrypted wallet or the reverse.
    pub const WALLET_WRONG_ENC_STATE: i32 = -15;
    /// Encrypting the wallet failed.
    pub const WALLET_ENCRYPTION_FAILED: i32 = -16;
    /// The wallet is unlocked already.
    pub const WALLET_ALREADY_UNLOCKED: i32 = -17;
    /// The wallet is loaded already.
    pub const WALLET_ALREADY_LOADED: i32 = -35;
    /// A wallet of that name exists already.
    pub const WALLET_ALREADY_EXISTS: i32 = -36;
    /// Several wallets are loaded and the request names none.
    pub const WALLET_NOT_SPECIFIED: i32 = -19;
    /// A database error.
    pub const DATABASE_ERROR: i32 = -20;
    /// Raw data (a transaction, block or PSBT) that does not parse or validate.
    pub const DESERIALIZATION_ERROR: i32 = -22;
    /// A general error while submitting a transaction or block.
    pub const VERIFY_ERROR: i32 = -25;
    /// A transaction or block rejected by the network rules.
    pub const VERIFY_REJECTED: i32 = -26;
    /// The transaction's outputs are already in the UTXO set.
    pub const VERIFY_ALREADY_IN_UTXO_SET: i32 = -27;
    /// The node is still starting up.
    pub const IN_WARMUP: i32 = -28;
    /// The peer to disconnect is not connected.
    pub const CLIENT_NODE_NOT_CONNECTED: i32 = -29;
    /// The method is deprecated.
    pub const METHOD_DEPRECATED: i32 = -32;
    /// The node has no mempool.
    pub const CLIENT_MEMPOOL_DISABLED: i32 = -33;
    /// A request over a limit of the method.
    pub const LIMIT_EXCEEDED: i32 = -37;
}

/// A JSON-RPC error: a code from [`code`] and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// Numeric code, as in Core's `RPCErrorCode`.
    pub code: i32,
    /// Message text, matching Core's where Core has one.
    pub message: String,
}

impl RpcError {
    /// An error with the given code and message.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }
    /// `RPC_MISC_ERROR` (-1), what Core answers for a generic runtime error.
    pub fn misc(message: impl Into<String>) -> Self {
        Self::new(code::MISC_ERROR, message)
    }
    /// `RPC_INVALID_PARAMETER` (-8).
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMETER, message)
    }
    /// `RPC_TYPE_ERROR` (-3).
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(code::TYPE_ERROR, message)
    }
    /// `RPC_INVALID_ADDRESS_OR_KEY` (-5).
    pub fn invalid_address_or_key(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_ADDRESS_OR_KEY, message)
    }
    /// `RPC_DESERIALIZATION_ERROR` (-22).
    pub fn deserialization(message: impl Into<String>) -> Self {
        Self::new(code::DESERIALIZATION_ERROR, message)
    }
    /// The JSON object `{"code": .., "message": ..}` sent in replies.
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}

/// Result type of RPC handlers.
pub type RpcResult<T = Value> = Result<T, RpcError>;
