//! The wallet menu's dialogs: Create, Close, Backup, Restore, Encrypt,
//! Change Passphrase, Sign and Verify Message (bitcoin-qt's
//! `CreateWalletDialog`, `AskPassphraseDialog`, `SignVerifyMessageDialog`
//! and the `WalletController` questions). Each is a window whose fields
//! live in [`Dialogs`]; the work goes to the wallets' thread.

use eframe::egui;

use crate::app::App;
use crate::wallets::{CreateOptions, Dismiss, WalletCommand, WalletsView};

/// bitcoin-qt's passphrase limit.
const MAX_PASSPHRASE: usize = 1024;

/// Which dialog is open, with its fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Dialog {
    /// None.
    #[default]
    None,
    /// Create Wallet.
    Create(CreateOptions, String),
    /// Close the wallet at this index?
    Close(usize),
    /// Close every wallet?
    CloseAll,
    /// Backup: destination path.
    Backup(String),
    /// Restore: backup file and name.
    Restore(String, String),
    /// Encrypt: passphrase twice.
    Encrypt(String, String),
    /// Change passphrase: old, new twice.
    ChangePassphrase(String, String, String),
    /// Sign message: address, message, passphrase.
    Sign(String, String, String),
    /// Verify message: address, message, signature, and the result.
    Verify(String, String, String, Option<Result<String, String>>),
    /// Open URI: the URI.
    OpenUri(String),
}

/// The open dialog and whether its first field takes the keyboard.
#[derive(Debug, Default)]
pub struct Dialogs {
    /// The dialog.
    pub open: Dialog,
    /// Focus its first field on the next frame.
    pub focus: bool,
}

impl Dialogs {
    /// Opens `dialog` with the keyboard on its first field.
    pub fn show(&mut self, dialog: Dialog) {
        self.open = dialog;
        self.focus = true;
    }
}

fn field(ui: &mut egui::Ui, label: &str, text: &mut String, secret: bool, focus: &mut bool) {
    ui.label(label);
    let r = ui.add(
        egui::TextEdit::singleline(text)
            .password(secret)
            .char_limit(MAX_PASSPHRASE)
            .desired_width(300.0)
            .id_salt(label),
    );
    if std::mem::take(focus) {
        r.request_focus();
    }
    ui.end_row();
}

/// The File menu's wallet items (bitcoin-qt's order): Create, Open ▸,
/// Close, Close All, Restore, Backup, Sign and Verify Message.
pub fn file_menu(ui: &mut egui::Ui, app: &mut App) {
    let view = app.wallets.as_ref().map(|w| w.view()).unwrap_or_default();
    let available = view.available;
    let loaded = !view.wallets.is_empty();
    if ui
        .add_enabled(available, egui::Button::new("Create Wallet…"))
        .clicked()
    {
        app.open_create_dialog();
    }
    let open_menu = ui.add_enabled_ui(available, |ui| {
        ui.menu_button("Open Wallet", |ui| {
            if view.wallet_dir.is_empty() {
                ui.label("(no wallets found)");
            }
            for (name, format) in &view.wallet_dir {
                let shown = if name.is_empty() {
                    "[default wallet]".to_string()
                } else {
                    name.clone()
                };
                let is_loaded = view.wallets.iter().any(|w| &w.name == name);
                let text = if format == "bdb" {
                    format!("{shown} (needs migration)")
                } else {
                    shown
                };
                if ui
                    .add_enabled(!is_loaded && format != "bdb", egui::Button::new(text))
                    .clicked()
                {
                    if let Some(w) = &app.wallets {
                        w.send(WalletCommand::Open(name.clone()));
                    }
                    ui.close();
                }
            }
        })
    });
    // The list is read when the submenu opens, as bitcoin-qt reads it.
    if open_menu.inner.response.hovered() || open_menu.inner.response.clicked() {
        if let Some(w) = app.wallets.as_ref().filter(|_| !view.busy) {
            if view.wallet_dir.is_empty() {
                w.ask(WalletCommand::ListDir);
            }
        }
    }
    let index = app.wallet_index;
    let items = [
        ("Close Wallet…", loaded, Dialog::Close(index)),
        ("Close All Wallets…", loaded, Dialog::CloseAll),
        (
            "Restore Wallet…",
            available,
            Dialog::Restore(String::new(), String::new()),
        ),
        ("Backup Wallet…", loaded, Dialog::Backup(String::new())),
        (
            "Sign message…",
            loaded,
            Dialog::Sign(String::new(), String::new(), String::new()),
        ),
        (
            "Verify message…",
            loaded,
            Dialog::Verify(String::new(), String::new(), String::new(), None),
        ),
    ];
    for (label, enabled, dialog) in items {
        if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
            app.dialogs.show(dialog);
            ui.close();
        }
    }
    if ui
        .add_enabled(loaded, egui::Button::new("Load PSBT…"))
        .clicked()
    {
        app.psbt.open = true;
        ui.close();
    }
    ui.separator();
}

/// The Window menu's wallet items: the sending and receiving address books.
pub fn window_menu(ui: &mut egui::Ui, app: &mut App) {
    use crate::views::address_book::Book;
    let loaded = app
        .wallets
        .as_ref()
        .is_some_and(|w| !w.view().wallets.is_empty());
    for (label, book) in [
        ("Sending addresses", Book::Sending),
        ("Receiving addresses", Book::Receiving),
    ] {
        if ui.add_enabled(loaded, egui::Button::new(label)).clicked() {
            app.address_book.open = Some(book);
            ui.close();
        }
    }
    ui.separator();
}

/// The Settings menu's wallet items: Encrypt Wallet, Change Passphrase,
/// Lock, Mask values.
pub fn settings_menu(ui: &mut egui::Ui, app: &mut App) {
    let view = app.wallets.as_ref().map(|w| w.view()).unwrap_or_default();
    let flags = view
        .wallets
        .get(app.wallet_index)
        .map(|w| w.flags)
        .unwrap_or_default();
    let loaded = !view.wallets.is_empty();
    if ui
        .add_enabled(
            loaded && !flags.crypted && !flags.private_keys_disabled,
            egui::Button::new("Encrypt Wallet…"),
        )
        .clicked()
    {
        app.dialogs
            .show(Dialog::Encrypt(String::new(), String::new()));
        ui.close();
    }
    if ui
        .add_enabled(
            loaded && flags.crypted,
            egui::Button::new("Change Passphrase…"),
        )
        .clicked()
    {
        app.dialogs.show(Dialog::ChangePassphrase(
            String::new(),
            String::new(),
            String::new(),
        ));
        ui.close();
    }
    if ui
        .add_enabled(
            loaded && flags.crypted && !flags.locked,
            egui::Button::new("Lock Wallet"),
        )
        .clicked()
    {
        if let Some(w) = &app.wallets {
            w.send(WalletCommand::Lock(app.wallet_index));
        }
        ui.close();
    }
}

/// Draws the open dialog for the wallet at `index`.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let Some(wallets) = app.wallets.clone() else {
        return;
    };
    let name = view
        .wallets
        .get(index)
        .map_or("", |w| w.display_name())
        .to_string();
    let network = app.network;
    let d = &mut app.dialogs;
    let mut open = true;
    let mut done: Option<WalletCommand> = None;
    let mut close = false;
    let mut uri = None;
    let title = match &d.open {
        Dialog::None => return,
        Dialog::Create(..) => "Create Wallet",
        Dialog::Close(_) => "Close wallet",
        Dialog::CloseAll => "Close all wallets",
        Dialog::Backup(_) => "Backup Wallet",
        Dialog::Restore(..) => "Restore Wallet",
        Dialog::Encrypt(..) => "Encrypt wallet",
        Dialog::ChangePassphrase(..) => "Change passphrase",
        Dialog::Sign(..) => "Sign Message",
        Dialog::Verify(..) => "Verify Message",
        Dialog::OpenUri(_) => "Open URI",
    };
    egui::Window::new(title)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .open(&mut open)
        .collapsible(false)
        .show(ui.ctx(), |ui| {
            let focus = &mut d.focus;
            match &mut d.open {
                Dialog::None => {}
                Dialog::Create(o, again) => {
                    egui::Grid::new("create").num_columns(2).show(ui, |ui| {
                        field(ui, "Wallet Name", &mut o.name, false, focus);
                    });
                    let mut encrypt = !o.passphrase.is_empty() || !again.is_empty();
                    ui.checkbox(&mut encrypt, "Encrypt Wallet");
                    if encrypt {
                        egui::Grid::new("create-pass").num_columns(2).show(ui, |ui| {
                            field(ui, "New passphrase", &mut o.passphrase, true, &mut false);
                            field(ui, "Repeat new passphrase", again, true, &mut false);
                        });
                    }
                    ui.checkbox(&mut o.disable_private_keys, "Disable Private Keys");
                    ui.checkbox(&mut o.blank, "Make Blank Wallet");
                    let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let ok = !o.name.trim().is_empty() && (o.passphrase == *again);
                    if encrypt && o.passphrase != *again {
                        ui.colored_label(egui::Color32::from_rgb(200, 0, 0), "The supplied passphrases do not match.");
                    }
                    let clicked = ui.add_enabled(ok, egui::Button::new("Create")).clicked();
                    if ok && (clicked || enter) {
                        let mut o = o.clone();
                        o.name = o.name.trim().to_string();
                        done = Some(WalletCommand::Create(o));
                    }
                }
                Dialog::Close(i) => {
                    ui.label(format!("Are you sure you wish to close the wallet \"{name}\"?"));
                    ui.label("Closing the wallet for too long can result in having to resync the entire chain if pruning is enabled.");
                    if ui.button("Yes").clicked() {
                        done = Some(WalletCommand::Close(*i));
                    }
                }
                Dialog::CloseAll => {
                    ui.label("Are you sure you wish to close all wallets?");
                    if ui.button("Yes").clicked() {
                        done = Some(WalletCommand::CloseAll);
                    }
                }
                Dialog::Backup(path) => {
                    egui::Grid::new("backup").num_columns(2).show(ui, |ui| {
                        field(ui, "Wallet Data (*.dat)", path, false, focus);
                    });
                    if ui.add_enabled(!path.trim().is_empty(), egui::Button::new("Save")).clicked() {
                        done = Some(WalletCommand::Backup(index, path.trim().to_string()));
                    }
                }
                Dialog::Restore(file, wallet_name) => {
                    egui::Grid::new("restore").num_columns(2).show(ui, |ui| {
                        field(ui, "Backup file", file, false, focus);
                        field(ui, "Wallet Name", wallet_name, false, &mut false);
                    });
                    let ok = !file.trim().is_empty() && !wallet_name.trim().is_empty();
                    if ui.add_enabled(ok, egui::Button::new("Restore")).clicked() {
                        done = Some(WalletCommand::Restore(
                            file.trim().to_string(),
                            wallet_name.trim().to_string(),
                        ));
                    }
                }
                Dialog::Encrypt(p1, p2) => {
                    ui.label("Enter the new passphrase for the wallet.\nPlease use a passphrase of ten or more random characters, or eight or more words.");
                    egui::Grid::new("encrypt").num_columns(2).show(ui, |ui| {
                        field(ui, "New passphrase", p1, true, focus);
                        field(ui, "Repeat new passphrase", p2, true, &mut false);
                    });
                    ui.colored_label(
                        egui::Color32::from_rgb(200, 0, 0),
                        "Warning: If you encrypt your wallet and lose your passphrase, you will LOSE ALL OF YOUR BITCOINS!",
                    );
                    let ok = !p1.is_empty() && p1 == p2;
                    if !p2.is_empty() && p1 != p2 {
                        ui.label("The supplied passphrases do not match.");
                    }
                    if ui.add_enabled(ok, egui::Button::new("Encrypt")).clicked() {
                        done = Some(WalletCommand::Encrypt(index, p1.clone()));
                    }
                }
                Dialog::ChangePassphrase(old, p1, p2) => {
                    egui::Grid::new("change").num_columns(2).show(ui, |ui| {
                        field(ui, "Current passphrase", old, true, focus);
                        field(ui, "New passphrase", p1, true, &mut false);
                        field(ui, "Repeat new passphrase", p2, true, &mut false);
                    });
                    let ok = !old.is_empty() && !p1.is_empty() && p1 == p2;
                    if !p2.is_empty() && p1 != p2 {
                        ui.label("The supplied passphrases do not match.");
                    }
                    if ui.add_enabled(ok, egui::Button::new("OK")).clicked() {
                        done = Some(WalletCommand::ChangePassphrase(index, old.clone(), p1.clone()));
                    }
                }
                Dialog::Sign(address, message, pass) => {
                    ui.label("You can sign messages/agreements with your legacy (P2PKH) addresses to prove you can receive bitcoins sent to them.");
                    egui::Grid::new("sign").num_columns(2).show(ui, |ui| {
                        field(ui, "Address", address, false, focus);
                        field(ui, "Message", message, false, &mut false);
                        field(ui, "Passphrase (if locked)", pass, true, &mut false);
                        ui.label("Signature");
                        let mut sig = view.signature.clone().unwrap_or_default();
                        ui.add(egui::TextEdit::singleline(&mut sig).desired_width(300.0).id_salt("signature-out"));
                        ui.end_row();
                    });
                    ui.horizontal(|ui| {
                        if ui.button("Sign Message").clicked() {
                            done = Some(WalletCommand::SignMessage(
                                index,
                                address.trim().to_string(),
                                message.clone(),
                                (!pass.is_empty()).then(|| std::mem::take(pass)),
                            ));
                        }
                        if let Some(sig) = &view.signature {
                            if ui.button("Copy Signature").clicked() {
                                ui.ctx().copy_text(sig.clone());
                            }
                        }
                    });
                }
                Dialog::OpenUri(text) => {
                    ui.label("Open payment request from URI or file");
                    egui::Grid::new("open-uri").num_columns(2).show(ui, |ui| {
                        field(ui, "URI:", text, false, focus);
                    });
                    if ui.button("OK").clicked() {
                        uri = Some(text.trim().to_string());
                    }
                }
                Dialog::Verify(address, message, signature, result) => {
                    egui::Grid::new("verify").num_columns(2).show(ui, |ui| {
                        field(ui, "Address", address, false, focus);
                        field(ui, "Message", message, false, &mut false);
                        field(ui, "Signature", signature, false, &mut false);
                    });
                    if ui.button("Verify Message").clicked() {
                        *result = Some(verify(address.trim(), signature.trim(), message, network));
                    }
                    match result {
                        Some(Ok(m)) => {
                            ui.colored_label(egui::Color32::from_rgb(0, 140, 0), m.as_str());
                        }
                        Some(Err(m)) => {
                            ui.colored_label(egui::Color32::from_rgb(200, 0, 0), m.as_str());
                        }
                        None => {}
                    }
                }
            }
            close = ui.input(|i| i.key_pressed(egui::Key::Escape));
        });
    if let Some(text) = uri {
        match crate::views::send::open_uri(app, &text) {
            Ok(()) => app.dialogs.open = Dialog::None,
            Err(e) => wallets.fail(e),
        }
        return;
    }
    let d = &mut app.dialogs;
    // Sign and Verify stay open after their action; the others close.
    let keep = matches!(d.open, Dialog::Sign(..) | Dialog::Verify(..));
    if let Some(c) = done {
        wallets.send(c);
        if !keep {
            d.open = Dialog::None;
        }
    }
    if !open || close {
        if matches!(d.open, Dialog::Sign(..)) {
            wallets.dismiss(Dismiss::Signature);
        }
        d.open = Dialog::None;
    }
}

/// bitcoin-qt's message verification, done locally as bitcoin-qt does
/// (`MessageVerify`), with its texts.
pub fn verify(
    address: &str,
    signature: &str,
    message: &str,
    network: bitcoin::Network,
) -> Result<String, String> {
    use utility_rpc::message::Verification as V;
    let params = utility_rpc::address::ChainParams::for_network(network);
    match utility_rpc::message::verify(address, signature, message, &params) {
        V::Ok => Ok("Message verified.".into()),
        V::InvalidAddress => {
            Err("The entered address is invalid. Please check the address and try again.".into())
        }
        V::AddressNoKey => Err(
            "The entered address does not refer to a legacy (P2PKH) key. Message signing for SegWit and other non-P2PKH address types is not supported in this version of Bitcoin Core. Please check the address and try again."
                .into(),
        ),
        V::MalformedSignature => {
            Err("The signature could not be decoded. Please check the signature and try again.".into())
        }
        V::PubkeyNotRecovered => {
            Err("The signature did not match the message digest. Please check the signature and try again.".into())
        }
        V::NotSigned => Err("Message verification failed.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_texts_follow_bitcoin_qt() {
        let net = bitcoin::Network::Regtest;
        assert!(verify("nonsense", "", "m", net)
            .unwrap_err()
            .contains("invalid"));
        assert!(
            verify("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "", "m", net)
                .unwrap_err()
                .contains("legacy (P2PKH)")
        );
        assert!(verify("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "!!", "m", net)
            .unwrap_err()
            .contains("could not be decoded"));
    }
}
