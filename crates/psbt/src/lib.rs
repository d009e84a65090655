//! Partially signed Bitcoin transactions as Bitcoin Core models them: the
//! BIP174 (v0) and BIP370 (v2) formats with taproot (BIP371) and MuSig2
//! (BIP373) fields, proprietary and unknown keys. Decoding applies Core's
//! checks and reports Core's reasons; encoding writes fields in Core's order
//! so a decode/encode round trip gives Core's bytes.

pub mod base64;
pub mod codec;
mod combine;
pub mod fields;
mod global;
pub mod input;
mod join;
pub mod output;
pub mod tx;

pub use codec::DecodeError;
pub use combine::combine;
pub use fields::{KeyOrigin, Proprietary};
pub use global::Xpub;
pub use input::Input;
pub use join::{join, reorder, JoinError};
pub use output::Output;

use bitcoin::{
    absolute, transaction, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
};
use std::collections::BTreeMap;

/// Extended public keys sharing one origin, unique by (public key, chain code)
/// as Core orders them.
pub type XpubSet = BTreeMap<([u8; 33], [u8; 32]), Xpub>;

/// The highest PSBT version understood.
pub const HIGHEST_VERSION: u32 = 2;

/// A partially signed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Psbt {
    /// The `PSBT_GLOBAL_VERSION` field, if present (absent means 0).
    pub version: Option<u32>,
    /// The unsigned transaction's version.
    pub tx_version: u32,
    /// The locktime used when no input requires one.
    pub fallback_locktime: Option<u32>,
    /// `PSBT_GLOBAL_TX_MODIFIABLE` flags (v2).
    pub tx_modifiable: Option<u8>,
    /// Global extended public keys, grouped by origin.
    pub xpubs: BTreeMap<KeyOrigin, XpubSet>,
    /// The inputs.
    pub inputs: Vec<Input>,
    /// The outputs.
    pub outputs: Vec<Output>,
    /// Global proprietary entries.
    pub proprietary: fields::ProprietaryMap,
    /// Global unknown entries.
    pub unknown: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Psbt {
    /// A PSBT of `version` (0 or 2) for the unsigned `tx`.
    pub fn from_unsigned_tx(tx: &Transaction, version: u32) -> Self {
        Psbt {
            version: Some(version),
            tx_version: tx.version.0 as u32,
            fallback_locktime: Some(tx.lock_time.to_consensus_u32()),
            inputs: tx
                .input
                .iter()
                .map(|i| {
                    Input::new(
                        i.previous_output.txid,
                        i.previous_output.vout,
                        Some(i.sequence.0),
                    )
                })
                .collect(),
            outputs: tx
                .output
                .iter()
                .map(|o| Output::new(o.value.to_sat() as i64, o.script_pubkey.to_bytes()))
                .collect(),
            ..Default::default()
        }
    }

    /// The PSBT version (0 when the field is absent).
    pub fn psbt_version(&self) -> u32 {
        self.version.unwrap_or(0)
    }

    /// Decodes base64 text; errors read as Core's `DecodeBase64PSBT`.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        let data = base64::decode(text).ok_or_else(|| DecodeError("invalid base64".into()))?;
        Self::deserialize(&data)
    }

    /// Decodes the binary format, refusing trailing bytes.
    pub fn deserialize(data: &[u8]) -> Result<Self, DecodeError> {
        let mut r = codec::Reader::new(data);
        let psbt = global::read(&mut r)?;
        if !r.is_empty() {
            return Err(DecodeError("extra data after PSBT".into()));
        }
        Ok(psbt)
    }

    /// The binary format.
    pub fn serialize(&self) -> Vec<u8> {
        global::write(self)
    }

    /// The base64 text.
    pub fn to_base64(&self) -> String {
        base64::encode(&self.serialize())
    }

    /// The locktime the transaction will have: from the inputs' required
    /// locktimes in v2, else the fallback; `None` if the inputs conflict.
    pub fn compute_locktime(&self) -> Option<u32> {
        if self.psbt_version() >= 2 {
            let mut time_lock = Some(0u32);
            let mut height_lock = Some(0u32);
            for i in &self.inputs {
                match (i.time_locktime, i.height_locktime) {
                    (Some(_), None) => {
                        height_lock = None;
                        time_lock?;
                    }
                    (None, Some(_)) => {
                        time_lock = None;
                        height_lock?;
                    }
                    _ => {}
                }
                if let (Some(t), Some(cur)) = (i.time_locktime, time_lock) {
                    time_lock = Some(cur.max(t));
                }
                if let (Some(h), Some(cur)) = (i.height_locktime, height_lock) {
                    height_lock = Some(cur.max(h));
                }
            }
            if let Some(h) = height_lock.filter(|h| *h > 0) {
                return Some(h);
            }
            if let Some(t) = time_lock.filter(|t| *t > 0) {
                return Some(t);
            }
        }
        Some(self.fallback_locktime.unwrap_or(0))
    }

    /// The unsigned transaction, or `None` if no locktime satisfies all inputs.
    pub fn unsigned_tx(&self) -> Option<Transaction> {
        let lock = self.compute_locktime()?;
        Some(Transaction {
            version: transaction::Version(self.tx_version as i32),
            lock_time: absolute::LockTime::from_consensus(lock),
            input: self
                .inputs
                .iter()
                .map(|i| TxIn {
                    previous_output: OutPoint {
                        txid: i.prev_txid,
                        vout: i.prev_out,
                    },
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence(i.sequence.unwrap_or(u32::MAX)),
                    witness: Default::default(),
                })
                .collect(),
            output: self
                .outputs
                .iter()
                .map(|o| TxOut {
                    value: bitcoin::Amount::from_sat(o.amount as u64),
                    script_pubkey: ScriptBuf::from_bytes(o.script.clone()),
                })
                .collect(),
        })
    }

    /// The id two PSBTs must share to be combined: the unsigned txid, with
    /// sequences zeroed for v2 (where signers may change them).
    pub fn unique_id(&self) -> Option<Txid> {
        let mut tx = self.unsigned_tx()?;
        if self.psbt_version() >= 2 {
            for i in &mut tx.input {
                i.sequence = Sequence(0);
            }
        }
        Some(tx.compute_txid())
    }
}

#[cfg(test)]
mod tests;
