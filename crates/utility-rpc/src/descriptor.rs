//! Output descriptors: the BIP380 checksum, inferring a descriptor for a script
//! (as Core's `InferDescriptor` does without wallet data), and parsing descriptor
//! strings for `getdescriptorinfo`/`deriveaddresses`. Script semantics come from
//! the `miniscript` crate; this module adds Core's canonical text form (keys kept
//! as written, private keys replaced by public ones), multipath expansion,
//! `combo`/`rawtr`/`addr`/`raw`, and Core's error texts where tests check them.

use crate::address::{self, ChainParams};
use crate::script::{self, TxoutType};
use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::secp256k1::{Secp256k1, XOnlyPublicKey};
use miniscript::descriptor::{Descriptor, DescriptorPublicKey, DescriptorSecretKey, KeyMap};
use miniscript::{Miniscript, Segwitv0, TranslatePk};

const INPUT_CHARSET: &str =
    "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn poly_mod(c: u64, val: u64) -> u64 {
    let c0 = c >> 35;
    let mut c = ((c & 0x7_ffff_ffff) << 5) ^ val;
    const GEN: [u64; 5] = [
        0xf5_dee5_1989,
        0xa9_fdca_3312,
        0x1b_ab10_e32d,
        0x37_06b1_677a,
        0x64_4d62_6ffd,
    ];
    for (i, g) in GEN.iter().enumerate() {
        if (c0 >> i) & 1 == 1 {
            c ^= g;
        }
    }
    c
}

/// The 8-character BIP380 checksum of `desc`, or `None` if it has characters
/// outside the descriptor character set.
pub fn checksum(desc: &str) -> Option<String> {
    let mut c: u64 = 1;
    let mut cls: u64 = 0;
    let mut clscount = 0;
    for ch in desc.chars() {
        let pos = INPUT_CHARSET.find(ch)? as u64;
        c = poly_mod(c, pos & 31);
        cls = cls * 3 + (pos >> 5);
        clscount += 1;
        if clscount == 3 {
            c = poly_mod(c, cls);
            cls = 0;
            clscount = 0;
        }
    }
    if clscount > 0 {
        c = poly_mod(c, cls);
    }
    for _ in 0..8 {
        c = poly_mod(c, 0);
    }
    c ^= 1;
    Some(
        (0..8)
            .map(|j| CHECKSUM_CHARSET[((c >> (5 * (7 - j))) & 31) as usize] as char)
            .collect(),
    )
}

/// `desc#checksum`.
pub fn with_checksum(desc: &str) -> String {
    match checksum(desc) {
        Some(c) => format!("{desc}#{c}"),
        None => desc.to_string(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    P2sh,
    P2wsh,
}

fn valid_non_hybrid(key: &[u8]) -> bool {
    script::pubkey_valid_size(key) && matches!(key[0], 2..=4)
}

fn infer_key(key: &[u8], ctx: Ctx) -> Option<String> {
    if !valid_non_hybrid(key) || (ctx == Ctx::P2wsh && key.len() != 33) {
        return None;
    }
    Some(hex::encode(key))
}

fn infer_inner(spk: &[u8], ctx: Ctx, known: &[Vec<u8>], params: &ChainParams) -> Option<String> {
    let (ty, sol) = script::solve(spk);
    match ty {
        TxoutType::PubKey => {
            if let Some(k) = infer_key(&sol[0], ctx) {
                return Some(format!("pk({k})"));
            }
        }
        TxoutType::Multisig => {
            let keys: Option<Vec<String>> = sol[1..sol.len() - 1]
                .iter()
                .map(|k| infer_key(k, ctx))
                .collect();
            if let Some(keys) = keys {
                return Some(format!("multi({},{})", sol[0][0], keys.join(",")));
            }
        }
        TxoutType::ScriptHash if ctx == Ctx::Top => {
            let sub = known
                .iter()
                .find(|s| hash160::Hash::hash(s).as_byte_array()[..] == sol[0][..]);
            if let Some(inner) = sub.and_then(|s| infer_inner(s, Ctx::P2sh, known, params)) {
                return Some(format!("sh({inner})"));
            }
        }
        TxoutType::WitnessV0ScriptHash if ctx != Ctx::P2wsh => {
            let sub = known
                .iter()
                .find(|s| sha256::Hash::hash(s).as_byte_array()[..] == sol[0][..]);
            if let Some(inner) = sub.and_then(|s| infer_inner(s, Ctx::P2wsh, known, params)) {
                return Some(format!("wsh({inner})"));
            }
        }
        TxoutType::WitnessV1Taproot
            if ctx == Ctx::Top && XOnlyPublicKey::from_slice(&sol[0]).is_ok() =>
        {
            return Some(format!("rawtr({})", hex::encode(&sol[0])));
        }
        _ => {}
    }
    if ctx == Ctx::P2wsh {
        let ms =
            Miniscript::<bitcoin::PublicKey, Segwitv0>::parse(bitcoin::Script::from_bytes(spk))
                .ok()?;
        let text = ms.to_string();
        return (!text.contains("expr_raw_pkh")).then_some(text);
    }
    if ctx != Ctx::Top {
        return None;
    }
    if let Some(dest) = address::extract_destination(spk) {
        if dest.script_pubkey() == spk {
            return Some(format!("addr({})", dest.encode(params)));
        }
    }
    Some(format!("raw({})", hex::encode(spk)))
}

/// Core's `InferDescriptor(script, provider).ToString()` where the provider knows
/// only the scripts in `known` (no keys): `pk`, `multi`, `sh`/`wsh` of known
/// scripts, miniscript under `wsh`, `rawtr`, else `addr` or `raw`. Includes the checksum.
pub fn infer(spk: &[u8], known: &[Vec<u8>], params: &ChainParams) -> String {
    let text = infer_inner(spk, Ctx::Top, known, params)
        .unwrap_or_else(|| format!("raw({})", hex::encode(spk)));
    with_checksum(&text)
}

/// Core's `CheckChecksum`: returns the descriptor without its checksum.
pub fn strip_checksum(desc: &str, require: bool) -> Result<&str, String> {
    let mut parts = desc.split('#');
    let body = parts.next().unwrap_or("");
    let given = parts.next();
    if parts.next().is_some() {
        return Err("Multiple '#' symbols".into());
    }
    let Some(given) = given else {
        return if require {
            Err("Missing checksum".into())
        } else {
            Ok(body)
        };
    };
    if given.len() != 8 {
        return Err(format!(
            "Expected 8 character checksum, not {} characters",
            given.len()
        ));
    }
    let computed = checksum(body).ok_or_else(|| "Invalid characters in payload".to_string())?;
    if computed != given {
        return Err(format!(
            "Provided checksum '{given}' does not match computed checksum '{computed}'"
        ));
    }
    Ok(body)
}

/// Splits `s` at commas that are not nested in `()`, `{}` or `[]`.
pub(crate) fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// `name(args)` → (name, args).
fn call(s: &str) -> Option<(&str, &str)> {
    let open = s.find('(')?;
    let inner = s.strip_suffix(')')?;
    Some((&s[..open], &inner[open + 1..]))
}

/// Details gathered while rewriting a descriptor into its public form.
#[derive(Default)]
struct Walk {
    has_private: bool,
    is_range: bool,
}

struct Rewriter<'a> {
    params: &'a ChainParams,
    network: bitcoin::Network,
    walk: Walk,
}

fn is_test_version(v: &[u8]) -> Option<(bool, bool)> {
    // (is_private, is_testnet)
    match v {
        [0x04, 0x88, 0xb2, 0x1e] => Some((false, false)),
        [0x04, 0x88, 0xad, 0xe4] => Some((true, false)),
        [0x04, 0x35, 0x87, 0xcf] => Some((false, true)),
        [0x04, 0x35, 0x83, 0x94] => Some((true, true)),
        _ => None,
    }
}

impl Rewriter<'_> {
    /// Public text of one key expression; `label` prefixes errors as Core does.
    fn key(&mut self, expr: &str, label: &str, xonly: bool) -> Result<String, String> {
        let err = |m: String| format!("{label}{m}");
        if expr.is_empty() {
            return Err(err("No key provided".into()));
        }
        if expr.trim() != expr {
            return Err(err(format!("Key '{expr}' is invalid due to whitespace")));
        }
        let (origin, rest) = match expr.strip_prefix('[') {
            Some(r) => {
                let close = r.find(']').ok_or_else(|| {
                    err("Key origin start '[ character expected but not found".into())
                })?;
                (&expr[..close + 2], &r[close + 1..])
            }
            None => ("", expr),
        };
        let (key, path) = match rest.find('/') {
            Some(p) => (&rest[..p], &rest[p..]),
            None => (rest, ""),
        };
        if path.contains('*') {
            self.walk.is_range = true;
        }
        if let Some(bytes) = common::strencodings::parse_hex(key) {
            let _ = bytes;
            return Ok(format!("{origin}{}{path}", key.to_ascii_lowercase()));
        }
        let test_net = self.network != bitcoin::Network::Bitcoin;
        if let Some((sk, compressed)) = address::decode_secret(key, self.params) {
            self.walk.has_private = true;
            let secp = Secp256k1::signing_only();
            let pk = bitcoin::PublicKey {
                inner: sk.public_key(&secp),
                compressed,
            };
            let text = if xonly {
                hex::encode(pk.inner.x_only_public_key().0.serialize())
            } else {
                pk.to_string()
            };
            return Ok(format!("{origin}{text}{path}"));
        }
        if let Some(data) = crate::base58::decode_check(key, 78) {
            if data.len() == 78 {
                if let Some((private, testnet)) = is_test_version(&data[..4]) {
                    if testnet != test_net {
                        return Err(err(format!("key '{key}' is not valid")));
                    }
                    if private {
                        let xprv = Xpriv::decode(&data)
                            .map_err(|_| err(format!("key '{key}' is not valid")))?;
                        self.walk.has_private = true;
                        let xpub = Xpub::from_priv(&Secp256k1::signing_only(), &xprv);
                        return Ok(format!("{origin}{xpub}{path}"));
                    }
                    return Ok(expr.to_string());
                }
            }
        }
        Err(err(format!("key '{key}' is not valid")))
    }

    /// Rewrites a script expression (a call, a `{a,b}` tree, or a bare token).
    fn expr(&mut self, s: &str, xonly: bool) -> Result<String, String> {
        if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            let parts: Result<Vec<String>, String> = split_top(inner)
                .into_iter()
                .map(|p| self.expr(p, xonly))
                .collect();
            return Ok(format!("{{{}}}", parts?.join(",")));
        }
        let Some((name, args)) = call(s) else {
            return Ok(s.to_string());
        };
        let base = name.rsplit(':').next().unwrap_or(name);
        let parts = split_top(args);
        let rewritten: Vec<String> = match base {
            "pk" | "pkh" | "wpkh" | "combo" | "pk_k" | "pk_h" => {
                let label = match base {
                    "pk" | "pkh" | "wpkh" | "combo" if name == base => format!("{base}(): "),
                    _ => String::new(),
                };
                let mut v = Vec::new();
                for p in parts {
                    v.push(self.key(p, &label, xonly)?);
                }
                v
            }
            "rawtr" => vec![self.key(args, "rawtr(): ", true)?],
            "tr" => {
                let mut v = vec![self.key(parts[0], "tr(): ", true)?];
                for p in &parts[1..] {
                    v.push(self.expr(p, true)?);
                }
                v
            }
            "multi" | "sortedmulti" | "multi_a" | "sortedmulti_a" => {
                let mut v = vec![parts[0].to_string()];
                for p in &parts[1..] {
                    v.push(self.key(p, "Multi: ", xonly)?);
                }
                v
            }
            "addr" | "raw" => parts.iter().map(|p| p.to_string()).collect(),
            _ => {
                let mut v = Vec::new();
                for p in parts {
                    v.push(self.expr(p, xonly)?);
                }
                v
            }
        };
        Ok(format!("{name}({})", rewritten.join(",")))
    }
}

/// Replaces each `<a;b;…>` group by its i-th element, for every i.
fn expand_multipath(s: &str) -> Result<Vec<String>, String> {
    let mut pieces: Vec<Vec<&str>> = Vec::new();
    let mut fixed: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        let close = rest[open..]
            .find('>')
            .ok_or("Invalid multipath expression")?
            + open;
        fixed.push(&rest[..open]);
        let items: Vec<&str> = rest[open + 1..close].split(';').collect();
        if items.len() < 2 {
            return Err("Multipath key path specifiers must have at least two items".into());
        }
        pieces.push(items);
        rest = &rest[close + 1..];
    }
    fixed.push(rest);
    let Some(n) = pieces.first().map(Vec::len) else {
        return Ok(vec![s.to_string()]);
    };
    if pieces.iter().any(|p| p.len() != n) {
        return Err("Multipath subscripts have mismatched lengths".into());
    }
    Ok((0..n)
        .map(|i| {
            let mut out = String::new();
            for (j, f) in fixed.iter().enumerate() {
                out.push_str(f);
                if let Some(p) = pieces.get(j) {
                    out.push_str(p[i]);
                }
            }
            out
        })
        .collect())
}

/// How one (single-path) descriptor produces scripts.
enum Kind {
    /// Fixed script (addr/raw).
    Fixed(Vec<u8>),
    /// Parsed by miniscript; for `tr()`, which leaves were `sortedmulti_a`
    /// (see [`crate::sorted_multi_a`]) and the leaves' pads (see
    /// [`crate::leaf_padding`]).
    Mini(Box<Descriptor<DescriptorPublicKey>>, Vec<bool>, Vec<usize>),
    /// rawtr(K): the key is the output key; parsed as tr(K).
    RawTr(Box<Descriptor<DescriptorPublicKey>>),
    /// combo(K): P2PK, P2PKH and, for compressed keys, P2WPKH and P2SH-P2WPKH.
    Combo(Vec<Descriptor<DescriptorPublicKey>>),
}

/// A parsed descriptor (possibly several, for multipath ones).
pub struct ParsedDescriptor {
    /// Public canonical text of each expansion, without checksum.
    pub canonical: Vec<String>,
    /// Whether it has a `*` step.
    pub is_range: bool,
    /// Whether it can be signed for (all but `addr`/`raw`).
    pub is_solvable: bool,
    /// Whether private keys were given.
    pub has_private_keys: bool,
    kinds: Vec<Kind>,
    /// Private keys given, by the public key standing for them.
    keys: KeyMap,
}

/// Why scripts could not be derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeriveError {
    /// Hardened derivation from a public key.
    NeedsPrivateKey,
}

const FUNCTIONS: &[&str] = &[
    "sh",
    "wsh",
    "pk",
    "pkh",
    "wpkh",
    "combo",
    "multi",
    "sortedmulti",
    "multi_a",
    "sortedmulti_a",
    "tr",
    "rawtr",
    "addr",
    "raw",
];

/// Parses with miniscript, keeping the private keys given so hardened
/// steps after them can still be derived.
fn parse_mini(text: &str, keys: &mut KeyMap) -> Result<Descriptor<DescriptorPublicKey>, String> {
    parse_padded(text, keys).map(|(d, _)| d)
}

/// [`parse_mini`] with the leaves' pads ([`crate::leaf_padding`]).
fn parse_padded(
    text: &str,
    keys: &mut KeyMap,
) -> Result<(Descriptor<DescriptorPublicKey>, Vec<usize>), String> {
    let secp = Secp256k1::signing_only();
    let parsed = crate::tapscript_limits::parse_descriptor_with_secrets(&secp, text)
        .map_err(|e| crate::tapscript_limits::error_text(&e))?;
    keys.extend(parsed.keys);
    Ok((parsed.descriptor, parsed.pads))
}

fn parse_one(
    text: &str,
    public: &str,
    params: &ChainParams,
    keys: &mut KeyMap,
) -> Result<Kind, String> {
    let Some((name, args)) = call(text) else {
        return Err(format!("'{text}' is not a valid descriptor function"));
    };
    if !FUNCTIONS.contains(&name) {
        return Err(format!("'{text}' is not a valid descriptor function"));
    }
    match name {
        "addr" => address::decode(args, params)
            .map(|d| Kind::Fixed(d.script_pubkey()))
            .map_err(|_| "Address is not valid".to_string()),
        "raw" => common::strencodings::parse_hex(args)
            .map(Kind::Fixed)
            .ok_or_else(|| "Raw script is not hex".to_string()),
        "rawtr" => parse_mini(&format!("tr({args})"), keys).map(|d| Kind::RawTr(Box::new(d))),
        "combo" => {
            let mut subs = vec![
                parse_mini(&format!("pk({args})"), keys)?,
                parse_mini(&format!("pkh({args})"), keys)?,
            ];
            if let Ok(w) = parse_mini(&format!("wpkh({args})"), keys) {
                subs.push(w);
                subs.push(parse_mini(&format!("sh(wpkh({args}))"), keys)?);
            }
            Ok(Kind::Combo(subs))
        }
        _ => {
            let _ = public;
            let (plain, sorted) = crate::sorted_multi_a::unsort(text);
            parse_padded(&plain, keys).map(|(d, pads)| Kind::Mini(Box::new(d), sorted, pads))
        }
    }
}

/// Parses a descriptor as Core's `Parse` does (checksum optional unless
/// `require_checksum`), returning one entry per multipath expansion.
pub fn parse(
    desc: &str,
    require_checksum: bool,
    network: bitcoin::Network,
) -> Result<ParsedDescriptor, String> {
    let params = ChainParams::for_network(network);
    let body = strip_checksum(desc, require_checksum)?;
    let expansions = expand_multipath(body)?;
    let mut out = ParsedDescriptor {
        canonical: Vec::new(),
        is_range: false,
        is_solvable: true,
        has_private_keys: false,
        kinds: Vec::new(),
        keys: KeyMap::new(),
    };
    for text in &expansions {
        let mut rw = Rewriter {
            params: &params,
            network,
            walk: Walk::default(),
        };
        let public = rw.expr(text, false)?;
        let kind = parse_one(text, &public, &params, &mut out.keys)?;
        if matches!(kind, Kind::Fixed(_)) {
            out.is_solvable = false;
        }
        out.is_range |= rw.walk.is_range;
        out.has_private_keys |= rw.walk.has_private;
        out.canonical.push(public);
        out.kinds.push(kind);
    }
    Ok(out)
}

/// Whether deriving `k` publicly would need a hardened step.
fn public_step_is_hardened(k: &DescriptorPublicKey) -> bool {
    use miniscript::descriptor::Wildcard;
    match k {
        DescriptorPublicKey::XPub(x) => {
            x.wildcard == Wildcard::Hardened
                || x.derivation_path.into_iter().any(|c| c.is_hardened())
        }
        DescriptorPublicKey::MultiXPub(x) => {
            x.wildcard == Wildcard::Hardened
                || x.derivation_paths
                    .paths()
                    .iter()
                    .any(|p| p.into_iter().any(|c| c.is_hardened()))
        }
        DescriptorPublicKey::Single(_) => false,
    }
}

/// Derives keys at one index, through the private key where one was given
/// (hardened steps need it), else from the public key.
struct AtIndex<'a> {
    keys: &'a KeyMap,
    index: u32,
    secp: Secp256k1<bitcoin::secp256k1::All>,
    /// Each derived key with its origin (`fingerprint/path`), when known.
    origins: Vec<(bitcoin::PublicKey, Option<String>)>,
    /// Each derived key with its structured origin, when known.
    key_origins: Vec<(bitcoin::PublicKey, Option<psbt::KeyOrigin>)>,
    /// Private keys of the derived keys, where given.
    secrets: Vec<(bitcoin::PublicKey, bitcoin::secp256k1::SecretKey)>,
}

/// The master fingerprint and full path of `pk` derived at `index`.
fn key_origin_parts(
    pk: &DescriptorPublicKey,
    index: u32,
) -> Option<(
    bitcoin::bip32::Fingerprint,
    Vec<bitcoin::bip32::ChildNumber>,
)> {
    use bitcoin::bip32::ChildNumber;
    use miniscript::descriptor::Wildcard;
    Some(match pk {
        DescriptorPublicKey::Single(single) => {
            let (fp, path) = single.origin.as_ref()?;
            (*fp, path.into_iter().copied().collect())
        }
        DescriptorPublicKey::XPub(x) => {
            let (fp, mut steps): (_, Vec<ChildNumber>) = match &x.origin {
                Some((fp, path)) => (*fp, path.into_iter().copied().collect()),
                None => (x.xkey.fingerprint(), Vec::new()),
            };
            steps.extend(x.derivation_path.into_iter().copied());
            match x.wildcard {
                Wildcard::None => {}
                Wildcard::Unhardened => steps.push(ChildNumber::from_normal_idx(index).ok()?),
                Wildcard::Hardened => steps.push(ChildNumber::from_hardened_idx(index).ok()?),
            }
            (fp, steps)
        }
        DescriptorPublicKey::MultiXPub(_) => return None,
    })
}

/// The origin of `pk` derived at `index` as a PSBT key origin.
fn psbt_origin(pk: &DescriptorPublicKey, index: u32) -> Option<psbt::KeyOrigin> {
    let (fp, steps) = key_origin_parts(pk, index)?;
    Some(psbt::KeyOrigin {
        fingerprint: fp.to_bytes(),
        path: steps.into_iter().map(u32::from).collect(),
    })
}

/// Core's key origin text, `fingerprint/step/...` with `h` for hardened
/// steps, of `pk` derived at `index`.
fn key_origin(pk: &DescriptorPublicKey, index: u32) -> Option<String> {
    use bitcoin::bip32::ChildNumber;
    let (fingerprint, steps) = key_origin_parts(pk, index)?;
    let mut text = fingerprint.to_string();
    for step in steps {
        match step {
            ChildNumber::Normal { index } => text.push_str(&format!("/{index}")),
            ChildNumber::Hardened { index } => text.push_str(&format!("/{index}h")),
        }
    }
    Some(text)
}

/// What Core's `InferDescriptor` makes of a single-key descriptor's output
/// when the key and its origin are known; `None` for other shapes.
fn described(
    derived: &Descriptor<bitcoin::PublicKey>,
    origins: &[(bitcoin::PublicKey, Option<String>)],
) -> Option<String> {
    use miniscript::descriptor::ShInner;
    let key_text = |pk: &bitcoin::PublicKey| {
        let origin = origins
            .iter()
            .find(|(k, _)| k == pk)
            .and_then(|(_, o)| o.as_ref());
        match origin {
            Some(o) => format!("[{o}]{pk}"),
            None => pk.to_string(),
        }
    };
    let text = match derived {
        Descriptor::Pkh(p) => format!("pkh({})", key_text(p.as_inner())),
        Descriptor::Wpkh(w) => format!("wpkh({})", key_text(w.as_inner())),
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Wpkh(w) => format!("sh(wpkh({}))", key_text(w.as_inner())),
            _ => return None,
        },
        Descriptor::Bare(b) => {
            let keys: Vec<bitcoin::PublicKey> = b.as_inner().iter_pk().collect();
            match keys.as_slice() {
                [k] if b.as_inner().script_size() == 35 || b.as_inner().script_size() == 67 => {
                    format!("pk({})", key_text(k))
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(with_checksum(&text))
}

impl AtIndex<'_> {
    /// The private key given for `pk`, derived at this index.
    fn secret(&self, pk: &DescriptorPublicKey) -> Option<bitcoin::secp256k1::SecretKey> {
        use bitcoin::bip32::ChildNumber;
        use miniscript::descriptor::Wildcard;
        let x = match self.keys.get(pk)? {
            DescriptorSecretKey::Single(s) => return Some(s.key.inner),
            DescriptorSecretKey::XPrv(x) => x,
            DescriptorSecretKey::MultiXPrv(_) => return None,
        };
        let mut path: Vec<ChildNumber> = x.derivation_path.into_iter().copied().collect();
        match x.wildcard {
            Wildcard::None => {}
            Wildcard::Unhardened => path.push(ChildNumber::from_normal_idx(self.index).ok()?),
            Wildcard::Hardened => path.push(ChildNumber::from_hardened_idx(self.index).ok()?),
        }
        Some(x.xkey.derive_priv(&self.secp, &path).ok()?.private_key)
    }

    fn through_private_key(&self, pk: &DescriptorPublicKey) -> Option<bitcoin::PublicKey> {
        use bitcoin::bip32::ChildNumber;
        use miniscript::descriptor::Wildcard;
        let Some(DescriptorSecretKey::XPrv(x)) = self.keys.get(pk) else {
            return None;
        };
        let mut path: Vec<ChildNumber> = x.derivation_path.into_iter().copied().collect();
        match x.wildcard {
            Wildcard::None => {}
            Wildcard::Unhardened => path.push(ChildNumber::from_normal_idx(self.index).ok()?),
            Wildcard::Hardened => path.push(ChildNumber::from_hardened_idx(self.index).ok()?),
        }
        let derived = x.xkey.derive_priv(&self.secp, &path).ok()?;
        Some(bitcoin::PublicKey::new(
            derived.private_key.public_key(&self.secp),
        ))
    }
}

impl miniscript::Translator<DescriptorPublicKey, bitcoin::PublicKey, DeriveError> for AtIndex<'_> {
    fn pk(&mut self, pk: &DescriptorPublicKey) -> Result<bitcoin::PublicKey, DeriveError> {
        let key = match self.through_private_key(pk) {
            Some(key) => key,
            None if public_step_is_hardened(pk) => return Err(DeriveError::NeedsPrivateKey),
            None => pk
                .clone()
                .at_derivation_index(self.index)
                .map_err(|_| DeriveError::NeedsPrivateKey)?
                .derive_public_key(&self.secp)
                .map_err(|_| DeriveError::NeedsPrivateKey)?,
        };
        self.origins.push((key, key_origin(pk, self.index)));
        // A bare key is its own master: Core gives it its own fingerprint.
        let origin = psbt_origin(pk, self.index).or_else(|| match pk {
            DescriptorPublicKey::Single(_) => Some(psbt::KeyOrigin {
                fingerprint: hash160::Hash::hash(&key.to_bytes()).to_byte_array()[..4]
                    .try_into()
                    .unwrap_or([0; 4]),
                path: Vec::new(),
            }),
            _ => None,
        });
        self.key_origins.push((key, origin));
        if let Some(sk) = self.secret(pk) {
            self.secrets.push((key, sk));
        }
        Ok(key)
    }

    miniscript::translate_hash_clone!(DescriptorPublicKey, bitcoin::PublicKey, DeriveError);
}

/// An output script with the descriptor Core infers for it from the keys
/// that produced it (`None` when only the generic inference applies).
pub type DescribedScript = (Vec<u8>, Option<String>);

/// A derived descriptor and the origins of its keys.
type Derived = (
    Descriptor<bitcoin::PublicKey>,
    Vec<(bitcoin::PublicKey, Option<String>)>,
);

fn derive_at<'a>(
    d: &Descriptor<DescriptorPublicKey>,
    sorted: &[bool],
    index: u32,
    keys: &'a KeyMap,
) -> Result<(Descriptor<bitcoin::PublicKey>, AtIndex<'a>), DeriveError> {
    let mut at = AtIndex {
        keys,
        index,
        secp: Secp256k1::new(),
        origins: Vec::new(),
        key_origins: Vec::new(),
        secrets: Vec::new(),
    };
    let derived = d.translate_pk(&mut at).map_err(|e| match e {
        miniscript::TranslateErr::TranslatorErr(e) => e,
        miniscript::TranslateErr::OuterError(_) => DeriveError::NeedsPrivateKey,
    })?;
    let derived = crate::sorted_multi_a::sort_leaves(derived, sorted);
    Ok((derived, at))
}

fn derive_script(
    d: &Descriptor<DescriptorPublicKey>,
    sorted: &[bool],
    index: u32,
    keys: &KeyMap,
) -> Result<Derived, DeriveError> {
    let (derived, at) = derive_at(d, sorted, index, keys)?;
    Ok((derived, at.origins))
}

/// Adds what spending `derived`'s outputs needs to `ks`: keys (private ones
/// only with `with_private`), origins, scripts and taproot spend data.
fn fill_keystore_from(
    derived: &Descriptor<bitcoin::PublicKey>,
    pads: &[usize],
    at: &AtIndex,
    ks: &mut crate::rawtx::sign::Keystore,
    with_private: bool,
) {
    use miniscript::descriptor::ShInner;
    let is_tr = matches!(derived, Descriptor::Tr(_));
    for (pk, origin) in &at.key_origins {
        let secret = at.secrets.iter().find(|(k, _)| k == pk).map(|(_, s)| *s);
        if is_tr {
            let (x, _) = pk.inner.x_only_public_key();
            ks.add_xonly(
                x.serialize(),
                secret.filter(|_| with_private),
                origin.clone(),
            );
        } else {
            ks.add_pubkey(pk.to_bytes(), origin.clone());
            if let Some(sk) = secret.filter(|_| with_private) {
                ks.add_key(sk, pk.compressed);
            }
        }
    }
    match derived {
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Wsh(w) => {
                ks.add_script(w.inner_script().to_bytes());
                ks.add_script(w.script_pubkey().to_bytes());
            }
            ShInner::Wpkh(w) => ks.add_script(w.script_pubkey().to_bytes()),
            _ => ks.add_script(sh.inner_script().to_bytes()),
        },
        Descriptor::Wsh(w) => ks.add_script(w.inner_script().to_bytes()),
        Descriptor::Tr(tr) => {
            let info = crate::leaf_padding::spend_info(tr, pads);
            let mut data = crate::rawtx::sign::TapSpendData {
                internal_key: Some(info.internal_key().serialize()),
                merkle_root: info.merkle_root().map(|r| r.to_byte_array()),
                ..Default::default()
            };
            for (script, ver) in info.script_map().keys() {
                if let Some(cb) = info.control_block(&(script.clone(), *ver)) {
                    data.scripts
                        .entry((script.to_bytes(), ver.to_consensus()))
                        .or_default()
                        .insert(psbt::input::ControlBlock(cb.serialize()));
                }
            }
            let output_key = info.output_key().to_x_only_public_key().serialize();
            ks.add_tap_spend(output_key, data);
            let leaves: Vec<psbt::output::TapLeaf> = crate::leaf_padding::leaf_scripts(tr, pads)
                .into_iter()
                .map(|(depth, script)| (depth, 0xc0, script.into_bytes()))
                .collect();
            if let Some(tree) = psbt::output::rebuild_tree(&leaves).filter(|t| !t.is_empty()) {
                ks.add_tap_tree(output_key, tree);
            }
        }
        _ => {}
    }
}

impl ParsedDescriptor {
    /// Number of multipath expansions (1 for ordinary descriptors).
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether there are no expansions (never true for a parsed descriptor).
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Output scripts of expansion `which` at derivation `index`.
    pub fn scripts(&self, which: usize, index: u32) -> Result<Vec<Vec<u8>>, DeriveError> {
        Ok(self
            .described_scripts(which, index)?
            .into_iter()
            .map(|(s, _)| s)
            .collect())
    }

    /// Adds the keys, origins and scripts of expansion `which` at `index`
    /// to `ks` (private keys only with `with_private`), as Core's `Expand`
    /// and `ExpandPrivate` fill a signing provider.
    pub fn fill_keystore(
        &self,
        which: usize,
        index: u32,
        ks: &mut crate::rawtx::sign::Keystore,
        with_private: bool,
    ) -> Result<(), DeriveError> {
        type Subs<'a> = (
            Vec<&'a Descriptor<DescriptorPublicKey>>,
            &'a [bool],
            &'a [usize],
        );
        let (subs, sorted, pads): Subs<'_> = match self.kinds.get(which) {
            None | Some(Kind::Fixed(_)) => return Ok(()),
            Some(Kind::Mini(d, sorted, pads)) => (vec![d], sorted, pads),
            Some(Kind::RawTr(d)) => (vec![d], &[], &[]),
            Some(Kind::Combo(subs)) => (subs.iter().collect(), &[], &[]),
        };
        for d in subs {
            let (derived, at) = derive_at(d, sorted, index, &self.keys)?;
            fill_keystore_from(&derived, pads, &at, ks, with_private);
        }
        Ok(())
    }

    /// Output scripts of expansion `which` at `index`, each with the
    /// descriptor Core infers for it from this descriptor's keys and their
    /// origins (`None` where that is not a single-key form).
    pub fn described_scripts(
        &self,
        which: usize,
        index: u32,
    ) -> Result<Vec<DescribedScript>, DeriveError> {
        let Some(kind) = self.kinds.get(which) else {
            return Ok(Vec::new());
        };
        let one = |d: &Descriptor<DescriptorPublicKey>,
                   sorted: &[bool],
                   pads: &[usize]|
         -> Result<DescribedScript, DeriveError> {
            let (derived, origins) = derive_script(d, sorted, index, &self.keys)?;
            let text = described(&derived, &origins);
            let script = crate::leaf_padding::script_pubkey(&derived, pads);
            Ok((script.into_bytes(), text))
        };
        match kind {
            Kind::Fixed(s) => Ok(vec![(s.clone(), None)]),
            Kind::Mini(d, sorted, pads) => Ok(vec![one(d, sorted, pads)?]),
            Kind::RawTr(d) => {
                let (derived, _) = derive_script(d, &[], index, &self.keys)?;
                let Descriptor::Tr(tr) = derived else {
                    return Ok(Vec::new());
                };
                let (x, _) = tr.internal_key().inner.x_only_public_key();
                let mut s = vec![0x51, 0x20];
                s.extend_from_slice(&x.serialize());
                Ok(vec![(s, None)])
            }
            Kind::Combo(subs) => subs.iter().map(|d| one(d, &[], &[])).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardened_wildcard_derives_through_the_private_key() {
        let xprv = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
        let net = bitcoin::Network::Regtest;
        let ranged = parse(&format!("pkh({xprv}/0h/*h)"), false, net).expect("ranged");
        for i in [0u32, 7] {
            let fixed = parse(&format!("pkh({xprv}/0h/{i}h)"), false, net).expect("fixed");
            assert_eq!(ranged.scripts(0, i), fixed.scripts(0, 0));
        }
        let xpub = parse(&canonical_of(&ranged), false, net).expect("public");
        assert_eq!(xpub.scripts(0, 0), Err(DeriveError::NeedsPrivateKey));
    }

    fn canonical_of(p: &ParsedDescriptor) -> String {
        p.canonical.first().cloned().unwrap_or_default()
    }

    #[test]
    fn checksums_match_core() {
        assert_eq!(with_checksum("raw(6a00)"), "raw(6a00)#ncfmkl43");
        assert_eq!(
            strip_checksum("raw(6a00)#ncfmkl44", false).unwrap_err(),
            "Provided checksum 'ncfmkl44' does not match computed checksum 'ncfmkl43'"
        );
        assert_eq!(strip_checksum("a", true).unwrap_err(), "Missing checksum");
        assert_eq!(
            strip_checksum("a#b#c", true).unwrap_err(),
            "Multiple '#' symbols"
        );
        assert_eq!(
            strip_checksum("a#abc", true).unwrap_err(),
            "Expected 8 character checksum, not 3 characters"
        );
    }

    #[test]
    fn infers_like_core() {
        let p = ChainParams::for_network(bitcoin::Network::Regtest);
        let tr = common::strencodings::parse_hex(
            "5120eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
        )
        .unwrap();
        assert_eq!(
            infer(&tr, &[], &p),
            "rawtr(eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)#jk7c6kys"
        );
        assert_eq!(
            infer(&[0x51, 0x02, 0xee, 0xee], &[], &p),
            "addr(bcrt1pamhqk96edn)#vkh8uj5a"
        );
        assert_eq!(infer(&[0x50], &[], &p), "raw(50)#a7tu03xf");
    }

    /// Core's largest tapscript leaf (`pk()` under ~329,000 `n:`), as
    /// `getdescriptorinfo` and `deriveaddresses` read it: the text comes
    /// back unchanged and the script commits to the padded leaf.
    #[test]
    fn max_size_padded_leaf_keeps_its_text_and_script() {
        const K1: &str = "a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
        const X2: &str = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
        let pad = crate::tapscript_limits::MAX_TAPMINISCRIPT_SIZE - 34;
        let text = format!("tr({K1},{}:pk({X2}))", "n".repeat(pad));
        let net = bitcoin::Network::Regtest;
        let (canonical, scripts) = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || {
                let d = parse(&text, false, net).expect("parses");
                (canonical_of(&d), d.scripts(0, 0).expect("derives"))
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(canonical, format!("tr({K1},{}:pk({X2}))", "n".repeat(pad)));
        let x = |h: &str| <XOnlyPublicKey as std::str::FromStr>::from_str(h).expect("key");
        let mut leaf = vec![0x20];
        leaf.extend(x(X2).serialize());
        leaf.push(0xac);
        leaf.resize(leaf.len() + pad, 0x92);
        let info = bitcoin::taproot::TaprootBuilder::new()
            .add_leaf(0, bitcoin::ScriptBuf::from_bytes(leaf))
            .expect("leaf")
            .finalize(&Secp256k1::verification_only(), x(K1))
            .expect("tree");
        let spk = bitcoin::ScriptBuf::new_p2tr_tweaked(info.output_key());
        assert_eq!(scripts, vec![spk.into_bytes()]);
        let over = format!("tr({K1},n{}:pk({X2}))", "n".repeat(pad));
        let err = parse(&over, false, net).err().expect("too large");
        assert!(err.ends_with("is not a valid descriptor function"), "{err}");
    }

    #[test]
    fn parses_and_canonicalises() {
        let d = parse("pkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1h/2)", false, bitcoin::Network::Regtest).unwrap();
        assert_eq!(d.canonical[0], "pkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1h/2)");
        assert!(!d.is_range);
        assert_eq!(
            parse("", false, bitcoin::Network::Regtest).err().unwrap(),
            "'' is not a valid descriptor function"
        );
        assert_eq!(
            parse("pk( 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)", false, bitcoin::Network::Regtest).err().unwrap(),
            "pk(): Key ' 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798' is invalid due to whitespace"
        );
    }
}
