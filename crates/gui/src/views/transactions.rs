//! Transactions (bitcoin-qt's `TransactionView`): date, type, address and
//! amount of every wallet transaction, newest first.

use eframe::egui;

use crate::views::{format_btc, format_time};
use crate::wallets::WalletInfo;

/// Draws the transaction list of `wallet`.
pub fn show(ui: &mut egui::Ui, wallet: &WalletInfo) {
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("txs")
            .num_columns(4)
            .striped(true)
            .show(ui, |ui| {
                ui.strong("Date");
                ui.strong("Type");
                ui.strong("Label");
                ui.strong("Amount (BTC)");
                ui.end_row();
                for t in &wallet.txs {
                    ui.label(format_time(t.time)).on_hover_text(&t.txid);
                    ui.label(t.kind);
                    ui.label(&t.address);
                    ui.label(format_btc(t.amount));
                    ui.end_row();
                }
            });
    });
}
