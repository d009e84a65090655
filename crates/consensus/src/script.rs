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
//! `bitcoinconsensus` decides consensus validity but only reports *that* a
//! script failed, and accepts consensus flags only. [`ConsensusScriptVerifier`]
//! therefore asks our own interpreter ([`crate::interpreter`]) for Core's
//! error text when the library rejects an input, and for the policy-only
//! flags (mempool standardness) once the library accepted it.

use std::sync::atomic::{AtomicBool, Ordering};

use bitcoin::{Block, Transaction, TxOut};

use crate::error::{BlockResult, TxResult, ValidationError};
use crate::flags::*;
use crate::interpreter::{verify_script, TxChecker};

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
        let consensus_ok = match run(
            spent_output,
            tx_bytes,
            input_index,
            flags,
            all_spent_outputs,
        ) {
            Ok(()) => true,
            Err(bitcoinconsensus::Error::ERR_SCRIPT) => false,
            Err(e) => return Err(e.to_string()),
        };
        if consensus_ok && flags & !LIBBITCOINCONSENSUS_FLAGS == 0 {
            return Ok(());
        }
        let tx = bitcoin::consensus::deserialize::<Transaction>(tx_bytes).ok();
        let Some((tx, input)) = tx
            .as_ref()
            .and_then(|t| Some((t, t.input.get(input_index)?)))
        else {
            return if consensus_ok {
                Ok(())
            } else {
                Err(ERR_EVAL_FALSE.to_string())
            };
        };
        let interpret = |flags: u32| {
            let checker = TxChecker::new(
                tx,
                input_index,
                spent_output.value.to_sat(),
                all_spent_outputs,
            );
            verify_script(
                input.script_sig.as_bytes(),
                spent_output.script_pubkey.as_bytes(),
                &input.witness,
                flags,
                &checker,
            )
        };
        if !consensus_ok {
            // The library decides; the interpreter names the error.
            return Err(match interpret(flags) {
                Err(e) => e.text().to_string(),
                Ok(()) => interpret(flags & LIBBITCOINCONSENSUS_FLAGS)
                    .err()
                    .map_or(ERR_EVAL_FALSE, |e| e.text())
                    .to_string(),
            });
        }
        match interpret(flags) {
            // A policy failure counts only where the interpreter agrees with
            // the library on consensus, so an interpreter fault can never
            // turn a valid transaction away.
            Err(e) if interpret(flags & LIBBITCOINCONSENSUS_FLAGS).is_ok() => {
                Err(e.text().to_string())
            }
            Err(e) => {
                tracing::warn!(
                    "script interpreter disagrees with libbitcoinconsensus on input {input_index} of {}: {e}",
                    tx.compute_txid()
                );
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }
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
                            common::strencodings::try_parse_hex(it.next().copied().unwrap_or(""))
                                .unwrap(),
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
        // Empty witnesses: P2WSH needs its script, P2WPKH exactly two items.
        let mut p2wsh = vec![0x00, 32];
        p2wsh.extend([1u8; 32]);
        assert_eq!(
            failure(p2wsh),
            "Witness program was passed an empty witness"
        );
        let mut p2wpkh = vec![0x00, 20];
        p2wpkh.extend([1u8; 20]);
        assert_eq!(failure(p2wpkh), "Witness program hash mismatch");
        // Policy-only flags are enforced once consensus passed.
        let policy = |script: Vec<u8>| {
            let spk = TxOut {
                value: Amount::from_sat(10),
                script_pubkey: ScriptBuf::from_bytes(script),
            };
            ConsensusScriptVerifier.verify_input(
                &spk,
                &bytes,
                0,
                STANDARD_SCRIPT_VERIFY_FLAGS,
                std::slice::from_ref(&spk),
            )
        };
        assert_eq!(
            policy(vec![0xb3, 0x51]).unwrap_err(),
            "NOPx reserved for soft-fork upgrades"
        );
        assert_eq!(
            policy(vec![0x01, 0x05, 0x75, 0x51]).unwrap_err(),
            "Data push larger than necessary"
        );
        assert_eq!(policy(vec![0x55, 0x75, 0x51]), Ok(()));
        // Pay-to-anchor is keyless and standard to spend.
        assert_eq!(policy(vec![0x51, 0x02, 0x4e, 0x73]), Ok(()));
        assert_eq!(
            policy(vec![0x52, 0x02, 0x4e, 0x73]).unwrap_err(),
            "Witness version reserved for soft-fork upgrades"
        );
        assert_eq!(
            script_reject_reason(MANDATORY_SCRIPT_VERIFY_FLAGS, "x"),
            "block-script-verify-flag-failed (x)"
        );
    }
}
