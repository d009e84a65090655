//! The node's implementations of the interfaces it serves to other
//! processes: `Chain` for wallets ([`chain`]), `Node` for GUIs ([`node`]),
//! and what they share: the UI notification hub ([`ui`]), block lookups
//! ([`blocks`]), event delivery ([`notify`]), RPC methods other processes
//! register ([`rpc_actor`]) and registration handles ([`registration`]).

pub mod blocks;
pub mod chain;
pub mod node;
pub mod notify;
pub mod registration;
pub mod rpc_actor;
pub mod rpc_route;
pub mod ui;

use chainstate_service::NodeChain;
use common::args::ArgsManager;
use common::shutdown::Shutdown;
use rpc::table::RpcTable;
use std::sync::Arc;

/// Everything the served interfaces read and act on.
pub struct Services {
    /// Chainstate and mempool.
    pub chain: Arc<NodeChain>,
    /// Options and settings.
    pub args: Arc<ArgsManager>,
    /// The RPC table (wallet methods join it; the GUI console runs it).
    pub table: Arc<RpcTable>,
    /// Shutdown requests.
    pub shutdown: Arc<Shutdown>,
    /// UI callbacks.
    pub ui: Arc<ui::UiSignals>,
    /// `nTimeMax` cache for block lookups.
    pub time_max: Arc<blocks::TimeMax>,
    /// Methods registered over IPC.
    pub actors: Arc<rpc_actor::ActorMethods>,
    /// The P2P layer.
    pub net: net::handle::NetHandle,
    /// Outbound proxies.
    pub proxies: net::proxies::NetworkProxies,
    /// The wallet process, for `Node.walletLoader` (never attached with
    /// `-disablewallet`).
    pub wallet: Arc<crate::wallet_link::WalletLink>,
}

impl Services {
    /// The `Chain` a wallet process gets (the `Node` a GUI gets is a
    /// [`node::NodeApi`] on a [`node::NodeHost`]).
    pub fn chain_api(self: &Arc<Self>) -> Box<dyn interfaces::chain::Chain> {
        self.chain_client().0
    }

    /// A `Chain` for one client process, and the id its RPC declarations
    /// carry (which tells the processes declaring one method apart).
    pub fn chain_client(self: &Arc<Self>) -> (Box<dyn interfaces::chain::Chain>, u64) {
        static NEXT_CLIENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_CLIENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (Box::new(chain::ChainApi(self.clone(), id)), id)
    }
}
