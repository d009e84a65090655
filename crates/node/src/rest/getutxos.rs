//! `/rest/getutxos[/checkmempool]/<txid>-<n>/...` (BIP64): which outpoints are
//! unspent, with their coins, as seen by the chain tip (and the mempool).

use super::format::{parse_format, to_integral, Format, ALL_FORMATS};
use super::{binary_reply, call, format_not_found, hex_reply, json_reply, rest_error};
use bitcoin::consensus::encode::{Decodable, Encodable, VarInt};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Txid};
use rpc::http::{Request, Response};
use rpc::RpcTable;
use serde_json::{json, Value};
use std::str::FromStr;

/// Core's cap on outpoints per request.
const MAX_GETUTXOS_OUTPOINTS: usize = 15;

/// Height Core gives coins that exist only in the mempool.
const MEMPOOL_HEIGHT: u32 = 0x7FFF_FFFF;

/// One unspent output found: its height, value and script.
struct FoundCoin {
    height: u32,
    json: Value,
    value_sat: i64,
    script_hex: String,
}

/// Serves BIP64 queries; outpoints come from the path, or from the body in
/// the binary and hex forms.
pub(super) fn rest_getutxos(table: &RpcTable, req: &Request, part: &str) -> Response {
    let (param, format) = parse_format(part);
    let uri_parts: Vec<&str> = if param.len() > 1 {
        param[1..].split('/').collect()
    } else {
        Vec::new()
    };
    let body = &req.body;
    if body.is_empty() && uri_parts.is_empty() {
        return rest_error(400, "Error: empty request");
    }
    let mut check_mempool = false;
    let mut outpoints = Vec::new();
    if !uri_parts.is_empty() {
        check_mempool = uri_parts[0] == "checkmempool";
        for item in &uri_parts[usize::from(check_mempool)..] {
            match parse_outpoint(item) {
                Some(o) => outpoints.push(o),
                None => return rest_error(400, "Parse error"),
            }
        }
        if outpoints.is_empty() {
            return rest_error(400, "Error: empty request");
        }
    }
    let uri_inputs = !outpoints.is_empty();
    match format {
        Format::Binary | Format::Hex => {
            let raw = if format == Format::Hex {
                // Core's hex parser yields nothing for malformed text.
                hex::decode(String::from_utf8_lossy(body).trim()).unwrap_or_default()
            } else {
                body.clone()
            };
            if !raw.is_empty() {
                if uri_inputs {
                    return rest_error(
                        400,
                        "Combination of URI scheme inputs and raw post data is not allowed",
                    );
                }
                match decode_request(&raw) {
                    Some((mempool, points)) => {
                        check_mempool = mempool;
                        outpoints = points;
                    }
                    None => return rest_error(400, "Parse error"),
                }
            }
        }
        Format::Json => {
            if !uri_inputs {
                return rest_error(400, "Error: empty request");
            }
        }
        Format::Undefined => return format_not_found(ALL_FORMATS),
    }
    if outpoints.len() > MAX_GETUTXOS_OUTPOINTS {
        return rest_error(
            400,
            format!(
                "Error: max outpoints exceeded (max: {MAX_GETUTXOS_OUTPOINTS}, tried: {})",
                outpoints.len()
            ),
        );
    }
    match lookup(table, &outpoints, check_mempool) {
        Ok((height, tip, hits, coins)) => reply(format, height, &tip, &hits, &coins),
        Err(r) => r,
    }
}

/// `<txid>-<n>` with a 64-digit txid and a plain decimal index.
fn parse_outpoint(item: &str) -> Option<OutPoint> {
    let (txid, n) = item.split_once('-')?;
    if !super::is_hash(txid) {
        return None;
    }
    Some(OutPoint::new(Txid::from_str(txid).ok()?, to_integral(n)?))
}

/// The binary request: a mempool flag byte, then a vector of outpoints.
fn decode_request(mut raw: &[u8]) -> Option<(bool, Vec<OutPoint>)> {
    let check_mempool = bool::consensus_decode(&mut raw).ok()?;
    let count = VarInt::consensus_decode(&mut raw).ok()?.0;
    // Each outpoint takes 36 bytes, so a larger count cannot be honest.
    if count > (raw.len() / 36) as u64 {
        return None;
    }
    let mut outpoints = Vec::new();
    for _ in 0..count {
        outpoints.push(OutPoint::consensus_decode(&mut raw).ok()?);
    }
    Some((check_mempool, outpoints))
}

type Lookup = (i64, BlockHash, Vec<bool>, Vec<FoundCoin>);

/// Looks every outpoint up with `gettxout`, plus the tip it was answered at.
fn lookup(table: &RpcTable, outpoints: &[OutPoint], mempool: bool) -> Result<Lookup, Response> {
    let height = call(table, "getblockcount", Vec::new())?
        .as_i64()
        .unwrap_or_default();
    let tip_hex = call(table, "getbestblockhash", Vec::new())?;
    let tip = tip_hex
        .as_str()
        .and_then(|s| BlockHash::from_str(s).ok())
        .unwrap_or_else(BlockHash::all_zeros);
    let mut hits = Vec::new();
    let mut coins = Vec::new();
    for outpoint in outpoints {
        let params = vec![
            json!(outpoint.txid.to_string()),
            json!(outpoint.vout),
            json!(mempool),
        ];
        let found = call(table, "gettxout", params)?;
        hits.push(!found.is_null());
        if found.is_null() {
            continue;
        }
        let confirmations = found["confirmations"].as_i64().unwrap_or(0);
        let coin_height = if confirmations <= 0 {
            MEMPOOL_HEIGHT
        } else {
            u32::try_from(height - confirmations + 1).unwrap_or(0)
        };
        let value_sat = rpc::json::amount_from_value(&found["value"], 8).unwrap_or_default();
        coins.push(FoundCoin {
            height: coin_height,
            value_sat,
            script_hex: found["scriptPubKey"]["hex"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            json: json!({
                "height": coin_height,
                "value": found["value"],
                "scriptPubKey": found["scriptPubKey"],
            }),
        });
    }
    Ok((height, tip, hits, coins))
}

/// The BIP64 reply in the requested format.
fn reply(
    format: Format,
    height: i64,
    tip: &BlockHash,
    hits: &[bool],
    coins: &[FoundCoin],
) -> Response {
    match format {
        Format::Json => json_reply(&json!({
            "chainHeight": height,
            "chaintipHash": tip.to_string(),
            "bitmap": hits.iter().map(|h| if *h { '1' } else { '0' }).collect::<String>(),
            "utxos": coins.iter().map(|c| c.json.clone()).collect::<Vec<_>>(),
        })),
        _ => {
            let bytes = serialize(height, tip, hits, coins);
            if format == Format::Binary {
                binary_reply(bytes)
            } else {
                hex_reply(&hex::encode(bytes))
            }
        }
    }
}

/// Height, tip, bitmap and coins in Core's wire layout.
fn serialize(height: i64, tip: &BlockHash, hits: &[bool], coins: &[FoundCoin]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(height as i32).to_le_bytes());
    out.extend_from_slice(tip.as_byte_array());
    let mut bitmap = vec![0u8; hits.len().div_ceil(8)];
    for (i, hit) in hits.iter().enumerate() {
        bitmap[i / 8] |= u8::from(*hit) << (i % 8);
    }
    // Writing into a Vec cannot fail.
    let _ = bitmap.consensus_encode(&mut out);
    let _ = VarInt(coins.len() as u64).consensus_encode(&mut out);
    for coin in coins {
        // The leading zero is the unused transaction version of Core's CCoin.
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&coin.height.to_le_bytes());
        out.extend_from_slice(&coin.value_sat.to_le_bytes());
        let script = hex::decode(&coin.script_hex).unwrap_or_default();
        let _ = script.consensus_encode(&mut out);
    }
    out
}
