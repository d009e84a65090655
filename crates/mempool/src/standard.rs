//! Which output scripts relay policy accepts (Core's `Solver` types checked
//! by `IsStandard`): key and script hashes, witness programs, pay-to-pubkey,
//! bare multisig of at most three keys, and data carriers.

use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_PUSHNUM_1, OP_PUSHNUM_16};
use bitcoin::script::Instruction;
use bitcoin::Script;

/// Whether `script` is a standard output script.
pub fn is_standard_output(script: &Script) -> bool {
    if script.is_p2pkh() || script.is_p2sh() || script.is_p2pk() {
        return true;
    }
    if script.is_witness_program() {
        // Version 0 programs must be a key hash or a script hash; later
        // versions are reserved for upgrades and relayed.
        return script.as_bytes()[0] != 0 || script.is_p2wpkh() || script.is_p2wsh();
    }
    if script.as_bytes().first() == Some(&0x6a) {
        return is_null_data(script);
    }
    bare_multisig_keys(script).is_some_and(|(m, n)| (1..=3).contains(&n) && (1..=n).contains(&m))
}

/// Whether `script` is bare multisig (`-permitbaremultisig` decides relay).
pub fn is_bare_multisig(script: &Script) -> bool {
    bare_multisig_keys(script).is_some()
}

/// Whether `script` is a data carrier (`OP_RETURN` then pushes only).
pub fn is_null_data(script: &Script) -> bool {
    script.as_bytes().first() == Some(&0x6a)
        && Script::from_bytes(&script.as_bytes()[1..]).is_push_only()
}

fn small_int(op: bitcoin::opcodes::Opcode) -> Option<u8> {
    let code = op.to_u8();
    (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8())
        .contains(&code)
        .then(|| code - OP_PUSHNUM_1.to_u8() + 1)
}

/// `(m, n)` of `OP_m <n pubkeys> OP_n OP_CHECKMULTISIG`.
fn bare_multisig_keys(script: &Script) -> Option<(u8, u8)> {
    let ins: Vec<Instruction> = script.instructions().collect::<Result<_, _>>().ok()?;
    let (first, rest) = ins.split_first()?;
    let (last, middle) = rest.split_last()?;
    let (count, keys) = middle.split_last()?;
    let m = small_int(first.opcode()?)?;
    let n = small_int(count.opcode()?)?;
    if last.opcode()? != OP_CHECKMULTISIG || usize::from(n) != keys.len() {
        return None;
    }
    let all_keys = keys
        .iter()
        .all(|k| k.push_bytes().is_some_and(|b| matches!(b.len(), 33 | 65)));
    all_keys.then_some((m, n))
}

#[cfg(test)]
mod tests {
    use super::is_standard_output;
    use bitcoin::ScriptBuf;

    fn s(hex: &str) -> ScriptBuf {
        ScriptBuf::from_bytes(hex::decode(hex).unwrap())
    }

    #[test]
    fn classifies_output_scripts_as_core() {
        let key = "02".to_string() + &"11".repeat(32);
        // Standard: P2PKH, P2SH, P2WPKH, P2WSH, P2TR, future witness, P2A, data, 1-of-2 multisig, P2PK.
        for ok in [
            format!("76a914{}88ac", "00".repeat(20)),
            format!("a914{}87", "00".repeat(20)),
            format!("0014{}", "00".repeat(20)),
            format!("0020{}", "00".repeat(32)),
            format!("5120{}", "00".repeat(32)),
            format!("6002{}", "0000"),
            "51024e73".to_string(),
            "6a0568656c6c6f".to_string(),
            format!("5121{key}21{key}52ae"),
            format!("21{key}ac"),
        ] {
            assert!(is_standard_output(&s(&ok)), "{ok}");
        }
        // Non-standard: bare OP_TRUE, v0 program of odd length, 4-key multisig, OP_RETURN then a non-push.
        for bad in [
            "51".to_string(),
            format!("0015{}", "00".repeat(21)),
            format!("5121{key}21{key}21{key}21{key}54ae"),
            "6a61".to_string(),
        ] {
            assert!(!is_standard_output(&s(&bad)), "{bad}");
        }
    }
}
