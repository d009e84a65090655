//! Core's `CPrivKey`: a private key as a SEC1 `ECPrivateKey` DER structure
//! with explicit secp256k1 parameters and the public key (`key.cpp`
//! `ec_seckey_export_der`/`ec_seckey_import_der`). `walletdescriptorkey`
//! records store keys this way, followed by SHA256d(pubkey ‖ DER).

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::secp256k1::constants::{CURVE_ORDER, FIELD_SIZE, GENERATOR_X, GENERATOR_Y};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{NetworkKind, PrivateKey, PublicKey};

use super::error::KeyError;

/// Size of a compressed key's DER form (Core's `CKey::COMPRESSED_SIZE`).
pub const DER_COMPRESSED_SIZE: usize = 214;
/// Size of an uncompressed key's DER form (Core's `CKey::SIZE`).
pub const DER_UNCOMPRESSED_SIZE: usize = 279;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    // Minimal DER lengths reproduce Core's fixed byte templates exactly.
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// A positive DER INTEGER from big-endian magnitude bytes.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(bytes);
    tlv(0x02, &v)
}

/// Serializes `key` as Core's `CPrivKey` (214 bytes compressed, 279
/// uncompressed), public key form following `key.compressed`.
pub fn privkey_to_der(key: &PrivateKey) -> Vec<u8> {
    let secp = crate::keys::secp();
    let pubkey = key.public_key(secp).to_bytes();
    let generator: Vec<u8> = if key.compressed {
        let mut g = vec![0x02 | (GENERATOR_Y[31] & 1)];
        g.extend_from_slice(&GENERATOR_X);
        g
    } else {
        let mut g = vec![0x04];
        g.extend_from_slice(&GENERATOR_X);
        g.extend_from_slice(&GENERATOR_Y);
        g
    };
    // OID 1.2.840.10045.1.1 (prime-field).
    let prime_field_oid = tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x01, 0x01]);
    let field_id = tlv(0x30, &[prime_field_oid, der_uint(&FIELD_SIZE)].concat());
    let curve = tlv(0x30, &[tlv(0x04, &[0x00]), tlv(0x04, &[0x07])].concat());
    let params = tlv(
        0x30,
        &[
            der_uint(&[1]),
            field_id,
            curve,
            tlv(0x04, &generator),
            der_uint(&CURVE_ORDER),
            der_uint(&[1]),
        ]
        .concat(),
    );
    let mut bitstring = vec![0x00];
    bitstring.extend_from_slice(&pubkey);
    let body = [
        der_uint(&[1]),
        tlv(0x04, &key.inner.secret_bytes()),
        tlv(0xa0, &params),
        tlv(0xa1, &tlv(0x03, &bitstring)),
    ]
    .concat();
    tlv(0x30, &body)
}

/// Reads Core's `CPrivKey` as leniently as Core does (only the header,
/// version and ≤32-byte octet string are checked), then checks that the key
/// produces `pubkey`; the result takes `pubkey`'s compression.
pub fn privkey_from_der(der: &[u8], pubkey: &PublicKey) -> Result<PrivateKey, KeyError> {
    let bad = |m: &str| KeyError::Corrupt(format!("bad private key encoding: {m}"));
    if der.first() != Some(&0x30) {
        return Err(bad("not a sequence"));
    }
    let lb = *der.get(1).ok_or_else(|| bad("truncated"))?;
    if lb & 0x80 == 0 {
        return Err(bad("short length form"));
    }
    let lenb = usize::from(lb & 0x7f);
    if !(1..=2).contains(&lenb) {
        return Err(bad("length"));
    }
    let lbytes = der.get(2..2 + lenb).ok_or_else(|| bad("truncated"))?;
    let len = lbytes
        .iter()
        .fold(0usize, |a, &b| (a << 8) | usize::from(b));
    let mut q = &der[2 + lenb..];
    if q.len() < len {
        return Err(bad("truncated"));
    }
    if q.len() < 3 || q[..3] != [0x02, 0x01, 0x01] {
        return Err(bad("version"));
    }
    q = &q[3..];
    if q.len() < 2 || q[0] != 0x04 {
        return Err(bad("octet string"));
    }
    let oslen = usize::from(q[1]);
    q = &q[2..];
    if oslen > 32 || q.len() < oslen {
        return Err(bad("octet string length"));
    }
    let mut secret = [0u8; 32];
    secret[32 - oslen..].copy_from_slice(&q[..oslen]);
    let sk = SecretKey::from_slice(&secret).map_err(|_| bad("invalid scalar"))?;
    let key = PrivateKey {
        compressed: pubkey.compressed,
        network: NetworkKind::Main,
        inner: sk,
    };
    let secp = crate::keys::secp();
    if key.public_key(secp) != *pubkey {
        return Err(KeyError::Corrupt(
            "private key does not match its public key".into(),
        ));
    }
    Ok(key)
}

/// The checksum after a `walletdescriptorkey` value: SHA256d(pubkey bytes ‖
/// DER bytes), in hash output order.
pub fn descriptor_key_checksum(pubkey: &PublicKey, der: &[u8]) -> [u8; 32] {
    let mut e = sha256d::Hash::engine();
    e.input(&pubkey.to_bytes());
    e.input(der);
    sha256d::Hash::from_engine(e).to_byte_array()
}

#[cfg(test)]
mod tests {
    use bitcoin::hex::DisplayHex;

    use super::*;

    #[test]
    fn der_sizes_and_layout_match_core() {
        let sk = SecretKey::from_slice(&[0x42; 32]).unwrap();
        let secp = bitcoin::secp256k1::Secp256k1::new();
        for (compressed, size, head) in [
            (true, DER_COMPRESSED_SIZE, "3081d30201010420"),
            (false, DER_UNCOMPRESSED_SIZE, "308201130201010420"),
        ] {
            let k = PrivateKey {
                compressed,
                network: NetworkKind::Main,
                inner: sk,
            };
            let der = privkey_to_der(&k);
            assert_eq!(der.len(), size);
            assert!(der.to_lower_hex_string().starts_with(head));
            // The public key closes the structure.
            let pk = k.public_key(&secp);
            assert!(der.ends_with(&pk.to_bytes()));
            let back = privkey_from_der(&der, &pk).unwrap();
            assert_eq!(back.inner, sk);
            assert_eq!(back.compressed, compressed);
        }
        // Compressed middle section as in Core (parameters block start).
        let der = privkey_to_der(&PrivateKey {
            compressed: true,
            network: NetworkKind::Main,
            inner: sk,
        });
        assert_eq!(
            der[40..52].to_lower_hex_string(),
            "a08185308182020101302c06"
        );
        assert!(der.to_lower_hex_string().contains("a124032200"));
    }

    #[test]
    fn der_import_rejects_mismatch_and_garbage() {
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let k = PrivateKey {
            compressed: true,
            network: NetworkKind::Main,
            inner: SecretKey::from_slice(&[0x42; 32]).unwrap(),
        };
        let other = PrivateKey {
            compressed: true,
            network: NetworkKind::Main,
            inner: SecretKey::from_slice(&[0x43; 32]).unwrap(),
        };
        let der = privkey_to_der(&k);
        assert!(privkey_from_der(&der, &other.public_key(&secp)).is_err());
        assert!(privkey_from_der(&der[..5], &k.public_key(&secp)).is_err());
        assert!(privkey_from_der(&[], &k.public_key(&secp)).is_err());
        assert_eq!(
            descriptor_key_checksum(&k.public_key(&secp), &der).len(),
            32
        );
    }
}
