//! Test doubles: an in-memory chain and mempool implementing `NodeBackend`, a
//! raw TCP peer speaking the v1 protocol, and helpers to start a node.
#![allow(dead_code)]

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    chacha20_poly1305 as _, common as _, consensus as _, hex as _, libc as _, rand as _,
    serde_json as _, tokio as _, tracing as _,
};

use bitcoin::block::{Header, Version};
use bitcoin::consensus::encode::{deserialize_partial, serialize};
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};
use net::config::BindSpec;
use net::{
    BlockAccepted, BlockProcessed, FeeFloor, NetConfig, NetHandle, NetManager, NodeBackend,
    Rejected, TxRef,
};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

#[derive(Default)]
struct ChainState {
    headers: HashMap<BlockHash, (Header, u32)>,
    blocks: HashMap<BlockHash, Block>,
    active: Vec<BlockHash>,
    mempool: HashMap<Txid, Transaction>,
    /// Fees of mempool transactions submitted with one.
    fees: HashMap<Txid, i64>,
}

/// An in-memory chain: accepts any header whose parent is known, connects the
/// highest fully-downloaded branch, and tells net about tip changes.
pub struct FakeChain {
    state: Mutex<ChainState>,
    net: Mutex<Option<NetHandle>>,
    /// Refuse every block (benignly), to test that net does not loop.
    pub refuse_blocks: std::sync::atomic::AtomicBool,
    /// What `fee_filter_floor` answers.
    pub fee_floor: Mutex<FeeFloor>,
    /// Panic in `headers_after`, standing in for a bug reached by some input.
    pub panic_on_getheaders: std::sync::atomic::AtomicBool,
}

impl FakeChain {
    pub fn new() -> Arc<FakeChain> {
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
        let hash = genesis.block_hash();
        let mut st = ChainState::default();
        st.headers.insert(hash, (genesis.header, 0));
        st.blocks.insert(hash, genesis);
        st.active.push(hash);
        Arc::new(FakeChain {
            state: Mutex::new(st),
            net: Mutex::new(None),
            refuse_blocks: Default::default(),
            panic_on_getheaders: Default::default(),
            fee_floor: Mutex::new(FeeFloor {
                mempool_min: 0,
                min_relay: 100,
                initial_download: false,
            }),
        })
    }

    pub fn attach(&self, net: NetHandle) {
        *self.net.lock().unwrap() = Some(net);
    }

    pub fn tip_hash(&self) -> BlockHash {
        *self.state.lock().unwrap().active.last().unwrap()
    }

    pub fn height(&self) -> u32 {
        (self.state.lock().unwrap().active.len() - 1) as u32
    }

    /// A block on top of `parent` with a unique coinbase (tag makes forks differ).
    pub fn make_block(&self, parent: BlockHash, tag: u8) -> Block {
        let height = self.state.lock().unwrap().headers[&parent].1 + 1;
        let coinbase = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(vec![
                    4,
                    height as u8,
                    (height >> 8) as u8,
                    tag,
                    0,
                ]),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(50),
                script_pubkey: ScriptBuf::new(),
            }],
        };
        let mut block = Block {
            header: Header {
                version: Version::TWO,
                prev_blockhash: parent,
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_296_688_602 + height,
                bits: CompactTarget::from_consensus(0x207fffff),
                nonce: 0,
            },
            txdata: vec![coinbase],
        };
        block.header.merkle_root = block.compute_merkle_root().unwrap();
        block
    }

    /// Mines `n` blocks on the tip (through `process_block`, so net is notified).
    pub fn mine(&self, n: u32) {
        for _ in 0..n {
            let b = self.make_block(self.tip_hash(), 0);
            self.store_block(b).unwrap();
        }
    }

    pub fn mempool_len(&self) -> usize {
        self.state.lock().unwrap().mempool.len()
    }

    /// Like [`FakeChain::submit_tx`], with a known fee in satoshis.
    pub fn submit_tx_with_fee(&self, tx: Transaction, fee: i64) {
        self.state
            .lock()
            .unwrap()
            .fees
            .insert(tx.compute_txid(), fee);
        self.submit_tx(tx);
    }

    /// Adds a transaction as an RPC would, and tells net to relay it.
    pub fn submit_tx(&self, tx: Transaction) {
        let (txid, wtxid) = (tx.compute_txid(), tx.compute_wtxid());
        self.state.lock().unwrap().mempool.insert(txid, tx);
        if let Some(n) = self.net.lock().unwrap().as_ref() {
            n.relay_transaction(txid, wtxid);
        }
    }

    fn locator_from(st: &ChainState, from: BlockHash) -> Vec<BlockHash> {
        // Core's shape: ten dense entries, then doubling steps, then genesis.
        let mut chain = Vec::new();
        let mut cur = Some(from);
        while let Some(h) = cur {
            chain.push(h);
            let (hdr, height) = st.headers[&h];
            cur = (height > 0).then_some(hdr.prev_blockhash);
        }
        let mut out = Vec::new();
        let (mut i, mut step) = (0usize, 1usize);
        while i < chain.len() {
            out.push(chain[i]);
            if out.len() >= 10 {
                step *= 2;
            }
            i += step;
        }
        if out.last() != chain.last() {
            out.extend(chain.last());
        }
        out
    }

    fn has_all_data(st: &ChainState, mut h: BlockHash) -> bool {
        loop {
            if !st.blocks.contains_key(&h) {
                return false;
            }
            let (hdr, height) = st.headers[&h];
            if height == 0 {
                return true;
            }
            h = hdr.prev_blockhash;
        }
    }

    /// Switches to the highest branch with all data; returns the new tip if it moved.
    fn activate_best(st: &mut ChainState, new: BlockHash) -> Option<BlockHash> {
        // Fast path: the new block extends the tip.
        if st.headers[&new].0.prev_blockhash == *st.active.last()? {
            st.active.push(new);
            return Some(new);
        }
        let tip_height = st.active.len() as u32 - 1;
        let best = st
            .blocks
            .keys()
            .filter(|h| st.headers[*h].1 > tip_height)
            .filter(|h| Self::has_all_data(st, **h))
            .max_by_key(|h| st.headers[*h].1)
            .copied()?;
        let mut chain = Vec::new();
        let mut cur = best;
        loop {
            chain.push(cur);
            let (hdr, height) = st.headers[&cur];
            if height == 0 {
                break;
            }
            cur = hdr.prev_blockhash;
        }
        chain.reverse();
        st.active = chain;
        Some(best)
    }

    /// Stores `block` and moves the tip to the best chain, as the node's backend.
    pub fn store_block(&self, block: Block) -> Result<BlockAccepted, Rejected> {
        if self.refuse_blocks.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Rejected::benign("refused-for-test"));
        }
        let hash = block.block_hash();
        let moved = {
            let mut st = self.state.lock().unwrap();
            if st.blocks.contains_key(&hash) {
                return Ok(BlockAccepted::Duplicate);
            }
            let Some(&(_, ph)) = st.headers.get(&block.header.prev_blockhash) else {
                return Err(Rejected::benign("prev-blk-not-found"));
            };
            st.headers.entry(hash).or_insert((block.header, ph + 1));
            for tx in &block.txdata {
                st.mempool.remove(&tx.compute_txid());
            }
            st.blocks.insert(hash, block);
            Self::activate_best(&mut st, hash)
        };
        if let (Some(tip), Some(n)) = (moved, self.net.lock().unwrap().as_ref()) {
            n.block_tip_changed(tip);
        }
        Ok(BlockAccepted::New)
    }
}

pub fn dummy_tx(n: u32) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(Txid::all_zeros(), n),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[vec![1u8, 2, 3]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1000 + u64::from(n)),
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

impl NodeBackend for FakeChain {
    fn fee_filter_floor(&self) -> FeeFloor {
        *self.fee_floor.lock().unwrap()
    }

    fn is_initial_block_download(&self) -> bool {
        self.fee_floor.lock().unwrap().initial_download
    }

    fn tip(&self) -> (u32, BlockHash) {
        (self.height(), self.tip_hash())
    }

    fn block_locator(&self, from: Option<BlockHash>) -> Vec<BlockHash> {
        let st = self.state.lock().unwrap();
        let from = from.unwrap_or_else(|| {
            *st.headers
                .iter()
                .max_by_key(|(_, (_, h))| *h)
                .map(|(k, _)| k)
                .unwrap()
        });
        Self::locator_from(&st, from)
    }

    fn header_height(&self, hash: &BlockHash) -> Option<u32> {
        self.state.lock().unwrap().headers.get(hash).map(|x| x.1)
    }

    fn header(&self, hash: &BlockHash) -> Option<Header> {
        self.state.lock().unwrap().headers.get(hash).map(|x| x.0)
    }

    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header> {
        if self
            .panic_on_getheaders
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            panic!("headers_after: injected fault");
        }
        let st = self.state.lock().unwrap();
        if locator.is_empty() {
            return st.headers.get(stop).map(|x| vec![x.0]).unwrap_or_default();
        }
        let start = locator
            .iter()
            .find_map(|h| st.active.iter().position(|a| a == h))
            .map_or(1, |p| p + 1);
        let mut out = Vec::new();
        for h in st.active.iter().skip(start) {
            out.push(st.headers[h].0);
            if out.len() >= max || h == stop {
                break;
            }
        }
        out
    }

    fn has_block(&self, hash: &BlockHash) -> bool {
        self.state.lock().unwrap().blocks.contains_key(hash)
    }

    fn block_bytes(&self, hash: &BlockHash) -> Option<Vec<u8>> {
        self.state.lock().unwrap().blocks.get(hash).map(serialize)
    }

    fn process_headers(&self, headers: &[Header]) -> Result<(), Rejected> {
        let mut st = self.state.lock().unwrap();
        for h in headers {
            if h.bits != CompactTarget::from_consensus(0x207fffff) {
                return Err(Rejected::invalid("bad-diffbits"));
            }
            let Some(&(_, ph)) = st.headers.get(&h.prev_blockhash) else {
                return Err(Rejected::invalid("prev-blk-not-found"));
            };
            st.headers.entry(h.block_hash()).or_insert((*h, ph + 1));
        }
        Ok(())
    }

    fn blocks_to_download(&self, target: &BlockHash, max: usize) -> Vec<BlockHash> {
        let st = self.state.lock().unwrap();
        // Height stands in for chain work: every fake block has the same target.
        if st
            .headers
            .get(target)
            .is_none_or(|(_, h)| (*h as usize) < st.active.len() - 1)
        {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut cur = *target;
        while let Some(&(hdr, height)) = st.headers.get(&cur) {
            if st.active.get(height as usize) == Some(&cur) {
                break;
            }
            if !st.blocks.contains_key(&cur) {
                out.push(cur);
            }
            if height == 0 {
                break;
            }
            cur = hdr.prev_blockhash;
        }
        out.reverse();
        out.truncate(max);
        out
    }

    fn process_block(&self, block: Block, _requested: bool) -> BlockProcessed {
        self.store_block(block).into()
    }

    fn mempool_fee(&self, id: &TxRef) -> Option<(i64, u64)> {
        let tx = self.mempool_transaction(id)?;
        let fee = *self.state.lock().unwrap().fees.get(&tx.compute_txid())?;
        Some((fee, tx.vsize() as u64))
    }

    fn compact_block_candidates(&self) -> Vec<(bitcoin::Wtxid, Arc<Transaction>)> {
        let st = self.state.lock().unwrap();
        st.mempool
            .values()
            .map(|tx| (tx.compute_wtxid(), Arc::new(tx.clone())))
            .collect()
    }

    fn have_transaction(&self, id: &TxRef) -> bool {
        self.mempool_transaction(id).is_some()
    }

    fn mempool_transaction(&self, id: &TxRef) -> Option<Transaction> {
        let st = self.state.lock().unwrap();
        match id {
            TxRef::Txid(t) => st.mempool.get(t).cloned(),
            TxRef::Wtxid(w) => st
                .mempool
                .values()
                .find(|tx| tx.compute_wtxid() == *w)
                .cloned(),
        }
    }

    fn accept_transaction(&self, tx: Transaction) -> Result<(), Rejected> {
        if tx.output.is_empty() {
            return Err(Rejected::invalid("bad-txns-vout-empty"));
        }
        self.state
            .lock()
            .unwrap()
            .mempool
            .insert(tx.compute_txid(), tx);
        Ok(())
    }
}

/// A node listening on an ephemeral loopback port.
pub fn start_node(chain: &Arc<FakeChain>, ua: &str) -> (NetManager, SocketAddr) {
    start_node_with(chain, NetConfig::for_tests(ua))
}

/// Like [`start_node`] with a prepared configuration (binds are replaced).
pub fn start_node_with(chain: &Arc<FakeChain>, mut config: NetConfig) -> (NetManager, SocketAddr) {
    config.listen = true;
    config.binds = vec![BindSpec {
        addr: "127.0.0.1:0".parse().unwrap(),
        onion: false,
        required: true,
        permissions: Default::default(),
    }];
    let backend: Arc<dyn NodeBackend> = chain.clone();
    let mgr = NetManager::start(config, backend).expect("start net");
    chain.attach(mgr.handle());
    let addr = mgr.handle().listen_addrs()[0];
    (mgr, addr)
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A hand-driven peer on a blocking socket.
pub struct RawPeer {
    pub stream: TcpStream,
}

impl RawPeer {
    pub fn connect(addr: SocketAddr) -> RawPeer {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        RawPeer { stream }
    }

    /// Waits for the node to connect to `listener` (an outbound connection).
    /// Panics after 10 s instead of hanging the test.
    pub fn accept(listener: &std::net::TcpListener) -> RawPeer {
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "the node did not connect");
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        RawPeer { stream }
    }

    /// Sends a `version` offering `services`.
    pub fn send_version_with_services(&mut self, services: ServiceFlags) {
        let a: SocketAddr = "0.0.0.0:0".parse().unwrap();
        self.send(NetworkMessage::Version(VersionMessage {
            version: 70016,
            services,
            timestamp: 1_700_000_000,
            receiver: Address::new(&a, ServiceFlags::NONE),
            sender: Address::new(&a, ServiceFlags::NONE),
            nonce: 0x5678,
            user_agent: "/outbound-tester/".into(),
            start_height: 0,
            relay: true,
        }));
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    pub fn send(&mut self, msg: NetworkMessage) {
        let (t, p) = net::message::encode(&msg);
        self.send_raw(&net::wire::encode_frame(REGTEST_MAGIC, &t, &p));
    }

    pub fn send_version(&mut self, version: u32) {
        let a: SocketAddr = "0.0.0.0:0".parse().unwrap();
        self.send(NetworkMessage::Version(VersionMessage {
            version,
            services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            timestamp: 1_700_000_000,
            receiver: Address::new(&a, ServiceFlags::NONE),
            sender: Address::new(&a, ServiceFlags::NONE),
            nonce: 0x1234,
            user_agent: "/python-p2p-tester:0.0.3/".into(),
            start_height: -1,
            relay: true,
        }));
    }

    /// Next message as (type, payload); `None` when the node closed the socket.
    /// Panics when nothing arrives within the read timeout.
    pub fn recv(&mut self) -> Option<(String, Vec<u8>)> {
        let mut hdr = [0u8; 24];
        if let Err(e) = self.stream.read_exact(&mut hdr) {
            assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "no message from the node within the timeout"
            );
            return None;
        }
        let h =
            net::wire::MessageHeader::parse(&hdr, REGTEST_MAGIC).expect("node sent a bad header");
        let mut payload = vec![0u8; h.length as usize];
        self.stream.read_exact(&mut payload).ok()?;
        assert_eq!(
            net::wire::checksum(&payload),
            h.checksum,
            "node sent a bad checksum"
        );
        Some((h.type_string(), payload))
    }

    /// Reads until a message of `msg_type` arrives, answering pings on the way.
    pub fn expect(&mut self, msg_type: &str) -> Vec<u8> {
        loop {
            let (t, p) = self
                .recv()
                .unwrap_or_else(|| panic!("closed while waiting for {msg_type}"));
            if t == msg_type {
                return p;
            }
            if t == "ping" {
                let nonce: u64 = deserialize_partial(&p).unwrap().0;
                self.send(NetworkMessage::Pong(nonce));
            }
        }
    }

    /// Whether the node closes the connection within five seconds.
    pub fn closed_by_node(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        self.stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let closed = loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() > deadline {
                        break false;
                    }
                }
                Err(_) => break true,
            }
        };
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        closed
    }

    /// Full handshake as the Python test framework does it.
    pub fn handshake(&mut self) {
        self.send_version(70016);
        self.expect("version");
        self.send(NetworkMessage::WtxidRelay);
        self.send(NetworkMessage::SendAddrV2);
        self.send(NetworkMessage::Verack);
        self.expect("verack");
    }
}
