//! An unspent transaction output with the facts validation needs about it.

use bitcoin::TxOut;

/// A UTXO entry: the output, the height of the block that created it, and
/// whether that transaction was a coinbase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output itself.
    pub output: TxOut,
    /// Height of the block containing the creating transaction.
    pub height: u32,
    /// Whether the creating transaction was a coinbase.
    pub is_coinbase: bool,
}

/// A map keyed by outpoint. Txids are hashes already, so SipHash's cost buys
/// nothing here; a randomly seeded fast hasher still keeps an attacker, who
/// cannot see the seed, from grinding txids into one bucket.
pub type OutPointMap<V> = std::collections::HashMap<bitcoin::OutPoint, V, OutPointHasher>;

/// The hasher of [`OutPointMap`]: seeded per map from process randomness.
pub type OutPointHasher = foldhash::quality::RandomState;

/// The coins one transaction spends, fetched once, as a view: what the input
/// checks read instead of asking the UTXO set again for each rule.
pub struct TxPrevouts<'a> {
    inputs: &'a [bitcoin::TxIn],
    coins: &'a [Coin],
    /// Positions by outpoint, for transactions with many inputs.
    by_outpoint: Option<OutPointMap<usize>>,
}

impl<'a> TxPrevouts<'a> {
    /// `coins[i]` is the coin spent by `inputs[i]`.
    pub fn new(inputs: &'a [bitcoin::TxIn], coins: &'a [Coin]) -> Self {
        /// Below this a scan beats building a map.
        const SCAN_LIMIT: usize = 16;
        let by_outpoint = (inputs.len() > SCAN_LIMIT).then(|| {
            inputs
                .iter()
                .enumerate()
                .map(|(i, input)| (input.previous_output, i))
                .collect()
        });
        TxPrevouts {
            inputs,
            coins,
            by_outpoint,
        }
    }
}

impl CoinsView for TxPrevouts<'_> {
    fn coin(&self, outpoint: &bitcoin::OutPoint) -> Option<Coin> {
        let i = match &self.by_outpoint {
            Some(map) => *map.get(outpoint)?,
            None => self
                .inputs
                .iter()
                .position(|i| i.previous_output == *outpoint)?,
        };
        self.coins.get(i).cloned()
    }
}

/// Read access to a set of unspent outputs.
pub trait CoinsView {
    /// The unspent coin at `outpoint`, if any.
    fn coin(&self, outpoint: &bitcoin::OutPoint) -> Option<Coin>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, OutPoint, ScriptBuf, TxIn, TxOut, Txid};

    fn setup(n: usize) -> (Vec<TxIn>, Vec<Coin>) {
        let inputs: Vec<TxIn> = (0..n)
            .map(|i| TxIn {
                previous_output: OutPoint::new(Txid::from_byte_array([i as u8; 32]), i as u32),
                ..Default::default()
            })
            .collect();
        let coins = (0..n)
            .map(|i| Coin {
                output: TxOut {
                    value: Amount::from_sat(i as u64),
                    script_pubkey: ScriptBuf::new(),
                },
                height: i as u32,
                is_coinbase: false,
            })
            .collect();
        (inputs, coins)
    }

    #[test]
    fn prevouts_answer_by_outpoint_for_few_and_many_inputs() {
        for n in [3, 40] {
            let (inputs, coins) = setup(n);
            let view = TxPrevouts::new(&inputs, &coins);
            for (i, input) in inputs.iter().enumerate() {
                assert_eq!(
                    view.coin(&input.previous_output).map(|c| c.height),
                    Some(i as u32)
                );
            }
            assert_eq!(view.coin(&OutPoint::null()), None);
        }
    }
}
