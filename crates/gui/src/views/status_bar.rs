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
