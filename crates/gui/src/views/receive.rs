//! Receive (bitcoin-qt's `ReceiveCoinsDialog`): a label, a new address of
//! the wallet's default type, and its BIP21 URI.

use eframe::egui;

use crate::app::App;
use crate::wallets::{WalletCommand, WalletsView};

/// Draws the Receive tab for the wallet at `index`.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let mut enter = false;
    ui.horizontal(|ui| {
        ui.label("Label:");
        let field =
            ui.add(egui::TextEdit::singleline(&mut app.receive_label).id_salt("receive-label"));
        if std::mem::take(&mut app.focus_tab) {
            field.request_focus();
        }
        enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    });
    let button = ui.add_enabled(
        !view.busy,
        egui::Button::new("Create new receiving address"),
    );
    if (button.clicked() || enter) && !view.busy {
        if let Some(w) = &app.wallets {
            w.send(WalletCommand::NewAddress(index, app.receive_label.clone()));
        }
    }
    let name = view.wallets.get(index).map(|w| w.name.as_str());
    if let Some((wallet, address, label)) = &view.last_address {
        if Some(wallet.as_str()) == name {
            ui.add_space(12.0);
            egui::Grid::new("request").num_columns(2).show(ui, |ui| {
                ui.label("Address:");
                ui.monospace(address);
                ui.end_row();
                ui.label("URI:");
                ui.monospace(bip21(address, label));
                ui.end_row();
                if !label.is_empty() {
                    ui.label("Label:");
                    ui.label(label);
                    ui.end_row();
                }
            });
            if ui.button("Copy Address").clicked() {
                ui.ctx().copy_text(address.clone());
            }
        }
    }
}

/// A BIP21 URI (bitcoin-qt's `formatBitcoinURI`, label only).
pub fn bip21(address: &str, label: &str) -> String {
    if label.is_empty() {
        return format!("bitcoin:{address}");
    }
    let encoded = crate::console::percent_encode(label);
    format!("bitcoin:{address}?label={encoded}")
}
