//! The Updater role for `utxoupdatepsbt` and `descriptorprocesspsbt`
//! (Core's `ProcessPSBT`): fill in spent outputs from the node, then sign
//! and describe inputs and outputs with descriptor data.

use super::decode_psbt;
use super::roles::{remove_unnecessary_transactions, sign_input, SignOptions, SignResult};
use super::signer::{produce_signature, Creator, SigData};
use crate::rawtx::sign::Keystore;
use crate::rawtx::CoinLookup;
use crate::script;
use bitcoin::hashes::{hash160, Hash};
use psbt::Psbt;
use rpc::error::code;
use rpc::{RpcError, RpcResult};

/// Whether `spk` is segwit, directly or through a known P2SH redeem script.
fn is_segwit_output(ks: &Keystore, spk: &[u8]) -> bool {
    if script::witness_program(spk).is_some() {
        return true;
    }
    if script::is_p2sh(spk) {
        let id: [u8; 20] = spk[2..22].try_into().unwrap_or([0; 20]);
        if let Some(redeem) = ks.script(&id) {
            return script::witness_program(redeem).is_some();
        }
    }
    false
}

/// Adds scripts, key paths and taproot data for output `index` (Core's
/// `UpdatePSBTOutput`).
fn update_output(ks: &Keystore, psbt: &mut Psbt, index: usize) {
    let Some(tx) = psbt.unsigned_tx() else {
        return;
    };
    let Some(out) = psbt.outputs.get_mut(index) else {
        return;
    };
    let mut sd = SigData {
        redeem_script: out.redeem_script.clone(),
        witness_script: out.witness_script.clone(),
        ..Default::default()
    };
    for (pk, origin) in &out.hd_keypaths {
        let id = hash160::Hash::hash(pk).to_byte_array();
        sd.misc_pubkeys.insert(id, (pk.clone(), origin.clone()));
    }
    sd.tap_spend.internal_key = out.tap_internal_key;
    for (x, v) in &out.tap_bip32_paths {
        sd.tap_misc_pubkeys.insert(*x, v.clone());
        sd.tap_pubkeys
            .insert(hash160::Hash::hash(x).to_byte_array(), *x);
    }
    // Core only builds a tree it was given when the internal key is valid.
    let existing_tree_usable = !out.tap_tree.is_empty()
        && out
            .tap_internal_key
            .is_some_and(|k| bitcoin::key::XOnlyPublicKey::from_slice(&k).is_ok());
    // A would-be spend of the output, only to gather its metadata.
    let creator = Creator::Real {
        tx: &tx,
        index: 0,
        amount: out.amount,
        spent: None,
        sighash: 1,
    };
    produce_signature(ks, &creator, &out.script, &mut sd);
    if out.redeem_script.is_empty() {
        out.redeem_script = sd.redeem_script;
    }
    if out.witness_script.is_empty() {
        out.witness_script = sd.witness_script;
    }
    for (pk, origin) in sd.misc_pubkeys.into_values() {
        out.hd_keypaths.entry(pk).or_insert(origin);
    }
    if sd.tap_spend.internal_key.is_some() {
        out.tap_internal_key = sd.tap_spend.internal_key;
    }
    // The tree comes from the keystore, else from the output itself rebuilt
    // through Core's builder (which reorders leaves).
    if !sd.tap_tree.is_empty() {
        out.tap_tree = sd.tap_tree;
    } else if existing_tree_usable {
        if let Some(tree) = psbt::output::rebuild_tree(&out.tap_tree) {
            out.tap_tree = tree;
        }
    }
    psbt::fields::merge_map(&mut out.tap_bip32_paths, &sd.tap_misc_pubkeys);
}

/// Decodes `text`, fills spent outputs from `coins`, signs what `ks` can
/// (with `sighash` when the PSBT names none) and describes the outputs.
pub fn process_psbt(
    text: &str,
    coins: &dyn CoinLookup,
    ks: &Keystore,
    sighash: Option<i32>,
    finalize: bool,
) -> RpcResult<Psbt> {
    let mut psbt = decode_psbt(text)?;
    for input in &mut psbt.inputs {
        if input.non_witness_utxo.is_some() {
            continue;
        }
        if let Some(tx) = coins.transaction(&input.prev_txid) {
            input.non_witness_utxo = Some(tx);
            continue;
        }
        let outpoint = bitcoin::OutPoint {
            txid: input.prev_txid,
            vout: input.prev_out,
        };
        if let Some(coin) = coins.coin(&outpoint) {
            if is_segwit_output(ks, coin.script_pubkey.as_bytes()) {
                input.witness_utxo = Some(coin);
            }
        }
    }
    if psbt.unsigned_tx().is_none() {
        return Err(RpcError::new(
            code::VERIFY_ERROR,
            "The transaction cannot be valid",
        ));
    }
    for i in 0..psbt.inputs.len() {
        if psbt.inputs[i].is_finalized() {
            continue;
        }
        let opts = SignOptions {
            real: true,
            sighash,
            finalize,
        };
        if sign_input(ks, &mut psbt, i, opts, None) == SignResult::SighashMismatch {
            return Err(RpcError::deserialization(
                "Specified sighash value does not match value stored in PSBT",
            ));
        }
    }
    for i in 0..psbt.outputs.len() {
        update_output(ks, &mut psbt, i);
    }
    remove_unnecessary_transactions(&mut psbt);
    Ok(psbt)
}
