//! Script facts transaction creation needs: the script of a destination,
//! what kind of destination a script pays, and serialized sizes.

use bitcoin::hashes::Hash;
use bitcoin::opcodes::all::{OP_CHECKSIG, OP_RETURN};
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{Opcode, Script, ScriptBuf, TxOut};
use interfaces::wallet::TxDestination;

use crate::coinselection::OutputType;

/// Scripts longer than this can never be spent (Core's `MAX_SCRIPT_SIZE`).
const MAX_SCRIPT_SIZE: usize = 10_000;

/// The script paying `dest` (Core's `GetScriptForDestination`); empty for
/// no destination or a malformed one.
pub fn script_for_destination(dest: &TxDestination) -> ScriptBuf {
    let push = |bytes: &[u8]| PushBytesBuf::try_from(bytes.to_vec()).ok();
    match dest {
        TxDestination::None => ScriptBuf::new(),
        TxDestination::PubKey(key) => match push(key) {
            Some(k) => Builder::new()
                .push_slice(k)
                .push_opcode(OP_CHECKSIG)
                .into_script(),
            None => ScriptBuf::new(),
        },
        TxDestination::PkHash(h) => ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(*h)),
        TxDestination::ScriptHash(h) => {
            ScriptBuf::new_p2sh(&bitcoin::ScriptHash::from_byte_array(*h))
        }
        TxDestination::WitnessV0KeyHash(h) => witness_program(0, h),
        TxDestination::WitnessV0ScriptHash(h) => witness_program(0, h),
        TxDestination::WitnessV1Taproot(k) => witness_program(1, k),
        TxDestination::WitnessUnknown { version, program } => witness_program(*version, program),
    }
}

/// `OP_version <program>`, or empty when the version or length cannot
/// form a witness program script.
fn witness_program(version: u32, program: &[u8]) -> ScriptBuf {
    let op = match version {
        0 => bitcoin::opcodes::OP_0,
        1..=16 => Opcode::from(0x50 + version as u8),
        _ => return ScriptBuf::new(),
    };
    match PushBytesBuf::try_from(program.to_vec()) {
        Ok(p) => Builder::new().push_opcode(op).push_slice(p).into_script(),
        Err(_) => ScriptBuf::new(),
    }
}

/// Whether `script` is a witness program (Core's `IsWitnessProgram`): a
/// version opcode followed by one direct push of 2 to 40 bytes.
pub fn is_witness_program(script: &Script) -> bool {
    let b = script.as_bytes();
    if b.len() < 4 || b.len() > 42 {
        return false;
    }
    let version_ok = b[0] == 0 || (0x51..=0x60).contains(&b[0]);
    version_ok && usize::from(b[1]) + 2 == b.len()
}

/// Whether `script` can never be spent (Core's `IsUnspendable`): it starts
/// with `OP_RETURN` or is longer than the script size limit.
pub fn is_unspendable(script: &Script) -> bool {
    script.as_bytes().first() == Some(&OP_RETURN.to_u8()) || script.len() > MAX_SCRIPT_SIZE
}

/// Bytes of a compact-size length prefix for `n`.
pub fn compact_size_len(n: u64) -> i64 {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Serialized size of an output paying `script`: value, length, script.
pub fn txout_size(script: &Script) -> i64 {
    8 + compact_size_len(script.len() as u64) + script.len() as i64
}

/// Serialized size of `txout`.
pub fn serialized_txout_size(txout: &TxOut) -> i64 {
    txout_size(&txout.script_pubkey)
}

/// The kind of destination a script pays, as far as the change type choice
/// cares (Core's `TransactionChangeType` looks at recipients' destinations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientKind {
    /// Segwit v1 (taproot).
    Taproot,
    /// P2WPKH.
    WitnessKeyHash,
    /// P2SH.
    ScriptHash,
    /// P2PKH.
    PubkeyHash,
    /// Anything else.
    Other,
}

/// Classifies a recipient's script.
pub fn recipient_kind(script: &Script) -> RecipientKind {
    if script.is_p2tr() {
        RecipientKind::Taproot
    } else if script.is_p2wpkh() {
        RecipientKind::WitnessKeyHash
    } else if script.is_p2sh() {
        RecipientKind::ScriptHash
    } else if script.is_p2pkh() {
        RecipientKind::PubkeyHash
    } else {
        RecipientKind::Other
    }
}

/// The output type of a wallet coin paying `script_pubkey`, for keeping
/// output types apart in coin selection (Core's `GetOutputType` over the
/// solver's answer). For a P2SH output the wallet can solve, pass its
/// redeem script: the type is then the redeem script's, with a wrapped
/// segwit v0 program counting as P2SH-segwit; an unsolvable P2SH output
/// counts as legacy since nothing more is known.
pub fn coin_output_type(script_pubkey: &Script, redeem_script: Option<&Script>) -> OutputType {
    match (script_pubkey.is_p2sh(), redeem_script) {
        (true, Some(redeem)) => solved_output_type(redeem, true),
        _ => solved_output_type(script_pubkey, false),
    }
}

/// Core's `GetOutputType(TxoutType, is_from_p2sh)`.
fn solved_output_type(script: &Script, is_from_p2sh: bool) -> OutputType {
    if script.is_p2tr() {
        OutputType::Bech32m
    } else if script.is_p2wpkh() || script.is_p2wsh() {
        if is_from_p2sh {
            OutputType::P2shSegwit
        } else {
            OutputType::Bech32
        }
    } else if script.is_p2sh() || script.is_p2pkh() {
        OutputType::Legacy
    } else {
        OutputType::Unknown
    }
}

/// Core's numbering of `OutputType` (as carried over IPC).
pub fn output_type_from_i32(n: i32) -> Option<OutputType> {
    match n {
        0 => Some(OutputType::Legacy),
        1 => Some(OutputType::P2shSegwit),
        2 => Some(OutputType::Bech32),
        3 => Some(OutputType::Bech32m),
        4 => Some(OutputType::Unknown),
        _ => None,
    }
}

/// Parses an output type name as `-addresstype` and `-changetype` take it
/// (Core's `ParseOutputType`; "unknown" is not accepted).
pub fn parse_output_type(s: &str) -> Option<OutputType> {
    match s {
        "legacy" => Some(OutputType::Legacy),
        "p2sh-segwit" => Some(OutputType::P2shSegwit),
        "bech32" => Some(OutputType::Bech32),
        "bech32m" => Some(OutputType::Bech32m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_become_their_scripts() {
        let pkh = script_for_destination(&TxDestination::PkHash([1; 20]));
        assert!(pkh.is_p2pkh());
        assert!(script_for_destination(&TxDestination::ScriptHash([2; 20])).is_p2sh());
        assert!(script_for_destination(&TxDestination::WitnessV0KeyHash([3; 20])).is_p2wpkh());
        assert!(script_for_destination(&TxDestination::WitnessV0ScriptHash([4; 32])).is_p2wsh());
        assert!(script_for_destination(&TxDestination::WitnessV1Taproot([5; 32])).is_p2tr());
        let unknown = script_for_destination(&TxDestination::WitnessUnknown {
            version: 16,
            program: vec![9, 9],
        });
        assert_eq!(unknown.as_bytes(), &[0x60, 2, 9, 9]);
        assert!(is_witness_program(&unknown));
        let pk = script_for_destination(&TxDestination::PubKey(vec![2; 33]));
        assert_eq!(pk.len(), 35);
        assert!(script_for_destination(&TxDestination::None).is_empty());
        assert!(script_for_destination(&TxDestination::WitnessUnknown {
            version: 17,
            program: vec![1, 2],
        })
        .is_empty());
    }

    #[test]
    fn witness_programs_and_unspendables() {
        assert!(!is_witness_program(Script::from_bytes(&[0, 1, 9])));
        assert!(!is_witness_program(Script::from_bytes(&[0x4f, 2, 1, 1])));
        assert!(!is_witness_program(Script::from_bytes(&[0, 3, 1, 1])));
        assert!(is_unspendable(Script::from_bytes(&[0x6a])));
        assert!(is_unspendable(&ScriptBuf::from_bytes(vec![0; 10_001])));
        assert!(!is_unspendable(&ScriptBuf::from_bytes(vec![0; 10_000])));
        assert!(!is_unspendable(Script::new()));
    }

    #[test]
    fn sizes() {
        assert_eq!(compact_size_len(252), 1);
        assert_eq!(compact_size_len(253), 3);
        assert_eq!(compact_size_len(0x10000), 5);
        assert_eq!(compact_size_len(u64::MAX), 9);
        let p2wpkh = script_for_destination(&TxDestination::WitnessV0KeyHash([3; 20]));
        assert_eq!(txout_size(&p2wpkh), 31);
        assert_eq!(txout_size(Script::new()), 9);
    }

    #[test]
    fn output_types() {
        let p2wpkh = script_for_destination(&TxDestination::WitnessV0KeyHash([3; 20]));
        let p2sh = script_for_destination(&TxDestination::ScriptHash([2; 20]));
        assert_eq!(coin_output_type(&p2wpkh, None), OutputType::Bech32);
        assert_eq!(coin_output_type(&p2sh, None), OutputType::Legacy);
        assert_eq!(
            coin_output_type(&p2sh, Some(&p2wpkh)),
            OutputType::P2shSegwit
        );
        // A solvable P2SH multisig is of no known type, as in Core.
        let multisig = Script::from_bytes(&[0x51, 0x51, 0xae]);
        assert_eq!(coin_output_type(&p2sh, Some(multisig)), OutputType::Unknown);
        assert_eq!(
            coin_output_type(Script::from_bytes(&[0x6a]), None),
            OutputType::Unknown
        );
        assert_eq!(parse_output_type("bech32m"), Some(OutputType::Bech32m));
        assert_eq!(parse_output_type("unknown"), None);
        assert_eq!(output_type_from_i32(1), Some(OutputType::P2shSegwit));
        assert_eq!(output_type_from_i32(5), None);
        assert_eq!(recipient_kind(&p2sh), RecipientKind::ScriptHash);
    }
}
