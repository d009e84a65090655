//! BIP327's test vectors (`vectors/*.json`, copied from the BIP).

use bitcoin::secp256k1::{schnorr, Message, SecretKey, XOnlyPublicKey};
use serde_json::Value;

use super::*;

fn vectors(text: &str) -> Value {
    serde_json::from_str(text).expect("vector file is JSON")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn arr32(v: &Value) -> [u8; 32] {
    bytes(v).try_into().expect("32 bytes")
}

fn list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array().expect("array").iter().map(bytes).collect()
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|i| i.as_u64().expect("index") as usize)
        .collect()
}

fn pick<T: Clone>(all: &[T], idx: &Value) -> Vec<T> {
    indices(idx).into_iter().map(|i| all[i].clone()).collect()
}

fn tweaks_of(case: &Value, all: &[Vec<u8>]) -> Vec<Tweak> {
    let xonly = case["is_xonly"].as_array().expect("array");
    pick(all, &case["tweak_indices"])
        .into_iter()
        .zip(xonly)
        .map(|(t, x)| (t.try_into().expect("32 bytes"), x.as_bool().expect("bool")))
        .collect()
}

/// The participant an "invalid_contribution" error blames.
fn blamed(case: &Value) -> Option<usize> {
    case["error"]["signer"].as_u64().map(|i| i as usize)
}

#[test]
fn key_agg_vectors() {
    let v = vectors(include_str!("vectors/key_agg_vectors.json"));
    let keys = list(&v["pubkeys"]);
    let tweaks = list(&v["tweaks"]);
    for case in v["valid_test_cases"].as_array().expect("cases") {
        let ctx = KeyAggContext::new(&pick(&keys, &case["key_indices"])).expect("valid");
        assert_eq!(ctx.xonly().to_vec(), bytes(&case["expected"]));
    }
    for case in v["error_test_cases"].as_array().expect("cases") {
        let result = KeyAggContext::new(&pick(&keys, &case["key_indices"]))
            .and_then(|mut ctx| ctx.apply_tweaks(&tweaks_of(case, &tweaks)));
        let expected = match (case["error"]["contrib"].as_str(), blamed(case)) {
            (Some("pubkey"), Some(i)) => Error::InvalidPubkey(i),
            _ if case["comment"].as_str() == Some("Tweak is out of range") => Error::InvalidTweak,
            _ => Error::InfiniteKey,
        };
        assert_eq!(result, Err(expected), "{}", case["comment"]);
    }
}

#[test]
fn nonce_gen_vectors() {
    let v = vectors(include_str!("vectors/nonce_gen_vectors.json"));
    for case in v["test_cases"].as_array().expect("cases") {
        let opt = |k: &str| (!case[k].is_null()).then(|| bytes(&case[k]));
        let sk = opt("sk").map(|b| SecretKey::from_slice(&b).expect("secret key"));
        let pk: [u8; 33] = bytes(&case["pk"]).try_into().expect("33 bytes");
        let aggpk: Option<[u8; 32]> = opt("aggpk").map(|b| b.try_into().expect("32 bytes"));
        let (msg, extra) = (opt("msg"), opt("extra_in"));
        let (sec, public) = nonce_gen(
            &arr32(&case["rand_"]),
            sk.as_ref(),
            &pk,
            aggpk.as_ref(),
            msg.as_deref(),
            extra.as_deref(),
        )
        .expect("nonce");
        assert_eq!(sec.to_bytes(), bytes(&case["expected_secnonce"]));
        assert_eq!(public.to_vec(), bytes(&case["expected_pubnonce"]));
    }
}

#[test]
fn nonce_agg_vectors() {
    let v = vectors(include_str!("vectors/nonce_agg_vectors.json"));
    let nonces = list(&v["pnonces"]);
    for case in v["valid_test_cases"].as_array().expect("cases") {
        let agg = nonce_agg(&pick(&nonces, &case["pnonce_indices"])).expect("valid");
        assert_eq!(agg.to_vec(), bytes(&case["expected"]));
    }
    for case in v["error_test_cases"].as_array().expect("cases") {
        let result = nonce_agg(&pick(&nonces, &case["pnonce_indices"]));
        let i = blamed(case).expect("blamed signer");
        assert_eq!(
            result,
            Err(Error::InvalidPubnonce(i)),
            "{}",
            case["comment"]
        );
    }
}

/// A session over `keys` with `tweaks`, as the vectors set them up.
fn session(
    keys: &[Vec<u8>],
    tweaks: &[Tweak],
    aggnonce: &[u8],
    msg: &[u8],
) -> Result<Session, Error> {
    let mut ctx = KeyAggContext::new(keys)?;
    ctx.apply_tweaks(tweaks)?;
    Session::new(ctx, aggnonce, msg)
}

#[test]
fn sign_verify_vectors() {
    let v = vectors(include_str!("vectors/sign_verify_vectors.json"));
    let sk = SecretKey::from_slice(&bytes(&v["sk"])).expect("secret key");
    let keys = list(&v["pubkeys"]);
    let secnonces = list(&v["secnonces"]);
    let nonces = list(&v["pnonces"]);
    let aggnonces = list(&v["aggnonces"]);
    let msgs = list(&v["msgs"]);
    let secnonce = |i: usize| SecNonce::from_bytes(&secnonces[i]).expect("97 bytes");
    for case in v["valid_test_cases"].as_array().expect("cases") {
        let (pks, pns) = (
            pick(&keys, &case["key_indices"]),
            pick(&nonces, &case["nonce_indices"]),
        );
        let aggnonce = &aggnonces[case["aggnonce_index"].as_u64().expect("index") as usize];
        assert_eq!(nonce_agg(&pns).expect("valid").to_vec(), *aggnonce);
        let msg = &msgs[case["msg_index"].as_u64().expect("index") as usize];
        let s = session(&pks, &[], aggnonce, msg).expect("session");
        let psig = s.sign(secnonce(0), &sk).expect("signs");
        assert_eq!(psig.to_vec(), bytes(&case["expected"]));
        let signer = case["signer_index"].as_u64().expect("index") as usize;
        assert_eq!(
            partial_sig_verify(&psig, &pns, &pks, &[], msg, signer),
            Ok(true)
        );
    }
    for case in v["sign_error_test_cases"].as_array().expect("cases") {
        let pks = pick(&keys, &case["key_indices"]);
        let aggnonce = &aggnonces[case["aggnonce_index"].as_u64().expect("index") as usize];
        let msg = &msgs[case["msg_index"].as_u64().expect("index") as usize];
        let sec = secnonce(case["secnonce_index"].as_u64().expect("index") as usize);
        let result = session(&pks, &[], aggnonce, msg).and_then(|s| s.sign(sec, &sk));
        let expected = match (case["error"]["contrib"].as_str(), blamed(case)) {
            (Some("pubkey"), Some(i)) => Error::InvalidPubkey(i),
            (Some("aggnonce"), _) => Error::InvalidAggnonce,
            _ if case["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("secnonce")) =>
            {
                Error::InvalidSecNonce
            }
            _ => Error::NotAParticipant,
        };
        assert_eq!(result, Err(expected), "{}", case["comment"]);
    }
    for case in v["verify_fail_test_cases"].as_array().expect("cases") {
        let (pks, pns) = (
            pick(&keys, &case["key_indices"]),
            pick(&nonces, &case["nonce_indices"]),
        );
        let msg = &msgs[case["msg_index"].as_u64().expect("index") as usize];
        let signer = case["signer_index"].as_u64().expect("index") as usize;
        let result = partial_sig_verify(&arr32(&case["sig"]), &pns, &pks, &[], msg, signer);
        assert_eq!(result, Ok(false), "{}", case["comment"]);
    }
    for case in v["verify_error_test_cases"].as_array().expect("cases") {
        let (pks, pns) = (
            pick(&keys, &case["key_indices"]),
            pick(&nonces, &case["nonce_indices"]),
        );
        let msg = &msgs[case["msg_index"].as_u64().expect("index") as usize];
        let signer = case["signer_index"].as_u64().expect("index") as usize;
        let result = partial_sig_verify(&arr32(&case["sig"]), &pns, &pks, &[], msg, signer);
        let i = blamed(case).expect("blamed signer");
        let expected = match case["error"]["contrib"].as_str() {
            Some("pubnonce") => Error::InvalidPubnonce(i),
            _ => Error::InvalidPubkey(i),
        };
        assert_eq!(result, Err(expected), "{}", case["comment"]);
    }
}

#[test]
fn tweak_vectors() {
    let v = vectors(include_str!("vectors/tweak_vectors.json"));
    let sk = SecretKey::from_slice(&bytes(&v["sk"])).expect("secret key");
    let keys = list(&v["pubkeys"]);
    let nonces = list(&v["pnonces"]);
    let tweaks = list(&v["tweaks"]);
    let aggnonce = bytes(&v["aggnonce"]);
    let msg = bytes(&v["msg"]);
    let secnonce = || SecNonce::from_bytes(&bytes(&v["secnonce"])).expect("97 bytes");
    assert_eq!(nonce_agg(&nonces[..3]).expect("valid").to_vec(), aggnonce);
    for case in v["valid_test_cases"].as_array().expect("cases") {
        let (pks, pns) = (
            pick(&keys, &case["key_indices"]),
            pick(&nonces, &case["nonce_indices"]),
        );
        let t = tweaks_of(case, &tweaks);
        let psig = session(&pks, &t, &aggnonce, &msg)
            .and_then(|s| s.sign(secnonce(), &sk))
            .expect("signs");
        assert_eq!(
            psig.to_vec(),
            bytes(&case["expected"]),
            "{}",
            case["comment"]
        );
        let signer = case["signer_index"].as_u64().expect("index") as usize;
        assert_eq!(
            partial_sig_verify(&psig, &pns, &pks, &t, &msg, signer),
            Ok(true)
        );
    }
    for case in v["error_test_cases"].as_array().expect("cases") {
        let pks = pick(&keys, &case["key_indices"]);
        let result = session(&pks, &tweaks_of(case, &tweaks), &aggnonce, &msg)
            .and_then(|s| s.sign(secnonce(), &sk));
        assert_eq!(result, Err(Error::InvalidTweak), "{}", case["comment"]);
    }
}

#[test]
fn sig_agg_vectors() {
    let v = vectors(include_str!("vectors/sig_agg_vectors.json"));
    let keys = list(&v["pubkeys"]);
    let nonces = list(&v["pnonces"]);
    let tweaks = list(&v["tweaks"]);
    let psigs: Vec<[u8; 32]> = list(&v["psigs"])
        .into_iter()
        .map(|p| p.try_into().expect("32 bytes"))
        .collect();
    let msg = arr32(&v["msg"]);
    for case in v["valid_test_cases"].as_array().expect("cases") {
        let aggnonce = bytes(&case["aggnonce"]);
        let pns = pick(&nonces, &case["nonce_indices"]);
        assert_eq!(nonce_agg(&pns).expect("valid").to_vec(), aggnonce);
        let pks = pick(&keys, &case["key_indices"]);
        let t = tweaks_of(case, &tweaks);
        let s = session(&pks, &t, &aggnonce, &msg).expect("session");
        let sig = s
            .aggregate(&pick(&psigs, &case["psig_indices"]))
            .expect("aggregates");
        assert_eq!(sig.to_vec(), bytes(&case["expected"]));
        let mut ctx = KeyAggContext::new(&pks).expect("keys");
        ctx.apply_tweaks(&t).expect("tweaks");
        let key = XOnlyPublicKey::from_slice(&ctx.xonly()).expect("x-only key");
        let sig = schnorr::Signature::from_slice(&sig).expect("signature");
        scalar::secp()
            .verify_schnorr(&sig, &Message::from_digest(msg), &key)
            .expect("BIP340 signature verifies");
    }
    for case in v["error_test_cases"].as_array().expect("cases") {
        let aggnonce = nonce_agg(&pick(&nonces, &case["nonce_indices"])).expect("valid");
        let pks = pick(&keys, &case["key_indices"]);
        let s = session(&pks, &tweaks_of(case, &tweaks), &aggnonce, &msg).expect("session");
        let result = s.aggregate(&pick(&psigs, &case["psig_indices"]));
        assert_eq!(
            result,
            Err(Error::InvalidPartialSig(blamed(case))),
            "{}",
            case["comment"]
        );
    }
}

/// A whole session between three signers, through the PSBT-level steps
/// Core's signer takes: nonces, partial signatures, aggregation, with a
/// BIP32 derivation and a taproot tweak of the aggregate.
#[test]
fn three_signers_sign_a_derived_and_tweaked_key() {
    let secp = scalar::secp();
    let sks: Vec<SecretKey> = (1u8..=3)
        .map(|i| SecretKey::from_slice(&[i; 32]).expect("secret key"))
        .collect();
    let mut parts: Vec<Vec<u8>> = sks
        .iter()
        .map(|k| k.public_key(secp).serialize().to_vec())
        .collect();
    parts.sort();
    let agg = KeyAggContext::new(&parts).expect("keys").aggregate();
    let (_, derived) = derivation_tweaks(&agg, &[0, 7]).expect("derives");
    let script_key = derived.x_only_public_key().0.serialize();
    let fingerprint = synthetic_xpub(&agg, bitcoin::NetworkKind::Main)
        .fingerprint()
        .to_bytes();
    let (tweaks, plain) =
        session_key(&agg, &script_key, Some((fingerprint, &[0, 7])), Some(None)).expect("tweaks");
    assert_eq!(tweaks.len(), 3);
    assert!(session_key(&agg, &script_key, None, None).is_none());
    let sighash = [0x42; 32];
    let agg_bytes = agg.serialize();
    let mut pubnonces = ByParticipant::new();
    let mut secnonces = Vec::new();
    for (i, sk) in sks.iter().enumerate() {
        let (sec, public) =
            create_nonce(&[i as u8; 32], sk, &parts, &agg_bytes, &sighash).expect("nonce");
        pubnonces.insert(sk.public_key(secp).serialize().to_vec(), public.to_vec());
        secnonces.push(sec);
    }
    let session =
        signing_session(&sighash, &agg_bytes, &parts, &pubnonces, &tweaks).expect("session");
    let mut psigs = ByParticipant::new();
    for (sk, sec) in sks.iter().zip(secnonces) {
        let psig = session.sign(sec, sk).expect("partial signature");
        psigs.insert(sk.public_key(secp).serialize().to_vec(), psig);
    }
    let sig = create_aggregate_sig(&parts, &agg_bytes, &tweaks, &sighash, &pubnonces, &psigs)
        .expect("aggregates");
    let key = plain.x_only_public_key().0;
    let sig = schnorr::Signature::from_slice(&sig).expect("signature");
    secp.verify_schnorr(&sig, &Message::from_digest(sighash), &key)
        .expect("verifies against the tweaked key");
    // A missing partial signature, or a wrong one, aggregates to nothing.
    let mut missing = psigs.clone();
    missing.pop_first();
    assert!(
        create_aggregate_sig(&parts, &agg_bytes, &tweaks, &sighash, &pubnonces, &missing).is_none()
    );
    let mut wrong = psigs;
    if let Some(first) = wrong.values_mut().next() {
        first[31] ^= 1;
    }
    assert!(
        create_aggregate_sig(&parts, &agg_bytes, &tweaks, &sighash, &pubnonces, &wrong).is_none()
    );
}
