//! The wallet options every wallet reads from the node's arguments at load
//! (Core reads them in `CWallet::Create` / `LoadWalletArgs`).

use crate::coinselection::OutputType as CoinType;
use crate::keys::{OutputType, DEFAULT_KEYPOOL_SIZE};
use crate::spend::WalletFeeConfig;
use common::args::ArgsManager;

/// Core's `DEFAULT_WALLETBROADCAST`.
pub const DEFAULT_WALLETBROADCAST: bool = true;

/// The options a wallet uses.
#[derive(Debug, Clone)]
pub struct WalletOptions {
    /// `-keypool`: addresses derived ahead.
    pub keypool_size: u32,
    /// `-walletbroadcast`: broadcast the wallet's transactions.
    pub broadcast: bool,
    /// `-walletnotify`: command run when a transaction changes.
    pub wallet_notify: Option<String>,
    /// `-walletcrosschain`: allow a wallet file of another chain.
    pub cross_chain: bool,
    /// Fee and spending options (`-fallbackfee`, `-mintxfee`,
    /// `-spendzeroconfchange`, `-addresstype`, `-changetype`, …).
    pub fees: WalletFeeConfig,
    /// `-signer`: the external signer command, `None` when unset or empty.
    pub signer: Option<String>,
    /// Core's chain name ("main", "test", "regtest", …), which an external
    /// signer is told with `--chain`.
    pub chain_name: String,
}

impl Default for WalletOptions {
    fn default() -> Self {
        WalletOptions {
            keypool_size: DEFAULT_KEYPOOL_SIZE,
            broadcast: DEFAULT_WALLETBROADCAST,
            wallet_notify: None,
            cross_chain: false,
            fees: WalletFeeConfig::default(),
            signer: None,
            chain_name: "main".into(),
        }
    }
}

fn keys_type(t: CoinType) -> OutputType {
    match t {
        CoinType::Legacy => OutputType::Legacy,
        CoinType::P2shSegwit => OutputType::P2shSegwit,
        CoinType::Bech32m => OutputType::Bech32m,
        CoinType::Bech32 | CoinType::Unknown => OutputType::Bech32,
    }
}

impl WalletOptions {
    /// Reads the options; `relay_min_fee` is the node's `-minrelaytxfee`
    /// (Core warns when `-mintxfee` is below it). Returns Core's warnings,
    /// or its init error for a bad value.
    pub fn from_args(
        args: &ArgsManager,
        relay_min_fee: Option<crate::coinselection::FeeRate>,
    ) -> Result<(WalletOptions, Vec<String>), String> {
        let (fees, warnings) = WalletFeeConfig::from_args(args, relay_min_fee)?;
        let keypool = args.get_int_arg("-keypool", i64::from(DEFAULT_KEYPOOL_SIZE));
        let o = WalletOptions {
            keypool_size: u32::try_from(keypool.max(1)).unwrap_or(u32::MAX),
            broadcast: args.get_bool_arg("-walletbroadcast", DEFAULT_WALLETBROADCAST),
            wallet_notify: args.get_arg("-walletnotify").filter(|c| !c.is_empty()),
            cross_chain: args.get_bool_arg("-walletcrosschain", false),
            fees,
            signer: args.get_arg("-signer").filter(|c| !c.is_empty()),
            chain_name: args.get_chain_type_string()?,
        };
        Ok((o, warnings))
    }

    /// The type of new receive addresses (`-addresstype`).
    pub fn address_type(&self) -> OutputType {
        keys_type(self.fees.default_address_type)
    }

    /// The type of change outputs when set (`-changetype`).
    pub fn change_type(&self) -> Option<OutputType> {
        self.fees.default_change_type.map(keys_type)
    }

    /// `-spendzeroconfchange`.
    pub fn spend_zero_conf_change(&self) -> bool {
        self.fees.spend_zero_conf_change
    }
}
