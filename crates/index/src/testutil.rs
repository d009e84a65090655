//! Synthetic blocks with undo data for the indexes' unit tests.

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};
use blockstore::{BlockUndo, FlatFilePos, TxUndo};
use consensus::Coin;

use crate::sync::BlockData;

/// A transaction spending `inputs` into outputs of `(sats, script)`.
pub fn tx(inputs: &[OutPoint], outputs: &[(u64, &[u8])]) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|p| TxIn {
                previous_output: *p,
                script_sig: ScriptBuf::from_bytes(vec![0x51]),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs
            .iter()
            .map(|(v, s)| TxOut {
                value: Amount::from_sat(*v),
                script_pubkey: ScriptBuf::from_bytes(s.to_vec()),
            })
            .collect(),
    }
}

/// A block at `height` with `txs` (the first is the coinbase) and the coins its inputs spend.
pub fn block(
    height: u32,
    prev: BlockHash,
    txs: Vec<Transaction>,
    spent: Vec<Vec<Coin>>,
) -> BlockData {
    let block = Block {
        header: Header {
            version: BlockVersion::TWO,
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: height,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce: 0,
        },
        txdata: txs,
    };
    BlockData {
        hash: block.block_hash(),
        height,
        undo: (height > 0).then(|| BlockUndo {
            txs: spent
                .into_iter()
                .map(|prevouts| TxUndo { prevouts })
                .collect(),
        }),
        block,
        pos: FlatFilePos::new(0, 0),
    }
}

/// A coin of `sats` paying to `script` created at `height`.
pub fn coin(sats: u64, script: &[u8], height: u32) -> Coin {
    Coin {
        output: TxOut {
            value: Amount::from_sat(sats),
            script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
        },
        height,
        is_coinbase: true,
    }
}
