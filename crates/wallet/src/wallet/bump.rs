//! Replacing a wallet transaction with one paying a higher fee (Core's
//! `feebumper`): which transactions may be bumped, the replacement's fee
//! rate (the user's, checked against the replacement rules, or one a little
//! above the original's), its inputs (all of the original's, plus more when
//! needed) and outputs (the original's or the user's, change recycled), and
//! committing it with both transactions marking each other.

use super::spending::SentInfo;
use super::{State, Wallet, Writes};
use crate::coinselection::FeeRate;
use crate::spend::config::WALLET_INCREMENTAL_RELAY_FEE;
use crate::spend::{
    calculate_maximum_signed_tx_size, get_minimum_fee_rate, get_required_fee, CoinControl,
    InputSizeInfo, Recipient,
};
use crate::wallet::spending::NodeFees;
use bitcoin::{OutPoint, Transaction, TxIn, TxOut, Txid};
use consensus::tx_verify::format_money;
use std::collections::BTreeMap;

/// Which RPC error a bump failure maps to (Core's `feebumper::Result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BumpErrorKind {
    /// `RPC_INVALID_ADDRESS_OR_KEY`.
    InvalidAddressOrKey,
    /// `RPC_INVALID_PARAMETER`.
    InvalidParameter,
    /// `RPC_WALLET_ERROR`.
    WalletError,
    /// `RPC_MISC_ERROR`.
    MiscError,
}

/// A bump that cannot be made, with Core's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BumpError {
    /// The kind, for the RPC error code.
    pub kind: BumpErrorKind,
    /// Core's message.
    pub message: String,
}

impl BumpError {
    fn new(kind: BumpErrorKind, message: impl Into<String>) -> Self {
        BumpError {
            kind,
            message: message.into(),
        }
    }
}

/// What the user asked of a bump besides the fee settings in coin control.
#[derive(Debug, Clone, Default)]
pub struct BumpRequest {
    /// Fee rate or target, replaceability, as `bumpfee`'s options set them.
    pub coin_control: CoinControl,
    /// Whether every input must be the wallet's (false for `psbtbumpfee`,
    /// whose PSBT someone else may sign).
    pub require_mine: bool,
    /// New outputs replacing the original's; empty keeps them.
    pub outputs: Vec<TxOut>,
    /// The original output to recycle as change, instead of guessing.
    pub original_change_index: Option<u32>,
}

/// A replacement ready to sign.
#[derive(Debug)]
pub struct BumpProposal {
    /// The original's fee.
    pub old_fee: i64,
    /// The replacement's fee.
    pub new_fee: i64,
    /// The unsigned replacement.
    pub tx: Transaction,
    /// Wallet records the change reservation changed, to commit with it.
    pub writes: Writes,
}

fn invalid_parameter(message: impl Into<String>) -> BumpError {
    BumpError::new(BumpErrorKind::InvalidParameter, message)
}

fn wallet_error(message: impl Into<String>) -> BumpError {
    BumpError::new(BumpErrorKind::WalletError, message)
}

/// The weight of `txin` as serialized, its witness included (Core's
/// `GetTransactionInputWeight`).
fn input_weight(txin: &TxIn) -> i64 {
    let script_len = txin.script_sig.len() as i64;
    let base = 32 + 4 + crate::spend::script::compact_size_len(script_len as u64) + script_len + 4;
    let witness = crate::spend::script::compact_size_len(txin.witness.len() as u64)
        + txin
            .witness
            .iter()
            .map(|e| crate::spend::script::compact_size_len(e.len() as u64) + e.len() as i64)
            .sum::<i64>();
    base * 4 + witness
}

/// The largest weight `txin`, spending `spent`, could have if re-signed:
/// its weight now plus what each ECDSA signature in it could still grow to
/// 72 bytes (Core's `SignatureWeights` over the signatures a script check
/// sees). Signatures are recognised by their strict DER encoding rather
/// than by running the script; taproot signatures are never counted, as in
/// Core.
fn max_external_input_weight(txin: &TxIn, spent: &TxOut) -> i64 {
    use consensus::interpreter::is_valid_signature_encoding;
    let mut sigs_weight = 0i64;
    let mut sigs_count = 0i64;
    for push in txin.script_sig.instructions().flatten() {
        if let bitcoin::script::Instruction::PushBytes(b) = push {
            if is_valid_signature_encoding(b.as_bytes()) {
                sigs_weight += b.len() as i64 * 4;
                sigs_count += 4;
            }
        }
    }
    // Only segwit v0 programs, bare or wrapped in P2SH, carry ECDSA
    // signatures in the witness.
    let spk = &spent.script_pubkey;
    let v0 = spk.is_p2wpkh() || spk.is_p2wsh() || (spk.is_p2sh() && !txin.witness.is_empty());
    if v0 {
        for e in txin.witness.iter() {
            if is_valid_signature_encoding(e) {
                sigs_weight += e.len() as i64;
                sigs_count += 1;
            }
        }
    }
    input_weight(txin) + 72 * sigs_count - sigs_weight
}

impl Wallet {
    /// Whether `txid` could be bumped by `bumpfee` (Core's
    /// `TransactionCanBeBumped`).
    pub fn transaction_can_be_bumped(&self, txid: &Txid) -> bool {
        let state = self.lock();
        state.ledger.get(txid).is_some() && self.precondition_checks(&state, txid, true).is_ok()
    }

    /// Whether the wallet owns output `outpoint` (Core's `IsMine(COutPoint)`).
    fn owns_outpoint(state: &State, outpoint: &OutPoint) -> bool {
        state
            .ledger
            .get(&outpoint.txid)
            .and_then(|e| e.tx().output.get(outpoint.vout as usize))
            .is_some_and(|o| state.keys.is_mine(&o.script_pubkey))
    }

    /// Core's `PreconditionChecks`: no descendants in the wallet or the
    /// mempool, not mined or conflicted, not already bumped, and with
    /// `require_mine` only the wallet's inputs.
    fn precondition_checks(
        &self,
        state: &State,
        txid: &Txid,
        require_mine: bool,
    ) -> Result<(), BumpError> {
        let Some(entry) = state.ledger.get(txid) else {
            return Err(BumpError::new(
                BumpErrorKind::InvalidAddressOrKey,
                "Invalid or non-wallet transaction id",
            ));
        };
        if state.ledger.has_wallet_spend(entry.tx()) {
            return Err(invalid_parameter(
                "Transaction has descendants in the wallet",
            ));
        }
        // A failed node call cannot prove there are none.
        if self.chain.has_descendants_in_mempool(txid).unwrap_or(true) {
            return Err(invalid_parameter(
                "Transaction has descendants in the mempool",
            ));
        }
        if state.ledger.depth(entry) != 0 {
            return Err(wallet_error(
                "Transaction has been mined, or is conflicted with a mined transaction",
            ));
        }
        if let Some(by) = entry.record.replaced_by_txid {
            return Err(wallet_error(format!(
                "Cannot bump transaction {txid} which was already bumped by transaction {by}"
            )));
        }
        if require_mine
            && !entry
                .tx()
                .input
                .iter()
                .all(|i| Self::owns_outpoint(state, &i.previous_output))
        {
            return Err(wallet_error(
                "Transaction contains inputs that don't belong to this wallet",
            ));
        }
        Ok(())
    }

    /// How each input of `tx` is sized (Core's `CalculateMaximumSignedTxSize`
    /// with coin control): a fixed weight, the wallet's solving data or
    /// coin control's; `None` when an input's output is unknown.
    fn input_sizes(
        state: &State,
        cc: &CoinControl,
        tx: &Transaction,
    ) -> Option<Vec<InputSizeInfo>> {
        tx.input
            .iter()
            .map(|i| {
                let op = i.previous_output;
                let txout = state
                    .ledger
                    .get(&op.txid)
                    .and_then(|e| e.tx().output.get(op.vout as usize))
                    .or_else(|| cc.external_output(&op))?;
                let satisfaction = crate::sign::input_satisfaction(
                    &state.keys,
                    &txout.script_pubkey,
                    !state.can_grind_r(),
                )
                .or_else(|| cc.external_solving.get(&txout.script_pubkey).copied());
                Some(InputSizeInfo {
                    weight: cc.input_weight(&op),
                    satisfaction,
                })
            })
            .collect()
    }

    /// Core's `CheckFeeRate`: a user's rate must reach the mempool minimum,
    /// pay the original's fee plus the incremental relay fee and the
    /// required fee, and stay within `-maxtxfee`.
    fn check_fee_rate(
        &self,
        tx: &Transaction,
        new_rate: FeeRate,
        max_tx_size: i64,
        old_fee: i64,
    ) -> Result<(), BumpError> {
        let node = |e: interfaces::Error| wallet_error(e.to_string());
        let fees = NodeFees(&*self.chain);
        let min_mempool = FeeRate::from(self.chain.mempool_min_fee().map_err(node)?);
        if new_rate.sat_per_kvb() < min_mempool.sat_per_kvb() {
            return Err(wallet_error(format!(
                "New fee rate ({}) is lower than the minimum fee rate ({}) to get into the mempool -- ",
                format_money(new_rate.sat_per_kvb()),
                format_money(min_mempool.sat_per_kvb())
            )));
        }
        let reused: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
        let rate = interfaces::FeeRate {
            fee: new_rate.sat_per_kvb(),
            size: 1000,
        };
        let Some(bump) = self
            .chain
            .calculate_combined_bump_fee(&reused, &rate)
            .map_err(node)?
        else {
            return Err(wallet_error("Failed to calculate bump fees, because unconfirmed UTXOs depend on an enormous cluster of unconfirmed transactions."));
        };
        // A size the wallet could not estimate reads as Core's -1 bytes.
        let fee_at = |r: FeeRate| {
            if max_tx_size < 0 {
                -r.fee(1)
            } else {
                r.fee(u32::try_from(max_tx_size).unwrap_or(u32::MAX))
            }
        };
        let new_total_fee = fee_at(new_rate).saturating_add(bump);
        let incremental = FeeRate::from(self.chain.relay_incremental_fee().map_err(node)?);
        let incremental_fee = fee_at(incremental);
        let min_total_fee = old_fee.saturating_add(incremental_fee);
        if new_total_fee < min_total_fee {
            return Err(invalid_parameter(format!(
                "Insufficient total fee {}, must be at least {} (oldFee {} + incrementalFee {})",
                format_money(new_total_fee),
                format_money(min_total_fee),
                format_money(old_fee),
                format_money(incremental_fee)
            )));
        }
        let size = u32::try_from(max_tx_size.max(0)).unwrap_or(u32::MAX);
        let required = get_required_fee(self.fee_config(), &fees, size)
            .map_err(|e| wallet_error(e.to_string()))?;
        if new_total_fee < required {
            return Err(invalid_parameter(format!(
                "Insufficient total fee (cannot be less than required fee {})",
                format_money(required)
            )));
        }
        let max_tx_fee = self.fee_config().max_tx_fee;
        if new_total_fee > max_tx_fee {
            return Err(wallet_error(format!(
                "Specified or calculated fee {} is too high (cannot be higher than -maxtxfee {})",
                format_money(new_total_fee),
                format_money(max_tx_fee)
            )));
        }
        Ok(())
    }

    /// Core's `EstimateFeeRate`: the original's rate plus one satoshi per
    /// kvB plus the larger of the node's and the wallet's incremental relay
    /// fee, and at least what the wallet would pay now.
    fn estimate_bump_fee_rate(
        &self,
        tx: &Transaction,
        old_fee: i64,
        cc: &CoinControl,
    ) -> Result<FeeRate, BumpError> {
        let node = |e: interfaces::Error| wallet_error(e.to_string());
        let vsize = i64::try_from(tx.vsize()).unwrap_or(i64::MAX);
        let original = FeeRate::from_fee_and_vsize(old_fee, vsize);
        let node_incremental = FeeRate::from(self.chain.relay_incremental_fee().map_err(node)?);
        let wallet_incremental = FeeRate::from_sat_per_kvb(WALLET_INCREMENTAL_RELAY_FEE);
        let increment = node_incremental.max(wallet_incremental);
        // Core adds rates by their per-kvB values.
        let bumped = FeeRate::from_sat_per_kvb(
            original
                .sat_per_kvb()
                .saturating_add(1)
                .saturating_add(increment.sat_per_kvb()),
        );
        let (minimum, _) = get_minimum_fee_rate(self.fee_config(), &NodeFees(&*self.chain), cc)
            .map_err(|e| wallet_error(e.to_string()))?;
        Ok(bumped.max(minimum))
    }

    /// Core's `CreateRateBumpTransaction`: the unsigned replacement of
    /// `txid` with the old and new fees.
    pub fn create_rate_bump_transaction(
        &self,
        state: &mut State,
        txid: &Txid,
        request: &BumpRequest,
    ) -> Result<BumpProposal, BumpError> {
        if !request.outputs.is_empty() && request.original_change_index.is_some() {
            return Err(invalid_parameter("The options 'outputs' and 'original_change_index' are incompatible. You can only either specify a new set of outputs, or designate a change output to be recycled."));
        }
        let mut cc = request.coin_control.clone();
        let Some(entry) = state.ledger.get(txid) else {
            return Err(BumpError::new(
                BumpErrorKind::InvalidAddressOrKey,
                "Invalid or non-wallet transaction id",
            ));
        };
        let original = entry.tx().clone();
        if request
            .original_change_index
            .is_some_and(|i| i as usize >= original.output.len())
        {
            return Err(invalid_parameter("Change position is out of range"));
        }

        // Every input is spent again, so every coin must still exist.
        let query: Vec<(OutPoint, Option<interfaces::chain::Coin>)> = original
            .input
            .iter()
            .map(|i| (i.previous_output, None))
            .collect();
        let found: BTreeMap<OutPoint, Option<interfaces::chain::Coin>> = self
            .chain
            .find_coins(&query)
            .map_err(|e| BumpError::new(BumpErrorKind::MiscError, e.to_string()))?
            .into_iter()
            .collect();
        let mut input_value = 0i64;
        let mut spent_outputs = Vec::with_capacity(original.input.len());
        for txin in &original.input {
            let op = txin.previous_output;
            let Some(Some(coin)) = found.get(&op) else {
                return Err(BumpError::new(
                    BumpErrorKind::MiscError,
                    format!("{}:{} is already spent", op.txid, op.vout),
                ));
            };
            let preset = cc.select(op);
            if !Self::owns_outpoint(state, &op) {
                preset.set_txout(coin.output.clone());
            }
            input_value = input_value.saturating_add(coin.output.value.to_sat() as i64);
            spent_outputs.push(coin.output.clone());
        }
        // Inputs signed by others keep their weight, grown to the largest
        // signatures they could be re-signed with.
        for (txin, spent) in original.input.iter().zip(&spent_outputs) {
            if cc.is_external_selected(&txin.previous_output) {
                cc.set_input_weight(txin.previous_output, max_external_input_weight(txin, spent));
            }
        }

        self.precondition_checks(state, txid, request.require_mine)?;

        let output_value: i64 = original
            .output
            .iter()
            .map(|o| o.value.to_sat() as i64)
            .sum();
        let old_fee = input_value - output_value;

        // The recipients, and the change output kept as the change
        // destination (the last one when several look like change).
        let txouts = if request.outputs.is_empty() {
            &original.output
        } else {
            &request.outputs
        };
        let mut recipients = Vec::new();
        let mut new_outputs_value = 0i64;
        for (i, output) in txouts.iter().enumerate() {
            let is_change = match request.original_change_index {
                Some(c) => c as usize == i,
                None => self.is_change(state, &output.script_pubkey),
            };
            if is_change {
                cc.dest_change = Some(output.script_pubkey.clone());
            } else {
                recipients.push(Recipient {
                    script_pubkey: output.script_pubkey.clone(),
                    amount: output.value.to_sat() as i64,
                    subtract_fee: false,
                });
            }
            new_outputs_value = new_outputs_value.saturating_add(output.value.to_sat() as i64);
        }
        // Only change: it becomes a recipient paying the fee, so that a
        // customized output is not mistaken for new change.
        if recipients.is_empty() {
            let Some(change) = cc.dest_change.take() else {
                return Err(invalid_parameter(
                    "Unable to create transaction. Transaction must have at least one recipient",
                ));
            };
            recipients.push(Recipient {
                script_pubkey: change,
                amount: new_outputs_value,
                subtract_fee: true,
            });
        }

        if let Some(rate) = request.coin_control.fee_rate {
            // Sized without the original's signatures, as dummy signing
            // expects for external inputs.
            let mut temp = original.clone();
            for i in &mut temp.input {
                i.script_sig = bitcoin::ScriptBuf::new();
                i.witness = bitcoin::Witness::new();
            }
            temp.output = txouts.clone();
            let max_tx_size = Self::input_sizes(state, &cc, &temp)
                .and_then(|sizes| {
                    calculate_maximum_signed_tx_size(
                        &sizes,
                        temp.output.iter().map(|o| o.script_pubkey.as_script()),
                    )
                })
                .map_or(-1, |s| s.vsize);
            self.check_fee_rate(&temp, rate, max_tx_size, old_fee)?;
        } else {
            cc.fee_rate = Some(self.estimate_bump_fee_rate(&original, old_fee, &cc)?);
        }

        // Spending every original input again keeps two bumps of one
        // transaction from both confirming.
        for txin in &original.input {
            cc.select(txin.previous_output);
        }
        cc.allow_other_inputs = true;
        // BIP125 forbids new unconfirmed inputs.
        cc.min_depth = 1;

        let (created, writes) = self
            .create_transaction(state, &recipients, None, &cc, false)
            .map_err(|e| wallet_error(format!("Unable to create transaction. {e}")))?;
        Ok(BumpProposal {
            old_fee,
            new_fee: created.fee,
            tx: created.tx,
            writes,
        })
    }

    /// Core's `feebumper::CommitTransaction`: checks `txid` can still be
    /// replaced, commits and broadcasts `tx` as its replacement (keeping
    /// its comments), and marks `txid` replaced. Returns the new txid and
    /// the errors that did not stop the replacement.
    pub fn commit_bump_transaction(
        &self,
        state: &mut State,
        txid: &Txid,
        tx: Transaction,
        writes: Writes,
    ) -> Result<(Txid, Vec<String>), BumpError> {
        let Some(old) = state.ledger.get(txid) else {
            return Err(BumpError::new(
                BumpErrorKind::MiscError,
                "Invalid or non-wallet transaction id",
            ));
        };
        let info = SentInfo {
            comment: old.record.comment.clone(),
            comment_to: old.record.comment_to.clone(),
            replaces: Some(*txid),
            messages: old.record.messages.clone(),
        };
        self.precondition_checks(state, txid, false)?;
        let new_txid = self
            .commit_transaction(state, tx, info, writes)
            .map_err(wallet_error)?;
        let mut errors = Vec::new();
        if self.mark_replaced(state, txid, new_txid).is_err() {
            errors.push("Created new bumpfee transaction but could not mark the original transaction as replaced".to_string());
        }
        Ok((new_txid, errors))
    }

    /// Core's `MarkReplaced`: records that `by` replaced `txid`, with its
    /// mempool status brought up to date, durably.
    fn mark_replaced(&self, state: &mut State, txid: &Txid, by: Txid) -> Result<(), String> {
        {
            let State { ledger, keys, .. } = &mut *state;
            let env = super::Env {
                keys,
                chain: &*self.chain,
            };
            ledger.mark_replaced(txid, by, &env);
        }
        self.commit(state, Writes::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{ScriptBuf, Witness};

    fn der_sig(len: usize) -> Vec<u8> {
        // 0x30 len 0x02 rlen r.. 0x02 slen s.. hashtype
        let body = len - 3;
        let r = (body - 4) / 2;
        let s = body - 4 - r;
        let mut v = vec![0x30, body as u8, 0x02, r as u8];
        v.push(0x01);
        v.extend(std::iter::repeat_n(0x11, r - 1));
        v.push(0x02);
        v.push(s as u8);
        v.push(0x01);
        v.extend(std::iter::repeat_n(0x22, s - 1));
        v.push(0x01);
        v
    }

    #[test]
    fn input_weight_counts_witness_and_script() {
        let mut txin = TxIn::default();
        assert_eq!(input_weight(&txin), 41 * 4 + 1);
        txin.witness = Witness::from_slice(&[vec![1u8; 71], vec![2u8; 33]]);
        assert_eq!(input_weight(&txin), 41 * 4 + 1 + 72 + 34);
    }

    #[test]
    fn external_weight_grows_signatures_to_72_bytes() {
        let sig = der_sig(71);
        assert!(consensus::interpreter::is_valid_signature_encoding(&sig));
        let txin = TxIn {
            witness: Witness::from_slice(&[sig.clone(), vec![2u8; 33]]),
            ..Default::default()
        };
        let spent = TxOut {
            value: bitcoin::Amount::from_sat(1000),
            script_pubkey: ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([0; 20])),
        };
        assert_eq!(
            max_external_input_weight(&txin, &spent),
            input_weight(&txin) + 1
        );
        // In a scriptSig a signature byte weighs four.
        let mut legacy = TxIn::default();
        let push = bitcoin::script::PushBytesBuf::try_from(sig).unwrap();
        legacy.script_sig = bitcoin::script::Builder::new()
            .push_slice(push)
            .into_script();
        let spent = TxOut {
            value: bitcoin::Amount::from_sat(1000),
            script_pubkey: ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([0; 20])),
        };
        assert_eq!(
            max_external_input_weight(&legacy, &spent),
            input_weight(&legacy) + 4
        );
    }
}
