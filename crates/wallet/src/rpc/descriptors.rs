//! Descriptor methods: `importdescriptors`, `listdescriptors`,
//! `gethdkeys`, `addhdkey` and `createwalletdescriptor`.
//!
//! * [`request`]: one `importdescriptors` request.

mod request;

use super::util::{ensure_unlocked, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::keys::{self, OutputType, ParsedDescriptor, WalletDescriptor};
use crate::ledger::store::TIMESTAMP_WINDOW;
use crate::wallet::import::{self, RescanReserver};
use crate::wallet::{Env, State, Wallet, Writes};
use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::{NetworkKind, PublicKey};
use interfaces::chain::FoundBlockParam;
use request::{get_bool, get_str, import_timestamp, process_import, request_fields};
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

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
    /// `addhdkey`'s parameters.
    struct AddHdKeyParams {
        /// The BIP 32 extended private key to add; a new random one when absent
        hdkey: Option<String> [Str, hint = "Automatically generated new key"],
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

/// `importdescriptors`: every request under the wallet lock, then one
/// rescan from the earliest timestamp. A call that fails part way keeps
/// what the earlier requests changed, as Core's does.
fn import_descriptors(wallet: &Arc<Wallet>, requests: &[Value]) -> Result<Value, RpcError> {
    let with_passphrase = wallet.lock().is_crypted();
    let reserve = if with_passphrase {
        RescanReserver::reserve_with_passphrase
    } else {
        RescanReserver::reserve
    };
    let _reserved = reserve(wallet).ok_or_else(|| {
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

/// `addhdkey`: the key is kept as an `unused(KEY)` descriptor, which yields
/// no scripts but lets `createwalletdescriptor` and `gethdkeys` find it.
fn add_hd_key(wallet: &Wallet, hdkey: Option<&str>) -> Result<Value, RpcError> {
    let mut state = wallet.lock();
    if state.has_flag(flags::DISABLE_PRIVATE_KEYS) {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "addhdkey is not available for wallets without private keys",
        ));
    }
    ensure_unlocked(&state)?;
    let network = NetworkKind::from(wallet.network);
    let xprv = match hdkey {
        None => keys::master_key_from_seed(&keys::generate_seed(), wallet.network)
            .map_err(|e| RpcError::misc(e.to_string()))?,
        Some(text) => match Xpriv::from_str(text) {
            Ok(x) if x.network == network => x,
            _ if Xpub::from_str(text).is_ok_and(|x| x.network == network) => {
                return Err(RpcError::invalid_address_or_key(
                    "Extended public key (xpub) provided, but extended private key (xprv) is required",
                ))
            }
            _ => return Err(RpcError::invalid_address_or_key("Could not parse HD key")),
        },
    };
    let (parsed, secrets) =
        ParsedDescriptor::parse(&format!("unused({xprv})"), wallet.network, false)
            .map_err(|e| RpcError::misc(e.to_string()))?;
    let now = u64::try_from(common::time::now_secs()).unwrap_or(0);
    let wdesc = WalletDescriptor::new(parsed, now, 0, 0, 0);
    if state.keys.spkms.contains_key(&wdesc.id) {
        return Err(RpcError::new(code::WALLET_ERROR, "HD key already exists"));
    }
    let mut writes = Writes::default();
    let added =
        import::add_wallet_descriptor(wallet, &mut state, &mut writes, wdesc, &secrets, "", false);
    wallet.commit(&mut state, writes).map_err(RpcError::misc)?;
    added.map_err(|m| RpcError::new(code::WALLET_ERROR, m))?;
    let xpub = Xpub::from_priv(&bitcoin::secp256k1::Secp256k1::new(), &xprv);
    Ok(json!({ "xpub": xpub.to_string() }))
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
        "addhdkey",
        "wallet",
        "Add a BIP 32 HD key to the wallet that can be used with 'createwalletdescriptor'",
        move |req, p: AddHdKeyParams| {
            let wallet = wallet_for_request(&c, req)?;
            add_hd_key(&wallet, p.hdkey.as_deref())
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
