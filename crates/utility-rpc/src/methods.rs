//! The RPC method descriptions and handlers.

use crate::address::{self, ChainParams};
use crate::message::{self, Verification};
use crate::multisig::{self, OutputType};
use crate::script::{self, TxoutType};
use crate::{descriptor, tojson};
use rpc::method::json_type_name;
use rpc::{rpc_params, Arg, ArgType, FromParam, RpcError, RpcMethod, RpcRequest, RpcResult};
use serde_json::{json, Map, Value};

/// All methods of this crate for `network`.
pub fn all(network: bitcoin::Network) -> Vec<RpcMethod> {
    let p = ChainParams::for_network(network);
    vec![
        validateaddress(p),
        decodescript(p),
        decoderawtransaction(p),
        getdescriptorinfo(network),
        deriveaddresses(network),
        createmultisig(p),
        signmessagewithprivkey(p),
        verifymessage(p),
    ]
}

rpc_params! {
    /// `validateaddress`'s parameters.
    struct ValidateAddressParams {
        /// The address to check
        address: String [Str, required],
    }
}

fn validateaddress(p: ChainParams) -> RpcMethod {
    RpcMethod::new("validateaddress", "util", "Return information about the given bitcoin address.", move |_, a: ValidateAddressParams| {
        validate_address(&a.address, &p)
    })
    .result(
        "{\n  \"isvalid\" : true|false,\n  \"address\" : \"str\",\n  \"scriptPubKey\" : \"hex\",\n  \"isscript\" : true|false,\n  \"iswitness\" : true|false,\n  \"witness_version\" : n,\n  \"witness_program\" : \"hex\",\n  \"error\" : \"str\",\n  \"error_locations\" : [n,...]\n}",
    )
    .examples("> bitcoin-cli validateaddress \"<address>\"\n")
}

/// The `validateaddress` result object for `addr`.
pub fn validate_address(addr: &str, p: &ChainParams) -> RpcResult {
    let mut out = Map::new();
    match address::decode(addr, p) {
        Ok(dest) => {
            out.insert("isvalid".into(), json!(true));
            out.insert("address".into(), json!(dest.encode(p)));
            out.insert(
                "scriptPubKey".into(),
                json!(hex::encode(dest.script_pubkey())),
            );
            out.extend(dest.describe());
        }
        Err(e) => {
            out.insert("isvalid".into(), json!(false));
            out.insert("error_locations".into(), json!(e.locations));
            out.insert("error".into(), json!(e.message));
        }
    }
    Ok(Value::Object(out))
}

rpc_params! {
    /// `decodescript`'s parameters.
    struct DecodeScriptParams {
        /// The script as hex
        hexstring: String [StrHex, required],
    }
}

fn decodescript(p: ChainParams) -> RpcMethod {
    RpcMethod::new("decodescript", "rawtransactions", "Decodes a hex-encoded script.", move |_, a: DecodeScriptParams| {
        let hex = &a.hexstring;
        let spk = if hex.is_empty() {
            Vec::new()
        } else {
            common::strencodings::parse_hex(hex).ok_or_else(|| {
                RpcError::invalid_parameter(format!("argument must be hexadecimal string (not '{hex}')"))
            })?
        };
        Ok(Value::Object(decode_script(&spk, &p)))
    })
    .result(
        "{\n  \"asm\" : \"str\",\n  \"desc\" : \"str\",\n  \"type\" : \"str\",\n  \"address\" : \"str\",\n  \"p2sh\" : \"str\",\n  \"segwit\" : {\n    \"asm\" : \"str\",\n    \"hex\" : \"hex\",\n    \"type\" : \"str\",\n    \"address\" : \"str\",\n    \"desc\" : \"str\",\n    \"p2sh-segwit\" : \"str\"\n  }\n}",
    )
    .examples("> bitcoin-cli decodescript \"hexstring\"\n")
}

/// The `decodescript` result for a script.
pub fn decode_script(spk: &[u8], p: &ChainParams) -> Map<String, Value> {
    let mut r = tojson::script_to_json(spk, false, true, &[], p);
    let (ty, sol) = script::solve(spk);
    let wrappable_type = matches!(
        ty,
        TxoutType::Multisig
            | TxoutType::NonStandard
            | TxoutType::PubKey
            | TxoutType::PubKeyHash
            | TxoutType::WitnessV0KeyHash
            | TxoutType::WitnessV0ScriptHash
    );
    let can_wrap = wrappable_type
        && script::has_valid_ops(spk)
        && !script::is_unspendable(spk)
        && !script::has_tapscript_only_ops(spk);
    if !can_wrap {
        return r;
    }
    r.insert(
        "p2sh".into(),
        json!(address::Destination::p2sh(spk).encode(p)),
    );
    let can_wrap_p2wsh = match ty {
        TxoutType::Multisig | TxoutType::PubKey => {
            sol.iter().all(|s| s.len() == 1 || s.len() == 33)
        }
        TxoutType::NonStandard | TxoutType::PubKeyHash => true,
        _ => false,
    };
    if !can_wrap_p2wsh {
        return r;
    }
    use bitcoin::hashes::{hash160, Hash};
    let (segwit, known) = match ty {
        TxoutType::PubKey => {
            let h = hash160::Hash::hash(&sol[0]).to_byte_array();
            (
                address::Destination::WitnessV0KeyHash(h).script_pubkey(),
                vec![],
            )
        }
        TxoutType::PubKeyHash => {
            let h: [u8; 20] = sol[0].as_slice().try_into().unwrap_or([0; 20]);
            (
                address::Destination::WitnessV0KeyHash(h).script_pubkey(),
                vec![],
            )
        }
        _ => (
            address::Destination::p2wsh(spk).script_pubkey(),
            vec![spk.to_vec()],
        ),
    };
    let mut sr = tojson::script_to_json(&segwit, true, true, &known, p);
    sr.insert(
        "p2sh-segwit".into(),
        json!(address::Destination::p2sh(&segwit).encode(p)),
    );
    r.insert("segwit".into(), Value::Object(sr));
    r
}

rpc_params! {
    /// `decoderawtransaction`'s parameters.
    struct DecodeRawTransactionParams {
        /// The transaction as hex
        hexstring: String [StrHex, required],
        /// Whether the hex uses the witness serialization. Without it both forms are tried;
        /// true tries only the witness form, false only the legacy form.
        iswitness: Option<bool> [Bool, hint = "depends on heuristic tests"],
    }
}

fn decoderawtransaction(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "decoderawtransaction",
        "rawtransactions",
        "Decodes a hex-encoded transaction into a JSON object.",
        move |_, a: DecodeRawTransactionParams| {
            let hex = &a.hexstring;
            let iswitness = a.iswitness;
            let try_witness = iswitness.unwrap_or(true);
            let try_no_witness = iswitness.map(|w| !w).unwrap_or(true);
            let tx = tojson::decode_hex_tx(hex, try_no_witness, try_witness)
                .ok_or_else(|| RpcError::deserialization("TX decode failed"))?;
            Ok(Value::Object(tojson::tx_to_json(&tx, &p)))
        },
    )
    .result(
        "{\n  \"txid\" : \"hex\",\n  \"hash\" : \"hex\",\n  \"size\" : n,\n  \"vsize\" : n,\n  \"weight\" : n,\n  \"version\" : n,\n  \"locktime\" : xxx,\n  \"vin\" : [ ... ],\n  \"vout\" : [ ... ]\n}",
    )
    .examples("> bitcoin-cli decoderawtransaction \"hexstring\"\n")
}

rpc_params! {
    /// The parameter of `getdescriptorinfo`.
    struct DescriptorParams {
        /// The descriptor.
        descriptor: String [Str, required],
    }
}

fn getdescriptorinfo(network: bitcoin::Network) -> RpcMethod {
    RpcMethod::new("getdescriptorinfo", "util", "Analyses an output descriptor.", move |_, a: DescriptorParams| {
        let text = a.descriptor.as_str();
        let parsed = descriptor::parse(text, false, network).map_err(RpcError::invalid_address_or_key)?;
        let mut out = Map::new();
        let first = parsed.canonical.first().cloned().unwrap_or_default();
        out.insert("descriptor".into(), json!(descriptor::with_checksum(&first)));
        if parsed.len() > 1 {
            let all: Vec<String> = parsed.canonical.iter().map(|d| descriptor::with_checksum(d)).collect();
            out.insert("multipath_expansion".into(), json!(all));
        }
        let body = text.split('#').next().unwrap_or("");
        out.insert("checksum".into(), json!(descriptor::checksum(body).unwrap_or_default()));
        out.insert("isrange".into(), json!(parsed.is_range));
        out.insert("issolvable".into(), json!(parsed.is_solvable));
        out.insert("hasprivatekeys".into(), json!(parsed.has_private_keys));
        Ok(Value::Object(out))
    })
    .result(
        "{\n  \"descriptor\" : \"str\",\n  \"multipath_expansion\" : [\"str\",...],\n  \"checksum\" : \"str\",\n  \"isrange\" : true|false,\n  \"issolvable\" : true|false,\n  \"hasprivatekeys\" : true|false\n}",
    )
    .examples("> bitcoin-cli getdescriptorinfo \"wpkh(...)\"\n")
}

fn range_int(v: &Value) -> RpcResult<i64> {
    match v {
        Value::Number(n) => rpc::json::number_to_i64(n),
        _ => Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type number",
            json_type_name(v)
        ))),
    }
}

/// Core's `ParseDescriptorRange`.
pub fn parse_descriptor_range(v: &Value) -> RpcResult<(i64, i64)> {
    let (low, high) = match v {
        Value::Number(_) => (0, range_int(v)?),
        Value::Array(a) if a.len() == 2 && a[0].is_number() && a[1].is_number() => {
            let (l, h) = (range_int(&a[0])?, range_int(&a[1])?);
            if l > h {
                return Err(RpcError::invalid_parameter(
                    "Range specified as [begin,end] must not have begin after end",
                ));
            }
            (l, h)
        }
        _ => {
            return Err(RpcError::invalid_parameter(
                "Range must be specified as end or as [begin,end]",
            ))
        }
    };
    if low < 0 {
        return Err(RpcError::invalid_parameter(
            "Range should be greater or equal than 0",
        ));
    }
    if (high >> 31) != 0 {
        return Err(RpcError::invalid_parameter("End of range is too high"));
    }
    if high >= low + 1_000_000 {
        return Err(RpcError::invalid_parameter("Range is too large"));
    }
    Ok((low, high))
}

/// A descriptor range argument, parsed by [`parse_descriptor_range`].
struct DescriptorRange((i64, i64));

impl FromParam for DescriptorRange {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        parse_descriptor_range(value).map(DescriptorRange)
    }
}

fn derive_list(
    parsed: &descriptor::ParsedDescriptor,
    which: usize,
    range: (i64, i64),
    p: &ChainParams,
) -> RpcResult {
    let mut out = Vec::new();
    for i in range.0..=range.1 {
        let scripts = parsed.scripts(which, i as u32).map_err(|_| {
            RpcError::invalid_address_or_key("Cannot derive script without private keys")
        })?;
        let n = scripts.len();
        for s in scripts {
            match address::extract_destination(&s) {
                Some(d) => out.push(json!(d.encode(p))),
                None if n > 1 && script::solve(&s).0 == TxoutType::PubKey => continue,
                None => {
                    return Err(RpcError::invalid_address_or_key(
                        "Descriptor does not have a corresponding address",
                    ))
                }
            }
        }
    }
    if out.is_empty() {
        return Err(RpcError::misc("Unexpected empty result"));
    }
    Ok(Value::Array(out))
}

rpc_params! {
    /// `deriveaddresses`'s parameters.
    struct DeriveAddressesParams {
        /// The descriptor.
        descriptor: String [Str, required],
        /// For ranged descriptors: the end, or [begin,end], of the range to derive.
        range: Option<DescriptorRange> [Range, optional],
    }
}

fn deriveaddresses(network: bitcoin::Network) -> RpcMethod {
    let p = ChainParams::for_network(network);
    RpcMethod::new(
        "deriveaddresses",
        "util",
        "Derives addresses from an output descriptor (e.g. pkh(<key>), wpkh(<key>), sh(multi(<n>,<key>,...)),\nraw(<hex>), tr(<key>,multi_a(<n>,<key>,...))). Keys are hex public keys or xpub/xprv with an\noptional derivation path; \"h\" marks hardened steps. See doc/descriptors.md.",
        move |r: &RpcRequest, a: DeriveAddressesParams| {
            let text = a.descriptor.as_str();
            let range = a.range.map_or((0, 0), |r| r.0);
            let parsed = descriptor::parse(text, true, network).map_err(RpcError::invalid_address_or_key)?;
            // Core counts the parameters passed (a null range counts too).
            if !parsed.is_range && r.params.len() > 1 {
                return Err(RpcError::invalid_parameter("Range should not be specified for an un-ranged descriptor"));
            }
            if parsed.is_range && r.params.len() == 1 {
                return Err(RpcError::invalid_parameter("Range must be specified for a ranged descriptor"));
            }
            if parsed.len() == 1 {
                return derive_list(&parsed, 0, range, &p);
            }
            let mut all = Vec::new();
            for which in 0..parsed.len() {
                all.push(derive_list(&parsed, which, range, &p)?);
            }
            Ok(Value::Array(all))
        },
    )
    .result("[\n  \"str\",\n  ...\n]")
    .examples("> bitcoin-cli deriveaddresses \"wpkh(...)#checksum\" \"[0,2]\"\n")
}

rpc_params! {
    /// `createmultisig`'s parameters.
    struct CreateMultisigParams {
        /// How many signatures are needed.
        nrequired: i32 [Num, required],
        /// The public keys as hex.
        // Items stay JSON values: each is checked and parsed in turn, as Core does.
        keys: Vec<Value> [Arr, required, inner = vec![
            Arg::optional("key", ArgType::StrHex, "A public key as hex"),
        ]],
        /// Address type: "legacy", "p2sh-segwit" or "bech32".
        address_type: String [Str, default = "legacy"],
    }
}

fn createmultisig(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "createmultisig",
        "util",
        "Creates an m-of-n multisig address and returns it with its redeem script.",
        move |_, a: CreateMultisigParams| {
            let required = i64::from(a.nrequired);
            let keys = a.keys;
            let mut pubkeys = Vec::with_capacity(keys.len());
            for k in &keys {
                let Some(s) = k.as_str() else {
                    return Err(RpcError::type_error(format!(
                        "JSON value of type {} is not of expected type string",
                        json_type_name(k)
                    )));
                };
                pubkeys.push(multisig::hex_to_pubkey(s)?);
            }
            let ty_name = a.address_type.as_str();
            let ty = OutputType::parse(ty_name)
                .ok_or_else(|| RpcError::invalid_address_or_key(format!("Unknown address type '{ty_name}'")))?;
            if ty == OutputType::Bech32m {
                return Err(RpcError::invalid_address_or_key("createmultisig cannot create bech32m multisig addresses"));
            }
            multisig::create(required, &pubkeys, ty, &p)
        },
    )
    .result(
        "{\n  \"address\" : \"str\",\n  \"redeemScript\" : \"hex\",\n  \"descriptor\" : \"str\",\n  \"warnings\" : [\"str\",...]\n}",
    )
    .examples("> bitcoin-cli createmultisig 2 \"[\\\"<pubkey1>\\\",\\\"<pubkey2>\\\"]\"\n")
}

rpc_params! {
    /// `signmessagewithprivkey`'s parameters.
    struct SignMessageParams {
        /// The private key (WIF).
        privkey: String [Str, required],
        /// The message to sign.
        message: String [Str, required],
    }
}

fn signmessagewithprivkey(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "signmessagewithprivkey",
        "util",
        "Signs a message with a private key.",
        move |_, a: SignMessageParams| {
            message::sign(&a.privkey, &a.message, &p)
                .map(Value::String)
                .ok_or_else(|| RpcError::invalid_address_or_key("Invalid private key"))
        },
    )
    .result("\"str\"    (string) The signature, base64-encoded")
    .examples("> bitcoin-cli signmessagewithprivkey \"privkey\" \"my message\"\n")
}

rpc_params! {
    /// `verifymessage`'s parameters.
    struct VerifyMessageParams {
        /// The address whose key signed.
        address: String [Str, required],
        /// The base64 signature.
        signature: String [Str, required],
        /// The signed message.
        message: String [Str, required],
    }
}

fn verifymessage(p: ChainParams) -> RpcMethod {
    RpcMethod::new(
        "verifymessage",
        "util",
        "Checks a signed message.",
        move |_, a: VerifyMessageParams| match message::verify(
            &a.address,
            &a.signature,
            &a.message,
            &p,
        ) {
            Verification::InvalidAddress => {
                Err(RpcError::invalid_address_or_key("Invalid address"))
            }
            Verification::AddressNoKey => {
                Err(RpcError::type_error("Address does not refer to key"))
            }
            Verification::MalformedSignature => {
                Err(RpcError::type_error("Malformed base64 encoding"))
            }
            Verification::PubkeyNotRecovered | Verification::NotSigned => Ok(json!(false)),
            Verification::Ok => Ok(json!(true)),
        },
    )
    .result("true|false    (boolean) Whether the signature is valid")
    .examples("> bitcoin-cli verifymessage \"<address>\" \"signature\" \"my message\"\n")
}

#[cfg(test)]
mod tests;
