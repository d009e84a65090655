//! Receive (bitcoin-qt's `ReceiveCoinsDialog`): label, amount, message and
//! address type for a new address; the request it makes with its BIP21
//! URI and QR code; the history of requests.

use eframe::egui;

use crate::app::App;
use crate::console::percent_encode;
use crate::views::{format_time, qr};
use crate::wallets::{ReceiveRequest, WalletCommand, WalletInfo, WalletsView};

/// Core's `OutputType` numbers and bitcoin-qt's names for them.
const ADDRESS_TYPES: [(i32, &str); 4] = [
    (0, "Base58 (Legacy)"),
    (1, "Base58 (P2SH-SegWit)"),
    (2, "Bech32 (SegWit)"),
    (3, "Bech32m (Taproot)"),
];

/// The Receive tab's fields.
#[derive(Debug, Default)]
pub struct ReceiveForm {
    /// Label.
    pub label: String,
    /// Amount, in the display unit.
    pub amount: String,
    /// Message.
    pub message: String,
    /// Address type (`None`: the wallet's default).
    pub address_type: Option<i32>,
    /// Passphrase for a locked wallet.
    pub passphrase: String,
    /// A request from the history shown in the request window.
    pub shown: Option<ReceiveRequest>,
}

/// Draws the Receive tab for the wallet at `index`.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let Some(wallet) = view.wallets.get(index) else {
        return;
    };
    let unit = app.settings.display_unit;
    let form = &mut app.receive;
    let mut enter = false;
    egui::Grid::new("receive").num_columns(2).show(ui, |ui| {
        ui.label("Label:");
        let field = ui.add(egui::TextEdit::singleline(&mut form.label).id_salt("receive-label"));
        if std::mem::take(&mut app.focus_tab) {
            field.request_focus();
        }
        enter |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.end_row();
        ui.label("Amount:");
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut form.amount).id_salt("receive-amount"));
            ui.label(unit.label());
        });
        ui.end_row();
        ui.label("Message:");
        ui.add(egui::TextEdit::singleline(&mut form.message).id_salt("receive-message"));
        ui.end_row();
        ui.label("Address type:");
        let chosen = form
            .address_type
            .unwrap_or(wallet.flags.default_address_type);
        let name = |t: i32| {
            ADDRESS_TYPES
                .iter()
                .find(|(n, _)| *n == t)
                .map_or("?", |(_, s)| s)
        };
        egui::ComboBox::from_id_salt("address-type")
            .selected_text(name(chosen))
            .show_ui(ui, |ui| {
                for (n, label) in ADDRESS_TYPES {
                    if n == 3 && !wallet.flags.taproot {
                        continue;
                    }
                    ui.selectable_value(&mut form.address_type, Some(n), label);
                }
            });
        ui.end_row();
        if wallet.flags.locked {
            ui.label("Passphrase:");
            ui.add(
                egui::TextEdit::singleline(&mut form.passphrase)
                    .password(true)
                    .id_salt("receive-passphrase"),
            );
            ui.end_row();
        }
    });
    let amount = if form.amount.trim().is_empty() {
        Some(0)
    } else {
        unit.parse(&form.amount)
    };
    if amount.is_none() {
        ui.colored_label(egui::Color32::from_rgb(200, 0, 0), "Invalid amount");
    }
    let can = !view.busy && wallet.flags.can_get_addresses && amount.is_some();
    ui.horizontal(|ui| {
        let button = ui.add_enabled(can, egui::Button::new("Create new receiving address"));
        if (button.clicked() || enter) && can {
            if let Some(w) = &app.wallets {
                let request = ReceiveRequest {
                    label: form.label.clone(),
                    amount: amount.unwrap_or(0),
                    message: form.message.clone(),
                    ..Default::default()
                };
                let pass = wallet
                    .flags
                    .locked
                    .then(|| std::mem::take(&mut form.passphrase));
                w.send(WalletCommand::NewAddress(
                    index,
                    form.address_type
                        .unwrap_or(wallet.flags.default_address_type),
                    request,
                    pass,
                ));
                form.label.clear();
                form.amount.clear();
                form.message.clear();
            }
        }
        if ui.button("Clear").clicked() {
            *form = ReceiveForm::default();
        }
    });
    if let Some((_, request)) = view
        .last_request
        .as_ref()
        .filter(|(n, _)| *n == wallet.name)
    {
        ui.add_space(8.0);
        request_panel(ui, request, wallet, unit);
    }
    ui.add_space(8.0);
    history(ui, app, wallet, index);
}

/// The request window's content: QR code, URI and fields, copy buttons.
fn request_panel(
    ui: &mut egui::Ui,
    r: &ReceiveRequest,
    wallet: &WalletInfo,
    unit: crate::units::Unit,
) {
    let uri = bip21(&r.address, r.amount, &r.label, &r.message);
    ui.horizontal(|ui| {
        qr::show(ui, &uri);
        ui.vertical(|ui| {
            egui::Grid::new("request").num_columns(2).show(ui, |ui| {
                ui.label("Payment information");
                ui.end_row();
                ui.label("URI:");
                ui.monospace(&uri);
                ui.end_row();
                ui.label("Address:");
                ui.monospace(&r.address);
                ui.end_row();
                if r.amount > 0 {
                    ui.label("Amount:");
                    ui.label(unit.format_with_unit(r.amount));
                    ui.end_row();
                }
                if !r.label.is_empty() {
                    ui.label("Label:");
                    ui.label(&r.label);
                    ui.end_row();
                }
                if !r.message.is_empty() {
                    ui.label("Message:");
                    ui.label(&r.message);
                    ui.end_row();
                }
                ui.label("Wallet:");
                ui.label(wallet.display_name());
                ui.end_row();
            });
            ui.horizontal(|ui| {
                if ui.button("Copy URI").clicked() {
                    ui.ctx().copy_text(uri.clone());
                }
                if ui.button("Copy Address").clicked() {
                    ui.ctx().copy_text(r.address.clone());
                }
            });
        });
    });
}

/// "Requested payments history": Date, Label, Message, Amount; Show and
/// Remove.
fn history(ui: &mut egui::Ui, app: &mut App, wallet: &WalletInfo, index: usize) {
    ui.strong("Requested payments history");
    let unit = app.settings.display_unit;
    let mut remove = None;
    egui::ScrollArea::vertical()
        .id_salt("requests")
        .max_height(180.0)
        .show(ui, |ui| {
            egui::Grid::new("request-history")
                .num_columns(5)
                .striped(true)
                .show(ui, |ui| {
                    for h in [
                        "Date",
                        "Label",
                        "Message",
                        &format!("Requested ({})", unit.label()),
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in &wallet.requests {
                        ui.label(format_time(i64::from(r.date)));
                        ui.label(if r.label.is_empty() {
                            "(no label)"
                        } else {
                            &r.label
                        });
                        ui.label(if r.message.is_empty() {
                            "(no message)"
                        } else {
                            &r.message
                        });
                        ui.label(if r.amount > 0 {
                            unit.format_grouped(r.amount)
                        } else {
                            "(no amount requested)".into()
                        });
                        ui.horizontal(|ui| {
                            if ui.small_button("Show").clicked() {
                                app.receive.shown = Some(r.clone());
                            }
                            if ui.small_button("Remove").clicked() {
                                remove = Some(r.clone());
                            }
                        });
                        ui.end_row();
                    }
                });
        });
    if let (Some(r), Some(w)) = (remove, &app.wallets) {
        w.send(WalletCommand::RemoveRequest(index, r));
    }
    if let Some(r) = app.receive.shown.clone() {
        let mut open = true;
        egui::Window::new(format!("Request payment to {}", r.address))
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(crate::views::center(ui.ctx()))
            .open(&mut open)
            .collapsible(false)
            .show(ui.ctx(), |ui| request_panel(ui, &r, wallet, unit));
        if !open {
            app.receive.shown = None;
        }
    }
}

/// A BIP21 URI (bitcoin-qt's `formatBitcoinURI`): the amount in BTC, then
/// label and message percent-encoded.
pub fn bip21(address: &str, amount: i64, label: &str, message: &str) -> String {
    let mut params = Vec::new();
    if amount > 0 {
        params.push(format!("amount={}", crate::units::Unit::Btc.format(amount)));
    }
    if !label.is_empty() {
        params.push(format!("label={}", percent_encode(label)));
    }
    if !message.is_empty() {
        params.push(format!("message={}", percent_encode(message)));
    }
    if params.is_empty() {
        format!("bitcoin:{address}")
    } else {
        format!("bitcoin:{address}?{}", params.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_carry_amount_label_and_message() {
        assert_eq!(bip21("bcrt1qx", 0, "", ""), "bitcoin:bcrt1qx");
        assert_eq!(
            bip21("bcrt1qx", 150_000_000, "rent & co", "hi"),
            "bitcoin:bcrt1qx?amount=1.50000000&label=rent%20%26%20co&message=hi"
        );
    }
}
