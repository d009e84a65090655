//! Wires the raw-transaction RPCs of `utility-rpc` to the node's coins.

use chainstate_service::NodeChain;
use consensus::CoinsView;
use mempool::PoolCoins;
use rpc::RpcTable;
use std::sync::Arc;

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

/// Registers `createrawtransaction`, `signrawtransactionwithkey`,
/// `combinerawtransaction` and the PSBT methods, looking coins up in `chain`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, network: bitcoin::Network) {
    let coins = Arc::new(NodeCoins(chain));
    utility_rpc::register_rawtx(table, network, coins.clone());
    utility_rpc::register_psbt(table, network, coins);
}
