//! The threads that open connections on their own, as Core's: `dnsseed`
//! (asks the chain's DNS seeds for addresses), `opencon` (automatic outbound
//! connections from the address manager, or the `-connect` peers), and
//! `addcon` (keeps `-addnode` / `addnode add` peers connected).

use crate::addrman::AddrMan;
use crate::connman::{lock, Inner};
use crate::netaddr::{NetAddr, Network, Service};
use crate::peer::ConnectionType;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Core's `MAX_OUTBOUND_FULL_RELAY_CONNECTIONS`.
const MAX_OUTBOUND_FULL_RELAY: usize = 8;
/// How often an added or `-connect` node that is not connected is retried.
const ADDED_NODE_RETRY: Duration = Duration::from_secs(60);
/// Wait before the next seed node is asked when the table gives no peers (Core: 10 s).
const ADD_NEXT_SEEDNODE_SECS: i64 = 10;
/// Seed nodes are only asked while fewer full-relay peers are connected (Core: 2).
const SEED_OUTBOUND_CONNECTION_THRESHOLD: usize = 2;
/// Wait before the fixed seeds are used when other sources may still fill addrman.
const FIXED_SEED_DELAY_SECS: i64 = 60;
/// Addresses tried recently are skipped for this long (Core: 10 minutes).
const RECENT_TRY_SECS: i64 = 600;
/// How often the address tables are written out (Core's `DUMP_PEERS_INTERVAL`).
pub(crate) const DUMP_PEERS_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// A stop flag the threads sleep on, so shutdown wakes them at once.
#[derive(Default)]
pub(crate) struct Interrupt {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Interrupt {
    /// Sleeps up to `d`; `false` once shutdown has been requested.
    pub(crate) fn sleep_for(&self, d: Duration) -> bool {
        let guard = lock(&self.stopped);
        let (guard, _) = self
            .wake
            .wait_timeout_while(guard, d, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
        !*guard
    }

    /// Wakes every sleeper and makes further sleeps return at once.
    pub(crate) fn trigger(&self) {
        *lock(&self.stopped) = true;
        self.wake.notify_all();
    }
}

/// Starts the connection threads Core starts for this configuration.
pub(crate) fn spawn_threads(inner: &Arc<Inner>) -> Vec<std::thread::JoinHandle<()>> {
    let seeding = &inner.config.seeding;
    let use_addrman = inner.config.connect.is_none();
    let mut threads = Vec::new();
    let mut spawn = |name: &'static str, f: fn(Arc<Inner>)| {
        let inner = inner.clone();
        let started = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                common::logging::set_thread_name(name);
                tracing::info!("{name} thread start");
                f(inner);
                tracing::info!("{name} thread exit");
            });
        match started {
            Ok(t) => threads.push(t),
            Err(e) => tracing::error!("failed to start the {name} thread: {e}"),
        }
    };
    if !seeding.dnsseed || !use_addrman {
        tracing::info!("DNS seeding disabled");
    } else {
        spawn("dnsseed", dns_seed_thread);
    }
    spawn("addcon", added_nodes_thread);
    let connect_peers = inner.config.connect.as_ref().is_some_and(|c| !c.is_empty());
    if use_addrman || connect_peers {
        spawn("opencon", open_connections_thread);
    }
    threads
}

fn now_secs() -> i64 {
    common::time::now_secs()
}

/// Resolves each DNS seed and adds what it returns (Core's `ThreadDNSAddressSeed`).
fn dns_seed_thread(inner: Arc<Inner>) {
    let seeding = &inner.config.seeding;
    let known = lock(&inner.addrman).size();
    if known > 0 && !seeding.forcednsseed {
        // With addresses on hand, give them a chance before asking the seeds.
        tracing::info!("Waiting 11 seconds before querying DNS seeds.");
        if !inner.interrupt.sleep_for(Duration::from_secs(11)) {
            return;
        }
        if outbound_full_relay(&inner) >= 2 {
            tracing::info!("P2P peers available. Skipped DNS seeding.");
            return;
        }
    }
    let mut found = 0;
    for seed in &seeding.dns_seeds {
        if !inner.network_active.load(Ordering::SeqCst) {
            break;
        }
        if seeding.proxy {
            // Resolving locally would leak our lookups around the proxy.
            tracing::debug!(target: "net", "not resolving DNS seed {seed}: a proxy is set");
            continue;
        }
        let host = format!(
            "{}:{}",
            seed.trim_end_matches('.'),
            inner.config.default_port
        );
        let Ok(addrs) = host.to_socket_addrs() else {
            continue;
        };
        let source = NetAddr::Ipv4([0; 4]);
        let now = now_secs();
        // Seeds hand out live nodes; date them a few days back as Core does.
        let entries: Vec<(Service, u64, i64)> = addrs
            .filter(|a| seeding.reachable(a))
            .map(|a| {
                (
                    Service::from_socket(a),
                    crate::config::NODE_NETWORK,
                    now - 3 * 86400,
                )
            })
            .collect();
        found += lock(&inner.addrman).add(&entries, &source, 0, now);
    }
    tracing::info!("{found} addresses found from DNS seeds");
}

fn outbound_full_relay(inner: &Inner) -> usize {
    lock(&inner.peers)
        .values()
        .filter(|p| p.conn_type == ConnectionType::OutboundFullRelay)
        .count()
}

/// Keeps a list of named peers connected, retrying each at most once a minute.
fn keep_connected(inner: &Arc<Inner>, names: Vec<String>, last_try: &mut HashMap<String, Instant>) {
    if !inner.network_active.load(Ordering::SeqCst) {
        return;
    }
    for t in names {
        if inner.find_connected(&t).is_some()
            || last_try
                .get(&t)
                .is_some_and(|i| i.elapsed() < ADDED_NODE_RETRY)
        {
            continue;
        }
        last_try.insert(t.clone(), Instant::now());
        let inner2 = inner.clone();
        inner.runtime.spawn(async move {
            inner2
                .open_connection(t, ConnectionType::Manual, true)
                .await
        });
    }
}

/// Keeps `-addnode` and `addnode add` peers connected (Core's
/// `ThreadOpenAddedConnections`).
fn added_nodes_thread(inner: Arc<Inner>) {
    let mut last_try = HashMap::new();
    loop {
        let names = lock(&inner.added).clone();
        keep_connected(&inner, names, &mut last_try);
        if !inner.interrupt.sleep_for(Duration::from_secs(2)) {
            return;
        }
    }
}

/// Automatic outbound connections (Core's `ThreadOpenConnections`): the
/// `-connect` peers only, or peers chosen from the address manager, which is
/// topped up from the fixed seeds when nothing else fills it.
fn open_connections_thread(inner: Arc<Inner>) {
    if let Some(connect) = inner.config.connect.clone() {
        let mut last_try = HashMap::new();
        loop {
            keep_connected(&inner, connect.clone(), &mut last_try);
            if !inner.interrupt.sleep_for(Duration::from_millis(500)) {
                return;
            }
        }
    }
    let seeding = &inner.config.seeding;
    let start = now_secs();
    let mut add_fixed_seeds = seeding.fixedseeds;
    if !add_fixed_seeds {
        tracing::info!("Fixed seeds are disabled");
    }
    // Seed nodes are asked for addresses one at a time (popped from the
    // back): at once with an empty table, else when the table gave no
    // peers for a while.
    let mut seed_nodes = seeding.seednodes.clone();
    let mut add_addr_fetch = !seed_nodes.is_empty() && lock(&inner.addrman).size() == 0;
    let mut seed_timer = now_secs();
    while inner.interrupt.sleep_for(Duration::from_millis(500)) {
        if add_addr_fetch {
            add_addr_fetch = false;
            if let Some(seed) = seed_nodes.pop() {
                if lock(&inner.addrman).size() == 0 {
                    tracing::info!("Empty addrman, adding seednode ({seed}) to addrfetch");
                } else {
                    tracing::info!("Couldn't connect to peers from addrman after {ADD_NEXT_SEEDNODE_SECS} seconds. Adding seednode ({seed}) to addrfetch");
                }
                let inner2 = inner.clone();
                inner.runtime.spawn(async move {
                    inner2
                        .open_connection(seed, ConnectionType::AddrFetch, true)
                        .await
                });
            }
        }
        if !inner.network_active.load(Ordering::SeqCst) {
            continue;
        }
        if !seed_nodes.is_empty()
            && outbound_full_relay(&inner) < SEED_OUTBOUND_CONNECTION_THRESHOLD
            && now_secs() > seed_timer + ADD_NEXT_SEEDNODE_SECS
        {
            seed_timer = now_secs();
            add_addr_fetch = true;
        }
        if add_fixed_seeds && lock(&inner.addrman).size() == 0 {
            let mut now_due = false;
            if now_secs() > start + FIXED_SEED_DELAY_SECS {
                now_due = true;
                tracing::info!("Adding fixed seeds as 60 seconds have passed and addrman is empty for at least one reachable network");
            } else if !seeding.dnsseed
                && seeding.seednodes.is_empty()
                && lock(&inner.added).is_empty()
            {
                now_due = true;
                tracing::info!("Adding fixed seeds as -dnsseed=0 (or IPv4/IPv6 connections are disabled via -onlynet) and neither -addnode nor -seednode are provided");
            }
            if now_due {
                let source = NetAddr::Ipv4([0; 4]);
                let seeds: Vec<(Service, u64, i64)> = seeding
                    .fixed_seeds
                    .iter()
                    .filter(|a| seeding.reachable(a))
                    .map(|a| (Service::from_socket(*a), crate::config::NODE_NETWORK, 0))
                    .collect();
                lock(&inner.addrman).add(&seeds, &source, 0, now_secs());
                add_fixed_seeds = false;
                tracing::info!("Added {} fixed seeds from reachable networks.", seeds.len());
            }
        }
        let wanted = MAX_OUTBOUND_FULL_RELAY.min(inner.config.max_connections);
        if outbound_full_relay(&inner) >= wanted {
            continue;
        }
        // Settle tried-table collisions whose test time is up.
        lock(&inner.addrman).resolve_collisions(now_secs());
        let chosen = choose_address(&inner, &mut lock(&inner.addrman));
        if let Some(addr) = chosen {
            let v2 = {
                let mut man = lock(&inner.addrman);
                let service = Service::from_socket(addr);
                man.attempt(&service, true, now_secs());
                man.find(&service)
                    .is_some_and(|i| i.services & crate::config::NODE_P2P_V2 != 0)
            };
            let inner2 = inner.clone();
            inner.runtime.spawn(async move {
                inner2
                    .open_connection(addr.to_string(), ConnectionType::OutboundFullRelay, v2)
                    .await
            });
        }
    }
}

/// An address worth trying: reachable, not connected, not in a network group
/// we already have an outbound peer in, and not tried in the last minutes.
fn choose_address(inner: &Inner, man: &mut AddrMan) -> Option<SocketAddr> {
    let peers: Vec<(SocketAddr, bool)> = lock(&inner.peers)
        .values()
        .map(|p| (p.addr, p.is_inbound()))
        .collect();
    let group = |ip: IpAddr| NetAddr::from_ip(ip).group();
    let now = now_secs();
    let networks: Vec<Network> = Network::ALL
        .into_iter()
        .filter(|n| inner.config.seeding.reachable_net(*n))
        .collect();
    for tries in 0..100 {
        let info = man.select(false, &networks, now)?;
        // Only IP networks are dialled directly.
        let Some(addr) = info.addr.socket_addr() else {
            continue;
        };
        if !inner.config.seeding.reachable(&addr)
            || peers.iter().any(|(a, _)| *a == addr)
            || peers
                .iter()
                .any(|(a, inbound)| !inbound && group(a.ip()) == group(addr.ip()))
        {
            continue;
        }
        if now - info.last_try < RECENT_TRY_SECS && tries < 30 {
            continue;
        }
        return Some(addr);
    }
    None
}
