//! `-coinstatsindex`: UTXO set statistics after every block (Core's
//! `CoinStatsIndex`), so `gettxoutsetinfo` answers for any block at once.
//!
//! Each record holds running totals since genesis and the MuHash state of
//! the UTXO set; a block's record is its parent's record plus the block's
//! new outputs minus the coins it spends (from its undo data). Unspendable
//! amounts are split as Core does: the genesis output, BIP30 duplicate
//! coinbases, unspendable scripts and subsidy the miner did not claim.

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint};
use chain::coinstats::{bogosize, txout_ser};
use chain::connect::is_unspendable;
use chain::muhash::MuHash3072;
use consensus::subsidy::get_block_subsidy;
use consensus::{Coin, Params};
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use crate::store::{IndexDb, IndexError, Result};
use crate::sync::{BlockData, IndexKind};

const STATS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("coinstats");

/// The two mainnet coinbases that duplicate earlier ones (BIP30) and so never
/// entered the UTXO set.
const BIP30_UNSPENDABLE: [(u32, &str); 2] = [
    (
        91722,
        "00000000000271a2dc26e7667f8419f2e15416dc6955e5a6c6cdf3f2574dd08e",
    ),
    (
        91812,
        "00000000000af0aed4792b1acee3d966af36cf5def14935db8de83d6f9306f2f",
    ),
];

fn is_bip30_unspendable(hash: &BlockHash, height: u32) -> bool {
    BIP30_UNSPENDABLE
        .iter()
        .any(|(h, hex)| *h == height && hash.to_string() == *hex)
}

/// UTXO set statistics at one block, with totals since genesis (amounts in satoshis).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CoinStatsRecord {
    /// Height of the block.
    pub height: u32,
    /// Unspent outputs.
    pub txouts: u64,
    /// Core's database-independent size metric.
    pub bogosize: u64,
    /// Sum of all unspent amounts.
    pub total_amount: i64,
    /// Sum of all block subsidies.
    pub total_subsidy: i64,
    /// Sum of all spent previous outputs.
    pub prevout_spent: i64,
    /// Sum of all new non-coinbase outputs.
    pub new_outputs_ex_coinbase: i64,
    /// Sum of all coinbase outputs.
    pub coinbase: i64,
    /// The genesis block's output.
    pub unspendable_genesis: i64,
    /// Duplicate coinbases (BIP30).
    pub unspendable_bip30: i64,
    /// Outputs with unspendable scripts.
    pub unspendable_scripts: i64,
    /// Subsidy and fees miners did not claim.
    pub unspendable_unclaimed: i64,
    /// The MuHash accumulator state of the UTXO set.
    state: Vec<u8>,
}

impl CoinStatsRecord {
    /// The MuHash of the UTXO set, in internal byte order (reduced on
    /// demand: the modular inversion is too costly to do for every block).
    pub fn muhash(&self) -> Result<[u8; 32]> {
        MuHash3072::from_state(&self.state)
            .map(|m| m.finalize())
            .ok_or_else(|| IndexError("index database: malformed muhash state".into()))
    }

    /// All unspendable amounts together.
    pub fn total_unspendable(&self) -> i64 {
        self.unspendable_genesis
            + self.unspendable_bip30
            + self.unspendable_scripts
            + self.unspendable_unclaimed
    }

    fn amounts(&self) -> [i64; 9] {
        [
            self.total_amount,
            self.total_subsidy,
            self.prevout_spent,
            self.new_outputs_ex_coinbase,
            self.coinbase,
            self.unspendable_genesis,
            self.unspendable_bip30,
            self.unspendable_scripts,
            self.unspendable_unclaimed,
        ]
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 16 + 72 + self.state.len());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.txouts.to_le_bytes());
        out.extend_from_slice(&self.bogosize.to_le_bytes());
        for a in self.amounts() {
            out.extend_from_slice(&a.to_le_bytes());
        }
        out.extend_from_slice(&self.state);
        out
    }

    fn decode(bytes: &[u8]) -> Result<CoinStatsRecord> {
        let bad = || IndexError("index database: malformed coinstats record".into());
        let mut r = bytes;
        let mut take = |n: usize| -> Result<&[u8]> {
            if r.len() < n {
                return Err(bad());
            }
            let (head, tail) = r.split_at(n);
            r = tail;
            Ok(head)
        };
        let u32_ = |b: &[u8]| b.try_into().map(u32::from_le_bytes).map_err(|_| bad());
        let u64_ = |b: &[u8]| b.try_into().map(u64::from_le_bytes).map_err(|_| bad());
        let i64_ = |b: &[u8]| b.try_into().map(i64::from_le_bytes).map_err(|_| bad());
        let height = u32_(take(4)?)?;
        let txouts = u64_(take(8)?)?;
        let bogosize = u64_(take(8)?)?;
        let mut a = [0i64; 9];
        for v in a.iter_mut() {
            *v = i64_(take(8)?)?;
        }
        let state = take(MuHash3072::STATE_SIZE)?.to_vec();
        Ok(CoinStatsRecord {
            height,
            txouts,
            bogosize,
            total_amount: a[0],
            total_subsidy: a[1],
            prevout_spent: a[2],
            new_outputs_ex_coinbase: a[3],
            coinbase: a[4],
            unspendable_genesis: a[5],
            unspendable_bip30: a[6],
            unspendable_scripts: a[7],
            unspendable_unclaimed: a[8],
            state,
        })
    }
}

/// The coin statistics index.
pub struct CoinStatsIndex {
    params: Arc<Params>,
}

impl CoinStatsIndex {
    /// An index for the chain of `params` (block subsidies).
    pub fn new(params: Arc<Params>) -> Self {
        CoinStatsIndex { params }
    }
}

fn overflow() -> IndexError {
    IndexError("coinstatsindex: amount overflow".into())
}

fn add(total: &mut i64, v: i64) -> Result<()> {
    *total = total.checked_add(v).ok_or_else(overflow)?;
    Ok(())
}

fn sub(total: &mut i64, v: i64) -> Result<()> {
    *total = total.checked_sub(v).ok_or_else(overflow)?;
    Ok(())
}

/// The statistics after `block`, given those after its parent.
fn apply_block(prev: CoinStatsRecord, block: &BlockData, subsidy: i64) -> Result<CoinStatsRecord> {
    let mut s = prev;
    s.height = block.height;
    let mut muhash = if block.height == 0 {
        MuHash3072::new()
    } else {
        MuHash3072::from_state(&s.state)
            .ok_or_else(|| IndexError("index database: malformed muhash state".into()))?
    };
    add(&mut s.total_subsidy, subsidy)?;
    if block.height == 0 {
        // The genesis output never enters the UTXO set.
        add(&mut s.unspendable_genesis, subsidy)?;
    } else {
        for (i, tx) in block.block.txdata.iter().enumerate() {
            let is_coinbase = i == 0;
            if is_coinbase && is_bip30_unspendable(&block.hash, block.height) {
                add(&mut s.unspendable_bip30, subsidy)?;
                continue;
            }
            let txid = tx.compute_txid();
            for (vout, out) in tx.output.iter().enumerate() {
                let value = out.value.to_sat() as i64;
                if is_unspendable(out) {
                    add(&mut s.unspendable_scripts, value)?;
                    continue;
                }
                let coin = Coin {
                    output: out.clone(),
                    height: block.height,
                    is_coinbase,
                };
                muhash.insert(&txout_ser(&OutPoint::new(txid, vout as u32), &coin));
                if is_coinbase {
                    add(&mut s.coinbase, value)?;
                } else {
                    add(&mut s.new_outputs_ex_coinbase, value)?;
                }
                s.txouts += 1;
                add(&mut s.total_amount, value)?;
                s.bogosize += bogosize(out.script_pubkey.len());
            }
            if is_coinbase {
                continue;
            }
            let tx_undo = block
                .undo
                .as_ref()
                .and_then(|u| u.txs.get(i - 1))
                .ok_or_else(|| {
                    IndexError(format!("undo data of block {} is incomplete", block.hash))
                })?;
            for (input, coin) in tx.input.iter().zip(&tx_undo.prevouts) {
                let value = coin.output.value.to_sat() as i64;
                muhash.remove(&txout_ser(&input.previous_output, coin));
                add(&mut s.prevout_spent, value)?;
                s.txouts = s.txouts.saturating_sub(1);
                sub(&mut s.total_amount, value)?;
                s.bogosize = s
                    .bogosize
                    .saturating_sub(bogosize(coin.output.script_pubkey.len()));
            }
        }
    }
    // Whatever the block could have created but did not is lost for good.
    let available = s.prevout_spent + s.total_subsidy;
    let accounted = s.new_outputs_ex_coinbase + s.coinbase + s.total_unspendable();
    add(&mut s.unspendable_unclaimed, available - accounted)?;
    s.state = muhash.to_state().to_vec();
    Ok(s)
}

impl IndexKind for CoinStatsIndex {
    fn name(&self) -> &'static str {
        "coinstatsindex"
    }

    fn needs_undo(&self) -> bool {
        true
    }

    fn append(&mut self, tx: &WriteTransaction, block: &BlockData) -> Result<()> {
        let mut table = tx.open_table(STATS)?;
        let prev = if block.height == 0 {
            CoinStatsRecord::default()
        } else {
            let prev_hash = block.block.header.prev_blockhash;
            let stored = table
                .get(prev_hash.as_byte_array().as_slice())?
                .ok_or_else(|| {
                    IndexError(format!(
                        "coin statistics of the parent of {} are missing",
                        block.hash
                    ))
                })?;
            CoinStatsRecord::decode(stored.value())?
        };
        let subsidy = get_block_subsidy(block.height, &self.params);
        let record = apply_block(prev, block, subsidy)?;
        table.insert(
            block.hash.as_byte_array().as_slice(),
            record.encode().as_slice(),
        )?;
        Ok(())
    }
}

/// The statistics after block `hash`, if indexed.
pub fn lookup(db: &IndexDb, hash: &BlockHash) -> Result<Option<CoinStatsRecord>> {
    let tx = db.db().begin_read()?;
    let table = match tx.open_table(STATS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match table.get(hash.as_byte_array().as_slice())? {
        Some(v) => CoinStatsRecord::decode(v.value()).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let mut m = MuHash3072::new();
        m.insert(b"x");
        let r = CoinStatsRecord {
            height: 7,
            txouts: 3,
            bogosize: 150,
            total_amount: 1,
            total_subsidy: 2,
            prevout_spent: 3,
            new_outputs_ex_coinbase: 4,
            coinbase: 5,
            unspendable_genesis: 6,
            unspendable_bip30: 7,
            unspendable_scripts: 8,
            unspendable_unclaimed: 9,
            state: m.to_state().to_vec(),
        };
        assert_eq!(CoinStatsRecord::decode(&r.encode()).unwrap(), r);
        assert!(CoinStatsRecord::decode(&r.encode()[1..]).is_err());
        assert_eq!(r.total_unspendable(), 30);
        assert_eq!(r.muhash().unwrap(), m.finalize());
    }

    #[test]
    fn bip30_blocks_are_recognised_by_height_and_hash() {
        let h: BlockHash = BIP30_UNSPENDABLE[0].1.parse().unwrap();
        assert!(is_bip30_unspendable(&h, 91722));
        assert!(!is_bip30_unspendable(&h, 91723));
    }

    #[test]
    fn block_totals_split_spent_new_and_unspendable() {
        use crate::testutil::{block, coin, tx};
        let params = Params::regtest();
        let subsidy = get_block_subsidy(1, &params);
        let genesis = block(
            0,
            BlockHash::all_zeros(),
            vec![tx(&[], &[(subsidy as u64, &[0x51])])],
            vec![],
        );
        let g = apply_block(CoinStatsRecord::default(), &genesis, subsidy).unwrap();
        assert_eq!(
            (g.txouts, g.unspendable_genesis, g.total_amount),
            (0, subsidy, 0)
        );

        // Block 1: a coinbase claiming 10 sats less than it may, and a
        // transaction spending a 1000-sat coin into 600 sats plus 300 burnt.
        let spent = OutPoint::new(bitcoin::Txid::all_zeros(), 0);
        let b = block(
            1,
            genesis.hash,
            vec![
                tx(&[], &[(subsidy as u64 + 90, &[0x51])]),
                tx(&[spent], &[(600, &[0x52]), (300, &[0x6a, 0x01])]),
            ],
            vec![vec![coin(1000, &[0x53], 0)]],
        );
        let r = apply_block(g.clone(), &b, subsidy).unwrap();
        assert_eq!(r.prevout_spent, 1000);
        assert_eq!(r.coinbase, subsidy + 90);
        assert_eq!(r.new_outputs_ex_coinbase, 600);
        assert_eq!(r.unspendable_scripts, 300);
        // Fees were 100; the coinbase took 90 of them.
        assert_eq!(r.unspendable_unclaimed, 10);
        assert_eq!(r.txouts, 1, "two new spendable outputs, one spent coin");
        // Core's sanity check: what was available equals what went somewhere.
        assert_eq!(
            r.prevout_spent + subsidy,
            r.new_outputs_ex_coinbase
                + r.coinbase
                + (r.total_unspendable() - g.total_unspendable())
        );
        let mut m = MuHash3072::new();
        m.insert(&txout_ser(
            &OutPoint::new(b.block.txdata[0].compute_txid(), 0),
            &Coin {
                output: b.block.txdata[0].output[0].clone(),
                height: 1,
                is_coinbase: true,
            },
        ));
        m.insert(&txout_ser(
            &OutPoint::new(b.block.txdata[1].compute_txid(), 0),
            &Coin {
                output: b.block.txdata[1].output[0].clone(),
                height: 1,
                is_coinbase: false,
            },
        ));
        m.remove(&txout_ser(&spent, &coin(1000, &[0x53], 0)));
        assert_eq!(r.muhash().unwrap(), m.finalize());
    }
}
