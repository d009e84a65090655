//! `removeprunedfunds`: a wallet transaction taken out of the wallet.

use super::util::wallet_for_request;
use crate::context::WalletContext;
use bitcoin::Txid;
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::Value;
use std::sync::Arc;

rpc_params! {
    /// `removeprunedfunds`'s parameters.
    struct RemovePrunedFundsParams {
        /// The hex-encoded id of the transaction you are deleting
        txid: Txid [StrHex, required],
    }
}

fn removeprunedfunds(
    context: &WalletContext,
    req: &rpc::request::RpcRequest,
    p: RemovePrunedFundsParams,
) -> Result<Value, RpcError> {
    let wallet = wallet_for_request(context, req)?;
    wallet
        .remove_txs(&[p.txid])
        .map_err(|e| RpcError::new(code::WALLET_ERROR, e))?;
    Ok(Value::Null)
}

/// Registers `removeprunedfunds`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "removeprunedfunds",
        "wallet",
        "Deletes the specified transaction from the wallet. Meant for use with pruned wallets and as a companion to importprunedfunds. This will affect wallet balances.",
        move |req, p: RemovePrunedFundsParams| removeprunedfunds(&c, req, p),
    ));
}
