//! The secret nonces of the MuSig2 sessions the wallet takes part in
//! (Core's `m_musig2_secnonces`).

use std::collections::HashMap;
use std::sync::Mutex;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use utility_rpc::musig2::{SecNonce, PUBNONCE_SIZE};

/// Secret nonces by Core's session id (`MuSig2SessionID`). They live in
/// memory only, as in Core (a restart abandons the sessions), and are
/// removed when they sign, so a nonce never signs twice. Behind a mutex
/// because signing works on a shared keystore.
#[derive(Default)]
pub struct MuSigSessions(Mutex<HashMap<[u8; 32], SecNonce>>);

impl std::fmt::Debug for MuSigSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MuSigSessions({} open)", self.len())
    }
}

impl MuSigSessions {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], SecNonce>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps the secret nonce of session `id`.
    pub(super) fn insert(&self, id: [u8; 32], nonce: SecNonce) {
        self.map().insert(id, nonce);
    }

    /// Removes and returns the secret nonce of session `id`.
    pub(super) fn take(&self, id: &[u8; 32]) -> Option<SecNonce> {
        self.map().remove(id)
    }

    /// How many sessions wait for their partial signature.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Core's `MuSig2SessionID`: SHA256 of the key signed for, the
/// participant's key, the signature hash and the public nonce, serialized
/// as Core serializes them (keys and the nonce length-prefixed).
pub(super) fn session_id(
    signed_key: &[u8; 33],
    participant: &[u8; 33],
    sighash: &[u8; 32],
    pubnonce: &[u8; PUBNONCE_SIZE],
) -> [u8; 32] {
    let mut e = sha256::Hash::engine();
    for key in [signed_key, participant] {
        e.input(&[33]);
        e.input(key);
    }
    e.input(sighash);
    // A one-byte compact size: the nonce is 66 bytes.
    e.input(&[PUBNONCE_SIZE as u8]);
    e.input(pubnonce);
    sha256::Hash::from_engine(e).to_byte_array()
}
