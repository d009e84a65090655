//! The mining RPCs, registered in Core's order: `generate*`, `submitblock`
//! and `submitheader`, `getmininginfo` and `getnetworkhashps`,
//! `getblocktemplate`, and the fee deltas of `prioritisetransaction`.

use std::sync::Arc;

use common::shutdown::Shutdown;
use rpc::RpcTable;

use crate::assembler::BlockAssembler;

mod generate;
mod info;
mod prioritise;
mod submit;
mod template;

/// Sigops Core keeps free for extra coinbase outputs in RPC-made blocks.
const DEFAULT_COINBASE_SIGOPS: u64 = 400;

/// Registers every mining RPC into `table`.
pub fn register(
    table: &RpcTable,
    assembler: Arc<BlockAssembler>,
    shutdown: Arc<Shutdown>,
    network: bitcoin::Network,
) {
    let chain = assembler.chain().clone();
    generate::register(table, assembler.clone(), shutdown.clone(), network);
    submit::register(table, &chain);
    info::register(table, assembler.clone());
    template::register(table, assembler, shutdown);
    prioritise::register(table, chain);
}
