//! Transactions (bitcoin-qt's `TransactionView`): the wallet's rows with
//! status, date, type, label and amount; filters by date, type, text and
//! minimum amount; details, copy, fee bump and abandon from a row's menu;
//! CSV export.

use bitcoin::Txid;
use eframe::egui;

use crate::app::App;
use crate::units::Unit;
use crate::views::{civil, format_time, unix_now};
use crate::wallets::records::{Status, TxRecord, TypeFilter};
use crate::wallets::{export, Dismiss, WalletCommand, WalletInfo, WalletsView};

/// Column widths: status, date, type, label, amount.
const WIDTHS: [f32; 5] = [24.0, 140.0, 110.0, 380.0, 150.0];

/// bitcoin-qt's date filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFilter {
    /// Every date.
    #[default]
    All,
    /// Since midnight (UTC).
    Today,
    /// Since Monday.
    ThisWeek,
    /// Since the first of the month.
    ThisMonth,
    /// The previous calendar month.
    LastMonth,
    /// Since the first of January.
    ThisYear,
}

impl DateFilter {
    /// Every choice, in bitcoin-qt's order.
    pub const ALL: [DateFilter; 6] = [
        DateFilter::All,
        DateFilter::Today,
        DateFilter::ThisWeek,
        DateFilter::ThisMonth,
        DateFilter::LastMonth,
        DateFilter::ThisYear,
    ];

    /// Its name.
    pub fn label(self) -> &'static str {
        match self {
            DateFilter::All => "All",
            DateFilter::Today => "Today",
            DateFilter::ThisWeek => "This week",
            DateFilter::ThisMonth => "This month",
            DateFilter::LastMonth => "Last month",
            DateFilter::ThisYear => "This year",
        }
    }

    /// The [from, to) range of times it lets through at `now`.
    pub fn range(self, now: i64) -> (i64, i64) {
        let day = now.div_euclid(86_400);
        let (y, m, d) = civil(day);
        let start = |y, m, d| days_from_civil(y, m, d) * 86_400;
        match self {
            DateFilter::All => (i64::MIN, i64::MAX),
            DateFilter::Today => (day * 86_400, i64::MAX),
            // 1970-01-01 was a Thursday: Monday is day 4 of the week count.
            DateFilter::ThisWeek => ((day - (day + 3).rem_euclid(7)) * 86_400, i64::MAX),
            DateFilter::ThisMonth => (start(y, m, 1), i64::MAX),
            DateFilter::LastMonth => {
                let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
                (start(py, pm, 1), start(y, m, 1))
            }
            DateFilter::ThisYear => {
                let _ = d;
                (start(y, 1, 1), i64::MAX)
            }
        }
    }
}

/// Days since 1970 of a date (days-from-civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The tab's filters and selection.
#[derive(Debug, Default)]
pub struct TxView {
    /// Date filter.
    pub date: DateFilter,
    /// Type filter.
    pub kind: TypeFilter,
    /// Text searched in address, label and txid.
    pub search: String,
    /// Minimum |amount|, in the display unit.
    pub min_amount: String,
    /// The selected row.
    pub selected: Option<(Txid, u32)>,
    /// The export dialog is open, with this path.
    pub export: Option<String>,
    /// Passphrase for signing a fee bump of a locked wallet.
    pub bump_passphrase: String,
}

impl TxView {
    /// The rows of `wallet` that pass the filters.
    pub fn filter<'a>(&self, wallet: &'a WalletInfo, unit: Unit, now: i64) -> Vec<&'a TxRecord> {
        let (from, to) = self.date.range(now);
        let min = unit.parse(&self.min_amount).unwrap_or(0);
        let needle = self.search.trim().to_lowercase();
        wallet
            .records
            .iter()
            .filter(|r| r.time >= from && r.time < to)
            .filter(|r| self.kind == TypeFilter::All || r.kind.filter() == self.kind)
            .filter(|r| r.amount.abs() >= min)
            .filter(|r| {
                needle.is_empty()
                    || r.address.to_lowercase().contains(&needle)
                    || r.txid.to_string().contains(&needle)
                    || wallet
                        .labels
                        .get(&r.address)
                        .is_some_and(|l| l.to_lowercase().contains(&needle))
            })
            .collect()
    }
}

fn row(
    ui: &mut egui::Ui,
    dot: Option<egui::Color32>,
    cells: [egui::WidgetText; 4],
    selected: bool,
) -> egui::Response {
    let r = ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(WIDTHS[0], 18.0), egui::Sense::hover());
        if let Some(color) = dot {
            ui.painter().circle_filled(rect.center(), 5.0, color);
        }
        for (cell, w) in cells.into_iter().zip(&WIDTHS[1..]) {
            ui.add_sized([*w, 18.0], egui::Label::new(cell).truncate());
        }
    });
    let response = ui.interact(
        r.response.rect,
        r.response.id.with("row"),
        egui::Sense::click(),
    );
    if selected {
        ui.painter().rect_filled(
            r.response.rect,
            0.0,
            ui.visuals().selection.bg_fill.gamma_multiply(0.4),
        );
    }
    response
}

/// The status column's mark: a coloured dot (bitcoin-qt draws clock and
/// tick icons; the default font has no such glyphs).
fn status_color(r: &TxRecord) -> egui::Color32 {
    match r.status.status {
        Status::Confirmed => egui::Color32::from_rgb(0, 150, 0),
        Status::Confirming => egui::Color32::from_rgb(220, 170, 0),
        Status::Unconfirmed => egui::Color32::GRAY,
        Status::Abandoned | Status::Conflicted | Status::NotAccepted => {
            egui::Color32::from_rgb(200, 0, 0)
        }
        Status::Immature => egui::Color32::from_rgb(0, 90, 200),
    }
}

/// Draws the transaction list of the wallet at `index`. Only the visible
/// rows are laid out, so a wallet of many thousands of transactions
/// draws as fast as a small one.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let Some(wallet) = view.wallets.get(index) else {
        return;
    };
    let unit = app.settings.display_unit;
    if app.mask_values {
        ui.label("Transactions are hidden while values are masked (Settings > Mask values).");
        return;
    }
    let tv = &mut app.tx_view;
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("date-filter")
            .selected_text(tv.date.label())
            .show_ui(ui, |ui| {
                for d in DateFilter::ALL {
                    ui.selectable_value(&mut tv.date, d, d.label());
                }
            });
        egui::ComboBox::from_id_salt("type-filter")
            .selected_text(tv.kind.label())
            .show_ui(ui, |ui| {
                for k in TypeFilter::ALL {
                    ui.selectable_value(&mut tv.kind, k, k.label());
                }
            });
        ui.add(
            egui::TextEdit::singleline(&mut tv.search)
                .hint_text("Enter address, transaction id, or label to search")
                .desired_width(300.0)
                .id_salt("tx-search"),
        );
        ui.add(
            egui::TextEdit::singleline(&mut tv.min_amount)
                .hint_text("Min amount")
                .desired_width(90.0)
                .id_salt("tx-min"),
        );
    });
    let rows = tv.filter(wallet, unit, unix_now());
    row(
        ui,
        None,
        [
            egui::RichText::new("Date").strong().into(),
            egui::RichText::new("Type").strong().into(),
            egui::RichText::new("Label").strong().into(),
            egui::RichText::new(format!("Amount ({})", unit.label()))
                .strong()
                .into(),
        ],
        false,
    );
    let height = ui.text_style_height(&egui::TextStyle::Body).max(18.0) + 4.0;
    let mut command = None;
    egui::ScrollArea::vertical()
        .id_salt("tx-rows")
        .max_height(ui.available_height() - 30.0)
        .show_rows(ui, height, rows.len(), |ui, range| {
            for r in &rows[range] {
                let key = (r.txid, r.vout);
                let mut amount = egui::RichText::new(unit.format_grouped(r.amount));
                if r.amount < 0 {
                    amount = amount.color(egui::Color32::from_rgb(200, 0, 0));
                }
                if !r.status.counts_for_balance && r.status.status != Status::Confirmed {
                    amount = egui::RichText::new(format!("[{}]", unit.format_grouped(r.amount)))
                        .color(egui::Color32::GRAY);
                }
                let response = row(
                    ui,
                    Some(status_color(r)),
                    [
                        format_time(r.time).into(),
                        r.kind.label().into(),
                        wallet.label_of(r).into(),
                        amount.into(),
                    ],
                    tv.selected == Some(key),
                )
                .on_hover_text(r.status.text());
                if response.clicked() {
                    tv.selected = Some(key);
                }
                if response.double_clicked() {
                    command = Some(WalletCommand::Details(index, r.txid));
                }
                response.context_menu(|ui| {
                    tv.selected = Some(key);
                    if ui.button("Copy address").clicked() {
                        ui.ctx().copy_text(r.address.clone());
                        ui.close();
                    }
                    if ui.button("Copy amount").clicked() {
                        ui.ctx().copy_text(unit.format(r.amount));
                        ui.close();
                    }
                    if ui.button("Copy transaction ID").clicked() {
                        ui.ctx().copy_text(r.txid.to_string());
                        ui.close();
                    }
                    if ui.button("Show transaction details").clicked() {
                        command = Some(WalletCommand::Details(index, r.txid));
                        ui.close();
                    }
                    let pending = r.status.depth == 0;
                    if ui
                        .add_enabled(
                            pending && r.amount < 0,
                            egui::Button::new("Increase transaction fee"),
                        )
                        .clicked()
                    {
                        command = Some(WalletCommand::Bump(index, r.txid));
                        ui.close();
                    }
                    if ui
                        .add_enabled(
                            pending && r.status.status != Status::Abandoned,
                            egui::Button::new("Abandon transaction"),
                        )
                        .clicked()
                    {
                        command = Some(WalletCommand::Abandon(index, r.txid));
                        ui.close();
                    }
                });
            }
        });
    ui.horizontal(|ui| {
        if ui.button("Export…").clicked() {
            tv.export = Some(format!("transactions-{}.csv", wallet.display_name()));
        }
        ui.label(format!("{} of {} rows", rows.len(), wallet.records.len()));
    });
    if let (Some(c), Some(w)) = (command, &app.wallets) {
        match c {
            WalletCommand::Details(..) => w.ask(c),
            c => w.send(c),
        }
    }
    export_window(ui, app, wallet, unit);
    details_window(ui, app, view);
    bump_window(ui, app, view, unit);
}

fn export_window(ui: &mut egui::Ui, app: &mut App, wallet: &WalletInfo, unit: Unit) {
    let Some(path) = &mut app.tx_view.export else {
        return;
    };
    let mut open = true;
    let mut save = false;
    egui::Window::new("Export Transaction History")
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .open(&mut open)
        .collapsible(false)
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                ui.label("File (Comma separated file, *.csv):");
                ui.add(
                    egui::TextEdit::singleline(path)
                        .desired_width(320.0)
                        .id_salt("export-path"),
                );
            });
            save = ui.button("Save").clicked();
        });
    if save {
        let rows = app.tx_view.filter(wallet, unit, unix_now());
        let text = export::csv(wallet, &rows, &format!("Amount ({})", unit.label()), |a| {
            unit.format(a)
        });
        let path = app.tx_view.export.take().unwrap_or_default();
        let result = std::fs::write(&path, text)
            .map(|_| format!("The transaction history was successfully saved to {path}."))
            .map_err(|e| {
                format!("There was an error trying to save the transaction history to {path}: {e}")
            });
        if let Some(w) = &app.wallets {
            match result {
                Ok(m) => w.note(m),
                Err(e) => w.fail(e),
            }
        }
        return;
    }
    if !open {
        app.tx_view.export = None;
    }
}

fn details_window(ui: &mut egui::Ui, app: &mut App, view: &WalletsView) {
    let Some(d) = &view.details else { return };
    let mut open = true;
    egui::Window::new(format!("Details for {}", d.txid))
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .open(&mut open)
        .default_width(560.0)
        .show(ui.ctx(), |ui| {
            egui::Grid::new("tx-details").num_columns(2).show(ui, |ui| {
                for (k, v) in &d.lines {
                    ui.strong(format!("{k}:"));
                    ui.label(v);
                    ui.end_row();
                }
            });
            if ui.button("Copy raw transaction").clicked() {
                ui.ctx().copy_text(d.hex.clone());
            }
        });
    open &= !crate::views::escape(ui.ctx());
    if !open {
        if let Some(w) = &app.wallets {
            w.dismiss(Dismiss::Details);
        }
    }
}

/// bitcoin-qt's "Increase transaction fee" question: current fee,
/// increase, new fee.
fn bump_window(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, unit: Unit) {
    let Some(b) = &view.bump else { return };
    let locked = view.wallets.get(b.index).is_some_and(|w| w.flags.locked);
    let mut answer = None;
    egui::Window::new("Confirm fee bump")
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .collapsible(false)
        .show(ui.ctx(), |ui| {
            ui.label("Do you want to increase the fee?");
            egui::Grid::new("bump").num_columns(2).show(ui, |ui| {
                ui.label("Current fee:");
                ui.label(unit.format_with_unit(b.old_fee));
                ui.end_row();
                ui.label("Increase:");
                ui.label(unit.format_with_unit(b.new_fee - b.old_fee));
                ui.end_row();
                ui.label("New fee:");
                ui.label(unit.format_with_unit(b.new_fee));
                ui.end_row();
            });
            if locked {
                ui.horizontal(|ui| {
                    ui.label("Passphrase:");
                    ui.add(
                        egui::TextEdit::singleline(&mut app.tx_view.bump_passphrase)
                            .password(true)
                            .id_salt("bump-passphrase"),
                    );
                });
            }
            ui.horizontal(|ui| {
                if ui.button("Yes").clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(false);
                }
            });
        });
    if let (Some(yes), Some(w)) = (answer, &app.wallets) {
        let pass = std::mem::take(&mut app.tx_view.bump_passphrase);
        w.send(if yes {
            WalletCommand::CommitBump((!pass.is_empty()).then_some(pass))
        } else {
            WalletCommand::Cancel
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_filters_cover_the_calendar() {
        // 2024-03-14 (a Thursday) 12:00 UTC.
        let now = 1_710_417_600;
        assert_eq!(civil(now / 86_400), (2024, 3, 14));
        assert_eq!(DateFilter::Today.range(now).0, 1_710_374_400);
        // Monday 2024-03-11.
        assert_eq!(DateFilter::ThisWeek.range(now).0, 1_710_115_200);
        assert_eq!(DateFilter::ThisMonth.range(now).0, 1_709_251_200);
        assert_eq!(
            DateFilter::LastMonth.range(now),
            (1_706_745_600, 1_709_251_200)
        );
        assert_eq!(DateFilter::ThisYear.range(now).0, 1_704_067_200);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }
}
