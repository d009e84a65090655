//! `-capturemessages`: every message sent and received, appended per peer to
//! `<datadir>/<chain>/message_capture/<ip_port>/msgs_{sent,recv}.dat` in Core's
//! format (8-byte time in µs, 12-byte NUL-padded type, 4-byte length, payload),
//! which Core's `contrib/message-capture` parser reads.

use crate::wire::MESSAGE_TYPE_SIZE;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The capture file of one direction of one peer.
pub fn capture_path(base: &Path, addr: &SocketAddr, incoming: bool) -> PathBuf {
    // Core replaces ':' so the directory name is valid everywhere.
    let clean = addr.to_string().replace(':', "_");
    base.join("message_capture").join(clean).join(if incoming {
        "msgs_recv.dat"
    } else {
        "msgs_sent.dat"
    })
}

/// One capture record.
pub fn record(time_micros: i64, msg_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + payload.len());
    out.extend_from_slice(&time_micros.to_le_bytes());
    let mut field = [0u8; MESSAGE_TYPE_SIZE];
    let n = msg_type.len().min(MESSAGE_TYPE_SIZE);
    field[..n].copy_from_slice(&msg_type.as_bytes()[..n]);
    out.extend_from_slice(&field);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Appends a message to its capture file; failures are logged, never fatal.
pub fn capture(base: &Path, addr: &SocketAddr, msg_type: &str, payload: &[u8], incoming: bool) {
    let path = capture_path(base, addr, incoming);
    let result = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        })
        .and_then(|mut f| f.write_all(&record(crate::clock::now_micros(), msg_type, payload)));
    if let Err(e) = result {
        tracing::warn!("Message capture to {} failed: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_layout_and_path_follow_core() {
        let r = record(7, "ping", &[1, 2]);
        assert_eq!(&r[..8], &7i64.to_le_bytes());
        assert_eq!(&r[8..20], b"ping\0\0\0\0\0\0\0\0");
        assert_eq!(&r[20..24], &2u32.to_le_bytes());
        assert_eq!(&r[24..], &[1, 2]);
        let p = capture_path(Path::new("/d"), &"127.0.0.1:8333".parse().unwrap(), true);
        assert_eq!(
            p,
            Path::new("/d/message_capture/127.0.0.1_8333/msgs_recv.dat")
        );
    }
}
