//! Block, header, chain-info, deployment and height endpoints.

use super::format::{parse_format, query_param, to_integral, Format, ALL_FORMATS};
use super::{
    binary_reply, call, call_mapped, format_not_found, hex_reply, is_hash, json_reply, reply_in,
    rest_error,
};
use rpc::http::{Request, Response};
use rpc::RpcTable;
use serde_json::{json, Value};

/// Core's cap on headers (and filter headers) per request.
const MAX_REST_HEADERS_RESULTS: u64 = 2000;

/// `/rest/block/<hash>`: transactions in JSON with prevout details.
pub(super) fn rest_block(table: &RpcTable, _req: &Request, part: &str) -> Response {
    block(table, part, 3)
}

/// `/rest/block/notxdetails/<hash>`: transactions in JSON as txids only.
pub(super) fn rest_block_notxdetails(table: &RpcTable, _req: &Request, part: &str) -> Response {
    block(table, part, 1)
}

/// `/rest/blockpart/<hash>?offset=O&size=S`: a byte range of the raw block.
pub(super) fn rest_block_part(table: &RpcTable, req: &Request, part: &str) -> Response {
    let query = |key| to_integral::<usize>(&query_param(&req.target, key).unwrap_or_default());
    let Some(offset) = query("offset") else {
        return rest_error(400, "Block part offset missing or invalid");
    };
    let Some(size) = query("size") else {
        return rest_error(400, "Block part size missing or invalid");
    };
    block_bytes(table, part, None, Some((offset, size)))
}

fn block(table: &RpcTable, part: &str, verbosity: i64) -> Response {
    block_bytes(table, part, Some(verbosity), None)
}

/// A block (or a byte range of it) as raw bytes, hex, or `getblock` JSON at
/// `verbosity` (no JSON when that is `None`).
fn block_bytes(
    table: &RpcTable,
    part: &str,
    verbosity: Option<i64>,
    range: Option<(usize, usize)>,
) -> Response {
    let (hash, format) = parse_format(part);
    if !is_hash(&hash) {
        return rest_error(400, format!("Invalid hash: {hash}"));
    }
    let raw = match call_mapped(table, "getblock", vec![json!(hash), json!(0)], |e| {
        block_missing(&hash, &e.message)
    }) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut hex = raw.as_str().unwrap_or_default();
    if let Some((offset, size)) = range {
        let len = hex.len() / 2;
        if size == 0 || offset.saturating_add(size) > len {
            return rest_error(
                400,
                format!("Bad block part offset/size {offset}/{size} for {hash}"),
            );
        }
        hex = &hex[offset * 2..(offset + size) * 2];
    }
    reply_in(format, hex, || match verbosity {
        Some(v) => call(table, "getblock", vec![json!(hash), json!(v)]),
        None => Err(rest_error(
            400,
            "JSON output is not supported for this request type",
        )),
    })
}

/// Core's texts for a block that cannot be served.
pub(super) fn block_missing(hash: &str, rpc_message: &str) -> Response {
    if rpc_message.contains("on disk") {
        rest_error(500, format!("I/O error reading {hash}"))
    } else if rpc_message.contains("not found") {
        rest_error(404, format!("{hash} not found"))
    } else if rpc_message.contains("pruned") {
        rest_error(404, format!("{hash} not available (pruned data)"))
    } else {
        rest_error(404, format!("{hash} not available (not fully downloaded)"))
    }
}

/// `/rest/headers/<hash>?count=N` (and the older `/rest/headers/<N>/<hash>`):
/// up to N headers of the active chain starting at `hash`.
pub(super) fn rest_headers(table: &RpcTable, req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    let path: Vec<&str> = param.split('/').collect();
    let (hash, raw_count) = match path.as_slice() {
        [count, hash] => (hash.to_string(), count.to_string()),
        [hash] => (
            hash.to_string(),
            query_param(&req.target, "count").unwrap_or_else(|| "5".to_string()),
        ),
        _ => {
            return rest_error(
                400,
                "Invalid URI format. Expected /rest/headers/<hash>.<ext>?count=<count>",
            )
        }
    };
    let count = match parse_count(&raw_count) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !is_hash(&hash) {
        return rest_error(400, format!("Invalid hash: {hash}"));
    }
    let headers = match active_headers_from(table, &hash, count) {
        Ok(h) => h,
        Err(r) => return r,
    };
    match format {
        Format::Json => json_reply(&Value::Array(headers)),
        Format::Binary | Format::Hex => {
            let mut hex = String::new();
            for header in &headers {
                let hash = header["hash"].clone();
                match call(table, "getblockheader", vec![hash, json!(false)]) {
                    Ok(v) => hex.push_str(v.as_str().unwrap_or_default()),
                    Err(r) => return r,
                }
            }
            reply_in(format, &hex, || Ok(Value::Null))
        }
        Format::Undefined => format_not_found(ALL_FORMATS),
    }
}

/// A header count within Core's limits, or its 400 reply.
pub(super) fn parse_count(raw_count: &str) -> Result<u64, Response> {
    match to_integral::<u64>(raw_count) {
        Some(n) if (1..=MAX_REST_HEADERS_RESULTS).contains(&n) => Ok(n),
        _ => Err(rest_error(
            400,
            format!(
                "Header count is invalid or out of acceptable range (1-{MAX_REST_HEADERS_RESULTS}): {raw_count}"
            ),
        )),
    }
}

/// The JSON headers of up to `count` active-chain blocks from `hash` on; empty
/// when `hash` is unknown or not in the active chain.
pub(super) fn active_headers_from(
    table: &RpcTable,
    hash: &str,
    count: u64,
) -> Result<Vec<Value>, Response> {
    let mut headers = Vec::new();
    let mut next = Some(hash.to_string());
    while let Some(hash) = next.take() {
        let header = match call_mapped(table, "getblockheader", vec![json!(hash)], |_| {
            Response::status(404)
        }) {
            Ok(h) => h,
            Err(r) if r.status == 503 => return Err(r),
            Err(_) => break,
        };
        if header["confirmations"].as_i64().unwrap_or(-1) < 0 {
            break;
        }
        next = header["nextblockhash"].as_str().map(str::to_string);
        headers.push(header);
        if headers.len() as u64 >= count {
            break;
        }
    }
    Ok(headers)
}

/// `/rest/chaininfo.json`: `getblockchaininfo`.
pub(super) fn rest_chaininfo(table: &RpcTable, _req: &Request, part: &str) -> Response {
    match parse_format(part).1 {
        Format::Json => match call(table, "getblockchaininfo", Vec::new()) {
            Ok(v) => json_reply(&v),
            Err(r) => r,
        },
        _ => format_not_found("json"),
    }
}

/// `/rest/deploymentinfo[/<hash>].json`: `getdeploymentinfo`.
pub(super) fn rest_deploymentinfo(table: &RpcTable, _req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    if format != Format::Json {
        return format_not_found("json");
    }
    let mut params = Vec::new();
    if !param.is_empty() {
        if !is_hash(&param) {
            return rest_error(400, format!("Invalid hash: {param}"));
        }
        if let Err(r) = call_mapped(table, "getblockheader", vec![json!(param)], |_| {
            rest_error(400, "Block not found")
        }) {
            return r;
        }
        params.push(json!(param));
    }
    match call(table, "getdeploymentinfo", params) {
        Ok(v) => json_reply(&v),
        Err(r) => r,
    }
}

/// `/rest/blockhashbyheight/<height>`: the active chain's hash at a height.
pub(super) fn rest_blockhash_by_height(table: &RpcTable, _req: &Request, part: &str) -> Response {
    let (height_str, format) = parse_format(part);
    let height = match to_integral::<i32>(&height_str) {
        Some(h) if h >= 0 => h,
        _ => {
            return rest_error(
                400,
                format!("Invalid height: {}", sanitize_uri(&height_str)),
            )
        }
    };
    let hash = match call_mapped(table, "getblockhash", vec![json!(height)], |_| {
        rest_error(404, "Block height out of range")
    }) {
        Ok(v) => v.as_str().unwrap_or_default().to_string(),
        Err(r) => return r,
    };
    match format {
        Format::Binary => match hex::decode(&hash) {
            // The wire order of a hash is the reverse of its display order.
            Ok(mut bytes) => {
                bytes.reverse();
                binary_reply(bytes)
            }
            Err(_) => rest_error(500, "Internal error: bad hex from RPC"),
        },
        Format::Hex => hex_reply(&hash),
        Format::Json => json_reply(&json!({ "blockhash": hash })),
        Format::Undefined => format_not_found(ALL_FORMATS),
    }
}

/// Keeps the characters Core's `SAFE_CHARS_URI` allows in echoed input.
fn sanitize_uri(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!*'();:@&=+$,/?#[]-_.~%".contains(*c))
        .collect()
}
