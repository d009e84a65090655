//! Scan objects (a descriptor string, or `{"desc": ..., "range": ...}`)
//! expanded to the output scripts they stand for, as `scantxoutset` and
//! `getdescriptoractivity` take them (Core's `EvalDescriptorStringOrObject`).

use rpc::{RpcError, RpcResult};
use serde_json::Value;

use crate::descriptor;
use crate::methods::parse_descriptor_range;

/// Derivation range of a ranged descriptor given without one.
const DEFAULT_RANGE: (i64, i64) = (0, 1000);

/// The descriptor text and derivation range of a scan object.
fn parse_scan_object(object: &Value) -> RpcResult<(&str, (i64, i64))> {
    match object {
        Value::String(s) => Ok((s.as_str(), DEFAULT_RANGE)),
        Value::Object(m) => {
            let text = match m.get("desc") {
                Some(Value::String(s)) => s.as_str(),
                Some(v) => {
                    return Err(RpcError::type_error(format!(
                        "JSON value of type {} is not of expected type string",
                        rpc::method::json_type_name(v)
                    )))
                }
                None => {
                    return Err(RpcError::invalid_parameter(
                        "Descriptor needs to be provided in scan object",
                    ))
                }
            };
            let range = match m.get("range") {
                Some(r) => parse_descriptor_range(r)?,
                None => DEFAULT_RANGE,
            };
            Ok((text, range))
        }
        _ => Err(RpcError::invalid_parameter(
            "Scan object needs to be either a string or an object",
        )),
    }
}

/// Calls `each(parsed, expansion, index)` for every multipath expansion and
/// every index of the object's range (once for a non-ranged descriptor).
fn for_each_derivation(
    object: &Value,
    network: bitcoin::Network,
    mut each: impl FnMut(
        &descriptor::ParsedDescriptor,
        usize,
        u32,
    ) -> Result<(), descriptor::DeriveError>,
) -> RpcResult<()> {
    let (text, range) = parse_scan_object(object)?;
    let parsed =
        descriptor::parse(text, false, network).map_err(RpcError::invalid_address_or_key)?;
    let range = if parsed.is_range { range } else { (0, 0) };
    for which in 0..parsed.len() {
        for index in range.0..=range.1 {
            each(&parsed, which, index as u32).map_err(|_| {
                RpcError::invalid_address_or_key(format!(
                    "Cannot derive script without private keys: '{text}'"
                ))
            })?;
        }
    }
    Ok(())
}

/// Every output script of `object`, over all multipath expansions and every
/// index of its range (a non-ranged descriptor yields its scripts once).
pub fn eval_scan_object(
    object: &Value,
    network: bitcoin::Network,
) -> RpcResult<Vec<descriptor::DescribedScript>> {
    let mut scripts = Vec::new();
    for_each_derivation(object, network, |parsed, which, index| {
        scripts.extend(parsed.described_scripts(which, index)?);
        Ok(())
    })?;
    Ok(scripts)
}

/// Adds everything `object` describes (keys, origins, scripts; private keys
/// with `expand_private`) to `ks`, as Core's `EvalDescriptorStringOrObject`
/// fills a signing provider.
pub fn fill_keystore(
    object: &Value,
    network: bitcoin::Network,
    ks: &mut crate::rawtx::sign::Keystore,
    expand_private: bool,
) -> RpcResult<()> {
    for_each_derivation(object, network, |parsed, which, index| {
        parsed.fill_keystore(which, index, ks, expand_private)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_and_object_forms() {
        let raw = json!("raw(51)");
        assert_eq!(
            eval_scan_object(&raw, bitcoin::Network::Regtest).ok(),
            Some(vec![(vec![0x51], None)])
        );
        let obj = json!({"desc": "raw(52)"});
        assert_eq!(
            eval_scan_object(&obj, bitcoin::Network::Regtest).ok(),
            Some(vec![(vec![0x52], None)])
        );
        let bad = json!(5);
        assert_eq!(
            eval_scan_object(&bad, bitcoin::Network::Regtest)
                .map_err(|e| e.message)
                .err(),
            Some("Scan object needs to be either a string or an object".to_string())
        );
        // Keys derived from an xprv are described with their origin.
        let xprv = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
        let ranged = json!({"desc": format!("pkh({xprv}/0h/0h/*)"), "range": 1});
        let found = eval_scan_object(&ranged, bitcoin::Network::Regtest).unwrap_or_default();
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].1.as_deref(),
            Some("pkh([0c5f9a1e/0h/0h/0]026dbd8b2315f296d36e6b6920b1579ca75569464875c7ebe869b536a7d9503c8c)#rthll0rg")
        );
        let invalid = json!("addrx(foo)");
        let err = eval_scan_object(&invalid, bitcoin::Network::Regtest)
            .map_err(|e| e.message)
            .err();
        assert!(err.is_some_and(|m| m.contains("is not a valid descriptor")));
    }
}
