//! The wallet screens on a fake node and fake wallets, headless: Overview,
//! Transactions (filters, details, abandon, fee bump, CSV), Receive (the
//! request, its QR code and history), Send (several recipients, units,
//! fee choice, confirmation, passphrase, unsigned PSBT for watch-only
//! wallets) and the wallet menu's dialogs.

mod support;

// The library's dependencies, not used by the tests themselves.
use common as _;
use consensus as _;
use ipc as _;
use libc as _;
use qrcode as _;
use serde_json as _;
use tracing as _;
use winit as _;

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui::app::{App, Tab};
use gui::model::{NodeModel, Phase, Start};
use gui::units::Unit;
use gui::views::send::Entry;
use gui::views::wallet_dialogs::Dialog;
use gui::wallets::requests::ReceiveRequest;
use gui::wallets::WalletsModel;
use support::wallet::{address, FakeLoader, FakeWallet};
use support::{settle, FakeNode};

const T0: i64 = 1_700_000_000;

fn harness(wallets: &[FakeWallet]) -> (Harness<'static, App>, FakeLoader) {
    let node = FakeNode::synced(100);
    let loader = FakeLoader::with(wallets);
    *node.loader.lock().unwrap() = Some(loader.clone());
    let model = NodeModel::start(node.clone(), Start::Attached, Arc::new(|| {}));
    let mut app = App::new(model.clone(), "regtest");
    app.wallets = Some(WalletsModel::start(
        node,
        bitcoin::Network::Regtest,
        move || {
            let v = model.view();
            (v.phase == Phase::Running).then(|| v.status.map_or(0, |s| s.blocks))
        },
        Arc::new(|| {}),
    ));
    let h = Harness::builder()
        .with_size(eframe::egui::vec2(1100.0, 800.0))
        .build_ui_state(|ui, app: &mut App| app.draw(ui), app);
    (h, loader)
}

fn has(h: &Harness<'static, App>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Clicks the last widget labelled `label` (the toolbar's "Send" tab
/// comes before the form's Send button, which comes before a dialog's).
fn click_last(h: &Harness<'static, App>, label: &str) {
    h.get_all_by_label(label)
        .last()
        .unwrap_or_else(|| panic!("no {label}"))
        .click();
}

fn alice() -> FakeWallet {
    let w = FakeWallet::named("alice");
    {
        let mut s = w.state();
        s.balances.balance = 150_000_000;
        s.balances.unconfirmed_balance = 5_000;
    }
    w.receive(1, 100_000_000, 7, T0);
    w.receive(2, 50_000_000, 2, T0 + 60);
    w.receive(3, 5_000, 0, T0 + 120);
    let dest = interfaces::wallet::TxDestination::from_script(&support::wallet::p2wpkh(1));
    w.state().book.push((dest, "salary".into(), 0));
    w
}

#[test]
fn overview_shows_balances_in_the_chosen_unit_and_recent_transactions() {
    let (mut h, _) = harness(&[alice()]);
    settle(&mut h, "balances", |h| has(h, "1.50000000 BTC"));
    assert!(has(&h, "0.00005000 BTC"), "pending");
    assert!(h.query_by_label("salary").is_some(), "labelled row");
    // Unconfirmed rows are bracketed, as in bitcoin-qt.
    assert!(has(&h, "[0.00005000 BTC]"));
    h.state_mut().settings.display_unit = Unit::Sat;
    settle(&mut h, "satoshis", |h| {
        has(h, "150\u{2009}000\u{2009}000 sat")
    });
    // A click on a recent transaction opens it in Transactions.
    h.get_by_label("salary").click();
    settle(&mut h, "transactions tab", |h| {
        h.state().tab == Tab::Transactions
    });
}

#[test]
fn transactions_filter_show_details_abandon_bump_and_export() {
    let w = alice();
    let (mut h, _) = harness(std::slice::from_ref(&w));
    h.state_mut().open_tab(Tab::Transactions);
    settle(&mut h, "rows", |h| has(h, "3 of 3 rows"));
    h.state_mut().tx_view.search = "salary".into();
    settle(&mut h, "search", |h| has(h, "1 of 3 rows"));
    h.state_mut().tx_view.search.clear();
    h.state_mut().tx_view.min_amount = "0.5".into();
    settle(&mut h, "min amount", |h| has(h, "2 of 3 rows"));
    h.state_mut().tx_view.min_amount.clear();
    // Details from the row's menu.
    h.get_by_label("salary").click_secondary();
    h.run_steps(2);
    h.get_by_label("Show transaction details").click();
    settle(&mut h, "details", |h| has(h, "Transaction virtual size"));
    assert!(has(&h, "Confirmed (7 confirmations)"));
    h.state()
        .wallets
        .as_ref()
        .unwrap()
        .dismiss(gui::wallets::Dismiss::Details);
    // Abandon: only the unconfirmed one offers it.
    let pending = address(3);
    h.get_by_label(&pending).click_secondary();
    h.run_steps(2);
    h.get_by_label("Abandon transaction").click();
    settle(&mut h, "abandoned", |h| {
        !w.state().abandoned.is_empty() && has(h, "abandoned")
    });
    // The wallet's change notice makes the row show it.
    settle(&mut h, "status", |h| {
        h.state().wallets.as_ref().unwrap().view().wallets[0]
            .records
            .iter()
            .any(|r| r.status.status == gui::wallets::records::Status::Abandoned)
    });
    // Fee bump: the question, then sign and commit.
    let txid = w.state().txs[2].tx.compute_txid();
    h.state()
        .wallets
        .as_ref()
        .unwrap()
        .send(gui::wallets::WalletCommand::Bump(0, txid));
    settle(&mut h, "bump question", |h| {
        has(h, "Do you want to increase the fee?")
    });
    assert!(has(&h, "0.00001000 BTC"), "increase");
    h.get_by_label("Yes").click();
    settle(&mut h, "bumped", |_| !w.state().bumped.is_empty());
    assert_eq!(w.state().bumped[0].0, txid);
    // CSV export of what the filter shows.
    let dir = std::env::temp_dir().join(format!("gui-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tx.csv");
    h.state_mut().tx_view.export = Some(path.display().to_string());
    h.run_steps(2);
    h.get_by_label("Save").click();
    settle(&mut h, "saved", |h| has(h, "successfully saved"));
    let csv = std::fs::read_to_string(&path).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.contains("\"salary\",\"") && csv.contains("\"1.00000000\""),
        "{csv}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn receive_makes_a_request_with_qr_code_and_keeps_its_history() {
    let w = alice();
    let (mut h, _) = harness(std::slice::from_ref(&w));
    h.state_mut().open_tab(Tab::Receive);
    settle(&mut h, "receive", |h| {
        has(h, "Create new receiving address")
    });
    {
        let app = h.state_mut();
        app.receive.label = "rent".into();
        app.receive.amount = "0.25".into();
        app.receive.message = "march".into();
    }
    h.run_steps(2);
    h.get_by_label("Create new receiving address").click();
    settle(&mut h, "the request", |h| has(h, "bitcoin:bcrt1"));
    let uri = format!(
        "bitcoin:{}?amount=0.25000000&label=rent&message=march",
        address(201)
    );
    assert!(h.query_by_label(&uri).is_some(), "the URI");
    assert!(h.query_by_label("QR code").is_some(), "the QR code");
    // The request is stored in bitcoin-qt's layout and shows in history.
    let stored: Vec<ReceiveRequest> = w
        .state()
        .requests
        .values()
        .filter_map(|b| ReceiveRequest::decode(b))
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].id, stored[0].amount, stored[0].label.as_str()),
        (1, 25_000_000, "rent")
    );
    settle(&mut h, "history", |h| {
        has(h, "march") && has(h, "0.25000000")
    });
    h.get_by_label("Remove").click();
    settle(&mut h, "removed", |_| w.state().requests.is_empty());
}

#[test]
fn send_pays_several_recipients_after_confirmation() {
    let w = alice();
    let (mut h, _) = harness(std::slice::from_ref(&w));
    h.state_mut().open_tab(Tab::Send);
    settle(&mut h, "send", |h| has(h, "Add Recipient"));
    h.get_by_label("Add Recipient").click();
    h.run_steps(2);
    {
        let app = h.state_mut();
        app.settings.display_unit = Unit::MBtc;
        app.send.entries = vec![
            Entry {
                address: address(9),
                label: "bob".into(),
                amount: "100".into(),
                subtract: false,
            },
            Entry {
                address: address(8),
                label: String::new(),
                amount: "250.5".into(),
                subtract: true,
            },
        ];
        app.send.target = 12;
    }
    settle(&mut h, "fee estimate", |h| {
        has(h, "Smart fee not initialized")
    });
    click_last(&h, "Send");
    settle(&mut h, "confirmation", |h| {
        has(h, "Are you sure you want to send?")
    });
    assert!(has(
        &h,
        &format!("100.00000 mBTC to 'bob' ({})", address(9))
    ));
    assert!(has(&h, "Transaction fee: 0.01410 mBTC"));
    // The Send button counts down before it can be pressed.
    assert!(has(&h, "Send (3)") || has(&h, "Send (2)"));
    settle(&mut h, "countdown", |h| !has(h, "Send ("));
    let created = w.state().created[0].clone();
    assert_eq!(created.0.len(), 2);
    assert_eq!(created.0[1].amount, 25_050_000);
    assert!(created.0[1].subtract_fee_from_amount && !created.0[0].subtract_fee_from_amount);
    assert_eq!(created.1.confirm_target, Some(12));
    assert!(created.2, "signed");
    assert!(
        w.state().committed.is_empty(),
        "nothing sent before the yes"
    );
    click_last(&h, "Send");
    settle(&mut h, "sent", |_| !w.state().committed.is_empty());
    // The label typed went to the address book.
    assert!(w.state().book.iter().any(|(_, l, p)| l == "bob" && *p == 1));
}

#[test]
fn a_locked_wallet_asks_for_its_passphrase_and_a_bad_one_is_refused() {
    let w = alice();
    {
        let mut s = w.state();
        s.passphrase = Some("secret".into());
        s.locked = true;
    }
    let (mut h, _) = harness(std::slice::from_ref(&w));
    h.state_mut().open_tab(Tab::Send);
    settle(&mut h, "passphrase field", |h| has(h, "Passphrase:"));
    {
        let app = h.state_mut();
        app.send.entries = vec![Entry {
            address: address(9),
            amount: "0.1".into(),
            ..Default::default()
        }];
        app.send.passphrase = "wrong".into();
    }
    h.run_steps(2);
    click_last(&h, "Send");
    settle(&mut h, "refused", |h| {
        has(
            h,
            "passphrase entered for the wallet decryption was incorrect",
        )
    });
    h.state_mut().send.passphrase = "secret".into();
    click_last(&h, "Send");
    settle(&mut h, "confirmation", |h| {
        has(h, "Are you sure you want to send?")
    });
    // Locked again once the transaction is signed.
    assert!(w.state().locked);
}

#[test]
fn a_watch_only_wallet_makes_an_unsigned_psbt() {
    let w = alice();
    w.state().watch_only = true;
    let (mut h, _) = harness(std::slice::from_ref(&w));
    h.state_mut().open_tab(Tab::Send);
    settle(&mut h, "create unsigned", |h| has(h, "Create Unsigned"));
    h.state_mut().send.entries = vec![Entry {
        address: address(9),
        amount: "0.1".into(),
        ..Default::default()
    }];
    h.run_steps(2);
    click_last(&h, "Create Unsigned");
    settle(&mut h, "proposal", |h| {
        let v = h.state().wallets.as_ref().unwrap().view();
        assert_eq!(v.message, None);
        has(h, "Do you want to create this transaction?")
    });
    click_last(&h, "Create Unsigned");
    settle(&mut h, "psbt", |h| {
        h.state().wallets.as_ref().unwrap().view().psbt.is_some()
    });
    let text = h.state().wallets.as_ref().unwrap().view().psbt.unwrap();
    let psbt = psbt::Psbt::from_base64(&text).expect("a PSBT");
    assert_eq!(psbt.inputs.len(), 1);
    assert!(psbt.inputs[0].witness_utxo.is_some(), "the coin it spends");
    assert!(!w.state().created[0].2, "not signed");
    // Updated by the wallet's fillPSBT, without signing.
    assert_eq!(w.state().filled, 1);
    assert!(w.state().committed.is_empty());
}

#[test]
fn the_wallet_menu_encrypts_creates_opens_and_verifies() {
    let w = alice();
    let (mut h, loader) = harness(std::slice::from_ref(&w));
    settle(&mut h, "wallet", |h| has(h, "1.50000000 BTC"));
    h.state_mut()
        .dialogs
        .show(Dialog::Encrypt("pw1".into(), "pw1".into()));
    h.run_steps(2);
    h.get_by_label("Encrypt").click();
    settle(&mut h, "encrypted", |h| has(h, "Wallet encrypted"));
    assert_eq!(w.state().passphrase.as_deref(), Some("pw1"));
    // Change it: a wrong old passphrase is refused.
    h.state_mut().dialogs.show(Dialog::ChangePassphrase(
        "nope".into(),
        "pw2".into(),
        "pw2".into(),
    ));
    h.run_steps(2);
    h.get_by_label("OK").click();
    settle(&mut h, "refused", |h| has(h, "was incorrect"));
    // A second wallet from the wallet directory.
    loader
        .on_disk
        .lock()
        .unwrap()
        .push(FakeWallet::named("bob"));
    h.state()
        .wallets
        .as_ref()
        .unwrap()
        .send(gui::wallets::WalletCommand::Open("bob".into()));
    settle(&mut h, "two wallets", |h| has(h, "Wallet:"));
    // Create a watch-only one.
    h.state_mut().dialogs.show(Dialog::Create(
        gui::wallets::CreateOptions {
            name: "watch".into(),
            disable_private_keys: true,
            ..Default::default()
        },
        String::new(),
    ));
    h.run_steps(2);
    h.get_by_label("Create").click();
    settle(&mut h, "created", |h| has(h, "Wallet \"watch\" created."));
    assert!(loader
        .wallets
        .lock()
        .unwrap()
        .iter()
        .any(|w| w.state().watch_only));
    // Verify a signed message locally.
    let wif = "cVpF924EspNh8KjYsfhgY96mmxvT6DgdWiTYMtMjuM74hJaU5psW";
    let params = utility_rpc::address::ChainParams::for_network(bitcoin::Network::Regtest);
    let sig = utility_rpc::message::sign(wif, "hello", &params).unwrap();
    let key = bitcoin::PrivateKey::from_wif(wif).unwrap();
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let addr = bitcoin::Address::p2pkh(key.public_key(&secp), bitcoin::Network::Regtest);
    h.state_mut().dialogs.show(Dialog::Verify(
        addr.to_string(),
        "hello".into(),
        sig.clone(),
        None,
    ));
    h.run_steps(2);
    click_last(&h, "Verify Message");
    settle(&mut h, "verified", |h| has(h, "Message verified."));
    h.state_mut()
        .dialogs
        .show(Dialog::Verify(addr.to_string(), "other".into(), sig, None));
    h.run_steps(2);
    click_last(&h, "Verify Message");
    settle(&mut h, "not verified", |h| {
        has(h, "Message verification failed.")
    });
}

#[test]
fn closed_and_unloaded_wallets_leave_the_window() {
    let (a, b, c) = (
        alice(),
        FakeWallet::named("bob"),
        FakeWallet::named("carol"),
    );
    let (mut h, _) = harness(&[a, b.clone(), c.clone()]);
    settle(&mut h, "three wallets", |h| {
        h.state().wallets.as_ref().unwrap().view().wallets.len() == 3
    });
    // Unloaded elsewhere (another client's unloadwallet).
    b.unload_now();
    settle(&mut h, "bob gone", |h| {
        let v = h.state().wallets.as_ref().unwrap().view();
        v.wallets.iter().map(|w| w.name.clone()).collect::<Vec<_>>() == ["alice", "carol"]
    });
    // Closed from the menu.
    h.state_mut().wallet_index = 1;
    h.state_mut().dialogs.show(Dialog::Close(1));
    h.run_steps(2);
    h.get_by_label("Yes").click();
    settle(&mut h, "carol closed", |h| {
        has(h, "Wallet \"carol\" closed.")
    });
    let v = h.state().wallets.as_ref().unwrap().view();
    assert_eq!(v.wallets.len(), 1);
    assert_eq!(v.wallets[0].name, "alice");
    // The window goes on with the wallet left.
    settle(&mut h, "alice shown", |h| has(h, "1.50000000 BTC"));
}

#[test]
fn the_address_book_adds_chooses_and_deletes_sending_addresses() {
    use gui::views::address_book::Book;
    let w = alice();
    let (mut h, _) = harness(std::slice::from_ref(&w));
    settle(&mut h, "wallet", |h| has(h, "1.50000000 BTC"));
    h.state_mut().address_book.open = Some(Book::Receiving);
    settle(&mut h, "receiving list", |h| has(h, "salary"));
    h.state_mut().address_book.open = Some(Book::Sending);
    h.run_steps(2);
    h.get_by_label("New").click();
    h.run_steps(2);
    h.state_mut().address_book.edit = Some((address(50), "shop".into(), true));
    h.run_steps(2);
    h.get_by_label("OK").click();
    settle(&mut h, "added", |h| has(h, "shop"));
    assert!(w
        .state()
        .book
        .iter()
        .any(|(_, l, p)| l == "shop" && *p == gui::wallets::PURPOSE_SEND));
    // Chosen from a Send entry, it fills the entry.
    h.state_mut().open_tab(Tab::Send);
    h.run_steps(2);
    h.get_by_label("…").click();
    settle(&mut h, "chooser", |h| has(h, "Choose"));
    // A new window is laid out once unseen before it takes clicks.
    h.run_steps(3);
    h.get_by_label("Choose").click();
    settle(&mut h, "chosen", |h| {
        h.state().send.entries.first().map(|e| e.address.clone()) == Some(address(50))
    });
    assert_eq!(h.state().send.entries[0].label, "shop");
    h.state_mut().address_book.open = Some(Book::Sending);
    h.run_steps(2);
    h.get_by_label("Delete").click();
    settle(&mut h, "deleted", |_| {
        !w.state().book.iter().any(|(_, l, _)| l == "shop")
    });
}

#[test]
fn masked_values_hide_amounts_and_the_transaction_list() {
    let (mut h, _) = harness(&[alice()]);
    settle(&mut h, "wallet", |h| has(h, "1.50000000 BTC"));
    h.state_mut().mask_values = true;
    settle(&mut h, "masked", |h| has(h, "#.######## BTC"));
    assert!(!has(&h, "1.50000000 BTC"));
    assert!(!has(&h, "salary"), "recent transactions hidden");
    h.state_mut().open_tab(Tab::Transactions);
    settle(&mut h, "hidden list", |h| {
        has(h, "hidden while values are masked")
    });
}

#[test]
fn payment_uris_fill_send_once_a_wallet_is_there() {
    let node_wallet = alice();
    let (mut h, _) = harness(&[node_wallet]);
    let uri = format!("bitcoin:{}?amount=0.5&label=shop", address(9));
    h.state_mut().pending_uris = vec![uri, "bitcoin:nonsense".into()];
    settle(&mut h, "send filled", |h| {
        h.state().tab == Tab::Send
            && h.state().send.entries.first().map(|e| e.amount.clone()) == Some("0.50000000".into())
    });
    assert_eq!(h.state().send.entries[0].label, "shop");
    assert_eq!(h.state().send.entries.len(), 1);
    settle(&mut h, "bad uri", |h| has(h, "URI cannot be parsed!"));
    // File > Open URI… adds a second payment.
    h.state_mut().dialogs.show(Dialog::OpenUri(format!(
        "bitcoin:{}?amount=0.1",
        address(8)
    )));
    h.run_steps(3);
    h.get_by_label("OK").click();
    settle(&mut h, "second entry", |h| {
        h.state().send.entries.len() == 2
    });
}

#[test]
fn the_status_bar_shows_the_wallet_state_and_switches_the_unit() {
    let w = alice();
    {
        let mut s = w.state();
        s.passphrase = Some("x".into());
        s.locked = true;
    }
    let (mut h, _) = harness(std::slice::from_ref(&w));
    settle(&mut h, "lock state", |h| has(h, "Locked") && has(h, "HD"));
    let dir = std::env::temp_dir().join(format!("gui-unit-{}", std::process::id()));
    let path = dir.join("Bitcoin-Qt-regtest.conf");
    h.state_mut().settings_store = gui::settings::QtSettings::at(&path);
    h.get_by_label("BTC").click();
    h.run_steps(3);
    h.get_by_label("Satoshi (sat)").click();
    settle(&mut h, "sat balances", |h| {
        has(h, "150\u{2009}000\u{2009}000 sat")
    });
    // Saved where bitcoin-qt keeps it.
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains("DisplayBitcoinUnit"), "{saved}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn load_psbt_signs_with_the_wallet_and_offers_broadcast() {
    let w = alice();
    let (mut h, _) = harness(std::slice::from_ref(&w));
    settle(&mut h, "wallet", |h| has(h, "1.50000000 BTC"));
    let tx = w.state().txs[0].tx.clone();
    let mut unsigned = tx.clone();
    for i in &mut unsigned.input {
        i.witness = bitcoin::Witness::new();
    }
    let p = psbt::Psbt::from_unsigned_tx(&unsigned, 0);
    {
        let app = h.state_mut();
        app.psbt.open = true;
        app.psbt.input = p.to_base64();
    }
    h.run_steps(3);
    h.get_by_label("Load").click();
    settle(&mut h, "loaded", |h| has(h, "Sends 1.00000000 BTC to"));
    h.run_steps(3);
    h.get_by_label("Sign Tx").click();
    settle(&mut h, "signed", |h| {
        let v = h.state().wallets.as_ref().unwrap().view();
        assert_eq!(v.message, None);
        has(
            h,
            "Signed transaction successfully. Transaction is ready to broadcast.",
        )
    });
    assert_eq!(w.state().filled, 1);
}
