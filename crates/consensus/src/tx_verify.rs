//! Transaction checks that need context: finality, BIP68 sequence locks,
//! signature-operation counting and the input/fee checks against the UTXO
//! set (Core's `consensus/tx_verify.cpp`).

use bitcoin::script::Instruction;
use bitcoin::{Amount, Script, Transaction, Witness};

use crate::coin::{Coin, CoinsView};
use crate::error::{TxResult, ValidationError};
use crate::flags::{LOCKTIME_VERIFY_SEQUENCE, SCRIPT_VERIFY_P2SH, SCRIPT_VERIFY_WITNESS};
use crate::pow::{HeaderChain, HeaderInfo};
use crate::tx_check::{money_range, COIN, COINBASE_MATURITY, WITNESS_SCALE_FACTOR};

/// nLockTime values below this are heights, the rest are UNIX times.
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;
/// nSequence value that disables nLockTime and relative lock times.
pub const SEQUENCE_FINAL: u32 = 0xffff_ffff;
/// nSequence bit disabling the relative lock time.
pub const SEQUENCE_LOCKTIME_DISABLE_FLAG: u32 = 1 << 31;
/// nSequence bit selecting a time-based relative lock.
pub const SEQUENCE_LOCKTIME_TYPE_FLAG: u32 = 1 << 22;
/// nSequence bits holding the relative lock value.
pub const SEQUENCE_LOCKTIME_MASK: u32 = 0x0000_ffff;
/// Time-based relative locks count units of 2^9 = 512 seconds.
pub const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;
/// Maximum public keys counted for a CHECKMULTISIG without a known count.
pub const MAX_PUBKEYS_PER_MULTISIG: u32 = 20;

const OP_1: u8 = 0x51;
const OP_16: u8 = 0x60;
const OP_CHECKSIG: u8 = 0xac;
const OP_CHECKSIGVERIFY: u8 = 0xad;
const OP_CHECKMULTISIG: u8 = 0xae;
const OP_CHECKMULTISIGVERIFY: u8 = 0xaf;

/// Whether `tx` is final in a block at `block_height` with lock-time cutoff
/// `block_time` (Core's `IsFinalTx`).
pub fn is_final_tx(tx: &Transaction, block_height: u32, block_time: i64) -> bool {
    let lock_time = tx.lock_time.to_consensus_u32();
    if lock_time == 0 {
        return true;
    }
    let cutoff = if lock_time < LOCKTIME_THRESHOLD {
        block_height as i64
    } else {
        block_time
    };
    if (lock_time as i64) < cutoff {
        return true;
    }
    tx.input.iter().all(|i| i.sequence.0 == SEQUENCE_FINAL)
}

/// The relative lock of a transaction in nLockTime semantics: the last
/// invalid height and time; -1 when there is no constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequenceLock {
    /// Last height at which the transaction is still locked.
    pub min_height: i64,
    /// Last median-time-past at which the transaction is still locked.
    pub min_time: i64,
}

/// Core's `CalculateSequenceLocks` for a transaction to be included in the
/// block after `prev`. `prev_heights[i]` is the height of the coin spent by
/// input `i` (a coin not yet in a block counts at `prev.height + 1`).
/// `None` if `prev_heights` has the wrong length or an ancestor is missing.
pub fn calculate_sequence_locks(
    tx: &Transaction,
    flags: u32,
    prev_heights: &[u32],
    prev: &HeaderInfo,
    chain: &dyn HeaderChain,
) -> Option<SequenceLock> {
    if prev_heights.len() != tx.input.len() {
        return None;
    }
    let mut lock = SequenceLock {
        min_height: -1,
        min_time: -1,
    };
    let enforce = tx.version.0 >= 2 && flags & LOCKTIME_VERIFY_SEQUENCE != 0;
    if !enforce {
        return Some(lock);
    }
    for (input, &coin_height) in tx.input.iter().zip(prev_heights) {
        let seq = input.sequence.0;
        if seq & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
            continue;
        }
        let value = (seq & SEQUENCE_LOCKTIME_MASK) as i64;
        if seq & SEQUENCE_LOCKTIME_TYPE_FLAG != 0 {
            // Measured from the median time past of the block before the
            // one containing the coin.
            let h = coin_height.saturating_sub(1).min(prev.height);
            let coin_time = chain.ancestor(prev, h)?.median_time_past as i64;
            lock.min_time = lock
                .min_time
                .max(coin_time + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1);
        } else {
            lock.min_height = lock.min_height.max(coin_height as i64 + value - 1);
        }
    }
    Some(lock)
}

/// Whether a lock is satisfied in a block at `block_height` whose parent has
/// median time past `prev_median_time_past` (Core's `EvaluateSequenceLocks`).
pub fn evaluate_sequence_locks(
    block_height: u32,
    prev_median_time_past: i64,
    lock: SequenceLock,
) -> bool {
    !(lock.min_height >= block_height as i64 || lock.min_time >= prev_median_time_past)
}

/// Core's `SequenceLocks`: calculate and evaluate for the block after
/// `prev`. False also when the inputs are inconsistent.
pub fn sequence_locks(
    tx: &Transaction,
    flags: u32,
    prev_heights: &[u32],
    prev: &HeaderInfo,
    chain: &dyn HeaderChain,
) -> bool {
    match calculate_sequence_locks(tx, flags, prev_heights, prev, chain) {
        Some(lock) => evaluate_sequence_locks(prev.height + 1, prev.median_time_past as i64, lock),
        None => false,
    }
}

/// Core's `CScript::GetSigOpCount(fAccurate)`: CHECKSIG counts one,
/// CHECKMULTISIG counts the preceding OP_1..OP_16 when accurate, else 20.
/// Counting stops at the first unparsable opcode.
pub fn script_sigop_count(script: &Script, accurate: bool) -> u32 {
    let mut n = 0u32;
    let mut last: Option<u8> = None;
    for ins in script.instructions() {
        let op = match ins {
            Ok(Instruction::Op(op)) => op.to_u8(),
            Ok(Instruction::PushBytes(_)) => {
                last = None;
                continue;
            }
            Err(_) => break,
        };
        match op {
            OP_CHECKSIG | OP_CHECKSIGVERIFY => n += 1,
            OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => match last {
                Some(l) if accurate && (OP_1..=OP_16).contains(&l) => n += (l - OP_1 + 1) as u32,
                _ => n += MAX_PUBKEYS_PER_MULTISIG,
            },
            _ => {}
        }
        last = Some(op);
    }
    n
}

/// Core's `CScript::GetSigOpCount(scriptSig)`: the accurate count of the
/// redeem script for a P2SH `spk`, else of `spk` itself.
pub fn spent_script_sigop_count(spk: &Script, script_sig: &Script) -> u32 {
    if spk.is_p2sh() {
        p2sh_sigops(script_sig)
    } else {
        script_sigop_count(spk, true)
    }
}

/// The data of the last push if `script` is push-only (opcodes up to
/// OP_16; OP_1..OP_16 push empty data here, as in Core's `GetOp`), else `None`.
fn last_push_data(script: &Script) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    for ins in script.instructions() {
        match ins {
            Ok(Instruction::PushBytes(b)) => data = b.as_bytes().to_vec(),
            Ok(Instruction::Op(op)) if op.to_u8() <= OP_16 => data.clear(),
            _ => return None,
        }
    }
    Some(data)
}

/// The version and program of a witness program script (BIP141).
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    if script.len() < 4 || script.len() > 42 {
        return None;
    }
    let version = match script[0] {
        0 => 0,
        b @ OP_1..=OP_16 => b - OP_1 + 1,
        _ => return None,
    };
    if script[1] as usize + 2 != script.len() {
        return None;
    }
    Some((version, &script[2..]))
}

/// Sigops of a P2SH input's redeem script, counted accurately.
fn p2sh_sigops(script_sig: &Script) -> u32 {
    match last_push_data(script_sig) {
        Some(data) => script_sigop_count(Script::from_bytes(&data), true),
        None => 0,
    }
}

/// Legacy sigops of a transaction: every scriptSig and scriptPubKey,
/// inaccurately (Core's `GetLegacySigOpCount`).
pub fn get_legacy_sigop_count(tx: &Transaction) -> u32 {
    let ins: u32 = tx
        .input
        .iter()
        .map(|i| script_sigop_count(&i.script_sig, false))
        .sum();
    let outs: u32 = tx
        .output
        .iter()
        .map(|o| script_sigop_count(&o.script_pubkey, false))
        .sum();
    ins + outs
}

/// Sigops in the redeem scripts of P2SH inputs (Core's
/// `GetP2SHSigOpCount`). Missing coins count zero.
pub fn get_p2sh_sigop_count(tx: &Transaction, coins: &dyn CoinsView) -> u32 {
    if tx.is_coinbase() {
        return 0;
    }
    tx.input
        .iter()
        .filter_map(|i| {
            let coin = coins.coin(&i.previous_output)?;
            coin.output
                .script_pubkey
                .is_p2sh()
                .then(|| p2sh_sigops(&i.script_sig))
        })
        .sum()
}

fn witness_sigops(version: u8, program: &[u8], witness: &Witness) -> u32 {
    if version == 0 {
        if program.len() == 20 {
            return 1;
        }
        if program.len() == 32 {
            if let Some(script) = witness.last() {
                return script_sigop_count(Script::from_bytes(script), true);
            }
        }
    }
    0
}

/// Witness sigops of one input (Core's `CountWitnessSigOps`): native
/// witness programs and P2SH-wrapped ones; zero without the WITNESS flag.
pub fn count_witness_sigops(
    script_sig: &Script,
    script_pubkey: &Script,
    witness: &Witness,
    flags: u32,
) -> u32 {
    if flags & SCRIPT_VERIFY_WITNESS == 0 {
        return 0;
    }
    if let Some((v, p)) = witness_program(script_pubkey.as_bytes()) {
        return witness_sigops(v, p, witness);
    }
    if script_pubkey.is_p2sh() {
        if let Some(data) = last_push_data(script_sig) {
            if let Some((v, p)) = witness_program(&data) {
                return witness_sigops(v, p, witness);
            }
        }
    }
    0
}

/// Total sigop cost of a transaction: legacy ×4, P2SH ×4 (with the P2SH
/// flag) and witness sigops ×1 (Core's `GetTransactionSigOpCost`). Inputs
/// whose coin is missing contribute no P2SH or witness sigops.
pub fn get_transaction_sigop_cost(tx: &Transaction, coins: &dyn CoinsView, flags: u32) -> u64 {
    let mut cost = get_legacy_sigop_count(tx) as u64 * WITNESS_SCALE_FACTOR;
    if tx.is_coinbase() {
        return cost;
    }
    if flags & SCRIPT_VERIFY_P2SH != 0 {
        cost += get_p2sh_sigop_count(tx, coins) as u64 * WITNESS_SCALE_FACTOR;
    }
    for input in &tx.input {
        if let Some(coin) = coins.coin(&input.previous_output) {
            cost += count_witness_sigops(
                &input.script_sig,
                &coin.output.script_pubkey,
                &input.witness,
                flags,
            ) as u64;
        }
    }
    cost
}

/// Core's `FormatMoney`: at least two decimals, trailing zeros trimmed.
pub fn format_money(n: i64) -> String {
    let abs = n.unsigned_abs();
    let q = abs / COIN as u64;
    let r = abs % COIN as u64;
    let mut s = format!("{q}.{r:08}");
    while s.ends_with('0') && s.len() >= 3 && s.as_bytes()[s.len() - 3] != b'.' {
        s.pop();
    }
    if n < 0 {
        s.insert(0, '-');
    }
    s
}

/// Checks the inputs against the UTXO set and returns the fee (Core's
/// `Consensus::CheckTxInputs`): inputs exist, coinbases are mature at
/// `spend_height`, amounts are in range and cover the outputs.
pub fn check_tx_inputs(
    tx: &Transaction,
    coins: &dyn CoinsView,
    spend_height: u32,
) -> Result<Amount, ValidationError> {
    let mut spent = Vec::with_capacity(tx.input.len());
    for input in &tx.input {
        match coins.coin(&input.previous_output) {
            Some(c) => spent.push(c),
            None => {
                return Err(ValidationError::tx(
                    TxResult::MissingInputs,
                    "bad-txns-inputs-missingorspent",
                    "CheckTxInputs: inputs missing/spent",
                ))
            }
        }
    }
    check_spent_coins(tx, &spent, spend_height)
}

/// [`check_tx_inputs`] with the spent coins already read (`spent[i]` is
/// what input `i` spends).
pub fn check_spent_coins(
    tx: &Transaction,
    spent: &[Coin],
    spend_height: u32,
) -> Result<Amount, ValidationError> {
    let mut value_in: i64 = 0;
    for coin in spent {
        if coin.is_coinbase {
            let depth = spend_height as i64 - coin.height as i64;
            if depth < COINBASE_MATURITY as i64 {
                return Err(ValidationError::tx(
                    TxResult::PrematureSpend,
                    "bad-txns-premature-spend-of-coinbase",
                    format!("tried to spend coinbase at depth {depth}"),
                ));
            }
        }
        let v = coin.output.value.to_sat() as i64;
        value_in = value_in.wrapping_add(v);
        if !money_range(v) || !money_range(value_in) {
            return Err(ValidationError::tx(
                TxResult::Consensus,
                "bad-txns-inputvalues-outofrange",
                "",
            ));
        }
    }
    // Output ranges were checked by check_transaction; sum defensively.
    let mut value_out: i64 = 0;
    for o in &tx.output {
        value_out = value_out.saturating_add(o.value.to_sat() as i64);
    }
    if value_in < value_out {
        return Err(ValidationError::tx(
            TxResult::Consensus,
            "bad-txns-in-belowout",
            format!(
                "value in ({}) < value out ({})",
                format_money(value_in),
                format_money(value_out)
            ),
        ));
    }
    let fee = value_in - value_out;
    if !money_range(fee) {
        return Err(ValidationError::tx(
            TxResult::Consensus,
            "bad-txns-fee-outofrange",
            "",
        ));
    }
    Ok(Amount::from_sat(fee as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pow::tests::{header, VecChain};
    use crate::tx_check::tests::{input, output, tx};
    use bitcoin::{absolute, OutPoint, ScriptBuf, Sequence, TxOut};
    use std::collections::HashMap;

    struct Coins(HashMap<OutPoint, Coin>);
    impl CoinsView for Coins {
        fn coin(&self, o: &OutPoint) -> Option<Coin> {
            self.0.get(o).cloned()
        }
    }

    fn coins(list: &[(u32, u64, u32, bool, Vec<u8>)]) -> Coins {
        Coins(
            list.iter()
                .map(|(n, v, h, cb, spk)| {
                    (
                        input(*n).previous_output,
                        Coin {
                            output: TxOut {
                                value: Amount::from_sat(*v),
                                script_pubkey: ScriptBuf::from_bytes(spk.clone()),
                            },
                            height: *h,
                            is_coinbase: *cb,
                        },
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn finality() {
        let mut t = tx(vec![input(0)], vec![output(1)]);
        assert!(is_final_tx(&t, 100, 0));
        t.lock_time = absolute::LockTime::from_consensus(100);
        assert!(is_final_tx(&t, 101, 0)); // sequence final anyway
        t.input[0].sequence = Sequence(0xfffffffe);
        assert!(!is_final_tx(&t, 100, 0));
        assert!(is_final_tx(&t, 101, 0));
        t.lock_time = absolute::LockTime::from_consensus(LOCKTIME_THRESHOLD + 10);
        assert!(!is_final_tx(
            &t,
            1_000_000,
            (LOCKTIME_THRESHOLD + 10) as i64
        ));
        assert!(is_final_tx(&t, 0, (LOCKTIME_THRESHOLD + 11) as i64));
    }

    #[test]
    fn relative_locks() {
        let chain: Vec<_> = (0..20u32)
            .map(|h| header(h, 10_000 + h * 600, 0x207fffff))
            .collect();
        let c = VecChain(chain);
        let prev = c.0[19];
        // Height lock of 5 blocks on a coin at height 15: valid from height 20.
        let mut t = tx(vec![input(0)], vec![output(1)]);
        t.input[0].sequence = Sequence(5);
        let lock =
            calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &[15], &prev, &c).unwrap();
        assert_eq!(
            lock,
            SequenceLock {
                min_height: 19,
                min_time: -1
            }
        );
        assert!(sequence_locks(
            &t,
            LOCKTIME_VERIFY_SEQUENCE,
            &[15],
            &prev,
            &c
        ));
        assert!(!sequence_locks(
            &t,
            LOCKTIME_VERIFY_SEQUENCE,
            &[16],
            &prev,
            &c
        ));
        // Not enforced without the flag or for version 1.
        assert!(sequence_locks(&t, 0, &[16], &prev, &c));
        t.version = bitcoin::transaction::Version::ONE;
        assert!(sequence_locks(
            &t,
            LOCKTIME_VERIFY_SEQUENCE,
            &[16],
            &prev,
            &c
        ));
        t.version = bitcoin::transaction::Version::TWO;
        // Disabled bit.
        t.input[0].sequence = Sequence(SEQUENCE_LOCKTIME_DISABLE_FLAG | 5);
        assert!(sequence_locks(
            &t,
            LOCKTIME_VERIFY_SEQUENCE,
            &[19],
            &prev,
            &c
        ));
        // Time lock: 2 units (1024 s) from the MTP of the block before the coin's.
        t.input[0].sequence = Sequence(SEQUENCE_LOCKTIME_TYPE_FLAG | 2);
        let lock =
            calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &[10], &prev, &c).unwrap();
        assert_eq!(lock.min_time, (10_000 + 9 * 600) + 1024 - 1);
        assert!(evaluate_sequence_locks(20, lock.min_time + 1, lock));
        assert!(!evaluate_sequence_locks(20, lock.min_time, lock));
        // Wrong length.
        assert!(calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &[], &prev, &c).is_none());
    }

    #[test]
    fn sigops() {
        // 2-of-3 multisig: legacy 20, accurate 3.
        let mut ms = vec![0x52];
        for _ in 0..3 {
            ms.push(33);
            ms.extend([2u8; 33]);
        }
        ms.extend([0x53, OP_CHECKMULTISIG]);
        let s = ScriptBuf::from_bytes(ms.clone());
        assert_eq!(script_sigop_count(&s, false), 20);
        assert_eq!(script_sigop_count(&s, true), 3);
        // CHECKSIG between the number and CHECKMULTISIG: 1 + 20.
        let s = ScriptBuf::from_bytes(vec![0x52, OP_CHECKSIG, OP_CHECKMULTISIG]);
        assert_eq!(script_sigop_count(&s, true), 21);
        // Truncated push stops counting.
        let s = ScriptBuf::from_bytes(vec![OP_CHECKSIG, 0x4c]);
        assert_eq!(script_sigop_count(&s, false), 1);

        // P2SH spend of the multisig redeem script.
        let redeem = ScriptBuf::from_bytes(ms);
        let p2sh = ScriptBuf::new_p2sh(&redeem.script_hash());
        let mut t = tx(vec![input(0), input(1), input(2)], vec![output(1)]);
        let mut sig = vec![0x00, 0x01, 0x01, 0x4c, redeem.len() as u8];
        sig.extend(redeem.as_bytes());
        t.input[0].script_sig = ScriptBuf::from_bytes(sig);
        // P2WPKH and P2WSH(CHECKSIG CHECKSIG).
        let p2wpkh = {
            let mut v = vec![0x00, 20];
            v.extend([7u8; 20]);
            v
        };
        let p2wsh = {
            let mut v = vec![0x00, 32];
            v.extend([7u8; 32]);
            v
        };
        t.input[2].witness = Witness::from_slice(&[vec![1u8], vec![OP_CHECKSIG, OP_CHECKSIG]]);
        let view = coins(&[
            (0, 1000, 1, false, p2sh.to_bytes()),
            (1, 1000, 1, false, p2wpkh),
            (2, 1000, 1, false, p2wsh),
        ]);
        assert_eq!(get_p2sh_sigop_count(&t, &view), 3);
        let flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS;
        assert_eq!(get_transaction_sigop_cost(&t, &view, flags), 3 * 4 + 1 + 2);
        assert_eq!(get_transaction_sigop_cost(&t, &view, 0), 0);
    }

    #[test]
    fn tx_inputs() {
        let t = tx(vec![input(0), input(1)], vec![output(1500)]);
        let view = coins(&[
            (0, 1000, 1, true, vec![0x51]),
            (1, 1000, 5, false, vec![0x51]),
        ]);
        assert_eq!(
            check_tx_inputs(&t, &view, 101).unwrap(),
            Amount::from_sat(500)
        );
        let e = check_tx_inputs(&t, &view, 100).unwrap_err();
        assert_eq!(e.reason, "bad-txns-premature-spend-of-coinbase");
        assert_eq!(e.debug, "tried to spend coinbase at depth 99");
        assert_eq!(e.tx_result(), Some(TxResult::PrematureSpend));
        let e = check_tx_inputs(&tx(vec![input(3)], vec![output(1)]), &view, 200).unwrap_err();
        assert_eq!(e.reason, "bad-txns-inputs-missingorspent");
        assert_eq!(e.tx_result(), Some(TxResult::MissingInputs));
        let e = check_tx_inputs(&tx(vec![input(1)], vec![output(1001)]), &view, 200).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-txns-in-belowout, value in (0.00001) < value out (0.00001001)"
        );
        let bad = coins(&[(0, u64::MAX, 1, false, vec![0x51])]);
        let e = check_tx_inputs(&tx(vec![input(0)], vec![output(1)]), &bad, 200).unwrap_err();
        assert_eq!(e.reason, "bad-txns-inputvalues-outofrange");
        let big = coins(&[
            (0, 21_000_000 * 100_000_000, 1, false, vec![0x51]),
            (1, 1, 1, false, vec![0x51]),
        ]);
        let e =
            check_tx_inputs(&tx(vec![input(0), input(1)], vec![output(1)]), &big, 200).unwrap_err();
        assert_eq!(e.reason, "bad-txns-inputvalues-outofrange");
    }

    #[test]
    fn money_format() {
        assert_eq!(format_money(100_000_000), "1.00");
        assert_eq!(format_money(1000), "0.00001");
        assert_eq!(format_money(123_456_789), "1.23456789");
        assert_eq!(format_money(-50), "-0.0000005");
        assert_eq!(format_money(0), "0.00");
    }
}
