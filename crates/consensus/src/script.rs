//! Script verification behind a small trait, with the `bitcoinconsensus`
//! library (Bitcoin Core 26's interpreter, consensus flags only) as the
//! implementation, and parallel checking of a block's inputs.
//!
//! Reject reasons follow Core: `block-script-verify-flag-failed (<error>)`
//! when only consensus flags were requested and
//! `mempool-script-verify-flag-failed (<error>)` when the flags include
//! policy-only ones, with the debug message
//! `input <n> of <txid> (wtxid <wtxid>), spending <prev txid>:<vout>`.
//!
//! `bitcoinconsensus` only reports *that* a script failed, not Core's
//! `ScriptError`. [`ConsensusScriptVerifier`] reconstructs the error text:
//! failures reached before any real evaluation (unbalanced conditionals,
//! disabled opcodes, an executed OP_RETURN, …) come from
//! [`crate::script_walk`]; otherwise it re-runs the input with one consensus flag removed at a time, and if
//! dropping a flag makes it pass, reports the error that rule produces
//! ("Non-canonical DER signature", "Dummy CHECKMULTISIG argument must be
//! zero", "Negative locktime" / "Locktime requirement not satisfied" /
//! "Operation not valid with the current stack size" from a look at the
//! script around OP_CHECKLOCKTIMEVERIFY / OP_CHECKSEQUENCEVERIFY, "Invalid
//! Schnorr signature"); witness-program failures get "Witness program was
//! passed an empty witness" / "Witness program hash mismatch" when the
//! witness shows it, and witness data on a non-witness spend is "Witness
//! provided for non-witness script"; everything else is reported as "Script evaluated
//! without error but finished with a false/empty top stack element", the
//! most common failure. The texts are Core's, but may name a different
//! error than Core would for unusual scripts. Policy-only flags are not
//! evaluated at all.

use std::sync::atomic::{AtomicBool, Ordering};

use bitcoin::hashes::{sha256, Hash};
use bitcoin::script::Instruction;
use bitcoin::{Block, Script, Transaction, TxIn, TxOut};

use crate::error::{BlockResult, TxResult, ValidationError};
use crate::flags::*;
use crate::script_walk::early_error;
use crate::tx_verify::witness_program;

/// Verifies one input's scripts.
pub trait ScriptVerifier: Send + Sync {
    /// Checks input `input_index` of the serialized transaction `tx_bytes`
    /// (with witness) spending `spent_output`, under `flags`
    /// (`SCRIPT_VERIFY_*`). `all_spent_outputs` holds the outputs spent by
    /// every input, in order (needed for taproot). `Err` carries Core's
    /// script error text, e.g. "Non-canonical DER signature".
    fn verify_input(
        &self,
        spent_output: &TxOut,
        tx_bytes: &[u8],
        input_index: usize,
        flags: u32,
        all_spent_outputs: &[TxOut],
    ) -> Result<(), String>;
}

/// The flags `bitcoinconsensus` understands (exactly the consensus ones); others
/// are ignored.
pub const LIBBITCOINCONSENSUS_FLAGS: u32 = MANDATORY_SCRIPT_VERIFY_FLAGS;

/// Core's text for SCRIPT_ERR_EVAL_FALSE.
pub const ERR_EVAL_FALSE: &str =
    "Script evaluated without error but finished with a false/empty top stack element";

/// [`ScriptVerifier`] over the `bitcoinconsensus` crate.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsensusScriptVerifier;

fn run(
    spent: &TxOut,
    tx_bytes: &[u8],
    index: usize,
    flags: u32,
    all: &[TxOut],
) -> Result<(), bitcoinconsensus::Error> {
    let utxos: Vec<bitcoinconsensus::Utxo> = all
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as _,
            value: o.value.to_sat() as i64,
        })
        .collect();
    let spent_outputs = if utxos.is_empty() {
        None
    } else {
        Some(&utxos[..])
    };
    bitcoinconsensus::verify_with_flags(
        spent.script_pubkey.as_bytes(),
        spent.value.to_sat(),
        tx_bytes,
        spent_outputs,
        index,
        flags & LIBBITCOINCONSENSUS_FLAGS,
    )
}

impl ScriptVerifier for ConsensusScriptVerifier {
    fn verify_input(
        &self,
        spent_output: &TxOut,
        tx_bytes: &[u8],
        input_index: usize,
        flags: u32,
        all_spent_outputs: &[TxOut],
    ) -> Result<(), String> {
        match run(
            spent_output,
            tx_bytes,
            input_index,
            flags,
            all_spent_outputs,
        ) {
            Ok(()) => witness_policy(spent_output, tx_bytes, input_index, flags),
            Err(bitcoinconsensus::Error::ERR_SCRIPT) => Err(diagnose(
                spent_output,
                tx_bytes,
                input_index,
                flags,
                all_spent_outputs,
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Reconstructs Core's script error text for a failed input (see the
/// module documentation).
fn diagnose(spent: &TxOut, tx_bytes: &[u8], index: usize, flags: u32, all: &[TxOut]) -> String {
    let tx: Option<Transaction> = crate::codec::decode_tx(tx_bytes, true).ok();
    if let Some(e) = tx
        .as_ref()
        .and_then(|t| early_error(t, index, &spent.script_pubkey, flags))
    {
        return e.to_string();
    }
    let order = [
        SCRIPT_VERIFY_DERSIG,
        SCRIPT_VERIFY_NULLDUMMY,
        SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY,
        SCRIPT_VERIFY_CHECKSEQUENCEVERIFY,
        SCRIPT_VERIFY_TAPROOT,
    ];
    for flag in order {
        if flags & flag == 0 {
            continue;
        }
        if run(spent, tx_bytes, index, flags & !flag, all).is_ok() {
            return match flag {
                SCRIPT_VERIFY_DERSIG => "Non-canonical DER signature".to_string(),
                SCRIPT_VERIFY_NULLDUMMY => "Dummy CHECKMULTISIG argument must be zero".to_string(),
                SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY => {
                    locktime_error(tx.as_ref(), index, &spent.script_pubkey, 0xb1)
                }
                SCRIPT_VERIFY_CHECKSEQUENCEVERIFY => {
                    locktime_error(tx.as_ref(), index, &spent.script_pubkey, 0xb2)
                }
                _ => "Invalid Schnorr signature".to_string(),
            };
        }
    }
    let input = tx.as_ref().and_then(|t| t.input.get(index));
    let program = input.and_then(|i| spent_program(spent.script_pubkey.as_bytes(), i));
    if flags & SCRIPT_VERIFY_WITNESS != 0
        && input.is_some_and(|i| !i.witness.is_empty())
        && program.is_none()
        && run(spent, tx_bytes, index, flags & !SCRIPT_VERIFY_WITNESS, all).is_ok()
    {
        return "Witness provided for non-witness script".to_string();
    }
    if let (Some(input), Some((0, program))) = (input, program) {
        if input.witness.is_empty() {
            return "Witness program was passed an empty witness".to_string();
        }
        if program.len() == 32 {
            let script = input.witness.last().unwrap_or_default();
            if sha256::Hash::hash(script).as_byte_array()[..] != program[..] {
                return "Witness program hash mismatch".to_string();
            }
        } else if program.len() == 20 && input.witness.len() != 2 {
            return "Witness program hash mismatch".to_string();
        }
    }
    ERR_EVAL_FALSE.to_string()
}

/// Core's witness policies, which `bitcoinconsensus` does not evaluate (the
/// spend passes consensus): no spending of witness versions kept for soft
/// forks (`SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM`) and only
/// compressed keys in segwit v0 signature checks
/// (`SCRIPT_VERIFY_WITNESS_PUBKEYTYPE`; for witness scripts, the keys pushed
/// right before a signature-checking opcode).
fn witness_policy(spent: &TxOut, tx_bytes: &[u8], index: usize, flags: u32) -> Result<(), String> {
    let policy =
        SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM | SCRIPT_VERIFY_WITNESS_PUBKEYTYPE;
    if flags & SCRIPT_VERIFY_WITNESS == 0 || flags & policy == 0 {
        return Ok(());
    }
    let Ok(tx) = crate::codec::decode_tx(tx_bytes, true) else {
        return Ok(());
    };
    let Some(input) = tx.input.get(index) else {
        return Ok(());
    };
    let spk = spent.script_pubkey.as_bytes();
    let Some((version, program)) = spent_program(spk, input) else {
        return Ok(());
    };
    let nested = witness_program(spk).is_none();
    let known = version == 0
        || (version == 1 && !nested && (program.len() == 32 || program == [0x4e, 0x73]));
    if !known && flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM != 0 {
        return Err("Witness version reserved for soft-fork upgrades".to_string());
    }
    if version == 0
        && flags & SCRIPT_VERIFY_WITNESS_PUBKEYTYPE != 0
        && v0_keys(program, &input.witness)
            .iter()
            .any(|k| !is_compressed_key(k))
    {
        return Err("Using non-compressed keys in segwit".to_string());
    }
    Ok(())
}

/// Core's `IsCompressedPubKey`.
fn is_compressed_key(key: &[u8]) -> bool {
    key.len() == 33 && matches!(key[0], 0x02 | 0x03)
}

/// The public keys a segwit v0 spend checks signatures with: the key of a
/// P2WPKH spend, or the keys a P2WSH script pushes right before
/// `OP_CHECKSIG(VERIFY)` / as the key list of `OP_CHECKMULTISIG(VERIFY)`.
fn v0_keys(program: &[u8], witness: &bitcoin::Witness) -> Vec<Vec<u8>> {
    if program.len() == 20 {
        return witness.nth(1).map(|k| vec![k.to_vec()]).unwrap_or_default();
    }
    let Some(script) = witness.last() else {
        return Vec::new();
    };
    let ins: Vec<Instruction> = Script::from_bytes(script)
        .instructions()
        .map_while(Result::ok)
        .collect();
    let mut keys = Vec::new();
    for (i, step) in ins.iter().enumerate() {
        let Instruction::Op(op) = step else { continue };
        let code = op.to_u8();
        if matches!(code, 0xac | 0xad) {
            if let Some(Instruction::PushBytes(k)) = i.checked_sub(1).and_then(|p| ins.get(p)) {
                keys.push(k.as_bytes().to_vec());
            }
        } else if matches!(code, 0xae | 0xaf) {
            // OP_m <keys> OP_n OP_CHECKMULTISIG: the pushes before OP_n.
            keys.extend(
                ins[..i.saturating_sub(1)]
                    .iter()
                    .rev()
                    .map_while(|x| match x {
                        Instruction::PushBytes(k) => Some(k.as_bytes().to_vec()),
                        Instruction::Op(_) => None,
                    }),
            );
        }
    }
    keys
}

/// The witness program an input spends: the spent script itself, or for
/// P2SH the redeem script its `scriptSig` pushes last, if either is one.
fn spent_program<'a>(spk: &'a [u8], input: &'a TxIn) -> Option<(u8, &'a [u8])> {
    if let Some(p) = witness_program(spk) {
        return Some(p);
    }
    if !Script::from_bytes(spk).is_p2sh() {
        return None;
    }
    match input.script_sig.instructions().last() {
        Some(Ok(Instruction::PushBytes(b))) => witness_program(b.as_bytes()),
        _ => None,
    }
}

/// Which lock-time error a failing CLTV (0xb1) / CSV (0xb2) most likely
/// raised, from the instruction before the opcode in the executed script.
fn locktime_error(tx: Option<&Transaction>, index: usize, spk: &Script, opcode: u8) -> String {
    let mut scripts: Vec<(Vec<u8>, bool)> = vec![(spk.to_bytes(), true)];
    if let Some(input) = tx.and_then(|t| t.input.get(index)) {
        if let Some(Ok(Instruction::PushBytes(b))) = input.script_sig.instructions().last() {
            scripts.push((b.as_bytes().to_vec(), false));
        }
        if let Some(w) = input.witness.last() {
            scripts.push((w.to_vec(), false));
        }
        for (bytes, is_spk) in scripts {
            let script = Script::from_bytes(&bytes);
            let mut previous: Option<Instruction> = None;
            for ins in script.instructions() {
                let Ok(ins) = ins else { break };
                if let Instruction::Op(op) = ins {
                    if op.to_u8() == opcode {
                        return match previous {
                            Some(Instruction::PushBytes(d))
                                if d.as_bytes().last().is_some_and(|b| b & 0x80 != 0) =>
                            {
                                "Negative locktime".to_string()
                            }
                            Some(Instruction::Op(o)) if o.to_u8() == 0x4f => {
                                "Negative locktime".to_string()
                            }
                            None if is_spk
                                && input.script_sig.is_empty()
                                && input.witness.is_empty() =>
                            {
                                "Operation not valid with the current stack size".to_string()
                            }
                            _ => "Locktime requirement not satisfied".to_string(),
                        };
                    }
                }
                previous = Some(ins);
            }
        }
    }
    "Locktime requirement not satisfied".to_string()
}

/// Core's debug message for a failed input.
pub fn input_debug_message(tx: &Transaction, index: usize) -> String {
    let prev = tx
        .input
        .get(index)
        .map(|i| i.previous_output)
        .unwrap_or_default();
    format!(
        "input {} of {} (wtxid {}), spending {}:{}",
        index,
        tx.compute_txid(),
        tx.compute_wtxid(),
        prev.txid,
        prev.vout
    )
}

/// The reject reason for a script failure under `flags`:
/// `mempool-script-verify-flag-failed (...)` if `flags` include any
/// policy-only flag, else `block-script-verify-flag-failed (...)`.
pub fn script_reject_reason(flags: u32, error: &str) -> String {
    if flags & STANDARD_NOT_MANDATORY_VERIFY_FLAGS != 0 {
        format!("mempool-script-verify-flag-failed ({error})")
    } else {
        format!("block-script-verify-flag-failed ({error})")
    }
}

/// Checks every input of a non-coinbase transaction (Core's
/// `CheckInputScripts` without caching). `spent_outputs[i]` is the output
/// spent by input `i`. Failures are `TxResult::NotStandard` with the
/// mempool reason when `flags` include policy flags, else
/// `TxResult::Consensus` with the block reason.
pub fn check_input_scripts(
    tx: &Transaction,
    spent_outputs: &[TxOut],
    flags: u32,
    verifier: &dyn ScriptVerifier,
) -> Result<(), ValidationError> {
    if tx.is_coinbase() {
        return Ok(());
    }
    if spent_outputs.len() != tx.input.len() {
        return Err(ValidationError::tx(
            TxResult::MissingInputs,
            "bad-txns-inputs-missingorspent",
            "CheckTxInputs: inputs missing/spent",
        ));
    }
    let bytes = bitcoin::consensus::serialize(tx);
    for (i, spent) in spent_outputs.iter().enumerate() {
        if let Err(e) = verifier.verify_input(spent, &bytes, i, flags, spent_outputs) {
            let kind = if flags & STANDARD_NOT_MANDATORY_VERIFY_FLAGS != 0 {
                TxResult::NotStandard
            } else {
                TxResult::Consensus
            };
            return Err(ValidationError::tx(
                kind,
                script_reject_reason(flags, &e),
                input_debug_message(tx, i),
            ));
        }
    }
    Ok(())
}

/// Checks the scripts of every input of `block` on up to `threads` threads
/// (at least one; `-par`). `spent_outputs_per_tx[t]` holds the outputs
/// spent by transaction `t` (empty for the coinbase). The failure reported
/// is the one with the lowest (transaction, input) position, as a
/// `BlockResult::Consensus` "block-script-verify-flag-failed (...)".
pub fn verify_block_scripts(
    block: &Block,
    spent_outputs_per_tx: &[Vec<TxOut>],
    flags: u32,
    verifier: &dyn ScriptVerifier,
    threads: usize,
) -> Result<(), ValidationError> {
    if spent_outputs_per_tx.len() != block.txdata.len() {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-txns-inputs-missingorspent",
            "CheckTxInputs: inputs missing/spent",
        ));
    }
    let mut serialized = Vec::with_capacity(block.txdata.len());
    let mut jobs = Vec::new();
    for (t, tx) in block.txdata.iter().enumerate() {
        if tx.is_coinbase() {
            serialized.push(Vec::new());
            continue;
        }
        if spent_outputs_per_tx[t].len() != tx.input.len() {
            return Err(ValidationError::block(
                BlockResult::Consensus,
                "bad-txns-inputs-missingorspent",
                "CheckTxInputs: inputs missing/spent",
            ));
        }
        serialized.push(bitcoin::consensus::serialize(tx));
        jobs.extend((0..tx.input.len()).map(|i| (t, i)));
    }
    let check = |&(t, i): &(usize, usize)| -> Result<(), String> {
        let spent = &spent_outputs_per_tx[t];
        verifier.verify_input(&spent[i], &serialized[t], i, flags, spent)
    };
    let threads = threads.max(1).min(jobs.len().max(1));
    let mut failures: Vec<((usize, usize), String)> = Vec::new();
    if threads <= 1 {
        for job in &jobs {
            if let Err(e) = check(job) {
                failures.push((*job, e));
                break;
            }
        }
    } else {
        let stop = AtomicBool::new(false);
        let chunk = jobs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| {
                    let stop = &stop;
                    let check = &check;
                    s.spawn(move || {
                        for job in part {
                            if stop.load(Ordering::Relaxed) {
                                return None;
                            }
                            if let Err(e) = check(job) {
                                stop.store(true, Ordering::Relaxed);
                                return Some((*job, e));
                            }
                        }
                        None
                    })
                })
                .collect();
            for h in handles {
                match h.join() {
                    Ok(Some(f)) => failures.push(f),
                    Ok(None) => {}
                    Err(_) => failures.push(((usize::MAX, 0), "unknown error".to_string())),
                }
            }
        });
    }
    if let Some(((t, i), e)) = failures.into_iter().min_by_key(|(pos, _)| *pos) {
        let debug = block
            .txdata
            .get(t)
            .map(|tx| input_debug_message(tx, i))
            .unwrap_or_default();
        return Err(ValidationError::block(
            BlockResult::Consensus,
            format!("block-script-verify-flag-failed ({e})"),
            debug,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segwit_v0_keys_are_found_for_the_pubkey_type_policy() {
        let uncompressed = [vec![0x04], vec![7; 64]].concat();
        let compressed = [vec![0x02], vec![7; 32]].concat();
        let p2wpkh = bitcoin::Witness::from_slice(&[vec![0x30], uncompressed.clone()]);
        assert_eq!(v0_keys(&[0; 20], &p2wpkh), vec![uncompressed.clone()]);
        // <key> OP_CHECKSIG as a witness script.
        let mut p2pk = vec![65];
        p2pk.extend(&uncompressed);
        p2pk.push(0xac);
        let p2wsh = bitcoin::Witness::from_slice(&[vec![0x30], p2pk]);
        assert_eq!(v0_keys(&[0; 32], &p2wsh), vec![uncompressed.clone()]);
        // 1 <key> <key> 2 OP_CHECKMULTISIG.
        let mut multi = vec![0x51, 33];
        multi.extend(&compressed);
        multi.push(65);
        multi.extend(&uncompressed);
        multi.extend([0x52, 0xae]);
        let keys = v0_keys(&[0; 32], &bitcoin::Witness::from_slice(&[vec![], multi]));
        assert_eq!(keys.len(), 2);
        assert!(is_compressed_key(&compressed) && !is_compressed_key(&uncompressed));
    }
    use bitcoin::{Amount, ScriptBuf};

    fn legacy_spent(block: &Block, scripts: &[&str]) -> Vec<Vec<TxOut>> {
        // Amounts do not matter for legacy inputs.
        let mut it = scripts.iter();
        block
            .txdata
            .iter()
            .map(|tx| {
                if tx.is_coinbase() {
                    return Vec::new();
                }
                tx.input
                    .iter()
                    .map(|_| TxOut {
                        value: Amount::from_sat(0),
                        script_pubkey: ScriptBuf::from_bytes(
                            crate::params::parse_hex(it.next().copied().unwrap_or("")).unwrap(),
                        ),
                    })
                    .collect()
            })
            .collect()
    }

    // Spent scripts from Core's blockfilters.json for testnet3 block 180480.
    const SPENT_180480: [&str; 8] = [
        "",
        "",
        "",
        "76a9142903b138c24be9e070b3e73ec495d77a204615e788ac",
        "76a91433a1941fd9a37b9821d376f5a51bd4b52fa50e2888ac",
        "76a914e4374e8155d0865742ca12b8d4d14d41b57d682f88ac",
        "76a914001fa7459a6cfc64bdc178ba7e7a21603bb2568f88ac",
        "76a914f6039952bc2b307aeec5371bfb96b66078ec17f688ac",
    ];

    #[test]
    fn real_block_scripts_verify() {
        let block = crate::testdata::block(180480);
        let spent = legacy_spent(&block, &SPENT_180480);
        let flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_DERSIG;
        for threads in [1, 2, 4] {
            verify_block_scripts(&block, &spent, flags, &ConsensusScriptVerifier, threads).unwrap();
        }
    }

    #[test]
    fn failure_is_reported_like_core() {
        let block = crate::testdata::block(180480);
        let mut spent = legacy_spent(&block, &SPENT_180480);
        // Point a P2PKH input at a different key hash.
        let (t, i) = spent
            .iter()
            .enumerate()
            .find_map(|(t, s)| {
                s.iter()
                    .position(|o| o.script_pubkey.len() == 25)
                    .map(|i| (t, i))
            })
            .unwrap();
        let mut bytes = spent[t][i].script_pubkey.to_bytes();
        bytes[5] ^= 1;
        spent[t][i].script_pubkey = ScriptBuf::from_bytes(bytes);
        for threads in [1, 3] {
            let e = verify_block_scripts(
                &block,
                &spent,
                MANDATORY_SCRIPT_VERIFY_FLAGS,
                &ConsensusScriptVerifier,
                threads,
            )
            .unwrap_err();
            assert!(
                e.reason.starts_with("block-script-verify-flag-failed ("),
                "{e}"
            );
            assert!(e
                .debug
                .starts_with(&format!("input {i} of {}", block.txdata[t].compute_txid())));
        }
        let e = check_input_scripts(
            &block.txdata[t],
            &spent[t],
            STANDARD_SCRIPT_VERIFY_FLAGS,
            &ConsensusScriptVerifier,
        )
        .unwrap_err();
        assert!(e.reason.starts_with("mempool-script-verify-flag-failed ("));
        assert_eq!(e.tx_result(), Some(TxResult::NotStandard));
        let e = check_input_scripts(
            &block.txdata[t],
            &spent[t],
            MANDATORY_SCRIPT_VERIFY_FLAGS,
            &ConsensusScriptVerifier,
        )
        .unwrap_err();
        assert_eq!(e.tx_result(), Some(TxResult::Consensus));
        // Wrong number of spent outputs.
        assert!(verify_block_scripts(&block, &spent[1..], 0, &ConsensusScriptVerifier, 1).is_err());
    }

    #[test]
    fn diagnoses_flags() {
        // A CLTV script with a negative locktime, spent with an empty scriptSig.
        let tx = crate::tx_check::tests::tx(
            vec![crate::tx_check::tests::input(0)],
            vec![crate::tx_check::tests::output(1)],
        );
        let bytes = bitcoin::consensus::serialize(&tx);
        let failure = |script: Vec<u8>| {
            let spk = TxOut {
                value: Amount::from_sat(10),
                script_pubkey: ScriptBuf::from_bytes(script),
            };
            ConsensusScriptVerifier
                .verify_input(
                    &spk,
                    &bytes,
                    0,
                    MANDATORY_SCRIPT_VERIFY_FLAGS,
                    std::slice::from_ref(&spk),
                )
                .unwrap_err()
        };
        assert_eq!(failure(vec![0x4f, 0xb1]), "Negative locktime");
        assert_eq!(
            failure(vec![0xb1, 0x51]),
            "Operation not valid with the current stack size"
        );
        assert_eq!(failure(vec![0x00]), ERR_EVAL_FALSE);
        // Empty witness for a P2WPKH output.
        let mut p2wpkh = vec![0x00, 20];
        p2wpkh.extend([1u8; 20]);
        assert_eq!(
            failure(p2wpkh),
            "Witness program was passed an empty witness"
        );
        assert_eq!(
            script_reject_reason(MANDATORY_SCRIPT_VERIFY_FLAGS, "x"),
            "block-script-verify-flag-failed (x)"
        );
    }
}
