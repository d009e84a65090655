//! Transactions (bitcoin-qt's `TransactionView`): date, type, address and
//! amount of every wallet transaction, newest first.

use eframe::egui;

use crate::views::{format_btc, format_time};
use crate::wallets::WalletInfo;

/// Column widths: date, type, label, amount.
const WIDTHS: [f32; 4] = [150.0, 130.0, 420.0, 150.0];

fn row(ui: &mut egui::Ui, cells: [egui::WidgetText; 4]) {
    ui.horizontal(|ui| {
        for (cell, w) in cells.into_iter().zip(WIDTHS) {
            ui.add_sized([w, 18.0], egui::Label::new(cell).truncate());
        }
    });
}

/// Draws the transaction list of `wallet`. Only the visible rows are laid
/// out, so a wallet of many thousands of transactions draws as fast as a
/// small one.
pub fn show(ui: &mut egui::Ui, wallet: &WalletInfo) {
    row(
        ui,
        ["Date", "Type", "Label", "Amount (BTC)"].map(|h| egui::RichText::new(h).strong().into()),
    );
    let height = ui.text_style_height(&egui::TextStyle::Body).max(18.0);
    egui::ScrollArea::vertical().show_rows(ui, height, wallet.txs.len(), |ui, range| {
        for t in &wallet.txs[range] {
            row(
                ui,
                [
                    format_time(t.time).into(),
                    t.kind.into(),
                    t.address.as_str().into(),
                    format_btc(t.amount).into(),
                ],
            );
        }
    });
}
