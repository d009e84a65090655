//! The menu bar and toolbar (bitcoin-qt's File / Settings / Window / Help
//! menus and its Overview / Send / Receive / Transactions buttons).

use eframe::egui;

use crate::app::{App, NodeTab, Tab};
use crate::views::wallet_dialogs;

/// Draws the menu bar and the toolbar.
pub fn show(ui: &mut egui::Ui, app: &mut App) {
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                wallet_dialogs::file_menu(ui, app);
                if ui.button("Exit").clicked() {
                    app.model.shutdown();
                }
            });
            ui.menu_button("Settings", |ui| {
                wallet_dialogs::settings_menu(ui, app);
                ui.separator();
                if ui.button("Options…").clicked() {
                    crate::views::options::open(app);
                }
            });
            ui.menu_button("Window", |ui| {
                wallet_dialogs::window_menu(ui, app);
                for (label, tab) in [
                    ("Information", NodeTab::Information),
                    ("Console", NodeTab::Console),
                    ("Network Traffic", NodeTab::Traffic),
                    ("Peers", NodeTab::Peers),
                ] {
                    if ui.button(label).clicked() {
                        app.open_node_window(tab);
                    }
                }
            });
        });
        ui.horizontal(|ui| {
            for (label, tab) in [
                ("Overview", Tab::Overview),
                ("Send", Tab::Send),
                ("Receive", Tab::Receive),
                ("Transactions", Tab::Transactions),
            ] {
                if ui.selectable_label(app.tab == tab, label).clicked() {
                    app.open_tab(tab);
                }
            }
        });
    });
}
