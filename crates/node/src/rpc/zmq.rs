//! `getzmqnotifications`: the ZeroMQ publishers the node runs.

use std::sync::{Arc, OnceLock};

use rpc::{RpcMethod, RpcTable};
use serde_json::{json, Value};
use zmq_notify::ZmqNotifications;

/// The running notifiers, set once at start-up when any is configured.
pub type ZmqSlot = Arc<OnceLock<Arc<ZmqNotifications>>>;

/// The result section of the help, columns aligned as Core aligns them.
fn result_help() -> String {
    let rows: [(&str, &str); 8] = [
        ("[", "(json array)"),
        ("  {", "(json object)"),
        ("    \"type\" : \"str\",", "(string) Type of notification"),
        (
            "    \"address\" : \"str\",",
            "(string) Address of the publisher",
        ),
        (
            "    \"hwm\" : n",
            "(numeric) Outbound message high water mark",
        ),
        ("  },", ""),
        ("  ...", ""),
        ("]", ""),
    ];
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 4;
    rows.iter()
        .map(|(left, right)| {
            if right.is_empty() {
                left.to_string()
            } else {
                format!("{left:width$}{right}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Registers `getzmqnotifications` over `slot`.
pub fn register(table: &RpcTable, slot: ZmqSlot) {
    table.register(
        RpcMethod::new(
            "getzmqnotifications",
            "zmq",
            "Returns information about the active ZeroMQ notifications.\n",
            move |_, ()| {
                let active = slot.get().map(|z| z.active()).unwrap_or_default();
                Ok(Value::Array(
                    active
                        .into_iter()
                        .map(|n| json!({"type": n.kind.name(), "address": n.address, "hwm": n.hwm}))
                        .collect(),
                ))
            },
        )
        .result(result_help())
        .examples("> bitcoin-cli getzmqnotifications \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"getzmqnotifications\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_columns_line_up_past_the_longest_field() {
        let help = result_help();
        let lines: Vec<&str> = help.lines().collect();
        assert_eq!(lines[0], format!("[{}(json array)", " ".repeat(25)));
        assert_eq!(
            lines[3],
            "    \"address\" : \"str\",    (string) Address of the publisher"
        );
        assert_eq!(lines.len(), 8);
    }
}
