//! Transaction and script → JSON conversion in Core's shapes (`ScriptToUniv`,
//! `TxToUniv`), plus hex transaction decoding with Core's witness heuristics.
//! Shared with `getrawtransaction`/`getblock`.

use crate::address::{self, ChainParams};
use crate::descriptor;
use crate::script;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{OutPoint, Transaction, Txid};
use serde_json::{json, Map, Value};

/// `{asm, desc?, hex?, address?, type}` for an output script, as Core's
/// `ScriptToUniv`. `known` lists scripts the descriptor inference may use.
pub fn script_to_json(
    spk: &[u8],
    include_hex: bool,
    include_address: bool,
    known: &[Vec<u8>],
    params: &ChainParams,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("asm".into(), json!(script::to_asm(spk, false)));
    if include_address {
        out.insert("desc".into(), json!(descriptor::infer(spk, known, params)));
    }
    if include_hex {
        out.insert("hex".into(), json!(hex::encode(spk)));
    }
    let (ty, _) = script::solve(spk);
    if include_address && ty != script::TxoutType::PubKey {
        if let Some(dest) = address::extract_destination(spk) {
            out.insert("address".into(), json!(dest.encode(params)));
        }
    }
    out.insert("type".into(), json!(ty.name()));
    out
}

pub use consensus::codec::{has_witness, serialize_tx, size_and_weight};

fn is_coinbase(tx: &Transaction) -> bool {
    tx.input.len() == 1 && tx.input[0].previous_output == OutPoint::null()
}

/// Core's `TxToUniv` with no block hash, undo data or hex: txid … vout.
pub fn tx_to_json(tx: &Transaction, params: &ChainParams) -> Map<String, Value> {
    let mut e = Map::new();
    let (size, weight) = size_and_weight(tx);
    let wtxid = sha256d::Hash::hash(&serialize_tx(tx, true));
    e.insert("txid".into(), json!(tx.compute_txid().to_string()));
    e.insert("hash".into(), json!(Txid::from_raw_hash(wtxid).to_string()));
    e.insert("version".into(), json!(tx.version.0 as u32));
    e.insert("size".into(), json!(size));
    e.insert("vsize".into(), json!(weight.div_ceil(4)));
    e.insert("weight".into(), json!(weight));
    e.insert("locktime".into(), json!(tx.lock_time.to_consensus_u32()));
    let coinbase = is_coinbase(tx);
    let vin: Vec<Value> = tx
        .input
        .iter()
        .map(|i| {
            let mut m = Map::new();
            if coinbase {
                m.insert(
                    "coinbase".into(),
                    json!(hex::encode(i.script_sig.as_bytes())),
                );
            } else {
                m.insert("txid".into(), json!(i.previous_output.txid.to_string()));
                m.insert("vout".into(), json!(i.previous_output.vout));
                m.insert(
                    "scriptSig".into(),
                    json!({
                        "asm": script::to_asm(i.script_sig.as_bytes(), true),
                        "hex": hex::encode(i.script_sig.as_bytes()),
                    }),
                );
            }
            if !i.witness.is_empty() {
                let items: Vec<Value> = i.witness.iter().map(|w| json!(hex::encode(w))).collect();
                m.insert("txinwitness".into(), Value::Array(items));
            }
            m.insert("sequence".into(), json!(i.sequence.0));
            Value::Object(m)
        })
        .collect();
    e.insert("vin".into(), Value::Array(vin));
    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let mut m = Map::new();
            m.insert(
                "value".into(),
                rpc::json::amount_to_value(o.value.to_sat() as i64),
            );
            m.insert("n".into(), json!(n));
            let spk = script_to_json(o.script_pubkey.as_bytes(), true, true, &[], params);
            m.insert("scriptPubKey".into(), Value::Object(spk));
            Value::Object(m)
        })
        .collect();
    e.insert("vout".into(), Value::Array(vout));
    e
}

fn scripts_sane(tx: &Transaction) -> bool {
    let ok = |s: &[u8]| script::has_valid_ops(s) && s.len() <= script::MAX_SCRIPT_SIZE;
    (is_coinbase(tx) || tx.input.iter().all(|i| ok(i.script_sig.as_bytes())))
        && tx.output.iter().all(|o| ok(o.script_pubkey.as_bytes()))
}

/// Core's `DecodeHexTx`: tries extended and/or legacy serialization and picks
/// the one whose scripts look sane, preferring the extended one.
pub fn decode_hex_tx(hex: &str, try_no_witness: bool, try_witness: bool) -> Option<Transaction> {
    let data = common::strencodings::parse_hex(hex)?;
    let extended = if try_witness {
        consensus::codec::decode_tx(&data, true).ok()
    } else {
        None
    };
    if let Some(tx) = &extended {
        if scripts_sane(tx) {
            return extended;
        }
    }
    let legacy = if try_no_witness {
        consensus::codec::decode_tx(&data, false).ok()
    } else {
        None
    };
    if let Some(tx) = &legacy {
        if scripts_sane(tx) {
            return legacy;
        }
    }
    extended.or(legacy)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TX: &str = "0100000001696a20784a2c70143f634e95227dbdfdf0ecd51647052e70854512235f5986ca010000008a47304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb014104d3f898e6487787910a690410b7a917ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb95404e1210161536ffffffff0100e1f505000000001976a914eb6c6e0cdb2d256a32d97b8df1fc75d1920d9bca88ac00000000";

    #[test]
    fn decodes_legacy_tx() {
        let p = ChainParams::for_network(bitcoin::Network::Regtest);
        let tx = decode_hex_tx(TX, true, true).unwrap();
        assert_eq!(
            serialize_tx(&tx, true),
            common::strencodings::parse_hex(TX).unwrap()
        );
        let j = tx_to_json(&tx, &p);
        assert_eq!(j["vin"][0]["scriptSig"]["asm"], "304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb[ALL] 04d3f898e6487787910a690410b7a917ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb95404e1210161536");
        assert_eq!(j["vout"][0]["value"].to_string(), "1.00000000");
        assert_eq!(j["size"], json!(TX.len() / 2));
        assert_eq!(j["txid"], j["hash"]);
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_hex_tx("", true, true).is_none());
        assert!(decode_hex_tx("00", true, true).is_none());
        assert!(decode_hex_tx(&format!("{TX}00"), true, true).is_none());
        assert!(decode_hex_tx("zz", true, true).is_none());
    }

    #[test]
    fn empty_input_tx_is_legacy_when_forced() {
        // version 2, 0 inputs, 1 output of 0 sats with empty script, locktime 0
        let hex = "02000000000100000000000000000000000000";
        assert!(decode_hex_tx(hex, true, false).is_some());
    }
}
