//! Size estimates of inputs and transactions once signed (Core's
//! `MaxInputWeight`, `CalculateMaximumSignedInputSize`,
//! `CalculateMaximumSignedTxSize`), from the satisfaction sizes the wallet
//! knows from its descriptors. Fees are paid on these estimates before the
//! wallet signs, so they must never come out smaller than the real thing.

use bitcoin::Script;

use super::script::{compact_size_len, txout_size};
use crate::coinselection::WITNESS_SCALE_FACTOR;

/// How an output is spent, as its descriptor sizes it (Core's
/// `MaxSatisfactionWeight` and `MaxSatisfactionElems`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InputSatisfaction {
    /// Largest satisfaction weight: witness bytes plus four times the
    /// scriptSig bytes, without length prefixes.
    pub weight: i64,
    /// Largest number of witness stack elements.
    pub elems: u32,
    /// Whether the output is (or wraps) a witness program.
    pub is_segwit: bool,
}

impl InputSatisfaction {
    /// A native segwit v0 key-hash spend (`wpkh()`); `max_sig` sizes the
    /// signature at 72 rather than 71 bytes.
    pub const fn p2wpkh(max_sig: bool) -> Self {
        let sig = if max_sig { 72 } else { 71 };
        InputSatisfaction {
            weight: 1 + sig + 1 + 33,
            elems: 2,
            is_segwit: true,
        }
    }

    /// A key-path taproot spend (`tr()`), as Core assumes.
    pub const fn p2tr() -> Self {
        InputSatisfaction {
            weight: 1 + 65,
            elems: 1,
            is_segwit: true,
        }
    }

    /// A legacy key-hash spend (`pkh()`) with a compressed key.
    pub const fn p2pkh(max_sig: bool) -> Self {
        let sig = if max_sig { 72 } else { 71 };
        InputSatisfaction {
            weight: (1 + sig + 1 + 33) * WITNESS_SCALE_FACTOR,
            elems: 2,
            is_segwit: false,
        }
    }

    /// Weight of the whole input once signed (Core's `MaxInputWeight`):
    /// outpoint, sequence, scriptSig with its length, and the witness with
    /// its element count. Once any input of a transaction spends a witness
    /// program, every input carries a witness count, so non-segwit inputs
    /// of a segwit transaction weigh one unit more.
    pub fn input_weight(&self, tx_is_segwit: bool) -> i64 {
        let scriptsig_len = if self.is_segwit {
            // A wrapped program's scriptSig is one short push.
            1
        } else {
            compact_size_len((self.weight / WITNESS_SCALE_FACTOR).max(0) as u64)
        };
        let witstack_len = if self.is_segwit {
            compact_size_len(u64::from(self.elems))
        } else if tx_is_segwit {
            1
        } else {
            0
        };
        (32 + 4 + 4 + scriptsig_len) * WITNESS_SCALE_FACTOR + witstack_len + self.weight
    }

    /// The input's virtual size in a segwit transaction, rounded up (Core's
    /// `CalculateMaximumSignedInputSize`), what coin selection charges for
    /// spending it.
    pub fn input_vsize(&self) -> u32 {
        vsize_from_weight(self.input_weight(true))
    }
}

/// Virtual size of `weight` weight units, rounded up (Core's
/// `GetVirtualTransactionSize` without sigops), saturated into a `u32`.
pub fn vsize_from_weight(weight: i64) -> u32 {
    let v = (weight.max(0) + WITNESS_SCALE_FACTOR - 1) / WITNESS_SCALE_FACTOR;
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// What is known about sizing one input of a transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputSizeInfo {
    /// A weight the caller fixed for the input (coin control's per-input
    /// weight), used as is.
    pub weight: Option<i64>,
    /// How the spent output is satisfied, if anyone can solve it.
    pub satisfaction: Option<InputSatisfaction>,
}

/// A transaction's estimated size once signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxSize {
    /// Virtual size, rounded up.
    pub vsize: i64,
    /// Weight.
    pub weight: i64,
}

/// The size of a transaction with these inputs and outputs once signed
/// (Core's `CalculateMaximumSignedTxSize`); `None` when an input has
/// neither a fixed weight nor a known satisfaction.
pub fn calculate_maximum_signed_tx_size<'a>(
    inputs: &[InputSizeInfo],
    output_scripts: impl IntoIterator<Item = &'a Script>,
) -> Option<TxSize> {
    let scripts: Vec<&Script> = output_scripts.into_iter().collect();
    // Version, lock time and the two counts.
    let mut weight =
        (4 + 4 + compact_size_len(inputs.len() as u64) + compact_size_len(scripts.len() as u64))
            * WITNESS_SCALE_FACTOR;
    // Segwit-ness is decided by what the outputs spent are, even for
    // inputs whose weight is fixed.
    let is_segwit = inputs
        .iter()
        .any(|i| i.satisfaction.is_some_and(|s| s.is_segwit));
    if is_segwit {
        // Marker and flag.
        weight += 2;
    }
    for script in &scripts {
        weight += txout_size(script) * WITNESS_SCALE_FACTOR;
    }
    for input in inputs {
        weight += match (input.weight, input.satisfaction) {
            (Some(w), _) => w,
            (None, Some(s)) => s.input_weight(is_segwit),
            (None, None) => return None,
        };
    }
    Some(TxSize {
        vsize: i64::from(vsize_from_weight(weight)),
        weight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn input_sizes_match_core() {
        // Core's well-known input sizes.
        assert_eq!(InputSatisfaction::p2wpkh(false).input_vsize(), 68);
        // 271 and 272 weight units: both round up to 68.
        assert_eq!(InputSatisfaction::p2wpkh(true).input_vsize(), 68);
        assert_eq!(InputSatisfaction::p2wpkh(true).input_weight(true), 272);
        assert_eq!(InputSatisfaction::p2tr().input_vsize(), 58);
        assert_eq!(InputSatisfaction::p2pkh(true).input_weight(false), 592);
        assert_eq!(InputSatisfaction::p2pkh(true).input_vsize(), 149);
        assert_eq!(InputSatisfaction::p2pkh(false).input_weight(false), 588);
        // Core's max_signed_input_size_uses_external_outpoint: an external
        // input's maximal signature costs one vbyte more.
        assert_eq!(
            InputSatisfaction::p2pkh(true).input_vsize(),
            InputSatisfaction::p2pkh(false).input_vsize() + 1
        );
        // A non-segwit input in a segwit transaction carries an empty
        // witness count.
        assert_eq!(InputSatisfaction::p2pkh(false).input_weight(true), 589);
        // sh(wpkh()): 23-byte scriptSig (weighed ×4) plus the witness.
        let sh_wpkh = InputSatisfaction {
            weight: 4 * 23 + 1 + 72 + 1 + 33,
            elems: 2,
            is_segwit: true,
        };
        assert_eq!(sh_wpkh.input_vsize(), 91);
    }

    #[test]
    fn tx_size_sums_the_parts() {
        let out = ScriptBuf::from_bytes(vec![0; 22]);
        let size = calculate_maximum_signed_tx_size(
            &[InputSizeInfo {
                weight: None,
                satisfaction: Some(InputSatisfaction::p2wpkh(false)),
            }],
            [out.as_script(), out.as_script()],
        )
        .unwrap();
        // 10 bytes of header ×4, +2 marker/flag, two 31-byte outputs, input.
        assert_eq!(size.weight, 40 + 2 + 2 * 31 * 4 + 271);
        assert_eq!(size.vsize, (size.weight + 3) / 4);

        let legacy_only = calculate_maximum_signed_tx_size(
            &[InputSizeInfo {
                weight: None,
                satisfaction: Some(InputSatisfaction::p2pkh(false)),
            }],
            [out.as_script()],
        )
        .unwrap();
        assert_eq!(legacy_only.weight, 40 + 31 * 4 + 588);

        // A fixed weight is used as given, and an input without one that
        // nobody can solve makes the size unknown.
        let fixed = calculate_maximum_signed_tx_size(
            &[InputSizeInfo {
                weight: Some(1000),
                satisfaction: None,
            }],
            [out.as_script()],
        )
        .unwrap();
        assert_eq!(fixed.weight, 40 + 31 * 4 + 1000);
        assert!(
            calculate_maximum_signed_tx_size(&[InputSizeInfo::default()], [out.as_script()])
                .is_none()
        );
    }
}
