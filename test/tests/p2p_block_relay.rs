//! Block relay with a single test peer, as Core does it: a compact block
//! the node ignores is still fetched whole, a peer we do not sync from gets
//! one inv-triggered `getheaders` only, a pruned node refuses (and drops
//! peers for) blocks deeper than it promises to serve, and `-blocksonly`
//! shows in `getnetworkinfo`.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use bitcoin::bip152::HeaderAndShortIds;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::message_compact_blocks::{CmpctBlock, SendCmpct};
use bitcoin::p2p::ServiceFlags;
use bitcoin::BlockHash;
use functional::blocks::{block_on, block_on_tip, coinbase};
use functional::peer::{python_version, Peer};
use functional::{op_true, TestNode};
use serde_json::json;

const SUBSIDY: u64 = 50 * 100_000_000;

fn height(node: &TestNode) -> i64 {
    node.rpc("getblockcount", json!([])).as_i64().unwrap()
}

#[test]
fn ignored_unsolicited_compact_block_is_fetched_whole() {
    let mut node = TestNode::new();
    node.start(&[]);
    op_true::generate(&node, 1);
    let mut peer = Peer::handshake(node.p2p_port);
    // Compact blocks spoken, but low-bandwidth: never chosen to push them.
    peer.send(NetworkMessage::SendCmpct(SendCmpct {
        send_compact: false,
        version: 2,
    }));
    peer.sync_with_ping();
    let block = block_on_tip(&node, vec![coinbase(height(&node) + 1, SUBSIDY)]);
    let compact = HeaderAndShortIds::from_block(&block, 7, 2, &[]).unwrap();
    peer.send(NetworkMessage::CmpctBlock(CmpctBlock {
        compact_block: compact,
    }));
    let seen = peer.messages_until_synced();
    let hash = block.block_hash();
    assert!(
        !seen.iter().any(|m| m.cmd() == "getblocktxn"),
        "an unsolicited compact block from a low-bandwidth peer is not rebuilt: {seen:?}"
    );
    assert!(
        seen.iter().any(
            |m| matches!(m, NetworkMessage::GetData(inv) if inv == &vec![Inventory::WitnessBlock(hash)])
        ),
        "its header still makes the block worth fetching: {seen:?}"
    );
    peer.send(NetworkMessage::Block(block));
    peer.sync_with_ping();
    assert_eq!(
        node.rpc("getbestblockhash", json!([])),
        json!(hash.to_string())
    );
    node.stop();
}

#[test]
fn peer_without_blocks_gets_one_inv_triggered_getheaders() {
    let mut node = TestNode::new();
    node.start(&[]);
    op_true::generate(&node, 1);
    // Not NODE_NETWORK: no headers sync is started with this peer.
    let mut version = python_version();
    version.services = ServiceFlags::WITNESS;
    let mut peer = Peer::handshake_as(node.p2p_port, version);
    let unknown = |n: u8| BlockHash::from_byte_array([n; 32]);

    peer.send(NetworkMessage::Inv(vec![Inventory::Block(unknown(1))]));
    let seen = peer.messages_until_synced();
    assert!(
        seen.iter().any(|m| m.cmd() == "getheaders"),
        "the first unknown block asks for headers: {seen:?}"
    );
    // Answered: another getheaders may go out as far as timing goes.
    peer.send(NetworkMessage::Headers(vec![]));
    peer.send(NetworkMessage::Inv(vec![Inventory::Block(unknown(2))]));
    let seen = peer.messages_until_synced();
    assert!(
        !seen.iter().any(|m| m.cmd() == "getheaders"),
        "a peer we do not sync from is asked once: {seen:?}"
    );
    node.stop();
}

#[test]
fn pruned_node_drops_peers_asking_for_deep_blocks() {
    let mut node = TestNode::new();
    node.start(&["-prune=550"]);
    let hashes = op_true::generate(&node, 292);
    let mut peer = Peer::handshake(node.p2p_port);
    let at = |h: usize| -> BlockHash { hashes[h - 1].parse().unwrap() };

    // Height 2 is 290 below the tip of 292: still served.
    peer.send(NetworkMessage::GetData(vec![Inventory::WitnessBlock(at(
        2,
    ))]));
    let seen = peer.messages_until_synced();
    assert!(
        seen.iter()
            .any(|m| matches!(m, NetworkMessage::Block(b) if b.block_hash() == at(2))),
        "{seen:?}"
    );
    // Height 1 is one further: refused, and the asker let go.
    peer.send(NetworkMessage::GetData(vec![Inventory::WitnessBlock(at(
        1,
    ))]));
    assert!(peer.disconnected());
    node.stop();
}

#[test]
fn blocks_fetched_from_a_pruned_peer_stay_within_its_window() {
    let mut node = TestNode::new();
    node.start(&[]);
    op_true::generate(&node, 1);
    let mut version = python_version();
    version.services = ServiceFlags::WITNESS | ServiceFlags::NETWORK_LIMITED;
    let mut peer = Peer::handshake_as(node.p2p_port, version);
    let tip_height = height(&node);
    let mut chain = vec![block_on_tip(&node, vec![coinbase(tip_height + 1, SUBSIDY)])];
    for i in 2..=300 {
        let prev = &chain[chain.len() - 1];
        let next = block_on(
            prev.block_hash(),
            prev.header.time,
            vec![coinbase(tip_height + i, SUBSIDY)],
        );
        chain.push(next);
    }
    peer.send(NetworkMessage::Headers(
        chain.iter().map(|b| b.header).collect(),
    ));
    let asked: Vec<BlockHash> = peer
        .messages_until_synced()
        .into_iter()
        .filter_map(|m| match m {
            NetworkMessage::GetData(inv) => Some(inv),
            _ => None,
        })
        .flatten()
        .filter_map(|i| match i {
            Inventory::WitnessBlock(h) | Inventory::CompactBlock(h) => Some(h),
            _ => None,
        })
        .collect();
    // The peer keeps 288 blocks below its best (300 above our tip); two
    // more are left out for races.
    let first_allowed = 300 - (288 - 2) + 1;
    let position = |h: &BlockHash| chain.iter().position(|b| b.block_hash() == *h).unwrap() + 1;
    assert!(!asked.is_empty(), "the recent blocks are fetched");
    assert!(
        asked.iter().all(|h| position(h) >= first_allowed),
        "only blocks the pruned peer keeps are asked for: {:?}",
        asked.iter().map(position).collect::<Vec<_>>()
    );
    node.stop();
}

#[test]
fn block_sent_whole_is_no_header_the_peer_can_build_on() {
    let mut node = TestNode::new();
    node.start(&[]);
    op_true::generate(&node, 1);
    let mut peer = Peer::handshake(node.p2p_port);
    peer.send(NetworkMessage::SendHeaders);
    peer.sync_with_ping();
    let announced = |peer: &mut Peer, node: &TestNode| -> NetworkMessage {
        let hash: BlockHash = op_true::generate(node, 1)[0].parse().unwrap();
        loop {
            match peer.expect_any(&["inv", "headers"]) {
                NetworkMessage::Inv(inv) if inv.contains(&Inventory::Block(hash)) => {
                    return NetworkMessage::Inv(inv)
                }
                NetworkMessage::Headers(h) if h.iter().any(|h| h.block_hash() == hash) => {
                    return NetworkMessage::Headers(h)
                }
                _ => continue,
            }
        }
    };
    // The peer has none of our headers: an inv.
    let first = announced(&mut peer, &node);
    let NetworkMessage::Inv(inv) = first else {
        panic!("expected an inv, got {first:?}");
    };
    // Fetching the block whole does not give the peer its header.
    peer.send(NetworkMessage::GetData(vec![Inventory::WitnessBlock(
        match inv[0] {
            Inventory::Block(h) => h,
            ref other => panic!("unexpected {other:?}"),
        },
    )]));
    peer.expect("block");
    let second = announced(&mut peer, &node);
    assert!(
        matches!(second, NetworkMessage::Inv(_)),
        "still announced by inv: {second:?}"
    );
    node.stop();
}

#[test]
fn blocksonly_is_not_local_relay() {
    let mut node = TestNode::new();
    node.start(&["-blocksonly"]);
    let info = node.rpc("getnetworkinfo", json!([]));
    assert_eq!(info["localrelay"], json!(false));
    // Announcing a transaction to a blocks-only node breaks the protocol.
    let mut peer = Peer::handshake(node.p2p_port);
    peer.send(NetworkMessage::Inv(vec![Inventory::WTx(
        bitcoin::Wtxid::from_byte_array([0x34; 32]),
    )]));
    assert!(peer.disconnected());
    node.stop();
    let mut node = TestNode::new();
    node.start(&[]);
    let info = node.rpc("getnetworkinfo", json!([]));
    assert_eq!(info["localrelay"], json!(true));
    node.stop();
}
