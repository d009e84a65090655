//! Running the algorithms over the wallet's coins as Core's `spend.cpp`
//! does: grouping and eligibility filters (`GroupOutputs`), one attempt per
//! output type (`AttemptSelection`), the choice among the algorithms'
//! results (`ChooseSelectionResult`), the ladder of ever looser filters
//! (`AutomaticCoinSelection`) and preset inputs (`SelectCoins`).

use std::collections::BTreeMap;

use bitcoin::{OutPoint, ScriptBuf};
use rand::Rng;

use super::{
    best_result, coin_grinder, knapsack_solver, select_coins_bnb, select_coins_srd,
    CoinEligibilityFilter, CoinSelectionParams, CoinsResult, FeeRate, FilteredOutputGroups, Groups,
    OutputGroup, OutputGroupTypeMap, OutputType, SelectionAlgorithm, SelectionError,
    SelectionResult, MAX_STANDARD_TX_WEIGHT, OUTPUT_GROUP_MAX_ENTRIES, TRUC_CHILD_MAX_WEIGHT,
    TRUC_VERSION, WITNESS_SCALE_FACTOR,
};

/// An eligibility filter and whether its attempt may mix output types
/// (Core's `SelectionFilter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectionFilter {
    /// Which groups are eligible.
    pub filter: CoinEligibilityFilter,
    /// Whether to fall back to mixing output types when no single type
    /// can fund the transaction.
    pub allow_mixed_output_types: bool,
}

impl From<CoinEligibilityFilter> for SelectionFilter {
    fn from(filter: CoinEligibilityFilter) -> Self {
        SelectionFilter {
            filter,
            allow_mixed_output_types: true,
        }
    }
}

/// The chain's bump fee for a set of unconfirmed outpoints' shared ancestry
/// at a fee rate (Core's `Chain::calculateCombinedBumpFee`); `None` when the
/// cluster is too large to compute.
pub type CombinedBumpFee<'a> = &'a dyn Fn(&[OutPoint], FeeRate) -> Option<i64>;

/// What selection needs from the wallet and the chain beyond the coins.
#[derive(Clone, Copy)]
pub struct SelectionContext<'a> {
    /// The mempool's ancestor count limit (Core's default 25).
    pub limit_ancestor_count: u32,
    /// The mempool's descendant count limit (Core's default 25).
    pub limit_descendant_count: u32,
    /// Whether our own unconfirmed change may be spent (`-spendzeroconfchange`).
    pub spend_zero_conf_change: bool,
    /// Whether to refuse coins with unconfirmed chains beyond the mempool
    /// limits (`-walletrejectlongchains`).
    pub reject_long_chains: bool,
    /// How to price the shared ancestry of unconfirmed inputs; without it
    /// no discount on their summed bump fees is given.
    pub combined_bump_fee: Option<CombinedBumpFee<'a>>,
}

impl Default for SelectionContext<'_> {
    fn default() -> Self {
        SelectionContext {
            limit_ancestor_count: 25,
            limit_descendant_count: 25,
            spend_zero_conf_change: true,
            reject_long_chains: true,
            combined_bump_fee: None,
        }
    }
}

impl std::fmt::Debug for SelectionContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectionContext")
            .field("limit_ancestor_count", &self.limit_ancestor_count)
            .field("limit_descendant_count", &self.limit_descendant_count)
            .field("spend_zero_conf_change", &self.spend_zero_conf_change)
            .field("reject_long_chains", &self.reject_long_chains)
            .field("combined_bump_fee", &self.combined_bump_fee.is_some())
            .finish()
    }
}

/// Groups `coins` and files each group under every filter it passes
/// (Core's `GroupOutputs`). Without avoid-partial-spends each coin is its
/// own group. With it, coins paying the same script (and type) are grouped,
/// at most [`OUTPUT_GROUP_MAX_ENTRIES`] per group; a script's last, partial
/// group is skipped when full ones exist, unless the filter includes
/// partial groups. Also returns the groups no filter accepted.
pub fn group_outputs(
    coins: &CoinsResult,
    params: &CoinSelectionParams,
    filters: &[SelectionFilter],
) -> (FilteredOutputGroups, Vec<OutputGroup>) {
    let mut filtered = FilteredOutputGroups::new();
    let mut discarded = Vec::new();
    let new_group = || OutputGroup::new(params.long_term_feerate, params.subtract_fee_outputs);

    if !params.avoid_partial_spends {
        for (output_type, coin) in coins.all() {
            let mut group = new_group();
            group.insert(coin.clone());
            let mut accepted = false;
            for f in filters {
                if !group.eligible_for_spending(&f.filter) {
                    continue;
                }
                filtered
                    .entry(f.filter)
                    .or_default()
                    .push(&group, output_type, true, true);
                accepted = true;
            }
            if !accepted {
                discarded.push(group);
            }
        }
        return (filtered, discarded);
    }

    // Keyed like Core's map over (script, type), whose script order is by
    // length first, so groups come out in the same order.
    type ScriptGroups = BTreeMap<(usize, ScriptBuf, OutputType), Vec<OutputGroup>>;
    let insert = |map: &mut ScriptGroups, coin: &super::Coin, output_type: OutputType| {
        let spk = coin.txout.script_pubkey.clone();
        let groups = map.entry((spk.len(), spk, output_type)).or_default();
        // Cap group size so that spending an address's coins together
        // cannot surprise the user with a huge fee.
        if groups
            .last()
            .is_none_or(|g| g.outputs.len() >= OUTPUT_GROUP_MAX_ENTRIES)
        {
            groups.push(new_group());
        }
        groups
            .last_mut()
            .expect("just ensured")
            .insert(coin.clone());
    };

    let mut all_map = ScriptGroups::new();
    let mut positive_map = ScriptGroups::new();
    for (output_type, coin) in coins.all() {
        if coin.effective_value() > 0 {
            insert(&mut positive_map, coin, output_type);
        }
        insert(&mut all_map, coin, output_type);
    }

    let mut push_groups = |map: &ScriptGroups, positive_only: bool| {
        for ((_, _, output_type), groups) in map {
            // Last group first: it is the only one that may be partial.
            for (i, group) in groups.iter().rev().enumerate() {
                let mut accepted = false;
                for f in filters {
                    if !group.eligible_for_spending(&f.filter) {
                        continue;
                    }
                    if i == 0 && groups.len() > 1 && !f.filter.include_partial_groups {
                        continue;
                    }
                    filtered.entry(f.filter).or_default().push(
                        group,
                        *output_type,
                        positive_only,
                        !positive_only,
                    );
                    accepted = true;
                }
                if !accepted {
                    discarded.push(group.clone());
                }
            }
        }
    };
    push_groups(&all_map, false);
    push_groups(&positive_map, true);
    (filtered, discarded)
}

/// Runs every applicable algorithm on `groups` and returns the result of
/// least waste, ties going to more inputs (Core's `ChooseSelectionResult`).
/// BnB is skipped when fees come out of the outputs; CoinGrinder runs only
/// above three times the long-term fee rate. When nothing is found, the
/// first detailed error is returned, else insufficient funds.
pub fn choose_selection_result<R: Rng + ?Sized>(
    target: i64,
    groups: &Groups,
    params: &CoinSelectionParams,
    rng: &mut R,
    ctx: &SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut note = |r: Result<SelectionResult, SelectionError>,
                    results: &mut Vec<SelectionResult>| match r {
        Ok(r) => results.push(r),
        Err(e) if e.is_detailed() => errors.push(e),
        Err(_) => {}
    };

    let mut max_selection_weight = params.max_selection_weight();
    if max_selection_weight <= 0 {
        return Err(SelectionError::MaxWeightBelowNoInputsWeight);
    }

    // A changeless input set is where BnB shines, but with fees coming out
    // of the outputs it often misjudges: skip it then.
    if !params.subtract_fee_outputs {
        note(
            select_coins_bnb(
                &groups.positive_group,
                target,
                params.cost_of_change,
                max_selection_weight,
            ),
            &mut results,
        );
    }

    // The other algorithms may add change, so its weight must fit too.
    max_selection_weight -= i64::from(params.change_output_size) * WITNESS_SCALE_FACTOR;
    if max_selection_weight < 0 && results.is_empty() {
        return Err(SelectionError::MaxWeightTooLowForChange);
    }

    // Knapsack keeps its legacy habit of spending uneconomic coins, so it
    // gets all groups.
    note(
        knapsack_solver(
            &groups.mixed_group,
            target,
            params.min_change_target,
            rng,
            max_selection_weight,
        ),
        &mut results,
    );

    if params.effective_feerate > params.long_term_feerate.times(3) {
        let cg = coin_grinder(
            &groups.positive_group,
            target,
            params.min_change_target,
            max_selection_weight,
        );
        note(cg, &mut results);
    }

    note(
        select_coins_srd(
            &groups.positive_group,
            target,
            params.change_fee,
            rng,
            max_selection_weight,
        ),
        &mut results,
    );

    if results.is_empty() {
        return Err(errors
            .into_iter()
            .next()
            .unwrap_or(SelectionError::InsufficientFunds));
    }

    for result in &mut results {
        // Unconfirmed inputs sharing ancestors need less bump fee together
        // than their individual bump fees add up to.
        let unconfirmed: Vec<&super::Coin> =
            result.inputs().values().filter(|c| c.depth <= 0).collect();
        if let (Some(bump), false) = (ctx.combined_bump_fee, unconfirmed.is_empty()) {
            let outpoints: Vec<OutPoint> = unconfirmed.iter().map(|c| c.outpoint).collect();
            let summed: i64 = unconfirmed.iter().map(|c| c.ancestor_bump_fees).sum();
            let combined = bump(&outpoints, params.effective_feerate)
                .ok_or(SelectionError::BumpFeeUnavailable)?;
            // The mempool may have changed since the coins were priced;
            // never make the discount negative.
            let overestimate = summed - combined;
            if overestimate > 0 {
                result.set_bump_fee_discount(overestimate);
            }
        }
        result.recalculate_waste(
            params.min_viable_change,
            params.cost_of_change,
            params.change_fee,
        );
    }

    Ok(best_result(results).expect("results is not empty"))
}

/// Selects within each output type and returns the least wasteful result;
/// only if no single type suffices, and mixing is allowed, selects over all
/// types together (Core's `AttemptSelection`). A detailed error from any
/// type ends the attempt.
pub fn attempt_selection<R: Rng + ?Sized>(
    target: i64,
    groups: &OutputGroupTypeMap,
    params: &CoinSelectionParams,
    allow_mixed_output_types: bool,
    rng: &mut R,
    ctx: &SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let mut results = Vec::new();
    for type_groups in groups.groups_by_type.values() {
        match choose_selection_result(target, type_groups, params, rng, ctx) {
            Ok(r) => results.push(r),
            Err(e) if e.is_detailed() => return Err(e),
            Err(_) => {}
        }
    }
    if let Some(best) = best_result(results) {
        return Ok(best);
    }
    if allow_mixed_output_types && groups.types_count() > 1 {
        return choose_selection_result(target, &groups.all_groups, params, rng, ctx);
    }
    Err(SelectionError::InsufficientFunds)
}

/// Core's ladder of eligibility filters, strictest first: confirmed coins
/// (six confirmations for others' payments, without mixing types), then one
/// confirmation, then our own unconfirmed change with growing ancestor and
/// cluster allowances, partial groups, unsafe coins if allowed, and no
/// chain limits at all unless long chains are rejected.
pub fn eligibility_filters(
    params: &CoinSelectionParams,
    ctx: &SelectionContext<'_>,
) -> Vec<SelectionFilter> {
    let max_ancestors = u64::from(ctx.limit_ancestor_count.max(1));
    let max_cluster = u64::from(ctx.limit_descendant_count.max(1));
    let mut filters = vec![
        SelectionFilter {
            filter: CoinEligibilityFilter::new(1, 6, 0),
            allow_mixed_output_types: false,
        },
        CoinEligibilityFilter::new(1, 1, 0).into(),
    ];
    if ctx.spend_zero_conf_change {
        filters.push(CoinEligibilityFilter::new(0, 1, 2).into());
        filters.push(
            CoinEligibilityFilter::with_limits(
                0,
                1,
                4.min(max_ancestors / 3),
                4.min(max_cluster / 3),
                false,
            )
            .into(),
        );
        filters.push(
            CoinEligibilityFilter::with_limits(0, 1, max_ancestors / 2, max_cluster / 2, false)
                .into(),
        );
        filters.push(
            CoinEligibilityFilter::with_limits(0, 1, max_ancestors - 1, max_cluster - 1, true)
                .into(),
        );
        if params.include_unsafe_inputs {
            filters.push(
                CoinEligibilityFilter::with_limits(0, 0, max_ancestors - 1, max_cluster - 1, true)
                    .into(),
            );
        }
        if !ctx.reject_long_chains {
            filters.push(CoinEligibilityFilter::with_limits(0, 1, u64::MAX, u64::MAX, true).into());
        }
    }
    filters
}

/// Selects coins for `value_to_select`, trying the filters of
/// [`eligibility_filters`] in turn until one attempt succeeds (Core's
/// `AutomaticCoinSelection`). Fails early when the eligible coins cannot
/// cover the value, naming too long unconfirmed chains when they are what
/// is missing; a TRUC transaction spending unconfirmed coins is held to the
/// TRUC child weight.
pub fn automatic_coin_selection<R: Rng + ?Sized>(
    available_coins: &CoinsResult,
    value_to_select: i64,
    params: &CoinSelectionParams,
    rng: &mut R,
    ctx: &SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let max_ancestors = ctx.limit_ancestor_count.max(1) as usize;
    let max_cluster = ctx.limit_descendant_count.max(1) as usize;

    // Many coins to one address would otherwise be grouped in a
    // predictable order, leaking which were received when.
    let shuffled;
    let coins = if params.avoid_partial_spends && available_coins.size() > OUTPUT_GROUP_MAX_ENTRIES
    {
        let mut c = available_coins.clone();
        c.shuffle(rng);
        shuffled = c;
        &shuffled
    } else {
        available_coins
    };

    let filters = eligibility_filters(params, ctx);
    let (filtered, discarded) = group_outputs(coins, params, &filters);

    let mut total_discarded = 0i64;
    let mut total_unconf_long_chain = 0i64;
    for group in &discarded {
        total_discarded += group.selection_amount();
        if group.ancestors >= max_ancestors || group.max_cluster_count >= max_cluster {
            total_unconf_long_chain += group.selection_amount();
        }
    }
    let total_amount = coins.total_amount() - total_discarded;
    if total_amount < value_to_select {
        if total_amount + total_unconf_long_chain > value_to_select {
            return Err(SelectionError::UnconfirmedChainTooLong);
        }
        return Err(SelectionError::InsufficientFunds);
    }

    let mut detailed_errors = Vec::new();
    let mut attempt_params = params.clone();
    for f in &filters {
        let Some(groups) = filtered.get(&f.filter) else {
            continue;
        };
        if attempt_params.version == TRUC_VERSION
            && (f.filter.conf_mine == 0 || f.filter.conf_theirs == 0)
        {
            // A TRUC child of an unconfirmed parent must stay small.
            if attempt_params
                .max_tx_weight
                .is_some_and(|w| w > TRUC_CHILD_MAX_WEIGHT)
            {
                attempt_params.max_tx_weight = Some(TRUC_CHILD_MAX_WEIGHT);
            }
        }
        match attempt_selection(
            value_to_select,
            groups,
            &attempt_params,
            f.allow_mixed_output_types,
            rng,
            ctx,
        ) {
            Ok(r) => return Ok(r),
            Err(e) if e.is_detailed() => detailed_errors.push(e),
            Err(_) => {}
        }
    }
    Err(detailed_errors
        .into_iter()
        .next()
        .unwrap_or(SelectionError::InsufficientFunds))
}

/// Selects coins for `target` on top of the preset (user chosen) inputs
/// (Core's `SelectCoins`): the presets alone if they suffice or if no other
/// inputs are allowed, else an automatic selection for the rest merged with
/// them, which must still fit the weight limit.
pub fn select_coins<R: Rng + ?Sized>(
    available_coins: &CoinsResult,
    preset_inputs: &CoinsResult,
    target: i64,
    allow_other_inputs: bool,
    params: &CoinSelectionParams,
    rng: &mut R,
    ctx: &SelectionContext<'_>,
) -> Result<SelectionResult, SelectionError> {
    let preset_total = preset_inputs.appropriate_total(params.subtract_fee_outputs);
    let selection_target = target - preset_total;

    if !allow_other_inputs && selection_target > 0 {
        return Err(SelectionError::PresetInputsInsufficient);
    }

    let preset_coins = || preset_inputs.all().map(|(_, c)| c);
    if selection_target <= 0 {
        let mut result = SelectionResult::new(target, SelectionAlgorithm::Manual);
        result.add_inputs(preset_coins(), params.subtract_fee_outputs)?;
        result.recalculate_waste(
            params.min_viable_change,
            params.cost_of_change,
            params.change_fee,
        );
        return Ok(result);
    }

    if selection_target > available_coins.appropriate_total(params.subtract_fee_outputs) {
        return Err(SelectionError::InsufficientFunds);
    }

    let mut result = automatic_coin_selection(available_coins, selection_target, params, rng, ctx)?;

    if !preset_inputs.is_empty() {
        let mut preselected = SelectionResult::new(preset_total, SelectionAlgorithm::Manual);
        preselected.add_inputs(preset_coins(), params.subtract_fee_outputs)?;
        result.merge(&preselected)?;
        result.recalculate_waste(
            params.min_viable_change,
            params.cost_of_change,
            params.change_fee,
        );

        let max_inputs_weight = params.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT)
            - i64::from(params.tx_noinputs_size) * WITNESS_SCALE_FACTOR;
        if result.weight() > max_inputs_weight {
            return Err(SelectionError::PresetInputsExceedMaxWeight);
        }
    }
    Ok(result)
}
