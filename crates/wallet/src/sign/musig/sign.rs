//! Core's `SignMuSig2` for one key of a taproot spend: for each aggregate
//! key the PSBT lists that is, or derives, the key, aggregate the partial
//! signatures if all are there; else add the partial signatures of our
//! participants once every nonce is there; else add our public nonces.

use bitcoin::hashes::Hash;
use bitcoin::psbt::Input;
use bitcoin::secp256k1::{schnorr, PublicKey, XOnlyPublicKey};
use bitcoin::sighash::TapSighashType;
use bitcoin::taproot::{self, TapLeafHash, TapNodeHash};
use bitcoin::PrivateKey;
use rand::RngCore;
use utility_rpc::musig2::{self, PUBNONCE_SIZE};

use super::fields::InputMuSig;
use super::sessions::{session_id, MuSigSessions};
use crate::keys::KeyMap;

/// What MuSig2 signing of one taproot input needs besides the input.
pub(in crate::sign) struct MuSigSpend<'s> {
    /// The sighash type the signature carries.
    pub ty: TapSighashType,
    /// The signature hash of the key path (`None`) or a leaf.
    pub sighash: &'s mut dyn FnMut(Option<TapLeafHash>) -> Option<[u8; 32]>,
    /// Where secret nonces wait for their partial signature.
    pub sessions: &'s MuSigSessions,
}

/// Our private key for participant `part`.
fn secret_for<'k>(keys: &'k KeyMap, part: &[u8]) -> Option<&'k PrivateKey> {
    keys.get(&bitcoin::PublicKey::from_slice(part).ok()?)
}

/// `SignMuSig2` for `script_key`: the key-path output or internal key
/// (`merkle_root` given for the internal key, whose taproot tweak the
/// signers add), or a key of `leaf`. The key's BIP32 origin, which says how
/// it derives from an aggregate, is the PSBT's, as Core reads it.
pub(in crate::sign) fn sign_musig(
    input: &mut Input,
    fields: &mut InputMuSig,
    keys: &KeyMap,
    spend: &mut MuSigSpend<'_>,
    script_key: XOnlyPublicKey,
    merkle_root: Option<Option<TapNodeHash>>,
    leaf: Option<TapLeafHash>,
) {
    let xkey = script_key.serialize();
    let origin: Option<([u8; 4], Vec<u32>)> =
        input
            .tap_key_origins
            .get(&script_key)
            .map(|(_, (fp, path))| {
                (
                    fp.to_bytes(),
                    path.into_iter().map(|c| u32::from(*c)).collect(),
                )
            });
    let root = merkle_root.filter(|_| leaf.is_none());
    let leaf_bytes = leaf.map_or([0; 32], |l| l.to_byte_array());
    let mut sighash = None;
    for (agg, parts) in fields.participants.clone() {
        if parts.is_empty() {
            continue;
        }
        let Ok(agg_pk) = PublicKey::from_slice(&agg) else {
            continue;
        };
        let agg_origin = origin.as_ref().map(|(f, p)| (*f, p.as_slice()));
        let Some((tweaks, signed_key)) = musig2::session_key(&agg_pk, &xkey, agg_origin, root)
        else {
            continue;
        };
        let msg = match sighash {
            Some(m) => m,
            None => match (spend.sighash)(leaf) {
                Some(m) => *sighash.insert(m),
                None => return,
            },
        };
        let signed_key = signed_key.serialize();
        let lookup = (signed_key.to_vec(), leaf_bytes);
        let nonces = fields.pubnonces.get(&lookup).cloned().unwrap_or_default();
        if let Some(sig) = fields
            .partial_sigs
            .get(&lookup)
            .and_then(|psigs| {
                musig2::create_aggregate_sig(&parts, &agg, &tweaks, &msg, &nonces, psigs)
            })
            .and_then(|s| schnorr::Signature::from_slice(&s).ok())
        {
            let sig = taproot::Signature {
                signature: sig,
                sighash_type: spend.ty,
            };
            match leaf {
                None => input.tap_key_sig = Some(sig),
                Some(l) => {
                    input.tap_script_sigs.insert((script_key, l), sig);
                }
            }
            continue;
        }
        add_partial_sigs(
            fields, keys, spend, &parts, &agg, &tweaks, &msg, &lookup, &nonces,
        );
        if fields
            .partial_sigs
            .get(&lookup)
            .is_some_and(|m| !m.is_empty())
        {
            continue;
        }
        add_nonces(fields, keys, spend, &parts, &agg, &msg, &lookup);
    }
}

/// Our participants' partial signatures, once every participant's public
/// nonce is present; each uses up the secret nonce it was made with.
#[allow(clippy::too_many_arguments)]
fn add_partial_sigs(
    fields: &mut InputMuSig,
    keys: &KeyMap,
    spend: &MuSigSpend<'_>,
    parts: &[Vec<u8>],
    agg: &[u8],
    tweaks: &[musig2::Tweak],
    msg: &[u8; 32],
    lookup: &(Vec<u8>, [u8; 32]),
    nonces: &musig2::ByParticipant<Vec<u8>>,
) {
    if nonces.len() != parts.len() {
        return;
    }
    let Some(session) = musig2::signing_session(msg, agg, parts, nonces, tweaks) else {
        return;
    };
    let Ok(signed_key) = <[u8; 33]>::try_from(lookup.0.as_slice()) else {
        return;
    };
    for part in parts {
        let Some(sk) = secret_for(keys, part) else {
            continue;
        };
        let (Ok(part33), Some(Ok(nonce))) = (
            <[u8; 33]>::try_from(part.as_slice()),
            nonces
                .get(part)
                .map(|n| <&[u8; PUBNONCE_SIZE]>::try_from(n.as_slice())),
        ) else {
            continue;
        };
        // Without the secret nonce (another wallet's, or already used)
        // there is nothing to sign with.
        let Some(secnonce) = spend
            .sessions
            .take(&session_id(&signed_key, &part33, msg, nonce))
        else {
            continue;
        };
        if let Ok(psig) = session.sign(secnonce, &sk.inner) {
            fields
                .partial_sigs
                .entry(lookup.clone())
                .or_default()
                .insert(part.clone(), psig);
        }
    }
}

/// Public nonces for our participants that have none yet, their secret
/// nonces kept for the partial signatures.
#[allow(clippy::too_many_arguments)]
fn add_nonces(
    fields: &mut InputMuSig,
    keys: &KeyMap,
    spend: &MuSigSpend<'_>,
    parts: &[Vec<u8>],
    agg: &[u8],
    msg: &[u8; 32],
    lookup: &(Vec<u8>, [u8; 32]),
) {
    let Ok(signed_key) = <[u8; 33]>::try_from(lookup.0.as_slice()) else {
        return;
    };
    for part in parts {
        if fields
            .pubnonces
            .get(lookup)
            .is_some_and(|m| m.contains_key(part))
        {
            continue;
        }
        let (Some(sk), Ok(part33)) = (
            secret_for(keys, part),
            <[u8; 33]>::try_from(part.as_slice()),
        ) else {
            continue;
        };
        let mut rand = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut rand);
        let Some((secnonce, pubnonce)) = musig2::create_nonce(&rand, &sk.inner, parts, agg, msg)
        else {
            continue;
        };
        spend
            .sessions
            .insert(session_id(&signed_key, &part33, msg, &pubnonce), secnonce);
        fields
            .pubnonces
            .entry(lookup.clone())
            .or_default()
            .insert(part.clone(), pubnonce.to_vec());
    }
}
