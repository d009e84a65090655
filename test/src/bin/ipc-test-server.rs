//! A stand-in IPC server for tests that need a working `Mining` before the
//! node has a chainstate: serves `Init` (Echo, and a Mining whose chain only
//! moves when told) on a Unix socket, logging IPC lines to a file the way the
//! node's debug.log has them. Lets the pycapnp tests replay Core's
//! interface_ipc.py flows (disconnect during waitNext, thread busy,
//! interruptWait) against this runtime.
//!
//! Usage: ipc-test-server SOCKET LOGFILE
//! Each line `generate` on stdin mines a block; EOF on stdin stops the server.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, functional as _, hex as _, libc as _, serde_json as _,
    tempfile as _,
};

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use interfaces::echo::{Echo, LocalEcho};
use interfaces::init::Init;
use interfaces::mining::*;
use std::io::{BufRead, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Chain height, bumped by `generate`; waiters watch it.
#[derive(Default)]
struct Chain {
    state: Mutex<State>,
    cv: Condvar,
}

#[derive(Default)]
struct State {
    height: u32,
    mining_interrupted: bool,
}

fn tip(height: u32) -> BlockRef {
    let mut h = [0u8; 32];
    h[..4].copy_from_slice(&height.to_le_bytes());
    BlockRef {
        hash: BlockHash::from_byte_array(h),
        height: height as i32,
    }
}

struct FakeMining(Arc<Chain>);

struct FakeTemplate {
    chain: Arc<Chain>,
    height: u32,
    interrupted: Mutex<bool>,
}

impl BlockTemplate for FakeTemplate {
    fn get_block_header(&self) -> interfaces::Result<bitcoin::block::Header> {
        Ok(bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header)
    }
    fn get_block(&self) -> interfaces::Result<bitcoin::Block> {
        Ok(bitcoin::constants::genesis_block(bitcoin::Network::Regtest))
    }
    fn get_tx_fees(&self) -> interfaces::Result<Vec<i64>> {
        Ok(vec![])
    }
    fn get_tx_sigops(&self) -> interfaces::Result<Vec<i64>> {
        Ok(vec![])
    }
    fn get_coinbase_tx(&self) -> interfaces::Result<CoinbaseTx> {
        Ok(CoinbaseTx::default())
    }
    fn get_coinbase_merkle_path(&self) -> interfaces::Result<Vec<[u8; 32]>> {
        Ok(vec![])
    }
    fn submit_solution(
        &self,
        _: u32,
        _: u32,
        _: u32,
        _: Option<bitcoin::Transaction>,
    ) -> interfaces::Result<bool> {
        Ok(false)
    }
    fn wait_next(
        &self,
        options: &BlockWaitOptions,
    ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
        let deadline = options.timeout.map(|t| Instant::now() + t);
        let mut s = self.chain.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if std::mem::take(&mut *self.interrupted.lock().unwrap_or_else(|p| p.into_inner())) {
                return Ok(None);
            }
            if s.height != self.height {
                return Ok(Some(Box::new(FakeTemplate {
                    chain: self.chain.clone(),
                    height: s.height,
                    interrupted: Mutex::new(false),
                })));
            }
            let wait = match deadline {
                Some(d) if Instant::now() >= d => return Ok(None),
                Some(d) => (d - Instant::now()).min(Duration::from_millis(50)),
                None => Duration::from_millis(50),
            };
            s = self
                .chain
                .cv
                .wait_timeout(s, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
    fn interrupt_wait(&self) -> interfaces::Result<()> {
        *self.interrupted.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.chain.cv.notify_all();
        Ok(())
    }
}

impl Mining for FakeMining {
    fn is_test_chain(&self) -> interfaces::Result<bool> {
        Ok(true)
    }
    fn is_initial_block_download(&self) -> interfaces::Result<bool> {
        Ok(false)
    }
    fn get_tip(&self) -> interfaces::Result<Option<BlockRef>> {
        Ok(Some(tip(self
            .0
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .height)))
    }
    fn wait_tip_changed(
        &self,
        current: BlockHash,
        timeout: Option<Duration>,
    ) -> interfaces::Result<Option<BlockRef>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut s = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if std::mem::take(&mut s.mining_interrupted) {
                return Ok(None);
            }
            let t = tip(s.height);
            if t.hash != current || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(Some(t));
            }
            s = self
                .0
                .cv
                .wait_timeout(s, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
    fn create_new_block(
        &self,
        _: &BlockCreateOptions,
        _: bool,
    ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
        let height = self
            .0
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .height;
        Ok(Some(Box::new(FakeTemplate {
            chain: self.0.clone(),
            height,
            interrupted: Mutex::new(false),
        })))
    }
    fn check_block(
        &self,
        _: &bitcoin::Block,
        _: &BlockCheckOptions,
    ) -> interfaces::Result<BlockCheck> {
        Ok(BlockCheck::default())
    }
    fn interrupt(&self) -> interfaces::Result<()> {
        self.0
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .mining_interrupted = true;
        self.0.cv.notify_all();
        Ok(())
    }
    fn submit_block(&self, _: &bitcoin::Block) -> interfaces::Result<BlockCheck> {
        Ok(BlockCheck::default())
    }
    fn get_transactions_by_tx_id(
        &self,
        ids: &[bitcoin::Txid],
    ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
        Ok(vec![None; ids.len()])
    }
    fn get_transactions_by_witness_id(
        &self,
        ids: &[bitcoin::Wtxid],
    ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
        Ok(vec![None; ids.len()])
    }
}

struct TestInit(Arc<Chain>);

impl Init for TestInit {
    fn make_echo(&self) -> interfaces::Result<Option<Box<dyn Echo>>> {
        Ok(Some(Box::new(LocalEcho)))
    }
    fn make_mining(&self) -> interfaces::Result<Option<Box<dyn Mining>>> {
        Ok(Some(Box::new(FakeMining(self.0.clone()))))
    }
}

/// Writes every event's message as one line to the log file.
struct FileLog(Mutex<std::fs::File>);

struct Msg(String);

impl tracing::field::Visit for Msg {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FileLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut m = Msg(String::new());
        event.record(&mut m);
        let mut f = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(f, "{}", m.0);
        let _ = f.flush();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: ipc-test-server SOCKET LOGFILE");
        std::process::exit(2);
    }
    let log = match std::fs::File::create(&args[2]) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    };
    use tracing_subscriber::layer::SubscriberExt;
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(FileLog(Mutex::new(log))),
    );
    let chain = Arc::new(Chain::default());
    let ipc = match ipc::Ipc::new("bitcoin-node") {
        Ok(i) => i,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    };
    let listening = ipc::socket::bind(std::path::Path::new(&args[1]))
        .and_then(|l| ipc.listen(l, Arc::new(TestInit(chain.clone()))));
    if let Err(e) = listening {
        eprintln!("Error: {e}");
        std::process::exit(1);
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    for line in std::io::stdin().lock().lines() {
        match line.as_deref().map(str::trim) {
            Ok("generate") => {
                chain.state.lock().unwrap_or_else(|p| p.into_inner()).height += 1;
                chain.cv.notify_all();
                println!("generated");
                let _ = std::io::stdout().flush();
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    ipc.disconnect_incoming(None);
}
