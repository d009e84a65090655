//! Errors of the chainstate: a block or header that breaks a rule, or a
//! failure of the node itself (disk, corrupt data) that must not be blamed on
//! the block.

use blockstore::StoreError;
use consensus::ValidationError;
use std::fmt;

/// Why a chainstate operation failed.
#[derive(Debug)]
pub enum ChainError {
    /// The block, header or transaction breaks a rule.
    Invalid(ValidationError),
    /// Reading or writing storage failed; the chainstate is unchanged in memory.
    Store(StoreError),
    /// Something the node needed is missing or inconsistent (e.g. block data
    /// for a block the index says is stored).
    System(String),
    /// The stored databases do not fit together (e.g. the coins' best block
    /// is missing from the block index); a reindex rebuilds them.
    LoadFailed(String),
    /// A condition after which the node cannot go on (Core's fatal
    /// errors, e.g. a snapshot chainstate without assumeutxo data).
    Fatal(String),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::Invalid(e) => write!(f, "{e}"),
            ChainError::Store(e) => write!(f, "{e}"),
            ChainError::System(s) | ChainError::LoadFailed(s) | ChainError::Fatal(s) => {
                f.write_str(s)
            }
        }
    }
}

impl std::error::Error for ChainError {}

impl From<StoreError> for ChainError {
    fn from(e: StoreError) -> Self {
        ChainError::Store(e)
    }
}

impl From<ValidationError> for ChainError {
    fn from(e: ValidationError) -> Self {
        ChainError::Invalid(e)
    }
}

/// Result of chainstate operations.
pub type Result<T> = std::result::Result<T, ChainError>;
