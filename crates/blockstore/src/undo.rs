//! Undo data: the outputs a block spent, needed to disconnect it again.
//!
//! The serialization is Core's `CBlockUndo`: a CompactSize count of
//! per-transaction records (one per non-coinbase transaction), each a
//! CompactSize count of spent coins, each coin written as
//! `VARINT(height * 2 + coinbase)`, a dummy `VARINT(0)` when the height is
//! non-zero (a leftover transaction-version slot), and the compressed output.

use consensus::Coin;

use crate::compress::{
    read_compact_size, read_compressed_txout, read_varint_u32, write_compact_size,
    write_compressed_txout, write_varint, DecodeError, Reader,
};

/// Undo information for one transaction: the coins its inputs spent, in
/// input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxUndo {
    /// The spent coins, one per input.
    pub prevouts: Vec<Coin>,
}

/// Undo information for a block: one [`TxUndo`] per transaction except the
/// coinbase, in block order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockUndo {
    /// Per-transaction undo records (the coinbase has none).
    pub txs: Vec<TxUndo>,
}

/// Upper bound on elements pre-allocated from an untrusted count.
const PREALLOC_LIMIT: usize = 1024;

/// Append one spent coin in undo-record form.
pub fn write_undo_coin(out: &mut Vec<u8>, coin: &Coin) {
    let code = (coin.height << 1) | u32::from(coin.is_coinbase);
    write_varint(out, u64::from(code));
    if coin.height > 0 {
        write_varint(out, 0);
    }
    write_compressed_txout(out, &coin.output);
}

/// Read one spent coin in undo-record form.
pub fn read_undo_coin(r: &mut Reader<'_>) -> Result<Coin, DecodeError> {
    let code = read_varint_u32(r)?;
    let height = code >> 1;
    if height > 0 {
        // Former transaction-version slot; value ignored.
        read_varint_u32(r)?;
    }
    let output = read_compressed_txout(r)?;
    Ok(Coin {
        output,
        height,
        is_coinbase: code & 1 == 1,
    })
}

impl TxUndo {
    /// Append the serialized record.
    pub fn encode_to(&self, out: &mut Vec<u8>) {
        write_compact_size(out, self.prevouts.len() as u64);
        for coin in &self.prevouts {
            write_undo_coin(out, coin);
        }
    }

    /// Read one record.
    pub fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = read_compact_size(r)? as usize;
        let mut prevouts = Vec::with_capacity(n.min(PREALLOC_LIMIT));
        for _ in 0..n {
            prevouts.push(read_undo_coin(r)?);
        }
        Ok(TxUndo { prevouts })
    }
}

impl BlockUndo {
    /// Append the serialized record.
    pub fn encode_to(&self, out: &mut Vec<u8>) {
        write_compact_size(out, self.txs.len() as u64);
        for tx in &self.txs {
            tx.encode_to(out);
        }
    }

    /// Serialize to Core's byte format.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_to(&mut out);
        out
    }

    /// Read one record from a reader, leaving any following bytes unread.
    pub fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = read_compact_size(r)? as usize;
        let mut txs = Vec::with_capacity(n.min(PREALLOC_LIMIT));
        for _ in 0..n {
            txs.push(TxUndo::decode_from(r)?);
        }
        Ok(BlockUndo { txs })
    }

    /// Deserialize from exactly `bytes`; trailing data is an error.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let undo = Self::decode_from(&mut r)?;
        if r.remaining() != 0 {
            return Err(DecodeError(format!(
                "{} trailing bytes after block undo",
                r.remaining()
            )));
        }
        Ok(undo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf, TxOut};

    fn p2pkh(h: u8) -> ScriptBuf {
        let mut s = vec![0x76, 0xa9, 0x14];
        s.extend_from_slice(&[h; 20]);
        s.extend_from_slice(&[0x88, 0xac]);
        ScriptBuf::from_bytes(s)
    }

    #[test]
    fn known_bytes() {
        let undo = BlockUndo {
            txs: vec![
                TxUndo {
                    prevouts: vec![Coin {
                        output: TxOut {
                            value: Amount::from_sat(50 * 100_000_000),
                            script_pubkey: p2pkh(0x11),
                        },
                        height: 1,
                        is_coinbase: true,
                    }],
                },
                TxUndo {
                    prevouts: vec![
                        Coin {
                            output: TxOut {
                                value: Amount::from_sat(0),
                                script_pubkey: ScriptBuf::from_bytes(vec![0x6a]),
                            },
                            height: 0,
                            is_coinbase: false,
                        },
                        Coin {
                            output: TxOut {
                                value: Amount::from_sat(1),
                                script_pubkey: p2pkh(0x33),
                            },
                            height: 120,
                            is_coinbase: false,
                        },
                    ],
                },
            ],
        };
        let mut want = vec![0x02];
        // tx 1: one coin, code 3, dummy 0, amount 50, P2PKH
        want.extend_from_slice(&[0x01, 0x03, 0x00, 0x32, 0x00]);
        want.extend_from_slice(&[0x11; 20]);
        // tx 2: two coins
        want.push(0x02);
        // height 0: code 0, no dummy, amount 0, script len 1+6
        want.extend_from_slice(&[0x00, 0x00, 0x07, 0x6a]);
        // height 120: code 240 = 80 70, dummy 0, amount 1, P2PKH
        want.extend_from_slice(&[0x80, 0x70, 0x00, 0x01, 0x00]);
        want.extend_from_slice(&[0x33; 20]);
        let bytes = undo.serialize();
        assert_eq!(bytes, want);
        assert_eq!(BlockUndo::deserialize(&bytes).unwrap(), undo);

        // Every truncation is an error, never a panic.
        for i in 0..bytes.len() {
            assert!(BlockUndo::deserialize(&bytes[..i]).is_err(), "prefix {i}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(BlockUndo::deserialize(&extra).is_err());
    }

    #[test]
    fn empty_and_huge_counts() {
        assert_eq!(BlockUndo::default().serialize(), vec![0x00]);
        assert_eq!(
            BlockUndo::deserialize(&[0x00]).unwrap(),
            BlockUndo::default()
        );
        // A claimed 32M transactions with no data fails cleanly.
        assert!(BlockUndo::deserialize(&[0xfe, 0x00, 0x00, 0x00, 0x02]).is_err());
        // Garbage never panics.
        let mut x: u32 = 12345;
        for len in 0..300usize {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let _ = BlockUndo::deserialize(&data);
        }
    }
}
