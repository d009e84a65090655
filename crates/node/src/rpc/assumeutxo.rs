//! `loadtxoutset` and `getchainstates`: starting a chainstate from a UTXO
//! snapshot (the file `dumptxoutset` writes) and showing the chainstates.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::rpc::blockchain::insert_target_fields;
use chain::assumeutxo::read_metadata;
use chainstate_service::NodeChain;
use rpc::error::code;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

rpc_params! {
    /// `loadtxoutset`'s parameters.
    struct LoadTxOutSetParams {
        /// path to the snapshot file. If relative, will be prefixed by datadir.
        path: String [Str, required],
    }
}

fn loadtxoutset(
    chain: &NodeChain,
    net_dir: &Path,
    p: LoadTxOutSetParams,
) -> Result<Value, RpcError> {
    let path: PathBuf = net_dir.join(&p.path);
    let shown = path.display().to_string();
    let mut file = File::open(&path).map_err(|_| {
        RpcError::invalid_parameter(format!("Couldn't open file {shown} for reading."))
    })?;
    let (magic, chain_name) = {
        let cs = chain.lock();
        (cs.params().message_start, cs.params().chain.as_str())
    };
    let meta = read_metadata(&mut file, magic, chain_name).map_err(|e| {
        RpcError::new(
            code::DESERIALIZATION_ERROR,
            format!("Unable to parse metadata: {e}"),
        )
    })?;
    let activated = chain.with_pool(|cs, pool| {
        cs.activate_snapshot(&mut file, &meta, pool.is_empty())
            .map(|base| cs.index().entry(base).map(|e| (e.hash, e.height)))
    });
    let (hash, height) = match activated {
        Ok(Some(base)) => base,
        Ok(None) => {
            return Err(RpcError::new(
                code::INTERNAL_ERROR,
                "snapshot base vanished",
            ))
        }
        Err(e) => {
            return Err(RpcError::new(
                code::INTERNAL_ERROR,
                format!("Unable to load UTXO snapshot: {e}. ({shown})"),
            ))
        }
    };
    Ok(json!({
        "coins_loaded": meta.coins_count,
        "tip_hash": hash.to_string(),
        "base_height": height,
        "path": shown,
    }))
}

fn getchainstates(chain: &NodeChain) -> Value {
    let cs = chain.lock();
    let (coins_db, coins_tip) = cs.cache_sizes();
    let states: Vec<Value> = cs
        .chainstates()
        .into_iter()
        .filter_map(|s| {
            let e = cs.index().entry(s.tip)?;
            let mut o = Map::new();
            o.insert("blocks".into(), json!(e.height));
            o.insert("bestblockhash".into(), json!(e.hash.to_string()));
            insert_target_fields(&mut o, e.header.bits);
            o.insert(
                "verificationprogress".into(),
                rpc::json::double_to_value(cs.guess_verification_progress(e)),
            );
            o.insert("coins_db_cache_bytes".into(), json!(coins_db));
            o.insert("coins_tip_cache_bytes".into(), json!(coins_tip));
            if let Some(base) = s.snapshot_blockhash {
                o.insert("snapshot_blockhash".into(), json!(base.to_string()));
            }
            o.insert("validated".into(), json!(s.validated));
            Some(Value::Object(o))
        })
        .collect();
    let headers = cs
        .best_header()
        .and_then(|b| cs.index().entry(b))
        .map_or(-1, |e| i64::from(e.height));
    json!({ "headers": headers, "chainstates": states })
}

const LOADTXOUTSET_HELP: &str = "Load the serialized UTXO set from a file.\nOnce this snapshot is loaded, its contents will be deserialized into a second chainstate data structure, which is then used to sync to the network's tip. Meanwhile, the original chainstate will complete the initial block download process in the background, eventually validating up to the block that the snapshot is based upon.\n\nThe result is a usable bitcoind instance that is current with the network tip in a matter of minutes rather than hours. UTXO snapshot are typically obtained from third-party sources (HTTP, torrent, etc.) which is reasonable since their contents are always checked by hash.\n\nYou can find more information on this process in the `assumeutxo` design document (<https://github.com/bitcoin/bitcoin/blob/master/doc/design/assumeutxo.md>).";

/// Registers `loadtxoutset` and `getchainstates`; relative paths are taken
/// from `net_dir`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, net_dir: PathBuf) {
    let c = chain.clone();
    table.register(
        RpcMethod::new("loadtxoutset", "blockchain", LOADTXOUTSET_HELP, move |_, p| {
            loadtxoutset(&c, &net_dir, p)
        })
        .result(
            "{                        (json object)\n  \"coins_loaded\" : n,    (numeric) the number of coins loaded from the snapshot\n  \"tip_hash\" : \"hex\",    (string) the hash of the base of the snapshot\n  \"base_height\" : n,     (numeric) the height of the base of the snapshot\n  \"path\" : \"str\"         (string) the absolute path that the snapshot was loaded from\n}",
        )
        .examples("> bitcoin-cli -rpcclienttimeout=0 loadtxoutset utxo.dat"),
    );
    table.register(
        RpcMethod::new(
            "getchainstates",
            "blockchain",
            "Return information about chainstates.\n",
            move |_, ()| Ok(getchainstates(&chain)),
        )
        .result(
            "{                                   (json object)\n  \"headers\" : n,                     (numeric) the number of headers seen so far\n  \"chainstates\" : [                 (json array) list of the chainstates ordered by work, with the most-work (active) chainstate last\n    {                                 (json object)\n      \"blocks\" : n,                  (numeric) number of blocks in this chainstate\n      \"bestblockhash\" : \"hex\",       (string) blockhash of the tip\n      \"bits\" : \"hex\",                (string) nBits: compact representation of the block difficulty target\n      \"target\" : \"hex\",              (string) The difficulty target\n      \"difficulty\" : n,              (numeric) difficulty of the tip\n      \"verificationprogress\" : n,    (numeric) progress towards the network tip\n      \"snapshot_blockhash\" : \"hex\",  (string, optional) the base block of the snapshot this chainstate is based on, if any\n      \"coins_db_cache_bytes\" : n,    (numeric) size of the coinsdb cache\n      \"coins_tip_cache_bytes\" : n,   (numeric) size of the coinstip cache\n      \"validated\" : true|false       (boolean) whether the chainstate is fully validated. True if all blocks in the chainstate were validated, false if the chain is based on a snapshot and the snapshot has not yet been validated.\n    },\n    ...\n  ]\n}",
        )
        .examples("> bitcoin-cli getchainstates \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"getchainstates\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/"),
    );
}
