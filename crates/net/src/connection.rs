//! The socket side of one peer: the transport is settled first (v1, or a
//! BIP324 v2 handshake, or detection of either on inbound connections), then a
//! reader frames or decrypts, checks and decodes messages and hands them to
//! the message handler, and a writer drains the peer's outbox. Either side
//! ending ends the connection.

use crate::message::{decode, DecodeError};
use crate::peer::{Outgoing, Peer, TransportType};
use crate::processing::Event;
use crate::v2cipher::{RecvCipher, SendCipher, LENGTH_LEN};
use crate::v2transport::{self, Detection, HandshakeError};
use crate::wire::{checksum, encode_frame, MessageHeader, HEADER_SIZE};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;

/// Message types Core counts under their own name in `bytesrecv_per_msg`; any
/// other type is counted as `*other*`.
const KNOWN_TYPES: &[&str] = &[
    "version",
    "verack",
    "addr",
    "addrv2",
    "sendaddrv2",
    "inv",
    "getdata",
    "merkleblock",
    "getblocks",
    "getheaders",
    "tx",
    "headers",
    "block",
    "getaddr",
    "mempool",
    "ping",
    "pong",
    "notfound",
    "filterload",
    "filteradd",
    "filterclear",
    "sendheaders",
    "feefilter",
    "sendcmpct",
    "cmpctblock",
    "getblocktxn",
    "blocktxn",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "wtxidrelay",
    "sendtxrcncl",
    "feature",
];

/// How a connection starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// v1 from the first byte.
    V1,
    /// Inbound with v2 enabled: the peer's first bytes tell v1 from v2.
    Detect,
    /// Outbound v2: we send our key first.
    V2Initiate,
}

/// Turns queued messages into bytes for the socket.
enum Encoder {
    V1([u8; 4]),
    V2(Box<SendCipher>),
}

impl Encoder {
    fn encode(&mut self, msg_type: &str, payload: &[u8]) -> Vec<u8> {
        match self {
            Encoder::V1(magic) => encode_frame(*magic, msg_type, payload),
            Encoder::V2(cipher) => {
                cipher.encrypt(&v2transport::encode_contents(msg_type, payload), &[], false)
            }
        }
    }
}

/// Cuts received bytes into messages.
enum Decoder {
    V1 {
        magic: [u8; 4],
        header: Option<MessageHeader>,
    },
    V2 {
        cipher: Box<RecvCipher>,
        /// Contents length of the packet being received; the length cipher
        /// moves on once per packet.
        pending: Option<usize>,
    },
}

/// The outcome of looking at the receive buffer.
enum Step {
    /// More bytes are needed.
    NeedMore,
    /// A message was consumed and dropped (already logged).
    Dropped,
    /// A message to hand on.
    Message(String, Vec<u8>),
}

/// Runs a connection until the socket closes or a disconnect is requested. The
/// caller removes the peer and tells the message handler it is gone. Returns
/// true when an outbound v2 attempt got nothing back, so that the caller may
/// retry with v1 (the peer probably closed on our key).
pub async fn run(
    mut stream: TcpStream,
    peer: Arc<Peer>,
    outbox: UnboundedReceiver<Outgoing>,
    events: Sender<Event>,
    start: Start,
) -> bool {
    let _ = stream.set_nodelay(true);
    let established = tokio::select! {
        r = establish(&mut stream, &peer, start) => r,
        () = peer.closed() => Err(None),
    };
    let (encoder, decoder, buf) = match established {
        Ok(parts) => parts,
        Err(reason) => {
            if let Some(reason) = reason {
                tracing::debug!(target: "net", "{reason}, disconnecting {}", peer.log_name());
            }
            let retry = start == Start::V2Initiate
                && !peer.disconnect_requested()
                && peer.stats().bytes_recv == 0;
            peer.disconnect();
            return retry;
        }
    };
    let (r, w) = stream.into_split();
    tokio::select! {
        reason = read_loop(r, &peer, &events, decoder, buf) => {
            if let Some(reason) = reason {
                tracing::debug!(target: "net", "{reason}, disconnecting {}", peer.log_name());
            }
        }
        () = write_loop(w, outbox, &peer, encoder, &events) => {}
    }
    peer.disconnect();
    false
}

/// Settles the transport: returns the encoder, the decoder and bytes already
/// received past the handshake, or the reason to close (`None`: logged).
async fn establish(
    stream: &mut TcpStream,
    peer: &Peer,
    start: Start,
) -> Result<(Encoder, Decoder, Vec<u8>), Option<String>> {
    let magic = peer.magic();
    let v1 = |buf| {
        peer.set_transport(TransportType::V1, String::new());
        Ok((
            Encoder::V1(magic),
            Decoder::V1 {
                magic,
                header: None,
            },
            buf,
        ))
    };
    let mut received = Vec::new();
    if start == Start::V1 {
        return v1(received);
    }
    if start == Start::Detect {
        loop {
            match v2transport::detect(magic, &received) {
                Detection::V1 => return v1(received),
                Detection::V2 => break,
                Detection::Undecided => {
                    let mut chunk = [0u8; 64];
                    match stream.read(&mut chunk).await {
                        Ok(0) => return Err(Some("socket closed".to_string())),
                        Ok(n) => {
                            peer.record_bytes_received(n);
                            received.extend_from_slice(&chunk[..n]);
                        }
                        Err(e) => return Err(Some(format!("socket recv error: {e}"))),
                    }
                }
            }
        }
    } else {
        tracing::debug!(target: "net", "start sending v2 handshake to peer={}", peer.id);
    }
    let on_recv = |n| peer.record_bytes_received(n);
    let on_sent = |n| peer.record_bytes_sent(n);
    let initiator = start == Start::V2Initiate;
    match v2transport::handshake(stream, magic, initiator, received, &on_recv, &on_sent).await {
        Ok((session, rest)) => {
            peer.set_transport(TransportType::V2, v2transport::session_id_hex(&session.id));
            Ok((
                Encoder::V2(Box::new(session.outbound)),
                Decoder::V2 {
                    cipher: Box::new(session.inbound),
                    pending: None,
                },
                rest,
            ))
        }
        Err(HandshakeError::Closed(reason)) => Err(Some(reason)),
        Err(HandshakeError::Protocol(text)) => {
            tracing::debug!(target: "net", "V2 transport error: {text}, peer={}", peer.id);
            Err(None)
        }
    }
}

async fn write_loop(
    mut w: OwnedWriteHalf,
    mut outbox: UnboundedReceiver<Outgoing>,
    peer: &Peer,
    mut encoder: Encoder,
    events: &Sender<Event>,
) {
    while let Some(item) = outbox.recv().await {
        match item {
            Outgoing::Message {
                msg_type,
                payload,
                wire_size,
            } => {
                let bytes = encoder.encode(&msg_type, &payload);
                if w.write_all(&bytes).await.is_err() {
                    return;
                }
                if peer.sent(wire_size) {
                    // The handler left this peer's requests waiting; wake it.
                    let _ = events.send(Event::SendResumed(peer.id));
                }
            }
            Outgoing::Close => break,
        }
    }
    let _ = w.shutdown().await;
}

/// Reads messages until the connection must end; returns the log reason, or `None`
/// when the reason was already logged.
async fn read_loop(
    mut r: OwnedReadHalf,
    peer: &Peer,
    events: &Sender<Event>,
    mut decoder: Decoder,
    // Bytes received and not yet consumed. It never holds more than one message
    // plus one read, because the length is checked before waiting for the
    // payload.
    mut buf: Vec<u8>,
) -> Option<String> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let (msg_type, payload) = match next_message(&mut decoder, &mut buf, peer) {
            Err(()) => return None,
            Ok(Step::Dropped) => continue,
            Ok(Step::Message(t, p)) => (t, p),
            Ok(Step::NeedMore) => {
                peer.wait_for_receive_space().await;
                match r.read(&mut chunk).await {
                    Ok(0) => return Some("socket closed".to_string()),
                    Ok(n) => {
                        peer.record_bytes_received(n);
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    Err(e) => return Some(format!("socket recv error: {e}")),
                }
                continue;
            }
        };
        peer.capture(&msg_type, &payload, true);
        let event = match decode(&msg_type, &payload) {
            Ok(msg) => Event::Message {
                peer: peer.id,
                msg_type,
                msg,
                size: payload.len(),
            },
            Err(DecodeError::Oversized(text)) => Event::Misbehaving {
                peer: peer.id,
                msg_type,
                size: payload.len(),
                reason: text,
            },
            Err(DecodeError::Malformed(text)) => Event::Malformed {
                peer: peer.id,
                msg_type,
                size: payload.len(),
                reason: text,
            },
        };
        peer.queued_for_processing(payload.len());
        if events.send(event).is_err() {
            return Some("shutting down".to_string());
        }
    }
}

/// Takes the next complete message off `buf`; `Err` ends the connection (the
/// reason is logged).
fn next_message(decoder: &mut Decoder, buf: &mut Vec<u8>, peer: &Peer) -> Result<Step, ()> {
    match decoder {
        Decoder::V1 { magic, header } => next_v1(*magic, header, buf, peer),
        Decoder::V2 { cipher, pending } => next_v2(cipher, pending, buf, peer),
    }
}

/// The name `bytesrecv_per_msg` counts a message under.
fn counted_type(msg_type: &str, valid: bool) -> &str {
    if valid && KNOWN_TYPES.contains(&msg_type) {
        msg_type
    } else {
        "*other*"
    }
}

fn next_v1(
    magic: [u8; 4],
    header: &mut Option<MessageHeader>,
    buf: &mut Vec<u8>,
    peer: &Peer,
) -> Result<Step, ()> {
    if header.is_none() && buf.len() >= HEADER_SIZE {
        let mut hdr = [0u8; HEADER_SIZE];
        hdr.copy_from_slice(&buf[..HEADER_SIZE]);
        match MessageHeader::parse(&hdr, magic) {
            Ok(h) => *header = Some(h),
            Err(e) => {
                tracing::debug!(target: "net", "{}, peer={}", e.log_text(), peer.id);
                return Err(());
            }
        }
    }
    let complete = header
        .as_ref()
        .is_some_and(|h| buf.len() >= HEADER_SIZE + h.length as usize);
    if !complete {
        return Ok(Step::NeedMore);
    }
    let Some(header) = header.take() else {
        return Ok(Step::NeedMore);
    };
    let end = HEADER_SIZE + header.length as usize;
    let payload = buf[HEADER_SIZE..end].to_vec();
    buf.drain(..end);
    let msg_type = header.type_string();
    peer.record_message_received(
        counted_type(&msg_type, header.type_is_valid()),
        HEADER_SIZE + payload.len(),
    );
    let sum = checksum(&payload);
    if sum != header.checksum {
        tracing::debug!(
            target: "net",
            "Header error: Wrong checksum ({msg_type}, {} bytes), expected {} was {}, peer={}",
            payload.len(),
            hex::encode(sum),
            hex::encode(header.checksum),
            peer.id
        );
        return Ok(Step::Dropped);
    }
    if !header.type_is_valid() {
        tracing::debug!(
            target: "net",
            "Header error: Invalid message type ({msg_type}, {} bytes), peer={}",
            payload.len(),
            peer.id
        );
        return Ok(Step::Dropped);
    }
    Ok(Step::Message(msg_type, payload))
}

fn next_v2(
    cipher: &mut RecvCipher,
    pending: &mut Option<usize>,
    buf: &mut Vec<u8>,
    peer: &Peer,
) -> Result<Step, ()> {
    if pending.is_none() && buf.len() >= LENGTH_LEN {
        let contents_len = cipher.decrypt_length([buf[0], buf[1], buf[2]]);
        if contents_len > v2transport::MAX_CONTENTS_LEN {
            tracing::debug!(target: "net", "V2 transport error: packet too large ({contents_len} bytes), peer={}", peer.id);
            return Err(());
        }
        *pending = Some(contents_len);
    }
    let Some(contents_len) = *pending else {
        return Ok(Step::NeedMore);
    };
    let total = contents_len + v2transport::PACKET_OVERHEAD;
    if buf.len() < total {
        return Ok(Step::NeedMore);
    }
    *pending = None;
    let packet = cipher.decrypt(&buf[LENGTH_LEN..total], &[]);
    buf.drain(..total);
    let Some(packet) = packet else {
        tracing::debug!(target: "net", "V2 transport error: packet decryption failure ({contents_len} bytes), peer={}", peer.id);
        return Err(());
    };
    if packet.ignore {
        return Ok(Step::Dropped);
    }
    match v2transport::decode_contents(&packet.contents) {
        Some((msg_type, payload)) => {
            peer.record_message_received(counted_type(&msg_type, true), total);
            Ok(Step::Message(msg_type, payload.to_vec()))
        }
        None => {
            peer.record_message_received("*other*", total);
            tracing::debug!(target: "net", "V2 transport error: invalid message type ({contents_len} bytes contents), peer={}", peer.id);
            Ok(Step::Dropped)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2cipher::{derive, KeyPair};

    fn test_peer() -> Peer {
        crate::peer::tests::test_peer().0
    }

    #[test]
    fn v2_reader_drops_decoys_and_unknown_ids_and_stops_on_bad_packets() {
        let (a, b) = (KeyPair::generate(), KeyPair::generate());
        let mut ours = derive(&a, b.ellswift, false, [0; 4]);
        let mut theirs = derive(&b, a.ellswift, true, [0; 4]);
        let peer = test_peer();
        let mut pending = None;
        let mut buf = Vec::new();
        let ping = v2transport::encode_contents("ping", &[9; 8]);
        buf.extend(theirs.send.encrypt(&ping, &[], true));
        buf.extend(theirs.send.encrypt(&[29], &[], false));
        buf.extend(theirs.send.encrypt(&ping, &[], false));
        let whole = buf.len();
        buf.extend(theirs.send.encrypt(&ping, &[], false));
        // The last packet arrives in part only.
        buf.truncate(whole + 10);
        let mut step = || next_v2(&mut ours.recv, &mut pending, &mut buf, &peer);
        assert!(matches!(step(), Ok(Step::Dropped)), "decoy");
        assert!(matches!(step(), Ok(Step::Dropped)), "unassigned id");
        assert!(matches!(step(), Ok(Step::Message(t, p)) if t == "ping" && p == [9; 8]));
        assert!(matches!(step(), Ok(Step::NeedMore)));
        assert_eq!(peer.stats().recv_per_msg.get("ping"), Some(&29));
        assert_eq!(peer.stats().recv_per_msg.get("*other*"), Some(&21));

        // A packet that fails authentication ends the connection.
        let mut ours = derive(&a, b.ellswift, false, [0; 4]);
        let mut theirs = derive(&b, a.ellswift, true, [0; 4]);
        let mut bad = theirs.send.encrypt(&ping, &[], false);
        bad[4] ^= 1;
        let mut pending = None;
        assert!(next_v2(&mut ours.recv, &mut pending, &mut bad, &peer).is_err());

        // So does a length beyond the largest message, before its contents arrive.
        let mut ours = derive(&a, b.ellswift, false, [0; 4]);
        let mut theirs = derive(&b, a.ellswift, true, [0; 4]);
        let big = vec![0u8; v2transport::MAX_CONTENTS_LEN + 1];
        let mut head = theirs.send.encrypt(&big, &[], false);
        head.truncate(LENGTH_LEN);
        let mut pending = None;
        assert!(next_v2(&mut ours.recv, &mut pending, &mut head, &peer).is_err());
    }
}
