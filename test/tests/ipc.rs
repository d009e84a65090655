//! The node's IPC: `-ipcbind` sockets, a Rust client of our `Init`, the
//! spawned `-ipcfd` child, `echoipc`, Core's errors, `-debug=ipc` lines, and
//! hostile clients that must not take the node down.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {base64 as _, consensus as _, hex as _, tempfile as _, tracing as _, tracing_subscriber as _};

use functional::{node_binary, run_binary, wait_for_file, TestNode};
use interfaces::init::Init;
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

/// Child processes of `pid` (none may be left: no zombies).
fn children(pid: u32) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(c) = std::fs::read_to_string(t.path().join("children")) {
                out.extend(c.split_whitespace().map(str::to_string));
            }
        }
    }
    out
}

#[test]
fn echoipc_spawns_a_child_and_reaps_it() {
    let mut node = TestNode::new();
    node.start(&["-debug=ipc"]);
    assert_eq!(node.rpc("echoipc", json!(["hello"])), json!("hello"));
    assert_eq!(node.rpc("echoipc", json!([""])), json!(""));
    let err = node.rpc_err("echoipc", json!([]));
    assert_eq!(err.code, -1);
    let pid = node.pid().unwrap();
    assert!(
        children(pid).is_empty(),
        "leftover children {:?}",
        children(pid)
    );
    let log = node.debug_log();
    assert!(log.contains("[ipc] Process bitcoin-node pid "), "{log}");
    assert!(log.contains("exited with status 0"));
    node.stop();
}

#[test]
fn ipcbind_serves_init_to_a_rust_client() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix", "-debug=ipc"]);
    let sock = node.chain_path().join("node.sock");
    wait_for_file(&sock);
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "socket must be owner-only");
    assert!(node.debug_log().contains(&format!(
        "Listening for IPC requests on address unix:{}",
        sock.display()
    )));

    let ipc = ipc::Ipc::new("test-client").unwrap();
    let init = ipc
        .connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
        .expect("connect");
    let echo = init.make_echo().unwrap().expect("echo");
    assert_eq!(echo.echo("through the node").unwrap(), "through the node");
    let rpc = init.make_rpc().unwrap().expect("rpc");
    let reply = rpc
        .execute_rpc(r#"{"method":"getblockcount","params":[],"id":7}"#, "/", "")
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v["id"], json!(7));
    assert_eq!(v["result"], json!(0));
    // Batches and JSON-RPC 2.0 as over HTTP.
    let reply = rpc
        .execute_rpc(
            r#"[{"jsonrpc":"2.0","method":"nosuchmethod","id":1},{"method":"getblockcount","id":2}]"#,
            "/",
            "",
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v[0]["error"]["code"], json!(-32601));
    assert_eq!(v[1]["result"], json!(0));
    // Bad input is an error, not a crash.
    assert_eq!(
        rpc.execute_rpc("{not json", "/", ""),
        Err(interfaces::Error::Remote(
            "invalid JSON received over IPC".into()
        ))
    );
    drop((echo, rpc, init));
    drop(ipc);

    let log = node.debug_log();
    for line in [
        "IPC server: socket connected.",
        "IPC server recv request  #",
        "Echo.echo$Params",
        "IPC server post request  #",
        "IPC server executing request #",
        "IPC server send response #",
        "Rpc.executeRpc$Results",
    ] {
        assert!(log.contains(line), "missing {line:?} in debug.log");
    }
    assert_eq!(node.rpc("getblockcount", json!([])), json!(0));
    node.stop();
    assert!(node
        .debug_log()
        .contains("IPC server: socket disconnected."));
}

#[test]
fn ipcbind_paths_are_relative_repeatable_and_replace_stale_sockets() {
    let mut node = TestNode::new();
    let net = node.chain_path();
    std::fs::create_dir_all(&net).unwrap();
    // A stale socket from an earlier run.
    let stale = net.join("node.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    node.start(&["-ipcbind=unix", "-ipcbind=unix:sub/dir/custom.sock"]);
    for path in [stale, net.join("sub/dir/custom.sock")] {
        wait_for_file(&path);
        let ipc = ipc::Ipc::new("test-client").unwrap();
        let init = ipc
            .connect_stream(std::os::unix::net::UnixStream::connect(&path).unwrap())
            .unwrap();
        assert_eq!(init.make_echo().unwrap().unwrap().echo("x").unwrap(), "x");
    }
    node.stop();
}

#[test]
fn bad_ipcbind_addresses_give_core_init_errors() {
    let node = TestNode::new();
    node.assert_start_raises_init_error(
        &["-ipcbind=tcp:1"],
        "Error: Unable to bind to IPC address 'tcp:1'. Unrecognized address 'tcp:1'",
    );
    let long = format!("/tmp/{}/node.sock", "d".repeat(110));
    node.assert_start_raises_init_error(
        &[&format!("-ipcbind=unix:{long}")],
        &format!(
            "Error: Unable to bind to IPC address 'unix:{long}'. Unix address path \"{long}\" exceeded maximum socket path length"
        ),
    );
}

#[test]
fn ipcfd_child_rejects_bad_numbers_and_serves_a_parent() {
    let (code, _, err) = run_binary(&["-ipcfd".into(), "abc".into()]);
    assert_eq!(code, 1);
    assert_eq!(err.trim(), "Error: Invalid -ipcfd number 'abc'");
    let (code, _, _) = run_binary(&["-ipcfd".into(), "250".into()]);
    assert_eq!(code, 1, "a closed fd is refused");

    // Spawned as echoipc does; the child exits 0 once we drop the connection.
    let ipc = ipc::Ipc::new("test-parent").unwrap();
    let argv0 = node_binary().to_string_lossy().into_owned();
    let (init, pid) = ipc.spawn(&argv0, "bitcoin-node").expect("spawn");
    let echo = init.make_echo().unwrap().unwrap();
    assert_eq!(echo.echo("child").unwrap(), "child");
    // The child has no RPC server or mining: null capabilities.
    assert!(init.make_rpc().unwrap().is_none());
    assert!(init.make_mining().unwrap().is_none());
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(echo);
    drop(init);
    // Exited and reaped: no process, no zombie.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

#[test]
fn hostile_clients_never_take_the_node_down() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix"]);
    let sock = node.chain_path().join("node.sock");
    wait_for_file(&sock);
    // Garbage bytes, an absurd segment table, and connect-then-close.
    for bytes in [
        &[0xffu8; 100][..],
        &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f][..],
        &[][..],
    ] {
        let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        let _ = s.write_all(bytes);
        drop(s);
    }
    // A client that goes away while its call runs in the node.
    for _ in 0..5 {
        let ipc = ipc::Ipc::new("test-client").unwrap();
        let init = ipc
            .connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
            .unwrap();
        let _ = init.make_echo();
        drop(ipc);
        drop(init);
    }
    assert_eq!(node.rpc("getblockcount", json!([])), json!(0));
    let ipc = ipc::Ipc::new("test-client").unwrap();
    let init = ipc
        .connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
        .unwrap();
    assert_eq!(init.make_echo().unwrap().unwrap().echo("ok").unwrap(), "ok");
    node.stop();
}

#[test]
fn spawned_child_ignores_sigint_and_exits_when_parent_closes() {
    let ipc = ipc::Ipc::new("test-parent").unwrap();
    let argv0 = node_binary().to_string_lossy().into_owned();
    let (init, child) = ipc.spawn(&argv0, "bitcoin-node").expect("spawn");
    let echo = init.make_echo().unwrap().unwrap();
    let argv: Vec<String> = std::fs::read_to_string(format!("/proc/{child}/cmdline"))
        .unwrap()
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(argv.len(), 3, "exactly three argv items: {argv:?}");
    // Ctrl-C reaches the whole process group; the child waits for its parent.
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child as i32, libc::SIGINT);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(echo.echo("still here").unwrap(), "still here");
    drop(echo);
    drop(init);
    // Closed and reaped: no process, no zombie.
    assert!(!std::path::Path::new(&format!("/proc/{child}")).exists());
}

/// Connects a Rust client to the socket at `path` and returns its `Rpc`.
fn ipc_rpc(path: &std::path::Path) -> (ipc::Ipc, Box<dyn interfaces::rpc::Rpc>) {
    let ipc = ipc::Ipc::new("test-cli").unwrap();
    let init = ipc
        .connect_stream(std::os::unix::net::UnixStream::connect(path).unwrap())
        .expect("connect");
    let rpc = init.make_rpc().unwrap().expect("rpc");
    (ipc, rpc)
}

/// What Core's `bitcoin-cli -ipcconnect` relies on: its JSON-RPC 1.0 requests
/// (id 1, the `-rpcuser` as user, `/` or `/wallet/<name>` as uri) answer like
/// HTTP without HTTP credentials, `-rpcwhitelist` still applies to the user,
/// and the socket file outlives the node so a later cli reports
/// "Connection refused" rather than a missing file.
#[test]
fn cli_style_requests_over_the_socket_answer_like_http() {
    let mut node = TestNode::new();
    node.start(&[
        "-ipcbind=unix",
        "-rpcwhitelist=__cookie__:getblockcount,stop",
        "-rpcwhitelist=alice:echo,getblock,stop",
    ]);
    let sock = node.chain_path().join("node.sock");
    wait_for_file(&sock);
    let (ipc, rpc) = ipc_rpc(&sock);
    let call = |request: &str, uri: &str, user: &str| -> serde_json::Value {
        let reply = rpc.execute_rpc(request, uri, user).expect("reply");
        serde_json::from_str(&reply).expect("JSON reply")
    };

    let echo = r#"{"method":"echo","params":["foo"],"id":1}"#;
    assert_eq!(
        call(echo, "/", "alice"),
        json!({"result": ["foo"], "error": null, "id": 1})
    );
    // A failing 1.0 call is the error object the cli prints, not a transport error.
    let bad = call(
        r#"{"method":"getblock","params":["00"],"id":1}"#,
        "/",
        "alice",
    );
    assert_eq!(bad["result"], json!(null));
    assert_eq!(bad["error"]["code"], json!(-8));
    assert_eq!(bad["id"], json!(1));
    // Named parameters (`-named`) and the wallet endpoint (`-rpcwallet`).
    let named = call(
        r#"{"method":"echo","params":{"arg0":"x"},"id":1}"#,
        "/wallet/w",
        "alice",
    );
    assert_eq!(named["result"], json!(["x"]));
    // Not on the user's whitelist, or a user without one: forbidden, which
    // Core answers over IPC with a null reply.
    assert_eq!(
        call(r#"{"method":"getblockcount","id":1}"#, "/", "alice"),
        json!(null)
    );
    assert_eq!(call(echo, "/", ""), json!(null));
    assert!(node
        .debug_log()
        .contains("RPC User alice not allowed to call method getblockcount"));

    // `bitcoin-cli -ipcconnect=unix stop`.
    let stopping = call(r#"{"method":"stop","params":[],"id":1}"#, "/", "alice");
    assert_eq!(stopping["result"], json!("Bitcoin Core stopping"));
    drop(rpc);
    drop(ipc);
    node.wait_for_exit(0);
    assert!(sock.exists(), "node.sock stays behind, as in Core");
    let err = std::os::unix::net::UnixStream::connect(&sock).expect_err("nobody listens");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(ipc::socket::error_text(&err), "Connection refused");
}

/// Two interop cases a third-party client (bitcoin-capnp-types) relies on:
/// each `makeMining` caller gets its own Mining, so one client's `interrupt()`
/// leaves another's `createNewBlock` alone; and a coinbase Core's reader takes
/// as an empty transaction is refused with `false`, not an error.
#[test]
fn mining_clients_are_independent_and_odd_coinbases_are_refused() {
    let mut node = TestNode::new();
    node.start(&["-ipcbind=unix"]);
    functional::op_true::generate(&node, 1);
    let sock = node.chain_path().join("node.sock");
    wait_for_file(&sock);
    let ipc = ipc::Ipc::new("test-miner").unwrap();
    let connect = || {
        ipc.connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
            .expect("connect")
    };
    let (first, second) = (connect(), connect());
    let a = first.make_mining().unwrap().expect("mining");
    let b = second.make_mining().unwrap().expect("mining");
    a.interrupt().unwrap();
    let options = interfaces::mining::BlockCreateOptions::default();
    let template = b
        .create_new_block(&options, false)
        .unwrap()
        .expect("the other client's interrupt must not reach this call");
    // The interrupted client's own next call is the one that returns null.
    assert!(a.create_new_block(&options, false).unwrap().is_none());
    assert!(a.create_new_block(&options, false).unwrap().is_some());

    let empty = bitcoin::Transaction {
        version: bitcoin::transaction::Version(0),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![],
        output: vec![],
    };
    assert_eq!(template.submit_solution(1, 0, 0, Some(empty)), Ok(false));
    assert_eq!(template.submit_solution(1, 0, 0, None), Ok(false));
    assert_eq!(node.rpc("getblockcount", json!([])), json!(1));
    drop((template, a, b, first, second));
    drop(ipc);
    node.stop();
}
