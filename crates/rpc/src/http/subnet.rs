//! `-rpcallowip` subnets: single IPs, `net/CIDR` and `net/netmask`, as Core accepts them.

use std::net::IpAddr;

/// A network: address plus prefix mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    network: IpAddr,
    mask: IpAddr,
}

fn to_bits(ip: &IpAddr) -> (u128, u32) {
    match ip {
        IpAddr::V4(v4) => (u32::from(*v4) as u128, 32),
        IpAddr::V6(v6) => (u128::from(*v6), 128),
    }
}

fn prefix_mask(len: u32, width: u32) -> u128 {
    if len == 0 {
        0
    } else {
        let all = if width == 32 {
            u32::MAX as u128
        } else {
            u128::MAX
        };
        (all << (width - len)) & all
    }
}

impl Subnet {
    /// Parses `1.2.3.4`, `1.2.3.0/24`, `1.2.3.0/255.255.255.0`, `::1`, `::/0`.
    pub fn parse(text: &str) -> Option<Subnet> {
        let (addr, suffix) = match text.split_once('/') {
            Some((a, s)) => (a, Some(s)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let (_, width) = to_bits(&network);
        let mask_bits = match suffix {
            None => prefix_mask(width, width),
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                let len: u32 = s.parse().ok()?;
                if len > width {
                    return None;
                }
                prefix_mask(len, width)
            }
            Some(s) => {
                let mask: IpAddr = s.parse().ok()?;
                let (bits, mwidth) = to_bits(&mask);
                if mwidth != width {
                    return None;
                }
                // A netmask must be contiguous ones followed by zeros.
                let inverted = !bits & prefix_mask(width, width);
                if inverted & (inverted.wrapping_add(1)) != 0 {
                    return None;
                }
                bits
            }
        };
        let (net_bits, _) = to_bits(&network);
        let network = from_bits(net_bits & mask_bits, width);
        Some(Subnet {
            network,
            mask: from_bits(mask_bits, width),
        })
    }

    /// A subnet covering exactly one address.
    pub fn single(ip: IpAddr) -> Subnet {
        let (_, width) = to_bits(&ip);
        Subnet {
            network: ip,
            mask: from_bits(prefix_mask(width, width), width),
        }
    }

    /// Whether `ip` is inside this subnet (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
            v4 => *v4,
        };
        let (a, aw) = to_bits(&ip);
        let (n, nw) = to_bits(&self.network);
        let (m, _) = to_bits(&self.mask);
        aw == nw && (a & m) == n
    }
}

fn from_bits(bits: u128, width: u32) -> IpAddr {
    if width == 32 {
        IpAddr::V4((bits as u32).into())
    } else {
        IpAddr::V6(bits.into())
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (m, w) = to_bits(&self.mask);
        let ones = if w == 32 {
            (m as u32).count_ones()
        } else {
            m.count_ones()
        };
        write!(f, "{}/{}", self.network, ones)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let s = Subnet::parse("1.2.3.0/24").unwrap();
        assert!(s.contains(&"1.2.3.99".parse().unwrap()));
        assert!(!s.contains(&"1.2.4.1".parse().unwrap()));
        let s = Subnet::parse("1.2.3.0/255.255.255.0").unwrap();
        assert!(s.contains(&"1.2.3.1".parse().unwrap()));
        assert!(Subnet::parse("1.2.3.0/255.0.255.0").is_none());
        assert!(Subnet::parse("0.0.0.0/0")
            .unwrap()
            .contains(&"8.8.8.8".parse().unwrap()));
        assert!(Subnet::parse("::/0")
            .unwrap()
            .contains(&"::2".parse().unwrap()));
        assert!(Subnet::parse("1.2.3.4/33").is_none());
        assert!(Subnet::parse("nonsense").is_none());
        assert!(Subnet::single("127.0.0.1".parse().unwrap())
            .contains(&"::ffff:127.0.0.1".parse().unwrap()));
    }
}
