//! `Node.walletLoader` over the node's `-ipcbind` socket, as a GUI reaches
//! its wallets: the loader forwards to the wallet process the node runs, the
//! `Wallet`s it returns are served on through the node's connection (calls,
//! registrations and their callbacks), a killed wallet process makes calls
//! fail instead of hang, and once the node has restarted it the same loader
//! works again (load callbacks included). `-disablewallet` gives no loader.

// Dependencies of the other test targets.
use {base64 as _, consensus as _, hex as _, tempfile as _, tracing as _, tracing_subscriber as _};

use bitcoin::hashes::Hash;
use functional::{child_pids, wait_for, wait_for_file, TestNode};
use interfaces::init::Init;
use interfaces::wallet::{
    LoadWalletCallback, TransactionChangedCallback, TxDestination, Wallet, WalletLoader,
};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Core's `WALLET_FLAG_DESCRIPTORS`.
const DESCRIPTORS: u64 = 1 << 34;
/// Core's `OutputType::BECH32`.
const BECH32: i32 = 2;
const COIN: i64 = 100_000_000;

/// Names the wallets the loader announces (asking each announced wallet
/// its name, a call back through the node while the wallet process waits).
#[derive(Default)]
struct Announced(Mutex<Vec<String>>);

struct OnLoad(Arc<Announced>);

impl LoadWalletCallback for OnLoad {
    fn call(&self, wallet: Box<dyn Wallet>) -> interfaces::Result<()> {
        let name = wallet.get_wallet_name()?;
        self.0 .0.lock().unwrap().push(name);
        Ok(())
    }
}

struct OnTransaction(Arc<AtomicUsize>);

impl TransactionChangedCallback for OnTransaction {
    fn call(&self, _txid: &bitcoin::Txid, _status: i32) -> interfaces::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn connect(node: &TestNode) -> (ipc::Ipc, ipc::InitClient) {
    let sock = node.chain_path().join("node.sock");
    wait_for_file(&sock);
    let ipc = ipc::Ipc::new("test-gui").unwrap();
    let init = ipc
        .connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
        .expect("connect");
    (ipc, init)
}

fn address(dest: &TxDestination) -> String {
    match dest {
        TxDestination::WitnessV0KeyHash(h) => {
            let script = bitcoin::ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array(*h));
            bitcoin::Address::from_script(&script, bitcoin::Network::Regtest)
                .unwrap()
                .to_string()
        }
        other => panic!("asked for bech32, got {other:?}"),
    }
}

/// Runs calls on one other thread, so the test can fail a call that hangs
/// (a call to a dead process must answer) while all calls share one IPC
/// worker in the node.
struct Guarded(std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>);

impl Guarded {
    fn new() -> Guarded {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::spawn(move || {
            for job in rx {
                job();
            }
        });
        Guarded(tx)
    }

    /// `f()`, failing the test if it takes over 30 s.
    fn within_30s<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        self.0
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .expect("the guarded thread is gone");
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the call hung")
    }
}

fn wallet_child(node: &TestNode) -> u32 {
    let pid = node.pid().expect("running");
    wait_for("one wallet child", || match child_pids(pid).as_slice() {
        [child] => Some(*child),
        _ => None,
    })
}

#[test]
fn node_wallet_loader_forwards_to_the_wallet_process_and_survives_its_restart() {
    let mut node = TestNode::with_wallet();
    node.start(&["-ipcbind=unix"]);
    let (ipc, init) = connect(&node);
    let gui = init.make_node().unwrap().expect("node");
    let loader: Arc<dyn WalletLoader> = Arc::from(gui.wallet_loader().unwrap().expect("loader"));

    // The node runs the wallet process's life cycle, not its clients.
    match loader.stop() {
        Err(interfaces::Error::Remote(e)) => assert!(e.contains("managed by the node"), "{e}"),
        other => panic!("stop must be refused, got {other:?}"),
    }

    let announced = Arc::new(Announced::default());
    let load_handler = loader
        .handle_load_wallet(Box::new(OnLoad(announced.clone())))
        .unwrap();
    assert!(loader.get_wallets().unwrap().is_empty());
    assert!(loader
        .get_wallet_dir()
        .unwrap()
        .ends_with("regtest/wallets"));

    let created = loader.create_wallet("w1", "", DESCRIPTORS).unwrap();
    let wallet: Box<dyn Wallet> = match created.wallet {
        Ok(w) => w,
        Err(e) => panic!("createWallet: {}", e.original),
    };
    assert_eq!(wallet.get_wallet_name().unwrap(), "w1");
    assert_eq!(*announced.0.lock().unwrap(), vec!["w1".to_string()]);

    // A registration on the forwarded wallet hears of its transactions.
    let changes = Arc::new(AtomicUsize::new(0));
    let tx_handler = wallet
        .handle_transaction_changed(Box::new(OnTransaction(changes.clone())))
        .unwrap();

    let dest = wallet
        .get_new_destination(BECH32, "mining")
        .unwrap()
        .map_err(|e| e.original)
        .unwrap();
    let addr = address(&dest);
    node.rpc("generatetoaddress", json!([101, addr]));
    let balances = wait_for("the mined coins in the wallet", || {
        let b = wallet.get_balances().unwrap();
        (b.balance == 50 * COIN).then_some(b)
    });
    assert_eq!(balances.immature_balance, 100 * 50 * COIN);
    assert_eq!(balances.unconfirmed_balance, 0);
    wait_for("transaction notifications through the node", || {
        (changes.load(Ordering::SeqCst) >= 101).then_some(())
    });

    let dir = loader.list_wallet_dir().unwrap();
    assert!(dir.iter().any(|(name, _)| name == "w1"), "{dir:?}");
    let wallets = loader.get_wallets().unwrap();
    assert_eq!(wallets.len(), 1);
    assert_eq!(wallets[0].get_wallet_name().unwrap(), "w1");
    drop(wallets);

    // The wallet process dies: calls through the node fail, promptly.
    let child = wallet_child(&node);
    // SAFETY: kill(2) on the node's child.
    unsafe {
        libc::kill(child as i32, libc::SIGKILL);
    }
    let wallet: Arc<dyn Wallet> = Arc::from(wallet);
    let guarded = Guarded::new();
    let w = wallet.clone();
    let r = guarded.within_30s(move || w.get_balances());
    assert!(r.is_err(), "a dead process's wallet answered {r:?}");
    let l = loader.clone();
    let mut away = None;
    let back = wait_for("the restarted wallet process", || {
        let l = l.clone();
        match guarded.within_30s(move || l.get_wallets()) {
            Err(interfaces::Error::Remote(e)) => {
                assert!(e.contains("wallet process is not running"), "{e}");
                away = Some(e);
                None
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(wallets) if wallets.is_empty() => None,
            Ok(wallets) => Some(wallets),
        }
    });
    assert!(away.is_some(), "no call saw the process away");
    // The node answered throughout and still does.
    assert_eq!(node.rpc("getblockcount", json!([])), json!(101));
    assert_ne!(wallet_child(&node), child);
    // Reaped, though this client still holds a `Wallet` of that process.
    wait_for("the dead wallet process reaped", || {
        (!std::path::Path::new(&format!("/proc/{child}")).exists()).then_some(())
    });

    // The node reloaded w1 in the new process; the client's load callback,
    // registered with the old one, heard of it.
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].get_wallet_name().unwrap(), "w1");
    wait_for("the reload announced", || {
        (announced.0.lock().unwrap().len() == 2).then_some(())
    });
    assert_eq!(
        *announced.0.lock().unwrap(),
        vec!["w1".to_string(), "w1".to_string()]
    );
    let balances = wait_for("the reloaded wallet's balance", || {
        let b = back[0].get_balances().unwrap();
        (b.balance == 50 * COIN).then_some(b)
    });
    assert_eq!(balances.immature_balance, 100 * 50 * COIN);
    // The old process's wallet stays dead; the new one is the way on.
    assert!(wallet.get_balances().is_err());
    let dir = loader.list_wallet_dir().unwrap();
    assert!(dir.iter().any(|(name, _)| name == "w1"), "{dir:?}");

    // A second wallet in the new process, announced to the same callback.
    let created = loader.create_wallet("w2", "", DESCRIPTORS).unwrap();
    assert!(created.wallet.is_ok());
    assert_eq!(announced.0.lock().unwrap().last().unwrap(), "w2");
    // Unregistered: later loads are not announced.
    load_handler.disconnect().unwrap();
    drop(load_handler);
    let w3 = loader.create_wallet("w3", "", DESCRIPTORS).unwrap();
    assert!(w3.wallet.is_ok());
    assert_eq!(announced.0.lock().unwrap().len(), 3);
    assert_eq!(loader.get_wallets().unwrap().len(), 3);

    drop((tx_handler, wallet, back, created, w3, loader, gui, init));
    drop(ipc);
    node.stop();
    let log = node.debug_log();
    assert!(
        log.contains("Wallet process restarted; reloaded 1 wallet(s)"),
        "{log}"
    );
}

#[test]
fn disablewallet_gives_no_wallet_loader() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix"]);
    let (ipc, init) = connect(&node);
    let gui = init.make_node().unwrap().expect("node");
    assert!(gui.wallet_loader().unwrap().is_none());
    drop((gui, init));
    drop(ipc);
    node.stop();
}

#[test]
fn in_per_wallet_mode_the_loader_reaches_every_wallets_process() {
    let mut node = TestNode::with_wallet();
    node.start(&["-ipcbind=unix", "-walletprocess=per-wallet"]);
    let node_pid = node.pid().expect("running");
    let (ipc, init) = connect(&node);
    let gui = init.make_node().unwrap().expect("node");
    let loader: Arc<dyn WalletLoader> = Arc::from(gui.wallet_loader().unwrap().expect("loader"));
    let announced = Arc::new(Announced::default());
    let load_handler = loader
        .handle_load_wallet(Box::new(OnLoad(announced.clone())))
        .unwrap();
    assert!(loader.get_wallets().unwrap().is_empty());

    // A wallet created through the loader gets a process of its own…
    let created = loader.create_wallet("g1", "", DESCRIPTORS).unwrap();
    assert!(created.wallet.is_ok());
    assert_eq!(child_pids(node_pid).len(), 2);
    // …and so does one created over RPC; the client hears of both.
    node.rpc("createwallet", json!(["r1"]));
    assert_eq!(child_pids(node_pid).len(), 3);
    wait_for("both announced", || {
        (announced.0.lock().unwrap().len() == 2).then_some(())
    });
    assert_eq!(
        *announced.0.lock().unwrap(),
        vec!["g1".to_string(), "r1".to_string()]
    );
    let mut names: Vec<String> = loader
        .get_wallets()
        .unwrap()
        .iter()
        .map(|w| w.get_wallet_name().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["g1".to_string(), "r1".to_string()]);
    // Loading a wallet some process holds is that process's refusal.
    let again = loader.load_wallet("g1").unwrap();
    match again.wallet {
        Err(e) => assert!(e.original.contains("already loaded"), "{}", e.original),
        Ok(_) => panic!("g1 loaded twice"),
    }
    assert_eq!(child_pids(node_pid).len(), 3);

    load_handler.disconnect().unwrap();
    drop((load_handler, created, loader, gui, init));
    drop(ipc);
    node.stop();
}
