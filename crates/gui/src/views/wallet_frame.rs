//! The wallet area (bitcoin-qt's `WalletFrame`): the wallet's tabs when a
//! wallet is loaded, else the "no wallet" message; the Overview's alerts.

use eframe::egui;

use crate::app::{App, Tab};
use crate::model::View;

/// Draws the wallet area for the open tab.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    if let Some(s) = &view.status {
        if !s.warnings.is_empty() && app.tab == Tab::Overview {
            ui.colored_label(egui::Color32::from_rgb(170, 0, 0), &s.warnings);
        }
    }
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() / 3.0);
        ui.label("No wallet has been loaded.");
    });
}
