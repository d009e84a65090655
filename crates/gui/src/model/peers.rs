//! The Peers tab's data and actions (bitcoin-qt's `PeerTableModel`,
//! `BanTableModel` and the console's disconnect/ban/unban): peers and bans
//! are fetched on the `gui-peers` thread every [`super::POLL`] while the
//! tab is on screen; the actions run on the command thread.

use std::time::{Duration, Instant};

use interfaces::node::{NetAddress, Node, NodeStats};

use super::{lock, NodeModel, Phase};

/// Polling stops this long after the Peers tab was last drawn.
const SHOWN_FOR: Duration = Duration::from_secs(1);

/// One banned address or subnet (a `listbanned` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// The subnet, as `unban` takes it ("1.2.3.4/32").
    pub address: String,
    /// Until when (seconds since 1970).
    pub banned_until: i64,
}

/// Peers and bans at the last poll.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Peers {
    /// Connected peers, by id.
    pub list: Vec<NodeStats>,
    /// Banned subnets.
    pub banned: Vec<Ban>,
    /// At least one poll has answered.
    pub polled: bool,
    /// The last poll or action failed with this.
    pub error: Option<String>,
}

/// What the user does with a peer or ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerAction {
    /// Disconnect the peer with this id.
    Disconnect(i64),
    /// Ban the host of this peer address for so many seconds, and
    /// disconnect it.
    Ban {
        /// The peer's address (a port is dropped).
        address: String,
        /// Ban length.
        seconds: i64,
    },
    /// Lift the ban on this subnet.
    Unban(String),
}

/// The host part of a peer address: "1.2.3.4:8333" → "1.2.3.4",
/// "[::1]:8333" → "::1"; anything else as given.
pub fn host_of(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split_once(']').map_or(address, |(host, _)| host);
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => host,
        _ => address,
    }
}

/// Reads `listbanned`'s JSON.
fn parse_bans(json: &str) -> Result<Vec<Ban>, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("The node's ban list is not JSON: {e}"))?;
    let entries = value
        .as_array()
        .ok_or("The node's ban list is not a list")?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            Some(Ban {
                address: e.get("address")?.as_str()?.to_string(),
                banned_until: e.get("banned_until").and_then(|v| v.as_i64()).unwrap_or(0),
            })
        })
        .collect())
}

fn fetch(node: &dyn Node) -> Result<(Vec<NodeStats>, Vec<Ban>), String> {
    let (mut list, _) = node.get_nodes_stats().map_err(|e| e.to_string())?;
    list.sort_by_key(|p| p.nodeid);
    let (banmap, _) = node.get_banned().map_err(|e| e.to_string())?;
    Ok((list, parse_bans(&banmap.json)?))
}

impl NodeModel {
    /// The Peers tab is on screen: keep its data fresh for a while.
    pub fn show_peers(&self) {
        let start = {
            let mut s = lock(&self.shared);
            let first = s.peers_shown.is_none();
            s.peers_shown = Some(Instant::now());
            first
        };
        if start {
            let m = self.clone();
            super::spawn("gui-peers", move || m.peers_loop());
        }
    }

    fn peers_loop(&self) {
        let node = self.node();
        loop {
            let (phase, shown) = {
                let s = lock(&self.shared);
                (s.view.phase.clone(), s.peers_shown)
            };
            match phase {
                Phase::Running => {}
                Phase::Starting => {
                    std::thread::sleep(super::POLL);
                    continue;
                }
                _ => return,
            }
            if shown.is_some_and(|t| t.elapsed() < SHOWN_FOR) {
                self.refresh_peers(&*node);
            }
            std::thread::sleep(super::POLL);
        }
    }

    fn refresh_peers(&self, node: &dyn Node) {
        let fetched = fetch(node);
        {
            let mut s = lock(&self.shared);
            let peers = &mut s.view.peers;
            match fetched {
                Ok((list, banned)) => {
                    peers.list = list;
                    peers.banned = banned;
                    peers.polled = true;
                }
                Err(e) => peers.error = Some(e),
            }
        }
        self.repaint();
    }

    /// Runs `action` (on the command thread), then refreshes the lists.
    pub(super) fn peer_action(&self, node: &dyn Node, action: PeerAction) {
        let result = match &action {
            PeerAction::Disconnect(id) => node.disconnect_by_id(*id).map(|_| ()),
            PeerAction::Ban { address, seconds } => {
                // As bitcoin-qt: ban the host, then drop its connections.
                let host = NetAddress(host_of(address).to_string());
                node.ban(&host, *seconds)
                    .and_then(|_| node.disconnect_by_address(&host))
                    .map(|_| ())
            }
            PeerAction::Unban(subnet) => node.unban(&NetAddress(subnet.clone())).map(|_| ()),
        };
        if let Err(e) = result {
            let what = match &action {
                PeerAction::Disconnect(id) => format!("disconnect peer {id}"),
                PeerAction::Ban { address, .. } => format!("ban {address}"),
                PeerAction::Unban(subnet) => format!("unban {subnet}"),
            };
            lock(&self.shared).view.peers.error = Some(format!("Could not {what}: {e}"));
        }
        self.refresh_peers(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_their_port() {
        assert_eq!(host_of("1.2.3.4:8333"), "1.2.3.4");
        assert_eq!(host_of("[2001:db8::1]:8333"), "2001:db8::1");
        assert_eq!(host_of("2001:db8::1"), "2001:db8::1");
        assert_eq!(host_of("abc.onion"), "abc.onion");
        assert_eq!(host_of("abc.onion:8333"), "abc.onion");
    }

    #[test]
    fn the_ban_list_is_read_from_listbanned() {
        let bans = parse_bans(
            r#"[{"address":"1.2.3.4/32","ban_created":1,"banned_until":1700000000,"ban_duration":3600}]"#,
        )
        .unwrap();
        assert_eq!(
            bans,
            [Ban {
                address: "1.2.3.4/32".into(),
                banned_until: 1_700_000_000
            }]
        );
        assert!(parse_bans("{}").is_err() && parse_bans("nope").is_err());
    }
}
