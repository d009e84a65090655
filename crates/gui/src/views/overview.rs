//! Overview (bitcoin-qt's `OverviewPage`): balances and the five newest
//! transactions.

use eframe::egui;

use crate::views::{format_btc, format_time};
use crate::wallets::WalletInfo;

/// Draws the Overview of `wallet`.
pub fn show(ui: &mut egui::Ui, wallet: &WalletInfo) {
    ui.heading("Balances");
    let b = &wallet.balances;
    egui::Grid::new("balances").num_columns(2).show(ui, |ui| {
        let mut row = |k: &str, v: i64| {
            ui.label(k);
            ui.label(format_btc(v));
            ui.end_row();
        };
        row("Available:", b.balance);
        row("Pending:", b.unconfirmed_balance);
        if b.immature_balance != 0 {
            row("Immature:", b.immature_balance);
        }
        row(
            "Total:",
            b.balance + b.unconfirmed_balance + b.immature_balance,
        );
    });
    ui.add_space(12.0);
    ui.heading("Recent transactions");
    egui::Grid::new("recent").num_columns(3).show(ui, |ui| {
        for t in wallet.txs.iter().take(5) {
            ui.label(format_time(t.time));
            let amount = egui::RichText::new(format_btc(t.amount));
            ui.label(if t.amount < 0 {
                amount.color(egui::Color32::from_rgb(200, 0, 0))
            } else {
                amount
            });
            ui.label(&t.address);
            ui.end_row();
        }
    });
}
