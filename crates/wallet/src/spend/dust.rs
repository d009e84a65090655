//! Dust (Core's `GetDustThreshold` and `IsDust` in `policy.cpp`): an output
//! worth less than the fee to spend it at the dust relay rate is not
//! relayed, so the wallet neither pays to one nor keeps such change.

use bitcoin::TxOut;

use super::script::{is_unspendable, is_witness_program, serialized_txout_size};
use crate::coinselection::{FeeRate, WITNESS_SCALE_FACTOR};

/// Default `-dustrelayfee`, in satoshis per 1000 virtual bytes.
pub const DUST_RELAY_TX_FEE: i64 = 3000;

/// The smallest value `txout` may carry without being dust at
/// `dust_relay_fee`: the fee for the output plus a minimal input spending
/// it (148 bytes, or 67 virtual bytes for any witness program, priced as a
/// P2WPKH spend even for taproot so as not to lower the bar). Unspendable
/// outputs have no threshold.
pub fn get_dust_threshold(txout: &TxOut, dust_relay_fee: FeeRate) -> i64 {
    if is_unspendable(&txout.script_pubkey) {
        return 0;
    }
    let mut size = serialized_txout_size(txout);
    if is_witness_program(&txout.script_pubkey) {
        size += 32 + 4 + 1 + (107 / WITNESS_SCALE_FACTOR) + 4;
    } else {
        size += 32 + 4 + 1 + 107 + 4;
    }
    dust_relay_fee.fee(u32::try_from(size).unwrap_or(u32::MAX))
}

/// Whether `txout` is dust at `dust_relay_fee`.
pub fn is_dust(txout: &TxOut, dust_relay_fee: FeeRate) -> bool {
    (txout.value.to_sat() as i64) < get_dust_threshold(txout, dust_relay_fee)
}

/// Whether an output of `value` (which may be negative while fees are being
/// subtracted) paying `script` is dust.
pub(crate) fn is_dust_value(value: i64, script: &bitcoin::Script, dust_relay_fee: FeeRate) -> bool {
    let txout = TxOut {
        value: bitcoin::Amount::ZERO,
        script_pubkey: script.to_owned(),
    };
    value < get_dust_threshold(&txout, dust_relay_fee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spend::script::script_for_destination;
    use bitcoin::{Amount, ScriptBuf};
    use interfaces::wallet::TxDestination;

    fn out(dest: TxDestination, value: u64) -> TxOut {
        TxOut {
            value: Amount::from_sat(value),
            script_pubkey: script_for_destination(&dest),
        }
    }

    #[test]
    fn thresholds_at_the_default_rate() {
        let rate = FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE);
        let t = |d| get_dust_threshold(&out(d, 0), rate);
        assert_eq!(t(TxDestination::PkHash([0; 20])), 546);
        assert_eq!(t(TxDestination::ScriptHash([0; 20])), 540);
        assert_eq!(t(TxDestination::WitnessV0KeyHash([0; 20])), 294);
        assert_eq!(t(TxDestination::WitnessV0ScriptHash([0; 32])), 330);
        assert_eq!(t(TxDestination::WitnessV1Taproot([0; 32])), 330);
        let op_return = TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x6a, 1, 7]),
        };
        assert_eq!(get_dust_threshold(&op_return, rate), 0);
        assert!(!is_dust(&op_return, rate));
    }

    #[test]
    fn dust_is_strictly_below_the_threshold() {
        let rate = FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE);
        assert!(is_dust(
            &out(TxDestination::WitnessV0KeyHash([0; 20]), 293),
            rate
        ));
        assert!(!is_dust(
            &out(TxDestination::WitnessV0KeyHash([0; 20]), 294),
            rate
        ));
        // A zero relay rate makes nothing dust.
        assert!(!is_dust(
            &out(TxDestination::PkHash([0; 20]), 0),
            FeeRate::ZERO
        ));
        let spk = script_for_destination(&TxDestination::PkHash([0; 20]));
        assert!(is_dust_value(-1, &spk, FeeRate::ZERO));
        assert!(is_dust_value(545, &spk, rate));
        assert!(!is_dust_value(546, &spk, rate));
    }
}
