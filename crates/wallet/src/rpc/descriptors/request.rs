//! One `importdescriptors` request (Core's `ProcessDescriptorImport`),
//! read in Core's order: that order decides which error a bad request
//! gets. Core's own checks (`JSONRPCError`) become the request's `error`;
//! a field of the wrong JSON type (a `UniValue` runtime error in Core) or
//! a bad timestamp fails the whole call.

use crate::db::records::flags;
use crate::keys::{KeyMap, ParsedDescriptor, WalletDescriptor};
use crate::wallet::import;
use crate::wallet::{State, Wallet, Writes};
use rpc::error::{code, RpcError};
use rpc::method::{json_type_name, Arg, ArgType};
use serde_json::{json, Map, Value};

/// The fields of one `importdescriptors` request, for help.
pub(super) fn request_fields() -> Vec<Arg> {
    vec![Arg::optional("", ArgType::Obj, "").inner(vec![
        Arg::required("desc", ArgType::Str, "The descriptor to import."),
        Arg::with_default(
            "active",
            ArgType::Bool,
            json!(false),
            "Make it the active descriptor of its output type and branch",
        ),
        Arg::optional(
            "range",
            ArgType::Range,
            "For a ranged descriptor, the end or [begin,end] of the range to import",
        ),
        Arg::optional(
            "next_index",
            ArgType::Num,
            "For a ranged descriptor, the next index addresses are given from",
        ),
        Arg::required(
            "timestamp",
            ArgType::Num,
            "Creation time of the descriptor (UNIX epoch seconds), or \"now\" for the synced chain time; the rescan starts 2 hours before the earliest one",
        ),
        Arg::with_default(
            "internal",
            ArgType::Bool,
            json!(false),
            "Whether outputs to it are change rather than incoming payments",
        ),
        Arg::with_default(
            "label",
            ArgType::Str,
            json!(""),
            "Label for the address of a non-ranged external descriptor",
        ),
    ])]
}

/// Core's `UniValue` type error text, which its RPC server reports as
/// `RPC_MISC_ERROR`.
fn not_of_type(v: &Value, expected: &str) -> RpcError {
    RpcError::misc(format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type_name(v)
    ))
}

pub(super) fn get_bool(v: &Value) -> Result<bool, RpcError> {
    v.as_bool().ok_or_else(|| not_of_type(v, "bool"))
}

pub(super) fn get_str(v: &Value) -> Result<&str, RpcError> {
    v.as_str().ok_or_else(|| not_of_type(v, "string"))
}

fn get_int(v: &Value) -> Result<i64, RpcError> {
    match v {
        Value::Number(n) => rpc::json::number_to_i64(n),
        _ => Err(not_of_type(v, "number")),
    }
}

/// How processing one request ended badly.
enum Fail {
    /// Core's checks: reported in the request's result.
    Request(RpcError),
    /// Everything else: the call fails.
    Call(RpcError),
}

fn req(code: i32, message: impl Into<String>) -> Fail {
    Fail::Request(RpcError::new(code, message))
}

/// Core's `ParseDescriptorRange`; its range checks are per-request errors,
/// a non-integer number fails the call.
fn parse_range(v: &Value) -> Result<(i64, i64), Fail> {
    let (low, high) = match v {
        Value::Number(_) => (0, get_int(v).map_err(Fail::Call)?),
        Value::Array(a) if a.len() == 2 && a[0].is_number() && a[1].is_number() => {
            let low = get_int(&a[0]).map_err(Fail::Call)?;
            let high = get_int(&a[1]).map_err(Fail::Call)?;
            if low > high {
                return Err(req(
                    code::INVALID_PARAMETER,
                    "Range specified as [begin,end] must not have begin after end",
                ));
            }
            (low, high)
        }
        _ => {
            return Err(req(
                code::INVALID_PARAMETER,
                "Range must be specified as end or as [begin,end]",
            ))
        }
    };
    if low < 0 {
        return Err(req(
            code::INVALID_PARAMETER,
            "Range should be greater or equal than 0",
        ));
    }
    if (high >> 31) != 0 {
        return Err(req(code::INVALID_PARAMETER, "End of range is too high"));
    }
    if high >= low + 1_000_000 {
        return Err(req(code::INVALID_PARAMETER, "Range is too large"));
    }
    Ok((low, high))
}

/// Core's `GetImportTimestamp`: a number, or "now" for the chain's median
/// time; anything else fails the call.
pub(super) fn import_timestamp(request: &Value, now: i64) -> Result<i64, RpcError> {
    match request.get("timestamp") {
        Some(Value::Number(n)) => rpc::json::number_to_i64(n),
        Some(Value::String(s)) if s == "now" => Ok(now),
        Some(v) => Err(RpcError::type_error(format!(
            "Expected number or \"now\" timestamp value for key. got type {}",
            json_type_name(v)
        ))),
        None => Err(RpcError::type_error(
            "Missing required timestamp field for key",
        )),
    }
}

/// Whether `keys` holds the private key of a derived key (an x-only key
/// matches either parity).
fn holds_key(keys: &KeyMap, k: &crate::keys::DerivedKey) -> bool {
    if keys.contains_key(&k.pubkey) {
        return true;
    }
    k.xonly
        && keys
            .keys()
            .any(|p| p.inner.x_only_public_key().0 == k.pubkey.inner.x_only_public_key().0)
}

/// The text of a descriptor the wallet cannot parse. The wallet's parser
/// (built around miniscript's) words some failures its own way, e.g. a bad
/// key without its function's name, or an unknown function as a miniscript
/// error; the node's parser behind `getdescriptorinfo` words them as Core
/// does, so its text is used whenever it rejects the string too.
fn core_parse_error(descriptor: &str, wallet: &Wallet, e: crate::keys::KeyError) -> String {
    match utility_rpc::descriptor::parse(descriptor, true, wallet.network) {
        Err(core_text) => core_text,
        Ok(_) => e.to_string(),
    }
}

/// Core's `ProcessDescriptorImport` up to the result object: checks the
/// request, adds its descriptor(s) and sets them active or not. Changes
/// are applied to `state` and queued in `writes` as they are made.
fn import_one(
    wallet: &Wallet,
    state: &mut State,
    writes: &mut Writes,
    data: &Value,
    timestamp: i64,
    warnings: &mut Vec<String>,
) -> Result<(), Fail> {
    let field = |k: &str| data.as_object().and_then(|o| o.get(k));
    let Some(desc) = field("desc") else {
        return Err(req(code::INVALID_PARAMETER, "Descriptor not found."));
    };
    let descriptor = get_str(desc).map_err(Fail::Call)?;
    let active = match field("active") {
        Some(v) => get_bool(v).map_err(Fail::Call)?,
        None => false,
    };
    let label = match field("label") {
        None | Some(Value::Null) => "",
        Some(v) => get_str(v).map_err(Fail::Call)?,
    };
    if label == "*" {
        return Err(req(code::WALLET_INVALID_LABEL_NAME, "Invalid label name"));
    }
    let has_label = field("label").is_some();

    let parsed =
        ParsedDescriptor::parse_multipath(descriptor, wallet.network, true).map_err(|e| {
            req(
                code::INVALID_ADDRESS_OR_KEY,
                core_parse_error(descriptor, wallet, e),
            )
        })?;
    let Some((first, _)) = parsed.first() else {
        return Err(req(code::INVALID_ADDRESS_OR_KEY, "Descriptor is empty"));
    };
    warnings.extend(first.warnings());
    let mut internal = None;
    if let Some(v) = field("internal") {
        if parsed.len() > 1 {
            return Err(req(
                code::INVALID_ADDRESS_OR_KEY,
                "Cannot have multipath descriptor while also specifying 'internal'",
            ));
        }
        internal = Some(get_bool(v).map_err(Fail::Call)?);
    }

    let is_range = first.is_range();
    let (mut range_start, mut range_end, mut next_index) = (0i64, 1i64, 0i64);
    if !is_range && field("range").is_some() {
        return Err(req(
            code::INVALID_PARAMETER,
            "Range should not be specified for an un-ranged descriptor",
        ));
    } else if is_range {
        if let Some(r) = field("range") {
            let (low, high) = parse_range(r)?;
            range_start = low;
            // The given end is inclusive, the stored one exclusive.
            range_end = high + 1;
        } else {
            warnings.push("Range not given, using default keypool range".into());
            range_start = 0;
            range_end = i64::from(wallet.options.keypool_size);
        }
        next_index = range_start;
        if let Some(v) = field("next_index") {
            next_index = get_int(v).map_err(Fail::Call)?;
            if next_index < range_start || next_index >= range_end {
                return Err(req(code::INVALID_PARAMETER, "next_index is out of range"));
            }
        }
    }
    // Core narrows these to 32 bits silently; an end of 2^31 would wrap, so
    // it is refused with the text of the neighbouring check.
    let (Ok(range_start), Ok(range_end), Ok(next_index)) = (
        i32::try_from(range_start),
        i32::try_from(range_end),
        i32::try_from(next_index),
    ) else {
        return Err(req(code::INVALID_PARAMETER, "End of range is too high"));
    };

    if active && !is_range {
        return Err(req(
            code::INVALID_PARAMETER,
            "Active descriptors must be ranged",
        ));
    }
    if parsed.len() > 1 && has_label {
        return Err(req(
            code::INVALID_PARAMETER,
            "Multipath descriptors should not have a label",
        ));
    }
    if is_range && has_label {
        return Err(req(
            code::INVALID_PARAMETER,
            "Ranged descriptors should not have a label",
        ));
    }
    let mut desc_internal = internal == Some(true);
    if desc_internal && has_label {
        return Err(req(
            code::INVALID_PARAMETER,
            "Internal addresses should not have a label",
        ));
    }
    if active && !first.is_single_type() {
        return Err(req(
            code::WALLET_ERROR,
            "Combo descriptors cannot be set to active",
        ));
    }
    // Core's provider holds the keys of every descriptor of a multipath
    // expression, and gives all of them to each.
    let keys: KeyMap = parsed
        .iter()
        .flat_map(|(_, k)| k.iter().map(|(p, s)| (*p, *s)))
        .collect();
    let watch_only = state.has_flag(flags::DISABLE_PRIVATE_KEYS);
    if watch_only && !keys.is_empty() {
        return Err(req(
            code::WALLET_ERROR,
            "Cannot import private keys to a wallet with private keys disabled",
        ));
    }

    let count = parsed.len();
    for (j, (d, _)) in parsed.into_iter().enumerate() {
        if count == 2 {
            desc_internal = j == 1;
        }
        let expansion = d.expand(0, Some(&keys), None).map_err(|_| {
            req(
                code::WALLET_ERROR,
                "Cannot expand descriptor. Probably because of hardened derivations without private keys provided",
            )
        })?;
        let derived_privs = d.expand_private(0, &keys).unwrap_or_default();
        let have_all_privkeys = !derived_privs.is_empty()
            && expansion.keys.iter().all(|k| holds_key(&derived_privs, k));
        if !watch_only {
            if keys.is_empty() {
                return Err(req(
                    code::WALLET_ERROR,
                    "Cannot import descriptor without private keys to a wallet with private keys enabled",
                ));
            }
            if !have_all_privkeys {
                warnings.push(
                    "Not all private keys provided. Some wallet functionality may return unexpected errors"
                        .into(),
                );
            }
        }
        if !d.has_scripts() {
            unused_key_check(state, &d)?;
        }
        let output_type = d.output_type();
        let creation_time = u64::try_from(timestamp).unwrap_or(1);
        let wdesc = WalletDescriptor::new(d, creation_time, range_start, range_end, next_index);
        let id = import::add_wallet_descriptor(
            wallet,
            state,
            writes,
            wdesc,
            &keys,
            label,
            desc_internal,
        )
        .map_err(|m| {
            req(
                code::WALLET_ERROR,
                format!("Could not add descriptor '{descriptor}': {m}"),
            )
        })?;
        match (active, output_type) {
            (true, None) => {
                warnings.push("Unknown output type, cannot set descriptor to active.".into())
            }
            (true, Some(t)) => import::activate(wallet, state, writes, id, t, desc_internal),
            (false, Some(t)) => import::deactivate(wallet, state, writes, id, t, desc_internal),
            (false, None) => {}
        }
    }
    Ok(())
}

/// One request's result object (`success`, `error`, `warnings`); what it
/// changed is made durable whether or not it succeeded, since Core writes
/// each change as it is made.
pub(super) fn process_import(
    wallet: &Wallet,
    state: &mut State,
    data: &Value,
    timestamp: i64,
) -> Result<Value, RpcError> {
    let mut warnings = Vec::new();
    let mut writes = Writes::default();
    let outcome = import_one(wallet, state, &mut writes, data, timestamp, &mut warnings);
    wallet.commit(state, writes).map_err(RpcError::misc)?;
    let mut result = Map::new();
    match outcome {
        Ok(()) => {
            result.insert("success".into(), json!(true));
        }
        Err(Fail::Request(e)) => {
            result.insert("success".into(), json!(false));
            result.insert("error".into(), e.to_json());
        }
        Err(Fail::Call(e)) => return Err(e),
    }
    if !warnings.is_empty() {
        result.insert("warnings".into(), json!(warnings));
    }
    Ok(Value::Object(result))
}

/// Core's checks of an `unused(KEY)` import: only into a wallet with private
/// keys, and only for a key the wallet does not hold already.
fn unused_key_check(state: &State, d: &ParsedDescriptor) -> Result<(), Fail> {
    use miniscript::descriptor::{DescriptorPublicKey, SinglePubKey};
    if state.has_flag(flags::DISABLE_PRIVATE_KEYS) {
        return Err(req(
            code::WALLET_ERROR,
            "Cannot import unused() to wallet without private keys enabled",
        ));
    }
    let pubkey = match d.key_expressions().first() {
        Some(DescriptorPublicKey::XPub(x)) => Some(bitcoin::PublicKey::new(x.xkey.public_key)),
        Some(DescriptorPublicKey::Single(s)) => match s.key {
            SinglePubKey::FullKey(k) => Some(k),
            SinglePubKey::XOnly(_) => None,
        },
        _ => None,
    };
    let held = pubkey.is_some_and(|k| import::private_key(state, &k).ok().flatten().is_some());
    if held {
        return Err(req(
            code::WALLET_ERROR,
            "Cannot import an unused() descriptor when its private key is already in the wallet",
        ));
    }
    Ok(())
}
