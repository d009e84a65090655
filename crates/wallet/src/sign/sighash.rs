//! Core's sighash rules for a PSBT input (`SignPSBTInput`): which type to
//! sign with, when to record it in the PSBT, and refusing to sign over
//! signatures made with another type.

use bitcoin::psbt::{Input, PsbtSighashType};
use bitcoin::sighash::TapSighashType;
use bitcoin::Script;

use super::error::SignError;

/// `SIGHASH_DEFAULT`: taproot's implicit `ALL`.
pub const SIGHASH_DEFAULT: u32 = 0;
/// `SIGHASH_ALL`.
pub const SIGHASH_ALL: u32 = 1;
/// `SIGHASH_SINGLE`.
pub const SIGHASH_SINGLE: u32 = 3;
/// `SIGHASH_ANYONECANPAY`.
pub const SIGHASH_ANYONECANPAY: u32 = 0x80;

/// Picks the sighash type for an input spending `spk` and records it:
/// the requested type, else `DEFAULT` for taproot and `ALL` otherwise. A
/// type stored in the PSBT must equal it (Core asks the user to pass it
/// explicitly rather than silently sign with something else), and so must
/// the type of every signature already present.
pub(super) fn input_sighash(
    input: &mut Input,
    spk: &Script,
    requested: Option<PsbtSighashType>,
) -> Result<u32, SignError> {
    let taproot = spk.is_p2tr();
    let default = if taproot {
        SIGHASH_DEFAULT
    } else {
        SIGHASH_ALL
    };
    let sighash = requested.map_or(default, PsbtSighashType::to_u32);
    if input.sighash_type.is_some_and(|t| t.to_u32() != sighash) {
        return Err(SignError::SighashMismatch);
    }
    // DEFAULT is accepted for non-taproot inputs (a PSBT mixing input types
    // may be signed with it) and means ALL there, so neither is recorded.
    let record = if taproot {
        sighash != SIGHASH_DEFAULT
    } else {
        sighash != SIGHASH_DEFAULT && sighash != SIGHASH_ALL
    };
    if record {
        input.sighash_type = Some(PsbtSighashType::from_u32(sighash));
    }
    let tap_ok = |t: TapSighashType| {
        if sighash == SIGHASH_DEFAULT {
            // A 64-byte signature.
            t == TapSighashType::Default
        } else {
            // A 65-byte signature ending in the type.
            t != TapSighashType::Default && t as u32 == sighash
        }
    };
    if input.tap_key_sig.is_some_and(|s| !tap_ok(s.sighash_type))
        || input
            .tap_script_sigs
            .values()
            .any(|s| !tap_ok(s.sighash_type))
    {
        return Err(SignError::SighashMismatch);
    }
    if sighash != SIGHASH_DEFAULT
        && input
            .partial_sigs
            .values()
            .any(|s| s.sighash_type.to_u32() != sighash)
    {
        return Err(SignError::SighashMismatch);
    }
    Ok(sighash)
}
