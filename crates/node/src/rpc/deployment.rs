//! `getdeploymentinfo`: the script flags and soft-fork states (buried and
//! BIP9) at a block.

use std::sync::Arc;

use chain::{BlockId, Chainstate};
use consensus::params::{Bip9Deployment, BuriedDeployment, DeploymentPos};
use consensus::versionbits::{deployment_active_after, signalling_string};
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use crate::rpc::blockchain::lookup;
use chainstate_service::NodeChain;

/// Buried deployments in the order Core lists them.
const BURIED_ORDER: [BuriedDeployment; 5] = [
    BuriedDeployment::HeightInCb,
    BuriedDeployment::DerSig,
    BuriedDeployment::Cltv,
    BuriedDeployment::Csv,
    BuriedDeployment::Segwit,
];

/// A buried deployment whose height is the maximum is switched off.
const DISABLED_HEIGHT: u32 = i32::MAX as u32;

fn buried_json(cs: &Chainstate, id: BlockId, dep: BuriedDeployment) -> Option<Value> {
    let params = cs.params();
    let height = params.deployment_height(dep);
    if height == DISABLED_HEIGHT {
        return None;
    }
    let info = cs.info(id);
    Some(json!({
        "type": "buried",
        "active": deployment_active_after(info.as_ref(), dep, params),
        "height": height,
    }))
}

fn bip9_json(cs: &Chainstate, id: BlockId, pos: DeploymentPos) -> Option<Value> {
    let params = cs.params();
    let d = params.deployment(pos);
    if d.start_time == Bip9Deployment::NEVER_ACTIVE {
        return None;
    }
    let block = cs.info(id)?;
    let info = cs.versionbits().info(&block, cs.index(), params, pos);
    let mut bip9 = Map::new();
    if info.stats.is_some() {
        bip9.insert("bit".into(), json!(d.bit));
    }
    bip9.insert("start_time".into(), json!(d.start_time));
    bip9.insert("timeout".into(), json!(d.timeout));
    bip9.insert(
        "min_activation_height".into(),
        json!(d.min_activation_height),
    );
    bip9.insert("status".into(), json!(info.current_state.name()));
    bip9.insert("since".into(), json!(info.since));
    bip9.insert("status_next".into(), json!(info.next_state.name()));
    if let Some(stats) = info.stats {
        let mut s = Map::new();
        s.insert("period".into(), json!(stats.period));
        s.insert("elapsed".into(), json!(stats.elapsed));
        s.insert("count".into(), json!(stats.count));
        // Once locked in there is no threshold left to reach.
        if stats.threshold > 0 || stats.possible {
            s.insert("threshold".into(), json!(stats.threshold));
            s.insert("possible".into(), json!(stats.possible));
        }
        bip9.insert("statistics".into(), Value::Object(s));
        bip9.insert(
            "signalling".into(),
            json!(signalling_string(&info.signalling_blocks)),
        );
    }
    let mut o = Map::new();
    o.insert("type".into(), json!("bip9"));
    let mut active = false;
    if let Some(since) = info.active_since {
        o.insert("height".into(), json!(since));
        active = since <= block.height + 1;
    }
    o.insert("active".into(), json!(active));
    o.insert("bip9".into(), Value::Object(bip9));
    Some(Value::Object(o))
}

/// The `getdeploymentinfo` object for block `id`.
pub fn deployment_info(cs: &Chainstate, id: BlockId) -> Result<Value, RpcError> {
    let e = cs
        .index()
        .entry(id)
        .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
    let flags = consensus::flags::block_script_flags(e.height, &e.hash, cs.params());
    let mut deployments = Map::new();
    for dep in BURIED_ORDER {
        if let Some(v) = buried_json(cs, id, dep) {
            deployments.insert(dep.name().into(), v);
        }
    }
    for pos in DeploymentPos::ALL {
        if let Some(v) = bip9_json(cs, id, pos) {
            deployments.insert(pos.name().into(), v);
        }
    }
    Ok(json!({
        "hash": e.hash.to_string(),
        "height": e.height,
        "script_flags": consensus::flags::script_flag_names(flags),
        "deployments": deployments,
    }))
}

rpc_params! {
    /// `getdeploymentinfo`'s parameters.
    struct GetDeploymentInfoParams {
        /// The block hash at which to query deployment state
        blockhash: Option<bitcoin::BlockHash> [StrHex, hint = "hash of current chain tip"],
    }
}

/// Registers `getdeploymentinfo`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>) {
    table.register(
        RpcMethod::new(
            "getdeploymentinfo",
            "blockchain",
            "Returns an object containing various state info regarding deployments of consensus changes.\nConsensus changes for which the new rules are enforced from genesis are not listed in \"deployments\".",
            move |_, p: GetDeploymentInfoParams| {
                let cs = chain.lock();
                let id = match p.blockhash {
                    Some(h) => lookup(&cs, &h)?,
                    None => cs.tip().ok_or_else(|| RpcError::misc("No active chain"))?,
                };
                deployment_info(&cs, id)
            },
        ),
    );
}
