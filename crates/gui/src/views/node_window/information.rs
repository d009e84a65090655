//! The Information tab: client, chain, connections and mempool.

use eframe::egui;

use crate::app::App;
use crate::model::View;
use crate::views::{format_bytes, format_time};

/// Draws the tab.
pub fn show(ui: &mut egui::Ui, app: &App, view: &View) {
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
