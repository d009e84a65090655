//! Candidate coins and the output groups coin selection works on (Core's
//! `COutput`, `OutputGroup`, `CoinEligibilityFilter`, `CoinsResult`).

use std::collections::BTreeMap;
use std::sync::Arc;

use bitcoin::{OutPoint, TxOut};
use rand::seq::SliceRandom;
use rand::Rng;

use super::{FeeRate, WITNESS_SCALE_FACTOR};

/// The kind of script an output pays to (Core's `OutputType`); selection
/// first tries not to mix kinds, for privacy. The order is Core's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputType {
    /// P2PKH.
    Legacy,
    /// P2SH-wrapped segwit v0.
    P2shSegwit,
    /// Native segwit v0.
    Bech32,
    /// Segwit v1 (taproot).
    Bech32m,
    /// Anything else.
    Unknown,
}

/// A UTXO the wallet could spend (Core's `COutput`), with what selection
/// needs to know about it: its fee to spend at the target rate, its
/// confirmations and its unconfirmed ancestry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coin {
    /// The outpoint naming this UTXO.
    pub outpoint: OutPoint,
    /// The output itself.
    pub txout: TxOut,
    /// Confirmations: > 0 in the chain, 0 unconfirmed, < 0 conflicted.
    pub depth: i32,
    /// Estimated size of this output as a fully signed input, in virtual
    /// bytes; `None` when it could not be computed (then spending it is
    /// counted as free and weightless, as Core does).
    pub input_bytes: Option<u32>,
    /// Whether the transaction creating it was sent by this wallet; our own
    /// unconfirmed change is trusted more than others' payments.
    pub from_me: bool,
    /// Unconfirmed ancestors of the creating transaction (itself included
    /// when unconfirmed), as the chain reports them.
    pub ancestors: usize,
    /// Size of the mempool cluster of the creating transaction.
    pub cluster_count: usize,
    /// Fee to spend this coin at the long-term (consolidation) rate; set
    /// when the coin joins an [`OutputGroup`].
    pub long_term_fee: i64,
    /// Fee needed to bump unconfirmed ancestors to the target rate.
    pub ancestor_bump_fees: i64,
    /// Fee to spend this coin at the target rate, bump fee included.
    fee: i64,
    /// Value minus `fee`.
    effective_value: i64,
}

impl Coin {
    /// A coin whose spending fee is `input_bytes` at `feerate`.
    pub fn new(
        outpoint: OutPoint,
        txout: TxOut,
        depth: i32,
        input_bytes: Option<u32>,
        from_me: bool,
        feerate: FeeRate,
    ) -> Self {
        let fee = input_bytes.map_or(0, |b| feerate.fee(b));
        Self::with_fee(outpoint, txout, depth, input_bytes, from_me, fee)
    }

    /// A coin whose spending fee is given outright.
    pub fn with_fee(
        outpoint: OutPoint,
        txout: TxOut,
        depth: i32,
        input_bytes: Option<u32>,
        from_me: bool,
        fee: i64,
    ) -> Self {
        let value = txout.value.to_sat() as i64;
        Coin {
            outpoint,
            txout,
            depth,
            input_bytes,
            from_me,
            ancestors: 0,
            cluster_count: 0,
            long_term_fee: 0,
            ancestor_bump_fees: 0,
            fee,
            effective_value: value - fee,
        }
    }

    /// This coin with the chain's report of its unconfirmed ancestry.
    pub fn with_ancestry(mut self, ancestors: usize, cluster_count: usize) -> Self {
        self.ancestors = ancestors;
        self.cluster_count = cluster_count;
        self
    }

    /// Sets the fee to bump the coin's unconfirmed ancestors to the target
    /// rate: spending it costs that much more (Core's `ApplyBumpFee`). A
    /// second call replaces the first bump instead of stacking on it, so the
    /// fee never counts a stale estimate.
    pub fn apply_bump_fee(&mut self, bump_fee: i64) {
        debug_assert!(bump_fee >= 0);
        self.fee += bump_fee - self.ancestor_bump_fees;
        self.ancestor_bump_fees = bump_fee;
        self.effective_value = self.value() - self.fee;
    }

    /// The output's value in satoshis.
    pub fn value(&self) -> i64 {
        self.txout.value.to_sat() as i64
    }

    /// Fee to spend this coin at the target rate (bump fee included).
    pub fn fee(&self) -> i64 {
        self.fee
    }

    /// Value minus the fee to spend it at the target rate.
    pub fn effective_value(&self) -> i64 {
        self.effective_value
    }

    /// Weight this coin adds as an input (0 when its size is unknown).
    pub fn weight(&self) -> i64 {
        self.input_bytes
            .map_or(0, |b| i64::from(b) * WITNESS_SCALE_FACTOR)
    }
}

/// Which output groups an attempt may use (Core's `CoinEligibilityFilter`):
/// selection starts strict and relaxes when it cannot fund the transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoinEligibilityFilter {
    /// Minimum confirmations for coins this wallet sent itself.
    pub conf_mine: i32,
    /// Minimum confirmations for coins received from others.
    pub conf_theirs: i32,
    /// Maximum unconfirmed ancestors summed over a group.
    pub max_ancestors: u64,
    /// Maximum cluster count of any single coin in a group.
    pub max_cluster_count: u64,
    /// Whether a script's partial (not full) group may be used when full
    /// groups of that script exist, under avoid-partial-spends.
    pub include_partial_groups: bool,
}

impl CoinEligibilityFilter {
    /// A filter whose cluster limit equals its ancestor limit.
    pub const fn new(conf_mine: i32, conf_theirs: i32, max_ancestors: u64) -> Self {
        Self::with_limits(conf_mine, conf_theirs, max_ancestors, max_ancestors, false)
    }

    /// A filter with every field given.
    pub const fn with_limits(
        conf_mine: i32,
        conf_theirs: i32,
        max_ancestors: u64,
        max_cluster_count: u64,
        include_partial_groups: bool,
    ) -> Self {
        CoinEligibilityFilter {
            conf_mine,
            conf_theirs,
            max_ancestors,
            max_cluster_count,
            include_partial_groups,
        }
    }
}

/// UTXOs spent together (Core's `OutputGroup`): one coin, or under
/// avoid-partial-spends up to 100 coins paying the same script, so that an
/// address's coins are spent all at once and reuse leaks less.
#[derive(Clone, Debug)]
pub struct OutputGroup {
    /// The coins of the group, shared as Core's `shared_ptr<COutput>`: a
    /// group is copied into the lists of every eligibility filter and
    /// output type, which must not copy each coin's script again.
    pub outputs: Vec<Arc<Coin>>,
    /// Whether every coin was sent by this wallet to itself.
    pub from_me: bool,
    /// Sum of the coins' values.
    pub value: i64,
    /// Least confirmations among the coins.
    pub depth: i32,
    /// Unconfirmed ancestors summed over the coins; may overcount shared
    /// ancestors, erring on the safe side.
    pub ancestors: usize,
    /// Largest cluster count of any coin.
    pub max_cluster_count: usize,
    /// Sum of the coins' effective values.
    pub effective_value: i64,
    /// Fee to spend the coins at the target rate.
    pub fee: i64,
    /// Fee to spend the coins at the long-term rate.
    pub long_term_fee: i64,
    /// Rate used to price the coins' long-term fees.
    pub long_term_feerate: FeeRate,
    /// Whether fees come out of the recipients' amounts, so selection counts
    /// raw values rather than effective values.
    pub subtract_fee_outputs: bool,
    /// Total input weight of the coins.
    pub weight: i64,
}

impl Default for OutputGroup {
    fn default() -> Self {
        OutputGroup {
            outputs: Vec::new(),
            from_me: true,
            value: 0,
            depth: 999,
            ancestors: 0,
            max_cluster_count: 0,
            effective_value: 0,
            fee: 0,
            long_term_fee: 0,
            long_term_feerate: FeeRate::ZERO,
            subtract_fee_outputs: false,
            weight: 0,
        }
    }
}

impl OutputGroup {
    /// An empty group pricing long-term fees at `long_term_feerate`.
    pub fn new(long_term_feerate: FeeRate, subtract_fee_outputs: bool) -> Self {
        OutputGroup {
            long_term_feerate,
            subtract_fee_outputs,
            ..Default::default()
        }
    }

    /// Adds a coin, pricing its long-term fee at the group's rate.
    pub fn insert(&mut self, mut coin: Coin) {
        coin.long_term_fee = coin
            .input_bytes
            .map_or(0, |b| self.long_term_feerate.fee(b));
        self.fee += coin.fee();
        self.long_term_fee += coin.long_term_fee;
        self.effective_value += coin.effective_value();
        self.from_me &= coin.from_me;
        self.value += coin.value();
        self.depth = self.depth.min(coin.depth);
        // Spending coins together makes the new transaction inherit all their
        // ancestors, so the counts add up.
        self.ancestors += coin.ancestors;
        self.max_cluster_count = self.max_cluster_count.max(coin.cluster_count);
        if coin.input_bytes.is_some_and(|b| b > 0) {
            self.weight += coin.weight();
        }
        self.outputs.push(Arc::new(coin));
    }

    /// Whether the group passes `filter`'s confirmation and mempool limits.
    pub fn eligible_for_spending(&self, filter: &CoinEligibilityFilter) -> bool {
        let min_conf = if self.from_me {
            filter.conf_mine
        } else {
            filter.conf_theirs
        };
        self.depth >= min_conf
            && self.ancestors as u64 <= filter.max_ancestors
            && self.max_cluster_count as u64 <= filter.max_cluster_count
    }

    /// The amount this group contributes to a selection: the raw value when
    /// fees are subtracted from outputs, else the effective value.
    pub fn selection_amount(&self) -> i64 {
        if self.subtract_fee_outputs {
            self.value
        } else {
            self.effective_value
        }
    }

    /// Cost of spending now rather than at the long-term rate.
    pub(crate) fn waste(&self) -> i64 {
        self.fee - self.long_term_fee
    }
}

/// The groups one attempt may use (Core's `Groups`).
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// Groups with a positive selection amount, for the algorithms that
    /// must not spend uneconomic coins (BnB, CoinGrinder, SRD).
    pub positive_group: Vec<OutputGroup>,
    /// All groups, uneconomic ones included, for Knapsack.
    pub mixed_group: Vec<OutputGroup>,
}

/// Groups split by output type, plus all of them together (Core's
/// `OutputGroupTypeMap`).
#[derive(Clone, Debug, Default)]
pub struct OutputGroupTypeMap {
    /// Groups per output type.
    pub groups_by_type: BTreeMap<OutputType, Groups>,
    /// Every group, whatever its type.
    pub all_groups: Groups,
}

impl OutputGroupTypeMap {
    /// Files `group` under `output_type` and under all groups: into the
    /// positive list if asked and its amount is positive, into the mixed list
    /// if asked. Empty groups are ignored.
    pub fn push(
        &mut self,
        group: &OutputGroup,
        output_type: OutputType,
        insert_positive: bool,
        insert_mixed: bool,
    ) {
        if group.outputs.is_empty() {
            return;
        }
        let groups = self.groups_by_type.entry(output_type).or_default();
        if insert_positive && group.selection_amount() > 0 {
            groups.positive_group.push(group.clone());
            self.all_groups.positive_group.push(group.clone());
        }
        if insert_mixed {
            groups.mixed_group.push(group.clone());
            self.all_groups.mixed_group.push(group.clone());
        }
    }

    /// How many output types have groups.
    pub fn types_count(&self) -> usize {
        self.groups_by_type.len()
    }
}

/// Eligible groups per filter (Core's `FilteredOutputGroups`).
pub type FilteredOutputGroups = BTreeMap<CoinEligibilityFilter, OutputGroupTypeMap>;

/// The wallet's spendable coins by output type, with running totals (Core's
/// `CoinsResult`).
#[derive(Clone, Debug, Default)]
pub struct CoinsResult {
    /// Coins per output type, in the order added.
    pub coins: BTreeMap<OutputType, Vec<Coin>>,
    total_amount: i64,
    total_effective_amount: i64,
}

impl CoinsResult {
    /// An empty set of coins.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `coin` under `output_type`.
    pub fn add(&mut self, output_type: OutputType, coin: Coin) {
        self.total_amount += coin.value();
        self.total_effective_amount += coin.effective_value();
        self.coins.entry(output_type).or_default().push(coin);
    }

    /// How many coins there are.
    pub fn size(&self) -> usize {
        self.coins.values().map(Vec::len).sum()
    }

    /// Whether there are no coins.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// Every coin, type by type.
    pub fn all(&self) -> impl Iterator<Item = (OutputType, &Coin)> {
        self.coins
            .iter()
            .flat_map(|(t, v)| v.iter().map(move |c| (*t, c)))
    }

    /// Removes the coins with these outpoints.
    pub fn erase(&mut self, outpoints: &[OutPoint]) {
        let mut removed = Vec::new();
        for coins in self.coins.values_mut() {
            coins.retain(|c| {
                let hit = outpoints.contains(&c.outpoint);
                if hit {
                    removed.push((c.value(), c.effective_value()));
                }
                !hit
            });
        }
        for (value, effective) in removed {
            self.total_amount -= value;
            self.total_effective_amount -= effective;
        }
    }

    /// Shuffles the coins within each type, so that grouping many coins of
    /// one script does not follow a predictable order.
    pub fn shuffle<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        for coins in self.coins.values_mut() {
            coins.shuffle(rng);
        }
    }

    /// Sum of the coins' values.
    pub fn total_amount(&self) -> i64 {
        self.total_amount
    }

    /// Sum of the coins' effective values.
    pub fn effective_total_amount(&self) -> i64 {
        self.total_effective_amount
    }

    /// The total that counts toward a target: raw values when fees come out
    /// of the outputs, else effective values.
    pub fn appropriate_total(&self, subtract_fee_outputs: bool) -> i64 {
        if subtract_fee_outputs {
            self.total_amount
        } else {
            self.total_effective_amount
        }
    }
}
