//! The v1 transport: 24-byte message headers (magic, NUL-padded type, length,
//! checksum) and the checks Core applies before a payload is even read.

use bitcoin::hashes::{sha256d, Hash};

/// Size of a v1 message header.
pub const HEADER_SIZE: usize = 24;
/// Largest payload accepted (Core's `MAX_PROTOCOL_MESSAGE_LENGTH`).
pub const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 4_000_000;
/// Width of the message-type field.
pub const MESSAGE_TYPE_SIZE: usize = 12;

/// A parsed message header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHeader {
    /// Network magic bytes.
    pub magic: [u8; 4],
    /// Raw message-type field.
    pub msg_type: [u8; MESSAGE_TYPE_SIZE],
    /// Payload length.
    pub length: u32,
    /// First four bytes of the payload's double SHA-256.
    pub checksum: [u8; 4],
}

/// Why a header ends the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Magic bytes of another network (or garbage).
    WrongMagic([u8; 4]),
    /// Payload longer than [`MAX_PROTOCOL_MESSAGE_LENGTH`].
    TooLarge {
        /// Sanitized message type.
        msg_type: String,
        /// Announced length.
        length: u32,
    },
}

impl HeaderError {
    /// Core's log text for this error (without the `, peer=N` suffix).
    pub fn log_text(&self) -> String {
        match self {
            HeaderError::WrongMagic(m) => {
                format!(
                    "Header error: Wrong MessageStart {} received",
                    hex::encode(m)
                )
            }
            HeaderError::TooLarge { msg_type, length } => {
                format!("Header error: Size too large ({msg_type}, {length} bytes)")
            }
        }
    }
}

impl MessageHeader {
    /// Parses a header and applies the checks that make Core drop the connection:
    /// the magic must be ours and the length within limits.
    pub fn parse(bytes: &[u8; HEADER_SIZE], magic: [u8; 4]) -> Result<Self, HeaderError> {
        let mut m = [0u8; 4];
        m.copy_from_slice(&bytes[0..4]);
        let mut msg_type = [0u8; MESSAGE_TYPE_SIZE];
        msg_type.copy_from_slice(&bytes[4..16]);
        let length = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let mut checksum = [0u8; 4];
        checksum.copy_from_slice(&bytes[20..24]);
        let header = MessageHeader {
            magic: m,
            msg_type,
            length,
            checksum,
        };
        if m != magic {
            return Err(HeaderError::WrongMagic(m));
        }
        if length > MAX_PROTOCOL_MESSAGE_LENGTH {
            return Err(HeaderError::TooLarge {
                msg_type: header.type_string(),
                length,
            });
        }
        Ok(header)
    }

    /// The message type up to the first NUL, sanitized for logging.
    pub fn type_string(&self) -> String {
        let end = self
            .msg_type
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MESSAGE_TYPE_SIZE);
        sanitize(&String::from_utf8_lossy(&self.msg_type[..end]))
    }

    /// Core's rule: printable ASCII, then only NULs up to the field's end.
    pub fn type_is_valid(&self) -> bool {
        let mut seen_nul = false;
        for &b in &self.msg_type {
            if b == 0 {
                seen_nul = true;
            } else if seen_nul || !(b' '..=0x7e).contains(&b) {
                return false;
            }
        }
        true
    }
}

/// Checksum of a payload: the first four bytes of its double SHA-256.
pub fn checksum(payload: &[u8]) -> [u8; 4] {
    let h = sha256d::Hash::hash(payload).to_byte_array();
    [h[0], h[1], h[2], h[3]]
}

/// A complete v1 frame (header and payload) for `msg_type`.
pub fn encode_frame(magic: [u8; 4], msg_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_SIZE + payload.len());
    out.extend_from_slice(&magic);
    let mut field = [0u8; MESSAGE_TYPE_SIZE];
    let n = msg_type.len().min(MESSAGE_TYPE_SIZE);
    field[..n].copy_from_slice(&msg_type.as_bytes()[..n]);
    out.extend_from_slice(&field);
    // Payloads we build are far below 4 GB; a longer one would be a bug upstream,
    // and the peer would reject the frame rather than us panicking.
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
    out
}

/// Core's `SanitizeString`: keeps letters, digits and ` .,;-_/:?@()`, drops the rest,
/// so peer-supplied text cannot forge log lines.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    fn header_bytes(frame: &[u8]) -> [u8; HEADER_SIZE] {
        let mut h = [0u8; HEADER_SIZE];
        h.copy_from_slice(&frame[..HEADER_SIZE]);
        h
    }

    #[test]
    fn frame_round_trips() {
        let frame = encode_frame(REGTEST, "ping", &7u64.to_le_bytes());
        assert_eq!(frame.len(), 32);
        let h = MessageHeader::parse(&header_bytes(&frame), REGTEST).unwrap();
        assert_eq!(h.type_string(), "ping");
        assert!(h.type_is_valid());
        assert_eq!(h.length, 8);
        assert_eq!(h.checksum, checksum(&frame[24..]));
    }

    #[test]
    fn empty_payload_checksum_is_known_constant() {
        // sha256d("") starts with 5df6e0e2, as every verack on the wire shows.
        assert_eq!(checksum(&[]), [0x5d, 0xf6, 0xe0, 0xe2]);
    }

    #[test]
    fn wrong_magic_and_oversize_are_errors_with_core_text() {
        let frame = encode_frame([0xff; 4], "ping", &[0; 8]);
        let err = MessageHeader::parse(&header_bytes(&frame), REGTEST).unwrap_err();
        assert_eq!(
            err.log_text(),
            "Header error: Wrong MessageStart ffffffff received"
        );
        let mut frame = encode_frame(REGTEST, "block", &[]);
        frame[16..20].copy_from_slice(&(MAX_PROTOCOL_MESSAGE_LENGTH + 1).to_le_bytes());
        let err = MessageHeader::parse(&header_bytes(&frame), REGTEST).unwrap_err();
        assert_eq!(
            err.log_text(),
            "Header error: Size too large (block, 4000001 bytes)"
        );
        frame[16..20].copy_from_slice(&MAX_PROTOCOL_MESSAGE_LENGTH.to_le_bytes());
        assert!(MessageHeader::parse(&header_bytes(&frame), REGTEST).is_ok());
    }

    #[test]
    fn message_type_validity_follows_core() {
        let mut frame = encode_frame(REGTEST, "ping", &[]);
        frame[4 + 6] = b'x'; // text after the NUL padding
        let h = MessageHeader::parse(&header_bytes(&frame), REGTEST).unwrap();
        assert!(!h.type_is_valid());
        let mut frame = encode_frame(REGTEST, "ping", &[]);
        frame[5] = 0x07; // control character
        let h = MessageHeader::parse(&header_bytes(&frame), REGTEST).unwrap();
        assert!(!h.type_is_valid());
        let full = encode_frame(REGTEST, "abcdefghijkl", &[]);
        let h = MessageHeader::parse(&header_bytes(&full), REGTEST).unwrap();
        assert!(h.type_is_valid());
        assert_eq!(h.type_string(), "abcdefghijkl");
    }

    #[test]
    fn sanitize_drops_control_and_odd_characters() {
        assert_eq!(
            sanitize("/Satoshi:0.1(x)/\n\x1b[31m"),
            "/Satoshi:0.1(x)/31m"
        );
    }
}
