//! The socket side of one peer: a reader that frames, checks and decodes
//! messages and hands them to the message handler, and a writer that drains the
//! peer's outbox. Either side ending ends the connection.

use crate::message::{decode, DecodeError};
use crate::peer::{Outgoing, Peer};
use crate::processing::Event;
use crate::wire::{checksum, MessageHeader, HEADER_SIZE};
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

/// Runs a connection until the socket closes or a disconnect is requested. The
/// caller removes the peer and tells the message handler it is gone.
pub async fn run(
    stream: TcpStream,
    peer: Arc<Peer>,
    outbox: UnboundedReceiver<Outgoing>,
    events: Sender<Event>,
) {
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    tokio::select! {
        reason = read_loop(r, &peer, &events) => {
            if let Some(reason) = reason {
                tracing::debug!(target: "net", "{reason}, disconnecting {}", peer.log_name());
            }
        }
        () = write_loop(w, outbox, &peer, &events) => {}
    }
    peer.disconnect();
}

async fn write_loop(
    mut w: OwnedWriteHalf,
    mut outbox: UnboundedReceiver<Outgoing>,
    peer: &Peer,
    events: &Sender<Event>,
) {
    while let Some(item) = outbox.recv().await {
        match item {
            Outgoing::Frame(frame) => {
                if w.write_all(&frame).await.is_err() {
                    return;
                }
                if peer.sent(frame.len()) {
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
async fn read_loop(mut r: OwnedReadHalf, peer: &Peer, events: &Sender<Event>) -> Option<String> {
    let magic = peer.magic();
    // Bytes received and not yet consumed. It never holds more than one message
    // plus one read, because the header's length is checked before waiting for
    // the payload.
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut header: Option<MessageHeader> = None;
    loop {
        if header.is_none() && buf.len() >= HEADER_SIZE {
            let mut hdr = [0u8; HEADER_SIZE];
            hdr.copy_from_slice(&buf[..HEADER_SIZE]);
            match MessageHeader::parse(&hdr, magic) {
                Ok(h) => header = Some(h),
                Err(e) => {
                    tracing::debug!(target: "net", "{}, peer={}", e.log_text(), peer.id);
                    return None;
                }
            }
        }
        let complete = header
            .as_ref()
            .is_some_and(|h| buf.len() >= HEADER_SIZE + h.length as usize);
        if !complete {
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
        let Some(header) = header.take() else {
            continue;
        };
        let end = HEADER_SIZE + header.length as usize;
        let payload = buf[HEADER_SIZE..end].to_vec();
        buf.drain(..end);
        let msg_type = header.type_string();
        let counted = if header.type_is_valid() && KNOWN_TYPES.contains(&msg_type.as_str()) {
            msg_type.as_str()
        } else {
            "*other*"
        };
        peer.record_message_received(counted, payload.len());
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
            continue;
        }
        if !header.type_is_valid() {
            tracing::debug!(
                target: "net",
                "Header error: Invalid message type ({msg_type}, {} bytes), peer={}",
                payload.len(),
                peer.id
            );
            continue;
        }
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
