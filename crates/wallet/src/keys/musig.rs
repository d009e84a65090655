//! `musig()` key expressions (BIP390) with Core's rules: the participants'
//! keys are sorted and aggregated with BIP327 `KeyAgg`; derivation after
//! `musig()` goes through the aggregate's BIP328 synthetic xpub.
//!
//! miniscript has no `musig()`, so the descriptor text is parsed with each
//! `musig(…)` replaced by a placeholder key it can read (see
//! [`substitute`]). `KeyAgg` and the synthetic xpub are
//! [`utility_rpc::musig2`]'s, shared with the PSBT signers.

use bitcoin::bip32::{ChainCode, ChildNumber, DerivationPath, Xpub};
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{NetworkKind, PublicKey};
use miniscript::descriptor::{DescriptorXKey, Wildcard};
use miniscript::{DescriptorPublicKey, MiniscriptKey};

use utility_rpc::musig2::{synthetic_xpub, KeyAggContext};

use super::error::{parse_err, KeyError};
use super::keyexpr::{fmt_path, parse_key_expr, parse_path_elem, KeyExpr, ParseKey};

/// What a `musig()` key expression holds beyond its placeholder key. Its
/// participants are the `participants` key expressions numbered just before
/// it (Core numbers the participants first, then the `musig()` itself).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MuSigExpr {
    /// How many participants.
    pub participants: usize,
    /// Unhardened derivation steps after `musig()`.
    pub path: Vec<ChildNumber>,
    /// A `/*` after `musig()`.
    pub ranged: bool,
}

impl MuSigExpr {
    /// The text after `musig(…)`: `/1/2/*`.
    pub fn suffix(&self) -> String {
        format!(
            "{}{}",
            fmt_path(&self.path, false),
            if self.ranged { "/*" } else { "" }
        )
    }

    /// Whether the aggregate is derived through the synthetic xpub (Core:
    /// ranged or with a path) rather than used as it is.
    pub fn derives(&self) -> bool {
        self.ranged || !self.path.is_empty()
    }

    /// The synthetic xpub's derivation, for the aggregate `agg`.
    pub fn synthetic(&self, agg: &PublicKey, network: NetworkKind) -> DescriptorXKey<Xpub> {
        DescriptorXKey {
            origin: None,
            xkey: synthetic_xpub(&agg.inner, network),
            derivation_path: DerivationPath::from(self.path.clone()),
            wildcard: if self.ranged {
                Wildcard::Unhardened
            } else {
                Wildcard::None
            },
        }
    }
}

/// A `musig()` key of an expansion: the key the script uses with what
/// MuSig2 signers need to know of it (Core's `aggregate_pubkeys` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuSigKey {
    /// The key the script uses: the aggregate, or a key derived from it.
    pub key: super::DerivedKey,
    /// The aggregate of the participants (BIP327 `KeyAgg`, keys sorted).
    pub aggregate: PublicKey,
    /// The participants' keys, sorted, with their origins.
    pub participants: Vec<super::DerivedKey>,
}

/// One `musig()` of a descriptor: its participants, itself, and the
/// placeholder text that stands for it while miniscript parses.
pub(crate) struct Parsed {
    /// The participants as written (with their secrets).
    pub participants: Vec<ParseKey>,
    /// The key expression: the placeholder key with the `musig()` data.
    pub expr: KeyExpr,
    /// What replaced the `musig(…)` text.
    pub placeholder: String,
}

/// Core's `MuSig2AggregatePubkeys` as descriptors use it: sorted, then
/// aggregated.
pub(crate) fn aggregate(keys: &[PublicKey]) -> Option<PublicKey> {
    let mut keys: Vec<[u8; 33]> = keys.iter().map(|k| k.inner.serialize()).collect();
    keys.sort();
    KeyAggContext::new(&keys)
        .ok()
        .map(|c| PublicKey::new(c.aggregate()))
}

fn musig_err(m: impl std::fmt::Display) -> KeyError {
    parse_err(format!("musig(): {m}"))
}

/// Parses one participant with Core's rules for the inside of `musig()`:
/// compressed keys only, no x-only keys, no nested `musig()`.
fn participant(text: &str) -> Result<ParseKey, KeyError> {
    if text.starts_with("musig(") {
        return Err(musig_err("musig() is only allowed in tr() and rawtr()"));
    }
    let key = parse_key_expr(text).map_err(|e| match e {
        KeyError::Parse(m) => musig_err(m),
        other => other,
    })?;
    if key.expr.key.is_x_only_key() {
        let bare = text.rsplit(']').next().unwrap_or(text);
        return Err(musig_err(format!("Pubkey '{bare}' is invalid")));
    }
    if key.expr.key.is_uncompressed() {
        return Err(musig_err("Uncompressed keys are not allowed"));
    }
    Ok(key)
}

/// Parses `musig(A,B,…)` followed by `suffix` (`/1/*`, or empty).
fn parse_one(inner: &str, suffix: &str, network: NetworkKind) -> Result<Parsed, KeyError> {
    if inner.is_empty() {
        return Err(musig_err("Must contain key expressions"));
    }
    let participants = inner
        .split(',')
        .map(participant)
        .collect::<Result<Vec<_>, _>>()?;
    let any_ranged = participants.iter().any(|p| p.expr.key.has_wildcard());
    let mut path = Vec::new();
    let mut ranged = false;
    if let Some(steps) = suffix.strip_prefix('/') {
        if participants
            .iter()
            .any(|p| !matches!(p.expr.key, DescriptorPublicKey::XPub(_)))
        {
            return Err(musig_err(
                "derivation requires all participants to be xpubs or xprvs",
            ));
        }
        if any_ranged {
            return Err(musig_err(
                "Cannot have ranged participant keys if musig() also has derivation",
            ));
        }
        let mut steps: Vec<&str> = steps.split('/').collect();
        match steps.last().copied() {
            Some("*") => {
                ranged = true;
                steps.pop();
            }
            Some("*'" | "*h") => return Err(musig_err("Cannot have hardened child derivation")),
            _ => {}
        }
        let mut apostrophe = false;
        for s in steps {
            let step = parse_path_elem(s, &mut apostrophe).map_err(|e| match e {
                KeyError::Parse(m) => musig_err(m),
                other => other,
            })?;
            if step.is_hardened() {
                return Err(musig_err("cannot have hardened derivation steps"));
            }
            path.push(step);
        }
    } else if !suffix.is_empty() {
        return Err(parse_err("Invalid musig() expression"));
    }
    let m = MuSigExpr {
        participants: participants.len(),
        path,
        ranged,
    };
    // The placeholder only has to be a valid key, the same for the public
    // and private forms, distinct per expression, and ranged exactly when
    // the expression is: a key hashed from the public text.
    let public: Vec<String> = participants.iter().map(|p| p.expr.render(false)).collect();
    let text = format!("musig({}){}", public.join(","), m.suffix());
    let seed = sha256::Hash::hash(text.as_bytes()).to_byte_array();
    let secret = SecretKey::from_slice(&seed)
        .map_err(|_| KeyError::Derive("musig() placeholder key".into()))?;
    let xkey = Xpub {
        network,
        depth: 0,
        parent_fingerprint: Default::default(),
        child_number: ChildNumber::Normal { index: 0 },
        public_key: secret.public_key(super::secp()),
        chain_code: ChainCode::from(sha256::Hash::hash(&seed).to_byte_array()),
    };
    let key = DescriptorPublicKey::XPub(DescriptorXKey {
        origin: None,
        xkey,
        derivation_path: DerivationPath::from(m.path.clone()),
        wildcard: if m.ranged || any_ranged {
            Wildcard::Unhardened
        } else {
            Wildcard::None
        },
    });
    let placeholder = key.to_string();
    Ok(Parsed {
        participants,
        expr: KeyExpr {
            key,
            apostrophe: false,
            musig: Some(m),
        },
        placeholder,
    })
}

/// The name of the function whose argument starts at `at` (`tr` for
/// `tr(musig(…`), or "" when the key is not a direct argument.
fn enclosing(payload: &str, at: usize) -> &str {
    let before = payload[..at].strip_suffix('(').unwrap_or("");
    before
        .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
}

/// Core's error for a `musig()` outside tr(): named after the function
/// that holds the key, or, directly in sh()/wsh(), the missing function.
fn outside_taproot(payload: &str) -> KeyError {
    let at = payload.find("musig(").unwrap_or(0);
    match enclosing(payload, at) {
        "sh" => parse_err("A function is needed within P2SH"),
        "wsh" => parse_err("A function is needed within P2WSH"),
        "" => parse_err("musig() is only allowed in tr() and rawtr()"),
        f => parse_err(format!(
            "{f}(): musig() is only allowed in tr() and rawtr()"
        )),
    }
}

/// Replaces every `musig(…)` of `payload` by its placeholder key (as
/// Core, `musig()` must sit directly in `tr()` or `rawtr()`): the text to
/// parse, and the expressions in textual order.
pub(crate) fn substitute(
    payload: &str,
    network: NetworkKind,
) -> Result<(String, Vec<Parsed>), KeyError> {
    if !payload.contains("musig(") {
        return Ok((payload.to_string(), Vec::new()));
    }
    if !(payload.starts_with("tr(") || payload.starts_with("rawtr(")) {
        return Err(outside_taproot(payload));
    }
    let mut out = String::with_capacity(payload.len());
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = payload[at..].find("musig(").map(|i| i + at) {
        let open = start + "musig(".len();
        let close = payload[open..]
            .find(')')
            .map(|i| i + open)
            .ok_or_else(|| parse_err("Invalid musig() expression"))?;
        let end = payload[close + 1..]
            .find([',', ')', '}'])
            .map_or(payload.len(), |i| i + close + 1);
        let parsed = parse_one(&payload[open..close], &payload[close + 1..end], network).map_err(
            |e| match (e, enclosing(payload, start)) {
                (KeyError::Parse(m), f) if !f.is_empty() => parse_err(format!("{f}(): {m}")),
                (e, _) => e,
            },
        )?;
        out.push_str(&payload[at..start]);
        out.push_str(&parsed.placeholder);
        found.push(parsed);
        at = end;
    }
    out.push_str(&payload[at..]);
    Ok((out, found))
}

/// Core's rule for BIP389 multipath inside `musig()`: the participants or
/// the derivation after it may be multipath, not both. `groups` are the
/// offsets of the `<…>` groups in `payload`.
pub(crate) fn check_multipath(payload: &str, groups: &[usize]) -> Result<(), KeyError> {
    let mut at = 0;
    while let Some(start) = payload[at..].find("musig(").map(|i| i + at) {
        let Some(close) = payload[start..].find(')').map(|i| i + start) else {
            return Ok(());
        };
        let end = payload[close..]
            .find([',', '}'])
            .map_or(payload.len(), |i| i + close);
        let inside = groups.iter().any(|g| (start..close).contains(g));
        let after = groups.iter().any(|g| (close..end).contains(g));
        if inside && after {
            let f = enclosing(payload, start);
            let prefix = if f.is_empty() {
                String::new()
            } else {
                format!("{f}(): ")
            };
            return Err(parse_err(format!(
                "{prefix}musig(): Cannot have multipath participant keys if musig() is also multipath"
            )));
        }
        at = close;
    }
    Ok(())
}
