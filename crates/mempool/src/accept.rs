//! Accepting a transaction into the pool (Core's `AcceptToMemoryPool`, the
//! single-transaction path): consensus checks against the tip's coins plus
//! the pool, the basic standardness rules, minimum relay fee, replacement of
//! conflicting pool transactions (full RBF with BIP125's fee rules) and
//! scripts under the standard flags. Reject reasons are Core's.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, TxOut, Txid};
use chain::Chainstate;
use consensus::flags::{
    LOCKTIME_VERIFY_SEQUENCE, SCRIPT_VERIFY_CLEANSTACK, SCRIPT_VERIFY_WITNESS,
    STANDARD_SCRIPT_VERIFY_FLAGS,
};
use consensus::script::check_input_scripts;
use consensus::tx_check::check_transaction;
use consensus::tx_verify::{
    check_tx_inputs, get_transaction_sigop_cost, is_final_tx, sequence_locks,
};
use consensus::{Coin, CoinsView, ConsensusScriptVerifier, TxResult, ValidationError};

use crate::pool::{Entry, Mempool, PoolCoins};

/// Core's `MAX_STANDARD_TX_SIGOPS_COST`: a fifth of a block's sigop budget.
const MAX_STANDARD_TX_SIGOPS_COST: u64 = consensus::tx_check::MAX_BLOCK_SIGOPS_COST / 5;

/// Largest standard transaction weight.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// Smallest standard serialized size without witness.
const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;

/// Policy settings for acceptance.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Minimum relay fee rate in sat/kvB (`-minrelaytxfee`).
    pub min_relay_fee_per_kvb: i64,
    /// Refuse non-standard transactions (off with `-acceptnonstdtxn` on test chains).
    pub require_standard: bool,
    /// Fee rate in sat/kvB a replacement must add over what it evicts
    /// (`-incrementalrelayfee`).
    pub incremental_relay_fee_per_kvb: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_relay_fee_per_kvb: 100,
            require_standard: true,
            incremental_relay_fee_per_kvb: 100,
        }
    }
}

/// Most transactions one replacement may evict (Core's
/// `MAX_REPLACEMENT_CANDIDATES`).
const MAX_REPLACEMENT_CANDIDATES: usize = 100;

/// `sats` as Core's `FormatMoney` prints it in reject details.
fn btc_text(sats: i64) -> String {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    format!("{sign}{}.{:08}", abs / 100_000_000, abs % 100_000_000)
}

/// A fee rate as Core's `CFeeRate::ToString` (BTC/kvB).
fn fee_rate_text(fee: i64, vsize: u64) -> String {
    let per_kvb = if vsize == 0 {
        0
    } else {
        fee * 1000 / vsize as i64
    };
    format!("{} BTC/kvB", btc_text(per_kvb))
}

/// The pool's coins as a replacement sees them: outputs spent only by
/// transactions it evicts are available again, and the evicted
/// transactions' own outputs are gone.
struct ReplacingView<'a> {
    pool_view: PoolCoins<'a>,
    evicted: &'a HashSet<Txid>,
}

impl CoinsView for ReplacingView<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        if self.evicted.contains(&outpoint.txid) {
            return None;
        }
        let pool = self.pool_view.pool;
        match pool.spent_by.get(outpoint) {
            Some(spender) if self.evicted.contains(spender) => {
                match pool.entries.get(&outpoint.txid) {
                    Some(e) => e.tx.output.get(outpoint.vout as usize).map(|o| Coin {
                        output: o.clone(),
                        height: self.pool_view.pool_height,
                        is_coinbase: false,
                    }),
                    None => self.pool_view.chain.coin(outpoint),
                }
            }
            _ => self.pool_view.coin(outpoint),
        }
    }
}

/// A transaction that passed every check, with its fee and size.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Transaction id.
    pub txid: Txid,
    /// Fee in satoshis.
    pub fee: i64,
    /// Virtual size in vbytes.
    pub vsize: u64,
}

fn reject(
    result: TxResult,
    reason: impl Into<String>,
    debug: impl Into<String>,
) -> ValidationError {
    ValidationError::tx(result, reason, debug)
}

fn policy_checks(tx: &Transaction, require_standard: bool) -> Result<(), ValidationError> {
    if !require_standard {
        return size_check(tx);
    }
    let version = tx.version.0;
    if !(1..=3).contains(&version) {
        return Err(reject(TxResult::NotStandard, "version", ""));
    }
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err(reject(TxResult::NotStandard, "tx-size", ""));
    }
    for input in &tx.input {
        if input.script_sig.len() > 1650 {
            return Err(reject(TxResult::NotStandard, "scriptsig-size", ""));
        }
        if !input.script_sig.is_push_only() {
            return Err(reject(TxResult::NotStandard, "scriptsig-not-pushonly", ""));
        }
    }
    if tx
        .output
        .iter()
        .any(|o| !crate::standard::is_standard_output(&o.script_pubkey))
    {
        return Err(reject(TxResult::NotStandard, "scriptpubkey", ""));
    }
    size_check(tx)
}

/// Applies even to non-standard transactions, after the standardness rules
/// (as Core's `PreChecks`).
fn size_check(tx: &Transaction) -> Result<(), ValidationError> {
    if bitcoin::consensus::encode::serialize(&strip_witness(tx)).len()
        < MIN_STANDARD_TX_NONWITNESS_SIZE
    {
        return Err(reject(TxResult::NotStandard, "tx-size-small", ""));
    }
    Ok(())
}

fn strip_witness(tx: &Transaction) -> Transaction {
    let mut t = tx.clone();
    for i in &mut t.input {
        i.witness.clear();
    }
    t
}

impl Mempool {
    /// Checks `tx` against the tip of `cs` and the pool; with `test_only`
    /// nothing is added.
    pub fn accept(
        &mut self,
        cs: &Chainstate,
        tx: Arc<Transaction>,
        policy: &Policy,
        test_only: bool,
    ) -> Result<Accepted, ValidationError> {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        check_transaction(&tx)?;
        if tx.is_coinbase() {
            return Err(reject(TxResult::Consensus, "coinbase", ""));
        }
        policy_checks(&tx, policy.require_standard)?;
        let tip = cs
            .tip_entry()
            .ok_or_else(|| reject(TxResult::Unknown, "no-tip", ""))?;
        let prev = tip.info();
        let height = tip.height + 1;
        if !is_final_tx(&tx, height, i64::from(prev.median_time_past)) {
            return Err(reject(
                TxResult::Consensus,
                "non-final",
                "non-final transaction",
            ));
        }
        if self.by_wtxid.contains_key(&wtxid) {
            return Err(reject(TxResult::Conflict, "txn-already-in-mempool", ""));
        }
        if self.entries.contains_key(&txid) {
            return Err(reject(
                TxResult::Conflict,
                "txn-same-nonwitness-data-in-mempool",
                "",
            ));
        }
        // Every spend conflicts with what the pool holds for the same
        // outputs; the pool's spenders are replaced if the rules allow it.
        let direct: HashSet<Txid> = tx
            .input
            .iter()
            .filter_map(|i| self.spent_by.get(&i.previous_output).copied())
            .collect();
        let evicted = self.with_descendants(&direct);
        if evicted.len() > MAX_REPLACEMENT_CANDIDATES {
            return Err(reject(
                TxResult::MempoolPolicy,
                "too many potential replacements",
                format!(
                    "rejecting replacement {txid}; too many potential replacements ({} > {MAX_REPLACEMENT_CANDIDATES})",
                    evicted.len()
                ),
            ));
        }
        if let Some(i) = tx
            .input
            .iter()
            .find(|i| evicted.contains(&i.previous_output.txid))
        {
            return Err(reject(
                TxResult::Consensus,
                "bad-txns-spends-conflicting-tx",
                format!(
                    "{txid} spends conflicting transaction {}",
                    i.previous_output.txid
                ),
            ));
        }
        let view = ReplacingView {
            pool_view: PoolCoins {
                chain: cs.coins(),
                pool: self,
                pool_height: height,
            },
            evicted: &evicted,
        };
        let mut spent: Vec<TxOut> = Vec::with_capacity(tx.input.len());
        let mut prev_heights = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            match view.coin(&input.previous_output) {
                Some(c) => {
                    prev_heights.push(c.height);
                    spent.push(c.output);
                }
                None => {
                    let known = (0..tx.output.len() as u32)
                        .any(|v| cs.coins().coin(&OutPoint::new(txid, v)).is_some());
                    if known {
                        return Err(reject(TxResult::Conflict, "txn-already-known", ""));
                    }
                    return Err(reject(
                        TxResult::MissingInputs,
                        "bad-txns-inputs-missingorspent",
                        "",
                    ));
                }
            }
        }
        let fee = check_tx_inputs(&tx, &view, height)?.to_sat() as i64;
        let nonstandard_input = tx
            .input
            .iter()
            .zip(&spent)
            .any(|(i, s)| !crate::standard::is_standard_input(&s.script_pubkey, &i.script_sig));
        if policy.require_standard && nonstandard_input {
            return Err(reject(
                TxResult::InputsNotStandard,
                "bad-txns-nonstandard-inputs",
                "",
            ));
        }
        let nonstandard_witness = tx.input.iter().zip(&spent).any(|(i, s)| {
            !crate::standard::is_witness_standard(&s.script_pubkey, &i.script_sig, &i.witness)
        });
        if policy.require_standard && nonstandard_witness {
            return Err(reject(
                TxResult::WitnessMutated,
                "bad-witness-nonstandard",
                "",
            ));
        }
        if !sequence_locks(
            &tx,
            LOCKTIME_VERIFY_SEQUENCE,
            &prev_heights,
            &prev,
            cs.index(),
        ) {
            return Err(reject(TxResult::Consensus, "non-BIP68-final", ""));
        }
        // Checked even with -acceptnonstdtxn: such a transaction could never
        // be mined next to a coinbase.
        let sigop_cost = get_transaction_sigop_cost(&tx, &view, STANDARD_SCRIPT_VERIFY_FLAGS);
        if sigop_cost > MAX_STANDARD_TX_SIGOPS_COST {
            return Err(reject(
                TxResult::NotStandard,
                "bad-txns-too-many-sigops",
                sigop_cost.to_string(),
            ));
        }
        let vsize = tx.vsize() as u64;
        let min_fee = policy.min_relay_fee_per_kvb * vsize as i64 / 1000;
        // A prioritised transaction is judged by its modified fee, as in Core.
        if fee.saturating_add(self.fee_delta(&txid)) < min_fee {
            return Err(reject(
                TxResult::MempoolPolicy,
                "min relay fee not met",
                format!("{fee} < {min_fee}"),
            ));
        }
        if !direct.is_empty() {
            self.check_replacement(&txid, fee, vsize, &direct, &evicted, policy)?;
        }
        check_input_scripts(
            &tx,
            &spent,
            STANDARD_SCRIPT_VERIFY_FLAGS,
            &ConsensusScriptVerifier,
        )
        .map_err(|e| {
            // Only the witness is missing: a complete copy may be fine, so the
            // refusal must not stick to the txid (Core's TX_WITNESS_STRIPPED).
            let without_witness =
                STANDARD_SCRIPT_VERIFY_FLAGS & !(SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_CLEANSTACK);
            let stripped = !consensus::codec::has_witness(&tx)
                && check_input_scripts(&tx, &spent, without_witness, &ConsensusScriptVerifier)
                    .is_ok();
            if stripped {
                reject(TxResult::WitnessStripped, &e.reason, &e.debug)
            } else {
                e
            }
        })?;
        if !test_only {
            for old in &direct {
                tracing::debug!(target: "mempool", "replacing mempool tx {old} with {txid}");
                self.remove_recursive(old);
            }
            self.insert(Entry {
                tx: tx.clone(),
                wtxid,
                fee,
                vsize,
                weight: tx.weight().to_wu(),
                sigop_cost,
                time: common::time::now_secs(),
                height: tip.height,
                sequence: 0,
            });
        }
        Ok(Accepted { txid, fee, vsize })
    }

    /// `txids` and everything in the pool that descends from them.
    fn with_descendants(&self, txids: &HashSet<Txid>) -> HashSet<Txid> {
        let mut out = HashSet::new();
        let mut stack: Vec<Txid> = txids.iter().copied().collect();
        while let Some(t) = stack.pop() {
            if !out.insert(t) {
                continue;
            }
            if let Some(e) = self.entries.get(&t) {
                for vout in 0..e.tx.output.len() as u32 {
                    if let Some(child) = self.spent_by.get(&OutPoint::new(t, vout)) {
                        stack.push(*child);
                    }
                }
            }
        }
        out
    }

    /// The replacement rules (BIP125's fee rules, which full RBF keeps):
    /// a higher fee rate than each transaction it conflicts with directly, at
    /// least the fees of everything it evicts, and on top of that the
    /// incremental relay fee for its own size. Fees are modified fees.
    fn check_replacement(
        &self,
        txid: &Txid,
        fee: i64,
        vsize: u64,
        direct: &HashSet<Txid>,
        evicted: &HashSet<Txid>,
        policy: &Policy,
    ) -> Result<(), ValidationError> {
        let new_fee = fee.saturating_add(self.fee_delta(txid));
        let insufficient =
            |debug: String| reject(TxResult::MempoolPolicy, "insufficient fee", debug);
        for old in direct {
            let Some(e) = self.entries.get(old) else {
                continue;
            };
            let old_fee = e.fee.saturating_add(self.fee_delta(old));
            // new_fee / vsize <= old_fee / old_vsize, compared without division.
            if i128::from(new_fee) * i128::from(e.vsize) <= i128::from(old_fee) * i128::from(vsize)
            {
                return Err(insufficient(format!(
                    "rejecting replacement {txid}; new feerate {} <= old feerate {}",
                    fee_rate_text(new_fee, vsize),
                    fee_rate_text(old_fee, e.vsize)
                )));
            }
        }
        let evicted_fees: i64 = evicted
            .iter()
            .filter_map(|t| {
                self.entries
                    .get(t)
                    .map(|e| e.fee.saturating_add(self.fee_delta(t)))
            })
            .sum();
        if new_fee < evicted_fees {
            return Err(insufficient(format!(
                "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                btc_text(new_fee),
                btc_text(evicted_fees)
            )));
        }
        let relay = policy.incremental_relay_fee_per_kvb * vsize as i64 / 1000;
        if new_fee - evicted_fees < relay {
            return Err(insufficient(format!(
                "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
                btc_text(new_fee - evicted_fees),
                btc_text(relay)
            )));
        }
        Ok(())
    }

    /// Accepts again the transactions of disconnected blocks that are still
    /// valid on the new tip (after a reorg).
    pub fn readd_disconnected(&mut self, cs: &Chainstate, policy: &Policy) {
        for tx in self.take_disconnected() {
            if let Err(e) = self.accept(cs, tx.clone(), policy, false) {
                tracing::debug!(target: "mempool", "reorg: {} not re-added: {e}", tx.compute_txid());
            }
        }
    }
}
