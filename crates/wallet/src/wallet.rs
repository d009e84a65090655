//! One loaded wallet (Core's `CWallet`).

/// A loaded wallet.
pub struct Wallet {
    name: String,
}

impl Wallet {
    /// The wallet's name (its path relative to the wallet directory).
    pub fn name(&self) -> &str {
        &self.name
    }
}
