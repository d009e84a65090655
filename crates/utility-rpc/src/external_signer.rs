//! External signers: hardware wallets reached through a helper program
//! named by `-signer` (such as HWI), as Core's `ExternalSigner`. The
//! program is run once per question (`enumerate`, `getdescriptors`,
//! `displayaddress`, `signtx`) and answers one JSON value on its first
//! line of output (see Core's `doc/external-signer.md` for the protocol).
//!
//! Every answer is untrusted input: a wrong shape is an error with Core's
//! text, never a panic.

use common::run_command::{run_command_parse_json, split_command};
use rpc::method::json_type_name;
use serde_json::Value;

/// One signer found by [`ExternalSigner::enumerate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSigner {
    /// The `-signer` command, split into program and arguments.
    command: Vec<String>,
    /// Core's chain name passed as `--chain` ("main", "test", "regtest", …).
    chain: String,
    /// The master key fingerprint: 8 hex characters, as the signer wrote it.
    fingerprint: String,
    /// The device name: the model the signer reported, or empty.
    name: String,
}

/// Why [`ExternalSigner::sign_transaction`] gave no PSBT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignTxError {
    /// The signer program could not be run or did not answer JSON. Core
    /// throws here, so the RPC fails with this text.
    Command(String),
    /// The signer was asked and refused, or its answer was not a PSBT
    /// (Core's `false` with an error text; the wallet reports "External
    /// signer failed to sign" and logs the text).
    Failed(String),
}

/// The value of `key` when `v` is an object holding a non-null one (Core's
/// `find_value`, where a missing key and `null` are alike).
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_object()
        .and_then(|o| o.get(key))
        .filter(|f| !f.is_null())
}

impl ExternalSigner {
    /// Core's `Enumerate`: runs `<command> enumerate` and lists the signers
    /// it reports, skipping repeated fingerprints. Any signer reporting an
    /// error, or an entry without a valid fingerprint, fails the whole list.
    pub fn enumerate(command: &str, chain: &str) -> Result<Vec<ExternalSigner>, String> {
        let mut args = split_command(command);
        args.push("enumerate".into());
        let Value::Array(entries) = run_command_parse_json(&args, "")? else {
            return Err(format!(
                "'{command}' received invalid response, expected array of signers"
            ));
        };
        let mut signers: Vec<ExternalSigner> = Vec::new();
        for entry in &entries {
            if let Some(error) = field(entry, "error") {
                return Err(match error.as_str() {
                    Some(text) => format!("'{command}' error: {text}"),
                    None => format!("'{command}' error"),
                });
            }
            let Some(fingerprint) = field(entry, "fingerprint") else {
                return Err(format!(
                    "'{command}' received invalid response, missing signer fingerprint"
                ));
            };
            let Some(fingerprint) = fingerprint.as_str() else {
                return Err(format!(
                    "JSON value of type {} is not of expected type string",
                    json_type_name(fingerprint)
                ));
            };
            if fingerprint.len() != 8 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "'{command}' received invalid fingerprint, must be 8 hex characters"
                ));
            }
            if signers.iter().any(|s| s.fingerprint == fingerprint) {
                continue;
            }
            let name = field(entry, "model")
                .and_then(Value::as_str)
                .unwrap_or_default();
            signers.push(ExternalSigner {
                command: args[..args.len() - 1].to_vec(),
                chain: chain.to_string(),
                fingerprint: fingerprint.to_string(),
                name: name.to_string(),
            });
        }
        Ok(signers)
    }

    /// The master key fingerprint (8 hex characters).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The device name (the model the signer reported; may be empty).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The command with the arguments naming this signer and the chain.
    fn signer_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = self.command.clone();
        args.extend(["--fingerprint", &self.fingerprint, "--chain", &self.chain].map(String::from));
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Core's `DisplayAddress`: asks the device to show the address of
    /// `descriptor` (a single-key descriptor with key origin); returns the
    /// signer's answer as it came.
    pub fn display_address(&self, descriptor: &str) -> Result<Value, String> {
        run_command_parse_json(
            &self.signer_args(&["displayaddress", "--desc", descriptor]),
            "",
        )
    }

    /// Core's `GetDescriptors`: the signer's receive and change descriptors
    /// for BIP32 `account`, as it answered them.
    pub fn get_descriptors(&self, account: u32) -> Result<Value, String> {
        let account = account.to_string();
        run_command_parse_json(
            &self.signer_args(&["getdescriptors", "--account", &account]),
            "",
        )
    }

    /// Core's `SignTransaction`: when an input names this signer's master
    /// key in a BIP32 or taproot derivation, the PSBT goes to the signer
    /// (`signtx <base64>` on its stdin) and its answer replaces `psbt`.
    pub fn sign_transaction(&self, psbt: &mut ::psbt::Psbt) -> Result<(), SignTxError> {
        let encoded = psbt.to_base64();
        let ours = |fingerprint: &[u8; 4]| hex::encode(fingerprint) == self.fingerprint;
        let matches = psbt.inputs.iter().any(|input| {
            input.hd_keypaths.values().any(|o| ours(&o.fingerprint))
                || input
                    .tap_bip32_paths
                    .values()
                    .any(|(_, o)| ours(&o.fingerprint))
        });
        if !matches {
            return Err(SignTxError::Failed(format!(
                "Signer fingerprint {} does not match any of the inputs:\n{encoded}",
                self.fingerprint
            )));
        }
        let mut args = self.command.clone();
        args.extend(
            [
                "--stdin",
                "--fingerprint",
                &self.fingerprint,
                "--chain",
                &self.chain,
            ]
            .map(String::from),
        );
        let answer = run_command_parse_json(&args, &format!("signtx {encoded}"))
            .map_err(SignTxError::Command)?;
        if let Some(error) = field(&answer, "error").and_then(Value::as_str) {
            return Err(SignTxError::Failed(error.to_string()));
        }
        let Some(text) = field(&answer, "psbt").and_then(Value::as_str) else {
            return Err(SignTxError::Failed("Unexpected result from signer".into()));
        };
        *psbt = ::psbt::Psbt::from_base64(text)
            .map_err(|e| SignTxError::Failed(format!("TX decode failed {e}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A signer program: a shell script answering `enumerate` with
    /// `enumerate_answer` and `signtx` by printing `sign_answer`, and
    /// recording its arguments and stdin in `log`.
    struct Script {
        dir: tempfile::TempDir,
    }

    impl Script {
        fn new(enumerate_answer: &str, other_answer: &str) -> Script {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("signer.sh");
            let mut f = std::fs::File::create(&path).unwrap();
            let log = dir.path().join("log");
            write!(
                f,
                "#!/bin/sh\necho \"$@\" >> {log}\nif [ \"$1\" = enumerate ]; then echo '{enumerate_answer}'; exit 0; fi\ncat >> {log}\necho >> {log}\necho '{other_answer}'\n",
                log = log.display()
            )
            .unwrap();
            drop(f);
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            Script { dir }
        }

        fn command(&self) -> String {
            format!("/bin/sh {}", self.dir.path().join("signer.sh").display())
        }

        fn log(&self) -> String {
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        }
    }

    fn enumerate(answer: &str) -> Result<Vec<ExternalSigner>, String> {
        let s = Script::new(answer, "{}");
        ExternalSigner::enumerate(&s.command(), "regtest")
            .map_err(|e| e.replace(&s.command(), "CMD"))
    }

    #[test]
    fn enumerate_lists_signers_once_per_fingerprint() {
        let signers = enumerate(
            r#"[{"fingerprint": "00000001", "model": "trezor_t"}, {"fingerprint": "00000001", "model": "x"}, {"fingerprint": "0000000a"}]"#,
        )
        .unwrap();
        let seen: Vec<(&str, &str)> = signers
            .iter()
            .map(|s| (s.fingerprint(), s.name()))
            .collect();
        assert_eq!(seen, [("00000001", "trezor_t"), ("0000000a", "")]);
    }

    #[test]
    fn enumerate_refuses_bad_answers_with_cores_texts() {
        assert_eq!(
            enumerate(r#"{"fingerprint": "00000001"}"#).unwrap_err(),
            "'CMD' received invalid response, expected array of signers"
        );
        assert_eq!(
            enumerate(r#"[{"error": "fingerprint not found"}]"#).unwrap_err(),
            "'CMD' error: fingerprint not found"
        );
        assert_eq!(enumerate(r#"[{"error": 5}]"#).unwrap_err(), "'CMD' error");
        assert_eq!(
            enumerate(r#"[{"model": "x"}]"#).unwrap_err(),
            "'CMD' received invalid response, missing signer fingerprint"
        );
        assert_eq!(
            enumerate(r#"[{"fingerprint": 1}]"#).unwrap_err(),
            "JSON value of type number is not of expected type string"
        );
        for bad in ["", "0000001", "000000001", "0000000g", "zzzzzzzz"] {
            assert_eq!(
                enumerate(&format!(r#"[{{"fingerprint": "{bad}"}}]"#)).unwrap_err(),
                "'CMD' received invalid fingerprint, must be 8 hex characters"
            );
        }
        assert_eq!(
            enumerate("[1]").unwrap_err(),
            "'CMD' received invalid response, missing signer fingerprint"
        );
    }

    /// A version 2 PSBT with one input whose derivation names `fingerprint`.
    fn psbt_for(fingerprint: [u8; 4]) -> ::psbt::Psbt {
        let tx = bitcoin::Transaction {
            version: bitcoin::transaction::Version(2),
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![bitcoin::TxIn::default()],
            output: vec![],
        };
        let mut p = ::psbt::Psbt::from_unsigned_tx(&tx, 2);
        let mut key = vec![2u8];
        key.extend([7u8; 32]);
        p.inputs[0].hd_keypaths.insert(
            key,
            ::psbt::fields::KeyOrigin {
                fingerprint,
                path: vec![0x8000_0054, 1],
            },
        );
        p
    }

    #[test]
    fn sign_transaction_sends_the_psbt_and_takes_the_answer() {
        let answer = psbt_for([9, 9, 9, 9]).to_base64();
        let s = Script::new(
            r#"[{"fingerprint": "00000001"}]"#,
            &format!(r#"{{"psbt": "{answer}", "complete": true}}"#),
        );
        let signer = ExternalSigner::enumerate(&s.command(), "regtest")
            .unwrap()
            .remove(0);
        let mut p = psbt_for([0, 0, 0, 1]);
        let sent = p.to_base64();
        signer.sign_transaction(&mut p).unwrap();
        assert_eq!(p.to_base64(), answer);
        assert!(s.log().contains(&format!(
            "--stdin --fingerprint 00000001 --chain regtest\nsigntx {sent}\n"
        )));
    }

    #[test]
    fn sign_transaction_refusals() {
        let sign = |answer: &str, fingerprint: [u8; 4]| {
            let s = Script::new(r#"[{"fingerprint": "00000001"}]"#, answer);
            let signer = ExternalSigner::enumerate(&s.command(), "regtest")
                .unwrap()
                .remove(0);
            signer.sign_transaction(&mut psbt_for(fingerprint))
        };
        let Err(SignTxError::Failed(e)) = sign("{}", [0, 0, 0, 2]) else {
            panic!("a foreign fingerprint is refused");
        };
        assert!(e.starts_with("Signer fingerprint 00000001 does not match any of the inputs:\n"));
        assert_eq!(
            sign(r#"{"error": "user declined"}"#, [0, 0, 0, 1]),
            Err(SignTxError::Failed("user declined".into()))
        );
        assert_eq!(
            sign(r#"{"psbt": 1}"#, [0, 0, 0, 1]),
            Err(SignTxError::Failed("Unexpected result from signer".into()))
        );
        let Err(SignTxError::Failed(e)) = sign(r#"{"psbt": "AAAA"}"#, [0, 0, 0, 1]) else {
            panic!("a bad PSBT is refused");
        };
        assert!(e.starts_with("TX decode failed"), "{e}");
        let Err(SignTxError::Command(e)) = sign("not json", [0, 0, 0, 1]) else {
            panic!("no JSON is a command error");
        };
        assert_eq!(e, "Unable to parse JSON: not json");
    }

    #[test]
    fn questions_name_the_signer_and_chain() {
        let s = Script::new(r#"[{"fingerprint": "00000001"}]"#, r#"{"address": "x"}"#);
        let signer = ExternalSigner::enumerate(&s.command(), "test")
            .unwrap()
            .remove(0);
        assert_eq!(
            signer.display_address("wpkh(K)").unwrap(),
            serde_json::json!({"address": "x"})
        );
        signer.get_descriptors(3).unwrap();
        let log = s.log();
        assert!(log.contains("--fingerprint 00000001 --chain test displayaddress --desc wpkh(K)\n"));
        assert!(log.contains("--fingerprint 00000001 --chain test getdescriptors --account 3\n"));
    }
}
