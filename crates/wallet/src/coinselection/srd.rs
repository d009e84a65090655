//! Single Random Draw (Core's `SelectCoinsSRD`): draw coins in random order
//! until they fund the target plus a minimal change output.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::seq::SliceRandom;
use rand::Rng;

use super::{OutputGroup, SelectionAlgorithm, SelectionError, SelectionResult, CHANGE_LOWER};

/// Draws groups of `pool` (positive amounts only) in random order until
/// they reach `target_value + CHANGE_LOWER + change_fee`. Whenever the
/// weight goes over `max_selection_weight`, the least valuable drawn groups
/// (the heavier first among equals) are dropped until it fits again; being
/// greedy, this can miss solutions in contrived pools.
pub fn select_coins_srd<R: Rng + ?Sized>(
    pool: &[OutputGroup],
    target_value: i64,
    change_fee: i64,
    rng: &mut R,
    max_selection_weight: i64,
) -> Result<SelectionResult, SelectionError> {
    let mut result = SelectionResult::new(target_value, SelectionAlgorithm::Srd);

    // Aim for change of at least CHANGE_LOWER so that a barely sufficient
    // draw does not leave dust-like change. The random draw already
    // randomizes the change amount, so the random change target is not used.
    let target = target_value + CHANGE_LOWER + change_fee;

    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.shuffle(rng);

    // Top of the heap: lowest amount, then highest weight.
    let mut heap: BinaryHeap<(Reverse<i64>, i64, usize)> = BinaryHeap::new();
    let mut selected = 0i64;
    let mut weight = 0i64;
    let mut max_weight_exceeded = false;
    for i in order {
        let group = &pool[i];
        if group.selection_amount() <= 0 {
            // Cannot help; the caller should have filtered it.
            continue;
        }
        heap.push((Reverse(group.selection_amount()), group.weight, i));
        selected += group.selection_amount();
        weight += group.weight;

        if weight > max_selection_weight {
            max_weight_exceeded = true;
            while weight > max_selection_weight {
                let Some((Reverse(amount), w, _)) = heap.pop() else {
                    break;
                };
                selected -= amount;
                weight -= w;
            }
        }

        if selected >= target {
            for (_, _, j) in heap.into_vec() {
                result.add_input(&pool[j])?;
            }
            return Ok(result);
        }
    }
    Err(if max_weight_exceeded {
        SelectionError::MaxWeightExceeded
    } else {
        SelectionError::InsufficientFunds
    })
}
