//! The outbound proxies per network as Core derives them from `-proxy`,
//! `-onion`, `-i2psam`, `-proxyrandomize` and `-cjdnsreachable`, and whether
//! each network is reachable; `getnetworkinfo` reports them.

use std::net::{IpAddr, SocketAddr};

use common::args::ArgsManager;

/// Tor's default SOCKS port, used when `-proxy`/`-onion` names no port.
const DEFAULT_TOR_SOCKS_PORT: u16 = 9050;
/// The I2P SAM bridge's default port.
const DEFAULT_I2P_SAM_PORT: u16 = 7656;

/// The networks in `getnetworkinfo` order.
pub const NETWORKS: [&str; 5] = ["ipv4", "ipv6", "onion", "i2p", "cjdns"];

/// A proxy and whether connections through it get fresh credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// `ip:port` or `unix:<path>`.
    pub address: String,
    /// Tor stream isolation (`-proxyrandomize`).
    pub randomize_credentials: bool,
}

/// Proxies and reachability for every network.
#[derive(Debug, Clone, Default)]
pub struct NetworkProxies {
    proxies: [Option<Proxy>; 5],
    cjdns_reachable: bool,
}

impl NetworkProxies {
    /// Reads the proxy options, with Core's init errors for bad values.
    pub fn from_args(args: &ArgsManager) -> Result<Self, String> {
        let randomize = args.get_bool_arg("-proxyrandomize", true);
        let mut out = NetworkProxies {
            cjdns_reachable: args.get_bool_arg("-cjdnsreachable", false),
            ..Default::default()
        };
        for value in args.get_args("-proxy") {
            let (addr, net) = match value.rsplit_once('=') {
                Some((a, n)) => (a, n),
                None => (value.as_str(), ""),
            };
            if addr.is_empty() || addr == "0" {
                continue;
            }
            let proxy = Proxy {
                address: parse_endpoint(addr, DEFAULT_TOR_SOCKS_PORT)
                    .ok_or_else(|| format!("Invalid -proxy address or hostname: '{addr}'"))?,
                randomize_credentials: randomize,
            };
            let nets: &[&str] = match net {
                "" => &["ipv4", "ipv6", "onion", "cjdns"],
                "ipv4" | "ipv6" | "onion" | "cjdns" => std::slice::from_ref(&net),
                _ => return Err(format!("Unrecognized network in -proxy='{value}': '{net}'")),
            };
            for n in nets {
                out.set(n, Some(proxy.clone()));
            }
        }
        match args.get_arg("-onion").as_deref() {
            None | Some("") => {}
            Some("0") => out.set("onion", None),
            Some(onion) => {
                let address = parse_endpoint(onion, DEFAULT_TOR_SOCKS_PORT)
                    .ok_or_else(|| format!("Invalid -onion address or hostname: '{onion}'"))?;
                out.set(
                    "onion",
                    Some(Proxy {
                        address,
                        randomize_credentials: randomize,
                    }),
                );
            }
        }
        if let Some(sam) = args.get_arg("-i2psam").filter(|s| !s.is_empty()) {
            let address = parse_endpoint(&sam, DEFAULT_I2P_SAM_PORT)
                .filter(|a| !a.starts_with("unix:"))
                .ok_or_else(|| format!("Invalid -i2psam address or hostname: '{sam}'"))?;
            out.set(
                "i2p",
                Some(Proxy {
                    address,
                    randomize_credentials: false,
                }),
            );
        }
        Ok(out)
    }

    fn set(&mut self, net: &str, proxy: Option<Proxy>) {
        if let Some(i) = NETWORKS.iter().position(|n| *n == net) {
            self.proxies[i] = proxy;
        }
    }

    /// The proxy for `net`, if any.
    pub fn proxy(&self, net: &str) -> Option<&Proxy> {
        let i = NETWORKS.iter().position(|n| *n == net)?;
        self.proxies[i].as_ref()
    }

    /// Whether we can open connections to `net`: clearnet always, the
    /// overlay networks only through their proxy (CJDNS when configured).
    pub fn reachable(&self, net: &str) -> bool {
        match net {
            "ipv4" | "ipv6" => true,
            "cjdns" => self.cjdns_reachable,
            other => self.proxy(other).is_some(),
        }
    }
}

/// Core's start-up checks of `-privatebroadcast`: it needs Tor or I2P (onion
/// counts when our own onion service may make it reachable later) and automatic
/// connections. Returns a warning for a correlatable Tor setup.
pub fn check_private_broadcast(
    args: &ArgsManager,
    proxies: &NetworkProxies,
) -> Result<Option<String>, String> {
    if !args.get_bool_arg("-privatebroadcast", false) {
        return Ok(None);
    }
    let onlynet = args.get_args("-onlynet");
    let onion_may_become_reachable = args.get_bool_arg("-listenonion", true)
        && args.get_bool_arg("-listen", true)
        && (onlynet.is_empty() || onlynet.iter().any(|n| n == "onion" || n == "tor"));
    let onion = proxies.reachable("onion") || onion_may_become_reachable;
    if !onion && !proxies.reachable("i2p") {
        return Err("Private broadcast of own transactions requested (-privatebroadcast), but none of Tor or I2P networks is reachable".into());
    }
    if !args.get_args("-connect").is_empty() || args.is_arg_negated("-connect") {
        return Err("Private broadcast of own transactions requested (-privatebroadcast), but -connect is also configured. They are incompatible because the private broadcast needs to open new connections to randomly chosen Tor or I2P peers. Consider using -maxconnections=0 -addnode=... instead".into());
    }
    if onion && !args.get_bool_arg("-proxyrandomize", true) {
        return Ok(Some("Private broadcast of own transactions requested (-privatebroadcast) and -proxyrandomize is disabled. Tor circuits for private broadcast connections may be correlated to other connections over Tor. For maximum privacy set -proxyrandomize=1.".into()));
    }
    Ok(None)
}

/// `ip[:port]`, `[ipv6]:port` or `unix:<path>` as Core prints a proxy; `None`
/// for anything else; host names are resolved once, at start-up.
fn parse_endpoint(s: &str, default_port: u16) -> Option<String> {
    if let Some(path) = s.strip_prefix("unix:") {
        return (!path.is_empty()).then(|| s.to_string());
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.to_string());
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, default_port).to_string());
    }
    resolve_host(s, default_port).map(|sa| sa.to_string())
}

/// A host name (`host` or `host:port`) resolved as Core does for proxies at
/// start-up; names with characters a host cannot have are refused unresolved.
fn resolve_host(s: &str, default_port: u16) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()?),
        None => (s, default_port),
    };
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !valid {
        return None;
    }
    (host, port).to_socket_addrs().ok()?.next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(argv: &[&str]) -> Result<NetworkProxies, String> {
        let args = common::options::parse_node_args(argv)?;
        NetworkProxies::from_args(&args)
    }

    #[test]
    fn proxy_covers_all_but_i2p_and_i2psam_adds_i2p() {
        let p = proxies(&["-proxy=127.0.0.1:9050", "-i2psam=127.0.0.1:7656"]).unwrap();
        for n in ["ipv4", "ipv6", "onion", "cjdns"] {
            assert_eq!(p.proxy(n).unwrap().address, "127.0.0.1:9050");
            assert!(p.proxy(n).unwrap().randomize_credentials);
        }
        assert_eq!(p.proxy("i2p").unwrap().address, "127.0.0.1:7656");
        assert!(p.reachable("onion") && p.reachable("i2p") && !p.reachable("cjdns"));
    }

    #[test]
    fn per_network_proxy_default_port_and_errors() {
        let p = proxies(&["-proxy=::1=ipv6", "-onion=0"]).unwrap();
        assert_eq!(p.proxy("ipv6").unwrap().address, "[::1]:9050");
        assert!(p.proxy("ipv4").is_none() && p.proxy("onion").is_none());
        assert_eq!(
            proxies(&["-proxy=1.2.3.4=mars"]).unwrap_err(),
            "Unrecognized network in -proxy='1.2.3.4=mars': 'mars'"
        );
        assert_eq!(
            proxies(&["-proxy=not an address"]).unwrap_err(),
            "Invalid -proxy address or hostname: 'not an address'"
        );
    }
}
