//! The relay policy options (`-minrelaytxfee`, `-incrementalrelayfee`,
//! `-dustrelayfee`, `-datacarrier[size]`, `-permitbaremultisig`,
//! `-bytespersigop`, `-limitcluster*`, `-limitancestorcount`,
//! `-limitdescendantcount`, `-acceptnonstdtxn`), read once at
//! start-up into a [`Policy`] that everything else is handed.

use common::args::ArgsManager;
use common::chaintype::ChainType;
use common::strencodings::parse_fixed_point;

use crate::Policy;

/// Most transactions `-limitclustercount` may allow.
const MAX_CLUSTER_COUNT_LIMIT: i64 = 64;
/// Default `-limitclustersize`, in kvB.
const DEFAULT_CLUSTER_SIZE_KVB: i64 = 101;

impl Policy {
    /// Reads the policy options for `chain`, with Core's init errors.
    pub fn from_args(args: &ArgsManager, chain: ChainType) -> Result<Policy, String> {
        let defaults = Policy::default();
        let accept_non_standard = args.get_bool_arg("-acceptnonstdtxn", false);
        // Relaying non-standard transactions is for test chains only, as in Core.
        if chain == ChainType::Main && accept_non_standard {
            return Err(format!(
                "acceptnonstdtxn is not currently supported for {} chain",
                chain.as_str()
            ));
        }
        let fee = |name: &str, default: i64| {
            args.get_arg(name)
                .and_then(|v| parse_fixed_point(&v, 8))
                .unwrap_or(default)
        };
        let cluster_count = args.get_int_arg("-limitclustercount", MAX_CLUSTER_COUNT_LIMIT);
        if cluster_count > MAX_CLUSTER_COUNT_LIMIT {
            return Err("limitclustercount must be less than or equal to 64".to_string());
        }
        let mut policy = Policy {
            min_relay_fee_per_kvb: fee("-minrelaytxfee", defaults.min_relay_fee_per_kvb),
            require_standard: !accept_non_standard,
            incremental_relay_fee_per_kvb: fee(
                "-incrementalrelayfee",
                defaults.incremental_relay_fee_per_kvb,
            ),
            dust_relay_fee_per_kvb: match args.get_arg("-dustrelayfee") {
                None => defaults.dust_relay_fee_per_kvb,
                Some(v) => parse_fixed_point(&v, 8)
                    .ok_or_else(|| format!("Invalid amount for -dustrelayfee=<amount>: '{v}'"))?,
            },
            max_datacarrier_bytes: args
                .get_bool_arg("-datacarrier", true)
                .then(|| {
                    args.get_int_arg_opt("-datacarriersize")
                        .map_or(defaults.max_datacarrier_bytes, |n| {
                            Some(u64::try_from(n).unwrap_or(0))
                        })
                })
                .flatten(),
            permit_bare_multisig: args.get_bool_arg("-permitbaremultisig", true),
            bytes_per_sigop: u64::try_from(
                args.get_int_arg("-bytespersigop", defaults.bytes_per_sigop as i64),
            )
            .unwrap_or(0),
            cluster_count: usize::try_from(cluster_count).unwrap_or(0),
            cluster_vbytes: u64::try_from(
                args.get_int_arg("-limitclustersize", DEFAULT_CLUSTER_SIZE_KVB),
            )
            .unwrap_or(0)
            .saturating_mul(1000),
            ancestor_count: args.get_int_arg("-limitancestorcount", defaults.ancestor_count),
            descendant_count: args.get_int_arg("-limitdescendantcount", defaults.descendant_count),
            expiry_secs: args
                .get_int_arg("-mempoolexpiry", crate::accept::DEFAULT_EXPIRY_HOURS)
                .saturating_mul(60 * 60),
            max_mempool_bytes: u64::try_from(
                args.get_int_arg("-maxmempool", crate::size_limit::DEFAULT_MAX_MEMPOOL_MB),
            )
            .map_err(|_| "-maxmempool must not be negative".to_string())?
            .saturating_mul(1_000_000),
        };
        crate::size_limit::check_max_mempool(policy.max_mempool_bytes, policy.cluster_vbytes)?;
        if args.get_arg("-minrelaytxfee").is_none()
            && policy.incremental_relay_fee_per_kvb > policy.min_relay_fee_per_kvb
        {
            policy.min_relay_fee_per_kvb = policy.incremental_relay_fee_per_kvb;
            let r = policy.min_relay_fee_per_kvb;
            tracing::info!(
                "Increasing minrelaytxfee to {}.{:08} BTC/kvB to match incrementalrelayfee",
                r / 100_000_000,
                r % 100_000_000
            );
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(chain: ChainType, argv: &[&str]) -> Result<Policy, String> {
        let args = common::options::parse_node_args(argv).expect("parse");
        Policy::from_args(&args, chain)
    }

    #[test]
    fn options_and_core_errors() {
        let p = policy(ChainType::Regtest, &[]).unwrap();
        assert_eq!(
            p.min_relay_fee_per_kvb,
            Policy::default().min_relay_fee_per_kvb
        );
        assert!(p.require_standard);
        let p = policy(ChainType::Regtest, &["-incrementalrelayfee=0.00002"]).unwrap();
        assert_eq!(p.min_relay_fee_per_kvb, 2000, "follows incrementalrelayfee");
        let p = policy(
            ChainType::Regtest,
            &["-datacarrier=0", "-limitclustersize=10", "-acceptnonstdtxn"],
        )
        .unwrap();
        assert_eq!(p.max_datacarrier_bytes, None);
        assert_eq!(p.cluster_vbytes, 10_000);
        assert!(!p.require_standard);
        // The wallet's package limits: 25 each unless set.
        let p = policy(ChainType::Regtest, &[]).unwrap();
        assert_eq!((p.ancestor_count, p.descendant_count), (25, 25));
        let p = policy(
            ChainType::Regtest,
            &["-limitancestorcount=5", "-limitdescendantcount=7"],
        )
        .unwrap();
        assert_eq!((p.ancestor_count, p.descendant_count), (5, 7));
        assert_eq!(
            policy(ChainType::Main, &["-acceptnonstdtxn"]).unwrap_err(),
            "acceptnonstdtxn is not currently supported for main chain"
        );
        assert_eq!(
            policy(ChainType::Regtest, &["-limitclustercount=65"]).unwrap_err(),
            "limitclustercount must be less than or equal to 64"
        );
        assert_eq!(
            policy(ChainType::Regtest, &["-dustrelayfee=x"]).unwrap_err(),
            "Invalid amount for -dustrelayfee=<amount>: 'x'"
        );
    }
}
