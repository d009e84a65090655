//! Feerate diagrams, by which Core's cluster mempool judges a replacement:
//! the clusters it touches, linearized and cut into chunks, must give a
//! diagram (cumulative fee over cumulative size) that is nowhere below the
//! old one and above it somewhere. Small clusters (the common case) are
//! linearized optimally, by taking the highest-feerate closed subset of what
//! is left each time; larger ones greedily by ancestor-set feerate, which is
//! optimal in all but contrived cases.

use std::collections::{HashMap, HashSet};

use bitcoin::Txid;

/// A fee and a size (vbytes) taken together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FeeFrac {
    pub fee: i64,
    pub size: i64,
}

impl FeeFrac {
    /// Whether `self` has a higher feerate than `other` (exact).
    pub(crate) fn higher_rate(&self, other: &FeeFrac) -> bool {
        i128::from(self.fee) * i128::from(other.size)
            > i128::from(other.fee) * i128::from(self.size)
    }
}

/// Most transactions left in a cluster for which every closed subset is
/// tried (2^n of them), giving an optimal linearization.
const EXACT_LIMIT: usize = 10;

/// Whether a cluster of `count` transactions is linearized optimally.
pub(crate) fn linearized_optimally(count: usize) -> bool {
    count <= EXACT_LIMIT
}

/// One transaction of a cluster: its fee, size and in-cluster parents.
pub(crate) struct Node {
    pub txid: Txid,
    pub fee: i64,
    pub size: i64,
    pub parents: Vec<Txid>,
}

/// The chunks (highest feerate first) of `nodes`, linearized greedily.
pub(crate) fn chunks(nodes: &[Node]) -> Vec<FeeFrac> {
    chunks_with_members(nodes)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// [`chunks`] with each chunk's transactions, in mining order.
pub(crate) fn chunks_with_members(nodes: &[Node]) -> Vec<(FeeFrac, Vec<Txid>)> {
    let by_id: HashMap<Txid, &Node> = nodes.iter().map(|n| (n.txid, n)).collect();
    let mut left: HashSet<Txid> = by_id.keys().copied().collect();
    let mut order: Vec<&Node> = Vec::with_capacity(nodes.len());
    while !left.is_empty() {
        if left.len() <= EXACT_LIMIT {
            let set = best_closed_subset(&by_id, &left);
            take_in_order(set, &by_id, &mut left, &mut order);
            continue;
        }
        // The remaining transaction whose remaining ancestors pay the most per byte.
        let mut best: Option<(FeeFrac, Vec<Txid>)> = None;
        for id in &left {
            let set = ancestors(*id, &by_id, &left);
            let total = set.iter().fold(FeeFrac::default(), |acc, t| FeeFrac {
                fee: acc.fee + by_id[t].fee,
                size: acc.size + by_id[t].size,
            });
            let better = match &best {
                None => true,
                Some((b, bset)) => {
                    total.higher_rate(b) || (!b.higher_rate(&total) && set.len() < bset.len())
                }
            };
            if better {
                best = Some((total, set));
            }
        }
        let Some((_, set)) = best else { break };
        take_in_order(set, &by_id, &mut left, &mut order);
    }
    let mut out: Vec<(FeeFrac, Vec<Txid>)> = Vec::new();
    for n in order {
        let mut chunk = FeeFrac {
            fee: n.fee,
            size: n.size,
        };
        let mut members = vec![n.txid];
        while let Some((last, _)) = out.last() {
            if !chunk.higher_rate(last) {
                break;
            }
            chunk.fee += last.fee;
            chunk.size += last.size;
            if let Some((_, mut earlier)) = out.pop() {
                earlier.append(&mut members);
                members = earlier;
            }
        }
        out.push((chunk, members));
    }
    out
}

/// Moves `set` from `left` to the end of `order`, ancestors first.
fn take_in_order<'a>(
    mut set: Vec<Txid>,
    by_id: &HashMap<Txid, &'a Node>,
    left: &mut HashSet<Txid>,
    order: &mut Vec<&'a Node>,
) {
    set.sort_by_cached_key(|t| ancestors(*t, by_id, left).len());
    for t in set {
        left.remove(&t);
        order.push(by_id[&t]);
    }
}

/// The highest-feerate subset of `left` that holds the parents (in `left`)
/// of its members, the smallest such on ties: the first chunk of an optimal
/// linearization. `left` must hold at most [`EXACT_LIMIT`] transactions.
fn best_closed_subset(by_id: &HashMap<Txid, &Node>, left: &HashSet<Txid>) -> Vec<Txid> {
    let mut ids: Vec<Txid> = left.iter().copied().collect();
    ids.sort();
    let parent_masks: Vec<u32> =
        ids.iter()
            .map(|t| {
                by_id[t].parents.iter().fold(0u32, |mask, p| {
                    match ids.iter().position(|i| i == p) {
                        Some(bit) => mask | (1 << bit),
                        None => mask,
                    }
                })
            })
            .collect();
    let mut best: Option<(FeeFrac, u32)> = None;
    for mask in 1u32..(1u32 << ids.len()) {
        let members = (0..ids.len()).filter(|b| mask & (1 << b) != 0);
        if members.clone().any(|b| parent_masks[b] & !mask != 0) {
            continue;
        }
        let total = members.fold(FeeFrac::default(), |acc, b| FeeFrac {
            fee: acc.fee + by_id[&ids[b]].fee,
            size: acc.size + by_id[&ids[b]].size,
        });
        let better = match &best {
            None => true,
            Some((b, bmask)) => {
                total.higher_rate(b)
                    || (!b.higher_rate(&total) && mask.count_ones() < bmask.count_ones())
            }
        };
        if better {
            best = Some((total, mask));
        }
    }
    let mask = best.map_or(0, |(_, m)| m);
    (0..ids.len())
        .filter(|b| mask & (1 << b) != 0)
        .map(|b| ids[b])
        .collect()
}

/// `id` and its ancestors among `left`.
fn ancestors(id: Txid, by_id: &HashMap<Txid, &Node>, left: &HashSet<Txid>) -> Vec<Txid> {
    let mut seen = vec![id];
    // A set beside the list keeps long chains linear rather than quadratic.
    let mut known: HashSet<Txid> = HashSet::from([id]);
    let mut stack = vec![id];
    while let Some(t) = stack.pop() {
        for p in by_id.get(&t).map(|n| n.parents.as_slice()).unwrap_or(&[]) {
            if left.contains(p) && known.insert(*p) {
                seen.push(*p);
                stack.push(*p);
            }
        }
    }
    seen
}

/// Whether the diagram of `new` is at least that of `old` everywhere and
/// above it somewhere (a diagram continues flat after its last chunk).
pub(crate) fn strictly_improves(new: &[FeeFrac], old: &[FeeFrac]) -> bool {
    let points = |c: &[FeeFrac]| {
        let mut acc = FeeFrac::default();
        let mut v = vec![acc];
        for f in c {
            acc.fee += f.fee;
            acc.size += f.size;
            v.push(acc);
        }
        v
    };
    let (pn, po) = (points(new), points(old));
    // The diagram's value at `x`, as a fraction (numerator, denominator).
    let value_at = |p: &[FeeFrac], x: i64| -> (i128, i128) {
        for w in p.windows(2) {
            if x <= w[1].size {
                let (dx, df) = (w[1].size - w[0].size, w[1].fee - w[0].fee);
                if dx == 0 {
                    return (i128::from(w[1].fee), 1);
                }
                let num = i128::from(w[0].fee) * i128::from(dx)
                    + i128::from(df) * i128::from(x - w[0].size);
                return (num, i128::from(dx));
            }
        }
        (i128::from(p.last().map_or(0, |l| l.fee)), 1)
    };
    let mut better = false;
    for x in pn.iter().chain(po.iter()).map(|p| p.size) {
        let (a, ad) = value_at(&pn, x);
        let (b, bd) = value_at(&po, x);
        let (l, r) = (a * bd, b * ad);
        if l < r {
            return false;
        }
        better |= l > r;
    }
    better
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    fn node(n: u8, fee: i64, size: i64, parents: &[u8]) -> Node {
        let id = |b: u8| Txid::from_byte_array([b; 32]);
        Node {
            txid: id(n),
            fee,
            size,
            parents: parents.iter().map(|p| id(*p)).collect(),
        }
    }

    #[test]
    fn a_child_paying_for_its_parent_forms_one_chunk() {
        let c = chunks(&[node(1, 100, 100, &[]), node(2, 900, 100, &[1])]);
        assert_eq!(
            c,
            vec![FeeFrac {
                fee: 1000,
                size: 200
            }]
        );
        let c = chunks(&[node(1, 900, 100, &[]), node(2, 100, 100, &[1])]);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn small_clusters_are_linearized_optimally() {
        // Two parent-child pairs joined by a cheap grandchild: each pair is a
        // chunk of rate 5.5 (equal rates: the smaller set first), then the
        // grandchild.
        let nodes = [
            node(1, 100, 100, &[]),
            node(2, 100, 100, &[]),
            node(3, 1000, 100, &[1]),
            node(4, 1000, 100, &[2]),
            node(5, 50, 100, &[3, 4]),
        ];
        let c = chunks_with_members(&nodes);
        let id = |b: u8| Txid::from_byte_array([b; 32]);
        assert_eq!(c.len(), 3);
        assert_eq!(
            c[0],
            (
                FeeFrac {
                    fee: 1100,
                    size: 200
                },
                vec![id(1), id(3)]
            )
        );
        assert_eq!(
            c[1],
            (
                FeeFrac {
                    fee: 1100,
                    size: 200
                },
                vec![id(2), id(4)]
            )
        );
        assert_eq!(c[2], (FeeFrac { fee: 50, size: 100 }, vec![id(5)]));
        // A free parent with three children: all four are one chunk, the
        // closed set of the highest rate.
        let nodes = [
            node(1, 0, 100, &[]),
            node(2, 1200, 100, &[1]),
            node(3, 1300, 100, &[1]),
            node(4, 1300, 100, &[1]),
        ];
        assert_eq!(
            chunks(&nodes),
            vec![FeeFrac {
                fee: 3800,
                size: 400
            }]
        );
        assert!(linearized_optimally(10) && !linearized_optimally(11));
    }

    #[test]
    fn diagrams_compare_as_core() {
        let old = [FeeFrac {
            fee: 1000,
            size: 100,
        }];
        // More fee for the same size: better.
        assert!(strictly_improves(
            &[FeeFrac {
                fee: 1100,
                size: 100
            }],
            &old
        ));
        // Same: not strictly better.
        assert!(!strictly_improves(&old, &old));
        // More fee but at a lower feerate over a bigger size: worse at x=100.
        assert!(!strictly_improves(
            &[FeeFrac {
                fee: 1500,
                size: 300
            }],
            &old
        ));
        // Higher feerate and more total fee.
        assert!(strictly_improves(
            &[FeeFrac {
                fee: 1200,
                size: 50
            }],
            &old
        ));
    }
}
