//! `getmempoolinfo` and `getrawmempool` for the node's transaction memory pool. No transaction can
//! enter it before blocks can be validated, so it reports the configured limits
//! of an empty, loaded pool.

use common::args::ArgsManager;
use rpc::{Arg, ArgType, Params, RpcError, RpcMethod, RpcTable};
use serde_json::json;
use std::sync::Arc;

const DEFAULT_MAX_MEMPOOL_MB: i64 = 300;
const DEFAULT_MIN_RELAY_FEE: i64 = 100;
const DEFAULT_INCREMENTAL_RELAY_FEE: i64 = 100;

fn fee_arg(args: &ArgsManager, name: &str, default: i64) -> i64 {
    args.get_arg(name)
        .and_then(|v| rpc::json::parse_fixed_point(&v, 8))
        .unwrap_or(default)
}

/// Registers `getmempoolinfo`.
pub fn register(table: &RpcTable, args: &Arc<ArgsManager>) {
    let max_bytes = args
        .get_int_arg("-maxmempool", DEFAULT_MAX_MEMPOOL_MB)
        .saturating_mul(1_000_000);
    let min_relay = fee_arg(args, "-minrelaytxfee", DEFAULT_MIN_RELAY_FEE);
    let incremental = fee_arg(args, "-incrementalrelayfee", DEFAULT_INCREMENTAL_RELAY_FEE);
    let fee = rpc::json::amount_to_value;
    let info = json!({
        "loaded": true,
        "size": 0,
        "bytes": 0,
        "usage": 0,
        "total_fee": fee(0),
        "maxmempool": max_bytes,
        "mempoolminfee": fee(min_relay),
        "minrelaytxfee": fee(min_relay),
        "incrementalrelayfee": fee(incremental),
        "unbroadcastcount": 0,
        "fullrbf": true,
    });
    table.register(
        RpcMethod::new("getmempoolinfo", "blockchain", "Returns details on the active state of the TX memory pool.", move |_| {
            Ok(info.clone())
        })
        .result("{\n  \"loaded\" : true|false,    (boolean) True if the initial load attempt of the persisted mempool finished\n  ...\n}"),
    );

    table.register(
        RpcMethod::new(
            "getrawmempool",
            "blockchain",
            "Returns all transaction ids in memory pool as a json array of string transaction ids.\n\nHint: use getmempoolentry to fetch a specific transaction from the mempool.",
            |req| {
                let verbose = req.params.opt_bool(0)?.unwrap_or(false);
                let sequence = req.params.opt_bool(1)?.unwrap_or(false);
                if verbose && sequence {
                    return Err(RpcError::invalid_parameter(
                        "Verbose results cannot contain mempool sequence values.",
                    ));
                }
                Ok(match (verbose, sequence) {
                    (true, _) => json!({}),
                    (false, true) => json!({"txids": [], "mempool_sequence": 1}),
                    (false, false) => json!([]),
                })
            },
        )
        .args(vec![
            Arg::with_default("verbose", ArgType::Bool, json!(false), "True for a json object, false for array of transaction ids"),
            Arg::with_default("mempool_sequence", ArgType::Bool, json!(false), "If verbose=false, returns a json object with transaction list and mempool sequence number attached."),
        ])
        .result("[           (json array) (for verbose = false)\n  \"hex\",    (string) The transaction id\n  ...\n]"),
    );
}
