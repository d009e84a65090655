//! The signing provider (Core's `FlatSigningProvider`): keys, scripts, key
//! origins and taproot spend data, plus small script helpers shared by the
//! signers (`signrawtransactionwithkey` and the PSBT roles, which both sign
//! through `psbtrpc::signer`).

use crate::script;
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Amount, Script, ScriptBuf, Witness};
use std::collections::HashMap;

/// Keys and scripts available for signing (Core's `FlatSigningProvider`).
#[derive(Default, Clone)]
pub struct Keystore {
    keys: HashMap<Vec<u8>, SecretKey>,
    pubkeys: HashMap<[u8; 20], Vec<u8>>,
    scripts: HashMap<[u8; 20], Vec<u8>>,
    witness_scripts: HashMap<[u8; 32], Vec<u8>>,
    origins: HashMap<[u8; 20], psbt::KeyOrigin>,
    xonly_keys: HashMap<[u8; 32], SecretKey>,
    tap_origins: HashMap<[u8; 32], psbt::KeyOrigin>,
    tap_spend: HashMap<[u8; 32], TapSpendData>,
    tap_trees: HashMap<[u8; 32], Vec<psbt::output::TapLeaf>>,
}

/// What spending a taproot output by script needs (Core's `TaprootSpendData`).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct TapSpendData {
    /// The internal key.
    pub internal_key: Option<[u8; 32]>,
    /// The script tree's merkle root (`None` for key-path-only outputs).
    pub merkle_root: Option<[u8; 32]>,
    /// Leaf scripts with their control blocks.
    pub scripts: std::collections::BTreeMap<
        (Vec<u8>, u8),
        std::collections::BTreeSet<psbt::input::ControlBlock>,
    >,
}

impl TapSpendData {
    /// Adds what `other` knows (Core's `TaprootSpendData::Merge`).
    pub fn merge(&mut self, other: &TapSpendData) {
        if self.internal_key.is_none() {
            self.internal_key = other.internal_key;
        }
        if self.merkle_root.is_none() {
            self.merkle_root = other.merkle_root;
        }
        for (leaf, blocks) in &other.scripts {
            self.scripts
                .entry(leaf.clone())
                .or_default()
                .extend(blocks.iter().cloned());
        }
    }
}

impl Keystore {
    /// Adds a private key; `compressed` selects the public key encoding.
    /// As Core's flat provider, no scripts are implied: P2SH-P2WPKH needs
    /// its redeem script given.
    pub fn add_key(&mut self, key: SecretKey, compressed: bool) {
        let secp = Secp256k1::signing_only();
        let pk = PublicKey::from_secret_key(&secp, &key);
        let ser = if compressed {
            pk.serialize().to_vec()
        } else {
            pk.serialize_uncompressed().to_vec()
        };
        let h = hash160::Hash::hash(&ser).to_byte_array();
        self.pubkeys.insert(h, ser.clone());
        self.keys.insert(ser, key);
    }

    /// Adds a public key (without its private key), optionally with origin.
    pub fn add_pubkey(&mut self, pk: Vec<u8>, origin: Option<psbt::KeyOrigin>) {
        let h = hash160::Hash::hash(&pk).to_byte_array();
        if let Some(o) = origin {
            self.origins.insert(h, o);
        }
        self.pubkeys.insert(h, pk);
    }

    /// Adds a taproot key: its private key if known, its origin if known.
    pub fn add_xonly(
        &mut self,
        xonly: [u8; 32],
        key: Option<SecretKey>,
        origin: Option<psbt::KeyOrigin>,
    ) {
        if let Some(k) = key {
            self.xonly_keys.insert(xonly, k);
        }
        if let Some(o) = origin {
            self.tap_origins.insert(xonly, o);
        }
    }

    /// Records how the taproot output with key `output_key` can be spent.
    pub fn add_tap_spend(&mut self, output_key: [u8; 32], data: TapSpendData) {
        self.tap_spend.entry(output_key).or_default().merge(&data);
    }

    /// Records the script tree of the taproot output with key `output_key`
    /// as (depth, leaf version, script) in Core's builder order.
    pub fn add_tap_tree(&mut self, output_key: [u8; 32], tree: Vec<psbt::output::TapLeaf>) {
        self.tap_trees.insert(output_key, tree);
    }

    /// The script tree of the taproot output with key `output_key`.
    pub fn tap_tree(&self, output_key: &[u8; 32]) -> Option<&Vec<psbt::output::TapLeaf>> {
        self.tap_trees.get(output_key)
    }

    /// The private key for a serialized public key.
    pub fn key(&self, pk: &[u8]) -> Option<&SecretKey> {
        self.keys.get(pk)
    }

    /// The private key for a taproot x-only key.
    pub fn xonly_key(&self, xonly: &[u8; 32]) -> Option<&SecretKey> {
        self.xonly_keys.get(xonly)
    }

    /// The public key with this hash160.
    pub fn pubkey(&self, id: &[u8; 20]) -> Option<&Vec<u8>> {
        self.pubkeys.get(id)
    }

    /// The origin of the key with this hash160.
    pub fn origin(&self, id: &[u8; 20]) -> Option<&psbt::KeyOrigin> {
        self.origins.get(id)
    }

    /// The origin of a taproot x-only key.
    pub fn tap_origin(&self, xonly: &[u8; 32]) -> Option<&psbt::KeyOrigin> {
        self.tap_origins.get(xonly)
    }

    /// The script with this hash160.
    pub fn script(&self, id: &[u8; 20]) -> Option<&Vec<u8>> {
        self.scripts.get(id)
    }

    /// Spending data for the taproot output key.
    pub fn tap_spend(&self, output_key: &[u8; 32]) -> Option<&TapSpendData> {
        self.tap_spend.get(output_key)
    }

    /// A copy without private keys and/or key origins (Core's
    /// `HidingSigningProvider`).
    pub fn hiding(&self, hide_secret: bool, hide_origin: bool) -> Keystore {
        let mut k = self.clone();
        if hide_secret {
            k.keys.clear();
            k.xonly_keys.clear();
        }
        if hide_origin {
            k.origins.clear();
            k.tap_origins.clear();
        }
        k
    }

    /// Makes a redeem or witness script known.
    pub fn add_script(&mut self, s: Vec<u8>) {
        self.witness_scripts
            .insert(sha256::Hash::hash(&s).to_byte_array(), s.clone());
        self.scripts
            .insert(hash160::Hash::hash(&s).to_byte_array(), s);
    }
}

/// A scriptSig pushing `stack` (Core's `PushAll`: small numbers as opcodes).
pub fn push_script(stack: &[Vec<u8>]) -> ScriptBuf {
    let mut s = Vec::new();
    for item in stack {
        match item.as_slice() {
            [] => s.push(0x00),
            [n @ 1..=16] => s.push(0x50 + n),
            [0x81] => s.push(0x4f),
            _ => script::push_data(&mut s, item),
        }
    }
    ScriptBuf::from_bytes(s)
}

/// The P2PKH script for a key hash (also P2WPKH's script code).
pub fn p2pkh_script(h: &[u8]) -> Vec<u8> {
    let mut s = vec![0x76, 0xa9, 0x14];
    s.extend_from_slice(h);
    s.extend_from_slice(&[0x88, 0xac]);
    s
}

/// The stack items of an existing scriptSig and witness (candidate signatures
/// and public keys).
pub fn existing_items(script_sig: &Script, witness: &Witness) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = script::instructions(script_sig.as_bytes())
        .filter_map(|i| i.ok())
        .filter(|i| !i.data.is_empty())
        .map(|i| i.data.to_vec())
        .collect();
    out.extend(witness.iter().filter(|w| !w.is_empty()).map(<[u8]>::to_vec));
    out
}

/// Whether `amount` stands for "unknown" (Core uses `MAX_MONEY`).
pub fn is_missing_amount(amount: Amount) -> bool {
    amount.to_sat() == 21_000_000 * 100_000_000
}
