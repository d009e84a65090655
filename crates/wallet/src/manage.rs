//! Loading, creating and unloading wallets in the process (Core's
//! `wallet/load.cpp` and the wallet-set functions of `wallet.cpp`):
//! start-up verification and loading of `-wallet`/settings.json wallets,
//! and the `load_on_startup` setting.

use crate::context::WalletContext;
use crate::wallet::open::{self, Failure, OpenFailure, Opened};
use crate::wallet::Wallet;
use interfaces::chain::{SettingsAction, SettingsUpdateCallback};
use interfaces::common::BilingualStr;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

fn bilingual(text: &str) -> BilingualStr {
    BilingualStr {
        original: text.to_string(),
        translated: text.to_string(),
    }
}

/// The `-wallet` names to load at start-up, each a string (Core's error
/// for anything else).
fn startup_names(context: &WalletContext) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for v in context.args.get_settings_list("-wallet") {
        match v.as_str() {
            Some(s) => names.push(s.to_string()),
            None => return Err("Invalid value detected for '-wallet' or '-nowallet'. '-wallet' requires a string value, while '-nowallet' accepts only '1' to disable all wallets".into()),
        }
    }
    Ok(names)
}

/// Core's `VerifyWallets` after the wallet directory checks: the unnamed
/// top-level wallet joins the list when no `-wallet` is given; missing
/// wallets are skipped with a warning, other failures are init errors.
pub fn verify_startup_wallets(context: &WalletContext) -> Result<bool, String> {
    if !context.args.is_arg_set("-wallet") {
        let unnamed = context.wallet_dir().join(crate::walletdir::DATABASE_FILE);
        if crate::db::sqlite::is_sqlite_file(&unnamed, context.params.message_start) {
            let unnamed_only = Value::Array(vec![Value::String(String::new())]);
            context.args.lock_settings(|s| {
                s.rw_settings.insert("wallet".into(), unnamed_only.clone());
            });
            // The node's copy too, unwritten (Core's overwriteRwSetting with
            // SKIP_WRITE): a later load_on_startup change starts from it, so
            // the unnamed wallet stays in the list it writes.
            context
                .chain
                .overwrite_rw_setting(
                    "wallet",
                    &unnamed_only.to_string(),
                    SettingsAction::SkipWrite,
                )
                .ok();
        }
    }
    let names = match startup_names(context) {
        Ok(n) => n,
        Err(e) => {
            context.chain.init_error(&bilingual(&e)).ok();
            return Ok(false);
        }
    };
    let mut seen = BTreeSet::new();
    for name in names {
        let path = context.wallet_dir().join(&name);
        if !seen.insert(path) {
            context
                .chain
                .init_warning(&bilingual(&format!("Ignoring duplicate -wallet {name}.")))
                .ok();
            continue;
        }
        match open::check_database(context, &name) {
            Ok(()) => {}
            Err(e) if e.kind == Failure::NotFound && e.message.contains("Path does not exist") => {
                context
                    .chain
                    .init_warning(&bilingual(&format!(
                        "Skipping -wallet path that doesn't exist. {}",
                        e.message
                    )))
                    .ok();
            }
            Err(e) if e.message.contains("Legacy wallet") => {}
            Err(e) => {
                context.chain.init_error(&bilingual(&e.message)).ok();
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Core's `LoadWallets`: loads each start-up wallet (missing ones were
/// warned about in verification and are skipped).
pub fn load_startup_wallets(context: &Arc<WalletContext>) -> Result<bool, String> {
    let names = match startup_names(context) {
        Ok(n) => n,
        Err(e) => {
            context.chain.init_error(&bilingual(&e)).ok();
            return Ok(false);
        }
    };
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name.clone()) || context.wallet(&name).is_some() {
            continue;
        }
        if let Err(e) = open::check_database(context, &name) {
            if e.kind == Failure::NotFound {
                if e.message.contains("Legacy wallet") {
                    context.chain.init_warning(&bilingual(&e.message)).ok();
                }
                continue;
            }
        }
        context.chain.init_message("Loading wallet…").ok();
        match open::load(context, &name) {
            Ok((wallet, warnings)) => {
                if !warnings.is_empty() {
                    context
                        .chain
                        .init_warning(&bilingual(&warnings.join("\n")))
                        .ok();
                }
                add_loaded(context, &wallet);
            }
            Err(e) => {
                context.chain.init_error(&bilingual(&e.message)).ok();
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Announces and adds a loaded wallet, then catches it up with the mempool
/// (Core's `NotifyWalletLoaded`, `AddWallet`, `postInitProcess`).
fn add_loaded(context: &Arc<WalletContext>, wallet: &Arc<Wallet>) {
    context.add_wallet(wallet.clone());
    for callback in context.load_callbacks() {
        let _ = callback.call(Box::new(crate::interface::WalletInterface::new(
            context.clone(),
            wallet.clone(),
        )));
    }
    crate::wallet::sync::post_init(wallet);
}

/// Core's `LoadWallet` for `loadwallet`: refuses a wallet loaded already.
pub fn load_wallet(
    context: &Arc<WalletContext>,
    name: &str,
    load_on_start: Option<bool>,
) -> Result<Opened, OpenFailure> {
    let already_loaded = || OpenFailure {
        kind: Failure::AlreadyLoaded,
        message: format!("Wallet \"{name}\" is already loaded."),
    };
    if context.wallet(name).is_some() {
        return Err(already_loaded());
    }
    let Some(_loading) = context.begin_loading(name) else {
        return Err(OpenFailure {
            kind: Failure::Other,
            message: "Wallet already loading.".into(),
        });
    };
    // Another call may have finished loading it in between.
    if context.wallet(name).is_some() {
        return Err(already_loaded());
    }
    let (wallet, mut warnings) = open::load(context, name)?;
    add_loaded(context, &wallet);
    update_wallet_setting(context, name, load_on_start, &mut warnings);
    Ok((wallet, warnings))
}

/// Core's `RestoreWallet` for `restorewallet`: copies `backup_file` to
/// `<walletdir>/<name>/wallet.dat` (the directory may exist but must hold
/// no `wallet.dat`), then loads it; a failed load removes what the restore
/// made, so a bad backup leaves the wallet directory as it was.
pub fn restore_wallet(
    context: &Arc<WalletContext>,
    backup_file: &Path,
    name: &str,
    load_on_start: Option<bool>,
) -> Result<Opened, OpenFailure> {
    if name.is_empty() {
        return Err(OpenFailure {
            kind: Failure::InvalidParameter,
            message: "Wallet name cannot be empty".into(),
        });
    }
    if !backup_file.exists() {
        return Err(OpenFailure {
            kind: Failure::InvalidParameter,
            message: "Backup file does not exist".into(),
        });
    }
    // Checked before anything is written, so a bad name never makes a
    // directory outside the wallet directory.
    let wallet_path = open::wallet_path(&context.wallet_dir(), name).map_err(|m| OpenFailure {
        kind: Failure::Other,
        message: format!("Wallet file verification failed. {m}"),
    })?;
    let wallet_file = wallet_path.join(crate::walletdir::DATABASE_FILE);
    let exists = |message: String| OpenFailure {
        kind: Failure::AlreadyExists,
        message,
    };
    let created_dir = if wallet_path.exists() {
        if !wallet_path.is_dir() {
            return Err(exists(format!(
                "Failed to restore wallet. Database file exists '{}'.",
                wallet_path.display()
            )));
        }
        if wallet_file.exists() {
            return Err(exists(format!(
                "Failed to restore wallet. Database file exists in '{}'.",
                wallet_file.display()
            )));
        }
        false
    } else {
        std::fs::create_dir_all(&wallet_path).map_err(|_| {
            exists(format!(
                "Failed to restore database path '{}'.",
                wallet_path.display()
            ))
        })?;
        true
    };
    let cleanup = |copied: bool| {
        if copied {
            let _ = std::fs::remove_file(&wallet_file);
        }
        if created_dir {
            let _ = std::fs::remove_dir(&wallet_path);
        }
    };
    if let Err(e) = copy_new(backup_file, &wallet_file) {
        cleanup(false);
        return Err(OpenFailure {
            kind: Failure::Other,
            message: format!("Unexpected exception: {e}"),
        });
    }
    load_wallet(context, name, load_on_start).inspect_err(|_| cleanup(true))
}

/// Copies `from` to `to`, refusing to replace a file at `to` (a wallet
/// created there meanwhile must never be overwritten).
fn copy_new(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    std::io::copy(&mut src, &mut dst)?;
    dst.sync_all()
}

/// Core's `CreateWallet` for `createwallet`: creates, encrypts when given
/// a passphrase, loads.
pub fn create_wallet(
    context: &Arc<WalletContext>,
    name: &str,
    flags: u64,
    passphrase: &str,
    load_on_start: Option<bool>,
) -> Result<Opened, OpenFailure> {
    let (wallet, mut warnings) = open::create(context, name, flags, !passphrase.is_empty())?;
    if !passphrase.is_empty() {
        if let Err(e) = crate::wallet::crypt::encrypt(&wallet, passphrase.as_bytes()) {
            wallet.disconnect();
            return Err(OpenFailure {
                kind: Failure::Encrypt,
                message: format!("Error: Wallet created but failed to encrypt. {e}"),
            });
        }
    }
    add_loaded(context, &wallet);
    update_wallet_setting(context, name, load_on_start, &mut warnings);
    Ok((wallet, warnings))
}

/// Core's `RemoveWallet`: stops notifications, tells the unload callbacks,
/// updates the start-up setting; the database closes when the last
/// reference goes.
pub fn unload_wallet(
    context: &Arc<WalletContext>,
    name: &str,
    load_on_start: Option<bool>,
) -> Result<Vec<String>, String> {
    let Some(wallet) = context.wallet(name) else {
        return Err("Requested wallet already unloaded".into());
    };
    if wallet.is_scanning() {
        return Err("Wallet is currently rescanning. Abort existing rescan or wait.".into());
    }
    context.remove_wallet(name);
    wallet.disconnect();
    let mut warnings = Vec::new();
    update_wallet_setting(context, name, load_on_start, &mut warnings);
    wallet.log(format_args!("Releasing wallet {name}.."));
    Ok(warnings)
}

/// Adds or removes `name` in the `wallet` read-write setting.
struct WalletSetting {
    name: String,
    add: bool,
}

impl SettingsUpdateCallback for WalletSetting {
    fn call(&self, value: &str) -> interfaces::Result<(String, Option<SettingsAction>)> {
        let current: Value = serde_json::from_str(value).unwrap_or(Value::Null);
        let mut list: Vec<Value> = current.as_array().cloned().unwrap_or_default();
        let here = list.iter().any(|v| v.as_str() == Some(&self.name));
        let action = if self.add {
            if here && current.is_array() {
                Some(SettingsAction::SkipWrite)
            } else {
                if !here {
                    list.push(Value::String(self.name.clone()));
                }
                Some(SettingsAction::Write)
            }
        } else if !current.is_array() {
            if self.name.is_empty() && current.is_null() {
                // An empty list stops the unnamed wallet loading by default.
                Some(SettingsAction::Write)
            } else {
                Some(SettingsAction::SkipWrite)
            }
        } else {
            let before = list.len();
            list.retain(|v| v.as_str() != Some(&self.name));
            if list.len() == before {
                Some(SettingsAction::SkipWrite)
            } else {
                Some(SettingsAction::Write)
            }
        };
        Ok((Value::Array(list).to_string(), action))
    }
}

/// Core's `UpdateWalletSetting`.
pub(crate) fn update_wallet_setting(
    context: &WalletContext,
    name: &str,
    load_on_start: Option<bool>,
    warnings: &mut Vec<String>,
) {
    let Some(add) = load_on_start else {
        return;
    };
    let updated = context
        .chain
        .update_rw_setting(
            "wallet",
            Box::new(WalletSetting {
                name: name.to_string(),
                add,
            }),
        )
        .unwrap_or(false);
    if !updated {
        warnings.push(if add {
            "Wallet load on startup setting could not be updated, so wallet may not be loaded next node startup.".into()
        } else {
            "Wallet load on startup setting could not be updated, so wallet may still be loaded next node startup.".into()
        });
    }
}
