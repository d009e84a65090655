//! Starting the P2P layer: its options, the connection manager over the
//! node's [`net::NodeBackend`], and the network RPCs that need the running
//! manager.

use std::sync::Arc;

use common::args::ArgsManager;
use common::chaintype::ChainType;
use net::{NetConfig, NetHandle, NetManager, NodeBackend};
use rpc::RpcTable;

/// The running P2P layer; dropping it closes every connection.
pub struct P2p {
    manager: NetManager,
}

impl P2p {
    /// Handle for notifications (new tip, RPC-submitted transactions).
    pub fn handle(&self) -> NetHandle {
        self.manager.handle()
    }
}

/// Starts P2P networking with `backend` and registers the network RPCs.
/// Errors are init-error texts (bad options, ports that cannot be bound).
pub fn start(
    table: &RpcTable,
    args: &ArgsManager,
    params: &consensus::Params,
    subversion: String,
    backend: Arc<dyn NodeBackend>,
) -> Result<P2p, String> {
    let config = NetConfig::from_args(args, params, subversion)?;
    let v2_enabled = args.get_bool_arg("-v2transport", true);
    let bantime = args.get_int_arg("-bantime", net::banman::DEFAULT_BANTIME);
    let manager = NetManager::start(config, backend.clone())?;
    crate::rpc::net::register_p2p(
        table,
        manager.handle(),
        backend,
        v2_enabled,
        bantime,
        params.chain == ChainType::Regtest,
    );
    Ok(P2p { manager })
}
