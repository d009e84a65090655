//! Key expressions (`[origin]KEY/path/*`) parsed with Core's rules
//! (`ParsePubkey`/`ParsePubkeyInner` in `script/descriptor.cpp`), and their
//! string forms (public, compat, private, normalized).
//!
//! miniscript parses keys context-free and forgets whether hardened steps
//! were written `h` or `'`; Core remembers one flag per key expression and
//! prints it back in `ToString()`. That string is stored in `wallet.dat`, so
//! it must match, which is why keys get their own parser here.

use std::fmt;
use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint, Xpriv, Xpub};
use bitcoin::hashes::{hash160, ripemd160, sha256};
use bitcoin::secp256k1::{SecretKey, XOnlyPublicKey};
use bitcoin::{NetworkKind, PrivateKey, PublicKey};
use miniscript::descriptor::{DescriptorXKey, SinglePub, SinglePubKey, Wildcard};
use miniscript::{hash256, DescriptorPublicKey, MiniscriptKey};

use super::error::{parse_err, KeyError};
use super::musig::MuSigExpr;

/// A parsed key expression without private data: the public key (with
/// origin, path and wildcard) and Core's `m_apostrophe` flag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct KeyExpr {
    pub key: DescriptorPublicKey,
    /// Core's flag: the last hardened marker in the expression was `'`.
    pub apostrophe: bool,
    /// For `musig()`: `key` is a placeholder and this says what it stands
    /// for (the participants are numbered just before it).
    pub musig: Option<MuSigExpr>,
}

/// Secret bytes of a key expression root; compared and hashed only so the
/// parse key type can satisfy miniscript's trait bounds.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SecretSlot {
    bytes: [u8; 32],
    compressed: bool,
}

impl fmt::Debug for SecretSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretSlot(<redacted>)")
    }
}

impl SecretSlot {
    pub fn to_private_key(&self, network: NetworkKind) -> Option<PrivateKey> {
        Some(PrivateKey {
            compressed: self.compressed,
            network,
            inner: SecretKey::from_slice(&self.bytes).ok()?,
        })
    }
}

/// The key type miniscript parses descriptors into: a key expression plus
/// its root secret if one was written (xprv or WIF).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ParseKey {
    pub expr: KeyExpr,
    pub secret: Option<SecretSlot>,
    /// Network kind of an xpub/xprv/WIF, checked against the wallet's.
    pub network: Option<NetworkKind>,
}

impl ParseKey {
    /// The root public key a secret is stored under (Core keys
    /// `walletdescriptorkey` by it) with its private key.
    pub fn root_secret(&self, network: NetworkKind) -> Option<(PublicKey, PrivateKey)> {
        let sk = self.secret.as_ref()?.to_private_key(network)?;
        let secp = crate::keys::secp();
        Some((sk.public_key(secp), sk))
    }
}

impl fmt::Display for ParseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only ever the public form: this shows up in miniscript's errors.
        fmt::Display::fmt(&self.expr, f)
    }
}

impl MiniscriptKey for ParseKey {
    type Sha256 = sha256::Hash;
    type Hash256 = hash256::Hash;
    type Ripemd160 = ripemd160::Hash;
    type Hash160 = hash160::Hash;

    fn is_uncompressed(&self) -> bool {
        self.expr.key.is_uncompressed()
    }
    fn is_x_only_key(&self) -> bool {
        self.expr.key.is_x_only_key()
    }
    fn num_der_paths(&self) -> usize {
        self.expr.key.num_der_paths()
    }
}

impl FromStr for ParseKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        parse_key_expr(s)
    }
}

impl MiniscriptKey for KeyExpr {
    type Sha256 = sha256::Hash;
    type Hash256 = hash256::Hash;
    type Ripemd160 = ripemd160::Hash;
    type Hash160 = hash160::Hash;

    fn is_uncompressed(&self) -> bool {
        self.key.is_uncompressed()
    }
    fn is_x_only_key(&self) -> bool {
        self.key.is_x_only_key()
    }
    fn num_der_paths(&self) -> usize {
        self.key.num_der_paths()
    }
}

impl fmt::Display for KeyExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// A key rendered to text (for the compat, private and normalized forms),
/// carrying the flags miniscript's context checks ask about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RenderedKey {
    pub text: String,
    pub uncompressed: bool,
    pub xonly: bool,
}

impl fmt::Display for RenderedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl MiniscriptKey for RenderedKey {
    type Sha256 = sha256::Hash;
    type Hash256 = hash256::Hash;
    type Ripemd160 = ripemd160::Hash;
    type Hash160 = hash160::Hash;

    fn is_uncompressed(&self) -> bool {
        self.uncompressed
    }
    fn is_x_only_key(&self) -> bool {
        self.xonly
    }
}

/// Core's `FormatHDKeypath`: `/1/2h` or `/1/2'`.
pub(crate) fn fmt_path(path: &[ChildNumber], apostrophe: bool) -> String {
    let mut s = String::new();
    for c in path {
        match c {
            ChildNumber::Normal { index } => s.push_str(&format!("/{index}")),
            ChildNumber::Hardened { index } => {
                s.push_str(&format!("/{index}{}", if apostrophe { '\'' } else { 'h' }))
            }
        }
    }
    s
}

fn fmt_origin(origin: &Option<(Fingerprint, DerivationPath)>, apostrophe: bool) -> String {
    match origin {
        Some((fp, path)) => format!("[{fp}{}]", fmt_path(path.as_ref(), apostrophe)),
        None => String::new(),
    }
}

fn fmt_wildcard(w: Wildcard, apostrophe: bool) -> &'static str {
    match (w, apostrophe) {
        (Wildcard::None, _) => "",
        (Wildcard::Unhardened, _) => "/*",
        (Wildcard::Hardened, true) => "/*'",
        (Wildcard::Hardened, false) => "/*h",
    }
}

impl KeyExpr {
    /// Core's `ToString(PUBLIC)`, or with `compat` its `ToString(COMPAT)`
    /// (every hardened marker `'`, used for descriptor ids).
    pub fn render(&self, compat: bool) -> String {
        let apos = self.apostrophe || compat;
        match &self.key {
            DescriptorPublicKey::Single(s) => {
                format!("{}{}", fmt_origin(&s.origin, apos), single_hex(&s.key))
            }
            DescriptorPublicKey::XPub(x) => format!(
                "{}{}{}{}",
                fmt_origin(&x.origin, apos),
                x.xkey,
                fmt_path(x.derivation_path.as_ref(), apos),
                fmt_wildcard(x.wildcard, apos)
            ),
            // Rejected at parse time; render something readable anyway.
            DescriptorPublicKey::MultiXPub(_) => self.key.to_string(),
        }
    }

    /// Core's `ToPrivateString`: the root secret in place of the public key
    /// when `secret` is given (WIF or xprv), else the public form.
    pub fn render_private(&self, secret: Option<&PrivateKey>) -> String {
        let apos = self.apostrophe;
        match (&self.key, secret) {
            (DescriptorPublicKey::Single(s), Some(sk)) => {
                format!("{}{}", fmt_origin(&s.origin, apos), sk.to_wif())
            }
            (DescriptorPublicKey::XPub(x), Some(sk)) => {
                let xprv = xprv_from(&x.xkey, &sk.inner);
                format!(
                    "{}{}{}{}",
                    fmt_origin(&x.origin, apos),
                    xprv,
                    fmt_path(x.derivation_path.as_ref(), apos),
                    fmt_wildcard(x.wildcard, apos)
                )
            }
            _ => self.render(false),
        }
    }

    /// Core's `ToNormalizedString`: hardened markers as `h`, and for a key
    /// with hardened path steps, the xpub at the last hardened step with the
    /// skipped steps moved into the origin. `last_hardened` is that xpub
    /// (from the LH cache or derived with the private key); `None` where it
    /// is needed is an error, as in Core.
    pub fn render_normalized(&self, last_hardened: Option<&Xpub>) -> Result<String, KeyError> {
        match &self.key {
            DescriptorPublicKey::Single(s) => Ok(format!(
                "{}{}",
                fmt_origin(&s.origin, false),
                single_hex(&s.key)
            )),
            DescriptorPublicKey::XPub(x) => {
                let path: &[ChildNumber] = x.derivation_path.as_ref();
                let inner = if x.wildcard == Wildcard::Hardened {
                    format!(
                        "{}{}{}",
                        x.xkey,
                        fmt_path(path, false),
                        fmt_wildcard(x.wildcard, false)
                    )
                } else if let Some(last) = path.iter().rposition(|c| c.is_hardened()) {
                    let lh = last_hardened.ok_or_else(|| {
                        KeyError::Derive(
                            "the last hardened xpub is neither cached nor derivable without the private key"
                                .into(),
                        )
                    })?;
                    format!(
                        "[{}{}]{}{}{}",
                        x.xkey.fingerprint(),
                        fmt_path(&path[..=last], false),
                        lh,
                        fmt_path(&path[last + 1..], false),
                        fmt_wildcard(x.wildcard, false)
                    )
                } else {
                    // No hardened steps: Core prints the plain public form.
                    format!(
                        "{}{}{}",
                        x.xkey,
                        fmt_path(path, self.apostrophe),
                        fmt_wildcard(x.wildcard, self.apostrophe)
                    )
                };
                Ok(match (&x.origin, inner.strip_prefix('[')) {
                    // Merge our origin with the one made for the hardened
                    // prefix: keep our fingerprint, append its path.
                    (Some((fp, opath)), Some(rest)) => {
                        format!("[{fp}{}{}", fmt_path(opath.as_ref(), false), &rest[8..])
                    }
                    (origin, _) => format!("{}{}", fmt_origin(origin, false), inner),
                })
            }
            DescriptorPublicKey::MultiXPub(_) => Err(multipath_err()),
        }
    }

    /// Whether this key needs private keys or a cache to derive: a hardened
    /// path step or a hardened wildcard (Core's `IsHardened`).
    pub fn is_hardened(&self) -> bool {
        match &self.key {
            DescriptorPublicKey::XPub(x) => {
                x.wildcard == Wildcard::Hardened
                    || x.derivation_path.into_iter().any(|c| c.is_hardened())
            }
            _ => false,
        }
    }

    /// The public key the root secret of this expression is stored under.
    pub fn root_pubkey(&self) -> Option<PublicKey> {
        if self.musig.is_some() {
            return None;
        }
        match &self.key {
            DescriptorPublicKey::Single(s) => match s.key {
                SinglePubKey::FullKey(pk) => Some(pk),
                SinglePubKey::XOnly(_) => None,
            },
            DescriptorPublicKey::XPub(x) => Some(PublicKey::new(x.xkey.public_key)),
            DescriptorPublicKey::MultiXPub(_) => None,
        }
    }

    /// Core's tr() context: a WIF key there is used (and printed) x-only.
    pub fn into_taproot_context(self, from_secret: bool) -> KeyExpr {
        match self.key {
            DescriptorPublicKey::Single(SinglePub {
                origin,
                key: SinglePubKey::FullKey(pk),
            }) if from_secret && pk.compressed => KeyExpr {
                key: DescriptorPublicKey::Single(SinglePub {
                    origin,
                    key: SinglePubKey::XOnly(XOnlyPublicKey::from(pk.inner)),
                }),
                apostrophe: self.apostrophe,
                musig: self.musig,
            },
            key => KeyExpr {
                key,
                apostrophe: self.apostrophe,
                musig: self.musig,
            },
        }
    }
}

fn single_hex(k: &SinglePubKey) -> String {
    match k {
        SinglePubKey::FullKey(pk) => pk.to_string(),
        SinglePubKey::XOnly(x) => x.to_string(),
    }
}

/// Rebuilds the extended private key of a root xpub from its secret (Core's
/// `GetExtKey`: depth, fingerprint, child and chain code come from the xpub).
pub(crate) fn xprv_from(xpub: &Xpub, secret: &SecretKey) -> Xpriv {
    Xpriv {
        network: xpub.network,
        depth: xpub.depth,
        parent_fingerprint: xpub.parent_fingerprint,
        child_number: xpub.child_number,
        private_key: *secret,
        chain_code: xpub.chain_code,
    }
}

/// The secret key at `path` below the extended key whose public half is
/// `xpub` and whose secret is `secret` (BIP32's CKDpriv). The same keys as
/// [`Xpriv::derive_priv`], which also computes every parent's fingerprint,
/// an EC multiplication per step that signing never reads: here the first
/// normal step uses `xpub`'s known public key and later ones one
/// multiplication each.
pub(crate) fn derive_secret(
    xpub: &Xpub,
    secret: &SecretKey,
    path: &[ChildNumber],
) -> Result<SecretKey, KeyError> {
    use bitcoin::hashes::{hmac, sha512, Hash, HashEngine};
    let secp = super::secp();
    let mut sk = *secret;
    let mut chain_code: [u8; 32] = xpub.chain_code.to_bytes();
    let mut public = Some(xpub.public_key);
    for &child in path {
        let mut engine = hmac::HmacEngine::<sha512::Hash>::new(&chain_code);
        if child.is_hardened() {
            engine.input(&[0]);
            engine.input(&sk.secret_bytes());
        } else {
            let pk =
                public.unwrap_or_else(|| bitcoin::secp256k1::PublicKey::from_secret_key(secp, &sk));
            engine.input(&pk.serialize());
        }
        engine.input(&u32::from(child).to_be_bytes());
        let out = hmac::Hmac::<sha512::Hash>::from_engine(engine).to_byte_array();
        let (left, right) = out.split_at(32);
        let mut tweak = [0u8; 32];
        tweak.copy_from_slice(left);
        let tweak = bitcoin::secp256k1::Scalar::from_be_bytes(tweak)
            .map_err(|_| KeyError::Derive("invalid BIP32 child key".into()))?;
        sk = sk
            .add_tweak(&tweak)
            .map_err(|_| KeyError::Derive("invalid BIP32 child key".into()))?;
        chain_code.copy_from_slice(right);
        public = None;
    }
    Ok(sk)
}

fn multipath_err() -> KeyError {
    KeyError::Unsupported(
        "multipath key expressions (<a;b>) must be expanded into single descriptors first".into(),
    )
}

/// Core's `ParseKeyPathNum`: decimal u32 ≤ 0x7fffffff with an optional `'`
/// or `h`; updates the apostrophe flag on each hardened step.
pub(crate) fn parse_path_elem(elem: &str, apostrophe: &mut bool) -> Result<ChildNumber, KeyError> {
    let (num, hardened) = match elem.strip_suffix('\'') {
        Some(n) => {
            *apostrophe = true;
            (n, true)
        }
        None => match elem.strip_suffix('h') {
            Some(n) => {
                *apostrophe = false;
                (n, true)
            }
            None => (elem, false),
        },
    };
    if num.starts_with('<') {
        return Err(multipath_err());
    }
    let value: u32 = if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) {
        num.parse()
            .map_err(|_| parse_err(format!("Key path value '{num}' is not a valid uint32")))?
    } else {
        return Err(parse_err(format!(
            "Key path value '{num}' is not a valid uint32"
        )));
    };
    if value > 0x7fff_ffff {
        return Err(parse_err(format!("Key path value {value} is out of range")));
    }
    Ok(if hardened {
        ChildNumber::Hardened { index: value }
    } else {
        ChildNumber::Normal { index: value }
    })
}

pub(crate) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn hex_bytes(s: &str) -> Vec<u8> {
    // Only called after is_hex.
    (0..s.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Parses one key expression the way Core does, context-free: hex keys (33
/// or 65 bytes; 32 bytes become x-only and miniscript then only accepts them
/// inside tr()), WIF, xpub/xprv with a path and `*`/`*'`/`*h`, and an
/// optional `[fingerprint/path]` origin.
pub(crate) fn parse_key_expr(s: &str) -> Result<ParseKey, KeyError> {
    if s.starts_with("musig(") {
        return Err(parse_err("musig() is only allowed in tr() and rawtr()"));
    }
    let mut apostrophe = false;
    let parts: Vec<&str> = s.split(']').collect();
    if parts.len() > 2 {
        return Err(parse_err(
            "Multiple ']' characters found for a single pubkey",
        ));
    }
    let (origin, key_part) = if parts.len() == 2 {
        let o = parts[0];
        let Some(o) = o.strip_prefix('[') else {
            let got = o.chars().next().unwrap_or(']');
            return Err(parse_err(format!(
                "Key origin start '[ character expected but not found, got '{got}' instead"
            )));
        };
        let mut elems = o.split('/');
        let fp = elems.next().unwrap_or("");
        if fp.len() != 8 {
            return Err(parse_err(format!(
                "Fingerprint is not 4 bytes ({} characters instead of 8 characters)",
                fp.len()
            )));
        }
        if !is_hex(fp) {
            return Err(parse_err(format!("Fingerprint '{fp}' is not hex")));
        }
        let fp = Fingerprint::from_str(fp)
            .map_err(|_| parse_err(format!("Fingerprint '{fp}' is not hex")))?;
        let path = elems
            .map(|e| parse_path_elem(e, &mut apostrophe))
            .collect::<Result<Vec<_>, _>>()?;
        (Some((fp, DerivationPath::from(path))), parts[1])
    } else {
        (None, parts[0])
    };

    let mut split: Vec<&str> = key_part.split('/').collect();
    let key_str = split[0];
    if key_str.is_empty() {
        return Err(parse_err("No key provided"));
    }
    if key_str.starts_with(char::is_whitespace) || key_str.ends_with(char::is_whitespace) {
        return Err(parse_err(format!(
            "Key '{key_str}' is invalid due to whitespace"
        )));
    }
    let secp = crate::keys::secp();
    if split.len() == 1 {
        if is_hex(key_str) {
            let data = hex_bytes(key_str);
            let key = match data.len() {
                33 | 65 => {
                    if matches!(data[0], 6 | 7) {
                        return Err(parse_err("Hybrid public keys are not allowed"));
                    }
                    PublicKey::from_slice(&data).ok().map(SinglePubKey::FullKey)
                }
                32 => XOnlyPublicKey::from_slice(&data)
                    .ok()
                    .map(SinglePubKey::XOnly),
                _ => None,
            }
            .ok_or_else(|| parse_err(format!("Pubkey '{key_str}' is invalid")))?;
            return Ok(ParseKey {
                expr: KeyExpr {
                    key: DescriptorPublicKey::Single(SinglePub { origin, key }),
                    apostrophe,
                    musig: None,
                },
                secret: None,
                network: None,
            });
        }
        if let Ok(sk) = PrivateKey::from_wif(key_str) {
            let pk = sk.public_key(secp);
            return Ok(ParseKey {
                expr: KeyExpr {
                    key: DescriptorPublicKey::Single(SinglePub {
                        origin,
                        key: SinglePubKey::FullKey(pk),
                    }),
                    apostrophe,
                    musig: None,
                },
                secret: Some(SecretSlot {
                    bytes: sk.inner.secret_bytes(),
                    compressed: sk.compressed,
                }),
                network: Some(sk.network),
            });
        }
    }
    let (xpub, secret) = if let Ok(xprv) = Xpriv::from_str(key_str) {
        let secret = SecretSlot {
            bytes: xprv.private_key.secret_bytes(),
            compressed: true,
        };
        (Xpub::from_priv(secp, &xprv), Some(secret))
    } else if let Ok(xpub) = Xpub::from_str(key_str) {
        (xpub, None)
    } else {
        return Err(parse_err(format!("key '{key_str}' is not valid")));
    };
    // Core reads the derive type (and its marker) before the path steps, so
    // a hardened path step's marker wins over the wildcard's.
    let wildcard = match split.last().copied() {
        Some("*") if split.len() > 1 => {
            split.pop();
            Wildcard::Unhardened
        }
        Some(w @ ("*'" | "*h")) if split.len() > 1 => {
            apostrophe = w == "*'";
            split.pop();
            Wildcard::Hardened
        }
        _ => Wildcard::None,
    };
    let path = split[1..]
        .iter()
        .map(|e| parse_path_elem(e, &mut apostrophe))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParseKey {
        expr: KeyExpr {
            key: DescriptorPublicKey::XPub(DescriptorXKey {
                origin,
                xkey: xpub,
                derivation_path: DerivationPath::from(path),
                wildcard,
            }),
            apostrophe,
            musig: None,
        },
        secret,
        network: Some(xpub.network),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_secret_matches_bip32() {
        let secp = super::super::secp();
        let master = Xpriv::new_master(NetworkKind::Test, &[7u8; 32]).expect("master");
        let account = master
            .derive_priv(
                secp,
                &"m/84'/1'/0'".parse::<DerivationPath>().expect("path"),
            )
            .expect("account");
        let xpub = Xpub::from_priv(secp, &account);
        for path in [
            "m/0/0",
            "m/1/7",
            "m/0/2147483647",
            "m/5'/3",
            "m/0/1'/2",
            "m",
        ] {
            let path: DerivationPath = path.parse().expect("path");
            let expected = account
                .derive_priv(secp, &path)
                .expect("derive")
                .private_key;
            let got = derive_secret(&xpub, &account.private_key, path.as_ref()).expect("derive");
            assert_eq!(got, expected, "{path}");
        }
    }

    #[test]
    fn apostrophe_flag_follows_core() {
        let xpub = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
        for (suffix, flag) in [
            ("/1h/2/*", false),
            ("/1'/2/*", true),
            ("/1/2/*'", true),
            ("/1/2/*h", false),
            // Path steps are read after the wildcard, so they win.
            ("/1'/2/*h", true),
            ("/1h/2/*'", false),
            ("/1/2/*", false),
        ] {
            let k = parse_key_expr(&format!("{xpub}{suffix}")).unwrap();
            assert_eq!(k.expr.apostrophe, flag, "{suffix}");
            assert_eq!(
                k.expr.render(false),
                format!(
                    "{xpub}{}",
                    if flag {
                        suffix.replace('h', "'")
                    } else {
                        suffix.replace('\'', "h")
                    }
                )
            );
            assert_eq!(
                k.expr.render(true),
                format!("{xpub}{}", suffix.replace('h', "'"))
            );
        }
        // The origin's markers count too, before the key's own.
        let k = parse_key_expr(&format!("[deadbeef/1']{xpub}/2/*")).unwrap();
        assert!(k.expr.apostrophe);
        assert_eq!(k.expr.render(false), format!("[deadbeef/1']{xpub}/2/*"));
        let k = parse_key_expr(&format!("[deadbeef/1']{xpub}/2h/*")).unwrap();
        assert_eq!(k.expr.render(false), format!("[deadbeef/1h]{xpub}/2h/*"));
    }

    #[test]
    fn key_errors_are_core_like() {
        let e = |s: &str| parse_key_expr(s).unwrap_err().to_string();
        assert_eq!(e(""), "No key provided");
        assert_eq!(
            e("[deadbee]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"),
            "Fingerprint is not 4 bytes (7 characters instead of 8 characters)"
        );
        assert_eq!(
            e("[deadbeeg]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"),
            "Fingerprint 'deadbeeg' is not hex"
        );
        // x = 0 is not on the curve.
        let bad = format!("02{}", "00".repeat(32));
        assert_eq!(e(&bad), format!("Pubkey '{bad}' is invalid"));
        assert_eq!(e("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8/2147483648"), "Key path value 2147483648 is out of range");
        assert_eq!(e("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8/1H"), "Key path value '1H' is not a valid uint32");
        assert_eq!(e("notakey"), "key 'notakey' is not valid");
        assert!(matches!(
            parse_key_expr("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8/<0;1>/*"),
            Err(KeyError::Unsupported(_))
        ));
        // Hybrid key (06 prefix).
        assert_eq!(e("0679be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"), "Hybrid public keys are not allowed");
    }

    #[test]
    fn private_keys_keep_their_root_secret() {
        let k = parse_key_expr("L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1").unwrap();
        assert_eq!(
            k.expr.render(false),
            "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"
        );
        let (pk, sk) = k.root_secret(NetworkKind::Main).unwrap();
        assert_eq!(
            pk.to_string(),
            "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"
        );
        assert_eq!(
            k.expr.render_private(Some(&sk)),
            "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1"
        );
        assert!(!format!("{k:?}").contains("L4rK1y"));
    }
}
