//! Message signing and verification ("Bitcoin Signed Message") with Core's
//! strict base64 rules and result categories.

use crate::address::{self, ChainParams, Destination};
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{ecdsa, Message, Secp256k1};
use bitcoin::sign_message::{signed_msg_hash, MessageSignature};

/// Outcome of checking a signed message, as Core's `MessageVerificationResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The address did not parse.
    InvalidAddress,
    /// The address is not P2PKH.
    AddressNoKey,
    /// The signature is not valid base64.
    MalformedSignature,
    /// No public key could be recovered.
    PubkeyNotRecovered,
    /// A key was recovered but it is not the address's key.
    NotSigned,
    /// The signature is good.
    Ok,
}

/// Decodes base64 the way Core's `DecodeBase64` does (one implementation,
/// shared with PSBTs).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    psbt::base64::decode(s)
}

/// Core's `MessageVerify`.
pub fn verify(address: &str, signature: &str, message: &str, params: &ChainParams) -> Verification {
    let Ok(dest) = address::decode(address, params) else {
        return Verification::InvalidAddress;
    };
    let Destination::PubKeyHash(hash) = dest else {
        return Verification::AddressNoKey;
    };
    let Some(sig) = decode_base64(signature) else {
        return Verification::MalformedSignature;
    };
    let Ok(sig) = MessageSignature::from_slice(&sig) else {
        return Verification::PubkeyNotRecovered;
    };
    let secp = Secp256k1::verification_only();
    let Ok(pubkey) = sig.recover_pubkey(&secp, signed_msg_hash(message)) else {
        return Verification::PubkeyNotRecovered;
    };
    if pubkey.pubkey_hash().to_byte_array() == hash {
        Verification::Ok
    } else {
        Verification::NotSigned
    }
}

/// Signs `message` with a WIF key; `None` if the key is not valid on this network.
pub fn sign(wif: &str, message: &str, params: &ChainParams) -> Option<String> {
    let (key, compressed) = address::decode_secret(wif, params)?;
    let secp = Secp256k1::signing_only();
    let msg = Message::from_digest(signed_msg_hash(message).to_byte_array());
    let signature: ecdsa::RecoverableSignature = secp.sign_ecdsa_recoverable(&msg, &key);
    Some(
        MessageSignature {
            signature,
            compressed,
        }
        .to_base64(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_strict() {
        assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_base64("aGk"), None);
        assert_eq!(decode_base64("aGl="), None);
        assert_eq!(decode_base64("a#k="), None);
        assert_eq!(decode_base64(""), Some(vec![]));
    }

    #[test]
    fn sign_then_verify() {
        let p = ChainParams::for_network(bitcoin::Network::Regtest);
        let wif = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
        let sig = sign(wif, "This is just a test message", &p).unwrap();
        assert_eq!(sig, "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0=");
        assert_eq!(
            verify(
                "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB",
                &sig,
                "This is just a test message",
                &p
            ),
            Verification::Ok
        );
        assert_eq!(
            verify("mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB", &sig, "other", &p),
            Verification::NotSigned
        );
        assert_eq!(verify("bad", &sig, "m", &p), Verification::InvalidAddress);
        assert_eq!(
            verify("mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB", "!!", "m", &p),
            Verification::MalformedSignature
        );
    }
}
