//! Knapsack (Core's `KnapsackSolver`): the original selection, kept as a
//! fallback: an exact match, else all smaller groups if they match exactly,
//! else a randomized subset-sum approximation, else the smallest larger
//! group.

use rand::seq::SliceRandom;
use rand::Rng;

use super::bnb::descending_waste;
use super::{OutputGroup, SelectionAlgorithm, SelectionError, SelectionResult};

/// Rounds of the stochastic subset-sum approximation.
const APPROXIMATION_ITERATIONS: usize = 1000;

/// Finds, by random trials, a subset of `groups` (sorted by descending
/// amount) worth at least `target` and as little above as it can, within
/// the weight limit. Starts from "all groups" (worth `total_lower`) and
/// stops early on an exact hit. Returns the chosen flags and their sum.
fn approximate_best_subset<R: Rng + ?Sized>(
    rng: &mut R,
    groups: &[&OutputGroup],
    total_lower: i64,
    target: i64,
    max_selection_weight: i64,
) -> (Vec<bool>, i64) {
    let mut best = vec![true; groups.len()];
    let mut best_total = total_lower;
    let mut included = vec![false; groups.len()];

    let mut rep = 0;
    while rep < APPROXIMATION_ITERATIONS && best_total != target {
        included.iter_mut().for_each(|b| *b = false);
        let mut total = 0i64;
        let mut weight = 0i64;
        let mut reached_target = false;
        // Pass one includes each group by a coin flip; pass two adds the
        // rest in order. The randomness only avoids degenerate behaviour
        // (and may help privacy); it needs to be fast, not secure.
        for pass in 0..2 {
            if reached_target {
                break;
            }
            for i in 0..groups.len() {
                let take = if pass == 0 {
                    rng.gen::<bool>()
                } else {
                    !included[i]
                };
                if !take {
                    continue;
                }
                total += groups[i].selection_amount();
                weight += groups[i].weight;
                included[i] = true;
                if total >= target && weight <= max_selection_weight {
                    reached_target = true;
                    if total < best_total {
                        best_total = total;
                        best.clone_from(&included);
                    }
                    // Back out this group and keep trying smaller sums.
                    total -= groups[i].selection_amount();
                    weight -= groups[i].weight;
                    included[i] = false;
                }
            }
        }
        rep += 1;
    }
    (best, best_total)
}

/// Selects from `groups` for `target`, preferring to leave at least
/// `change_target` of change when not matching exactly; the groups are
/// shuffled first with `rng`, which also drives the approximation.
pub fn knapsack_solver<R: Rng + ?Sized>(
    groups: &[OutputGroup],
    target: i64,
    change_target: i64,
    rng: &mut R,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    let mut result = SelectionResult::new(target, SelectionAlgorithm::Knapsack);
    let mut max_weight_exceeded = false;
    let mut lowest_larger: Option<&OutputGroup> = None;
    // Groups below target + change: larger ones would only overshoot.
    let mut applicable: Vec<&OutputGroup> = Vec::new();
    let mut total_lower = 0i64;

    let mut shuffled: Vec<&OutputGroup> = groups.iter().collect();
    shuffled.shuffle(rng);

    for group in shuffled {
        if group.weight > max_selection_weight {
            max_weight_exceeded = true;
            continue;
        }
        let amount = group.selection_amount();
        if amount == target {
            result.add_input(group)?;
            return Ok(result);
        } else if amount < target + change_target {
            applicable.push(group);
            total_lower += amount;
        } else if lowest_larger.is_none_or(|l| amount < l.selection_amount()) {
            lowest_larger = Some(group);
        }
    }

    if total_lower == target {
        for group in &applicable {
            result.add_input(group)?;
        }
        if result.weight() <= max_selection_weight {
            return Ok(result);
        }
        max_weight_exceeded = true;
        result.clear();
    }

    if total_lower < target {
        return match lowest_larger {
            Some(larger) => {
                result.add_input(larger)?;
                Ok(result)
            }
            None if max_weight_exceeded => Err(SelectionError::MaxWeightExceeded),
            None => Err(SelectionError::InsufficientFunds),
        };
    }

    applicable.sort_by(|a, b| descending_waste(a, b));
    let (mut best, mut best_total) =
        approximate_best_subset(rng, &applicable, total_lower, target, max_selection_weight);
    if best_total != target && total_lower >= target + change_target {
        (best, best_total) = approximate_best_subset(
            rng,
            &applicable,
            total_lower,
            target + change_target,
            max_selection_weight,
        );
    }

    // Take the smallest larger group if the subsets found neither an exact
    // match nor room for change, or if it is at least as close.
    if let Some(larger) = lowest_larger.filter(|l| {
        (best_total != target && best_total < target + change_target)
            || l.selection_amount() <= best_total
    }) {
        result.add_input(larger)?;
    } else {
        for (group, _) in applicable.iter().zip(&best).filter(|(_, b)| **b) {
            result.add_input(group)?;
        }
        if result.weight() > max_selection_weight {
            let Some(larger) = lowest_larger else {
                return Err(SelectionError::MaxWeightExceeded);
            };
            result.clear();
            result.add_input(larger)?;
        }
        tracing::debug!(
            target: "selectcoins",
            "Coin selection best subset: {:?} total {}",
            applicable
                .iter()
                .zip(&best)
                .filter(|(_, b)| **b)
                .map(|(g, _)| g.value)
                .collect::<Vec<_>>(),
            best_total
        );
    }
    Ok(result)
}
