//! The status bar (bitcoin-qt's): network activity and connections, and the
//! sync state with its progress bar while behind.

use eframe::egui;

use crate::app::{App, NodeTab};
use crate::model::{Command, NodeStatus, View};
use crate::views::{nice_time_offset, unix_now};

/// A tip older than this is "behind" (bitcoin-qt: 90 minutes).
pub const MAX_TIP_AGE: i64 = 90 * 60;

/// Whether the node is catching up (the overlay and progress bar show).
pub fn behind(s: &NodeStatus) -> bool {
    s.ibd || s.loading_blocks || unix_now() - s.last_block_time > MAX_TIP_AGE
}

/// The progress label, by where blocks come from (bitcoin-qt's
/// `setNumBlocks`).
pub fn progress_label(s: &NodeStatus) -> &'static str {
    if s.loading_blocks {
        "Processing blocks on disk…"
    } else if !s.network_active {
        "Network activity disabled"
    } else if s.connections() == 0 {
        "Connecting to peers…"
    } else {
        "Synchronizing with network…"
    }
}

/// Draws the status bar.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    egui::Panel::bottom("status").show(ui, |ui| {
        ui.horizontal(|ui| {
            let Some(s) = &view.status else {
                ui.label("Connecting…");
                return;
            };
            let age = unix_now() - s.last_block_time;
            if behind(s) {
                let label = progress_label(s);
                if ui.link(label).clicked() {
                    app.overlay_hidden = !app.overlay_hidden;
                }
                ui.add(
                    egui::ProgressBar::new(s.verification_progress as f32)
                        .desired_width(200.0)
                        .text(format!("{} behind", nice_time_offset(age))),
                );
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                wallet_icons(ui, app);
                let sync = if behind(s) { "Syncing" } else { "Up to date" };
                ui.label(sync).on_hover_text(format!(
                    "Processed {} blocks of transaction history.\nLast received block was generated {} ago.",
                    s.blocks.max(0),
                    nice_time_offset(age)
                ));
                let peers = if s.network_active {
                    format!("{} active connection(s)", s.connections())
                } else {
                    "Network activity disabled".to_string()
                };
                ui.menu_button(peers, |ui| {
                    if ui.button("Show Peers tab").clicked() {
                        app.node_window = Some(NodeTab::Peers);
                    }
                    let toggle = if s.network_active {
                        "Disable network activity"
                    } else {
                        "Enable network activity"
                    };
                    if ui.button(toggle).clicked() {
                        app.model.send(Command::SetNetworkActive(!s.network_active));
                    }
                });
            });
        });
    });
}

/// The wallet's part of the status bar (bitcoin-qt's unit label, lock and
/// HD icons, drawn as words): the unit opens a menu that changes the
/// display unit and saves it as Options does.
fn wallet_icons(ui: &mut egui::Ui, app: &mut App) {
    let Some(view) = app.wallets.as_ref().map(|w| w.view()) else {
        return;
    };
    let Some(wallet) = view.wallets.get(app.wallet_index) else {
        return;
    };
    let flags = wallet.flags;
    if flags.private_keys_disabled {
        ui.label("Watch-only").on_hover_text("Private key disabled");
    } else {
        ui.label("HD").on_hover_text("HD key generation is enabled");
    }
    if flags.crypted {
        let (text, tip) = if flags.locked {
            ("Locked", "Wallet is encrypted and currently locked")
        } else {
            ("Unlocked", "Wallet is encrypted and currently unlocked")
        };
        ui.label(text).on_hover_text(tip);
    }
    let unit = app.settings.display_unit;
    ui.menu_button(unit.label(), |ui| {
        for u in crate::units::Unit::ALL {
            if ui.selectable_label(u == unit, u.long_name()).clicked() {
                app.settings.display_unit = u;
                app.settings.store(&mut app.settings_store);
                if let Err(e) = app.settings_store.save() {
                    if let Some(w) = &app.wallets {
                        w.fail(e);
                    }
                }
                ui.close();
            }
        }
    })
    .response
    .on_hover_text("Unit to show amounts in. Click to select another unit.");
    ui.separator();
}
