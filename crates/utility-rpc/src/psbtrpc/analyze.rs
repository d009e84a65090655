//! `analyzepsbt`: per-input status and next role, the fee, and the size
//! and feerate the finished transaction would have (Core's `AnalyzePSBT`).

use super::roles::{input_signed_and_verified, sign_input, spent_outputs, SignOptions, SignResult};
use super::signer::SigData;
use crate::rawtx::sign::Keystore;
use crate::script;
use consensus::{Coin, CoinsView};
use psbt::Psbt;
use rpc::json::amount_to_value;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Core's `-bytespersigop` default.
const BYTES_PER_SIGOP: u64 = 20;

/// Roles in the order a PSBT passes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Updater,
    Signer,
    Finalizer,
    Extractor,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Updater => "updater",
            Role::Signer => "signer",
            Role::Finalizer => "finalizer",
            Role::Extractor => "extractor",
        }
    }
}

fn money_range(v: i64) -> bool {
    (0..=MAX_MONEY).contains(&v)
}

struct MapCoins(BTreeMap<bitcoin::OutPoint, bitcoin::TxOut>);

impl CoinsView for MapCoins {
    fn coin(&self, outpoint: &bitcoin::OutPoint) -> Option<Coin> {
        self.0.get(outpoint).map(|o| Coin {
            output: o.clone(),
            height: 1,
            is_coinbase: false,
        })
    }
}

fn invalid(msg: String) -> Value {
    json!({"next": "creator", "error": msg})
}

fn input_json(has_utxo: bool, is_final: bool, next: Role, missing: &SigData) -> Value {
    let mut o = Map::new();
    o.insert("has_utxo".into(), json!(has_utxo));
    o.insert("is_final".into(), json!(is_final));
    o.insert("next".into(), json!(next.name()));
    let mut m = Map::new();
    if !missing.missing_pubkeys.is_empty() {
        let v: Vec<String> = missing.missing_pubkeys.iter().map(hex::encode).collect();
        m.insert("pubkeys".into(), json!(v));
    }
    if let Some(h) = &missing.missing_redeem_script {
        m.insert("redeemscript".into(), json!(hex::encode(h)));
    }
    if let Some(h) = &missing.missing_witness_script {
        m.insert("witnessscript".into(), json!(hex::encode(h)));
    }
    if !missing.missing_sigs.is_empty() {
        let v: Vec<String> = missing.missing_sigs.iter().map(hex::encode).collect();
        m.insert("signatures".into(), json!(v));
    }
    if !m.is_empty() {
        o.insert("missing".into(), Value::Object(m));
    }
    Value::Object(o)
}

/// The `analyzepsbt` result for `psbt`.
pub fn analyze(mut psbt: Psbt) -> Value {
    let Some(mut tx) = psbt.unsigned_tx() else {
        return invalid("PSBT cannot be made into a valid transaction".into());
    };
    let ks = Keystore::default();
    let spent = spent_outputs(&psbt);
    let mut calc_fee = true;
    let mut in_amt = 0i64;
    let mut inputs = Vec::new();
    let mut next_all = Role::Extractor;
    for i in 0..psbt.inputs.len() {
        let input = &psbt.inputs[i];
        let mut next = Role::Extractor;
        let mut is_final = false;
        let utxo = input.utxo();
        let has_utxo = utxo.is_some();
        match &utxo {
            Some(u) => {
                let v = u.value.to_sat() as i64;
                if !money_range(v) || !money_range(in_amt + v) {
                    return invalid(format!("PSBT is not valid. Input {i} has invalid value"));
                }
                in_amt += v;
            }
            None => {
                if let Some(prev) = &input.non_witness_utxo {
                    if input.prev_out as usize >= prev.output.len() {
                        return invalid(format!(
                            "PSBT is not valid. Input {i} specifies invalid prevout"
                        ));
                    }
                }
                next = Role::Updater;
                calc_fee = false;
            }
        }
        if let Some(u) = &utxo {
            if script::is_unspendable(u.script_pubkey.as_bytes()) {
                return invalid(format!(
                    "PSBT is not valid. Input {i} spends unspendable output"
                ));
            }
        }
        let mut missing = SigData::default();
        if !input_signed_and_verified(&psbt, i, spent.as_deref()) {
            let opts = SignOptions {
                real: true,
                sighash: None,
                finalize: true,
            };
            let res = sign_input(&ks, &mut psbt, i, opts, Some(&mut missing));
            if res == SignResult::Ok {
                next = Role::Finalizer;
            } else if missing.missing_pubkeys.is_empty()
                && missing.missing_redeem_script.is_none()
                && missing.missing_witness_script.is_none()
                && !missing.missing_sigs.is_empty()
            {
                next = Role::Signer;
            } else {
                next = Role::Updater;
            }
            if res == SignResult::Ok {
                missing = SigData::default();
            }
        } else if has_utxo {
            is_final = true;
        }
        next_all = next_all.min(next);
        inputs.push(input_json(has_utxo, is_final, next, &missing));
    }
    let mut r = Map::new();
    if !inputs.is_empty() {
        r.insert("inputs".into(), json!(inputs));
    }
    if calc_fee {
        let mut out_amt = 0i64;
        for o in &psbt.outputs {
            if !money_range(out_amt) || !money_range(o.amount) || !money_range(out_amt + o.amount) {
                out_amt = -1;
                break;
            }
            out_amt += o.amount;
        }
        if !money_range(out_amt) {
            return invalid("PSBT is not valid. Output amount invalid".into());
        }
        let fee = in_amt - out_amt;
        if let Some(vsize) = estimate_vsize(&mut psbt, &mut tx, &ks) {
            r.insert("estimated_vsize".into(), json!(vsize));
            let rate = fee_per_kvb(fee, vsize);
            r.insert("estimated_feerate".into(), amount_to_value(rate));
        }
        r.insert("fee".into(), amount_to_value(fee));
    }
    r.insert("next".into(), json!(next_all.name()));
    Value::Object(r)
}

/// Core's `CFeeRate(fee, size).GetFeePerK()`.
fn fee_per_kvb(fee: i64, vsize: u64) -> i64 {
    if vsize == 0 {
        return 0;
    }
    fee.saturating_mul(1000).div_euclid(vsize as i64)
}

/// The virtual size with dummy signatures on every unfinished input.
fn estimate_vsize(psbt: &mut Psbt, tx: &mut bitcoin::Transaction, ks: &Keystore) -> Option<u64> {
    let mut coins = BTreeMap::new();
    for i in 0..psbt.inputs.len() {
        let opts = SignOptions {
            real: false,
            sighash: None,
            finalize: true,
        };
        if sign_input(ks, psbt, i, opts, None) != SignResult::Ok {
            return None;
        }
        let input = &psbt.inputs[i];
        let utxo = input.utxo()?;
        tx.input[i].script_sig = bitcoin::ScriptBuf::from_bytes(input.final_script_sig.clone());
        tx.input[i].witness = bitcoin::Witness::from_slice(&input.final_script_witness);
        coins.insert(tx.input[i].previous_output, utxo);
    }
    let (_, weight) = crate::tojson::size_and_weight(tx);
    let sigops = consensus::tx_verify::get_transaction_sigop_cost(
        tx,
        &MapCoins(coins),
        consensus::flags::STANDARD_SCRIPT_VERIFY_FLAGS,
    );
    let w = (weight as u64).max(sigops * BYTES_PER_SIGOP);
    Some(w.div_ceil(4))
}
