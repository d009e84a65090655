//! The menu bar and toolbar (bitcoin-qt's File / Settings / Window / Help
//! menus and its Overview / Send / Receive / Transactions buttons).

use eframe::egui;

use crate::app::{App, Tab, NODE_TAB_KEYS};
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
                for (key, tab, label) in NODE_TAB_KEYS {
                    let shortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, key);
                    let button =
                        egui::Button::new(label).shortcut_text(ui.ctx().format_shortcut(&shortcut));
                    if ui.add(button).clicked() {
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
