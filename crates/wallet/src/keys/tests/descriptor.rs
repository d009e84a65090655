//! Core's `descriptor_tests.cpp` checks, run over its vectors: public,
//! private and normalized strings, ids, output types, ranges, scripts at
//! each index with and without the cache, and key paths.

use std::collections::BTreeSet;

use bitcoin::hashes::Hash;
use bitcoin::hex::DisplayHex;
use bitcoin::Network;

use super::core_vectors::{Vector, CORE_UNPARSABLE, CORE_VECTORS};
use crate::keys::*;

const RANGE: u32 = 1;
const HARDENED: u32 = 2;
const DERIVE_HARDENED: u32 = 16;
const MISSING_PRIVKEYS: u32 = 128;

/// Core's `EqualDescriptor`: compare, ignoring a checksum only one side has.
fn equal_descriptor(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.split('#').next().unwrap_or("").to_string();
    if a.contains('#') != b.contains('#') {
        strip(a) == strip(b)
    } else {
        a == b
    }
}

/// Core's `UseHInsteadOfApostrophe` (checksum recomputed).
fn use_h(s: &str) -> String {
    let body = s.split('#').next().unwrap_or("").replace('\'', "h");
    if s.contains('#') {
        add_checksum(&body).unwrap()
    } else {
        body
    }
}

fn parse(s: &str) -> Result<(ParsedDescriptor, KeyMap), KeyError> {
    ParsedDescriptor::parse(s, Network::Bitcoin, false)
}

/// Runs one vector; `Ok(false)` means skipped as unsupported.
fn run(v: &Vector, prv: &str, public: &str) -> Result<bool, String> {
    let ctx = |m: &str| format!("{prv}: {m}");
    let (dp, keys_priv) = match parse(prv) {
        Ok(x) => x,
        Err(KeyError::Unsupported(_)) => return Ok(false),
        Err(e) => return Err(ctx(&format!("parse prv failed: {e}"))),
    };
    let (dpub, keys_pub) = parse(public).map_err(|e| ctx(&format!("parse pub failed: {e}")))?;
    if keys_priv.is_empty() || !keys_pub.is_empty() {
        return Err(ctx("private keys extracted wrongly"));
    }
    if dp.output_type() != v.output_type || dpub.output_type() != v.output_type {
        return Err(ctx(&format!(
            "output type {:?} != {:?}",
            dp.output_type(),
            v.output_type
        )));
    }
    for d in [&dp, &dpub] {
        let s = d.to_public_string();
        if !equal_descriptor(public, &s) {
            return Err(ctx(&format!("public string {s} != {public}")));
        }
    }
    if let Some(id) = v.id {
        if dp.id().to_string() != id {
            return Err(ctx(&format!("id {} != {id}", dp.id())));
        }
    }
    if v.flags & MISSING_PRIVKEYS == 0 {
        for d in [&dp, &dpub] {
            let (s, any) = d.to_private_string(&keys_priv);
            if !any || !equal_descriptor(prv, &s) {
                return Err(ctx(&format!("private string {s}")));
            }
            if d.to_private_string(&KeyMap::new()).1 {
                return Err(ctx("private string without keys"));
            }
        }
    }
    for d in [&dp, &dpub] {
        let n = d
            .to_normalized_string(&keys_priv, None)
            .map_err(|e| ctx(&e.to_string()))?;
        if !equal_descriptor(&n, v.norm) {
            return Err(ctx(&format!("normalized {n} != {}", v.norm)));
        }
    }
    if dp.is_range() != (v.flags & RANGE != 0) || dpub.is_range() != (v.flags & RANGE != 0) {
        return Err(ctx("is_range"));
    }
    let max = if v.flags & RANGE != 0 {
        v.scripts.len()
    } else {
        3
    };
    let mut seen_paths = BTreeSet::new();
    for i in 0..max {
        let want = v.scripts[if v.flags & RANGE != 0 { i } else { 0 }];
        for d in [&dp, &dpub] {
            let provider = if v.flags & HARDENED != 0 {
                Some(&keys_priv)
            } else {
                None
            };
            let mut cache = DescriptorCache::new();
            let e = d
                .expand(i as u32, provider, Some(&mut cache))
                .map_err(|e| ctx(&format!("expand {i}: {e}")))?;
            let got: Vec<String> = e
                .scripts
                .iter()
                .map(|s| s.as_bytes().to_lower_hex_string())
                .collect();
            if got != want {
                return Err(ctx(&format!("scripts at {i}: {got:?} != {want:?}")));
            }
            let c = dpub
                .expand_from_cache(i as u32, &cache)
                .map_err(|e| ctx(&format!("from cache {i}: {e}")))?;
            if c.scripts != e.scripts || c.keys != e.keys {
                return Err(ctx(&format!("cache expansion differs at {i}")));
            }
            if v.flags & DERIVE_HARDENED == 0 {
                let e1 = d
                    .expand(i as u32 + 1, provider, None)
                    .map_err(|e| ctx(&e.to_string()))?;
                let c1 = dpub
                    .expand_from_cache(i as u32 + 1, &cache)
                    .map_err(|e| ctx(&e.to_string()))?;
                if c1.scripts != e1.scripts || c1.keys != e1.keys {
                    return Err(ctx(&format!("cache expansion differs at {}", i + 1)));
                }
            }
            for k in &e.keys {
                let p: Vec<u32> = k.origin.1.into_iter().map(|c| u32::from(*c)).collect();
                seen_paths.insert(p);
            }
            if d.can_self_expand() != (v.flags & HARDENED == 0) {
                return Err(ctx("can_self_expand"));
            }
        }
    }
    let want_paths: BTreeSet<Vec<u32>> = match v.paths {
        Some(p) => p.iter().map(|x| x.to_vec()).collect(),
        None => [Vec::new()].into_iter().collect(),
    };
    if seen_paths != want_paths {
        return Err(ctx(&format!("paths {seen_paths:?} != {want_paths:?}")));
    }
    Ok(true)
}

#[test]
fn core_descriptor_vectors() {
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut skipped = Vec::new();
    for v in CORE_VECTORS {
        let mut variants = vec![(v.prv.to_string(), v.public.to_string())];
        if v.prv.contains('\'') && v.public.contains('\'') {
            variants.push((use_h(v.prv), use_h(v.public)));
        }
        // rust-miniscript 12 does not type `d:` as a unit in tapscript
        // (Core does, since MINIMALIF is consensus there): refused cleanly.
        if v.prv.contains("adv:older") {
            assert!(parse(v.prv).is_err());
            continue;
        }
        for (prv, public) in variants {
            match run(v, &prv, &public) {
                Ok(true) => ran += 1,
                Ok(false) => skipped.push(prv),
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Bare sortedmulti() is the only construct expected to be skipped.
    for s in &skipped {
        assert!(
            s.starts_with("sortedmulti("),
            "unexpectedly unsupported: {s}"
        );
    }
    assert!(ran >= 50, "only {ran} vectors ran");
}

/// Core's error texts for the `musig()` expressions it refuses.
#[test]
fn musig_errors_are_cores() {
    let mut wrong = Vec::new();
    for (prv, public, err) in CORE_UNPARSABLE {
        // The fuzzer-made texts fail with other words.
        if !prv.contains("musig(") || prv.contains("k(") {
            continue;
        }
        for s in [prv, public] {
            let parsed = ParsedDescriptor::parse_multipath(s, Network::Bitcoin, false);
            match parsed.map(|_| ()) {
                Err(KeyError::Parse(m)) if m == *err => {}
                other => wrong.push(format!("{s}: {other:?}, Core: {err}")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn core_unparsable_vectors() {
    let mut accepted = Vec::new();
    for (prv, public, _err) in CORE_UNPARSABLE {
        for s in [prv, public] {
            if !s.is_empty() && parse(s).is_ok() {
                accepted.push(s.to_string());
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "accepted {} descriptors Core refuses:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
}

#[test]
fn checksum_errors_match_core() {
    // From descriptor_tests.cpp (checksum section) and BIP380.
    let d = "sh(multi(2,[00000000/111'/222]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL,xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0))";
    let err = |s: String| {
        ParsedDescriptor::parse(&s, Network::Bitcoin, true)
            .unwrap_err()
            .to_string()
    };
    assert!(ParsedDescriptor::parse(&format!("{d}#tjg09x5t"), Network::Bitcoin, true).is_ok());
    assert_eq!(err(d.to_string()), "Missing checksum");
    assert_eq!(
        err(format!("{d}#")),
        "Expected 8 character checksum, not 0 characters"
    );
    assert_eq!(
        err(format!("{d}#tjg09x5tq")),
        "Expected 8 character checksum, not 9 characters"
    );
    assert_eq!(
        err(format!("{d}#tjg09x5")),
        "Expected 8 character checksum, not 7 characters"
    );
    assert_eq!(
        err(format!("{d}#tjq09x4t")),
        "Provided checksum 'tjq09x4t' does not match computed checksum 'tjg09x5t'"
    );
    assert_eq!(err(format!("{d}##tjq09x4t")), "Multiple '#' symbols");
    assert_eq!(
        err("raw(Ü)#00000000".to_string()),
        "Invalid characters in payload"
    );
    // The 'h' form has its own checksum.
    assert_eq!(
        add_checksum(&d.replace('\'', "h")).unwrap(),
        format!("{}#hgmsckna", d.replace('\'', "h"))
    );
    // BIP380 examples.
    assert_eq!(
        add_checksum("raw(deadbeef)").unwrap(),
        "raw(deadbeef)#89f8spxm"
    );
    assert_eq!(
        add_checksum("addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)").unwrap(),
        "addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)#02wpgw69"
    );
}

#[test]
fn addr_and_raw_descriptors() {
    let (d, keys) = ParsedDescriptor::parse(
        "addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)",
        Network::Testnet,
        false,
    )
    .unwrap();
    assert!(keys.is_empty());
    assert_eq!(
        d.to_public_string(),
        "addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)#02wpgw69"
    );
    assert_eq!(d.output_type(), Some(OutputType::Legacy));
    assert!(!d.is_range());
    let e = d.expand_from_cache(7, &DescriptorCache::new()).unwrap();
    assert!(e.scripts[0].is_p2pkh());
    // Wrong network.
    assert!(ParsedDescriptor::parse(
        "addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)",
        Network::Bitcoin,
        false
    )
    .is_err());

    let (d, _) = ParsedDescriptor::parse(
        "raw(0014326b2249e3a25d5dc60935f044ee835d090ba859)",
        Network::Bitcoin,
        false,
    )
    .unwrap();
    assert_eq!(d.output_type(), Some(OutputType::Bech32));
    assert_eq!(
        d.expand(0, None, None).unwrap().scripts[0]
            .as_bytes()
            .to_lower_hex_string(),
        "0014326b2249e3a25d5dc60935f044ee835d090ba859"
    );
    assert_eq!(
        ParsedDescriptor::parse("raw(deadbeef)", Network::Bitcoin, false)
            .unwrap()
            .0
            .output_type(),
        None
    );
    assert!(ParsedDescriptor::parse("raw(xyz)", Network::Bitcoin, false).is_err());
}

#[test]
fn rawtr_descriptor() {
    let (d, keys) = ParsedDescriptor::parse(
        "rawtr(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
        Network::Bitcoin,
        false,
    )
    .unwrap();
    assert_eq!(keys.len(), 1);
    // Core prints a tr()-context WIF key x-only.
    assert!(d
        .to_public_string()
        .starts_with("rawtr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)#"));
    assert_eq!(
        d.expand(0, None, None).unwrap().scripts[0]
            .as_bytes()
            .to_lower_hex_string(),
        "5120a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"
    );
    assert_eq!(d.output_type(), Some(OutputType::Bech32m));
}

#[test]
fn repeated_constant_keys_in_a_large_multi_a() {
    // Core's wallet_taproot.py: one ranged key among 998 copies of H.
    let h = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0";
    let a = "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL";
    let mut leaf = vec![h.to_string(); 998];
    leaf.insert(400, format!("{a}/0/*"));
    let s = format!("tr({a}/1/*,multi_a(1,{}))", leaf.join(","));
    let (d, _) = parse(&s).unwrap();
    let e = d.expand(2, None, None).unwrap();
    assert_eq!(e.keys.len(), 1000);
    // Every copy is the same key, numbered where it stands.
    assert_eq!(e.keys[1].pubkey, e.keys[999].pubkey);
    assert_eq!(e.keys[999].key_exp_index, 999);
    assert!(e.keys[1].xonly);
    assert_ne!(e.keys[401].pubkey, e.keys[1].pubkey);
    assert_eq!(e.scripts.len(), 1);
    assert!(e.scripts[0].is_p2tr());
}

#[test]
fn key_expression_numbering_is_textual() {
    // tr(): the internal key is expression 0 even though miniscript visits
    // the tree first; the cache records are keyed by these numbers.
    let a = "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL";
    let b = "xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y";
    let c = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    let s = format!("tr({a}/0/*,{{pk({b}/1/*),pk({c}/2/*)}})");
    let (d, _) = parse(&s).unwrap();
    let mut cache = DescriptorCache::new();
    let e = d.expand(3, None, Some(&mut cache)).unwrap();
    for (i, (x, step)) in [(a, 0u32), (b, 1), (c, 2)].into_iter().enumerate() {
        let want = x.parse::<bitcoin::bip32::Xpub>().unwrap();
        let parent = cache.parent(i as u32).unwrap();
        assert_eq!(parent.parent_fingerprint, want.fingerprint());
        assert_eq!(u32::from(parent.child_number), step);
        assert_eq!(e.keys[i].key_exp_index, i as u32);
    }
    let ms = format!("wsh(or_d(pk({c}/5),and_v(v:pk({a}/6),older(10))))");
    let (d, _) = parse(&ms).unwrap();
    let keys = d.key_expressions();
    assert_eq!(keys[0].to_string(), format!("{c}/5"));
    assert_eq!(keys[1].to_string(), format!("{a}/6"));
}

#[test]
fn hardened_derivation_needs_keys_or_cache() {
    let prv = "wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/1h/*h)";
    let (d, keys) = parse(prv).unwrap();
    assert!(matches!(d.expand(0, None, None), Err(KeyError::Derive(_))));
    assert!(matches!(
        d.expand_from_cache(0, &DescriptorCache::new()),
        Err(KeyError::CacheMiss {
            key_exp_index: 0,
            pos: 0
        })
    ));
    let mut cache = DescriptorCache::new();
    let e = d.expand(4, Some(&keys), Some(&mut cache)).unwrap();
    // Hardened wildcard: only a derived entry, no parent.
    assert!(cache.parent(0).is_none());
    assert!(cache.derived(0, 4).is_some());
    assert_eq!(d.expand_from_cache(4, &cache).unwrap().scripts, e.scripts);
    assert!(d.expand_from_cache(5, &cache).is_err());
    // Unhardened wildcard after a hardened step: parent and last-hardened.
    let (d, keys) = parse("wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/1h/2/*)").unwrap();
    let mut cache = DescriptorCache::new();
    d.expand(0, Some(&keys), Some(&mut cache)).unwrap();
    assert_eq!(cache.parent(0).unwrap().depth, 2);
    assert_eq!(cache.last_hardened(0).unwrap().depth, 1);
    // Normalized string from the LH cache alone (as listdescriptors does
    // while the wallet is locked).
    let n = d
        .to_normalized_string(&KeyMap::new(), Some(&cache))
        .unwrap();
    let lh = cache.last_hardened(0).unwrap();
    let root_fp = keys.keys().next().map(|k| k.pubkey_hash()).unwrap();
    let fp = &root_fp.to_byte_array()[..4];
    assert_eq!(
        n,
        add_checksum(&format!("wpkh([{}/1h]{lh}/2/*)", fp.to_lower_hex_string())).unwrap()
    );
    assert!(d.to_normalized_string(&KeyMap::new(), None).is_err());
}

#[test]
fn network_is_checked() {
    let e = ParsedDescriptor::parse(
        "wpkh(xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8/*)",
        Network::Regtest,
        false,
    );
    assert!(e.is_err());
    assert!(ParsedDescriptor::parse(
        "wpkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
        Network::Testnet,
        false
    )
    .is_err());
}

#[test]
fn unsupported_constructs_fail_cleanly() {
    let x = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    assert!(matches!(
        parse(&format!("wpkh({x}/<0;1>/*)")),
        Err(KeyError::Unsupported(_))
    ));
    for bad in [
        "",
        "wpkh(",
        "wpkh()",
        "wpkh(a,b)",
        "foo(bar)",
        "wpkh(xpub/0)",
        "sh(",
        ")",
        "combo()",
        "addr()",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn multipath_expands_for_import() {
    // From descriptor_tests.cpp `CheckMultipath`.
    let v = ParsedDescriptor::parse_multipath(
        "wpkh([ffffffff/13h]xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt/<1;3>/2/*)",
        Network::Bitcoin,
        false,
    )
    .unwrap();
    assert_eq!(v.len(), 2);
    assert!(equal_descriptor(&v[0].0.to_public_string(), "wpkh([ffffffff/13h]xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/1/2/*)"));
    assert!(equal_descriptor(&v[1].0.to_public_string(), "wpkh([ffffffff/13h]xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/3/2/*)"));
    assert_eq!(v[0].1.len(), 1);
    let e = v[0].0.expand(0, None, None).unwrap();
    assert_eq!(
        e.scripts[0].as_bytes().to_lower_hex_string(),
        "0014326b2249e3a25d5dc60935f044ee835d090ba859"
    );
    // Non-multipath input gives one descriptor.
    assert_eq!(
        ParsedDescriptor::parse_multipath("raw(deadbeef)", Network::Bitcoin, false)
            .unwrap()
            .len(),
        1
    );
    let x = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    let bad = |s: String| ParsedDescriptor::parse_multipath(&s, Network::Bitcoin, false).is_err();
    assert!(bad(format!("wsh(multi(1,{x}/<0;1>/*,{x}/<0;1;2>/*))")));
    assert!(bad(format!("wpkh({x}/<0;1>/<2;3>/*)")));
    assert!(bad(format!("wpkh({x}/<0;0>/*)")));
    assert!(bad(format!("wpkh({x}/<0>/*)")));
    // Two multipath keys of equal length pair up.
    let v = ParsedDescriptor::parse_multipath(
        &format!("wsh(multi(1,{x}/<0;1>/*,{x}/9/<2;3>/*))"),
        Network::Bitcoin,
        false,
    )
    .unwrap();
    assert_eq!(
        v[1].0.key_expressions()[1].to_string(),
        format!("{x}/9/3/*")
    );
    // The database loader refuses multipath.
    assert!(WalletDescriptor::from_stored(
        &add_checksum(&format!("wpkh({x}/<0;1>/*)")).unwrap(),
        Network::Bitcoin,
        0,
        0,
        0,
        0
    )
    .is_err());
}

#[test]
fn unsafe_relative_locktimes_warn_as_core() {
    let key = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
    let warn = |n: u32| {
        let d = format!("wsh(and_v(v:pk({key}),older({n})))");
        ParsedDescriptor::parse(&d, bitcoin::Network::Regtest, false)
            .expect("parses")
            .0
            .warnings()
    };
    assert!(warn(65535).is_empty());
    assert_eq!(
        warn(65536),
        vec!["height-based relative locktime: older(65536) > 65535 blocks is unsafe"]
    );
    let time_based = (1 << 22) | 65536;
    assert_eq!(
        warn(time_based),
        vec![format!(
            "time-based relative locktime: older({time_based}) > (65535 * 512) seconds is unsafe"
        )]
    );
}

/// `sortedmulti_a` leaves keep their name in every string form and derive
/// with their keys sorted, whatever order they were written in.
#[test]
fn sortedmulti_a_leaves_sort_their_keys() {
    const K: &str = "a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
    const A: &str = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    const B: &str = "6db06226e41c692fc82b8b56ac1c540c5bd50929b74c1a04954b78b4b6035e97";
    let script = |s: &str| {
        let (d, _) = parse(s).unwrap();
        d.expand(0, None, None).unwrap().scripts
    };
    let written = format!("tr({K},{{pk({A}),sortedmulti_a(1,{A},{B})}})");
    let (d, _) = parse(&written).unwrap();
    assert_eq!(d.to_public_string(), add_checksum(&written).unwrap());
    let swapped = format!("tr({K},{{pk({A}),sortedmulti_a(1,{B},{A})}})");
    assert_eq!(script(&written), script(&swapped));
    // B sorts first.
    assert_eq!(
        script(&written),
        script(&format!("tr({K},{{pk({A}),multi_a(1,{B},{A})}})"))
    );
    assert_ne!(
        script(&written),
        script(&format!("tr({K},{{pk({A}),multi_a(1,{A},{B})}})"))
    );
}

#[test]
fn insane_miniscript_is_reported_as_core_reports_it() {
    let mut wrong = Vec::new();
    for (_, public, err) in CORE_UNPARSABLE {
        if !err.contains(" is not sane") {
            continue;
        }
        match ParsedDescriptor::parse_multipath(public, Network::Bitcoin, false).map(|_| ()) {
            Err(KeyError::Parse(m)) if m == *err => {}
            other => wrong.push(format!("{public}: {other:?}, Core: {err}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Sane, but nothing can ever spend it.
    match ParsedDescriptor::parse_multipath("wsh(0)", Network::Bitcoin, false).map(|_| ()) {
        Err(KeyError::Parse(m)) => assert_eq!(m, "0 is not satisfiable"),
        other => panic!("wsh(0) parsed: {other:?}"),
    }
}

/// A `tr()` leaf under a long run of `n:` wrappers keeps its text, and its
/// output script is the taproot commitment to the padded leaf script.
#[test]
fn padded_tapscript_leaf_round_trips_and_commits_to_the_padded_script() {
    use bitcoin::secp256k1::{Secp256k1, XOnlyPublicKey};
    use bitcoin::taproot::TaprootBuilder;
    use bitcoin::ScriptBuf;
    use std::str::FromStr;
    const K1: &str = "a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
    const X2: &str = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    let pad = 5_000;
    let text = format!("tr({K1},{}:pk({X2}))", "n".repeat(pad));
    let (d, _) = parse(&text).expect("padded leaf parses");
    let public = d.to_public_string();
    assert_eq!(public.split('#').next(), Some(text.as_str()));
    let (again, _) = parse(&public).expect("printed text parses");
    assert_eq!(again.to_public_string(), public);

    let e = d
        .expand_from_cache(0, &DescriptorCache::new())
        .expect("expands");
    assert_eq!(e.leaf_pads, vec![pad]);
    let mut leaf = vec![0x20];
    leaf.extend(XOnlyPublicKey::from_str(X2).expect("key").serialize());
    leaf.push(0xac);
    leaf.extend(std::iter::repeat_n(0x92, pad));
    let info = TaprootBuilder::new()
        .add_leaf(0, ScriptBuf::from_bytes(leaf))
        .expect("leaf")
        .finalize(
            &Secp256k1::verification_only(),
            XOnlyPublicKey::from_str(K1).expect("key"),
        )
        .expect("tree");
    assert_eq!(
        e.scripts,
        vec![ScriptBuf::new_p2tr_tweaked(info.output_key())]
    );

    // One wrapper past Core's largest leaf is refused with its error.
    let max = utility_rpc::tapscript_limits::MAX_TAPMINISCRIPT_SIZE;
    let over = format!("tr({K1},{}:pk({X2}))", "n".repeat(max - 34 + 1));
    let err = parse(&over).expect_err("too large").to_string();
    assert!(err.contains("is not a valid descriptor function"), "{err}");
}
