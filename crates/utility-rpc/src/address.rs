//! Addresses ("destinations") as Core models them: encoding per network, decoding
//! with Core's exact error messages and error locations, and the script each one
//! pays to.

use crate::{base58, bech32, script};
use bitcoin::hashes::{hash160, sha256, Hash};
use serde_json::{json, Map, Value};

/// Per-network encoding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainParams {
    /// Base58 prefix of P2PKH addresses.
    pub pubkey_prefix: u8,
    /// Base58 prefix of P2SH addresses.
    pub script_prefix: u8,
    /// Base58 prefix of WIF private keys.
    pub secret_prefix: u8,
    /// Human-readable part of segwit addresses.
    pub hrp: &'static str,
}

impl ChainParams {
    /// Parameters for `network`.
    pub fn for_network(network: bitcoin::Network) -> Self {
        match network {
            bitcoin::Network::Bitcoin => ChainParams {
                pubkey_prefix: 0,
                script_prefix: 5,
                secret_prefix: 128,
                hrp: "bc",
            },
            bitcoin::Network::Regtest => ChainParams {
                pubkey_prefix: 111,
                script_prefix: 196,
                secret_prefix: 239,
                hrp: "bcrt",
            },
            _ => ChainParams {
                pubkey_prefix: 111,
                script_prefix: 196,
                secret_prefix: 239,
                hrp: "tb",
            },
        }
    }
}

/// Something an output can pay to that has an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// P2PKH.
    PubKeyHash([u8; 20]),
    /// P2SH.
    ScriptHash([u8; 20]),
    /// P2WPKH.
    WitnessV0KeyHash([u8; 20]),
    /// P2WSH.
    WitnessV0ScriptHash([u8; 32]),
    /// P2TR.
    Taproot([u8; 32]),
    /// Pay-to-anchor.
    Anchor,
    /// Future witness versions (1..=16, 2..=40 byte programs).
    WitnessUnknown {
        /// Witness version.
        version: u8,
        /// Witness program.
        program: Vec<u8>,
    },
}

fn arr<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

impl Destination {
    /// P2SH destination for a redeem script.
    pub fn p2sh(redeem: &[u8]) -> Self {
        Destination::ScriptHash(hash160::Hash::hash(redeem).to_byte_array())
    }
    /// P2WSH destination for a witness script.
    pub fn p2wsh(witness_script: &[u8]) -> Self {
        Destination::WitnessV0ScriptHash(sha256::Hash::hash(witness_script).to_byte_array())
    }

    /// The output script paying to this destination.
    pub fn script_pubkey(&self) -> Vec<u8> {
        let witness = |version: u8, program: &[u8]| {
            let mut s = Vec::new();
            script::push_small_int(&mut s, version);
            script::push_data(&mut s, program);
            s
        };
        match self {
            Destination::PubKeyHash(h) => {
                let mut s = vec![0x76, 0xa9, 0x14];
                s.extend_from_slice(h);
                s.extend([0x88, 0xac]);
                s
            }
            Destination::ScriptHash(h) => {
                let mut s = vec![0xa9, 0x14];
                s.extend_from_slice(h);
                s.push(0x87);
                s
            }
            Destination::WitnessV0KeyHash(h) => witness(0, h),
            Destination::WitnessV0ScriptHash(h) => witness(0, h),
            Destination::Taproot(k) => witness(1, k),
            Destination::Anchor => vec![0x51, 0x02, 0x4e, 0x73],
            Destination::WitnessUnknown { version, program } => witness(*version, program),
        }
    }

    /// The address string on the given network.
    pub fn encode(&self, params: &ChainParams) -> String {
        let b58 = |prefix: u8, h: &[u8]| {
            let mut d = vec![prefix];
            d.extend_from_slice(h);
            base58::encode_check(&d)
        };
        let segwit = |version: u8, program: &[u8]| {
            let mut d = vec![version];
            d.extend(bech32::convert_bits(program, 8, 5, true).unwrap_or_default());
            let variant = if version == 0 {
                bech32::Variant::Bech32
            } else {
                bech32::Variant::Bech32m
            };
            bech32::encode(variant, params.hrp, &d)
        };
        match self {
            Destination::PubKeyHash(h) => b58(params.pubkey_prefix, h),
            Destination::ScriptHash(h) => b58(params.script_prefix, h),
            Destination::WitnessV0KeyHash(h) => segwit(0, h),
            Destination::WitnessV0ScriptHash(h) => segwit(0, h),
            Destination::Taproot(k) => segwit(1, k),
            Destination::Anchor => segwit(1, &[0x4e, 0x73]),
            Destination::WitnessUnknown { version, program } => segwit(*version, program),
        }
    }

    /// The `isscript`/`iswitness`/`witness_*` fields of `validateaddress`.
    pub fn describe(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        match self {
            Destination::PubKeyHash(_) => {
                put("isscript", json!(false));
                put("iswitness", json!(false));
            }
            Destination::ScriptHash(_) => {
                put("isscript", json!(true));
                put("iswitness", json!(false));
            }
            Destination::WitnessV0KeyHash(h) => {
                put("isscript", json!(false));
                put("iswitness", json!(true));
                put("witness_version", json!(0));
                put("witness_program", json!(hex::encode(h)));
            }
            Destination::WitnessV0ScriptHash(h) => {
                put("isscript", json!(true));
                put("iswitness", json!(true));
                put("witness_version", json!(0));
                put("witness_program", json!(hex::encode(h)));
            }
            Destination::Taproot(k) => {
                put("isscript", json!(true));
                put("iswitness", json!(true));
                put("witness_version", json!(1));
                put("witness_program", json!(hex::encode(k)));
            }
            Destination::Anchor => {
                put("isscript", json!(true));
                put("iswitness", json!(true));
            }
            Destination::WitnessUnknown { version, program } => {
                put("iswitness", json!(true));
                put("witness_version", json!(version));
                put("witness_program", json!(hex::encode(program)));
            }
        }
        m
    }
}

/// Core's `ExtractDestination` for scripts that have an address (not bare keys).
pub fn extract_destination(spk: &[u8]) -> Option<Destination> {
    use script::TxoutType as T;
    let (ty, sol) = script::solve(spk);
    let first = sol.first().map(Vec::as_slice).unwrap_or(&[]);
    match ty {
        T::PubKeyHash => arr(first).map(Destination::PubKeyHash),
        T::ScriptHash => arr(first).map(Destination::ScriptHash),
        T::WitnessV0KeyHash => arr(first).map(Destination::WitnessV0KeyHash),
        T::WitnessV0ScriptHash => arr(first).map(Destination::WitnessV0ScriptHash),
        T::WitnessV1Taproot => arr(first).map(Destination::Taproot),
        T::Anchor => Some(Destination::Anchor),
        T::WitnessUnknown => Some(Destination::WitnessUnknown {
            version: *first.first()?,
            program: sol.get(1)?.clone(),
        }),
        T::PubKey | T::Multisig | T::NullData | T::NonStandard => None,
    }
}

/// Why an address string was rejected: Core's message and likely error positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    /// Message text as Core words it.
    pub message: String,
    /// Indices of suspicious characters (Bech32 only).
    pub locations: Vec<usize>,
}

fn fail(message: impl Into<String>) -> AddressError {
    AddressError {
        message: message.into(),
        locations: Vec::new(),
    }
}

/// Core's `DecodeDestination`.
pub fn decode(s: &str, params: &ChainParams) -> Result<Destination, AddressError> {
    let hrp = params.hrp;
    let is_bech32 = s.len() >= hrp.len()
        && s.is_char_boundary(hrp.len())
        && s[..hrp.len()].eq_ignore_ascii_case(hrp);
    if !is_bech32 {
        if let Some(data) = base58::decode_check(s, 21) {
            if data.len() == 21 && data[0] == params.pubkey_prefix {
                return arr(&data[1..])
                    .map(Destination::PubKeyHash)
                    .ok_or_else(|| fail(""));
            }
            if data.len() == 21 && data[0] == params.script_prefix {
                return arr(&data[1..])
                    .map(Destination::ScriptHash)
                    .ok_or_else(|| fail(""));
            }
            let prefix_match = data
                .first()
                .is_some_and(|p| *p == params.pubkey_prefix || *p == params.script_prefix);
            return Err(fail(if prefix_match {
                "Invalid length for Base58 address (P2PKH or P2SH)"
            } else {
                "Invalid or unsupported Base58-encoded address."
            }));
        }
        return Err(fail(if base58::decode(s, 100).is_some() {
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        } else {
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        }));
    }
    let Some(dec) = bech32::decode(s) else {
        let (message, locations) = bech32::locate_errors(s);
        return Err(AddressError { message, locations });
    };
    let Some((&version, rest)) = dec.data.split_first() else {
        return Err(fail("Empty Bech32 data section"));
    };
    if dec.hrp != hrp {
        return Err(fail(format!(
            "Invalid or unsupported prefix for Segwit (Bech32) address (expected {hrp}, got {}).",
            dec.hrp
        )));
    }
    if version == 0 && dec.variant != bech32::Variant::Bech32 {
        return Err(fail("Version 0 witness address must use Bech32 checksum"));
    }
    if version != 0 && dec.variant != bech32::Variant::Bech32m {
        return Err(fail("Version 1+ witness address must use Bech32m checksum"));
    }
    let Some(program) = bech32::convert_bits(rest, 5, 8, false) else {
        return Err(fail("Invalid padding in Bech32 data section"));
    };
    let unit = if program.len() == 1 { "byte" } else { "bytes" };
    if version == 0 {
        return match program.len() {
            20 => arr(&program)
                .map(Destination::WitnessV0KeyHash)
                .ok_or_else(|| fail("")),
            32 => arr(&program)
                .map(Destination::WitnessV0ScriptHash)
                .ok_or_else(|| fail("")),
            n => Err(fail(format!(
                "Invalid Bech32 v0 address program size ({n} {unit}), per BIP141"
            ))),
        };
    }
    if version == 1 && program.len() == 32 {
        return arr(&program)
            .map(Destination::Taproot)
            .ok_or_else(|| fail(""));
    }
    if version == 1 && program == [0x4e, 0x73] {
        return Ok(Destination::Anchor);
    }
    if version > 16 {
        return Err(fail("Invalid Bech32 address witness version"));
    }
    if !(2..=40).contains(&program.len()) {
        return Err(fail(format!(
            "Invalid Bech32 address program size ({} {unit})",
            program.len()
        )));
    }
    Ok(Destination::WitnessUnknown { version, program })
}

/// Core's `DecodeSecret`: a WIF private key for this network, and whether its
/// public key is compressed.
pub fn decode_secret(
    s: &str,
    params: &ChainParams,
) -> Option<(bitcoin::secp256k1::SecretKey, bool)> {
    let data = base58::decode_check(s, 34)?;
    let compressed = match data.len() {
        33 => false,
        34 if data[33] == 1 => true,
        _ => return None,
    };
    if data[0] != params.secret_prefix {
        return None;
    }
    let key = bitcoin::secp256k1::SecretKey::from_slice(&data[1..33]).ok()?;
    Some((key, compressed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regtest() -> ChainParams {
        ChainParams::for_network(bitcoin::Network::Regtest)
    }

    #[test]
    fn round_trips_segwit_and_base58() {
        let p = regtest();
        let d = Destination::WitnessV0KeyHash([7; 20]);
        assert_eq!(decode(&d.encode(&p), &p), Ok(d.clone()));
        let d = Destination::PubKeyHash([7; 20]);
        assert_eq!(decode(&d.encode(&p), &p), Ok(d));
        assert_eq!(Destination::Anchor.encode(&p), "bcrt1pfeesnyr2tx");
    }

    #[test]
    fn errors_match_core() {
        let p = regtest();
        let main = ChainParams::for_network(bitcoin::Network::Bitcoin);
        let mainnet_addr = Destination::PubKeyHash([1; 20]).encode(&main);
        assert_eq!(
            decode(&mainnet_addr, &p).unwrap_err().message,
            "Invalid or unsupported Base58-encoded address."
        );
        assert_eq!(
            decode("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", &p)
                .unwrap_err()
                .message,
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        );
        assert_eq!(
            decode("", &p).unwrap_err().message,
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        );
        assert_eq!(
            decode("0bad", &p).unwrap_err().message,
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        );
        let e = decode("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", &p).unwrap_err();
        assert!(e.message.starts_with("Invalid"));
        let short = bech32::encode(bech32::Variant::Bech32, "bcrt", &[0; 27]);
        assert_eq!(
            decode(&short, &p).unwrap_err().message,
            "Invalid Bech32 v0 address program size (16 bytes), per BIP141"
        );
    }

    #[test]
    fn wif_decoding() {
        let p = regtest();
        assert!(
            decode_secret("cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N", &p).is_some()
        );
        assert!(decode_secret("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", &p).is_none());
    }
}
