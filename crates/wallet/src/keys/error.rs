//! Errors of the keys module.

use std::fmt;

/// Why a descriptor could not be parsed, expanded or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The descriptor text is invalid; the message follows Core's wording
    /// where Core has one (e.g. `Missing checksum`).
    Parse(String),
    /// A construct Core accepts that this implementation does not support
    /// (e.g. `musig()`, multipath keys); refused rather than mis-handled.
    Unsupported(String),
    /// A key cannot be derived: a hardened step without the private key, or
    /// an index outside what the cache holds.
    Derive(String),
    /// Expansion from the cache alone failed (Core: `Unable to expand wallet
    /// descriptor from cache`).
    CacheMiss {
        /// Key expression index whose cache entry is missing.
        key_exp_index: u32,
        /// Derivation position being expanded.
        pos: u32,
    },
    /// The operation needs private keys that are encrypted and no unlocked
    /// master key was given.
    Locked,
    /// A stored or decrypted key does not fit (wrong master key, corrupt
    /// record, key belongs to another descriptor).
    Keys(String),
    /// Address generation refused (no addresses available, keypool ran out,
    /// wrong output type).
    Addresses(String),
    /// Stored wallet data is inconsistent (Core reports these as corruption).
    Corrupt(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Parse(m) => write!(f, "{m}"),
            KeyError::Unsupported(m) => write!(f, "unsupported descriptor: {m}"),
            KeyError::Derive(m) => write!(f, "cannot derive key: {m}"),
            KeyError::CacheMiss { key_exp_index, pos } => write!(
                f,
                "Unable to expand wallet descriptor from cache (key expression {key_exp_index}, index {pos})"
            ),
            KeyError::Locked => f.write_str("Error: Please enter the wallet passphrase with walletpassphrase first."),
            KeyError::Keys(m) => write!(f, "{m}"),
            KeyError::Addresses(m) => write!(f, "{m}"),
            KeyError::Corrupt(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for KeyError {}

impl From<crate::crypto::CryptoError> for KeyError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        KeyError::Keys(e.to_string())
    }
}

pub(crate) fn parse_err(m: impl Into<String>) -> KeyError {
    KeyError::Parse(m.into())
}
