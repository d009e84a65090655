//! Known answers from Core's `wallet_crypto_tests.cpp` and `crypto_tests.cpp`
//! (`aes_cbc_testvectors`, the NIST SP 800-38A vectors), plus round trips.

use std::time::Duration;

use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{NetworkKind, PrivateKey};

use super::*;

fn hex(s: &str) -> Vec<u8> {
    Vec::<u8>::from_hex(s).expect("test vector hex")
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    hex(s).try_into().expect("test vector length")
}

#[test]
fn kdf_known_answer() {
    // wallet_crypto_tests.cpp, `passphrase`: salt 0000deadbeef0000, "test",
    // DEFAULT_DERIVE_ITERATIONS rounds.
    let c = Crypter::from_passphrase(b"test", &hex("0000deadbeef0000"), 25_000, 0).unwrap();
    assert_eq!(
        c.key().to_lower_hex_string(),
        "fc7aba077ad5f4c3a0988d8daa4810d0d4a0e3bcb53af662998898f33df0556a"
    );
    assert_eq!(
        c.iv().to_lower_hex_string(),
        "cf2f2691526dd1aa220896fb8bf7c369"
    );
}

#[test]
fn kdf_single_round_is_sha512_of_passphrase_and_salt() {
    let salt = hex("0102030405060708");
    let (key, iv) = bytes_to_key_sha512_aes(b"pw", &salt, 1).unwrap();
    let mut data = b"pw".to_vec();
    data.extend_from_slice(&salt);
    let d = sha512::Hash::hash(&data).to_byte_array();
    assert_eq!(&key[..], &d[..32]);
    assert_eq!(&iv[..], &d[32..48]);
    // Two rounds hash the 64-byte digest once more.
    let (key2, _) = bytes_to_key_sha512_aes(b"pw", &salt, 2).unwrap();
    assert_eq!(&key2[..], &sha512::Hash::hash(&d).to_byte_array()[..32]);
}

#[test]
fn kdf_rejects_bad_parameters() {
    assert_eq!(
        Crypter::from_passphrase(b"x", &[0u8; 7], 1, 0).unwrap_err(),
        CryptoError::BadSaltLength(7)
    );
    assert_eq!(
        Crypter::from_passphrase(b"x", &[0u8; 8], 0, 0).unwrap_err(),
        CryptoError::ZeroIterations
    );
    assert_eq!(
        Crypter::from_passphrase(b"x", &[0u8; 8], 1, 1).unwrap_err(),
        CryptoError::UnknownDerivationMethod(1)
    );
    assert!(Crypter::from_key(&[0u8; 31], &[0u8; 16]).is_err());
    assert!(Crypter::from_key(&[0u8; 32], &[0u8; 15]).is_err());
}

#[test]
fn aes_cbc_nist_vectors_with_padding() {
    let key: [u8; 32] = arr("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    let cases = [
        (
            "000102030405060708090A0B0C0D0E0F",
            "6bc1bee22e409f96e93d7e117393172a",
            "f58c4c04d6e5f1ba779eabfb5f7bfbd6485a5c81519cf378fa36d42b8547edc0",
        ),
        (
            "F58C4C04D6E5F1BA779EABFB5F7BFBD6",
            "ae2d8a571e03ac9c9eb76fac45af8e51",
            "9cfc4e967edb808d679f777bc6702c7d3a3aa5e0213db1a9901f9036cf5102d2",
        ),
        (
            "9CFC4E967EDB808D679F777BC6702C7D",
            "30c81c46a35ce411e5fbc1191a0a52ef",
            "39f23369a9d9bacfa530e263042314612f8da707643c90a6f732b3de1d3f5cee",
        ),
        (
            "39F23369A9D9BACFA530E26304231461",
            "f69f2445df4f9b17ad2b417be66c3710",
            "b2eb05e2c39be9fcda6c19078c6a9d1b3f461796d6b0d6b2e0c2a72b4d80e644",
        ),
    ];
    for (iv, pt, ct) in cases {
        let iv: [u8; 16] = arr(iv);
        let got = aes256_cbc_encrypt(&key, &iv, &hex(pt));
        assert_eq!(got.to_lower_hex_string(), ct);
        let back = aes256_cbc_decrypt(&key, &iv, &got).unwrap();
        assert_eq!(back.as_bytes(), &hex(pt)[..]);
    }
}

#[test]
fn encrypt_round_trips_every_suffix() {
    // wallet_crypto_tests.cpp `encrypt`: the plaintext and each of its
    // suffixes round-trip, so every padding length is exercised.
    let c = Crypter::from_passphrase(b"passphrase", &hex("0000deadbeef0000"), 25_000, 0).unwrap();
    let pt = hex("22bcade09ac03ff6386914359cfe885cfeb5f77ff0d670f102f619687453b29d");
    for i in 0..=pt.len() {
        let ct = c.encrypt(&pt[i..]);
        assert_eq!(ct.len(), (pt.len() - i) / 16 * 16 + 16);
        assert_eq!(c.decrypt(&ct).unwrap().as_bytes(), &pt[i..]);
    }
}

#[test]
fn decrypt_corner_cases_fail_cleanly() {
    // wallet_crypto_tests.cpp `decrypt`: random 32-byte "ciphertexts" under
    // the "passphrase" key must not crash; they fail or yield garbage.
    let c = Crypter::from_passphrase(b"passphrase", &hex("0000deadbeef0000"), 25_000, 0).unwrap();
    for ct in [
        "795643ce39d736088367822cdc50535ec6f103715e3e48f4f3b1a60a08ef59ca",
        "de096f4a8f9bd97db012aa9d90d74de8cdea779c3ee8bc7633d8b5d6da703486",
        "32d0a8974e3afd9c6c3ebf4d66aa4e6419f8c173de25947f98cf8b7ace49449c",
        "e7c055cca2faa78cb9ac22c9357a90b4778ded9b2cc220a14cea49f931e596ea",
        "b88efddd668a6801d19516d6830da4ae9811988ccbaf40df8fbb72f3f4d335fd",
        "8cae76aa6a43694e961ebcb28c8ca8f8540b84153d72865e8561ddd93fa7bfa9",
    ] {
        if let Ok(pt) = c.decrypt(&hex(ct)) {
            assert!(pt.as_bytes().len() < 32);
        }
    }
    assert_eq!(c.decrypt(&[]).unwrap_err(), CryptoError::DecryptionFailed);
    assert_eq!(
        c.decrypt(&[0u8; 17]).unwrap_err(),
        CryptoError::DecryptionFailed
    );
}

#[test]
fn calibration_follows_core() {
    // A run that takes 50 ms at 25000 rounds targets 50000; the second run
    // at 50000 takes 100 ms (target 50000) and averages to 50000.
    let mut calls = Vec::new();
    let n = calibrate_iterations(25_000, |r| {
        calls.push(r);
        Duration::from_micros(u64::from(r) * 2)
    });
    assert_eq!(calls, vec![25_000, 50_000]);
    assert_eq!(n, 50_000);

    // Slow machine: never below the minimum.
    assert_eq!(
        calibrate_iterations(25_000, |_| Duration::from_secs(1)),
        25_000
    );
    // Mocked clock (zero elapsed): the default.
    assert_eq!(calibrate_iterations(400_000, |_| Duration::ZERO), 25_000);
    // Weighted average: run 1 gives 200000, run 2 (at 200000 rounds taking
    // 400 ms) gives 50000; (1 * 200000 + 50000) / 2 = 125000.
    let mut k = 0;
    let n = calibrate_iterations(25_000, |_| {
        k += 1;
        if k == 1 {
            Duration::from_micros(12_500)
        } else {
            Duration::from_millis(400)
        }
    });
    assert_eq!(n, 125_000);
}

fn fixed_master_key(rounds: u32) -> (MasterKey, KeyingMaterial) {
    let plain = KeyingMaterial::new(vec![7u8; 32]);
    let mut mk = MasterKey {
        crypted_key: Vec::new(),
        salt: hex("0000deadbeef0000"),
        derivation_method: 0,
        derive_iterations: rounds,
        other_derivation_parameters: Vec::new(),
    };
    mk.encrypt_with_iterations(b"correct horse", &plain, rounds)
        .unwrap();
    (mk, plain)
}

#[test]
fn master_key_round_trip_and_wrong_passphrase() {
    let (mk, plain) = fixed_master_key(25_000);
    assert_eq!(mk.crypted_key.len(), 48);
    assert_eq!(mk.decrypt(b"correct horse").unwrap(), plain);
    assert_eq!(
        mk.decrypt(b"wrong horse").unwrap_err(),
        CryptoError::WrongPassphrase
    );
    assert_eq!(mk.decrypt(b"").unwrap_err(), CryptoError::WrongPassphrase);
}

#[test]
fn master_key_create_calibrates_at_least_default() {
    let plain = KeyingMaterial::random_master_key();
    let mk = MasterKey::create(b"pw", &plain).unwrap();
    assert_eq!(mk.salt.len(), 8);
    assert!(mk.derive_iterations >= DEFAULT_DERIVE_ITERATIONS);
    assert_eq!(mk.decrypt(b"pw").unwrap(), plain);
    // Passphrase change keeps salt and key, re-encrypts.
    let mut changed = mk.clone();
    changed.encrypt(b"new pw", &plain).unwrap();
    assert_eq!(changed.salt, mk.salt);
    assert_eq!(changed.decrypt(b"new pw").unwrap(), plain);
    assert!(changed.decrypt(b"pw").is_err());
}

#[test]
fn master_key_serialization() {
    let (mk, _) = fixed_master_key(25_000);
    let bytes = mk.serialize();
    // 1+48 crypted, 1+8 salt, 4 method, 4 rounds, 1 empty vec.
    assert_eq!(bytes.len(), 67);
    assert_eq!(bytes[0], 48);
    assert_eq!(&bytes[49..58], &hex("080000deadbeef0000")[..]);
    assert_eq!(&bytes[58..66], &hex("00000000a8610000")[..]);
    assert_eq!(MasterKey::deserialize(&bytes).unwrap(), mk);
    assert!(MasterKey::deserialize(&bytes[..66]).is_err());
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(MasterKey::deserialize(&extra).is_err());
}

#[test]
fn secret_encryption_round_trip_and_verification() {
    let secp = Secp256k1::new();
    let master = KeyingMaterial::new(vec![0x11; 32]);
    for compressed in [true, false] {
        let sk = SecretKey::from_slice(&[0x42; 32]).unwrap();
        let key = PrivateKey {
            compressed,
            network: NetworkKind::Main,
            inner: sk,
        };
        let pubkey = key.public_key(&secp);
        let ct = encrypt_key(&master, &key).unwrap();
        assert_eq!(ct.len(), 48);
        // IV = first 16 bytes of SHA256d(pubkey): decrypting by hand agrees.
        let iv = sha256d::Hash::hash(&pubkey.to_bytes()).to_byte_array();
        let manual = Crypter::from_key(master.as_bytes(), &iv[..16])
            .unwrap()
            .decrypt(&ct)
            .unwrap();
        assert_eq!(manual.as_bytes(), &[0x42; 32]);
        let back = decrypt_key(&master, &ct, &pubkey).unwrap();
        assert_eq!(back.inner, sk);
        assert_eq!(back.compressed, compressed);

        // The wrong master key fails (bad padding or key mismatch).
        let wrong = KeyingMaterial::new(vec![0x12; 32]);
        assert!(decrypt_key(&wrong, &ct, &pubkey).is_err());
        // A secret stored under another pubkey does not verify.
        let other = PrivateKey {
            compressed,
            network: NetworkKind::Main,
            inner: SecretKey::from_slice(&[0x43; 32]).unwrap(),
        };
        let other_pub = other.public_key(&secp);
        let ct_other = encrypt_secret(&master, &[0x42; 32], &other_pub).unwrap();
        assert_eq!(
            decrypt_key(&master, &ct_other, &other_pub).unwrap_err(),
            CryptoError::KeyMismatch
        );
    }
}

#[test]
fn keying_material_debug_is_redacted() {
    let k = KeyingMaterial::new(vec![0xab; 32]);
    assert!(!format!("{k:?}").contains("ab"));
}

#[test]
fn unlock_tries_every_master_key() {
    let (a, plain) = fixed_master_key(25_000);
    let mut b = a.clone();
    b.encrypt_with_iterations(b"second", &plain, 25_001)
        .unwrap();
    assert_eq!(unlock_master_key([&a, &b], b"second").unwrap(), plain);
    assert_eq!(
        unlock_master_key([&a, &b], b"correct horse").unwrap(),
        plain
    );
    assert_eq!(
        unlock_master_key([&a, &b], b"nope").unwrap_err(),
        CryptoError::WrongPassphrase
    );
    assert_eq!(
        unlock_master_key([], b"x").unwrap_err(),
        CryptoError::WrongPassphrase
    );
}
