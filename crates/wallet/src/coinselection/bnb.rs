//! Branch and Bound (Core's `SelectCoinsBnB`): a depth-first search for the
//! changeless input set of least waste, whose amount lies in
//! [target, target + cost_of_change].

use std::cmp::Ordering;

use super::{OutputGroup, SelectionAlgorithm, SelectionError, SelectionResult, TOTAL_TRIES};

/// Descending amount, lower waste first on ties, so that of two groups with
/// the same amount the first is never worse to pick.
pub(crate) fn descending_waste(a: &OutputGroup, b: &OutputGroup) -> Ordering {
    b.selection_amount()
        .cmp(&a.selection_amount())
        .then_with(|| a.waste().cmp(&b.waste()))
}

/// Searches `pool` (positive amounts only) for the changeless selection of
/// least waste whose amount is within `cost_of_change` above
/// `selection_target` and whose weight is at most `max_selection_weight`.
/// Gives up after [`TOTAL_TRIES`] input sets, keeping the best so far.
pub fn select_coins_bnb(
    pool: &[OutputGroup],
    selection_target: i64,
    cost_of_change: i64,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    // Non-positive groups cannot help and would break the lookahead.
    let mut pool: Vec<&OutputGroup> = pool.iter().filter(|g| g.selection_amount() > 0).collect();
    pool.sort_by(|a, b| descending_waste(a, b));

    // lookahead[i]: the amounts available after index i.
    let mut lookahead = vec![0i64; pool.len()];
    let mut total_available = 0i64;
    for i in (0..pool.len()).rev() {
        lookahead[i] = total_available;
        total_available += pool[i].selection_amount();
    }
    if total_available < selection_target || pool.is_empty() {
        return Err(SelectionError::InsufficientFunds);
    }

    let mut curr_selection: Vec<usize> = Vec::new();
    let mut best_selection: Vec<usize> = Vec::new();
    let mut curr_amount = 0i64;
    let mut curr_waste = 0i64;
    let mut best_waste = i64::MAX;
    let mut curr_weight = 0i64;
    let mut max_weight_exceeded = false;
    let mut next_utxo = 0usize;
    let mut curr_try = 0usize;
    let mut result = SelectionResult::new(selection_target, SelectionAlgorithm::Bnb);

    // The feerate is not known here, but fee > long-term fee iff the
    // target rate is above the long-term rate.
    let is_feerate_high = pool[0].fee > pool[0].long_term_fee;

    loop {
        let mut should_shift = false;
        let mut should_cut = false;

        let utxo = pool[next_utxo];
        curr_amount += utxo.selection_amount();
        curr_weight += utxo.weight;
        curr_waste += utxo.waste();
        curr_selection.push(next_utxo);
        next_utxo += 1;
        curr_try += 1;

        let tail = *curr_selection.last().expect("just pushed");
        if curr_amount + lookahead[tail] < selection_target {
            // Even everything left cannot reach the target.
            should_cut = true;
        } else if curr_weight > max_selection_weight {
            max_weight_exceeded = true;
            should_shift = true;
        } else if curr_amount > selection_target + cost_of_change {
            // Overshot the window; more inputs only overshoot more.
            should_shift = true;
        } else if is_feerate_high && curr_waste > best_waste {
            // At high rates each input adds waste, so this prefix cannot
            // beat the best any more. (At low rates inputs lower waste, so
            // this pruning would be wrong.)
            should_shift = true;
        } else if curr_amount >= selection_target {
            // In the window: a candidate; more inputs only add fees.
            should_shift = true;
            let waste = curr_waste + (curr_amount - selection_target);
            if waste <= best_waste {
                best_selection = curr_selection.clone();
                best_waste = waste;
            }
        }

        if curr_try >= TOTAL_TRIES {
            result.set_algo_completed(false);
            break;
        }

        if next_utxo == pool.len() {
            should_cut = true;
        }

        if should_cut {
            // Go to the omission branch of the penultimate selected coin.
            deselect_last(
                &pool,
                &mut curr_selection,
                &mut curr_amount,
                &mut curr_weight,
                &mut curr_waste,
            );
            should_shift = true;
        }

        let mut done = false;
        while should_shift {
            if curr_selection.is_empty() {
                done = true;
                result.set_algo_completed(true);
                break;
            }
            next_utxo = curr_selection.last().expect("non-empty") + 1;
            deselect_last(
                &pool,
                &mut curr_selection,
                &mut curr_amount,
                &mut curr_weight,
                &mut curr_waste,
            );
            should_shift = false;

            // A successor with the same amount has equal or higher waste
            // (sort order), so trying it in place of the omitted coin can
            // only repeat or worsen what was already evaluated: skip it.
            while pool[next_utxo - 1].selection_amount() == pool[next_utxo].selection_amount() {
                if next_utxo >= pool.len() - 1 {
                    should_shift = true;
                    break;
                }
                next_utxo += 1;
            }
        }
        if done {
            break;
        }
    }

    result.set_selections_evaluated(curr_try);

    if best_selection.is_empty() {
        return Err(if max_weight_exceeded {
            SelectionError::MaxWeightExceeded
        } else {
            SelectionError::InsufficientFunds
        });
    }
    for i in best_selection {
        result.add_input(pool[i])?;
    }
    Ok(result)
}

/// Removes the last selected coin from the running totals.
fn deselect_last(
    pool: &[&OutputGroup],
    selection: &mut Vec<usize>,
    amount: &mut i64,
    weight: &mut i64,
    waste: &mut i64,
) {
    if let Some(i) = selection.pop() {
        *amount -= pool[i].selection_amount();
        *weight -= pool[i].weight;
        *waste -= pool[i].waste();
    }
}
