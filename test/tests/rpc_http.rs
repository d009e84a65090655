//! The JSON-RPC server's behaviour on the wire, including hostile input.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn post(node: &TestNode, body: &str) -> functional::HttpResponse {
    let auth = node.auth_header();
    node.http_request(&format!(
        "POST / HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ))
    .unwrap()
}

#[test]
fn json_rpc_versions_batches_and_errors() {
    let mut node = TestNode::new();
    node.start(&[]);

    // 1.x: errors map to HTTP codes, both keys present.
    let r = post(&node, r#"{"method":"getblockcount","params":[],"id":1}"#);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!({"result":0,"error":null,"id":1}));
    let r = post(&node, r#"{"method":"nosuchmethod","params":[],"id":1}"#);
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], json!(-32601));
    let r = post(&node, r#"{"method":"getblockhash","params":[42],"id":1}"#);
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json()["error"],
        json!({"code":-8,"message":"Block height out of range"})
    );

    // Malformed JSON.
    for body in ["", "this is bad", "{\"method\":", "[1,2"] {
        let r = post(&node, body);
        assert_eq!(r.status, 500, "{body}");
        assert_eq!(
            r.json(),
            json!({"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null})
        );
    }

    // 2.0: always 200, no error key on success.
    let r = post(&node, r#"{"jsonrpc":"2.0","method":"nosuchmethod","id":3}"#);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":3})
    );
    let r = post(
        &node,
        r#"{"jsonrpc":"2.0","method":"getblockcount","id":3}"#,
    );
    assert_eq!(r.json(), json!({"jsonrpc":"2.0","result":0,"id":3}));
    let r = post(&node, r#"{"jsonrpc":2,"method":"getblockcount"}"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"result":null,"error":{"code":-32600,"message":"jsonrpc field must be a string"}})
    );
    let r = post(&node, r#"{"jsonrpc":"3.0","method":"getblockcount"}"#);
    assert_eq!(r.status, 400);

    // Notifications get 204 and no body.
    let r = post(&node, r#"{"jsonrpc":"2.0","method":"getblockcount"}"#);
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());

    // Batches.
    let r = post(
        &node,
        r#"[{"jsonrpc":"2.0","method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"x","id":2},{"jsonrpc":"2.0","method":"getblockcount"},5]"#,
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["result"], json!(0));
    assert_eq!(v[1]["error"]["code"], json!(-32601));
    assert_eq!(v[2]["error"]["code"], json!(-32600));
    let r = post(&node, "[]");
    assert_eq!(r.json(), json!([]));

    // Top-level non-object/array.
    let r = post(&node, "42");
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json()["error"]["message"],
        json!("Top-level object parse error")
    );
    node.stop();
}

#[test]
fn wrong_types_and_named_parameters() {
    let mut node = TestNode::new();
    node.start(&[]);
    let e = node.rpc_err("getblockhash", json!(["zero"]));
    assert_eq!(e.code, -3);
    assert!(e.message.starts_with("Wrong type passed:\n{\n    \"Position 1 (height)\": \"JSON value of type string is not of expected type number\""), "{}", e.message);
    let e = node.rpc_err("getblockhash", json!([]));
    assert_eq!(e.code, -1);
    assert!(e.message.starts_with("getblockhash height\n"));
    let e = node.rpc_err("getblockhash", json!({"heigth": 0}));
    assert_eq!(e.code, -8);
    assert_eq!(e.message, "Unknown named parameter heigth");
    assert_eq!(
        node.rpc("getblockhash", json!({"height": 0}))
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(
        node.rpc("echo", json!({"args": [1, 2], "arg3": 4})),
        json!([1, 2, null, 4])
    );
    let e = node.rpc_err("echo", json!({"args": [1, 2], "arg1": 4}));
    assert_eq!(
        e.message,
        "Parameter arg1 specified twice both as positional and named argument"
    );
    let e = node.rpc_err("getblockhash", json!([1.5]));
    assert_eq!(e.message, "JSON integer out of range");
    // A key sent twice is an error, not silently the last value (Core's
    // bitcoin-cli -named sends `args` twice when given extra positional values).
    let r = post(
        &node,
        r#"{"jsonrpc":"2.0","id":7,"method":"echo","params":{"args":[0,1],"args":[4,5]}}"#,
    )
    .json();
    assert_eq!(r["id"], 7);
    assert_eq!(r["error"]["code"], -8);
    assert_eq!(
        r["error"]["message"],
        "Parameter args specified multiple times"
    );
    let r = post(
        &node,
        r#"[{"id":1,"method":"echo","params":{"arg0":1}},{"id":2,"method":"echo","params":{"arg0":1,"arg0":2}}]"#,
    )
    .json();
    assert_eq!(r[0]["result"], json!([1]));
    assert_eq!(
        r[1]["error"]["message"],
        "Parameter arg0 specified multiple times"
    );
    node.stop();
}

#[test]
fn getnetworkinfo_reports_proxies_per_network() {
    let mut node = TestNode::new();
    node.start(&["-proxy=127.0.0.1:9050", "-i2psam=127.0.0.1:7656"]);
    let info = node.rpc("getnetworkinfo", json!([]));
    assert!(info["version"].as_u64().unwrap() >= 209_900);
    let nets = info["networks"].as_array().unwrap();
    let proxy_of = |name: &str| {
        let n = nets.iter().find(|n| n["name"] == name).unwrap();
        (
            n["proxy"].as_str().unwrap().to_string(),
            n["reachable"].as_bool().unwrap(),
        )
    };
    assert_eq!(proxy_of("ipv4"), ("127.0.0.1:9050".to_string(), true));
    assert_eq!(proxy_of("onion"), ("127.0.0.1:9050".to_string(), true));
    assert_eq!(proxy_of("i2p"), ("127.0.0.1:7656".to_string(), true));
    assert_eq!(proxy_of("cjdns"), ("127.0.0.1:9050".to_string(), false));
    node.stop();
    node.assert_start_raises_init_error(
        &["-proxy=1.2.3.4=mars"],
        "Error: Unrecognized network in -proxy='1.2.3.4=mars': 'mars'",
    );
}

#[test]
fn http_edge_cases() {
    let mut node = TestNode::new();
    node.start(&[]);
    let auth = node.auth_header();

    // Non-POST, unknown method, unknown path.
    let r = node
        .http_request(&format!("GET / HTTP/1.1\r\nAuthorization: {auth}\r\n\r\n"))
        .unwrap();
    assert_eq!(r.status, 405);
    let r = node.http_request("BREW / HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(r.status, 405);
    let r = node
        .http_request("POST /nowhere HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    assert_eq!(r.status, 404);

    // Oversized headers: 404 below the limit (unknown path), 400 above it.
    let r = node
        .http_request(&format!(
            "GET /{} HTTP/1.1\r\n\r\n",
            "x".repeat(8192 - 1000)
        ))
        .unwrap();
    assert_eq!(r.status, 404);
    let r = node
        .http_request(&format!("GET /{} HTTP/1.1\r\n\r\n", "x".repeat(8192)))
        .unwrap();
    assert_eq!(r.status, 400);

    // Oversized body declared: 413 and the connection is closed.
    let r = node
        .http_request(&format!(
            "POST / HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n",
            32 * 1024 * 1024 + 1
        ))
        .unwrap();
    assert_eq!(r.status, 413);

    // Garbage request lines.
    for raw in [
        "\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET /\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ] {
        let r = node.http_request(raw).unwrap();
        assert_eq!(r.status, 400, "{raw:?}");
    }
    let mut junk = vec![0u8, 255, 13, 10, 13, 10];
    junk.extend(std::iter::repeat_n(0xAB, 100));
    let r = node.http_request_bytes(&junk).unwrap();
    assert_eq!(r.status, 400);

    // Keep-alive and pipelining: two requests on one connection, answered in order.
    let body = r#"{"method":"getblockcount","id":7}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut conn = functional::Conn::connect(node.rpc_port).unwrap();
    conn.send(format!("{req}{req}").as_bytes()).unwrap();
    for _ in 0..2 {
        let r = conn.recv().unwrap();
        assert_eq!(r.json()["id"], json!(7));
    }

    // The node is still healthy after all of that.
    assert_eq!(node.rpc("getblockcount", json!([])), json!(0));
    node.stop();
}

#[test]
fn bad_auth_is_401_after_a_delay() {
    let mut node = TestNode::new();
    node.start(&[]);
    let r = node
        .http_request("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"jsonrpc\"")
    );
    let started = Instant::now();
    let r = node
        .http_request("POST / HTTP/1.1\r\nAuthorization: Basic X19jb29raWVfXzp3cm9uZw==\r\nContent-Length: 2\r\n\r\n{}")
        .unwrap();
    assert_eq!(r.status, 401);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let r = node
        .http_request(
            "POST / HTTP/1.1\r\nAuthorization: Basic !!notbase64\r\nContent-Length: 2\r\n\r\n{}",
        )
        .unwrap();
    assert_eq!(r.status, 401);
    node.stop();
}

#[test]
fn rpcauth_user_password_and_whitelist() {
    let mut node = TestNode::new();
    // rpcauth line for user "rt" / password "rtpass" (salt "abc").
    let salt = "abc";
    let hash = hmac_sha256_hex(salt.as_bytes(), b"rtpass");
    let rpcauth = format!("-rpcauth=rt:{salt}${hash}");
    node.credentials = Some("rt:rtpass".into());
    node.start(&[
        &rpcauth,
        "-rpcuser=alice",
        "-rpcpassword=secret",
        "-rpcwhitelist=rt:getblockcount",
    ]);
    let call = |user: &str, pass: &str, method: &str| {
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let body = format!(r#"{{"method":"{method}","id":1}}"#);
        node.http_request(&format!(
            "POST / HTTP/1.1\r\nAuthorization: Basic {auth}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
        .unwrap()
        .status
    };
    assert_eq!(call("rt", "rtpass", "getblockcount"), 200);
    assert_eq!(call("rt", "rtpass", "getbestblockhash"), 403);
    assert_eq!(call("rt", "wrong", "getblockcount"), 401);
    // With a whitelist present, users without one are denied everything by default.
    assert_eq!(call("alice", "secret", "getblockcount"), 403);
    assert!(
        !node.chain_path().join(".cookie").exists(),
        "no cookie with -rpcpassword"
    );
    node.signal(libc::SIGTERM);
    assert_eq!(node.wait_for_exit(0), "");
}

#[test]
fn work_queue_overflow_is_503() {
    let mut node = TestNode::new();
    node.start(&["-rpcworkqueue=1", "-rpcthreads=1"]);
    let auth = node.auth_header();
    let port = node.rpc_port;
    let body = r#"{"method":"waitfornewblock","params":[2000],"id":1}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let req = req.clone();
            std::thread::spawn(move || {
                let mut c = functional::Conn::connect(port).unwrap();
                c.send(req.as_bytes()).unwrap();
                c.recv().unwrap()
            })
        })
        .collect();
    let responses: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let rejected: Vec<_> = responses.iter().filter(|r| r.status == 503).collect();
    assert!(!rejected.is_empty());
    assert_eq!(rejected[0].body, b"Work queue depth exceeded");
    assert!(responses.iter().any(|r| r.status == 200));
    node.stop();
}

#[test]
fn stop_with_wait_and_inflight_call() {
    let mut node = TestNode::new();
    node.start(&[]);
    let auth = node.auth_header();
    let port = node.rpc_port;
    let waiter = std::thread::spawn(move || {
        let body = r#"{"method":"waitfornewblock","id":1}"#;
        let mut c = functional::Conn::connect(port).unwrap();
        let req = format!(
            "POST / HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        c.send(req.as_bytes()).unwrap();
        c.recv()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = node.rpc("getrpcinfo", json!([]));
        if info["active_commands"].as_array().unwrap().len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        node.rpc("stop", json!({"wait": 200})),
        Value::String("Bitcoin Core stopping".into())
    );
    assert_eq!(node.wait_for_exit(0), "");
    let r = waiter.join().unwrap().unwrap();
    assert_eq!(r.json()["result"]["height"], json!(0));
}

fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    // Small HMAC-SHA256 so the test does not share code with the server.
    fn sha256(data: &[u8]) -> [u8; 32] {
        let out = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(data)?;
                c.wait_with_output()
            })
            .unwrap();
        let hex = String::from_utf8(out.stdout).unwrap();
        let mut r = [0u8; 32];
        for i in 0..32 {
            r[i] = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        r
    }
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let ipad: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(msg.iter().copied())
        .collect();
    let inner = sha256(&ipad);
    let opad: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner.iter().copied())
        .collect();
    sha256(&opad).iter().map(|b| format!("{b:02x}")).collect()
}
