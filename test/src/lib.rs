//! Harness for functional tests: starts the built `bitcoin-node` (or the binary
//! named by `BITCOIND`, so the same tests can run against Core's `bitcoind`) in a
//! temporary data directory with unique ports, and talks JSON-RPC and raw HTTP.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {hex as _, interfaces as _, ipc as _, tracing as _, tracing_subscriber as _};

pub mod blocks;
pub mod op_true;
pub mod peer;
pub mod xvfb;

use base64::Engine;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// Path of the node binary under test.
pub fn node_binary() -> PathBuf {
    if let Ok(p) = std::env::var("BITCOIND") {
        return PathBuf::from(p);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../target"));
    target.join("debug/bitcoin-node")
}

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// A port that is free right now (tries a per-process range first).
pub fn free_port() -> u16 {
    let base = 20000 + (std::process::id() % 2000) as u16 * 10;
    loop {
        let offset = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        let port = base.wrapping_add(offset % 5000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::TcpListener::bind(("::1", port))
                .map(|_| true)
                .unwrap_or(true)
        {
            return port;
        }
    }
}

/// Path of the wallet binary the node spawns (next to the node's).
pub fn wallet_binary() -> PathBuf {
    node_binary().with_file_name("bitcoin-wallet")
}

/// The pids of the running processes whose parent is `parent`.
pub fn child_pids(parent: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = after.split_whitespace();
        let state = fields.next();
        let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) && state != Some("Z") {
            pids.push(pid);
        }
    }
    pids
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`, …).
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A process's argv (`/proc/<pid>/cmdline`).
pub fn process_argv(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A JSON-RPC error returned by the node.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// Error code.
    pub code: i64,
    /// Error message.
    pub message: String,
}

/// A raw HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Polls `f` every 50 ms until it answers `Some` (panics after 30 s).
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Copies the directory `from` (files and subdirectories) to `to`.
pub fn copy_dir_all(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy directory");
    for entry in std::fs::read_dir(from).expect("read directory to copy") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir_all(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Waits (up to 30 s) until `path` exists, e.g. a node's IPC socket.
pub fn wait_for_file(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// One node under test.
pub struct TestNode {
    /// Top data directory (`-datadir`).
    pub datadir: PathBuf,
    /// RPC port.
    pub rpc_port: u16,
    /// P2P port.
    pub p2p_port: u16,
    /// Binary started by this node.
    pub binary: PathBuf,
    /// `user:password` to use instead of the cookie.
    pub credentials: Option<String>,
    /// Node number: the user agent carries `(testnode<index>)`, as in Core's framework.
    pub index: u32,
    /// Whether the node runs its wallet process (otherwise `-disablewallet`).
    pub wallet: bool,
    process: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
}

impl TestNode {
    /// A node in a fresh temporary datadir with Core's test `bitcoin.conf`.
    pub fn new() -> TestNode {
        let tmp = tempfile::Builder::new()
            .prefix("node_₿_")
            .tempdir()
            .expect("tempdir");
        let mut node = TestNode::in_dir(tmp.path().join("node0"));
        node._tmp = Some(tmp);
        node
    }

    /// A node in a fresh temporary datadir that runs its wallet process.
    pub fn with_wallet() -> TestNode {
        let mut node = TestNode::new();
        node.wallet = true;
        node
    }

    /// A node using `datadir` (created, with a fresh `bitcoin.conf`).
    pub fn in_dir(datadir: PathBuf) -> TestNode {
        std::fs::create_dir_all(&datadir).expect("create datadir");
        let rpc_port = free_port();
        let p2p_port = free_port();
        let conf = format!(
            "regtest=1\n[regtest]\nport={p2p_port}\nrpcport={rpc_port}\nrpcservertimeout=99000\nrpcdoccheck=1\nrpcthreads=2\nfallbackfee=0.0002\nserver=1\nkeypool=1\ndiscover=0\ndnsseed=0\nfixedseeds=0\nlistenonion=0\npeertimeout=999999999\nprinttoconsole=0\nnatpmp=0\nshrinkdebugfile=0\nunsafesqlitesync=1\nconnect=0\nmaxconnections=94\npar=2\nprevoutfetchthreads=1\nbind=127.0.0.1\n"
        );
        std::fs::write(datadir.join("bitcoin.conf"), conf).expect("write conf");
        TestNode {
            datadir,
            rpc_port,
            p2p_port,
            binary: node_binary(),
            credentials: None,
            index: 0,
            wallet: false,
            process: None,
            _tmp: None,
        }
    }

    /// `<datadir>/regtest`.
    pub fn chain_path(&self) -> PathBuf {
        self.datadir.join("regtest")
    }

    /// Appends a line to `bitcoin.conf`.
    pub fn append_config(&self, line: &str) {
        let path = self.datadir.join("bitcoin.conf");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(line);
        text.push('\n');
        std::fs::write(path, text).expect("write conf");
    }

    fn base_args(&self) -> Vec<String> {
        let mut args = vec![
            format!("-datadir={}", self.datadir.display()),
            "-logtimemicros".into(),
            "-debug".into(),
            "-debugexclude=leveldb".into(),
            "-debugexclude=rand".into(),
            format!("-uacomment=testnode{}", self.index),
            "-disablewallet".into(),
            "-logthreadnames".into(),
            "-logsourcelocations".into(),
            "-loglevel=trace".into(),
            "-nologratelimit".into(),
            "-v2transport=0".into(),
        ];
        if self.wallet {
            args.retain(|a| a != "-disablewallet");
        }
        args
    }

    /// Starts the node with the framework's arguments plus `extra`, and waits
    /// until RPC answers.
    pub fn start(&mut self, extra: &[&str]) {
        self.spawn(extra);
        self.wait_for_rpc();
    }

    /// Starts the process without waiting.
    pub fn spawn(&mut self, extra: &[&str]) {
        let _ = std::fs::remove_file(self.chain_path().join(".cookie"));
        let mut args = self.base_args();
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(&self.binary)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node");
        self.process = Some(child);
    }

    /// The running process's peak resident memory in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.process.as_ref()?.id(), "VmHWM")
    }

    /// Runs the binary with `extra` to completion; returns (exit code, stdout, stderr).
    pub fn run_to_exit(&self, extra: &[&str]) -> (i32, String, String) {
        let mut args = self.base_args();
        args.extend(extra.iter().map(|s| s.to_string()));
        run_binary_at(&self.binary, &args)
    }

    /// Starts with `extra` and expects an init error: exit code 1 and `expected`
    /// as the whole of stderr.
    pub fn assert_start_raises_init_error(&self, extra: &[&str], expected: &str) {
        let (code, _, stderr) = self.run_to_exit(extra);
        assert_ne!(code, 0, "node should fail to start");
        assert_eq!(stderr.trim(), expected);
    }

    /// Polls until RPC answers and start-up loading (reindex, `-loadblock`,
    /// mempool) is done, as Core's test framework waits (panics after 60 s).
    pub fn wait_for_rpc(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.process.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("node exited during start-up with {status}: {err}");
                }
            }
            if self.cookie().is_some() {
                match self.try_rpc("getblockcount", json!([])) {
                    // A user the whitelist keeps from getmempoolinfo cannot wait for loading.
                    Ok(_) => match self.try_rpc("getmempoolinfo", json!([])) {
                        Ok(info) if info["loaded"] != json!(true) => {}
                        _ => return,
                    },
                    Err(Some(e)) if e.code == -28 => {}
                    Err(Some(e)) => panic!("unexpected RPC error while starting: {e:?}"),
                    Err(None) => {}
                }
            }
            assert!(
                Instant::now() < deadline,
                "node did not answer RPC within 60s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Mines `n` blocks paying `address`; returns their hashes.
    pub fn generate_to_address(&self, n: u32, address: &str) -> Vec<String> {
        self.rpc("generatetoaddress", json!([n, address]))
            .as_array()
            .expect("array of hashes")
            .iter()
            .map(|h| h.as_str().expect("hash").to_string())
            .collect()
    }

    /// `user:password` from the cookie file.
    pub fn cookie(&self) -> Option<String> {
        if let Some(c) = &self.credentials {
            return Some(c.clone());
        }
        std::fs::read_to_string(self.chain_path().join(".cookie")).ok()
    }

    /// The `Authorization` header value for the cookie credentials.
    pub fn auth_header(&self) -> String {
        let cookie = self.cookie().expect("cookie");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(cookie)
        )
    }

    /// Calls `method`; `Err(None)` when the transport failed.
    pub fn try_rpc(&self, method: &str, params: Value) -> Result<Value, Option<RpcError>> {
        self.try_rpc_at("/", method, params)
    }

    /// Calls `method` of wallet `wallet` (`/wallet/<name>`); panics on error.
    pub fn wallet_rpc(&self, wallet: &str, method: &str, params: Value) -> Value {
        self.try_wallet_rpc(wallet, method, params)
            .unwrap_or_else(|e| panic!("{method} on wallet {wallet} failed: {e:?}"))
    }

    /// Calls `method` of wallet `wallet` (`/wallet/<name>`).
    pub fn try_wallet_rpc(
        &self,
        wallet: &str,
        method: &str,
        params: Value,
    ) -> Result<Value, Option<RpcError>> {
        let escaped: String = wallet
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.try_rpc_at(&format!("/wallet/{escaped}"), method, params)
    }

    /// Calls `method` on the HTTP path `path`; `Err(None)` when the
    /// transport failed.
    pub fn try_rpc_at(
        &self,
        path: &str,
        method: &str,
        params: Value,
    ) -> Result<Value, Option<RpcError>> {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let Some(auth) = self.cookie().map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        }) else {
            return Err(None);
        };
        let resp = self
            .http_request(&format!(
                "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ))
            .map_err(|_| None)?;
        let v = resp.json();
        if let Some(err) = v.get("error") {
            return Err(Some(RpcError {
                code: err["code"].as_i64().unwrap_or(0),
                message: err["message"].as_str().unwrap_or("").to_string(),
            }));
        }
        if resp.status != 200 {
            return Err(None);
        }
        Ok(v["result"].clone())
    }

    /// Calls `method` and returns its result, panicking on any error.
    pub fn rpc(&self, method: &str, params: Value) -> Value {
        self.try_rpc(method, params)
            .unwrap_or_else(|e| panic!("{method} failed: {e:?}"))
    }

    /// Calls `method` and returns its error, panicking on success.
    pub fn rpc_err(&self, method: &str, params: Value) -> RpcError {
        match self.try_rpc(method, params) {
            Ok(v) => panic!("{method} unexpectedly succeeded: {v}"),
            Err(Some(e)) => e,
            Err(None) => panic!("{method}: transport error"),
        }
    }

    /// Sends raw bytes on a new connection and reads one response.
    pub fn http_request(&self, raw: &str) -> std::io::Result<HttpResponse> {
        self.http_request_bytes(raw.as_bytes())
    }

    /// Like [`TestNode::http_request`] for arbitrary bytes.
    pub fn http_request_bytes(&self, raw: &[u8]) -> std::io::Result<HttpResponse> {
        let mut conn = Conn::connect(self.rpc_port)?;
        conn.send(raw)?;
        conn.recv()
    }

    /// Sends `stop` and waits for a clean exit; returns stderr.
    pub fn stop(&mut self) -> String {
        let _ = self.try_rpc("stop", json!({"wait": 0}));
        self.wait_for_exit(0)
    }

    /// Waits for the process to end with `expected_code`; returns its stderr.
    pub fn wait_for_exit(&mut self, expected_code: i32) -> String {
        let mut child = self.process.take().expect("node not running");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                assert_eq!(
                    status.code(),
                    Some(expected_code),
                    "exit status; stderr: {err}"
                );
                return err;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("node did not exit within 60s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process with SIGKILL and reaps it (a crash at an arbitrary moment).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal to the running process.
    pub fn signal(&self, sig: i32) {
        if let Some(child) = self.process.as_ref() {
            // SAFETY: plain kill(2) on our child's pid.
            unsafe {
                libc::kill(child.id() as i32, sig);
            }
        }
    }

    /// The process id, if running.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|c| c.id())
    }

    /// Contents of debug.log.
    pub fn debug_log(&self) -> String {
        std::fs::read_to_string(self.chain_path().join("debug.log")).unwrap_or_default()
    }
}

impl Default for TestNode {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the node binary with `args` to completion: (exit code, stdout, stderr).
pub fn run_binary(args: &[String]) -> (i32, String, String) {
    run_binary_at(&node_binary(), args)
}

/// Runs `binary` with `args` to completion: (exit code, stdout, stderr).
pub fn run_binary_at(binary: &Path, args: &[String]) -> (i32, String, String) {
    let out = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run node");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A keep-alive HTTP connection that reads responses without losing pipelined bytes.
pub struct Conn {
    stream: TcpStream,
    reader: std::io::BufReader<TcpStream>,
}

impl Conn {
    /// Connects to `127.0.0.1:port`.
    pub fn connect(port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let _ = stream.set_nodelay(true);
        let reader = std::io::BufReader::new(stream.try_clone()?);
        Ok(Conn { stream, reader })
    }

    /// Writes raw bytes.
    pub fn send(&mut self, raw: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(raw)
    }

    /// Reads the next response.
    pub fn recv(&mut self) -> std::io::Result<HttpResponse> {
        read_response(&mut self.reader)
    }
}

/// Reads one HTTP/1.x response (Content-Length framed, or until close).
pub fn read_response(reader: &mut impl std::io::BufRead) -> std::io::Result<HttpResponse> {
    let mut status = 0u16;
    let mut headers = Vec::new();
    let mut first = true;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed before headers",
            ));
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        if first {
            status = text
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            first = false;
            continue;
        }
        if text.is_empty() {
            break;
        }
        if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let mut body = Vec::new();
    match length {
        Some(len) => {
            body.resize(len, 0);
            reader.read_exact(&mut body)?;
        }
        None if status == 204 || status == 304 => {}
        None => {
            let _ = reader.read_to_end(&mut body);
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
