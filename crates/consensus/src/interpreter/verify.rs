//! Core's `VerifyScript` and `VerifyWitnessProgram`: scriptSig, then
//! scriptPubKey, then P2SH redeem scripts and witness programs (v0, and
//! taproot key and script paths).

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::key::XOnlyPublicKey;
use bitcoin::secp256k1::Parity;
use bitcoin::taproot::{TapLeafHash, TapNodeHash, TapTweakHash};
use bitcoin::Witness;

use super::checker::{ExecData, SigVersion, TxChecker};
use super::error::ScriptError;
use super::eval::{Eval, Stack, MAX_ELEMENT_SIZE, MAX_STACK_SIZE};
use super::num::cast_to_bool;
use super::script::op::*;
use super::script::{is_op_success, is_p2sh, is_push_only, push_script, read_op};
use crate::flags::*;
use crate::tx_verify::witness_program;

type R<T> = Result<T, ScriptError>;

/// BIP341 annex marker.
const ANNEX_TAG: u8 = 0x50;
/// Leaf version of BIP342 tapscript.
const TAPSCRIPT_LEAF: u8 = 0xc0;
/// Control block sizes: the internal key plus up to 128 path hashes.
const CONTROL_BASE: usize = 33;
const CONTROL_NODE: usize = 32;
const CONTROL_MAX_NODES: usize = 128;
/// BIP342 budget granted on top of the witness size.
const VALIDATION_WEIGHT_OFFSET: i64 = 50;

fn run(
    stack: &mut Stack,
    script: &[u8],
    flags: u32,
    checker: &TxChecker,
    version: SigVersion,
    exec: &mut ExecData,
) -> R<()> {
    Eval {
        flags,
        checker,
        version,
        exec,
    }
    .run(stack, script)
}

/// The stack `script_sig` leaves when run without any flag: how policy
/// finds a P2SH redeem script before full verification.
pub fn script_sig_stack(script_sig: &[u8], checker: &TxChecker) -> R<Stack> {
    let mut stack = Vec::new();
    run(
        &mut stack,
        script_sig,
        0,
        checker,
        SigVersion::Base,
        &mut ExecData::default(),
    )?;
    Ok(stack)
}

/// Verifies input `checker`'s scripts under `flags` (Core's `VerifyScript`).
pub fn verify_script(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &Witness,
    flags: u32,
    checker: &TxChecker,
) -> R<()> {
    if flags & SCRIPT_VERIFY_SIGPUSHONLY != 0 && !is_push_only(script_sig) {
        return Err(ScriptError::SigPushOnly);
    }
    let mut exec = ExecData::default();
    let mut stack: Stack = Vec::new();
    run(
        &mut stack,
        script_sig,
        flags,
        checker,
        SigVersion::Base,
        &mut exec,
    )?;
    let stack_copy = (flags & SCRIPT_VERIFY_P2SH != 0).then(|| stack.clone());
    run(
        &mut stack,
        script_pubkey,
        flags,
        checker,
        SigVersion::Base,
        &mut exec,
    )?;
    if !stack.last().is_some_and(|v| cast_to_bool(v)) {
        return Err(ScriptError::EvalFalse);
    }
    let mut had_witness = false;
    if flags & SCRIPT_VERIFY_WITNESS != 0 {
        if let Some((version, program)) = witness_program(script_pubkey) {
            had_witness = true;
            if !script_sig.is_empty() {
                return Err(ScriptError::WitnessMalleated);
            }
            verify_witness_program(witness, version, program, flags, checker, false)?;
            // Only what CLEANSTACK looks at matters from here on.
            stack.truncate(1);
        }
    }
    if let (Some(copy), true) = (stack_copy, is_p2sh(script_pubkey)) {
        if !is_push_only(script_sig) {
            return Err(ScriptError::SigPushOnly);
        }
        stack = copy;
        let redeem = stack.pop().ok_or(ScriptError::InvalidStackOperation)?;
        run(
            &mut stack,
            &redeem,
            flags,
            checker,
            SigVersion::Base,
            &mut exec,
        )?;
        if !stack.last().is_some_and(|v| cast_to_bool(v)) {
            return Err(ScriptError::EvalFalse);
        }
        if flags & SCRIPT_VERIFY_WITNESS != 0 {
            if let Some((version, program)) = witness_program(&redeem) {
                had_witness = true;
                if script_sig != push_script(&redeem).as_slice() {
                    return Err(ScriptError::WitnessMalleatedP2sh);
                }
                verify_witness_program(witness, version, program, flags, checker, true)?;
                stack.truncate(1);
            }
        }
    }
    if flags & SCRIPT_VERIFY_CLEANSTACK != 0 && stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if flags & SCRIPT_VERIFY_WITNESS != 0 && !had_witness && !witness.is_empty() {
        return Err(ScriptError::WitnessUnexpected);
    }
    Ok(())
}

fn verify_witness_program(
    witness: &Witness,
    version: u8,
    program: &[u8],
    flags: u32,
    checker: &TxChecker,
    is_p2sh: bool,
) -> R<()> {
    let mut stack: Stack = witness.iter().map(|w| w.to_vec()).collect();
    let mut exec = ExecData::default();
    if version == 0 {
        return match program.len() {
            32 => {
                let script = stack.pop().ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
                if sha256::Hash::hash(&script).to_byte_array()[..] != *program {
                    return Err(ScriptError::WitnessProgramMismatch);
                }
                execute_witness_script(
                    stack,
                    &script,
                    flags,
                    SigVersion::WitnessV0,
                    checker,
                    &mut exec,
                )
            }
            20 => {
                if stack.len() != 2 {
                    return Err(ScriptError::WitnessProgramMismatch);
                }
                let mut script = vec![OP_DUP, OP_HASH160, 20];
                script.extend_from_slice(program);
                script.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
                execute_witness_script(
                    stack,
                    &script,
                    flags,
                    SigVersion::WitnessV0,
                    checker,
                    &mut exec,
                )
            }
            _ => Err(ScriptError::WitnessProgramWrongLength),
        };
    }
    if version == 1 && program.len() == 32 && !is_p2sh {
        if flags & SCRIPT_VERIFY_TAPROOT == 0 {
            return Ok(());
        }
        if stack.is_empty() {
            return Err(ScriptError::WitnessProgramWitnessEmpty);
        }
        if stack.len() >= 2 && stack.last().and_then(|a| a.first()) == Some(&ANNEX_TAG) {
            exec.annex = stack.pop();
        }
        if stack.len() == 1 {
            return checker.check_schnorr(&stack[0], program, SigVersion::Taproot, &exec);
        }
        let control = stack.pop().ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
        let script = stack.pop().ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
        if control.len() < CONTROL_BASE
            || control.len() > CONTROL_BASE + CONTROL_NODE * CONTROL_MAX_NODES
            || !(control.len() - CONTROL_BASE).is_multiple_of(CONTROL_NODE)
        {
            return Err(ScriptError::TaprootWrongControlSize);
        }
        let leaf_version = control[0] & 0xfe;
        let leaf = tapleaf_hash(leaf_version, &script);
        if !taproot_commitment_ok(&control, program, leaf) {
            return Err(ScriptError::WitnessProgramMismatch);
        }
        if leaf_version == TAPSCRIPT_LEAF {
            exec.tapleaf_hash = Some(leaf);
            exec.codeseparator_pos = u32::MAX;
            exec.validation_weight_left =
                bitcoin::consensus::serialize(witness).len() as i64 + VALIDATION_WEIGHT_OFFSET;
            return execute_witness_script(
                stack,
                &script,
                flags,
                SigVersion::Tapscript,
                checker,
                &mut exec,
            );
        }
        if flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION != 0 {
            return Err(ScriptError::DiscourageUpgradableTaprootVersion);
        }
        return Ok(());
    }
    // Pay-to-anchor (`OP_1 <0x4e73>`) is spendable by anyone, by design.
    let pay_to_anchor = !is_p2sh && version == 1 && program == [0x4e, 0x73];
    if !pay_to_anchor && flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM != 0 {
        return Err(ScriptError::DiscourageUpgradableWitnessProgram);
    }
    Ok(())
}

fn execute_witness_script(
    mut stack: Stack,
    script: &[u8],
    flags: u32,
    version: SigVersion,
    checker: &TxChecker,
    exec: &mut ExecData,
) -> R<()> {
    if version == SigVersion::Tapscript {
        let mut pos = 0;
        while pos < script.len() {
            let o = read_op(script, pos).ok_or(ScriptError::BadOpcode)?;
            if is_op_success(o.opcode) {
                if flags & SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS != 0 {
                    return Err(ScriptError::DiscourageOpSuccess);
                }
                return Ok(());
            }
            pos = o.next;
        }
        if stack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
    }
    if stack.iter().any(|e| e.len() > MAX_ELEMENT_SIZE) {
        return Err(ScriptError::PushSize);
    }
    run(&mut stack, script, flags, checker, version, exec)?;
    if stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if !cast_to_bool(&stack[0]) {
        return Err(ScriptError::EvalFalse);
    }
    Ok(())
}

fn tapleaf_hash(leaf_version: u8, script: &[u8]) -> TapLeafHash {
    let mut e = TapLeafHash::engine();
    e.input(&[leaf_version]);
    let _ = bitcoin::consensus::Encodable::consensus_encode(
        &bitcoin::VarInt(script.len() as u64),
        &mut e,
    );
    e.input(script);
    TapLeafHash::from_engine(e)
}

/// Whether `control` proves that `leaf` is committed to by output key `program`.
fn taproot_commitment_ok(control: &[u8], program: &[u8], leaf: TapLeafHash) -> bool {
    let Ok(internal) = XOnlyPublicKey::from_slice(&control[1..CONTROL_BASE]) else {
        return false;
    };
    let mut node = TapNodeHash::from(leaf);
    for chunk in control[CONTROL_BASE..].chunks(CONTROL_NODE) {
        let Ok(sibling) = <[u8; 32]>::try_from(chunk) else {
            return false;
        };
        node = TapNodeHash::from_node_hashes(node, TapNodeHash::from_byte_array(sibling));
    }
    let tweak = TapTweakHash::from_key_and_tweak(internal, Some(node)).to_scalar();
    match internal.add_tweak(super::checker::secp(), &tweak) {
        Ok((key, parity)) => {
            let want = if control[0] & 1 == 1 {
                Parity::Odd
            } else {
                Parity::Even
            };
            key.serialize()[..] == *program && parity == want
        }
        Err(_) => false,
    }
}
