//! Package acceptance (Core's `ProcessNewPackage` for a child with its
//! unconfirmed parents): each transaction is first tried on its own; those
//! refused only for their feerate (or for a parent refused so) are then
//! judged together, so a child can pay for its low- or zero-fee parents.
//! The combined evaluation runs on a scratch copy of the pool first, so a
//! package that fails leaves the pool (and its listeners) untouched.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Transaction, Txid, Wtxid};
use chain::Chainstate;
use consensus::{TxResult, ValidationError};

use crate::accept::{AcceptMode, Policy};
use crate::diagram;
use crate::pool::Mempool;

/// Most transactions in one package (Core's `MAX_PACKAGE_COUNT`).
pub const MAX_PACKAGE_COUNT: usize = 25;
/// Most total weight of a package of more than one transaction (Core's
/// `MAX_PACKAGE_WEIGHT`).
pub const MAX_PACKAGE_WEIGHT: u64 = 404_000;

/// Context-free package checks (Core's `IsWellFormedPackage`); the error is
/// Core's package reject reason.
pub fn check_well_formed(txs: &[Arc<Transaction>]) -> Result<(), &'static str> {
    if txs.len() > MAX_PACKAGE_COUNT {
        return Err("package-too-many-transactions");
    }
    let weight: u64 = txs.iter().map(|t| t.weight().to_wu()).sum();
    if txs.len() > 1 && weight > MAX_PACKAGE_WEIGHT {
        return Err("package-too-large");
    }
    let mut later: HashSet<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
    if later.len() != txs.len() {
        return Err("package-contains-duplicates");
    }
    // Sorted: no transaction spends one that comes after it.
    for tx in txs {
        if tx
            .input
            .iter()
            .any(|i| later.contains(&i.previous_output.txid))
        {
            return Err("package-not-sorted");
        }
        later.remove(&tx.compute_txid());
    }
    // Consistent: no two transactions spend the same output.
    let mut spent = HashSet::new();
    for tx in txs {
        if tx.input.is_empty() || tx.input.iter().any(|i| spent.contains(&i.previous_output)) {
            return Err("conflict-in-package");
        }
        spent.extend(tx.input.iter().map(|i| i.previous_output));
    }
    Ok(())
}

/// Whether every transaction but the last is a parent of the last (Core's
/// `IsChildWithParents`); false for fewer than two transactions.
pub fn is_child_with_parents(txs: &[Arc<Transaction>]) -> bool {
    let Some((child, parents)) = txs.split_last() else {
        return false;
    };
    if parents.is_empty() {
        return false;
    }
    let spent: HashSet<Txid> = child.input.iter().map(|i| i.previous_output.txid).collect();
    parents.iter().all(|p| spent.contains(&p.compute_txid()))
}

/// [`is_child_with_parents`] where no parent spends another (Core's
/// `IsChildWithParentsTree`, what `submitpackage` accepts).
pub fn is_child_with_parents_tree(txs: &[Arc<Transaction>]) -> bool {
    if !is_child_with_parents(txs) {
        return false;
    }
    let parents = &txs[..txs.len() - 1];
    let ids: HashSet<Txid> = parents.iter().map(|p| p.compute_txid()).collect();
    parents.iter().all(|p| {
        p.input
            .iter()
            .all(|i| !ids.contains(&i.previous_output.txid))
    })
}

/// One package member's outcome (Core's `MempoolAcceptResult`).
#[derive(Debug, Clone)]
pub enum PackageTxResult {
    /// Accepted now.
    Valid {
        /// Virtual size (sigop-adjusted).
        vsize: u64,
        /// Base fee in satoshis.
        fee: i64,
        /// The feerate it was judged by, in sat/kvB: its own, or the
        /// package's when accepted together with other members.
        effective_feerate: i64,
        /// The members whose fees and sizes make up `effective_feerate`.
        effective_includes: Vec<Wtxid>,
    },
    /// Already in the pool.
    InMempool {
        /// Virtual size.
        vsize: u64,
        /// Base fee in satoshis.
        fee: i64,
    },
    /// The pool holds the same transaction with another witness.
    DifferentWitness(Wtxid),
    /// Refused.
    Invalid(ValidationError),
}

/// The outcome of [`Mempool::accept_package`].
#[derive(Debug, Clone, Default)]
pub struct PackageOutcome {
    /// The package-wide error (`transaction failed`, or a reason of
    /// [`check_well_formed`]); `None` when every member is in the pool.
    pub error: Option<String>,
    /// Results by wtxid; empty when the package was refused before any
    /// member was looked at.
    pub results: HashMap<Wtxid, PackageTxResult>,
    /// Pool transactions the package replaced.
    pub replaced: Vec<Txid>,
    /// Whether `error` is about the package as a whole (Core's
    /// `PCKG_POLICY`) rather than one of its members.
    pub policy_error: bool,
}

/// Whether a refusal on its own may turn into acceptance in a package: a
/// feerate failure (Core's `TX_RECONSIDERABLE`) or a missing parent.
fn reconsiderable(e: &ValidationError) -> bool {
    matches!(
        e.tx_result(),
        Some(TxResult::MissingInputs | TxResult::Reconsiderable)
    ) || e.reason == "min relay fee not met"
        || e.reason == "mempool min fee not met"
        || e.reason.starts_with("insufficient fee")
}

/// Whether `e` is a package-wide failure: the cluster limits, or a TRUC
/// rule broken through another package member: `tx`
/// spends an earlier member or shares a parent with one (`earlier` holds the
/// earlier members and their parents). Core checks those for the package as
/// a whole (`PackageTRUCChecks`) and reports them as a package error.
fn package_truc_violation(e: &ValidationError, tx: &Transaction, earlier: &HashSet<Txid>) -> bool {
    // Cluster limits are checked for the package's changes as a whole too.
    if e.reason == "too-large-cluster" {
        return true;
    }
    e.reason == "TRUC-violation"
        && tx
            .input
            .iter()
            .any(|i| earlier.contains(&i.previous_output.txid))
}

/// Adds `tx` and its parents to the set [`package_truc_violation`] reads.
fn note_member(earlier: &mut HashSet<Txid>, tx: &Transaction) {
    earlier.insert(tx.compute_txid());
    earlier.extend(tx.input.iter().map(|i| i.previous_output.txid));
}

fn max_feerate_exceeded() -> ValidationError {
    ValidationError::tx(TxResult::MempoolPolicy, "max feerate exceeded", "")
}

/// Fee rate in sat/kvB, rounded down as Core's `CFeeRate`.
fn feerate(fee: i64, vsize: u64) -> i64 {
    fee.saturating_mul(1000) / (vsize.max(1) as i64)
}

impl Mempool {
    /// The result of a member accepted on its own: its own modified feerate.
    fn valid_alone(&self, a: &crate::accept::Accepted, wtxid: Wtxid) -> PackageTxResult {
        let modified = a.fee.saturating_add(self.fee_delta(&a.txid));
        PackageTxResult::Valid {
            vsize: a.vsize,
            fee: a.fee,
            effective_feerate: feerate(modified, a.vsize),
            effective_includes: vec![wtxid],
        }
    }

    /// Accepts `txs`, a child with its parents (or one transaction), as
    /// Core's `ProcessNewPackage` without `test_accept`. `max_feerate`
    /// (sat/kvB) refuses members whose modified feerate is above it.
    pub fn accept_package(
        &mut self,
        cs: &Chainstate,
        txs: &[Arc<Transaction>],
        policy: &Policy,
        max_feerate: Option<i64>,
    ) -> PackageOutcome {
        self.submitting_package = true;
        let out = self.accept_package_members(cs, txs, policy, max_feerate);
        self.submitting_package = false;
        out
    }

    fn accept_package_members(
        &mut self,
        cs: &Chainstate,
        txs: &[Arc<Transaction>],
        policy: &Policy,
        max_feerate: Option<i64>,
    ) -> PackageOutcome {
        let mut out = PackageOutcome::default();
        if let Err(reason) = check_well_formed(txs) {
            out.error = Some(reason.into());
            return out;
        }
        if txs.len() > 1 && !is_child_with_parents(txs) {
            out.error = Some("package-not-child-with-parents".into());
            return out;
        }
        let before: HashSet<Txid> = self.entries.keys().copied().collect();
        let too_high = |fee: i64, vsize: u64| max_feerate.is_some_and(|m| feerate(fee, vsize) > m);
        let mut quit_early = false;
        let mut together: Vec<Arc<Transaction>> = Vec::new();
        for tx in txs {
            let (txid, wtxid) = (tx.compute_txid(), tx.compute_wtxid());
            if let Some(e) = self.get_by_wtxid(&wtxid) {
                let r = PackageTxResult::InMempool {
                    vsize: e.vsize,
                    fee: e.fee,
                };
                out.results.insert(wtxid, r);
                continue;
            }
            if let Some(e) = self.entries.get(&txid) {
                out.results
                    .insert(wtxid, PackageTxResult::DifferentWitness(e.wtxid));
                continue;
            }
            // On its own first: checked, then (under the client's feerate
            // cap) added.
            let single = self
                .accept_with(cs, tx.clone(), policy, true, AcceptMode::Normal)
                .and_then(|a| {
                    let modified = a.fee.saturating_add(self.fee_delta(&txid));
                    if too_high(modified, a.vsize) {
                        return Err(max_feerate_exceeded());
                    }
                    self.accept_with(cs, tx.clone(), policy, false, AcceptMode::Normal)
                });
            match single {
                Ok(a) => {
                    out.results.insert(wtxid, self.valid_alone(&a, wtxid));
                }
                Err(e) => {
                    if txs.len() == 1 || !reconsiderable(&e) {
                        // Only the feerate is judged differently in a
                        // package; any other failure stands.
                        quit_early = true;
                        out.error = Some("transaction failed".into());
                    } else {
                        together.push(tx.clone());
                    }
                    out.results.insert(wtxid, PackageTxResult::Invalid(e));
                }
            }
        }
        if !quit_early && !together.is_empty() {
            self.accept_together(cs, &together, policy, max_feerate, &mut out);
        }
        out.replaced = before
            .iter()
            .filter(|t| !self.entries.contains_key(*t))
            .copied()
            .collect();
        out.replaced.sort();
        // After the replacements are known: what the trim evicts was not
        // replaced.
        self.evict_to_size(policy, &mut out);
        out
    }

    /// Trims the pool once the whole package is in (members may push it
    /// over `-maxmempool` meanwhile, so no parent leaves before its child
    /// pays for it); members evicted by the trim fail with "mempool full".
    fn evict_to_size(&mut self, policy: &Policy, out: &mut PackageOutcome) {
        self.limit_size(policy);
        let mut evicted = false;
        for (wtxid, result) in out.results.iter_mut() {
            // A member already in the pool may be evicted as well; one with
            // a different witness is looked up by the pool's copy.
            let in_pool = match result {
                PackageTxResult::Valid { .. } | PackageTxResult::InMempool { .. } => Some(*wtxid),
                PackageTxResult::DifferentWitness(other) => Some(*other),
                PackageTxResult::Invalid(_) => None,
            };
            if in_pool.is_some_and(|w| self.get_by_wtxid(&w).is_none()) {
                let e = ValidationError::tx(TxResult::MempoolPolicy, "mempool full", "");
                *result = PackageTxResult::Invalid(e);
                evicted = true;
            }
        }
        if evicted {
            out.error = Some("transaction failed".into());
            out.policy_error = false;
        }
    }

    /// Checks `txs` as a package without adding anything (`testmempoolaccept`
    /// with several transactions, Core's package test accept): every member
    /// is judged by its own feerate, parents in the package count as in the
    /// pool, and no pool transaction may be replaced. The first member that
    /// fails is the only one with a result.
    pub fn test_accept_package(
        &self,
        cs: &Chainstate,
        txs: &[Arc<Transaction>],
        policy: &Policy,
    ) -> PackageOutcome {
        let mut out = PackageOutcome::default();
        if let Err(reason) = check_well_formed(txs) {
            out.error = Some(reason.into());
            out.policy_error = true;
            return out;
        }
        let mut scratch = self.scratch_copy();
        let mut earlier = HashSet::new();
        for tx in txs {
            let wtxid = tx.compute_wtxid();
            let result =
                scratch.accept_with(cs, tx.clone(), policy, false, AcceptMode::PackageTest);
            if let Err(e) = &result {
                if package_truc_violation(e, tx, &earlier) {
                    out.results.clear();
                    out.error = Some(e.to_string());
                    out.policy_error = true;
                    return out;
                }
            }
            note_member(&mut earlier, tx);
            match result {
                Ok(a) => {
                    out.results.insert(wtxid, self.valid_alone(&a, wtxid));
                }
                Err(e) => {
                    // Core checks every member before any script, so only a
                    // script failure comes after the earlier members' results.
                    if !e.reason.contains("script-verify-flag-failed") {
                        out.results.clear();
                    }
                    out.results.insert(wtxid, PackageTxResult::Invalid(e));
                    out.error = Some("transaction failed".into());
                    return out;
                }
            }
        }
        out
    }

    /// Judges `txs` (each refused alone for its feerate or a missing parent)
    /// together by their package feerate; adds them all or none.
    fn accept_together(
        &mut self,
        cs: &Chainstate,
        txs: &[Arc<Transaction>],
        policy: &Policy,
        max_feerate: Option<i64>,
        out: &mut PackageOutcome,
    ) {
        out.error = Some("transaction failed".into());
        if txs.len() == 1 {
            // Alone again: the individual result stands.
            return;
        }
        // Pool transactions the package conflicts with: replaced only under
        // the package RBF rules.
        let direct: HashSet<Txid> = txs
            .iter()
            .flat_map(|t| &t.input)
            .filter_map(|i| self.spent_by.get(&i.previous_output).copied())
            .collect();
        if !direct.is_empty() {
            if let Err(msg) = self.package_rbf_prechecks(txs, &direct) {
                out.error = Some(msg);
                out.policy_error = true;
                return;
            }
        }
        let mut scratch = self.scratch_copy();
        let (mut total_fee, mut total_vsize) = (0i64, 0u64);
        let mut member_rates = Vec::with_capacity(txs.len());
        let mut earlier = HashSet::new();
        for tx in txs {
            let wtxid = tx.compute_wtxid();
            let txid = tx.compute_txid();
            let result = scratch.accept_with(cs, tx.clone(), policy, false, AcceptMode::Package);
            if let Err(e) = &result {
                if package_truc_violation(e, tx, &earlier) {
                    // The members keep their individual results.
                    out.error = Some(e.to_string());
                    out.policy_error = true;
                    return;
                }
            }
            note_member(&mut earlier, tx);
            match result {
                Ok(a) => {
                    let modified = a.fee.saturating_add(self.fee_delta(&txid));
                    if max_feerate.is_some_and(|m| feerate(modified, a.vsize) > m) {
                        out.results
                            .insert(wtxid, PackageTxResult::Invalid(max_feerate_exceeded()));
                        return;
                    }
                    total_fee = total_fee.saturating_add(modified);
                    total_vsize += a.vsize;
                    member_rates.push((modified, a.vsize));
                }
                Err(e) => {
                    out.results.insert(wtxid, PackageTxResult::Invalid(e));
                    return;
                }
            }
        }
        // The pool's rolling minimum first, then the relay minimum, both
        // rounded up as in Core.
        let pool_min = crate::size_limit::fee_at(self.min_fee_per_kvb(policy), total_vsize);
        let min_fee = crate::size_limit::fee_at(policy.min_relay_fee_per_kvb, total_vsize);
        let shortfall = if pool_min > 0 && total_fee < pool_min {
            Some(("mempool min fee not met", pool_min))
        } else if total_fee < min_fee {
            Some(("min relay fee not met", min_fee))
        } else {
            None
        };
        if let Some((reason, needed)) = shortfall {
            if let Some(last) = txs.last() {
                let e = ValidationError::tx(
                    TxResult::Reconsiderable,
                    reason,
                    format!("{total_fee} < {needed}"),
                );
                out.results
                    .insert(last.compute_wtxid(), PackageTxResult::Invalid(e));
            }
            return;
        }
        if !direct.is_empty() {
            let parent = member_rates.first().copied().unwrap_or_default();
            let totals = (total_fee, total_vsize);
            if let Err(msg) =
                self.package_rbf_checks(&scratch, txs, &direct, totals, parent, policy)
            {
                out.error = Some(msg);
                out.policy_error = true;
                return;
            }
        }
        let includes: Vec<Wtxid> = txs.iter().map(|t| t.compute_wtxid()).collect();
        let effective_feerate = feerate(total_fee, total_vsize);
        for tx in txs {
            let wtxid = tx.compute_wtxid();
            // The scratch run passed, so this is expected to pass too.
            match self.accept_with(cs, tx.clone(), policy, false, AcceptMode::Package) {
                Ok(a) => {
                    out.results.insert(
                        wtxid,
                        PackageTxResult::Valid {
                            vsize: a.vsize,
                            fee: a.fee,
                            effective_feerate,
                            effective_includes: includes.clone(),
                        },
                    );
                }
                Err(e) => {
                    out.results.insert(wtxid, PackageTxResult::Invalid(e));
                    return;
                }
            }
        }
        out.error = None;
    }

    /// The package RBF rules that need only the pool (Core's
    /// `PackageRBFChecks`, first part): one parent and one child, neither
    /// with pool ancestors, not too many clusters replaced.
    fn package_rbf_prechecks(
        &self,
        txs: &[Arc<Transaction>],
        direct: &HashSet<Txid>,
    ) -> Result<(), String> {
        if txs.len() != 2 || !is_child_with_parents(txs) {
            return Err("package RBF failed: package must be 1-parent-1-child".into());
        }
        let has_pool_parent = txs
            .iter()
            .flat_map(|t| &t.input)
            .any(|i| self.entries.contains_key(&i.previous_output.txid));
        if has_pool_parent {
            return Err("package RBF failed: new transaction cannot have mempool ancestors".into());
        }
        let clusters = self.cluster_count(direct);
        if clusters > crate::accept::MAX_REPLACEMENT_CANDIDATES {
            let child = txs
                .last()
                .map(|t| t.compute_txid())
                .unwrap_or(Txid::all_zeros());
            return Err(format!(
                "package RBF failed: too many potential replacements, rejecting replacement {child}; too many conflicting clusters ({clusters} > {})",
                crate::accept::MAX_REPLACEMENT_CANDIDATES
            ));
        }
        Ok(())
    }

    /// The package RBF fee rules (Core's `PackageRBFChecks`, second part):
    /// the package pays for everything it evicts plus the incremental relay
    /// fee for its size, beats its parent's feerate, and improves the
    /// feerate diagram. `scratch` is the pool with the package added.
    fn package_rbf_checks(
        &self,
        scratch: &Mempool,
        txs: &[Arc<Transaction>],
        direct: &HashSet<Txid>,
        (total_fee, total_vsize): (i64, u64),
        (parent_fee, parent_vsize): (i64, u64),
        policy: &Policy,
    ) -> Result<(), String> {
        use consensus::tx_verify::format_money;
        let evicted = self.with_descendants(direct);
        let child = txs
            .last()
            .map(|t| t.compute_txid())
            .unwrap_or(Txid::all_zeros());
        let conflicting_fees: i64 = evicted
            .iter()
            .filter_map(|t| self.entries.get(t).map(|e| self.modified_fee(e)))
            .sum();
        if total_fee < conflicting_fees {
            return Err(format!(
                "package RBF failed: insufficient anti-DoS fees, rejecting replacement {child}, less fees than conflicting txs; {} < {}",
                format_money(total_fee),
                format_money(conflicting_fees)
            ));
        }
        // Core rounds the relay fee up.
        let relay = (policy.incremental_relay_fee_per_kvb * total_vsize as i64 + 999) / 1000;
        if total_fee - conflicting_fees < relay {
            return Err(format!(
                "package RBF failed: insufficient anti-DoS fees, rejecting replacement {child}, not enough additional fees to relay; {} < {}",
                format_money(total_fee - conflicting_fees),
                format_money(relay)
            ));
        }
        let package_rate = feerate(total_fee, total_vsize);
        let parent_rate = feerate(parent_fee, parent_vsize);
        if package_rate <= parent_rate {
            let show = |r: i64| format!("{}.{:08} BTC/kvB", r / 100_000_000, r % 100_000_000);
            return Err(format!(
                "package RBF failed: package feerate is less than or equal to parent feerate, package feerate {} <= parent feerate is {}",
                show(package_rate),
                show(parent_rate)
            ));
        }
        // The clusters touched, before and after.
        let old_cluster = self.cluster_of(evicted.iter().copied());
        let ids: Vec<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
        let new_cluster = scratch.cluster_of(
            old_cluster
                .iter()
                .filter(|t| !evicted.contains(*t))
                .chain(&ids)
                .copied(),
        );
        let vsize = |e: &crate::pool::Entry| e.vsize as i64;
        let old = diagram::chunks(&self.diagram_nodes(&old_cluster, vsize));
        let new = diagram::chunks(&scratch.diagram_nodes(&new_cluster, vsize));
        if !diagram::strictly_improves(&new, &old) {
            return Err(
                "package RBF failed: insufficient feerate: does not improve feerate diagram".into(),
            );
        }
        Ok(())
    }
}
