//! A script interpreter that reports Core's exact script errors.
//!
//! Consensus verification stays with `bitcoinconsensus` (see
//! [`crate::script`]). This interpreter follows Core's `VerifyScript` and
//! `EvalScript` under every flag, including the policy-only ones that
//! library does not accept, so it serves two purposes: naming the error of
//! an input that failed (reject reasons such as "Negative locktime"), and
//! enforcing the standardness flags for the mempool.

mod checker;
mod error;
mod eval;
mod num;
mod script;
mod verify;

pub use checker::{ExecData, SigVersion, TxChecker};
pub use error::ScriptError;
pub use eval::is_valid_signature_encoding;
pub use verify::{script_sig_stack, verify_script};
