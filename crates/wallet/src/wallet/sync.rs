//! Keeping a wallet in step with the node: the `ChainNotifications` it
//! registers, attaching to the chain at load (catching up from the last
//! block it processed: fork point, rescan of the gap, mempool again), and
//! rescans (Core's `AttachChain`, `ScanForWalletTransactions`).
//!
//! Lock discipline: the wallet lock is never held across a `Chain` call
//! that can call back into this wallet (`requestMempoolTransactions`,
//! waiting for notifications), because the node's callback would run on
//! this very thread and find the lock taken.

use super::fast_rescan::{FastRescanFilter, BASIC_FILTER};
use super::prefetch::ReadAhead;
use super::{Env, State, Wallet, Writes};
use crate::db::batch::WalletBatch;
use crate::ledger::{Ledger, LedgerEnv, SyncState};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Transaction};
use interfaces::chain::{
    BlockInfo, BlockLocator, Chain, ChainNotifications, ChainstateRole, FoundBlockParam,
    FoundBlockResult, MemPoolRemovalReason, TxBroadcast,
};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How a rescan ended (Core's `ScanResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    /// Reached the end.
    Success,
    /// A block could not be read or left the chain.
    Failure,
    /// Stopped by `abortrescan` or shutdown.
    UserAbort,
}

/// What a rescan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanResult {
    /// How it ended.
    pub status: ScanStatus,
    /// The last block scanned, if any.
    pub last_scanned: Option<(BlockHash, i32)>,
    /// The last block that could not be scanned, if any.
    pub last_failed: Option<BlockHash>,
}

/// The chain notifications of one wallet.
struct Notifications(Weak<Wallet>);

impl Notifications {
    /// Runs `f` on the ledger under the wallet lock and makes its changes
    /// durable before the node's call returns.
    fn apply(&self, f: impl FnOnce(&mut Ledger, &Env), what: &str) {
        let Some(wallet) = self.0.upgrade() else {
            return;
        };
        let mut state = wallet.lock();
        {
            let State { ledger, keys, .. } = &mut *state;
            let env = Env {
                keys,
                chain: &*wallet.chain,
            };
            f(ledger, &env);
        }
        if let Err(e) = wallet.commit(&mut state, Writes::default()) {
            tracing::error!("[{}] {what}: {e}", wallet.display_name());
        }
    }
}

impl ChainNotifications for Notifications {
    fn transaction_added_to_mempool(&self, tx: &Transaction) -> interfaces::Result<()> {
        self.apply(
            |ledger, env| ledger.transaction_added_to_mempool(tx, env),
            "transactionAddedToMempool",
        );
        Ok(())
    }

    fn transaction_removed_from_mempool(
        &self,
        tx: &Transaction,
        reason: MemPoolRemovalReason,
    ) -> interfaces::Result<()> {
        let conflict = reason == MemPoolRemovalReason::Conflict;
        self.apply(
            |ledger, env| ledger.transaction_removed_from_mempool(tx, conflict, env),
            "transactionRemovedFromMempool",
        );
        Ok(())
    }

    fn block_connected(&self, role: &ChainstateRole, block: &BlockInfo) -> interfaces::Result<()> {
        if role.historical {
            return Ok(());
        }
        let Some(data) = &block.data else {
            return Ok(());
        };
        self.apply(
            |ledger, env| {
                ledger.block_connected(
                    data,
                    block.hash,
                    block.height,
                    i64::from(block.chain_time_max),
                    env,
                )
            },
            "blockConnected",
        );
        Ok(())
    }

    fn block_disconnected(&self, block: &BlockInfo) -> interfaces::Result<()> {
        let (Some(data), Some(prev)) = (&block.data, block.prev_hash) else {
            return Ok(());
        };
        self.apply(
            |ledger, env| ledger.block_disconnected(data, block.height, prev, env),
            "blockDisconnected",
        );
        Ok(())
    }

    fn updated_block_tip(&self) -> interfaces::Result<()> {
        if let Some(wallet) = self.0.upgrade() {
            wallet
                .best_block_time
                .store(common::time::now_secs(), Ordering::SeqCst);
        }
        Ok(())
    }

    fn chain_state_flushed(
        &self,
        _role: &ChainstateRole,
        locator: &BlockLocator,
    ) -> interfaces::Result<()> {
        // Core writes the node's flushed locator as the wallet's sync point
        // only while the wallet is not behind it; the next block writes it
        // anyway, so nothing is lost by leaving it to the wallet's own writes.
        let _ = locator;
        Ok(())
    }
}

/// Core's `AttachChain`: checks the wallet belongs to this chain,
/// registers for notifications, and rescans from the fork point of the
/// last processed block (everything when `rescan_required`), holding the
/// wallet lock so notifications wait until it is caught up.
pub fn attach_chain(
    wallet: &Arc<Wallet>,
    rescan_required: bool,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let _ = warnings;
    let chain = wallet.chain.clone();
    let mut state = wallet.lock();
    let stored = state.db.read_best_block().ok().flatten();
    if !wallet.options.cross_chain {
        if let (Some(loc), Ok(Some(_))) = (&stored, chain.get_height()) {
            if let (Some(genesis), Ok(ours)) = (loc.hashes.last(), chain.get_block_hash(0)) {
                if *genesis != ours {
                    return Err("Wallet files should not be reused across chains. Restart bitcoind with -walletcrosschain to override.".into());
                }
            }
        }
    }
    let handler = chain
        .handle_notifications(Box::new(Notifications(Arc::downgrade(wallet))))
        .map_err(|e| e.to_string())?;
    wallet.set_notifications(handler);
    let mut rescan_height = 0;
    if !rescan_required {
        if let Some(loc) = &stored {
            if let Ok(Some(fork)) = chain.find_locator_fork(&BlockLocator(loc.hashes.clone())) {
                rescan_height = fork;
            }
        }
    }
    let tip_height = chain.get_height().map_err(|e| e.to_string())?;
    match tip_height {
        Some(h) => {
            let hash = chain.get_block_hash(h).map_err(|e| e.to_string())?;
            state.ledger.set_last_block(hash, h);
        }
        None => return Ok(()),
    }
    let Some(tip_height) = tip_height else {
        return Ok(());
    };
    // Decided before the birthday moves the start: the block the birthday
    // points at is scanned too, even when it is the tip (Core scans from
    // `rescan_height` inclusive).
    let behind = tip_height != rescan_height;
    if behind {
        let birth = state.ledger.birth_time();
        if birth != i64::MAX {
            let want = FoundBlockParam {
                want_height: true,
                ..Default::default()
            };
            match chain.find_first_block_with_time_and_height(
                birth - crate::ledger::store::TIMESTAMP_WINDOW,
                rescan_height,
                &want,
            ) {
                Ok((found, true)) => rescan_height = found.height,
                // The wallet is newer than the tip: nothing to scan.
                _ => rescan_height = tip_height,
            }
        }
        let pruned = chain.have_pruned().unwrap_or(false);
        // Blocks below an assumeutxo snapshot's base arrive out of order,
        // like pruned ones they may be missing.
        if pruned || chain.has_assumed_valid_chain().unwrap_or(false) {
            let mut block_height = tip_height;
            while block_height > 0
                && chain.have_block_on_disk(block_height - 1).unwrap_or(false)
                && rescan_height != block_height
            {
                block_height -= 1;
            }
            if rescan_height != block_height {
                return Err(if pruned {
                    "Prune: last wallet synchronisation goes beyond pruned data. You need to -reindex (download the whole blockchain again in case of a pruned node)".into()
                } else {
                    format!("Error loading wallet. Wallet requires blocks to be downloaded, and software does not currently support loading wallets while blocks are being downloaded out of order when using assumeutxo snapshots. Wallet should be able to load successfully after node sync reaches height {block_height}")
                });
            }
        }
    }
    if behind {
        chain.init_message("Rescanning…").ok();
        wallet.log(format_args!(
            "Rescanning last {} blocks (from block {rescan_height})...",
            tip_height - rescan_height
        ));
        if wallet.rescanning.swap(true, Ordering::SeqCst) {
            return Err("Failed to acquire rescan reserver during wallet initialization".into());
        }
        let start = chain
            .get_block_hash(rescan_height)
            .map_err(|e| e.to_string())?;
        let result = scan_locked(wallet, &mut state, start, rescan_height, None, true);
        wallet.rescanning.store(false, Ordering::SeqCst);
        if result.status != ScanStatus::Success {
            return Err("Failed to rescan the wallet during initialization".into());
        }
        if let Some((hash, height)) = result.last_scanned {
            state.ledger.set_last_block(hash, height);
        }
    }
    state.ledger.request_best_block();
    wallet.commit(&mut state, Writes::default())?;
    Ok(())
}

/// Core's `postInitProcess`: the wallet's own transactions not yet in a
/// block go to the node's mempool, then the mempool's transactions come
/// again (the wallet may have missed some while it was away). Must be
/// called without the wallet lock: the node calls back into the wallet on
/// this thread.
pub fn post_init(wallet: &Arc<Wallet>) {
    resubmit(wallet, TxBroadcast::MempoolNoBroadcast, true);
    request_mempool(wallet);
}

/// The mempool's transactions, each as a `transactionAddedToMempool`
/// (Core's `requestMempoolTransactions`, also the end of a rescan without
/// an end height). Must be called without the wallet lock, as
/// [`post_init`].
pub fn request_mempool(wallet: &Arc<Wallet>) {
    let n = Notifications(Arc::downgrade(wallet));
    if let Err(e) = wallet.chain.request_mempool_transactions(Box::new(n)) {
        wallet.log(format_args!("requestMempoolTransactions failed: {e}"));
    }
}

/// Core's `ResubmitWalletTransactions`: each unconfirmed transaction (not
/// abandoned, conflicted or coinbase) goes to the node's mempool, oldest
/// first, and to peers as `broadcast` says. Unless `force`, only those
/// received more than five minutes before the tip last changed (the
/// periodic resend; at start-up everything goes, unrelayed, so that a
/// transaction stored but never accepted does not spend the wallet's coins
/// from nowhere for good).
pub fn resubmit(wallet: &Arc<Wallet>, broadcast: TxBroadcast, force: bool) {
    if !wallet.options.broadcast {
        return;
    }
    let best_block_time = wallet.best_block_time.load(Ordering::SeqCst);
    let mut state = wallet.lock();
    let ledger = &state.ledger;
    let unconfirmed: Vec<Transaction> = ledger
        .ordered()
        .filter(|e| e.is_unconfirmed() && !e.tx().is_coinbase() && ledger.depth(e) == 0)
        .filter(|e| force || i64::from(e.record.time_received) <= best_block_time - 5 * 60)
        .map(|e| e.tx().clone())
        .collect();
    let mut submitted = 0;
    for tx in &unconfirmed {
        if wallet.submit_to_mempool(&mut state, tx, broadcast).is_ok() {
            submitted += 1;
        }
    }
    if submitted > 0 {
        wallet.log(format_args!(
            "ResubmitWalletTransactions: resubmit {submitted} unconfirmed transactions"
        ));
    }
}

/// Core's `GetDefaultNextResend`: 12 to 36 hours from now.
pub fn default_next_resend() -> i64 {
    use rand::Rng;
    common::time::now_secs() + 12 * 3600 + rand::thread_rng().gen_range(0..24 * 3600)
}

/// Core's `MaybeResendWalletTxs`, run every minute: each wallet whose
/// random resend time has come relays its unconfirmed transactions again.
pub fn maybe_resend(wallets: &[Arc<Wallet>]) {
    for wallet in wallets {
        let now = common::time::now_secs();
        if !wallet.options.broadcast
            || !wallet.chain.is_ready_to_broadcast().unwrap_or(false)
            || now < wallet.next_resend.load(Ordering::SeqCst)
        {
            continue;
        }
        resubmit(wallet, TxBroadcast::MempoolAndBroadcastToAll, false);
        wallet
            .next_resend
            .store(default_next_resend(), Ordering::SeqCst);
    }
}

/// Rescans blocks from `start` (at `start_height`) to `max_height` or the
/// tip, taking the wallet lock per block (Core's `ScanForWalletTransactions`
/// for `rescanblockchain` and `importdescriptors`). A scan to the tip ends
/// with the mempool, so unconfirmed payments to newly imported scripts show.
pub fn scan(
    wallet: &Arc<Wallet>,
    start: BlockHash,
    start_height: i32,
    max_height: Option<i32>,
) -> ScanResult {
    let result = scan_blocks(wallet, None, start, start_height, max_height, false);
    if max_height.is_none() {
        wallet.log(format_args!("Scanning current mempool transactions."));
        request_mempool(wallet);
    }
    result
}

fn scan_locked(
    wallet: &Arc<Wallet>,
    state: &mut State,
    start: BlockHash,
    start_height: i32,
    max_height: Option<i32>,
    save_progress: bool,
) -> ScanResult {
    scan_blocks(
        wallet,
        Some(state),
        start,
        start_height,
        max_height,
        save_progress,
    )
}

/// How often a rescan asks the node whether it is shutting down. Each ask
/// is an IPC round trip; once per block it would double the rescan's calls
/// while a shutdown would be seen only a moment sooner.
const SHUTDOWN_POLL: Duration = Duration::from_millis(100);

/// Asks `shutdownRequested` at most every [`SHUTDOWN_POLL`] (first at once).
#[derive(Default)]
struct ShutdownPoll {
    last: Option<Instant>,
}

impl ShutdownPoll {
    fn requested(&mut self, chain: &dyn Chain) -> bool {
        if self.last.is_some_and(|t| t.elapsed() < SHUTDOWN_POLL) {
            return false;
        }
        self.last = Some(Instant::now());
        chain.shutdown_requested().unwrap_or(false)
    }
}

/// What the scan asks of each block: its data, whether it is still on the
/// active chain, its times (for the transactions' smart times) and its
/// active successor.
fn scan_want() -> FoundBlockParam {
    FoundBlockParam {
        want_data: true,
        want_in_active_chain: true,
        want_time: true,
        want_max_time: true,
        next_block: Some(Box::new(FoundBlockParam {
            want_hash: true,
            want_in_active_chain: true,
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// Reads ahead the blocks after `start_height` up to the wallet's last
/// block (or `max_height`), on the chain ending at the wallet's last block.
fn read_ahead_for(
    wallet: &Wallet,
    held: Option<&State>,
    start_height: i32,
    max_height: Option<i32>,
    want: &FoundBlockParam,
) -> Option<ReadAhead> {
    let last = match held {
        Some(s) => s.ledger.last_block(),
        None => wallet.lock().ledger.last_block(),
    };
    let (anchor, last_height) = last?;
    let end = max_height.map_or(last_height, |m| m.min(last_height));
    (end > start_height).then(|| {
        ReadAhead::new(
            wallet.chain.clone(),
            anchor,
            start_height.saturating_add(1),
            end,
            want,
        )
    })
}

/// The ledger's view during a scan: the scanned block's times come with
/// it, so a new transaction's smart time needs no extra call to the node.
struct ScanEnv<'a> {
    env: Env<'a>,
    block: BlockHash,
    times: (i64, i64),
}

impl LedgerEnv for ScanEnv<'_> {
    fn is_mine(&self, script: &bitcoin::Script) -> bool {
        self.env.is_mine(script)
    }

    fn block_times(&self, hash: &BlockHash) -> Option<(i64, i64)> {
        if *hash == self.block {
            return Some(self.times);
        }
        self.env.block_times(hash)
    }

    fn in_mempool(&self, txid: &bitcoin::Txid) -> bool {
        self.env.in_mempool(txid)
    }

    fn now(&self) -> i64 {
        self.env.now()
    }
}

/// Adds the wallet's transactions of one block (Core's `SyncTransaction`
/// with `rescanning_old_block`).
fn scan_block(
    state: &mut State,
    chain: &dyn Chain,
    found: &FoundBlockResult,
    block: &Block,
    hash: BlockHash,
    height: i32,
) {
    let State { ledger, keys, .. } = state;
    let env = ScanEnv {
        env: Env { keys, chain },
        block: hash,
        times: (found.time, found.max_time),
    };
    for (i, tx) in block.txdata.iter().enumerate() {
        let s = SyncState::Confirmed {
            block_hash: hash,
            height,
            index: i as i32,
        };
        ledger.sync_transaction(tx, s, true, &env);
    }
}

/// The rescan's progress as the GUI is told it (Core's `ShowProgress` in
/// `ScanForWalletTransactions`): 0 at the start, every 100th block the
/// share of the verification progress between the start and the end
/// block (1 to 99, only when the range has any), 100 at the end.
struct ScanProgress {
    title: String,
    begin: f64,
    end: f64,
    /// The end follows the wallet's tip (no end height was given).
    to_tip: bool,
}

impl ScanProgress {
    fn start(
        wallet: &Wallet,
        held: Option<&State>,
        start: BlockHash,
        max_height: Option<i32>,
    ) -> ScanProgress {
        let title = format!("[{}] Rescanning…", wallet.display_name());
        wallet.show_progress(&title, 0);
        wallet.set_scan_clock(Some((Instant::now(), 0.0)));
        let chain = &wallet.chain;
        let guess = |h: &BlockHash| chain.guess_verification_progress(h).unwrap_or(0.0);
        let tip = last_block(wallet, held).map(|(h, _)| h);
        let end_hash = match (tip, max_height) {
            (Some(tip), Some(m)) => {
                let want = FoundBlockParam {
                    want_hash: true,
                    ..Default::default()
                };
                match chain.find_ancestor_by_height(&tip, m, &want) {
                    Ok((found, true)) => found.hash.or(Some(tip)),
                    _ => Some(tip),
                }
            }
            (tip, _) => tip,
        };
        ScanProgress {
            title,
            begin: guess(&start),
            end: end_hash.as_ref().map_or(0.0, guess),
            to_tip: max_height.is_none(),
        }
    }

    /// Before scanning block `hash` at `height`.
    fn at(&mut self, wallet: &Wallet, held: Option<&State>, hash: BlockHash, height: i32) {
        if height % 100 != 0 {
            return;
        }
        let chain = &wallet.chain;
        if self.to_tip {
            // The tip may have moved since the scan began.
            if let Some((tip, _)) = last_block(wallet, held) {
                self.end = chain.guess_verification_progress(&tip).unwrap_or(self.end);
            }
        }
        if self.end - self.begin > 0.0 {
            let current = chain
                .guess_verification_progress(&hash)
                .unwrap_or(self.begin);
            let share = (current - self.begin) / (self.end - self.begin);
            wallet.show_progress(&self.title, ((share * 100.0) as i32).clamp(1, 99));
            wallet.set_scan_share(share.clamp(0.0, 1.0));
        }
    }

    fn done(&self, wallet: &Wallet) {
        wallet.show_progress(&self.title, 100);
        wallet.set_scan_clock(None);
    }
}

/// The wallet's last processed block, read from `held` when the caller
/// holds the lock.
fn last_block(wallet: &Wallet, held: Option<&State>) -> Option<(BlockHash, i32)> {
    match held {
        Some(s) => s.ledger.last_block(),
        None => wallet.lock().ledger.last_block(),
    }
}

fn scan_blocks(
    wallet: &Arc<Wallet>,
    mut held: Option<&mut State>,
    start: BlockHash,
    start_height: i32,
    max_height: Option<i32>,
    save_progress: bool,
) -> ScanResult {
    let started = Instant::now();
    let chain = &wallet.chain;
    let mut filter = chain
        .has_block_filter_index(BASIC_FILTER)
        .unwrap_or(false)
        .then(|| match held.as_deref() {
            Some(s) => FastRescanFilter::new(&s.keys),
            None => FastRescanFilter::new(&wallet.lock().keys),
        });
    let variant = if filter.is_some() {
        "fast variant using block filters"
    } else {
        "slow variant inspecting all blocks"
    };
    wallet.log(format_args!(
        "Rescan started from block {start}... ({variant})"
    ));
    wallet.abort_rescan.store(false, Ordering::SeqCst);
    let mut progress = ScanProgress::start(wallet, held.as_deref(), start, max_height);
    let mut result = ScanResult {
        status: ScanStatus::Success,
        last_scanned: None,
        last_failed: None,
    };
    let mut hash = start;
    let mut height = start_height;
    let mut last_progress_save = Instant::now();
    let full_want = scan_want();
    // A fast rescan reads ahead only what it needs of every block (where
    // the chain goes on, the block's times) and reads the data of the
    // blocks whose filter matches on its own.
    let want = if filter.is_some() {
        FoundBlockParam {
            want_data: false,
            ..scan_want()
        }
    } else {
        scan_want()
    };
    let mut read_ahead = read_ahead_for(wallet, held.as_deref(), start_height, max_height, &want);
    let mut shutdown = ShutdownPoll::default();
    loop {
        progress.at(wallet, held.as_deref(), hash, height);
        if wallet.abort_rescan.load(Ordering::SeqCst) || shutdown.requested(&**chain) {
            result.status = ScanStatus::UserAbort;
            wallet.log(format_args!("Rescan aborted at block {height}."));
            break;
        }
        let fetch_block = match filter.as_mut() {
            Some(filter) => fast_rescan_wants(wallet, held.as_deref(), filter, hash, height),
            None => true,
        };
        let read = read_ahead.as_mut().and_then(|r| r.take(height, &hash));
        let found = match read {
            Some(f) if !fetch_block || f.0.data.is_some() => Ok(f),
            _ if fetch_block => chain.find_block(&hash, &full_want),
            _ => chain.find_block(&hash, &want),
        };
        let (found, ok) = match found {
            Ok(f) => f,
            Err(_) => {
                result.status = ScanStatus::Failure;
                result.last_failed = Some(hash);
                break;
            }
        };
        match (&found.data, ok) {
            (_, true) if !fetch_block => {
                // The filter rules the block out: it counts as scanned.
                result.last_scanned = Some((hash, height));
            }
            (Some(block), true) => {
                if !found.in_active_chain {
                    result.last_failed = Some(hash);
                    result.status = ScanStatus::Failure;
                    break;
                }
                let mut guard;
                let state: &mut State = match held.as_deref_mut() {
                    Some(s) => s,
                    None => {
                        guard = wallet.lock();
                        &mut guard
                    }
                };
                scan_block(state, &**chain, &found, block, hash, height);
                result.last_scanned = Some((hash, height));
                if let Err(e) = wallet.commit(state, Writes::default()) {
                    wallet.log(format_args!("Rescan could not write: {e}"));
                    result.status = ScanStatus::Failure;
                    break;
                }
                if save_progress && last_progress_save.elapsed().as_secs() >= 60 {
                    if let Some(l) = wallet.locator_of(&hash) {
                        wallet.log(format_args!("Saving scan progress {height}."));
                        let _ = state.db.write_best_block(&l);
                    }
                    last_progress_save = Instant::now();
                }
            }
            _ => {
                result.last_failed = Some(hash);
                result.status = ScanStatus::Failure;
            }
        }
        if max_height.is_some_and(|m| height >= m) {
            break;
        }
        let last_height = match held.as_deref() {
            Some(s) => s.ledger.last_height(),
            None => wallet.lock().ledger.last_height(),
        };
        if height >= last_height {
            break;
        }
        match found.next_block.as_deref() {
            Some(next) if next.in_active_chain => match next.hash {
                Some(h) => {
                    hash = h;
                    height += 1;
                }
                None => break,
            },
            _ => break,
        }
    }
    progress.done(wallet);
    if result.status == ScanStatus::Success {
        wallet.log(format_args!(
            "Rescan completed in {:>15}ms",
            started.elapsed().as_millis()
        ));
    }
    result
}

/// Whether a fast rescan must read block `hash` at `height`: its filter
/// matches the wallet's scripts (topped up first, as the previous block
/// may have used the end of a range), or the node has no filter for it.
fn fast_rescan_wants(
    wallet: &Wallet,
    held: Option<&State>,
    filter: &mut FastRescanFilter,
    hash: BlockHash,
    height: i32,
) -> bool {
    match held {
        Some(s) => filter.update_if_needed(&s.keys),
        None => filter.update_if_needed(&wallet.lock().keys),
    }
    let matched = wallet
        .chain
        .block_filter_matches_any(BASIC_FILTER, &hash, filter.elements());
    match matched {
        Ok(Some(false)) => false,
        Ok(Some(true)) => {
            tracing::debug!(
                target: "scan",
                "Fast rescan: inspect block {height} [{hash}] (filter matched)"
            );
            true
        }
        // A failed call is treated like a missing filter: reading the
        // block is always correct, only slower.
        Ok(None) | Err(_) => {
            tracing::debug!(
                target: "scan",
                "Fast rescan: inspect block {height} [{hash}] (WARNING: block filter not found!)"
            );
            true
        }
    }
}

impl Wallet {
    /// Waits until the node has delivered the notifications it has queued
    /// (Core's `BlockUntilSyncedToCurrentChain`), so a call right after a
    /// block sees it. Never under the wallet lock.
    ///
    /// Core waits only when the tip moved since the wallet's last block.
    /// Here mempool notifications cross a process boundary and every
    /// wallet writes each one durably before the next is sent, which takes
    /// long enough that a client's next call (a balance right after a
    /// payment from another wallet) would miss it. Asking with a tip that
    /// never matches waits for the whole queue, mempool events included.
    pub fn block_until_synced(&self) {
        let _ = self
            .chain
            .wait_for_notifications_if_tip_changed(&BlockHash::all_zeros());
    }
}
