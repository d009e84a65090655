//! Consensus rules as pure functions over blocks, headers and coins, with Bitcoin
//! Core's reject reasons. No storage and no I/O: the chainstate calls in.
//!
//! Modules:
//! - [`params`]: chain parameters for every network and the deployment options.
//! - [`error`]: [`ValidationError`] with Core's reject reasons.
//! - [`tx_check`]: context-free transaction checks.
//! - [`merkle`]: merkle roots, mutation detection, witness commitments.
//! - [`pow`]: proof of work, difficulty, chain work; [`HeaderInfo`] and [`HeaderChain`].
//! - [`subsidy`]: block subsidy.
//! - [`flags`]: script verification flags for a block.
//! - [`block_check`]: `CheckBlock`, `ContextualCheckBlockHeader`, `ContextualCheckBlock`.
//! - [`tx_verify`]: finality, BIP68 sequence locks, sigops, `CheckTxInputs`.
//! - [`versionbits`]: BIP9 state machine, block version, buried deployments.
//! - [`interpreter`]: our script interpreter with Core's script errors and policy flags.
//! - [`script`]: the [`script::ScriptVerifier`] trait, `bitcoinconsensus` implementation,
//!   parallel block script checks.
//! - [`signet`]: BIP325 block solutions.
//! - [`arith`]: 256-bit arithmetic for compact targets.
//! - [`codec`]: Core-compatible transaction and block (de)serialization.
//! - [`test_support`]: transaction builders shared by other crates' tests.

pub mod arith;
pub mod block_check;
pub mod codec;
pub mod coin;
pub mod compress;
pub mod error;
pub mod flags;
pub mod interpreter;
pub mod merkle;
pub mod params;
pub mod pow;
pub mod script;
pub mod signet;
pub mod subsidy;
pub mod test_support;
pub mod tx_check;
pub mod tx_verify;
pub mod versionbits;

pub use coin::{Coin, CoinsView};
pub use error::{BlockResult, ResultKind, TxResult, ValidationError};
pub use params::{AssumeutxoData, Bip9Deployment, BuriedDeployment, DeploymentPos, Params};
pub use pow::{HeaderChain, HeaderInfo};
pub use script::{ConsensusScriptVerifier, ScriptVerifier};
pub use versionbits::{ThresholdState, VersionBitsCache};

#[cfg(test)]
pub(crate) mod testdata {
    //! Real testnet3 blocks (from Core's blockfilters.json test vectors).

    /// The testnet3 block at `height` (2, 49291, 180480 or 1263442).
    pub(crate) fn block(height: u32) -> bitcoin::Block {
        let text = match height {
            2 => include_str!("../testdata/testnet3-2.hex"),
            49291 => include_str!("../testdata/testnet3-49291.hex"),
            180480 => include_str!("../testdata/testnet3-180480.hex"),
            1263442 => include_str!("../testdata/testnet3-1263442.hex"),
            _ => panic!("no test block at {height}"),
        };
        bitcoin::consensus::deserialize(&hex::decode(text.trim()).expect("hex")).expect("block")
    }
}
