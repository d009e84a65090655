//! Descriptor methods: `importdescriptors`, `listdescriptors`,
//! `gethdkeys` and `createwalletdescriptor`.
//!
//! `importdescriptors` reads each request in the order Core does, because
//! the order decides which error a bad request gets: Core's own checks
//! (`JSONRPCError`) become that request's `error`, while a field of the
//! wrong JSON type (a `UniValue` runtime error in Core) or a bad timestamp
//! fails the whole call. What earlier requests changed stays, as in Core.

use super::util::{ensure_unlocked, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::keys::{KeyMap, OutputType, ParsedDescriptor, WalletDescriptor};
use crate::ledger::store::TIMESTAMP_WINDOW;
use crate::wallet::import::{self, RescanReserver};
use crate::wallet::{Env, State, Wallet, Writes};
use bitcoin::bip32::Xpub;
use bitcoin::{NetworkKind, PublicKey};
use interfaces::chain::FoundBlockParam;
use rpc::error::{code, RpcError};
use rpc::method::{json_type_name, Arg, ArgType, RpcMethod};
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The fields of one `importdescriptors` request, for help.
fn request_fields() -> Vec<Arg> {
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

rpc_params! {
    /// `importdescriptors`'s parameters.
    struct ImportDescriptorsParams {
        /// The descriptors to import
        requests: Vec<Value> [Arr, required, inner = request_fields()],
    }
}

rpc_params! {
    /// `listdescriptors`'s parameters.
    struct ListDescriptorsParams {
        /// Show descriptors with their private keys.
        private: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `gethdkeys`'s options.
    struct GetHdKeysOptions {
        /// Only the keys of active descriptors
        active_only: Option<Value> [Bool, default = false, skip_type_check],
        /// Show the extended private keys
        private: Option<Value> [Bool, default = false, skip_type_check],
    }
}

rpc_params! {
    /// `gethdkeys`'s parameters.
    struct GetHdKeysParams {
        options: GetHdKeysOptions [ObjNamedParams, optional],
    }
}

rpc_params! {
    /// `createwalletdescriptor`'s options.
    struct CreateWalletDescriptorOptions {
        /// Make only the change (true) or only the receive (false) descriptor
        internal: Option<Value> [Bool, hint = "both", skip_type_check],
        /// The xpub of an HD key whose private key the wallet holds
        hdkey: Option<Value> [Str, hint = "the HD key of the active descriptors", skip_type_check],
    }
}

rpc_params! {
    /// `createwalletdescriptor`'s parameters.
    struct CreateWalletDescriptorParams {
        /// The address type: legacy, p2sh-segwit, bech32 or bech32m
        r#type: String [Str, required],
        options: CreateWalletDescriptorOptions [ObjNamedParams, optional],
    }
}

/// Core's `UniValue` type error text, which its RPC server reports as
/// `RPC_MISC_ERROR`.
fn not_of_type(v: &Value, expected: &str) -> RpcError {
    RpcError::misc(format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type_name(v)
    ))
}

fn get_bool(v: &Value) -> Result<bool, RpcError> {
    v.as_bool().ok_or_else(|| not_of_type(v, "bool"))
}

fn get_str(v: &Value) -> Result<&str, RpcError> {
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
fn import_timestamp(request: &Value, now: i64) -> Result<i64, RpcError> {
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

    let parsed = ParsedDescriptor::parse_multipath(descriptor, wallet.network, true)
        .map_err(|e| req(code::INVALID_ADDRESS_OR_KEY, e.to_string()))?;
    let Some((first, _)) = parsed.first() else {
        return Err(req(code::INVALID_ADDRESS_OR_KEY, "Descriptor is empty"));
    };
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
fn process_import(
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

/// The error that replaces a request's result when the rescan could not
/// read blocks from its time on (Core's wording).
fn rescan_failed_error(wallet: &Wallet, timestamp: i64, scanned_time: i64) -> Value {
    let mut message = format!(
        "Rescan failed for descriptor with timestamp {timestamp}. There was an error reading a block from time {}, which is after or within {TIMESTAMP_WINDOW} seconds of key creation, and could contain transactions pertaining to the desc. As a result, transactions and coins using this desc may not appear in the wallet.",
        scanned_time - TIMESTAMP_WINDOW - 1
    );
    if wallet.chain.have_pruned().unwrap_or(false) {
        message.push_str(" This error could be caused by pruning or data corruption (see bitcoind log for details) and could be dealt with by downloading and rescanning the relevant blocks (see -reindex option and rescanblockchain RPC).");
    } else if wallet.chain.has_assumed_valid_chain().unwrap_or(false) {
        message.push_str(" This error is likely caused by an in-progress assumeutxo background sync. Check logs or getchainstates RPC for assumeutxo background sync progress and try again later.");
    } else {
        message.push_str(" This error could potentially caused by data corruption. If the issue persists you may want to reindex (see -reindex option).");
    }
    json!({"success": false, "error": RpcError::misc(message).to_json()})
}

/// The time and median time past of the wallet's last block.
fn tip_times(wallet: &Wallet, state: &State) -> Result<(i64, i64), RpcError> {
    let missing = || RpcError::misc("The wallet's last processed block is not known to the node");
    let (hash, _) = state.ledger.last_block().ok_or_else(missing)?;
    let want = FoundBlockParam {
        want_time: true,
        want_mtp_time: true,
        ..Default::default()
    };
    match wallet.chain.find_block(&hash, &want) {
        Ok((f, true)) => Ok((f.time, f.mtp_time)),
        _ => Err(missing()),
    }
}

/// `importdescriptors`.
fn import_descriptors(wallet: &Arc<Wallet>, requests: &[Value]) -> Result<Value, RpcError> {
    let _reserved = RescanReserver::reserve(wallet).ok_or_else(|| {
        RpcError::new(
            code::WALLET_ERROR,
            "Wallet is currently rescanning. Abort existing rescan or wait.",
        )
    })?;
    wallet.block_until_synced();
    let mut response = Vec::with_capacity(requests.len());
    let mut rescan = false;
    let (mut lowest_timestamp, now);
    {
        let mut state = wallet.lock();
        ensure_unlocked(&state)?;
        (lowest_timestamp, now) = tip_times(wallet, &state)?;
        for request in requests {
            let timestamp = import_timestamp(request, now)?.max(1);
            let result = process_import(wallet, &mut state, request, timestamp)?;
            lowest_timestamp = lowest_timestamp.min(timestamp);
            rescan |= result["success"] == json!(true);
            response.push(result);
        }
        // Outputs of known transactions may be the wallet's now.
        {
            let State { ledger, keys, .. } = &mut *state;
            ledger.refresh_all_txos(&Env {
                keys,
                chain: &*wallet.chain,
            });
        }
        wallet
            .commit(&mut state, Writes::default())
            .map_err(RpcError::misc)?;
    }
    if rescan {
        let scanned_time = import::rescan_from_time(wallet, lowest_timestamp);
        if wallet.abort_rescan.load(Ordering::SeqCst) {
            return Err(RpcError::misc("Rescan aborted by user."));
        }
        if scanned_time > lowest_timestamp {
            for (request, result) in requests.iter().zip(response.iter_mut()) {
                let timestamp = import_timestamp(request, now)?;
                if scanned_time <= timestamp || result.get("error").is_some() {
                    continue;
                }
                *result = rescan_failed_error(wallet, timestamp, scanned_time);
            }
        }
    }
    Ok(Value::Array(response))
}

/// `listdescriptors`.
fn list_descriptors(wallet: &Wallet, private: bool) -> Result<Value, RpcError> {
    let state = wallet.lock();
    if private && state.has_flag(flags::DISABLE_PRIVATE_KEYS) {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "Can't get private descriptor string for watch-only wallets",
        ));
    }
    if private {
        ensure_unlocked(&state)?;
    }
    let infos = import::export_descriptors(&state, private)
        .map_err(|m| RpcError::new(code::WALLET_ERROR, m))?;
    let descriptors: Vec<Value> = infos
        .into_iter()
        .map(|info| {
            let mut o = Map::new();
            o.insert("desc".into(), json!(info.descriptor));
            o.insert("timestamp".into(), json!(info.creation_time));
            o.insert("active".into(), json!(info.active));
            if let Some(internal) = info.internal {
                o.insert("internal".into(), json!(internal));
            }
            if let Some((start, end)) = info.range {
                o.insert("range".into(), json!([start, end - 1]));
                o.insert("next".into(), json!(info.next_index));
                o.insert("next_index".into(), json!(info.next_index));
            }
            Value::Object(o)
        })
        .collect();
    Ok(json!({"wallet_name": wallet.name(), "descriptors": descriptors}))
}

/// `gethdkeys`.
fn get_hd_keys(wallet: &Wallet, options: &GetHdKeysOptions) -> Result<Value, RpcError> {
    let state = wallet.lock();
    let flag = |v: &Option<Value>| match v {
        Some(v) => get_bool(v),
        None => Ok(false),
    };
    let active_only = flag(&options.active_only)?;
    let private = flag(&options.private)?;
    if private {
        ensure_unlocked(&state)?;
    }
    let keys = import::hd_keys(&state, active_only, private)
        .map_err(|e| RpcError::new(code::WALLET_ERROR, e.to_string()))?;
    Ok(Value::Array(
        keys.into_iter()
            .map(|k| {
                let mut o = Map::new();
                o.insert("xpub".into(), json!(k.xpub.to_string()));
                o.insert("has_private".into(), json!(k.has_private));
                if let Some(x) = k.xprv {
                    o.insert("xprv".into(), json!(x.to_string()));
                }
                let descs: Vec<Value> = k
                    .descriptors
                    .into_iter()
                    .map(|(desc, active)| json!({"desc": desc, "active": active}))
                    .collect();
                o.insert("descriptors".into(), Value::Array(descs));
                Value::Object(o)
            })
            .collect(),
    ))
}

/// `createwalletdescriptor`.
fn create_wallet_descriptor(
    wallet: &Wallet,
    type_name: &str,
    options: &CreateWalletDescriptorOptions,
) -> Result<Value, RpcError> {
    let output_type = OutputType::from_name(type_name).ok_or_else(|| {
        RpcError::invalid_address_or_key(format!("Unknown address type '{type_name}'"))
    })?;
    let internals = match &options.internal {
        None | Some(Value::Null) => vec![false, true],
        Some(v) => vec![get_bool(v)?],
    };
    let mut state = wallet.lock();
    ensure_unlocked(&state)?;
    let xpub = match &options.hdkey {
        None | Some(Value::Null) => match import::active_hd_pubkeys(&state).as_slice() {
            [only] => *only,
            _ => {
                return Err(RpcError::invalid_address_or_key(
                    "Unable to determine which HD key to use from active descriptors. Please specify with 'hdkey'",
                ))
            }
        },
        Some(v) => Xpub::from_str(get_str(v)?)
            .ok()
            .filter(|x| x.network == NetworkKind::from(wallet.network))
            .ok_or_else(|| {
                RpcError::invalid_address_or_key(
                    "Unable to parse HD key. Please provide a valid xpub",
                )
            })?,
    };
    let key = import::private_key(&state, &PublicKey::new(xpub.public_key))
        .map_err(|e| RpcError::new(code::WALLET_ERROR, e.to_string()))?
        .ok_or_else(|| {
            RpcError::invalid_address_or_key(format!("Private key for {xpub} is not known"))
        })?;
    let master = import::xpriv_of(&xpub, &key);
    let mut writes = Writes::default();
    let created = import::create_wallet_descriptors(
        wallet,
        &mut state,
        &mut writes,
        &master,
        output_type,
        &internals,
    );
    // Whatever was made before a failure is kept, so it is written first.
    wallet.commit(&mut state, writes).map_err(RpcError::misc)?;
    let created = created.map_err(RpcError::misc)?;
    if created.is_empty() {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "Descriptor already exists",
        ));
    }
    let access = state.key_access();
    let descs = created
        .iter()
        .filter_map(|id| state.keys.spkms.get(id))
        .map(|s| s.descriptor_string(false, access).map(Value::String))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RpcError::new(code::WALLET_ERROR, e.to_string()))?;
    Ok(json!({ "descs": descs }))
}

/// Registers the descriptor methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "importdescriptors",
            "wallet",
            "Import descriptors, then rescan the chain from the earliest of their timestamps (less 2 hours) and the mempool.\nA multipath descriptor with two alternatives is imported as a receive descriptor and a change descriptor.",
            move |req, p: ImportDescriptorsParams| {
                let wallet = wallet_for_request(&c, req)?;
                import_descriptors(&wallet, &p.requests)
            },
        )
        .result("[                              (json array) One result per request, in order\n  {                            (json object)\n    \"success\" : true|false,   (boolean)\n    \"warnings\" : [            (json array, optional)\n      \"str\",                  (string)\n      ...\n    ],\n    \"error\" : {               (json object, optional)\n      \"code\" : n,             (numeric) JSONRPC error code\n      \"message\" : \"str\"       (string) JSONRPC error message\n    }\n  },\n  ...\n]"),
    );

    let c = context.clone();
    table.register(RpcMethod::new(
        "listdescriptors",
        "wallet",
        "List the wallet's descriptors.",
        move |req, p: ListDescriptorsParams| {
            let wallet = wallet_for_request(&c, req)?;
            list_descriptors(&wallet, p.private)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "gethdkeys",
        "wallet",
        "List the BIP 32 HD keys of the wallet's descriptors, with the descriptors using each.",
        move |req, p: GetHdKeysParams| {
            let wallet = wallet_for_request(&c, req)?;
            get_hd_keys(&wallet, &p.options)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "createwalletdescriptor",
        "wallet",
        "Create the wallet's descriptor(s) for an address type it has no descriptor for yet, from an HD key whose private key it holds.\nRequires the wallet passphrase to be set with walletpassphrase if the wallet is encrypted.",
        move |req, p: CreateWalletDescriptorParams| {
            let wallet = wallet_for_request(&c, req)?;
            create_wallet_descriptor(&wallet, &p.r#type, &p.options)
        },
    ));
}
