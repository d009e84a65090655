//! A fake `interfaces::Node` for the screen tests: a chain whose height,
//! peers and stalls the test sets, an RPC that answers from a table, and a
//! record of what the GUI called.

#![allow(dead_code)]

pub mod wallet;

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Transaction};
use interfaces::chain::Coin;
use interfaces::handler::Handler;
use interfaces::node::*;
use interfaces::wallet::WalletLoader;
use interfaces::{BilingualStr, Error, FeeRate, GlobalArgs, Result};

/// The fake node's knobs and record.
#[derive(Default)]
pub struct FakeNode {
    /// Tip height.
    pub blocks: AtomicI32,
    /// Tip time.
    pub block_time: AtomicU64,
    /// Outbound peers.
    pub peers: AtomicU64,
    /// Network on.
    pub network: AtomicBool,
    /// While set, every status call sleeps this many milliseconds.
    pub stall_ms: AtomicU64,
    /// `appInitMain` waits this long.
    pub init_ms: AtomicU64,
    /// Calls made, by name.
    pub calls: Mutex<Vec<String>>,
    /// RPC answers by method (JSON text).
    pub rpc: Mutex<Vec<(String, String)>>,
    /// Init message callbacks.
    pub init_callbacks: Mutex<Vec<Box<dyn InitMessageCallback>>>,
    /// The wallet loader it serves, if any.
    pub loader: Mutex<Option<wallet::FakeLoader>>,
    /// Connected peers (`getNodesStats`); disconnecting removes one.
    pub nodes: Mutex<Vec<NodeStats>>,
    /// Banned subnets and until when (`getBanned`).
    pub banned: Mutex<Vec<(String, i64)>>,
    /// Bytes received in all.
    pub bytes_recv: AtomicI64,
    /// Bytes sent in all.
    pub bytes_sent: AtomicI64,
    /// `settings.json` as name and JSON text.
    pub rw_settings: Mutex<Vec<(String, String)>>,
    /// Settings the command line overrides.
    pub ignored: Mutex<Vec<String>>,
}

impl FakeNode {
    /// A synced node at `blocks` with one peer.
    pub fn synced(blocks: i32) -> Arc<FakeNode> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let n = FakeNode::default();
        n.blocks.store(blocks, Ordering::SeqCst);
        n.block_time.store(now, Ordering::SeqCst);
        n.peers.store(1, Ordering::SeqCst);
        n.network.store(true, Ordering::SeqCst);
        n.bytes_recv.store(4096, Ordering::SeqCst);
        n.bytes_sent.store(2048, Ordering::SeqCst);
        Arc::new(n)
    }

    /// A peer as the node reports it.
    pub fn peer(id: i64, addr: &str, inbound: bool, agent: &str) -> NodeStats {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        NodeStats {
            nodeid: id,
            addr_name: addr.to_string(),
            addr: NetAddress(addr.to_string()),
            inbound,
            conn_type: if inbound { 0 } else { 1 },
            network: 1,
            clean_sub_ver: agent.to_string(),
            version: 70016,
            time_connected: now - 3 * 3600,
            last_send: now - 2,
            last_recv: now - 1,
            send_bytes: 5 * 1024,
            recv_bytes: 7 * 1024 * 1024,
            ping_time: 42_000,
            min_ping_time: 40_000,
            transport_type: 1,
            state_stats: Some(NodeStateStats {
                sync_height: 118,
                common_height: 117,
                their_services: 1 | (1 << 3),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The value `update_rw_setting` last wrote for `name`.
    pub fn rw_setting(&self, name: &str) -> Option<String> {
        let settings = self.rw_settings.lock().unwrap();
        settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn note(&self, what: &str) {
        self.calls.lock().unwrap().push(what.to_string());
    }

    fn stall(&self) {
        let ms = self.stall_ms.load(Ordering::SeqCst);
        if ms > 0 {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }

    /// Whether `name` was called.
    pub fn called(&self, name: &str) -> bool {
        self.calls.lock().unwrap().iter().any(|c| c == name)
    }
}

struct NoHandler;

impl Handler for NoHandler {
    fn disconnect(&self) -> Result<()> {
        Ok(())
    }
}

fn handler() -> Result<Box<dyn Handler>> {
    Ok(Box::new(NoHandler))
}

fn not_faked<T>() -> Result<T> {
    Err(Error::Remote("not faked".into()))
}

impl Node for FakeNode {
    fn init_logging(&self) -> Result<()> {
        Ok(())
    }
    fn init_parameter_interaction(&self) -> Result<()> {
        Ok(())
    }
    fn get_warnings(&self) -> Result<BilingualStr> {
        Ok(BilingualStr::default())
    }
    fn get_log_categories(&self) -> Result<u64> {
        Ok(0)
    }
    fn get_exit_status(&self) -> Result<i32> {
        Ok(0)
    }
    fn base_initialize(&self, _: &GlobalArgs) -> Result<bool> {
        self.note("baseInitialize");
        Ok(true)
    }
    fn app_init_main(&self) -> Result<AppInitMain> {
        self.note("appInitMain");
        for c in self.init_callbacks.lock().unwrap().iter() {
            c.call("Loading block index…")?;
        }
        std::thread::sleep(Duration::from_millis(self.init_ms.load(Ordering::SeqCst)));
        Ok(AppInitMain {
            tip_info: BlockAndHeaderTipInfo::default(),
            started: true,
        })
    }
    fn app_shutdown(&self) -> Result<()> {
        self.note("appShutdown");
        Ok(())
    }
    fn start_shutdown(&self) -> Result<()> {
        self.note("startShutdown");
        Ok(())
    }
    fn shutdown_requested(&self) -> Result<bool> {
        Ok(self.called("startShutdown"))
    }
    fn is_setting_ignored(&self, name: &str) -> Result<bool> {
        Ok(self.ignored.lock().unwrap().iter().any(|n| n == name))
    }
    fn get_persistent_setting(&self, name: &str) -> Result<String> {
        Ok(self.rw_setting(name).unwrap_or_else(|| "null".into()))
    }
    fn update_rw_setting(&self, name: &str, value: &str) -> Result<()> {
        self.note(&format!("updateRwSetting({name}, {value})"));
        let mut settings = self.rw_settings.lock().unwrap();
        settings.retain(|(n, _)| n != name);
        if value != "null" {
            settings.push((name.to_string(), value.to_string()));
        }
        Ok(())
    }
    fn force_setting(&self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }
    fn reset_settings(&self) -> Result<()> {
        self.note("resetSettings");
        self.rw_settings.lock().unwrap().clear();
        Ok(())
    }
    fn map_port(&self, on: bool) -> Result<()> {
        self.note(&format!("mapPort({on})"));
        Ok(())
    }
    fn get_proxy(&self, _: i32) -> Result<(ProxyInfo, bool)> {
        not_faked()
    }
    fn get_node_count(&self, flags: i32) -> Result<u64> {
        self.stall();
        Ok(if flags & 2 != 0 {
            self.peers.load(Ordering::SeqCst)
        } else {
            0
        })
    }
    fn get_nodes_stats(&self) -> Result<(Vec<NodeStats>, bool)> {
        self.note("getNodesStats");
        self.stall();
        Ok((self.nodes.lock().unwrap().clone(), true))
    }
    fn get_banned(&self) -> Result<(Banmap, bool)> {
        let list: Vec<String> = self
            .banned
            .lock()
            .unwrap()
            .iter()
            .map(|(a, until)| {
                format!(r#"{{"address":"{a}","ban_created":0,"banned_until":{until}}}"#)
            })
            .collect();
        Ok((
            Banmap {
                json: format!("[{}]", list.join(",")),
            },
            true,
        ))
    }
    fn ban(&self, addr: &NetAddress, seconds: i64) -> Result<bool> {
        self.note(&format!("ban({}, {seconds})", addr.0));
        let subnet = format!("{}/32", addr.0);
        self.banned
            .lock()
            .unwrap()
            .push((subnet, 1_700_000_000 + seconds));
        Ok(true)
    }
    fn unban(&self, addr: &NetAddress) -> Result<bool> {
        self.note(&format!("unban({})", addr.0));
        self.banned.lock().unwrap().retain(|(a, _)| *a != addr.0);
        Ok(true)
    }
    fn disconnect_by_address(&self, addr: &NetAddress) -> Result<bool> {
        self.note(&format!("disconnectByAddress({})", addr.0));
        let host = |a: &str| {
            a.rsplit_once(':')
                .map_or(a.to_string(), |(h, _)| h.to_string())
        };
        self.nodes
            .lock()
            .unwrap()
            .retain(|p| host(&p.addr.0) != addr.0);
        Ok(true)
    }
    fn disconnect_by_id(&self, id: i64) -> Result<bool> {
        self.note(&format!("disconnectById({id})"));
        self.nodes.lock().unwrap().retain(|p| p.nodeid != id);
        Ok(true)
    }
    fn list_external_signers(&self) -> Result<Vec<Box<dyn ExternalSigner>>> {
        Ok(Vec::new())
    }
    fn get_total_bytes_recv(&self) -> Result<i64> {
        Ok(self.bytes_recv.load(Ordering::SeqCst))
    }
    fn get_total_bytes_sent(&self) -> Result<i64> {
        Ok(self.bytes_sent.load(Ordering::SeqCst))
    }
    fn get_mempool_size(&self) -> Result<u64> {
        Ok(3)
    }
    fn get_mempool_dynamic_usage(&self) -> Result<u64> {
        Ok(3000)
    }
    fn get_mempool_max_usage(&self) -> Result<u64> {
        Ok(300_000_000)
    }
    fn get_header_tip(&self) -> Result<HeaderTip> {
        Ok(HeaderTip {
            height: self.blocks.load(Ordering::SeqCst),
            block_time: self.block_time.load(Ordering::SeqCst) as i64,
            found: true,
        })
    }
    fn get_num_blocks(&self) -> Result<i32> {
        self.stall();
        Ok(self.blocks.load(Ordering::SeqCst))
    }
    fn get_net_local_addresses(&self) -> Result<Vec<(NetAddress, LocalServiceInfo)>> {
        Ok(Vec::new())
    }
    fn get_best_block_hash(&self) -> Result<BlockHash> {
        Ok(BlockHash::all_zeros())
    }
    fn get_last_block_time(&self) -> Result<i64> {
        Ok(self.block_time.load(Ordering::SeqCst) as i64)
    }
    fn get_verification_progress(&self) -> Result<f64> {
        Ok(1.0)
    }
    fn is_initial_block_download(&self) -> Result<bool> {
        Ok(false)
    }
    fn is_loading_blocks(&self) -> Result<bool> {
        Ok(false)
    }
    fn set_network_active(&self, active: bool) -> Result<()> {
        self.note(&format!("setNetworkActive({active})"));
        self.network.store(active, Ordering::SeqCst);
        Ok(())
    }
    fn get_network_active(&self) -> Result<bool> {
        Ok(self.network.load(Ordering::SeqCst))
    }
    fn get_dust_relay_fee(&self) -> Result<FeeRate> {
        not_faked()
    }
    fn execute_rpc(&self, command: &str, params: &str, uri: &str) -> Result<String> {
        self.note(&format!("executeRpc({command}, {params}, {uri})"));
        let table = self.rpc.lock().unwrap();
        match table.iter().find(|(m, _)| m == command) {
            Some((_, answer)) => Ok(answer.clone()),
            None => Err(Error::Rpc(
                r#"{"code":-32601,"message":"Method not found"}"#.into(),
            )),
        }
    }
    fn list_rpc_commands(&self) -> Result<Vec<String>> {
        Ok(vec![
            "getblockcount".into(),
            "getblockhash".into(),
            "help".into(),
        ])
    }
    fn get_unspent_output(&self, _: &OutPoint) -> Result<Option<Coin>> {
        Ok(None)
    }
    fn broadcast_transaction(&self, _: &Transaction, _: i64) -> Result<(String, i32)> {
        not_faked()
    }
    fn wallet_loader(&self) -> Result<Option<Box<dyn WalletLoader>>> {
        Ok(self
            .loader
            .lock()
            .unwrap()
            .clone()
            .map(|l| Box::new(l) as Box<dyn WalletLoader>))
    }
    fn handle_init_message(
        &self,
        callback: Box<dyn InitMessageCallback>,
    ) -> Result<Box<dyn Handler>> {
        self.init_callbacks.lock().unwrap().push(callback);
        handler()
    }
    fn handle_message_box(&self, _: Box<dyn MessageBoxCallback>) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_question(&self, _: Box<dyn QuestionCallback>) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_show_progress(
        &self,
        _: Box<dyn ShowNodeProgressCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_init_wallet(&self, _: Box<dyn InitWalletCallback>) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_notify_num_connections_changed(
        &self,
        _: Box<dyn NotifyNumConnectionsChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_notify_network_active_changed(
        &self,
        _: Box<dyn NotifyNetworkActiveChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_notify_alert_changed(
        &self,
        _: Box<dyn NotifyAlertChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_banned_list_changed(
        &self,
        _: Box<dyn BannedListChangedCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_notify_block_tip(
        &self,
        _: Box<dyn NotifyBlockTipCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
    fn handle_notify_header_tip(
        &self,
        _: Box<dyn NotifyHeaderTipCallback>,
    ) -> Result<Box<dyn Handler>> {
        handler()
    }
}

/// Steps the UI until `done` holds (the model's threads work in the
/// background); fails after 10 s.
pub fn settle<S>(
    h: &mut egui_kittest::Harness<'static, S>,
    what: &str,
    done: impl Fn(&egui_kittest::Harness<'static, S>) -> bool,
) {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(std::time::Instant::now() < end, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
