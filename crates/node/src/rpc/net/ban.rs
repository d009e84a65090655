//! The ban list: `setban`, `listbanned`, `clearbanned`.

use net::NetHandle;
use rpc::{rpc_params, Deferred, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

use super::{INVALID_IP_OR_SUBNET, NODE_ALREADY_ADDED};

rpc_params! {
    /// `setban`'s parameters.
    struct SetBanParams {
        /// The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 = single IP)
        subnet: String [Str, required],
        /// 'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the list
        command: String [Str, required],
        /// time in seconds how long (or until when if [absolute] is set) the IP is banned (0 or empty means using the default time of 24h which can also be overwritten by the -bantime startup argument)
        bantime: Deferred<i64> [Num, default = 0],
        /// If set, the bantime must be an absolute timestamp expressed in UNIX epoch time
        absolute: bool [Bool, default = false],
    }
}

/// Registers the ban-list RPCs; `bantime` is `-bantime`, the default ban.
pub(super) fn register(table: &RpcTable, net: NetHandle, bantime: i64) {
    let h = net.clone();
    table.register(
        RpcMethod::new(
            "setban",
            "network",
            "Attempts to add or remove an IP/Subnet from the banned list.",
            move |_, p: SetBanParams| {
                let subnet = p.subnet;
                match p.command.as_str() {
                    "add" => {
                        let mut duration = p.bantime.get()?;
                        let absolute = p.absolute;
                        let now = common::time::now_secs();
                        if duration <= 0 {
                            duration = bantime;
                        }
                        let until = if absolute { duration } else { now + duration };
                        if absolute && until < now {
                            return Err(RpcError::invalid_parameter("Error: Absolute timestamp is in the past"));
                        }
                        h.ban(&subnet, until).map_err(|e| match e {
                            None => RpcError::new(INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet"),
                            Some(()) => RpcError::new(NODE_ALREADY_ADDED, "Error: IP/Subnet already banned"),
                        })?;
                    }
                    "remove" => h.unban(&subnet).map_err(|e| match e {
                        None => RpcError::new(INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet"),
                        Some(()) => RpcError::new(
                            INVALID_IP_OR_SUBNET,
                            "Error: Unban failed. Requested address/subnet was not previously manually banned.",
                        ),
                    })?,
                    _ => return Err(RpcError::misc("setban \"subnet\" \"command\" ( bantime absolute )")),
                }
                Ok(Value::Null)
            },
        )
        .result("null    (json null)"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new("listbanned", "network", "List all manually banned IPs/Subnets.", move |_, ()| {
            let now = common::time::now_secs();
            Ok(Value::Array(
                h.bans()
                    .into_iter()
                    .map(|(addr, e)| {
                        json!({
                            "address": addr,
                            "ban_created": e.created,
                            "banned_until": e.until,
                            "ban_duration": e.until - e.created,
                            "time_remaining": e.until - now,
                        })
                    })
                    .collect(),
            ))
        })
        .result("[\n  {\n    \"address\" : \"str\",    (string) The IP/Subnet of the banned node\n    ...\n  },\n  ...\n]"),
    );

    let h = net.clone();
    table.register(
        RpcMethod::new(
            "clearbanned",
            "network",
            "Clear all banned IPs.",
            move |_, ()| {
                h.clear_bans();
                Ok(Value::Null)
            },
        )
        .result("null    (json null)"),
    );
}
