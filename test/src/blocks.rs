//! Hand-built regtest blocks: a BIP34 coinbase paying `OP_TRUE`, a block on
//! any parent with its merkle root set and proof of work solved.

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::script::Builder;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};
use serde_json::json;

use crate::TestNode;

/// A coinbase for `height` paying `value` satoshis to a bare `OP_TRUE`.
pub fn coinbase(height: i64, value: u64) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: Builder::new()
                .push_int(height)
                .push_opcode(bitcoin::opcodes::OP_0)
                .into_script(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
    }
}

/// A block on `prev` (whose time is `prev_time`) with `txs`, merkle root set
/// and proof of work solved.
pub fn block_on(prev: BlockHash, prev_time: u32, txs: Vec<Transaction>) -> Block {
    let mut block = Block {
        header: bitcoin::block::Header {
            version: bitcoin::block::Version::from_consensus(0x2000_0000),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: prev_time + 1,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        },
        txdata: txs,
    };
    if let Some(root) = block.compute_merkle_root() {
        block.header.merkle_root = root;
    }
    solve(&mut block);
    block
}

/// A block on the node's tip with `txs`.
pub fn block_on_tip(node: &TestNode, txs: Vec<Transaction>) -> Block {
    let tip = node.rpc("getbestblockhash", json!([]));
    let header = node.rpc("getblockheader", json!([tip]));
    block_on(
        tip.as_str().expect("hash").parse().expect("hash"),
        header["time"].as_u64().expect("time") as u32,
        txs,
    )
}

/// Grinds the nonce until the header meets its own target.
pub fn solve(block: &mut Block) {
    while block.header.validate_pow(block.header.target()).is_err() {
        block.header.nonce += 1;
    }
}
