//! The per-input map: every BIP174/370/371/373 input field, Core's checks
//! on each, and serialization in Core's field order.

use crate::codec::{write_pair, DecodeError, MapKeys, Reader, Result};
use crate::fields::*;
use crate::tx::{read_output, read_stack, read_tx, serialize_tx, write_output, write_stack};
use bitcoin::hashes::{hash160, Hash};
use bitcoin::{Transaction, TxOut, Txid};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

const NON_WITNESS_UTXO: u64 = 0x00;
const WITNESS_UTXO: u64 = 0x01;
const PARTIAL_SIG: u64 = 0x02;
const SIGHASH: u64 = 0x03;
const REDEEMSCRIPT: u64 = 0x04;
const WITNESSSCRIPT: u64 = 0x05;
const BIP32_DERIVATION: u64 = 0x06;
const SCRIPTSIG: u64 = 0x07;
const SCRIPTWITNESS: u64 = 0x08;
const RIPEMD160: u64 = 0x0a;
const SHA256: u64 = 0x0b;
const HASH160: u64 = 0x0c;
const HASH256: u64 = 0x0d;
const PREVIOUS_TXID: u64 = 0x0e;
const OUTPUT_INDEX: u64 = 0x0f;
const SEQUENCE: u64 = 0x10;
const REQUIRED_TIME_LOCKTIME: u64 = 0x11;
const REQUIRED_HEIGHT_LOCKTIME: u64 = 0x12;
const TAP_KEY_SIG: u64 = 0x13;
const TAP_SCRIPT_SIG: u64 = 0x14;
const TAP_LEAF_SCRIPT: u64 = 0x15;
const TAP_BIP32_DERIVATION: u64 = 0x16;
const TAP_INTERNAL_KEY: u64 = 0x17;
const TAP_MERKLE_ROOT: u64 = 0x18;
const MUSIG2_PARTICIPANT_PUBKEYS: u64 = IN_MUSIG2_PARTICIPANT_PUBKEYS as u64;
const MUSIG2_PUB_NONCE: u64 = IN_MUSIG2_PUB_NONCE as u64;
const MUSIG2_PARTIAL_SIG: u64 = IN_MUSIG2_PARTIAL_SIG as u64;
const PROPRIETARY: u64 = 0xfc;

/// Locktimes at or above this are times, below are heights.
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;

/// A control block, ordered shortest first as Core keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlBlock(pub Vec<u8>);

impl Ord for ControlBlock {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for ControlBlock {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// MuSig2 per-participant data keyed by (aggregate key, leaf hash or zeros).
pub type MusigData<V> = BTreeMap<(Vec<u8>, [u8; 32]), BTreeMap<Vec<u8>, V>>;

/// One PSBT input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The spent transaction's id.
    pub prev_txid: Txid,
    /// The spent output's index.
    pub prev_out: u32,
    /// The input's sequence, if set.
    pub sequence: Option<u32>,
    /// A required time-based locktime (v2).
    pub time_locktime: Option<u32>,
    /// A required height-based locktime (v2).
    pub height_locktime: Option<u32>,
    /// The whole previous transaction.
    pub non_witness_utxo: Option<Transaction>,
    /// The spent output.
    pub witness_utxo: Option<TxOut>,
    /// ECDSA signatures by key hash160: (public key, signature).
    pub partial_sigs: BTreeMap<[u8; 20], (Vec<u8>, Vec<u8>)>,
    /// The sighash type to sign with.
    pub sighash_type: Option<i32>,
    /// The P2SH redeem script (empty if unknown).
    pub redeem_script: Vec<u8>,
    /// The P2WSH witness script (empty if unknown).
    pub witness_script: Vec<u8>,
    /// BIP32 derivations.
    pub hd_keypaths: KeyPaths,
    /// The finalized scriptSig (empty if none).
    pub final_script_sig: Vec<u8>,
    /// The finalized witness (empty if none).
    pub final_script_witness: Vec<Vec<u8>>,
    /// RIPEMD160 preimages.
    pub ripemd160_preimages: BTreeMap<[u8; 20], Vec<u8>>,
    /// SHA256 preimages.
    pub sha256_preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// HASH160 preimages.
    pub hash160_preimages: BTreeMap<[u8; 20], Vec<u8>>,
    /// HASH256 preimages.
    pub hash256_preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// The taproot key-path signature (empty if none).
    pub tap_key_sig: Vec<u8>,
    /// Taproot script-path signatures by (x-only key, leaf hash).
    pub tap_script_sigs: BTreeMap<([u8; 32], [u8; 32]), Vec<u8>>,
    /// Taproot leaf scripts by (script, leaf version) with their control blocks.
    pub tap_scripts: BTreeMap<(Vec<u8>, u8), BTreeSet<ControlBlock>>,
    /// Taproot BIP32 derivations.
    pub tap_bip32_paths: TapKeyPaths,
    /// The taproot internal key.
    pub tap_internal_key: Option<[u8; 32]>,
    /// The taproot merkle root.
    pub tap_merkle_root: Option<[u8; 32]>,
    /// MuSig2 participants by aggregate key.
    pub musig2_participants: Participants,
    /// MuSig2 public nonces.
    pub musig2_pubnonces: MusigData<Vec<u8>>,
    /// MuSig2 partial signatures.
    pub musig2_partial_sigs: MusigData<[u8; 32]>,
    /// Proprietary entries.
    pub proprietary: ProprietaryMap,
    /// Unknown entries.
    pub unknown: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            prev_txid: Txid::all_zeros(),
            prev_out: Default::default(),
            sequence: Default::default(),
            time_locktime: Default::default(),
            height_locktime: Default::default(),
            non_witness_utxo: Default::default(),
            witness_utxo: Default::default(),
            partial_sigs: Default::default(),
            sighash_type: Default::default(),
            redeem_script: Default::default(),
            witness_script: Default::default(),
            hd_keypaths: Default::default(),
            final_script_sig: Default::default(),
            final_script_witness: Default::default(),
            ripemd160_preimages: Default::default(),
            sha256_preimages: Default::default(),
            hash160_preimages: Default::default(),
            hash256_preimages: Default::default(),
            tap_key_sig: Default::default(),
            tap_script_sigs: Default::default(),
            tap_scripts: Default::default(),
            tap_bip32_paths: Default::default(),
            tap_internal_key: Default::default(),
            tap_merkle_root: Default::default(),
            musig2_participants: Default::default(),
            musig2_pubnonces: Default::default(),
            musig2_partial_sigs: Default::default(),
            proprietary: Default::default(),
            unknown: Default::default(),
        }
    }
}

fn nonzero(v: [u8; 32]) -> Option<[u8; 32]> {
    (v != [0u8; 32]).then_some(v)
}

/// Core's `CheckSignatureEncoding` with DERSIG and STRICTENC: strict DER
/// plus a defined sighash type byte.
pub fn signature_encoding_ok(sig: &[u8]) -> bool {
    if sig.is_empty() {
        return false;
    }
    if !strict_der_signature(sig) {
        return false;
    }
    let ty = sig[sig.len() - 1] & !0x80;
    (1..=3).contains(&ty)
}

/// BIP66 strict DER encoding of a signature with its trailing sighash byte.
pub fn strict_der_signature(sig: &[u8]) -> bool {
    consensus::interpreter::is_valid_signature_encoding(sig)
}

fn read_u32_value(r: &mut Reader) -> Result<u32> {
    r.sized(|r| r.u32())
}

fn musig_identifier(key: &[u8]) -> Result<(Vec<u8>, Vec<u8>, [u8; 32])> {
    let part = &key[1..34];
    let agg = &key[34..67];
    if !pubkey_valid(agg) {
        return Err(DecodeError::stream("musig2 aggregate pubkey is invalid"));
    }
    if !pubkey_valid(part) {
        return Err(DecodeError::stream("musig2 participant pubkey is invalid"));
    }
    let mut leaf = [0u8; 32];
    if key.len() == 99 {
        leaf.copy_from_slice(&key[67..]);
    }
    Ok((agg.to_vec(), part.to_vec(), leaf))
}

impl Input {
    /// A bare input spending `prev_txid:prev_out`.
    pub fn new(prev_txid: Txid, prev_out: u32, sequence: Option<u32>) -> Self {
        Input {
            prev_txid,
            prev_out,
            sequence,
            ..Default::default()
        }
    }

    /// Reads the map for a PSBT of `version`; for v0 the outpoint and
    /// sequence are already set from the unsigned transaction.
    pub fn read(&mut self, r: &mut Reader, version: u32) -> Result<()> {
        let mut keys = MapKeys::new("input");
        let (mut found_txid, mut found_out) = (false, false);
        while let Some((key, ty)) = keys.next(r)? {
            match ty {
                NON_WITNESS_UTXO => {
                    expect_key_size("Input Non-witness UTXO", &key, 1)?;
                    self.non_witness_utxo = Some(r.sized(|r| read_tx(r, true))?);
                }
                WITNESS_UTXO => {
                    expect_key_size("Input Witness UTXO", &key, 1)?;
                    let out = r.sized(read_output)?;
                    // Core treats an amount of -1 as "no output".
                    self.witness_utxo = (out.value.to_sat() as i64 != -1).then_some(out);
                }
                PARTIAL_SIG => {
                    if key.len() != 34 && key.len() != 66 {
                        return Err(DecodeError::stream(
                            "Size of key was not the expected size for the type partial signature pubkey",
                        ));
                    }
                    let pk = &key[1..];
                    if !pubkey_valid(pk) {
                        return Err(DecodeError::stream("Invalid pubkey"));
                    }
                    let sig = r.bytes()?;
                    if !signature_encoding_ok(&sig) {
                        return Err(DecodeError::stream("Signature is not a valid encoding"));
                    }
                    let id = hash160::Hash::hash(pk).to_byte_array();
                    self.partial_sigs.entry(id).or_insert((pk.to_vec(), sig));
                }
                SIGHASH => {
                    expect_key_size("Input Sighash Type", &key, 1)?;
                    self.sighash_type = Some(read_u32_value(r)? as i32);
                }
                REDEEMSCRIPT => {
                    expect_key_size("Input redeemScript", &key, 1)?;
                    self.redeem_script = r.bytes()?;
                }
                WITNESSSCRIPT => {
                    expect_key_size("Input witnessScript", &key, 1)?;
                    self.witness_script = r.bytes()?;
                }
                BIP32_DERIVATION => read_keypath(r, &key, &mut self.hd_keypaths)?,
                SCRIPTSIG => {
                    expect_key_size("Input Final scriptSig", &key, 1)?;
                    self.final_script_sig = r.bytes()?;
                }
                SCRIPTWITNESS => {
                    expect_key_size("Input Final scriptWitness", &key, 1)?;
                    self.final_script_witness = r.sized(read_stack)?;
                }
                RIPEMD160 => {
                    expect_key_size("Input RIPEMD160 Preimage", &key, 21)?;
                    let h = key[1..].try_into().unwrap_or([0; 20]);
                    let v = r.bytes()?;
                    self.ripemd160_preimages.entry(h).or_insert(v);
                }
                SHA256 => {
                    expect_key_size("Input SHA256 Preimage", &key, 33)?;
                    let h = key[1..].try_into().unwrap_or([0; 32]);
                    let v = r.bytes()?;
                    self.sha256_preimages.entry(h).or_insert(v);
                }
                HASH160 => {
                    expect_key_size("Input Hash160 Preimage", &key, 21)?;
                    let h = key[1..].try_into().unwrap_or([0; 20]);
                    let v = r.bytes()?;
                    self.hash160_preimages.entry(h).or_insert(v);
                }
                HASH256 => {
                    expect_key_size("Input Hash256 Preimage", &key, 33)?;
                    let h = key[1..].try_into().unwrap_or([0; 32]);
                    let v = r.bytes()?;
                    self.hash256_preimages.entry(h).or_insert(v);
                }
                PREVIOUS_TXID => {
                    expect_key_size("Input Previous TXID", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream(
                            "Previous txid is not allowed in PSBTv0",
                        ));
                    }
                    self.prev_txid = Txid::from_byte_array(r.sized(|r| r.array())?);
                    found_txid = true;
                }
                OUTPUT_INDEX => {
                    expect_key_size("Input Previous Output's Index", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream(
                            "Previous output's index is not allowed in PSBTv0",
                        ));
                    }
                    self.prev_out = read_u32_value(r)?;
                    found_out = true;
                }
                SEQUENCE => {
                    expect_key_size("Input Sequence", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream("Sequence is not allowed in PSBTv0"));
                    }
                    self.sequence = Some(read_u32_value(r)?);
                }
                REQUIRED_TIME_LOCKTIME => {
                    expect_key_size("Input Required Time Based Locktime", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream(
                            "Required time based locktime is not allowed in PSBTv0",
                        ));
                    }
                    let t = read_u32_value(r)?;
                    if t < LOCKTIME_THRESHOLD {
                        return Err(DecodeError::stream(
                            "Required time based locktime is invalid (less than 500000000)",
                        ));
                    }
                    self.time_locktime = Some(t);
                }
                REQUIRED_HEIGHT_LOCKTIME => {
                    expect_key_size("Input Required Height Based Locktime", &key, 1)?;
                    if version < 2 {
                        return Err(DecodeError::stream(
                            "Required height based locktime is not allowed in PSBTv0",
                        ));
                    }
                    let h = read_u32_value(r)?;
                    if h >= LOCKTIME_THRESHOLD {
                        return Err(DecodeError::stream(
                            "Required height based locktime is invalid (greater than or equal to 500000000)",
                        ));
                    }
                    if h == 0 {
                        return Err(DecodeError::stream(
                            "Required height based locktime is invalid (0)",
                        ));
                    }
                    self.height_locktime = Some(h);
                }
                TAP_KEY_SIG => {
                    expect_key_size("Input Taproot Key Path Signature", &key, 1)?;
                    let sig = r.bytes()?;
                    check_schnorr_len(&sig, "key")?;
                    self.tap_key_sig = sig;
                }
                TAP_SCRIPT_SIG => {
                    expect_key_size("Input Taproot Script Path Signature", &key, 65)?;
                    let xonly = key[1..33].try_into().unwrap_or([0; 32]);
                    let leaf = key[33..65].try_into().unwrap_or([0; 32]);
                    let sig = r.bytes()?;
                    check_schnorr_len(&sig, "script")?;
                    self.tap_script_sigs.entry((xonly, leaf)).or_insert(sig);
                }
                TAP_LEAF_SCRIPT => {
                    if key.len() < 34 {
                        return Err(DecodeError::stream(
                            "Input Taproot leaf script key is not at least 34 bytes",
                        ));
                    }
                    if (key.len() - 2) % 32 != 0 {
                        return Err(DecodeError::stream(
                            "Input Taproot leaf script key's control block size is not valid",
                        ));
                    }
                    let mut script = r.bytes()?;
                    let Some(leaf_ver) = script.pop() else {
                        return Err(DecodeError::stream(
                            "Input Taproot leaf script must be at least 1 byte",
                        ));
                    };
                    self.tap_scripts
                        .entry((script, leaf_ver))
                        .or_default()
                        .insert(ControlBlock(key[1..].to_vec()));
                }
                TAP_BIP32_DERIVATION => {
                    expect_key_size("Input Taproot BIP32 Keypath", &key, 33)?;
                    let xonly = key[1..].try_into().unwrap_or([0; 32]);
                    read_tap_keypath(r, xonly, "Input", &mut self.tap_bip32_paths)?;
                }
                TAP_INTERNAL_KEY => {
                    expect_key_size("Input Taproot Internal Key", &key, 1)?;
                    self.tap_internal_key = nonzero(r.sized(|r| r.array())?);
                }
                TAP_MERKLE_ROOT => {
                    expect_key_size("Input Taproot Merkle Root", &key, 1)?;
                    self.tap_merkle_root = nonzero(r.sized(|r| r.array())?);
                }
                MUSIG2_PARTICIPANT_PUBKEYS => {
                    expect_key_size("Input MuSig2 Participants Pubkeys", &key, 34)?;
                    read_participants(r, &key, "Input", &mut self.musig2_participants)?;
                }
                MUSIG2_PUB_NONCE => {
                    if key.len() != 67 && key.len() != 99 {
                        return Err(DecodeError::stream(
                            "Input musig2 pubnonce key is not expected size of 67 or 99 bytes",
                        ));
                    }
                    let (agg, part, leaf) = musig_identifier(&key)?;
                    let nonce = r.bytes()?;
                    if nonce.len() != 66 {
                        return Err(DecodeError::stream(
                            "Input musig2 pubnonce value is not 66 bytes",
                        ));
                    }
                    self.musig2_pubnonces
                        .entry((agg, leaf))
                        .or_default()
                        .entry(part)
                        .or_insert(nonce);
                }
                MUSIG2_PARTIAL_SIG => {
                    if key.len() != 67 && key.len() != 99 {
                        return Err(DecodeError::stream(
                            "Input musig2 partial sig key is not expected size of 67 or 99 bytes",
                        ));
                    }
                    let (agg, part, leaf) = musig_identifier(&key)?;
                    let sig = r.sized(|r| r.array())?;
                    self.musig2_partial_sigs
                        .entry((agg, leaf))
                        .or_default()
                        .entry(part)
                        .or_insert(sig);
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
                "Separator is missing at the end of an input map",
            ));
        }
        if version >= 2 {
            if !found_txid {
                return Err(DecodeError::stream("Previous TXID is required in PSBTv2"));
            }
            if !found_out {
                return Err(DecodeError::stream(
                    "Previous output's index is required in PSBTv2",
                ));
            }
        }
        Ok(())
    }

    /// Appends the map (with its separator) for a PSBT of `version`.
    pub fn write(&self, out: &mut Vec<u8>, version: u32) {
        if let Some(tx) = &self.non_witness_utxo {
            write_pair(out, NON_WITNESS_UTXO as u8, &[], &serialize_tx(tx, false));
        }
        if let Some(o) = &self.witness_utxo {
            let mut v = Vec::new();
            write_output(&mut v, o);
            write_pair(out, WITNESS_UTXO as u8, &[], &v);
        }
        if !self.is_finalized() {
            self.write_signing_data(out);
        }
        if !self.final_script_sig.is_empty() {
            write_pair(out, SCRIPTSIG as u8, &[], &self.final_script_sig);
        }
        if !self.final_script_witness.is_empty() {
            let mut v = Vec::new();
            write_stack(&mut v, &self.final_script_witness);
            write_pair(out, SCRIPTWITNESS as u8, &[], &v);
        }
        if version >= 2 {
            write_pair(
                out,
                PREVIOUS_TXID as u8,
                &[],
                self.prev_txid.as_byte_array(),
            );
            write_pair(out, OUTPUT_INDEX as u8, &[], &self.prev_out.to_le_bytes());
            for (ty, v) in [
                (SEQUENCE, self.sequence),
                (REQUIRED_TIME_LOCKTIME, self.time_locktime),
                (REQUIRED_HEIGHT_LOCKTIME, self.height_locktime),
            ] {
                if let Some(v) = v {
                    write_pair(out, ty as u8, &[], &v.to_le_bytes());
                }
            }
        }
        write_raw_pairs(out, self.proprietary.iter().map(|(k, p)| (k, &p.value)));
        write_raw_pairs(out, self.unknown.iter());
        out.push(0);
    }

    /// Everything a signer or finalizer consumes; dropped once finalized.
    fn write_signing_data(&self, out: &mut Vec<u8>) {
        for (pk, sig) in self.partial_sigs.values() {
            write_pair(out, PARTIAL_SIG as u8, pk, sig);
        }
        if let Some(t) = self.sighash_type {
            write_pair(out, SIGHASH as u8, &[], &t.to_le_bytes());
        }
        if !self.redeem_script.is_empty() {
            write_pair(out, REDEEMSCRIPT as u8, &[], &self.redeem_script);
        }
        if !self.witness_script.is_empty() {
            write_pair(out, WITNESSSCRIPT as u8, &[], &self.witness_script);
        }
        write_keypaths(out, BIP32_DERIVATION as u8, &self.hd_keypaths);
        for (h, p) in &self.ripemd160_preimages {
            write_pair(out, RIPEMD160 as u8, h, p);
        }
        for (h, p) in &self.sha256_preimages {
            write_pair(out, SHA256 as u8, h, p);
        }
        for (h, p) in &self.hash160_preimages {
            write_pair(out, HASH160 as u8, h, p);
        }
        for (h, p) in &self.hash256_preimages {
            write_pair(out, HASH256 as u8, h, p);
        }
        if !self.tap_key_sig.is_empty() {
            write_pair(out, TAP_KEY_SIG as u8, &[], &self.tap_key_sig);
        }
        for ((xonly, leaf), sig) in &self.tap_script_sigs {
            write_pair(
                out,
                TAP_SCRIPT_SIG as u8,
                &[&xonly[..], &leaf[..]].concat(),
                sig,
            );
        }
        for ((script, ver), blocks) in &self.tap_scripts {
            let mut v = script.clone();
            v.push(*ver);
            for cb in blocks {
                write_pair(out, TAP_LEAF_SCRIPT as u8, &cb.0, &v);
            }
        }
        write_tap_keypaths(out, TAP_BIP32_DERIVATION as u8, &self.tap_bip32_paths);
        if let Some(k) = &self.tap_internal_key {
            write_pair(out, TAP_INTERNAL_KEY as u8, &[], k);
        }
        if let Some(m) = &self.tap_merkle_root {
            write_pair(out, TAP_MERKLE_ROOT as u8, &[], m);
        }
        write_participants(
            out,
            MUSIG2_PARTICIPANT_PUBKEYS as u8,
            &self.musig2_participants,
        );
        for ((agg, leaf), nonces) in &self.musig2_pubnonces {
            for (part, nonce) in nonces {
                write_pair(
                    out,
                    MUSIG2_PUB_NONCE as u8,
                    &musig_entry_key(part, agg, leaf),
                    nonce,
                );
            }
        }
        for ((agg, leaf), sigs) in &self.musig2_partial_sigs {
            for (part, sig) in sigs {
                write_pair(
                    out,
                    MUSIG2_PARTIAL_SIG as u8,
                    &musig_entry_key(part, agg, leaf),
                    sig,
                );
            }
        }
    }

    /// Whether a final scriptSig or witness is present (Core's `PSBTInputSigned`).
    pub fn is_finalized(&self) -> bool {
        !self.final_script_sig.is_empty() || !self.final_script_witness.is_empty()
    }

    /// Whether any signature (partial or final) is present.
    pub fn has_signatures(&self) -> bool {
        self.is_finalized()
            || !self.partial_sigs.is_empty()
            || !self.tap_key_sig.is_empty()
            || !self.tap_script_sigs.is_empty()
            || !self.musig2_partial_sigs.is_empty()
    }

    /// The spent output, from the previous transaction (if it matches the
    /// outpoint) or the witness UTXO.
    pub fn utxo(&self) -> Option<TxOut> {
        if let Some(tx) = &self.non_witness_utxo {
            if tx.compute_txid() != self.prev_txid {
                return None;
            }
            return tx.output.get(self.prev_out as usize).cloned();
        }
        self.witness_utxo.clone()
    }
}

fn check_schnorr_len(sig: &[u8], path: &str) -> Result<()> {
    if sig.len() < 64 {
        return Err(DecodeError::stream(format!(
            "Input Taproot {path} path signature is shorter than 64 bytes"
        )));
    }
    if sig.len() > 65 {
        return Err(DecodeError::stream(format!(
            "Input Taproot {path} path signature is longer than 65 bytes"
        )));
    }
    Ok(())
}
