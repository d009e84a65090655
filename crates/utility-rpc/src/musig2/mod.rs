//! MuSig2 (BIP327) with BIP328 synthetic xpubs, as Core's signer and
//! wallet use it for `musig()` descriptors: key aggregation and tweaking,
//! nonce generation and aggregation, partial signing and verification,
//! and aggregation into a BIP340 signature.
//!
//! Written by hand on the `secp256k1` crate's key operations: the version
//! rust-bitcoin builds on (0.29) has no MuSig2 module. Checked against the
//! BIP's test vectors (`vectors/`).

mod bip328;
mod keyagg;
mod nonce;
mod psbt;
mod scalar;
mod session;

#[cfg(test)]
mod tests;

pub use bip328::{derivation_tweaks, synthetic_xpub, MUSIG_CHAINCODE};
pub use keyagg::{KeyAggContext, Tweak};
pub use nonce::{nonce_agg, nonce_gen, SecNonce, PUBNONCE_SIZE};
pub use psbt::{create_aggregate_sig, create_nonce, session_key, signing_session, ByParticipant};
pub use session::{partial_sig_verify, Session};

use bitcoin::hashes::{sha256, Hash, HashEngine};

/// Why a MuSig2 step failed; "invalid contribution" errors name the
/// participant (by index in the list given) to blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Participant `i`'s public key is not a valid compressed point.
    InvalidPubkey(usize),
    /// Participant `i`'s public nonce is invalid.
    InvalidPubnonce(usize),
    /// The aggregate nonce is invalid.
    InvalidAggnonce,
    /// A partial signature does not verify, or (index given) is out of range.
    InvalidPartialSig(Option<usize>),
    /// A tweak is not below the curve order.
    InvalidTweak,
    /// Aggregation or tweaking gave the point at infinity.
    InfiniteKey,
    /// No participants.
    NoParticipants,
    /// The secret nonce is zero: already used, or never generated.
    InvalidSecNonce,
    /// The secret key is not the one the nonce was generated for.
    SecNonceKeyMismatch,
    /// The signer's key is not among the participants.
    NotAParticipant,
    /// Inputs of mismatched lengths or sizes.
    InvalidInput,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidPubkey(i) => write!(f, "participant {i} has an invalid public key"),
            Error::InvalidPubnonce(i) => write!(f, "participant {i} has an invalid public nonce"),
            Error::InvalidAggnonce => f.write_str("the aggregate nonce is invalid"),
            Error::InvalidPartialSig(Some(i)) => {
                write!(f, "participant {i} has an invalid partial signature")
            }
            Error::InvalidPartialSig(None) => f.write_str("the partial signature does not verify"),
            Error::InvalidTweak => f.write_str("the tweak must be less than the curve order"),
            Error::InfiniteKey => f.write_str("the key is the point at infinity"),
            Error::NoParticipants => f.write_str("no participants"),
            Error::InvalidSecNonce => f.write_str("the secret nonce is invalid or used"),
            Error::SecNonceKeyMismatch => {
                f.write_str("the secret key does not match the secret nonce")
            }
            Error::NotAParticipant => f.write_str("the signer is not a participant"),
            Error::InvalidInput => f.write_str("invalid input sizes"),
        }
    }
}

impl std::error::Error for Error {}

/// BIP340 tagged hash of the concatenated `parts` (tags here are not
/// fixed at compile time, as rust-bitcoin's tagged hash types need).
pub fn tagged_hash(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let t = sha256::Hash::hash(tag.as_bytes());
    let mut e = sha256::Hash::engine();
    e.input(t.as_byte_array());
    e.input(t.as_byte_array());
    for p in parts {
        e.input(p);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}
