//! Building a block on the tip from chosen transactions (the shape of
//! Core's `CreateNewBlock` output: coinbase, commitment, time, bits) and the
//! nonce search used by the `generate*` RPCs. Choosing the transactions is
//! the [`crate::assembler`]'s job.

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::script::Builder;
use bitcoin::opcodes::OP_0;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Witness,
};
use chain::Chainstate;
use consensus::block_check::MAX_TIMEWARP;
use consensus::merkle::{block_merkle_root, generate_coinbase_commitment};
use consensus::pow::{check_proof_of_work, get_next_work_required};
use consensus::subsidy::get_block_subsidy;
use consensus::HeaderInfo;

/// Sequence of the coinbase input, so its lock time is enforced.
const MAX_SEQUENCE_NONFINAL: u32 = 0xffff_fffe;

/// The coinbase of a block at `height` paying `value` to `script`.
pub fn coinbase_tx(height: u32, script: ScriptBuf, value: i64) -> Transaction {
    let mut sig = Builder::new().push_int(i64::from(height));
    if height <= 16 {
        // A one-byte height push is below the two-byte minimum coinbase script.
        sig = sig.push_opcode(OP_0);
    }
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::from_consensus(height.saturating_sub(1)),
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: sig.into_script(),
            sequence: Sequence(MAX_SEQUENCE_NONFINAL),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value.max(0) as u64),
            script_pubkey: script,
        }],
    }
}

/// The earliest timestamp the block after `prev` may carry: one second past
/// its median time, and on a retarget boundary no more than `MAX_TIMEWARP`
/// before `prev` (the BIP94 rule, honoured on every chain as Core does).
pub fn minimum_time(prev: &HeaderInfo, params: &consensus::Params) -> i64 {
    let mut min = i64::from(prev.median_time_past) + 1;
    let height = prev.height + 1;
    if height.is_multiple_of(params.difficulty_adjustment_interval()) {
        min = min.max(i64::from(prev.time) - MAX_TIMEWARP);
    }
    min
}

/// A block on the current tip paying `fees` plus the subsidy to `script`,
/// holding `txs` (already valid in this order), with the witness
/// commitment, merkle root, time and bits filled in.
pub fn build_block(
    cs: &Chainstate,
    script: ScriptBuf,
    txs: Vec<Transaction>,
    fees: i64,
    version_override: Option<i32>,
) -> Result<Block, String> {
    let tip = cs.tip_entry().ok_or("no tip")?;
    let prev = tip.info();
    let height = tip.height + 1;
    let params = cs.params();
    let version = version_override.unwrap_or_else(|| {
        cs.versionbits()
            .compute_block_version(Some(&prev), cs.index(), params)
    });
    let time = minimum_time(&prev, params).max(common::time::now_secs()) as u32;
    let reward = fees + get_block_subsidy(height, params);
    let mut block = Block {
        header: bitcoin::block::Header {
            version: bitcoin::block::Version::from_consensus(version),
            prev_blockhash: tip.hash,
            merkle_root: bitcoin::hashes::Hash::all_zeros(),
            time,
            bits: get_next_work_required(&prev, time, cs.index(), params),
            nonce: 0,
        },
        txdata: std::iter::once(coinbase_tx(height, script, reward))
            .chain(txs)
            .collect(),
    };
    let segwit =
        consensus::flags::deployment_active_at(height, consensus::BuriedDeployment::Segwit, params);
    generate_coinbase_commitment(&mut block, segwit);
    block.header.merkle_root = merkle_root(&block);
    Ok(block)
}

/// The merkle root of `block`'s transactions.
pub fn merkle_root(block: &Block) -> TxMerkleNode {
    block_merkle_root(block).0
}

/// Searches nonces until the header meets its target; stops after `max_tries`
/// attempts (decremented in place) or when `stop()` says so. Returns whether
/// a solution was found.
pub fn solve(
    block: &mut Block,
    params: &consensus::Params,
    max_tries: &mut u64,
    stop: impl Fn() -> bool,
) -> bool {
    while *max_tries > 0 && block.header.nonce < u32::MAX {
        if check_proof_of_work(&block.header.block_hash(), block.header.bits, params) {
            return true;
        }
        block.header.nonce += 1;
        *max_tries -= 1;
        if block.header.nonce.is_multiple_of(4096) && stop() {
            return false;
        }
    }
    check_proof_of_work(&block.header.block_hash(), block.header.bits, params)
}
