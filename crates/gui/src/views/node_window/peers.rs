//! The Peers tab (bitcoin-qt's peer table, detail panel and ban table):
//! connected peers from `getNodesStats`, refreshed while the tab is shown;
//! disconnect and ban from the row's context menu or the detail panel;
//! banned subnets with Unban, shown when there are any.

use eframe::egui;

use interfaces::node::NodeStats;

use crate::app::App;
use crate::model::{Command, PeerAction, View};
use crate::views::{format_bytes, format_time, unix_now};

use super::format_duration;

/// bitcoin-qt's ban lengths.
pub const BAN_TIMES: [(&str, i64); 4] = [
    ("1 hour", 3600),
    ("1 day", 86_400),
    ("1 week", 7 * 86_400),
    ("1 year", 365 * 86_400),
];

/// The table's columns, as bitcoin-qt's.
const COLUMNS: [&str; 10] = [
    "Peer",
    "Age",
    "Address",
    "Direction",
    "Type",
    "Network",
    "Ping",
    "Sent",
    "Received",
    "User Agent",
];

/// Draws the tab.
pub fn show(ui: &mut egui::Ui, app: &mut App, view: &View) {
    app.model.show_peers();
    let peers = &view.peers;
    if let Some(e) = &peers.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    let now = unix_now();
    let selected = app.node_ui.selected_peer;
    let mut action = None;
    let table_height = if peers.banned.is_empty() {
        ui.available_height() * 0.45
    } else {
        ui.available_height() * 0.3
    };
    egui::ScrollArea::both()
        .id_salt("peers-table")
        .max_height(table_height)
        .show(ui, |ui| {
            egui::Grid::new("peers")
                .striped(true)
                .num_columns(COLUMNS.len())
                .show(ui, |ui| {
                    for title in COLUMNS {
                        ui.strong(title);
                    }
                    ui.end_row();
                    for peer in &peers.list {
                        let is_selected = selected == Some(peer.nodeid);
                        for cell in row(peer, now) {
                            let r = ui.selectable_label(is_selected, cell);
                            if r.clicked() {
                                app.node_ui.selected_peer = Some(peer.nodeid);
                            }
                            r.context_menu(|ui| {
                                if let Some(a) = peer_actions(ui, peer) {
                                    action = Some(a);
                                    ui.close();
                                }
                            });
                        }
                        ui.end_row();
                    }
                });
        });
    if !peers.polled {
        ui.spinner();
    }
    ui.separator();
    match selected.and_then(|id| peers.list.iter().find(|p| p.nodeid == id)) {
        Some(peer) => {
            egui::ScrollArea::vertical()
                .id_salt("peer-detail")
                .max_height(
                    ui.available_height() - if peers.banned.is_empty() { 0.0 } else { 120.0 },
                )
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if let Some(a) = peer_actions(ui, peer) {
                            action = Some(a);
                        }
                    });
                    details(ui, peer, now);
                });
        }
        None => {
            ui.label("Select a peer to view detailed information.");
        }
    }
    if !peers.banned.is_empty() {
        ui.separator();
        ui.strong("Banned peers");
        egui::Grid::new("bans")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                ui.strong("IP/Netmask");
                ui.strong("Banned Until");
                ui.label("");
                ui.end_row();
                for ban in &peers.banned {
                    ui.label(&ban.address);
                    ui.label(format_time(ban.banned_until));
                    if ui.button("Unban").clicked() {
                        action = Some(PeerAction::Unban(ban.address.clone()));
                    }
                    ui.end_row();
                }
            });
    }
    if let Some(action) = action {
        if matches!(action, PeerAction::Disconnect(_) | PeerAction::Ban { .. }) {
            app.node_ui.selected_peer = None;
        }
        app.model.send(Command::Peer(action));
    }
}

/// Disconnect and the ban buttons; the one clicked.
fn peer_actions(ui: &mut egui::Ui, peer: &NodeStats) -> Option<PeerAction> {
    let mut action = None;
    if ui.button("Disconnect").clicked() {
        action = Some(PeerAction::Disconnect(peer.nodeid));
    }
    for (label, seconds) in BAN_TIMES {
        if ui.button(format!("Ban for {label}")).clicked() {
            action = Some(PeerAction::Ban {
                address: peer.addr.0.clone(),
                seconds,
            });
        }
    }
    action
}

/// A peer's table cells.
fn row(peer: &NodeStats, now: i64) -> [String; 10] {
    [
        peer.nodeid.to_string(),
        peer_age(now - peer.time_connected),
        peer.addr_name.clone(),
        direction(peer).to_string(),
        connection_type(peer.conn_type).to_string(),
        network_name(peer.network).to_string(),
        ping(peer.min_ping_time),
        format_bytes(peer.send_bytes as i64),
        format_bytes(peer.recv_bytes as i64),
        peer.clean_sub_ver.clone(),
    ]
}

/// The detail panel's fields.
fn details(ui: &mut egui::Ui, peer: &NodeStats, now: i64) {
    let mut heading = format!("{} (peer: {})", peer.addr_name, peer.nodeid);
    if !peer.addr_local.is_empty() {
        heading.push_str(&format!("\nvia {}", peer.addr_local));
    }
    ui.strong(heading);
    let never_or = |t: i64| {
        if t > 0 {
            format_duration(now - t)
        } else {
            "Never".to_string()
        }
    };
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_string();
    let high_bandwidth = match (peer.bip152_highbandwidth_to, peer.bip152_highbandwidth_from) {
        (true, true) => "To/From",
        (true, false) => "To",
        (false, true) => "From",
        (false, false) => "No",
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("Permissions", permissions(peer.permission_flags)),
        (
            "Direction/Type",
            match direction(peer) {
                "Inbound" => "Inbound".to_string(),
                d => format!("{d} {}", connection_type(peer.conn_type)),
            },
        ),
        ("Transport", transport(peer.transport_type).to_string()),
    ];
    if peer.transport_type == 2 {
        rows.push(("Session ID", peer.session_id.clone()));
    }
    rows.extend([
        ("Network", network_name(peer.network).to_string()),
        (
            "Version",
            if peer.version != 0 {
                peer.version.to_string()
            } else {
                "N/A".into()
            },
        ),
        (
            "User Agent",
            if peer.clean_sub_ver.is_empty() {
                "N/A".into()
            } else {
                peer.clean_sub_ver.clone()
            },
        ),
        ("High Bandwidth", high_bandwidth.to_string()),
        (
            "Connection Time",
            format_duration(now - peer.time_connected),
        ),
        ("Last Block", never_or(peer.last_block_time)),
        ("Last Transaction", never_or(peer.last_tx_time)),
        ("Last Send", never_or(peer.last_send)),
        ("Last Receive", never_or(peer.last_recv)),
        ("Sent", format_bytes(peer.send_bytes as i64)),
        ("Received", format_bytes(peer.recv_bytes as i64)),
        ("Ping Time", ping(peer.ping_time)),
        ("Min Ping", ping(peer.min_ping_time)),
        (
            "Mapped AS",
            if peer.mapped_as != 0 {
                peer.mapped_as.to_string()
            } else {
                "N/A".into()
            },
        ),
    ]);
    if let Some(state) = &peer.state_stats {
        let height = |h: i32| {
            if h > -1 {
                h.to_string()
            } else {
                "Unknown".into()
            }
        };
        rows.extend([
            ("Services", services(state.their_services)),
            ("Synced Headers", height(state.sync_height)),
            ("Synced Blocks", height(state.common_height)),
            ("Ping Wait", ping(state.ping_wait)),
            ("Time Offset", format!("{} s", state.time_offset)),
            ("Address Relay", yes_no(state.address_relay_enabled)),
            ("Addresses Processed", state.addresses_processed.to_string()),
            (
                "Addresses Rate-Limited",
                state.addresses_rate_limited.to_string(),
            ),
        ]);
    }
    egui::Grid::new("peer-fields")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (name, value) in rows {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            }
        });
}

fn direction(peer: &NodeStats) -> &'static str {
    if peer.inbound {
        "Inbound"
    } else {
        "Outbound"
    }
}

/// bitcoin-qt's `FormatPeerAge`: the largest whole unit.
fn peer_age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s >= 86_400 => format!("{} d", s / 86_400),
        s if s >= 3600 => format!("{} h", s / 3600),
        s if s >= 60 => format!("{} m", s / 60),
        s => format!("{s} s"),
    }
}

/// bitcoin-qt's `formatPingTime` (microseconds in): "N/A" when unknown.
fn ping(micros: i64) -> String {
    if micros <= 0 || micros == i64::MAX {
        "N/A".into()
    } else {
        format!("{} ms", micros / 1000)
    }
}

/// Core's `ConnectionType` numbers as bitcoin-qt names them (an inbound
/// connection has no type of its own).
fn connection_type(conn_type: i32) -> &'static str {
    match conn_type {
        1 => "Full Relay",
        2 => "Manual",
        3 => "Feeler",
        4 => "Block Relay",
        5 => "Address Fetch",
        _ => "",
    }
}

/// Core's `Network` numbers as bitcoin-qt names them.
fn network_name(network: i32) -> &'static str {
    match network {
        1 => "IPv4",
        2 => "IPv6",
        3 => "Onion",
        4 => "I2P",
        5 => "CJDNS",
        6 => "Internal",
        _ => "Unroutable",
    }
}

/// Core's `TransportProtocolType` as text.
fn transport(transport_type: u8) -> &'static str {
    match transport_type {
        0 => "detecting",
        1 => "v1",
        2 => "v2",
        _ => "N/A",
    }
}

/// Core's permission flags as `NetPermissions::ToStrings` lists them.
fn permissions(flags: i32) -> String {
    const NAMES: [(&str, i32); 7] = [
        ("bloomfilter", 1 << 1),
        ("noban", (1 << 4) | (1 << 6)),
        ("forcerelay", (1 << 2) | (1 << 3)),
        ("relay", 1 << 3),
        ("mempool", 1 << 5),
        ("download", 1 << 6),
        ("addr", 1 << 7),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(_, bits)| flags & bits == *bits)
        .map(|(name, _)| *name)
        .collect();
    if names.is_empty() {
        "N/A".into()
    } else {
        names.join(" & ")
    }
}

/// Service bits as Core names them ("NETWORK, WITNESS"), "None" for none.
fn services(mask: u64) -> String {
    let names = common::services::service_names(mask);
    if names.is_empty() {
        "None".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_bitcoin_qts() {
        assert_eq!(peer_age(59), "59 s");
        assert_eq!(peer_age(3 * 3600 + 5), "3 h");
        assert_eq!(peer_age(2 * 86_400), "2 d");
        assert_eq!(ping(0), "N/A");
        assert_eq!(ping(12_345), "12 ms");
        assert_eq!(connection_type(4), "Block Relay");
        assert_eq!(connection_type(0), "");
        assert_eq!(network_name(3), "Onion");
        assert_eq!(permissions(0), "N/A");
        // noban implies download, as Core's flags do.
        assert_eq!(permissions((1 << 4) | (1 << 6)), "noban & download");
        assert_eq!(
            services(1 | (1 << 3) | (1 << 10)),
            "NETWORK, WITNESS, NETWORK_LIMITED"
        );
        assert_eq!(services(1 << 5), "UNKNOWN[2^5]");
        assert_eq!(services(0), "None");
    }
}
