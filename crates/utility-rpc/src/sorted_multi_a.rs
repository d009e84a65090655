//! `sortedmulti_a(k,…)` leaves of `tr()` trees, which the `miniscript` crate
//! cannot parse: Core allows the fragment only as a whole script-path leaf,
//! where it is `multi_a` with its keys sorted by their x-only serialization
//! once derived. Descriptors are parsed with each such leaf read as
//! `multi_a`, the leaves that were sorted remembered in tree order
//! ([`unsort`]); derived descriptors get their keys sorted
//! ([`sort_leaves`]), and texts name the leaves as written ([`render`]).

use miniscript::descriptor::{Descriptor, TapTree, Tr};
use miniscript::{Miniscript, MiniscriptKey, Tap, Terminal, ToPublicKey};
use std::sync::Arc;

use crate::descriptor::split_top;

const SORTED: &str = "sortedmulti_a(";
const PLAIN: &str = "multi_a(";

fn unsort_tree(s: &str, sorted: &mut Vec<bool>) -> String {
    if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let parts: Vec<String> = split_top(inner)
            .into_iter()
            .map(|p| unsort_tree(p, sorted))
            .collect();
        return format!("{{{}}}", parts.join(","));
    }
    match s.strip_prefix(SORTED) {
        Some(rest) => {
            sorted.push(true);
            format!("{PLAIN}{rest}")
        }
        None => {
            sorted.push(false);
            s.to_string()
        }
    }
}

/// The descriptor text (without checksum) with every `sortedmulti_a` leaf
/// of a `tr()` tree written as `multi_a`, and for each leaf in tree order
/// whether it was sorted. The flags are empty when no leaf was (other texts,
/// including a `sortedmulti_a` nested deeper, are returned unchanged, so
/// the parser rejects them as Core does).
pub fn unsort(text: &str) -> (String, Vec<bool>) {
    let unchanged = || (text.to_string(), Vec::new());
    let Some(args) = text.strip_prefix("tr(").and_then(|r| r.strip_suffix(')')) else {
        return unchanged();
    };
    if !args.contains(SORTED) {
        return unchanged();
    }
    let parts = split_top(args);
    let [internal, tree] = parts.as_slice() else {
        return unchanged();
    };
    let mut sorted = Vec::new();
    let tree = unsort_tree(tree, &mut sorted);
    if !sorted.contains(&true) {
        return unchanged();
    }
    (format!("tr({internal},{tree})"), sorted)
}

fn sort_tree<Pk: MiniscriptKey + ToPublicKey>(
    tree: &TapTree<Pk>,
    sorted: &[bool],
    leaf: &mut usize,
) -> TapTree<Pk> {
    match tree {
        TapTree::Tree { left, right, .. } => {
            let l = sort_tree(left, sorted, leaf);
            let r = sort_tree(right, sorted, leaf);
            TapTree::combine(l, r)
        }
        TapTree::Leaf(ms) => {
            let this = *leaf;
            *leaf += 1;
            if !sorted.get(this).copied().unwrap_or(false) {
                return tree.clone();
            }
            let Terminal::MultiA(thresh) = &ms.node else {
                return tree.clone();
            };
            let mut thresh = thresh.clone();
            thresh
                .data_mut()
                .sort_by_key(|k| k.to_x_only_pubkey().serialize());
            match Miniscript::<Pk, Tap>::from_ast(Terminal::MultiA(thresh)) {
                Ok(m) => TapTree::Leaf(Arc::new(m)),
                Err(_) => tree.clone(),
            }
        }
    }
}

/// `d` with the keys of the leaves flagged in `sorted` (as [`unsort`]
/// returned) sorted as Core's `sortedmulti_a` orders them. Only derived
/// descriptors (concrete keys) can be sorted.
pub fn sort_leaves<Pk: MiniscriptKey + ToPublicKey>(
    d: Descriptor<Pk>,
    sorted: &[bool],
) -> Descriptor<Pk> {
    if !sorted.contains(&true) {
        return d;
    }
    let Descriptor::Tr(tr) = &d else {
        return d;
    };
    let Some(tree) = tr.tap_tree() else {
        return d;
    };
    let tree = sort_tree(tree, sorted, &mut 0);
    match Tr::new(tr.internal_key().clone(), Some(tree)) {
        Ok(t) => Descriptor::Tr(t),
        Err(_) => d,
    }
}

fn render_tree<Pk: MiniscriptKey>(
    tree: &TapTree<Pk>,
    sorted: &[bool],
    pads: &[usize],
    leaf: &mut usize,
) -> String {
    match tree {
        TapTree::Tree { left, right, .. } => {
            let l = render_tree(left, sorted, pads, leaf);
            let r = render_tree(right, sorted, pads, leaf);
            format!("{{{l},{r}}}")
        }
        TapTree::Leaf(ms) => {
            let this = *leaf;
            *leaf += 1;
            let text = ms.to_string();
            let text = match text.strip_prefix(PLAIN) {
                Some(rest) if sorted.get(this).copied().unwrap_or(false) => {
                    format!("{SORTED}{rest}")
                }
                _ => text,
            };
            crate::leaf_padding::render_leaf(&text, crate::leaf_padding::pad_of(pads, this))
        }
    }
}

/// The text of `d` without checksum, its flagged leaves named
/// `sortedmulti_a` again and its padded leaves with their `n:` wrappers
/// ([`crate::leaf_padding`]); `None` when no leaf is flagged or padded
/// (the caller's ordinary rendering applies).
pub fn render<Pk: MiniscriptKey>(
    d: &Descriptor<Pk>,
    sorted: &[bool],
    pads: &[usize],
) -> Option<String> {
    if !sorted.contains(&true) && !crate::leaf_padding::any(pads) {
        return None;
    }
    let Descriptor::Tr(tr) = d else {
        return None;
    };
    let tree = tr.tap_tree().as_ref()?;
    Some(format!(
        "tr({},{})",
        tr.internal_key(),
        render_tree(tree, sorted, pads, &mut 0)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::secp256k1::XOnlyPublicKey;
    use std::str::FromStr;

    const K1: &str = "a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
    const X2: &str = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
    const X3: &str = "6db06226e41c692fc82b8b56ac1c540c5bd50929b74c1a04954b78b4b6035e97";

    #[test]
    fn leaves_are_flagged_in_tree_order_and_only_whole_leaves() {
        let text = format!("tr({K1},{{pk({X2}),sortedmulti_a(1,{X3},{X2})}})");
        let (plain, sorted) = unsort(&text);
        assert_eq!(plain, format!("tr({K1},{{pk({X2}),multi_a(1,{X3},{X2})}})"));
        assert_eq!(sorted, vec![false, true]);
        // Nested deeper it is left for the parser to reject.
        let nested = format!("tr({K1},and_v(v:pk({X2}),sortedmulti_a(1,{X3})))");
        assert_eq!(unsort(&nested), (nested.clone(), Vec::new()));
        assert_eq!(unsort("wpkh(x)"), ("wpkh(x)".to_string(), Vec::new()));
    }

    #[test]
    fn derived_keys_are_sorted_and_the_text_keeps_the_name() {
        let text = format!("tr({K1},sortedmulti_a(1,{X3},{X2}))");
        let (plain, sorted) = unsort(&text);
        let d = Descriptor::<XOnlyPublicKey>::from_str(&plain).expect("parses");
        let rendered = render(&d, &sorted, &[]).expect("flagged");
        assert_eq!(rendered, text);
        let s = sort_leaves(d.clone(), &sorted);
        let swapped =
            Descriptor::<XOnlyPublicKey>::from_str(&format!("tr({K1},multi_a(1,{X2},{X3}))"))
                .expect("parses");
        // 6d… sorts before f9…: the derived order is X3, X2 whatever was written.
        assert_eq!(s.script_pubkey(), d.script_pubkey());
        assert_ne!(s.script_pubkey(), swapped.script_pubkey());
        let (plain2, sorted2) = unsort(&format!("tr({K1},sortedmulti_a(1,{X2},{X3}))"));
        let d2 = Descriptor::<XOnlyPublicKey>::from_str(&plain2).expect("parses");
        assert_eq!(sort_leaves(d2, &sorted2).script_pubkey(), s.script_pubkey());
    }
}
