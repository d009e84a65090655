//! Send (bitcoin-qt's `SendCoinsDialog`, one recipient): pay to an address
//! an amount in BTC; the wallet selects coins and the fee.

use eframe::egui;

use crate::app::App;
use crate::views::parse_btc;
use crate::wallets::{WalletCommand, WalletsView};

/// Draws the Send tab for the wallet at `index`.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let mut enter = false;
    egui::Grid::new("send").num_columns(2).show(ui, |ui| {
        ui.label("Pay To:");
        let field = ui.add(
            egui::TextEdit::singleline(&mut app.send_address)
                .desired_width(420.0)
                .hint_text("Enter a Bitcoin address")
                .id_salt("send-address"),
        );
        if std::mem::take(&mut app.focus_tab) {
            field.request_focus();
        }
        ui.end_row();
        ui.label("Amount:");
        ui.horizontal(|ui| {
            let field =
                ui.add(egui::TextEdit::singleline(&mut app.send_amount).id_salt("send-amount"));
            enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.label("BTC");
        });
        ui.end_row();
    });
    let amount = parse_btc(&app.send_amount);
    if !app.send_amount.trim().is_empty() && amount.is_none() {
        ui.colored_label(egui::Color32::from_rgb(200, 0, 0), "Invalid amount");
    }
    let ready = !view.busy && amount.is_some() && !app.send_address.trim().is_empty();
    if ui.add_enabled(ready, egui::Button::new("Send")).clicked() || (enter && ready) {
        if let (Some(w), Some(sats)) = (&app.wallets, amount) {
            w.send(WalletCommand::Send(
                index,
                app.send_address.trim().to_string(),
                sats,
            ));
        }
    }
}
