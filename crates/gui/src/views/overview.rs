//! Overview (bitcoin-qt's `OverviewPage`): balances and the five newest
//! transactions; a click on one opens it in Transactions.

use eframe::egui;

use crate::app::{App, Tab};
use crate::views::format_time;
use crate::wallets::records::Status;
use crate::wallets::WalletInfo;

/// How many recent transactions bitcoin-qt shows.
const RECENT: usize = 5;

/// Draws the Overview of `wallet`.
pub fn show(ui: &mut egui::Ui, app: &mut App, wallet: &WalletInfo) {
    let unit = app.settings.display_unit;
    let mask = app.mask_values;
    ui.heading("Balances");
    let b = &wallet.balances;
    egui::Grid::new("balances").num_columns(2).show(ui, |ui| {
        let mut row = |k: &str, v: i64| {
            ui.label(k);
            let text = unit.format_with_unit(v);
            ui.label(if mask {
                crate::views::masked(&text)
            } else {
                text
            });
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
    // Masked: the list is hidden, as in bitcoin-qt.
    if mask {
        return;
    }
    ui.heading("Recent transactions");
    let mut open = None;
    egui::Grid::new("recent").num_columns(3).show(ui, |ui| {
        for r in wallet
            .records
            .iter()
            .filter(|r| r.status.status != Status::Conflicted)
            .take(RECENT)
        {
            ui.label(format_time(r.time));
            let pending = r.status.depth <= 0;
            let text = if pending {
                format!("[{}]", unit.format_with_unit(r.amount))
            } else {
                unit.format_with_unit(r.amount)
            };
            let mut amount = egui::RichText::new(text);
            if r.amount < 0 {
                amount = amount.color(egui::Color32::from_rgb(200, 0, 0));
            } else if pending {
                amount = amount.color(egui::Color32::GRAY);
            }
            ui.label(amount);
            if ui.link(wallet.label_of(r)).clicked() {
                open = Some((r.txid, r.vout));
            }
            ui.end_row();
        }
    });
    if let Some(key) = open {
        app.tx_view.selected = Some(key);
        app.tab = Tab::Transactions;
    }
}
