//! `createmultisig`: builds an m-of-n script and wraps it per the address type.

use crate::address::{ChainParams, Destination};
use crate::{descriptor, script};
use rpc::{RpcError, RpcResult};
use serde_json::{json, Map, Value};

/// Output types accepted by `address_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// P2SH.
    Legacy,
    /// P2SH-P2WSH.
    P2shSegwit,
    /// P2WSH.
    Bech32,
    /// Taproot (rejected by createmultisig).
    Bech32m,
}

impl OutputType {
    /// Core's `ParseOutputType`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "legacy" => Some(OutputType::Legacy),
            "p2sh-segwit" => Some(OutputType::P2shSegwit),
            "bech32" => Some(OutputType::Bech32),
            "bech32m" => Some(OutputType::Bech32m),
            _ => None,
        }
    }
}

/// Core's `HexToPubKey`, with its error texts (-5).
pub fn hex_to_pubkey(hex: &str) -> RpcResult<Vec<u8>> {
    let Some(bytes) = common::strencodings::parse_hex(hex) else {
        return Err(RpcError::invalid_address_or_key(format!(
            "Pubkey \"{hex}\" must be a hex string"
        )));
    };
    if bytes.len() != 33 && bytes.len() != 65 {
        return Err(RpcError::invalid_address_or_key(format!(
            "Pubkey \"{hex}\" must have a length of either 33 or 65 bytes"
        )));
    }
    if !script::pubkey_valid_size(&bytes)
        || bitcoin::secp256k1::PublicKey::from_slice(&bytes).is_err()
    {
        return Err(RpcError::invalid_address_or_key(format!(
            "Pubkey \"{hex}\" must be cryptographically valid."
        )));
    }
    Ok(bytes)
}

/// Builds the `createmultisig` result.
pub fn create(
    required: i64,
    keys: &[Vec<u8>],
    requested: OutputType,
    params: &ChainParams,
) -> RpcResult<Value> {
    if required < 1 {
        return Err(RpcError::invalid_parameter(
            "a multisignature address must require at least one key to redeem",
        ));
    }
    if (keys.len() as i64) < required {
        return Err(RpcError::invalid_parameter(format!(
            "not enough keys supplied (got {} keys, but need at least {required} to redeem)",
            keys.len()
        )));
    }
    if keys.len() > script::MAX_PUBKEYS_PER_MULTISIG {
        return Err(RpcError::invalid_parameter(format!(
            "Number of keys involved in the multisignature address creation > {}\nReduce the number",
            script::MAX_PUBKEYS_PER_MULTISIG
        )));
    }
    let redeem = script::multisig_script(required as u8, keys);
    let mut ty = requested;
    if keys.iter().any(|k| k.len() != 33) {
        ty = OutputType::Legacy;
    }
    if ty == OutputType::Legacy && redeem.len() > script::MAX_SCRIPT_ELEMENT_SIZE {
        return Err(RpcError::invalid_parameter(format!(
            "redeemScript exceeds size limit: {} > {}",
            redeem.len(),
            script::MAX_SCRIPT_ELEMENT_SIZE
        )));
    }
    let mut known = vec![redeem.clone()];
    let dest = match ty {
        OutputType::Legacy | OutputType::Bech32m => Destination::p2sh(&redeem),
        OutputType::P2shSegwit => {
            let inner = Destination::p2wsh(&redeem).script_pubkey();
            known.push(inner.clone());
            Destination::p2sh(&inner)
        }
        OutputType::Bech32 => Destination::p2wsh(&redeem),
    };
    let desc = descriptor::infer(&dest.script_pubkey(), &known, params);
    let mut out = Map::new();
    out.insert("address".into(), json!(dest.encode(params)));
    out.insert("redeemScript".into(), json!(hex::encode(&redeem)));
    out.insert("descriptor".into(), json!(desc));
    if ty != requested {
        out.insert(
            "warnings".into(),
            json!(["Unable to make chosen address type, please ensure no uncompressed public keys are present."]),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "03789ed0bb717d88f7d321a368d905e7430207ebbd82bd342cf11ae157a7ace5fd";
    const K2: &str = "03dbc6764b8884a92e871274b87583e6d5c2a58819473e17e107ef3f6aa5a61626";

    #[test]
    fn builds_p2wsh_multisig() {
        let p = ChainParams::for_network(bitcoin::Network::Regtest);
        let keys = vec![hex_to_pubkey(K1).unwrap(), hex_to_pubkey(K2).unwrap()];
        let r = create(2, &keys, OutputType::Bech32, &p).unwrap();
        assert!(r["address"].as_str().unwrap().starts_with("bcrt1q"));
        assert!(r["descriptor"]
            .as_str()
            .unwrap()
            .starts_with(&format!("wsh(multi(2,{K1},{K2}))#")));
        let r = create(2, &keys, OutputType::P2shSegwit, &p).unwrap();
        assert!(r["descriptor"]
            .as_str()
            .unwrap()
            .starts_with("sh(wsh(multi(2,"));
        assert!(r.get("warnings").is_none());
    }

    #[test]
    fn rejects_bad_input() {
        let p = ChainParams::for_network(bitcoin::Network::Regtest);
        assert_eq!(
            hex_to_pubkey("zz").unwrap_err().message,
            "Pubkey \"zz\" must be a hex string"
        );
        assert!(hex_to_pubkey("02aa")
            .unwrap_err()
            .message
            .contains("33 or 65"));
        let keys = vec![hex_to_pubkey(K1).unwrap()];
        assert_eq!(
            create(0, &keys, OutputType::Legacy, &p).unwrap_err().code,
            -8
        );
        assert!(create(2, &keys, OutputType::Legacy, &p)
            .unwrap_err()
            .message
            .starts_with("not enough keys"));
    }
}
