//! The wallet area (bitcoin-qt's `WalletFrame`): the open tab of the chosen
//! wallet, the "no wallet" message with "Create a new wallet", the create
//! dialog, the result of the last action, and the Overview's alerts.

use eframe::egui;

use crate::app::{App, Tab};
use crate::model::View;
use crate::views::{overview, receive, send, transactions};
use crate::wallets::WalletCommand;

/// Draws the wallet area for the open tab.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    if let Some(s) = &view.status {
        if !s.warnings.is_empty() && app.tab == Tab::Overview {
            ui.colored_label(egui::Color32::from_rgb(170, 0, 0), &s.warnings);
        }
    }
    let Some(wallets) = app.wallets.as_ref().map(|w| w.view()) else {
        return no_wallet(ui, app, false);
    };
    if let Some(message) = &wallets.message {
        match message {
            Ok(m) => ui.label(m),
            Err(e) => ui.colored_label(egui::Color32::from_rgb(200, 0, 0), e),
        };
    }
    if wallets.wallets.is_empty() {
        return no_wallet(ui, app, wallets.available);
    }
    let index = app.wallet_index.min(wallets.wallets.len() - 1);
    if wallets.wallets.len() > 1 {
        egui::ComboBox::from_label("Wallet:")
            .selected_text(wallets.wallets[index].display_name())
            .show_ui(ui, |ui| {
                for (i, w) in wallets.wallets.iter().enumerate() {
                    ui.selectable_value(&mut app.wallet_index, i, w.display_name());
                }
            });
    }
    let wallet = &wallets.wallets[index];
    match app.tab {
        Tab::Overview => overview::show(ui, wallet),
        Tab::Send => send::show(ui, app, &wallets, index),
        Tab::Receive => receive::show(ui, app, &wallets, index),
        Tab::Transactions => transactions::show(ui, wallet),
    }
    create_dialog(ui, app);
}

fn no_wallet(ui: &mut egui::Ui, app: &mut App, can_create: bool) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() / 3.0);
        if can_create {
            ui.label(
                "No wallet has been loaded.\nGo to File > Open Wallet to load a wallet.\n- OR -",
            );
            let button = ui.button("Create a new wallet");
            // The only action here: Enter or Space presses it.
            if !app.create_open && ui.memory(|m| m.focused().is_none()) {
                button.request_focus();
            }
            if button.clicked() {
                app.open_create_dialog();
            }
        } else {
            ui.label("No wallet has been loaded.");
        }
    });
    create_dialog(ui, app);
}

/// bitcoin-qt's `CreateWalletDialog` (name only; descriptor wallet).
fn create_dialog(ui: &mut egui::Ui, app: &mut App) {
    if !app.create_open {
        return;
    }
    let mut open = true;
    let mut submit = false;
    egui::Window::new("Create Wallet")
        .open(&mut open)
        .collapsible(false)
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                ui.label("Wallet Name");
                let field =
                    ui.add(egui::TextEdit::singleline(&mut app.create_name).id_salt("create-name"));
                if std::mem::take(&mut app.focus_create) {
                    field.request_focus();
                }
                submit |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            });
            submit |= ui.button("Create").clicked();
        });
    if submit && !app.create_name.trim().is_empty() {
        if let Some(w) = &app.wallets {
            w.send(WalletCommand::Create(app.create_name.trim().to_string()));
        }
        app.create_name.clear();
        open = false;
    }
    app.create_open = open;
}
