//! The BIP324 v2 transport: telling a v2 peer from a v1 one on inbound
//! connections, the handshake (ElligatorSwift keys, garbage, garbage
//! terminator, version packet), and the message encoding inside encrypted
//! packets (one-byte short ids or a 12-byte type). The ciphers are in
//! [`crate::v2cipher`].

use crate::v2cipher::{self, KeyPair, RecvCipher, SendCipher, LENGTH_LEN};
use crate::wire::{MAX_PROTOCOL_MESSAGE_LENGTH, MESSAGE_TYPE_SIZE};
use bitcoin::secp256k1::ellswift::ElligatorSwift;
use rand::Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Message types with a one-byte id; the index is the id, empty names are
/// unassigned ids (BIP324's table, plus `feature` at 37 as Core assigns it).
const SHORT_IDS: [&str; 38] = [
    "",
    "addr",
    "block",
    "blocktxn",
    "cmpctblock",
    "feefilter",
    "filteradd",
    "filterclear",
    "filterload",
    "getblocks",
    "getblocktxn",
    "getdata",
    "getheaders",
    "headers",
    "inv",
    "mempool",
    "merkleblock",
    "notfound",
    "ping",
    "pong",
    "sendcmpct",
    "tx",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "addrv2",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "feature",
];

/// Size of an ElligatorSwift-encoded public key.
pub const KEY_SIZE: usize = 64;
/// Most garbage a peer may send before its terminator.
pub const MAX_GARBAGE_LEN: usize = 4095;
/// Bytes a packet adds to its contents: encrypted length, header byte, tag.
pub const PACKET_OVERHEAD: usize = v2cipher::EXPANSION;
/// Largest packet contents accepted: a long message type and the largest payload.
pub const MAX_CONTENTS_LEN: usize = 1 + MESSAGE_TYPE_SIZE + MAX_PROTOCOL_MESSAGE_LENGTH as usize;
/// The type field of a v1 `version` header, which v1 peers send first.
const V1_VERSION_TYPE: &[u8; MESSAGE_TYPE_SIZE] = b"version\0\0\0\0\0";

/// Packet contents for a message: a short id where one exists, else a zero
/// byte and the NUL-padded type.
pub fn encode_contents(msg_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + MESSAGE_TYPE_SIZE + payload.len());
    match SHORT_IDS
        .iter()
        .skip(1)
        .position(|t| !t.is_empty() && *t == msg_type)
    {
        Some(i) => out.push((i + 1) as u8),
        None => {
            out.push(0);
            let mut field = [0u8; MESSAGE_TYPE_SIZE];
            let n = msg_type.len().min(MESSAGE_TYPE_SIZE);
            field[..n].copy_from_slice(&msg_type.as_bytes()[..n]);
            out.extend_from_slice(&field);
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Splits packet contents into message type and payload; `None` for an
/// unassigned short id or a malformed long type (Core drops such messages).
pub fn decode_contents(contents: &[u8]) -> Option<(String, &[u8])> {
    let (&first, rest) = contents.split_first()?;
    if first != 0 {
        let name = SHORT_IDS.get(usize::from(first))?;
        return (!name.is_empty()).then(|| (name.to_string(), rest));
    }
    if rest.len() < MESSAGE_TYPE_SIZE {
        return None;
    }
    let (field, payload) = rest.split_at(MESSAGE_TYPE_SIZE);
    let len = field
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(MESSAGE_TYPE_SIZE);
    let printable = field[..len].iter().all(|b| (b' '..=0x7f).contains(b));
    let padded = field[len..].iter().all(|&b| b == 0);
    if !printable || !padded {
        return None;
    }
    Some((String::from_utf8_lossy(&field[..len]).into_owned(), payload))
}

/// What the first bytes of an inbound connection say about its transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// Still a prefix of a v1 `version` header: wait for more.
    Undecided,
    /// A v1 `version` header.
    V1,
    /// Anything else is taken to be a v2 key.
    V2,
}

/// Core's inbound check: the first 16 bytes of a v1 peer are our magic and
/// the `version` type; the first byte that differs makes it a v2 peer.
pub fn detect(magic: [u8; 4], received: &[u8]) -> Detection {
    let mut prefix = [0u8; 16];
    prefix[..4].copy_from_slice(&magic);
    prefix[4..].copy_from_slice(V1_VERSION_TYPE);
    let n = received.len().min(prefix.len());
    if received[..n] != prefix[..n] {
        Detection::V2
    } else if n == prefix.len() {
        Detection::V1
    } else {
        Detection::Undecided
    }
}

/// Why a v2 handshake ended the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// The socket closed or failed (the log reason).
    Closed(String),
    /// The peer broke the protocol; Core's log text without `, peer=N`.
    Protocol(String),
}

/// Encryption state of an established v2 connection.
pub struct Session {
    /// The session id both sides derived (shown by `getpeerinfo`).
    pub id: [u8; 32],
    /// Decrypts what the peer sends.
    pub inbound: RecvCipher,
    /// Encrypts what we send.
    pub outbound: SendCipher,
}

/// Runs the BIP324 handshake on `stream`. `received` holds bytes already read
/// (the responder's detection bytes). `on_recv` / `on_sent` see every byte
/// count moved, for the peer's statistics. Returns the session and any bytes
/// read past the version packet.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    magic: [u8; 4],
    initiator: bool,
    mut received: Vec<u8>,
    on_recv: &(dyn Fn(usize) + Sync),
    on_sent: &(dyn Fn(usize) + Sync),
) -> Result<(Session, Vec<u8>), HandshakeError> {
    let keys = KeyPair::generate();
    let garbage: Vec<u8> = {
        let mut rng = rand::thread_rng();
        let len = rng.gen_range(0..=MAX_GARBAGE_LEN);
        (0..len).map(|_| rng.gen()).collect()
    };
    let mut out = keys.ellswift.to_array().to_vec();
    out.extend_from_slice(&garbage);
    write(stream, &out, on_sent).await?;

    loop {
        if !initiator && received.len() >= 16 && &received[4..16] == V1_VERSION_TYPE {
            return Err(HandshakeError::Protocol(format!(
                "V1 peer with wrong MessageStart {}",
                hex::encode(&received[..4])
            )));
        }
        if received.len() >= KEY_SIZE {
            break;
        }
        read_more(stream, &mut received, on_recv).await?;
    }
    let mut their_key = [0u8; KEY_SIZE];
    their_key.copy_from_slice(&received[..KEY_SIZE]);
    let mut rest = received.split_off(KEY_SIZE);
    let mut session = v2cipher::derive(
        &keys,
        ElligatorSwift::from_array(their_key),
        initiator,
        magic,
    );
    // Our garbage is authenticated by the first packet, the version packet.
    let mut out = session.send_terminator.to_vec();
    out.extend_from_slice(&session.send.encrypt(&[], &garbage, false));
    write(stream, &out, on_sent).await?;

    // The peer's garbage runs up to its terminator.
    let terminator = session.recv_terminator;
    let garbage_end = loop {
        let limit = rest.len().min(MAX_GARBAGE_LEN + terminator.len());
        if let Some(at) = rest[..limit]
            .windows(terminator.len())
            .position(|w| w == terminator)
        {
            break at;
        }
        if rest.len() >= MAX_GARBAGE_LEN + terminator.len() {
            return Err(HandshakeError::Protocol(
                "missing garbage terminator".to_string(),
            ));
        }
        read_more(stream, &mut rest, on_recv).await?;
    };
    let their_garbage: Vec<u8> = rest
        .drain(..garbage_end + terminator.len())
        .take(garbage_end)
        .collect();
    // The version packet, after any decoys; only the first packet carries the
    // garbage as associated data. Its contents are reserved for future use.
    let mut aad = their_garbage;
    loop {
        while rest.len() < LENGTH_LEN {
            read_more(stream, &mut rest, on_recv).await?;
        }
        let contents_len = session.recv.decrypt_length([rest[0], rest[1], rest[2]]);
        if contents_len > MAX_CONTENTS_LEN {
            return Err(HandshakeError::Protocol(format!(
                "packet too large ({contents_len} bytes)"
            )));
        }
        let total = contents_len + PACKET_OVERHEAD;
        while rest.len() < total {
            read_more(stream, &mut rest, on_recv).await?;
        }
        let Some(packet) = session.recv.decrypt(&rest[LENGTH_LEN..total], &aad) else {
            return Err(HandshakeError::Protocol(format!(
                "packet decryption failure ({contents_len} bytes)"
            )));
        };
        rest.drain(..total);
        aad.clear();
        if !packet.ignore {
            return Ok((
                Session {
                    id: session.id,
                    inbound: session.recv,
                    outbound: session.send,
                },
                rest,
            ));
        }
    }
}

async fn write<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    on_sent: &(dyn Fn(usize) + Sync),
) -> Result<(), HandshakeError> {
    stream
        .write_all(bytes)
        .await
        .map_err(|e| HandshakeError::Closed(format!("socket send error: {e}")))?;
    on_sent(bytes.len());
    Ok(())
}

/// Appends what the socket has to `buf`.
async fn read_more<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    on_recv: &(dyn Fn(usize) + Sync),
) -> Result<(), HandshakeError> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) => Err(HandshakeError::Closed("socket closed".to_string())),
        Ok(n) => {
            on_recv(n);
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) => Err(HandshakeError::Closed(format!("socket recv error: {e}"))),
    }
}

/// The session id as `getpeerinfo` shows it: hex in derivation order.
pub fn session_id_hex(id: &[u8; 32]) -> String {
    hex::encode(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    #[test]
    fn short_ids_follow_the_bip324_table() {
        assert_eq!(encode_contents("addr", &[]), vec![1]);
        assert_eq!(encode_contents("ping", &[7]), vec![18, 7]);
        assert_eq!(encode_contents("addrv2", &[]), vec![28]);
        assert_eq!(encode_contents("feature", &[]), vec![37]);
        let long = encode_contents("version", &[9]);
        assert_eq!(&long[..13], b"\0version\0\0\0\0\0");
        assert_eq!(long[13], 9);
        for t in [
            "tx",
            "headers",
            "version",
            "verack",
            "sendaddrv2",
            "cfcheckpt",
        ] {
            let c = encode_contents(t, &[1, 2]);
            assert_eq!(
                decode_contents(&c),
                Some((t.to_string(), &[1u8, 2][..])),
                "{t}"
            );
        }
    }

    #[test]
    fn malformed_contents_are_rejected() {
        assert_eq!(decode_contents(&[]), None);
        assert_eq!(decode_contents(&[29]), None, "unassigned id");
        assert_eq!(decode_contents(&[200, 1]), None, "id beyond the table");
        assert_eq!(decode_contents(b"\0ping"), None, "short long type");
        assert_eq!(decode_contents(b"\0ping\0x\0\0\0\0\0\0"), None);
        assert_eq!(decode_contents(b"\0pi\x07g\0\0\0\0\0\0\0\0"), None);
    }

    #[test]
    fn inbound_detection_waits_for_sixteen_matching_bytes() {
        let mut v1 = REGTEST.to_vec();
        v1.extend_from_slice(V1_VERSION_TYPE);
        assert_eq!(detect(REGTEST, &[]), Detection::Undecided);
        assert_eq!(detect(REGTEST, &v1[..4]), Detection::Undecided);
        assert_eq!(detect(REGTEST, &v1[..15]), Detection::Undecided);
        assert_eq!(detect(REGTEST, &v1), Detection::V1);
        assert_eq!(detect(REGTEST, &v1[..1]), Detection::Undecided);
        assert_eq!(detect(REGTEST, &[0xfa, 0x00]), Detection::V2);
        let mut other_net = v1.clone();
        other_net[0] = 0x0a;
        assert_eq!(detect(REGTEST, &other_net), Detection::V2);
        let mut ping = v1.clone();
        ping[4..8].copy_from_slice(b"ping");
        assert_eq!(detect(REGTEST, &ping), Detection::V2);
    }

    fn run_pair() -> (Session, Session) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut a, mut b) = tokio::io::duplex(1 << 20);
            let none = |_: usize| {};
            let (ra, rb) = tokio::join!(
                handshake(&mut a, REGTEST, true, Vec::new(), &none, &none),
                handshake(&mut b, REGTEST, false, Vec::new(), &none, &none)
            );
            let (sa, rest_a) = ra.unwrap();
            let (sb, rest_b) = rb.unwrap();
            assert!(rest_a.is_empty() && rest_b.is_empty());
            (sa, sb)
        })
    }

    #[test]
    fn handshake_agrees_and_packets_round_trip() {
        let (mut a, mut b) = run_pair();
        assert_eq!(a.id, b.id);
        for (msg_type, payload) in [("ping", vec![1u8; 8]), ("version", vec![2; 100])] {
            let contents = encode_contents(msg_type, &payload);
            let packet = a.outbound.encrypt(&contents, &[], false);
            assert_eq!(packet.len(), contents.len() + PACKET_OVERHEAD);
            let len = b.inbound.decrypt_length([packet[0], packet[1], packet[2]]);
            assert_eq!(len, contents.len());
            let got = b.inbound.decrypt(&packet[LENGTH_LEN..], &[]).unwrap();
            assert!(!got.ignore);
            assert_eq!(
                decode_contents(&got.contents),
                Some((msg_type.to_string(), &payload[..]))
            );
        }
    }

    #[test]
    fn missing_garbage_terminator_is_reported() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut ours, mut theirs) = tokio::io::duplex(1 << 20);
            let none = |_: usize| {};
            theirs
                .write_all(&vec![0u8; KEY_SIZE + MAX_GARBAGE_LEN + 16])
                .await
                .unwrap();
            let r = handshake(&mut ours, REGTEST, false, Vec::new(), &none, &none).await;
            assert_eq!(
                r.err(),
                Some(HandshakeError::Protocol(
                    "missing garbage terminator".to_string()
                ))
            );
        });
    }

    #[test]
    fn v1_header_of_another_network_is_reported() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut ours, _theirs) = tokio::io::duplex(1 << 20);
            let none = |_: usize| {};
            let mut first = vec![0x0a, 0x03, 0xcf, 0x40];
            first.extend_from_slice(V1_VERSION_TYPE);
            first.extend_from_slice(b"payload");
            let r = handshake(&mut ours, REGTEST, false, first, &none, &none).await;
            assert_eq!(
                r.err(),
                Some(HandshakeError::Protocol(
                    "V1 peer with wrong MessageStart 0a03cf40".to_string()
                ))
            );
        });
    }
}
