//! Manual bans (`setban`, `listbanned`, `clearbanned`): addresses and subnets
//! whose inbound connections are refused until the ban expires.

use crate::config::parse_whitelist;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Core's `DEFAULT_MISBEHAVING_BANTIME`, the default `setban` duration (seconds).
pub const DEFAULT_BANTIME: i64 = 24 * 60 * 60;

/// One ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanEntry {
    /// Network address.
    pub net: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// Unix time the ban was created.
    pub created: i64,
    /// Unix time the ban ends.
    pub until: i64,
}

/// Parses `ip` or `ip/prefix` into the canonical `ip/prefix` form Core prints.
pub fn parse_subnet(s: &str) -> Option<(String, IpAddr, u8)> {
    // The whitelist parser already understands `ip[/prefix]`; reuse it without permissions.
    let w = parse_whitelist(&format!("@{s}")).ok()?;
    let width = if w.net.is_ipv4() { 32 } else { 128 };
    if w.prefix > width {
        return None;
    }
    Some((format!("{}/{}", w.net, w.prefix), w.net, w.prefix))
}

/// The ban list, keyed by canonical subnet text.
#[derive(Debug, Default)]
pub struct BanList {
    entries: BTreeMap<String, BanEntry>,
}

impl BanList {
    /// Adds a ban; false if the subnet is already banned.
    pub fn ban(&mut self, key: String, entry: BanEntry) -> bool {
        if self.entries.contains_key(&key) {
            return false;
        }
        self.entries.insert(key, entry);
        true
    }

    /// Removes a ban; false if there was none.
    pub fn unban(&mut self, key: &str) -> bool {
        self.entries.remove(key).is_some()
    }

    /// Removes every ban.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Current bans (expired ones are dropped first).
    pub fn list(&mut self, now: i64) -> Vec<(String, BanEntry)> {
        self.entries.retain(|_, e| e.until > now);
        self.entries
            .iter()
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect()
    }

    /// Whether `ip` falls in an unexpired ban.
    pub fn is_banned(&self, ip: IpAddr, now: i64) -> bool {
        self.entries.values().any(|e| {
            e.until > now
                && crate::config::WhitelistEntry {
                    net: e.net,
                    prefix: e.prefix,
                    permissions: Default::default(),
                    inbound: true,
                    outbound: true,
                }
                .contains(ip)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_match_and_expiry() {
        let (key, net, prefix) = parse_subnet("10.0.0.0/8").unwrap();
        assert_eq!(key, "10.0.0.0/8");
        let mut b = BanList::default();
        assert!(b.ban(
            key.clone(),
            BanEntry {
                net,
                prefix,
                created: 100,
                until: 200
            }
        ));
        assert!(!b.ban(
            key.clone(),
            BanEntry {
                net,
                prefix,
                created: 100,
                until: 200
            }
        ));
        assert!(b.is_banned("10.9.9.9".parse().unwrap(), 150));
        assert!(!b.is_banned("10.9.9.9".parse().unwrap(), 250));
        assert_eq!(b.list(150).len(), 1);
        assert!(b.list(250).is_empty());
        assert_eq!(parse_subnet("127.0.0.1").unwrap().0, "127.0.0.1/32");
        assert!(parse_subnet("127.0.0.1/33").is_none());
        assert!(parse_subnet("nonsense").is_none());
    }
}
