//! `Data` fields: raw bytes, hashes in internal byte order, and Bitcoin
//! objects in Core's serialization. Objects are read as Core's stream
//! reader reads them: from the front of the bytes, ignoring what follows,
//! with Core's `end of data` text when they run out; transactions and
//! blocks go through the consensus codec, so they decode and encode exactly
//! as Core does (an input-less transaction never gets a segwit marker).

use crate::server_call::failed;
use bitcoin::consensus::{Decodable, Encodable};
use bitcoin::hashes::Hash;
use std::borrow::Cow;

/// A Rust value carried in a capnp `Data` field.
pub trait DataValue: Sized {
    /// Whether empty bytes are a value of this type; when not, empty bytes
    /// in an optional field mean "none", as libmultiprocess reads a null
    /// `CTransactionRef` from empty data.
    const EMPTY_IS_A_VALUE: bool = false;
    /// The bytes to send; an error for a value the wire cannot carry.
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>>;
    /// The value read from received bytes.
    fn from_data(d: &[u8]) -> capnp::Result<Self>;
}

/// Core's text when a stream runs out of bytes.
const END_OF_DATA: &str = "SpanReader::read(): end of data: unspecified iostream_category error";

fn decode_prefix<T: Decodable>(d: &[u8]) -> capnp::Result<T> {
    let mut cursor = d;
    T::consensus_decode(&mut cursor).map_err(|e| match e {
        bitcoin::consensus::encode::Error::Io(io)
            if io.kind() == bitcoin::io::ErrorKind::UnexpectedEof =>
        {
            failed(END_OF_DATA)
        }
        e => failed(&format!("invalid serialized data received over IPC: {e}")),
    })
}

/// The codec's errors, with Core's IPC reader (a `SpanReader`) named where
/// the bytes ran out.
fn codec_error(e: consensus::codec::DecodeError) -> capnp::Error {
    if e.0.contains("end of data") {
        failed(END_OF_DATA)
    } else {
        failed(&e.0)
    }
}

fn encode<T: Encodable>(v: &T) -> Cow<'static, [u8]> {
    Cow::Owned(bitcoin::consensus::serialize(v))
}

impl DataValue for Vec<u8> {
    const EMPTY_IS_A_VALUE: bool = true;
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(self))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        Ok(d.to_vec())
    }
}

impl DataValue for [u8; 32] {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(self))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        <[u8; 32]>::try_from(d).map_err(|_| failed(&format!("expected 32 bytes, got {}", d.len())))
    }
}

impl DataValue for [u8; 20] {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(self))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        <[u8; 20]>::try_from(d).map_err(|_| failed(&format!("expected 20 bytes, got {}", d.len())))
    }
}

/// 32-byte hashes travel as their bytes in internal order (`uint256`).
macro_rules! hash_data {
    ($($t:ty),*) => {$(
        impl DataValue for $t {
            fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(self.as_byte_array()))
    }
            fn from_data(d: &[u8]) -> capnp::Result<Self> {
                <[u8; 32]>::from_data(d).map(<$t>::from_byte_array)
            }
        }
    )*};
}
hash_data!(bitcoin::BlockHash, bitcoin::Txid, bitcoin::Wtxid);

/// Objects in Bitcoin serialization.
macro_rules! serialized_data {
    ($($t:ty),*) => {$(
        impl DataValue for $t {
            fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(encode(self))
    }
            fn from_data(d: &[u8]) -> capnp::Result<Self> {
                decode_prefix(d)
            }
        }
    )*};
}
serialized_data!(
    bitcoin::block::Header,
    bitcoin::OutPoint,
    bitcoin::TxIn,
    bitcoin::TxOut,
    bitcoin::ScriptBuf
);

impl DataValue for bitcoin::Transaction {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Owned(consensus::codec::serialize_tx(self, true)))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        let mut rest = d;
        consensus::codec::read_tx(&mut rest, true).map_err(codec_error)
    }
}

impl DataValue for bitcoin::Block {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Owned(consensus::codec::serialize_block(self)))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        let mut rest = d;
        consensus::codec::read_block(&mut rest).map_err(codec_error)
    }
}

/// Core's `CBlockLocator`: a version number, then the hashes.
impl DataValue for interfaces::chain::BlockLocator {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        let mut out = LOCATOR_VERSION.to_le_bytes().to_vec();
        out.extend_from_slice(&bitcoin::consensus::serialize(&self.0));
        Ok(Cow::Owned(out))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        let (_version, hashes): (i32, Vec<bitcoin::BlockHash>) = decode_prefix(d)?;
        Ok(interfaces::chain::BlockLocator(hashes))
    }
}

/// The version Core writes at the start of a locator (its `DUMMY_VERSION`).
const LOCATOR_VERSION: i32 = 70016;

/// Core's `CFeeRate`: the fee, then the size.
impl DataValue for interfaces::FeeRate {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        let mut out = self.fee.to_le_bytes().to_vec();
        out.extend_from_slice(&self.size.to_le_bytes());
        Ok(Cow::Owned(out))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        let (fee, size): (i64, i32) = decode_prefix(d)?;
        Ok(interfaces::FeeRate { fee, size })
    }
}

/// Core keeps a coin's height in 31 bits.
const MAX_COIN_HEIGHT: u32 = 0x7fff_ffff;

/// Core's `Coin`: the height and coinbase flag in one VARINT, then the
/// compressed output, as the UTXO database stores it.
impl DataValue for interfaces::chain::Coin {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        if self.height > MAX_COIN_HEIGHT {
            return Err(failed(&format!("coin height {} out of range", self.height)));
        }
        let coin = consensus::Coin {
            output: self.output.clone(),
            height: self.height,
            is_coinbase: self.is_coinbase,
        };
        Ok(Cow::Owned(consensus::compress::serialize_coin(&coin)))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        let mut r = consensus::compress::Reader::new(d);
        let c = consensus::compress::read_coin(&mut r).map_err(codec_error)?;
        Ok(interfaces::chain::Coin {
            output: c.output,
            height: c.height,
            is_coinbase: c.is_coinbase,
        })
    }
}

/// Addresses travel as their text.
impl DataValue for interfaces::node::NetAddress {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(self.0.as_bytes()))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        std::str::from_utf8(d)
            .map(|s| interfaces::node::NetAddress(s.to_string()))
            .map_err(|_| failed("address received over IPC is not valid UTF-8"))
    }
}

/// Paths travel as their bytes (Core's `fs::path` on Unix).
impl DataValue for std::path::PathBuf {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        use std::os::unix::ffi::OsStrExt;
        Ok(Cow::Borrowed(self.as_os_str().as_bytes()))
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        use std::os::unix::ffi::OsStrExt;
        Ok(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(d)))
    }
}

/// An optional object: empty bytes are a null pointer (a transaction that
/// was not found), as libmultiprocess sends a null `CTransactionRef`,
/// unless empty bytes are a value of `T`.
impl<T: DataValue> DataValue for Option<T> {
    fn to_data(&self) -> capnp::Result<Cow<'_, [u8]>> {
        Ok(match self {
            Some(v) => v.to_data()?,
            None => Cow::Borrowed(&[]),
        })
    }
    fn from_data(d: &[u8]) -> capnp::Result<Self> {
        if d.is_empty() && !T::EMPTY_IS_A_VALUE {
            return Ok(None);
        }
        T::from_data(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_read_as_core_reads_them() {
        // 64 zero bytes: version 0, no inputs, a zero flag byte, lock time 0;
        // the rest is ignored, as Core's stream reader does.
        let tx = bitcoin::Transaction::from_data(&[0u8; 64]).expect("read");
        assert!(tx.input.is_empty() && tx.output.is_empty());
        assert!(bitcoin::Transaction::from_data(&[1u8, 0, 0]).is_err());
        // Written back without a segwit marker, as Core writes it.
        assert_eq!(tx.to_data().expect("encode").len(), 10);
        assert_eq!(
            Option::<bitcoin::Transaction>::from_data(&[]).expect("null"),
            None
        );
    }

    #[test]
    fn hashes_must_be_32_bytes() {
        assert!(bitcoin::BlockHash::from_data(&[1u8; 31]).is_err());
        let h = bitcoin::BlockHash::from_data(&[2u8; 32]).expect("32");
        assert_eq!(h.to_data().expect("encode").as_ref(), &[2u8; 32]);
    }

    #[test]
    fn objects_read_from_the_front_and_run_out_as_core_says() {
        let script = bitcoin::ScriptBuf::from_bytes(vec![0x51]);
        let mut bytes = script.to_data().expect("encode").into_owned();
        bytes.push(0xff);
        assert_eq!(
            bitcoin::ScriptBuf::from_data(&bytes).expect("prefix"),
            script
        );
        let err = bitcoin::OutPoint::from_data(&[0u8; 3]).expect_err("short");
        assert!(err.extra.contains("end of data"), "{err}");
    }
}
