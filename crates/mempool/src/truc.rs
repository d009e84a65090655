//! Topologically restricted until confirmation (TRUC, version 3)
//! transactions: Core's single-transaction TRUC rules. A TRUC transaction
//! is small, has at most one unconfirmed parent and that parent at most one
//! child, and TRUC-ness is inherited both ways. A second child may evict
//! the first under the replacement rules (sibling eviction).

use std::collections::HashSet;

use bitcoin::{Transaction, Txid, Wtxid};
use consensus::error::{TxResult, ValidationError};

use crate::pool::Mempool;

/// The TRUC transaction version.
const TRUC_VERSION: i32 = 3;
/// Largest TRUC transaction, in virtual bytes.
const TRUC_MAX_VSIZE: u64 = 10_000;
/// Largest TRUC transaction with an unconfirmed parent.
const TRUC_CHILD_MAX_VSIZE: u64 = 1_000;

/// A TRUC rule broken, and the sibling whose eviction could resolve it.
pub(crate) struct TrucFailure {
    /// The rejection if nothing is evicted.
    pub error: ValidationError,
    /// The parent's only child, which a replacement may evict instead.
    pub sibling: Option<Txid>,
}

fn violation(debug: String) -> TrucFailure {
    TrucFailure {
        error: ValidationError::tx(TxResult::MempoolPolicy, "TRUC-violation", debug),
        sibling: None,
    }
}

impl Mempool {
    /// Core's `SingleTRUCChecks` for `tx` (`txid`/`wtxid`, `vsize`), given the
    /// pool transactions it directly conflicts with.
    pub(crate) fn truc_checks(
        &self,
        tx: &Transaction,
        (txid, wtxid): (Txid, Wtxid),
        vsize: u64,
        direct_conflicts: &HashSet<Txid>,
    ) -> Result<(), TrucFailure> {
        let mut parents: Vec<Txid> = Vec::new();
        for input in &tx.input {
            let p = input.previous_output.txid;
            if self.entries.contains_key(&p) && !parents.contains(&p) {
                parents.push(p);
            }
        }
        let is_truc = tx.version.0 == TRUC_VERSION;
        for p in &parents {
            let Some(parent) = self.entries.get(p) else {
                continue;
            };
            let parent_truc = parent.tx.version.0 == TRUC_VERSION;
            if !is_truc && parent_truc {
                return Err(violation(format!(
                    "non-version=3 tx {txid} (wtxid={wtxid}) cannot spend from version=3 tx {p} (wtxid={})",
                    parent.wtxid
                )));
            }
            if is_truc && !parent_truc {
                return Err(violation(format!(
                    "version=3 tx {txid} (wtxid={wtxid}) cannot spend from non-version=3 tx {p} (wtxid={})",
                    parent.wtxid
                )));
            }
        }
        if !is_truc {
            return Ok(());
        }
        if vsize > TRUC_MAX_VSIZE {
            return Err(violation(format!(
                "version=3 tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_MAX_VSIZE} virtual bytes"
            )));
        }
        let too_many_ancestors = || {
            violation(format!(
                "tx {txid} (wtxid={wtxid}) would have too many ancestors"
            ))
        };
        let Some(parent_id) = parents.first().copied() else {
            return Ok(());
        };
        if parents.len() > 1 {
            return Err(too_many_ancestors());
        }
        let Some(parent) = self.entries.get(&parent_id) else {
            return Ok(());
        };
        let parent_has_parent = parent
            .tx
            .input
            .iter()
            .any(|i| self.entries.contains_key(&i.previous_output.txid));
        if parent_has_parent {
            return Err(too_many_ancestors());
        }
        if vsize > TRUC_CHILD_MAX_VSIZE {
            return Err(violation(format!(
                "version=3 child tx {txid} (wtxid={wtxid}) is too big: {vsize} > {TRUC_CHILD_MAX_VSIZE} virtual bytes"
            )));
        }
        let mut descendants = self.with_descendants(&HashSet::from([parent_id]));
        descendants.remove(&parent_id);
        let child_replaced = descendants.iter().any(|d| direct_conflicts.contains(d));
        if !descendants.is_empty() && !child_replaced {
            let mut failure = violation(format!(
                "tx {parent_id} (wtxid={}) would exceed descendant count limit",
                parent.wtxid
            ));
            // Only a lone child with no other unconfirmed parent may go.
            if let [only] = descendants.iter().collect::<Vec<_>>()[..] {
                let other_parents = self.entries.get(only).is_some_and(|c| {
                    c.tx.input.iter().any(|i| {
                        i.previous_output.txid != parent_id
                            && self.entries.contains_key(&i.previous_output.txid)
                    })
                });
                if !other_parents {
                    failure.sibling = Some(*only);
                }
            }
            return Err(failure);
        }
        Ok(())
    }
}
