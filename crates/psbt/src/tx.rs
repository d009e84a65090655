//! Transactions in network serialization, read as Core's
//! `UnserializeTransaction` does (same failure texts) and written with or
//! without witness data.

use crate::codec::{write_bytes, write_compact, DecodeError, Reader, Result};
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut};

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

/// Reads a witness stack (a vector of byte vectors).
pub fn read_stack(r: &mut Reader) -> Result<Vec<Vec<u8>>> {
    let n = r.compact()?;
    let mut items = Vec::new();
    for _ in 0..n {
        items.push(r.bytes()?);
    }
    Ok(items)
}

/// Reads one transaction (Core's `UnserializeTransaction`, through the one
/// transaction reader in `consensus::codec`); `allow_witness` selects the
/// extended format.
pub fn read_tx(r: &mut Reader, allow_witness: bool) -> Result<Transaction> {
    r.with_rest(|rest| consensus::codec::read_tx(rest, allow_witness))
        .map_err(|e| {
            // PSBTs are read from a span, so Core names that reader.
            if e.0 == consensus::codec::END_OF_DATA {
                DecodeError::stream("SpanReader::read(): end of data")
            } else {
                DecodeError::stream(e)
            }
        })
}

/// Deserializes a whole buffer as one transaction; `None` on any error or
/// trailing bytes.
pub fn deserialize_tx(data: &[u8], allow_witness: bool) -> Option<Transaction> {
    consensus::codec::decode_tx(data, allow_witness).ok()
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
    consensus::codec::serialize_tx(tx, with_witness)
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
