//! Raw-transaction RPCs: `createrawtransaction`, `signrawtransactionwithkey`
//! and `combinerawtransaction`, as Bitcoin Core's methods of the same names.

pub mod create;
pub mod sign;

use crate::address::{self, ChainParams};
use crate::psbtrpc::signer::{produce_signature, Creator, SigData};
use crate::{script, tojson};
use bitcoin::hashes::{hash160, Hash};
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut};
use rpc::method::json_type_name;
use rpc::{rpc_params, Arg, ArgType, RpcError, RpcMethod, RpcResult, RpcTable};
use serde_json::{json, Map, Value};
use sign::Keystore;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Looks up unspent outputs (chain UTXO set plus mempool) for signing.
pub trait CoinLookup: Send + Sync {
    /// The unspent output at `outpoint`, if any.
    fn coin(&self, outpoint: &OutPoint) -> Option<TxOut>;

    /// A whole transaction the node can find without a chain scan (through
    /// `-txindex` or in the mempool), for PSBT updating.
    fn transaction(&self, _txid: &bitcoin::Txid) -> Option<Transaction> {
        None
    }
}

/// A lookup that knows no coins.
pub struct NoCoins;

impl CoinLookup for NoCoins {
    fn coin(&self, _: &OutPoint) -> Option<TxOut> {
        None
    }
}

/// Registers the raw-transaction methods, looking coins up in `coins`.
pub fn register_rawtx(table: &RpcTable, network: bitcoin::Network, coins: Arc<dyn CoinLookup>) {
    let p = ChainParams::for_network(network);
    table.register(createrawtransaction(p));
    table.register(signrawtransactionwithkey(p, coins.clone()));
    table.register(combinerawtransaction(coins));
}

rpc_params! {
    /// The transaction parameters of `createrawtransaction` and `createpsbt`.
    pub(crate) struct CreateTxParams {
        /// The inputs: [{"txid":"hex","vout":n,"sequence":n},...]
        inputs: Option<Value> [Arr, required],
        /// The outputs: [{"address":amount},{"data":"hex"},...]
        outputs: Option<Value> [Arr, required, skip_type_check],
        /// Raw locktime. Non-0 value also locktime-activates inputs
        locktime: Option<i64> [Num, hint = "0"],
        /// Marks this transaction as BIP125-replaceable.
        // Left out differs from true: only an explicit true is checked against
        // the inputs' sequence numbers, as Core does.
        replaceable: Option<bool> [Bool, hint = "true"],
        /// Transaction version
        version: i64 [Num, default = 2],
    }
}

impl CreateTxParams {
    /// The unsigned transaction these parameters describe.
    pub(crate) fn construct(&self, p: &ChainParams) -> RpcResult<Transaction> {
        create::construct(
            self.inputs.as_ref(),
            self.outputs.as_ref(),
            self.locktime,
            self.replaceable,
            self.version,
            p,
        )
    }
}

fn createrawtransaction(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "createrawtransaction",
        "rawtransactions",
        "Create a transaction spending the given inputs and creating new outputs.\nOutputs can be addresses or data.\nReturns hex-encoded raw transaction.\nNote that the transaction's inputs are not signed, and\nit is not stored in the wallet or transmitted to the network.",
        move |_, a: CreateTxParams| {
            let tx = a.construct(&p)?;
            Ok(json!(hex::encode(tojson::serialize_tx(&tx, true))))
        },
    )
    .result("\"hex\"    (string) hex string of the transaction")
    .examples("> bitcoin-cli createrawtransaction \"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"address\\\":0.01}]\"\n")
}

fn decode_tx(hex: &str) -> RpcResult<Transaction> {
    tojson::decode_hex_tx(hex, false, true).ok_or_else(|| {
        RpcError::deserialization("TX decode failed. Make sure the tx has at least one input.")
    })
}

/// Core's `ParseSighashString`: `None` when not given, 0 for "DEFAULT".
pub(crate) fn parse_sighash_opt(v: Option<&Value>) -> RpcResult<Option<i32>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(s) = v.as_str() else {
        return Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type string",
            json_type_name(v)
        )));
    };
    Ok(Some(match s {
        "DEFAULT" => 0,
        "ALL" => 1,
        "NONE" => 2,
        "SINGLE" => 3,
        "ALL|ANYONECANPAY" => 0x81,
        "NONE|ANYONECANPAY" => 0x82,
        "SINGLE|ANYONECANPAY" => 0x83,
        _ => {
            return Err(RpcError::invalid_parameter(format!(
                "'{s}' is not a valid sighash parameter."
            )))
        }
    }))
}

fn to_asm(s: &ScriptBuf) -> String {
    script::to_asm(s.as_bytes(), false)
}

/// Core's `ParsePrevouts`: fills `coins` from `prevtxs` and, when a
/// `keystore` is given (`signrawtransactionwithkey`), adds the P2SH/P2WSH
/// scripts to it. The wallet passes none, as Core's
/// `signrawtransactionwithwallet` does.
pub fn parse_prevouts(
    prevtxs: Option<&Value>,
    mut keystore: Option<&mut Keystore>,
    coins: &mut BTreeMap<OutPoint, TxOut>,
) -> RpcResult<()> {
    let Some(prevtxs) = prevtxs else {
        return Ok(());
    };
    let Some(list) = prevtxs.as_array() else {
        return Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type array",
            json_type_name(prevtxs)
        )));
    };
    for p in list {
        let Some(o) = p.as_object() else {
            return Err(RpcError::deserialization(
                "expected object with {\"txid'\",\"vout\",\"scriptPubKey\"}",
            ));
        };
        // Core's RPCTypeCheckObj: "Missing <key>" before any value is read.
        rpc::json::type_check_obj(
            o,
            &[
                ("txid", "string"),
                ("vout", "number"),
                ("scriptPubKey", "string"),
            ],
            false,
            false,
        )?;
        let txid = create::parse_hash(o.get("txid"), "txid")?;
        let vout = o
            .get("vout")
            .and_then(Value::as_i64)
            .ok_or_else(|| RpcError::type_error("JSON integer out of range"))?;
        if vout < 0 {
            return Err(RpcError::deserialization("vout cannot be negative"));
        }
        let out = OutPoint {
            txid,
            vout: u32::try_from(vout)
                .map_err(|_| RpcError::type_error("JSON integer out of range"))?,
        };
        let spk = hex_field(o, "scriptPubKey")?.unwrap_or_default();
        let spk = ScriptBuf::from_bytes(spk);
        if let Some(c) = coins.get(&out) {
            if c.script_pubkey != spk {
                return Err(RpcError::deserialization(format!(
                    "Previous output scriptPubKey mismatch:\n{}\nvs:\n{}",
                    to_asm(&c.script_pubkey),
                    to_asm(&spk)
                )));
            }
        }
        let value = match o.get("amount") {
            Some(a) => Amount::from_sat(rpc::json::amount_from_value(a, 8)? as u64),
            None => Amount::MAX_MONEY,
        };
        coins.insert(
            out,
            TxOut {
                value,
                script_pubkey: spk.clone(),
            },
        );
        let (is_p2sh, is_p2wsh) = (spk.is_p2sh(), spk.is_p2wsh());
        let Some(keystore) = keystore.as_deref_mut().filter(|_| is_p2sh || is_p2wsh) else {
            continue;
        };
        rpc::json::type_check_obj(
            o,
            &[("redeemScript", "string"), ("witnessScript", "string")],
            true,
            false,
        )?;
        let rs = hex_field(o, "redeemScript")?;
        let ws = hex_field(o, "witnessScript")?;
        let Some(s) = ws.clone().or(rs.clone()) else {
            return Err(RpcError::invalid_parameter(
                "Missing redeemScript/witnessScript",
            ));
        };
        let wsh = address::Destination::p2wsh(&s).script_pubkey();
        keystore.add_script(s.clone());
        keystore.add_script(wsh.clone());
        if let (Some(ws), Some(rs)) = (&ws, &rs) {
            if ws != rs && *rs != wsh {
                return Err(RpcError::invalid_parameter(
                    "redeemScript does not correspond to witnessScript",
                ));
            }
        }
        let matches = if is_p2sh {
            spk.as_bytes() == address::Destination::p2sh(&s).script_pubkey()
                || spk.as_bytes() == address::Destination::p2sh(&wsh).script_pubkey()
        } else {
            spk.as_bytes() == wsh
        };
        if !matches {
            return Err(RpcError::invalid_parameter(
                "redeemScript/witnessScript does not match scriptPubKey",
            ));
        }
    }
    Ok(())
}

fn hex_field(o: &Map<String, Value>, key: &str) -> RpcResult<Option<Vec<u8>>> {
    match o.get(key).and_then(Value::as_str) {
        None => Ok(None),
        Some(s) => common::strencodings::parse_hex(s).map(Some).ok_or_else(|| {
            RpcError::invalid_parameter(format!("{key} must be hexadecimal string (not '{s}')"))
        }),
    }
}

fn tx_in_error(tx: &Transaction, i: usize, msg: &str) -> Value {
    let txin = &tx.input[i];
    let witness: Vec<String> = txin.witness.iter().map(hex::encode).collect();
    json!({
        "txid": txin.previous_output.txid.to_string(),
        "vout": txin.previous_output.vout,
        "witness": witness,
        "scriptSig": hex::encode(txin.script_sig.as_bytes()),
        "sequence": txin.sequence.0,
        "error": msg,
    })
}

/// Core's `CTxOut::ToString`.
fn txout_string(o: &TxOut) -> String {
    let sats = o.value.to_sat();
    let hex = hex::encode(o.script_pubkey.as_bytes());
    format!(
        "CTxOut(nValue={}.{:08}, scriptPubKey={})",
        sats / 100_000_000,
        sats % 100_000_000,
        &hex[..hex.len().min(30)]
    )
}

const EMPTY_WITNESS: &str = "Witness program was passed an empty witness";
const PROGRAM_MISMATCH: &str = "Witness program hash mismatch";
const STACK_SIZE: &str = "Unable to sign input, invalid stack size (possibly missing key)";
const NULLFAIL: &str =
    "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)";
const EVAL_FALSE: &str =
    "Script evaluated without error but finished with a false/empty top stack element";

/// Core's text for an input that could not be completed: what verifying
/// the produced scripts fails with.
fn sign_error(spk: &[u8], sd: &SigData) -> &'static str {
    if let Some((version, program)) = script::witness_program(spk) {
        if sd.script_witness.is_empty() {
            // P2WPKH wants exactly two items; other programs report the empty stack.
            return if version == 0 && program.len() == 20 {
                PROGRAM_MISMATCH
            } else {
                EMPTY_WITNESS
            };
        }
    }
    let inner = [&sd.witness_script, &sd.redeem_script]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or(spk, Vec::as_slice);
    let (ty, sol) = script::solve(inner);
    if ty != script::TxoutType::Multisig {
        return STACK_SIZE;
    }
    let signed = sol[1..sol.len() - 1].iter().any(|pk| {
        sd.signatures
            .contains_key(&hash160::Hash::hash(pk).to_byte_array())
    });
    if signed {
        NULLFAIL
    } else {
        EVAL_FALSE
    }
}

/// Signs every input of `tx` it can (Core's `SignTransaction`); `others` are
/// further copies whose signatures may be merged. `sighash` 0 is DEFAULT.
/// Returns the error objects.
pub fn sign_transaction(
    tx: &mut Transaction,
    others: &[Transaction],
    keystore: &Keystore,
    coins: &BTreeMap<OutPoint, TxOut>,
    sighash: i32,
) -> RpcResult<Vec<Value>> {
    let mut errors = Vec::new();
    let unsigned = tx.clone();
    let mut signing = unsigned.clone();
    for i in &mut signing.input {
        i.script_sig = ScriptBuf::new();
        i.witness = bitcoin::Witness::new();
    }
    // Taproot signing needs every spent output.
    let spent_all: Option<Vec<TxOut>> = signing
        .input
        .iter()
        .map(|i| coins.get(&i.previous_output).cloned())
        .collect();
    for i in 0..tx.input.len() {
        let Some(spent) = coins.get(&tx.input[i].previous_output) else {
            errors.push(tx_in_error(tx, i, "Input not found or already spent"));
            continue;
        };
        let mut candidates =
            sign::existing_items(&unsigned.input[i].script_sig, &unsigned.input[i].witness);
        for o in others {
            if let Some(inp) = o.input.get(i) {
                candidates.extend(sign::existing_items(&inp.script_sig, &inp.witness));
            }
        }
        // Scripts revealed by existing data are usable, as Core's `DataFromTransaction`.
        let mut known = keystore.clone();
        for item in &candidates {
            known.add_script(item.clone());
        }
        let mut sd = SigData {
            candidates,
            ..Default::default()
        };
        let creator = Creator::Real {
            tx: &signing,
            index: i,
            amount: spent.value.to_sat() as i64,
            spent: spent_all.as_deref(),
            sighash,
        };
        produce_signature(&known, &creator, spent.script_pubkey.as_bytes(), &mut sd);
        tx.input[i].script_sig = ScriptBuf::from_bytes(sd.script_sig.clone());
        tx.input[i].witness = bitcoin::Witness::from_slice(&sd.script_witness);
        if sign::is_missing_amount(spent.value) && !tx.input[i].witness.is_empty() {
            return Err(RpcError::type_error(format!(
                "Missing amount for {}",
                txout_string(spent)
            )));
        }
        if !sd.complete {
            errors.push(tx_in_error(
                tx,
                i,
                sign_error(spent.script_pubkey.as_bytes(), &sd),
            ));
        }
    }
    Ok(errors)
}

rpc_params! {
    /// `signrawtransactionwithkey`'s parameters; the keys, previous outputs and
    /// sighash type are checked in turn by the handler, as Core does.
    struct SignRawTransactionWithKeyParams {
        /// The transaction hex string
        hexstring: String [Str, required],
        /// The base58-encoded private keys for signing
        privkeys: Vec<Value> [Arr, required, inner = vec![
            Arg::optional("privatekey", ArgType::StrHex, "private key in base58-encoding"),
        ]],
        /// The previous dependent transaction outputs
        prevtxs: Option<Value> [Arr, optional],
        /// The signature hash type.
        sighashtype: Value [Str, default = "DEFAULT"],
    }
}

fn signrawtransactionwithkey(p: ChainParams, lookup: Arc<dyn CoinLookup>) -> RpcMethod {
    RpcMethod::new(
        "signrawtransactionwithkey",
        "rawtransactions",
        "Sign inputs for raw transaction (serialized, hex-encoded).\nThe second argument is an array of base58-encoded private\nkeys that will be the only keys used to sign the transaction.\nThe third optional argument (may be null) is an array of previous transaction outputs that\nthis transaction depends on but may not yet be in the block chain.",
        move |_, a: SignRawTransactionWithKeyParams| {
            let mut tx = decode_tx(&a.hexstring)?;
            let mut keystore = Keystore::default();
            for k in &a.privkeys {
                let Some(s) = k.as_str() else {
                    return Err(RpcError::type_error(format!(
                        "JSON value of type {} is not of expected type string",
                        json_type_name(k)
                    )));
                };
                let (key, compressed) =
                    address::decode_secret(s, &p).ok_or_else(|| RpcError::invalid_address_or_key("Invalid private key"))?;
                keystore.add_key(key, compressed);
            }
            let mut coins = BTreeMap::new();
            for txin in &tx.input {
                if let Some(c) = lookup.coin(&txin.previous_output) {
                    coins.insert(txin.previous_output, c);
                }
            }
            parse_prevouts(a.prevtxs.as_ref(), Some(&mut keystore), &mut coins)?;
            let sighash = parse_sighash_opt(Some(&a.sighashtype))?.unwrap_or(0);
            let errors = sign_transaction(&mut tx, &[], &keystore, &coins, sighash)?;
            let mut out = Map::new();
            out.insert("hex".into(), json!(hex::encode(tojson::serialize_tx(&tx, true))));
            out.insert("complete".into(), json!(errors.is_empty()));
            if !errors.is_empty() {
                out.insert("errors".into(), Value::Array(errors));
            }
            Ok(Value::Object(out))
        },
    )
    .result("{\n  \"hex\" : \"hex\",\n  \"complete\" : true|false,\n  \"errors\" : [ ... ]\n}")
    .examples("> bitcoin-cli signrawtransactionwithkey \"myhex\" \"[\\\"key1\\\",\\\"key2\\\"]\"\n")
}

rpc_params! {
    /// `combinerawtransaction`'s parameters.
    struct CombineRawTransactionParams {
        /// The hex strings of partially signed transactions
        txs: Vec<Value> [Arr, required, inner = vec![
            Arg::optional("hexstring", ArgType::StrHex, "A hex-encoded raw transaction"),
        ]],
    }
}

fn combinerawtransaction(lookup: Arc<dyn CoinLookup>) -> RpcMethod {
    RpcMethod::new(
        "combinerawtransaction",
        "rawtransactions",
        "Combine multiple partially signed transactions into one transaction.\nThe combined transaction may be another partially signed transaction or a \nfully signed transaction.",
        move |_, a: CombineRawTransactionParams| {
            let list = a.txs;
            if list.len() < 2 {
                return Err(RpcError::deserialization(
                    "Missing transactions. At least two transactions required.",
                ));
            }
            let mut txs = Vec::with_capacity(list.len());
            let mut first_txid = None;
            for (idx, v) in list.iter().enumerate() {
                let tx = v
                    .as_str()
                    .and_then(|h| tojson::decode_hex_tx(h, false, true))
                    .ok_or_else(|| RpcError::deserialization(format!("TX decode failed for tx {idx}. Make sure the tx has at least one input.")))?;
                let mut stripped = tx.clone();
                for i in &mut stripped.input {
                    i.script_sig = ScriptBuf::new();
                    i.witness = bitcoin::Witness::new();
                }
                let txid = stripped.compute_txid();
                match first_txid {
                    None => first_txid = Some(txid),
                    Some(f) if f != txid => {
                        return Err(RpcError::invalid_parameter(format!(
                            "Transaction number {} not compatible with first transaction",
                            idx + 1
                        )))
                    }
                    Some(_) => {}
                }
                txs.push(tx);
            }
            let mut merged = txs[0].clone();
            let mut coins = BTreeMap::new();
            for txin in &merged.input {
                match lookup.coin(&txin.previous_output) {
                    Some(c) => {
                        coins.insert(txin.previous_output, c);
                    }
                    None => return Err(RpcError::new(rpc::error::code::VERIFY_ERROR, "Input not found or already spent")),
                }
            }
            let keystore = Keystore::default();
            let others = txs[1..].to_vec();
            sign_transaction(&mut merged, &others, &keystore, &coins, 0)?;
            Ok(json!(hex::encode(tojson::serialize_tx(&merged, true))))
        },
    )
    .result("\"str\"    (string) The hex-encoded raw transaction with signature(s)")
    .examples("> bitcoin-cli combinerawtransaction [\"myhex1\", \"myhex2\", \"myhex3\"]\n")
}

#[cfg(test)]
mod tests;
