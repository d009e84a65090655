//! `bitcoin:` payment URIs (BIP21) as bitcoin-qt reads them
//! (`GUIUtil::parseBitcoinURI`): an address, then `amount` in BTC, `label`
//! and `message`, percent-decoded; any other `req-` parameter makes the URI
//! unusable; other parameters are ignored.

use crate::units::Unit;

/// What a URI asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentUri {
    /// The address (not yet checked against a network).
    pub address: String,
    /// Satoshis, 0 when not given.
    pub amount: i64,
    /// Label.
    pub label: String,
    /// Message.
    pub message: String,
}

/// Whether a command-line token is a payment URI (bitcoin-qt lets these
/// follow the options).
pub fn is_uri(token: &str) -> bool {
    token
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("bitcoin:"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parses a `bitcoin:` URI; `None` when it is not one bitcoin-qt accepts.
pub fn parse(text: &str) -> Option<PaymentUri> {
    let text = text.trim();
    if !is_uri(text) {
        return None;
    }
    let rest = text.get(8..)?;
    // "bitcoin://" is not a BIP21 form.
    let rest = rest.strip_prefix("//").map_or(rest, |r| r);
    let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut uri = PaymentUri {
        address: percent_decode(address)?,
        ..Default::default()
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, required) = match key.strip_prefix("req-") {
            Some(k) => (k, true),
            None => (key, false),
        };
        let value = percent_decode(value)?;
        match key {
            "label" => uri.label = value,
            "message" => uri.message = value,
            "amount" if !value.is_empty() => uri.amount = Unit::Btc.parse(&value)?,
            "amount" => {}
            // A required parameter we do not know: the URI is unusable.
            _ if required => return None,
            _ => {}
        }
    }
    Some(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_read_as_bitcoin_qt_reads_them() {
        let u =
            parse("bitcoin:bcrt1qxyz?amount=1.5&label=rent%20%26%20co&message=hi&foo=1").unwrap();
        assert_eq!(
            u,
            PaymentUri {
                address: "bcrt1qxyz".into(),
                amount: 150_000_000,
                label: "rent & co".into(),
                message: "hi".into(),
            }
        );
        assert_eq!(parse("BITCOIN:bcrt1qxyz").unwrap().address, "bcrt1qxyz");
        assert!(parse("bitcoin:x?req-somethingnew=1").is_none());
        assert!(parse("bitcoin:x?amount=abc").is_none());
        assert!(parse("bitcoin:x?amount=1.000000001").is_none());
        assert!(parse("litecoin:x").is_none());
        assert!(parse("bitcoin:x?label=%zz").is_none());
        assert!(is_uri("bitcoin:abc") && !is_uri("-regtest"));
    }
}
