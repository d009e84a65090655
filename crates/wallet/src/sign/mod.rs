//! Signing with the wallet's keys, as pure functions over a
//! [`Keystore`](crate::wallet::keystore::Keystore) and a
//! [`KeyAccess`](crate::keys::KeyAccess): Core's `CWallet::FillPSBT`
//! ([`fill_psbt`]), `CWallet::SignTransaction` ([`sign_transaction`]),
//! `CWallet::SignMessage` ([`sign_message`]), and the input sizes fee
//! estimation charges before anything is signed ([`input_satisfaction`]).
//!
//! Every scriptSig and witness produced is checked with the script
//! interpreter of the `consensus` crate under Core's standard flags, which
//! also names the error of an input that cannot be completed.

mod error;
mod fill;
mod finalize;
mod message;
mod musig;
mod produce;
mod satisfaction;
mod sighash;
mod signer;
mod transaction;
mod update;

pub use error::SignError;
pub use fill::{fill_psbt, FillOptions, FillResult};
pub use message::sign_message;
pub use musig::MuSigSessions;
pub use satisfaction::{coin_output_type, descriptor_satisfaction, input_satisfaction};
pub use sighash::{SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_DEFAULT, SIGHASH_SINGLE};
pub use transaction::{
    sign_result_json, sign_transaction, SignTxResult, INPUT_NOT_FOUND, MAX_MONEY, MISSING_AMOUNT,
};

#[cfg(test)]
mod tests;
