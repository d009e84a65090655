//! The wallet's part in MuSig2 signing sessions (Core's `SignMuSig2` with
//! a wallet's signing provider): listing `musig()` participants in PSBTs,
//! making public nonces while keeping the secret ones in memory, partial
//! signatures once every participant's nonce is present, and the final
//! signature once every partial signature is. The BIP327 arithmetic is
//! [`utility_rpc::musig2`]'s, shared with the PSBT RPCs.

pub(super) mod fields;
mod sessions;
mod sign;

pub use sessions::MuSigSessions;
pub(super) use sign::{sign_musig, MuSigSpend};
