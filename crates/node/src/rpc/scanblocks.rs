//! `scanblocks`: finds blocks relevant to descriptors through the BIP158
//! basic filter index, optionally re-checking each match against the block
//! itself (`filter_false_positives`); `status` and `abort` reach a scan
//! running on another RPC thread.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bitcoin::BlockHash;
use chain::Chainstate;
use rpc::error::code;
use rpc::{rpc_params, CheckedObject, Deferred, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

use crate::rpc::index::filter_index;
use chainstate_service::NodeChain;

/// The running scan, if any.
#[derive(Default)]
struct ScanState {
    /// (start, stop, current height) of the running scan.
    running: Mutex<Option<(u32, u32, u32)>>,
    abort: AtomicBool,
}

impl ScanState {
    fn progress(&self) -> Option<(u32, u32, u32)> {
        *self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, v: Option<(u32, u32, u32)>) {
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = v;
    }
}

/// Whether the block really pays to or spends from one of `needles`.
fn block_matches(cs: &Chainstate, hash: &BlockHash, needles: &HashSet<Vec<u8>>) -> bool {
    let Some(id) = cs.index().id(hash) else {
        return false;
    };
    let Ok(block) = cs.read_block(id) else {
        return false;
    };
    let pays = block
        .txdata
        .iter()
        .flat_map(|t| &t.output)
        .any(|o| needles.contains(o.script_pubkey.as_bytes()));
    if pays {
        return true;
    }
    cs.read_undo(id).is_ok_and(|undo| {
        undo.txs
            .iter()
            .flat_map(|t| &t.prevouts)
            .any(|c| needles.contains(c.output.script_pubkey.as_bytes()))
    })
}

rpc_params! {
    /// `scanblocks`'s options.
    struct ScanBlocksOptions {
        /// Filter false positives (slower and may fail on pruned nodes). Otherwise they may occur at a rate of 1/M
        filter_false_positives: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `scanblocks`'s parameters; only "start" reads the ones after the action.
    struct ScanBlocksParams {
        /// The action to execute
        /// "start" for starting a scan
        /// "abort" for aborting the current scan (returns true when abort was successful)
        /// "status" for progress report (in %) of the current scan
        action: String [Str, required],
        /// Array of scan objects. Required for "start" action
        /// Every scan object is either a string descriptor or an object:
        scanobjects: Option<Value> [Arr, optional, skip_type_check],
        /// Height to start to scan from
        start_height: Deferred<i64> [Num, default = 0],
        /// Height to stop to scan
        stop_height: Deferred<Option<i64>> [Num, hint = "chain tip"],
        /// The type name of the filter
        filtertype: String [Str, default = index::blockfilter::BASIC],
        options: Deferred<CheckedObject<ScanBlocksOptions>> [ObjNamedParams, optional, oneline = "options"],
    }
}

fn start(
    chain: &NodeChain,
    state: &ScanState,
    p: &ScanBlocksParams,
    network: bitcoin::Network,
) -> Result<Value, RpcError> {
    let verify = p.options.get()?.0.filter_false_positives;
    let index = filter_index(chain, &p.filtertype)?;
    let objects = match &p.scanobjects {
        Some(Value::Array(a)) => a.clone(),
        _ => {
            return Err(RpcError::invalid_parameter(
                "scanobjects argument is required for the start action",
            ))
        }
    };
    let mut needles = HashSet::new();
    for obj in &objects {
        for (script, _) in utility_rpc::scan_objects::eval_scan_object(obj, network)? {
            needles.insert(script);
        }
    }
    let tip = chain.lock().height();
    let start_height = p.start_height.get()?;
    if start_height < 0 || start_height > i64::from(tip) {
        return Err(RpcError::misc("Invalid start_height"));
    }
    let stop_height = p.stop_height.get()?.unwrap_or(i64::from(tip));
    if stop_height < start_height || stop_height > i64::from(tip) {
        return Err(RpcError::misc("Invalid stop_height"));
    }
    let (from, to) = (start_height as u32, stop_height as u32);
    {
        let mut running = state.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.is_some() {
            return Err(RpcError::misc(
                "Scan already in progress, use action \"abort\" or \"status\"",
            ));
        }
        *running = Some((from, to, from));
    }
    state.abort.store(false, Ordering::Relaxed);
    let result = scan(chain, state, &index, &needles, from, to, verify);
    state.set(None);
    let (relevant, completed) = result?;
    Ok(json!({
        "from_height": from,
        "to_height": to,
        "relevant_blocks": relevant,
        "completed": completed,
    }))
}

fn scan(
    chain: &NodeChain,
    state: &ScanState,
    index: &index::IndexRunner,
    needles: &HashSet<Vec<u8>>,
    from: u32,
    to: u32,
    verify: bool,
) -> Result<(Vec<String>, bool), RpcError> {
    index.block_until_synced();
    let mut relevant = Vec::new();
    for height in from..=to {
        if state.abort.load(Ordering::Relaxed) {
            return Ok((relevant, false));
        }
        state.set(Some((from, to, height)));
        let Some(hash) = ({
            let cs = chain.lock();
            cs.at_height(height)
                .and_then(|id| cs.index().entry(id))
                .map(|e| e.hash)
        }) else {
            break;
        };
        let filter = index::blockfilter::lookup(index.db(), &hash)
            .map_err(|e| RpcError::new(code::INTERNAL_ERROR, e.to_string()))?
            .ok_or_else(|| {
                RpcError::misc(
                    "Filter not found. Block filters are still in the process of being indexed.",
                )
            })?;
        let hit = filter
            .filter
            .match_any(&hash, needles.iter().map(|k| k.as_slice()))
            .map_err(|e| RpcError::new(code::INTERNAL_ERROR, e.to_string()))?;
        if hit && (!verify || block_matches(&chain.lock(), &hash, needles)) {
            relevant.push(hash.to_string());
        }
    }
    Ok((relevant, true))
}

fn scanblocks(
    chain: &NodeChain,
    state: &ScanState,
    p: &ScanBlocksParams,
    network: bitcoin::Network,
) -> Result<Value, RpcError> {
    match p.action.as_str() {
        "status" => Ok(match state.progress() {
            None => Value::Null,
            Some((from, to, current)) => {
                let span = f64::from(to - from + 1);
                json!({
                    "progress": (f64::from(current - from) * 100.0 / span) as i64,
                    "current_height": current,
                })
            }
        }),
        "abort" => {
            if state.progress().is_none() {
                return Ok(json!(false));
            }
            state.abort.store(true, Ordering::Relaxed);
            Ok(json!(true))
        }
        "start" => start(chain, state, p, network),
        other => Err(RpcError::invalid_parameter(format!(
            "Invalid action '{other}'"
        ))),
    }
}

/// Registers `scanblocks`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, network: bitcoin::Network) {
    let state = Arc::new(ScanState::default());
    table.register(
        RpcMethod::new(
            "scanblocks",
            "blockchain",
            "Return relevant blockhashes for given descriptors (requires blockfilterindex).\nThis call may take several minutes. Make sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0)",
            move |_, p| scanblocks(&chain, &state, &p, network),
        ),
    );
}
