//! Decoding of received payloads into the messages the node acts on, and encoding
//! of the messages it sends.
//!
//! Outgoing payloads use the `bitcoin` crate's types. Incoming ones are decoded
//! here because Core is more lenient than the crate in places peers rely on (a
//! `version` may end early; trailing bytes are ignored) and stricter in others
//! (count limits checked before allocating).

use crate::netaddr::{NetAddr, Service};
use crate::wire::sanitize;
use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds};
use bitcoin::block::Header;
use bitcoin::consensus::encode::{self, Decodable, VarInt};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::{Block, Transaction};
use consensus::codec::END_OF_DATA;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// Core's `MAX_HEADERS_RESULTS`: most headers in one `headers` message.
pub const MAX_HEADERS_RESULTS: usize = 2000;
/// Core's `MAX_INV_SZ`: most entries in `inv`/`getdata`/`notfound`.
pub const MAX_INV_SZ: usize = 50_000;
/// Core's `MAX_LOCATOR_SZ`: most hashes in a block locator.
pub const MAX_LOCATOR_SZ: usize = 101;
/// Core's `MAX_SUBVERSION_LENGTH`.
pub const MAX_SUBVERSION_LENGTH: usize = 256;
/// Core's `MAX_FEATUREID_LENGTH`: longest feature id in a BIP434 `feature`.
pub const MAX_FEATUREID_LENGTH: usize = 80;
/// Core's `MAX_FEATUREDATA_LENGTH`: most data bytes in a BIP434 `feature`.
pub const MAX_FEATUREDATA_LENGTH: usize = 512;
/// Core's shortest acceptable feature id.
pub const MIN_FEATUREID_LENGTH: usize = 4;

/// A well-formed BIP434 `feature` announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// The feature's id, as sent (not sanitized; sanitize before logging).
    pub id: String,
    /// Feature-specific data.
    pub data: Vec<u8>,
}

/// A peer's `version` message, with Core's defaults for fields it left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerVersion {
    /// Protocol version.
    pub version: i32,
    /// Service bits.
    pub services: u64,
    /// Peer's clock (negative values read as 0).
    pub timestamp: i64,
    /// The address the peer sees us at.
    pub addr_me: SocketAddr,
    /// Nonce for self-connection detection (1 when absent, as Core).
    pub nonce: u64,
    /// Sanitized user agent.
    pub user_agent: String,
    /// Best height the peer claims (-1 when absent).
    pub start_height: i32,
    /// BIP37 relay flag (true when absent).
    pub relay: bool,
}

/// A received message, decoded.
#[derive(Debug, Clone)]
pub enum Message {
    /// `version`.
    Version(PeerVersion),
    /// `verack`.
    Verack,
    /// `ping` with its nonce.
    Ping(u64),
    /// `pong`; `None` when the payload was shorter than a nonce.
    Pong(Option<u64>),
    /// `inv`.
    Inv(Vec<Inventory>),
    /// `getdata`.
    GetData(Vec<Inventory>),
    /// `notfound`.
    NotFound(Vec<Inventory>),
    /// `getheaders`.
    GetHeaders(GetHeadersMessage),
    /// `getblocks` (same layout as `getheaders`; answered with `inv`).
    GetBlocks(GetHeadersMessage),
    /// `headers`.
    Headers(Vec<Header>),
    /// `block`.
    Block(Box<Block>),
    /// `tx`.
    Tx(Box<Transaction>),
    /// `sendheaders` (BIP130).
    SendHeaders,
    /// `wtxidrelay` (BIP339).
    WtxidRelay,
    /// `sendaddrv2` (BIP155).
    SendAddrV2,
    /// `feefilter` (BIP133), in sat/kvB.
    FeeFilter(i64),
    /// `feature` (BIP434); `None` when the payload is invalid. Decoding never
    /// fails because Core checks the handshake state before the payload.
    Feature(Option<Feature>),
    /// `mempool`.
    MemPool,
    /// `getaddr`.
    GetAddr,
    /// `addr` or `addrv2`: the entries of networks we know (others are skipped).
    Addr(Vec<AddrEntry>),
    /// `sendcmpct` (BIP152): the announce byte as sent (only 0 and 1 are
    /// valid) and the compact block version.
    SendCmpct {
        /// High-bandwidth request byte.
        announce: u8,
        /// Compact block version.
        version: u64,
    },
    /// `cmpctblock` (BIP152).
    CmpctBlock(Box<HeaderAndShortIds>),
    /// `getblocktxn` (BIP152), with absolute indexes.
    GetBlockTxn(BlockTransactionsRequest),
    /// `blocktxn` (BIP152).
    BlockTxn(BlockTransactions),
    /// A known message the node accepts but does not act on (filters, …).
    Ignored(&'static str),
    /// A message type the node does not know.
    Unknown(String),
}

/// One announced address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrEntry {
    /// When the address was last seen, as announced.
    pub time: u32,
    /// Announced service bits.
    pub services: u64,
    /// The address.
    pub addr: Service,
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The payload ended early or was malformed.
    Malformed(String),
    /// A list was longer than the protocol allows; Core treats this as misbehaviour
    /// with the given text (e.g. `headers message size = 2001`).
    Oversized(String),
}

fn malformed(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Malformed(e.to_string())
}

/// Decodes one value from the front of `data`, advancing it. Running out of
/// bytes reads as Core's stream exception does.
fn take<T: Decodable>(data: &mut &[u8]) -> Result<T, DecodeError> {
    T::consensus_decode_from_finite_reader(data)
        .map_err(|e| malformed(consensus::codec::DecodeError::from(e)))
}

/// Core's `MAX_ADDR_TO_SEND`: most entries in `addr`/`addrv2`.
pub const MAX_ADDR_TO_SEND: usize = 1000;
/// Core's `CNetAddr::MAX_ADDRV2_SIZE`: longest address in `addrv2`.
const MAX_ADDRV2_SIZE: u64 = 512;

/// Reads an `addr` payload (timestamped 26-byte entries).
fn decode_addr(d: &mut &[u8]) -> Result<Vec<AddrEntry>, DecodeError> {
    let n = take_count(d, MAX_ADDR_TO_SEND, "addr")?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let time: u32 = take(d)?;
        let (services, addr) = take_addr(d)?;
        out.push(AddrEntry {
            time,
            services,
            addr: Service::from_socket(addr),
        });
    }
    Ok(out)
}

/// Reads an `addrv2` payload (BIP155). Entries of networks Core does not
/// store are skipped; oversized addresses and known networks with the wrong
/// length are errors, as in Core.
fn decode_addrv2(d: &mut &[u8]) -> Result<Vec<AddrEntry>, DecodeError> {
    let n = take_count(d, MAX_ADDR_TO_SEND, "addrv2")?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let time: u32 = take(d)?;
        let services = take::<VarInt>(d)?.0;
        let network: u8 = take(d)?;
        let len = take::<VarInt>(d)?.0;
        if len > MAX_ADDRV2_SIZE {
            return Err(malformed(format!(
                "Address too long: {len} > {MAX_ADDRV2_SIZE}"
            )));
        }
        if (d.len() as u64) < len + 2 {
            return Err(malformed(END_OF_DATA));
        }
        let (raw, rest) = d.split_at(len as usize);
        let port = u16::from_be_bytes([rest[0], rest[1]]);
        let addr = NetAddr::from_bip155(network, raw)
            .map_err(|crate::netaddr::Bip155Error::BadLength(e)| malformed(e))?;
        if let Some(addr) = addr {
            out.push(AddrEntry {
                time,
                services,
                addr: Service { addr, port },
            });
        }
        *d = &rest[2..];
    }
    Ok(out)
}

/// Reads a list length and rejects it when above `max` before anything is allocated.
fn take_count(data: &mut &[u8], max: usize, what: &str) -> Result<usize, DecodeError> {
    let n = take::<VarInt>(data)?.0;
    if n > max as u64 {
        return Err(DecodeError::Oversized(format!("{what} message size = {n}")));
    }
    Ok(n as usize)
}

fn take_inv(data: &mut &[u8], what: &str) -> Result<Vec<Inventory>, DecodeError> {
    let n = take_count(data, MAX_INV_SZ, what)?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        out.push(take::<Inventory>(data)?);
    }
    Ok(out)
}

/// Reads an 8+16+2 byte network address (services, IPv6-mapped IP, big-endian port).
fn take_addr(data: &mut &[u8]) -> Result<(u64, SocketAddr), DecodeError> {
    let services: u64 = take(data)?;
    let ip: [u8; 16] = take(data)?;
    let port: [u8; 2] = take(data)?;
    let ip6 = Ipv6Addr::from(ip);
    let ip = match ip6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(ip6),
    };
    Ok((services, SocketAddr::new(ip, u16::from_be_bytes(port))))
}

fn decode_version(mut data: &[u8]) -> Result<PeerVersion, DecodeError> {
    let d = &mut data;
    let version: i32 = take(d)?;
    let services: u64 = take(d)?;
    let timestamp: i64 = take(d)?;
    let (_, addr_me) = take_addr(d)?;
    let mut v = PeerVersion {
        version,
        services,
        timestamp: timestamp.max(0),
        addr_me,
        nonce: 1,
        user_agent: String::new(),
        start_height: -1,
        relay: true,
    };
    if !d.is_empty() {
        let _addr_from = take_addr(d)?;
        v.nonce = take(d)?;
    }
    if !d.is_empty() {
        let len = take::<VarInt>(d)?.0;
        if len > MAX_SUBVERSION_LENGTH as u64 {
            return Err(malformed("String length limit exceeded"));
        }
        let len = len as usize;
        if d.len() < len {
            return Err(malformed(END_OF_DATA));
        }
        v.user_agent = sanitize(&String::from_utf8_lossy(&d[..len]));
        *d = &d[len..];
    }
    if !d.is_empty() {
        v.start_height = take(d)?;
    }
    if !d.is_empty() {
        v.relay = take::<u8>(d)? != 0;
    }
    Ok(v)
}

fn decode_headers(data: &mut &[u8]) -> Result<Vec<Header>, DecodeError> {
    let n = take_count(data, MAX_HEADERS_RESULTS, "headers")?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(take::<Header>(data)?);
        // Each header carries a transaction count, always zero in `headers`.
        let _txs = take::<VarInt>(data)?;
    }
    Ok(out)
}

/// A `getheaders`/`getblocks` body: version, locator, stop hash.
fn decode_locator_request(d: &mut &[u8], what: &str) -> Result<GetHeadersMessage, DecodeError> {
    let version: u32 = take(d)?;
    let n = take_count(d, MAX_LOCATOR_SZ, &format!("{what} locator"))?;
    let mut locator_hashes = Vec::with_capacity(n);
    for _ in 0..n {
        locator_hashes.push(take(d)?);
    }
    let stop_hash = take(d)?;
    Ok(GetHeadersMessage {
        version,
        locator_hashes,
        stop_hash,
    })
}

/// Reads a length-prefixed byte string of at most `max` bytes.
fn take_limited_bytes(d: &mut &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    let len = take::<VarInt>(d)?.0;
    if len > max as u64 {
        return Err(malformed("String length limit exceeded"));
    }
    let len = len as usize;
    if d.len() < len {
        return Err(malformed(END_OF_DATA));
    }
    let (bytes, rest) = d.split_at(len);
    *d = rest;
    Ok(bytes.to_vec())
}

/// A `feature` payload as Core accepts it: an id of 4 to 80 bytes, then at
/// most 512 data bytes, and nothing after them.
fn decode_feature(mut d: &[u8]) -> Option<Feature> {
    let id = take_limited_bytes(&mut d, MAX_FEATUREID_LENGTH).ok()?;
    let data = take_limited_bytes(&mut d, MAX_FEATUREDATA_LENGTH).ok()?;
    if id.len() < MIN_FEATUREID_LENGTH || !d.is_empty() {
        return None;
    }
    Some(Feature {
        id: String::from_utf8_lossy(&id).into_owned(),
        data,
    })
}

/// A `getblocktxn` body. Indexes are sent as differences; like Core, an
/// index beyond 16 bits is malformed (no block holds that many transactions).
fn decode_getblocktxn(d: &mut &[u8]) -> Result<BlockTransactionsRequest, DecodeError> {
    let block_hash = take(d)?;
    let n = take::<VarInt>(d)?.0;
    let mut indexes = Vec::with_capacity(n.min(1024) as usize);
    let mut next: u64 = 0;
    for _ in 0..n {
        let index = next.saturating_add(take::<VarInt>(d)?.0);
        if index > u64::from(u16::MAX) {
            return Err(malformed("differential value overflow"));
        }
        indexes.push(index);
        next = index + 1;
    }
    Ok(BlockTransactionsRequest {
        block_hash,
        indexes,
    })
}

/// Decodes the payload of a message of type `msg_type`.
pub fn decode(msg_type: &str, payload: &[u8]) -> Result<Message, DecodeError> {
    let mut data = payload;
    let d = &mut data;
    Ok(match msg_type {
        "version" => Message::Version(decode_version(payload)?),
        "verack" => Message::Verack,
        "ping" => Message::Ping(take(d)?),
        "pong" => Message::Pong(if d.len() >= 8 { Some(take(d)?) } else { None }),
        "inv" => Message::Inv(take_inv(d, "inv")?),
        "getdata" => Message::GetData(take_inv(d, "getdata")?),
        "notfound" => Message::NotFound(take_inv(d, "notfound")?),
        "getheaders" => Message::GetHeaders(decode_locator_request(d, "getheaders")?),
        "getblocks" => Message::GetBlocks(decode_locator_request(d, "getblocks")?),
        "headers" => Message::Headers(decode_headers(d)?),
        "block" => Message::Block(Box::new(
            consensus::codec::read_block(d).map_err(malformed)?,
        )),
        "tx" => Message::Tx(Box::new(
            consensus::codec::read_tx(d, true).map_err(malformed)?,
        )),
        "sendheaders" => Message::SendHeaders,
        "wtxidrelay" => Message::WtxidRelay,
        "sendaddrv2" => Message::SendAddrV2,
        "feefilter" => Message::FeeFilter(take(d)?),
        "feature" => Message::Feature(decode_feature(payload)),
        "mempool" => Message::MemPool,
        "getaddr" => Message::GetAddr,
        "addr" => Message::Addr(decode_addr(d)?),
        "addrv2" => Message::Addr(decode_addrv2(d)?),
        "sendcmpct" => Message::SendCmpct {
            announce: take(d)?,
            version: take(d)?,
        },
        "cmpctblock" => Message::CmpctBlock(Box::new(take(d)?)),
        "getblocktxn" => Message::GetBlockTxn(decode_getblocktxn(d)?),
        "blocktxn" => Message::BlockTxn(take(d)?),
        other => match KNOWN_IGNORED.iter().find(|k| **k == other) {
            Some(k) => Message::Ignored(k),
            None => Message::Unknown(other.to_string()),
        },
    })
}

/// Message types of the protocol the node accepts without acting on them.
const KNOWN_IGNORED: &[&str] = &[
    "filterload",
    "filteradd",
    "filterclear",
    "merkleblock",
    "getcfilters",
    "getcfheaders",
    "getcfcheckpt",
    "sendtxrcncl",
    "alert",
    "reject",
];

/// Message type and payload of an outgoing message.
pub fn encode(msg: &NetworkMessage) -> (String, Vec<u8>) {
    (msg.command().to_string(), encode::serialize(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::p2p::address::Address;
    use bitcoin::p2p::message_network::VersionMessage;
    use bitcoin::p2p::ServiceFlags;

    fn version_payload() -> Vec<u8> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 18444));
        let v = VersionMessage {
            version: 70017,
            services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            timestamp: 1_700_000_000,
            receiver: Address::new(&addr, ServiceFlags::NONE),
            sender: Address::new(&addr, ServiceFlags::NONE),
            nonce: 42,
            user_agent: "/python-p2p-tester:0.0.3/".into(),
            start_height: 7,
            relay: false,
        };
        encode(&NetworkMessage::Version(v)).1
    }

    #[test]
    fn full_version_decodes() {
        let Message::Version(v) = decode("version", &version_payload()).unwrap() else {
            panic!("not a version")
        };
        assert_eq!(v.version, 70017);
        assert_eq!(v.services, 9);
        assert_eq!(v.nonce, 42);
        assert_eq!(v.user_agent, "/python-p2p-tester:0.0.3/");
        assert_eq!(v.start_height, 7);
        assert!(!v.relay);
        assert_eq!(v.addr_me, SocketAddr::from(([127, 0, 0, 1], 18444)));
    }

    #[test]
    fn short_version_takes_core_defaults() {
        let p = version_payload();
        // version, services, time and addr_recv only.
        let Message::Version(v) = decode("version", &p[..4 + 8 + 8 + 26]).unwrap() else {
            panic!("not a version")
        };
        assert_eq!((v.nonce, v.start_height, v.relay), (1, -1, true));
        assert!(v.user_agent.is_empty());
        assert!(decode("version", &p[..10]).is_err());
    }

    #[test]
    fn truncated_payloads_are_errors_not_panics() {
        for t in [
            "ping",
            "inv",
            "getdata",
            "getheaders",
            "headers",
            "block",
            "tx",
            "feefilter",
        ] {
            assert!(decode(t, &[0x05]).is_err(), "{t}");
        }
        assert!(matches!(
            decode("pong", &[1, 2]).unwrap(),
            Message::Pong(None)
        ));
    }

    #[test]
    fn oversized_lists_are_misbehaviour() {
        let mut p = Vec::new();
        p.extend(encode::serialize(&VarInt(2001)));
        assert_eq!(
            decode("headers", &p).unwrap_err(),
            DecodeError::Oversized("headers message size = 2001".into())
        );
        let mut p = Vec::new();
        p.extend(encode::serialize(&VarInt(50_001)));
        assert_eq!(
            decode("inv", &p).unwrap_err(),
            DecodeError::Oversized("inv message size = 50001".into())
        );
    }

    #[test]
    fn headers_round_trip_and_unknown_types() {
        let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header;
        let (t, p) = encode(&NetworkMessage::Headers(vec![genesis, genesis]));
        assert_eq!(t, "headers");
        let Message::Headers(h) = decode(&t, &p).unwrap() else {
            panic!("not headers")
        };
        assert_eq!(h, vec![genesis, genesis]);
        assert!(matches!(decode("badmsg", &[]).unwrap(), Message::Unknown(s) if s == "badmsg"));
        assert!(matches!(
            decode("filterclear", &[]).unwrap(),
            Message::Ignored("filterclear")
        ));
    }

    #[test]
    fn addrv2_checks_follow_core() {
        assert_eq!(
            decode("addrv2", &[]).unwrap_err(),
            DecodeError::Malformed(END_OF_DATA.into())
        );
        assert!(matches!(decode("addrv2", &[0]).unwrap(), Message::Addr(v) if v.is_empty()));
        let mut long = vec![1, 0x61, 0xbc, 0x66, 0x49, 0, 1, 0xfd, 0x01, 0x02];
        long.extend([0xab; 513]);
        long.extend([0x20, 0x8d]);
        assert_eq!(
            decode("addrv2", &long).unwrap_err(),
            DecodeError::Malformed("Address too long: 513 > 512".into())
        );
        let mut two = vec![2];
        two.extend([0, 0, 0, 0, 1, 0x99, 2, 0xab, 0xab, 0x20, 0x8d]);
        two.extend([0, 0, 0, 0, 1, 1, 4, 9, 9, 9, 9, 0x20, 0x8d]);
        // The unknown network is skipped; the IPv4 entry is kept.
        let Message::Addr(v) = decode("addrv2", &two).unwrap() else {
            panic!("not addr")
        };
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].addr,
            Service::from_socket("9.9.9.9:8333".parse().unwrap())
        );
        assert_eq!((v[0].time, v[0].services), (0, 1));
    }

    fn feature_payload(id: &[u8], data: &[u8]) -> Vec<u8> {
        let mut p = encode::serialize(&VarInt(id.len() as u64));
        p.extend(id);
        p.extend(encode::serialize(&VarInt(data.len() as u64)));
        p.extend(data);
        p
    }

    #[test]
    fn feature_decodes_within_core_limits() {
        let p = feature_payload(b"BIP-FOO", &[1, 0, 0, 0]);
        let Message::Feature(Some(f)) = decode("feature", &p).unwrap() else {
            panic!("not a valid feature")
        };
        assert_eq!((f.id.as_str(), f.data), ("BIP-FOO", vec![1, 0, 0, 0]));
        let longest = feature_payload(&[b'x'; 80], &[7; 512]);
        assert!(matches!(
            decode("feature", &longest).unwrap(),
            Message::Feature(Some(f)) if f.id.len() == 80 && f.data.len() == 512
        ));
        // Four bytes is the shortest id; empty data is fine.
        assert!(matches!(
            decode("feature", &feature_payload(b"abcd", &[])).unwrap(),
            Message::Feature(Some(_))
        ));
    }

    #[test]
    fn invalid_feature_payloads_decode_as_none() {
        let mut trailing = feature_payload(b"BIP-FOO", &[]);
        trailing.push(0);
        let mut truncated = feature_payload(b"BIP-FOO", &[1, 2, 3]);
        truncated.pop();
        for bad in [
            vec![],
            feature_payload(b"abc", &[]),
            feature_payload(&[b'x'; 81], &[]),
            feature_payload(b"BIP-FOO", &[0; 513]),
            b"\x07BIP-FOO".to_vec(),
            trailing,
            truncated,
            // A length far beyond the payload must not allocate or panic.
            vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(
                matches!(decode("feature", &bad).unwrap(), Message::Feature(None)),
                "{bad:?}"
            );
        }
    }
}
