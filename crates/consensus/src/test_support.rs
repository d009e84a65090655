//! Small transaction builders shared by the tests of several crates.
//!
//! Always compiled (rather than behind `cfg(test)`) because `cfg(test)` is
//! per crate: the mempool, net and mining unit tests and the functional
//! tests all build the same shape of transaction, and this is the one crate
//! they all depend on anyway.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};

/// A version-2 transaction with no lock time that spends `prev` (empty
/// scriptSig and witness, final sequence) into one output of `value` paid
/// to `script_pubkey`. Nothing about it is validated: tests use it where
/// only the graph of spends, or a rejection reason, matters.
pub fn spend_one(prev: OutPoint, value: Amount, script_pubkey: ScriptBuf) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prev,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value,
            script_pubkey,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::Txid;

    #[test]
    fn spends_exactly_the_given_outpoint_into_one_output() {
        let prev = OutPoint::new(Txid::from_byte_array([3; 32]), 5);
        let tx = spend_one(
            prev,
            Amount::from_sat(1234),
            ScriptBuf::from_bytes(vec![0x51]),
        );
        assert_eq!(tx.input.len(), 1);
        assert_eq!(tx.input[0].previous_output, prev);
        assert!(tx.input[0].witness.is_empty());
        assert_eq!(tx.output.len(), 1);
        assert_eq!(tx.output[0].value, Amount::from_sat(1234));
        assert_eq!(tx.output[0].script_pubkey.as_bytes(), &[0x51]);
        // Different outpoints give different transactions.
        let other = spend_one(
            OutPoint::new(prev.txid, 6),
            Amount::from_sat(1234),
            ScriptBuf::new(),
        );
        assert_ne!(tx.compute_txid(), other.compute_txid());
    }
}
