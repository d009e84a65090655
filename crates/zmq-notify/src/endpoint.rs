//! ZeroMQ endpoint addresses a publisher binds: `tcp://IP:port` (IPv4, a
//! bracketed IPv6 address, `*` or `localhost`) and `ipc://path`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Core's spelling of a unix socket address, rewritten to ZeroMQ's `ipc://`.
const UNIX_PREFIX: &str = "unix:";
const IPC_PREFIX: &str = "ipc://";
const TCP_PREFIX: &str = "tcp://";

/// Where a publisher listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A unix domain socket path.
    Ipc(PathBuf),
}

/// Why an address cannot be bound, in `zmq_strerror`'s words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    /// Not `transport://address` (ZeroMQ's EINVAL).
    Invalid,
    /// A transport a publisher cannot bind (EPROTONOSUPPORT).
    Protocol,
}

impl std::fmt::Display for EndpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EndpointError::Invalid => "Invalid argument",
            EndpointError::Protocol => "Protocol not supported",
        })
    }
}

/// Rewrites Core's `unix:` form to `ipc://` (what `getzmqnotifications`
/// then shows); other addresses are kept as given.
pub fn normalize(address: &str) -> String {
    match address.strip_prefix(UNIX_PREFIX) {
        Some(path) => format!("{IPC_PREFIX}{path}"),
        None => address.to_string(),
    }
}

/// Parses a normalized address.
pub fn parse(address: &str) -> Result<Endpoint, EndpointError> {
    if let Some(path) = address.strip_prefix(IPC_PREFIX) {
        if path.is_empty() {
            return Err(EndpointError::Invalid);
        }
        return Ok(Endpoint::Ipc(PathBuf::from(path)));
    }
    let Some(rest) = address.strip_prefix(TCP_PREFIX) else {
        return Err(if address.contains("://") {
            EndpointError::Protocol
        } else {
            EndpointError::Invalid
        });
    };
    let (host, port) = rest.rsplit_once(':').ok_or(EndpointError::Invalid)?;
    let port: u16 = if port == "*" {
        0
    } else {
        port.parse().map_err(|_| EndpointError::Invalid)?
    };
    let ip = match host {
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => h
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(h)
            .parse()
            .map_err(|_| EndpointError::Invalid)?,
    };
    Ok(Endpoint::Tcp(SocketAddr::new(ip, port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_forms() {
        assert_eq!(
            parse("tcp://127.0.0.1:28332"),
            Ok(Endpoint::Tcp("127.0.0.1:28332".parse().unwrap()))
        );
        assert_eq!(
            parse("tcp://[::1]:28332"),
            Ok(Endpoint::Tcp("[::1]:28332".parse().unwrap()))
        );
        assert_eq!(
            parse("tcp://*:28332"),
            Ok(Endpoint::Tcp("0.0.0.0:28332".parse().unwrap()))
        );
        assert_eq!(parse("tcp://127.0.0.1"), Err(EndpointError::Invalid));
        assert_eq!(parse("tcp://127.0.0.1:99999"), Err(EndpointError::Invalid));
        assert_eq!(parse("tcp://example:1"), Err(EndpointError::Invalid));
    }

    #[test]
    fn other_forms() {
        assert_eq!(parse("foo"), Err(EndpointError::Invalid));
        assert_eq!(parse("udp://1.2.3.4:5"), Err(EndpointError::Protocol));
        assert_eq!(normalize("unix:/tmp/x"), "ipc:///tmp/x");
        assert_eq!(
            parse(&normalize("unix:/tmp/x")),
            Ok(Endpoint::Ipc("/tmp/x".into()))
        );
        assert_eq!(parse("ipc://"), Err(EndpointError::Invalid));
    }
}
