//! File > Load PSBT (bitcoin-qt's `PSBTOperationsDialog`): a PSBT from a
//! file (binary or base64, at most 100 MB) or pasted base64; what it
//! sends, its fee and how complete it is, from the shared PSBT code's
//! analysis; Sign Tx with the chosen wallet (`fillPSBT`), Copy, Save, and
//! Broadcast once fully signed.

use eframe::egui;
use serde_json::Value;

use crate::app::App;
use crate::units::Unit;
use crate::wallets::WalletCommand;

/// bitcoin-qt's limit on a PSBT file.
const MAX_FILE: u64 = 100 * 1024 * 1024;

/// The dialog's state.
#[derive(Debug, Default)]
pub struct PsbtDialog {
    /// Open.
    pub open: bool,
    /// Pasted base64 or a file path.
    pub input: String,
    /// The PSBT loaded.
    pub loaded: Option<psbt::Psbt>,
    /// The last status line: (text, is an error).
    pub status: Option<(String, bool)>,
    /// Where Save writes.
    pub save_path: String,
    /// Passphrase for signing with a locked wallet.
    pub passphrase: String,
}

/// Reads a PSBT from `input`: a path to a file (binary or base64), else
/// base64 text.
pub fn load(input: &str) -> Result<psbt::Psbt, String> {
    let input = input.trim();
    let path = std::path::Path::new(input);
    if path.is_file() {
        let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
        if size > MAX_FILE {
            return Err("PSBT file must be smaller than 100 MiB".into());
        }
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        return if bytes.starts_with(b"psbt\xff") {
            psbt::Psbt::deserialize(&bytes).map_err(|e| e.to_string())
        } else {
            let text = String::from_utf8_lossy(&bytes);
            psbt::Psbt::from_base64(text.trim()).map_err(|e| e.to_string())
        };
    }
    psbt::Psbt::from_base64(input).map_err(|e| e.to_string())
}

/// What the PSBT does, as bitcoin-qt's description lines, and its status.
pub fn describe(p: &psbt::Psbt, unit: Unit, network: bitcoin::Network) -> (Vec<String>, String) {
    let mut lines = Vec::new();
    let mut sent = 0i64;
    if let Some(tx) = p.unsigned_tx() {
        for out in &tx.output {
            let to = bitcoin::Address::from_script(&out.script_pubkey, network)
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "an unknown script".into());
            let v = out.value.to_sat() as i64;
            sent += v;
            lines.push(format!("Sends {} to {to}", unit.format_with_unit(v)));
        }
    }
    let analysis = utility_rpc::psbtrpc::analyze::analyze(p.clone());
    match analysis.get("fee").and_then(Value::as_f64) {
        Some(fee) => {
            let fee = (fee * 1e8).round() as i64;
            lines.push(format!(
                "Pays transaction fee: {}",
                unit.format_with_unit(fee)
            ));
            lines.push(format!(
                "Total Amount: {}",
                unit.format_with_unit(sent + fee)
            ));
        }
        None => {
            lines.push("Unable to calculate transaction fee or total transaction amount.".into())
        }
    }
    let unsigned = analysis
        .get("inputs")
        .and_then(Value::as_array)
        .map_or(0, |ins| {
            ins.iter()
                .filter(|i| i.get("is_final") != Some(&Value::Bool(true)))
                .count()
        });
    if unsigned > 0 {
        lines.push(format!("Transaction has {unsigned} unsigned input(s)."));
    }
    let status = match analysis.get("next").and_then(Value::as_str) {
        Some("updater") | Some("creator") => {
            "Transaction is missing some information about inputs."
        }
        Some("signer") => {
            "Transaction still needs signature(s). (But this wallet cannot sign transactions.)"
        }
        Some("finalizer") | Some("extractor") => {
            "Transaction is fully signed and ready for broadcast."
        }
        _ => "Transaction status is unknown.",
    };
    (lines, status.to_string())
}

/// Draws the dialog.
pub fn show(ui: &mut egui::Ui, app: &mut App) {
    if !app.psbt.open {
        return;
    }
    let unit = app.settings.display_unit;
    let network = app.network;
    let index = app.wallet_index;
    let view = app.wallets.as_ref().map(|w| w.view()).unwrap_or_default();
    let flags = view.wallets.get(index).map(|w| w.flags).unwrap_or_default();
    let d = &mut app.psbt;
    // A signing result replaces the PSBT shown, with bitcoin-qt's words.
    if let (Some((bytes, n, complete)), Some(w)) = (&view.signed_psbt, &app.wallets) {
        match psbt::Psbt::deserialize(bytes) {
            Ok(p) => {
                d.loaded = Some(p);
                let text = match (*n, *complete) {
                    (_, true) => {
                        "Signed transaction successfully. Transaction is ready to broadcast."
                            .to_string()
                    }
                    (0, false) => "Could not sign any more inputs.".to_string(),
                    (n, false) => {
                        format!("Signed {n} input(s), but more signatures are still required.")
                    }
                };
                d.status = Some((text, false));
            }
            Err(e) => d.status = Some((format!("Failed to sign transaction: {e}"), true)),
        }
        w.dismiss(crate::wallets::Dismiss::SignedPsbt);
    }
    let mut open = true;
    let mut broadcast = None;
    let mut sign = None;
    egui::Window::new("PSBT Operations")
        .open(&mut open)
        .default_width(560.0)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                ui.label("PSBT (base64) or file:");
                ui.add(
                    egui::TextEdit::singleline(&mut d.input)
                        .desired_width(360.0)
                        .id_salt("psbt-in"),
                );
                if ui.button("Load").clicked() {
                    match load(&d.input) {
                        Ok(p) => {
                            d.loaded = Some(p);
                            d.status = None;
                        }
                        Err(e) => {
                            d.loaded = None;
                            d.status = Some((format!("Failed to load transaction: {e}"), true));
                        }
                    }
                }
            });
            if let Some(p) = &d.loaded {
                let (lines, status) = describe(p, unit, network);
                ui.separator();
                for l in lines {
                    ui.label(l);
                }
                ui.strong(status);
                ui.horizontal(|ui| {
                    if ui.button("Copy to Clipboard").clicked() {
                        ui.ctx().copy_text(p.to_base64());
                        d.status = Some(("PSBT copied to clipboard.".into(), false));
                    }
                    ui.add(
                        egui::TextEdit::singleline(&mut d.save_path)
                            .hint_text("file.psbt")
                            .desired_width(160.0)
                            .id_salt("psbt-save"),
                    );
                    if ui
                        .add_enabled(!d.save_path.trim().is_empty(), egui::Button::new("Save…"))
                        .clicked()
                    {
                        d.status = Some(match std::fs::write(d.save_path.trim(), p.serialize()) {
                            Ok(()) => ("PSBT saved to disk.".into(), false),
                            Err(e) => (format!("Failed to save: {e}"), true),
                        });
                    }
                    let can_sign = !view.wallets.is_empty() && !flags.private_keys_disabled;
                    if flags.locked {
                        ui.add(
                            egui::TextEdit::singleline(&mut d.passphrase)
                                .password(true)
                                .hint_text("passphrase")
                                .desired_width(100.0)
                                .id_salt("psbt-pass"),
                        );
                    }
                    if ui
                        .add_enabled(can_sign && !view.busy, egui::Button::new("Sign Tx"))
                        .clicked()
                    {
                        sign = Some(p.serialize());
                    }
                    let mut finished = p.clone();
                    let tx = utility_rpc::psbtrpc::roles::finalize_and_extract(&mut finished);
                    if ui
                        .add_enabled(tx.is_some(), egui::Button::new("Broadcast Tx"))
                        .clicked()
                    {
                        broadcast = tx;
                    }
                });
            }
            if let Some((text, error)) = &d.status {
                if *error {
                    ui.colored_label(egui::Color32::from_rgb(200, 0, 0), text);
                } else {
                    ui.label(text);
                }
            }
        });
    open &= !crate::views::escape(ui.ctx());
    if !open {
        *d = PsbtDialog::default();
    }
    if let (Some(tx), Some(w)) = (broadcast, &app.wallets) {
        w.send(WalletCommand::Broadcast(tx));
    }
    if let Some(bytes) = sign {
        let pass = std::mem::take(&mut app.psbt.passphrase);
        if let Some(w) = &app.wallets {
            w.send(WalletCommand::SignPsbt(
                index,
                bytes,
                (!pass.is_empty()).then_some(pass),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn a_psbt_loads_from_text_and_files_and_is_described() {
        let script =
            bitcoin::ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([7; 20]));
        let tx = bitcoin::Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![bitcoin::TxIn::default()],
            output: vec![bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(90_000),
                script_pubkey: script.clone(),
            }],
        };
        let mut p = psbt::Psbt::from_unsigned_tx(&tx, 0);
        let text = p.to_base64();
        assert_eq!(load(&text).unwrap().serialize(), p.serialize());
        let (lines, status) = describe(&p, Unit::Sat, bitcoin::Network::Regtest);
        assert!(
            lines[0].starts_with("Sends 90\u{2009}000 sat to bcrt1q"),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.starts_with("Unable to calculate")));
        assert_eq!(
            status,
            "Transaction is missing some information about inputs."
        );
        // With the coin it spends, the fee is known.
        p.inputs[0].witness_utxo = Some(bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(100_000),
            script_pubkey: script,
        });
        let (lines, status) = describe(&p, Unit::Sat, bitcoin::Network::Regtest);
        assert!(
            lines.contains(&"Pays transaction fee: 10\u{2009}000 sat".to_string()),
            "{lines:?}"
        );
        assert!(
            // Without the key's public half, it still needs an updater.
            status == "Transaction is missing some information about inputs.",
            "{status}"
        );
        let dir = std::env::temp_dir().join(format!("gui-psbt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.psbt");
        std::fs::write(&file, p.serialize()).unwrap();
        assert_eq!(
            load(file.to_str().unwrap()).unwrap().serialize(),
            p.serialize()
        );
        assert!(load("not a psbt").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
