//! Core's `CWallet::SignMessage` (`signmessage`): a compact recoverable
//! signature over the "Bitcoin Signed Message" hash, by the key of a P2PKH
//! address the wallet owns, so `verifymessage` recovers that key.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::Message;
use bitcoin::sign_message::{signed_msg_hash, MessageSignature};
use bitcoin::Address;

use super::error::SignError;
use crate::keys::KeyAccess;
use crate::wallet::keystore::Keystore;

/// Signs `message` with the key behind `address`, returning the base64
/// signature. Only P2PKH addresses name a key; the first descriptor owning
/// the address answers, and a locked or watch-only one has no key to give.
/// (The RPC checks that the wallet is unlocked before calling this.)
pub fn sign_message(
    keystore: &Keystore,
    access: KeyAccess<'_>,
    address: &Address,
    message: &str,
) -> Result<String, SignError> {
    let spk = address.script_pubkey();
    if !spk.is_p2pkh() {
        return Err(SignError::AddressNoKey);
    }
    let hash = spk.as_bytes().get(3..23).ok_or(SignError::AddressNoKey)?;
    let Some(spkm) = keystore.spkms.values().find(|s| s.is_mine(&spk)) else {
        return Err(SignError::PrivateKeyNotAvailable);
    };
    let provider = spkm
        .signing_provider(&spk, true, access)?
        .ok_or(SignError::PrivateKeyNotAvailable)?;
    let secp = crate::keys::secp();
    let key = provider
        .keys
        .values()
        .find(|k| k.public_key(secp).pubkey_hash().as_byte_array().as_slice() == hash)
        .ok_or(SignError::PrivateKeyNotAvailable)?;
    let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
    // RFC6979 without extra entropy, as Core's SignCompact.
    let signature = secp.sign_ecdsa_recoverable(&digest, &key.inner);
    Ok(MessageSignature::new(signature, key.compressed).to_base64())
}
