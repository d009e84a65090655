//! PSBTs between the wallet's signer and the RPCs. The signer works on the
//! BIP174 (version 0) model of the `bitcoin` crate, while Core's RPCs
//! create version 2 (BIP370) PSBTs by default and accept both; the
//! `psbt` crate carries both formats with Core's field order. Converting
//! goes through the binary format, so every field either side knows
//! survives.

use bitcoin::Transaction;
use rpc::error::{RpcError, RpcResult};

/// The PSBT versions Core writes.
pub fn check_psbt_version(version: i64) -> RpcResult<u32> {
    match version {
        0 => Ok(0),
        2 => Ok(2),
        _ => Err(RpcError::invalid_parameter(
            "The PSBT version can only be 2 or 0",
        )),
    }
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::misc(format!("PSBT conversion failed: {e}"))
}

/// A blank version 0 PSBT of `tx` for the signer; scripts already in the
/// inputs are dropped, as only the unsigned transaction is carried.
pub fn blank(tx: &Transaction) -> RpcResult<bitcoin::psbt::Psbt> {
    let mut unsigned = tx.clone();
    for i in &mut unsigned.input {
        i.script_sig = bitcoin::ScriptBuf::new();
        i.witness = bitcoin::Witness::new();
    }
    bitcoin::psbt::Psbt::from_unsigned_tx(unsigned).map_err(internal)
}

/// The signer's PSBT as a PSBT of `version` (Core's constructor over the
/// same transaction, filled alike).
pub fn to_version(p: &bitcoin::psbt::Psbt, version: u32) -> RpcResult<::psbt::Psbt> {
    let mut out = ::psbt::Psbt::deserialize(&p.serialize()).map_err(internal)?;
    out.version = Some(version);
    Ok(out)
}

/// A PSBT of any version in the signer's model: a version 2 PSBT's
/// transaction is fixed with the lock time its inputs require.
pub fn to_signer(p: &::psbt::Psbt) -> RpcResult<bitcoin::psbt::Psbt> {
    let mut v0 = p.clone();
    if p.psbt_version() >= 2 {
        let lock_time = p.compute_locktime().ok_or_else(|| {
            RpcError::invalid_parameter("PSBT inputs require conflicting lock times")
        })?;
        v0.fallback_locktime = Some(lock_time);
    }
    v0.version = None;
    bitcoin::psbt::Psbt::deserialize(&v0.serialize()).map_err(internal)
}

/// The signer's result of processing `original`, in `original`'s version,
/// with the version 2 fields the signer's model has no room for (lock
/// time requirements, modifiable flags, unset sequences) restored.
pub fn from_signer(
    processed: &bitcoin::psbt::Psbt,
    original: &::psbt::Psbt,
) -> RpcResult<::psbt::Psbt> {
    let mut out = ::psbt::Psbt::deserialize(&processed.serialize()).map_err(internal)?;
    out.version = original.version;
    if original.psbt_version() >= 2 {
        out.tx_modifiable = original.tx_modifiable;
        out.fallback_locktime = original.fallback_locktime;
        for (o, i) in out.inputs.iter_mut().zip(&original.inputs) {
            o.time_locktime = i.time_locktime;
            o.height_locktime = i.height_locktime;
            if i.sequence.is_none() {
                o.sequence = None;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::{absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxOut};

    fn tx() -> Transaction {
        Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::from_consensus(105),
            input: vec![TxIn {
                previous_output: OutPoint::new(bitcoin::Txid::from_byte_array([7; 32]), 1),
                sequence: Sequence(0xffff_fffd),
                ..Default::default()
            }],
            output: vec![TxOut {
                value: Amount::from_sat(5000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        }
    }

    #[test]
    fn versions_round_trip() {
        let p = blank(&tx()).unwrap();
        let v2 = to_version(&p, 2).unwrap();
        assert_eq!(v2.psbt_version(), 2);
        assert_eq!(v2.unsigned_tx().unwrap(), tx());
        // Core's encoding of the same PSBT.
        assert_eq!(v2, ::psbt::Psbt::from_unsigned_tx(&tx(), 2));
        let back = to_signer(&v2).unwrap();
        assert_eq!(back.unsigned_tx, tx());
        let again = from_signer(&back, &v2).unwrap();
        assert_eq!(again, v2);
        let v0 = to_version(&p, 0).unwrap();
        assert_eq!(
            v0.to_base64(),
            ::psbt::Psbt::from_unsigned_tx(&tx(), 0).to_base64()
        );
    }

    #[test]
    fn only_versions_0_and_2() {
        assert_eq!(check_psbt_version(0).unwrap(), 0);
        assert_eq!(check_psbt_version(2).unwrap(), 2);
        let e = check_psbt_version(1).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-8, "The PSBT version can only be 2 or 0")
        );
    }
}
