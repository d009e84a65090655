//! The sync overlay (bitcoin-qt's `ModalOverlay`): blocks left, last block
//! time, progress, its rate per hour and the time left, over the wallet
//! area while the node catches up, until hidden or synced.

use std::time::{Duration, Instant};

use eframe::egui;

use crate::app::App;
use crate::model::View;
use crate::views::{format_time, nice_time_offset, status_bar::behind};

/// Samples kept for the rate (bitcoin-qt keeps 5000).
const MAX_SAMPLES: usize = 5000;
/// The rate compares the newest sample with the first older than this.
const RATE_WINDOW: Duration = Duration::from_secs(500);

/// Whether the overlay covers the wallet area now.
pub fn wanted(app: &App, view: &View) -> bool {
    !app.overlay_hidden && view.status.as_ref().is_some_and(behind)
}

/// Progress per second and the estimated seconds left, from the samples.
pub fn estimate(samples: &std::collections::VecDeque<(Instant, f64)>) -> Option<(f64, f64)> {
    let (t1, p1) = *samples.back()?;
    let (t0, p0) = samples
        .iter()
        .rev()
        .find(|(t, _)| t1.duration_since(*t) >= RATE_WINDOW)
        .or_else(|| samples.front())
        .copied()?;
    let dt = t1.duration_since(t0).as_secs_f64();
    let dp = p1 - p0;
    if dt <= 0.0 || dp <= 0.0 {
        return None;
    }
    Some((dp / dt, (1.0 - p1) / dp * dt))
}

/// Draws the overlay.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    let Some(s) = &view.status else {
        return;
    };
    if app
        .progress
        .back()
        .is_none_or(|(_, p)| *p != s.verification_progress)
    {
        app.progress
            .push_back((Instant::now(), s.verification_progress));
        if app.progress.len() > MAX_SAMPLES {
            app.progress.pop_front();
        }
    }
    ui.vertical_centered(|ui| {
        ui.add_space(24.0);
        ui.heading("Recent transactions may not yet be visible, and therefore your wallet's balance might be incorrect. This information will be correct once your wallet has finished synchronizing with the bitcoin network, as detailed below.");
        ui.add_space(12.0);
    });
    egui::Grid::new("overlay").num_columns(2).show(ui, |ui| {
        ui.label("Number of blocks left");
        ui.label(if s.headers >= 0 {
            (s.headers - s.blocks).max(0).to_string()
        } else {
            "Unknown…".to_string()
        });
        ui.end_row();
        ui.label("Last block time");
        ui.label(format_time(s.last_block_time));
        ui.end_row();
        ui.label("Progress");
        ui.label(format!("{:.2}%", s.verification_progress * 100.0));
        ui.end_row();
        let est = estimate(&app.progress);
        ui.label("Progress increase per hour");
        ui.label(est.map_or("calculating…".to_string(), |(rate, _)| {
            format!("{:.2}%", rate * 3600.0 * 100.0)
        }));
        ui.end_row();
        ui.label("Estimated time left until synced");
        ui.label(est.map_or("calculating…".to_string(), |(_, left)| {
            nice_time_offset(left as i64)
        }));
        ui.end_row();
    });
    ui.add_space(12.0);
    if ui.button("Hide").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        app.overlay_hidden = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_compares_with_a_sample_old_enough() {
        let t0 = Instant::now();
        let mut s = std::collections::VecDeque::new();
        assert!(estimate(&s).is_none());
        s.push_back((t0, 0.10));
        s.push_back((t0 + Duration::from_secs(600), 0.20));
        s.push_back((t0 + Duration::from_secs(1000), 0.30));
        let (rate, left) = estimate(&s).unwrap();
        // 0.20 over the 1000 s since the first sample older than 500 s.
        assert!((rate - 0.0002).abs() < 1e-9, "{rate}");
        assert!((left - 3500.0).abs() < 1e-6, "{left}");
    }
}
