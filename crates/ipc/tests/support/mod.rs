//! Shared test fixtures: a test `Init` with Echo and a controllable Mining,
//! a log capture, and a raw capnp client for wire-level (hostile) tests.
#![allow(dead_code)]

pub mod calculator;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use interfaces::echo::Echo;
use interfaces::init::Init;
use interfaces::mining::*;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Echo that can report the thread it runs on and sleep on request.
pub struct TestEcho;

impl Echo for TestEcho {
    fn echo(&self, text: &str) -> interfaces::Result<String> {
        if text == "whoami" {
            return Ok(ipc::log::long_thread_name());
        }
        if let Some(ms) = text.strip_prefix("sleep:") {
            let ms: u64 = ms.parse().unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
        }
        if text == "panic" {
            panic!("echo panicked on purpose");
        }
        if text == "fail" {
            return Err(interfaces::Error::Remote("echo failed on purpose".into()));
        }
        Ok(text.to_string())
    }
}

/// A tip that tests change by hand; waits block until it changes or interrupt.
#[derive(Default)]
pub struct TestMining {
    state: Mutex<(u32, bool)>, // (height, interrupted)
    cv: Condvar,
}

impl TestMining {
    pub fn advance(&self) {
        self.state.lock().unwrap().0 += 1;
        self.cv.notify_all();
    }
    fn tip(height: u32) -> BlockRef {
        BlockRef {
            hash: BlockHash::from_byte_array([height as u8; 32]),
            height: height as i32,
        }
    }
}

impl Mining for TestMining {
    fn is_test_chain(&self) -> interfaces::Result<bool> {
        Ok(true)
    }
    fn is_initial_block_download(&self) -> interfaces::Result<bool> {
        Ok(false)
    }
    fn get_tip(&self) -> interfaces::Result<Option<BlockRef>> {
        Ok(Some(Self::tip(self.state.lock().unwrap().0)))
    }
    fn wait_tip_changed(
        &self,
        current: BlockHash,
        timeout: Option<Duration>,
    ) -> interfaces::Result<Option<BlockRef>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut s = self.state.lock().unwrap();
        loop {
            if s.1 {
                s.1 = false;
                return Ok(None);
            }
            let tip = Self::tip(s.0);
            if tip.hash != current {
                return Ok(Some(tip));
            }
            match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Ok(Some(tip));
                    }
                    s = self.cv.wait_timeout(s, d - now).unwrap().0;
                }
                None => s = self.cv.wait(s).unwrap(),
            }
        }
    }
    fn create_new_block(
        &self,
        _: &BlockCreateOptions,
        _: bool,
    ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
        Ok(Some(Box::new(TestTemplate::default())))
    }
    fn check_block(
        &self,
        _: &bitcoin::Block,
        _: &BlockCheckOptions,
    ) -> interfaces::Result<BlockCheck> {
        Ok(BlockCheck {
            valid: false,
            reason: "bad-test".into(),
            debug: String::new(),
        })
    }
    fn interrupt(&self) -> interfaces::Result<()> {
        self.state.lock().unwrap().1 = true;
        self.cv.notify_all();
        Ok(())
    }
    fn submit_block(&self, _: &bitcoin::Block) -> interfaces::Result<BlockCheck> {
        Ok(BlockCheck::default())
    }
    fn get_transactions_by_tx_id(
        &self,
        txids: &[bitcoin::Txid],
    ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
        Ok(vec![None; txids.len()])
    }
    fn get_transactions_by_witness_id(
        &self,
        w: &[bitcoin::Wtxid],
    ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
        Ok(vec![None; w.len()])
    }
}

/// Init serving [`TestEcho`] and a shared [`TestMining`].
pub struct TestInit {
    pub mining: Arc<TestMining>,
}

impl Init for TestInit {
    fn make_echo(&self) -> interfaces::Result<Option<Box<dyn Echo>>> {
        Ok(Some(Box::new(TestEcho)))
    }
    fn make_mining(&self) -> interfaces::Result<Option<Box<dyn Mining>>> {
        Ok(Some(Box::new(self.mining.clone())))
    }
    fn make_rpc(&self) -> interfaces::Result<Option<Box<dyn interfaces::rpc::Rpc>>> {
        Ok(Some(Box::new(TestRpc)))
    }
}

/// Answers every request with its own text.
pub struct TestRpc;

impl interfaces::rpc::Rpc for TestRpc {
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> interfaces::Result<String> {
        Ok(format!("{request}|{uri}|{user}"))
    }
}

/// A server process stand-in and a client connected to it over a socketpair.
pub struct Pair {
    pub server: ipc::Ipc,
    pub client: ipc::Ipc,
    pub init: ipc::InitClient,
    pub mining: Arc<TestMining>,
}

pub fn pair() -> Pair {
    logs();
    let server = ipc::Ipc::new("test-server").expect("server loop");
    let client = ipc::Ipc::new("test-server").expect("client loop");
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
    let mining = Arc::new(TestMining::default());
    server
        .serve(
            a,
            Arc::new(TestInit {
                mining: mining.clone(),
            }),
            Box::new(|| {}),
        )
        .expect("serve");
    let init = client.connect_stream(b).expect("connect");
    Pair {
        server,
        client,
        init,
        mining,
    }
}

/// Captured log lines (all levels, `ipc` debug and trace included).
pub fn logs() -> &'static Mutex<Vec<String>> {
    static LOGS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    static INIT: OnceLock<()> = OnceLock::new();
    let logs = LOGS.get_or_init(|| Mutex::new(Vec::new()));
    let _ = LOGS_REF.set(logs);
    INIT.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let sub = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(sub).expect("subscriber");
    });
    logs
}

struct Capture;

struct Visitor(String);

impl tracing::field::Visit for Visitor {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut v = Visitor(String::new());
        event.record(&mut v);
        if let Some(l) = LOGS_REF.get() {
            l.lock().unwrap().push(v.0);
        }
    }
}

static LOGS_REF: OnceLock<&'static Mutex<Vec<String>>> = OnceLock::new();

/// Waits until a captured line contains every one of `parts` (in one line).
pub fn wait_log(parts: &[&str], timeout: Duration) -> bool {
    let _ = LOGS_REF.set(logs());
    let end = Instant::now() + timeout;
    loop {
        if logs()
            .lock()
            .unwrap()
            .iter()
            .any(|l| parts.iter().all(|p| l.contains(p)))
        {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `f` until true or timeout.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

/// Runs `f` with a raw capnp-rpc client of the `Init` served on `stream`, on a
/// fresh single-threaded runtime (as an independent client process would),
/// then disconnects.
pub fn raw_client<R: Send + 'static, F, Fut>(stream: std::os::unix::net::UnixStream, f: F) -> R
where
    F: FnOnce(ipc::generated::init_capnp::init::Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = R> + 'static,
{
    std::thread::spawn(move || {
        use capnp_rpc::{rpc_twoparty_capnp::Side, twoparty, RpcSystem};
        use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            stream.set_nonblocking(true).unwrap();
            let stream = tokio::net::UnixStream::from_std(stream).unwrap();
            let (r, w) = stream.into_split();
            let net = twoparty::VatNetwork::new(
                futures::io::BufReader::new(r.compat()),
                futures::io::BufWriter::new(w.compat_write()),
                Side::Client,
                Default::default(),
            );
            let mut rpc = RpcSystem::new(Box::new(net), None);
            let init: ipc::generated::init_capnp::init::Client = rpc.bootstrap(Side::Server);
            let disconnector = rpc.get_disconnector();
            tokio::task::spawn_local(rpc);
            let out = f(init).await;
            let _ = disconnector.await;
            out
        })
    })
    .join()
    .expect("raw client thread")
}

/// A server running [`TestInit`] on a listening socket in a temp dir.
pub struct Listening {
    pub ipc: ipc::Ipc,
    pub path: std::path::PathBuf,
    pub mining: Arc<TestMining>,
    _dir: tempfile::TempDir,
}

impl Listening {
    pub fn connect(&self) -> std::os::unix::net::UnixStream {
        std::os::unix::net::UnixStream::connect(&self.path).expect("connect")
    }
}

pub fn listening() -> Listening {
    let mining = Arc::new(TestMining::default());
    listening_with(
        Arc::new(TestInit {
            mining: mining.clone(),
        }),
        mining,
    )
}

/// A server running `init` on a listening socket in a temp dir.
pub fn listening_with(init: Arc<dyn Init>, mining: Arc<TestMining>) -> Listening {
    logs();
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("node.sock");
    let ipc = ipc::Ipc::new("test-server").expect("loop");
    let listener = ipc::socket::bind(&path).expect("bind");
    ipc.listen(listener, init).expect("listen");
    Listening {
        ipc,
        path,
        mining,
        _dir: dir,
    }
}

/// `construct` then `makeThread`, returning a context-ready thread client.
pub async fn make_thread(
    init: &ipc::generated::init_capnp::init::Client,
) -> ipc::generated::proxy_capnp::thread::Client {
    let tm = init.construct_request().send().pipeline.get_thread_map();
    let mut req = tm.make_thread_request();
    req.get().set_name("rawthread");
    req.send().pipeline.get_result()
}

/// Calls `Echo.echo(text)` on `thread` through a fresh `makeEcho`.
pub async fn echo_on(
    init: &ipc::generated::init_capnp::init::Client,
    thread: &ipc::generated::proxy_capnp::thread::Client,
    text: &str,
) -> Result<String, capnp::Error> {
    let mut req = init.make_echo_request();
    req.get().init_context().set_thread(thread.clone());
    let echo = req.send().pipeline.get_result();
    let mut req = echo.echo_request();
    req.get().init_context().set_thread(thread.clone());
    req.get().set_echo(text);
    let reply = req.send().promise.await?;
    Ok(reply.get()?.get_result()?.to_string().unwrap())
}

/// A template whose `wait_next` blocks until `interrupt_wait` or its timeout.
#[derive(Default)]
pub struct TestTemplate {
    interrupted: Mutex<bool>,
    cv: Condvar,
}

impl BlockTemplate for TestTemplate {
    fn get_block_header(&self) -> interfaces::Result<bitcoin::block::Header> {
        Ok(bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header)
    }
    fn get_block(&self) -> interfaces::Result<bitcoin::Block> {
        Ok(bitcoin::constants::genesis_block(bitcoin::Network::Regtest))
    }
    fn get_tx_fees(&self) -> interfaces::Result<Vec<i64>> {
        Ok(vec![1, -2, 3])
    }
    fn get_tx_sigops(&self) -> interfaces::Result<Vec<i64>> {
        Ok(vec![4])
    }
    fn get_coinbase_tx(&self) -> interfaces::Result<CoinbaseTx> {
        Ok(CoinbaseTx {
            version: 2,
            sequence: 0xffff_fffe,
            script_sig_prefix: vec![1, 2],
            witness: None,
            block_reward_remaining: 5_000_000_000,
            required_outputs: vec![vec![0x6a], vec![]],
            lock_time: 7,
        })
    }
    fn get_coinbase_merkle_path(&self) -> interfaces::Result<Vec<[u8; 32]>> {
        Ok(vec![[9; 32]])
    }
    fn submit_solution(
        &self,
        _: u32,
        _: u32,
        nonce: u32,
        coinbase: Option<bitcoin::Transaction>,
    ) -> interfaces::Result<bool> {
        Ok(nonce == 42 && coinbase.is_some())
    }
    fn wait_next(
        &self,
        options: &BlockWaitOptions,
    ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
        let deadline = options.timeout.map(|t| Instant::now() + t);
        let mut i = self.interrupted.lock().unwrap();
        loop {
            if *i {
                // Reset after use (the bug found in review of Core's #33676).
                *i = false;
                return Ok(None);
            }
            match deadline {
                Some(d) if Instant::now() >= d => return Ok(None),
                Some(d) => i = self.cv.wait_timeout(i, d - Instant::now()).unwrap().0,
                None => i = self.cv.wait(i).unwrap(),
            }
        }
    }
    fn interrupt_wait(&self) -> interfaces::Result<()> {
        *self.interrupted.lock().unwrap() = true;
        self.cv.notify_all();
        Ok(())
    }
}
