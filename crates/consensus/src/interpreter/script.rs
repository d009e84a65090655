//! Byte-level script parsing as Core's `GetScriptOp` does it, and the
//! script rewriting signature hashing needs.

/// Opcodes the interpreter names.
pub mod op {
    #![allow(missing_docs)]
    pub const OP_0: u8 = 0x00;
    pub const OP_PUSHDATA1: u8 = 0x4c;
    pub const OP_PUSHDATA2: u8 = 0x4d;
    pub const OP_PUSHDATA4: u8 = 0x4e;
    pub const OP_1NEGATE: u8 = 0x4f;
    pub const OP_1: u8 = 0x51;
    pub const OP_16: u8 = 0x60;
    pub const OP_NOP: u8 = 0x61;
    pub const OP_IF: u8 = 0x63;
    pub const OP_NOTIF: u8 = 0x64;
    pub const OP_ELSE: u8 = 0x67;
    pub const OP_ENDIF: u8 = 0x68;
    pub const OP_VERIFY: u8 = 0x69;
    pub const OP_RETURN: u8 = 0x6a;
    pub const OP_TOALTSTACK: u8 = 0x6b;
    pub const OP_FROMALTSTACK: u8 = 0x6c;
    pub const OP_2DROP: u8 = 0x6d;
    pub const OP_2DUP: u8 = 0x6e;
    pub const OP_3DUP: u8 = 0x6f;
    pub const OP_2OVER: u8 = 0x70;
    pub const OP_2ROT: u8 = 0x71;
    pub const OP_2SWAP: u8 = 0x72;
    pub const OP_IFDUP: u8 = 0x73;
    pub const OP_DEPTH: u8 = 0x74;
    pub const OP_DROP: u8 = 0x75;
    pub const OP_DUP: u8 = 0x76;
    pub const OP_NIP: u8 = 0x77;
    pub const OP_OVER: u8 = 0x78;
    pub const OP_PICK: u8 = 0x79;
    pub const OP_ROLL: u8 = 0x7a;
    pub const OP_ROT: u8 = 0x7b;
    pub const OP_SWAP: u8 = 0x7c;
    pub const OP_TUCK: u8 = 0x7d;
    pub const OP_CAT: u8 = 0x7e;
    pub const OP_SUBSTR: u8 = 0x7f;
    pub const OP_LEFT: u8 = 0x80;
    pub const OP_RIGHT: u8 = 0x81;
    pub const OP_SIZE: u8 = 0x82;
    pub const OP_INVERT: u8 = 0x83;
    pub const OP_AND: u8 = 0x84;
    pub const OP_OR: u8 = 0x85;
    pub const OP_XOR: u8 = 0x86;
    pub const OP_EQUAL: u8 = 0x87;
    pub const OP_EQUALVERIFY: u8 = 0x88;
    pub const OP_1ADD: u8 = 0x8b;
    pub const OP_1SUB: u8 = 0x8c;
    pub const OP_2MUL: u8 = 0x8d;
    pub const OP_2DIV: u8 = 0x8e;
    pub const OP_NEGATE: u8 = 0x8f;
    pub const OP_ABS: u8 = 0x90;
    pub const OP_NOT: u8 = 0x91;
    pub const OP_0NOTEQUAL: u8 = 0x92;
    pub const OP_ADD: u8 = 0x93;
    pub const OP_SUB: u8 = 0x94;
    pub const OP_MUL: u8 = 0x95;
    pub const OP_DIV: u8 = 0x96;
    pub const OP_MOD: u8 = 0x97;
    pub const OP_LSHIFT: u8 = 0x98;
    pub const OP_RSHIFT: u8 = 0x99;
    pub const OP_BOOLAND: u8 = 0x9a;
    pub const OP_BOOLOR: u8 = 0x9b;
    pub const OP_NUMEQUAL: u8 = 0x9c;
    pub const OP_NUMEQUALVERIFY: u8 = 0x9d;
    pub const OP_NUMNOTEQUAL: u8 = 0x9e;
    pub const OP_LESSTHAN: u8 = 0x9f;
    pub const OP_GREATERTHAN: u8 = 0xa0;
    pub const OP_LESSTHANOREQUAL: u8 = 0xa1;
    pub const OP_GREATERTHANOREQUAL: u8 = 0xa2;
    pub const OP_MIN: u8 = 0xa3;
    pub const OP_MAX: u8 = 0xa4;
    pub const OP_WITHIN: u8 = 0xa5;
    pub const OP_RIPEMD160: u8 = 0xa6;
    pub const OP_SHA1: u8 = 0xa7;
    pub const OP_SHA256: u8 = 0xa8;
    pub const OP_HASH160: u8 = 0xa9;
    pub const OP_HASH256: u8 = 0xaa;
    pub const OP_CODESEPARATOR: u8 = 0xab;
    pub const OP_CHECKSIG: u8 = 0xac;
    pub const OP_CHECKSIGVERIFY: u8 = 0xad;
    pub const OP_CHECKMULTISIG: u8 = 0xae;
    pub const OP_CHECKMULTISIGVERIFY: u8 = 0xaf;
    pub const OP_NOP1: u8 = 0xb0;
    pub const OP_CHECKLOCKTIMEVERIFY: u8 = 0xb1;
    pub const OP_CHECKSEQUENCEVERIFY: u8 = 0xb2;
    pub const OP_NOP4: u8 = 0xb3;
    pub const OP_NOP10: u8 = 0xb9;
    pub const OP_CHECKSIGADD: u8 = 0xba;
}

use op::*;

/// One parsed opcode: the opcode byte, its pushed data (empty for
/// non-pushes) and the offset just past it.
pub struct ScriptOp<'a> {
    /// The opcode byte.
    pub opcode: u8,
    /// Pushed bytes.
    pub data: &'a [u8],
    /// Offset of the next opcode.
    pub next: usize,
}

/// Parses the opcode at `pos`; `None` when the script ends inside it.
pub fn read_op(script: &[u8], pos: usize) -> Option<ScriptOp<'_>> {
    let opcode = *script.get(pos)?;
    let mut p = pos + 1;
    if opcode > OP_PUSHDATA4 {
        return Some(ScriptOp {
            opcode,
            data: &[],
            next: p,
        });
    }
    let len = match opcode {
        OP_PUSHDATA1 => {
            let n = *script.get(p)? as usize;
            p += 1;
            n
        }
        OP_PUSHDATA2 => {
            let b = script.get(p..p + 2)?;
            p += 2;
            u16::from_le_bytes([b[0], b[1]]) as usize
        }
        OP_PUSHDATA4 => {
            let b = script.get(p..p + 4)?;
            p += 4;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
        }
        n => n as usize,
    };
    let data = script.get(p..p.checked_add(len)?)?;
    Some(ScriptOp {
        opcode,
        data,
        next: p + len,
    })
}

/// The script without its OP_CODESEPARATORs (Core's signature serializer
/// skips them; bytes after a parse failure are kept as they are).
pub fn strip_codeseparators(script: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(script.len());
    let mut pos = 0;
    while pos < script.len() {
        match read_op(script, pos) {
            Some(o) => {
                if o.opcode != OP_CODESEPARATOR {
                    out.extend_from_slice(&script[pos..o.next]);
                }
                pos = o.next;
            }
            None => {
                out.extend_from_slice(&script[pos..]);
                break;
            }
        }
    }
    out
}

/// The script that pushes `data` (Core's `CScript() << data`).
pub fn push_script(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 5);
    match data.len() {
        n if n < OP_PUSHDATA1 as usize => out.push(n as u8),
        n if n <= 0xff => out.extend_from_slice(&[OP_PUSHDATA1, n as u8]),
        n if n <= 0xffff => {
            out.push(OP_PUSHDATA2);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        n => {
            out.push(OP_PUSHDATA4);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(data);
    out
}

/// Core's `FindAndDelete`: removes every occurrence of `pattern` that
/// starts at an opcode boundary, returning how many were removed.
pub fn find_and_delete(script: &mut Vec<u8>, pattern: &[u8]) -> usize {
    if pattern.is_empty() {
        return 0;
    }
    let mut found = 0;
    let mut result = Vec::with_capacity(script.len());
    let (mut pc, mut kept_from) = (0usize, 0usize);
    loop {
        result.extend_from_slice(&script[kept_from..pc]);
        while script.len() - pc >= pattern.len() && script[pc..pc + pattern.len()] == *pattern {
            pc += pattern.len();
            found += 1;
        }
        kept_from = pc;
        match read_op(script, pc) {
            Some(o) => pc = o.next,
            None => break,
        }
    }
    if found > 0 {
        result.extend_from_slice(&script[kept_from..]);
        *script = result;
    }
    found
}

/// Whether the script only pushes data (Core's `IsPushOnly`).
pub fn is_push_only(script: &[u8]) -> bool {
    let mut pos = 0;
    while pos < script.len() {
        match read_op(script, pos) {
            Some(o) if o.opcode <= OP_16 => pos = o.next,
            _ => return false,
        }
    }
    true
}

/// Whether `data` was pushed with the smallest possible opcode.
pub fn is_minimal_push(data: &[u8], opcode: u8) -> bool {
    match data.len() {
        0 => opcode == OP_0,
        1 if (1..=16).contains(&data[0]) => opcode == OP_1 + data[0] - 1,
        1 if data[0] == 0x81 => opcode == OP_1NEGATE,
        n if n <= 75 => opcode as usize == n,
        n if n <= 255 => opcode == OP_PUSHDATA1,
        n if n <= 65535 => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

/// BIP342's OP_SUCCESSx opcodes.
pub fn is_op_success(opcode: u8) -> bool {
    matches!(opcode, 80 | 98 | 126..=129 | 131..=134 | 137..=138 | 141..=142 | 149..=153 | 187..=254)
}

/// Whether the script is `OP_HASH160 <20 bytes> OP_EQUAL`.
pub fn is_p2sh(script: &[u8]) -> bool {
    script.len() == 23 && script[0] == OP_HASH160 && script[1] == 0x14 && script[22] == OP_EQUAL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_and_delete_matches_core() {
        // Vectors from Core's script_FindAndDelete unit test.
        /// Script, pattern, result, matches removed.
        type Case = (&'static [u8], &'static [u8], &'static [u8], usize);
        let cases: &[Case] = &[
            (&[0x02, 0x03, 0x02, 0x03], &[0x02, 0x03], &[], 2),
            (&[0x02, 0x03, 0x00, 0x02, 0x03], &[0x02, 0x03], &[0x00], 2),
            // A match must start at an opcode boundary.
            (
                &[0x02, 0x02, 0x03, 0x03],
                &[0x02, 0x03],
                &[0x02, 0x02, 0x03, 0x03],
                0,
            ),
            (&[0x61, 0x61], &[0x61], &[], 2),
        ];
        for (script, pattern, want, n) in cases {
            let mut s = script.to_vec();
            assert_eq!(find_and_delete(&mut s, pattern), *n);
            assert_eq!(&s[..], *want);
        }
    }

    #[test]
    fn pushes() {
        assert_eq!(push_script(&[7; 3]), vec![3, 7, 7, 7]);
        assert_eq!(push_script(&[0; 80])[..2], [OP_PUSHDATA1, 80]);
        assert!(is_minimal_push(&[5], OP_1 + 4));
        assert!(!is_minimal_push(&[5], 1));
        assert!(is_push_only(&[0x00, 0x51, 0x01, 0x07]));
        assert!(!is_push_only(&[0x61]));
        assert!(read_op(&[OP_PUSHDATA1, 5, 1], 0).is_none());
        assert_eq!(
            strip_codeseparators(&[0x51, OP_CODESEPARATOR, 0x52]),
            vec![0x51, 0x52]
        );
    }
}
