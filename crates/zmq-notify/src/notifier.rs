//! The notifiers behind `-zmqpub<type>=<address>`: each turns validation
//! events into messages of its topic on the socket of its address, counting
//! its own messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{Block, Transaction};
use chainstate_service::signals::{Event, Subscriber};
use common::args::ArgsManager;

use crate::endpoint;
use crate::socket::PubSocket;

/// ZeroMQ's default send high-water mark, Core's default for every notifier.
pub const DEFAULT_HWM: i64 = 1000;

/// What a notifier publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The tip's block hash after it changed.
    HashBlock,
    /// Transaction ids (mempool entries, connected and disconnected blocks).
    HashTx,
    /// The tip's serialized block after it changed.
    RawBlock,
    /// Serialized transactions (as for `HashTx`).
    RawTx,
    /// Block connections/disconnections and mempool additions/removals.
    Sequence,
}

impl Kind {
    /// Every kind, in the order Core sets them up and lists them.
    pub const ALL: [Kind; 5] = [
        Kind::HashBlock,
        Kind::HashTx,
        Kind::RawBlock,
        Kind::RawTx,
        Kind::Sequence,
    ];

    /// The name in `-zmq<name>` and in `getzmqnotifications`' `type`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::HashBlock => "pubhashblock",
            Kind::HashTx => "pubhashtx",
            Kind::RawBlock => "pubrawblock",
            Kind::RawTx => "pubrawtx",
            Kind::Sequence => "pubsequence",
        }
    }

    /// The message topic.
    pub fn topic(self) -> &'static str {
        &self.name()[3..]
    }
}

/// One `-zmqpub<type>=<address>` with its high-water mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierConfig {
    /// What it publishes.
    pub kind: Kind,
    /// The address as `getzmqnotifications` shows it (`unix:` made `ipc://`).
    pub address: String,
    /// `-zmqpub<type>hwm` (negative values leave the default, as in Core).
    pub hwm: i64,
}

/// The configured notifiers, in Core's order (by type, then as given).
pub fn configs_from_args(args: &ArgsManager) -> Vec<NotifierConfig> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let option = format!("-zmq{}", kind.name());
        let hwm = match args.get_int_arg(&format!("{option}hwm"), DEFAULT_HWM) {
            n if n >= 0 => n,
            _ => DEFAULT_HWM,
        };
        for address in args.get_args(&option) {
            out.push(NotifierConfig {
                kind,
                address: endpoint::normalize(&address),
                hwm,
            });
        }
    }
    out
}

struct Notifier {
    config: NotifierConfig,
    socket: Arc<PubSocket>,
    /// The next message's number (per notifier, wrapping like Core's).
    sequence: u32,
}

/// Display-order bytes of a hash (as RPC shows it), what the topics carry.
fn reversed(bytes: [u8; 32]) -> [u8; 32] {
    let mut b = bytes;
    b.reverse();
    b
}

impl Notifier {
    fn send(&mut self, body: &[u8]) {
        let seq = self.sequence.to_le_bytes();
        self.socket
            .publish(&[self.config.kind.topic().as_bytes(), body, &seq]);
        self.sequence = self.sequence.wrapping_add(1);
    }

    fn transaction(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        match self.config.kind {
            Kind::HashTx => {
                tracing::debug!(target: "zmq", "Publish hashtx {txid} to {}", self.config.address);
                self.send(&reversed(txid.to_byte_array()));
            }
            Kind::RawTx => {
                tracing::debug!(target: "zmq", "Publish rawtx {txid} to {}", self.config.address);
                self.send(&serialize(tx));
            }
            _ => {}
        }
    }

    fn tip(&mut self, block: &Block) {
        let hash = block.block_hash();
        match self.config.kind {
            Kind::HashBlock => {
                tracing::debug!(target: "zmq", "Publish hashblock {hash} to {}", self.config.address);
                self.send(&reversed(hash.to_byte_array()));
            }
            Kind::RawBlock => {
                tracing::debug!(target: "zmq", "Publish rawblock {hash} to {}", self.config.address);
                self.send(&serialize(block));
            }
            _ => {}
        }
    }

    fn sequence(&mut self, hash: [u8; 32], label: u8, mempool_sequence: Option<u64>) {
        if self.config.kind != Kind::Sequence {
            return;
        }
        let mut body = Vec::with_capacity(41);
        body.extend_from_slice(&reversed(hash));
        body.push(label);
        if let Some(s) = mempool_sequence {
            body.extend_from_slice(&s.to_le_bytes());
        }
        self.send(&body);
    }
}

/// Why the notifiers could not start (Core then runs without them).
#[derive(Debug)]
pub struct InitError(pub String);

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct State {
    notifiers: Vec<Notifier>,
    /// The last block connected since the previous tip update: what the
    /// block topics announce (none when blocks were only disconnected).
    connected_since_tip: Option<Arc<Block>>,
}

/// The running notifiers: a validation-event [`Subscriber`] that publishes
/// on the sockets it bound.
pub struct ZmqNotifications {
    state: Mutex<State>,
    in_ibd: Box<dyn Fn() -> bool + Send + Sync>,
    /// Runs the sockets' tasks; kept for as long as the sockets are.
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl ZmqNotifications {
    /// Binds a socket for each distinct address of `configs` (notifiers on
    /// the same address share it, with the first one's high-water mark).
    /// `in_ibd` tells whether the node is in initial block download, when
    /// the block topics stay quiet as in Core.
    pub fn start(
        configs: Vec<NotifierConfig>,
        in_ibd: Box<dyn Fn() -> bool + Send + Sync>,
    ) -> Result<Arc<ZmqNotifications>, InitError> {
        tracing::debug!(target: "zmq", "Initialize notification interface");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("b-zmq")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| InitError(format!("Unable to initialize context, msg: {e}")))?;
        let mut sockets: HashMap<String, Arc<PubSocket>> = HashMap::new();
        let mut notifiers = Vec::new();
        for config in configs {
            let name = config.kind.name();
            let socket = match sockets.get(&config.address) {
                Some(s) => {
                    tracing::debug!(target: "zmq", "Reusing socket for address {}", config.address);
                    tracing::debug!(target: "zmq", "Outbound message high water mark for {name} at {} is {}", config.address, config.hwm);
                    s.clone()
                }
                None => {
                    tracing::debug!(target: "zmq", "Outbound message high water mark for {name} at {} is {}", config.address, config.hwm);
                    let bound = endpoint::parse(&config.address)
                        .map_err(|e| e.to_string())
                        .and_then(|ep| {
                            PubSocket::bind(runtime.handle(), &ep, config.hwm as usize)
                                .map_err(|e| e.to_string())
                        });
                    match bound {
                        Ok(s) => {
                            let s = Arc::new(s);
                            sockets.insert(config.address.clone(), s.clone());
                            s
                        }
                        Err(msg) => {
                            tracing::debug!(target: "zmq", "Error: Failed to bind address, msg: {msg}");
                            tracing::debug!(target: "zmq", "Notifier {name} failed (address = {})", config.address);
                            return Err(InitError(format!(
                                "Failed to bind address {}: {msg}",
                                config.address
                            )));
                        }
                    }
                }
            };
            tracing::debug!(target: "zmq", "Notifier {name} ready (address = {})", config.address);
            notifiers.push(Notifier {
                config,
                socket,
                sequence: 0,
            });
        }
        Ok(Arc::new(ZmqNotifications {
            state: Mutex::new(State {
                notifiers,
                connected_since_tip: None,
            }),
            in_ibd,
            runtime: Mutex::new(Some(runtime)),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The active notifiers, for `getzmqnotifications`.
    pub fn active(&self) -> Vec<NotifierConfig> {
        self.lock()
            .notifiers
            .iter()
            .map(|n| n.config.clone())
            .collect()
    }

    /// Connected subscribers of the socket at `address` (tests wait for them).
    pub fn subscriber_count(&self, address: &str) -> usize {
        self.lock()
            .notifiers
            .iter()
            .find(|n| n.config.address == address)
            .map_or(0, |n| n.socket.subscriber_count())
    }

    /// Closes every socket (later events publish nothing).
    pub fn shutdown(&self) {
        tracing::debug!(target: "zmq", "Shutdown notification interface");
        let notifiers = std::mem::take(&mut self.lock().notifiers);
        let mut remaining: HashMap<String, usize> = HashMap::new();
        for n in &notifiers {
            *remaining.entry(n.config.address.clone()).or_default() += 1;
        }
        for n in notifiers {
            tracing::debug!(target: "zmq", "Shutdown notifier {} at {}", n.config.kind.name(), n.config.address);
            let left = remaining.entry(n.config.address.clone()).or_default();
            *left -= 1;
            if *left == 0 {
                tracing::debug!(target: "zmq", "Close socket at address {}", n.config.address);
            }
            drop(n);
        }
        if let Some(rt) = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            rt.shutdown_background();
        }
    }

    /// Publishes what `event` means for each notifier (Core's order: a
    /// block's transactions, then its sequence message).
    pub fn handle(&self, event: &Event) {
        let mut state = self.lock();
        match event {
            Event::TransactionAdded(tx, mempool_sequence) => {
                let txid = tx.compute_txid().to_byte_array();
                for n in &mut state.notifiers {
                    n.transaction(tx);
                    if n.config.kind == Kind::Sequence {
                        tracing::debug!(target: "zmq", "Publish hashtx mempool acceptance {} to {}", tx.compute_txid(), n.config.address);
                    }
                    n.sequence(txid, b'A', Some(*mempool_sequence));
                }
            }
            Event::TransactionRemoved(tx, _, mempool_sequence) => {
                let txid = tx.compute_txid().to_byte_array();
                for n in &mut state.notifiers {
                    if n.config.kind == Kind::Sequence {
                        tracing::debug!(target: "zmq", "Publish hashtx mempool removal {} to {}", tx.compute_txid(), n.config.address);
                    }
                    n.sequence(txid, b'R', Some(*mempool_sequence));
                }
            }
            Event::BlockConnected(block, _) => {
                for tx in &block.txdata {
                    for n in &mut state.notifiers {
                        n.transaction(tx);
                    }
                }
                let hash = block.block_hash();
                for n in &mut state.notifiers {
                    if n.config.kind == Kind::Sequence {
                        tracing::debug!(target: "zmq", "Publish sequence block connect {hash} to {}", n.config.address);
                    }
                    n.sequence(hash.to_byte_array(), b'C', None);
                }
                state.connected_since_tip = Some(block.clone());
            }
            Event::BlockDisconnected(block, _) => {
                for tx in &block.txdata {
                    for n in &mut state.notifiers {
                        n.transaction(tx);
                    }
                }
                let hash = block.block_hash();
                for n in &mut state.notifiers {
                    if n.config.kind == Kind::Sequence {
                        tracing::debug!(target: "zmq", "Publish sequence block disconnect {hash} to {}", n.config.address);
                    }
                    n.sequence(hash.to_byte_array(), b'D', None);
                }
            }
            Event::UpdatedBlockTip => {
                let Some(tip) = state.connected_since_tip.take() else {
                    return;
                };
                if (self.in_ibd)() {
                    return;
                }
                for n in &mut state.notifiers {
                    n.tip(&tip);
                }
            }
            Event::ChainStateFlushed(_) => {}
        }
    }
}

impl Subscriber for ZmqNotifications {
    fn notify(&self, event: &Event) -> bool {
        self.handle(event);
        true
    }
}

impl Drop for ZmqNotifications {
    fn drop(&mut self) {
        if let Some(rt) = self
            .runtime
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            rt.shutdown_background();
        }
    }
}
