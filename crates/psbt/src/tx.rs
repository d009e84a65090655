//! Transactions in network serialization, read as Core's
//! `UnserializeTransaction` does (same failure texts) and written with or
//! without witness data.

use crate::codec::{write_bytes, write_compact, DecodeError, Reader, Result};
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};

fn read_inputs(r: &mut Reader) -> Result<Vec<TxIn>> {
    let n = r.compact()?;
    let mut v = Vec::new();
    for _ in 0..n {
        let txid = Txid::from_byte_array(r.array()?);
        let vout = r.u32()?;
        let script_sig = ScriptBuf::from_bytes(r.bytes()?);
        let sequence = Sequence(r.u32()?);
        v.push(TxIn {
            previous_output: OutPoint { txid, vout },
            script_sig,
            sequence,
            witness: Witness::new(),
        });
    }
    Ok(v)
}

/// Reads one output (Core's `CTxOut`); the amount is kept as read, even if
/// negative, as the bit pattern of a `u64`.
pub fn read_output(r: &mut Reader) -> Result<TxOut> {
    let value = Amount::from_sat(r.i64()? as u64);
    let script_pubkey = ScriptBuf::from_bytes(r.bytes()?);
    Ok(TxOut {
        value,
        script_pubkey,
    })
}

fn read_outputs(r: &mut Reader) -> Result<Vec<TxOut>> {
    let n = r.compact()?;
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(read_output(r)?);
    }
    Ok(v)
}

/// Reads a witness stack (a vector of byte vectors).
pub fn read_stack(r: &mut Reader) -> Result<Vec<Vec<u8>>> {
    let n = r.compact()?;
    let mut items = Vec::new();
    for _ in 0..n {
        items.push(r.bytes()?);
    }
    Ok(items)
}

/// Reads one transaction; `allow_witness` selects the extended format.
pub fn read_tx(r: &mut Reader, allow_witness: bool) -> Result<Transaction> {
    let version = transaction::Version(r.u32()? as i32);
    let mut flags = 0u8;
    let mut input = read_inputs(r)?;
    let output;
    if input.is_empty() && allow_witness {
        flags = r.u8()?;
        if flags != 0 {
            input = read_inputs(r)?;
            output = read_outputs(r)?;
        } else {
            output = Vec::new();
        }
    } else {
        output = read_outputs(r)?;
    }
    if flags & 1 != 0 && allow_witness {
        flags ^= 1;
        for i in input.iter_mut() {
            i.witness = Witness::from_slice(&read_stack(r)?);
        }
        if input.iter().all(|i| i.witness.is_empty()) {
            return Err(DecodeError::stream("Superfluous witness record"));
        }
    }
    if flags != 0 {
        return Err(DecodeError::stream("Unknown transaction optional data"));
    }
    let lock_time = absolute::LockTime::from_consensus(r.u32()?);
    Ok(Transaction {
        version,
        lock_time,
        input,
        output,
    })
}

/// Deserializes a whole buffer as one transaction; `None` on any error or
/// trailing bytes.
pub fn deserialize_tx(data: &[u8], allow_witness: bool) -> Option<Transaction> {
    let mut r = Reader::new(data);
    let tx = read_tx(&mut r, allow_witness).ok()?;
    r.is_empty().then_some(tx)
}

/// Appends one output.
pub fn write_output(out: &mut Vec<u8>, o: &TxOut) {
    out.extend_from_slice(&o.value.to_sat().to_le_bytes());
    write_bytes(out, o.script_pubkey.as_bytes());
}

/// Appends a witness stack.
pub fn write_stack(out: &mut Vec<u8>, items: &[Vec<u8>]) {
    write_compact(out, items.len() as u64);
    for i in items {
        write_bytes(out, i);
    }
}

/// Serializes `tx`; witness data is written only if `with_witness` and some
/// input has any.
pub fn serialize_tx(tx: &Transaction, with_witness: bool) -> Vec<u8> {
    let witness = with_witness && tx.input.iter().any(|i| !i.witness.is_empty());
    let mut out = Vec::new();
    out.extend_from_slice(&tx.version.0.to_le_bytes());
    if witness {
        out.extend_from_slice(&[0x00, 0x01]);
    }
    write_compact(&mut out, tx.input.len() as u64);
    for i in &tx.input {
        out.extend_from_slice(i.previous_output.txid.as_byte_array());
        out.extend_from_slice(&i.previous_output.vout.to_le_bytes());
        write_bytes(&mut out, i.script_sig.as_bytes());
        out.extend_from_slice(&i.sequence.0.to_le_bytes());
    }
    write_compact(&mut out, tx.output.len() as u64);
    for o in &tx.output {
        write_output(&mut out, o);
    }
    if witness {
        for i in &tx.input {
            let items: Vec<Vec<u8>> = i.witness.iter().map(<[u8]>::to_vec).collect();
            write_stack(&mut out, &items);
        }
    }
    out.extend_from_slice(&tx.lock_time.to_consensus_u32().to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn witness_flag_without_witness_is_rejected() {
        // version, marker+flag, one input, one output, empty witness, locktime
        let mut data = vec![2, 0, 0, 0, 0, 1, 1];
        data.extend_from_slice(&[0u8; 36]);
        data.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 1]);
        data.extend_from_slice(&[0u8; 8]);
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let e = read_tx(&mut Reader::new(&data), true).unwrap_err();
        assert_eq!(e.0, "Superfluous witness record: iostream error");
    }

    #[test]
    fn round_trips_a_transaction() {
        let mut data = vec![1, 0, 0, 0, 1];
        data.extend_from_slice(&[7u8; 36]);
        data.extend_from_slice(&[1, 0x51, 0xfe, 0xff, 0xff, 0xff, 1]);
        data.extend_from_slice(&5000u64.to_le_bytes());
        data.extend_from_slice(&[1, 0x51, 9, 0, 0, 0]);
        let tx = deserialize_tx(&data, true).expect("valid");
        assert_eq!(serialize_tx(&tx, true), data);
    }
}
