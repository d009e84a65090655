//! The ZMTP 3.0 wire format a PUB socket needs (RFC 23/ZMTP with the NULL
//! mechanism): the greeting, the READY command, frames, and what a
//! subscriber may send (subscriptions as ZMTP 3.0 messages or as the
//! SUBSCRIBE/CANCEL commands of ZMTP 3.1).

/// Length of the greeting each side sends first.
pub const GREETING_LEN: usize = 64;

/// The largest frame a subscriber may send (subscriptions are short; a
/// bigger frame means a confused or hostile peer).
pub const MAX_INBOUND_FRAME: u64 = 64 * 1024;

const FLAG_MORE: u8 = 0x01;
const FLAG_LONG: u8 = 0x02;
const FLAG_COMMAND: u8 = 0x04;

/// Our greeting: signature, version 3.0, the NULL mechanism, not a server.
pub fn greeting() -> [u8; GREETING_LEN] {
    let mut g = [0u8; GREETING_LEN];
    g[0] = 0xff;
    g[9] = 0x7f;
    g[10] = 3;
    g[11] = 0;
    g[12..16].copy_from_slice(b"NULL");
    g
}

/// Why a peer's bytes were refused (the peer is then disconnected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The greeting is not a ZMTP 3.x greeting with the NULL mechanism.
    BadGreeting,
    /// A frame has reserved flag bits set or is too large.
    BadFrame,
    /// A command is malformed, or is not the one expected now.
    BadCommand,
    /// The peer's socket type cannot talk to a PUB socket.
    IncompatibleSocketType(String),
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::BadGreeting => f.write_str("invalid ZMTP greeting"),
            ProtocolError::BadFrame => f.write_str("invalid ZMTP frame"),
            ProtocolError::BadCommand => f.write_str("invalid ZMTP command"),
            ProtocolError::IncompatibleSocketType(t) => {
                write!(f, "socket type {t} cannot subscribe to PUB")
            }
        }
    }
}

/// Checks a peer's greeting: ZMTP major version 3 or later (later minor
/// versions talk 3.0 with us) and the NULL mechanism.
pub fn check_greeting(g: &[u8; GREETING_LEN]) -> Result<(), ProtocolError> {
    if g[0] != 0xff || g[9] & 0x01 != 0x01 || g[10] < 3 {
        return Err(ProtocolError::BadGreeting);
    }
    let mechanism = &g[12..32];
    let name_len = mechanism.iter().position(|b| *b == 0).unwrap_or(20);
    if &mechanism[..name_len] != b"NULL" {
        return Err(ProtocolError::BadGreeting);
    }
    Ok(())
}

/// Appends one frame with `body` to `out`.
fn push_frame(out: &mut Vec<u8>, flags: u8, body: &[u8]) {
    if body.len() > 255 {
        out.push(flags | FLAG_LONG);
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    } else {
        out.push(flags);
        out.push(body.len() as u8);
    }
    out.extend_from_slice(body);
}

/// The READY command announcing a PUB socket.
pub fn ready_command() -> Vec<u8> {
    let mut body = Vec::new();
    body.push(5);
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&3u32.to_be_bytes());
    body.extend_from_slice(b"PUB");
    let mut out = Vec::new();
    push_frame(&mut out, FLAG_COMMAND, &body);
    out
}

/// Encodes a multipart message: every part but the last has MORE set.
pub fn encode_message(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 9).sum());
    for (i, part) in parts.iter().enumerate() {
        let more = if i + 1 < parts.len() { FLAG_MORE } else { 0 };
        push_frame(&mut out, more, part);
    }
    out
}

/// A frame header: its flags and the body length that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// More parts of the same message follow.
    pub more: bool,
    /// A command rather than a message part.
    pub command: bool,
    /// Whether the size takes eight bytes (otherwise one).
    pub long: bool,
}

/// Reads a frame's flag byte.
pub fn parse_flags(flags: u8) -> Result<FrameHeader, ProtocolError> {
    if flags & !(FLAG_MORE | FLAG_LONG | FLAG_COMMAND) != 0 {
        return Err(ProtocolError::BadFrame);
    }
    let command = flags & FLAG_COMMAND != 0;
    if command && flags & FLAG_MORE != 0 {
        return Err(ProtocolError::BadFrame);
    }
    Ok(FrameHeader {
        more: flags & FLAG_MORE != 0,
        command,
        long: flags & FLAG_LONG != 0,
    })
}

/// A command's name and its data.
fn split_command(body: &[u8]) -> Result<(&[u8], &[u8]), ProtocolError> {
    let (&len, rest) = body.split_first().ok_or(ProtocolError::BadCommand)?;
    let len = len as usize;
    if rest.len() < len {
        return Err(ProtocolError::BadCommand);
    }
    Ok(rest.split_at(len))
}

/// Checks the peer's READY command: its Socket-Type must be SUB or XSUB.
pub fn check_peer_ready(body: &[u8]) -> Result<(), ProtocolError> {
    let (name, mut props) = split_command(body)?;
    if name != b"READY" {
        return Err(ProtocolError::BadCommand);
    }
    let mut socket_type = None;
    while !props.is_empty() {
        let (key, rest) = split_command(props)?;
        if rest.len() < 4 {
            return Err(ProtocolError::BadCommand);
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let rest = &rest[4..];
        if rest.len() < len {
            return Err(ProtocolError::BadCommand);
        }
        if key.eq_ignore_ascii_case(b"Socket-Type") {
            socket_type = Some(&rest[..len]);
        }
        props = &rest[len..];
    }
    match socket_type {
        Some(b"SUB") | Some(b"XSUB") => Ok(()),
        Some(other) => Err(ProtocolError::IncompatibleSocketType(
            String::from_utf8_lossy(other).into_owned(),
        )),
        None => Err(ProtocolError::BadCommand),
    }
}

/// What a subscriber asked for after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Receive messages whose topic starts with these bytes.
    Subscribe(Vec<u8>),
    /// Stop one earlier subscription to these bytes.
    Cancel(Vec<u8>),
    /// Nothing for a PUB socket (PING and other commands, other messages).
    Ignore,
}

/// Interprets a complete frame from a subscriber.
pub fn parse_request(header: FrameHeader, body: &[u8]) -> Result<Request, ProtocolError> {
    if header.command {
        let (name, data) = split_command(body)?;
        return Ok(match name {
            b"SUBSCRIBE" => Request::Subscribe(data.to_vec()),
            b"CANCEL" => Request::Cancel(data.to_vec()),
            _ => Request::Ignore,
        });
    }
    // ZMTP 3.0: a one-part message whose first byte says subscribe or cancel.
    if header.more {
        return Ok(Request::Ignore);
    }
    Ok(match body.split_first() {
        Some((1, topic)) => Request::Subscribe(topic.to_vec()),
        Some((0, topic)) => Request::Cancel(topic.to_vec()),
        _ => Request::Ignore,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_is_zmtp30_null() {
        let g = greeting();
        assert_eq!(check_greeting(&g), Ok(()));
        let mut curve = g;
        curve[12..17].copy_from_slice(b"CURVE");
        assert_eq!(check_greeting(&curve), Err(ProtocolError::BadGreeting));
        let mut v2 = g;
        v2[10] = 2;
        assert_eq!(check_greeting(&v2), Err(ProtocolError::BadGreeting));
    }

    #[test]
    fn short_and_long_frames() {
        let big = vec![7u8; 300];
        let enc = encode_message(&[b"rawtx", &big, &[1, 0, 0, 0]]);
        assert_eq!(&enc[..7], &[0x01, 5, b'r', b'a', b'w', b't', b'x']);
        assert_eq!(enc[7], FLAG_MORE | FLAG_LONG);
        assert_eq!(&enc[8..16], &300u64.to_be_bytes());
        let tail = &enc[16 + 300..];
        assert_eq!(tail, &[0x00, 4, 1, 0, 0, 0]);
    }

    #[test]
    fn ready_round_trip_and_socket_types() {
        let ours = ready_command();
        assert_eq!(ours[0], FLAG_COMMAND);
        let body = &ours[2..];
        assert_eq!(
            check_peer_ready(body),
            Err(ProtocolError::IncompatibleSocketType("PUB".into()))
        );
        let sub = {
            let mut b = vec![5];
            b.extend_from_slice(b"READY");
            b.push(11);
            b.extend_from_slice(b"Socket-Type");
            b.extend_from_slice(&3u32.to_be_bytes());
            b.extend_from_slice(b"SUB");
            b
        };
        assert_eq!(check_peer_ready(&sub), Ok(()));
        assert_eq!(
            check_peer_ready(&sub[..sub.len() - 1]),
            Err(ProtocolError::BadCommand)
        );
        assert_eq!(check_peer_ready(&[]), Err(ProtocolError::BadCommand));
    }

    #[test]
    fn subscriptions_in_both_versions() {
        let msg = FrameHeader {
            more: false,
            command: false,
            long: false,
        };
        assert_eq!(
            parse_request(msg, b"\x01hash"),
            Ok(Request::Subscribe(b"hash".to_vec()))
        );
        assert_eq!(
            parse_request(msg, b"\x00hash"),
            Ok(Request::Cancel(b"hash".to_vec()))
        );
        assert_eq!(parse_request(msg, b""), Ok(Request::Ignore));
        let cmd = FrameHeader {
            more: false,
            command: true,
            long: false,
        };
        assert_eq!(
            parse_request(cmd, b"\x09SUBSCRIBEraw"),
            Ok(Request::Subscribe(b"raw".to_vec()))
        );
        assert_eq!(
            parse_request(cmd, b"\x06CANCEL"),
            Ok(Request::Cancel(vec![]))
        );
        assert_eq!(
            parse_request(cmd, b"\x09SUB"),
            Err(ProtocolError::BadCommand)
        );
    }

    #[test]
    fn flags_reject_reserved_bits() {
        assert!(parse_flags(0x08).is_err());
        assert!(parse_flags(FLAG_COMMAND | FLAG_MORE).is_err());
        assert_eq!(
            parse_flags(FLAG_LONG | FLAG_MORE),
            Ok(FrameHeader {
                more: true,
                command: false,
                long: true
            })
        );
    }
}
