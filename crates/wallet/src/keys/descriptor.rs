//! Parsed descriptors with Core's semantics (`script/descriptor.cpp`):
//! checksums, the stored public string, the descriptor id, the private and
//! normalized strings, and expansion at an index with or without private
//! keys, writing or reading a [`DescriptorCache`].
//!
//! miniscript does the script work for everything it supports (`pk`, `pkh`,
//! `wpkh`, `sh`, `wsh`, `tr`, `multi`, `sortedmulti`, miniscript); `combo()`,
//! `rawtr()`, `addr()` and `raw()` are handled here. Key derivation is done
//! here too, because Core's cache rules and key-expression numbering decide
//! which records a wallet file holds.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use bitcoin::bip32::{ChildNumber, DerivationPath, Fingerprint, KeySource, Xpub};
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::key::TweakedPublicKey;
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::{Address, Network, NetworkKind, PrivateKey, PublicKey, ScriptBuf};
use miniscript::descriptor::checksum::desc_checksum;
use miniscript::descriptor::{
    DescriptorXKey, ShInner, SinglePub, SinglePubKey, Wildcard, Wsh, WshInner,
};
use miniscript::{
    translate_hash_clone, DefiniteDescriptorKey, Descriptor, DescriptorPublicKey, ForEachKey,
    Miniscript, MiniscriptKey, ScriptContext, Terminal, TranslateErr, TranslatePk, Translator,
};

use super::cache::DescriptorCache;
use super::error::{parse_err, KeyError};
use super::keyexpr::{
    derive_secret, hex_bytes, is_hex, parse_key_expr, xprv_from, KeyExpr, ParseKey, RenderedKey,
};
use super::musig;
use utility_rpc::tapscript_limits::within_resource_limits;

/// Private keys by the public key they belong to: the root secrets of key
/// expressions as Core stores them (`walletdescriptorkey`), or derived
/// signing keys. Implements [`bitcoin::psbt::GetKey`] for PSBT signing.
pub type KeyMap = BTreeMap<PublicKey, PrivateKey>;

/// Core's output types (`src/outputtype.h`), numbered as in the
/// `activeexternalspk`/`activeinternalspk` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputType {
    /// P2PKH (`pkh`), and P2SH of anything but segwit.
    Legacy = 0,
    /// P2SH-wrapped segwit v0.
    P2shSegwit = 1,
    /// Native segwit v0.
    Bech32 = 2,
    /// Segwit v1+ (taproot).
    Bech32m = 3,
}

impl OutputType {
    /// All four, in Core's order (the order default descriptors are made).
    pub const ALL: [OutputType; 4] = [
        OutputType::Legacy,
        OutputType::P2shSegwit,
        OutputType::Bech32,
        OutputType::Bech32m,
    ];

    /// The record byte.
    pub fn to_u8(self) -> u8 {
        self as u8
    }

    /// From the record byte.
    pub fn from_u8(b: u8) -> Option<OutputType> {
        OutputType::ALL.get(usize::from(b)).copied()
    }

    /// Core's RPC name (`legacy`, `p2sh-segwit`, `bech32`, `bech32m`).
    pub fn name(self) -> &'static str {
        match self {
            OutputType::Legacy => "legacy",
            OutputType::P2shSegwit => "p2sh-segwit",
            OutputType::Bech32 => "bech32",
            OutputType::Bech32m => "bech32m",
        }
    }

    /// Parses Core's RPC name.
    pub fn from_name(s: &str) -> Option<OutputType> {
        OutputType::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// Core's descriptor id: SHA256 of the compat-form string with checksum.
/// The bytes are in hash output order, as in `walletdescriptor` keys; the
/// `Display` form is Core's `uint256::ToString` (reversed).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DescriptorId(pub [u8; 32]);

impl DescriptorId {
    /// The 32 bytes as stored.
    pub fn to_byte_array(self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Display for DescriptorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.iter().rev() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DescriptorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DescriptorId({self})")
    }
}

/// One key of an expansion, with the origin Core records for it (used as
/// PSBT BIP32 derivation info).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKey {
    /// Index of the key expression in the descriptor (left to right).
    pub key_exp_index: u32,
    /// The key; for an x-only constant key, its even (`02`) form.
    pub pubkey: PublicKey,
    /// Whether the key is used x-only (tr() constant keys).
    pub xonly: bool,
    /// Fingerprint and full path from the origin's master (or from the key
    /// itself when there is no origin).
    pub origin: KeySource,
}

/// The result of expanding a descriptor at one index.
#[derive(Debug, Clone)]
pub struct Expansion {
    /// Output scripts (several for `combo()`, one otherwise).
    pub scripts: Vec<ScriptBuf>,
    /// Keys in key expression order.
    pub keys: Vec<DerivedKey>,
    /// The miniscript descriptor at this index, for PSBT updating and
    /// satisfaction; `None` for `combo`, `rawtr`, `addr`, `raw`.
    pub descriptor: Option<Descriptor<DefiniteDescriptorKey>>,
    /// The `musig()` keys, in key expression order.
    pub musig: Vec<musig::MuSigKey>,
    /// For a `tr()`, the pads of its leaves in tree order (empty when none
    /// is padded): everything derived from a leaf of `descriptor` must
    /// add them (see [`utility_rpc::leaf_padding`]).
    pub leaf_pads: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Ms(Descriptor<KeyExpr>),
    Combo(KeyExpr),
    RawTr(KeyExpr),
    Addr(Address),
    Raw(ScriptBuf),
    /// `unused(KEY)`: a key the wallet holds for later use (`addhdkey`),
    /// producing no scripts.
    Unused(KeyExpr),
}

/// A parsed descriptor without private keys: what Core's `Descriptor`
/// object is for the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDescriptor {
    kind: Kind,
    /// For a `tr()`, which script-path leaves (in tree order) are
    /// `sortedmulti_a`, read as `multi_a` (see
    /// [`utility_rpc::sorted_multi_a`]).
    sorted_leaves: Vec<bool>,
    /// For a `tr()`, the counts of leading `n:` wrappers held beside each
    /// leaf's miniscript, in tree order (see [`utility_rpc::leaf_padding`]).
    leaf_pads: Vec<usize>,
    /// Key expressions in textual order: index = Core's key_exp_index.
    keys: Vec<KeyExpr>,
    network: Network,
}

/// Core's `CheckChecksum`: returns the payload without `#checksum`.
pub fn check_checksum(s: &str, require_checksum: bool) -> Result<&str, KeyError> {
    let parts: Vec<&str> = s.split('#').collect();
    if parts.len() > 2 {
        return Err(parse_err("Multiple '#' symbols"));
    }
    if parts.len() == 1 && require_checksum {
        return Err(parse_err("Missing checksum"));
    }
    if parts.len() == 2 && parts[1].len() != 8 {
        return Err(parse_err(format!(
            "Expected 8 character checksum, not {} characters",
            parts[1].len()
        )));
    }
    let computed =
        desc_checksum(parts[0]).map_err(|_| parse_err("Invalid characters in payload"))?;
    if parts.len() == 2 && parts[1] != computed {
        return Err(parse_err(format!(
            "Provided checksum '{}' does not match computed checksum '{computed}'",
            parts[1]
        )));
    }
    Ok(parts[0])
}

/// Appends `#checksum` (Core's `AddChecksum`).
pub fn add_checksum(payload: &str) -> Result<String, KeyError> {
    let c = desc_checksum(payload).map_err(|_| parse_err("Invalid characters in payload"))?;
    Ok(format!("{payload}#{c}"))
}

/// A node of the descriptor expression tree, used to number key
/// expressions in textual order (miniscript's own traversal visits a tr()
/// tree before its internal key, which is not Core's numbering).
struct Node<'a> {
    name: &'a str,
    args: Vec<Node<'a>>,
}

fn parse_node<'a>(s: &'a str, pos: &mut usize) -> Result<Node<'a>, KeyError> {
    let bytes = s.as_bytes();
    if bytes.get(*pos) == Some(&b'{') {
        *pos += 1;
        let args = parse_list(s, pos, b'}')?;
        return Ok(Node { name: "", args });
    }
    let start = *pos;
    while *pos < bytes.len() && !matches!(bytes[*pos], b'(' | b')' | b',' | b'{' | b'}') {
        *pos += 1;
    }
    let name = &s[start..*pos];
    if bytes.get(*pos) == Some(&b'(') {
        *pos += 1;
        let args = parse_list(s, pos, b')')?;
        return Ok(Node { name, args });
    }
    Ok(Node {
        name,
        args: Vec::new(),
    })
}

fn parse_list<'a>(s: &'a str, pos: &mut usize, close: u8) -> Result<Vec<Node<'a>>, KeyError> {
    let mut args = Vec::new();
    loop {
        args.push(parse_node(s, pos)?);
        match s.as_bytes().get(*pos) {
            Some(b',') => *pos += 1,
            Some(&c) if c == close => {
                *pos += 1;
                return Ok(args);
            }
            _ => {
                return Err(parse_err(format!(
                    "'{s}' is not a valid descriptor function"
                )))
            }
        }
    }
}

fn parse_tree(s: &str) -> Result<Node<'_>, KeyError> {
    let mut pos = 0;
    let node = parse_node(s, &mut pos)?;
    if pos != s.len() {
        return Err(parse_err(format!(
            "'{s}' is not a valid descriptor function"
        )));
    }
    Ok(node)
}

/// Key expression texts in the order Core numbers them.
fn collect_key_texts<'a>(node: &Node<'a>, out: &mut Vec<(&'a str, &'a str)>) {
    let base = node.name.rsplit(':').next().unwrap_or(node.name);
    let key_args: &[Node<'a>] = match base {
        "pk" | "pkh" | "wpkh" | "pk_k" | "pk_h" | "combo" | "rawtr" | "unused" => &node.args,
        "multi" | "sortedmulti" | "multi_a" | "sortedmulti_a" => node.args.get(1..).unwrap_or(&[]),
        "tr" => node.args.get(..1).unwrap_or(&[]),
        _ => &[],
    };
    for a in key_args {
        if a.args.is_empty() {
            out.push((a.name, base));
        }
    }
    let rest: &[Node<'a>] = match base {
        "tr" => node.args.get(1..).unwrap_or(&[]),
        _ if !key_args.is_empty() => &[],
        _ => &node.args,
    };
    for a in rest {
        collect_key_texts(a, out);
    }
}

/// Core names the function whose key failed to parse (`pkh(): Key '…' is
/// invalid`, `Multi: …`); callers and tests match on that prefix.
fn in_function(e: KeyError, func: &str) -> KeyError {
    match e {
        KeyError::Parse(m) => match func {
            "pk" | "pkh" | "wpkh" | "combo" | "tr" | "rawtr" => parse_err(format!("{func}(): {m}")),
            "multi" | "sortedmulti" | "multi_a" | "sortedmulti_a" => {
                parse_err(format!("Multi: {m}"))
            }
            _ => KeyError::Parse(m),
        },
        other => other,
    }
}

struct StripSecrets {
    network: NetworkKind,
    taproot: bool,
    secrets: KeyMap,
    /// `musig()` expressions by their placeholder keys.
    musig: BTreeMap<DescriptorPublicKey, KeyExpr>,
}

impl StripSecrets {
    fn strip(&mut self, pk: &ParseKey) -> Result<KeyExpr, KeyError> {
        if let Some(m) = self.musig.get(&pk.expr.key) {
            return Ok(m.clone());
        }
        self.strip_as(pk, self.taproot)
    }

    /// Records the key's root secret and returns its public form, used
    /// x-only when `taproot` says the key sits in a tr() context.
    fn strip_as(&mut self, pk: &ParseKey, taproot: bool) -> Result<KeyExpr, KeyError> {
        if let Some(n) = pk.network {
            if n != self.network {
                return Err(parse_err(format!(
                    "key '{}' is not valid for this network",
                    pk.expr
                )));
            }
        }
        if let Some((p, s)) = pk.root_secret(self.network) {
            self.secrets.insert(p, s);
        }
        Ok(if taproot {
            pk.expr.clone().into_taproot_context(pk.secret.is_some())
        } else {
            pk.expr.clone()
        })
    }
}

impl Translator<ParseKey, KeyExpr, KeyError> for StripSecrets {
    fn pk(&mut self, pk: &ParseKey) -> Result<KeyExpr, KeyError> {
        self.strip(pk)
    }
    translate_hash_clone!(ParseKey, KeyExpr, KeyError);
}

fn translate_err(e: TranslateErr<KeyError>) -> KeyError {
    match e {
        TranslateErr::TranslatorErr(e) => e,
        TranslateErr::OuterError(e) => parse_err(e.to_string()),
    }
}

/// Maps each key to a rendered string (for the compat, private and
/// normalized forms).
struct Render<'a> {
    keys: &'a [KeyExpr],
    f: &'a mut dyn FnMut(usize, &KeyExpr) -> Result<String, KeyError>,
}

impl Translator<KeyExpr, RenderedKey, KeyError> for Render<'_> {
    fn pk(&mut self, pk: &KeyExpr) -> Result<RenderedKey, KeyError> {
        let j = position(self.keys, pk)?;
        Ok(RenderedKey {
            text: (self.f)(j, pk)?,
            uncompressed: pk.key.is_uncompressed(),
            xonly: pk.key.is_x_only_key(),
        })
    }
    translate_hash_clone!(KeyExpr, RenderedKey, KeyError);
}

fn position(keys: &[KeyExpr], pk: &KeyExpr) -> Result<usize, KeyError> {
    keys.iter()
        .position(|k| k == pk)
        .ok_or_else(|| KeyError::Corrupt("key expression not numbered".into()))
}

/// Maps each key to its derived single key.
struct ToDefinite<'a> {
    keys: &'a [KeyExpr],
    derived: &'a [DerivedKey],
}

impl Translator<KeyExpr, DefiniteDescriptorKey, KeyError> for ToDefinite<'_> {
    fn pk(&mut self, pk: &KeyExpr) -> Result<DefiniteDescriptorKey, KeyError> {
        let d = &self.derived[position(self.keys, pk)?];
        let key = if d.xonly {
            SinglePubKey::XOnly(XOnlyPublicKey::from(d.pubkey.inner))
        } else {
            SinglePubKey::FullKey(d.pubkey)
        };
        DefiniteDescriptorKey::new(DescriptorPublicKey::Single(SinglePub {
            origin: Some(d.origin.clone()),
            key,
        }))
        .ok_or_else(|| KeyError::Derive("derived key is not definite".into()))
    }
    translate_hash_clone!(KeyExpr, DefiniteDescriptorKey, KeyError);
}

/// Maps each key to its derived public key (the even form for x-only keys,
/// which scripts then use x-only).
struct ToPublic<'a> {
    keys: &'a [KeyExpr],
    derived: &'a [DerivedKey],
}

impl Translator<KeyExpr, PublicKey, KeyError> for ToPublic<'_> {
    fn pk(&mut self, pk: &KeyExpr) -> Result<PublicKey, KeyError> {
        self.derived
            .get(position(self.keys, pk)?)
            .map(|d| d.pubkey)
            .ok_or_else(|| KeyError::Corrupt("key expression not derived".into()))
    }
    translate_hash_clone!(KeyExpr, PublicKey, KeyError);
}

/// Where keys come from during expansion.
enum Source<'a> {
    /// Core's `ExpandFromCache`: cached xpubs only.
    Cache(&'a DescriptorCache),
    /// Core's `Expand`: derive from the descriptor (and root secrets for
    /// hardened steps), recording what the cache should hold.
    Derive {
        keys: Option<&'a KeyMap>,
        write: Option<&'a mut DescriptorCache>,
    },
}

fn hash160_fingerprint(bytes: &[u8]) -> Fingerprint {
    let h = hash160::Hash::hash(bytes).to_byte_array();
    Fingerprint::from([h[0], h[1], h[2], h[3]])
}

/// Whether an extended key needs private keys or a cache to derive (Core's
/// `IsHardened`).
fn xkey_hardened(x: &DescriptorXKey<Xpub>) -> bool {
    x.wildcard == Wildcard::Hardened || x.derivation_path.into_iter().any(|c| c.is_hardened())
}

fn derive_err(e: impl fmt::Display) -> KeyError {
    KeyError::Derive(e.to_string())
}

/// Looks up the root secret of a key expression, trying both parities for
/// an x-only key (Core's `GetKeyByXOnly`).
fn find_secret<'k>(keys: &'k KeyMap, expr: &KeyExpr) -> Option<&'k PrivateKey> {
    if let Some(pk) = expr.root_pubkey() {
        return keys.get(&pk);
    }
    if let DescriptorPublicKey::Single(SinglePub {
        key: SinglePubKey::XOnly(x),
        ..
    }) = &expr.key
    {
        // Compared x-only: lifting the key to both full forms costs a
        // square root each, per key of the descriptor.
        return keys
            .iter()
            .find(|(pk, _)| XOnlyPublicKey::from(pk.inner) == *x)
            .map(|(_, k)| k);
    }
    None
}

impl ParsedDescriptor {
    /// Parses a descriptor for `network`, returning it with the root secrets
    /// of its private key expressions (xprv, WIF) keyed by root public key.
    /// With `require_checksum` a missing `#checksum` is an error (as when
    /// Core loads a wallet); a wrong one always is.
    pub fn parse(
        s: &str,
        network: Network,
        require_checksum: bool,
    ) -> Result<(Self, KeyMap), KeyError> {
        let payload = check_checksum(s, require_checksum)?;
        let kind_net = NetworkKind::from(network);
        // miniscript cannot read `musig(…)`: each becomes a placeholder key.
        let (text, musigs) = musig::substitute(payload, kind_net)?;
        let payload = text.as_str();
        let tree = parse_tree(payload)?;
        let mut texts = Vec::new();
        collect_key_texts(&tree, &mut texts);
        let taproot = matches!(tree.name, "tr" | "rawtr");
        let mut strip = StripSecrets {
            network: kind_net,
            taproot,
            secrets: KeyMap::new(),
            musig: BTreeMap::new(),
        };
        let mut keys = Vec::new();
        // The key expressions miniscript sees (participants are not).
        let mut top = Vec::new();
        for (t, func) in &texts {
            let found = musigs.iter().find(|m| m.placeholder == *t);
            let key = match found {
                Some(m) => {
                    for p in &m.participants {
                        // Participants are full keys even inside tr().
                        keys.push(strip.strip_as(p, false).map_err(|e| in_function(e, func))?);
                    }
                    strip.musig.insert(m.expr.key.clone(), m.expr.clone());
                    m.expr.clone()
                }
                None => parse_key_expr(t)
                    .and_then(|k| strip.strip(&k))
                    .map_err(|e| in_function(e, func))?,
            };
            keys.push(key.clone());
            top.push(key);
        }
        let single_key = |name: &str| -> Result<KeyExpr, KeyError> {
            match (tree.args.as_slice(), top.as_slice()) {
                ([a], [k]) if a.args.is_empty() => Ok(k.clone()),
                _ => Err(parse_err(format!("{name}(): expected one key"))),
            }
        };
        let only_arg = || -> Result<&str, KeyError> {
            match tree.args.as_slice() {
                [a] if a.args.is_empty() => Ok(a.name),
                _ => Err(parse_err(format!("{}(): expected one argument", tree.name))),
            }
        };
        let mut sorted_leaves = Vec::new();
        let mut leaf_pads = Vec::new();
        let kind = match tree.name {
            "addr" => {
                let a = only_arg()?;
                let addr = Address::from_str(a)
                    .ok()
                    .and_then(|a| a.require_network(network).ok())
                    .ok_or_else(|| parse_err("Address is not valid"))?;
                Kind::Addr(addr)
            }
            "raw" => {
                let h = only_arg()?;
                if !is_hex(h) {
                    return Err(parse_err("Raw script is not hex"));
                }
                Kind::Raw(ScriptBuf::from_bytes(hex_bytes(h)))
            }
            "combo" => Kind::Combo(single_key("combo")?),
            "unused" => {
                let k = single_key("unused")?;
                if k.key.has_wildcard() {
                    return Err(parse_err("unused(): key cannot be ranged"));
                }
                Kind::Unused(k)
            }
            "rawtr" => {
                let k = single_key("rawtr")?;
                if k.key.is_uncompressed() {
                    return Err(parse_err("Uncompressed keys are not allowed"));
                }
                Kind::RawTr(k)
            }
            "sortedmulti" => {
                return Err(KeyError::Unsupported(
                    "bare sortedmulti() outside sh()/wsh()".into(),
                ));
            }
            _ => {
                let (plain, sorted) = utility_rpc::sorted_multi_a::unsort(payload);
                sorted_leaves = sorted;
                let (d, pads) = utility_rpc::tapscript_limits::parse_descriptor::<ParseKey>(&plain)
                    .map_err(|e| parse_err(utility_rpc::tapscript_limits::error_text(&e)))?;
                leaf_pads = pads;
                let mut again = StripSecrets {
                    network: kind_net,
                    taproot,
                    secrets: KeyMap::new(),
                    musig: std::mem::take(&mut strip.musig),
                };
                let d = d.translate_pk(&mut again).map_err(translate_err)?;
                // Every key miniscript saw must be one we numbered.
                let mut seen = Vec::new();
                d.for_each_key(|k| {
                    seen.push(k.clone());
                    true
                });
                if seen.len() != top.len() || seen.iter().any(|k| !top.contains(k)) {
                    return Err(KeyError::Unsupported(
                        "could not number the key expressions of this descriptor".into(),
                    ));
                }
                core_context_rules(&d)?;
                Kind::Ms(d)
            }
        };
        if let Kind::Combo(k) = &kind {
            if k.key.is_x_only_key() {
                return Err(parse_err(format!("Pubkey '{k}' is invalid")));
            }
        }
        Ok((
            ParsedDescriptor {
                kind,
                sorted_leaves,
                leaf_pads,
                keys,
                network,
            },
            strip.secrets,
        ))
    }

    /// Core's `Parse` as `importdescriptors` uses it: a descriptor with
    /// BIP389 multipath steps (`/<0;1>/*`) becomes one descriptor per
    /// alternative (all multipath steps must have the same number of
    /// alternatives; plain keys are shared); otherwise a single descriptor.
    /// The checksum, if any, covers the multipath text.
    pub fn parse_multipath(
        s: &str,
        network: Network,
        require_checksum: bool,
    ) -> Result<Vec<(Self, KeyMap)>, KeyError> {
        let payload = check_checksum(s, require_checksum)?;
        // (start, end) byte ranges of each `<...>` and its alternatives.
        let mut groups: Vec<(usize, usize, Vec<&str>)> = Vec::new();
        let mut rest = 0;
        while let Some(open) = payload[rest..].find('<').map(|i| i + rest) {
            let close = payload[open..]
                .find('>')
                .map(|i| i + open)
                .ok_or_else(|| parse_err("Unterminated multipath specifier"))?;
            let alts: Vec<&str> = payload[open + 1..close].split(';').collect();
            if alts.len() < 2 {
                return Err(parse_err(
                    "Multipath key path specifiers must have at least two items",
                ));
            }
            let mut seen: Vec<String> = Vec::new();
            for a in &alts {
                let norm = a.replace('\'', "h");
                if seen.contains(&norm) {
                    return Err(parse_err(format!(
                        "Duplicated key path value {a} in multipath specifier"
                    )));
                }
                seen.push(norm);
            }
            if let Some((_, prev_end, _)) = groups.last() {
                // Two groups with only key-path text between them belong to
                // the same key expression.
                if !payload[*prev_end..open].contains(['(', ')', ',', '{', '}']) {
                    return Err(parse_err("Multiple multipath key path specifiers found"));
                }
            }
            groups.push((open, close + 1, alts));
            rest = close + 1;
        }
        let starts: Vec<usize> = groups.iter().map(|g| g.0).collect();
        musig::check_multipath(payload, &starts)?;
        let Some(n) = groups.first().map(|g| g.2.len()) else {
            return Ok(vec![ParsedDescriptor::parse(payload, network, false)?]);
        };
        if groups.iter().any(|g| g.2.len() != n) {
            return Err(parse_err(
                "Multipath derivation paths have mismatched lengths",
            ));
        }
        (0..n)
            .map(|i| {
                let mut text = String::with_capacity(payload.len());
                let mut at = 0;
                for (start, end, alts) in &groups {
                    text.push_str(&payload[at..*start]);
                    text.push_str(alts[i]);
                    at = *end;
                }
                text.push_str(&payload[at..]);
                ParsedDescriptor::parse(&text, network, false)
            })
            .collect()
    }

    /// The network the descriptor was parsed for.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The miniscript form, for the kinds miniscript supports.
    pub fn miniscript(&self) -> Option<Descriptor<DescriptorPublicKey>> {
        match &self.kind {
            Kind::Ms(d) => {
                struct Pub;
                impl Translator<KeyExpr, DescriptorPublicKey, ()> for Pub {
                    fn pk(&mut self, pk: &KeyExpr) -> Result<DescriptorPublicKey, ()> {
                        Ok(pk.key.clone())
                    }
                    translate_hash_clone!(KeyExpr, DescriptorPublicKey, ());
                }
                d.translate_pk(&mut Pub).ok()
            }
            _ => None,
        }
    }

    /// The key expressions in Core's numbering (index = key_exp_index).
    /// A `musig()` has no key of its own (Core's `GetRootPubKey` is empty
    /// for it); its participants are listed.
    pub fn key_expressions(&self) -> Vec<DescriptorPublicKey> {
        self.keys
            .iter()
            .filter(|k| k.musig.is_none())
            .map(|k| k.key.clone())
            .collect()
    }

    /// Number of key expressions.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Renders the descriptor with `f` rendering each key expression (by
    /// its number); a `musig()` is rendered around its participants.
    fn render_with(
        &self,
        mut f: impl FnMut(usize, &KeyExpr) -> Result<String, KeyError>,
    ) -> Result<String, KeyError> {
        let keys = &self.keys;
        let mut f = |j: usize, k: &KeyExpr| match &k.musig {
            Some(m) => {
                let parts = (j.saturating_sub(m.participants)..j)
                    .map(|i| f(i, &keys[i]))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(format!("musig({}){}", parts.join(","), m.suffix()))
            }
            None => f(j, k),
        };
        // The single key of combo/rawtr/unused comes after any participants.
        let last = keys.len().saturating_sub(1);
        let payload = match &self.kind {
            Kind::Ms(d) => {
                let mut r = Render {
                    keys: &self.keys,
                    f: &mut f,
                };
                let rendered = d.translate_pk(&mut r).map_err(translate_err)?;
                if let Some(text) = utility_rpc::sorted_multi_a::render(
                    &rendered,
                    &self.sorted_leaves,
                    &self.leaf_pads,
                ) {
                    return add_checksum(&text);
                }
                return Ok(rendered.to_string());
            }
            Kind::Combo(k) => format!("combo({})", f(last, k)?),
            Kind::RawTr(k) => format!("rawtr({})", f(last, k)?),
            Kind::Unused(k) => format!("unused({})", f(last, k)?),
            Kind::Addr(a) => format!("addr({a})"),
            Kind::Raw(s) => format!("raw({})", hex_lower(s.as_bytes())),
        };
        add_checksum(&payload)
    }

    /// Core's parse warnings: an `older()` whose value part exceeds what a
    /// relative lock time can express (BIP68 keeps 16 bits) cannot be
    /// satisfied as written.
    pub fn warnings(&self) -> Vec<String> {
        const TYPE_FLAG: u32 = 1 << 22;
        let Kind::Ms(_) = &self.kind else {
            return Vec::new();
        };
        let text = self.to_public_string();
        text.match_indices("older(")
            .filter_map(|(i, m)| {
                let rest = &text[i + m.len()..];
                rest[..rest.find(')')?].parse::<u32>().ok()
            })
            .filter(|raw| raw & !TYPE_FLAG > 0xffff)
            .map(|raw| {
                if raw & TYPE_FLAG != 0 {
                    format!("time-based relative locktime: older({raw}) > (65535 * 512) seconds is unsafe")
                } else {
                    format!("height-based relative locktime: older({raw}) > 65535 blocks is unsafe")
                }
            })
            .collect()
    }

    /// Core's `ToString()`: the public form with checksum, hardened steps
    /// written as parsed. This is the string `walletdescriptor` stores.
    pub fn to_public_string(&self) -> String {
        // Rendering public keys cannot fail: every key is numbered at parse.
        self.render_with(|_, k| Ok(k.render(false)))
            .unwrap_or_default()
    }

    /// Core's `ToString(compat_format=true)`: every hardened step as `'`.
    pub fn to_compat_string(&self) -> String {
        self.render_with(|_, k| Ok(k.render(true)))
            .unwrap_or_default()
    }

    /// Core's `DescriptorID`: SHA256 of [`Self::to_compat_string`].
    pub fn id(&self) -> DescriptorId {
        DescriptorId(sha256::Hash::hash(self.to_compat_string().as_bytes()).to_byte_array())
    }

    /// Core's `ToPrivateString`: root secrets from `keys` in place of public
    /// keys; the flag says whether any key had its secret.
    pub fn to_private_string(&self, keys: &KeyMap) -> (String, bool) {
        let mut any = false;
        let s = self
            .render_with(|_, k| {
                let sk = find_secret(keys, k).map(|sk| PrivateKey {
                    network: NetworkKind::from(self.network),
                    ..*sk
                });
                any |= sk.is_some();
                Ok(k.render_private(sk.as_ref()))
            })
            .unwrap_or_default();
        (s, any)
    }

    /// Core's `ToNormalizedString` (what `listdescriptors` shows): `h`
    /// markers, and keys with hardened steps shown from their last hardened
    /// xpub, taken from `cache` or derived with `keys`.
    pub fn to_normalized_string(
        &self,
        keys: &KeyMap,
        cache: Option<&DescriptorCache>,
    ) -> Result<String, KeyError> {
        let secp = crate::keys::secp();
        self.render_with(|j, k| {
            let j = j as u32;
            let mut lh = cache.and_then(|c| c.last_hardened(j)).copied();
            if lh.is_none() {
                if let (DescriptorPublicKey::XPub(x), Some(sk)) = (&k.key, find_secret(keys, k)) {
                    let path: &[ChildNumber] = x.derivation_path.as_ref();
                    if let Some(last) = path.iter().rposition(|c| c.is_hardened()) {
                        let xprv = xprv_from(&x.xkey, &sk.inner)
                            .derive_priv(secp, &path[..=last].to_vec())
                            .map_err(derive_err)?;
                        lh = Some(Xpub::from_priv(secp, &xprv));
                    }
                }
            }
            k.render_normalized(lh.as_ref())
        })
    }

    /// Whether the descriptor has a `*` (Core's `IsRange`).
    pub fn is_range(&self) -> bool {
        match &self.kind {
            Kind::Ms(d) => d.for_any_key(|k| k.key.has_wildcard()),
            Kind::Combo(k) | Kind::RawTr(k) | Kind::Unused(k) => k.key.has_wildcard(),
            Kind::Addr(_) | Kind::Raw(_) => false,
        }
    }

    /// Whether it yields scripts at all (Core's `HasScripts`: not `unused()`).
    pub fn has_scripts(&self) -> bool {
        !matches!(self.kind, Kind::Unused(_))
    }

    /// Whether it yields one script per index (not `combo()`).
    pub fn is_single_type(&self) -> bool {
        !matches!(self.kind, Kind::Combo(_))
    }

    /// Whether every key can be derived without private keys or a cache
    /// (Core's `CanSelfExpand`).
    pub fn can_self_expand(&self) -> bool {
        self.keys.iter().all(|k| !k.is_hardened())
    }

    /// Core's `GetOutputType`.
    pub fn output_type(&self) -> Option<OutputType> {
        match &self.kind {
            Kind::Ms(d) => match d {
                Descriptor::Bare(_) => None,
                Descriptor::Pkh(_) => Some(OutputType::Legacy),
                Descriptor::Wpkh(_) | Descriptor::Wsh(_) => Some(OutputType::Bech32),
                Descriptor::Sh(sh) => match sh.as_inner() {
                    ShInner::Wpkh(_) | ShInner::Wsh(_) => Some(OutputType::P2shSegwit),
                    _ => Some(OutputType::Legacy),
                },
                Descriptor::Tr(_) => Some(OutputType::Bech32m),
            },
            Kind::Combo(_) | Kind::Unused(_) => None,
            Kind::RawTr(_) => Some(OutputType::Bech32m),
            Kind::Addr(a) => output_type_of_script(&a.script_pubkey()),
            Kind::Raw(s) => output_type_of_script(s),
        }
    }

    /// Derives one key expression at `pos` (Core's
    /// `BIP32PubkeyProvider::GetPubKey` plus the origin wrapper).
    fn derive_key(&self, j: usize, pos: u32, src: &mut Source<'_>) -> Result<DerivedKey, KeyError> {
        let expr = &self.keys[j];
        let exp = j as u32;
        match &expr.key {
            DescriptorPublicKey::Single(s) => {
                let (pubkey, xonly) = match s.key {
                    SinglePubKey::FullKey(pk) => (pk, false),
                    SinglePubKey::XOnly(x) => (
                        PublicKey::new(x.public_key(bitcoin::secp256k1::Parity::Even)),
                        true,
                    ),
                };
                let origin = s.origin.clone().unwrap_or_else(|| {
                    (
                        hash160_fingerprint(&pubkey.to_bytes()),
                        DerivationPath::master(),
                    )
                });
                Ok(DerivedKey {
                    key_exp_index: exp,
                    pubkey,
                    xonly,
                    origin,
                })
            }
            DescriptorPublicKey::XPub(x) => self.derive_xkey(exp, expr, x, pos, src),
            DescriptorPublicKey::MultiXPub(_) => Err(KeyError::Unsupported("multipath key".into())),
        }
    }

    /// Derives an extended key expression at `pos` (Core's
    /// `BIP32PubkeyProvider::GetPubKey`): from the cache, or from the xpub
    /// (and the root secret of `expr` for hardened steps), recording what
    /// the cache should hold.
    fn derive_xkey(
        &self,
        exp: u32,
        expr: &KeyExpr,
        x: &DescriptorXKey<Xpub>,
        pos: u32,
        src: &mut Source<'_>,
    ) -> Result<DerivedKey, KeyError> {
        let secp = crate::keys::secp();
        let path: &[ChildNumber] = x.derivation_path.as_ref();
        let child = match x.wildcard {
            Wildcard::None => None,
            Wildcard::Unhardened => Some(ChildNumber::from_normal_idx(pos).map_err(derive_err)?),
            Wildcard::Hardened => Some(ChildNumber::from_hardened_idx(pos).map_err(derive_err)?),
        };
        let final_xpub = match src {
            Source::Cache(cache) => match cache.derived(exp, pos) {
                Some(d) => *d,
                None => {
                    let miss = KeyError::CacheMiss {
                        key_exp_index: exp,
                        pos,
                    };
                    if x.wildcard == Wildcard::Hardened {
                        return Err(miss);
                    }
                    let parent = cache.parent(exp).ok_or(miss)?;
                    match child {
                        Some(c) => parent.ckd_pub(secp, c).map_err(derive_err)?,
                        None => *parent,
                    }
                }
            },
            Source::Derive { keys, write } => {
                let (parent, final_xpub, lh) = if xkey_hardened(x) {
                    let sk = keys.and_then(|m| find_secret(m, expr)).ok_or_else(|| {
                        KeyError::Derive(format!(
                            "hardened derivation of key expression {exp} needs its private key"
                        ))
                    })?;
                    let mut xprv = xprv_from(&x.xkey, &sk.inner);
                    let mut lh = None;
                    for c in path {
                        xprv = xprv.derive_priv(secp, &[*c]).map_err(derive_err)?;
                        if c.is_hardened() {
                            lh = Some(xprv);
                        }
                    }
                    let parent = Xpub::from_priv(secp, &xprv);
                    let fin = match child {
                        Some(c) => Xpub::from_priv(
                            secp,
                            &xprv.derive_priv(secp, &[c]).map_err(derive_err)?,
                        ),
                        None => parent,
                    };
                    (parent, fin, lh.map(|l| Xpub::from_priv(secp, &l)))
                } else {
                    let parent = x.xkey.derive_pub(secp, &path).map_err(derive_err)?;
                    let fin = match child {
                        Some(c) => parent.ckd_pub(secp, c).map_err(derive_err)?,
                        None => parent,
                    };
                    (parent, fin, None)
                };
                if let Some(w) = write.as_deref_mut() {
                    if x.wildcard != Wildcard::Hardened {
                        w.cache_parent(exp, parent);
                        if let Some(lh) = lh {
                            w.cache_last_hardened(exp, lh);
                        }
                    } else {
                        w.cache_derived(exp, pos, final_xpub);
                    }
                }
                final_xpub
            }
        };
        let mut full: Vec<ChildNumber> = path.to_vec();
        full.extend(child);
        let origin = match &x.origin {
            Some((fp, opath)) => {
                let mut p: Vec<ChildNumber> = opath.as_ref().to_vec();
                p.extend(full);
                (*fp, DerivationPath::from(p))
            }
            None => (x.xkey.fingerprint(), DerivationPath::from(full)),
        };
        Ok(DerivedKey {
            key_exp_index: exp,
            pubkey: PublicKey::new(final_xpub.public_key),
            xonly: false,
            origin,
        })
    }

    /// A `musig()` at `pos` (Core's `MuSigPubkeyProvider::GetPubKey`): the
    /// aggregate of its derived participants `parts`, used as it is or
    /// derived through its synthetic xpub.
    fn derive_musig(
        &self,
        j: usize,
        m: &musig::MuSigExpr,
        parts: &[DerivedKey],
        pos: u32,
        src: &mut Source<'_>,
    ) -> Result<musig::MuSigKey, KeyError> {
        let mut participants = parts.to_vec();
        participants.sort_by_key(|d| d.pubkey.inner.serialize());
        let keys: Vec<PublicKey> = participants.iter().map(|d| d.pubkey).collect();
        let agg = musig::aggregate(&keys)
            .ok_or_else(|| KeyError::Derive("musig(): key aggregation failed".into()))?;
        let key = if m.derives() {
            let x = m.synthetic(&agg, NetworkKind::from(self.network));
            self.derive_xkey(j as u32, &self.keys[j], &x, pos, src)?
        } else {
            DerivedKey {
                key_exp_index: j as u32,
                pubkey: agg,
                xonly: false,
                origin: (
                    hash160_fingerprint(&agg.to_bytes()),
                    DerivationPath::master(),
                ),
            }
        };
        Ok(musig::MuSigKey {
            key,
            aggregate: agg,
            participants,
        })
    }

    fn expand_with(&self, pos: u32, mut src: Source<'_>) -> Result<Expansion, KeyError> {
        let mut derived: Vec<DerivedKey> = Vec::with_capacity(self.keys.len());
        let mut musigs = Vec::new();
        // A constant key given again (a `multi_a` leaf may repeat one
        // hundreds of times) is the same key: derived once.
        let mut singles: std::collections::HashMap<&KeyExpr, usize> =
            std::collections::HashMap::new();
        for (j, expr) in self.keys.iter().enumerate() {
            let earlier = match (&expr.musig, &expr.key) {
                (None, DescriptorPublicKey::Single(_)) => singles.get(expr).copied(),
                _ => None,
            };
            let key = match (&expr.musig, earlier.and_then(|i| derived.get(i))) {
                (_, Some(first)) => DerivedKey {
                    key_exp_index: j as u32,
                    ..first.clone()
                },
                (Some(m), None) => {
                    let parts = &derived[j.saturating_sub(m.participants)..j];
                    let mk = self.derive_musig(j, m, parts, pos, &mut src)?;
                    let key = mk.key.clone();
                    musigs.push(mk);
                    key
                }
                (None, None) => {
                    if matches!(expr.key, DescriptorPublicKey::Single(_)) {
                        singles.insert(expr, j);
                    }
                    self.derive_key(j, pos, &mut src)?
                }
            };
            derived.push(key);
        }
        // The key of combo/rawtr/unused: the last, after any participants.
        let single = derived
            .last()
            .cloned()
            .ok_or_else(|| KeyError::Corrupt("descriptor without keys".into()));
        let (scripts, descriptor) = match &self.kind {
            Kind::Ms(d) => {
                let def = d
                    .translate_pk(&mut ToDefinite {
                        keys: &self.keys,
                        derived: &derived,
                    })
                    .map_err(translate_err)?;
                let def = utility_rpc::sorted_multi_a::sort_leaves(def, &self.sorted_leaves);
                // The script from the keys just derived: the definite
                // descriptor would convert (and, x-only, decompress) every
                // key again, with a new secp256k1 context each.
                let public = d
                    .translate_pk(&mut ToPublic {
                        keys: &self.keys,
                        derived: &derived,
                    })
                    .map_err(translate_err)?;
                let public = utility_rpc::sorted_multi_a::sort_leaves(public, &self.sorted_leaves);
                let spk = utility_rpc::leaf_padding::script_pubkey(&public, &self.leaf_pads);
                (vec![spk], Some(def))
            }
            Kind::Combo(_) => {
                let pk = single?.pubkey;
                let mut v = vec![
                    ScriptBuf::new_p2pk(&pk),
                    ScriptBuf::new_p2pkh(&pk.pubkey_hash()),
                ];
                if let Ok(wpkh) = pk.wpubkey_hash() {
                    let p2wpkh = ScriptBuf::new_p2wpkh(&wpkh);
                    v.push(ScriptBuf::new_p2sh(&p2wpkh.script_hash()));
                    v.insert(2, p2wpkh);
                }
                (v, None)
            }
            Kind::RawTr(_) => {
                let x = XOnlyPublicKey::from(single?.pubkey.inner);
                (
                    vec![ScriptBuf::new_p2tr_tweaked(
                        TweakedPublicKey::dangerous_assume_tweaked(x),
                    )],
                    None,
                )
            }
            Kind::Addr(a) => (vec![a.script_pubkey()], None),
            Kind::Raw(s) => (vec![s.clone()], None),
            Kind::Unused(_) => (Vec::new(), None),
        };
        Ok(Expansion {
            scripts,
            keys: derived,
            descriptor,
            musig: musigs,
            leaf_pads: self.leaf_pads.clone(),
        })
    }

    /// Core's `Expand`: derives at `pos` using the descriptor's public keys,
    /// and `keys` (root secrets) for hardened steps; records the cache items
    /// Core would write into `write_cache`.
    pub fn expand(
        &self,
        pos: u32,
        keys: Option<&KeyMap>,
        write_cache: Option<&mut DescriptorCache>,
    ) -> Result<Expansion, KeyError> {
        self.expand_with(
            pos,
            Source::Derive {
                keys,
                write: write_cache,
            },
        )
    }

    /// Core's `ExpandFromCache`: derives at `pos` from cached xpubs only.
    pub fn expand_from_cache(
        &self,
        pos: u32,
        cache: &DescriptorCache,
    ) -> Result<Expansion, KeyError> {
        self.expand_with(pos, Source::Cache(cache))
    }

    /// Core's `ExpandPrivate`: the private keys at `pos` derivable from the
    /// root secrets in `keys`, keyed by their public keys.
    pub fn expand_private(&self, pos: u32, keys: &KeyMap) -> Result<KeyMap, KeyError> {
        let secp = crate::keys::secp();
        let mut out = KeyMap::new();
        for expr in &self.keys {
            let Some(sk) = find_secret(keys, expr) else {
                continue;
            };
            let derived = match &expr.key {
                DescriptorPublicKey::Single(_) => *sk,
                DescriptorPublicKey::XPub(x) => {
                    let mut path: Vec<ChildNumber> = x.derivation_path.as_ref().to_vec();
                    match x.wildcard {
                        Wildcard::None => {}
                        Wildcard::Unhardened => {
                            path.push(ChildNumber::from_normal_idx(pos).map_err(derive_err)?)
                        }
                        Wildcard::Hardened => {
                            path.push(ChildNumber::from_hardened_idx(pos).map_err(derive_err)?)
                        }
                    }
                    PrivateKey {
                        compressed: true,
                        network: NetworkKind::from(self.network),
                        inner: derive_secret(&x.xkey, &sk.inner, &path)?,
                    }
                }
                DescriptorPublicKey::MultiXPub(_) => continue,
            };
            out.insert(derived.public_key(secp), derived);
        }
        Ok(out)
    }
}

/// Whether a miniscript is one of Core's plain descriptors (`pk`, `pkh`,
/// `multi`, and in `tr()` leaves `multi_a`), which Core parses outside
/// miniscript and does not sanity-check.
fn is_plain<Pk: MiniscriptKey, Ctx: ScriptContext>(ms: &Miniscript<Pk, Ctx>) -> bool {
    match ms.as_inner() {
        Terminal::Check(sub) => matches!(sub.as_inner(), Terminal::PkK(_) | Terminal::PkH(_)),
        Terminal::Multi(_) | Terminal::MultiA(_) => true,
        _ => false,
    }
}

fn sane<Pk: MiniscriptKey, Ctx: ScriptContext>(ms: &Miniscript<Pk, Ctx>) -> Result<(), KeyError> {
    if is_plain(ms) {
        return Ok(());
    }
    // Sane but never satisfiable (`wsh(0)`): coins sent there are lost.
    // rust-miniscript counts it as over the resource limits; Core as sane.
    let unsatisfiable = ms.max_satisfaction_witness_elements().is_err();
    let sane_but_limits = ms.requires_sig()
        && ms.is_non_malleable()
        && !ms.has_repeated_keys()
        && !ms.has_mixed_timelocks();
    if unsatisfiable && sane_but_limits {
        let node = insane_sub(ms).unwrap_or(ms);
        return Err(parse_err(format!("{node} is not satisfiable")));
    }
    if utility_rpc::tapscript_limits::sanity_check(ms).is_err() {
        return Err(parse_err(insane_reason(ms)));
    }
    Ok(())
}

/// Core's report of an insane miniscript: the first subexpression that is
/// insane while none of its children is (else the whole), and why, in
/// Core's order and words.
fn insane_reason<Pk: MiniscriptKey, Ctx: ScriptContext>(top: &Miniscript<Pk, Ctx>) -> String {
    let node = insane_sub(top).unwrap_or(top);
    let why = if !node.is_non_malleable() {
        "malleable witnesses exist"
    } else if std::ptr::eq(node, top) && !node.requires_sig() {
        "witnesses without signature exist"
    } else if node.has_mixed_timelocks() {
        "contains mixes of timelocks expressed in blocks and seconds"
    } else if node.has_repeated_keys() {
        "contains duplicate public keys"
    } else if !within_resource_limits(node) {
        "needs witnesses that may exceed resource limits"
    } else {
        return format!("{node} is not sane");
    };
    format!("{node} is not sane: {why}")
}

/// Core's `FindInsaneSub`: a subexpression that is not sane as a
/// subexpression (signatures aside) while its children are.
fn insane_sub<Pk: MiniscriptKey, Ctx: ScriptContext>(
    ms: &Miniscript<Pk, Ctx>,
) -> Option<&Miniscript<Pk, Ctx>> {
    if let Some(sub) = ms.branches().into_iter().find_map(insane_sub) {
        return Some(sub);
    }
    let sane = ms.is_non_malleable()
        && within_resource_limits(ms)
        && !ms.has_mixed_timelocks()
        && !ms.has_repeated_keys();
    (!sane).then_some(ms)
}

fn wsh_rules(w: &Wsh<KeyExpr>) -> Result<(), KeyError> {
    match w.as_inner() {
        WshInner::Ms(ms) => sane(ms),
        WshInner::SortedMulti(_) => Ok(()),
    }
}

/// Rules Core applies that rust-miniscript does not: miniscript only inside
/// wsh() and tr(), it must be sane, and bare multisig has at most 3 keys.
fn core_context_rules(d: &Descriptor<KeyExpr>) -> Result<(), KeyError> {
    let only_wsh_tr = || parse_err("Miniscript expressions can only be used in wsh or tr.");
    match d {
        Descriptor::Bare(b) => {
            let ms = b.as_inner();
            if !is_plain(ms) {
                return Err(only_wsh_tr());
            }
            if let Terminal::Multi(t) = ms.as_inner() {
                if t.n() > 3 {
                    return Err(parse_err(format!(
                        "Cannot have {} pubkeys in bare multisig; only at most 3 pubkeys",
                        t.n()
                    )));
                }
            }
            Ok(())
        }
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Ms(ms) if !is_plain(ms) => Err(only_wsh_tr()),
            ShInner::Wsh(w) => wsh_rules(w),
            _ => Ok(()),
        },
        Descriptor::Wsh(w) => wsh_rules(w),
        Descriptor::Tr(t) => {
            for (_, ms) in t.iter_scripts() {
                sane(ms)?;
            }
            Ok(())
        }
        Descriptor::Pkh(_) | Descriptor::Wpkh(_) => Ok(()),
    }
}

fn output_type_of_script(s: &ScriptBuf) -> Option<OutputType> {
    if s.is_p2pkh() || s.is_p2sh() {
        return Some(OutputType::Legacy);
    }
    if s.is_p2wpkh() || s.is_p2wsh() {
        return Some(OutputType::Bech32);
    }
    // Pay-to-anchor is its own destination type in Core, without an output type.
    if s.as_bytes() == [0x51, 0x02, 0x4e, 0x73] {
        return None;
    }
    match s.witness_version() {
        Some(v) if v.to_num() >= 1 => Some(OutputType::Bech32m),
        _ => None,
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
