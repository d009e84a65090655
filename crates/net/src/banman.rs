//! Manual bans (`setban`, `listbanned`, `clearbanned`): addresses and subnets
//! whose inbound connections are refused until the ban expires, kept in
//! `<datadir>/<chain>/banlist.json` in Core's format so they survive restarts.

use crate::config::parse_whitelist;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

/// Core's `DEFAULT_MISBEHAVING_BANTIME`, the default `setban` duration (seconds).
pub const DEFAULT_BANTIME: i64 = 24 * 60 * 60;

/// One ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanEntry {
    /// Network address and prefix length; `None` for a non-IP address (Tor, I2P),
    /// which no connection of ours can match.
    pub net: Option<(IpAddr, u8)>,
    /// Unix time the ban was created.
    pub created: i64,
    /// Unix time the ban ends.
    pub until: i64,
}

/// Parses `ip`, `ip/prefix` or a Tor/I2P name into the canonical form Core
/// prints (`ip/prefix`, or the name itself).
pub fn parse_subnet(s: &str) -> Option<(String, Option<(IpAddr, u8)>)> {
    if s.ends_with(".onion") || s.ends_with(".i2p") {
        let name_ok = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
        return name_ok.then(|| (s.to_string(), None));
    }
    // The whitelist parser already understands `ip[/prefix]`; reuse it without permissions.
    let w = parse_whitelist(&format!("@{s}")).ok()?;
    let width = if w.net.is_ipv4() { 32 } else { 128 };
    if w.prefix > width {
        return None;
    }
    Some((format!("{}/{}", w.net, w.prefix), Some((w.net, w.prefix))))
}

/// The ban list, keyed by canonical subnet text.
#[derive(Debug, Default)]
pub struct BanList {
    entries: BTreeMap<String, BanEntry>,
    /// Where the list is saved after every change (`None`: memory only).
    path: Option<PathBuf>,
}

impl BanList {
    /// Loads `path` (Core's `banlist.json`), or starts empty and writes it, as
    /// Core does, when it is missing or unreadable.
    pub fn load(path: PathBuf) -> BanList {
        let mut list = BanList {
            entries: BTreeMap::new(),
            path: Some(path.clone()),
        };
        let parsed = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.get("banned_nets").and_then(Value::as_array).cloned());
        match parsed {
            Some(items) => {
                for item in items {
                    let address = item["address"].as_str().unwrap_or_default();
                    let (Some((key, net)), Some(created), Some(until)) = (
                        parse_subnet(address),
                        item["ban_created"].as_i64(),
                        item["banned_until"].as_i64(),
                    ) else {
                        continue;
                    };
                    list.entries.insert(
                        key,
                        BanEntry {
                            net,
                            created,
                            until,
                        },
                    );
                }
                tracing::debug!(target: "net", "Loaded {} banned node addresses/subnets", list.entries.len());
            }
            None => {
                tracing::info!("Recreating the banlist database");
                list.save();
            }
        }
        list
    }

    /// Writes the list to its file, if it has one.
    fn save(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let items: Vec<Value> = self
            .entries
            .iter()
            .map(|(k, e)| {
                json!({"version": 1, "ban_created": e.created, "banned_until": e.until, "address": k})
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&json!({ "banned_nets": items })).unwrap_or_default();
        // Write then rename, so a crash never leaves half a file.
        let tmp = path.with_extension("json.new");
        let ok = std::fs::write(&tmp, text + "\n").and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = ok {
            tracing::error!("Failed to write banlist {}: {e}", path.display());
        }
    }

    /// Adds a ban; false if the subnet is already banned.
    pub fn ban(&mut self, key: String, entry: BanEntry) -> bool {
        if self.entries.contains_key(&key) {
            return false;
        }
        self.entries.insert(key, entry);
        self.save();
        true
    }

    /// Removes a ban; false if there was none.
    pub fn unban(&mut self, key: &str) -> bool {
        let removed = self.entries.remove(key).is_some();
        if removed {
            self.save();
        }
        removed
    }

    /// Removes every ban.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.save();
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
                && e.net.is_some_and(|(net, prefix)| {
                    crate::config::WhitelistEntry {
                        net,
                        prefix,
                        permissions: Default::default(),
                        inbound: true,
                        outbound: true,
                    }
                    .contains(ip)
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_match_and_expiry() {
        let (key, net) = parse_subnet("10.0.0.0/8").unwrap();
        assert_eq!(key, "10.0.0.0/8");
        let mut b = BanList::default();
        let entry = BanEntry {
            net,
            created: 100,
            until: 200,
        };
        assert!(b.ban(key.clone(), entry.clone()));
        assert!(!b.ban(key.clone(), entry));
        assert!(b.is_banned("10.9.9.9".parse().unwrap(), 150));
        assert!(!b.is_banned("10.9.9.9".parse().unwrap(), 250));
        assert_eq!(b.list(150).len(), 1);
        assert!(b.list(250).is_empty());
        assert_eq!(parse_subnet("127.0.0.1").unwrap().0, "127.0.0.1/32");
        assert!(parse_subnet("127.0.0.1/33").is_none());
        assert!(parse_subnet("nonsense").is_none());
        let onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
        assert_eq!(parse_subnet(onion), Some((onion.to_string(), None)));
    }

    #[test]
    fn bans_survive_a_reload_in_core_format() {
        let dir = std::env::temp_dir().join(format!("banlist-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("banlist.json");
        let _ = std::fs::remove_file(&path);
        let mut b = BanList::load(path.clone());
        assert!(path.exists(), "created on first load");
        let (key, net) = parse_subnet("127.0.0.1").unwrap();
        b.ban(
            key,
            BanEntry {
                net,
                created: 5,
                until: i64::MAX,
            },
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["banned_nets"][0]["address"], "127.0.0.1/32");
        assert_eq!(v["banned_nets"][0]["version"], 1);
        let reloaded = BanList::load(path.clone());
        assert!(reloaded.is_banned("127.0.0.1".parse().unwrap(), 10));
        std::fs::write(&path, "not json").unwrap();
        let mut recreated = BanList::load(path.clone());
        assert!(recreated.list(0).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
