//! Building a transaction (Core's `CreateTransaction` and
//! `CreateTransactionInternal`): the fee rate, coin selection around the
//! recipients and a change output, the change amount or its drop into the
//! fee, fees subtracted from recipients, sequences and the anti-fee-sniping
//! lock time, and the final limits. The result is unsigned.

use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut};
use rand::Rng;

use super::available::{available_coins, fetch_selected_inputs, CoinFilterParams, SpendWallet};
use super::change::{set_change_sizes, transaction_change_type, ChangeReservation};
use super::coincontrol::CoinControl;
use super::dust::{get_dust_threshold, is_dust_value};
use super::error::SpendError;
use super::fees::{get_discard_rate, get_minimum_fee_rate, FeeCalculation, FeeReason};
use super::inputs::{input_size_info, ordered_inputs, unsigned_transaction};
use super::script::{compact_size_len, script_for_destination, txout_size};
use super::size::calculate_maximum_signed_tx_size;
use super::MIN_STANDARD_TX_NONWITNESS_SIZE;
use crate::coinselection::{
    generate_change_target, select_coins, CoinSelectionParams, CoinsResult, FeeRate,
    SelectionContext, MAX_STANDARD_TX_WEIGHT, WITNESS_SCALE_FACTOR,
};

/// One payment of the transaction (Core's `CRecipient`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The script paid.
    pub script_pubkey: ScriptBuf,
    /// Satoshis.
    pub amount: i64,
    /// Whether the fee comes out of this amount.
    pub subtract_fee: bool,
}

impl From<&interfaces::wallet::Recipient> for Recipient {
    fn from(r: &interfaces::wallet::Recipient) -> Self {
        Recipient {
            script_pubkey: script_for_destination(&r.dest),
            amount: r.amount,
            subtract_fee: r.subtract_fee_from_amount,
        }
    }
}

/// A transaction made and what it pays (Core's `CreatedTransactionResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedTransaction {
    /// The transaction; inputs carry no signatures beyond scripts coin
    /// control preset.
    pub tx: Transaction,
    /// The fee it pays.
    pub fee: i64,
    /// Index of the change output, if any.
    pub change_pos: Option<usize>,
    /// How the fee rate was chosen.
    pub fee_calc: FeeCalculation,
}

/// Creates a transaction paying `recipients` (Core's `CreateTransaction`).
/// The change output goes at `change_pos`, or at a random position when
/// unset. Unless coin control already avoids partial spends (or
/// `-maxapsfee` is -1), a second attempt spending whole address groups is
/// made and preferred if it costs at most `-maxapsfee` more.
pub fn create_transaction<R: Rng + ?Sized>(
    wallet: &SpendWallet<'_>,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    coin_control: &CoinControl,
    rng: &mut R,
) -> Result<CreatedTransaction, SpendError> {
    if recipients.is_empty() {
        return Err(SpendError::NoRecipients);
    }
    if recipients.iter().any(|r| r.amount < 0) {
        return Err(SpendError::NegativeAmount);
    }

    let ungrouped = create_transaction_internal(wallet, recipients, change_pos, coin_control, rng)?;
    // A zero fee means fee estimation is not working; nothing to compare.
    if ungrouped.fee > 0 && wallet.config.max_aps_fee > -1 && !coin_control.avoid_partial_spends {
        let mut grouped_cc = coin_control.clone();
        grouped_cc.avoid_partial_spends = true;
        // Reuse the first attempt's change address rather than skip an
        // index of the keychain.
        if let Some(pos) = ungrouped.change_pos {
            if let Some(out) = ungrouped.tx.output.get(pos) {
                grouped_cc.dest_change = Some(out.script_pubkey.clone());
            }
        }
        if let Ok(grouped) =
            create_transaction_internal(wallet, recipients, change_pos, &grouped_cc, rng)
        {
            let use_aps = grouped.fee <= ungrouped.fee.saturating_add(wallet.config.max_aps_fee);
            wallet.env.log(format_args!(
                "Fee non-grouped = {}, grouped = {}, using {}",
                ungrouped.fee,
                grouped.fee,
                if use_aps { "grouped" } else { "non-grouped" }
            ));
            if use_aps {
                return Ok(grouped);
            }
        }
    }
    Ok(ungrouped)
}

/// The coin selection parameters that do not depend on fee rates.
fn base_params(coin_control: &CoinControl) -> Result<CoinSelectionParams, SpendError> {
    let max_tx_weight = coin_control.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT);
    let min_tx_weight = MIN_STANDARD_TX_NONWITNESS_SIZE * WITNESS_SCALE_FACTOR;
    if !(min_tx_weight..=MAX_STANDARD_TX_WEIGHT).contains(&max_tx_weight) {
        return Err(SpendError::MaxWeightOutOfRange {
            min: min_tx_weight,
            max: MAX_STANDARD_TX_WEIGHT,
        });
    }
    Ok(CoinSelectionParams {
        avoid_partial_spends: coin_control.avoid_partial_spends,
        include_unsafe_inputs: coin_control.include_unsafe_inputs,
        max_tx_weight: Some(max_tx_weight),
        version: coin_control.version,
        ..Default::default()
    })
}

/// Saturating conversion for sizes that are small in practice.
fn to_u32(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Why selection failed, in Core's words: its detailed error, or when the
/// balance covers the amounts but not the fee, how much fee is missing.
fn selection_failure(
    err: crate::coinselection::SelectionError,
    preset: &CoinsResult,
    available: &CoinsResult,
    recipients_sum: i64,
    selection_target: i64,
) -> SpendError {
    if err.is_detailed() {
        return SpendError::Selection(err);
    }
    let balance = preset
        .total_amount()
        .saturating_add(available.total_amount());
    // With fees subtracted the target is the amounts themselves, so a
    // shortfall shows up as a balance below them.
    if balance >= recipients_sum {
        let effective_balance = preset
            .effective_total_amount()
            .saturating_add(available.effective_total_amount());
        if effective_balance < selection_target {
            return SpendError::FeeExceedsBalance(selection_target - recipients_sum);
        }
    }
    SpendError::InsufficientFunds
}

/// One attempt at the transaction (Core's `CreateTransactionInternal`).
fn create_transaction_internal<R: Rng + ?Sized>(
    wallet: &SpendWallet<'_>,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    coin_control: &CoinControl,
    rng: &mut R,
) -> Result<CreatedTransaction, SpendError> {
    let env = wallet.env;
    let config = wallet.config;
    let mut params = base_params(coin_control)?;
    params.long_term_feerate = config.consolidate_feerate;
    // Version, lock time, input count and segwit overhead, plus the outputs.
    let mut tx_noinputs_size = 10 + compact_size_len(recipients.len() as u64);

    let change_type = transaction_change_type(
        env,
        config.default_address_type,
        coin_control.change_type.or(config.default_change_type),
        recipients,
    );
    let dust_relay_fee = env.relay_dust_fee()?;
    let mut recipients_sum: i64 = 0;
    for r in recipients {
        if is_dust_value(r.amount, &r.script_pubkey, dust_relay_fee) {
            return Err(SpendError::AmountTooSmall);
        }
        tx_noinputs_size += txout_size(&r.script_pubkey);
        recipients_sum = recipients_sum.saturating_add(r.amount);
        if r.subtract_fee {
            params.subtract_fee_outputs = true;
        }
    }
    params.tx_noinputs_size = to_u32(tx_noinputs_size);

    let (mut reservation, script_change, change_error) =
        ChangeReservation::for_transaction(env, coin_control, change_type);
    let change_prototype = TxOut {
        value: Amount::ZERO,
        script_pubkey: script_change.clone(),
    };
    set_change_sizes(env, &script_change, &mut params);

    params.discard_feerate = get_discard_rate(config, env)?;
    let (effective_feerate, fee_calc) = get_minimum_fee_rate(config, env, coin_control)?;
    params.effective_feerate = effective_feerate;
    // Never silently pay a different rate than the user asked for.
    if let Some(requested) = coin_control.fee_rate {
        if effective_feerate > requested {
            let required_by = if fee_calc.reason == FeeReason::Required {
                Some((config.min_fee, env.relay_min_fee()?))
            } else {
                None
            };
            return Err(SpendError::FeeRateTooLow {
                requested,
                minimum: effective_feerate,
                required_by,
            });
        }
    }
    if fee_calc.reason == FeeReason::Fallback && !config.allow_fallback_fee() {
        return Err(SpendError::FallbackFeeDisabled);
    }

    // The change output is paid now at the target rate and spent later at
    // the discard rate; change is kept only above both its dust threshold
    // and the fee to spend it.
    params.set_change_costs(get_dust_threshold(
        &change_prototype,
        params.discard_feerate,
    ));
    let average_payment = recipients_sum / (recipients.len().max(1) as i64);
    params.min_change_target = generate_change_target(average_payment, params.change_fee, rng);

    let selection_target = recipients_sum.saturating_add(params.not_input_fees());
    // Only possible at a zero fee rate with zero-value outputs (e.g. data
    // carriers): a transaction without inputs is invalid.
    if selection_target == 0 && !coin_control.has_selected() {
        return Err(SpendError::NothingToFund);
    }

    let preset = if coin_control.has_selected() {
        fetch_selected_inputs(wallet, coin_control, effective_feerate)?
    } else {
        CoinsResult::new()
    };
    let available = if coin_control.allow_other_inputs {
        available_coins(
            wallet,
            Some(coin_control),
            Some(effective_feerate),
            &CoinFilterParams::default(),
        )?
    } else {
        CoinsResult::new()
    };

    let (limit_ancestor_count, limit_descendant_count) = env.package_limits()?;
    // A failed node call reads as "cannot compute", which selection reports.
    let combined_bump_fee = |outpoints: &[OutPoint], rate: FeeRate| {
        env.combined_bump_fee(outpoints, rate).ok().flatten()
    };
    let ctx = SelectionContext {
        limit_ancestor_count,
        limit_descendant_count,
        spend_zero_conf_change: config.spend_zero_conf_change,
        reject_long_chains: config.reject_long_chains,
        combined_bump_fee: Some(&combined_bump_fee),
    };
    let result = select_coins(
        &available,
        &preset,
        selection_target,
        coin_control.allow_other_inputs,
        &params,
        rng,
        &ctx,
    )
    .map_err(|e| selection_failure(e, &preset, &available, recipients_sum, selection_target))?;

    let mut outputs: Vec<(i64, ScriptBuf)> = recipients
        .iter()
        .map(|r| (r.amount, r.script_pubkey.clone()))
        .collect();
    let change_amount = result.change(params.min_viable_change, params.change_fee);
    let change_pos = if change_amount > 0 {
        let pos = match change_pos {
            None => rng.gen_range(0..=outputs.len()),
            Some(p) if p > outputs.len() => return Err(SpendError::ChangeIndexOutOfRange),
            Some(p) => p,
        };
        outputs.insert(pos, (change_amount, script_change.clone()));
        Some(pos)
    } else {
        None
    };

    let selected = ordered_inputs(&result, coin_control, rng);
    let mut tx = unsigned_transaction(wallet, &selected, coin_control, rng)?;

    let size_info = input_size_info(wallet, coin_control, &selected);
    let tx_size =
        calculate_maximum_signed_tx_size(&size_info, outputs.iter().map(|(_, s)| s.as_script()))
            .ok_or(SpendError::MissingSolvingData)?;
    let fee_needed = effective_feerate
        .fee(to_u32(tx_size.vsize))
        .saturating_add(result.total_bump_fees());
    let current_fee = settle_fees(
        &mut outputs,
        recipients,
        change_pos,
        result.selected_value(),
        fee_needed,
        dust_relay_fee,
    )?;
    if script_change.is_empty() && change_pos.is_some() {
        return Err(SpendError::NoChangeAddress(change_error));
    }

    tx.output = outputs
        .into_iter()
        .map(|(value, script_pubkey)| {
            let value = u64::try_from(value)
                .map_err(|_| SpendError::InternalBug("negative output value"))?;
            Ok(TxOut {
                value: Amount::from_sat(value),
                script_pubkey,
            })
        })
        .collect::<Result<_, SpendError>>()?;

    // The wallet signs later; the estimate stands in for the signed weight.
    if tx_size.weight > MAX_STANDARD_TX_WEIGHT {
        return Err(SpendError::TooLarge);
    }
    if current_fee > config.max_tx_fee {
        return Err(SpendError::MaxFeeExceeded);
    }
    if config.reject_long_chains {
        env.check_chain_limits(&tx)
            .map_err(|e| SpendError::ChainLimits(e.0))?;
    }

    // The change address counts as used from now on, so it is never
    // handed out twice.
    reservation.keep();

    env.log(format_args!(
        "Coin Selection: Algorithm:{}, Waste Metric Score:{}",
        result.algo().name(),
        result.waste().unwrap_or_default()
    ));
    env.log(format_args!(
        "Fee Calculation: Fee:{} Bytes:{} Tgt:{} (requested {}) Reason:\"{}\"",
        current_fee,
        tx_size.vsize,
        fee_calc.returned_target,
        fee_calc.desired_target,
        fee_calc.reason.description()
    ));
    Ok(CreatedTransaction {
        tx,
        fee: current_fee,
        change_pos,
        fee_calc,
    })
}

/// Total of the outputs' values.
fn output_value(outputs: &[(i64, ScriptBuf)]) -> i64 {
    outputs
        .iter()
        .fold(0i64, |acc, (v, _)| acc.saturating_add(*v))
}

/// Makes the transaction pay exactly `fee_needed` and returns it: an
/// overpayment goes back to the change, and with fees subtracted from
/// recipients they are reduced by the difference, split evenly with the
/// first paying the remainder. Fails when a reduced output becomes dust,
/// or when Core's invariants on the fee do not hold.
fn settle_fees(
    outputs: &mut [(i64, ScriptBuf)],
    recipients: &[Recipient],
    change_pos: Option<usize>,
    selected_value: i64,
    fee_needed: i64,
    dust_relay_fee: FeeRate,
) -> Result<i64, SpendError> {
    let mut current_fee = selected_value - output_value(outputs);
    if current_fee < 0 {
        return Err(SpendError::InternalBug("Fee paid < 0"));
    }

    if let Some(pos) = change_pos {
        if fee_needed < current_fee {
            let Some(change) = outputs.get_mut(pos) else {
                return Err(SpendError::InternalBug("change position"));
            };
            change.0 += current_fee - fee_needed;
            current_fee = selected_value - output_value(outputs);
            if fee_needed != current_fee {
                return Err(SpendError::InternalBug(
                    "Change adjustment: Fee needed != fee paid",
                ));
            }
        }
    }

    let subtracting = recipients.iter().filter(|r| r.subtract_fee).count() as i64;
    if subtracting > 0 {
        // May be negative: what selection left beyond the fee goes to the
        // recipients rather than to the miner.
        let to_reduce = fee_needed - current_fee;
        let mut i = 0;
        let mut first = true;
        for r in recipients {
            if change_pos == Some(i) {
                i += 1;
            }
            if r.subtract_fee {
                let Some(out) = outputs.get_mut(i) else {
                    return Err(SpendError::InternalBug("SFFO: output index"));
                };
                out.0 -= to_reduce / subtracting;
                // The first recipient pays what does not divide evenly.
                if first {
                    first = false;
                    out.0 -= to_reduce % subtracting;
                }
                if is_dust_value(out.0, &out.1, dust_relay_fee) {
                    return Err(if out.0 < 0 {
                        SpendError::AmountTooSmallToPayFee
                    } else {
                        SpendError::AmountTooSmallAfterFee
                    });
                }
            }
            i += 1;
        }
        current_fee = selected_value - output_value(outputs);
        if fee_needed != current_fee {
            return Err(SpendError::InternalBug("SFFO: Fee needed != fee paid"));
        }
    }

    if fee_needed > current_fee {
        return Err(SpendError::InternalBug("Fee needed > fee paid"));
    }
    Ok(current_fee)
}
