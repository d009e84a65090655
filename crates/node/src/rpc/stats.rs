//! Block and chain statistics: `getblockstats` (fee, size and UTXO
//! statistics of one block, computed from the block and its undo data;
//! amounts in satoshis) and `getchaintxstats` (transaction count and rate over
//! a window of the active chain).

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::consensus::encode::serialize;
use bitcoin::{Block, TxOut};
use blockstore::BlockUndo;
use chain::{Chainstate, IndexEntry};
use chainstate_service::NodeChain;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use crate::rpc::blockchain::{lookup, parse_hash_or_height};

/// Bytes a UTXO costs beyond its output: the outpoint (36) and the packed
/// height/coinbase word (4), as Core counts them.
const PER_UTXO_OVERHEAD: u64 = 36 + 4;

/// Feerate percentiles reported, as fractions of the block's weight.
const PERCENTILES: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.9];

/// Serialized size of an output plus the per-UTXO overhead.
fn utxo_size(out: &TxOut) -> u64 {
    let script = out.script_pubkey.len() as u64;
    8 + compact_size_len(script) + script + PER_UTXO_OVERHEAD
}

fn compact_size_len(n: u64) -> u64 {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Median of `values`, averaging the two middle ones for an even count.
fn truncated_median(values: &mut [i64]) -> i64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let n = values.len();
    if n.is_multiple_of(2) {
        (values[n / 2 - 1] + values[n / 2]) / 2
    } else {
        values[n / 2]
    }
}

/// Feerates at the weight percentiles: walking transactions by increasing
/// feerate, the first one whose cumulative weight reaches each mark.
fn percentiles_by_weight(scores: &mut [(i64, i64)], total_weight: i64) -> [i64; 5] {
    let mut result = [0i64; 5];
    let Some(&(last, _)) = scores.iter().max() else {
        return result;
    };
    scores.sort_unstable();
    let marks = PERCENTILES.map(|p| total_weight as f64 * p);
    let mut next = 0;
    let mut cumulative = 0i64;
    for &(feerate, weight) in scores.iter() {
        cumulative += weight;
        while next < marks.len() && cumulative as f64 >= marks[next] {
            result[next] = feerate;
            next += 1;
        }
    }
    for r in result.iter_mut().skip(next) {
        *r = last;
    }
    result
}

/// Where a block sits: what the statistics need beyond the block itself.
pub struct BlockPlace {
    /// Height of the block.
    pub height: u32,
    /// Hash of the block.
    pub hash: bitcoin::BlockHash,
    /// Block time.
    pub time: u32,
    /// Median time past.
    pub median_time: u32,
    /// Block subsidy at this height.
    pub subsidy: i64,
    /// Whether the coinbase's outputs do not enter the UTXO set (genesis and
    /// the repeated BIP30 coinbases).
    pub coinbase_not_in_utxo_set: bool,
}

/// Every statistic of `block` (Core's `getblockstats` with no selection).
pub fn block_stats(block: &Block, undo: &BlockUndo, place: &BlockPlace) -> Map<String, Value> {
    let mut maxfee = 0i64;
    let mut maxfeerate = 0i64;
    let mut minfee: Option<i64> = None;
    let mut minfeerate: Option<i64> = None;
    let (mut total_out, mut totalfee, mut inputs, mut outputs) = (0i64, 0i64, 0i64, 0i64);
    let (mut maxtxsize, mut mintxsize) = (0i64, None::<i64>);
    let (mut swtotal_size, mut swtotal_weight, mut swtxs) = (0i64, 0i64, 0i64);
    let (mut total_size, mut total_weight) = (0i64, 0i64);
    let (mut utxos, mut utxo_size_inc, mut utxo_size_inc_actual) = (0i64, 0i64, 0i64);
    let mut fees = Vec::new();
    let mut feerates = Vec::new();
    let mut sizes = Vec::new();

    for (i, tx) in block.txdata.iter().enumerate() {
        outputs += tx.output.len() as i64;
        let mut tx_out = 0i64;
        let is_coinbase = i == 0;
        for out in &tx.output {
            tx_out += out.value.to_sat() as i64;
            let size = utxo_size(out) as i64;
            utxo_size_inc += size;
            let skip = place.height == 0 || (is_coinbase && place.coinbase_not_in_utxo_set);
            if skip || chain::connect::is_unspendable(out) {
                continue;
            }
            utxos += 1;
            utxo_size_inc_actual += size;
        }
        if is_coinbase {
            continue;
        }
        inputs += tx.input.len() as i64;
        total_out += tx_out;

        let size = serialize(tx).len() as i64;
        sizes.push(size);
        maxtxsize = maxtxsize.max(size);
        mintxsize = Some(mintxsize.map_or(size, |m| m.min(size)));
        total_size += size;
        let weight = tx.weight().to_wu() as i64;
        total_weight += weight;
        if tx.input.iter().any(|inp| !inp.witness.is_empty()) {
            swtxs += 1;
            swtotal_size += size;
            swtotal_weight += weight;
        }

        let mut tx_in = 0i64;
        if let Some(tx_undo) = undo.txs.get(i - 1) {
            for coin in &tx_undo.prevouts {
                tx_in += coin.output.value.to_sat() as i64;
                let size = utxo_size(&coin.output) as i64;
                utxo_size_inc -= size;
                utxo_size_inc_actual -= size;
            }
        }
        let fee = tx_in - tx_out;
        fees.push(fee);
        maxfee = maxfee.max(fee);
        minfee = Some(minfee.map_or(fee, |m| m.min(fee)));
        totalfee += fee;
        let feerate = if weight > 0 { fee * 4 / weight } else { 0 };
        feerates.push((feerate, weight));
        maxfeerate = maxfeerate.max(feerate);
        minfeerate = Some(minfeerate.map_or(feerate, |m| m.min(feerate)));
    }

    let non_coinbase = block.txdata.len().saturating_sub(1) as i64;
    let per_tx = |total: i64| {
        if non_coinbase > 0 {
            total / non_coinbase
        } else {
            0
        }
    };
    let mut o = Map::new();
    o.insert("avgfee".into(), json!(per_tx(totalfee)));
    o.insert(
        "avgfeerate".into(),
        json!(if total_weight > 0 {
            totalfee * 4 / total_weight
        } else {
            0
        }),
    );
    o.insert("avgtxsize".into(), json!(per_tx(total_size)));
    o.insert("blockhash".into(), json!(place.hash.to_string()));
    o.insert(
        "feerate_percentiles".into(),
        json!(percentiles_by_weight(&mut feerates, total_weight)),
    );
    o.insert("height".into(), json!(place.height));
    o.insert("ins".into(), json!(inputs));
    o.insert("maxfee".into(), json!(maxfee));
    o.insert("maxfeerate".into(), json!(maxfeerate));
    o.insert("maxtxsize".into(), json!(maxtxsize));
    o.insert("medianfee".into(), json!(truncated_median(&mut fees)));
    o.insert("mediantime".into(), json!(place.median_time));
    o.insert("mediantxsize".into(), json!(truncated_median(&mut sizes)));
    o.insert("minfee".into(), json!(minfee.unwrap_or(0)));
    o.insert("minfeerate".into(), json!(minfeerate.unwrap_or(0)));
    o.insert("mintxsize".into(), json!(mintxsize.unwrap_or(0)));
    o.insert("outs".into(), json!(outputs));
    o.insert("subsidy".into(), json!(place.subsidy));
    o.insert("swtotal_size".into(), json!(swtotal_size));
    o.insert("swtotal_weight".into(), json!(swtotal_weight));
    o.insert("swtxs".into(), json!(swtxs));
    o.insert("time".into(), json!(place.time));
    o.insert("total_out".into(), json!(total_out));
    o.insert("total_size".into(), json!(total_size));
    o.insert("total_weight".into(), json!(total_weight));
    o.insert("totalfee".into(), json!(totalfee));
    o.insert("txs".into(), json!(block.txdata.len()));
    o.insert("utxo_increase".into(), json!(outputs - inputs));
    o.insert("utxo_size_inc".into(), json!(utxo_size_inc));
    o.insert("utxo_increase_actual".into(), json!(utxos - inputs));
    o.insert("utxo_size_inc_actual".into(), json!(utxo_size_inc_actual));
    o
}

/// Keeps only the `selected` statistics; an unknown name is an error
/// (checked in sorted order, as Core).
fn select(all: Map<String, Value>, selected: &BTreeSet<String>) -> Result<Value, RpcError> {
    if selected.is_empty() {
        return Ok(Value::Object(all));
    }
    let mut out = Map::new();
    for name in selected {
        let value = all.get(name).ok_or_else(|| {
            RpcError::invalid_parameter(format!("Invalid selected statistic '{name}'"))
        })?;
        out.insert(name.clone(), value.clone());
    }
    Ok(Value::Object(out))
}

/// Registers `getblockstats` and `getchaintxstats`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    register_blockstats(table, chain.clone());
    register_chaintxstats(table, chain);
}

rpc_params! {
    /// `getblockstats`'s parameters.
    struct GetBlockStatsParams {
        /// The block hash or height of the target block
        hash_or_height: Value [Num, required, skip_type_check],
        /// Values to plot (see result below)
        stats: Vec<String> [Arr, hint = "all values", oneline = "stats"],
    }
}

/// Registers `getblockstats`.
fn register_blockstats(table: &RpcTable, chain: Arc<NodeChain>) {
    table.register(
        RpcMethod::new(
            "getblockstats",
            "blockchain",
            "Compute per block statistics for a given window. All amounts are in satoshis.\nIt won't work for some heights with pruning.",
            move |_, p: GetBlockStatsParams| {
                let selected: BTreeSet<String> = p.stats.into_iter().collect();
                let cs = chain.lock();
                let id = parse_hash_or_height(&cs, &p.hash_or_height)?;
                let block = crate::rpc::block_read::block(&cs, id)?;
                let undo = crate::rpc::block_read::undo(&cs, id)?;
                let entry = cs
                    .index()
                    .entry(id)
                    .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
                let place = BlockPlace {
                    height: entry.height,
                    hash: entry.hash,
                    time: entry.header.time,
                    median_time: entry.median_time_past,
                    subsidy: consensus::subsidy::get_block_subsidy(entry.height, cs.params()),
                    coinbase_not_in_utxo_set: chain::connect::is_bip30_repeat(entry.height, &entry.hash),
                };
                drop(cs);
                select(block_stats(&block, &undo, &place), &selected)
            },
        ),
    );
}

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
                o.insert(
                    "txrate".into(),
                    rpc::json::double_to_value(count as f64 / interval as f64),
                );
            }
        }
    }
    Value::Object(o)
}

fn chain_tx_stats(
    cs: &Chainstate,
    nblocks: Option<i64>,
    hash: Option<bitcoin::BlockHash>,
) -> Result<Value, RpcError> {
    let id = match hash {
        Some(h) => {
            let id = lookup(cs, &h)?;
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

rpc_params! {
    /// `getchaintxstats`'s parameters.
    struct GetChainTxStatsParams {
        /// Size of the window in number of blocks
        nblocks: Option<i64> [Num, hint = "one month"],
        /// The hash of the block that ends the window.
        blockhash: Option<bitcoin::BlockHash> [StrHex, hint = "chain tip"],
    }
}

/// Registers `getchaintxstats`.
fn register_chaintxstats(table: &RpcTable, chain: Arc<NodeChain>) {
    table.register(RpcMethod::new(
        "getchaintxstats",
        "blockchain",
        "Compute statistics about the total number and rate of transactions in the chain.",
        move |_, p: GetChainTxStatsParams| chain_tx_stats(&chain.lock(), p.nblocks, p.blockhash),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_count_averages_the_middle_pair() {
        assert_eq!(truncated_median(&mut []), 0);
        assert_eq!(truncated_median(&mut [5, 1, 3]), 3);
        assert_eq!(truncated_median(&mut [4, 1, 3, 2]), 2);
    }

    #[test]
    fn percentiles_walk_cumulative_weight() {
        let mut scores = vec![(10, 100), (1, 100), (5, 800)];
        assert_eq!(percentiles_by_weight(&mut scores, 1000), [1, 5, 5, 5, 5]);
        let mut scores = vec![(10, 200), (1, 100), (5, 700)];
        assert_eq!(percentiles_by_weight(&mut scores, 1000), [1, 5, 5, 5, 10]);
        assert_eq!(percentiles_by_weight(&mut [], 0), [0; 5]);
    }

    #[test]
    fn utxo_size_counts_outpoint_and_height() {
        let out = TxOut {
            value: bitcoin::Amount::from_sat(1),
            script_pubkey: bitcoin::ScriptBuf::from_bytes(vec![0x51; 22]),
        };
        assert_eq!(utxo_size(&out), 8 + 1 + 22 + 40);
    }
}
