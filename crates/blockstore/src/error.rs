//! The error type shared by the block files and the database.

use std::fmt;
use std::io;

use crate::flatfile::FlatFilePos;

/// Everything that can go wrong while reading or writing block storage.
#[derive(Debug)]
pub enum StoreError {
    /// An operating-system I/O error; `context` says what was being done.
    Io {
        /// What was being attempted, including the file involved.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Data on disk does not have the expected format.
    Corrupt {
        /// What was wrong and where (file and position when known).
        message: String,
    },
    /// An undo record's stored checksum does not match its contents.
    ChecksumMismatch {
        /// Position of the undo data in its rev file.
        pos: FlatFilePos,
    },
    /// The embedded database reported an error.
    Database(String),
    /// The blocks directory is set up in a way that cannot be used
    /// (for example a stored obfuscation key when obfuscation is disabled).
    Config(String),
}

impl StoreError {
    /// Build an [`StoreError::Io`] with a description of the operation.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// Build a [`StoreError::Corrupt`] from a message.
    pub fn corrupt(message: impl Into<String>) -> Self {
        StoreError::Corrupt {
            message: message.into(),
        }
    }

    /// True for errors that indicate damaged data rather than a failing
    /// system call or database.
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            StoreError::Corrupt { .. } | StoreError::ChecksumMismatch { .. }
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { context, source } => write!(f, "I/O error while {context}: {source}"),
            StoreError::Corrupt { message } => write!(f, "corrupt data: {message}"),
            StoreError::ChecksumMismatch { pos } => {
                write!(f, "Checksum mismatch at {pos} while reading block undo")
            }
            StoreError::Database(msg) => write!(f, "database error: {msg}"),
            StoreError::Config(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(e.to_string())
            }
        })*
    };
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
