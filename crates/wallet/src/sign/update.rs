//! What a descriptor tells a PSBT input or output about its script: redeem
//! and witness scripts, key origins and taproot spend data (Core fills these
//! as a side effect of `ProduceSignature` and copies them over with
//! `FromSignatureData`). Fields already present are kept, as Core's
//! `emplace` keeps them.

use std::collections::BTreeMap;

use bitcoin::bip32::KeySource;
use bitcoin::psbt::{Input, Output};
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::taproot::{
    ControlBlock, LeafVersion, TapLeafHash, TapNodeHash, TapTree, TaprootBuilder,
};
use bitcoin::{PublicKey, Script, ScriptBuf};
use miniscript::descriptor::{DescriptorPublicKey, ShInner, SinglePub, SinglePubKey};
use miniscript::{DefiniteDescriptorKey, Descriptor, ForEachKey};

use super::musig::fields::{set_output_participants, InputMuSig};
use crate::keys::{MuSigKey, SigningProvider};

/// The miniscript descriptor behind `spk` in `provider`: the provider's own
/// for miniscript kinds, or for `combo()` the one of its four scripts that
/// `spk` is. `None` for `rawtr()`, `addr()` and `raw()`, which say nothing
/// more than the script itself.
pub(super) fn descriptor_for_script(
    provider: &SigningProvider,
    spk: &Script,
) -> Option<Descriptor<DefiniteDescriptorKey>> {
    if let Some(d) = &provider.descriptor {
        // The provider's script is this descriptor's, computed once when
        // the index was expanded: recomputing it costs a key conversion
        // per key, which for a 999-key `multi_a` leaf is most of a spend.
        return provider
            .scripts
            .iter()
            .any(|s| s.as_script() == spk)
            .then(|| d.clone());
    }
    let [key] = provider.pubkeys.as_slice() else {
        return None;
    };
    if key.xonly {
        return None;
    }
    let definite = DefiniteDescriptorKey::new(DescriptorPublicKey::Single(SinglePub {
        origin: Some(key.origin.clone()),
        key: SinglePubKey::FullKey(key.pubkey),
    }))?;
    let candidates = [
        Some(Descriptor::new_pk(definite.clone())),
        Descriptor::new_pkh(definite.clone()).ok(),
        Descriptor::new_wpkh(definite.clone()).ok(),
        Descriptor::new_sh_wpkh(definite).ok(),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.script_pubkey().as_script() == spk)
}

/// Everything a descriptor contributes to a PSBT input or output.
#[derive(Debug, Default)]
pub(super) struct ScriptData {
    /// P2SH redeem script.
    pub redeem_script: Option<ScriptBuf>,
    /// P2WSH witness script.
    pub witness_script: Option<ScriptBuf>,
    /// ECDSA key origins.
    pub bip32: Vec<(bitcoin::secp256k1::PublicKey, KeySource)>,
    /// Taproot internal key.
    pub tap_internal_key: Option<XOnlyPublicKey>,
    /// Taproot merkle root (none for a key-only output).
    pub tap_merkle_root: Option<TapNodeHash>,
    /// Taproot leaves with their control blocks.
    pub tap_scripts: Vec<(ControlBlock, (ScriptBuf, LeafVersion))>,
    /// Taproot key origins with the leaves each key appears in.
    pub tap_origins: BTreeMap<XOnlyPublicKey, (Vec<TapLeafHash>, KeySource)>,
    /// The script tree, for outputs.
    pub tap_tree: Option<TapTree>,
    /// MuSig2 participants by aggregate key (BIP373), of every `musig()`
    /// of the descriptor, as Core lists them.
    pub musig2_participants: psbt::fields::Participants,
}

/// What `provider` tells about `spk`: its descriptor's data, or for a
/// `rawtr()` the output key's origin (and its `musig()` participants).
pub(super) fn provider_script_data(provider: &SigningProvider, spk: &Script) -> Option<ScriptData> {
    match descriptor_for_script(provider, spk) {
        Some(d) => script_data(&d, &provider.leaf_pads, &provider.musig),
        None => rawtr_data(provider, spk),
    }
}

/// A `rawtr()` output's data: the output key is the descriptor's last key
/// (after any `musig()` participants).
fn rawtr_data(provider: &SigningProvider, spk: &Script) -> Option<ScriptData> {
    if provider.descriptor.is_some() || !spk.is_p2tr() {
        return None;
    }
    let key = provider.pubkeys.last()?;
    let xonly = XOnlyPublicKey::from(key.pubkey.inner);
    if spk.as_bytes().get(2..34) != Some(&xonly.serialize()[..]) {
        return None;
    }
    let mut data = ScriptData::default();
    data.tap_origins
        .insert(xonly, (Vec::new(), key.origin.clone()));
    data.add_musig(&provider.musig, &key.pubkey, None);
    data.list_participants(&provider.musig);
    Some(data)
}

fn origin_of(k: &DefiniteDescriptorKey) -> Option<KeySource> {
    Some((k.master_fingerprint(), k.full_derivation_path()?))
}

fn derive(k: &DefiniteDescriptorKey) -> Option<PublicKey> {
    k.derive_public_key(crate::keys::secp()).ok()
}

/// Collects what `desc` knows, with its leaves' pads `pads` and its
/// `musig()` keys `musig`; `None` if its keys do not derive (they are
/// definite, so only a malformed descriptor fails).
pub(super) fn script_data(
    desc: &Descriptor<DefiniteDescriptorKey>,
    pads: &[usize],
    musig: &[MuSigKey],
) -> Option<ScriptData> {
    let secp = crate::keys::secp();
    let derived = desc.derived_descriptor(secp).ok()?;
    let mut data = ScriptData::default();
    data.list_participants(musig);
    if let (Descriptor::Tr(tr), Descriptor::Tr(tr_derived)) = (desc, &derived) {
        let info = utility_rpc::leaf_padding::spend_info(tr_derived, pads);
        data.tap_internal_key = Some(info.internal_key());
        data.tap_merkle_root = info.merkle_root();
        let ik = tr.internal_key();
        data.tap_origins
            .insert(info.internal_key(), (Vec::new(), origin_of(ik)?));
        data.add_musig(musig, &derive(ik)?, None);
        let mut builder = TaprootBuilder::new();
        let mut has_leaves = false;
        let scripts = utility_rpc::leaf_padding::leaf_scripts(tr_derived, pads);
        for ((_, ms), (depth, script)) in tr.iter_scripts().zip(scripts) {
            let leaf = (script.clone(), LeafVersion::TapScript);
            let leaf_hash = TapLeafHash::from_script(&script, LeafVersion::TapScript);
            if let Some(cb) = info.control_block(&leaf) {
                data.tap_scripts.push((cb, leaf));
            }
            builder = builder.add_leaf(depth, script).ok()?;
            has_leaves = true;
            for k in ms.iter_pk() {
                let pk = derive(&k)?;
                let xonly = XOnlyPublicKey::from(pk.inner);
                let origin = origin_of(&k)?;
                data.tap_origins
                    .entry(xonly)
                    .or_insert_with(|| (Vec::new(), origin))
                    .0
                    .push(leaf_hash);
                data.add_musig(musig, &pk, Some(leaf_hash));
            }
        }
        // Core keeps leaf hashes in a sorted set.
        for (hashes, _) in data.tap_origins.values_mut() {
            hashes.sort();
            hashes.dedup();
        }
        if has_leaves {
            data.tap_tree = TapTree::try_from(builder).ok();
        }
        return Some(data);
    }
    let mut keys = Vec::new();
    desc.for_each_key(|k| {
        keys.push(k.clone());
        true
    });
    for k in &keys {
        data.bip32.push((derive(k)?.inner, origin_of(k)?));
    }
    match &derived {
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Wsh(wsh) => {
                let ws = wsh.inner_script();
                data.redeem_script = Some(ws.to_p2wsh());
                data.witness_script = Some(ws);
            }
            _ => data.redeem_script = Some(sh.inner_script()),
        },
        Descriptor::Wsh(wsh) => data.witness_script = Some(wsh.inner_script()),
        _ => {}
    }
    Some(data)
}

impl ScriptData {
    /// Lists the participants of every `musig()` key.
    fn list_participants(&mut self, musig: &[MuSigKey]) {
        for m in musig {
            let parts = m.participants.iter().map(|p| p.pubkey.to_bytes()).collect();
            self.musig2_participants
                .entry(m.aggregate.to_bytes())
                .or_insert(parts);
        }
    }

    /// Adds the origins of the participants of the `musig()` key `key`
    /// is, if it is one, used in `leaf` (or the key path): signers find
    /// their keys by them (BIP373).
    fn add_musig(&mut self, musig: &[MuSigKey], key: &PublicKey, leaf: Option<TapLeafHash>) {
        let xonly = XOnlyPublicKey::from(key.inner);
        for m in musig
            .iter()
            .filter(|m| XOnlyPublicKey::from(m.key.pubkey.inner) == xonly)
        {
            for p in &m.participants {
                let entry = self
                    .tap_origins
                    .entry(XOnlyPublicKey::from(p.pubkey.inner))
                    .or_insert_with(|| (Vec::new(), p.origin.clone()));
                entry.0.extend(leaf);
            }
        }
    }

    /// Adds this data to a PSBT input; key origins only with `bip32derivs`
    /// (Core hides origins from the signer otherwise).
    pub(super) fn apply_to_input(&self, input: &mut Input, bip32derivs: bool) {
        if input.redeem_script.is_none() {
            input.redeem_script.clone_from(&self.redeem_script);
        }
        if input.witness_script.is_none() {
            input.witness_script.clone_from(&self.witness_script);
        }
        if let Some(k) = self.tap_internal_key {
            input.tap_internal_key = Some(k);
        }
        if let Some(r) = self.tap_merkle_root {
            input.tap_merkle_root = Some(r);
        }
        for (cb, leaf) in &self.tap_scripts {
            input
                .tap_scripts
                .entry(cb.clone())
                .or_insert_with(|| leaf.clone());
        }
        // Participants are listed with or without origins, as Core's
        // signing provider does not hide them.
        if !self.musig2_participants.is_empty() {
            let mut musig = InputMuSig::read(input);
            psbt::fields::merge_map(&mut musig.participants, &self.musig2_participants);
            musig.write(input);
        }
        if bip32derivs {
            for (pk, origin) in &self.bip32 {
                input
                    .bip32_derivation
                    .entry(*pk)
                    .or_insert_with(|| origin.clone());
            }
            for (k, v) in &self.tap_origins {
                input.tap_key_origins.entry(*k).or_insert_with(|| v.clone());
            }
        }
    }

    /// Adds this data to a PSBT output (Core's `UpdatePSBTOutput`), so
    /// signers can recognise change.
    pub(super) fn apply_to_output(&self, output: &mut Output, bip32derivs: bool) {
        if output.redeem_script.is_none() {
            output.redeem_script.clone_from(&self.redeem_script);
        }
        if output.witness_script.is_none() {
            output.witness_script.clone_from(&self.witness_script);
        }
        if let Some(k) = self.tap_internal_key {
            output.tap_internal_key = Some(k);
        }
        if self.tap_tree.is_some() {
            output.tap_tree.clone_from(&self.tap_tree);
        }
        if !self.musig2_participants.is_empty() {
            set_output_participants(output, &self.musig2_participants);
        }
        if bip32derivs {
            for (pk, origin) in &self.bip32 {
                output
                    .bip32_derivation
                    .entry(*pk)
                    .or_insert_with(|| origin.clone());
            }
            for (k, v) in &self.tap_origins {
                output
                    .tap_key_origins
                    .entry(*k)
                    .or_insert_with(|| v.clone());
            }
        }
    }
}
