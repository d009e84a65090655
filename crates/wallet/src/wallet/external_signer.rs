//! Wallets whose keys live on an external signer (`createwallet` with
//! `external_signer`; Core's `ExternalSignerScriptPubKeyMan` and the
//! `CWallet` code that calls it): the descriptors a new wallet imports from
//! the signer, showing an address on the device, and signing through it.
//!
//! The signer is found afresh for each use, as in Core: `-signer` must be
//! set and exactly one device connected. The program talks JSON on its
//! stdout (`utility_rpc::external_signer`); nothing it answers is trusted.

use super::import::activate;
use super::{State, Wallet, Writes};
use crate::db::records::flags;
use crate::keys::{DescriptorSpkm, KeyMap, ParsedDescriptor, WalletDescriptor};
use crate::rpc::fund::psbt_io;
use crate::sign::{FillOptions, FillResult, SignError};
use bitcoin::{Address, Transaction};
use serde_json::Value;
use utility_rpc::external_signer::{ExternalSigner, SignTxError};
use utility_rpc::psbtrpc::roles;

/// Why no signer can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerError {
    /// The signer program failed or answered no JSON (Core throws: the
    /// caller fails with this text).
    Command(String),
    /// `-signer` is unset, or not exactly one signer is connected (Core's
    /// `util::Error` from `GetExternalSigner`).
    NotFound(String),
}

impl SignerError {
    /// The text, whichever kind.
    pub fn into_message(self) -> String {
        match self {
            SignerError::Command(m) | SignerError::NotFound(m) => m,
        }
    }
}

/// Core's `GetExternalSigner`: the one signer `-signer` reports.
pub fn find_signer(command: Option<&str>, chain: &str) -> Result<ExternalSigner, SignerError> {
    let Some(command) = command else {
        return Err(SignerError::NotFound(
            "restart bitcoind with -signer=<cmd>".into(),
        ));
    };
    let mut signers = ExternalSigner::enumerate(command, chain).map_err(SignerError::Command)?;
    match signers.len() {
        0 => Err(SignerError::NotFound("No external signers found".into())),
        1 => Ok(signers.remove(0)),
        _ => Err(SignerError::NotFound(
            "More than one external signer found. Please connect only one at a time.".into(),
        )),
    }
}

/// The text of a JSON value as Core's `getValStr` gives it for the
/// descriptor strings a signer answers (strings as they are, other scalars
/// as written, containers empty).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "1".into(),
        _ => String::new(),
    }
}

impl Wallet {
    /// The signer of this wallet, found now.
    fn external_signer(&self) -> Result<ExternalSigner, SignerError> {
        find_signer(self.options.signer.as_deref(), &self.options.chain_name)
    }

    /// Core's `SetupDescriptorScriptPubKeyMans` for an external signer
    /// wallet: the receive and change descriptors of account 0 from the
    /// signer's `getdescriptors`, each imported without keys, topped up
    /// and made active for its output type (descriptors without one are
    /// skipped). Errors carry Core's texts and change nothing on disk.
    pub fn setup_signer_descriptors(&self, state: &mut State) -> Result<Writes, String> {
        let signer = self.external_signer().map_err(SignerError::into_message)?;
        let answer = signer.get_descriptors(0)?;
        let unexpected = || "SetupDescriptorScriptPubKeyMans: Unexpected result".to_string();
        if !answer.is_object() {
            return Err(unexpected());
        }
        let now = u64::try_from(common::time::now_secs()).unwrap_or(0);
        let mut writes = Writes::default();
        for internal in [false, true] {
            let key = if internal { "internal" } else { "receive" };
            let Some(Value::Array(texts)) = answer.get(key) else {
                return Err(unexpected());
            };
            for text in texts.iter().map(value_text) {
                let parsed = ParsedDescriptor::parse_multipath(&text, self.network, false)
                    .map_err(|e| {
                        format!(
                            "SetupDescriptorScriptPubKeyMans: Invalid descriptor \"{text}\" ({e})"
                        )
                    })?;
                // Core keeps the first of a multipath descriptor's expansions.
                let Some((descriptor, _secrets)) = parsed.into_iter().next() else {
                    return Err(format!(
                        "SetupDescriptorScriptPubKeyMans: Invalid descriptor \"{text}\" (empty)"
                    ));
                };
                let Some(output_type) = descriptor.output_type() else {
                    continue;
                };
                // The wallet holds no private keys, whatever the signer sent.
                let wdesc = WalletDescriptor::new(descriptor, now, 0, 0, 0);
                let (spkm, records, _) = DescriptorSpkm::import(
                    wdesc,
                    self.options.keypool_size,
                    &KeyMap::new(),
                    state.key_access(),
                )
                .map_err(|e| e.to_string())?;
                let id = spkm.id();
                state.keys.spkms.insert(id, spkm);
                let all = state.keys.full_writes(id, records);
                writes.keys.descriptors.extend(all.descriptors);
                writes.keys.caches.extend(all.caches);
                writes.keys.keys.extend(all.keys);
                activate(self, state, &mut writes, id, output_type, internal);
                state
                    .ledger
                    .maybe_update_birth_time(i64::try_from(now).unwrap_or(i64::MAX));
                if state.has_flag(flags::BLANK_WALLET) {
                    state.flags &= !flags::BLANK_WALLET;
                    writes.flags = Some(state.flags);
                }
            }
        }
        Ok(writes)
    }

    /// Core's `CWallet::DisplayAddress`: shows `address` on the signer and
    /// checks the device echoes it. Every failure is an error text (the
    /// RPC's `RPC_MISC_ERROR`).
    pub fn display_address(&self, address: &Address) -> Result<(), String> {
        let script = address.script_pubkey();
        // The descriptor is read under the wallet lock; the device, which
        // may wait for a button press, is asked without it.
        let descriptor = {
            let state = self.lock();
            if !state.has_flag(flags::EXTERNAL_SIGNER) || state.keys.managers_of(&script).is_empty()
            {
                return Err("There is no ScriptPubKeyManager for this address".into());
            }
            crate::rpc::addressinfo::wallet_inferred_descriptor(&state, &script).unwrap_or_else(
                || {
                    let params = utility_rpc::address::ChainParams::for_network(self.network);
                    utility_rpc::descriptor::infer(script.as_bytes(), &[], &params)
                },
            )
        };
        let signer = self.external_signer().map_err(SignerError::into_message)?;
        let answer = signer.display_address(&descriptor)?;
        let field = |k: &str| answer.as_object().and_then(|o| o.get(k));
        if let Some(Value::String(error)) = field("error") {
            return Err(format!("Signer returned error: {error}"));
        }
        let Some(Value::String(echoed)) = field("address") else {
            return Err("Signer did not echo address".into());
        };
        if *echoed != address.to_string() {
            return Err(format!("Signer echoed unexpected address {echoed}"));
        }
        Ok(())
    }

    /// Core's `CWallet::FillPSBT` for this wallet: its descriptors update
    /// and sign `psbt`, except that an external signer wallet asked to sign
    /// hands the PSBT, as a version `version` PSBT, to its signer.
    pub fn fill_psbt(
        &self,
        state: &State,
        psbt: &mut bitcoin::psbt::Psbt,
        opts: &FillOptions,
        version: u32,
    ) -> Result<FillResult, SignError> {
        if opts.sign && state.has_flag(flags::EXTERNAL_SIGNER) {
            return self.fill_psbt_with_signer(state, psbt, opts, version);
        }
        let lookup = |t: &bitcoin::Txid| state.ledger.get(t).map(|e| e.tx().clone());
        crate::sign::fill_psbt(&state.keys, state.key_access(), psbt, opts, &lookup)
    }

    /// Core's `ExternalSignerScriptPubKeyMan::FillPSBT` when signing, inside
    /// `CWallet::FillPSBT`: the wallet's previous transactions are added,
    /// and unless every input is final already the signer's answer replaces
    /// the PSBT, then finalized where it can be. The PSBT is expected to
    /// carry the derivations already (the callers fill it without signing
    /// first). Core asks once per descriptor while the PSBT stays
    /// incomplete; one answer is taken here.
    fn fill_psbt_with_signer(
        &self,
        state: &State,
        psbt: &mut bitcoin::psbt::Psbt,
        opts: &FillOptions,
        version: u32,
    ) -> Result<FillResult, SignError> {
        if psbt.inputs.len() != psbt.unsigned_tx.input.len()
            || psbt.outputs.len() != psbt.unsigned_tx.output.len()
        {
            return Err(SignError::InvalidTx);
        }
        let mut p = psbt_io::to_version(psbt, version).map_err(|_| SignError::InvalidTx)?;
        for input in &mut p.inputs {
            if !input.is_finalized() && input.non_witness_utxo.is_none() {
                input.non_witness_utxo = state
                    .ledger
                    .get(&input.prev_txid)
                    .map(|e| Transaction::clone(e.tx()));
            }
        }
        let complete_already = p.inputs.iter().all(|i| i.is_finalized());
        if !state.keys.spkms.is_empty() && !complete_already {
            let signer = self.external_signer().map_err(|e| match e {
                SignerError::Command(m) => SignError::ExternalSignerCommand(m),
                SignerError::NotFound(m) => {
                    tracing::warn!("{m}");
                    SignError::ExternalSignerNotFound
                }
            })?;
            signer.sign_transaction(&mut p).map_err(|e| match e {
                SignTxError::Command(m) => SignError::ExternalSignerCommand(m),
                SignTxError::Failed(m) => {
                    tracing::warn!("Failed to sign: {m}");
                    SignError::ExternalSignerFailed
                }
            })?;
            if opts.finalize {
                roles::finalize(&mut p);
            }
        }
        roles::remove_unnecessary_transactions(&mut p);
        let spent = roles::spent_outputs(&p);
        let complete =
            (0..p.inputs.len()).all(|i| roles::input_signed_and_verified(&p, i, spent.as_deref()));
        *psbt = psbt_io::to_signer(&p).map_err(|e| {
            tracing::warn!("Failed to sign: {}", e.message);
            SignError::ExternalSignerFailed
        })?;
        Ok(FillResult {
            complete,
            signed_inputs: 0,
        })
    }

    /// Core's `feebumper::SignTransaction`: an external signer wallet fills
    /// a PSBT of `tx` without signing, has the signer sign it and takes the
    /// final transaction (which is the signer's, whatever it changed);
    /// other wallets sign with their own keys. `false` when incomplete or
    /// refused; an error when the signer program failed (Core throws).
    pub fn sign_bump(&self, state: &State, tx: &mut Transaction) -> Result<bool, String> {
        if !state.has_flag(flags::EXTERNAL_SIGNER) {
            return Ok(self.sign_own(state, tx).is_ok());
        }
        let Ok(mut psbt) = psbt_io::blank(tx) else {
            return Ok(false);
        };
        let mut opts = FillOptions {
            sign: false,
            ..FillOptions::default()
        };
        // Core ignores this first pass's errors: the signing pass meets them.
        let _ = self.fill_psbt(state, &mut psbt, &opts, 2);
        opts.sign = true;
        opts.bip32derivs = false;
        match self.fill_psbt(state, &mut psbt, &opts, 2) {
            Ok(_) => {}
            Err(SignError::ExternalSignerCommand(m)) => return Err(m),
            Err(_) => return Ok(false),
        }
        let Ok(mut out) = psbt_io::to_version(&psbt, 2) else {
            return Ok(false);
        };
        match roles::finalize_and_extract(&mut out) {
            Some(signed) => {
                *tx = signed;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_signer_command_asks_for_a_restart() {
        assert_eq!(
            find_signer(None, "regtest"),
            Err(SignerError::NotFound(
                "restart bitcoind with -signer=<cmd>".into()
            ))
        );
    }

    #[test]
    fn exactly_one_signer_is_wanted() {
        let none = "/bin/sh -c echo${IFS}[]";
        assert_eq!(
            find_signer(Some(none), "regtest"),
            Err(SignerError::NotFound("No external signers found".into()))
        );
        let two =
            r#"/bin/sh -c echo${IFS}'[{"fingerprint":"00000001"},{"fingerprint":"00000002"}]'"#;
        assert_eq!(
            find_signer(Some(two), "regtest"),
            Err(SignerError::NotFound(
                "More than one external signer found. Please connect only one at a time.".into()
            ))
        );
        let one = r#"/bin/sh -c echo${IFS}'[{"fingerprint":"00000001"}]'"#;
        assert_eq!(
            find_signer(Some(one), "regtest").unwrap().fingerprint(),
            "00000001"
        );
        let Err(SignerError::Command(e)) = find_signer(Some("/nonexistent"), "regtest") else {
            panic!("a missing program is a command error");
        };
        assert_eq!(e, "execve failed: No such file or directory");
    }

    #[test]
    fn descriptor_texts_as_core_reads_them() {
        assert_eq!(value_text(&serde_json::json!("wpkh(x)")), "wpkh(x)");
        assert_eq!(value_text(&serde_json::json!(12)), "12");
        assert_eq!(value_text(&serde_json::json!({"a": 1})), "");
    }
}
