//! The parameters of one coin selection (Core's `CoinSelectionParams`) and
//! how Core derives the change-related ones.

use rand::Rng;

use super::{
    FeeRate, CHANGE_LOWER, CHANGE_UPPER, CURRENT_TX_VERSION, MAX_STANDARD_TX_WEIGHT,
    WITNESS_SCALE_FACTOR,
};

/// Everything one selection needs beyond the coins and the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoinSelectionParams {
    /// Size of a change output, in bytes (depends on its output type).
    pub change_output_size: u32,
    /// Size of the input that would later spend the change, in vbytes.
    pub change_spend_size: u32,
    /// Change that Knapsack and CoinGrinder aim to leave at least (see
    /// [`generate_change_target`]).
    pub min_change_target: i64,
    /// Smallest change worth an output; less goes to fees.
    pub min_viable_change: i64,
    /// Fee for adding the change output now.
    pub change_fee: i64,
    /// Fee for the change output now plus for spending it later.
    pub cost_of_change: i64,
    /// The transaction's target fee rate.
    pub effective_feerate: FeeRate,
    /// The rate at which inputs could be spent some other time (the
    /// consolidation rate); spending above it now is waste.
    pub long_term_feerate: FeeRate,
    /// Change costing more than its value to spend at this rate is dropped.
    pub discard_feerate: FeeRate,
    /// Size of the transaction without inputs and change: header and
    /// recipient outputs, in vbytes.
    pub tx_noinputs_size: u32,
    /// Whether recipients pay the fee out of their amounts.
    pub subtract_fee_outputs: bool,
    /// Whether to spend all coins of a script together, for privacy.
    pub avoid_partial_spends: bool,
    /// Whether unsafe coins (unconfirmed from others or replaced) may be
    /// used as a last resort.
    pub include_unsafe_inputs: bool,
    /// Version of the transaction being built (TRUC caps its weight).
    pub version: u32,
    /// Weight limit for the transaction; standardness's when unset.
    pub max_tx_weight: Option<i64>,
}

impl Default for CoinSelectionParams {
    fn default() -> Self {
        CoinSelectionParams {
            change_output_size: 0,
            change_spend_size: 0,
            min_change_target: 0,
            min_viable_change: 0,
            change_fee: 0,
            cost_of_change: 0,
            effective_feerate: FeeRate::ZERO,
            long_term_feerate: FeeRate::ZERO,
            discard_feerate: FeeRate::ZERO,
            tx_noinputs_size: 0,
            subtract_fee_outputs: false,
            avoid_partial_spends: false,
            include_unsafe_inputs: false,
            version: CURRENT_TX_VERSION,
            max_tx_weight: None,
        }
    }
}

impl CoinSelectionParams {
    /// Sets the change costs as Core's transaction creation does: the change
    /// output is paid at the target rate and its later spend at the discard
    /// rate; change is viable only above both the dust threshold (given,
    /// since it depends on the change script) and its own spending fee.
    pub fn set_change_costs(&mut self, change_dust_threshold: i64) {
        self.change_fee = self.effective_feerate.fee(self.change_output_size);
        let change_spend_fee = self.discard_feerate.fee(self.change_spend_size);
        self.cost_of_change = change_spend_fee + self.change_fee;
        self.min_viable_change = (change_spend_fee + 1).max(change_dust_threshold);
    }

    /// Fee for everything but the inputs and change, which the selection
    /// must cover on top of the recipients' amounts (nothing when the
    /// recipients pay the fee).
    pub fn not_input_fees(&self) -> i64 {
        let size = if self.subtract_fee_outputs {
            0
        } else {
            self.tx_noinputs_size
        };
        self.effective_feerate.fee(size)
    }

    /// The weight left for inputs under the transaction's weight limit.
    pub fn max_selection_weight(&self) -> i64 {
        self.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT)
            - i64::from(self.tx_noinputs_size) * WITNESS_SCALE_FACTOR
    }
}

/// A random change target, so that change amounts do not fingerprint the
/// wallet: the change fee plus CHANGE_LOWER for small payments, else plus a
/// value drawn from [CHANGE_LOWER, min(2 × payment, CHANGE_UPPER)). Change
/// resembling the payment hides which output is which.
pub fn generate_change_target<R: Rng + ?Sized>(
    payment_value: i64,
    change_fee: i64,
    rng: &mut R,
) -> i64 {
    if payment_value <= CHANGE_LOWER / 2 {
        change_fee + CHANGE_LOWER
    } else {
        let upper_bound = payment_value.saturating_mul(2).min(CHANGE_UPPER);
        change_fee + rng.gen_range(0..upper_bound - CHANGE_LOWER) + CHANGE_LOWER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn change_target_bounds() {
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(generate_change_target(25_000, 100, &mut rng), 50_100);
        assert_eq!(generate_change_target(1, 0, &mut rng), CHANGE_LOWER);
        for payment in [25_001, 30_000, 400_000, 10_000_000] {
            let upper = (payment * 2).min(CHANGE_UPPER);
            for _ in 0..200 {
                let t = generate_change_target(payment, 155, &mut rng);
                assert!(
                    t >= 155 + CHANGE_LOWER && t < 155 + upper,
                    "{t} for {payment}"
                );
            }
        }
    }

    #[test]
    fn change_costs_as_core() {
        let mut p = CoinSelectionParams {
            change_output_size: 31,
            change_spend_size: 68,
            effective_feerate: FeeRate::from_sat_per_kvb(5000),
            discard_feerate: FeeRate::from_sat_per_kvb(3000),
            tx_noinputs_size: 42,
            ..Default::default()
        };
        p.set_change_costs(294);
        assert_eq!(p.change_fee, 155);
        assert_eq!(p.cost_of_change, 204 + 155);
        assert_eq!(p.min_viable_change, 294);
        p.set_change_costs(0);
        assert_eq!(p.min_viable_change, 205);
        assert_eq!(p.not_input_fees(), 210);
        assert_eq!(p.max_selection_weight(), MAX_STANDARD_TX_WEIGHT - 168);
        p.subtract_fee_outputs = true;
        assert_eq!(p.not_input_fees(), 0);
    }
}
