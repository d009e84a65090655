//! The splash while a spawned node starts (bitcoin-qt's `SplashScreen`,
//! with the node's init messages), the shutdown window, and the error
//! shown when the node fails or goes away.

use eframe::egui;

use crate::app::App;
use crate::model::View;

/// The splash: name, version, network tag, the last init message; `q`
/// shuts down, as in bitcoin-qt.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    if ui.input(|i| i.key_pressed(egui::Key::Q)) {
        app.model.shutdown();
    }
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 4.0);
            ui.heading("Bitcoin Core");
            ui.label(format!("Version v{}", env!("CARGO_PKG_VERSION")));
            if app.chain != "main" {
                ui.label(egui::RichText::new(format!("[{}]", app.chain)).strong());
            }
            ui.add_space(24.0);
            ui.spinner();
            ui.label(if view.init_message.is_empty() {
                "Starting the node…"
            } else {
                view.init_message.as_str()
            });
        });
    });
}

/// bitcoin-qt's `ShutdownWindow`.
pub fn shutting_down(ui: &mut egui::Ui) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 3.0);
            ui.heading("Bitcoin Core is shutting down…");
            ui.label("Do not shut down the computer until this window disappears.");
            ui.spinner();
        });
    });
}

/// The node failed to start or went away: say so, instead of a frozen
/// window.
pub fn failed(ui: &mut egui::Ui, app: &mut App, message: &str) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 3.0);
            ui.heading("Error");
            ui.label(message);
            ui.add_space(12.0);
            if ui.button("Exit").clicked() {
                app.model.shutdown();
            }
        });
    });
}
