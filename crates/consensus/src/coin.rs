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

/// Read access to a set of unspent outputs.
pub trait CoinsView {
    /// The unspent coin at `outpoint`, if any.
    fn coin(&self, outpoint: &bitcoin::OutPoint) -> Option<Coin>;
}
