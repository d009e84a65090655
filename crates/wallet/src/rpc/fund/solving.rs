//! The `solving_data` option: public keys, scripts and descriptors that let
//! the wallet size inputs it does not own (Core fills
//! `m_external_provider` with them and infers a descriptor per input).
//! Here every output script the data makes solvable is sized up front,
//! with maximal signatures as Core sizes external inputs, into coin
//! control's `external_solving`.

use super::json::{get_array, get_str};
use crate::keys::ParsedDescriptor;
use crate::spend::{CoinControl, InputSatisfaction};
use bitcoin::hashes::{hash160, Hash};
use bitcoin::{PublicKey, Script, ScriptBuf};
use miniscript::{BareCtx, Descriptor, ExtParams, Legacy, Miniscript, ScriptContext, Segwitv0};
use rpc::error::{RpcError, RpcResult};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// External inputs are sized with 72-byte signatures: the signer's
/// low-R grinding cannot be assumed.
const MAX_SIG: bool = true;

fn add(cc: &mut CoinControl, d: &Descriptor<PublicKey>) {
    if let Some(s) = crate::sign::descriptor_satisfaction(d, MAX_SIG) {
        cc.external_solving.entry(d.script_pubkey()).or_insert(s);
    }
}

/// What a known public key makes solvable: its `pk()`, `pkh()` and, when
/// compressed, `wpkh()` and `sh(wpkh())` outputs (Core adds the key and
/// its witness script).
fn add_pubkey(cc: &mut CoinControl, key: PublicKey) {
    if let Ok(d) = Descriptor::new_pkh(key) {
        add(cc, &d);
    }
    add(cc, &Descriptor::new_pk(key));
    if key.compressed {
        if let Ok(d) = Descriptor::new_wpkh(key) {
            add(cc, &d);
        }
        if let Ok(d) = Descriptor::new_sh_wpkh(key) {
            add(cc, &d);
        }
    }
}

/// The keys by the hash a script names them with (each encoding is its
/// own hash, as a script commits to one).
fn key_hashes(keys: &[PublicKey]) -> BTreeMap<hash160::Hash, PublicKey> {
    keys.iter()
        .map(|k| (hash160::Hash::hash(&k.to_bytes()), *k))
        .collect()
}

/// `ms` with its key hashes replaced by the keys in `keys`; `None` when
/// one is unknown. Miniscript's own substitution only rewrites leaves
/// without wrappers, so this goes through the text form, where a checked
/// key hash reads `expr_raw_pkh` and a bare one `expr_raw_pk_h`.
fn resolve_key_hashes<Ctx: ScriptContext>(
    ms: &Miniscript<PublicKey, Ctx>,
    keys: &BTreeMap<hash160::Hash, PublicKey>,
) -> Option<Miniscript<PublicKey, Ctx>> {
    let mut text = ms.to_string();
    if text.contains("expr_raw_pk") {
        for (h, k) in keys {
            text = text
                .replace(&format!("expr_raw_pkh({h})"), &format!("pkh({k})"))
                .replace(&format!("expr_raw_pk_h({h})"), &format!("pk_h({k})"));
        }
    }
    Miniscript::from_str_insane(&text).ok()
}

/// What a known script makes solvable: P2SH and P2WSH outputs (and P2WSH
/// in P2SH) whose script it is, when it is a script the wallet can size.
/// Key hashes in it are resolved with `keys`, as Core's provider finds a
/// key by its id.
fn add_script(cc: &mut CoinControl, script: &Script, keys: &BTreeMap<hash160::Hash, PublicKey>) {
    let ext = ExtParams::insane().raw_pkh();
    let segwit = Miniscript::<PublicKey, Segwitv0>::parse_with_ext(script, &ext).ok();
    if let Some(ms) = segwit.and_then(|ms| resolve_key_hashes(&ms, keys)) {
        if let Ok(d) = Descriptor::new_wsh(ms.clone()) {
            add(cc, &d);
        }
        if let Ok(d) = Descriptor::new_sh_wsh(ms) {
            add(cc, &d);
        }
    }
    let legacy = Miniscript::<PublicKey, Legacy>::parse_with_ext(script, &ext).ok();
    if let Some(ms) = legacy.and_then(|ms| resolve_key_hashes(&ms, keys)) {
        if let Ok(d) = Descriptor::new_sh(ms) {
            add(cc, &d);
        }
    }
}

/// Outputs anyone can size without data, as Core infers `rawtr()`, `pk()`
/// and bare `multi()` for them: sized into `cc` when `spk` is one.
pub fn add_inferable(cc: &mut CoinControl, spk: &Script) {
    if spk.is_p2tr() {
        let valid = spk
            .as_bytes()
            .get(2..34)
            .is_some_and(|x| bitcoin::secp256k1::XOnlyPublicKey::from_slice(x).is_ok());
        if valid {
            cc.external_solving
                .entry(spk.to_owned())
                .or_insert(InputSatisfaction::p2tr());
        }
        return;
    }
    if let Ok(ms) = Miniscript::<PublicKey, BareCtx>::parse_insane(spk) {
        if let Ok(d) = Descriptor::new_bare(ms) {
            add(cc, &d);
        }
    }
}

/// Core's `HexToPubKey` with its texts.
fn parse_pubkey(v: &Value) -> RpcResult<PublicKey> {
    let text = get_str(v)?;
    let bytes = utility_rpc::multisig::hex_to_pubkey(text)?;
    PublicKey::from_slice(&bytes).map_err(|_| {
        RpcError::invalid_address_or_key(format!(
            "Pubkey \"{text}\" must be cryptographically valid."
        ))
    })
}

/// One descriptor (with its checksum), expanded at index 0 as Core does;
/// its keys are added to `keys`.
fn add_descriptor(
    network: bitcoin::Network,
    cc: &mut CoinControl,
    text: &str,
    keys: &mut Vec<PublicKey>,
) -> RpcResult<()> {
    let parsed = ParsedDescriptor::parse_multipath(text, network, true).map_err(|e| {
        RpcError::invalid_parameter(format!("Unable to parse descriptor '{text}': {e}"))
    })?;
    for (desc, secrets) in parsed {
        // Hardened steps need the secrets the text may carry.
        let Ok(expansion) = desc.expand(0, Some(&secrets), None) else {
            continue;
        };
        for k in &expansion.keys {
            add_pubkey(cc, k.pubkey);
            keys.push(k.pubkey);
        }
        if let Some(d) = expansion.descriptor {
            if let Ok(d) = d.derived_descriptor(crate::keys::secp()) {
                add(cc, &d);
            }
        }
    }
    Ok(())
}

/// Adds `solving_data` (`pubkeys`, `scripts`, `descriptors`) to `cc`,
/// failing with Core's texts on malformed entries (checked in that
/// order). Scripts are sized last, so that they find every key given.
pub fn add_solving_data(
    network: bitcoin::Network,
    solving: &Map<String, Value>,
    cc: &mut CoinControl,
) -> RpcResult<()> {
    let mut keys = Vec::new();
    if let Some(v) = solving.get("pubkeys") {
        for pk in get_array(v)? {
            let key = parse_pubkey(pk)?;
            add_pubkey(cc, key);
            keys.push(key);
        }
    }
    let mut scripts = Vec::new();
    if let Some(v) = solving.get("scripts") {
        for s in get_array(v)? {
            let text = get_str(s)?;
            let bytes = common::strencodings::parse_hex(text)
                .ok_or_else(|| RpcError::invalid_address_or_key(format!("'{text}' is not hex")))?;
            scripts.push(ScriptBuf::from_bytes(bytes));
        }
    }
    if let Some(v) = solving.get("descriptors") {
        for d in get_array(v)? {
            add_descriptor(network, cc, get_str(d)?, &mut keys)?;
        }
    }
    let by_hash = key_hashes(&keys);
    for script in &scripts {
        add_script(cc, script, &by_hash);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "02e3af28965693b9ce1228f9d468149b831d6a0540b25e8a9900f71372c11fb277";

    #[test]
    fn a_pubkey_sizes_its_key_hash_outputs() {
        let mut cc = CoinControl::default();
        let data = json!({"pubkeys": [KEY]});
        add_solving_data(
            bitcoin::Network::Regtest,
            data.as_object().unwrap(),
            &mut cc,
        )
        .unwrap();
        let key: PublicKey = KEY.parse().unwrap();
        let wpkh = ScriptBuf::new_p2wpkh(&key.wpubkey_hash().unwrap());
        assert_eq!(
            cc.external_solving.get(&wpkh),
            Some(&InputSatisfaction::p2wpkh(true))
        );
        let pkh = ScriptBuf::new_p2pkh(&key.pubkey_hash());
        assert_eq!(
            cc.external_solving.get(&pkh),
            Some(&InputSatisfaction::p2pkh(true))
        );
    }

    #[test]
    fn malformed_entries_fail_with_cores_texts() {
        let err = |v: Value| {
            let mut cc = CoinControl::default();
            add_solving_data(bitcoin::Network::Regtest, v.as_object().unwrap(), &mut cc)
                .unwrap_err()
        };
        let e = err(json!({"pubkeys": ["not a pubkey"]}));
        assert_eq!(
            (e.code, e.message.as_str()),
            (-5, "Pubkey \"not a pubkey\" must be a hex string")
        );
        let e = err(json!({"pubkeys": ["01234567890a0b0c0d0e0f"]}));
        assert_eq!(
            e.message,
            "Pubkey \"01234567890a0b0c0d0e0f\" must have a length of either 33 or 65 bytes"
        );
        let e = err(json!({"scripts": ["not a script"]}));
        assert_eq!(
            (e.code, e.message.as_str()),
            (-5, "'not a script' is not hex")
        );
        let e = err(json!({"descriptors": ["not a descriptor"]}));
        assert_eq!(e.code, -8);
        assert!(e
            .message
            .starts_with("Unable to parse descriptor 'not a descriptor'"));
    }

    #[test]
    fn scripts_and_taproot_outputs_are_sized() {
        let mut cc = CoinControl::default();
        let key: PublicKey = KEY.parse().unwrap();
        // 1-of-1 multisig witness script.
        let ms =
            Miniscript::<PublicKey, Segwitv0>::from_str_insane(&format!("multi(1,{key})")).unwrap();
        let script = ms.encode();
        let data = json!({"scripts": [script.to_hex_string()]});
        add_solving_data(
            bitcoin::Network::Regtest,
            data.as_object().unwrap(),
            &mut cc,
        )
        .unwrap();
        let wsh = ScriptBuf::new_p2wsh(&script.wscript_hash());
        assert!(cc.external_solving.contains_key(&wsh));
        // A key hash script, its key given apart, in P2SH and P2SH-P2WSH.
        let pkh = ScriptBuf::new_p2pkh(&key.pubkey_hash());
        let data = json!({"pubkeys": [KEY], "scripts": [pkh.to_hex_string()]});
        add_solving_data(
            bitcoin::Network::Regtest,
            data.as_object().unwrap(),
            &mut cc,
        )
        .unwrap();
        let sh = ScriptBuf::new_p2sh(&pkh.script_hash());
        assert!(cc.external_solving.contains_key(&sh));
        let sh_wsh = ScriptBuf::new_p2sh(&ScriptBuf::new_p2wsh(&pkh.wscript_hash()).script_hash());
        assert!(cc.external_solving.contains_key(&sh_wsh));
        let p2tr = ScriptBuf::from_hex(&format!("5120{}", &KEY[2..])).unwrap();
        add_inferable(&mut cc, &p2tr);
        assert_eq!(
            cc.external_solving.get(&p2tr),
            Some(&InputSatisfaction::p2tr())
        );
    }
}
