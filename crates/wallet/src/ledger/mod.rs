//! The wallet's transactions (Core's transaction tracking in `CWallet` and
//! `receive.cpp`), kept apart from keys and storage so the rules are
//! testable on their own:
//!
//! * [`state`]: where a transaction stands (confirmed, mempool, conflicted,
//!   inactive/abandoned) and its stored form.
//! * [`store`]: the [`Ledger`]: adding what involves the wallet, spends,
//!   conflicts, abandonment, block (dis)connection and mempool events,
//!   with the changes to persist and announce.
//! * [`balance`]: trust, credits and debits, balances.

pub mod balance;
pub mod state;
pub mod store;
#[cfg(test)]
mod tests;

pub use balance::{Balance, OutputEntry};
pub use state::{SyncState, TxState};
pub use store::{Change, Entry, Ledger, LedgerEnv, Pending, SpendType};
