//! UTXO set statistics for `gettxoutsetinfo`: counts, bogosize, total amount
//! and one of Core's set hashes (`hash_serialized_3`, `muhash`, or none).
//!
//! Every coin is serialized as Core's `TxOutSer`: the outpoint (txid, vout
//! as u32 LE), `height << 1 | coinbase` as u32 LE, then the output (amount
//! i64 LE, compact-size script). `hash_serialized_3` is the double SHA256 of
//! all coins concatenated in chainstate key order; `muhash` inserts each
//! coin's serialization in a [`MuHash3072`].

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{OutPoint, Txid};
use blockstore::compress::{outpoint_key, serialize_coin};
use consensus::Coin;

use crate::muhash::MuHash3072;

/// Which set hash to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashType {
    /// Double SHA256 over the serialized set (`hash_serialized_3`).
    HashSerialized,
    /// The MuHash3072 set hash (`muhash`).
    MuHash,
    /// No hash.
    None,
}

impl HashType {
    /// Parses Core's `hash_type` argument; `None` for an unknown name.
    pub fn parse(s: &str) -> Option<HashType> {
        match s {
            "hash_serialized_3" => Some(HashType::HashSerialized),
            "muhash" => Some(HashType::MuHash),
            "none" => Some(HashType::None),
            _ => None,
        }
    }
}

/// Statistics over a UTXO set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoinStats {
    /// Number of transactions with unspent outputs.
    pub transactions: u64,
    /// Number of unspent outputs.
    pub txouts: u64,
    /// Core's database-independent size metric.
    pub bogosize: u64,
    /// Sum of the amounts, `None` on overflow.
    pub total_amount: Option<u64>,
    /// The set hash in internal byte order (`None` for [`HashType::None`]).
    pub hash: Option<[u8; 32]>,
    /// Size estimate of the coins in their database encoding.
    pub disk_size: u64,
}

/// Core's `GetBogoSize`: txid, vout, height/coinbase, amount, a 2-byte script
/// length and the script.
pub fn bogosize(script_len: usize) -> u64 {
    32 + 4 + 4 + 8 + 2 + script_len as u64
}

/// Core's `TxOutSer` of one coin.
pub fn txout_ser(outpoint: &OutPoint, coin: &Coin) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + coin.output.script_pubkey.len());
    // Encoding into a Vec cannot fail.
    let _ = outpoint.consensus_encode(&mut out);
    let code = (coin.height << 1) | u32::from(coin.is_coinbase);
    out.extend_from_slice(&code.to_le_bytes());
    let _ = coin.output.consensus_encode(&mut out);
    out
}

enum Hasher {
    Serialized(bitcoin::hashes::sha256::HashEngine),
    Mu(Box<MuHash3072>),
    None,
}

impl Hasher {
    fn apply(&mut self, outpoint: &OutPoint, coin: &Coin) {
        match self {
            Hasher::Serialized(e) => e.input(&txout_ser(outpoint, coin)),
            Hasher::Mu(m) => m.insert(&txout_ser(outpoint, coin)),
            Hasher::None => {}
        }
    }

    fn finalize(self) -> Option<[u8; 32]> {
        match self {
            Hasher::Serialized(e) => Some(sha256d::Hash::from_engine(e).to_byte_array()),
            Hasher::Mu(m) => Some(m.finalize()),
            Hasher::None => None,
        }
    }
}

/// Computes the statistics over coins given in chainstate key order (txid,
/// then vout), stopping at the first error.
pub fn compute<E>(
    coins: impl IntoIterator<Item = Result<(OutPoint, Coin), E>>,
    hash_type: HashType,
) -> Result<CoinStats, E> {
    let mut hasher = match hash_type {
        HashType::HashSerialized => Hasher::Serialized(sha256d::Hash::engine()),
        HashType::MuHash => Hasher::Mu(Box::default()),
        HashType::None => Hasher::None,
    };
    let mut stats = CoinStats {
        transactions: 0,
        txouts: 0,
        bogosize: 0,
        total_amount: Some(0),
        hash: None,
        disk_size: 0,
    };
    let mut prev: Option<Txid> = None;
    for item in coins {
        let (outpoint, coin) = item?;
        if prev != Some(outpoint.txid) {
            stats.transactions += 1;
            prev = Some(outpoint.txid);
        }
        stats.txouts += 1;
        stats.total_amount = stats
            .total_amount
            .and_then(|t| t.checked_add(coin.output.value.to_sat()));
        stats.bogosize += bogosize(coin.output.script_pubkey.len());
        stats.disk_size += (outpoint_key(&outpoint).len() + serialize_coin(&coin).len()) as u64;
        hasher.apply(&outpoint, &coin);
    }
    stats.hash = hasher.finalize();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf, TxOut};
    use std::convert::Infallible;

    fn coin(sats: u64, script: &[u8], height: u32, cb: bool) -> Coin {
        Coin {
            output: TxOut {
                value: Amount::from_sat(sats),
                script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
            },
            height,
            is_coinbase: cb,
        }
    }

    fn set() -> Vec<(OutPoint, Coin)> {
        let t1 = Txid::from_byte_array([1; 32]);
        let t2 = Txid::from_byte_array([2; 32]);
        vec![
            (OutPoint::new(t1, 0), coin(5_000_000_000, &[0x51], 1, true)),
            (
                OutPoint::new(t2, 0),
                coin(1000, &[0x6a, 0x01, 0x02], 7, false),
            ),
            (OutPoint::new(t2, 3), coin(2000, &[], 7, false)),
        ]
    }

    #[test]
    fn txout_serialization_matches_core_layout() {
        let (op, c) = &set()[1];
        let ser = txout_ser(op, c);
        let mut want = vec![2u8; 32];
        want.extend_from_slice(&0u32.to_le_bytes());
        want.extend_from_slice(&14u32.to_le_bytes());
        want.extend_from_slice(&1000i64.to_le_bytes());
        want.extend_from_slice(&[3, 0x6a, 0x01, 0x02]);
        assert_eq!(ser, want);
    }

    #[test]
    fn counts_and_hashes() {
        let coins = set();
        let ok = |v: &Vec<(OutPoint, Coin)>| v.clone().into_iter().map(Ok::<_, Infallible>);
        let s = compute(ok(&coins), HashType::HashSerialized).unwrap_or_else(|e| match e {});
        assert_eq!(s.transactions, 2);
        assert_eq!(s.txouts, 3);
        assert_eq!(s.bogosize, 3 * 50 + 1 + 3);
        assert_eq!(s.total_amount, Some(5_000_003_000));
        let all: Vec<u8> = coins.iter().flat_map(|(o, c)| txout_ser(o, c)).collect();
        assert_eq!(s.hash, Some(sha256d::Hash::hash(&all).to_byte_array()));

        let m = compute(ok(&coins), HashType::MuHash).unwrap_or_else(|e| match e {});
        let mut mu = MuHash3072::new();
        for (o, c) in coins.iter().rev() {
            mu.insert(&txout_ser(o, c));
        }
        assert_eq!(m.hash, Some(mu.finalize()));

        let n = compute(ok(&coins), HashType::None).unwrap_or_else(|e| match e {});
        assert_eq!(n.hash, None);
        assert_eq!(n.txouts, 3);
    }

    #[test]
    fn empty_set_muhash_is_hash_of_one() {
        let s = compute(
            std::iter::empty::<Result<_, Infallible>>(),
            HashType::MuHash,
        )
        .unwrap_or_else(|e| match e {});
        let mut one = [0u8; 384];
        one[0] = 1;
        assert_eq!(
            s.hash,
            Some(bitcoin::hashes::sha256::Hash::hash(&one).to_byte_array())
        );
    }
}
