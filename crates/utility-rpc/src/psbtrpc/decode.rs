//! `decodepsbt`'s JSON: every field of the global, input and output maps
//! in Core's shape and order, plus the fee when all UTXOs are known.

use crate::address::ChainParams;
use crate::{base58, script, tojson};
use psbt::fields::{KeyPaths, Participants, ProprietaryMap, TapKeyPaths};
use psbt::{Input, Output, Psbt};
use rpc::json::amount_to_value;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

fn money_range(v: i64) -> bool {
    (0..=MAX_MONEY).contains(&v)
}

fn proprietary_json(map: &ProprietaryMap) -> Value {
    map.values()
        .map(|p| {
            json!({
                "identifier": hex::encode(&p.identifier),
                "subtype": p.subtype,
                "key": hex::encode(&p.key),
                "value": hex::encode(&p.value),
            })
        })
        .collect()
}

fn unknown_json(map: &BTreeMap<Vec<u8>, Vec<u8>>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (hex::encode(k), json!(hex::encode(v))))
            .collect(),
    )
}

fn keypaths_json(paths: &KeyPaths) -> Value {
    paths
        .iter()
        .map(|(pk, o)| {
            json!({
                "pubkey": hex::encode(pk),
                "master_fingerprint": hex::encode(o.fingerprint),
                "path": o.path_string(),
            })
        })
        .collect()
}

fn tap_keypaths_json(paths: &TapKeyPaths) -> Value {
    paths
        .iter()
        .map(|(xonly, (hashes, o))| {
            json!({
                "pubkey": hex::encode(xonly),
                "master_fingerprint": hex::encode(o.fingerprint),
                "path": o.path_string(),
                "leaf_hashes": hashes.iter().map(hex::encode).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn participants_json(map: &Participants) -> Value {
    map.iter()
        .map(|(agg, parts)| {
            json!({
                "aggregate_pubkey": hex::encode(agg),
                "participant_pubkeys": parts.iter().map(hex::encode).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn preimages_json<const N: usize>(m: &BTreeMap<[u8; N], Vec<u8>>) -> Value {
    Value::Object(
        m.iter()
            .map(|(h, p)| (hex::encode(h), json!(hex::encode(p))))
            .collect(),
    )
}

fn musig_json<V: AsRef<[u8]>>(data: &psbt::input::MusigData<V>, value_name: &str) -> Value {
    let mut out = Vec::new();
    for ((agg, leaf), by_part) in data {
        for (part, v) in by_part {
            let mut o = Map::new();
            o.insert("participant_pubkey".into(), json!(hex::encode(part)));
            o.insert("aggregate_pubkey".into(), json!(hex::encode(agg)));
            if *leaf != [0u8; 32] {
                o.insert("leaf_hash".into(), json!(hex::encode(leaf)));
            }
            o.insert(value_name.into(), json!(hex::encode(v.as_ref())));
            out.push(Value::Object(o));
        }
    }
    Value::Array(out)
}

fn script_json(s: &[u8], p: &ChainParams) -> Value {
    Value::Object(tojson::script_to_json(s, true, false, &[], p))
}

/// The JSON of one input; returns it with the spent amount, if known.
fn input_json(input: &Input, version: u32, p: &ChainParams) -> (Value, Option<i64>) {
    let mut o = Map::new();
    let mut amount = None;
    if let Some(u) = &input.witness_utxo {
        let spk = tojson::script_to_json(u.script_pubkey.as_bytes(), true, true, &[], p);
        o.insert(
            "witness_utxo".into(),
            json!({"amount": amount_to_value(u.value.to_sat() as i64), "scriptPubKey": spk}),
        );
        amount = Some(u.value.to_sat() as i64);
    }
    if let Some(tx) = &input.non_witness_utxo {
        o.insert(
            "non_witness_utxo".into(),
            Value::Object(tojson::tx_to_json(tx, p)),
        );
        amount = tx
            .output
            .get(input.prev_out as usize)
            .map(|out| out.value.to_sat() as i64);
    }
    if !input.partial_sigs.is_empty() {
        let sigs: Map<String, Value> = input
            .partial_sigs
            .values()
            .map(|(pk, sig)| (hex::encode(pk), json!(hex::encode(sig))))
            .collect();
        o.insert("partial_signatures".into(), Value::Object(sigs));
    }
    if let Some(t) = input.sighash_type {
        o.insert(
            "sighash".into(),
            json!(script::sighash_name(t as u8).unwrap_or("")),
        );
    }
    if !input.redeem_script.is_empty() {
        o.insert("redeem_script".into(), script_json(&input.redeem_script, p));
    }
    if !input.witness_script.is_empty() {
        o.insert(
            "witness_script".into(),
            script_json(&input.witness_script, p),
        );
    }
    if !input.hd_keypaths.is_empty() {
        o.insert("bip32_derivs".into(), keypaths_json(&input.hd_keypaths));
    }
    if !input.final_script_sig.is_empty() {
        o.insert(
            "final_scriptSig".into(),
            json!({
                "asm": script::to_asm(&input.final_script_sig, true),
                "hex": hex::encode(&input.final_script_sig),
            }),
        );
    }
    if !input.final_script_witness.is_empty() {
        let items: Vec<String> = input.final_script_witness.iter().map(hex::encode).collect();
        o.insert("final_scriptwitness".into(), json!(items));
    }
    for (name, empty, v) in [
        (
            "ripemd160_preimages",
            input.ripemd160_preimages.is_empty(),
            preimages_json(&input.ripemd160_preimages),
        ),
        (
            "sha256_preimages",
            input.sha256_preimages.is_empty(),
            preimages_json(&input.sha256_preimages),
        ),
        (
            "hash160_preimages",
            input.hash160_preimages.is_empty(),
            preimages_json(&input.hash160_preimages),
        ),
        (
            "hash256_preimages",
            input.hash256_preimages.is_empty(),
            preimages_json(&input.hash256_preimages),
        ),
    ] {
        if !empty {
            o.insert(name.into(), v);
        }
    }
    if version >= 2 {
        o.insert("previous_txid".into(), json!(input.prev_txid.to_string()));
        o.insert("previous_vout".into(), json!(input.prev_out));
        for (name, v) in [
            ("sequence", input.sequence),
            ("time_locktime", input.time_locktime),
            ("height_locktime", input.height_locktime),
        ] {
            if let Some(v) = v {
                o.insert(name.into(), json!(v));
            }
        }
    }
    if !input.tap_key_sig.is_empty() {
        o.insert(
            "taproot_key_path_sig".into(),
            json!(hex::encode(&input.tap_key_sig)),
        );
    }
    if !input.tap_script_sigs.is_empty() {
        let sigs: Vec<Value> = input
            .tap_script_sigs
            .iter()
            .map(|((xonly, leaf), sig)| {
                json!({"pubkey": hex::encode(xonly), "leaf_hash": hex::encode(leaf), "sig": hex::encode(sig)})
            })
            .collect();
        o.insert("taproot_script_path_sigs".into(), json!(sigs));
    }
    if !input.tap_scripts.is_empty() {
        let scripts: Vec<Value> = input
            .tap_scripts
            .iter()
            .map(|((s, ver), blocks)| {
                json!({
                    "script": hex::encode(s),
                    "leaf_ver": ver,
                    "control_blocks": blocks.iter().map(|b| hex::encode(&b.0)).collect::<Vec<_>>(),
                })
            })
            .collect();
        o.insert("taproot_scripts".into(), json!(scripts));
    }
    if !input.tap_bip32_paths.is_empty() {
        o.insert(
            "taproot_bip32_derivs".into(),
            tap_keypaths_json(&input.tap_bip32_paths),
        );
    }
    if let Some(k) = &input.tap_internal_key {
        o.insert("taproot_internal_key".into(), json!(hex::encode(k)));
    }
    if let Some(m) = &input.tap_merkle_root {
        o.insert("taproot_merkle_root".into(), json!(hex::encode(m)));
    }
    if !input.musig2_participants.is_empty() {
        o.insert(
            "musig2_participant_pubkeys".into(),
            participants_json(&input.musig2_participants),
        );
    }
    if !input.musig2_pubnonces.is_empty() {
        o.insert(
            "musig2_pubnonces".into(),
            musig_json(&input.musig2_pubnonces, "pubnonce"),
        );
    }
    if !input.musig2_partial_sigs.is_empty() {
        o.insert(
            "musig2_partial_sigs".into(),
            musig_json(&input.musig2_partial_sigs, "partial_sig"),
        );
    }
    if !input.proprietary.is_empty() {
        o.insert("proprietary".into(), proprietary_json(&input.proprietary));
    }
    if !input.unknown.is_empty() {
        o.insert("unknown".into(), unknown_json(&input.unknown));
    }
    (Value::Object(o), amount)
}

fn output_json(output: &Output, version: u32, p: &ChainParams) -> Value {
    let mut o = Map::new();
    if !output.redeem_script.is_empty() {
        o.insert(
            "redeem_script".into(),
            script_json(&output.redeem_script, p),
        );
    }
    if !output.witness_script.is_empty() {
        o.insert(
            "witness_script".into(),
            script_json(&output.witness_script, p),
        );
    }
    if !output.hd_keypaths.is_empty() {
        o.insert("bip32_derivs".into(), keypaths_json(&output.hd_keypaths));
    }
    if version >= 2 {
        o.insert("amount".into(), amount_to_value(output.amount));
        o.insert(
            "script".into(),
            Value::Object(tojson::script_to_json(&output.script, true, true, &[], p)),
        );
    }
    if let Some(k) = &output.tap_internal_key {
        o.insert("taproot_internal_key".into(), json!(hex::encode(k)));
    }
    if !output.tap_tree.is_empty() {
        let tree: Vec<Value> = output
            .tap_tree
            .iter()
            .map(|(d, v, s)| json!({"depth": d, "leaf_ver": v, "script": hex::encode(s)}))
            .collect();
        o.insert("taproot_tree".into(), json!(tree));
    }
    if !output.tap_bip32_paths.is_empty() {
        o.insert(
            "taproot_bip32_derivs".into(),
            tap_keypaths_json(&output.tap_bip32_paths),
        );
    }
    if !output.musig2_participants.is_empty() {
        o.insert(
            "musig2_participant_pubkeys".into(),
            participants_json(&output.musig2_participants),
        );
    }
    if !output.proprietary.is_empty() {
        o.insert("proprietary".into(), proprietary_json(&output.proprietary));
    }
    if !output.unknown.is_empty() {
        o.insert("unknown".into(), unknown_json(&output.unknown));
    }
    Value::Object(o)
}

/// The `decodepsbt` result.
pub fn decode_json(psbt: &Psbt, p: &ChainParams) -> Value {
    let version = psbt.psbt_version();
    let mut r = Map::new();
    if version < 2 {
        if let Some(tx) = psbt.unsigned_tx() {
            r.insert("tx".into(), Value::Object(tojson::tx_to_json(&tx, p)));
        }
    }
    let mut xpubs = Vec::new();
    for (origin, set) in &psbt.xpubs {
        for x in set.values() {
            xpubs.push(json!({
                "xpub": base58::encode_check(&x.0),
                "master_fingerprint": hex::encode(origin.fingerprint),
                "path": origin.path_string(),
            }));
        }
    }
    r.insert("global_xpubs".into(), json!(xpubs));
    if version >= 2 {
        r.insert("tx_version".into(), json!(psbt.tx_version));
        if let Some(l) = psbt.fallback_locktime {
            r.insert("fallback_locktime".into(), json!(l));
        }
        r.insert("input_count".into(), json!(psbt.inputs.len()));
        r.insert("output_count".into(), json!(psbt.outputs.len()));
        if let Some(m) = psbt.tx_modifiable {
            r.insert("inputs_modifiable".into(), json!(m & 1 != 0));
            r.insert("outputs_modifiable".into(), json!(m & 2 != 0));
            r.insert("has_sighash_single".into(), json!(m & 4 != 0));
        }
    }
    r.insert("psbt_version".into(), json!(version));
    r.insert("proprietary".into(), proprietary_json(&psbt.proprietary));
    r.insert("unknown".into(), unknown_json(&psbt.unknown));
    let mut total_in = 0i64;
    let mut have_all = true;
    let mut inputs = Vec::new();
    for input in &psbt.inputs {
        let (j, amount) = input_json(input, version, p);
        inputs.push(j);
        match amount {
            Some(a) if money_range(a) && money_range(total_in + a) => total_in += a,
            _ => have_all = false,
        }
    }
    r.insert("inputs".into(), json!(inputs));
    let mut total_out = 0i64;
    let mut outputs = Vec::new();
    for output in &psbt.outputs {
        outputs.push(output_json(output, version, p));
        if money_range(output.amount) && money_range(total_out + output.amount) {
            total_out += output.amount;
        } else {
            have_all = false;
        }
    }
    r.insert("outputs".into(), json!(outputs));
    if have_all {
        r.insert("fee".into(), amount_to_value(total_in - total_out));
    }
    Value::Object(r)
}
