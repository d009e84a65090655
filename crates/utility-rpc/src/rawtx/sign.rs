//! Signing transaction inputs with a set of private keys, as Core's
//! `SignTransaction`: P2PK, P2PKH, bare/P2SH/P2WSH multisig, P2WPKH and
//! P2SH-wrapped segwit. Signatures already present in the input (or in other
//! copies of it, for `combinerawtransaction`) are reused when they verify.

use crate::script::{self, TxoutType};
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::secp256k1::{ecdsa, All, Message, PublicKey, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{Amount, Script, ScriptBuf, Transaction, TxOut, Witness};
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
    /// Adds a private key; `compressed` selects the public key encoding. A
    /// compressed key also makes its P2WPKH script known (for P2SH-P2WPKH).
    pub fn add_key(&mut self, key: SecretKey, compressed: bool) {
        let secp = Secp256k1::signing_only();
        let pk = PublicKey::from_secret_key(&secp, &key);
        let ser = if compressed {
            pk.serialize().to_vec()
        } else {
            pk.serialize_uncompressed().to_vec()
        };
        let h = hash160::Hash::hash(&ser).to_byte_array();
        if compressed {
            let mut wpkh = vec![0x00, 0x14];
            wpkh.extend_from_slice(&h);
            self.add_script(wpkh);
        }
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

/// The signed input, and the reason it is incomplete (if it is).
pub struct SignedInput {
    /// The new scriptSig.
    pub script_sig: ScriptBuf,
    /// The new witness.
    pub witness: Witness,
    /// Core's error text when the input is not fully signed.
    pub error: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum SigVersion {
    Base,
    WitnessV0,
}

/// Signs input `index` of `tx`, spending `spent`, with `sighash`. `existing`
/// lists the stack items already present in copies of the input.
pub struct InputSigner<'a> {
    /// The transaction being signed.
    pub tx: &'a Transaction,
    /// The input index.
    pub index: usize,
    /// The output it spends.
    pub spent: &'a TxOut,
    /// Keys and scripts.
    pub keystore: &'a Keystore,
    /// The sighash type byte.
    pub sighash: u32,
    /// Items from existing scriptSigs/witnesses, used as candidate signatures.
    pub existing: &'a [Vec<u8>],
}

const EMPTY_WITNESS: &str = "Witness program was passed an empty witness";
const STACK_SIZE: &str = "Unable to sign input, invalid stack size (possibly missing key)";
const NULLFAIL: &str =
    "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)";
const EVAL_FALSE: &str =
    "Script evaluated without error but finished with a false/empty top stack element";

/// Result of satisfying one script: stack items, and whether complete.
struct Step {
    stack: Vec<Vec<u8>>,
    complete: bool,
    multisig_sigs: Option<usize>,
}

impl Step {
    fn none() -> Self {
        Step {
            stack: Vec::new(),
            complete: false,
            multisig_sigs: None,
        }
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

impl InputSigner<'_> {
    /// Produces the input's scriptSig and witness.
    pub fn sign(&self) -> SignedInput {
        let spk = self.spent.script_pubkey.as_bytes();
        let (ty, sol) = script::solve(spk);
        let mut script_sig = Vec::new();
        let mut witness = Vec::new();
        let mut step = match ty {
            TxoutType::ScriptHash => match self.script_by_hash160(&sol[0]) {
                Some(redeem) => {
                    let mut st = self.sign_inner(&redeem, &mut witness);
                    st.stack.push(redeem);
                    st
                }
                None => Step::none(),
            },
            TxoutType::WitnessV0KeyHash | TxoutType::WitnessV0ScriptHash => {
                let st = self.sign_inner(spk, &mut witness);
                Step {
                    stack: Vec::new(),
                    ..st
                }
            }
            _ => self.sign_inner(spk, &mut witness),
        };
        script_sig.append(&mut step.stack);
        let error = if step.complete {
            None
        } else if script::witness_program(spk).is_some() && witness.is_empty() {
            Some(EMPTY_WITNESS.to_string())
        } else {
            Some(
                match step.multisig_sigs {
                    Some(0) => EVAL_FALSE,
                    Some(_) => NULLFAIL,
                    None => STACK_SIZE,
                }
                .to_string(),
            )
        };
        SignedInput {
            script_sig: push_script(&script_sig),
            witness: Witness::from_slice(&witness),
            error,
        }
    }

    fn script_by_hash160(&self, h: &[u8]) -> Option<Vec<u8>> {
        let h: [u8; 20] = h.try_into().ok()?;
        self.keystore.scripts.get(&h).cloned()
    }

    /// Satisfies `s` (a scriptPubKey or redeem script); witness programs fill
    /// `witness` and return an empty stack.
    fn sign_inner(&self, s: &[u8], witness: &mut Vec<Vec<u8>>) -> Step {
        let (ty, sol) = script::solve(s);
        match ty {
            TxoutType::WitnessV0KeyHash => {
                let code = p2pkh_script(&sol[0]);
                let st = self.sign_step(&code, SigVersion::WitnessV0);
                *witness = st.stack;
                Step {
                    stack: Vec::new(),
                    complete: st.complete,
                    multisig_sigs: st.multisig_sigs,
                }
            }
            TxoutType::WitnessV0ScriptHash => {
                let ws = <[u8; 32]>::try_from(sol[0].as_slice())
                    .ok()
                    .and_then(|h| self.keystore.witness_scripts.get(&h).cloned());
                let Some(ws) = ws else {
                    return Step::none();
                };
                let mut st = self.sign_step(&ws, SigVersion::WitnessV0);
                st.stack.push(ws);
                *witness = std::mem::take(&mut st.stack);
                st
            }
            _ => self.sign_step(s, SigVersion::Base),
        }
    }

    /// Signatures for a single script under `version` (Core's `SignStep`).
    fn sign_step(&self, code: &[u8], version: SigVersion) -> Step {
        let (ty, sol) = script::solve(code);
        match ty {
            TxoutType::PubKey => match self.signature(&sol[0], code, version) {
                Some(sig) => Step {
                    stack: vec![sig],
                    complete: true,
                    multisig_sigs: None,
                },
                None => Step::none(),
            },
            TxoutType::PubKeyHash => {
                let Some(pk) = self.pubkey_for_hash(&sol[0]) else {
                    return Step::none();
                };
                match self.signature(&pk, code, version) {
                    Some(sig) => Step {
                        stack: vec![sig, pk],
                        complete: true,
                        multisig_sigs: None,
                    },
                    None => Step::none(),
                }
            }
            TxoutType::Multisig => {
                let required = sol[0].first().copied().unwrap_or(0) as usize;
                let keys = &sol[1..sol.len() - 1];
                let mut stack = vec![Vec::new()];
                for pk in keys {
                    if stack.len() > required {
                        break;
                    }
                    if let Some(sig) = self.signature(pk, code, version) {
                        stack.push(sig);
                    }
                }
                let found = stack.len() - 1;
                while stack.len() < required + 1 {
                    stack.push(Vec::new());
                }
                Step {
                    stack,
                    complete: found >= required,
                    multisig_sigs: Some(found),
                }
            }
            TxoutType::Anchor => Step {
                stack: Vec::new(),
                complete: true,
                multisig_sigs: None,
            },
            _ => Step::none(),
        }
    }

    fn pubkey_for_hash(&self, h: &[u8]) -> Option<Vec<u8>> {
        let h: [u8; 20] = h.try_into().ok()?;
        if let Some(pk) = self.keystore.pubkeys.get(&h) {
            return Some(pk.clone());
        }
        self.existing
            .iter()
            .find(|c| script::pubkey_valid_size(c) && hash160::Hash::hash(c).to_byte_array() == h)
            .cloned()
    }

    fn sighash_msg(&self, code: &[u8], version: SigVersion, ty: u32) -> Option<Message> {
        let mut cache = SighashCache::new(self.tx);
        let code = Script::from_bytes(code);
        let digest = match version {
            SigVersion::Base => cache
                .legacy_signature_hash(self.index, code, ty)
                .ok()?
                .to_byte_array(),
            SigVersion::WitnessV0 => cache
                .p2wsh_signature_hash(
                    self.index,
                    code,
                    self.spent.value,
                    EcdsaSighashType::from_consensus(ty),
                )
                .ok()?
                .to_byte_array(),
        };
        Some(Message::from_digest(digest))
    }

    /// A signature by `pk`: made with our key, or an existing one that verifies.
    fn signature(&self, pk: &[u8], code: &[u8], version: SigVersion) -> Option<Vec<u8>> {
        let secp: Secp256k1<All> = Secp256k1::new();
        if let Some(key) = self.keystore.keys.get(pk) {
            let msg = self.sighash_msg(code, version, self.sighash)?;
            let sig = secp.sign_ecdsa_low_r(&msg, key);
            let mut out = sig.serialize_der().to_vec();
            out.push(self.sighash as u8);
            return Some(out);
        }
        let pubkey = PublicKey::from_slice(pk).ok()?;
        self.existing.iter().find_map(|cand| {
            let (&ty, der) = cand.split_last()?;
            let mut sig = ecdsa::Signature::from_der_lax(der).ok()?;
            sig.normalize_s();
            let msg = self.sighash_msg(code, version, ty as u32)?;
            secp.verify_ecdsa(&msg, &sig, &pubkey).ok()?;
            Some(cand.clone())
        })
    }
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
