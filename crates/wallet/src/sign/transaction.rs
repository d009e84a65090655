//! Core's `CWallet::SignTransaction` (`signrawtransactionwithwallet`):
//! every descriptor in turn signs the inputs it can; inputs that do not
//! verify afterwards get Core's error text, and the RPC's `errors` array
//! is built from them as `SignTransactionResultToJSON` does.

use std::collections::BTreeMap;

use bitcoin::psbt::{Input, Psbt, PsbtSighashType};
use bitcoin::sighash::SighashCache;
use bitcoin::{
    ecdsa, Amount, OutPoint, PublicKey, Script, ScriptBuf, Transaction, TxIn, TxOut, Witness,
};
use consensus::interpreter::{ScriptError, TxChecker};
use serde_json::{json, Value};

use super::error::SignError;
use super::finalize::{satisfy, verify_input};
use super::produce::{produce, Known};
use super::sighash::{SIGHASH_ANYONECANPAY, SIGHASH_SINGLE};
use super::signer::{pushes, sign_input, EcdsaPlan, SigningContext};
use super::update::{descriptor_for_script, provider_script_data};
use crate::keys::{DescriptorSpkm, KeyAccess, KeyMap};
use crate::wallet::keystore::Keystore;

/// Core's `MAX_MONEY`; an input's amount equal to it means the caller did
/// not know the amount (the RPC's `prevtxs` without `amount`).
pub const MAX_MONEY: Amount = Amount::from_sat(21_000_000 * 100_000_000);

/// Core's error for an input whose coin is unknown or spent.
pub const INPUT_NOT_FOUND: &str = "Input not found or already spent";
/// Core's error for a signed segwit input whose amount is unknown.
pub const MISSING_AMOUNT: &str = "Missing amount";

/// What [`sign_transaction`] achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignTxResult {
    /// Core's return value: some descriptor's pass left no input failing.
    /// A wallet without descriptors never completes, even without errors.
    pub complete: bool,
    /// Per input index, why it does not verify (Core's texts).
    pub errors: BTreeMap<usize, String>,
}

/// Core's text for an input that does not verify.
fn error_text(e: ScriptError) -> String {
    match e {
        ScriptError::InvalidStackOperation => {
            "Unable to sign input, invalid stack size (possibly missing key)".into()
        }
        ScriptError::SigNullFail => {
            "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)".into()
        }
        other => other.text().into(),
    }
}

/// Signs what the wallet can of `tx` (Core's `CWallet::SignTransaction`).
/// `coins` holds the unspent outputs the inputs spend; a spent or unknown
/// one is left out. Inputs are rewritten with the scriptSig and witness
/// Core would leave, complete or not.
pub fn sign_transaction(
    keystore: &Keystore,
    access: KeyAccess<'_>,
    tx: &mut Transaction,
    coins: &BTreeMap<OutPoint, TxOut>,
    sighash: PsbtSighashType,
) -> Result<SignTxResult, SignError> {
    // Signature hashes do not depend on other inputs' scripts: one copy
    // without them serves every hash and the PSBT the signer works in.
    let mut base = tx.clone();
    for txin in &mut base.input {
        txin.script_sig = ScriptBuf::new();
        txin.witness = Witness::new();
    }
    let spent: Option<Vec<TxOut>> = tx
        .input
        .iter()
        .map(|i| coins.get(&i.previous_output).cloned())
        .collect();
    let mut errors = BTreeMap::new();
    for spkm in keystore.spkms.values() {
        let pass = Pass {
            spkm,
            access,
            base: &base,
            coins,
            spent: spent.as_deref(),
            sighash: sighash.to_u32(),
        };
        pass.run(tx, &mut errors)?;
        if errors.is_empty() {
            return Ok(SignTxResult {
                complete: true,
                errors,
            });
        }
    }
    Ok(SignTxResult {
        complete: false,
        errors,
    })
}

/// One descriptor's `SignTransaction`.
struct Pass<'a> {
    spkm: &'a DescriptorSpkm,
    access: KeyAccess<'a>,
    base: &'a Transaction,
    coins: &'a BTreeMap<OutPoint, TxOut>,
    spent: Option<&'a [TxOut]>,
    sighash: u32,
}

impl Pass<'_> {
    fn run(
        &self,
        tx: &mut Transaction,
        errors: &mut BTreeMap<usize, String>,
    ) -> Result<(), SignError> {
        // Core signs with the keys of every coin this descriptor owns.
        let mut keys = KeyMap::new();
        let mut pubkeys = Vec::new();
        for coin in self.coins.values() {
            if let Some(p) = self
                .spkm
                .signing_provider(&coin.script_pubkey, true, self.access)?
            {
                keys.extend(p.keys);
                pubkeys.extend(p.pubkeys.into_iter().map(|k| k.pubkey));
            }
        }
        let mut psbt =
            Psbt::from_unsigned_tx(self.base.clone()).map_err(|_| SignError::InvalidTx)?;
        let mut cache = SighashCache::new(self.base);
        let single = self.sighash & !SIGHASH_ANYONECANPAY == SIGHASH_SINGLE;
        for (i, txin) in tx.input.iter_mut().enumerate() {
            let Some(coin) = self.coins.get(&txin.previous_output) else {
                errors.insert(i, INPUT_NOT_FOUND.into());
                continue;
            };
            let verify = |txin: &TxIn| {
                verify_input(
                    self.base,
                    i,
                    coin,
                    &txin.script_sig,
                    &txin.witness,
                    self.spent,
                )
            };
            let complete = verify(txin).is_ok();
            // SIGHASH_SINGLE without a matching output is not signed.
            if !complete && (!single || i < self.base.output.len()) {
                let (script_sig, witness) =
                    self.produce_input(&mut psbt, &mut cache, i, txin, coin, &keys, &pubkeys)?;
                txin.script_sig = script_sig;
                txin.witness = witness;
            }
            // A witness signature commits to the amount.
            if coin.value == MAX_MONEY && !txin.witness.is_empty() {
                errors.insert(i, MISSING_AMOUNT.into());
                continue;
            }
            match verify(txin) {
                Ok(()) => {
                    errors.remove(&i);
                }
                Err(e) => {
                    errors.insert(i, error_text(e));
                }
            }
        }
        Ok(())
    }

    /// The scriptSig and witness for input `i`: complete if our keys and
    /// the signatures already there suffice, else Core's partial layout.
    #[allow(clippy::too_many_arguments)]
    fn produce_input(
        &self,
        psbt: &mut Psbt,
        cache: &mut SighashCache<&Transaction>,
        i: usize,
        txin: &TxIn,
        coin: &TxOut,
        keys: &KeyMap,
        pubkeys: &[PublicKey],
    ) -> Result<(ScriptBuf, Witness), SignError> {
        let spk = &coin.script_pubkey;
        let provider = self.spkm.signing_provider(spk, true, self.access)?;
        let desc = provider
            .as_ref()
            .and_then(|p| descriptor_for_script(p, spk));
        let pads = provider
            .as_ref()
            .map(|p| p.leaf_pads.clone())
            .unwrap_or_default();
        let Some(input) = psbt.inputs.get_mut(i) else {
            return Err(SignError::InvalidTx);
        };
        *input = Input {
            witness_utxo: Some(coin.clone()),
            ..Input::default()
        };
        if let Some(data) = provider.as_ref().and_then(|p| provider_script_data(p, spk)) {
            data.apply_to_input(input, false);
        }
        adopt_scripts(input, spk, txin);
        self.extract_signatures(input, i, txin, coin, pubkeys);
        let mut ctx = SigningContext {
            cache,
            index: i,
            utxo: coin,
            spent: self.spent,
            sighash: self.sighash,
            musig: None,
        };
        sign_input(input, keys, &mut ctx);
        if let Some(done) = desc
            .as_ref()
            .and_then(|d| satisfy(psbt, i, d, &pads, coin, self.spent))
        {
            return Ok(done);
        }
        let input = &psbt.inputs[i];
        Ok(produce(
            spk,
            &Known {
                redeem_script: input.redeem_script.as_deref(),
                witness_script: input.witness_script.as_deref(),
                sigs: &input.partial_sigs,
                pubkeys,
                tap_key_sig: input.tap_key_sig,
            },
        ))
    }

    /// Core's `DataFromTransaction`: ECDSA signatures already in the input
    /// that verify for a key of its script are kept, so a partly signed
    /// multisig gains ours instead of losing theirs.
    fn extract_signatures(
        &self,
        input: &mut Input,
        i: usize,
        txin: &TxIn,
        coin: &TxOut,
        known: &[PublicKey],
    ) {
        let Some(plan) = EcdsaPlan::resolve(
            &coin.script_pubkey,
            input.redeem_script.as_deref(),
            input.witness_script.as_deref(),
        ) else {
            return;
        };
        let items: Vec<Vec<u8>> = pushes(&txin.script_sig)
            .map(<[u8]>::to_vec)
            .chain(txin.witness.iter().map(<[u8]>::to_vec))
            .filter(|v| !v.is_empty())
            .collect();
        let candidates: Vec<PublicKey> = match plan.script() {
            Some(s) => pushes(s)
                .filter_map(|p| PublicKey::from_slice(p).ok())
                .collect(),
            None => items
                .iter()
                .filter_map(|v| PublicKey::from_slice(v).ok())
                .chain(known.iter().copied())
                .collect(),
        };
        let keys: Vec<PublicKey> = candidates
            .into_iter()
            .filter(|k| plan.involves(k))
            .collect();
        if keys.is_empty() {
            return;
        }
        let (code, version) = plan.checker_code();
        let checker = TxChecker::new(self.base, i, coin.value.to_sat(), self.spent.unwrap_or(&[]));
        for item in &items {
            let Ok(sig) = ecdsa::Signature::from_slice(item) else {
                continue;
            };
            if let Some(k) = keys
                .iter()
                .find(|k| checker.check_ecdsa(item, &k.to_bytes(), code.as_bytes(), version))
            {
                input.partial_sigs.entry(*k).or_insert(sig);
            }
        }
    }
}

/// Takes the redeem and witness scripts from what the input already
/// carries (the scriptSig's last push, the witness's last element) when
/// they hash to what the output commits to.
fn adopt_scripts(input: &mut Input, spk: &Script, txin: &TxIn) {
    if spk.is_p2sh() && input.redeem_script.is_none() {
        if let Some(last) = pushes(&txin.script_sig).last() {
            let rs = ScriptBuf::from_bytes(last.to_vec());
            if rs.to_p2sh().as_script() == spk {
                input.redeem_script = Some(rs);
            }
        }
    }
    let program = if spk.is_p2wsh() {
        Some(spk.to_owned())
    } else {
        input.redeem_script.clone().filter(|rs| rs.is_p2wsh())
    };
    if let (Some(program), None) = (program, &input.witness_script) {
        if let Some(last) = txin.witness.last() {
            let ws = ScriptBuf::from_bytes(last.to_vec());
            if ws.to_p2wsh() == program {
                input.witness_script = Some(ws);
            }
        }
    }
}

/// Core's `CTxOut::ToString`, quoted by the missing-amount error.
fn txout_string(out: &TxOut) -> String {
    let sat = out.value.to_sat();
    let hex = hex(out.script_pubkey.as_bytes());
    format!(
        "CTxOut(nValue={}.{:08}, scriptPubKey={})",
        sat / 100_000_000,
        sat % 100_000_000,
        hex.get(..30).unwrap_or(&hex)
    )
}

/// Core's `SignTransactionResultToJSON`: `{hex, complete, errors?}` with
/// one `{txid, vout, witness, scriptSig, sequence, error}` object per
/// failing input. A missing amount is the RPC's type error instead, whose
/// message is returned as `Err`.
pub fn sign_result_json(
    tx: &Transaction,
    result: &SignTxResult,
    coins: &BTreeMap<OutPoint, TxOut>,
) -> Result<Value, String> {
    let mut errors = Vec::new();
    for (&i, message) in &result.errors {
        let Some(txin) = tx.input.get(i) else {
            continue;
        };
        if message == MISSING_AMOUNT {
            let out = coins
                .get(&txin.previous_output)
                .map(txout_string)
                .unwrap_or_default();
            return Err(format!("Missing amount for {out}"));
        }
        let witness: Vec<Value> = txin.witness.iter().map(|w| Value::String(hex(w))).collect();
        errors.push(json!({
            "txid": txin.previous_output.txid.to_string(),
            "vout": txin.previous_output.vout,
            "witness": witness,
            "scriptSig": hex(txin.script_sig.as_bytes()),
            "sequence": txin.sequence.0,
            "error": message,
        }));
    }
    let mut out = json!({
        "hex": bitcoin::consensus::encode::serialize_hex(tx),
        "complete": result.complete,
    });
    if !errors.is_empty() {
        out["errors"] = Value::Array(errors);
    }
    Ok(out)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
