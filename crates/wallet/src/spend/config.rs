//! The wallet's transaction options (`-mintxfee`, `-fallbackfee`,
//! `-discardfee`, `-consolidatefeerate`, `-maxtxfee`, `-maxapsfee`,
//! `-txconfirmtarget`, `-walletrbf`, `-spendzeroconfchange`,
//! `-avoidpartialspends`, `-walletrejectlongchains`, `-addresstype`,
//! `-changetype`) with Core's defaults, parsed as Core's
//! `CWallet::LoadWalletArgs` does, with its init errors and warnings.
//!
//! `-paytxfee` is not here: Core master removed it (deprecated in 30.0).

use common::args::ArgsManager;

use super::fees::format_fee_rate_btc_kvb;
use super::script::parse_output_type;
use super::{COIN, MAX_MONEY};
use crate::coinselection::{FeeRate, OutputType};

/// `-fallbackfee` default (sat/kvB): no fallback, estimates are required.
pub const DEFAULT_FALLBACK_FEE: i64 = 0;
/// `-discardfee` default (sat/kvB).
pub const DEFAULT_DISCARD_FEE: i64 = 10_000;
/// `-mintxfee` default (sat/kvB).
pub const DEFAULT_TRANSACTION_MINFEE: i64 = 1000;
/// `-consolidatefeerate` default (sat/kvB).
pub const DEFAULT_CONSOLIDATE_FEERATE: i64 = 10_000;
/// `-maxapsfee` default (satoshis): partial spend avoidance only when it
/// costs nothing extra.
pub const DEFAULT_MAX_AVOIDPARTIALSPEND_FEE: i64 = 0;
/// `-maxapsfee` above this draws a warning (satoshis).
pub const HIGH_APS_FEE: i64 = COIN / 10_000;
/// Smallest fee rate increase the wallet uses for replacements (sat/kvB).
pub const WALLET_INCREMENTAL_RELAY_FEE: i64 = 5000;
/// `-spendzeroconfchange` default.
pub const DEFAULT_SPEND_ZEROCONF_CHANGE: bool = true;
/// `-walletrejectlongchains` default.
pub const DEFAULT_WALLET_REJECT_LONG_CHAINS: bool = true;
/// `-txconfirmtarget` default (blocks).
pub const DEFAULT_TX_CONFIRM_TARGET: u32 = 6;
/// `-walletrbf` default.
pub const DEFAULT_WALLET_RBF: bool = true;
/// `-avoidpartialspends` default.
pub const DEFAULT_AVOIDPARTIALSPENDS: bool = false;
/// `-maxtxfee` default (satoshis).
pub const DEFAULT_TRANSACTION_MAXFEE: i64 = COIN / 10;
/// Fee rates above this (sat/kvB) draw a warning.
pub const HIGH_TX_FEE_PER_KB: i64 = COIN / 100;
/// `-maxtxfee` above this (satoshis) draws a warning.
pub const HIGH_MAX_TX_FEE: i64 = 100 * HIGH_TX_FEE_PER_KB;
/// `-addresstype` default.
pub const DEFAULT_ADDRESS_TYPE: OutputType = OutputType::Bech32;

/// The wallet's fee and spending options (Core's `CWallet` members of the
/// same meaning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletFeeConfig {
    /// `-mintxfee`: rates below this count as zero.
    pub min_fee: FeeRate,
    /// `-fallbackfee`: the rate used without estimates; zero disables it.
    pub fallback_fee: FeeRate,
    /// `-discardfee`: change costing more than its value to spend at this
    /// rate goes to fees.
    pub discard_rate: FeeRate,
    /// `-consolidatefeerate`: below it, selection favours spending more
    /// inputs now.
    pub consolidate_feerate: FeeRate,
    /// `-maxtxfee`: the largest absolute fee of one transaction.
    pub max_tx_fee: i64,
    /// `-maxapsfee`: extra absolute fee accepted to avoid partial spends;
    /// -1 disables the second attempt.
    pub max_aps_fee: i64,
    /// `-txconfirmtarget`: the default confirmation target.
    pub confirm_target: u32,
    /// `-walletrbf`: signal BIP125 replaceability by default.
    pub signal_rbf: bool,
    /// `-spendzeroconfchange`: our own unconfirmed change may be spent.
    pub spend_zero_conf_change: bool,
    /// `-avoidpartialspends`: coin control's default.
    pub avoid_partial_spends: bool,
    /// `-walletrejectlongchains`: refuse transactions beyond mempool chain
    /// limits.
    pub reject_long_chains: bool,
    /// `-addresstype`.
    pub default_address_type: OutputType,
    /// `-changetype`; unset chooses per transaction.
    pub default_change_type: Option<OutputType>,
}

impl Default for WalletFeeConfig {
    fn default() -> Self {
        WalletFeeConfig {
            min_fee: FeeRate::from_sat_per_kvb(DEFAULT_TRANSACTION_MINFEE),
            fallback_fee: FeeRate::from_sat_per_kvb(DEFAULT_FALLBACK_FEE),
            discard_rate: FeeRate::from_sat_per_kvb(DEFAULT_DISCARD_FEE),
            consolidate_feerate: FeeRate::from_sat_per_kvb(DEFAULT_CONSOLIDATE_FEERATE),
            max_tx_fee: DEFAULT_TRANSACTION_MAXFEE,
            max_aps_fee: DEFAULT_MAX_AVOIDPARTIALSPEND_FEE,
            confirm_target: DEFAULT_TX_CONFIRM_TARGET,
            signal_rbf: DEFAULT_WALLET_RBF,
            spend_zero_conf_change: DEFAULT_SPEND_ZEROCONF_CHANGE,
            avoid_partial_spends: DEFAULT_AVOIDPARTIALSPENDS,
            reject_long_chains: DEFAULT_WALLET_REJECT_LONG_CHAINS,
            default_address_type: DEFAULT_ADDRESS_TYPE,
            default_change_type: None,
        }
    }
}

/// Core's `AmountErrMsg`.
fn amount_err(optname: &str, value: &str) -> String {
    format!("Invalid amount for -{optname}=<amount>: '{value}'")
}

/// Core's `AmountHighWarn` followed by the option's explanation.
fn amount_high(optname: &str, why: &str) -> String {
    format!("{optname} is set very high! {why}")
}

impl WalletFeeConfig {
    /// Whether a fallback fee is configured (Core's `m_allow_fallback_fee`).
    pub fn allow_fallback_fee(&self) -> bool {
        self.fallback_fee.sat_per_kvb() != 0
    }

    /// Reads the options from `args`, answering the configuration and
    /// Core's warnings, or Core's init error for the first bad value.
    /// `relay_min_fee` is the node's `-minrelaytxfee` when a chain is
    /// attached: `-maxtxfee` must be at least that rate per kvB.
    pub fn from_args(
        args: &ArgsManager,
        relay_min_fee: Option<FeeRate>,
    ) -> Result<(Self, Vec<String>), String> {
        let mut c = WalletFeeConfig::default();
        let mut warnings = Vec::new();

        if let Some(v) = args.get_arg("-addresstype").filter(|v| !v.is_empty()) {
            c.default_address_type =
                parse_output_type(&v).ok_or_else(|| format!("Unknown address type '{v}'"))?;
        }
        if let Some(v) = args.get_arg("-changetype").filter(|v| !v.is_empty()) {
            c.default_change_type =
                Some(parse_output_type(&v).ok_or_else(|| format!("Unknown change type '{v}'"))?);
        }

        if let Some(v) = args.get_arg("-mintxfee") {
            let fee = parse_money(&v).ok_or_else(|| amount_err("mintxfee", &v))?;
            if fee > HIGH_TX_FEE_PER_KB {
                warnings.push(amount_high(
                    "-mintxfee",
                    "This is the minimum transaction fee you pay on every transaction.",
                ));
            }
            c.min_fee = FeeRate::from_sat_per_kvb(fee);
        }

        if let Some(v) = args.get_arg("-maxapsfee") {
            if v == "-1" {
                c.max_aps_fee = -1;
            } else {
                let fee = parse_money(&v).ok_or_else(|| amount_err("maxapsfee", &v))?;
                if fee > HIGH_APS_FEE {
                    warnings.push(amount_high(
                        "-maxapsfee",
                        "This is the maximum transaction fee you pay (in addition to the normal fee) to prioritize partial spend avoidance over regular coin selection.",
                    ));
                }
                c.max_aps_fee = fee;
            }
        }

        if let Some(v) = args.get_arg("-fallbackfee") {
            let fee = parse_money(&v).ok_or_else(|| amount_err("fallbackfee", &v))?;
            if fee > HIGH_TX_FEE_PER_KB {
                warnings.push(amount_high(
                    "-fallbackfee",
                    "This is the transaction fee you may pay when fee estimates are not available.",
                ));
            }
            c.fallback_fee = FeeRate::from_sat_per_kvb(fee);
        }

        if let Some(v) = args.get_arg("-discardfee") {
            let fee = parse_money(&v).ok_or_else(|| amount_err("discardfee", &v))?;
            if fee > HIGH_TX_FEE_PER_KB {
                warnings.push(amount_high(
                    "-discardfee",
                    "This is the transaction fee you may discard if change is smaller than dust at this level",
                ));
            }
            c.discard_rate = FeeRate::from_sat_per_kvb(fee);
        }

        if let Some(v) = args.get_arg("-maxtxfee") {
            let fee = parse_money(&v).ok_or_else(|| amount_err("maxtxfee", &v))?;
            if fee > HIGH_MAX_TX_FEE {
                warnings.push(
                    "-maxtxfee is set very high! Fees this large could be paid on a single transaction."
                        .to_string(),
                );
            }
            if let Some(relay) = relay_min_fee {
                if FeeRate::from_sat_per_kvb(fee) < relay {
                    return Err(format!(
                        "Invalid amount for -maxtxfee=<amount>: '{v}' (must be at least the minrelay fee of {} to prevent stuck transactions)",
                        format_fee_rate_btc_kvb(relay)
                    ));
                }
            }
            c.max_tx_fee = fee;
        }

        if let Some(v) = args.get_arg("-consolidatefeerate") {
            let rate = parse_money(&v).ok_or_else(|| amount_err("consolidatefeerate", &v))?;
            c.consolidate_feerate = FeeRate::from_sat_per_kvb(rate);
        }

        if relay_min_fee.is_some_and(|r| r.sat_per_kvb() > HIGH_TX_FEE_PER_KB) {
            warnings.push(amount_high(
                "-minrelaytxfee",
                "The wallet will avoid paying less than the minimum relay fee.",
            ));
        }

        // Core stores the 64-bit option in an unsigned int, keeping the low
        // 32 bits; the same truncation keeps its behaviour for odd values.
        c.confirm_target =
            args.get_int_arg("-txconfirmtarget", i64::from(DEFAULT_TX_CONFIRM_TARGET)) as u32;
        c.spend_zero_conf_change =
            args.get_bool_arg("-spendzeroconfchange", DEFAULT_SPEND_ZEROCONF_CHANGE);
        if let Some(rbf) = args.get_bool_arg_opt("-walletrbf") {
            warnings.push(
                "-walletrbf is deprecated and will be fully removed in the next release."
                    .to_string(),
            );
            c.signal_rbf = rbf;
        }
        c.avoid_partial_spends =
            args.get_bool_arg("-avoidpartialspends", DEFAULT_AVOIDPARTIALSPENDS);
        c.reject_long_chains =
            args.get_bool_arg("-walletrejectlongchains", DEFAULT_WALLET_REJECT_LONG_CHAINS);
        Ok((c, warnings))
    }
}

/// Parses a decimal BTC amount into satoshis (Core's `ParseMoney`): digits,
/// optionally a point and up to eight decimals, surrounding whitespace
/// allowed; no sign, no exponent, at most ten whole digits, and within
/// the money range.
pub fn parse_money(s: &str) -> Option<i64> {
    if s.contains('\0') {
        return None;
    }
    let s = s.trim_matches([' ', '\x0c', '\n', '\r', '\t', '\x0b']);
    if s.is_empty() {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 10 {
        return None;
    }
    let mut units = 0i64;
    if let Some(frac) = frac {
        if frac.len() > 8 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut mult = COIN / 10;
        for b in frac.bytes() {
            units += mult * i64::from(b - b'0');
            mult /= 10;
        }
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let value = whole.checked_mul(COIN)?.checked_add(units)?;
    (0..=MAX_MONEY).contains(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> ArgsManager {
        let a = ArgsManager::new();
        for (k, v) in pairs {
            a.force_set_arg(k, v);
        }
        a
    }

    #[test]
    fn parse_money_as_core() {
        assert_eq!(parse_money("0.0001"), Some(10_000));
        assert_eq!(parse_money("1"), Some(COIN));
        assert_eq!(parse_money(" 1.5 "), Some(150_000_000));
        assert_eq!(parse_money("1."), Some(COIN));
        assert_eq!(parse_money(".5"), Some(50_000_000));
        assert_eq!(parse_money("0.00000001"), Some(1));
        assert_eq!(parse_money("21000000"), Some(MAX_MONEY));
        assert_eq!(parse_money("21000000.00000001"), None);
        assert_eq!(parse_money("0.000000001"), None);
        assert_eq!(parse_money("-1"), None);
        assert_eq!(parse_money("1e3"), None);
        assert_eq!(parse_money("1 2"), None);
        assert_eq!(parse_money(""), None);
        assert_eq!(parse_money("   "), None);
        assert_eq!(parse_money("12345678901"), None);
        assert_eq!(parse_money("1\0"), None);
        assert_eq!(parse_money("abc"), None);
    }

    #[test]
    fn defaults_are_cores() {
        let (c, w) = WalletFeeConfig::from_args(&ArgsManager::new(), None).unwrap();
        assert!(w.is_empty());
        assert_eq!(c, WalletFeeConfig::default());
        assert_eq!(c.min_fee.sat_per_kvb(), 1000);
        assert_eq!(c.fallback_fee.sat_per_kvb(), 0);
        assert!(!c.allow_fallback_fee());
        assert_eq!(c.discard_rate.sat_per_kvb(), 10_000);
        assert_eq!(c.consolidate_feerate.sat_per_kvb(), 10_000);
        assert_eq!(c.max_tx_fee, 10_000_000);
        assert_eq!(c.max_aps_fee, 0);
        assert_eq!(c.confirm_target, 6);
        assert!(c.signal_rbf && c.spend_zero_conf_change && c.reject_long_chains);
        assert!(!c.avoid_partial_spends);
        assert_eq!(c.default_address_type, OutputType::Bech32);
        assert_eq!(c.default_change_type, None);
        assert_eq!(WALLET_INCREMENTAL_RELAY_FEE, 5000);
    }

    #[test]
    fn values_are_read() {
        let a = args(&[
            ("-mintxfee", "0.00002"),
            ("-fallbackfee", "0.0002"),
            ("-discardfee", "0.00003"),
            ("-consolidatefeerate", "0.00005"),
            ("-maxtxfee", "0.5"),
            ("-maxapsfee", "-1"),
            ("-txconfirmtarget", "12"),
            ("-spendzeroconfchange", "0"),
            ("-avoidpartialspends", "1"),
            ("-walletrejectlongchains", "0"),
            ("-addresstype", "bech32m"),
            ("-changetype", "legacy"),
        ]);
        let (c, w) = WalletFeeConfig::from_args(&a, Some(FeeRate::from_sat_per_kvb(100))).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.min_fee.sat_per_kvb(), 2000);
        assert_eq!(c.fallback_fee.sat_per_kvb(), 20_000);
        assert!(c.allow_fallback_fee());
        assert_eq!(c.discard_rate.sat_per_kvb(), 3000);
        assert_eq!(c.consolidate_feerate.sat_per_kvb(), 5000);
        assert_eq!(c.max_tx_fee, 50_000_000);
        assert_eq!(c.max_aps_fee, -1);
        assert_eq!(c.confirm_target, 12);
        assert!(!c.spend_zero_conf_change && !c.reject_long_chains);
        assert!(c.avoid_partial_spends);
        assert_eq!(c.default_address_type, OutputType::Bech32m);
        assert_eq!(c.default_change_type, Some(OutputType::Legacy));
    }

    #[test]
    fn bad_values_are_init_errors() {
        let err =
            |k: &str, v: &str| WalletFeeConfig::from_args(&args(&[(k, v)]), None).unwrap_err();
        assert_eq!(
            err("-mintxfee", "abc"),
            "Invalid amount for -mintxfee=<amount>: 'abc'"
        );
        assert_eq!(
            err("-fallbackfee", "-1"),
            "Invalid amount for -fallbackfee=<amount>: '-1'"
        );
        assert_eq!(
            err("-discardfee", "x"),
            "Invalid amount for -discardfee=<amount>: 'x'"
        );
        assert_eq!(
            err("-maxtxfee", "1e9"),
            "Invalid amount for -maxtxfee=<amount>: '1e9'"
        );
        assert_eq!(
            err("-maxapsfee", "-2"),
            "Invalid amount for -maxapsfee=<amount>: '-2'"
        );
        assert_eq!(
            err("-consolidatefeerate", "q"),
            "Invalid amount for -consolidatefeerate=<amount>: 'q'"
        );
        assert_eq!(
            err("-addresstype", "unknown"),
            "Unknown address type 'unknown'"
        );
        assert_eq!(err("-changetype", "p2pk"), "Unknown change type 'p2pk'");
        let low = WalletFeeConfig::from_args(
            &args(&[("-maxtxfee", "0.0000001")]),
            Some(FeeRate::from_sat_per_kvb(1000)),
        )
        .unwrap_err();
        assert_eq!(
            low,
            "Invalid amount for -maxtxfee=<amount>: '0.0000001' (must be at least the minrelay fee of 0.00001000 BTC/kvB to prevent stuck transactions)"
        );
    }

    #[test]
    fn high_values_warn() {
        let a = args(&[
            ("-mintxfee", "0.011"),
            ("-maxapsfee", "0.0002"),
            ("-fallbackfee", "0.02"),
            ("-discardfee", "0.5"),
            ("-maxtxfee", "1.01"),
            ("-walletrbf", "0"),
        ]);
        let (c, w) =
            WalletFeeConfig::from_args(&a, Some(FeeRate::from_sat_per_kvb(2_000_000))).unwrap();
        assert_eq!(
            w,
            vec![
                "-mintxfee is set very high! This is the minimum transaction fee you pay on every transaction.",
                "-maxapsfee is set very high! This is the maximum transaction fee you pay (in addition to the normal fee) to prioritize partial spend avoidance over regular coin selection.",
                "-fallbackfee is set very high! This is the transaction fee you may pay when fee estimates are not available.",
                "-discardfee is set very high! This is the transaction fee you may discard if change is smaller than dust at this level",
                "-maxtxfee is set very high! Fees this large could be paid on a single transaction.",
                "-minrelaytxfee is set very high! The wallet will avoid paying less than the minimum relay fee.",
                "-walletrbf is deprecated and will be fully removed in the next release.",
            ]
        );
        assert!(!c.signal_rbf);
        assert_eq!(c.max_aps_fee, 20_000);
        // Exactly at the thresholds is not "very high".
        let a = args(&[
            ("-mintxfee", "0.01"),
            ("-maxtxfee", "1"),
            ("-maxapsfee", "0.0001"),
        ]);
        let (_, w) = WalletFeeConfig::from_args(&a, None).unwrap();
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn confirm_target_truncates_like_core() {
        let (c, _) =
            WalletFeeConfig::from_args(&args(&[("-txconfirmtarget", "-1")]), None).unwrap();
        assert_eq!(c.confirm_target, u32::MAX);
    }
}
