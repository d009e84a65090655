//! The screens on a fake node, headless (egui_kittest over AccessKit): the
//! splash and start-up, the status bar, the console, the network toggle,
//! shutdown, and a window that keeps drawing while the node stalls.

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

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui::app::{App, NodeTab};
use gui::model::{NodeModel, Phase, Start};
use support::{settle, FakeNode};

fn app(node: &Arc<FakeNode>, start: Start) -> App {
    let model = NodeModel::start(node.clone(), start, Arc::new(|| {}));
    App::new(model, "regtest")
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::new_ui_state(|ui, app: &mut App| app.draw(ui), app)
}

#[test]
fn a_spawned_node_shows_the_splash_then_the_main_window() {
    let node = FakeNode::synced(120);
    node.init_ms.store(400, Ordering::SeqCst);
    let mut h = harness(app(&node, Start::Spawned(Default::default())));
    settle(&mut h, "init message on the splash", |h| {
        h.query_by_label_contains("Loading block index").is_some()
    });
    assert!(
        h.query_by_label("Overview").is_none(),
        "main window during start-up"
    );
    settle(&mut h, "main window", |h| {
        h.query_by_label("Overview").is_some()
    });
    settle(&mut h, "status bar", |h| {
        h.query_by_label("1 active connection(s)").is_some()
    });
    assert!(h.query_by_label("Up to date").is_some());
    assert!(node.called("baseInitialize") && node.called("appInitMain"));
}

#[test]
fn an_attached_node_is_not_initialized_or_stopped() {
    let node = FakeNode::synced(5);
    let mut h = harness(app(&node, Start::Attached));
    settle(&mut h, "main window", |h| {
        h.query_by_label("Overview").is_some()
    });
    h.state().model.shutdown();
    settle(&mut h, "stopped", |h| {
        matches!(h.state().model.view().phase, Phase::Stopped(0))
    });
    assert!(!node.called("baseInitialize"));
    assert!(
        !node.called("startShutdown"),
        "another GUI may still use it"
    );
}

#[test]
fn closing_stops_a_spawned_node_cleanly() {
    let node = FakeNode::synced(5);
    let mut h = harness(app(&node, Start::Spawned(Default::default())));
    settle(&mut h, "main window", |h| {
        h.query_by_label("Overview").is_some()
    });
    h.state().model.shutdown();
    settle(&mut h, "stopped", |h| {
        matches!(h.state().model.view().phase, Phase::Stopped(0))
    });
    assert!(node.called("startShutdown") && node.called("appShutdown"));
}

#[test]
fn the_console_runs_commands_through_the_node() {
    let node = FakeNode::synced(7);
    node.rpc
        .lock()
        .unwrap()
        .push(("getblockcount".into(), "7".into()));
    let mut h = harness(app(&node, Start::Attached));
    settle(&mut h, "main window", |h| {
        h.query_by_label("Overview").is_some()
    });
    h.state_mut().node_window = Some(NodeTab::Console);
    h.run_steps(2);
    let input = h.get_by_role(eframe::egui::accesskit::Role::TextInput);
    input.focus();
    input.type_text("getblockcount");
    h.run_steps(2);
    h.get_by_label("Run").click();
    settle(&mut h, "the reply", |h| h.query_by_label("7").is_some());
    assert!(node.called("executeRpc(getblockcount, [], /)"));
    assert!(h.query_by_label("> getblockcount").is_some());
    // An unknown method shows the node's error, as bitcoin-qt does.
    let input = h.get_by_role(eframe::egui::accesskit::Role::TextInput);
    input.focus();
    input.type_text("nosuchmethod");
    h.run_steps(2);
    h.get_by_label("Run").click();
    settle(&mut h, "the error", |h| {
        h.query_by_label("Method not found (code -32601)").is_some()
    });
}

#[test]
fn the_network_can_be_switched_off_from_the_status_bar() {
    let node = FakeNode::synced(7);
    let mut h = harness(app(&node, Start::Attached));
    settle(&mut h, "status bar", |h| {
        h.query_by_label("1 active connection(s)").is_some()
    });
    h.get_by_label("1 active connection(s)").click();
    h.run_steps(2);
    h.get_by_label("Disable network activity").click();
    settle(&mut h, "network off", |h| {
        h.query_by_label("Network activity disabled").is_some()
    });
    assert!(node.called("setNetworkActive(false)"));
}

#[test]
fn the_window_keeps_drawing_while_the_node_stalls() {
    let node = FakeNode::synced(7);
    let mut h = harness(app(&node, Start::Attached));
    settle(&mut h, "status bar", |h| {
        h.query_by_label("1 active connection(s)").is_some()
    });
    // Every status call now takes 5 s; the console's thread is stuck too.
    node.stall_ms.store(5000, Ordering::SeqCst);
    let frames_before = h.state().frames;
    let stalled = Instant::now();
    let mut slowest = Duration::ZERO;
    while stalled.elapsed() < Duration::from_secs(5) {
        let t = Instant::now();
        h.step();
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    let drawn = h.state().frames - frames_before;
    node.stall_ms.store(0, Ordering::SeqCst);
    assert!(drawn >= 100, "only {drawn} frames in 5 s of stall");
    // A frame that waited on the node would take the full 5 s.
    assert!(slowest < Duration::from_secs(1), "a frame took {slowest:?}");
    assert!(h.query_by_label("Overview").is_some());
}

#[test]
fn a_node_behind_shows_the_sync_overlay_until_hidden() {
    let node = FakeNode::synced(7);
    let three_days_ago = node.block_time.load(Ordering::SeqCst) - 3 * 86_400;
    node.block_time.store(three_days_ago, Ordering::SeqCst);
    let mut h = harness(app(&node, Start::Attached));
    settle(&mut h, "overlay", |h| {
        h.query_by_label("Number of blocks left").is_some()
    });
    assert!(h
        .query_by_label("Estimated time left until synced")
        .is_some());
    // The status bar says how far behind, as bitcoin-qt's progress bar.
    assert!(h.query_by_label_contains("3 days behind").is_some());
    h.get_by_label("Hide").click();
    settle(&mut h, "hidden", |h| {
        h.query_by_label("Number of blocks left").is_none()
    });
}
