//! `verifychain`: re-checks the last blocks of the active chain without
//! changing anything.

use std::sync::Arc;

use chain::verify::{VerifyOutcome, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};
use common::args::ArgsManager;
use rpc::{Arg, ArgType, Params, RpcMethod, RpcTable};
use serde_json::json;

use chainstate_service::NodeChain;

/// Registers `verifychain`; its defaults follow `-checklevel` / `-checkblocks`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, args: &ArgsManager) {
    let default_level = args.get_int_arg("-checklevel", DEFAULT_CHECKLEVEL);
    let default_depth = args.get_int_arg("-checkblocks", DEFAULT_CHECKBLOCKS);
    table.register(
        RpcMethod::new(
            "verifychain",
            "blockchain",
            "Verifies blockchain database.",
            move |req| {
                let level = req.params.opt_i64(0)?.unwrap_or(default_level);
                let depth = req.params.opt_i64(1)?.unwrap_or(default_depth);
                let outcome = chain.lock().verify_db(level, depth);
                Ok(json!(outcome == VerifyOutcome::Success))
            },
        )
        .args(vec![
            Arg::with_hint("checklevel", ArgType::Num, &format!("{default_level}, range=0-4"), "How thorough the block verification is:\n- level 0 reads the blocks from disk\n- level 1 verifies block validity\n- level 2 verifies undo data\n- level 3 checks disconnection of tip blocks\n- level 4 tries to reconnect the blocks\n- each level includes the checks of the previous levels"),
            Arg::with_hint("nblocks", ArgType::Num, &format!("{default_depth}, 0=all"), "The number of blocks to check."),
        ])
        .result("true|false    (boolean) Verification finished successfully. If false, check debug.log for reason."),
    );
}
