//! Starting the optional indexes (`-txindex`, `-blockfilterindex`,
//! `-coinstatsindex`, `-txospenderindex`) over the node's chainstate.

use std::path::Path;
use std::sync::Arc;

use chain::Chainstate;
use common::args::ArgsManager;
use index::{ChainSource, IndexConfig, Indexes, StartError};

use chainstate_service::NodeChain;

/// Reads the index options; Core's init errors for bad values and for
/// options that need block data `-prune` deletes.
pub fn config_from_args(args: &ArgsManager, net_dir: &Path) -> Result<IndexConfig, String> {
    let blockfilter = match args.get_arg("-blockfilterindex").as_deref() {
        None | Some("0") => false,
        Some("") | Some("1") => true,
        Some(_) => {
            for name in args.get_args("-blockfilterindex") {
                if name != index::blockfilter::BASIC {
                    return Err(format!("Unknown -blockfilterindex value {name}."));
                }
            }
            true
        }
    };
    let txindex = args.get_bool_arg("-txindex", false);
    let txospender = args.get_bool_arg("-txospenderindex", false);
    if args.get_int_arg("-prune", 0) != 0 {
        if txindex {
            return Err("Prune mode is incompatible with -txindex.".into());
        }
        if txospender {
            return Err("Prune mode is incompatible with -txospenderindex.".into());
        }
        // Rebuilding the UTXO set reads every block, which pruning deleted.
        if args.get_bool_arg("-reindex-chainstate", false) {
            return Err(
                "Prune mode is incompatible with -reindex-chainstate. Use full -reindex instead."
                    .into(),
            );
        }
    }
    Ok(IndexConfig {
        dir: net_dir.join("indexes"),
        txindex,
        blockfilter,
        coinstats: args.get_bool_arg("-coinstatsindex", false),
        txospender,
    })
}

/// Starts the enabled indexes (wiped first on `-reindex`) and hands them to the chain.
pub fn start(
    config: &IndexConfig,
    chain: &Arc<NodeChain>,
    reindex: bool,
) -> Result<Arc<Indexes>, String> {
    if reindex && config.dir.exists() {
        std::fs::remove_dir_all(&config.dir)
            .map_err(|e| format!("Unable to wipe {}: {e}", config.dir.display()))?;
    }
    let params = chain.lock().params_arc();
    let source: Arc<dyn ChainSource> = chain.clone();
    let indexes = match Indexes::start(config, params, source) {
        Ok(i) => Arc::new(i),
        Err(StartError::Db(e)) => return Err(format!("Error opening index database: {e}")),
        // Core reports this as an init error followed by a fatal error.
        Err(StartError::PrunedData(e)) => return Err(format!(
            "{e}\nError: A fatal internal error occurred, see debug.log for details: Failed to start indexes, shutting down…"
        )),
    };
    chain.set_indexes(indexes.clone());
    Ok(indexes)
}

/// A confirmed transaction found through `-txindex` for `getrawtransaction`,
/// with its block; Core's error when there is no index or no such transaction.
pub fn find_confirmed_tx(
    chain: &NodeChain,
    cs: &Chainstate,
    txid: &bitcoin::Txid,
) -> Result<(bitcoin::Transaction, Option<chain::BlockId>), rpc::RpcError> {
    if cs.params().genesis.header.merkle_root.to_raw_hash() == txid.to_raw_hash() {
        return Err(rpc::RpcError::invalid_address_or_key("The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved"));
    }
    let Some(txindex) = chain.indexes().and_then(|i| i.txindex.clone()) else {
        return Err(rpc::RpcError::invalid_address_or_key("No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions."));
    };
    let found = index::txindex::find_tx(txindex.db(), cs, txid)
        .map_err(|e| rpc::RpcError::new(rpc::error::code::INTERNAL_ERROR, e.to_string()))?;
    match found {
        Some((hash, tx)) => Ok((tx, cs.index().id(&hash))),
        None if txindex.summary().synced => Err(rpc::RpcError::invalid_address_or_key(
            "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.",
        )),
        None => Err(rpc::RpcError::invalid_address_or_key(
            "No such mempool or blockchain transaction. Blockchain transactions are still in the process of being indexed.",
        )),
    }
}

/// Lets `-txindex` catch up with the tip before a lookup (call without the chainstate lock).
pub fn wait_for_txindex(chain: &NodeChain) {
    if let Some(txindex) = chain.indexes().and_then(|i| i.txindex.clone()) {
        txindex.block_until_synced();
    }
}
