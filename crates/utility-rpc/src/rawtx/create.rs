//! Building a transaction from JSON inputs and outputs (Core's
//! `ConstructTransaction`).

use crate::address::{self, ChainParams};
use crate::script;
use bitcoin::hashes::Hash;
use bitcoin::{absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn};
use bitcoin::{TxOut, Txid, Witness};
use rpc::method::json_type_name;
use rpc::{RpcError, RpcResult};
use serde_json::{Map, Value};

/// Parses a 64-character hex txid field `name` as Core's `ParseHashO`.
pub fn parse_hash(v: Option<&Value>, name: &str) -> RpcResult<Txid> {
    let s = match v {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(RpcError::type_error(format!(
                "JSON value of type {} is not of expected type string",
                json_type_name(other)
            )))
        }
        None => {
            return Err(RpcError::type_error(
                "JSON value of type null is not of expected type string",
            ))
        }
    };
    if s.len() != 64 {
        return Err(RpcError::invalid_parameter(format!(
            "{name} must be of length 64 (not {}, for '{s}')",
            s.len()
        )));
    }
    let mut bytes = common::strencodings::parse_hex(s).ok_or_else(|| {
        RpcError::invalid_parameter(format!("{name} must be hexadecimal string (not '{s}')"))
    })?;
    bytes.reverse();
    Txid::from_slice(&bytes).map_err(|_| RpcError::invalid_parameter("Invalid hash"))
}

fn as_object(v: &Value) -> RpcResult<&Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        RpcError::type_error(format!(
            "JSON value of type {} is not of expected type object",
            json_type_name(v)
        ))
    })
}

fn add_inputs(tx: &mut Transaction, inputs: Option<&Value>, rbf: Option<bool>) -> RpcResult<()> {
    let empty = Vec::new();
    let inputs = match inputs {
        None => &empty,
        Some(Value::Array(a)) => a,
        Some(v) => {
            return Err(RpcError::type_error(format!(
                "JSON value of type {} is not of expected type array",
                json_type_name(v)
            )))
        }
    };
    for input in inputs {
        let o = as_object(input)?;
        let txid = parse_hash(o.get("txid"), "txid")?;
        let vout = match o.get("vout") {
            Some(Value::Number(n)) => rpc::json::number_to_i64(n)?,
            _ => {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, missing vout key",
                ))
            }
        };
        if vout < 0 {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, vout cannot be negative",
            ));
        }
        let vout = u32::try_from(vout).map_err(|_| RpcError::misc("JSON integer out of range"))?;
        let mut sequence = if rbf.unwrap_or(true) {
            0xffff_fffd
        } else if tx.lock_time.to_consensus_u32() != 0 {
            0xffff_fffe
        } else {
            0xffff_ffff
        };
        if let Some(Value::Number(n)) = o.get("sequence") {
            let seq = rpc::json::number_to_i64(n)?;
            sequence = u32::try_from(seq).map_err(|_| {
                RpcError::invalid_parameter("Invalid parameter, sequence number is out of range")
            })?;
        }
        tx.input.push(TxIn {
            previous_output: OutPoint { txid, vout },
            script_sig: ScriptBuf::new(),
            sequence: Sequence(sequence),
            witness: Witness::new(),
        });
    }
    Ok(())
}

/// Core's `NormalizeOutputs` + `ParseOutputs` + `AddOutputs`.
fn add_outputs(tx: &mut Transaction, outputs: Option<&Value>, p: &ChainParams) -> RpcResult<()> {
    let pairs: Vec<(&String, &Value)> = match outputs {
        None => {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, output argument must be non-null",
            ))
        }
        Some(Value::Object(o)) => o.iter().collect(),
        Some(Value::Array(a)) => {
            let mut pairs = Vec::new();
            for item in a {
                let Some(o) = item.as_object() else {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair not an object as expected",
                    ));
                };
                if o.len() != 1 {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair must contain exactly one key",
                    ));
                }
                pairs.extend(o.iter());
            }
            pairs
        }
        Some(v) => {
            return Err(RpcError::type_error(format!(
                "JSON value of type {} is not of expected type array",
                json_type_name(v)
            )))
        }
    };
    let mut seen = std::collections::HashSet::new();
    let mut has_data = false;
    for (name, value) in pairs {
        if name == "data" {
            if has_data {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, duplicate key: data",
                ));
            }
            has_data = true;
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let data = common::strencodings::parse_hex(&text).ok_or_else(|| {
                RpcError::invalid_parameter(format!(
                    "Data must be hexadecimal string (not '{text}')"
                ))
            })?;
            let mut spk = vec![0x6a];
            script::push_data(&mut spk, &data);
            tx.output.push(TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::from_bytes(spk),
            });
            continue;
        }
        let dest = address::decode(name, p).ok();
        let amount = rpc::json::amount_from_value(value, 8)?;
        let Some(dest) = dest else {
            return Err(RpcError::invalid_address_or_key(format!(
                "Invalid Bitcoin address: {name}"
            )));
        };
        let spk = dest.script_pubkey();
        if !seen.insert(spk.clone()) {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid parameter, duplicated address: {name}"
            )));
        }
        tx.output.push(TxOut {
            value: Amount::from_sat(amount as u64),
            script_pubkey: ScriptBuf::from_bytes(spk),
        });
    }
    Ok(())
}

/// Core's `ConstructTransaction` for `createrawtransaction`/`createpsbt`.
pub fn construct(
    inputs: Option<&Value>,
    outputs: Option<&Value>,
    locktime: Option<i64>,
    rbf: Option<bool>,
    version: i64,
    p: &ChainParams,
) -> RpcResult<Transaction> {
    let mut tx = Transaction {
        version: transaction::Version(2),
        lock_time: absolute::LockTime::ZERO,
        input: Vec::new(),
        output: Vec::new(),
    };
    if let Some(lt) = locktime {
        let lt = u32::try_from(lt)
            .map_err(|_| RpcError::invalid_parameter("Invalid parameter, locktime out of range"))?;
        tx.lock_time = absolute::LockTime::from_consensus(lt);
    }
    if !(1..=3).contains(&version) {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter, version out of range(1~3)",
        ));
    }
    tx.version = transaction::Version(version as i32);
    add_inputs(&mut tx, inputs, rbf)?;
    add_outputs(&mut tx, outputs, p)?;
    let signals_rbf = tx.input.iter().any(|i| i.sequence.0 < 0xffff_fffe);
    if rbf == Some(true) && !tx.input.is_empty() && !signals_rbf {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter combination: Sequence number(s) contradict replaceable option",
        ));
    }
    Ok(tx)
}
