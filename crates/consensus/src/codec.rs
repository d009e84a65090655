//! The one reader and writer of transactions and blocks in Core's wire format,
//! used wherever bytes from outside (peers, RPC hex, block files) become
//! transactions or blocks.
//!
//! rust-bitcoin's own decoder reads an input-less transaction's `0x00` output
//! count as a segwit marker and rejects the following byte as a flag; Core reads
//! an empty input list followed by a zero "flag" as "no outputs", so blocks
//! carrying such transactions must decode and be rejected by validation
//! (`bad-txns-vin-empty`), not by the parser. The writer likewise leaves out the
//! segwit marker when no input has witness data, as Core does.

use bitcoin::consensus::encode::{self, Decodable, VarInt};
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, block, transaction, Amount, Block, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Witness,
};
use std::fmt;

/// Why bytes could not be read as a transaction or block; the text is Core's
/// stream exception message where one exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl From<encode::Error> for DecodeError {
    fn from(e: encode::Error) -> Self {
        DecodeError(match e {
            encode::Error::Io(io) if io.kind() == bitcoin::io::ErrorKind::UnexpectedEof => {
                END_OF_DATA.into()
            }
            encode::Error::NonMinimalVarInt => "non-canonical ReadCompactSize()".into(),
            encode::Error::OversizedVectorAllocation { .. } => {
                "ReadCompactSize(): size too large".into()
            }
            other => other.to_string(),
        })
    }
}

/// What Core's stream exception says when bytes run out (`what()` of the
/// `std::ios_base::failure` its readers throw).
pub const END_OF_DATA: &str =
    "DataStream::read(): end of data: unspecified iostream_category error";

/// Core's `MAX_SIZE`: the largest length prefix a stream accepts.
const MAX_SIZE: u64 = 0x0200_0000;

/// Decodes one value from the front of `data`, advancing it.
fn take<T: Decodable>(data: &mut &[u8]) -> Result<T, DecodeError> {
    Ok(T::consensus_decode_from_finite_reader(data)?)
}

/// Reads a length prefix, refusing sizes Core's `ReadCompactSize` refuses.
fn take_len(data: &mut &[u8]) -> Result<u64, DecodeError> {
    let n = take::<VarInt>(data)?.0;
    if n > MAX_SIZE {
        return Err(DecodeError("ReadCompactSize(): size too large".into()));
    }
    Ok(n)
}

/// Reads length-prefixed bytes; lengths up to Core's `MAX_SIZE` are allowed
/// (rust-bitcoin's own readers stop at 4 MB, below what Core accepts).
fn take_bytes(data: &mut &[u8]) -> Result<Vec<u8>, DecodeError> {
    let n = take_len(data)? as usize;
    if data.len() < n {
        return Err(DecodeError(END_OF_DATA.into()));
    }
    let (bytes, rest) = data.split_at(n);
    *data = rest;
    Ok(bytes.to_vec())
}

/// Reads a count-prefixed list whose items take at least `min_size` bytes.
fn take_list<T>(
    data: &mut &[u8],
    min_size: usize,
    mut item: impl FnMut(&mut &[u8]) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let count = take_len(data)?;
    let mut out = Vec::with_capacity((count as usize).min(data.len() / min_size.max(1)));
    for _ in 0..count {
        out.push(item(data)?);
    }
    Ok(out)
}

fn take_inputs(data: &mut &[u8]) -> Result<Vec<TxIn>, DecodeError> {
    take_list(data, 41, |d| {
        Ok(TxIn {
            previous_output: take(d)?,
            script_sig: ScriptBuf::from_bytes(take_bytes(d)?),
            sequence: Sequence(take(d)?),
            witness: Witness::new(),
        })
    })
}

fn take_outputs(data: &mut &[u8]) -> Result<Vec<TxOut>, DecodeError> {
    take_list(data, 9, |d| {
        Ok(TxOut {
            value: Amount::from_sat(take(d)?),
            script_pubkey: ScriptBuf::from_bytes(take_bytes(d)?),
        })
    })
}

fn take_witness(data: &mut &[u8]) -> Result<Witness, DecodeError> {
    Ok(Witness::from_slice(&take_list(data, 1, take_bytes)?))
}

/// Reads one transaction from the front of `data`, advancing it, the way Core's
/// `UnserializeTransaction` does. With `allow_witness` false the extended
/// (segwit) form is not recognised at all.
pub fn read_tx(data: &mut &[u8], allow_witness: bool) -> Result<Transaction, DecodeError> {
    let version = transaction::Version(take::<i32>(data)?);
    let mut input = take_inputs(data)?;
    let mut flags = 0u8;
    let output = if input.is_empty() && allow_witness {
        // Either the segwit marker or a genuinely empty input list: a zero
        // byte after it is then the (empty) output count.
        flags = take(data)?;
        if flags != 0 {
            input = take_inputs(data)?;
            take_outputs(data)?
        } else {
            Vec::new()
        }
    } else {
        take_outputs(data)?
    };
    if flags & 1 != 0 {
        flags ^= 1;
        for txin in input.iter_mut() {
            txin.witness = take_witness(data)?;
        }
        if !has_witness_inputs(&input) {
            return Err(DecodeError("Superfluous witness record".into()));
        }
    }
    if flags != 0 {
        return Err(DecodeError("Unknown transaction optional data".into()));
    }
    let lock_time = absolute::LockTime::from_consensus(take(data)?);
    Ok(Transaction {
        version,
        lock_time,
        input,
        output,
    })
}

/// Reads one transaction that must fill `data` exactly (Core's `DecodeTx`).
pub fn decode_tx(data: &[u8], allow_witness: bool) -> Result<Transaction, DecodeError> {
    let mut rest = data;
    let tx = read_tx(&mut rest, allow_witness)?;
    if !rest.is_empty() {
        return Err(DecodeError("data left after transaction".into()));
    }
    Ok(tx)
}

/// Reads one block (header and transactions with witness data) from the front
/// of `data`, advancing it.
pub fn read_block(data: &mut &[u8]) -> Result<Block, DecodeError> {
    let header: block::Header = take(data)?;
    let count = take_len(data)?;
    // Each transaction takes at least ten bytes, which bounds what a bogus
    // count can make us reserve.
    let mut txdata = Vec::with_capacity((count as usize).min(data.len() / 10));
    for _ in 0..count {
        txdata.push(read_tx(data, true)?);
    }
    Ok(Block { header, txdata })
}

/// Reads a block from the front of `data`, returning it with the number of
/// bytes it took.
pub fn read_block_prefix(data: &[u8]) -> Result<(Block, usize), DecodeError> {
    let mut rest = data;
    let block = read_block(&mut rest)?;
    Ok((block, data.len() - rest.len()))
}

fn has_witness_inputs(input: &[TxIn]) -> bool {
    input.iter().any(|i| !i.witness.is_empty())
}

/// Whether any input carries witness data (Core's `HasWitness`).
pub fn has_witness(tx: &Transaction) -> bool {
    has_witness_inputs(&tx.input)
}

/// Appends a compact size (Core's `WriteCompactSize`).
pub fn write_compact(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_compact(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Core's transaction serialization: the segwit marker only if `with_witness`
/// and some input has witness data, so input-less transactions never get it.
pub fn serialize_tx(tx: &Transaction, with_witness: bool) -> Vec<u8> {
    let witness = with_witness && has_witness(tx);
    let mut out = Vec::new();
    out.extend_from_slice(&tx.version.0.to_le_bytes());
    if witness {
        out.extend_from_slice(&[0, 1]);
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
        out.extend_from_slice(&o.value.to_sat().to_le_bytes());
        write_bytes(&mut out, o.script_pubkey.as_bytes());
    }
    if witness {
        for i in &tx.input {
            write_compact(&mut out, i.witness.len() as u64);
            for item in i.witness.iter() {
                write_bytes(&mut out, item);
            }
        }
    }
    out.extend_from_slice(&tx.lock_time.to_consensus_u32().to_le_bytes());
    out
}

/// Core's block serialization: the header, then each transaction as
/// [`serialize_tx`] writes it with witness data.
pub fn serialize_block(block: &Block) -> Vec<u8> {
    let mut out = bitcoin::consensus::serialize(&block.header);
    write_compact(&mut out, block.txdata.len() as u64);
    for tx in &block.txdata {
        out.extend_from_slice(&serialize_tx(tx, true));
    }
    out
}

/// Size with witness, and weight, as Core computes them.
pub fn size_and_weight(tx: &Transaction) -> (usize, usize) {
    let total = serialize_tx(tx, true).len();
    let base = serialize_tx(tx, false).len();
    (total, base * 3 + total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_and_output_less_tx_reads_as_empty() {
        // version | no inputs | zero "flag" (no outputs) | locktime
        let bytes = hex::decode("01000000000000000000").unwrap();
        let tx = decode_tx(&bytes, true).unwrap();
        assert!(tx.input.is_empty() && tx.output.is_empty());
        assert_eq!(serialize_tx(&tx, true), bytes);
    }

    #[test]
    fn witness_flag_rules_follow_core() {
        // Marker and flag, one input with an empty witness.
        let superfluous = hex::decode(concat!(
            "010000000001",
            "01",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "00000000",
            "00",
            "ffffffff",
            "00",
            "00",
            "00000000"
        ))
        .unwrap();
        assert_eq!(
            decode_tx(&superfluous, true).unwrap_err().0,
            "Superfluous witness record"
        );
        let unknown = hex::decode("0100000000020000000000000000").unwrap();
        assert_eq!(
            decode_tx(&unknown, true).unwrap_err().0,
            "Unknown transaction optional data"
        );
        assert_eq!(
            decode_tx(&hex::decode("01000000").unwrap(), true)
                .unwrap_err()
                .0,
            END_OF_DATA
        );
    }

    #[test]
    fn block_with_input_less_tx_decodes() {
        let mut bytes = vec![0u8; 80];
        bytes.push(1);
        bytes.extend(hex::decode("01000000000000000000").unwrap());
        let (block, used) = read_block_prefix(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(block.txdata.len(), 1);
        assert!(block.txdata[0].input.is_empty());
    }

    #[test]
    fn witness_items_up_to_core_max_size_decode() {
        // One input with a 5 MB witness item: over rust-bitcoin's 4 MB cap,
        // within Core's 32 MB.
        let mut bytes = hex::decode("0100000000010100000000000000000000000000000000000000000000000000000000000000000000000000ffffffff00").unwrap();
        bytes.push(1);
        bytes.push(0xfe);
        bytes.extend(5_000_000u32.to_le_bytes());
        bytes.extend(vec![b'a'; 5_000_000]);
        bytes.extend([0, 0, 0, 0]);
        let tx = decode_tx(&bytes, true).unwrap();
        assert_eq!(tx.input[0].witness.nth(0).map(<[u8]>::len), Some(5_000_000));
        assert_eq!(serialize_tx(&tx, true), bytes);
    }

    #[test]
    fn real_block_round_trips() {
        let block = crate::testdata::block(1263442);
        let bytes = bitcoin::consensus::serialize(&block);
        let (decoded, used) = read_block_prefix(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(decoded, block);
        for tx in &block.txdata {
            assert_eq!(serialize_tx(tx, true), bitcoin::consensus::serialize(tx));
        }
    }
}
