//! Network addresses of every network BIP155 relays (Core's `CNetAddr` and
//! `CService`): IPv4, IPv6, Tor v3, I2P and CJDNS, with the properties the
//! address manager needs (routability, network group, hash key) and their
//! text and wire forms.

use crate::onion;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Core's `Network` ids as `getaddrmaninfo` and the network group use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    /// Not routable (class only; no address has it as network).
    Unroutable = 0,
    /// IPv4.
    Ipv4 = 1,
    /// IPv6.
    Ipv6 = 2,
    /// Tor v3 onion service.
    Onion = 3,
    /// I2P.
    I2p = 4,
    /// CJDNS.
    Cjdns = 5,
}

impl Network {
    /// The networks addresses can belong to, in Core's order.
    pub const ALL: [Network; 5] = [
        Network::Ipv4,
        Network::Ipv6,
        Network::Onion,
        Network::I2p,
        Network::Cjdns,
    ];

    /// Core's name (`GetNetworkName`).
    pub fn name(self) -> &'static str {
        match self {
            Network::Unroutable => "not_publicly_routable",
            Network::Ipv4 => "ipv4",
            Network::Ipv6 => "ipv6",
            Network::Onion => "onion",
            Network::I2p => "i2p",
            Network::Cjdns => "cjdns",
        }
    }

    /// The network called `name` (case-insensitive; `tor` is `onion`).
    pub fn from_name(name: &str) -> Option<Network> {
        match name.to_ascii_lowercase().as_str() {
            "ipv4" => Some(Network::Ipv4),
            "ipv6" => Some(Network::Ipv6),
            "onion" | "tor" => Some(Network::Onion),
            "i2p" => Some(Network::I2p),
            "cjdns" => Some(Network::Cjdns),
            _ => None,
        }
    }
}

/// A host address of one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetAddr {
    /// IPv4 (IPv4-mapped IPv6 is always stored as this).
    Ipv4([u8; 4]),
    /// IPv6.
    Ipv6([u8; 16]),
    /// Tor v3: the service's ed25519 public key.
    Onion([u8; 32]),
    /// I2P: the SHA256 of the destination.
    I2p([u8; 32]),
    /// CJDNS (an IPv6 in fc00::/8 on the CJDNS network).
    Cjdns([u8; 16]),
}

/// Why a BIP155 address could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bip155Error {
    /// A known network with the wrong address length (misbehaviour in Core).
    BadLength(String),
}

/// BIP155 network ids.
const BIP155_IPV4: u8 = 1;
const BIP155_IPV6: u8 = 2;
const BIP155_TORV2: u8 = 3;
const BIP155_TORV3: u8 = 4;
const BIP155_I2P: u8 = 5;
const BIP155_CJDNS: u8 = 6;
/// Core's internal-name prefix (fd6b:88c0:8724::/48): never a real peer.
const INTERNAL_PREFIX: [u8; 6] = [0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24];
/// Suffix of I2P names.
const I2P_SUFFIX: &str = ".b32.i2p";

impl NetAddr {
    /// From an IP, unmapping IPv4-mapped IPv6 as Core does.
    pub fn from_ip(ip: IpAddr) -> NetAddr {
        match ip {
            IpAddr::V4(v4) => NetAddr::Ipv4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => NetAddr::Ipv4(v4.octets()),
                None => NetAddr::Ipv6(v6.octets()),
            },
        }
    }

    /// The IP to open a socket to (CJDNS is IPv6 on the wire); `None` for
    /// Tor and I2P.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            NetAddr::Ipv4(b) => Some(IpAddr::V4(Ipv4Addr::from(*b))),
            NetAddr::Ipv6(b) | NetAddr::Cjdns(b) => Some(IpAddr::V6(Ipv6Addr::from(*b))),
            NetAddr::Onion(_) | NetAddr::I2p(_) => None,
        }
    }

    /// Which network the address belongs to.
    pub fn network(&self) -> Network {
        match self {
            NetAddr::Ipv4(_) => Network::Ipv4,
            NetAddr::Ipv6(_) => Network::Ipv6,
            NetAddr::Onion(_) => Network::Onion,
            NetAddr::I2p(_) => Network::I2p,
            NetAddr::Cjdns(_) => Network::Cjdns,
        }
    }

    /// An IPv6 in fc00::/8 is CJDNS when that network is reachable (Core's
    /// `MaybeFlipIPv6toCJDNS`).
    pub fn flip_to_cjdns(self, cjdns_reachable: bool) -> NetAddr {
        match self {
            NetAddr::Ipv6(b) if cjdns_reachable && b[0] == 0xfc => NetAddr::Cjdns(b),
            other => other,
        }
    }

    fn is_internal(&self) -> bool {
        matches!(self, NetAddr::Ipv6(b) if b[..6] == INTERNAL_PREFIX)
    }

    /// Whether the address can be a peer on its network (Core's
    /// `IsRoutable`, which includes `IsValid`).
    pub fn is_routable(&self) -> bool {
        match self {
            NetAddr::Ipv4(b) => {
                let v4 = Ipv4Addr::from(*b);
                !(v4.is_unspecified()
                    || v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_broadcast()
                    || v4.is_documentation()
                    || b[0] == 0
                    || (b[0] == 100 && (b[1] & 0xc0) == 64)
                    || (b[0] == 198 && (b[1] & 0xfe) == 18))
            }
            NetAddr::Ipv6(b) => {
                let v6 = Ipv6Addr::from(*b);
                let s = v6.segments();
                !(v6.is_unspecified()
                    || v6.is_loopback()
                    || self.is_internal()
                    || (b[0] & 0xfe) == 0xfc
                    || (s[0] == 0x2001 && s[1] == 0x0db8)
                    || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010)
                    || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0020)
                    || (s[0] == 0xfe80 && s[1] == 0 && s[2] == 0 && s[3] == 0))
            }
            NetAddr::Cjdns(b) => b[0] == 0xfc,
            NetAddr::Onion(_) | NetAddr::I2p(_) => true,
        }
    }

    /// The IPv4 address an IPv6 one carries by a transition scheme (6to4,
    /// Teredo, NAT64 well-known prefix, SIIT), as Core's `GetLinkedIPv4`.
    fn linked_ipv4(&self) -> Option<[u8; 4]> {
        match self {
            NetAddr::Ipv4(b) => Some(*b),
            NetAddr::Ipv6(b) => {
                let tail = |at: usize| [b[at], b[at + 1], b[at + 2], b[at + 3]];
                // SIIT (::ffff:0:0/96) and NAT64 (64:ff9b::/96) end in the IPv4.
                if b[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0]
                    || b[..12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
                {
                    Some(tail(12))
                } else if b[..2] == [0x20, 0x02] {
                    Some(tail(2))
                } else if b[..4] == [0x20, 0x01, 0, 0] {
                    let t = tail(12);
                    Some([!t[0], !t[1], !t[2], !t[3]])
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Core's `GetNetClass`: the network, with unroutable addresses in a class
    /// of their own and IPv6 carrying IPv4 counted as IPv4.
    fn net_class(&self) -> u8 {
        if self.is_internal() {
            6
        } else if !self.is_routable() {
            Network::Unroutable as u8
        } else if self.linked_ipv4().is_some() {
            Network::Ipv4 as u8
        } else {
            self.network() as u8
        }
    }

    /// Core's `GetAddrBytes`: the 16-byte v1 form for IP networks, the raw
    /// BIP155 bytes for the others.
    pub fn addr_bytes(&self) -> Vec<u8> {
        match self {
            NetAddr::Ipv4(b) => Ipv4Addr::from(*b).to_ipv6_mapped().octets().to_vec(),
            NetAddr::Ipv6(b) | NetAddr::Cjdns(b) => b.to_vec(),
            NetAddr::Onion(b) | NetAddr::I2p(b) => b.to_vec(),
        }
    }

    /// The raw bytes as BIP155 carries them.
    fn raw(&self) -> &[u8] {
        match self {
            NetAddr::Ipv4(b) => b,
            NetAddr::Ipv6(b) | NetAddr::Cjdns(b) => b,
            NetAddr::Onion(b) | NetAddr::I2p(b) => b,
        }
    }

    /// The network group (Core's `NetGroupManager::GetGroup` without asmap):
    /// addresses of one group share buckets, so one operator cannot fill the
    /// tables.
    pub fn group(&self) -> Vec<u8> {
        let mut out = vec![self.net_class()];
        if self.is_internal() {
            out.extend_from_slice(&self.raw()[6..16]);
            return out;
        }
        if !self.is_routable() {
            return out;
        }
        if let Some(v4) = self.linked_ipv4() {
            out.extend_from_slice(&v4[..2]);
            return out;
        }
        let bits = match self {
            NetAddr::Onion(_) | NetAddr::I2p(_) => 4,
            NetAddr::Cjdns(_) => 12,
            NetAddr::Ipv6(b) if b[..4] == [0x20, 0x01, 0x04, 0x70] => 36,
            _ => 32,
        };
        let bytes = self.addr_bytes();
        let whole = bits / 8;
        out.extend_from_slice(&bytes[..whole]);
        let rest = bits % 8;
        if rest > 0 {
            out.push(bytes[whole] | ((1u8 << (8 - rest)) - 1));
        }
        out
    }

    /// Parses an address literal without name lookup (Core's `LookupHost`
    /// with lookups off): IPv4, IPv6 (optionally bracketed), `.onion` (v3)
    /// and `.b32.i2p`.
    pub fn parse(text: &str) -> Option<NetAddr> {
        let host = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text);
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Some(NetAddr::from_ip(ip));
        }
        let lower = host.to_ascii_lowercase();
        if let Some(name) = lower.strip_suffix(".onion") {
            return onion::decode_torv3(name).map(NetAddr::Onion);
        }
        if let Some(name) = lower.strip_suffix(I2P_SUFFIX) {
            // 52 base32 characters carry exactly 32 bytes.
            if name.len() != 52 {
                return None;
            }
            let bytes = onion::base32_decode(name)?;
            return <[u8; 32]>::try_from(bytes.as_slice())
                .ok()
                .map(NetAddr::I2p);
        }
        None
    }

    /// The BIP155 network id and raw bytes.
    pub fn to_bip155(&self) -> (u8, &[u8]) {
        let id = match self {
            NetAddr::Ipv4(_) => BIP155_IPV4,
            NetAddr::Ipv6(_) => BIP155_IPV6,
            NetAddr::Onion(_) => BIP155_TORV3,
            NetAddr::I2p(_) => BIP155_I2P,
            NetAddr::Cjdns(_) => BIP155_CJDNS,
        };
        (id, self.raw())
    }

    /// Reads a BIP155 address: `Ok(None)` for networks or forms Core does not
    /// store (unknown ids, Tor v2, IPv4 embedded in IPv6, internal names),
    /// an error for a known network with the wrong length.
    pub fn from_bip155(id: u8, bytes: &[u8]) -> Result<Option<NetAddr>, Bip155Error> {
        let (name, len) = match id {
            BIP155_IPV4 => ("IPv4", 4),
            BIP155_IPV6 => ("IPv6", 16),
            BIP155_TORV2 => ("TORv2", 10),
            BIP155_TORV3 => ("TORv3", 32),
            BIP155_I2P => ("I2P", 32),
            BIP155_CJDNS => ("CJDNS", 16),
            _ => return Ok(None),
        };
        if bytes.len() != len {
            return Err(Bip155Error::BadLength(format!(
                "BIP155 {name} address with length {} (should be {len})",
                bytes.len()
            )));
        }
        let arr16 = || <[u8; 16]>::try_from(bytes).ok();
        let arr32 = || <[u8; 32]>::try_from(bytes).ok();
        Ok(match id {
            BIP155_IPV4 => <[u8; 4]>::try_from(bytes).ok().map(NetAddr::Ipv4),
            BIP155_IPV6 => arr16().and_then(|b| {
                let a = NetAddr::Ipv6(b);
                // Core drops IPv6 that embeds IPv4 or an internal name: those
                // have their own encodings.
                let embeds_v4 = b[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
                (!embeds_v4 && !a.is_internal()).then_some(a)
            }),
            BIP155_TORV3 => arr32().map(NetAddr::Onion),
            BIP155_I2P => arr32().map(NetAddr::I2p),
            BIP155_CJDNS => arr16().map(NetAddr::Cjdns),
            _ => None,
        })
    }
}

impl fmt::Display for NetAddr {
    /// Core's `ToStringAddr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetAddr::Ipv4(b) => write!(f, "{}", Ipv4Addr::from(*b)),
            NetAddr::Ipv6(b) | NetAddr::Cjdns(b) => write!(f, "{}", Ipv6Addr::from(*b)),
            NetAddr::Onion(key) => write!(f, "{}.onion", onion::encode_torv3(key)),
            NetAddr::I2p(b) => write!(f, "{}{I2P_SUFFIX}", onion::base32_encode(b)),
        }
    }
}

/// An address and port (Core's `CService`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    /// The host.
    pub addr: NetAddr,
    /// The port.
    pub port: u16,
}

impl Service {
    /// From a socket address.
    pub fn from_socket(sa: SocketAddr) -> Service {
        Service {
            addr: NetAddr::from_ip(sa.ip()),
            port: sa.port(),
        }
    }

    /// The socket address to connect to, for IP networks.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.addr.ip().map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Core's `CService::GetKey`: address bytes then the port big-endian.
    pub fn key(&self) -> Vec<u8> {
        let mut k = self.addr.addr_bytes();
        k.extend_from_slice(&self.port.to_be_bytes());
        k
    }
}

impl fmt::Display for Service {
    /// Core's `ToStringAddrPort`: IPv6 and CJDNS hosts in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            NetAddr::Ipv6(_) | NetAddr::Cjdns(_) => write!(f, "[{}]:{}", self.addr, self.port),
            _ => write!(f, "{}:{}", self.addr, self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_network() {
        for text in [
            "1.2.3.4",
            "2803:0:1234:abcd::1",
            "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
            "c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p",
        ] {
            assert_eq!(NetAddr::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            NetAddr::parse("::ffff:1.2.3.4"),
            Some(NetAddr::Ipv4([1, 2, 3, 4]))
        );
        assert_eq!(NetAddr::parse("not_an_ip"), None);
        assert_eq!(NetAddr::parse(""), None);
        // A damaged onion checksum is refused.
        assert_eq!(
            NetAddr::parse("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscrya.onion"),
            None
        );
        let cjdns = NetAddr::parse("fc00:1:2:3:4:5:6:7")
            .unwrap()
            .flip_to_cjdns(true);
        assert_eq!(cjdns.network(), Network::Cjdns);
        assert!(cjdns.is_routable());
    }

    #[test]
    fn groups_follow_core() {
        let g = |s: &str| NetAddr::parse(s).unwrap().group();
        assert_eq!(g("1.2.3.4"), vec![1, 1, 2]);
        assert_eq!(g("2001:470:abcd::1"), vec![2, 0x20, 0x01, 0x04, 0x70, 0xaf]);
        assert_eq!(g("2803:0:1234:abcd::1"), vec![2, 0x28, 0x03, 0, 0]);
        assert_eq!(g("2002:102:304::1"), vec![1, 1, 2]);
        assert_eq!(g("127.0.0.1"), vec![0]);
        let onion =
            NetAddr::parse("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion")
                .unwrap();
        assert_eq!(onion.group().len(), 2);
        assert_eq!(onion.group()[0], 3);
    }

    #[test]
    fn bip155_lengths_are_checked() {
        assert_eq!(
            NetAddr::from_bip155(1, &[1, 2, 3]),
            Err(Bip155Error::BadLength(
                "BIP155 IPv4 address with length 3 (should be 4)".into()
            ))
        );
        assert_eq!(NetAddr::from_bip155(3, &[0; 10]), Ok(None));
        assert_eq!(NetAddr::from_bip155(99, &[0; 3]), Ok(None));
        assert_eq!(
            NetAddr::from_bip155(4, &[7; 32]),
            Ok(Some(NetAddr::Onion([7; 32])))
        );
    }
}
