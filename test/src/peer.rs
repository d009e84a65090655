//! An inbound peer speaking the protocol the way Core's `P2PInterface` does,
//! framed with the `bitcoin` crate (independent of the node's own codec).

use bitcoin::consensus::encode::{deserialize_partial, serialize};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Magic, ServiceFlags};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One connection to a node's P2P port.
pub struct Peer {
    /// The socket, for tests that look at addresses.
    pub stream: TcpStream,
    next_ping: u64,
}

impl Peer {
    /// Connects to `port` on localhost without a handshake.
    pub fn connect(port: u16) -> Peer {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Peer {
            stream,
            next_ping: 1,
        }
    }

    /// Connects and completes the handshake as the Python framework does.
    pub fn handshake(port: u16) -> Peer {
        Peer::handshake_as(port, python_version())
    }

    /// [`Peer::handshake`] with our own `version` (other services, say).
    pub fn handshake_as(port: u16, version: VersionMessage) -> Peer {
        let mut p = Peer::connect(port);
        p.send(NetworkMessage::Version(version));
        p.expect("version");
        p.send(NetworkMessage::WtxidRelay);
        p.send(NetworkMessage::SendAddrV2);
        p.send(NetworkMessage::Verack);
        p.expect("verack");
        p.sync_with_ping();
        p
    }

    /// Sends one message.
    pub fn send(&mut self, msg: NetworkMessage) {
        let raw = RawNetworkMessage::new(Magic::REGTEST, msg);
        self.stream.write_all(&serialize(&raw)).expect("send");
    }

    /// Sends a message with a payload serialized by the caller, for bytes the
    /// `bitcoin` crate would encode differently.
    pub fn send_raw(&mut self, cmd: &str, payload: &[u8]) {
        let mut frame = Magic::REGTEST.to_bytes().to_vec();
        let mut name = [0u8; 12];
        name[..cmd.len()].copy_from_slice(cmd.as_bytes());
        frame.extend_from_slice(&name);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&sha256d::Hash::hash(payload).as_byte_array()[..4]);
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame).expect("send");
    }

    /// The next message; `None` once the node closed the connection.
    pub fn recv(&mut self) -> Option<NetworkMessage> {
        let mut hdr = [0u8; 24];
        self.stream.read_exact(&mut hdr).ok()?;
        let len = u32::from_le_bytes([hdr[16], hdr[17], hdr[18], hdr[19]]) as usize;
        let mut frame = hdr.to_vec();
        frame.resize(24 + len, 0);
        self.stream.read_exact(&mut frame[24..]).ok()?;
        let (raw, _): (RawNetworkMessage, usize) = deserialize_partial(&frame).ok()?;
        Some(raw.into_payload())
    }

    /// The next message of type `cmd`, answering pings on the way.
    pub fn expect(&mut self, cmd: &str) -> NetworkMessage {
        loop {
            let m = self.recv().expect("connection closed");
            if m.cmd() == cmd {
                return m;
            }
            if let NetworkMessage::Ping(n) = m {
                self.send(NetworkMessage::Pong(n));
            }
        }
    }

    /// The next message of any of the types in `cmds`, answering pings on
    /// the way.
    pub fn expect_any(&mut self, cmds: &[&str]) -> NetworkMessage {
        loop {
            let m = self.recv().expect("connection closed");
            if cmds.iter().any(|c| *c == m.cmd()) {
                return m;
            }
            if let NetworkMessage::Ping(n) = m {
                self.send(NetworkMessage::Pong(n));
            }
        }
    }

    /// Core's `sync_with_ping`: everything sent before has been processed.
    pub fn sync_with_ping(&mut self) {
        let nonce = self.next_ping;
        self.next_ping += 1;
        self.send(NetworkMessage::Ping(nonce));
        while !matches!(self.expect("pong"), NetworkMessage::Pong(n) if n == nonce) {}
    }

    /// Everything the node sends until it has processed what we sent before
    /// (a `sync_with_ping` that keeps the messages).
    pub fn messages_until_synced(&mut self) -> Vec<NetworkMessage> {
        let nonce = self.next_ping;
        self.next_ping += 1;
        self.send(NetworkMessage::Ping(nonce));
        let mut seen = Vec::new();
        loop {
            match self.recv().expect("connection closed") {
                NetworkMessage::Pong(n) if n == nonce => return seen,
                NetworkMessage::Ping(n) => self.send(NetworkMessage::Pong(n)),
                m => seen.push(m),
            }
        }
    }

    /// Whether the node closes the connection within the read timeout;
    /// whatever it sends meanwhile is skipped.
    pub fn disconnected(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return false
                }
                Err(_) => return true,
            }
        }
    }
}

/// The `version` message of Core's Python test framework.
pub fn python_version() -> VersionMessage {
    let any: std::net::SocketAddr = "0.0.0.0:0".parse().expect("address");
    VersionMessage {
        version: 70017,
        services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
        timestamp: 1_700_000_000,
        receiver: Address::new(&any, ServiceFlags::NONE),
        sender: Address::new(&any, ServiceFlags::NONE),
        nonce: 1,
        user_agent: "/python-p2p-tester:0.0.3/".into(),
        start_height: -1,
        relay: true,
    }
}
