//! Block-creation settings (`-blockmintxfee`, `-blockmaxweight`,
//! `-blockreservedweight`, `-blockversion`) and the limits every template
//! request must respect, with Core's messages for both the command line and
//! IPC option names.

use common::args::ArgsManager;
use common::chaintype::ChainType;
use consensus::tx_check::{MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT};

/// Core's default `-blockmintxfee`, in sat/kvB.
pub const DEFAULT_BLOCK_MIN_TX_FEE: i64 = 1;
/// Core's default `-blockreservedweight` (and IPC `block_reserved_weight`).
pub const DEFAULT_BLOCK_RESERVED_WEIGHT: u64 = 8000;
/// The smallest reserved weight that still leaves room for header and coinbase.
pub const MINIMUM_BLOCK_RESERVED_WEIGHT: u64 = 2000;

/// Settings of the node's block assembler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiningArgs {
    /// Lowest package fee rate (sat/kvB) that enters a block.
    pub block_min_fee: i64,
    /// Largest block weight assembled.
    pub block_max_weight: u64,
    /// Weight kept free for header and coinbase in RPC templates.
    pub block_reserved_weight: u64,
    /// `-blockversion` (regtest only).
    pub version_override: Option<i32>,
}

impl Default for MiningArgs {
    fn default() -> Self {
        MiningArgs {
            block_min_fee: DEFAULT_BLOCK_MIN_TX_FEE,
            block_max_weight: MAX_BLOCK_WEIGHT,
            block_reserved_weight: DEFAULT_BLOCK_RESERVED_WEIGHT,
            version_override: None,
        }
    }
}

/// How a limit is named in an error: the command-line option or the IPC field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitNames {
    /// `-blockreservedweight` / `-blockmaxweight`.
    Args,
    /// `block_reserved_weight` / `block_max_weight`.
    Options,
}

/// Checks reserved weight, maximum weight and extra coinbase sigops against
/// consensus and each other (Core's `CheckMiningOptions`).
pub fn check_limits(
    names: LimitNames,
    reserved_weight: u64,
    max_weight: u64,
    additional_sigops: u64,
) -> Result<(), String> {
    let (reserved, max) = match names {
        LimitNames::Args => ("-blockreservedweight", "-blockmaxweight"),
        LimitNames::Options => ("block_reserved_weight", "block_max_weight"),
    };
    if reserved_weight < MINIMUM_BLOCK_RESERVED_WEIGHT {
        return Err(format!(
            "{reserved} ({reserved_weight}) is lower than minimum safety value of ({MINIMUM_BLOCK_RESERVED_WEIGHT})"
        ));
    }
    if reserved_weight > MAX_BLOCK_WEIGHT {
        return Err(format!(
            "{reserved} ({reserved_weight}) exceeds consensus maximum block weight ({MAX_BLOCK_WEIGHT})"
        ));
    }
    if max_weight > MAX_BLOCK_WEIGHT {
        return Err(format!(
            "{max} ({max_weight}) exceeds consensus maximum block weight ({MAX_BLOCK_WEIGHT})"
        ));
    }
    if reserved_weight > max_weight {
        return Err(format!(
            "{reserved} ({reserved_weight}) exceeds {max} ({max_weight})"
        ));
    }
    if additional_sigops > MAX_BLOCK_SIGOPS_COST {
        return Err(format!(
            "coinbase_output_max_additional_sigops ({additional_sigops}) exceeds consensus maximum block sigops cost ({MAX_BLOCK_SIGOPS_COST})"
        ));
    }
    Ok(())
}

/// A non-negative integer option; negative values are out of range like
/// any other bad weight.
fn weight_arg(args: &ArgsManager, name: &str, default: u64) -> u64 {
    args.get_int_arg_opt(name)
        .map_or(default, |v| u64::try_from(v).unwrap_or(0))
}

impl MiningArgs {
    /// Reads and checks the options; the error is the init error text.
    pub fn from_args(args: &ArgsManager, chain: ChainType) -> Result<Self, String> {
        let block_min_fee = match args.get_arg("-blockmintxfee") {
            None => DEFAULT_BLOCK_MIN_TX_FEE,
            Some(v) => common::strencodings::parse_fixed_point(&v, 8)
                .filter(|f| *f >= 0)
                .ok_or_else(|| format!("Invalid amount for -blockmintxfee=<amount>: '{v}'"))?,
        };
        let parsed = MiningArgs {
            block_min_fee,
            block_max_weight: weight_arg(args, "-blockmaxweight", MAX_BLOCK_WEIGHT),
            block_reserved_weight: weight_arg(
                args,
                "-blockreservedweight",
                DEFAULT_BLOCK_RESERVED_WEIGHT,
            ),
            // Only regtest lets tests mine blocks of another version.
            version_override: (chain == ChainType::Regtest)
                .then(|| args.get_int_arg_opt("-blockversion").map(|v| v as i32))
                .flatten(),
        };
        check_limits(
            LimitNames::Args,
            parsed.block_reserved_weight,
            parsed.block_max_weight,
            0,
        )?;
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_offending_setting() {
        assert_eq!(
            check_limits(LimitNames::Args, 8000, 7999, 0).unwrap_err(),
            "-blockreservedweight (8000) exceeds -blockmaxweight (7999)"
        );
        assert_eq!(
            check_limits(LimitNames::Options, 1999, MAX_BLOCK_WEIGHT, 0).unwrap_err(),
            "block_reserved_weight (1999) is lower than minimum safety value of (2000)"
        );
        assert!(check_limits(LimitNames::Args, 8000, MAX_BLOCK_WEIGHT, 400).is_ok());
    }
}
