//! Byte-level reading and writing with Bitcoin's compact sizes, failing with
//! the texts Core's streams use so callers can report the same reasons.

use std::fmt;

/// Core refuses compact sizes above this (`MAX_SIZE`).
const MAX_SIZE: u64 = 0x0200_0000;

/// A decoding failure; the message is what Core's exception would say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl DecodeError {
    /// A stream failure, suffixed as Core's `std::ios_base::failure` prints.
    pub fn stream(msg: impl fmt::Display) -> Self {
        DecodeError(format!("{msg}: iostream error"))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Result of a decoding step.
pub type Result<T> = std::result::Result<T, DecodeError>;

/// A cursor over borrowed bytes.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading `data` from its beginning.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            self.pos = self.data.len();
            return Err(DecodeError::stream("SpanReader::read(): end of data"));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Runs `parse` on the unread bytes and moves past what it consumed.
    pub fn with_rest<T>(&mut self, parse: impl FnOnce(&mut &'a [u8]) -> T) -> T {
        let mut rest = &self.data[self.pos..];
        let out = parse(&mut rest);
        self.pos = self.data.len() - rest.len();
        out
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian i64.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A compact size, canonical and at most `MAX_SIZE` (Core's `ReadCompactSize`).
    pub fn compact(&mut self) -> Result<u64> {
        let first = self.u8()?;
        let (v, min) = match first {
            0..=0xfc => return Ok(first as u64),
            0xfd => (u16::from_le_bytes(self.array()?) as u64, 0xfd),
            0xfe => (u32::from_le_bytes(self.array()?) as u64, 0x1_0000),
            0xff => (u64::from_le_bytes(self.array()?), 0x1_0000_0000),
        };
        if v < min {
            return Err(DecodeError::stream("non-canonical ReadCompactSize()"));
        }
        if v > MAX_SIZE {
            return Err(DecodeError::stream("ReadCompactSize(): size too large"));
        }
        Ok(v)
    }

    /// A length-prefixed byte vector. The length is checked against the
    /// bytes present before anything is allocated.
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = self.compact()? as usize;
        Ok(self.take(n)?.to_vec())
    }

    /// Reads a value announced by a compact size with `parse`, failing as
    /// Core's `UnserializeFromVector` when it used a different number of bytes.
    pub fn sized<T>(&mut self, parse: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let expected = self.compact()? as usize;
        let before = self.remaining();
        let v = parse(self)?;
        if self.remaining() + expected != before {
            return Err(DecodeError::stream("Size of value was not the stated size"));
        }
        Ok(v)
    }
}

pub use consensus::codec::write_compact;

/// The keys of one PSBT map, read one at a time: refuses a key given twice
/// (naming the map, e.g. "input") and notes the separator that ends the map.
pub struct MapKeys {
    what: &'static str,
    seen: std::collections::BTreeSet<Vec<u8>>,
    /// Whether the map ended with its separator rather than with the data.
    pub found_separator: bool,
}

impl MapKeys {
    /// Keys of a `what` map.
    pub fn new(what: &'static str) -> Self {
        MapKeys {
            what,
            seen: Default::default(),
            found_separator: false,
        }
    }

    /// The next key and its type, or `None` at the end of the map.
    pub fn next(&mut self, r: &mut Reader) -> Result<Option<(Vec<u8>, u64)>> {
        if r.is_empty() {
            return Ok(None);
        }
        let key = r.bytes()?;
        if key.is_empty() {
            self.found_separator = true;
            return Ok(None);
        }
        if !self.seen.insert(key.clone()) {
            return Err(DecodeError::stream(format!(
                "Duplicate Key, {} key \"{}\" already provided",
                self.what,
                hex::encode(&key)
            )));
        }
        let ty = Reader::new(&key).compact()?;
        Ok(Some((key, ty)))
    }
}

/// Appends a length-prefixed byte vector.
pub fn write_bytes(out: &mut Vec<u8>, data: &[u8]) {
    write_compact(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// Appends one key-value pair: the key is the type followed by `key_data`.
pub fn write_pair(out: &mut Vec<u8>, ty: u8, key_data: &[u8], value: &[u8]) {
    let mut key = vec![ty];
    key.extend_from_slice(key_data);
    write_bytes(out, &key);
    write_bytes(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_sizes_round_trip_and_reject_non_canonical() {
        for n in [0u64, 0xfc, 0xfd, 0xffff, 0x1_0000, 0x0200_0000] {
            let mut v = Vec::new();
            write_compact(&mut v, n);
            assert_eq!(Reader::new(&v).compact(), Ok(n));
        }
        let e = Reader::new(&[0xfd, 0x10, 0x00]).compact().unwrap_err();
        assert_eq!(e.0, "non-canonical ReadCompactSize(): iostream error");
        let e = Reader::new(&[0xfe, 0, 0, 0, 0x10]).compact().unwrap_err();
        assert_eq!(e.0, "ReadCompactSize(): size too large: iostream error");
    }

    #[test]
    fn huge_length_prefix_fails_without_allocating() {
        let e = Reader::new(&[0xfe, 0, 0, 0, 0x02, 1]).bytes().unwrap_err();
        assert_eq!(e.0, "SpanReader::read(): end of data: iostream error");
    }
}
