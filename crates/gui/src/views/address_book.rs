//! The address book (bitcoin-qt's `AddressBookPage`): sending or receiving
//! addresses with their labels, a search box, New / Edit / Delete for
//! sending addresses, Copy, CSV export, and "Choose" when opened from a
//! Send entry.

use eframe::egui;

use crate::app::App;
use crate::wallets::{WalletCommand, WalletInfo, PURPOSE_RECEIVE, PURPOSE_SEND};

/// Which list is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    /// Addresses paid to.
    Sending,
    /// The wallet's own addresses.
    Receiving,
}

impl Book {
    fn purpose(self) -> i32 {
        match self {
            Book::Sending => PURPOSE_SEND,
            Book::Receiving => PURPOSE_RECEIVE,
        }
    }
}

/// The address book window's state.
#[derive(Debug, Default)]
pub struct AddressBook {
    /// The open list.
    pub open: Option<Book>,
    /// Search text.
    pub search: String,
    /// The Send entry a chosen address goes to.
    pub choose_for: Option<usize>,
    /// An entry being edited: address, label, and whether it is new.
    pub edit: Option<(String, String, bool)>,
    /// Export path, when the export field is shown.
    pub export: Option<String>,
}

/// The CSV bitcoin-qt exports: Label, Address, quoted.
pub fn csv(rows: &[(&str, &str)]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("\"Label\",\"Address\"\n");
    for (label, address) in rows {
        out.push_str(&format!("{},{}\n", q(label), q(address)));
    }
    out
}

/// Draws the address book window for the wallet at `index`.
pub fn show(ui: &mut egui::Ui, app: &mut App, wallet: &WalletInfo, index: usize) {
    let Some(book) = app.address_book.open else {
        return;
    };
    let title = match book {
        Book::Sending => "Sending addresses",
        Book::Receiving => "Receiving addresses",
    };
    let needle = app.address_book.search.to_lowercase();
    let rows: Vec<(&str, &str)> = wallet
        .book
        .iter()
        .filter(|e| e.purpose == book.purpose())
        .filter(|e| {
            needle.is_empty()
                || e.label.to_lowercase().contains(&needle)
                || e.address.to_lowercase().contains(&needle)
        })
        .map(|e| (e.label.as_str(), e.address.as_str()))
        .collect();
    let mut open = true;
    let mut command = None;
    let mut chosen = None;
    let mut cancel = false;
    let ab = &mut app.address_book;
    egui::Window::new(title)
        .open(&mut open)
        .default_size([560.0, 360.0])
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .show(ui.ctx(), |ui| {
            ui.label(match book {
                Book::Sending => "These are your Bitcoin addresses for sending payments. Always check the amount and the receiving address before sending coins.",
                Book::Receiving => "These are your Bitcoin addresses for receiving payments. Use the 'Create new receiving address' button in the receive tab to create new addresses.",
            });
            ui.add(
                egui::TextEdit::singleline(&mut ab.search)
                    .hint_text("Enter address or label to search")
                    .id_salt("book-search"),
            );
            egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
                egui::Grid::new("book").striped(true).num_columns(3).show(ui, |ui| {
                    ui.strong("Label");
                    ui.strong("Address");
                    ui.end_row();
                    for (label, address) in &rows {
                        ui.label(if label.is_empty() { "(no label)" } else { label });
                        ui.monospace(*address);
                        ui.horizontal(|ui| {
                            if ab.choose_for.is_some() && ui.small_button("Choose").clicked() {
                                chosen = Some((label.to_string(), address.to_string()));
                            }
                            if ui.small_button("Copy").clicked() {
                                ui.ctx().copy_text(address.to_string());
                            }
                            if ui.small_button("Edit").clicked() {
                                ab.edit = Some((address.to_string(), label.to_string(), false));
                            }
                            if book == Book::Sending && ui.small_button("Delete").clicked() {
                                command = Some(WalletCommand::DeleteAddress(index, address.to_string()));
                            }
                        });
                        ui.end_row();
                    }
                });
            });
            ui.horizontal(|ui| {
                if book == Book::Sending && ui.button("New").clicked() {
                    ab.edit = Some((String::new(), String::new(), true));
                }
                if ui.button("Export").clicked() {
                    ab.export = Some(format!("{}.csv", title.replace(' ', "-").to_lowercase()));
                }
            });
            if let Some((address, label, new)) = &mut ab.edit {
                ui.separator();
                egui::Grid::new("book-edit").num_columns(2).show(ui, |ui| {
                    ui.label("Label");
                    ui.add(egui::TextEdit::singleline(label).id_salt("book-label"));
                    ui.end_row();
                    ui.label("Address");
                    ui.add_enabled(*new, egui::TextEdit::singleline(address).id_salt("book-address"));
                    ui.end_row();
                });
                ui.horizontal(|ui| {
                    if ui.button("OK").clicked() {
                        command = Some(WalletCommand::SetLabel(
                            index,
                            address.trim().to_string(),
                            label.clone(),
                            book.purpose(),
                        ));
                    }
                    cancel = ui.button("Cancel").clicked();
                });
            }
            let mut saved = false;
            if let Some(path) = &mut ab.export {
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label("File (Comma separated file, *.csv):");
                    ui.add(egui::TextEdit::singleline(path).id_salt("book-export"));
                    if ui.button("Save").clicked() {
                        let message = match std::fs::write(&*path, csv(&rows)) {
                            Ok(()) => Ok(format!("The address list was successfully saved to {path}.")),
                            Err(e) => Err(format!("There was an error trying to save the address list to {path}: {e}")),
                        };
                        if let Some(w) = &app.wallets {
                            match message {
                                Ok(m) => w.note(m),
                                Err(e) => w.fail(e),
                            }
                        }
                        saved = true;
                    }
                });
            }
            if saved {
                ab.export = None;
            }
        });
    let ab = &mut app.address_book;
    if cancel {
        ab.edit = None;
    }
    if let Some(c) = command {
        if matches!(c, WalletCommand::SetLabel(..)) {
            ab.edit = None;
        }
        if let Some(w) = &app.wallets {
            w.send(c);
        }
    }
    if let Some((label, address)) = chosen {
        if let Some(entry) = ab.choose_for.and_then(|i| app.send.entries.get_mut(i)) {
            entry.address = address;
            entry.label = label;
        }
        ab.choose_for = None;
        open = false;
    }
    // Escape leaves an open edit or export first, then the book.
    if crate::views::escape(ui.ctx()) {
        if ab.edit.is_some() || ab.export.is_some() {
            ab.edit = None;
            ab.export = None;
        } else {
            open = false;
        }
    }
    if !open {
        ab.open = None;
        ab.choose_for = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_quotes_labels() {
        assert_eq!(
            csv(&[("a \"b\"", "bcrt1q")]),
            "\"Label\",\"Address\"\n\"a \"\"b\"\"\",\"bcrt1q\"\n"
        );
    }
}
