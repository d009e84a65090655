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
use bitcoin::Script;

use crate::flags::SCRIPT_VERIFY_CONST_SCRIPTCODE;

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
const SCRIPT_SIZE: &str = "Script is too large";
const CODESEPARATOR: &str = "Using OP_CODESEPARATOR in non-witness script";

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

fn walk(script: &Script, stack: &mut Vec<Vec<u8>>, flags: u32) -> Walk {
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

/// The error Core reports for an input whose `script_sig` and spent
/// `script_pubkey` fail before any operation needing real evaluation, if any.
pub fn early_error(
    script_sig: &Script,
    script_pubkey: &Script,
    flags: u32,
) -> Option<&'static str> {
    let mut stack = Vec::new();
    for script in [script_sig, script_pubkey] {
        match walk(script, &mut stack, flags) {
            Walk::Done => {}
            Walk::Error(e) => return Some(e),
            Walk::Unknown => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    fn err(sig: &[u8], spk: &[u8], flags: u32) -> Option<&'static str> {
        early_error(
            &ScriptBuf::from_bytes(sig.to_vec()),
            &ScriptBuf::from_bytes(spk.to_vec()),
            flags,
        )
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
    }
}
