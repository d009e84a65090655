//! Long runs of leading `n:` wrappers on `tr()` script-path leaves.
//!
//! Core accepts a tapscript leaf of up to [`MAX_TAPMINISCRIPT_SIZE`] bytes,
//! and the one way to reach that size around a small expression is to wrap
//! it in hundreds of thousands of `n:` (`X OP_0NOTEQUAL`). The `miniscript`
//! crate nests every wrapper as a tree node and refuses trees deeper than
//! 402, recursing over them everywhere; it cannot hold such a leaf.
//!
//! A run of `n:` around a B expression changes nothing about how it is
//! satisfied or dissatisfied (`OP_0NOTEQUAL` keeps the truth of the top
//! element), so a leaf is held as the crate's miniscript for what the run
//! wraps plus the number of wrappers, its *pad*. Only runs of at least
//! [`MIN_SPLIT_RUN`] are split off: shorter ones are ordinary miniscript
//! the crate handles entirely, and keep its behaviour. Everything derived
//! from a padded leaf goes through this module: its script (the inner
//! script then one `OP_0NOTEQUAL` per wrapper), the tree's spend info and
//! output key, its text, and its satisfaction. Pads are kept per leaf in
//! tree order, empty when no leaf has one (as [`crate::sorted_multi_a`]
//! keeps its flags).
//!
//! [`MAX_TAPMINISCRIPT_SIZE`]: crate::tapscript_limits::MAX_TAPMINISCRIPT_SIZE

use bitcoin::opcodes::all::OP_0NOTEQUAL;
use bitcoin::script::Instruction;
use bitcoin::secp256k1::{Secp256k1, XOnlyPublicKey};
use bitcoin::taproot::{LeafVersion, TapLeafHash, TaprootBuilder, TaprootSpendInfo};
use bitcoin::{hashes::hash160, Script, ScriptBuf};
use miniscript::descriptor::Tr;
use miniscript::miniscript::satisfy::Preimage32;
use miniscript::{Descriptor, Miniscript, MiniscriptKey, Satisfier, Tap, ToPublicKey};
use std::sync::Arc;

/// The shortest run of leading `n:` wrappers held as a pad rather than as
/// nested miniscript nodes.
pub const MIN_SPLIT_RUN: usize = 64;

/// A leaf's text split into its pad and the text of what the pad wraps:
/// `(0, text)` unless the wrapper prefix (the letters before the first
/// `:`) starts with at least [`MIN_SPLIT_RUN`] `n`s. Other wrappers after
/// the run stay on the inner text. Linear in the text, no recursion.
pub fn split_leaf(text: &str) -> (usize, &str) {
    let Some(colon) = text.find(':') else {
        return (0, text);
    };
    let prefix = &text[..colon];
    if !prefix.bytes().all(|b| b.is_ascii_lowercase()) {
        return (0, text);
    }
    let run = prefix.bytes().take_while(|&b| b == b'n').count();
    if run < MIN_SPLIT_RUN {
        return (0, text);
    }
    if run == prefix.len() {
        (run, &text[colon + 1..])
    } else {
        (run, &text[run..])
    }
}

/// The pad of leaf `index` in `pads` (0 past the end: no leaf padded).
pub fn pad_of(pads: &[usize], index: usize) -> usize {
    pads.get(index).copied().unwrap_or(0)
}

/// Whether any leaf has a pad.
pub fn any(pads: &[usize]) -> bool {
    pads.iter().any(|&p| p > 0)
}

/// The text of a leaf whose inner expression reads `inner`: the run of
/// `n`s joins the inner wrappers if it has some, else takes a `:`.
pub fn render_leaf(inner: &str, pad: usize) -> String {
    if pad == 0 {
        return inner.to_string();
    }
    let has_wrappers = inner
        .find(':')
        .is_some_and(|c| inner[..c].bytes().all(|b| b.is_ascii_lowercase()));
    let mut out = String::with_capacity(inner.len() + pad + 1);
    out.extend(std::iter::repeat_n('n', pad));
    if !has_wrappers {
        out.push(':');
    }
    out.push_str(inner);
    out
}

/// The leaf script: the inner script, then `pad` `OP_0NOTEQUAL`s.
pub fn leaf_script<Pk: ToPublicKey>(ms: &Miniscript<Pk, Tap>, pad: usize) -> ScriptBuf {
    let mut bytes = ms.encode().into_bytes();
    bytes.resize(bytes.len() + pad, OP_0NOTEQUAL.to_u8());
    ScriptBuf::from_bytes(bytes)
}

/// The leaf scripts of `tr` with their depths, in tree order.
pub fn leaf_scripts<Pk: ToPublicKey>(tr: &Tr<Pk>, pads: &[usize]) -> Vec<(u8, ScriptBuf)> {
    tr.iter_scripts()
        .enumerate()
        .map(|(i, (depth, ms))| (depth, leaf_script(ms, pad_of(pads, i))))
        .collect()
}

/// A leaf script split into what its trailing run of `OP_0NOTEQUAL`s
/// wraps and the run's length, when the run is at least
/// [`MIN_SPLIT_RUN`] long (else the whole script and 0): the inverse of
/// [`leaf_script`], for reading a padded leaf from its script. The script
/// is read forwards, as a push may end in the opcode's byte.
pub fn split_script(script: &Script) -> (&Script, usize) {
    let mut run = 0;
    let mut run_start = 0;
    for item in script.instruction_indices() {
        let Ok((pos, ins)) = item else {
            return (script, 0);
        };
        if ins == Instruction::Op(OP_0NOTEQUAL) {
            if run == 0 {
                run_start = pos;
            }
            run += 1;
        } else {
            run = 0;
        }
    }
    if run < MIN_SPLIT_RUN {
        return (script, 0);
    }
    (Script::from_bytes(&script.as_bytes()[..run_start]), run)
}

/// The spend info of `tr` with its leaves padded; the crate's own (cached)
/// when nothing is padded.
pub fn spend_info<Pk: ToPublicKey>(tr: &Tr<Pk>, pads: &[usize]) -> Arc<TaprootSpendInfo> {
    if !any(pads) || tr.tap_tree().is_none() {
        return tr.spend_info();
    }
    let secp = Secp256k1::verification_only();
    let internal = tr.internal_key().to_x_only_pubkey();
    let mut builder = TaprootBuilder::new();
    for (depth, script) in leaf_scripts(tr, pads) {
        builder = match builder.add_leaf(depth, script) {
            Ok(b) => b,
            // The depths come from a tree the crate built, so they fit;
            // should they not, the unpadded info is the closest answer.
            Err(_) => return tr.spend_info(),
        };
    }
    match builder.finalize(&secp, internal) {
        Ok(info) => Arc::new(info),
        Err(_) => tr.spend_info(),
    }
}

/// The output script of `d` with its leaves padded.
pub fn script_pubkey<Pk: ToPublicKey>(d: &Descriptor<Pk>, pads: &[usize]) -> ScriptBuf {
    match d {
        Descriptor::Tr(tr) if any(pads) => {
            ScriptBuf::new_p2tr_tweaked(spend_info(tr, pads).output_key())
        }
        _ => d.script_pubkey(),
    }
}

/// Answers a satisfier's questions about the inner expression of a padded
/// leaf: the crate asks with the inner script's leaf hash, while the
/// signatures commit to the padded leaf's.
struct PaddedLeaf<'a, S> {
    inner: &'a S,
    leaf_hash: TapLeafHash,
}

impl<Pk: MiniscriptKey + ToPublicKey, S: Satisfier<Pk>> Satisfier<Pk> for PaddedLeaf<'_, S> {
    fn lookup_tap_leaf_script_sig(
        &self,
        pk: &Pk,
        _: &TapLeafHash,
    ) -> Option<bitcoin::taproot::Signature> {
        self.inner.lookup_tap_leaf_script_sig(pk, &self.leaf_hash)
    }

    fn lookup_raw_pkh_x_only_pk(&self, h: &hash160::Hash) -> Option<XOnlyPublicKey> {
        self.inner.lookup_raw_pkh_x_only_pk(h)
    }

    fn lookup_raw_pkh_tap_leaf_script_sig(
        &self,
        key: &(hash160::Hash, TapLeafHash),
    ) -> Option<(XOnlyPublicKey, bitcoin::taproot::Signature)> {
        self.inner
            .lookup_raw_pkh_tap_leaf_script_sig(&(key.0, self.leaf_hash))
    }

    fn lookup_sha256(&self, h: &Pk::Sha256) -> Option<Preimage32> {
        self.inner.lookup_sha256(h)
    }

    fn lookup_hash256(&self, h: &Pk::Hash256) -> Option<Preimage32> {
        self.inner.lookup_hash256(h)
    }

    fn lookup_ripemd160(&self, h: &Pk::Ripemd160) -> Option<Preimage32> {
        self.inner.lookup_ripemd160(h)
    }

    fn lookup_hash160(&self, h: &Pk::Hash160) -> Option<Preimage32> {
        self.inner.lookup_hash160(h)
    }

    fn check_older(&self, t: bitcoin::relative::LockTime) -> bool {
        self.inner.check_older(t)
    }

    fn check_after(&self, t: bitcoin::absolute::LockTime) -> bool {
        self.inner.check_after(t)
    }
}

/// The witness spending `tr` (with its leaves padded) from what
/// `satisfier` knows: the key path when it has that signature, else the
/// smallest satisfiable leaf with its script and control block. `None`
/// when nothing can be satisfied. Used in place of the crate's
/// satisfaction when a leaf is padded, whose leaf hashes and control
/// blocks the crate would compute from the unpadded scripts.
pub fn satisfy_tr<Pk: ToPublicKey, S: Satisfier<Pk>>(
    tr: &Tr<Pk>,
    pads: &[usize],
    satisfier: &S,
) -> Option<Vec<Vec<u8>>> {
    if let Some(sig) = satisfier.lookup_tap_key_spend_sig() {
        return Some(vec![sig.to_vec()]);
    }
    let info = spend_info(tr, pads);
    let mut best: Option<(usize, Vec<Vec<u8>>)> = None;
    for (i, (_, ms)) in tr.iter_scripts().enumerate() {
        let script = leaf_script(ms, pad_of(pads, i));
        let leaf_hash = TapLeafHash::from_script(&script, LeafVersion::TapScript);
        let Ok(mut stack) = ms.satisfy(PaddedLeaf {
            inner: satisfier,
            leaf_hash,
        }) else {
            continue;
        };
        let leaf = (script, LeafVersion::TapScript);
        let Some(cb) = info.control_block(&leaf) else {
            continue;
        };
        stack.push(leaf.0.into_bytes());
        stack.push(cb.serialize());
        let size: usize = stack.iter().map(|e| e.len() + 1).sum();
        if best.as_ref().is_none_or(|(s, _)| size < *s) {
            best = Some((size, stack));
        }
    }
    best.map(|(_, stack)| stack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const K1: &str = "a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
    const X2: &str = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";

    #[test]
    fn only_long_leading_runs_are_split() {
        let long = "n".repeat(MIN_SPLIT_RUN);
        assert_eq!(split_leaf("nn:pk(A)"), (0, "nn:pk(A)"));
        assert_eq!(
            split_leaf(&format!("{long}:pk(A)")),
            (MIN_SPLIT_RUN, "pk(A)")
        );
        // Other wrappers after the run stay with the inner expression.
        assert_eq!(
            split_leaf(&format!("{long}ds:pk(A)")),
            (MIN_SPLIT_RUN, "ds:pk(A)")
        );
        assert_eq!(
            split_leaf(&format!("pk({long}:)")),
            (0, &*format!("pk({long}:)"))
        );
        assert_eq!(split_leaf("pk(A)"), (0, "pk(A)"));
    }

    #[test]
    fn rendering_joins_the_run_to_inner_wrappers() {
        assert_eq!(render_leaf("pk(A)", 2), "nn:pk(A)");
        assert_eq!(render_leaf("v:pk(A)", 2), "nnv:pk(A)");
        assert_eq!(render_leaf("pk(A)", 0), "pk(A)");
    }

    #[test]
    fn padded_leaf_script_and_output_key_match_a_hand_built_tree() {
        let pad = 1_000;
        let leaf_text = format!("{}:pk({X2})", "n".repeat(pad));
        let (p, inner) = split_leaf(&leaf_text);
        assert_eq!(p, pad);
        let ms = Miniscript::<XOnlyPublicKey, Tap>::from_str(inner).expect("inner parses");
        let script = leaf_script(&ms, pad);
        assert_eq!(script.len(), 34 + pad);
        assert_eq!(render_leaf(&ms.to_string(), pad), leaf_text);

        let internal = XOnlyPublicKey::from_str(K1).expect("key");
        let tr = Tr::new(
            internal,
            Some(miniscript::descriptor::TapTree::Leaf(Arc::new(ms))),
        )
        .expect("tr");
        let d = Descriptor::Tr(tr);
        // By hand: the script bytes, then the tree over them.
        let mut bytes = vec![0x20];
        bytes.extend(XOnlyPublicKey::from_str(X2).expect("key").serialize());
        bytes.push(0xac);
        bytes.extend(std::iter::repeat_n(0x92, pad));
        let by_hand = ScriptBuf::from_bytes(bytes);
        assert_eq!(script, by_hand);
        let secp = Secp256k1::verification_only();
        let info = TaprootBuilder::new()
            .add_leaf(0, by_hand.clone())
            .expect("leaf")
            .finalize(&secp, internal)
            .expect("finalized");
        assert_eq!(
            script_pubkey(&d, &[pad]),
            ScriptBuf::new_p2tr_tweaked(info.output_key())
        );
        assert_ne!(script_pubkey(&d, &[pad]), d.script_pubkey());
        assert_eq!(script_pubkey(&d, &[]), d.script_pubkey());
    }

    #[test]
    fn scripts_split_back_into_inner_script_and_pad() {
        let ms = Miniscript::<XOnlyPublicKey, Tap>::from_str(&format!("pk({X2})")).expect("ms");
        let padded = leaf_script(&ms, MIN_SPLIT_RUN + 3);
        let (inner, pad) = split_script(&padded);
        assert_eq!((inner, pad), (ms.encode().as_script(), MIN_SPLIT_RUN + 3));
        let short = leaf_script(&ms, 2);
        assert_eq!(split_script(&short), (short.as_script(), 0));
        // A push whose bytes are 0x92 is no run.
        let mut bytes = vec![0x4c, 100];
        bytes.extend([0x92; 100]);
        let push = ScriptBuf::from_bytes(bytes);
        assert_eq!(split_script(&push), (push.as_script(), 0));
    }

    /// Signs nothing, knows one signature under one leaf hash.
    struct OneSig {
        key: XOnlyPublicKey,
        leaf: TapLeafHash,
        sig: bitcoin::taproot::Signature,
    }

    impl Satisfier<XOnlyPublicKey> for OneSig {
        fn lookup_tap_leaf_script_sig(
            &self,
            pk: &XOnlyPublicKey,
            leaf: &TapLeafHash,
        ) -> Option<bitcoin::taproot::Signature> {
            (*pk == self.key && *leaf == self.leaf).then_some(self.sig)
        }
    }

    #[test]
    fn a_padded_leaf_is_satisfied_with_the_padded_leaf_hash() {
        let pad = 500;
        let key = XOnlyPublicKey::from_str(X2).expect("key");
        let ms = Miniscript::<XOnlyPublicKey, Tap>::from_str(&format!("pk({X2})")).expect("ms");
        let script = leaf_script(&ms, pad);
        let leaf = TapLeafHash::from_script(&script, LeafVersion::TapScript);
        let internal = XOnlyPublicKey::from_str(K1).expect("key");
        let tr = Tr::new(
            internal,
            Some(miniscript::descriptor::TapTree::Leaf(Arc::new(ms))),
        )
        .expect("tr");
        let sig = bitcoin::taproot::Signature::from_slice(&[1u8; 64]).expect("sig");
        let stack = satisfy_tr(&tr, &[pad], &OneSig { key, leaf, sig }).expect("satisfied");
        assert_eq!(stack.len(), 3);
        assert_eq!(stack[1], script.to_bytes());
        // Under the unpadded leaf hash there is nothing to use.
        let wrong =
            TapLeafHash::from_script(&leaf_script(&tr_leaf(&tr), 0), LeafVersion::TapScript);
        assert!(satisfy_tr(
            &tr,
            &[pad],
            &OneSig {
                key,
                leaf: wrong,
                sig
            }
        )
        .is_none());
    }

    fn tr_leaf(tr: &Tr<XOnlyPublicKey>) -> Miniscript<XOnlyPublicKey, Tap> {
        let (_, ms) = tr.iter_scripts().next().expect("one leaf");
        ms.clone()
    }
}
