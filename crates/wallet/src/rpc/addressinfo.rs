//! What the wallet knows about addresses and labels: `getaddressinfo`
//! (Core's fields for descriptor wallets), `listlabels`,
//! `getaddressesbylabel`, and `keypoolrefill`.

use super::addresses::label_from;
use super::received::ordered_book;
use super::util::{ensure_unlocked, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::AddressPurpose;
use crate::keys::{add_checksum, DerivedKey, SigningProvider};
use crate::wallet::keystore::KeyWrites;
use crate::wallet::{Env, State, Wallet};
use bitcoin::bip32::{ChildNumber, KeySource};
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::ScriptBuf;
use miniscript::descriptor::{ShInner, SinglePub, SinglePubKey};
use miniscript::{
    translate_hash_clone, DefiniteDescriptorKey, Descriptor, DescriptorPublicKey, TranslatePk,
    Translator,
};
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use utility_rpc::address::{decode, extract_destination, ChainParams, Destination};
use utility_rpc::script::{solve, TxoutType};

rpc_params! {
    /// `getaddressinfo`'s parameters.
    struct GetAddressInfoParams {
        /// The bitcoin address for which to get information.
        address: String [Str, required],
    }
}

rpc_params! {
    /// `listlabels`'s parameters.
    struct ListLabelsParams {
        /// Address purpose to list labels for ('send','receive'). An empty string is the same as not providing this argument.
        purpose: Option<String> [Str, optional],
    }
}

rpc_params! {
    /// `getaddressesbylabel`'s parameters.
    struct GetAddressesByLabelParams {
        /// The label.
        label: String [Str, required],
    }
}

rpc_params! {
    /// `keypoolrefill`'s parameters.
    struct KeypoolRefillParams {
        /// The new keypool size
        newsize: Option<i32> [Num, hint = "1000, or as set by -keypool"],
    }
}

/// Core's `hd_seed_id` of descriptor keys: never set, printed as zeros.
const NO_SEED_ID: &str = "0000000000000000000000000000000000000000";

/// What the wallet's solving data says about one of its scripts: the keys
/// and the scripts (redeem and witness scripts) Core's signing provider for
/// it holds.
struct Known {
    provider: SigningProvider,
    /// Scripts reachable by hash: redeem and witness scripts.
    scripts: Vec<ScriptBuf>,
}

impl Known {
    fn new(provider: SigningProvider) -> Known {
        let scripts = provider
            .descriptor
            .as_ref()
            .map(sub_scripts)
            .unwrap_or_default();
        Known { provider, scripts }
    }

    /// Core's `GetPubKey(CKeyID)`.
    fn key_by_hash(&self, h: &[u8; 20]) -> Option<&DerivedKey> {
        self.provider
            .pubkeys
            .iter()
            .find(|k| k.pubkey.pubkey_hash().to_byte_array() == *h)
    }

    /// Core's `GetCScript(CScriptID)` for a P2SH hash.
    fn script_by_hash160(&self, h: &[u8; 20]) -> Option<&ScriptBuf> {
        self.scripts
            .iter()
            .find(|s| hash160::Hash::hash(s.as_bytes()).to_byte_array() == *h)
    }

    /// The witness script of a P2WSH hash.
    fn script_by_sha256(&self, h: &[u8; 32]) -> Option<&ScriptBuf> {
        self.scripts
            .iter()
            .find(|s| sha256::Hash::hash(s.as_bytes()).to_byte_array() == *h)
    }

    /// Core's `GetKeyForDestination`: the one key of a P2PKH, P2WPKH,
    /// P2SH-P2WPKH or key-path-only P2TR destination.
    fn key_for(&self, dest: &Destination) -> Option<&DerivedKey> {
        match dest {
            Destination::PubKeyHash(h) | Destination::WitnessV0KeyHash(h) => self.key_by_hash(h),
            Destination::ScriptHash(h) => {
                let inner = self.script_by_hash160(h)?;
                match extract_destination(inner.as_bytes())? {
                    Destination::WitnessV0KeyHash(k) => self.key_by_hash(&k),
                    _ => None,
                }
            }
            Destination::Taproot(_) => {
                let Some(Descriptor::Tr(tr)) = &self.provider.descriptor else {
                    return None;
                };
                if tr.tap_tree().is_some() {
                    return None;
                }
                let internal = definite_xonly(tr.internal_key());
                self.provider
                    .pubkeys
                    .iter()
                    .find(|k| XOnlyPublicKey::from(k.pubkey.inner) == internal)
            }
            _ => None,
        }
    }
}

/// Turns whole keys into x-only ones, as Core prints keys under `tr()`.
struct XOnlyKeys;

impl Translator<DefiniteDescriptorKey, DescriptorPublicKey, ()> for XOnlyKeys {
    fn pk(&mut self, pk: &DefiniteDescriptorKey) -> Result<DescriptorPublicKey, ()> {
        Ok(match pk.as_descriptor_public_key().clone() {
            DescriptorPublicKey::Single(SinglePub {
                origin,
                key: SinglePubKey::FullKey(k),
            }) => DescriptorPublicKey::Single(SinglePub {
                origin,
                key: SinglePubKey::XOnly(k.inner.into()),
            }),
            other => other,
        })
    }
    translate_hash_clone!(DefiniteDescriptorKey, DescriptorPublicKey, ());
}

fn definite_xonly(key: &DefiniteDescriptorKey) -> XOnlyPublicKey {
    use miniscript::ToPublicKey;
    key.to_x_only_pubkey()
}

/// The redeem and witness scripts of a derived descriptor (what Core's
/// descriptor signing provider holds as `scripts`).
fn sub_scripts(d: &Descriptor<DefiniteDescriptorKey>) -> Vec<ScriptBuf> {
    match d {
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Wsh(wsh) => vec![wsh.script_pubkey(), wsh.inner_script()],
            _ => vec![sh.inner_script()],
        },
        Descriptor::Wsh(wsh) => vec![wsh.inner_script()],
        _ => Vec::new(),
    }
}

/// Core's key origin text: `[fingerprint/path]` with `h` for hardened.
fn origin_text(origin: &KeySource) -> String {
    let mut s = format!("[{}", origin.0);
    for c in origin.1.as_ref() {
        s.push('/');
        s.push_str(&child_text(c));
    }
    s.push(']');
    s
}

fn child_text(c: &ChildNumber) -> String {
    match c {
        ChildNumber::Normal { index } => index.to_string(),
        ChildNumber::Hardened { index } => format!("{index}h"),
    }
}

/// Core's `WriteHDKeypath` as descriptor wallets print it (`h` markers).
fn hd_keypath(origin: &KeySource) -> String {
    let mut s = String::from("m");
    for c in origin.1.as_ref() {
        s.push('/');
        s.push_str(&child_text(c));
    }
    s
}

/// The descriptor Core infers for `script` from the first manager covering it
/// (`listunspent`'s `desc`); `None` when the wallet cannot solve it.
pub(crate) fn wallet_inferred_descriptor(state: &State, script: &ScriptBuf) -> Option<String> {
    let access = state.key_access();
    let spkm = state
        .keys
        .managers_of(script)
        .first()
        .and_then(|id| state.keys.spkms.get(id))?;
    let known = spkm
        .signing_provider(script, false, access)
        .ok()
        .flatten()
        .map(Known::new)?;
    infer_descriptor(script, &known)
}

/// Core's `InferDescriptor(script, provider)->ToString()` for a script the
/// wallet can solve; `None` when it cannot (Core's `IsSolvable` false).
fn infer_descriptor(script: &ScriptBuf, known: &Known) -> Option<String> {
    if let Some(d) = &known.provider.descriptor {
        // The derived descriptor has single keys with full origins, which is
        // what inference finds; `#` leaves miniscript's checksum out so
        // Core's `h` markers can replace miniscript's `'` before one is
        // computed.
        let text = match d {
            // Keys under tr() are x-only; the derived descriptor holds
            // them whole.
            Descriptor::Tr(_) => {
                let x = d.translate_pk(&mut XOnlyKeys).ok()?;
                let pads = &known.provider.leaf_pads;
                utility_rpc::sorted_multi_a::render(&x, &[], pads)
                    .unwrap_or_else(|| format!("{x:#}"))
            }
            _ => format!("{d:#}"),
        };
        return add_checksum(&text.replace('\'', "h")).ok();
    }
    // combo() and rawtr(): one key, the script's shape says which form.
    let [k] = known.provider.pubkeys.as_slice() else {
        return None;
    };
    let key = |xonly: bool| {
        let hex = if xonly {
            XOnlyPublicKey::from(k.pubkey.inner).to_string()
        } else {
            k.pubkey.to_string()
        };
        format!("{}{hex}", origin_text(&k.origin))
    };
    let (ty, _) = solve(script.as_bytes());
    let payload = match ty {
        TxoutType::PubKey => format!("pk({})", key(false)),
        TxoutType::PubKeyHash => format!("pkh({})", key(false)),
        TxoutType::WitnessV0KeyHash => format!("wpkh({})", key(false)),
        TxoutType::ScriptHash => format!("sh(wpkh({}))", key(false)),
        TxoutType::WitnessV1Taproot => format!("rawtr({})", key(true)),
        _ => return None,
    };
    add_checksum(&payload).ok()
}

/// Core's `DescribeWalletAddressVisitor`: keys and scripts behind `dest`.
fn wallet_detail(
    dest: &Destination,
    known: Option<&Known>,
    params: &ChainParams,
) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(known) = known else {
        return out;
    };
    match dest {
        Destination::PubKeyHash(h) => {
            if let Some(k) = known.key_by_hash(h) {
                out.insert("pubkey".into(), json!(k.pubkey.to_string()));
                out.insert("iscompressed".into(), json!(k.pubkey.compressed));
            }
        }
        Destination::WitnessV0KeyHash(h) => {
            if let Some(k) = known.key_by_hash(h) {
                out.insert("pubkey".into(), json!(k.pubkey.to_string()));
            }
        }
        Destination::ScriptHash(h) => {
            if let Some(s) = known.script_by_hash160(h) {
                sub_script(s, known, params, &mut out);
            }
        }
        Destination::WitnessV0ScriptHash(h) => {
            if let Some(s) = known.script_by_sha256(h) {
                sub_script(s, known, params, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// Core's `ProcessSubScript`: a redeem or witness script, with the address
/// it embeds described in turn.
fn sub_script(
    script: &ScriptBuf,
    known: &Known,
    params: &ChainParams,
    out: &mut Map<String, Value>,
) {
    let (ty, solutions) = solve(script.as_bytes());
    out.insert("script".into(), json!(ty.name()));
    out.insert("hex".into(), json!(hex_of(script)));
    if let Some(embedded) = extract_destination(script.as_bytes()) {
        let mut sub = embedded.describe();
        sub.extend(wallet_detail(&embedded, Some(known), params));
        sub.insert("address".into(), json!(embedded.encode(params)));
        sub.insert("scriptPubKey".into(), json!(hex_of(script)));
        // The key shows at the top too, so `pubkey` is there for every
        // single-key address.
        if let Some(pk) = sub.get("pubkey") {
            out.insert("pubkey".into(), pk.clone());
        }
        out.insert("embedded".into(), Value::Object(sub));
    } else if matches!(ty, TxoutType::Multisig) {
        let required = solutions
            .first()
            .and_then(|s| s.first())
            .copied()
            .unwrap_or(0);
        out.insert("sigsrequired".into(), json!(required));
        let keys: Vec<Value> = solutions
            .iter()
            .skip(1)
            .take(solutions.len().saturating_sub(2))
            .map(|k| json!(hex_bytes(k)))
            .collect();
        out.insert("pubkeys".into(), Value::Array(keys));
    }
}

fn hex_of(script: &ScriptBuf) -> String {
    hex_bytes(script.as_bytes())
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Core's `getaddressinfo`.
fn address_info(wallet: &Wallet, address: &str) -> Result<Value, RpcError> {
    let params = ChainParams::for_network(wallet.network);
    let dest = decode(address, &params).map_err(|e| {
        let message = if e.message.is_empty() {
            "Invalid address".to_string()
        } else {
            e.message
        };
        RpcError::invalid_address_or_key(message)
    })?;
    let script = ScriptBuf::from_bytes(dest.script_pubkey());
    let state = wallet.lock();
    let access = state.key_access();
    let mut ret = Map::new();
    ret.insert("address".into(), json!(dest.encode(&params)));
    ret.insert("scriptPubKey".into(), json!(hex_of(&script)));
    // Core takes the first manager when several cover the script.
    let spkm = state
        .keys
        .managers_of(&script)
        .first()
        .and_then(|id| state.keys.spkms.get(id));
    ret.insert("ismine".into(), json!(state.keys.is_mine(&script)));
    let known = spkm
        .and_then(|s| s.signing_provider(&script, false, access).ok().flatten())
        .map(Known::new);
    let desc = known.as_ref().and_then(|k| infer_descriptor(&script, k));
    ret.insert("solvable".into(), json!(desc.is_some()));
    if let Some(d) = desc {
        ret.insert("desc".into(), json!(d));
    }
    if let Some(parent) = spkm.and_then(|s| s.descriptor_string(false, access).ok()) {
        ret.insert("parent_desc".into(), json!(parent));
    }
    ret.insert("iswatchonly".into(), json!(false));
    ret.extend(dest.describe());
    ret.extend(wallet_detail(&dest, known.as_ref(), &params));
    let book = state.address_book.get(&dest.encode(&params));
    // Core's `FindAddressBookEntry`: an entry without a label is change.
    let labelled = book.and_then(|e| e.label.as_ref());
    ret.insert(
        "ischange".into(),
        json!(state.keys.is_mine(&script) && labelled.is_none()),
    );
    if let (Some(s), Some(k)) = (spkm, known.as_ref()) {
        if let Some(key) = k.key_for(&dest) {
            ret.insert(
                "timestamp".into(),
                json!(s.wallet_descriptor().creation_time),
            );
            ret.insert("hdkeypath".into(), json!(hd_keypath(&key.origin)));
            ret.insert("hdseedid".into(), json!(NO_SEED_ID));
            ret.insert(
                "hdmasterfingerprint".into(),
                json!(key.origin.0.to_string()),
            );
        }
    }
    let labels: Vec<Value> = labelled.map(|l| json!(l)).into_iter().collect();
    ret.insert("labels".into(), Value::Array(labels));
    Ok(Value::Object(ret))
}

/// Core's `keypoolrefill`: every active descriptor derived `size` past its
/// next index (0: the `-keypool` size), then the outputs re-read.
fn keypool_refill(wallet: &Wallet, newsize: Option<i32>) -> Result<(), RpcError> {
    let size = match newsize {
        Some(n) if n < 0 => {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, expected valid size.",
            ))
        }
        Some(n) => n.unsigned_abs(),
        None => 0,
    };
    let mut state = wallet.lock();
    ensure_unlocked(&state)?;
    let active = state.keys.active_ids();
    let mut writes = KeyWrites::default();
    let mut pool: i64 = 0;
    {
        let State {
            keys,
            master_key,
            master_keys,
            ..
        } = &mut *state;
        let access = crate::wallet::key_access(!master_keys.is_empty(), master_key.as_ref());
        for id in &active {
            let Some(spkm) = keys.spkms.get_mut(id) else {
                continue;
            };
            // A manager that cannot derive keeps its window; the size check
            // below reports the shortfall as Core does.
            if let Ok(t) = spkm.top_up(size, access) {
                if !t.new_scripts.is_empty() || !t.new_cache.is_empty() {
                    writes.top_up(*id, t);
                }
            }
            pool += spkm.keypool_remaining();
        }
    }
    if pool < i64::from(size) {
        wallet.commit(&mut state, writes).map_err(RpcError::misc)?;
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "Error refreshing keypool.",
        ));
    }
    // New scripts may make outputs already in the wallet its own.
    {
        let State { ledger, keys, .. } = &mut *state;
        let env = Env {
            keys,
            chain: &*wallet.chain,
        };
        ledger.refresh_all_txos(&env);
    }
    wallet.commit(&mut state, writes).map_err(RpcError::misc)
}

/// Registers the address information, label and keypool methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "getaddressinfo",
        "wallet",
        "Return information about the given bitcoin address.\nSome of the information will only be present if the address is in the active wallet.",
        move |req, p: GetAddressInfoParams| {
            let wallet = wallet_for_request(&c, req)?;
            address_info(&wallet, &p.address)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listlabels",
        "wallet",
        "Returns the list of all labels, or labels that are assigned to addresses with a specific purpose.",
        move |req, p: ListLabelsParams| {
            let wallet = wallet_for_request(&c, req)?;
            let purpose = match p.purpose.as_deref() {
                None | Some("") => None,
                Some(s) => Some(AddressPurpose::parse(s).ok_or_else(|| {
                    RpcError::invalid_parameter("Invalid 'purpose' argument, must be a known purpose string, typically 'send', or 'receive'.")
                })?),
            };
            let state = wallet.lock();
            let labels: BTreeSet<&String> = state
                .address_book
                .values()
                .filter(|e| purpose.is_none() || e.purpose == purpose)
                .filter_map(|e| e.label.as_ref())
                .collect();
            Ok(json!(labels))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "getaddressesbylabel",
        "wallet",
        "Returns the list of addresses assigned the specified label.",
        move |req, p: GetAddressesByLabelParams| {
            let wallet = wallet_for_request(&c, req)?;
            let label = label_from(&p.label)?;
            let params = ChainParams::for_network(wallet.network);
            let state = wallet.lock();
            let mut ret = Map::new();
            for (address, entry) in ordered_book(&state, &params) {
                if entry.label.as_deref() != Some(label.as_str()) {
                    continue;
                }
                let purpose = entry.purpose.map_or("unknown", |p| p.as_str());
                ret.insert(address.clone(), json!({"purpose": purpose}));
            }
            if ret.is_empty() {
                return Err(RpcError::new(
                    code::WALLET_INVALID_LABEL_NAME,
                    format!("No addresses with label {label}"),
                ));
            }
            Ok(Value::Object(ret))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "keypoolrefill",
        "wallet",
        "Refills each descriptor keypool in the wallet up to the specified number of new keys.\nBy default, descriptor wallets have 4 active ranged descriptors (\"legacy\", \"p2sh-segwit\", \"bech32\", \"bech32m\"), each with 1000 entries.\n\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.",
        move |req, p: KeypoolRefillParams| {
            let wallet = wallet_for_request(&c, req)?;
            keypool_refill(&wallet, p.newsize)?;
            Ok(Value::Null)
        },
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::bip32::{DerivationPath, Fingerprint};
    use std::str::FromStr;

    #[test]
    fn key_paths_and_origins_use_h_for_hardened_steps() {
        let path = DerivationPath::from_str("m/84'/1'/0'/0/7").unwrap();
        let origin = (Fingerprint::from([0xd3, 0x4d, 0xb3, 0x3f]), path);
        assert_eq!(hd_keypath(&origin), "m/84h/1h/0h/0/7");
        assert_eq!(origin_text(&origin), "[d34db33f/84h/1h/0h/0/7]");
        let bare = (Fingerprint::from([0; 4]), DerivationPath::master());
        assert_eq!(hd_keypath(&bare), "m");
        assert_eq!(origin_text(&bare), "[00000000]");
    }
}
