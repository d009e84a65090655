//! Bitcoin Core's wallet encryption (`src/wallet/crypter.cpp`), byte for byte,
//! so an encrypted `wallet.dat` written here unlocks in Core and vice versa.
//!
//! * A passphrase becomes an AES-256 key and IV through Core's SHA-512 KDF
//!   (derivation method 0, [`bytes_to_key_sha512_aes`]).
//! * That key encrypts a random 32-byte *master key* ([`MasterKey`], the
//!   `mkey` record).
//! * The master key encrypts each private key secret with the IV taken from
//!   the first 16 bytes of SHA256d(public key bytes) ([`encrypt_secret`],
//!   [`decrypt_key`]); decryption checks that the secret re-derives its public
//!   key, which is how a wrong master key is detected.
//!
//! All ciphers are AES-256-CBC with PKCS#7 padding.

use std::fmt;
use std::time::{Duration, Instant};

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use bitcoin::hashes::{sha256d, sha512, Hash, HashEngine};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{PrivateKey, PublicKey};
use rand::RngCore;

/// AES-256 key size (`WALLET_CRYPTO_KEY_SIZE`).
pub const WALLET_CRYPTO_KEY_SIZE: usize = 32;
/// Salt size of a master key record (`WALLET_CRYPTO_SALT_SIZE`).
pub const WALLET_CRYPTO_SALT_SIZE: usize = 8;
/// AES block / IV size (`WALLET_CRYPTO_IV_SIZE`).
pub const WALLET_CRYPTO_IV_SIZE: usize = 16;
/// Default and minimum KDF rounds (`CMasterKey::DEFAULT_DERIVE_ITERATIONS`).
pub const DEFAULT_DERIVE_ITERATIONS: u32 = 25_000;
/// The only key derivation method Core knows: iterated SHA-512 (`EVP_sha512`).
pub const DERIVATION_METHOD_SHA512: u32 = 0;
/// Time one KDF run should take after calibration (Core's `target_time`).
pub const KDF_TARGET_TIME: Duration = Duration::from_millis(100);

/// Why an encryption step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// The salt is not [`WALLET_CRYPTO_SALT_SIZE`] bytes.
    BadSaltLength(usize),
    /// Zero KDF rounds were asked for.
    ZeroIterations,
    /// A master key record names a derivation method other than 0.
    UnknownDerivationMethod(u32),
    /// A key or IV of the wrong length was supplied.
    BadKeyLength(usize),
    /// The ciphertext is not a whole number of blocks, or its padding is bad
    /// (the usual symptom of a wrong key).
    DecryptionFailed,
    /// The passphrase does not decrypt this master key.
    WrongPassphrase,
    /// A decrypted secret is not 32 bytes, not a valid scalar, or does not
    /// produce the public key it is stored under.
    KeyMismatch,
    /// A serialized master key record could not be read.
    Malformed(&'static str),
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::BadSaltLength(n) => {
                write!(f, "salt must be {WALLET_CRYPTO_SALT_SIZE} bytes, got {n}")
            }
            CryptoError::ZeroIterations => f.write_str("key derivation needs at least one round"),
            CryptoError::UnknownDerivationMethod(m) => {
                write!(f, "unknown key derivation method {m}")
            }
            CryptoError::BadKeyLength(n) => write!(f, "bad key or IV length {n}"),
            CryptoError::DecryptionFailed => f.write_str("decryption failed"),
            CryptoError::WrongPassphrase => {
                f.write_str("the wallet passphrase entered was incorrect")
            }
            CryptoError::KeyMismatch => {
                f.write_str("decrypted secret does not match its public key")
            }
            CryptoError::Malformed(what) => write!(f, "malformed master key record: {what}"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// Secret bytes (a plaintext master key or private key) that are wiped on
/// drop and never printed, mirroring Core's `CKeyingMaterial`.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyingMaterial(Vec<u8>);

impl KeyingMaterial {
    /// Wraps secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        KeyingMaterial(bytes)
    }

    /// 32 fresh random bytes: a new wallet master key (Core's
    /// `EncryptWallet` draws it from the strong RNG).
    pub fn random_master_key() -> Self {
        let mut k = vec![0u8; WALLET_CRYPTO_KEY_SIZE];
        rand::rngs::OsRng.fill_bytes(&mut k);
        KeyingMaterial(k)
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for KeyingMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyingMaterial(<{} bytes redacted>)", self.0.len())
    }
}

impl Drop for KeyingMaterial {
    fn drop(&mut self) {
        // Best effort without unsafe code: overwrite, then keep the optimiser
        // from proving the write dead.
        self.0.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&self.0);
    }
}

/// Core's `BytesToKeySHA512AES`: D = SHA512(passphrase ‖ salt), then
/// D = SHA512(D) `rounds − 1` more times; key = D[0..32], IV = D[32..48].
/// The passphrase bytes are used as given (no normalisation), as in Core.
pub fn bytes_to_key_sha512_aes(
    passphrase: &[u8],
    salt: &[u8],
    rounds: u32,
) -> Result<([u8; WALLET_CRYPTO_KEY_SIZE], [u8; WALLET_CRYPTO_IV_SIZE]), CryptoError> {
    if rounds == 0 {
        return Err(CryptoError::ZeroIterations);
    }
    let mut engine = sha512::Hash::engine();
    engine.input(passphrase);
    engine.input(salt);
    let mut d = sha512::Hash::from_engine(engine).to_byte_array();
    for _ in 1..rounds {
        d = sha512::Hash::hash(&d).to_byte_array();
    }
    let mut key = [0u8; WALLET_CRYPTO_KEY_SIZE];
    let mut iv = [0u8; WALLET_CRYPTO_IV_SIZE];
    key.copy_from_slice(&d[..WALLET_CRYPTO_KEY_SIZE]);
    iv.copy_from_slice(&d[WALLET_CRYPTO_KEY_SIZE..WALLET_CRYPTO_KEY_SIZE + WALLET_CRYPTO_IV_SIZE]);
    d.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&d);
    Ok((key, iv))
}

/// AES-256-CBC with PKCS#7 padding: always adds 1..=16 bytes of padding, so
/// a 32-byte secret becomes 48 bytes as in Core's records.
pub fn aes256_cbc_encrypt(
    key: &[u8; WALLET_CRYPTO_KEY_SIZE],
    iv: &[u8; WALLET_CRYPTO_IV_SIZE],
    plaintext: &[u8],
) -> Vec<u8> {
    let mut out = vec![0u8; plaintext.len() + WALLET_CRYPTO_IV_SIZE];
    let len = cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
        .encrypt_padded_b2b::<Pkcs7>(plaintext, &mut out)
        // The buffer always has room for a full padding block.
        .map(|ct| ct.len())
        .unwrap_or(0);
    out.truncate(len);
    out
}

/// Inverse of [`aes256_cbc_encrypt`]; a ciphertext that is empty, not block
/// aligned, or badly padded is [`CryptoError::DecryptionFailed`].
pub fn aes256_cbc_decrypt(
    key: &[u8; WALLET_CRYPTO_KEY_SIZE],
    iv: &[u8; WALLET_CRYPTO_IV_SIZE],
    ciphertext: &[u8],
) -> Result<KeyingMaterial, CryptoError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(WALLET_CRYPTO_IV_SIZE) {
        return Err(CryptoError::DecryptionFailed);
    }
    let mut out = vec![0u8; ciphertext.len()];
    let len = cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
        .decrypt_padded_b2b::<Pkcs7>(ciphertext, &mut out)
        .map_err(|_| CryptoError::DecryptionFailed)?
        .len();
    out.truncate(len);
    Ok(KeyingMaterial(out))
}

/// Core's `CCrypter`: an AES-256 key and IV, set from a passphrase or from a
/// master key plus IV.
pub struct Crypter {
    key: [u8; WALLET_CRYPTO_KEY_SIZE],
    iv: [u8; WALLET_CRYPTO_IV_SIZE],
}

impl fmt::Debug for Crypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Crypter(<redacted>)")
    }
}

impl Drop for Crypter {
    fn drop(&mut self) {
        self.key = [0; WALLET_CRYPTO_KEY_SIZE];
        self.iv = [0; WALLET_CRYPTO_IV_SIZE];
        std::hint::black_box(&self.key);
    }
}

impl Crypter {
    /// `SetKeyFromPassphrase`: the salt must be 8 bytes, rounds ≥ 1 and the
    /// method 0.
    pub fn from_passphrase(
        passphrase: &[u8],
        salt: &[u8],
        rounds: u32,
        method: u32,
    ) -> Result<Self, CryptoError> {
        if salt.len() != WALLET_CRYPTO_SALT_SIZE {
            return Err(CryptoError::BadSaltLength(salt.len()));
        }
        if method != DERIVATION_METHOD_SHA512 {
            return Err(CryptoError::UnknownDerivationMethod(method));
        }
        let (key, iv) = bytes_to_key_sha512_aes(passphrase, salt, rounds)?;
        Ok(Crypter { key, iv })
    }

    /// `SetKey`: a 32-byte key and a 16-byte IV.
    pub fn from_key(key: &[u8], iv: &[u8]) -> Result<Self, CryptoError> {
        let key: [u8; WALLET_CRYPTO_KEY_SIZE] = key
            .try_into()
            .map_err(|_| CryptoError::BadKeyLength(key.len()))?;
        let iv: [u8; WALLET_CRYPTO_IV_SIZE] = iv
            .try_into()
            .map_err(|_| CryptoError::BadKeyLength(iv.len()))?;
        Ok(Crypter { key, iv })
    }

    /// The derived AES key (for known-answer tests).
    pub fn key(&self) -> &[u8; WALLET_CRYPTO_KEY_SIZE] {
        &self.key
    }

    /// The derived IV (for known-answer tests).
    pub fn iv(&self) -> &[u8; WALLET_CRYPTO_IV_SIZE] {
        &self.iv
    }

    /// Encrypts with PKCS#7 padding.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        aes256_cbc_encrypt(&self.key, &self.iv, plaintext)
    }

    /// Decrypts and strips PKCS#7 padding.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<KeyingMaterial, CryptoError> {
        aes256_cbc_decrypt(&self.key, &self.iv, ciphertext)
    }
}

/// Core's KDF round calibration (`EncryptMasterKey`): two timed runs starting
/// from `start` rounds, each scaled to [`KDF_TARGET_TIME`] and combined as a
/// running average, never below [`DEFAULT_DERIVE_ITERATIONS`]. `time_run(n)`
/// reports how long `n` rounds took; a zero duration (a mocked clock) stops
/// calibration at the default, as Core does.
pub fn calibrate_iterations(start: u32, mut time_run: impl FnMut(u32) -> Duration) -> u32 {
    let mut iterations = start;
    for i in 0..2u64 {
        let elapsed = time_run(iterations);
        if elapsed.is_zero() {
            iterations = DEFAULT_DERIVE_ITERATIONS;
            break;
        }
        // Core computes in double milliseconds and truncates to unsigned.
        let target = (f64::from(iterations) * KDF_TARGET_TIME.as_secs_f64() / elapsed.as_secs_f64())
            .min(f64::from(u32::MAX)) as u64;
        let avg = (i * u64::from(iterations) + target) / (i + 1);
        iterations = u32::try_from(avg).unwrap_or(u32::MAX);
    }
    iterations.max(DEFAULT_DERIVE_ITERATIONS)
}

/// Core's `CMasterKey` (the `mkey` record value): the 32-byte wallet master
/// key encrypted under a passphrase-derived key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// The encrypted master key, 48 bytes for a 32-byte key.
    pub crypted_key: Vec<u8>,
    /// KDF salt, 8 bytes.
    pub salt: Vec<u8>,
    /// KDF method; only 0 (iterated SHA-512) exists.
    pub derivation_method: u32,
    /// KDF rounds.
    pub derive_iterations: u32,
    /// Reserved for other KDF parameters; empty in practice.
    pub other_derivation_parameters: Vec<u8>,
}

impl MasterKey {
    /// Encrypts `plain` under `passphrase` with a fresh random salt and
    /// timed calibration (what `encryptwallet` writes as `mkey` id 1).
    pub fn create(passphrase: &[u8], plain: &KeyingMaterial) -> Result<Self, CryptoError> {
        let mut salt = vec![0u8; WALLET_CRYPTO_SALT_SIZE];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let mut mk = MasterKey {
            crypted_key: Vec::new(),
            salt,
            derivation_method: DERIVATION_METHOD_SHA512,
            derive_iterations: DEFAULT_DERIVE_ITERATIONS,
            other_derivation_parameters: Vec::new(),
        };
        mk.encrypt(passphrase, plain)?;
        Ok(mk)
    }

    /// (Re-)encrypts `plain` under `passphrase`, keeping the salt and
    /// recalibrating rounds from the current count by timing real KDF runs;
    /// this is also Core's passphrase change.
    pub fn encrypt(
        &mut self,
        passphrase: &[u8],
        plain: &KeyingMaterial,
    ) -> Result<(), CryptoError> {
        let salt = self.salt.clone();
        let method = self.derivation_method;
        let mut err = None;
        let rounds = calibrate_iterations(self.derive_iterations, |n| {
            let start = Instant::now();
            if let Err(e) = Crypter::from_passphrase(passphrase, &salt, n, method) {
                err = Some(e);
            }
            start.elapsed()
        });
        if let Some(e) = err {
            return Err(e);
        }
        self.encrypt_with_iterations(passphrase, plain, rounds)
    }

    /// Encrypts `plain` under `passphrase` with a fixed round count (no
    /// timing; for tests and for callers that calibrated already).
    pub fn encrypt_with_iterations(
        &mut self,
        passphrase: &[u8],
        plain: &KeyingMaterial,
        rounds: u32,
    ) -> Result<(), CryptoError> {
        let crypter =
            Crypter::from_passphrase(passphrase, &self.salt, rounds, self.derivation_method)?;
        self.crypted_key = crypter.encrypt(plain.as_bytes());
        self.derive_iterations = rounds;
        Ok(())
    }

    /// Recovers the plaintext master key. A passphrase that does not fit
    /// is [`CryptoError::WrongPassphrase`]; a result that is not 32 bytes is
    /// rejected too, as Core's unlock would fail on it.
    pub fn decrypt(&self, passphrase: &[u8]) -> Result<KeyingMaterial, CryptoError> {
        let crypter = Crypter::from_passphrase(
            passphrase,
            &self.salt,
            self.derive_iterations,
            self.derivation_method,
        )?;
        match crypter.decrypt(&self.crypted_key) {
            Ok(k) if k.as_bytes().len() == WALLET_CRYPTO_KEY_SIZE => Ok(k),
            _ => Err(CryptoError::WrongPassphrase),
        }
    }

    /// The `mkey` record value as Core serializes it: vec crypted key, vec
    /// salt, u32 method, u32 rounds, vec other parameters (little-endian,
    /// CompactSize lengths).
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(80);
        write_vec(&mut out, &self.crypted_key);
        write_vec(&mut out, &self.salt);
        out.extend_from_slice(&self.derivation_method.to_le_bytes());
        out.extend_from_slice(&self.derive_iterations.to_le_bytes());
        write_vec(&mut out, &self.other_derivation_parameters);
        out
    }

    /// Reads an `mkey` record value; trailing bytes are an error.
    pub fn deserialize(mut data: &[u8]) -> Result<Self, CryptoError> {
        let crypted_key = read_vec(&mut data)?;
        let salt = read_vec(&mut data)?;
        let derivation_method = read_u32(&mut data)?;
        let derive_iterations = read_u32(&mut data)?;
        let other_derivation_parameters = read_vec(&mut data)?;
        if !data.is_empty() {
            return Err(CryptoError::Malformed("trailing bytes"));
        }
        Ok(MasterKey {
            crypted_key,
            salt,
            derivation_method,
            derive_iterations,
            other_derivation_parameters,
        })
    }
}

/// Core's unlock, first step: the plaintext master key from the first
/// `mkey` record `passphrase` decrypts. The caller then checks it against
/// every descriptor's encrypted keys (`DescriptorSpkm::check_decryption_key`).
pub fn unlock_master_key<'a>(
    records: impl IntoIterator<Item = &'a MasterKey>,
    passphrase: &[u8],
) -> Result<KeyingMaterial, CryptoError> {
    records
        .into_iter()
        .find_map(|mk| mk.decrypt(passphrase).ok())
        .ok_or(CryptoError::WrongPassphrase)
}

fn write_vec(out: &mut Vec<u8>, v: &[u8]) {
    // Fields here are far below 253 bytes except in corrupt data, but write
    // the full CompactSize form anyway.
    let n = v.len() as u64;
    if n < 253 {
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xfd);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xfe);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    } else {
        out.push(0xff);
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(v);
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> Result<&'a [u8], CryptoError> {
    if data.len() < n {
        return Err(CryptoError::Malformed("truncated"));
    }
    let (head, tail) = data.split_at(n);
    *data = tail;
    Ok(head)
}

fn read_u32(data: &mut &[u8]) -> Result<u32, CryptoError> {
    let b = take(data, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_vec(data: &mut &[u8]) -> Result<Vec<u8>, CryptoError> {
    let first = take(data, 1)?[0];
    let (n, min) = match first {
        0xfd => {
            let b = take(data, 2)?;
            (u64::from(u16::from_le_bytes([b[0], b[1]])), 253)
        }
        0xfe => (u64::from(read_u32(data)?), 0x1_0000),
        0xff => {
            let b = take(data, 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            (u64::from_le_bytes(a), 0x1_0000_0000)
        }
        n => (u64::from(n), 0),
    };
    // Core's ReadCompactSize rejects non-canonical and oversized lengths.
    if n < min {
        return Err(CryptoError::Malformed("non-canonical length"));
    }
    if n > 0x0200_0000 {
        return Err(CryptoError::Malformed("length too large"));
    }
    Ok(take(data, n as usize)?.to_vec())
}

/// The IV Core uses for a key secret: the first 16 bytes of
/// SHA256d(serialized public key) in hash output order (`CPubKey::GetHash`).
pub fn secret_iv(pubkey: &PublicKey) -> [u8; WALLET_CRYPTO_IV_SIZE] {
    let h = sha256d::Hash::hash(&pubkey.to_bytes()).to_byte_array();
    let mut iv = [0u8; WALLET_CRYPTO_IV_SIZE];
    iv.copy_from_slice(&h[..WALLET_CRYPTO_IV_SIZE]);
    iv
}

/// `EncryptSecret`: encrypts a 32-byte private key under the master key with
/// the IV of its public key; the result (48 bytes) is a
/// `walletdescriptorckey` value.
pub fn encrypt_secret(
    master_key: &KeyingMaterial,
    secret: &[u8],
    pubkey: &PublicKey,
) -> Result<Vec<u8>, CryptoError> {
    Ok(Crypter::from_key(master_key.as_bytes(), &secret_iv(pubkey))?.encrypt(secret))
}

/// Encrypts the secret of `key` for storage under its own public key.
pub fn encrypt_key(master_key: &KeyingMaterial, key: &PrivateKey) -> Result<Vec<u8>, CryptoError> {
    let secp = crate::keys::secp();
    let pubkey = key.public_key(secp);
    encrypt_secret(master_key, &key.inner.secret_bytes(), &pubkey)
}

/// `DecryptKey`: decrypts a stored secret and checks that it is 32 bytes and
/// re-derives `pubkey` (with the same compression), so a wrong master key
/// is caught even when the padding happens to look valid.
pub fn decrypt_key(
    master_key: &KeyingMaterial,
    crypted_secret: &[u8],
    pubkey: &PublicKey,
) -> Result<PrivateKey, CryptoError> {
    let crypter = Crypter::from_key(master_key.as_bytes(), &secret_iv(pubkey))?;
    let secret = crypter.decrypt(crypted_secret)?;
    if secret.as_bytes().len() != 32 {
        return Err(CryptoError::KeyMismatch);
    }
    let sk = SecretKey::from_slice(secret.as_bytes()).map_err(|_| CryptoError::KeyMismatch)?;
    // The network only matters for WIF display, never for stored keys.
    let key = PrivateKey {
        compressed: pubkey.compressed,
        network: bitcoin::NetworkKind::Main,
        inner: sk,
    };
    let secp = crate::keys::secp();
    if key.public_key(secp) != *pubkey {
        return Err(CryptoError::KeyMismatch);
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
