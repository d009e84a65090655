//! The node's network identity: the user agent (`-uacomment`) and `getnetworkinfo`.

use common::args::ArgsManager;
use net::proxies::{NetworkProxies, NETWORKS};
use rpc::{RpcMethod, RpcTable};
use serde_json::json;
use std::sync::Arc;

/// Name in the user agent string.
pub const UA_NAME: &str = "bitcoin-node";
/// P2P protocol version spoken.
pub const PROTOCOL_VERSION: u32 = 70016;
/// Longest user agent Core accepts.
pub const MAX_SUBVERSION_LENGTH: usize = 256;

fn is_safe_ua_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " .,;-_?@".contains(c)
}

/// Builds the BIP14 user agent from `-uacomment`, with Core's init errors.
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

/// The Bitcoin Core release whose RPC interface we serve, as `getnetworkinfo`'s
/// numeric `version` (MMmmpp). Clients gate features on this number (Core's
/// `bitcoin-cli -netinfo` needs at least 0.21), so it names the interface
/// rather than our own crate version, which `-version` prints.
const CORE_API_VERSION: u64 = 310_000;

/// Numeric client version as `getnetworkinfo` reports it (MMmmpp).
fn numeric_version() -> u64 {
    CORE_API_VERSION
}

/// Registers `getnetworkinfo`.
pub fn register(
    table: &RpcTable,
    args: &Arc<ArgsManager>,
    subversion: String,
    proxies: &NetworkProxies,
    policy: &mempool::Policy,
) {
    let relay_fee = policy.min_relay_fee_per_kvb;
    let incremental = policy.incremental_relay_fee_per_kvb;
    let network_active = args.get_bool_arg("-networkactive", true);
    let networks: Vec<_> = NETWORKS
        .iter()
        .map(|n| {
            let proxy = proxies.proxy(n);
            json!({
                "name": n,
                "limited": !proxies.reachable(n),
                "reachable": proxies.reachable(n),
                "proxy": proxy.map(|p| p.address.as_str()).unwrap_or(""),
                "proxy_randomize_credentials": proxy.is_some_and(|p| p.randomize_credentials),
            })
        })
        .collect();
    table.register(
        RpcMethod::new(
            "getnetworkinfo",
            "network",
            "Returns an object containing various state info regarding P2P networking.",
            move |_| {
                Ok(json!({
                    "version": numeric_version(),
                    "subversion": subversion,
                    "protocolversion": PROTOCOL_VERSION,
                    "localservices": "0000000000000000",
                    "localservicesnames": [],
                    "localrelay": true,
                    "timeoffset": 0,
                    "networkactive": network_active,
                    "connections": 0,
                    "connections_in": 0,
                    "connections_out": 0,
                    "networks": networks,
                    "relayfee": rpc::json::amount_to_value(relay_fee),
                    "incrementalfee": rpc::json::amount_to_value(incremental),
                    "localaddresses": [],
                    "warnings": [],
                }))
            },
        )
        .result("{\n  \"version\" : n,    (numeric) the server version\n  \"subversion\" : \"str\",    (string) the server subversion string\n  ...\n}"),
    );
}
