//! The wallet options every wallet reads from the node's arguments at load
//! (Core reads them in `CWallet::Create`).

use crate::keys::{OutputType, DEFAULT_KEYPOOL_SIZE};
use common::args::ArgsManager;

/// Core's `DEFAULT_SPEND_ZEROCONF_CHANGE`.
pub const DEFAULT_SPEND_ZEROCONF_CHANGE: bool = true;
/// Core's `DEFAULT_WALLETBROADCAST`.
pub const DEFAULT_WALLETBROADCAST: bool = true;

/// The options a wallet uses.
#[derive(Debug, Clone)]
pub struct WalletOptions {
    /// `-keypool`: addresses derived ahead.
    pub keypool_size: u32,
    /// `-spendzeroconfchange`: trust the wallet's own unconfirmed change.
    pub spend_zero_conf_change: bool,
    /// `-walletbroadcast`: broadcast the wallet's transactions.
    pub broadcast: bool,
    /// `-walletnotify`: command run when a transaction changes.
    pub wallet_notify: Option<String>,
    /// `-addresstype`: default type of new receive addresses.
    pub address_type: OutputType,
    /// `-changetype`: type of change outputs, if set.
    pub change_type: Option<OutputType>,
    /// `-walletcrosschain`: allow a wallet file of another chain.
    pub cross_chain: bool,
}

impl Default for WalletOptions {
    fn default() -> Self {
        WalletOptions {
            keypool_size: DEFAULT_KEYPOOL_SIZE,
            spend_zero_conf_change: DEFAULT_SPEND_ZEROCONF_CHANGE,
            broadcast: DEFAULT_WALLETBROADCAST,
            wallet_notify: None,
            address_type: OutputType::Bech32,
            change_type: None,
            cross_chain: false,
        }
    }
}

impl WalletOptions {
    /// Reads the options; errors are Core's texts for bad values.
    pub fn from_args(args: &ArgsManager) -> Result<WalletOptions, String> {
        let mut o = WalletOptions::default();
        let keypool = args.get_int_arg("-keypool", i64::from(DEFAULT_KEYPOOL_SIZE));
        o.keypool_size = u32::try_from(keypool.max(1)).unwrap_or(u32::MAX);
        o.spend_zero_conf_change =
            args.get_bool_arg("-spendzeroconfchange", DEFAULT_SPEND_ZEROCONF_CHANGE);
        o.broadcast = args.get_bool_arg("-walletbroadcast", DEFAULT_WALLETBROADCAST);
        o.cross_chain = args.get_bool_arg("-walletcrosschain", false);
        o.wallet_notify = args.get_arg("-walletnotify").filter(|c| !c.is_empty());
        if let Some(t) = args.get_arg("-addresstype").filter(|t| !t.is_empty()) {
            o.address_type =
                OutputType::from_name(&t).ok_or_else(|| format!("Unknown address type '{t}'"))?;
        }
        if let Some(t) = args.get_arg("-changetype").filter(|t| !t.is_empty()) {
            o.change_type = Some(
                OutputType::from_name(&t).ok_or_else(|| format!("Unknown change type '{t}'"))?,
            );
        }
        Ok(o)
    }
}
