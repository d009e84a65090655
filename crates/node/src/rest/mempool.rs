//! `/rest/mempool/info.json` and `/rest/mempool/contents.json`.

use super::format::{parse_format, query_param, Format};
use super::{call, format_not_found, json_reply, rest_error};
use rpc::http::{Request, Response};
use rpc::RpcTable;
use serde_json::json;

/// Serves `getmempoolinfo` or `getrawmempool` (with `verbose` and
/// `mempool_sequence` taken from the query string).
pub(super) fn rest_mempool(table: &RpcTable, req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    if param != "contents" && param != "info" {
        return rest_error(
            400,
            "Invalid URI format. Expected /rest/mempool/<info|contents>.json",
        );
    }
    if format != Format::Json {
        return format_not_found("json");
    }
    let result = if param == "info" {
        call(table, "getmempoolinfo", Vec::new())
    } else {
        let verbose = match bool_query(req, "verbose", true) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let sequence = match bool_query(req, "mempool_sequence", false) {
            Ok(b) => b,
            Err(r) => return r,
        };
        if verbose && sequence {
            return rest_error(
                400,
                "Verbose results cannot contain mempool sequence values. (hint: set \"verbose=false\")",
            );
        }
        call(
            table,
            "getrawmempool",
            vec![json!(verbose), json!(sequence)],
        )
    };
    match result {
        Ok(v) => json_reply(&v),
        Err(r) => r,
    }
}

/// A query flag that must be exactly `true` or `false` when present.
fn bool_query(req: &Request, key: &str, default: bool) -> Result<bool, Response> {
    match query_param(&req.target, key).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(rest_error(
            400,
            format!("The \"{key}\" query parameter must be either \"true\" or \"false\"."),
        )),
    }
}
