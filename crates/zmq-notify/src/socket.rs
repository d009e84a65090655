//! A PUB socket: binds one endpoint, greets each subscriber, and hands each
//! published message to every subscriber whose subscriptions match its
//! topic. Each subscriber has its own queue bounded by the high-water mark;
//! when it is full the message is dropped for that subscriber only, so a
//! slow reader never holds up the publisher.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::endpoint::Endpoint;
use crate::zmtp::{self, ProtocolError, Request};

/// How long a new peer may take to finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// One message as it goes on the wire, shared by every subscriber's queue.
type Wire = Arc<Vec<u8>>;

/// A subscriber's queue: bounded by the high-water mark, unbounded for 0
/// (ZeroMQ's meaning of a zero high-water mark).
enum Queue {
    Bounded(mpsc::Sender<Wire>),
    Unbounded(mpsc::UnboundedSender<Wire>),
}

enum QueueRx {
    Bounded(mpsc::Receiver<Wire>),
    Unbounded(mpsc::UnboundedReceiver<Wire>),
}

impl QueueRx {
    async fn recv(&mut self) -> Option<Wire> {
        match self {
            QueueRx::Bounded(r) => r.recv().await,
            QueueRx::Unbounded(r) => r.recv().await,
        }
    }
}

fn queue(hwm: usize) -> (Queue, QueueRx) {
    if hwm == 0 {
        let (tx, rx) = mpsc::unbounded_channel();
        (Queue::Unbounded(tx), QueueRx::Unbounded(rx))
    } else {
        let (tx, rx) = mpsc::channel(hwm);
        (Queue::Bounded(tx), QueueRx::Bounded(rx))
    }
}

struct Peer {
    id: u64,
    subscriptions: Arc<Mutex<Vec<Vec<u8>>>>,
    queue: Queue,
}

struct Shared {
    peers: Mutex<Vec<Peer>>,
    next_id: AtomicU64,
    hwm: usize,
    dropped: AtomicU64,
}

impl Shared {
    fn peers(&self) -> std::sync::MutexGuard<'_, Vec<Peer>> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn remove(&self, id: u64) {
        self.peers().retain(|p| p.id != id);
    }
}

/// A bound PUB socket; closing it (dropping) stops accepting and drops its
/// subscribers.
pub struct PubSocket {
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
    ipc_path: Option<PathBuf>,
    tcp_addr: Option<std::net::SocketAddr>,
}

/// Why binding failed, worded as `zmq_strerror` words it (Core logs that).
#[derive(Debug)]
pub struct BindError(pub String);

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn io_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // strerror's own wording, as ZeroMQ reports bind failures.
        Some(code) => {
            let text = std::io::Error::from_raw_os_error(code).to_string();
            text.split(" (os error").next().unwrap_or(&text).to_string()
        }
        None => e.to_string(),
    }
}

impl PubSocket {
    /// Binds `endpoint` on `runtime`; subscribers' queues hold `hwm` messages.
    pub fn bind(runtime: &Handle, endpoint: &Endpoint, hwm: usize) -> Result<PubSocket, BindError> {
        let _entered = runtime.enter();
        let shared = Arc::new(Shared {
            peers: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            hwm,
            dropped: AtomicU64::new(0),
        });
        let (accept, ipc_path, tcp_addr) = match endpoint {
            Endpoint::Tcp(addr) => {
                let std_listener =
                    std::net::TcpListener::bind(addr).map_err(|e| BindError(io_error_text(&e)))?;
                std_listener
                    .set_nonblocking(true)
                    .map_err(|e| BindError(io_error_text(&e)))?;
                let local = std_listener.local_addr().ok();
                let listener = tokio::net::TcpListener::from_std(std_listener)
                    .map_err(|e| BindError(io_error_text(&e)))?;
                let s = shared.clone();
                let task = tokio::spawn(async move {
                    loop {
                        match listener.accept().await {
                            Ok((stream, _)) => {
                                let _ = stream.set_nodelay(true);
                                set_keepalive(&stream);
                                tokio::spawn(serve(stream, s.clone()));
                            }
                            Err(e) => {
                                tracing::debug!(target: "zmq", "accept failed: {e}");
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                });
                (task, None, local)
            }
            Endpoint::Ipc(path) => {
                // A file left by an earlier run would make the bind fail;
                // ZeroMQ replaces it too.
                let _ = std::fs::remove_file(path);
                let listener = tokio::net::UnixListener::bind(path)
                    .map_err(|e| BindError(io_error_text(&e)))?;
                let s = shared.clone();
                let task = tokio::spawn(async move {
                    loop {
                        match listener.accept().await {
                            Ok((stream, _)) => {
                                tokio::spawn(serve(stream, s.clone()));
                            }
                            Err(e) => {
                                tracing::debug!(target: "zmq", "accept failed: {e}");
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                });
                (task, Some(path.clone()), None)
            }
        };
        Ok(PubSocket {
            shared,
            accept,
            ipc_path,
            tcp_addr,
        })
    }

    /// Queues a multipart message for every subscriber of `parts[0]` (the
    /// topic); never waits.
    pub fn publish(&self, parts: &[&[u8]]) {
        let topic = parts.first().copied().unwrap_or_default();
        let mut wire: Option<Wire> = None;
        let mut gone = Vec::new();
        let peers = self.shared.peers();
        for peer in peers.iter() {
            let wanted = peer
                .subscriptions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|s| topic.starts_with(s));
            if !wanted {
                continue;
            }
            let msg = wire
                .get_or_insert_with(|| Arc::new(zmtp::encode_message(parts)))
                .clone();
            let sent = match &peer.queue {
                Queue::Bounded(q) => match q.try_send(msg) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                        true
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                },
                Queue::Unbounded(q) => q.send(msg).is_ok(),
            };
            if !sent {
                gone.push(peer.id);
            }
        }
        drop(peers);
        for id in gone {
            self.shared.remove(id);
        }
    }

    /// The TCP address bound (with the port chosen for port 0).
    pub fn local_tcp_addr(&self) -> Option<std::net::SocketAddr> {
        self.tcp_addr
    }

    /// How many subscribers finished the handshake and are connected.
    pub fn subscriber_count(&self) -> usize {
        self.shared.peers().len()
    }

    /// Messages dropped because a subscriber's queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// The high-water mark of each subscriber's queue.
    pub fn hwm(&self) -> usize {
        self.shared.hwm
    }
}

impl Drop for PubSocket {
    fn drop(&mut self) {
        self.accept.abort();
        // Dropping the queues ends every subscriber's writer.
        self.shared.peers().clear();
        if let Some(path) = &self.ipc_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Core turns TCP keepalive on for its publishers.
fn set_keepalive(stream: &tokio::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option of the size given.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Reads one frame: its header and body.
async fn read_frame<R: AsyncRead + Unpin>(
    rd: &mut R,
) -> Result<Option<(zmtp::FrameHeader, Vec<u8>)>, ProtocolError> {
    let flags = match rd.read_u8().await {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    let header = zmtp::parse_flags(flags)?;
    let len = if header.long {
        match rd.read_u64().await {
            Ok(l) => l,
            Err(_) => return Ok(None),
        }
    } else {
        match rd.read_u8().await {
            Ok(l) => l as u64,
            Err(_) => return Ok(None),
        }
    };
    if len > zmtp::MAX_INBOUND_FRAME {
        return Err(ProtocolError::BadFrame);
    }
    let mut body = vec![0u8; len as usize];
    if rd.read_exact(&mut body).await.is_err() {
        return Ok(None);
    }
    Ok(Some((header, body)))
}

/// Greets the peer and checks its greeting and READY.
async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
) -> Result<bool, ProtocolError> {
    if stream.write_all(&zmtp::greeting()).await.is_err() {
        return Ok(false);
    }
    let mut theirs = [0u8; zmtp::GREETING_LEN];
    if stream.read_exact(&mut theirs).await.is_err() {
        return Ok(false);
    }
    zmtp::check_greeting(&theirs)?;
    if stream.write_all(&zmtp::ready_command()).await.is_err() {
        return Ok(false);
    }
    match read_frame(stream).await? {
        Some((h, body)) if h.command => zmtp::check_peer_ready(&body).map(|()| true),
        Some(_) => Err(ProtocolError::BadCommand),
        None => Ok(false),
    }
}

/// Serves one subscriber until it leaves, sends bad bytes or the socket closes.
async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    mut stream: S,
    shared: Arc<Shared>,
) {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut stream)).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) | Err(_) => return,
        Ok(Err(e)) => {
            tracing::debug!(target: "zmq", "Closing subscriber: {e}");
            return;
        }
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let subscriptions = Arc::new(Mutex::new(Vec::new()));
    let (tx, mut rx) = queue(shared.hwm);
    shared.peers().push(Peer {
        id,
        subscriptions: subscriptions.clone(),
        queue: tx,
    });
    let (mut rd, mut wr) = tokio::io::split(stream);
    let writer = async move {
        while let Some(msg) = rx.recv().await {
            if wr.write_all(&msg).await.is_err() {
                break;
            }
        }
    };
    let reader = async move {
        loop {
            match read_frame(&mut rd).await {
                Ok(Some((h, body))) => match zmtp::parse_request(h, &body) {
                    Ok(Request::Subscribe(t)) => subscriptions
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(t),
                    Ok(Request::Cancel(t)) => {
                        let mut subs = subscriptions.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(i) = subs.iter().position(|s| *s == t) {
                            subs.remove(i);
                        }
                    }
                    Ok(Request::Ignore) => {}
                    Err(e) => {
                        tracing::debug!(target: "zmq", "Closing subscriber: {e}");
                        break;
                    }
                },
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(target: "zmq", "Closing subscriber: {e}");
                    break;
                }
            }
        }
    };
    tokio::select! {
        _ = writer => {}
        _ = reader => {}
    }
    shared.remove(id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Instant;

    /// Connects a blocking ZMTP 3.0 SUB client subscribed to `topic`.
    fn subscriber(addr: std::net::SocketAddr, topic: &[u8]) -> std::net::TcpStream {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(&zmtp::greeting()).unwrap();
        let mut theirs = [0u8; zmtp::GREETING_LEN];
        s.read_exact(&mut theirs).unwrap();
        let ready = zmtp::ready_command();
        let mut ours = vec![0x04, 0];
        let mut body = vec![5];
        body.extend_from_slice(b"READY");
        body.push(11);
        body.extend_from_slice(b"Socket-Type");
        body.extend_from_slice(&3u32.to_be_bytes());
        body.extend_from_slice(b"SUB");
        ours[1] = body.len() as u8;
        ours.extend_from_slice(&body);
        s.write_all(&ours).unwrap();
        let mut their_ready = vec![0u8; ready.len()];
        s.read_exact(&mut their_ready).unwrap();
        assert_eq!(their_ready, ready);
        let mut sub = vec![0x00, topic.len() as u8 + 1, 1];
        sub.extend_from_slice(topic);
        s.write_all(&sub).unwrap();
        s
    }

    fn wait_for_subscribers(socket: &PubSocket, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while socket.subscriber_count() < n {
            assert!(Instant::now() < deadline, "subscribers never registered");
            std::thread::sleep(Duration::from_millis(10));
        }
        // The subscription itself follows the READY.
        std::thread::sleep(Duration::from_millis(200));
    }

    #[test]
    fn topics_filter_by_prefix_and_frames_arrive_whole() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ep = Endpoint::Tcp("127.0.0.1:0".parse().unwrap());
        let socket = PubSocket::bind(rt.handle(), &ep, 10).unwrap();
        let addr = socket.local_tcp_addr().unwrap();
        let mut sub = subscriber(addr, b"hash");
        wait_for_subscribers(&socket, 1);
        socket.publish(&[b"rawtx", b"skipped", &[0, 0, 0, 0]]);
        socket.publish(&[b"hashtx", b"kept", &[1, 0, 0, 0]]);
        let want = zmtp::encode_message(&[b"hashtx", b"kept", &[1, 0, 0, 0]]);
        let mut got = vec![0u8; want.len()];
        sub.read_exact(&mut got).unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn a_subscriber_that_never_reads_loses_messages_not_the_publisher_time() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ep = Endpoint::Tcp("127.0.0.1:0".parse().unwrap());
        let socket = PubSocket::bind(rt.handle(), &ep, 4).unwrap();
        let _stalled = subscriber(socket.local_tcp_addr().unwrap(), b"");
        wait_for_subscribers(&socket, 1);
        let big = vec![0u8; 1 << 20];
        let started = Instant::now();
        for _ in 0..200 {
            socket.publish(&[b"rawblock", &big, &[0, 0, 0, 0]]);
        }
        // 200 MiB cannot fit in socket buffers and four queued messages.
        assert!(socket.dropped() > 0);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn garbage_closes_only_that_peer() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ep = Endpoint::Tcp("127.0.0.1:0".parse().unwrap());
        let socket = PubSocket::bind(rt.handle(), &ep, 10).unwrap();
        let addr = socket.local_tcp_addr().unwrap();
        let mut good = subscriber(addr, b"");
        wait_for_subscribers(&socket, 1);
        let mut bad = std::net::TcpStream::connect(addr).unwrap();
        bad.write_all(&[0x42; 64]).unwrap();
        bad.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut rest = Vec::new();
        let _ = bad.read_to_end(&mut rest);
        assert_eq!(rest.len(), zmtp::GREETING_LEN, "greeted, then closed");
        socket.publish(&[b"t", b"x", &[0, 0, 0, 0]]);
        let want = zmtp::encode_message(&[b"t", b"x", &[0, 0, 0, 0]]);
        let mut got = vec![0u8; want.len()];
        good.read_exact(&mut got).unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn ipc_endpoint_binds_and_cleans_up() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pub.sock");
        let socket = PubSocket::bind(rt.handle(), &Endpoint::Ipc(path.clone()), 10).unwrap();
        assert!(path.exists());
        drop(socket);
        assert!(!path.exists());
    }

    #[test]
    fn port_in_use_reads_as_zeromq_reports_it() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ep = Endpoint::Tcp(taken.local_addr().unwrap());
        let err = PubSocket::bind(rt.handle(), &ep, 10).err().unwrap();
        assert_eq!(err.0, "Address already in use");
    }
}
