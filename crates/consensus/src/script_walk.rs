//! Finds the script error Core's interpreter stops at when a failure happens
//! before any operation that needs real evaluation.
//!
//! `bitcoinconsensus` only says *that* an input failed. Core runs the
//! `scriptSig` first and the spent `scriptPubKey` after it, stopping at the
//! first error, so errors that depend only on pushes, conditionals and a few
//! opcodes (an `OP_ENDIF` without `OP_IF`, a disabled opcode, an executed
//! `OP_RETURN`, oversized pushes, too many operations) can be found by walking
//! the scripts with a stack of pushed values. The walk gives up, saying
//! nothing, at the first opcode whose effect it does not model; whatever error
//! it reports before that point is the one Core reports.

use bitcoin::opcodes::all::*;
use bitcoin::script::Instruction;
use bitcoin::{Script, Transaction};

use crate::flags::{
    SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY, SCRIPT_VERIFY_CHECKSEQUENCEVERIFY,
    SCRIPT_VERIFY_CONST_SCRIPTCODE, SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS,
    SCRIPT_VERIFY_MINIMALDATA, SCRIPT_VERIFY_MINIMALIF, SCRIPT_VERIFY_WITNESS,
};
use crate::tx_verify::witness_program;
use bitcoin::hashes::{sha256, Hash};

/// Core's `MAX_SCRIPT_SIZE`.
const MAX_SCRIPT_SIZE: usize = 10_000;
/// Core's `MAX_SCRIPT_ELEMENT_SIZE`.
const MAX_ELEMENT_SIZE: usize = 520;
/// Core's `MAX_OPS_PER_SCRIPT`.
const MAX_OPS: usize = 201;
/// Core's `MAX_STACK_SIZE`.
const MAX_STACK: usize = 1000;

/// Opcodes Core refuses anywhere in a script, executed or not (CVE-2010-5137).
const DISABLED: [u8; 15] = [
    0x7e, 0x7f, 0x80, 0x81, // CAT SUBSTR LEFT RIGHT
    0x83, 0x84, 0x85, 0x86, // INVERT AND OR XOR
    0x8d, 0x8e, 0x95, 0x96, 0x97, 0x98, 0x99, // 2MUL 2DIV MUL DIV MOD LSHIFT RSHIFT
];

/// Core's error texts for what the walk can detect.
const UNBALANCED: &str = "Invalid OP_IF construction";
const OP_RETURN_HIT: &str = "OP_RETURN was encountered";
const DISABLED_OPCODE: &str = "Attempted to use a disabled opcode";
const BAD_OPCODE: &str = "Opcode missing or not understood";
const PUSH_SIZE: &str = "Push value size limit exceeded";
const OP_COUNT: &str = "Operation limit exceeded";
const STACK_SIZE: &str = "Stack size limit exceeded";
const SCRIPT_SIZE: &str = "Script is too big";
const CODESEPARATOR: &str = "Using OP_CODESEPARATOR in non-witness script";
const STACK_OPERATION: &str = "Operation not valid with the current stack size";
const NEGATIVE_LOCKTIME: &str = "Negative locktime";
const UNSATISFIED_LOCKTIME: &str = "Locktime requirement not satisfied";
const UPGRADABLE_NOP: &str = "NOPx reserved for soft-fork upgrades";
const WITNESS_MALLEATED: &str = "Witness requires empty scriptSig";
const MINIMALIF: &str = "OP_IF/NOTIF argument must be minimal";
const CLEANSTACK: &str = "Stack size must be exactly one after execution";
const EVAL_FALSE: &str = crate::script::ERR_EVAL_FALSE;

/// Core's `LOCKTIME_THRESHOLD`: lock times from here on are timestamps.
const LOCKTIME_THRESHOLD: i64 = 500_000_000;
/// BIP68 sequence bits.
const SEQUENCE_DISABLE_FLAG: i64 = 1 << 31;
const SEQUENCE_TYPE_FLAG: i64 = 1 << 22;
const SEQUENCE_MASK: i64 = 0xffff;

/// The spending input, for the lock-time opcodes, and whether the script
/// being walked is a segwit v0 witness script.
struct Spender<'a> {
    tx: &'a Transaction,
    index: usize,
    witness_v0: bool,
}

impl Spender<'_> {
    fn sequence(&self) -> i64 {
        self.tx
            .input
            .get(self.index)
            .map_or(0, |i| i64::from(i.sequence.0))
    }

    /// Core's `CheckLockTime`.
    fn lock_time_ok(&self, lock: i64) -> bool {
        let tx_lock = i64::from(self.tx.lock_time.to_consensus_u32());
        (tx_lock < LOCKTIME_THRESHOLD) == (lock < LOCKTIME_THRESHOLD)
            && lock <= tx_lock
            && self.sequence() != 0xffff_ffff
    }

    /// Core's `CheckSequence`.
    fn sequence_ok(&self, wanted: i64) -> bool {
        let own = self.sequence();
        if self.tx.version.0 < 2 || own & SEQUENCE_DISABLE_FLAG != 0 {
            return false;
        }
        let mask = SEQUENCE_TYPE_FLAG | SEQUENCE_MASK;
        let (own, wanted) = (own & mask, wanted & mask);
        (own < SEQUENCE_TYPE_FLAG) == (wanted < SEQUENCE_TYPE_FLAG) && wanted <= own
    }
}

/// Core's `CScriptNum` of at most `max_len` bytes; `None` where Core would
/// throw (too long, or not minimal when `minimal` is asked for).
fn script_num(v: &[u8], minimal: bool, max_len: usize) -> Option<i64> {
    if v.len() > max_len {
        return None;
    }
    let Some(&last) = v.last() else {
        return Some(0);
    };
    if minimal && last & 0x7f == 0 && (v.len() <= 1 || v[v.len() - 2] & 0x80 == 0) {
        return None;
    }
    let mut n: i64 = 0;
    for (i, b) in v.iter().enumerate() {
        n |= i64::from(*b) << (8 * i);
    }
    if last & 0x80 != 0 {
        Some(-(n & !(0x80i64 << (8 * (v.len() - 1)))))
    } else {
        Some(n)
    }
}

/// What walking one script found.
enum Walk {
    /// The script ran to its end; the stack is ready for the next script.
    Done,
    /// Core fails here with this error.
    Error(&'static str),
    /// An operation the walk does not model was reached.
    Unknown,
}

/// Core's `CastToBool`: false for empty, all-zero, or negative zero.
fn cast_to_bool(v: &[u8]) -> bool {
    v.iter()
        .enumerate()
        .any(|(i, b)| *b != 0 && !(i == v.len() - 1 && *b == 0x80))
}

/// What a lock-time opcode does to the walk: `Ok(())` to go on.
fn lock_time_op(
    op: bitcoin::opcodes::Opcode,
    stack: &[Vec<u8>],
    flags: u32,
    spender: &Spender,
) -> Result<(), Walk> {
    let (flag, is_cltv) = if op == OP_CLTV {
        (SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY, true)
    } else {
        (SCRIPT_VERIFY_CHECKSEQUENCEVERIFY, false)
    };
    if flags & flag == 0 {
        return upgradable_nop(flags);
    }
    let Some(top) = stack.last() else {
        return Err(Walk::Error(STACK_OPERATION));
    };
    let Some(n) = script_num(top, flags & SCRIPT_VERIFY_MINIMALDATA != 0, 5) else {
        return Err(Walk::Unknown);
    };
    if n < 0 {
        return Err(Walk::Error(NEGATIVE_LOCKTIME));
    }
    let satisfied = if is_cltv {
        spender.lock_time_ok(n)
    } else {
        n & SEQUENCE_DISABLE_FLAG != 0 || spender.sequence_ok(n)
    };
    if satisfied {
        Ok(())
    } else {
        Err(Walk::Error(UNSATISFIED_LOCKTIME))
    }
}

/// A NOP kept for upgrades: refused only under the policy flag.
fn upgradable_nop(flags: u32) -> Result<(), Walk> {
    if flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS != 0 {
        Err(Walk::Error(UPGRADABLE_NOP))
    } else {
        Ok(())
    }
}

fn walk(script: &Script, stack: &mut Vec<Vec<u8>>, flags: u32, spender: &Spender) -> Walk {
    if script.len() > MAX_SCRIPT_SIZE {
        return Walk::Error(SCRIPT_SIZE);
    }
    let mut exec: Vec<bool> = Vec::new();
    let mut ops = 0usize;
    for ins in script.instructions() {
        let Ok(ins) = ins else {
            return Walk::Error(BAD_OPCODE);
        };
        let executing = exec.iter().all(|e| *e);
        match ins {
            Instruction::PushBytes(data) => {
                if data.len() > MAX_ELEMENT_SIZE {
                    return Walk::Error(PUSH_SIZE);
                }
                if executing {
                    stack.push(data.as_bytes().to_vec());
                }
            }
            Instruction::Op(op) => {
                let code = op.to_u8();
                if code > OP_PUSHNUM_16.to_u8() {
                    ops += 1;
                    if ops > MAX_OPS {
                        return Walk::Error(OP_COUNT);
                    }
                }
                if DISABLED.contains(&code) {
                    return Walk::Error(DISABLED_OPCODE);
                }
                if op == OP_CODESEPARATOR && flags & SCRIPT_VERIFY_CONST_SCRIPTCODE != 0 {
                    return Walk::Error(CODESEPARATOR);
                }
                let conditional = (OP_IF.to_u8()..=OP_ENDIF.to_u8()).contains(&code);
                if !executing && !conditional {
                    continue;
                }
                match op {
                    OP_IF | OP_NOTIF => {
                        let mut value = false;
                        if executing {
                            let Some(top) = stack.pop() else {
                                return Walk::Error(UNBALANCED);
                            };
                            let minimal = top.is_empty() || top == [1];
                            if spender.witness_v0
                                && flags & SCRIPT_VERIFY_MINIMALIF != 0
                                && !minimal
                            {
                                return Walk::Error(MINIMALIF);
                            }
                            value = cast_to_bool(&top) == (op == OP_IF);
                        }
                        exec.push(value);
                    }
                    OP_ELSE => match exec.last_mut() {
                        Some(top) => *top = !*top,
                        None => return Walk::Error(UNBALANCED),
                    },
                    OP_ENDIF => {
                        if exec.pop().is_none() {
                            return Walk::Error(UNBALANCED);
                        }
                    }
                    OP_VERIF | OP_VERNOTIF => return Walk::Error(BAD_OPCODE),
                    OP_RETURN => return Walk::Error(OP_RETURN_HIT),
                    OP_NOP | OP_CODESEPARATOR => {}
                    OP_CLTV | OP_CSV => {
                        if let Err(w) = lock_time_op(op, stack, flags, spender) {
                            return w;
                        }
                    }
                    OP_NOP1 | OP_NOP4 | OP_NOP5 | OP_NOP6 | OP_NOP7 | OP_NOP8 | OP_NOP9
                    | OP_NOP10 => {
                        if let Err(w) = upgradable_nop(flags) {
                            return w;
                        }
                    }
                    OP_DROP => {
                        if stack.pop().is_none() {
                            return Walk::Error(STACK_OPERATION);
                        }
                    }
                    OP_PUSHNUM_NEG1 => stack.push(vec![0x81]),
                    _ if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&code) => {
                        stack.push(vec![code - OP_PUSHNUM_1.to_u8() + 1]);
                    }
                    _ => return Walk::Unknown,
                }
            }
        }
        if stack.len() > MAX_STACK {
            return Walk::Error(STACK_SIZE);
        }
    }
    if exec.is_empty() {
        Walk::Done
    } else {
        Walk::Error(UNBALANCED)
    }
}

/// The error Core reports for input `index` of `tx` spending
/// `script_pubkey` when it fails before any operation needing real
/// evaluation, if any.
pub fn early_error(
    tx: &Transaction,
    index: usize,
    script_pubkey: &Script,
    flags: u32,
) -> Option<&'static str> {
    let input = tx.input.get(index)?;
    let mut spender = Spender {
        tx,
        index,
        witness_v0: false,
    };
    let mut stack = Vec::new();
    for script in [input.script_sig.as_script(), script_pubkey] {
        match walk(script, &mut stack, flags, &spender) {
            Walk::Done => {}
            Walk::Error(e) => return Some(e),
            Walk::Unknown => return None,
        }
    }
    if !stack.last().is_some_and(|t| cast_to_bool(t)) {
        return Some(EVAL_FALSE);
    }
    let program = witness_program(script_pubkey.as_bytes())?;
    if flags & SCRIPT_VERIFY_WITNESS != 0 && !input.script_sig.is_empty() {
        return Some(WITNESS_MALLEATED);
    }
    // A P2WSH spend whose script matches its hash runs that script on the
    // other witness items and must leave exactly one true item.
    let (script, items) = input
        .witness
        .to_vec()
        .split_last()
        .map(|(s, i)| (s.clone(), i.to_vec()))?;
    if flags & SCRIPT_VERIFY_WITNESS == 0
        || program.0 != 0
        || program.1.len() != 32
        || sha256::Hash::hash(&script).as_byte_array()[..] != program.1[..]
    {
        return None;
    }
    if items.iter().any(|i| i.len() > MAX_ELEMENT_SIZE) {
        return Some(PUSH_SIZE);
    }
    spender.witness_v0 = true;
    let mut stack = items;
    match walk(Script::from_bytes(&script), &mut stack, flags, &spender) {
        Walk::Done if stack.len() != 1 => Some(CLEANSTACK),
        Walk::Done if !stack.last().is_some_and(|t| cast_to_bool(t)) => Some(EVAL_FALSE),
        Walk::Done | Walk::Unknown => None,
        Walk::Error(e) => Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{absolute, transaction, OutPoint, ScriptBuf, Sequence, TxIn, Witness};

    fn tx_with(sig: &[u8], sequence: u32, lock_time: u32) -> Transaction {
        Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::from_consensus(lock_time),
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(sig.to_vec()),
                sequence: Sequence(sequence),
                witness: Witness::new(),
            }],
            output: vec![],
        }
    }

    fn err(sig: &[u8], spk: &[u8], flags: u32) -> Option<&'static str> {
        let tx = tx_with(sig, 0xffff_fffe, 0);
        early_error(&tx, 0, &ScriptBuf::from_bytes(spk.to_vec()), flags)
    }

    #[test]
    fn witness_script_must_leave_one_true_item() {
        // Witness: 1, 1, script OP_DROP OP_TRUE -> two items left.
        let script = vec![0x75, 0x51];
        let mut spk = vec![0x00, 0x20];
        spk.extend(sha256::Hash::hash(&script).to_byte_array());
        let mut tx = tx_with(&[], 0xffff_fffe, 0);
        tx.input[0].witness = Witness::from_slice(&[vec![1], vec![1], script.clone()]);
        let spk = ScriptBuf::from_bytes(spk);
        assert_eq!(
            early_error(&tx, 0, &spk, SCRIPT_VERIFY_WITNESS),
            Some(CLEANSTACK)
        );
        tx.input[0].witness = Witness::from_slice(&[vec![1], script.clone()]);
        assert_eq!(early_error(&tx, 0, &spk, SCRIPT_VERIFY_WITNESS), None);
        tx.input[0].witness = Witness::from_slice(&[vec![1], vec![], vec![0x75, 0x00]]);
        let mut other = vec![0x00, 0x20];
        other.extend(sha256::Hash::hash(&[0x75, 0x00]).to_byte_array());
        let other = ScriptBuf::from_bytes(other);
        assert_eq!(
            early_error(&tx, 0, &other, SCRIPT_VERIFY_WITNESS),
            Some(CLEANSTACK)
        );
        tx.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51]);
        assert_eq!(
            early_error(&tx, 0, &other, SCRIPT_VERIFY_WITNESS),
            Some(WITNESS_MALLEATED)
        );
    }

    #[test]
    fn lock_time_opcodes_follow_bip65_and_bip112() {
        let cltv = SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY;
        let run = |sig: &[u8], seq: u32, lock: u32| {
            early_error(
                &tx_with(sig, seq, lock),
                0,
                &ScriptBuf::from_bytes(vec![0x51]),
                cltv,
            )
        };
        assert_eq!(run(&[0xb1], 0, 0), Some(STACK_OPERATION));
        assert_eq!(run(&[0x4f, 0xb1, 0x75], 0, 0), Some(NEGATIVE_LOCKTIME));
        // 100 against a timestamp lock time, a lower height, a final input.
        assert_eq!(
            run(&[0x01, 100, 0xb1, 0x75], 0, 1_296_688_602),
            Some(UNSATISFIED_LOCKTIME)
        );
        assert_eq!(
            run(&[0x01, 100, 0xb1, 0x75], 0, 50),
            Some(UNSATISFIED_LOCKTIME)
        );
        assert_eq!(
            run(&[0x01, 50, 0xb1, 0x75], 0xffff_ffff, 50),
            Some(UNSATISFIED_LOCKTIME)
        );
        assert_eq!(run(&[0x01, 50, 0xb1, 0x75], 0, 50), None);
        // Without the flag the opcode is a NOP.
        let tx = tx_with(&[0xb1], 0, 0);
        assert_eq!(
            early_error(&tx, 0, &ScriptBuf::from_bytes(vec![0x51]), 0),
            None
        );
        let csv = SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
        let tx = tx_with(&[0x01, 10, 0xb2, 0x75], 5, 0);
        assert_eq!(
            early_error(&tx, 0, &ScriptBuf::from_bytes(vec![0x51]), csv),
            Some(UNSATISFIED_LOCKTIME)
        );
    }

    #[test]
    fn stray_endif_is_unbalanced() {
        assert_eq!(err(&[0x68; 35], &[0x51], 0), Some(UNBALANCED));
        assert_eq!(err(&[0x51, 0x63], &[0x51], 0), Some(UNBALANCED));
    }

    #[test]
    fn disabled_opcode_fails_even_unexecuted() {
        assert_eq!(err(&[0x7e], &[0x51], 0), Some(DISABLED_OPCODE));
        assert_eq!(
            err(&[0x00, 0x63, 0x95, 0x68], &[0x51], 0),
            Some(DISABLED_OPCODE)
        );
    }

    #[test]
    fn executed_return_and_codeseparator() {
        let sig = [0x00, 0x00, 0x00, 0xab, 0x6a];
        assert_eq!(err(&sig, &[0x51], 0), Some(OP_RETURN_HIT));
        assert_eq!(
            err(&sig, &[0x51], SCRIPT_VERIFY_CONST_SCRIPTCODE),
            Some(CODESEPARATOR)
        );
        // An OP_RETURN in a branch not taken is harmless.
        assert_eq!(err(&[0x00, 0x63, 0x6a, 0x68], &[0x51], 0), None);
    }

    #[test]
    fn stops_at_unmodelled_operations() {
        // OP_CHECKSIG needs real evaluation; the later OP_RETURN is not reached.
        assert_eq!(err(&[0x51, 0xac, 0x6a], &[0x51], 0), None);
        assert_eq!(err(&[0x51], &[0x6a], 0), Some(OP_RETURN_HIT));
        // Fully walked: the result must be true.
        assert_eq!(err(&[0x51], &[0x00], 0), Some(EVAL_FALSE));
        assert_eq!(err(&[0x51], &[0x51], 0), None);
    }
}
