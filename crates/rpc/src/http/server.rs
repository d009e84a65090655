//! The HTTP/1.1 server: listeners, one task per connection (keep-alive,
//! pipelining, idle timeout), path handlers run on the work queue.
//!
//! Written on tokio directly rather than hyper because Core's exact behaviour at the
//! edges (400 for oversized headers, 413 then close for oversized bodies, its
//! header and chunk rules, HTTP/1.0 keep-alive) is part of the contract.

use super::parse::{parse_request, ParseError, Parsed, Request};
use super::response::{serialize, Response};
use super::subnet::Subnet;
use super::workqueue::{SubmitError, WorkQueue};
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Who sent a request.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Remote address.
    pub addr: SocketAddr,
}

/// A request handler for a path prefix. It runs on a worker thread and may block.
pub type PathHandler = Arc<dyn Fn(&Request, &Peer) -> Response + Send + Sync>;

struct Route {
    prefix: String,
    exact: bool,
    handler: PathHandler,
}

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Addresses to listen on.
    pub bind: Vec<SocketAddr>,
    /// Client subnets allowed to talk to the server.
    pub allow: Vec<Subnet>,
    /// Idle connections are closed after this long (zero: never).
    pub idle_timeout: Duration,
    /// Number of worker threads.
    pub threads: usize,
    /// Maximum number of requests waiting for a worker.
    pub work_queue_depth: usize,
}

struct Shared {
    routes: RwLock<Vec<Route>>,
    allow: Vec<Subnet>,
    queue: WorkQueue,
    rejecting: AtomicBool,
    idle_timeout: Duration,
    connections: AtomicUsize,
}

/// A running HTTP server.
pub struct HttpServer {
    runtime: Option<tokio::runtime::Runtime>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    local_addrs: Vec<SocketAddr>,
}

impl HttpServer {
    /// Binds every address in `config` (logging failures as Core does) and starts
    /// serving; fails only when no address could be bound.
    pub fn start(config: HttpConfig) -> Result<HttpServer, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("http")
            .enable_all()
            .build()
            .map_err(|e| format!("Unable to start HTTP server runtime: {e}"))?;
        let mut listeners = Vec::new();
        for addr in &config.bind {
            tracing::info!("Binding RPC on address {} port {}", addr.ip(), addr.port());
            if addr.ip().is_unspecified() {
                tracing::warn!("The RPC server is not safe to expose to untrusted networks such as the public internet");
            }
            match bind_listener(*addr) {
                Ok(l) => listeners.push(l),
                Err(e) => tracing::warn!("Binding RPC on address {addr} failed: {e}"),
            }
        }
        if listeners.is_empty() {
            return Err("Unable to bind any endpoint for RPC server".to_string());
        }
        tracing::info!(
            "Starting HTTP server with {} worker threads",
            config.threads.max(1)
        );
        let shared = Arc::new(Shared {
            routes: RwLock::new(Vec::new()),
            allow: config.allow.clone(),
            queue: WorkQueue::start(config.threads, config.work_queue_depth),
            rejecting: AtomicBool::new(false),
            idle_timeout: config.idle_timeout,
            connections: AtomicUsize::new(0),
        });
        let (shutdown, _) = watch::channel(false);
        let mut local_addrs = Vec::new();
        for listener in listeners {
            let _guard = runtime.enter();
            let listener = TcpListener::from_std(listener)
                .map_err(|e| format!("Unable to use RPC listener: {e}"))?;
            if let Ok(a) = listener.local_addr() {
                local_addrs.push(a);
            }
            runtime.spawn(accept_loop(listener, shared.clone(), shutdown.subscribe()));
        }
        Ok(HttpServer {
            runtime: Some(runtime),
            shared,
            shutdown,
            local_addrs,
        })
    }

    /// Addresses actually listened on.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Routes requests whose target equals (`exact`) or starts with `prefix`.
    pub fn register_handler(&self, prefix: &str, exact: bool, handler: PathHandler) {
        self.shared
            .routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Route {
                prefix: prefix.to_string(),
                exact,
                handler,
            });
    }

    /// From now on new requests are answered 503.
    pub fn interrupt(&self) {
        tracing::debug!(target: "http", "Interrupting HTTP server");
        self.shared.rejecting.store(true, Ordering::SeqCst);
    }

    /// Waits for running requests, then closes every connection (giving pending
    /// replies up to 30 seconds to go out).
    pub fn stop(mut self) {
        tracing::debug!(target: "http", "Stopping HTTP server");
        self.shared.rejecting.store(true, Ordering::SeqCst);
        tracing::debug!(target: "http", "Waiting for HTTP worker threads to exit");
        self.shared.queue.stop();
        let _ = self.shutdown.send(true);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self.shared.connections.load(Ordering::SeqCst) > 0 {
            if std::time::Instant::now() > deadline {
                tracing::warn!("Timeout waiting for HTTP clients to disconnect gracefully, continuing shutdown");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        tracing::debug!(target: "http", "Stopped HTTP server");
    }
}

fn bind_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let shared2 = shared.clone();
                    let rx = shutdown.clone();
                    tokio::spawn(async move {
                        serve_connection(stream, addr, shared2.clone(), rx).await;
                        shared2.connections.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Err(e) => {
                    tracing::debug!(target: "http", "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

fn client_allowed(shared: &Shared, ip: &IpAddr) -> bool {
    shared.allow.iter().any(|s| s.contains(ip))
}

async fn serve_connection(
    mut stream: TcpStream,
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match parse_request(&buf) {
            Ok(Parsed::Complete(request, used)) => {
                buf.drain(..used);
                tracing::debug!(target: "http", "Received a {:?} request for {} from {}", request.method, request.target, addr);
                let response = dispatch(&request, addr, &shared).await;
                let (bytes, keep_alive) = serialize(Some(&request), &response);
                if stream.write_all(&bytes).await.is_err() || !keep_alive {
                    return;
                }
                continue;
            }
            Ok(Parsed::Incomplete) => {}
            Err(e) => {
                let status = match &e {
                    ParseError::BadRequest(msg) => {
                        tracing::debug!(target: "http", "Error reading HTTP request from client {addr}: {msg}");
                        400
                    }
                    ParseError::TooLarge(msg) => {
                        tracing::debug!(target: "http", "HTTP request body too large from client {addr}: {msg}");
                        413
                    }
                };
                let (bytes, _) = serialize(None, &Response::status(status));
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
        }
        if *shutdown.borrow() && buf.is_empty() {
            return;
        }
        let timeout = shared.idle_timeout;
        let read = async {
            if timeout.is_zero() {
                Some(stream.read(&mut chunk).await)
            } else {
                tokio::time::timeout(timeout, stream.read(&mut chunk))
                    .await
                    .ok()
            }
        };
        tokio::select! {
            r = read => match r {
                None => {
                    tracing::debug!(target: "http", "HTTP client idle timeout {addr}");
                    return;
                }
                Some(Ok(0)) | Some(Err(_)) => return,
                Some(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            },
            _ = shutdown.changed() => {
                if buf.is_empty() {
                    return;
                }
            }
        }
    }
}

async fn dispatch(request: &Request, addr: SocketAddr, shared: &Arc<Shared>) -> Response {
    if !client_allowed(shared, &addr.ip()) {
        tracing::debug!(target: "http", "HTTP request from {addr} rejected: Client network is not allowed RPC access");
        return Response::status(403);
    }
    if request.method == super::parse::Method::Unknown {
        tracing::debug!(target: "http", "HTTP request from {addr} rejected: Unknown HTTP request method");
        return Response::status(405);
    }
    let handler = {
        let routes = shared.routes.read().unwrap_or_else(|e| e.into_inner());
        routes
            .iter()
            .find(|r| {
                if r.exact {
                    request.target == r.prefix
                } else {
                    request.target.starts_with(&r.prefix)
                }
            })
            .map(|r| r.handler.clone())
    };
    let Some(handler) = handler else {
        return Response::status(404);
    };
    if shared.rejecting.load(Ordering::SeqCst) {
        tracing::debug!(target: "http", "Rejecting request while shutting down");
        return Response::status(503);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let req = request.clone();
    let peer = Peer { addr };
    let job = move || {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| handler(&req, &peer)));
        let response = result.unwrap_or_else(|_| {
            tracing::warn!(
                "Unexpected error while processing request for '{}'",
                req.target
            );
            Response::text(500, "internal error").with_header("Connection", "close")
        });
        let _ = tx.send(response);
    };
    match shared.queue.submit(job) {
        Ok(()) => rx.await.unwrap_or_else(|_| Response::status(500)),
        Err(SubmitError::Full) => {
            tracing::warn!("Request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting");
            Response::text(503, "Work queue depth exceeded")
        }
        Err(SubmitError::Stopped) => {
            tracing::warn!("HTTP request rejected during server shutdown");
            Response::text(503, "Request rejected during server shutdown")
        }
    }
}
