//! The UTXO set by outpoint and by script: `gettxout` (optionally seeing the
//! mempool) and `scantxoutset`.

use std::sync::Arc;

use bitcoin::OutPoint;
use chainstate_service::NodeChain;
use consensus::CoinsView;
use mempool::PoolCoins;
use rpc::json::amount_to_value as amount;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

rpc_params! {
    /// `gettxout`'s parameters.
    struct GetTxOutParams {
        /// The transaction id
        txid: bitcoin::Txid [StrHex, required],
        /// vout number
        n: i64 [Num, required],
        /// Whether to include the mempool.
        include_mempool: bool [Bool, default = true],
    }
}

fn get_tx_out(
    chain: &NodeChain,
    p: GetTxOutParams,
    network: bitcoin::Network,
) -> Result<Value, RpcError> {
    let txid = p.txid;
    let vout = u32::try_from(p.n).map_err(|_| RpcError::invalid_parameter("Invalid vout"))?;
    let include_mempool = p.include_mempool;
    let cs = chain.lock();
    let pool = chain.pool();
    let outpoint = OutPoint::new(txid, vout);
    let coin = if include_mempool {
        PoolCoins {
            chain: cs.coins(),
            pool: &pool,
            pool_height: u32::MAX,
        }
        .coin(&outpoint)
    } else {
        cs.coins().coin(&outpoint)
    };
    let Some(coin) = coin else {
        return Ok(Value::Null);
    };
    let tip = cs
        .tip_entry()
        .map(|t| (t.hash, t.height))
        .unwrap_or((cs.params().genesis_hash, 0));
    let confirmations = if coin.height == u32::MAX {
        0
    } else {
        tip.1 - coin.height + 1
    };
    let params = utility_rpc::address::ChainParams::for_network(network);
    Ok(json!({
        "bestblock": tip.0.to_string(),
        "confirmations": confirmations,
        "value": amount(coin.output.value.to_sat() as i64),
        "scriptPubKey": utility_rpc::tojson::script_to_json(coin.output.script_pubkey.as_bytes(), true, true, &[], &params),
        "coinbase": coin.is_coinbase,
    }))
}

rpc_params! {
    /// `scantxoutset`'s parameters.
    struct ScanTxOutSetParams {
        /// The action to execute
        action: String [Str, required],
        /// Array of scan objects.
        scanobjects: Option<Vec<Value>> [Arr, optional, oneline = "[scanobjects,...]"],
    }
}

fn scan_tx_out_set(
    chain: &NodeChain,
    p: ScanTxOutSetParams,
    network: bitcoin::Network,
) -> Result<Value, RpcError> {
    let action = p.action.as_str();
    match action {
        "status" => return Ok(Value::Null),
        "abort" => return Ok(json!(false)),
        "start" => {}
        _ => {
            return Err(RpcError::invalid_parameter(
                "Invalid action '".to_string() + action + "'",
            ))
        }
    }
    let objects = match p.scanobjects {
        Some(a) => a,
        None => {
            return Err(RpcError::misc(
                "scanobjects argument is required for the start action",
            ))
        }
    };
    // Script → the descriptor its scan object describes it by, if any.
    let mut wanted: std::collections::HashMap<Vec<u8>, Option<String>> = Default::default();
    for obj in &objects {
        for (script, desc) in utility_rpc::scan_objects::eval_scan_object(obj, network)? {
            let slot = wanted.entry(script).or_default();
            if slot.is_none() {
                *slot = desc;
            }
        }
    }
    let mut cs = chain.lock();
    cs.flush()
        .map_err(|e| RpcError::misc(format!("Unable to flush the UTXO set: {e}")))?;
    let (tip_hash, tip_height) = cs
        .tip_entry()
        .map(|t| (t.hash, t.height))
        .unwrap_or((cs.params().genesis_hash, 0));
    let cursor = cs
        .store()
        .coins_cursor()
        .map_err(|e| RpcError::misc(e.to_string()))?;
    let params = utility_rpc::address::ChainParams::for_network(network);
    let mut unspents = Vec::new();
    let mut total = 0i64;
    let mut count = 0u64;
    for item in cursor {
        let (outpoint, coin) = item.map_err(|e| RpcError::misc(e.to_string()))?;
        count += 1;
        let spk = coin.output.script_pubkey.as_bytes();
        let Some(described) = wanted.get(spk) else {
            continue;
        };
        total += coin.output.value.to_sat() as i64;
        let block_hash = cs
            .at_height(coin.height)
            .and_then(|id| cs.index().entry(id))
            .map(|e| e.hash.to_string());
        unspents.push(json!({
            "txid": outpoint.txid.to_string(),
            "vout": outpoint.vout,
            "scriptPubKey": hex::encode(spk),
            "desc": described.clone().unwrap_or_else(|| utility_rpc::descriptor::infer(spk, &[], &params)),
            "amount": amount(coin.output.value.to_sat() as i64),
            "coinbase": coin.is_coinbase,
            "height": coin.height,
            "blockhash": block_hash,
            "confirmations": tip_height - coin.height + 1,
        }));
    }
    Ok(json!({
        "success": true,
        "txouts": count,
        "height": tip_height,
        "bestblock": tip_hash.to_string(),
        "unspents": unspents,
        "total_amount": amount(total),
    }))
}

/// Registers `gettxout` and `scantxoutset`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, network: bitcoin::Network) {
    let c = chain.clone();
    table.register(RpcMethod::new(
        "gettxout",
        "blockchain",
        "Returns details about an unspent transaction output.",
        move |_, p| get_tx_out(&c, p, network),
    ));

    let c = chain;
    table.register(
        RpcMethod::new(
            "scantxoutset",
            "blockchain",
            "Scans the unspent transaction output set for entries that match certain output descriptors.",
            move |_, p| scan_tx_out_set(&c, p, network),
        ),
    );
}
