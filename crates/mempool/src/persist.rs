//! `mempool.dat`: the pool saved at shutdown and accepted again at start-up
//! (`-persistmempool`), in Core's format so either node reads the other's
//! file. Version 2 obfuscates everything after the key with a repeating
//! 8-byte XOR key; version 1 (`-persistmempoolv1`) has no key.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use bitcoin::consensus::{Decodable, Encodable};
use bitcoin::{Txid, VarInt};
use chain::Chainstate;

use crate::accept::Policy;
use crate::pool::Mempool;

const VERSION_NO_KEY: u64 = 1;
const VERSION_XOR_KEY: u64 = 2;

/// What loading found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    /// Accepted again.
    pub succeeded: u64,
    /// Rejected on the current tip.
    pub failed: u64,
    /// Older than the expiry.
    pub expired: u64,
    /// Already in the pool.
    pub already_there: u64,
    /// Entries of the saved unbroadcast set, when it was applied (Core
    /// counts them all, in the pool or not).
    pub unbroadcast: u64,
}

/// How saved transactions are taken back (Core's `importmempool` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Stamp transactions with the current time instead of the saved one.
    pub use_current_time: bool,
    /// Apply the saved fee deltas.
    pub apply_fee_deltas: bool,
    /// Put the saved unbroadcast transactions that are in the pool back in
    /// the unbroadcast set.
    pub apply_unbroadcast: bool,
}

impl LoadOptions {
    /// Start-up loading: saved times, deltas and unbroadcast set.
    pub const STARTUP: LoadOptions = LoadOptions {
        use_current_time: false,
        apply_fee_deltas: true,
        apply_unbroadcast: true,
    };
}

/// Applies a repeating XOR key from stream position `pos` on.
struct Xor {
    key: [u8; 8],
    pos: usize,
}

impl Xor {
    fn apply(&mut self, data: &mut [u8]) {
        if self.key == [0; 8] {
            self.pos += data.len();
            return;
        }
        for b in data {
            *b ^= self.key[self.pos % 8];
            self.pos += 1;
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

fn decode<T: Decodable>(r: &mut &[u8]) -> io::Result<T> {
    T::consensus_decode(r).map_err(invalid)
}

impl Mempool {
    /// Writes the pool to `path` (through a temporary file, so a crash
    /// never leaves a torn file); `v1` writes the unobfuscated format.
    pub fn dump(&self, path: &Path, v1: bool) -> io::Result<u64> {
        let mut body = Vec::new();
        let entries: Vec<_> = self.in_order().collect();
        (entries.len() as u64).consensus_encode(&mut body)?;
        for e in &entries {
            e.tx.consensus_encode(&mut body)?;
            e.time.consensus_encode(&mut body)?;
            self.fee_delta(&e.tx.compute_txid())
                .consensus_encode(&mut body)?;
        }
        // Deltas of pool transactions travel with them; the rest follow.
        let deltas: Vec<_> = self
            .prioritised()
            .into_iter()
            .filter(|p| p.modified_fee.is_none())
            .collect();
        VarInt(deltas.len() as u64).consensus_encode(&mut body)?;
        for p in &deltas {
            p.txid.consensus_encode(&mut body)?;
            p.delta.consensus_encode(&mut body)?;
        }
        // Last, as Core writes it: the set of txids awaiting a first fetch.
        let unbroadcast = self.unbroadcast();
        tracing::info!(
            "Writing {} unbroadcast transactions to file.",
            unbroadcast.len()
        );
        VarInt(unbroadcast.len() as u64).consensus_encode(&mut body)?;
        for txid in &unbroadcast {
            txid.consensus_encode(&mut body)?;
        }

        let mut out = Vec::with_capacity(body.len() + 17);
        if v1 {
            VERSION_NO_KEY.consensus_encode(&mut out)?;
        } else {
            let key: [u8; 8] = rand::random();
            VERSION_XOR_KEY.consensus_encode(&mut out)?;
            VarInt(8).consensus_encode(&mut out)?;
            out.extend_from_slice(&key);
            Xor { key, pos: 0 }.apply(&mut body);
        }
        out.extend_from_slice(&body);
        let tmp = path.with_extension("dat.new");
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&out)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(out.len() as u64)
    }

    /// Accepts the transactions saved in `path` on the tip of `cs`, their
    /// times and fee deltas as `options` say.
    pub fn load(
        &mut self,
        cs: &Chainstate,
        policy: &Policy,
        path: &Path,
        options: LoadOptions,
    ) -> io::Result<LoadStats> {
        let data = std::fs::read(path)?;
        let mut r: &[u8] = &data;
        let version: u64 = decode(&mut r)?;
        let key = match version {
            VERSION_NO_KEY => [0; 8],
            VERSION_XOR_KEY => {
                let VarInt(len) = decode(&mut r)?;
                let key: [u8; 8] = r
                    .get(..8)
                    .filter(|_| len == 8)
                    .and_then(|k| k.try_into().ok())
                    .ok_or_else(|| invalid("bad obfuscation key"))?;
                r = &r[8..];
                key
            }
            other => return Err(invalid(format!("unknown mempool.dat version {other}"))),
        };
        let mut body = r.to_vec();
        Xor { key, pos: 0 }.apply(&mut body);
        let mut r: &[u8] = &body;
        let count: u64 = decode(&mut r)?;
        let now = common::time::now_secs();
        let mut stats = LoadStats::default();
        for _ in 0..count {
            let tx = consensus::codec::read_tx(&mut r, true).map_err(invalid)?;
            let saved_time: i64 = decode(&mut r)?;
            let time = if options.use_current_time {
                now
            } else {
                saved_time
            };
            let delta: i64 = decode(&mut r)?;
            let txid = tx.compute_txid();
            if delta != 0 && options.apply_fee_deltas {
                self.prioritise(txid, delta);
            }
            if time <= now - policy.expiry_secs {
                stats.expired += 1;
                continue;
            }
            if self.entries.contains_key(&txid) {
                stats.already_there += 1;
                continue;
            }
            match self.accept(cs, Arc::new(tx), policy, false) {
                Ok(_) => {
                    if let Some(e) = self.entries.get_mut(&txid) {
                        e.time = time;
                    }
                    stats.succeeded += 1;
                }
                Err(_) => stats.failed += 1,
            }
        }
        let VarInt(deltas) = decode(&mut r)?;
        for _ in 0..deltas {
            let txid: Txid = decode(&mut r)?;
            let delta: i64 = decode(&mut r)?;
            if options.apply_fee_deltas {
                self.prioritise(txid, delta);
            }
        }
        let VarInt(unbroadcast) = decode(&mut r)?;
        // Read them all before applying any: a truncated list is a bad file.
        let mut txids = Vec::new();
        for _ in 0..unbroadcast {
            txids.push(decode::<Txid>(&mut r)?);
        }
        if options.apply_unbroadcast {
            stats.unbroadcast = unbroadcast;
            for txid in txids {
                // Only those accepted again: the set holds pool transactions.
                self.add_unbroadcast(txid);
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn the_unbroadcast_set_ends_the_file_after_the_deltas() {
        let mut pool = Mempool::new();
        let txid = Txid::from_byte_array([3; 32]);
        // A delta for a transaction not in the pool is written in the map.
        pool.prioritise(txid, 42);
        // Only pool transactions can be in the set, so put one in directly.
        pool.unbroadcast.insert(txid);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mempool.dat");
        pool.dump(&path, true).expect("dump");
        let data = std::fs::read(&path).expect("read");

        let mut expected = Vec::new();
        VERSION_NO_KEY
            .consensus_encode(&mut expected)
            .expect("encode");
        0u64.consensus_encode(&mut expected).expect("encode");
        VarInt(1).consensus_encode(&mut expected).expect("encode");
        txid.consensus_encode(&mut expected).expect("encode");
        42i64.consensus_encode(&mut expected).expect("encode");
        VarInt(1).consensus_encode(&mut expected).expect("encode");
        txid.consensus_encode(&mut expected).expect("encode");
        assert_eq!(data, expected);
    }
}
