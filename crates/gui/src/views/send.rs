//! Send (bitcoin-qt's `SendCoinsDialog`): any number of "Pay To" entries
//! with label, amount in the display unit and subtract-fee; the fee from
//! the wallet's estimate for a confirmation target or a custom rate; coin
//! control when enabled; a confirmation with the fee and total before
//! anything is broadcast, and an unsigned PSBT for watch-only wallets.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bitcoin::OutPoint;
use eframe::egui;

use crate::app::App;
use crate::units::Unit;
use crate::views::format_time;
use crate::wallets::send::SendRecipient;
use crate::wallets::{Dismiss, FeeChoice, SendRequest, WalletCommand, WalletInfo, WalletsView};

/// bitcoin-qt's confirmation targets in blocks.
pub const TARGETS: [i32; 9] = [2, 4, 6, 12, 24, 48, 144, 504, 1008];
/// bitcoin-qt's `SEND_CONFIRM_DELAY`: the Send button waits this long.
pub const CONFIRM_DELAY: Duration = Duration::from_secs(3);
/// Core's `FeeReason::FALLBACK`.
const REASON_FALLBACK: i32 = 5;

/// One "Pay To" entry as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// Address.
    pub address: String,
    /// Label.
    pub label: String,
    /// Amount in the display unit.
    pub amount: String,
    /// Subtract the fee from this amount.
    pub subtract: bool,
}

/// The Send tab's state.
#[derive(Debug)]
pub struct SendForm {
    /// The entries (at least one once drawn).
    pub entries: Vec<Entry>,
    /// Custom fee instead of the estimate.
    pub custom_fee: bool,
    /// Confirmation target in blocks.
    pub target: i32,
    /// Custom fee per kvB, in the display unit.
    pub custom: String,
    /// Coins chosen with coin control.
    pub coins: BTreeSet<OutPoint>,
    /// The coin control window is open.
    pub coin_control_open: bool,
    /// Passphrase for a locked wallet.
    pub passphrase: String,
    /// When the confirmation appeared (the Send button waits).
    pub confirm_since: Option<Instant>,
    /// The fee estimate asked for (wallet, target).
    pub asked_fee: Option<(usize, i32)>,
}

impl Default for SendForm {
    fn default() -> Self {
        SendForm {
            entries: Vec::new(),
            custom_fee: false,
            target: 6,
            custom: String::new(),
            coins: BTreeSet::new(),
            coin_control_open: false,
            passphrase: String::new(),
            confirm_since: None,
            asked_fee: None,
        }
    }
}

impl SendForm {
    /// The request the form describes, or the first thing wrong with it.
    pub fn request(&self, index: usize, unit: Unit, unsigned: bool) -> Result<SendRequest, String> {
        let mut recipients = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let amount = unit
                .parse(&e.amount)
                .ok_or("The amount to pay must be larger than 0.")?;
            recipients.push(SendRecipient {
                address: e.address.trim().to_string(),
                label: e.label.clone(),
                amount,
                subtract_fee: e.subtract,
            });
        }
        let fee = if self.custom_fee {
            FeeChoice::Custom(unit.parse(&self.custom).ok_or("Invalid custom fee")?)
        } else {
            FeeChoice::Target(self.target)
        };
        Ok(SendRequest {
            index,
            recipients,
            fee,
            coins: self.coins.iter().copied().collect(),
            passphrase: (!self.passphrase.is_empty()).then(|| self.passphrase.clone()),
            unsigned,
        })
    }
}

/// Fills Send from a `bitcoin:` URI (bitcoin-qt's `handlePaymentRequest`):
/// the URI's payment replaces an empty first entry or is added. `Err`
/// with bitcoin-qt's message when the URI or its address is not valid.
pub fn open_uri(app: &mut App, text: &str) -> Result<(), String> {
    const BAD: &str = "URI cannot be parsed! This can be caused by an invalid Bitcoin address or malformed URI parameters.";
    let uri = crate::uri::parse(text).ok_or(BAD)?;
    crate::wallets::parse_address(&uri.address, app.network).ok_or(BAD)?;
    let unit = app.settings.display_unit;
    let entry = Entry {
        address: uri.address,
        label: uri.label,
        amount: if uri.amount > 0 {
            unit.format(uri.amount)
        } else {
            String::new()
        },
        subtract: app.settings.sub_fee_from_amount,
    };
    match app.send.entries.first() {
        Some(e) if app.send.entries.len() == 1 && e.address.is_empty() && e.amount.is_empty() => {
            app.send.entries[0] = entry;
        }
        _ => app.send.entries.push(entry),
    }
    app.tab = crate::app::Tab::Send;
    Ok(())
}

/// Draws the Send tab for the wallet at `index`.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let Some(wallet) = view.wallets.get(index) else {
        return;
    };
    let unit = app.settings.display_unit;
    if app.send.entries.is_empty() {
        app.send.entries.push(Entry {
            subtract: app.settings.sub_fee_from_amount,
            ..Default::default()
        });
    }
    if app.settings.coin_control {
        coin_control_bar(ui, app, view, index);
    }
    let mut enter = false;
    let mut remove = None;
    let mut pick = None;
    let count = app.send.entries.len();
    egui::ScrollArea::vertical()
        .id_salt("send-entries")
        .max_height(ui.available_height() - 170.0)
        .show(ui, |ui| {
            for (i, e) in app.send.entries.iter_mut().enumerate() {
                ui.push_id(i, |ui| {
                    egui::Grid::new("entry").num_columns(2).show(ui, |ui| {
                        ui.label("Pay To:");
                        ui.horizontal(|ui| {
                            let field = ui.add(
                                egui::TextEdit::singleline(&mut e.address)
                                    .desired_width(420.0)
                                    .hint_text("Enter a Bitcoin address")
                                    .id_salt("send-address"),
                            );
                            if i == 0 && std::mem::take(&mut app.focus_tab) {
                                field.request_focus();
                            }
                            if ui
                                .small_button("…")
                                .on_hover_text("Choose previously used address")
                                .clicked()
                            {
                                pick = Some(i);
                            }
                            if count > 1 && ui.small_button("×").on_hover_text("Remove this entry").clicked() {
                                remove = Some(i);
                            }
                        });
                        ui.end_row();
                        ui.label("Label:");
                        ui.add(
                            egui::TextEdit::singleline(&mut e.label)
                                .hint_text("Enter a label for this address to add it to the list of used addresses")
                                .desired_width(420.0)
                                .id_salt("send-label"),
                        );
                        ui.end_row();
                        ui.label("Amount:");
                        ui.horizontal(|ui| {
                            let field = ui.add(
                                egui::TextEdit::singleline(&mut e.amount).id_salt("send-amount"),
                            );
                            enter |= field.lost_focus()
                                && ui.input(|inp| inp.key_pressed(egui::Key::Enter));
                            ui.label(unit.label());
                            ui.checkbox(&mut e.subtract, "Subtract fee from amount");
                        });
                        ui.end_row();
                    });
                    if !e.amount.trim().is_empty() && unit.parse(&e.amount).is_none() {
                        ui.colored_label(egui::Color32::from_rgb(200, 0, 0), "Invalid amount");
                    }
                    ui.separator();
                });
            }
        });
    if let Some(i) = remove {
        app.send.entries.remove(i);
    }
    if let Some(i) = pick {
        app.address_book.open = Some(crate::views::address_book::Book::Sending);
        app.address_book.choose_for = Some(i);
    }
    fee_section(ui, app, view, wallet, index);
    let unsigned = wallet.flags.private_keys_disabled;
    if wallet.flags.locked {
        ui.horizontal(|ui| {
            ui.label("Passphrase:");
            ui.add(
                egui::TextEdit::singleline(&mut app.send.passphrase)
                    .password(true)
                    .id_salt("send-passphrase"),
            );
        });
    }
    ui.horizontal(|ui| {
        let ready = !view.busy
            && app
                .send
                .entries
                .iter()
                .all(|e| !e.address.trim().is_empty() && unit.parse(&e.amount).is_some());
        let label = if unsigned { "Create Unsigned" } else { "Send" };
        if ui.add_enabled(ready, egui::Button::new(label)).clicked() || (enter && ready) {
            prepare(app, index, unit, unsigned);
        }
        if app.settings.psbt_controls
            && !unsigned
            && ui
                .add_enabled(ready, egui::Button::new("Create Unsigned"))
                .clicked()
        {
            prepare(app, index, unit, true);
        }
        if ui.button("Clear All").clicked() {
            app.send = SendForm::default();
        }
        if ui.button("Add Recipient").clicked() {
            app.send.entries.push(Entry {
                subtract: app.settings.sub_fee_from_amount,
                ..Default::default()
            });
        }
        ui.label(format!(
            "Balance: {}",
            unit.format_with_unit(wallet.balances.balance)
        ));
    });
    confirm_window(ui, app, view, wallet, unit);
    psbt_window(ui, app, view);
}

fn prepare(app: &mut App, index: usize, unit: Unit, unsigned: bool) {
    let Some(w) = &app.wallets else { return };
    match app.send.request(index, unit, unsigned) {
        Ok(r) => w.send(WalletCommand::Prepare(r)),
        Err(e) => w.fail(e),
    }
    app.send.passphrase.clear();
}

fn fee_section(
    ui: &mut egui::Ui,
    app: &mut App,
    view: &WalletsView,
    wallet: &WalletInfo,
    index: usize,
) {
    let unit = app.settings.display_unit;
    let form = &mut app.send;
    ui.horizontal(|ui| {
        ui.strong("Transaction Fee:");
        ui.radio_value(&mut form.custom_fee, false, "Recommended:");
        match view.fee.filter(|f| f.0 == index && f.1 == form.target) {
            Some((_, _, used, reason, per_kvb)) => {
                ui.label(format!("{}/kvB", unit.format_with_unit(per_kvb)));
                if reason == REASON_FALLBACK {
                    ui.colored_label(
                        egui::Color32::from_rgb(200, 120, 0),
                        "Smart fee not initialized yet. Warning: Fee estimation is currently not possible.",
                    );
                } else {
                    ui.label(format!(
                        "Estimated to begin confirmation within {used} block(s)."
                    ));
                }
            }
            None => {
                ui.label("Estimating…");
            }
        }
    });
    if form.asked_fee != Some((index, form.target)) {
        form.asked_fee = Some((index, form.target));
        if let Some(w) = &app.wallets {
            w.ask(WalletCommand::Fee(index, form.target));
        }
    }
    ui.horizontal(|ui| {
        ui.add_space(20.0);
        ui.label("Confirmation time target:");
        egui::ComboBox::from_id_salt("conf-target")
            .selected_text(target_text(form.target))
            .show_ui(ui, |ui| {
                for t in TARGETS {
                    ui.selectable_value(&mut form.target, t, target_text(t));
                }
            });
    });
    ui.horizontal(|ui| {
        ui.radio_value(&mut form.custom_fee, true, "Custom:");
        ui.add_enabled(
            form.custom_fee,
            egui::TextEdit::singleline(&mut form.custom)
                .desired_width(120.0)
                .id_salt("custom-fee"),
        );
        ui.label(format!("{} per kilobyte", unit.label()));
    });
    let _ = wallet;
}

/// bitcoin-qt's target names ("1 hour (6 blocks)" style, from the
/// nice time offset of ten minutes a block).
pub fn target_text(blocks: i32) -> String {
    format!(
        "{} ({blocks} blocks)",
        crate::views::nice_time_offset(i64::from(blocks) * 600)
    )
}

fn coin_control_bar(ui: &mut egui::Ui, app: &mut App, view: &WalletsView, index: usize) {
    let unit = app.settings.display_unit;
    ui.horizontal(|ui| {
        ui.strong("Coin Control Features");
        if ui.button("Inputs…").clicked() {
            app.send.coin_control_open = true;
            if let Some(w) = &app.wallets {
                w.ask(WalletCommand::LoadCoins(index));
            }
        }
        if app.send.coins.is_empty() {
            ui.label("automatically selected");
        } else {
            let total: i64 = coins_of(view, index)
                .iter()
                .filter(|c| app.send.coins.contains(&c.outpoint))
                .map(|c| c.amount)
                .sum();
            ui.label(format!(
                "Quantity: {}  Amount: {}",
                app.send.coins.len(),
                unit.format_with_unit(total)
            ));
        }
    });
    if !app.send.coin_control_open {
        return;
    }
    let mut open = true;
    let coins = coins_of(view, index);
    egui::Window::new("Coin Selection")
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .open(&mut open)
        .default_size([640.0, 360.0])
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                if ui.button("(un)select all").clicked() {
                    if app.send.coins.is_empty() {
                        app.send.coins = coins
                            .iter()
                            .filter(|c| !c.locked)
                            .map(|c| c.outpoint)
                            .collect();
                    } else {
                        app.send.coins.clear();
                    }
                }
            });
            let mut lock_change = None;
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("coins")
                    .striped(true)
                    .num_columns(7)
                    .show(ui, |ui| {
                        for h in [
                            "",
                            "Amount",
                            "Received with label",
                            "Received with address",
                            "Date",
                            "Confirmations",
                            "",
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for c in &coins {
                            let mut on = app.send.coins.contains(&c.outpoint);
                            if ui
                                .add_enabled(!c.locked, egui::Checkbox::without_text(&mut on))
                                .changed()
                            {
                                if on {
                                    app.send.coins.insert(c.outpoint);
                                } else {
                                    app.send.coins.remove(&c.outpoint);
                                }
                            }
                            ui.label(unit.format_grouped(c.amount));
                            ui.label(&c.label);
                            ui.label(&c.address);
                            ui.label(format_time(c.time));
                            ui.label(c.depth.to_string());
                            let text = if c.locked {
                                "Unlock unspent"
                            } else {
                                "Lock unspent"
                            };
                            if ui.small_button(text).clicked() {
                                lock_change = Some((c.outpoint, !c.locked));
                            }
                            ui.end_row();
                        }
                    });
            });
            if let (Some((op, lock_it)), Some(w)) = (lock_change, &app.wallets) {
                app.send.coins.remove(&op);
                w.send(WalletCommand::LockCoin(index, op, lock_it));
            }
        });
    app.send.coin_control_open = open;
}

fn coins_of(view: &WalletsView, index: usize) -> Vec<crate::wallets::CoinRow> {
    view.coins
        .as_ref()
        .filter(|(i, _)| *i == index)
        .map(|(_, c)| c.clone())
        .unwrap_or_default()
}

/// "Confirm send coins": the payments, fee and total; Send waits three
/// seconds, as in bitcoin-qt.
fn confirm_window(
    ui: &mut egui::Ui,
    app: &mut App,
    view: &WalletsView,
    wallet: &WalletInfo,
    unit: Unit,
) {
    let Some(p) = &view.prepared else {
        app.send.confirm_since = None;
        return;
    };
    // Cancel is the default, as in bitcoin-qt: Enter right away sends nothing.
    let first = app.send.confirm_since.is_none();
    let since = *app.send.confirm_since.get_or_insert_with(Instant::now);
    let left = CONFIRM_DELAY.saturating_sub(since.elapsed());
    let title = if p.unsigned {
        "Confirm transaction proposal"
    } else {
        "Confirm send coins"
    };
    let mut answer = None;
    egui::Window::new(title)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .collapsible(false)
        .resizable(false)
        .show(ui.ctx(), |ui| {
            ui.label(if p.unsigned {
                "Do you want to create this transaction?"
            } else {
                "Are you sure you want to send?"
            });
            for r in &p.recipients {
                let to = if r.label.is_empty() {
                    r.address.clone()
                } else {
                    format!("'{}' ({})", r.label, r.address)
                };
                ui.label(format!("{} to {to}", unit.format_with_unit(r.amount)));
            }
            if view.wallets.len() > 1 {
                ui.label(format!("from wallet '{}'", wallet.display_name()));
            }
            ui.label(format!(
                "Transaction fee: {} ({:.3} kvB)",
                unit.format_with_unit(p.fee),
                p.vsize as f64 / 1000.0
            ));
            ui.label("You can increase the fee later (signals Replace-By-Fee, BIP-125).");
            let sent: i64 = p.recipients.iter().map(|r| r.amount).sum();
            let total = sent
                + if p.recipients.iter().any(|r| r.subtract_fee) {
                    0
                } else {
                    p.fee
                };
            ui.strong(format!("Total Amount: {}", unit.format_with_unit(total)));
            ui.horizontal(|ui| {
                let label = match (p.unsigned, left.as_secs()) {
                    (true, _) => "Create Unsigned".to_string(),
                    (false, 0) if left.is_zero() => "Send".to_string(),
                    (false, _) => format!("Send ({})", left.as_secs() + 1),
                };
                if ui
                    .add_enabled(left.is_zero() || p.unsigned, egui::Button::new(label))
                    .clicked()
                {
                    answer = Some(true);
                }
                let cancel = ui.button("Cancel");
                if first {
                    cancel.request_focus();
                }
                if cancel.clicked() {
                    answer = Some(false);
                }
            });
        });
    if !left.is_zero() {
        ui.ctx().request_repaint_after(Duration::from_millis(200));
    }
    if let (Some(yes), Some(w)) = (answer, &app.wallets) {
        w.send(if yes {
            WalletCommand::Commit
        } else {
            WalletCommand::Cancel
        });
        if yes {
            app.send = SendForm::default();
        }
    }
}

/// The unsigned PSBT made by "Create Unsigned", to copy.
fn psbt_window(ui: &mut egui::Ui, app: &mut App, view: &WalletsView) {
    let Some(psbt) = &view.psbt else { return };
    let mut open = true;
    egui::Window::new("Unsigned transaction")
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(crate::views::center(ui.ctx()))
        .open(&mut open)
        .show(ui.ctx(), |ui| {
            ui.label("The PSBT, to be signed by a wallet that holds the keys:");
            let mut text = psbt.clone();
            ui.add(
                egui::TextEdit::multiline(&mut text)
                    .desired_width(480.0)
                    .id_salt("psbt-out"),
            );
            if ui.button("Copy to Clipboard").clicked() {
                ui.ctx().copy_text(psbt.clone());
            }
        });
    if !open {
        if let Some(w) = &app.wallets {
            w.dismiss(Dismiss::Psbt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_a_request_in_the_display_unit() {
        let mut f = SendForm::default();
        f.entries.push(Entry {
            address: " bcrt1qx ".into(),
            amount: "1 500".into(),
            ..Default::default()
        });
        let r = f.request(0, Unit::MBtc, false).unwrap();
        assert_eq!(r.recipients[0].amount, 150_000_000);
        assert_eq!(r.recipients[0].address, "bcrt1qx");
        assert_eq!(r.fee, FeeChoice::Target(6));
        f.custom_fee = true;
        f.custom = "2000".into();
        assert_eq!(
            f.request(0, Unit::Sat, false).unwrap().fee,
            FeeChoice::Custom(2000)
        );
        f.entries[0].amount = "x".into();
        assert!(f.request(0, Unit::Btc, false).is_err());
        assert_eq!(target_text(6), "60 minutes (6 blocks)");
        assert_eq!(target_text(144), "24 hours (144 blocks)");
        assert_eq!(target_text(1008), "7 days (1008 blocks)");
    }
}
