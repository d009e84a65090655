//! The node window's Peers and Network Traffic tabs, the Options dialog
//! and the Intro on a fake node, headless (egui_kittest over AccessKit).

mod support;

// The library's dependencies, not used by the tests themselves.
use common as _;
use consensus as _;
use ipc as _;
use libc as _;
use psbt as _;
use qrcode as _;
use serde_json as _;
use tracing as _;
use utility_rpc as _;
use winit as _;

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui::app::{App, NodeTab};
use gui::model::{NodeModel, Start};
use support::{settle, FakeNode};

fn app(node: &Arc<FakeNode>) -> App {
    let model = NodeModel::start(node.clone(), Start::Attached, Arc::new(|| {}));
    App::new(model, "regtest")
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(eframe::egui::vec2(1200.0, 900.0))
        .build_ui_state(|ui, app: &mut App| app.draw(ui), app)
}

/// The main window up, then the node window on `tab`.
fn node_window(node: &Arc<FakeNode>, tab: NodeTab) -> Harness<'static, App> {
    let mut h = harness(app(node));
    settle(&mut h, "main window", |h| {
        h.query_by_label("Overview").is_some()
    });
    h.state_mut().open_node_window(tab);
    h
}

fn two_peers() -> Arc<FakeNode> {
    let node = FakeNode::synced(120);
    node.nodes.lock().unwrap().extend([
        FakeNode::peer(7, "1.2.3.4:8333", false, "/Satoshi:27.0.0/"),
        FakeNode::peer(9, "5.6.7.8:50000", true, "/Satoshi:26.1.0/"),
    ]);
    node
}

#[test]
fn the_peers_table_shows_the_peers_and_details_on_selection() {
    let node = two_peers();
    let mut h = node_window(&node, NodeTab::Peers);
    settle(&mut h, "the peers", |h| {
        h.query_by_label("/Satoshi:27.0.0/").is_some()
            && h.query_by_label("/Satoshi:26.1.0/").is_some()
    });
    for cell in [
        "Outbound",
        "Inbound",
        "Full Relay",
        "IPv4",
        "40 ms",
        "5 KB",
        "7 MB",
        "3 h",
    ] {
        assert!(
            h.query_all_by_label(cell).next().is_some(),
            "no cell {cell}"
        );
    }
    assert!(h
        .query_by_label("Select a peer to view detailed information.")
        .is_some());
    h.get_by_label("1.2.3.4:8333").click();
    settle(&mut h, "the details", |h| {
        h.query_by_label("1.2.3.4:8333 (peer: 7)").is_some()
    });
    for field in [
        "Outbound Full Relay",
        "NETWORK, WITNESS",
        "70016",
        "Synced Headers",
        "118",
        "117",
        "42 ms",
        "3 h",
        "v1",
    ] {
        assert!(
            h.query_all_by_label(field).next().is_some(),
            "no detail {field}"
        );
    }
    // Peers are polled only while the tab is on screen.
    let polls = || {
        node.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| *c == "getNodesStats")
            .count()
    };
    assert!(polls() > 0);
    h.state_mut().node_window = Some(NodeTab::Information);
    h.run_steps(2);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let after_hiding = polls();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert_eq!(polls(), after_hiding, "polled with the tab hidden");
}

#[test]
fn disconnect_ban_and_unban_go_to_the_node() {
    let node = two_peers();
    let mut h = node_window(&node, NodeTab::Peers);
    settle(&mut h, "the peers", |h| {
        h.query_by_label("1.2.3.4:8333").is_some()
    });
    h.get_by_label("5.6.7.8:50000").click();
    h.run_steps(2);
    h.get_by_label("Disconnect").click();
    settle(&mut h, "peer 9 gone", |h| {
        h.query_by_label("5.6.7.8:50000").is_none()
    });
    assert!(node.called("disconnectById(9)"));
    assert!(
        h.query_by_label("Banned peers").is_none(),
        "the ban table shows only when there are bans"
    );
    h.get_by_label("1.2.3.4:8333").click();
    h.run_steps(2);
    h.get_by_label("Ban for 1 day").click();
    settle(&mut h, "the ban table", |h| {
        h.query_by_label("1.2.3.4/32").is_some()
    });
    assert!(node.called("ban(1.2.3.4, 86400)"));
    assert!(node.called("disconnectByAddress(1.2.3.4)"));
    assert!(h.query_by_label("Banned peers").is_some());
    h.get_by_label("Unban").click();
    settle(&mut h, "ban lifted", |h| {
        h.query_by_label("1.2.3.4/32").is_none()
    });
    assert!(node.called("unban(1.2.3.4/32)"));
}

#[test]
fn the_traffic_tab_shows_the_totals_and_the_range() {
    let node = FakeNode::synced(5);
    node.bytes_recv
        .store(3 * 1024 * 1024, std::sync::atomic::Ordering::SeqCst);
    let mut h = node_window(&node, NodeTab::Traffic);
    settle(&mut h, "the totals", |h| {
        h.query_by_label("3 MB").is_some() && h.query_by_label("2 KB").is_some()
    });
    assert!(h.query_by_label("Received").is_some() && h.query_by_label("Sent").is_some());
    assert_eq!(h.state().model.view().traffic.range_minutes(), 30);
    assert!(h.query_by_label_contains("30 m").is_some());
    h.state().model.set_traffic_range(24 * 60);
    settle(&mut h, "a day's range", |h| {
        h.query_by_label_contains("1 d").is_some()
    });
}

/// A fresh directory for one test's settings files.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gui-node-screens-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The main window with its GUI settings in `dir`.
fn options_harness(node: &Arc<FakeNode>, dir: &std::path::Path) -> Harness<'static, App> {
    let mut app = app(node);
    app.settings_store =
        gui::settings::QtSettings::at(&dir.join("Bitcoin/Bitcoin-Qt-regtest.conf"));
    app.data_dir_net = Some(dir.join("regtest"));
    let mut h = harness(app);
    settle(&mut h, "main window", |h| {
        h.query_by_label("Overview").is_some()
    });
    h
}

fn open_options(h: &mut Harness<'static, App>) {
    h.get_by_label("Settings").click();
    h.run_steps(2);
    h.get_by_label("Options…").click();
    settle(h, "the node's settings in the dialog", |h| {
        h.query_by_label("Reading the node's settings…").is_none()
            && h.query_by_label("OK").is_some()
    });
}

fn ticked(h: &Harness<'static, App>, label: &str) -> bool {
    use egui_kittest::kittest::NodeT;
    h.get_by_label(label).accesskit_node().toggled() == Some(eframe::egui::accesskit::Toggled::True)
}

#[test]
fn options_write_node_settings_and_the_qt_settings_file() {
    let node = FakeNode::synced(5);
    node.rw_settings
        .lock()
        .unwrap()
        .push(("dbcache".into(), "\"600\"".into()));
    let dir = temp_dir("options");
    let mut h = options_harness(&node, &dir);
    open_options(&mut h);
    assert!(!ticked(&h, "Enable RPC server"));
    h.get_by_label("Enable RPC server").click();
    h.get_by_label("Network").click();
    h.run_steps(2);
    assert!(ticked(&h, "Allow incoming connections"));
    h.get_by_label("Allow incoming connections").click();
    h.get_by_label("Map port using PCP or NAT-PMP").click();
    h.get_by_label("Wallet").click();
    h.run_steps(2);
    h.get_by_label("Enable coin control features").click();
    h.get_by_label("Display").click();
    h.run_steps(2);
    h.get_by_role(eframe::egui::accesskit::Role::ComboBox)
        .click();
    h.run_steps(2);
    h.get_by_label("Satoshi (sat)").click();
    h.run_steps(2);
    assert!(h
        .query_by_label("Client restart required to activate changes.")
        .is_some());
    h.get_by_label("OK").click();
    settle(&mut h, "the node settings written", |_| {
        node.called("mapPort(true)")
    });
    assert!(h.state().options.is_none(), "OK closes the dialog");
    assert_eq!(node.rw_setting("server").as_deref(), Some("true"));
    assert_eq!(node.rw_setting("listen").as_deref(), Some("false"));
    assert_eq!(node.rw_setting("natpmp").as_deref(), Some("true"));
    // Unchanged options are left as they were.
    assert!(!node
        .calls
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.contains("dbcache")));
    assert_eq!(h.state().settings.display_unit, gui::units::Unit::Sat);
    assert!(h.state().settings.coin_control);

    let path = dir.join("Bitcoin/Bitcoin-Qt-regtest.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("fCoinControlFeatures=true\n"), "{text}");
    assert!(text.contains("fRestartRequired=true\n"), "{text}");
    let read = gui::settings::GuiSettings::load(&gui::settings::QtSettings::open(&path).unwrap());
    assert_eq!(read, h.state().settings);

    // Opened again, the dialog shows what was saved.
    open_options(&mut h);
    assert!(ticked(&h, "Enable RPC server"));
    h.get_by_label("Wallet").click();
    h.run_steps(2);
    assert!(ticked(&h, "Enable coin control features"));
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.state().options.is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn options_list_what_the_command_line_overrides() {
    let node = FakeNode::synced(5);
    node.ignored.lock().unwrap().push("dbcache".into());
    let dir = temp_dir("overridden");
    let mut h = options_harness(&node, &dir);
    open_options(&mut h);
    assert!(h
        .query_by_label("Options set in this dialog are overridden by the command line:")
        .is_some());
    assert!(h.query_by_label("-dbcache").is_some());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reset_options_resets_both_stores_and_quits() {
    let node = FakeNode::synced(5);
    node.rw_settings
        .lock()
        .unwrap()
        .push(("server".into(), "true".into()));
    let dir = temp_dir("reset");
    let path = dir.join("Bitcoin/Bitcoin-Qt-regtest.conf");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "[General]\nfCoinControlFeatures=true\nstrDataDir=/data/btc\n",
    )
    .unwrap();
    let mut h = options_harness(&node, &dir);
    h.state_mut().settings_store = gui::settings::QtSettings::open(&path).unwrap();
    open_options(&mut h);
    h.get_by_label("Reset Options").click();
    h.run_steps(2);
    assert!(node.rw_setting("server").is_some(), "not before confirming");
    h.get_by_label("Yes").click();
    settle(&mut h, "stopped", |h| {
        matches!(h.state().model.view().phase, gui::model::Phase::Stopped(_))
    });
    assert!(node.called("resetSettings"));
    let after = gui::settings::QtSettings::open(&path).unwrap();
    assert_eq!(after.get_bool("fReset"), Some(true));
    assert_eq!(after.get_str("strDataDir").as_deref(), Some("/data/btc"));
    assert!(!after.contains("fCoinControlFeatures"));
    let backup = std::fs::read_to_string(dir.join("regtest/guisettings.ini.bak")).unwrap();
    assert!(backup.contains("fCoinControlFeatures=true"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_intros_ok_creates_the_directory_and_writes_str_data_dir() {
    use gui::intro::{Intro, Outcome};
    let dir = temp_dir("intro");
    let store = gui::settings::QtSettings::at(&dir.join("Bitcoin/Bitcoin-Qt.conf"));
    let intro = Intro::new(&dir.join("default"), &dir.join("default"), store);
    let mut h = Harness::builder()
        .with_size(eframe::egui::vec2(700.0, 500.0))
        .build_ui_state(|ui, intro: &mut Intro| gui::intro::show(ui, intro), intro);
    h.run_steps(2);
    assert!(h.query_by_label("Welcome to Bitcoin Core.").is_some());
    assert!(h.query_by_label_contains("GB of space available").is_some());
    h.get_by_role_and_label(
        eframe::egui::accesskit::Role::RadioButton,
        "Use a custom data directory:",
    )
    .click();
    h.run_steps(2);
    assert!(!h.state().use_default);
    let chosen = dir.join("chosen");
    h.state_mut().custom_dir = chosen.display().to_string();
    h.run_steps(2);
    // The Intro ticks pruning itself when this disk is short of space;
    // the user's own choice (unticked) is what must reach the outcome.
    if h.state().prune {
        h.get_by_label("Limit block chain storage to").click();
        h.run_steps(2);
    }
    assert!(!h.state().prune);
    h.get_by_label("OK").click();
    h.run_steps(2);
    assert_eq!(
        h.state().outcome,
        Some(Outcome::Accepted {
            dir: chosen.clone(),
            prune_mib: 0
        })
    );
    assert!(chosen.join("wallets").is_dir());
    let saved = gui::settings::QtSettings::open(&dir.join("Bitcoin/Bitcoin-Qt.conf")).unwrap();
    assert_eq!(
        saved.get_str("strDataDir"),
        Some(chosen.display().to_string())
    );
    assert_eq!(saved.get_bool("fReset"), Some(false));
    h.state_mut().outcome = None;
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(h.state().outcome, Some(Outcome::Cancelled));
    std::fs::remove_dir_all(&dir).ok();
}
