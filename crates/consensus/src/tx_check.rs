//! Context-free transaction checks (Core's `CheckTransaction`).

use std::collections::HashSet;

use bitcoin::Transaction;

use crate::error::{TxResult, ValidationError};

/// Maximum block weight (BIP141).
pub const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Maximum serialized block size, for buffers.
pub const MAX_BLOCK_SERIALIZED_SIZE: u64 = 4_000_000;
/// Maximum signature-operation cost in a block.
pub const MAX_BLOCK_SIGOPS_COST: u64 = 80_000;
/// Witness scale factor.
pub const WITNESS_SCALE_FACTOR: u64 = 4;
/// Blocks before a coinbase output may be spent.
pub const COINBASE_MATURITY: u32 = 100;
/// Satoshis in one bitcoin.
pub const COIN: i64 = 100_000_000;
/// No amount above this is valid (21 million BTC).
pub const MAX_MONEY: i64 = 21_000_000 * COIN;

/// Whether `v` is a valid amount (0 ..= MAX_MONEY).
pub fn money_range(v: i64) -> bool {
    (0..=MAX_MONEY).contains(&v)
}

fn fail(reason: &str) -> ValidationError {
    ValidationError::tx(TxResult::Consensus, reason, "")
}

/// Checks that need no context: non-empty inputs and outputs, size, output
/// amounts, duplicate inputs, coinbase script length and null prevouts.
/// Amounts are read as Core's signed 64-bit values, so an output whose value
/// has the top bit set is reported as negative.
pub fn check_transaction(tx: &Transaction) -> Result<(), ValidationError> {
    if tx.input.is_empty() {
        return Err(fail("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(fail("bad-txns-vout-empty"));
    }
    if (tx.base_size() as u64).saturating_mul(WITNESS_SCALE_FACTOR) > MAX_BLOCK_WEIGHT {
        return Err(fail("bad-txns-oversize"));
    }
    let mut total: i64 = 0;
    for out in &tx.output {
        let v = out.value.to_sat() as i64;
        if v < 0 {
            return Err(fail("bad-txns-vout-negative"));
        }
        if v > MAX_MONEY {
            return Err(fail("bad-txns-vout-toolarge"));
        }
        total += v; // both at most MAX_MONEY-bounded sums; cannot overflow before the check trips
        if !money_range(total) {
            return Err(fail("bad-txns-txouttotal-toolarge"));
        }
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    for input in &tx.input {
        if !seen.insert(input.previous_output) {
            return Err(fail("bad-txns-inputs-duplicate"));
        }
    }
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(fail("bad-cb-length"));
        }
    } else if tx.input.iter().any(|i| i.previous_output.is_null()) {
        return Err(fail("bad-txns-prevout-null"));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{
        absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxOut, Txid, Witness,
    };

    pub(crate) fn input(n: u32) -> TxIn {
        TxIn {
            previous_output: OutPoint::new(Txid::from_byte_array([1; 32]), n),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }
    }

    pub(crate) fn output(sat: u64) -> TxOut {
        TxOut {
            value: Amount::from_sat(sat),
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }
    }

    pub(crate) fn tx(input: Vec<TxIn>, output: Vec<TxOut>) -> Transaction {
        Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input,
            output,
        }
    }

    fn reason(t: &Transaction) -> String {
        check_transaction(t).unwrap_err().reason
    }

    #[test]
    fn valid() {
        assert!(check_transaction(&tx(vec![input(0)], vec![output(1)])).is_ok());
    }

    #[test]
    fn reject_reasons() {
        assert_eq!(reason(&tx(vec![], vec![output(1)])), "bad-txns-vin-empty");
        assert_eq!(reason(&tx(vec![input(0)], vec![])), "bad-txns-vout-empty");
        let big = TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x6a; 1_000_001]),
        };
        assert_eq!(reason(&tx(vec![input(0)], vec![big])), "bad-txns-oversize");
        assert_eq!(
            reason(&tx(vec![input(0)], vec![output(u64::MAX)])),
            "bad-txns-vout-negative"
        );
        assert_eq!(
            reason(&tx(vec![input(0)], vec![output(MAX_MONEY as u64 + 1)])),
            "bad-txns-vout-toolarge"
        );
        assert_eq!(
            reason(&tx(
                vec![input(0)],
                vec![output(MAX_MONEY as u64), output(1)]
            )),
            "bad-txns-txouttotal-toolarge"
        );
        assert_eq!(
            reason(&tx(vec![input(0), input(0)], vec![output(1)])),
            "bad-txns-inputs-duplicate"
        );
        let mut cb = TxIn {
            previous_output: OutPoint::null(),
            ..input(0)
        };
        cb.script_sig = ScriptBuf::from_bytes(vec![1]);
        assert_eq!(
            reason(&tx(vec![cb.clone()], vec![output(1)])),
            "bad-cb-length"
        );
        cb.script_sig = ScriptBuf::from_bytes(vec![1; 101]);
        assert_eq!(
            reason(&tx(vec![cb.clone()], vec![output(1)])),
            "bad-cb-length"
        );
        cb.script_sig = ScriptBuf::from_bytes(vec![1; 100]);
        assert!(check_transaction(&tx(vec![cb.clone()], vec![output(1)])).is_ok());
        assert_eq!(
            reason(&tx(vec![input(0), cb], vec![output(1)])),
            "bad-txns-prevout-null"
        );
    }
}
