//! Which output scripts relay policy accepts (Core's `Solver` types checked
//! by `IsStandard`): key and script hashes, witness programs, pay-to-pubkey,
//! bare multisig of at most three keys, and data carriers.

use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_PUSHNUM_1, OP_PUSHNUM_16};
use bitcoin::script::Instruction;
use bitcoin::{Script, Witness};

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
        return Script::from_bytes(&script.as_bytes()[1..]).is_push_only();
    }
    bare_multisig_keys(script).is_some_and(|(m, n)| (1..=3).contains(&n) && (1..=n).contains(&m))
}

/// Core's `MAX_P2SH_SIGOPS`: most sigops a standard P2SH redeem script has.
const MAX_P2SH_SIGOPS: u32 = 15;

/// Whether spending an output locked by `spent` with `script_sig` is
/// standard (Core's `AreInputsStandard` for one input): the spent script is
/// of a known type (unknown witness versions and non-standard scripts are
/// not), and a P2SH redeem script has at most 15 sigops.
pub fn is_standard_input(spent: &Script, script_sig: &Script) -> bool {
    if spent.is_p2pkh() || spent.is_p2pk() || spent.as_bytes().first() == Some(&0x6a) {
        return true;
    }
    if spent.is_witness_program() {
        let anchor = spent.as_bytes() == [0x51, 0x02, 0x4e, 0x73];
        return spent.is_p2wpkh() || spent.is_p2wsh() || spent.is_p2tr() || anchor;
    }
    if spent.is_p2sh() {
        return match script_sig.instructions().last() {
            Some(Ok(Instruction::PushBytes(redeem))) => {
                consensus::tx_verify::script_sigop_count(
                    Script::from_bytes(redeem.as_bytes()),
                    true,
                ) <= MAX_P2SH_SIGOPS
            }
            Some(Ok(Instruction::Op(op))) => small_int(op).is_some() || op.to_u8() == 0,
            _ => false,
        };
    }
    bare_multisig_keys(spent).is_some_and(|(m, n)| m >= 1 && m <= n)
}

/// Core's P2WSH and tapscript policy limits.
const MAX_STANDARD_P2WSH_SCRIPT_SIZE: usize = 3600;
const MAX_STANDARD_P2WSH_STACK_ITEMS: usize = 100;
const MAX_STANDARD_WITNESS_ITEM_SIZE: usize = 80;

/// Whether input witness data is standard (Core's `IsWitnessStandard` for
/// one input): only witness programs (also P2SH-wrapped) carry a witness,
/// none for pay-to-anchor; P2WSH scripts, stack depth and item sizes and
/// tapscript item sizes stay within policy; no taproot annex.
pub fn is_witness_standard(spent: &Script, script_sig: &Script, witness: &Witness) -> bool {
    if witness.is_empty() {
        return true;
    }
    if spent.as_bytes() == [0x51, 0x02, 0x4e, 0x73] {
        return false;
    }
    let (program_script, nested) = if spent.is_p2sh() {
        match script_sig.instructions().last() {
            // A redeem script from an opcode is never a witness program.
            Some(Ok(Instruction::PushBytes(redeem))) => (redeem.as_bytes().to_vec(), true),
            _ => return false,
        }
    } else {
        (spent.as_bytes().to_vec(), false)
    };
    let Some((version, program)) = consensus::tx_verify::witness_program(&program_script) else {
        return false;
    };
    let items: Vec<&[u8]> = witness.iter().collect();
    if version == 0 && program.len() == 32 {
        let Some((script, stack)) = items.split_last() else {
            return false;
        };
        return script.len() <= MAX_STANDARD_P2WSH_SCRIPT_SIZE
            && stack.len() <= MAX_STANDARD_P2WSH_STACK_ITEMS
            && stack
                .iter()
                .all(|i| i.len() <= MAX_STANDARD_WITNESS_ITEM_SIZE);
    }
    if version == 1 && program.len() == 32 && !nested {
        let mut stack = &items[..];
        if stack.len() >= 2 && stack.last().is_some_and(|a| a.first() == Some(&0x50)) {
            return false;
        }
        if stack.len() >= 2 {
            let control = stack[stack.len() - 1];
            stack = &stack[..stack.len() - 2];
            let Some(first) = control.first() else {
                return false;
            };
            if first & 0xfe == 0xc0 {
                return stack
                    .iter()
                    .all(|i| i.len() <= MAX_STANDARD_WITNESS_ITEM_SIZE);
            }
        } else if stack.is_empty() {
            return false;
        }
    }
    true
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
    use super::{is_standard_input, is_standard_output};
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

    #[test]
    fn spending_unknown_witness_versions_or_odd_scripts_is_not_standard() {
        let empty = s("");
        assert!(is_standard_input(
            &s("0014751e76e8199196d454941c45d1b3a323f1433bd6"),
            &empty
        ));
        // Version 2 program, a bare OP_TRUE.
        assert!(!is_standard_input(
            &s("52200000000000000000000000000000000000000000000000000000000000000000"),
            &empty
        ));
        assert!(!is_standard_input(&s("51"), &empty));
        // P2SH: the redeem script's sigops count.
        let p2sh = s("a914000000000000000000000000000000000000000087");
        assert!(is_standard_input(&p2sh, &s("0151")));
        let many = format!("4c10{}", "ac".repeat(16));
        assert!(!is_standard_input(&p2sh, &s(&many)));
        assert!(!is_standard_input(&p2sh, &empty));
    }

    #[test]
    fn witness_standardness_follows_core_limits() {
        use super::is_witness_standard;
        use bitcoin::Witness;
        let empty = s("");
        let p2wsh = s("00200000000000000000000000000000000000000000000000000000000000000000");
        let ok = Witness::from_slice(&[vec![1; 80], vec![0x51]]);
        assert!(is_witness_standard(&p2wsh, &empty, &ok));
        let big_item = Witness::from_slice(&[vec![1; 81], vec![0x51]]);
        assert!(!is_witness_standard(&p2wsh, &empty, &big_item));
        // Witness data on a non-witness output.
        let p2pkh = s("76a914000000000000000000000000000000000000000088ac");
        assert!(!is_witness_standard(&p2pkh, &empty, &ok));
        assert!(is_witness_standard(&p2pkh, &empty, &Witness::new()));
        // A taproot annex.
        let p2tr = s("51200000000000000000000000000000000000000000000000000000000000000000");
        let annex = Witness::from_slice(&[vec![1; 64], vec![0x50]]);
        assert!(!is_witness_standard(&p2tr, &empty, &annex));
    }
}
