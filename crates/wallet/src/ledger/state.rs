//! Where a wallet transaction stands (Core's `TxState`): in memory with the
//! block heights the stored form leaves out.

use crate::db::records::TxState as StoredState;
use bitcoin::BlockHash;

/// A wallet transaction's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    /// In the active chain: block, its height, position in the block.
    Confirmed {
        /// The block.
        block_hash: BlockHash,
        /// Its height.
        height: i32,
        /// Position in the block.
        index: i32,
    },
    /// In the node's mempool.
    InMempool,
    /// Conflicts with a transaction in the active chain.
    BlockConflicted {
        /// The block holding the conflicting transaction.
        block_hash: BlockHash,
        /// Its height.
        height: i32,
    },
    /// Neither: unconfirmed and not in the mempool, or abandoned by the user.
    Inactive {
        /// Abandoned (never rebroadcast, outputs not counted).
        abandoned: bool,
    },
    /// A stored state Core does not recognise, kept to be written back.
    Unrecognized {
        /// Stored block hash.
        block_hash: [u8; 32],
        /// Stored index.
        index: i32,
    },
}

/// How the wallet learnt of a transaction (Core's `SyncTxState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// In a connected block.
    Confirmed {
        /// The block.
        block_hash: BlockHash,
        /// Its height.
        height: i32,
        /// Position in the block.
        index: i32,
    },
    /// Entered the mempool.
    InMempool,
    /// Left a disconnected block or the mempool by conflict.
    Inactive {
        /// Abandoned (the coinbase of a disconnected block).
        abandoned: bool,
    },
}

impl From<SyncState> for TxState {
    fn from(s: SyncState) -> Self {
        match s {
            SyncState::Confirmed {
                block_hash,
                height,
                index,
            } => TxState::Confirmed {
                block_hash,
                height,
                index,
            },
            SyncState::InMempool => TxState::InMempool,
            SyncState::Inactive { abandoned } => TxState::Inactive { abandoned },
        }
    }
}

impl TxState {
    /// The state read from disk; `height_of` finds a block's height in the
    /// active chain (`None` when it is not there any more: the transaction
    /// was reorganised out while the wallet was away, Core's `updateState`).
    pub fn from_stored(stored: StoredState, height_of: impl Fn(&BlockHash) -> Option<i32>) -> Self {
        match stored {
            StoredState::Confirmed { block_hash, index } => match height_of(&block_hash) {
                Some(height) => TxState::Confirmed {
                    block_hash,
                    height,
                    index,
                },
                None => TxState::Inactive { abandoned: false },
            },
            StoredState::Conflicted { block_hash } => match height_of(&block_hash) {
                Some(height) => TxState::BlockConflicted { block_hash, height },
                None => TxState::Inactive { abandoned: false },
            },
            StoredState::Inactive => TxState::Inactive { abandoned: false },
            StoredState::Abandoned => TxState::Inactive { abandoned: true },
            StoredState::Unrecognized { block_hash, index } => {
                TxState::Unrecognized { block_hash, index }
            }
        }
    }

    /// The form stored in `wallet.dat` (the mempool is not remembered).
    pub fn to_stored(self) -> StoredState {
        match self {
            TxState::Confirmed {
                block_hash, index, ..
            } => StoredState::Confirmed { block_hash, index },
            TxState::InMempool | TxState::Inactive { abandoned: false } => StoredState::Inactive,
            TxState::Inactive { abandoned: true } => StoredState::Abandoned,
            TxState::BlockConflicted { block_hash, .. } => StoredState::Conflicted { block_hash },
            TxState::Unrecognized { block_hash, index } => {
                StoredState::Unrecognized { block_hash, index }
            }
        }
    }

    /// Core's variant index: a change of kind is an update worth writing.
    pub fn kind(self) -> u8 {
        match self {
            TxState::Confirmed { .. } => 0,
            TxState::InMempool => 1,
            TxState::BlockConflicted { .. } => 2,
            TxState::Inactive { .. } => 3,
            TxState::Unrecognized { .. } => 4,
        }
    }

    /// Core's text for the log (`TxStateString`).
    pub fn describe(self) -> String {
        match self {
            TxState::Confirmed {
                block_hash,
                height,
                index,
            } => format!("Confirmed (block={block_hash}, height={height}, index={index})"),
            TxState::InMempool => "InMempool".into(),
            TxState::BlockConflicted { block_hash, height } => {
                format!("Conflicted (block={block_hash}, height={height})")
            }
            TxState::Inactive { abandoned } => format!("Inactive (abandoned={abandoned})"),
            TxState::Unrecognized { index, .. } => format!("Unrecognized (index={index})"),
        }
    }

    /// In a block of the active chain.
    pub fn is_confirmed(self) -> bool {
        matches!(self, TxState::Confirmed { .. })
    }

    /// Conflicted by a block.
    pub fn is_block_conflicted(self) -> bool {
        matches!(self, TxState::BlockConflicted { .. })
    }

    /// Abandoned by the user.
    pub fn is_abandoned(self) -> bool {
        matches!(self, TxState::Inactive { abandoned: true })
    }

    /// In the mempool.
    pub fn in_mempool(self) -> bool {
        matches!(self, TxState::InMempool)
    }

    /// Inactive (abandoned or not).
    pub fn is_inactive(self) -> bool {
        matches!(self, TxState::Inactive { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn stored_states_round_trip_and_lose_only_what_core_loses() {
        let h = BlockHash::from_byte_array([7; 32]);
        let at = |_: &BlockHash| Some(12);
        let gone = |_: &BlockHash| None;
        let confirmed = TxState::Confirmed {
            block_hash: h,
            height: 12,
            index: 3,
        };
        assert_eq!(TxState::from_stored(confirmed.to_stored(), at), confirmed);
        // Reorganised out while away: unconfirmed again.
        assert_eq!(
            TxState::from_stored(confirmed.to_stored(), gone),
            TxState::Inactive { abandoned: false }
        );
        let conflicted = TxState::BlockConflicted {
            block_hash: h,
            height: 12,
        };
        assert_eq!(TxState::from_stored(conflicted.to_stored(), at), conflicted);
        // The mempool is not stored.
        assert_eq!(
            TxState::from_stored(TxState::InMempool.to_stored(), at),
            TxState::Inactive { abandoned: false }
        );
        let abandoned = TxState::Inactive { abandoned: true };
        assert_eq!(TxState::from_stored(abandoned.to_stored(), at), abandoned);
    }
}
