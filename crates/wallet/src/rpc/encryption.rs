//! Encryption and backups: `encryptwallet`, `walletpassphrase`,
//! `walletlock`, `walletpassphrasechange`, `backupwallet`,
//! `exportwatchonlywallet`.

use super::util::{synced_wallet, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::wallet::{crypt, Wallet};
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

rpc_params! {
    /// `encryptwallet`'s parameters.
    struct EncryptParams {
        /// The pass phrase to encrypt the wallet with. It must be at least 1 character, but should be long.
        passphrase: String [Str, required],
    }
}

rpc_params! {
    /// `walletpassphrase`'s parameters.
    struct PassphraseParams {
        /// The wallet passphrase
        passphrase: String [Str, required],
        /// The time to keep the decryption key in seconds; capped at 100000000 (~3 years).
        timeout: i64 [Num, required],
    }
}

rpc_params! {
    /// `walletpassphrasechange`'s parameters.
    struct PassphraseChangeParams {
        /// The current passphrase
        oldpassphrase: String [Str, required],
        /// The new passphrase
        newpassphrase: String [Str, required],
    }
}

rpc_params! {
    /// `backupwallet`'s parameters.
    struct BackupParams {
        /// The destination directory or file
        destination: String [Str, required],
    }
}

rpc_params! {
    /// `exportwatchonlywallet`'s parameters.
    struct ExportWatchOnlyParams {
        /// The path to the filename the exported watchonly wallet will be saved to
        destination: String [Str, required],
    }
}

/// Core's answer to a wrong passphrase holding a NUL byte.
const NUL_IN_PASSPHRASE: &str = "Error: The wallet passphrase entered is incorrect. It contains a null character (ie - a zero byte). If the passphrase was set with a version of this software prior to 25.0, please try again with only the characters up to — but not including — the first null character. If this is successful, please set a new passphrase to avoid this issue in the future.";

/// Core's answer to a wrong old passphrase holding a NUL byte.
const NUL_IN_OLD_PASSPHRASE: &str = "Error: The old wallet passphrase entered is incorrect. It contains a null character (ie - a zero byte). If the old passphrase was set with a version of this software prior to 25.0, please try again with only the characters up to — but not including — the first null character.";

fn wrong_state(call: &str, wallet: &Wallet, crypted: bool) -> Result<(), RpcError> {
    if wallet.lock().is_crypted() != crypted {
        let running = if crypted {
            "an unencrypted"
        } else {
            "an encrypted"
        };
        return Err(RpcError::new(
            code::WALLET_WRONG_ENC_STATE,
            format!("Error: running with {running} wallet, but {call} was called."),
        ));
    }
    Ok(())
}

/// Refuses `what` while an import holds the wallet unlocked for its rescan.
fn no_rescan(wallet: &Wallet, what: &str) -> Result<(), RpcError> {
    if wallet.scanning_with_passphrase.load(Ordering::SeqCst) {
        return Err(RpcError::new(code::WALLET_ERROR, format!("Error: the wallet is currently being used to rescan the blockchain for related transactions. Please call `abortrescan` before {what}.")));
    }
    Ok(())
}

/// Locks `wallet` at `relock` unless a later `walletpassphrase` or
/// `walletlock` moved the time.
fn schedule_relock(wallet: Weak<Wallet>, relock: i64) {
    let _ = std::thread::Builder::new()
        .name("walletrelock".into())
        .spawn(move || loop {
            let Some(w) = wallet.upgrade() else {
                return;
            };
            if w.relock_time.load(Ordering::SeqCst) != relock {
                return;
            }
            let now = common::time::now_secs();
            // An import rescanning with the passphrase keeps the wallet
            // unlocked; the relock waits for it (Core's relock mutex).
            if now >= relock && !w.scanning_with_passphrase.load(Ordering::SeqCst) {
                crypt::lock(&w);
                w.relock_time.store(0, Ordering::SeqCst);
                return;
            }
            drop(w);
            // At most a second, at least a tenth (while a rescan defers it).
            std::thread::sleep(std::time::Duration::from_millis(
                ((relock - now).clamp(0, 1) * 1000).max(100) as u64,
            ));
        });
}

/// Registers the encryption and backup methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "encryptwallet",
        "wallet",
        "Encrypts the wallet with 'passphrase'. This is for first time encryption.\nAfter this, any calls that interact with private keys such as sending or signing \nwill require the passphrase to be set prior to making these calls.\nUse the walletpassphrase call for this, and then walletlock call.\nIf the wallet is already encrypted, use the walletpassphrasechange call.\n** IMPORTANT **\nFor security reasons, the encryption process will generate a new HD seed, resulting\nin the creation of a fresh set of active descriptors. Therefore, it is crucial to\nsecurely back up the newly generated wallet file using the backupwallet RPC.",
        move |req, p: EncryptParams| {
            let wallet = wallet_for_request(&c, req)?;
            if wallet.has_flag(flags::DISABLE_PRIVATE_KEYS) {
                return Err(RpcError::new(code::WALLET_ENCRYPTION_FAILED, "Error: wallet does not contain private keys, nothing to encrypt."));
            }
            wrong_state("encryptwallet", &wallet, false)?;
            no_rescan(&wallet, "encrypting the wallet")?;
            if p.passphrase.is_empty() {
                return Err(RpcError::invalid_parameter("passphrase cannot be empty"));
            }
            crypt::encrypt(&wallet, p.passphrase.as_bytes()).map_err(|_| {
                RpcError::new(code::WALLET_ENCRYPTION_FAILED, "Error: Failed to encrypt the wallet.")
            })?;
            Ok(json!("wallet encrypted; The keypool has been flushed and a new HD seed was generated. You need to make a new backup with the backupwallet RPC."))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "walletpassphrase",
        "wallet",
        "Stores the wallet decryption key in memory for 'timeout' seconds.\nThis is needed prior to performing transactions related to private keys such as sending bitcoins\n\nNote:\nIssuing the walletpassphrase command while the wallet is already unlocked will set a new unlock\ntime that overrides the old one.",
        move |req, p: PassphraseParams| {
            let wallet = wallet_for_request(&c, req)?;
            wrong_state("walletpassphrase", &wallet, true)?;
            if p.timeout < 0 {
                return Err(RpcError::invalid_parameter("Timeout cannot be negative."));
            }
            let timeout = p.timeout.min(100_000_000);
            if p.passphrase.is_empty() {
                return Err(RpcError::invalid_parameter("passphrase cannot be empty"));
            }
            crypt::unlock(&wallet, p.passphrase.as_bytes()).map_err(|e| {
                if !e.contains("passphrase entered was incorrect") {
                    RpcError::new(code::WALLET_ERROR, e)
                } else if p.passphrase.contains('\0') {
                    // Versions before 25.0 cut passphrases at the first NUL
                    // (Core #27067); the text tells such users what to try.
                    RpcError::new(code::WALLET_PASSPHRASE_INCORRECT, NUL_IN_PASSPHRASE)
                } else {
                    RpcError::new(code::WALLET_PASSPHRASE_INCORRECT, e)
                }
            })?;
            let relock = common::time::now_secs() + timeout;
            wallet.relock_time.store(relock, Ordering::SeqCst);
            schedule_relock(Arc::downgrade(&wallet), relock);
            Ok(Value::Null)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "walletlock",
        "wallet",
        "Removes the wallet encryption key from memory, locking the wallet.\nAfter calling this method, you will need to call walletpassphrase again\nbefore being able to call any methods which require the wallet to be unlocked.",
        move |req, ()| {
            let wallet = wallet_for_request(&c, req)?;
            wrong_state("walletlock", &wallet, true)?;
            no_rescan(&wallet, "locking the wallet")?;
            crypt::lock(&wallet);
            wallet.relock_time.store(0, Ordering::SeqCst);
            Ok(Value::Null)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "walletpassphrasechange",
        "wallet",
        "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.",
        move |req, p: PassphraseChangeParams| {
            let wallet = wallet_for_request(&c, req)?;
            wrong_state("walletpassphrasechange", &wallet, true)?;
            no_rescan(&wallet, "changing the passphrase")?;
            if p.oldpassphrase.is_empty() || p.newpassphrase.is_empty() {
                return Err(RpcError::invalid_parameter("passphrase cannot be empty"));
            }
            crypt::change_passphrase(
                &wallet,
                p.oldpassphrase.as_bytes(),
                p.newpassphrase.as_bytes(),
            )
            .map_err(|e| {
                if p.oldpassphrase.contains('\0') && e.contains("passphrase entered was incorrect")
                {
                    RpcError::new(code::WALLET_PASSPHRASE_INCORRECT, NUL_IN_OLD_PASSPHRASE)
                } else {
                    RpcError::new(code::WALLET_PASSPHRASE_INCORRECT, e)
                }
            })?;
            // An unlocked wallet stays unlocked until its scheduled relock,
            // as in Core.
            Ok(Value::Null)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "backupwallet",
        "wallet",
        "Safely copies the current wallet file to the specified destination, which can either be a directory or a path with a filename.",
        move |req, p: BackupParams| {
            let wallet = synced_wallet(&c, req)?;
            wallet
                .backup(std::path::Path::new(&p.destination))
                .map_err(|_| RpcError::new(code::WALLET_ERROR, "Error: Wallet backup failed!"))?;
            Ok(Value::Null)
        },
    ));

    let c = context.clone();
    table.register(
        RpcMethod::new(
            "exportwatchonlywallet",
            "wallet",
            "Creates a wallet file at the specified destination containing a watchonly version of the current wallet. This watchonly wallet contains the wallet's public descriptors, its transactions, and address book data. Descriptors that use hardened derivation will only have a limited number of derived keys included in the export due to hardened derivation requiring private keys. Descriptors with unhardened derivation do not have this limitation. The watchonly wallet can be imported into another node using 'restorewallet'.",
            move |req, p: ExportWatchOnlyParams| {
                let wallet = synced_wallet(&c, req)?;
                let exported = wallet
                    .export_watch_only(&p.destination, c.params.message_start)
                    .map_err(|e| RpcError::new(code::WALLET_ERROR, e))?;
                Ok(json!({ "exported_file": exported }))
            },
        )
        .result("{                       (json object)\n  \"exported_file\" : \"str\"    (string) The full path that the file has been exported to\n}")
        .examples("> bitcoin-cli exportwatchonlywallet \"/path/to/export.dat\"\n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"exportwatchonlywallet\", \"params\": [\"/path/to/export.dat\"]}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );
}
