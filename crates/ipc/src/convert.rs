//! Conversions between capnp readers and owned Rust values. Every value read
//! from the wire is checked here: bad UTF-8, wrong lengths or undecodable
//! Bitcoin serialization become errors, never panics.

use crate::server_call::failed;
use bitcoin::consensus::{deserialize, serialize, Decodable, Encodable};

/// Owned text from a `Text` field.
pub fn text(r: capnp::Result<capnp::text::Reader<'_>>) -> capnp::Result<String> {
    r?.to_string()
        .map_err(|_| failed("text received over IPC is not valid UTF-8"))
}

/// Owned bytes from a `Data` field.
pub fn data(r: capnp::Result<capnp::data::Reader<'_>>) -> capnp::Result<Vec<u8>> {
    Ok(r?.to_vec())
}

/// A 32-byte hash (internal byte order) from a `Data` field.
pub fn hash32(r: capnp::Result<capnp::data::Reader<'_>>) -> capnp::Result<[u8; 32]> {
    let d = r?;
    <[u8; 32]>::try_from(d).map_err(|_| failed(&format!("expected 32 bytes, got {}", d.len())))
}

/// A Bitcoin-serialized object from a `Data` field.
pub fn decode<T: Decodable>(r: capnp::Result<capnp::data::Reader<'_>>) -> capnp::Result<T> {
    deserialize(r?).map_err(|e| match e {
        // Core's stream reader reports running out of bytes this way.
        bitcoin::consensus::encode::Error::Io(io)
            if io.kind() == bitcoin::io::ErrorKind::UnexpectedEof =>
        {
            failed("SpanReader::read(): end of data: unspecified iostream_category error")
        }
        e => failed(&format!("invalid serialized data received over IPC: {e}")),
    })
}

/// Like [`decode`], but empty data is a null object (`None`), as a null
/// `CTransactionRef` travels in libmultiprocess.
pub fn decode_nullable<T: Decodable>(
    r: capnp::Result<capnp::data::Reader<'_>>,
) -> capnp::Result<Option<T>> {
    let d = r?;
    if d.is_empty() {
        return Ok(None);
    }
    decode(Ok(d)).map(Some)
}

/// A transaction read as Core's stream reader reads one from a `Data` field:
/// an input-less transaction with a zero flag byte is an empty transaction
/// and bytes after it are ignored; empty data is a null transaction (`None`).
pub fn tx_nullable(
    r: capnp::Result<capnp::data::Reader<'_>>,
) -> capnp::Result<Option<bitcoin::Transaction>> {
    let mut d = r?;
    if d.is_empty() {
        return Ok(None);
    }
    consensus::codec::read_tx(&mut d, true)
        .map(Some)
        .map_err(|e| failed(&e.0))
}

/// A transaction serialized as Core writes it (no segwit marker unless an
/// input has witness data), for a `Data` field.
pub fn encode_tx(tx: &bitcoin::Transaction) -> Vec<u8> {
    consensus::codec::serialize_tx(tx, true)
}

/// Bitcoin serialization of `v` for a `Data` field.
pub fn encode<T: Encodable>(v: &T) -> Vec<u8> {
    serialize(v)
}

/// Owned list of bytes from a `List(Data)` field.
pub fn data_list(r: capnp::Result<capnp::data_list::Reader<'_>>) -> capnp::Result<Vec<Vec<u8>>> {
    let list = r?;
    let mut out = Vec::with_capacity(list.len() as usize);
    for item in list.iter() {
        out.push(item?.to_vec());
    }
    Ok(out)
}

/// Writes `items` into a `List(Data)` builder initialized to the right length.
pub fn set_data_list(mut b: capnp::data_list::Builder<'_>, items: &[Vec<u8>]) {
    for (i, item) in items.iter().enumerate() {
        b.set(i as u32, item);
    }
}

/// Owned `i64` list from a `List(Int64)` field.
pub fn i64_list(
    r: capnp::Result<capnp::primitive_list::Reader<'_, i64>>,
) -> capnp::Result<Vec<i64>> {
    Ok(r?.iter().collect())
}

/// A duration from Core's `MillisecondsDouble`; `None` means no limit (the
/// schema default `maxDouble`, or anything too large to matter).
pub fn millis(ms: f64) -> capnp::Result<Option<std::time::Duration>> {
    if ms.is_nan() || ms < 0.0 {
        return Err(failed(&format!("invalid timeout {ms}")));
    }
    // About 31 years: anything longer is "forever".
    if ms >= 1e12 {
        return Ok(None);
    }
    Ok(Some(std::time::Duration::from_secs_f64(ms / 1000.0)))
}

/// Core's `MillisecondsDouble` for a timeout; `None` is `maxDouble`.
pub fn to_millis(d: Option<std::time::Duration>) -> f64 {
    d.map_or(f64::MAX, |d| d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_validates_and_maps_forever() {
        assert!(millis(f64::NAN).is_err());
        assert!(millis(-1.0).is_err());
        assert_eq!(millis(f64::MAX).expect("max"), None);
        assert_eq!(
            millis(1500.0).expect("ok"),
            Some(std::time::Duration::from_millis(1500))
        );
        assert_eq!(to_millis(None), f64::MAX);
    }

    #[test]
    fn hash32_rejects_wrong_length() {
        let bytes = [1u8; 31];
        assert!(hash32(Ok(&bytes[..])).is_err());
        assert_eq!(hash32(Ok(&[2u8; 32][..])).expect("32"), [2u8; 32]);
    }

    #[test]
    fn transactions_read_as_core_reads_them() {
        // 64 zero bytes: version 0, no inputs, a zero flag byte, lock time 0;
        // the rest is ignored, as Core's stream reader does.
        let tx = tx_nullable(Ok(&[0u8; 64][..]))
            .expect("read")
            .expect("some");
        assert!(tx.input.is_empty() && tx.output.is_empty());
        assert_eq!(tx_nullable(Ok(&[][..])).expect("null"), None);
        assert!(tx_nullable(Ok(&[1u8, 0, 0][..])).is_err());
    }

    #[test]
    fn decode_rejects_garbage() {
        let r: capnp::Result<bitcoin::Transaction> = decode(Ok(&[0xffu8, 0x00][..]));
        assert!(r.is_err());
    }
}
