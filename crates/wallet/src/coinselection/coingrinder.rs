//! CoinGrinder (Core's `CoinGrinder`): a depth-first search for the input
//! set of least weight that funds the target plus a change output, used at
//! high fee rates where every input byte is expensive.

use std::cmp::Ordering;

use super::{OutputGroup, SelectionAlgorithm, SelectionError, SelectionResult, TOTAL_TRIES};

/// Descending amount, lower weight first on ties, so that of two groups
/// with the same amount the first is never worse to pick.
pub(crate) fn descending_weight(a: &OutputGroup, b: &OutputGroup) -> Ordering {
    b.selection_amount()
        .cmp(&a.selection_amount())
        .then_with(|| a.weight.cmp(&b.weight))
}

/// Searches `pool` (positive amounts only) for the lightest selection worth
/// at least `selection_target + change_target` and at most
/// `max_selection_weight`; of equally light ones, the smallest amount. Gives
/// up after [`TOTAL_TRIES`] input sets, keeping the best so far.
pub fn coin_grinder(
    pool: &[OutputGroup],
    selection_target: i64,
    change_target: i64,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    // Non-positive groups cannot help and would divide by zero below.
    let mut pool: Vec<&OutputGroup> = pool.iter().filter(|g| g.selection_amount() > 0).collect();
    pool.sort_by(|a, b| descending_weight(a, b));

    // lookahead[i]: the amounts after index i; min_tail_weight[i]: the
    // lightest weight after index i.
    let mut lookahead = vec![0i64; pool.len()];
    let mut min_tail_weight = vec![0i64; pool.len()];
    let mut total_available = 0i64;
    let mut min_group_weight = i64::MAX;
    for i in (0..pool.len()).rev() {
        lookahead[i] = total_available;
        min_tail_weight[i] = min_group_weight;
        total_available += pool[i].selection_amount();
        min_group_weight = min_group_weight.min(pool[i].weight);
    }

    let total_target = selection_target + change_target;
    if total_available < total_target || pool.is_empty() {
        return Err(SelectionError::InsufficientFunds);
    }

    let mut curr_selection: Vec<usize> = Vec::new();
    let mut best_selection: Vec<usize> = Vec::new();
    let mut curr_amount = 0i64;
    let mut best_selection_amount = i64::MAX;
    let mut curr_weight = 0i64;
    // Starting at the limit makes "too heavy" and "not lighter than the
    // best" one test; a tie at the limit is still accepted.
    let mut best_selection_weight = max_selection_weight;
    let mut max_weight_exceeded = false;
    let mut next_utxo = 0usize;
    let mut curr_try = 0usize;
    let mut result = SelectionResult::new(selection_target, SelectionAlgorithm::CoinGrinder);

    loop {
        let mut should_shift = false;
        let mut should_cut = false;

        let utxo = pool[next_utxo];
        curr_amount += utxo.selection_amount();
        curr_weight += utxo.weight;
        curr_selection.push(next_utxo);
        next_utxo += 1;
        curr_try += 1;

        let tail = *curr_selection.last().expect("just pushed");
        // When the tail is as light as anything after it, replacing it by a
        // later coin cannot be lighter either, so the whole prefix is done.
        let tail_is_lightest = pool[tail].weight <= min_tail_weight[tail];
        if curr_amount + lookahead[tail] < total_target {
            should_cut = true;
        } else if curr_weight > best_selection_weight {
            if curr_weight > max_selection_weight {
                max_weight_exceeded = true;
            }
            if tail_is_lightest {
                should_cut = true;
            } else {
                should_shift = true;
            }
        } else if curr_amount >= total_target {
            // Funded: more coins only add weight.
            should_shift = true;
            if curr_weight < best_selection_weight
                || (curr_weight == best_selection_weight && curr_amount < best_selection_amount)
            {
                best_selection = curr_selection.clone();
                best_selection_weight = curr_weight;
                best_selection_amount = curr_amount;
            }
        } else if !best_selection.is_empty() {
            // The missing amount needs at least this many more coins no
            // bigger than the tail, each at least the lightest later weight.
            let tail_amount = pool[tail].selection_amount();
            let coins_needed = (total_target - curr_amount + tail_amount - 1) / tail_amount;
            let bound = i128::from(curr_weight)
                + i128::from(min_tail_weight[tail]) * i128::from(coins_needed);
            if bound > i128::from(best_selection_weight) {
                if tail_is_lightest {
                    should_cut = true;
                } else {
                    should_shift = true;
                }
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
            deselect_last(
                &pool,
                &mut curr_selection,
                &mut curr_amount,
                &mut curr_weight,
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
            );
            should_shift = false;

            // A successor with the same amount weighs the same or more (sort
            // order), so using it instead of the omitted coin cannot improve.
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
) {
    if let Some(i) = selection.pop() {
        *amount -= pool[i].selection_amount();
        *weight -= pool[i].weight;
    }
}
