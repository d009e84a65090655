//! Saved payment requests (bitcoin-qt's `RecentRequestEntry`), stored in
//! the wallet through `setAddressReceiveRequest` in bitcoin-qt's byte
//! layout, so a wallet moved between bitcoin-qt and bitcoin-gui keeps its
//! request history.

/// The layout version bitcoin-qt writes for the entry and the recipient.
const VERSION: i32 = 1;

/// One payment request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiveRequest {
    /// Its id (the wallet stores it as decimal text).
    pub id: i64,
    /// When it was made (seconds since 1970).
    pub date: u32,
    /// The receiving address.
    pub address: String,
    /// Label.
    pub label: String,
    /// Requested amount in satoshis (0: none).
    pub amount: i64,
    /// Message.
    pub message: String,
}

impl ReceiveRequest {
    /// The stored bytes: entry version, id, date, then the recipient
    /// (version, address, label, amount, message, payment request,
    /// merchant) with Core's compact-size strings.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.date.to_le_bytes());
        out.extend_from_slice(&VERSION.to_le_bytes());
        put_string(&mut out, &self.address);
        put_string(&mut out, &self.label);
        out.extend_from_slice(&self.amount.to_le_bytes());
        put_string(&mut out, &self.message);
        put_string(&mut out, "");
        put_string(&mut out, "");
        out
    }

    /// Reads stored bytes; `None` for anything malformed (the wallet file
    /// is outside input: a bad record is skipped, not trusted).
    pub fn decode(bytes: &[u8]) -> Option<ReceiveRequest> {
        let mut r = Reader(bytes);
        let _version = r.i32()?;
        let id = r.i64()?;
        let date = r.u32()?;
        let _recipient_version = r.i32()?;
        let address = r.string()?;
        let label = r.string()?;
        let amount = r.i64()?;
        let message = r.string()?;
        // BIP70's payment request and merchant, unused since Core 0.20.
        let _payment_request = r.string()?;
        let _merchant = r.string()?;
        Some(ReceiveRequest {
            id,
            date,
            address,
            label,
            amount,
            message,
        })
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    let n = s.len() as u64;
    match n {
        0..=252 => out.push(n as u8),
        253..=0xffff => {
            out.push(253);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(254);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(255);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_le_bytes)
    }
    fn string(&mut self) -> Option<String> {
        let n = match self.take::<1>()?[0] {
            253 => u64::from(u16::from_le_bytes(self.take()?)),
            254 => u64::from(u32::from_le_bytes(self.take()?)),
            255 => u64::from_le_bytes(self.take()?),
            n => u64::from(n),
        };
        let n = usize::try_from(n).ok().filter(|n| *n <= self.0.len())?;
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_in_bitcoin_qts_layout() {
        let r = ReceiveRequest {
            id: 3,
            date: 1_700_000_000,
            address: "bcrt1qexample".into(),
            label: "rent".into(),
            amount: 150_000_000,
            message: "x".repeat(300),
        };
        let bytes = r.encode();
        // Entry version, id and date lead, as bitcoin-qt writes them.
        assert_eq!(&bytes[..4], &1i32.to_le_bytes());
        assert_eq!(&bytes[4..12], &3i64.to_le_bytes());
        assert_eq!(ReceiveRequest::decode(&bytes), Some(r));
        for cut in [0, 5, 20, bytes.len() - 1] {
            assert_eq!(ReceiveRequest::decode(&bytes[..cut]), None, "{cut}");
        }
        // A length beyond the data is rejected, not read past.
        let mut bad = bytes.clone();
        bad[20] = 255;
        assert_eq!(ReceiveRequest::decode(&bad), None);
    }
}
