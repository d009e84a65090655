//! The wallet area (bitcoin-qt's `WalletFrame`): the open tab of the chosen
//! wallet, the "no wallet" message with "Create a new wallet", the wallet
//! dialogs, the result of the last action, and the Overview's alerts.

use eframe::egui;

use crate::app::{App, Tab};
use crate::model::View;
use crate::views::{address_book, overview, receive, send, transactions, wallet_dialogs};
use crate::wallets::Dismiss;

/// Draws the wallet area for the open tab.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    if let Some(s) = &view.status {
        if !s.warnings.is_empty() && app.tab == Tab::Overview {
            ui.colored_label(egui::Color32::from_rgb(170, 0, 0), &s.warnings);
        }
    }
    let Some(wallets) = app.wallets.as_ref().map(|w| w.view()) else {
        return no_wallet(ui, app, false, &Default::default());
    };
    if let Some(message) = &wallets.message {
        ui.horizontal(|ui| {
            match message {
                Ok(m) => ui.label(m),
                Err(e) => ui.colored_label(egui::Color32::from_rgb(200, 0, 0), e),
            };
            if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                if let Some(w) = &app.wallets {
                    w.dismiss(Dismiss::Message);
                }
            }
        });
    }
    if wallets.wallets.is_empty() {
        return no_wallet(ui, app, wallets.available, &wallets);
    }
    // URIs from the command line wait for a wallet, as in bitcoin-qt.
    for uri in std::mem::take(&mut app.pending_uris) {
        if let (Err(e), Some(w)) = (send::open_uri(app, &uri), &app.wallets) {
            w.fail(e);
        }
    }
    let index = app.wallet_index.min(wallets.wallets.len() - 1);
    app.wallet_index = index;
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
        Tab::Overview => overview::show(ui, app, wallet),
        Tab::Send => send::show(ui, app, &wallets, index),
        Tab::Receive => receive::show(ui, app, &wallets, index),
        Tab::Transactions => transactions::show(ui, app, &wallets, index),
    }
    wallet_dialogs::show(ui, app, &wallets, index);
    address_book::show(ui, app, wallet, index);
    crate::views::psbt::show(ui, app);
}

fn no_wallet(
    ui: &mut egui::Ui,
    app: &mut App,
    can_create: bool,
    view: &crate::wallets::WalletsView,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() / 3.0);
        if can_create {
            ui.label(
                "No wallet has been loaded.\nGo to File > Open Wallet to load a wallet.\n- OR -",
            );
            let button = ui.button("Create a new wallet");
            // The only action here: Enter or Space presses it.
            let dialog_open = app.dialogs.open != wallet_dialogs::Dialog::None;
            if !dialog_open && ui.memory(|m| m.focused().is_none()) {
                button.request_focus();
            }
            if button.clicked() {
                app.open_create_dialog();
            }
        } else {
            ui.label("No wallet has been loaded.");
        }
    });
    wallet_dialogs::show(ui, app, view, 0);
}
