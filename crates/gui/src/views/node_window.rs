//! The node window (bitcoin-qt's `RPCConsole`): Information, Console and
//! Network Traffic tabs.

use eframe::egui;

use crate::app::{App, NodeTab};
use crate::console::{complete, ConsoleLine};
use crate::model::{Command, View};
use crate::views::{format_bytes, format_time};

/// Most console history entries kept (bitcoin-qt: 50).
const HISTORY: usize = 50;

/// Draws the node window if open.
pub fn show(ctx: &egui::Context, app: &mut App, view: &View) {
    let Some(mut tab) = app.node_window else {
        return;
    };
    let mut open = true;
    egui::Window::new("Node window")
        .open(&mut open)
        .default_size([640.0, 420.0])
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
            });
            ui.separator();
            match tab {
                NodeTab::Information => information(ui, app, view),
                NodeTab::Console => console(ui, app, view),
                NodeTab::Traffic => traffic(ui, view),
            }
        });
    app.node_window = open.then_some(tab);
}

fn information(ui: &mut egui::Ui, app: &App, view: &View) {
    egui::Grid::new("info")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            };
            row("Client version", format!("v{}", env!("CARGO_PKG_VERSION")));
            row("Startup time", format_time(app.started));
            row("Network", app.chain.clone());
            if let Some(s) = &view.status {
                row(
                    "Number of connections",
                    format!(
                        "{} (In: {} / Out: {})",
                        s.connections(),
                        s.connections_in,
                        s.connections_out
                    ),
                );
                row("Current block height", s.blocks.to_string());
                row("Last block time", format_time(s.last_block_time));
                row("Best block hash", s.best_block.clone());
                row("Current number of transactions", s.mempool_size.to_string());
                row(
                    "Memory usage",
                    format!(
                        "{} of {}",
                        format_bytes(s.mempool_usage as i64),
                        format_bytes(s.mempool_max as i64)
                    ),
                );
            }
        });
}

fn traffic(ui: &mut egui::Ui, view: &View) {
    if let Some(s) = &view.status {
        ui.label(format!("Received: {}", format_bytes(s.bytes_recv)));
        ui.label(format!("Sent: {}", format_bytes(s.bytes_sent)));
    }
}

fn console(ui: &mut egui::Ui, app: &mut App, view: &View) {
    let bottom = 32.0;
    egui::ScrollArea::vertical()
        .max_height((ui.available_height() - bottom).max(40.0))
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for line in &view.console {
                match line {
                    ConsoleLine::Banner(t) => ui.weak(t),
                    ConsoleLine::Input(t) => ui.monospace(format!("> {t}")),
                    ConsoleLine::Reply(t) => ui.monospace(t),
                    ConsoleLine::Error(t) => {
                        ui.colored_label(egui::Color32::from_rgb(200, 0, 0), t)
                    }
                };
            }
            if view.console_busy {
                ui.spinner();
            }
        });
    ui.horizontal(|ui| {
        let input = ui.add(
            egui::TextEdit::singleline(&mut app.console_input)
                .desired_width(ui.available_width() - 60.0)
                .hint_text("Enter a command")
                .id_salt("console-input"),
        );
        if std::mem::take(&mut app.focus_console) {
            input.request_focus();
        }
        let enter = input.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if input.has_focus() {
            browse_history(ui, app);
            if ui.input(|i| i.key_pressed(egui::Key::Tab)) {
                if let [only] = complete(&view.commands, app.console_input.trim()).as_slice() {
                    app.console_input = only.to_string();
                }
            }
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::L)) {
                app.model.clear_console();
            }
        }
        if (ui.button("Run").clicked() || enter) && !app.console_input.trim().is_empty() {
            let line = std::mem::take(&mut app.console_input);
            app.history.push(line.clone());
            if app.history.len() > HISTORY {
                app.history.remove(0);
            }
            app.history_pos = None;
            app.model.send(Command::Console(line, None));
            input.request_focus();
        }
    });
}

fn browse_history(ui: &egui::Ui, app: &mut App) {
    let (up, down) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::ArrowUp),
            i.key_pressed(egui::Key::ArrowDown),
        )
    });
    if app.history.is_empty() || !(up || down) {
        return;
    }
    let last = app.history.len() - 1;
    app.history_pos = match (app.history_pos, up) {
        (None, true) => Some(last),
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p < last => Some(p + 1),
        _ => None,
    };
    app.console_input = app
        .history_pos
        .and_then(|p| app.history.get(p).cloned())
        .unwrap_or_default();
}
