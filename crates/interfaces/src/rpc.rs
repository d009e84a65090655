//! `Rpc`: JSON-RPC requests executed as the HTTP server would (used by
//! `bitcoin-cli -ipcconnect`).

use crate::Result;

/// Runs JSON-RPC requests.
pub trait Rpc: Send + Sync {
    /// Executes `request` (a JSON-RPC object or batch) for `uri` (`/` or
    /// `/wallet/<name>`) as `user`, returning the JSON reply text.
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String>;
}

impl<T: Rpc + ?Sized> Rpc for std::sync::Arc<T> {
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String> {
        (**self).execute_rpc(request, uri, user)
    }
}
