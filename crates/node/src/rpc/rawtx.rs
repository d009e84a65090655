//! Raw transactions: `getrawtransaction` (mempool, `-txindex` or a given
//! block), and the raw-transaction and PSBT RPCs of `utility-rpc` wired to
//! the node's coins.

use std::sync::Arc;

use bitcoin::consensus::encode::serialize_hex;
use chainstate_service::NodeChain;
use consensus::CoinsView;
use mempool::PoolCoins;
use rpc::{rpc_params, Arg, FromParam, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

/// Coins from the chainstate's UTXO set, overlaid by the mempool.
pub struct NodeCoins(pub Arc<NodeChain>);

impl utility_rpc::CoinLookup for NodeCoins {
    fn coin(&self, outpoint: &bitcoin::OutPoint) -> Option<bitcoin::TxOut> {
        let cs = self.0.lock();
        let pool = self.0.pool();
        PoolCoins {
            chain: cs.coins(),
            pool: &pool,
            pool_height: u32::MAX,
        }
        .coin(outpoint)
        .map(|c| c.output)
    }

    /// From `-txindex` (once it caught up) or the mempool, as Core's PSBT updater.
    fn transaction(&self, txid: &bitcoin::Txid) -> Option<bitcoin::Transaction> {
        if let Some(txindex) = self.0.indexes().and_then(|i| i.txindex.clone()) {
            crate::indexes::wait_for_txindex(&self.0);
            let cs = self.0.lock();
            if let Ok(Some((_, tx))) = index::txindex::find_tx(txindex.db(), &cs, txid) {
                return Some(tx);
            }
        }
        self.0.pool().get(txid).map(|e| (*e.tx).clone())
    }
}

/// `getrawtransaction`'s verbosity: a number, or a boolean for 0 or 1.
struct TxVerbosity(i64);

impl FromParam for TxVerbosity {
    fn from_param(value: &Value, _: &Arg) -> Result<Self, RpcError> {
        match value {
            Value::Bool(b) => Ok(TxVerbosity(i64::from(*b))),
            Value::Number(n) => n
                .as_i64()
                .map(TxVerbosity)
                .ok_or_else(|| RpcError::type_error("Expected type number")),
            _ => Err(RpcError::type_error(
                "JSON value of type string is not of expected type number",
            )),
        }
    }
}

rpc_params! {
    /// `getrawtransaction`'s parameters.
    struct GetRawTransactionParams {
        /// The transaction id
        txid: bitcoin::Txid [StrHex, required, label = "parameter 1"],
        /// 0 for hex-encoded data, 1 for a JSON object, and 2 for JSON object with fee and prevout
        verbosity: TxVerbosity [Num, default = 0, names = "verbosity|verbose", skip_type_check],
        /// The block in which to look for the transaction
        blockhash: Option<bitcoin::BlockHash> [StrHex, optional, label = "parameter 3"],
    }
}

fn get_raw_transaction(
    chain: &NodeChain,
    p: GetRawTransactionParams,
    network: bitcoin::Network,
) -> Result<Value, RpcError> {
    let txid = p.txid;
    let verbosity = p.verbosity.0;
    let block_hash = p.blockhash;
    if block_hash.is_none() {
        crate::indexes::wait_for_txindex(chain);
    }
    let cs = chain.lock();
    let (tx, block_id) = match block_hash {
        None => {
            let in_pool = chain.pool().get(&txid).map(|e| (*e.tx).clone());
            match in_pool {
                Some(tx) => (tx, None),
                None => crate::indexes::find_confirmed_tx(chain, &cs, &txid)?,
            }
        }
        Some(h) => {
            let id = cs
                .index()
                .id(&h)
                .ok_or_else(|| RpcError::invalid_address_or_key("Block hash not found"))?;
            let block = cs
                .read_block(id)
                .map_err(|_| RpcError::misc("Block not available"))?;
            let tx = block
                .txdata
                .into_iter()
                .find(|t| t.compute_txid() == txid)
                .ok_or_else(|| RpcError::invalid_address_or_key("No such transaction found in the provided block. Use gettransaction for wallet transactions."))?;
            (tx, Some(id))
        }
    };
    if verbosity <= 0 {
        return Ok(json!(serialize_hex(&tx)));
    }
    let mut o = Map::new();
    // Only a caller-given block gets `in_active_chain` (not a -txindex hit).
    if let Some(id) = block_id.filter(|_| block_hash.is_some()) {
        o.insert("in_active_chain".into(), json!(cs.is_active(id)));
    }
    let params = utility_rpc::address::ChainParams::for_network(network);
    o.extend(utility_rpc::tojson::tx_to_json(&tx, &params));
    o.insert("hex".into(), json!(serialize_hex(&tx)));
    if let Some(e) = block_id.and_then(|id| cs.index().entry(id)) {
        o.insert("blockhash".into(), json!(e.hash.to_string()));
        if let Some(id) = block_id.filter(|id| cs.is_active(*id)) {
            o.insert("confirmations".into(), json!(cs.height() - e.height + 1));
            let _ = id;
            o.insert("time".into(), json!(e.header.time));
            o.insert("blocktime".into(), json!(e.header.time));
        } else {
            o.insert("confirmations".into(), json!(0));
        }
    }
    Ok(Value::Object(o))
}

/// Registers `getrawtransaction`, `createrawtransaction`,
/// `signrawtransactionwithkey`, `combinerawtransaction` and the PSBT methods,
/// looking coins up in `chain`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, network: bitcoin::Network) {
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getrawtransaction",
            "rawtransactions",
            "By default, this call only returns a transaction if it is in the mempool. If -txindex is enabled\nand no blockhash argument is passed, it will return the transaction if it is in a block in the blockchain.",
            move |_, p| get_raw_transaction(&c, p, network),
        ),
    );

    let coins = Arc::new(NodeCoins(chain));
    utility_rpc::register_rawtx(table, network, coins.clone());
    utility_rpc::register_psbt(table, network, coins);
}
