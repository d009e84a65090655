//! `/rest/blockfilter/<type>/<hash>` and `/rest/blockfilterheaders/<type>/<hash>`
//! (BIP157 filters from `-blockfilterindex`).

use super::chain::{active_headers_from, parse_count};
use super::format::{parse_format, query_param, Format, ALL_FORMATS};
use super::{call_mapped, format_not_found, is_hash, json_reply, reply_in, rest_error};
use bitcoin::consensus::encode::Encodable;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use rpc::http::{Request, Response};
use rpc::{RpcError, RpcTable};
use serde_json::{json, Value};
use std::str::FromStr;

/// The one filter type Core defines, and its serialized type byte.
const BASIC: &str = "basic";
const BASIC_TYPE_BYTE: u8 = 0;

/// Serves one block's filter.
pub(super) fn rest_block_filter(table: &RpcTable, _req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    let parts: Vec<&str> = param.split('/').collect();
    let [filtertype, hash] = parts.as_slice() else {
        return rest_error(
            400,
            "Invalid URI format. Expected /rest/blockfilter/<filtertype>/<blockhash>",
        );
    };
    if let Err(r) = check_type_and_hash(filtertype, hash) {
        return r;
    }
    let found = match filter_of(table, filtertype, hash) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let filter_hex = found["filter"].as_str().unwrap_or_default();
    let mut bytes = vec![BASIC_TYPE_BYTE];
    let block = BlockHash::from_str(hash).unwrap_or_else(|_| BlockHash::all_zeros());
    bytes.extend_from_slice(block.as_byte_array());
    // Writing into a Vec cannot fail.
    let _ = hex::decode(filter_hex)
        .unwrap_or_default()
        .consensus_encode(&mut bytes);
    reply_in(format, &hex::encode(bytes), || {
        Ok(json!({ "filter": filter_hex }))
    })
}

/// Serves the filter headers of up to `count` active-chain blocks from a hash.
pub(super) fn rest_filter_header(table: &RpcTable, req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    let parts: Vec<&str> = param.split('/').collect();
    let (filtertype, hash, raw_count) = match parts.as_slice() {
        [t, count, hash] => (*t, *hash, count.to_string()),
        [t, hash] => (
            *t,
            *hash,
            query_param(&req.target, "count").unwrap_or_else(|| "5".to_string()),
        ),
        _ => return rest_error(
            400,
            "Invalid URI format. Expected /rest/blockfilterheaders/<filtertype>/<blockhash>.<ext>?count=<count>",
        ),
    };
    let count = match parse_count(&raw_count) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if let Err(r) = check_type_and_hash(filtertype, hash) {
        return r;
    }
    let headers = match active_headers_from(table, hash, count) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let mut filter_headers = Vec::new();
    for header in &headers {
        let block = header["hash"].as_str().unwrap_or_default();
        match filter_of(table, filtertype, block) {
            Ok(v) => filter_headers.push(v["header"].as_str().unwrap_or_default().to_string()),
            Err(r) => return r,
        }
    }
    match format {
        Format::Json => json_reply(&Value::from(filter_headers)),
        Format::Undefined => format_not_found(ALL_FORMATS),
        _ => {
            let mut bytes = Vec::new();
            for h in &filter_headers {
                // Filter headers print reversed, like block hashes.
                let mut raw = hex::decode(h).unwrap_or_default();
                raw.reverse();
                bytes.extend_from_slice(&raw);
            }
            reply_in(format, &hex::encode(bytes), || Ok(Value::Null))
        }
    }
}

/// Core checks the hash before the filter type.
fn check_type_and_hash(filtertype: &str, hash: &str) -> Result<(), Response> {
    if !is_hash(hash) {
        return Err(rest_error(400, format!("Invalid hash: {hash}")));
    }
    if filtertype != BASIC {
        return Err(rest_error(400, format!("Unknown filtertype {filtertype}")));
    }
    Ok(())
}

/// `getblockfilter` with its errors turned into Core's REST replies.
fn filter_of(table: &RpcTable, filtertype: &str, hash: &str) -> Result<Value, Response> {
    call_mapped(
        table,
        "getblockfilter",
        vec![json!(hash), json!(filtertype)],
        |e: RpcError| {
            if e.message.starts_with("Index is not enabled") {
                rest_error(400, e.message)
            } else if e.message == "Block not found" {
                rest_error(404, format!("{hash} not found"))
            } else {
                rest_error(404, e.message)
            }
        },
    )
}
