//! `getblocktemplate` (BIP22/23/9/145): templates from the node's block
//! assembler in Core's shape, long polling on the tip and the mempool, and
//! proposal mode checking a block with `TestBlockValidity`.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Block, ScriptBuf};
use blockstore::status;
use consensus::merkle::witness_commitment_index;
use consensus::tx_check::{
    MAX_BLOCK_SERIALIZED_SIZE, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR,
};
use consensus::ThresholdState;
use rpc::error::code as codes;
use rpc::{rpc_params, Arg, ArgType, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};

use super::submit::{bip22_result, decode_block};
use super::DEFAULT_COINBASE_SIGOPS;
use crate::assembler::{Assembled, BlockAssembler, Contents, Request};
use chainstate_service::ChainView;
use common::settings::CLIENT_NAME;
use common::shutdown::Shutdown;
use consensus::pow::{bits_hex, target_hex};
use rpc::json::parse_hash;

/// First long-poll check for new transactions, then every `LONGPOLL_RECHECK`.
const LONGPOLL_FIRST: Duration = Duration::from_secs(60);
const LONGPOLL_RECHECK: Duration = Duration::from_secs(10);

/// What the request object asks for.
struct TemplateRequest {
    mode: String,
    longpoll: Option<Value>,
    rules: Vec<String>,
}

fn parse_request(param: Option<&Value>) -> Result<(TemplateRequest, Option<&Value>), RpcError> {
    let mut req = TemplateRequest {
        mode: "template".into(),
        longpoll: None,
        rules: Vec::new(),
    };
    let Some(obj) = param else {
        return Ok((req, None));
    };
    let obj = obj.as_object().ok_or_else(|| {
        RpcError::type_error(format!(
            "JSON value of type {} is not of expected type object",
            rpc::method::json_type_name(obj)
        ))
    })?;
    match obj.get("mode") {
        Some(Value::String(m)) => req.mode = m.clone(),
        None | Some(Value::Null) => {}
        Some(_) => return Err(RpcError::invalid_parameter("Invalid mode")),
    }
    req.longpoll = obj.get("longpollid").filter(|v| !v.is_null()).cloned();
    if let Some(Value::Array(rules)) = obj.get("rules") {
        for r in rules {
            let r = r.as_str().ok_or_else(|| {
                RpcError::type_error(format!(
                    "JSON value of type {} is not of expected type string",
                    rpc::method::json_type_name(r)
                ))
            })?;
            req.rules.push(r.to_string());
        }
    }
    Ok((req, obj.get("data")))
}

/// BIP23 proposal: a block is checked on the tip, never stored.
fn proposal(assembler: &BlockAssembler, data: Option<&Value>) -> Result<Value, RpcError> {
    let hex = data
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::type_error("Missing data String key for proposal"))?;
    let block = decode_block(hex)?;
    let cs = assembler.chain().lock();
    if let Some(e) = cs.index().get(&block.block_hash()) {
        if e.status & status::FAILED_MASK == 0
            && e.status & status::VALID_MASK >= status::VALID_SCRIPTS
        {
            return Ok(json!("duplicate"));
        }
        if e.status & status::FAILED_VALID != 0 {
            return Ok(json!("duplicate-invalid"));
        }
        return Ok(json!("duplicate-inconclusive"));
    }
    bip22_result(cs.test_block_validity(&block, false, true))
}

/// Waits, releasing every lock, until the tip moves away from the one in
/// `longpollid` or the mempool changes (checked after a minute, then every
/// ten seconds), as BIP22 long polling asks.
fn long_poll(
    assembler: &BlockAssembler,
    shutdown: &Shutdown,
    longpoll: &Value,
) -> Result<(), RpcError> {
    let chain = assembler.chain();
    let (watched, seen_updates) = match longpoll {
        Value::String(id) => {
            let hash_part: String = id.chars().take(64).collect();
            let hash = parse_hash(&hash_part, "longpollid")?;
            let rest: String = id.chars().skip(64).collect();
            (hash, leading_number(&rest))
        }
        // Not in the spec; handy for tests: watch the current state.
        _ => (chain.tip().1, chain.pool().change_sequence()),
    };
    let mut wait = LONGPOLL_FIRST;
    while !shutdown.is_requested() {
        let tip = chain.wait_for_tip_change(watched, Some(wait), shutdown).1;
        if tip != watched || chain.pool().change_sequence() != seen_updates {
            break;
        }
        wait = LONGPOLL_RECHECK;
    }
    if shutdown.is_requested() {
        return Err(RpcError::new(codes::CLIENT_NOT_CONNECTED, "Shutting down"));
    }
    Ok(())
}

/// The leading decimal number of `text` (0 when there is none), like C's `atoi`.
fn leading_number(text: &str) -> u64 {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

/// A rule name, marked with `!` when clients must understand it (BIP9).
fn rule_value(name: &str, optional: bool) -> String {
    if optional {
        name.to_string()
    } else {
        format!("!{name}")
    }
}

fn template(
    assembler: &BlockAssembler,
    shutdown: &Shutdown,
    req: &TemplateRequest,
) -> Result<Value, RpcError> {
    let chain = assembler.chain();
    if chain.lock().params().chain != common::chaintype::ChainType::Main {
        // Test chains mine alone and from genesis.
    } else {
        if chain.connection_count() == 0 {
            return Err(RpcError::new(
                codes::CLIENT_NOT_CONNECTED,
                format!("{CLIENT_NAME} is not connected!"),
            ));
        }
        if chain.lock().is_initial_block_download() {
            return Err(RpcError::new(
                codes::CLIENT_IN_INITIAL_DOWNLOAD,
                format!("{CLIENT_NAME} is in initial sync and waiting for blocks..."),
            ));
        }
    }
    if let Some(lp) = &req.longpoll {
        long_poll(assembler, shutdown, lp)?;
    }
    let has_rule = |r: &str| req.rules.iter().any(|x| x == r);
    let signet = chain.lock().params().signet_blocks;
    if signet && !has_rule("signet") {
        return Err(RpcError::invalid_parameter(
            "getblocktemplate must be called with the signet rule set (call with {\"rules\": [\"segwit\", \"signet\"]})",
        ));
    }
    if !has_rule("segwit") {
        return Err(RpcError::invalid_parameter(
            "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})",
        ));
    }
    let updates = chain.pool().change_sequence();
    let Assembled {
        block,
        height,
        fees,
        sigops,
    } = assembler
        .create(&Request {
            // Core's template coinbase pays OP_TRUE; miners build their own.
            script: ScriptBuf::from_bytes(vec![0x51]),
            contents: Contents::Mempool,
            reserved_weight: assembler.args().block_reserved_weight,
            additional_sigops: DEFAULT_COINBASE_SIGOPS,
        })
        .map_err(|e| RpcError::new(codes::INTERNAL_ERROR, e))?;
    let cs = chain.lock();
    let params = cs.params();
    let prev = cs
        .index()
        .get(&block.header.prev_blockhash)
        .map(|e| e.info())
        .ok_or_else(|| RpcError::new(codes::INTERNAL_ERROR, "template parent vanished"))?;
    let pre_segwit = !consensus::flags::deployment_active_at(
        height,
        consensus::BuriedDeployment::Segwit,
        params,
    );
    let scale = if pre_segwit {
        WITNESS_SCALE_FACTOR as i64
    } else {
        1
    };

    let mut transactions = Vec::new();
    for (i, tx) in block.txdata.iter().enumerate().skip(1) {
        let depends: Vec<Value> = tx
            .input
            .iter()
            .filter_map(|input| {
                block.txdata[..i]
                    .iter()
                    .position(|t| t.compute_txid() == input.previous_output.txid)
            })
            .map(|p| json!(p))
            .collect();
        transactions.push(json!({
            "data": serialize_hex(tx),
            "txid": tx.compute_txid().to_string(),
            "hash": tx.compute_wtxid().to_string(),
            "depends": depends,
            "fee": fees.get(i - 1).copied().unwrap_or(0),
            "sigops": sigops.get(i - 1).copied().unwrap_or(0) / scale,
            "weight": tx.weight().to_wu(),
        }));
    }

    let mut version = block.header.version.to_consensus();
    let mut rules = vec![json!("csv")];
    if !pre_segwit {
        rules.push(json!("!segwit"));
        rules.push(json!("taproot"));
    }
    if signet {
        rules.push(json!("!signet"));
    }
    let mut vbavailable = Map::new();
    for (pos, state) in cs.versionbits().gbt_status(&prev, cs.index(), params) {
        let mask = consensus::versionbits::deployment_mask(params, pos);
        let name = pos.name();
        let optional = pos.gbt_optional_rule();
        match state {
            ThresholdState::Started | ThresholdState::LockedIn => {
                if state == ThresholdState::LockedIn {
                    version |= mask;
                }
                vbavailable.insert(
                    rule_value(name, optional),
                    json!(params.deployment(pos).bit),
                );
                if !optional && !has_rule(name) {
                    // A client that does not know the rule must not signal it.
                    version &= !mask;
                }
            }
            ThresholdState::Active => {
                rules.push(json!(rule_value(name, optional)));
                if !optional && !has_rule(name) {
                    return Err(RpcError::invalid_parameter(format!(
                        "Support for '{name}' rule requires explicit client support"
                    )));
                }
            }
            ThresholdState::Defined | ThresholdState::Failed => {}
        }
    }

    let coinbase_value = block
        .txdata
        .first()
        .and_then(|cb| cb.output.first())
        .map_or(0, |o| o.value.to_sat());
    let mut out = Map::new();
    out.insert("capabilities".into(), json!(["proposal"]));
    out.insert("version".into(), json!(version));
    out.insert("rules".into(), Value::Array(rules));
    out.insert("vbavailable".into(), Value::Object(vbavailable));
    out.insert("vbrequired".into(), json!(0));
    out.insert(
        "previousblockhash".into(),
        json!(block.header.prev_blockhash.to_string()),
    );
    out.insert("transactions".into(), Value::Array(transactions));
    out.insert("coinbaseaux".into(), json!({}));
    out.insert("coinbasevalue".into(), json!(coinbase_value));
    out.insert(
        "longpollid".into(),
        json!(format!("{}{updates}", block.header.prev_blockhash)),
    );
    out.insert("target".into(), json!(target_hex(block.header.bits)));
    out.insert(
        "mintime".into(),
        json!(crate::miner::minimum_time(&prev, params)),
    );
    out.insert(
        "mutable".into(),
        json!(["time", "transactions", "prevblock"]),
    );
    out.insert("noncerange".into(), json!("00000000ffffffff"));
    out.insert(
        "sigoplimit".into(),
        json!(MAX_BLOCK_SIGOPS_COST as i64 / scale),
    );
    out.insert(
        "sizelimit".into(),
        json!(MAX_BLOCK_SERIALIZED_SIZE as i64 / scale),
    );
    if !pre_segwit {
        out.insert("weightlimit".into(), json!(MAX_BLOCK_WEIGHT));
    }
    out.insert("curtime".into(), json!(block.header.time));
    out.insert("bits".into(), json!(bits_hex(block.header.bits)));
    out.insert("height".into(), json!(height));
    if signet {
        out.insert(
            "signet_challenge".into(),
            json!(hex::encode(&params.signet_challenge)),
        );
    }
    if let Some(commitment) = witness_commitment(&block) {
        out.insert(
            "default_witness_commitment".into(),
            json!(hex::encode(commitment.as_bytes())),
        );
    }
    Ok(Value::Object(out))
}

/// The coinbase's witness commitment output script, if the block has one.
fn witness_commitment(block: &Block) -> Option<ScriptBuf> {
    let index = witness_commitment_index(block)?;
    block
        .txdata
        .first()?
        .output
        .get(index)
        .map(|o| o.script_pubkey.clone())
}

rpc_params! {
    /// `getblocktemplate`'s parameters; the request object is read by
    /// `parse_request` with Core's texts.
    struct GetBlockTemplateParams {
        /// Format of the template
        template_request: Value [Obj, required, inner = vec![
            Arg::optional("mode", ArgType::Str, "This must be set to \"template\", \"proposal\" (see BIP 23), or omitted"),
            Arg::optional("capabilities", ArgType::Arr, "A list of strings"),
            Arg::required("rules", ArgType::Arr, "A list of strings"),
            Arg::optional("longpollid", ArgType::Str, "delay processing request until the result would vary significantly from the \"longpollid\" of a prior template"),
            Arg::optional("data", ArgType::StrHex, "proposed block data to check, encoded in hexadecimal; valid only for mode=\"proposal\""),
        ]],
    }
}

/// Registers `getblocktemplate`.
pub(super) fn register(table: &RpcTable, assembler: Arc<BlockAssembler>, shutdown: Arc<Shutdown>) {
    table.register(
        RpcMethod::new(
            "getblocktemplate",
            "mining",
            "If the request parameters include a 'mode' key, that is used to explicitly select between the default 'template' request or a 'proposal'.\nIt returns data needed to construct a block to work on.\nFor full specification, see BIPs 22, 23, 9, and 145:\n    https://github.com/bitcoin/bips/blob/master/bip-0022.mediawiki\n    https://github.com/bitcoin/bips/blob/master/bip-0023.mediawiki\n    https://github.com/bitcoin/bips/blob/master/bip-0009.mediawiki#getblocktemplate_changes\n    https://github.com/bitcoin/bips/blob/master/bip-0145.mediawiki",
            move |_, p: GetBlockTemplateParams| {
                let (request, data) = parse_request(Some(&p.template_request))?;
                match request.mode.as_str() {
                    "proposal" => proposal(&assembler, data),
                    "template" => template(&assembler, &shutdown, &request),
                    _ => Err(RpcError::invalid_parameter("Invalid mode")),
                }
            },
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longpollid_counter_reads_like_atoi() {
        assert_eq!(leading_number("42"), 42);
        assert_eq!(leading_number("7x"), 7);
        assert_eq!(leading_number(""), 0);
    }

    #[test]
    fn required_rules_are_marked() {
        assert_eq!(rule_value("segwit", false), "!segwit");
        assert_eq!(rule_value("csv", true), "csv");
    }

    #[test]
    fn request_parsing_follows_core() {
        let (r, _) = parse_request(Some(&json!({"rules": ["segwit"]}))).unwrap();
        assert_eq!(r.mode, "template");
        assert_eq!(r.rules, vec!["segwit".to_string()]);
        let e = parse_request(Some(&json!({"mode": 1}))).err().unwrap();
        assert_eq!(e.code, codes::INVALID_PARAMETER);
    }
}
