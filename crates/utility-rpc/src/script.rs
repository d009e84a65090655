//! Script inspection with Bitcoin Core's rules: opcode iteration, the `asm`
//! rendering, output-type classification (the "solver") and the small predicates
//! the RPCs need (valid ops, unspendable, OP_SUCCESS, signature encoding).

/// Largest script Core accepts in `CheckTxScriptsSanity` and `IsUnspendable`.
pub const MAX_SCRIPT_SIZE: usize = 10_000;
/// Largest element a script may push.
pub const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Most keys in a bare `OP_CHECKMULTISIG` output.
pub const MAX_PUBKEYS_PER_MULTISIG: usize = 20;

const OP_0: u8 = 0x00;
const OP_PUSHDATA1: u8 = 0x4c;
const OP_PUSHDATA2: u8 = 0x4d;
const OP_PUSHDATA4: u8 = 0x4e;
const OP_1NEGATE: u8 = 0x4f;
const OP_1: u8 = 0x51;
const OP_16: u8 = 0x60;
const OP_RETURN: u8 = 0x6a;
const OP_CHECKSIG: u8 = 0xac;
const OP_CHECKMULTISIG: u8 = 0xae;
const OP_CHECKSIGADD: u8 = 0xba;
/// Highest opcode Core counts as valid in `HasValidOps`.
const MAX_OPCODE: u8 = 0xb9;

/// One decoded instruction: the opcode byte and, for pushes, the pushed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// The opcode byte.
    pub opcode: u8,
    /// Pushed data (empty for non-push opcodes).
    pub data: &'a [u8],
}

/// Iterates over a script's instructions; yields `Err(())` once at a truncated push
/// and then stops.
pub struct Instructions<'a> {
    script: &'a [u8],
    pos: usize,
    failed: bool,
}

/// Instructions of `script`, in order.
pub fn instructions(script: &[u8]) -> Instructions<'_> {
    Instructions {
        script,
        pos: 0,
        failed: false,
    }
}

impl<'a> Iterator for Instructions<'a> {
    type Item = Result<Instruction<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.script.len() {
            return None;
        }
        let s = self.script;
        let opcode = s[self.pos];
        self.pos += 1;
        if opcode > OP_PUSHDATA4 {
            return Some(Ok(Instruction { opcode, data: &[] }));
        }
        let rest = s.len() - self.pos;
        let (size, header) = match opcode {
            OP_PUSHDATA1 if rest >= 1 => (s[self.pos] as usize, 1),
            OP_PUSHDATA2 if rest >= 2 => (
                u16::from_le_bytes([s[self.pos], s[self.pos + 1]]) as usize,
                2,
            ),
            OP_PUSHDATA4 if rest >= 4 => {
                let b = [
                    s[self.pos],
                    s[self.pos + 1],
                    s[self.pos + 2],
                    s[self.pos + 3],
                ];
                (u32::from_le_bytes(b) as usize, 4)
            }
            OP_PUSHDATA1 | OP_PUSHDATA2 | OP_PUSHDATA4 => {
                self.failed = true;
                return Some(Err(()));
            }
            n => (n as usize, 0),
        };
        self.pos += header;
        if s.len() - self.pos < size {
            self.failed = true;
            return Some(Err(()));
        }
        let data = &s[self.pos..self.pos + size];
        self.pos += size;
        Some(Ok(Instruction { opcode, data }))
    }
}

/// Core's name for an opcode (`GetOpName`): small numbers print as digits.
pub fn opcode_name(op: u8) -> &'static str {
    const NAMES_61: [&str; 0x1f] = [
        "OP_NOP",
        "OP_VER",
        "OP_IF",
        "OP_NOTIF",
        "OP_VERIF",
        "OP_VERNOTIF",
        "OP_ELSE",
        "OP_ENDIF",
        "OP_VERIFY",
        "OP_RETURN",
        "OP_TOALTSTACK",
        "OP_FROMALTSTACK",
        "OP_2DROP",
        "OP_2DUP",
        "OP_3DUP",
        "OP_2OVER",
        "OP_2ROT",
        "OP_2SWAP",
        "OP_IFDUP",
        "OP_DEPTH",
        "OP_DROP",
        "OP_DUP",
        "OP_NIP",
        "OP_OVER",
        "OP_PICK",
        "OP_ROLL",
        "OP_ROT",
        "OP_SWAP",
        "OP_TUCK",
        "OP_CAT",
        "OP_SUBSTR",
    ];
    const NAMES_80: [&str; 0x3a] = [
        "OP_LEFT",
        "OP_RIGHT",
        "OP_SIZE",
        "OP_INVERT",
        "OP_AND",
        "OP_OR",
        "OP_XOR",
        "OP_EQUAL",
        "OP_EQUALVERIFY",
        "OP_RESERVED1",
        "OP_RESERVED2",
        "OP_1ADD",
        "OP_1SUB",
        "OP_2MUL",
        "OP_2DIV",
        "OP_NEGATE",
        "OP_ABS",
        "OP_NOT",
        "OP_0NOTEQUAL",
        "OP_ADD",
        "OP_SUB",
        "OP_MUL",
        "OP_DIV",
        "OP_MOD",
        "OP_LSHIFT",
        "OP_RSHIFT",
        "OP_BOOLAND",
        "OP_BOOLOR",
        "OP_NUMEQUAL",
        "OP_NUMEQUALVERIFY",
        "OP_NUMNOTEQUAL",
        "OP_LESSTHAN",
        "OP_GREATERTHAN",
        "OP_LESSTHANOREQUAL",
        "OP_GREATERTHANOREQUAL",
        "OP_MIN",
        "OP_MAX",
        "OP_WITHIN",
        "OP_RIPEMD160",
        "OP_SHA1",
        "OP_SHA256",
        "OP_HASH160",
        "OP_HASH256",
        "OP_CODESEPARATOR",
        "OP_CHECKSIG",
        "OP_CHECKSIGVERIFY",
        "OP_CHECKMULTISIG",
        "OP_CHECKMULTISIGVERIFY",
        "OP_NOP1",
        "OP_CHECKLOCKTIMEVERIFY",
        "OP_CHECKSEQUENCEVERIFY",
        "OP_NOP4",
        "OP_NOP5",
        "OP_NOP6",
        "OP_NOP7",
        "OP_NOP8",
        "OP_NOP9",
        "OP_NOP10",
    ];
    const SMALL: [&str; 16] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    ];
    match op {
        OP_0 => "0",
        OP_PUSHDATA1 => "OP_PUSHDATA1",
        OP_PUSHDATA2 => "OP_PUSHDATA2",
        OP_PUSHDATA4 => "OP_PUSHDATA4",
        OP_1NEGATE => "-1",
        0x50 => "OP_RESERVED",
        OP_1..=OP_16 => SMALL[(op - OP_1) as usize],
        0x61..=0x7f => NAMES_61[(op - 0x61) as usize],
        0x80..=0xb9 => NAMES_80[(op - 0x80) as usize],
        OP_CHECKSIGADD => "OP_CHECKSIGADD",
        0xff => "OP_INVALIDOPCODE",
        _ => "OP_UNKNOWN",
    }
}

/// Decodes a script number of at most 4 bytes without the minimality rule.
pub fn script_num(data: &[u8]) -> i64 {
    let Some(&last) = data.last() else { return 0 };
    let mut value: i64 = 0;
    for (i, b) in data.iter().enumerate() {
        value |= (*b as i64) << (8 * i);
    }
    if last & 0x80 != 0 {
        let mask = !(0x80i64 << (8 * (data.len() - 1)));
        -(value & mask)
    } else {
        value
    }
}

/// Sighash names Core decodes in signatures.
pub fn sighash_name(byte: u8) -> Option<&'static str> {
    match byte {
        0x01 => Some("ALL"),
        0x81 => Some("ALL|ANYONECANPAY"),
        0x02 => Some("NONE"),
        0x82 => Some("NONE|ANYONECANPAY"),
        0x03 => Some("SINGLE"),
        0x83 => Some("SINGLE|ANYONECANPAY"),
        _ => None,
    }
}

/// Strict DER signature check with trailing sighash byte (BIP66 rules).
pub fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    psbt::input::strict_der_signature(sig)
}

fn looks_like_signature(data: &[u8]) -> Option<&'static str> {
    let last = *data.last()?;
    let base = last & !0x80;
    if !is_valid_signature_encoding(data) || !(1..=3).contains(&base) {
        return None;
    }
    sighash_name(last)
}

/// Core's `ScriptToAsmStr`. With `sighash_decode`, pushes that look like signatures
/// have their sighash byte shown as `[ALL]` etc.
pub fn to_asm(script: &[u8], sighash_decode: bool) -> String {
    let mut out = String::new();
    for ins in instructions(script) {
        if !out.is_empty() {
            out.push(' ');
        }
        let Ok(ins) = ins else {
            out.push_str("[error]");
            return out;
        };
        if ins.opcode <= OP_PUSHDATA4 {
            if ins.data.len() <= 4 {
                out.push_str(&script_num(ins.data).to_string());
            } else if sighash_decode && !is_unspendable(script) {
                match looks_like_signature(ins.data) {
                    Some(name) => {
                        out.push_str(&hex::encode(&ins.data[..ins.data.len() - 1]));
                        out.push('[');
                        out.push_str(name);
                        out.push(']');
                    }
                    None => out.push_str(&hex::encode(ins.data)),
                }
            } else {
                out.push_str(&hex::encode(ins.data));
            }
        } else {
            out.push_str(opcode_name(ins.opcode));
        }
    }
    out
}

/// `OP_RETURN` first, or larger than the script size limit.
pub fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// All opcodes parse, are known and push at most 520 bytes.
pub fn has_valid_ops(script: &[u8]) -> bool {
    instructions(script).all(|i| match i {
        Ok(i) => i.opcode <= MAX_OPCODE && i.data.len() <= MAX_SCRIPT_ELEMENT_SIZE,
        Err(()) => false,
    })
}

/// Only pushes (up to `OP_16`) from the start of `script`.
pub fn is_push_only(script: &[u8]) -> bool {
    instructions(script).all(|i| matches!(i, Ok(i) if i.opcode <= OP_16))
}

/// Tapscript OP_SUCCESSx opcodes.
pub fn is_op_success(op: u8) -> bool {
    matches!(op, 80 | 98 | 126..=129 | 131..=134 | 137..=138 | 141..=142 | 149..=153 | 187..=254)
}

/// Whether the script contains `OP_CHECKSIGADD` or an OP_SUCCESSx opcode (needs valid ops).
pub fn has_tapscript_only_ops(script: &[u8]) -> bool {
    instructions(script)
        .any(|i| matches!(i, Ok(i) if i.opcode == OP_CHECKSIGADD || is_op_success(i.opcode)))
}

/// Output script types, named as Core names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxoutType {
    /// Anything else.
    NonStandard,
    /// `<pubkey> OP_CHECKSIG`.
    PubKey,
    /// P2PKH.
    PubKeyHash,
    /// P2SH.
    ScriptHash,
    /// Bare multisig.
    Multisig,
    /// `OP_RETURN` followed by pushes.
    NullData,
    /// Pay-to-anchor.
    Anchor,
    /// P2WPKH.
    WitnessV0KeyHash,
    /// P2WSH.
    WitnessV0ScriptHash,
    /// P2TR.
    WitnessV1Taproot,
    /// Other witness programs.
    WitnessUnknown,
}

impl TxoutType {
    /// The `type` string of RPC results.
    pub fn name(self) -> &'static str {
        match self {
            TxoutType::NonStandard => "nonstandard",
            TxoutType::PubKey => "pubkey",
            TxoutType::PubKeyHash => "pubkeyhash",
            TxoutType::ScriptHash => "scripthash",
            TxoutType::Multisig => "multisig",
            TxoutType::NullData => "nulldata",
            TxoutType::Anchor => "anchor",
            TxoutType::WitnessV0KeyHash => "witness_v0_keyhash",
            TxoutType::WitnessV0ScriptHash => "witness_v0_scripthash",
            TxoutType::WitnessV1Taproot => "witness_v1_taproot",
            TxoutType::WitnessUnknown => "witness_unknown",
        }
    }
}

/// Length a public key must have given its first byte (0 if the byte is invalid).
pub fn pubkey_len_for_header(header: u8) -> usize {
    match header {
        2 | 3 => 33,
        4 | 6 | 7 => 65,
        _ => 0,
    }
}

/// Core's `CPubKey::ValidSize`.
pub fn pubkey_valid_size(data: &[u8]) -> bool {
    !data.is_empty() && pubkey_len_for_header(data[0]) == data.len()
}

/// Witness version and program, if the script is a witness program.
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    if !(4..=42).contains(&script.len()) {
        return None;
    }
    let version = match script[0] {
        OP_0 => 0,
        OP_1..=OP_16 => script[0] - OP_1 + 1,
        _ => return None,
    };
    (script[1] as usize + 2 == script.len()).then(|| (version, &script[2..]))
}

/// Whether the script is P2SH.
pub fn is_p2sh(script: &[u8]) -> bool {
    script.len() == 23 && script[0] == 0xa9 && script[1] == 0x14 && script[22] == 0x87
}

fn minimal_push(data: &[u8], opcode: u8) -> bool {
    match data.len() {
        0 => opcode == OP_0,
        1 if (1..=16).contains(&data[0]) || data[0] == 0x81 => false,
        n if n <= 75 => opcode as usize == n,
        n if n <= 255 => opcode == OP_PUSHDATA1,
        n if n <= 65535 => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

fn small_number(ins: &Instruction<'_>, min: i64, max: i64) -> Option<i64> {
    let n = if (OP_1..=OP_16).contains(&ins.opcode) {
        (ins.opcode - OP_1 + 1) as i64
    } else if ins.opcode <= OP_PUSHDATA4 {
        let d = ins.data;
        if !minimal_push(d, ins.opcode) || d.len() > 4 {
            return None;
        }
        if let Some(&last) = d.last() {
            if last & 0x7f == 0 && (d.len() <= 1 || d[d.len() - 2] & 0x80 == 0) {
                return None;
            }
        }
        script_num(d)
    } else {
        return None;
    };
    (min..=max).contains(&n).then_some(n)
}

fn match_multisig(script: &[u8]) -> Option<(u8, Vec<Vec<u8>>)> {
    if script.last() != Some(&OP_CHECKMULTISIG) {
        return None;
    }
    let mut it = instructions(script);
    let first = it.next()?.ok()?;
    let required = small_number(&first, 1, MAX_PUBKEYS_PER_MULTISIG as i64)?;
    let mut keys = Vec::new();
    let mut last = None;
    for ins in it.by_ref() {
        let ins = ins.ok()?;
        if pubkey_valid_size(ins.data) && ins.opcode <= OP_PUSHDATA4 {
            keys.push(ins.data.to_vec());
        } else {
            last = Some(ins);
            break;
        }
    }
    let last = last?;
    let count = small_number(&last, required, MAX_PUBKEYS_PER_MULTISIG as i64)?;
    if keys.len() as i64 != count {
        return None;
    }
    // Exactly one more byte (the OP_CHECKMULTISIG) must follow.
    (it.script.len() - it.pos == 1).then_some((required as u8, keys))
}

/// Core's `Solver`: the output type and its solutions (hashes, keys, counts).
pub fn solve(script: &[u8]) -> (TxoutType, Vec<Vec<u8>>) {
    if is_p2sh(script) {
        return (TxoutType::ScriptHash, vec![script[2..22].to_vec()]);
    }
    if let Some((version, program)) = witness_program(script) {
        return match (version, program.len()) {
            (0, 20) => (TxoutType::WitnessV0KeyHash, vec![program.to_vec()]),
            (0, 32) => (TxoutType::WitnessV0ScriptHash, vec![program.to_vec()]),
            (1, 32) => (TxoutType::WitnessV1Taproot, vec![program.to_vec()]),
            (1, 2) if program == [0x4e, 0x73] => (TxoutType::Anchor, vec![]),
            (0, _) => (TxoutType::NonStandard, vec![]),
            _ => (
                TxoutType::WitnessUnknown,
                vec![vec![version], program.to_vec()],
            ),
        };
    }
    if script.first() == Some(&OP_RETURN) && is_push_only(&script[1..]) {
        return (TxoutType::NullData, vec![]);
    }
    for size in [65usize, 33] {
        if script.len() == size + 2 && script[0] as usize == size && script[size + 1] == OP_CHECKSIG
        {
            let key = &script[1..size + 1];
            if pubkey_valid_size(key) {
                return (TxoutType::PubKey, vec![key.to_vec()]);
            }
        }
    }
    if script.len() == 25
        && script[..3] == [0x76, 0xa9, 0x14]
        && script[23] == 0x88
        && script[24] == OP_CHECKSIG
    {
        return (TxoutType::PubKeyHash, vec![script[3..23].to_vec()]);
    }
    if let Some((required, keys)) = match_multisig(script) {
        let n = keys.len() as u8;
        let mut sol = vec![vec![required]];
        sol.extend(keys);
        sol.push(vec![n]);
        return (TxoutType::Multisig, sol);
    }
    (TxoutType::NonStandard, vec![])
}

/// Pushes `data` with the smallest push opcode, as Core's `CScript << vector` does.
pub fn push_data(script: &mut Vec<u8>, data: &[u8]) {
    let n = data.len();
    if n < OP_PUSHDATA1 as usize {
        script.push(n as u8);
    } else if n <= 0xff {
        script.push(OP_PUSHDATA1);
        script.push(n as u8);
    } else if n <= 0xffff {
        script.push(OP_PUSHDATA2);
        script.extend_from_slice(&(n as u16).to_le_bytes());
    } else {
        script.push(OP_PUSHDATA4);
        script.extend_from_slice(&(n as u32).to_le_bytes());
    }
    script.extend_from_slice(data);
}

/// Pushes an integer as Core's `CScript << n`: `OP_n` for 0..=16, else a
/// minimal script-number push.
pub fn push_small_int(script: &mut Vec<u8>, n: u8) {
    match n {
        0 => script.push(OP_0),
        1..=16 => script.push(OP_1 + n - 1),
        0x11..=0x7f => push_data(script, &[n]),
        _ => push_data(script, &[n, 0]),
    }
}

/// `<m> <keys…> <n> OP_CHECKMULTISIG`.
pub fn multisig_script(required: u8, keys: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Vec::new();
    push_small_int(&mut s, required);
    for k in keys {
        push_data(&mut s, k);
    }
    push_small_int(&mut s, keys.len() as u8);
    s.push(OP_CHECKMULTISIG);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multisig_counts_above_16_are_pushed_as_numbers() {
        let keys = vec![vec![2u8; 33]; 20];
        let s = multisig_script(1, &keys);
        assert_eq!(s.len(), 1 + 20 * 34 + 2 + 1);
        assert_eq!(&s[s.len() - 3..], &[0x01, 0x14, OP_CHECKMULTISIG]);
    }

    #[test]
    fn asm_formats_numbers_and_opcodes() {
        assert_eq!(to_asm(&[0x51, 0x00], false), "1 0");
        assert_eq!(to_asm(&[0x6a, 0xee], false), "OP_RETURN OP_UNKNOWN");
        assert_eq!(to_asm(&[0x6a, 0x02, 0xee], false), "OP_RETURN [error]");
        assert_eq!(to_asm(&[0x02, 0xee, 0xee], false), "-28398");
        assert_eq!(to_asm(&[0xba], false), "OP_CHECKSIGADD");
        assert_eq!(to_asm(&[0x50], false), "OP_RESERVED");
        assert_eq!(
            to_asm(&[0xb1, 0xb2], false),
            "OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY"
        );
        assert_eq!(to_asm(&[0x03, 0x20, 0xa1, 0x07], false), "500000");
    }

    #[test]
    fn solver_classifies() {
        let pk = common::strencodings::parse_hex(
            "2103b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb2ac",
        )
        .unwrap();
        assert_eq!(solve(&pk).0, TxoutType::PubKey);
        let ms = multisig_script(1, &[pk[1..34].to_vec(), pk[1..34].to_vec()]);
        assert_eq!(solve(&ms).0, TxoutType::Multisig);
        assert_eq!(solve(&[0x51, 0x02, 0x4e, 0x73]).0, TxoutType::Anchor);
        assert_eq!(
            solve(&[0x51, 0x02, 0xee, 0xee]).0,
            TxoutType::WitnessUnknown
        );
        assert_eq!(solve(&[0x6a, 0x00]).0, TxoutType::NullData);
        assert_eq!(solve(&[0x6a, 0xee]).0, TxoutType::NonStandard);
        assert_eq!(solve(&[]).0, TxoutType::NonStandard);
    }
}
