//! What the user asks of the wallets, carried out on the `gui-wallets`
//! thread with bitcoin-qt's messages.

use std::sync::Arc;

use bitcoin::OutPoint;
use bitcoin::{Network, Txid};
use interfaces::node::Node;
use interfaces::wallet::{CoinControl, TxDestination, Wallet, WalletLoader, WalletTxOut};

use super::records::{decompose, RowStatus};
use super::send::unsigned_psbt;
use super::{
    add_wallet, address_of, lock, parse_address, BumpPreview, CoinRow, CreateOptions, TxDetails,
    WalletCommand, WalletsModel, WALLET_FLAG_BLANK_WALLET, WALLET_FLAG_DESCRIPTORS,
    WALLET_FLAG_DISABLE_PRIVATE_KEYS,
};
use crate::views::format_btc;

const WRONG_PASSPHRASE: &str = "The passphrase entered for the wallet decryption was incorrect.";

fn ipc(e: interfaces::Error) -> String {
    e.to_string()
}

/// Runs `f` with the wallet unlocked by `passphrase` when it is locked,
/// and locks it again after (bitcoin-qt's `UnlockContext`).
fn unlocked<T>(
    w: &dyn Wallet,
    passphrase: Option<&str>,
    f: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    let locked = w.is_crypted().unwrap_or(false) && w.is_locked().unwrap_or(false);
    if !locked {
        return f();
    }
    let pass = passphrase.ok_or("Wallet unlock was cancelled.")?;
    if !w.unlock(pass.as_bytes()).map_err(ipc)? {
        return Err(WRONG_PASSPHRASE.into());
    }
    let result = f();
    let _ = w.lock();
    result
}

impl WalletsModel {
    pub(super) fn act(
        &self,
        node: &dyn Node,
        loader: &dyn WalletLoader,
        network: Network,
        command: WalletCommand,
        counted: bool,
    ) {
        let result = match command {
            WalletCommand::Broadcast(tx) => Some(broadcast(node, &tx)),
            command => self.act_on(loader, network, command),
        };
        {
            let mut s = lock(&self.shared);
            if let Some(result) = result {
                s.view.message = Some(result);
            }
            if counted {
                s.actions = s.actions.saturating_sub(1);
            }
            s.view.busy = s.actions > 0;
        }
        self.repaint();
    }

    /// `None` when the command shows its result elsewhere than the status line.
    fn act_on(
        &self,
        loader: &dyn WalletLoader,
        network: Network,
        command: WalletCommand,
    ) -> Option<Result<String, String>> {
        use WalletCommand as C;
        let result = match command {
            C::Create(options) => self.create(loader, options),
            C::Open(name) => self.open(loader, &name),
            C::Close(index) => self.close(index),
            C::CloseAll => (0..lock(&self.shared).wallets.len())
                .rev()
                .map(|i| self.close(i))
                .collect::<Result<Vec<_>, _>>()
                .map(|_| "All wallets closed.".into()),
            C::ListDir => {
                let dir = loader.list_wallet_dir().map_err(ipc);
                return match dir {
                    Ok(dir) => {
                        self.update(|v| v.wallet_dir = dir);
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::Restore(file, name) => loader
                .restore_wallet(std::path::Path::new(&file), &name, true)
                .map_err(ipc)
                .and_then(|load| load.wallet.map_err(|e| e.original))
                .map(|w| {
                    add_wallet(&self.shared, Arc::from(w));
                    format!("Wallet restored: \"{name}\".")
                }),
            C::Backup(index, path) => self.wallet(index).and_then(|w| {
                match w.backup_wallet(&path).map_err(ipc)? {
                    true => Ok(format!(
                        "The wallet data was successfully saved to {path}."
                    )),
                    false => Err(format!(
                        "There was an error trying to save the wallet data to {path}."
                    )),
                }
            }),
            C::Encrypt(index, pass) => self.wallet(index).and_then(|w| {
                if pass.is_empty() {
                    return Err("The passphrase must not be empty.".into());
                }
                match w.encrypt_wallet(pass.as_bytes()).map_err(ipc)? {
                    true => Ok("Wallet encrypted. Your wallet is now encrypted. Any previous backups you made of your wallet file should be replaced with the newly generated, encrypted wallet file.".into()),
                    false => Err("Wallet encryption failed due to an internal error. Your wallet was not encrypted.".into()),
                }
            }),
            C::ChangePassphrase(index, old, new) => self.wallet(index).and_then(|w| {
                match w
                    .change_wallet_passphrase(old.as_bytes(), new.as_bytes())
                    .map_err(ipc)?
                {
                    true => Ok("Wallet passphrase was successfully changed.".into()),
                    false => Err(WRONG_PASSPHRASE.into()),
                }
            }),
            C::Lock(index) => self
                .wallet(index)
                .and_then(|w| w.lock().map_err(ipc))
                .map(|_| "Wallet locked.".into()),
            C::NewAddress(index, kind, request, pass) => {
                self.new_address(index, kind, request, pass.as_deref(), network)
            }
            C::RemoveRequest(index, request) => self.wallet(index).and_then(|w| {
                let dest = parse_address(&request.address, network).unwrap_or(TxDestination::None);
                w.set_address_receive_request(&dest, request.id.to_string().as_bytes(), &[])
                    .map_err(ipc)
                    .map(|_| "Request removed.".into())
            }),
            C::Prepare(request) => {
                let built = self.wallet(request.index).and_then(|w| {
                    unlocked(&*w, request.passphrase.as_deref(), || {
                        request.build(&*w, network)
                    })
                });
                return match built {
                    Ok(p) => {
                        self.update(|v| v.prepared = Some(p));
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::Commit => self.commit(network),
            C::Cancel => {
                self.update(|v| {
                    v.prepared = None;
                    v.bump = None;
                });
                return None;
            }
            C::Bump(index, txid) => {
                let preview = self.wallet(index).and_then(|w| {
                    let b = w
                        .create_bump_transaction(&txid, &super::send::core_coin_control())
                        .map_err(ipc)?;
                    if !b.made {
                        let why: Vec<String> = b.errors.into_iter().map(|e| e.original).collect();
                        return Err(format!("Increasing transaction fee failed: {}", why.join(" ")));
                    }
                    Ok(BumpPreview {
                        index,
                        txid,
                        old_fee: b.old_fee,
                        new_fee: b.new_fee,
                        mtx: b.mtx,
                    })
                });
                return match preview {
                    Ok(p) => {
                        self.update(|v| v.bump = Some(p));
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::CommitBump(pass) => self.commit_bump(pass.as_deref()),
            C::Abandon(index, txid) => self.wallet(index).and_then(|w| {
                match w.abandon_transaction(&txid).map_err(ipc)? {
                    true => Ok(format!("Transaction {txid} abandoned.")),
                    false => Err("The transaction could not be abandoned.".into()),
                }
            }),
            C::Details(index, txid) => {
                let details = self
                    .wallet(index)
                    .and_then(|w| details(&*w, txid, network));
                return match details {
                    Ok(d) => {
                        self.update(|v| v.details = Some(d));
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::SignMessage(index, address, message, pass) => {
                let signed = self
                    .wallet(index)
                    .and_then(|w| sign_message(&*w, &address, &message, pass.as_deref(), network));
                return match signed {
                    Ok(sig) => {
                        self.update(|v| v.signature = Some(sig));
                        Some(Ok("Message signed.".into()))
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::LoadCoins(index) => {
                let coins = self.wallet(index).and_then(|w| coins(&*w, network));
                return match coins {
                    Ok(c) => {
                        self.update(|v| v.coins = Some((index, c)));
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::LockCoin(index, outpoint, lock_it) => {
                let done = self.wallet(index).and_then(|w| {
                    if lock_it {
                        w.lock_coin(&outpoint, true)
                    } else {
                        w.unlock_coin(&outpoint)
                    }
                    .map_err(ipc)?;
                    coins(&*w, network)
                });
                return match done {
                    Ok(c) => {
                        self.update(|v| v.coins = Some((index, c)));
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
            C::SetLabel(index, address, label, purpose) => self.wallet(index).and_then(|w| {
                let dest = parse_address(&address, network).ok_or_else(|| {
                    format!("The entered address \"{address}\" is not a valid Bitcoin address.")
                })?;
                // bitcoin-qt's EditAddressDialog rules: a receiving address
                // of ours never becomes a sending one.
                let (name, existing, known) = w.get_address(&dest, true, true).map_err(ipc)?;
                if known && existing == super::PURPOSE_RECEIVE && purpose == super::PURPOSE_SEND {
                    return Err(format!("Address \"{address}\" already exists as a receiving address with label \"{name}\" and so cannot be added as a sending address."));
                }
                w.set_address_book(&dest, &label, purpose)
                    .map_err(ipc)
                    .map(|_| "Address book updated.".into())
            }),
            C::DeleteAddress(index, address) => self.wallet(index).and_then(|w| {
                let dest = parse_address(&address, network).ok_or("Invalid address")?;
                w.del_address_book(&dest)
                    .map_err(ipc)
                    .map(|_| "Address deleted.".into())
            }),
            C::Broadcast(_) => return None,
            C::SignPsbt(index, bytes, pass) => {
                let signed = self.wallet(index).and_then(|w| {
                    unlocked(&*w, pass.as_deref(), || {
                        w.fill_psbt(0, true, true, false, &bytes).map_err(ipc)
                    })
                });
                return match signed {
                    Ok((n, out, complete, super::send::PSBT_OK)) => {
                        self.update(|v| v.signed_psbt = Some((out, n, complete)));
                        None
                    }
                    Ok((_, _, _, error)) => Some(Err(format!(
                        "Failed to sign transaction: {}",
                        psbt_error_text(error)
                    ))),
                    Err(e) => Some(Err(format!("Failed to sign transaction: {e}"))),
                };
            }
            C::Fee(index, target) => {
                let cc = CoinControl {
                    confirm_target: Some(target),
                    ..super::send::core_coin_control()
                };
                let fee = self
                    .wallet(index)
                    .and_then(|w| w.get_minimum_fee(1000, &cc, true, true).map_err(ipc));
                return match fee {
                    Ok((used, reason, fee)) => {
                        self.update(|v| v.fee = Some((index, target, used, reason, fee)));
                        None
                    }
                    Err(e) => Some(Err(e)),
                };
            }
        };
        Some(result)
    }

    fn create(&self, loader: &dyn WalletLoader, o: CreateOptions) -> Result<String, String> {
        let mut flags = WALLET_FLAG_DESCRIPTORS;
        if o.disable_private_keys {
            flags |= WALLET_FLAG_DISABLE_PRIVATE_KEYS;
        }
        if o.blank {
            flags |= WALLET_FLAG_BLANK_WALLET;
        }
        let load = loader
            .create_wallet(&o.name, &o.passphrase, flags)
            .map_err(ipc)?;
        let w = load.wallet.map_err(|e| e.original)?;
        add_wallet(&self.shared, Arc::from(w));
        Ok(format!("Wallet \"{}\" created.", o.name))
    }

    fn open(&self, loader: &dyn WalletLoader, name: &str) -> Result<String, String> {
        let load = loader.load_wallet(name).map_err(ipc)?;
        let w = load.wallet.map_err(|e| e.original)?;
        add_wallet(&self.shared, Arc::from(w));
        let shown = if name.is_empty() {
            "[default wallet]"
        } else {
            name
        };
        Ok(format!("Wallet \"{shown}\" opened."))
    }

    fn close(&self, index: usize) -> Result<String, String> {
        let w = self.wallet(index)?;
        let name = w.get_wallet_name().unwrap_or_default();
        w.remove().map_err(ipc)?;
        super::remove_wallet(&self.shared, &name);
        Ok(format!("Wallet \"{name}\" closed."))
    }

    fn new_address(
        &self,
        index: usize,
        kind: i32,
        mut request: super::ReceiveRequest,
        pass: Option<&str>,
        network: Network,
    ) -> Result<String, String> {
        let w = self.wallet(index)?;
        let dest = unlocked(&*w, pass, || {
            w.get_new_destination(kind, &request.label)
                .map_err(ipc)?
                .map_err(|e| e.original)
        })
        .map_err(|e| format!("Could not generate new address: {e}"))?;
        let address = address_of(&dest, network).ok_or("Could not generate new address")?;
        let next_id = w
            .get_address_receive_requests()
            .unwrap_or_default()
            .iter()
            .filter_map(|b| super::ReceiveRequest::decode(b))
            .map(|r| r.id)
            .max()
            .unwrap_or(0)
            + 1;
        request.id = next_id;
        request.address = address.clone();
        request.date = crate::views::unix_now() as u32;
        // bitcoin-qt keeps the request even when saving it fails.
        let _ =
            w.set_address_receive_request(&dest, next_id.to_string().as_bytes(), &request.encode());
        let name = w.get_wallet_name().unwrap_or_default();
        self.update(|v| v.last_request = Some((name, request)));
        Ok(format!("Created a new receiving address: {address}"))
    }

    fn commit(&self, network: Network) -> Result<String, String> {
        let prepared = lock(&self.shared)
            .view
            .prepared
            .take()
            .ok_or("Nothing to send.")?;
        let w = self.wallet(prepared.index)?;
        if prepared.unsigned {
            let psbt = unsigned_psbt(&*w, &prepared.tx)?;
            self.update(|v| v.psbt = Some(psbt));
            return Ok("Unsigned transaction created (PSBT).".into());
        }
        w.commit_transaction(&prepared.tx, &[], &[]).map_err(ipc)?;
        // Labels typed on the Send screen go to the address book.
        for r in &prepared.recipients {
            if let Some(dest) = parse_address(&r.address, network) {
                if !r.label.is_empty() {
                    let _ = w.set_address_book(&dest, &r.label, 1);
                }
            }
        }
        Ok(format!(
            "Sent {} (fee {}): {}",
            format_btc(prepared.recipients.iter().map(|r| r.amount).sum()),
            format_btc(prepared.fee),
            prepared.tx.compute_txid()
        ))
    }

    fn commit_bump(&self, pass: Option<&str>) -> Result<String, String> {
        let bump = lock(&self.shared)
            .view
            .bump
            .take()
            .ok_or("Nothing to bump.")?;
        let w = self.wallet(bump.index)?;
        let signed = unlocked(&*w, pass, || {
            let (tx, ok) = w.sign_bump_transaction(&bump.mtx).map_err(ipc)?;
            if ok {
                Ok(tx)
            } else {
                Err("Can't sign transaction.".into())
            }
        })?;
        let (errors, txid, ok) = w
            .commit_bump_transaction(&bump.txid, &signed)
            .map_err(ipc)?;
        if !ok {
            let why: Vec<String> = errors.into_iter().map(|e| e.original).collect();
            return Err(format!("Could not commit transaction: {}", why.join(" ")));
        }
        Ok(format!(
            "Fee increased from {} to {}: {txid}",
            format_btc(bump.old_fee),
            format_btc(bump.new_fee)
        ))
    }
}

/// Core's `PSBTErrorString` for a `PSBTError` number.
fn psbt_error_text(error: i32) -> &'static str {
    match error {
        0 => "Inputs missing or spent",
        1 => "Specified sighash value does not match value stored in PSBT",
        2 => "External signer not found",
        3 => "External signer failed to sign",
        4 => "Signer does not support PSBT",
        5 => "Input needs additional signatures or other data",
        6 => "The transaction cannot be valid",
        _ => "Unknown error",
    }
}

/// bitcoin-qt's PSBT broadcast: at most 0.1 BTC/kvB of fee
/// (`DEFAULT_MAX_RAW_TX_FEE_RATE`), the node's error text on failure.
fn broadcast(node: &dyn Node, tx: &bitcoin::Transaction) -> Result<String, String> {
    let vsize = tx.vsize() as i64;
    let max_fee = 10_000_000 * vsize / 1000;
    let (error, code) = node.broadcast_transaction(tx, max_fee).map_err(ipc)?;
    if code == 0 {
        Ok(format!(
            "Transaction broadcast successfully! Transaction ID: {}",
            tx.compute_txid()
        ))
    } else {
        Err(format!("Transaction broadcast failed: {error}"))
    }
}

/// bitcoin-qt's `SignVerifyMessageDialog` signing: P2PKH addresses only.
fn sign_message(
    w: &dyn Wallet,
    address: &str,
    message: &str,
    pass: Option<&str>,
    network: Network,
) -> Result<String, String> {
    let dest = parse_address(address, network)
        .ok_or("The entered address is invalid. Please check the address and try again.")?;
    let TxDestination::PkHash(hash) = dest else {
        return Err(
            "The entered address does not refer to a key. Please check the address and try again."
                .into(),
        );
    };
    let (sig, code) = unlocked(w, pass, || w.sign_message(message, &hash).map_err(ipc))?;
    match code {
        0 => Ok(sig),
        1 => Err("Private key for the entered address is not available.".into()),
        _ => Err("Message signing failed.".into()),
    }
}

fn coins(w: &dyn Wallet, network: Network) -> Result<Vec<CoinRow>, String> {
    let locked = w.list_locked_coins().unwrap_or_default();
    let labels: std::collections::HashMap<String, String> = w
        .get_addresses()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| address_of(&a.dest, network).map(|s| (s, a.name)))
        .collect();
    let row = |outpoint: OutPoint, c: &WalletTxOut, locked: bool| {
        let address = address_of(&TxDestination::from_script(&c.txout.script_pubkey), network)
            .unwrap_or_default();
        CoinRow {
            outpoint,
            amount: c.txout.value.to_sat() as i64,
            label: labels.get(&address).cloned().unwrap_or_default(),
            address,
            time: c.time,
            depth: c.depth_in_main_chain,
            locked,
        }
    };
    let mut rows = Vec::new();
    for (_, coins) in w.list_coins().map_err(ipc)? {
        for (outpoint, c) in coins {
            rows.push(row(outpoint, &c, locked.contains(&outpoint)));
        }
    }
    // Locked coins are not in listCoins; bitcoin-qt lists them disabled.
    for outpoint in locked {
        if rows.iter().any(|r| r.outpoint == outpoint) {
            continue;
        }
        if let Ok(found) = w.get_coins(&[outpoint]) {
            for c in found.into_iter().filter(|c| !c.is_spent) {
                rows.push(row(outpoint, &c, true));
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.amount));
    Ok(rows)
}

/// bitcoin-qt's `TransactionDesc` as label/value lines.
fn details(w: &dyn Wallet, txid: Txid, network: Network) -> Result<TxDetails, String> {
    let d = w.get_wallet_tx_details(&txid).map_err(ipc)?;
    let wtx = &d.wtx;
    let rows = decompose(wtx, network);
    let kind = rows
        .first()
        .map_or(super::records::RecordKind::Other, |r| r.kind);
    let status = RowStatus::new(kind, &d.tx_status);
    let mut lines: Vec<(String, String)> = vec![
        ("Status".into(), status.text()),
        ("Date".into(), crate::views::format_time(wtx.time)),
    ];
    if wtx.is_coinbase {
        lines.push(("Source".into(), "Generated".into()));
    }
    for r in &rows {
        let (k, v) = if r.amount < 0 {
            ("To", r.address.clone())
        } else {
            ("Received with", r.address.clone())
        };
        if !v.is_empty() {
            lines.push((k.into(), v));
        }
    }
    if wtx.credit > 0 {
        lines.push(("Credit".into(), format_btc(wtx.credit)));
    }
    if wtx.debit > 0 {
        lines.push(("Debit".into(), format_btc(-wtx.debit)));
        let out: i64 = wtx.tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
        let fee = wtx.debit - out;
        if fee > 0 && wtx.txin_is_mine.iter().all(|m| *m) {
            lines.push(("Transaction fee".into(), format_btc(-fee)));
        }
    }
    lines.push(("Net amount".into(), format_btc(wtx.credit - wtx.debit)));
    for (k, v) in &d.order_form {
        if k == "Message" {
            lines.push(("Message".into(), v.clone()));
        }
    }
    for (k, v) in &wtx.value_map {
        if k == "comment" && !v.is_empty() {
            lines.push(("Comment".into(), v.clone()));
        }
    }
    lines.push(("Transaction ID".into(), txid.to_string()));
    lines.push((
        "Transaction total size".into(),
        format!("{} bytes", wtx.tx.total_size()),
    ));
    lines.push((
        "Transaction virtual size".into(),
        format!("{} bytes", wtx.tx.vsize()),
    ));
    if let Some(r) = rows.first() {
        lines.push(("Output index".into(), r.vout.to_string()));
    }
    let hex = bitcoin::consensus::encode::serialize_hex(&wtx.tx);
    Ok(TxDetails { txid, lines, hex })
}
