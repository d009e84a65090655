//! Chain RPCs answered from a [`ChainView`]: `getblockcount`, `getbestblockhash`,
//! `getblockhash`, `waitfornewblock`.

use chainstate_service::ChainView;
use common::shutdown::Shutdown;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

rpc_params! {
    /// `getblockhash`'s parameters.
    struct GetBlockHashParams {
        /// The height index
        height: i64 [Num, required],
    }
}

rpc_params! {
    /// `waitfornewblock`'s parameters.
    struct WaitForNewBlockParams {
        /// Time in milliseconds to wait for a response. 0 indicates no timeout.
        timeout: i64 [Num, default = 0],
        /// Method waits for the chain tip to differ from this.
        current_tip: Option<String> [StrHex, optional, hidden],
    }
}

/// Registers the chain RPCs into `table`.
pub fn register(table: &RpcTable, chain: Arc<dyn ChainView>, shutdown: Arc<Shutdown>) {
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getblockcount",
            "blockchain",
            "Returns the height of the most-work fully-validated chain.\nThe genesis block has height 0.",
            move |_, ()| Ok(json!(c.tip().0)),
        )
        .result("n    (numeric) The current block count"),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getbestblockhash",
            "blockchain",
            "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
            move |_, ()| Ok(json!(c.tip().1.to_string())),
        )
        .result("\"hex\"    (string) the block hash, hex-encoded"),
    );

    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getblockhash",
            "blockchain",
            "Returns hash of block in best-block-chain at height provided.",
            move |_, p: GetBlockHashParams| {
                let height = p.height;
                let hash = u32::try_from(height).ok().and_then(|h| c.block_hash(h));
                hash.map(|h| json!(h.to_string()))
                    .ok_or_else(|| RpcError::invalid_parameter("Block height out of range"))
            },
        )
        .result("\"hex\"    (string) The block hash"),
    );

    table.register(
        RpcMethod::new(
            "syncwithvalidationinterfacequeue",
            "hidden",
            "Waits for the validation interface queue to catch up on everything that was there when we entered this function.",
            // Nothing is queued for validation-interface clients yet, so there is nothing to wait for.
            |_, ()| Ok(serde_json::Value::Null),
        ),
    );

    let c = chain;
    table.register(
        RpcMethod::new(
            "waitfornewblock",
            "blockchain",
            "Waits for any new block and returns useful info about it.\n\nReturns the current block on timeout or exit.\n\nMake sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0)",
            move |_, p: WaitForNewBlockParams| {
                let timeout = p.timeout;
                if timeout < 0 {
                    return Err(RpcError::misc("Negative timeout"));
                }
                let current = match p.current_tip {
                    Some(hex) => hex
                        .parse()
                        .map_err(|_| RpcError::invalid_parameter(format!("current_tip must be hexadecimal string (not '{hex}')")))?,
                    None => c.tip().1,
                };
                let limit = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
                let (height, hash) = c.wait_for_tip_change(current, limit, &shutdown);
                Ok(json!({"hash": hash.to_string(), "height": height}))
            },
        )
        .result("{\n  \"hash\" : \"hex\",    (string) The blockhash\n  \"height\" : n    (numeric) Block height\n}"),
    );
}
