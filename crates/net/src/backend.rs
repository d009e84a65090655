//! What the P2P layer needs from the rest of the node.
//!
//! `net` knows nothing about validation, storage or the mempool: it asks a
//! [`NodeBackend`] and is told about changes through [`crate::NetHandle`]. The node
//! implements the trait on its chainstate and mempool; tests implement it on an
//! in-memory fake. Keeping the seam this narrow means a change to P2P never
//! rebuilds validation, and P2P behaviour can be tested without a chainstate.

use bitcoin::block::Header;
use bitcoin::{Block, BlockHash, Transaction, Txid, Wtxid};

/// Why the backend refused headers, a block or a transaction. The text is Core's
/// reject reason (e.g. `bad-diffbits`, `txn-mempool-conflict`), used in log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Core's reject reason string.
    pub reason: String,
    /// Whether the peer that sent the data should be punished (disconnected).
    /// False for data that is merely unwanted (e.g. a transaction below the fee
    /// floor, a block we already have, missing transaction inputs).
    pub punish: bool,
    /// Punish only peers we connected to: Core's treatment of a block already
    /// known invalid, which an inbound peer may innocently relay.
    pub outbound_only: bool,
    /// The refusal holds for every copy with this id, so it may be remembered
    /// (and orphans spending it dropped). False for a transaction refused for
    /// its missing witness: a complete copy has the same txid.
    pub lasting: bool,
    /// The refusal does not depend on the witness (non-standard inputs), so
    /// the txid may be remembered too, not only the wtxid.
    pub witness_irrelevant: bool,
    /// A block refused for its transactions (or known invalid before): a
    /// peer relaying it as a compact block is spared, since BIP152 lets
    /// peers relay those before checking more than the header.
    pub spare_compact_relay: bool,
    /// A transaction refused only for its feerate (Core's
    /// `TX_RECONSIDERABLE`): not taken alone again, but it may get in with a
    /// child paying for it (1p1c package relay).
    pub reconsiderable: bool,
}

impl Rejected {
    /// A rejection that is the sender's fault (invalid data).
    pub fn invalid(reason: impl Into<String>) -> Self {
        Rejected {
            reason: reason.into(),
            punish: true,
            outbound_only: false,
            lasting: true,
            witness_irrelevant: false,
            spare_compact_relay: false,
            reconsiderable: false,
        }
    }

    /// A rejection that blames the sender only if we connected to it.
    pub fn invalid_from_outbound(reason: impl Into<String>) -> Self {
        Rejected {
            reason: reason.into(),
            punish: true,
            outbound_only: true,
            lasting: true,
            witness_irrelevant: false,
            spare_compact_relay: true,
            reconsiderable: false,
        }
    }

    /// A rejection that does not blame the sender (policy, duplicates, orphans).
    pub fn benign(reason: impl Into<String>) -> Self {
        Rejected {
            reason: reason.into(),
            punish: false,
            outbound_only: false,
            lasting: true,
            witness_irrelevant: false,
            spare_compact_relay: false,
            reconsiderable: false,
        }
    }

    /// A block refused for its transactions, not its header.
    pub fn invalid_content(reason: impl Into<String>) -> Self {
        Rejected {
            spare_compact_relay: true,
            ..Rejected::invalid(reason)
        }
    }

    /// A transaction refused for what its inputs spend, whatever its witness.
    pub fn inputs_not_standard(reason: impl Into<String>) -> Self {
        Rejected {
            witness_irrelevant: true,
            ..Rejected::benign(reason)
        }
    }

    /// A transaction refused for its feerate alone, which a child may make up.
    pub fn reconsiderable(reason: impl Into<String>) -> Self {
        Rejected {
            reconsiderable: true,
            ..Rejected::benign(reason)
        }
    }

    /// A transaction refused only for lacking its witness.
    pub fn witness_stripped(reason: impl Into<String>) -> Self {
        Rejected {
            lasting: false,
            ..Rejected::benign(reason)
        }
    }
}

/// Result of handing a block to the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockAccepted {
    /// The block was stored (it may or may not have become the tip; tip changes
    /// are reported separately through [`crate::NetHandle::block_tip_changed`]).
    New,
    /// The block was already known with its data; nothing changed.
    Duplicate,
}

/// What handing a block to the backend did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockProcessed {
    /// The outcome for the block itself.
    pub result: Result<BlockAccepted, Rejected>,
    /// Stored blocks (this one or earlier ones) whose connection was tried
    /// while activating the best chain, with the failure for those found
    /// invalid: a block may turn out invalid only once a later block makes
    /// its branch the best, and its sender is to blame (Core's `BlockChecked`).
    pub checked: Vec<(BlockHash, Result<(), Rejected>)>,
}

impl From<Result<BlockAccepted, Rejected>> for BlockProcessed {
    fn from(result: Result<BlockAccepted, Rejected>) -> Self {
        BlockProcessed {
            result,
            checked: Vec::new(),
        }
    }
}

/// What validating a package did (Core's `PackageMempoolAcceptResult`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PackageAccepted {
    /// The package as a whole was refused (some member failed).
    pub refused: bool,
    /// Each member's outcome, in package order; `None` when the member was
    /// not judged (the package failed before reaching it) or was already in
    /// the mempool.
    pub results: Vec<Option<Result<(), Rejected>>>,
    /// The package-wide reason, for the log.
    pub reason: String,
}

/// A transaction identifier as peers use them in `inv`/`getdata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxRef {
    /// Legacy txid (`MSG_TX`, `MSG_WITNESS_TX`).
    Txid(Txid),
    /// Witness txid (`MSG_WTX`, BIP339).
    Wtxid(Wtxid),
}

/// What the `feefilter` we send is built from, in sat/kvB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeFloor {
    /// The mempool's rolling minimum fee (Core's `GetMinFee`; 0 when never full).
    pub mempool_min: i64,
    /// `-minrelaytxfee`: the filter never goes below it.
    pub min_relay: i64,
    /// Initial block download: ask peers for no transactions at all.
    pub initial_download: bool,
}

/// The node as the P2P layer sees it: chain, block storage and mempool.
///
/// Methods are synchronous and may block (they run on the message-handler thread,
/// never on the network runtime). They take `&self`, so the implementation does its
/// own locking. Every method must tolerate arbitrary peer-supplied hashes and data:
/// answer "unknown" or `Err(Rejected)`, never panic.
pub trait NodeBackend: Send + Sync {
    /// Whether the node can serve every block (`NODE_NETWORK`): not while
    /// pruning, nor while a loaded UTXO snapshot awaits background validation.
    fn serves_full_history(&self) -> bool {
        true
    }

    /// Whether the node is still catching up (Core's `IsInitialBlockDownload`):
    /// it then fetches blocks only from full-history peers, and neither
    /// fetches announced transactions nor validates unsolicited ones.
    fn is_initial_block_download(&self) -> bool {
        false
    }

    /// Height and hash of the active chain's tip.
    fn tip(&self) -> (u32, BlockHash);

    /// A block locator (hashes from `from` back to genesis, dense then
    /// exponentially sparse). `None` means the best header the node knows (which
    /// may be ahead of the tip). Used for our `getheaders` requests.
    fn block_locator(&self, from: Option<BlockHash>) -> Vec<BlockHash>;

    /// Height of a header the node knows (on any branch, including the active
    /// chain), or `None` if unknown.
    fn header_height(&self, hash: &BlockHash) -> Option<u32>;

    /// The header with this hash, if known.
    fn header(&self, hash: &BlockHash) -> Option<Header>;

    /// Answer to a peer's `getheaders`: headers of the active chain following the
    /// first locator hash that is on the active chain (genesis if none is), up to
    /// and including `stop` (all-zero: no stop), at most `max` of them. With an
    /// empty locator, only the header of `stop` (if known).
    fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header>;

    /// Whether the node has the full data of this block.
    fn has_block(&self, hash: &BlockHash) -> bool;

    /// The block with witness data, serialized as on the wire, if stored.
    fn block_bytes(&self, hash: &BlockHash) -> Option<Vec<u8>>;

    /// Validates and stores a batch of headers, each connecting to the previous
    /// one; the first one's parent is a known header (the caller checks both).
    fn process_headers(&self, headers: &[Header]) -> Result<(), Rejected>;

    /// Whether segwit rules apply to the block at `height`, so only peers
    /// serving witnesses can provide it.
    fn segwit_active_at(&self, height: u32) -> bool {
        let _ = height;
        false
    }

    /// Whether a chain ending in `headers` (connected to a known header)
    /// claims enough work to be worth storing (Core's anti-DoS threshold), or
    /// is already part of our best header chain or active chain.
    fn headers_claim_enough_work(&self, headers: &[Header]) -> bool {
        let _ = headers;
        true
    }

    /// Hashes of blocks to download so that the chain ending at `target` (a known
    /// header) can be connected: the ancestors of `target` (and `target` itself)
    /// above its fork point with the active chain whose data the node lacks and
    /// which are not known invalid, lowest first, at most `max`. Empty when the
    /// chain ending at `target` has less work than the active chain (Core does
    /// not download such branches; equal work is downloaded).
    fn blocks_to_download(&self, target: &BlockHash, max: usize) -> Vec<BlockHash>;

    /// Validates and stores a block, connecting it (and any stored descendants) if
    /// it leads to the most-work chain. `requested`: we asked a peer for it, so
    /// it is stored even when it does not beat the tip (Core's
    /// `force_processing`); unrequested blocks are stored only when they could.
    fn process_block(&self, block: Block, requested: bool) -> BlockProcessed;

    /// Whether the mempool holds (or the node recently confirmed) this transaction,
    /// so it need not be downloaded.
    fn have_transaction(&self, id: &TxRef) -> bool;

    /// Every mempool transaction with its wtxid, for rebuilding compact
    /// blocks. The default is an empty mempool.
    fn compact_block_candidates(&self) -> Vec<(Wtxid, std::sync::Arc<Transaction>)> {
        Vec::new()
    }

    /// Whether the chain ending at the known header `hash` has more work than
    /// the active chain. The default compares heights.
    fn more_work_than_tip(&self, hash: &BlockHash) -> bool {
        self.header_height(hash).is_some_and(|h| h > self.tip().0)
    }

    /// Inputs of the `feefilter` we send. The default is an empty mempool with
    /// Core's default relay fee, out of IBD.
    fn fee_filter_floor(&self) -> FeeFloor {
        FeeFloor {
            mempool_min: 0,
            min_relay: 100,
            initial_download: false,
        }
    }

    /// Base fee (satoshis) and virtual size of a mempool transaction, to honour
    /// a peer's `feefilter` when announcing it. `None`: not in the mempool.
    fn mempool_fee(&self, id: &TxRef) -> Option<(i64, u64)> {
        let _ = id;
        None
    }

    /// A mempool transaction, for answering `getdata`.
    fn mempool_transaction(&self, id: &TxRef) -> Option<Transaction>;

    /// A peer was sent mempool transaction `txid` in answer to its `getdata`:
    /// the initial broadcast of a local transaction succeeded, so it need not
    /// be announced again (Core's `RemoveUnbroadcastTx`).
    fn transaction_sent(&self, _txid: &Txid) {}

    /// Validates a transaction and adds it to the mempool. On `Ok` the P2P layer
    /// relays it to its other peers itself; a refusal never punishes the sender.
    fn accept_transaction(&self, tx: Transaction) -> Result<(), Rejected>;

    /// Validates a child with its parents as one package (Core's
    /// `ProcessNewPackage`), so the child's fee can pay for a parent refused
    /// alone for its feerate. Accepted members are relayed by the P2P layer.
    /// A backend without package validation judges each member alone.
    fn accept_package(&self, txs: Vec<Transaction>) -> PackageAccepted {
        let results: Vec<_> = txs
            .into_iter()
            .map(|tx| Some(self.accept_transaction(tx)))
            .collect();
        let failed = results.iter().flatten().find_map(|r| r.clone().err());
        PackageAccepted {
            refused: failed.is_some(),
            reason: failed.map(|r| r.reason).unwrap_or_default(),
            results,
        }
    }
}
