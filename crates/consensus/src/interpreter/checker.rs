//! What a script may ask of the transaction spending it (Core's
//! `TransactionSignatureChecker`): signature checks under each signature
//! version, and the lock-time and sequence checks of CLTV/CSV.

use std::sync::OnceLock;

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::secp256k1::{
    ecdsa, schnorr, Message, PublicKey, Secp256k1, VerifyOnly, XOnlyPublicKey,
};
use bitcoin::sighash::{Annex, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Script, Transaction, TxOut};

use super::error::ScriptError;
use super::script::strip_codeseparators;

/// Which rules a script runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigVersion {
    /// Bare and P2SH scripts.
    Base,
    /// BIP141 witness version 0 scripts.
    WitnessV0,
    /// BIP341 key path spends.
    Taproot,
    /// BIP342 script path spends.
    Tapscript,
}

/// State of a taproot spend the signature hash commits to.
#[derive(Debug, Clone, Default)]
pub struct ExecData {
    /// The annex, if the witness carried one.
    pub annex: Option<Vec<u8>>,
    /// The executed leaf's hash (script path only).
    pub tapleaf_hash: Option<TapLeafHash>,
    /// Opcode position of the last executed OP_CODESEPARATOR.
    pub codeseparator_pos: u32,
    /// Signature-check budget left (BIP342).
    pub validation_weight_left: i64,
}

/// The spending transaction's side of script verification.
pub struct TxChecker<'a> {
    tx: &'a Transaction,
    index: usize,
    amount: u64,
    spent: &'a [TxOut],
    bip143: OnceLock<Bip143>,
}

/// The per-transaction parts of the BIP143 signature hash.
struct Bip143 {
    prevouts: [u8; 32],
    sequences: [u8; 32],
    outputs: [u8; 32],
}

/// The process-wide verification context.
pub(super) fn secp() -> &'static Secp256k1<VerifyOnly> {
    static CTX: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::verification_only)
}

fn dsha<F: FnOnce(&mut bitcoin::hashes::sha256::HashEngine)>(f: F) -> [u8; 32] {
    let mut e = sha256d::Hash::engine();
    f(&mut e);
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// Core's `CPubKey::IsValid` size rule from the first byte.
fn pubkey_size_ok(key: &[u8]) -> bool {
    match key.first() {
        Some(2) | Some(3) => key.len() == 33,
        Some(4) | Some(6) | Some(7) => key.len() == 65,
        _ => false,
    }
}

impl<'a> TxChecker<'a> {
    /// A checker for input `index` of `tx`, spending `amount` satoshis;
    /// `spent` holds every input's spent output (taproot needs them all).
    pub fn new(tx: &'a Transaction, index: usize, amount: u64, spent: &'a [TxOut]) -> Self {
        TxChecker {
            tx,
            index,
            amount,
            spent,
            bip143: OnceLock::new(),
        }
    }

    /// The transaction being checked.
    pub fn tx(&self) -> &Transaction {
        self.tx
    }

    fn bip143(&self) -> &Bip143 {
        self.bip143.get_or_init(|| Bip143 {
            prevouts: dsha(|e| {
                for i in &self.tx.input {
                    let _ = i.previous_output.consensus_encode(e);
                }
            }),
            sequences: dsha(|e| {
                for i in &self.tx.input {
                    e.input(&i.sequence.0.to_le_bytes());
                }
            }),
            outputs: dsha(|e| {
                for o in &self.tx.output {
                    let _ = o.consensus_encode(e);
                }
            }),
        })
    }

    fn segwit_v0_sighash(&self, script_code: &[u8], hash_type: u32) -> [u8; 32] {
        let base = hash_type & 0x1f;
        let anyone_can_pay = hash_type & 0x80 != 0;
        let (single, none) = (base == 3, base == 2);
        let h = self.bip143();
        let zero = [0u8; 32];
        let prevouts = if anyone_can_pay { zero } else { h.prevouts };
        let sequences = if anyone_can_pay || single || none {
            zero
        } else {
            h.sequences
        };
        let outputs = if !single && !none {
            h.outputs
        } else if single && self.index < self.tx.output.len() {
            dsha(|e| {
                let _ = self.tx.output[self.index].consensus_encode(e);
            })
        } else {
            zero
        };
        let input = &self.tx.input[self.index];
        dsha(|e| {
            e.input(&self.tx.version.0.to_le_bytes());
            e.input(&prevouts);
            e.input(&sequences);
            let _ = input.previous_output.consensus_encode(e);
            let _ = bitcoin::VarInt(script_code.len() as u64).consensus_encode(e);
            e.input(script_code);
            e.input(&self.amount.to_le_bytes());
            e.input(&input.sequence.0.to_le_bytes());
            e.input(&outputs);
            e.input(&self.tx.lock_time.to_consensus_u32().to_le_bytes());
            e.input(&hash_type.to_le_bytes());
        })
    }

    /// Core's `CheckECDSASignature`: `sig` ends in its hash type; false on
    /// any parse or verification failure.
    pub fn check_ecdsa(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        script_code: &[u8],
        version: SigVersion,
    ) -> bool {
        if !pubkey_size_ok(pubkey) || sig.is_empty() || self.index >= self.tx.input.len() {
            return false;
        }
        let Ok(key) = PublicKey::from_slice(pubkey) else {
            return false;
        };
        let hash_type = sig[sig.len() - 1] as u32;
        let Ok(mut signature) = ecdsa::Signature::from_der_lax(&sig[..sig.len() - 1]) else {
            return false;
        };
        signature.normalize_s();
        let digest = match version {
            SigVersion::WitnessV0 => self.segwit_v0_sighash(script_code, hash_type),
            _ => {
                let code = strip_codeseparators(script_code);
                match SighashCache::new(self.tx).legacy_signature_hash(
                    self.index,
                    Script::from_bytes(&code),
                    hash_type,
                ) {
                    Ok(h) => h.to_byte_array(),
                    Err(_) => return false,
                }
            }
        };
        let msg = Message::from_digest(digest);
        secp().verify_ecdsa(&msg, &signature, &key).is_ok()
    }

    /// Core's `CheckSchnorrSignature` for a key path (`Taproot`) or a
    /// tapscript (`Tapscript`) signature.
    pub fn check_schnorr(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        version: SigVersion,
        exec: &ExecData,
    ) -> Result<(), ScriptError> {
        let (sig, hash_type) = match sig.len() {
            64 => (sig, 0u8),
            65 if sig[64] != 0 => (&sig[..64], sig[64]),
            65 => return Err(ScriptError::SchnorrSigHashtype),
            _ => return Err(ScriptError::SchnorrSigSize),
        };
        let sighash_type = TapSighashType::from_consensus_u8(hash_type)
            .map_err(|_| ScriptError::SchnorrSigHashtype)?;
        if self.spent.len() != self.tx.input.len() {
            return Err(ScriptError::SchnorrSigHashtype);
        }
        let annex = match &exec.annex {
            Some(a) => Some(Annex::new(a).map_err(|_| ScriptError::SchnorrSigHashtype)?),
            None => None,
        };
        let leaf = match version {
            SigVersion::Tapscript => exec.tapleaf_hash.map(|h| (h, exec.codeseparator_pos)),
            _ => None,
        };
        let digest = SighashCache::new(self.tx)
            .taproot_signature_hash(
                self.index,
                &Prevouts::All(self.spent),
                annex,
                leaf,
                sighash_type,
            )
            .map_err(|_| ScriptError::SchnorrSigHashtype)?;
        let ok = match (
            schnorr::Signature::from_slice(sig),
            XOnlyPublicKey::from_slice(pubkey),
        ) {
            (Ok(s), Ok(k)) => secp()
                .verify_schnorr(&s, &Message::from_digest(digest.to_byte_array()), &k)
                .is_ok(),
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(ScriptError::SchnorrSig)
        }
    }

    /// Core's `CheckLockTime` (BIP65).
    pub fn check_lock_time(&self, lock_time: i64) -> bool {
        /// Below this lock times are heights, above it timestamps.
        const THRESHOLD: i64 = 500_000_000;
        let tx_lock = self.tx.lock_time.to_consensus_u32() as i64;
        if (tx_lock < THRESHOLD) != (lock_time < THRESHOLD) {
            return false;
        }
        if lock_time > tx_lock {
            return false;
        }
        self.tx
            .input
            .get(self.index)
            .is_some_and(|i| i.sequence.0 != u32::MAX)
    }

    /// Core's `CheckSequence` (BIP112).
    pub fn check_sequence(&self, sequence: i64) -> bool {
        const DISABLE: i64 = 1 << 31;
        const TYPE: i64 = 1 << 22;
        const MASK: i64 = TYPE | 0xffff;
        let Some(input) = self.tx.input.get(self.index) else {
            return false;
        };
        let tx_seq = input.sequence.0 as i64;
        if (self.tx.version.0 as u32) < 2 || tx_seq & DISABLE != 0 {
            return false;
        }
        let (tx_masked, masked) = (tx_seq & MASK, sequence & MASK);
        if (tx_masked < TYPE) != (masked < TYPE) {
            return false;
        }
        masked <= tx_masked
    }
}
