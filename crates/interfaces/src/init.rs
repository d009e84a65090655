//! `Init`: the first object a process serves to a peer that connects to it or
//! spawns it; every other interface is obtained through it.

use crate::chain::Chain;
use crate::echo::Echo;
use crate::mining::Mining;
use crate::node::Node;
use crate::rpc::Rpc;
use crate::wallet::WalletLoader;
use crate::{GlobalArgs, Result};

/// Factory of a process's services. `Ok(None)` means the service is not
/// available in this process (sent as a null capability).
pub trait Init: Send + Sync {
    /// An `Echo` object.
    fn make_echo(&self) -> Result<Option<Box<dyn Echo>>> {
        Ok(None)
    }
    /// The mining interface; waits until the chainstate is loaded, `None`
    /// during shutdown.
    fn make_mining(&self) -> Result<Option<Box<dyn Mining>>> {
        Ok(None)
    }
    /// The JSON-RPC interface.
    fn make_rpc(&self) -> Result<Option<Box<dyn Rpc>>> {
        Ok(None)
    }
    /// The chain interface for a wallet process.
    fn make_chain(&self) -> Result<Option<Box<dyn Chain>>> {
        Ok(None)
    }
    /// The node interface for a GUI process.
    fn make_node(&self) -> Result<Option<Box<dyn Node>>> {
        Ok(None)
    }
    /// A wallet process's loader, given the parent's arguments and the
    /// node's chain.
    fn make_wallet_loader(
        &self,
        _global_args: &GlobalArgs,
        _chain: Box<dyn Chain>,
    ) -> Result<Option<Box<dyn WalletLoader>>> {
        Ok(None)
    }
}
