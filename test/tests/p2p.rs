//! Two `bitcoin-node` processes connected the way Core's test framework does it
//! (`connect_nodes`: `addnode <ip:port> onetry`, then `getpeerinfo` on both sides
//! until each has received a pong), plus the network RPCs around it.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn find_conn(node: &TestNode, subver: &str, inbound: bool) -> Option<Value> {
    node.rpc("getpeerinfo", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subver"] == subver && p["inbound"] == inbound)
        .cloned()
}

fn two_nodes() -> (TestNode, TestNode) {
    let mut a = TestNode::new();
    let mut b = TestNode::new();
    b.index = 1;
    a.start(&[]);
    b.start(&[]);
    (a, b)
}

#[test]
fn connect_nodes_like_the_framework() {
    let (mut a, mut b) = two_nodes();
    let a_sub = a.rpc("getnetworkinfo", json!([]))["subversion"]
        .as_str()
        .unwrap()
        .to_string();
    let b_sub = b.rpc("getnetworkinfo", json!([]))["subversion"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(a_sub.ends_with("(testnode0)/") && b_sub.ends_with("(testnode1)/"));

    let target = format!("127.0.0.1:{}", b.p2p_port);
    assert_eq!(a.rpc("addnode", json!([target, "onetry"])), Value::Null);
    wait_until("outbound on a", || find_conn(&a, &b_sub, false).is_some());
    wait_until("inbound on b", || find_conn(&b, &a_sub, true).is_some());
    // The framework's handshake check: a pong of at least 29 bytes on each side.
    let pong = |n: &TestNode, sub: &str, inbound: bool| {
        find_conn(n, sub, inbound)
            .is_some_and(|p| p["bytesrecv_per_msg"]["pong"].as_u64().unwrap_or(0) >= 29)
    };
    wait_until("pong on a", || pong(&a, &b_sub, false));
    wait_until("pong on b", || pong(&b, &a_sub, true));

    let out = find_conn(&a, &b_sub, false).unwrap();
    assert_eq!(out["addr"], json!(target));
    assert_eq!(out["connection_type"], "manual");
    assert_eq!(out["version"], 70017);
    assert_eq!(out["transport_protocol_type"], "v1");
    assert_eq!(out["network"], "not_publicly_routable");
    assert_eq!(out["relaytxes"], true);
    assert!(out["bytessent_per_msg"]["version"].as_u64().unwrap() > 24);
    assert!(out["synced_headers"].is_i64() && out["synced_blocks"].is_i64());
    let inb = find_conn(&b, &a_sub, true).unwrap();
    assert_eq!(inb["connection_type"], "inbound");
    assert_eq!(inb["addrbind"], json!(target));
    assert_eq!(inb["addr"], out["addrbind"]);

    let info = a.rpc("getnetworkinfo", json!([]));
    assert_eq!(
        (info["connections"].clone(), info["connections_out"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        info["localservicesnames"],
        json!(["NETWORK", "WITNESS", "NETWORK_LIMITED"])
    );
    assert_eq!(b.rpc("getnetworkinfo", json!([]))["connections_in"], 1);
    assert_eq!(a.rpc("getconnectioncount", json!([])), 1);
    let totals = a.rpc("getnettotals", json!([]));
    assert!(totals["totalbytesrecv"].as_u64().unwrap() > 0);
    assert!(a
        .debug_log()
        .contains("New manual peer connected: transport: v1, version: 70017, peer=0"));
    assert!(b.debug_log().contains("Added connection peer=0"));

    // disconnect_nodes: by nodeid, the framework tolerates -29 on a second try.
    let id = out["id"].clone();
    assert_eq!(a.rpc("disconnectnode", json!({"nodeid": id})), Value::Null);
    wait_until("disconnected on both", || {
        find_conn(&a, &b_sub, false).is_none() && find_conn(&b, &a_sub, true).is_none()
    });
    assert_eq!(a.rpc_err("disconnectnode", json!({"nodeid": id})).code, -29);
    assert_eq!(a.stop(), "");
    assert_eq!(b.stop(), "");
}

#[test]
fn addnode_list_and_errors() {
    let (mut a, mut b) = two_nodes();
    let target = format!("127.0.0.1:{}", b.p2p_port);
    assert_eq!(a.rpc("addnode", json!([target, "add"])), Value::Null);
    assert_eq!(a.rpc_err("addnode", json!([target, "add"])).code, -23);
    // An added node is connected automatically.
    wait_until("added node connected", || {
        a.rpc("getaddednodeinfo", json!([]))[0]["connected"] == true
    });
    let info = a.rpc("getaddednodeinfo", json!([target]));
    assert_eq!(info[0]["addednode"], json!(target));
    assert_eq!(info[0]["addresses"][0]["connected"], "outbound");
    assert_eq!(
        a.rpc_err("getaddednodeinfo", json!(["1.2.3.4:5"])).code,
        -24
    );
    assert_eq!(a.rpc("addnode", json!([target, "remove"])), Value::Null);
    assert_eq!(a.rpc_err("addnode", json!([target, "remove"])).code, -24);
    assert_eq!(a.rpc_err("addnode", json!([target, "bogus"])).code, -1);
    assert_eq!(
        a.rpc_err(
            "addnode",
            json!({"node": target, "command": "onetry", "v2transport": true})
        )
        .message,
        "Error: v2transport requested but not enabled (see -v2transport)"
    );
    assert_eq!(
        a.rpc_err("addconnection", json!([target, "bogus", false]))
            .code,
        -8
    );
    let added = a.rpc(
        "addconnection",
        json!([target, "outbound-full-relay", false]),
    );
    assert_eq!(added["connection_type"], "outbound-full-relay");
    assert_eq!(a.rpc("ping", json!([])), Value::Null);
    assert_eq!(a.rpc("setnetworkactive", json!([false])), false);
    wait_until("no peers", || a.rpc("getconnectioncount", json!([])) == 0);
    assert_eq!(a.rpc("getnetworkinfo", json!([]))["networkactive"], false);
    assert!(a.debug_log().contains("SetNetworkActive: false"));
    assert_eq!(a.rpc("setnetworkactive", json!([true])), true);

    assert_eq!(a.rpc("setban", json!(["10.0.0.0/8", "add"])), Value::Null);
    assert_eq!(a.rpc_err("setban", json!(["10.0.0.0/8", "add"])).code, -23);
    assert_eq!(a.rpc_err("setban", json!(["nonsense", "add"])).code, -30);
    let bans = a.rpc("listbanned", json!([]));
    assert_eq!(bans[0]["address"], "10.0.0.0/8");
    assert_eq!(bans[0]["ban_duration"], 86400);
    assert_eq!(a.rpc("clearbanned", json!([])), Value::Null);
    assert_eq!(a.rpc("listbanned", json!([])), json!([]));
    assert_eq!(a.stop(), "");
    assert_eq!(b.stop(), "");
}

#[test]
fn port_in_use_is_an_init_error() {
    let mut a = TestNode::new();
    a.start(&[]);
    let b = TestNode::new();
    let (code, _, stderr) = b.run_to_exit(&[&format!("-port={}", a.p2p_port)]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "Error: Unable to bind to 127.0.0.1:{} on this computer.",
            a.p2p_port
        )),
        "{stderr}"
    );
    assert_eq!(a.stop(), "");
}

mod python_like_peer {
    //! An inbound peer speaking the protocol the way Core's `P2PInterface` does,
    //! framed with the `bitcoin` crate (independent of the node's own codec).
    use super::*;
    use bitcoin::p2p::message::NetworkMessage;
    use functional::peer::{python_version, Peer};

    #[test]
    fn add_p2p_connection_checks_hold() {
        let mut node = TestNode::new();
        node.start(&["-logips=1"]);
        let mut p = Peer::connect(node.p2p_port);
        p.send(NetworkMessage::Version(python_version()));
        let NetworkMessage::Version(v) = p.expect("version") else {
            unreachable!()
        };
        assert!(v.user_agent.ends_with("(testnode0)/"));
        p.send(NetworkMessage::WtxidRelay);
        p.send(NetworkMessage::SendAddrV2);
        p.send(NetworkMessage::Verack);
        p.send(NetworkMessage::GetAddr);
        p.expect("verack");
        p.sync_with_ping();

        let ours = p.stream.local_addr().unwrap().to_string();
        let theirs = format!("127.0.0.1:{}", node.p2p_port);
        let peers = node.rpc("getpeerinfo", json!([]));
        let info: Vec<&Value> = peers
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["addr"] == ours && p["addrbind"] == theirs)
            .collect();
        assert_eq!(info.len(), 1);
        assert_eq!(info[0]["subver"], "/python-p2p-tester:0.0.3/");
        assert_eq!(info[0]["inbound"], true);
        assert_eq!(info[0]["servicesnames"], json!(["NETWORK", "WITNESS"]));
        // -logips: Core's LogPeer form, which feature_logging.py looks for.
        assert!(node.debug_log().contains("peer=0, peeraddr="));
        drop(p);
        wait_until("peer gone", || {
            node.rpc("getconnectioncount", json!([])) == 0
        });
        assert_eq!(node.stop(), "");
    }
}

mod address_manager {
    //! The address manager: `peers.dat` across restarts, foreign and damaged
    //! files, and the seeding log lines of the connection threads.
    use super::*;

    /// A node whose config does not pin `-connect=0`, so the automatic
    /// connection thread runs as on a real node.
    fn node_with_auto_connections() -> TestNode {
        let node = TestNode::new();
        let conf = node.datadir.join("bitcoin.conf");
        let text = std::fs::read_to_string(&conf)
            .unwrap()
            .replace("connect=0\n", "");
        std::fs::write(conf, text).unwrap();
        node
    }

    fn wait_for_log(node: &TestNode, line: &str) {
        wait_until(line, || node.debug_log().contains(line));
    }

    #[test]
    fn peers_dat_survives_a_restart() {
        let mut node = TestNode::new();
        node.start(&[]);
        let add =
            |n: &TestNode, ip: &str, tried: bool| n.rpc("addpeeraddress", json!([ip, 8333, tried]));
        assert_eq!(add(&node, "1.2.3.4", false), json!({"success": true}));
        assert_eq!(
            add(&node, "1.2.3.4", false),
            json!({"success": false, "error": "failed-adding-to-new"})
        );
        assert_eq!(add(&node, "2a01:4f8::1", true), json!({"success": true}));
        assert_eq!(
            add(&node, "127.0.0.1", false),
            json!({"success": false, "error": "failed-adding-to-new"})
        );
        assert_eq!(
            node.rpc_err("addpeeraddress", json!(["bogus", 1])).code,
            -30
        );
        assert_eq!(
            node.rpc("getnodeaddresses", json!([]))
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(node.stop(), "");
        assert!(node.chain_path().join("peers.dat").exists());

        node.start(&[]);
        assert!(node
            .debug_log()
            .contains("Loaded 2 addresses from peers.dat"));
        let all = node.rpc("getnodeaddresses", json!([0]));
        let mut found: Vec<(String, String)> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["address"].as_str().unwrap().to_string(),
                    a["network"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("1.2.3.4".into(), "ipv4".into()),
                ("2a01:4f8::1".into(), "ipv6".into())
            ]
        );
        let v6 = node.rpc("getnodeaddresses", json!([0, "ipv6"]));
        assert_eq!(v6.as_array().unwrap().len(), 1);
        assert_eq!(v6[0]["port"], 8333);
        assert_eq!(v6[0]["services"], 9);
        let err = node.rpc_err("getnodeaddresses", json!([1, "mars"]));
        assert_eq!(
            (err.code, err.message.as_str()),
            (-8, "Network not recognized: mars")
        );
        let err = node.rpc_err("getnodeaddresses", json!([-1]));
        assert_eq!(
            (err.code, err.message.as_str()),
            (-8, "Address count out of range")
        );
        assert_eq!(node.stop(), "");
    }

    #[test]
    fn foreign_peers_dat_is_moved_aside_and_damaged_one_is_an_init_error() {
        let mut node = TestNode::new();
        std::fs::create_dir_all(node.chain_path()).unwrap();
        let path = node.chain_path().join("peers.dat");
        std::fs::write(&path, b"\xfa\xbf\xb5\xda not ours").unwrap();
        node.start(&[]);
        assert!(node
            .debug_log()
            .contains("Creating new peers.dat because the file version was not compatible"));
        assert_eq!(
            std::fs::read(node.chain_path().join("peers.dat.bak")).unwrap(),
            b"\xfa\xbf\xb5\xda not ours"
        );
        node.rpc("addpeeraddress", json!(["1.2.3.4", 8333]));
        assert_eq!(node.stop(), "");

        // A flipped bit in the bucket key keeps the layout readable, so only
        // the checksum catches it (as in Core, which reads before it checks).
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[10] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (code, _, stderr) = node.run_to_exit(&[]);
        assert_eq!(code, 1);
        assert!(
            stderr.starts_with(
                "Error: Invalid or corrupt peers.dat (Checksum mismatch, data corrupted)."
            ),
            "{stderr}"
        );
    }

    #[test]
    fn seeding_follows_the_options() {
        let mut node = node_with_auto_connections();
        node.start(&["-dnsseed=0", "-fixedseeds=1"]);
        for line in [
            "Creating peers.dat because the file was not found",
            "DNS seeding disabled",
            "opencon thread start",
            "addcon thread start",
            "Adding fixed seeds as -dnsseed=0 (or IPv4/IPv6 connections are disabled via -onlynet) and neither -addnode nor -seednode are provided",
            "Added 0 fixed seeds from reachable networks.",
        ] {
            wait_for_log(&node, line);
        }
        assert_eq!(node.stop(), "");

        let mut node = node_with_auto_connections();
        node.start(&["-dnsseed=0", "-fixedseeds=0"]);
        wait_for_log(&node, "Fixed seeds are disabled");
        assert_eq!(node.stop(), "");

        // With an -addnode the fixed seeds wait a minute (of mock time).
        let mut node = node_with_auto_connections();
        let start = common_now();
        node.start(&[
            "-dnsseed=0",
            "-fixedseeds=1",
            "-addnode=127.0.0.1:1",
            &format!("-mocktime={start}"),
        ]);
        wait_for_log(&node, "opencon thread start");
        assert!(!node.debug_log().contains("Adding fixed seeds"));
        node.rpc("setmocktime", json!([start + 65]));
        wait_for_log(
            &node,
            "Adding fixed seeds as 60 seconds have passed and addrman is empty",
        );
        assert_eq!(node.stop(), "");

        node.assert_start_raises_init_error(
            &["-dnsseed=1", "-onlynet=i2p", "-i2psam=127.0.0.1:7656"],
            "Error: Incompatible options: -dnsseed=1 was explicitly specified, but -onlynet forbids connections to IPv4/IPv6",
        );
        node.assert_start_raises_init_error(
            &["-onlynet=mars"],
            "Error: Unknown network specified in -onlynet: 'mars'",
        );
    }

    fn common_now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }
}
