//! `sign_message`: Core's `signmessage`, checked with a verifier written
//! from BIP137 and Core's `MessageVerify`.

use std::str::FromStr;

use bitcoin::hashes::{hash160, sha256d, Hash};
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::Address;

use super::*;
use crate::crypto::KeyingMaterial;
use crate::sign::{sign_message, SignError};

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body = s.trim_end_matches('=');
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in body.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

fn compact_size(n: usize) -> Vec<u8> {
    match n {
        0..=252 => vec![n as u8],
        253..=0xffff => [vec![253], (n as u16).to_le_bytes().to_vec()].concat(),
        _ => [vec![254], (n as u32).to_le_bytes().to_vec()].concat(),
    }
}

/// Whether `signature` is `message` signed by the key of the P2PKH
/// `address`: the 65-byte compact form, header 27 + recovery id (+4 for a
/// compressed key), over the double SHA256 of the length-prefixed magic
/// and message.
fn verify(address: &Address, signature: &str, message: &str) -> bool {
    let Some(sig) = base64_decode(signature) else {
        return false;
    };
    if sig.len() != 65 || !(27..=34).contains(&sig[0]) {
        return false;
    }
    let header = sig[0] - 27;
    let compressed = header & 4 != 0;
    let magic = b"Bitcoin Signed Message:\n";
    let data = [
        compact_size(magic.len()),
        magic.to_vec(),
        compact_size(message.len()),
        message.as_bytes().to_vec(),
    ]
    .concat();
    let digest = sha256d::Hash::hash(&data).to_byte_array();
    let Ok(recid) = RecoveryId::from_i32(i32::from(header & 3)) else {
        return false;
    };
    let Ok(rsig) = RecoverableSignature::from_compact(&sig[1..], recid) else {
        return false;
    };
    let secp = Secp256k1::verification_only();
    let Ok(pk) = secp.recover_ecdsa(&Message::from_digest(digest), &rsig) else {
        return false;
    };
    let bytes = if compressed {
        pk.serialize().to_vec()
    } else {
        pk.serialize_uncompressed().to_vec()
    };
    let spk = address.script_pubkey();
    spk.is_p2pkh() && spk.as_bytes()[3..23] == hash160::Hash::hash(&bytes)[..]
}

fn regtest(s: &str) -> Address {
    Address::from_str(s)
        .unwrap()
        .require_network(Network::Regtest)
        .unwrap()
}

#[test]
fn core_vector() {
    // Core's rpc_signmessage.py key, address, message and signature.
    let mut ks = Keystore::default();
    import(
        &mut ks,
        "pkh(cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N)",
        KeyAccess::Plain,
    );
    let address = regtest("mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB");
    let message = "This is just a test message";
    let sig = sign_message(&ks, KeyAccess::Plain, &address, message).unwrap();
    assert_eq!(
        sig,
        "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0="
    );
    assert!(verify(&address, &sig, message));
    assert!(!verify(&address, &sig, "This is just a test message."));
}

#[test]
fn round_trip_with_the_default_legacy_descriptor() {
    let mk = KeyingMaterial::new(vec![3; 32]);
    let access = KeyAccess::Unlocked(&mk);
    let mut ks = default_keystore(access);
    let spk = new_script(&mut ks, OutputType::Legacy, false, access);
    let address = Address::from_script(&spk, Network::Regtest).unwrap();
    for message in ["", "hello", &"long ".repeat(100)] {
        let sig = sign_message(&ks, access, &address, message).unwrap();
        assert!(verify(&address, &sig, message), "{message:?}");
        assert!(!verify(&address, &sig, "other"));
    }
    // Locked: the key is not available.
    assert_eq!(
        sign_message(&ks, KeyAccess::Locked, &address, "x"),
        Err(SignError::PrivateKeyNotAvailable)
    );
    assert_eq!(
        SignError::PrivateKeyNotAvailable.to_string(),
        "Private key not available"
    );
}

#[test]
fn only_our_key_hash_addresses_sign() {
    let mut ks = default_keystore(KeyAccess::Plain);
    let wpkh = new_script(&mut ks, OutputType::Bech32, false, KeyAccess::Plain);
    let address = Address::from_script(&wpkh, Network::Regtest).unwrap();
    assert_eq!(
        sign_message(&ks, KeyAccess::Plain, &address, "x"),
        Err(SignError::AddressNoKey)
    );
    assert_eq!(
        SignError::AddressNoKey.to_string(),
        "Address does not refer to key"
    );
    // A P2PKH address the wallet does not own.
    let foreign = regtest("mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB");
    assert_eq!(
        sign_message(&ks, KeyAccess::Plain, &foreign, "x"),
        Err(SignError::PrivateKeyNotAvailable)
    );
    // Watch-only: the script is ours, the key is not.
    let mut watch = Keystore::default();
    let xpub = bitcoin::bip32::Xpub::from_priv(crate::keys::secp(), &master(SEED));
    let id = import(&mut watch, &format!("pkh({xpub}/0/*)"), KeyAccess::Plain);
    let spk = first_script(&watch, id);
    let address = Address::from_script(&spk, Network::Regtest).unwrap();
    assert_eq!(
        sign_message(&watch, KeyAccess::Plain, &address, "x"),
        Err(SignError::PrivateKeyNotAvailable)
    );
}
