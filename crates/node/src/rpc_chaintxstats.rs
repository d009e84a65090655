//! `getchaintxstats`: transaction count and rate over a window of the
//! active chain.

use std::sync::Arc;

use chain::{Chainstate, IndexEntry};
use rpc::{Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use crate::rpc_blockchain::lookup;
use chainstate_service::NodeChain;
use rpc::json::parse_hash;

/// Default window: about one month of blocks.
const DEFAULT_WINDOW_SECS: i64 = 30 * 24 * 60 * 60;

fn window_stats(end: &IndexEntry, start: &IndexEntry, blocks: u32) -> Value {
    let mut o = Map::new();
    o.insert("time".into(), json!(end.header.time));
    // Zero means unknown (a block or ancestor without data).
    if end.chain_tx != 0 {
        o.insert("txcount".into(), json!(end.chain_tx));
    }
    o.insert(
        "window_final_block_hash".into(),
        json!(end.hash.to_string()),
    );
    o.insert("window_final_block_height".into(), json!(end.height));
    o.insert("window_block_count".into(), json!(blocks));
    if blocks > 0 {
        let interval = i64::from(end.median_time_past) - i64::from(start.median_time_past);
        o.insert("window_interval".into(), json!(interval));
        if end.chain_tx != 0 && start.chain_tx != 0 {
            let count = end.chain_tx - start.chain_tx;
            o.insert("window_tx_count".into(), json!(count));
            if interval > 0 {
                o.insert("txrate".into(), json!(count as f64 / interval as f64));
            }
        }
    }
    Value::Object(o)
}

fn chain_tx_stats(
    cs: &Chainstate,
    nblocks: Option<i64>,
    hash: Option<&str>,
) -> Result<Value, RpcError> {
    let id = match hash {
        Some(h) => {
            let id = lookup(cs, &parse_hash(h, "blockhash")?)?;
            if !cs.is_active(id) {
                return Err(RpcError::invalid_parameter("Block is not in main chain"));
            }
            id
        }
        None => cs.tip().ok_or_else(|| RpcError::misc("No active chain"))?,
    };
    let end = cs
        .index()
        .entry(id)
        .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
    let height = i64::from(end.height);
    let blocks = match nblocks {
        None => {
            let spacing = cs.params().pow_target_spacing.max(1);
            (DEFAULT_WINDOW_SECS / spacing).min(height - 1).max(0)
        }
        Some(n) if n < 0 || (n > 0 && n >= height) => {
            return Err(RpcError::invalid_parameter(
                "Invalid block count: should be between 0 and the block's height - 1",
            ))
        }
        Some(n) => n,
    };
    let blocks = u32::try_from(blocks).unwrap_or(0);
    let start = cs
        .index()
        .ancestor_id(id, end.height - blocks)
        .and_then(|a| cs.index().entry(a))
        .ok_or_else(|| RpcError::misc("Window start not found"))?;
    Ok(window_stats(end, start, blocks))
}

/// Registers `getchaintxstats`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    table.register(
        RpcMethod::new(
            "getchaintxstats",
            "blockchain",
            "Compute statistics about the total number and rate of transactions in the chain.",
            move |req| {
                let nblocks = req.params.opt_i64(0)?;
                let hash = req.params.opt_str(1)?;
                chain_tx_stats(&chain.lock(), nblocks, hash)
            },
        )
        .args(vec![
            Arg::with_hint(
                "nblocks",
                ArgType::Num,
                "one month",
                "Size of the window in number of blocks",
            ),
            Arg::with_hint(
                "blockhash",
                ArgType::StrHex,
                "chain tip",
                "The hash of the block that ends the window.",
            ),
        ]),
    );
}
