//! Bitcoin Core's descriptor wallet, for the `bitcoin-wallet` process: it
//! knows the node only as `interfaces::chain::Chain` (DESIGN §3).
//!
//! * [`db`]: `wallet.dat`, SQLite with Core's single key/value table and
//!   record formats, so Core and this wallet load each other's files.
//! * [`keys`]: seeds, descriptors and their ids, caches and ranges, the eight
//!   default descriptors, address derivation.
//! * [`crypto`]: Core's wallet encryption (master keys, encrypted secrets).
//! * [`ledger`]: the wallet's transactions, their states and balances.
//! * [`coinselection`]: Core's coin selection (BnB, CoinGrinder, Knapsack,
//!   SRD, the waste metric).
//! * [`spend`]: Core's transaction creation (fee rates, coin control,
//!   available coins, `CreateTransaction`), as pure logic over explicit
//!   wallet and chain facts.
//! * [`sign`]: Core's `FillPSBT`, `SignTransaction` and `SignMessage` over
//!   the wallet's descriptors, and signed input sizes for fee estimation.
//! * [`loader`]: the `WalletLoader` the node drives; [`context`] what it
//!   shares with the wallets and [`rpc`] methods; [`walletdir`] the wallet
//!   directory.

pub mod coinselection;
pub mod context;
pub mod crypto;
pub mod db;
pub mod interface;
pub mod keys;
pub mod ledger;
pub mod loader;
pub mod manage;
pub mod migrate;
pub mod rpc;
pub mod sign;
pub mod spend;
pub mod tool;
pub mod wallet;
pub mod walletdir;
