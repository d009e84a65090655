//! The Signer, Finalizer and Extractor roles over a whole PSBT, as Core's
//! `SignPSBTInput`, `FinalizePSBT` and `FinalizeAndExtractPSBT`.

use super::signer::{produce_signature, verify_input, Creator, SigData};
use crate::rawtx::sign::Keystore;
use bitcoin::hashes::{hash160, Hash};
use bitcoin::{Transaction, TxOut};
use psbt::{Input, Psbt};

/// The outcome of signing one input (Core's `PSBTError` subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignResult {
    /// The input is complete.
    Ok,
    /// Something is still missing.
    Incomplete,
    /// The spent output is unknown.
    MissingInputs,
    /// The requested sighash differs from the PSBT's.
    SighashMismatch,
    /// No transaction can be built from the PSBT.
    InvalidTx,
}

/// The spent outputs of all inputs, when every one is known (Core's
/// `PrecomputePSBTData`).
pub fn spent_outputs(psbt: &Psbt) -> Option<Vec<TxOut>> {
    psbt.inputs.iter().map(Input::utxo).collect()
}

fn fill_sigdata(input: &Input) -> SigData {
    let mut sd = SigData::default();
    if !input.final_script_sig.is_empty() {
        sd.script_sig = input.final_script_sig.clone();
        sd.complete = true;
    }
    if !input.final_script_witness.is_empty() {
        sd.script_witness = input.final_script_witness.clone();
        sd.complete = true;
    }
    if sd.complete {
        return sd;
    }
    sd.signatures = input.partial_sigs.clone();
    sd.redeem_script = input.redeem_script.clone();
    sd.witness_script = input.witness_script.clone();
    for (pk, origin) in &input.hd_keypaths {
        let id = hash160::Hash::hash(pk).to_byte_array();
        sd.misc_pubkeys
            .entry(id)
            .or_insert((pk.clone(), origin.clone()));
    }
    sd.tap_key_sig = input.tap_key_sig.clone();
    sd.tap_script_sigs = input.tap_script_sigs.clone();
    sd.tap_spend.internal_key = input.tap_internal_key;
    sd.tap_spend.merkle_root = input.tap_merkle_root;
    sd.tap_spend.scripts = input.tap_scripts.clone();
    for (x, v) in &input.tap_bip32_paths {
        sd.tap_misc_pubkeys.insert(*x, v.clone());
        sd.tap_pubkeys
            .insert(hash160::Hash::hash(x).to_byte_array(), *x);
    }
    sd.ripemd160_preimages = input.ripemd160_preimages.clone();
    sd.sha256_preimages = input.sha256_preimages.clone();
    sd.hash160_preimages = input.hash160_preimages.clone();
    sd.hash256_preimages = input.hash256_preimages.clone();
    sd.musig2_participants = input.musig2_participants.clone();
    sd.musig2_pubnonces = input.musig2_pubnonces.clone();
    sd.musig2_partial_sigs = input.musig2_partial_sigs.clone();
    sd
}

fn apply_sigdata(input: &mut Input, sd: &SigData) {
    if sd.complete {
        input.partial_sigs.clear();
        input.hd_keypaths.clear();
        input.redeem_script.clear();
        input.witness_script.clear();
        if !sd.script_sig.is_empty() {
            input.final_script_sig = sd.script_sig.clone();
        }
        if !sd.script_witness.is_empty() {
            input.final_script_witness = sd.script_witness.clone();
        }
        return;
    }
    psbt::fields::merge_map(&mut input.partial_sigs, &sd.signatures);
    if input.redeem_script.is_empty() {
        input.redeem_script = sd.redeem_script.clone();
    }
    if input.witness_script.is_empty() {
        input.witness_script = sd.witness_script.clone();
    }
    for (pk, origin) in sd.misc_pubkeys.values() {
        input
            .hd_keypaths
            .entry(pk.clone())
            .or_insert_with(|| origin.clone());
    }
    if !sd.tap_key_sig.is_empty() {
        input.tap_key_sig = sd.tap_key_sig.clone();
    }
    psbt::fields::merge_map(&mut input.tap_script_sigs, &sd.tap_script_sigs);
    if sd.tap_spend.internal_key.is_some() {
        input.tap_internal_key = sd.tap_spend.internal_key;
    }
    if sd.tap_spend.merkle_root.is_some() {
        input.tap_merkle_root = sd.tap_spend.merkle_root;
    }
    psbt::fields::merge_map(&mut input.tap_scripts, &sd.tap_spend.scripts);
    psbt::fields::merge_map(&mut input.tap_bip32_paths, &sd.tap_misc_pubkeys);
    psbt::fields::merge_map(&mut input.ripemd160_preimages, &sd.ripemd160_preimages);
    psbt::fields::merge_map(&mut input.sha256_preimages, &sd.sha256_preimages);
    psbt::fields::merge_map(&mut input.hash160_preimages, &sd.hash160_preimages);
    psbt::fields::merge_map(&mut input.hash256_preimages, &sd.hash256_preimages);
    psbt::fields::merge_map(&mut input.musig2_participants, &sd.musig2_participants);
    for (k, v) in &sd.musig2_pubnonces {
        psbt::fields::merge_map(input.musig2_pubnonces.entry(k.clone()).or_default(), v);
    }
    for (k, v) in &sd.musig2_partial_sigs {
        psbt::fields::merge_map(input.musig2_partial_sigs.entry(k.clone()).or_default(), v);
    }
}

/// The spent output as the signer may trust it: from the previous
/// transaction when it matches, else the witness UTXO (then a witness
/// signature is required).
fn signing_utxo(input: &Input) -> Option<(TxOut, bool)> {
    if let Some(prev) = &input.non_witness_utxo {
        if prev.compute_txid() != input.prev_txid {
            return None;
        }
        return prev
            .output
            .get(input.prev_out as usize)
            .map(|o| (o.clone(), false));
    }
    input.witness_utxo.clone().map(|o| (o, true))
}

/// Whether input `index` is finalized and its final scripts verify.
pub fn input_signed_and_verified(psbt: &Psbt, index: usize, spent: Option<&[TxOut]>) -> bool {
    let Some(input) = psbt.inputs.get(index) else {
        return false;
    };
    let Some((utxo, _)) = signing_utxo(input) else {
        return false;
    };
    let Some(tx) = psbt.unsigned_tx() else {
        return false;
    };
    verify_input(
        &tx,
        index,
        &input.final_script_sig,
        &input.final_script_witness,
        &utxo,
        spent,
    )
}

/// Options for [`sign_input`].
#[derive(Clone, Copy)]
pub struct SignOptions {
    /// Make real signatures (`false`: dummy ones for size estimates).
    pub real: bool,
    /// The sighash to sign with when the PSBT names none.
    pub sighash: Option<i32>,
    /// Whether to produce final scripts when complete.
    pub finalize: bool,
}

/// Signs (and maybe finalizes) input `index` (Core's `SignPSBTInput`);
/// `missing` receives what is still needed.
pub fn sign_input(
    ks: &Keystore,
    psbt: &mut Psbt,
    index: usize,
    opts: SignOptions,
    missing: Option<&mut SigData>,
) -> SignResult {
    let Some(tx) = psbt.unsigned_tx() else {
        return SignResult::InvalidTx;
    };
    // Without real signing Core has no precomputed data, so a finalized
    // taproot input cannot be verified then.
    let spent = spent_outputs(psbt).filter(|_| opts.real);
    if input_signed_and_verified(psbt, index, spent.as_deref()) {
        return SignResult::Ok;
    }
    let Some(input) = psbt.inputs.get_mut(index) else {
        return SignResult::MissingInputs;
    };
    let mut sd = fill_sigdata(input);
    let Some((utxo, require_witness)) = signing_utxo(input) else {
        return SignResult::MissingInputs;
    };
    let is_tr = utxo.script_pubkey.is_p2tr();
    let sighash = opts.sighash.unwrap_or(if is_tr { 0 } else { 1 });
    if input.sighash_type.is_some_and(|t| t != sighash) {
        return SignResult::SighashMismatch;
    }
    if if is_tr {
        sighash != 0
    } else {
        sighash != 0 && sighash != 1
    } {
        input.sighash_type = Some(sighash);
    }
    if sighash == 0 {
        if (!input.tap_key_sig.is_empty() && input.tap_key_sig.len() != 64)
            || input.tap_script_sigs.values().any(|s| s.len() != 64)
        {
            return SignResult::SighashMismatch;
        }
    } else {
        let bad = |s: &Vec<u8>| s.len() != 65 || s.last().copied() != Some(sighash as u8);
        if (!input.tap_key_sig.is_empty() && bad(&input.tap_key_sig))
            || input.tap_script_sigs.values().any(bad)
            || input
                .partial_sigs
                .values()
                .any(|(_, s)| s.last().copied() != Some(sighash as u8))
        {
            return SignResult::SighashMismatch;
        }
    }
    sd.witness = false;
    let creator = if opts.real {
        Creator::Real {
            tx: &tx,
            index,
            amount: utxo.value.to_sat() as i64,
            spent: spent.as_deref(),
            sighash,
        }
    } else {
        Creator::Dummy
    };
    let complete = produce_signature(ks, &creator, utxo.script_pubkey.as_bytes(), &mut sd);
    if require_witness && !sd.witness {
        return SignResult::Incomplete;
    }
    if !opts.finalize && sd.complete {
        sd.complete = false;
    }
    apply_sigdata(input, &sd);
    if sd.witness {
        input.witness_utxo = Some(utxo);
    }
    if let Some(m) = missing {
        m.missing_pubkeys = sd.missing_pubkeys.clone();
        m.missing_sigs = sd.missing_sigs.clone();
        m.missing_redeem_script = sd.missing_redeem_script;
        m.missing_witness_script = sd.missing_witness_script;
    }
    if complete {
        SignResult::Ok
    } else {
        SignResult::Incomplete
    }
}

/// Finalizes every input it can; `true` if all are complete.
pub fn finalize(psbt: &mut Psbt) -> bool {
    if psbt.unsigned_tx().is_none() {
        return false;
    }
    let ks = Keystore::default();
    let mut complete = true;
    for i in 0..psbt.inputs.len() {
        let opts = SignOptions {
            real: true,
            sighash: psbt.inputs[i].sighash_type,
            finalize: true,
        };
        complete &= sign_input(&ks, psbt, i, opts, None) == SignResult::Ok;
    }
    complete
}

/// Finalizes and, if complete, returns the network transaction.
pub fn finalize_and_extract(psbt: &mut Psbt) -> Option<Transaction> {
    if !finalize(psbt) {
        return None;
    }
    let mut tx = psbt.unsigned_tx()?;
    for (txin, input) in tx.input.iter_mut().zip(&psbt.inputs) {
        txin.script_sig = bitcoin::ScriptBuf::from_bytes(input.final_script_sig.clone());
        txin.witness = bitcoin::Witness::from_slice(&input.final_script_witness);
    }
    Some(tx)
}

/// Drops full previous transactions when every input is segwit v1 and none
/// signs with ANYONECANPAY (Core's `RemoveUnnecessaryTransactions`).
pub fn remove_unnecessary_transactions(psbt: &mut Psbt) {
    let droppable = psbt.inputs.iter().all(|i| {
        let v1 = i
            .witness_utxo
            .as_ref()
            .and_then(|u| {
                crate::script::witness_program(u.script_pubkey.as_bytes()).map(|(v, _)| v)
            })
            .is_some_and(|v| v != 0);
        v1 && i.sighash_type.is_none_or(|t| t & 0x80 == 0)
    });
    if droppable {
        for i in &mut psbt.inputs {
            i.non_witness_utxo = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From Core's wallet_miniscript.py: a PSBT spending
    /// `wsh(andor(ndv:older(2),and_v(v:pk(A),sha256(H)),and_v(v:pkh(B),pk(C))))`
    /// with sequence 2, signed by A, B and C but without the preimage of H.
    const ANDOR_PKH_PSBT: &str = "cHNidP8BAgQCAAAAAQMEAAAAAAEEAQEBBQEBAfsEAgAAAAABAIkCAAAAAU3y3d3P8/xs4DnXlbYLMxtj+McULAyB0pVLBlLrklHjAAAAAAD9////AkBCDwAAAAAAIgAgw453/Nusn9/689kxWHAywaxtJTetJbLz3PwUuTFjoT9oTucpAQAAACJRIEzsvslq+heyMWPTE7eh+ZXZp4UqkX9Z0UdQDRllXr7UyQAAAAEBK0BCDwAAAAAAIgAgw453/Nusn9/689kxWHAywaxtJTetJbLz3PwUuTFjoT8iAgLftpWayJMeg0yJ2Ky6hPluaxsANPnsYY0d/7DzDVeZVkcwRAIgexFQ21jP9+ItEquzsHoWI6bbzI2xvkb3108WYuVxMHACIBfgO4Ebqtj82t6Djr2p/4iazsPBVbhEziY2y/sWodSVASICA+rS7wl3ORVEN5rAk/KWdfwmB+dkhRnVhsfW8yt8EJhfRzBEAiA43HC2OGT/XGWnzV4hZG2S8vBp03xE3eORF3zx0lw9pQIgQrWtqfIDRhmDlVckPFcVLV+kKgHSIm9E452V5pEmmz4BIgIDTJHqWN+q1Y0RuGe+QC7ytyrQJg4/lWQOfZTaDTppSWxHMEQCID4vaSHsELZRo0b9JysEetvsRT6MidcrUemJzC31D4plAiB3B1NlF0bO8g2Wa56X0Pt02/mExR/ZNCE1HY2rtTMUdQEBBZB2Y1KyaWiSZHapFLGEHif9pHvGav20tHtgSa0p80X7iK0hA+rS7wl3ORVEN5rAk/KWdfwmB+dkhRnVhsfW8yt8EJhfrGchAt+2lZrIkx6DTInYrLqE+W5rGwA0+exhjR3/sPMNV5lWrYIBIIioICqM4wGJsuwyALR660/qrI/K18C6FwOJcp9ImLC3kzvLh2giBgLftpWayJMeg0yJ2Ky6hPluaxsANPnsYY0d/7DzDVeZVgQAqNdOIgYDTJHqWN+q1Y0RuGe+QC7ytyrQJg4/lWQOfZTaDTppSWwEsYQeJyIGA+rS7wl3ORVEN5rAk/KWdfwmB+dkhRnVhsfW8yt8EJhfCDQbO7wAAAAAAQ4gvOvUs5rFHjGxcvGIUnOaOOcUUr/vi714S8WL+z9fI2YBDwQAAAAAARAEAgAAAAABAwiguw0AAAAAAAEEFgAUd0teVY+pruBfUdC0EM/9+V3JsTsA";

    /// From Core's wallet_miniscript.py: a PSBT spending the leaf
    /// `and_v(v:pkh(B),pk(C))` of a `tr()` tree, signed by B and C (and by
    /// A for the other leaf).
    const TAP_PKH_PSBT: &str = "cHNidP8BAgQCAAAAAQMEAAAAAAEEAQEBBQEBAfsEAgAAAAABAStAQg8AAAAAACJRIDZtB/2V0BBFes3+yVoP00cQMFOmLpiI9Pfg+uhRXy5MQRRoi3nmg7UysaAu0CPDYQu++5WWVLxQabXkSHVxKqD98r63zZJAzEKoE83iBuCqv7zN/CTJDxsNi26lido7Mp1hQCLtK7CYKrXraai3qo9yJJ3td1wIPt0yPbgZ4GLswUKoYuvvTYFiKnjoZIjtrBOn6HCyqHxuwHSSBWeHNOBmEhNBFLBtH+T7TP1XorICOrCuSwQ0VIdTIqiHC7RLAsdHFcSLDa40soqpeMDRamwBV92LDv8ixtMBl/9uMRHTrS0fyMhAa7UUVnlZ2VZm8u95ZfeHnObQejGNvqXuNfhBWqUoYrluXHhLy+CJCF0+adURzaJ0wFXQDbIGpzyulJu7XJ405UEUukHUN5JOiD0PjEpcdk48yk7c1+6sp1RRgIjl05RRheW+t82SQMxCqBPN4gbgqr+8zfwkyQ8bDYtupYnaOzKdYUDwS3exiSH0INxXV+juV22B8MbqA2txQOXzdNI3ioDzUSD56QCihkswFaRYleAe1mLJWS1IrsWBLvgglW+bXLu+QhXAUBA8Am3tLzCypW2OkO2LMor7YIt7Llw+iX9bqa65EGa+t82SQMxCqBPN4gbgqr+8zfwkyQ8bDYtupYnaOzKdYUUgsG0f5PtM/VeisgI6sK5LBDRUh1MiqIcLtEsCx0cVxIutIKZYil0F7HsngBdb0eSJ5Z3CF7tHIeJhx8Cp1i0DwGqUrMBCFcBQEDwCbe0vMLKlbY6Q7Ysyivtgi3suXD6Jf1uprrkQZg2uNLKKqXjA0WpsAVfdiw7/IsbTAZf/bjER060tH8jIPHapFMpjllJBXXdNNOH/lrMysdOhy+gkiK0gukHUN5JOiD0PjEpcdk48yk7c1+6sp1RRgIjl05RRheWswCEWUBA8Am3tLzCypW2OkO2LMor7YIt7Llw+iX9bqa65EGYJABXUvAMAAAAAIRZoi3nmg7UysaAu0CPDYQu++5WWVLxQabXkSHVxKqD98ikBvrfNkkDMQqgTzeIG4Kq/vM38JMkPGw2LbqWJ2jsynWGxhB4nAAAAACEWpliKXQXseyeAF1vR5InlncIXu0ch4mHHwKnWLQPAapQlAQ2uNLKKqXjA0WpsAVfdiw7/IsbTAZf/bjER060tH8jIoVOcbyEWsG0f5PtM/VeisgI6sK5LBDRUh1MiqIcLtEsCx0cVxIspAQ2uNLKKqXjA0WpsAVfdiw7/IsbTAZf/bjER060tH8jIAKjXTgAAAAAhFrpB1DeSTog9D4xKXHZOPMpO3NfurKdUUYCI5dOUUYXlJQG+t82SQMxCqBPN4gbgqr+8zfwkyQ8bDYtupYnaOzKdYTQbO7wBFyBQEDwCbe0vMLKlbY6Q7Ysyivtgi3suXD6Jf1uprrkQZgEYIIvE4eAAPlRalIricK/xlYmmCS9srUAk1r7Afp3pw+9HAQ4g9CJKS07aUGcqHp2bkd+WXJURsI8vpVmOGIiBVT6+ko0BDwQAAAAAARAE/f///wABAwiguw0AAAAAAAEEFgAU4760F3fB94mpMB81uUzgAZmYSmoA";

    #[test]
    fn finalizes_tapscript_pkh_from_the_taproot_origins() {
        let bytes = psbt::base64::decode(TAP_PKH_PSBT).expect("base64");
        let mut psbt = Psbt::deserialize(&bytes).expect("psbt");
        assert!(finalize(&mut psbt));
        // sig C, sig B, key B, the leaf script, the control block.
        let witness = &psbt.inputs[0].final_script_witness;
        assert_eq!(witness.len(), 5);
        assert_eq!(witness[2].len(), 32);
    }

    #[test]
    fn finalizes_miniscript_with_pkh_from_the_partial_signatures() {
        let bytes = psbt::base64::decode(ANDOR_PKH_PSBT).expect("base64");
        let mut psbt = Psbt::deserialize(&bytes).expect("psbt");
        // The script holds only B's hash: its key comes from the signature
        // map, and the preimage branch is out, so the timelock is dissatisfied.
        assert!(finalize(&mut psbt));
        let witness = &psbt.inputs[0].final_script_witness;
        // sig C, sig B, key B, the dissatisfaction of ndv:older(2), the script.
        assert_eq!(witness.len(), 5);
        assert!(witness[3].is_empty());
    }
}
