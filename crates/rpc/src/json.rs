//! JSON helpers matching UniValue's behaviour: integer extraction, exact amounts,
//! and Core's 4-space pretty printing.

use crate::error::{RpcError, RpcResult};
use serde_json::{Number, Value};

/// Satoshis per bitcoin.
pub const COIN: i64 = 100_000_000;
/// Largest valid amount in satoshis (21 million BTC).
pub const MAX_MONEY: i64 = 21_000_000 * COIN;

/// Reads a JSON number as an integer the way UniValue's `getInt<int64_t>` does:
/// fractions, exponents and overflow are "JSON integer out of range" (-1).
pub fn number_to_i64(n: &Number) -> RpcResult<i64> {
    n.to_string()
        .parse::<i64>()
        .map_err(|_| RpcError::misc("JSON integer out of range"))
}

/// Formats satoshis as an exact BTC decimal JSON number with 8 decimals, as Core's
/// `ValueFromAmount` does (`0.00010000`).
pub fn amount_to_value(sats: i64) -> Value {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let text = format!("{sign}{}.{:08}", abs / COIN as u64, abs % COIN as u64);
    Value::Number(text.parse::<Number>().unwrap_or_else(|_| Number::from(0)))
}

/// Formats a double as UniValue's `setFloat` does: 16 significant digits in
/// C's `%g` style (`1`, `0.962`, `4.656542373906925e-10`), where serde would
/// print the shortest round-trip form (`1.0`, `4.6565423739069247e-10`).
/// NaN and infinities have no JSON form and become `null`.
pub fn double_to_value(v: f64) -> Value {
    format_g16(v)
        .and_then(|text| text.parse::<Number>().ok())
        .map_or(Value::Null, Value::Number)
}

/// `%.16g`: scientific when the decimal exponent is below -4 or at least 16,
/// fixed otherwise; trailing zeros (and a bare point) removed.
fn format_g16(v: f64) -> Option<String> {
    const PRECISION: i32 = 16;
    if !v.is_finite() {
        return None;
    }
    if v == 0.0 {
        return Some(if v.is_sign_negative() { "-0" } else { "0" }.into());
    }
    // Rounding to 16 digits first decides the exponent (9.9999999999999999 is 10).
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, v);
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    if !(-4..PRECISION).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return Some(format!(
            "{}e{sign}{:02}",
            trim_fraction(mantissa),
            exp.abs()
        ));
    }
    let decimals = (PRECISION - 1 - exp).max(0) as usize;
    Some(trim_fraction(&format!("{v:.decimals$}")).to_string())
}

fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Parses an amount given as a JSON number or string into satoshis, with Core's
/// errors (`Amount is not a number or string`, `Invalid amount`, `Amount out of range`).
pub fn amount_from_value(value: &Value, decimals: u32) -> RpcResult<i64> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(RpcError::type_error("Amount is not a number or string")),
    };
    let amount = common::strencodings::parse_fixed_point(&text, decimals)
        .ok_or_else(|| RpcError::type_error("Invalid amount"))?;
    if !(0..=MAX_MONEY).contains(&amount) {
        return Err(RpcError::type_error("Amount out of range"));
    }
    Ok(amount)
}

/// Parses a block hash argument as Core's `ParseHashV`.
pub fn parse_hash(value: &str, name: &str) -> Result<bitcoin::BlockHash, RpcError> {
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        if value.len() != 64 {
            return Err(RpcError::invalid_parameter(format!(
                "{name} must be of length 64 (not {}, for '{value}')",
                value.len()
            )));
        }
        return Err(RpcError::invalid_parameter(format!(
            "{name} must be hexadecimal string (not '{value}')"
        )));
    }
    value.parse().map_err(|_| {
        RpcError::invalid_parameter(format!("{name} must be hexadecimal string (not '{value}')"))
    })
}

/// Parses a txid argument as Core's `ParseHashV`.
pub fn parse_txid(value: &str, name: &str) -> Result<bitcoin::Txid, RpcError> {
    parse_hash(value, name).map(|h| bitcoin::Txid::from_raw_hash(h.to_raw_hash()))
}

/// Serializes like UniValue's `write(4)`: 4-space indentation, `"key": value`.
pub fn to_string_pretty4(value: &Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return value.to_string();
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_argument_errors_match_core() {
        assert_eq!(
            parse_hash("abc", "blockhash").unwrap_err().message,
            "blockhash must be of length 64 (not 3, for 'abc')"
        );
        let z = "z".repeat(64);
        assert_eq!(
            parse_hash(&z, "blockhash").unwrap_err().message,
            format!("blockhash must be hexadecimal string (not '{z}')")
        );
    }

    #[test]
    fn amounts_print_with_eight_decimals() {
        assert_eq!(amount_to_value(10_000).to_string(), "0.00010000");
        assert_eq!(amount_to_value(-COIN).to_string(), "-1.00000000");
        assert_eq!(amount_to_value(MAX_MONEY).to_string(), "21000000.00000000");
    }

    #[test]
    fn doubles_print_like_univalue() {
        let cases = [
            (1.0, "1"),
            (0.962, "0.962"),
            (4.6565423739069247e-10, "4.656542373906925e-10"),
            (0.000123, "0.000123"),
            (0.00001234, "1.234e-05"),
            (1234567.5, "1234567.5"),
            (1e16, "1e+16"),
            (123456789012345.6, "123456789012345.6"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (9.99999999999999999, "10"),
        ];
        for (v, want) in cases {
            assert_eq!(double_to_value(v).to_string(), want, "{v}");
        }
        assert_eq!(double_to_value(f64::NAN), Value::Null);
    }

    #[test]
    fn integers_reject_fractions() {
        let n: Number = "1.5".parse().unwrap();
        assert!(number_to_i64(&n).is_err());
        let n: Number = "42".parse().unwrap();
        assert_eq!(number_to_i64(&n).unwrap(), 42);
    }
}

/// Checks the fields of a JSON object against expected type names (as
/// [`crate::method::json_type_name`] gives them) with Core's texts
/// (`RPCTypeCheckObj`): a missing field is an error unless `allow_null`, and
/// with `strict` so is any field not listed. An empty type name accepts any
/// type (Core's untyped `UniValueType()`).
pub fn type_check_obj(
    obj: &serde_json::Map<String, Value>,
    expected: &[(&str, &str)],
    allow_null: bool,
    strict: bool,
) -> RpcResult<()> {
    for (key, ty) in expected {
        let value = obj.get(*key).unwrap_or(&Value::Null);
        if value.is_null() {
            if allow_null {
                continue;
            }
            return Err(RpcError::type_error(format!("Missing {key}")));
        }
        let actual = crate::method::json_type_name(value);
        if !ty.is_empty() && actual != *ty {
            return Err(RpcError::type_error(format!(
                "JSON value of type {actual} for field {key} is not of expected type {ty}"
            )));
        }
    }
    if strict {
        if let Some(extra) = obj.keys().find(|k| !expected.iter().any(|(e, _)| e == k)) {
            return Err(RpcError::type_error(format!("Unexpected key {extra}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod type_check_tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value, allow_null: bool) -> Result<(), String> {
        let obj = v.as_object().cloned().unwrap_or_default();
        type_check_obj(
            &obj,
            &[("txid", "string"), ("vout", "number")],
            allow_null,
            true,
        )
        .map_err(|e| e.message)
    }

    #[test]
    fn core_texts() {
        assert_eq!(check(json!({"txid": "a", "vout": 1}), false), Ok(()));
        assert_eq!(
            check(json!({"txid": "a"}), false),
            Err("Missing vout".into())
        );
        assert_eq!(check(json!({"txid": "a"}), true), Ok(()));
        assert_eq!(
            check(json!({"txid": 42, "vout": 0}), false),
            Err("JSON value of type number for field txid is not of expected type string".into())
        );
        assert_eq!(
            check(json!({"txid": "a", "vout": 1, "x": 2}), false),
            Err("Unexpected key x".into())
        );
    }
}
