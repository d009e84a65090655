//! Core's resource limits for miniscript in tapscript, which the
//! `miniscript` crate computes differently.
//!
//! In tapscript there is no op limit and no standardness limit on the
//! witness, so the one limit a satisfaction can hit is the 1000-element
//! stack during execution (Core's `CheckStackSize`). Core bounds it by
//! following how much higher the stack can get during a script than at its
//! end (its `SatInfo` analysis). The `miniscript` crate instead adds the
//! number of witness elements to its own execution bound, counting the
//! witness twice: it rejects e.g. `multi_a` with 999 keys, whose largest
//! stack (999 signatures and one key) fits. Descriptors are therefore
//! parsed with the crate's resource check off for tapscript leaves and
//! checked here as Core does.

use bitcoin::hashes::{hash160, ripemd160, sha256};
use bitcoin::secp256k1::{Secp256k1, Signing};
use miniscript::descriptor::{
    Descriptor, DescriptorPublicKey, DescriptorSecretKey, KeyMap, TapTree, Tr,
};
use miniscript::miniscript::types::Base;
use miniscript::{
    hash256, AnalysisError, ExtParams, FromStrKey, Miniscript, MiniscriptKey, ScriptContext,
    SigType, Tap, Terminal, TranslateErr, TranslatePk, Translator,
};
use std::str::FromStr;
use std::sync::Arc;

use crate::descriptor::split_top;

/// Consensus limit on stack plus altstack elements (`MAX_STACK_SIZE`).
const MAX_STACK_SIZE: i64 = 1000;

/// Bytes of a compact-size length prefix for `n`.
const fn compact_size_len(n: u32) -> u32 {
    match n {
        0..=252 => 1,
        253..=0xffff => 3,
        _ => 5,
    }
}

/// Core's `MaxScriptSize` for tapscript miniscript. Leaf scripts have no
/// size limit of their own; Core bounds them so that a spend with the
/// largest possible witness (1000 elements of 65 bytes and the largest
/// control block) and a one-in one-out body stays within the standard
/// transaction weight (400,000), the script's own length prefix included.
pub const MAX_TAPMINISCRIPT_SIZE: usize = {
    // version, locktime, input and output counts, one input without its
    // witness, one P2WSH output; times the witness scale, plus the segwit
    // marker and flag.
    const BODY_WEIGHT: u32 = (4 + 4 + 1 + (36 + 4 + 1) + 1 + (8 + 1 + 1 + 33)) * 4 + 2;
    // The largest taproot control block: 33 bytes and 128 path hashes.
    const CONTROL_MAX: u32 = 33 + 32 * 128;
    const SAT_SIZE: u32 = compact_size_len(1000)
        + (compact_size_len(65) + 65) * 1000
        + compact_size_len(CONTROL_MAX)
        + CONTROL_MAX;
    const ROOM: u32 = 400_000 - BODY_WEIGHT - SAT_SIZE;
    (ROOM - compact_size_len(ROOM)) as usize
};

/// The text of the error for a descriptor function Core cannot read,
/// also what it says for a tapscript leaf larger than
/// [`MAX_TAPMINISCRIPT_SIZE`].
fn not_a_function(text: &str) -> miniscript::Error {
    miniscript::Error::Unexpected(format!("'{text}' is not a valid descriptor function"))
}

/// How a parse error of this module reads in Core's words: the crate
/// wraps texts of its `Unexpected` errors in `unexpected «…»`, which must
/// not show around the messages that are Core's own.
pub fn error_text(e: &miniscript::Error) -> String {
    match e {
        miniscript::Error::Unexpected(m) if m.ends_with("' is not a valid descriptor function") => {
            m.clone()
        }
        other => other.to_string(),
    }
}

/// The stack behaviour of a set of execution traces of a script: `None` when
/// there is none; else how much larger the stack can be at the start than
/// at the end (`netdiff`) and how much larger it can get anywhere during
/// execution than at the end (`exec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Traces(Option<(i64, i64)>);

impl Traces {
    const NONE: Traces = Traces(None);

    const fn one(netdiff: i64, exec: i64) -> Traces {
        Traces(Some((netdiff, exec)))
    }

    /// The empty script.
    const EMPTY: Traces = Traces::one(0, 0);
    /// A push (also OP_DUP, OP_SIZE, a non-zero OP_IFDUP): one more element.
    const PUSH: Traces = Traces::one(-1, 0);
    /// Opcodes replacing the top element (hashes, CLTV/CSV, OP_0NOTEQUAL,
    /// a zero OP_IFDUP).
    const SAME: Traces = Traces::one(0, 0);
    /// Opcodes consuming one element more than they push (OP_IF/OP_NOTIF,
    /// binary operators, OP_EQUAL, OP_CHECKSIG, OP_VERIFY).
    const POP: Traces = Traces::one(1, 1);
    /// OP_EQUALVERIFY: two elements consumed.
    const POP2: Traces = Traces::one(2, 2);

    /// Either of two sets of traces.
    fn or(self, other: Traces) -> Traces {
        match (self.0, other.0) {
            (None, _) => other,
            (_, None) => self,
            (Some((n1, e1)), Some((n2, e2))) => Traces::one(n1.max(n2), e1.max(e2)),
        }
    }

    /// `self` followed by `next`: the peak is either in `next`, or in
    /// `self` raised by what `next` removes overall.
    fn then(self, next: Traces) -> Traces {
        match (self.0, next.0) {
            (Some((n1, e1)), Some((n2, e2))) => Traces::one(n1 + n2, e2.max(n2 + e1)),
            _ => Traces::NONE,
        }
    }

    fn seq(parts: &[Traces]) -> Traces {
        parts.iter().fold(Traces::EMPTY, |acc, t| acc.then(*t))
    }
}

/// The traces satisfying and dissatisfying a fragment.
#[derive(Clone, Copy, Debug)]
struct StackUse {
    sat: Traces,
    dsat: Traces,
}

impl StackUse {
    fn both(t: Traces) -> StackUse {
        StackUse { sat: t, dsat: t }
    }
}

fn stack_use<Pk: MiniscriptKey, Ctx: ScriptContext>(ms: &Miniscript<Pk, Ctx>) -> StackUse {
    use Traces as T;
    let su = |m: &Arc<Miniscript<Pk, Ctx>>| stack_use(m.as_ref());
    match &ms.node {
        Terminal::False => StackUse {
            sat: T::NONE,
            dsat: T::PUSH,
        },
        Terminal::True => StackUse {
            sat: T::PUSH,
            dsat: T::NONE,
        },
        Terminal::After(_) | Terminal::Older(_) => StackUse {
            sat: T::PUSH.then(T::SAME),
            dsat: T::NONE,
        },
        Terminal::PkK(_) => StackUse::both(T::PUSH),
        // OP_DUP OP_HASH160 <h> OP_EQUALVERIFY
        Terminal::PkH(_) | Terminal::RawPkH(_) => {
            StackUse::both(T::seq(&[T::PUSH, T::SAME, T::PUSH, T::POP2]))
        }
        // OP_SIZE <32> OP_EQUALVERIFY OP_HASH <h> OP_EQUAL
        Terminal::Sha256(_)
        | Terminal::Hash256(_)
        | Terminal::Ripemd160(_)
        | Terminal::Hash160(_) => StackUse {
            sat: T::seq(&[T::PUSH, T::PUSH, T::POP2, T::SAME, T::PUSH, T::POP]),
            dsat: T::NONE,
        },
        Terminal::Alt(x) | Terminal::Swap(x) | Terminal::ZeroNotEqual(x) => su(x),
        Terminal::Check(x) => {
            let x = su(x);
            StackUse {
                sat: x.sat.then(T::POP),
                dsat: x.dsat.then(T::POP),
            }
        }
        // OP_DUP OP_IF [X] OP_ENDIF
        Terminal::DupIf(x) => StackUse {
            sat: T::seq(&[T::PUSH, T::POP, su(x).sat]),
            dsat: T::PUSH.then(T::POP),
        },
        Terminal::Verify(x) => StackUse {
            sat: su(x).sat.then(T::POP),
            dsat: T::NONE,
        },
        // OP_SIZE OP_0NOTEQUAL OP_IF [X] OP_ENDIF
        Terminal::NonZero(x) => StackUse {
            sat: T::seq(&[T::PUSH, T::SAME, T::POP, su(x).sat]),
            dsat: T::seq(&[T::PUSH, T::SAME, T::POP]),
        },
        Terminal::AndV(x, y) => StackUse {
            sat: su(x).sat.then(su(y).sat),
            dsat: T::NONE,
        },
        Terminal::AndB(x, y) => {
            let (x, y) = (su(x), su(y));
            StackUse {
                sat: T::seq(&[x.sat, y.sat, T::POP]),
                dsat: T::seq(&[x.dsat, y.dsat, T::POP]),
            }
        }
        Terminal::AndOr(x, y, z) => {
            let (x, y, z) = (su(x), su(y), su(z));
            StackUse {
                sat: T::seq(&[x.sat, T::POP, y.sat]).or(T::seq(&[x.dsat, T::POP, z.sat])),
                dsat: T::seq(&[x.dsat, T::POP, z.dsat]),
            }
        }
        Terminal::OrB(x, y) => {
            let (x, y) = (su(x), su(y));
            StackUse {
                sat: x.sat.then(y.dsat).or(x.dsat.then(y.sat)).then(T::POP),
                dsat: T::seq(&[x.dsat, y.dsat, T::POP]),
            }
        }
        // [X] OP_NOTIF [Y] OP_ENDIF
        Terminal::OrC(x, y) => {
            let (x, y) = (su(x), su(y));
            StackUse {
                sat: x.sat.then(T::POP).or(T::seq(&[x.dsat, T::POP, y.sat])),
                dsat: T::NONE,
            }
        }
        // [X] OP_IFDUP OP_NOTIF [Y] OP_ENDIF
        Terminal::OrD(x, y) => {
            let (x, y) = (su(x), su(y));
            StackUse {
                sat: T::seq(&[x.sat, T::PUSH, T::POP]).or(T::seq(&[
                    x.dsat,
                    T::SAME,
                    T::POP,
                    y.sat,
                ])),
                dsat: T::seq(&[x.dsat, T::SAME, T::POP, y.dsat]),
            }
        }
        // OP_IF [X] OP_ELSE [Y] OP_ENDIF
        Terminal::OrI(x, y) => {
            let (x, y) = (su(x), su(y));
            StackUse {
                sat: T::POP.then(x.sat.or(y.sat)),
                dsat: T::POP.then(x.dsat.or(y.dsat)),
            }
        }
        // A 0, k signatures; then n keys, k and n are pushed; one result.
        Terminal::Multi(t) => {
            let (k, n) = (t.k() as i64, t.n() as i64);
            StackUse::both(T::one(k, k + n + 2))
        }
        // n signatures or empty vectors; after the first key push there is
        // one more element; one result.
        Terminal::MultiA(t) => {
            let n = t.n() as i64;
            StackUse::both(T::one(n - 1, n))
        }
        Terminal::Thresh(t) => {
            // by_count[j]: the traces reaching j satisfied subexpressions.
            let mut by_count = vec![T::EMPTY];
            for (i, sub) in t.iter().enumerate() {
                let sub = su(sub);
                let add = if i == 0 { T::EMPTY } else { T::POP };
                let mut next = Vec::with_capacity(by_count.len() + 1);
                for j in 0..=by_count.len() {
                    let skipped = by_count.get(j).map_or(T::NONE, |c| c.then(sub.dsat));
                    let taken = j
                        .checked_sub(1)
                        .and_then(|p| by_count.get(p))
                        .map_or(T::NONE, |c| c.then(sub.sat));
                    next.push(skipped.or(taken).then(add));
                }
                by_count = next;
            }
            // <k> OP_EQUAL after the sum.
            let tail = T::PUSH.then(T::POP);
            StackUse {
                sat: by_count.get(t.k()).map_or(T::NONE, |c| c.then(tail)),
                dsat: by_count.first().map_or(T::NONE, |c| c.then(tail)),
            }
        }
    }
}

/// Core's `GetExecStackSize`: the most stack elements a non-malleable or
/// malleable satisfaction of `ms` can reach while it runs (`None` if it
/// cannot be satisfied). Expressions of type B, K or W leave one element
/// at the end, which counts too.
pub fn exec_stack_size<Pk: MiniscriptKey, Ctx: ScriptContext>(
    ms: &Miniscript<Pk, Ctx>,
) -> Option<i64> {
    let (_, exec) = stack_use(ms).sat.0?;
    Some(exec + i64::from(ms.ty.corr.base != Base::V))
}

/// Whether `ctx` is tapscript (the only context with Schnorr signatures).
fn is_tapscript<Ctx: ScriptContext>() -> bool {
    Ctx::sig_type() == SigType::Schnorr
}

/// Core's `ValidSatisfactions` resource part: in tapscript, the stack
/// during any satisfaction stays within 1000 elements; elsewhere the
/// `miniscript` crate's limits (op count, standard witness size), which
/// match Core's.
pub fn within_resource_limits<Pk: MiniscriptKey, Ctx: ScriptContext>(
    ms: &Miniscript<Pk, Ctx>,
) -> bool {
    if is_tapscript::<Ctx>() {
        return exec_stack_size(ms).is_none_or(|s| s <= MAX_STACK_SIZE);
    }
    ms.within_resource_limits()
}

/// The `miniscript` crate's sanity checks with Core's resource limits
/// ([`within_resource_limits`]) in place of its own.
pub fn sanity_check<Pk: MiniscriptKey, Ctx: ScriptContext>(
    ms: &Miniscript<Pk, Ctx>,
) -> Result<(), AnalysisError> {
    ms.ext_check(&ExtParams::sane().exceed_resource_limitations())?;
    if within_resource_limits(ms) {
        Ok(())
    } else {
        Err(AnalysisError::BranchExceedResouceLimits)
    }
}

/// A `tr()` script-path leaf as Core reads it, with its pad (see
/// [`crate::leaf_padding`]): `multi_a` alone is Core's own descriptor
/// (`MultiADescriptor`), not miniscript, so it is not sanity-checked
/// (repeated keys are allowed); anything else must be sane. A run of `n:`
/// keeps what it wraps sane or not, so a padded leaf is checked on its
/// inner expression, which must be of type B for the wrappers to apply.
fn parse_leaf<Pk: FromStrKey>(
    text: &str,
) -> Result<(Miniscript<Pk, Tap>, usize), miniscript::Error> {
    let (pad, inner) = crate::leaf_padding::split_leaf(text);
    let ms = Miniscript::<Pk, Tap>::from_str_ext(inner, &ExtParams::insane())?;
    if pad > 0 && ms.ty.corr.base != Base::B {
        return Err(miniscript::Error::Unexpected(format!(
            "'{text}': n: wrappers need an expression of type B"
        )));
    }
    // Core's parser refuses a leaf as soon as its script outgrows the
    // limit; the crate allows up to a block's weight.
    if ms.script_size().saturating_add(pad) > MAX_TAPMINISCRIPT_SIZE {
        return Err(not_a_function(text));
    }
    if pad > 0 || !matches!(ms.node, Terminal::MultiA(_)) {
        sanity_check(&ms).map_err(miniscript::Error::AnalysisError)?;
    }
    Ok((ms, pad))
}

fn parse_tree<Pk: FromStrKey>(
    text: &str,
    pads: &mut Vec<usize>,
) -> Result<TapTree<Pk>, miniscript::Error> {
    let Some(inner) = text.strip_prefix('{').and_then(|r| r.strip_suffix('}')) else {
        let (ms, pad) = parse_leaf(text)?;
        pads.push(pad);
        return Ok(TapTree::Leaf(Arc::new(ms)));
    };
    match split_top(inner).as_slice() {
        [l, r] => {
            let l = parse_tree(l, pads)?;
            Ok(TapTree::combine(l, parse_tree(r, pads)?))
        }
        _ => Err(miniscript::Error::Unexpected(
            "unknown format for script spending paths while parsing taproot descriptor".into(),
        )),
    }
}

/// Parses descriptor text (without checksum) as the `miniscript` crate's
/// `Descriptor::from_str`, except that the leaves of a `tr()` tree follow
/// Core's rules ([`parse_leaf`]). Also returns the leaves' pads in tree
/// order, empty when none is padded ([`crate::leaf_padding`]).
pub fn parse_descriptor<Pk: FromStrKey>(
    text: &str,
) -> Result<(Descriptor<Pk>, Vec<usize>), miniscript::Error> {
    let tree = text
        .strip_prefix("tr(")
        .and_then(|r| r.strip_suffix(')'))
        .map(split_top);
    let unpadded = |d: Descriptor<Pk>| (d, Vec::new());
    let Some([key, tree]) = tree.as_deref() else {
        return Descriptor::from_str(text).map(unpadded);
    };
    if text.contains('#') {
        return Descriptor::from_str(text).map(unpadded);
    }
    // The crate's own parser checks the text and the key; only the leaves
    // need Core's rules.
    if key.contains(['(', ')', '{', '}']) || tree.is_empty() {
        return Descriptor::from_str(text).map(unpadded);
    }
    let internal = Pk::from_str(key)
        .map_err(|e| miniscript::Error::Unexpected(format!("invalid taproot internal key: {e}")))?;
    let mut pads = Vec::new();
    let tr = Tr::new(internal, Some(parse_tree(tree, &mut pads)?))?;
    if !crate::leaf_padding::any(&pads) {
        pads.clear();
    }
    Ok((Descriptor::Tr(tr), pads))
}

/// Reads the keys of a descriptor parsed with string keys: private key
/// expressions become their public ones, kept in the key map (as the
/// `miniscript` crate's `Descriptor::parse_descriptor`).
struct SecretKeys<'a, C: Signing> {
    secp: &'a Secp256k1<C>,
    keys: KeyMap,
}

fn unexpected(e: impl std::fmt::Display) -> miniscript::Error {
    miniscript::Error::Unexpected(e.to_string())
}

impl<C: Signing> Translator<String, DescriptorPublicKey, miniscript::Error> for SecretKeys<'_, C> {
    fn pk(&mut self, pk: &String) -> Result<DescriptorPublicKey, miniscript::Error> {
        match DescriptorSecretKey::from_str(pk) {
            Ok(sk) => {
                let public = sk.to_public(self.secp).map_err(unexpected)?;
                self.keys.insert(public.clone(), sk);
                Ok(public)
            }
            Err(_) => DescriptorPublicKey::from_str(pk).map_err(unexpected),
        }
    }

    fn sha256(&mut self, h: &String) -> Result<sha256::Hash, miniscript::Error> {
        sha256::Hash::from_str(h).map_err(unexpected)
    }

    fn hash256(&mut self, h: &String) -> Result<hash256::Hash, miniscript::Error> {
        hash256::Hash::from_str(h).map_err(unexpected)
    }

    fn ripemd160(&mut self, h: &String) -> Result<ripemd160::Hash, miniscript::Error> {
        ripemd160::Hash::from_str(h).map_err(unexpected)
    }

    fn hash160(&mut self, h: &String) -> Result<hash160::Hash, miniscript::Error> {
        hash160::Hash::from_str(h).map_err(unexpected)
    }
}

/// A descriptor read with [`parse_descriptor_with_secrets`].
pub struct WithSecrets {
    /// The descriptor with public keys.
    pub descriptor: Descriptor<DescriptorPublicKey>,
    /// The private keys given, by their public keys.
    pub keys: KeyMap,
    /// The leaves' pads ([`crate::leaf_padding`]).
    pub pads: Vec<usize>,
}

/// [`parse_descriptor`] for text that may hold private keys: the
/// descriptor with their public keys, and the private keys by them.
pub fn parse_descriptor_with_secrets<C: Signing>(
    secp: &Secp256k1<C>,
    text: &str,
) -> Result<WithSecrets, miniscript::Error> {
    let (d, pads) = parse_descriptor::<String>(text)?;
    let mut t = SecretKeys {
        secp,
        keys: KeyMap::new(),
    };
    let descriptor = d.translate_pk(&mut t).map_err(TranslateErr::flatten)?;
    Ok(WithSecrets {
        descriptor,
        keys: t.keys,
        pads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::key::XOnlyPublicKey;
    use bitcoin::secp256k1::SecretKey;
    use miniscript::Segwitv0;

    /// `n` distinct x-only keys, as hex.
    fn xonly_keys(n: usize) -> Vec<String> {
        let secp = Secp256k1::new();
        (1..=n)
            .map(|i| {
                let mut b = [0u8; 32];
                b[24..].copy_from_slice(&(i as u64).to_be_bytes());
                let sk = SecretKey::from_slice(&b).expect("small scalar");
                XOnlyPublicKey::from(sk.public_key(&secp)).to_string()
            })
            .collect()
    }

    fn exec(ms: &str) -> Option<i64> {
        let ms = Miniscript::<String, Segwitv0>::from_str_insane(ms).expect("valid miniscript");
        exec_stack_size(&ms)
    }

    /// Core's own unit-test vectors (miniscript_tests.cpp) for the largest
    /// stack during execution.
    #[test]
    fn exec_stack_sizes_match_cores_vectors() {
        assert_eq!(exec("uuj:and_v(v:multi(2,A,B),after(1231488000))"), Some(7));
        assert_eq!(exec("or_b(un:multi(2,A,B),al:older(16))"), Some(8));
        assert_eq!(
            exec("t:andor(multi(3,A,B,C),v:older(4194305),v:sha256(H))"),
            Some(10)
        );
        assert_eq!(
            exec("or_d(multi(1,A),or_b(multi(3,B,C,D),su:after(500000)))"),
            Some(10)
        );
        assert_eq!(
            exec("and_v(or_i(v:multi(2,A,B),v:multi(2,C,D)),sha256(H))"),
            Some(8)
        );
        assert_eq!(
            exec("j:and_b(multi(2,A,B),s:or_i(older(1),older(4252898)))"),
            Some(8)
        );
        assert_eq!(
            exec("thresh(2,multi(2,A,B),a:multi(1,B),ac:pk_k(C))"),
            Some(10)
        );
        assert_eq!(
            exec("c:and_v(or_c(sha256(H),v:multi(1,A)),pk_k(B))"),
            Some(4)
        );
        assert_eq!(
            exec("c:and_v(or_c(multi(2,A,B),v:ripemd160(H)),pk_k(C))"),
            Some(9)
        );
        assert_eq!(
            exec("and_v(andor(hash256(H),v:hash256(I),v:older(50000)),after(499999999))"),
            Some(4)
        );
        assert_eq!(
            exec("thresh(1,c:pk_k(A),altv:after(1000000000),altv:after(100))"),
            Some(4)
        );
        assert_eq!(
            exec("thresh(2,c:pk_k(A),ac:pk_k(B),altv:after(1000000000),altv:after(100))"),
            Some(5)
        );
        assert_eq!(
            exec("or_d(sha256(H),and_n(un:after(499999999),older(4194305)))"),
            Some(3)
        );
        // Never satisfiable.
        assert_eq!(exec("and_b(0,a:1)"), None);
    }

    #[test]
    fn multi_a_with_999_keys_fits_the_tapscript_stack() {
        let keys = xonly_keys(999);
        let text = format!("multi_a(1,{})", keys.join(","));
        let ms = Miniscript::<String, Tap>::from_str_insane(&text).expect("valid");
        // 999 signatures or empty vectors and the first key.
        assert_eq!(exec_stack_size(&ms), Some(1000));
        assert!(within_resource_limits(&ms));
        // The crate's own count (witness plus execution) refuses it.
        assert!(!ms.within_resource_limits());

        // Core's wallet_taproot.py: one real key among 998 copies of another.
        let mut leaf = vec![keys[0].clone(); 998];
        leaf.insert(500, keys[1].clone());
        let desc = format!("tr({},multi_a(1,{}))", keys[2], leaf.join(","));
        assert!(matches!(
            parse_descriptor::<XOnlyPublicKey>(&desc),
            Ok((Descriptor::Tr(_), _))
        ));
    }

    #[test]
    fn one_more_element_exceeds_the_tapscript_stack() {
        let keys = xonly_keys(1000);
        let text = format!(
            "and_v(v:multi_a(1,{}),pk({}))",
            keys[..999].join(","),
            keys[999]
        );
        let ms = Miniscript::<String, Tap>::from_str_insane(&text).expect("valid");
        assert_eq!(exec_stack_size(&ms), Some(1001));
        assert!(!within_resource_limits(&ms));
        assert_eq!(
            sanity_check(&ms),
            Err(AnalysisError::BranchExceedResouceLimits)
        );
        let desc = format!("tr({},{text})", keys[0]);
        assert!(parse_descriptor::<XOnlyPublicKey>(&desc).is_err());
    }

    #[test]
    fn leaves_other_than_multi_a_stay_sanity_checked() {
        let keys = xonly_keys(2);
        // Repeated keys are Core's `multi_a` descriptor's business only.
        let repeated = format!("tr({},and_v(v:pk({}),pk({})))", keys[0], keys[1], keys[1]);
        assert!(parse_descriptor::<XOnlyPublicKey>(&repeated).is_err());
        // Spendable without a signature.
        let sigless = format!("tr({},older(10))", keys[0]);
        assert!(parse_descriptor::<XOnlyPublicKey>(&sigless).is_err());
        let tree = format!(
            "tr({},{{pk({}),multi_a(1,{},{})}})",
            keys[0], keys[1], keys[1], keys[1]
        );
        let (d, _) = parse_descriptor::<XOnlyPublicKey>(&tree).expect("parses");
        assert_eq!(d.to_string().split('#').next(), Some(tree.as_str()));
    }

    /// A sane tapscript leaf of exactly `size` script bytes (`size` a
    /// little under 340,000): `multi_a`s of distinct keys one after the
    /// other in `or_i`s, the last one shortened, topped with `n:` wrappers
    /// for the last bytes.
    fn leaf_of_size(keys: &[String], size: usize) -> String {
        let build = |take: usize, pad: usize| {
            let mut text = String::new();
            let chunks: Vec<&[String]> = keys[..take].chunks(990).collect();
            for c in &chunks[..chunks.len() - 1] {
                text.push_str(&format!("or_i(multi_a(1,{}),", c.join(",")));
            }
            text.push_str(&format!(
                "multi_a(1,{})",
                chunks[chunks.len() - 1].join(",")
            ));
            text.push_str(&")".repeat(chunks.len() - 1));
            if pad > 0 {
                text = format!("{}:{text}", "n".repeat(pad));
            }
            text
        };
        let size_of = |text: &str| {
            Miniscript::<String, Tap>::from_str_insane(text)
                .expect("valid")
                .script_size()
        };
        // Drop keys from the end (34 script bytes each) until it fits.
        let mut take = keys.len();
        let mut base = size_of(&build(take, 0));
        while base > size {
            take -= ((base - size) / 34).max(1);
            base = size_of(&build(take, 0));
        }
        let text = build(take, size - base);
        assert_eq!(size_of(&text), size);
        text
    }

    #[test]
    fn tapscript_leaves_are_limited_to_cores_script_size() {
        // The figure Core's wallet_miniscript.py recomputes.
        assert_eq!(MAX_TAPMINISCRIPT_SIZE, 329_482);
        let keys = xonly_keys(9_900);
        let internal = &keys[0];
        let at_max = leaf_of_size(&keys[1..], MAX_TAPMINISCRIPT_SIZE);
        let desc = format!("tr({internal},{at_max})");
        assert!(matches!(
            parse_descriptor::<XOnlyPublicKey>(&desc),
            Ok((Descriptor::Tr(_), _))
        ));
        let over = leaf_of_size(&keys[1..], MAX_TAPMINISCRIPT_SIZE + 1);
        let err = parse_descriptor::<XOnlyPublicKey>(&format!("tr({internal},{over})"))
            .expect_err("one byte too many");
        assert_eq!(
            error_text(&err),
            format!("'{over}' is not a valid descriptor function")
        );
    }

    /// Core's largest leaf in wallet_miniscript.py nests about 329,000 `n:`
    /// wrappers around `pk()`: it is read as a pad around the key check,
    /// quickly and on a small thread stack; one wrapper more is refused
    /// with Core's error.
    #[test]
    fn max_size_leaf_of_n_wrappers_is_read_as_a_pad() {
        let keys = xonly_keys(2);
        let pad = MAX_TAPMINISCRIPT_SIZE - 34;
        let leaf = format!("{}:pk({})", "n".repeat(pad), keys[1]);
        let at_max = format!("tr({},{leaf})", keys[0]);
        let over_leaf = format!("n{leaf}");
        let over = format!("tr({},{over_leaf})", keys[0]);
        let started = std::time::Instant::now();
        let (parsed, refused) = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let parsed = parse_descriptor::<XOnlyPublicKey>(&at_max)
                    .map(|(d, pads)| (d.to_string().len(), pads));
                let refused = parse_descriptor::<XOnlyPublicKey>(&over).map_err(|e| error_text(&e));
                (parsed, refused.map(|_| ()))
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        let (_, pads) = parsed.expect("the max-size leaf parses");
        assert_eq!(pads, vec![pad]);
        assert_eq!(
            refused,
            Err(format!("'{over_leaf}' is not a valid descriptor function"))
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn padded_leaves_need_a_b_expression() {
        let keys = xonly_keys(2);
        let run = "n".repeat(crate::leaf_padding::MIN_SPLIT_RUN);
        let bad = format!("tr({},{run}a:pk({}))", keys[0], keys[1]);
        assert!(parse_descriptor::<XOnlyPublicKey>(&bad).is_err());
        let ok = format!("tr({},{run}:pk({}))", keys[0], keys[1]);
        let (_, pads) = parse_descriptor::<XOnlyPublicKey>(&ok).expect("parses");
        assert_eq!(pads, vec![run.len()]);
        let short = format!("tr({},nn:pk({}))", keys[0], keys[1]);
        let (_, pads) = parse_descriptor::<XOnlyPublicKey>(&short).expect("parses");
        assert!(pads.is_empty());
    }

    #[test]
    fn private_keys_are_kept_by_their_public_keys() {
        let secp = Secp256k1::new();
        let wif = "cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy";
        let keys = xonly_keys(1);
        let parsed = parse_descriptor_with_secrets(&secp, &format!("tr({},pk({wif}))", keys[0]))
            .expect("parses");
        assert_eq!(parsed.keys.len(), 1);
        assert!(!parsed.descriptor.to_string().contains(wif));
    }
}
