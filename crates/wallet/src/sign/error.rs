//! Errors of signing, with Core's texts (`PSBTErrorString`,
//! `SigningResultString`, the `signmessage` RPC).

use std::fmt;

use crate::keys::KeyError;

/// Why a PSBT could not be filled or a message signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// Core's `PSBTError::MISSING_INPUTS`: an input's previous transaction
    /// does not match its outpoint.
    MissingInputs,
    /// Core's `PSBTError::SIGHASH_MISMATCH`: the requested sighash type
    /// differs from the one the PSBT stores or its signatures use.
    SighashMismatch,
    /// Core's `PSBTError::INVALID_TX`: the PSBT is not internally
    /// consistent (inputs or outputs do not match its transaction).
    InvalidTx,
    /// `signmessage` with an address that is not P2PKH.
    AddressNoKey,
    /// Core's `SigningResult::PRIVATE_KEY_NOT_AVAILABLE`.
    PrivateKeyNotAvailable,
    /// Core's `SigningResult::SIGNING_FAILED`.
    SigningFailed,
    /// Reaching the wallet's keys failed (e.g. a key that does not decrypt);
    /// Core treats these as corruption.
    Keys(String),
    /// Core's `PSBTError::EXTERNAL_SIGNER_NOT_FOUND`: `-signer` is unset,
    /// or not exactly one signer is connected.
    ExternalSignerNotFound,
    /// Core's `PSBTError::EXTERNAL_SIGNER_FAILED`: the signer refused, or
    /// answered something that is not a PSBT.
    ExternalSignerFailed,
    /// The signer program could not be run or gave no JSON; Core throws,
    /// so the text reaches the caller as it is.
    ExternalSignerCommand(String),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignError::MissingInputs => "Inputs missing or spent",
            SignError::SighashMismatch => {
                "Specified sighash value does not match value stored in PSBT"
            }
            SignError::InvalidTx => "The transaction cannot be valid",
            SignError::AddressNoKey => "Address does not refer to key",
            SignError::PrivateKeyNotAvailable => "Private key not available",
            SignError::SigningFailed => "Sign failed",
            SignError::Keys(m) => m,
            SignError::ExternalSignerNotFound => "External signer not found",
            SignError::ExternalSignerFailed => "External signer failed to sign",
            SignError::ExternalSignerCommand(m) => m,
        })
    }
}

impl std::error::Error for SignError {}

impl From<KeyError> for SignError {
    fn from(e: KeyError) -> Self {
        SignError::Keys(e.to_string())
    }
}
