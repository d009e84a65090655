//! Block and header checks: context-free (`CheckBlockHeader`,
//! `CheckBlock`) and against the previous block (`ContextualCheckBlockHeader`,
//! `ContextualCheckBlock`), with Core's reject reasons and debug messages.

use bitcoin::block::Header;
use bitcoin::blockdata::script::Builder;
use bitcoin::consensus::encode::VarInt;
use bitcoin::Block;

use crate::error::{BlockResult, ValidationError};
use crate::merkle::{
    block_merkle_root, block_witness_merkle_root, witness_commitment_hash, witness_commitment_index,
};
use crate::params::{BuriedDeployment, Params};
use crate::pow::{check_proof_of_work, get_next_work_required, HeaderChain, HeaderInfo};
use crate::tx_check::{
    check_transaction, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR,
};
use crate::tx_verify::{get_legacy_sigop_count, is_final_tx};
use crate::versionbits::deployment_active_after;

/// A block may be at most this many seconds ahead of the node's clock.
pub const MAX_FUTURE_BLOCK_TIME: i64 = 2 * 60 * 60;
/// BIP94: the first block of a period may be at most this much earlier than
/// its parent.
pub const MAX_TIMEWARP: i64 = 600;

/// Proof of work of a header (Core's `CheckBlockHeader`): "high-hash".
pub fn check_block_header(header: &Header, params: &Params) -> Result<(), ValidationError> {
    if !check_proof_of_work(&header.block_hash(), header.bits, params) {
        return Err(ValidationError::block(
            BlockResult::InvalidHeader,
            "high-hash",
            "proof of work failed",
        ));
    }
    Ok(())
}

/// The merkle root check (Core's `CheckMerkleRoot`): "bad-txnmrklroot" or
/// "bad-txns-duplicate".
pub fn check_merkle_root(block: &Block) -> Result<(), ValidationError> {
    let (root, mutated) = block_merkle_root(block);
    if root != block.header.merkle_root {
        return Err(ValidationError::block(
            BlockResult::Mutated,
            "bad-txnmrklroot",
            "hashMerkleRoot mismatch",
        ));
    }
    if mutated {
        return Err(ValidationError::block(
            BlockResult::Mutated,
            "bad-txns-duplicate",
            "duplicate transaction",
        ));
    }
    Ok(())
}

/// Serialized size of the block without witness data.
pub fn block_base_size(block: &Block) -> u64 {
    let txs: u64 = block.txdata.iter().map(|t| t.base_size() as u64).sum();
    80 + VarInt(block.txdata.len() as u64).size() as u64 + txs
}

/// Context-free block checks (Core's `CheckBlock`), in Core's order: proof of
/// work ("high-hash", when `check_pow`), merkle root ("bad-txnmrklroot",
/// "bad-txns-duplicate", when `check_merkle`), "bad-blk-length",
/// "bad-cb-missing", "bad-cb-multiple", each transaction's
/// `check_transaction` reason, "bad-blk-sigops".
///
/// On signet Core also checks the block solution here ("bad-signet-blksig",
/// when `check_pow`); that needs script execution and is
/// [`crate::signet::check_signet_block_solution`], which the caller runs
/// between the proof of work and the merkle checks.
pub fn check_block(
    block: &Block,
    params: &Params,
    check_pow: bool,
    check_merkle: bool,
) -> Result<(), ValidationError> {
    if check_pow {
        check_block_header(&block.header, params)?;
    }
    if check_merkle {
        check_merkle_root(block)?;
    }
    let n = block.txdata.len() as u64;
    if block.txdata.is_empty()
        || n.saturating_mul(WITNESS_SCALE_FACTOR) > MAX_BLOCK_WEIGHT
        || block_base_size(block).saturating_mul(WITNESS_SCALE_FACTOR) > MAX_BLOCK_WEIGHT
    {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-blk-length",
            "size limits failed",
        ));
    }
    if !block.txdata[0].is_coinbase() {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-cb-missing",
            "first tx is not coinbase",
        ));
    }
    if block.txdata[1..].iter().any(|t| t.is_coinbase()) {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-cb-multiple",
            "more than one coinbase",
        ));
    }
    for tx in &block.txdata {
        if let Err(e) = check_transaction(tx) {
            return Err(ValidationError::block(
                BlockResult::Consensus,
                e.reason,
                format!(
                    "Transaction check failed (tx hash {}) {}",
                    tx.compute_txid(),
                    e.debug
                ),
            ));
        }
    }
    let sigops: u64 = block
        .txdata
        .iter()
        .map(|t| get_legacy_sigop_count(t) as u64)
        .sum();
    if sigops * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-blk-sigops",
            "out-of-bounds SigOpCount",
        ));
    }
    Ok(())
}

/// Header checks against the previous block (Core's
/// `ContextualCheckBlockHeader`): "bad-diffbits", "time-too-old",
/// "time-timewarp-attack" (BIP94), "time-too-new" (more than two hours after
/// `now`, the node's clock in UNIX seconds) and "bad-version(0x%08x)" for
/// versions made obsolete by BIP34, BIP66 and BIP65.
pub fn contextual_check_block_header(
    header: &Header,
    prev: &HeaderInfo,
    chain: &dyn HeaderChain,
    params: &Params,
    now: i64,
) -> Result<(), ValidationError> {
    let height = prev.height as u64 + 1;
    if header.bits != get_next_work_required(prev, header.time, chain, params) {
        return Err(ValidationError::block(
            BlockResult::InvalidHeader,
            "bad-diffbits",
            "incorrect proof of work",
        ));
    }
    let time = header.time as i64;
    if time <= prev.median_time_past as i64 {
        return Err(ValidationError::block(
            BlockResult::InvalidHeader,
            "time-too-old",
            "block's timestamp is too early",
        ));
    }
    if params.enforce_bip94
        && height.is_multiple_of(params.difficulty_adjustment_interval() as u64)
        && time < prev.time as i64 - MAX_TIMEWARP
    {
        return Err(ValidationError::block(
            BlockResult::InvalidHeader,
            "time-timewarp-attack",
            "block's timestamp is too early on diff adjustment block",
        ));
    }
    if time > now.saturating_add(MAX_FUTURE_BLOCK_TIME) {
        return Err(ValidationError::block(
            BlockResult::TimeFuture,
            "time-too-new",
            "block timestamp too far in the future",
        ));
    }
    let version = header.version.to_consensus();
    let p = Some(prev);
    if (version < 2 && deployment_active_after(p, BuriedDeployment::HeightInCb, params))
        || (version < 3 && deployment_active_after(p, BuriedDeployment::DerSig, params))
        || (version < 4 && deployment_active_after(p, BuriedDeployment::Cltv, params))
    {
        return Err(ValidationError::block(
            BlockResult::InvalidHeader,
            format!("bad-version(0x{:08x})", version),
            format!("rejected nVersion=0x{:08x} block", version),
        ));
    }
    Ok(())
}

/// Witness malleation checks (Core's `CheckWitnessMalleation`): with a
/// commitment expected and present, "bad-witness-nonce-size" and
/// "bad-witness-merkle-match"; otherwise no transaction may carry a witness
/// ("unexpected-witness").
pub fn check_witness_malleation(
    block: &Block,
    expect_witness_commitment: bool,
) -> Result<(), ValidationError> {
    if expect_witness_commitment {
        if let Some(idx) = witness_commitment_index(block) {
            let witness = &block.txdata[0]
                .input
                .first()
                .map(|i| i.witness.clone())
                .unwrap_or_default();
            let reserved = match witness.nth(0) {
                Some(r) if witness.len() == 1 && r.len() == 32 => r,
                _ => {
                    return Err(ValidationError::block(
                        BlockResult::Mutated,
                        "bad-witness-nonce-size",
                        "CheckWitnessMalleation : invalid witness reserved value size",
                    ))
                }
            };
            let root = block_witness_merkle_root(block);
            let commitment = witness_commitment_hash(&root, reserved);
            let script = block.txdata[0].output[idx].script_pubkey.as_bytes();
            if script.get(6..38) != Some(&commitment[..]) {
                return Err(ValidationError::block(
                    BlockResult::Mutated,
                    "bad-witness-merkle-match",
                    "CheckWitnessMalleation : witness merkle commitment mismatch",
                ));
            }
            return Ok(());
        }
    }
    if block
        .txdata
        .iter()
        .any(|t| t.input.iter().any(|i| !i.witness.is_empty()))
    {
        return Err(ValidationError::block(
            BlockResult::Mutated,
            "unexpected-witness",
            "CheckWitnessMalleation : unexpected witness data found",
        ));
    }
    Ok(())
}

/// Block checks against the previous block (Core's `ContextualCheckBlock`):
/// "bad-txns-nonfinal" (with BIP113 median-time-past cutoff once CSV is
/// active), "bad-cb-height" (BIP34), the witness checks of
/// [`check_witness_malleation`] (commitment expected once segwit is
/// active), and "bad-blk-weight". Expects [`check_block`] to have passed.
pub fn contextual_check_block(
    block: &Block,
    prev: &HeaderInfo,
    params: &Params,
) -> Result<(), ValidationError> {
    let height = prev.height + 1;
    let p = Some(prev);
    let cutoff = if deployment_active_after(p, BuriedDeployment::Csv, params) {
        prev.median_time_past as i64
    } else {
        block.header.time as i64
    };
    if block.txdata.iter().any(|t| !is_final_tx(t, height, cutoff)) {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-txns-nonfinal",
            "non-final transaction",
        ));
    }
    if deployment_active_after(p, BuriedDeployment::HeightInCb, params) {
        let expect = Builder::new().push_int(height as i64).into_script();
        let ok = block
            .txdata
            .first()
            .and_then(|t| t.input.first())
            .is_some_and(|i| i.script_sig.as_bytes().starts_with(expect.as_bytes()));
        if !ok {
            return Err(ValidationError::block(
                BlockResult::Consensus,
                "bad-cb-height",
                "block height mismatch in coinbase",
            ));
        }
    }
    check_witness_malleation(
        block,
        deployment_active_after(p, BuriedDeployment::Segwit, params),
    )?;
    if block.weight().to_wu() > MAX_BLOCK_WEIGHT {
        return Err(ValidationError::block(
            BlockResult::Consensus,
            "bad-blk-weight",
            "ContextualCheckBlock : weight limit failed",
        ));
    }
    Ok(())
}

/// Whether a block's transactions do not match its header (Core's
/// `IsBlockMutated`): bad merkle root, duplicated transactions, a 64-byte
/// transaction in a block without a coinbase, or witness malleation.
pub fn is_block_mutated(block: &Block, check_witness_root: bool) -> bool {
    if check_merkle_root(block).is_err() {
        return true;
    }
    if block.txdata.first().is_none_or(|t| !t.is_coinbase()) {
        return block.txdata.iter().any(|t| t.base_size() == 64);
    }
    check_witness_malleation(block, check_witness_root).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::generate_coinbase_commitment;
    use crate::pow::tests::{header as hinfo, VecChain};
    use crate::tx_check::tests::{input, output, tx};
    use bitcoin::hashes::Hash;
    use bitcoin::{
        absolute, block, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, Witness,
    };

    fn coinbase(height: i64) -> Transaction {
        let mut script = Builder::new().push_int(height).into_script().into_bytes();
        script.extend([0u8; 2]);
        tx(
            vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(script),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            vec![output(50)],
        )
    }

    /// A regtest block on `prev` with the given transactions, merkle root
    /// set and proof of work solved.
    fn make_block(prev: &HeaderInfo, txs: Vec<Transaction>, params: &Params) -> Block {
        let mut b = Block {
            header: Header {
                version: block::Version::from_consensus(4),
                prev_blockhash: prev.hash,
                merkle_root: bitcoin::TxMerkleNode::all_zeros(),
                time: prev.time + 1,
                bits: CompactTarget::from_consensus(0x207fffff),
                nonce: 0,
            },
            txdata: txs,
        };
        b.header.merkle_root = block_merkle_root(&b).0;
        solve(&mut b, params);
        b
    }

    fn solve(b: &mut Block, params: &Params) {
        while !check_proof_of_work(&b.block_hash(), b.header.bits, params) {
            b.header.nonce += 1;
        }
    }

    fn regtest_chain() -> (VecChain, HeaderInfo) {
        let chain: Vec<_> = (0..10u32)
            .map(|h| hinfo(h, 1_600_000_000 + h * 600, 0x207fffff))
            .collect();
        let prev = chain[9];
        (VecChain(chain), prev)
    }

    fn reason(r: Result<(), ValidationError>) -> String {
        r.unwrap_err().reason
    }

    #[test]
    fn real_blocks_pass() {
        let p = Params::testnet();
        for h in [2, 49291, 180480, 1263442] {
            let b = crate::testdata::block(h);
            check_block(&b, &p, true, true).unwrap();
            assert!(!is_block_mutated(&b, h >= 834_624));
        }
        let g = Params::main().genesis;
        check_block(&g, &Params::main(), true, true).unwrap();
    }

    #[test]
    fn check_block_reasons() {
        let p = Params::regtest();
        let (_, prev) = regtest_chain();
        let good = make_block(&prev, vec![coinbase(10)], &p);
        check_block(&good, &p, true, true).unwrap();

        let mut b = good.clone();
        b.header.bits = CompactTarget::from_consensus(0x1d00ffff);
        let e = check_block(&b, &Params::main(), true, true).unwrap_err();
        assert_eq!(e.to_string(), "high-hash, proof of work failed");
        assert_eq!(e.block_result(), Some(BlockResult::InvalidHeader));

        let mut b = good.clone();
        b.txdata.push(tx(vec![input(0)], vec![output(1)]));
        solve(&mut b, &p);
        assert_eq!(reason(check_block(&b, &p, true, true)), "bad-txnmrklroot");

        let t = tx(vec![input(0)], vec![output(1)]);
        let t1 = tx(vec![input(5)], vec![output(1)]);
        let b = make_block(&prev, vec![coinbase(10), t1, t.clone(), t.clone()], &p);
        let e = check_block(&b, &p, true, true).unwrap_err();
        assert_eq!(e.reason, "bad-txns-duplicate");
        assert_eq!(e.block_result(), Some(BlockResult::Mutated));

        let b = make_block(&prev, vec![], &p);
        assert_eq!(reason(check_block(&b, &p, true, true)), "bad-blk-length");
        let b = make_block(&prev, vec![t.clone()], &p);
        assert_eq!(reason(check_block(&b, &p, true, true)), "bad-cb-missing");
        let b = make_block(&prev, vec![coinbase(10), coinbase(11)], &p);
        assert_eq!(reason(check_block(&b, &p, true, true)), "bad-cb-multiple");
        let b = make_block(
            &prev,
            vec![coinbase(10), tx(vec![input(0), input(0)], vec![output(1)])],
            &p,
        );
        let e = check_block(&b, &p, true, true).unwrap_err();
        assert_eq!(e.reason, "bad-txns-inputs-duplicate");
        assert!(e.debug.starts_with("Transaction check failed (tx hash "));
        let mut many = tx(vec![input(0)], vec![]);
        many.output.push(bitcoin::TxOut {
            value: bitcoin::Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0xac; 20_001]),
        });
        let b = make_block(&prev, vec![coinbase(10), many], &p);
        assert_eq!(reason(check_block(&b, &p, true, true)), "bad-blk-sigops");
        // Checks can be skipped.
        let mut b = good.clone();
        b.header.merkle_root = bitcoin::TxMerkleNode::all_zeros();
        check_block(&b, &p, false, false).unwrap();
    }

    #[test]
    fn contextual_header_reasons() {
        let p = Params::regtest();
        let (c, prev) = regtest_chain();
        let good = make_block(&prev, vec![coinbase(10)], &p).header;
        let now = prev.time as i64;
        contextual_check_block_header(&good, &prev, &c, &p, now).unwrap();

        let mut h = good;
        h.bits = CompactTarget::from_consensus(0x1d00ffff);
        assert_eq!(
            reason(contextual_check_block_header(&h, &prev, &c, &p, now)),
            "bad-diffbits"
        );
        let mut h = good;
        h.time = prev.median_time_past;
        let e = contextual_check_block_header(&h, &prev, &c, &p, now).unwrap_err();
        assert_eq!(
            e.to_string(),
            "time-too-old, block's timestamp is too early"
        );
        let mut h = good;
        h.time = (now + MAX_FUTURE_BLOCK_TIME + 1) as u32;
        let e = contextual_check_block_header(&h, &prev, &c, &p, now).unwrap_err();
        assert_eq!(e.reason, "time-too-new");
        assert_eq!(e.block_result(), Some(BlockResult::TimeFuture));
        let mut h = good;
        h.version = block::Version::from_consensus(3);
        let e = contextual_check_block_header(&h, &prev, &c, &p, now).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-version(0x00000003), rejected nVersion=0x00000003 block"
        );
        h.version = block::Version::from_consensus(1);
        assert_eq!(
            reason(contextual_check_block_header(&h, &prev, &c, &p, now)),
            "bad-version(0x00000001)"
        );

        // BIP94 timewarp on the first block of a period (regtest -test=bip94).
        let mut p94 = Params::regtest();
        p94.enforce_bip94 = true;
        let chain: Vec<_> = (0..144u32)
            .map(|h| hinfo(h, 1_600_000_000 + h * 600, 0x207fffff))
            .collect();
        let c = VecChain(chain);
        let mut prev = c.0[143];
        prev.median_time_past = prev.time - 3000;
        let mut h = good;
        h.time = prev.time - 601;
        let e = contextual_check_block_header(&h, &prev, &c, &p94, now).unwrap_err();
        assert_eq!(
            e.to_string(),
            "time-timewarp-attack, block's timestamp is too early on diff adjustment block"
        );
        h.time = prev.time - 600;
        contextual_check_block_header(&h, &prev, &c, &p94, prev.time as i64).unwrap();
        contextual_check_block_header(
            &{
                let mut x = h;
                x.time = prev.time - 601;
                x
            },
            &prev,
            &c,
            &p,
            prev.time as i64,
        )
        .unwrap();
    }

    #[test]
    fn contextual_block_reasons() {
        let p = Params::regtest();
        let (_, prev) = regtest_chain();
        let mut b = make_block(&prev, vec![coinbase(10)], &p);
        contextual_check_block(&b, &prev, &p).unwrap();

        // Wrong height in the coinbase.
        let bad = make_block(&prev, vec![coinbase(11)], &p);
        let e = contextual_check_block(&bad, &prev, &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-cb-height, block height mismatch in coinbase"
        );

        // Non-final transaction (locktime at the block height).
        let mut t = tx(vec![input(0)], vec![output(1)]);
        t.lock_time = absolute::LockTime::from_consensus(10);
        t.input[0].sequence = Sequence(0);
        let nf = make_block(&prev, vec![coinbase(10), t], &p);
        assert_eq!(
            reason(contextual_check_block(&nf, &prev, &p)),
            "bad-txns-nonfinal"
        );

        // Witness without commitment before segwit.
        let mut p_nosegwit = Params::regtest();
        p_nosegwit.segwit_height = 100;
        let mut wt = tx(vec![input(0)], vec![output(1)]);
        wt.input[0].witness = Witness::from_slice(&[vec![1u8]]);
        let wb = make_block(&prev, vec![coinbase(10), wt.clone()], &p);
        let e = contextual_check_block(&wb, &prev, &p_nosegwit).unwrap_err();
        assert_eq!(e.reason, "unexpected-witness");
        // With segwit active but no commitment: also unexpected.
        assert_eq!(
            reason(contextual_check_block(&wb, &prev, &p)),
            "unexpected-witness"
        );

        // With a proper commitment: fine; wrong nonce size or root: rejected.
        let mut cb = make_block(&prev, vec![coinbase(10), wt], &p);
        generate_coinbase_commitment(&mut cb, true);
        cb.header.merkle_root = block_merkle_root(&cb).0;
        contextual_check_block(&cb, &prev, &p).unwrap();
        let mut bad = cb.clone();
        bad.txdata[0].input[0].witness = Witness::from_slice(&[vec![0u8; 31]]);
        assert_eq!(
            reason(contextual_check_block(&bad, &prev, &p)),
            "bad-witness-nonce-size"
        );
        let mut bad = cb.clone();
        bad.txdata[1].input[0].witness = Witness::from_slice(&[vec![2u8]]);
        let e = contextual_check_block(&bad, &prev, &p).unwrap_err();
        assert_eq!(e.reason, "bad-witness-merkle-match");
        assert!(is_block_mutated(&bad, true));
        assert!(!is_block_mutated(&cb, true));

        // Overweight block (witness bytes count once), properly committed.
        let mut heavy = tx(vec![input(0)], vec![output(1)]);
        heavy.input[0].witness = Witness::from_slice(&[vec![0u8; 4_000_000]]);
        b.txdata.push(heavy);
        generate_coinbase_commitment(&mut b, true);
        b.header.merkle_root = block_merkle_root(&b).0;
        let e = contextual_check_block(&b, &prev, &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-blk-weight, ContextualCheckBlock : weight limit failed"
        );
    }
}
