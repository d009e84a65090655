//! Reading a block or its undo data on behalf of an RPC, with Core's error
//! texts for data the node never had or can no longer read.

use bitcoin::Block;
use blockstore::status;
use blockstore::BlockUndo;
use chain::{BlockId, Chainstate};
use rpc::RpcError;

/// Fails unless the entry `id` has its block data (or, with `undo`, its undo
/// data) recorded as stored (Core's `CheckBlockDataAvailability`). A block
/// whose transactions were counted was stored once, so missing data of such
/// a block was pruned; otherwise it was never downloaded.
pub fn check_available(cs: &Chainstate, id: BlockId, undo: bool) -> Result<(), RpcError> {
    let Some(e) = cs.index().entry(id) else {
        return Err(RpcError::invalid_address_or_key("Block not found"));
    };
    let flag = if undo {
        status::HAVE_UNDO
    } else {
        status::HAVE_DATA
    };
    if e.status & flag != 0 {
        return Ok(());
    }
    let what = if undo { "Undo data" } else { "Block" };
    if e.status & status::HAVE_DATA == 0 && e.n_tx > 0 {
        return Err(RpcError::misc(format!(
            "{what} not available (pruned data)"
        )));
    }
    Err(RpcError::misc(if undo {
        "Undo data not available"
    } else {
        "Block not available (not fully downloaded)"
    }))
}

/// The block `id`, read from disk (Core's `GetBlockChecked`).
pub fn block(cs: &Chainstate, id: BlockId) -> Result<Block, RpcError> {
    check_available(cs, id, false)?;
    cs.read_block(id)
        .map_err(|_| RpcError::misc("Block not found on disk"))
}

/// The serialized block `id`, read from disk (Core's `GetRawBlockChecked`).
pub fn raw_block(cs: &Chainstate, id: BlockId) -> Result<Vec<u8>, RpcError> {
    check_available(cs, id, false)?;
    cs.read_raw_block(id)
        .map_err(|_| RpcError::misc("Block not found on disk"))
}

/// The undo data of block `id`; empty for the genesis block, which spends
/// nothing (Core's `GetUndoChecked`).
pub fn undo(cs: &Chainstate, id: BlockId) -> Result<BlockUndo, RpcError> {
    if cs.index().entry(id).is_some_and(|e| e.height == 0) {
        return Ok(BlockUndo::default());
    }
    check_available(cs, id, true)?;
    cs.read_undo(id)
        .map_err(|_| RpcError::misc("Can't read undo data from disk"))
}

/// The undo data `getblock` shows fees and prevouts from: `None` when the
/// block was never connected, an internal error when it should be readable
/// but is not.
pub fn undo_if_connected(cs: &Chainstate, id: BlockId) -> Result<Option<BlockUndo>, RpcError> {
    let have = cs
        .index()
        .entry(id)
        .is_some_and(|e| e.status & status::HAVE_UNDO != 0);
    if !have {
        return Ok(None);
    }
    cs.read_undo(id).map(Some).map_err(|_| {
        RpcError::new(
            rpc::error::code::INTERNAL_ERROR,
            "Undo data expected but can't be read. This could be due to disk corruption or a conflict with a pruning event.",
        )
    })
}
