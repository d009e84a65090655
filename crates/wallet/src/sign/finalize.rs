//! Completing and checking PSBT inputs (Core's `PSBTInputSigned`,
//! `PSBTInputSignedAndVerified`, and the complete branch of
//! `FromSignatureData`). Every final scriptSig/witness is run through the
//! script interpreter with Core's standard flags before it is accepted.

use bitcoin::psbt::{Input, Psbt};
use bitcoin::{Script, ScriptBuf, Transaction, TxOut, Witness};
use consensus::flags::STANDARD_SCRIPT_VERIFY_FLAGS;
use consensus::interpreter::{verify_script, ScriptError, TxChecker};
use miniscript::psbt::{PsbtExt, PsbtInputSatisfier};
use miniscript::{DefiniteDescriptorKey, Descriptor};

/// Core's `PSBTInputSigned`: the input carries a final scriptSig or
/// witness.
pub(super) fn is_signed(input: &Input) -> bool {
    input
        .final_script_sig
        .as_ref()
        .is_some_and(|s| !s.is_empty())
        || input
            .final_script_witness
            .as_ref()
            .is_some_and(|w| !w.is_empty())
}

/// Core's `PSBTInput::GetUTXO`: the spent output from the previous
/// transaction (which must be the one the outpoint names) or else from the
/// witness UTXO.
pub(super) fn input_utxo(psbt: &Psbt, index: usize) -> Option<TxOut> {
    let input = psbt.inputs.get(index)?;
    let prevout = psbt.unsigned_tx.input.get(index)?.previous_output;
    match (&input.non_witness_utxo, &input.witness_utxo) {
        (Some(tx), _) => {
            if tx.compute_txid() != prevout.txid {
                return None;
            }
            tx.output.get(usize::try_from(prevout.vout).ok()?).cloned()
        }
        (None, Some(out)) => Some(out.clone()),
        (None, None) => None,
    }
}

/// Every input's spent output, when all are known (Core's
/// `PrecomputePSBTData`; taproot signature hashes need them all).
pub(super) fn spent_outputs(psbt: &Psbt) -> Option<Vec<TxOut>> {
    (0..psbt.inputs.len())
        .map(|i| input_utxo(psbt, i))
        .collect()
}

/// Runs the interpreter over input `index` of `tx` spending `utxo`.
pub(super) fn verify_input(
    tx: &Transaction,
    index: usize,
    utxo: &TxOut,
    script_sig: &Script,
    witness: &Witness,
    spent: Option<&[TxOut]>,
) -> Result<(), ScriptError> {
    let checker = TxChecker::new(tx, index, utxo.value.to_sat(), spent.unwrap_or(&[]));
    verify_script(
        script_sig.as_bytes(),
        utxo.script_pubkey.as_bytes(),
        witness,
        STANDARD_SCRIPT_VERIFY_FLAGS,
        &checker,
    )
}

/// Core's `PSBTInputSignedAndVerified`: the final scripts satisfy the
/// spent output.
pub(super) fn signed_and_verified(psbt: &Psbt, index: usize, spent: Option<&[TxOut]>) -> bool {
    let (Some(input), Some(utxo)) = (psbt.inputs.get(index), input_utxo(psbt, index)) else {
        return false;
    };
    let script_sig = input.final_script_sig.clone().unwrap_or_default();
    let witness = input.final_script_witness.clone().unwrap_or_default();
    verify_input(
        &psbt.unsigned_tx,
        index,
        &utxo,
        &script_sig,
        &witness,
        spent,
    )
    .is_ok()
}

/// The satisfaction of `desc` (its `tr()` leaves padded by `pads`) from
/// what the PSBT input holds (signatures, scripts, preimages), if one
/// exists and verifies.
pub(super) fn satisfy(
    psbt: &Psbt,
    index: usize,
    desc: &Descriptor<DefiniteDescriptorKey>,
    pads: &[usize],
    utxo: &TxOut,
    spent: Option<&[TxOut]>,
) -> Option<(ScriptBuf, Witness)> {
    let derived = desc.derived_descriptor(crate::keys::secp()).ok()?;
    let satisfier = PsbtInputSatisfier::new(psbt, index);
    let (stack, script_sig) = match &derived {
        // The crate would satisfy the unpadded leaves.
        Descriptor::Tr(tr) if utility_rpc::leaf_padding::any(pads) => (
            utility_rpc::leaf_padding::satisfy_tr(tr, pads, &satisfier)?,
            ScriptBuf::new(),
        ),
        _ => derived.get_satisfaction(satisfier).ok()?,
    };
    let witness = Witness::from_slice(&stack);
    verify_input(&psbt.unsigned_tx, index, utxo, &script_sig, &witness, spent).ok()?;
    Some((script_sig, witness))
}

/// Makes the input final. Only what Core serializes for a final input
/// stays: the UTXOs, the final scripts and unknown or proprietary fields.
pub(super) fn write_final(input: &mut Input, script_sig: ScriptBuf, witness: Witness) {
    let kept = Input {
        non_witness_utxo: input.non_witness_utxo.take(),
        witness_utxo: input.witness_utxo.take(),
        final_script_sig: (!script_sig.is_empty()).then_some(script_sig),
        final_script_witness: (!witness.is_empty()).then_some(witness),
        proprietary: std::mem::take(&mut input.proprietary),
        unknown: std::mem::take(&mut input.unknown),
        ..Input::default()
    };
    *input = kept;
}

/// Finalizes input `index` if its signatures suffice: from our descriptor
/// (with its leaves' pads) when we know it, else by miniscript's inference from the PSBT fields
/// (which needs every input's UTXO). Returns whether it is now final.
pub(super) fn finalize_input(
    psbt: &mut Psbt,
    index: usize,
    desc: Option<&Descriptor<DefiniteDescriptorKey>>,
    pads: &[usize],
    utxo: &TxOut,
    spent: Option<&[TxOut]>,
) -> bool {
    if let Some(d) = desc {
        let Some((script_sig, witness)) = satisfy(psbt, index, d, pads, utxo, spent) else {
            return false;
        };
        if let Some(input) = psbt.inputs.get_mut(index) {
            write_final(input, script_sig, witness);
            return true;
        }
        return false;
    }
    let Some(saved) = psbt.inputs.get(index).cloned() else {
        return false;
    };
    let done = psbt.finalize_inp_mut(crate::keys::secp(), index).is_ok() && {
        let input = &psbt.inputs[index];
        let script_sig = input.final_script_sig.clone().unwrap_or_default();
        let witness = input.final_script_witness.clone().unwrap_or_default();
        verify_input(&psbt.unsigned_tx, index, utxo, &script_sig, &witness, spent).is_ok()
    };
    let input = &mut psbt.inputs[index];
    if done {
        let script_sig = input.final_script_sig.take().unwrap_or_default();
        let witness = input.final_script_witness.take().unwrap_or_default();
        *input = saved;
        write_final(input, script_sig, witness);
    } else {
        *input = saved;
    }
    done
}
