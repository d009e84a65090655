//! JSON-RPC framework shared by the node and the wallet: method descriptions,
//! parameter checking and named-parameter mapping, help, the method table, and the
//! HTTP server with Core's authentication and reply rules. Nothing here knows about
//! the chain; the node and the wallet register their methods into an [`RpcTable`].

pub mod duplicate_keys;
pub mod error;
pub mod json;
pub mod method;
pub mod params;
pub mod request;
pub mod result_doc;
pub mod table;

pub use error::{code, RpcError, RpcResult};
pub use method::{Arg, ArgType, Fallback, RpcMethod};
pub use params::{CheckedObject, Deferred, FromParam, RpcParams, StrictObject};
pub use request::{JsonRpcVersion, RpcRequest};
pub use table::RpcTable;
pub mod auth;
pub mod http;
pub mod httprpc;
