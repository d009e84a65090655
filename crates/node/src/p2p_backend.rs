//! The two directions between the P2P layer and the shared chainstate and
//! mempool: the P2P layer's view of this node ([`net::NodeBackend`]) and the
//! chainstate's view of the P2P layer ([`chainstate_service::Peers`]).

use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Transaction};
use blockstore::status;
use chain::{BlockId, ChainError, ChainListener, Chainstate};
use consensus::{BlockResult, ValidationError};
use mempool::PackageTxResult;
use net::{BlockAccepted, BlockProcessed, NodeBackend, PackageAccepted, Rejected, TxRef};

use chainstate_service::{ChainView, NodeChain, Peers};

/// Backend of the P2P layer on the node's chainstate.
pub struct ChainBackend {
    chain: Arc<NodeChain>,
}

impl ChainBackend {
    /// A backend over `chain`.
    pub fn new(chain: Arc<NodeChain>) -> Self {
        ChainBackend { chain }
    }
}

/// The running P2P layer as the chainstate's [`Peers`].
pub struct P2pPeers(pub net::NetHandle);

impl Peers for P2pPeers {
    fn block_tip_changed(&self, tip: BlockHash) {
        self.0.block_tip_changed(tip);
    }

    fn relay_transaction(&self, txid: bitcoin::Txid, wtxid: bitcoin::Wtxid) {
        self.0.relay_transaction(txid, wtxid);
    }

    fn connection_count(&self) -> usize {
        let (inbound, outbound) = self.0.connection_counts();
        inbound + outbound
    }

    fn fetch_block(&self, id: i64, hash: BlockHash) -> Result<(), String> {
        self.0.fetch_block(id, hash)
    }
}

fn rejected(e: ChainError) -> Rejected {
    match e {
        ChainError::Invalid(v) => rejected_block(&v),
        other => Rejected::benign(other.to_string()),
    }
}

/// How the P2P layer treats a refused transaction (Core's
/// `TxValidationResult` as `ProcessInvalidTx` reads it).
fn rejected_tx(e: &ValidationError) -> Rejected {
    let reason = e.reason.clone();
    match e.tx_result() {
        Some(consensus::TxResult::Consensus) => Rejected::invalid(reason),
        Some(consensus::TxResult::InputsNotStandard) => Rejected::inputs_not_standard(reason),
        Some(consensus::TxResult::WitnessStripped) => Rejected::witness_stripped(reason),
        Some(consensus::TxResult::Reconsiderable) => Rejected::reconsiderable(reason),
        _ => Rejected::benign(reason),
    }
}

/// Whom an invalid block blames, as Core's `MaybePunishNodeForBlock`.
fn rejected_block(v: &ValidationError) -> Rejected {
    match v.block_result() {
        Some(BlockResult::Consensus | BlockResult::Mutated) => {
            Rejected::invalid_content(v.reason.clone())
        }
        Some(BlockResult::InvalidHeader | BlockResult::InvalidPrev | BlockResult::MissingPrev) => {
            Rejected::invalid(v.reason.clone())
        }
        Some(BlockResult::CachedInvalid) => Rejected::invalid_from_outbound(v.reason.clone()),
        Some(BlockResult::TimeFuture | BlockResult::HeaderLowWork) | None => {
            Rejected::benign(v.reason.clone())
        }
    }
}

/// Core's anti-DoS test for a block from a peer: the chain it claims must
/// have at least the minimum chain work and no less than the tip's work
/// minus 144 blocks' worth, so forks near the tip are still taken.
fn claims_enough_work(cs: &Chainstate, header: &Header) -> bool {
    claims_enough_work_for(cs, std::slice::from_ref(header))
}

/// [`claims_enough_work`] for a run of headers, each on the one before.
fn claims_enough_work_for(cs: &Chainstate, headers: &[Header]) -> bool {
    let Some(prev) = headers
        .first()
        .and_then(|h| cs.index().get(&h.prev_blockhash))
    else {
        return false;
    };
    let claimed = headers
        .iter()
        .fold(prev.chain_work, |acc, h| acc + h.work());
    let mut threshold = cs.params().minimum_chain_work;
    if let Some(tip) = cs.tip_entry() {
        let proof = tip.header.work();
        let buffer = (1..144).fold(proof, |acc, _| acc + proof);
        if tip.chain_work > buffer {
            threshold = threshold.max(tip.chain_work - buffer);
        }
    }
    claimed >= threshold
}

/// Passes chain events on to the mempool and notes which blocks connecting
/// the best chain checked, and how.
struct CheckedBlocks<'a> {
    inner: &'a mut dyn ChainListener,
    checked: Vec<(BlockHash, Result<(), Rejected>)>,
}

impl ChainListener for CheckedBlocks<'_> {
    fn block_connected(&mut self, block: &Block, height: u32) {
        self.checked.push((block.block_hash(), Ok(())));
        self.inner.block_connected(block, height);
    }
    fn block_disconnected(&mut self, block: &Block, height: u32) {
        self.inner.block_disconnected(block, height);
    }
    fn block_disconnected_deep(&mut self, block: &Block, height: u32) {
        self.inner.block_disconnected_deep(block, height);
    }
    fn block_invalid(&mut self, hash: BlockHash, error: &ValidationError) {
        self.checked.push((hash, Err(rejected_block(error))));
        self.inner.block_invalid(hash, error);
    }
}

impl NodeBackend for ChainBackend {
    fn is_initial_block_download(&self) -> bool {
        self.chain.lock().is_initial_block_download()
    }

    fn serves_full_history(&self) -> bool {
        self.chain.prune_target().is_none()
            && self.chain.lock().unvalidated_snapshot_base().is_none()
    }

    fn tip(&self) -> (u32, BlockHash) {
        ChainView::tip(self.chain.as_ref())
    }

    fn block_locator(&self, from: Option<BlockHash>) -> Vec<BlockHash> {
        let cs = self.chain.lock();
        let id = match from {
            Some(h) => cs.index().id(&h),
            None => cs.best_header().or(cs.tip()),
        };
        id.map(|id| cs.locator(id)).unwrap_or_default()
    }

    fn header_height(&self, hash: &BlockHash) -> Option<u32> {
        self.chain.lock().index().get(hash).map(|e| e.height)
    }

    fn header(&self, hash: &BlockHash) -> Option<Header> {
        self.chain.lock().index().get(hash).map(|e| e.header)
    }

    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header> {
        let cs = self.chain.lock();
        if locator.is_empty() {
            // Only blocks we would serve: on the active chain or fully
            // validated, never a bare header a peer just sent (as Core).
            let Some(id) = cs.index().id(stop) else {
                return Vec::new();
            };
            return cs
                .index()
                .entry(id)
                .filter(|e| {
                    cs.is_active(id)
                        || (e.status & blockstore::status::FAILED_MASK == 0
                            && e.status & blockstore::status::VALID_MASK
                                >= blockstore::status::VALID_SCRIPTS)
                })
                .map(|e| vec![e.header])
                .unwrap_or_default();
        }
        let start = locator
            .iter()
            .filter_map(|h| cs.index().id(h))
            .find(|id| cs.is_active(*id))
            .and_then(|id| cs.index().entry(id))
            .map_or(0, |e| e.height);
        let mut out = Vec::new();
        let mut h = start + 1;
        while out.len() < max {
            let Some(e) = cs.at_height(h).and_then(|id| cs.index().entry(id)) else {
                break;
            };
            out.push(e.header);
            if e.hash == *stop && *stop != BlockHash::all_zeros() {
                break;
            }
            h += 1;
        }
        out
    }

    fn has_block(&self, hash: &BlockHash) -> bool {
        self.chain
            .lock()
            .index()
            .get(hash)
            .is_some_and(|e| e.status & status::HAVE_DATA != 0)
    }

    fn block_bytes(&self, hash: &BlockHash) -> Option<Vec<u8>> {
        let cs = self.chain.lock();
        let id = cs.index().id(hash)?;
        cs.read_raw_block(id).ok()
    }

    fn process_headers(&self, headers: &[Header]) -> Result<(), Rejected> {
        self.chain
            .with(|cs| cs.process_new_headers(headers))
            .map(|_| ())
            .map_err(rejected)
    }

    fn blocks_to_download(&self, target: &BlockHash, max: usize) -> Vec<BlockHash> {
        let cs = self.chain.lock();
        let (Some(t), Some(tip)) = (cs.index().id(target), cs.tip()) else {
            return Vec::new();
        };
        let (Some(te), Some(tipe)) = (cs.index().entry(t), cs.index().entry(tip)) else {
            return Vec::new();
        };
        if te.chain_work < tipe.chain_work || te.status & status::FAILED_MASK != 0 {
            return Vec::new();
        }
        let Some(fork) = cs.index().last_common_ancestor(t, tip) else {
            return Vec::new();
        };
        let fork_h = cs.index().entry(fork).map_or(0, |e| e.height);
        let mut out = Vec::new();
        for h in fork_h + 1..=te.height {
            if out.len() >= max {
                break;
            }
            let Some(e) = cs
                .index()
                .ancestor_id(t, h)
                .and_then(|id| cs.index().entry(id))
            else {
                break;
            };
            if e.status & status::FAILED_MASK != 0 {
                break;
            }
            if e.status & status::HAVE_DATA == 0 {
                out.push(e.hash);
            }
        }
        // Behind a UTXO snapshot: the blocks the background chainstate
        // still needs (Core's `TryDownloadingHistoricalBlocks`).
        if out.len() < max {
            let more = cs.background_blocks_to_download(t, max - out.len());
            out.extend(more);
        }
        out
    }

    fn segwit_active_at(&self, height: u32) -> bool {
        height >= self.chain.lock().params().segwit_height
    }

    fn headers_claim_enough_work(&self, headers: &[Header]) -> bool {
        let cs = self.chain.lock();
        // Headers we already hold on our best chains cost nothing more.
        let known = headers
            .last()
            .and_then(|h| cs.index().id(&h.block_hash()))
            .and_then(|id| cs.index().entry(id).map(|e| (id, e.height)));
        if let Some((id, height)) = known {
            let on = |top: Option<BlockId>| {
                top.and_then(|t| cs.index().ancestor_id(t, height)) == Some(id)
            };
            if on(cs.best_header()) || on(cs.tip()) {
                return true;
            }
        }
        claims_enough_work_for(&cs, headers)
    }

    fn process_block(&self, block: Block, requested: bool) -> BlockProcessed {
        let (outcome, checked) = self.chain.with_pool(|cs, pool| {
            let min_pow_checked = claims_enough_work(cs, &block.header);
            let mut listener = CheckedBlocks {
                inner: pool,
                checked: Vec::new(),
            };
            let outcome = cs.process_block_from_peer(
                Arc::new(block),
                requested,
                min_pow_checked,
                &mut listener,
            );
            (outcome, listener.checked)
        });
        let result = match outcome {
            Ok(p) if p.new_block => Ok(BlockAccepted::New),
            Ok(_) => Ok(BlockAccepted::Duplicate),
            Err(e) => Err(rejected(e)),
        };
        BlockProcessed { result, checked }
    }

    fn have_transaction(&self, id: &TxRef) -> bool {
        let pool = self.chain.pool();
        match id {
            TxRef::Txid(t) => pool.get(t).is_some(),
            TxRef::Wtxid(w) => pool.get_by_wtxid(w).is_some(),
        }
    }

    fn fee_filter_floor(&self) -> net::FeeFloor {
        // Chain and pool are locked one after the other, never together.
        let initial_download = self.chain.lock().is_initial_block_download();
        let policy = self.chain.policy();
        let mempool_min = self.chain.pool().min_fee_per_kvb(policy);
        net::FeeFloor {
            mempool_min,
            min_relay: policy.min_relay_fee_per_kvb,
            initial_download,
        }
    }

    fn mempool_fee(&self, id: &TxRef) -> Option<(i64, u64)> {
        let pool = self.chain.pool();
        let e = match id {
            TxRef::Txid(t) => pool.get(t),
            TxRef::Wtxid(w) => pool.get_by_wtxid(w),
        };
        e.map(|e| (e.fee, e.vsize))
    }

    fn compact_block_candidates(&self) -> Vec<(bitcoin::Wtxid, Arc<Transaction>)> {
        self.chain
            .pool()
            .in_order()
            .map(|e| (e.wtxid, e.tx.clone()))
            .collect()
    }

    fn more_work_than_tip(&self, hash: &BlockHash) -> bool {
        let cs = self.chain.lock();
        match (cs.index().get(hash), cs.tip_entry()) {
            (Some(e), Some(tip)) => e.chain_work > tip.chain_work,
            _ => false,
        }
    }

    fn mempool_transaction(&self, id: &TxRef) -> Option<Transaction> {
        let pool = self.chain.pool();
        let e = match id {
            TxRef::Txid(t) => pool.get(t),
            TxRef::Wtxid(w) => pool.get_by_wtxid(w),
        };
        e.map(|e| (*e.tx).clone())
    }

    fn transaction_sent(&self, txid: &bitcoin::Txid) {
        self.chain.pool().remove_unbroadcast(txid, false);
    }

    fn accept_transaction(&self, tx: Transaction) -> Result<(), Rejected> {
        let cs = self.chain.lock();
        let mut pool = self.chain.pool();
        pool.accept(&cs, Arc::new(tx), self.chain.policy(), false)
            .map(|_| ())
            .map_err(|e| rejected_tx(&e))
    }

    fn accept_package(&self, txs: Vec<Transaction>) -> PackageAccepted {
        let txs: Vec<Arc<Transaction>> = txs.into_iter().map(Arc::new).collect();
        let cs = self.chain.lock();
        let mut pool = self.chain.pool();
        let outcome = pool.accept_package(&cs, &txs, self.chain.policy(), None);
        let results = txs
            .iter()
            .map(|tx| match outcome.results.get(&tx.compute_wtxid())? {
                PackageTxResult::Valid { .. } => Some(Ok(())),
                PackageTxResult::InMempool { .. } => None,
                PackageTxResult::DifferentWitness(_) => {
                    Some(Err(Rejected::benign("txn-same-nonwitness-data-in-mempool")))
                }
                PackageTxResult::Invalid(e) => Some(Err(rejected_tx(e))),
            })
            .collect();
        PackageAccepted {
            refused: outcome.error.is_some(),
            reason: outcome.error.unwrap_or_default(),
            results,
        }
    }
}
