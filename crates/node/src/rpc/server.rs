//! Wires the RPC framework to the node's options: bind addresses, allowed
//! subnets, credentials and cookie, worker threads, and the HTTP handlers.

use common::args::ArgsManager;
use common::chaintype::ChainType;
use rpc::auth::{Auth, AuthSettings};
use rpc::http::{HttpConfig, HttpServer, Subnet};
use rpc::httprpc::JsonRpcService;
use rpc::RpcTable;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_HTTP_THREADS: i64 = 16;
const DEFAULT_HTTP_WORKQUEUE: i64 = 64;
const DEFAULT_HTTP_SERVER_TIMEOUT: i64 = 30;

/// The running JSON-RPC server and what must be undone at shutdown.
pub struct RpcServer {
    http: HttpServer,
    table: Arc<RpcTable>,
    cookie: Option<PathBuf>,
    service: Arc<JsonRpcService>,
}

/// Splits `host[:port]` / `[v6]:port` as Core's `SplitHostPort`; `None` for a bad port.
pub fn split_host_port(text: &str, default_port: u16) -> Option<(String, u16)> {
    let colon = text.rfind(':');
    let bracketed = text.starts_with('[');
    let (host, port) = match colon {
        Some(i)
            if bracketed && text[..i].ends_with(']') || !bracketed && !text[..i].contains(':') =>
        {
            let port_text = &text[i + 1..];
            let port: u16 = port_text
                .parse()
                .ok()
                .filter(|p| *p != 0 && port_text.bytes().all(|b| b.is_ascii_digit()))?;
            (&text[..i], port)
        }
        _ => (text, default_port),
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Some((host.to_string(), port))
}

fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, port));
    }
    (host, port).to_socket_addrs().ok()?.next()
}

/// Bind addresses from `-rpcbind`/`-rpcallowip`/`-rpcport`, with Core's rule that
/// `-rpcbind` only counts together with `-rpcallowip`.
fn bind_addresses(args: &ArgsManager, chain: ChainType) -> Result<Vec<SocketAddr>, String> {
    let port_arg = args.get_int_arg("-rpcport", chain.default_rpc_port() as i64);
    let port = u16::try_from(port_arg)
        .map_err(|_| format!("Invalid port specified in -rpcport: '{port_arg}'"))?;
    let allow = args.get_args("-rpcallowip");
    let binds = args.get_args("-rpcbind");
    let mut out = Vec::new();
    if allow.is_empty() || binds.is_empty() {
        out.push(SocketAddr::new(
            "::1".parse().map_err(|_| "bad address")?,
            port,
        ));
        out.push(SocketAddr::new(
            "127.0.0.1".parse().map_err(|_| "bad address")?,
            port,
        ));
        if !allow.is_empty() {
            tracing::warn!("Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense");
        }
        if !binds.is_empty() {
            tracing::warn!("Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect");
        }
        return Ok(out);
    }
    for bind in binds {
        let (host, port) = split_host_port(&bind, port)
            .ok_or_else(|| format!("Invalid port specified in -rpcbind: '{bind}'"))?;
        match resolve(&host, port) {
            Some(a) => out.push(a),
            None => tracing::warn!(
                "Could not bind RPC on address {host} port {port}: Address lookup failed."
            ),
        }
    }
    Ok(out)
}

fn allowed_subnets(args: &ArgsManager) -> Result<Vec<Subnet>, String> {
    let mut subnets = vec![
        Subnet::parse("127.0.0.0/8").ok_or("bad subnet")?,
        Subnet::parse("::1").ok_or("bad subnet")?,
    ];
    for allow in args.get_args("-rpcallowip") {
        let subnet = Subnet::parse(&allow).ok_or_else(|| format!(
            "Invalid -rpcallowip subnet specification: {allow}. Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). RFC4193 is allowed only if -cjdnsreachable=0."
        ))?;
        subnets.push(subnet);
    }
    Ok(subnets)
}

fn cookie_path(args: &ArgsManager) -> Option<PathBuf> {
    if args.is_arg_negated("-rpccookiefile") {
        return None;
    }
    let arg = args.get_path_arg("-rpccookiefile", Path::new(".cookie"));
    if arg.as_os_str().is_empty() {
        return None;
    }
    Some(args.abs_path_for_config_val(&arg, true))
}

impl RpcServer {
    /// Sets up authentication and starts listening, serving `table`.
    pub fn start(
        args: &ArgsManager,
        chain: ChainType,
        table: Arc<RpcTable>,
    ) -> Result<RpcServer, String> {
        let allow = allowed_subnets(args)?;
        let bind = bind_addresses(args, chain)?;
        if bind.is_empty() {
            return Err("Unable to bind any endpoint for RPC server".to_string());
        }
        let cookie = if args.get_arg_or("-rpcpassword", "").is_empty() {
            cookie_path(args)
        } else {
            None
        };
        let settings = AuthSettings {
            user: args.get_arg_or("-rpcuser", ""),
            password: args.get_arg_or("-rpcpassword", ""),
            rpcauth: args.get_args("-rpcauth"),
            whitelist: args.get_args("-rpcwhitelist"),
            whitelist_default: args.get_bool_arg_opt("-rpcwhitelistdefault"),
            cookie_file: cookie.clone(),
            cookie_perms: args.get_arg("-rpccookieperms"),
        };
        let auth = Auth::setup(&settings).map_err(|e| {
            tracing::error!("{e}");
            "Unable to start HTTP server. See debug log for details.".to_string()
        })?;
        let config = HttpConfig {
            bind,
            allow,
            idle_timeout: Duration::from_secs(
                args.get_int_arg("-rpcservertimeout", DEFAULT_HTTP_SERVER_TIMEOUT)
                    .max(0) as u64,
            ),
            threads: args
                .get_int_arg("-rpcthreads", DEFAULT_HTTP_THREADS)
                .clamp(1, 1024) as usize,
            work_queue_depth: args
                .get_int_arg("-rpcworkqueue", DEFAULT_HTTP_WORKQUEUE)
                .clamp(1, 1 << 20) as usize,
        };
        let http = HttpServer::start(config).map_err(|e| {
            tracing::error!("{e}");
            "Unable to start HTTP server. See debug log for details.".to_string()
        })?;
        let service = Arc::new(JsonRpcService::new(table.clone(), auth));
        let s = service.clone();
        http.register_handler("/", true, Arc::new(move |req, peer| s.handle(req, peer)));
        let s = service.clone();
        http.register_handler(
            "/wallet/",
            false,
            Arc::new(move |req, peer| s.handle(req, peer)),
        );
        Ok(RpcServer {
            http,
            table,
            cookie,
            service,
        })
    }

    /// The JSON-RPC executor with this server's users and whitelists (also
    /// used for `Rpc.executeRpc` over IPC).
    pub fn service(&self) -> Arc<JsonRpcService> {
        self.service.clone()
    }

    /// The HTTP server, for registering handlers of other URL prefixes
    /// (e.g. the REST interface).
    pub fn http(&self) -> &HttpServer {
        &self.http
    }

    /// Addresses the server listens on.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        self.http.local_addrs()
    }

    /// Stops taking requests, lets running ones finish, and removes the cookie.
    pub fn stop(self) {
        self.table.interrupt();
        self.http.interrupt();
        self.http.stop();
        if let Some(path) = self.cookie {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(
            split_host_port("127.0.0.1", 5),
            Some(("127.0.0.1".into(), 5))
        );
        assert_eq!(
            split_host_port("127.0.0.1:32171", 5),
            Some(("127.0.0.1".into(), 32171))
        );
        assert_eq!(split_host_port("[::1]", 5), Some(("::1".into(), 5)));
        assert_eq!(split_host_port("[::1]:7", 5), Some(("::1".into(), 7)));
        assert_eq!(split_host_port("::1", 5), Some(("::1".into(), 5)));
        assert_eq!(split_host_port("127.0.0.1:notaport", 5), None);
        assert_eq!(split_host_port("127.0.0.1:65536", 5), None);
        assert_eq!(split_host_port("127.0.0.1:0", 5), None);
    }
}
