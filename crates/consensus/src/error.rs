//! Validation failures carrying Bitcoin Core's reject reasons.
//!
//! A [`ValidationError`] is what Core keeps in a `BlockValidationState` or
//! `TxValidationState` after `Invalid(...)`: a result kind, the reject reason
//! (the short string shown to peers, in RPC results and in `debug.log`) and a
//! free-form debug message.

use std::fmt;

/// Why a block was invalid (Core's `BlockValidationResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockResult {
    /// Invalid by consensus rules (excluding the reasons below).
    Consensus,
    /// The block was cached as invalid and the reason was not kept.
    CachedInvalid,
    /// Invalid proof of work or time too old.
    InvalidHeader,
    /// The block's data does not match what the proof of work commits to.
    Mutated,
    /// The previous block is unknown.
    MissingPrev,
    /// A block this one builds on is invalid.
    InvalidPrev,
    /// Timestamp more than two hours in the future.
    TimeFuture,
    /// The header may be on a chain with too little work.
    HeaderLowWork,
}

/// Why a transaction was invalid (Core's `TxValidationResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxResult {
    /// Invalid by consensus rules.
    Consensus,
    /// Inputs (covered by the txid) failed policy rules.
    InputsNotStandard,
    /// Failed some other local policy rule.
    NotStandard,
    /// Some inputs are missing.
    MissingInputs,
    /// Spends an immature coinbase or violates a lock time / sequence lock.
    PrematureSpend,
    /// A witness before segwit activation, or a malleated witness.
    WitnessMutated,
    /// The witness is missing.
    WitnessStripped,
    /// Already in the mempool or conflicts with the chain.
    Conflict,
    /// Violated a mempool fee/size/package/RBF limit.
    MempoolPolicy,
    /// The node has no mempool.
    NoMempool,
    /// Fails a policy but may be accepted in a different package.
    Reconsiderable,
    /// Not validated because the package failed.
    Unknown,
}

/// The kind of a validation failure: block or transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResultKind {
    /// A block (or header) failure.
    Block(BlockResult),
    /// A transaction failure.
    Tx(TxResult),
}

/// A validation failure with Core's reject reason and debug message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// Block or transaction result kind.
    pub result: ResultKind,
    /// Core's reject reason, e.g. `bad-txnmrklroot`.
    pub reason: String,
    /// Core's debug message (may be empty).
    pub debug: String,
}

impl ValidationError {
    /// A block failure.
    pub fn block(result: BlockResult, reason: impl Into<String>, debug: impl Into<String>) -> Self {
        ValidationError {
            result: ResultKind::Block(result),
            reason: reason.into(),
            debug: debug.into(),
        }
    }

    /// A transaction failure.
    pub fn tx(result: TxResult, reason: impl Into<String>, debug: impl Into<String>) -> Self {
        ValidationError {
            result: ResultKind::Tx(result),
            reason: reason.into(),
            debug: debug.into(),
        }
    }

    /// The block result kind, if this is a block failure.
    pub fn block_result(&self) -> Option<BlockResult> {
        match self.result {
            ResultKind::Block(r) => Some(r),
            ResultKind::Tx(_) => None,
        }
    }

    /// The transaction result kind, if this is a transaction failure.
    pub fn tx_result(&self) -> Option<TxResult> {
        match self.result {
            ResultKind::Tx(r) => Some(r),
            ResultKind::Block(_) => None,
        }
    }
}

/// Core's `ValidationState::ToString()`: `"reason, debug"`, or just the
/// reason when there is no debug message.
impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.debug.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}, {}", self.reason, self.debug)
        }
    }
}

impl std::error::Error for ValidationError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_like_core() {
        let e = ValidationError::block(
            BlockResult::Mutated,
            "bad-txnmrklroot",
            "hashMerkleRoot mismatch",
        );
        assert_eq!(e.to_string(), "bad-txnmrklroot, hashMerkleRoot mismatch");
        assert_eq!(e.block_result(), Some(BlockResult::Mutated));
        assert_eq!(e.tx_result(), None);
        let e = ValidationError::tx(TxResult::Consensus, "bad-txns-vin-empty", "");
        assert_eq!(e.to_string(), "bad-txns-vin-empty");
        assert_eq!(e.tx_result(), Some(TxResult::Consensus));
    }
}
