//! Aggregating MuSig2 (BIP327) partial signatures into a BIP340 signature,
//! the finalizing half of Core's `SignMuSig2`: key aggregation, the BIP32
//! and taproot tweaks of the aggregate key, nonce aggregation and the final
//! sum. Making nonces or partial signatures needs session state a PSBT RPC
//! does not keep, so only aggregation is done here.

use bitcoin::hashes::{hmac, sha256, sha512, Hash, HashEngine};
use bitcoin::secp256k1::{
    schnorr, Message, PublicKey, Scalar, Secp256k1, SecretKey, XOnlyPublicKey,
};
use std::collections::BTreeMap;

/// The chain code of the synthetic xpub an aggregate key is derived from (BIP328).
pub const MUSIG_CHAINCODE: [u8; 32] = [
    0x86, 0x80, 0x87, 0xca, 0x02, 0xa6, 0xf9, 0x74, 0xc4, 0x59, 0x89, 0x24, 0xc3, 0x6b, 0x57, 0x76,
    0x2d, 0x32, 0xcb, 0x45, 0x71, 0x71, 0x67, 0xe3, 0x00, 0x62, 0x2c, 0x71, 0x67, 0xe3, 0x89, 0x65,
];

/// The curve order.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// A scalar mod the curve order; `None` is zero (which `SecretKey` cannot hold).
type Sc = Option<SecretKey>;

fn sc_mod(mut b: [u8; 32]) -> Sc {
    if b >= ORDER {
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = b[i] as i16 - ORDER[i] as i16 - borrow;
            borrow = (d < 0) as i16;
            b[i] = d.rem_euclid(256) as u8;
        }
    }
    SecretKey::from_slice(&b).ok()
}

/// A scalar given as bytes that must already be below the order.
fn sc_strict(b: [u8; 32]) -> Option<Sc> {
    (b < ORDER).then(|| SecretKey::from_slice(&b).ok())
}

fn sc_add(a: Sc, b: Sc) -> Sc {
    match (a, b) {
        (None, x) | (x, None) => x,
        // A zero sum is the only failure.
        (Some(a), Some(b)) => a.add_tweak(&Scalar::from(b)).ok(),
    }
}

fn sc_mul(a: Sc, b: Sc) -> Sc {
    match (a, b) {
        (Some(a), Some(b)) => a.mul_tweak(&Scalar::from(b)).ok(),
        _ => None,
    }
}

fn sc_bytes(a: Sc) -> [u8; 32] {
    a.map(|k| k.secret_bytes()).unwrap_or([0; 32])
}

/// `k·P`, or `None` for the point at infinity.
fn mul(p: &PublicKey, k: Sc) -> Option<PublicKey> {
    let secp = Secp256k1::verification_only();
    p.mul_tweak(&secp, &Scalar::from(k?)).ok()
}

fn sum(points: &[PublicKey]) -> Option<PublicKey> {
    let refs: Vec<&PublicKey> = points.iter().collect();
    PublicKey::combine_keys(&refs).ok()
}

fn even_y(p: &PublicKey) -> bool {
    p.serialize()[0] == 0x02
}

fn xbytes(p: &PublicKey) -> [u8; 32] {
    p.x_only_public_key().0.serialize()
}

/// BIP340 tagged hash.
pub fn tagged_hash(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let t = sha256::Hash::hash(tag.as_bytes());
    let mut e = sha256::Hash::engine();
    e.input(t.as_byte_array());
    e.input(t.as_byte_array());
    for p in parts {
        e.input(p);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

/// A tweak of the aggregate key: the scalar and whether it is an x-only one.
pub type Tweak = ([u8; 32], bool);

/// BIP32 tweaks deriving `agg` (as a synthetic xpub) along `path`, and the
/// derived key; `None` for hardened steps or invalid results.
pub fn derivation_tweaks(agg: &PublicKey, path: &[u32]) -> Option<(Vec<Tweak>, PublicKey)> {
    let secp = Secp256k1::verification_only();
    let mut key = *agg;
    let mut chaincode = MUSIG_CHAINCODE;
    let mut tweaks = Vec::new();
    for &i in path {
        if i >> 31 != 0 {
            return None;
        }
        let mut e = hmac::HmacEngine::<sha512::Hash>::new(&chaincode);
        e.input(&key.serialize());
        e.input(&i.to_be_bytes());
        let out = hmac::Hmac::<sha512::Hash>::from_engine(e).to_byte_array();
        let tweak: [u8; 32] = out[..32].try_into().ok()?;
        chaincode = out[32..].try_into().ok()?;
        key = key
            .add_exp_tweak(&secp, &Scalar::from_be_bytes(tweak).ok()?)
            .ok()?;
        tweaks.push((tweak, false));
    }
    Some((tweaks, key))
}

/// The aggregate key after tweaks and the accumulated tweak.
struct KeyAgg {
    q: PublicKey,
    tacc: Sc,
}

/// BIP327 `KeyAgg` of the serialized participant keys in the order given:
/// the plain aggregate key; `None` for an invalid key or the point at
/// infinity.
pub fn key_agg(participants: &[Vec<u8>]) -> Option<PublicKey> {
    let keys: Vec<PublicKey> = participants
        .iter()
        .map(|p| PublicKey::from_slice(p).ok())
        .collect::<Option<_>>()?;
    let ser: Vec<[u8; 33]> = keys.iter().map(PublicKey::serialize).collect();
    let list = tagged_hash(
        "KeyAgg list",
        &ser.iter().map(|s| &s[..]).collect::<Vec<_>>(),
    );
    let second = ser.iter().find(|s| **s != ser[0]).copied();
    let mut terms = Vec::new();
    for (k, s) in keys.iter().zip(&ser) {
        let a = if Some(*s) == second {
            SecretKey::from_slice(&[[0u8; 31].as_slice(), &[1]].concat()).ok()
        } else {
            sc_mod(tagged_hash("KeyAgg coefficient", &[&list, s]))
        };
        terms.push(mul(k, a)?);
    }
    sum(&terms)
}

impl KeyAgg {
    fn apply(&mut self, (t, xonly): Tweak) -> Option<()> {
        let secp = Secp256k1::verification_only();
        let negate = xonly && !even_y(&self.q);
        let t = sc_strict(t)?;
        let base = if negate { self.q.negate(&secp) } else { self.q };
        self.q = match t {
            Some(t) => base.add_exp_tweak(&secp, &Scalar::from(t)).ok()?,
            None => base,
        };
        let g_tacc = if negate {
            self.tacc.map(|k| k.negate())
        } else {
            self.tacc
        };
        self.tacc = sc_add(t, g_tacc);
        Some(())
    }
}

/// Aggregates the participants' nonces and partial signatures over `msg`
/// for the key `agg` tweaked by `tweaks`; the BIP340 signature (64 bytes)
/// if it verifies.
pub fn aggregate(
    participants: &[Vec<u8>],
    agg: &[u8],
    tweaks: &[Tweak],
    msg: [u8; 32],
    pubnonces: &BTreeMap<Vec<u8>, Vec<u8>>,
    partial_sigs: &BTreeMap<Vec<u8>, [u8; 32]>,
) -> Option<Vec<u8>> {
    if participants.is_empty()
        || pubnonces.len() != participants.len()
        || partial_sigs.len() != participants.len()
    {
        return None;
    }
    let q = key_agg(participants)?;
    if q.serialize()[..] != *agg {
        return None;
    }
    let mut ka = KeyAgg { q, tacc: None };
    for t in tweaks {
        ka.apply(*t)?;
    }
    let (mut r1, mut r2, mut s) = (Vec::new(), Vec::new(), None);
    for p in participants {
        let nonce = pubnonces.get(p)?;
        if nonce.len() != 66 {
            return None;
        }
        r1.push(PublicKey::from_slice(&nonce[..33]).ok()?);
        r2.push(PublicKey::from_slice(&nonce[33..]).ok()?);
        s = sc_add(s, sc_strict(*partial_sigs.get(p)?)?);
    }
    let (r1, r2) = (sum(&r1)?, sum(&r2)?);
    let qx = xbytes(&ka.q);
    let b = sc_mod(tagged_hash(
        "MuSig/noncecoef",
        &[&r1.serialize(), &r2.serialize(), &qx, &msg],
    ));
    let r = match mul(&r2, b) {
        Some(br2) => r1.combine(&br2).ok()?,
        None => r1,
    };
    let rx = xbytes(&r);
    let e = sc_mod(tagged_hash("BIP0340/challenge", &[&rx, &qx, &msg]));
    let g_negated = !even_y(&ka.q);
    let et = sc_mul(e, ka.tacc);
    s = sc_add(
        s,
        if g_negated {
            et.map(|k| k.negate())
        } else {
            et
        },
    );
    let sig = [rx, sc_bytes(s)].concat();
    let secp = Secp256k1::verification_only();
    let sig_obj = schnorr::Signature::from_slice(&sig).ok()?;
    let key = XOnlyPublicKey::from_slice(&qx).ok()?;
    secp.verify_schnorr(&sig_obj, &Message::from_digest(msg), &key)
        .ok()?;
    Some(sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_reduce_mod_the_order() {
        let mut over = ORDER;
        over[31] += 1;
        assert_eq!(sc_bytes(sc_mod(over))[31], 1);
        assert_eq!(sc_mod(ORDER), None);
        assert_eq!(sc_strict(ORDER), None);
        let one = sc_mod(
            [[0u8; 31].as_slice(), &[1]]
                .concat()
                .try_into()
                .unwrap_or([0; 32]),
        );
        assert_eq!(sc_add(one, one.map(|k| k.negate())), None);
    }

    #[test]
    fn hardened_derivation_of_an_aggregate_is_refused() {
        let secp = Secp256k1::new();
        let key = SecretKey::from_slice(&[7u8; 32])
            .expect("key")
            .public_key(&secp);
        assert!(derivation_tweaks(&key, &[0x8000_0000]).is_none());
        let (tweaks, derived) = derivation_tweaks(&key, &[1, 2]).expect("unhardened");
        assert_eq!(tweaks.len(), 2);
        assert_ne!(derived, key);
    }

    #[test]
    fn aggregation_needs_every_participant() {
        let secp = Secp256k1::new();
        let part = SecretKey::from_slice(&[9u8; 32])
            .expect("key")
            .public_key(&secp);
        let parts = vec![part.serialize().to_vec()];
        let agg = key_agg(&parts).expect("aggregate");
        let none = BTreeMap::new();
        assert!(aggregate(
            &parts,
            &agg.serialize(),
            &[],
            [0; 32],
            &none,
            &BTreeMap::new()
        )
        .is_none());
    }
}
