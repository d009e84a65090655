//! `/rest/tx/<txid>`: a transaction from the mempool or the transaction index.

use super::format::parse_format;
use super::{call, call_mapped, is_hash, reply_in, rest_error};
use rpc::http::{Request, Response};
use rpc::RpcTable;
use serde_json::json;

/// Serves one transaction as `getrawtransaction` finds it.
pub(super) fn rest_tx(table: &RpcTable, _req: &Request, part: &str) -> Response {
    let (txid, format) = parse_format(part);
    if !is_hash(&txid) {
        return rest_error(400, format!("Invalid hash: {txid}"));
    }
    let hex = match call_mapped(table, "getrawtransaction", vec![json!(txid)], |_| {
        rest_error(404, format!("{txid} not found"))
    }) {
        Ok(v) => v.as_str().unwrap_or_default().to_string(),
        Err(r) => return r,
    };
    reply_in(format, &hex, || {
        let mut tx = call(table, "getrawtransaction", vec![json!(txid), json!(1)])?;
        // Core's REST view names the block but not the chain-relative fields.
        if let Some(obj) = tx.as_object_mut() {
            for key in ["confirmations", "time", "blocktime"] {
                obj.remove(key);
            }
        }
        Ok(tx)
    })
}
