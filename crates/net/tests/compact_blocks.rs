//! BIP152 compact blocks over the wire: what the node serves, and how it
//! rebuilds a block a peer sends compact.

mod support;

use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds};
use bitcoin::consensus::encode::deserialize;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::message_compact_blocks::{BlockTxn, CmpctBlock, GetBlockTxn, SendCmpct};
use bitcoin::Block;
use net::compact::compact_from_block;
use std::time::Duration;
use support::{dummy_tx, start_node, wait_until, FakeChain, RawPeer};

fn getdata_types(payload: &[u8]) -> Vec<Inventory> {
    deserialize(payload).unwrap()
}

/// A peer that finished the handshake and told the node it speaks version 2.
fn compact_peer(addr: std::net::SocketAddr) -> RawPeer {
    let mut p = RawPeer::connect(addr);
    p.handshake();
    let offer: SendCmpct = deserialize(&p.expect("sendcmpct")).unwrap();
    assert!(!offer.send_compact);
    assert_eq!(offer.version, 2);
    p.send(NetworkMessage::SendCmpct(SendCmpct {
        send_compact: false,
        version: 2,
    }));
    p
}

#[test]
fn serves_compact_blocks_and_block_transactions() {
    let chain = FakeChain::new();
    chain.mine(3);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = compact_peer(addr);
    let tip = chain.tip_hash();
    p.send(NetworkMessage::GetData(vec![Inventory::CompactBlock(tip)]));
    let cmpct: HeaderAndShortIds = deserialize(&p.expect("cmpctblock")).unwrap();
    assert_eq!(cmpct.header.block_hash(), tip);
    assert_eq!(cmpct.prefilled_txs.len(), 1);
    assert_eq!(cmpct.prefilled_txs[0].idx, 0);
    assert!(cmpct.short_ids.is_empty());

    p.send(NetworkMessage::GetBlockTxn(GetBlockTxn {
        txs_request: BlockTransactionsRequest {
            block_hash: tip,
            indexes: vec![0],
        },
    }));
    let txs: BlockTransactions = deserialize(&p.expect("blocktxn")).unwrap();
    assert_eq!(txs.block_hash, tip);
    assert_eq!(txs.transactions, vec![cmpct.prefilled_txs[0].tx.clone()]);

    // An index past the block's end is misbehaviour.
    p.send(NetworkMessage::GetBlockTxn(GetBlockTxn {
        txs_request: BlockTransactionsRequest {
            block_hash: tip,
            indexes: vec![1],
        },
    }));
    assert!(p.closed_by_node());
}

/// A witness-free transaction (the fake chain has no segwit, so a
/// rebuilt block with witnesses would count as mutated).
fn plain_tx(n: u32) -> bitcoin::Transaction {
    let mut tx = dummy_tx(n);
    tx.input[0].witness.clear();
    tx
}

/// A block on the tip holding `txs` after its coinbase.
fn block_with(chain: &FakeChain, txs: Vec<bitcoin::Transaction>) -> Block {
    let mut b = chain.make_block(chain.tip_hash(), 7);
    b.txdata.extend(txs);
    b.header.merkle_root = b.compute_merkle_root().unwrap();
    b
}

#[test]
fn rebuilds_an_announced_block_asking_only_for_what_is_missing() {
    let chain = FakeChain::new();
    chain.mine(1);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = compact_peer(addr);
    let (known, unknown) = (plain_tx(1), plain_tx(2));
    chain.submit_tx(known.clone());
    let block = block_with(&chain, vec![known, unknown.clone()]);
    let hash = block.block_hash();

    // A lone new block on our tip is fetched as a compact block.
    p.send(NetworkMessage::Headers(vec![block.header]));
    let asked = getdata_types(&p.expect("getdata"));
    assert_eq!(asked, vec![Inventory::CompactBlock(hash)]);

    let cmpct = compact_from_block(&block, 42).unwrap();
    p.send(NetworkMessage::CmpctBlock(CmpctBlock {
        compact_block: cmpct,
    }));
    let req: BlockTransactionsRequest = {
        let payload = p.expect("getblocktxn");
        let mut d = &payload[..];
        let hash: bitcoin::BlockHash =
            bitcoin::consensus::Decodable::consensus_decode(&mut d).unwrap();
        let n: bitcoin::VarInt = bitcoin::consensus::Decodable::consensus_decode(&mut d).unwrap();
        let mut indexes = Vec::new();
        let mut next = 0;
        for _ in 0..n.0 {
            let diff: bitcoin::VarInt =
                bitcoin::consensus::Decodable::consensus_decode(&mut d).unwrap();
            indexes.push(next + diff.0);
            next += diff.0 + 1;
        }
        BlockTransactionsRequest {
            block_hash: hash,
            indexes,
        }
    };
    assert_eq!(req.block_hash, hash);
    assert_eq!(req.indexes, vec![2]);

    p.send(NetworkMessage::BlockTxn(BlockTxn {
        transactions: BlockTransactions {
            block_hash: hash,
            transactions: vec![unknown],
        },
    }));
    wait_until("block rebuilt", Duration::from_secs(10), || {
        chain.tip_hash() == hash
    });

    // Transactions for a block no longer being fetched are ignored, not
    // punished.
    p.send(NetworkMessage::BlockTxn(BlockTxn {
        transactions: BlockTransactions {
            block_hash: hash,
            transactions: vec![],
        },
    }));
    p.send(NetworkMessage::Ping(5));
    p.expect("pong");
}

#[test]
fn witness_transactions_before_segwit_fall_back_to_the_full_block() {
    let chain = FakeChain::new();
    chain.mine(1);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = compact_peer(addr);
    let witness_tx = dummy_tx(4);
    chain.submit_tx(witness_tx.clone());
    let block = block_with(&chain, vec![witness_tx]);
    p.send(NetworkMessage::Headers(vec![block.header]));
    p.expect("getdata");
    p.send(NetworkMessage::CmpctBlock(CmpctBlock {
        compact_block: compact_from_block(&block, 3).unwrap(),
    }));
    // Rebuilt from the mempool, the block looks mutated: ask for all of it.
    let asked = getdata_types(&p.expect("getdata"));
    assert_eq!(asked, vec![Inventory::WitnessBlock(block.block_hash())]);
}

#[test]
fn compact_block_with_impossible_prefilled_index_disconnects() {
    let chain = FakeChain::new();
    chain.mine(1);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = compact_peer(addr);
    let block = block_with(&chain, vec![]);
    p.send(NetworkMessage::Headers(vec![block.header]));
    p.expect("getdata");
    let mut cmpct = compact_from_block(&block, 1).unwrap();
    cmpct.prefilled_txs[0].idx = 1;
    p.send(NetworkMessage::CmpctBlock(CmpctBlock {
        compact_block: cmpct,
    }));
    assert!(p.closed_by_node());
    assert_ne!(chain.tip_hash(), block.block_hash());
}

#[test]
fn unsolicited_compact_block_from_low_bandwidth_peer_is_ignored() {
    let chain = FakeChain::new();
    chain.mine(1);
    let (_mgr, addr) = start_node(&chain, "/t/");
    let mut p = compact_peer(addr);
    let block = block_with(&chain, vec![dummy_tx(3)]);
    p.send(NetworkMessage::CmpctBlock(CmpctBlock {
        compact_block: compact_from_block(&block, 1).unwrap(),
    }));
    p.send(NetworkMessage::Ping(9));
    // The pong comes with no getblocktxn before it.
    loop {
        let (t, _) = p.recv().expect("still connected");
        assert_ne!(t, "getblocktxn");
        if t == "pong" {
            break;
        }
    }
}
