//! Block storage RPCs: `pruneblockchain` deletes old block files on request
//! (`-prune`), `getblockfrompeer` fetches a missing block again, and
//! `verifychain` re-checks the last blocks of the active chain without
//! changing anything.

use std::sync::Arc;

use bitcoin::BlockHash;
use blockstore::store::status;
use chain::prune::MIN_BLOCKS_TO_KEEP;
use chain::verify::{VerifyOutcome, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};
use chainstate_service::NodeChain;
use common::args::ArgsManager;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Arguments above this are UNIX times, not heights (Sep 2001).
const TIME_THRESHOLD: i64 = 1_000_000_000;

/// Blocks whose time is this much below the asked-for time still count,
/// since block times may run behind (Core's `TIMESTAMP_WINDOW`).
const TIMESTAMP_WINDOW: i64 = 2 * 60 * 60;

/// Registers `pruneblockchain`, `getblockfrompeer` and `verifychain`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, args: &ArgsManager) {
    register_prune(table, chain.clone());
    register_verifychain(table, chain, args);
}

rpc_params! {
    /// `getblockfrompeer`'s parameters.
    struct GetBlockFromPeerParams {
        /// The block hash to try to fetch
        blockhash: BlockHash [StrHex, required],
        /// The peer to fetch it from (see getpeerinfo for peer IDs)
        peer_id: i64 [Num, required],
    }
}

rpc_params! {
    /// `pruneblockchain`'s parameters.
    struct PruneBlockchainParams {
        /// The block height to prune up to. May be set to a discrete height, or to a UNIX epoch time
        /// to prune blocks whose block time is at least 2 hours older than the provided timestamp.
        height: i64 [Num, required],
    }
}

/// Registers `pruneblockchain` and `getblockfrompeer`.
fn register_prune(table: &RpcTable, chain: Arc<NodeChain>) {
    let c = chain.clone();
    table.register(
        RpcMethod::new(
            "getblockfrompeer",
            "blockchain",
            "Attempt to fetch block from a given peer.\n\nWe must have the header for this block, e.g. using submitheader.\nThe block will not have any undo data which can limit the usage of the block data in a context where the undo data is needed.\nSubsequent calls for the same block may cause the response from the previous peer to be ignored.\nPeers generally ignore requests for a stale block that they never fully verified, or one that is more than a month old.\nWhen a peer does not respond with a block, we will disconnect.\nNote: The block could be re-pruned as soon as it is received.\n\nReturns an empty JSON object if the request was successfully scheduled.",
            move |_, p: GetBlockFromPeerParams| fetch_from_peer(&c, p.blockhash, p.peer_id),
        ),
    );

    table.register(
        RpcMethod::new(
            "pruneblockchain",
            "blockchain",
            "Attempts to delete block and undo data up to a specified height or timestamp, if eligible for pruning.\nRequires `-prune` to be enabled at startup. While pruned data may be re-fetched in some cases (e.g., via `getblockfrompeer`), local deletion is irreversible.",
            move |_, p: PruneBlockchainParams| prune_blockchain(&chain, p.height),
        ),
    );
}

fn prune_blockchain(chain: &NodeChain, param: i64) -> Result<Value, RpcError> {
    if chain.prune_target().is_none() {
        return Err(RpcError::misc(
            "Cannot prune blocks because node is not in prune mode.",
        ));
    }
    if i32::try_from(param).is_err() {
        return Err(RpcError::type_error("JSON integer out of range"));
    }
    if param < 0 {
        return Err(RpcError::invalid_parameter("Negative block height."));
    }
    let mut cs = chain.lock();
    let mut height = param;
    if param > TIME_THRESHOLD {
        height = earliest_at_time(&cs, param - TIMESTAMP_WINDOW).ok_or_else(|| {
            RpcError::invalid_parameter(
                "Could not find block with at least the specified timestamp.",
            )
        })?;
    }
    let tip = i64::from(cs.height());
    if (tip as u64) < cs.params().prune_after_height {
        return Err(RpcError::misc("Blockchain is too short for pruning."));
    }
    if height > tip {
        return Err(RpcError::invalid_parameter(
            "Blockchain is shorter than the attempted prune height.",
        ));
    }
    if height > tip - i64::from(MIN_BLOCKS_TO_KEEP) {
        tracing::debug!(target: "rpc", "Attempt to prune blocks close to the tip.  Retaining the minimum number of blocks.");
    }
    let height = u32::try_from(height).unwrap_or(0);
    cs.prune_manual(height)
        .map_err(|e| RpcError::misc(e.to_string()))?;
    Ok(json!(cs.prune_height().map_or(-1, i64::from)))
}

fn fetch_from_peer(chain: &NodeChain, hash: BlockHash, peer: i64) -> Result<Value, RpcError> {
    {
        let cs = chain.lock();
        let Some(entry) = cs.index().get(&hash) else {
            return Err(RpcError::misc("Block header missing"));
        };
        // Fetching blocks above the tip would pin their files against pruning.
        if chain.prune_target().is_some() && entry.height > cs.height() {
            return Err(RpcError::misc(
                "In prune mode, only blocks that the node has already synced previously can be fetched from a peer",
            ));
        }
        if entry.status & status::HAVE_DATA != 0 {
            return Err(RpcError::misc("Block already downloaded"));
        }
    }
    chain
        .fetch_block_from_peer(peer, hash)
        .map_err(RpcError::misc)?;
    Ok(json!({}))
}

/// Height of the first active-chain block whose time is at least `time`
/// (block times are not monotonic, so the maximum time so far counts).
fn earliest_at_time(cs: &chain::Chainstate, time: i64) -> Option<i64> {
    let mut max_time = 0i64;
    (0..=cs.height()).find_map(|h| {
        let e = cs.at_height(h).and_then(|id| cs.index().entry(id))?;
        max_time = max_time.max(i64::from(e.header.time));
        (max_time >= time).then_some(i64::from(h))
    })
}

rpc_params! {
    /// `verifychain`'s parameters (the help's defaults are set at registration).
    struct VerifyChainParams {
        /// How thorough the block verification is:
        /// - level 0 reads the blocks from disk
        /// - level 1 verifies block validity
        /// - level 2 verifies undo data
        /// - level 3 checks disconnection of tip blocks
        /// - level 4 tries to reconnect the blocks
        /// - each level includes the checks of the previous levels
        checklevel: Option<i64> [Num, optional],
        /// The number of blocks to check.
        nblocks: Option<i64> [Num, optional],
    }
}

/// Registers `verifychain`; its defaults follow `-checklevel` / `-checkblocks`.
fn register_verifychain(table: &RpcTable, chain: Arc<NodeChain>, args: &ArgsManager) {
    let default_level = args.get_int_arg("-checklevel", DEFAULT_CHECKLEVEL);
    let default_depth = args.get_int_arg("-checkblocks", DEFAULT_CHECKBLOCKS);
    table.register(
        RpcMethod::new(
            "verifychain",
            "blockchain",
            "Verifies blockchain database.",
            move |_, p: VerifyChainParams| {
                let level = p.checklevel.unwrap_or(default_level);
                let depth = p.nblocks.unwrap_or(default_depth);
                let outcome = chain.lock().verify_db(level, depth);
                Ok(json!(outcome == VerifyOutcome::Success))
            },
        )
        .default_hint("checklevel", format!("{default_level}, range=0-4"))
        .default_hint("nblocks", format!("{default_depth}, 0=all"))
        .result("true|false    (boolean) Verification finished successfully. If false, check debug.log for reason."),
    );
}
