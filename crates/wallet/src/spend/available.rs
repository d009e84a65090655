//! Which wallet outputs may be spent (Core's `AvailableCoins`) and the
//! user's preset inputs (`FetchSelectedInputs`), from facts the wallet
//! states about each of its outputs.

use std::collections::BTreeMap;

use bitcoin::{OutPoint, TxOut, Txid};

use super::coincontrol::CoinControl;
use super::config::WalletFeeConfig;
use super::env::{EnvError, SpendEnv};
use super::error::SpendError;
use super::size::{vsize_from_weight, InputSatisfaction};
use super::MAX_MONEY;
use crate::coinselection::{
    Coin, CoinsResult, FeeRate, OutputType, CURRENT_TX_VERSION, TRUC_VERSION,
};

/// One output the wallet owns, with the facts spending it depends on. The
/// wallet fills one per output it tracks, spent and locked ones included
/// (preset inputs are looked up here too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateOutput {
    /// The outpoint.
    pub outpoint: OutPoint,
    /// The output.
    pub txout: TxOut,
    /// Confirmations of its transaction: > 0 confirmed, 0 unconfirmed,
    /// < 0 conflicted.
    pub depth: i32,
    /// Whether its unconfirmed transaction is in the node's mempool.
    pub in_mempool: bool,
    /// Whether it is an immature coinbase output.
    pub immature_coinbase: bool,
    /// Whether its transaction is trusted (Core's `CachedTxIsTrusted`:
    /// confirmed, or ours with trusted inputs).
    pub trusted: bool,
    /// Whether its transaction replaces another (bumpfee).
    pub replaces_tx: bool,
    /// Whether its transaction was replaced.
    pub replaced: bool,
    /// Version of its transaction.
    pub tx_version: u32,
    /// Whether its unconfirmed TRUC transaction already has a child in the
    /// mempool.
    pub truc_child_in_mempool: bool,
    /// Unconfirmed ancestors of its transaction (itself included), as the
    /// node reports them.
    pub ancestors: usize,
    /// Mempool cluster size of its transaction.
    pub cluster_count: usize,
    /// Whether its transaction was sent by this wallet.
    pub from_me: bool,
    /// Whether the user locked it.
    pub is_locked: bool,
    /// Whether a wallet transaction spends it.
    pub is_spent: bool,
    /// Whether its script was already spent from (Core's `IsSpentKey`).
    pub address_used: bool,
    /// Its output type (see [`super::script::coin_output_type`]).
    pub output_type: OutputType,
    /// How the wallet would satisfy it, sized as the wallet signs; `None`
    /// when the wallet cannot solve it.
    pub satisfaction: Option<InputSatisfaction>,
}

impl CandidateOutput {
    /// A confirmed, trusted, unspent output of a version 2 transaction;
    /// the other facts at their plainest, for the caller to adjust.
    pub fn new(outpoint: OutPoint, txout: TxOut, depth: i32, output_type: OutputType) -> Self {
        CandidateOutput {
            outpoint,
            txout,
            depth,
            in_mempool: depth == 0,
            immature_coinbase: false,
            trusted: true,
            replaces_tx: false,
            replaced: false,
            tx_version: CURRENT_TX_VERSION,
            truc_child_in_mempool: false,
            ancestors: 0,
            cluster_count: 0,
            from_me: false,
            is_locked: false,
            is_spent: false,
            address_used: false,
            output_type,
            satisfaction: None,
        }
    }

    /// Its size as a signed input in a segwit transaction, if solvable.
    pub fn input_bytes(&self) -> Option<u32> {
        self.satisfaction.map(|s| s.input_vsize())
    }
}

/// The wallet as transaction creation sees it: the node and wallet
/// services, the options, and the wallet's outputs.
#[derive(Clone, Copy)]
pub struct SpendWallet<'a> {
    /// Node and wallet services.
    pub env: &'a dyn SpendEnv,
    /// The wallet's options.
    pub config: &'a WalletFeeConfig,
    /// Every output the wallet owns.
    pub outputs: &'a [CandidateOutput],
    /// Whether the wallet has the `avoid_reuse` flag (then already-used
    /// addresses are not spent from unless coin control allows it).
    pub avoid_reuse: bool,
}

impl std::fmt::Debug for SpendWallet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpendWallet")
            .field("config", self.config)
            .field("outputs", &self.outputs.len())
            .field("avoid_reuse", &self.avoid_reuse)
            .finish()
    }
}

impl SpendWallet<'_> {
    /// The wallet's output at `outpoint`, if it owns one.
    pub fn output(&self, outpoint: &OutPoint) -> Option<&CandidateOutput> {
        self.outputs.iter().find(|o| o.outpoint == *outpoint)
    }
}

/// Amount and count limits on the coins returned (Core's
/// `CoinFilterParams`, as `listunspent`'s query options use them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoinFilterParams {
    /// Smallest value returned.
    pub min_amount: i64,
    /// Largest value returned.
    pub max_amount: i64,
    /// Stop once the returned coins sum to at least this.
    pub min_sum_amount: i64,
    /// Stop after this many coins (0: no limit).
    pub max_count: u64,
    /// Whether immature coinbase outputs count.
    pub include_immature_coinbase: bool,
    /// Whether locked coins are left out.
    pub skip_locked: bool,
    /// Whether unconfirmed coins must match the TRUC-ness of the version
    /// coin control asks for.
    pub check_version_trucness: bool,
}

impl Default for CoinFilterParams {
    fn default() -> Self {
        CoinFilterParams {
            min_amount: 1,
            max_amount: MAX_MONEY,
            min_sum_amount: MAX_MONEY,
            max_count: 0,
            include_immature_coinbase: false,
            skip_locked: true,
            check_version_trucness: true,
        }
    }
}

impl CandidateOutput {
    /// Whether spending it cannot be undone by a reorg or replacement
    /// (Core's `safe`): its transaction is trusted and, if unconfirmed,
    /// neither replaces nor was replaced by another. Spending outputs of
    /// either could, after a reorg, let both the replaced transaction and a
    /// spend of the replacement confirm.
    pub fn is_safe(&self) -> bool {
        self.trusted && !(self.depth == 0 && (self.replaces_tx || self.replaced))
    }
}

/// Whether the transaction creating `o` passes Core's transaction-level
/// checks in `AvailableCoins`.
fn passes_tx_checks(
    o: &CandidateOutput,
    coin_control: Option<&CoinControl>,
    params: &CoinFilterParams,
) -> bool {
    if o.immature_coinbase && !params.include_immature_coinbase {
        return false;
    }
    if o.depth < 0 {
        return false;
    }
    // Coins not even in our mempool may be conflicted through ancestors we
    // cannot see.
    if o.depth == 0 && !o.in_mempool {
        return false;
    }
    if o.depth == 0 && params.check_version_trucness {
        let version = coin_control.map_or(CURRENT_TX_VERSION, |c| c.version);
        if version == TRUC_VERSION {
            // A TRUC parent may have one child and no grandparent.
            if o.tx_version != TRUC_VERSION || o.truc_child_in_mempool || o.ancestors > 1 {
                return false;
            }
        } else if o.tx_version == TRUC_VERSION {
            return false;
        }
    }
    let only_safe = coin_control.is_none_or(|c| !c.include_unsafe_inputs);
    if only_safe && !o.is_safe() {
        return false;
    }
    let (min_depth, max_depth) = coin_control
        .map_or((super::DEFAULT_MIN_DEPTH, super::DEFAULT_MAX_DEPTH), |c| {
            (c.min_depth, c.max_depth)
        });
    o.depth >= min_depth && o.depth <= max_depth
}

/// The coin selection view of `o`, priced at `feerate` (unpriced: no fee).
fn to_coin(o: &CandidateOutput, feerate: Option<FeeRate>) -> Coin {
    Coin::new(
        o.outpoint,
        o.txout.clone(),
        o.depth,
        o.input_bytes(),
        o.from_me,
        feerate.unwrap_or(FeeRate::ZERO),
    )
    .with_ancestry(o.ancestors, o.cluster_count)
}

/// The wallet outputs that may be spent (Core's `AvailableCoins`): not
/// spent, locked (unless asked), preset, immature, conflicted, unsafe
/// (unless coin control includes them) or outside coin control's depths
/// and the amount limits; for TRUC, only the unconfirmed outputs of the
/// single most valuable eligible TRUC parent. Priced at `feerate` with the
/// ancestors' bump fees when given. Like Core, stopping early at the
/// minimum sum or the maximum count skips the TRUC outputs and the bump
/// fees. The error is a failed node call.
pub fn available_coins(
    wallet: &SpendWallet<'_>,
    coin_control: Option<&CoinControl>,
    feerate: Option<FeeRate>,
    params: &CoinFilterParams,
) -> Result<CoinsResult, EnvError> {
    let mut result = CoinsResult::new();
    let mut unconfirmed_truc: Vec<(OutputType, Coin)> = Vec::new();
    let mut truc_value_by_txid: Vec<(Txid, i64)> = Vec::new();
    let mut outpoints = Vec::new();
    let allow_used_addresses =
        !wallet.avoid_reuse || coin_control.is_some_and(|c| !c.avoid_address_reuse);

    for o in wallet.outputs {
        if !passes_tx_checks(o, coin_control, params) {
            continue;
        }
        let value = o.txout.value.to_sat() as i64;
        if value < params.min_amount || value > params.max_amount {
            continue;
        }
        // Preset inputs are fetched on their own.
        if coin_control.is_some_and(|c| c.is_selected(&o.outpoint)) {
            continue;
        }
        if o.is_locked && params.skip_locked {
            continue;
        }
        if o.is_spent {
            continue;
        }
        if !allow_used_addresses && o.address_used {
            continue;
        }

        let coin = to_coin(o, feerate);
        if o.tx_version == TRUC_VERSION && o.depth == 0 && params.check_version_trucness {
            let txid = o.outpoint.txid;
            match truc_value_by_txid.iter_mut().find(|(t, _)| *t == txid) {
                Some((_, v)) => *v = v.saturating_add(value),
                None => truc_value_by_txid.push((txid, value)),
            }
            unconfirmed_truc.push((o.output_type, coin));
        } else {
            result.add(o.output_type, coin);
        }
        outpoints.push(o.outpoint);

        if params.min_sum_amount != MAX_MONEY && result.total_amount() >= params.min_sum_amount {
            return Ok(result);
        }
        if params.max_count > 0 && result.size() as u64 >= params.max_count {
            return Ok(result);
        }
    }

    // A TRUC child may have only one unconfirmed parent: take the outputs
    // of the most valuable one.
    let mut best: Option<(Txid, i64)> = None;
    for (txid, value) in &truc_value_by_txid {
        if best.is_none_or(|(_, b)| *value > b) {
            best = Some((*txid, *value));
        }
    }
    if let Some((best_txid, _)) = best {
        for (output_type, coin) in unconfirmed_truc {
            if coin.outpoint.txid == best_txid {
                result.add(output_type, coin);
            }
        }
    }

    if let Some(rate) = feerate {
        let bump_fees = wallet.env.individual_bump_fees(&outpoints, rate)?;
        result = reprice(result, &bump_fees);
    }
    Ok(result)
}

/// `coins` with the ancestors' bump fees applied, totals recomputed.
fn reprice(coins: CoinsResult, bump_fees: &BTreeMap<OutPoint, i64>) -> CoinsResult {
    let mut out = CoinsResult::new();
    for (output_type, coin) in coins.all() {
        let mut coin = coin.clone();
        // The node leaves out outpoints needing no bump.
        coin.apply_bump_fee(bump_fees.get(&coin.outpoint).copied().unwrap_or(0).max(0));
        out.add(output_type, coin);
    }
    out
}

/// The user's preset inputs as coins priced at `feerate` (Core's
/// `FetchSelectedInputs`): the wallet's own outputs, or external ones whose
/// output coin control carries; sized by coin control's weight, else the
/// wallet's or coin control's solving data. Errors with Core's texts for an
/// unknown or unsolvable input, or an unconfirmed one whose TRUC-ness does
/// not match the transaction's version.
pub fn fetch_selected_inputs(
    wallet: &SpendWallet<'_>,
    coin_control: &CoinControl,
    feerate: FeeRate,
) -> Result<CoinsResult, SpendError> {
    let selected = coin_control.list_selected();
    let bump_fees = wallet.env.individual_bump_fees(&selected, feerate)?;
    let mut result = CoinsResult::new();
    for outpoint in selected {
        let mut input_bytes = coin_control.input_weight(&outpoint).map(vsize_from_weight);
        let txout = match wallet.output(&outpoint) {
            Some(o) => {
                if input_bytes.is_none() {
                    input_bytes = o.input_bytes();
                }
                if o.depth == 0 {
                    if o.tx_version == TRUC_VERSION && coin_control.version != TRUC_VERSION {
                        return Err(SpendError::TrucPresetInNonTruc(coin_control.version));
                    }
                    if coin_control.version == TRUC_VERSION && o.tx_version != TRUC_VERSION {
                        return Err(SpendError::NonTrucPresetInTruc(o.tx_version));
                    }
                }
                o.txout.clone()
            }
            None => coin_control
                .external_output(&outpoint)
                .cloned()
                .ok_or(SpendError::PresetNotFound(outpoint))?,
        };
        if input_bytes.is_none() {
            input_bytes = coin_control
                .external_solving
                .get(&txout.script_pubkey)
                .map(InputSatisfaction::input_vsize);
        }
        let input_bytes = input_bytes.ok_or(SpendError::PresetNotSolvable(outpoint))?;
        // Depth, safety and origin do not matter for inputs that are not
        // being selected.
        let mut coin = Coin::new(outpoint, txout, 0, Some(input_bytes), false, feerate);
        coin.apply_bump_fee(bump_fees.get(&outpoint).copied().unwrap_or(0).max(0));
        result.add(OutputType::Unknown, coin);
    }
    Ok(result)
}
