//! The chains a node can run on, with their names and data subdirectories.

use std::fmt;

/// Which network the node runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChainType {
    /// Bitcoin mainnet.
    Main,
    /// The legacy public test network (testnet3).
    Testnet,
    /// The public test network testnet4 (BIP94).
    Testnet4,
    /// A signet (default global signet unless `-signetchallenge` is given).
    Signet,
    /// Local regression-test chain.
    Regtest,
}

impl ChainType {
    /// All chain types, mainnet first.
    pub const ALL: [ChainType; 5] = [
        ChainType::Main,
        ChainType::Testnet,
        ChainType::Testnet4,
        ChainType::Signet,
        ChainType::Regtest,
    ];

    /// The name used by `-chain=` and config file sections ("main", "test", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ChainType::Main => "main",
            ChainType::Testnet => "test",
            ChainType::Testnet4 => "testnet4",
            ChainType::Signet => "signet",
            ChainType::Regtest => "regtest",
        }
    }

    /// Parses a chain name as accepted by `-chain=`; `None` if unknown.
    pub fn from_name(name: &str) -> Option<ChainType> {
        ChainType::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Subdirectory of the datadir holding this chain's data ("" for mainnet).
    pub fn data_subdir(self) -> &'static str {
        match self {
            ChainType::Main => "",
            ChainType::Testnet => "testnet3",
            ChainType::Testnet4 => "testnet4",
            ChainType::Signet => "signet",
            ChainType::Regtest => "regtest",
        }
    }

    /// Default JSON-RPC port for this chain.
    pub fn default_rpc_port(self) -> u16 {
        match self {
            ChainType::Main => 8332,
            ChainType::Testnet => 18332,
            ChainType::Testnet4 => 48332,
            ChainType::Signet => 38332,
            ChainType::Regtest => 18443,
        }
    }
}

impl fmt::Display for ChainType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in ChainType::ALL {
            assert_eq!(ChainType::from_name(c.as_str()), Some(c));
        }
        assert_eq!(ChainType::from_name("testnet3"), None);
        assert_eq!(ChainType::Testnet.data_subdir(), "testnet3");
        assert_eq!(ChainType::Main.data_subdir(), "");
        assert_eq!(ChainType::Regtest.to_string(), "regtest");
    }
}
