//! Core's `EvalScript`: runs one script on a stack under a signature
//! version and verification flags, failing with Core's error.

use bitcoin::hashes::{hash160, ripemd160, sha1, sha256, sha256d, Hash};

use super::checker::{ExecData, SigVersion, TxChecker};
use super::error::ScriptError;
use super::num::{cast_to_bool, decode, encode};
use super::script::op::*;
use super::script::{find_and_delete, is_minimal_push, push_script, read_op};
use crate::flags::*;

/// Largest element a script may push.
pub const MAX_ELEMENT_SIZE: usize = 520;
/// Non-push opcodes allowed per (pre-tapscript) script.
const MAX_OPS: usize = 201;
/// Largest pre-tapscript script.
const MAX_SCRIPT_SIZE: usize = 10_000;
/// Stack plus altstack limit.
pub const MAX_STACK_SIZE: usize = 1000;
/// Keys a CHECKMULTISIG may name.
const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;
/// Tapscript budget cost of one signature check.
const VALIDATION_WEIGHT_PER_SIGOP: i64 = 50;

/// A script's main stack.
pub type Stack = Vec<Vec<u8>>;

type R<T> = Result<T, ScriptError>;

fn top(stack: &Stack, depth: usize) -> R<&Vec<u8>> {
    stack
        .len()
        .checked_sub(depth)
        .and_then(|i| stack.get(i))
        .ok_or(ScriptError::InvalidStackOperation)
}

fn need(stack: &Stack, n: usize) -> R<()> {
    if stack.len() < n {
        Err(ScriptError::InvalidStackOperation)
    } else {
        Ok(())
    }
}

fn pop(stack: &mut Stack) -> R<Vec<u8>> {
    stack.pop().ok_or(ScriptError::InvalidStackOperation)
}

fn bool_vec(b: bool) -> Vec<u8> {
    if b {
        vec![1]
    } else {
        Vec::new()
    }
}

fn is_compressed_or_uncompressed(key: &[u8]) -> bool {
    match key.first() {
        Some(4) => key.len() == 65,
        Some(2) | Some(3) => key.len() == 33,
        _ => false,
    }
}

/// BIP66 strict DER, with the trailing hash type byte.
pub fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    let n = sig.len();
    if !(9..=73).contains(&n) || sig[0] != 0x30 || sig[1] as usize != n - 3 {
        return false;
    }
    let len_r = sig[3] as usize;
    if 5 + len_r >= n {
        return false;
    }
    let len_s = sig[5 + len_r] as usize;
    if len_r + len_s + 7 != n || sig[2] != 0x02 || len_r == 0 || sig[4] & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && sig[4] == 0 && sig[5] & 0x80 == 0 {
        return false;
    }
    if sig[len_r + 4] != 0x02 || len_s == 0 || sig[len_r + 6] & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && sig[len_r + 6] == 0 && sig[len_r + 7] & 0x80 == 0)
}

fn is_low_s(sig: &[u8]) -> bool {
    match bitcoin::secp256k1::ecdsa::Signature::from_der_lax(&sig[..sig.len() - 1]) {
        Ok(s) => {
            let mut normal = s;
            normal.normalize_s();
            normal == s
        }
        Err(_) => false,
    }
}

/// Core's `CheckSignatureEncoding`.
fn check_signature_encoding(sig: &[u8], flags: u32) -> R<()> {
    if sig.is_empty() {
        return Ok(());
    }
    if flags & (SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_LOW_S | SCRIPT_VERIFY_STRICTENC) != 0
        && !is_valid_signature_encoding(sig)
    {
        return Err(ScriptError::SigDer);
    }
    if flags & SCRIPT_VERIFY_LOW_S != 0 && !is_low_s(sig) {
        return Err(ScriptError::SigHighS);
    }
    if flags & SCRIPT_VERIFY_STRICTENC != 0 {
        let base = sig[sig.len() - 1] & !0x80;
        if !(1..=3).contains(&base) {
            return Err(ScriptError::SigHashtype);
        }
    }
    Ok(())
}

/// Core's `CheckPubKeyEncoding`.
fn check_pubkey_encoding(key: &[u8], flags: u32, version: SigVersion) -> R<()> {
    if flags & SCRIPT_VERIFY_STRICTENC != 0 && !is_compressed_or_uncompressed(key) {
        return Err(ScriptError::PubkeyType);
    }
    if flags & SCRIPT_VERIFY_WITNESS_PUBKEYTYPE != 0
        && version == SigVersion::WitnessV0
        && !(key.len() == 33 && (key[0] == 2 || key[0] == 3))
    {
        return Err(ScriptError::WitnessPubkeyType);
    }
    Ok(())
}

/// The script interpreter's view of one run.
pub struct Eval<'c, 'a> {
    /// Verification flags (`SCRIPT_VERIFY_*`).
    pub flags: u32,
    /// The spending transaction.
    pub checker: &'c TxChecker<'a>,
    /// Rules to run under.
    pub version: SigVersion,
    /// Taproot state (annex, leaf, codeseparator, budget).
    pub exec: &'c mut ExecData,
}

impl Eval<'_, '_> {
    /// One signature check of OP_CHECKSIG(VERIFY)/OP_CHECKSIGADD; `Ok(false)`
    /// is a failed check the script may still handle.
    fn checksig(&mut self, sig: &[u8], key: &[u8], code: &[u8]) -> R<bool> {
        match self.version {
            SigVersion::Base | SigVersion::WitnessV0 => {
                let mut code = code.to_vec();
                if self.version == SigVersion::Base {
                    let found = find_and_delete(&mut code, &push_script(sig));
                    if found > 0 && self.flags & SCRIPT_VERIFY_CONST_SCRIPTCODE != 0 {
                        return Err(ScriptError::SigFindAndDelete);
                    }
                }
                check_signature_encoding(sig, self.flags)?;
                check_pubkey_encoding(key, self.flags, self.version)?;
                let ok = self.checker.check_ecdsa(sig, key, &code, self.version);
                if !ok && self.flags & SCRIPT_VERIFY_NULLFAIL != 0 && !sig.is_empty() {
                    return Err(ScriptError::SigNullFail);
                }
                Ok(ok)
            }
            SigVersion::Tapscript | SigVersion::Taproot => {
                let success = !sig.is_empty();
                if success {
                    self.exec.validation_weight_left -= VALIDATION_WEIGHT_PER_SIGOP;
                    if self.exec.validation_weight_left < 0 {
                        return Err(ScriptError::TapscriptValidationWeight);
                    }
                }
                if key.is_empty() {
                    return Err(ScriptError::TapscriptEmptyPubkey);
                }
                if key.len() == 32 {
                    if success {
                        self.checker
                            .check_schnorr(sig, key, SigVersion::Tapscript, self.exec)?;
                    }
                } else if self.flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE != 0 {
                    return Err(ScriptError::DiscourageUpgradablePubkeyType);
                }
                Ok(success)
            }
        }
    }

    /// Runs `script` on `stack`.
    pub fn run(&mut self, stack: &mut Stack, script: &[u8]) -> R<()> {
        let pre_tapscript = matches!(self.version, SigVersion::Base | SigVersion::WitnessV0);
        if pre_tapscript && script.len() > MAX_SCRIPT_SIZE {
            return Err(ScriptError::ScriptSize);
        }
        let minimal = self.flags & SCRIPT_VERIFY_MINIMALDATA != 0;
        let mut alt: Stack = Vec::new();
        let mut exec_stack: Vec<bool> = Vec::new();
        let mut op_count = 0usize;
        let mut code_start = 0usize;
        let mut pos = 0usize;
        let mut opcode_pos: u32 = 0;
        while pos < script.len() {
            let executing = !exec_stack.contains(&false);
            let o = read_op(script, pos).ok_or(ScriptError::BadOpcode)?;
            let (opcode, data) = (o.opcode, o.data);
            pos = o.next;
            if data.len() > MAX_ELEMENT_SIZE {
                return Err(ScriptError::PushSize);
            }
            if pre_tapscript && opcode > OP_16 {
                op_count += 1;
                if op_count > MAX_OPS {
                    return Err(ScriptError::OpCount);
                }
            }
            if matches!(
                opcode,
                OP_CAT
                    | OP_SUBSTR
                    | OP_LEFT
                    | OP_RIGHT
                    | OP_INVERT
                    | OP_AND
                    | OP_OR
                    | OP_XOR
                    | OP_2MUL
                    | OP_2DIV
                    | OP_MUL
                    | OP_DIV
                    | OP_MOD
                    | OP_LSHIFT
                    | OP_RSHIFT
            ) {
                return Err(ScriptError::DisabledOpcode);
            }
            if opcode == OP_CODESEPARATOR
                && self.version == SigVersion::Base
                && self.flags & SCRIPT_VERIFY_CONST_SCRIPTCODE != 0
            {
                return Err(ScriptError::OpCodeSeparator);
            }
            if executing && opcode <= OP_PUSHDATA4 {
                if minimal && !is_minimal_push(data, opcode) {
                    return Err(ScriptError::MinimalData);
                }
                stack.push(data.to_vec());
            } else if executing || (OP_IF..=OP_ENDIF).contains(&opcode) {
                self.step(
                    opcode,
                    executing,
                    stack,
                    &mut alt,
                    &mut exec_stack,
                    &mut op_count,
                    (script, code_start),
                )?;
                if opcode == OP_CODESEPARATOR {
                    code_start = pos;
                    self.exec.codeseparator_pos = opcode_pos;
                }
            }
            if stack.len() + alt.len() > MAX_STACK_SIZE {
                return Err(ScriptError::StackSize);
            }
            opcode_pos += 1;
        }
        if !exec_stack.is_empty() {
            return Err(ScriptError::UnbalancedConditional);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        opcode: u8,
        executing: bool,
        stack: &mut Stack,
        alt: &mut Stack,
        exec_stack: &mut Vec<bool>,
        op_count: &mut usize,
        (script, code_start): (&[u8], usize),
    ) -> R<()> {
        let minimal = self.flags & SCRIPT_VERIFY_MINIMALDATA != 0;
        let num = |v: &[u8]| decode(v, minimal, 4);
        match opcode {
            OP_1NEGATE | OP_1..=OP_16 => {
                stack.push(encode(opcode as i64 - (OP_1 as i64 - 1)));
            }
            OP_NOP => {}
            OP_CHECKLOCKTIMEVERIFY => {
                if self.flags & SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY == 0 {
                    return Ok(());
                }
                let lock = decode(top(stack, 1)?, minimal, 5)?;
                if lock < 0 {
                    return Err(ScriptError::NegativeLocktime);
                }
                if !self.checker.check_lock_time(lock) {
                    return Err(ScriptError::UnsatisfiedLocktime);
                }
            }
            OP_CHECKSEQUENCEVERIFY => {
                if self.flags & SCRIPT_VERIFY_CHECKSEQUENCEVERIFY == 0 {
                    return Ok(());
                }
                let seq = decode(top(stack, 1)?, minimal, 5)?;
                if seq < 0 {
                    return Err(ScriptError::NegativeLocktime);
                }
                if seq & (1 << 31) != 0 {
                    return Ok(());
                }
                if !self.checker.check_sequence(seq) {
                    return Err(ScriptError::UnsatisfiedLocktime);
                }
            }
            OP_NOP1 | OP_NOP4..=OP_NOP10 => {
                if self.flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS != 0 {
                    return Err(ScriptError::DiscourageUpgradableNops);
                }
            }
            OP_IF | OP_NOTIF => {
                let mut value = false;
                if executing {
                    let v = stack.last().ok_or(ScriptError::InvalidStackOperation)?;
                    let non_minimal = v.len() > 1 || (v.len() == 1 && v[0] != 1);
                    if self.version == SigVersion::Tapscript && non_minimal {
                        return Err(ScriptError::TapscriptMinimalIf);
                    }
                    if self.version == SigVersion::WitnessV0
                        && self.flags & SCRIPT_VERIFY_MINIMALIF != 0
                        && non_minimal
                    {
                        return Err(ScriptError::MinimalIf);
                    }
                    value = cast_to_bool(v);
                    if opcode == OP_NOTIF {
                        value = !value;
                    }
                    stack.pop();
                }
                exec_stack.push(value);
            }
            OP_ELSE => {
                let last = exec_stack
                    .last_mut()
                    .ok_or(ScriptError::UnbalancedConditional)?;
                *last = !*last;
            }
            OP_ENDIF => {
                exec_stack.pop().ok_or(ScriptError::UnbalancedConditional)?;
            }
            OP_VERIFY => {
                if !cast_to_bool(top(stack, 1)?) {
                    return Err(ScriptError::Verify);
                }
                stack.pop();
            }
            OP_RETURN => return Err(ScriptError::OpReturn),
            OP_TOALTSTACK => alt.push(pop(stack)?),
            OP_FROMALTSTACK => {
                let v = alt.pop().ok_or(ScriptError::InvalidAltstackOperation)?;
                stack.push(v);
            }
            OP_2DROP => {
                need(stack, 2)?;
                stack.truncate(stack.len() - 2);
            }
            OP_2DUP => {
                need(stack, 2)?;
                let n = stack.len();
                stack.extend_from_within(n - 2..);
            }
            OP_3DUP => {
                need(stack, 3)?;
                let n = stack.len();
                stack.extend_from_within(n - 3..);
            }
            OP_2OVER => {
                need(stack, 4)?;
                let n = stack.len();
                stack.extend_from_within(n - 4..n - 2);
            }
            OP_2ROT => {
                need(stack, 6)?;
                let n = stack.len();
                let moved: Vec<Vec<u8>> = stack.drain(n - 6..n - 4).collect();
                stack.extend(moved);
            }
            OP_2SWAP => {
                need(stack, 4)?;
                let n = stack.len();
                stack.swap(n - 4, n - 2);
                stack.swap(n - 3, n - 1);
            }
            OP_IFDUP => {
                let v = top(stack, 1)?.clone();
                if cast_to_bool(&v) {
                    stack.push(v);
                }
            }
            OP_DEPTH => stack.push(encode(stack.len() as i64)),
            OP_DROP => {
                pop(stack)?;
            }
            OP_DUP => {
                let v = top(stack, 1)?.clone();
                stack.push(v);
            }
            OP_NIP => {
                need(stack, 2)?;
                let n = stack.len();
                stack.remove(n - 2);
            }
            OP_OVER => {
                let v = top(stack, 2)?.clone();
                stack.push(v);
            }
            OP_PICK | OP_ROLL => {
                need(stack, 2)?;
                let n = num(top(stack, 1)?)?;
                stack.pop();
                if n < 0 || n as usize >= stack.len() {
                    return Err(ScriptError::InvalidStackOperation);
                }
                let idx = stack.len() - 1 - n as usize;
                let v = if opcode == OP_ROLL {
                    stack.remove(idx)
                } else {
                    stack[idx].clone()
                };
                stack.push(v);
            }
            OP_ROT => {
                need(stack, 3)?;
                let n = stack.len();
                let v = stack.remove(n - 3);
                stack.push(v);
            }
            OP_SWAP => {
                need(stack, 2)?;
                let n = stack.len();
                stack.swap(n - 2, n - 1);
            }
            OP_TUCK => {
                need(stack, 2)?;
                let n = stack.len();
                let v = stack[n - 1].clone();
                stack.insert(n - 2, v);
            }
            OP_SIZE => {
                let n = top(stack, 1)?.len();
                stack.push(encode(n as i64));
            }
            OP_EQUAL | OP_EQUALVERIFY => {
                need(stack, 2)?;
                let (b, a) = (pop(stack)?, pop(stack)?);
                let equal = a == b;
                stack.push(bool_vec(equal));
                if opcode == OP_EQUALVERIFY {
                    if !equal {
                        return Err(ScriptError::EqualVerify);
                    }
                    stack.pop();
                }
            }
            OP_1ADD | OP_1SUB | OP_NEGATE | OP_ABS | OP_NOT | OP_0NOTEQUAL => {
                let n = num(top(stack, 1)?)?;
                let r = match opcode {
                    OP_1ADD => n + 1,
                    OP_1SUB => n - 1,
                    OP_NEGATE => -n,
                    OP_ABS => n.abs(),
                    OP_NOT => (n == 0) as i64,
                    _ => (n != 0) as i64,
                };
                stack.pop();
                stack.push(encode(r));
            }
            OP_ADD
            | OP_SUB
            | OP_BOOLAND
            | OP_BOOLOR
            | OP_NUMEQUAL
            | OP_NUMEQUALVERIFY
            | OP_NUMNOTEQUAL
            | OP_LESSTHAN
            | OP_GREATERTHAN
            | OP_LESSTHANOREQUAL
            | OP_GREATERTHANOREQUAL
            | OP_MIN
            | OP_MAX => {
                need(stack, 2)?;
                let a = num(top(stack, 2)?)?;
                let b = num(top(stack, 1)?)?;
                let r = match opcode {
                    OP_ADD => a + b,
                    OP_SUB => a - b,
                    OP_BOOLAND => (a != 0 && b != 0) as i64,
                    OP_BOOLOR => (a != 0 || b != 0) as i64,
                    OP_NUMEQUAL | OP_NUMEQUALVERIFY => (a == b) as i64,
                    OP_NUMNOTEQUAL => (a != b) as i64,
                    OP_LESSTHAN => (a < b) as i64,
                    OP_GREATERTHAN => (a > b) as i64,
                    OP_LESSTHANOREQUAL => (a <= b) as i64,
                    OP_GREATERTHANOREQUAL => (a >= b) as i64,
                    OP_MIN => a.min(b),
                    _ => a.max(b),
                };
                stack.truncate(stack.len() - 2);
                stack.push(encode(r));
                if opcode == OP_NUMEQUALVERIFY {
                    if !cast_to_bool(top(stack, 1)?) {
                        return Err(ScriptError::NumEqualVerify);
                    }
                    stack.pop();
                }
            }
            OP_WITHIN => {
                need(stack, 3)?;
                let x = num(top(stack, 3)?)?;
                let lo = num(top(stack, 2)?)?;
                let hi = num(top(stack, 1)?)?;
                stack.truncate(stack.len() - 3);
                stack.push(bool_vec(lo <= x && x < hi));
            }
            OP_RIPEMD160 | OP_SHA1 | OP_SHA256 | OP_HASH160 | OP_HASH256 => {
                let v = pop(stack)?;
                let h = match opcode {
                    OP_RIPEMD160 => ripemd160::Hash::hash(&v).to_byte_array().to_vec(),
                    OP_SHA1 => sha1::Hash::hash(&v).to_byte_array().to_vec(),
                    OP_SHA256 => sha256::Hash::hash(&v).to_byte_array().to_vec(),
                    OP_HASH160 => hash160::Hash::hash(&v).to_byte_array().to_vec(),
                    _ => sha256d::Hash::hash(&v).to_byte_array().to_vec(),
                };
                stack.push(h);
            }
            OP_CODESEPARATOR => {}
            OP_CHECKSIG | OP_CHECKSIGVERIFY => {
                need(stack, 2)?;
                let (sig, key) = (top(stack, 2)?.clone(), top(stack, 1)?.clone());
                let ok = self.checksig(&sig, &key, &script[code_start..])?;
                stack.truncate(stack.len() - 2);
                stack.push(bool_vec(ok));
                if opcode == OP_CHECKSIGVERIFY {
                    if !ok {
                        return Err(ScriptError::CheckSigVerify);
                    }
                    stack.pop();
                }
            }
            OP_CHECKSIGADD => {
                if matches!(self.version, SigVersion::Base | SigVersion::WitnessV0) {
                    return Err(ScriptError::BadOpcode);
                }
                need(stack, 3)?;
                let sig = top(stack, 3)?.clone();
                let n = num(top(stack, 2)?)?;
                let key = top(stack, 1)?.clone();
                let ok = self.checksig(&sig, &key, &script[code_start..])?;
                stack.truncate(stack.len() - 3);
                stack.push(encode(n + ok as i64));
            }
            OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
                if self.version == SigVersion::Tapscript {
                    return Err(ScriptError::TapscriptCheckMultisig);
                }
                self.checkmultisig(stack, op_count, &script[code_start..])?;
                if opcode == OP_CHECKMULTISIGVERIFY {
                    if !cast_to_bool(top(stack, 1)?) {
                        return Err(ScriptError::CheckMultisigVerify);
                    }
                    stack.pop();
                }
            }
            _ => return Err(ScriptError::BadOpcode),
        }
        Ok(())
    }

    /// OP_CHECKMULTISIG, leaving its boolean result on the stack.
    fn checkmultisig(&mut self, stack: &mut Stack, op_count: &mut usize, code: &[u8]) -> R<()> {
        let minimal = self.flags & SCRIPT_VERIFY_MINIMALDATA != 0;
        let mut i = 1usize;
        let mut keys = decode(top(stack, i)?, minimal, 4)?;
        if !(0..=MAX_PUBKEYS_PER_MULTISIG).contains(&keys) {
            return Err(ScriptError::PubkeyCount);
        }
        *op_count += keys as usize;
        if *op_count > MAX_OPS {
            return Err(ScriptError::OpCount);
        }
        i += 1;
        let mut ikey = i;
        // Where the NULLFAIL check on leftover signatures starts.
        let mut ikey2 = keys as usize + 2;
        i += keys as usize;
        let mut sigs = decode(top(stack, i)?, minimal, 4)?;
        if sigs < 0 || sigs > keys {
            return Err(ScriptError::SigCount);
        }
        i += 1;
        let mut isig = i;
        i += sigs as usize;
        need(stack, i)?;
        let mut code = code.to_vec();
        for k in 0..sigs as usize {
            let sig = top(stack, isig + k)?.clone();
            if self.version == SigVersion::Base {
                let found = find_and_delete(&mut code, &push_script(&sig));
                if found > 0 && self.flags & SCRIPT_VERIFY_CONST_SCRIPTCODE != 0 {
                    return Err(ScriptError::SigFindAndDelete);
                }
            }
        }
        let mut success = true;
        while success && sigs > 0 {
            let sig = top(stack, isig)?.clone();
            let key = top(stack, ikey)?.clone();
            check_signature_encoding(&sig, self.flags)?;
            check_pubkey_encoding(&key, self.flags, self.version)?;
            if self.checker.check_ecdsa(&sig, &key, &code, self.version) {
                isig += 1;
                sigs -= 1;
            }
            ikey += 1;
            keys -= 1;
            if sigs > keys {
                success = false;
            }
        }
        while i > 1 {
            i -= 1;
            if !success
                && self.flags & SCRIPT_VERIFY_NULLFAIL != 0
                && ikey2 == 0
                && !top(stack, 1)?.is_empty()
            {
                return Err(ScriptError::SigNullFail);
            }
            ikey2 = ikey2.saturating_sub(1);
            pop(stack)?;
        }
        // The extra element Satoshi's off-by-one consumes.
        let dummy = pop(stack)?;
        if self.flags & SCRIPT_VERIFY_NULLDUMMY != 0 && !dummy.is_empty() {
            return Err(ScriptError::SigNullDummy);
        }
        stack.push(bool_vec(success));
        Ok(())
    }
}
