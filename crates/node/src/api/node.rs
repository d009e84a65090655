//! `interfaces::node::Node`: what a GUI process asks of the node (Core's
//! `NodeImpl`). A node started from a shell (serving `-ipcbind`) is running
//! already, so the start-up calls report that state; a node a GUI spawned
//! (`-ipcfd`) starts and stops on them.

use super::Services;
use crate::init::NodeProcess;
use bitcoin::{BlockHash, OutPoint, Transaction};
use chainstate_service::Relay;
use common::args::ArgsManager;
use interfaces::chain::Coin;
use interfaces::handler::Handler;
use interfaces::node::*;
use interfaces::wallet::WalletLoader;
use interfaces::{BilingualStr, FeeRate, GlobalArgs, Result};
use rpc::request::RpcRequest;
use serde_json::Value;
use std::sync::Arc;
use std::sync::{Mutex, OnceLock};

/// A signer `listExternalSigners` found, as the GUI sees it: its name.
struct SignerName(String);

impl ExternalSigner for SignerName {
    fn get_name(&self) -> Result<String> {
        Ok(self.0.clone())
    }
}

/// The node, as a GUI sees it.
pub struct NodeApi(pub Arc<NodeHost>);

/// What a `Node` object stands for: a running node, or one a GUI spawned
/// that is started and stopped through the interface.
pub struct NodeHost {
    services: OnceLock<Arc<Services>>,
    args: OnceLock<Arc<ArgsManager>>,
    /// For a spawned node: its life, driven by the GUI.
    lifecycle: Option<Mutex<Lifecycle>>,
}

/// Where a spawned node stands.
enum Lifecycle {
    /// Waiting for `baseInitialize`.
    Fresh,
    /// Data directory and logging ready; waiting for `appInitMain`.
    Prepared(NodeProcess),
    /// Started.
    Running(NodeProcess),
    /// Stopped, or start-up failed.
    Stopped,
}

impl NodeHost {
    /// A node that runs already.
    pub fn running(services: Arc<Services>) -> Arc<NodeHost> {
        let host = NodeHost {
            services: OnceLock::new(),
            args: OnceLock::new(),
            lifecycle: None,
        };
        let _ = host.args.set(services.args.clone());
        let _ = host.services.set(services);
        Arc::new(host)
    }

    /// A node spawned by a GUI, started by `baseInitialize` and `appInitMain`.
    pub fn spawned() -> Arc<NodeHost> {
        Arc::new(NodeHost {
            services: OnceLock::new(),
            args: OnceLock::new(),
            lifecycle: Some(Mutex::new(Lifecycle::Fresh)),
        })
    }

    /// What the running node serves (`makeChain` of the spawned node's `Init`).
    pub fn services(&self) -> Option<&Arc<Services>> {
        self.services.get()
    }

    /// Stops a spawned node that still runs (its GUI went away without
    /// `appShutdown`): its state is flushed as on any shutdown.
    pub fn stop(&self) {
        if let Some(mut life) = self.lifecycle() {
            if let Lifecycle::Running(mut p) = std::mem::replace(&mut *life, Lifecycle::Stopped) {
                p.stop();
            }
        }
    }

    fn lifecycle(&self) -> Option<std::sync::MutexGuard<'_, Lifecycle>> {
        self.lifecycle
            .as_ref()
            .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn not_started() -> interfaces::Error {
    interfaces::Error::Remote("The node is not started".into())
}

/// Core's `Network` numbers, in `GetNetworkName` order after "unroutable".
const NETWORKS: [&str; 5] = ["ipv4", "ipv6", "onion", "i2p", "cjdns"];

/// Core's `ConnectionDirection` flags.
const CONNECTIONS_IN: i32 = 1;
const CONNECTIONS_OUT: i32 = 2;

/// Core's `NetPermissionFlags` bits by permission name.
const PERMISSION_BITS: [(&str, i32); 7] = [
    ("bloomfilter", 1 << 1),
    ("relay", 1 << 3),
    ("forcerelay", (1 << 2) | (1 << 3)),
    ("download", 1 << 6),
    ("noban", (1 << 4) | (1 << 6)),
    ("mempool", 1 << 5),
    ("addr", 1 << 7),
];

fn conn_type_number(t: net::peer::ConnectionType) -> i32 {
    use net::peer::ConnectionType as C;
    match t {
        C::Inbound => 0,
        C::OutboundFullRelay => 1,
        C::Manual => 2,
        C::Feeler => 3,
        C::BlockRelay => 4,
        C::AddrFetch => 5,
    }
}

fn stats_of(p: &net::peer::Peer) -> NodeStats {
    let s = p.stats();
    let micros = |d: Option<std::time::Duration>| d.map_or(0, |d| d.as_micros() as i64);
    let permissions = p
        .permissions
        .names
        .iter()
        .filter_map(|n| PERMISSION_BITS.iter().find(|(name, _)| name == n))
        .fold(0, |acc, (_, bit)| acc | bit);
    let network = if p.addr.is_ipv4() { 1 } else { 2 };
    NodeStats {
        nodeid: p.id,
        last_send: s.last_send,
        last_recv: s.last_recv,
        last_tx_time: s.last_transaction,
        last_block_time: s.last_block,
        time_connected: p.connected_at,
        addr_name: p.addr_name.clone(),
        version: s.version,
        clean_sub_ver: s.subver.clone(),
        inbound: p.is_inbound(),
        bip152_highbandwidth_to: s.bip152_hb_to,
        bip152_highbandwidth_from: s.bip152_hb_from,
        starting_height: s.starting_height,
        send_bytes: s.bytes_sent,
        send_bytes_per_msg_type: s
            .sent_per_msg
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        recv_bytes: s.bytes_recv,
        recv_bytes_per_msg_type: s
            .recv_per_msg
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        permission_flags: permissions,
        ping_time: micros(s.ping_time),
        min_ping_time: micros(s.min_ping),
        addr_local: s.addr_local.map(|a| a.to_string()).unwrap_or_default(),
        addr: NetAddress(p.addr.to_string()),
        addr_bind: NetAddress(p.addr_bind.to_string()),
        network,
        mapped_as: 0,
        conn_type: conn_type_number(p.conn_type),
        // Core's `TransportProtocolType` numbering.
        transport_type: match s.transport {
            net::TransportType::Detecting => 0,
            net::TransportType::V1 => 1,
            net::TransportType::V2 => 2,
        },
        session_id: s.session_id.clone(),
        state_stats: Some(NodeStateStats {
            sync_height: s.synced_blocks as i32,
            common_height: s.synced_blocks as i32,
            starting_height: s.starting_height,
            ping_wait: s
                .ping_started
                .map_or(0, |t| (net::clock::now_micros() - t).max(0)),
            height_in_flight: s.inflight.iter().map(|h| *h as i32).collect(),
            addresses_processed: 0,
            addresses_rate_limited: 0,
            address_relay_enabled: !matches!(p.conn_type, net::peer::ConnectionType::BlockRelay),
            their_services: s.services,
            presync_height: -1,
            time_offset: 0,
        }),
    }
}

impl NodeApi {
    fn s(&self) -> Result<&Services> {
        self.0.services.get().map(|s| &**s).ok_or_else(not_started)
    }

    fn args(&self) -> Result<&ArgsManager> {
        self.0.args.get().map(|a| &**a).ok_or_else(not_started)
    }

    fn tip_info(&self) -> Result<BlockAndHeaderTipInfo> {
        let cs = self.s()?.chain.lock();
        let tip = cs.tip_entry();
        let header = cs.best_header().and_then(|id| cs.index().entry(id)).or(tip);
        Ok(BlockAndHeaderTipInfo {
            block_height: tip.map_or(-1, |e| e.height as i32),
            block_time: tip.map_or(0, |e| i64::from(e.header.time)),
            header_height: header.map_or(-1, |e| e.height as i32),
            header_time: header.map_or(0, |e| i64::from(e.header.time)),
            verification_progress: tip.map_or(0.0, |e| cs.guess_verification_progress(e)),
        })
    }

    fn write_settings(&self) -> Result<()> {
        self.args()?
            .write_settings_file(false)
            .map_err(|errors| interfaces::Error::Remote(errors.join("\n")))
    }
}

fn json(text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|_| interfaces::Error::Remote(format!("invalid JSON value: {text}")))
}

impl Node for NodeApi {
    fn init_logging(&self) -> Result<()> {
        // Logging runs since the node started.
        Ok(())
    }

    fn init_parameter_interaction(&self) -> Result<()> {
        // Applied when the node started.
        Ok(())
    }

    fn get_warnings(&self) -> Result<BilingualStr> {
        // Core joins the messages with a rule for the GUI's status bar.
        let text = self.s()?.chain.warnings().join("<hr />");
        Ok(BilingualStr {
            original: text.clone(),
            translated: text,
        })
    }

    fn get_log_categories(&self) -> Result<u64> {
        let enabled = common::logging::enabled_categories();
        Ok(common::logging::categories::CATEGORIES
            .iter()
            .filter(|(name, _)| enabled.iter().any(|e| e == name))
            .fold(0, |acc, (_, bit)| acc | bit))
    }

    fn get_exit_status(&self) -> Result<i32> {
        Ok(0)
    }

    fn base_initialize(&self, global_args: &GlobalArgs) -> Result<bool> {
        let Some(mut life) = self.0.lifecycle() else {
            // This node read its own arguments when it started.
            return Ok(true);
        };
        if !matches!(*life, Lifecycle::Fresh) {
            return Err(interfaces::Error::Remote(
                "The node is initialized already".into(),
            ));
        }
        let (args, chain) = ipc::args::args_from(global_args).map_err(interfaces::Error::Remote)?;
        let args = Arc::new(args);
        let process = NodeProcess::prepare(args.clone(), chain, std::time::Instant::now())
            .map_err(interfaces::Error::Remote)?;
        let _ = self.0.args.set(args);
        *life = Lifecycle::Prepared(process);
        Ok(true)
    }

    fn app_init_main(&self) -> Result<AppInitMain> {
        if let Some(mut life) = self.0.lifecycle() {
            let mut process = match std::mem::replace(&mut *life, Lifecycle::Stopped) {
                Lifecycle::Prepared(p) => p,
                Lifecycle::Running(p) => {
                    *life = Lifecycle::Running(p);
                    return Err(interfaces::Error::Remote("The node runs already".into()));
                }
                _ => return Err(not_started()),
            };
            if let Err(failure) = process.start() {
                let message = match failure {
                    common::init::InitFailure::Error(m)
                    | common::init::InitFailure::Question(m) => m,
                    common::init::InitFailure::Reported => "Wallet initialization failed".into(),
                };
                process.failed(common::init::InitFailure::Error(message.clone()));
                return Err(interfaces::Error::Remote(message));
            }
            if let Some(services) = process.services() {
                let _ = self.0.services.set(services.clone());
            }
            *life = Lifecycle::Running(process);
        }
        Ok(AppInitMain {
            tip_info: self.tip_info()?,
            started: true,
        })
    }

    fn app_shutdown(&self) -> Result<()> {
        match self.0.lifecycle() {
            Some(mut life) => {
                if let Lifecycle::Running(mut p) = std::mem::replace(&mut *life, Lifecycle::Stopped)
                {
                    p.stop();
                }
            }
            None => self.s()?.shutdown.request(),
        }
        Ok(())
    }

    fn start_shutdown(&self) -> Result<()> {
        if let Some(life) = self.0.lifecycle() {
            if let Lifecycle::Running(p) = &*life {
                p.shutdown.request();
            }
            return Ok(());
        }
        self.s()?.shutdown.request();
        Ok(())
    }

    fn shutdown_requested(&self) -> Result<bool> {
        if let Some(life) = self.0.lifecycle() {
            return Ok(match &*life {
                Lifecycle::Running(p) | Lifecycle::Prepared(p) => p.shutdown.is_requested(),
                Lifecycle::Fresh => false,
                Lifecycle::Stopped => true,
            });
        }
        Ok(self.s()?.shutdown.is_requested())
    }

    fn is_setting_ignored(&self, name: &str) -> Result<bool> {
        Ok(self.args()?.lock_settings(|s| {
            s.command_line_options
                .get(name)
                .is_some_and(|v| !v.is_empty())
        }))
    }

    fn get_persistent_setting(&self, name: &str) -> Result<String> {
        Ok(self.args()?.get_persistent_setting(name).to_string())
    }

    fn update_rw_setting(&self, name: &str, value: &str) -> Result<()> {
        let value = json(value)?;
        self.args()?.lock_settings(|s| {
            if value.is_null() {
                s.rw_settings.remove(name);
            } else {
                s.rw_settings.insert(name.to_string(), value);
            }
        });
        self.write_settings()
    }

    fn force_setting(&self, name: &str, value: &str) -> Result<()> {
        let value = json(value)?;
        self.args()?.lock_settings(|s| {
            if value.is_null() {
                s.forced_settings.remove(name);
            } else {
                s.forced_settings.insert(name.to_string(), value);
            }
        });
        Ok(())
    }

    fn reset_settings(&self) -> Result<()> {
        // Keep a backup of what is cleared, as Core does.
        let args = self.args()?;
        args.write_settings_file(true)
            .map_err(|errors| interfaces::Error::Remote(errors.join("\n")))?;
        args.lock_settings(|s| s.rw_settings.clear());
        self.write_settings()
    }

    fn map_port(&self, use_nat_pnp: bool) -> Result<()> {
        // No NAT-PMP/PCP client in this node: record the choice only.
        tracing::debug!(target: "net", "port mapping {} (not supported)", if use_nat_pnp { "asked for" } else { "off" });
        Ok(())
    }

    fn get_proxy(&self, net: i32) -> Result<(ProxyInfo, bool)> {
        let name = usize::try_from(net - 1).ok().and_then(|i| NETWORKS.get(i));
        let proxies = &self.s()?.proxies;
        Ok(match name.and_then(|n| proxies.proxy(n)) {
            Some(p) => (
                ProxyInfo {
                    proxy: NetAddress(p.address.clone()),
                    tor_stream_isolation: p.randomize_credentials,
                },
                true,
            ),
            None => (ProxyInfo::default(), false),
        })
    }

    fn get_node_count(&self, flags: i32) -> Result<u64> {
        let (inbound, outbound) = self.s()?.net.connection_counts();
        let mut n = 0;
        if flags & CONNECTIONS_IN != 0 {
            n += inbound;
        }
        if flags & CONNECTIONS_OUT != 0 {
            n += outbound;
        }
        Ok(n as u64)
    }

    fn get_nodes_stats(&self) -> Result<(Vec<NodeStats>, bool)> {
        let stats = self.s()?.net.peers().iter().map(|p| stats_of(p)).collect();
        Ok((stats, true))
    }

    fn get_banned(&self) -> Result<(Banmap, bool)> {
        // The same list `listbanned` answers.
        let listed = self
            .s()?
            .table
            .execute(RpcRequest::new("listbanned", vec![]), Value::Null)
            .map_err(|e| interfaces::Error::Remote(e.message))?;
        Ok((
            Banmap {
                json: listed.to_string(),
            },
            true,
        ))
    }

    fn ban(&self, net_addr: &NetAddress, ban_time_offset: i64) -> Result<bool> {
        let until = common::time::now_secs().saturating_add(ban_time_offset);
        let banned = self.s()?.net.ban(&net_addr.0, until).is_ok();
        if banned {
            self.s()?.net.disconnect_address(&net_addr.0);
            self.s()?.ui.banned_list_changed();
        }
        Ok(banned)
    }

    fn unban(&self, ip: &NetAddress) -> Result<bool> {
        let unbanned = self.s()?.net.unban(&ip.0).is_ok();
        if unbanned {
            self.s()?.ui.banned_list_changed();
        }
        Ok(unbanned)
    }

    fn disconnect_by_address(&self, address: &NetAddress) -> Result<bool> {
        Ok(self.s()?.net.disconnect_address(&address.0))
    }

    fn disconnect_by_id(&self, id: i64) -> Result<bool> {
        Ok(self.s()?.net.disconnect_id(id))
    }

    fn list_external_signers(&self) -> Result<Vec<Box<dyn ExternalSigner>>> {
        // Core's `listExternalSigners`: no `-signer`, no signers; a signer
        // program that fails is an error for the caller.
        let args = self.args()?;
        let command = args.get_arg("-signer").unwrap_or_default();
        if command.is_empty() {
            return Ok(Vec::new());
        }
        let chain = args
            .get_chain_type_string()
            .map_err(interfaces::Error::Remote)?;
        let signers = utility_rpc::external_signer::ExternalSigner::enumerate(&command, &chain)
            .map_err(interfaces::Error::Remote)?;
        Ok(signers
            .into_iter()
            .map(|s| Box::new(SignerName(s.name().to_string())) as Box<dyn ExternalSigner>)
            .collect())
    }

    fn get_total_bytes_recv(&self) -> Result<i64> {
        Ok(i64::try_from(self.s()?.net.totals().0).unwrap_or(i64::MAX))
    }

    fn get_total_bytes_sent(&self) -> Result<i64> {
        Ok(i64::try_from(self.s()?.net.totals().1).unwrap_or(i64::MAX))
    }

    fn get_mempool_size(&self) -> Result<u64> {
        Ok(self.s()?.chain.pool().len() as u64)
    }

    fn get_mempool_dynamic_usage(&self) -> Result<u64> {
        Ok(self.s()?.chain.pool().dynamic_usage())
    }

    fn get_mempool_max_usage(&self) -> Result<u64> {
        Ok(self.s()?.chain.policy().max_mempool_bytes)
    }

    fn get_header_tip(&self) -> Result<HeaderTip> {
        let cs = self.s()?.chain.lock();
        Ok(cs
            .best_header()
            .and_then(|id| cs.index().entry(id))
            .map_or(HeaderTip::default(), |e| HeaderTip {
                height: e.height as i32,
                block_time: i64::from(e.header.time),
                found: true,
            }))
    }

    fn get_num_blocks(&self) -> Result<i32> {
        Ok(self
            .s()?
            .chain
            .lock()
            .tip_entry()
            .map_or(-1, |e| e.height as i32))
    }

    fn get_net_local_addresses(&self) -> Result<Vec<(NetAddress, LocalServiceInfo)>> {
        // No address discovery yet (`getnetworkinfo` lists none either).
        Ok(Vec::new())
    }

    fn get_best_block_hash(&self) -> Result<BlockHash> {
        Ok(chainstate_service::ChainView::tip(&*self.s()?.chain).1)
    }

    fn get_last_block_time(&self) -> Result<i64> {
        let cs = self.s()?.chain.lock();
        Ok(cs.tip_entry().map_or(0, |e| i64::from(e.header.time)))
    }

    fn get_verification_progress(&self) -> Result<f64> {
        Ok(self.tip_info()?.verification_progress)
    }

    fn is_initial_block_download(&self) -> Result<bool> {
        Ok(self.s()?.chain.lock().is_initial_block_download())
    }

    fn is_loading_blocks(&self) -> Result<bool> {
        Ok(self.s()?.chain.lock().is_importing())
    }

    fn set_network_active(&self, active: bool) -> Result<()> {
        self.s()?.net.set_network_active(active);
        self.s()?.ui.network_active_changed(active);
        Ok(())
    }

    fn get_network_active(&self) -> Result<bool> {
        Ok(self.s()?.net.network_active())
    }

    fn get_dust_relay_fee(&self) -> Result<FeeRate> {
        Ok(FeeRate::per_kvb(
            self.s()?.chain.policy().dust_relay_fee_per_kvb,
        ))
    }

    fn execute_rpc(&self, command: &str, params: &str, uri: &str) -> Result<String> {
        let params = json(params)?;
        let mut request = RpcRequest::new(command, Vec::new());
        request.uri = uri.to_string();
        match self.s()?.table.execute(request, params) {
            Ok(v) => Ok(v.to_string()),
            Err(e) => Err(interfaces::Error::Rpc(e.to_json().to_string())),
        }
    }

    fn list_rpc_commands(&self) -> Result<Vec<String>> {
        Ok(self.s()?.table.list())
    }

    fn get_unspent_output(&self, output: &OutPoint) -> Result<Option<Coin>> {
        let cs = self.s()?.chain.lock();
        Ok(
            consensus::CoinsView::coin(cs.coins(), output).map(|c| Coin {
                output: c.output,
                height: c.height,
                is_coinbase: c.is_coinbase,
            }),
        )
    }

    fn broadcast_transaction(&self, tx: &Transaction, max_tx_fee: i64) -> Result<(String, i32)> {
        let r = self.s()?.chain.broadcast_transaction(
            Arc::new(tx.clone()),
            max_tx_fee,
            Relay::ToAll,
            false,
        );
        Ok(match r {
            Ok(_) => (String::new(), 0),
            Err(e) => (e.message(), e.code()),
        })
    }

    fn wallet_loader(&self) -> Result<Option<Box<dyn WalletLoader>>> {
        let s = self.s()?;
        if s.args.get_bool_arg("-disablewallet", false) {
            return Ok(None);
        }
        // Decided by the option, not by whether the process is up: a client
        // asking while it starts or restarts still gets the loader, whose
        // calls reach whichever process runs when they are made.
        Ok(Some(s.wallet.loader()))
    }

    fn handle_init_message(
        &self,
        callback: Box<dyn InitMessageCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.init_message.add(callback))
    }

    fn handle_message_box(
        &self,
        callback: Box<dyn MessageBoxCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.message_box.add(callback))
    }

    fn handle_question(&self, callback: Box<dyn QuestionCallback>) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.question.add(callback))
    }

    fn handle_show_progress(
        &self,
        callback: Box<dyn ShowNodeProgressCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.show_progress.add(callback))
    }

    fn handle_init_wallet(
        &self,
        callback: Box<dyn InitWalletCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.init_wallet.add(callback))
    }

    fn handle_notify_num_connections_changed(
        &self,
        callback: Box<dyn NotifyNumConnectionsChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.num_connections.add(callback))
    }

    fn handle_notify_network_active_changed(
        &self,
        callback: Box<dyn NotifyNetworkActiveChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.network_active.add(callback))
    }

    fn handle_notify_alert_changed(
        &self,
        callback: Box<dyn NotifyAlertChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.alert_changed.add(callback))
    }

    fn handle_banned_list_changed(
        &self,
        callback: Box<dyn BannedListChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.banned_list.add(callback))
    }

    fn handle_notify_block_tip(
        &self,
        callback: Box<dyn NotifyBlockTipCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.block_tip.add(callback))
    }

    fn handle_notify_header_tip(
        &self,
        callback: Box<dyn NotifyHeaderTipCallback>,
    ) -> Result<Box<dyn Handler>> {
        Ok(self.s()?.ui.header_tip.add(callback))
    }
}
