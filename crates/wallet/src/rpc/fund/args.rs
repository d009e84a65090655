//! The parameters of the funding and fee-bumping methods and the keys of
//! their options objects. The options are handed to the methods as raw
//! JSON (Core reads them key by key, and its error order depends on
//! that); the key lists here serve help and the mapping of named
//! arguments into the options object.

use rpc::{rpc_params, Arg, ArgType};
use serde_json::{json, Value};

fn hint(name: &'static str, ty: ArgType, hint: &str, desc: &str) -> Arg {
    Arg::with_hint(name, ty, hint, desc)
}

fn default(name: &'static str, ty: ArgType, value: Value, desc: &str) -> Arg {
    Arg::with_default(name, ty, value, desc)
}

fn optional(name: &'static str, ty: ArgType, desc: &str) -> Arg {
    Arg::optional(name, ty, desc)
}

/// `add_inputs` as `send` and `walletcreatefundedpsbt` default it.
fn add_inputs_auto() -> Arg {
    hint(
        "add_inputs",
        ArgType::Bool,
        "false when \"inputs\" are specified, true otherwise",
        "Whether the wallet may add its coins to cover the amounts.",
    )
}

fn include_unsafe() -> Arg {
    default(
        "include_unsafe",
        ArgType::Bool,
        json!(false),
        "Also spend unconfirmed coins from others and unconfirmed replacements, which may disappear.",
    )
}

fn minconf() -> Arg {
    default(
        "minconf",
        ArgType::Num,
        json!(0),
        "Least confirmations of the coins added.",
    )
}

fn maxconf() -> Arg {
    optional(
        "maxconf",
        ArgType::Num,
        "Most confirmations of the coins added.",
    )
}

fn change_type(address_key: &str) -> Arg {
    hint(
        "change_type",
        ArgType::Str,
        "set by -changetype",
        &format!("Output type of the change (\"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\"); not with {address_key}."),
    )
}

fn fee_rate() -> Arg {
    hint(
        "fee_rate",
        ArgType::Amount,
        "not set, fall back to wallet fee estimation",
        "Fee rate in sat/vB.",
    )
}

fn watching(name: &'static str) -> Arg {
    default(name, ArgType::Bool, json!(false), "(DEPRECATED) Ignored.")
}

fn max_tx_weight() -> Arg {
    default(
        "max_tx_weight",
        ArgType::Num,
        json!(400_000),
        "Largest acceptable transaction weight; funding fails beyond it.",
    )
}

fn sffo(name: &'static str) -> Arg {
    default(
        name,
        ArgType::Arr,
        json!([]),
        "Output positions (before change is added) sharing the fee equally; none: the sender pays it.",
    )
    .inner(vec![optional(
        "vout_index",
        ArgType::Num,
        "A zero-based output position.",
    )])
}

fn input_items(sequence: bool, weight: bool) -> Vec<Arg> {
    let mut fields = vec![
        Arg::required("txid", ArgType::StrHex, "The transaction id"),
        Arg::required("vout", ArgType::Num, "The output number"),
    ];
    if sequence {
        fields.push(hint(
            "sequence",
            ArgType::Num,
            "depends on the value of the 'replaceable' and 'locktime' arguments",
            "The sequence number",
        ));
    }
    if weight {
        fields.push(hint(
            "weight",
            ArgType::Num,
            "Calculated from wallet and solving data",
            "Largest weight of the signed input, outpoint and sequence included.",
        ));
    }
    vec![optional("", ArgType::Obj, "").inner(fields)]
}

/// Core's `FundTxDoc`: target, mode, replaceability and (optionally)
/// solving data.
fn fund_tx_doc(solving_data: bool) -> Vec<Arg> {
    let mut args = vec![
        hint(
            "conf_target",
            ArgType::Num,
            "wallet -txconfirmtarget",
            "Confirmation target in blocks",
        ),
        hint(
            "estimate_mode",
            ArgType::Str,
            "\"unset\"",
            "Fee estimate mode: \"unset\", \"economical\" or \"conservative\" (case insensitive).",
        ),
        hint(
            "replaceable",
            ArgType::Bool,
            "wallet default",
            "Whether to signal BIP125 replaceability.",
        ),
    ];
    if solving_data {
        args.push(
            optional(
                "solving_data",
                ArgType::Obj,
                "Keys and scripts sizing inputs the wallet cannot sign for.",
            )
            .inner(vec![
                default("pubkeys", ArgType::Arr, json!([]), "Public keys.").inner(vec![optional(
                    "pubkey",
                    ArgType::StrHex,
                    "A public key",
                )]),
                default("scripts", ArgType::Arr, json!([]), "Scripts.").inner(vec![optional(
                    "script",
                    ArgType::StrHex,
                    "A script",
                )]),
                default("descriptors", ArgType::Arr, json!([]), "Descriptors.")
                    .inner(vec![optional("descriptor", ArgType::Str, "A descriptor")]),
            ]),
        );
    }
    args
}

/// `fundrawtransaction`'s option keys.
pub fn fundraw_options() -> Vec<Arg> {
    let mut args = vec![
        default(
            "add_inputs",
            ArgType::Bool,
            json!(true),
            "Whether the wallet may add its coins when the inputs given fall short.",
        ),
        include_unsafe(),
        minconf(),
        maxconf(),
    ];
    args.extend(change_and_fee_options());
    args.extend([
        optional(
            "input_weights",
            ArgType::Arr,
            "Inputs and their largest weights",
        )
        .inner(input_items(false, true)),
        max_tx_weight(),
    ]);
    args.extend(fund_tx_doc(true));
    args
}

/// The change and fee keys `fundrawtransaction` and `walletcreatefundedpsbt`
/// share, in Core's order.
fn change_and_fee_options() -> Vec<Arg> {
    vec![
        hint(
            "changeAddress",
            ArgType::Str,
            "automatic",
            "The address receiving the change",
        ),
        hint(
            "changePosition",
            ArgType::Num,
            "random",
            "The index of the change output",
        ),
        change_type("changeAddress"),
        watching("includeWatching"),
        default(
            "lockUnspents",
            ArgType::Bool,
            json!(false),
            "Lock the inputs chosen",
        ),
        fee_rate(),
        hint(
            "feeRate",
            ArgType::Amount,
            "not set, fall back to wallet fee estimation",
            "Fee rate in BTC/kvB.",
        ),
        sffo("subtractFeeFromOutputs"),
    ]
}

/// `walletcreatefundedpsbt`'s option keys.
pub fn psbt_options() -> Vec<Arg> {
    let mut args = vec![add_inputs_auto(), include_unsafe(), minconf(), maxconf()];
    args.extend(change_and_fee_options());
    args.push(max_tx_weight());
    args.extend(fund_tx_doc(true));
    args
}

fn locktime() -> Arg {
    hint(
        "locktime",
        ArgType::Num,
        "locktime close to block height to prevent fee sniping",
        "Raw locktime. Non-0 value also locktime-activates inputs",
    )
}

fn add_to_wallet() -> Arg {
    default(
        "add_to_wallet",
        ArgType::Bool,
        json!(true),
        "false: return the transaction without adding it to the wallet or broadcasting it.",
    )
}

fn psbt_flag() -> Arg {
    hint(
        "psbt",
        ArgType::Bool,
        "automatic",
        "Always return a PSBT (implies add_to_wallet=false).",
    )
}

/// `send`'s option keys.
pub fn send_options() -> Vec<Arg> {
    let mut args = vec![
        add_inputs_auto(),
        include_unsafe(),
        minconf(),
        maxconf(),
        add_to_wallet(),
        hint(
            "change_address",
            ArgType::Str,
            "automatic",
            "The address receiving the change",
        ),
        hint(
            "change_position",
            ArgType::Num,
            "random",
            "The index of the change output",
        ),
        change_type("change_address"),
        fee_rate(),
        watching("include_watching"),
        default(
            "inputs",
            ArgType::Arr,
            json!([]),
            "Inputs to spend instead of choosing them",
        )
        .inner(input_items(true, true)),
        locktime(),
        default(
            "lock_unspents",
            ArgType::Bool,
            json!(false),
            "Lock the inputs chosen",
        ),
        psbt_flag(),
        sffo("subtract_fee_from_outputs"),
        max_tx_weight(),
    ];
    args.extend(fund_tx_doc(true));
    args
}

/// `sendall`'s option keys.
pub fn sendall_options() -> Vec<Arg> {
    let mut args = vec![
        add_to_wallet(),
        fee_rate(),
        watching("include_watching"),
        default(
            "inputs",
            ArgType::Arr,
            json!([]),
            "Exactly the inputs to spend; not with send_max, minconf or maxconf",
        )
        .inner(input_items(true, false)),
        locktime(),
        default(
            "lock_unspents",
            ArgType::Bool,
            json!(false),
            "Lock the inputs spent",
        ),
        psbt_flag(),
        default(
            "send_max",
            ArgType::Bool,
            json!(false),
            "Only spend coins worth more than the fee to spend them; not with inputs.",
        ),
        minconf(),
        maxconf(),
        default("version", ArgType::Num, json!(2), "Transaction version"),
    ];
    args.extend(fund_tx_doc(true));
    args
}

fn outputs_doc() -> Vec<Arg> {
    vec![
        optional("", ArgType::ObjUserKeys, "").inner(vec![Arg::required(
            "address",
            ArgType::Amount,
            "Address as key, amount in BTC as value",
        )]),
        optional("", ArgType::Obj, "").inner(vec![Arg::required(
            "data",
            ArgType::StrHex,
            "Hex data for an OP_RETURN output",
        )]),
    ]
}

/// `bumpfee`'s option keys; `psbtbumpfee` adds the PSBT version.
pub fn bump_options(psbt: bool) -> Vec<Arg> {
    let mut args = vec![
        hint(
            "conf_target",
            ArgType::Num,
            "wallet -txconfirmtarget",
            "Confirmation target in blocks",
        ),
        hint(
            "fee_rate",
            ArgType::Amount,
            "not set, fall back to wallet fee estimation",
            "Fee rate in sat/vB for the replacement; at least 1.000 sat/vB above the original's.",
        ),
        default(
            "replaceable",
            ArgType::Bool,
            json!(true),
            "Whether the replacement signals BIP125 (sequence 0xfffffffd) or not (0xfffffffe).",
        ),
        hint(
            "estimate_mode",
            ArgType::Str,
            "\"unset\"",
            "Fee estimate mode: \"unset\", \"economical\" or \"conservative\" (case insensitive).",
        ),
        default(
            "outputs",
            ArgType::Arr,
            json!([]),
            "New outputs replacing the original's; not with original_change_index.",
        )
        .inner(outputs_doc())
        .skip_type_check(),
        hint(
            "original_change_index",
            ArgType::Num,
            "not set, detect change automatically",
            "The original output to recycle as the change; not with outputs.",
        ),
    ];
    if psbt {
        args.push(default(
            "psbt_version",
            ArgType::Num,
            json!(2),
            "The PSBT version number to use.",
        ));
    }
    args
}

rpc_params! {
    /// `fundrawtransaction`'s parameters.
    pub struct FundRawParams {
        /// The hex string of the raw transaction
        pub hexstring: String [StrHex, required],
        /// Funding options
        pub options: Option<Value> [ObjNamedParams, optional, skip_type_check, oneline = "options", inner = fundraw_options()],
        /// Whether the hex is a witness serialization; unset tries both.
        pub iswitness: Option<bool> [Bool, hint = "depends on heuristic tests"],
    }
}

rpc_params! {
    /// `walletcreatefundedpsbt`'s parameters.
    pub struct CreateFundedPsbtParams {
        /// Inputs to spend; empty lets the wallet choose (see add_inputs).
        pub inputs: Option<Value> [Arr, optional, inner = input_items(true, true)],
        /// The outputs as key-value pairs (an object is accepted too)
        pub outputs: Value [Arr, required, skip_type_check, inner = outputs_doc()],
        /// Raw locktime. Non-0 value also locktime-activates inputs
        pub locktime: Value [Num, default = 0],
        /// Funding options
        pub options: Option<Value> [ObjNamedParams, optional, oneline = "options", inner = psbt_options()],
        /// Include BIP 32 derivation paths for public keys if we know them
        pub bip32derivs: bool [Bool, default = true],
        /// Transaction version
        pub version: Value [Num, default = 2],
        /// The PSBT version number to use.
        pub psbt_version: Value [Num, default = 2],
    }
}

rpc_params! {
    /// `send`'s parameters.
    pub struct SendParams {
        /// The outputs as key-value pairs (an object is accepted too)
        pub outputs: Value [Arr, required, skip_type_check, inner = outputs_doc()],
        /// Confirmation target in blocks
        pub conf_target: Value [Num, hint = "wallet -txconfirmtarget"],
        /// Fee estimate mode: "unset", "economical" or "conservative" (case insensitive).
        pub estimate_mode: Value [Str, hint = "\"unset\""],
        /// Fee rate in sat/vB.
        pub fee_rate: Value [Amount, hint = "not set, fall back to wallet fee estimation"],
        /// Sending options
        pub options: Option<Value> [ObjNamedParams, optional, oneline = "options", inner = send_options()],
        /// Transaction version
        pub version: Value [Num, default = 2],
    }
}

rpc_params! {
    /// `sendall`'s parameters.
    pub struct SendAllParams {
        /// Addresses sharing what is left, or {address: amount} payments; at least one address without an amount.
        pub recipients: Value [Arr, required, inner = vec![
            Arg::required("address", ArgType::Str, "An address sharing the remainder"),
            optional("", ArgType::ObjUserKeys, "").inner(vec![Arg::required("address", ArgType::Amount, "Address as key, amount in BTC as value")]),
        ]],
        /// Confirmation target in blocks
        pub conf_target: Value [Num, hint = "wallet -txconfirmtarget"],
        /// Fee estimate mode: "unset", "economical" or "conservative" (case insensitive).
        pub estimate_mode: Value [Str, hint = "\"unset\""],
        /// Fee rate in sat/vB.
        pub fee_rate: Value [Amount, hint = "not set, fall back to wallet fee estimation"],
        /// Sending options
        pub options: Option<Value> [ObjNamedParams, optional, oneline = "options", inner = sendall_options()],
    }
}

rpc_params! {
    /// `bumpfee`'s parameters.
    pub struct BumpFeeParams {
        /// The txid to be bumped
        pub txid: String [StrHex, required],
        /// Bump options
        pub options: Option<Value> [ObjNamedParams, optional, oneline = "options", inner = bump_options(false)],
    }
}

rpc_params! {
    /// `psbtbumpfee`'s parameters.
    pub struct PsbtBumpFeeParams {
        /// The txid to be bumped
        pub txid: String [StrHex, required],
        /// Bump options
        pub options: Option<Value> [ObjNamedParams, optional, oneline = "options", inner = bump_options(true)],
    }
}
