//! The per-output map, with Core's checks (including taproot tree shape)
//! and Core's field order.

use crate::codec::{write_bytes, write_pair, DecodeError, MapKeys, Reader, Result};
use crate::fields::*;
use std::collections::BTreeMap;

const REDEEMSCRIPT: u64 = 0x00;
const WITNESSSCRIPT: u64 = 0x01;
const BIP32_DERIVATION: u64 = 0x02;
const AMOUNT: u64 = 0x03;
const SCRIPT: u64 = 0x04;
const TAP_INTERNAL_KEY: u64 = 0x05;
const TAP_TREE: u64 = 0x06;
const TAP_BIP32_DERIVATION: u64 = 0x07;
const MUSIG2_PARTICIPANT_PUBKEYS: u64 = crate::fields::OUT_MUSIG2_PARTICIPANT_PUBKEYS as u64;
const PROPRIETARY: u64 = 0xfc;

/// Deepest leaf a taproot control block can prove.
const TAPROOT_MAX_DEPTH: u8 = 128;
/// Leaf versions are even.
const TAPROOT_LEAF_MASK: u8 = 0xfe;

/// One PSBT output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// The amount in satoshis (may be out of range in a hostile PSBT).
    pub amount: i64,
    /// The output script.
    pub script: Vec<u8>,
    /// The P2SH redeem script (empty if unknown).
    pub redeem_script: Vec<u8>,
    /// The P2WSH witness script (empty if unknown).
    pub witness_script: Vec<u8>,
    /// BIP32 derivations.
    pub hd_keypaths: KeyPaths,
    /// The taproot internal key.
    pub tap_internal_key: Option<[u8; 32]>,
    /// The taproot tree as (depth, leaf version, script) in DFS order.
    pub tap_tree: Vec<TapLeaf>,
    /// Taproot BIP32 derivations.
    pub tap_bip32_paths: TapKeyPaths,
    /// MuSig2 participants by aggregate key.
    pub musig2_participants: Participants,
    /// Proprietary entries.
    pub proprietary: ProprietaryMap,
    /// Unknown entries.
    pub unknown: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// A taproot tree leaf: depth, leaf version, script.
pub type TapLeaf = (u8, u8, Vec<u8>);

/// Assembles leaves given in DFS order as Core's `TaprootBuilder` does and
/// returns them in the builder's own order (`GetTreeTuples`): when two
/// nodes join, the later node's leaves come first. `None` if the depths do
/// not form a complete binary tree.
pub fn rebuild_tree(leaves: &[TapLeaf]) -> Option<Vec<TapLeaf>> {
    let mut branch: Vec<Option<Vec<TapLeaf>>> = Vec::new();
    for (d, ver, script) in leaves {
        if *d > TAPROOT_MAX_DEPTH {
            return None;
        }
        let mut depth = *d as usize;
        if depth + 1 < branch.len() {
            return None;
        }
        let mut node = vec![(0u8, *ver, script.clone())];
        while branch.len() > depth {
            let Some(sibling) = branch[depth].take() else {
                break;
            };
            node.extend(sibling);
            for leaf in &mut node {
                leaf.0 += 1;
            }
            branch.pop();
            if depth == 0 {
                return None;
            }
            depth -= 1;
        }
        if branch.len() <= depth {
            branch.resize(depth + 1, None);
        }
        branch[depth] = Some(node);
    }
    match branch.as_slice() {
        [] => Some(Vec::new()),
        [Some(root)] => Some(root.clone()),
        _ => None,
    }
}

fn read_tree(r: &mut Reader) -> Result<Vec<TapLeaf>> {
    let data = r.bytes()?;
    if data.is_empty() {
        return Err(DecodeError::stream("Output Taproot tree must not be empty"));
    }
    let mut t = Reader::new(&data);
    let mut tree = Vec::new();
    while !t.is_empty() {
        let depth = t.u8()?;
        let ver = t.u8()?;
        let script = t.bytes()?;
        if depth > TAPROOT_MAX_DEPTH {
            return Err(DecodeError::stream(
                "Output Taproot tree has as leaf greater than Taproot maximum depth",
            ));
        }
        if ver & !TAPROOT_LEAF_MASK != 0 {
            return Err(DecodeError::stream(
                "Output Taproot tree has a leaf with an invalid leaf version",
            ));
        }
        tree.push((depth, ver, script));
    }
    if rebuild_tree(&tree).is_none() {
        return Err(DecodeError::stream("Output Taproot tree is malformed"));
    }
    Ok(tree)
}

impl Output {
    /// An output paying `amount` to `script`.
    pub fn new(amount: i64, script: Vec<u8>) -> Self {
        Output {
            amount,
            script,
            ..Default::default()
        }
    }

    /// Reads the map for a PSBT of `version`; for v0 amount and script are
    /// already set from the unsigned transaction.
    pub fn read(&mut self, r: &mut Reader, version: u32) -> Result<()> {
        let mut keys = MapKeys::new("output");
        let (mut found_amount, mut found_script) = (false, false);
        while let Some((key, ty)) = keys.next(r)? {
            match ty {
                REDEEMSCRIPT => {
                    expect_key_size("Output redeemScript", &key, 1)?;
                    self.redeem_script = r.bytes()?;
                }
                WITNESSSCRIPT => {
                    expect_key_size("Output witnessScript", &key, 1)?;
                    self.witness_script = r.bytes()?;
                }
                BIP32_DERIVATION => read_keypath(r, &key, &mut self.hd_keypaths)?,
                AMOUNT => {
                    expect_key_size("Output Amount", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream(
                            "Output amount is not allowed in PSBTv0",
                        ));
                    }
                    self.amount = r.sized(|r| r.i64())?;
                    found_amount = true;
                }
                SCRIPT => {
                    expect_key_size("Output Script", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream(
                            "Output script is not allowed in PSBTv0",
                        ));
                    }
                    self.script = r.bytes()?;
                    found_script = true;
                }
                TAP_INTERNAL_KEY => {
                    expect_key_size("Output Taproot Internal Key", &key, 1)?;
                    let k: [u8; 32] = r.sized(|r| r.array())?;
                    self.tap_internal_key = (k != [0u8; 32]).then_some(k);
                }
                TAP_TREE => {
                    expect_key_size("Output Taproot Tree Key", &key, 1)?;
                    self.tap_tree = read_tree(r)?;
                }
                TAP_BIP32_DERIVATION => {
                    expect_key_size("Output Taproot BIP32 Keypath", &key, 33)?;
                    let xonly = key[1..].try_into().unwrap_or([0; 32]);
                    read_tap_keypath(r, xonly, "Output", &mut self.tap_bip32_paths)?;
                }
                MUSIG2_PARTICIPANT_PUBKEYS => {
                    expect_key_size("Output MuSig2 Participants Pubkeys", &key, 34)?;
                    read_participants(r, &key, "Output", &mut self.musig2_participants)?;
                }
                PROPRIETARY => read_proprietary(r, &key, &mut self.proprietary)?,
                _ => {
                    let v = r.bytes()?;
                    self.unknown.entry(key).or_insert(v);
                }
            }
        }
        if !keys.found_separator {
            return Err(DecodeError::stream(
                "Separator is missing at the end of an output map",
            ));
        }
        if version >= 2 {
            if !found_amount {
                return Err(DecodeError::stream("Output amount is required in PSBTv2"));
            }
            if !found_script {
                return Err(DecodeError::stream("Output script is required in PSBTv2"));
            }
        }
        Ok(())
    }

    /// Appends the map (with its separator) for a PSBT of `version`.
    pub fn write(&self, out: &mut Vec<u8>, version: u32) {
        if !self.redeem_script.is_empty() {
            write_pair(out, REDEEMSCRIPT as u8, &[], &self.redeem_script);
        }
        if !self.witness_script.is_empty() {
            write_pair(out, WITNESSSCRIPT as u8, &[], &self.witness_script);
        }
        write_keypaths(out, BIP32_DERIVATION as u8, &self.hd_keypaths);
        if version >= 2 {
            write_pair(out, AMOUNT as u8, &[], &self.amount.to_le_bytes());
            write_pair(out, SCRIPT as u8, &[], &self.script);
        }
        write_raw_pairs(out, self.proprietary.iter().map(|(k, p)| (k, &p.value)));
        if let Some(k) = &self.tap_internal_key {
            write_pair(out, TAP_INTERNAL_KEY as u8, &[], k);
        }
        if !self.tap_tree.is_empty() {
            let mut v = Vec::new();
            for (depth, ver, script) in &self.tap_tree {
                v.push(*depth);
                v.push(*ver);
                write_bytes(&mut v, script);
            }
            write_pair(out, TAP_TREE as u8, &[], &v);
        }
        write_tap_keypaths(out, TAP_BIP32_DERIVATION as u8, &self.tap_bip32_paths);
        write_participants(
            out,
            MUSIG2_PARTICIPANT_PUBKEYS as u8,
            &self.musig2_participants,
        );
        write_raw_pairs(out, self.unknown.iter());
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::rebuild_tree;

    fn shape(depths: &[u8]) -> Option<Vec<super::TapLeaf>> {
        let leaves: Vec<_> = depths
            .iter()
            .enumerate()
            .map(|(i, d)| (*d, 0xc0, vec![i as u8]))
            .collect();
        rebuild_tree(&leaves)
    }

    #[test]
    fn tree_shapes() {
        assert!(shape(&[0]).is_some());
        assert!(shape(&[1, 1]).is_some());
        assert!(shape(&[1, 2, 2]).is_some());
        assert!(shape(&[1]).is_none());
        assert!(shape(&[0, 0]).is_none());
        assert!(shape(&[2, 1, 2]).is_none());
    }

    #[test]
    fn later_nodes_lead_after_joining() {
        let order: Vec<(u8, Vec<u8>)> = shape(&[1, 2, 2])
            .unwrap_or_default()
            .into_iter()
            .map(|(d, _, s)| (d, s))
            .collect();
        assert_eq!(order, vec![(2, vec![2]), (2, vec![1]), (1, vec![0])]);
    }
}
