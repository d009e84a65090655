//! P2P settings read from the command line and `bitcoin.conf`, with Core's
//! parameter interactions (`-bind` implies `-listen`, `-connect` disables it).

use common::args::ArgsManager;
use consensus::Params;

use crate::message::MAX_SUBVERSION_LENGTH;
use crate::netaddr::{NetAddr, Network};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Core's `DEFAULT_MAX_PEER_CONNECTIONS`.
pub const DEFAULT_MAX_PEER_CONNECTIONS: i64 = 125;
/// Core's `DEFAULT_PEER_CONNECT_TIMEOUT` (seconds), the `-peertimeout` default.
pub const DEFAULT_PEER_CONNECT_TIMEOUT: i64 = 60;

/// A listening socket to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindSpec {
    /// Address and port.
    pub addr: SocketAddr,
    /// Tagged `=onion`: inbound connections through it count as Tor.
    pub onion: bool,
    /// Failure to bind is an init error (explicit binds); the implicit `[::]` is not.
    pub required: bool,
    /// Permissions of every peer coming in through it (`-whitebind`).
    pub permissions: Permissions,
}

/// Permissions granted by `-whitelist` / `-whitebind`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Names as Core prints them in `getpeerinfo` (`noban`, `download`, …).
    pub names: Vec<String>,
}

impl Permissions {
    /// Both sets of permissions together.
    pub fn merged(&self, other: &Permissions) -> Permissions {
        let mut names: Vec<String> = self.names.iter().chain(&other.names).cloned().collect();
        names.sort();
        names.dedup();
        Permissions { names }
    }

    /// Whether `name` (or a permission implying it) is granted.
    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// One `-whitelist` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhitelistEntry {
    /// Network address.
    pub net: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// Granted permissions.
    pub permissions: Permissions,
    /// Applies to inbound connections.
    pub inbound: bool,
    /// Applies to outbound connections.
    pub outbound: bool,
}

impl WhitelistEntry {
    /// Whether `ip` is inside this entry's network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> u128 {
            match ip {
                IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
                IpAddr::V6(v6) => u128::from(v6),
            }
        }
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        if ip.is_ipv4() != self.net.is_ipv4() {
            return false;
        }
        let width = if self.net.is_ipv4() { 32 } else { 128 };
        let prefix = u32::from(self.prefix.min(width));
        if prefix == 0 {
            return true;
        }
        let mask = u128::MAX << (128 - prefix);
        bits(ip) & mask == bits(self.net) & mask
    }
}

/// Everything the P2P layer reads from the options.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Network magic bytes.
    pub magic: [u8; 4],
    /// Whether to accept inbound connections.
    pub listen: bool,
    /// Sockets to listen on.
    pub binds: Vec<BindSpec>,
    /// `-connect` peers (only these are connected to automatically); `Some(empty)`
    /// for `-connect=0`: no automatic outbound connections at all.
    pub connect: Option<Vec<String>>,
    /// `-addnode` peers, kept connected.
    pub addnodes: Vec<String>,
    /// `-maxconnections`.
    pub max_connections: usize,
    /// `-peertimeout`, seconds.
    pub peer_timeout: i64,
    /// `-maxsendbuffer` in bytes: queued output above which a peer's
    /// requests wait until it reads.
    pub max_send_buffer: usize,
    /// `-networkactive`.
    pub network_active: bool,
    /// `-whitelist` entries.
    pub whitelist: Vec<WhitelistEntry>,
    /// Our user agent, e.g. `/bitcoin-node:0.1.0(testnode0)/`.
    pub user_agent: String,
    /// Service bits we offer.
    pub services: u64,
    /// Whether we ask peers to relay transactions to us (`-blocksonly` turns it off).
    pub relay_txs: bool,
    /// Default P2P port of the chain (used for addresses given without a port).
    pub default_port: u16,
    /// The network data directory (`banlist.json` lives there); `None` keeps
    /// everything in memory.
    pub data_dir: Option<std::path::PathBuf>,
    /// `-capturemessages`: write every message to `message_capture/` there.
    pub capture_messages: bool,
    /// Automatic outbound seeding and peer selection.
    pub seeding: SeedConfig,
    /// `-test=addrman`: the address manager's fixed key and random seed.
    pub addrman_deterministic: bool,
}

/// Where automatic outbound connections find addresses: `-dnsseed`,
/// `-fixedseeds`, `-seednode`, `-onlynet`, and the chain's seeds.
#[derive(Debug, Clone, Default)]
pub struct SeedConfig {
    /// `-dnsseed` after the parameter interactions.
    pub dnsseed: bool,
    /// `-forcednsseed`.
    pub forcednsseed: bool,
    /// `-fixedseeds`.
    pub fixedseeds: bool,
    /// `-seednode` (ignored with `-connect`).
    pub seednodes: Vec<String>,
    /// Networks automatic connections may use (`-onlynet`; all when empty).
    pub onlynet: Vec<String>,
    /// A `-proxy` is set: names are not resolved locally.
    pub proxy: bool,
    /// The chain's DNS seeds.
    pub dns_seeds: Vec<String>,
    /// The chain's fixed seeds.
    pub fixed_seeds: Vec<SocketAddr>,
    /// Tor is reachable (`-proxy` or `-onion`, not `-onion=0`).
    pub onion_reachable: bool,
    /// I2P is reachable (`-i2psam`).
    pub i2p_reachable: bool,
    /// `-cjdnsreachable`: fc00::/8 is the CJDNS network.
    pub cjdns_reachable: bool,
}

impl SeedConfig {
    /// Whether automatic connections may go to `addr`'s network.
    pub fn reachable(&self, addr: &SocketAddr) -> bool {
        self.reachable_net(NetAddr::from_ip(addr.ip()).network())
    }

    /// Whether `net` is reachable (Core's `g_reachable_nets`): IPv4 and IPv6
    /// unless `-onlynet` leaves them out; the others only when configured.
    pub fn reachable_net(&self, net: Network) -> bool {
        let configured = match net {
            Network::Onion => self.onion_reachable,
            Network::I2p => self.i2p_reachable,
            Network::Cjdns => self.cjdns_reachable,
            Network::Ipv4 | Network::Ipv6 => true,
            Network::Unroutable => false,
        };
        configured && (self.onlynet.is_empty() || self.onlynet.iter().any(|n| n == net.name()))
    }
}

/// The networks `-onlynet` accepts.
const NETWORK_NAMES: [&str; 5] = ["ipv4", "ipv6", "onion", "i2p", "cjdns"];

/// Core's P2P parameter interactions: soft-sets `-listen` and `-dnsseed` from
/// `-bind`, `-connect`, `-maxconnections`, `-proxy` and `-onlynet`, logging
/// each change. Errors are init-error texts.
pub fn parameter_interactions(args: &ArgsManager) -> Result<(), String> {
    if args.is_arg_set("-bind") && args.soft_set_bool_arg("-listen", true) {
        tracing::info!("parameter interaction: -bind set -> setting -listen=1");
    }
    if args.is_arg_set("-whitebind") && args.soft_set_bool_arg("-listen", true) {
        tracing::info!("parameter interaction: -whitebind set -> setting -listen=1");
    }
    if !args.get_args("-connect").is_empty()
        || args.is_arg_negated("-connect")
        || args.get_int_arg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS) <= 0
    {
        if args.soft_set_bool_arg("-dnsseed", false) {
            tracing::info!(
                "parameter interaction: -connect or -maxconnections=0 set -> setting -dnsseed=0"
            );
        }
        if args.soft_set_bool_arg("-listen", false) {
            tracing::info!(
                "parameter interaction: -connect or -maxconnections=0 set -> setting -listen=0"
            );
        }
    }
    let proxy = args.get_arg("-proxy").unwrap_or_default();
    if !proxy.is_empty() && proxy != "0" && args.soft_set_bool_arg("-listen", false) {
        tracing::info!("parameter interaction: -proxy set -> setting -listen=0");
    }
    let onlynet = onlynet(args)?;
    if !onlynet.is_empty() && !clearnet_allowed(&onlynet) {
        if args.soft_set_bool_arg("-dnsseed", false) {
            tracing::info!(
                "parameter interaction: -onlynet excludes IPv4 and IPv6 -> setting -dnsseed=0"
            );
        }
        if args.get_bool_arg_opt("-dnsseed") == Some(true) {
            return Err("Incompatible options: -dnsseed=1 was explicitly specified, but -onlynet forbids connections to IPv4/IPv6".into());
        }
    }
    Ok(())
}

fn clearnet_allowed(onlynet: &[String]) -> bool {
    onlynet.iter().any(|n| n == "ipv4" || n == "ipv6")
}

/// The `-onlynet` networks, lower-cased; Core's error for an unknown one.
fn onlynet(args: &ArgsManager) -> Result<Vec<String>, String> {
    let mut nets = Vec::new();
    for value in args.get_args("-onlynet") {
        let name = match value.to_lowercase().as_str() {
            "tor" => "onion".to_string(),
            other => other.to_string(),
        };
        if !NETWORK_NAMES.contains(&name.as_str()) {
            return Err(format!("Unknown network specified in -onlynet: '{value}'"));
        }
        nets.push(name);
    }
    Ok(nets)
}

/// `NODE_NETWORK`.
pub const NODE_NETWORK: u64 = 1;
/// `NODE_WITNESS`.
pub const NODE_WITNESS: u64 = 1 << 3;
/// `NODE_NETWORK_LIMITED`.
pub const NODE_NETWORK_LIMITED: u64 = 1 << 10;
/// `NODE_P2P_V2`: the BIP324 v2 transport is offered.
pub const NODE_P2P_V2: u64 = 1 << 11;

/// Parses `host`, `host:port`, `[v6]`, `[v6]:port`; `None` if not an IP address.
/// IPv4 hosts may take the shorthand forms numeric lookups accept (`127.1`).
pub fn parse_host_port(s: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, default_port));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok()),
        None => (s, Some(default_port)),
    };
    if let (Some(ip), Some(port)) = (parse_ipv4_shorthand(host), port) {
        return Some(SocketAddr::new(IpAddr::V4(ip), port));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .ok()
            .map(|ip| SocketAddr::new(IpAddr::V6(ip), default_port));
    }
    if s == "localhost" {
        return Some(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            default_port,
        ));
    }
    if let Some(host) = s.strip_prefix("localhost:") {
        return host
            .parse()
            .ok()
            .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p));
    }
    None
}

/// An IPv4 address in the classic `inet_aton` forms a numeric host lookup
/// takes: one to four parts, each decimal, octal (`0` prefix) or hex (`0x`),
/// the last part filling the bytes the others left (`127.1` is 127.0.0.1).
fn parse_ipv4_shorthand(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<u32> = host
        .split('.')
        .map(parse_c_number)
        .collect::<Option<Vec<u32>>>()?;
    let (last, leading) = parts.split_last()?;
    if leading.len() > 3 || leading.iter().any(|p| *p > 0xff) {
        return None;
    }
    let last_bits = 8 * (4 - leading.len() as u32);
    if last_bits < 32 && *last >> last_bits != 0 {
        return None;
    }
    let high = leading
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, p)| acc | p << (24 - 8 * i as u32));
    Some(Ipv4Addr::from(high | last))
}

/// A non-negative number written as C writes literals: `0x` hex, leading-zero
/// octal, or decimal.
fn parse_c_number(text: &str) -> Option<u32> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

/// Core's init error for a `-bind` value that is not an address: a bad port, or
/// a host that cannot be resolved (we resolve only literal addresses).
fn bind_error(addr: &str, value: &str) -> String {
    let port_part = match addr.rsplit_once(']') {
        Some((_, rest)) => rest.strip_prefix(':'),
        None => addr.rsplit_once(':').map(|(_, p)| p),
    };
    match port_part {
        Some(p) if p.parse::<u16>().map_or(true, |n| n == 0) => {
            format!("Invalid port specified in -bind: '{value}'")
        }
        _ => format!("Cannot resolve -bind address: '{value}'"),
    }
}

/// Parses a `-whitelist` value: `[perm,perm,…@]ip[/prefix]`.
pub fn parse_whitelist(value: &str) -> Result<WhitelistEntry, String> {
    let (perms, net) = match value.rsplit_once('@') {
        Some((p, n)) => (Some(p), n),
        None => (None, value),
    };
    let mut names = Vec::new();
    let (mut inbound, mut outbound, mut explicit_dir) = (false, false, false);
    match perms {
        None => names.extend(["noban", "download", "relay", "mempool"].map(String::from)),
        Some(p) => {
            for perm in p.split(',').filter(|s| !s.is_empty()) {
                match perm {
                    "in" => (inbound, explicit_dir) = (true, true),
                    "out" => (outbound, explicit_dir) = (true, true),
                    "noban" => names.extend(["noban", "download"].map(String::from)),
                    "all" => names.extend(
                        [
                            "bloomfilter",
                            "noban",
                            "forcerelay",
                            "relay",
                            "mempool",
                            "download",
                            "addr",
                        ]
                        .map(String::from),
                    ),
                    "bloomfilter" | "forcerelay" | "relay" | "mempool" | "download" | "addr" => {
                        names.push(perm.to_string())
                    }
                    other => return Err(format!("Invalid P2P permission: '{other}'")),
                }
            }
        }
    }
    if !explicit_dir {
        inbound = true;
    }
    names.sort();
    names.dedup();
    let (ip, prefix) = match net.split_once('/') {
        Some((ip, len)) => (ip, len.parse::<u8>().ok()),
        None => (net, None),
    };
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("Invalid netmask specified in -whitelist: '{net}'"))?;
    let prefix = prefix.unwrap_or(if ip.is_ipv4() { 32 } else { 128 });
    Ok(WhitelistEntry {
        net: ip,
        prefix,
        permissions: Permissions { names },
        inbound,
        outbound,
    })
}

/// Name in the user agent string.
pub const UA_NAME: &str = "bitcoin-node";

fn is_safe_ua_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " .,;-_?@".contains(c)
}

/// Builds the BIP14 user agent (`-uacomment`), with Core's init errors.
pub fn user_agent(args: &ArgsManager) -> Result<String, String> {
    let mut comments = Vec::new();
    for c in args.get_args("-uacomment") {
        if !c.chars().all(is_safe_ua_char) {
            return Err(format!(
                "User Agent comment ({c}) contains unsafe characters."
            ));
        }
        comments.push(c);
    }
    let version = env!("CARGO_PKG_VERSION");
    let ua = if comments.is_empty() {
        format!("/{UA_NAME}:{version}/")
    } else {
        format!("/{UA_NAME}:{version}({})/", comments.join("; "))
    };
    if ua.len() > MAX_SUBVERSION_LENGTH {
        return Err(format!(
            "Total length of network version string ({}) exceeds maximum length ({MAX_SUBVERSION_LENGTH}). Reduce the number or size of uacomments.",
            ua.len()
        ));
    }
    Ok(ua)
}

impl NetConfig {
    /// Reads the P2P options for the chain of `params` (which gives the
    /// magic, default port and seeds). Errors are init-error texts.
    pub fn from_args(
        args: &ArgsManager,
        params: &Params,
        user_agent: String,
    ) -> Result<NetConfig, String> {
        let default_port = params.default_port;
        let port = match args.get_int_arg_opt("-port") {
            Some(p) if (1..=65535).contains(&p) => p as u16,
            Some(_) => {
                return Err(format!(
                    "Invalid port specified in -port: '{}'",
                    args.get_arg("-port").unwrap_or_default()
                ))
            }
            None => default_port,
        };
        let bind_args = args.get_args("-bind");
        let whitebind_args = args.get_args("-whitebind");
        let connect_args = args.get_args("-connect");
        let max_connections = args
            .get_int_arg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS)
            .max(0);
        let no_auto =
            !connect_args.is_empty() || args.is_arg_negated("-connect") || max_connections == 0;
        let listen = match args.get_bool_arg_opt("-listen") {
            Some(l) => l,
            None if !bind_args.is_empty() || !whitebind_args.is_empty() => true,
            None => !no_auto,
        };
        let has_binds = !bind_args.is_empty() || !whitebind_args.is_empty();
        if !listen && has_binds {
            return Err("Cannot set -bind or -whitebind together with -listen=0".into());
        }
        // Core's order: -bind, -whitebind, onion binds, then the any-address pair.
        let mut plain = Vec::new();
        let mut onion = Vec::new();
        for value in &bind_args {
            match value.rsplit_once('=') {
                None => {
                    let sa =
                        parse_host_port(value, port).ok_or_else(|| bind_error(value, value))?;
                    plain.push(sa);
                }
                // An onion bind without a port uses -port + 1, as Core.
                Some((addr, "onion")) => {
                    let sa = parse_host_port(addr, port.wrapping_add(1))
                        .ok_or_else(|| bind_error(addr, value))?;
                    onion.push(sa);
                }
                Some(_) => return Err(format!("Cannot resolve -bind address: '{value}'")),
            }
        }
        let mut white = Vec::new();
        for value in &whitebind_args {
            // -whitebind carries permissions before '@'.
            let (perms, addr) = value.rsplit_once('@').unwrap_or(("", value.as_str()));
            let sa = parse_host_port(addr, port).ok_or_else(|| bind_error(addr, value))?;
            // The whitelist parser knows the permission names; the address is a dummy.
            let permissions = parse_whitelist(&format!("{perms}@127.0.0.1"))?.permissions;
            white.push((sa, permissions));
        }
        let bind_on_any = bind_args.is_empty() && whitebind_args.is_empty();
        if plain.is_empty() && white.is_empty() && onion.is_empty() {
            // Core's default onion service target.
            onion.push(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                port.wrapping_add(1),
            ));
        }
        let required = |addr, onion| BindSpec {
            addr,
            onion,
            required: true,
            permissions: Permissions::default(),
        };
        let mut binds: Vec<BindSpec> = plain.into_iter().map(|a| required(a, false)).collect();
        binds.extend(white.into_iter().map(|(addr, permissions)| BindSpec {
            permissions,
            ..required(addr, false)
        }));
        binds.extend(onion.into_iter().map(|a| required(a, true)));
        for (i, b) in binds.iter().enumerate() {
            if binds[..i].iter().any(|o| o.addr == b.addr) {
                return Err(format!(
                    "Duplicate binding configuration for address {}. Please check your -bind, -bind=...=onion and -whitebind settings.",
                    b.addr
                ));
            }
        }
        if bind_on_any {
            // A host without IPv6 must not stop the node, so `[::]` may fail.
            binds.push(BindSpec {
                addr: SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
                onion: false,
                required: false,
                permissions: Permissions::default(),
            });
            binds.push(required(
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
                false,
            ));
        }
        if !listen {
            binds.clear();
        }
        let connect = if !connect_args.is_empty() || args.is_arg_negated("-connect") {
            Some(
                connect_args
                    .into_iter()
                    .filter(|c| c != "0" && !c.is_empty())
                    .collect(),
            )
        } else {
            None
        };
        let peer_timeout = args.get_int_arg("-peertimeout", DEFAULT_PEER_CONNECT_TIMEOUT);
        if peer_timeout <= 0 {
            return Err("peertimeout must be a positive integer.".into());
        }
        let mut whitelist = Vec::new();
        for w in args.get_args("-whitelist") {
            whitelist.push(parse_whitelist(&w)?);
        }
        let blocksonly = args.get_bool_arg("-blocksonly", false);
        let seeding = seed_config(
            args,
            params,
            connect
                .as_ref()
                .is_some_and(|c: &Vec<String>| !c.is_empty()),
        )?;
        Ok(NetConfig {
            magic: params.message_start,
            listen,
            binds,
            connect,
            addnodes: args.get_args("-addnode"),
            max_connections: max_connections as usize,
            peer_timeout,
            max_send_buffer: usize::try_from(args.get_int_arg("-maxsendbuffer", 1000))
                .unwrap_or(0)
                .saturating_mul(1000),
            network_active: args.get_bool_arg("-networkactive", true),
            whitelist,
            user_agent,
            services: NODE_NETWORK
                | NODE_WITNESS
                | NODE_NETWORK_LIMITED
                | if args.get_bool_arg("-v2transport", true) {
                    NODE_P2P_V2
                } else {
                    0
                },
            relay_txs: !blocksonly,
            default_port,
            data_dir: Some(args.get_data_dir_net()),
            capture_messages: args.get_bool_arg("-capturemessages", false),
            seeding,
            addrman_deterministic: args.has_test_option("addrman"),
        })
    }

    /// A configuration for tests and embedding: regtest magic, no listening sockets.
    pub fn for_tests(user_agent: &str) -> NetConfig {
        let regtest = Params::regtest();
        NetConfig {
            magic: regtest.message_start,
            listen: false,
            binds: Vec::new(),
            connect: Some(Vec::new()),
            addnodes: Vec::new(),
            max_connections: DEFAULT_MAX_PEER_CONNECTIONS as usize,
            peer_timeout: DEFAULT_PEER_CONNECT_TIMEOUT,
            max_send_buffer: crate::peer::DEFAULT_MAX_SEND_BUFFER,
            network_active: true,
            whitelist: Vec::new(),
            user_agent: user_agent.to_string(),
            services: NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED,
            relay_txs: true,
            default_port: regtest.default_port,
            data_dir: None,
            capture_messages: false,
            seeding: SeedConfig::default(),
            addrman_deterministic: false,
        }
    }

    /// Permissions of a peer at `ip` connecting in the given direction.
    pub fn permissions_for(&self, ip: IpAddr, inbound: bool) -> Permissions {
        let mut names = Vec::new();
        for w in &self.whitelist {
            if ((inbound && w.inbound) || (!inbound && w.outbound)) && w.contains(ip) {
                names.extend(w.permissions.names.iter().cloned());
            }
        }
        names.sort();
        names.dedup();
        Permissions { names }
    }
}

/// The seeding options; `connect` tells whether `-connect` names peers.
fn seed_config(args: &ArgsManager, params: &Params, connect: bool) -> Result<SeedConfig, String> {
    let mut seednodes = args.get_args("-seednode");
    if connect && !seednodes.is_empty() {
        tracing::info!("-seednode is ignored when -connect is used");
        seednodes.clear();
    }
    let proxy = args
        .get_args("-proxy")
        .iter()
        .any(|p| !p.is_empty() && p != "0");
    // Any -connect counts here, even -connect=0.
    let connect_given = !args.get_args("-connect").is_empty() || args.is_arg_negated("-connect");
    if connect_given && args.get_bool_arg_opt("-dnsseed") == Some(true) && args.is_arg_set("-proxy")
    {
        tracing::info!("-dnsseed is ignored when -connect is used and -proxy is specified");
    }
    let onlynet = onlynet(args)?;
    let clearnet = onlynet.is_empty() || clearnet_allowed(&onlynet);
    Ok(SeedConfig {
        dnsseed: args.get_bool_arg("-dnsseed", true) && clearnet,
        forcednsseed: args.get_bool_arg("-forcednsseed", false),
        fixedseeds: args.get_bool_arg("-fixedseeds", true),
        seednodes,
        onlynet,
        proxy,
        onion_reachable: (proxy || args.is_arg_set("-onion")) && !args.is_arg_negated("-onion"),
        i2p_reachable: args.get_args("-i2psam").iter().any(|p| !p.is_empty()),
        cjdns_reachable: args.get_bool_arg("-cjdnsreachable", false),
        dns_seeds: params.dns_seeds.clone(),
        // The chains' fixed seed lists are not carried yet; the fallback
        // logic runs and adds none (as on regtest).
        fixed_seeds: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(argv: &[&str]) -> Result<NetConfig, String> {
        let args = common::options::parse_node_args(argv).expect("parse");
        NetConfig::from_args(&args, &Params::regtest(), "/ua/".into())
    }

    #[test]
    fn bind_keeps_listening_despite_connect_zero() {
        let c = config(&["-connect=0", "-bind=127.0.0.1", "-port=12345"]).unwrap();
        assert!(c.listen);
        assert_eq!(c.connect, Some(vec![]));
        assert_eq!(
            c.binds,
            vec![BindSpec {
                addr: "127.0.0.1:12345".parse().unwrap(),
                onion: false,
                required: true,
                permissions: Permissions::default(),
            }]
        );
    }

    #[test]
    fn connect_alone_disables_listening_and_default_listens_on_any() {
        assert!(!config(&["-connect=127.0.0.1:1"]).unwrap().listen);
        let c = config(&[]).unwrap();
        assert!(c.listen);
        let addrs: Vec<String> = c.binds.iter().map(|b| b.addr.to_string()).collect();
        assert_eq!(addrs, ["127.0.0.1:18445", "[::]:18444", "0.0.0.0:18444"]);
        assert!(c.binds[0].onion && !c.binds[1].required);
        assert!(c.connect.is_none());
    }

    #[test]
    fn onion_binds_follow_core() {
        let c = config(&["-bind=0.0.0.0:1000", "-bind=127.0.0.1:2000=onion"]).unwrap();
        assert_eq!(c.binds.len(), 2);
        assert!(c.binds[1].onion);
        // Only an onion bind: nothing else is bound.
        let c = config(&["-bind=127.0.0.1:2000=onion"]).unwrap();
        assert_eq!(c.binds.len(), 1);
        // Without a port, an onion bind takes -port + 1; a plain one -port.
        let c = config(&["-port=5000", "-bind=127.0.0.1=onion", "-bind=0.0.0.0"]).unwrap();
        let addrs: Vec<String> = c.binds.iter().map(|b| b.addr.to_string()).collect();
        assert_eq!(addrs, ["0.0.0.0:5000", "127.0.0.1:5001"]);
        assert!(config(&["-bind=127.0.0.1=i2p"]).is_err());
        let c = config(&["-whitebind=noban,relay@127.0.0.1:9"]).unwrap();
        assert_eq!(c.binds.len(), 1, "a whitebind replaces the default binds");
        assert!(c.binds[0].permissions.has("noban") && c.binds[0].permissions.has("relay"));
        let dup = config(&["-bind=127.0.0.1:7", "-whitebind=noban@127.0.0.1:7"]).unwrap_err();
        assert!(dup.starts_with("Duplicate binding configuration for address 127.0.0.1:7."));
    }

    #[test]
    fn bad_options_are_init_errors() {
        assert_eq!(
            config(&["-listen=0", "-bind=127.0.0.1"]).unwrap_err(),
            "Cannot set -bind or -whitebind together with -listen=0"
        );
        assert_eq!(
            config(&["-bind=127.0.0.1:notaport"]).unwrap_err(),
            "Invalid port specified in -bind: '127.0.0.1:notaport'"
        );
        assert_eq!(
            config(&["-bind=no.such.host"]).unwrap_err(),
            "Cannot resolve -bind address: 'no.such.host'"
        );
        assert_eq!(
            config(&["-peertimeout=0"]).unwrap_err(),
            "peertimeout must be a positive integer."
        );
    }

    #[test]
    fn whitelist_grants_permissions_by_address_and_direction() {
        let c = config(&["-whitelist=noban,in,out@127.0.0.1"]).unwrap();
        let local = "127.0.0.1".parse().unwrap();
        assert!(c.permissions_for(local, true).has("noban"));
        assert!(c.permissions_for(local, false).has("download"));
        assert!(c
            .permissions_for("10.0.0.1".parse().unwrap(), true)
            .names
            .is_empty());
        let w = parse_whitelist("10.0.0.0/8").unwrap();
        assert!(w.contains("10.1.2.3".parse().unwrap()));
        assert!(w.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!w.contains("11.0.0.1".parse().unwrap()));
        assert!(!w.outbound && w.inbound);
        assert!(parse_whitelist("bogus@1.2.3.4").is_err());
    }

    fn interacted(argv: &[&str]) -> (ArgsManager, Result<(), String>) {
        let args = common::options::parse_node_args(argv).expect("parse");
        let r = parameter_interactions(&args);
        (args, r)
    }

    #[test]
    fn connect_and_onlynet_soft_disable_dns_seeding() {
        let (a, r) = interacted(&["-connect=1.2.3.4"]);
        assert!(r.is_ok());
        assert!(!a.get_bool_arg("-dnsseed", true) && !a.get_bool_arg("-listen", true));
        let (a, _) = interacted(&["-connect=0", "-dnsseed=1", "-listen=1"]);
        assert!(a.get_bool_arg("-dnsseed", false) && a.get_bool_arg("-listen", false));
        let (a, r) = interacted(&["-onlynet=onion"]);
        assert!(r.is_ok() && !a.get_bool_arg("-dnsseed", true));
        let (_, r) = interacted(&["-onlynet=i2p", "-dnsseed=1"]);
        assert_eq!(r.unwrap_err(), "Incompatible options: -dnsseed=1 was explicitly specified, but -onlynet forbids connections to IPv4/IPv6");
        let (_, r) = interacted(&["-onlynet=mars"]);
        assert_eq!(
            r.unwrap_err(),
            "Unknown network specified in -onlynet: 'mars'"
        );
    }

    #[test]
    fn seeding_options_and_reachability() {
        let c = config(&["-connect=1.2.3.4", "-seednode=5.6.7.8"]).unwrap();
        assert!(
            c.seeding.seednodes.is_empty(),
            "-seednode is ignored with -connect"
        );
        let c = config(&["-seednode=5.6.7.8", "-onlynet=ipv6", "-fixedseeds=0"]).unwrap();
        assert_eq!(c.seeding.seednodes, ["5.6.7.8"]);
        assert!(!c.seeding.fixedseeds);
        assert!(!c.seeding.reachable(&"1.2.3.4:8333".parse().unwrap()));
        assert!(c.seeding.reachable(&"[2a01::1]:8333".parse().unwrap()));
        assert_eq!(c.seeding.dns_seeds, ["dummySeed.invalid."]);
    }

    fn signet_config(argv: &[&str]) -> NetConfig {
        let args = common::options::parse_node_args(&[&["-signet"], argv].concat()).expect("parse");
        let params =
            Params::for_chain(common::chaintype::ChainType::Signet, &args).expect("params");
        NetConfig::from_args(&args, &params, "/ua/".into()).expect("config")
    }

    #[test]
    fn custom_signet_has_its_own_magic_and_no_seeds() {
        let default = signet_config(&[]);
        assert_eq!(default.magic, [0x0a, 0x03, 0xcf, 0x40]);
        assert_eq!(default.default_port, 38333);
        assert_eq!(default.seeding.dns_seeds.len(), 2);
        // Core: the first four bytes of sha256d of the challenge serialized as a vector.
        let custom = signet_config(&["-signetchallenge=51"]);
        assert_ne!(custom.magic, default.magic);
        use bitcoin::hashes::Hash;
        let digest = bitcoin::hashes::sha256d::Hash::hash(&[0x01, 0x51]);
        assert_eq!(custom.magic, digest.as_byte_array()[..4]);
        assert!(custom.seeding.dns_seeds.is_empty());
    }

    #[test]
    fn host_port_forms() {
        assert_eq!(parse_host_port("1.2.3.4", 9).unwrap().port(), 9);
        assert_eq!(parse_host_port("[::1]:7", 9).unwrap().port(), 7);
        assert_eq!(parse_host_port("[::1]", 9).unwrap().port(), 9);
        assert!(parse_host_port("example.com:1", 9).is_none());
        let loopback = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        assert_eq!(parse_host_port("127.1:7", 9), Some(loopback(7)));
        assert_eq!(parse_host_port("127.0.1", 9), Some(loopback(9)));
        assert_eq!(parse_host_port("0x7f.1", 9), Some(loopback(9)));
        assert_eq!(parse_host_port("0177.0.0.1", 9), Some(loopback(9)));
        assert_eq!(parse_host_port("2130706433", 9), Some(loopback(9)));
        assert!(parse_host_port("127.256.1", 9).is_none());
        assert!(parse_host_port("1.2.3.4.5", 9).is_none());
        assert!(parse_host_port("08.1", 9).is_none());
        assert!(parse_host_port("1..2", 9).is_none());
    }
}
