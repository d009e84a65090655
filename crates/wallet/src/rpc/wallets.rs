//! Methods about the set of wallets: which are loaded, which are on disk.

use super::util::{last_processed_block, synced_wallet, unique_wallet_name, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::manage;
use crate::wallet::open::{Failure, OpenFailure};
use crate::walletdir::{self, Format};
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::sync::Arc;

rpc_params! {
    /// `createwallet`'s parameters.
    struct CreateWalletParams {
        /// The name for the new wallet. If this is a path, the wallet will be created at the path location.
        wallet_name: String [Str, required],
        /// Disable the possibility of private keys (only watchonlys are possible in this mode).
        disable_private_keys: bool [Bool, default = false],
        /// Create a blank wallet. A blank wallet has no keys.
        blank: bool [Bool, default = false],
        /// Encrypt the wallet with this passphrase.
        passphrase: Option<String> [Str, optional],
        /// Keep track of coin reuse, and treat dirty and clean coins differently with privacy considerations in mind.
        avoid_reuse: bool [Bool, default = false],
        /// If set, must be "true"
        descriptors: bool [Bool, default = true],
        /// Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged.
        load_on_startup: Option<bool> [Bool, optional],
        /// Use an external signer such as a hardware wallet. Requires -signer to be configured. Wallet creation will fail if keys cannot be fetched. Requires disable_private_keys and descriptors set to true.
        external_signer: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `loadwallet`'s parameters.
    struct LoadWalletParams {
        /// The path to the directory of the wallet to be loaded, either absolute or relative to the "wallets" directory. The "wallets" directory is set by the -walletdir option and defaults to the "wallets" folder within the data directory.
        filename: String [Str, required],
        /// Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged.
        load_on_startup: Option<bool> [Bool, optional],
    }
}

rpc_params! {
    /// `unloadwallet`'s parameters.
    struct UnloadWalletParams {
        /// The name of the wallet to unload. If provided both here and in the RPC endpoint, the two must be identical.
        wallet_name: Option<String> [Str, hint = "the wallet name from the RPC endpoint"],
        /// Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged.
        load_on_startup: Option<bool> [Bool, optional],
    }
}

rpc_params! {
    /// `restorewallet`'s parameters.
    struct RestoreWalletParams {
        /// The name that will be applied to the restored wallet
        wallet_name: String [Str, required],
        /// The backup file that will be used to restore the wallet.
        backup_file: String [Str, required],
        /// Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged.
        load_on_startup: Option<bool> [Bool, optional],
    }
}

rpc_params! {
    /// `migratewallet`'s parameters.
    struct MigrateWalletParams {
        /// The name of the wallet to migrate. If provided both here and in the RPC endpoint, the two must be identical.
        wallet_name: Option<String> [Str, hint = "the wallet name from the RPC endpoint"],
        /// The wallet passphrase
        passphrase: Option<String> [Str, optional],
        /// Load the wallet after migration.
        load_wallet: bool [Bool, default = true],
    }
}

rpc_params! {
    /// `setwalletflag`'s parameters.
    struct SetWalletFlagParams {
        /// The name of the flag to change. Current available flags: avoid_reuse
        flag: String [Str, required],
        /// The new state.
        value: bool [Bool, default = true],
    }
}

/// Flags `setwalletflag` may change (Core's `MUTABLE_WALLET_FLAGS`).
const MUTABLE_FLAGS: u64 = flags::AVOID_REUSE;

/// What setting a flag means for the user (Core's `WALLET_FLAG_CAVEATS`).
fn flag_caveat(flag: u64) -> Option<&'static str> {
    (flag == flags::AVOID_REUSE).then_some(
        "You need to rescan the blockchain in order to correctly mark used destinations in the past. Until this is done, some destinations may be considered unused, even if the opposite is the case.",
    )
}

/// The flag a name stands for (Core's `STRING_TO_WALLET_FLAG`).
fn flag_by_name(name: &str) -> Option<u64> {
    KNOWN_FLAG_NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(f, _)| *f)
}

/// Core's `HandleWalletError`.
fn wallet_error(e: OpenFailure) -> RpcError {
    let c = match e.kind {
        Failure::NotFound => code::WALLET_NOT_FOUND,
        Failure::AlreadyLoaded => code::WALLET_ALREADY_LOADED,
        Failure::AlreadyExists => code::WALLET_ALREADY_EXISTS,
        Failure::Encrypt => code::WALLET_ENCRYPTION_FAILED,
        Failure::InvalidParameter => code::INVALID_PARAMETER,
        Failure::Other => code::WALLET_ERROR,
        Failure::Exception => code::MISC_ERROR,
    };
    RpcError::new(c, e.message)
}

/// `{"name": …, "warnings": […]}` with warnings only when there are some.
fn name_and_warnings(name: &str, warnings: Vec<String>) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(name));
    if !warnings.is_empty() {
        o.insert("warnings".into(), json!(warnings));
    }
    Value::Object(o)
}

/// Core's names of the wallet flags (`WALLET_FLAG_TO_STRING`).
const KNOWN_FLAG_NAMES: [(u64, &str); 7] = [
    (flags::AVOID_REUSE, "avoid_reuse"),
    (flags::KEY_ORIGIN_METADATA, "key_origin_metadata"),
    (
        flags::LAST_HARDENED_XPUB_CACHED,
        "last_hardened_xpub_cached",
    ),
    (flags::DISABLE_PRIVATE_KEYS, "disable_private_keys"),
    (flags::BLANK_WALLET, "blank"),
    (flags::DESCRIPTORS, "descriptor_wallet"),
    (flags::EXTERNAL_SIGNER, "external_signer"),
];

/// The flag names Core lists in `getwalletinfo`.
fn flag_names(f: u64) -> Vec<String> {
    let known = KNOWN_FLAG_NAMES;
    (0..64)
        .map(|i| 1u64 << i)
        .filter(|bit| f & bit != 0)
        .map(|bit| {
            known
                .iter()
                .find(|(k, _)| *k == bit)
                .map(|(_, n)| n.to_string())
                .unwrap_or_else(|| format!("unknown_flag_{}", bit.trailing_zeros()))
        })
        .collect()
}

/// Registers the wallet-set methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "listwalletdir",
            "wallet",
            "Returns a list of wallets in the wallet directory.",
            move |_, ()| {
                let wallets: Vec<Value> =
                    walletdir::list_databases(&c.wallet_dir(), c.params.message_start)
                        .into_iter()
                        .map(|(name, format)| {
                            let warnings: Vec<&str> = match format {
                                Format::Bdb => vec!["This wallet is a legacy wallet and will need to be migrated with migratewallet before it can be loaded"],
                                Format::Sqlite => vec![],
                            };
                            json!({"name": name, "warnings": warnings})
                        })
                        .collect();
                Ok(json!({ "wallets": wallets }))
            },
        )
        .result(
            "{                        (json object)\n  \"wallets\" : [           (json array)\n    {                    (json object)\n      \"name\" : \"str\",    (string) The wallet name\n      \"warnings\" : [      (json array, optional) Warning messages, if any, related to loading the wallet.\n        \"str\",          (string)\n        ...\n      ]\n    },\n    ...\n  ]\n}",
        )
        .examples("> bitcoin-cli listwalletdir \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"listwalletdir\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );

    let c = context.clone();
    table.register(
        RpcMethod::new(
            "listwallets",
            "wallet",
            "Returns a list of currently loaded wallets.\nFor full information on the wallet, use \"getwalletinfo\"",
            move |_, ()| {
                let names: Vec<Value> = c
                    .wallets()
                    .iter()
                    .map(|w| Value::String(w.name().to_string()))
                    .collect();
                Ok(Value::Array(names))
            },
        )
        .result("[           (json array)\n  \"str\",    (string) the wallet name\n  ...\n]")
        .examples("> bitcoin-cli listwallets \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"listwallets\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );

    let c = context.clone();
    table.register(RpcMethod::new(
        "createwallet",
        "wallet",
        "Creates and loads a new wallet.",
        move |_, p: CreateWalletParams| {
            let mut f = flags::DESCRIPTORS;
            if p.disable_private_keys {
                f |= flags::DISABLE_PRIVATE_KEYS;
            }
            if p.blank {
                f |= flags::BLANK_WALLET;
            }
            if p.avoid_reuse {
                f |= flags::AVOID_REUSE;
            }
            let mut warnings = Vec::new();
            let given = p.passphrase.is_some();
            let passphrase = p.passphrase.unwrap_or_default();
            if given && passphrase.is_empty() {
                warnings.push("Empty string given as passphrase, wallet will not be encrypted.".to_string());
            }
            if !p.descriptors {
                return Err(RpcError::new(code::WALLET_ERROR, "descriptors argument must be set to \"true\"; it is no longer possible to create a legacy wallet."));
            }
            if p.external_signer {
                f |= flags::EXTERNAL_SIGNER;
            }
            let (wallet, more) = manage::create_wallet(&c, &p.wallet_name, f, &passphrase, p.load_on_startup)
                .map_err(wallet_error)?;
            warnings.extend(more);
            Ok(name_and_warnings(wallet.name(), warnings))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "loadwallet",
        "wallet",
        "Loads a wallet from a wallet file or directory.\nNote that all wallet command-line options used when starting bitcoind will be\napplied to the new wallet.",
        move |_, p: LoadWalletParams| {
            let (wallet, warnings) = manage::load_wallet(&c, &p.filename, p.load_on_startup)
                .map_err(wallet_error)?;
            Ok(name_and_warnings(wallet.name(), warnings))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "restorewallet",
        "wallet",
        "Restores and loads a wallet from backup.\n\nThe rescan is significantly faster if block filters are available\n(using startup option \"-blockfilterindex=1\").",
        move |_, p: RestoreWalletParams| {
            let backup = std::path::Path::new(&p.backup_file);
            let (wallet, warnings) =
                manage::restore_wallet(&c, backup, &p.wallet_name, p.load_on_startup)
                    .map_err(wallet_error)?;
            Ok(name_and_warnings(wallet.name(), warnings))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "unloadwallet",
        "wallet",
        "Unloads the wallet referenced by the request endpoint or the wallet_name argument.\nIf both are specified, they must be identical.",
        move |req, p: UnloadWalletParams| {
            let name = unique_wallet_name(req, p.wallet_name)?;
            if c.wallet(&name).is_none() {
                return Err(RpcError::new(code::WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded"));
            }
            let warnings = manage::unload_wallet(&c, &name, p.load_on_startup).map_err(|e| {
                if e.starts_with("Wallet is currently rescanning") {
                    RpcError::new(code::WALLET_ERROR, e)
                } else {
                    RpcError::misc(e)
                }
            })?;
            let mut o = Map::new();
            if !warnings.is_empty() {
                o.insert("warnings".into(), json!(warnings));
            }
            Ok(Value::Object(o))
        },
    ));

    let c = context.clone();
    table.register(
        RpcMethod::new(
            "migratewallet",
            "wallet",
            "Migrate the wallet to a descriptor wallet.\nA new wallet backup will need to be made.\n\nThe migration process will create a backup of the wallet before migrating. This backup\nfile will be named <wallet name>-<timestamp>.legacy.bak and can be found in the directory\nfor this wallet. In the event of an incorrect migration, the backup can be restored using restorewallet.\nEncrypted wallets must have the passphrase provided as an argument to this call.\n\nThis RPC may take a long time to complete. Increasing the RPC client timeout is recommended.",
            move |req, p: MigrateWalletParams| {
                let name = unique_wallet_name(req, p.wallet_name)?;
                let passphrase = p.passphrase.unwrap_or_default();
                let r = crate::migrate::migrate_wallet(&c, &name, &passphrase, p.load_wallet)
                    .map_err(|e| RpcError::new(code::WALLET_ERROR, e))?;
                let mut o = Map::new();
                o.insert("wallet_name".into(), json!(r.wallet_name));
                if let Some(n) = r.watchonly_name {
                    o.insert("watchonly_name".into(), json!(n));
                }
                if let Some(n) = r.solvables_name {
                    o.insert("solvables_name".into(), json!(n));
                }
                o.insert("backup_path".into(), json!(r.backup_path.display().to_string()));
                Ok(Value::Object(o))
            },
        )
        .result("{                              (json object)\n  \"wallet_name\" : \"str\",       (string) The name of the primary migrated wallet\n  \"watchonly_name\" : \"str\",    (string, optional) The name of the migrated wallet containing the watchonly scripts\n  \"solvables_name\" : \"str\",    (string, optional) The name of the migrated wallet containing solvable but not watched scripts\n  \"backup_path\" : \"str\"        (string) The location of the backup of the original wallet\n}")
        .examples("> bitcoin-cli migratewallet \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"migratewallet\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );

    let c = context.clone();
    table.register(
        RpcMethod::new(
            "setwalletflag",
            "wallet",
            "Change the state of the given wallet flag for a wallet.",
            move |req, p: SetWalletFlagParams| {
                let wallet = wallet_for_request(&c, req)?;
                let flag = flag_by_name(&p.flag).ok_or_else(|| {
                    RpcError::invalid_parameter(format!("Unknown wallet flag: {}", p.flag))
                })?;
                if flag & MUTABLE_FLAGS == 0 {
                    return Err(RpcError::invalid_parameter(format!(
                        "Wallet flag is immutable: {}",
                        p.flag
                    )));
                }
                if wallet.has_flag(flag) == p.value {
                    return Err(RpcError::invalid_parameter(format!(
                        "Wallet flag is already set to {}: {}",
                        p.value, p.flag
                    )));
                }
                wallet.set_flag(flag, p.value).map_err(RpcError::misc)?;
                let mut o = Map::new();
                o.insert("flag_name".into(), json!(p.flag));
                o.insert("flag_state".into(), json!(p.value));
                if p.value {
                    if let Some(caveat) = flag_caveat(flag) {
                        o.insert("warnings".into(), json!(caveat));
                    }
                }
                Ok(Value::Object(o))
            },
        )
        .result("{                               (json object)\n  \"flag_name\" : \"str\",          (string) The name of the flag that was modified\n  \"flag_state\" : true|false,    (boolean) The new state of the flag\n  \"warnings\" : \"str\"            (string, optional) Any warnings associated with the change\n}")
        .examples("> bitcoin-cli setwalletflag avoid_reuse\n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"setwalletflag\", \"params\": [\"avoid_reuse\"]}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );

    let c = context.clone();
    table.register(RpcMethod::new(
        "getwalletinfo",
        "wallet",
        "Returns an object containing various wallet state info.",
        move |req, ()| {
            let wallet = synced_wallet(&c, req)?;
            let state = wallet.lock();
            let remaining = |internal: bool| -> i64 {
                let map = if internal {
                    &state.keys.internal
                } else {
                    &state.keys.external
                };
                map.values()
                    .filter_map(|id| state.keys.spkms.get(id))
                    .map(|s| s.keypool_remaining())
                    .sum()
            };
            let mut o = Map::new();
            o.insert("walletname".into(), json!(wallet.name()));
            o.insert("walletversion".into(), json!(169900));
            o.insert("format".into(), json!("sqlite"));
            o.insert("txcount".into(), json!(state.ledger.len()));
            o.insert("keypoolsize".into(), json!(remaining(false)));
            o.insert("keypoolsize_hd_internal".into(), json!(remaining(true)));
            if state.is_crypted() {
                o.insert("unlocked_until".into(), json!(wallet.relock_time()));
            }
            o.insert(
                "private_keys_enabled".into(),
                json!(!state.has_flag(flags::DISABLE_PRIVATE_KEYS)),
            );
            o.insert(
                "avoid_reuse".into(),
                json!(state.has_flag(flags::AVOID_REUSE)),
            );
            o.insert(
                "scanning".into(),
                match wallet.scanning_status() {
                    Some((duration, progress)) => json!({
                        "duration": duration,
                        "progress": rpc::json::double_to_value(progress),
                    }),
                    None => json!(false),
                },
            );
            o.insert(
                "descriptors".into(),
                json!(state.has_flag(flags::DESCRIPTORS)),
            );
            o.insert(
                "external_signer".into(),
                json!(state.has_flag(flags::EXTERNAL_SIGNER)),
            );
            o.insert("blank".into(), json!(state.has_flag(flags::BLANK_WALLET)));
            let birth = state.ledger.birth_time();
            if birth != i64::MAX {
                o.insert("birthtime".into(), json!(birth));
            }
            o.insert("flags".into(), json!(flag_names(state.flags)));
            o.insert("lastprocessedblock".into(), last_processed_block(&state));
            Ok(Value::Object(o))
        },
    ));
}
