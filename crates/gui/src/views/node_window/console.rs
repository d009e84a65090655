//! The Console tab: the transcript, the input line with history and
//! completion, and Ctrl+L.

use eframe::egui;

use crate::app::App;
use crate::console::{complete, ConsoleLine};
use crate::model::{Command, View};

/// Most console history entries kept (bitcoin-qt: 50).
const HISTORY: usize = 50;

/// Draws the tab.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
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
