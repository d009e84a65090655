//! Core's `CWallet::FillPSBT` and `DescriptorScriptPubKeyMan::FillPSBT`:
//! every descriptor in turn updates, signs and finalizes the inputs it can,
//! then describes our outputs so signers can recognise change.

use bitcoin::psbt::{Input, Psbt, PsbtSighashType};
use bitcoin::secp256k1::{Parity, XOnlyPublicKey};
use bitcoin::sighash::SighashCache;
use bitcoin::{PublicKey, Script, Transaction, TxOut, Txid};
use miniscript::{DefiniteDescriptorKey, Descriptor};

use super::error::SignError;
use super::finalize::{finalize_input, is_signed, signed_and_verified, spent_outputs};
use super::musig::MuSigSessions;
use super::sighash::{input_sighash, SIGHASH_ANYONECANPAY};
use super::signer::{sign_input, SigningContext};
use super::update::{descriptor_for_script, provider_script_data, ScriptData};
use crate::keys::{DescriptorSpkm, KeyAccess, KeyMap};
use crate::wallet::keystore::Keystore;

/// Core's `PSBTFillOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillOptions {
    /// The sighash type to sign with; `None` means Core's default (taproot
    /// `DEFAULT`, otherwise `ALL`). A PSBT storing another type is refused.
    pub sighash_type: Option<PsbtSighashType>,
    /// Whether to sign (otherwise only update).
    pub sign: bool,
    /// Whether to add BIP32 derivation paths (existing ones are kept).
    pub bip32derivs: bool,
    /// Whether to make complete inputs final.
    pub finalize: bool,
}

impl Default for FillOptions {
    /// Core's defaults: sign, finalize and add derivations.
    fn default() -> Self {
        FillOptions {
            sighash_type: None,
            sign: true,
            bip32derivs: true,
            finalize: true,
        }
    }
}

/// What [`fill_psbt`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillResult {
    /// Every input is final and its scripts verify.
    pub complete: bool,
    /// Core's `n_signed`: per descriptor, the inputs it made final, or when
    /// not signing the inputs it looked at (so an input may count once per
    /// descriptor).
    pub signed_inputs: usize,
}

/// Fills `psbt` from the wallet's descriptors (Core's `CWallet::FillPSBT`).
/// `tx_lookup` answers the wallet's own transactions by id, which become
/// the inputs' previous transactions where they have none. Inputs the
/// wallet has no keys for are left as they are, which is not an error.
pub fn fill_psbt(
    keystore: &Keystore,
    access: KeyAccess<'_>,
    psbt: &mut Psbt,
    opts: &FillOptions,
    tx_lookup: &dyn Fn(&Txid) -> Option<Transaction>,
) -> Result<FillResult, SignError> {
    if psbt.inputs.len() != psbt.unsigned_tx.input.len()
        || psbt.outputs.len() != psbt.unsigned_tx.output.len()
    {
        return Err(SignError::InvalidTx);
    }
    for (input, txin) in psbt.inputs.iter_mut().zip(&psbt.unsigned_tx.input) {
        if !is_signed(input) && input.non_witness_utxo.is_none() {
            // A previous transaction is a superset of the witness UTXO;
            // the signer falls back to the smaller one where it may.
            input.non_witness_utxo = tx_lookup(&txin.previous_output.txid);
        }
    }
    let spent = spent_outputs(psbt);
    let tx = psbt.unsigned_tx.clone();
    let mut cache = SighashCache::new(&tx);
    let mut signed_inputs = 0;
    for spkm in keystore.spkms.values() {
        signed_inputs += fill_with(
            spkm,
            access,
            psbt,
            opts,
            &mut cache,
            spent.as_deref(),
            &keystore.musig_sessions,
        )?;
    }
    remove_unnecessary_transactions(psbt);
    let complete = (0..psbt.inputs.len()).all(|i| signed_and_verified(psbt, i, spent.as_deref()));
    Ok(FillResult {
        complete,
        signed_inputs,
    })
}

/// One descriptor's `FillPSBT`; returns its `n_signed`.
fn fill_with(
    spkm: &DescriptorSpkm,
    access: KeyAccess<'_>,
    psbt: &mut Psbt,
    opts: &FillOptions,
    cache: &mut SighashCache<&Transaction>,
    spent: Option<&[TxOut]>,
    sessions: &MuSigSessions,
) -> Result<usize, SignError> {
    let mut signed = 0;
    for i in 0..psbt.inputs.len() {
        let input = &psbt.inputs[i];
        if is_signed(input) {
            continue;
        }
        let spk = match (&input.witness_utxo, &input.non_witness_utxo) {
            (Some(out), _) => out.script_pubkey.clone(),
            (None, Some(prev)) => {
                let vout = psbt.unsigned_tx.input[i].previous_output.vout;
                usize::try_from(vout)
                    .ok()
                    .and_then(|v| prev.output.get(v))
                    .ok_or(SignError::MissingInputs)?
                    .script_pubkey
                    .clone()
            }
            // Nothing to sign against yet.
            (None, None) => continue,
        };
        let found = keys_for_input(spkm, access, input, &spk, opts.sign)?;
        let signer = InputSigner {
            keys: &found.keys,
            desc: found.desc.as_ref(),
            pads: &found.pads,
            data: found.data.as_ref(),
            sessions,
        };
        sign_psbt_input(psbt, i, &signer, opts, cache, spent)?;
        if is_signed(&psbt.inputs[i]) || !opts.sign {
            // Not signing counts what could be signed, as Core does.
            signed += 1;
        }
    }
    for (output, txout) in psbt.outputs.iter_mut().zip(&psbt.unsigned_tx.output) {
        let spk = &txout.script_pubkey;
        if !spkm.is_mine(spk) {
            continue;
        }
        let Some(provider) = spkm.signing_provider(spk, false, access)? else {
            continue;
        };
        if let Some(data) = provider_script_data(&provider, spk) {
            data.apply_to_output(output, opts.bip32derivs);
        }
    }
    Ok(signed)
}

/// What a descriptor knows of an input.
struct Found {
    /// Private keys (only when signing).
    keys: KeyMap,
    /// The descriptor of the input's script, when ours.
    desc: Option<Descriptor<DefiniteDescriptorKey>>,
    /// The pads of `desc`'s `tr()` leaves.
    pads: Vec<usize>,
    /// What it tells the PSBT input, when ours.
    data: Option<ScriptData>,
}

/// The keys (only when signing), descriptor and data for an input: from
/// the descriptor owning its script, or else the keys behind the public
/// keys the input lists (BIP32 derivations, the taproot output key,
/// taproot derivations), which can sign scripts we do not own.
fn keys_for_input(
    spkm: &DescriptorSpkm,
    access: KeyAccess<'_>,
    input: &Input,
    spk: &Script,
    sign: bool,
) -> Result<Found, SignError> {
    let spk_buf = spk.to_owned();
    if let Some(p) = spkm.signing_provider(&spk_buf, sign, access)? {
        let desc = descriptor_for_script(&p, spk);
        let data = provider_script_data(&p, spk);
        return Ok(Found {
            keys: p.keys,
            desc,
            pads: p.leaf_pads,
            data,
        });
    }
    let mut found = Found {
        keys: KeyMap::new(),
        desc: None,
        pads: Vec::new(),
        data: None,
    };
    if !sign {
        return Ok(found);
    }
    let both =
        |x: XOnlyPublicKey| [Parity::Even, Parity::Odd].map(|p| PublicKey::new(x.public_key(p)));
    let mut pubkeys: Vec<PublicKey> = input
        .bip32_derivation
        .keys()
        .map(|k| PublicKey::new(*k))
        .collect();
    if spk.is_p2tr() {
        if let Some(x) = spk
            .as_bytes()
            .get(2..34)
            .and_then(|b| XOnlyPublicKey::from_slice(b).ok())
        {
            pubkeys.extend(both(x));
        }
    }
    for x in input.tap_key_origins.keys() {
        pubkeys.extend(both(*x));
    }
    // Keys a leaf script names, as Core's signer asks its provider for
    // each key of a leaf it tries (the PSBT may carry no origin for them).
    for (script, _) in input.tap_scripts.values() {
        for push in super::signer::pushes(script) {
            if let Ok(x) = XOnlyPublicKey::from_slice(push) {
                pubkeys.extend(both(x));
            }
        }
    }
    for pk in pubkeys {
        if let Some(p) = spkm.signing_provider_for_pubkey(&pk, access)? {
            found.keys.extend(p.keys);
        }
    }
    Ok(found)
}

/// Whether Core's `ProduceSignature` spends `spk` through a witness: native
/// segwit outputs whose scripts are known, and P2SH-wrapped v0 programs.
fn is_witness_spend(spk: &Script, data: Option<&ScriptData>, input: &Input) -> bool {
    let redeem = input
        .redeem_script
        .as_ref()
        .or(data.and_then(|d| d.redeem_script.as_ref()))
        .filter(|rs| rs.to_p2sh().as_script() == spk);
    let ws_for = |program: &Script| {
        input
            .witness_script
            .iter()
            .chain(data.and_then(|d| d.witness_script.as_ref()))
            .any(|ws| ws.to_p2wsh().as_script() == program)
    };
    if spk.is_p2wpkh() || spk.is_p2tr() {
        return true;
    }
    if spk.is_p2wsh() {
        return ws_for(spk);
    }
    match redeem {
        Some(rs) if rs.is_p2wpkh() => true,
        Some(rs) if rs.is_p2wsh() => ws_for(rs),
        _ => false,
    }
}

/// What one descriptor signs an input with.
struct InputSigner<'a> {
    keys: &'a KeyMap,
    desc: Option<&'a Descriptor<DefiniteDescriptorKey>>,
    /// The pads of `desc`'s `tr()` leaves.
    pads: &'a [usize],
    data: Option<&'a ScriptData>,
    sessions: &'a MuSigSessions,
}

/// Core's `SignPSBTInput` for one input with one descriptor's keys.
/// Incomplete inputs are not an error.
fn sign_psbt_input(
    psbt: &mut Psbt,
    index: usize,
    signer: &InputSigner<'_>,
    opts: &FillOptions,
    cache: &mut SighashCache<&Transaction>,
    spent: Option<&[TxOut]>,
) -> Result<(), SignError> {
    let prevout = psbt.unsigned_tx.input[index].previous_output;
    let input = &mut psbt.inputs[index];
    let (utxo, from_witness_utxo) = match (&input.non_witness_utxo, &input.witness_utxo) {
        (Some(prev), _) => {
            let out = usize::try_from(prevout.vout)
                .ok()
                .and_then(|v| prev.output.get(v))
                .ok_or(SignError::MissingInputs)?;
            if prev.compute_txid() != prevout.txid {
                return Err(SignError::MissingInputs);
            }
            (out.clone(), false)
        }
        (None, Some(out)) => (out.clone(), true),
        (None, None) => return Err(SignError::MissingInputs),
    };
    let sighash = input_sighash(input, &utxo.script_pubkey, opts.sighash_type)?;
    let data = signer.data;
    let witness = is_witness_spend(&utxo.script_pubkey, data, input);
    // A witness UTXO alone cannot be trusted for a signature that does not
    // commit to the amount: Core stops before touching the input.
    if from_witness_utxo && !witness {
        return Ok(());
    }
    if let Some(d) = data {
        d.apply_to_input(input, opts.bip32derivs);
    }
    let mut ctx = SigningContext {
        cache,
        index,
        utxo: &utxo,
        spent,
        sighash,
        musig: Some(signer.sessions),
    };
    sign_input(input, signer.keys, &mut ctx);
    if opts.finalize {
        finalize_input(psbt, index, signer.desc, signer.pads, &utxo, spent);
    }
    if witness {
        psbt.inputs[index].witness_utxo = Some(utxo);
    }
    Ok(())
}

/// Core's `RemoveUnnecessaryTransactions`: previous transactions are
/// dropped only when every input spends a segwit v1+ output and none signs
/// with ANYONECANPAY (v0 and legacy signatures need them to be safe).
fn remove_unnecessary_transactions(psbt: &mut Psbt) {
    let droppable = psbt.inputs.iter().all(|input| {
        let Some(out) = &input.witness_utxo else {
            return false;
        };
        let v1_plus = out.script_pubkey.is_witness_program()
            && out
                .script_pubkey
                .witness_version()
                .is_some_and(|v| v.to_num() != 0);
        let acp = input
            .sighash_type
            .is_some_and(|t| t.to_u32() & SIGHASH_ANYONECANPAY == SIGHASH_ANYONECANPAY);
        v1_plus && !acp
    });
    if droppable {
        for input in &mut psbt.inputs {
            input.non_witness_utxo = None;
        }
    }
}
