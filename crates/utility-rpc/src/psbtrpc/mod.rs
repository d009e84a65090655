//! The PSBT RPCs that need no wallet: `createpsbt`, `decodepsbt`,
//! `combinepsbt`, `finalizepsbt`, `converttopsbt`, `utxoupdatepsbt`,
//! `joinpsbts`, `analyzepsbt` and `descriptorprocesspsbt`, as Core's.

pub mod analyze;
pub mod decode;
pub mod roles;
mod satisfier;
pub mod signer;
pub mod update;

use crate::address::ChainParams;
use crate::rawtx::sign::Keystore;
use crate::rawtx::{parse_sighash_opt, CoinLookup, CreateTxParams};
use crate::{scan_objects, tojson};
use psbt::Psbt;
use rpc::method::json_type_name;
use rpc::{rpc_params, Arg, ArgType, Deferred, RpcError, RpcMethod, RpcResult, RpcTable};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Registers the PSBT methods; the updating ones look coins up in `coins`.
pub fn register_psbt(table: &RpcTable, network: bitcoin::Network, coins: Arc<dyn CoinLookup>) {
    let p = ChainParams::for_network(network);
    table.register(decodepsbt(p));
    table.register(combinepsbt());
    table.register(finalizepsbt());
    table.register(createpsbt(p));
    table.register(converttopsbt());
    table.register(utxoupdatepsbt(network, coins.clone()));
    table.register(joinpsbts());
    table.register(analyzepsbt());
    table.register(descriptorprocesspsbt(network, coins));
}

/// Decodes base64 PSBT text, failing as Core's RPCs do.
pub fn decode_psbt(text: &str) -> RpcResult<Psbt> {
    Psbt::from_base64(text).map_err(|e| RpcError::deserialization(format!("TX decode failed {e}")))
}

fn str_item(v: &Value) -> RpcResult<&str> {
    v.as_str().ok_or_else(|| {
        RpcError::type_error(format!(
            "JSON value of type {} is not of expected type string",
            json_type_name(v)
        ))
    })
}

/// A `psbt_version` argument: only 0 or 2.
fn psbt_version(v: i64) -> RpcResult<u32> {
    let v = u32::try_from(v).map_err(|_| RpcError::misc("JSON integer out of range"))?;
    if v != 0 && v != 2 {
        return Err(RpcError::invalid_parameter(
            "The PSBT version can only be 2 or 0",
        ));
    }
    Ok(v)
}

/// The elements of a `descriptors` argument, for help.
fn descriptors_inner() -> Vec<Arg> {
    vec![
        Arg::optional("", ArgType::Str, "An output descriptor"),
        Arg::optional(
            "",
            ArgType::Obj,
            "An object with an output descriptor and extra information",
        )
        .inner(vec![
            Arg::required("desc", ArgType::Str, "An output descriptor"),
            Arg::with_default(
                "range",
                ArgType::Range,
                json!(1000),
                "Up to what index HD chains should be explored (either end or [begin,end])",
            ),
        ]),
    ]
}

rpc_params! {
    /// `decodepsbt`'s parameters.
    struct DecodePsbtParams {
        /// The PSBT base64 string
        psbt: String [Str, required],
    }
}

rpc_params! {
    /// The parameter of `analyzepsbt`.
    struct PsbtParams {
        /// A base64 string of a PSBT
        psbt: String [Str, required],
    }
}

fn decodepsbt(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "decodepsbt",
        "rawtransactions",
        "Return a JSON object representing the serialized, base64-encoded partially signed Bitcoin transaction.",
        move |_, a: DecodePsbtParams| Ok(decode::decode_json(&decode_psbt(&a.psbt)?, &p)),
    )
    .result("{\n  \"tx\" : {...},\n  \"global_xpubs\" : [...],\n  \"psbt_version\" : n,\n  \"proprietary\" : [...],\n  \"unknown\" : {...},\n  \"inputs\" : [...],\n  \"outputs\" : [...],\n  \"fee\" : n\n}")
    .examples("> bitcoin-cli decodepsbt \"psbt\"\n")
}

rpc_params! {
    /// `combinepsbt`'s parameters.
    struct CombinePsbtParams {
        /// The base64 strings of partially signed transactions
        txs: Vec<Value> [Arr, required, inner = vec![
            Arg::optional("psbt", ArgType::Str, "A base64 string of a PSBT"),
        ]],
    }
}

fn combinepsbt() -> RpcMethod {
    RpcMethod::new(
        "combinepsbt",
        "rawtransactions",
        "Combine multiple partially signed Bitcoin transactions into one transaction.\nImplements the Combiner role.",
        |_, a: CombinePsbtParams| {
            let txs = a.txs;
            if txs.is_empty() {
                return Err(RpcError::invalid_parameter("Parameter 'txs' cannot be empty"));
            }
            let mut psbts = Vec::with_capacity(txs.len());
            for t in &txs {
                psbts.push(decode_psbt(str_item(t)?)?);
            }
            let merged = psbt::combine(&psbts).ok_or_else(|| {
                RpcError::invalid_parameter("PSBTs not compatible (different transactions)")
            })?;
            Ok(json!(merged.to_base64()))
        },
    )
    .result("\"str\"    (string) The base64-encoded partially signed transaction")
    .examples("> bitcoin-cli combinepsbt '[\"mybase64_1\", \"mybase64_2\", \"mybase64_3\"]'\n")
}

rpc_params! {
    /// `finalizepsbt`'s parameters.
    struct FinalizePsbtParams {
        /// A base64 string of a PSBT
        psbt: String [Str, required],
        /// If true and the transaction is complete,
        /// extract and return the complete transaction in normal network serialization instead of the PSBT.
        extract: bool [Bool, default = true],
    }
}

fn finalizepsbt() -> RpcMethod {
    RpcMethod::new(
        "finalizepsbt",
        "rawtransactions",
        "Finalize the inputs of a PSBT. If the transaction is fully signed, it will produce a\nnetwork serialized transaction which can be broadcast with sendrawtransaction. Otherwise a PSBT will be\ncreated which has the final_scriptSig and final_scriptwitness fields filled for inputs that are complete.\nImplements the Finalizer and Extractor roles.",
        |_, a: FinalizePsbtParams| {
            let mut psbt = decode_psbt(&a.psbt)?;
            let extract = a.extract;
            let tx = roles::finalize_and_extract(&mut psbt);
            let complete = tx.is_some();
            let mut out = Map::new();
            match tx.filter(|_| extract) {
                Some(tx) => {
                    out.insert("hex".into(), json!(hex::encode(tojson::serialize_tx(&tx, true))));
                }
                None => {
                    out.insert("psbt".into(), json!(psbt.to_base64()));
                }
            }
            out.insert("complete".into(), json!(complete));
            Ok(Value::Object(out))
        },
    )
    .result("{\n  \"psbt\" : \"str\",\n  \"hex\" : \"hex\",\n  \"complete\" : true|false\n}")
    .examples("> bitcoin-cli finalizepsbt \"psbt\"\n")
}

rpc_params! {
    /// `createpsbt`'s parameters.
    struct CreatePsbtParams {
        tx: CreateTxParams [flatten],
        /// The PSBT version number to use.
        // Read after the transaction is built, as Core does.
        psbt_version: Deferred<i64> [Num, default = 2],
    }
}

fn createpsbt(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "createpsbt",
        "rawtransactions",
        "Creates a transaction in the Partially Signed Transaction format.\nImplements the Creator role.\nNote that the transaction's inputs are not signed, and\nit is not stored in the wallet or transmitted to the network.",
        move |_, a: CreatePsbtParams| {
            let tx = a.tx.construct(&p)?;
            let v = psbt_version(a.psbt_version.get()?)?;
            Ok(json!(Psbt::from_unsigned_tx(&tx, v).to_base64()))
        },
    )
    .result("\"str\"    (string) The resulting raw transaction (base64-encoded string)")
    .examples("> bitcoin-cli createpsbt \"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"address\\\":0.01}]\"\n")
}

rpc_params! {
    /// `converttopsbt`'s parameters.
    struct ConvertToPsbtParams {
        /// The hex string of a raw transaction
        hexstring: String [StrHex, required],
        /// If true, any signatures in the input will be discarded and conversion
        /// will continue. If false, RPC will fail if any signatures are present.
        permitsigdata: bool [Bool, default = false],
        /// Whether the transaction hex is a serialized witness transaction.
        iswitness: Option<bool> [Bool, hint = "depends on heuristic tests"],
        /// The PSBT version number to use.
        // Read after the transaction is decoded, as Core does.
        psbt_version: Deferred<i64> [Num, default = 2],
    }
}

fn converttopsbt() -> RpcMethod {
    RpcMethod::new(
        "converttopsbt",
        "rawtransactions",
        "Converts a network serialized transaction to a PSBT. This should be used only with createrawtransaction and fundrawtransaction\ncreatepsbt and walletcreatefundedpsbt should be used for new applications.",
        |_, a: ConvertToPsbtParams| {
            let permit = a.permitsigdata;
            let iswitness = a.iswitness;
            let (try_no_witness, try_witness) = match iswitness {
                Some(w) => (!w, w),
                None => (true, true),
            };
            let mut tx = tojson::decode_hex_tx(&a.hexstring, try_no_witness, try_witness)
                .ok_or_else(|| RpcError::deserialization("TX decode failed"))?;
            for i in &mut tx.input {
                if (!i.script_sig.is_empty() || !i.witness.is_empty()) && !permit {
                    return Err(RpcError::deserialization(
                        "Inputs must not have scriptSigs and scriptWitnesses",
                    ));
                }
                i.script_sig = bitcoin::ScriptBuf::new();
                i.witness = bitcoin::Witness::new();
            }
            let v = psbt_version(a.psbt_version.get()?)?;
            Ok(json!(Psbt::from_unsigned_tx(&tx, v).to_base64()))
        },
    )
    .result("\"str\"    (string) The resulting raw transaction (base64-encoded string)")
    .examples("> bitcoin-cli converttopsbt \"rawtransaction\"\n")
}

fn keystore_from(
    descs: &[Value],
    network: bitcoin::Network,
    expand_private: bool,
) -> RpcResult<Keystore> {
    let mut ks = Keystore::default();
    for d in descs {
        scan_objects::fill_keystore(d, network, &mut ks, expand_private)?;
    }
    Ok(ks)
}

rpc_params! {
    /// `utxoupdatepsbt`'s parameters.
    struct UtxoUpdatePsbtParams {
        /// A base64 string of a PSBT
        psbt: String [Str, required],
        /// An array of either strings or objects
        descriptors: Vec<Value> [Arr, optional, inner = descriptors_inner()],
    }
}

fn utxoupdatepsbt(network: bitcoin::Network, coins: Arc<dyn CoinLookup>) -> RpcMethod {
    RpcMethod::new(
        "utxoupdatepsbt",
        "rawtransactions",
        "Updates all segwit inputs and outputs in a PSBT with data from output descriptors, the UTXO set, txindex, or the mempool.",
        move |_, a: UtxoUpdatePsbtParams| {
            let ks = keystore_from(&a.descriptors, network, false)?;
            // Private keys are not needed to update; hide them as a precaution.
            let ks = ks.hiding(true, false);
            let psbt = update::process_psbt(&a.psbt, coins.as_ref(), &ks, None, false)?;
            Ok(json!(psbt.to_base64()))
        },
    )
    .result("\"str\"    (string) The base64-encoded partially signed transaction with inputs updated")
    .examples("> bitcoin-cli utxoupdatepsbt \"psbt\"\n")
}

rpc_params! {
    /// `joinpsbts`'s parameters.
    struct JoinPsbtsParams {
        /// The base64 strings of partially signed transactions
        txs: Vec<Value> [Arr, required, inner = vec![
            Arg::required("psbt", ArgType::Str, "A base64 string of a PSBT"),
        ]],
    }
}

fn joinpsbts() -> RpcMethod {
    RpcMethod::new(
        "joinpsbts",
        "rawtransactions",
        "Joins multiple distinct version 0 PSBTs with different inputs and outputs into one version 0 PSBT with inputs and outputs from all of the PSBTs\nNo input in any of the PSBTs can be in more than one of the PSBTs.",
        |_, a: JoinPsbtsParams| {
            let txs = a.txs;
            if txs.len() <= 1 {
                return Err(RpcError::invalid_parameter(
                    "At least two PSBTs are required to join PSBTs.",
                ));
            }
            let mut psbts = Vec::with_capacity(txs.len());
            for t in &txs {
                let p = decode_psbt(str_item(t)?)?;
                if p.psbt_version() != 0 {
                    return Err(RpcError::invalid_parameter(
                        "joinpsbts only operates on version 0 PSBTs",
                    ));
                }
                psbts.push(p);
            }
            let merged = psbt::join(&psbts).map_err(|e| match e {
                psbt::JoinError::NotVersion0 => {
                    RpcError::invalid_parameter("joinpsbts only operates on version 0 PSBTs")
                }
                psbt::JoinError::DuplicateInput(txid, vout) => RpcError::invalid_parameter(
                    format!("Input {txid}:{vout} exists in multiple PSBTs"),
                ),
            })?;
            let shuffled = psbt::reorder(
                &merged,
                &shuffled_indexes(merged.inputs.len()),
                &shuffled_indexes(merged.outputs.len()),
            );
            Ok(json!(shuffled.to_base64()))
        },
    )
    .result("\"str\"    (string) The base64-encoded partially signed transaction")
    .examples("> bitcoin-cli joinpsbts \"psbt\"\n")
}

/// `0..n` in random order, so joined inputs and outputs do not reveal
/// which PSBT they came from.
fn shuffled_indexes(n: usize) -> Vec<usize> {
    use bitcoin::secp256k1::rand::seq::SliceRandom;
    let mut v: Vec<usize> = (0..n).collect();
    v.shuffle(&mut bitcoin::secp256k1::rand::thread_rng());
    v
}

fn analyzepsbt() -> RpcMethod {
    RpcMethod::new(
        "analyzepsbt",
        "rawtransactions",
        "Analyzes and provides information about the current status of a PSBT and its inputs",
        |_, a: PsbtParams| Ok(analyze::analyze(decode_psbt(&a.psbt)?)),
    )
    .result("{\n  \"inputs\" : [...],\n  \"estimated_vsize\" : n,\n  \"estimated_feerate\" : n,\n  \"fee\" : n,\n  \"next\" : \"str\",\n  \"error\" : \"str\"\n}")
    .examples("> bitcoin-cli analyzepsbt \"psbt\"\n")
}

rpc_params! {
    /// `descriptorprocesspsbt`'s parameters.
    struct DescriptorProcessPsbtParams {
        /// The transaction base64 string
        psbt: String [Str, required],
        /// An array of either strings or objects
        descriptors: Vec<Value> [Arr, required, inner = descriptors_inner()],
        /// The signature hash type to sign with if not specified by the PSBT.
        // Parsed after the descriptors, as Core does.
        sighashtype: Option<Value> [Str, hint = "DEFAULT for Taproot, ALL otherwise"],
        /// Include BIP 32 derivation paths for public keys if we know them
        bip32derivs: bool [Bool, default = true],
        /// Also finalize inputs if possible
        finalize: bool [Bool, default = true],
    }
}

fn descriptorprocesspsbt(network: bitcoin::Network, coins: Arc<dyn CoinLookup>) -> RpcMethod {
    RpcMethod::new(
        "descriptorprocesspsbt",
        "rawtransactions",
        "Update all segwit inputs in a PSBT with information from output descriptors, the UTXO set or the mempool. \nThen, sign the inputs we are able to with information from the output descriptors. ",
        move |_, a: DescriptorProcessPsbtParams| {
            let ks = keystore_from(&a.descriptors, network, true)?;
            let sighash = parse_sighash_opt(a.sighashtype.as_ref())?;
            let ks = ks.hiding(false, !a.bip32derivs);
            let psbt = update::process_psbt(&a.psbt, coins.as_ref(), &ks, sighash, a.finalize)?;
            let complete = psbt.inputs.iter().all(psbt::Input::is_finalized);
            let mut out = Map::new();
            out.insert("psbt".into(), json!(psbt.to_base64()));
            out.insert("complete".into(), json!(complete));
            if complete {
                if let Some(tx) = roles::finalize_and_extract(&mut psbt.clone()) {
                    out.insert("hex".into(), json!(hex::encode(tojson::serialize_tx(&tx, true))));
                }
            }
            Ok(Value::Object(out))
        },
    )
    .result("{\n  \"psbt\" : \"str\",\n  \"complete\" : true|false,\n  \"hex\" : \"hex\"\n}")
    .examples("> bitcoin-cli descriptorprocesspsbt \"psbt\" \"[\\\"descriptor1\\\", \\\"descriptor2\\\"]\"\n")
}
