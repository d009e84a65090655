//! The default descriptor set, descriptor ids, and `DescriptorSpkm`
//! (Core's `DescriptorScriptPubKeyMan`) behaviour.

use std::collections::BTreeMap;

use bitcoin::bip32::{DerivationPath, Xpriv, Xpub};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::hex::FromHex;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{
    absolute, transaction, Address, Amount, CompressedPublicKey, Network, OutPoint, Psbt,
    ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use miniscript::psbt::PsbtExt;

use crate::crypto::KeyingMaterial;
use crate::keys::*;

/// A fixed seed for reproducible wallets.
const SEED: [u8; 32] = [7u8; 32];

// BIP380's checksum written out from the specification, independent of the
// implementation under test (which uses miniscript's).
const INPUT_CHARSET: &str = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn bip380_checksum(s: &str) -> String {
    const GEN: [u64; 5] = [
        0xf5dee51989,
        0xa9fdca3312,
        0x1bab10e32d,
        0x3706b1677a,
        0x644d626ffd,
    ];
    let polymod = |symbols: &[u64]| {
        let mut chk: u64 = 1;
        for &v in symbols {
            let top = chk >> 35;
            chk = ((chk & 0x7_ffff_ffff) << 5) ^ v;
            for (i, g) in GEN.iter().enumerate() {
                if (top >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    };
    let mut symbols = Vec::new();
    let mut groups = Vec::new();
    for c in s.chars() {
        let v = INPUT_CHARSET.find(c).expect("charset") as u64;
        symbols.push(v & 31);
        groups.push(v >> 5);
        if groups.len() == 3 {
            symbols.push(groups[0] * 9 + groups[1] * 3 + groups[2]);
            groups.clear();
        }
    }
    match groups.len() {
        1 => symbols.push(groups[0]),
        2 => symbols.push(groups[0] * 3 + groups[1]),
        _ => {}
    }
    symbols.extend([0; 8]);
    let c = polymod(&symbols) ^ 1;
    (0..8)
        .map(|i| CHECKSUM_CHARSET[((c >> (5 * (7 - i))) & 31) as usize] as char)
        .collect()
}

#[test]
fn independent_checksum_agrees_with_bip380() {
    assert_eq!(bip380_checksum("raw(deadbeef)"), "89f8spxm");
    assert_eq!(
        bip380_checksum("addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)"),
        "02wpgw69"
    );
}

fn master(network: Network) -> Xpriv {
    master_key_from_seed(&SEED, network).unwrap()
}

/// The first receive/change address of each default type, derived with
/// rust-bitcoin alone: BIP44/49/84/86 paths, coin type 1h on test chains.
fn expected_address(
    m: &Xpriv,
    ty: OutputType,
    internal: bool,
    index: u32,
    network: Network,
) -> Address {
    let secp = Secp256k1::new();
    let purpose = match ty {
        OutputType::Legacy => 44,
        OutputType::P2shSegwit => 49,
        OutputType::Bech32 => 84,
        OutputType::Bech32m => 86,
    };
    let coin = if network == Network::Bitcoin { 0 } else { 1 };
    let path: DerivationPath = format!("m/{purpose}h/{coin}h/0h/{}/{index}", u32::from(internal))
        .parse()
        .unwrap();
    let xprv = m.derive_priv(&secp, &path).unwrap();
    let cpk = CompressedPublicKey(Xpub::from_priv(&secp, &xprv).public_key);
    match ty {
        OutputType::Legacy => Address::p2pkh(cpk, network),
        OutputType::P2shSegwit => Address::p2shwpkh(&cpk, network),
        OutputType::Bech32 => Address::p2wpkh(&cpk, network),
        OutputType::Bech32m => Address::p2tr(&secp, cpk.0.x_only_public_key().0, None, network),
    }
}

fn generate_all(
    network: Network,
    keypool: u32,
    access: KeyAccess<'_>,
) -> Vec<(OutputType, bool, DescriptorSpkm)> {
    let m = master(network);
    let mut out = Vec::new();
    for internal in [false, true] {
        for ty in OutputType::ALL {
            let (s, records, top) =
                DescriptorSpkm::generate(&m, ty, internal, network, keypool, 1_700_000_000, access)
                    .unwrap();
            assert_eq!(records.len(), 1);
            assert_eq!(top.new_scripts.len(), keypool as usize);
            out.push((ty, internal, s));
        }
    }
    out
}

#[test]
fn default_set_first_addresses_on_regtest() {
    let m = master(Network::Regtest);
    for (ty, internal, mut s) in generate_all(Network::Regtest, 5, KeyAccess::Plain) {
        for i in 0..3 {
            let d = s.get_new_destination(ty, KeyAccess::Plain).unwrap();
            assert_eq!(d.index, i);
            assert_eq!(
                d.address,
                expected_address(&m, ty, internal, i as u32, Network::Regtest),
                "{ty:?} {internal} {i}"
            );
            assert!(s.is_mine(&d.script));
        }
        assert_eq!(s.wallet_descriptor().next_index, 3);
        // Top-ups keep keypool unused indexes ahead of next_index.
        assert_eq!(s.wallet_descriptor().range_end, 2 + 5);
    }
}

#[test]
fn default_descriptor_strings_and_ids() {
    let secp = Secp256k1::new();
    let m = master(Network::Regtest);
    let xpub = Xpub::from_priv(&secp, &m);
    assert!(xpub.to_string().starts_with("tpub"));
    let (set, keys) = default_descriptors(&m, Network::Regtest, 1).unwrap();
    assert_eq!(set.len(), 8);
    assert_eq!(keys.len(), 1);
    // Templates with H for the hardened marker, filled with h (stored form)
    // or ' (compat form) so the xpub text itself is never touched.
    let want = [
        (OutputType::Legacy, false, "pkh(X/44H/1H/0H/0/*)"),
        (OutputType::P2shSegwit, false, "sh(wpkh(X/49H/1H/0H/0/*))"),
        (OutputType::Bech32, false, "wpkh(X/84H/1H/0H/0/*)"),
        (OutputType::Bech32m, false, "tr(X/86H/1H/0H/0/*)"),
        (OutputType::Legacy, true, "pkh(X/44H/1H/0H/1/*)"),
        (OutputType::P2shSegwit, true, "sh(wpkh(X/49H/1H/0H/1/*))"),
        (OutputType::Bech32, true, "wpkh(X/84H/1H/0H/1/*)"),
        (OutputType::Bech32m, true, "tr(X/86H/1H/0H/1/*)"),
    ];
    let fill = |t: &str, marker: &str| t.replace('H', marker).replace('X', &xpub.to_string());
    for (d, (ty, internal, template)) in set.iter().zip(want) {
        assert_eq!(d.output_type, ty);
        assert_eq!(d.internal, internal);
        assert_eq!(d.descriptor.descriptor.output_type(), Some(ty));
        // Stored form: as built (with h), plus checksum.
        let body = fill(template, "h");
        assert_eq!(
            d.descriptor.descriptor_string(),
            format!("{body}#{}", bip380_checksum(&body))
        );
        // Id, from Core's DescriptorID: SHA256 over ToString(compat_format)
        // = the same text with every hardened marker written ' and that
        // text's own checksum appended; built here by hand.
        let compat = fill(template, "'");
        let id = sha256::Hash::hash(format!("{compat}#{}", bip380_checksum(&compat)).as_bytes())
            .to_byte_array();
        assert_eq!(d.descriptor.id.to_byte_array(), id);
        assert_eq!(d.descriptor.id, d.descriptor.descriptor.id());
    }
    // Mainnet uses coin type 0h and xpub.
    let mm = master(Network::Bitcoin);
    let s = default_descriptor_string(
        &Xpub::from_priv(&secp, &mm),
        OutputType::Bech32,
        false,
        Network::Bitcoin,
    );
    assert!(s.starts_with("wpkh(xpub") && s.ends_with("/84h/0h/0h/0/*)"));
}

#[test]
fn well_known_mainnet_first_addresses() {
    // BIP39 seed of "abandon abandon ... about" (no passphrase); first
    // addresses from BIP44/49/84/86.
    let seed = Vec::<u8>::from_hex("5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4").unwrap();
    let m = master_key_from_seed(&seed, Network::Bitcoin).unwrap();
    let want = [
        (OutputType::Legacy, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"),
        (OutputType::P2shSegwit, "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf"),
        (
            OutputType::Bech32,
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        ),
        (
            OutputType::Bech32m,
            "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
        ),
    ];
    for (ty, addr) in want {
        let (mut s, _, _) =
            DescriptorSpkm::generate(&m, ty, false, Network::Bitcoin, 2, 0, KeyAccess::Plain)
                .unwrap();
        assert_eq!(
            s.get_new_destination(ty, KeyAccess::Plain)
                .unwrap()
                .address
                .to_string(),
            addr
        );
    }
}

#[test]
fn caches_hold_parent_and_last_hardened() {
    let m = master(Network::Regtest);
    let (s, _, top) = DescriptorSpkm::generate(
        &m,
        OutputType::Bech32,
        false,
        Network::Regtest,
        3,
        0,
        KeyAccess::Plain,
    )
    .unwrap();
    let c = &s.wallet_descriptor().cache;
    let secp = Secp256k1::new();
    let parent = Xpub::from_priv(
        &secp,
        &m.derive_priv(&secp, &"m/84h/1h/0h/0".parse::<DerivationPath>().unwrap())
            .unwrap(),
    );
    let lh = Xpub::from_priv(
        &secp,
        &m.derive_priv(&secp, &"m/84h/1h/0h".parse::<DerivationPath>().unwrap())
            .unwrap(),
    );
    assert_eq!(c.parent(0), Some(&parent));
    assert_eq!(c.last_hardened(0), Some(&lh));
    assert!(c.derived_all().is_empty());
    // The top-up reported exactly these as new.
    assert_eq!(top.new_cache, *c);
    // listdescriptors form: the account xpub with its origin.
    let fp = m.fingerprint(&secp);
    let want = format!("wpkh([{fp}/84h/1h/0h]{lh}/0/*)");
    assert_eq!(
        s.descriptor_string(false, KeyAccess::Plain).unwrap(),
        add_checksum(&want).unwrap()
    );
    // Private form: the master xprv, as Core shows it.
    let p = s.descriptor_string(true, KeyAccess::Plain).unwrap();
    assert!(p.starts_with(&format!("wpkh({m}/84h/1h/0h/0/*)")));
}

#[test]
fn load_expands_from_cache_only() {
    let (_, _, s) = generate_all(Network::Regtest, 20, KeyAccess::Plain).remove(2);
    let w = s.wallet_descriptor().clone();
    let loaded = DescriptorSpkm::load(w.clone(), 20, KeyMap::new(), BTreeMap::new()).unwrap();
    for (i, scripts) in s.derive_scripts(0..20).unwrap() {
        assert_eq!(loaded.script_index(&scripts[0]), Some(i));
    }
    assert_eq!(loaded.end_range(), 20);
    // Outside the loaded window nothing is mine.
    let beyond = s.derive_scripts(25..26).unwrap();
    assert!(!loaded.is_mine(&beyond[0].1[0]));
    // Without its cache the descriptor cannot load (hardened path).
    let mut bare = w.clone();
    bare.cache = DescriptorCache::new();
    assert!(matches!(
        DescriptorSpkm::load(bare, 20, KeyMap::new(), BTreeMap::new()),
        Err(KeyError::Corrupt(_))
    ));
    // Both plaintext and encrypted keys is corruption.
    let k = s.plain_keys().clone();
    let mut ck = BTreeMap::new();
    ck.insert(*k.keys().next().unwrap(), vec![0u8; 48]);
    assert!(DescriptorSpkm::load(w.clone(), 20, k, ck).is_err());
    // The record value round-trips (the cache travels separately).
    let back = WalletDescriptor::from_record_value(&w.to_record_value(), Network::Regtest).unwrap();
    assert_eq!(back.id, w.id);
    assert_eq!(
        (
            back.next_index,
            back.range_start,
            back.range_end,
            back.creation_time
        ),
        (w.next_index, w.range_start, w.range_end, w.creation_time)
    );
    assert_eq!(back.descriptor_string(), w.descriptor_string());
}

#[test]
fn mark_used_advances_and_tops_up() {
    let (ty, _, mut s) = generate_all(Network::Regtest, 10, KeyAccess::Plain).remove(3);
    let scripts = s.derive_scripts(0..10).unwrap();
    let r = s.mark_used(&scripts[5].1[0], KeyAccess::Plain).unwrap();
    assert_eq!(
        r.used.iter().map(|u| u.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(s.wallet_descriptor().next_index, 6);
    assert_eq!(s.wallet_descriptor().range_end, 16);
    assert_eq!(r.top_up.unwrap().new_scripts.len(), 6);
    // An older index changes nothing but still tops up.
    let r = s.mark_used(&scripts[2].1[0], KeyAccess::Plain).unwrap();
    assert!(r.used.is_empty());
    assert_eq!(
        s.get_new_destination(ty, KeyAccess::Plain).unwrap().index,
        6
    );
    // A foreign script is ignored.
    assert!(s
        .mark_used(&ScriptBuf::new(), KeyAccess::Plain)
        .unwrap()
        .used
        .is_empty());
    // Returning the last handed-out index gives it back.
    s.return_destination(6);
    assert_eq!(s.wallet_descriptor().next_index, 6);
    s.return_destination(3);
    assert_eq!(s.wallet_descriptor().next_index, 6);
}

#[test]
fn wrong_type_and_non_address_descriptors() {
    let (_, _, mut s) = generate_all(Network::Regtest, 2, KeyAccess::Plain).remove(0);
    assert!(matches!(
        s.get_new_destination(OutputType::Bech32, KeyAccess::Plain),
        Err(KeyError::Addresses(_))
    ));
    let (d, keys) = ParsedDescriptor::parse(
        "combo(cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy)",
        Network::Regtest,
        false,
    )
    .unwrap();
    let (mut c, recs, top) = DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        10,
        &keys,
        KeyAccess::Plain,
    )
    .unwrap();
    assert_eq!(recs.len(), 1);
    // Non-ranged: exactly index 0, four scripts.
    assert_eq!(top.new_scripts.len(), 4);
    assert_eq!(c.wallet_descriptor().range_end, 1);
    assert!(!c.can_get_addresses());
    assert!(c
        .get_new_destination(OutputType::Legacy, KeyAccess::Plain)
        .is_err());
    for (script, _) in &top.new_scripts {
        assert!(c.is_mine(script));
        assert!(c
            .get_signing_key(script, KeyAccess::Plain)
            .unwrap()
            .is_some());
    }
}

#[test]
fn imports_watch_only_and_private() {
    let secp = Secp256k1::new();
    let m = master(Network::Regtest);
    let acct = m
        .derive_priv(&secp, &"m/84h/1h/0h".parse::<DerivationPath>().unwrap())
        .unwrap();
    let acct_pub = Xpub::from_priv(&secp, &acct);
    // Watch-only ranged xpub: works everywhere but signing.
    let (d, keys) =
        ParsedDescriptor::parse(&format!("wpkh({acct_pub}/0/*)"), Network::Regtest, false).unwrap();
    assert!(keys.is_empty());
    let (mut w, recs, _) = DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        5,
        &keys,
        KeyAccess::Plain,
    )
    .unwrap();
    assert!(recs.is_empty());
    assert!(w.can_get_addresses());
    let a = w
        .get_new_destination(OutputType::Bech32, KeyAccess::Plain)
        .unwrap();
    assert_eq!(
        a.address,
        expected_address(&m, OutputType::Bech32, false, 0, Network::Regtest)
    );
    let p = w
        .signing_provider(&a.script, true, KeyAccess::Plain)
        .unwrap()
        .unwrap();
    assert!(p.keys.is_empty());
    assert_eq!(p.pubkeys[0].origin.1.to_string(), "0/0");
    assert!(w
        .get_signing_key(&a.script, KeyAccess::Plain)
        .unwrap()
        .is_none());
    assert!(w.descriptor_string(true, KeyAccess::Plain).is_err());

    // Watch-only with a hardened step cannot derive: a clean error.
    let (d, keys) =
        ParsedDescriptor::parse(&format!("wpkh({acct_pub}/0h/*)"), Network::Regtest, false)
            .unwrap();
    assert!(DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        5,
        &keys,
        KeyAccess::Plain
    )
    .is_err());

    // Private ranged import with origin: signs, with full origin paths.
    let fp = m.fingerprint(&secp);
    let (d, keys) = ParsedDescriptor::parse(
        &format!("wpkh([{fp}/84h/1h/0h]{acct}/1/*)"),
        Network::Regtest,
        false,
    )
    .unwrap();
    assert_eq!(
        d.to_public_string(),
        add_checksum(&format!("wpkh([{fp}/84h/1h/0h]{acct_pub}/1/*)")).unwrap()
    );
    let (mut s, recs, _) = DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        5,
        &keys,
        KeyAccess::Plain,
    )
    .unwrap();
    assert_eq!(recs.len(), 1);
    let a = s
        .get_new_destination(OutputType::Bech32, KeyAccess::Plain)
        .unwrap();
    assert_eq!(
        a.address,
        expected_address(&m, OutputType::Bech32, true, 0, Network::Regtest)
    );
    let p = s
        .signing_provider(&a.script, true, KeyAccess::Plain)
        .unwrap()
        .unwrap();
    assert_eq!(
        p.pubkeys[0].origin,
        (fp, "m/84h/1h/0h/1/0".parse().unwrap())
    );
    assert_eq!(p.keys.len(), 1);

    // addr() and raw(): owned scripts, no keys, no addresses.
    let addr = expected_address(&m, OutputType::Bech32m, false, 9, Network::Regtest);
    let (d, keys) =
        ParsedDescriptor::parse(&format!("addr({addr})"), Network::Regtest, false).unwrap();
    let (a, _, top) = DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        5,
        &keys,
        KeyAccess::Plain,
    )
    .unwrap();
    assert!(a.is_mine(&addr.script_pubkey()));
    assert_eq!(top.new_scripts.len(), 1);
    assert!(!a.can_get_addresses());
    let (d, keys) = ParsedDescriptor::parse("raw(6a0401020304)", Network::Regtest, false).unwrap();
    let (r, _, _) = DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        5,
        &keys,
        KeyAccess::Plain,
    )
    .unwrap();
    assert!(r.is_mine(&ScriptBuf::from_bytes(vec![0x6a, 4, 1, 2, 3, 4])));

    // Re-import must cover the current range.
    let (d, _) =
        ParsedDescriptor::parse(&format!("wpkh({acct_pub}/0/*)"), Network::Regtest, false).unwrap();
    assert!(w
        .update_wallet_descriptor(
            WalletDescriptor::new(d.clone(), 0, 0, 3, 0),
            &KeyMap::new(),
            KeyAccess::Plain
        )
        .is_err());
    w.update_wallet_descriptor(
        WalletDescriptor::new(d, 0, 0, 10, 1),
        &KeyMap::new(),
        KeyAccess::Plain,
    )
    .unwrap();
    assert!(w.wallet_descriptor().range_end >= 10);
}

#[test]
fn encryption_lock_and_unlock() {
    let master_key = KeyingMaterial::new(vec![0x5a; 32]);
    let wrong = KeyingMaterial::new(vec![0x5b; 32]);
    let (ty, _, mut s) = generate_all(Network::Regtest, 3, KeyAccess::Plain).remove(2);
    let plain = s.plain_keys().clone();
    let recs = s.encrypt(&master_key).unwrap();
    assert_eq!(recs.len(), 1);
    assert!(matches!(&recs[0], KeyRecord::Crypted { crypted, .. } if crypted.len() == 48));
    assert!(s.plain_keys().is_empty() && s.have_crypted_keys());
    assert!(s.encrypt(&master_key).is_err());
    assert!(!s.check_decryption_key(&wrong).unwrap());
    assert!(s.check_decryption_key(&master_key).unwrap());
    assert_eq!(s.keys(KeyAccess::Unlocked(&master_key)).unwrap(), plain);
    assert!(s.keys(KeyAccess::Locked).unwrap().is_empty());
    assert!(s.keys(KeyAccess::Unlocked(&wrong)).is_err());

    // Locked: addresses still come from the cached parent xpub; signing
    // keys do not.
    let a = s.get_new_destination(ty, KeyAccess::Locked).unwrap();
    assert!(a.top_up.is_some());
    assert!(s
        .get_signing_key(&a.script, KeyAccess::Locked)
        .unwrap()
        .is_none());
    assert!(s
        .get_signing_key(&a.script, KeyAccess::Unlocked(&master_key))
        .unwrap()
        .is_some());
    // listdescriptors works locked thanks to the LH cache.
    assert!(s.descriptor_string(false, KeyAccess::Locked).is_ok());
    assert!(s.descriptor_string(true, KeyAccess::Locked).is_err());

    // Adding a key while locked fails; unlocked it is stored encrypted.
    let k = bitcoin::PrivateKey::from_wif("cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy")
        .unwrap();
    assert!(matches!(
        s.add_key(&k, KeyAccess::Locked),
        Err(KeyError::Locked)
    ));
    assert!(matches!(
        s.add_key(&k, KeyAccess::Unlocked(&master_key)).unwrap(),
        Some(KeyRecord::Crypted { .. })
    ));

    // Encrypted at generation time (after encryptwallet Core makes new ones).
    let m = master(Network::Regtest);
    let (g, recs, _) = DescriptorSpkm::generate(
        &m,
        OutputType::Bech32m,
        true,
        Network::Regtest,
        2,
        0,
        KeyAccess::Unlocked(&master_key),
    )
    .unwrap();
    assert!(matches!(&recs[0], KeyRecord::Crypted { .. }));
    assert!(g.have_crypted_keys());
    // A reload with the crypted records behaves the same.
    let mut l = DescriptorSpkm::load(
        g.wallet_descriptor().clone(),
        2,
        KeyMap::new(),
        g.crypted_keys().clone(),
    )
    .unwrap();
    assert!(l.check_decryption_key(&master_key).unwrap());
}

#[test]
fn some_keys_decrypting_is_corruption() {
    let master_key = KeyingMaterial::new(vec![0x5a; 32]);
    let (d, keys) = ParsedDescriptor::parse(
        "wsh(multi(1,cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy,cQDxbmQfwRV3vP1mdnVHq37nJekHLsuD3wdSQseBRA2ct4MFk5Pq))",
        Network::Regtest,
        false,
    )
    .unwrap();
    let (mut s, _, _) = DescriptorSpkm::import(
        WalletDescriptor::new(d, 0, 0, 0, 0),
        1,
        &keys,
        KeyAccess::Plain,
    )
    .unwrap();
    s.encrypt(&master_key).unwrap();
    let mut ck = s.crypted_keys().clone();
    // Core stops at the first failure, so only a failure after a success is
    // detected as corruption: damage the last key.
    let last = *ck.keys().next_back().unwrap();
    ck.get_mut(&last).unwrap()[0] ^= 1;
    let mut l = DescriptorSpkm::load(s.wallet_descriptor().clone(), 1, KeyMap::new(), ck).unwrap();
    assert!(matches!(
        l.check_decryption_key(&master_key),
        Err(KeyError::Corrupt(_))
    ));
}

#[test]
fn psbt_signing_for_all_default_types() {
    let secp = Secp256k1::new();
    let mut spkms: Vec<_> = generate_all(Network::Regtest, 3, KeyAccess::Plain)
        .into_iter()
        .take(4)
        .collect();
    let mut scripts = Vec::new();
    for (ty, _, s) in spkms.iter_mut() {
        scripts.push(s.get_new_destination(*ty, KeyAccess::Plain).unwrap().script);
    }
    let prev = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn::default()],
        output: scripts
            .iter()
            .map(|s| TxOut {
                value: Amount::from_sat(100_000),
                script_pubkey: s.clone(),
            })
            .collect(),
    };
    let spend = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: (0..4)
            .map(|i| TxIn {
                previous_output: OutPoint::new(prev.compute_txid(), i),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(390_000),
            script_pubkey: scripts[2].clone(),
        }],
    };
    let mut psbt = Psbt::from_unsigned_tx(spend).unwrap();
    let mut all_keys = KeyMap::new();
    for (i, ((_, _, s), script)) in spkms.iter().zip(&scripts).enumerate() {
        psbt.inputs[i].witness_utxo = Some(prev.output[i].clone());
        psbt.inputs[i].non_witness_utxo = Some(prev.clone());
        let p = s
            .signing_provider(script, true, KeyAccess::Plain)
            .unwrap()
            .unwrap();
        p.update_psbt_input(&mut psbt, i).unwrap();
        all_keys.extend(p.keys.clone());
    }
    assert!(!psbt.inputs[2].bip32_derivation.is_empty());
    assert!(psbt.inputs[3].tap_internal_key.is_some());
    psbt.sign(&all_keys, &secp).unwrap();
    // Finalizing runs miniscript's interpreter over every signature.
    psbt.finalize_mut(&secp).unwrap();
    let tx = psbt.extract_tx_unchecked_fee_rate();
    assert!(tx.input[0].script_sig.len() > 100);
    assert_eq!(tx.input[3].witness.len(), 1);
}

#[test]
fn default_keypool_window_and_reload() {
    let m = master(Network::Regtest);
    let (s, _, top) = DescriptorSpkm::generate(
        &m,
        OutputType::Bech32m,
        false,
        Network::Regtest,
        DEFAULT_KEYPOOL_SIZE,
        0,
        KeyAccess::Plain,
    )
    .unwrap();
    assert_eq!(s.wallet_descriptor().range_end, 1000);
    assert_eq!(top.new_scripts.len(), 1000);
    assert_eq!(s.keypool_remaining(), 1000);
    // Core's load: the whole window from the cache, no keys.
    let l = DescriptorSpkm::load(
        s.wallet_descriptor().clone(),
        DEFAULT_KEYPOOL_SIZE,
        KeyMap::new(),
        BTreeMap::new(),
    )
    .unwrap();
    for (script, i) in &top.new_scripts {
        assert_eq!(l.script_index(script), Some(*i));
    }
    assert_eq!(l.script_pub_keys(990).len(), 10);
}
