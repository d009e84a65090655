//! Dust (Core's `GetDustThreshold`): an output worth less than the fee, at
//! the dust relay rate, of creating and later spending it. A transaction may
//! carry one dust output only if it pays no fee (ephemeral dust), and its
//! child in the pool must then spend that output.

use bitcoin::{Transaction, TxOut};

/// Default `-dustrelayfee`, in sat/kvB.
pub const DUST_RELAY_TX_FEE: i64 = 3000;
/// Dust outputs a standard transaction may have.
pub const MAX_DUST_OUTPUTS_PER_TX: usize = 1;

/// Bytes of an input spending a witness program, witness discounted
/// (outpoint, sequence, scriptSig length, a quarter of 107 witness bytes).
const WITNESS_INPUT_SIZE: u64 = 32 + 4 + 1 + 107 / 4 + 4;
/// Bytes of an input spending any other output (a P2PKH spend).
const LEGACY_INPUT_SIZE: u64 = 32 + 4 + 1 + 107 + 4;

/// The smallest non-dust value of `out` at `rate` sat/kvB (zero for
/// provably unspendable outputs).
pub fn dust_threshold(out: &TxOut, rate: i64) -> u64 {
    let spk = out.script_pubkey.as_bytes();
    let unspendable = spk.first() == Some(&0x6a) || spk.len() > 10_000;
    if unspendable || rate <= 0 {
        return 0;
    }
    let output_size = bitcoin::consensus::serialize(out).len() as u64;
    let spend_size = if out.script_pubkey.is_witness_program() {
        WITNESS_INPUT_SIZE
    } else {
        LEGACY_INPUT_SIZE
    };
    // Core rounds the fee up.
    ((output_size + spend_size) * rate as u64).div_ceil(1000)
}

/// Whether `out` is dust at `rate` sat/kvB.
pub fn is_dust(out: &TxOut, rate: i64) -> bool {
    out.value.to_sat() < dust_threshold(out, rate)
}

/// Indexes of `tx`'s dust outputs.
pub fn dust_outputs(tx: &Transaction, rate: i64) -> Vec<u32> {
    (0..tx.output.len() as u32)
        .filter(|i| is_dust(&tx.output[*i as usize], rate))
        .collect()
}

impl crate::pool::Mempool {
    /// Core's `CheckEphemeralSpends` for one transaction: every dust output
    /// of its parents in the pool must be spent by it.
    pub(crate) fn check_ephemeral_spends(
        &self,
        tx: &Transaction,
        (txid, wtxid): (bitcoin::Txid, bitcoin::Wtxid),
        rate: i64,
    ) -> Result<(), consensus::error::ValidationError> {
        let spends: std::collections::HashSet<bitcoin::OutPoint> =
            tx.input.iter().map(|i| i.previous_output).collect();
        for input in &tx.input {
            let parent_id = input.previous_output.txid;
            let Some(parent) = self.entries.get(&parent_id) else {
                continue;
            };
            let unspent_dust = dust_outputs(&parent.tx, rate)
                .into_iter()
                .any(|vout| !spends.contains(&bitcoin::OutPoint::new(parent_id, vout)));
            if unspent_dust {
                return Err(consensus::error::ValidationError::tx(
                    consensus::error::TxResult::MempoolPolicy,
                    "missing-ephemeral-spends",
                    format!("tx {txid} (wtxid={wtxid}) did not spend parent's ephemeral dust"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf};

    fn out(spk: &str, value: u64) -> TxOut {
        TxOut {
            value: Amount::from_sat(value),
            script_pubkey: ScriptBuf::from_bytes(hex::decode(spk).unwrap()),
        }
    }

    #[test]
    fn thresholds_match_core() {
        let p2pkh = format!("76a914{}88ac", "11".repeat(20));
        let p2wpkh = format!("0014{}", "11".repeat(20));
        let p2tr = format!("5120{}", "11".repeat(32));
        assert_eq!(dust_threshold(&out(&p2pkh, 0), 3000), 546);
        assert_eq!(dust_threshold(&out(&p2wpkh, 0), 3000), 294);
        assert_eq!(dust_threshold(&out(&p2tr, 0), 3000), 330);
        assert_eq!(dust_threshold(&out("6a", 0), 3000), 0);
        assert!(is_dust(&out(&p2pkh, 545), 3000));
        assert!(!is_dust(&out(&p2pkh, 546), 3000));
        assert!(!is_dust(&out(&p2pkh, 0), 0));
    }
}
