//! Core's public REST interface (`-rest`): unauthenticated GET endpoints under
//! `/rest/` on the RPC port, answered in binary, hex or JSON.
//!
//! The handlers run the node's own RPC methods in-process, so every JSON body
//! is byte-for-byte the RPC result a client would get for the same query.

mod chain;
mod filter;
mod format;
mod getutxos;
mod mempool;
mod spent;
mod tx;

use rpc::http::{HttpServer, PathHandler, Request, Response};
use rpc::{RpcError, RpcRequest, RpcTable};
use serde_json::Value;
use std::sync::Arc;

pub use format::Format;

/// Signature every REST endpoint implements: the table to query, the request,
/// and the part of the target after the endpoint's prefix.
type Endpoint = fn(&RpcTable, &Request, &str) -> Response;

/// Prefixes in the order Core matches them (longer, more specific first where
/// one prefix contains another).
const ENDPOINTS: &[(&str, Endpoint)] = &[
    ("/rest/tx/", tx::rest_tx),
    ("/rest/block/notxdetails/", chain::rest_block_notxdetails),
    ("/rest/block/", chain::rest_block),
    ("/rest/blockpart/", chain::rest_block_part),
    ("/rest/blockfilter/", filter::rest_block_filter),
    ("/rest/blockfilterheaders/", filter::rest_filter_header),
    ("/rest/chaininfo", chain::rest_chaininfo),
    ("/rest/mempool/", mempool::rest_mempool),
    ("/rest/headers/", chain::rest_headers),
    ("/rest/getutxos", getutxos::rest_getutxos),
    ("/rest/deploymentinfo/", chain::rest_deploymentinfo),
    ("/rest/deploymentinfo", chain::rest_deploymentinfo),
    ("/rest/blockhashbyheight/", chain::rest_blockhash_by_height),
    ("/rest/spenttxouts/", spent::rest_spent_txouts),
];

/// Registers every REST endpoint with `http`, answering from `table`.
pub fn register(http: &HttpServer, table: Arc<RpcTable>) {
    for (prefix, endpoint) in ENDPOINTS {
        let table = table.clone();
        let endpoint = *endpoint;
        let prefix_len = prefix.len();
        let handler: PathHandler = Arc::new(move |req, _peer| {
            let rest = req.target.get(prefix_len..).unwrap_or("");
            endpoint(&table, req, rest)
        });
        http.register_handler(prefix, false, handler);
    }
}

/// A plain-text error reply in Core's REST shape (message plus CRLF).
fn rest_error(status: u16, message: impl AsRef<str>) -> Response {
    Response::text(status, format!("{}\r\n", message.as_ref()))
        .with_header("Content-Type", "text/plain")
}

/// The `404` Core sends for a missing or unsupported extension.
fn format_not_found(available: &str) -> Response {
    rest_error(
        404,
        format!("output format not found (available: {available})"),
    )
}

/// Runs one RPC method in-process; an error becomes a `500` reply.
fn call(table: &RpcTable, method: &str, params: Vec<Value>) -> Result<Value, Response> {
    call_mapped(table, method, params, |e| rest_error(500, e.message))
}

/// Runs one RPC method in-process; warm-up becomes Core's REST `503` and any
/// other error is turned into a reply by `on_error`.
fn call_mapped(
    table: &RpcTable,
    method: &str,
    params: Vec<Value>,
    on_error: impl FnOnce(RpcError) -> Response,
) -> Result<Value, Response> {
    table
        .execute(RpcRequest::new(method, Vec::new()), Value::Array(params))
        .map_err(|e| {
            if e.code == rpc::error::code::IN_WARMUP {
                rest_error(
                    503,
                    format!("Service temporarily unavailable: {}", e.message),
                )
            } else {
                on_error(e)
            }
        })
}

/// The `.bin` / `.hex` / `.json` reply for a value available as hex and JSON;
/// `json` is only evaluated when asked for.
fn reply_in(format: Format, hex: &str, json: impl FnOnce() -> Result<Value, Response>) -> Response {
    match format {
        Format::Binary => match hex::decode(hex) {
            Ok(bytes) => binary_reply(bytes),
            Err(_) => rest_error(500, "Internal error: bad hex from RPC"),
        },
        Format::Hex => hex_reply(hex),
        Format::Json => match json() {
            Ok(v) => json_reply(&v),
            Err(r) => r,
        },
        Format::Undefined => format_not_found(format::ALL_FORMATS),
    }
}

/// A `200` JSON reply with Core's trailing newline.
fn json_reply(value: &Value) -> Response {
    Response::json(200, format!("{value}\n"))
}

/// A `200` reply carrying raw bytes.
fn binary_reply(bytes: Vec<u8>) -> Response {
    let mut r = Response::status(200).with_header("Content-Type", "application/octet-stream");
    r.body = bytes;
    r
}

/// A `200` reply carrying hex text plus newline.
fn hex_reply(hex: &str) -> Response {
    Response::text(200, format!("{hex}\n")).with_header("Content-Type", "text/plain")
}

/// Whether `s` is what Core's `uint256::FromHex` accepts: 64 hex digits.
fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
