//! The Network Traffic tab (bitcoin-qt's `TrafficGraphWidget`): in and out
//! rates over a range of 5 minutes to 24 hours, and the totals.

use eframe::egui;
use egui::{Color32, Pos2, Stroke};

use crate::app::App;
use crate::model::traffic::{RANGE_STEPS, RANGE_STEP_MINUTES, SAMPLES};
use crate::model::{Traffic, View};
use crate::views::format_bytes;

use super::format_duration;

/// Space around the plot, as bitcoin-qt's margins.
const MARGIN: f32 = 10.0;
/// Received, as bitcoin-qt draws it.
const IN_COLOUR: Color32 = Color32::GREEN;
/// Sent.
const OUT_COLOUR: Color32 = Color32::RED;

/// Draws the tab.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    let traffic = &view.traffic;
    ui.horizontal(|ui| {
        let mut step = traffic.range_minutes() / RANGE_STEP_MINUTES;
        let slider = ui.add(
            egui::Slider::new(&mut step, RANGE_STEPS)
                .show_value(false)
                .text(format_duration(i64::from(traffic.range_minutes()) * 60)),
        );
        if slider.changed() {
            app.model.set_traffic_range(step * RANGE_STEP_MINUTES);
        }
        if ui.button("Reset").clicked() {
            app.model
                .set_traffic_range(crate::model::traffic::DEFAULT_RANGE_MINUTES);
        }
    });
    ui.horizontal(|ui| {
        legend(ui, IN_COLOUR);
        ui.label("Received");
        ui.label(format_bytes(traffic.total_in));
        ui.add_space(20.0);
        legend(ui, OUT_COLOUR);
        ui.label("Sent");
        ui.label(format_bytes(traffic.total_out));
    });
    let size = egui::vec2(ui.available_width(), ui.available_height().max(120.0));
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    graph(ui.painter_at(rect), rect, traffic);
}

/// A small square in a line's colour.
fn legend(ui: &mut egui::Ui, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 0.0, colour);
}

/// The plot: a black field, grid lines at the rate's order of magnitude
/// (and the one below when there are three lines or fewer), and the two
/// rate lines, newest at the right.
fn graph(painter: egui::Painter, rect: egui::Rect, traffic: &Traffic) {
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    let max = traffic.max_rate();
    if max <= 0.0 {
        return;
    }
    let plot = rect.shrink(MARGIN);
    let y_of = |rate: f32| plot.bottom() - plot.height() * rate / max;
    let axis = Stroke::new(1.0, Color32::GRAY);
    painter.line_segment([plot.left_bottom(), plot.right_bottom()], axis);
    let base = max.log10().floor();
    let step = 10f32.powf(base);
    grid(&painter, plot, step, max, axis, &y_of, false);
    if max / step <= 3.0 {
        let finer = Stroke::new(1.0, Color32::DARK_GRAY);
        grid(&painter, plot, step / 10.0, max, finer, &y_of, true);
    }
    for (samples, colour) in [
        (traffic.samples_in(), IN_COLOUR),
        (traffic.samples_out(), OUT_COLOUR),
    ] {
        let points: Vec<Pos2> = samples
            .iter()
            .enumerate()
            .map(|(i, rate)| {
                let x = plot.right() - plot.width() * i as f32 / SAMPLES as f32;
                Pos2::new(x, y_of(*rate))
            })
            .collect();
        painter.add(egui::Shape::line(points, Stroke::new(1.5, colour)));
    }
}

/// Horizontal lines every `step` kB/s with the first one labelled;
/// `skip_tenths` leaves out those the coarser grid drew.
fn grid(
    painter: &egui::Painter,
    plot: egui::Rect,
    step: f32,
    max: f32,
    stroke: Stroke,
    y_of: &dyn Fn(f32) -> f32,
    skip_tenths: bool,
) {
    painter.text(
        Pos2::new(plot.left(), y_of(step) - 2.0),
        egui::Align2::LEFT_BOTTOM,
        format!("{step} kB/s"),
        egui::FontId::proportional(11.0),
        stroke.color,
    );
    let mut n = 1;
    while step * (n as f32) < max {
        if !(skip_tenths && n % 10 == 0) {
            let y = y_of(step * n as f32);
            painter.line_segment(
                [Pos2::new(plot.left(), y), Pos2::new(plot.right(), y)],
                stroke,
            );
        }
        n += 1;
    }
}
