//! Merkle roots with CVE-2012-2459 mutation detection, the BIP141 witness
//! root and the coinbase witness commitment.

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Amount, Block, ScriptBuf, TxMerkleNode, TxOut, WitnessMerkleNode};

/// Minimum size of a witness commitment output script (BIP141).
pub const MINIMUM_WITNESS_COMMITMENT: usize = 38;

/// The header of a witness commitment script: OP_RETURN, push 36,
/// 0xaa21a9ed.
pub const WITNESS_COMMITMENT_HEADER: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/// The witness reserved value ("nonce") put in the coinbase witness: 32 zero bytes.
pub const WITNESS_RESERVED_VALUE: [u8; 32] = [0; 32];

fn hash_pair(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut e = sha256d::Hash::engine();
    e.input(a);
    e.input(b);
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// The merkle root of `hashes` (internal byte order) and whether the list
/// is "mutated": two identical hashes are paired at some level, which is
/// how duplicated transactions keep the same root. An empty list gives zero.
pub fn compute_merkle_root(mut hashes: Vec<[u8; 32]>) -> ([u8; 32], bool) {
    let mut mutated = false;
    while hashes.len() > 1 {
        let mut pos = 0;
        while pos + 1 < hashes.len() {
            if hashes[pos] == hashes[pos + 1] {
                mutated = true;
            }
            pos += 2;
        }
        if hashes.len() % 2 == 1 {
            let last = hashes[hashes.len() - 1];
            hashes.push(last);
        }
        hashes = hashes.chunks(2).map(|c| hash_pair(&c[0], &c[1])).collect();
    }
    (hashes.first().copied().unwrap_or([0; 32]), mutated)
}

/// The block's transaction merkle root and the mutation flag.
pub fn block_merkle_root(block: &Block) -> (TxMerkleNode, bool) {
    let leaves = block
        .txdata
        .iter()
        .map(|tx| tx.compute_txid().to_byte_array())
        .collect();
    let (root, mutated) = compute_merkle_root(leaves);
    (TxMerkleNode::from_byte_array(root), mutated)
}

/// The witness merkle root: wtxids, with zero for the coinbase.
pub fn block_witness_merkle_root(block: &Block) -> WitnessMerkleNode {
    let leaves = block
        .txdata
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            if i == 0 {
                [0; 32]
            } else {
                tx.compute_wtxid().to_byte_array()
            }
        })
        .collect();
    WitnessMerkleNode::from_byte_array(compute_merkle_root(leaves).0)
}

/// Index of the coinbase output holding the witness commitment: the last
/// output whose script is at least 38 bytes and starts with the commitment
/// header (Core's `GetWitnessCommitmentIndex`).
pub fn witness_commitment_index(block: &Block) -> Option<usize> {
    let coinbase = block.txdata.first()?;
    coinbase
        .output
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            let s = o.script_pubkey.as_bytes();
            s.len() >= MINIMUM_WITNESS_COMMITMENT && s[..6] == WITNESS_COMMITMENT_HEADER
        })
        .map(|(i, _)| i)
        .next_back()
}

/// The commitment hash: double SHA256 of the witness root and the reserved value.
pub fn witness_commitment_hash(witness_root: &WitnessMerkleNode, reserved: &[u8]) -> [u8; 32] {
    let mut e = sha256d::Hash::engine();
    e.input(witness_root.as_byte_array());
    e.input(reserved);
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// The commitment output script for a witness root and reserved value.
pub fn witness_commitment_script(witness_root: &WitnessMerkleNode, reserved: &[u8]) -> ScriptBuf {
    let mut s = WITNESS_COMMITMENT_HEADER.to_vec();
    s.extend_from_slice(&witness_commitment_hash(witness_root, reserved));
    ScriptBuf::from_bytes(s)
}

/// Puts the zero witness reserved value into the coinbase witness if the
/// block has a commitment, segwit is active and the coinbase has no
/// witness (Core's `UpdateUncommittedBlockStructures`).
pub fn update_uncommitted_block_structures(block: &mut Block, segwit_active: bool) {
    if witness_commitment_index(block).is_none() || !segwit_active {
        return;
    }
    if let Some(cb) = block.txdata.first_mut() {
        if cb.input.iter().all(|i| i.witness.is_empty()) {
            if let Some(input) = cb.input.first_mut() {
                input.witness = bitcoin::Witness::from_slice(&[WITNESS_RESERVED_VALUE]);
            }
        }
    }
}

/// Adds a witness commitment output to the coinbase when there is none
/// (computed with the zero reserved value), then fills the coinbase witness
/// (Core's `GenerateCoinbaseCommitment`, for block templates).
/// Does nothing to a block without transactions.
pub fn generate_coinbase_commitment(block: &mut Block, segwit_active: bool) {
    if block.txdata.is_empty() {
        return;
    }
    if witness_commitment_index(block).is_none() {
        let root = block_witness_merkle_root(block);
        let out = TxOut {
            value: Amount::ZERO,
            script_pubkey: witness_commitment_script(&root, &WITNESS_RESERVED_VALUE),
        };
        block.txdata[0].output.push(out);
    }
    update_uncommitted_block_structures(block, segwit_active);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::Network;

    #[test]
    fn genesis_root() {
        let g = bitcoin::blockdata::constants::genesis_block(Network::Bitcoin);
        let (root, mutated) = block_merkle_root(&g);
        assert!(!mutated);
        assert_eq!(root, g.header.merkle_root);
        assert_eq!(
            root.to_string(),
            "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
        );
    }

    #[test]
    fn mutation_detected() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let c = [3u8; 32];
        let (r1, m1) = compute_merkle_root(vec![a, b, c]);
        let (r2, m2) = compute_merkle_root(vec![a, b, c, c]);
        assert_eq!(r1, r2);
        assert!(!m1);
        assert!(m2);
        assert_eq!(compute_merkle_root(vec![]).0, [0; 32]);
        assert_eq!(compute_merkle_root(vec![a]), (a, false));
    }

    #[test]
    fn testnet_blocks() {
        let block = crate::testdata::block(49291);
        assert_eq!(
            block.block_hash().to_string(),
            "0000000018b07dca1b28b4b5a119f6d6e71698ce1ed96f143f54179ce177a19c"
        );
        assert!(block.txdata.len() >= 2);
        let (root, mutated) = block_merkle_root(&block);
        assert_eq!(root, block.header.merkle_root);
        assert!(!mutated);
        // A segwit block: its commitment verifies.
        let block = crate::testdata::block(1263442);
        assert!(block.check_witness_commitment());
        let idx = witness_commitment_index(&block).unwrap();
        let root = block_witness_merkle_root(&block);
        let reserved = block.txdata[0].input[0].witness.nth(0).unwrap();
        assert_eq!(
            block.txdata[0].output[idx].script_pubkey.as_bytes()[6..38],
            witness_commitment_hash(&root, reserved)
        );
    }

    #[test]
    fn commitment_round_trip() {
        let mut g = bitcoin::blockdata::constants::genesis_block(Network::Regtest);
        assert_eq!(witness_commitment_index(&g), None);
        generate_coinbase_commitment(&mut g, true);
        assert_eq!(witness_commitment_index(&g), Some(1));
        assert_eq!(g.txdata[0].input[0].witness.len(), 1);
        let root = block_witness_merkle_root(&g);
        let script = &g.txdata[0].output[1].script_pubkey;
        assert_eq!(script.len(), 38);
        assert_eq!(
            script.as_bytes()[6..],
            witness_commitment_hash(&root, &WITNESS_RESERVED_VALUE)
        );
        // rust-bitcoin agrees.
        assert!(g.check_witness_commitment());
        // A second call does not add another output.
        generate_coinbase_commitment(&mut g, true);
        assert_eq!(g.txdata[0].output.len(), 2);
    }
}
