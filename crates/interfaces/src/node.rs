//! `Node`: what a GUI process asks of the node, the callbacks it registers
//! for the node's notifications, and `ExternalSigner` (Core's
//! `interfaces::Node`, `node.capnp`).

use crate::handler::Handler;
use crate::wallet::WalletLoader;
use crate::{BilingualStr, FeeRate, GlobalArgs, Result};
use bitcoin::{BlockHash, OutPoint, Transaction};

/// A network address or subnet as text (`1.2.3.4`, `[::1]:8333`,
/// `10.0.0.0/8`, `xyz.onion`); on the wire its UTF-8 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NetAddress(pub String);

/// An outbound proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyInfo {
    /// Its address.
    pub proxy: NetAddress,
    /// Whether Tor stream isolation is on (`-proxyrandomize`).
    pub tor_stream_isolation: bool,
}

/// What the node knows of a peer's sync state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStateStats {
    /// Height of the last block we both have in common, as synced.
    pub sync_height: i32,
    /// Height of the last common block.
    pub common_height: i32,
    /// The peer's height when it connected.
    pub starting_height: i32,
    /// Microseconds the current ping has been waiting.
    pub ping_wait: i64,
    /// Heights of blocks in flight from it.
    pub height_in_flight: Vec<i32>,
    /// Addresses processed.
    pub addresses_processed: u64,
    /// Addresses dropped by the rate limit.
    pub addresses_rate_limited: u64,
    /// Whether we relay addresses to it.
    pub address_relay_enabled: bool,
    /// Services it offers.
    pub their_services: u64,
    /// Height of its headers presync (-1 if none).
    pub presync_height: i64,
    /// Its clock's offset from ours, in seconds.
    pub time_offset: i64,
}

/// One connected peer (Core's `CNodeStats`, the GUI's peers table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Peer id.
    pub nodeid: i64,
    /// Time of the last message sent (seconds).
    pub last_send: i64,
    /// Time of the last message received.
    pub last_recv: i64,
    /// Time of its last new transaction.
    #[doc(alias = "lastTXTime")]
    pub last_tx_time: i64,
    /// Time of its last new block.
    pub last_block_time: i64,
    /// When it connected.
    pub time_connected: i64,
    /// Its address as given.
    pub addr_name: String,
    /// Protocol version.
    pub version: i32,
    /// Sanitized user agent.
    pub clean_sub_ver: String,
    /// Whether it connected to us.
    pub inbound: bool,
    /// BIP152 high-bandwidth mode towards it.
    pub bip152_highbandwidth_to: bool,
    /// BIP152 high-bandwidth mode from it.
    pub bip152_highbandwidth_from: bool,
    /// Its height when it connected.
    pub starting_height: i32,
    /// Bytes sent.
    pub send_bytes: u64,
    /// Bytes sent per message type.
    pub send_bytes_per_msg_type: Vec<(String, u64)>,
    /// Bytes received.
    pub recv_bytes: u64,
    /// Bytes received per message type.
    pub recv_bytes_per_msg_type: Vec<(String, u64)>,
    /// Permission flags.
    pub permission_flags: i32,
    /// Last ping time (microseconds).
    pub ping_time: i64,
    /// Lowest ping time.
    pub min_ping_time: i64,
    /// Our address as it sees it.
    pub addr_local: String,
    /// Its address.
    pub addr: NetAddress,
    /// Our address the connection is bound to.
    pub addr_bind: NetAddress,
    /// Its network.
    pub network: i32,
    /// Its AS number (asmap).
    pub mapped_as: u32,
    /// Connection type.
    pub conn_type: i32,
    /// Transport (v1, v2).
    pub transport_type: u8,
    /// BIP324 session id.
    pub session_id: String,
    /// Sync state, when the node has it.
    pub state_stats: Option<NodeStateStats>,
}

/// The ban list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Banmap {
    /// As `listbanned` answers it (JSON text).
    pub json: String,
}

/// A block tip as the GUI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTip {
    /// Height.
    pub block_height: i32,
    /// Header time.
    pub block_time: i64,
    /// Hash.
    pub block_hash: BlockHash,
}

/// Tips at the end of `appInitMain`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlockAndHeaderTipInfo {
    /// Block tip height.
    pub block_height: i32,
    /// Block tip time.
    pub block_time: i64,
    /// Header tip height.
    pub header_height: i32,
    /// Header tip time.
    pub header_time: i64,
    /// Verification progress.
    pub verification_progress: f64,
}

/// The answer of [`Node::app_init_main`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppInitMain {
    /// Tips once started.
    pub tip_info: BlockAndHeaderTipInfo,
    /// Whether the node started.
    #[doc(alias = "result")]
    pub started: bool,
}

/// A local address we advertise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalServiceInfo {
    /// How often peers saw it.
    pub score: i32,
    /// Its port.
    pub port: u16,
}

/// The header tip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderTip {
    /// Its height.
    pub height: i32,
    /// Its time.
    pub block_time: i64,
    /// Whether there is one.
    #[doc(alias = "result")]
    pub found: bool,
}

crate::wire_enum! {
    /// Where initial sync stands (Core's `SynchronizationState`).
    pub enum SyncState {
        /// Reindexing.
        InitReindex = 0,
        /// Initial block download.
        InitDownload = 1,
        /// Synced.
        PostInit = 2,
    }
}

/// An external signer (hardware wallet) the node found.
pub trait ExternalSigner: Send + Sync {
    /// Its name.
    fn get_name(&self) -> Result<String>;
}

/// Receives init messages.
pub trait InitMessageCallback: Send + Sync {
    /// Called with each message.
    fn call(&self, message: &str) -> Result<()>;
}

/// Shows a message box; returns whether the user accepted.
pub trait MessageBoxCallback: Send + Sync {
    /// Called with the message, caption and Core's style flags.
    fn call(&self, message: &BilingualStr, caption: &str, style: u32) -> Result<bool>;
}

/// Asks the user a question; returns the answer.
pub trait QuestionCallback: Send + Sync {
    /// Called with the question, its non-interactive text, caption and style.
    fn call(
        &self,
        message: &BilingualStr,
        non_interactive_message: &str,
        caption: &str,
        style: u32,
    ) -> Result<bool>;
}

/// Receives progress of long node tasks.
pub trait ShowNodeProgressCallback: Send + Sync {
    /// Called with the task, percent done and whether it can resume.
    fn call(&self, title: &str, progress: i32, resume_possible: bool) -> Result<()>;
}

/// Told when wallets are being loaded at start-up.
pub trait InitWalletCallback: Send + Sync {
    /// Called once.
    fn call(&self) -> Result<()>;
}

/// Told the number of connections.
pub trait NotifyNumConnectionsChangedCallback: Send + Sync {
    /// Called with the new count.
    fn call(&self, new_num_connections: i32) -> Result<()>;
}

/// Told when networking is switched on or off.
pub trait NotifyNetworkActiveChangedCallback: Send + Sync {
    /// Called with the new state.
    fn call(&self, network_active: bool) -> Result<()>;
}

/// Told when warnings change.
pub trait NotifyAlertChangedCallback: Send + Sync {
    /// Called on each change.
    fn call(&self) -> Result<()>;
}

/// Told when the ban list changes.
pub trait BannedListChangedCallback: Send + Sync {
    /// Called on each change.
    fn call(&self) -> Result<()>;
}

/// Told of each new block tip.
pub trait NotifyBlockTipCallback: Send + Sync {
    /// Called with the sync state, the tip and verification progress.
    fn call(&self, sync_state: SyncState, tip: &BlockTip, verification_progress: f64)
        -> Result<()>;
}

/// Told of each new header tip.
pub trait NotifyHeaderTipCallback: Send + Sync {
    /// Called with the sync state, the tip and verification progress.
    fn call(&self, sync_state: SyncState, tip: &BlockTip, verification_progress: f64)
        -> Result<()>;
}

/// The node, seen from a GUI process.
pub trait Node: Send + Sync {
    /// Starts logging as configured.
    fn init_logging(&self) -> Result<()>;
    /// Applies option interactions (`-connect` implies `-nodnsseed`, …).
    fn init_parameter_interaction(&self) -> Result<()>;
    /// Current warnings.
    fn get_warnings(&self) -> Result<BilingualStr>;
    /// Enabled log categories (bit mask).
    fn get_log_categories(&self) -> Result<u64>;
    /// Exit status once the node has stopped.
    fn get_exit_status(&self) -> Result<i32>;
    /// Takes the GUI's arguments and runs the basic start-up checks.
    fn base_initialize(&self, global_args: &GlobalArgs) -> Result<bool>;
    /// Starts the node.
    fn app_init_main(&self) -> Result<AppInitMain>;
    /// Stops it.
    fn app_shutdown(&self) -> Result<()>;
    /// Asks it to stop.
    fn start_shutdown(&self) -> Result<()>;
    /// Whether stopping was asked for.
    fn shutdown_requested(&self) -> Result<bool>;
    /// Whether a setting is overridden by the command line.
    fn is_setting_ignored(&self, name: &str) -> Result<bool>;
    /// A setting from `settings.json` or the config (JSON text).
    fn get_persistent_setting(&self, name: &str) -> Result<String>;
    /// Writes a setting to `settings.json` (JSON text; null deletes it).
    fn update_rw_setting(&self, name: &str, value: &str) -> Result<()>;
    /// Forces a setting for this run.
    fn force_setting(&self, name: &str, value: &str) -> Result<()>;
    /// Clears `settings.json` (after a backup).
    fn reset_settings(&self) -> Result<()>;
    /// Turns NAT-PMP/PCP port mapping on or off.
    fn map_port(&self, use_nat_pnp: bool) -> Result<()>;
    /// The proxy for network `net`, if any.
    fn get_proxy(&self, net: i32) -> Result<(ProxyInfo, bool)>;
    /// Number of connections in the directions `flags` selects.
    fn get_node_count(&self, flags: i32) -> Result<u64>;
    /// Every peer.
    fn get_nodes_stats(&self) -> Result<(Vec<NodeStats>, bool)>;
    /// The ban list.
    fn get_banned(&self) -> Result<(Banmap, bool)>;
    /// Bans an address for `ban_time_offset` seconds.
    fn ban(&self, net_addr: &NetAddress, ban_time_offset: i64) -> Result<bool>;
    /// Lifts a ban.
    fn unban(&self, ip: &NetAddress) -> Result<bool>;
    /// Disconnects peers at an address.
    fn disconnect_by_address(&self, address: &NetAddress) -> Result<bool>;
    /// Disconnects a peer by id.
    fn disconnect_by_id(&self, id: i64) -> Result<bool>;
    /// External signers found.
    fn list_external_signers(&self) -> Result<Vec<Box<dyn ExternalSigner>>>;
    /// Bytes received.
    fn get_total_bytes_recv(&self) -> Result<i64>;
    /// Bytes sent.
    fn get_total_bytes_sent(&self) -> Result<i64>;
    /// Mempool transactions.
    fn get_mempool_size(&self) -> Result<u64>;
    /// Mempool memory use.
    fn get_mempool_dynamic_usage(&self) -> Result<u64>;
    /// Mempool memory limit.
    fn get_mempool_max_usage(&self) -> Result<u64>;
    /// The header tip.
    fn get_header_tip(&self) -> Result<HeaderTip>;
    /// Height of the block tip.
    fn get_num_blocks(&self) -> Result<i32>;
    /// Local addresses we advertise.
    fn get_net_local_addresses(&self) -> Result<Vec<(NetAddress, LocalServiceInfo)>>;
    /// Hash of the block tip.
    fn get_best_block_hash(&self) -> Result<BlockHash>;
    /// Time of the block tip.
    fn get_last_block_time(&self) -> Result<i64>;
    /// Estimated fraction of the chain verified.
    fn get_verification_progress(&self) -> Result<f64>;
    /// Whether the node is in initial block download.
    fn is_initial_block_download(&self) -> Result<bool>;
    /// Whether blocks are being imported or reindexed.
    fn is_loading_blocks(&self) -> Result<bool>;
    /// Switches networking on or off.
    fn set_network_active(&self, active: bool) -> Result<()>;
    /// Whether networking is on.
    fn get_network_active(&self) -> Result<bool>;
    /// `-dustrelayfee`.
    fn get_dust_relay_fee(&self) -> Result<FeeRate>;
    /// Runs an RPC method (the GUI console): `params` is a JSON array,
    /// the reply JSON text; RPC errors come back as `Error::Rpc`.
    fn execute_rpc(&self, command: &str, params: &str, uri: &str) -> Result<String>;
    /// Every RPC method name.
    fn list_rpc_commands(&self) -> Result<Vec<String>>;
    /// The coin at an outpoint, if unspent.
    fn get_unspent_output(&self, output: &OutPoint) -> Result<Option<crate::chain::Coin>>;
    /// Submits a transaction; Core's `TransactionError` and its message.
    fn broadcast_transaction(&self, tx: &Transaction, max_tx_fee: i64) -> Result<(String, i32)>;
    /// The wallet loader, if the node has wallets.
    fn wallet_loader(&self) -> Result<Option<Box<dyn WalletLoader>>>;
    /// Registers for init messages.
    fn handle_init_message(
        &self,
        callback: Box<dyn InitMessageCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for message boxes.
    fn handle_message_box(&self, callback: Box<dyn MessageBoxCallback>)
        -> Result<Box<dyn Handler>>;
    /// Registers for questions.
    fn handle_question(&self, callback: Box<dyn QuestionCallback>) -> Result<Box<dyn Handler>>;
    /// Registers for progress reports.
    fn handle_show_progress(
        &self,
        callback: Box<dyn ShowNodeProgressCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for the wallet-loading notice.
    fn handle_init_wallet(&self, callback: Box<dyn InitWalletCallback>)
        -> Result<Box<dyn Handler>>;
    /// Registers for connection counts.
    fn handle_notify_num_connections_changed(
        &self,
        callback: Box<dyn NotifyNumConnectionsChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for network on/off.
    fn handle_notify_network_active_changed(
        &self,
        callback: Box<dyn NotifyNetworkActiveChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for warning changes.
    fn handle_notify_alert_changed(
        &self,
        callback: Box<dyn NotifyAlertChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for ban list changes.
    fn handle_banned_list_changed(
        &self,
        callback: Box<dyn BannedListChangedCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for block tips.
    fn handle_notify_block_tip(
        &self,
        callback: Box<dyn NotifyBlockTipCallback>,
    ) -> Result<Box<dyn Handler>>;
    /// Registers for header tips.
    fn handle_notify_header_tip(
        &self,
        callback: Box<dyn NotifyHeaderTipCallback>,
    ) -> Result<Box<dyn Handler>>;
}
