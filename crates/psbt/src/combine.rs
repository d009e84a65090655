//! The Combiner role: merging PSBTs of the same transaction. Where both
//! sides hold a field, the first PSBT's value wins, as in Core.

use crate::fields::merge_map;
use crate::{Input, Output, Psbt};

fn fill<T: Clone>(into: &mut Option<T>, from: &Option<T>) {
    if into.is_none() {
        into.clone_from(from);
    }
}

fn fill_vec<T: Clone>(into: &mut Vec<T>, from: &[T]) {
    if into.is_empty() && !from.is_empty() {
        *into = from.to_vec();
    }
}

impl Input {
    /// Adds what `other` knows and this input lacks.
    pub fn merge(&mut self, other: &Input) {
        fill(&mut self.non_witness_utxo, &other.non_witness_utxo);
        fill(&mut self.witness_utxo, &other.witness_utxo);
        merge_map(&mut self.partial_sigs, &other.partial_sigs);
        merge_map(&mut self.ripemd160_preimages, &other.ripemd160_preimages);
        merge_map(&mut self.sha256_preimages, &other.sha256_preimages);
        merge_map(&mut self.hash160_preimages, &other.hash160_preimages);
        merge_map(&mut self.hash256_preimages, &other.hash256_preimages);
        merge_map(&mut self.hd_keypaths, &other.hd_keypaths);
        merge_map(&mut self.proprietary, &other.proprietary);
        merge_map(&mut self.unknown, &other.unknown);
        merge_map(&mut self.tap_script_sigs, &other.tap_script_sigs);
        merge_map(&mut self.tap_scripts, &other.tap_scripts);
        merge_map(&mut self.tap_bip32_paths, &other.tap_bip32_paths);
        fill_vec(&mut self.redeem_script, &other.redeem_script);
        fill_vec(&mut self.witness_script, &other.witness_script);
        fill_vec(&mut self.final_script_sig, &other.final_script_sig);
        fill_vec(&mut self.final_script_witness, &other.final_script_witness);
        fill_vec(&mut self.tap_key_sig, &other.tap_key_sig);
        fill(&mut self.tap_internal_key, &other.tap_internal_key);
        fill(&mut self.tap_merkle_root, &other.tap_merkle_root);
        merge_map(&mut self.musig2_participants, &other.musig2_participants);
        for (k, v) in &other.musig2_pubnonces {
            merge_map(self.musig2_pubnonces.entry(k.clone()).or_default(), v);
        }
        for (k, v) in &other.musig2_partial_sigs {
            merge_map(self.musig2_partial_sigs.entry(k.clone()).or_default(), v);
        }
        fill(&mut self.sequence, &other.sequence);
        fill(&mut self.time_locktime, &other.time_locktime);
        fill(&mut self.height_locktime, &other.height_locktime);
    }
}

impl Output {
    /// Adds what `other` knows and this output lacks.
    pub fn merge(&mut self, other: &Output) {
        merge_map(&mut self.hd_keypaths, &other.hd_keypaths);
        merge_map(&mut self.proprietary, &other.proprietary);
        merge_map(&mut self.unknown, &other.unknown);
        merge_map(&mut self.tap_bip32_paths, &other.tap_bip32_paths);
        fill_vec(&mut self.redeem_script, &other.redeem_script);
        fill_vec(&mut self.witness_script, &other.witness_script);
        fill(&mut self.tap_internal_key, &other.tap_internal_key);
        fill_vec(&mut self.tap_tree, &other.tap_tree);
        merge_map(&mut self.musig2_participants, &other.musig2_participants);
    }
}

impl Psbt {
    /// Merges `other` into this PSBT; `false` if they are for different
    /// transactions or versions.
    pub fn merge(&mut self, other: &Psbt) -> bool {
        match (self.unique_id(), other.unique_id()) {
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
        if self.psbt_version() != other.psbt_version() {
            return false;
        }
        for (a, b) in self.inputs.iter_mut().zip(&other.inputs) {
            a.merge(b);
        }
        for (a, b) in self.outputs.iter_mut().zip(&other.outputs) {
            a.merge(b);
        }
        for (origin, xpubs) in &other.xpubs {
            merge_map(self.xpubs.entry(origin.clone()).or_default(), xpubs);
        }
        fill(&mut self.fallback_locktime, &other.fallback_locktime);
        if self.tx_modifiable.is_some() || other.tx_modifiable.is_some() {
            let a = self.tx_modifiable.unwrap_or(0);
            let b = other.tx_modifiable.unwrap_or(0);
            // Inputs/outputs stay modifiable only if both allow it; the
            // SIGHASH_SINGLE bit is kept if either has it.
            self.tx_modifiable = Some((a & b & !0x04) | ((a | b) & 0x04));
        }
        merge_map(&mut self.proprietary, &other.proprietary);
        merge_map(&mut self.unknown, &other.unknown);
        true
    }
}

/// Combines PSBTs of one transaction into one (Core's `CombinePSBTs`);
/// `None` if they are incompatible or the list is empty.
pub fn combine(psbts: &[Psbt]) -> Option<Psbt> {
    let (first, rest) = psbts.split_first()?;
    let mut out = first.clone();
    for p in rest {
        if !out.merge(p) {
            return None;
        }
    }
    Some(out)
}
