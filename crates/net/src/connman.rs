//! The connection manager (Core's `CConnman`): listening sockets, outbound
//! connections (`-connect`, `-addnode`, `addnode` RPC), the peer table, and the
//! handle through which RPCs and the node talk to the P2P layer.

use crate::addrman::AddrMan;
use crate::backend::NodeBackend;
use crate::banman::BanList;
use crate::config::{parse_host_port, BindSpec, NetConfig, Permissions};
use crate::connection;
use crate::handle::NetHandle;
use crate::orphanage::Orphanage;
use crate::outbound::Interrupt;
use crate::peer::{ConnectionType, Outgoing, Peer, PeerId, PeerSetup, Totals};
use crate::processing::{Event, Handler};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Core's `DEFAULT_CONNECT_TIMEOUT`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Outbound slots Core reserves (8 full-relay, 2 block-relay, 1 feeler); the
/// rest of `-maxconnections` is for inbound peers.
pub(crate) const MAX_OUTBOUND: usize = 11;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct Inner {
    pub(crate) config: Arc<NetConfig>,
    pub(crate) peers: Mutex<BTreeMap<PeerId, Arc<Peer>>>,
    pub(crate) next_id: AtomicI64,
    pub(crate) events: Mutex<Sender<Event>>,
    pub(crate) network_active: AtomicBool,
    pub(crate) added: Mutex<Vec<String>>,
    /// Outbound connection attempts in progress, by requested name.
    pub(crate) pending: Mutex<HashSet<String>>,
    pub(crate) totals: Arc<Totals>,
    pub(crate) bans: Mutex<BanList>,
    pub(crate) runtime: tokio::runtime::Handle,
    /// Addresses the listening sockets are bound to.
    pub(crate) bound: Vec<SocketAddr>,
    /// Known peer addresses (`peers.dat`).
    pub(crate) addrman: Arc<Mutex<AddrMan>>,
    /// Wakes the connection threads for shutdown.
    pub(crate) interrupt: Interrupt,
    /// Transactions waiting for their parents.
    pub(crate) orphanage: Arc<Mutex<Orphanage>>,
}

/// The running P2P layer. Dropping it (or [`NetManager::stop`]) closes every
/// connection and stops its threads.
pub struct NetManager {
    handle: NetHandle,
    runtime: Option<tokio::runtime::Runtime>,
    msghand: Option<std::thread::JoinHandle<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl NetManager {
    /// Binds the listening sockets, starts the network runtime and the message
    /// handler, and begins connecting to `-connect` / `-addnode` peers. Errors are
    /// init-error texts (bind failures).
    pub fn start(config: NetConfig, backend: Arc<dyn NodeBackend>) -> Result<NetManager, String> {
        let config = Arc::new(config);
        // Core reports the initial state too, as `setnetworkactive` does.
        tracing::info!("SetNetworkActive: {}", config.network_active);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("net")
            .enable_all()
            .build()
            .map_err(|e| format!("Unable to start the network thread: {e}"))?;
        let listeners = {
            let _guard = runtime.enter();
            bind_all(&config.binds)?
        };
        let bound = listeners
            .iter()
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        let addrman = match &config.data_dir {
            Some(dir) => crate::addrman::persist::load(
                &dir.join("peers.dat"),
                config.magic,
                config.addrman_deterministic,
            )?,
            None => AddrMan::new(config.addrman_deterministic),
        };
        let addrman = Arc::new(Mutex::new(addrman));
        let orphanage = Arc::new(Mutex::new(Orphanage::default()));
        let handler = Handler::new(config.clone(), backend, addrman.clone(), orphanage.clone());
        let msghand = std::thread::Builder::new()
            .name("msghand".into())
            .spawn(move || {
                common::logging::set_thread_name("msghand");
                handler.run(rx)
            })
            .map_err(|e| format!("Unable to start the message handler: {e}"))?;
        let bans = match &config.data_dir {
            Some(dir) => BanList::load(dir.join("banlist.json")),
            None => BanList::default(),
        };
        let inner = Arc::new(Inner {
            network_active: AtomicBool::new(config.network_active),
            added: Mutex::new(config.addnodes.clone()),
            config,
            peers: Mutex::new(BTreeMap::new()),
            next_id: AtomicI64::new(0),
            events: Mutex::new(tx),
            pending: Mutex::new(HashSet::new()),
            totals: Arc::new(Totals::default()),
            bans: Mutex::new(bans),
            runtime: runtime.handle().clone(),
            bound,
            addrman,
            orphanage,
            interrupt: Interrupt::default(),
        });
        for (listener, spec) in listeners {
            runtime.spawn(accept_loop(inner.clone(), listener, spec));
        }
        runtime.spawn(tick_loop(inner.clone()));
        runtime.spawn(dump_loop(inner.clone()));
        let threads = crate::outbound::spawn_threads(&inner);
        Ok(NetManager {
            handle: NetHandle { inner },
            runtime: Some(runtime),
            msghand: Some(msghand),
            threads,
        })
    }

    /// The handle for RPCs and notifications.
    pub fn handle(&self) -> NetHandle {
        self.handle.clone()
    }

    /// Closes every connection and stops the threads.
    pub fn stop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        for peer in self.handle.peers() {
            tracing::debug!(target: "net", "Stopping node, disconnecting {}", peer.log_name());
            peer.disconnect();
        }
        let inner = &self.handle.inner;
        inner.interrupt.trigger();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.handle.send(Event::Shutdown);
        runtime.shutdown_timeout(Duration::from_secs(2));
        if let Some(t) = self.msghand.take() {
            let _ = t.join();
        }
        inner.dump_addresses();
    }
}

impl Drop for NetManager {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds every configured socket; an explicit bind that fails is an init error.
fn bind_all(binds: &[BindSpec]) -> Result<Vec<(TcpListener, BindSpec)>, String> {
    let mut out = Vec::new();
    for spec in binds {
        match bind_one(spec.addr) {
            Ok(l) => {
                tracing::info!("Bound to {}", spec.addr);
                out.push((l, spec.clone()));
            }
            Err(e) => {
                let text = if e.kind() == std::io::ErrorKind::AddrInUse {
                    format!(
                        "Unable to bind to {} on this computer. Bitcoin Core is probably already running.",
                        spec.addr
                    )
                } else {
                    format!(
                        "Unable to bind to {} on this computer (bind returned error {e})",
                        spec.addr
                    )
                };
                tracing::error!("{text}");
                if spec.required {
                    return Err(format!(
                        "{text}\nError: Failed to listen on any port. Use -listen=0 if you want this."
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn bind_one(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        let s = TcpSocket::new_v6()?;
        // Like Core, keep IPv6 sockets IPv6-only so `[::]` and `0.0.0.0` can both
        // be bound on the same port.
        set_v6_only(&s);
        s
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn set_v6_only(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: the fd is a valid socket owned by `socket` for the duration of the
    // call, and the option value points to a live c_int of the size passed.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_V6ONLY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

async fn accept_loop(inner: Arc<Inner>, listener: TcpListener, spec: BindSpec) {
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(target: "net", "socket error accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        inner.accept_inbound(stream, addr, &spec);
    }
}

async fn tick_loop(inner: Arc<Inner>) {
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        inner.send(Event::Tick);
    }
}

/// Writes `peers.dat` now and then, so a crash loses little.
async fn dump_loop(inner: Arc<Inner>) {
    let mut interval = tokio::time::interval(crate::outbound::DUMP_PEERS_INTERVAL);
    interval.tick().await;
    loop {
        interval.tick().await;
        let inner = inner.clone();
        let _ = tokio::task::spawn_blocking(move || inner.dump_addresses()).await;
    }
}

/// How a connection came about, beyond its type.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// Accepted, possibly through an `=onion` bind.
    Inbound { onion: bool },
    /// Opened by us, offering v2 or not.
    Outbound { v2: bool },
}

/// Removes a peer from the table and tells the handler, when its connection
/// task ends for whatever reason.
struct ConnectionGuard {
    inner: Arc<Inner>,
    id: PeerId,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        lock(&self.inner.peers).remove(&self.id);
        self.inner.send(Event::Disconnected(self.id));
    }
}

impl Inner {
    /// Writes the address tables to `peers.dat` (nothing without a data dir).
    pub(crate) fn dump_addresses(&self) {
        let Some(dir) = &self.config.data_dir else {
            return;
        };
        let started = std::time::Instant::now();
        let (bytes, size) = {
            let man = lock(&self.addrman);
            (man.serialize(self.config.magic), man.size())
        };
        match crate::addrman::persist::dump(&dir.join("peers.dat"), &bytes) {
            Ok(()) => {
                tracing::debug!(target: "net", "Flushed {size} addresses to peers.dat  {}ms", started.elapsed().as_millis())
            }
            Err(e) => tracing::warn!("Failed to write peers.dat: {e}"),
        }
    }

    pub(crate) fn send(&self, ev: Event) {
        let _ = lock(&self.events).send(ev);
    }

    pub(crate) fn resolve_now(&self, name: &str) -> Option<SocketAddr> {
        parse_host_port(name, self.config.default_port)
    }

    /// A connected peer matching a requested name (by name or resolved address).
    pub(crate) fn find_connected(&self, name: &str) -> Option<Arc<Peer>> {
        let addr = self.resolve_now(name);
        lock(&self.peers)
            .values()
            .find(|p| p.addr_name == name || Some(p.addr) == addr)
            .cloned()
    }

    fn accept_inbound(self: &Arc<Self>, stream: TcpStream, addr: SocketAddr, spec: &BindSpec) {
        if !self.network_active.load(Ordering::SeqCst) {
            tracing::debug!(target: "net", "connection from {addr} dropped: not accepting new connections");
            return;
        }
        let perms = self
            .config
            .permissions_for(addr.ip(), true)
            .merged(&spec.permissions);
        if !perms.has("noban") && lock(&self.bans).is_banned(addr.ip(), common::time::now_secs()) {
            tracing::debug!(target: "net", "connection from {addr} dropped (banned)");
            return;
        }
        let inbound = lock(&self.peers)
            .values()
            .filter(|p| p.is_inbound())
            .count();
        let max_inbound = self.config.max_connections.saturating_sub(MAX_OUTBOUND);
        if inbound >= max_inbound && !perms.has("noban") {
            tracing::debug!(target: "net", "failed to find an eviction candidate - connection dropped (full)");
            return;
        }
        tracing::debug!(target: "net", "connection from {addr} accepted");
        self.register(
            stream,
            addr,
            addr.to_string(),
            ConnectionType::Inbound,
            perms,
            Origin::Inbound { onion: spec.onion },
        );
    }

    fn register(
        self: &Arc<Self>,
        stream: TcpStream,
        addr: SocketAddr,
        addr_name: String,
        conn_type: ConnectionType,
        permissions: Permissions,
        origin: Origin,
    ) {
        let (onion, start) = match origin {
            Origin::Inbound { onion } if self.v2_enabled() => (onion, connection::Start::Detect),
            Origin::Inbound { onion } => (onion, connection::Start::V1),
            Origin::Outbound { v2: true } => (false, connection::Start::V2Initiate),
            Origin::Outbound { v2: false } => (false, connection::Start::V1),
        };
        let addr_bind = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Outgoing>();
        let peer = Arc::new(Peer::new(
            PeerSetup {
                id,
                addr,
                addr_name,
                addr_bind,
                conn_type,
                inbound_onion: onion,
                permissions,
                magic: self.config.magic,
                capture_dir: self
                    .config
                    .capture_messages
                    .then(|| self.config.data_dir.clone())
                    .flatten(),
                max_send_buffer: self.config.max_send_buffer,
            },
            tx,
            self.totals.clone(),
        ));
        if common::logging::log_ips() {
            tracing::debug!(target: "net", "Added connection to {} peer={id}", peer.addr_name);
        } else {
            tracing::debug!(target: "net", "Added connection peer={id}");
        }
        if start != connection::Start::V1 {
            peer.set_transport(crate::peer::TransportType::Detecting, String::new());
        }
        lock(&self.peers).insert(id, peer.clone());
        // Connected goes out before the reader starts, so the handler always knows
        // a peer before its first message.
        self.send(Event::Connected(peer.clone()));
        let inner = self.clone();
        let events = lock(&self.events).clone();
        self.runtime.spawn(async move {
            let (name, conn_type) = (peer.addr_name.clone(), peer.conn_type);
            let retry_v1 = {
                // Dropped when the connection ends, even by a panic, so a peer never
                // lingers in the table.
                let _guard = ConnectionGuard {
                    inner: inner.clone(),
                    id,
                };
                connection::run(stream, peer, rx, events, start).await
            };
            // Core's downgrade: a v2 offer that got no answer is retried as v1.
            if retry_v1 && inner.network_active.load(Ordering::SeqCst) {
                tracing::debug!(target: "net", "retrying with v1 transport protocol for peer={id}");
                inner.open_connection(name, conn_type, false).await;
            }
        });
    }

    /// Whether we offer the v2 transport (`-v2transport`).
    pub(crate) fn v2_enabled(&self) -> bool {
        self.config.services & crate::config::NODE_P2P_V2 != 0
    }

    /// Connects to `name` and registers the peer; `v2` offers the v2 transport
    /// (ignored unless `-v2transport` is on).
    pub(crate) async fn open_connection(
        self: Arc<Self>,
        name: String,
        conn_type: ConnectionType,
        v2: bool,
    ) {
        let v2 = v2 && self.v2_enabled();
        if !self.network_active.load(Ordering::SeqCst) {
            return;
        }
        if self.find_connected(&name).is_some() {
            tracing::info!("Failed to open new connection to {name}, already connected");
            return;
        }
        if !lock(&self.pending).insert(name.clone()) {
            return;
        }
        let version = if v2 { "v2" } else { "v1" };
        tracing::debug!(target: "net", "trying {version} connection ({}) to {name}", conn_type.as_str());
        if self.config.seeding.proxy && conn_type != ConnectionType::Manual {
            // Connections through a proxy are not supported: never connect
            // around it on our own.
            lock(&self.pending).remove(&name);
            tracing::debug!(target: "net", "connection to {name} failed: connecting through a proxy is not supported");
            return;
        }
        let result = self.connect_socket(&name).await;
        lock(&self.pending).remove(&name);
        match result {
            Ok((stream, addr)) => {
                if self.find_connected(&name).is_some() {
                    return;
                }
                let permissions = self.config.permissions_for(addr.ip(), false);
                self.register(
                    stream,
                    addr,
                    name,
                    conn_type,
                    permissions,
                    Origin::Outbound { v2 },
                );
            }
            Err(e) => {
                tracing::debug!(target: "net", "connection to {name} failed: {e}");
            }
        }
    }

    async fn connect_socket(&self, name: &str) -> Result<(TcpStream, SocketAddr), String> {
        let addrs: Vec<SocketAddr> = match self.resolve_now(name) {
            Some(a) => vec![a],
            None => {
                let with_port = if name.contains(':') {
                    name.to_string()
                } else {
                    format!("{name}:{}", self.config.default_port)
                };
                tokio::net::lookup_host(with_port)
                    .await
                    .map_err(|e| format!("could not resolve: {e}"))?
                    .collect()
            }
        };
        let mut last = "no address".to_string();
        for addr in addrs {
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => return Ok((s, addr)),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = "timeout".to_string(),
            }
        }
        Err(last)
    }
}
