//! The node's `Chain` (for wallets) and `Node` (for GUIs) through a real
//! `-ipcbind` socket: validation events in order across mining and a reorg,
//! block and coin lookups, broadcasting, an RPC method registered over IPC
//! and called over HTTP (`/wallet/<name>` too), and the GUI's view of the
//! node with its notification handlers.

use bitcoin::hashes::Hash;
// Dependencies of the other test targets.
use bitcoin::BlockHash;
use functional::{op_true, wait_for_file, TestNode};
use interfaces::chain::*;
use interfaces::init::Init;
use interfaces::node::InitMessageCallback;
use serde_json::json;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use {
    base64 as _, consensus as _, hex as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

/// Records every notification as a line.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

impl Recorder {
    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
        self.changed.notify_all();
    }

    /// Waits until a line matching `want` arrived; returns all lines so far.
    fn wait_for(&self, want: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut lines = self.lines.lock().unwrap();
        while !lines.iter().any(|l| l == want) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "never got {want:?}; got {:?}", *lines);
            lines = self.changed.wait_timeout(lines, left).unwrap().0;
        }
        lines.clone()
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

struct Events(Arc<Recorder>);

impl ChainNotifications for Events {
    fn transaction_added_to_mempool(&self, tx: &bitcoin::Transaction) -> interfaces::Result<()> {
        self.0.push(format!("added {}", tx.compute_txid()));
        Ok(())
    }
    fn block_connected(&self, role: &ChainstateRole, block: &BlockInfo) -> interfaces::Result<()> {
        assert!(role.validated);
        let data = block.data.as_ref().expect("the block comes along");
        assert_eq!(data.block_hash(), block.hash);
        assert_eq!(Some(data.header.prev_blockhash), block.prev_hash);
        assert!(block.file_number >= 0 && block.chain_time_max >= data.header.time);
        self.0
            .push(format!("connected {} {}", block.height, block.hash));
        Ok(())
    }
    fn block_disconnected(&self, block: &BlockInfo) -> interfaces::Result<()> {
        self.0
            .push(format!("disconnected {} {}", block.height, block.hash));
        Ok(())
    }
}

/// An RPC method served by the test over IPC: echoes its parameters and
/// the URI it was called on.
struct EchoActor;

impl ActorCallback for EchoActor {
    fn call(
        &self,
        request: &JsonRpcRequest,
        _response: &str,
        _last_callback: bool,
    ) -> interfaces::Result<ActorReply> {
        let params: serde_json::Value = serde_json::from_str(&request.params).unwrap();
        if params[0] == json!("fail") {
            return Err(interfaces::Error::Rpc(
                json!({"code": -4, "message": "asked to fail"}).to_string(),
            ));
        }
        Ok(ActorReply {
            response: json!({"params": params, "uri": request.uri}).to_string(),
            handled: true,
        })
    }
}

struct Messages(Arc<Recorder>);

impl InitMessageCallback for Messages {
    fn call(&self, message: &str) -> interfaces::Result<()> {
        self.0.push(format!("init {message}"));
        Ok(())
    }
}

fn hash(s: &str) -> BlockHash {
    s.parse().expect("block hash")
}

#[test]
fn chain_and_node_serve_a_wallet_and_a_gui_over_ipc() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix"]);
    let sock = node.chain_path().join("node.sock");
    wait_for_file(&sock);
    let ipc = ipc::Ipc::new("test-wallet").unwrap();
    let init = ipc
        .connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
        .expect("connect");
    let chain = init.make_chain().unwrap().expect("chain");
    let events = Arc::new(Recorder::default());
    let handler = chain
        .handle_notifications(Box::new(Events(events.clone())))
        .unwrap();

    // Blocks connect in order, each with its data.
    let mined = op_true::generate(&node, 110);
    let lines = events.wait_for(&format!("connected 110 {}", mined[109]));
    let connected: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("connected"))
        .collect();
    assert_eq!(connected.len(), 110);
    for (i, line) in connected.iter().enumerate() {
        assert_eq!(**line, format!("connected {} {}", i + 1, mined[i]));
    }
    assert_eq!(chain.get_height().unwrap(), Some(110));
    assert_eq!(chain.get_block_hash(7).unwrap(), hash(&mined[6]));
    assert!(
        chain.get_block_hash(111).is_err(),
        "out of range is an error"
    );
    events.take();

    // A reorg: disconnections newest first, then the new branch in order.
    node.rpc("invalidateblock", json!([mined[108]]));
    // Paid elsewhere, so the new blocks differ from the invalidated ones.
    let elsewhere = bitcoin::Address::p2wsh(
        &bitcoin::ScriptBuf::from_bytes(vec![0x52]),
        bitcoin::Network::Regtest,
    );
    let fork = node.generate_to_address(3, &elsewhere.to_string());
    let lines = events.wait_for(&format!("connected 111 {}", fork[2]));
    let blocks: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("connected") || l.starts_with("disconnected"))
        .collect();
    assert_eq!(
        blocks,
        vec![
            &format!("disconnected 110 {}", mined[109]),
            &format!("disconnected 109 {}", mined[108]),
            &format!("connected 109 {}", fork[0]),
            &format!("connected 110 {}", fork[1]),
            &format!("connected 111 {}", fork[2]),
        ]
    );

    // findBlock answers what getblockheader says; stale blocks are found,
    // off the active chain.
    let want = FoundBlockParam {
        want_hash: true,
        want_height: true,
        want_time: true,
        want_mtp_time: true,
        want_in_active_chain: true,
        want_locator: true,
        next_block: Some(Box::new(FoundBlockParam {
            want_hash: true,
            ..Default::default()
        })),
        want_data: true,
        ..Default::default()
    };
    let (found, ok) = chain.find_block(&hash(&fork[0]), &want).unwrap();
    assert!(ok && found.found);
    let header = node.rpc("getblockheader", json!([fork[0]]));
    assert_eq!(found.height, 109);
    assert_eq!(json!(found.time), header["time"]);
    assert_eq!(json!(found.mtp_time), header["mediantime"]);
    assert!(found.in_active_chain);
    assert_eq!(found.locator.expect("locator").0[0], hash(&fork[0]));
    assert_eq!(found.next_block.expect("next").hash, Some(hash(&fork[1])));
    assert_eq!(found.data.expect("data").block_hash(), hash(&fork[0]));
    let (stale, ok) = chain.find_block(&hash(&mined[109]), &want).unwrap();
    assert!(ok && !stale.in_active_chain);
    let (_, ok) = chain
        .find_block(&BlockHash::all_zeros(), &FoundBlockParam::default())
        .unwrap();
    assert!(!ok, "an unknown block is not found");
    let common = chain
        .find_common_ancestor(
            &hash(&mined[109]),
            &hash(&fork[2]),
            &FoundBlockParam {
                want_height: true,
                ..Default::default()
            },
            &FoundBlockParam::default(),
            &FoundBlockParam::default(),
        )
        .unwrap();
    assert!(common.found);
    assert_eq!(common.ancestor.height, 108);
    assert_eq!(
        chain
            .find_locator_fork(&BlockLocator(vec![hash(&mined[109]), hash(&mined[5])]))
            .unwrap(),
        Some(6)
    );

    // Coins and broadcasting.
    let (outpoint, value) = op_true::coinbase_of(&node, &mined[0]);
    let coins = chain.find_coins(&[(outpoint, None)]).unwrap();
    let coin = coins[0].1.as_ref().expect("the coinbase is unspent");
    assert_eq!((coin.height, coin.is_coinbase), (1, true));
    assert_eq!(coin.output.value.to_sat(), value);
    let tx = op_true::spend(outpoint, value, 1000);
    let sent = chain
        .broadcast_transaction(&tx, 0, TxBroadcast::MempoolAndBroadcastToAll)
        .unwrap();
    assert!(sent.accepted, "{}", sent.error);
    events.wait_for(&format!("added {}", tx.compute_txid()));
    assert!(chain.is_in_mempool(&tx.compute_txid()).unwrap());
    let spent_again = op_true::spend(outpoint, value, 500);
    let refused = chain
        .broadcast_transaction(&spent_again, 0, TxBroadcast::MempoolAndBroadcastToAll)
        .unwrap();
    assert!(!refused.accepted);
    assert!(
        refused.error.contains("insufficient fee"),
        "{}",
        refused.error
    );
    let capped = chain
        .broadcast_transaction(
            &op_true::spend(op_true::coinbase_of(&node, &mined[1]).0, value, 5000),
            4999,
            TxBroadcast::MempoolNoBroadcast,
        )
        .unwrap();
    assert!(!capped.accepted);
    assert_eq!(
        capped.error,
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
    );

    // An RPC method registered over IPC answers on the node's HTTP port,
    // on /wallet/<name> too, and goes away with its handler.
    let command = RpcCommand {
        category: "wallet".into(),
        name: "ipcecho".into(),
        actor: Arc::new(EchoActor),
        arg_names: vec![RpcArg {
            name: "value".into(),
            named_only: false,
        }],
        unique_id: 1,
    };
    let registered = chain.handle_rpc(&command).unwrap();
    assert_eq!(
        node.rpc("ipcecho", json!(["hi"])),
        json!({"params": ["hi"], "uri": "/"})
    );
    assert_eq!(
        node.rpc("ipcecho", json!({"value": "named"})),
        json!({"params": ["named"], "uri": "/"})
    );
    let err = node.rpc_err("ipcecho", json!(["fail"]));
    assert_eq!((err.code, err.message.as_str()), (-4, "asked to fail"));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"ipcecho","params":["w"]}"#;
    let reply = node
        .http_request(&format!(
            "POST /wallet/w1 HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
            node.auth_header(),
            body.len()
        ))
        .unwrap();
    assert_eq!(
        reply.json()["result"],
        json!({"params": ["w"], "uri": "/wallet/w1"})
    );
    // Disconnecting is synchronous; a dropped proxy's release reaches the
    // node asynchronously, so the test does not race it.
    registered.disconnect().unwrap();
    drop(registered);
    assert_eq!(node.rpc_err("ipcecho", json!([])).code, -32601);

    // The GUI's view: tips, progress, the RPC console, init messages.
    let gui = init.make_node().unwrap().expect("node");
    let tip = gui.get_header_tip().unwrap();
    assert!(tip.found);
    assert_eq!(tip.height, 111);
    assert_eq!(gui.get_num_blocks().unwrap(), 111);
    assert_eq!(gui.get_best_block_hash().unwrap(), hash(&fork[2]));
    let progress = gui.get_verification_progress().unwrap();
    assert!(progress > 0.0 && progress <= 1.0, "{progress}");
    assert_eq!(gui.execute_rpc("getblockcount", "[]", "/").unwrap(), "111");
    match gui.execute_rpc("getblockhash", "[9999]", "/") {
        Err(interfaces::Error::Rpc(e)) => assert!(e.contains("-8"), "{e}"),
        other => panic!("expected an RPC error, got {other:?}"),
    }
    assert!(gui
        .list_rpc_commands()
        .unwrap()
        .contains(&"getblockcount".to_string()));
    assert_eq!(gui.get_mempool_size().unwrap(), 1);
    // No warning is in force on this chain (getblockchaininfo agrees).
    assert_eq!(gui.get_warnings().unwrap().original, "");
    assert_eq!(
        node.rpc("getblockchaininfo", json!([]))["warnings"],
        json!([])
    );
    let messages = Arc::new(Recorder::default());
    let _subscribed = gui
        .handle_init_message(Box::new(Messages(messages.clone())))
        .unwrap();
    chain.init_message("Loading wallet…").unwrap();
    messages.wait_for("init Loading wallet…");

    // Peers: a second node connects; the GUI counts it.
    let mut other = TestNode::new();
    other.start(&[]);
    assert_eq!(gui.get_node_count(3).unwrap(), 0);
    other.rpc(
        "addnode",
        json!([format!("127.0.0.1:{}", node.p2p_port), "onetry"]),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while gui.get_node_count(3).unwrap() != 1 {
        assert!(Instant::now() < deadline, "the peer never showed up");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(gui.get_node_count(1).unwrap(), 1, "it is inbound");
    let (stats, ok) = gui.get_nodes_stats().unwrap();
    assert!(ok && stats.len() == 1 && stats[0].inbound);
    other.stop();

    drop((handler, chain, gui, init));
    drop(ipc);
    node.stop();
}

/// A node a GUI spawns (`-ipcfd`) starts on `baseInitialize` and
/// `appInitMain` with the GUI's settings, serves its chain, and stops on
/// `appShutdown`, exiting when the GUI lets go.
#[test]
fn a_spawned_node_starts_and_stops_through_node() {
    let dir = tempfile::tempdir().unwrap();
    let ipc = ipc::Ipc::new("test-gui").unwrap();
    let binary = functional::node_binary();
    let (init, pid) = ipc
        .spawn(binary.to_str().unwrap(), "bitcoin-node")
        .expect("spawn");
    let gui = init.make_node().unwrap().expect("node");
    assert!(gui.get_num_blocks().is_err(), "not started yet");
    assert!(init.make_chain().unwrap().is_none());
    let text = |v: &str| serde_json::Value::from(v).to_string();
    let option = |k: &str, v: &str| (k.to_string(), vec![text(v)]);
    let global = interfaces::GlobalArgs {
        settings: interfaces::Settings {
            command_line_options: vec![
                option("regtest", "1"),
                option("datadir", dir.path().to_str().unwrap()),
                option("listen", "0"),
                option("server", "0"),
                option("connect", "0"),
                option("dnsseed", "0"),
                option("fixedseeds", "0"),
                option("printtoconsole", "0"),
            ],
            ..Default::default()
        },
        config_path: String::new(),
    };
    assert!(gui.base_initialize(&global).unwrap());
    let started = gui.app_init_main().unwrap();
    assert!(started.started);
    assert_eq!(started.tip_info.block_height, 0);
    let mine = format!(r#"[2, "{}"]"#, op_true::address());
    gui.execute_rpc("generatetoaddress", &mine, "/").unwrap();
    assert_eq!(gui.get_num_blocks().unwrap(), 2);
    let chain = init.make_chain().unwrap().expect("chain once running");
    assert_eq!(chain.get_height().unwrap(), Some(2));
    gui.app_shutdown().unwrap();
    assert!(gui.shutdown_requested().unwrap());
    drop((chain, gui, init));
    drop(ipc);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    let log = std::fs::read_to_string(dir.path().join("regtest/debug.log")).unwrap();
    assert!(log.contains("init message: Done loading"), "{log}");
    assert!(log.contains("Shutdown done"));
}
