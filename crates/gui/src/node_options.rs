//! The Options dialog's node options (bitcoin-qt's `OptionsModel` for
//! the settings it shares with the node): read from the node's persistent
//! settings and written back to `settings.json` with bitcoin-qt's names and
//! value spellings (`dbcache`, `par` and `prune` as JSON strings, proxies
//! as "ip:port", "" when off).

use serde_json::Value;

/// The node settings the dialog shows, as `settings.json` names them.
pub const NAMES: [&str; 10] = [
    "prune",
    "dbcache",
    "par",
    "server",
    "spendzeroconfchange",
    "signer",
    "natpmp",
    "listen",
    "proxy",
    "onion",
];

/// bitcoin-qt's default prune target in GB when pruning is first chosen.
pub const DEFAULT_PRUNE_GB: i64 = 2;
/// Core's default UTXO cache in MiB.
pub const DEFAULT_DBCACHE_MIB: i64 = 450;
/// Core's smallest UTXO cache in MiB.
pub const MIN_DBCACHE_MIB: i64 = 4;
/// Core's most script verification threads.
pub const MAX_PAR: i64 = 15;
/// bitcoin-qt's proxy suggestion.
pub const DEFAULT_PROXY: (&str, &str) = ("127.0.0.1", "9050");
/// bitcoin-qt counts a GB as 10^9 bytes.
const GB_BYTES: i64 = 1_000_000_000;
const MIB_BYTES: i64 = 1 << 20;

/// A prune target in MiB as whole GB (10^9 bytes), rounded up.
pub fn prune_mib_to_gb(mib: i64) -> i64 {
    (mib * MIB_BYTES + GB_BYTES - 1) / GB_BYTES
}

/// A prune target in GB as the MiB the node takes.
pub fn prune_gb_to_mib(gb: i64) -> i64 {
    gb * GB_BYTES / MIB_BYTES
}

/// A SOCKS5 proxy choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Whether it is used.
    pub enabled: bool,
    /// Its IP address.
    pub ip: String,
    /// Its port.
    pub port: String,
}

impl Proxy {
    /// bitcoin-qt's reading of a proxy setting: "ip:port" (or "[ip6]:port")
    /// is on; anything else is off with the default address.
    fn from_setting(text: &str) -> Proxy {
        let split = match text.strip_prefix('[') {
            Some(rest) => rest
                .split_once("]:")
                .map(|(ip, port)| (ip.to_string(), port)),
            None => text
                .rsplit_once(':')
                .map(|(ip, port)| (ip.to_string(), port)),
        };
        match split {
            Some((ip, port)) if !ip.is_empty() && port.parse::<u16>().is_ok() => Proxy {
                enabled: true,
                ip,
                port: port.to_string(),
            },
            _ => NodeOptions::default().proxy,
        }
    }

    /// The setting's text: "ip:port" when on, "" when off.
    fn setting(&self) -> String {
        match (self.enabled, self.ip.contains(':')) {
            (false, _) => String::new(),
            (true, true) => format!("[{}]:{}", self.ip, self.port),
            (true, false) => format!("{}:{}", self.ip, self.port),
        }
    }

    /// Why the entered address cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !self.enabled {
            return None;
        }
        if self.ip.parse::<std::net::IpAddr>().is_err() {
            return Some(format!(
                "The supplied proxy address {} is invalid.",
                self.ip
            ));
        }
        match self.port.parse::<u16>() {
            Ok(p) if p > 0 => None,
            _ => Some(format!("The proxy port {} is invalid.", self.port)),
        }
    }
}

/// The node-side options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    /// Prune block storage.
    pub prune: bool,
    /// Prune target in GB.
    pub prune_gb: i64,
    /// UTXO cache in MiB.
    pub dbcache_mib: i64,
    /// Script verification threads (0 automatic, negative leaves cores free).
    pub par: i64,
    /// Accept RPC commands.
    pub server: bool,
    /// Spend unconfirmed change.
    pub spend_zero_conf_change: bool,
    /// External signer script.
    pub signer: String,
    /// Map the port with PCP / NAT-PMP.
    pub natpmp: bool,
    /// Accept incoming connections.
    pub listen: bool,
    /// SOCKS5 proxy for all networks.
    pub proxy: Proxy,
    /// Separate proxy for Tor onion services.
    pub onion: Proxy,
}

impl Default for NodeOptions {
    /// Core's defaults, for settings not set.
    fn default() -> NodeOptions {
        let proxy = Proxy {
            enabled: false,
            ip: DEFAULT_PROXY.0.into(),
            port: DEFAULT_PROXY.1.into(),
        };
        NodeOptions {
            prune: false,
            prune_gb: DEFAULT_PRUNE_GB,
            dbcache_mib: DEFAULT_DBCACHE_MIB,
            par: 0,
            server: false,
            spend_zero_conf_change: true,
            signer: String::new(),
            natpmp: false,
            listen: true,
            proxy: proxy.clone(),
            onion: proxy,
        }
    }
}

fn to_int(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// Core's `SettingToBool`: a bool, a number (non-zero), or a string ("" and
/// numbers other than 0 are true).
fn to_bool(value: Option<&Value>, default: bool) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(Value::String(s)) => s.is_empty() || s.trim().parse::<i64>().is_ok_and(|n| n != 0),
        _ => default,
    }
}

fn to_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl NodeOptions {
    /// The options from the node's settings (`name`, JSON text), Core's
    /// defaults for those not set; an unreadable value is an error.
    pub fn from_settings(settings: &[(String, String)]) -> Result<NodeOptions, String> {
        let mut values = std::collections::HashMap::new();
        for (name, json) in settings {
            let value: Value = serde_json::from_str(json)
                .map_err(|e| format!("Could not read setting \"{name}\", {e}."))?;
            if !value.is_null() {
                values.insert(name.as_str(), value);
            }
        }
        let get = |name: &str| values.get(name);
        let prune_mib = to_int(get("prune")).unwrap_or(0);
        let defaults = NodeOptions::default();
        Ok(NodeOptions {
            // -prune=1 is manual pruning, which the dialog shows as off.
            prune: prune_mib > 1,
            prune_gb: if prune_mib > 1 {
                prune_mib_to_gb(prune_mib)
            } else {
                defaults.prune_gb
            },
            dbcache_mib: to_int(get("dbcache")).unwrap_or(defaults.dbcache_mib),
            par: to_int(get("par")).unwrap_or(defaults.par),
            server: to_bool(get("server"), defaults.server),
            spend_zero_conf_change: to_bool(
                get("spendzeroconfchange"),
                defaults.spend_zero_conf_change,
            ),
            signer: to_string(get("signer")),
            natpmp: to_bool(get("natpmp"), defaults.natpmp),
            listen: to_bool(get("listen"), defaults.listen),
            proxy: Proxy::from_setting(&to_string(get("proxy"))),
            onion: Proxy::from_setting(&to_string(get("onion"))),
        })
    }

    /// The prune setting in MiB (0: off), as bitcoin-qt converts GB.
    pub fn prune_mib(&self) -> i64 {
        if self.prune {
            prune_gb_to_mib(self.prune_gb.max(1))
        } else {
            0
        }
    }

    /// What changed from `before`, as (`settings.json` name, JSON text).
    pub fn changes(&self, before: &NodeOptions) -> Vec<(&'static str, String)> {
        let string = |s: String| Value::String(s).to_string();
        let mut out = Vec::new();
        if (self.prune, self.prune_mib()) != (before.prune, before.prune_mib()) {
            out.push(("prune", string(self.prune_mib().to_string())));
        }
        if self.dbcache_mib != before.dbcache_mib {
            out.push(("dbcache", string(self.dbcache_mib.to_string())));
        }
        if self.par != before.par {
            out.push(("par", string(self.par.to_string())));
        }
        let flags = [
            ("server", self.server, before.server),
            (
                "spendzeroconfchange",
                self.spend_zero_conf_change,
                before.spend_zero_conf_change,
            ),
            ("natpmp", self.natpmp, before.natpmp),
            ("listen", self.listen, before.listen),
        ];
        for (name, now, then) in flags {
            if now != then {
                out.push((name, now.to_string()));
            }
        }
        if self.signer != before.signer {
            out.push(("signer", string(self.signer.clone())));
        }
        if self.proxy.setting() != before.proxy.setting() {
            out.push(("proxy", string(self.proxy.setting())));
        }
        if self.onion.setting() != before.onion.setting() {
            out.push(("onion", string(self.onion.setting())));
        }
        out
    }
}

/// Whether a change to `name` takes effect only after a restart (all but
/// port mapping, which the node applies at once).
pub fn needs_restart(name: &str) -> bool {
    name != "natpmp"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_cores() {
        let o = NodeOptions::from_settings(&settings(&[("prune", "null")])).unwrap();
        assert!(!o.prune && o.prune_gb == 2 && o.dbcache_mib == 450 && o.par == 0);
        assert!(!o.server && o.spend_zero_conf_change && o.listen && !o.natpmp);
        assert!(!o.proxy.enabled && o.proxy.ip == "127.0.0.1" && o.proxy.port == "9050");
    }

    #[test]
    fn reads_strings_numbers_and_proxies() {
        let o = NodeOptions::from_settings(&settings(&[
            ("prune", "\"1907\""),
            ("dbcache", "1000"),
            ("par", "\"-2\""),
            ("server", "true"),
            ("listen", "\"0\""),
            ("proxy", "\"10.0.0.1:1080\""),
            ("onion", "\"[::1]:9050\""),
        ]))
        .unwrap();
        assert!(o.prune && o.prune_gb == 2);
        assert_eq!((o.dbcache_mib, o.par), (1000, -2));
        assert!(o.server && !o.listen);
        assert_eq!(
            (o.proxy.ip.as_str(), o.proxy.port.as_str()),
            ("10.0.0.1", "1080")
        );
        assert!(o.onion.enabled && o.onion.ip == "::1");
        assert!(NodeOptions::from_settings(&settings(&[("dbcache", "{oops")])).is_err());
        // Manual pruning (1) is not a target.
        let manual = NodeOptions::from_settings(&settings(&[("prune", "1")])).unwrap();
        assert!(!manual.prune);
    }

    #[test]
    fn writes_only_changes_in_bitcoin_qts_spelling() {
        let before = NodeOptions::from_settings(&[]).unwrap();
        assert!(before.changes(&before).is_empty());
        let mut after = before.clone();
        after.prune = true;
        after.prune_gb = 5;
        after.dbcache_mib = 1024;
        after.par = 3;
        after.listen = false;
        after.proxy.enabled = true;
        after.signer = "/usr/bin/hwi".into();
        assert_eq!(
            after.changes(&before),
            [
                ("prune", "\"4768\"".to_string()),
                ("dbcache", "\"1024\"".into()),
                ("par", "\"3\"".into()),
                ("listen", "false".into()),
                ("signer", "\"/usr/bin/hwi\"".into()),
                ("proxy", "\"127.0.0.1:9050\"".into()),
            ]
        );
        after.proxy.enabled = false;
        let off = after.changes(&NodeOptions {
            proxy: Proxy::from_setting("10.0.0.1:1080"),
            ..after.clone()
        });
        assert_eq!(off, [("proxy", "\"\"".to_string())]);
        assert!(!needs_restart("natpmp") && needs_restart("dbcache"));
    }

    #[test]
    fn bad_proxies_are_explained() {
        let mut p = Proxy::from_setting("");
        assert_eq!(p.problem(), None);
        p.enabled = true;
        assert_eq!(p.problem(), None);
        p.ip = "nonsense".into();
        assert!(p.problem().is_some_and(|m| m.contains("invalid")));
        p.ip = "127.0.0.1".into();
        p.port = "70000".into();
        assert!(p.problem().is_some());
    }
}
