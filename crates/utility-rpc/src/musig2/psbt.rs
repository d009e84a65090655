//! The MuSig2 steps as Core's signer takes them over PSBT data (BIP373):
//! participants listed per aggregate key, public nonces and partial
//! signatures per participant (Core's `CreateMuSig2Nonce`,
//! `CreateMuSig2PartialSig`, `CreateMuSig2AggregateSig`), and how an
//! aggregate key relates to the key a script uses (`SignMuSig2`).

use std::collections::BTreeMap;

use bitcoin::key::TapTweak;
use bitcoin::secp256k1::{PublicKey, SecretKey, XOnlyPublicKey};
use bitcoin::taproot::{TapNodeHash, TapTweakHash};
use bitcoin::NetworkKind;

use super::bip328::{derivation_tweaks, synthetic_xpub};
use super::keyagg::{KeyAggContext, Tweak};
use super::nonce::{nonce_agg, nonce_gen, SecNonce, PUBNONCE_SIZE};
use super::scalar::secp;
use super::session::Session;

/// Public nonces or partial signatures by participant key.
pub type ByParticipant<V> = BTreeMap<Vec<u8>, V>;

/// Key aggregation of `participants` in the order listed, which must give
/// `aggregate` (Core's `MuSig2AggregatePubkeys` with an expected key).
fn keyagg_expecting(participants: &[Vec<u8>], aggregate: &[u8]) -> Option<KeyAggContext> {
    let ctx = KeyAggContext::new(participants).ok()?;
    (ctx.aggregate().serialize()[..] == *aggregate).then_some(ctx)
}

/// Core's `CreateMuSig2Nonce`: a nonce for the holder of `sk` to sign
/// `sighash` for `aggregate`, from the fresh randomness `rand`. `None` if
/// the participants do not aggregate to `aggregate`.
pub fn create_nonce(
    rand: &[u8; 32],
    sk: &SecretKey,
    participants: &[Vec<u8>],
    aggregate: &[u8],
    sighash: &[u8; 32],
) -> Option<(SecNonce, [u8; PUBNONCE_SIZE])> {
    let ctx = keyagg_expecting(participants, aggregate)?;
    let pk = PublicKey::from_secret_key(secp(), sk).serialize();
    nonce_gen(rand, Some(sk), &pk, Some(&ctx.xonly()), Some(sighash), None).ok()
}

/// The session of `sighash` once every participant's public nonce is
/// known, with `tweaks` applied to the key aggregation (the first part of
/// Core's `CreateMuSig2PartialSig`, before the secret nonce is used).
pub fn signing_session(
    sighash: &[u8; 32],
    aggregate: &[u8],
    participants: &[Vec<u8>],
    pubnonces: &ByParticipant<Vec<u8>>,
    tweaks: &[Tweak],
) -> Option<Session> {
    let mut ctx = keyagg_expecting(participants, aggregate)?;
    if pubnonces.len() != participants.len() {
        return None;
    }
    let nonces: Vec<&Vec<u8>> = participants
        .iter()
        .map(|p| pubnonces.get(p))
        .collect::<Option<_>>()?;
    let aggnonce = nonce_agg(&nonces).ok()?;
    ctx.apply_tweaks(tweaks).ok()?;
    Session::new(ctx, &aggnonce, sighash).ok()
}

/// Core's `CreateMuSig2AggregateSig`: the BIP340 signature of `sighash`
/// from every participant's nonce and partial signature, each partial
/// signature verified first.
pub fn create_aggregate_sig(
    participants: &[Vec<u8>],
    aggregate: &[u8],
    tweaks: &[Tweak],
    sighash: &[u8; 32],
    pubnonces: &ByParticipant<Vec<u8>>,
    partial_sigs: &ByParticipant<[u8; 32]>,
) -> Option<[u8; 64]> {
    if participants.is_empty() || partial_sigs.len() != participants.len() {
        return None;
    }
    let session = signing_session(sighash, aggregate, participants, pubnonces, tweaks)?;
    let mut psigs = Vec::with_capacity(participants.len());
    for p in participants {
        let (psig, nonce) = (partial_sigs.get(p)?, pubnonces.get(p)?);
        if !session.verify_partial(psig, nonce, p).ok()? {
            return None;
        }
        psigs.push(*psig);
    }
    session.aggregate(&psigs).ok()
}

/// How the key a script uses, `script_key`, comes from `aggregate`
/// (Core's `SignMuSig2`): as it is, or derived from its synthetic xpub
/// along the path of `origin` (whose fingerprint must be the aggregate's),
/// and for a key-path spend of an internal key (`merkle_root` given) with
/// the taproot tweak added. Returns the tweaks signers apply and the
/// resulting key, under which the PSBT files nonces and partial
/// signatures; `None` if `script_key` is not `aggregate`'s.
pub fn session_key(
    aggregate: &PublicKey,
    script_key: &[u8; 32],
    origin: Option<([u8; 4], &[u32])>,
    merkle_root: Option<Option<TapNodeHash>>,
) -> Option<(Vec<Tweak>, PublicKey)> {
    let mut tweaks = Vec::new();
    let mut key = *aggregate;
    if aggregate.x_only_public_key().0.serialize() != *script_key {
        let (fingerprint, path) = origin.filter(|(_, path)| !path.is_empty())?;
        if synthetic_xpub(aggregate, NetworkKind::Main)
            .fingerprint()
            .to_bytes()
            != fingerprint
        {
            return None;
        }
        let (derivation, derived) = derivation_tweaks(aggregate, path)?;
        if derived.x_only_public_key().0.serialize() != *script_key {
            return None;
        }
        tweaks = derivation;
        key = derived;
    }
    if let Some(root) = merkle_root {
        let internal = XOnlyPublicKey::from_slice(script_key).ok()?;
        let t = TapTweakHash::from_key_and_tweak(internal, root).to_scalar();
        let (tweaked, parity) = internal.tap_tweak(secp(), root);
        tweaks.push((t.to_be_bytes(), true));
        key = PublicKey::from_x_only_public_key(tweaked.to_x_only_public_key(), parity);
    }
    Some((tweaks, key))
}
