//! Relay policy on what a transaction spends (Core's
//! `ValidateInputsStandardness` and `IsWitnessStandard`): the spent scripts
//! must be of a known kind, P2SH redeem scripts and legacy sigops stay small,
//! and witnesses stay within the standard sizes, without annexes.

use bitcoin::{Script, Transaction, TxOut};
use consensus::error::{TxResult, ValidationError};
use consensus::interpreter::{script_sig_stack, TxChecker};
use consensus::tx_verify::{script_sigop_count, spent_script_sigop_count, witness_program};

/// Sigops a P2SH redeem script may hold.
const MAX_P2SH_SIGOPS: u32 = 15;
/// Legacy sigops (BIP54 counting) a transaction may hold.
const MAX_TX_LEGACY_SIGOPS: u32 = 2500;
/// Largest standard P2WSH witness script.
const MAX_STANDARD_P2WSH_SCRIPT_SIZE: usize = 3600;
/// Most stack items a standard P2WSH witness passes to its script.
const MAX_STANDARD_P2WSH_STACK_ITEMS: usize = 100;
/// Largest standard P2WSH stack item.
const MAX_STANDARD_P2WSH_STACK_ITEM_SIZE: usize = 80;
/// Largest standard tapscript stack item.
const MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE: usize = 80;
/// BIP341 annex marker.
const ANNEX_TAG: u8 = 0x50;
/// Tapscript leaf version.
const TAPSCRIPT_LEAF: u8 = 0xc0;
/// Pay-to-anchor: `OP_1 <0x4e73>`.
const P2A: [u8; 4] = [0x51, 0x02, 0x4e, 0x73];

/// What Core's `Solver` makes of a spent script, as far as policy cares.
#[derive(Debug, PartialEq, Eq)]
enum SpentKind {
    NonStandard,
    WitnessUnknown,
    ScriptHash,
    Known,
}

fn classify(spk: &Script) -> SpentKind {
    let bytes = spk.as_bytes();
    if let Some((version, program)) = witness_program(bytes) {
        return match (version, program.len()) {
            (0, 20) | (0, 32) | (1, 32) => SpentKind::Known,
            _ if bytes == P2A => SpentKind::Known,
            (0, _) => SpentKind::NonStandard,
            _ => SpentKind::WitnessUnknown,
        };
    }
    if spk.is_p2sh() {
        return SpentKind::ScriptHash;
    }
    if spk.is_p2pkh() || spk.is_p2pk() || is_multisig(spk) {
        SpentKind::Known
    } else {
        SpentKind::NonStandard
    }
}

/// `OP_m <keys> OP_n OP_CHECKMULTISIG` with 1 <= m <= n <= 20 (Core's
/// `MatchMultisig`; relay of new bare multisig outputs is stricter).
fn is_multisig(spk: &Script) -> bool {
    let b = spk.as_bytes();
    let small = |op: u8| (0x51..=0x60).contains(&op).then(|| op - 0x50);
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if last != 0xae || b.len() < 3 {
        return false;
    }
    let (Some(m), Some(n)) = (small(first), small(b[b.len() - 2])) else {
        return false;
    };
    let mut pos = 1;
    let mut keys = 0u8;
    while pos < b.len() - 2 {
        let len = b[pos] as usize;
        if !(len == 33 || len == 65) || pos + 1 + len > b.len() - 2 {
            return false;
        }
        pos += 1 + len;
        keys += 1;
    }
    keys == n && m >= 1 && m <= n
}

fn nonstandard(debug: String) -> ValidationError {
    ValidationError::tx(
        TxResult::InputsNotStandard,
        "bad-txns-nonstandard-inputs",
        debug,
    )
}

/// The redeem script a P2SH input's scriptSig provides.
fn redeem_script(tx: &Transaction, index: usize, spent: &[TxOut]) -> Result<Vec<u8>, String> {
    let input = &tx.input[index];
    let checker = TxChecker::new(tx, index, spent[index].value.to_sat(), spent);
    let stack = script_sig_stack(input.script_sig.as_bytes(), &checker)
        .map_err(|e| format!("p2sh scriptsig malformed (input {index}: {e})"))?;
    stack
        .last()
        .cloned()
        .ok_or_else(|| format!("input {index} P2SH redeemscript missing"))
}

/// Core's `ValidateInputsStandardness`; `spent[i]` is what input `i` spends.
pub fn validate_inputs_standardness(
    tx: &Transaction,
    spent: &[TxOut],
) -> Result<(), ValidationError> {
    if tx.is_coinbase() || spent.len() != tx.input.len() {
        return Ok(());
    }
    let mut sigops = 0u32;
    for (input, prev) in tx.input.iter().zip(spent) {
        sigops += script_sigop_count(&input.script_sig, true);
        sigops += spent_script_sigop_count(&prev.script_pubkey, &input.script_sig);
        if sigops > MAX_TX_LEGACY_SIGOPS {
            return Err(nonstandard("non-witness sigops exceed bip54 limit".into()));
        }
    }
    for (i, prev) in spent.iter().enumerate() {
        match classify(&prev.script_pubkey) {
            SpentKind::NonStandard => return Err(nonstandard(format!("input {i} script unknown"))),
            SpentKind::WitnessUnknown => {
                return Err(nonstandard(format!(
                    "input {i} witness program is undefined"
                )))
            }
            SpentKind::ScriptHash => {
                let redeem = redeem_script(tx, i, spent).map_err(nonstandard)?;
                let count = script_sigop_count(Script::from_bytes(&redeem), true);
                if count > MAX_P2SH_SIGOPS {
                    return Err(nonstandard(format!(
                        "p2sh redeemscript sigops exceed limit (input {i}: {count} > {MAX_P2SH_SIGOPS})"
                    )));
                }
            }
            SpentKind::Known => {}
        }
    }
    Ok(())
}

/// Core's `IsWitnessStandard`; `spent[i]` is what input `i` spends.
pub fn is_witness_standard(tx: &Transaction, spent: &[TxOut]) -> bool {
    if tx.is_coinbase() || spent.len() != tx.input.len() {
        return true;
    }
    for (i, (input, prev)) in tx.input.iter().zip(spent).enumerate() {
        if input.witness.is_empty() {
            continue;
        }
        if prev.script_pubkey.as_bytes() == P2A {
            return false;
        }
        let mut script = prev.script_pubkey.to_bytes();
        let mut p2sh = false;
        if prev.script_pubkey.is_p2sh() {
            match redeem_script(tx, i, spent) {
                Ok(r) => script = r,
                Err(_) => return false,
            }
            p2sh = true;
        }
        let Some((version, program)) = witness_program(&script) else {
            return false;
        };
        let items: Vec<&[u8]> = input.witness.iter().collect();
        if version == 0 && program.len() == 32 {
            let (Some(last), rest) = (items.last(), &items[..items.len() - 1]) else {
                return false;
            };
            if last.len() > MAX_STANDARD_P2WSH_SCRIPT_SIZE
                || rest.len() > MAX_STANDARD_P2WSH_STACK_ITEMS
                || rest
                    .iter()
                    .any(|w| w.len() > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE)
            {
                return false;
            }
        }
        if version == 1 && program.len() == 32 && !p2sh {
            let mut stack = &items[..];
            if stack.len() >= 2 && stack.last().and_then(|a| a.first()) == Some(&ANNEX_TAG) {
                return false;
            }
            match stack.len() {
                0 => return false,
                1 => {}
                n => {
                    let control = stack[n - 1];
                    stack = &stack[..n - 2];
                    let Some(first) = control.first() else {
                        return false;
                    };
                    if first & 0xfe == TAPSCRIPT_LEAF
                        && stack
                            .iter()
                            .any(|w| w.len() > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE)
                    {
                        return false;
                    }
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    fn s(hex: &str) -> ScriptBuf {
        ScriptBuf::from_bytes(hex::decode(hex).unwrap())
    }

    #[test]
    fn classifies_spent_scripts() {
        assert_eq!(classify(s("0014").as_script()), SpentKind::NonStandard);
        assert_eq!(
            classify(&s(&format!("0014{}", "11".repeat(20)))),
            SpentKind::Known
        );
        assert_eq!(
            classify(&s(&format!("0015{}", "11".repeat(21)))),
            SpentKind::NonStandard
        );
        assert_eq!(
            classify(&s(&format!("5220{}", "11".repeat(32)))),
            SpentKind::WitnessUnknown
        );
        assert_eq!(classify(&s("51024e73")), SpentKind::Known);
        assert_eq!(
            classify(&s(&format!("a914{}87", "11".repeat(20)))),
            SpentKind::ScriptHash
        );
        assert_eq!(classify(&s("51")), SpentKind::NonStandard);
        let key = format!("21{}{}", "02", "11".repeat(32));
        assert_eq!(classify(&s(&format!("51{key}{key}52ae"))), SpentKind::Known);
        assert_eq!(
            classify(&s(&format!("53{key}{key}52ae"))),
            SpentKind::NonStandard
        );
    }
}
