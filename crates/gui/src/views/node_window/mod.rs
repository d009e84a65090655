//! The node window (bitcoin-qt's `RPCConsole`): Information, Console,
//! Network Traffic and Peers tabs, one module each.

use eframe::egui;

use crate::app::{App, NodeTab};
use crate::model::View;

pub mod console;
pub mod information;
pub mod peers;
pub mod traffic;

/// The node window's own state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeWindowState {
    /// The peer whose details are shown.
    pub selected_peer: Option<i64>,
}

/// Draws the node window if open.
pub fn show(ctx: &egui::Context, app: &mut App, view: &View) {
    let Some(mut tab) = app.node_window else {
        return;
    };
    let mut open = true;
    egui::Window::new("Node window")
        .open(&mut open)
        .default_size([760.0, 480.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut tab, NodeTab::Information, "Information");
                if ui
                    .selectable_value(&mut tab, NodeTab::Console, "Console")
                    .clicked()
                {
                    app.focus_console = true;
                }
                ui.selectable_value(&mut tab, NodeTab::Traffic, "Network Traffic");
                ui.selectable_value(&mut tab, NodeTab::Peers, "Peers");
            });
            ui.separator();
            match tab {
                NodeTab::Information => information::show(ui, app, view),
                NodeTab::Console => console::show(ui, app, view),
                NodeTab::Traffic => traffic::show(ui, app, view),
                NodeTab::Peers => peers::show(ui, app, view),
            }
        });
    app.node_window = open.then_some(tab);
}

/// bitcoin-qt's `formatDurationStr`: "2 d 3 h 5 m 1 s", zero parts left out.
pub fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let parts = [
        (secs / 86_400, "d"),
        (secs % 86_400 / 3600, "h"),
        (secs % 3600 / 60, "m"),
    ];
    let mut out: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if secs % 60 > 0 || out.is_empty() {
        out.push(format!("{} s", secs % 60));
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_bitcoin_qts() {
        assert_eq!(format_duration(0), "0 s");
        assert_eq!(format_duration(30 * 60), "30 m");
        assert_eq!(format_duration(86_400 + 3600 + 61), "1 d 1 h 1 m 1 s");
        assert_eq!(format_duration(24 * 3600), "1 d");
    }
}
